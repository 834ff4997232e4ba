"""Web pages of the liaison mechanism: activities, service groups, chambers, judicial
safeguards and observers. Thin: parse input, call a service or a selector, render.

Every id from the client is looked up inside the reader's scope, so another firm's request
or a legal request one is not party to is simply "not found" (404).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import has_role
from qinqing.common.errors import ServiceError
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.ranges import parse_int
from qinqing.common.spreadsheet import xlsx_response
from qinqing.directory.models import Chamber, Department, Enterprise, IndustrySection, Region

from . import activities, groups, liaison
from .models import (
    Activity,
    ActivityKind,
    ChamberConsent,
    GroupRequest,
    LegalRequest,
    ObserverFeedback,
    Registration,
    ServiceGroup,
)

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return parse_int(text) if text.isdigit() else None  # 64-bit, or None


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _own_firm(request: HttpRequest, enterprise_id: Any) -> Enterprise:
    """One of the reader's own firms (enterprise user), or 404."""
    wanted = _int(enterprise_id)
    for firm in activities.firms_of(request.user):
        if wanted is None or firm.pk == wanted:
            return firm
    raise Http404


# === activities ===============================================================================
class ActivityForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("活动类型"),
        choices=[("", gettext_lazy("请选择")), *ActivityKind.choices],
        required=False,
    )
    title = forms.CharField(
        label=gettext_lazy("活动名称"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 120}),
    )
    description = forms.CharField(
        label=gettext_lazy("活动介绍"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000}),
    )
    region = forms.TypedChoiceField(label=gettext_lazy("面向区域"), coerce=int, required=False)
    industry_sections = forms.MultipleChoiceField(
        label=gettext_lazy("面向行业（不选为不限）"),
        choices=IndustrySection.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    size = forms.ChoiceField(
        label=gettext_lazy("面向规模"),
        choices=activities.SIZE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    chamber = forms.TypedChoiceField(
        label=gettext_lazy("面向商会（可选）"), coerce=int, required=False, empty_value=None
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("开始时间"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": gettext_lazy("请输入有效的日期和时间。")},
    )
    registration_closes_at = forms.DateTimeField(
        label=gettext_lazy("报名截止"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": gettext_lazy("请输入有效的日期和时间。")},
    )
    place = forms.CharField(
        label=gettext_lazy("地点"), required=False, widget=forms.TextInput(attrs={"maxlength": 200})
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("名额"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1}),
        error_messages={"invalid": gettext_lazy("请输入整数。")},
    )

    def __init__(
        self, *args: Any, regions: list[Region], chambers: list[Chamber], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "region").choices = [
            ("", _("请选择")),
            *[(r.pk, f"{'　' * max(r.level - 1, 0)}{r.name}") for r in regions],
        ]
        _choice_field(self, "chamber").choices = [
            ("", _("不限商会")),
            *[(c.pk, c.name) for c in chambers],
        ]


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("评分"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[(i, f"{i}") for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": gettext_lazy("请选择1至5分的评分。")},
    )
    text = forms.CharField(
        label=gettext_lazy("意见和建议（可选）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )


def _activity(request: HttpRequest, activity_id: int) -> Activity:
    try:
        return activities.activity_detail(user=request.user, activity_id=activity_id)
    except Activity.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    upcoming = request.GET.get("when", "") == "upcoming"
    qs = activities.activity_list(user=request.user, kind=kind, upcoming=upcoming)
    return render(
        request,
        "outreach/activity_list.html",
        {
            "page": paginate(qs, request.GET.get("page")),
            "kinds": ActivityKind.choices,
            "kind": kind,
            "upcoming": upcoming,
            "can_create": bool(activities.organizer_regions(request.user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    regions = activities.organizer_regions(request.user)
    if not regions:
        raise PermissionDenied
    chambers = list(liaison.chambers_visible_to(request.user).order_by("name"))
    form = ActivityForm(request.POST or None, regions=regions, chambers=chambers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = next((r for r in regions if r.pk == data["region"]), None)
        chamber = next((c for c in chambers if c.pk == data["chamber"]), None)
        try:
            activity = activities.activity_create(
                actor=request.user,
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                region=region,
                industry_sections=data["industry_sections"],
                size=data["size"] or "",
                chamber=chamber,
                starts_at=data["starts_at"],
                registration_closes_at=data["registration_closes_at"],
                place=data["place"],
                capacity=data["capacity"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("活动已发布。"))
            return redirect("outreach:liaison:activity_detail", activity_id=activity.pk)
    return render(
        request,
        "outreach/activity_form.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


def _firm_rows(
    request: HttpRequest, activity: Activity, forms_by_registration: dict[int, Any]
) -> list[dict[str, Any]]:
    """For each of the reader's own firms: its registration and what it may do now."""
    own = {
        r.enterprise_id: r
        for r in activities.own_registrations(user=request.user, activity=activity)
    }
    now = timezone.now()
    rows = []
    for firm in activities.firms_of(request.user):
        reg = own.get(firm.pk)
        active = reg is not None and reg.status != Registration.Status.CANCELLED
        reason = "" if active else activities.ineligibility(activity, firm)
        closed = now >= activity.registration_closes_at
        rows.append(
            {
                "firm": firm,
                "registration": reg,
                "position": activities.waitlist_position(reg) if reg else None,
                "reason": reason,
                "closed": closed,
                "can_register": not active and not reason and not closed,
                "can_cancel": active
                and reg is not None
                and reg.checked_in_at is None
                and now < activity.starts_at,
                "feedback_form": (
                    forms_by_registration.get(reg.pk) or FeedbackForm(prefix=f"f{reg.pk}")
                )
                if reg is not None and reg.checked_in_at and reg.feedback_rating is None
                else None,
            }
        )
    return rows


def _render_activity(
    request: HttpRequest,
    activity: Activity,
    forms_by_registration: dict[int, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    organizer = activities.can_organize(request.user, activity)
    registrations = list(activities.registrations_of(activity)) if organizer else []
    return render(
        request,
        "outreach/activity_detail.html",
        {
            "activity": activity,
            "target": activities.target_text(activity),
            "figures": activities.activity_figures(activity),
            "firm_rows": _firm_rows(request, activity, forms_by_registration or {}),
            "organizer": organizer,
            "registrations": registrations,
            "check_in_open": activities.check_in_open(activity),
        },
        status=status,
    )


@login_required
@require_GET
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _render_activity(request, _activity(request, activity_id))


@login_required
@require_POST
def activity_register(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _activity(request, activity_id)
    firm = _own_firm(request, request.POST.get("enterprise"))
    try:
        registration = activities.activity_register(
            actor=request.user, activity_id=activity.pk, enterprise=firm
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if registration.status == Registration.Status.WAITLISTED:
            messages.success(
                request,
                _("名额已满，已加入候补，当前排第%(n)d位。")
                % {"n": activities.waitlist_position(registration) or 0},
            )
        else:
            messages.success(request, _("报名成功。"))
    return redirect("outreach:liaison:activity_detail", activity_id=activity.pk)


def _registration(request: HttpRequest, registration_id: int) -> Registration:
    """A registration of an activity the reader sees, either the reader's own firm's or one of
    an activity the reader organizes."""
    reg = Registration.objects.select_related("activity", "enterprise").filter(pk=registration_id)
    found = reg.first()
    if found is None:
        raise Http404
    activity = _activity(request, found.activity_id)
    if not (
        activities.is_member_of(request.user, found.enterprise_id)
        or activities.can_organize(request.user, activity)
    ):
        raise Http404
    return found


@login_required
@require_POST
def registration_cancel(request: HttpRequest, registration_id: int) -> HttpResponse:
    reg = _registration(request, registration_id)
    try:
        activities.registration_cancel(actor=request.user, registration_id=reg.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已取消报名。"))
    return redirect("outreach:liaison:activity_detail", activity_id=reg.activity_id)


@login_required
@require_POST
def registration_check_in(request: HttpRequest, registration_id: int) -> HttpResponse:
    reg = _registration(request, registration_id)
    try:
        activities.registration_check_in(actor=request.user, registration_id=reg.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(f)s已签到。") % {"f": reg.enterprise.name})
    return redirect("outreach:liaison:activity_detail", activity_id=reg.activity_id)


@login_required
@require_POST
def registration_feedback(request: HttpRequest, registration_id: int) -> HttpResponse:
    reg = _registration(request, registration_id)
    form = FeedbackForm(request.POST, prefix=f"f{reg.pk}")
    if form.is_valid():
        try:
            activities.registration_feedback(
                actor=request.user,
                registration_id=reg.pk,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("感谢您的反馈。"))
            return redirect("outreach:liaison:activity_detail", activity_id=reg.activity_id)
    return _render_activity(request, _activity(request, reg.activity_id), {reg.pk: form}, 422)


@login_required
@require_GET
def activity_export(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _activity(request, activity_id)
    try:
        header, rows = activities.registrations_export_rows(actor=request.user, activity=activity)
    except ServiceError:
        raise PermissionDenied from None
    return xlsx_response(f"{activity.title}-报名名单.xlsx", str(_("报名名单")), header, rows)


# === targeted service groups ==================================================================
class GroupForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("服务团名称"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 120}),
    )
    region = forms.TypedChoiceField(label=gettext_lazy("服务区域"), coerce=int, required=False)
    purpose = forms.CharField(
        label=gettext_lazy("服务内容"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 255}),
    )


class MembersForm(forms.Form):
    departments = forms.TypedMultipleChoiceField(
        label=gettext_lazy("成员单位"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("成员单位须服务于该区域。")},
    )


class ServiceForm(forms.Form):
    department = forms.TypedChoiceField(
        label=gettext_lazy("提供单位"), coerce=int, required=False, empty_value=None
    )
    name = forms.CharField(
        label=gettext_lazy("服务事项"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 120}),
    )
    description = forms.CharField(
        label=gettext_lazy("说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )


class AskForm(forms.Form):
    enterprise = forms.TypedChoiceField(label=gettext_lazy("企业"), coerce=int, required=False)
    service = forms.TypedChoiceField(
        label=gettext_lazy("服务事项"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("请选择服务事项。")},
    )
    topic = forms.CharField(
        label=gettext_lazy("问题"),
        required=False,
        widget=forms.TextInput(
            attrs={"maxlength": 120, "placeholder": gettext_lazy("一句话说明问题")}
        ),
    )
    description = forms.CharField(
        label=gettext_lazy("详细说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000}),
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=gettext_lazy("办理结果"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000}),
    )


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("关闭原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )


def _group(request: HttpRequest, group_id: int) -> ServiceGroup:
    try:
        return groups.group_detail(user=request.user, group_id=group_id)
    except ServiceGroup.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    items = list(groups.group_list(user=request.user))
    counts = groups.group_counts(items)
    rows = [{"group": g, "counts": counts[g.pk]} for g in items]
    return render(
        request,
        "outreach/group_list.html",
        {
            "rows": rows,
            "can_create": bool(activities.organizer_regions(request.user)),
            "sees_requests": has_role(
                request.user, Role.COORDINATOR, Role.HANDLER, Role.ENTERPRISE
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    regions = activities.organizer_regions(request.user)
    if not regions:
        raise PermissionDenied
    form = GroupForm(request.POST or None)
    _choice_field(form, "region").choices = [
        ("", _("请选择")),
        *[(r.pk, f"{'　' * max(r.level - 1, 0)}{r.name}") for r in regions],
    ]
    if request.method == "POST" and form.is_valid():
        region = next((r for r in regions if r.pk == form.cleaned_data["region"]), None)
        try:
            group = groups.group_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                region=region,
                purpose=form.cleaned_data["purpose"],
            )
        except ServiceError as exc:
            if region is None and "region" not in exc.field_errors:
                form.add_error("region", _("请选择服务区域。"))
            else:
                apply_service_error(form, exc)
        else:
            messages.success(request, _("服务团已组建，请添加成员单位和服务事项。"))
            return redirect("outreach:liaison:group_detail", group_id=group.pk)
    return render(
        request,
        "outreach/group_form.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


def _members_form(group: ServiceGroup, data: Any = None) -> MembersForm:
    form = MembersForm(
        data,
        initial={"departments": list(group.departments.values_list("pk", flat=True))},
        prefix="m",
    )
    _choice_field(form, "departments").choices = [
        (d.pk, f"{d.name}（{d.region.name}）")
        for d in groups.candidate_departments(group.region).select_related("region")
    ]
    return form


def _service_form(group: ServiceGroup, data: Any = None) -> ServiceForm:
    form = ServiceForm(data, prefix="s")
    _choice_field(form, "department").choices = [
        ("", _("请选择")),
        *[(d.pk, d.name) for d in group.departments.order_by("name")],
    ]
    return form


@login_required
@require_http_methods(["GET", "POST"])
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    manage = groups.can_manage_group(request.user, group)
    members_form = _members_form(group) if manage else None
    service_form = _service_form(group) if manage else None
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        try:
            if "m-submit" in request.POST:
                members_form = _members_form(group, request.POST)
                if members_form.is_valid():
                    chosen = list(
                        Department.objects.filter(pk__in=members_form.cleaned_data["departments"])
                    )
                    groups.group_set_members(
                        actor=request.user, group_id=group.pk, departments=chosen
                    )
                    messages.success(request, _("成员单位已更新。"))
                    return redirect("outreach:liaison:group_detail", group_id=group.pk)
            else:
                service_form = _service_form(group, request.POST)
                if service_form.is_valid():
                    department = group.departments.filter(
                        pk=service_form.cleaned_data["department"]
                    ).first()
                    groups.group_service_add(
                        actor=request.user,
                        group_id=group.pk,
                        department=department,
                        name=service_form.cleaned_data["name"],
                        description=service_form.cleaned_data["description"],
                    )
                    messages.success(request, _("服务事项已添加。"))
                    return redirect("outreach:liaison:group_detail", group_id=group.pk)
        except ServiceError as exc:
            target = members_form if "m-submit" in request.POST else service_form
            assert target is not None
            apply_service_error(target, exc)
    counts = groups.group_counts([group])[group.pk]
    firms = [
        f for f in activities.firms_of(request.user) if f.grid.path.startswith(group.region.path)
    ]
    staff = manage or groups.is_member_handler(request.user, group)
    return render(
        request,
        "outreach/group_detail.html",
        {
            "group": group,
            "counts": counts,
            "members": group.departments.select_related("region").order_by("name"),
            "services": groups.group_services(group),
            "can_ask": bool(firms),
            "manage": manage,
            "members_form": members_form,
            "service_form": service_form,
            "requests": groups.group_request_list(user=request.user, group=group)[:20]
            if staff or firms
            else [],
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_ask(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _group(request, group_id)
    firms = [
        f for f in activities.firms_of(request.user) if f.grid.path.startswith(group.region.path)
    ]
    if not firms:
        raise PermissionDenied
    form = AskForm(request.POST or None)
    _choice_field(form, "enterprise").choices = [(f.pk, f.name) for f in firms]
    service_choices: dict[str, list[tuple[int, str]]] = {}
    for s in groups.group_services(group):
        service_choices.setdefault(s.department.name, []).append((s.pk, s.name))
    _choice_field(form, "service").choices = [
        ("", _("请选择服务事项")),
        *[(dept, options) for dept, options in service_choices.items()],
    ]
    if request.method == "POST" and form.is_valid():
        firm = next((f for f in firms if f.pk == form.cleaned_data["enterprise"]), firms[0])
        try:
            req = groups.group_request_submit(
                actor=request.user,
                group_id=group.pk,
                enterprise=firm,
                service_id=form.cleaned_data["service"],
                topic=form.cleaned_data["topic"],
                description=form.cleaned_data["description"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已提交给服务团，成员单位承接后会通知您。"))
            return redirect("outreach:liaison:group_request_detail", request_id=req.pk)
    return render(
        request,
        "outreach/group_ask.html",
        {"group": group, "form": form, "single_firm": len(firms) == 1},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def group_request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    group = None
    group_id = _int(request.GET.get("group"))
    if group_id is not None:
        group = _group(request, group_id)
    qs = groups.group_request_list(user=request.user, group=group, status=status)
    return render(
        request,
        "outreach/group_requests.html",
        {
            "page": paginate(qs, request.GET.get("page")),
            "statuses": GroupRequest.Status.choices,
            "status": status,
            "group": group,
        },
    )


def _group_request(request: HttpRequest, request_id: int) -> GroupRequest:
    try:
        return groups.group_request_detail(user=request.user, request_id=request_id)
    except GroupRequest.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def group_request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    req = _group_request(request, request_id)
    reply_form, close_form = ReplyForm(prefix="r"), CloseForm(prefix="c")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "take":
                groups.group_request_take(actor=request.user, request_id=req.pk)
                messages.success(request, _("已承接，请尽快办理。"))
                return redirect("outreach:liaison:group_request_detail", request_id=req.pk)
            if action == "solve":
                reply_form = ReplyForm(request.POST, prefix="r")
                if reply_form.is_valid():
                    groups.group_request_solve(
                        actor=request.user,
                        request_id=req.pk,
                        reply=reply_form.cleaned_data["reply"],
                    )
                    messages.success(request, _("已办结，企业会收到办理结果。"))
                    return redirect("outreach:liaison:group_request_detail", request_id=req.pk)
            elif action == "close":
                close_form = CloseForm(request.POST, prefix="c")
                if close_form.is_valid():
                    groups.group_request_close(
                        actor=request.user,
                        request_id=req.pk,
                        reason=close_form.cleaned_data["reason"],
                    )
                    messages.success(request, _("已关闭。"))
                    return redirect("outreach:liaison:group_request_detail", request_id=req.pk)
            else:
                raise Http404
        except ServiceError as exc:
            if action == "solve":
                apply_service_error(reply_form, exc)
            elif action == "close":
                apply_service_error(close_form, exc)
            else:
                messages.error(request, exc.message)
                return redirect("outreach:liaison:group_request_detail", request_id=req.pk)
        req = _group_request(request, request_id)
    else:
        groups.group_request_record_view(actor=request.user, req=req)
    return render(
        request,
        "outreach/group_request.html",
        {
            "req": req,
            "actions": groups.allowed_request_actions(request.user, req),
            "reply_form": reply_form,
            "close_form": close_form,
        },
        status=422 if request.method == "POST" else 200,
    )


# === chamber liaison ==========================================================================
def _chamber(request: HttpRequest, chamber_id: int) -> Chamber:
    try:
        return liaison.chamber_detail(user=request.user, chamber_id=chamber_id)
    except Chamber.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def chamber_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "outreach/liaison_chambers.html",
        {
            "chambers": liaison.chamber_list(user=request.user),
            "consents": liaison.consents_of_firm(user=request.user),
        },
    )


@login_required
@require_GET
def chamber_detail(request: HttpRequest, chamber_id: int) -> HttpResponse:
    chamber = _chamber(request, chamber_id)
    staff = liaison.is_chamber_staff(request.user, chamber)
    context: dict[str, Any] = {"chamber": chamber, "staff": staff}
    if staff:
        context.update(
            figures=liaison.chamber_figures(user=request.user, chamber=chamber),
            members=liaison.chamber_members(chamber),
            meetings=liaison.docking_meetings(chamber)[:50],
        )
    context["own"] = [
        row
        for row in liaison.consents_of_firm(user=request.user)
        if row["chamber"].pk == chamber.pk
    ]
    return render(request, "outreach/liaison_chamber.html", context)


@login_required
@require_POST
def consent_grant(request: HttpRequest, chamber_id: int) -> HttpResponse:
    chamber = _chamber(request, chamber_id)
    firm = _own_firm(request, request.POST.get("enterprise"))
    try:
        liaison.chamber_consent_grant(actor=request.user, chamber_id=chamber.pk, enterprise=firm)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已授权%(c)s代办诉求。") % {"c": chamber.name})
    return redirect("outreach:liaison:chamber_detail", chamber_id=chamber.pk)


@login_required
@require_POST
def consent_revoke(request: HttpRequest, consent_id: int) -> HttpResponse:
    own = [f.pk for f in activities.firms_of(request.user)]
    consent = ChamberConsent.objects.filter(pk=consent_id, enterprise_id__in=own).first()
    if consent is None:
        raise Http404
    try:
        liaison.chamber_consent_revoke(actor=request.user, consent_id=consent.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销授权。"))
    return redirect("outreach:liaison:chamber_detail", chamber_id=consent.chamber_id)


# === judicial safeguards ======================================================================
class LegalForm(forms.Form):
    enterprise = forms.TypedChoiceField(label=gettext_lazy("企业"), coerce=int, required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("服务类型"),
        choices=LegalRequest.Kind.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    institution = forms.ChoiceField(
        label=gettext_lazy("受理机关"),
        choices=LegalRequest.Institution.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    department = forms.TypedChoiceField(
        label=gettext_lazy("联络单位"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("所选联络单位不服务贵企业所在区域。")},
    )
    description = forms.CharField(
        label=gettext_lazy("事项说明"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "maxlength": 5000,
                "placeholder": gettext_lazy("需要什么法律服务；涉及案件的，写明案号和进展"),
            }
        ),
    )


class AnswerForm(forms.Form):
    reply = forms.CharField(
        label=gettext_lazy("答复"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000}),
    )


def _legal(request: HttpRequest, request_id: int) -> LegalRequest:
    try:
        return liaison.legal_request_detail(user=request.user, request_id=request_id)
    except LegalRequest.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def legal_list(request: HttpRequest) -> HttpResponse:
    qs = liaison.legal_requests_visible_to(request.user).order_by("-created_at", "-pk")
    return render(
        request,
        "outreach/liaison_legal_list.html",
        {
            "page": paginate(qs, request.GET.get("page")),
            "can_ask": bool(activities.firms_of(request.user)),
            "can_stats": liaison.can_read_legal_statistics(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def legal_create(request: HttpRequest) -> HttpResponse:
    firms = activities.firms_of(request.user)
    if not firms:
        raise PermissionDenied
    form = LegalForm(request.POST or None)
    _choice_field(form, "enterprise").choices = [(f.pk, f.name) for f in firms]
    departments: dict[int, Department] = {}
    for firm in firms:
        for d in liaison.legal_departments_for(firm):
            departments.setdefault(d.pk, d)
    kinds = dict(LegalRequest.Institution.choices)
    _choice_field(form, "department").choices = [
        ("", _("请选择")),
        *[(d.pk, f"{kinds.get(d.kind, '')} · {d.name}") for d in departments.values()],
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        firm = next((f for f in firms if f.pk == data["enterprise"]), firms[0])
        try:
            req = liaison.legal_request_submit(
                actor=request.user,
                enterprise=firm,
                kind=data["kind"],
                institution=data["institution"],
                department_id=data["department"],
                description=data["description"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已提交，只有贵企业和所选联络单位能看到该请求。"))
            return redirect("outreach:liaison:legal_detail", request_id=req.pk)
    return render(
        request,
        "outreach/liaison_legal_form.html",
        {"form": form, "single_firm": len(firms) == 1},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def legal_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    req = _legal(request, request_id)
    liaison_user = liaison.is_legal_liaison(request.user, req)
    form = AnswerForm(prefix="a")
    if request.method == "POST":
        if not liaison_user:
            raise PermissionDenied
        form = AnswerForm(request.POST, prefix="a")
        if form.is_valid():
            try:
                liaison.legal_request_answer(
                    actor=request.user, request_id=req.pk, reply=form.cleaned_data["reply"]
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已答复企业。"))
                return redirect("outreach:liaison:legal_detail", request_id=req.pk)
    else:
        liaison.legal_request_record_view(actor=request.user, req=req)
    return render(
        request,
        "outreach/liaison_legal_detail.html",
        {
            "req": req,
            "can_answer": liaison_user and req.status == LegalRequest.Status.OPEN,
            "form": form,
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def legal_stats(request: HttpRequest) -> HttpResponse:
    if not liaison.can_read_legal_statistics(request.user):
        raise PermissionDenied
    return render(
        request,
        "outreach/liaison_legal_stats.html",
        {
            "rows": liaison.legal_statistics(),
            "kinds": LegalRequest.Kind.choices,
            "institutions": LegalRequest.Institution.choices,
        },
    )


# === observers ================================================================================
class ObserverFeedbackForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("反馈类型"),
        choices=ObserverFeedback.Kind.choices,
        required=False,
        widget=forms.RadioSelect,
        initial=ObserverFeedback.Kind.ROUTINE,
    )
    subject = forms.TypedChoiceField(
        label=gettext_lazy("涉及人员（可选）"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("涉及人员只能是本企业的管家或结对干部。")},
    )
    text = forms.CharField(
        label=gettext_lazy("反馈内容"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "maxlength": 5000,
                "placeholder": gettext_lazy("如：今天的检查公平规范"),
            }
        ),
    )


@login_required
@require_GET
def observer_home(request: HttpRequest) -> HttpResponse:
    firms = liaison.observed_firms(request.user)
    if not firms:
        raise PermissionDenied
    if len(firms) == 1:
        return redirect("outreach:liaison:observer_firm", enterprise_id=firms[0].pk)
    return render(request, "outreach/liaison_observer_home.html", {"firms": firms})


@login_required
@require_http_methods(["GET", "POST"])
def observer_firm(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    try:
        overview = liaison.observer_overview(user=request.user, enterprise_id=enterprise_id)
    except Enterprise.DoesNotExist:
        raise Http404 from None
    subjects = liaison.feedback_subjects(overview.firm)
    form = ObserverFeedbackForm(request.POST or None)
    _choice_field(form, "subject").choices = [
        ("", _("不指定")),
        *[(p.pk, str(p)) for p in subjects],
    ]
    if request.method == "POST" and form.is_valid():
        try:
            liaison.observer_feedback_send(
                actor=request.user,
                enterprise=overview.firm,
                kind=form.cleaned_data["kind"],
                subject_id=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("反馈已送达监督员，感谢您的监督。"))
            return redirect("outreach:liaison:observer_firm", enterprise_id=overview.firm.pk)
    sent = liaison.feedback_visible_to(request.user).filter(
        observer_id=request.user.pk, enterprise=overview.firm
    )[:10]
    return render(
        request,
        "outreach/liaison_observer.html",
        {"overview": overview, "form": form, "sent": sent},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def feedback_list(request: HttpRequest) -> HttpResponse:
    if not liaison.is_feedback_reader(request.user):
        raise PermissionDenied
    kind = request.GET.get("kind", "")
    page = paginate(liaison.feedback_list(user=request.user, kind=kind), request.GET.get("page"))
    liaison.feedback_record_view(actor=request.user, items=list(page.object_list))
    return render(
        request,
        "outreach/liaison_feedback_list.html",
        {"page": page, "kinds": ObserverFeedback.Kind.choices, "kind": kind},
    )
