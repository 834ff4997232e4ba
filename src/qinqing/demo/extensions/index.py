"""Demo data of index (亲清指数): two years of half-yearly periods, computed from the demo's
own rows and published, at district and town level; the current half-year as a staff preview.

Nothing is typed in: the scores, ranks, differences and trends come from the rows the demo
wrote before (the demand history, the outreach and the yearly business-environment surveys
start on the first day of the half-year four half-years before the load's own, so each of
those four whole half-years is fully covered). Each period is published ten days after it
ends, by 孙悦; the current half-year, not over yet, is computed but not published: a
supervisor sees it as a preview on the staff page. Fewer Monte Carlo draws than the method's
1,000 keep the load fast; the number used is stored in, and shown with, each result.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from qinqing.common.workdays import SHANGHAI
from qinqing.demo import data
from qinqing.demo.context import DemoContext

#: Monte Carlo draws in the demo (the method's default is 1,000; stated on every page)
DEMO_DRAWS = 200
LEVELS = ("district", "town")


def write(ctx: DemoContext) -> dict[str, int]:
    from qinqing.index import compute, services
    from qinqing.index.method import load

    method = load()
    today = ctx.now.astimezone(SHANGHAI).date()
    current = compute.HalfYear.containing(today)
    periods = [current]
    while len(periods) <= data.HISTORY_HALF_YEARS:
        periods.insert(0, periods[0].previous())
    publisher = ctx.users.get("sunyue") or ctx.users.get("sysadmin")
    published = previews = 0
    for period in periods:
        for level in LEVELS:
            snap = compute.compute(
                period=period.key, level=level, method=method, draws=DEMO_DRAWS, today=today
            )
            if period == current:
                services.record_snapshot(actor=publisher, snapshot=snap, finished_at=ctx.now)
                previews += 1
                continue
            moment = datetime.combine(
                period.end + timedelta(days=10), datetime.min.time(), tzinfo=SHANGHAI
            ) + timedelta(hours=10)
            services.publish_snapshot(
                actor=publisher, snapshot=snap, published_at=min(moment, ctx.now)
            )
            published += 1
    return {"index_publications": published, "index_previews": previews}
