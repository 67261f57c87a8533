"""Officers acknowledge by SMS: `ACK <ref>` through the generic SMS hook, processed like any delivery."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client, TestCase

from rabta.accounts.models import User
from rabta.cases import actions
from rabta.cases.commands import officer_command, parse_ack
from rabta.cases.models import Case, CaseEvent
from rabta.core.models import AuditEvent
from rabta.intake import actions as intake
from rabta.intake import sms
from rabta.intake.models import Channel, InboundEvent, Message
from rabta.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db
KEY = "aggregator-key"
MARDAN_THEFT = "میرے بھائی کی موٹر سائیکل کل رات تخت بھائی بازار سے چوری ہو گئی، مردان پولیس مدد کرے"
MARDAN_HARASSMENT = "ایک لڑکا مجھے فون پر مسلسل ہراساں کر رہا ہے اور تصویریں وائرل کرنے کی دھمکی دیتا ہے، میں مردان شہر میں رہتی ہوں"


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("ACK KP-MRD-26-000123", "KP-MRD-26-000123"),
        ("ack kp-mrd-26-000123", "KP-MRD-26-000123"),
        ("  Ack   KP MRD 26 123 ", "KP-MRD-26-000123"),
        ("ACK:KP-MRD-26-000123 on my way", "KP-MRD-26-000123"),
        ("ACKKP-MRD-26-000123", "KP-MRD-26-000123"),
        ("ack KP-MRD-۲۶-۰۰۰۱۲۳", "KP-MRD-26-000123"),
        ("Acknowledged KP-CPO-26-000007", "KP-CPO-26-000007"),
        ("ACK", ""),
        ("ack please", ""),
    ],
)
def test_ack_commands_are_read_tolerantly(text: str, ref: str) -> None:
    command = parse_ack(text)
    assert command is not None
    assert command.ref == ref


@pytest.mark.parametrize("text", ["", "Acknowledge my complaint please", "back KP-MRD-26-000123", "Mera case KP-MRD-26-000123 ka kya hua"])
def test_other_texts_are_not_commands(text: str) -> None:
    assert parse_ack(text) is None


def _web_case(text: str, submission: str) -> Case:
    body = json.dumps({"submission_id": submission, "text": text}).encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        stored = intake.store_inbound_event(channel=intake.web_form_channel(), platform_id=submission, headers={}, body=body)
        intake.process_inbound_event(event_id=stored.event.pk)
    case = Message.objects.get(event=stored.event).case
    assert case is not None
    return case


def _officer(username: str, phone: str) -> User:
    user = User.objects.get(username=username)
    user.phone = phone
    user.save(update_fields=["phone"])
    return user


@pytest.fixture
def channel() -> Channel:
    return Channel.objects.create(kind="sms", slug="officers", secret=KEY)


def _sms(text: str, sender: str, sms_id: str) -> Any:
    body = urlencode({"from": sender, "text": text, "id": sms_id}).encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = Client().post(
            "/hooks/sms/officers", data=body, content_type="application/x-www-form-urlencoded", headers={"X-Signature": sms.signed_hex(KEY, body)}
        )
    assert response.status_code == 200
    return InboundEvent.objects.get(platform_id=sms_id)


def _answer(event: InboundEvent) -> OutboxMessage:
    return OutboxMessage.objects.get(dedupe_key=f"sms_command:{event.pk}")


def test_officer_acknowledges_by_sms_end_to_end(channel: Channel) -> None:
    dpo = _officer("dpo_mardan", "0300-1234567")
    case = _web_case(MARDAN_THEFT, "cmd-1")
    assert case.district is not None
    assert case.district.code == "MRD"  # with a Mardan post; the DPO's jurisdiction is the district
    messages_before = Message.objects.count()
    event = _sms(f"ack {case.ref.lower().replace('-', ' ')}", "923001234567", "sms-1")
    case.refresh_from_db()
    assert case.status == Case.Status.ACKNOWLEDGED
    assert case.acknowledged_at is not None
    assert case.assignee == dpo
    assert CaseEvent.objects.filter(case=case, kind="acknowledged", actor=dpo).count() == 1
    assert AuditEvent.objects.filter(action="case.acknowledged", object_id=str(case.pk), actor_id=dpo.pk).count() == 1
    event.refresh_from_db()
    assert event.state == "done"
    assert Message.objects.count() == messages_before  # the officer's SMS is no citizen's message
    answer = _answer(event)
    assert (answer.medium, answer.to_address, answer.user, answer.case) == ("sms", "+923001234567", dpo, case)
    assert answer.body == f"Rabta: {case.ref} acknowledged. Record the action taken in Rabta."
    # The same ACK again changes nothing and says so.
    again = _sms(f"ACK {case.ref}", "+923001234567", "sms-2")
    assert _answer(again).body == f"Rabta: {case.ref} was already acknowledged."
    assert CaseEvent.objects.filter(case=case, kind="acknowledged").count() == 1


def test_an_officer_outside_the_jurisdiction_is_refused(channel: Channel) -> None:
    sho = _officer("sho_hayatabad", "+92 301 7654321")
    case = _web_case(MARDAN_THEFT, "cmd-2")
    event = _sms(f"ACK {case.ref}", "03017654321", "sms-3")
    case.refresh_from_db()
    assert case.acknowledged_at is None
    assert _answer(event).body == f"Rabta: no case {case.ref} that you can acknowledge."
    assert _answer(event).case is None
    refused = AuditEvent.objects.get(action="case.ack_refused", actor_id=sho.pk)
    assert refused.after == {"via": "sms", "reason": "not_allowed"}
    assert refused.district_code == "MRD"
    assert not Case.objects.filter(summary__icontains="ACK").exists()  # never a citizen case


def test_sensitive_case_only_for_the_womens_desk(channel: Channel) -> None:
    _officer("dpo_mardan", "03001234567")
    desk = _officer("womens_desk_mardan", "03111234567")
    case = _web_case(MARDAN_HARASSMENT, "cmd-3")
    assert case.sensitive
    refused = _sms(f"ACK {case.ref}", "03001234567", "sms-4")
    assert _answer(refused).body == f"Rabta: no case {case.ref} that you can acknowledge."
    done = _sms(f"ACK {case.ref}", "03111234567", "sms-5")
    case.refresh_from_db()
    assert case.acknowledged_at is not None
    assert _answer(done).user == desk


@pytest.mark.parametrize(
    ("text", "answer", "reason"),
    [
        ("ACK KP-MRD-26-999999", "Rabta: no case KP-MRD-26-999999 that you can acknowledge.", "not_found"),
        ("ACK", "Rabta: send ACK followed by the case reference, e.g. ACK KP-MRD-26-000123.", "no_ref"),
    ],
)
def test_unknown_reference_or_none_is_refused(channel: Channel, text: str, answer: str, reason: str) -> None:
    dpo = _officer("dpo_mardan", "03001234567")
    event = _sms(text, "03001234567", "sms-6")
    assert _answer(event).body == answer
    assert AuditEvent.objects.get(action="case.ack_refused", actor_id=dpo.pk).after == {"via": "sms", "reason": reason}
    assert not Message.objects.filter(event=event).exists()


def test_a_closed_case_is_not_acknowledged(channel: Channel) -> None:
    dpo = _officer("dpo_mardan", "03001234567")
    case = _web_case(MARDAN_THEFT, "cmd-4")
    actions.close_case(actor=User.objects.get(username="supervisor_cpo"), case=case, outcome="referred")
    event = _sms(f"ACK {case.ref}", "03001234567", "sms-7")
    case.refresh_from_db()
    assert case.acknowledged_at is None
    assert _answer(event).body == f"Rabta: {case.ref} is closed; there is nothing to acknowledge."
    assert AuditEvent.objects.get(action="case.ack_refused", actor_id=dpo.pk).after["reason"] == "closed"


def test_the_answer_speaks_the_officers_language(channel: Channel) -> None:
    dpo = _officer("dpo_mardan", "03001234567")
    dpo.preferred_language = "ur"
    dpo.save(update_fields=["preferred_language"])
    event = _sms("ACK", "03001234567", "sms-8")
    body = _answer(event).body
    assert body != "Rabta: send ACK followed by the case reference, e.g. ACK KP-MRD-26-000123."
    assert "ACK KP-MRD-26-000123" in body


def test_an_ack_from_a_citizen_is_a_citizens_message(channel: Channel) -> None:
    case = _web_case(MARDAN_THEFT, "cmd-5")
    event = _sms(f"ACK {case.ref}", "03450000000", "sms-9")
    case.refresh_from_db()
    assert case.acknowledged_at is None
    assert Message.objects.filter(event=event).exists()
    assert not OutboxMessage.objects.filter(dedupe_key=f"sms_command:{event.pk}").exists()


def test_staff_phone_on_the_web_form_is_not_trusted() -> None:
    _officer("dpo_mardan", "03001234567")
    assert not officer_command(channel_kind="web_form", sender_phone="+923001234567", text="ACK KP-MRD-26-000001", event_id=1)


def test_an_inactive_officer_is_no_officer(channel: Channel) -> None:
    dpo = _officer("dpo_mardan", "03001234567")
    dpo.is_active = False
    dpo.save(update_fields=["is_active"])
    assert not officer_command(channel_kind="sms", sender_phone="+923001234567", text="ACK KP-MRD-26-000001", event_id=1)
