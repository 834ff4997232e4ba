"""The pages of 协同监测: the list, declaring, the one-minute phone report, the steward's
missing firms, the live overview with drill-down and trend, needs, the Excel export.

Thin: ids from the client are looked up inside the reader's scope (another firm's report is
"not found"); the services check who may act.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qinqing.audit.services import record
from qinqing.common.errors import ServiceError
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.ranges import parse_date
from qinqing.common.spreadsheet import xlsx_response
from qinqing.directory.models import Enterprise, Region
from qinqing.directory.selectors import region_ancestors

from . import selectors, services
from .charts import trend_chart
from .forms import EmergencyForm, NeedToDemandForm, ReportForm
from .models import Emergency, StatusReport
from .permissions import can_declare, is_overview_reader, own_firm_ids, reports_for

PER_PAGE = 30


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _emergency(user: Any, emergency_id: int) -> Emergency:
    try:
        return selectors.emergency_for(user, emergency_id)
    except Emergency.DoesNotExist:
        raise Http404 from None


def _period(request: HttpRequest, emergency: Emergency) -> date:
    text = request.GET.get("period", "")
    day = parse_date(text)
    if day is None:
        return services.current_period(emergency)
    return services.period_of(emergency, day)


def _region(request: HttpRequest) -> Region:
    user = request.user
    region_id = _int(request.GET.get("region"))
    regions = selectors.overview_regions(user)
    region = regions.filter(pk=region_id).first() if region_id else selectors.default_region(user)
    if region is None:
        raise Http404
    return region


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = []
    today = services.today()
    for emergency in selectors.emergencies_visible_to(user):
        rows.append(
            {
                "emergency": emergency,
                "running": services.is_running(emergency, today),
                "my_firms": list(selectors.firms_reporting_as(user, emergency))
                if own_firm_ids(user)
                else [],
            }
        )
    return render(
        request,
        "emergency/index.html",
        {"rows": rows, "can_declare": can_declare(user), "is_staff": is_overview_reader(user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def declare(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_declare(user):
        raise PermissionDenied
    form = EmergencyForm(request.POST or None, user=user, initial={"starts_on": services.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            emergency = services.emergency_declare(
                actor=user,
                title=data["title"],
                kind=data["kind"],
                cadence=data["cadence"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                description=data["description"],
                supply_items=form.supply_list(),
                reminder_hour=data["reminder_hour"],
                **form.audience_kwargs(),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已发布应急监测。"))
            return redirect("emergency:detail", emergency_id=emergency.pk)
    return render(request, "emergency/declare.html", {"form": form})


@login_required
def detail(request: HttpRequest, emergency_id: int) -> HttpResponse:
    """The live overview of a region (staff), with drill-down and trend; firms go to report."""
    user = request.user
    emergency = _emergency(user, emergency_id)
    if not is_overview_reader(user):
        return redirect("emergency:report", emergency_id=emergency.pk)
    region = _region(request)
    period = _period(request, emergency)
    view = selectors.overview(emergency=emergency, region=region, period=period)
    rows = selectors.trend(emergency=emergency, region=region)
    chart = trend_chart(
        rows,
        title=_("%(region)s 复工趋势") % {"region": region.name},
        labels=(_("开工率"), _("返岗率"), _("报送率")),
        key=f"trend-{emergency.pk}",
    )
    top = selectors.overview_regions(user).order_by("level", "path").first()
    crumbs = [r for r in region_ancestors(region) if top is None or r.path.startswith(top.path)]
    needs = selectors.report_list(
        user=user, emergency=emergency, period=period, region=region, needs_only=True
    )[:20]
    return render(
        request,
        "emergency/detail.html",
        {
            "emergency": emergency,
            "region": region,
            "crumbs": crumbs,
            "period": period,
            "periods": services.periods(emergency)[::-1],
            "total": view["total"],
            "children": view["children"],
            "chart": chart,
            "needs": needs,
            "missing_count": selectors.missing_firms(
                user=user, emergency=emergency, period=period
            ).count(),
            "can_end": can_declare(user) and services.is_running(emergency),
        },
    )


@login_required
@require_POST
def end(request: HttpRequest, emergency_id: int) -> HttpResponse:
    emergency = _emergency(request.user, emergency_id)
    try:
        services.emergency_end(actor=request.user, emergency_id=emergency.pk)
        messages.success(request, _("监测已结束。"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("emergency:detail", emergency_id=emergency.pk)


def _report_firm(request: HttpRequest, emergency: Emergency) -> Enterprise:
    user = request.user
    firms = selectors.firms_reporting_as(user, emergency)
    firm_id = _int(request.GET.get("firm") or request.POST.get("firm"))
    if firm_id is None:
        firm = firms.first()
        if firm is None:
            raise Http404
        return firm
    firm = (
        selectors.audience_firms(emergency.audience)
        .select_related("grid")
        .filter(pk=firm_id)
        .first()
    )
    if firm is None or not reports_for(user, firm):
        raise Http404
    return firm


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, emergency_id: int) -> HttpResponse:
    """One short form, prefilled from the firm's last report; saving again edits this period's."""
    user = request.user
    emergency = _emergency(user, emergency_id)
    firm = _report_firm(request, emergency)
    items = list(emergency.supply_items)
    last = selectors.last_report(emergency, firm)
    period = services.current_period(emergency)
    if request.method == "POST":
        form = ReportForm(request.POST, items=items)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.report_submit(
                    actor=user,
                    emergency=emergency,
                    enterprise=firm,
                    status=data["status"],
                    staff_on_site=data["staff_on_site"],
                    staff_absent=data["staff_absent"],
                    supplies=form.supplies(),
                    need_text=data["need_text"],
                    need_item=data["need_item"],
                    need_quantity=data["need_quantity"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已报送，谢谢！本期内可随时修改。"))
                if is_overview_reader(user) and firm.pk not in own_firm_ids(user):
                    return redirect("emergency:missing", emergency_id=emergency.pk)
                return redirect(
                    f"{reverse('emergency:report', args=[emergency.pk])}?firm={firm.pk}"
                )
    else:
        initial: dict[str, Any] = {}
        if last is not None:
            initial = {
                "status": last.status,
                "staff_on_site": last.staff_on_site,
                "staff_absent": last.staff_absent,
            }
            days = {s.get("item"): s.get("days") for s in last.supplies}
            for i, item in enumerate(items):
                initial[f"supply_{i}"] = days.get(item)
            if last.period == period:
                initial.update(
                    need_text=last.need_text,
                    need_item=last.need_item,
                    need_quantity=last.need_quantity,
                )
        form = ReportForm(initial=initial, items=items)
    return render(
        request,
        "emergency/report.html",
        {
            "emergency": emergency,
            "firm": firm,
            "form": form,
            "period": period,
            "running": services.is_running(emergency),
            "done": last is not None and last.period == period,
            "on_behalf": firm.pk not in own_firm_ids(user),
        },
    )


@login_required
def missing(request: HttpRequest, emergency_id: int) -> HttpResponse:
    """The reader's firms that have not reported this period, each with 代报."""
    user = request.user
    emergency = _emergency(user, emergency_id)
    if not is_overview_reader(user):
        raise PermissionDenied
    period = services.current_period(emergency)
    firms = paginate(
        selectors.missing_firms(user=user, emergency=emergency, period=period),
        request.GET.get("page"),
        PER_PAGE,
    )
    return render(
        request,
        "emergency/missing.html",
        {"emergency": emergency, "page": firms, "period": period},
    )


