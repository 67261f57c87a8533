"""The whole journey in a browser: citizen → live inbox → DPO acknowledges → reply → closed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rabta.testing import load_reference_and_demo
from tests.e2e.test_foundation_journeys import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMPLAINT = "مردان شہر میں کل رات ہمارے گھر سے زیورات اور نقدی چوری ہو گئی، براہ کرم کارروائی کریں"


@pytest.fixture
def demo(transactional_db: Any) -> None:
    load_reference_and_demo()


def test_citizen_to_closed_case(browser: Any, live_server: Any, demo: None) -> None:
    from rabta.cases.models import Case
    from rabta.core.models import AuditEvent

    base = live_server.url
    operator = browser.new_context(locale="en-GB").new_page()
    _log_in(operator, base, "operator_peshawar")
    operator.goto(f"{base}/cases/?queue=all")
    operator.wait_for_selector("[data-testid=case-table]")

    # The citizen writes in Urdu through the public form (no JavaScript needed).
    citizen = browser.new_context(locale="ur-PK", java_script_enabled=False).new_page()
    citizen.goto(f"{base}/report/")
    citizen.fill("textarea[name=text]", COMPLAINT)
    citizen.fill("input[name=phone]", "0301-2345678")
    citizen.click("[data-testid=report-form] button[type=submit]")
    assert citizen.locator("[data-testid=public-ref]").count() == 1, citizen.content()[:3000]
    ref = citizen.inner_text("[data-testid=public-ref]").strip()
    assert re.fullmatch(r"KP-MRD-\d{2}-\d{6}", ref)
    status_url = citizen.url

    # It appears in the operator's inbox without a reload (pushed over SSE).
    operator.wait_for_selector(f"tr[data-ref='{ref}']", timeout=15_000)
    operator.click(f"a:text('{ref}')")
    assert "DPO Mardan" in operator.inner_text("[data-testid=case-post]")
    assert operator.inner_text("[data-testid=routing-reason]").strip()

    # The DPO acknowledges on the mobile view.
    dpo = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    _log_in(dpo, base, "dpo_mardan")
    dpo.goto(f"{base}/m/cases/{ref}/")
    dpo.click("[data-testid=acknowledge]")
    assert "Acknowledged" in dpo.inner_text("[data-testid=case-status]")

    # The operator answers the citizen, then closes with an outcome.
    operator.reload()
    operator.fill("[data-testid=reply-form] textarea", "آپ کی درخواست پر ایف آئی آر درج کر لی گئی ہے۔")
    operator.click("[data-testid=reply-form] button[type=submit]")
    citizen.goto(status_url)
    assert "ایف آئی آر درج کر لی گئی ہے" in citizen.inner_text("[data-testid=public-answer]")
    operator.select_option("[data-testid=close-form] select[name=outcome]", "relief_granted")
    operator.click("[data-testid=close-form] button[type=submit]")
    assert "Closed" in operator.inner_text("[data-testid=case-status]")
    citizen.reload()
    # The citizen's browser asks for Urdu: the page answers in Urdu, right to left.
    assert citizen.get_attribute("[data-testid=public-status]", "data-status") == "closed"
    assert citizen.inner_text("[data-testid=public-status]").strip() == "بند"
    assert citizen.get_attribute("html", "dir") == "rtl"

    # The timeline and the audit trail show each step.
    kinds = operator.eval_on_selector_all("[data-testid=timeline] li", "els => els.map(e => e.dataset.kind)")
    for kind in ("opened", "triaged", "routed", "acknowledged", "replied", "closed"):
        assert kind in kinds
    case = Case.objects.get(ref=ref)
    logged = list(AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).order_by("seq").values_list("action", flat=True))
    assert logged == ["case.opened", "case.acknowledged", "case.replied", "case.closed"]
