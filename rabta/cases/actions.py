"""Case writes. Each action: keyword-only arguments, one transaction, timeline + audit inside it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from rabta.cases import policy
from rabta.cases.models import Case, CaseEvent, ReplyDraft, TriageCorrection
from rabta.core import audit
from rabta.intake.models import Message
from rabta.routing import sla


def _event(case: Case, kind: str, *, actor: Any = None, text: str = "", data: dict[str, Any] | None = None, public: bool = False) -> CaseEvent:
    return CaseEvent.objects.create(case=case, at=timezone.now(), kind=kind, actor=actor, text=text, data=data or {}, public=public)


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
def reply_to_citizen(*, actor: Any, case: Case, text: str) -> Message | ReplyDraft:
    """An answer to the citizen on the channel they used (the web form: their status page).

    When RABTA_REPLY_APPROVAL holds the actor's replies for approval, the answer is kept as a
    `ReplyDraft` instead (returned in place of the message) and nothing reaches the citizen until a
    supervisor approves it (`approve_reply`).
    """
    policy.require_case_action(actor, case, "reply")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "The reply is empty."})
    case = Case.objects.select_for_update(of=("self",)).select_related("conversation__channel", "region", "district").get(pk=case.pk)
    _require_open(case)
    if policy.reply_needs_approval(actor):
        return _draft_reply(case, actor=actor, text=text)
    return _send_reply(case, actor=actor, author=actor, text=text)


def _send_reply(case: Case, *, actor: Any, author: Any, text: str, draft: ReplyDraft | None = None) -> Message:
    """The one sending path: the message to the citizen, the public step, the audit event.

    `actor` is who made it go out (the author, or the supervisor approving the author's draft).
    Runs inside the caller's transaction with the case row locked.
    """
    now = timezone.now()
    message = Message.objects.create(
        channel=case.conversation.channel,
        conversation=case.conversation,
        direction=Message.Direction.OUTBOUND,
        text=text[:5000],
        at=now,
        case=case,
        sent_by=author,
    )
    _sms_reply(case, message)
    if case.first_reply_at is None:
        case.first_reply_at = now
    case.status = Case.Status.REPLIED
    case.save(update_fields=["first_reply_at", "status", "updated_at"])
    data: dict[str, Any] = {"message_id": message.pk}
    after: dict[str, Any] = {"message_id": message.pk}
    if draft is not None:
        data.update(draft=draft.pk, approved_by=actor.get_username())
        after.update(draft=draft.pk, author=author.get_username())
    _event(case, "replied", actor=author, text=text[:5000], data=data, public=True)
    audit.record(actor=actor, action="case.replied", obj=case, after=after, **case.audit_codes())
    policy.after_commit_console_event(case, "case.replied")
    return message


SMS_MAX_CHARS = 1600  # Twilio's limit for one message's body (sent as up to 10 concatenated segments)


def _sms_reply(case: Case, message: Message) -> None:
    """On an SMS channel the reply goes to the citizen's phone through that channel (the outbox
    delivers it after commit and retries); elsewhere the message row and status page carry it."""
    from rabta.notify.actions import queue_sms
    from rabta.notify.senders import SMS_KINDS

    channel = case.conversation.channel
    phone = case.contact.phone if channel.kind in SMS_KINDS else ""
    if not phone:
        return
    body = message.text
    if len(body) > SMS_MAX_CHARS:  # Twilio refuses a longer body (error 21617): cut it, and point to the whole reply
        link = "" if case.sensitive else f" {settings.RABTA_PUBLIC_URL}/track/{case.ref}/{case.tracking_code}/"
        body = body[: SMS_MAX_CHARS - 1 - len(link)].rstrip() + "…" + link
    queue_sms(dedupe_key=f"reply:{message.pk}", to=phone, body=body, case=case, channel=channel)


def _draft_reply(case: Case, *, actor: Any, text: str) -> ReplyDraft:
    draft = ReplyDraft.objects.create(case=case, author=actor, text=text[:5000], created_at=timezone.now())
    _event(case, "reply_drafted", actor=actor, text=draft.text, data={"draft": draft.pk})
    audit.record(actor=actor, action="case.reply_drafted", obj=case, after={"draft": draft.pk}, **case.audit_codes())
    policy.after_commit_console_event(case, "case.reply_drafted")
    return draft


def _decide_draft(*, actor: Any, draft: ReplyDraft) -> tuple[Case, ReplyDraft]:
    """Lock the case, then the draft (the order `reply_to_citizen` locks in), and check the decision is allowed."""
    policy.require_case_action(actor, draft.case, "approve_reply")
    case = Case.objects.select_for_update(of=("self",)).select_related("conversation__channel", "region", "district").get(pk=draft.case_id)
    draft = ReplyDraft.objects.select_for_update(of=("self",)).select_related("author").get(pk=draft.pk)
    if draft.author_id == actor.pk:
        raise ValidationError("You wrote this reply: another supervisor must approve or return it.")
    if draft.state != ReplyDraft.State.PENDING:
        raise ValidationError(f"This reply was already {draft.get_state_display().lower()}.")
    return case, draft


@transaction.atomic
def approve_reply(*, actor: Any, draft: ReplyDraft) -> Message:
    """A supervisor approves a held reply; it is sent at once, exactly as a direct reply is."""
    case, draft = _decide_draft(actor=actor, draft=draft)
    _require_open(case)
    draft.state, draft.decided_by, draft.decided_at = ReplyDraft.State.APPROVED, actor, timezone.now()
    author = draft.author.get_username()
    _event(case, "reply_approved", actor=actor, data={"draft": draft.pk, "author": author})
    audit.record(actor=actor, action="case.reply_approved", obj=case, after={"draft": draft.pk, "author": author}, **case.audit_codes())
    message = _send_reply(case, actor=actor, author=draft.author, text=draft.text, draft=draft)
    draft.message = message
    draft.save(update_fields=["state", "decided_by", "decided_at", "message"])
    return message


@transaction.atomic
def return_reply(*, actor: Any, draft: ReplyDraft, reason: str) -> ReplyDraft:
    """A supervisor sends a held reply back to its author with a reason; the author is told in the console."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the reply is returned."})
    case, draft = _decide_draft(actor=actor, draft=draft)
    draft.state, draft.decided_by, draft.decided_at, draft.return_reason = ReplyDraft.State.RETURNED, actor, timezone.now(), reason[:2000]
    draft.save(update_fields=["state", "decided_by", "decided_at", "return_reason"])
    author = draft.author.get_username()
    _event(case, "reply_returned", actor=actor, text=draft.return_reason, data={"draft": draft.pk, "author": author})
    audit.record(actor=actor, action="case.reply_returned", obj=case, after={"draft": draft.pk, "author": author, "reason": reason[:500]},
                 **case.audit_codes())
    case_pk, draft_pk, author_pk, ref = case.pk, draft.pk, draft.author_id, case.ref
    transaction.on_commit(lambda: policy.notify_users(
        case_id=case_pk, user_ids=[author_pk], reason=f"case.reply_returned.{draft_pk}",
        subject=f"[Rabta] {ref}: your reply was returned", body=f"A supervisor returned your reply on {ref}. Open the case to see why.",
    ))
    policy.after_commit_console_event(case, "case.reply_returned")
    return draft


