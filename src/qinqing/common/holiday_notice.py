"""Read the State Council's holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知).

``parse_notice(text)`` turns the text of the notice into a ``NoticeSchedule``: the days off
(放假) and the make-up working days (上班) of the year. Pure Python: nothing here touches the
database; importing a schedule is someone else's job.

What it reads (the forms the notices have used since 2008):

- the title ``国务院办公厅关于YYYY年部分节假日安排的通知`` (or the sentence ``现将YYYY年…``),
  which gives the year, and the document number ``国办发明电〔YYYY〕N号`` when present;
- the numbered sections ``一、元旦：…``, ``二、春节：…``, one a line, each a festival name, a
  colon and sentences ending in ``。``:

  - ``2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。``:
    a range of days off (``至``, ``—``, ``-`` or ``~``), within a month or across months, with
    ``放假``, ``放假调休`` or ``放假公休``, optionally ``，共N天`` (checked against the range);
  - ``1月1日放假，与周末连休。``, ``1月1日（周三）放假1天，不调休。``, ``9月27日放假。``: one day;
  - ``4月5日放假，4月6日（星期一）补休。``: a day off and its 补休 day (both are days off);
  - ``2月14日（周六）、2月28日（周六）上班。``, ``2月20日（星期六）、21日（星期日）上班。``:
    make-up working days (a day without a month takes the month of the date before it);
  - ``其中，1月1日为法定节假日，12月30日为公休日，12月29日（星期六）上班。``: the explanatory
    sentence of the 2008-era notices; its 上班 days are make-up working days, every other date
    in it must lie in the section's days off;
  - ``2018年12月30日至2019年1月1日`` and ``12月30日至1月1日``: a 元旦 range starting in the
    previous December belongs to the notice of the new year. A date without a year is in the
    notice's year, except the December start of a range that ends in January. A written year
    must be the notice's year, or the year before for a December date.

- Every other line without a numbered section (addressee, preamble, closing, signature) is
  prose and skipped, unless it holds a date together with 放假, 上班, 补休 or 调休: such a line
  is refused, since it may change the schedule.

Text is first converted to simplified characters (``zhconv``) and NFKC-normalised, so
traditional reprints and full-width or half-width digits and punctuation read the same. The
weekday in brackets (``周日``, ``星期六``, ``礼拜天``) is checked against the date; a lunar
annotation (``农历…``) is ignored. Anything else is refused with ``NoticeParseError`` naming
the line: the parser never guesses.

Festival names are kept as written: a combined section ``国庆节、中秋节：10月1日至8日…`` gives
every day of the range the name ``国庆节、中秋节`` (the notice does not say which day is which).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypedDict

import zhconv

__all__ = ["NoticeJson", "NoticeParseError", "NoticeSchedule", "parse_notice"]


class NoticeParseError(ValueError):
    """The notice cannot be read fully. ``line_number`` is 1-based; ``line`` is as written."""

    def __init__(self, *, line_number: int, line: str, reason: str) -> None:
        self.line_number = line_number
        self.line = line
        self.reason = reason
        super().__init__(f"第{line_number}行无法解析（{reason}）：{line}")


class NoticeJson(TypedDict):
    year: int
    holidays: list[str]
    workdays: list[str]
    festivals: dict[str, str]


@dataclass(frozen=True)
class NoticeSchedule:
    year: int
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]
    festivals: dict[date, str] = field(hash=False)
    title: str = ""
    document_number: str = ""

    def as_json(self) -> NoticeJson:
        return {
            "year": self.year,
            "holidays": [day.isoformat() for day in self.holidays],
            "workdays": [day.isoformat() for day in self.workdays],
            "festivals": {day.isoformat(): self.festivals[day] for day in self.holidays},
        }


# --- the grammar -----------------------------------------------------------------------------

_NUMERALS = "一二三四五六七八九十"
_SECTION = re.compile(rf"^[{_NUMERALS}]+[、.]\s*(?P<name>[^:]*):(?P<body>.*)$")
_NAME = re.compile(r"^[\u4e00-\u9fff0-9]+(?:、[\u4e00-\u9fff0-9]+)*$")
_TITLE_YEAR = re.compile(r"(\d{4})年部分节假日安排的通知")
_PREAMBLE_YEAR = re.compile(r"现将(\d{4})年")
_DOC_NUMBER = re.compile(r"(国办发明?电)[〔\[(](\d{4})[〕\])](\d+)号")
_DATE = re.compile(
    r"(?:(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月)?(?P<d>\d{1,2})日(?:\((?P<note>[^()]*)\))?"
)
_ANY_DATE = re.compile(r"\d{1,2}月\d{1,2}日")
_SCHEDULE_WORD = re.compile(r"放假|上班|补休|调休")
_WEEKDAY = re.compile(r"^(?:星期|周|礼拜)(?P<d>[一二三四五六日天])$")
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

_RANGE = r"D(?:[至—\-~–－]D)?"
_LIST = r"D(?:、D)*"
_HOLIDAY = re.compile(
    rf"^(?P<range>{_RANGE})放假(?:调休|公休)?(?:(?P<one>\d+)天)?(?P<tail>(?:,[^,]+)*)$"
)
_WORKDAY = re.compile(rf"^{_LIST}上班$")
_COMPENSATION = re.compile(rf"^{_LIST}补休$")
_TOTAL = re.compile(r"^共(\d+)天$")
# the clauses of an explanatory 其中 sentence, and whether their dates are working days
_EXPLANATION = re.compile(
    rf"^{_LIST}(?:为法定节假日|为公休日|照常公休|公休|调休|补休|(?:两天)?公休日?调至{_LIST})$"
)


@dataclass
class _Date:
    year: int | None
    month: int
    day: int
    note: str
    month_written: bool


class _LineError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _normalise(line: str) -> str:
    text = unicodedata.normalize("NFKC", zhconv.convert(line, "zh-cn"))
    return re.sub(r"\s+", "", text)


class _LineReader:
    """Reads the dates of one line; a day without a month takes the month of the date before."""

    def __init__(self, *, year: int) -> None:
        self.year = year
        self.previous: date | None = None

    def read(self, sentence: str) -> tuple[str, list[date]]:
        """The sentence with every date replaced by ``D``, and the dates (weekdays checked)."""
        raw: list[_Date] = []

        def replace(match: re.Match[str]) -> str:
            raw.append(
                _Date(
                    year=int(match["y"]) if match["y"] else None,
                    month=int(match["m"]) if match["m"] else 0,
                    day=int(match["d"]),
                    note=match["note"] or "",
                    month_written=bool(match["m"]),
                )
            )
            return "D"

        skeleton = _DATE.sub(replace, sentence)
        if "(" in skeleton or ")" in skeleton:
            raise _LineError("括号位置无法识别")
        for index, pair in enumerate(re.findall(r"D(?:[至—\-~–－](?=D))?", skeleton)[:-1]):
            start, end = raw[index], raw[index + 1]
            if pair != "D" and start.year is None and start.month == 12 and 0 < end.month < 12:
                # "12月30日至1月1日": a 元旦 range that starts in the previous December
                start.year = self.year - 1
        days = [self._resolve(item) for item in raw]
        return skeleton, days

    def _resolve(self, item: _Date) -> date:
        if item.month_written:
            if item.year is None:
                year = self.year
            elif item.year == self.year or (item.year == self.year - 1 and item.month == 12):
                year = item.year
            else:
                raise _LineError(f"年份 {item.year} 不属于 {self.year} 年的通知")
            month = item.month
        else:
            if self.previous is None:
                raise _LineError(f"{item.day}日 没有月份")
            year, month = self.previous.year, self.previous.month
        try:
            day = date(year, month, item.day)
        except ValueError as exc:
            raise _LineError(f"日期无效：{month}月{item.day}日") from exc
        _check_note(day, item.note)
        self.previous = day
        return day


def _check_note(day: date, note: str) -> None:
    for part in re.split(r"[、,]", note) if note else []:
        if part.startswith("农历"):
            continue
        weekday = _WEEKDAY.match(part)
        if weekday is None:
            raise _LineError(f"括号内的说明无法识别：{part}")
        if _WEEKDAY_INDEX[weekday["d"]] != day.weekday():
            raise _LineError(f"{day.month}月{day.day}日 不是{part}")


def _days(first: date, last: date) -> list[date]:
    if last < first:
        raise _LineError(f"日期范围倒置：{first.isoformat()} 至 {last.isoformat()}")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


@dataclass
class _Section:
    holidays: list[date] = field(default_factory=list)
    workdays: list[date] = field(default_factory=list)
    explained_off: list[date] = field(default_factory=list)


def _read_holiday(section: _Section, *, skeleton: str, days: list[date]) -> None:
    match = _HOLIDAY.match(skeleton)
    if match is None:
        raise _LineError(f"无法识别的句子：{skeleton}")
    count = match["range"].count("D")
    off = _days(days[0], days[count - 1])
    rest = days[count:]
    total: int | None = int(match["one"]) if match["one"] else None
    for clause in filter(None, match["tail"].split(",")):
        n_dates = clause.count("D")
        clause_days, rest = rest[:n_dates], rest[n_dates:]
        total_match = _TOTAL.match(clause)
        if total_match:
            if total is not None:
                raise _LineError(f"天数重复：{clause}")
            total = int(total_match[1])
        elif clause in ("与周末连休", "不调休"):
            continue
        elif _COMPENSATION.match(clause):
            off.extend(clause_days)
        else:
            raise _LineError(f"无法识别的说明：{clause}")
    if total is not None and total != len(off):
        raise _LineError(f"天数不符：写明共{total}天，日期共{len(off)}天")
    section.holidays.extend(off)


def _read_explanation(section: _Section, *, skeleton: str, days: list[date]) -> None:
    clauses = skeleton.split(",")
    if clauses[0] != "其中":
        raise _LineError(f"无法识别的句子：{skeleton}")
    rest = days
    for clause in clauses[1:]:
        n_dates = clause.count("D")
        clause_days, rest = rest[:n_dates], rest[n_dates:]
        if _WORKDAY.match(clause):
            section.workdays.extend(clause_days)
        elif _EXPLANATION.match(clause):
            # "12月29日公休日调至12月31日": only the days after 调至 are days off
            moved = clause.partition("调至")[2].count("D")
            section.explained_off.extend(clause_days[-moved:] if moved else clause_days)
        else:
            raise _LineError(f"无法识别的说明：{clause}")


def _read_section(body: str, *, reader: _LineReader) -> _Section:
    section = _Section()
    sentences = body.split("。")
    if sentences[-1]:
        raise _LineError("句子没有以“。”结束")
    for sentence in sentences[:-1]:
        if not sentence:
            continue
        skeleton, days = reader.read(sentence)
        if _WORKDAY.match(skeleton):
            section.workdays.extend(days)
        elif _COMPENSATION.match(skeleton):
            section.holidays.extend(days)
        elif skeleton.startswith("其中,"):
            _read_explanation(section, skeleton=skeleton, days=days)
        else:
            _read_holiday(section, skeleton=skeleton, days=days)
    if not section.holidays:
        raise _LineError("没有放假日期")
    missing = sorted(set(section.explained_off) - set(section.holidays))
    if missing:
        raise _LineError(f"{missing[0].isoformat()} 不在放假日期内")
    return section


def _year(lines: list[str], normalised: list[str]) -> tuple[int, str]:
    found: list[tuple[int, int, str]] = []
    for number, text in enumerate(normalised, start=1):
        match = _TITLE_YEAR.search(text) or _PREAMBLE_YEAR.search(text)
        if match:
            found.append((number, int(match[1]), text if _TITLE_YEAR.search(text) else ""))
    if not found:
        first = next((n for n, line in enumerate(lines, start=1) if line.strip()), 1)
        raise NoticeParseError(
            line_number=first,
            line=lines[first - 1].strip() if lines else "",
            reason="找不到通知的年份（标题“国务院办公厅关于YYYY年部分节假日安排的通知”）",
        )
    year = found[0][1]
    for number, other, _title in found:
        if other != year:
            raise NoticeParseError(
                line_number=number,
                line=lines[number - 1].strip(),
                reason=f"年份不一致：{year} 与 {other}",
            )
    title = next((title for _n, _y, title in found if title), "")
    return year, title


def parse_notice(text: str) -> NoticeSchedule:
    """The schedule of the notice ``text``; ``NoticeParseError`` naming the line otherwise."""
    lines = text.splitlines()
    normalised = [_normalise(line) for line in lines]
    year, title = _year(lines, normalised)
    document = _DOC_NUMBER.search("".join(normalised))
    document_number = f"{document[1]}〔{document[2]}〕{document[3]}号" if document else ""

    festivals: dict[date, str] = {}
    workdays: dict[date, int] = {}
    sections = 0
    for number, line in enumerate(normalised, start=1):
        try:
            match = _SECTION.match(line)
            if match is None:
                if _ANY_DATE.search(line) and _SCHEDULE_WORD.search(line):
                    raise _LineError("放假或上班的日期不在编号的条目中")
                continue
            name = match["name"]
            if not _NAME.match(name) or _ANY_DATE.search(name):
                raise _LineError(f"节日名称无法识别：{name}")
            section = _read_section(match["body"], reader=_LineReader(year=year))
            for day in section.holidays:
                if day in festivals:
                    raise _LineError(f"{day.isoformat()} 已在{festivals[day]}中放假")
                festivals[day] = name
            for day in sorted(set(section.workdays)):
                if day.weekday() < 5:
                    raise _LineError(f"{day.isoformat()} 不是周末，不能调休上班")
                if day in workdays:
                    raise _LineError(f"{day.isoformat()} 已写明上班")
                workdays[day] = number
            sections += 1
        except _LineError as exc:
            raise NoticeParseError(
                line_number=number, line=lines[number - 1].strip(), reason=exc.reason
            ) from None
    for day, number in workdays.items():
        if day in festivals:
            raise NoticeParseError(
                line_number=number,
                line=lines[number - 1].strip(),
                reason=f"{day.isoformat()} 既放假又上班",
            )
    if not sections:
        raise NoticeParseError(
            line_number=len(lines), line=lines[-1].strip(), reason="没有编号的节假日条目"
        )
    return NoticeSchedule(
        year=year,
        holidays=tuple(sorted(festivals)),
        workdays=tuple(sorted(workdays)),
        festivals=dict(sorted(festivals.items())),
        title=title,
        document_number=document_number,
    )
