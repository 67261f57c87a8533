"""The shipped data files: complete, consistent with the force's clocks, and checked on load. No database."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest

from rabta.routing.calendar import PKT, load_calendar
from rabta.routing.policy import CATEGORIES, URGENCIES
from rabta.routing.sla import CLOCKS, SLA_FILE, SlaError, clock_deadlines, extend_rti, load_sla, parse_sla

REAL = load_calendar()
# Openings that stress the calendar: office hours, Friday evening, a Saturday, the eve of Eid ul Adha 2026, Christmas Eve.
OPENINGS = [
    datetime(2026, 12, 1, 10, tzinfo=PKT),
    datetime(2026, 12, 4, 18, 30, tzinfo=PKT),
    datetime(2026, 12, 5, 12, tzinfo=PKT),
    datetime(2026, 5, 25, 16, tzinfo=PKT),
    datetime(2026, 12, 24, 16, 59, tzinfo=PKT),
]


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SLA_FILE.read_text(encoding="utf-8"))
    return doc


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("urgency", URGENCIES)
def test_every_category_and_urgency_has_ordered_clocks(category: str, urgency: str) -> None:
    policy = load_sla()
    assert (category, urgency) in policy.targets
    for opened in OPENINGS:
        due = clock_deadlines(category=category, urgency=urgency, opened_at=opened, calendar=REAL)
        clocks = [d for d in (due.ack_due, due.reply_due, due.resolve_due) if d is not None]
        assert clocks == sorted(clocks), f"{category}/{urgency} opened {opened}: acknowledge ≤ reply ≤ resolve"
        assert due.resolve_due is not None, "every case must be closed in time"
        # The Pakistan Citizen Portal allows 20 days at least: every target of ours is faster.
        assert due.resolve_due - opened <= timedelta(days=20)
        for clock in CLOCKS:
            d, w = due.due(clock), due.warn_at(clock)
            assert (d is None) == (w is None)
            if d is not None and w is not None:
                assert opened <= w < d


@pytest.mark.parametrize("category", CATEGORIES)
def test_critical_means_acknowledge_within_fifteen_minutes(category: str) -> None:
    opened = OPENINGS[1]
    due = clock_deadlines(category=category, urgency="critical", opened_at=opened, calendar=REAL)
    assert due.ack_due == opened + timedelta(minutes=15)


@pytest.mark.parametrize("opened", OPENINGS)
def test_an_extended_rti_request_still_ends_inside_the_citizen_portal_maximum(opened: datetime) -> None:
    due = clock_deadlines(category="information_request", urgency="low", opened_at=opened, calendar=REAL, is_rti=True)
    extended = extend_rti(due, reason="a large search", extra_working_days=10, calendar=REAL)
    assert extended.resolve_due is not None
    assert extended.resolve_due - opened <= timedelta(days=_doc()["citizen_portal"]["max_days"])


def _broken(path: list[str], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_doc())
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["version"], KeyError, "'version' string"),
        (["warn_at_fraction"], 1.5, "between 0 and 1"),
        (["targets", "traffic"], KeyError, "targets.traffic is missing"),
        (["targets", "traffic", "low"], KeyError, "targets.traffic.low is missing"),
        (["targets", "theft"], {}, "unknown categories"),
        (["targets", "rumor", "high", "ack"], {"amount": 2, "unit": "fortnights"}, "unknown unit 'fortnights'"),
        (["targets", "rumor", "high", "ack"], {"amount": -2, "unit": "hours"}, "positive number"),
        (["targets", "rumor", "high", "ack"], {"amount": 1.5, "unit": "working_days"}, "whole days"),
        (["targets", "rumor", "high", "reply"], KeyError, "give all three clocks"),
        (["rti", "standard", "reply"], {"amount": 5, "unit": "working_days"}, "the same number of working_days"),
        (["rti", "life_or_liberty", "resolve"], {"amount": 48, "unit": "hours"}, "the same number of working_days"),
        (["rti", "extension_max_working_days"], 15, "at most 10"),
        (["escalation", "ladders", "sho"], [{"kind": "dpo", "at": "tehsil"}], "'at' must be one of"),
    ],
)
def test_a_broken_sla_file_says_what_to_fix(path: list[str], value: Any, message: str) -> None:
    with pytest.raises(SlaError, match=message):
        parse_sla(_broken(path, value))


def test_the_engines_import_no_django() -> None:
    code = (
        "import sys, rabta.routing.policy, rabta.routing.sla, rabta.routing.calendar;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery'));"
        "print(', '.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
