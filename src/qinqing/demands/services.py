"""Every write on demands: submit, move through the workflow, co-handle, extend, sweep.

Each service takes the acting user, checks permission itself, writes the timeline event and
the audit entry in the same transaction, and is safe under concurrency (row lock + version).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from qinqing.accounts.scopes import primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import (
    SHANGHAI,
    WorkingCalendar,
    deadline_after,
    working_days_after,
    working_days_between,
)
from qinqing.directory.models import Department, Enterprise
from qinqing.integrity.relations.services import (  # relations: conflict-of-interest hook
    demand_handling_check,
    record_conflict_refusals,
)

from .models import (
    Assist,
    Category,
    Channel,
    Demand,
    DemandCounter,
    DemandEvent,
    Extension,
    RoutingRule,
    Satisfaction,
)
from .permissions import submit_channels
from .workflow import (
    MAX_REOPENS,
    OPEN_STATES,
    TRANSITIONS,
    Action,
    State,
    is_coordinator_of_region,
    is_handler_of_department,
    is_supervisor_of_region,
)

for _action, _label in [
    ("demand.submit", _l("提交诉求")),
    ("demand.supervise", _l("督办")),
    ("demand.note", _l("办理备注")),
    ("demand.assist", _l("发起协办")),
    ("demand.assist_reply", _l("协办答复")),
    ("demand.extension_request", _l("申请延期")),
    ("demand.extension_decide", _l("审批延期")),
    ("demand.merge", _l("合并重复诉求")),
    ("demand.view", _l("查看诉求")),
    ("demand.remind", _l("临期提醒")),
    ("demand.escalate", _l("超期督办")),
    ("routing.set", _l("设置派单规则")),
    ("routing.create", _l("新增派单规则")),
    ("routing.update", _l("修改派单规则")),
    ("category.create", _l("新增诉求类别")),
    ("category.update", _l("修改诉求类别")),
    *[(f"demand.{a.value}", a.label) for a in Action],
]:
    register(_action, _label)


def _now() -> datetime:
    return timezone.now()


def _event(
    demand: Demand,
    *,
    actor: Any,
    action: str,
    before: str = "",
    note: str = "",
    internal: bool = False,
    department: Department | None = None,
    at: datetime | None = None,
    to_state: str | None = None,
) -> DemandEvent:
    event = DemandEvent.objects.create(
        demand=demand,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        from_state=before,
        to_state=to_state or demand.state,
        note=note,
        internal=internal,
        department=department or demand.department,
        created_at=at or _now(),
    )
    if action != "note":
        from .tasks import notify_demand_event

        transaction.on_commit(lambda: notify_demand_event.enqueue(event.pk))
    return event


def _audit(actor: Any, action: str, demand: Demand, **changes: Any) -> None:
    record(
        actor=actor,
        action=action,
        obj=demand,
        role=primary_role(actor) if actor else "",
        changes=changes,
    )


def next_number(year: int) -> str:
    """SQ-2026-000123; the counter row is locked so two submissions never share a number."""
    counter, _created = DemandCounter.objects.select_for_update().get_or_create(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    return f"SQ-{year}-{counter.last:06d}"


def route(enterprise: Enterprise, category: Category) -> Department | None:
    """The department of the most specific rule: nearest region up the tree, then category up."""
    codes = [c for c in enterprise.grid.path.strip("/").split("/") if c]
    categories = []
    node: Category | None = category
    while node is not None:
        categories.append(node.pk)
        node = node.parent
    rules = list(
        RoutingRule.objects.filter(
            region__code__in=codes, category_id__in=categories
        ).select_related("region", "department")
    )
    if not rules:
        return None
    depth = {code: i for i, code in enumerate(codes)}
    best = max(rules, key=lambda r: (depth[r.region.code], -categories.index(r.category_id)))
    return best.department


@dataclass(frozen=True)
class Timers:
    accept: datetime
    response: datetime
    resolve: datetime


def timers_for(category: Category, start: datetime) -> Timers:
    calendar = WorkingCalendar()  # one read of the admin days for the three deadlines
    return Timers(
        accept=calendar.deadline_after(start, category.acceptance_days),
        response=calendar.deadline_after(start, category.response_days),
        resolve=calendar.deadline_after(start, category.resolution_days),
    )


@transaction.atomic
def demand_submit(
    *,
    actor: Any,
    enterprise: Enterprise,
    category: Category,
    title: str,
    description: str,
    channel: str | None = None,
    submitted_at: datetime | None = None,
) -> Demand:
    """Raise a demand for a firm; auto-dispatch when a routing rule matches."""
    allowed = submit_channels(actor, enterprise)
    if not allowed:
        raise NotPermitted(_("您不能为该企业提交诉求。"))
    if channel is None:
        channel = allowed[0]
    if channel not in allowed and channel not in (Channel.API, Channel.OPEN311):
        raise NotPermitted(_("您不能通过该渠道提交诉求。"))
    title, description = (title or "").strip(), (description or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("请填写标题。")]
    elif len(title) > 120:
        errors["title"] = [_("标题不超过120字。")]
    if len(description) < 5:
        errors["description"] = [_("请具体描述诉求（至少5个字）。")]
    elif len(description) > 5000:
        errors["description"] = [_("描述不超过5000字。")]
    if not category.active:
        errors["category"] = [_("该类别已停用，请选择其他类别。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    now = submitted_at or _now()
    timers = timers_for(category, now)
    demand = Demand(
        number=next_number(now.astimezone(SHANGHAI).year),
        enterprise=enterprise,
        region_path=enterprise.grid.path,
        category=category,
        title=title,
        description=description,
        channel=channel,
        submitted_by=actor if getattr(actor, "pk", None) else None,
        submitted_at=now,
        accept_due_at=timers.accept,
        response_due_at=timers.response,
        resolve_due_at=timers.resolve,
    )
    department = route(enterprise, category)
    if department is not None:
        demand.state, demand.department, demand.dispatched_at = State.DISPATCHED, department, now
    demand.save()
    _event(demand, actor=actor, action="submit", at=now, to_state=State.SUBMITTED)
    if department is not None:
        _event(
            demand,
            actor=None,
            action=Action.DISPATCH,
            before=State.SUBMITTED,
            note=_("按派单规则自动派至%(d)s") % {"d": department.name},
            at=now,
        )
    _audit(
        actor,
        "demand.submit",
        demand,
        channel=channel,
        department=department.pk if department else None,
    )
    return demand


def _locked(demand_id: int, version: int | None) -> Demand:
    demand = (
        Demand.objects.select_for_update(of=("self",))
        .select_related("enterprise", "enterprise__grid", "category", "department")
        .get(pk=demand_id)
    )
    if version is not None and demand.version != version:
        raise Conflict(_("该诉求已被他人处理，请刷新后重试。"))
    return demand


def _department_for_dispatch(demand: Demand, department_id: Any) -> Department:
    department = (
        Department.objects.select_related("region").filter(pk=department_id).first()
        if department_id
        else None
    )
    if department is None:
        raise ServiceError(_("请选择承办部门。"), field_errors={"department": [_("必填。")]})
    if not demand.region_path.startswith(department.region.path):
        raise ServiceError(
            _("%(d)s 不服务该企业所在区域。") % {"d": department.name},
            field_errors={"department": [_("请选择服务该区域的部门。")]},
        )
    return department


REQUIRES_NOTE: dict[str, Any] = {
    Action.RETURN: _l("请说明退单理由。"),
    Action.TRANSFER: _l("请说明转办理由。"),
    Action.WAIT_FIRM: _l("请说明需要企业补充的材料。"),
    Action.REPLY: _l("请填写答复内容。"),
    Action.REJECT: _l("请说明不认可的理由。"),
    Action.CLOSE: _l("请填写办结意见。"),
}


@record_conflict_refusals  # relations: keep the alert of a refused conflicted handler
@transaction.atomic
def demand_act(
    *,
    actor: Any,
    demand_id: int,
    action: str,
    version: int | None,
    note: str = "",
    department_id: int | None = None,
    satisfaction: str = "",
    rating: int | None = None,
    at: datetime | None = None,
    override_reason: str = "",
) -> Demand:
    """Move a case one step along TRANSITIONS, with that step's effects on its timers.

    A handler linked to the firm in the conflict graph is refused (``ConflictOfInterest``,
    with the path) unless ``override_reason`` says why they act all the same."""
    demand = _locked(demand_id, version)
    step = TRANSITIONS.get((demand.state, action))
    if step is None:
        raise Conflict(
            _("当前状态“%(state)s”下不能执行该操作。") % {"state": demand.get_state_display()}
        )
    target, allowed = step
    if not allowed(actor, demand):
        raise NotPermitted(_("您没有执行此操作的权限。"))
    demand_handling_check(  # relations: conflicts
        actor=actor, demand=demand, action=action, override_reason=override_reason
    )
    note = (note or "").strip()
    if action in REQUIRES_NOTE and not note:
        raise ServiceError(str(REQUIRES_NOTE[action]), field_errors={"note": [_("必填。")]})
    now = at or _now()
    before = demand.state
    changes: dict[str, Any] = {"state": [before, str(target)]}
    demand.state = target

    if action in (Action.DISPATCH, Action.TRANSFER):
        department = _department_for_dispatch(demand, department_id)
        if action == Action.TRANSFER and department.pk == demand.department_id:
            raise ServiceError(_("转办须选择另一个部门。"))
        changes["department"] = [demand.department_id, department.pk]
        demand.department, demand.dispatched_at = department, now
        demand.accept_due_at = deadline_after(now, demand.category.acceptance_days)
        demand.accepted_at = None
    elif action == Action.RETURN:
        if demand.accept_due_at and now > demand.accept_due_at:
            raise Conflict(_("已超过受理时限，不能退单；请受理后申请转办。"))
        changes["department"] = [demand.department_id, None]
        demand.department = None
    elif action == Action.ACCEPT:
        demand.accepted_at = now
        demand.first_response_at = demand.first_response_at or now
    elif action == Action.START:
        demand.first_response_at = demand.first_response_at or now
    elif action == Action.WAIT_FIRM:
        demand.paused_at = now
    elif action == Action.RESUME:
        if demand.paused_at is not None and demand.resolve_due_at is not None:
            paused = working_days_between(demand.paused_at, now)
            if paused:
                old_due = demand.resolve_due_at.astimezone(SHANGHAI)
                new_day = working_days_after(old_due.date(), paused)
                demand.resolve_due_at = datetime.combine(new_day, old_due.timetz())
                changes["paused_working_days"] = paused
        demand.paused_at = None
    elif action == Action.REPLY:
        demand.reply = note
        demand.replied_at = now
        demand.first_response_at = demand.first_response_at or now
    elif action == Action.RATE:
        if satisfaction not in Satisfaction.values:
            raise ServiceError(_("请选择满意度。"), field_errors={"satisfaction": [_("必填。")]})
        if rating is None or not 1 <= int(rating) <= 5:
            raise ServiceError(_("评分须为1到5分。"), field_errors={"rating": [_("1–5分。")]})
        demand.satisfaction, demand.rating, demand.rating_comment = satisfaction, int(rating), note
        demand.closed_at = now
        changes.update(satisfaction=satisfaction, rating=int(rating))
    elif action == Action.REJECT:
        demand.reopen_count += 1
        if demand.reopen_count > MAX_REOPENS:
            demand.state = State.DISPUTED
            changes["state"] = [before, State.DISPUTED.value]
        demand.replied_at = None
        demand.rating_comment = note
    elif action in (Action.WITHDRAW, Action.CLOSE):
        demand.closed_at = now
    elif action == Action.AUTO_CLOSE:
        demand.closed_at, demand.not_rated = now, True

    demand.version += 1
    demand.save()
    _event(demand, actor=actor, action=action, before=before, note=note, at=now)
    _audit(actor, f"demand.{action}", demand, **changes)
    return demand


@transaction.atomic
def demand_supervise(*, actor: Any, demand_id: int, note: str) -> Demand:
    """督办: a supervisor or coordinator flags an open case."""
    demand = _locked(demand_id, None)
    if not (is_supervisor_of_region(actor, demand) or is_coordinator_of_region(actor, demand)):
        raise NotPermitted(_("您没有督办该诉求的权限。"))
    if demand.state not in OPEN_STATES:
        raise Conflict(_("已办结的诉求不能督办。"))
    if not (note or "").strip():
        raise ServiceError(_("请填写督办意见。"), field_errors={"note": [_("必填。")]})
    demand.supervised = True
    demand.version += 1
    demand.save(update_fields=["supervised", "version", "updated_at"])
    _event(demand, actor=actor, action="supervise", before=demand.state, note=note.strip())
    _audit(actor, "demand.supervise", demand, supervised=True)
    return demand


@transaction.atomic
def demand_note(*, actor: Any, demand_id: int, note: str, internal: bool) -> DemandEvent:
    """A note on the timeline: staff may keep it internal; the firm's notes are always shown."""
    from .permissions import is_staff_of_demand
    from .workflow import is_member_of_firm

    demand = _locked(demand_id, None)
    staff = is_staff_of_demand(actor, demand)
    if not staff and not is_member_of_firm(actor, demand):
        raise NotPermitted(_("您没有在该诉求下留言的权限。"))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写内容。"), field_errors={"note": [_("必填。")]})
    event = _event(
        demand,
        actor=actor,
        action="note",
        before=demand.state,
        note=note,
        internal=internal and staff,
    )
    _audit(actor, "demand.note", demand, internal=event.internal)
    return event


