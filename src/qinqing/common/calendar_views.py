"""The working-day calendar page: the system admin adds, overrides and deletes days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qinqing.accounts.permissions import is_system_admin

from . import selectors, services, workdays
from .errors import ServiceError
from .forms import apply_service_error
from .models import HolidayNotice

MIN_YEAR, MAX_YEAR = 2000, 2100

DATE_ERRORS = {
    "required": gettext_lazy("请填写日期。"),
    "invalid": gettext_lazy("日期无效，请按“2027-02-06”的格式填写真实存在的日期。"),
}


def _date_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=["%Y-%m-%d"],
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class CalendarDayForm(forms.Form):
    date = _date_field(gettext_lazy("日期"))
    until = _date_field(
        gettext_lazy("至（可选）"),
        required=False,
        help_text=gettext_lazy("连续多天（如春节假期）时填写最后一天，一次最多31天。"),
    )
    is_working_day = forms.TypedChoiceField(
        label=gettext_lazy("这一天"),
        choices=[("0", gettext_lazy("休息（节假日）")), ("1", gettext_lazy("上班（调休上班）"))],
        coerce=lambda value: value == "1",
        error_messages={"required": gettext_lazy("请选择上班或休息。")},
    )
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=50,
        help_text=gettext_lazy("如：春节、国庆节、调休上班"),
        error_messages={
            "required": gettext_lazy("请填写名称，如“春节”或“调休上班”。"),
            "max_length": gettext_lazy("名称不能超过50个字。"),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("备注"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("如：国办发明电〔2026〕×号"),
        widget=forms.TextInput(),
        error_messages={"max_length": gettext_lazy("备注不能超过500个字。")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("date"), data.get("until")
        if first and last:
            if last < first:
                self.add_error("until", _("结束日期不能早于开始日期。"))
            elif (last - first).days + 1 > services.MAX_RANGE_DAYS:
                self.add_error("until", _("一次最多设置%(n)d天。") % {"n": services.MAX_RANGE_DAYS})
        return data


class HolidayNoticeForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("通知原文"),
        max_length=services.MAX_NOTICE_CHARS,
        strip=False,
        help_text=gettext_lazy(
            "粘贴国务院办公厅《关于YYYY年部分节假日安排的通知》全文（含标题）。"
            "导入后为待确认状态，须由另一位系统管理员核对确认后才写入日历。"
        ),
        widget=forms.Textarea(attrs={"rows": 12}),
        error_messages={
            "required": gettext_lazy("请粘贴通知原文。"),
            "max_length": gettext_lazy("通知原文过长。"),
        },
    )


def _require_system_admin(request: HttpRequest) -> None:
    if not is_system_admin(request.user):
        raise PermissionDenied


def _year(value: str | None) -> int:
    current = timezone.localtime(timezone.now(), workdays.SHANGHAI).year
    try:
        year = int(value or current)
    except ValueError:
        return current
    return year if MIN_YEAR <= year <= MAX_YEAR else current


def _page_url(year: int) -> str:
    return f"{reverse('calendar:days')}?year={year}"


@login_required
def calendar_days(request: HttpRequest) -> HttpResponse:
    _require_system_admin(request)
    year = _year(request.GET.get("year"))
    form = CalendarDayForm(request.POST or None, initial={"is_working_day": "0"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = services.calendar_range_set(
                actor=request.user,
                first=data["date"],
                last=data["until"] or data["date"],
                is_working_day=data["is_working_day"],
                name=data["name"],
                note=data["note"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已设置%(n)d天。") % {"n": len(changed)})
            return redirect(_page_url(data["date"].year))
    return _render_page(request, year=year, form=form)


def _render_page(
    request: HttpRequest,
    *,
    year: int,
    form: CalendarDayForm | None = None,
    notice_form: HolidayNoticeForm | None = None,
) -> HttpResponse:
    first_known, last_known = workdays.source_years()
    package_days = [d for d in workdays.year_exceptions(year) if d.source != "admin"]
    notices = [
        (notice, selectors.holiday_notice_diff(notice) if notice.status == "provisional" else [])
        for notice in selectors.holiday_notices_of_year(year=year)
    ]
    return render(
        request,
        "common/calendar.html",
        {
            "year": year,
            "form": form or CalendarDayForm(initial={"is_working_day": "0"}),
            "notice_form": notice_form or HolidayNoticeForm(),
            "notices": notices,
            "provisional_years": selectors.holiday_notice_provisional_years(),
            "settings": [
                (setting, workdays.source_status(setting.date))
                for setting in selectors.calendar_days_of_year(year=year)
            ],
            "package_days": package_days,
            "known": first_known <= year <= last_known,
            "first_known": first_known,
            "last_known": last_known,
            "source": f"{workdays.SOURCE_NAME} {workdays.SOURCE_VERSION}",
            "years": selectors.calendar_years_with_settings(),
        },
    )


@login_required
@require_POST
def calendar_day_delete(request: HttpRequest) -> HttpResponse:
    _require_system_admin(request)
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        messages.error(request, _("日期无效。"))
        return redirect("calendar:days")
    try:
        services.calendar_day_delete(actor=request.user, day=day)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除 %(day)s 的设置。") % {"day": day.isoformat()})
    return redirect(_page_url(day.year))


@login_required
@require_POST
def calendar_notice_import(request: HttpRequest) -> HttpResponse:
    _require_system_admin(request)
    form = HolidayNoticeForm(request.POST)
    if form.is_valid():
        try:
            notice = services.holiday_notice_import(
                actor=request.user, text=form.cleaned_data["text"]
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("已导入%(year)d年节假日安排通知，待另一位系统管理员核对确认。")
                % {"year": notice.year},
            )
            return redirect(_page_url(notice.year))
    return _render_page(request, year=_year(request.GET.get("year")), notice_form=form)


def _notice_action(
    request: HttpRequest, act: Callable[..., HolidayNotice], notice_id: int, done: str
) -> HttpResponse:
    """Confirm or withdraw a notice; the outcome as a message on the year's page."""
    _require_system_admin(request)
    try:
        notice = act(actor=request.user, notice_id=notice_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_page_url(_year(request.POST.get("year"))))
    messages.success(request, done % {"year": notice.year})
    return redirect(_page_url(notice.year))


@login_required
@require_POST
def calendar_notice_confirm(request: HttpRequest, notice_id: int) -> HttpResponse:
    return _notice_action(
        request,
        services.holiday_notice_confirm,
        notice_id,
        _("已确认%(year)d年节假日安排，已写入工作日历。"),
    )


@login_required
@require_POST
def calendar_notice_withdraw(request: HttpRequest, notice_id: int) -> HttpResponse:
    return _notice_action(
        request, services.holiday_notice_withdraw, notice_id, _("已撤回%(year)d年节假日安排通知。")
    )
