"""Demo data of matching (供需对接): the Gulin 2020 story and a live board.

- **Masks, February 2020**: three suppliers offer 口罩 at 2 yuan each; 36 firms of 古林镇
  post requests (the home's coordinator 周华 posts them on their behalf) and every request
  is matched, confirmed by both sides and delivered: tens of thousands of masks.
- **Workers from Anhui**: two labour-service firms offer staff; 26 Gulin manufacturers post
  jobs (full-time, some part-time) and 200+ workers are placed.
- **Now**: a dozen live offers and requests across Ningbo so the board and the suggestions
  are not empty.

Deterministic from the seed (``random.Random(f"{seed}-matching")``); bulk inserts only.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from qinqing.common.workdays import SHANGHAI
from qinqing.demo.context import DemoContext
from qinqing.directory.models import Enterprise, RegionLevel
from qinqing.notices.matching.items import normalise
from qinqing.notices.matching.models import Listing, ListingState, Match, MatchState

GULIN = "古林镇"
MASK_FIRMS = 36
JOB_FIRMS = 26
LIVE_ITEMS = [
    ("offer", "goods", "医用外科口罩", 20000, "个", "0.80"),
    ("request", "goods", "口罩", 5000, "个", None),
    ("offer", "goods", "84消毒液", 300, "箱", "45.00"),
    ("request", "goods", "消毒液", 40, "箱", None),
    ("offer", "goods", "注塑机配件", 200, "套", "350.00"),
    ("request", "goods", "模具钢", 12, "吨", "9800.00"),
    ("request", "labour", "普工", 15, "人", "5200.00"),
    ("request", "labour", "电焊工", 4, "人", "7500.00"),
    ("offer", "labour", "操作工", 30, "人", "5000.00"),
    ("request", "labour", "叉车司机", 2, "人", "6500.00"),
    ("offer", "goods", "一次性手套", 10000, "双", "0.15"),
    ("request", "goods", "额温枪", 20, "把", "120.00"),
]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def write(ctx: DemoContext) -> dict[str, int]:
    rng = random.Random(f"{ctx.plan.seed}-matching")
    coordinator = ctx.users.get("zhouhua") or next(iter(ctx.users.values()))
    grids = {r.pk: r for r in ctx.regions.values() if r.level == RegionLevel.GRID}
    gulin_path = next(r.path for r in ctx.regions.values() if r.name == GULIN)
    firms = sorted(ctx.firms.values(), key=lambda f: f.uscc)
    gulin = [f for f in firms if grids[f.grid_id].path.startswith(gulin_path)]
    makers = [f for f in gulin if f.industry_section == "C"]
    traders = [f for f in firms if f.industry_section in ("F", "L")] or firms
    suppliers = rng.sample(traders, 3)
    agencies = rng.sample([f for f in traders if f not in suppliers], 2)
    buyers = rng.sample(makers, MASK_FIRMS)
    employers = rng.sample(makers, JOB_FIRMS)

    listings: list[Listing] = []
    pairs: list[tuple[int, int, int, date]] = []  # offer index, request index, quantity, day

    def listing(
        firm: Enterprise,
        side: str,
        kind: str,
        item: str,
        quantity: int,
        unit: str,
        price: str | None,
        day: date,
        valid: date,
        **extra: object,
    ) -> int:
        listings.append(
            Listing(
                enterprise=firm,
                side=side,
                kind=kind,
                item=item,
                item_key=normalise(item),
                quantity=quantity,
                unit=unit,
                unit_price=Decimal(price) if price else None,
                region_id=firm.grid_id,
                region_path=grids[firm.grid_id].path,
                valid_until=valid,
                created_by=coordinator,
                on_behalf=True,
                **extra,
            )
        )
        return len(listings) - 1

    start = date(2020, 2, 5)
    # masks: three suppliers at 2 yuan each, 36 requests, all delivered
    wants = [rng.choice([500, 800, 1000, 1000, 1500, 2000, 3000]) for _ in buyers]
    share = [0, 0, 0]
    for i in range(len(buyers)):
        share[i % 3] += wants[i]
    offers = [
        listing(
            s,
            "offer",
            "goods",
            "一次性医用口罩",
            share[k] + 2000,
            "个",
            "2.00",
            start,
            date(2020, 3, 31),
            specification="三层无纺布，独立包装",
        )
        for k, s in enumerate(suppliers)
    ]
    for i, firm in enumerate(buyers):
        day = start + timedelta(days=rng.randint(1, 20))
        item = rng.choice(["口罩", "医用口罩", "一次性口罩"])
        r = listing(firm, "request", "goods", item, wants[i], "个", None, day, date(2020, 3, 31))
        pairs.append((offers[i % 3], r, wants[i], day))
    # workers from Anhui: two agencies, 26 employers
    jobs = [rng.randint(5, 14) for _ in employers]
    half = sum(jobs[::2]), sum(jobs[1::2])
    agency_rows = [
        listing(
            a,
            "offer",
            "labour",
            "普工",
            half[k] + 10,
            "人",
            "4800.00",
            start,
            date(2020, 4, 30),
            skills="安徽籍务工人员，可集中包车返岗",
            work_time="full",
        )
        for k, a in enumerate(agencies)
    ]
    for i, firm in enumerate(employers):
        day = start + timedelta(days=rng.randint(5, 30))
        r = listing(
            firm,
            "request",
            "labour",
            rng.choice(["普工", "操作工", "普工"]),
            jobs[i],
            "人",
            str(rng.choice([4800, 5200, 5500])),
            day,
            date(2020, 4, 30),
            work_time="part" if i % 5 == 0 else "full",
            skills="能适应两班倒",
        )
        pairs.append((agency_rows[i % 2], r, jobs[i], day))
    # now: a live board
    today = ctx.now.astimezone(SHANGHAI).date()
    for side, kind, item, quantity, unit, price in LIVE_ITEMS:
        firm = rng.choice(firms)
        listing(
            firm,
            side,
            kind,
            item,
            quantity,
            unit,
            price,
            today - timedelta(days=3),
            today + timedelta(days=rng.randint(10, 40)),
            work_time="full" if kind == "labour" else "",
        )
    # allocation from the pairs (everything historical delivered)
    for offer, request, quantity, _day in pairs:
        for index in (offer, request):
            listings[index].allocated += quantity
            listings[index].delivered += quantity
    for row in listings:
        if row.valid_until < today:
            row.state = (
                ListingState.FULFILLED if row.allocated >= row.quantity else (ListingState.EXPIRED)
            )
    created = Listing.objects.bulk_create(listings, batch_size=500)
    matches = []
    for offer, request, quantity, day in pairs:
        moment = _at(day + timedelta(days=1), 10)
        matches.append(
            Match(
                offer=created[offer],
                request=created[request],
                quantity=quantity,
                delivered=quantity,
                state=MatchState.DELIVERED,
                reason="同一乡镇街道 · 同类物资 · 数量充足",
                proposed_by=coordinator,
                offer_confirmed_by=coordinator,
                offer_confirmed_at=moment,
                request_confirmed_by=coordinator,
                request_confirmed_at=moment,
                confirmed_at=moment,
                delivered_at=moment + timedelta(days=2),
            )
        )
    Match.objects.bulk_create(matches, batch_size=500)
    return {
        "listings": len(created),
        "matches": len(matches),
        "masks_delivered": sum(wants),
        "workers_placed": sum(jobs),
    }
