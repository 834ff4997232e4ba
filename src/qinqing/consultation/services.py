"""Every write of surveys: build, publish, close, answer, remind.

Each service takes the acting user first, checks that they may act, runs in one transaction,
leaves an audit record and sends messages only after the commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.accounts.scopes import primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI, working_days_between
from qinqing.directory.models import Enterprise, Region
from qinqing.directory.targeting import audience_create, audience_firms

from . import catalogue
from .answers import clean_answers
from .models import (
    CHOICE_KINDS,
    SCALE_KINDS,
    Answer,
    Question,
    QuestionKind,
    QuestionTag,
    Response,
    Section,
    Survey,
    SurveyStatus,
    SurveyTarget,
)
from .permissions import author_regions, is_firm_user, steward_paths

for _action, _label in [
    ("survey.create", gettext_lazy("创建问卷")),
    ("survey.edit", gettext_lazy("编辑问卷")),
    ("survey.publish", gettext_lazy("发布问卷")),
    ("survey.close", gettext_lazy("结束问卷")),
    ("survey.answer", gettext_lazy("填答问卷")),
    ("survey.remind", gettext_lazy("提醒企业填答问卷")),
    ("survey.remind_all", gettext_lazy("截止前提醒未填答企业")),
    ("survey.export", gettext_lazy("导出问卷答卷")),
]:
    register(_action, _label)

MAX_OPTIONS = 30
MAX_ROWS = 20


def today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def _audit(actor: Any, action: str, obj: Any, **changes: Any) -> None:
    record(
        actor=actor,
        action=action,
        obj=obj,
        role=primary_role(actor) if actor else "",
        changes=changes,
    )


def survey_link(survey_id: int) -> str:
    return reverse("consultation:detail", args=[survey_id])


def firm_users(enterprise_ids: list[int]) -> list[Any]:
    """The enterprise users of these firms (who answer for them)."""
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.ENTERPRISE, enterprise_id__in=enterprise_ids
        ).select_related("user")
    ]


def town_of(enterprise: Enterprise) -> Region:
    """The coarse region stored on a response: the firm's town (乡镇街道), never the grid."""
    codes = [c for c in enterprise.grid.path.strip("/").split("/") if c]
    code = codes[min(2, len(codes) - 1)]
    return Region.objects.get(code=code)


# --- building ----------------------------------------------------------------------------------
def _locked_draft(actor: Any, survey_id: int) -> Survey:
    survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
    if survey is None or survey.author_id != actor.pk:
        raise NotPermitted(_("只有问卷发起人可以修改问卷。"))
    if survey.status != SurveyStatus.DRAFT:
        raise Conflict(_("问卷已发布，题目不能再修改。"))
    return survey


def _check_basics(title: str, closes_on: date | None, description: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("请填写问卷标题。")]
    elif len(title) > 120:
        errors["title"] = [_("问卷标题不超过120字。")]
    if len(description) > 5000:
        errors["description"] = [_("说明不超过5000字。")]
    if closes_on is None:
        errors["closes_on"] = [_("请填写截止日期。")]
    elif closes_on < today():
        errors["closes_on"] = [_("截止日期不能早于今天。")]
    return errors


@transaction.atomic
def survey_create(
    *,
    actor: Any,
    title: str,
    closes_on: date | None,
    description: str = "",
    anonymous: bool = False,
    reminder_days: int = 2,
    audience: dict[str, Any] | None = None,
) -> Survey:
    """A draft survey for the firms of ``audience`` (region codes, industries, sizes,
    chambers, USCCs: see ``directory.targeting.audience_create``)."""
    regions = author_regions(actor)
    if not regions:
        raise NotPermitted(_("只有协调员、监督员或有辖区的干部可以发起问卷。"))
    title, description = (title or "").strip(), (description or "").strip()
    errors = _check_basics(title, closes_on, description)
    if not 0 <= reminder_days <= 20:
        errors["reminder_days"] = [_("提醒天数应在0至20个工作日之间。")]
    try:
        target = audience_create(actor=actor, **(audience or {}))
    except ServiceError as exc:
        errors.update(exc.field_errors)
        target = None
    if errors or target is None:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    assert closes_on is not None
    survey = Survey.objects.create(
        title=title,
        description=description,
        author=actor,
        region=regions[0],
        audience=target,
        closes_on=closes_on,
        anonymous=anonymous,
        reminder_days=reminder_days,
    )
    _audit(actor, "survey.create", survey, anonymous=anonymous, closes_on=closes_on.isoformat())
    return survey


