"""Commands officers send over a channel instead of the console (e.g. `ACK <case ref>` by SMS).

Called by intake processing for every parsed inbound message, inside the processing transaction,
before a message would become a citizen's case. Returns True when the message was an officer's
command and has been handled (the delivery then makes no citizen case).

An officer is an active staff user whose phone (accounts `User.phone`, compared as +92...) sent
the message, on a channel whose sender number the platform vouches for (SMS, WhatsApp; never the
web form, where anyone can type any number). `ACK <ref>` acknowledges the case through
`acknowledge_case` as that officer, so the role, jurisdiction and sensitive-compartment rules of
the console apply; the officer gets a confirmation or the reason for a refusal by SMS through the
outbox. A refused command is on the audit trail too (`case.ack_refused`): someone holding an
officer's phone tried to acknowledge a case they may not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from rabta.intake.sms import latin_digits, normalise_phone

# Channel kinds whose sender number is the platform's, not typed in by the sender.
PHONE_CHANNELS = frozenset({"sms", "twilio_sms", "whatsapp"})

_ACK = re.compile(r"^\s*(?P<word>ack(?:nowledged?)?)(?=$|[\s:#.,;-]|kp)(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_REF = re.compile(r"kp[\s._/-]*(?P<code>[a-z]{2,8})[\s._/-]*(?P<yy>\d{2})[\s._/-]*(?P<number>\d{1,6})(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class AckCommand:
    ref: str  # normalised (KP-MRD-26-000123), or "" when the officer gave none we can read


def parse_ack(text: str) -> AckCommand | None:
    """`ACK KP-MRD-26-000123` in any case, spacing or digits (ack kp mrd 26 123, ACK:KP-MRD-26-۰۰۰۱۲۳)."""
    match = _ACK.match(latin_digits(text or ""))
    if match is None:
        return None
    ref = _REF.match(match.group("rest").strip(" \t\r\n:#.,;-"))
    if ref is None:
        # "ACK" alone is a command without its reference; "Acknowledge my complaint" is no command.
        return AckCommand(ref="") if len(match.group("word")) == 3 else None
    return AckCommand(ref=f"KP-{ref.group('code').upper()}-{ref.group('yy')}-{int(ref.group('number')):06d}")


def _officers(phone: str) -> list[Any]:
    """Active staff users whose phone is this number, however it was written in their account."""
    from rabta.accounts.models import User

    tail = phone[-4:]
    candidates = User.objects.filter(is_active=True, phone__contains=tail).order_by("pk") if len(tail) == 4 else User.objects.none()
    return [user for user in candidates if normalise_phone(user.phone) == phone]


def officer_command(*, channel_kind: str, sender_phone: str, text: str, event_id: int) -> bool:
    if channel_kind not in PHONE_CHANNELS or not sender_phone:
        return False
    command = parse_ack(text)
    if command is None:
        return False
    phone = normalise_phone(sender_phone)
    officers = _officers(phone) if phone else []
    if not officers:
        return False  # not staff: a citizen's message, whatever it says
    _acknowledge_by_sms(officers, command, phone=phone, event_id=event_id)
    return True


def _acknowledge_by_sms(officers: list[Any], command: AckCommand, *, phone: str, event_id: int) -> None:
    from rabta.cases import actions, policy
    from rabta.cases.models import Case
    from rabta.cases.selectors import case_visible
    from rabta.core import audit
    from rabta.notify.actions import queue_sms

    case = Case.objects.select_related("region", "district").filter(ref=command.ref).first() if command.ref else None
    # One phone on two accounts (a transferred officer, say): the account that may act on the case acts.
    allowed = [o for o in officers if case is not None and policy.may(o, "acknowledge") and case_visible(actor=o, case=case)]
    officer = (allowed or officers)[0]
    refused = ""
    with translation.override(officer.preferred_language or "en"):
        # Unknown and out-of-bounds references get the same words: a refusal never tells a case exists.
        not_yours = _("Rabta: no case %(ref)s that you can acknowledge.") % {"ref": command.ref}
        if not command.ref:
            refused, answer = "no_ref", _("Rabta: send ACK followed by the case reference, e.g. ACK KP-MRD-26-000123.")
        elif case is None or not allowed:
            refused, answer = ("not_found" if case is None else "not_allowed"), not_yours
        elif not case.is_open:
            refused, answer = "closed", _("Rabta: %(ref)s is closed; there is nothing to acknowledge.") % {"ref": case.ref}
        elif case.acknowledged_at is not None:
            answer = _("Rabta: %(ref)s was already acknowledged.") % {"ref": case.ref}
        else:
            try:
                actions.acknowledge_case(actor=officer, case=case)
            except PermissionDenied:
                refused, answer = "not_allowed", not_yours
            except ValidationError:
                refused, answer = "closed", _("Rabta: %(ref)s is closed; there is nothing to acknowledge.") % {"ref": case.ref}
            else:
                answer = _("Rabta: %(ref)s acknowledged. Record the action taken in Rabta.") % {"ref": case.ref}
    if refused:
        codes = case.audit_codes() if case is not None else {}
        audit.record(
            actor=officer, action="case.ack_refused", object_type="cases.case", object_id=str(case.pk) if case else "",
            object_repr=command.ref or "(no reference)", after={"via": "sms", "reason": refused},
            region_code=codes.get("region_code", ""), district_code=codes.get("district_code", ""),
        )
    queue_sms(dedupe_key=f"sms_command:{event_id}", to=phone, body=answer, user=officer, case=case if case is not None and not refused else None)
