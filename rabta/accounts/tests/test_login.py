"""Log-in: argon2 hashes, TOTP required for staff, lock-out, secure headers."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rabta.accounts.models import Role, User

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


@pytest.fixture
def officer() -> User:
    return User.objects.create_user(username="officer_test", password=PASSWORD, role=Role.OPERATOR)


@pytest.fixture
def device(officer: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=officer, name="authenticator", confirmed=True)


def _login(client: Client, password: str = PASSWORD, code: str = "") -> Any:
    return client.post("/accounts/login/", {"username": "officer_test", "password": password, "otp_token": code})


def test_argon2_is_the_production_hasher() -> None:
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"]):
        assert make_password("x" * 12).startswith("argon2")


def test_login_with_password_and_code_reaches_the_dashboard(client: Client, device: TOTPDevice) -> None:
    response = _login(client, code=_code(device))
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert b"officer_test" in page.content


def test_password_without_code_is_refused(client: Client, device: TOTPDevice) -> None:
    response = _login(client)
    assert response.status_code == 400
    assert "authenticator code is missing or wrong" in response.content.decode()
    assert client.get("/").status_code == 302


def test_wrong_code_is_refused(client: Client, device: TOTPDevice) -> None:
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = _login(client, code=wrong)
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_wrong_password_keeps_the_form_with_a_message(client: Client, device: TOTPDevice) -> None:
    response = _login(client, password="wrong password", code=_code(device))
    assert response.status_code == 400
    assert "User name or password is wrong." in response.content.decode()
    assert 'value="officer_test"' in response.content.decode()


def test_new_staff_must_enrol_before_anything_else(client: Client, officer: User) -> None:
    response = _login(client)
    assert response.status_code == 302
    assert client.get("/").url == "/accounts/2fa/setup/"
    setup = client.get("/accounts/2fa/setup/")
    assert setup.status_code == 200
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    bad = client.post("/accounts/2fa/setup/", {"otp_token": "000000" if _code(device) != "000000" else "111111"})
    assert bad.status_code == 400
    # django-otp throttles a device after a failure: even the right code waits a moment.
    assert client.post("/accounts/2fa/setup/", {"otp_token": _code(device)}).status_code == 400
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    good = client.post("/accounts/2fa/setup/", {"otp_token": _code(device)})
    assert good.status_code == 302
    assert client.get("/").status_code == 200
    assert TOTPDevice.objects.get(user=officer).confirmed


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lock_out_after_repeated_failures(client: Client, device: TOTPDevice) -> None:
    for _ in range(3):
        _login(client, password="wrong password")
    response = _login(client, code=_code(device))
    assert response.status_code in (403, 429)
    assert "locked" in response.content.decode().lower()
    assert client.get("/").status_code == 302


def test_security_headers_on_every_page(client: Client) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Request-ID"]


def test_session_cookie_is_http_only(client: Client, device: TOTPDevice) -> None:
    response = _login(client, code=_code(device))
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_demo_relaxed_mode_is_shown_on_every_page(client: Client, device: TOTPDevice) -> None:
    with override_settings(RABTA_RELAX_2FA=True):
        page = client.get("/accounts/login/")
        assert b"Demo mode: two-factor log-in is relaxed" in page.content
        assert _login(client).status_code == 302
        assert client.get("/").status_code == 200


def test_relaxed_2fa_is_refused_outside_the_embedded_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import rabta.settings as settings_module

    monkeypatch.setenv("RABTA_RELAX_2FA", "1")
    monkeypatch.setenv("RABTA_DEMO", "0")
    with pytest.raises(ImproperlyConfigured, match="only allowed in the embedded demo"):
        importlib.reload(settings_module)
    monkeypatch.delenv("RABTA_RELAX_2FA")
    monkeypatch.delenv("RABTA_DEMO")
    importlib.reload(settings_module)


def test_role_requires_a_matching_jurisdiction() -> None:
    from django.core.exceptions import ValidationError

    user = User(username="dpo_nowhere", role=Role.DPO)
    with pytest.raises(ValidationError, match="District"):
        user.full_clean()