@transaction.atomic
def extend_rti_deadline(*, actor: Any, case: Case, reason: str, extra_working_days: int, now: datetime | None = None) -> Case:
    """The one extension s.11 of the KP RTI Act allows: the answer's deadline moves on by up to 10
    working days on the routing engine's calendar, with a reason the requester is told.

    `now` is when the decision is made (tests pass it; an extension after the deadline is refused).
    """
    if not policy.may_extend_rti(actor):
        raise PermissionDenied("Only the public information officer or a supervisor may extend an RTI deadline.")
    policy.require_case_action(actor, case, "extend_rti")
    case = Case.objects.select_for_update(of=("self",)).select_related("region", "district").get(pk=case.pk)
    _require_open(case)
    now = now or timezone.now()
    try:
        if case.events.filter(kind="rti_extended").exists():
            raise sla.ExtensionRefused("already_extended", "the RTI Act allows one extension only; this request was already extended")
        extended = policy.extend_rti(case, reason=reason, extra_working_days=extra_working_days, now=now)
    except sla.ExtensionRefused as exc:
        field = {"reason_required": "reason", "bad_length": "extra_working_days"}.get(exc.code)
        raise ValidationError({field: str(exc)} if field else str(exc), code=exc.code) from exc
    previous = case.resolve_due
    case.reply_due, case.resolve_due, case.clocks = extended.reply_due, extended.resolve_due, extended.as_dict()
    case.save(update_fields=["reply_due", "resolve_due", "clocks", "updated_at"])
    change = {"from": previous.isoformat() if previous else None, "to": case.resolve_due.isoformat() if case.resolve_due else None}
    _event(case, "rti_extended", actor=actor, text=reason.strip()[:2000], public=True, data={**change, "extra_working_days": extra_working_days})
    audit.record(actor=actor, action="case.rti_extended", obj=case, before={"resolve_due": change["from"]},
                 after={"resolve_due": change["to"], "extra_working_days": extra_working_days, "reason": reason.strip()[:500]},
                 **case.audit_codes())
    policy.after_commit_console_event(case, "case.rti_extended")
    return case


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
    _event(
        case, "forwarded", actor=actor, text=reason[:2000], data={"from": previous.code, "to": post.code, "post_title": post.title_en}, public=True
    )
    audit.record(
        actor=actor,
        action="case.forwarded",
        obj=case,
        before={"post": previous.code},
        after={"post": post.code, "reason": reason[:500]},
        **case.audit_codes(),
    )
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
    audit.record(
        actor=actor, action="case.assigned", obj=case, before={"assignee": previous}, after={"assignee": user.get_username()}, **case.audit_codes()
    )
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
    _event(duplicate, "merged", actor=actor, data={"into": into.ref, "previous_status": previous_status}, public=True, text=f"merged into {into.ref}")
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


