"""The holiday notice parser (src/qinqing/common/holiday_notice.py) and `calendar notice parse`."""

from __future__ import annotations

import io
import itertools
import json
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
import zhconv
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.common.holiday_notice import NoticeParseError, NoticeSchedule, parse_notice

NOTICES = Path(__file__).parent / "holiday_notices"
NEW_YEAR = "New Year's Day"
CHINESE = {
    NEW_YEAR: "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def notice_text(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


def notice_year(day: date, name: str) -> int:
    """The notice a day of chinese-calendar belongs to: a 元旦 day in December belongs to the
    notice of the next year (e.g. 2018-12-29 上班 and 2018-12-30/31 off are in the 2019 notice)."""
    return day.year + 1 if day.month == 12 and name == NEW_YEAR else day.year


def package_days(year: int) -> tuple[set[date], set[date], dict[date, str]]:
    """chinese-calendar's make-up working days, its holidays on Monday–Friday, and the names of
    all its holidays, for the notice of ``year``."""
    workdays = {d for d, n in chinese_calendar.workdays.items() if notice_year(d, n) == year}
    names = {d: n for d, n in chinese_calendar.holidays.items() if notice_year(d, n) == year}
    weekday_holidays = {d for d in names if d.weekday() < 5}
    return workdays, weekday_holidays, names


@pytest.mark.parametrize("year", range(2008, 2027))
def test_every_notice_since_2008_gives_the_days_chinese_calendar_holds(year: int) -> None:
    """The notice of ``year`` gives exactly chinese-calendar's schedule for that year.

    The comparison, exactly:
    - the make-up working days (上班) are exactly chinese-calendar's ``workdays`` of the notice;
    - the days off that fall Monday–Friday are exactly its ``holidays`` on Monday–Friday;
    - no day off of the notice is a working day for chinese-calendar, so every day of the year
      has the same working status under both (a day in neither list is Monday–Friday);
    - every day off that chinese-calendar names carries its festival name (a combined section
      such as 国庆节、中秋节 names both).

    Saturdays and Sundays inside a 放假 range are compared by status only: chinese-calendar's
    ``holidays`` holds most of them but not all (2011-06-05 and 2012-06-23 are missing from
    端午节 ranges the notices wrote as 6月4日至6日 and 6月22日至24日), and it also holds ordinary
    weekends next to a single-day 元旦 (2023-12-30/31, where the 2024 notice says
    1月1日放假，与周末连休). Either way the day is off.

    The year boundary: the notice of ``year`` includes its 元旦 days in the previous December
    (2007-12-29..31 for 2008, 2011-12-31 for 2012, 2018-12-29..31 for 2019, 2022-12-31 for
    2023), and chinese-calendar's December 元旦 days of ``year`` belong to the next notice.

    The fixtures are written from the official schedules in the grammar of their year (2015
    has the extra section of the 70th anniversary day; 2020 has 春节 as extended to 2 February,
    which chinese-calendar holds).
    """
    schedule = parse_notice(notice_text(year))
    workdays, weekday_holidays, names = package_days(year)

    assert schedule.year == year
    assert set(schedule.workdays) == workdays
    assert {d for d in schedule.holidays if d.weekday() < 5} == weekday_holidays
    for day in schedule.holidays:
        assert not chinese_calendar.is_workday(day), day
        assert notice_year(day, NEW_YEAR if day.month == 12 else "") == year
        if day in names:
            assert CHINESE[names[day]] in schedule.festivals[day].split("、"), day


def test_the_2026_notice_reads_as_published() -> None:
    schedule = parse_notice(notice_text(2026))
    assert schedule.title == "国务院办公厅关于2026年部分节假日安排的通知"
    assert schedule.document_number == "国办发明电〔2025〕7号"
    assert schedule.holidays[:3] == (date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3))
    assert [schedule.festivals[date(2026, 2, d)] for d in (15, 23)] == ["春节", "春节"]
    assert schedule.workdays == tuple(
        date(2026, m, d) for m, d in ((1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10))
    )
    assert len(schedule.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7


def test_json_has_exactly_year_holidays_workdays_festivals() -> None:
    data = parse_notice(notice_text(2019)).as_json()
    assert list(data) == ["year", "holidays", "workdays", "festivals"]
    assert data["year"] == 2019
    assert data["holidays"][:3] == ["2018-12-30", "2018-12-31", "2019-01-01"]
    assert data["workdays"][0] == "2018-12-29"
    assert data["festivals"]["2018-12-30"] == "元旦"


def test_a_combined_festival_keeps_the_name_as_written() -> None:
    schedule = parse_notice(notice_text(2023))
    days = [date(2023, 9, 29) + timedelta(days=i) for i in range(8)]
    assert {schedule.festivals[d] for d in days} == {"中秋节、国庆节"}


def _notice(*sections: str, year: int = 2027) -> str:
    numbers = "一二三四五六七八九"
    lines = [f"{numbers[i]}、{section}" for i, section in enumerate(sections)]
    return "\n".join([f"国务院办公厅关于{year}年部分节假日安排的通知", "", *lines, ""])


@pytest.mark.parametrize(
    ("section", "holidays", "workdays"),
    [
        ("元旦：1月1日（周五）至3日（周日）放假，共3天。", [(1, 1), (1, 2), (1, 3)], []),
        ("元旦：1月1日放假，与周末连休。", [(1, 1)], []),
        ("元旦：1月1日（周五）放假1天，不调休。", [(1, 1)], []),
        ("端午节：6月9日放假。", [(6, 9)], []),
        ("清明节：4月5日放假，4月6日（星期二）补休。", [(4, 5), (4, 6)], []),
        (
            "春节：2月6日—12日放假调休，共7天。2月13日（星期六）上班。",
            [(2, d) for d in range(6, 13)],
            [(2, 13)],
        ),
        (
            "劳动节：4月30日（星期五）至5月2日（星期日）放假公休，共3天。4月25日（星期日）、5月8日（星期六）上班。",
            [(4, 30), (5, 1), (5, 2)],
            [(4, 25), (5, 8)],
        ),
        (
            "国庆节：10月1日至3日放假调休，共3天。10月9日（星期六）、10日（星期日）上班。",
            [(10, 1), (10, 2), (10, 3)],
            [(10, 9), (10, 10)],
        ),
    ],
)
def test_each_published_form_reads(
    section: str, holidays: list[tuple[int, int]], workdays: list[tuple[int, int]]
) -> None:
    schedule = parse_notice(_notice(section))
    assert schedule.holidays == tuple(date(2027, m, d) for m, d in holidays)
    assert schedule.workdays == tuple(date(2027, m, d) for m, d in workdays)


@pytest.mark.parametrize(
    "section",
    [
        "元旦：12月30日至1月1日放假调休，共3天。",
        "元旦：2025年12月30日至2026年1月1日放假调休，共3天。",
    ],
)
def test_a_new_year_range_from_the_previous_december_belongs_to_the_new_year(section: str) -> None:
    schedule = parse_notice(_notice(section, year=2026))
    assert schedule.holidays == (date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1))


