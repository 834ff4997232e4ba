"""The /api/v1/calendar router for system admins: the days they set (overrides of the
working-day calendar, the web's /calendar/ form) and the State Council's holiday notices.

Thin over ``services`` and ``selectors``: importing keeps a notice as the provisional schedule
of its year (a text that cannot be read answers 422 naming the line); a second system admin
confirms it (two-person rule) and only then do its days count.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from qinqing.accounts.permissions import is_system_admin
from qinqing.api.schemas import Error
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.common.workdays import SHANGHAI

from . import selectors, services
from .models import CalendarDay, HolidayNotice

router = Router(tags=["工作日历"])
Day = date  # a field named ``date`` shadows the type inside a schema
PER_PAGE = 20


class HolidayNoticeIn(Schema):
    text: str


class DayChangeOut(Schema):
    date: date
    weekday: str
    before_is_working_day: bool
    before_name: str
    before_source: str
    is_working_day: bool
    name: str


class HolidayNoticeOut(Schema):
    id: int
    year: int
    title: str
    document_number: str
    status: str
    status_label: str
    imported_by_id: int
    imported_by_name: str
    imported_at: str
    confirmed_by_id: int | None
    confirmed_by_name: str
    confirmed_at: str | None
    holidays: list[date]
    workdays: list[date]
    festivals: dict[str, str]


class HolidayNoticeDetailOut(HolidayNoticeOut):
    text: str
    changes: list[DayChangeOut]


class HolidayNoticePage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[HolidayNoticeOut]


def _admin(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not is_system_admin(user):
        raise HttpError(403, "forbidden")
    return user


def _notice(notice_id: int) -> HolidayNotice:
    notice = selectors.holiday_notices().filter(pk=notice_id).first()
    if notice is None:
        raise HttpError(404, "not found")
    return notice


def _out(notice: HolidayNotice) -> dict[str, Any]:
    schedule = notice.schedule
    return {
        "id": notice.pk,
        "year": notice.year,
        "title": notice.title,
        "document_number": notice.document_number,
        "status": notice.status,
        "status_label": notice.get_status_display(),
        "imported_by_id": notice.imported_by_id,
        "imported_by_name": str(notice.imported_by),
        "imported_at": notice.imported_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "confirmed_by_id": notice.confirmed_by_id,
        "confirmed_by_name": str(notice.confirmed_by) if notice.confirmed_by else "",
        "confirmed_at": (
            notice.confirmed_at.astimezone(SHANGHAI).isoformat(timespec="seconds")
            if notice.confirmed_at
            else None
        ),
        "holidays": schedule["holidays"],
        "workdays": schedule["workdays"],
        "festivals": schedule["festivals"],
    }


def _detail(notice: HolidayNotice) -> dict[str, Any]:
    changes = (
        selectors.holiday_notice_diff(notice)
        if notice.status == HolidayNotice.Status.PROVISIONAL
        else []
    )
    return {
        **_out(notice),
        "text": notice.text,
        "changes": [
            {
                "date": change.day,
                "weekday": change.weekday,
                "before_is_working_day": change.before.is_working_day,
                "before_name": change.before.name,
                "before_source": change.before.source,
                "is_working_day": change.is_working_day,
                "name": change.name,
            }
            for change in changes
        ],
    }


@router.get(
    "/notices",
    response={200: HolidayNoticePage, 401: Error, 403: Error},
    summary="导入的国务院办公厅节假日安排通知，新的年份在前（系统管理员）",
)
def notice_list(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    _admin(request)
    current = paginate(selectors.holiday_notices(), page, PER_PAGE)
    return {**page_fields_next(current, request), "items": [_out(n) for n in current.object_list]}


@router.post(
    "/notices",
    response={201: HolidayNoticeDetailOut, 401: Error, 403: Error, 409: Error, 422: Error},
    summary="导入通知原文为待确认的放假安排；无法解析时 422 并指出行号",
)
def notice_import(request: HttpRequest, body: HolidayNoticeIn) -> tuple[int, dict[str, Any]]:
    user = _admin(request)
    notice = services.holiday_notice_import(actor=user, text=body.text)
    return 201, _detail(_notice(notice.pk))


@router.get(
    "/notices/{notice_id}",
    response={200: HolidayNoticeDetailOut, 401: Error, 403: Error, 404: Error},
    summary="一份通知：原文、放假安排；待确认的另列确认后工作日历将变化的日子",
)
def notice_get(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    _admin(request)
    return _detail(_notice(notice_id))


@router.post(
    "/notices/{notice_id}/confirm",
    response={200: HolidayNoticeDetailOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="确认待确认的通知并写入工作日历（须由导入人以外的系统管理员确认）",
)
def notice_confirm(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    user = _admin(request)
    notice = services.holiday_notice_confirm(actor=user, notice_id=_notice(notice_id).pk)
    return _detail(_notice(notice.pk))


@router.post(
    "/notices/{notice_id}/withdraw",
    response={200: HolidayNoticeDetailOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="撤回通知（已确认的，其设置的日期恢复为原日历，未结期限重算）",
)
def notice_withdraw(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    user = _admin(request)
    notice = services.holiday_notice_withdraw(actor=user, notice_id=_notice(notice_id).pk)
    return _detail(_notice(notice.pk))


# --- the administrators' day settings (overrides), the twin of the web's /calendar/ form -----
class CalendarDayIn(Schema):
    date: Day
    until: Day | None = Field(None, description="连续多天时的最后一天（含），一次最多31天")
    is_working_day: bool = Field(..., description="true：上班（调休上班）；false：休息（节假日）")
    name: str = Field(..., max_length=50, description="如：春节、国庆节、调休上班")
    note: str = Field("", max_length=500, description="如：国办发明电〔2026〕×号")


class CalendarDayOut(Schema):
    date: Day
    is_working_day: bool
    name: str
    note: str
    created_by_id: int | None
    created_by_name: str
    updated_at: str


class CalendarDayPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None
    items: list[CalendarDayOut]


class CalendarDaysOut(Schema):
    count: int
    items: list[CalendarDayOut]


def _day(setting: CalendarDay) -> dict[str, Any]:
    return {
        "date": setting.date,
        "is_working_day": setting.is_working_day,
        "name": setting.name,
        "note": setting.note,
        "created_by_id": setting.created_by_id,
        "created_by_name": str(setting.created_by) if setting.created_by else "",
        "updated_at": setting.updated_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
    }


def _setting(day: date) -> CalendarDay:
    setting = selectors.calendar_days_of_year(year=day.year).filter(date=day).first()
    if setting is None:
        raise HttpError(404, "not found")
    return setting


@router.get(
    "/days",
    response={200: CalendarDayPage, 401: Error, 403: Error, 422: Error},
    summary="管理员设置的日子（覆盖 chinese-calendar 的节假日与调休），按年份，"
    "默认今年（系统管理员）",
)
def day_list(
    request: HttpRequest,
    year: int | None = Query(None, ge=2000, le=2100),
    page: int = Query(1, ge=1),
) -> Any:
    _admin(request)
    year = year or timezone.localtime(timezone.now(), SHANGHAI).year
    current = paginate(selectors.calendar_days_of_year(year=year), page, 50)
    return {**page_fields_next(current, request), "items": [_day(d) for d in current.object_list]}


@router.post(
    "/days",
    response={201: CalendarDaysOut, 401: Error, 403: Error, 409: Error, 422: Error},
    summary="把一天或连续多天设为上班或休息（已有设置则覆盖；全部成功或全部不变）",
)
def day_set(request: HttpRequest, response: HttpResponse, body: CalendarDayIn) -> Any:
    user = _admin(request)
    changed = services.calendar_range_set(
        actor=user,
        first=body.date,
        last=body.until or body.date,
        is_working_day=body.is_working_day,
        name=body.name,
        note=body.note,
    )
    response["Location"] = f"/api/v1/calendar/days/{body.date.isoformat()}"
    return 201, {"count": len(changed), "items": [_day(_setting(d.date)) for d in changed]}


@router.get(
    "/days/{day}",
    response={200: CalendarDayOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="一天的管理员设置（没有设置时404）",
)
def day_get(request: HttpRequest, day: date) -> Any:
    _admin(request)
    return _day(_setting(day))


@router.delete(
    "/days/{day}",
    response={204: None, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="删除一天的管理员设置：恢复由 chinese-calendar（或周一至周五）决定",
)
def day_delete(request: HttpRequest, day: date) -> Any:
    user = _admin(request)
    services.calendar_day_delete(actor=user, day=_setting(day).date)
    return 204, None
