"""qinqing calendar: the working-day calendar that deadlines are counted on.

qinqing calendar deadline --from 2026-09-30T10:00 --working-days 5
qinqing calendar is-working-day 2026-10-10
qinqing calendar year 2027
qinqing calendar set 2027-02-06..2027-02-12 --off --name 春节 --actor admin
qinqing calendar set 2027-02-14 --working --name 调休上班 --actor admin
qinqing calendar unset 2027-02-14 --actor admin
qinqing calendar notice parse notice-2027.txt [--json]
qinqing calendar notice import notice-2027.txt --actor admin
qinqing calendar notice confirm 3 --actor another_admin
qinqing calendar status [--days 60]
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qinqing.common import selectors, services, workdays
from qinqing.common.errors import ServiceError
from qinqing.common.holiday_notice import NoticeParseError, NoticeSchedule, parse_notice
from qinqing.common.text import pad


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期无效：{value}（格式如 2027-02-06）") from exc


def _moment(value: str) -> datetime:
    """ISO 8601; without an offset the time is Asia/Shanghai."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"时间无效：{value}（格式如 2026-09-30T10:00）") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=workdays.SHANGHAI)
    return moment


def _range(value: str) -> tuple[date, date]:
    first, sep, last = value.partition("..")
    return (_date(first), _date(last)) if sep else (_date(first), _date(first))


def _status(is_working: bool) -> str:
    return "上班" if is_working else "休息"