def _error(text: str) -> NoticeParseError:
    with pytest.raises(NoticeParseError) as caught:
        parse_notice(text)
    return caught.value


def test_a_wrong_weekday_is_refused_naming_the_line() -> None:
    text = notice_text(2026).replace("2月28日（周六）", "2月28日（周日）")
    error = _error(text)
    assert error.line_number == text.splitlines().index(error.line) + 1
    assert error.line.startswith("二、春节：")
    assert "不是周日" in str(error)


@pytest.mark.parametrize(
    "bad",
    [
        "三、清明节：4月4日至6日放假，大概3天。",  # an unknown clause
        "三、清明节：4月4日至6日放假，共4天。",  # the count does not match the range
        "三、清明节：4月4日至6日放假（除夕），共3天。",  # an unknown annotation
        "三、清明节：4月4日至6日放假",  # no closing 。
        "三、清明节：2025年4月4日至6日放假，共3天。",  # another year
        "三、清明节：4月31日放假。",  # no such day
        "三、清明节：4月6日至4日放假。",  # a reversed range
        "三、清明节：4月3日（周五）上班。",  # a make-up day that is not a weekend day
        "三、清明节：2月15日放假。",  # already 春节
        "另：4月4日至6日放假。",  # a schedule outside the numbered sections
    ],
)
def test_an_unreadable_line_is_refused_naming_the_line(bad: str) -> None:
    lines = notice_text(2026).splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("三、"))
    lines[index] = bad
    error = _error("\n".join(lines))
    assert (error.line_number, error.line) == (index + 1, bad)


