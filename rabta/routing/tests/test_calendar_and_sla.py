"""Working days, RTI deadlines and their one extension, warnings and breaches: table-driven, no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from rabta.routing.calendar import PKT, WorkingCalendar, load_calendar
from rabta.routing.sla import ExtensionRefused, clock_deadlines, clock_status, escalation_step, extend_rti

# A calendar with one invented holiday so the tests do not depend on real dates.
CAL = WorkingCalendar(holidays=frozenset({date(2026, 12, 25)}))


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PKT)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (at(2026, 11, 30), 1, at(2026, 12, 1, 17)),  # Monday → Tuesday
        (at(2026, 12, 4), 1, at(2026, 12, 7, 17)),  # Friday → Monday (weekend skipped)
        (at(2026, 12, 5), 1, at(2026, 12, 7, 17)),  # received on Saturday: Monday is day 1
        (at(2026, 12, 14), 10, at(2026, 12, 29, 17)),  # two weekends and the 25th skipped
        (at(2026, 12, 24, 16, 59), 1, at(2026, 12, 28, 17)),  # the 25th is a holiday, then the weekend
    ],
)
def test_add_working_days(start: datetime, n: int, expected: datetime) -> None:
    assert CAL.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 11, 30, 10), 3, at(2026, 11, 30, 13)),
        (at(2026, 11, 30, 16), 2, at(2026, 12, 1, 10)),  # one hour today, one tomorrow morning
        (at(2026, 11, 30, 20), 1, at(2026, 12, 1, 10)),  # after hours: counts from 09:00 next day
        (at(2026, 12, 4, 16), 3, at(2026, 12, 7, 11)),  # Friday afternoon → Monday
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert CAL.add_working_hours(start, hours) == expected


def test_real_calendar_has_federal_holidays_and_accepts_admin_dates() -> None:
    cal = load_calendar()
    assert not cal.is_working_day(date(2026, 8, 14))  # Independence Day (pakdatakit)
    assert not cal.is_working_day(date(2026, 3, 23))  # Pakistan Day
    extra = load_calendar(extra=frozenset({date(2026, 12, 2)}))
    assert cal.is_working_day(date(2026, 12, 2))
    assert not extra.is_working_day(date(2026, 12, 2))
    removed = load_calendar(removed=frozenset({date(2026, 8, 14)}))
    assert removed.is_working_day(date(2026, 8, 14))


def test_rti_deadline_is_ten_working_days_skipping_weekends_and_holidays() -> None:
    due = clock_deadlines(category="information_request", urgency="low", opened_at=at(2026, 12, 14), calendar=CAL, is_rti=True)
    assert due.resolve_due == at(2026, 12, 29, 17)
    assert CAL.working_days_between(at(2026, 12, 14), due.resolve_due) == 10


def test_rti_life_or_liberty_is_two_working_days() -> None:
    due = clock_deadlines(category="information_request", urgency="high", opened_at=at(2026, 12, 4), calendar=CAL, is_rti=True, life_or_liberty=True)
    assert due.resolve_due == at(2026, 12, 8, 17)


def test_rti_allows_one_extension_of_at_most_ten_working_days_with_a_reason() -> None:
    due = clock_deadlines(category="information_request", urgency="low", opened_at=at(2026, 12, 14), calendar=CAL, is_rti=True)
    extended = extend_rti(due, reason="records held by three police stations", extra_working_days=10, calendar=CAL)
    assert extended.resolve_due == CAL.add_working_days(at(2026, 12, 29, 17), 10)
    assert extended.extended
    assert extended.extension_reason.startswith("records")
    with pytest.raises(ExtensionRefused, match="one extension only"):
        extend_rti(extended, reason="again", extra_working_days=2, calendar=CAL)
    with pytest.raises(ExtensionRefused, match="1 to 10 working days"):
        extend_rti(due, reason="big search", extra_working_days=11, calendar=CAL)
    with pytest.raises(ExtensionRefused, match="needs a reason"):
        extend_rti(due, reason="  ", extra_working_days=5, calendar=CAL)
    plain = clock_deadlines(category="traffic", urgency="normal", opened_at=at(2026, 12, 14), calendar=CAL)
    with pytest.raises(ExtensionRefused, match="only a right-to-information"):
        extend_rti(plain, reason="x", extra_working_days=1, calendar=CAL)


@pytest.mark.parametrize(
    ("category", "urgency", "ack", "resolve"),
    [
        ("emergency", "critical", timedelta(minutes=15), timedelta(hours=24)),
        ("police_complaint", "high", timedelta(hours=2), timedelta(hours=24)),  # 1787: detention/bribery in 24 h
        ("police_complaint", "normal", timedelta(hours=24), timedelta(hours=72)),
        ("crime_report", "normal", timedelta(hours=24), timedelta(days=3)),  # Police Access Service: 24 h, 3 days
        ("missing_person", "critical", timedelta(minutes=15), timedelta(days=3)),
    ],
)
def test_wall_clock_targets(category: str, urgency: str, ack: timedelta, resolve: timedelta) -> None:
    opened = at(2026, 11, 30)
    due = clock_deadlines(category=category, urgency=urgency, opened_at=opened, calendar=CAL)
    assert due.ack_due == opened + ack
    assert due.resolve_due == opened + resolve


def test_feedback_has_no_acknowledgement_clock() -> None:
    due = clock_deadlines(category="feedback", urgency="low", opened_at=at(2026, 11, 30), calendar=CAL)
    assert due.ack_due is None
    assert due.reply_due == at(2026, 12, 2, 17)


def test_clock_status_warns_at_three_quarters_then_breaches() -> None:
    opened = at(2026, 11, 30)
    due = clock_deadlines(category="crime_report", urgency="normal", opened_at=opened, calendar=CAL)

    def states(now: datetime, *, acknowledged: bool = False) -> dict[str, str]:
        return {s.clock: s.state for s in clock_status(due, now, acknowledged=acknowledged, replied=False, resolved=False)}

    assert states(opened + timedelta(hours=12))["acknowledgement"] == "ok"
    assert states(opened + timedelta(hours=19))["acknowledgement"] == "warning"
    assert states(opened + timedelta(hours=25))["acknowledgement"] == "breached"
    assert states(opened + timedelta(hours=25), acknowledged=True)["acknowledgement"] == "done"


@pytest.mark.parametrize(
    ("current", "expected"),
    [("sho-peshawar-hayatabad", "dpo-peshawar"), ("dpo-peshawar", "rpo-capital-city-police-peshawar"),
     ("rpo-capital-city-police-peshawar", "complaint-cell-cpo"), ("complaint-cell-cpo", None)],
)
def test_escalation_goes_up_the_chain(current: str, expected: str | None) -> None:
    chain = ["sho-peshawar-hayatabad", "dpo-peshawar", "rpo-capital-city-police-peshawar", "complaint-cell-cpo"]
    assert escalation_step(chain, current) == expected
