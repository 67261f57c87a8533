from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client, TestCase

from rabta.intake.models import Channel, InboundEvent

pytestmark = pytest.mark.django_db
SECRET = "partner-shared-secret"


@pytest.fixture
def channel() -> Channel:
    return Channel.objects.create(kind="web_form", slug="partner-app", secret=SECRET)


def _post(body: bytes, signature: str | None = None, slug: str = "partner-app", *, send_signature: bool = True) -> Any:
    headers = {}
    if send_signature:
        valid = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Rabta-Signature"] = valid if signature is None else signature
    # Run the processing the store queues after commit, as a real commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client().post(f"/hooks/web_form/{slug}", data=body, content_type="application/json", headers=headers)


def test_signed_delivery_is_stored_once_and_processed(channel: Channel) -> None:
    body = json.dumps({"submission_id": "p-1", "text": "Firing in Hayatabad phase 3 right now"}).encode()
    first, second = _post(body), _post(body)
    assert first.status_code == 200
    assert first.json() == {"stored": 1, "duplicates": 0}
    assert second.status_code == 200
    assert second.json() == {"stored": 0, "duplicates": 1}
    event = InboundEvent.objects.get(channel=channel, platform_id="p-1")
    assert bytes(event.body) == body
    assert event.state == "done"  # tests run Celery eagerly: processed on commit
    assert "X-Rabta-Signature" not in event.headers


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "", "sha1=abc"])
def test_bad_or_missing_signature_is_403(channel: Channel, signature: str | None) -> None:
    body = json.dumps({"submission_id": "p-2", "text": "x"}).encode()
    response = _post(body, signature=signature, send_signature=signature is not None)
    assert response.status_code == 403
    assert response.json() == {"error": "bad or missing signature"}
    assert not InboundEvent.objects.filter(platform_id="p-2").exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "body is not JSON: JSONDecodeError"),
        (b"[1, 2]", "body must be a JSON object"),
        (json.dumps({"text": "hello"}).encode(), "submission_id is required"),
        (json.dumps({"submission_id": "p-3", "text": "  "}).encode(), "text is required"),
        (b"\xff\xfe\x00", "body is not JSON: UnicodeDecodeError"),
    ],
)
def test_malformed_delivery_is_400_naming_the_problem(channel: Channel, body: bytes, error: str) -> None:
    response = _post(body)
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert InboundEvent.objects.count() == 0


def test_unknown_channel_and_kind_are_404(channel: Channel) -> None:
    assert _post(b"{}", slug="nope").status_code == 404
    assert Client().post("/hooks/carrier_pigeon/x", data=b"{}", content_type="application/json").status_code == 404


def test_storage_unavailable_is_503_not_500(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("rabta.intake.actions.store_inbound_event", broken)
    body = json.dumps({"submission_id": "p-4", "text": "hello"}).encode()
    response = _post(body)
    assert response.status_code == 503
    assert response.json() == {"error": "storage unavailable, retry later"}
