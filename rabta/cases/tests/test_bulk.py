"""Inbox bulk actions: each ticked case goes through its own action; the refused ones are reported and skipped."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase

from rabta.accounts.models import User
from rabta.cases import actions
from rabta.cases.models import Case, CaseEvent
from rabta.cases.tests.test_core_loop import HARASSMENT_MARDAN, URDU_MARDAN, _submit
from rabta.core.models import AuditEvent
from rabta.org.models import Post

pytestmark = pytest.mark.django_db

PESHAWAR = "Firing in Hayatabad phase 3 Peshawar last night, my neighbour's car was taken at gunpoint"


def _cases(prefix: str, n: int = 2) -> list[Case]:
    return [_submit(f"{URDU_MARDAN} ({prefix} {i})", submission_id=f"{prefix}-{i}") for i in range(n)]


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _audits(action: str, cases: list[Case]) -> int:
    return AuditEvent.objects.filter(action=action, object_id__in=[str(c.pk) for c in cases]).count()


def test_acknowledge_several_and_report_the_ones_out_of_reach(login_as: Any) -> None:
    mine = _cases("bk-ack")
    secret = _submit(HARASSMENT_MARDAN, submission_id="bk-ack-gbv")  # sensitive: the DPO cannot see it
    dpo = login_as("dpo_mardan")
    refs = [c.ref for c in mine] + [secret.ref, "KP-XXX-26-999999"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = dpo.post("/cases/bulk/", {"refs": refs, "action": "acknowledge", "queue": "new"})
    assert response.status_code == 302
    assert response["Location"] == "/cases/?queue=new"
    for case in mine:
        case.refresh_from_db()
        assert case.status == "acknowledged"
        assert case.assignee is not None
        assert case.assignee.username == "dpo_mardan"
    assert _audits("case.acknowledged", mine) == 2
    secret.refresh_from_db()
    assert secret.acknowledged_at is None
    shown = _messages(response)
    assert shown[0] == f"Acknowledged 2 cases: {mine[0].ref}, {mine[1].ref}"
    assert f"{secret.ref} skipped: not found in your jurisdiction" in shown
    assert "KP-XXX-26-999999 skipped: not found in your jurisdiction" in shown


def test_forward_several_with_a_reason(login_as: Any) -> None:
    cases = _cases("bk-fwd")
    target = Post.objects.get(code="complaint-cell-mardan")
    operator = login_as("operator_peshawar")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = operator.post("/cases/bulk/", {"refs": [c.ref for c in cases], "action": "forward", "post": target.pk, "reason": "same gang"})
    assert response.status_code == 302
    for case in cases:
        case.refresh_from_db()
        assert case.post == target
        assert CaseEvent.objects.filter(case=case, kind="forwarded", text="same gang").exists()
    assert _audits("case.forwarded", cases) == 2
    # Forwarding again to the same post: each case says why it was skipped.
    again = operator.post("/cases/bulk/", {"refs": [cases[0].ref], "action": "forward", "post": target.pk, "reason": "again"})
    assert _messages(again)[-1] == f"{cases[0].ref} skipped: The case is already with {target}."


def test_bad_input_re_renders_the_inbox_with_the_boxes_still_ticked(login_as: Any) -> None:
    cases = _cases("bk-bad")
    operator = login_as("operator_peshawar")
    target = Post.objects.get(code="complaint-cell-mardan")
    response = operator.post("/cases/bulk/", {"refs": [cases[0].ref], "action": "forward", "post": target.pk, "reason": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Say why the cases are forwarded." in body
    assert 'data-testid="bulk-errors"' in body
    assert f'id="pick-{cases[0].ref}"' in body
    ticked = body.split(f'id="pick-{cases[0].ref}"')[1].split(">")[0]
    assert "checked" in ticked
    cases[0].refresh_from_db()
    assert cases[0].post != target
    nothing = operator.post("/cases/bulk/", {"action": "acknowledge"})
    assert nothing.status_code == 400
    assert "Choose at least one case." in nothing.content.decode()
    no_outcome = operator.post("/cases/bulk/", {"refs": [cases[0].ref], "action": "close"})
    assert no_outcome.status_code == 400
    assert "Choose an outcome." in no_outcome.content.decode()
    unknown = operator.post("/cases/bulk/", {"refs": [cases[0].ref], "action": "delete"})
    assert unknown.status_code == 400
    assert not AuditEvent.objects.filter(object_id=str(cases[0].pk), action__in=["case.closed", "case.forwarded"]).exists()


def test_the_batch_is_limited(login_as: Any) -> None:
    refs = [f"KP-MRD-26-{n:06d}" for n in range(1, actions.BULK_LIMIT + 2)]
    response = login_as("operator_peshawar").post("/cases/bulk/", {"refs": refs, "action": "acknowledge"})
    assert response.status_code == 400
    assert f"Choose at most {actions.BULK_LIMIT} cases at a time (you chose {actions.BULK_LIMIT + 1})." in response.content.decode()


def test_assign_skips_cases_whose_post_the_officer_does_not_hold(login_as: Any) -> None:
    mardan = _cases("bk-asg", 1)[0]
    peshawar = _submit(PESHAWAR, submission_id="bk-asg-psh")
    dpo = User.objects.get(username="dpo_mardan")
    if mardan.post.code != "dpo-mardan":
        actions.forward_case(actor=User.objects.get(username="operator_peshawar"), case=mardan, post=Post.objects.get(code="dpo-mardan"), reason="x")
    assert peshawar.post.code != "dpo-mardan"
    supervisor = login_as("supervisor_cpo")
    response = supervisor.post("/cases/bulk/", {"refs": [mardan.ref, peshawar.ref], "action": "assign", "user": dpo.pk})
    assert response.status_code == 302
    mardan.refresh_from_db()
    peshawar.refresh_from_db()
    assert mardan.assignee == dpo
    assert peshawar.assignee != dpo
    assert f"{peshawar.ref} skipped: dpo_mardan does not hold the post this case is with." in _messages(response)
    assert _audits("case.assigned", [mardan]) == 1
    assert _audits("case.assigned", [peshawar]) == 0


def test_close_skips_the_already_closed(login_as: Any) -> None:
    cases = _cases("bk-cls")
    actions.close_case(actor=User.objects.get(username="operator_peshawar"), case=cases[1], outcome="referred")
    operator = login_as("operator_peshawar")
    response = operator.post("/cases/bulk/", {"refs": [c.ref for c in cases], "action": "close", "outcome": "relief_granted", "note": "done"})
    assert response.status_code == 302
    assert _messages(response) == [f"Closed 1 case: {cases[0].ref}", f"{cases[1].ref} skipped: This case is closed."]
    cases[0].refresh_from_db()
    assert (cases[0].status, cases[0].outcome) == ("closed", "relief_granted")


@pytest.mark.parametrize(("username", "action"), [("auditor", "acknowledge"), ("sho_hayatabad", "forward"), ("sho_hayatabad", "close")])
def test_roles_that_may_not_do_it_at_all_get_403(login_as: Any, username: str, action: str) -> None:
    case = _cases(f"bk-403-{username}-{action}", 1)[0]
    response = login_as(username).post("/cases/bulk/", {"refs": [case.ref], "action": action, "reason": "x", "outcome": "referred"})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        actions.bulk_case_action(actor=User.objects.get(username=username), refs=[case.ref], action=action, reason="x", outcome="referred")


def test_the_inbox_offers_the_ticks_only_to_those_who_can_act(login_as: Any) -> None:
    case = _cases("bk-ui", 1)[0]
    page = login_as("operator_peshawar").get("/cases/?queue=all").content.decode()
    assert 'data-testid="bulk-form"' in page
    assert f'id="pick-{case.ref}"' in page
    assert 'form="bulk-form"' in page
    auditor = login_as("auditor").get("/cases/?queue=all").content.decode()
    assert 'data-testid="bulk-form"' not in auditor
    assert f'id="pick-{case.ref}"' not in auditor


def test_the_action_checks_its_arguments_once() -> None:
    operator = User.objects.get(username="operator_peshawar")
    with pytest.raises(ValidationError, match="Choose the officer"):
        actions.bulk_case_action(actor=operator, refs=["KP-MRD-26-000001"], action="assign")
    with pytest.raises(ValidationError, match="Choose the post"):
        actions.bulk_case_action(actor=operator, refs=["KP-MRD-26-000001"], action="forward", reason="x")
    result = actions.bulk_case_action(actor=operator, refs=[" kp-mrd-26-999998 ", "KP-MRD-26-999998"], action="acknowledge")
    assert result.done == []
    assert result.skipped == [("KP-MRD-26-999998", "not found in your jurisdiction")]
