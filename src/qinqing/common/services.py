"""Every write of the common app: the administrators' working-day calendar settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.permissions import is_system_admin
from qinqing.audit.actions import register
from qinqing.audit.services import record

from .errors import Conflict, NotPermitted, ServiceError
from .models import CalendarDay

register("calendar.set", gettext_lazy("设置日历"))
register("calendar.delete", gettext_lazy("删除日历设置"))

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


@transaction.atomic
def calendar_day_set(
    *, actor: Any, day: date, is_working_day: bool, name: str, note: str = ""
) -> CalendarDay:
    """Make ``day`` a working day or a day off, over the chinese-calendar package.

    Creates the setting or overrides an earlier one; every call leaves an audit entry.
    """
    _require_system_admin(actor)
    _check_day(day)
    name = _clean_text(name, field="name", limit=50, label=_("名称"))
    if not name:
        message = _("请填写名称，如“春节”或“调休上班”。")
        raise ServiceError(message, field_errors={"name": [message]})
    note = _clean_text(note, field="note", limit=500, label=_("备注"))
    values = {"is_working_day": bool(is_working_day), "name": name, "note": note}

    existing = CalendarDay.objects.select_for_update().filter(date=day).first()
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
    return setting


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
    return [
        calendar_day_set(actor=actor, day=day, is_working_day=is_working_day, name=name, note=note)
        for day in days
    ]


@transaction.atomic
def calendar_day_delete(*, actor: Any, day: date) -> None:
    """Remove the setting of ``day``: the package (or Monday–Friday) decides again."""
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
    setting.delete()