@login_required
def needs(request: HttpRequest, emergency_id: int) -> HttpResponse:
    user = request.user
    emergency = _emergency(user, emergency_id)
    if not is_overview_reader(user):
        raise PermissionDenied
    qs = selectors.report_list(user=user, emergency=emergency, needs_only=True)
    page = paginate(qs, request.GET.get("page"), PER_PAGE)
    rows = [
        {"report": r, "listing_url": _listing_url(r), "can_act": reports_for(user, r.enterprise)}
        for r in page.object_list
    ]
    return render(
        request,
        "emergency/needs.html",
        {"emergency": emergency, "page": page, "rows": rows, "form": NeedToDemandForm()},
    )


def _listing_url(report: StatusReport) -> str:
    query = {
        "side": "request",
        "kind": "goods",
        "item": report.need_item or report.need_text[:20],
        "firm": report.enterprise_id,
        "need": report.pk,
    }
    if report.need_quantity:
        query["quantity"] = report.need_quantity
    return f"{reverse('matching:new')}?{urlencode(query)}"


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(selectors.reports_visible_to(request.user), pk=report_id)
    return render(
        request,
        "emergency/report_detail.html",
        {
            "report": report,
            "listing_url": _listing_url(report),
            "can_act": reports_for(request.user, report.enterprise),
            "form": NeedToDemandForm(),
        },
    )


@login_required
@require_POST
def need_to_demand(request: HttpRequest, report_id: int) -> HttpResponse:
    user = request.user
    report = get_object_or_404(selectors.reports_visible_to(user), pk=report_id)
    form = NeedToDemandForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择诉求类别。"))
    else:
        try:
            report = services.need_to_demand(
                actor=user, report_id=report.pk, category=form.cleaned_data["category"]
            )
            assert report.need_demand is not None
            messages.success(
                request, _("已转为诉求 %(number)s。") % {"number": report.need_demand.number}
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
    return redirect("emergency:report_detail", report_id=report.pk)


@login_required
def export(request: HttpRequest, emergency_id: int) -> HttpResponse:
    """Every report of the region (all periods, or one) as an Excel sheet."""
    user = request.user
    emergency = _emergency(user, emergency_id)
    if not is_overview_reader(user):
        raise PermissionDenied
    region = _region(request)
    period = _period(request, emergency) if request.GET.get("period") else None
    qs = selectors.report_list(user=user, emergency=emergency, period=period, region=region)
    record(
        actor=user,
        action="emergency.export",
        obj=emergency,
        changes={"region": region.pk, "period": period, "rows": qs.count()},
    )
    items = list(emergency.supply_items)
    header = [
        _("报送周期"),
        _("企业"),
        _("统一社会信用代码"),
        _("生产状态"),
        _("在岗人数"),
        _("未返岗人数"),
        *[_("%(item)s 可用天数") % {"item": i} for i in items],
        _("紧急需求"),
        _("需求物资"),
        _("需求数量"),
        _("代为报送"),
        _("报送人"),
    ]

    def rows() -> Any:
        for r in qs.iterator(chunk_size=500):
            days = {s.get("item"): s.get("days") for s in r.supplies}
            yield [
                r.period,
                r.enterprise.name,
                r.enterprise.uscc,
                r.get_status_display(),
                r.staff_on_site,
                r.staff_absent,
                *[days.get(i) for i in items],
                r.need_text,
                r.need_item,
                r.need_quantity,
                _("是") if r.on_behalf else "",
                str(r.reported_by),
            ]

    return xlsx_response(f"{emergency.title}-{region.name}.xlsx", _("状态报送"), header, rows())
