"""Intake writes: store a delivery durably, then process it once.

`store_inbound_event` commits the raw delivery in its own transaction before anything else
happens, and queues processing only after that commit. `process_inbound_event` is idempotent:
it locks the event row and does nothing unless the event is still pending, and every row it
creates is guarded by a unique constraint, so a redelivered task or a sweeper's re-queue never
makes a second message or case.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from rabta.core.bulk import insert_many
from rabta.intake import parsers
from rabta.intake.models import Attachment, Channel, Citizen, Contact, Conversation, InboundEvent, Message

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any) -> bool:
    """Queue a task; when the broker is down, say so and carry on.

    The row the task would work on is already committed and stays pending, so the scheduled
    sweeper queues it again once the broker is back. Nothing is lost, and the platform still gets
    its 200.
    """
    try:
        task.delay(*args)
    except Exception as exc:
        logger.warning("broker unavailable, %s(%s) left for the sweeper: %s", task.name, args, exc.__class__.__name__)
        return False
    return True


@dataclass(frozen=True)
class Stored:
    event: InboundEvent
    created: bool


def store_inbound_event(*, channel: Channel, platform_id: str, headers: dict[str, str], body: bytes) -> Stored:
    """Store one delivery durably (its own transaction). A redelivery returns the stored event."""
    from rabta.intake.tasks import process_inbound_event_task

    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                channel=channel, platform_id=platform_id[:255], headers=headers, body=body, received_at=timezone.now()
            )
            transaction.on_commit(lambda: enqueue(process_inbound_event_task, event.pk))
    except IntegrityError:
        existing = InboundEvent.objects.get(channel=channel, platform_id=platform_id[:255])
        return Stored(existing, created=False)
    return Stored(event, created=True)


@dataclass
class _Work:
    event: InboundEvent
    parsed: parsers.ParsedMessage
    contact: Contact | None = None
    conversation: Conversation | None = None


def _by_channel(keys: set[tuple[int, str]], field: str) -> Q:
    """(channel, value) pairs as one condition per channel: `channel = c AND field IN (...)`, OR-ed."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for channel_id, value in sorted(keys):
        grouped[channel_id].append(value)
    where = Q(pk__in=[])
    for channel_id, values in grouped.items():
        where |= Q(channel_id=channel_id, **{f"{field}__in": values})
    return where


def _contacts(work: list[_Work]) -> None:
    """Each sender's contact on its channel: found, or created with a citizen of its own."""
    keys = {(w.event.channel_id, w.parsed.sender_id) for w in work}

    def lookup() -> dict[tuple[int, str], Contact]:
        return {(c.channel_id, c.external_id): c for c in Contact.objects.filter(_by_channel(keys, "external_id"))}

    found = lookup()
    missing = sorted(keys - found.keys())
    if missing:
        first = {}
        for w in work:
            first.setdefault((w.event.channel_id, w.parsed.sender_id), w.parsed)
        citizens = insert_many([Citizen(display_name=first[k].sender_name[:200]) for k in missing])
        insert_many(
            [
                Contact(
                    channel_id=k[0], external_id=k[1], display_name=first[k].sender_name[:200], phone=first[k].sender_phone[:32],
                    email=first[k].sender_email[:254], citizen=citizen,
                )
                for k, citizen in zip(missing, citizens, strict=True)
            ],
            ignore_conflicts=True,  # another batch made it first: theirs is the contact
        )
        found = lookup()
    for w in work:
        w.contact = found[(w.event.channel_id, w.parsed.sender_id)]


def _conversations(work: list[_Work]) -> None:
    """Each message's conversation, created if new, locked for this batch and brought up to date."""
    def key(w: _Work) -> tuple[int, str]:
        assert w.contact is not None
        return (w.event.channel_id, w.parsed.thread_key or f"contact:{w.contact.external_id}")

    latest: dict[tuple[int, str], datetime] = {}
    first: dict[tuple[int, str], _Work] = {}
    for w in work:
        k, at = key(w), w.parsed.sent_at or w.event.received_at
        first.setdefault(k, w)
        latest[k] = max(at, latest.get(k, at))
    # New conversations start with their latest message time; existing ones are moved on below.
    insert_many(
        [Conversation(channel_id=k[0], thread_key=k[1], contact=w.contact, last_message_at=latest[k]) for k, w in sorted(first.items())],
        ignore_conflicts=True,
    )
    # Locked in a fixed order: a second batch with the same conversation waits here, then joins the case.
    found = {
        (c.channel_id, c.thread_key): c
        for c in Conversation.objects.select_for_update().filter(_by_channel(set(first), "thread_key")).order_by("pk")
    }
    changed = []
    for k, conversation in found.items():
        if conversation.last_message_at is None or conversation.last_message_at < latest[k]:
            conversation.last_message_at = latest[k]
            changed.append(conversation)
    if changed:
        Conversation.objects.bulk_update(changed, ["last_message_at"])
    for w in work:
        w.conversation = found[key(w)]


