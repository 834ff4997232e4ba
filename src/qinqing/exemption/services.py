"""Every write on exemption applications: apply, accept, assess, sign off, appeal, publish.

Each service takes the acting user, checks permission itself, writes the audit entry in the
same transaction, and is safe under concurrency (row lock + version). Notifications go out
after commit (``tasks.notify_exemption``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI, WorkingCalendar, working_days_between
from qinqing.directory.models import Department, Enterprise, Region

from . import anonymise, links
from .checks import run_checks
from .models import (
    Application,
    ApplicationCounter,
    Assessment,
    Case,
    Evidence,
    FactorAnswer,
    Finding,
    Origin,
    Outcome,
)
from .permissions import (
    APPLICANT_ROLES,
    conflicted,
    is_supervisor_of,
    may_judge,
    may_publish,
    supervisor_paths,
)
from .workflow import OPEN_STATES, TRANSITIONS, Action, State

for _action, _label in [
    ("exemption.submit", _l("提交容错免责申请")),
    ("exemption.evidence", _l("上传证据材料")),
    ("exemption.evidence_download", _l("下载证据材料")),
    ("exemption.view", _l("查看容错免责申请")),
    ("exemption.overdue", _l("容错免责超期提示")),
    ("exemption.case_draft", _l("生成匿名案例")),
    ("exemption.case_publish", _l("发布匿名案例")),
    *[(f"exemption.{a.value}", a.label) for a in Action],
]:
    register(_action, _label)

#: working days allowed for each stage (override with the EXEMPTION_DEADLINES setting)
DEFAULT_DEADLINES = {"accept": 5, "decide": 30, "appeal": 10, "appeal_decide": 30}
DISTINCTIONS = ("d1", "d2", "d3")
FACTORS = (
    "due_procedure",
    "collective_decision",
    "no_private_gain",
    "loss_limited",
    "prompt_correction",
)
EVIDENCE_FIELD = "attachments"


def deadline_days(stage: str) -> int:
    configured = getattr(settings, "EXEMPTION_DEADLINES", {}) or {}
    return int(configured.get(stage, DEFAULT_DEADLINES[stage]))


def _now() -> datetime:
    return timezone.now()


def _audit(actor: Any, action: str, application: Application, **changes: Any) -> None:
    record(
        actor=actor,
        action=action,
        obj=application,
        role=primary_role(actor) if actor else "",
        changes=changes,
    )


def _notify(application: Application, action: str) -> None:
    from .tasks import notify_exemption

    pk = application.pk
    transaction.on_commit(lambda: notify_exemption.enqueue(pk, action))


def _invalid(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ServiceError(str(next(iter(errors.values()))[0]), field_errors=errors)


def next_number(year: int) -> str:
    """RC-2026-000123; the counter row is locked so two applications never share a number."""
    counter, _created = ApplicationCounter.objects.select_for_update().get_or_create(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    return f"RC-{year}-{counter.last:06d}"


# --- who applies for whom --------------------------------------------------------------------
def home_of(user: Any) -> tuple[Region | None, Department | None]:
    """The region (and unit) an applicant belongs to: their working role's region, else their
    department's region."""
    region, department = None, None
    for a in assignments_of(user):
        if a.department_id and department is None:
            department = a.department
        if a.role in (*APPLICANT_ROLES, Role.SUPERVISOR) and a.region and region is None:
            region = a.region
    if region is None and department is not None:
        region = department.region
    return region, department


def origin_for(actor: Any, applicant: Any) -> str | None:
    """How ``actor`` may apply for ``applicant``, None if they may not."""
    held = assignments_of(applicant)
    if not any(a.role in APPLICANT_ROLES for a in held):
        return None
    if actor.pk == applicant.pk:
        return Origin.SELF
    region, _department = home_of(applicant)
    for a in assignments_of(actor):
        if (
            a.role == Role.COORDINATOR
            and a.region
            and region is not None
            and region.path.startswith(a.region.path)
        ):
            return Origin.UNIT
        if (
            a.role == Role.HANDLER
            and a.department_id
            and any(h.department_id == a.department_id for h in held)
        ):
            return Origin.UNIT
    if region is not None and any(region.path.startswith(p) for p in supervisor_paths(actor)):
        return Origin.INVESTIGATION
    return None


