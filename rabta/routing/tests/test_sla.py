"""Deadlines, RTI and its one extension, warnings, breaches and escalation, on an injected clock. No database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from rabta.routing.calendar import PKT, WorkingCalendar
from rabta.routing.policy import OrgSnapshot, PostRef
from rabta.routing.sla import (
    ClockEvent,
    Deadlines,
    ExtensionRefused,
    SlaError,
    clock_deadlines,
    clock_status,
    escalation_chain,
    escalation_step,
    extend_rti,
    load_sla,
)

# One invented holiday (Friday 25 December 2026) so these tests do not depend on the real lists.
CAL = WorkingCalendar(holidays=frozenset({date(2026, 12, 25)}))
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PKT)


def rti(opened: datetime, *, life_or_liberty: bool = False) -> Deadlines:
    return clock_deadlines(
        category="information_request", urgency="low", opened_at=opened, calendar=CAL, is_rti=True, life_or_liberty=life_or_liberty
    )


# --- Deadlines


@pytest.mark.parametrize(
    ("category", "urgency", "ack", "reply", "resolve"),
    [
        ("emergency", "critical", 15 * MINUTE, HOUR, 24 * HOUR),  # critical: acknowledge in 15 minutes
        ("gbv_harassment", "critical", 15 * MINUTE, HOUR, 24 * HOUR),
        ("crime_report", "normal", 8 * HOUR, 24 * HOUR, 3 * DAY),  # Police Access Service: contact in 24 h, report in 3 days
        ("crime_report", "low", 24 * HOUR, 48 * HOUR, 14 * DAY),  # 1787: otherwise 2 weeks
        ("police_complaint", "high", 2 * HOUR, 8 * HOUR, 24 * HOUR),  # 1787: call in 8 h; detention/bribery in 24 h
        ("police_complaint", "normal", 8 * HOUR, 24 * HOUR, 72 * HOUR),  # 1787: FIR not registered in 72 h
        ("police_complaint", "low", 24 * HOUR, 48 * HOUR, 14 * DAY),
        ("missing_person", "critical", 15 * MINUTE, HOUR, 3 * DAY),
        ("rumor", "normal", 2 * HOUR, 6 * HOUR, 24 * HOUR),
        ("traffic", "normal", 2 * HOUR, 4 * HOUR, 24 * HOUR),
    ],
)
def test_wall_clock_targets_ignore_weekends(category: str, urgency: str, ack: timedelta, reply: timedelta, resolve: timedelta) -> None:
    opened = at(2026, 12, 4, 16)  # a Friday afternoon: police work does not stop for the weekend
    due = clock_deadlines(category=category, urgency=urgency, opened_at=opened, calendar=CAL)
    assert (due.ack_due, due.reply_due, due.resolve_due) == (opened + ack, opened + reply, opened + resolve)
    assert due.policy_key == f"{category}/{urgency}"
    assert due.policy_version == load_sla().version
    assert due.basis


@pytest.mark.parametrize(
    ("category", "urgency", "opened", "expected"),
    [
        # Office matters run in working time: Friday 16:00 → 4 working hours is Monday 12:00.
        ("information_request", "high", at(2026, 12, 4, 16), (at(2026, 12, 7, 12), at(2026, 12, 7, 17), at(2026, 12, 9, 17))),
        ("information_request", "normal", at(2026, 12, 4, 16), (at(2026, 12, 7, 17), at(2026, 12, 8, 17), at(2026, 12, 18, 17))),
        ("traffic", "low", at(2026, 12, 24, 12), (at(2026, 12, 28, 17), at(2026, 12, 29, 17), at(2027, 1, 8, 17))),
        ("feedback", "normal", at(2026, 12, 5, 12), (at(2026, 12, 8, 17), at(2026, 12, 8, 17), at(2026, 12, 14, 17))),
    ],
)
def test_working_time_targets(category: str, urgency: str, opened: datetime, expected: tuple[datetime, datetime, datetime]) -> None:
    due = clock_deadlines(category=category, urgency=urgency, opened_at=opened, calendar=CAL)
    assert (due.ack_due, due.reply_due, due.resolve_due) == expected


def test_a_clock_can_be_off() -> None:
    due = clock_deadlines(category="other", urgency="low", opened_at=at(2026, 11, 30), calendar=CAL)
    assert due.reply_due is None
    assert due.reply_warn_at is None
    assert [e.clock for e in clock_status(due, at(2026, 12, 30))] == ["ack", "resolve"]


def test_an_unknown_category_gets_the_default_targets() -> None:
    due = clock_deadlines(category="new_category", urgency="high", opened_at=at(2026, 11, 30), calendar=CAL)
    assert due.policy_key == "default/high"
    assert due.ack_due == at(2026, 11, 30, 12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"urgency": "urgent"}, "unknown urgency 'urgent'"),
        ({"life_or_liberty": True}, "pass it with is_rti=True"),
        ({"opened_at": datetime(2026, 11, 30, 10)}, "no timezone"),
    ],
)
def test_bad_requests_for_deadlines_are_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"category": "crime_report", "urgency": "normal", "opened_at": at(2026, 11, 30), "calendar": CAL, **kwargs}
    with pytest.raises(SlaError, match=message):
        clock_deadlines(**args)  # type: ignore[arg-type]


# --- KP Right to Information Act 2013, s.11


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        (at(2026, 12, 14), at(2026, 12, 29, 17)),  # Monday: two weekends and the holiday skipped
        (at(2026, 12, 11, 16), at(2026, 12, 28, 17)),  # the Friday before, in office hours: a day earlier
        (at(2026, 12, 11, 18), at(2026, 12, 29, 17)),  # Friday after hours: received Monday 14th, like the row above
        (at(2026, 12, 12), at(2026, 12, 29, 17)),  # Saturday: received Monday 14th
        (at(2026, 12, 24, 18), at(2027, 1, 11, 17)),  # Thursday evening before the holiday: received Monday 28th
    ],
)
def test_rti_is_ten_working_days_from_receipt(opened: datetime, due: datetime) -> None:
    deadlines = rti(opened)
    assert deadlines.policy_key == "rti"
    assert deadlines.reply_due == deadlines.resolve_due == due
    assert CAL.working_days_between(opened, due) == 10


def test_rti_acknowledgement_is_the_next_working_day() -> None:
    assert rti(at(2026, 12, 4)).ack_due == at(2026, 12, 7, 17)


def test_rti_life_or_liberty_is_two_working_days() -> None:
    deadlines = rti(at(2026, 12, 4, 16), life_or_liberty=True)  # Friday 16:00
    assert deadlines.policy_key == "rti/life_or_liberty"
    assert deadlines.resolve_due == at(2026, 12, 8, 17)  # Monday, Tuesday
    assert deadlines.ack_due == at(2026, 12, 7, 12)  # 4 working hours: 1 on Friday, 3 on Monday


def test_rti_ignores_the_category_targets() -> None:
    a = clock_deadlines(category="police_complaint", urgency="critical", opened_at=at(2026, 12, 14), calendar=CAL, is_rti=True)
    assert a.resolve_due == rti(at(2026, 12, 14)).resolve_due


def test_rti_allows_one_extension_of_at_most_ten_working_days_with_a_reason() -> None:
    first = rti(at(2026, 12, 14))
    extended = extend_rti(first, reason="  records held by three police stations ", extra_working_days=10, calendar=CAL)
    # Ten more working days after 29 December: 30, 31, 1 Jan, 4-8, 11, 12.
    assert extended.resolve_due == extended.reply_due == at(2027, 1, 12, 17)
    assert extended.ack_due == first.ack_due
    assert extended.extension is not None
    assert extended.extension.reason == "records held by three police stations"
    assert extended.extension.previous_due == at(2026, 12, 29, 17)
    assert CAL.working_days_between(at(2026, 12, 14), at(2027, 1, 12, 17)) == 20
    assert extended.resolve_warn_at is not None
    assert first.resolve_warn_at is not None
    assert extended.resolve_warn_at > first.resolve_warn_at
    short = extend_rti(first, reason="third party consulted", extra_working_days=3, calendar=CAL)
    assert short.resolve_due == at(2027, 1, 1, 17)


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"extra_working_days": 11}, "bad_length", "1 to 10 working days, not 11"),
        ({"extra_working_days": 0}, "bad_length", "1 to 10 working days, not 0"),
        ({"reason": "   "}, "reason_required", "needs a reason"),
        ({"reason": ""}, "reason_required", "needs a reason"),
        ({"now": at(2026, 12, 29, 17, 1)}, "too_late", "has passed"),
    ],
)
def test_rti_extensions_the_act_does_not_allow_are_refused(change: dict[str, object], code: str, message: str) -> None:
    args: dict[str, object] = {"reason": "a large search", "extra_working_days": 5, "calendar": CAL, **change}
    with pytest.raises(ExtensionRefused, match=message) as refused:
        extend_rti(rti(at(2026, 12, 14)), **args)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_a_second_extension_is_refused() -> None:
    once = extend_rti(rti(at(2026, 12, 14)), reason="a large search", extra_working_days=2, calendar=CAL, now=at(2026, 12, 29, 16))
    with pytest.raises(ExtensionRefused, match="one extension only") as refused:
        extend_rti(once, reason="still searching", extra_working_days=2, calendar=CAL)
    assert refused.value.code == "already_extended"


def test_only_a_standard_rti_request_can_be_extended() -> None:
    plain = clock_deadlines(category="information_request", urgency="normal", opened_at=at(2026, 12, 14), calendar=CAL)
    with pytest.raises(ExtensionRefused, match="only a right-to-information request") as refused:
        extend_rti(plain, reason="a large search", extra_working_days=2, calendar=CAL)
    assert refused.value.code == "not_rti"
    with pytest.raises(ExtensionRefused, match="cannot be extended") as refused:
        extend_rti(rti(at(2026, 12, 14), life_or_liberty=True), reason="a large search", extra_working_days=2, calendar=CAL)
    assert refused.value.code == "life_or_liberty"


# --- Warnings and breaches at an injected `now`


def test_warning_times_are_three_quarters_of_the_allowed_time_in_the_clock_s_own_time() -> None:
    wall = clock_deadlines(category="crime_report", urgency="normal", opened_at=at(2026, 11, 30), calendar=CAL)
    assert wall.ack_warn_at == at(2026, 11, 30, 16)  # 6 of 8 hours
    assert wall.resolve_warn_at == at(2026, 12, 2, 16)  # 54 of 72 hours
    # RTI from Monday 14 December 10:00 to Tuesday 29 December 17:00 is 87 office hours; 75 % is 65 h 15 min.
    office = rti(at(2026, 12, 14))
    assert office.resolve_warn_at == at(2026, 12, 24, 11, 15)


def states(deadlines: Deadlines, now: datetime, **done: datetime) -> dict[str, str]:
    return {e.clock: e.state for e in clock_status(deadlines, now, **done)}


OPENED = at(2026, 11, 30)  # Monday 10:00; crime_report/normal: ack 18:00 (warn 16:00), reply Tue 10:00 (warn 04:00), resolve Thu 10:00
CRIME = clock_deadlines(category="crime_report", urgency="normal", opened_at=OPENED, calendar=CAL)


@pytest.mark.parametrize(
    ("now", "done", "expected"),
    [
        (OPENED + HOUR, {}, {"ack": "ok", "reply": "ok", "resolve": "ok"}),
        (OPENED + 6 * HOUR - MINUTE, {}, {"ack": "ok", "reply": "ok", "resolve": "ok"}),
        (OPENED + 6 * HOUR, {}, {"ack": "warning", "reply": "ok", "resolve": "ok"}),
        (OPENED + 8 * HOUR, {}, {"ack": "breached", "reply": "ok", "resolve": "ok"}),
        (OPENED + 8 * HOUR, {"acknowledged_at": OPENED + 2 * HOUR}, {"ack": "done", "reply": "ok", "resolve": "ok"}),
        (OPENED + 19 * HOUR, {"acknowledged_at": OPENED + 9 * HOUR}, {"ack": "done_late", "reply": "warning", "resolve": "ok"}),
        (OPENED + 25 * HOUR, {"acknowledged_at": OPENED + HOUR}, {"ack": "done", "reply": "breached", "resolve": "ok"}),
        (OPENED + 60 * HOUR, {"acknowledged_at": OPENED + HOUR, "replied_at": OPENED + 5 * HOUR},
         {"ack": "done", "reply": "done", "resolve": "warning"}),
        (OPENED + 4 * DAY, {"acknowledged_at": OPENED + HOUR, "replied_at": OPENED + 5 * HOUR},
         {"ack": "done", "reply": "done", "resolve": "breached"}),
        # Closing a case stops every clock; the acknowledgement it never had counts at closing time.
        (OPENED + 4 * DAY, {"resolved_at": OPENED + 2 * DAY}, {"ack": "done_late", "reply": "done_late", "resolve": "done"}),
        (OPENED + 4 * DAY, {"resolved_at": OPENED + 5 * HOUR}, {"ack": "done", "reply": "done", "resolve": "done"}),
    ],
)
def test_clock_status(now: datetime, done: dict[str, datetime], expected: dict[str, str]) -> None:
    assert states(CRIME, now, **done) == expected


def test_clock_events_carry_the_margin() -> None:
    events = {e.clock: e for e in clock_status(CRIME, OPENED + 10 * HOUR, acknowledged_at=OPENED + 9 * HOUR)}
    assert events["ack"] == ClockEvent("ack", "done_late", OPENED + 8 * HOUR, OPENED + 6 * HOUR, OPENED + 9 * HOUR, -HOUR)
    assert events["reply"].margin == 14 * HOUR
    assert events["reply"].label == "first reply"


def test_rti_clock_warns_before_the_holiday_breaches_after_it_and_the_extension_clears_it() -> None:
    deadlines = rti(at(2026, 12, 14))
    assert states(deadlines, at(2026, 12, 24, 11, 14))["resolve"] == "ok"
    assert states(deadlines, at(2026, 12, 24, 11, 15))["resolve"] == "warning"
    assert states(deadlines, at(2026, 12, 28, 12))["resolve"] == "warning"  # the holiday and weekend did not count
    assert states(deadlines, at(2026, 12, 29, 17))["resolve"] == "breached"
    extended = extend_rti(deadlines, reason="several offices", extra_working_days=10, calendar=CAL, now=at(2026, 12, 28, 12))
    assert states(extended, at(2026, 12, 29, 17))["resolve"] == "ok"


def test_clock_status_needs_an_aware_now() -> None:
    with pytest.raises(SlaError, match="no timezone"):
        clock_status(CRIME, datetime(2026, 12, 1, 10))


def test_deadlines_serialise_for_storage() -> None:
    stored = extend_rti(rti(at(2026, 12, 14)), reason="several offices", extra_working_days=1, calendar=CAL).as_dict()
    assert stored["policy"] == "rti"
    assert stored["resolve_due"] == "2026-12-30T17:00:00+05:00"
    assert stored["extension"] == {"reason": "several offices", "extra_working_days": 1, "previous_due": "2026-12-29T17:00:00+05:00"}


# --- Escalation up the chain

CHAIN = ["sho-mardan-city", "dpo-mardan", "rpo-mardan-region", "complaint-cell-cpo"]


@pytest.mark.parametrize(
    ("breached_level", "expected"),
    [(0, "dpo-mardan"), (1, "rpo-mardan-region"), (2, "complaint-cell-cpo"), (3, None), (9, None)],
)
def test_escalation_step_goes_up_the_chain(breached_level: int, expected: str | None) -> None:
    assert escalation_step(CHAIN, breached_level) == expected


def test_escalation_step_edges() -> None:
    assert escalation_step([], 0) is None
    with pytest.raises(ValueError, match="counts from 0"):
        escalation_step(CHAIN, -1)


SNAPSHOT = OrgSnapshot(
    posts=(
        PostRef("complaint-cell-cpo", "complaint_cell_cpo"),
        PostRef("dpr-media-cell", "dpr_media_cell"),
        PostRef("womens-desk-cpo", "womens_desk"),
        PostRef("pio-cpo", "pio"),
        PostRef("rpo-mardan-region", "rpo", region_code="MDN"),
        PostRef("rpo-capital-city-police-peshawar", "ccpo", region_code="PSH"),
        PostRef("dpo-mardan", "dpo", "MRD", region_code="MDN"),
        PostRef("womens-desk-mardan", "womens_desk", "MRD", region_code="MDN"),
        PostRef("complaint-cell-mardan", "complaint_cell", "MRD", region_code="MDN"),
        PostRef("pio-mardan", "pio", "MRD", region_code="MDN"),
        PostRef("sho-mardan-city", "sho", "MRD", "city", "MDN"),
        PostRef("dpo-peshawar", "dpo", "PEW", region_code="PSH"),
        PostRef("sho-peshawar-hayatabad", "sho", "PEW", "hayatabad", "PSH"),
        PostRef("dpo-swabi", "dpo", "SWB", region_code="MDN"),
        PostRef("sho-swabi-city", "sho", "SWB", "city", "MDN"),
    )
)


@pytest.mark.parametrize(
    ("start", "chain"),
    [
        ("sho-mardan-city", CHAIN),
        ("sho-swabi-city", ["sho-swabi-city", "dpo-swabi", "rpo-mardan-region", "complaint-cell-cpo"]),  # same region, own DPO
        ("sho-peshawar-hayatabad", ["sho-peshawar-hayatabad", "dpo-peshawar", "rpo-capital-city-police-peshawar", "complaint-cell-cpo"]),
        ("complaint-cell-mardan", ["complaint-cell-mardan", "dpo-mardan", "rpo-mardan-region", "complaint-cell-cpo"]),
        ("pio-mardan", ["pio-mardan", "dpo-mardan", "rpo-mardan-region", "complaint-cell-cpo"]),
        # Sensitive cases stay in the women's desks' compartment on their way up.
        ("womens-desk-mardan", ["womens-desk-mardan", "womens-desk-cpo", "complaint-cell-cpo"]),
        ("womens-desk-cpo", ["womens-desk-cpo", "complaint-cell-cpo"]),
        ("pio-cpo", ["pio-cpo", "complaint-cell-cpo"]),
        ("dpr-media-cell", ["dpr-media-cell", "complaint-cell-cpo"]),
        ("complaint-cell-cpo", ["complaint-cell-cpo"]),
        ("no-such-post", ["no-such-post", "complaint-cell-cpo"]),
    ],
)
def test_escalation_chain_is_built_from_kinds_and_jurisdiction(start: str, chain: list[str]) -> None:
    assert escalation_chain(start, SNAPSHOT) == chain


def test_missing_rungs_are_skipped() -> None:
    no_rpo = OrgSnapshot(posts=tuple(p for p in SNAPSHOT.posts if p.kind != "rpo"))
    assert escalation_chain("sho-mardan-city", no_rpo) == ["sho-mardan-city", "dpo-mardan", "complaint-cell-cpo"]


def test_a_breach_escalates_one_step_at_a_time() -> None:
    """The loop the scheduler runs: each breach at the current level moves the case one post up."""
    chain = escalation_chain("sho-mardan-city", SNAPSHOT)
    deadlines = clock_deadlines(category="crime_report", urgency="high", opened_at=OPENED, calendar=CAL)
    level, holder, now = 0, chain[0], OPENED + 2 * HOUR
    assert [e.state for e in clock_status(deadlines, now) if e.clock == "ack"] == ["breached"]
    visited = [holder]
    while (following := escalation_step(chain, level)) is not None:
        level, holder = level + 1, following
        visited.append(holder)
    assert visited == chain
    assert holder == "complaint-cell-cpo"