@transaction.atomic
def section_add(*, actor: Any, survey_id: int, title: str) -> Section:
    survey = _locked_draft(actor, survey_id)
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise ServiceError(
            _("请填写部分标题（不超过120字）。"),
            field_errors={"title": [_("请填写部分标题（不超过120字）。")]},
        )
    last = survey.sections.aggregate(m=Max("position"))["m"] or 0
    section = Section.objects.create(survey=survey, position=last + 1, title=title)
    _audit(actor, "survey.edit", survey, section=title)
    return section


def _lines(items: list[str] | None) -> list[str]:
    return [str(i).strip() for i in (items or []) if str(i).strip()]


@transaction.atomic
def question_add(
    *,
    actor: Any,
    survey_id: int,
    section_id: int | None,
    kind: str,
    text: str,
    required: bool = False,
    options: list[str] | None = None,
    rows: list[str] | None = None,
    tag: str = "",
    help_text: str = "",
    show_if_id: int | None = None,
    show_if_options: list[int] | None = None,
) -> Question:
    """Add a question at the end of the survey (in the section given)."""
    survey = _locked_draft(actor, survey_id)
    text, help_text = (text or "").strip(), (help_text or "").strip()
    options, rows = _lines(options), _lines(rows)
    errors: dict[str, list[str]] = {}
    section = survey.sections.filter(pk=section_id).first() if section_id else None
    if section is None:
        errors["section"] = [_("请选择问卷部分。")]
    if kind not in QuestionKind.values:
        errors["kind"] = [_("请选择题型。")]
    if not text:
        errors["text"] = [_("请填写题目。")]
    elif len(text) > 300:
        errors["text"] = [_("题目不超过300字。")]
    if len(help_text) > 300:
        errors["help_text"] = [_("填写说明不超过300字。")]
    if kind in CHOICE_KINDS:
        if not 2 <= len(options) <= MAX_OPTIONS:
            errors["options"] = [_("选择题需要2至%(n)d个选项。") % {"n": MAX_OPTIONS}]
        elif len(set(options)) != len(options):
            errors["options"] = [_("选项不能重复。")]
    else:
        options = []
    if kind == QuestionKind.MATRIX:
        if not 1 <= len(rows) <= MAX_ROWS:
            errors["rows"] = [_("矩阵量表需要1至%(n)d行。") % {"n": MAX_ROWS}]
    else:
        rows = []
    if tag and tag not in QuestionTag.values:
        errors["tag"] = [_("维度标签有误。")]
    elif tag and kind not in SCALE_KINDS:
        errors["tag"] = [_("只有量表题可以标记维度。")]
    chosen = sorted({int(o) for o in show_if_options or []})
    controller = None
    if show_if_id:
        controller = survey.questions.filter(pk=show_if_id).first()
        if controller is None or controller.kind not in CHOICE_KINDS:
            errors["show_if"] = [_("显示条件只能引用本问卷前面的选择题。")]
        elif not chosen or any(not 1 <= o <= len(controller.options) for o in chosen):
            errors["show_if_options"] = [_("请选择触发显示的选项。")]
    else:
        chosen = []
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    assert section is not None
    last = survey.questions.aggregate(m=Max("position"))["m"] or 0
    question = Question.objects.create(
        survey=survey,
        section=section,
        position=last + 1,
        kind=kind,
        text=text,
        help_text=help_text,
        required=required,
        options=options,
        rows=rows,
        tag=tag,
        show_if=controller,
        show_if_options=chosen,
    )
    _audit(actor, "survey.edit", survey, question=text, kind=kind)
    return question


