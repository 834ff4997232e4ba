"""Every write on the conflict graph: people, relations, match decisions, alerts.

Supervisors and system admins maintain the graph; officials and handlers declare their
own related persons (个人有关事项报告). Matching only proposes: two Person rows become
"the same human" only when a supervisor confirms a candidate.

``conflict_check`` is the door other apps call before an official acts on a firm (handling
a demand, a pairing, an approval, an investigation): it refuses with the path unless the
official has given a reason (an override), and records the alert for supervisors.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.scopes import assignments_of, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.directory.models import Enterprise

from . import matching
from .graph import ConflictPath, find_conflicts
from .models import (
    AlertState,
    CandidateState,
    ConflictAlert,
    FirmRelation,
    FirmRole,
    Gender,
    Kinship,
    MatchCandidate,
    Person,
    PersonRelation,
    Source,
)
from .permissions import may_confirm_matches, may_declare, may_maintain

for _action, _label in [
    ("relations.person_create", gettext_lazy("登记关系人员")),
    ("relations.person_view", gettext_lazy("查看关系人员")),
    ("relations.relation_create", gettext_lazy("登记关系")),
    ("relations.relation_end", gettext_lazy("终止关系")),
    ("relations.candidate_confirm", gettext_lazy("确认同一人")),
    ("relations.candidate_reject", gettext_lazy("否定同一人")),
    ("relations.alert_raise", gettext_lazy("利益冲突预警")),
    ("relations.alert_override", gettext_lazy("说明理由后继续办理")),
    ("relations.alert_recuse", gettext_lazy("利益冲突回避")),
    ("relations.import", gettext_lazy("导入关系数据")),
    ("relations.export", gettext_lazy("导出关系数据")),
]:
    register(_action, _label)

#: how far detection looks: official → child → child's spouse → firm is 3
DETECTION_HOPS = 3
CANDIDATE_THRESHOLD = 60


def _today() -> dt.date:
    from qinqing.common.workdays import SHANGHAI

    return timezone.now().astimezone(SHANGHAI).date()


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError(message, field_errors={field: [message]})


# --- people ---------------------------------------------------------------------------------
def _may_edit_person(actor: Any, person: Person) -> bool:
    if may_maintain(actor):
        return True
    if not may_declare(actor):
        return False
    return person.user_id == actor.pk or (
        person.created_by_id == actor.pk and person.source == Source.DECLARED
    )


def _clean_person(name: str, gender: str, id_number: str) -> tuple[str, str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise _invalid("name", _("请填写姓名。"))
    if len(name) > 64:
        raise _invalid("name", _("姓名不超过64字。"))
    if gender not in Gender.values:
        raise _invalid("gender", _("请选择性别。"))
    number = matching.normalise_id(id_number)
    if number and not matching.valid_id(number):
        raise _invalid("id_number", _("身份证号码不正确（须为18位，末位校验码按GB 11643计算）。"))
    return name, gender, number


@transaction.atomic
def person_create(
    *,
    actor: Any,
    name: str,
    gender: str = "",
    id_number: str = "",
    user: Any = None,
    note: str = "",
    source: str | None = None,
    propose: bool = True,
) -> Person:
    """A new Person; proposes match candidates against people already known (never merges)."""
    maintainer = may_maintain(actor)
    if not maintainer and not may_declare(actor):
        raise NotPermitted(_("只有监督员、系统管理员或干部本人申报可以登记人员。"))
    if user is not None and not maintainer:
        raise NotPermitted(_("只有监督员或系统管理员可以关联平台账号。"))
    name, gender, number = _clean_person(name, gender, id_number)
    digest = matching.id_hash(number) if number else None
    if digest and Person.objects.filter(id_hash=digest).exists():
        raise Conflict(
            _("该身份证号已登记。"), field_errors={"id_number": [_("该身份证号已登记。")]}
        )
    if user is not None and Person.objects.filter(user=user).exists():
        raise Conflict(_("该账号已关联人员。"), field_errors={"user": [_("已关联。")]})
    person = Person.objects.create(
        name=name,
        name_key=matching.name_key(name),
        pinyin_key=matching.name_pinyin(name),
        gender=gender,
        id_hash=digest,
        id_last4=number[-4:] if number else "",
        user=user,
        note=(note or "").strip()[:200],
        source=source or (Source.MANUAL if maintainer else Source.DECLARED),
        created_by=actor,
    )
    record(
        actor=actor,
        action="relations.person_create",
        obj=person,
        role=primary_role(actor),
        changes={"name": name, "id_last4": person.id_last4, "user": getattr(user, "pk", None)},
    )
    if propose:
        propose_candidates(people=[person])
    return person


def own_person(*, actor: Any) -> Person:
    """The declaring official's own Person (created on first use, linked to the account)."""
    if not (may_declare(actor) or may_maintain(actor)):
        raise NotPermitted(_("您没有申报个人有关事项的权限。"))
    existing = Person.objects.filter(user=actor).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        person = Person.objects.create(
            name=actor.display_name or actor.username,
            name_key=matching.name_key(actor.display_name or actor.username),
            pinyin_key=matching.name_pinyin(actor.display_name or actor.username),
            user=actor,
            source=Source.DECLARED,
            created_by=actor,
        )
        record(
            actor=actor,
            action="relations.person_create",
            obj=person,
            role=primary_role(actor),
            changes={"name": person.name, "user": actor.pk},
        )
        propose_candidates(people=[person])
    return person


