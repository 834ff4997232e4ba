"""Who may see demands, and who may submit them for a firm."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of
from qinqing.directory.models import Enterprise
from qinqing.directory.selectors import consenting_members

from .models import Assist

#: roles that see every demand in their region subtree
#  (officials are not among them: least privilege; they see their paired firms' cases)
REGION_READERS = {Role.COORDINATOR, Role.SUPERVISOR, Role.STEWARD}


def demand_scope(user: Any) -> Q:
    """A filter for the demands ``user`` may read (nothing for roles without a case duty)."""
    condition = Q(pk__in=[])
    for a in assignments_of(user):
        if a.role in REGION_READERS and a.region is not None:
            condition |= Q(region_path__startswith=a.region.path)
        elif a.role == Role.ENTERPRISE and a.enterprise_id is not None:
            condition |= Q(enterprise_id=a.enterprise_id)
        elif a.role == Role.CHAMBER and a.chamber_id is not None:
            # only what the chamber raised, for members whose consent still stands
            condition |= Q(channel="chamber", enterprise_id__in=consenting_members(a.chamber_id))
        elif a.role == Role.HANDLER and a.department_id is not None:
            assisted = Assist.objects.filter(department_id=a.department_id).values("demand_id")
            condition |= Q(department_id=a.department_id) | Q(pk__in=assisted)
    return condition


class ConsentLookup:
    """Chamber consents read once for a whole list of firms: pass one to ``submit_channels``
    when asking about many firms (one query instead of one per firm)."""

    def __init__(self) -> None:
        self._any: set[int] | None = None
        self._members: dict[int, set[int]] = {}

    def any_consent(self, enterprise_id: int) -> bool:
        if self._any is None:
            from qinqing.outreach.models import ChamberConsent

            self._any = set(
                ChamberConsent.objects.filter(revoked_at__isnull=True).values_list(
                    "enterprise_id", flat=True
                )
            )
        return enterprise_id in self._any

    def member(self, chamber_id: int, enterprise_id: int) -> bool:
        if chamber_id not in self._members:
            self._members[chamber_id] = {
                row["enterprise_id"] for row in consenting_members(chamber_id)
            }
        return enterprise_id in self._members[chamber_id]


def submit_channels(
    user: Any, enterprise: Enterprise, *, consents: ConsentLookup | None = None
) -> list[str]:
    """The channels through which ``user`` may raise a demand for ``enterprise``, the usual
    one first ("visit" is a problem found on a visit, raised by the steward or coordinator)."""
    channels = []
    for a in assignments_of(user):
        if a.role == Role.ENTERPRISE and a.enterprise_id == enterprise.pk:
            channels.append("portal")
        elif a.role == Role.STEWARD and a.region and enterprise.grid.path.startswith(a.region.path):
            channels += ["steward", "visit"]
        elif (
            a.role == Role.COORDINATOR
            and a.region
            and enterprise.grid.path.startswith(a.region.path)
        ):
            channels += ["phone", "visit"]
            if (
                consents.any_consent(enterprise.pk)
                if consents is not None
                else _has_chamber_consent(enterprise)
            ):
                channels.append("chamber")  # the coordinator records what the chamber raised
        elif (
            a.role == Role.CHAMBER
            and a.chamber_id is not None
            and (
                consents.member(a.chamber_id, enterprise.pk)
                if consents is not None
                else consenting_members(a.chamber_id).filter(enterprise_id=enterprise.pk).exists()
            )
        ):
            channels.append("chamber")
    return list(dict.fromkeys(channels))


#: the channels a caller may name when raising a demand through the API (the web's pages)
API_CHANNELS = ("portal", "steward", "phone", "chamber", "visit")


def api_channel(user: Any, enterprise: Enterprise) -> str:
    """The channel of a demand raised through the API when the caller names none.

    The same rule as the web's pages: what a chamber's liaison raises for a consenting member
    is a chamber demand (``chamber``, which is also what the liaison may read back: see
    ``demand_scope``); anything else raised through the API is ``api``.
    """
    for a in assignments_of(user):
        if (
            a.role == Role.CHAMBER
            and a.chamber_id is not None
            and consenting_members(a.chamber_id).filter(enterprise_id=enterprise.pk).exists()
        ):
            return "chamber"
    return "api"


def _has_chamber_consent(enterprise: Enterprise) -> bool:
    from qinqing.outreach.models import ChamberConsent

    return ChamberConsent.objects.filter(enterprise=enterprise, revoked_at__isnull=True).exists()


def is_staff_of_demand(user: Any, demand: Any) -> bool:
    """Staff who may read internal notes: region readers, the lead and the assisting handlers."""
    departments = set()
    for a in assignments_of(user):
        if a.role in REGION_READERS and a.region and demand.region_path.startswith(a.region.path):
            return True
        if a.role == Role.HANDLER and a.department_id:
            departments.add(a.department_id)
    if not departments:
        return False
    if demand.department_id in departments:
        return True
    return Assist.objects.filter(demand_id=demand.pk, department_id__in=departments).exists()
