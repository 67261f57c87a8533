"""Intake writes: store a delivery durably, then process it once.

`store_inbound_event` commits the raw delivery in its own transaction before anything else
happens, and queues processing only after that commit. `process_inbound_event` is idempotent:
it locks the event row and does nothing unless the event is still pending, and every row it
creates is guarded by a unique constraint, so a redelivered task or a sweeper's re-queue never
makes a second message or case.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

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


def _contact(channel: Channel, parsed: parsers.ParsedMessage) -> Contact:
    contact = Contact.objects.filter(channel=channel, external_id=parsed.sender_id).first()
    if contact is None:
        citizen = Citizen.objects.create(display_name=parsed.sender_name[:200])
        contact = Contact.objects.create(
            channel=channel,
            external_id=parsed.sender_id,
            display_name=parsed.sender_name[:200],
            phone=parsed.sender_phone[:32],
            email=parsed.sender_email[:254],
            citizen=citizen,
        )
    return contact


def _conversation(channel: Channel, contact: Contact, parsed: parsers.ParsedMessage, at: datetime) -> Conversation:
    conversation, _ = Conversation.objects.get_or_create(
        channel=channel, thread_key=parsed.thread_key or f"contact:{contact.external_id}", defaults={"contact": contact}
    )
    conversation.last_message_at = at
    conversation.save(update_fields=["last_message_at"])
    return conversation


def process_inbound_event(*, event_id: int) -> Message | None:
    """Turn a stored delivery into a message and a triaged, routed case. Safe to call twice."""
    from rabta.cases.actions import open_or_join_case

    with transaction.atomic():
        event = InboundEvent.objects.select_for_update(of=("self",)).select_related("channel").filter(pk=event_id).first()
        if event is None or event.state != InboundEvent.State.PENDING:
            return None
        event.attempts += 1
        try:
            parsed = parsers.parse(event.channel.kind, bytes(event.body), event.headers)
        except parsers.NotAMessage as exc:
            event.state = InboundEvent.State.IGNORED
            event.last_error = str(exc)[:500]
            event.processed_at = timezone.now()
            event.save(update_fields=["state", "attempts", "last_error", "processed_at"])
            return None
        at = parsed.sent_at or event.received_at
        contact = _contact(event.channel, parsed)
        conversation = _conversation(event.channel, contact, parsed, at)
        message = Message.objects.create(
            channel=event.channel,
            conversation=conversation,
            event=event,
            direction=Message.Direction.INBOUND,
            platform_id=parsed.platform_message_id[:255],
            text=parsed.text,
            at=at,
        )
        for item in parsed.hints.get("attachments", []):
            Attachment.objects.create(
                message=message,
                file=str(item["path"]),
                original_name=str(item.get("original_name", ""))[:255],
                content_type=str(item["content_type"]),
                size=int(item["size"]),
                sha256=str(item["sha256"]),
                exif_stripped=bool(item.get("exif_stripped")),
            )
        open_or_join_case(message=message, hints=parsed.hints)
        event.state = InboundEvent.State.DONE
        event.processed_at = timezone.now()
        event.last_error = ""
        event.save(update_fields=["state", "attempts", "last_error", "processed_at"])
    return message


def record_processing_failure(*, event_id: int, error: str) -> None:
    """Keep the event pending (the sweeper retries it) and note why it failed."""
    InboundEvent.objects.filter(pk=event_id, state=InboundEvent.State.PENDING).update(last_error=error[:2000])


def web_form_channel() -> Channel:
    channel, _ = Channel.objects.get_or_create(
        kind=Channel.Kind.WEB_FORM, slug="portal", defaults={"name": "Public web form"}
    )
    return channel


def pending_event_ids(*, older_than: datetime) -> Iterator[int]:
    """Every event still pending that arrived before `older_than`, oldest first (a partial index serves it)."""
    qs = InboundEvent.objects.filter(state=InboundEvent.State.PENDING, received_at__lt=older_than).order_by("received_at")
    return qs.values_list("pk", flat=True).iterator(chunk_size=2000)


