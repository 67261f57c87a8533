"""Log-in with a real TOTP code, jurisdiction scoping by URL, and the read-only auditor."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rabta.testing import load_reference_and_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(transactional_db: Any) -> None:
    load_reference_and_demo()


def _log_in(page: Any, base: str, username: str) -> None:
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "rabta-demo-2026")
    page.fill("input[name=otp_token]", code)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")


def test_dpo_mardan_sees_mardan_and_gets_404_for_peshawar(page: Any, live_server: Any, demo: None) -> None:
    from rabta.org.models import Post

    base = live_server.url
    _log_in(page, base, "dpo_mardan")
    assert "Mardan" in page.inner_text("[data-testid=jurisdiction]")
    page.goto(f"{base}/org/")
    rows = page.inner_text("#district-rows")
    assert "Mardan" in rows
    assert "Peshawar" not in rows
    response = page.goto(f"{base}/org/districts/mardan/")
    assert response.status == 200
    response = page.goto(f"{base}/org/districts/peshawar/")
    assert response.status == 404
    peshawar_dpo = Post.objects.get(code="dpo-peshawar")
    response = page.goto(f"{base}/org/posts/{peshawar_dpo.pk}/")
    assert response.status == 404
    assert "nothing at this address in your jurisdiction" in page.content()


def test_auditor_reads_everything_but_changes_nothing(page: Any, live_server: Any, demo: None) -> None:
    from rabta.org.models import Post, PostHolding

    base = live_server.url
    _log_in(page, base, "auditor")
    post = Post.objects.get(code="dpo-peshawar")
    assert page.goto(f"{base}/org/posts/{post.pk}/").status == 200
    assert page.locator("form[action$='/holder/']").count() == 0
    assert page.goto(f"{base}/audit/").status == 200
    assert "user.logged_in" in page.inner_text("#audit-rows")
    # Even a hand-made POST is refused, and nothing changes.
    holdings = PostHolding.objects.count()
    status = page.evaluate(
        """async (url) => {
            const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
            const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token,
                'Content-Type': 'application/x-www-form-urlencoded'}, body: 'user=1'});
            return r.status;
        }""",
        f"{base}/org/posts/{post.pk}/holder/",
    )
    assert status == 403
    assert PostHolding.objects.count() == holdings


def test_wrong_totp_code_keeps_the_officer_out(page: Any, live_server: Any, demo: None) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "sho_hayatabad")
    page.fill("input[name=password]", "rabta-demo-2026")
    page.fill("input[name=otp_token]", "000000")
    page.click("button[type=submit].primary")
    assert "authenticator code is missing or wrong" in page.content()
    assert page.goto(f"{base}/").url.startswith(f"{base}/accounts/login/")


def test_console_switches_to_urdu_right_to_left(page: Any, live_server: Any, demo: None) -> None:
    base = live_server.url
    _log_in(page, base, "supervisor_cpo")
    page.click("button[name=language][value=ur]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ur"
