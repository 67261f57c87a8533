"""Platform payload parsers: raw bytes in, one normalised message out.

Each channel kind parses its own documented payload. A parser takes the raw body; one that also
needs the channel's settings (the generic SMS mapping in `Channel.config`) is registered in
`_CONFIGURED_PARSERS` and gets them as its second argument.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rabta.intake import sms


class NotAMessage(Exception):
    """A valid delivery that carries no citizen message (a status, a reaction)."""


class MalformedDelivery(ValueError):
    """A delivery that cannot be read."""


@dataclass(frozen=True)
class ParsedMessage:
    sender_id: str
    text: str
    platform_message_id: str = ""
    thread_key: str = ""
    sender_name: str = ""
    sender_phone: str = ""
    sender_email: str = ""
    sent_at: datetime | None = None
    hints: dict[str, Any] = field(default_factory=dict)


def _typed_phone(raw: str) -> str:
    """A number a citizen typed, as +92... when it reads as one (so search and linking find it), else as typed."""
    phone = sms.normalise_phone(raw)
    return phone if sum(ch.isdigit() for ch in phone) >= 7 else raw.strip()


def _web_form(body: bytes) -> ParsedMessage:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedDelivery(f"web form body is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not str(data.get("text", "")).strip():
        raise MalformedDelivery("web form body has no text")
    submission = str(data.get("submission_id", ""))
    return ParsedMessage(
        sender_id=f"web:{submission}",
        text=str(data["text"]),
        platform_message_id=submission,
        thread_key=f"web:{submission}",
        sender_name=str(data.get("name", "")),
        sender_phone=_typed_phone(str(data.get("phone", ""))),
        sender_email=str(data.get("email", "")),
        hints={
            key: data[key]
            for key in ("district", "confidential", "language", "attachments")
            if key in data and data[key] not in (None, "")
        },
    )


def _sms_message(*, phone_raw: str, text: str, message_id: str, sent_at: datetime | None, hints: dict[str, Any]) -> ParsedMessage:
    """An SMS from a phone: the number (as +92...) is the sender, and one thread per number."""
    phone = sms.normalise_phone(phone_raw)
    if not phone:
        raise MalformedDelivery("the SMS has no sender number")
    if not text.strip():
        raise NotAMessage("an SMS without text")
    return ParsedMessage(
        sender_id=phone, text=text, platform_message_id=message_id, thread_key=f"tel:{phone}", sender_phone=phone,
        sent_at=sent_at, hints=hints,
    )


def _twilio_sms(body: bytes) -> ParsedMessage:
    try:
        form = dict(sms.form_params(body))
    except ValueError as exc:
        raise MalformedDelivery(f"Twilio body: {exc}") from exc
    status = form.get("MessageStatus", "")
    if status and status != "received":
        raise NotAMessage(f"a delivery status ({status}) of a message we sent")
    media = int(form["NumMedia"]) if form.get("NumMedia", "").isdigit() else 0
    hints: dict[str, Any] = {"to": form["To"]} if form.get("To") else {}
    if media:
        hints["media_urls"] = [form[f"MediaUrl{i}"] for i in range(media) if form.get(f"MediaUrl{i}")]
    return _sms_message(
        phone_raw=form.get("From", ""), text=form.get("Body", ""), message_id=form.get("MessageSid") or form.get("SmsSid", ""),
        sent_at=None, hints=hints,
    )


def _sms(body: bytes, config: Mapping[str, Any]) -> ParsedMessage:
    try:
        fields = sms.read_sms(body, sms.sms_config(config))
    except ValueError as exc:  # SmsConfigError included
        raise MalformedDelivery(f"SMS delivery: {exc}") from exc
    return _sms_message(
        phone_raw=fields["from"], text=fields["text"], message_id=fields["id"], sent_at=sms.parse_time(fields["at"]),
        hints={"to": fields["to"]} if fields["to"] else {},
    )


_PARSERS: dict[str, Callable[[bytes], ParsedMessage]] = {"web_form": _web_form, "twilio_sms": _twilio_sms}
_CONFIGURED_PARSERS: dict[str, Callable[[bytes, Mapping[str, Any]], ParsedMessage]] = {"sms": _sms}


def parse(kind: str, body: bytes, headers: dict[str, str], *, config: Mapping[str, Any] | None = None) -> ParsedMessage:
    """One delivery's message. `config` is the channel's `Channel.config` (defaults apply without it)."""
    configured = _CONFIGURED_PARSERS.get(kind)
    if configured is not None:
        return configured(body, config or {})
    parser = _PARSERS.get(kind)
    if parser is None:
        raise NotAMessage(f"no parser for channel kind {kind!r} yet")
    return parser(body)