@transaction.atomic
def assist_request(*, actor: Any, demand_id: int, department_id: int, part: str) -> Assist:
    """协办: the lead department (or the coordinator) asks another department for a part."""
    demand = _locked(demand_id, None)
    if not (is_handler_of_department(actor, demand) or is_coordinator_of_region(actor, demand)):
        raise NotPermitted(_("只有承办部门或协调员可以发起协办。"))
    if demand.state not in (State.ACCEPTED, State.IN_PROGRESS, State.WAITING_FIRM):
        raise Conflict(_("诉求受理后才能发起协办。"))
    department = _department_for_dispatch(demand, department_id)
    if department.pk == demand.department_id:
        raise ServiceError(_("协办部门不能是承办部门本身。"))
    part = (part or "").strip()
    if not part:
        raise ServiceError(_("请说明协办事项。"), field_errors={"part": [_("必填。")]})
    if Assist.objects.filter(demand=demand, department=department).exists():
        raise Conflict(_("该部门已在协办此诉求。"))
    assist = Assist.objects.create(demand=demand, department=department, part=part)
    _event(
        demand,
        actor=actor,
        action="assist",
        before=demand.state,
        department=department,
        note=_("请%(d)s协办：%(p)s") % {"d": department.name, "p": part},
    )
    _audit(actor, "demand.assist", demand, department=department.pk)
    return assist


