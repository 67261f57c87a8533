"""SMS deliveries through the Django webhook view: stored once, answered per CONTRACTS.md, processed."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client, TestCase, override_settings

from rabta.intake import sms
from rabta.intake.models import Channel, Contact, InboundEvent, Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_url")]
PUBLIC = "https://rabta.example.pk"
TOKEN = "twilio-auth-token"
KEY = "aggregator-hmac-key"
MARDAN_THEFT = "Meri motorcycle kal raat Takht Bhai bazar Mardan se chori ho gayi"


@pytest.fixture
def public_url() -> Any:
    with override_settings(RABTA_PUBLIC_URL=PUBLIC):
        yield


def post_twilio(slug: str, params: dict[str, str], *, token: str = TOKEN) -> Any:
    signature = sms.twilio_signature(token, f"{PUBLIC}/hooks/twilio_sms/{slug}", list(params.items()))
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client().post(
            f"/hooks/twilio_sms/{slug}", data=urlencode(params), content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )


def post_sms(slug: str, body: bytes, *, key: str = KEY, header: str = "X-Signature", content_type: str = "application/x-www-form-urlencoded") -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client().post(f"/hooks/sms/{slug}", data=body, content_type=content_type, headers={header: sms.signed_hex(key, body)})


def test_twilio_sms_is_stored_once_and_becomes_a_case() -> None:
    channel = Channel.objects.create(kind="twilio_sms", slug="main", secret=TOKEN, account="AC1")
    params = {"MessageSid": "SM0001", "AccountSid": "AC1", "From": "+923001234567", "To": "+15005550006", "Body": MARDAN_THEFT}
    first, again = post_twilio("main", params), post_twilio("main", params)
    # Twilio gets TwiML: an empty <Response> (nothing sent back from the webhook itself).
    assert (first.status_code, first["Content-Type"]) == (200, "text/xml")
    assert first.content.decode().startswith('<?xml version="1.0" encoding="UTF-8"?><Response>')
    assert first.content.decode().endswith("</Response>")
    assert "stored 1 duplicates 0" in first.content.decode()
    assert (again.status_code, again["Content-Type"]) == (200, "text/xml")
    assert "stored 0 duplicates 1" in again.content.decode()
    event = InboundEvent.objects.get(channel=channel, platform_id="SM0001")
    assert event.state == "done"
    message = Message.objects.select_related("case", "conversation__contact").get(event=event)
    assert message.conversation.contact.external_id == "+923001234567"
    assert message.conversation.contact.phone == "+923001234567"
    assert message.conversation.thread_key == "tel:+923001234567"
    assert message.case is not None
    assert message.case.ref.startswith("KP-MRD-")


def test_twilio_bad_signature_is_403_and_stores_nothing() -> None:
    Channel.objects.create(kind="twilio_sms", slug="main", secret=TOKEN)
    response = post_twilio("main", {"MessageSid": "SM0002", "From": "+923001234567", "Body": "hi"}, token="not-the-token")
    assert (response.status_code, response.json()) == (403, {"error": "bad or missing signature"})
    assert not InboundEvent.objects.exists()


def test_twilio_status_callback_is_stored_and_ignored() -> None:
    channel = Channel.objects.create(kind="twilio_sms", slug="main", secret=TOKEN)
    response = post_twilio("main", {"MessageSid": "SM0003", "MessageStatus": "delivered", "To": "+923001234567"})
    assert response.status_code == 200
    event = InboundEvent.objects.get(channel=channel)
    assert (event.platform_id, event.state) == ("SM0003:delivered", "ignored")
    assert not Message.objects.exists()


def test_generic_sms_with_a_custom_json_mapping_is_stored_by_its_id() -> None:
    config = {"format": "json", "fields": {"from": "msisdn", "text": "message", "id": "msg_id"}, "signature_header": "X-Jazz-Sign"}
    channel = Channel.objects.create(kind="sms", slug="jazz", secret=KEY, config=config)
    body = json.dumps({"msisdn": "923001234567", "message": MARDAN_THEFT, "msg_id": "j-77"}).encode()
    ok = post_sms("jazz", body, header="X-Jazz-Sign", content_type="application/json")
    assert (ok.status_code, ok.json()) == (200, {"stored": 1, "duplicates": 0})
    assert InboundEvent.objects.get(channel=channel).platform_id == "j-77"
    unsigned = post_sms("jazz", body, header="X-Signature", content_type="application/json")
    assert (unsigned.status_code, unsigned.json()) == (403, {"error": "bad or missing signature"})
    missing = post_sms("jazz", json.dumps({"msisdn": "923001234567"}).encode(), header="X-Jazz-Sign", content_type="application/json")
    assert (missing.status_code, missing.json()) == (400, {"error": "text field 'message' is required"})


def test_generic_sms_becomes_a_case_of_the_phone_and_joins_it_later() -> None:
    Channel.objects.create(kind="sms", slug="agg", secret=KEY)
    first = post_sms("agg", urlencode({"from": "0300-1234567", "text": MARDAN_THEFT, "id": "a-1"}).encode())
    second = post_sms("agg", urlencode({"from": "+923001234567", "text": "Koi jawab nahi mila", "id": "a-2"}).encode())
    assert first.status_code == second.status_code == 200
    messages = list(Message.objects.select_related("case").order_by("pk"))
    assert len(messages) == 2
    assert messages[0].case_id == messages[1].case_id  # one sender, one thread, one open case
    assert Contact.objects.get().external_id == "+923001234567"