class Command(BaseCommand):
    help = "Working-day calendar: deadlines, single days, a year's exceptions, admin settings."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")

        deadline = commands.add_parser(
            "deadline", help="print the deadline (ISO 8601, +08:00) of N working days"
        )
        deadline.add_argument(
            "--from",
            dest="start",
            required=True,
            help="submission time, ISO 8601; without an offset it is Asia/Shanghai time",
        )
        deadline.add_argument("--working-days", dest="working_days", type=int, required=True)

        day = commands.add_parser("is-working-day", help="whether a day is a working day, and why")
        day.add_argument("day", metavar="DATE")

        year = commands.add_parser(
            "year", help="list the days of a year that differ from Monday-Friday"
        )
        year.add_argument("year", type=int, metavar="YEAR")

        setter = commands.add_parser(
            "set", help="set a day or a range DATE..DATE as a working day or a day off"
        )
        setter.add_argument("days", metavar="DATE[..DATE]")
        status = setter.add_mutually_exclusive_group(required=True)
        status.add_argument("--working", dest="working", action="store_true")
        status.add_argument("--off", dest="working", action="store_false")
        setter.add_argument("--name", required=True, help="e.g. 春节, 调休上班")
        setter.add_argument("--note", default="")
        setter.add_argument("--actor", required=True, help="username of a system admin")

        unsetter = commands.add_parser("unset", help="delete the admin setting of a day")
        unsetter.add_argument("day", metavar="DATE")
        unsetter.add_argument("--actor", required=True, help="username of a system admin")

        notice = commands.add_parser(
            "notice", help="read the State Council holiday notice (国务院办公厅…节假日安排的通知)"
        )
        notice_actions = notice.add_subparsers(
            dest="notice_action", required=True, metavar="action"
        )
        notice_parse = notice_actions.add_parser(
            "parse", help="print the days off and make-up working days of a notice text file"
        )
        notice_parse.add_argument("file", metavar="FILE", help="the notice as UTF-8 text")
        notice_parse.add_argument(
            "--json", action="store_true", help="print {year, holidays, workdays, festivals}"
        )
        notice_import = notice_actions.add_parser(
            "import",
            help="keep a notice text file as the provisional schedule of its year, print the diff",
        )
        notice_import.add_argument("file", metavar="FILE", help="the notice as UTF-8 text")
        notice_import.add_argument("--actor", required=True, help="username of a system admin")
        notice_confirm = notice_actions.add_parser(
            "confirm",
            help="confirm a provisional notice (another system admin than the importer)",
        )
        notice_confirm.add_argument("notice_id", type=int, metavar="ID")
        notice_confirm.add_argument("--actor", required=True, help="username of a system admin")

        recompute = commands.add_parser(
            "recompute",
            help="recompute now the open deadlines that reach into YEAR (after a lost job)",
        )
        recompute.add_argument("year", type=int, metavar="YEAR")

        calendar_status = commands.add_parser(
            "status",
            help="whether each year up to N days ahead has a holiday schedule; exit 1 if not",
        )
        calendar_status.add_argument(
            "--days", type=int, default=60, help="how far ahead (default 60)"
        )
        calendar_status.add_argument(
            "--today", default=None, help="count from this date (default: today in Shanghai)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {
            "deadline": self.deadline,
            "is-working-day": self.is_working_day,
            "year": self.year,
            "set": self.set_days,
            "unset": self.unset_day,
            "notice": self.notice,
            "status": self.status,
            "recompute": self.recompute,
        }[options["subcommand"]]
        handler(options)

    def deadline(self, options: dict[str, Any]) -> None:
        try:
            due = workdays.deadline_after(_moment(options["start"]), options["working_days"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(due.isoformat())

    def is_working_day(self, options: dict[str, Any]) -> None:
        status = workdays.day_status(_date(options["day"]))
        reason = f"{status.name}，" if status.name else ""
        self.stdout.write(
            f"{status.day.isoformat()} {status.weekday} {_status(status.is_working_day)}"
            f"（{reason}来源：{status.source_label}）"
        )

    def year(self, options: dict[str, Any]) -> None:
        year = options["year"]
        if not 1 <= year <= 9999:
            raise CommandError(f"年份无效：{year}")
        first, last = workdays.source_years()
        if not first <= year <= last:
            self.stdout.write(
                f"注意：{workdays.SOURCE_NAME} {workdays.SOURCE_VERSION} 未收录 {year} 年"
                f"（收录 {first}–{last} 年），未经管理员设置的日期按周一至周五计算。"
            )
        days = workdays.year_exceptions(year)
        if not days:
            self.stdout.write(f"{year} 年没有与周一至周五不同的日子。")
            return
        for status in days:
            self.stdout.write(
                f"{status.day.isoformat()} {status.weekday} {_status(status.is_working_day)}  "
                f"{pad(status.name or '—', 16)} {status.source_label}"
            )

    def recompute(self, options: dict[str, Any]) -> None:
        """What the background jobs do after a calendar change, for the days of a year (and
        the December before, where a 元旦 holiday may start); idempotent."""
        from qinqing.common.deadline_recompute import recompute_now

        year = options["year"]
        if not 1 <= year <= 9999:
            raise CommandError(f"年份无效：{year}")
        results = recompute_now(first=date(year - 1, 12, 1), last=date(year, 12, 31), years=[year])
        for name, counts in results.items():
            self.stdout.write(
                f"{name}：检查 {counts.get('checked', 0)} 件，调整 {counts.get('moved', 0)} 件"
            )

    def _actor(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"找不到用户：{username}")
        return user

    def set_days(self, options: dict[str, Any]) -> None:
        first, last = _range(options["days"])
        try:
            changed = services.calendar_range_set(
                actor=self._actor(options["actor"]),
                first=first,
                last=last,
                is_working_day=options["working"],
                name=options["name"],
                note=options["note"],
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        for setting in changed:
            self.stdout.write(f"已设置：{setting}")

    def unset_day(self, options: dict[str, Any]) -> None:
        day = _date(options["day"])
        try:
            services.calendar_day_delete(actor=self._actor(options["actor"]), day=day)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"已删除 {day.isoformat()} 的设置。")

    def notice(self, options: dict[str, Any]) -> None:
        action = options["notice_action"]
        if action == "confirm":
            self.notice_confirm(options)
            return
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取文件 / cannot read the file: {path}（{exc}）") from exc
        if action == "import":
            self.notice_import(text, options)
            return
        try:
            schedule = parse_notice(text)
        except NoticeParseError as exc:
            self.stderr.write(
                f"无法解析通知 / cannot parse the notice: line {exc.line_number}: {exc.line}"
            )
            raise SystemExit(1) from None
        if options["json"]:
            self.stdout.write(json.dumps(schedule.as_json(), ensure_ascii=False, indent=2))
            return
        for line in _notice_lines(schedule):
            self.stdout.write(line)

    def notice_import(self, text: str, options: dict[str, Any]) -> None:
        try:
            notice = services.holiday_notice_import(actor=self._actor(options["actor"]), text=text)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        schedule = notice.schedule
        self.stdout.write(
            f"已导入通知 #{notice.pk}（待确认）/ imported notice #{notice.pk} (provisional): "
            f"{notice.year} 年，放假 {len(schedule['holidays'])} 天，"
            f"调休上班 {len(schedule['workdays'])} 天"
        )
        changes = selectors.holiday_notice_diff(notice)
        self.stdout.write(f"与现行日历不同的日子 / days that change: {len(changes)}")
        for change in changes:
            name = f"（{change.name}）" if change.name else ""
            self.stdout.write(
                f"  {change.day.isoformat()} {change.weekday} "
                f"{_status(change.before.is_working_day)} → {_status(change.is_working_day)}"
                f"{name}"
            )
        self.stdout.write(
            f"请另一位系统管理员核对后确认 / another system admin confirms: "
            f"qinqing calendar notice confirm {notice.pk} --actor USERNAME"
        )

    def notice_confirm(self, options: dict[str, Any]) -> None:
        try:
            notice = services.holiday_notice_confirm(
                actor=self._actor(options["actor"]), notice_id=options["notice_id"]
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"已确认通知 #{notice.pk}，{notice.year} 年的放假安排已写入工作日历 / "
            f"notice #{notice.pk} confirmed: the {notice.year} schedule is in the calendar"
        )

    def status(self, options: dict[str, Any]) -> None:
        days = options["days"]
        if days < 0:
            raise CommandError(f"天数无效：{days}")
        if options["today"]:
            today = _date(options["today"])
        else:
            today = timezone.localtime(timezone.now(), workdays.SHANGHAI).date()
        first_known, last_known = workdays.source_years()
        missing: list[int] = []
        for year in range(today.year, (today + timedelta(days=days)).year + 1):
            notice = selectors.holiday_notice_confirmed(year=year)
            if notice is not None:
                source = notice.document_number or f"#{notice.pk}"
                self.stdout.write(f"{year} 年：已确认国务院办公厅通知（{source}）/ confirmed")
            elif first_known <= year <= last_known:
                self.stdout.write(
                    f"{year} 年：{workdays.SOURCE_NAME} {workdays.SOURCE_VERSION} 已收录 / known"
                )
            else:
                missing.append(year)
                self.stdout.write(f"{year} 年：尚无放假安排 / no holiday schedule")
        if missing:
            years = "、".join(str(year) for year in missing)
            raise CommandError(
                f"{years} 年尚无确认的放假安排：请导入国务院办公厅通知并由另一位系统管理员确认"
                f"（qinqing calendar notice import）/ no confirmed holiday schedule for {years}"
            )


def _notice_lines(schedule: NoticeSchedule) -> list[str]:
    """The schedule, readably: one line per run of days off, then the make-up working days."""

    def label(day: date) -> str:
        return f"{day.isoformat()} {workdays.WEEKDAYS[day.weekday()]}"

    source = "，".join(filter(None, (schedule.title, schedule.document_number)))
    lines = [f"{schedule.year} 年节假日安排" + (f"（{source}）" if source else "")]
    lines.append("放假 / days off:")
    runs: list[list[date]] = []
    for day in schedule.holidays:
        previous = runs[-1][-1] if runs else None
        if (
            previous is not None
            and (day - previous).days == 1
            and schedule.festivals[previous] == schedule.festivals[day]
        ):
            runs[-1].append(day)
        else:
            runs.append([day])
    for run in runs:
        span = label(run[0]) if len(run) == 1 else f"{label(run[0])} 至 {label(run[-1])}"
        lines.append(f"  {pad(schedule.festivals[run[0]], 16)} {span}（{len(run)} 天）")
    lines.append("调休上班 / make-up working days:")
    lines.extend(f"  {label(day)}" for day in schedule.workdays)
    if not schedule.workdays:
        lines.append("  —")
    return lines
