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


class RouteCache:
    """What routing reads of the structure, read once: snapshots, posts, districts and stations.

    Intake processes deliveries in batches; `route_cache()` gives each batch the cache of its
    process for as long as the structure has not changed, else a new one.
    """

    def __init__(self, token: int | None = None) -> None:
        self.token = token
        self.snapshots: dict[int | None, routing_policy.OrgSnapshot] = {}
        self.posts: dict[str, Post] = {}
        self.districts: dict[tuple[str, str], District | None] = {}
        self.stations: dict[tuple[int, str], PoliceStation | None] = {}

    def district(self, *, slug: str = "", name: str = "") -> District | None:
        """The district with this slug, or else this English name (as the triage engine names it)."""
        key = ("slug", slug) if slug else ("name", name)
        if key not in self.districts:
            where = Q(slug=slug) if slug else Q(name_en=name)
            self.districts[key] = District.objects.filter(where).select_related("region").first()
        return self.districts[key]

    def station(self, district: District, name: str) -> PoliceStation | None:
        key = (district.pk, name.lower())
        if key not in self.stations:
            self.stations[key] = PoliceStation.objects.filter(district=district, name_en__iexact=key[1]).first()
        return self.stations[key]

    def snapshot(self, district: District | None) -> routing_policy.OrgSnapshot:
        key = district.pk if district is not None else None
        if key not in self.snapshots:
            self.snapshots[key] = _snapshot(district)
        return self.snapshots[key]

    def post(self, code: str) -> Post:
        if code not in self.posts:
            self.posts[code] = Post.objects.select_related("district", "region").get(code=code)
        return self.posts[code]


_process_cache = [RouteCache()]  # this process's; replaced when the structure changes


def route_cache() -> RouteCache:
    """This process's cache if the structure is as it was when the cache began, else a new one.

    On PostgreSQL triggers move the OrgVersion token with every change to regions, districts,
    stations and posts, in the changing transaction (see org/migrations/0002). The token is read
    before anything the cache then reads, so a change committed in between only makes the next
    batch start a new cache. Elsewhere (SQLite, embedded) each batch gets a new cache.
    """
    from django.db import connection

    from rabta.org.models import OrgVersion

    if connection.vendor != "postgresql":
        return RouteCache()
    token = OrgVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None or token != _process_cache[0].token:
        _process_cache[0] = RouteCache(token)
    return _process_cache[0]


def route(
    *, category: str, urgency: str, sensitive: bool, district: District | None, station: PoliceStation | None, is_rti: bool,
    cache: RouteCache | None = None,
) -> Routed:
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
        decision = routing_policy.route(inp, cache.snapshot(district) if cache is not None else _snapshot(district))
    except routing_policy.NoRoute:
        # Incomplete organisation data must never lose a case: the media cell takes it.
        decision = routing_policy.RoutingDecision(
            "dpr-media-cell", "no rule found a post for this case → DPR Media Cell (rule fallback)", "fallback", "", ()
        )
    post = cache.post(decision.post_code) if cache is not None else Post.objects.select_related("district", "region").get(code=decision.post_code)
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
    "approve_reply": {Role.SUPERVISOR, Role.DIRECTOR},
    # The RTI extension: supervisors, and the public information officer (see may_extend_rti).
    "extend_rti": {Role.SUPERVISOR, Role.DIRECTOR, Role.PIO},
}
# Under RABTA_REPLY_APPROVAL=operators, these roles' public replies wait for a supervisor.
APPROVAL_ROLES = {Role.OPERATOR, Role.WOMENS_DESK}


def require_case_action(actor: Any, case: Any, action: str) -> None:
    from rabta.cases.selectors import case_visible

    if actor is None or not actor.is_authenticated or actor.role not in _ACTIONS[action]:
        raise PermissionDenied(f"{action} is not allowed for this role")
    if not case_visible(actor=actor, case=case):
        raise PermissionDenied("This case is outside your jurisdiction or compartment.")


