"""Bulk work in the inbox: ticks survive a live update, one click acknowledges several cases."""

from __future__ import annotations

from typing import Any

import pytest

from rabta.testing import load_reference_and_demo
from tests.e2e.test_foundation_journeys import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(transactional_db: Any) -> None:
    load_reference_and_demo()


def test_tick_survives_a_live_update_and_bulk_acknowledge(browser: Any, live_server: Any, demo: None) -> None:
    from rabta.accounts.models import User
    from rabta.cases import actions
    from rabta.cases.demo import load_demo_cases
    from rabta.cases.models import Case
    from rabta.core.models import AuditEvent

    load_demo_cases()
    open_cases = list(Case.objects.filter(sensitive=False, acknowledged_at__isnull=True).order_by("-opened_at", "-pk")[:3])
    picked, other = open_cases[:2], open_cases[2]
    base = live_server.url
    page = browser.new_context(locale="en-GB").new_page()
    _log_in(page, base, "operator_peshawar")
    page.goto(f"{base}/cases/?queue=all")
    page.wait_for_selector("[data-testid=case-table]")
    page.wait_for_selector("[data-testid=live]")
    for case in picked:
        page.check(f"#pick-{case.ref}")

    # Someone else acknowledges another case: the rows reload over SSE, the ticks stay.
    actions.acknowledge_case(actor=User.objects.get(username="supervisor_cpo"), case=other)
    page.wait_for_function(
        "ref => document.querySelector(`tr[data-ref='${ref}']`)?.innerText.includes('Acknowledged')",
        arg=other.ref,
        timeout=15_000,
    )
    for case in picked:
        assert page.is_checked(f"#pick-{case.ref}"), case.ref

    page.select_option("[data-testid=bulk-form] select[name=action]", "acknowledge")
    page.click("[data-testid=bulk-form] button[type=submit]")
    shown = page.inner_text(".messages")
    assert "Acknowledged 2 cases" in shown
    for case in picked:
        assert case.ref in shown
        case.refresh_from_db()
        assert case.status == "acknowledged"
        assert AuditEvent.objects.filter(action="case.acknowledged", object_id=str(case.pk), actor_label="operator_peshawar").count() == 1
