"""Demo data of index (亲清指数): the half-years the demo history covers, computed from the
demo's own demands and outreach and published, at district and town level.

Nothing is typed in: the scores, ranks, differences and trends come from the rows the
demo wrote before. The demo history covers the twelve months before the load moment, so
the periods published are the last full half-year and the current, partial one (labelled
so); the half-year before those is only partly covered (a few weeks), so it is left out
rather than published with misleading coverage. Fewer Monte Carlo draws than the method's
1,000 keep the load fast; the number used is stored in each publication.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from qinqing.common.workdays import SHANGHAI
from qinqing.demo.context import DemoContext

#: Monte Carlo draws in the demo (the method's default is 1,000; stated on every page)
DEMO_DRAWS = 200


def write(ctx: DemoContext) -> dict[str, int]:
    from qinqing.index import compute, services
    from qinqing.index.method import load

    method = load()
    today = ctx.now.astimezone(SHANGHAI).date()
    current = compute.HalfYear.containing(today)
    periods = [current.previous(), current]
    publisher = ctx.users.get("sunyue") or ctx.users.get("sysadmin")
    count = 0
    for period in periods:
        for level in ("district", "town"):
            snap = compute.compute(
                period=period.key, level=level, method=method, draws=DEMO_DRAWS, today=today
            )
            # published a few days after the period ends (or now, for the current one)
            moment = datetime.combine(
                min(period.end + timedelta(days=10), today), datetime.min.time(), tzinfo=SHANGHAI
            ) + timedelta(hours=10)
            services.publish_snapshot(
                actor=publisher, snapshot=snap, published_at=min(moment, ctx.now)
            )
            count += 1
    return {"index_publications": count}
