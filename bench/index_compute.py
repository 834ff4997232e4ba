"""Time the health index for all of Ningbo (district and town level, one half-year, 1,000
Monte Carlo draws) against a plain SQL aggregation of the same raw indicators.

Usage:  .venv/bin/python bench/index_compute.py [--runs 3] [--draws 1000]
        [--period 2026H1 --period 2026H2 | --period 2024H2,2025H1,...]
        [--var DIR]   (reuse a directory with a loaded demo instead of loading a fresh one)

Every period given is measured in turn (default: the last full half-year) and a summary of
the whole index against the plain SQL, per period and level, closes the output.

Loads the demo into a temporary SQLite database (not timed), then, in this process, takes the
median of ``--runs`` runs of: the plain SQL (one GROUP BY per source table, the same counts
the index reads, every source of the method); the index's facts alone (every source's
``index_facts``); the engine alone (checks, normalisation, aggregation, Monte Carlo on
inputs already built); the whole computation (facts, roll-up, engine) at each level. The
machine's load average is printed with the figures. Figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any


def qinqing_executable() -> str:
    beside = Path(sys.executable).with_name("qinqing")
    if beside.exists():
        return str(beside)
    found = shutil.which("qinqing")
    if found is None:
        raise SystemExit("qinqing is not installed; run `make install` first")
    return found


def load_demo(var: str) -> None:
    env = {**os.environ, "QINQING_VAR_DIR": var}
    env.pop("DATABASE_URL", None)
    exe = qinqing_executable()
    for command in ([exe, "migrate", "--no-input", "-v", "0"], [exe, "demo", "load", "-v", "0"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"failed: {' '.join(command)}")


def plain_sql(start: date, end: date) -> int:
    """The raw counts of the index in plain SQL, grouped by grid/region path: one GROUP BY per
    source table over the half-open days [start, end), every source the method reads."""
    from django.db import connection

    from qinqing.common.workdays import SHANGHAI

    # moments as the database stores them (SQLite: UTC text), so the boundaries are right
    first = connection.ops.adapt_datetimefield_value(
        datetime.combine(start, dtime.min, tzinfo=SHANGHAI)
    )
    after = connection.ops.adapt_datetimefield_value(
        datetime.combine(end, dtime.min, tzinfo=SHANGHAI)
    )
    last_day = end - timedelta(days=1)  # clean firms: recognised on the period's last day
    queries = [
        (
            "SELECT region_path, count(*),"
            " sum(CASE WHEN accepted_at <= accept_due_at THEN 1 ELSE 0 END),"
            " sum(CASE WHEN accepted_at IS NOT NULL THEN 1 ELSE 0 END),"
            " sum(CASE WHEN replied_at IS NOT NULL OR state = 'closed' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN replied_at <= resolve_due_at THEN 1 ELSE 0 END),"
            " sum(CASE WHEN satisfaction <> '' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END),"
            " sum(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END),"
            " sum(CASE WHEN reply <> '' THEN 1 ELSE 0 END)"
            " FROM demands_demand WHERE submitted_at >= %s AND submitted_at < %s"
            " AND merged_into_id IS NULL GROUP BY region_path",
            [first, after],
        ),
        (
            # the day histogram of the median (whole days, rounded up; SQLite's julianday)
            "SELECT region_path, CAST(julianday(coalesce(replied_at, closed_at))"
            " - julianday(submitted_at) + 0.999999 AS INTEGER) AS days, count(*)"
            " FROM demands_demand WHERE submitted_at >= %s AND submitted_at < %s"
            " AND merged_into_id IS NULL AND state <> 'withdrawn'"
            " AND (replied_at IS NOT NULL OR state = 'closed') GROUP BY region_path, days",
            [first, after],
        ),
        (
            "SELECT g.path, count(DISTINCT v.enterprise_id) FROM outreach_visit v"
            " JOIN directory_enterprise e ON e.id = v.enterprise_id"
            " JOIN directory_region g ON g.id = e.grid_id"
            " WHERE v.visited_on >= %s AND v.visited_on < %s GROUP BY g.path",
            [start, end],
        ),
        (
            "SELECT g.path, count(*) FROM outreach_pairingcontact c"
            " JOIN directory_pairing p ON p.id = c.pairing_id"
            " JOIN directory_enterprise e ON e.id = p.enterprise_id"
            " JOIN directory_region g ON g.id = e.grid_id"
            " WHERE c.contacted_on >= %s AND c.contacted_on < %s GROUP BY g.path",
            [start, end],
        ),
        (
            "SELECT r.path, count(*) FROM outreach_meeting m JOIN directory_region r"
            " ON r.id = m.region_id WHERE m.status = 'held' AND m.starts_at >= %s"
            " AND m.starts_at < %s GROUP BY r.path",
            [first, after],
        ),
        (
            "SELECT g.path, count(*) FROM directory_enterprise e JOIN directory_region g"
            " ON g.id = e.grid_id GROUP BY g.path",
            [],
        ),
        (
            # survey answers: the histogram of each tagged scale question per town
            "SELECT r.path, q.tag, a.number, count(*) FROM consultation_answer a"
            " JOIN consultation_question q ON q.id = a.question_id"
            " JOIN consultation_response p ON p.id = a.response_id"
            " JOIN consultation_survey s ON s.id = p.survey_id"
            " JOIN directory_region r ON r.id = p.region_id"
            " WHERE q.tag <> '' AND q.kind IN ('scale', 'matrix') AND a.number IS NOT NULL"
            " AND s.status IN ('published', 'closed') AND s.closes_on >= %s"
            " AND s.closes_on < %s GROUP BY r.path, q.tag, a.number",
            [start, end],
        ),
        (
            "SELECT r.path, count(*), sum(CASE WHEN n.published_at < n.effective_on"
            " THEN 1 ELSE 0 END) FROM notices_notice n JOIN directory_region r"
            " ON r.id = n.author_region_id WHERE n.kind = 'policy'"
            " AND n.state IN ('published', 'withdrawn') AND n.published_at >= %s"
            " AND n.published_at < %s GROUP BY r.path",
            [first, after],
        ),
        (
            "SELECT r.path, count(*), sum(CASE WHEN f.outcome = 'prohibited' THEN 1 ELSE 0"
            " END) FROM integrity_filing f JOIN directory_region r ON r.id = f.region_id"
            " WHERE f.contact_date >= %s AND f.contact_date < %s GROUP BY r.path",
            [start, end],
        ),
        (
            "SELECT g.path, count(*) FROM integrity_cleanassessment c"
            " JOIN directory_enterprise e ON e.id = c.enterprise_id"
            " JOIN directory_region g ON g.id = e.grid_id WHERE c.status = 'recognised'"
            " AND c.valid_from <= %s AND c.valid_until >= %s GROUP BY g.path",
            [last_day, last_day],
        ),
        (
            "SELECT region_path, count(*) FROM reports_report"
            " WHERE received_at >= %s AND received_at < %s GROUP BY region_path",
            [first, after],
        ),
        (
            "SELECT region_path, count(*), sum(CASE WHEN serious THEN 1 ELSE 0 END)"
            " FROM reports_report WHERE outcome = 'substantiated' AND concluded_at >= %s"
            " AND concluded_at < %s GROUP BY region_path",
            [first, after],
        ),
        (
            "SELECT region_path, count(*) FROM exemption_application"
            " WHERE submitted_at >= %s AND submitted_at < %s GROUP BY region_path",
            [first, after],
        ),
        (
            "SELECT region_path, count(*) FROM exemption_application"
            " WHERE decided_at >= %s AND decided_at < %s GROUP BY region_path",
            [first, after],
        ),
    ]
    rows = 0
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows


def median_time(function: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median wall-clock and median CPU time (this process; SQLite runs in it) of ``runs``
    calls. On a machine shared with other work the CPU time is the steadier figure."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def periods_of(values: list[str]) -> list[str]:
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


def measure(period: Any, runs: int, draws: int, today: date) -> dict[str, tuple[float, float]]:
    """The medians of one period: the plain SQL, the facts, and per level the engine alone,
    the roll-up and snapshot alone and the whole index."""
    from qinqing.index import compute, engine, sources
    from qinqing.index.method import load

    method = load()
    # the sources read half-open days: up to the day after the last one
    end = min(period.end, today) + timedelta(days=1)
    rows, available = sources.collect(method, start=period.start, end=end)
    results = {
        "plain SQL aggregation": median_time(lambda: plain_sql(period.start, end), runs),
        "index facts (every source)": median_time(
            lambda: sources.collect(method, start=period.start, end=end), runs
        ),
    }
    for level in ("district", "town"):
        units, parents = compute.regions_of(level)
        inputs = compute.build_inputs(method, units, parents, rows, available)
        settings = engine.Settings.of(method, draws=draws)
        out = engine.run(inputs, settings)
        results[f"regions, roll-up and snapshot, {level}"] = median_time(
            lambda level=level, inputs=inputs, settings=settings, out=out: (
                compute.build_inputs(method, *compute.regions_of(level), rows, available),
                compute.snapshot(
                    method, period, level, inputs, out, settings, available=available, as_of=end
                ),
            ),
            runs,
        )
        for n in (draws, 0):
            settings = engine.Settings.of(method, draws=n)
            results[f"engine alone, {level} level, {n} draws"] = median_time(
                lambda inputs=inputs, settings=settings: engine.run(inputs, settings), runs
            )
        for n in (draws, 0):
            results[f"whole index, {level} level, {n} draws"] = median_time(
                lambda level=level, n=n: compute.compute(
                    period=period.key, level=level, method=method, draws=n, today=today
                ),
                runs,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--period", action="append", default=[])
    parser.add_argument("--var", default="")
    args = parser.parse_args()
    var = args.var or tempfile.mkdtemp(prefix="qinqing-index-bench-")
    try:
        if not args.var:
            print("loading the demo (not timed) …", file=sys.stderr)
            load_demo(var)
        os.environ["QINQING_VAR_DIR"] = var
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.config.settings")
        import django

        django.setup()
        from django.db import connection

        from qinqing.directory.models import Region
        from qinqing.index import compute

        today = date.today()
        keys = periods_of(args.period) or [compute.HalfYear.containing(today).previous().key]
        towns = Region.objects.filter(level=3).count()
        districts = Region.objects.filter(level=2).count()
        print(
            f"{districts} districts, {towns} towns; Python {platform.python_version()}, "
            f"{connection.vendor} {getattr(connection.Database, 'sqlite_version', '')}, "
            f"{os.cpu_count()} CPUs; {args.draws} draws, median of {args.runs} runs"
        )
        summary = []
        for key in keys:
            period = compute.HalfYear.parse(key)
            load_before = os.getloadavg()
            results = measure(period, args.runs, args.draws, today)
            base = results["plain SQL aggregation"]
            print(
                f"\n{period.key} (as of {min(period.end, today)}); load average "
                f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
            )
            print(f"{'':45s} {'wall':>9s}      {'ratio':>6s}   {'CPU':>9s}      {'ratio':>6s}")
            for name, (wall, cpu) in results.items():
                print(
                    f"{name:45s} {wall * 1000:9.1f} ms   {wall / base[0]:5.2f}×   "
                    f"{cpu * 1000:9.1f} ms   {cpu / base[1]:5.2f}×"
                )
            for level in ("district", "town"):
                wall, cpu = results[f"whole index, {level} level, {args.draws} draws"]
                summary.append((period.key, level, wall / base[0], cpu / base[1]))
        print(f"\nwhole index with {args.draws} draws ÷ plain SQL (target ≤ 1.5×)")
        for key, level, wall_ratio, cpu_ratio in summary:
            print(f"{key} {level:8s}  wall {wall_ratio:5.2f}×  CPU {cpu_ratio:5.2f}×")
    finally:
        if not args.var:
            shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
