"""The whole journey in a browser: citizen → live inbox → DPO acknowledges → reply approved by a supervisor → closed."""

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

    # The operator answers the citizen; under RABTA_REPLY_APPROVAL=operators (the default and the
    # demo's setting) the answer waits for a supervisor and the citizen does not see it yet.
    operator.reload()
    operator.fill("[data-testid=reply-form] textarea", "آپ کی درخواست پر ایف آئی آر درج کر لی گئی ہے۔")
    operator.click("[data-testid=reply-form] button[type=submit]")
    assert "waiting for a supervisor" in operator.inner_text(".messages")
    assert operator.get_attribute("[data-testid=reply-draft]", "data-state") == "pending"
    citizen.goto(status_url)
    assert citizen.locator("[data-testid=public-answer]").count() == 0

    # The supervisor finds it in the approval queue and approves it: it goes out at once.
    supervisor = browser.new_context(locale="en-GB").new_page()
    _log_in(supervisor, base, "supervisor_cpo")
    supervisor.goto(f"{base}/cases/")
    supervisor.click("[data-testid=queue-approval]")
    supervisor.wait_for_selector(f"tr[data-ref='{ref}']")
    supervisor.click(f"a:text('{ref}')")
    assert "ایف آئی آر" in supervisor.inner_text("[data-testid=reply-draft]")
    supervisor.click("[data-testid=approve-form] button[type=submit]")
    assert "approved and sent" in supervisor.inner_text(".messages")
    assert supervisor.locator("[data-testid=reply-draft]").count() == 0
    citizen.reload()
    assert "ایف آئی آر درج کر لی گئی ہے" in citizen.inner_text("[data-testid=public-answer]")

    # The operator closes the case with an outcome.
    operator.reload()
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
    for kind in ("opened", "triaged", "routed", "acknowledged", "reply_drafted", "reply_approved", "replied", "closed"):
        assert kind in kinds
    case = Case.objects.get(ref=ref)
    logged = list(AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).order_by("seq").values_list("action", flat=True))
    assert logged == ["case.opened", "case.acknowledged", "case.reply_drafted", "case.reply_approved", "case.replied", "case.closed"]