@transaction.atomic
def question_delete(*, actor: Any, question_id: int) -> None:
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        raise NotPermitted(_("题目不存在。"))
    survey = _locked_draft(actor, question.survey_id)
    if question.dependants.exists():
        raise Conflict(_("其他题目的显示条件引用了此题，请先删除那些题目。"))
    text = question.text
    question.delete()
    _audit(actor, "survey.edit", survey, deleted_question=text)


@transaction.atomic
def survey_from_template(
    *,
    actor: Any,
    template: str,
    closes_on: date | None,
    audience: dict[str, Any] | None = None,
    title: str = "",
    anonymous: bool = True,
) -> Survey:
    """A draft survey filled with a ready template (营商环境评价), ready to publish."""
    build = catalogue.TEMPLATES.get(template)
    if build is None:
        raise ServiceError(_("没有该模板。"), field_errors={"template": [_("没有该模板。")]})
    default_title, description, sections = build()
    survey = survey_create(
        actor=actor,
        title=title or default_title,
        description=description,
        closes_on=closes_on,
        anonymous=anonymous,
        audience=audience,
    )
    survey.template = template
    survey.save(update_fields=["template"])
    position = 0
    for s_pos, spec in enumerate(sections, start=1):
        section = Section.objects.create(survey=survey, position=s_pos, title=spec.title)
        batch = []
        for q in spec.questions:
            position += 1
            batch.append(
                Question(
                    survey=survey,
                    section=section,
                    position=position,
                    kind=q.kind,
                    text=q.text,
                    required=q.required,
                    options=q.options,
                    rows=q.rows,
                    tag=q.tag,
                )
            )
        Question.objects.bulk_create(batch)
    return survey


# --- publishing and closing -------------------------------------------------------------------
@transaction.atomic
def survey_publish(*, actor: Any, survey_id: int) -> Survey:
    """Freeze the questions and the list of firms addressed; tell those firms (in-app)."""
    survey = _locked_draft(actor, survey_id)
    if not survey.questions.exists():
        raise Conflict(_("问卷还没有题目，不能发布。"))
    if survey.closes_on < today():
        raise Conflict(_("截止日期已过，请先修改截止日期。"))
    firm_ids = list(audience_firms(survey.audience).values_list("pk", flat=True))
    if not firm_ids:
        raise Conflict(_("发送对象中没有企业，不能发布。"))
    SurveyTarget.objects.bulk_create(
        [SurveyTarget(survey=survey, enterprise_id=pk) for pk in firm_ids], batch_size=1000
    )
    survey.status, survey.published_at = SurveyStatus.PUBLISHED, timezone.now()
    survey.save(update_fields=["status", "published_at"])
    _audit(actor, "survey.publish", survey, firms=len(firm_ids))
    from .tasks import notify_survey_published

    transaction.on_commit(lambda: notify_survey_published.enqueue(survey.pk))
    return survey


def notify_published(survey_id: int) -> int:
    """Deliver the in-app message of a published survey to its firms' users (idempotent)."""
    from qinqing.inbox.services import deliver

    survey = Survey.objects.filter(pk=survey_id, status=SurveyStatus.PUBLISHED).first()
    if survey is None:
        return 0
    ids = list(survey.targets.values_list("enterprise_id", flat=True))
    return deliver(
        users=firm_users(ids),
        title=_("请填写问卷：%(t)s") % {"t": survey.title},
        body=_("截止日期 %(d)s。每家企业填写一份，截止前可以修改。")
        % {"d": survey.closes_on.isoformat()},
        link=survey_link(survey.pk),
        source=f"survey-published:{survey.pk}",
    )