# --- evidence ----------------------------------------------------------------------------------
def _check_uploads(uploads: Sequence[UploadedFile], already: int) -> list[Any]:
    from qinqing.demands.attachments import check_each

    per_upload = settings.DEMAND_ATTACHMENT_MAX_FILES
    per_case = settings.DEMAND_ATTACHMENT_MAX_PER_CASE
    if len(uploads) > per_upload:
        message = _("一次最多上传%(n)d个文件，您选择了%(m)d个。") % {
            "n": per_upload,
            "m": len(uploads),
        }
        raise ServiceError(message, field_errors={EVIDENCE_FIELD: [message]})
    if already + len(uploads) > per_case:
        message = _("每件申请最多%(n)d个证据文件，已有%(have)d个。") % {
            "n": per_case,
            "have": already,
        }
        raise ServiceError(message, field_errors={EVIDENCE_FIELD: [message]})
    return check_each(uploads, field=EVIDENCE_FIELD)


def _store_evidence(
    application: Application, actor: Any, checked: list[Any], saved: list[Evidence]
) -> None:
    for upload, name, ext, kind in checked:
        evidence = Evidence(
            application=application,
            name=name,
            size=upload.size or 0,
            content_type=kind.content_type,
            uploaded_by=actor,
        )
        evidence.file.save(f"{uuid4().hex}{ext}", upload, save=False)
        saved.append(evidence)
        evidence.save()
        _audit(actor, "exemption.evidence", application, evidence=evidence.pk, name=name)


def may_add_evidence(user: Any, application: Application) -> bool:
    pk = getattr(user, "pk", None)
    side = pk in (application.applicant_id, application.filed_by_id)
    return (side or may_judge(user, application)) and application.state in (
        *OPEN_STATES,
        State.DECIDED,
    )


@transaction.atomic
def evidence_add(
    *, actor: Any, application_id: int, uploads: Sequence[UploadedFile]
) -> list[Evidence]:
    """Add evidence files: all of them, or (on any refusal) none."""
    application = _locked(application_id, None)
    if not may_add_evidence(actor, application):
        raise NotPermitted(_("您不能为该申请上传证据材料。"))
    uploads = [u for u in uploads if u is not None]
    if not uploads:
        message = _("请选择要上传的文件。")
        raise ServiceError(message, field_errors={EVIDENCE_FIELD: [message]})
    checked = _check_uploads(uploads, application.evidence.count())
    saved: list[Evidence] = []
    try:
        _store_evidence(application, actor, checked, saved)
    except BaseException:
        for evidence in saved:
            evidence.file.delete(save=False)
        raise
    return saved


