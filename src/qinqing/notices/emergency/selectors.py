"""Every read of 协同监测, scoped to the reader; the overview figures and their trend.

*Figures of a region in a period* (``figures``), over the monitored firms whose grid is in
the region:

- 应报企业 ``targeted``: firms the emergency addresses (its audience) in the region;
- 已报送 ``reported``: of them, firms with a report for the period; 报送率 = reported / targeted;
- 开工率 ``operating_share`` = (正常生产 + 部分生产) / reported; 满负荷 ``running_share`` =
  正常生产 / reported;
- 返岗率 ``return_rate`` = Σ在岗 / (Σ在岗 + Σ未返岗) over the reports;
- 紧急需求 ``needs``: reports with a need.

A rate whose denominator is zero is shown as "—" (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from qinqing.directory.models import Enterprise, Region
from qinqing.directory.targeting import audience_firms

from .models import Emergency, OperatingStatus, StatusReport
from .permissions import own_firm_ids, report_scope, staff_paths
from .services import current_period, periods


def _ancestor_paths(path: str) -> list[str]:
    codes = [c for c in path.strip("/").split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def emergencies_visible_to(user: Any) -> list[Emergency]:
    """Emergencies addressing the reader's firm, or touching the reader's region."""
    qs = Emergency.objects.select_related("audience", "declared_by").order_by("-starts_on", "-pk")
    firm_ids = own_firm_ids(user)
    paths = staff_paths(user)
    condition = Q(declared_by=user) if getattr(user, "pk", None) else Q(pk__in=[])
    for path in paths:
        condition |= Q(audience__regions__path__startswith=path)
        condition |= Q(audience__regions__path__in=_ancestor_paths(path))
        condition |= Q(audience__firms__grid__path__startswith=path)
    visible = list(qs.filter(condition).distinct()) if paths or condition else []
    if firm_ids:
        seen = {e.pk for e in visible}
        for emergency in qs.exclude(pk__in=seen):
            if audience_firms(emergency.audience).filter(pk__in=firm_ids).exists():
                visible.append(emergency)
        visible.sort(key=lambda e: (e.starts_on, e.pk), reverse=True)
    return visible


def emergency_for(user: Any, emergency_id: int) -> Emergency:
    """Raises Emergency.DoesNotExist when the reader may not see it."""
    for emergency in emergencies_visible_to(user):
        if emergency.pk == emergency_id:
            return emergency
    raise Emergency.DoesNotExist


def firms_reporting_as(user: Any, emergency: Emergency) -> QuerySet[Enterprise]:
    """The reader's own firms that the emergency addresses."""
    return (
        audience_firms(emergency.audience)
        .filter(pk__in=sorted(own_firm_ids(user)))
        .select_related("grid")
        .order_by("name")
    )


def reports_visible_to(user: Any) -> QuerySet[StatusReport]:
    return (
        StatusReport.objects.filter(report_scope(user))
        .select_related("enterprise", "emergency", "reported_by", "need_demand", "need_listing")
        .order_by("-period", "enterprise__name", "pk")
    )


def report_list(
    *,
    user: Any,
    emergency: Emergency,
    period: date | None = None,
    region: Region | None = None,
    needs_only: bool = False,
) -> QuerySet[StatusReport]:
    qs = reports_visible_to(user).filter(emergency=emergency)
    if period is not None:
        qs = qs.filter(period=period)
    if region is not None:
        qs = qs.filter(region_path__startswith=region.path)
    if needs_only:
        qs = qs.filter(~Q(need_text="") | ~Q(need_item=""))
    return qs


def last_report(emergency: Emergency, enterprise: Enterprise) -> StatusReport | None:
    """The firm's latest report in this emergency (the form is prefilled from it)."""
    return (
        StatusReport.objects.filter(emergency=emergency, enterprise=enterprise)
        .order_by("-period")
        .first()
    )


def missing_firms(
    *, user: Any, emergency: Emergency, period: date | None = None
) -> QuerySet[Enterprise]:
    """The firms of the reader's own region (a steward's grid) addressed by the emergency
    that have not reported for ``period`` (the current one by default)."""
    period = period or current_period(emergency)
    condition = Q(pk__in=[])
    for path in staff_paths(user):
        condition |= Q(grid__path__startswith=path)
    reported = StatusReport.objects.filter(emergency=emergency, period=period).values(
        "enterprise_id"
    )
    return (
        audience_firms(emergency.audience)
        .filter(condition)
        .exclude(pk__in=reported)
        .select_related("grid")
        .order_by("grid__path", "name")
    )


def overview_regions(user: Any) -> QuerySet[Region]:
    condition = Q(pk__in=[])
    for path in staff_paths(user):
        condition |= Q(path__startswith=path)
    return Region.objects.filter(condition)


