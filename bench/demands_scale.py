"""Demand handling at scale: load N synthetic cases into a fresh PostgreSQL database.

Usage:
  .venv/bin/python bench/demands_scale.py load [--cases 1000000] [--seed 2026]
  .venv/bin/python bench/demands_scale.py explain      # the inbox query plan, queries per request
  .venv/bin/python bench/demands_scale.py index-on     # try the proposed inbox index
  .venv/bin/python bench/demands_scale.py index-off    # and drop it again
  .venv/bin/python bench/demands_scale.py drop         # drop the bench database

``load`` drops and re-creates the database (``--db``, default ``qinqing_bench``) on the server
of ``BENCH_PG_URL`` (default ``postgres://postgres@127.0.0.1:5432``), runs ``qinqing migrate``
and ``qinqing demo load`` on it (the Ningbo directory, the demo accounts and a year of demand
history), then adds N synthetic cases with their timelines:

1. generate: each case copies a demo case's firm, region, category, department, channel,
   title and description (so firms, categories and departments keep the demo's mix), gets a
   state (by default 2 % open: the open states in the demo's proportions; the rest closed or,
   4 %, withdrawn), times over ``--years`` years before the load moment (open cases in the
   last weeks), deadlines from its category, and a timeline of 1–7 events. Rows are written
   as COPY text files in a temporary directory (timed apart from the COPY);
2. COPY: the secondary indexes and foreign keys of demands_demand and demands_demandevent
   are dropped (their definitions kept), both files are streamed with psycopg's
   ``cursor.copy()`` in one transaction each -- this is the "COPY load rate";
3. rebuild the indexes and foreign keys from their saved definitions, move the id
   sequences and the yearly number counters past the new rows, VACUUM ANALYZE.

``--keep-indexes`` COPYs into the indexed tables instead (slower; the plain COPY rate of a
live table). The synthetic rows are not in the audit chain (like any bulk import).

``explain`` (needs a loaded database) calls GET /api/v1/demands/inbox as zhaomin through
Django's test client with the queries captured, prints the SQL Django ran and EXPLAIN
(ANALYZE, BUFFERS) of the first-page query and of the paginator's count, and counts the
queries and transactions of the inbox, detail and submit endpoints.

Only the benchmark depends on this file; the project does not.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DEFAULT_DB = "qinqing_bench"
DAY = 86400
HOUR = 3600
SHANGHAI_OFFSET = 8 * HOUR

#: open states and their shares among open cases (about the demo's own mix)
OPEN_MIX = [
    ("in_progress", 0.47),
    ("replied", 0.22),
    ("accepted", 0.16),
    ("dispatched", 0.06),
    ("waiting_firm", 0.04),
    ("submitted", 0.03),
    ("disputed", 0.02),
]
WITHDRAWN_SHARE = 0.04
REPLY_FALLBACK = "经核实，已按相关政策规定办理，并电话告知企业联系人。"


def one(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> Any:
    """The first column of the only row of ``sql``."""
    row = conn.execute(sql, params).fetchone()
    assert row is not None, sql
    return row[0]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def db_url(server: str, db: str) -> str:
    return f"{server.rstrip('/')}/{db}"


# --- database lifecycle ---------------------------------------------------------------------
def recreate_database(server: str, db: str) -> None:
    with psycopg.connect(db_url(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def drop_database(server: str, db: str) -> None:
    with psycopg.connect(db_url(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    say(f"dropped database {db}")


def qinqing(args: list[str], env: dict[str, str]) -> float:
    exe = Path(sys.executable).with_name("qinqing")
    started = time.perf_counter()
    done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: qinqing {' '.join(args)}")
    return time.perf_counter() - started


# --- COPY text format -----------------------------------------------------------------------
def esc(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


HMS = [f"{h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)]
_DAYS: dict[int, str] = {}


def ts(epoch: int) -> str:
    """A UTC timestamp in COPY text form, fast (day strings cached, time of day looked up)."""
    d, r = divmod(epoch, DAY)
    day = _DAYS.get(d)
    if day is None:
        day = _DAYS[d] = datetime.fromtimestamp(d * DAY, UTC).strftime("%Y-%m-%d ")
    return day + HMS[r]


NULL = "\\N"


def opt(epoch: int | None) -> str:
    return NULL if epoch is None else ts(epoch)


# --- what the synthetic cases copy from the demo --------------------------------------------
@dataclass
class Template:
    enterprise_id: int
    region_path: str
    category_id: int
    department_id: int | None
    channel: str
    title: str
    description: str
    submitted_by_id: int | None
    reply: str


@dataclass
class Context:
    templates: list[Template]
    routed: list[Template]  # templates with a department (every state but submitted)
    categories: dict[int, tuple[int, int, int]]  # id -> acceptance, response, resolution days
    department_names: dict[int, str]
    handlers: dict[int, int]  # department id -> a handler's user id
    counters: dict[int, int]  # year -> last number issued
    demand_columns: list[tuple[str, bool, bool]]  # name, nullable, has default
    event_columns: list[tuple[str, bool, bool]]
    next_demand_id: int
    next_event_id: int


def columns(conn: psycopg.Connection[Any], table: str) -> list[tuple[str, bool, bool]]:
    rows = conn.execute(
        "SELECT column_name, is_nullable = 'YES', column_default IS NOT NULL OR is_identity = 'YES'"
        " FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def read_context(conn: psycopg.Connection[Any]) -> Context:
    templates = [
        Template(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], esc(r[8] or REPLY_FALLBACK))
        for r in conn.execute(
            "SELECT enterprise_id, region_path, category_id, department_id, channel, title,"
            " description, submitted_by_id, reply FROM demands_demand ORDER BY id"
        ).fetchall()
    ]
    for t in templates:
        t.region_path, t.title, t.description = (
            esc(t.region_path),
            esc(t.title),
            esc(t.description),
        )
    if not templates:
        raise SystemExit("the demo load wrote no demands; nothing to copy from")
    categories = {
        r[0]: (r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT id, acceptance_days, response_days, resolution_days FROM demands_category"
        )
    }
    department_names = dict(conn.execute("SELECT id, name FROM directory_department").fetchall())
    handlers = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT department_id, min(user_id) FROM accounts_roleassignment"
            " WHERE role = 'handler' AND department_id IS NOT NULL GROUP BY department_id"
        )
    }
    counters = dict(conn.execute("SELECT year, last FROM demands_demandcounter").fetchall())
    max_demand = one(conn, "SELECT coalesce(max(id), 0) FROM demands_demand")
    max_event = one(conn, "SELECT coalesce(max(id), 0) FROM demands_demandevent")
    return Context(
        templates=templates,
        routed=[t for t in templates if t.department_id is not None],
        categories=categories,
        department_names={k: esc(v) for k, v in department_names.items()},
        handlers=handlers,
        counters=counters,
        demand_columns=columns(conn, "demands_demand"),
        event_columns=columns(conn, "demands_demandevent"),
        next_demand_id=max_demand + 1,
        next_event_id=max_event + 1,
    )


# --- generation -----------------------------------------------------------------------------
def pick_state(rng: random.Random, open_share: float) -> str:
    u = rng.random()
    if u < open_share:
        v = rng.random()
        for state, share in OPEN_MIX:
            v -= share
            if v < 0:
                return state
        return OPEN_MIX[0][0]
    return "withdrawn" if rng.random() < WITHDRAWN_SHARE else "closed"


def working(days: int) -> int:
    """Working days as calendar seconds, roughly (five working days a week)."""
    return int(days * 1.4 * DAY)


# how far each state gets along submit → dispatch → accept → start → reply → close
STEPS = {
    "submitted": 1,
    "dispatched": 2,
    "withdrawn": 2,
    "accepted": 3,
    "in_progress": 4,
    "waiting_firm": 4,
    "replied": 5,
    "disputed": 5,
    "closed": 6,
}


def generate(
    ctx: Context,
    *,
    cases: int,
    seed: int,
    years: float,
    open_share: float,
    now: int,
    demand_file: Path,
    event_file: Path,
) -> tuple[list[str], list[str], int]:
    """Write both COPY files; return the demand and event column lists and the event count."""
    rng = random.Random(seed)
    span = int(years * 365 * DAY)
    recent = now - 15 * DAY  # closed cases end at least two weeks before the load moment
    counters = dict(ctx.counters)
    demand_id, event_id = ctx.next_demand_id, ctx.next_event_id
    generated = {
        "id",
        "number",
        "region_path",
        "title",
        "description",
        "channel",
        "state",
        "version",
        "supervised",
        "reopen_count",
        "submitted_at",
        "accept_due_at",
        "response_due_at",
        "resolve_due_at",
        "dispatched_at",
        "accepted_at",
        "first_response_at",
        "replied_at",
        "closed_at",
        "paused_at",
        "reminded_at",
        "escalated_at",
        "reply",
        "satisfaction",
        "rating",
        "rating_comment",
        "not_rated",
        "created_at",
        "updated_at",
        "category_id",
        "department_id",
        "enterprise_id",
        "merged_into_id",
        "submitted_by_id",
    }
    demand_cols, extra = [], []
    for name, nullable, has_default in ctx.demand_columns:
        if name in generated:
            demand_cols.append(name)
        elif nullable:
            demand_cols.append(name)
            extra.append(NULL)
        elif not has_default:
            raise SystemExit(
                f"demands_demand.{name} is new, NOT NULL and has no database default: "
                "teach bench/demands_scale.py its value"
            )
    event_generated = {
        "id",
        "demand_id",
        "action",
        "actor_id",
        "from_state",
        "to_state",
        "department_id",
        "note",
        "internal",
        "created_at",
    }
    event_cols = [n for n, _nullable, _d in ctx.event_columns if n in event_generated]
    missing = [
        n
        for n, nullable, has_default in ctx.event_columns
        if n not in event_generated and not nullable and not has_default
    ]
    if missing:
        raise SystemExit(f"demands_demandevent has new NOT NULL columns {missing}")
    event_extra = [
        NULL for n, nullable, _d in ctx.event_columns if n not in event_generated and nullable
    ]
    event_cols += [
        n for n, nullable, _d in ctx.event_columns if n not in event_generated and nullable
    ]
    event_fast = event_cols[:10] == [
        "id",
        "action",
        "from_state",
        "to_state",
        "note",
        "internal",
        "created_at",
        "actor_id",
        "demand_id",
        "department_id",
    ]
    extra_tail = ("\t" + "\t".join(extra)) if extra else ""
    event_tail = ("\t" + "\t".join(event_extra)) if event_extra else ""
    # the generated values in the table's column order, then the extra NULL columns
    order = [c for c in demand_cols if c in generated]
    demand_cols = order + [c for c in demand_cols if c not in generated]

    events_written = 0
    demand_lines: list[str] = []
    event_lines: list[str] = []
    with (
        open(demand_file, "w", encoding="utf-8") as df,
        open(event_file, "w", encoding="utf-8") as ef,
    ):
        for i in range(cases):
            state = pick_state(rng, open_share)
            if state == "submitted":
                t = rng.choice(ctx.templates)
                dept = None
            else:
                t = rng.choice(ctx.routed)
                dept = t.department_id
            accept_days, response_days, resolve_days = ctx.categories[t.category_id]
            is_open = state not in ("closed", "withdrawn")
            if is_open:
                # the last weeks, more of them recent; disputed cases have been around longer
                back = (60 if state == "disputed" else 30) * DAY
                submitted = now - int(back * rng.random() ** 1.5) - rng.randrange(600)
            else:
                submitted = recent - rng.randrange(span)
            accept_due = submitted + working(accept_days)
            response_due = submitted + working(response_days)
            resolve_due = submitted + working(resolve_days)
            steps = STEPS[state]
            # the step times: submit, dispatch (auto: a minute), accept, start, reply, close
            times = [submitted, submitted + 60 + rng.randrange(240)]
            times.append(times[1] + rng.randrange(2 * HOUR, 30 * HOUR))
            times.append(times[2] + rng.randrange(HOUR, 24 * HOUR))
            times.append(times[3] + int(working(resolve_days) * (0.2 + 0.9 * rng.random())))
            times.append(times[4] + rng.randrange(HOUR, 5 * DAY))
            if is_open:
                # an open case has not got past the load moment: squeeze its steps before it
                elapsed = now - 60 - submitted
                if times[5] > now - 60:
                    fractions = sorted(rng.random() for _ in range(4))
                    times[1] = submitted + min(300, elapsed // 100)
                    times[2:] = [times[1] + int((elapsed - 300) * f) for f in fractions]
            dispatched = times[1] if steps >= 2 and state != "submitted" else None
            accepted = times[2] if steps >= 3 else None
            started = times[3] if steps >= 4 else None
            replied = times[4] if steps >= 5 else None
            closed = times[5] if state == "closed" else None
            paused = times[3] + HOUR if state == "waiting_firm" else None
            overdue = (
                is_open and state in ("dispatched", "accepted", "in_progress") and resolve_due < now
            )
            reminded = resolve_due - int(0.2 * working(resolve_days)) if overdue else None
            escalated = resolve_due if overdue else None
            satisfaction, rating, not_rated, close_action = "", NULL, "f", "rate"
            if state == "closed":
                u = rng.random()
                if u < 0.13:
                    not_rated, close_action = "t", "auto_close"
                elif u < 0.78:
                    satisfaction, rating = "satisfied", "5"
                elif u < 0.94:
                    satisfaction, rating = "basic", "4"
                else:
                    satisfaction, rating = "unsatisfied", "2"
            if state == "closed" and closed is not None:
                end = closed
            elif state == "withdrawn":
                end = times[1] + rng.randrange(HOUR, 3 * DAY)
                closed = None
            else:
                end = max(x for x in (submitted, dispatched, accepted, started, replied) if x)
            year = datetime.fromtimestamp(submitted + SHANGHAI_OFFSET, UTC).year
            number = counters.get(year, 0) + 1
            counters[year] = number
            handler = ctx.handlers.get(dept) if dept is not None else None
            handler_s = NULL if handler is None else str(handler)
            dept_s = NULL if dept is None else str(dept)
            submitter = NULL if t.submitted_by_id is None else str(t.submitted_by_id)

            # the timeline
            did = str(demand_id)
            ev = [(times[0], "submit", submitter, "", "submitted", "")]
            if state != "submitted":
                note = "按派单规则自动派至" + ctx.department_names.get(dept, "") if dept else ""
                ev.append((times[1], "dispatch", NULL, "submitted", "dispatched", note))
            if state == "withdrawn":
                ev.append((end, "withdraw", submitter, "dispatched", "withdrawn", ""))
            if steps >= 3 and state != "withdrawn":
                ev.append((times[2], "accept", handler_s, "dispatched", "accepted", ""))
            if steps >= 4 and state != "withdrawn":
                ev.append((times[3], "start", handler_s, "accepted", "in_progress", ""))
            if state == "waiting_firm" and paused is not None:
                ev.append(
                    (paused, "wait_firm", handler_s, "in_progress", "waiting_firm", "请补充材料。")
                )
            if steps >= 5:
                ev.append((times[4], "reply", handler_s, "in_progress", "replied", t.reply))
            if state == "disputed":
                ev.append(
                    (times[4] + DAY, "reject", submitter, "replied", "disputed", "不认可答复。")
                )
            if state == "closed" and closed is not None:
                actor = NULL if close_action == "auto_close" else submitter
                ev.append((closed, close_action, actor, "replied", "closed", ""))
            if escalated is not None and escalated < now:
                ev.append((escalated, "escalate", NULL, state, state, "已超过办结期限，自动督办。"))
            for at, action, actor, before, after, note in ev:
                if event_fast:
                    event_lines.append(
                        f"{event_id}\t{action}\t{before}\t{after}\t{note}\tf\t{ts(at)}\t"
                        f"{actor}\t{did}\t{dept_s}{event_tail}\n"
                    )
                else:
                    row = {
                        "id": str(event_id),
                        "action": action,
                        "from_state": before,
                        "to_state": after,
                        "note": note,
                        "internal": "f",
                        "created_at": ts(at),
                        "actor_id": actor,
                        "demand_id": did,
                        "department_id": dept_s,
                    }
                    event_lines.append(
                        "\t".join(row[c] for c in event_cols[:10]) + event_tail + "\n"
                    )
                event_id += 1
            events_written += len(ev)

            values = {
                "id": did,
                "number": f"SQ-{year}-{number:06d}",
                "region_path": t.region_path,
                "title": t.title,
                "description": t.description,
                "channel": t.channel,
                "state": state,
                "version": str(len(ev)),
                "supervised": "t" if escalated else "f",
                "reopen_count": "1" if state == "disputed" else "0",
                "submitted_at": ts(submitted),
                "accept_due_at": ts(accept_due),
                "response_due_at": ts(response_due),
                "resolve_due_at": ts(resolve_due),
                "dispatched_at": opt(dispatched),
                "accepted_at": opt(accepted),
                "first_response_at": opt(started),
                "replied_at": opt(replied),
                "closed_at": opt(
                    closed if state == "closed" else (end if state == "withdrawn" else None)
                ),
                "paused_at": opt(paused),
                "reminded_at": opt(reminded),
                "escalated_at": opt(escalated),
                "reply": t.reply if steps >= 5 else "",
                "satisfaction": satisfaction,
                "rating": rating,
                "rating_comment": "",
                "not_rated": not_rated,
                "created_at": ts(submitted),
                "updated_at": ts(end),
                "category_id": str(t.category_id),
                "department_id": dept_s,
                "enterprise_id": str(t.enterprise_id),
                "merged_into_id": NULL,
                "submitted_by_id": submitter,
            }
            demand_lines.append("\t".join([values[c] for c in order]) + extra_tail + "\n")
            demand_id += 1
            if len(demand_lines) >= 5000:
                df.write("".join(demand_lines))
                ef.write("".join(event_lines))
                demand_lines.clear()
                event_lines.clear()
            if (i + 1) % 200_000 == 0:
                say(f"  generated {i + 1:,} cases")
        df.write("".join(demand_lines))
        ef.write("".join(event_lines))
    ctx.counters = counters
    return demand_cols, event_cols, events_written


# --- indexes, constraints, COPY -------------------------------------------------------------
TABLES = ("demands_demand", "demands_demandevent")


def secondary_indexes(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of every index that backs no constraint."""
    return conn.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
        " WHERE t.relname = ANY(%s) AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        " ORDER BY t.relname, i.relname",
        [list(TABLES)],
    ).fetchall()