# --- applying -----------------------------------------------------------------------------------
@transaction.atomic
def application_submit(
    *,
    actor: Any,
    matter: str,
    actions: str,
    rules_at_time: str,
    outcome_harm: str,
    corrected: bool = False,
    correction: str = "",
    applicant: Any = None,
    enterprise: Enterprise | None = None,
    link_kind: str = "",
    link_id: int | None = None,
    uploads: Sequence[UploadedFile] = (),
    submitted_at: datetime | None = None,
) -> Application:
    """Apply for exemption: the official for themselves, their unit for them, or a
    supervisor during an investigation."""
    applicant = applicant or actor
    origin = origin_for(actor, applicant)
    if origin is None:
        if actor.pk == applicant.pk:
            raise NotPermitted(_("您的角色不能申请容错免责。"))
        raise NotPermitted(_("您不能为该人员提交容错免责申请。"))
    region, department = home_of(applicant)
    if region is None:
        raise NotPermitted(_("申请人没有所属区域，无法受理。"))
    fields = {
        "matter": (matter or "").strip(),
        "actions": (actions or "").strip(),
        "rules_at_time": (rules_at_time or "").strip(),
        "outcome_harm": (outcome_harm or "").strip(),
        "correction": (correction or "").strip(),
    }
    errors: dict[str, list[str]] = {}
    if not fields["matter"]:
        errors["matter"] = [_("请填写事项名称。")]
    elif len(fields["matter"]) > 120:
        errors["matter"] = [_("事项名称不超过120字。")]
    for name, label in (
        ("actions", _("请说明做了什么、为什么这样做（至少10个字）。")),
        ("rules_at_time", _("请写明当时适用的规定（至少4个字）。")),
        ("outcome_harm", _("请说明后果与损失（至少4个字）。")),
    ):
        minimum = 10 if name == "actions" else 4
        if len(fields[name]) < minimum:
            errors[name] = [label]
        elif len(fields[name]) > 5000:
            errors[name] = [_("不超过5000字。")]
    if corrected and len(fields["correction"]) < 4:
        errors["correction"] = [_("已纠正的，请说明纠正情况。")]
    link_label = ""
    if link_kind:
        if link_kind not in links.MODELS or links.model_for(link_kind) is None:
            errors["link_kind"] = [_("关联对象类型无效。")]
        elif link_id is None:
            errors["link_id"] = [_("请填写关联对象的编号。")]
        else:
            obj = links.resolve(link_kind, link_id)
            refused = (
                links.refusal(link_kind, obj, actor=actor, applicant=applicant, origin=origin)
                if obj is not None
                else ""
            )
            if obj is None:
                errors["link_id"] = [_("未找到该关联对象。")]
            elif refused:
                errors["link_id"] = [refused]
            else:
                link_label = links.label_of(link_kind, obj)
    elif link_id is not None:
        errors["link_kind"] = [_("请选择关联对象类型。")]
    _invalid(errors)
    now = submitted_at or _now()
    calendar = WorkingCalendar()
    application = Application.objects.create(
        number=next_number(now.astimezone(SHANGHAI).year),
        origin=origin,
        applicant=applicant,
        filed_by=actor,
        region=region,
        region_path=region.path,
        department=department,
        enterprise=enterprise,
        corrected=bool(corrected),
        link_kind=link_kind or "",
        link_id=link_id if link_kind else None,
        link_label=link_label,
        submitted_at=now,
        accept_due_at=calendar.deadline_after(now, deadline_days("accept")),
        **fields,
    )
    _audit(actor, "exemption.submit", application, origin=origin, applicant=applicant.pk)
    uploads = [u for u in uploads if u is not None]
    if uploads:
        saved: list[Evidence] = []
        try:
            _store_evidence(application, actor, _check_uploads(uploads, 0), saved)
        except BaseException:
            for evidence in saved:
                evidence.file.delete(save=False)
            raise
    _notify(application, "submit")
    return application


# --- moving through the workflow ----------------------------------------------------------------
def _locked(application_id: int, version: int | None) -> Application:
    try:
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("applicant", "filed_by", "region", "department")
            .get(pk=application_id)
        )
    except Application.DoesNotExist:
        raise NotPermitted(_("未找到该申请。")) from None
    if version is not None and application.version != version:
        raise Conflict(_("该申请已被他人处理，请刷新后重试。"))
    return application


def _move(actor: Any, application: Application, action: str) -> str:
    """Check the move in the table and the actor's right to make it; return the before state."""
    entry = TRANSITIONS.get((application.state, action))
    if entry is None:
        raise Conflict(
            _("该申请当前为“%(state)s”，不能%(action)s。")
            % {
                "state": application.get_state_display(),
                "action": Action(action).label,
            }
        )
    target, allowed = entry
    if not allowed(actor, application):
        if getattr(actor, "pk", None) == application.applicant_id and action not in (
            Action.APPEAL,
            Action.WITHDRAW,
        ):
            raise NotPermitted(_("申请人不能审查或决定自己的申请。"))
        raise NotPermitted(_("您不能对该申请执行此操作。"))
    before = application.state
    application.state = target
    application.version += 1
    return before


def _save(application: Application, *fields: str) -> None:
    application.save(update_fields=["state", "version", "updated_at", *fields])


@transaction.atomic
def application_accept(
    *, actor: Any, application_id: int, version: int, assessor: Any = None
) -> Application:
    """Accept the application and name its assessor (the accepting supervisor by default)."""
    application = _locked(application_id, version)
    before = _move(actor, application, Action.ACCEPT)
    assessor = assessor or actor
    if not may_judge(assessor, application):
        message = _("该人员是申请人本人、与本案有利益冲突或不在本区域，不能担任审查人。")
        raise ServiceError(message, field_errors={"assessor": [message]})
    now = _now()
    application.accepted_at, application.accepted_by = now, actor
    application.assessor = assessor
    application.decide_due_at = WorkingCalendar().deadline_after(now, deadline_days("decide"))
    application.overdue_flagged_at, application.overdue_stage = None, ""
    _save(
        application,
        "accepted_at",
        "accepted_by",
        "assessor",
        "decide_due_at",
        "overdue_flagged_at",
        "overdue_stage",
    )
    _audit(actor, "exemption.accept", application, before=before, assessor=assessor.pk)
    _notify(application, "accept")
    return application


