"""Deadlines in working days of the Chinese calendar (docs/deadlines.md).

Expectations come from the State Council notice on the 2026 holidays (国办发明电〔2025〕7号,
4 November 2025), written out by hand below, never from the code under test.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.common import workdays
from qinqing.common.models import CalendarDay
from qinqing.common.workdays import (
    SHANGHAI,
    WorkingCalendar,
    deadline_after,
    is_working_day,
    working_days_after,
    working_days_between,
)

pytestmark = pytest.mark.django_db


def days(first: str, last: str) -> set[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return {start + timedelta(days=i) for i in range((end - start).days + 1)}


# The 2026 schedule of the State Council, by hand: days off, and make-up working days (调休).
OFF_2026 = (
    days("2026-01-01", "2026-01-03")  # 元旦
    | days("2026-02-15", "2026-02-23")  # 春节
    | days("2026-04-04", "2026-04-06")  # 清明节
    | days("2026-05-01", "2026-05-05")  # 劳动节
    | days("2026-06-19", "2026-06-21")  # 端午节
    | days("2026-09-25", "2026-09-27")  # 中秋节
    | days("2026-10-01", "2026-10-07")  # 国庆节
)
MAKE_UP_2026 = {
    date(2026, 1, 4),  # Sunday, 元旦
    date(2026, 2, 14),  # Saturday, 春节
    date(2026, 2, 28),  # Saturday, 春节
    date(2026, 5, 9),  # Saturday, 劳动节
    date(2026, 9, 20),  # Sunday, 国庆节
    date(2026, 10, 10),  # Saturday, 国庆节
}


def works_2026(day: date) -> bool:
    assert day.year == 2026
    if day in MAKE_UP_2026:
        return True
    return day.weekday() < 5 and day not in OFF_2026


def nth_working_day_2026(day: date, n: int) -> date:
    """The reference: walk the hand-written 2026 schedule."""
    found = 0
    while found < n:
        day += timedelta(days=1)
        found += works_2026(day)
    return day


def at(text: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def end_of(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}T23:59:59").replace(tzinfo=SHANGHAI)


def set_day(text: str, working: bool, name: str) -> None:
    CalendarDay.objects.create(date=date.fromisoformat(text), is_working_day=working, name=name)


# --- the 2026 schedule ----------------------------------------------------------------------


def test_every_day_of_2026_follows_the_state_council_schedule() -> None:
    mismatches = [d for d in days("2026-01-01", "2026-12-31") if is_working_day(d) != works_2026(d)]
    assert mismatches == []


def test_five_working_days_from_friday_25_september_2026_run_across_national_day() -> None:
    # 25 Sep is itself the Mid-Autumn holiday and does not count anyway; 26-27 Sep off;
    # 28, 29, 30 Sep are days 1-3; 1-7 Oct National Day off; 8 and 9 Oct are days 4 and 5.
    submitted = at("2026-09-25T09:00")
    assert deadline_after(submitted, 5) == end_of("2026-10-09")
    assert deadline_after(submitted, 5).date() == nth_working_day_2026(date(2026, 9, 25), 5)


def test_the_make_up_saturday_after_national_day_is_a_working_day() -> None:
    # Submitted on Wednesday 30 Sep: 8 Oct (1), 9 Oct (2), Saturday 10 Oct (3), 12 Oct (4), 13 Oct.
    assert deadline_after(at("2026-09-30T10:00"), 3) == end_of("2026-10-10")
    assert deadline_after(at("2026-09-30T10:00"), 5) == end_of("2026-10-13")


def test_the_make_up_sunday_before_national_day_is_a_working_day() -> None:
    # Submitted on Friday 18 Sep: Sunday 20 Sep is a make-up working day.
    assert deadline_after(at("2026-09-18T16:00"), 1) == end_of("2026-09-20")


def test_spring_festival_2026_is_nine_days_off_between_two_make_up_saturdays() -> None:
    # Friday 13 Feb: Saturday 14 Feb works (1), 15-23 Feb off, 24 Feb (2), 25 Feb (3).
    assert deadline_after(at("2026-02-13T11:00"), 1) == end_of("2026-02-14")
    assert deadline_after(at("2026-02-13T11:00"), 3) == end_of("2026-02-25")
    # Thursday 26 Feb: Friday 27 Feb (1), Saturday 28 Feb works (2), Monday 2 Mar (3).
    assert deadline_after(at("2026-02-26T11:00"), 2) == end_of("2026-02-28")
    assert deadline_after(at("2026-02-26T11:00"), 3) == end_of("2026-03-02")
    for n in range(1, 15):
        expected = nth_working_day_2026(date(2026, 2, 10), n)
        assert working_days_after(date(2026, 2, 10), n) == expected


def test_national_day_2026_matches_the_hand_written_schedule_for_every_start_and_count() -> None:
    for start in days("2026-09-15", "2026-10-12"):
        for n in range(1, 12):
            assert working_days_after(start, n) == nth_working_day_2026(start, n), (start, n)


def test_a_submission_on_a_holiday_starts_counting_the_next_day() -> None:
    # Saturday 3 Oct (National Day): the first working day after it is Thursday 8 Oct.
    assert deadline_after(at("2026-10-03T15:00"), 1) == end_of("2026-10-08")


def test_the_day_of_submission_never_counts_even_when_it_is_a_working_day() -> None:
    assert deadline_after(at("2026-10-08T08:00"), 1) == end_of("2026-10-09")
    assert deadline_after(at("2026-10-08T00:00"), 1) == end_of("2026-10-09")


def test_a_submission_at_23_30_in_shanghai_counts_from_the_shanghai_date_not_utc() -> None:
    late_friday = datetime(2026, 10, 9, 15, 30, tzinfo=UTC)  # 23:30 Friday 9 Oct in Shanghai
    assert late_friday.astimezone(SHANGHAI).hour == 23
    assert deadline_after(late_friday, 1) == end_of("2026-10-10")  # the make-up Saturday
    after_midnight = datetime(2026, 10, 9, 16, 30, tzinfo=UTC)  # 00:30 Saturday 10 Oct
    assert deadline_after(after_midnight, 1) == end_of("2026-10-12")


def test_the_deadline_is_23_59_59_shanghai_time_as_an_aware_datetime() -> None:
    due = deadline_after(at("2026-09-30T10:00"), 5)
    assert due.tzinfo is not None
    assert due.utcoffset() == timedelta(hours=8)
    assert due.isoformat() == "2026-10-13T23:59:59+08:00"
    assert due.astimezone(UTC) == datetime(2026, 10, 13, 15, 59, 59, tzinfo=UTC)


# --- administrators' settings ---------------------------------------------------------------


def test_an_admin_making_a_weekday_a_holiday_moves_the_deadline() -> None:
    assert deadline_after(at("2026-10-30T10:00"), 1) == end_of("2026-11-02")
    set_day("2026-11-02", False, "临时休息")
    assert not is_working_day(date(2026, 11, 2))
    assert deadline_after(at("2026-10-30T10:00"), 1) == end_of("2026-11-03")


def test_an_admin_making_a_saturday_a_working_day_moves_the_deadline_earlier() -> None:
    assert deadline_after(at("2026-11-06T10:00"), 1) == end_of("2026-11-09")
    set_day("2026-11-07", True, "调休上班")
    assert is_working_day(date(2026, 11, 7))
    assert deadline_after(at("2026-11-06T10:00"), 1) == end_of("2026-11-07")


def test_an_admin_setting_wins_over_the_package() -> None:
    set_day("2026-10-05", True, "值班上班")  # a National Day holiday in the package
    assert is_working_day(date(2026, 10, 5))
    assert working_days_after(date(2026, 9, 30), 1) == date(2026, 10, 5)


# --- a year the package does not know -------------------------------------------------------


def test_the_package_does_not_know_2031() -> None:
    first, last = workdays.source_years()
    assert first <= 2026 <= last < 2031


def test_a_year_the_package_does_not_know_falls_back_to_monday_to_friday_and_warns_once(
    monkeypatch, caplog
) -> None:
    monkeypatch.setattr(workdays, "_unknown_years", set())
    with caplog.at_level(logging.WARNING, logger="qinqing.workdays"):
        assert is_working_day(date(2031, 10, 1))  # a Wednesday: Mon-Fri, holiday unknown
        assert not is_working_day(date(2031, 10, 4))  # a Saturday
        assert deadline_after(at("2031-03-07T10:00"), 1) == end_of("2031-03-10")  # Fri → Mon
        assert working_days_after(date(2031, 3, 7), 10) == date(2031, 3, 21)
    warnings = [r for r in caplog.records if r.name == "qinqing.workdays"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "2031" in warnings[0].getMessage()


def test_each_unknown_year_is_logged_once(monkeypatch, caplog) -> None:
    monkeypatch.setattr(workdays, "_unknown_years", set())
    with caplog.at_level(logging.WARNING, logger="qinqing.workdays"):
        working_days_between(date(2030, 12, 1), date(2032, 1, 31))
        working_days_between(date(2030, 12, 1), date(2032, 1, 31))
    messages = [r.getMessage() for r in caplog.records if r.name == "qinqing.workdays"]
    years = sorted(int(re.search(r"the year (\d+)", m).group(1)) for m in messages)  # type: ignore[union-attr]
    assert years == [2030, 2031, 2032]


def test_admins_can_enter_a_year_the_package_does_not_know() -> None:
    set_day("2031-10-01", False, "国庆节")
    set_day("2031-10-02", False, "国庆节")
    set_day("2031-10-03", False, "国庆节")
    set_day("2031-10-11", True, "调休上班")  # a Saturday
    # Tuesday 30 Sep 2031: 1-3 Oct off, 4-5 Oct weekend, 6-10 Oct (1-5), Saturday 11 Oct (6).
    assert working_days_after(date(2031, 9, 30), 6) == date(2031, 10, 11)


# --- the shape of the API -------------------------------------------------------------------


def test_zero_working_days_is_the_day_itself_and_a_negative_count_is_refused() -> None:
    assert working_days_after(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert deadline_after(at("2026-10-03T10:00"), 0) == end_of("2026-10-03")
    with pytest.raises(ValueError):
        working_days_after(date(2026, 10, 3), -1)
    with pytest.raises(ValueError):
        deadline_after(at("2026-10-03T10:00"), -1)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        deadline_after(datetime(2026, 9, 30, 10, 0), 5)
    with pytest.raises(ValueError):
        working_days_between(datetime(2026, 9, 30, 10, 0), at("2026-10-13T10:00"))


def test_a_datetime_is_not_taken_for_a_date() -> None:
    with pytest.raises(TypeError):
        is_working_day(at("2026-10-10T10:00"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        working_days_after(at("2026-10-10T10:00"), 1)  # type: ignore[arg-type]


def test_working_days_between_counts_the_days_after_the_start_up_to_the_end() -> None:
    # 30 Sep → 13 Oct 2026: 8, 9, 10 (make-up Saturday), 12, 13 Oct.
    assert working_days_between(at("2026-09-30T10:00"), at("2026-10-13T09:00")) == 5
    assert working_days_between(at("2026-09-30T10:00"), at("2026-09-30T18:00")) == 0
    assert working_days_between(at("2026-10-13T10:00"), at("2026-09-30T10:00")) == 0
    # the Shanghai date counts: 16:30 UTC on 9 Oct is already Saturday 10 Oct in Shanghai
    assert (
        working_days_between(at("2026-10-08T10:00"), datetime(2026, 10, 9, 16, 30, tzinfo=UTC)) == 2
    )


def test_a_deadline_reads_the_admin_settings_in_one_query(django_assert_num_queries) -> None:
    set_day("2026-11-02", False, "临时休息")
    with django_assert_num_queries(1):
        deadline_after(at("2026-10-30T10:00"), 5)
    with django_assert_num_queries(1):
        deadline_after(at("2026-01-05T10:00"), 200)
    with django_assert_num_queries(1):
        working_days_between(at("2026-01-01T10:00"), at("2026-12-31T10:00"))


def test_a_sweep_over_many_cases_reads_the_settings_a_few_times(django_assert_max_num_queries):
    calendar = WorkingCalendar()
    starts = [at("2026-01-01T09:00") + timedelta(hours=7 * i) for i in range(1500)]
    with django_assert_max_num_queries(5):
        due = [calendar.deadline_after(start, 5) for start in starts]
    assert all(d == deadline_after(s, 5) for s, d in list(zip(starts, due, strict=True))[::97])


# --- properties -------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2032, 6, 30),
    timezones=st.sampled_from([SHANGHAI, UTC, ZoneInfo("America/New_York")]),
)
counts = st.integers(min_value=1, max_value=45)


@settings(max_examples=60, deadline=None)
@given(start=moments, n=counts)
def test_the_deadline_is_always_a_working_day_strictly_after_the_start_day(start, n) -> None:
    due = deadline_after(start, n)
    assert due.tzinfo == SHANGHAI and due.timetz().replace(tzinfo=None).isoformat() == "23:59:59"
    assert is_working_day(due.date())
    assert due.date() > start.astimezone(SHANGHAI).date()


@settings(max_examples=60, deadline=None)
@given(start=moments, n=counts)
def test_more_working_days_never_give_an_earlier_deadline(start, n) -> None:
    assert deadline_after(start, n) < deadline_after(start, n + 1)
    assert deadline_after(start, n - 1) < deadline_after(start, n)


@settings(max_examples=60, deadline=None)
@given(start=moments, n=st.integers(min_value=0, max_value=45))
def test_counting_the_working_days_up_to_a_deadline_gives_back_n(start, n) -> None:
    assert working_days_between(start, deadline_after(start, n)) == n


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=moments,
    n=counts,
    overrides=st.dictionaries(st.integers(min_value=-5, max_value=80), st.booleans(), max_size=25),
)
def test_the_properties_hold_whatever_the_admins_set(start, n, overrides) -> None:
    CalendarDay.objects.all().delete()
    base = start.astimezone(SHANGHAI).date()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=base + timedelta(days=k), is_working_day=v, name="测试")
        for k, v in overrides.items()
    )
    due = deadline_after(start, n)
    assert is_working_day(due.date())
    assert due.date() > base
    assert working_days_between(start, due) == n
    assert deadline_after(start, n + 1) > due


# --- the command ------------------------------------------------------------------------------


def test_the_command_prints_the_deadline_in_iso_8601_with_the_shanghai_offset() -> None:
    out = StringIO()
    call_command(
        "calendar", "deadline", "--from", "2026-09-30T10:00", "--working-days", "5", stdout=out
    )
    assert out.getvalue().strip() == "2026-10-13T23:59:59+08:00"


def test_the_command_takes_a_utc_time_on_its_shanghai_date() -> None:
    out = StringIO()
    call_command(
        "calendar", "deadline", "--from", "2026-10-09T15:30Z", "--working-days", "1", stdout=out
    )
    assert out.getvalue().strip() == "2026-10-10T23:59:59+08:00"


def test_the_command_tells_whether_a_day_is_a_working_day_and_why() -> None:
    out = StringIO()
    call_command("calendar", "is-working-day", "2026-10-10", stdout=out)
    assert "上班" in out.getvalue() and "国庆节调休上班" in out.getvalue()
    out = StringIO()
    call_command("calendar", "is-working-day", "2026-10-05", stdout=out)
    assert "休息" in out.getvalue() and "国庆节" in out.getvalue()


def test_the_command_lists_the_days_of_a_year_that_differ_from_monday_to_friday() -> None:
    set_day("2026-11-07", True, "调休上班")
    out = StringIO()
    call_command("calendar", "year", "2026", stdout=out)
    lines = out.getvalue().splitlines()
    listed = {date.fromisoformat(line.split()[0]) for line in lines}
    off_weekdays = {d for d in OFF_2026 if d.weekday() < 5}
    assert listed == off_weekdays | MAKE_UP_2026 | {date(2026, 11, 7)}
    assert any("2026-11-07" in line and "管理员设置" in line for line in lines)


def test_the_command_says_when_the_package_does_not_know_a_year() -> None:
    out = StringIO()
    call_command("calendar", "year", "2031", stdout=out)
    assert "未收录 2031 年" in out.getvalue()
