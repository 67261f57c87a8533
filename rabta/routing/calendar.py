"""Working-day calendar for KP deadlines: weekends, federal holidays and editable moon-dependent dates.

How a count of working days runs (the practice behind "within ten working days of receipt", KP
Right to Information Act 2013, s.11, and the same rule for every other working-day clock):

- The *date of receipt* is the day a request arrives, if that is a working day and it arrives
  before the office closes (``work_end``). A request that arrives after closing time, on a weekend
  or on a holiday is received on the next working day.
- The date of receipt is not counted: day 1 is the first working day after it.
- The deadline is the close of office (``work_end``) on day *n*.

Working hours run only between ``work_start`` and ``work_end`` on working days. All datetimes must
be timezone-aware; results are in the calendar's zone (Asia/Karachi, no daylight saving).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parent / "data"
HOLIDAYS_FILE = DATA / "holidays.json"
TZ_NAME = "Asia/Karachi"
PKT = ZoneInfo(TZ_NAME)
# The years whose federal holidays a default calendar knows. Wide on purpose: a date outside this
# range would silently count as a working day if it is not a weekend.
DEFAULT_YEARS = range(2020, 2041)
# pakdatakit's ids for the holidays that depend on moon sighting (holidays.json should list them).
MOON_DEPENDENT = frozenset({"eid-ul-fitr", "eid-ul-adha", "ashura", "eid-milad-un-nabi"})


class CalendarError(ValueError):
    """The calendar or its holidays file is not usable as given; the message says what to fix."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days, and office hours on them. Immutable; build it with `load_calendar`."""

    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Saturday, Sunday
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    tz: str = TZ_NAME

    def __post_init__(self) -> None:
        if self.work_start.tzinfo is not None or self.work_end.tzinfo is not None:
            raise CalendarError("work_start and work_end are local times of day: give them without a timezone")
        if self.work_start >= self.work_end:
            raise CalendarError(f"work_start ({self.work_start}) must be before work_end ({self.work_end})")
        if not self.weekend <= frozenset(range(7)) or len(self.weekend) == 7:
            raise CalendarError("weekend holds weekday numbers 0 (Monday) to 6 (Sunday), and not all seven")
        try:
            ZoneInfo(self.tz)
        except (KeyError, ValueError) as exc:
            raise CalendarError(f"unknown timezone {self.tz!r}; use an IANA name such as 'Asia/Karachi'") from exc

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)  # ZoneInfo caches instances per key

    def local(self, moment: datetime) -> datetime:
        """`moment` in the calendar's zone; a naive datetime is refused (it would make deadlines ambiguous)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise CalendarError(f"{moment!r} has no timezone; pass an aware datetime")
        return moment.astimezone(self.zone)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def opens(self, day: date) -> datetime:
        return datetime.combine(day, self.work_start, tzinfo=self.zone)

    def closes(self, day: date) -> datetime:
        return datetime.combine(day, self.work_end, tzinfo=self.zone)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def nth_working_day_after(self, day: date, n: int) -> date:
        """Day `n` of a count that starts after `day` (`day` itself not counted; n=0 gives `day`)."""
        if n < 0:
            raise CalendarError(f"a count of working days cannot be negative (got {n})")
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def date_of_receipt(self, received: datetime) -> date:
        """The working day a request counts as received: the same day if within office hours, else the next."""
        local = self.local(received)
        if self.is_working_day(local.date()) and local.time() < self.work_end:
            return local.date()
        return self.next_working_day(local.date())

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Close of office on the n-th working day after the date of receipt of `start` (see the module rule)."""
        return self.closes(self.nth_working_day_after(self.date_of_receipt(start), n))

    def add_working_time(self, start: datetime, span: timedelta) -> datetime:
        """`start` plus `span` of office time; time outside office hours does not count."""
        if span < timedelta(0):
            raise CalendarError(f"working time cannot be negative (got {span})")
        current = self.local(start)
        if span == timedelta(0):
            return current
        remaining = span
        while True:
            day = current.date()
            if not self.is_working_day(day) or current >= self.closes(day):
                current = self.opens(self.next_working_day(day))
                continue
            current = max(current, self.opens(day))
            available = self.closes(day) - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = self.opens(self.next_working_day(day))

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """`start` plus `hours` of office time (e.g. 16:00 Friday + 2 h = 10:00 Monday)."""
        return self.add_working_time(start, timedelta(hours=hours))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time between `a` and `b`; negative when `b` is before `a`."""
        a, b = self.local(a), self.local(b)
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                begin, end = max(a, self.opens(day)), min(b, self.closes(day))
                if end > begin:
                    total += end - begin
            day += timedelta(days=1)
        return total

    def working_days_between(self, a: datetime, b: datetime) -> int:
        """How many working days of a count started at `a` have begun by `b` (day 1 is the day after receipt)."""
        day, end = self.date_of_receipt(a), self.local(b).date()
        count = 0
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


@dataclass(frozen=True)
class Holiday:
    """One non-working day and where it comes from (shown to admins and on deadline explanations)."""

    day: date
    name: str
    holiday_id: str
    estimated: bool
    source: str  # "pakdatakit", "holidays.json" or "admin"


@dataclass(frozen=True)
class HolidaysFile:
    version: str
    entries: tuple[Holiday, ...]
    not_holidays: frozenset[date]


def _parse_date(value: Any, where: str) -> date:
    if not isinstance(value, str):
        raise CalendarError(f"{where}: 'date' must be a YYYY-MM-DD string, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CalendarError(f"{where}: {value!r} is not a YYYY-MM-DD date") from exc


@lru_cache(maxsize=8)
def read_holidays_file(path: Path = HOLIDAYS_FILE) -> HolidaysFile:
    """Parse and check data/holidays.json (or another file of the same shape)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CalendarError(f"cannot read the holidays file {path}: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("version"), str):
        raise CalendarError(f"{path}: expected an object with a 'version' string")
    entries = []
    for i, raw in enumerate(doc.get("holidays", [])):
        where = f"{path.name} holidays[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("name"), str):
            raise CalendarError(f"{where}: each holiday needs 'date', 'id' and 'name'")
        estimated = raw.get("estimated", False)
        if not isinstance(estimated, bool):
            raise CalendarError(f"{where}: 'estimated' is true or false")
        entries.append(Holiday(_parse_date(raw.get("date"), where), raw["name"], raw["id"], estimated, "holidays.json"))
    removed = frozenset(
        _parse_date(raw.get("date") if isinstance(raw, dict) else raw, f"{path.name} not_holidays[{i}]")
        for i, raw in enumerate(doc.get("not_holidays", []))
    )
    return HolidaysFile(doc["version"], tuple(entries), removed)


def load_holidays(
    years: Iterable[int] = DEFAULT_YEARS,
    *,
    extra: Iterable[date] = (),
    removed: Iterable[date] = (),
    path: Path = HOLIDAYS_FILE,
) -> tuple[Holiday, ...]:
    """Every holiday of `years`, merged from pakdatakit, holidays.json and an admin's additions.

    Merge rule: pakdatakit gives the federal holidays. Where holidays.json lists a holiday id for a
    year (typically a moon-dependent one: Eid ul Fitr, Eid ul Adha, Ashura, Eid Milad un Nabi), the
    file's dates *replace* pakdatakit's for that id and year, so moving an Eid never leaves the old
    date behind. Entries with ids pakdatakit does not know (KP provincial or one-off holidays) are
    simply added; ``extra`` (admin dates) is added; ``not_holidays`` in the file and ``removed``
    take dates out.
    """
    from pakdatakit import get_pakistan_holidays

    file = read_holidays_file(path)
    from_file = {(e.day.year, e.holiday_id) for e in file.entries}

    found: dict[tuple[date, str], Holiday] = {}
    for year in sorted(set(years)):
        for h in get_pakistan_holidays(year):
            if (year, h.id) in from_file:
                continue  # the file decides this holiday's dates for this year
            day = date.fromisoformat(h.date)
            found[(day, h.id)] = Holiday(day, h.name, h.id, h.estimated, "pakdatakit")
    for entry in file.entries:
        found[(entry.day, entry.holiday_id)] = entry
    for day in extra:
        found.setdefault((day, "admin"), Holiday(day, "holiday added by an administrator", "admin", False, "admin"))
    out = file.not_holidays | frozenset(removed)
    return tuple(sorted((h for h in found.values() if h.day not in out), key=lambda h: (h.day, h.holiday_id)))


def load_calendar(
    extra: Iterable[date] = (),
    *,
    removed: Iterable[date] = (),
    years: Iterable[int] = DEFAULT_YEARS,
    path: Path = HOLIDAYS_FILE,
    weekend: frozenset[int] = frozenset({5, 6}),
    work_start: time = time(9, 0),
    work_end: time = time(17, 0),
) -> WorkingCalendar:
    """The KP working calendar: federal holidays + data/holidays.json + dates an admin added or removed."""
    holidays = load_holidays(years, extra=extra, removed=removed, path=path)
    return WorkingCalendar(
        holidays=frozenset(h.day for h in holidays), weekend=weekend, work_start=work_start, work_end=work_end
    )