@transaction.atomic
def application_refuse(
    *, actor: Any, application_id: int, version: int, reason: str
) -> Application:
    application = _locked(application_id, version)
    reason = (reason or "").strip()
    if len(reason) < 4:
        _invalid({"reason": [_("请说明不予受理的理由。")]})
    before = _move(actor, application, Action.REFUSE)
    application.refusal_reason = reason
    application.decided_at = None
    _save(application, "refusal_reason")
    _audit(actor, "exemption.refuse", application, before=before, reason=reason)
    _notify(application, "refuse")
    return application


@transaction.atomic
def application_withdraw(*, actor: Any, application_id: int, version: int) -> Application:
    application = _locked(application_id, version)
    before = _move(actor, application, Action.WITHDRAW)
    _save(application)
    _audit(actor, "exemption.withdraw", application, before=before)
    return application


def _clean_assessment(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    findings = set(Finding.values)
    for d in DISTINCTIONS:
        finding = str(data.get(f"{d}_finding") or "")
        text = str(data.get(f"{d}_findings") or "").strip()
        evidence = str(data.get(f"{d}_evidence") or "").strip()
        if finding not in findings:
            errors[f"{d}_finding"] = [_("请选择认定结论。")]
        if len(text) < 4:
            errors[f"{d}_findings"] = [_("请写明查明的事实（至少4个字）。")]
        elif len(text) > 3000:
            errors[f"{d}_findings"] = [_("不超过3000字。")]
        if len(evidence) > 3000:
            errors[f"{d}_evidence"] = [_("不超过3000字。")]
        clean.update({f"{d}_finding": finding, f"{d}_findings": text, f"{d}_evidence": evidence})
    for factor in FACTORS:
        answer = str(data.get(factor) or "")
        if answer not in FactorAnswer.values:
            errors[factor] = [_("请选择是、否或无法认定。")]
        clean[factor] = answer
    clean["factors_note"] = str(data.get("factors_note") or "").strip()[:3000]
    _invalid(errors)
    return clean


def _clean_outcome(outcome: str, reasons: str) -> tuple[str, str]:
    reasons = (reasons or "").strip()
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [_("请选择认定结果。")]
    if len(reasons) < 5:
        errors["reasons"] = [_("请写明理由（至少5个字）。")]
    elif len(reasons) > 5000:
        errors["reasons"] = [_("理由不超过5000字。")]
    _invalid(errors)
    return outcome, reasons


@transaction.atomic
def application_assess(
    *,
    actor: Any,
    application_id: int,
    version: int,
    assessment: Mapping[str, Any],
    outcome: str,
    reasons: str,
) -> Application:
    """The assessor's findings on the three distinctions and the factors, with a proposed
    outcome; the automatic checks are kept as the assessor saw them."""
    application = _locked(application_id, version)
    before = _move(actor, application, Action.ASSESS)
    clean = _clean_assessment(assessment)
    outcome, reasons = _clean_outcome(outcome, reasons)
    checks = {name: result.as_dict() for name, result in run_checks(application).items()}
    Assessment.objects.update_or_create(
        application=application,
        defaults={**clean, "checks": checks, "assessed_by": actor},
    )
    application.outcome, application.reasons = outcome, reasons
    application.assessed_at = _now()
    _save(application, "outcome", "reasons", "assessed_at")
    _audit(actor, "exemption.assess", application, before=before, outcome=outcome)
    _notify(application, "assess")
    return application


@transaction.atomic
def application_return(*, actor: Any, application_id: int, version: int, note: str) -> Application:
    """The second reviewer sends the assessment back to the assessor."""
    application = _locked(application_id, version)
    note = (note or "").strip()
    if len(note) < 4:
        _invalid({"note": [_("请说明退回的理由。")]})
    before = _move(actor, application, Action.RETURN)
    _save(application)
    _audit(actor, "exemption.return", application, before=before, note=note)
    _notify(application, "return")
    return application


@transaction.atomic
def application_sign_off(
    *, actor: Any, application_id: int, version: int, note: str = ""
) -> Application:
    """A second supervisor (not the assessor) signs off: the decision is made and the
    applicant is told, with the reasons and the appeal deadline."""
    application = _locked(application_id, version)
    before = _move(actor, application, Action.SIGN_OFF)
    now = _now()
    calendar = WorkingCalendar()
    application.signed_off_by = actor
    application.decided_at = now
    application.days_to_decide = working_days_between(application.submitted_at, now)
    application.appeal_due_at = calendar.deadline_after(now, deadline_days("appeal"))
    application.overdue_flagged_at, application.overdue_stage = None, ""
    _save(
        application,
        "signed_off_by",
        "decided_at",
        "days_to_decide",
        "appeal_due_at",
        "overdue_flagged_at",
        "overdue_stage",
    )
    _audit(
        actor,
        "exemption.sign_off",
        application,
        before=before,
        outcome=application.outcome,
        note=(note or "").strip(),
    )
    _notify(application, "sign_off")
    return application


@transaction.atomic
def application_appeal(
    *, actor: Any, application_id: int, version: int, reason: str
) -> Application:
    """The applicant appeals once, before the deadline; a third supervisor reviews it."""
    application = _locked(application_id, version)
    reason = (reason or "").strip()
    if application.appealed_at is not None:
        raise Conflict(_("每件申请只能申诉一次，您已申诉过。"))
    if (
        application.state == State.DECIDED
        and application.appeal_due_at is not None
        and _now() > application.appeal_due_at
        and getattr(actor, "pk", None) == application.applicant_id
    ):
        raise Conflict(_("已超过申诉期限。"))
    if len(reason) < 5:
        _invalid({"reason": [_("请写明申诉理由（至少5个字）。")]})
    before = _move(actor, application, Action.APPEAL)
    now = _now()
    application.appeal_reason, application.appealed_at = reason, now
    application.appeal_decide_due_at = WorkingCalendar().deadline_after(
        now, deadline_days("appeal_decide")
    )
    _save(application, "appeal_reason", "appealed_at", "appeal_decide_due_at")
    _audit(actor, "exemption.appeal", application, before=before)
    _notify(application, "appeal")
    return application


@transaction.atomic
def application_review(
    *, actor: Any, application_id: int, version: int, outcome: str, reasons: str
) -> Application:
    """A supervisor who is neither the assessor nor the one who signed off decides the
    appeal: the outcome stands or changes."""
    application = _locked(application_id, version)
    before = _move(actor, application, Action.REVIEW)
    outcome, reasons = _clean_outcome(outcome, reasons)
    application.appeal_reviewer = actor
    application.appeal_outcome, application.appeal_reasons = outcome, reasons
    application.appeal_decided_at = _now()
    _save(application, "appeal_reviewer", "appeal_outcome", "appeal_reasons", "appeal_decided_at")
    Case.objects.filter(application=application).update(outcome=outcome)
    _audit(
        actor,
        "exemption.review",
        application,
        before=before,
        outcome=outcome,
        original=application.outcome,
    )
    _notify(application, "review")
    return application


# --- cases -------------------------------------------------------------------------------------
def distinctions_applied(application: Application) -> list[str]:
    """The distinctions the assessment found on the tolerable side."""
    assessment = getattr(application, "assessment", None)
    if assessment is None:
        return []
    return [d for d in DISTINCTIONS if getattr(assessment, f"{d}_finding") == Finding.TOLERABLE]


def case_source_text(application: Application) -> str:
    """The case as it would read before anonymisation."""
    from .selectors import DISTINCTION_QUESTIONS

    parts = [
        _("【事项】") + application.matter,
        _("【基本情况】") + application.actions,
        _("【当时适用的规定】") + application.rules_at_time,
        _("【后果与损失】") + application.outcome_harm,
    ]
    if application.corrected:
        parts.append(_("【纠正情况】") + application.correction)
    assessment = getattr(application, "assessment", None)
    if assessment is not None:
        for d in DISTINCTIONS:
            question = DISTINCTION_QUESTIONS[d]
            parts.append(
                f"【{question['title']}】{Finding(getattr(assessment, f'{d}_finding')).label}。"
                f"{getattr(assessment, f'{d}_findings')}"
            )
    parts.append(_("【认定结果】") + application.get_final_outcome_display())
    parts.append(_("【理由】") + (application.appeal_reasons or application.reasons))
    return "\n".join(parts)


@transaction.atomic
def case_draft(*, actor: Any, application_id: int) -> Case:
    """Draft the anonymised case of a decided application, for the publisher to review."""
    application = _locked(application_id, None)
    if not may_publish(actor, application):
        raise NotPermitted(_("您不能发布该申请的案例。"))
    if application.state not in (State.DECIDED, State.REVIEWED):
        raise Conflict(_("只有已作出决定的申请才能形成案例。"))
    existing = Case.objects.filter(application=application).first()
    if existing is not None:
        if existing.published_at is not None:
            raise Conflict(_("该申请的案例已发布。"))
        return existing
    ids = anonymise.identifiers_of(application)
    text = anonymise.anonymise(case_source_text(application), ids)
    title = anonymise.anonymise(application.matter, ids)[:120]
    case = Case.objects.create(
        application=application,
        number=f"AL-{application.number[3:]}",
        title=title,
        text=text,
        distinctions=distinctions_applied(application),
        outcome=application.final_outcome,
        year=application.submitted_at.astimezone(SHANGHAI).year,
        drafted_by=actor,
    )
    _audit(actor, "exemption.case_draft", application, case=case.pk)
    return case


@transaction.atomic
def case_publish(*, actor: Any, case_id: int, title: str, text: str) -> Case:
    """Publish the reviewed text; refused while any identifier of the case remains in it."""
    try:
        case = Case.objects.select_for_update().get(pk=case_id)
    except Case.DoesNotExist:
        raise NotPermitted(_("未找到该案例。")) from None
    application = _locked(case.application_id, None)
    if not may_publish(actor, application):
        raise NotPermitted(_("您不能发布该案例。"))
    if case.published_at is not None:
        raise Conflict(_("该案例已发布。"))
    title, text = (title or "").strip(), (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not title or len(title) > 120:
        errors["title"] = [_("请填写标题（不超过120字）。")]
    if len(text) < 20:
        errors["text"] = [_("案例正文过短。")]
    ids = anonymise.identifiers_of(application)
    for name, value in (("title", title), ("text", text)):
        found = anonymise.leaks(value, ids)
        if found:
            errors.setdefault(name, []).append(
                _("仍含有可识别信息：%(items)s。请删除后再发布。") % {"items": "、".join(found[:5])}
            )
    _invalid(errors)
    case.title, case.text = title, text
    case.outcome = application.final_outcome
    case.published_by, case.published_at = actor, _now()
    case.save(update_fields=["title", "text", "outcome", "published_by", "published_at"])
    _audit(actor, "exemption.case_publish", application, case=case.pk)
    return case


# --- deadlines -----------------------------------------------------------------------------------
def overdue_stage(application: Application, now: datetime) -> str:
    """Which deadline an open application has passed ("" if none)."""
    if application.state == State.SUBMITTED and application.accept_due_at < now:
        return "accept"
    if (
        application.state in (State.ACCEPTED, State.ASSESSED)
        and application.decide_due_at is not None
        and application.decide_due_at < now
    ):
        return "decide"
    if (
        application.state == State.APPEALED
        and application.appeal_decide_due_at is not None
        and application.appeal_decide_due_at < now
    ):
        return "appeal_decide"
    return ""


def sweep_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Flag applications past a deadline once per stage and tell the region's supervisors."""
    now = now or _now()
    flagged = 0
    candidates = Application.objects.filter(state__in=OPEN_STATES).only(
        "pk",
        "state",
        "accept_due_at",
        "decide_due_at",
        "appeal_decide_due_at",
        "overdue_stage",
    )
    for application in candidates:
        stage = overdue_stage(application, now)
        if not stage or application.overdue_stage == stage:
            continue
        with transaction.atomic():
            updated = (
                Application.objects.filter(pk=application.pk)
                .exclude(overdue_stage=stage)
                .update(overdue_stage=stage, overdue_flagged_at=now)
            )
            if updated:
                record(
                    actor=None,
                    action="exemption.overdue",
                    object_type="exemption.application",
                    object_id=application.pk,
                    changes={"stage": stage},
                )
                flagged += 1
                _notify(application, f"overdue_{stage}")
    return {"flagged": flagged}


def is_overdue(application: Application, now: datetime | None = None) -> bool:
    return bool(overdue_stage(application, now or _now()))


__all__ = [
    "application_accept",
    "application_appeal",
    "application_assess",
    "application_refuse",
    "application_return",
    "application_review",
    "application_sign_off",
    "application_submit",
    "application_withdraw",
    "case_draft",
    "case_publish",
    "conflicted",
    "evidence_add",
    "is_supervisor_of",
    "sweep_deadlines",
]
