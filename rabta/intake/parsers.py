"""Platform payload parsers: raw bytes in, one normalised message out.

Each channel kind parses its own documented payload. Only the public web form exists so far; the
platform channels (WhatsApp, Messenger, X, Telegram, SMS, e-mail) add their parsers here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
        sender_phone=str(data.get("phone", "")),
        sender_email=str(data.get("email", "")),
        hints={
            key: data[key]
            for key in ("district", "confidential", "language", "attachments")
            if key in data and data[key] not in (None, "")
        },
    )


_PARSERS = {"web_form": _web_form}


def parse(kind: str, body: bytes, headers: dict[str, str]) -> ParsedMessage:
    parser = _PARSERS.get(kind)
    if parser is None:
        raise NotAMessage(f"no parser for channel kind {kind!r} yet")
    return parser(body)