def person_record_view(*, actor: Any, person: Person) -> None:
    """Staff reading someone else's family and holdings leave an access record."""
    if person.user_id == getattr(actor, "pk", None) or person.created_by_id == getattr(
        actor, "pk", None
    ):
        return
    with transaction.atomic():
        record(actor=actor, action="relations.person_view", obj=person, role=primary_role(actor))


# --- relations ------------------------------------------------------------------------------
def _percentage(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        pct = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        raise _invalid("percentage", _("持股比例须为数字。")) from None
    if not Decimal("0") < pct <= Decimal("100"):
        raise _invalid("percentage", _("持股比例须大于0且不超过100。"))
    return pct.quantize(Decimal("0.01"))


@transaction.atomic
def relation_create(
    *,
    actor: Any,
    from_person_id: int,
    kind: str,
    to_person_id: int | None = None,
    enterprise_id: int | None = None,
    percentage: Any = None,
    title: str = "",
    detail: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    source: str | None = None,
) -> PersonRelation | FirmRelation:
    """A family relation (``to_person_id``) or a firm relation (``enterprise_id``)."""
    person = Person.objects.filter(pk=from_person_id).first()
    if person is None or not _may_edit_person(actor, person):
        raise NotPermitted(_("您不能为该人员登记关系。"))
    source = source or (Source.MANUAL if may_maintain(actor) else Source.DECLARED)
    if valid_from and valid_to and valid_to < valid_from:
        raise _invalid("valid_to", _("终止日期不能早于起始日期。"))
    if kind in FirmRole.values:
        firm = Enterprise.objects.filter(pk=enterprise_id).first() if enterprise_id else None
        if firm is None:
            raise _invalid("enterprise", _("请选择企业。"))
        pct = _percentage(percentage)
        if kind == FirmRole.SHAREHOLDER and pct is None:
            raise _invalid("percentage", _("请填写持股比例。"))
        if kind != FirmRole.SHAREHOLDER:
            pct = None
        if FirmRelation.objects.filter(
            person=person, enterprise=firm, kind=kind, valid_to__isnull=True
        ).exists():
            raise Conflict(_("该关系已登记。"))
        relation: PersonRelation | FirmRelation = FirmRelation.objects.create(
            person=person,
            enterprise=firm,
            kind=kind,
            percentage=pct,
            title=(title or "").strip()[:64],
            valid_from=valid_from,
            valid_to=valid_to,
            source=source,
            created_by=actor,
        )
        changes: dict[str, Any] = {
            "person": person.pk,
            "enterprise": firm.pk,
            "kind": kind,
            "percentage": str(pct) if pct is not None else None,
        }
    elif kind in Kinship.values and kind != Kinship.SAME_AS:
        other = Person.objects.filter(pk=to_person_id).first() if to_person_id else None
        if other is None or not _may_edit_person(actor, other):
            raise _invalid("to_person", _("请选择关系人。"))
        if other.pk == person.pk:
            raise _invalid("to_person", _("不能与本人建立关系。"))
        if PersonRelation.objects.filter(
            from_person=person, to_person=other, kind=kind, valid_to__isnull=True
        ).exists():
            raise Conflict(_("该关系已登记。"))
        relation = PersonRelation.objects.create(
            from_person=person,
            to_person=other,
            kind=kind,
            detail=(detail or "").strip()[:100],
            valid_from=valid_from,
            valid_to=valid_to,
            source=source,
            created_by=actor,
        )
        changes = {"from": person.pk, "to": other.pk, "kind": kind}
    else:
        raise _invalid("kind", _("请选择关系类型。"))
    record(
        actor=actor,
        action="relations.relation_create",
        obj=relation,
        role=primary_role(actor),
        changes=changes,
    )
    return relation


@transaction.atomic
def relation_end(
    *, actor: Any, relation_id: int, firm: bool, valid_to: dt.date | None = None
) -> PersonRelation | FirmRelation:
    """End a relation (divorce, shares sold, left the post) from a date; history is kept."""
    model: Any = FirmRelation if firm else PersonRelation
    relation = model.objects.select_for_update().filter(pk=relation_id).first()
    if relation is None:
        raise NotPermitted(_("您不能修改该关系。"))
    owner = relation.person if firm else relation.from_person
    if not _may_edit_person(actor, owner) or (
        not firm and relation.kind == Kinship.SAME_AS and not may_confirm_matches(actor)
    ):
        raise NotPermitted(_("您不能修改该关系。"))
    if relation.valid_to is not None:
        raise Conflict(_("该关系已终止。"))
    end = valid_to or _today()
    if relation.valid_from and end < relation.valid_from:
        raise _invalid("valid_to", _("终止日期不能早于起始日期。"))
    relation.valid_to = end
    relation.save(update_fields=["valid_to"])
    record(
        actor=actor,
        action="relations.relation_end",
        obj=relation,
        role=primary_role(actor),
        changes={"valid_to": str(end), "firm": firm},
    )
    return relation


# --- match candidates -----------------------------------------------------------------------
def propose_candidates(*, people: Iterable[Person]) -> int:
    """Candidates between each of ``people`` and anyone with a similar name (one query per
    name block: the same surname key or pinyin initial). Never merges; returns how many."""
    created = 0
    for person in people:
        key, pinyin = person.name_key, person.pinyin_key
        if not key:
            continue
        block = Q(pinyin_key__startswith=pinyin[:1] or key[:1]) | Q(name_key__startswith=key[:1])
        if len(key) >= 3:
            block |= Q(name_key__endswith=key[-2:])
        pool = Person.objects.filter(block).exclude(pk=person.pk)
        known_pairs = set(
            MatchCandidate.objects.filter(Q(left=person) | Q(right=person)).values_list(
                "left_id", "right_id"
            )
        )
        rows = []
        for other_pk, other_name, other_hash in pool.values_list("pk", "name", "id_hash"):
            if person.id_hash and other_hash and person.id_hash != other_hash:
                continue  # different ID numbers: different people, whatever the name
            score, reasons = matching.similar(person.name, other_name)
            if score < CANDIDATE_THRESHOLD:
                continue
            left, right = sorted((person.pk, other_pk))
            if (left, right) in known_pairs:
                continue
            known_pairs.add((left, right))
            rows.append(MatchCandidate(left_id=left, right_id=right, score=score, reasons=reasons))
        MatchCandidate.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)
    return created