@transaction.atomic
def assist_reply(*, actor: Any, assist_id: int, reply: str) -> Assist:
    assist = (
        Assist.objects.select_for_update().select_related("demand", "department").get(pk=assist_id)
    )
    from qinqing.accounts.models import Role
    from qinqing.accounts.scopes import assignments_of

    if not any(
        a.role == Role.HANDLER and a.department_id == assist.department_id
        for a in assignments_of(actor)
    ):
        raise NotPermitted(_("只有协办部门可以答复协办事项。"))
    if assist.status == Assist.Status.DONE:
        raise Conflict(_("该协办事项已答复。"))
    reply = (reply or "").strip()
    if not reply:
        raise ServiceError(_("请填写协办意见。"), field_errors={"reply": [_("必填。")]})
    assist.reply, assist.status = reply, Assist.Status.DONE
    assist.save(update_fields=["reply", "status"])
    _event(
        assist.demand,
        actor=actor,
        action="assist_reply",
        before=assist.demand.state,
        department=assist.department,
        note=reply,
    )
    _audit(actor, "demand.assist_reply", assist.demand, department=assist.department_id)
    return assist


@transaction.atomic
def extension_request(*, actor: Any, demand_id: int, days: int, reason: str) -> Extension:
    demand = _locked(demand_id, None)
    if not is_handler_of_department(actor, demand):
        raise NotPermitted(_("只有承办部门可以申请延期。"))
    if demand.state not in (State.ACCEPTED, State.IN_PROGRESS, State.WAITING_FIRM):
        raise Conflict(_("只有办理中的诉求可以申请延期。"))
    if not isinstance(days, int) or not 1 <= days <= 30:
        raise ServiceError(_("延期天数须为1到30个工作日。"), field_errors={"days": [_("1–30。")]})
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请说明延期理由。"), field_errors={"reason": [_("必填。")]})
    if demand.extensions.filter(status=Extension.Status.PENDING).exists():
        raise Conflict(_("已有待审批的延期申请。"))
    extension = Extension.objects.create(
        demand=demand, days=days, reason=reason, requested_by=actor
    )
    _event(
        demand,
        actor=actor,
        action="extension_request",
        before=demand.state,
        note=_("申请延期%(n)d个工作日：%(r)s") % {"n": days, "r": reason},
    )
    _audit(actor, "demand.extension_request", demand, days=days)
    return extension


