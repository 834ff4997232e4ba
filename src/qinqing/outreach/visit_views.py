"""The pages of 走访: the steward's month, logging a visit, records, coverage, rules.

Thin: parse input, call a selector or a service of ``visits``, render. Every id from the
client is looked up inside the reader's scope, so another grid's firm or visit is "not found".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from qinqing.common.errors import ServiceError
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.spreadsheet import xlsx_response
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.importexport import export_record
from qinqing.directory.models import Enterprise, Region

from . import visits
from .models import KeyFirm, Visit, VisitFile

WEEKDAYS = (
    gettext_lazy("星期一"),
    gettext_lazy("星期二"),
    gettext_lazy("星期三"),
    gettext_lazy("星期四"),
    gettext_lazy("星期五"),
    gettext_lazy("星期六"),
    gettext_lazy("星期日"),
)
PLAN_PAGE_SIZE = 30


# --- helpers ---------------------------------------------------------------------------------
def _int(value: Any) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def _partial(request: HttpRequest) -> bool:
    htmx: Any = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.history_restore_request


def readable_day(day: date) -> str:
    """11月5日（星期四）."""
    return _("%(m)d月%(d)d日（%(w)s）") % {
        "m": day.month,
        "d": day.day,
        "w": WEEKDAYS[day.weekday()],
    }


def readable_moment(moment: datetime) -> str:
    """11月5日（星期四）14:30, in Asia/Shanghai."""
    local = moment.astimezone(SHANGHAI)
    return f"{readable_day(local.date())} {local:%H:%M}"


class MonthForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("月份"), required=False)

    def clean_month(self) -> date | None:
        text = self.cleaned_data.get("month", "")
        if not text:
            return None
        parsed = visits.parse_month(text)
        if parsed is None:
            raise forms.ValidationError(_("请按“2026-01”的格式填写月份。"))
        return parsed


def _month(request: HttpRequest) -> tuple[date, MonthForm]:
    """The month asked for (``?month=2026-01``), the current one when absent or malformed;
    a malformed one leaves its message on the form."""
    form = MonthForm(request.GET or None)
    month = None
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"]
    return visits.month_start(month or visits.today()), form


def _month_nav(month: date) -> dict[str, Any]:
    now = visits.month_start(visits.today())
    following = visits.next_month(month)
    return {
        "label": visits.month_label(month),
        "value": f"{month:%Y-%m}",
        "previous": f"{visits.previous_month(month):%Y-%m}",
        "next": f"{following:%Y-%m}" if following <= now else "",
        "is_current": month == now,
    }


def _scoped_region(request: HttpRequest) -> Region | None:
    """``?region=<id>``, only a region inside the reader's scope (else 404)."""
    region_id = _int(request.GET.get("region"))
    if region_id is None:
        return None
    paths = visits.role_paths(request.user, *visits.COVERAGE_ROLES)
    region = Region.objects.filter(pk=region_id).first()
    if region is None or not any(region.path.startswith(p) for p in paths):
        raise Http404
    return region


# --- the steward's month -----------------------------------------------------------------------
STATUS_TABS = [
    ("", gettext_lazy("全部"), "total"),
    (visits.Status.OVERDUE, visits.Status.OVERDUE.label, "overdue"),
    (visits.Status.DUE, visits.Status.DUE.label, "due"),
    (visits.Status.VISITED, visits.Status.VISITED.label, "visited"),
]


def _open_demand_rows(user: Any) -> tuple[int, list[dict[str, Any]]]:
    qs = visits.open_demands_of_portfolio(user)
    now = timezone.now()
    tomorrow_end = datetime.combine(
        now.astimezone(SHANGHAI).date() + timedelta(days=1),
        datetime.max.time(),
        tzinfo=SHANGHAI,
    )
    rows = []
    for d in qs[:5]:
        due = d.resolve_due_at
        if due is None:
            mark = ""
        elif due < now:
            mark = "overdue"
        elif due <= tomorrow_end:
            mark = "soon"
        else:
            mark = ""
        rows.append({"demand": d, "due": readable_moment(due) if due else "", "mark": mark})
    return qs.count(), rows


