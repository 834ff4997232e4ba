"""Every write of the common app: the administrators' working-day calendar settings."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.permissions import is_system_admin
from qinqing.audit.actions import register
from qinqing.audit.services import record

from . import workdays
from .deadline_recompute import calendar_changed
from .errors import Conflict, NotPermitted, ServiceError
from .holiday_notice import NoticeParseError, parse_notice
from .models import CalendarDay, HolidayNotice
from .selectors import holiday_notice_days

register("calendar.set", gettext_lazy("设置日历"))
register("calendar.delete", gettext_lazy("删除日历设置"))
register("calendar.notice_import", gettext_lazy("导入节假日安排通知"))
register("calendar.notice_confirm", gettext_lazy("确认节假日安排通知"))
register("calendar.notice_withdraw", gettext_lazy("撤回节假日安排通知"))

#: the longest run of days one request may set (a holiday is at most nine days)
MAX_RANGE_DAYS = 31


def _require_system_admin(actor: Any) -> None:
    if actor is None or not is_system_admin(actor):
        raise NotPermitted(_("只有系统管理员可以设置工作日历。"))


def _check_day(day: Any) -> date:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ServiceError(_("请填写有效的日期。"), field_errors={"date": [_("日期无效。")]})
    return day


def _clean_text(value: str, *, field: str, limit: int, label: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        message = _("%(label)s不能超过%(n)d个字。") % {"label": label, "n": limit}
        raise ServiceError(message, field_errors={field: [message]})
    return value


def _snapshot(day: CalendarDay) -> dict[str, Any]:
    return {
        "date": day.date.isoformat(),
        "is_working_day": day.is_working_day,
        "name": day.name,
        "note": day.note,
    }


def _status_of(day: date, setting: CalendarDay | None) -> bool:
    """Whether ``day`` is a working day with ``setting`` (or without any setting)."""
    if setting is not None:
        return setting.is_working_day
    return workdays.source_status(day).is_working_day


@transaction.atomic
def calendar_day_set(
    *, actor: Any, day: date, is_working_day: bool, name: str, note: str = ""
) -> CalendarDay:
    """Make ``day`` a working day or a day off, over the chinese-calendar package.

    Creates the setting or overrides an earlier one; every call leaves an audit entry. When
    the day's working status changes, the open deadlines it moves are recomputed after commit
    (``deadline_recompute``).
    """
    setting, moved = _day_set(
        actor=actor, day=day, is_working_day=is_working_day, name=name, note=note
    )
    if moved:
        calendar_changed(days=[day], actor=actor)
    return setting


def _day_set(
    *, actor: Any, day: date, is_working_day: bool, name: str, note: str = ""
) -> tuple[CalendarDay, bool]:
    """``calendar_day_set`` without the recompute; also says whether the status changed."""
    _require_system_admin(actor)
    _check_day(day)
    name = _clean_text(name, field="name", limit=50, label=_("名称"))
    if not name:
        message = _("请填写名称，如“春节”或“调休上班”。")
        raise ServiceError(message, field_errors={"name": [message]})
    note = _clean_text(note, field="note", limit=500, label=_("备注"))
    values = {"is_working_day": bool(is_working_day), "name": name, "note": note}

    existing = CalendarDay.objects.select_for_update().filter(date=day).first()
    was_working = _status_of(day, existing)
    if existing is None:
        try:
            with transaction.atomic():
                setting = CalendarDay.objects.create(date=day, created_by=actor, **values)
        except IntegrityError as exc:
            raise Conflict(
                _("%(day)s 刚被他人设置，请刷新后重试。") % {"day": day.isoformat()}
            ) from exc
        before: dict[str, Any] = {}
    else:
        setting = existing
        before = _snapshot(setting)
        for field, value in values.items():
            setattr(setting, field, value)
        setting.save(update_fields=[*values, "updated_at"])
    record(
        actor=actor,
        action="calendar.set",
        obj=setting,
        changes={"before": before, "after": _snapshot(setting)},
    )
    return setting, was_working != setting.is_working_day


@transaction.atomic
def calendar_range_set(
    *,
    actor: Any,
    first: date,
    last: date,
    is_working_day: bool,
    name: str,
    note: str = "",
) -> list[CalendarDay]:
    """``calendar_day_set`` for each day of ``first``..``last``, all or none."""
    _require_system_admin(actor)
    _check_day(first)
    _check_day(last)
    if last < first:
        message = _("结束日期不能早于开始日期。")
        raise ServiceError(message, field_errors={"until": [message]})
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        message = _("一次最多设置%(n)d天。") % {"n": MAX_RANGE_DAYS}
        raise ServiceError(message, field_errors={"until": [message]})
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    settings: list[CalendarDay] = []
    moved: list[date] = []
    for day in days:
        setting, changed = _day_set(
            actor=actor, day=day, is_working_day=is_working_day, name=name, note=note
        )
        settings.append(setting)
        if changed:
            moved.append(day)
    calendar_changed(days=moved, actor=actor)
    return settings


@transaction.atomic
def calendar_day_delete(*, actor: Any, day: date) -> None:
    """Remove the setting of ``day``: the package (or Monday–Friday) decides again."""
    if _day_delete(actor=actor, day=day):
        calendar_changed(days=[day], actor=actor)


def _day_delete(*, actor: Any, day: date) -> bool:
    """``calendar_day_delete`` without the recompute; says whether the status changed."""
    _require_system_admin(actor)
    _check_day(day)
    setting = CalendarDay.objects.select_for_update().filter(date=day).first()
    if setting is None:
        raise ServiceError(_("%(day)s 没有管理员设置。") % {"day": day.isoformat()})
    record(
        actor=actor,
        action="calendar.delete",
        obj=setting,
        changes={"before": _snapshot(setting), "after": {}},
    )
    was_working = setting.is_working_day
    setting.delete()
    return was_working != _status_of(day, None)


# --- the State Council's holiday notice: import, confirm by a second admin, withdraw --------

#: the longest notice text accepted (the real ones are about 1,000 characters)
MAX_NOTICE_CHARS = 20_000


def _notice_text(text: str) -> str:
    """The text as stored and hashed: line endings unified, outer blank space removed."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _notice_source(notice: HolidayNotice) -> str:
    return (
        notice.document_number
        or notice.title
        or _("%(year)d年节假日安排通知") % {"year": notice.year}
    )


