"""The working-day calendar that deadlines are counted on (the rule: docs/deadlines.md).

A deadline of N working days ends at 23:59:59 Asia/Shanghai on the N-th working day
strictly after the calendar day of submission; the day of submission never counts
(期间开始之日不计算在期间内).

Whether a day is a working day is decided, in this order, by
1. an administrator's setting (``CalendarDay``), which wins over everything;
2. the ``chinese-calendar`` package (the State Council holiday schedule: public holidays
   off, make-up working days 调休 on);
3. for a year the package does not know, Monday–Friday, with a warning logged once per
   year and process (logger ``qinqing.workdays``).

Every function reads the administrators' settings for the range it needs in one query
(a few more only for very long ranges); the settings are never cached between calls, so a
setting changed in one web process counts in every other at once (only the package's own,
unchanging answers are memoised). For a sweep over many cases make
one ``WorkingCalendar()`` and call its methods: it loads each range of dates once.
"""

from __future__ import annotations

import functools
import logging
import operator
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)

logger = logging.getLogger("qinqing.workdays")

SOURCE_NAME = "chinese-calendar"
SOURCE_VERSION: str = getattr(chinese_calendar, "__version__", "unknown")

Source = Literal["admin", "package", "fallback"]

#: days loaded ahead when a walk leaves the loaded range (one query per chunk)
_CHUNK = timedelta(days=120)

_unknown_years: set[int] = set()
_unknown_years_lock = threading.Lock()


@functools.cache
def source_years() -> tuple[int, int]:
    """The first and last year the installed chinese-calendar package knows."""
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


def _note_unknown_year(year: int) -> None:
    with _unknown_years_lock:
        if year in _unknown_years:
            return
        _unknown_years.add(year)
    first, last = source_years()
    logger.warning(
        "%s %s does not know the year %d (it covers %d-%d): days of %d that no administrator "
        "has set are counted Monday-Friday. Enter the State Council schedule for %d on the "
        "calendar page (/calendar/) or with `qinqing calendar set`.",
        SOURCE_NAME,
        SOURCE_VERSION,
        year,
        first,
        last,
        year,
        year,
    )


@functools.lru_cache(maxsize=65536)
def _package_is_working_day(day: date) -> bool | None:
    """The package's answer, None for a year it does not know. The package's data never
    changes within a process, so caching its answers is safe (and saves its per-call scan)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def _source_is_working_day(day: date) -> tuple[bool, Source]:
    """The package's answer, or Monday–Friday for a year it does not know (logged once)."""
    answer = _package_is_working_day(day)
    if answer is not None:
        return answer, "package"
    if day.year not in _unknown_years:
        _note_unknown_year(day.year)
    return day.weekday() < 5, "fallback"


def _check_date(day: date) -> date:
    if isinstance(day, datetime):
        raise TypeError(
            "pass a date, not a datetime: which calendar day a moment falls on depends on the "
            "time zone (use deadline_after / working_days_between for datetimes)"
        )
    if not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}")
    return day


def _shanghai_date(moment: datetime | date) -> date:
    """The calendar day in Asia/Shanghai of an aware datetime (a plain date is itself)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware datetime (stored times are UTC)")
        return moment.astimezone(SHANGHAI).date()
    if isinstance(moment, date):
        return moment
    raise TypeError(f"expected a datetime, got {type(moment).__name__}")


def _check_count(n: int) -> int:
    if isinstance(n, bool):
        raise TypeError("the number of working days must be an int")
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"the number of working days must be 0 or more, got {n}")
    return n


def end_of_day(day: date) -> datetime:
    """23:59:59 Asia/Shanghai on ``day``."""
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


class WorkingCalendar:
    """Working days, with the administrators' settings loaded range by range.

    Short-lived on purpose: make one per call, request or sweep, never keep one in a module
    (another process may change a setting meanwhile).
    """

    def __init__(self) -> None:
        self._overrides: dict[date, bool] = {}
        self._first: date | None = None
        self._last: date | None = None
        self.queries = 0  # how many times the settings were read (for tests and benchmarks)

    def _load(self, first: date, last: date) -> None:
        from .models import CalendarDay

        rows = CalendarDay.objects.filter(date__gte=first, date__lte=last).values_list(
            "date", "is_working_day"
        )
        self._overrides.update(rows)
        self.queries += 1

    def ensure_loaded(self, first: date, last: date) -> None:
        """Read the settings of ``first``..``last`` that are not loaded yet."""
        if last < first:
            first, last = last, first
        if self._first is None or self._last is None:
            self._load(first, last)
            self._first, self._last = first, last
            return
        if first < self._first:
            new_first = min(first, self._first - _CHUNK)
            self._load(new_first, self._first - timedelta(days=1))
            self._first = new_first
        if last > self._last:
            new_last = max(last, self._last + _CHUNK)
            self._load(self._last + timedelta(days=1), new_last)
            self._last = new_last

    def status(self, day: date) -> tuple[bool, Source]:
        """Whether ``day`` is a working day, and which source said so."""
        _check_date(day)
        self.ensure_loaded(day, day)
        override = self._overrides.get(day)
        if override is not None:
            return override, "admin"
        return _source_is_working_day(day)

    def is_working_day(self, day: date) -> bool:
        return self.status(day)[0]

    def working_days_after(self, day: date, n: int) -> date:
        """The ``n``-th working day strictly after ``day`` (``n`` = 0: ``day`` itself)."""
        _check_date(day)
        n = _check_count(n)
        if n == 0:
            return day
        # Enough for n working days plus the longest holiday runs, in one query.
        self.ensure_loaded(day + timedelta(days=1), day + timedelta(days=n * 7 // 5 + 30))
        current, found = day, 0
        while found < n:
            current += timedelta(days=1)
            if self.is_working_day(current):
                found += 1
        return current

    def deadline_after(self, start: datetime, working_days: int) -> datetime:
        """23:59:59 Asia/Shanghai on the ``working_days``-th working day after ``start``'s day."""
        if not isinstance(start, datetime):
            raise TypeError(f"expected a datetime, got {type(start).__name__}")
        day = _shanghai_date(start)
        return end_of_day(self.working_days_after(day, working_days))

    def working_days_between(self, start: datetime | date, end: datetime | date) -> int:
        """How many working days d have start's day < d ≤ end's day (Shanghai days); 0 if none."""
        first = _shanghai_date(start) + timedelta(days=1)
        last = _shanghai_date(end)
        if last < first:
            return 0
        self.ensure_loaded(first, last)
        count, current = 0, first
        while current <= last:
            if self.is_working_day(current):
                count += 1
            current += timedelta(days=1)
        return count


