"""矛盾调解 (mediation): services and selectors for dispute cases.

Coordinators of a town open cases and assign a mediator; the mediator records sessions and
closes the case with an outcome (and the signed agreement as a file). Coordinators and
supervisors of the region and the mediator see the case; firms do not see other parties.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from qinqing.accounts.models import Role, RoleAssignment, User
from qinqing.accounts.scopes import assignments_of, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.files import JPEG, PDF, PNG, accepting, display_name, inspect
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Enterprise, Region, RegionLevel

from .models import (
    DisputeType,
    MediationCase,
    MediationCounter,
    MediationOutcome,
    MediationParty,
    MediationSession,
    PartyKind,
)

for _action, _label in [
    ("mediation.open", _l("受理调解")),
    ("mediation.session", _l("记录调解")),
    ("mediation.close", _l("调解结案")),
    ("mediation.view", _l("查看调解案件")),
]:
    register(_action, _label)

#: by extension; the content is checked by its structure (``common.files.inspect``)
AGREEMENT_KINDS = accepting(PDF, JPEG, PNG)
AGREEMENT_MAX_BYTES = 10 * 1024 * 1024


def _region_paths(user: Any, *roles: str) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role in roles and a.region]


def mediations_visible_to(user: Any) -> QuerySet[MediationCase]:
    condition = Q(mediator=user) if getattr(user, "pk", None) else Q(pk__in=[])
    for path in _region_paths(user, Role.COORDINATOR, Role.SUPERVISOR):
        condition |= Q(region_path__startswith=path)
    return MediationCase.objects.select_related("region", "mediator").filter(condition)


def mediation_regions_for(user: Any) -> list[Region]:
    """The regions (down to communities) where ``user`` may open a case: a coordinator's."""
    paths = _region_paths(user, Role.COORDINATOR)
    if not paths:
        return []
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return list(Region.objects.filter(condition, level__lte=RegionLevel.COMMUNITY).order_by("path"))


def mediators_for(regions: list[Region]) -> list[Any]:
    """Staff of the regions who can mediate: coordinators and stewards there."""
    condition = Q(pk__in=[])
    for region in regions:
        condition |= Q(region__path__startswith=region.path)
    ids = RoleAssignment.objects.filter(
        condition, role__in=[Role.COORDINATOR, Role.STEWARD]
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("display_name"))


def party_enterprise(uscc: str) -> Enterprise | str | None:
    """The firm a party names by its USCC; "missing" (refused by ``mediation_open``) when no
    firm has it; None when no USCC is given."""
    uscc = (uscc or "").strip().upper()
    if not uscc:
        return None
    return Enterprise.objects.filter(uscc=uscc).first() or "missing"


def mediation_detail(*, user: Any, case_id: int) -> MediationCase:
    return mediations_visible_to(user).get(pk=case_id)


def mediation_summary(*, user: Any) -> dict[str, int]:
    """Counts for the list page (and the statistics): open, and closed per outcome."""
    counts = mediations_visible_to(user).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(closed_at__isnull=True)),
        **{o.value: Count("pk", filter=Q(outcome=o.value)) for o in MediationOutcome},
    )
    return {k: int(v or 0) for k, v in counts.items()}


def _next_number(year: int) -> str:
    counter, _created = MediationCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"TJ-{year}-{counter.last:06d}"


