"""Webhook receivers, independent of the web framework that carries them.

A receiver checks one platform's signature over the exact raw bytes and names the deliveries in
the request (a platform may batch several). It never stores and never parses the message for
processing: storage is the caller's (`hooks.py` through Django, `fasthooks.py` straight on
PostgreSQL), parsing is the worker's (`parsers.py`). Both callers give the same answers because
both go through `RECEIVERS` and `HANDSHAKES`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from rabta.intake import sms

SIGNATURE_HEADER = "X-Rabta-Signature"
# Headers worth keeping with the raw delivery (the signature is checked, then dropped).
KEPT_HEADERS = ("Content-Type", "User-Agent", "X-Request-ID")
MAX_BODY_BYTES = 2 * 1024 * 1024


class BadSignature(Exception):
    pass


class Malformed(Exception):
    pass


class ChannelLike(Protocol):
    """What a receiver reads of a channel (a model row or a cached copy)."""

    kind: str
    slug: str
    secret: str
    verify_token: str
    account: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class CachedChannel:
    """A channel's receiving settings, as the fast receiver caches them."""

    pk: int
    kind: str
    slug: str
    secret: str
    verify_token: str
    account: str
    config: Mapping[str, Any] = field(default_factory=dict)  # Channel.config (the generic SMS mapping)


class Headers:
    """Case-insensitive, read-only request headers."""

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = {k.lower(): v for k, v in items.items()}

    def get(self, name: str, default: str = "") -> str:
        return self._items.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def kept(self) -> dict[str, str]:
        """The headers stored with the delivery (never the signature)."""
        return {name: self._items[name.lower()] for name in KEPT_HEADERS if name.lower() in self._items}


@dataclass(frozen=True)
class HookRequest:
    method: str
    url: str  # the full public URL the platform called (Twilio signs it)
    headers: Headers
    query: Mapping[str, list[str]]
    body: bytes

    def param(self, name: str) -> str:
        values = self.query.get(name) or [""]
        return values[0]


@dataclass(frozen=True)
class Delivery:
    platform_id: str
    # The part of the request this delivery is, when a platform batches several in one POST;
    # None stores the whole raw body.
    body: bytes | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _web_form(channel: ChannelLike, request: HookRequest) -> list[Delivery]:
    """Rabta's own JSON intake (the portal's API, partner apps): HMAC-SHA256 of the raw body."""
    given = request.headers.get(SIGNATURE_HEADER)
    if not channel.secret or not hmac.compare_digest(given, hmac_sha256_hex(channel.secret, request.body)):
        raise BadSignature
    try:
        data = json.loads(request.body)
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


def _twilio_sms(channel: ChannelLike, request: HookRequest) -> list[Delivery]:
    """Twilio's form-encoded SMS webhook, signed over the public URL and the sorted POST parameters."""
    given = request.headers.get(sms.TWILIO_SIGNATURE_HEADER)
    if not channel.secret or not given:
        raise BadSignature
    try:
        params = sms.form_params(request.body)
    except ValueError as exc:
        raise Malformed(str(exc)) from exc
    if not sms.twilio_signature_matches(channel.secret, request.url, params, given):
        raise BadSignature
    form = dict(params)
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not sid.strip():
        raise Malformed("MessageSid is required")
    if channel.account and form.get("AccountSid") and form["AccountSid"] != channel.account:
        raise Malformed("AccountSid is not this channel's account")
    status = form.get("MessageStatus", "")
    if status and status != "received":
        # A status callback about a message we sent: its own id, so it never shadows a message.
        return [Delivery(platform_id=f"{sid.strip()}:{status}")]
    return [Delivery(platform_id=sid.strip())]


def _sms(channel: ChannelLike, request: HookRequest) -> list[Delivery]:
    """A Pakistani SMS aggregator's callback, read through the channel's field mapping (see sms.py)."""
    try:
        config = sms.sms_config(channel.config)
    except sms.SmsConfigError as exc:
        raise Malformed(f"channel misconfigured: {exc}") from exc
    if not sms.signature_matches(channel.secret, request.body, request.headers.get(config.signature_header)):
        raise BadSignature
    try:
        fields = sms.read_sms(request.body, config)
    except ValueError as exc:
        raise Malformed(str(exc)) from exc
    if not fields["from"]:
        raise Malformed(f"sender field {config.fields['from']!r} is required")
    if not fields["text"]:
        raise Malformed(f"text field {config.fields['text']!r} is required")
    # Without a message id the body is the identity: the same callback twice is one message.
    platform_id = fields["id"] or "sha256:" + hashlib.sha256(request.body).hexdigest()
    return [Delivery(platform_id=platform_id)]


Receiver = Callable[[ChannelLike, HookRequest], list[Delivery]]
# A handshake answers the platform's GET verification: (status, content type, body).
Handshake = Callable[[ChannelLike, HookRequest], tuple[int, str, bytes]]

RECEIVERS: dict[str, Receiver] = {
    "web_form": _web_form,
    "twilio_sms": _twilio_sms,
    "sms": _sms,
}
HANDSHAKES: dict[str, Handshake] = {}


@dataclass(frozen=True)
class Answer:
    status: int
    payload: dict[str, Any]
    content_type: str = "application/json"
    raw: bytes | None = None  # a body the platform expects instead of JSON (Twilio's TwiML)

    def render(self) -> tuple[int, str, bytes]:
        """Status, content type and body, the same from the Django view and the fast path."""
        body = self.raw if self.raw is not None else json.dumps(self.payload).encode()
        return self.status, self.content_type, body


def _twiml(stored: int, duplicates: int) -> bytes:
    """Twilio reads the answer to a message webhook as TwiML: an empty <Response> sends nothing
    back (the reference goes out through the outbox) and keeps its debugger free of error 12300.
    The comment says what JSON answers say elsewhere."""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><!-- stored {stored} duplicates {duplicates} --></Response>'.encode()


def error(status: int, message: str) -> Answer:
    return Answer(status, {"error": message})


def check(channel: ChannelLike | None, kind: str, request: HookRequest) -> Answer | list[Delivery]:
    """Everything before storage: the channel, the signature, the shape. An Answer ends the request."""
    receiver = RECEIVERS.get(kind)
    if receiver is None:
        return error(404, f"no receiver for channel kind {kind!r}")
    if channel is None:
        return error(404, "no such channel")
    if len(request.body) > MAX_BODY_BYTES:
        return error(413, "delivery too large")
    try:
        deliveries = receiver(channel, request)
    except BadSignature:
        return error(403, "bad or missing signature")
    except Malformed as exc:
        return error(400, str(exc))
    if not deliveries:
        return stored_answer([], kind)
    return deliveries


def stored_answer(created: list[bool], kind: str = "") -> Answer:
    payload = {"stored": sum(created), "duplicates": len(created) - sum(created)}
    if kind == "twilio_sms":
        return Answer(200, payload, content_type="text/xml", raw=_twiml(payload["stored"], payload["duplicates"]))
    return Answer(200, payload)
