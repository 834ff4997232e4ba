"""The pages of meetings, follow-up items and named pairings: thin over meetings.py/pairings.py.

Every id from the client is looked up inside the reader's scope first, so another firm's
meeting or another department's item is simply "not found" (404), for reading and acting.
Bad input is shown next to its field with the rest of the input kept, and nothing stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing.accounts.models import Role, User
from qinqing.accounts.scopes import has_role
from qinqing.common.controlchars import posted_text
from qinqing.common.errors import ServiceError
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.ranges import parse_int
from qinqing.common.spreadsheet import xlsx_response
from qinqing.common.workdays import SHANGHAI
from qinqing.demands.forms import category_choices
from qinqing.demands.models import Category
from qinqing.demands.permissions import ConsentLookup, submit_channels
from qinqing.demands.selectors import categories_active
from qinqing.directory.models import Chamber, Department, Enterprise, Pairing, Region

from . import meetings as svc
from . import pairings as pair
from .models import FollowUp, Invitation, Meeting, MeetingKind, PairingContact

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
INVITE_LIST_LIMIT = 50
FEED_SALT = "qinqing.outreach.meeting-feed"
UID_DOMAIN = "qinqing"
WHEN_TABS = (
    ("upcoming", gettext_lazy("即将召开")),
    ("past", gettext_lazy("已结束")),
    ("all", gettext_lazy("全部")),
)
FOLLOW_UP_TABS = (
    ("open", gettext_lazy("未办结")),
    ("overdue", gettext_lazy("已逾期")),
    ("done", gettext_lazy("已办结")),
    ("all", gettext_lazy("全部")),
)
WEEKDAYS = (
    gettext_lazy("星期一"),
    gettext_lazy("星期二"),
    gettext_lazy("星期三"),
    gettext_lazy("星期四"),
    gettext_lazy("星期五"),
    gettext_lazy("星期六"),
    gettext_lazy("星期日"),
)


# --- forms ----------------------------------------------------------------------------------
def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": gettext_lazy("请按“年-月-日 时:分”填写时间。")},
    )


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("请按“年-月-日”填写日期。")},
    )


def _region_choices(regions: Iterable[Region]) -> list[tuple[Any, str]]:
    regions = list(regions)
    top = min((r.level for r in regions), default=0)
    return [("", _("请选择区域"))] + [(r.pk, "　" * (r.level - top) + r.name) for r in regions]


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("会议类型"),
        error_messages={
            "required": gettext_lazy("请选择会议类型。"),
            "invalid_choice": gettext_lazy("您不能组织该类型的会议。"),
        },
    )
    title = forms.CharField(
        label=gettext_lazy("会议名称"),
        required=False,
        widget=forms.TextInput(
            attrs={"maxlength": 120, "placeholder": gettext_lazy("如：2026年第二季度企业座谈会")}
        ),
    )
    region = forms.TypedChoiceField(
        label=gettext_lazy("区域"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("请选择区域。"),
            "invalid_choice": gettext_lazy("您不能在该区域组织会议。"),
        },
    )
    starts_at = _datetime_field(gettext_lazy("开始时间"))
    ends_at = _datetime_field(gettext_lazy("结束时间"))
    place = forms.CharField(
        label=gettext_lazy("地点"), required=False, widget=forms.TextInput(attrs={"maxlength": 200})
    )
    agenda = forms.CharField(
        label=gettext_lazy("议程"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000}),
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("名额（不限请留空）"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1}),
        error_messages={"invalid": gettext_lazy("名额应为整数。")},
    )
    chamber = forms.TypedChoiceField(
        label=gettext_lazy("商会（可选）"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("该商会不在会议区域内。")},
    )
    departments = forms.TypedMultipleChoiceField(
        label=gettext_lazy("参会部门"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("参会部门应为服务该区域的部门。")},
    )

    def __init__(
        self,
        *args: Any,
        kinds: Sequence[str] | None,
        regions: Iterable[Region],
        chambers: Iterable[Chamber],
        departments: Iterable[Department],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if kinds is None:  # editing: the kind stays
            del self.fields["kind"]
        else:
            labels = dict(MeetingKind.choices)
            self.fields["kind"].choices = [("", _("请选择会议类型"))] + [  # type: ignore[attr-defined]
                (k, labels[k]) for k in kinds
            ]
        self.fields["region"].choices = _region_choices(regions)  # type: ignore[attr-defined]
        self.fields["chamber"].choices = [("", _("无"))] + [  # type: ignore[attr-defined]
            (c.pk, c.name) for c in chambers
        ]
        self.fields["departments"].choices = [  # type: ignore[attr-defined]
            (d.pk, d.name) for d in departments
        ]


class InviteForm(forms.Form):
    enterprises = forms.TypedMultipleChoiceField(
        label=gettext_lazy("邀请企业"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("只能邀请会议区域内尚未邀请的企业。")},
    )
    users = forms.TypedMultipleChoiceField(
        label=gettext_lazy("邀请干部和工作人员"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("只能邀请本区域尚未邀请的干部和工作人员。")},
    )

    def __init__(
        self,
        *args: Any,
        firms: Iterable[tuple[int, str]],
        people: Iterable[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprises"].choices = list(firms)  # type: ignore[attr-defined]
        self.fields["users"].choices = list(people)  # type: ignore[attr-defined]


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=gettext_lazy("会议纪要"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "maxlength": 20000,
                "placeholder": gettext_lazy("出席情况、企业反映的问题、议定事项"),
            }
        ),
    )


class FollowUpForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("事项"), required=False, widget=forms.TextInput(attrs={"maxlength": 200})
    )
    due_on = _date_field(gettext_lazy("完成期限"))
    owner = forms.TypedChoiceField(
        label=gettext_lazy("责任人"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={
            "invalid_choice": gettext_lazy("责任人应为组织者、受邀人员或本区域的工作人员。")
        },
    )
    department = forms.TypedChoiceField(
        label=gettext_lazy("责任部门"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("责任部门应为服务该区域的部门。")},
    )

    def __init__(
        self,
        *args: Any,
        owners: Iterable[Any],
        departments: Iterable[Department],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("（不指定）"))] + [  # type: ignore[attr-defined]
            (u.pk, str(u)) for u in owners
        ]
        self.fields["department"].choices = [("", _("（不指定）"))] + [  # type: ignore[attr-defined]
            (d.pk, d.name) for d in departments
        ]


class DoneForm(forms.Form):
    result = forms.CharField(
        label=gettext_lazy("落实情况"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 5000}),
    )


class RaiseDemandForm(forms.Form):
    enterprise = forms.TypedChoiceField(
        label=gettext_lazy("企业"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("请选择企业。"),
            "invalid_choice": gettext_lazy("只能为受邀企业提交诉求。"),
        },
    )
    category = forms.TypedChoiceField(
        label=gettext_lazy("诉求类别"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("请选择类别。"),
            "invalid_choice": gettext_lazy("该类别不存在或已停用，请重新选择。"),
        },
    )
    description = forms.CharField(
        label=gettext_lazy("补充说明（可选）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000}),
    )

    def __init__(
        self,
        *args: Any,
        firms: Iterable[Enterprise],
        categories: Iterable[Category],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = [("", _("请选择企业"))] + [  # type: ignore[attr-defined]
            (e.pk, e.name) for e in firms
        ]
        self.fields["category"].choices = category_choices(categories)  # type: ignore[attr-defined]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("联系方式"),
        choices=PairingContact.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("请选择联系方式。"),
            "invalid_choice": gettext_lazy("请选择联系方式。"),
        },
    )
    contacted_on = _date_field(gettext_lazy("联系日期"))
    note = forms.CharField(
        label=gettext_lazy("内容"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "maxlength": 5000,
                "placeholder": gettext_lazy("了解的情况、企业反映的问题"),
            }
        ),
    )


# --- helpers --------------------------------------------------------------------------------
def _int(value: Any) -> int | None:
    value = str(value or "").strip()
    return parse_int(value) if value.isdigit() else None  # 64-bit, or None


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _visible_meeting(user: Any, meeting_id: int) -> Meeting:
    try:
        return svc.meeting_detail(user=user, meeting_id=meeting_id)
    except Meeting.DoesNotExist:
        raise Http404 from None


def _visible_invitation(user: Any, invitation_id: int) -> Invitation:
    visible = svc.meetings_visible_to(user).values("pk")
    invitation = (
        Invitation.objects.filter(pk=invitation_id, meeting_id__in=visible)
        .select_related("meeting", "meeting__region")
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


def _visible_follow_up(user: Any, follow_up_id: int) -> FollowUp:
    try:
        return svc.follow_up_detail(user=user, follow_up_id=follow_up_id)
    except FollowUp.DoesNotExist:
        raise Http404 from None


def _meeting_form(
    user: Any, data: Any = None, *, meeting: Meeting | None = None, **kwargs: Any
) -> MeetingForm:
    roots = svc.organizer_roots(user)
    chambers: dict[int, Chamber] = {}
    departments: dict[int, Department] = {}
    for root in roots:
        chambers.update({c.pk: c for c in svc.chambers_for(root)})
        departments.update({d.pk: d for d in svc.departments_for(root)})
    regions = list(svc.organizable_regions(user))
    if meeting is not None:
        if meeting.region not in regions:
            regions.insert(0, meeting.region)
        if meeting.chamber is not None:
            chambers.setdefault(meeting.chamber.pk, meeting.chamber)
        for d in meeting.departments.all():
            departments.setdefault(d.pk, d)
    return MeetingForm(
        data,
        kinds=None if meeting is not None else svc.kinds_for(user),
        regions=regions,
        chambers=sorted(chambers.values(), key=lambda c: c.name),
        departments=sorted(departments.values(), key=lambda d: (d.region.path, d.name)),
        **kwargs,
    )


def _meeting_values(form: MeetingForm) -> dict[str, Any]:
    data = form.cleaned_data
    chamber_id = data.get("chamber")
    return {
        "title": data.get("title", ""),
        "region": Region.objects.filter(pk=data["region"]).first(),
        "starts_at": data.get("starts_at"),
        "ends_at": data.get("ends_at"),
        "place": data.get("place", ""),
        "agenda": data.get("agenda", ""),
        "capacity": data.get("capacity"),
        "chamber": Chamber.objects.filter(pk=chamber_id).first() if chamber_id else None,
        "departments": list(Department.objects.filter(pk__in=data.get("departments") or [])),
    }


def readable_time(meeting: Meeting) -> str:
    """2026年4月2日（星期四）09:30–11:30, in Asia/Shanghai."""
    start = meeting.starts_at.astimezone(SHANGHAI)
    end = meeting.ends_at.astimezone(SHANGHAI)
    text = _("%(y)d年%(m)d月%(d)d日（%(w)s）%(t)s") % {
        "y": start.year,
        "m": start.month,
        "d": start.day,
        "w": WEEKDAYS[start.weekday()],
        "t": start.strftime("%H:%M"),
    }
    if end.date() == start.date():
        return f"{text}–{end:%H:%M}"
    return f"{text}–{end:%Y-%m-%d %H:%M}"


def _progress(user: Any) -> list[svc.RoundtableProgress]:
    return svc.roundtable_progress(user=user) if has_role(user, Role.STEWARD) else []


# --- meetings: list, create, edit -----------------------------------------------------------
@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    when = request.GET.get("when", "upcoming")
    if when not in dict(WHEN_TABS):
        when = "upcoming"
    kind = request.GET.get("kind", "")
    qs = svc.meeting_list(user=user, kind=kind, when=when)
    page = paginate(qs, request.GET.get("page"))
    return render(
        request,
        "outreach/meeting_list.html",
        {
            "page": page,
            "meetings": page.object_list,
            "when": when,
            "when_tabs": WHEN_TABS,
            "kind": kind,
            "kinds": MeetingKind.choices,
            "can_create": bool(svc.kinds_for(user)),
            "progress": _progress(user),
            "quarter": svc.Quarter.current(),
        },
    )


@login_required
@require_GET
def meeting_export(request: HttpRequest) -> HttpResponse:
    """Excel of the meetings the reader may see (same filters as the list), staff only."""
    user = request.user
    if not has_role(user, Role.STEWARD, Role.COORDINATOR, Role.SUPERVISOR, Role.OFFICIAL):
        raise PermissionDenied
    when = request.GET.get("when", "all")
    if when not in dict(WHEN_TABS):
        when = "all"
    qs = svc.meeting_list(user=user, kind=request.GET.get("kind", ""), when=when)
    header = [
        _("类型"),
        _("会议名称"),
        _("区域"),
        _("组织者"),
        _("开始时间"),
        _("地点"),
        _("状态"),
        _("已报名"),
        _("候补"),
    ]
    rows = (
        [
            str(m.get_kind_display()),
            m.title,
            m.region.name,
            str(m.organizer),
            timezone.localtime(m.starts_at).strftime("%Y-%m-%d %H:%M"),
            m.place,
            str(m.get_status_display()),
            getattr(m, "registered_count", 0),
            getattr(m, "waitlisted_count", 0),
        ]
        for m in qs[:10000]
    )
    return xlsx_response("会议.xlsx", str(_("会议")), header, rows)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not svc.kinds_for(user):
        raise PermissionDenied
    posted = request.method == "POST"
    initial: dict[str, Any] = {}
    roots = svc.organizer_roots(user)
    if len(roots) == 1:
        initial["region"] = roots[0].pk
    kinds = svc.kinds_for(user)
    wanted = request.GET.get("kind", "")
    if wanted in kinds:
        initial["kind"] = wanted
    elif len(kinds) == 1:
        initial["kind"] = kinds[0]
    form = _meeting_form(user, request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            meeting = svc.meeting_create(
                actor=user, kind=form.cleaned_data["kind"], **_meeting_values(form)
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("会议已创建，请邀请参会企业和人员。"))
            return redirect("outreach:meetings:detail", meeting_id=meeting.pk)
    return render(
        request,
        "outreach/meeting_form.html",
        {"form": form, "heading": _("新建会议"), "meeting": None},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = request.user
    meeting = _visible_meeting(user, meeting_id)
    if not svc.is_organizer(user, meeting):
        raise PermissionDenied
    posted = request.method == "POST"
    initial = {
        "title": meeting.title,
        "region": meeting.region_id,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "place": meeting.place,
        "agenda": meeting.agenda,
        "capacity": meeting.capacity,
        "chamber": meeting.chamber_id,
        "departments": list(meeting.departments.values_list("pk", flat=True)),
    }
    form = _meeting_form(user, request.POST if posted else None, meeting=meeting, initial=initial)
    status = 200
    if posted and form.is_valid():
        try:
            svc.meeting_update(actor=user, meeting_id=meeting.pk, **_meeting_values(form))
        except ServiceError as exc:
            apply_service_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("会议信息已保存。"))
            return redirect("outreach:meetings:detail", meeting_id=meeting.pk)
    return render(
        request,
        "outreach/meeting_form.html",
        {"form": form, "heading": _("修改会议"), "meeting": meeting},
        status=(status if status != 200 else 422) if form.errors else 200,
    )


# --- meetings: the detail page and what is done on it ---------------------------------------
def _invite_form(
    meeting: Meeting, data: Any = None, *, query: str = "", everything: bool = False
) -> tuple[InviteForm, int]:
    firms_qs = svc.invitable_enterprises(meeting, query=query)
    if everything:
        firms = list(firms_qs.values_list("pk", "name"))
        total = len(firms)
    else:
        total = firms_qs.count()
        firms = list(firms_qs.values_list("pk", "name")[:INVITE_LIST_LIMIT])
    people = [(u.pk, _person_label(u)) for u in svc.invitable_users(meeting)]
    return InviteForm(data, firms=firms, people=people, prefix="invite"), total


def _person_label(user: Any) -> str:
    return f"{user}（{user.title}）" if getattr(user, "title", "") else str(user)


def _follow_up_form(meeting: Meeting, data: Any = None) -> FollowUpForm:
    return FollowUpForm(
        data,
        owners=svc.assignable_owners(meeting),
        departments=svc.departments_for(meeting.region),
        prefix="fu",
    )


def _demand_firms(user: Any, meeting: Meeting) -> list[Enterprise]:
    """Invited firms for which the organiser may raise a demand (steward/phone channel)."""
    firms = Enterprise.objects.filter(invitations__meeting=meeting).select_related("grid")
    consents = ConsentLookup()
    return [e for e in firms.order_by("name", "pk") if submit_channels(user, e, consents=consents)]


def _demand_form(
    user: Any,
    meeting: Meeting,
    data: Any = None,
    *,
    prefix: str,
    firms: Sequence[Enterprise] | None = None,
    categories: Sequence[Category] | None = None,
) -> RaiseDemandForm:
    return RaiseDemandForm(
        data,
        firms=firms if firms is not None else _demand_firms(user, meeting),
        categories=categories if categories is not None else list(categories_active()),
        prefix=prefix,
    )


def _detail(
    request: HttpRequest,
    meeting_id: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    user = request.user
    meeting = _visible_meeting(user, meeting_id)
    bound = bound or {}
    now = timezone.now()
    organizer = svc.is_organizer(user, meeting)
    reads_all = organizer or svc.oversees(user, meeting)
    planned = meeting.status == Meeting.Status.PLANNED
    open_for_answers = planned and meeting.starts_at > now
    started = meeting.starts_at <= now
    mine = [
        {
            "invitation": inv,
            "position": svc.waitlist_position(inv),
            "may_answer": open_for_answers and svc.may_answer(user, inv),
        }
        for inv in svc.own_invitations(user=user, meeting=meeting)
    ]
    invitations = list(svc.invitations_of(meeting)) if reads_all else []
    counts = {
        "registered": svc.seats_taken(meeting),
        "waitlisted": Invitation.objects.filter(
            meeting=meeting, status=Invitation.Status.WAITLISTED
        ).count(),
    }
    query = request.GET.get("firm_q", "").strip()
    invite_form, invitable_total = (None, 0)
    if organizer and planned:
        invite_form, invitable_total = _invite_form(meeting, query=query)
        invite_form = bound.get("invite", invite_form)  # type: ignore[assignment]
    minutes_form = None
    if organizer and meeting.status != Meeting.Status.CANCELLED and started:
        minutes_form = bound.get("minutes") or MinutesForm(
            initial={"minutes": meeting.minutes}, prefix="minutes"
        )
    follow_up_form = None
    if organizer and meeting.status != Meeting.Status.CANCELLED:
        follow_up_form = bound.get("follow_up") or _follow_up_form(meeting)
    items = []
    demand_firms = _demand_firms(user, meeting) if organizer else []
    categories = list(categories_active()) if demand_firms else []
    for item in svc.follow_ups_of(user=user, meeting=meeting):
        items.append(
            _item_row(request, item, bound, demand_firms=demand_firms, categories=categories)
        )
    show_check_in = (
        organizer
        and meeting.status != Meeting.Status.CANCELLED
        and (svc.local_date(now) >= svc.local_date(meeting.starts_at))
    )
    return render(
        request,
        "outreach/meeting_detail.html",
        {
            "meeting": meeting,
            "when": readable_time(meeting),
            "organizer": organizer,
            "reads_all": reads_all,
            "mine": mine,
            "invitations": invitations,
            "counts": counts,
            "free": (
                None
                if meeting.capacity is None
                else max(meeting.capacity - counts["registered"], 0)
            ),
            "departments": list(meeting.departments.all()),
            "invite_form": invite_form,
            "invitable_total": invitable_total,
            "invite_limit": INVITE_LIST_LIMIT,
            "firm_q": query,
            "minutes_form": minutes_form,
            "follow_up_form": follow_up_form,
            "items": items,
            "show_check_in": show_check_in,
            "can_edit": organizer and planned,
            "error": error,
            "today": svc.local_date(now),
        },
        status=status,
    )


def _item_row(
    request: HttpRequest,
    item: FollowUp,
    bound: dict[str, forms.Form],
    *,
    demand_firms: Sequence[Enterprise] = (),
    categories: Sequence[Category] = (),
) -> dict[str, Any]:
    user = request.user
    done_form = None
    if item.done_at is None and svc.may_complete(user, item):
        done_form = bound.get(f"done:{item.pk}") or DoneForm(prefix=f"done{item.pk}")
    demand_form = None
    if demand_firms and item.demand_id is None and svc.is_organizer(user, item.meeting):
        demand_form = bound.get(f"demand:{item.pk}") or _demand_form(
            user,
            item.meeting,
            prefix=f"demand{item.pk}",
            firms=demand_firms,
            categories=categories,
        )
    return {
        "item": item,
        "overdue": item.done_at is None and item.due_on < svc.local_date(timezone.now()),
        "done_form": done_form,
        "demand_form": demand_form,
        "open": f"done:{item.pk}" in bound or f"demand:{item.pk}" in bound,
    }


def _failed(
    request: HttpRequest, meeting_id: int, key: str, form: forms.Form | None, exc: ServiceError
) -> HttpResponse:
    """Show the page again with the message next to the field, keeping what was typed."""
    if form is None:
        return _detail(request, meeting_id, error=exc.message, status=exc.status)
    apply_service_error(form, exc)
    return _detail(request, meeting_id, bound={key: form}, status=exc.status)


@login_required
@require_GET
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _detail(request, meeting_id)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, meeting_id)
    try:
        svc.meeting_cancel(
            actor=request.user, meeting_id=meeting.pk, reason=posted_text(request.POST, "reason")
        )
    except ServiceError as exc:
        return _failed(request, meeting.pk, "cancel", None, exc)
    messages.success(request, _("会议已取消，已通知受邀方。"))
    return redirect("outreach:meetings:detail", meeting_id=meeting.pk)


@login_required
@require_POST
def meeting_invite(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, meeting_id)
    if not svc.is_organizer(request.user, meeting):
        raise PermissionDenied
    form, _total = _invite_form(meeting, request.POST, everything=True)
    if not form.is_valid():
        return _detail(request, meeting.pk, bound={"invite": form}, status=422)
    try:
        created = svc.meeting_invite(
            actor=request.user,
            meeting_id=meeting.pk,
            enterprise_ids=form.cleaned_data["enterprises"],
            user_ids=form.cleaned_data["users"],
        )
    except ServiceError as exc:
        return _failed(request, meeting.pk, "invite", form, exc)
    messages.success(request, _("已发送%(n)d份邀请。") % {"n": len(created)})
    return redirect("outreach:meetings:detail", meeting_id=meeting.pk)


def _answer(request: HttpRequest, invitation_id: int, *, register: bool) -> HttpResponse:
    invitation = _visible_invitation(request.user, invitation_id)
    service = svc.invitation_register if register else svc.invitation_decline
    try:
        result = service(actor=request.user, invitation_id=invitation.pk)
    except ServiceError as exc:
        return _failed(request, invitation.meeting_id, "answer", None, exc)
    if not register:
        messages.success(request, _("已答复不参加。"))
    elif result.status == Invitation.Status.WAITLISTED:
        messages.success(
            request,
            _("名额已满，已列入候补（第%(n)d位）；有名额空出时自动转为报名并通知您。")
            % {"n": svc.waitlist_position(result) or 1},
        )
    else:
        messages.success(request, _("报名成功。"))
    return redirect("outreach:meetings:detail", meeting_id=invitation.meeting_id)


@login_required
@require_POST
def invitation_register(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _answer(request, invitation_id, register=True)


@login_required
@require_POST
def invitation_decline(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _answer(request, invitation_id, register=False)


@login_required
@require_POST
def invitation_check_in(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = _visible_invitation(request.user, invitation_id)
    attended = request.POST.get("attended", "1") == "1"
    try:
        svc.invitation_check_in(actor=request.user, invitation_id=invitation.pk, attended=attended)
    except ServiceError as exc:
        return _failed(request, invitation.meeting_id, "check_in", None, exc)
    messages.success(request, _("已签到。") if attended else _("已取消签到。"))
    return redirect(
        reverse("outreach:meetings:detail", args=[invitation.meeting_id]) + "#invitations"
    )


@login_required
@require_POST
def meeting_minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, meeting_id)
    if not svc.is_organizer(request.user, meeting):
        raise PermissionDenied
    form = MinutesForm(request.POST, prefix="minutes")
    if not form.is_valid():
        return _detail(request, meeting.pk, bound={"minutes": form}, status=422)
    try:
        svc.meeting_record_minutes(
            actor=request.user, meeting_id=meeting.pk, minutes=form.cleaned_data["minutes"]
        )
    except ServiceError as exc:
        return _failed(request, meeting.pk, "minutes", form, exc)
    messages.success(request, _("会议纪要已保存。"))
    return redirect("outreach:meetings:detail", meeting_id=meeting.pk)


@login_required
@require_POST
def follow_up_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, meeting_id)
    if not svc.is_organizer(request.user, meeting):
        raise PermissionDenied
    form = _follow_up_form(meeting, request.POST)
    if not form.is_valid():
        return _detail(request, meeting.pk, bound={"follow_up": form}, status=422)
    data = form.cleaned_data
    try:
        svc.follow_up_create(
            actor=request.user,
            meeting_id=meeting.pk,
            title=data.get("title", ""),
            due_on=data.get("due_on"),
            owner=User.objects.filter(pk=data["owner"]).first() if data.get("owner") else None,
            department=(
                Department.objects.filter(pk=data["department"]).first()
                if data.get("department")
                else None
            ),
        )
    except ServiceError as exc:
        return _failed(request, meeting.pk, "follow_up", form, exc)
    messages.success(request, _("已添加会议事项，并通知责任人。"))
    return redirect(reverse("outreach:meetings:detail", args=[meeting.pk]) + "#follow-ups")


# --- follow-up items ------------------------------------------------------------------------
def _follow_up_page(
    request: HttpRequest, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    state = request.GET.get("state", "open")
    if state not in dict(FOLLOW_UP_TABS):
        state = "open"
    page = paginate(svc.follow_up_list(user=user, state=state), request.GET.get("page"))
    rows = [_item_row(request, item, bound or {}) for item in page]
    return render(
        request,
        "outreach/meeting_follow_ups.html",
        {"page": page, "rows": rows, "state": state, "tabs": FOLLOW_UP_TABS},
        status=status,
    )


@login_required
@require_GET
def follow_up_list(request: HttpRequest) -> HttpResponse:
    return _follow_up_page(request)


@login_required
@require_POST
def follow_up_done(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    item = _visible_follow_up(request.user, follow_up_id)
    form = DoneForm(request.POST, prefix=f"done{item.pk}")
    from_list = request.POST.get("from") == "list"
    key = f"done:{item.pk}"
    if form.is_valid():
        try:
            svc.follow_up_complete(
                actor=request.user, follow_up_id=item.pk, result=form.cleaned_data["result"]
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("事项已办结。"))
            default = (
                reverse("outreach:meetings:follow_ups")
                if from_list
                else reverse("outreach:meetings:detail", args=[item.meeting_id]) + "#follow-ups"
            )
            return redirect(_next_url(request, default))
    else:
        status = 422
    if from_list:
        return _follow_up_page(request, bound={key: form}, status=status)
    return _detail(request, item.meeting_id, bound={key: form}, status=status)


@login_required
@require_POST
def follow_up_demand(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    item = _visible_follow_up(request.user, follow_up_id)
    if not svc.is_organizer(request.user, item.meeting):
        raise PermissionDenied
    form = _demand_form(request.user, item.meeting, request.POST, prefix=f"demand{item.pk}")
    key = f"demand:{item.pk}"
    if not form.is_valid():
        return _detail(request, item.meeting_id, bound={key: form}, status=422)
    data = form.cleaned_data
    try:
        demand = svc.follow_up_raise_demand(
            actor=request.user,
            follow_up_id=item.pk,
            enterprise=Enterprise.objects.filter(pk=data["enterprise"])
            .select_related("grid")
            .first(),
            category=Category.objects.filter(pk=data["category"], active=True).first(),
            description=data.get("description", ""),
        )
    except ServiceError as exc:
        return _failed(request, item.meeting_id, key, form, exc)
    messages.success(request, _("已转为诉求 %(n)s。") % {"n": demand.number})
    return redirect(reverse("outreach:meetings:detail", args=[item.meeting_id]) + "#follow-ups")


# --- calendar and iCal ----------------------------------------------------------------------
def _parse_month(text: str | None, today: dt.date) -> tuple[int, int]:
    text = (text or "").strip()
    try:
        year, month = (int(x) for x in text.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


def feed_token(user: Any) -> str:
    """The secret of a personal feed URL; changing the password revokes it."""
    value = f"{user.pk}:{user.password}:{user.is_active}"
    return salted_hmac(FEED_SALT, value, algorithm="sha256").hexdigest()[:32]


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    today = svc.local_date(timezone.now())
    year, month = _parse_month(request.GET.get("month"), today)
    days = svc.meetings_by_day(user=request.user, year=year, month=month)
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    feed = request.build_absolute_uri(
        reverse(
            "outreach:meetings:feed",
            kwargs={"user_id": request.user.pk, "token": feed_token(request.user)},
        )
    )
    return render(
        request,
        "outreach/meeting_calendar.html",
        {
            "days": [
                {
                    "day": day,
                    "weekday": WEEKDAYS[day.weekday()],
                    "meetings": ms,
                    "today": day == today,
                }
                for day, ms in days
            ],
            "year": year,
            "month": month,
            "previous": f"{previous[0]}-{previous[1]:02d}",
            "following": f"{following[0]}-{following[1]:02d}",
            "feed_url": feed,
        },
    )


def ical_escape(text: str) -> str:
    """TEXT value escaping of RFC 5545 §3.3.11."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def ical_fold(line: str) -> list[str]:
    """Fold a content line at 75 octets without splitting a UTF-8 character (§3.1)."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    parts.append(current)
    return parts


def ical_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def ical(meetings: Iterable[Meeting], *, name: str, link: Any) -> str:
    """An RFC 5545 calendar (CRLF line endings, UTC times, one VEVENT per meeting)."""
    stamp = ical_utc(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Qinqing//Meetings 1.0//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for m in meetings:
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{m.pk}@{UID_DOMAIN}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{ical_utc(m.starts_at)}",
            f"DTEND:{ical_utc(m.ends_at)}",
            f"SUMMARY:{ical_escape(m.title)}",
        ]
        if m.place:
            lines.append(f"LOCATION:{ical_escape(m.place)}")
        description = f"{m.get_kind_display()}\n{m.agenda}".strip()
        lines += [
            f"DESCRIPTION:{ical_escape(description)}",
            f"CATEGORIES:{ical_escape(str(m.get_kind_display()))}",
            "STATUS:CANCELLED" if m.status == Meeting.Status.CANCELLED else "STATUS:CONFIRMED",
            f"URL:{link(m)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in ical_fold(line))


def _ical_response(request: HttpRequest, body: str, *, filename: str = "") -> HttpResponse:
    response = HttpResponse(body.encode(), content_type="text/calendar; charset=utf-8")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _absolute_link(request: HttpRequest) -> Any:
    return lambda m: request.build_absolute_uri(svc.meeting_link(m.pk))


@login_required
@require_GET
def meeting_ical(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _visible_meeting(request.user, meeting_id)
    body = ical([meeting], name=meeting.title, link=_absolute_link(request))
    return _ical_response(request, body, filename=f"meeting-{meeting.pk}.ics")


@login_required
@require_GET
def my_ical(request: HttpRequest) -> HttpResponse:
    meetings = svc.calendar_meetings(user=request.user)
    body = ical(meetings, name=_("我的会议"), link=_absolute_link(request))
    return _ical_response(request, body, filename="qinqing-meetings.ics")


@require_GET
def feed(request: HttpRequest, user_id: int, token: str) -> HttpResponse:
    """The personal feed a calendar app subscribes to (no session: the URL is the secret)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not constant_time_compare(token, feed_token(user)):
        raise Http404
    meetings = svc.calendar_meetings(user=user)
    return _ical_response(request, ical(meetings, name=_("我的会议"), link=_absolute_link(request)))