def is_working_day(day: date) -> bool:
    """Whether people work on ``day``: administrator's setting, then the package, then Mon–Fri."""
    return WorkingCalendar().is_working_day(day)


def working_days_after(day: date, n: int) -> date:
    """The ``n``-th working day strictly after ``day``; ``n`` = 0 returns ``day``.

    Raises ValueError for a negative ``n`` and TypeError for a datetime (whose day depends on
    the time zone: use ``deadline_after``).
    """
    return WorkingCalendar().working_days_after(day, n)


def deadline_after(start: datetime, working_days: int) -> datetime:
    """The deadline of ``working_days`` working days for something submitted at ``start``.

    ``start`` must be aware (ValueError otherwise); its calendar day in Asia/Shanghai is the
    day of submission, which never counts. The result is an aware datetime in Asia/Shanghai at
    23:59:59 (compare it with aware datetimes; store it as any other datetime).
    """
    return WorkingCalendar().deadline_after(start, working_days)


def working_days_between(start: datetime | date, end: datetime | date) -> int:
    """The number of working days d with start's day < d ≤ end's day, days taken in Shanghai.

    ``working_days_between(t, deadline_after(t, n)) == n``. Datetimes must be aware; plain dates
    are taken as they are. 0 when ``end`` is on or before ``start``'s day.
    """
    return WorkingCalendar().working_days_between(start, end)


# --- explaining days (the admin page and the command) --------------------------------------

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_CHINESE_NAMES = {"中秋": "中秋节", "清明": "清明节", "端午": "端午节"}


def _package_holiday_name(english: str | None) -> str:
    if not english:
        return ""
    try:
        chinese = chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english
    return _CHINESE_NAMES.get(chinese, chinese)


@dataclass(frozen=True)
class DayStatus:
    day: date
    is_working_day: bool
    name: str
    source: Source

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.day.weekday()]

    @property
    def is_standard(self) -> bool:
        """Whether the day is what Monday–Friday alone would say."""
        return self.is_working_day == (self.day.weekday() < 5)

    @property
    def source_label(self) -> str:
        if self.source == "admin":
            return "管理员设置"
        if self.source == "package":
            return f"{SOURCE_NAME} {SOURCE_VERSION}"
        return "周一至周五（数据源未收录该年）"


def _package_name(day: date, is_working: bool) -> str:
    try:
        _holiday, english = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return ""
    name = _package_holiday_name(english)
    if is_working and day.weekday() >= 5:
        return f"{name}调休上班" if name else "调休上班"
    return name


def day_status(day: date) -> DayStatus:
    """Whether ``day`` is a working day, why, and by which source (one query)."""
    from .models import CalendarDay

    _check_date(day)
    setting = CalendarDay.objects.filter(date=day).first()
    if setting is not None:
        return DayStatus(day, setting.is_working_day, setting.name, "admin")
    return source_status(day)


def source_status(day: date) -> DayStatus:
    """What ``day`` would be without administrators' settings: the package, or Mon–Fri."""
    _check_date(day)
    working, source = _source_is_working_day(day)
    name = _package_name(day, working) if source == "package" else ""
    return DayStatus(day, working, name, source)


def year_exceptions(year: int) -> list[DayStatus]:
    """The days of ``year`` that differ from Monday–Friday, and every administrator's setting."""
    from .models import CalendarDay

    first, last = date(year, 1, 1), date(year, 12, 31)
    settings = {
        row.date: row for row in CalendarDay.objects.filter(date__gte=first, date__lte=last)
    }
    result: list[DayStatus] = []
    current = first
    while current <= last:
        setting = settings.get(current)
        if setting is not None:
            result.append(DayStatus(current, setting.is_working_day, setting.name, "admin"))
        else:
            status = source_status(current)
            if not status.is_standard:
                result.append(status)
        current += timedelta(days=1)
    return result