def constraints(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the foreign keys and unique constraints (not the PKs)."""
    return conn.execute(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_class t ON t.oid = c.conrelid"
        " WHERE t.relname = ANY(%s) AND c.contype IN ('f', 'u')"
        " ORDER BY c.contype DESC, t.relname, c.conname",  # unique first, then foreign keys
        [list(TABLES)],
    ).fetchall()


def copy_file(conn: psycopg.Connection[Any], table: str, cols: list[str], path: Path) -> float:
    started = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        statement = f"COPY {table} ({', '.join(cols)}) FROM STDIN"
        with cur.copy(statement) as copy, open(path, "rb") as f:
            while block := f.read(1 << 20):
                copy.write(block)
    return time.perf_counter() - started


def load(args: argparse.Namespace) -> dict[str, Any]:
    url = db_url(args.server, args.db)
    result: dict[str, Any] = {
        "cases": args.cases,
        "seed": args.seed,
        "database": args.db,
        "keep_indexes": args.keep_indexes,
    }
    say(f"re-creating database {args.db}")
    recreate_database(args.server, args.db)
    var = tempfile.mkdtemp(prefix="qinqing-bench-var-")
    env = {**os.environ, "DATABASE_URL": url, "QINQING_VAR_DIR": var}
    result["migrate_s"] = round(qinqing(["migrate", "--no-input", "-v", "0"], env), 1)
    say(f"migrated in {result['migrate_s']} s; loading the demo")
    result["demo_load_s"] = round(
        qinqing(["demo", "load", "--seed", str(args.seed), "-v", "0"], env), 1
    )
    say(f"demo loaded in {result['demo_load_s']} s")

    staging = Path(tempfile.mkdtemp(prefix="qinqing-bench-copy-", dir=args.staging))
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            ctx = read_context(conn)
            now_dt = one(conn, "SELECT now()")
            now = int(now_dt.timestamp())
            say(
                f"generating {args.cases:,} cases from {len(ctx.templates):,} demo cases "
                f"({args.open_share:.1%} open) into {staging}"
            )
            demand_file, event_file = staging / "demands.copy", staging / "events.copy"
            started = time.perf_counter()
            demand_cols, event_cols, events = generate(
                ctx,
                cases=args.cases,
                seed=args.seed,
                years=args.years,
                open_share=args.open_share,
                now=now,
                demand_file=demand_file,
                event_file=event_file,
            )
            result["generate_s"] = round(time.perf_counter() - started, 1)
            result["events"] = events
            result["file_mb"] = {
                "demands": round(demand_file.stat().st_size / 2**20),
                "events": round(event_file.stat().st_size / 2**20),
            }
            say(f"generated in {result['generate_s']} s: {events:,} events; {result['file_mb']} MB")

            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute("SET synchronous_commit = off")
            saved_indexes = secondary_indexes(conn)
            saved_constraints = constraints(conn)
            if not args.keep_indexes:
                say(f"dropping {len(saved_constraints)} constraints, {len(saved_indexes)} indexes")
                for table, name, _definition in reversed(saved_constraints):
                    conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                for name, _definition in saved_indexes:
                    conn.execute(f'DROP INDEX "{name}"')

            say("COPY demands_demand")
            seconds = copy_file(conn, "demands_demand", demand_cols, demand_file)
            result["copy_demands_s"] = round(seconds, 2)
            result["copy_demands_rows_per_s"] = round(args.cases / seconds)
            say(f"  {args.cases:,} rows in {seconds:.1f} s = {args.cases / seconds:,.0f} rows/s")
            say("COPY demands_demandevent")
            seconds = copy_file(conn, "demands_demandevent", event_cols, event_file)
            result["copy_events_s"] = round(seconds, 2)
            result["copy_events_rows_per_s"] = round(events / seconds)
            say(f"  {events:,} rows in {seconds:.1f} s = {events / seconds:,.0f} rows/s")

            started = time.perf_counter()
            if not args.keep_indexes:
                say("rebuilding indexes and constraints")
                timings = {}
                for name, definition in saved_indexes:
                    t0 = time.perf_counter()
                    conn.execute(definition)
                    timings[name] = round(time.perf_counter() - t0, 1)
                for table, name, definition in saved_constraints:
                    t0 = time.perf_counter()
                    conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                    timings[name] = round(time.perf_counter() - t0, 1)
                result["rebuild_s"] = round(time.perf_counter() - started, 1)
                result["rebuild_slowest"] = dict(sorted(timings.items(), key=lambda kv: -kv[1])[:5])
                say(f"  rebuilt in {result['rebuild_s']} s")
            for table in TABLES:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            with conn.transaction():
                for year, last in ctx.counters.items():
                    conn.execute(
                        "INSERT INTO demands_demandcounter (year, last) VALUES (%s, %s)"
                        " ON CONFLICT (year) DO UPDATE SET last = excluded.last",
                        [year, last],
                    )
            say("VACUUM ANALYZE")
            t0 = time.perf_counter()
            for table in TABLES:
                conn.execute(f"VACUUM (ANALYZE) {table}")
            conn.execute("ANALYZE")  # the directory tables too, as autovacuum would
            result["vacuum_analyze_s"] = round(time.perf_counter() - t0, 1)
            result["total_after_generate_s"] = round(
                result["copy_demands_s"]
                + result["copy_events_s"]
                + result.get("rebuild_s", 0)
                + result["vacuum_analyze_s"],
                1,
            )
            result["sizes"] = dict(
                conn.execute(
                    "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class"
                    " WHERE relname = ANY(%s)",
                    [list(TABLES)],
                ).fetchall()
            )
            result["open_cases"] = one(
                conn,
                "SELECT count(*) FROM demands_demand WHERE state NOT IN ('closed', 'withdrawn')",
            )
            result["total_cases"] = one(conn, "SELECT count(*) FROM demands_demand")
            result["server_version"] = one(conn, "SHOW server_version")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(var, ignore_errors=True)
    result["cpus"] = os.cpu_count()
    result["python"] = platform.python_version()
    return result


# --- explain --------------------------------------------------------------------------------
def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    if "QINQING_VAR_DIR" not in os.environ:
        var = tempfile.mkdtemp(prefix="qinqing-bench-var-")
        atexit.register(shutil.rmtree, var, ignore_errors=True)
        os.environ["QINQING_VAR_DIR"] = var
    os.environ["DJANGO_SETTINGS_MODULE"] = "qinqing.config.settings"
    import django

    django.setup()


def explain(args: argparse.Namespace) -> dict[str, Any]:
    django_setup(db_url(args.server, args.db))
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qinqing.demo.data import DEMO_PASSWORD

    def token(client: Client, username: str) -> str:
        response = client.post(
            "/api/v1/auth/token",
            {"username": username, "password": DEMO_PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return response.json()["token"]

    client = Client()
    handler, firm = token(client, "zhaomin"), token(client, "wangli")
    out: dict[str, Any] = {}

    def is_write(sql: str) -> bool:
        head = sql.lstrip().split(" ", 1)[0].upper()
        return head in ("INSERT", "UPDATE", "DELETE") or "FOR UPDATE" in sql

    tallies: dict[str, dict[str, int]] = {}

    def captured(method: str, path: str, bearer: str, body: Any = None) -> list[str]:
        """The SQL one request ran; its queries, writes and commits go to ``tallies``."""
        events: list[tuple[str, bool]] = []  # (sql or COMMIT, inside a transaction)

        def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            events.append((sql, connection.in_atomic_block))
            return execute(sql, params, many, context)

        real_commit = connection.commit

        def commit() -> None:
            events.append(("COMMIT", False))
            real_commit()

        connection.commit = commit  # type: ignore[method-assign]
        try:
            with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(spy):
                headers = {"Authorization": f"Bearer {bearer}"}
                if method == "get":
                    response = client.get(path, headers=headers)
                else:
                    response = client.post(
                        path, body, content_type="application/json", headers=headers
                    )
        finally:
            del connection.commit
        assert response.status_code in (200, 201), (path, response.status_code, response.content)
        queries = [q["sql"] for q in ctx.captured_queries]
        tally = {"queries": len(queries), "write_statements": 0, "commits": 0}
        tally["write_commits"] = 0
        pending = False
        for sql, inside in events:
            if sql == "COMMIT":
                tally["commits"] += 1
                tally["write_commits"] += pending
                pending = False
            elif is_write(sql):
                tally["write_statements"] += 1
                if inside:
                    pending = True
                else:  # autocommit: a transaction of its own
                    tally["commits"] += 1
                    tally["write_commits"] += 1
        tallies[path if method == "get" else f"POST {path}"] = tally
        return queries

    inbox = captured("get", "/api/v1/demands/inbox", handler)
    page_sql = next(q for q in inbox if 'ORDER BY "demands_demand"."resolve_due_at"' in q)
    count_sql = next(q for q in inbox if "COUNT(*)" in q and "demands_demand" in q)
    out["inbox_queries"] = inbox
    with connection.cursor() as cur:
        plans: dict[str, list[str]] = {}
        for name, sql in (("page", page_sql), ("count", count_sql)):
            plans[name] = []
            for _run in range(2):  # the first as it comes, the second warm
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plans[name].append("\n".join(r[0] for r in cur.fetchall()))
        out["inbox_page_sql"] = page_sql
        out["inbox_count_sql"] = count_sql
        out["inbox_plans"] = plans
        cur.execute(
            "SELECT count(*) FROM demands_demand WHERE department_id = 2 AND state NOT IN"
            " ('closed', 'withdrawn')"
        )
        out["zhaomin_open_cases"] = cur.fetchone()[0]

    with connection.cursor() as cur:
        cur.execute(
            "SELECT id FROM demands_demand WHERE enterprise_id = 1 ORDER BY id DESC LIMIT 1"
        )
        firm_case = cur.fetchone()[0]
        cur.execute(
            "SELECT id FROM demands_demand WHERE department_id = 2 ORDER BY id DESC LIMIT 1"
        )
        handler_case = cur.fetchone()[0]
    per_request = {
        "inbox (zhaomin)": inbox,
        "detail (wangli, own firm)": captured("get", f"/api/v1/demands/{firm_case}", firm),
        "detail (zhaomin, handler)": captured("get", f"/api/v1/demands/{handler_case}", handler),
        "submit (wangli)": captured(
            "post",
            "/api/v1/demands",
            firm,
            {
                "enterprise_id": 1,
                "category": "tax",
                "title": "查询计划核对",
                "description": "基准测试：统计一次提交的查询次数。",
            },
        ),
    }
    out["queries_per_request"] = {
        name: tallies[key]
        for name, key in (
            ("inbox (zhaomin)", "/api/v1/demands/inbox"),
            ("detail (wangli, own firm)", f"/api/v1/demands/{firm_case}"),
            ("detail (zhaomin, handler)", f"/api/v1/demands/{handler_case}"),
            ("submit (wangli)", "POST /api/v1/demands"),
        )
    }
    out["per_request_sql"] = {name: queries for name, queries in per_request.items()}
    return out


# --- the proposed inbox index (tried on the bench database only) ----------------------------
PROPOSED_INDEX = "demand_inbox_open"


def proposed_index(args: argparse.Namespace, create: bool) -> None:
    """Create or drop, on the bench database, the partial index proposed for the inbox:

        models.Index(fields=["department", "resolve_due_at", "id"],
                     condition=Q(state__in=OPEN_STATES), name="demand_inbox_open")

    with the SQL Django's schema editor writes for it. The project's models are not touched.
    """
    django_setup(db_url(args.server, args.db))
    from django.db import connection, models

    from qinqing.demands.models import Demand
    from qinqing.demands.workflow import OPEN_STATES

    index = models.Index(
        fields=["department", "resolve_due_at", "id"],
        condition=models.Q(state__in=OPEN_STATES),
        name=PROPOSED_INDEX,
    )
    with connection.schema_editor() as editor:
        if create:
            sql = str(index.create_sql(Demand, editor))
            started = time.perf_counter()
            editor.execute(sql)
            say(f"{sql}\n-- built in {time.perf_counter() - started:.1f} s")
        else:
            editor.execute(index.remove_sql(Demand, editor))
            say(f"dropped index {PROPOSED_INDEX}")
    with connection.cursor() as cur:
        cur.execute("ANALYZE demands_demand")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command",
        choices=["load", "explain", "drop", "index-on", "index-off"],
        nargs="?",
        default="load",
    )
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--years", type=float, default=5.0, help="history span of closed cases")
    parser.add_argument("--open-share", type=float, default=0.02)
    parser.add_argument("--keep-indexes", action="store_true", help="COPY into indexed tables")
    parser.add_argument("--staging", default=None, help="directory for the COPY files")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args()
    if args.command == "drop":
        drop_database(args.server, args.db)
        return
    if args.command in ("index-on", "index-off"):
        proposed_index(args, create=args.command == "index-on")
        return
    result = load(args) if args.command == "load" else explain(args)
    text = json.dumps(result, ensure_ascii=False, indent=2, default=str)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    if args.command == "explain":
        for name in ("page", "count"):
            print(f"-- inbox {name} query, as Django ran it:")
            print(result[f"inbox_{name}_sql"] + ";")
            first, second = result["inbox_plans"][name]
            print("-- EXPLAIN (ANALYZE, BUFFERS), first run:")
            print(first)
            print("-- EXPLAIN (ANALYZE, BUFFERS), second run:")
            print(second)
            print()
        print(f"zhaomin's open cases: {result['zhaomin_open_cases']:,}")
        print(json.dumps(result["queries_per_request"], ensure_ascii=False, indent=2))
    else:
        print(text)


if __name__ == "__main__":
    main()