def default_region(user: Any) -> Region | None:
    return overview_regions(user).order_by("level", "path").first()


@dataclass
class Figures:
    label: str
    targeted: int
    reported: int
    running: int
    partly: int
    stopped: int
    on_site: int
    absent: int
    needs: int
    region: Region | None = None
    period: date | None = None

    @staticmethod
    def _rate(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    @property
    def reporting_rate(self) -> float | None:
        return self._rate(self.reported, self.targeted)

    @property
    def operating_share(self) -> float | None:
        return self._rate(self.running + self.partly, self.reported)

    @property
    def running_share(self) -> float | None:
        return self._rate(self.running, self.reported)

    @property
    def return_rate(self) -> float | None:
        return self._rate(self.on_site, self.on_site + self.absent)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "region_id": self.region.pk if self.region else None,
            "period": self.period,
            "targeted": self.targeted,
            "reported": self.reported,
            "running": self.running,
            "partly": self.partly,
            "stopped": self.stopped,
            "staff_on_site": self.on_site,
            "staff_absent": self.absent,
            "needs": self.needs,
            "reporting_rate": self.reporting_rate,
            "operating_share": self.operating_share,
            "running_share": self.running_share,
            "return_rate": self.return_rate,
        }


def _report_measures(inside: Q, prefix: str) -> dict[str, Any]:
    has_need = ~Q(need_text="") | ~Q(need_item="")
    return {
        f"{prefix}n": Count("pk", filter=inside),
        f"{prefix}r": Count("pk", filter=inside & Q(status=OperatingStatus.RUNNING)),
        f"{prefix}p": Count("pk", filter=inside & Q(status=OperatingStatus.PARTLY)),
        f"{prefix}s": Count("pk", filter=inside & Q(status=OperatingStatus.STOPPED)),
        f"{prefix}o": Sum("staff_on_site", filter=inside, default=0),
        f"{prefix}a": Sum("staff_absent", filter=inside, default=0),
        f"{prefix}d": Count("pk", filter=inside & has_need),
    }


def figures(*, emergency: Emergency, regions: list[Region], period: date) -> list[Figures]:
    """Figures of each region in ``period``: two queries whatever the number of regions."""
    if not regions:
        return []
    firms = audience_firms(emergency.audience)
    targeted = firms.aggregate(
        **{f"t{r.pk}": Count("pk", filter=Q(grid__path__startswith=r.path)) for r in regions}
    )
    measures: dict[str, Any] = {}
    for r in regions:
        measures.update(_report_measures(Q(region_path__startswith=r.path), f"x{r.pk}"))
    rows = StatusReport.objects.filter(
        emergency=emergency, period=period, enterprise__in=firms.values("pk")
    ).aggregate(**measures)
    return [
        Figures(
            label=r.name,
            region=r,
            period=period,
            targeted=targeted[f"t{r.pk}"],
            reported=rows[f"x{r.pk}n"],
            running=rows[f"x{r.pk}r"],
            partly=rows[f"x{r.pk}p"],
            stopped=rows[f"x{r.pk}s"],
            on_site=rows[f"x{r.pk}o"],
            absent=rows[f"x{r.pk}a"],
            needs=rows[f"x{r.pk}d"],
        )
        for r in regions
    ]


def overview(*, emergency: Emergency, region: Region, period: date) -> dict[str, Any]:
    """The region's figures and its children's (the drill-down), for one period."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    rows = figures(emergency=emergency, regions=[region, *children], period=period)
    return {"total": rows[0], "children": [f for f in rows[1:] if f.targeted]}


def trend(*, emergency: Emergency, region: Region) -> list[Figures]:
    """The region's figures in every period so far, oldest first (two queries)."""
    firms = audience_firms(emergency.audience).filter(grid__path__startswith=region.path)
    targeted = firms.count()
    per_period = {
        row["period"]: row
        for row in StatusReport.objects.filter(
            emergency=emergency, region_path__startswith=region.path, enterprise__in=firms
        )
        .values("period")
        .annotate(**_report_measures(Q(), ""))
        .order_by("period")
    }
    out = []
    for period in periods(emergency):
        row = per_period.get(period, {})
        out.append(
            Figures(
                label=f"{period:%m-%d}",
                region=region,
                period=period,
                targeted=targeted,
                reported=row.get("n", 0),
                running=row.get("r", 0),
                partly=row.get("p", 0),
                stopped=row.get("s", 0),
                on_site=row.get("o", 0) or 0,
                absent=row.get("a", 0) or 0,
                needs=row.get("d", 0),
            )
        )
    return out
