"""Every write of policy drafts; each checks the actor, runs atomically and is audited.

The comment period: a draft opens on ``opens_on`` (today or later when it is opened) and
takes comments through ``closes_on`` inclusive; ``closes_on`` must be a working day at least
``MIN_WORKING_DAYS`` working days after ``opens_on`` (the Chinese working-day calendar). The
office may close it only after ``closes_on`` and only when every comment is answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.scopes import primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import is_working_day, working_days_after, working_days_between
from qinqing.directory.models import Department, Region

from .clauses import split_clauses
from .models import Answer, Clause, Comment, PolicyDraft, Stage, State
from .permissions import commenting_firms, may_manage, office_departments, office_regions
from .selectors import today

register("draft.create", gettext_lazy("新建政策草案"))
register("draft.update", gettext_lazy("修改政策草案"))
register("draft.open", gettext_lazy("发布草案征求意见"))
register("draft.comment", gettext_lazy("企业提交草案意见"))
register("draft.answer", gettext_lazy("答复草案意见"))
register("draft.close", gettext_lazy("截止征求意见"))
register("draft.finalize", gettext_lazy("公布政策定稿"))

#: the shortest comment period, in working days after the opening day (about 30 days)
MIN_WORKING_DAYS = 20
MAX_COMMENT_LENGTH = 5000


def _audit(actor: Any, action: str, draft: PolicyDraft, **changes: Any) -> None:
    record(actor=actor, action=action, obj=draft, role=primary_role(actor), changes=changes)


def earliest_close(opens_on: date) -> date:
    return working_days_after(opens_on, MIN_WORKING_DAYS)


def _check_period(opens_on: date | None, closes_on: date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if opens_on is None:
        errors["opens_on"] = [_("请填写开始日期。")]
    if closes_on is None:
        errors["closes_on"] = [_("请填写截止日期。")]
    if opens_on is None or closes_on is None:
        return errors
    if not is_working_day(closes_on):
        errors["closes_on"] = [_("截止日期须为工作日。")]
    elif working_days_between(opens_on, closes_on) < MIN_WORKING_DAYS:
        errors["closes_on"] = [
            _("征求意见期至少%(n)d个工作日，截止日期最早为%(day)s。")
            % {"n": MIN_WORKING_DAYS, "day": earliest_close(opens_on).isoformat()}
        ]
    return errors


def _clauses(pieces: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(h.strip()[:40], t.strip()) for h, t in pieces if t.strip()]


def _write_clauses(draft: PolicyDraft, stage: str, pieces: list[tuple[str, str]]) -> None:
    draft.clauses.filter(stage=stage).delete()
    Clause.objects.bulk_create(
        [
            Clause(draft=draft, stage=stage, number=i, heading=h, text=t)
            for i, (h, t) in enumerate(pieces, start=1)
        ]
    )


def _locked(draft_id: int) -> PolicyDraft:
    try:
        return PolicyDraft.objects.select_for_update().select_related("region").get(pk=draft_id)
    except PolicyDraft.DoesNotExist:
        raise ServiceError(_("草案不存在。")) from None


@transaction.atomic
def draft_create(
    *,
    actor: Any,
    title: str,
    text: str,
    opens_on: date | None,
    closes_on: date | None,
    office_name: str = "",
    summary: str = "",
    region: Region | None = None,
    department: Department | None = None,
) -> PolicyDraft:
    """A draft (not yet open) with its text split into clauses (``clauses.split_clauses``)."""
    regions = office_regions(actor)
    if not regions:
        raise NotPermitted(_("您没有发布政策草案的权限。"))
    errors: dict[str, list[str]] = {}
    if region is None:
        region = regions[0]
    elif not any(region.path.startswith(r.path) for r in regions):
        errors["region"] = [_("征求范围须在您的辖区内。")]
    departments = office_departments(actor)
    if department is None and departments:
        department = departments[0]
    elif department is not None and department not in departments:
        errors["department"] = [_("您不能以该部门名义起草。")]
    if not title.strip():
        errors["title"] = [_("请填写草案名称。")]
    office_name = office_name.strip() or (department.name if department else "")
    if not office_name:
        errors["office_name"] = [_("请填写起草单位。")]
    pieces = [(p.heading, p.text) for p in split_clauses(text)]
    if not pieces:
        errors["text"] = [_("请粘贴草案全文。")]
    errors.update(_check_period(opens_on, closes_on))
    if opens_on is not None and opens_on < today():
        errors["opens_on"] = [_("开始日期不能早于今天。")]
    if errors:
        raise ServiceError(_("草案内容有误，请检查。"), field_errors=errors)
    assert opens_on is not None and closes_on is not None
    draft = PolicyDraft.objects.create(
        title=title.strip()[:200],
        summary=summary.strip(),
        office_name=office_name[:120],
        department=department,
        region=region,
        author=actor,
        opens_on=opens_on,
        closes_on=closes_on,
    )
    _write_clauses(draft, Stage.DRAFT, pieces)
    _audit(actor, "draft.create", draft, title=draft.title, clauses=len(pieces))
    return draft


@transaction.atomic
def draft_update(
    *,
    actor: Any,
    draft_id: int,
    title: str,
    summary: str,
    opens_on: date | None,
    closes_on: date | None,
    clauses: Sequence[tuple[str, str]],
) -> PolicyDraft:
    """Edit a draft not yet opened: title, period and its clauses (heading, text) in order;
    clauses with empty text are removed and the rest renumbered."""
    draft = _locked(draft_id)
    if not may_manage(actor, draft):
        raise NotPermitted(_("您不能修改这份草案。"))
    if draft.state != State.DRAFT:
        raise Conflict(_("草案已发布征求意见，不能再修改条文。"))
    pieces = _clauses(clauses)
    errors = _check_period(opens_on, closes_on)
    if not title.strip():
        errors["title"] = [_("请填写草案名称。")]
    if not pieces:
        errors["clauses"] = [_("草案至少要有一条条文。")]
    if errors:
        raise ServiceError(_("草案内容有误，请检查。"), field_errors=errors)
    assert opens_on is not None and closes_on is not None
    draft.title, draft.summary = title.strip()[:200], summary.strip()
    draft.opens_on, draft.closes_on = opens_on, closes_on
    draft.save()
    _write_clauses(draft, Stage.DRAFT, pieces)
    _audit(actor, "draft.update", draft, clauses=len(pieces))
    return draft


@transaction.atomic
def draft_open(*, actor: Any, draft_id: int) -> PolicyDraft:
    draft = _locked(draft_id)
    if not may_manage(actor, draft):
        raise NotPermitted(_("您不能发布这份草案。"))
    if draft.state != State.DRAFT:
        raise Conflict(_("草案已发布。"))
    errors = _check_period(draft.opens_on, draft.closes_on)
    if draft.opens_on < today():
        errors["opens_on"] = [_("开始日期已过，请先修改征求意见期。")]
    if errors:
        raise ServiceError(_("征求意见期有误，请先修改。"), field_errors=errors)
    draft.state = State.OPEN
    draft.opened_at = timezone.now()
    draft.save(update_fields=["state", "opened_at", "updated_at"])
    _audit(
        actor,
        "draft.open",
        draft,
        opens_on=draft.opens_on.isoformat(),
        closes_on=draft.closes_on.isoformat(),
    )
    return draft


def is_taking_comments(draft: PolicyDraft, day: date | None = None) -> bool:
    day = day or today()
    return draft.state == State.OPEN and draft.opens_on <= day <= draft.closes_on


@transaction.atomic
def comment_add(*, actor: Any, draft_id: int, body: str, clause_id: int | None = None) -> Comment:
    """A firm's authorised user comments on a clause (or the whole draft) while it is open."""
    draft = PolicyDraft.objects.select_related("region").get(pk=draft_id)
    firms = [f for f in commenting_firms(actor) if f.grid.path.startswith(draft.region.path)]
    if not firms:
        raise NotPermitted(_("只有征求范围内企业的授权用户可以提交意见。"))
    if not is_taking_comments(draft):
        raise Conflict(_("该草案当前不在征求意见期内。"))
    body = body.strip()
    errors: dict[str, list[str]] = {}
    if not body:
        errors["body"] = [_("请填写意见。")]
    elif len(body) > MAX_COMMENT_LENGTH:
        errors["body"] = [_("意见不能超过%(n)d字。") % {"n": MAX_COMMENT_LENGTH}]
    clause = None
    if clause_id is not None:
        clause = Clause.objects.filter(pk=clause_id, draft=draft, stage=Stage.DRAFT).first()
        if clause is None:
            errors["clause"] = [_("请选择本草案的条款。")]
    if errors:
        raise ServiceError(_("意见有误，请检查。"), field_errors=errors)
    comment = Comment.objects.create(
        draft=draft, clause=clause, enterprise=firms[0], author=actor, body=body
    )
    _audit(
        actor,
        "draft.comment",
        draft,
        comment=comment.pk,
        clause=clause.number if clause else None,
        enterprise=firms[0].pk,
    )
    return comment