# --- named pairings -------------------------------------------------------------------------
def _quarter(request: HttpRequest) -> svc.Quarter | None:
    return svc.Quarter.parse(request.GET.get("quarter"))


@login_required
@require_GET
def pairing_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not pair.may_read_pairings(user):
        raise PermissionDenied
    overview = pair.pairing_overview(user=user, quarter=_quarter(request))
    rows = overview.rows
    behind_only = request.GET.get("behind") == "1"
    if behind_only:
        rows = [r for r in rows if r.behind]
    current = svc.Quarter.of(overview.today)
    quarters = [current]
    for _i in range(5):
        quarters.append(quarters[-1].previous)
    return render(
        request,
        "outreach/pairing_list.html",
        {
            "overview": overview,
            "rows": rows,
            "behind_only": behind_only,
            "quarters": quarters,
            "is_current": overview.quarter == current,
            "supervisor": has_role(user, Role.SUPERVISOR),
            "official": pair.is_official(user),
        },
    )


@login_required
@require_GET
def pairing_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_role(user, Role.SUPERVISOR):
        raise PermissionDenied
    overview = pair.pairing_overview(user=user, quarter=_quarter(request))
    pair.pairing_record_export(actor=user, quarter=overview.quarter, rows=len(overview.rows))
    header = [
        _("结对干部"),
        _("企业"),
        _("统一社会信用代码"),
        _("结对日期"),
        _("每季度联系次数"),
        _("本季度已联系"),
        _("状态"),
        _("最近联系"),
    ]
    rows = (
        [
            str(r.pairing.official),
            r.pairing.enterprise.name,
            r.pairing.enterprise.uscc,
            r.pairing.started_on.isoformat(),
            r.required,
            r.done,
            r.state_label,
            r.last_contact_on.isoformat() if r.last_contact_on else "",
        ]
        for r in overview.rows
    )
    return xlsx_response(
        f"结对联系-{overview.quarter.code}.xlsx", overview.quarter.code, header, rows
    )


