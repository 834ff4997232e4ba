"""Demo data of emergency (协同监测).

- **2020 epidemic over 古林镇**: declared by 周华 on 10 February 2020, daily reports for three
  weeks. Each firm gets a restart day (earlier for above-scale firms); before it the firm is
  stopped, for a few days after it partly running, then running; staff come back gradually.
  More firms report each day (from about a third to over 80 %), so the overview shows the
  return to work: the share operating and the staff return rate rise week by week. A few
  reports carry an urgent need (masks, disinfectant, workers). Firms without an account
  report through their grid's steward (marked on behalf); 王丽 reports herself.
- **A recent typhoon** over one Gulin community: three days, most firms reported, a few
  stopped with flood damage.

Deterministic from the seed (``random.Random(f"{seed}-emergency")``); the status reports are
inserted as tuples (``demo.bulk.insert``), no model instance per row.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.common.workdays import SHANGHAI
from qinqing.demo.bulk import insert
from qinqing.demo.context import DemoContext
from qinqing.directory.models import Audience, RegionLevel
from qinqing.notices.emergency.models import Emergency, StatusReport

GULIN = "古林镇"
EPIDEMIC_START = date(2020, 2, 10)
EPIDEMIC_DAYS = 21
NEEDS = [
    ("口罩只够两三天，急需补充", "口罩", 2000),
    ("消毒液用完了", "消毒液", 50),
    ("外地员工回不来，缺普工", "普工", 10),
    ("原材料供应商未复工，求替代货源", "", None),
]
# a status report as a tuple for ``bulk.insert`` (no model instance per row)
REPORT = (
    "emergency_id",
    "enterprise_id",
    "period",
    "region_path",
    "status",
    "staff_on_site",
    "staff_absent",
    "supplies",
    "need_text",
    "need_item",
    "need_quantity",
    "on_behalf",
    "reported_by_id",
)


def write(ctx: DemoContext) -> dict[str, int]:
    rng = random.Random(f"{ctx.plan.seed}-emergency")
    coordinator = ctx.users.get("zhouhua") or next(iter(ctx.users.values()))
    wangli = ctx.users.get("wangli")
    wangli_firm = ctx.plan.account_firms.get("wangli")
    town = next(r for r in ctx.regions.values() if r.name == GULIN)
    grids = {r.pk: r for r in ctx.regions.values() if r.level == RegionLevel.GRID}
    firms = sorted(
        (f for f in ctx.firms.values() if grids[f.grid_id].path.startswith(town.path)),
        key=lambda f: f.uscc,
    )
    stewards = dict(
        RoleAssignment.objects.filter(role=Role.STEWARD, region_id__in=list(grids)).values_list(
            "region_id", "user_id"
        )
    )

    def reporter(firm: object) -> tuple[int, bool]:
        if wangli is not None and getattr(firm, "uscc", "") == wangli_firm:
            return wangli.pk, False
        return stewards.get(firm.grid_id, coordinator.pk), True  # type: ignore[attr-defined]

    audience = Audience.objects.create()
    audience.regions.set([town])
    epidemic = Emergency.objects.create(
        title="新冠肺炎疫情复工复产监测",
        kind="epidemic",
        description="古林镇企业每日报送生产状态、员工返岗、防疫物资和紧急需求。",
        audience=audience,
        cadence="daily",
        starts_on=EPIDEMIC_START,
        ends_on=EPIDEMIC_START + timedelta(days=EPIDEMIC_DAYS - 1),
        supply_items=["口罩", "消毒液"],
        reminder_hour=10,
        declared_by=coordinator,
    )
    plans = []
    for firm in firms:
        restart = rng.randint(2, 12) if firm.above_scale else rng.randint(4, 24)
        diligence = rng.random()  # a firm that reports early keeps reporting
        plans.append((firm, restart, diligence, max(firm.employees, 3)))
    rows: list[tuple[Any, ...]] = []
    for d in range(EPIDEMIC_DAYS):
        day = EPIDEMIC_START + timedelta(days=d)
        share = 0.35 + 0.5 * d / (EPIDEMIC_DAYS - 1)
        for firm, restart, diligence, staff in plans:
            if diligence > share:
                continue
            if d < restart:
                status, back = "stopped", 0.05
            elif d < restart + 5:
                status, back = "partly", 0.3 + 0.1 * (d - restart)
            else:
                status, back = "running", min(0.97, 0.75 + 0.02 * (d - restart - 5))
            on_site = round(staff * back)
            need = NEEDS[rng.randrange(len(NEEDS))] if rng.random() < 0.02 else ("", "", None)
            user_id, behalf = reporter(firm)
            masks = rng.randint(0, 10) if d < 14 else rng.randint(5, 30)
            disinfectant = rng.randint(2, 30)
            supplies = [{"item": "口罩", "days": masks}, {"item": "消毒液", "days": disinfectant}]
            rows.append(
                (
                    epidemic.pk,
                    firm.pk,
                    day,
                    grids[firm.grid_id].path,
                    status,
                    on_site,
                    staff - on_site,
                    supplies,
                    need[0],
                    need[1],
                    need[2],
                    behalf,
                    user_id,
                )
            )
    # a recent typhoon over one community
    today = ctx.now.astimezone(SHANGHAI).date()
    community = sorted(
        (
            r
            for r in ctx.regions.values()
            if r.level == RegionLevel.COMMUNITY and r.path.startswith(town.path)
        ),
        key=lambda r: r.code,
    )[0]
    typhoon_audience = Audience.objects.create()
    typhoon_audience.regions.set([community])
    typhoon = Emergency.objects.create(
        title="台风“烟花”防御期间企业状态报送",
        kind="typhoon",
        description="台风影响期间，请每日报送是否停产、人员是否安全、有无受淹受损。",
        audience=typhoon_audience,
        cadence="daily",
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=1),
        supply_items=["沙袋", "抽水泵"],
        reminder_hour=9,
        declared_by=coordinator,
    )
    members = [f for f in firms if grids[f.grid_id].path.startswith(community.path)]
    for d in range(2):  # the two days before today; today's reports are still to come
        day = typhoon.starts_on + timedelta(days=d)
        for firm in members:
            if rng.random() > 0.8:
                continue
            stopped = rng.random() < (0.4 if d == 0 else 0.15)
            staff = max(firm.employees, 3)
            on_site = round(staff * (0.2 if stopped else 0.9))
            flooded = stopped and rng.random() < 0.15
            user_id, behalf = reporter(firm)
            rows.append(
                (
                    typhoon.pk,
                    firm.pk,
                    day,
                    grids[firm.grid_id].path,
                    "stopped" if stopped else "running",
                    on_site,
                    staff - on_site,
                    [{"item": "沙袋", "days": rng.randint(1, 5)}],
                    "厂房一楼进水，需要抽水泵" if flooded else "",
                    "抽水泵" if flooded else "",
                    2 if flooded else None,
                    behalf,
                    user_id,
                )
            )
    written = insert(StatusReport, REPORT, rows)
    return {"emergencies": 2, "status_reports": written}