def process_inbound_events(*, event_ids: list[int], fill: int = 0) -> list[Message]:
    """Turn stored deliveries into messages and triaged, routed cases, in one transaction. Idempotent.

    Events already processed, or being processed by another worker right now, are skipped; a
    delivery that cannot be parsed is marked failed with its reason and the rest go on. Any other
    error rolls the whole batch back (nothing half-written) and the caller retries the events one
    by one, so one bad event never holds up the others.

    `fill` tops the batch up to that many events with the oldest other pending ones no worker
    holds. Under load the queue holds many small batches (one per group commit of the webhook
    path); a worker that takes a batch takes the backlog with it, so the batches grow with the
    load and the fixed cost of a transaction is shared. The tasks of the events taken this way
    find them done and finish at once. Events that failed before are never taken along: they go
    alone, through their own task, so one bad event cannot hold a batch back.
    """
    now = timezone.now()
    with transaction.atomic():
        events = _claim(event_ids, fill)
        if not events:
            return []
        try:
            return _process(events, now)
        except Exception as exc:  # rolled back whole; the caller retries these one by one
            raise BatchFailed([e.pk for e in events]) from exc


class BatchFailed(Exception):
    """A batch rolled back; `event_ids` are every event it had taken (its own and the backlog's)."""

    def __init__(self, event_ids: list[int]) -> None:
        super().__init__(f"batch of {len(event_ids)} events rolled back")
        self.event_ids = event_ids


def _claim(event_ids: list[int], fill: int) -> list[InboundEvent]:
    """Lock the given events still pending, topped up from the backlog to `fill`, oldest first."""
    events = list(
        InboundEvent.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("channel")
        .filter(pk__in=event_ids, state=InboundEvent.State.PENDING)
        .order_by("pk")
    )
    if len(events) < fill:
        events += list(
            InboundEvent.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("channel")
            .filter(state=InboundEvent.State.PENDING, last_error="")  # never one that failed before: it goes alone
            .exclude(pk__in=event_ids)
            .order_by("received_at")[: fill - len(events)]
        )
        events.sort(key=lambda e: (e.received_at, e.pk))
    return events


def _process(events: list[InboundEvent], now: datetime) -> list[Message]:
    from rabta.cases.commands import officer_command
    from rabta.cases.opening import Incoming, open_or_join_cases, record_openings

    work: list[_Work] = []
    finished: dict[str, list[int]] = {InboundEvent.State.DONE: [], InboundEvent.State.IGNORED: [], InboundEvent.State.FAILED: []}
    errors: dict[int, str] = {}
    for event in events:
        try:
            parsed = parsers.parse(event.channel.kind, bytes(event.body), event.headers, config=event.channel.config)
        except parsers.NotAMessage as exc:
            finished[InboundEvent.State.IGNORED].append(event.pk)
            errors[event.pk] = str(exc)[:500]
            continue
        except (parsers.MalformedDelivery, ValueError, TypeError, KeyError) as exc:
            finished[InboundEvent.State.FAILED].append(event.pk)
            errors[event.pk] = f"{exc.__class__.__name__}: {exc}"[:2000]
            continue
        if officer_command(channel_kind=event.channel.kind, sender_phone=parsed.sender_phone, text=parsed.text, event_id=event.pk):
            finished[InboundEvent.State.DONE].append(event.pk)
            continue
        work.append(_Work(event, parsed))
    messages: list[Message] = []
    if work:
        _contacts(work)
        _conversations(work)
        openings = open_or_join_cases(
            [
                Incoming(
                    conversation=w.conversation, contact=w.contact,  # type: ignore[arg-type]
                    channel_kind=w.event.channel.kind, text=w.parsed.text, hints=w.parsed.hints,
                )
                for w in work
            ],
            now=now,
        )
        messages = insert_many(
            [
                Message(
                    channel=w.event.channel, conversation=w.conversation, event=w.event, direction=Message.Direction.INBOUND,
                    platform_id=w.parsed.platform_message_id[:255], text=w.parsed.text, at=w.parsed.sent_at or w.event.received_at,
                    case=o.case, redacted_text=o.result["redacted_text"], language=o.result["language"],
                )
                for w, o in zip(work, openings, strict=True)
            ]
        )
        insert_many(
            [
                Attachment(
                    message=message, file=str(item["path"]), original_name=str(item.get("original_name", ""))[:255],
                    content_type=str(item["content_type"]), size=int(item["size"]), sha256=str(item["sha256"]),
                    exif_stripped=bool(item.get("exif_stripped")),
                )
                for w, message in zip(work, messages, strict=True)
                for item in w.parsed.hints.get("attachments", [])
            ]
        )
        record_openings(openings, messages)
        finished[InboundEvent.State.DONE].extend(w.event.pk for w in work)
    for state, ids in finished.items():
        if not ids:
            continue
        if state == InboundEvent.State.DONE:
            InboundEvent.objects.filter(pk__in=ids).update(state=state, processed_at=now, last_error="", attempts=F("attempts") + 1)
        else:
            for pk in ids:
                InboundEvent.objects.filter(pk=pk).update(state=state, processed_at=now, last_error=errors[pk], attempts=F("attempts") + 1)
    return messages


