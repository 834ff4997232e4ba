"""Report pages: the public report form and receipt check (no login, nothing about the
client kept), the supervisors' desk, the unlock page, the retaliation watch and the routine
integrity notes. Thin: parse input, call a service or selector, render."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from qinqing.common.errors import ServiceError
from qinqing.common.files import file_download
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.spreadsheet import xlsx_response
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Enterprise

from . import files, guard, keyring, selectors, services
from .forms import (
    AssignForm,
    ConcludeForm,
    FollowUpForm,
    IdentityForm,
    NoteForm,
    ReceiptForm,
    ReplyForm,
    ReportForm,
    UnlockForm,
)
from .models import Category, IntegrityNote, Report
from .permissions import is_supervisor, may_send_notes, note_firms
from .workflow import OPEN_STATES, Action, State, allowed_actions

View = Callable[..., HttpResponse]


def public(view: View) -> View:
    """The reporter's pages: no-store and no-referrer. Exempt from CSRF because a browser
    sends ``Origin: null`` under no-referrer; these forms carry no ambient authority (no
    login is needed, the receipt is the credential, the single-use proof-of-work challenge
    comes from the page)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return guard.private_headers(view(request, *args, **kwargs))

    return csrf_exempt(wrapped)


def private(view: View) -> View:
    """Supervisors' pages: no-store, same-origin referrer, and the key cookie handed over."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        keyring.hand_over_cookie(request, response)
        return guard.private_headers(response, "same-origin")

    return wrapped


def _supervisor(request: HttpRequest) -> Any:
    if not is_supervisor(request.user):
        raise PermissionDenied
    return request.user


def _challenge() -> guard.Challenge:
    return guard.challenge()


# --- public: report and receipt ------------------------------------------------------------
def _protectable_firms(user: Any) -> list[Enterprise]:
    return note_firms(user) if getattr(user, "is_authenticated", False) else []


@public
def report_new(request: HttpRequest) -> HttpResponse:
    firms = _protectable_firms(request.user)
    form = ReportForm(request.POST or None, request.FILES or None, firms=firms)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            guard.verify(data.get("pow_challenge", ""), data.get("pow_nonce", ""))
            guard.rate_limit(request, "submit")
            identity = (
                services.Identity(
                    name=data["name"], phone=data["phone"], email=data["email"], unit=data["unit"]
                )
                if data.get("named")
                else None
            )
            protect = None
            if identity is not None and data.get("protect_firm"):
                protect = next((f for f in firms if str(f.pk) == data["protect_firm"]), None)
            report, receipt = services.report_submit(
                actor=request.user if request.user.is_authenticated else None,
                region=data["region"],
                category=data["category"],
                title=data["title"],
                body=data["body"],
                accused_people=data["accused_people"],
                accused_firms=data["accused_firms"],
                identity=identity,
                protect_firm=protect,
                uploads=data.get("evidence") or [],
            )
        except guard.TooMany as exc:
            form.add_error(None, exc.message)
            response = render(request, "reports/report_form.html", _form_context(form), status=429)
            return response
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            # shown once, in this response only: never stored, never in a URL or the session
            return render(
                request,
                "reports/receipt.html",
                {"report": report, "receipt": services.crypto.format_receipt(receipt)},
            )
    return render(request, "reports/report_form.html", _form_context(form))


def _form_context(form: Any) -> dict[str, Any]:
    return {
        "form": form,
        "pow": _challenge(),
        "limits": files.limits_hint(),
        "accept": files.ACCEPT,
    }


def _receipt_page(
    request: HttpRequest, opened: Any, receipt: str, follow: Any = None
) -> HttpResponse:
    follow = follow or FollowUpForm(initial={"receipt": receipt})
    return render(
        request,
        "reports/receipt_view.html",
        {
            "opened": opened,
            "follow": follow,
            "pow": _challenge(),
            "receipt": receipt,
            "closed": opened.report.state == State.CLOSED,
            "limits": files.limits_hint(),
            "accept": files.ACCEPT,
        },
    )


def _wrong_receipt(request: HttpRequest, form: ReceiptForm) -> HttpResponse:
    guard.receipt_failed(request)
    form.add_error("receipt", _("回执码无效。"))
    return render(request, "reports/receipt_check.html", {"form": form}, status=404)


@public
def receipt_check(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            guard.before_receipt(request)
        except guard.TooMany as exc:
            form.add_error(None, exc.message)
            return render(request, "reports/receipt_check.html", {"form": form}, status=429)
        opened = services.read_by_receipt(receipt=form.cleaned_data["receipt"])
        if opened is None:
            return _wrong_receipt(request, form)
        return _receipt_page(request, opened, form.cleaned_data["receipt"])
    return render(request, "reports/receipt_check.html", {"form": form})


@public
@require_POST
def receipt_follow_up(request: HttpRequest) -> HttpResponse:
    follow = FollowUpForm(request.POST, request.FILES)
    receipt = request.POST.get("receipt", "")
    check = ReceiptForm({"receipt": receipt})
    try:
        guard.before_receipt(request)
    except guard.TooMany as exc:
        check.add_error(None, exc.message)
        return render(request, "reports/receipt_check.html", {"form": check}, status=429)
    opened = services.read_by_receipt(receipt=receipt)
    if opened is None:
        return _wrong_receipt(request, check)
    if follow.is_valid():
        data = follow.cleaned_data
        try:
            guard.verify(data.get("pow_challenge", ""), data.get("pow_nonce", ""))
            services.report_follow_up(
                receipt=receipt, body=data["body"], uploads=data.get("evidence") or []
            )
        except ServiceError as exc:
            apply_service_error(follow, exc)
        else:
            opened = services.read_by_receipt(receipt=receipt)
            page = _receipt_page(request, opened, receipt)
            return page
    return _receipt_page(request, opened, receipt, follow)


@public
@require_POST
def receipt_file(request: HttpRequest, file_id: int) -> HttpResponse:
    found = services.receipt_file_open(receipt=request.POST.get("receipt", ""), file_id=file_id)
    if found is None:
        guard.receipt_failed(request)
        raise Http404
    return _file_response(*found)


def _file_response(name: str, content_type: str, data: bytes) -> HttpResponse:
    return file_download(data, name=name, content_type=content_type)


# --- supervisors ---------------------------------------------------------------------------
@private
@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not is_supervisor(request.user):
        if may_send_notes(request.user):
            return redirect("reports:notes")
        return redirect("reports:new")
    filters = {
        "state": request.GET.get("state", "") if request.GET.get("state") in State.values else "",
        "category": request.GET.get("category", "")
        if request.GET.get("category") in Category.values
        else "",
        "overdue": request.GET.get("overdue") == "1",
        "mine": request.GET.get("mine") == "1",
        "q": request.GET.get("q", "")[:32],
    }
    qs = selectors.report_list(
        user=request.user,
        state=str(filters["state"]),
        category=str(filters["category"]),
        overdue=bool(filters["overdue"]),
        mine=bool(filters["mine"]),
        q=str(filters["q"]),
    )
    page = paginate(qs, request.GET.get("page"))
    key = keyring.from_request(request)
    rows = list(page.object_list)
    openable = selectors.openable_ids(
        user=request.user, key_id=key.key_id if key else None, report_ids=[r.pk for r in rows]
    )
    return render(
        request,
        "reports/index.html",
        {
            "page": page,
            "rows": rows,
            "openable": openable,
            "filters": filters,
            "states": State.choices,
            "categories": Category.choices,
            "unlocked": key is not None,
            "counts": selectors.counts_by_state(user=request.user),
            "unreadable": selectors.unreadable_count(user=request.user),
        },
    )


@private
@login_required
def export(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    rows = selectors.report_list(user=request.user)

    def local(moment: Any) -> str:
        return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""

    with services.transaction.atomic():
        services.record(actor=request.user, action="report.export", object_type="reports.report")
    return xlsx_response(
        "reports.xlsx",
        _("举报统计"),
        [
            _("编号"),
            _("类别"),
            _("区域"),
            _("状态"),
            _("结论"),
            _("实名"),
            _("收到时间"),
            _("办结期限"),
            _("逾期"),
        ],
        (
            [
                r.number,
                r.get_category_display(),
                r.region.name,
                r.get_state_display(),
                r.get_outcome_display() if r.outcome else "",
                _("是") if r.named else _("否"),
                local(r.received_at),
                local(r.conclusion_due_at),
                _("是") if r.overdue else "",
            ]
            for r in rows
        ),
    )


def _report(request: HttpRequest, report_id: int) -> Report:
    try:
        return selectors.report_detail(user=request.user, report_id=report_id)
    except Report.DoesNotExist as exc:
        raise Http404 from exc


def _detail(
    request: HttpRequest, report: Report, *, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    key = keyring.from_request(request)
    opened = None
    if services.can_open(actor=request.user, report=report, key=key):
        opened = services.report_open(actor=request.user, report=report, key=key)
    forms = forms or {}
    assignees = selectors.assignees_of(report)
    assigned_ids = {a.supervisor_id for a in assignees}
    candidates = [u for u in services.assignable_supervisors(report) if u.pk not in assigned_ids]
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "opened": opened,
            "unlocked": key is not None,
            "actions": [
                (a, Action(a).label)
                for a in allowed_actions(request.user, report)
                if a != Action.CONCLUDE
            ],
            "can_conclude": Action.CONCLUDE in allowed_actions(request.user, report),
            "conclude_form": forms.get("conclude")
            or ConcludeForm(candidates=selectors.responsible_candidates(request.user)),
            "responsible": selectors.responsible_of(report),
            "reply_form": forms.get("reply") or ReplyForm(),
            "assign_form": forms.get("assign") or AssignForm(supervisors=candidates),
            "identity_form": forms.get("identity") or IdentityForm(),
            "identity": forms.get("identity_value"),
            "assignees": assignees,
            "is_assignee": request.user.pk in assigned_ids,
            # "also started by a supervisor during an investigation" (exemption)
            "can_start_exemption": request.user.pk in assigned_ids
            and report.state in (State.ASSIGNED, State.INVESTIGATING, State.CONCLUDED),
            "can_assign": report.state in ("triage", "assigned", "investigating")
            and opened is not None,
            "events": selectors.events_of(report),
            "open_states": OPEN_STATES,
        },
        status=status,
    )


@private
@login_required
def detail(request: HttpRequest, report_id: int) -> HttpResponse:
    _supervisor(request)
    return _detail(request, _report(request, report_id))


def _after(request: HttpRequest, report: Report, message: str) -> HttpResponse:
    from django.contrib import messages

    messages.success(request, message)
    return redirect("reports:detail", report_id=report.pk)


def _failed(
    request: HttpRequest, report: Report, exc: ServiceError, name: str, form: Any
) -> HttpResponse:
    apply_service_error(form, exc)
    return _detail(request, _report(request, report.pk), forms={name: form}, status=exc.status)


@private
@login_required
@require_POST
def act(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _supervisor(request)
    report = _report(request, report_id)
    action = request.POST.get("action", "")
    candidates = selectors.responsible_candidates(user)
    form = (
        ConcludeForm(request.POST, candidates=candidates)
        if action == Action.CONCLUDE
        else ConcludeForm(candidates=candidates)
    )
    if action == Action.CONCLUDE and not form.is_valid():
        return _detail(request, report, forms={"conclude": form}, status=422)
    try:
        version = int(request.POST.get("version", "0"))
        services.report_act(
            actor=user,
            report_id=report.pk,
            action=action,
            version=version,
            outcome=form.cleaned_data.get("outcome", "") if action == Action.CONCLUDE else "",
            serious=bool(form.cleaned_data.get("serious")) if action == Action.CONCLUDE else False,
            responsible_ids=[u.pk for u in form.cleaned_data.get("responsible") or []]
            if action == Action.CONCLUDE
            else [],
        )
    except ValueError as exc:
        raise Http404 from exc
    except ServiceError as exc:
        if action == Action.CONCLUDE:
            return _failed(request, report, exc, "conclude", form)
        # the other actions have no form to carry the message: it goes on top of the page
        messages.error(request, exc.message)
        return _detail(request, _report(request, report.pk), status=exc.status)
    return _after(request, report, _("已处理。"))


@private
@login_required
@require_POST
def assign(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _supervisor(request)
    report = _report(request, report_id)
    candidates = services.assignable_supervisors(report)
    form = AssignForm(request.POST, supervisors=candidates)
    if not form.is_valid():
        return _detail(request, report, forms={"assign": form}, status=422)
    target = next(u for u in candidates if str(u.pk) == form.cleaned_data["supervisor"])
    try:
        services.report_assign(
            actor=user, report_id=report.pk, supervisor=target, key=keyring.from_request(request)
        )
    except ServiceError as exc:
        return _failed(request, report, exc, "assign", form)
    return _after(request, report, _("已分派，并已向承办人授权解密。"))


@private
@login_required
@require_POST
def unassign(request: HttpRequest, report_id: int, user_id: int) -> HttpResponse:
    user = _supervisor(request)
    report = _report(request, report_id)
    assignment = (
        report.assignments.filter(supervisor_id=user_id).select_related("supervisor").first()
    )
    if assignment is None:
        raise Http404
    try:
        services.report_unassign(actor=user, report_id=report.pk, supervisor=assignment.supervisor)
    except ServiceError as exc:
        from django.contrib import messages

        messages.error(request, exc.message)
        return redirect("reports:detail", report_id=report.pk)
    return _after(request, report, _("已取消分派，并已撤销其解密授权。"))


@private
@login_required
@require_POST
def reply(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _supervisor(request)
    report = _report(request, report_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _detail(request, report, forms={"reply": form}, status=422)
    try:
        services.report_reply(
            actor=user,
            report_id=report.pk,
            key=keyring.from_request(request),
            body=form.cleaned_data["body"],
            internal=form.cleaned_data["internal"],
        )
    except ServiceError as exc:
        return _failed(request, report, exc, "reply", form)
    return _after(request, report, _("已保存。"))


@private
@login_required
@require_POST
def identity(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _supervisor(request)
    report = _report(request, report_id)
    form = IdentityForm(request.POST)
    if not form.is_valid():
        return _detail(request, report, forms={"identity": form}, status=422)
    try:
        value = services.identity_open(
            actor=user,
            report_id=report.pk,
            key=keyring.from_request(request),
            reason=form.cleaned_data["reason"],
        )
    except ServiceError as exc:
        return _failed(request, report, exc, "identity", form)
    return _detail(request, report, forms={"identity": form, "identity_value": value})


@private
@login_required
def file(request: HttpRequest, report_id: int, file_id: int) -> HttpResponse:
    user = _supervisor(request)
    report = _report(request, report_id)
    try:
        found = services.file_open(
            actor=user, report=report, key=keyring.from_request(request), file_id=file_id
        )
    except ServiceError as exc:
        raise Http404 from exc
    return _file_response(*found)


@private
@login_required
def unlock(request: HttpRequest) -> HttpResponse:
    """Re-enter the password to unlock the reports key for this session (and, after a
    password change, give the old one to carry the old key's reports over)."""
    user = _supervisor(request)
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not user.check_password(form.cleaned_data["password"]):
            form.add_error("password", _("密码不正确。"))
        else:
            unlocked = keyring.unlock(user=user, password=form.cleaned_data["password"])
            assert unlocked is not None
            moved = 0
            if form.cleaned_data.get("old_password"):
                moved = keyring.restore(
                    user=user, old_password=form.cleaned_data["old_password"], current=unlocked
                )
            cookie = keyring.keep_in_session(request, unlocked)
            from django.contrib import messages

            messages.success(
                request,
                _("已解锁举报密钥（本次会话有效）。")
                + (_("已找回 %(n)s 项原有授权。") % {"n": moved} if moved else ""),
            )
            response = redirect("reports:index")
            keyring.set_cookie(response, cookie)
            return response
    return render(request, "reports/unlock.html", {"form": form})


@private
@login_required
def watch(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    flagged_only = request.GET.get("all") != "1"
    rows = selectors.retaliation_watch(user=request.user, flagged_only=flagged_only)
    return render(request, "reports/watch.html", {"rows": rows, "flagged_only": flagged_only})


# --- routine integrity notes ---------------------------------------------------------------
@private
@login_required
def notes(request: HttpRequest) -> HttpResponse:
    if not (is_supervisor(request.user) or may_send_notes(request.user)):
        raise PermissionDenied
    tone = (
        request.GET.get("tone", "") if request.GET.get("tone") in IntegrityNote.Tone.values else ""
    )
    page = paginate(selectors.notes_visible_to(request.user, tone=tone), request.GET.get("page"))
    return render(
        request,
        "reports/notes.html",
        {
            "page": page,
            "tone": tone,
            "tones": IntegrityNote.Tone.choices,
            "can_send": may_send_notes(request.user),
        },
    )


@private
@login_required
def note_new(request: HttpRequest) -> HttpResponse:
    if not may_send_notes(request.user):
        raise PermissionDenied
    firms = note_firms(request.user)
    form = NoteForm(request.POST or None, firms=firms)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        firm = next((f for f in firms if str(f.pk) == data.get("enterprise")), None)
        try:
            services.note_submit(
                actor=request.user,
                enterprise=firm,
                region=data.get("region"),
                tone=data["tone"],
                subject=data["subject"],
                body=data["body"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            from django.contrib import messages

            messages.success(request, _("已提交，感谢您的监督。"))
            return redirect("reports:notes")
    return render(request, "reports/note_form.html", {"form": form})