def may(actor: Any, action: str) -> bool:
    return actor is not None and actor.is_authenticated and actor.role in _ACTIONS[action]


def reply_needs_approval(actor: Any) -> bool:
    """Whether the actor's public replies wait for a supervisor (settings.RABTA_REPLY_APPROVAL)."""
    from django.conf import settings

    mode = settings.RABTA_REPLY_APPROVAL
    return mode == "all" or (mode == "operators" and actor.role in APPROVAL_ROLES)


def may_extend_rti(actor: Any) -> bool:
    """Supervisors and the director; a PIO only while holding a public information officer's post."""
    from rabta.org.models import PostHolding

    if not may(actor, "extend_rti"):
        return False
    if actor.role != Role.PIO:
        return True
    return PostHolding.objects.filter(user=actor, ended_at__isnull=True, post__kind=Post.Kind.PIO).exists()


def _iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def stored_deadlines(case: Any) -> sla.Deadlines:
    """The case's clocks as the SLA engine's `Deadlines`: the due times the case holds now (an
    escalation may have moved them), the rest (policy, warnings, the extension) from the stored decision."""
    stored = case.clocks or {}
    extension = stored.get("extension")

    def local(moment: datetime | None) -> datetime | None:
        return _calendar().local(moment) if moment is not None else None  # as the engine stores them: local time

    return sla.Deadlines(
        opened_at=_calendar().local(case.opened_at),
        policy_key=str(stored.get("policy", "")),
        policy_version=str(stored.get("version", "")),
        ack_due=local(case.ack_due),
        reply_due=local(case.reply_due),
        resolve_due=local(case.resolve_due),
        ack_warn_at=_iso(stored.get("ack_warn_at")),
        reply_warn_at=_iso(stored.get("reply_warn_at")),
        resolve_warn_at=_iso(stored.get("resolve_warn_at")),
        basis=str(stored.get("basis", "")),
        is_rti=bool(stored.get("rti", (case.routing or {}).get("rti", False))),
        life_or_liberty=bool(stored.get("life_or_liberty", False)),
        extension=None
        if not extension
        else sla.RtiExtension(
            reason=str(extension.get("reason", "")),
            extra_working_days=int(extension.get("extra_working_days", 0)),
            previous_due=_iso(extension.get("previous_due")) or _calendar().local(case.resolve_due),
        ),
    )


def extend_rti(case: Any, *, reason: str, extra_working_days: int, now: datetime) -> sla.Deadlines:
    """The engine's one RTI extension on the working calendar; `sla.ExtensionRefused` says why not."""
    return sla.extend_rti(stored_deadlines(case), reason=reason, extra_working_days=extra_working_days, calendar=_calendar(), now=now)


def rti_extension_max_days() -> int:
    return sla.load_sla().rti_extension_max_working_days


def notify(*, case_id: int, post_code: str, reason: str) -> None:
    from rabta.notify.actions import notify_post

    notify_post(case_id=case_id, post_code=post_code, reason=reason)


def notify_users(*, case_id: int, user_ids: list[int], reason: str, subject: str = "", body: str = "") -> None:
    from rabta.notify.actions import notify_users as _notify_users

    _notify_users(case_id=case_id, user_ids=user_ids, reason=reason, subject=subject, body=body)


def after_commit_notify(case: Any, decision: Routed) -> None:
    """Queue the notifications of a routing decision once the case is committed."""
    from rabta.notify.actions import notify_post

    case_id, codes = case.pk, (decision.post.code, *decision.also_notify)
    transaction.on_commit(lambda: [notify_post(case_id=case_id, post_code=code, reason="case.routed") for code in codes])


def after_commit_console_event(case: Any, kind: str) -> None:
    from rabta.cases.live import publish_case_event

    case_id = case.pk
    transaction.on_commit(lambda: publish_case_event(case_id=case_id, kind=kind))


