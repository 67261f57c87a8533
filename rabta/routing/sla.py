"""Service-level clocks as data: acknowledgement, first reply and resolution deadlines, warnings, escalation.

Targets live in data/sla.json, per category and urgency, each with a unit: ``hours`` and ``days``
(wall clock: police work never stops) or ``working_hours`` and ``working_days`` (office matters, on
the working calendar). Right-to-information requests follow the KP Right to Information Act 2013,
s.11: 10 working days, 2 where life or liberty is at stake, and one extension of at most 10 working
days with a reason. Every clock also has a warning time, by default when 75 % of the allowed time
is used (measured in the clock's own kind of time). Nothing here reads the system clock: callers
pass ``opened_at`` and ``now``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast, get_args

from rabta.routing.calendar import CalendarError, WorkingCalendar
from rabta.routing.policy import CATEGORIES, URGENCIES, Jurisdiction, OrgSnapshot, PostTarget, RulesError

DATA = Path(__file__).resolve().parent / "data"
SLA_FILE = DATA / "sla.json"

Unit = Literal["hours", "days", "working_hours", "working_days"]
Clock = Literal["ack", "reply", "resolve"]
ClockState = Literal["ok", "warning", "breached", "done", "done_late"]
UNITS: tuple[Unit, ...] = get_args(Unit)
CLOCKS: tuple[Clock, ...] = get_args(Clock)
CLOCK_LABELS: Mapping[Clock, str] = {"ack": "acknowledgement", "reply": "first reply", "resolve": "resolution"}


class SlaError(ValueError):
    """The SLA file is not valid, or a clock was asked for something it cannot do; the message says why."""


class ExtensionRefused(ValueError):
    """An RTI extension the Act does not allow. `code` says which rule refused it (for the UI and tests)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Target:
    amount: float
    unit: Unit

    def due_from(self, start: datetime, calendar: WorkingCalendar) -> datetime:
        if self.unit == "hours":
            return calendar.local(start) + timedelta(hours=self.amount)
        if self.unit == "days":
            return calendar.local(start) + timedelta(days=self.amount)
        if self.unit == "working_hours":
            return calendar.add_working_hours(start, self.amount)
        return calendar.add_working_days(start, int(self.amount))

    def warn_from(self, start: datetime, due: datetime, fraction: float, calendar: WorkingCalendar) -> datetime:
        """When `fraction` of the allowed time is used, counting the same kind of time as the target."""
        if self.unit in ("hours", "days"):
            return calendar.local(start) + (due - start) * fraction
        return calendar.add_working_time(start, calendar.working_time_between(start, due) * fraction)

    def __str__(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{amount} {self.unit.replace('_', ' ')}"


@dataclass(frozen=True)
class ClockTargets:
    ack: Target | None
    reply: Target | None
    resolve: Target | None
    basis: str = ""

    def get(self, clock: Clock) -> Target | None:
        target: Target | None = getattr(self, clock)
        return target


@dataclass(frozen=True)
class SlaPolicy:
    version: str
    warn_fraction: float
    targets: Mapping[tuple[str, str], ClockTargets]  # (category, urgency)
    default: Mapping[str, ClockTargets]  # urgency → targets for a category the table does not know
    rti: ClockTargets
    rti_life_or_liberty: ClockTargets
    rti_extension_max_working_days: int
    ladders: Mapping[str, tuple[PostTarget, ...]]  # post kind → where to escalate, in order
    default_ladder: tuple[PostTarget, ...]


@dataclass(frozen=True)
class RtiExtension:
    reason: str
    extra_working_days: int
    previous_due: datetime


@dataclass(frozen=True)
class Deadlines:
    """A case's clocks. A None due means that clock does not run for this kind of case."""

    opened_at: datetime
    policy_key: str  # e.g. "crime_report/normal", "rti", "rti/life_or_liberty"
    policy_version: str
    ack_due: datetime | None
    reply_due: datetime | None
    resolve_due: datetime | None
    ack_warn_at: datetime | None
    reply_warn_at: datetime | None
    resolve_warn_at: datetime | None
    basis: str = ""
    is_rti: bool = False
    life_or_liberty: bool = False
    extension: RtiExtension | None = None

    def due(self, clock: Clock) -> datetime | None:
        value: datetime | None = getattr(self, f"{clock}_due")
        return value

    def warn_at(self, clock: Clock) -> datetime | None:
        value: datetime | None = getattr(self, f"{clock}_warn_at")
        return value

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, to store with the case (ISO datetimes)."""

        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "opened_at": iso(self.opened_at),
            "policy": self.policy_key,
            "version": self.policy_version,
            "basis": self.basis,
            **{f"{c}_due": iso(self.due(c)) for c in CLOCKS},
            **{f"{c}_warn_at": iso(self.warn_at(c)) for c in CLOCKS},
            "rti": self.is_rti,
            "life_or_liberty": self.life_or_liberty,
            "extension": None
            if self.extension is None
            else {
                "reason": self.extension.reason,
                "extra_working_days": self.extension.extra_working_days,
                "previous_due": iso(self.extension.previous_due),
            },
        }


@dataclass(frozen=True)
class ClockEvent:
    """One clock's state at a moment. `margin` is due minus (done_at or now): negative means late."""

    clock: Clock
    state: ClockState
    due: datetime
    warn_at: datetime
    done_at: datetime | None
    margin: timedelta

    @property
    def label(self) -> str:
        return CLOCK_LABELS[self.clock]


# ---------------------------------------------------------------------------------------------
# Loading and checking data/sla.json


def _target(raw: Any, where: str) -> Target | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"amount", "unit"}:
        raise SlaError(f"{where}: a target is null or {{\"amount\": <number>, \"unit\": <{' | '.join(UNITS)}>}}")
    amount, unit = raw["amount"], raw["unit"]
    if unit not in UNITS:
        raise SlaError(f"{where}: unknown unit {unit!r}; use one of {', '.join(UNITS)}")
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
        raise SlaError(f"{where}: 'amount' must be a positive number, got {amount!r}")
    if unit == "working_days" and not float(amount).is_integer():
        raise SlaError(f"{where}: working days are whole days, got {amount!r}")
    return Target(float(amount), cast(Unit, unit))