@transaction.atomic
def extension_decide(*, actor: Any, extension_id: int, approve: bool, note: str = "") -> Extension:
    extension = Extension.objects.select_for_update().get(pk=extension_id)
    demand = _locked(extension.demand_id, None)
    if not is_coordinator_of_region(actor, demand):
        raise NotPermitted(_("只有协调员可以审批延期。"))
    if extension.status != Extension.Status.PENDING:
        raise Conflict(_("该延期申请已审批。"))
    extension.status = Extension.Status.APPROVED if approve else Extension.Status.REFUSED
    extension.decided_by, extension.decided_at = actor, _now()
    extension.save(update_fields=["status", "decided_by", "decided_at"])
    if approve and demand.resolve_due_at is not None:
        old_due = demand.resolve_due_at.astimezone(SHANGHAI)
        demand.resolve_due_at = datetime.combine(
            working_days_after(old_due.date(), extension.days), old_due.timetz()
        )
        demand.reminded_at = demand.escalated_at = None
        demand.version += 1
        demand.save()
    label = _("同意延期%(n)d个工作日") if approve else _("驳回延期%(n)d个工作日的申请")
    _event(
        demand,
        actor=actor,
        action="extension_decide",
        before=demand.state,
        note=(label % {"n": extension.days}) + (f"：{note.strip()}" if note.strip() else ""),
    )
    _audit(actor, "demand.extension_decide", demand, approved=approve, days=extension.days)
    return extension


