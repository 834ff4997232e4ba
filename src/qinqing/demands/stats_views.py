"""Demand statistics pages: the public page, the staff dashboard and their Excel exports.

The public page and its export carry no personal data: counts per district, department
(a public body) and category only — no firm, no person, no case title.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qinqing.common.spreadsheet import SafeWorkbook, file_response

from . import charts
from .mediation import mediation_counts
from .statistics import (
    DashboardScope,
    Figures,
    Report,
    can_read_dashboard,
    dashboard_scope,
    demand_report,
    overdue_by_department,
    parse_period,
    period_choices,
    public_region_groups,
)


def _monthly_chart(report: Report) -> Any:
    return charts.monthly_chart(
        report.months,
        title=_("每月收件与按期办结"),
        received=_("收件"),
        on_time=_("按期办结"),
        key="monthly",
    )


def _public_report(request: HttpRequest) -> tuple[Report, str]:
    period, error = parse_period(request.GET)
    return demand_report(period=period, region_groups=public_region_groups()), error


def _scope(request: HttpRequest) -> DashboardScope:
    region = request.GET.get("region", "")
    try:
        return dashboard_scope(request.user, int(region) if region.isdigit() else None)
    except PermissionError:
        raise PermissionDenied from None
    except LookupError:
        raise Http404 from None


def _dashboard_report(request: HttpRequest) -> tuple[Report, DashboardScope, str]:
    scope = _scope(request)
    period, error = parse_period(request.GET)
    report = demand_report(period=period, condition=scope.condition, region_groups=scope.groups)
    report.overdue = overdue_by_department(condition=scope.condition, now=report.now)
    return report, scope, error


@require_GET
def public_stats(request: HttpRequest) -> HttpResponse:
    """公开数据: anyone, signed in or not."""
    report, error = _public_report(request)
    query = urlencode(report.period.query())
    return render(
        request,
        "demands/stats_public.html",
        {
            "report": report,
            "error": error,
            "choices": period_choices(report.now),
            "query": query,
            "chart": _monthly_chart(report),
            "can_dashboard": can_read_dashboard(request.user),
            "mediation": mediation_counts(
                start=report.period.start, end=report.period.end, regions=public_region_groups()
            ),
        },
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """统计看板: supervisors, coordinators (their regions) and system administrators."""
    report, scope, error = _dashboard_report(request)
    params = report.period.query()
    if scope.root is not None:
        params["region"] = str(scope.root.pk)
    ranked = [
        (f.label, f.resolved_on_time_rate)
        for f in report.ranked_departments
        if f.resolved_on_time_rate is not None
    ]
    return render(
        request,
        "demands/stats_dashboard.html",
        {
            "report": report,
            "scope": scope,
            "error": error,
            "choices": period_choices(report.now),
            "period_query": urlencode(report.period.query()),
            "query": urlencode(params),
            "chart": _monthly_chart(report),
            "rate_chart": charts.rate_bars(
                ranked[:20], title=_("按期办结率（排名部门）"), key="rates"
            )
            if ranked
            else None,
        },
    )


# --- Excel -----------------------------------------------------------------------------------


def _columns() -> list[str]:
    return [
        _("收件数"),
        _("已受理"),
        _("按时受理"),
        _("按时受理率（%）"),
        _("已响应"),
        _("按时响应"),
        _("按时响应率（%）"),
        _("已办结"),
        _("应办结"),
        _("按期办结"),
        _("按期办结率（%）"),
        _("已评价"),
        _("满意（含基本满意）"),
        _("满意率（%）"),
        _("办结用时中位数（工作日）"),
        _("重办件数"),
    ]


def _values(f: Figures) -> list[Any]:
    return [
        f.received,
        f.accepted,
        f.accepted_on_time,
        f.accepted_on_time_rate,
        f.responded,
        f.responded_on_time,
        f.responded_on_time_rate,
        f.resolved,
        f.due,
        f.resolved_on_time,
        f.resolved_on_time_rate,
        f.rated,
        f.satisfied,
        f.satisfaction_rate,
        f.median_days,
        f.reopened,
    ]


def report_workbook(report: Report, *, scope_label: str) -> bytes:
    """The tables of a report, one sheet each, with Chinese headers."""
    workbook = SafeWorkbook()  # labels that look like formulas stay text
    summary = workbook.sheet(_("总体"))
    summary.append([_("统计期间"), report.period.label])
    summary.append([_("起止日期（北京时间）"), f"{report.period.first} — {report.period.last}"])
    summary.append([_("统计范围"), scope_label])
    summary.append([_("部门排名最低件数"), report.min_cases])
    summary.append([_("计算时间"), report.now.strftime("%Y-%m-%d %H:%M UTC")])
    summary.append([])
    summary.append([_("范围"), *_columns()])
    summary.append([report.total.label, *_values(report.total)])

    if report.regions:
        sheet = workbook.sheet(_("按区域"))
        sheet.append([_("区域"), *_columns()])
        for f in report.regions:
            sheet.append([f.label, *_values(f)])

    sheet = workbook.sheet(_("按部门"))
    sheet.append([_("排名"), _("部门"), *_columns()])
    for f in report.departments:
        if f.rank is not None:
            rank: Any = f.rank
        elif f.key is None:
            rank = "—"
        else:
            rank = _("样本不足")
        sheet.append([rank, f.label, *_values(f)])

    sheet = workbook.sheet(_("按类别"))
    sheet.append([_("类别"), *_columns()])
    for f in report.categories:
        sheet.append([f.label, *_values(f)])

    sheet = workbook.sheet(_("按月"))
    sheet.append([_("月份"), _("收件数"), _("按期办结")])
    for m in report.months:
        sheet.append([f"{m.first:%Y-%m}", m.received, m.resolved_on_time])

    if report.overdue:
        sheet = workbook.sheet(_("逾期未办"))
        sheet.append([_("部门"), _("逾期未受理"), _("逾期未办结")])
        for row in report.overdue:
            sheet.append([row.label, row.overdue_accept, row.overdue_resolve])

    return workbook.save()


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    return file_response(content, filename)


@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The public tables as Excel (no personal data, so open to anyone)."""
    report, _error = _public_report(request)
    content = report_workbook(report, scope_label=_("全市"))
    return _xlsx(content, _("诉求统计-%(period)s.xlsx") % {"period": report.period.slug})


@login_required
@require_GET
def dashboard_export(request: HttpRequest) -> HttpResponse:
    report, scope, _error = _dashboard_report(request)
    content = report_workbook(report, scope_label=scope.label)
    return _xlsx(
        content,
        _("诉求统计-%(scope)s-%(period)s.xlsx")
        % {"scope": scope.label, "period": report.period.slug},
    )