def _targets(raw: Any, where: str, basis: str = "") -> ClockTargets:
    if not isinstance(raw, dict) or not set(CLOCKS) <= set(raw):
        raise SlaError(f"{where}: give all three clocks, 'ack', 'reply' and 'resolve' (null where a clock does not run)")
    ack, reply, resolve = (_target(raw[c], f"{where}.{c}") for c in CLOCKS)
    return ClockTargets(ack, reply, resolve, basis)


def _ladder(raw: Any, where: str) -> tuple[PostTarget, ...]:
    if not isinstance(raw, list):
        raise SlaError(f"{where}: a ladder is a list of targets")
    try:
        return tuple(PostTarget.parse(t, f"{where}[{i}]") for i, t in enumerate(raw))
    except RulesError as exc:
        raise SlaError(str(exc)) from exc


def parse_sla(doc: Any, *, source: str = "sla.json") -> SlaPolicy:
    """Check an SLA document (every category × urgency present, units known) and build an `SlaPolicy`."""
    if not isinstance(doc, dict) or not isinstance(doc.get("version"), str):
        raise SlaError(f"{source}: expected an object with a 'version' string")
    fraction = doc.get("warn_at_fraction", 0.75)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
        raise SlaError(f"{source}: 'warn_at_fraction' is a number between 0 and 1 (0.75 = warn when 75 % of the time is used)")
    table = doc.get("targets")
    if not isinstance(table, dict):
        raise SlaError(f"{source}: 'targets' maps each category to its urgencies")
    targets: dict[tuple[str, str], ClockTargets] = {}
    for category in CATEGORIES:
        row = table.get(category)
        if not isinstance(row, dict):
            raise SlaError(f"{source}: targets.{category} is missing; every category needs targets for {', '.join(URGENCIES)}")
        basis = row.get("basis", "")
        for urgency in URGENCIES:
            if urgency not in row:
                raise SlaError(f"{source}: targets.{category}.{urgency} is missing")
            targets[(category, urgency)] = _targets(row[urgency], f"{source}: targets.{category}.{urgency}", str(basis))
    if unknown := set(table) - set(CATEGORIES):
        raise SlaError(f"{source}: unknown categories in targets: {sorted(unknown)}")
    default_raw = doc.get("default")
    if not isinstance(default_raw, dict):
        raise SlaError(f"{source}: 'default' gives targets per urgency for a category the table does not know")
    default = {u: _targets(default_raw.get(u), f"{source}: default.{u}", "default targets") for u in URGENCIES}
    rti = doc.get("rti")
    if not isinstance(rti, dict):
        raise SlaError(f"{source}: 'rti' is missing")
    rti_basis = str(rti.get("basis", ""))
    standard = _targets(rti.get("standard"), f"{source}: rti.standard", rti_basis)
    urgent = _targets(rti.get("life_or_liberty"), f"{source}: rti.life_or_liberty", rti_basis)
    for name, spec in (("standard", standard), ("life_or_liberty", urgent)):
        if spec.resolve is None or spec.resolve.unit != "working_days" or spec.reply != spec.resolve:
            raise SlaError(f"{source}: rti.{name}: 'reply' and 'resolve' are the statutory answer: the same number of working_days")
    max_ext = rti.get("extension_max_working_days")
    if isinstance(max_ext, bool) or not isinstance(max_ext, int) or not 1 <= max_ext <= 10:
        raise SlaError(f"{source}: rti.extension_max_working_days is a whole number from 1 to 10 (s.11 allows at most 10)")
    escalation = doc.get("escalation")
    if not isinstance(escalation, dict) or not isinstance(escalation.get("ladders"), dict):
        raise SlaError(f"{source}: 'escalation' needs 'ladders' (post kind → list of targets) and 'default'")
    ladders = {kind: _ladder(raw, f"{source}: escalation.ladders.{kind}") for kind, raw in escalation["ladders"].items()}
    return SlaPolicy(
        version=doc["version"],
        warn_fraction=float(fraction),
        targets=targets,
        default=default,
        rti=standard,
        rti_life_or_liberty=urgent,
        rti_extension_max_working_days=max_ext,
        ladders=ladders,
        default_ladder=_ladder(escalation.get("default", []), f"{source}: escalation.default"),
    )