@transaction.atomic
def demand_merge(*, actor: Any, duplicate_id: int, into_id: int) -> Demand:
    """The coordinator merges a duplicate into the case that stays open."""
    if duplicate_id == into_id:
        raise ServiceError(_("不能与自身合并。"))
    duplicate, into = _locked(duplicate_id, None), _locked(into_id, None)
    if not (is_coordinator_of_region(actor, duplicate) and is_coordinator_of_region(actor, into)):
        raise NotPermitted(_("只有协调员可以合并诉求。"))
    if duplicate.enterprise_id != into.enterprise_id:
        raise ServiceError(_("只能合并同一企业的诉求。"))
    if duplicate.state not in OPEN_STATES or into.state not in OPEN_STATES:
        raise Conflict(_("只能合并未办结的诉求。"))
    before = duplicate.state
    duplicate.state, duplicate.merged_into, duplicate.closed_at = State.CLOSED, into, _now()
    duplicate.version += 1
    duplicate.save()
    _event(
        duplicate,
        actor=actor,
        action="merge",
        before=before,
        note=_("已合并至%(n)s") % {"n": into.number},
    )
    _event(
        into,
        actor=actor,
        action="merge",
        before=into.state,
        note=_("合并了重复诉求%(n)s") % {"n": duplicate.number},
    )
    _audit(actor, "demand.merge", duplicate, into=into.number)
    return into


