"""The health index at city scale on PostgreSQL: millions of cases in one half-year.

Usage:
  .venv/bin/python bench/demands_scale.py load --db qinqing_beijing --cases 6600000 --years 0.5
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/qinqing_beijing \\
      .venv/bin/python bench/index_pg_scale.py [--period 2026H2] [--runs 3] [--draws 1000]

``demands_scale.py load`` puts the demo and N synthetic cases (copied from the demo's cases,
spread over ``--years`` before the load moment) into a fresh PostgreSQL database. This script
then times, in one process, the median of ``--runs`` runs of: the plain SQL of the demand
source, the one that grows with the case count (one GROUP BY over the period's cases with the
counts the index reads, written with ``count(*) FILTER``, and the day histogram of the median
time to reply, with an epoch difference); the whole index at town and district level
(``compute.compute``: every source, the roll-up, the engine with ``--draws`` Monte Carlo
draws, the snapshot). The other sources read demo-sized tables (milliseconds) and are left
out of the plain SQL, which makes the ratio slightly unfavourable to the index.
Figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def plain_sql(start: date, end: date) -> int:
    from django.db import connection

    from qinqing.common.workdays import SHANGHAI

    first = datetime.combine(start, dtime.min, tzinfo=SHANGHAI)
    after = datetime.combine(end, dtime.min, tzinfo=SHANGHAI)
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT region_path, count(*),"
            " count(*) FILTER (WHERE accepted_at <= accept_due_at),"
            " count(*) FILTER (WHERE accepted_at IS NOT NULL),"
            " count(*) FILTER (WHERE replied_at IS NOT NULL OR state = 'closed'),"
            " count(*) FILTER (WHERE replied_at <= resolve_due_at),"
            " count(*) FILTER (WHERE satisfaction <> ''),"
            " count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basic')),"
            " count(*) FILTER (WHERE reopen_count > 0),"
            " count(*) FILTER (WHERE reply <> '')"
            " FROM demands_demand WHERE submitted_at >= %s AND submitted_at < %s"
            " AND merged_into_id IS NULL GROUP BY region_path",
            [first, after],
        )
        rows += len(cursor.fetchall())
        cursor.execute(
            "SELECT region_path, ceil(extract(epoch FROM coalesce(replied_at, closed_at)"
            " - submitted_at) / 86400)::int AS days, count(*)"
            " FROM demands_demand WHERE submitted_at >= %s AND submitted_at < %s"
            " AND merged_into_id IS NULL AND state <> 'withdrawn'"
            " AND (replied_at IS NOT NULL OR state = 'closed') GROUP BY region_path, days",
            [first, after],
        )
        rows += len(cursor.fetchall())
    return rows


def timed(runs: int, work: Callable[[], Any]) -> tuple[float, list[float]]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        walls.append(time.perf_counter() - started)
    return statistics.median(walls), walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2026H2")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to the PostgreSQL database demands_scale.py loaded")
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.config.settings")
    import django

    django.setup()
    from django.db import connection

    from qinqing.common.workdays import SHANGHAI
    from qinqing.index import compute
    from qinqing.index.method import load

    period = compute.HalfYear.parse(args.period)
    end = period.end.toordinal() + 1
    after = datetime.combine(date.fromordinal(end), dtime.min, tzinfo=SHANGHAI)
    first = datetime.combine(period.start, dtime.min, tzinfo=SHANGHAI)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM demands_demand WHERE submitted_at >= %s AND submitted_at < %s",
            [first, after],
        )
        cases = cursor.fetchone()[0]
    print(f"{args.period}: {cases:,} cases in the half-year; {args.draws} draws, {args.runs} runs")
    sql, walls = timed(args.runs, lambda: plain_sql(period.start, date.fromordinal(end)))
    print(f"plain SQL of the demand source: median {sql:.2f} s {[round(w, 2) for w in walls]}")
    method = load()
    for level in ("town", "district"):
        median, walls = timed(
            args.runs,
            lambda level=level: compute.compute(
                period=args.period, level=level, method=method, draws=args.draws
            ),
        )
        print(
            f"whole index, {level} level: median {median:.2f} s {[round(w, 2) for w in walls]}"
            f" = {median / sql:.2f} × the plain SQL"
        )
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