def _pairing_page(
    request: HttpRequest, pairing_id: int, *, form: ContactForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    try:
        pairing = pair.pairing_detail(user=user, pairing_id=pairing_id)
    except Pairing.DoesNotExist:
        raise Http404 from None
    today = pair.today_in_shanghai()
    quarter = svc.Quarter.of(today)
    visible = pair.pairings_visible_to(user).filter(pk=pairing.pk)
    statuses = pair.pairing_statuses(visible, quarter=quarter, today=today)
    previous = pair.pairing_statuses(visible, quarter=quarter.previous, today=today)
    may_log = pair.is_official(user) and pairing.official_id == user.pk
    if may_log and form is None:
        form = ContactForm(initial={"contacted_on": today, "kind": PairingContact.Kind.VISIT})
    page = paginate(pair.contacts_of(pairing), request.GET.get("page"))
    return render(
        request,
        "outreach/pairing_detail.html",
        {
            "pairing": pairing,
            "status": statuses[0] if statuses else None,
            "previous": previous[0] if previous else None,
            "form": form if may_log else None,
            "page": page,
            "contacts": page.object_list,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pairing_detail(request: HttpRequest, pairing_id: int) -> HttpResponse:
    if request.method == "GET":
        response = _pairing_page(request, pairing_id)
        pair.pairing_record_view(actor=request.user, pairing_id=pairing_id)
        return response
    try:
        pairing = pair.pairing_detail(user=request.user, pairing_id=pairing_id)
    except Pairing.DoesNotExist:
        raise Http404 from None
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _pairing_page(request, pairing.pk, form=form, status=422)
    try:
        pair.contact_log(
            actor=request.user,
            pairing_id=pairing.pk,
            kind=form.cleaned_data["kind"],
            contacted_on=form.cleaned_data.get("contacted_on"),
            note=form.cleaned_data.get("note", ""),
        )
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        apply_service_error(form, exc)
        return _pairing_page(request, pairing.pk, form=form, status=exc.status)
    messages.success(request, _("已记录联系。"))
    return redirect("outreach:meetings:pairing_detail", pairing_id=pairing.pk)
