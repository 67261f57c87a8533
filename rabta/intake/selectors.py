"""Intake reads: channels, and contacts scoped to what the actor may see.

A contact is visible to the media cell (operators, supervisors, the DPR director) when one of its
cases is: the case selectors' jurisdiction and sensitive-compartment rules decide, so a contact
known only through a sensitive case is absent for an operator (404 by URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet

from rabta.accounts.models import Role
from rabta.intake.models import Channel, Citizen, Contact, InboundEvent
from rabta.intake.sms import normalise_phone

LINKING_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.DIRECTOR})
SEARCH_LIMIT = 20


def webhook_url(channel: Channel) -> str:
    """Where the platform delivers: RABTA_PUBLIC_URL/hooks/KIND/SLUG (CONTRACTS.md)."""
    return f"{settings.RABTA_PUBLIC_URL.rstrip('/')}/hooks/{channel.kind}/{channel.slug}"


def channel_list() -> QuerySet[Channel]:
    return Channel.objects.order_by("kind", "slug")


def may_link_contacts(actor: Any) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active and actor.role in LINKING_ROLES)


def _visible_contacts(actor: Any) -> QuerySet[Contact]:
    from rabta.cases.models import Case
    from rabta.cases.selectors import visibility_q

    seen = Case.objects.filter(visibility_q(actor), contact_id=OuterRef("pk"))
    return Contact.objects.filter(Exists(seen))


def contact_get(*, actor: Any, pk: int) -> Contact:
    """A contact the actor may see (DoesNotExist otherwise); PermissionDenied for roles that never may."""
    if not may_link_contacts(actor):
        raise PermissionDenied("Contacts are for the media cell: operators, supervisors and the DPR director.")
    return _visible_contacts(actor).select_related("citizen", "channel", "previous_citizen", "linked_by").get(pk=pk)


def citizen_get(*, actor: Any, pk: int) -> Citizen:
    """A citizen with at least one contact the actor may see (DoesNotExist otherwise)."""
    if not may_link_contacts(actor):
        raise PermissionDenied("Contacts are for the media cell: operators, supervisors and the DPR director.")
    return Citizen.objects.filter(pk=pk, pk__in=_visible_contacts(actor).values("citizen_id")).get()


def citizen_contacts(*, actor: Any, citizen: Citizen) -> QuerySet[Contact]:
    """The citizen's identities the actor may see, oldest first."""
    return _visible_contacts(actor).filter(citizen=citizen).select_related("channel").order_by("created_at", "pk")


def citizen_cases(*, actor: Any, citizen: Citizen, limit: int = 50) -> QuerySet[Any]:
    """The citizen's cases on every linked identity, as far as the actor may see them, newest first."""
    from rabta.cases.models import Case
    from rabta.cases.selectors import visibility_q

    qs = Case.objects.filter(visibility_q(actor), contact__citizen=citizen).select_related("contact__channel", "post")
    return qs.order_by("-opened_at", "-pk")[:limit]


def unlink_choices(*, contact: Contact) -> dict[str, bool]:
    """What unlinking can do now: go back to the previous citizen, or become a citizen of its own."""
    return {
        "restore": contact.previous_citizen_id is not None and contact.previous_citizen_id != contact.citizen_id,
        "separate": Contact.objects.filter(citizen_id=contact.citizen_id).exclude(pk=contact.pk).exists(),
    }


@dataclass(frozen=True)
class CitizenMatch:
    citizen: Citizen
    contacts: list[Contact]


def citizen_search(*, actor: Any, query: str, exclude_citizen_id: int | None = None) -> list[CitizenMatch]:
    """Citizens the actor may see, found by phone, name, e-mail, channel id or case reference."""
    from rabta.cases.models import Case
    from rabta.cases.selectors import visibility_q

    query = query.strip()
    if len(query) < 3:
        return []
    match = Q(external_id=query) | Q(email__iexact=query) | Q(display_name__icontains=query) | Q(citizen__display_name__icontains=query)
    phone = normalise_phone(query)
    if sum(ch.isdigit() for ch in phone) >= 7:
        match |= Q(phone=phone) | Q(external_id=phone) | Q(phone=query)
    by_ref = Case.objects.filter(visibility_q(actor), ref=query.upper()).values("contact__citizen_id")
    match |= Q(citizen_id__in=by_ref)
    found = _visible_contacts(actor).filter(match)
    if exclude_citizen_id is not None:
        found = found.exclude(citizen_id=exclude_citizen_id)
    citizen_ids = list(found.order_by("-created_at").values_list("citizen_id", flat=True)[: SEARCH_LIMIT * 5])
    ordered = list(dict.fromkeys(citizen_ids))[:SEARCH_LIMIT]
    citizens = Citizen.objects.in_bulk(ordered)
    contacts: dict[int, list[Contact]] = {pk: [] for pk in ordered}
    for contact in _visible_contacts(actor).filter(citizen_id__in=ordered).select_related("channel").order_by("pk"):
        contacts[contact.citizen_id].append(contact)
    return [CitizenMatch(citizens[pk], contacts[pk]) for pk in ordered if pk in citizens]


def channel_rows() -> Iterator[list[str]]:
    """`rabta channel list`: kind, slug, state, whether a secret is set, webhook URL. Never a credential."""
    for channel in channel_list():
        yield [
            channel.kind, channel.slug, "active" if channel.active else "disabled",
            "secret set" if channel.secret else "no secret", webhook_url(channel),
        ]


def failed_events(*, channel_slug: str = "", since: datetime | None = None, event_ids: list[int] | None = None) -> QuerySet[InboundEvent]:
    """Deliveries that could not be processed, oldest first (for the administrator's CLI: no actor scope)."""
    events = InboundEvent.objects.filter(state=InboundEvent.State.FAILED)
    if channel_slug:
        events = events.filter(channel__slug=channel_slug)
    if since is not None:
        events = events.filter(received_at__gte=since)
    if event_ids is not None:
        events = events.filter(pk__in=event_ids)
    return events.order_by("pk")
