"""Clock checks: warnings before a breach, escalation up the chain on breach.

`check_clocks(now=...)` takes the time as an argument so tests move it freely; the scheduled task
passes the real time. Each warning and each escalation happens once (dedupe keys and the case's
escalation level), however often the check runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from rabta.cases.models import Case, CaseEvent
from rabta.cases.policy import OPEN_STATUSES
from rabta.core import audit

WARN_FRACTION = 0.75


@dataclass(frozen=True)
class ClockReport:
    warned: int
    escalated: int


def _warn_at(opened: datetime, due: datetime) -> datetime:
    return opened + (due - opened) * WARN_FRACTION


def _breached(case: Case, now: datetime) -> str | None:
    if case.acknowledged_at is None and case.ack_due and case.ack_due <= now:
        return "acknowledgement"
    if case.first_reply_at is None and case.reply_due and case.reply_due <= now:
        return "reply"
    if case.resolve_due and case.resolve_due <= now:
        return "resolution"
    return None


def _stored_warn_at(case: Case, key: str, due: datetime) -> datetime | None:
    """The SLA engine's warning time (in the clock's own kind of time: office hours for working-day
    clocks), while the due time is still the one it was computed for."""
    stored = case.clocks or {}
    if stored.get(f"{key}_due") and datetime.fromisoformat(stored[f"{key}_due"]) == due and stored.get(f"{key}_warn_at"):
        return datetime.fromisoformat(stored[f"{key}_warn_at"])
    return None


def _warning(case: Case, now: datetime) -> str | None:
    for name, key, due, done in (
        ("acknowledgement", "ack", case.ack_due, case.acknowledged_at),
        ("reply", "reply", case.reply_due, case.first_reply_at),
        ("resolution", "resolve", case.resolve_due, None),
    ):
        if due and done is None:
            warn_at = _stored_warn_at(case, key, due) or _warn_at(case.opened_at, due)
            if warn_at <= now < due:
                return name
    return None


def escalate_case(*, case_id: int, now: datetime, clock: str) -> bool:
    """Move a breached case one step up its post's chain (SHO → DPO → RPO → DPR complaint cell)."""
    from rabta.notify.actions import notify_post

    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("post__parent", "region", "district").get(pk=case_id)
        level = case.escalation_level
        breached = _breached(case, now)
        if breached is None or case.post.parent is None:
            return False
        # One escalation per breach: the clock restarts against the new post's targets.
        if CaseEvent.objects.filter(case=case, kind="escalated", data__level=level + 1).exists():
            return False
        previous, case.post = case.post, case.post.parent
        case.escalation_level = level + 1
        # The new post gets half the original time again on every clock that was missed.
        for field in ("ack_due", "reply_due", "resolve_due"):
            due = getattr(case, field)
            if due is not None and due <= now:
                setattr(case, field, now + (due - case.opened_at) / 2)
        case.save(update_fields=["post", "escalation_level", "ack_due", "reply_due", "resolve_due", "updated_at"])
        text = f"{breached} deadline missed by {previous.title_en}: escalated to {case.post.title_en}"
        CaseEvent.objects.create(
            case=case, at=now, kind="escalated", text=text, data={"level": level + 1, "from": previous.code, "to": case.post.code, "clock": breached}
        )
        audit.record(actor=None, actor_label="system:clocks", action="case.escalated", obj=case,
                     before={"post": previous.code}, after={"post": case.post.code, "clock": breached},
                     **case.audit_codes())
        post_code, case_pk = case.post.code, case.pk
        transaction.on_commit(lambda: notify_post(case_id=case_pk, post_code=post_code, reason=f"case.escalated.{level + 1}"))
    return True


def warn_case(*, case_id: int, now: datetime, clock: str) -> bool:
    from rabta.notify.actions import notify_post

    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("post").get(pk=case_id)
        if CaseEvent.objects.filter(case=case, kind="clock_warning", data__clock=clock, data__level=case.escalation_level).exists():
            return False
        CaseEvent.objects.create(case=case, at=now, kind="clock_warning", text=f"{clock} deadline is near",
                                 data={"clock": clock, "level": case.escalation_level})
        post_code, case_pk, level = case.post.code, case.pk, case.escalation_level
        transaction.on_commit(lambda: notify_post(case_id=case_pk, post_code=post_code, reason=f"case.warning.{clock}.{level}"))
    return True


def check_clocks(*, now: datetime) -> ClockReport:
    candidates = Case.objects.filter(status__in=OPEN_STATUSES).filter(
        Q(acknowledged_at__isnull=True, ack_due__isnull=False)
        | Q(first_reply_at__isnull=True, reply_due__isnull=False)
        | Q(resolve_due__isnull=False)
    ).only("pk", "opened_at", "ack_due", "reply_due", "resolve_due", "acknowledged_at", "first_reply_at", "clocks")
    warned = escalated = 0
    for case in candidates.iterator(chunk_size=500):
        breached = _breached(case, now)
        if breached:
            escalated += escalate_case(case_id=case.pk, now=now, clock=breached)
            continue
        warning = _warning(case, now)
        if warning:
            warned += warn_case(case_id=case.pk, now=now, clock=warning)
    return ClockReport(warned, escalated)
