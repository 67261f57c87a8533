"""SMS: phone numbers, Twilio's signature, and the generic aggregator's field mapping.

Plain Python (no Django): the receivers (Django view and the fast ASGI path) and the parsers
(the worker) both read SMS deliveries through here, so they agree on every field.

Local aggregators in Pakistan each post their own callback, form-encoded or JSON, with their own
field names. A channel of kind `sms` says how to read its aggregator in `Channel.config`:

    {"format": "form" | "json",
     "fields": {"from": "msisdn", "text": "message", "id": "msg_id", "to": "shortcode", "at": "timestamp"},
     "signature_header": "X-Signature",
     "send_url": "https://aggregator.example/send"}

Everything is optional (`SMS_DEFAULTS` fills the gaps). JSON field names may be dotted paths
("data.msisdn"). The signature is the hex HMAC-SHA256 of the raw body with the channel's secret,
with or without a `sha256=` prefix. `send_url` is where SMS to citizens go out
(rabta/notify/senders.py; else the channel's api_base, else RABTA_SMS_GATEWAY_URL).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

SMS_FIELDS = ("from", "text", "id", "to", "at")
SMS_DEFAULTS: dict[str, Any] = {
    "format": "form",
    "fields": {"from": "from", "text": "text", "id": "id", "to": "to", "at": "timestamp"},
    "signature_header": "X-Signature",
}
SMS_OUTBOUND_KEYS = ("send_url",)  # read by the sender (rabta/notify/senders.py), not by intake
# Aggregators in Pakistan send local time without a zone more often than not.
LOCAL_TIME = ZoneInfo("Asia/Karachi")
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def latin_digits(text: str) -> str:
    """Urdu/Pashto (Extended Arabic-Indic) and Arabic-Indic digits as 0-9."""
    return text.translate(_DIGITS)


def normalise_phone(raw: str) -> str:
    """A Pakistani number as +92XXXXXXXXXX whichever way it was written; others as +digits or digits.

    0300-1234567, 03001234567, 3001234567, 923001234567, 0092 300 1234567 and +92 300 1234567 are
    all +923001234567. A short code (8181) stays as it is.
    """
    text = latin_digits(raw or "").strip()
    plus = text.startswith("+")
    digits = re.sub(r"\D", "", text)
    if not digits:
        return ""
    if digits.startswith("0092"):
        return "+" + digits[2:]
    if plus:
        return "+" + digits
    if digits.startswith("92") and len(digits) == 12:
        return "+" + digits
    if digits.startswith("03") and len(digits) == 11:
        return "+92" + digits[1:]
    if digits.startswith("3") and len(digits) == 10:
        return "+92" + digits
    if digits.startswith("00") and len(digits) > 6:
        return "+" + digits[2:]
    return digits


class SmsConfigError(ValueError):
    """A channel's SMS mapping that cannot work; the message says how to fix it."""


@dataclass(frozen=True)
class SmsConfig:
    format: str
    fields: Mapping[str, str]
    signature_header: str


def sms_config(config: Mapping[str, Any] | None) -> SmsConfig:
    """The channel's mapping merged over the defaults; SmsConfigError names what is wrong."""
    given = dict(config or {})
    unknown = sorted(set(given) - set(SMS_DEFAULTS) - set(SMS_OUTBOUND_KEYS))
    if unknown:
        raise SmsConfigError(f"unknown SMS config keys {unknown}; allowed: {sorted([*SMS_DEFAULTS, *SMS_OUTBOUND_KEYS])}")
    send_url = given.get("send_url", "")
    if send_url and (not isinstance(send_url, str) or not re.match(r"https?://[^/\s]+", send_url)):
        raise SmsConfigError(f'SMS config "send_url" must be an http(s) URL such as https://aggregator.example/send, not {send_url!r}')
    fmt = given.get("format", SMS_DEFAULTS["format"])
    if fmt not in ("form", "json"):
        raise SmsConfigError(f'SMS config "format" must be "form" or "json", not {fmt!r}')
    fields = given.get("fields") or {}
    if not isinstance(fields, Mapping):
        raise SmsConfigError('SMS config "fields" must be an object such as {"from": "msisdn", "text": "message"}')
    bad = sorted(set(fields) - set(SMS_FIELDS))
    if bad:
        raise SmsConfigError(f"unknown SMS fields {bad}; map any of {list(SMS_FIELDS)}")
    for name, source in fields.items():
        if not isinstance(source, str) or (name in ("from", "text") and not source.strip()):
            raise SmsConfigError(f'SMS field "{name}" must name the aggregator\'s field as a string')
    header = given.get("signature_header", SMS_DEFAULTS["signature_header"])
    if not isinstance(header, str) or not re.fullmatch(r"[A-Za-z0-9-]+", header):
        raise SmsConfigError(f'SMS config "signature_header" must be an HTTP header name such as X-Signature, not {header!r}')
    return SmsConfig(format=fmt, fields={**SMS_DEFAULTS["fields"], **fields}, signature_header=header)


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def read_sms(body: bytes, config: SmsConfig) -> dict[str, str]:
    """The mapped fields of one aggregator delivery ("" where absent). ValueError if unreadable."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("body is not UTF-8") from exc
    if config.format == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError("body is not JSON") from exc
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object")
        values = {name: _dig(data, source) if source else None for name, source in config.fields.items()}
    else:
        form = dict(parse_qsl(text, keep_blank_values=True))
        values = {name: form.get(source) if source else None for name, source in config.fields.items()}
    return {name: "" if value is None else str(value).strip() for name, value in values.items()}


def signed_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, given: str) -> bool:
    """Hex HMAC-SHA256 of the raw body, with or without `sha256=`, compared in constant time."""
    given = given.strip()
    if given.lower().startswith("sha256="):
        given = given[7:]
    return bool(secret) and hmac.compare_digest(given.lower().encode("ascii", "replace"), signed_hex(secret, body).encode())


def parse_time(raw: str) -> datetime | None:
    """An aggregator's timestamp: Unix seconds or milliseconds, or ISO 8601 (local time if no zone)."""
    raw = latin_digits(raw).strip()
    if not raw:
        return None
    try:
        if re.fullmatch(r"\d{9,13}", raw):
            seconds = int(raw) / (1000 if len(raw) > 11 else 1)
            return datetime.fromtimestamp(seconds, tz=UTC)
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None  # the received time stands in; a bad clock is no reason to lose the message
    return at.replace(tzinfo=LOCAL_TIME) if at.tzinfo is None else at


# Twilio ------------------------------------------------------------------------------------------


def form_params(body: bytes) -> list[tuple[str, str]]:
    """The parameters of a form-encoded body, in order (ValueError if not UTF-8)."""
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError as exc:
        raise ValueError("body is not UTF-8") from exc


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each POST name+value, sorted by name."""
    grouped: dict[str, set[str]] = {}
    for name, value in params:
        grouped.setdefault(name, set()).add(value)
    payload = url + "".join(name + value for name in sorted(grouped) for value in sorted(grouped[name]))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as given, with the default port and without it (Twilio may sign either form)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    variants = [url]
    if parts.port is not None:
        variants.append(urlunsplit(parts._replace(netloc=host)))
    elif default is not None:
        variants.append(urlunsplit(parts._replace(netloc=f"{host}:{default}")))
    return variants


def twilio_signature_matches(auth_token: str, url: str, params: list[tuple[str, str]], given: str) -> bool:
    if not auth_token or not given:
        return False
    expected = given.strip().encode("ascii", "replace")
    return any(hmac.compare_digest(twilio_signature(auth_token, u, params).encode(), expected) for u in _url_variants(url))
