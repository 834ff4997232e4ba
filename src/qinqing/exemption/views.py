"""The pages of 容错免责 under /exemption/: apply, follow, assess, decide, appeal, publish,
the case library and the statistics.

Thin: parse input, call a selector or a service, render. Every id from the client is looked
up inside the reader's scope, so another region's application is simply "not found".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing.accounts.models import User
from qinqing.accounts.scopes import primary_role
from qinqing.audit.services import record
from qinqing.common.errors import ServiceError
from qinqing.common.files import file_download
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.spreadsheet import xlsx_response
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Enterprise

from . import checks, selectors, services
from .forms import (
    AcceptForm,
    ApplicationForm,
    AssessmentForm,
    CaseForm,
    EvidenceForm,
    LibraryForm,
    NoteForm,
    OutcomeForm,
    PeriodForm,
    ReasonForm,
)
from .models import Application, Case, Evidence, Finding, LinkKind, Outcome
from .permissions import (
    is_supervisor,
    is_supervisor_of,
    may_apply,
    may_publish,
    may_read_library,
    may_see_internal,
)
from .workflow import Action, State, allowed_actions


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _visible(user: Any, application_id: int) -> Application:
    try:
        return selectors.application_detail(user=user, application_id=application_id)
    except Application.DoesNotExist:
        raise Http404 from None


# --- home ------------------------------------------------------------------------------------
@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = selectors.applications_visible_to(user).filter(applicant_id=user.pk)[:20]
    filed = (
        selectors.applications_visible_to(user)
        .filter(filed_by_id=user.pk)
        .exclude(applicant_id=user.pk)[:20]
    )
    queue = selectors.review_queue(user=user)[:50] if is_supervisor(user) else []
    now = timezone.now()
    return render(
        request,
        "exemption/index.html",
        {
            "mine": mine,
            "filed": filed,
            "queue": [(a, services.overdue_stage(a, now)) for a in queue],
            "can_apply": may_apply(user),
            "is_supervisor": is_supervisor(user),
            "can_read_library": may_read_library(user),
        },
    )


# --- applying ----------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    if not may_apply(user):
        raise PermissionDenied
    applicants = selectors.applicants_for(user)
    initial: dict[str, Any] = {}
    kind, link_id = request.GET.get("link_kind", ""), _int(request.GET.get("link_id"))
    if kind in LinkKind.values and link_id:
        # from a filing's or an investigation's page: the service checks the link on submit
        initial = {"link_kind": kind, "link_id": link_id}
    form = ApplicationForm(
        request.POST or None, request.FILES or None, applicants=applicants, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        applicant: Any = user
        if data.get("applicant"):
            if data["applicant"] not in dict(applicants):
                raise Http404
            applicant = User.objects.get(pk=data["applicant"])
        enterprise = None
        uscc = (data.get("enterprise_uscc") or "").strip().upper()
        if uscc:
            enterprise = Enterprise.objects.filter(uscc=uscc).first()
            if enterprise is None:
                form.add_error("enterprise_uscc", _("未找到该统一社会信用代码的企业。"))
        if form.is_valid():
            try:
                application = services.application_submit(
                    actor=user,
                    applicant=applicant,
                    matter=data["matter"],
                    actions=data["actions"],
                    rules_at_time=data["rules_at_time"],
                    outcome_harm=data["outcome_harm"],
                    corrected=data["corrected"],
                    correction=data.get("correction", ""),
                    enterprise=enterprise,
                    link_kind=data.get("link_kind") or "",
                    link_id=data.get("link_id"),
                    uploads=data.get("attachments") or [],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("申请已提交，编号 %(number)s。") % {"number": application.number},
                )
                return redirect("exemption:detail", application.pk)
    return render(request, "exemption/apply.html", {"form": form})


# --- one application ---------------------------------------------------------------------------
def _detail_context(request: HttpRequest, application: Application, **forms: Any) -> dict[str, Any]:
    user = request.user
    actions = allowed_actions(user, application)
    internal = may_see_internal(user, application)
    assessment = getattr(application, "assessment", None) if internal else None
    check_results = None
    if internal and application.state == State.ACCEPTED and Action.ASSESS in actions:
        check_results = checks.run_checks(application)
    elif assessment is not None:
        check_results = {
            name: checks.CheckResult(**value) for name, value in (assessment.checks or {}).items()
        }
    distinctions = []
    if assessment is not None:
        for d, question in selectors.DISTINCTION_QUESTIONS.items():
            finding = getattr(assessment, f"{d}_finding")
            side = {
                Finding.TOLERABLE: question["tolerable"],
                Finding.INTOLERABLE: question["intolerable"],
            }.get(finding, Finding.UNCLEAR.label)
            distinctions.append(
                {
                    "title": question["title"],
                    "finding": finding,
                    "side": side,
                    "findings": getattr(assessment, f"{d}_findings"),
                    "evidence": getattr(assessment, f"{d}_evidence"),
                }
            )
    factors = []
    if assessment is not None:
        for factor, label in selectors.FACTOR_LABELS.items():
            answer = getattr(assessment, factor)
            factors.append((label, assessment._meta.get_field(factor).choices, answer))
    case = Case.objects.filter(application=application).first() if internal else None
    context = {
        "a": application,
        "actions": actions,
        "internal": internal,
        "assessment": assessment,
        "distinctions": distinctions,
        "factors": [(label, dict(choices or [])[answer]) for label, choices, answer in factors],
        "checks": [(checks.CHECKS[name], result) for name, result in (check_results or {}).items()],
        "evidence": selectors.evidence_of(application),
        "overdue": services.overdue_stage(application, timezone.now()),
        "can_add_evidence": services.may_add_evidence(user, application),
        "can_publish": may_publish(user, application)
        and application.state in (State.DECIDED, State.REVIEWED),
        "case": case,
        "accept_form": AcceptForm(assessors=selectors.assessor_choices(application))
        if Action.ACCEPT in actions
        else None,
        "assess_form": AssessmentForm(prefix="assess", initial=_assessment_initial(application))
        if Action.ASSESS in actions
        else None,
        "refuse_form": ReasonForm(prefix="refuse") if Action.REFUSE in actions else None,
        "return_form": NoteForm(prefix="return") if Action.RETURN in actions else None,
        "signoff_form": NoteForm(prefix="signoff") if Action.SIGN_OFF in actions else None,
        "appeal_form": ReasonForm(prefix="appeal") if Action.APPEAL in actions else None,
        "review_form": OutcomeForm(prefix="review") if Action.REVIEW in actions else None,
        "evidence_form": EvidenceForm(prefix="evidence"),
    }
    context.update(forms)
    return context


def _assessment_initial(application: Application) -> dict[str, Any]:
    assessment = getattr(application, "assessment", None)
    if assessment is None:
        return {}
    fields = [f.name for f in assessment._meta.fields if f.name not in ("id", "application")]
    initial = {name: getattr(assessment, name) for name in fields}
    initial.update(outcome=application.outcome, reasons=application.reasons)
    return initial


@login_required
@require_GET
def detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _visible(request.user, application_id)
    if request.user.pk not in (application.applicant_id, application.filed_by_id):
        record(
            actor=request.user,
            action="exemption.view",
            obj=application,
            role=primary_role(request.user),
        )
    return render(request, "exemption/detail.html", _detail_context(request, application))


def _version(request: HttpRequest) -> int:
    version = _int(request.POST.get("version"))
    if version is None:
        raise Http404
    return version


def _done(request: HttpRequest, application: Application, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("exemption:detail", application.pk)


@login_required
@require_POST
def act(request: HttpRequest, application_id: int, action: str) -> HttpResponseBase:
    """One move of the workflow, from the detail page."""
    application = _visible(request.user, application_id)
    user, version = request.user, _version(request)
    form: Any = None
    name = ""
    try:
        if action == Action.ACCEPT:
            form = AcceptForm(request.POST, assessors=selectors.assessor_choices(application))
            name = "accept_form"
            if form.is_valid():
                assessor = None
                if form.cleaned_data.get("assessor"):
                    assessor = User.objects.filter(pk=form.cleaned_data["assessor"]).first()
                services.application_accept(
                    actor=user, application_id=application.pk, version=version, assessor=assessor
                )
                return _done(request, application, _("已受理。"))
        elif action == Action.REFUSE:
            form, name = ReasonForm(request.POST, prefix="refuse"), "refuse_form"
            if form.is_valid():
                services.application_refuse(
                    actor=user,
                    application_id=application.pk,
                    version=version,
                    reason=form.cleaned_data["reason"],
                )
                return _done(request, application, _("已决定不予受理。"))
        elif action == Action.WITHDRAW:
            services.application_withdraw(
                actor=user, application_id=application.pk, version=version
            )
            return _done(request, application, _("申请已撤回。"))
        elif action == Action.ASSESS:
            form, name = AssessmentForm(request.POST, prefix="assess"), "assess_form"
            if form.is_valid():
                data = dict(form.cleaned_data)
                services.application_assess(
                    actor=user,
                    application_id=application.pk,
                    version=version,
                    assessment=data,
                    outcome=data["outcome"],
                    reasons=data["reasons"],
                )
                return _done(request, application, _("审查意见已提交，等待复核。"))
        elif action == Action.RETURN:
            form, name = NoteForm(request.POST, prefix="return"), "return_form"
            if form.is_valid():
                services.application_return(
                    actor=user,
                    application_id=application.pk,
                    version=version,
                    note=form.cleaned_data["note"],
                )
                return _done(request, application, _("已退回审查人。"))
        elif action == Action.SIGN_OFF:
            form, name = NoteForm(request.POST, prefix="signoff"), "signoff_form"
            if form.is_valid():
                services.application_sign_off(
                    actor=user,
                    application_id=application.pk,
                    version=version,
                    note=form.cleaned_data["note"],
                )
                return _done(request, application, _("已复核并作出决定，已通知申请人。"))
        elif action == Action.APPEAL:
            form, name = ReasonForm(request.POST, prefix="appeal"), "appeal_form"
            if form.is_valid():
                services.application_appeal(
                    actor=user,
                    application_id=application.pk,
                    version=version,
                    reason=form.cleaned_data["reason"],
                )
                return _done(request, application, _("申诉已提交。"))
        elif action == Action.REVIEW:
            form, name = OutcomeForm(request.POST, prefix="review"), "review_form"
            if form.is_valid():
                services.application_review(
                    actor=user,
                    application_id=application.pk,
                    version=version,
                    outcome=form.cleaned_data["outcome"],
                    reasons=form.cleaned_data["reasons"],
                )
                return _done(request, application, _("申诉复查决定已作出。"))
        else:
            raise Http404
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        if form is None:
            messages.error(request, exc.message)
            return redirect("exemption:detail", application.pk)
        apply_service_error(form, exc)
    application = _visible(user, application_id)
    context = _detail_context(request, application, **({name: form} if name else {}))
    return render(request, "exemption/detail.html", context, status=422)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, application_id: int) -> HttpResponseBase:
    application = _visible(request.user, application_id)
    form = EvidenceForm(request.POST, request.FILES, prefix="evidence")
    if form.is_valid():
        try:
            saved = services.evidence_add(
                actor=request.user,
                application_id=application.pk,
                uploads=form.cleaned_data["attachments"],
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            apply_service_error(form, exc)
        else:
            return _done(request, application, _("已上传%(n)d个文件。") % {"n": len(saved)})
    context = _detail_context(request, application, evidence_form=form)
    return render(request, "exemption/detail.html", context, status=422)


@login_required
@require_GET
def evidence_download(request: HttpRequest, evidence_id: int) -> HttpResponseBase:
    try:
        item = selectors.evidence_for(user=request.user, evidence_id=evidence_id)
    except Evidence.DoesNotExist:
        raise Http404 from None
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    application = item.application
    if request.user.pk not in (application.applicant_id, application.filed_by_id):
        record(
            actor=request.user,
            action="exemption.evidence_download",
            obj=application,
            role=primary_role(request.user),
            changes={"evidence": item.pk, "name": item.name},
        )
    return file_download(handle, name=item.name, content_type=item.content_type)


# --- lists and export ----------------------------------------------------------------------------
def _list_filters(request: HttpRequest) -> dict[str, Any]:
    state = request.GET.get("state", "")
    outcome = request.GET.get("outcome", "")
    return {
        "state": state if state in State.values else "",
        "outcome": outcome if outcome in Outcome.values else "",
        "q": (request.GET.get("q") or "").strip()[:60],
        "overdue": request.GET.get("overdue") == "1",
    }


@login_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    filters = _list_filters(request)
    qs = selectors.application_list(user=request.user, **filters)
    page = paginate(qs, request.GET.get("page"))
    now = timezone.now()
    rows = [(a, services.overdue_stage(a, now)) for a in page.object_list]
    return render(
        request,
        "exemption/list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "states": State.choices,
            "outcomes": Outcome.choices,
            "can_export": is_supervisor(request.user),
        },
    )


def _local(moment: Any) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d") if moment else ""


@login_required
@require_GET
def application_export(request: HttpRequest) -> HttpResponse:
    if not is_supervisor(request.user):
        raise PermissionDenied
    qs = selectors.application_list(user=request.user, **_list_filters(request))
    header = [
        _("编号"),
        _("事项"),
        _("申请人"),
        _("区域"),
        _("来源"),
        _("状态"),
        _("提交时间"),
        _("受理期限"),
        _("决定期限"),
        _("决定时间"),
        _("认定结果"),
        _("办理用时（工作日）"),
    ]
    rows = (
        [
            a.number,
            a.matter,
            str(a.applicant),
            a.region.name,
            a.get_origin_display(),
            a.get_state_display(),
            _local(a.submitted_at),
            _local(a.accept_due_at),
            _local(a.decide_due_at),
            _local(a.decided_at),
            a.get_final_outcome_display(),
            a.days_to_decide if a.days_to_decide is not None else "",
        ]
        for a in qs.iterator(chunk_size=500)
    )
    return xlsx_response("exemption-applications.xlsx", _("容错免责申请"), header, rows)


# --- the case library --------------------------------------------------------------------------
@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    if not may_read_library(request.user):
        raise PermissionDenied
    form = LibraryForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.cases_published(
        user=request.user,
        q=data.get("q", ""),
        outcome=data.get("outcome", ""),
        distinction=data.get("distinction", ""),
    )
    page = paginate(qs, request.GET.get("page"))
    titles = {d: q["title"] for d, q in selectors.DISTINCTION_QUESTIONS.items()}
    rows = [(c, [titles[d] for d in c.distinctions if d in titles]) for c in page.object_list]
    template = (
        "exemption/_library_rows.html"
        if getattr(request, "htmx", False)
        else "exemption/library.html"
    )
    return render(request, template, {"form": form, "page": page, "rows": rows})


@login_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    try:
        case = selectors.case_detail(user=request.user, case_id=case_id)
    except Case.DoesNotExist:
        raise Http404 from None
    titles = {d: q["title"] for d, q in selectors.DISTINCTION_QUESTIONS.items()}
    return render(
        request,
        "exemption/case_detail.html",
        {"case": case, "distinctions": [titles[d] for d in case.distinctions if d in titles]},
    )


@login_required
@require_POST
def case_draft(request: HttpRequest, application_id: int) -> HttpResponseBase:
    application = _visible(request.user, application_id)
    try:
        case = services.case_draft(actor=request.user, application_id=application.pk)
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
        return redirect("exemption:detail", application.pk)
    return redirect("exemption:case_edit", case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, case_id: int) -> HttpResponseBase:
    case = (
        selectors.case_drafts(user=request.user)
        .filter(pk=case_id)
        .select_related("application")
        .first()
    )
    if case is None or not is_supervisor_of(request.user, case.application):
        raise Http404
    form = CaseForm(request.POST or None, initial={"title": case.title, "text": case.text})
    if request.method == "POST" and form.is_valid():
        try:
            services.case_publish(
                actor=request.user,
                case_id=case.pk,
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            apply_service_error(form, exc)
        else:
            messages.success(request, _("案例已发布到案例库。"))
            return redirect("exemption:case_detail", case.pk)
    return render(request, "exemption/case_edit.html", {"case": case, "form": form})


# --- statistics --------------------------------------------------------------------------------
def _period(request: HttpRequest) -> tuple[PeriodForm, date, date, str]:
    form = PeriodForm(request.GET or None)
    today = timezone.now().astimezone(SHANGHAI).date()
    start, end, by = date(today.year, 1, 1), today + timedelta(days=1), "region"
    if form.is_bound and form.is_valid():
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or end
        by = form.cleaned_data.get("by") or by
    return form, start, end, by


@login_required
@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    if not is_supervisor(request.user):
        raise PermissionDenied
    form, start, end, by = _period(request)
    rows, total = selectors.statistics_for(user=request.user, start=start, end=end, by=by)
    return render(
        request,
        "exemption/stats.html",
        {"form": form, "rows": rows, "total": total, "start": start, "end": end, "by": by},
    )


@login_required
@require_GET
def stats_export(request: HttpRequest) -> HttpResponse:
    if not is_supervisor(request.user):
        raise PermissionDenied
    _form, start, end, by = _period(request)
    rows, total = selectors.statistics_for(user=request.user, start=start, end=end, by=by)
    header = [
        _("区域") if by == "region" else _("月份"),
        _("申请数"),
        _("决定数"),
        _("免责"),
        _("从轻或减轻"),
        _("不予免责"),
        _("办理用时中位数（工作日）"),
    ]
    data = [
        [r.label, r.applications, r.decided, r.exempt, r.reduced, r.not_exempt, r.median_days or ""]
        for r in [*rows, total]
    ]
    return xlsx_response(f"exemption-stats-{start}-{end}.xlsx", _("容错免责统计"), header, data)
