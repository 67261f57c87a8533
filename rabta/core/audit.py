"""Write and verify the audit trail.

`record` must run inside the caller's transaction so the event commits or rolls back with the
change it describes. The chain head row is locked (SELECT ... FOR UPDATE) so concurrent writers
append one after another and the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from rabta.core.middleware import current_request_id
from rabta.core.models import GENESIS_HASH, AuditChainHead, AuditEvent


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def body_digest(
    *,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    region_code: str,
    district_code: str,
    before: Any,
    after: Any,
    request_id: str,
) -> str:
    """SHA-256 of the event's content in a canonical JSON form."""
    payload = json.dumps(
        [
            _canonical_time(at),
            actor_id,
            actor_label,
            action,
            object_type,
            object_id,
            object_repr,
            region_code,
            district_code,
            before,
            after,
            request_id,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chain_hash(seq: int, prev_hash: str, digest: str) -> str:
    """The event's hash links its sequence number, its predecessor's hash and its content.

    PostgreSQL's rabta_audit_append() computes the same expression in SQL.
    """
    return hashlib.sha256(f"{seq}:{prev_hash}:{digest}".encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON so what is hashed is exactly what the database gives back."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=1, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def _fields(
    *,
    at: datetime,
    request_id: str,
    action: str,
    actor: Any | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    region_code: str = "",
    district_code: str = "",
    actor_label: str = "",
) -> dict[str, Any]:
    """An event's stored fields (everything but its place in the chain) from `record`'s arguments."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return {
        "at": at,
        "actor_id": getattr(actor, "pk", None),
        "actor_label": actor_label or (actor.get_username() if actor is not None else "system"),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr[:200],
        "region_code": region_code,
        "district_code": district_code,
        "before": _jsonable(before),
        "after": _jsonable(after),
        "request_id": request_id,
    }


def record(
    *,
    actor: Any | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    region_code: str = "",
    district_code: str = "",
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the chain. Must be called inside transaction.atomic()."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change it records")
    fields = _fields(
        at=timezone.now(), request_id=current_request_id.get(), actor=actor, action=action, obj=obj, object_type=object_type,
        object_id=object_id, object_repr=object_repr, before=before, after=after, region_code=region_code,
        district_code=district_code, actor_label=actor_label,
    )
    digest = body_digest(**fields)
    if connection.vendor == "postgresql":
        return _append_postgresql(fields, digest)
    head = _lock_head()
    seq = head.seq + 1
    digest_hash = chain_hash(seq, head.hash, digest)
    event = AuditEvent.objects.create(seq=seq, prev_hash=head.hash, hash=digest_hash, **fields)
    AuditChainHead.objects.filter(pk=1).update(seq=seq, hash=digest_hash)
    return event


def record_many(entries: list[dict[str, Any]]) -> int:
    """Append several events, in order, as `record` would one by one (same arguments per entry).

    On PostgreSQL the chain head moves once for all of them: one statement takes the head's lock
    and reserves the sequence numbers, the hashes are chained here (the same expression as the
    database function), one statement inserts the events and one moves the head's hash. A batch
    of 200 openings made 400 updates of the head row through the per-event function. The head
    stays locked to the end of the caller's transaction, so call this as late in it as you can.
    Returns how many were appended.
    """
    if not entries:
        return 0
    if connection.vendor != "postgresql":
        for entry in entries:
            record(**entry)
        return len(entries)
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record_many must run inside the transaction of the changes it records")
    from rabta.core.bulk import insert_rows

    request_id = current_request_id.get()
    at = timezone.now()
    rows: list[tuple[dict[str, Any], str]] = []
    for entry in entries:
        fields = _fields(at=at, request_id=request_id, **entry)
        rows.append((fields, body_digest(**fields)))

    head = AuditChainHead._meta.db_table
    with connection.cursor() as cursor:
        # Taking the head's row lock serialises appenders, so the chain never forks.
        cursor.execute(
            f"INSERT INTO {head} (id, seq, hash) VALUES (1, %s, %s) "  # noqa: S608 - the model's table
            f"ON CONFLICT (id) DO UPDATE SET seq = {head}.seq + EXCLUDED.seq "
            "RETURNING seq, hash",  # the hash is the head's latest, as the statement waited for its lock
            [len(rows), GENESIS_HASH],
        )
        last, prev_hash = cursor.fetchone()
        events = []
        for seq, (fields, digest) in enumerate(rows, start=last - len(rows) + 1):
            digest_hash = chain_hash(seq, prev_hash, digest)
            events.append({"seq": seq, "prev_hash": prev_hash, "hash": digest_hash, **fields})
            prev_hash = digest_hash
        insert_rows(AuditEvent, events)
        cursor.execute(f"UPDATE {head} SET hash = %s WHERE id = 1", [prev_hash])  # noqa: S608
    return len(events)


def _append_postgresql(fields: dict[str, Any], digest: str) -> AuditEvent:
    """One round trip: the database function locks the head, chains, inserts and moves the head."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM rabta_audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s)",
            [
                fields["at"],
                fields["actor_id"],
                fields["actor_label"],
                fields["action"],
                fields["object_type"],
                fields["object_id"],
                fields["object_repr"],
                fields["region_code"],
                fields["district_code"],
                None if fields["before"] is None else json.dumps(fields["before"], ensure_ascii=False),
                None if fields["after"] is None else json.dumps(fields["after"], ensure_ascii=False),
                fields["request_id"],
                digest,
            ],
        )
        row = cursor.fetchone()
    event_id, seq, prev_hash, digest_hash = row
    return AuditEvent(id=event_id, seq=seq, prev_hash=prev_hash, hash=digest_hash, **fields)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    bad_seq: int | None = None
    bad_id: int | None = None


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq", "id").iterator(chunk_size=5000)


def verify_chain() -> VerifyResult:
    """Walk the whole chain; report the first altered, removed or reordered entry."""
    with transaction.atomic():
        head = AuditChainHead.objects.filter(pk=1).first()
        expected_seq = 1
        prev_hash = GENESIS_HASH
        checked = 0
        for event in _events():
            where = {"bad_seq": event.seq, "bad_id": event.pk}
            if event.seq != expected_seq:
                problem = (
                    f"entry id={event.pk} has seq {event.seq} where seq {expected_seq} was expected: "
                    f"{'entries removed' if event.seq > expected_seq else 'entries duplicated or reordered'}"
                )
                return VerifyResult(False, checked, problem, **where)
            if event.prev_hash != prev_hash:
                return VerifyResult(
                    False, checked, f"entry seq={event.seq} id={event.pk} does not link to the entry before it (reordered or removed)", **where
                )
            digest = chain_hash(
                event.seq,
                event.prev_hash,
                body_digest(
                    at=event.at,
                    actor_id=event.actor_id,
                    actor_label=event.actor_label,
                    action=event.action,
                    object_type=event.object_type,
                    object_id=event.object_id,
                    object_repr=event.object_repr,
                    region_code=event.region_code,
                    district_code=event.district_code,
                    before=event.before,
                    after=event.after,
                    request_id=event.request_id,
                ),
            )
            if digest != event.hash:
                return VerifyResult(
                    False, checked, f"entry seq={event.seq} id={event.pk} was altered: its content does not match its hash", **where
                )
            prev_hash = event.hash
            expected_seq += 1
            checked += 1
        last_seq = expected_seq - 1
        head_seq = head.seq if head else 0
        head_hash = head.hash if head else GENESIS_HASH
        if head_seq != last_seq or head_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                f"the chain ends at seq {last_seq} but the head records seq {head_seq}: newest entries removed or head altered",
                bad_seq=last_seq + 1,
            )
        return VerifyResult(True, checked)
