"""SMS deliveries on the PostgreSQL fast path: the same receivers, the same answers as the Django view."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection  # noqa: F401 - read by the skipif condition
from django.test import override_settings

from rabta.intake import fasthooks, sms
from rabta.intake.models import Channel, InboundEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the fast path runs on PostgreSQL only"),
]
PUBLIC = "https://rabta.example.pk"


def _calls(app: Any, *requests: tuple[str, bytes, dict[str, str]]) -> list[tuple[int, Any]]:
    """The requests one after another, on one event loop (the store's pool belongs to the loop)."""

    async def run() -> list[tuple[int, Any]]:
        try:
            return [await _call(app, path, body, headers) for path, body, headers in requests]
        finally:
            # Shut the store down on its own loop, so closing the loop never waits on a pool connection.
            store = app.store
            for writer in store._writers:
                writer.cancel()
            if store._pool is not None:
                await store._pool.close()

    return asyncio.run(run())


async def _call(app: Any, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    scope = {"type": "http", "method": "POST", "path": path, "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    content_type = dict(sent[0]["headers"])[b"content-type"]
    if content_type == b"text/xml":  # Twilio's TwiML answer
        return sent[0]["status"], sent[1]["body"].decode()
    return sent[0]["status"], json.loads(sent[1]["body"])


@pytest.fixture
def app() -> Any:
    async def not_django(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a hook request reached Django")

    with override_settings(RABTA_PUBLIC_URL=PUBLIC):
        yield fasthooks.FastHooks(not_django, fasthooks.Store(fasthooks.conninfo(), enqueue=lambda ids: None))


def test_twilio_sms_on_the_fast_path(app: Any) -> None:
    Channel.objects.create(kind="twilio_sms", slug="fast", secret="tok")
    params = {"MessageSid": "SMF1", "From": "+923001234567", "Body": "Mardan mein chori"}
    signature = sms.twilio_signature("tok", f"{PUBLIC}/hooks/twilio_sms/fast", list(params.items()))
    body = urlencode(params).encode()
    path = "/hooks/twilio_sms/fast"
    answers = _calls(app, (path, body, {"X-Twilio-Signature": signature}), (path, body, {"X-Twilio-Signature": signature}),
                     (path, body, {"X-Twilio-Signature": "bad"}))
    twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><!-- stored {} duplicates {} --></Response>'
    assert answers == [(200, twiml.format(1, 0)), (200, twiml.format(0, 1)), (403, {"error": "bad or missing signature"})]
    assert InboundEvent.objects.get().platform_id == "SMF1"


def test_generic_sms_on_the_fast_path(app: Any) -> None:
    Channel.objects.create(kind="sms", slug="fast", secret="k")
    body = urlencode({"from": "03001234567", "text": "help", "id": "g-1"}).encode()
    answers = _calls(app, ("/hooks/sms/fast", body, {"X-Signature": sms.signed_hex("k", body)}),
                     ("/hooks/sms/fast", b"from=1", {"X-Signature": sms.signed_hex("k", b"from=1")}))
    assert answers == [(200, {"stored": 1, "duplicates": 0}), (400, {"error": "text field 'text' is required"})]


def test_generic_sms_mapping_applies_on_the_fast_path(app: Any) -> None:
    config = {"format": "json", "fields": {"from": "msisdn", "text": "message", "id": "msg_id"}, "signature_header": "X-Jazz-Sign"}
    Channel.objects.create(kind="sms", slug="jazz", secret="k", config=config)
    body = json.dumps({"msisdn": "923001234567", "message": "help", "msg_id": "j-1"}).encode()
    assert _calls(app, ("/hooks/sms/jazz", body, {"X-Jazz-Sign": sms.signed_hex("k", body)})) == [(200, {"stored": 1, "duplicates": 0})]