@login_required
@require_GET
def my_month(request: HttpRequest) -> HttpResponse:
    """我的本月: firms to visit, overdue and visited; meetings to come; open demands."""
    if not visits.is_steward(request.user):
        if visits.is_coverage_reader(request.user):
            return redirect("outreach:visits:coverage")
        raise PermissionDenied
    month, month_form = _month(request)
    status = request.GET.get("status", "")
    status = status if status in visits.Status.values else ""
    plan = visits.month_plan(user=request.user, month=month, status=status)
    page = paginate(plan.rows, request.GET.get("page"), PLAN_PAGE_SIZE)
    demand_count, demand_rows = _open_demand_rows(request.user)
    meetings = [
        {"meeting": m, "when": readable_moment(m.starts_at)}
        for m in visits.upcoming_meetings(request.user)
    ]
    context = {
        "plan": plan,
        "page": page,
        "status": status,
        "tabs": [
            {"value": v, "label": label, "count": plan.counts[key]} for v, label, key in STATUS_TABS
        ],
        "nav": _month_nav(month),
        "month_form": month_form,
        "meetings": meetings,
        "demand_count": demand_count,
        "demand_rows": demand_rows,
        "today": readable_day(plan.today),
    }
    return render(request, "outreach/visit_my_month.html", context)


@login_required
@require_GET
def summary(request: HttpRequest) -> HttpResponse:
    """The figures of the outreach index card (loaded by htmx)."""
    if not visits.is_steward(request.user):
        return HttpResponse("")
    plan = visits.month_plan(user=request.user)
    return render(request, "outreach/visit_summary.html", {"plan": plan})


# --- logging a visit -----------------------------------------------------------------------------
class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs["accept"] = visits.ACCEPT

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


class VisitForm(forms.Form):
    """Parses input; the service decides what is acceptable and says why not."""

    visited_on = forms.DateField(
        label=gettext_lazy("走访日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("请填写有效的日期，如 2026-01-31。")},
    )
    met_person = forms.CharField(
        label=gettext_lazy("接待人"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 64, "autocomplete": "off"}),
    )
    topics = forms.CharField(
        label=gettext_lazy("交流内容"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 5000}),
    )
    policies_explained = forms.CharField(
        label=gettext_lazy("当面宣讲的政策"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )
    problems = forms.CharField(
        label=gettext_lazy("发现问题"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 5000}),
    )
    raise_demand = forms.BooleanField(label=gettext_lazy("转为诉求"), required=False)
    category = forms.TypedChoiceField(
        label=gettext_lazy("诉求类别"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("请选择有效的诉求类别。")},
    )
    #: (a field, not the form's ``files``: the metaclass moves fields off the class)
    files = MultipleFileField(label=gettext_lazy("照片或文件"))  # type: ignore[assignment]

    def __init__(self, *args: Any, categories: list[Any], **kwargs: Any) -> None:
        from qinqing.demands.forms import category_choices

        super().__init__(*args, **kwargs)
        self.categories = {c.pk: c for c in categories}
        field = self.fields["category"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = category_choices(categories)


def _pick(request: HttpRequest) -> HttpResponse:
    """Which firm was visited: the firms the user may log visits for, searchable."""
    query = request.GET.get("q", "").strip()[:60]
    qs = visits.loggable_firms(request.user)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(uscc=query.upper()))
    page = paginate(qs.order_by("name", "pk"), request.GET.get("page"))
    return render(request, "outreach/visit_pick.html", {"page": page, "q": query})


