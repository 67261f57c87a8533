"""The RTI extension (KP RTI Act 2013, s.11): once, up to 10 working days, with a reason, on the working calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from rabta.accounts.models import Role, User
from rabta.cases import actions, clocks
from rabta.cases.models import Case, CaseEvent
from rabta.cases.tests.test_core_loop import URDU_MARDAN, _submit
from rabta.core.models import AuditEvent
from rabta.routing.calendar import load_calendar

pytestmark = pytest.mark.django_db

RTI_REQUEST = "Under the KP RTI Act 2013 I request the number of FIRs registered in Charsadda district in 2025."
REASON = "The records are held by three police stations."
CAL = load_calendar()


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _rti(submission_id: str) -> Case:
    case = _submit(RTI_REQUEST, submission_id=submission_id)
    assert case.clocks["rti"] is True
    assert case.resolve_due is not None
    return case


def _status_page(case: Case) -> str:
    return Client().get(f"/track/{case.ref}/{case.tracking_code}/").content.decode()


def test_the_pio_extends_once_on_the_working_calendar() -> None:
    case = _rti("rti-x-1")
    previous = case.resolve_due
    assert previous is not None
    decided = case.opened_at + timedelta(days=3)  # the injected clock: three days into the count
    extended = actions.extend_rti_deadline(actor=_user("pio_cpo"), case=case, reason=REASON, extra_working_days=10, now=decided)
    expected = CAL.closes(CAL.nth_working_day_after(CAL.local(previous).date(), 10))
    assert extended.resolve_due == expected
    assert extended.reply_due == expected
    assert CAL.working_days_between(case.opened_at, expected) == 20
    assert extended.ack_due == case.ack_due  # the acknowledgement does not move
    assert extended.clocks["extension"] == {"reason": REASON, "extra_working_days": 10, "previous_due": CAL.local(previous).isoformat()}
    assert datetime.fromisoformat(extended.clocks["resolve_due"]) == expected
    event = CaseEvent.objects.get(case=case, kind="rti_extended")
    assert event.public
    assert (event.text, event.data["extra_working_days"]) == (REASON, 10)
    audit = AuditEvent.objects.get(action="case.rti_extended", object_id=str(case.pk))
    assert audit.actor_label == "pio_cpo"
    assert audit.before == {"resolve_due": previous.isoformat()}
    assert audit.after == {"resolve_due": expected.isoformat(), "extra_working_days": 10, "reason": REASON}
    # The citizen's status page shows the new date and why.
    page = _status_page(case)
    assert timezone.localtime(expected).strftime("%Y-%m-%d %H:%M") in page
    assert "The deadline was extended by 10 working days" in page
    assert REASON in page
    # A second extension is refused with the Act's rule, and changes nothing.
    with pytest.raises(ValidationError, match="allows one extension only"):
        actions.extend_rti_deadline(actor=_user("supervisor_cpo"), case=case, reason="still searching", extra_working_days=2, now=decided)
    case.refresh_from_db()
    assert case.resolve_due == expected
    assert AuditEvent.objects.filter(action="case.rti_extended", object_id=str(case.pk)).count() == 1


def test_the_clock_check_follows_the_new_deadline() -> None:
    case = _rti("rti-x-2")
    old_due = case.resolve_due
    assert old_due is not None
    actions.acknowledge_case(actor=_user("pio_cpo"), case=case)
    actions.extend_rti_deadline(actor=_user("supervisor_cpo"), case=case, reason=REASON, extra_working_days=5, now=case.opened_at)
    post = case.post_id
    assert clocks.check_clocks(now=old_due + timedelta(minutes=1)).escalated == 0
    case.refresh_from_db()
    assert case.post_id == post
    assert case.resolve_due is not None
    assert clocks.check_clocks(now=case.resolve_due + timedelta(minutes=1)).escalated == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "  ", "extra_working_days": 5}, "needs a reason"),
        ({"reason": REASON, "extra_working_days": 0}, "an extension is 1 to 10 working days, not 0"),
        ({"reason": REASON, "extra_working_days": 11}, "an extension is 1 to 10 working days, not 11"),
    ],
)
def test_bad_extensions_are_refused_with_the_rule(kwargs: dict[str, Any], message: str) -> None:
    case = _rti(f"rti-x-3-{kwargs['extra_working_days']}")
    with pytest.raises(ValidationError, match=message):
        actions.extend_rti_deadline(actor=_user("pio_cpo"), case=case, now=case.opened_at, **kwargs)
    assert not CaseEvent.objects.filter(case=case, kind="rti_extended").exists()


def test_too_late_and_not_rti_and_life_or_liberty_are_refused() -> None:
    case = _rti("rti-x-4")
    assert case.resolve_due is not None
    with pytest.raises(ValidationError, match="has passed; an extension must be made before it"):
        actions.extend_rti_deadline(actor=_user("pio_cpo"), case=case, reason=REASON, extra_working_days=3, now=case.resolve_due + timedelta(hours=1))
    plain = _submit(URDU_MARDAN, submission_id="rti-x-4b")
    with pytest.raises(ValidationError, match="only a right-to-information request can be extended"):
        actions.extend_rti_deadline(actor=_user("supervisor_cpo"), case=plain, reason=REASON, extra_working_days=3, now=plain.opened_at)
    Case.objects.filter(pk=case.pk).update(clocks={**case.clocks, "life_or_liberty": True})
    case.refresh_from_db()
    with pytest.raises(ValidationError, match="life or liberty is at stake"):
        actions.extend_rti_deadline(actor=_user("pio_cpo"), case=case, reason=REASON, extra_working_days=3, now=case.opened_at)


def test_only_the_pio_post_holder_or_a_supervisor_may_extend(login_as: Any) -> None:
    case = _rti("rti-x-5")
    for username in ("operator_peshawar", "dpo_mardan", "auditor", "sho_hayatabad"):
        client = login_as(username)
        response = client.post(f"/cases/{case.ref}/rti-extension/", {"extra_working_days": 5, "reason": REASON})
        assert response.status_code in (403, 404), username
        assert 'data-testid="rti-extend-form"' not in client.get(f"/cases/{case.ref}/").content.decode(), username
    # A PIO who holds no public information officer's post is not the PIO for this request.
    loose = User.objects.create_user(username="pio_without_post", password="x" * 12, role=Role.PIO)
    with pytest.raises(PermissionDenied):
        actions.extend_rti_deadline(actor=loose, case=case, reason=REASON, extra_working_days=5, now=case.opened_at)
    assert login_as("pio_without_post").post(f"/cases/{case.ref}/rti-extension/", {"extra_working_days": 5, "reason": REASON}).status_code == 403
    assert not CaseEvent.objects.filter(case=case, kind="rti_extended").exists()


def test_the_case_page_offers_the_extension_once(login_as: Any) -> None:
    case = _rti("rti-x-6")
    pio = login_as("pio_cpo")
    page = pio.get(f"/cases/{case.ref}/").content.decode()
    assert 'data-testid="rti-extend-form"' in page
    assert 'data-testid="rti-clock"' in page
    bad = pio.post(f"/cases/{case.ref}/rti-extension/", {"extra_working_days": 12, "reason": REASON})
    assert bad.status_code == 400
    assert "Ensure this value is less than or equal to 10." in bad.content.decode()
    no_reason = pio.post(f"/cases/{case.ref}/rti-extension/", {"extra_working_days": 4, "reason": ""})
    assert no_reason.status_code == 400
    response = pio.post(f"/cases/{case.ref}/rti-extension/", {"extra_working_days": 4, "reason": REASON}, follow=True)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.resolve_due is not None
    body = response.content.decode()
    assert f"The deadline is now {timezone.localtime(case.resolve_due):%Y-%m-%d %H:%M}" in body
    assert 'data-testid="rti-extend-form"' not in body
    assert "extended once by 4 working days" in body
    again = pio.post(f"/cases/{case.ref}/rti-extension/", {"extra_working_days": 4, "reason": REASON})
    assert again.status_code == 400
    assert "the RTI Act allows one extension only; this request was already extended" in again.content.decode()