@transaction.atomic
def comment_answer(*, actor: Any, comment_id: int, answer: str, reason: str = "") -> Comment:
    """The office answers (or re-answers, before closing) a comment."""
    try:
        comment = Comment.objects.select_for_update().get(pk=comment_id)
    except Comment.DoesNotExist:
        raise ServiceError(_("意见不存在。")) from None
    draft = PolicyDraft.objects.select_related("region").get(pk=comment.draft_id)
    if not may_manage(actor, draft):
        raise NotPermitted(_("只有起草单位可以答复意见。"))
    if draft.state != State.OPEN:
        raise Conflict(_("征求意见已截止，答复不能再修改。"))
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if answer not in Answer.values:
        errors["answer"] = [_("请选择采纳、部分采纳或未采纳。")]
    elif answer != Answer.ADOPTED and not reason:
        errors["reason"] = [_("未采纳或部分采纳的，请说明理由。")]
    if errors:
        raise ServiceError(_("答复有误，请检查。"), field_errors=errors)
    before = comment.answer
    comment.answer, comment.reason = answer, reason
    comment.answered_by, comment.answered_at = actor, timezone.now()
    comment.save(update_fields=["answer", "reason", "answered_by", "answered_at"])
    _audit(actor, "draft.answer", draft, comment=comment.pk, answer=[before, answer], reason=reason)
    return comment


