"""The web pages of demand handling: thin views over the demand services and selectors.

Every id from the client is looked up inside ``demands_visible_to(user)``, so another firm's
or another department's case is simply "not found" (404), for reading and for acting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role, roles_of
from qinqing.audit.actions import register
from qinqing.common.controlchars import posted_text
from qinqing.common.errors import ServiceError
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.ranges import parse_int
from qinqing.common.spreadsheet import xlsx_response
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.importexport import export_record
from qinqing.directory.models import Department, Enterprise
from qinqing.directory.selectors import (
    departments_visible_to,
    enterprise_people,
    enterprises_visible_to,
    regions_all,
)
from qinqing.integrity.relations.services import ConflictOfInterest

from . import attachments, selectors, services
from .forms import (
    AssistForm,
    AssistReplyForm,
    AttachmentForm,
    DecideForm,
    DispatchForm,
    ExtensionForm,
    NoteForm,
    RateForm,
    RoutingRuleForm,
    SubmitForm,
    TimelineNoteForm,
)
from .models import Assist, Attachment, Channel, Demand, Extension
from .permissions import REGION_READERS, ConsentLookup, is_staff_of_demand, submit_channels
from .workflow import (
    OPEN_STATES,
    Action,
    State,
    allowed_actions,
    is_coordinator_of_region,
    is_handler_of_department,
    is_member_of_firm,
    is_supervisor_of_region,
)

register("demand.export", gettext_lazy("导出诉求"))

#: states in which the resolution clock runs (red when past due, amber from 80 %)
CLOCK_RUNNING = (
    State.SUBMITTED,
    State.DISPATCHED,
    State.ACCEPTED,
    State.IN_PROGRESS,
    State.DISPUTED,
)
#: roles that handle, coordinate or watch cases (they may export the list)
STAFF_ROLES = {*REGION_READERS, Role.HANDLER}
WARN_AT = 0.8
WEEKDAYS = (
    gettext_lazy("星期一"),
    gettext_lazy("星期二"),
    gettext_lazy("星期三"),
    gettext_lazy("星期四"),
    gettext_lazy("星期五"),
    gettext_lazy("星期六"),
    gettext_lazy("星期日"),
)
#: timeline events that are not workflow actions
EVENT_LABELS = {
    "submit": gettext_lazy("提交诉求"),
    "note": gettext_lazy("留言"),
    "supervise": gettext_lazy("督办"),
    "assist": gettext_lazy("发起协办"),
    "assist_reply": gettext_lazy("协办答复"),
    "extension_request": gettext_lazy("申请延期"),
    "extension_decide": gettext_lazy("审批延期"),
    "merge": gettext_lazy("合并重复诉求"),
    "remind": gettext_lazy("临期提醒"),
    "escalate": gettext_lazy("超期督办"),
    "attach": gettext_lazy("上传附件"),
    "deadline_recompute": gettext_lazy("节假日调整期限"),
    **{a.value: a.label for a in Action},
}
#: timeline events done by (or sent to) a department: the department is shown beside them
DEPARTMENT_EVENTS = {
    "dispatch", "transfer", "accept", "return", "start", "wait_firm", "reply", "assist",
    "assist_reply", "extension_request", "remind", "escalate",
}  # fmt: skip
#: the text an action asks for, labelled for the person typing it
NOTE_LABELS = {
    Action.RETURN: gettext_lazy("退单理由"),
    Action.WAIT_FIRM: gettext_lazy("需要企业补充的材料"),
    Action.REPLY: gettext_lazy("答复内容"),
    Action.REJECT: gettext_lazy("不认可的理由"),
    Action.CLOSE: gettext_lazy("办结意见"),
}
#: buttons whose action needs no text: one click
ONE_CLICK = (Action.ACCEPT, Action.START, Action.RESUME)
#: forms shown open at once (the main thing to do in that state)
OPEN_PANELS = (Action.DISPATCH, Action.REPLY, Action.RATE)
#: what a panel is called, and what its button says, where the action's name is not enough
PANEL_LABELS = {
    Action.WAIT_FIRM: gettext_lazy("请企业补充材料"),
    Action.REPLY: gettext_lazy("答复企业"),
    Action.RATE: gettext_lazy("评价答复"),
    Action.WITHDRAW: gettext_lazy("撤回诉求"),
}
BUTTON_LABELS = {
    Action.RETURN: gettext_lazy("确认退单"),
    Action.WAIT_FIRM: gettext_lazy("发送给企业"),
    Action.REPLY: gettext_lazy("提交答复"),
    Action.RATE: gettext_lazy("提交评价"),
    Action.REJECT: gettext_lazy("提交不认可意见"),
    Action.WITHDRAW: gettext_lazy("确认撤回"),
    Action.RESUME: gettext_lazy("材料已补充，继续办理"),
}


# --- small helpers ---------------------------------------------------------------------------
def _partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not htmx restoring a page from its history)."""
    htmx = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.history_restore_request