def _loggable(user: Any, enterprise_id: int | None) -> Enterprise:
    if enterprise_id is None:
        raise Http404
    firm = visits.loggable_firms(user).filter(pk=enterprise_id).first()
    if firm is None:
        raise Http404
    return firm


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest) -> HttpResponse:
    """记录走访 for one firm (``?enterprise=<id>``, from the month's list)."""
    from qinqing.demands.selectors import categories_active

    if not visits.loggable_firms(request.user).exists():
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    if request.method == "GET" and "enterprise" not in request.GET:
        return _pick(request)
    firm = _loggable(request.user, _int(source.get("enterprise")))
    categories = list(categories_active())
    posted = request.method == "POST"
    form = VisitForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        categories=categories,
        initial={"visited_on": visits.today()},
    )
    form.fields["visited_on"].widget.attrs.update(
        {
            "min": f"{visits.today() - timedelta(days=visits.MAX_DAYS_BACK):%Y-%m-%d}",
            "max": f"{visits.today():%Y-%m-%d}",
        }
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            visit = visits.visit_log(
                actor=request.user,
                enterprise=firm,
                visited_on=data["visited_on"],
                met_person=data["met_person"],
                topics=data["topics"],
                policies_explained=data["policies_explained"],
                problems=data["problems"],
                files=data["files"],
                raise_demand=data["raise_demand"],
                category=form.categories.get(data["category"]) if data["category"] else None,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("走访已记录。"))
            if visit.demand is not None:
                messages.success(
                    request,
                    _("发现的问题已转为诉求 %(n)s。") % {"n": visit.demand.number},
                )
            return redirect("outreach:visits:detail", visit_id=visit.pk)
    if form.errors and request.FILES.getlist("files"):
        form.add_error("files", _("走访尚未保存，照片也没有上传：请重新选择后再提交。"))
    rule = visits.rule_for(firm.grid)
    is_key = KeyFirm.objects.filter(enterprise=firm).exists()
    return render(
        request,
        "outreach/visit_form.html",
        {
            "form": form,
            "firm": firm,
            "required": rule.required(key_firm=is_key),
            "is_key": is_key,
            "files_hint": visits.files_hint(),
        },
        status=422 if form.errors else 200,
    )


def _visible(user: Any, visit_id: int) -> Visit:
    try:
        return visits.visit_detail(user=user, visit_id=visit_id)
    except Visit.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = _visible(request.user, visit_id)
    demand_visible = False
    if visit.demand_id:
        from qinqing.demands.selectors import demands_visible_to

        demand_visible = demands_visible_to(request.user).filter(pk=visit.demand_id).exists()
    return render(
        request,
        "outreach/visit_detail.html",
        {
            "visit": visit,
            "files": visits.files_of(visit),
            "demand_visible": demand_visible,
            "visited_on": readable_day(visit.visited_on),
            "can_log": visits.can_log(request.user, visit.enterprise),
        },
    )


@login_required
@require_GET
def visit_file(request: HttpRequest, file_id: int) -> HttpResponseBase:
    """A visit's photo or file, to those who may see the visit (anyone else: 404)."""
    try:
        item = visits.visit_file_for(user=request.user, file_id=file_id)
    except VisitFile.DoesNotExist:
        raise Http404 from None
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    visits.file_download_record(actor=request.user, item=item)
    response = FileResponse(handle, content_type=item.content_type)
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in item.name
    )
    inline = "inline" if item.content_type.startswith("image/") else "attachment"
    response["Content-Disposition"] = (
        f"{inline}; filename=\"{fallback}\"; filename*=UTF-8''{quote(item.name, safe='')}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- records -----------------------------------------------------------------------------------
def _list_filters(request: HttpRequest) -> tuple[dict[str, Any], MonthForm]:
    form = MonthForm(request.GET or None)
    month = form.cleaned_data["month"] if form.is_bound and form.is_valid() else None
    return {
        "month": month,
        "enterprise": _int(request.GET.get("enterprise")),
        "q": request.GET.get("q", "").strip()[:60],
    }, form


@login_required
@require_GET
def visit_list(request: HttpRequest) -> HttpResponse:
    """走访记录: the visits the reader may see, newest first."""
    filters, month_form = _list_filters(request)
    qs = visits.visit_list(
        user=request.user,
        month=filters["month"],
        enterprise_id=filters["enterprise"],
        query=filters["q"],
    )
    page = paginate(qs, request.GET.get("page"))
    firm = None
    if filters["enterprise"]:
        firm = next(iter(page), None)
    context = {
        "page": page,
        "filters": filters,
        "month_value": request.GET.get("month", ""),
        "month_form": month_form,
        "firm": firm.enterprise if firm else None,
        "can_export": visits.is_coverage_reader(request.user),
    }
    template = "outreach/visit_rows.html" if _partial(request) else "outreach/visit_list.html"
    return render(request, template, context, status=422 if month_form.errors else 200)


@login_required
@require_GET
def visit_export(request: HttpRequest) -> HttpResponse:
    """The visible visits (with the list's filters) as an Excel file, for region staff."""
    if not visits.is_coverage_reader(request.user):
        raise PermissionDenied
    filters, _form = _list_filters(request)
    qs = visits.visit_list(
        user=request.user,
        month=filters["month"],
        enterprise_id=filters["enterprise"],
        query=filters["q"],
    )
    header = [
        _("走访日期"), _("企业"), _("统一社会信用代码"), _("走访时所在网格"), _("走访人"),
        _("接待人"), _("交流内容"), _("宣讲政策"), _("发现问题"), _("转为诉求"), _("附件数"),
        _("记录时间"),
    ]  # fmt: skip
    rows = [
        [
            v.visited_on,
            v.enterprise.name,
            v.enterprise.uscc,
            v.grid.name,
            str(v.steward),
            v.met_person,
            v.topics,
            v.policies_explained,
            v.problems,
            v.demand.number if v.demand else "",
            v.file_count,  # type: ignore[attr-defined]
            visits.local_time(v.created_at),
        ]
        for v in qs.iterator(chunk_size=500)
    ]
    suffix = f"{filters['month']:%Y%m}" if filters["month"] else f"{visits.today():%Y%m%d}"
    response = xlsx_response(f"走访记录-{suffix}.xlsx", _("走访记录"), header, rows)
    export_record(
        actor=request.user,
        action="visit.export",
        fmt="xlsx",
        count=len(rows),
        filters={k: str(v) for k, v in filters.items() if v},
    )
    return response


# --- coverage ----------------------------------------------------------------------------------
LEVEL_TABS = [
    visits.Level.DISTRICT,
    visits.Level.TOWN,
    visits.Level.GRID,
    visits.Level.STEWARD,
]


@login_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    """走访覆盖率: by district, town, grid or steward; overdue firms; month by month."""
    if not visits.is_coverage_reader(request.user):
        raise PermissionDenied
    month, month_form = _month(request)
    level = request.GET.get("level", "")
    if level not in visits.Level.values:
        level = visits.Level.GRID if visits.is_steward(request.user) else visits.Level.TOWN
    region = _scoped_region(request)
    report = visits.coverage(user=request.user, month=month, level=level, region=region)
    overdue_page = paginate(
        visits.overdue_list(user=request.user, month=month, region=region),
        request.GET.get("page"),
    )
    history = visits.history(user=request.user, until=month, region=region)
    base_query = {"month": f"{month:%Y-%m}", "level": level}
    if region is not None:
        base_query["region"] = str(region.pk)
    context = {
        "report": report,
        "level": level,
        "levels": [(lv.value, lv.label) for lv in LEVEL_TABS],
        "region": region,
        "nav": _month_nav(month),
        "month_form": month_form,
        "overdue_page": overdue_page,
        "page": overdue_page,
        "history": history,
        "region_query": f"&region={region.pk}" if region else "",
        "export_query": f"month={month:%Y-%m}",
        "drillable": level in (visits.Level.DISTRICT, visits.Level.TOWN),
    }
    return render(
        request,
        "outreach/visit_coverage.html",
        context,
        status=422 if month_form.errors else 200,
    )


# --- rules and key firms -----------------------------------------------------------------------
class RuleForm(forms.Form):
    region = forms.TypedChoiceField(
        label=gettext_lazy("区域"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("请选择区域。"),
            "invalid_choice": gettext_lazy("请选择您负责的区域。"),
        },
    )
    visits_per_month = forms.CharField(
        label=gettext_lazy("一般企业每月走访次数"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 10}),
        required=False,
    )
    key_firm_visits_per_month = forms.CharField(
        label=gettext_lazy("重点企业每月走访次数"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 10}),
        required=False,
    )

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("请选择区域"))] + [
            (r.pk, "　" * max(r.level - regions[0].level, 0) + r.name) for r in regions
        ]


