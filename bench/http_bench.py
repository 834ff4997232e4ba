"""HTTP benchmark of demand handling against the bench database, with a bare reference.

Usage:
  .venv/bin/python bench/http_bench.py [--runs 3] [--duration 15] [--connections 8]
                                       [--json results.json]

Needs the database loaded by ``bench/demands_scale.py load`` (default ``qinqing_bench`` on
``BENCH_PG_URL``, default ``postgres://postgres@127.0.0.1:5432``). Starts two gunicorns on
127.0.0.1, each with 2 sync workers and persistent database connections:

* the project (``qinqing.config.wsgi``), DATABASE_URL to the bench database;
* the bare reference (``bench/reference_app.py``): plain Django views on the same table.

then takes API tokens for zhaomin (handler) and wangli (firm user) through
``POST /api/v1/auth/token`` and runs, ``--runs`` times in rotation (so drift hits every
scenario alike), each scenario for ``--duration`` seconds after one short warm-up:

  ref_json        GET  /ref/json                    no database (the machine's ceiling)
  ref_read        GET  /ref/read/<random pk>        bare ORM read of one row of N
  ref_insert      POST /ref/insert                  bare ORM insert of one row (deleted
                                                    again at the end)
  auth_only       GET  /api/v1/me                   wangli: the project's floor (middleware,
                                                    token, roles; no demand read)
  inbox           GET  /api/v1/demands/inbox        zhaomin's first page
  inbox_1conn     the same with one connection      (latency without queueing)
  detail_firm     GET  /api/v1/demands/<id>         wangli, random case of the own firm
  detail_handler  GET  /api/v1/demands/<id>         zhaomin, random case of the department
                                                    (each view writes an audit entry)
  submit          POST /api/v1/demands              wangli, category "tax" (routed to the
                                                    district tax bureau, not zhaomin's inbox)

Load comes from wrk when it is installed (``apt-get install wrk``), otherwise from a Python
client with one thread per connection. The RSS of every gunicorn worker is sampled once a
second (``ps -o rss``) during each scenario, and the CPU the workers and the database
backends spend per request (``/proc/<pid>/stat``; steadier than req/s when other work shares
the machine). Prints medians, the ratios the performance targets name (by req/s and by CPU
per request) and the RSS peak; ``--json`` keeps every run. The rows the reference inserts
are deleted at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "Qinqing@2026"  # the demo accounts' password (qinqing.demo.data.DEMO_PASSWORD)
SUBMIT_BODY = {
    "enterprise_id": 0,  # wangli's firm, filled in at start
    "category": "tax",
    "title": "出口退税进度查询",
    "description": "我司上月申报的出口退税尚未到账，请帮助查询办理进度。",
}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- servers --------------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(name: str, port: int, app: list[str], env: dict[str, str], logs: Path) -> Server:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = logs / f"{name}.log"
    command = [
        str(gunicorn),
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "--log-level",
        "warning",
        *app,
    ]
    with open(log, "wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    return Server(name, port, process, log)


def wait_ready(server: Server, path: str) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{server.name} did not answer {path} within 60 s")


def api_token(port: int, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORD, "name": "bench"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["token"])


# --- scenarios ------------------------------------------------------------------------------
@dataclass
class Scenario:
    name: str
    port: int
    paths: list[str]  # one is chosen at random per request
    method: str = "GET"
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    connections: int | None = None  # default: --connections
    project: bool = True  # RSS sampled for the project's workers


LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def lua_script(s: Scenario) -> str:
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)  # a valid Lua string literal too

    lines = [f"wrk.method = {q(s.method)}"]
    if s.body:
        lines.append(f"wrk.body = {q(s.body)}")
    for key, value in s.headers.items():
        lines.append(f"wrk.headers[{q(key)}] = {q(value)}")
    lines.append("paths = {" + ",".join(q(p) for p in s.paths) + "}")
    lines.append("request = function() return wrk.format(nil, paths[math.random(#paths)]) end")
    return "\n".join(lines) + "\n" + LUA_DONE


def run_wrk(s: Scenario, seconds: float, connections: int, scripts: Path) -> dict[str, Any]:
    script = scripts / f"{s.name}.lua"
    script.write_text(lua_script(s), encoding="utf-8")
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{int(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{s.port}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    raw = json.loads(line[6:])
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "non_2xx": raw["status"],
        "socket_errors": errors,
    }


def run_python(s: Scenario, seconds: float, connections: int, scripts: Path) -> dict[str, Any]:
    """The fallback load generator: one thread per connection, a new connection per request
    (gunicorn's sync workers close it anyway)."""

    latencies: list[list[float]] = [[] for _ in range(connections)]
    bad = [0] * connections
    errors = [0] * connections
    stop_at = time.perf_counter() + seconds
    body = s.body.encode() if s.body else None

    def worker(i: int) -> None:
        rng = random.Random(i)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
                conn.request(s.method, rng.choice(s.paths), body=body, headers=s.headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status >= 400:
                    bad[i] += 1
            except OSError:
                errors[i] += 1
                continue
            latencies[i].append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for part in latencies for x in part)

    def pct(p: float) -> float:
        return flat[min(len(flat) - 1, int(p / 100 * len(flat)))] * 1000 if flat else 0.0

    return {
        "requests": len(flat),
        "rps": len(flat) / elapsed,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": flat[-1] * 1000 if flat else 0.0,
        "non_2xx": sum(bad),
        "socket_errors": sum(errors),
    }


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still alive (from /proc/<pid>/stat)."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return out


def backends(url: str, db: str) -> list[int]:
    """The PostgreSQL backends connected to the bench database (the gunicorns' connections)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [db],
        ).fetchall()
    return [r[0] for r in rows]


class CpuMeter:
    """CPU seconds the app workers and the database backends spend during a scenario: a
    figure per request that other work on the machine disturbs much less than req/s."""

    def __init__(self, workers: list[int], url: str, db: str) -> None:
        self.workers, self.url, self.db = workers, url, db

    def __enter__(self) -> CpuMeter:
        self.db_pids = backends(self.url, self.db)
        self.before = cpu_seconds(self.workers), cpu_seconds(self.db_pids)
        return self

    def __exit__(self, *exc: object) -> None:
        after_app = cpu_seconds(self.workers)
        pids = sorted(set(self.db_pids) | set(backends(self.url, self.db)))
        after_db = cpu_seconds(pids)
        self.app = sum(v - self.before[0].get(p, 0.0) for p, v in after_app.items())
        self.database = sum(v - self.before[1].get(p, 0.0) for p, v in after_db.items())


class RssSampler:
    """Peak RSS (MiB) of the given processes, sampled once a second in a thread."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        if not self.pids:
            return
        out = subprocess.run(
            ["ps", "-o", "rss=", "-p", ",".join(map(str, self.pids))],
            capture_output=True,
            text=True,
        ).stdout
        for value in out.split():
            self.peak = max(self.peak, int(value) / 1024)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self._sample()

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


# --- the run --------------------------------------------------------------------------------
def one(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> Any:
    """The first column of the only row of ``sql`` (the demo accounts must exist)."""
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise SystemExit(f"nothing found for: {sql}")
    return row[0]


def bench_facts(url: str, firm_user: str, handler_user: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*), min(id), max(id) FROM demands_demand").fetchone()
        assert row is not None
        total, lo, hi = row
        if total < 1000:
            raise SystemExit("the bench database looks empty: run bench/demands_scale.py load")
        firm = one(
            conn,
            "SELECT r.enterprise_id FROM accounts_roleassignment r JOIN accounts_user u"
            " ON u.id = r.user_id WHERE u.username = %s AND r.role = 'enterprise'",
            [firm_user],
        )
        department = one(
            conn,
            "SELECT r.department_id FROM accounts_roleassignment r JOIN accounts_user u"
            " ON u.id = r.user_id WHERE u.username = %s AND r.role = 'handler'",
            [handler_user],
        )
        firm_cases = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM demands_demand WHERE enterprise_id = %s"
                " AND number NOT LIKE 'RF-%%' ORDER BY random() LIMIT 500",
                [firm],
            )
        ]
        handler_cases = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM demands_demand WHERE department_id = %s ORDER BY random()"
                " LIMIT 500",
                [department],
            )
        ]
        open_in_department = one(
            conn,
            "SELECT count(*) FROM demands_demand WHERE department_id = %s"
            " AND state NOT IN ('closed', 'withdrawn')",
            [department],
        )
        # ids spread over the whole table for the reference read, every one present
        rng = random.Random(2026)
        candidates = sorted({rng.randint(lo, hi) for _ in range(1500)})
        ref_ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM demands_demand WHERE id = ANY(%s) ORDER BY id", [candidates]
            )
        ][:1000]
        version = one(conn, "SHOW server_version")
    return {
        "cases": total,
        "id_range": [lo, hi],
        "firm": firm,
        "department": department,
        "firm_cases": firm_cases,
        "handler_cases": handler_cases,
        "ref_cases": ref_ids,
        "open_in_department": open_in_department,
        "postgresql": version,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--db", default="qinqing_bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8871, help="the project; reference: +1")
    parser.add_argument("--only", nargs="*", help="run only these scenarios")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    url = f"{args.server.rstrip('/')}/{args.db}"
    facts = bench_facts(url, "wangli", "zhaomin")
    say(
        f"{facts['cases']:,} cases; wangli's firm {facts['firm']} has "
        f"{len(facts['firm_cases'])} (sampled ≤ 500); zhaomin's department "
        f"{facts['department']} has {facts['open_in_department']:,} open"
    )
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    runner = run_wrk if use_wrk else run_python
    say(f"load generator: {'wrk' if use_wrk else 'Python threads'}")

    work = Path(tempfile.mkdtemp(prefix="qinqing-http-bench-"))
    base_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    project_env = {
        **base_env,
        "DATABASE_URL": url,
        "QINQING_VAR_DIR": str(work / "var"),
        "DJANGO_SETTINGS_MODULE": "qinqing.config.settings",
    }
    reference_env = {**base_env, "DATABASE_URL": url}
    project_port, reference_port = args.port, args.port + 1
    servers = []
    try:
        project = start_server(
            "project", project_port, ["qinqing.config.wsgi:application"], project_env, work
        )
        servers.append(project)
        reference = start_server(
            "reference",
            reference_port,
            ["--chdir", str(BENCH_DIR), "reference_app:application"],
            reference_env,
            work,
        )
        servers.append(reference)
        wait_ready(reference, "/ref/json")
        wait_ready(project, "/api/v1/openapi.json")
        handler, firm = api_token(project_port, "zhaomin"), api_token(project_port, "wangli")
        ref_ids = [f"/ref/read/{i}" for i in facts["ref_cases"]]
        submit = dict(SUBMIT_BODY, enterprise_id=facts["firm"])
        json_headers = {"Content-Type": "application/json"}
        scenarios = [
            Scenario("ref_json", reference_port, ["/ref/json"], project=False),
            Scenario("ref_read", reference_port, ref_ids, project=False),
            Scenario(
                "auth_only",
                project_port,
                ["/api/v1/me"],
                headers={"Authorization": f"Bearer {firm}"},
            ),
            Scenario(
                "detail_firm",
                project_port,
                [f"/api/v1/demands/{i}" for i in facts["firm_cases"]],
                headers={"Authorization": f"Bearer {firm}"},
            ),
            Scenario(
                "detail_handler",
                project_port,
                [f"/api/v1/demands/{i}" for i in facts["handler_cases"]],
                headers={"Authorization": f"Bearer {handler}"},
            ),
            Scenario(
                "inbox",
                project_port,
                ["/api/v1/demands/inbox"],
                headers={"Authorization": f"Bearer {handler}"},
            ),
            Scenario(
                "inbox_1conn",
                project_port,
                ["/api/v1/demands/inbox"],
                headers={"Authorization": f"Bearer {handler}"},
                connections=1,
            ),
            Scenario(
                "ref_insert",
                reference_port,
                ["/ref/insert"],
                method="POST",
                body="{}",
                headers=json_headers,
                project=False,
            ),
            Scenario(
                "submit",
                project_port,
                ["/api/v1/demands"],
                method="POST",
                body=json.dumps(submit, ensure_ascii=False),
                headers={**json_headers, "Authorization": f"Bearer {firm}"},
            ),
        ]
        if args.only:
            scenarios = [s for s in scenarios if s.name in args.only]

        results: dict[str, list[dict[str, Any]]] = {s.name: [] for s in scenarios}
        load_before = os.getloadavg()
        say("warm-up")
        for s in scenarios:
            runner(s, args.warmup, s.connections or args.connections, work)
        for run in range(1, args.runs + 1):
            for s in scenarios:
                server = project if s.project else reference
                workers = server.workers()
                with RssSampler(workers) as rss, CpuMeter(workers, url, args.db) as cpu:
                    r = runner(s, args.duration, s.connections or args.connections, work)
                r["rss_peak_mib"] = round(rss.peak, 1)
                done = max(1, r["requests"])
                r["app_cpu_ms"] = round(cpu.app / done * 1000, 3)
                r["db_cpu_ms"] = round(cpu.database / done * 1000, 3)
                r["loadavg_1m"] = round(os.getloadavg()[0], 2)
                results[s.name].append(r)
                say(
                    f"run {run} {s.name:15} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f}  "
                    f"p95 {r['p95_ms']:6.1f}  p99 {r['p99_ms']:6.1f} ms  "
                    f"non-2xx {r['non_2xx']}  errors {r['socket_errors']}  "
                    f"RSS ≤ {r['rss_peak_mib']} MiB  CPU/request app {r['app_cpu_ms']:.2f} "
                    f"+ db {r['db_cpu_ms']:.2f} ms  load {r['loadavg_1m']}"
                )
        load_after = os.getloadavg()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
        # the reference's rows go again, so a later run samples only real cases
        with psycopg.connect(url, autocommit=True) as conn:
            gone = conn.execute("DELETE FROM demands_demand WHERE number LIKE 'RF-%'").rowcount
        say(f"deleted the reference's {gone:,} inserted rows")

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    summary: dict[str, Any] = {}
    for name, runs in results.items():
        summary[name] = {
            key: round(median(name, key), 2)
            for key in (
                "rps",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "max_ms",
                "rss_peak_mib",
                "app_cpu_ms",
                "db_cpu_ms",
            )
        }
        summary[name]["rps_min"] = round(min(r["rps"] for r in runs), 1)
        summary[name]["rps_max"] = round(max(r["rps"] for r in runs), 1)
        summary[name]["non_2xx"] = sum(r["non_2xx"] for r in runs)
        summary[name]["socket_errors"] = sum(r["socket_errors"] for r in runs)
    ratios = {}
    for name, base in (
        ("auth_only", "ref_read"),
        ("detail_firm", "ref_read"),
        ("detail_handler", "ref_read"),
        ("submit", "ref_insert"),
    ):
        if name in summary and base in summary:
            ratios[f"{name} / {base}"] = round(summary[name]["rps"] / summary[base]["rps"], 3)
            cost = summary[name]["app_cpu_ms"] + summary[name]["db_cpu_ms"]
            base_cost = summary[base]["app_cpu_ms"] + summary[base]["db_cpu_ms"]
            if cost:
                ratios[f"{name} / {base} by CPU per request"] = round(base_cost / cost, 3)
    report = {
        "facts": {k: v for k, v in facts.items() if not k.endswith("_cases")},
        "settings": {
            "runs": args.runs,
            "duration_s": args.duration,
            "connections": args.connections,
            "load_generator": "wrk -t1" if use_wrk else "python threads",
            "gunicorn": "2 sync workers",
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
        },
        "median": summary,
        "ratios": ratios,
        "runs": results,
    }
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\nmedians of {args.runs} runs, {args.duration:.0f} s each, {args.connections} conns:")
    print(
        f"{'scenario':16} {'req/s':>9} {'p50':>7} {'p95':>7} {'p99':>7}  {'RSS MiB':>8}"
        f"  {'CPU ms/req app + db':>20}"
    )
    for name, m in summary.items():
        print(
            f"{name:16} {m['rps']:9.1f} {m['p50_ms']:7.1f} {m['p95_ms']:7.1f} "
            f"{m['p99_ms']:7.1f}  {m['rss_peak_mib']:8.1f}"
            f"  {m['app_cpu_ms']:9.2f} + {m['db_cpu_ms']:.2f}"
        )
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")


if __name__ == "__main__":
    main()
