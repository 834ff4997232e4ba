"""Survey pages: the list, the builder, answering, the steward's reminders, results."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import has_role
from qinqing.common.errors import ServiceError
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.spreadsheet import xlsx_response
from qinqing.directory.targeting import AudienceForm, audience_summary

from . import selectors, services
from .charts import dimension_chart, question_charts
from .forms import QuestionForm, SectionForm, SurveyForm, TemplateForm
from .models import CHOICE_KINDS, TEXT_KINDS, QuestionKind, Survey, SurveyStatus
from .permissions import (
    STAFF_ROLES,
    can_author,
    can_read_results,
    firms_of,
    is_author,
    steward_paths,
)


def _survey(request: HttpRequest, survey_id: int) -> Survey:
    try:
        return selectors.survey_detail(user=request.user, survey_id=survey_id)
    except Survey.DoesNotExist:
        raise Http404 from None


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    return render(
        request,
        "consultation/list.html",
        {
            "page": paginate(
                selectors.survey_list(user=request.user, status=status), request.GET.get("page")
            ),
            "mine": selectors.firm_surveys(user=request.user) if firms_of(request.user) else [],
            "statuses": SurveyStatus.choices,
            "status": status,
            "can_author": can_author(request.user),
            "staff": has_role(request.user, *STAFF_ROLES, Role.SYSTEM_ADMIN),
        },
    )


def _audience_kwargs(form: AudienceForm) -> dict[str, Any]:
    return form.audience_kwargs()


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    if not can_author(request.user):
        raise PermissionDenied
    form = SurveyForm(request.POST or None)
    audience = AudienceForm(request.POST or None, user=request.user, prefix="aud")
    if request.method == "POST" and form.is_valid() and audience.is_valid():
        data = form.cleaned_data
        try:
            survey = services.survey_create(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                closes_on=data["closes_on"],
                anonymous=data["anonymous"],
                reminder_days=data["reminder_days"] if data["reminder_days"] is not None else 2,
                audience=_audience_kwargs(audience),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
            apply_service_error_audience(audience, exc)
        else:
            messages.success(request, _("问卷草稿已创建，请添加题目。"))
            return redirect("consultation:detail", survey_id=survey.pk)
    return render(
        request,
        "consultation/form.html",
        {"form": form, "audience": audience, "heading": _("发起问卷")},
        status=422 if request.method == "POST" else 200,
    )


def apply_service_error_audience(form: AudienceForm, exc: ServiceError) -> None:
    for name, errors in exc.field_errors.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)


@login_required
@require_http_methods(["GET", "POST"])
def survey_from_template(request: HttpRequest) -> HttpResponse:
    if not can_author(request.user):
        raise PermissionDenied
    form = TemplateForm(request.POST or None)
    audience = AudienceForm(request.POST or None, user=request.user, prefix="aud")
    if request.method == "POST" and form.is_valid() and audience.is_valid():
        data = form.cleaned_data
        try:
            survey = services.survey_from_template(
                actor=request.user,
                template="business_environment",
                title=data["title"],
                closes_on=data["closes_on"],
                anonymous=data["anonymous"],
                audience=_audience_kwargs(audience),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
            apply_service_error_audience(audience, exc)
        else:
            messages.success(request, _("已按营商环境评价模板创建问卷草稿。"))
            return redirect("consultation:detail", survey_id=survey.pk)
    return render(
        request,
        "consultation/form.html",
        {"form": form, "audience": audience, "heading": _("从模板创建：营商环境评价")},
        status=422 if request.method == "POST" else 200,
    )


def _firm_for(request: HttpRequest, survey: Survey) -> Any:
    """The reader's firm the survey addresses (the first one), or None."""
    for firm in firms_of(request.user):
        target = selectors.target_of(survey, firm.pk)
        if target is not None:
            return firm, target
    return None


