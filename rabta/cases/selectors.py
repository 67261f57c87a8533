"""Case reads, scoped to the actor's jurisdiction and the sensitive compartment.

Sensitive cases are visible only to the women's/gender desk of the jurisdiction, supervisors,
the DPR director and auditors; for everyone else they do not exist (absent from lists, search,
counts and exports; 404 by URL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from rabta.accounts.models import Level, Role
from rabta.cases.models import Case, CaseEvent, ReplyDraft
from rabta.core.permissions import jurisdiction_q
from rabta.org.models import Post, PostHolding

SENSITIVE_ROLES = {Role.WOMENS_DESK, Role.SUPERVISOR, Role.DIRECTOR, Role.AUDITOR}
CONSOLE_ROLES = set(Role) - {Role.ADMIN}
QUEUES = ("all", "new", "mine", "desk", "breaching", "breached", "approval", "sensitive", "closed")


def may_see_sensitive(actor: Any) -> bool:
    return actor.role in SENSITIVE_ROLES


def may_approve_replies(actor: Any) -> bool:
    from rabta.cases.policy import may

    return may(actor, "approve_reply")


def visibility_q(actor: Any) -> Q:
    """Rows of Case the actor may see."""
    if actor is None or not actor.is_authenticated or actor.role not in CONSOLE_ROLES:
        return Q(pk__in=[])
    if actor.level == Level.PROVINCE:
        scope = Q()  # the whole province: no filter at all keeps the inbox query on its index
    else:
        scope = jurisdiction_q(actor)
        # Cases sitting with a post the actor holds outside their jurisdiction (rare: a desk at
        # the CPO, say). Only those are OR-ed in, so the usual query stays a plain indexed filter.
        outside = list(
            Post.objects.filter(holdings__user=actor, holdings__ended_at__isnull=True).exclude(jurisdiction_q(actor)).values_list("pk", flat=True)
        )
        if outside:
            scope |= Q(post_id__in=outside)
    if not may_see_sensitive(actor):
        scope &= Q(sensitive=False)
    return scope


def case_visible(*, actor: Any, case: Case) -> bool:
    return Case.objects.filter(visibility_q(actor), pk=case.pk).exists()


def case_list(*, actor: Any, queue: str = "all", query: str = "", category: str = "", urgency: str = "") -> QuerySet[Case]:
    qs = Case.objects.filter(visibility_q(actor)).select_related("post", "district")
    now = timezone.now()
    open_q = ~Q(status__in=[Case.Status.CLOSED, Case.Status.MERGED])
    if queue == "new":
        qs = qs.filter(status__in=[Case.Status.NEW, Case.Status.ROUTED])
    elif queue == "mine":
        qs = qs.filter(open_q, assignee=actor)
    elif queue == "desk":
        held = PostHolding.objects.filter(user=actor, ended_at__isnull=True).values("post_id")
        qs = qs.filter(open_q, post_id__in=held)
    elif queue == "breaching":
        soon = now + timedelta(hours=2)
        qs = qs.filter(open_q).filter(
            Q(acknowledged_at__isnull=True, ack_due__gt=now, ack_due__lte=soon) | Q(resolve_due__gt=now, resolve_due__lte=soon)
        )
    elif queue == "breached":
        qs = qs.filter(open_q).filter(Q(acknowledged_at__isnull=True, ack_due__lte=now) | Q(resolve_due__lte=now))
    elif queue == "approval":
        # Cases with a reply awaiting approval (the partial index keeps this to the pending drafts).
        pending = ReplyDraft.objects.filter(state=ReplyDraft.State.PENDING).values("case_id")
        qs = qs.filter(pk__in=pending) if may_approve_replies(actor) else qs.none()
    elif queue == "sensitive":
        qs = qs.filter(sensitive=True) if may_see_sensitive(actor) else qs.none()
    elif queue == "closed":
        qs = qs.filter(status=Case.Status.CLOSED)
    else:
        qs = qs.filter(open_q)
    if category:
        qs = qs.filter(category=category)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if query:
        query = query.strip()
        qs = qs.filter(Q(ref__iexact=query) | Q(summary__icontains=query)) if query else qs
    return qs.order_by("-opened_at", "-pk")


def case_get(*, actor: Any, ref: str) -> Case:
    return (
        Case.objects.filter(visibility_q(actor))
        .select_related("post", "district", "station", "assignee", "contact", "conversation__channel")
        .get(ref=ref)
    )


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "pk")


def public_case(*, ref: str, tracking_code: str) -> Case | None:
    """The citizen's view: the reference and the tracking code together, nothing else."""
    import hmac

    case = Case.objects.filter(ref=ref.strip().upper()).first()
    if case is None or not hmac.compare_digest(case.tracking_code, tracking_code.strip().upper()):
        return None
    return case


def reply_drafts(*, case: Case, actor: Any) -> QuerySet[ReplyDraft]:
    """The held replies shown on the case page: those awaiting approval, and the actor's own returned ones."""
    mine_returned = Q(state=ReplyDraft.State.RETURNED, author_id=actor.pk)
    shown = case.reply_drafts.filter(Q(state=ReplyDraft.State.PENDING) | mine_returned)
    return shown.select_related("author", "decided_by").order_by("created_at", "pk")


def reply_draft_get(*, actor: Any, ref: str, draft_id: int) -> ReplyDraft:
    """A draft of a case the actor may see (DoesNotExist otherwise, like any scoped miss)."""
    return ReplyDraft.objects.select_related("case", "author").get(pk=draft_id, case__ref=ref, case__in=Case.objects.filter(visibility_q(actor)))