@transaction.atomic
def survey_close(*, actor: Any, survey_id: int) -> Survey:
    survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
    if survey is None or survey.author_id != actor.pk:
        raise NotPermitted(_("只有问卷发起人可以结束问卷。"))
    if survey.status != SurveyStatus.PUBLISHED:
        raise Conflict(_("只有征询中的问卷可以结束。"))
    survey.status, survey.closed_at = SurveyStatus.CLOSED, timezone.now()
    survey.save(update_fields=["status", "closed_at"])
    _audit(actor, "survey.close", survey)
    return survey


def accepting(survey: Survey, on: date | None = None) -> bool:
    """Whether firms may answer (or change their answer) now."""
    return survey.status == SurveyStatus.PUBLISHED and (on or today()) <= survey.closes_on


# --- answering --------------------------------------------------------------------------------
def _write_answers(response: Response, values: list[Any]) -> None:
    Answer.objects.filter(response=response).delete()
    Answer.objects.bulk_create(
        [
            Answer(
                response=response,
                question_id=v.question_id,
                row=v.row,
                choice=v.choice,
                number=v.number,
                text=v.text,
                day=v.day,
            )
            for v in values
        ]
    )


@transaction.atomic
def response_submit(
    *, actor: Any, survey_id: int, enterprise: Enterprise, answers: dict[Any, Any]
) -> Response | None:
    """The firm's authorised user answers (or changes the firm's answer until the close date).

    One response per firm: the firm's ``SurveyTarget`` row is locked, so two submissions at
    once queue; the second of a named survey updates the first, and the unique constraint
    on (survey, firm) backs it (an IntegrityError turns into an update). An anonymous
    survey's answer is final (nothing links it back to the firm) and returns None.
    """
    if not is_firm_user(actor, enterprise.pk):
        raise NotPermitted(_("只有企业本身的用户可以代表企业填答问卷。"))
    target = (
        SurveyTarget.objects.select_for_update()
        .filter(survey_id=survey_id, enterprise=enterprise)
        .first()
    )
    if target is None:
        raise NotPermitted(_("该问卷没有发给贵企业。"))
    survey = Survey.objects.get(pk=survey_id)
    if not accepting(survey):
        raise Conflict(_("问卷已截止，不能再填答或修改。"))
    questions = list(survey.questions.order_by("position", "pk"))
    values, errors = clean_answers(questions, answers)
    if errors:
        raise ServiceError(_("有题目未答或答案有误，请检查。"), field_errors=errors)
    day = today()
    if survey.anonymous:
        if target.answered_on is not None:
            raise Conflict(_("贵企业已填答此匿名问卷；匿名答卷无法修改。"))
        response = Response.objects.create(survey=survey, region=town_of(enterprise))
        _write_answers(response, values)
        target.answered_on = day
        target.save(update_fields=["answered_on"])
        # the audit names the survey only: no response id, no answer
        _audit(actor, "survey.answer", survey, enterprise=enterprise.pk, anonymous=True)
        return None
    now = timezone.now()
    existing = Response.objects.filter(survey=survey, enterprise=enterprise).first()
    if existing is not None:
        response = existing
    else:
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    survey=survey,
                    region=town_of(enterprise),
                    enterprise=enterprise,
                    submitted_by=actor,
                    submitted_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            response = Response.objects.select_for_update().get(
                survey=survey, enterprise=enterprise
            )
    first = response.submitted_at == now
    if not first:
        response.submitted_by, response.updated_at = actor, now
        response.save(update_fields=["submitted_by", "updated_at"])
    _write_answers(response, values)
    if target.answered_on is None:
        target.answered_on = day
        target.save(update_fields=["answered_on"])
    _audit(
        actor,
        "survey.answer",
        response,
        survey=survey.pk,
        enterprise=enterprise.pk,
        changed=not first,
    )
    return response


