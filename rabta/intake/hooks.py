"""Webhook receivers: verify the signature over the raw bytes, store durably, answer fast.

Answers (CONTRACTS.md): 200 once the delivery is stored (before any processing); 403 for a bad
or missing signature; 400 with {"error": ...} for a malformed delivery; 503 when storage is
unavailable (the platform retries); never 500. A redelivery of the same platform id answers 200
and stores nothing new.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from rabta.intake import actions
from rabta.intake.models import Channel

SIGNATURE_HEADER = "X-Rabta-Signature"
_KEPT_HEADERS = ("Content-Type", "User-Agent", SIGNATURE_HEADER, "X-Request-ID")


class BadSignature(Exception):
    pass


class Malformed(Exception):
    pass


@dataclass(frozen=True)
class Delivery:
    platform_id: str


def _hmac_sha256_hex(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _web_form(channel: Channel, request: HttpRequest, body: bytes) -> list[Delivery]:
    """Rabta's own JSON intake (the portal's API, partner apps): HMAC-SHA256 of the raw body."""
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not channel.secret or not hmac.compare_digest(given, _hmac_sha256_hex(channel.secret, body)):
        raise BadSignature
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Malformed(f"body is not JSON: {exc.__class__.__name__}") from exc
    if not isinstance(data, dict):
        raise Malformed("body must be a JSON object")
    submission = data.get("submission_id")
    if not isinstance(submission, str) or not submission.strip():
        raise Malformed("submission_id is required")
    if not isinstance(data.get("text"), str) or not data["text"].strip():
        raise Malformed("text is required")
    return [Delivery(platform_id=submission.strip())]


RECEIVERS: dict[str, Callable[[Channel, HttpRequest, bytes], list[Delivery]]] = {
    Channel.Kind.WEB_FORM: _web_form,
}


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
def receive(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "POST deliveries here")
    receiver = RECEIVERS.get(kind)
    if receiver is None:
        return _error(404, f"no receiver for channel kind {kind!r}")
    body = request.body
    try:
        channel = Channel.objects.filter(kind=kind, slug=slug, active=True).first()
        if channel is None:
            return _error(404, "no such channel")
        try:
            deliveries = receiver(channel, request, body)
        except BadSignature:
            return _error(403, "bad or missing signature")
        except Malformed as exc:
            return _error(400, str(exc))
        headers = {name: request.headers[name] for name in _KEPT_HEADERS if name in request.headers}
        headers.pop(SIGNATURE_HEADER, None)
        stored = [actions.store_inbound_event(channel=channel, platform_id=d.platform_id, headers=headers, body=body) for d in deliveries]
    except (OperationalError, InterfaceError, DatabaseError):
        return _error(503, "storage unavailable, retry later")
    return JsonResponse({"stored": sum(s.created for s in stored), "duplicates": sum(not s.created for s in stored)})