@transaction.atomic
def holiday_notice_import(*, actor: Any, text: str) -> HolidayNotice:
    """Read the notice ``text`` and keep it as a provisional schedule of its year.

    Nothing counts until a second system administrator confirms it
    (``holiday_notice_confirm``). The same text imported twice for a year is refused.
    """
    _require_system_admin(actor)
    text = _notice_text(text)
    if not text:
        message = _("请粘贴通知原文。")
        raise ServiceError(message, field_errors={"text": [message]})
    if len(text) > MAX_NOTICE_CHARS:
        message = _("通知原文不能超过%(n)d个字。") % {"n": MAX_NOTICE_CHARS}
        raise ServiceError(message, field_errors={"text": [message]})
    try:
        schedule = parse_notice(text)
    except NoticeParseError as exc:
        message = _("第%(n)d行无法解析（%(reason)s）：%(line)s") % {
            "n": exc.line_number,
            "reason": exc.reason,
            "line": exc.line,
        }
        raise ServiceError(message, field_errors={"text": [message]}) from exc
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    duplicate = (
        HolidayNotice.objects.filter(year=schedule.year, text_sha256=digest)
        .exclude(status=HolidayNotice.Status.WITHDRAWN)
        .first()
    )
    if duplicate is not None:
        raise Conflict(
            _("%(year)d年的这份通知已导入（编号%(id)d），无需重复导入。")
            % {"year": schedule.year, "id": duplicate.pk}
        )
    try:
        with transaction.atomic():
            notice = HolidayNotice.objects.create(
                year=schedule.year,
                title=schedule.title[:200],
                document_number=schedule.document_number[:50],
                text=text,
                text_sha256=digest,
                schedule=dict(schedule.as_json()),
                imported_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(_("这份通知刚被他人导入，请刷新后重试。")) from exc
    record(
        actor=actor,
        action="calendar.notice_import",
        obj=notice,
        changes={
            "after": {
                "year": notice.year,
                "document_number": notice.document_number,
                "text_sha256": digest,
                "holidays": len(schedule.holidays),
                "workdays": len(schedule.workdays),
            }
        },
    )
    return notice


def _locked_notice(notice_id: int) -> HolidayNotice:
    notice = HolidayNotice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None:
        raise ServiceError(_("找不到该节假日安排通知。"))
    return notice


@transaction.atomic
def holiday_notice_confirm(*, actor: Any, notice_id: int) -> HolidayNotice:
    """Make the provisional notice the schedule of its year: a second administrator only.

    Writes each day off and each make-up working day as a ``CalendarDay`` setting (audited
    as ``calendar.set``), removes the settings of days that the year's earlier confirmed
    notice set and this one does not mention, withdraws the year's other provisional
    notices. Days the notice does not mention are left to the package or Monday–Friday.
    """
    _require_system_admin(actor)
    notice = _locked_notice(notice_id)
    if notice.status != HolidayNotice.Status.PROVISIONAL:
        raise Conflict(_("只有待确认的通知可以确认。"))
    if notice.imported_by_id == actor.pk:
        raise NotPermitted(
            _("导入通知的管理员不能自己确认：请由另一位系统管理员核对后确认（双人复核）。")
        )
    others = list(
        HolidayNotice.objects.select_for_update()
        .filter(year=notice.year)
        .exclude(pk=notice.pk)
        .exclude(status=HolidayNotice.Status.WITHDRAWN)
    )
    days = holiday_notice_days(notice)
    existing = {setting.date: setting for setting in _year_settings(notice.year)}
    note = _notice_source(notice)
    removed: list[str] = []
    moved: list[date] = []
    for other in others:
        if other.status == HolidayNotice.Status.CONFIRMED:
            for day in sorted(set(holiday_notice_days(other)) - set(days)):
                if day in existing:
                    if _day_delete(actor=actor, day=day):
                        moved.append(day)
                    removed.append(day.isoformat())
        other.status = HolidayNotice.Status.WITHDRAWN
        other.save(update_fields=["status"])
        record(
            actor=actor,
            action="calendar.notice_withdraw",
            obj=other,
            changes={"after": {"status": other.status, "replaced_by": notice.pk}},
        )
    changed = 0
    for day, (working, name) in sorted(days.items()):
        setting = existing.get(day)
        if setting and (setting.is_working_day, setting.name, setting.note) == (
            working,
            name,
            note,
        ):
            continue
        _setting, status_changed = _day_set(
            actor=actor, day=day, is_working_day=working, name=name, note=note
        )
        if status_changed:
            moved.append(day)
        changed += 1
    notice.status = HolidayNotice.Status.CONFIRMED
    notice.confirmed_by = actor
    notice.confirmed_at = timezone.now()
    try:
        with transaction.atomic():
            notice.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    except IntegrityError as exc:  # another notice of the year confirmed at the same moment
        raise Conflict(_("该年的另一份通知刚被确认，请刷新后重试。")) from exc
    record(
        actor=actor,
        action="calendar.notice_confirm",
        obj=notice,
        changes={
            "after": {
                "status": notice.status,
                "days_set": changed,
                "days_removed": removed,
                "replaced": [other.pk for other in others],
                "days_moved": len(set(moved)),
            }
        },
    )
    calendar_changed(days=moved, actor=actor)
    return notice


def _year_settings(year: int) -> list[CalendarDay]:
    """The settings a notice of ``year`` may touch (its 元旦 may start in December before)."""
    return list(
        CalendarDay.objects.select_for_update().filter(
            date__gte=date(year - 1, 12, 1), date__lte=date(year, 12, 31)
        )
    )


@transaction.atomic
def holiday_notice_withdraw(*, actor: Any, notice_id: int) -> HolidayNotice:
    """Drop a notice: a provisional one (a wrong paste, a superseded draft) changed nothing; a
    confirmed one (found wrong after confirmation) takes back the days it set.

    Withdrawing a confirmed notice deletes each setting that still holds what the notice set
    (a day changed by hand since is left alone), so those days fall back to the package or
    Monday–Friday, and the open deadlines they move are recomputed after commit.
    """
    _require_system_admin(actor)
    notice = _locked_notice(notice_id)
    if notice.status == HolidayNotice.Status.WITHDRAWN:
        raise Conflict(_("该通知已撤回。"))
    before = notice.status
    removed: list[str] = []
    moved: list[date] = []
    if before == HolidayNotice.Status.CONFIRMED:
        existing = {setting.date: setting for setting in _year_settings(notice.year)}
        for day, (working, name) in sorted(holiday_notice_days(notice).items()):
            setting = existing.get(day)
            if setting is None or (setting.is_working_day, setting.name) != (working, name):
                continue
            if _day_delete(actor=actor, day=day):
                moved.append(day)
            removed.append(day.isoformat())
    notice.status = HolidayNotice.Status.WITHDRAWN
    notice.save(update_fields=["status"])
    record(
        actor=actor,
        action="calendar.notice_withdraw",
        obj=notice,
        changes={
            "before": {"status": str(before)},
            "after": {"status": notice.status, "days_removed": removed},
        },
    )
    calendar_changed(days=moved, actor=actor)
    return notice
