"""Opening cases from inbound messages, a batch at a time.

Intake hands over the messages of a batch of deliveries (one transaction). For each message the
triage engine runs (the whole batch at once), then the message joins its conversation's open case
or opens a new one: placed, routed, clocked, auto-assigned inside a desk. Everything the batch
writes goes in with a handful of statements whatever its size: the cases, their timeline steps,
one audit entry per opened case (one round trip for all), the notifications in the outbox and the
console events, all in the caller's transaction (a transactional outbox: a notification exists
exactly when its case does). After commit one task delivers the batch's notifications and one
wake-up tells the open consoles.

Two phases, because a message row needs its case and a case's timeline needs its message:
`open_or_join_cases` (before the messages are written) and `record_openings` (after).
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from rabta.cases import policy
from rabta.cases.models import Case, CaseEvent, CaseRefCounter, ConsoleEvent
from rabta.core import audit
from rabta.core.bulk import insert_many, insert_rows
from rabta.intake.models import Contact, Conversation, Message
from rabta.org.models import District, PoliceStation, PostHolding

TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


def _tracking_code() -> str:
    """8 characters from TRACKING_ALPHABET (32 of them: 5 random bits each, 40 in all)."""
    bits = int.from_bytes(secrets.token_bytes(5), "big")
    return "".join(TRACKING_ALPHABET[(bits >> (5 * i)) & 31] for i in range(8))


@dataclass
class Incoming:
    """A citizen's message about to be stored: what opening needs of it."""

    conversation: Conversation
    contact: Contact
    channel_kind: str
    text: str
    hints: dict[str, Any] = field(default_factory=dict)


@dataclass
class Opening:
    """Where one message went: its case, and whether this batch opened it."""

    case: Case
    opened: bool
    result: dict[str, Any]
    decision: policy.Routed | None = None
    assigned_to: str = ""


def _place(cache: policy.RouteCache, result: dict[str, Any], hints: dict[str, Any]) -> tuple[District | None, PoliceStation | None]:
    """The case's district (the channel's hint first, else the triage engine's) and station."""
    district = cache.district(slug=str(hints["district"])) if hints.get("district") else None
    if district is None and result.get("district"):
        district = cache.district(name=str(result["district"]))
    station = None
    if district is not None and result.get("police_station"):
        station = cache.station(district, str(result["police_station"]))
    return district, station


def _allocate_refs(keys: list[str]) -> list[int]:
    """The next case numbers for these counter keys (one per entry, in order).

    On PostgreSQL each key (district and year, e.g. MRD-26) has a sequence: `nextval` takes no lock
    that lasts to the end of the transaction, so two workers opening Mardan cases at once never
    wait on each other (a counter row would hold its lock until the batch commits, and the batches
    would go one at a time). A batch that rolls back leaves a gap in the numbers; a number is
    never given twice. A key's sequence starts after the CaseRefCounter value, where cases were
    numbered before. Elsewhere (SQLite, one writer at a time) the counter row is the sequence.
    """
    wanted: dict[str, int] = defaultdict(int)
    for key in keys:
        wanted[key] += 1
    given = _from_sequences(wanted) if connection.vendor == "postgresql" else _from_counters(wanted)
    numbers = []
    for key in keys:
        numbers.append(given[key].pop(0))
    return numbers


def _sequence_name(key: str) -> str:
    return "case_ref_" + re.sub(r"[^a-z0-9]+", "_", key.lower())


def _from_sequences(wanted: dict[str, int]) -> dict[str, list[int]]:
    names = {key: _sequence_name(key) for key in wanted}
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NULL", [sorted(names.values())])
        missing = {row[0] for row in cursor.fetchall()}
        for key, name in sorted(names.items()):
            if name in missing:
                _create_sequence(cursor, key, name)
        cursor.execute(
            "SELECT k, nextval(n) FROM unnest(%s::text[], %s::text[], %s::int[]) AS t(k, n, c), generate_series(1, c)",
            [list(names), list(names.values()), [wanted[k] for k in names]],
        )
        given: dict[str, list[int]] = defaultdict(list)
        for key, number in cursor.fetchall():
            given[key].append(number)
    return {key: sorted(values) for key, values in given.items()}


