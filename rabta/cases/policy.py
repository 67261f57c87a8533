"""The bridge between the cases app and the plain-Python engines (routing, SLA clocks).

Rows are translated to the engines' plain inputs here; the engines' decisions come back with
their reasons and rule-set versions and are stored on the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from rabta.accounts.models import Role
from rabta.org.models import District, PoliceStation, Post
from rabta.routing import calendar as working_calendar
from rabta.routing import policy as routing_policy
from rabta.routing import sla

OPEN_STATUSES = ("new", "routed", "acknowledged", "action_taken", "replied")
CATEGORIES = (
    "emergency", "crime_report", "police_complaint", "gbv_harassment", "missing_person", "traffic",
    "cybercrime", "information_request", "feedback", "rumor", "other",
)
CORRECTABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "urgency": ("critical", "high", "normal", "low"),
    "language": ("en", "ur", "ps", "ur-Latn", "und"),
}
_RTI = re.compile(r"(?i)\b(rti|right to information)\b|معلومات تک رسائی|حق معلومات|د معلوماتو")


def looks_like_rti(text: str, result: dict[str, Any]) -> bool:
    return result.get("category") == "information_request" and bool(_RTI.search(text))


@dataclass(frozen=True)
class Routed:
    post: Post
    reason: str
    rule_id: str
    ruleset_version: str
    also_notify: tuple[str, ...]
    is_rti: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "post": self.post.code,
            "post_title": self.post.title_en,
            "reason": self.reason,
            "rule": self.rule_id,
            "ruleset": self.ruleset_version,
            "also_notify": list(self.also_notify),
            "rti": self.is_rti,
        }


def _snapshot(district: District | None) -> routing_policy.OrgSnapshot:
    """The posts a case could go to: the province's and its district's (stations included)."""
    where = Q(level=Post.Level.PROVINCE)
    if district is not None:
        where |= Q(district=district)
    posts = Post.objects.filter(where, active=True).select_related("district", "station", "region")
    refs = [
        routing_policy.PostRef(
            code=p.code,
            kind=p.kind,
            title=p.title_en,
            district_code=p.district.code if p.district else None,
            district_name=p.district.name_en if p.district else None,
            station_slug=p.station.slug if p.station else None,
            station_name=p.station.name_en if p.station else None,
            region_code=p.region.code if p.region else None,
        )
        for p in posts
    ]
    return routing_policy.OrgSnapshot(posts=tuple(refs))


def route(*, category: str, urgency: str, sensitive: bool, district: District | None, station: PoliceStation | None, is_rti: bool) -> Routed:
    inp = routing_policy.RoutingInput(
        category=category,
        urgency=urgency,
        sensitive=sensitive,
        district_code=district.code if district else None,
        station_slug=station.slug if station else None,
        is_rti=is_rti,
        district_name=district.name_en if district else None,
        station_name=station.name_en if station else None,
    )
    try:
        decision = routing_policy.route(inp, _snapshot(district))
    except routing_policy.NoRoute:
        # Incomplete organisation data must never lose a case: the media cell takes it.
        decision = routing_policy.RoutingDecision(
            "dpr-media-cell", "no rule found a post for this case → DPR Media Cell (rule fallback)", "fallback", "", ()
        )
    post = Post.objects.select_related("district", "region").get(code=decision.post_code)
    return Routed(post, decision.reason, decision.rule_id, decision.ruleset_version, tuple(decision.also_notify), is_rti)


@lru_cache(maxsize=1)
def _calendar() -> working_calendar.WorkingCalendar:
    return working_calendar.load_calendar()


def deadlines(*, category: str, urgency: str, opened_at: datetime, is_rti: bool) -> dict[str, Any]:
    """The case's clock fields, and the whole SLA decision (with warning times) to store beside them."""
    due = sla.clock_deadlines(category=category, urgency=urgency, opened_at=opened_at, is_rti=is_rti, calendar=_calendar())
    return {"ack_due": due.ack_due, "reply_due": due.reply_due, "resolve_due": due.resolve_due, "clocks": due.as_dict()}


# Who may act on a case: the people of the post it sits with, supervisors and the media cell.
_ACTIONS: dict[str, set[str]] = {
    "acknowledge": {Role.DPO, Role.SHO, Role.RPO, Role.WOMENS_DESK, Role.PIO, Role.SUPERVISOR, Role.OPERATOR, Role.DIRECTOR},
    "act": {Role.DPO, Role.SHO, Role.RPO, Role.WOMENS_DESK, Role.PIO, Role.SUPERVISOR, Role.DIRECTOR},
    "reply": {Role.OPERATOR, Role.SUPERVISOR, Role.DIRECTOR, Role.DPO, Role.WOMENS_DESK, Role.PIO},
    "close": {Role.OPERATOR, Role.SUPERVISOR, Role.DIRECTOR, Role.DPO, Role.WOMENS_DESK, Role.PIO},
    "reopen": {Role.OPERATOR, Role.SUPERVISOR, Role.DIRECTOR},
    "correct": {Role.OPERATOR, Role.SUPERVISOR, Role.DIRECTOR},
    "forward": {Role.OPERATOR, Role.SUPERVISOR, Role.DIRECTOR, Role.RPO, Role.DPO},
    "merge": {Role.OPERATOR, Role.SUPERVISOR, Role.DIRECTOR},
    "note": {Role.OPERATOR, Role.SUPERVISOR, Role.DIRECTOR, Role.RPO, Role.DPO, Role.SHO, Role.WOMENS_DESK, Role.PIO},
}


def require_case_action(actor: Any, case: Any, action: str) -> None:
    from rabta.cases.selectors import case_visible

    if actor is None or not actor.is_authenticated or actor.role not in _ACTIONS[action]:
        raise PermissionDenied(f"{action} is not allowed for this role")
    if not case_visible(actor=actor, case=case):
        raise PermissionDenied("This case is outside your jurisdiction or compartment.")


def may(actor: Any, action: str) -> bool:
    return actor is not None and actor.is_authenticated and actor.role in _ACTIONS[action]


def notify(*, case_id: int, post_code: str, reason: str) -> None:
    from rabta.notify.actions import notify_post

    notify_post(case_id=case_id, post_code=post_code, reason=reason)


def notify_users(*, case_id: int, user_ids: list[int], reason: str) -> None:
    from rabta.notify.actions import notify_users as _notify_users

    _notify_users(case_id=case_id, user_ids=user_ids, reason=reason)


def after_commit_notify(case: Any, decision: Routed) -> None:
    """Queue the notifications of a routing decision once the case is committed."""
    from rabta.notify.actions import notify_post

    case_id, codes = case.pk, (decision.post.code, *decision.also_notify)
    transaction.on_commit(lambda: [notify_post(case_id=case_id, post_code=code, reason="case.routed") for code in codes])


def after_commit_console_event(case: Any, kind: str) -> None:
    from rabta.cases.live import publish_case_event

    case_id = case.pk
    transaction.on_commit(lambda: publish_case_event(case_id=case_id, kind=kind))