def test_an_explanation_naming_a_day_outside_the_days_off_is_refused() -> None:
    bad = "元旦：1月1日至3日放假，共3天。其中，1月4日为法定节假日。"
    error = _error(_notice(bad, year=2026))
    assert (error.line_number, error.line) == (3, f"一、{bad}")


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("国办发明电[2024]12号", "国办发明电〔2024〕12号"),
        ("国办发电〔2010〕4号", "国办发电〔2010〕4号"),
    ],
)
def test_the_document_number_is_kept_with_its_brackets_normalised(
    written: str, number: str
) -> None:
    text = notice_text(2026).replace("国办发明电〔2025〕7号", written)
    assert parse_notice(text).document_number == number


def test_a_text_without_a_year_is_refused() -> None:
    assert _error("一、元旦：1月1日放假。\n").line_number == 1


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
HALF_WIDTH = str.maketrans({"：": ":", "，": ",", "（": "(", "）": ")", "、": "、"})


@pytest.mark.parametrize(
    "variant",
    [
        lambda text: text.translate(FULL_WIDTH),
        lambda text: text.translate(HALF_WIDTH),
        lambda text: text.translate(FULL_WIDTH).replace("，", " ，").replace("\n", "\r\n"),
        lambda text: zhconv.convert(text, "zh-tw"),
        lambda text: zhconv.convert(text, "zh-hk").translate(HALF_WIDTH),
    ],
    ids=["full-width digits", "half-width punctuation", "spaces and CRLF", "zh-tw", "zh-hk"],
)
@pytest.mark.parametrize("year", [2010, 2015, 2019, 2026])
def test_full_width_half_width_and_traditional_copies_read_the_same(variant, year: int) -> None:
    copy = variant(notice_text(year))
    assert copy != notice_text(year)
    assert parse_notice(copy).as_json() == parse_notice(notice_text(year)).as_json()


# --- generated notices ------------------------------------------------------------------------

NAMES = ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节", "国庆节、中秋节"]


def _weekday(day: date, word: str) -> str:
    return word + "一二三四五六日"[day.weekday()]