@transaction.atomic
def mediation_open(
    *,
    actor: Any,
    region: Region,
    dispute_type: str,
    title: str,
    description: str,
    mediator: Any,
    parties: list[dict[str, Any]],
    opened_at: datetime | None = None,
) -> MediationCase:
    """Open a case; parties: [{"kind", "name", "phone", "enterprise"}], at least two."""
    paths = _region_paths(actor, Role.COORDINATOR)
    if not any(region.path.startswith(p) for p in paths):
        raise NotPermitted(_("只有本辖区的协调员可以受理调解。"))
    errors: dict[str, list[str]] = {}
    if dispute_type not in DisputeType.values:
        errors["dispute_type"] = [_("请选择纠纷类型。")]
    if not (title or "").strip():
        errors["title"] = [_("请填写案由。")]
    if len((description or "").strip()) < 5:
        errors["description"] = [_("请简要说明纠纷概况（至少5个字）。")]
    if mediator is None or not mediator.is_active:
        errors["mediator"] = [_("请选择调解员。")]
    clean_parties = [p for p in parties if (p.get("name") or "").strip()]
    if len(clean_parties) < 2:
        errors["parties"] = [_("至少需要两方当事人。")]
    for party in clean_parties:
        if party.get("kind") not in PartyKind.values:
            errors["parties"] = [_("当事人类型不正确。")]
        enterprise = party.get("enterprise")
        if enterprise is not None and not isinstance(enterprise, Enterprise):
            errors["parties"] = [_("当事企业不存在。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    now = opened_at or timezone.now()
    case = MediationCase.objects.create(
        number=_next_number(now.astimezone(SHANGHAI).year),
        region=region,
        region_path=region.path,
        dispute_type=dispute_type,
        title=title.strip(),
        description=description.strip(),
        mediator=mediator,
        created_by=actor,
        opened_at=now,
    )
    MediationParty.objects.bulk_create(
        MediationParty(
            case=case,
            kind=p["kind"],
            name=p["name"].strip(),
            phone=(p.get("phone") or "").strip(),
            enterprise=p.get("enterprise"),
        )
        for p in clean_parties
    )
    record(
        actor=actor,
        action="mediation.open",
        obj=case,
        role=primary_role(actor),
        changes={
            "dispute_type": dispute_type,
            "mediator": mediator.pk,
            "parties": len(clean_parties),
        },
    )
    return case


def _require_mediator_or_coordinator(actor: Any, case: MediationCase) -> None:
    paths = _region_paths(actor, Role.COORDINATOR)
    if case.mediator_id != getattr(actor, "pk", None) and not any(
        case.region_path.startswith(p) for p in paths
    ):
        raise NotPermitted(_("只有调解员或本辖区协调员可以操作该调解案件。"))


@transaction.atomic
def mediation_session_add(
    *, actor: Any, case_id: int, held_at: datetime, notes: str, place: str = ""
) -> MediationSession:
    case = MediationCase.objects.select_for_update().get(pk=case_id)
    _require_mediator_or_coordinator(actor, case)
    if case.closed_at is not None:
        raise Conflict(_("该调解案件已结案。"))
    if not (notes or "").strip():
        raise ServiceError(_("请填写调解记录。"), field_errors={"notes": [_("必填。")]})
    if held_at > timezone.now():
        raise ServiceError(_("调解时间不能晚于现在。"), field_errors={"held_at": [_("时间有误。")]})
    session = MediationSession.objects.create(
        case=case,
        held_at=held_at,
        place=(place or "").strip(),
        notes=notes.strip(),
        recorded_by=actor,
    )
    record(actor=actor, action="mediation.session", obj=case, role=primary_role(actor))
    return session


@transaction.atomic
def mediation_close(
    *,
    actor: Any,
    case_id: int,
    outcome: str,
    note: str,
    agreement: UploadedFile | None = None,
) -> MediationCase:
    case = MediationCase.objects.select_for_update().get(pk=case_id)
    _require_mediator_or_coordinator(actor, case)
    if case.closed_at is not None:
        raise Conflict(_("该调解案件已结案。"))
    if outcome not in MediationOutcome.values:
        raise ServiceError(_("请选择调解结果。"), field_errors={"outcome": [_("必填。")]})
    if not (note or "").strip():
        raise ServiceError(_("请填写结果说明。"), field_errors={"note": [_("必填。")]})
    if outcome == MediationOutcome.AGREEMENT and agreement is None:
        raise ServiceError(
            _("调解成功须上传调解协议。"), field_errors={"agreement": [_("请上传协议文件。")]}
        )
    if agreement is not None:
        if agreement.size is None or agreement.size > AGREEMENT_MAX_BYTES:
            raise ServiceError(
                _("协议文件不能超过10MB。"), field_errors={"agreement": [_("过大。")]}
            )
        name = display_name(agreement.name or "")
        kind = AGREEMENT_KINDS.get(os.path.splitext(name)[1].lower())
        if kind is None:
            raise ServiceError(
                _("协议文件须为PDF、JPG或PNG。"), field_errors={"agreement": [_("类型不支持。")]}
            )
        inspect(agreement, kind, name=name, field="agreement")
        case.agreement.save(agreement.name or "agreement", agreement, save=False)
    if not case.sessions.exists():
        raise Conflict(_("请先记录至少一次调解，再结案。"))
    case.outcome, case.outcome_note, case.closed_at = outcome, note.strip(), timezone.now()
    case.save()
    record(
        actor=actor,
        action="mediation.close",
        obj=case,
        role=primary_role(actor),
        changes={"outcome": outcome},
    )
    return case


def mediation_record_view(*, actor: Any, case: MediationCase) -> None:
    with transaction.atomic():
        record(actor=actor, action="mediation.view", obj=case, role=primary_role(actor))


def mediation_counts(
    *, start: datetime, end: datetime, regions: list[Region]
) -> list[dict[str, Any]]:
    """Cases opened in [start, end) per region row (a subtree each), by outcome; no details.

    One grouped query over the towns that have cases, rolled up to the rows in Python.
    """
    rows = {
        r.pk: {"region": r.name, "total": 0, "open": 0, **{o.value: 0 for o in MediationOutcome}}
        for r in regions
    }
    grouped = (
        MediationCase.objects.filter(opened_at__gte=start, opened_at__lt=end)
        .values("region_path", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for item in grouped:
        for region in regions:
            if item["region_path"].startswith(region.path):
                row = rows[region.pk]
                row["total"] += item["n"]
                row[item["outcome"] or "open"] += item["n"]
    return [rows[r.pk] for r in regions if rows[r.pk]["total"]]