def _create_sequence(cursor: Any, key: str, name: str) -> None:
    """Create a key's sequence, once, starting after any number the counter table gave out."""
    from django.db import DatabaseError

    start = (CaseRefCounter.objects.filter(key=key).values_list("value", flat=True).first() or 0) + 1
    quoted = connection.ops.quote_name(name)
    try:
        with transaction.atomic():  # a savepoint: another worker creating it at the same moment is no error
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {quoted} START WITH {int(start)} MINVALUE 1")
    except DatabaseError:
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is None:
            raise


def _from_counters(wanted: dict[str, int]) -> dict[str, list[int]]:
    CaseRefCounter.objects.bulk_create([CaseRefCounter(key=k, value=0) for k in sorted(wanted)], ignore_conflicts=True)
    table = connection.ops.quote_name(CaseRefCounter._meta.db_table)
    given: dict[str, list[int]] = {}
    with connection.cursor() as cursor:
        for key in sorted(wanted):  # a fixed order: two batches never wait on each other's counters crosswise
            cursor.execute(f"UPDATE {table} SET value = value + %s WHERE key = %s RETURNING value", [wanted[key], key])  # noqa: S608
            last = cursor.fetchone()[0]
            given[key] = list(range(last - wanted[key] + 1, last + 1))
    return given


def _auto_assign(openings: list[Opening]) -> None:
    """Fair auto-assignment inside a desk: round robin over its officers, each up to a cap of open cases."""
    from rabta.routing.policy import MemberLoad, assign_round_robin

    by_post: dict[int, list[Opening]] = defaultdict(list)
    for opening in openings:
        if opening.decision is not None and opening.decision.post.is_desk:
            by_post[opening.case.post_id].append(opening)
    for post_id, items in by_post.items():
        holders = {
            h.user.get_username(): h.user
            for h in PostHolding.objects.filter(post_id=post_id, ended_at__isnull=True).select_related("user")
        }
        if len(holders) < 2:
            continue
        names = {user.pk: name for name, user in holders.items()}
        loads: dict[str, int] = {  # each holder's open cases at this desk
            names[user_id]: n
            for user_id, n in Case.objects.filter(assignee_id__in=names, post_id=post_id, status__in=policy.OPEN_STATUSES)
            .values_list("assignee_id").annotate(n=Count("pk"))
        }
        last = (
            Case.objects.filter(post_id=post_id, assignee__isnull=False)
            .order_by("-opened_at").values_list("assignee__username", flat=True).first()
        )
        for opening in items:
            chosen = assign_round_robin([MemberLoad(u, loads.get(u, 0)) for u in holders], last, settings.RABTA_DESK_CAP)
            if chosen is None:
                continue
            opening.case.assignee = holders[chosen]
            opening.assigned_to = chosen
            loads[chosen] = loads.get(chosen, 0) + 1
            last = chosen


def open_or_join_cases(items: list[Incoming], *, now: datetime | None = None) -> list[Opening]:
    """Triage each message and join its conversation's open case, or open, route and clock a new one.

    Runs inside the caller's transaction. Messages of one conversation in the batch go to one case.
    """
    from rabta.triage import Engine

    if not items:
        return []
    now = now or timezone.now()
    results = Engine.default().triage_many([i.text for i in items], channels=[i.channel_kind for i in items])
    conversation_ids = sorted({i.conversation.pk for i in items})
    open_cases: dict[int, Case] = {}
    for case in (
        Case.objects.select_for_update(of=("self",))
        .filter(conversation_id__in=conversation_ids, status__in=policy.OPEN_STATUSES)
        .select_related("region", "district")
        .order_by("opened_at", "pk")
    ):
        open_cases[case.conversation_id] = case  # the newest open case of each conversation wins

    routes = policy.route_cache()
    openings: list[Opening] = []
    new: list[Opening] = []
    year = timezone.localtime(now).year
    for item, result in zip(items, results, strict=True):
        existing = open_cases.get(item.conversation.pk)
        if existing is not None:
            openings.append(Opening(existing, opened=False, result=result))
            continue
        sensitive = bool(result["sensitive"] or item.hints.get("confidential"))
        district, station = _place(routes, result, item.hints)
        decision = policy.route(
            category=result["category"], urgency=result["urgency"], sensitive=sensitive, district=district, station=station,
            is_rti=policy.looks_like_rti(item.text, result), cache=routes,
        )
        case = Case(
            ref="",
            tracking_code=_tracking_code(),
            status=Case.Status.ROUTED,
            category=result["category"],
            urgency=result["urgency"],
            language=result["language"],
            sensitive=sensitive,
            region=district.region if district else None,
            district=district,
            station=station,
            post=decision.post,
            contact=item.contact,
            conversation=item.conversation,
            summary=result["redacted_text"][:2000],
            triage=result,
            routing=decision.as_dict(),
            opened_at=now,
            **policy.deadlines(category=result["category"], urgency=result["urgency"], opened_at=now, is_rti=decision.is_rti),
        )
        opening = Opening(case, opened=True, result=result, decision=decision)
        open_cases[item.conversation.pk] = case
        openings.append(opening)
        new.append(opening)

    if new:
        keys = [f"{o.case.district.code if o.case.district else 'CPO'}-{year % 100:02d}" for o in new]
        for opening, key, number in zip(new, keys, _allocate_refs(keys), strict=True):
            opening.case.ref = f"KP-{key}-{number:06d}"
        _auto_assign(new)
        insert_many([o.case for o in new])
    return openings


