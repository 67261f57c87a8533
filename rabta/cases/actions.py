"""Case writes. Each action: keyword-only arguments, one transaction, timeline + audit inside it."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from rabta.cases import policy
from rabta.cases.models import Case, CaseEvent, CaseRefCounter, TriageCorrection
from rabta.core import audit
from rabta.intake.models import Message
from rabta.org.models import District, PoliceStation

TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


def _event(case: Case, kind: str, *, actor: Any = None, text: str = "", data: dict[str, Any] | None = None, public: bool = False) -> CaseEvent:
    return CaseEvent.objects.create(case=case, at=timezone.now(), kind=kind, actor=actor, text=text, data=data or {}, public=public)


def _next_ref(district: District | None, year: int) -> str:
    code = district.code if district else "CPO"
    key = f"{code}-{year % 100:02d}"
    counter = CaseRefCounter.objects.select_for_update().filter(key=key).first()
    if counter is None:
        CaseRefCounter.objects.bulk_create([CaseRefCounter(key=key, value=0)], ignore_conflicts=True)
        counter = CaseRefCounter.objects.select_for_update().get(key=key)
    counter.value += 1
    counter.save(update_fields=["value"])
    return f"KP-{code}-{year % 100:02d}-{counter.value:06d}"


def _place(result: dict[str, Any], hints: dict[str, Any]) -> tuple[District | None, PoliceStation | None]:
    district = None
    hinted = hints.get("district")
    if hinted:
        district = District.objects.filter(slug=str(hinted)).select_related("region").first()
    if district is None and result.get("district"):
        district = District.objects.filter(name_en=result["district"]).select_related("region").first()
    station = None
    if district is not None and result.get("police_station"):
        name = result["police_station"]
        station = PoliceStation.objects.filter(district=district, name_en__iexact=name).first()
    return district, station


def open_or_join_case(*, message: Message, hints: dict[str, Any] | None = None) -> Case:
    """Triage the message and join the conversation's open case, or open, route and clock a new one.

    Runs inside the caller's transaction (intake processing).
    """
    from rabta.triage import Engine

    hints = hints or {}
    existing = (
        Case.objects.select_for_update()
        .filter(conversation=message.conversation, status__in=policy.OPEN_STATUSES)
        .order_by("-opened_at")
        .first()
    )
    result = Engine.default().triage(message.text, channel=message.channel.kind)
    message.redacted_text = result["redacted_text"]
    message.language = result["language"]
    if existing is not None:
        message.case = existing
        message.save(update_fields=["case", "redacted_text", "language"])
        _event(existing, "message_received", data={"message_id": message.pk})
        policy.after_commit_console_event(existing, "case.message")
        return existing

    sensitive = bool(result["sensitive"] or hints.get("confidential"))
    district, station = _place(result, hints)
    now = timezone.now()
    decision = policy.route(
        category=result["category"], urgency=result["urgency"], sensitive=sensitive, district=district, station=station,
        is_rti=policy.looks_like_rti(message.text, result),
    )
    case = Case.objects.create(
        ref=_next_ref(district, timezone.localtime(now).year),
        tracking_code="".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8)),
        status=Case.Status.ROUTED,
        category=result["category"],
        urgency=result["urgency"],
        language=result["language"],
        sensitive=sensitive,
        region=district.region if district else None,
        district=district,
        station=station,
        post=decision.post,
        contact=message.conversation.contact,
        conversation=message.conversation,
        summary=result["redacted_text"][:2000],
        triage=result,
        routing=decision.as_dict(),
        opened_at=now,
        **policy.deadlines(category=result["category"], urgency=result["urgency"], opened_at=now, is_rti=decision.is_rti),
    )
    message.case = case
    message.save(update_fields=["case", "redacted_text", "language"])
    if decision.post.is_desk:
        _auto_assign(case)
    _event(case, "opened", data={"message_id": message.pk, "channel": message.channel.kind}, public=True, text="")
    _event(case, "triaged", data={"result": {k: result[k] for k in ("language", "category", "urgency", "district", "sensitive")},
                                  "reasons": result.get("reasons", []), "ruleset": result.get("ruleset", "")})
    _event(case, "routed", text=decision.reason, data=decision.as_dict(), public=True)
    audit.record(
        actor=None,
        actor_label="system:intake",
        action="case.opened",
        obj=case,
        after={"post": decision.post.code, "category": case.category, "urgency": case.urgency, "sensitive": sensitive,
               "rule": decision.rule_id},
        **case.audit_codes(),
    )
    policy.after_commit_notify(case, decision)
    policy.after_commit_console_event(case, "case.opened")
    return case


def _auto_assign(case: Case) -> None:
    """Fair auto-assignment inside a desk: round robin over its officers, each up to a cap of open cases."""
    from django.conf import settings
    from django.db.models import Count, Q

    from rabta.org.models import PostHolding
    from rabta.routing.policy import MemberLoad, assign_round_robin

    holders = {
        h.user.get_username(): h.user
        for h in PostHolding.objects.filter(post_id=case.post_id, ended_at__isnull=True).select_related("user")
    }
    if len(holders) < 2:
        return
    loads = dict(
        Case.objects.filter(assignee__username__in=holders, status__in=policy.OPEN_STATUSES)
        .values_list("assignee__username")
        .annotate(n=Count("pk", filter=Q(post_id=case.post_id)))
    )
    last = (
        Case.objects.filter(post_id=case.post_id, assignee__isnull=False).exclude(pk=case.pk)
        .order_by("-opened_at").values_list("assignee__username", flat=True).first()
    )
    chosen = assign_round_robin([MemberLoad(u, loads.get(u, 0)) for u in holders], last, settings.RABTA_DESK_CAP)
    if chosen is not None:
        case.assignee = holders[chosen]
        case.save(update_fields=["assignee"])
        _event(case, "assigned", data={"to": chosen, "by": "round robin"})


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise ValidationError("This case is closed.")


@transaction.atomic
def acknowledge_case(*, actor: Any, case: Case) -> Case:
    policy.require_case_action(actor, case, "acknowledge")
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    if case.acknowledged_at is not None:
        return case  # idempotent: a second click or a second SMS changes nothing
    case.acknowledged_at = timezone.now()
    case.status = Case.Status.ACKNOWLEDGED
    if case.assignee_id is None:
        case.assignee = actor
    case.save(update_fields=["acknowledged_at", "status", "assignee", "updated_at"])
    _event(case, "acknowledged", actor=actor, public=True)
    audit.record(actor=actor, action="case.acknowledged", obj=case, **case.audit_codes())
    policy.after_commit_console_event(case, "case.acknowledged")
    return case


@transaction.atomic
def record_action_taken(*, actor: Any, case: Case, text: str) -> Case:
    policy.require_case_action(actor, case, "act")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Describe the action taken."})
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    if case.acknowledged_at is None:
        case.acknowledged_at = timezone.now()
    case.status = Case.Status.ACTION_TAKEN
    case.save(update_fields=["acknowledged_at", "status", "updated_at"])
    _event(case, "action_taken", actor=actor, text=text[:5000])
    audit.record(actor=actor, action="case.action_taken", obj=case, after={"text": text[:500]}, **case.audit_codes())
    policy.after_commit_console_event(case, "case.action_taken")
    return case


@transaction.atomic
def reply_to_citizen(*, actor: Any, case: Case, text: str) -> Message:
    """An answer to the citizen on the channel they used (the web form: their status page)."""
    policy.require_case_action(actor, case, "reply")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "The reply is empty."})
    case = Case.objects.select_for_update(of=("self",)).select_related("conversation__channel").get(pk=case.pk)
    _require_open(case)
    now = timezone.now()
    message = Message.objects.create(
        channel=case.conversation.channel,
        conversation=case.conversation,
        direction=Message.Direction.OUTBOUND,
        text=text[:5000],
        at=now,
        case=case,
        sent_by=actor,
    )
    if case.first_reply_at is None:
        case.first_reply_at = now
    case.status = Case.Status.REPLIED
    case.save(update_fields=["first_reply_at", "status", "updated_at"])
    _event(case, "replied", actor=actor, text=text[:5000], data={"message_id": message.pk}, public=True)
    audit.record(actor=actor, action="case.replied", obj=case, after={"message_id": message.pk}, **case.audit_codes())
    policy.after_commit_console_event(case, "case.replied")
    return message


@transaction.atomic
def close_case(*, actor: Any, case: Case, outcome: str, note: str = "") -> Case:
    policy.require_case_action(actor, case, "close")
    if outcome not in Case.Outcome.values:
        raise ValidationError({"outcome": "Choose an outcome."})
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    case.status = Case.Status.CLOSED
    case.outcome = outcome
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "outcome", "closed_at", "updated_at"])
    _event(case, "closed", actor=actor, text=note[:2000], data={"outcome": outcome}, public=True)
    audit.record(actor=actor, action="case.closed", obj=case, after={"outcome": outcome}, **case.audit_codes())
    policy.after_commit_console_event(case, "case.closed")
    return case


@transaction.atomic
def reopen_case(*, actor: Any, case: Case, reason: str) -> Case:
    policy.require_case_action(actor, case, "reopen")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the case is reopened."})
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.CLOSED:
        raise ValidationError("Only a closed case can be reopened.")
    case.status = Case.Status.ROUTED
    case.outcome = ""
    case.closed_at = None
    case.save(update_fields=["status", "outcome", "closed_at", "updated_at"])
    _event(case, "reopened", actor=actor, text=reason[:2000], public=True)
    audit.record(actor=actor, action="case.reopened", obj=case, after={"reason": reason[:500]}, **case.audit_codes())
    policy.after_commit_console_event(case, "case.reopened")
    return case


@transaction.atomic
def correct_triage(*, actor: Any, case: Case, field: str, value: str) -> Case:
    """An operator corrects the engine; the correction is kept as training data."""
    policy.require_case_action(actor, case, "correct")
    allowed = policy.CORRECTABLE_FIELDS
    if field not in allowed or value not in allowed[field]:
        raise ValidationError({field if field in allowed else "field": f"{value!r} is not a valid {field}."})
    case = Case.objects.select_for_update().get(pk=case.pk)
    old = str(getattr(case, field))
    if old == value:
        return case
    setattr(case, field, value)
    case.save(update_fields=[field, "updated_at"])
    TriageCorrection.objects.create(case=case, actor=actor, at=timezone.now(), field=field, old_value=old, new_value=value)
    _event(case, "triage_corrected", actor=actor, data={"field": field, "from": old, "to": value})
    audit.record(actor=actor, action="case.triage_corrected", obj=case, before={field: old}, after={field: value}, **case.audit_codes())
    policy.after_commit_console_event(case, "case.updated")
    return case




@transaction.atomic
def forward_case(*, actor: Any, case: Case, post: Any, reason: str) -> Case:
    """Send a case to another post (manual routing); its acknowledgement clock starts again."""
    from rabta.org.models import Post

    policy.require_case_action(actor, case, "forward")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the case is forwarded."})
    if not Post.objects.filter(pk=post.pk, active=True).exists():
        raise ValidationError({"post": "This post is not active."})
    case = Case.objects.select_for_update(of=("self",)).select_related("post", "region", "district").get(pk=case.pk)
    _require_open(case)
    if case.post_id == post.pk:
        raise ValidationError({"post": f"The case is already with {post}."})
    previous = case.post
    now = timezone.now()
    if case.ack_due is not None:
        case.ack_due = now + (case.ack_due - case.opened_at)
    case.post, case.assignee, case.acknowledged_at, case.status = post, None, None, Case.Status.ROUTED
    case.save(update_fields=["post", "assignee", "acknowledged_at", "status", "ack_due", "updated_at"])
    _event(case, "forwarded", actor=actor, text=reason[:2000], data={"from": previous.code, "to": post.code, "post_title": post.title_en},
           public=True)
    audit.record(actor=actor, action="case.forwarded", obj=case, before={"post": previous.code}, after={"post": post.code, "reason": reason[:500]},
                 **case.audit_codes())
    post_code, case_pk = post.code, case.pk
    transaction.on_commit(lambda: policy.notify(case_id=case_pk, post_code=post_code, reason=f"case.forwarded.{now.timestamp()}"))
    policy.after_commit_console_event(case, "case.forwarded")
    return case


@transaction.atomic
def assign_case(*, actor: Any, case: Case, user: Any) -> Case:
    """Give the case to one officer holding its post (assign or reassign)."""
    from rabta.org.models import PostHolding

    policy.require_case_action(actor, case, "forward")
    case = Case.objects.select_for_update(of=("self",)).select_related("region", "district").get(pk=case.pk)
    _require_open(case)
    if not PostHolding.objects.filter(post_id=case.post_id, user=user, ended_at__isnull=True).exists():
        raise ValidationError({"user": f"{user.get_username()} does not hold the post this case is with."})
    previous = case.assignee.get_username() if case.assignee else None
    case.assignee = user
    case.save(update_fields=["assignee", "updated_at"])
    _event(case, "assigned", actor=actor, data={"from": previous, "to": user.get_username()})
    audit.record(actor=actor, action="case.assigned", obj=case, before={"assignee": previous}, after={"assignee": user.get_username()},
                 **case.audit_codes())
    policy.after_commit_console_event(case, "case.assigned")
    return case


MENTION = re.compile(r"@([\w.-]{2,150})")


@transaction.atomic
def add_note(*, actor: Any, case: Case, text: str) -> CaseEvent:
    """An internal note (never shown to the citizen). @mentions notify those who may see the case."""
    from rabta.accounts.models import User
    from rabta.cases.selectors import case_visible

    if not policy.may(actor, "note") or not case_visible(actor=actor, case=case):
        raise PermissionDenied("You may not add notes to this case.")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "The note is empty."})
    case = Case.objects.select_related("region", "district").get(pk=case.pk)
    mentioned = [u for u in User.objects.filter(username__in=set(MENTION.findall(text)), is_active=True) if case_visible(actor=u, case=case)]
    event = _event(case, "note", actor=actor, text=text[:5000], data={"mentions": [u.get_username() for u in mentioned]})
    audit.record(actor=actor, action="case.note_added", obj=case, after={"event": event.pk}, **case.audit_codes())
    ids = [u.pk for u in mentioned if u.pk != actor.pk]
    case_pk, event_pk = case.pk, event.pk
    transaction.on_commit(lambda: policy.notify_users(case_id=case_pk, user_ids=ids, reason=f"case.mention.{event_pk}"))
    policy.after_commit_console_event(case, "case.note")
    return event


@transaction.atomic
def merge_case(*, actor: Any, duplicate: Case, into: Case) -> Case:
    """Fold a duplicate into another open case. Reversible with `unmerge_case`."""
    policy.require_case_action(actor, duplicate, "merge")
    policy.require_case_action(actor, into, "merge")
    rows = Case.objects.select_for_update(of=("self",)).select_related("region", "district").filter(pk__in=[duplicate.pk, into.pk])
    locked = {c.pk: c for c in rows}
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    if duplicate.pk == into.pk:
        raise ValidationError({"into": "A case cannot be merged into itself."})
    _require_open(duplicate)
    _require_open(into)
    if into.sensitive != duplicate.sensitive:
        raise ValidationError({"into": "A sensitive case can only be merged with another sensitive case."})
    previous_status = duplicate.status
    duplicate.status, duplicate.merged_into = Case.Status.MERGED, into
    duplicate.save(update_fields=["status", "merged_into", "updated_at"])
    _event(duplicate, "merged", actor=actor, data={"into": into.ref, "previous_status": previous_status}, public=True,
           text=f"merged into {into.ref}")
    _event(into, "merged_in", actor=actor, data={"from": duplicate.ref})
    audit.record(
        actor=actor, action="case.merged", obj=duplicate, before={"status": previous_status}, after={"into": into.ref}, **duplicate.audit_codes()
    )
    policy.after_commit_console_event(duplicate, "case.merged")
    return duplicate


@transaction.atomic
def unmerge_case(*, actor: Any, case: Case) -> Case:
    policy.require_case_action(actor, case, "merge")
    case = Case.objects.select_for_update(of=("self",)).select_related("region", "district", "merged_into").get(pk=case.pk)
    if case.status != Case.Status.MERGED or case.merged_into is None:
        raise ValidationError("This case is not merged.")
    last = case.events.filter(kind="merged").order_by("-at", "-pk").first()
    previous_status = (last.data.get("previous_status") if last else None) or Case.Status.ROUTED
    into = case.merged_into
    case.status, case.merged_into = previous_status, None
    case.save(update_fields=["status", "merged_into", "updated_at"])
    _event(case, "unmerged", actor=actor, data={"from": into.ref}, public=True)
    _event(into, "merged_out", actor=actor, data={"case": case.ref})
    audit.record(actor=actor, action="case.unmerged", obj=case, before={"into": into.ref}, after={"status": previous_status}, **case.audit_codes())
    policy.after_commit_console_event(case, "case.unmerged")
    return case