@lru_cache(maxsize=4)
def load_sla(path: Path = SLA_FILE) -> SlaPolicy:
    """Read and check data/sla.json (cached: edit the file, bump its version, restart)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SlaError(f"cannot read the SLA file {path}: {exc}") from exc
    return parse_sla(doc, source=path.name)


# ---------------------------------------------------------------------------------------------
# Deadlines


def _deadlines(
    targets: ClockTargets,
    *,
    key: str,
    opened_at: datetime,
    calendar: WorkingCalendar,
    policy: SlaPolicy,
    is_rti: bool = False,
    life_or_liberty: bool = False,
) -> Deadlines:
    due: dict[Clock, datetime | None] = dict.fromkeys(CLOCKS)
    warn: dict[Clock, datetime | None] = dict.fromkeys(CLOCKS)
    for clock in CLOCKS:
        target = targets.get(clock)
        if target is not None:
            moment = target.due_from(opened_at, calendar)
            due[clock], warn[clock] = moment, target.warn_from(opened_at, moment, policy.warn_fraction, calendar)
    return Deadlines(
        opened_at=calendar.local(opened_at),
        policy_key=key,
        policy_version=policy.version,
        ack_due=due["ack"],
        reply_due=due["reply"],
        resolve_due=due["resolve"],
        ack_warn_at=warn["ack"],
        reply_warn_at=warn["reply"],
        resolve_warn_at=warn["resolve"],
        basis=targets.basis,
        is_rti=is_rti,
        life_or_liberty=life_or_liberty,
    )


def clock_deadlines(
    *,
    category: str,
    urgency: str,
    opened_at: datetime,
    calendar: WorkingCalendar,
    is_rti: bool = False,
    life_or_liberty: bool = False,
    policy: SlaPolicy | None = None,
) -> Deadlines:
    """The deadlines and warning times of a case opened at `opened_at`.

    RTI requests use the statutory clock whatever their category and urgency. `life_or_liberty`
    is the Act's two-working-day case and only applies with `is_rti`. A category the table does
    not know gets the policy's default targets for its urgency (so a new triage category is never
    left without clocks); an unknown urgency is an error.
    """
    policy = policy or load_sla()
    try:
        calendar.local(opened_at)
    except CalendarError as exc:
        raise SlaError(f"opened_at: {exc}") from exc
    if urgency not in URGENCIES:
        raise SlaError(f"unknown urgency {urgency!r}; use one of {', '.join(URGENCIES)}")
    if life_or_liberty and not is_rti:
        raise SlaError("life_or_liberty is the RTI Act's two-working-day case: pass it with is_rti=True")
    if is_rti:
        targets = policy.rti_life_or_liberty if life_or_liberty else policy.rti
        key = "rti/life_or_liberty" if life_or_liberty else "rti"
        return _deadlines(
            targets, key=key, opened_at=opened_at, calendar=calendar, policy=policy, is_rti=True, life_or_liberty=life_or_liberty
        )
    if (category, urgency) in policy.targets:
        return _deadlines(policy.targets[(category, urgency)], key=f"{category}/{urgency}", opened_at=opened_at, calendar=calendar, policy=policy)
    return _deadlines(policy.default[urgency], key=f"default/{urgency}", opened_at=opened_at, calendar=calendar, policy=policy)


def extend_rti(
    deadlines: Deadlines,
    *,
    reason: str,
    extra_working_days: int,
    calendar: WorkingCalendar,
    now: datetime | None = None,
    policy: SlaPolicy | None = None,
) -> Deadlines:
    """The one extension s.11 allows: at most 10 more working days, with a reason.

    Refused (`ExtensionRefused`, with a `code`) for: a request that is not RTI (``not_rti``); a
    life-or-liberty request (``life_or_liberty``: its two working days are not extended, our reading
    of s.11); a second extension (``already_extended``); no reason (``reason_required``); fewer than
    1 or more than 10 working days (``bad_length``); and, when `now` is given, an extension decided
    after the deadline it would extend has passed (``too_late``: the requester must be told within
    the original time). The reply and resolution deadlines move; the acknowledgement does not.
    """
    policy = policy or load_sla()
    if not deadlines.is_rti:
        raise ExtensionRefused("not_rti", "only a right-to-information request can be extended")
    if deadlines.life_or_liberty:
        raise ExtensionRefused(
            "life_or_liberty", "a request where life or liberty is at stake must be answered in 2 working days; it cannot be extended"
        )
    if deadlines.extension is not None:
        raise ExtensionRefused("already_extended", "the RTI Act allows one extension only; this request was already extended")
    if not reason.strip():
        raise ExtensionRefused(
            "reason_required", "an extension needs a reason told to the requester (e.g. a large search, several offices, third parties)"
        )
    limit = policy.rti_extension_max_working_days
    if isinstance(extra_working_days, bool) or not 1 <= extra_working_days <= limit:
        raise ExtensionRefused("bad_length", f"an extension is 1 to {limit} working days, not {extra_working_days}")
    previous = deadlines.resolve_due
    if previous is None:  # parse_sla guarantees an RTI resolution clock; kept for a hand-built Deadlines
        raise ExtensionRefused("not_rti", "this request has no statutory deadline to extend")
    if now is not None and calendar.local(now) > previous:
        raise ExtensionRefused("too_late", f"the deadline ({previous:%Y-%m-%d %H:%M}) has passed; an extension must be made before it")
    new_due = calendar.closes(calendar.nth_working_day_after(calendar.local(previous).date(), extra_working_days))
    target = Target(1, "working_days")  # only the kind of time matters for the warning
    warn = target.warn_from(deadlines.opened_at, new_due, policy.warn_fraction, calendar)
    return replace(
        deadlines,
        reply_due=new_due,
        resolve_due=new_due,
        reply_warn_at=warn,
        resolve_warn_at=warn,
        extension=RtiExtension(reason.strip(), extra_working_days, previous),
    )


def clock_status(
    deadlines: Deadlines,
    now: datetime,
    *,
    acknowledged_at: datetime | None = None,
    replied_at: datetime | None = None,
    resolved_at: datetime | None = None,
) -> list[ClockEvent]:
    """Each running clock's state at `now`: ok, warning, breached — or done / done_late once its step is done.

    Closing a case stops every clock: an acknowledgement or reply that never happened counts as
    done when the case was resolved. Clocks that do not run for the case are left out.
    """
    if now.tzinfo is None:
        raise SlaError("now has no timezone; pass an aware datetime")
    done: dict[Clock, datetime | None] = {
        "ack": acknowledged_at or resolved_at,
        "reply": replied_at or resolved_at,
        "resolve": resolved_at,
    }
    events = []
    for clock in CLOCKS:
        due, warn = deadlines.due(clock), deadlines.warn_at(clock)
        if due is None or warn is None:
            continue
        done_at = done[clock]
        state: ClockState
        if done_at is not None:
            state = "done" if done_at <= due else "done_late"
            margin = due - done_at
        else:
            state = "breached" if now >= due else "warning" if now >= warn else "ok"
            margin = due - now
        events.append(ClockEvent(clock, state, due, warn, done_at, margin))
    return events


# ---------------------------------------------------------------------------------------------
# Escalation


def escalation_step(post_chain: Sequence[str], breached_level: int) -> str | None:
    """The post a case goes to when the post at `breached_level` of the chain misses a deadline.

    `post_chain` lists post codes from the first responsible post upwards (SHO → DPO → RPO → DPR
    complaint cell), as `escalation_chain` builds it or as the Django side stores it; level 0 is
    the first post. None at the top of the chain: the breach stays with the last post and shows on
    the supervisors' board.
    """
    if breached_level < 0:
        raise ValueError(f"breached_level counts from 0 (the first post), got {breached_level}")
    following = breached_level + 1
    return post_chain[following] if following < len(post_chain) else None


def escalation_chain(post_code: str, snapshot: OrgSnapshot, *, policy: SlaPolicy | None = None) -> list[str]:
    """The chain a case at `post_code` climbs on breach, from the ladder for that post's kind in sla.json.

    Each rung is looked up by kind in the post's own jurisdiction (its district, its region, the
    province); rungs with no post in the snapshot are skipped. The snapshot must hold the region's
    posts for the RPO/CCPO rung to be found.
    """
    policy = policy or load_sla()
    start = snapshot.get(post_code)
    if start is None:
        ladder, where = policy.default_ladder, Jurisdiction()
    else:
        ladder = policy.ladders.get(start.kind, policy.default_ladder)
        where = Jurisdiction(start.district_code, start.station_slug, start.region_code or snapshot.region_of(start.district_code))
    chain = [post_code]
    for rung in ladder:
        post = snapshot.find(rung, where)
        if post is not None and post.code not in chain:
            chain.append(post.code)
    return chain