@transaction.atomic
def candidate_decide(
    *, actor: Any, candidate_id: int, confirm: bool, note: str = ""
) -> MatchCandidate:
    """A supervisor says whether two rows are the same human; confirming links them."""
    if not may_confirm_matches(actor):
        raise NotPermitted(_("只有监督员可以确认疑似同一人。"))
    candidate = MatchCandidate.objects.select_for_update().filter(pk=candidate_id).first()
    if candidate is None:
        raise NotPermitted(_("您不能处理该记录。"))
    if candidate.state != CandidateState.PENDING:
        raise Conflict(_("该疑似记录已处理。"))
    candidate.state = CandidateState.CONFIRMED if confirm else CandidateState.REJECTED
    candidate.decided_by, candidate.decided_at = actor, timezone.now()
    candidate.note = (note or "").strip()[:200]
    candidate.save(update_fields=["state", "decided_by", "decided_at", "note"])
    if confirm:
        PersonRelation.objects.create(
            from_person_id=candidate.left_id,
            to_person_id=candidate.right_id,
            kind=Kinship.SAME_AS,
            detail=_("监督员确认"),
            source=Source.MANUAL,
            created_by=actor,
        )
    record(
        actor=actor,
        action="relations.candidate_confirm" if confirm else "relations.candidate_reject",
        obj=candidate,
        role=primary_role(actor),
        changes={"left": candidate.left_id, "right": candidate.right_id},
    )
    return candidate