@transaction.atomic
def draft_close(*, actor: Any, draft_id: int) -> PolicyDraft:
    draft = _locked(draft_id)
    if not may_manage(actor, draft):
        raise NotPermitted(_("您不能截止这份草案的征求意见。"))
    if draft.state != State.OPEN:
        raise Conflict(_("草案不在征求意见中。"))
    if today() <= draft.closes_on:
        raise Conflict(
            _("征求意见期到%(day)s为止，之后才能截止。") % {"day": draft.closes_on.isoformat()}
        )
    open_count = draft.comments.filter(answer="").count()
    if open_count:
        raise Conflict(_("还有%(n)d条意见未答复，全部答复后才能截止。") % {"n": open_count})
    draft.state = State.CLOSED
    draft.closed_at = timezone.now()
    draft.save(update_fields=["state", "closed_at", "updated_at"])
    _audit(actor, "draft.close", draft, comments=draft.comments.count())
    return draft


@transaction.atomic
def draft_finalize(*, actor: Any, draft_id: int, text: str, note: str = "") -> PolicyDraft:
    """Publish the final text (split like the draft); the public page then shows it with the
    answered comments."""
    draft = _locked(draft_id)
    if not may_manage(actor, draft):
        raise NotPermitted(_("您不能公布这份草案的定稿。"))
    if draft.state != State.CLOSED:
        raise Conflict(_("征求意见截止后才能公布定稿。"))
    pieces = [(p.heading, p.text) for p in split_clauses(text)]
    if not pieces:
        message = _("请粘贴定稿全文。")
        raise ServiceError(message, field_errors={"text": [message]})
    _write_clauses(draft, Stage.FINAL, pieces)
    draft.state = State.FINAL
    draft.final_published_at = timezone.now()
    draft.final_note = note.strip()
    draft.save(update_fields=["state", "final_published_at", "final_note", "updated_at"])
    _audit(actor, "draft.finalize", draft, clauses=len(pieces))
    return draft