def _int(value: Any) -> int | None:
    value = str(value or "").strip()
    return parse_int(value) if value.isdigit() else None  # 64-bit, or None


def _visible(user: Any, demand_id: int) -> Demand:
    try:
        return selectors.demand_detail(user=user, demand_id=demand_id)
    except Demand.DoesNotExist:
        raise Http404 from None


def _require_role(user: Any, *roles: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def readable_deadline(moment: datetime | None) -> str:
    """2026年10月12日（星期一）23:59前, in Asia/Shanghai."""
    if moment is None:
        return ""
    local = moment.astimezone(SHANGHAI)
    return _("%(y)d年%(m)d月%(d)d日（%(w)s）%(t)s前") % {
        "y": local.year,
        "m": local.month,
        "d": local.day,
        "w": WEEKDAYS[local.weekday()],
        "t": local.strftime("%H:%M"),
    }


def timer_status(demand: Demand, now: datetime) -> str:
    """ "overdue", "warn" (≥ 80 % of the resolution time used) or ""."""
    due = demand.resolve_due_at
    if due is None or demand.state not in CLOCK_RUNNING:
        return ""
    if now > due:
        return "overdue"
    span = (due - demand.submitted_at).total_seconds()
    if span > 0 and (now - demand.submitted_at).total_seconds() >= WARN_AT * span:
        return "warn"
    return ""


@dataclass
class Row:
    demand: Demand
    timer: str
    deadline: str
    departments: list[Department] = field(default_factory=list)


def _rows(demands: Iterable[Demand]) -> list[Row]:
    now = timezone.now()
    return [Row(d, timer_status(d, now), readable_deadline(d.resolve_due_at)) for d in demands]


def _path_prefixes(path: str) -> list[str]:
    """ "/a/b/c/" → ["/a/", "/a/b/", "/a/b/c/"]: the region and every region above it."""
    codes = [c for c in path.strip("/").split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def _serving_departments(user: Any, region_path: str) -> QuerySet[Department]:
    """Departments whose service region contains ``region_path``."""
    return departments_visible_to(user).filter(region__path__in=_path_prefixes(region_path))


def _state_filter(request: HttpRequest, allowed: Iterable[str]) -> str:
    state = request.GET.get("state", "")
    return state if state in set(allowed) else ""


# --- entry point -----------------------------------------------------------------------------
@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The 诉求 link of the menu: each role lands on its working page."""
    roles = roles_of(request.user)
    if Role.HANDLER in roles:
        return redirect("demands:inbox")
    if Role.COORDINATOR in roles:
        return redirect("demands:board")
    if Role.SUPERVISOR in roles:
        return redirect("demands:overview")
    return redirect("demands:list")


# --- lists -----------------------------------------------------------------------------------
def _list_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "state": _state_filter(request, State.values),
        "overdue": request.GET.get("overdue") == "1",
        "q": request.GET.get("q", "").strip()[:60],
    }


def _filtered_list(user: Any, filters: dict[str, Any]) -> QuerySet[Demand]:
    qs = selectors.firm_demands(user=user)
    if filters["state"]:
        qs = qs.filter(state=filters["state"])
    if filters["overdue"]:
        qs = qs.filter(state__in=CLOCK_RUNNING, resolve_due_at__lt=timezone.now())
    if filters["q"]:
        qs = qs.filter(Q(number__iexact=filters["q"]) | Q(title__icontains=filters["q"]))
    return qs


@login_required
@require_GET
def demand_list(request: HttpRequest) -> HttpResponse:
    """The cases the reader may see: a firm's own cases, a steward's firms', a region's."""
    filters = _list_filters(request)
    page = paginate(_filtered_list(request.user, filters), request.GET.get("page"))
    firm_only = has_role(request.user, Role.ENTERPRISE) and not has_role(request.user, *STAFF_ROLES)
    own_firms = [a.enterprise_id for a in assignments_of(request.user) if a.role == Role.ENTERPRISE]
    context = {
        "page": page,
        "rows": _rows(page),
        "filters": filters,
        "states": State.choices,
        "show_firm": not firm_only or len(own_firms) > 1,
        "can_export": has_role(request.user, *STAFF_ROLES),
    }
    template = "demands/_list_rows.html" if _partial(request) else "demands/list.html"
    return render(request, template, context)


@login_required
@require_GET
def demand_export(request: HttpRequest) -> HttpResponse:
    """The visible case list (with the list's filters) as an Excel file, for staff."""
    _require_role(request.user, *STAFF_ROLES)
    filters = _list_filters(request)
    qs = _filtered_list(request.user, filters)
    now = timezone.now()
    header = [
        _("编号"), _("企业"), _("类别"), _("标题"), _("状态"), _("承办部门"), _("渠道"),
        _("提交时间"), _("办结期限"), _("超期"), _("督办"), _("满意度"), _("评分"),
    ]  # fmt: skip

    def local(moment: datetime | None) -> str:
        return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""

    rows: list[list[Any]] = []
    for d in qs.iterator(chunk_size=500):
        rows.append(
            [
                d.number,
                d.enterprise.name,
                d.category.name,
                d.title,
                str(d.get_state_display()),
                d.department.name if d.department else "",
                str(d.get_channel_display()),
                local(d.submitted_at),
                local(d.resolve_due_at),
                _("是") if timer_status(d, now) == "overdue" else "",
                _("是") if d.supervised else "",
                str(d.get_satisfaction_display()) if d.satisfaction else "",
                d.rating or "",
            ]
        )
    response = xlsx_response(
        f"诉求-{timezone.localdate():%Y%m%d}.xlsx", _("诉求"), [str(h) for h in header], rows
    )
    export_record(
        actor=request.user,
        action="demand.export",
        fmt="xlsx",
        count=len(rows),
        filters={k: v for k, v in filters.items() if v},
    )
    return response


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The handler's open cases, nearest deadline first."""
    _require_role(request.user, Role.HANDLER)
    state = _state_filter(request, OPEN_STATES)
    overdue = request.GET.get("overdue") == "1"
    qs = selectors.handler_inbox(user=request.user, state=state, overdue=overdue)
    page = paginate(qs, request.GET.get("page"))
    context = {
        "page": page,
        "rows": _rows(page),
        "filters": {"state": state, "overdue": overdue},
        "states": [(s.value, s.label) for s in OPEN_STATES],
        "departments": [
            a.department for a in assignments_of(request.user) if a.role == Role.HANDLER
        ],
    }
    template = "demands/_inbox_rows.html" if _partial(request) else "demands/inbox.html"
    return render(request, template, context)


BOARD_LABELS = {
    "unassigned": gettext_lazy("待派单"),
    "returned": gettext_lazy("被退回"),
    "overdue": gettext_lazy("已超期"),
    "disputed": gettext_lazy("争议待定"),
    "extensions": gettext_lazy("延期待批"),
}


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The coordinator's dispatch board: five columns as tabs, with counts."""
    _require_role(request.user, Role.COORDINATOR)
    column = request.GET.get("column", "")
    if column not in selectors.BOARD_COLUMNS:
        column = "unassigned"
    tabs = [
        {
            "key": key,
            "label": BOARD_LABELS[key],
            "count": selectors.dispatch_board(user=request.user, column=key).count(),
        }
        for key in selectors.BOARD_COLUMNS
    ]
    page = paginate(
        selectors.dispatch_board(user=request.user, column=column), request.GET.get("page")
    )
    rows = _rows(page)
    if column in ("unassigned", "returned") and rows:
        # one query for the departments of every row; each row keeps those serving its firm
        prefixes = {p for row in rows for p in _path_prefixes(row.demand.region_path)}
        departments = list(departments_visible_to(request.user).filter(region__path__in=prefixes))
        for row in rows:
            row.departments = [
                d for d in departments if row.demand.region_path.startswith(d.region.path)
            ]
    context = {"page": page, "rows": rows, "tabs": tabs, "column": column}
    template = "demands/_board_rows.html" if _partial(request) else "demands/board.html"
    return render(request, template, context)


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Cases of the reader's region by department and by state, with overdue counts."""
    _require_role(request.user, Role.SUPERVISOR, Role.COORDINATOR)
    now = timezone.now()
    figures = (
        selectors.demands_visible_to(request.user)
        .order_by()
        .values("department_id", "department__name", "state")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(state__in=CLOCK_RUNNING, resolve_due_at__lt=now)),
        )
    )
    states = list(State)
    by_department: dict[Any, dict[str, Any]] = {}
    totals: dict[str, Any] = {"cells": dict.fromkeys(states, 0), "total": 0, "overdue": 0}
    for f in figures:
        key = f["department_id"]
        row = by_department.setdefault(
            key,
            {
                "name": f["department__name"] or _("未派单"),
                "cells": dict.fromkeys(states, 0),
                "total": 0,
                "overdue": 0,
            },
        )
        state = State(f["state"])
        for target in (row, totals):
            target["cells"][state] += f["n"]
            target["total"] += f["n"]
            target["overdue"] += f["overdue"]
    table = sorted(by_department.values(), key=lambda r: (-r["total"], str(r["name"])))
    for row in [*table, totals]:
        row["values"] = [row["cells"][s] for s in states]
    return render(
        request,
        "demands/overview.html",
        {"table": table, "totals": totals, "states": states},
    )


# --- submitting ------------------------------------------------------------------------------
def _submittable(user: Any, channel: str) -> list[Enterprise]:
    """The firms ``user`` may raise a demand for through ``channel`` (permissions decide)."""
    consents = ConsentLookup()
    return [
        e
        for e in enterprises_visible_to(user).order_by("name", "pk")
        if channel in submit_channels(user, e, consents=consents)
    ]


SUBMIT_TITLES = {
    Channel.PORTAL: gettext_lazy("提交诉求"),
    Channel.STEWARD: gettext_lazy("代企业提交诉求"),
    Channel.PHONE: gettext_lazy("电话登记诉求"),
    Channel.CHAMBER: gettext_lazy("商会代会员提交诉求"),
}


def _submit(request: HttpRequest, channel: str) -> HttpResponse:
    enterprises = _submittable(request.user, channel)
    if not enterprises:
        raise PermissionDenied
    categories = list(selectors.categories_active())
    chosen = _int(request.GET.get("enterprise"))
    initial = {"enterprise": chosen} if chosen else {}
    posted = request.method == "POST"
    form = SubmitForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        enterprises=enterprises,
        categories=categories,
        # stewards act for firms but do not file their papers (attachments.may_attach)
        attachments=channel != Channel.STEWARD,
        initial=initial,
    )
    if posted and form.is_valid():
        uploads = form.cleaned_data.get("attachments") or []
        try:
            # the case and its files together: a refused file leaves no case behind
            with transaction.atomic():
                demand = services.demand_submit(
                    actor=request.user,
                    enterprise=form.cleaned_data["enterprise"],
                    category=form.cleaned_data["category"],
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    channel=channel,
                )
                if uploads:
                    attachments.attachments_add(
                        actor=request.user, demand_id=demand.pk, uploads=uploads
                    )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("demands:submitted", demand_id=demand.pk)
    if form.errors and "attachments" in form.fields and request.FILES.getlist("attachments"):
        # the browser does not send the chosen files again: say so next to the picker
        form.add_error("attachments", _("诉求尚未提交，附件也没有保存：请重新选择附件后再提交。"))
    firm = form.single_enterprise
    stewards = enterprise_people(firm)["stewards"] if firm and channel == Channel.PORTAL else []
    return render(
        request,
        "demands/submit.html",
        {
            "form": form,
            "channel": channel,
            "heading": SUBMIT_TITLES[Channel(channel)],
            "firm": firm,
            "stewards": stewards,
            "attachment_hint": attachments.limits_hint(),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """王丽 raises a demand for her own firm."""
    return _submit(request, Channel.PORTAL)


@login_required
@require_http_methods(["GET", "POST"])
def submit_steward(request: HttpRequest) -> HttpResponse:
    """陈刚 raises a demand for one of his firms."""
    return _submit(request, Channel.STEWARD)


@login_required
@require_http_methods(["GET", "POST"])
def submit_chamber(request: HttpRequest) -> HttpResponse:
    """A chamber's liaison raises a demand for a member that consented."""
    return _submit(request, Channel.CHAMBER)


@login_required
@require_http_methods(["GET", "POST"])
def submit_phone(request: HttpRequest) -> HttpResponse:
    """周华 types in an owner's phone call."""
    return _submit(request, Channel.PHONE)


@login_required
@require_GET
def submitted(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = _visible(request.user, demand_id)
    return render(
        request,
        "demands/submitted.html",
        {
            "demand": demand,
            "deadline": readable_deadline(demand.resolve_due_at),
            "accept_deadline": readable_deadline(demand.accept_due_at),
        },
    )


# --- the case page ---------------------------------------------------------------------------
@dataclass
class Panel:
    """One thing the reader may do on the case page: a button or a small form."""

    key: str
    label: str
    url: str
    button: str = ""
    form: forms.Form | None = None
    action: str = ""
    open: bool = False
    style: str = ""
    detail: str = ""
    multipart: bool = False


@dataclass
class Blocked:
    """An action refused for a conflict of interest: the path, the alert to recuse on, and
    the action with what was typed, to retry with a reason."""

    action: str
    label: str
    message: str
    paths: list[str]
    alert_id: int
    form: forms.Form | None


#: the longest reason for going on despite a conflict (as the alert keeps it)
OVERRIDE_MAX = 2000


def _action_form(action: str, *, user: Any, demand: Demand, data: Any = None) -> forms.Form | None:
    prefix = action
    if action in (Action.DISPATCH, Action.TRANSFER):
        departments = _serving_departments(user, demand.region_path)
        if action == Action.TRANSFER and demand.department_id:
            departments = departments.exclude(pk=demand.department_id)
        note_label = _("转办理由") if action == Action.TRANSFER else _("派单说明（可选）")
        return DispatchForm(data, prefix=prefix, departments=departments, note_label=note_label)
    if action == Action.RATE:
        return RateForm(data, prefix=prefix)
    if action in NOTE_LABELS:
        rows = 6 if action == Action.REPLY else 3
        return NoteForm(data, prefix=prefix, label=NOTE_LABELS[Action(action)], rows=rows)
    return None


def _texts(form: forms.Form) -> list[str]:
    """What the person typed into ``form`` (to keep it when the form cannot be shown)."""
    texts = []
    for name, f in form.fields.items():
        if isinstance(f, forms.CharField):
            value = str(form.data.get(form.add_prefix(name), "")).strip()
            if value:
                texts.append(value)
    return texts


def _panels(
    user: Any,
    demand: Demand,
    *,
    bound: dict[str, forms.Form],
    extensions: list[Extension],
    assists: list[Assist],
    staff: bool,
) -> list[Panel]:
    pk = demand.pk
    act_url = reverse("demands:act", args=[pk])
    panels: list[Panel] = []
    for action in allowed_actions(user, demand):
        if action == Action.AUTO_CLOSE:
            continue
        key = f"act:{action}"
        form = bound.get(key) or _action_form(action, user=user, demand=demand)
        name = Action(action)
        panels.append(
            Panel(
                key=key,
                label=str(PANEL_LABELS.get(name, name.label)),
                button=str(BUTTON_LABELS.get(name, name.label)),
                url=act_url,
                form=form,
                action=action,
                open=action in OPEN_PANELS or key in bound,
                style="danger" if action in (Action.WITHDRAW, Action.REJECT) else "",
            )
        )
    working = demand.state in (State.ACCEPTED, State.IN_PROGRESS, State.WAITING_FIRM)
    lead = is_handler_of_department(user, demand)
    coordinator = is_coordinator_of_region(user, demand)
    pending = [e for e in extensions if e.status == Extension.Status.PENDING]
    if lead and working and not pending:
        panels.append(
            Panel(
                key="extension",
                label=_("申请延期"),
                url=reverse("demands:extension", args=[pk]),
                form=bound.get("extension") or ExtensionForm(prefix="extension"),
                open="extension" in bound,
            )
        )
    if (lead or coordinator) and working:
        departments = _serving_departments(user, demand.region_path).exclude(
            pk__in=[demand.department_id, *[a.department_id for a in assists]]
        )
        panels.append(
            Panel(
                key="assist",
                label=_("请求协办"),
                url=reverse("demands:assist", args=[pk]),
                form=bound.get("assist") or AssistForm(prefix="assist", departments=departments),
                open="assist" in bound,
            )
        )
    my_departments = {a.department_id for a in assignments_of(user) if a.role == Role.HANDLER}
    for assist in assists:
        if assist.status == Assist.Status.OPEN and assist.department_id in my_departments:
            key = f"assist_reply:{assist.pk}"
            panels.append(
                Panel(
                    key=key,
                    label=_("答复协办事项：%(p)s") % {"p": assist.part},
                    url=reverse("demands:assist_reply", args=[pk, assist.pk]),
                    form=bound.get(key) or AssistReplyForm(prefix=f"assist{assist.pk}"),
                    open=True,
                )
            )
    if coordinator:
        for extension in pending:
            key = f"decide:{extension.pk}"
            panels.append(
                Panel(
                    key=key,
                    label=_("审批延期申请：%(n)d个工作日") % {"n": extension.days},
                    url=reverse("demands:extension_decide", args=[pk, extension.pk]),
                    form=bound.get(key) or DecideForm(prefix=f"decide{extension.pk}"),
                    open=True,
                    style="decide",
                    detail=_("理由：%(r)s") % {"r": extension.reason},
                )
            )
    if demand.state in OPEN_STATES and (is_supervisor_of_region(user, demand) or coordinator):
        panels.append(
            Panel(
                key="supervise",
                label=_("督办"),
                url=reverse("demands:supervise", args=[pk]),
                form=bound.get("supervise")
                or NoteForm(prefix="supervise", label=_("督办意见"), rows=2),
                open="supervise" in bound,
            )
        )
    if demand.state in OPEN_STATES and attachments.may_attach(user, demand):
        panels.append(
            Panel(
                key="attach",
                label=_("上传附件"),
                button=_("上传"),
                url=reverse("demands:attach", args=[pk]),
                form=bound.get("attach") or AttachmentForm(prefix="attach"),
                open="attach" in bound,
                detail=attachments.limits_hint(),
                multipart=True,
            )
        )
    if staff or is_member_of_firm(user, demand):
        panels.append(
            Panel(
                key="note",
                label=_("添加备注") if staff else _("补充说明"),
                url=reverse("demands:note", args=[pk]),
                form=bound.get("note") or TimelineNoteForm(prefix="note", staff=staff),
                open="note" in bound,
            )
        )
    return panels


#: steps only the firm takes: with no recorded actor (history, imports) they show "企业"
FIRM_EVENTS = {"submit", "rate", "reject", "withdraw"}


def _detail(
    request: HttpRequest,
    demand_id: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    error: str = "",
    status: int = 200,
    conflict: Blocked | None = None,
) -> HttpResponse:
    user = request.user
    demand = _visible(user, demand_id)
    bound = bound or {}
    staff = is_staff_of_demand(user, demand)
    extensions = list(demand.extensions.order_by("-created_at")) if staff else []
    assists = list(demand.assists.select_related("department").order_by("pk")) if staff else []
    duplicates = (
        list(selectors.possible_duplicates(user=user, demand=demand))
        if is_coordinator_of_region(user, demand) and demand.state in OPEN_STATES
        else []
    )
    panels = _panels(
        user,
        demand,
        bound=bound,
        extensions=extensions,
        assists=assists,
        staff=staff,
    )
    shown = {p.key for p in panels}
    unsent = [text for key, form in bound.items() if key not in shown for text in _texts(form)]
    if bound and not error:
        # a form whose panel is gone (the case moved on) still reports what went wrong
        for key, form in bound.items():
            if key not in shown:
                error = " ".join(str(e) for e in form.non_field_errors())
    events = selectors.timeline(user=user, demand=demand)
    return render(
        request,
        "demands/detail.html",
        {
            "demand": demand,
            "timer": timer_status(demand, timezone.now()),
            "deadline": readable_deadline(demand.resolve_due_at),
            "accept_deadline": readable_deadline(demand.accept_due_at),
            "events": [
                {
                    "event": e,
                    "label": EVENT_LABELS.get(e.action, e.action),
                    "department": e.department if e.action in DEPARTMENT_EVENTS else None,
                    "by_firm": e.actor_id is None and e.action in FIRM_EVENTS,
                }
                for e in events
            ],
            "buttons": [p for p in panels if p.form is None and p.action in ONE_CLICK],
            "panels": [p for p in panels if not (p.form is None and p.action in ONE_CLICK)],
            "staff": staff,
            "extensions": extensions,
            "assists": assists,
            "duplicates": duplicates,
            "attachments": attachments.attachments_of(demand),
            "error": error,
            "unsent": unsent,
            "conflict": conflict,
            "override_max": OVERRIDE_MAX,
        },
        status=status,
    )


@login_required
@require_GET
def detail(request: HttpRequest, demand_id: int) -> HttpResponse:
    services.demand_record_view(actor=request.user, demand=_visible(request.user, demand_id))
    return _detail(request, demand_id)


def _failed(
    request: HttpRequest, demand_id: int, key: str, form: forms.Form | None, exc: ServiceError
) -> HttpResponse:
    """Show the page again with the message next to the field, keeping what was typed."""
    if form is None:
        return _detail(request, demand_id, error=exc.message, status=exc.status)
    apply_service_error(form, exc)
    return _detail(request, demand_id, bound={key: form}, status=exc.status)


def _invalid(request: HttpRequest, demand_id: int, key: str, form: forms.Form) -> HttpResponse:
    return _detail(request, demand_id, bound={key: form}, status=422)


@login_required
@require_POST
def act(request: HttpRequest, demand_id: int) -> HttpResponse:
    """Move the case one step (the buttons of allowed_actions); the form carries the version."""
    demand = _visible(request.user, demand_id)
    action = request.POST.get("action", "")
    if action not in Action.values or action == Action.AUTO_CLOSE:
        return HttpResponseBadRequest(_("未知的操作。"))
    key = f"act:{action}"
    form = _action_form(action, user=request.user, demand=demand, data=request.POST)
    if form is not None and not form.is_valid():
        return _invalid(request, demand.pk, key, form)
    data: dict[str, Any] = form.cleaned_data if form is not None else {}
    department = data.get("department")
    version = _int(request.POST.get("version"))
    # given only when retrying after a conflict of interest was found (see Blocked)
    try:
        override_reason = posted_text(request.POST, "override_reason").strip()[:OVERRIDE_MAX]
        services.demand_act(
            actor=request.user,
            demand_id=demand.pk,
            action=action,
            version=version if version is not None else -1,
            note=data.get("note", ""),
            department_id=department.pk if department is not None else None,
            satisfaction=data.get("satisfaction", ""),
            rating=data.get("rating"),
            override_reason=override_reason,
        )
    except ConflictOfInterest as exc:
        blocked = Blocked(
            action=action,
            label=str(BUTTON_LABELS.get(Action(action), Action(action).label)),
            message=exc.message,
            paths=[p.describe() for p in exc.paths],
            alert_id=exc.alert.pk,
            form=form,
        )
        bound = {key: form} if form is not None else None
        return _detail(request, demand.pk, bound=bound, conflict=blocked, status=exc.status)
    except ServiceError as exc:
        return _failed(request, demand.pk, key, form, exc)
    messages.success(
        request, _("%(n)s：已%(a)s。") % {"n": demand.number, "a": Action(action).label}
    )
    return redirect(_next_url(request, reverse("demands:detail", args=[demand.pk])))


@login_required
@require_POST
def note(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = _visible(request.user, demand_id)
    staff = is_staff_of_demand(request.user, demand)
    form = TimelineNoteForm(request.POST, prefix="note", staff=staff)
    if not form.is_valid():
        return _invalid(request, demand.pk, "note", form)
    try:
        services.demand_note(
            actor=request.user,
            demand_id=demand.pk,
            note=form.cleaned_data["note"],
            internal=bool(form.cleaned_data.get("internal")),
        )
    except ServiceError as exc:
        return _failed(request, demand.pk, "note", form, exc)
    messages.success(request, _("已添加备注。") if staff else _("已提交补充说明。"))
    return redirect("demands:detail", demand_id=demand.pk)


@login_required
@require_POST
def attach(request: HttpRequest, demand_id: int) -> HttpResponse:
    """Add files to the case (the service checks who, the case's state, type, size, count)."""
    demand = _visible(request.user, demand_id)
    form = AttachmentForm(request.POST, request.FILES, prefix="attach")
    if not form.is_valid():
        return _invalid(request, demand.pk, "attach", form)
    try:
        added = attachments.attachments_add(
            actor=request.user, demand_id=demand.pk, uploads=form.cleaned_data["attachments"]
        )
    except ServiceError as exc:
        return _failed(request, demand.pk, "attach", form, exc)
    messages.success(
        request,
        ngettext("已上传%(n)d个附件。", "已上传%(n)d个附件。", len(added)) % {"n": len(added)},
    )
    return redirect("demands:detail", demand_id=demand.pk)


@login_required
@require_GET
def attachment(request: HttpRequest, demand_id: int, attachment_id: int) -> HttpResponseBase:
    """The file, to those who may see the case (anyone else: 404); staff downloads are logged."""
    try:
        item = attachments.attachment_for(user=request.user, attachment_id=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404 from None
    if item.demand_id != demand_id:
        raise Http404
    try:
        return attachments.attachment_response(actor=request.user, attachment=item)
    except FileNotFoundError:
        raise Http404 from None


@login_required
@require_POST
def supervise(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = _visible(request.user, demand_id)
    form = NoteForm(request.POST, prefix="supervise", label=_("督办意见"))
    if not form.is_valid():
        return _invalid(request, demand.pk, "supervise", form)
    try:
        services.demand_supervise(
            actor=request.user, demand_id=demand.pk, note=form.cleaned_data["note"]
        )
    except ServiceError as exc:
        return _failed(request, demand.pk, "supervise", form, exc)
    messages.success(request, _("已督办。"))
    return redirect("demands:detail", demand_id=demand.pk)


@login_required
@require_POST
def assist(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = _visible(request.user, demand_id)
    form = AssistForm(
        request.POST,
        prefix="assist",
        departments=_serving_departments(request.user, demand.region_path),
    )
    if not form.is_valid():
        return _invalid(request, demand.pk, "assist", form)
    department = form.cleaned_data["department"]
    try:
        services.assist_request(
            actor=request.user,
            demand_id=demand.pk,
            department_id=department.pk if department is not None else 0,
            part=form.cleaned_data["part"],
        )
    except ServiceError as exc:
        return _failed(request, demand.pk, "assist", form, exc)
    messages.success(request, _("已请%(d)s协办。") % {"d": department.name})
    return redirect("demands:detail", demand_id=demand.pk)


@login_required
@require_POST
def assist_reply(request: HttpRequest, demand_id: int, assist_id: int) -> HttpResponse:
    demand = _visible(request.user, demand_id)
    item = demand.assists.filter(pk=assist_id).first()
    if item is None:
        raise Http404
    key = f"assist_reply:{item.pk}"
    form = AssistReplyForm(request.POST, prefix=f"assist{item.pk}")
    if not form.is_valid():
        return _invalid(request, demand.pk, key, form)
    try:
        services.assist_reply(
            actor=request.user, assist_id=item.pk, reply=form.cleaned_data["reply"]
        )
    except ServiceError as exc:
        return _failed(request, demand.pk, key, form, exc)
    messages.success(request, _("已答复协办事项。"))
    return redirect("demands:detail", demand_id=demand.pk)


@login_required
@require_POST
def extension(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = _visible(request.user, demand_id)
    form = ExtensionForm(request.POST, prefix="extension")
    if not form.is_valid():
        return _invalid(request, demand.pk, "extension", form)
    try:
        services.extension_request(
            actor=request.user,
            demand_id=demand.pk,
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        )
    except ServiceError as exc:
        return _failed(request, demand.pk, "extension", form, exc)
    messages.success(request, _("延期申请已提交，待协调员审批。"))
    return redirect("demands:detail", demand_id=demand.pk)


@login_required
@require_POST
def extension_decide(request: HttpRequest, demand_id: int, extension_id: int) -> HttpResponse:
    demand = _visible(request.user, demand_id)
    item = demand.extensions.filter(pk=extension_id).first()
    if item is None:
        raise Http404
    key = f"decide:{item.pk}"
    form = DecideForm(request.POST, prefix=f"decide{item.pk}")
    decision = request.POST.get("decision", "")
    if not form.is_valid() or decision not in ("approve", "refuse"):
        return _invalid(request, demand.pk, key, form)
    try:
        services.extension_decide(
            actor=request.user,
            extension_id=item.pk,
            approve=decision == "approve",
            note=form.cleaned_data["note"],
        )
    except ServiceError as exc:
        return _failed(request, demand.pk, key, form, exc)
    messages.success(request, _("已同意延期。") if decision == "approve" else _("已驳回延期申请。"))
    return redirect(_next_url(request, reverse("demands:detail", args=[demand.pk])))


@login_required
@require_POST
def merge(request: HttpRequest, demand_id: int) -> HttpResponse:
    """Close a duplicate into this case (both looked up in the reader's scope)."""
    into = _visible(request.user, demand_id)
    duplicate_id = _int(request.POST.get("duplicate"))
    if duplicate_id is None:
        raise Http404
    duplicate = _visible(request.user, duplicate_id)
    try:
        services.demand_merge(actor=request.user, duplicate_id=duplicate.pk, into_id=into.pk)
    except ServiceError as exc:
        return _failed(request, into.pk, "merge", None, exc)
    messages.success(
        request, _("已将 %(d)s 合并到 %(i)s。") % {"d": duplicate.number, "i": into.number}
    )
    return redirect("demands:detail", demand_id=into.pk)


# --- routing table ---------------------------------------------------------------------------
def _coordinator_paths(user: Any) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role == Role.COORDINATOR and a.region]


def _routing_form(user: Any, data: Any = None) -> RoutingRuleForm:
    paths = _coordinator_paths(user)
    subtree = Q(pk__in=[])
    serving = Q(pk__in=[])
    for path in paths:
        subtree |= Q(path__startswith=path)
        serving |= Q(region__path__in=_path_prefixes(path)) | Q(region__path__startswith=path)
    return RoutingRuleForm(
        data,
        regions=regions_all().filter(subtree),
        categories=selectors.categories_active(),
        departments=departments_visible_to(user).filter(serving),
    )


@login_required
@require_http_methods(["GET", "POST"])
def routing(request: HttpRequest) -> HttpResponse:
    """The routing table of the coordinator's region: region × category → department."""
    _require_role(request.user, Role.COORDINATOR)
    form = _routing_form(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.routing_rule_set(
                actor=request.user,
                region_id=form.cleaned_data["region"].pk,
                category_id=form.cleaned_data["category"].pk,
                department_id=form.cleaned_data["department"].pk,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("派单规则已保存。"))
            return redirect("demands:routing")
    rules = selectors.routing_rules_for(user=request.user)
    return render(
        request,
        "demands/routing.html",
        {"form": form, "rules": rules},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def routing_remove(request: HttpRequest) -> HttpResponse:
    _require_role(request.user, Role.COORDINATOR)
    rule = (
        selectors.routing_rules_for(user=request.user)
        .filter(pk=_int(request.POST.get("rule")) or 0)
        .first()
    )
    if rule is None:
        raise Http404
    try:
        services.routing_rule_set(
            actor=request.user,
            region_id=rule.region_id,
            category_id=rule.category_id,
            department_id=None,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已删除派单规则：%(r)s × %(c)s。") % {"r": rule.region.name, "c": rule.category.name},
        )
    return redirect("demands:routing")