# --- detection ------------------------------------------------------------------------------
class ConflictOfInterest(Conflict):
    """Refused: the official is linked to the firm or person; carries the unsaved alert."""

    def __init__(self, message: str, *, alert: ConflictAlert, paths: list[ConflictPath]):
        super().__init__(message)
        self.alert = alert
        self.paths = paths


def _region_path(official: Any, firm_id: int | None) -> str:
    if firm_id:
        firm = Enterprise.objects.select_related("grid").filter(pk=firm_id).first()
        if firm is not None:
            return firm.grid.path
    for a in assignments_of(official):
        if a.region is not None:
            return a.region.path
        if a.department is not None:
            return a.department.region.path
    return ""


def conflict_check(
    *,
    official: Any,
    enterprise_ids: Iterable[int] = (),
    context: str,
    override_reason: str = "",
    user_ids: Iterable[int] = (),
    max_hops: int = DETECTION_HOPS,
) -> ConflictAlert | None:
    """Before ``official`` acts on firms / people: ``None`` when no path links them.

    With a path: an earlier override for the same context lets the action go on (returns
    that alert); an earlier recusal refuses it; otherwise the action is refused with a
    :class:`ConflictOfInterest` naming the path, unless ``override_reason`` is given, in
    which case the alert is recorded as overridden and returned. Call it inside the
    service that acts; decorate that service with :func:`record_conflict_refusals` so the
    refusal is kept for supervisors even though the service's transaction rolls back.
    """
    if official is None or getattr(official, "pk", None) is None:
        return None
    context = (context or "").strip()[:200]
    paths = find_conflicts(
        user=official, enterprise_ids=enterprise_ids, user_ids=user_ids, max_hops=max_hops
    )
    if not paths:
        return None
    earlier = (
        ConflictAlert.objects.filter(official=official, context=context)
        .exclude(state=AlertState.OPEN)
        .order_by("-pk")
        .first()
    )
    if earlier is not None and earlier.state == AlertState.OVERRIDDEN:
        return earlier
    path = paths[0]
    if earlier is not None and earlier.state == AlertState.RECUSED:
        raise Conflict(
            _("您已就此事项申请回避，不能继续办理。关系路径：%(p)s") % {"p": path.describe()}
        )
    alert = ConflictAlert(
        official=official,
        enterprise_id=path.enterprise_id,
        other_user_id=path.user_id,
        path={"paths": [p.as_json() for p in paths]},
        description=path.describe()[:1000],
        context=context,
        region_path=_region_path(official, path.enterprise_id),
    )
    reason = (override_reason or "").strip()
    if not reason:
        raise ConflictOfInterest(
            _("存在利益冲突：%(p)s。请申请回避，或说明理由后继续办理（理由将报监督员）。")
            % {"p": path.describe()},
            alert=alert,
            paths=paths,
        )
    with transaction.atomic():
        open_alert = (
            ConflictAlert.objects.select_for_update()
            .filter(official=official, context=context, state=AlertState.OPEN)
            .first()
        )
        if open_alert is not None:
            alert = open_alert
        alert.state, alert.reason = AlertState.OVERRIDDEN, reason[:2000]
        alert.decided_by, alert.decided_at = official, timezone.now()
        alert.save()
        record(
            actor=official,
            action="relations.alert_override",
            obj=alert,
            role=primary_role(official),
            changes={"context": context, "path": alert.description, "reason": alert.reason},
        )
    return alert


def raise_alert(alert: ConflictAlert) -> ConflictAlert:
    """Keep a refused action's open alert (one per official and context)."""
    with transaction.atomic():
        existing = ConflictAlert.objects.filter(
            official_id=alert.official_id, context=alert.context, state=AlertState.OPEN
        ).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                alert.save()
        except IntegrityError:  # a concurrent refusal kept it first
            return ConflictAlert.objects.get(
                official_id=alert.official_id, context=alert.context, state=AlertState.OPEN
            )
        record(
            actor=alert.official,
            action="relations.alert_raise",
            obj=alert,
            role=primary_role(alert.official),
            changes={"context": alert.context, "path": alert.description},
        )
    from .tasks import notify_alert

    alert_pk = alert.pk
    transaction.on_commit(lambda: notify_alert.enqueue(alert_pk))
    return alert


