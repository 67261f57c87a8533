"""The core loop without a browser: web form → stored event → triaged, routed, clocked case."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, TestCase
from django.utils import timezone

from rabta.cases import actions, clocks
from rabta.cases.models import Case, CaseEvent, ConsoleEvent, ReplyDraft, TriageCorrection
from rabta.core.models import AuditEvent
from rabta.intake import actions as intake
from rabta.intake.models import InboundEvent, Message
from rabta.notify.models import OutboxMessage
from rabta.org.models import Post

pytestmark = pytest.mark.django_db

URDU_MARDAN = "میرے بھائی کی موٹر سائیکل کل رات تخت بھائی بازار سے چوری ہو گئی، مردان پولیس مدد کرے"
HARASSMENT_MARDAN = "ایک لڑکا مجھے فون پر مسلسل ہراساں کر رہا ہے اور تصویریں وائرل کرنے کی دھمکی دیتا ہے، میں مردان شہر میں رہتی ہوں"


def _submit(text: str, **extra: Any) -> Case:
    payload = {"submission_id": extra.pop("submission_id", f"t-{abs(hash(text)) % 10**9}"), "text": text, **extra}
    body = json.dumps(payload).encode()
    # Run what the actions queue for after commit (notifications, console events) as a commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        stored = intake.store_inbound_event(channel=intake.web_form_channel(), platform_id=payload["submission_id"], headers={}, body=body)
        intake.process_inbound_event(event_id=stored.event.pk)
    message = Message.objects.get(event=stored.event)
    assert message.case is not None
    return message.case


def test_urdu_message_about_mardan_becomes_a_routed_case() -> None:
    case = _submit(URDU_MARDAN)
    assert case.ref.startswith("KP-MRD-")
    assert case.district is not None
    assert case.district.name_en == "Mardan"
    assert case.language == "ur"
    assert case.post.district == case.district
    assert case.routing["reason"]
    assert case.ack_due is not None
    assert case.ack_due > case.opened_at
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["opened", "triaged", "routed"]
    assert AuditEvent.objects.filter(action="case.opened", object_id=str(case.pk), district_code="MRD").exists()
    assert ConsoleEvent.objects.filter(case=case, kind="case.opened").exists()
    holders = case.post.holdings.filter(ended_at__isnull=True).count()
    assert OutboxMessage.objects.filter(case=case, medium="in_app").count() >= holders


def test_redelivery_and_reprocessing_make_nothing_twice() -> None:
    payload = {"submission_id": "dup-1", "text": URDU_MARDAN}
    body = json.dumps(payload).encode()
    first = intake.store_inbound_event(channel=intake.web_form_channel(), platform_id="dup-1", headers={}, body=body)
    second = intake.store_inbound_event(channel=intake.web_form_channel(), platform_id="dup-1", headers={}, body=body)
    assert first.created
    assert not second.created
    assert first.event.pk == second.event.pk
    intake.process_inbound_event(event_id=first.event.pk)
    intake.process_inbound_event(event_id=first.event.pk)
    assert Message.objects.filter(event=first.event).count() == 1
    assert Case.objects.filter(messages__event=first.event).count() == 1
    assert InboundEvent.objects.get(pk=first.event.pk).state == "done"


def test_a_malformed_delivery_is_kept_and_marked() -> None:
    stored = intake.store_inbound_event(channel=intake.web_form_channel(), platform_id="bad-1", headers={}, body=b"\xff\xfe not json")
    good = intake.store_inbound_event(
        channel=intake.web_form_channel(), platform_id="good-1", headers={},
        body=json.dumps({"submission_id": "good-1", "text": "Chori ho gayi Mardan"}).encode(),
    )
    messages = intake.process_inbound_events(event_ids=[stored.event.pk, good.event.pk])
    assert [m.event_id for m in messages] == [good.event.pk]  # the rest of the batch goes on
    event = InboundEvent.objects.get(pk=stored.event.pk)
    assert event.state == "failed"  # kept, raw bytes and all, with the reason: never lost, never retried blindly
    assert "not JSON" in event.last_error
    assert bytes(event.body) == b"\xff\xfe not json"
    assert not Message.objects.filter(event=event).exists()


def test_officer_acknowledges_operator_replies_and_closes(login_as: Any) -> None:
    case = _submit(URDU_MARDAN, submission_id="loop-1")
    from rabta.accounts.models import User

    dpo = User.objects.get(username="dpo_mardan")
    operator = User.objects.get(username="operator_peshawar")
    case = actions.acknowledge_case(actor=dpo, case=case)
    assert case.status == "acknowledged"
    assert case.acknowledged_at is not None
    again = actions.acknowledge_case(actor=dpo, case=case)
    assert again.acknowledged_at == case.acknowledged_at
    draft = actions.reply_to_citizen(actor=operator, case=case, text="آپ کی شکایت درج کر لی گئی ہے۔")
    # An operator's reply waits for a supervisor (RABTA_REPLY_APPROVAL=operators, the default).
    assert isinstance(draft, ReplyDraft)
    actions.approve_reply(actor=User.objects.get(username="supervisor_cpo"), draft=draft)
    case = actions.close_case(actor=operator, case=case, outcome="relief_granted", note="bike recovered")
    assert case.status == "closed"
    assert case.outcome == "relief_granted"
    actions_logged = set(AuditEvent.objects.filter(object_id=str(case.pk), object_type="cases.case").values_list("action", flat=True))
    assert {"case.opened", "case.acknowledged", "case.reply_drafted", "case.reply_approved", "case.replied", "case.closed"} <= actions_logged
    status = Client().get(f"/track/{case.ref}/{case.tracking_code}/")
    assert status.status_code == 200
    body = status.content.decode()
    assert "آپ کی شکایت درج کر لی گئی ہے۔" in body
    assert "Relief granted" in body
    assert Client().get(f"/track/{case.ref}/WRONGCODE/").status_code == 404


def test_sensitive_case_is_compartmented_and_its_openings_audited(login_as: Any) -> None:
    case = _submit(HARASSMENT_MARDAN, submission_id="gbv-1")
    assert case.sensitive
    assert case.post.kind == Post.Kind.WOMENS_DESK
    assert case.district.slug == "mardan"
    for username in ("operator_peshawar", "dpo_mardan", "sho_hayatabad", "pio_cpo"):
        client = login_as(username)
        assert client.get(f"/cases/{case.ref}/").status_code == 404, username
        listing = client.get("/cases/?queue=all").content.decode() + client.get(f"/cases/?q={case.ref}").content.decode()
        assert f'data-ref="{case.ref}"' not in listing, username
        assert client.post(f"/cases/{case.ref}/acknowledge/").status_code == 404, username
    for username in ("womens_desk_mardan", "supervisor_cpo", "auditor"):
        before = AuditEvent.objects.filter(action="case.sensitive_opened", object_id=str(case.pk)).count()
        assert login_as(username).get(f"/cases/{case.ref}/").status_code == 200, username
        opened = AuditEvent.objects.filter(action="case.sensitive_opened", object_id=str(case.pk))
        assert opened.count() == before + 1
        assert opened.order_by("-seq").first().actor_label == username
    status = Client().get(f"/track/{case.ref}/{case.tracking_code}/").content.decode()
    assert case.ref in status
    assert "public-timeline" not in status


def test_auditor_reads_but_cannot_act(login_as: Any) -> None:
    case = _submit(URDU_MARDAN, submission_id="aud-1")
    client = login_as("auditor")
    assert client.get(f"/cases/{case.ref}/").status_code == 200
    assert client.post(f"/cases/{case.ref}/acknowledge/").status_code == 403
    assert Case.objects.get(pk=case.pk).acknowledged_at is None


def test_correction_is_kept_as_training_data(login_as: Any) -> None:
    case = _submit(URDU_MARDAN, submission_id="fix-1")
    client = login_as("operator_peshawar")
    response = client.post(f"/cases/{case.ref}/correct/", {"field": "category", "value": "cybercrime"})
    assert response.status_code == 302
    correction = TriageCorrection.objects.get(case=case)
    assert (correction.field, correction.new_value) == ("category", "cybercrime")
    bad = client.post(f"/cases/{case.ref}/correct/", {"field": "category", "value": "nonsense"})
    assert bad.status_code == 400
    assert "not a valid category" in bad.content.decode()


def test_clock_warns_then_escalates_once() -> None:
    case = _submit(URDU_MARDAN, submission_id="clk-1")
    post, parent = case.post, case.post.parent
    assert parent is not None
    span = case.ack_due - case.opened_at
    report = clocks.check_clocks(now=case.opened_at + span * 0.5)
    assert CaseEvent.objects.filter(case=case, kind="clock_warning").count() == 0
    clocks.check_clocks(now=case.opened_at + span * 0.8)
    clocks.check_clocks(now=case.opened_at + span * 0.85)
    assert CaseEvent.objects.filter(case=case, kind="clock_warning", data__clock="acknowledgement").count() == 1
    breach = case.ack_due + timedelta(minutes=1)
    report = clocks.check_clocks(now=breach)
    assert report.escalated == 1
    case.refresh_from_db()
    assert case.post == parent
    assert case.escalation_level == 1
    assert clocks.check_clocks(now=breach).escalated == 0
    event = CaseEvent.objects.get(case=case, kind="escalated")
    assert event.data["from"] == post.code
    assert event.data["to"] == parent.code
    assert AuditEvent.objects.filter(action="case.escalated", object_id=str(case.pk)).count() == 1
    assert timezone.now() < breach + timedelta(days=30)


def test_export_withholds_sensitive_text_unless_asked_and_audited() -> None:
    import io

    from rabta.intake.export import export_messages

    plain = _submit(URDU_MARDAN, submission_id="exp-1")
    secret = _submit(HARASSMENT_MARDAN, submission_id="exp-2")
    out = io.StringIO()
    export_messages(out=out)
    rows = {r["case_ref"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert rows[plain.ref]["text"] == URDU_MARDAN
    assert rows[secret.ref]["text"] is None
    assert rows[secret.ref]["sensitive"] is True
    assert set(rows[plain.ref]) == {
        "id", "channel", "platform_id", "direction", "received_at", "text", "case_ref", "language", "category", "urgency", "district", "sensitive",
    }
    audited = AuditEvent.objects.filter(action="export.messages_with_sensitive").count()
    out = io.StringIO()
    export_messages(out=out, include_sensitive=True)
    rows = {r["case_ref"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert rows[secret.ref]["text"] == HARASSMENT_MARDAN
    assert AuditEvent.objects.filter(action="export.messages_with_sensitive").count() == audited + 1


def test_forward_assign_and_notes_with_mentions(login_as: Any) -> None:
    from rabta.accounts.models import User

    case = _submit(URDU_MARDAN, submission_id="fwd-1")
    operator = login_as("operator_peshawar")
    target = Post.objects.get(code="dpo-mardan")
    if case.post == target:
        target = Post.objects.get(code="complaint-cell-mardan")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = operator.post(f"/cases/{case.ref}/forward/", {"post": target.pk, "reason": "needs the district's attention"})
    assert response.status_code == 302, response.content.decode()[-1500:]
    case.refresh_from_db()
    assert case.post == target
    assert case.status == "routed"
    assert CaseEvent.objects.filter(case=case, kind="forwarded", public=True).exists()
    assert AuditEvent.objects.filter(action="case.forwarded", object_id=str(case.pk)).exists()
    no_reason = operator.post(f"/cases/{case.ref}/forward/", {"post": target.pk, "reason": ""})
    assert no_reason.status_code == 400
    # Assign to someone who does not hold the post: refused with a clear message.
    outsider = User.objects.get(username="pio_cpo")
    bad = operator.post(f"/cases/{case.ref}/assign/", {"user": outsider.pk})
    assert bad.status_code == 400
    # A note mentioning the DPO notifies the DPO in the console, and never reaches the citizen.
    with TestCase.captureOnCommitCallbacks(execute=True):
        operator.post(f"/cases/{case.ref}/note/", {"text": "@dpo_mardan please look at this today"})
    note = CaseEvent.objects.get(case=case, kind="note")
    assert note.public is False
    assert note.data["mentions"] == ["dpo_mardan"]
    assert OutboxMessage.objects.filter(case=case, user__username="dpo_mardan", subject__contains="mentioned").exists()
    status = Client().get(f"/track/{case.ref}/{case.tracking_code}/").content.decode()
    assert "please look at this today" not in status


def test_desk_cases_are_shared_round_robin() -> None:
    from rabta.accounts.models import Role, User
    from rabta.org.actions import assign_post_holder

    mardan = Post.objects.get(code="womens-desk-mardan").district
    second = User.objects.create_user(username="desk_second", password="x" * 12, role=Role.WOMENS_DESK, district=mardan, region=mardan.region)
    assign_post_holder(actor=User.objects.get(username="supervisor_cpo"), post=Post.objects.get(code="womens-desk-mardan"), user=second)
    assignees = [_submit(f"{HARASSMENT_MARDAN} ({n})", submission_id=f"rr-{n}").assignee.username for n in range(4)]
    assert sorted(set(assignees)) == ["desk_second", "womens_desk_mardan"]
    assert assignees[0] != assignees[1]
    assert assignees[1] != assignees[2]


def test_merge_is_reversible_and_templates_prefill_the_reply(login_as: Any) -> None:
    from rabta.cases.models import ReplyTemplate

    first = _submit(URDU_MARDAN, submission_id="mrg-1")
    second = _submit(URDU_MARDAN + " دوبارہ", submission_id="mrg-2")
    operator = login_as("operator_peshawar")
    assert operator.post(f"/cases/{second.ref}/merge/", {"into": first.ref}).status_code == 302
    second.refresh_from_db()
    assert second.status == "merged"
    assert second.merged_into == first
    assert operator.post(f"/cases/{second.ref}/merge/", {"into": "KP-XXX-26-000001"}).status_code == 400
    assert operator.post(f"/cases/{second.ref}/unmerge/").status_code == 302
    second.refresh_from_db()
    assert second.status == "routed"
    assert second.merged_into is None
    assert list(AuditEvent.objects.filter(object_id=str(second.pk), action__in=["case.merged", "case.unmerged"]).values_list("action", flat=True))
    assert operator.post(f"/cases/{first.ref}/merge/", {"into": first.ref}).status_code == 400
    template = ReplyTemplate.objects.get(name="Received and forwarded", language="ps")
    page = operator.get(f"/cases/{first.ref}/?template={template.pk}").content.decode()
    assert template.text in page
    assert {"en", "ur", "ps"} <= set(ReplyTemplate.objects.values_list("language", flat=True))


def test_a_sensitive_case_escalates_inside_its_compartment() -> None:
    case = _submit(HARASSMENT_MARDAN, submission_id="esc-gbv-1")
    assert case.post.code == "womens-desk-mardan"
    assert case.ack_due is not None
    clocks.check_clocks(now=case.ack_due + timedelta(minutes=1))
    case.refresh_from_db()
    assert case.post.code == "womens-desk-cpo"  # never the DPO, who may not see sensitive cases


def test_working_day_clocks_warn_at_the_engines_time_and_rti_is_ten_working_days() -> None:
    from datetime import datetime

    from rabta.routing.calendar import load_calendar

    case = _submit("Under the KP RTI Act 2013 I request the number of FIRs registered in Charsadda district in 2025.", submission_id="rti-1")
    assert case.routing["rti"] is True
    assert case.post.kind in (Post.Kind.PIO, Post.Kind.DPO)
    assert case.clocks["policy"].startswith("rti")
    assert load_calendar().working_days_between(case.opened_at, case.resolve_due) == 10
    from rabta.accounts.models import User

    actions.acknowledge_case(actor=User.objects.get(username="supervisor_cpo"), case=case)
    warn_at = datetime.fromisoformat(case.clocks["resolve_warn_at"])
    assert case.opened_at + (case.resolve_due - case.opened_at) * 0.75 != warn_at  # office time, not wall time
    late_clocks = ["reply", "resolution"]
    clocks.check_clocks(now=warn_at - timedelta(minutes=1))
    assert not CaseEvent.objects.filter(case=case, kind="clock_warning", data__clock__in=late_clocks).exists()
    clocks.check_clocks(now=warn_at + timedelta(minutes=1))
    assert CaseEvent.objects.filter(case=case, kind="clock_warning", data__clock__in=late_clocks).exists()
