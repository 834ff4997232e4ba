"""Every directory read, scoped to the reader."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role

from .models import Department, Enterprise, Region, RegionLevel, ServiceHome


def consenting_members(chamber_id: int) -> Any:
    """Member firms that have consented that the chamber acts for them (a subquery)."""
    from qinqing.outreach.models import ChamberConsent

    return ChamberConsent.objects.filter(
        chamber_id=chamber_id,
        revoked_at__isnull=True,
        enterprise__chambermembership__chamber_id=chamber_id,
    ).values("enterprise_id")


def enterprise_scope(user: Any) -> Q | None:
    """A filter for the firms ``user`` may see; None means every firm."""
    if has_role(user, Role.SYSTEM_ADMIN):
        return None
    condition = Q(pk__in=[])
    for a in assignments_of(user):
        if a.region is not None:
            condition |= Q(grid__path__startswith=a.region.path)
        elif a.enterprise_id is not None:
            condition |= Q(pk=a.enterprise_id)
        elif a.department is not None:
            condition |= Q(grid__path__startswith=a.department.region.path)
        elif a.chamber_id is not None:
            condition |= Q(pk__in=consenting_members(a.chamber_id))
        if a.role == Role.OFFICIAL:
            condition |= Q(pairings__official=user)
    return condition


def enterprises_visible_to(user: Any) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.select_related("grid", "grid__parent")
    condition = enterprise_scope(user)
    if condition is None:
        return qs
    if any(a.role == Role.OFFICIAL for a in assignments_of(user)):
        return qs.filter(pk__in=Enterprise.objects.filter(condition).values("pk"))
    return qs.filter(condition)


def enterprise_list(
    *,
    user: Any,
    query: str = "",
    region: Region | None = None,
    industry: str = "",
    size: str = "",
) -> QuerySet[Enterprise]:
    qs = enterprises_visible_to(user)
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(uscc=query.upper())
            | Q(legal_representative__icontains=query)
        )
    if region is not None:
        qs = qs.filter(grid__path__startswith=region.path)
    if industry:
        qs = qs.filter(industry_section=industry)
    if size == "above":
        qs = qs.filter(above_scale=True)
    elif size == "below":
        qs = qs.filter(above_scale=False)
    return qs.order_by("name", "pk")


def enterprise_detail(*, user: Any, enterprise_id: int) -> Enterprise:
    """Raises Enterprise.DoesNotExist for a firm outside the reader's scope."""
    return enterprises_visible_to(user).get(pk=enterprise_id)


def regions_all() -> QuerySet[Region]:
    return Region.objects.select_related("parent").order_by("path")


def region_children(parent: Region | None) -> QuerySet[Region]:
    """Children with counts of direct children and of firms in the subtree's grids."""
    qs = Region.objects.filter(parent=parent).annotate(child_count=Count("children"))
    return qs.order_by("code")


def region_ancestors(region: Region) -> list[Region]:
    codes = [c for c in region.path.strip("/").split("/") if c]
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def region_by_name(name: str) -> Region | None:
    """The region called ``name``, the highest one when the name repeats."""
    return Region.objects.filter(name=name).order_by("level", "path").first()


def grids_in(region: Region) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=region.path, level=RegionLevel.GRID)


def departments_visible_to(user: Any, *, region: Region | None = None) -> QuerySet[Department]:
    qs = Department.objects.select_related("region")
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return qs.order_by("region__path", "name")


def homes_all() -> QuerySet[ServiceHome]:
    return ServiceHome.objects.select_related("region").order_by("region__path", "name")


def home_overview(*, user: Any) -> dict[str, Any]:
    """Figures for the role-aware home page."""
    own = [
        a.enterprise
        for a in assignments_of(user)
        if a.role in (Role.ENTERPRISE, Role.OBSERVER) and a.enterprise is not None
    ]
    my_firms = [{"firm": firm, "people": enterprise_people(firm)} for firm in own]
    staff = has_role(
        user,
        Role.STEWARD,
        Role.COORDINATOR,
        Role.OFFICIAL,
        Role.SUPERVISOR,
        Role.HANDLER,
        Role.SYSTEM_ADMIN,
    )
    counts = {"enterprises": 0, "above_scale": 0}
    if staff:
        counts = enterprises_visible_to(user).aggregate(
            enterprises=Count("pk"), above_scale=Count("pk", filter=Q(above_scale=True))
        )
    return {**counts, "staff": staff, "my_firms": my_firms}


def region_stats(region: Region) -> dict[str, Any]:
    """Counts for ``qinqing stats`` and the region page, each one query over the subtree."""
    from qinqing.accounts.models import Role, RoleAssignment

    subtree = Q(path__startswith=region.path)
    firms = Enterprise.objects.filter(grid__path__startswith=region.path).aggregate(
        enterprises=Count("pk"), above_scale=Count("pk", filter=Q(above_scale=True))
    )
    roles = RoleAssignment.objects.filter(
        Q(role=Role.STEWARD, region__path__startswith=region.path)
        | Q(role=Role.OBSERVER, enterprise__grid__path__startswith=region.path)
    ).aggregate(
        stewards=Count("user", filter=Q(role=Role.STEWARD), distinct=True),
        observers=Count("user", filter=Q(role=Role.OBSERVER), distinct=True),
    )
    return {
        "region": region.name,
        "code": region.code,
        "level": str(region.get_level_display()),
        "enterprises": firms["enterprises"],
        "above_scale": firms["above_scale"],
        "grids": Region.objects.filter(subtree, level=RegionLevel.GRID).count(),
        "stewards": roles["stewards"],
        "observers": roles["observers"],
        "homes": ServiceHome.objects.filter(region__path__startswith=region.path).count(),
        "departments": Department.objects.filter(region__path__startswith=region.path).count(),
    }


def enterprise_people(enterprise: Enterprise) -> dict[str, Any]:
    """The firm's steward(s), observers and paired officials, each list one query."""
    from qinqing.accounts.models import Role, RoleAssignment

    grid_paths = [enterprise.grid.path]
    stewards = [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.STEWARD, region__path__in=grid_paths
        ).select_related("user")
    ]
    observers = [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.OBSERVER, enterprise=enterprise
        ).select_related("user")
    ]
    officials = [p.official for p in enterprise.pairings.select_related("official")]
    return {"stewards": stewards, "observers": observers, "officials": officials}
