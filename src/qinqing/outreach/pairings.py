"""Named pairing (列名结对): the contact log and who is falling behind the contact rule.

An official is paired with named firms; each pairing asks for ``contacts_per_quarter``
contacts (a visit, a call or a meeting) in every calendar quarter, counted by the date of
the contact, which is a date in Asia/Shanghai (a contact on 31 March counts for Q1).

- Only the paired official logs a contact (not a supervisor, not another official).
- The official sees their own pairings; supervisors see the pairings and contacts of the
  firms in their region. Anyone else: "not found".
- A pairing is judged from its first full quarter: one begun during a quarter is shown
  in that quarter but only counted as behind from the next one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.directory.models import Pairing
from qinqing.integrity.relations.services import (  # relations: conflict-of-interest hook
    PAIRING_MESSAGES as _PAIRING_MESSAGES,
)
from qinqing.integrity.relations.services import (  # relations: conflict-of-interest hook
    pairing_check as _pairing_check,
)
from qinqing.integrity.relations.services import (  # relations: conflict-of-interest hook
    record_conflict_refusals as _record_conflict_refusals,
)

from .meetings import Quarter, local_date
from .models import PairingContact

register("pairing.contact", gettext_lazy("记录结对联系"))
register("pairing.view", gettext_lazy("查看结对联系记录"))
register("pairing.export", gettext_lazy("导出结对联系情况"))

MET = "met"
DUE = "due"
OVERDUE = "overdue"
NEW = "new"
STATE_LABELS = {
    MET: gettext_lazy("已达标"),
    DUE: gettext_lazy("本季度尚未达标"),
    OVERDUE: gettext_lazy("未达标"),
    NEW: gettext_lazy("结对首季度"),
}


def supervisor_paths(user: Any) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role == Role.SUPERVISOR and a.region]


def is_official(user: Any) -> bool:
    return has_role(user, Role.OFFICIAL)


def may_read_pairings(user: Any) -> bool:
    return has_role(user, Role.OFFICIAL, Role.SUPERVISOR)


# --- selectors ------------------------------------------------------------------------------
def pairing_scope(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    condition = Q(pk__in=[])
    if is_official(user):
        condition |= Q(official=user)
    for path in supervisor_paths(user):
        condition |= Q(enterprise__grid__path__startswith=path)
    return condition


def pairings_visible_to(user: Any) -> QuerySet[Pairing]:
    return (
        Pairing.objects.filter(pairing_scope(user))
        .select_related("official", "enterprise", "enterprise__grid")
        .order_by("official__display_name", "official_id", "enterprise__name", "pk")
    )


def pairing_detail(*, user: Any, pairing_id: int) -> Pairing:
    """Raises Pairing.DoesNotExist for a pairing outside the reader's scope."""
    return pairings_visible_to(user).get(pk=pairing_id)


def contacts_of(pairing: Pairing) -> QuerySet[PairingContact]:
    return PairingContact.objects.filter(pairing=pairing).select_related("logged_by")


def contacts_visible_to(user: Any) -> QuerySet[PairingContact]:
    visible = pairings_visible_to(user).values("pk")
    return PairingContact.objects.filter(pairing_id__in=visible).select_related(
        "pairing", "pairing__official", "pairing__enterprise", "logged_by"
    )


@dataclass(frozen=True)
class PairingStatus:
    pairing: Pairing
    quarter: Quarter
    done: int
    required: int
    state: str
    last_contact_on: dt.date | None

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def behind(self) -> bool:
        return self.state in (DUE, OVERDUE)


def judged_in(pairing: Pairing, quarter: Quarter) -> bool:
    """A pairing counts from its first full quarter to the last quarter it fully covers."""
    if pairing.ended_on is not None and pairing.ended_on < quarter.end:
        return False
    return pairing.started_on <= quarter.start


def pairing_statuses(
    pairings: QuerySet[Pairing], *, quarter: Quarter, today: dt.date
) -> list[PairingStatus]:
    """One row per pairing begun by the end of ``quarter``: contacts in it against the rule.

    One query: the contacts of the quarter are counted in the database.
    """
    in_quarter = Q(
        contacts__contacted_on__gte=quarter.start, contacts__contacted_on__lte=quarter.end
    )
    rows = pairings.filter(started_on__lte=quarter.end).annotate(
        done=Count("contacts", filter=in_quarter),
        last_contact=Max(
            "contacts__contacted_on", filter=Q(contacts__contacted_on__lte=quarter.end)
        ),
    )
    out = []
    for p in rows:
        done, required = p.done, p.contacts_per_quarter  # type: ignore[attr-defined]
        if done >= required:
            state = MET
        elif not judged_in(p, quarter):
            state = NEW
        elif today > quarter.end:
            state = OVERDUE
        else:
            state = DUE
        out.append(
            PairingStatus(
                pairing=p,
                quarter=quarter,
                done=done,
                required=required,
                state=state,
                last_contact_on=p.last_contact,  # type: ignore[attr-defined]
            )
        )
    return out


def today_in_shanghai(now: dt.datetime | None = None) -> dt.date:
    return local_date(now or timezone.now())


def pairings_behind(
    *, user: Any, quarter: Quarter | None = None, now: dt.datetime | None = None
) -> list[PairingStatus]:
    """Pairings visible to ``user`` short of the rule in ``quarter`` (default: the last
    finished quarter, in which being short means overdue)."""
    today = today_in_shanghai(now)
    quarter = quarter or Quarter.of(today).previous
    return [
        s
        for s in pairing_statuses(pairings_visible_to(user), quarter=quarter, today=today)
        if s.behind
    ]