def process_inbound_event(*, event_id: int) -> Message | None:
    """One stored delivery (the portal, the demo, a retry of a failed batch). Safe to call twice.

    Raises what went wrong (the event stays pending).
    """
    try:
        messages = process_inbound_events(event_ids=[event_id])
    except BatchFailed as failed:
        raise (failed.__cause__ or failed) from None
    return messages[0] if messages else None


def record_processing_failure(*, event_id: int, error: str) -> None:
    """Keep the event pending (the sweeper retries it) and note why it failed."""
    InboundEvent.objects.filter(pk=event_id, state=InboundEvent.State.PENDING).update(last_error=error[:2000])


def web_form_channel() -> Channel:
    channel, _ = Channel.objects.get_or_create(
        kind=Channel.Kind.WEB_FORM, slug="portal", defaults={"name": "Public web form"}
    )
    return channel


@transaction.atomic
def requeue_failed_events(
    *, actor_label: str, channel_slug: str = "", since: datetime | None = None, event_ids: list[int] | None = None,
) -> list[int]:
    """Put `failed` deliveries back to `pending` and queue each alone (after a parser fix, say).

    Their stored bodies are processed again exactly as on arrival; each keeps its last error, so
    no batch takes it along, and goes through its own task: one that fails again is marked failed
    again and holds up nothing. Audited (the count and ids, nothing of the contents). Returns the ids.
    """
    from rabta.core import audit
    from rabta.intake.selectors import failed_events
    from rabta.intake.tasks import process_inbound_event_task

    events = failed_events(channel_slug=channel_slug, since=since, event_ids=event_ids).select_for_update(of=("self",))
    ids = list(events.values_list("pk", flat=True))
    if not ids:
        return []
    InboundEvent.objects.filter(pk__in=ids).update(state=InboundEvent.State.PENDING, processed_at=None)
    audit.record(
        actor=None, actor_label=actor_label, action="intake.events_requeued", object_type="intake.inboundevent",
        object_id=str(ids[0]) if len(ids) == 1 else f"{ids[0]}..{ids[-1]}", after={"count": len(ids), "ids": ids[:1000]},
    )
    transaction.on_commit(lambda: [enqueue(process_inbound_event_task, pk) for pk in ids])
    return ids


def pending_event_ids(*, older_than: datetime) -> Iterator[int]:
    """Every event still pending that arrived before `older_than`, oldest first (a partial index serves it)."""
    qs = InboundEvent.objects.filter(state=InboundEvent.State.PENDING, received_at__lt=older_than).order_by("received_at")
    return qs.values_list("pk", flat=True).iterator(chunk_size=2000)




# Channels and contacts: configured by an administrator (the CLI), linked by the media cell. ---------


@dataclass(frozen=True)
class Configured:
    channel: Channel
    created: bool
    changed: list[str]


_CREDENTIALS = ("secret", "verify_token", "token")


