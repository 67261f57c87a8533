"""Service-level clocks as data: acknowledgement, first reply and resolution deadlines.

Targets live in data/sla.json (per category and urgency, with a unit: hours, working_hours,
working_days or days). RTI requests follow the KP Right to Information Act 2013, s.11: 10
working days, 2 where life or liberty is at stake, and one extension of at most 10 working days
with a recorded reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from rabta.routing.calendar import WorkingCalendar

DATA = Path(__file__).resolve().parent / "data"
WARN_FRACTION = 0.75


class ExtensionRefused(ValueError):
    """An RTI extension that the Act does not allow."""


@dataclass(frozen=True)
class Deadlines:
    opened_at: datetime
    ack_due: datetime | None
    reply_due: datetime | None
    resolve_due: datetime | None
    policy: str
    version: str
    extended: bool = False
    extension_reason: str = ""

    def warn_at(self, due: datetime) -> datetime:
        return self.opened_at + (due - self.opened_at) * WARN_FRACTION


@dataclass(frozen=True)
class ClockState:
    clock: str  # acknowledgement | reply | resolution
    state: str  # ok | warning | breached | done
    due: datetime | None


@lru_cache(maxsize=4)
def load_policy(path: Path = DATA / "sla.json") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def _add(calendar: WorkingCalendar, start: datetime, amount: float, unit: str) -> datetime:
    if unit == "hours":
        return start + timedelta(hours=amount)
    if unit == "days":
        return start + timedelta(days=amount)
    if unit == "working_hours":
        return calendar.add_working_hours(start, amount)
    if unit == "working_days":
        return calendar.add_working_days(start, int(amount))
    raise ValueError(f"unknown SLA unit {unit!r}")


def _target(policy: dict[str, Any], category: str, urgency: str) -> tuple[str, dict[str, Any]]:
    by_category = policy["targets"].get(category, {})
    for key in (urgency, "*"):
        if key in by_category:
            return f"{category}/{key}", by_category[key]
    return f"default/{urgency}", policy["default"][urgency]


def clock_deadlines(
    *,
    category: str,
    urgency: str,
    opened_at: datetime,
    calendar: WorkingCalendar,
    is_rti: bool = False,
    life_or_liberty: bool = False,
    policy: dict[str, Any] | None = None,
) -> Deadlines:
    policy = policy or load_policy()
    if is_rti:
        rti = policy["rti"]
        days = rti["life_or_liberty_working_days"] if life_or_liberty else rti["working_days"]
        due = calendar.add_working_days(opened_at, days)
        ack = _add(calendar, opened_at, rti["ack"]["amount"], rti["ack"]["unit"])
        name = "rti/life_or_liberty" if life_or_liberty else "rti"
        return Deadlines(opened_at, ack, due, due, name, str(policy["version"]))
    name, target = _target(policy, category, urgency)
    clocks: dict[str, datetime | None] = {
        clock: _add(calendar, opened_at, spec["amount"], spec["unit"]) if spec else None
        for clock, spec in ((c, target.get(c)) for c in ("ack", "reply", "resolve"))
    }
    return Deadlines(opened_at, clocks["ack"], clocks["reply"], clocks["resolve"], name, str(policy["version"]))


def extend_rti(deadlines: Deadlines, *, reason: str, extra_working_days: int, calendar: WorkingCalendar) -> Deadlines:
    """The one extension s.11 allows: at most 10 more working days, with a reason."""
    if not deadlines.policy.startswith("rti"):
        raise ExtensionRefused("only a right-to-information request can be extended")
    if deadlines.extended:
        raise ExtensionRefused("the Act allows one extension only; this request was already extended")
    if not reason.strip():
        raise ExtensionRefused("an extension needs a reason (e.g. a large search, several offices, third parties)")
    if not 1 <= extra_working_days <= 10:
        raise ExtensionRefused("an extension is 1 to 10 working days")
    if deadlines.resolve_due is None:
        raise ExtensionRefused("this request has no deadline to extend")
    due = calendar.add_working_days(deadlines.resolve_due, extra_working_days)
    return replace(deadlines, reply_due=due, resolve_due=due, extended=True, extension_reason=reason.strip())


def clock_status(deadlines: Deadlines, now: datetime, *, acknowledged: bool, replied: bool, resolved: bool) -> list[ClockState]:
    out = []
    for clock, due, done in (
        ("acknowledgement", deadlines.ack_due, acknowledged),
        ("reply", deadlines.reply_due, replied),
        ("resolution", deadlines.resolve_due, resolved),
    ):
        if done:
            state = "done"
        elif due is None:
            state = "ok"
        elif now >= due:
            state = "breached"
        elif now >= deadlines.warn_at(due):
            state = "warning"
        else:
            state = "ok"
        out.append(ClockState(clock, state, due))
    return out


def escalation_step(chain: list[str], current: str) -> str | None:
    """The next post up the chain (e.g. SHO → DPO → RPO → DPR complaint cell), None at the top."""
    if current not in chain:
        return chain[0] if chain else None
    index = chain.index(current)
    return chain[index + 1] if index + 1 < len(chain) else None
