"""SMS to citizens through the channel they wrote on: Twilio's Messages API or a local aggregator.

An outbox row with a `channel` goes out here (a reply, the acknowledgement with the reference);
a row without one is a staff notification and goes through RABTA_SMS_GATEWAY_URL as before.
Every failure raises `SendError` with a message fit for `OutboxMessage.last_error` (the status and
what the platform said): never a credential.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings

TIMEOUT = 10
TWILIO_API = "https://api.twilio.com"
SMS_KINDS = frozenset({"twilio_sms", "sms"})  # the citizen channels whose sender is a phone number


class SendError(RuntimeError):
    """The SMS did not go out; the message says why (and, for a setting, how to fix it)."""


def send(channel: Any, to: str, body: str) -> None:
    """Send one SMS through `channel` (an intake Channel of kind twilio_sms or sms)."""
    if channel.kind == "twilio_sms":
        send_twilio(channel, to, body)
    elif channel.kind == "sms":
        send_gateway(channel, to, body)
    else:
        raise SendError(f"channel {channel.kind}/{channel.slug} cannot send SMS")


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """What the platform said in its error body: Twilio's JSON `message` (and `code`), else a short excerpt."""
    try:
        raw = exc.read(4000)
    except OSError:
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()[:300]
    if isinstance(data, dict) and data.get("message"):
        code = data.get("code")
        return f"{data['message']}" + (f" (Twilio error {code})" if code else "")
    return json.dumps(data)[:300]


def _post(request: urllib.request.Request, what: str) -> None:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - the channel's configured https API
            if not 200 <= response.status < 300:
                raise SendError(f"{what} answered {response.status}")
    except urllib.error.HTTPError as exc:
        detail = _error_detail(exc)
        raise SendError(f"{what} answered {exc.code}" + (f": {detail}" if detail else "")) from None


def send_twilio(channel: Any, to: str, body: str) -> None:
    """POST /2010-04-01/Accounts/{AccountSid}/Messages.json with To, Body and From or MessagingServiceSid."""
    config = channel.config or {}
    sender, service = str(config.get("from") or "").strip(), str(config.get("messaging_service_sid") or "").strip()
    if not channel.account or not channel.secret:
        raise SendError(
            f"Twilio channel {channel.slug} has no account SID or auth token: "
            f"run `rabta channel add --kind twilio_sms --slug {channel.slug} --account AC... --secret <auth token>`"
        )
    if not sender and not service:
        raise SendError(
            f"Twilio channel {channel.slug} has no sender: run `rabta channel add --kind twilio_sms --slug {channel.slug} "
            f"--config '{{\"from\": \"+92...\"}}'` (or '{{\"messaging_service_sid\": \"MG...\"}}')"
        )
    fields = {"To": to, "Body": body}
    if sender:
        fields["From"] = sender
    else:
        fields["MessagingServiceSid"] = service
    base = (channel.api_base or TWILIO_API).rstrip("/")
    url = f"{base}/2010-04-01/Accounts/{quote(channel.account, safe='')}/Messages.json"
    basic = base64.b64encode(f"{channel.account}:{channel.secret}".encode()).decode()
    request = urllib.request.Request(url, data=urlencode(fields).encode(), method="POST", headers={  # noqa: S310
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", "Authorization": f"Basic {basic}"})
    _post(request, "Twilio")


def send_gateway(channel: Any, to: str, body: str) -> None:
    """A local aggregator: JSON {"to", "text"} to config send_url, else api_base, else RABTA_SMS_GATEWAY_URL."""
    url = str((channel.config or {}).get("send_url") or "") or channel.api_base or settings.RABTA_SMS_GATEWAY_URL
    if not url:
        raise SendError(
            f"SMS channel {channel.slug} has no sending URL: run `rabta channel add --kind sms --slug {channel.slug} "
            f"--api-base https://...` (or set send_url in --config, or RABTA_SMS_GATEWAY_URL)"
        )
    headers = {"Content-Type": "application/json"}
    if channel.token:
        headers["Authorization"] = f"Bearer {channel.token}"
    request = urllib.request.Request(url, data=json.dumps({"to": to, "text": body}).encode(), method="POST", headers=headers)  # noqa: S310
    _post(request, "SMS gateway")