@transaction.atomic
def routing_rule_set(
    *, actor: Any, region_id: int, category_id: int, department_id: int | None
) -> RoutingRule | None:
    """Set (or, with no department, remove) the rule for a region and a category."""
    from qinqing.accounts.models import Role
    from qinqing.accounts.scopes import assignments_of
    from qinqing.directory.models import Region

    region = Region.objects.filter(pk=region_id).first()
    category = Category.objects.filter(pk=category_id).first()
    if region is None or category is None:
        raise ServiceError(_("区域或类别不存在。"))
    paths = [
        a.region.path for a in assignments_of(actor) if a.role == Role.COORDINATOR and a.region
    ]
    if not any(region.path.startswith(p) for p in paths):
        raise NotPermitted(_("您只能设置本辖区的派单规则。"))
    if department_id is None:
        RoutingRule.objects.filter(region=region, category=category).delete()
        record(
            actor=actor,
            action="routing.set",
            object_type="demands.routingrule",
            object_id=f"{region.pk}:{category.pk}",
            changes={"department": None},
        )
        return None
    department = Department.objects.select_related("region").filter(pk=department_id).first()
    if department is None:
        raise ServiceError(_("部门不存在。"))
    if not region.path.startswith(department.region.path):
        raise ServiceError(_("%(d)s 不服务该区域。") % {"d": department.name})
    rule, _created = RoutingRule.objects.update_or_create(
        region=region, category=category, defaults={"department": department}
    )
    record(actor=actor, action="routing.set", obj=rule, changes={"department": department.pk})
    return rule


def _sweep_due(now: datetime) -> dict[str, int]:
    """Remind at 80 % of the resolution timer, escalate at breach; each only once."""
    counts = {"reminded": 0, "escalated": 0, "auto_closed": 0}
    handling = [State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS]
    for demand in (
        Demand.objects.filter(
            state__in=handling, reminded_at__isnull=True, resolve_due_at__isnull=False
        )
        .only("pk", "submitted_at", "resolve_due_at")
        .iterator()
    ):
        assert demand.resolve_due_at is not None
        span = demand.resolve_due_at - demand.submitted_at
        if now >= demand.submitted_at + span * 0.8:
            with transaction.atomic():
                locked = _locked(demand.pk, None)
                if locked.reminded_at is None and locked.state in handling:
                    locked.reminded_at = now
                    locked.save(update_fields=["reminded_at"])
                    _event(
                        locked,
                        actor=None,
                        action="remind",
                        before=locked.state,
                        note=_("办结期限已过80%，请抓紧办理。"),
                        internal=True,
                    )
                    _audit(None, "demand.remind", locked)
                    counts["reminded"] += 1
    for demand in (
        Demand.objects.filter(state__in=handling, escalated_at__isnull=True, resolve_due_at__lt=now)
        .only("pk")
        .iterator()
    ):
        with transaction.atomic():
            locked = _locked(demand.pk, None)
            if locked.escalated_at is None and locked.state in handling:
                locked.escalated_at = now
                locked.supervised = True
                locked.save(update_fields=["escalated_at", "supervised"])
                _event(
                    locked,
                    actor=None,
                    action="escalate",
                    before=locked.state,
                    note=_("已超过办结期限，自动督办并通知协调员和监督员。"),
                )
                _audit(None, "demand.escalate", locked)
                counts["escalated"] += 1
    auto_close_days = settings.DEMAND_AUTO_CLOSE_DAYS
    calendar = (
        WorkingCalendar()
    )  # one calendar for the whole sweep: a query per range, not per case
    for demand in (
        Demand.objects.filter(state=State.REPLIED, replied_at__isnull=False)
        .only("pk", "replied_at", "version")
        .iterator()
    ):
        assert demand.replied_at is not None
        if calendar.working_days_between(demand.replied_at, now) >= auto_close_days:
            demand_act(
                actor=None, demand_id=demand.pk, action=Action.AUTO_CLOSE, version=None, at=now
            )
            counts["auto_closed"] += 1
    return counts


def sweep_deadlines(*, now: datetime | None = None) -> dict[str, int]:
    """The background sweep; idempotent: a second run at the same time changes nothing."""
    return _sweep_due(now or _now())


def demand_record_view(*, actor: Any, demand: Demand) -> None:
    """An access entry when staff open a case (it holds the firm's business information)."""
    from .workflow import is_member_of_firm

    if actor is None or is_member_of_firm(actor, demand):
        return
    with transaction.atomic():
        record(actor=actor, action="demand.view", obj=demand, role=primary_role(actor))