@st.composite
def notices(draw: st.DrawFn) -> tuple[str, NoticeSchedule]:
    """A notice in the published grammar with the schedule it states."""
    year = draw(st.integers(2030, 2099))
    word = draw(st.sampled_from(["星期", "周"]))
    annotate = draw(st.booleans())
    separator = draw(st.sampled_from(["至", "—"]))

    def written(day: date, *, after: date | None = None) -> str:
        if after is not None and after.month == day.month and after.year == day.year:
            text = f"{day.day}日"
        else:
            text = f"{day.month}月{day.day}日"
            if day.year != year or (after is not None and after.year != day.year):
                text = f"{day.year}年{text}"
        if annotate or draw(st.booleans()):
            lunar = draw(st.sampled_from(["", "农历正月初一、", "农历腊月二十九、"]))
            text += f"（{lunar}{_weekday(day, word)}）"
        return text

    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=7, unique=True))
    start = date(year, 1, 1)
    if draw(st.booleans()):
        start -= timedelta(days=draw(st.integers(1, 2)))  # 元旦 from the previous December
    ranges: list[tuple[str, date, date]] = []
    for name in names:
        length = draw(st.integers(1, 10))
        last = start + timedelta(days=length - 1)
        if last.year > year:
            break
        ranges.append((name, start, last))
        start = last + timedelta(days=draw(st.integers(2, 60)))
    off = {
        start + timedelta(days=i)
        for _, start, last in ranges
        for i in range((last - start).days + 1)
    }
    weekends = [
        date(year, 1, 1) + timedelta(days=i)
        for i in range(365)
        if (date(year, 1, 1) + timedelta(days=i)).weekday() >= 5
    ]
    chosen = draw(
        st.lists(st.sampled_from([d for d in weekends if d not in off]), max_size=8, unique=True)
    )

    sections, festivals = [], {}
    for index, (name, first, last) in enumerate(ranges):
        length = (last - first).days + 1
        if length == 1:
            body = written(first) + draw(
                st.sampled_from(["放假。", "放假，与周末连休。", "放假1天，不调休。", "放假1天。"])
            )
        else:
            kind = draw(st.sampled_from(["放假", "放假调休", "放假公休"]))
            total = draw(st.sampled_from(["", f"，共{length}天"]))
            body = f"{written(first)}{separator}{written(last, after=first)}{kind}{total}。"
        mine = sorted(d for d in chosen if d.toordinal() % len(ranges) == index)
        if mine:
            parts = [written(mine[0])]
            parts += [written(day, after=prev) for prev, day in itertools.pairwise(mine)]
            body += "、".join(parts) + "上班。"
        sections.append(f"{name}：{body}")
        festivals.update({first + timedelta(days=i): name for i in range(length)})
    text = _notice(*sections, year=year)
    schedule = NoticeSchedule(
        year=year,
        holidays=tuple(sorted(off)),
        workdays=tuple(sorted(chosen)),
        festivals=festivals,
    )
    return text, schedule


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notices(), st.sampled_from(["", "full", "half", "traditional"]))
def test_generated_notices_round_trip(notice: tuple[str, NoticeSchedule], form: str) -> None:
    text, expected = notice
    if form == "full":
        text = text.translate(FULL_WIDTH)
    elif form == "half":
        text = text.translate(HALF_WIDTH)
    elif form == "traditional":
        text = zhconv.convert(text, "zh-tw")
    assert parse_notice(text).as_json() == expected.as_json()


# --- the command ------------------------------------------------------------------------------


def test_the_command_prints_exactly_the_json() -> None:
    out = io.StringIO()
    path = NOTICES / "2026.txt"
    call_command("calendar", "notice", "parse", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue()) == parse_notice(notice_text(2026)).as_json()
    assert (
        out.getvalue()
        == json.dumps(parse_notice(notice_text(2026)).as_json(), ensure_ascii=False, indent=2)
        + "\n"
    )


def test_the_command_prints_the_schedule_readably() -> None:
    out = io.StringIO()
    call_command("calendar", "notice", "parse", str(NOTICES / "2026.txt"), stdout=out)
    text = out.getvalue()
    assert "国办发明电〔2025〕7号" in text
    assert "2026-02-15 周日 至 2026-02-23 周一（9 天）" in text
    assert "  2026-10-10 周六" in text


def test_the_command_refuses_a_bad_notice_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text(notice_text(2026).replace("共9天", "共8天"), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command(
            "calendar", "notice", "parse", str(path), "--json", stdout=io.StringIO(), stderr=err
        )
    assert caught.value.code == 1
    line = next(
        n
        for n, text in enumerate(notice_text(2026).splitlines(), 1)
        if "春节" in text and "：2月" in text
    )
    wrong = notice_text(2026).replace("共9天", "共8天").splitlines()[line - 1]
    assert err.getvalue() == f"无法解析通知 / cannot parse the notice: line {line}: {wrong}\n"


def test_the_command_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("calendar", "notice", "parse", str(tmp_path / "missing.txt"))
