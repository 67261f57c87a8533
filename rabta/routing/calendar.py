"""Working-day calendar for deadlines: weekends, federal holidays, editable Eid dates.

Rules (following practice under the KP Right to Information Act 2013, "within ten working days
of receipt"): the day of receipt is not counted; the deadline is the end of the working day on
which the count runs out. Working hours are counted only inside office hours on working days.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parent / "data"
PKT = ZoneInfo("Asia/Karachi")


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date]
    weekend: frozenset[int] = field(default_factory=lambda: frozenset({5, 6}))  # Saturday, Sunday
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    tz: ZoneInfo = PKT

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def _end_of(self, day: date) -> datetime:
        return datetime.combine(day, self.work_end, tzinfo=self.tz)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The end of the n-th working day after the day of `start` (that day not counted)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start.astimezone(self.tz).date()
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        if n == 0:
            return self._end_of(day)
        return self._end_of(day)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """`start` plus `hours` of office time (office hours on working days only)."""
        remaining = timedelta(hours=hours)
        current = start.astimezone(self.tz)
        while True:
            day = current.date()
            opens = datetime.combine(day, self.work_start, tzinfo=self.tz)
            closes = datetime.combine(day, self.work_end, tzinfo=self.tz)
            if not self.is_working_day(day) or current >= closes:
                current = datetime.combine(day + timedelta(days=1), self.work_start, tzinfo=self.tz)
                continue
            current = max(current, opens)
            available = closes - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = datetime.combine(day + timedelta(days=1), self.work_start, tzinfo=self.tz)

    def working_days_between(self, a: datetime, b: datetime) -> int:
        """Whole working days after the day of `a`, up to and including the day of `b`."""
        day, end = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        count = 0
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def _pakdatakit_holidays(years: range) -> set[date]:
    from pakdatakit import get_pakistan_holidays

    days: set[date] = set()
    for year in years:
        for holiday in get_pakistan_holidays(year):
            days.add(date.fromisoformat(holiday.date))
    return days


@lru_cache(maxsize=8)
def _file_holidays(path: Path) -> tuple[frozenset[date], frozenset[date]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    add = frozenset(date.fromisoformat(d["date"]) for d in doc.get("add", []))
    remove = frozenset(date.fromisoformat(d["date"]) for d in doc.get("remove", []))
    return add, remove


def load_calendar(
    *, years: range = range(2024, 2031), extra: frozenset[date] = frozenset(), removed: frozenset[date] = frozenset(),
    path: Path = DATA / "holidays.json",
) -> WorkingCalendar:
    """Federal holidays (pakdatakit) + the editable holidays file + dates an admin added or removed."""
    add, remove = _file_holidays(path)
    days = (_pakdatakit_holidays(years) | add | extra) - remove - removed
    return WorkingCalendar(holidays=frozenset(days))
