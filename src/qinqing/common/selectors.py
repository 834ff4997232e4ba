"""Reads of the common app: the administrators' working-day calendar settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.db.models.functions import ExtractYear

from . import workdays
from .models import CalendarDay, HolidayNotice


def calendar_days_of_year(*, year: int) -> QuerySet[CalendarDay]:
    """The administrators' settings of ``year``, by date, with who set them."""
    return CalendarDay.objects.filter(
        date__gte=date(year, 1, 1), date__lte=date(year, 12, 31)
    ).select_related("created_by")


def calendar_years_with_settings() -> list[int]:
    """Every year that has at least one administrator's setting, ascending."""
    years = (
        CalendarDay.objects.annotate(year=ExtractYear("date"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("year")
    )
    return list(years)


# --- the State Council's holiday notices -----------------------------------------------------


def holiday_notices() -> QuerySet[HolidayNotice]:
    """Every imported notice, newest first, with who imported and confirmed it."""
    return HolidayNotice.objects.select_related("imported_by", "confirmed_by").order_by(
        "-year", "-pk"
    )


def holiday_notices_of_year(*, year: int) -> QuerySet[HolidayNotice]:
    """Every imported notice of ``year``, newest first, with who imported and confirmed it."""
    return HolidayNotice.objects.filter(year=year).select_related("imported_by", "confirmed_by")


def holiday_notice_provisional_years() -> list[int]:
    """The years that have a notice waiting for confirmation, ascending."""
    years = (
        HolidayNotice.objects.filter(status=HolidayNotice.Status.PROVISIONAL)
        .values_list("year", flat=True)
        .distinct()
        .order_by("year")
    )
    return list(years)


def holiday_notice_confirmed(*, year: int) -> HolidayNotice | None:
    """The confirmed notice of ``year``, if any (there is at most one)."""
    return HolidayNotice.objects.filter(year=year, status=HolidayNotice.Status.CONFIRMED).first()


@dataclass(frozen=True)
class NoticeDayChange:
    """A day whose working status the notice would change, as the calendar counts it now."""

    day: date
    before: workdays.DayStatus
    is_working_day: bool
    name: str

    @property
    def weekday(self) -> str:
        return workdays.WEEKDAYS[self.day.weekday()]


#: the name a make-up working day gets in the calendar
MAKE_UP_NAME = "调休上班"


def holiday_notice_days(notice: HolidayNotice) -> dict[date, tuple[bool, str]]:
    """Each day the notice sets, as (is_working_day, name): its festival, or 调休上班."""
    schedule = notice.schedule
    days = {
        date.fromisoformat(day): (False, schedule["festivals"].get(day, ""))
        for day in schedule["holidays"]
    }
    days.update((date.fromisoformat(day), (True, MAKE_UP_NAME)) for day in schedule["workdays"])
    return days


def holiday_notice_diff(notice: HolidayNotice) -> list[NoticeDayChange]:
    """Each date whose working/non-working status the calendar would change if ``notice`` were
    confirmed, with the status it has now (administrator's setting, then chinese-calendar,
    then Monday–Friday) and the one after.

    Confirming writes the notice's days and removes the days that the year's confirmed notice
    set and this one leaves out; those fall back to the package or Monday–Friday.
    """
    after = holiday_notice_days(notice)
    confirmed = holiday_notice_confirmed(year=notice.year)
    dropped: set[date] = set()
    if confirmed is not None and confirmed.pk != notice.pk:
        dropped = set(holiday_notice_days(confirmed)) - set(after)
    first, last = date(notice.year - 1, 12, 1), date(notice.year, 12, 31)
    settings = {
        setting.date: setting
        for setting in CalendarDay.objects.filter(date__gte=first, date__lte=last)
    }
    changes: list[NoticeDayChange] = []
    for day in sorted(set(after) | dropped):
        setting = settings.get(day)
        if setting is not None:
            before = workdays.DayStatus(day, setting.is_working_day, setting.name, "admin")
        else:
            before = workdays.source_status(day)
        if day in after:
            working, name = after[day]
        else:
            fallback = workdays.source_status(day)
            working, name = fallback.is_working_day, fallback.name
        if working != before.is_working_day:
            changes.append(NoticeDayChange(day, before, working, name))
    return changes