BULK_LIMIT = 200
BULK_ACTIONS = ("acknowledge", "assign", "forward", "close")


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)


def bulk_case_action(
    *, actor: Any, refs: list[str], action: str, user: Any = None, post: Any = None, reason: str = "", outcome: str = "", note: str = ""
) -> BulkResult:
    """Apply one action to many cases from the inbox, each through its single-case action.

    Each case runs in its own transaction with its own permission check and audit event, so one
    refused case does not stop the rest: cases the actor cannot see or may not act on are skipped
    and reported by reference. At most BULK_LIMIT cases at a time.
    """
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": "Choose what to do with the cases."})
    if not policy.may(actor, "forward" if action == "assign" else action):
        raise PermissionDenied(f"{action} is not allowed for this role")
    refs = list(dict.fromkeys(r.strip().upper() for r in refs if r.strip()))
    if not refs:
        raise ValidationError({"refs": "Choose at least one case."})
    if len(refs) > BULK_LIMIT:
        raise ValidationError({"refs": f"Choose at most {BULK_LIMIT} cases at a time (you chose {len(refs)})."})
    single = _bulk_step(actor=actor, action=action, user=user, post=post, reason=reason, outcome=outcome, note=note)
    from rabta.cases.selectors import visibility_q

    found = {c.ref: c for c in Case.objects.filter(visibility_q(actor), ref__in=refs)}
    result = BulkResult()
    for ref in refs:
        case = found.get(ref)
        if case is None:
            result.skipped.append((ref, "not found in your jurisdiction"))
            continue
        try:
            single(case)
        except PermissionDenied:
            result.skipped.append((ref, "you may not act on this case"))
        except ValidationError as exc:
            result.skipped.append((ref, " ".join(exc.messages)))
        else:
            result.done.append(ref)
    return result


def _bulk_step(*, actor: Any, action: str, user: Any, post: Any, reason: str, outcome: str, note: str) -> Any:
    """The single-case action for `action`, its arguments checked once for the whole batch."""
    if action == "acknowledge":
        return lambda case: acknowledge_case(actor=actor, case=case)
    if action == "assign":
        if user is None:
            raise ValidationError({"user": "Choose the officer to assign the cases to."})
        return lambda case: assign_case(actor=actor, case=case, user=user)
    if action == "forward":
        errors = {}
        if post is None:
            errors["post"] = "Choose the post to forward the cases to."
        if not reason.strip():
            errors["reason"] = "Say why the cases are forwarded."
        if errors:
            raise ValidationError(errors)
        return lambda case: forward_case(actor=actor, case=case, post=post, reason=reason)
    if outcome not in Case.Outcome.values:
        raise ValidationError({"outcome": "Choose an outcome."})
    return lambda case: close_case(actor=actor, case=case, outcome=outcome, note=note)