F = TypeVar("F", bound=Callable[..., Any])


def record_conflict_refusals(func: F) -> F:
    """Put outside ``@transaction.atomic``: after the refused service has rolled back, the
    open alert is written in its own transaction and the refusal propagates unchanged."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConflictOfInterest as refusal:
            refusal.alert = raise_alert(refusal.alert)
            # what an API client needs to go on with a reason or to recuse
            refusal.field_errors = {
                "override_reason": [p.describe() for p in refusal.paths],
                "alert_id": [str(refusal.alert.pk)],
            }
            raise

    return wrapper  # type: ignore[return-value]


@transaction.atomic
def alert_decide(*, actor: Any, alert_id: int, recuse: bool, reason: str = "") -> ConflictAlert:
    """The official recuses, or goes on with a reason (which supervisors then read)."""
    alert = ConflictAlert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None or alert.official_id != getattr(actor, "pk", None):
        raise NotPermitted(_("只有预警涉及的干部本人可以申请回避或说明理由。"))
    if alert.state != AlertState.OPEN:
        raise Conflict(_("该预警已处理。"))
    reason = (reason or "").strip()
    if not recuse and not reason:
        raise _invalid("reason", _("继续办理须说明理由。"))
    if len(reason) > 2000:
        raise _invalid("reason", _("理由不超过2000字。"))
    alert.state = AlertState.RECUSED if recuse else AlertState.OVERRIDDEN
    alert.reason = reason or _("本人申请回避")
    alert.decided_by, alert.decided_at = actor, timezone.now()
    alert.save(update_fields=["state", "reason", "decided_by", "decided_at"])
    record(
        actor=actor,
        action="relations.alert_recuse" if recuse else "relations.alert_override",
        obj=alert,
        role=primary_role(actor),
        changes={"context": alert.context, "reason": alert.reason},
    )
    return alert


# --- hooks called by other apps -------------------------------------------------------------
#: the demand actions by which a handler acts on the case for the firm
HANDLING_ACTIONS = {"accept", "start", "wait_firm", "resume", "reply"}


def demand_handling_check(
    *, actor: Any, demand: Any, action: str, override_reason: str = ""
) -> None:
    """Called by ``demands.services.demand_act``: a handler acting on a firm's demand (with
    the handler's reason to go on despite a conflict, if they gave one)."""
    from qinqing.demands.workflow import is_handler_of_department

    if actor is None or action not in HANDLING_ACTIONS:
        return
    if not is_handler_of_department(actor, demand):
        return
    conflict_check(
        official=actor,
        enterprise_ids=[demand.enterprise_id],
        context=f"demand:{demand.number}",
        override_reason=override_reason,
    )


#: messages of ``outreach.pairings.pairing_create`` (kept in this app's catalogue)
PAIRING_MESSAGES = {
    "not_official": gettext_lazy("只能安排干部结对。"),
    "duplicate": gettext_lazy("该干部已与该企业结对。"),
}


def pairing_check(*, official: Any, enterprise_id: int, override_reason: str = "") -> None:
    """Called when an official is paired with a firm."""
    conflict_check(
        official=official,
        enterprise_ids=[enterprise_id],
        context=f"pairing:{enterprise_id}",
        override_reason=override_reason,
    )


@transaction.atomic
def relative_add(
    *,
    actor: Any,
    person_id: int,
    kind: str,
    name: str,
    gender: str = "",
    id_number: str = "",
    valid_from: dt.date | None = None,
) -> PersonRelation:
    """A new related person and the relation to them, together or not at all."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not _may_edit_person(actor, person):
        raise NotPermitted(_("您不能为该人员登记关系。"))
    if kind not in Kinship.values or kind == Kinship.SAME_AS:
        raise _invalid("kind", _("请选择关系类型。"))
    other = person_create(actor=actor, name=name, gender=gender, id_number=id_number)
    relation = relation_create(
        actor=actor,
        from_person_id=person.pk,
        kind=kind,
        to_person_id=other.pk,
        valid_from=valid_from,
    )
    assert isinstance(relation, PersonRelation)
    return relation


def alerts_export_record(*, actor: Any, rows: int) -> None:
    with transaction.atomic():
        record(
            actor=actor,
            action="relations.export",
            object_type="relations.conflictalert",
            role=primary_role(actor),
            changes={"rows": rows},
        )