@dataclass(frozen=True)
class PairingOverview:
    quarter: Quarter
    today: dt.date
    rows: list[PairingStatus]
    overdue: list[PairingStatus]  # short in the last finished quarter

    @property
    def met(self) -> int:
        return sum(1 for r in self.rows if r.state == MET)

    @property
    def behind(self) -> int:
        return sum(1 for r in self.rows if r.behind)


def pairing_overview(
    *, user: Any, quarter: Quarter | None = None, now: dt.datetime | None = None
) -> PairingOverview:
    today = today_in_shanghai(now)
    quarter = quarter or Quarter.of(today)
    visible = pairings_visible_to(user)
    rows = pairing_statuses(visible, quarter=quarter, today=today)
    last = Quarter.of(today).previous
    overdue = [
        s for s in pairing_statuses(visible, quarter=last, today=today) if s.state == OVERDUE
    ]
    return PairingOverview(quarter=quarter, today=today, rows=rows, overdue=overdue)


# --- services -------------------------------------------------------------------------------
@transaction.atomic
def contact_log(
    *,
    actor: Any,
    pairing_id: int,
    kind: str,
    contacted_on: dt.date | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> PairingContact:
    """The paired official records one contact with the firm."""
    pairing = (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .filter(pk=pairing_id)
        .first()
    )
    if pairing is None or not is_official(actor) or pairing.official_id != actor.pk:
        raise NotPermitted(_("只有结对干部本人可以记录与结对企业的联系。"))
    errors: dict[str, list[str]] = {}
    if kind not in PairingContact.Kind.values:
        errors["kind"] = [_("请选择联系方式。")]
    today = today_in_shanghai(now)
    if contacted_on is None:
        errors["contacted_on"] = [_("请填写联系日期。")]
    elif contacted_on > today:
        errors["contacted_on"] = [_("联系日期不能晚于今天。")]
    elif pairing.ended_on is not None and contacted_on > pairing.ended_on:
        errors["contacted_on"] = [_("结对已于%(d)s结束。") % {"d": pairing.ended_on.isoformat()}]
    elif contacted_on < pairing.started_on:
        errors["contacted_on"] = [
            _("联系日期不能早于结对日期（%(d)s）。") % {"d": pairing.started_on.isoformat()}
        ]
    note = (note or "").strip()
    if len(note) > 5000:
        errors["note"] = [_("内容不超过5000字。")]
    if errors or contacted_on is None:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    contact = PairingContact.objects.create(
        pairing=pairing, kind=kind, contacted_on=contacted_on, note=note, logged_by=actor
    )
    record(
        actor=actor,
        action="pairing.contact",
        obj=contact,
        role=primary_role(actor),
        changes={
            "pairing": pairing.pk,
            "enterprise": pairing.enterprise_id,
            "kind": kind,
            "contacted_on": str(contacted_on),
        },
    )
    return contact


def pairing_record_view(*, actor: Any, pairing_id: int) -> None:
    """A supervisor reading a pairing's contact log leaves an access record (the official
    reading their own does not)."""
    pairing = Pairing.objects.filter(pk=pairing_id).first()
    if pairing is None or pairing.official_id == getattr(actor, "pk", None):
        return
    record(
        actor=actor,
        action="pairing.view",
        obj=pairing,
        role=primary_role(actor),
        changes={"enterprise": pairing.enterprise_id},
    )


def pairing_record_export(*, actor: Any, quarter: Quarter, rows: int) -> None:
    """An access entry for a supervisor's Excel export of the pairings of a quarter."""
    record(
        actor=actor,
        action="pairing.export",
        object_type="directory.pairing",
        role=primary_role(actor),
        changes={"quarter": quarter.code, "rows": rows},
    )


@_record_conflict_refusals  # relations: keep the alert of a refused conflicted pairing
@transaction.atomic
def pairing_create(
    *,
    actor: Any,
    official: Any,
    enterprise_id: int,
    started_on: dt.date,
    contacts_per_quarter: int = 1,
    override_reason: str = "",
) -> Pairing:
    """Pair an official with a firm (a supervisor of the firm's region or a system admin);
    refused when the official is linked to the firm, unless a reason is given."""
    from qinqing.directory.models import Enterprise

    firm = Enterprise.objects.select_related("grid").filter(pk=enterprise_id).first()
    if firm is None or not (
        has_role(actor, Role.SYSTEM_ADMIN)
        or any(firm.grid.path.startswith(p) for p in supervisor_paths(actor))
    ):
        raise NotPermitted(_("您没有执行此操作的权限。"))
    if not is_official(official):
        message = str(_PAIRING_MESSAGES["not_official"])
        raise ServiceError(message, field_errors={"official": [message]})
    if Pairing.objects.filter(official=official, enterprise=firm).exists():
        raise ServiceError(str(_PAIRING_MESSAGES["duplicate"]))
    # relations: the conflict-of-interest check before the pairing is made
    _pairing_check(official=official, enterprise_id=firm.pk, override_reason=override_reason)
    pairing = Pairing.objects.create(
        official=official,
        enterprise=firm,
        started_on=started_on,
        contacts_per_quarter=contacts_per_quarter,
    )
    record(
        actor=actor,
        action="pairing.create",
        obj=pairing,
        role=primary_role(actor),
        changes={"official": official.pk, "enterprise": firm.pk},
    )
    return pairing