class KeyFirmForm(forms.Form):
    firm = forms.CharField(
        label=gettext_lazy("企业名称或统一社会信用代码"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("列为重点的原因"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest) -> HttpResponse:
    """走访规则: coordinators set a region's rule and the key firms; others in scope read."""
    if not visits.is_coverage_reader(request.user):
        raise PermissionDenied
    regions = list(visits.regions_for_rules(request.user))
    can_edit = bool(regions)
    by_id = {r.pk: r for r in regions}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action and not can_edit:
        raise PermissionDenied
    rule_form = RuleForm(request.POST if action == "rule" else None, regions=regions or [])
    key_form = KeyFirmForm(request.POST if action == "key_add" else None)
    status = 200
    if action == "rule" and rule_form.is_valid():
        region = by_id[rule_form.cleaned_data["region"]]
        try:
            visits.visit_rule_set(
                actor=request.user,
                region=region,
                visits_per_month=rule_form.cleaned_data["visits_per_month"],
                key_firm_visits_per_month=rule_form.cleaned_data["key_firm_visits_per_month"],
            )
        except ServiceError as exc:
            apply_service_error(rule_form, exc)
        else:
            messages.success(request, _("已保存%(r)s的走访规则。") % {"r": region.name})
            return redirect("outreach:visits:rules")
    elif action == "rule_remove":
        target = by_id.get(_int(request.POST.get("region")) or 0)
        if target is None:
            raise Http404
        visits.visit_rule_remove(actor=request.user, region=target)
        messages.success(
            request, _("已删除%(r)s的走访规则，改用上级区域的规则。") % {"r": target.name}
        )
        return redirect("outreach:visits:rules")
    elif action == "key_add" and key_form.is_valid():
        text = key_form.cleaned_data["firm"].strip()
        candidates = list(
            visits.coverage_firms(request.user)
            .select_related("grid")
            .filter(Q(name=text) | Q(uscc=text.upper()))[:2]
        )
        if not text:
            key_form.add_error("firm", _("请填写企业名称或统一社会信用代码。"))
        elif not candidates:
            key_form.add_error("firm", _("在您负责的区域内没有找到这家企业。"))
        elif len(candidates) > 1:
            key_form.add_error("firm", _("有多家企业同名，请填写统一社会信用代码。"))
        else:
            try:
                visits.key_firm_set(
                    actor=request.user,
                    enterprise=candidates[0],
                    is_key=True,
                    reason=key_form.cleaned_data["reason"],
                )
            except ServiceError as exc:
                apply_service_error(key_form, exc)
            else:
                messages.success(request, _("已将%(f)s列为重点企业。") % {"f": candidates[0].name})
                return redirect("outreach:visits:rules")
    elif action == "key_remove":
        firm = (
            visits.coverage_firms(request.user)
            .select_related("grid")
            .filter(pk=_int(request.POST.get("enterprise")) or 0)
            .first()
        )
        if firm is None:
            raise Http404
        try:
            visits.key_firm_set(actor=request.user, enterprise=firm, is_key=False)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已将%(f)s移出重点企业。") % {"f": firm.name})
        return redirect("outreach:visits:rules")
    elif action and action not in ("rule", "key_add"):
        raise Http404
    if rule_form.errors or key_form.errors:
        status = 422
    rule_rows = [
        {"rule": r, "editable": visits.can_set_rule(request.user, r.region)}
        for r in visits.rules_in_scope(request.user)
    ]
    key_page = paginate(visits.key_firms_in_scope(request.user), request.GET.get("page"))
    return render(
        request,
        "outreach/visit_rules.html",
        {
            "rule_form": rule_form,
            "key_form": key_form,
            "rule_rows": rule_rows,
            "page": key_page,
            "can_edit": can_edit,
            "default": visits.DEFAULT_RULE,
            "manage_keys": [
                row.enterprise_id
                for row in key_page
                if visits.can_set_rule(request.user, row.enterprise.grid)
            ],
        },
        status=status,
    )