# --- reminders --------------------------------------------------------------------------------
@transaction.atomic
def survey_remind(*, actor: Any, survey_id: int, enterprise_id: int) -> SurveyTarget:
    """A steward reminds one of their firms that has not answered (once a day per firm)."""
    target = (
        SurveyTarget.objects.select_for_update()
        .select_related("enterprise__grid", "survey")
        .filter(survey_id=survey_id, enterprise_id=enterprise_id)
        .first()
    )
    paths = steward_paths(actor)
    if target is None or not any(target.enterprise.grid.path.startswith(p) for p in paths):
        raise NotPermitted(_("只能提醒本人网格内的企业。"))
    if not accepting(target.survey):
        raise Conflict(_("问卷已截止。"))
    if target.answered_on is not None:
        raise Conflict(_("该企业已填答。"))
    day = today()
    if target.reminded_on == day:
        raise Conflict(_("今天已经提醒过该企业。"))
    target.reminded_on = day
    target.save(update_fields=["reminded_on"])
    _audit(actor, "survey.remind", target.survey, enterprise=enterprise_id)
    from qinqing.inbox.services import deliver

    survey = target.survey
    users = firm_users([enterprise_id])
    transaction.on_commit(
        lambda: deliver(
            users=users,
            title=_("提醒：请填写问卷《%(t)s》") % {"t": survey.title},
            body=_("您的管家提醒您在 %(d)s 前填写问卷。") % {"d": survey.closes_on.isoformat()},
            link=survey_link(survey.pk),
            source=f"survey-remind:{survey.pk}:{enterprise_id}:{day.isoformat()}",
        )
    )
    return target


def send_reminders() -> int:
    """The hourly job: close surveys past their close date; remind, once per survey, the firms
    that have not answered when the close is ``reminder_days`` working days away or less."""
    from qinqing.inbox.services import deliver

    day = today()
    with transaction.atomic():
        expired = list(
            Survey.objects.select_for_update().filter(
                status=SurveyStatus.PUBLISHED, closes_on__lt=day
            )
        )
        for survey in expired:
            survey.status, survey.closed_at = SurveyStatus.CLOSED, timezone.now()
            survey.save(update_fields=["status", "closed_at"])
            _audit(None, "survey.close", survey, automatic=True)
    sent = 0
    due = Survey.objects.filter(
        status=SurveyStatus.PUBLISHED, closes_on__gte=day, reminders_sent_at__isnull=True
    )
    for survey in due:
        if working_days_between(day, survey.closes_on) > survey.reminder_days:
            continue
        with transaction.atomic():
            locked = Survey.objects.select_for_update().get(pk=survey.pk)
            if locked.reminders_sent_at is not None:
                continue
            ids = list(
                locked.targets.filter(answered_on__isnull=True).values_list(
                    "enterprise_id", flat=True
                )
            )
            locked.reminders_sent_at = timezone.now()
            locked.save(update_fields=["reminders_sent_at"])
            _audit(None, "survey.remind_all", locked, firms=len(ids))
        sent += deliver(
            users=firm_users(ids),
            title=_("问卷即将截止：%(t)s") % {"t": survey.title},
            body=_("问卷将于 %(d)s 截止，贵企业尚未填写。") % {"d": survey.closes_on.isoformat()},
            link=survey_link(survey.pk),
            source=f"survey-closing:{survey.pk}",
        )
    return sent


def export_rows(*, actor: Any, survey: Survey) -> tuple[list[str], list[list[Any]]]:
    """The raw answers for Excel (one row per response); the export is audited."""
    from .permissions import can_read_results
    from .selectors import export_table

    if not can_read_results(actor, survey):
        raise NotPermitted(_("只有问卷发起人和辖区内的工作人员可以导出答卷。"))
    header, rows = export_table(survey)
    with transaction.atomic():
        _audit(actor, "survey.export", survey, rows=len(rows))
    return header, rows