def _skip_rules(questions: list[Any]) -> list[dict[str, Any]]:
    return [
        {"id": q.pk, "controller": q.show_if_id, "options": q.show_if_options}
        for q in questions
        if q.show_if_id
    ]


def _render_answer(
    request: HttpRequest,
    survey: Survey,
    firm: Any,
    target: Any,
    raw: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    questions = selectors.questions_of(survey)
    return render(
        request,
        "consultation/answer.html",
        {
            "survey": survey,
            "firm": firm,
            "target": target,
            "questions": questions,
            "raw": raw,
            "errors": {k.removeprefix("q"): v for k, v in (errors or {}).items()},
            "rules": _skip_rules(questions),
            "accepting": services.accepting(survey),
            "editable": services.accepting(survey)
            and not (survey.anonymous and target.answered_on),
            "scale": range(1, 6),
        },
        status=status,
    )


@login_required
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    found = _firm_for(request, survey) if survey.status != SurveyStatus.DRAFT else None
    if found is not None:
        firm, target = found
        raw = {} if survey.anonymous else selectors.own_answers(survey, firm.pk)
        return _render_answer(request, survey, firm, target, raw)
    questions = selectors.questions_of(survey)
    sections = list(survey.sections.all())
    author = is_author(request.user, survey)
    builder = author and survey.status == SurveyStatus.DRAFT
    return render(
        request,
        "consultation/detail.html",
        {
            "survey": survey,
            "questions": questions,
            "sections": sections,
            "audience_text": audience_summary(survey.audience),
            "is_author": author,
            "builder": builder,
            "section_form": SectionForm() if builder else None,
            "question_form": QuestionForm(
                sections=sections,
                controllers=[q for q in questions if q.kind in CHOICE_KINDS],
            )
            if builder
            else None,
            "can_results": can_read_results(request.user, survey),
            "is_steward": bool(steward_paths(request.user)),
            "figures": selectors.survey_list(user=request.user).filter(pk=survey.pk).first(),
        },
    )


@login_required
@require_POST
def section_add(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    form = SectionForm(request.POST)
    form.is_valid()
    try:
        services.section_add(
            actor=request.user, survey_id=survey.pk, title=form.cleaned_data.get("title", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("consultation:detail", survey_id=survey.pk)


@login_required
@require_POST
def question_add(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    questions = selectors.questions_of(survey)
    form = QuestionForm(
        request.POST,
        sections=list(survey.sections.all()),
        controllers=[q for q in questions if q.kind in CHOICE_KINDS],
    )
    if not form.is_valid():
        messages.error(request, _("题目有误，请检查。"))
        return redirect("consultation:detail", survey_id=survey.pk)
    data = form.cleaned_data
    try:
        services.question_add(
            actor=request.user,
            survey_id=survey.pk,
            section_id=data["section"],
            kind=data["kind"],
            text=data["text"],
            help_text=data["help_text"],
            required=data["required"],
            options=(data["options"] or "").splitlines(),
            rows=(data["rows"] or "").splitlines(),
            tag=data["tag"] or "",
            show_if_id=data["show_if"],
            show_if_options=form.option_numbers(),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("题目已添加。"))
    return redirect("consultation:detail", survey_id=survey.pk)


@login_required
@require_POST
def question_delete(request: HttpRequest, question_id: int) -> HttpResponse:
    from .models import Question

    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        raise Http404
    survey = _survey(request, question.survey_id)
    try:
        services.question_delete(actor=request.user, question_id=question_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("consultation:detail", survey_id=survey.pk)


@login_required
@require_POST
def survey_publish(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    try:
        services.survey_publish(actor=request.user, survey_id=survey.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("问卷已发布，已通知发送对象中的企业。"))
    return redirect("consultation:detail", survey_id=survey.pk)


@login_required
@require_POST
def survey_close(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    try:
        services.survey_close(actor=request.user, survey_id=survey.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("问卷已结束。"))
    return redirect("consultation:detail", survey_id=survey.pk)


def raw_from_post(questions: list[Any], post: Any) -> dict[str, Any]:
    """The form's answers in the raw form ``answers.clean_answers`` reads."""
    raw: dict[str, Any] = {}
    for q in questions:
        name = f"q{q.pk}"
        if q.kind == QuestionKind.MULTIPLE:
            raw[str(q.pk)] = post.getlist(name)
        elif q.kind == QuestionKind.MATRIX:
            raw[str(q.pk)] = {
                str(r): post.get(f"{name}_r{r}", "") for r in range(1, len(q.rows) + 1)
            }
        else:
            raw[str(q.pk)] = post.get(name, "")
    return raw


@login_required
@require_POST
def survey_answer(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    found = _firm_for(request, survey)
    if found is None:
        raise Http404
    firm, target = found
    raw = raw_from_post(selectors.questions_of(survey), request.POST)
    try:
        services.response_submit(
            actor=request.user, survey_id=survey.pk, enterprise=firm, answers=raw
        )
    except ServiceError as exc:
        target.refresh_from_db()
        if not exc.field_errors:
            messages.error(request, exc.message)
        return _render_answer(request, survey, firm, target, raw, exc.field_errors, status=422)
    messages.success(request, _("已提交，感谢贵企业的参与。"))
    return redirect("consultation:detail", survey_id=survey.pk)


@login_required
def steward_firms(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    if not steward_paths(request.user):
        raise PermissionDenied
    qs = selectors.unanswered_for_steward(user=request.user, survey=survey)
    return render(
        request,
        "consultation/steward_firms.html",
        {
            "survey": survey,
            "page": paginate(qs, request.GET.get("page")),
            "today": services.today(),
            "accepting": services.accepting(survey),
        },
    )


@login_required
@require_POST
def survey_remind(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    try:
        enterprise_id = int(request.POST.get("enterprise", ""))
    except ValueError:
        raise Http404 from None
    try:
        services.survey_remind(actor=request.user, survey_id=survey.pk, enterprise_id=enterprise_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已提醒该企业。"))
    return redirect("consultation:steward_firms", survey_id=survey.pk)


def _results(request: HttpRequest, survey_id: int) -> tuple[Survey, selectors.Results]:
    survey = _survey(request, survey_id)
    if not can_read_results(request.user, survey):
        raise PermissionDenied
    return survey, selectors.survey_results(survey)


@login_required
def survey_results(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey, results = _results(request, survey_id)
    return render(
        request,
        "consultation/results.html",
        {
            "survey": survey,
            "results": results,
            "charts": question_charts(results),
            "dimension_chart": dimension_chart(results),
            "text_kinds": TEXT_KINDS,
        },
    )


@login_required
def survey_report(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey, results = _results(request, survey_id)
    return render(
        request,
        "consultation/report.html",
        {
            "survey": survey,
            "results": results,
            "charts": question_charts(results),
            "dimension_chart": dimension_chart(results),
            "text_kinds": TEXT_KINDS,
            "audience_text": audience_summary(survey.audience),
            "texts": {
                r.question.pk: list(selectors.text_answers(survey, r.question)[:20])
                for r in results.questions
                if r.question.kind in TEXT_KINDS
            },
        },
    )


@login_required
def text_answers(request: HttpRequest, survey_id: int, question_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    if not can_read_results(request.user, survey):
        raise PermissionDenied
    question = survey.questions.filter(pk=question_id, kind__in=list(TEXT_KINDS)).first()
    if question is None:
        raise Http404
    return render(
        request,
        "consultation/texts.html",
        {
            "survey": survey,
            "question": question,
            "page": paginate(selectors.text_answers(survey, question), request.GET.get("page")),
        },
    )


@login_required
def survey_export(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    try:
        header, rows = services.export_rows(actor=request.user, survey=survey)
    except ServiceError:
        raise PermissionDenied from None
    return xlsx_response(f"{survey.title}-答卷.xlsx", str(_("答卷")), header, rows)