def record_openings(openings: list[Opening], messages: list[Message]) -> list[int]:
    """The timeline, audit, notifications and console events of a batch. Returns the outbox ids' cases.

    A case opened from an SMS channel also gets the citizen's acknowledgement (the reference, and
    the status page link unless the case is sensitive), written with the staff notifications.
    """
    from rabta.notify.actions import citizen_acknowledgements, routing_notifications

    now = timezone.now()
    steps: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    console: list[dict[str, Any]] = []
    notices: list[tuple[Case, str]] = []
    acks: list[tuple[Case, Any, str]] = []
    for opening, message in zip(openings, messages, strict=True):
        case, result = opening.case, opening.result
        if not opening.opened:
            steps.append({"case_id": case.pk, "at": now, "kind": "message_received", "data": {"message_id": message.pk}})
            console.append({"case_id": case.pk, "kind": "case.message"})
            continue
        decision = opening.decision
        assert decision is not None
        steps.append({"case_id": case.pk, "at": now, "kind": "opened", "data": {"message_id": message.pk, "channel": message.channel.kind},
                      "public": True})
        steps.append({"case_id": case.pk, "at": now, "kind": "triaged", "data": {
            "result": {k: result[k] for k in ("language", "category", "urgency", "district", "sensitive")},
            "reasons": result.get("reasons", []), "ruleset": result.get("ruleset", "")}})
        steps.append({"case_id": case.pk, "at": now, "kind": "routed", "text": decision.reason, "data": decision.as_dict(), "public": True})
        if opening.assigned_to:
            steps.append({"case_id": case.pk, "at": now, "kind": "assigned", "data": {"to": opening.assigned_to, "by": "round robin"}})
        entries.append({
            "actor": None, "actor_label": "system:intake", "action": "case.opened", "obj": case,
            "after": {"post": decision.post.code, "category": case.category, "urgency": case.urgency, "sensitive": case.sensitive,
                      "rule": decision.rule_id},
            **case.audit_codes(),
        })
        console.append({"case_id": case.pk, "kind": "case.opened"})
        notices.extend((case, code) for code in (decision.post.code, *decision.also_notify))
        acks.append((case, message.channel, case.contact.phone))
    insert_rows(CaseEvent, steps)
    # Only opened cases get notices and acknowledgements, and this transaction opened them all.
    case_ids = routing_notifications(notices, reason="case.routed", also=citizen_acknowledgements(acks, now=now))
    insert_rows(ConsoleEvent, console)
    audit.record_many(entries)  # last: it holds the audit chain's lock to the commit
    transaction.on_commit(_after_commit(case_ids))
    return case_ids


def _after_commit(case_ids: list[int]) -> Any:
    def run() -> None:
        from rabta.cases.live import wake_consoles
        from rabta.notify.actions import queue_case_notifications

        if case_ids:
            queue_case_notifications(case_ids)
        wake_consoles()

    return run