@transaction.atomic
def configure_channel(
    *, kind: str, slug: str, name: str | None = None, secret: str | None = None, verify_token: str | None = None,
    token: str | None = None, account: str | None = None, api_base: str | None = None, config: dict[str, Any] | None = None,
    active: bool | None = None, actor: Any = None, actor_label: str = "",
) -> Configured:
    """Create the channel KIND/SLUG or update it with what is given (None leaves a setting as it is).

    ValidationError says what is wrong and how to fix it. The audit entry names the settings that
    changed and, for credentials, only whether they are set: never their values.
    """
    from django.core.exceptions import ValidationError

    from rabta.core import audit

    if kind not in Channel.Kind.values:
        raise ValidationError(f"unknown channel kind {kind!r}; use one of: {', '.join(Channel.Kind.values)}")
    channel = Channel.objects.select_for_update().filter(kind=kind, slug=slug).first()
    created = channel is None
    if channel is None:
        channel = Channel(kind=kind, slug=slug)
    given = {
        "name": name, "secret": secret, "verify_token": verify_token, "token": token, "account": account, "api_base": api_base,
        "config": config, "active": active,
    }
    changed = [field for field, value in given.items() if value is not None and getattr(channel, field) != value]
    for field in changed:
        setattr(channel, field, given[field])
    try:
        channel.full_clean()
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
        raise ValidationError(problems) from exc
    if created or changed:
        channel.save()
        shown = {f: ("set" if getattr(channel, f) else "cleared") if f in _CREDENTIALS else getattr(channel, f) for f in changed}
        audit.record(
            actor=actor, actor_label=actor_label, action="channel.created" if created else "channel.updated", obj=channel, after=shown,
        )
    return Configured(channel, created, changed)


def _contact_audit(contact: Contact, *, actor: Any, action: str, before: int, after: int) -> None:
    """Filed under the district of the contact's latest case, so the auditors there see it; no personal data."""
    from rabta.cases.models import Case
    from rabta.core import audit

    latest = Case.objects.filter(contact=contact).select_related("region", "district").order_by("-opened_at").first()
    codes = latest.audit_codes() if latest is not None else {}
    audit.record(
        actor=actor, action=action, obj=contact, object_repr=f"contact #{contact.pk} ({contact.channel.kind})",
        before={"citizen": before}, after={"citizen": after},
        region_code=codes.get("region_code", ""), district_code=codes.get("district_code", ""),
    )


def _require_linker(actor: Any, contact: Contact) -> None:
    from django.core.exceptions import PermissionDenied

    from rabta.intake import selectors

    try:
        selectors.contact_get(actor=actor, pk=contact.pk)
    except Contact.DoesNotExist as exc:
        raise PermissionDenied("This contact is outside your jurisdiction or compartment.") from exc


@transaction.atomic
def link_contact(*, actor: Any, contact: Contact, citizen: Citizen) -> Contact:
    """Move a contact to another citizen (the same person on another channel); `unlink_contact` undoes it.

    The contact's cases go with it. Both the contact and the citizen must be in the actor's sight.
    """
    from django.core.exceptions import PermissionDenied, ValidationError

    from rabta.intake import selectors

    _require_linker(actor, contact)
    try:
        selectors.citizen_get(actor=actor, pk=citizen.pk)
    except Citizen.DoesNotExist as exc:
        raise PermissionDenied("That citizen is outside your jurisdiction or compartment.") from exc
    contact = Contact.objects.select_for_update().select_related("channel").get(pk=contact.pk)
    if contact.citizen_id == citizen.pk:
        raise ValidationError("This identity already belongs to that citizen.")
    before = contact.citizen_id
    contact.previous_citizen_id, contact.citizen = before, citizen
    contact.linked_by, contact.linked_at = actor, timezone.now()
    contact.save(update_fields=["citizen", "previous_citizen", "linked_by", "linked_at"])
    _contact_audit(contact, actor=actor, action="contact.linked", before=before, after=citizen.pk)
    return contact


@transaction.atomic
def unlink_contact(*, actor: Any, contact: Contact, restore: bool = True) -> Contact:
    """Undo a link: back to the citizen the contact had before (`restore`), or a new citizen of its own."""
    from django.core.exceptions import ValidationError

    _require_linker(actor, contact)
    contact = Contact.objects.select_for_update().select_related("channel").get(pk=contact.pk)
    before = contact.citizen_id
    if restore and contact.previous_citizen_id is not None and contact.previous_citizen_id != before:
        contact.citizen_id = contact.previous_citizen_id
    elif Contact.objects.filter(citizen_id=before).exclude(pk=contact.pk).exists():
        contact.citizen = Citizen.objects.create(display_name=contact.display_name[:200])
    elif restore:
        raise ValidationError("This identity has no earlier citizen to go back to.")
    else:
        raise ValidationError("This identity is already the citizen's only one: there is nothing to separate.")
    contact.previous_citizen, contact.linked_by, contact.linked_at = None, actor, timezone.now()
    contact.save(update_fields=["citizen", "previous_citizen", "linked_by", "linked_at"])
    _contact_audit(contact, actor=actor, action="contact.unlinked", before=before, after=contact.citizen_id)
    return contact
