"""Webhook endpoint through Django (every database; the fast path on PostgreSQL is fasthooks.py).

Answers (CONTRACTS.md): 200 once the delivery is stored (before any processing); 403 for a bad
or missing signature; 400 with {"error": ...} for a malformed delivery; 503 when storage is
unavailable (the platform retries); never 500. A redelivery of the same platform id answers 200
and stores nothing new.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from rabta.intake import actions, receivers
from rabta.intake.models import Channel
from rabta.intake.receivers import Answer, Headers, HookRequest

# Kept for callers that import them from here.
SIGNATURE_HEADER = receivers.SIGNATURE_HEADER


def public_url(path: str, query_string: str) -> str:
    """The URL as the platform called it: RABTA_PUBLIC_URL is what they see (Twilio signs it)."""
    base = settings.RABTA_PUBLIC_URL.rstrip("/")
    return f"{base}{path}?{query_string}" if query_string else f"{base}{path}"


def hook_request(request: HttpRequest) -> HookRequest:
    return HookRequest(
        method=request.method or "GET",
        url=public_url(request.path, request.META.get("QUERY_STRING", "")),
        headers=Headers(dict(request.headers)),
        query={key: request.GET.getlist(key) for key in request.GET},
        body=request.body,
    )


def _json(answer: Answer) -> HttpResponse:
    status, content_type, body = answer.render()
    return HttpResponse(body, status=status, content_type=content_type)


@csrf_exempt
def receive(request: HttpRequest, kind: str, slug: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return _json(receivers.error(405, "POST deliveries here"))
    try:
        hook = hook_request(request)
    except Exception:  # an unreadable body (client went away, too large): nothing to store
        return _json(receivers.error(400, "unreadable request body"))
    try:
        channel = Channel.objects.filter(kind=kind, slug=slug, active=True).first()
        if request.method == "GET":
            handshake = receivers.HANDSHAKES.get(kind)
            if handshake is None or channel is None:
                return _json(receivers.error(405 if channel is not None else 404, "POST deliveries here"))
            status, content_type, body = handshake(channel, hook)
            return HttpResponse(body, status=status, content_type=content_type)
        checked = receivers.check(channel, kind, hook)
        if isinstance(checked, Answer):
            return _json(checked)
        assert channel is not None
        kept = hook.headers.kept()
        stored = [
            actions.store_inbound_event(channel=channel, platform_id=d.platform_id, headers=kept, body=d.body if d.body is not None else hook.body)
            for d in checked
        ]
    except (OperationalError, InterfaceError, DatabaseError):
        return _json(receivers.error(503, "storage unavailable, retry later"))
    return _json(receivers.stored_answer([s.created for s in stored], kind))
