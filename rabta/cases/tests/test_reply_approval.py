"""Supervisor approval of public replies (RABTA_REPLY_APPROVAL): held, approved and sent, or returned."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, TestCase, override_settings

from rabta.accounts.models import Role, User
from rabta.cases import actions
from rabta.cases.models import Case, CaseEvent, ReplyDraft
from rabta.cases.tests.test_core_loop import URDU_MARDAN, _submit
from rabta.core.models import AuditEvent
from rabta.intake.models import Message
from rabta.notify.models import OutboxMessage
from rabta.org.models import Region

pytestmark = pytest.mark.django_db

ANSWER = "آپ کی شکایت پر کارروائی جاری ہے۔"


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _draft(case: Case, username: str = "operator_peshawar", text: str = ANSWER) -> ReplyDraft:
    draft = actions.reply_to_citizen(actor=_user(username), case=case, text=text)
    assert isinstance(draft, ReplyDraft)
    return draft


def _audited(case: Case) -> list[tuple[str, str]]:
    rows = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).order_by("seq")
    return list(rows.values_list("action", "actor_label"))


def _status_page(case: Case) -> str:
    return Client().get(f"/track/{case.ref}/{case.tracking_code}/").content.decode()


def test_an_operators_reply_is_held_and_reaches_nobody(login_as: Any) -> None:
    case = _submit(URDU_MARDAN, submission_id="apr-1")
    operator = login_as("operator_peshawar")
    response = operator.post(f"/cases/{case.ref}/reply/", {"text": ANSWER}, follow=True)
    assert response.status_code == 200
    assert "waiting for a supervisor" in response.content.decode()
    draft = ReplyDraft.objects.get(case=case)
    assert (draft.state, draft.author.username, draft.text) == ("pending", "operator_peshawar", ANSWER)
    case.refresh_from_db()
    assert case.first_reply_at is None
    assert case.status == "routed"
    assert not Message.objects.filter(case=case, direction=Message.Direction.OUTBOUND).exists()
    assert not CaseEvent.objects.filter(case=case, kind="replied").exists()
    assert not CaseEvent.objects.filter(case=case, kind="reply_drafted", public=True).exists()
    assert ANSWER not in _status_page(case)
    assert ("case.reply_drafted", "operator_peshawar") in _audited(case)
    assert "case.replied" not in dict(_audited(case))
    # The author sees the draft waiting, and no approve button of their own.
    page = operator.get(f"/cases/{case.ref}/").content.decode()
    assert 'data-testid="reply-draft"' in page
    assert 'data-testid="approve-form"' not in page
    assert "Submit for approval" in page


def test_a_supervisor_approves_from_the_queue_and_the_reply_goes_out(login_as: Any) -> None:
    case = _submit(URDU_MARDAN, submission_id="apr-2")
    draft = _draft(case)
    supervisor = login_as("supervisor_cpo")
    queue = supervisor.get("/cases/?queue=approval").content.decode()
    assert f'data-ref="{case.ref}"' in queue
    assert 'data-testid="queue-approval"' in queue
    fragment = supervisor.get("/cases/?queue=approval", HTTP_HX_REQUEST="true").content.decode()
    assert f'data-ref="{case.ref}"' in fragment
    assert "<html" not in fragment
    page = supervisor.get(f"/cases/{case.ref}/").content.decode()
    assert f"/cases/{case.ref}/drafts/{draft.pk}/approve/" in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = supervisor.post(f"/cases/{case.ref}/drafts/{draft.pk}/approve/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "approved"
    assert draft.decided_by == _user("supervisor_cpo")
    assert draft.message is not None
    assert (draft.message.direction, draft.message.text, draft.message.sent_by) == ("out", ANSWER, _user("operator_peshawar"))
    case.refresh_from_db()
    assert case.status == "replied"
    assert case.first_reply_at == draft.message.at
    replied = CaseEvent.objects.get(case=case, kind="replied")
    assert replied.public
    assert replied.data == {"message_id": draft.message.pk, "draft": draft.pk, "approved_by": "supervisor_cpo"}
    assert CaseEvent.objects.filter(case=case, kind="reply_approved", actor__username="supervisor_cpo").exists()
    audited = _audited(case)
    assert audited[-3:] == [
        ("case.reply_drafted", "operator_peshawar"),
        ("case.reply_approved", "supervisor_cpo"),
        ("case.replied", "supervisor_cpo"),
    ]
    assert ANSWER in _status_page(case)
    # Out of the queue, and a second approval changes nothing.
    assert f'data-ref="{case.ref}"' not in supervisor.get("/cases/?queue=approval").content.decode()
    again = supervisor.post(f"/cases/{case.ref}/drafts/{draft.pk}/approve/")
    assert again.status_code == 400
    assert "already approved and sent" in again.content.decode()
    assert Message.objects.filter(case=case, direction="out").count() == 1


def test_returning_needs_a_reason_and_tells_the_author(login_as: Any) -> None:
    case = _submit(URDU_MARDAN, submission_id="apr-3")
    draft = _draft(case)
    supervisor = login_as("supervisor_cpo")
    empty = supervisor.post(f"/cases/{case.ref}/drafts/{draft.pk}/return/", {"reason": "  "})
    assert empty.status_code == 400
    assert "This field is required." in empty.content.decode()
    draft.refresh_from_db()
    assert draft.state == "pending"
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = supervisor.post(f"/cases/{case.ref}/drafts/{draft.pk}/return/", {"reason": "Do not promise an FIR before the SHO confirms."})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.state, draft.return_reason) == ("returned", "Do not promise an FIR before the SHO confirms.")
    event = CaseEvent.objects.get(case=case, kind="reply_returned")
    assert not event.public
    assert ("case.reply_returned", "supervisor_cpo") in _audited(case)
    note = OutboxMessage.objects.get(case=case, user__username="operator_peshawar", medium="in_app", subject__contains="returned")
    assert note.link == f"/cases/{case.ref}/"
    assert not Message.objects.filter(case=case, direction="out").exists()
    assert ANSWER not in _status_page(case)
    # The author reads the reason and starts again from the returned text.
    operator = login_as("operator_peshawar")
    page = operator.get(f"/cases/{case.ref}/").content.decode()
    assert "Do not promise an FIR before the SHO confirms." in page
    assert f"?redraft={draft.pk}" in page
    prefilled = f'maxlength="5000">{ANSWER}</textarea>'
    assert prefilled in operator.get(f"/cases/{case.ref}/?redraft={draft.pk}").content.decode()
    # Someone else's returned draft is not offered to edit.
    assert prefilled not in login_as("director_dpr").get(f"/cases/{case.ref}/?redraft={draft.pk}").content.decode()
    # A returned draft cannot be approved afterwards.
    assert supervisor.post(f"/cases/{case.ref}/drafts/{draft.pk}/approve/").status_code == 400


@pytest.mark.parametrize("username", ["operator_peshawar", "dpo_mardan", "womens_desk_mardan", "pio_cpo", "auditor"])
def test_only_supervisors_approve_or_return(login_as: Any, username: str) -> None:
    case = _submit(URDU_MARDAN, submission_id=f"apr-4-{username}")
    draft = _draft(case)
    client = login_as(username)
    approve = client.post(f"/cases/{case.ref}/drafts/{draft.pk}/approve/")
    returned = client.post(f"/cases/{case.ref}/drafts/{draft.pk}/return/", {"reason": "no"})
    # All of them see the case; none of their roles may decide on a held reply.
    assert approve.status_code == 403, username
    assert returned.status_code == 403, username
    draft.refresh_from_db()
    assert draft.state == "pending"
    assert "case.reply_approved" not in dict(_audited(case))
    # No approval queue for them: asking for it shows the ordinary list.
    assert 'data-testid="queue-approval"' not in client.get("/cases/?queue=approval").content.decode()


def test_a_supervisor_outside_the_jurisdiction_gets_404(login_as: Any) -> None:
    case = _submit(URDU_MARDAN, submission_id="apr-5")
    draft = _draft(case)
    assert case.district is not None
    region = Region.objects.exclude(pk=case.district.region_id).order_by("code").first()
    elsewhere = User.objects.create_user(username="supervisor_elsewhere", password="x" * 12, role=Role.SUPERVISOR, region=region)
    client = login_as(elsewhere.username)
    assert client.post(f"/cases/{case.ref}/drafts/{draft.pk}/approve/").status_code == 404
    assert f'data-ref="{case.ref}"' not in client.get("/cases/?queue=approval").content.decode()
    # A draft id that belongs to another case is a 404 too, never a decision on the wrong case.
    other = _submit(URDU_MARDAN + " دوسرا", submission_id="apr-5b")
    assert login_as("supervisor_cpo").post(f"/cases/{other.ref}/drafts/{draft.pk}/approve/").status_code == 404
    draft.refresh_from_db()
    assert draft.state == "pending"


@override_settings(RABTA_REPLY_APPROVAL="all")
def test_under_all_even_a_supervisor_is_held_and_cannot_approve_their_own(login_as: Any) -> None:
    case = _submit(URDU_MARDAN, submission_id="apr-6")
    draft = _draft(case, "supervisor_cpo")
    client = login_as("supervisor_cpo")
    assert f"/drafts/{draft.pk}/approve/" not in client.get(f"/cases/{case.ref}/").content.decode()
    own = client.post(f"/cases/{case.ref}/drafts/{draft.pk}/approve/")
    assert own.status_code == 400
    assert "another supervisor must approve" in own.content.decode()
    with pytest.raises(Exception, match="another supervisor must approve"):
        actions.approve_reply(actor=_user("supervisor_cpo"), draft=draft)
    draft.refresh_from_db()
    assert draft.state == "pending"
    message = actions.approve_reply(actor=_user("director_dpr"), draft=draft)
    assert message.sent_by == _user("supervisor_cpo")


@override_settings(RABTA_REPLY_APPROVAL="off")
def test_off_sends_every_reply_directly() -> None:
    case = _submit(URDU_MARDAN, submission_id="apr-7")
    sent = actions.reply_to_citizen(actor=_user("operator_peshawar"), case=case, text=ANSWER)
    assert isinstance(sent, Message)
    assert not ReplyDraft.objects.filter(case=case).exists()
    assert ANSWER in _status_page(case)


def test_under_operators_a_dpo_sends_directly() -> None:
    case = _submit(URDU_MARDAN, submission_id="apr-8")
    sent = actions.reply_to_citizen(actor=_user("dpo_mardan"), case=case, text=ANSWER)
    assert isinstance(sent, Message)
    assert [a for a, _ in _audited(case)][-1] == "case.replied"


def test_approval_of_a_closed_case_is_refused_but_it_can_be_returned() -> None:
    case = _submit(URDU_MARDAN, submission_id="apr-9")
    draft = _draft(case)
    actions.close_case(actor=_user("dpo_mardan"), case=case, outcome="relief_granted")
    with pytest.raises(Exception, match="This case is closed"):
        actions.approve_reply(actor=_user("supervisor_cpo"), draft=draft)
    returned = actions.return_reply(actor=_user("supervisor_cpo"), draft=draft, reason="the case was closed first")
    assert returned.state == "returned"


def test_approving_costs_a_fixed_number_of_queries(django_assert_max_num_queries: Any) -> None:
    case = _submit(URDU_MARDAN, submission_id="apr-10")
    draft = _draft(case)
    supervisor = _user("supervisor_cpo")
    with django_assert_max_num_queries(16):
        actions.approve_reply(actor=supervisor, draft=draft)


def test_an_unknown_setting_stops_start_up_with_the_fix() -> None:
    env = {**os.environ, "RABTA_REPLY_APPROVAL": "sometimes", "DATABASE_URL": "", "RABTA_TESTING": "1"}
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-c", "import rabta.settings"], env=env, cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "RABTA_REPLY_APPROVAL='sometimes' is not known: set it to off, operators (the default) or all." in done.stderr
