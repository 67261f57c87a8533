"""The working-day calendar: weekends, holidays, after-hours receipt, editable Eid dates. No database."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rabta.routing.calendar import (
    MOON_DEPENDENT,
    PKT,
    CalendarError,
    WorkingCalendar,
    load_calendar,
    load_holidays,
    read_holidays_file,
)

# One invented holiday (Friday 25 December 2026) so these tests do not depend on the real lists.
CAL = WorkingCalendar(holidays=frozenset({date(2026, 12, 25)}))


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PKT)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 30), True),  # Monday
        (date(2026, 12, 4), True),  # Friday
        (date(2026, 12, 5), False),  # Saturday
        (date(2026, 12, 6), False),  # Sunday
        (date(2026, 12, 25), False),  # the holiday
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (at(2026, 11, 30, 10), date(2026, 11, 30)),  # Monday, office hours
        (at(2026, 11, 30, 7), date(2026, 11, 30)),  # before opening: still that day
        (at(2026, 11, 30, 16, 59), date(2026, 11, 30)),
        (at(2026, 11, 30, 17), date(2026, 12, 1)),  # at closing time: the next working day
        (at(2026, 12, 4, 18), date(2026, 12, 7)),  # Friday evening: Monday
        (at(2026, 12, 5, 10), date(2026, 12, 7)),  # Saturday: Monday
        (at(2026, 12, 24, 17, 30), date(2026, 12, 28)),  # Thursday evening, holiday, weekend
    ],
)
def test_date_of_receipt(received: datetime, expected: date) -> None:
    assert CAL.date_of_receipt(received) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (at(2026, 11, 30), 1, at(2026, 12, 1, 17)),  # Monday → close of Tuesday
        (at(2026, 11, 30, 7), 1, at(2026, 12, 1, 17)),
        (at(2026, 11, 30, 20), 1, at(2026, 12, 2, 17)),  # after hours: received Tuesday, day 1 is Wednesday
        (at(2026, 12, 4), 1, at(2026, 12, 7, 17)),  # Friday → Monday (weekend skipped)
        (at(2026, 12, 4, 18), 1, at(2026, 12, 8, 17)),  # Friday evening: received Monday → Tuesday
        (at(2026, 12, 5), 1, at(2026, 12, 8, 17)),  # Saturday: received Monday → Tuesday
        (at(2026, 12, 6), 0, at(2026, 12, 7, 17)),  # n=0: close of the day of receipt
        (at(2026, 12, 24, 16, 59), 1, at(2026, 12, 28, 17)),  # the 25th and the weekend skipped
        (at(2026, 12, 14), 10, at(2026, 12, 29, 17)),  # two weekends and the 25th
        (datetime(2026, 11, 30, 4, 0, tzinfo=ZoneInfo("UTC")), 1, at(2026, 12, 1, 17)),  # 09:00 in Peshawar
    ],
)
def test_add_working_days(start: datetime, n: int, expected: datetime) -> None:
    due = CAL.add_working_days(start, n)
    assert due == expected
    assert due.tzinfo is not None
    assert due.utcoffset() == timedelta(hours=5)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 11, 30, 10), 3, at(2026, 11, 30, 13)),
        (at(2026, 11, 30, 10), 7, at(2026, 11, 30, 17)),  # exactly to closing time, not the next morning
        (at(2026, 11, 30, 16), 2, at(2026, 12, 1, 10)),  # one hour today, one tomorrow
        (at(2026, 11, 30, 20), 1, at(2026, 12, 1, 10)),  # after hours: counts from 09:00 next day
        (at(2026, 11, 30, 7), 1, at(2026, 11, 30, 10)),  # before opening
        (at(2026, 12, 4, 16), 3, at(2026, 12, 7, 11)),  # Friday afternoon → Monday
        (at(2026, 12, 24, 16), 2, at(2026, 12, 28, 10)),  # the holiday and the weekend
        (at(2026, 11, 30, 10), 0.25, at(2026, 11, 30, 10, 15)),
        (at(2026, 11, 30, 10), 0, at(2026, 11, 30, 10)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert CAL.add_working_hours(start, hours) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (at(2026, 11, 30, 10), at(2026, 11, 30, 13), timedelta(hours=3)),
        (at(2026, 12, 4, 16), at(2026, 12, 7, 10), timedelta(hours=2)),  # Friday 16:00 → Monday 10:00
        (at(2026, 12, 5, 9), at(2026, 12, 6, 18), timedelta(0)),  # a weekend has no working time
        (at(2026, 11, 30, 9), at(2026, 12, 7, 9), timedelta(hours=40)),  # a full week
        (at(2026, 12, 21, 9), at(2026, 12, 28, 9), timedelta(hours=32)),  # a week with the holiday
        (at(2026, 11, 30, 13), at(2026, 11, 30, 10), -timedelta(hours=3)),  # reversed: negative
    ],
)
def test_working_time_between(a: datetime, b: datetime, expected: timedelta) -> None:
    assert CAL.working_time_between(a, b) == expected


@pytest.mark.parametrize("hours", [0.5, 3, 7.5, 8, 23, 80])
@pytest.mark.parametrize("start", [at(2026, 11, 30, 10), at(2026, 12, 4, 16, 30), at(2026, 12, 5, 12), at(2026, 12, 24, 8)])
def test_working_hours_round_trip(start: datetime, hours: float) -> None:
    end = CAL.add_working_hours(start, hours)
    assert CAL.working_time_between(start, end) == timedelta(hours=hours)


def test_a_different_week_and_office_hours() -> None:
    # If the province works on Saturdays, the calendar is built with only Sunday as the weekend.
    six_day = WorkingCalendar(holidays=frozenset(), weekend=frozenset({6}), work_start=time(8), work_end=time(14))
    assert six_day.is_working_day(date(2026, 12, 5))
    assert six_day.add_working_days(at(2026, 12, 4), 1) == at(2026, 12, 5, 14)
    assert six_day.add_working_hours(at(2026, 12, 5, 13), 2) == at(2026, 12, 7, 9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"work_start": time(17), "work_end": time(9)}, "must be before work_end"),
        ({"weekend": frozenset(range(7))}, "not all seven"),
        ({"weekend": frozenset({7})}, "weekday numbers"),
        ({"tz": "Asia/Nowhere"}, "unknown timezone"),
    ],
)
def test_a_calendar_that_cannot_work_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        WorkingCalendar(**kwargs)  # type: ignore[arg-type]


def test_naive_datetimes_and_negative_counts_are_refused() -> None:
    with pytest.raises(CalendarError, match="no timezone"):
        CAL.add_working_days(datetime(2026, 11, 30, 10), 1)
    with pytest.raises(CalendarError, match="cannot be negative"):
        CAL.add_working_days(at(2026, 11, 30), -1)
    with pytest.raises(CalendarError, match="cannot be negative"):
        CAL.add_working_hours(at(2026, 11, 30), -1)


# --- The real calendar: pakdatakit's federal holidays + data/holidays.json + admin dates


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 5), False),  # Kashmir Solidarity Day (pakdatakit)
        (date(2026, 3, 23), False),  # Pakistan Day
        (date(2026, 8, 14), False),  # Independence Day
        (date(2026, 3, 20), False),  # Eid ul Fitr 2026, as notified (holidays.json)
        (date(2026, 5, 27), False),  # Eid ul Adha 2026
        (date(2026, 6, 25), False),  # Ashura 2026
        (date(2026, 8, 26), False),  # 12 Rabi ul Awal 2026
        (date(2027, 3, 10), False),  # Eid ul Fitr 2027, estimated
        (date(2026, 12, 1), True),
    ],
)
def test_the_real_calendar(day: date, working: bool) -> None:
    assert load_calendar().is_working_day(day) is working


def test_the_holidays_file_covers_every_moon_dependent_holiday_2025_to_2027() -> None:
    entries = read_holidays_file().entries
    for year in (2025, 2026, 2027):
        assert {e.holiday_id for e in entries if e.day.year == year} >= MOON_DEPENDENT, year
    assert all(e.estimated for e in entries if e.day.year == 2027)
    assert not any(e.estimated for e in entries if e.day.year in (2025, 2026))


def test_holidays_say_where_they_come_from() -> None:
    by_day = {(h.day, h.holiday_id): h for h in load_holidays([2027], extra=[date(2027, 1, 4)])}
    assert by_day[(date(2027, 3, 10), "eid-ul-fitr")].estimated
    assert by_day[(date(2027, 3, 10), "eid-ul-fitr")].source == "holidays.json"
    assert by_day[(date(2027, 8, 14), "independence-day")].source == "pakdatakit"
    assert by_day[(date(2027, 1, 4), "admin")].source == "admin"


def test_admins_add_and_remove_dates() -> None:
    plain = load_calendar()
    assert plain.is_working_day(date(2026, 12, 2))
    assert not load_calendar([date(2026, 12, 2)]).is_working_day(date(2026, 12, 2))
    assert load_calendar(removed=[date(2026, 8, 14)]).is_working_day(date(2026, 8, 14))


def test_moving_an_estimated_eid_leaves_no_stale_date(tmp_path: Path) -> None:
    # The moon was sighted a day later than estimated, and KP declared a provincial holiday.
    doc = {
        "version": "test",
        "holidays": [
            {"date": "2027-03-11", "id": "eid-ul-fitr", "name": "Eid ul Fitr", "estimated": False},
            {"date": "2027-03-12", "id": "eid-ul-fitr", "name": "Eid ul Fitr", "estimated": False},
            {"date": "2027-03-15", "id": "eid-ul-fitr", "name": "Eid ul Fitr", "estimated": False},
            {"date": "2027-04-06", "id": "kp-provincial-test", "name": "a KP holiday", "estimated": False},
        ],
        "not_holidays": [{"date": "2027-11-09"}],
    }
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    estimated, moved = load_calendar(), load_calendar(path=path)
    assert not estimated.is_working_day(date(2027, 3, 10))
    assert moved.is_working_day(date(2027, 3, 10))  # pakdatakit's estimate is gone
    assert not moved.is_working_day(date(2027, 3, 15))
    assert not moved.is_working_day(date(2027, 4, 6))
    assert not moved.is_working_day(date(2027, 3, 23))  # fixed federal holidays stay
    assert moved.is_working_day(date(2027, 11, 9))  # taken out by not_holidays
    # An RTI count over that Eid moves with it.
    assert estimated.add_working_days(at(2027, 3, 9), 1) == at(2027, 3, 15, 17)
    assert moved.add_working_days(at(2027, 3, 9), 1) == at(2027, 3, 10, 17)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read the holidays file"),
        ('{"holidays": []}', "'version' string"),
        ('{"version": "x", "holidays": [{"date": "2027-13-01", "id": "a", "name": "b"}]}', "not a YYYY-MM-DD date"),
        ('{"version": "x", "holidays": [{"date": "2027-01-01", "name": "b"}]}', "needs 'date', 'id' and 'name'"),
        ('{"version": "x", "holidays": [{"date": "2027-01-01", "id": "a", "name": "b", "estimated": "yes"}]}', "true or false"),
    ],
)
def test_a_broken_holidays_file_says_what_to_fix(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "holidays.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        load_calendar(path=path)
