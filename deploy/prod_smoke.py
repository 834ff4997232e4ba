"""Production smoke test: the whole production stack on this machine, driven over HTTP.

    make prod-smoke            # or: .venv/bin/python deploy/prod_smoke.py [--keep-tmp]

It starts, configured only through the documented environment variables
(deploy/qinqing.env.example): a fresh PostgreSQL database, Redis databases 13 (cache) and 14
(task queue), moto's S3 server with a bucket, ``qinqing migrate`` and ``qinqing demo load``,
then gunicorn (4 workers, deploy/gunicorn.conf.py), two ``qinqing rq_worker`` and two
``qinqing schedule`` (one leads). Against gunicorn, over HTTP only, it files 20 anonymous
misconduct reports (the 21st from the same address is refused: the rate limit is shared by
the workers), takes a demand with a photo from the firm to the handler and back, lets a
supervisor read a report, computes the index through the queue, kills a task worker in the
middle of a job and checks that the other one finishes it, reads /healthz and /metrics,
makes a backup and restores it into a second database and bucket, and verifies the audit
chain. First of all it checks deploy/ (unit files, the example environment, the nginx site)
and that gunicorn with an unreachable cache stops with one line.

Everything it starts is torn down in a ``finally`` (also on failure and Ctrl-C). It prints
progress lines and exactly one summary line, ``prod-smoke: OK — …`` or
``prod-smoke: FAILED at <step>: <reason>``, and exits non-zero on any failure.

Where it runs: PostgreSQL at ``PROD_SMOKE_PG`` (default postgres://postgres@127.0.0.1:5432,
a superuser that may create databases) and Redis at ``PROD_SMOKE_REDIS`` (default
redis://127.0.0.1:6379; databases 13 and 14 are flushed before and after).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import http.client
import io
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
PG_BASE = os.environ.get("PROD_SMOKE_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS_BASE = os.environ.get("PROD_SMOKE_REDIS", "redis://127.0.0.1:6379").rstrip("/")
CACHE_DB, QUEUE_DB = 13, 14
PASSWORD = "Qinqing@2026"
WEB_WORKERS = 4
REPORTS = 20
#: the environment the application processes are given is built from scratch: these inherited
#: variables would configure them behind the test's back
CONFIG_PREFIXES = ("QINQING_", "DJANGO_", "AWS_", "PROMETHEUS_", "DATABASE_URL", "RQ_")
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
#: variables of qinqing.env.example read by a library, not by settings.py
READ_BY_LIBRARIES = {
    "AWS_ACCESS_KEY_ID": "boto3 (the S3 storage)",
    "AWS_SECRET_ACCESS_KEY": "boto3 (the S3 storage)",
    "PROMETHEUS_MULTIPROC_DIR": "prometheus_client multiprocess mode",
}
#: variables read by deploy/gunicorn.conf.py
READ_BY_GUNICORN_CONF = ("QINQING_BIND", "QINQING_WEB_WORKERS", "QINQING_GUNICORN_LOG_LEVEL")

T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


class Failed(Exception):
    """A step's check did not hold; the message is the one-line reason."""


def check(condition: Any, reason: str) -> None:
    if not condition:
        raise Failed(reason)


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def last_words(done: subprocess.CompletedProcess[str]) -> str:
    return one_line((done.stdout + done.stderr)[-300:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise Failed(f"the process exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise Failed(f"nothing listens on port {port} after {timeout:.0f} s")


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty)"


# --- HTTP, stdlib only -----------------------------------------------------------------------
@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            text = self.body[:200].decode(errors="replace")
            raise Failed(f"not JSON (HTTP {self.status}): {one_line(text)}") from exc

    def brief(self) -> str:
        return f"HTTP {self.status} {one_line(self.body[:300].decode(errors='replace'))}"


@dataclass
class Http:
    """A small client that counts requests; ``timed`` requests make up the throughput figure."""

    host: str
    port: int
    requests: int = 0
    timed_requests: int = 0
    timed_seconds: float = 0.0
    phases: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str = "",
        body: Any = None,
        raw: bytes | None = None,
        content_type: str = "",
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Response:
        sent = dict(headers or {})
        sent.setdefault("X-Request-ID", uuid.uuid4().hex)
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            content_type = "application/json"
        if content_type:
            sent["Content-Type"] = content_type
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=sent)
            resp = conn.getresponse()
            payload = resp.read()
            result = Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload)
        finally:
            conn.close()
        with self._lock:
            self.requests += 1
        return result

    @contextmanager
    def timed(self, label: str) -> Iterator[None]:
        """Count the requests made inside and the wall-clock time they took, under ``label``."""
        before, started = self.requests, time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                seconds = time.perf_counter() - started
                count = self.requests - before
                self.timed_seconds += seconds
                self.timed_requests += count
                n, s = self.phases.get(label, (0, 0.0))
                self.phases[label] = (n + count, s + seconds)


def expect(resp: Response, *statuses: int, what: str) -> Response:
    if resp.status not in statuses:
        raise Failed(f"{what}: expected HTTP {'/'.join(map(str, statuses))}, got {resp.brief()}")
    return resp


def multipart(field_name: str, filename: str, content_type: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----qinqing-smoke-" + secrets.token_hex(12)
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field_name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def photo_png() -> bytes:
    """A small real photo-like PNG (a gradient with a shape), made with Pillow."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (96, 64))
    for x in range(96):
        for y in range(64):
            img.putpixel((x, y), (x * 2 % 256, y * 4 % 256, (x + y) % 256))
    ImageDraw.Draw(img).ellipse((30, 12, 66, 52), outline=(255, 255, 255), width=3)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def previous_half_year(today: date) -> str:
    return f"{today.year}H1" if today.month >= 7 else f"{today.year - 1}H2"


# --- the deploy files --------------------------------------------------------------------------
def check_deploy_files(qinqing_commands: set[str], help_of: Callable[[list[str]], str]) -> str:
    """Unit files name existing `qinqing` subcommands; every variable of the example is read."""
    problems: list[str] = []
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    check(units, "no unit files in deploy/systemd/")
    needed = {
        "qinqing-web.service",
        "qinqing-worker@.service",
        "qinqing-schedule.service",
        "qinqing-backup.service",
    }
    missing = needed - {u.name for u in units}
    check(not missing, f"missing unit files: {', '.join(sorted(missing))}")
    check((DEPLOY / "systemd" / "qinqing-backup.timer").exists(), "missing qinqing-backup.timer")
    execs = 0
    for unit in units:
        text = unit.read_text()
        for key in (
            "EnvironmentFile=/etc/qinqing/qinqing.env",
            "User=qinqing",
            "Restart=on-failure",
        ):
            if key not in text and not (
                unit.name == "qinqing-backup.service" and key.startswith("Restart")
            ):
                problems.append(f"{unit.name}: no {key}")
        for line in text.splitlines():
            if not line.startswith(("ExecStart=", "ExecStartPre=")):
                continue
            execs += 1
            words = shlex.split(line.split("=", 1)[1].lstrip("-+!@:"))
            if Path(words[0]).name in ("sh", "bash") and "-c" in words:
                script = shlex.split(words[words.index("-c") + 1])
                words = script[1:] if script and script[0] == "exec" else script
            program = Path(words[0]).name
            if program == "gunicorn":
                if "qinqing.config.wsgi" not in words or not any(
                    w.endswith("gunicorn.conf.py") for w in words
                ):
                    problems.append(
                        f"{unit.name}: gunicorn without qinqing.config.wsgi -c gunicorn.conf.py"
                    )
                continue
            if program != "qinqing":
                continue
            check(len(words) > 1, f"{unit.name}: `qinqing` without a subcommand")
            sub = words[1]
            if sub not in qinqing_commands:
                problems.append(f"{unit.name}: `qinqing {sub}` is not a qinqing command")
                continue
            # a second word that is not an option is a sub-subcommand (`backup create`)
            command = [sub]
            if len(words) > 2 and not words[2].startswith("-"):
                if not re.search(rf"\b{re.escape(words[2])}\b", help_of([sub])):
                    problems.append(f"{unit.name}: `qinqing {sub} {words[2]}` is unknown")
                    continue
                command.append(words[2])
            usage = help_of(command)
            for opt in (
                w.split("=", 1)[0] for w in words[len(command) + 1 :] if w.startswith("--")
            ):
                if not re.search(rf"(^|\s|\[){re.escape(opt)}\b", usage):
                    problems.append(
                        f"{unit.name}: `qinqing {' '.join(command)}` has no option {opt}"
                    )
    check(execs >= 4, f"only {execs} ExecStart lines in the unit files")
    analyze = shutil.which("systemd-analyze")
    if analyze:  # syntax of the units (the binaries under /opt/qinqing do not exist here)
        timer = DEPLOY / "systemd" / "qinqing-backup.timer"
        done = subprocess.run(
            [analyze, "verify", *map(str, units), str(timer)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        for line in (done.stdout + done.stderr).splitlines():
            if line.strip() and "is not executable: No such file or directory" not in line:
                problems.append(f"systemd-analyze verify: {line.strip()}")

    example = DEPLOY / "qinqing.env.example"
    check(example.exists(), "deploy/qinqing.env.example is missing")
    variables = re.findall(r"^\s*#?\s*([A-Z][A-Z0-9_]+)=", example.read_text(), flags=re.M)
    check(variables, "no variables in qinqing.env.example")
    # settings.py, or the other modules of src/qinqing/config (wsgi.py's start-up check)
    config_text = "\n".join(f.read_text() for f in (ROOT / "src/qinqing/config").glob("*.py"))
    gunicorn_text = (DEPLOY / "gunicorn.conf.py").read_text()
    for var in sorted(set(variables)):
        if re.search(rf"[\"']{var}[\"']", config_text):
            continue
        if var in READ_BY_LIBRARIES:
            continue
        if var in READ_BY_GUNICORN_CONF and f'"{var}"' in gunicorn_text:
            continue
        problems.append(f"{var} (qinqing.env.example) is read by no settings (src/qinqing/config)")
    nginx = DEPLOY / "nginx" / "qinqing.conf"
    check(nginx.exists(), "deploy/nginx/qinqing.conf is missing")
    conf = nginx.read_text()
    for pattern, what in (
        (r"proxy_set_header\s+X-Request-ID\s+\$request_id;", "proxy_set_header X-Request-ID"),
        (r"client_max_body_size\s+20m;", "client_max_body_size 20m"),
        (r"log_format\s+(\w+)\s+(?:'[^']*'\s*)+;", "a log_format"),
    ):
        if not re.search(pattern, conf):
            problems.append(f"nginx: no {what}")
    # the reporting channel's locations log without the client address
    formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf))
    for location in ("/reports", "/api/v1/reports"):
        block = re.search(rf"location\s+\^~\s+{re.escape(location)}\s*\{{([^}}]*)\}}", conf)
        if block is None:
            problems.append(f"nginx: no `location ^~ {location}`")
            continue
        log = re.search(r"access_log\s+(\S+)(?:\s+(\w+))?", block.group(1))
        if log is None:
            problems.append(f"nginx: {location} inherits the access log with addresses")
        elif log.group(1) != "off" and "$remote_addr" in formats.get(
            log.group(2) or "combined", "$remote_addr"
        ):
            problems.append(f"nginx: {location} logs $remote_addr")
    check(not problems, "; ".join(problems))
    return f"{len(units)} units, {execs} commands, {len(set(variables))} variables"


# --- the run -----------------------------------------------------------------------------------
@dataclass
class Step:
    name: str
    ok: bool | None = None
    reason: str = ""
    seconds: float = 0.0


class Smoke:
    def __init__(self, *, keep_tmp: bool) -> None:
        self.pid = os.getpid()
        self.keep_tmp = keep_tmp
        self.tmp = Path(tempfile.mkdtemp(prefix=f"qinqing-smoke-{self.pid}-"))
        self.marker = f"qinqing-smoke-{self.pid}-{secrets.token_hex(4)}"
        self.databases: list[str] = []
        self.buckets: list[str] = []
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        self.steps: list[Step] = []
        self.facts: dict[str, Any] = {}
        self.env: dict[str, str] = {}
        self.http: Http | None = None
        self.s3_port = 0
        self.web_port = 0
        self.redis_cache = f"{REDIS_BASE}/{CACHE_DB}"
        self.redis_queue = f"{REDIS_BASE}/{QUEUE_DB}"
        self.redis_flushed = False
        self.worker_names: dict[str, str] = {}
        self.lock_conn: Any = None

    # --- steps ------------------------------------------------------------------------------
    def step(self, name: str, body: Callable[[], str | None], *, fatal: bool = False) -> bool:
        st = Step(name)
        self.steps.append(st)
        started = time.monotonic()
        say(f"{name} …")
        try:
            detail = body()
            st.ok = True
            say(f"{name}: ok{f' — {detail}' if detail else ''}")
        except Failed as exc:
            st.ok, st.reason = False, one_line(str(exc), 600)
        except (KeyboardInterrupt, SystemExit):
            st.ok, st.reason = False, "interrupted"
            raise
        except Exception as exc:  # a bug or an unexpected answer: keep the trace for the log
            st.ok, st.reason = False, one_line(f"{type(exc).__name__}: {exc}", 600)
            traceback.print_exc()
        finally:
            st.seconds = time.monotonic() - started
        if not st.ok:
            say(f"{name}: FAILED — {st.reason}")
            if fatal:
                raise Failed(st.reason)
        return bool(st.ok)

    def passed(self, name: str) -> bool:
        return any(s.name == name and s.ok for s in self.steps)

    # --- processes --------------------------------------------------------------------------
    def app_env(self, **overrides: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(CONFIG_PREFIXES) and k.lower() not in PROXY_VARIABLES
        }
        env.update(self.env)
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        env["QINQING_SMOKE_MARKER"] = self.marker  # not configuration: finds our orphans
        env.update(overrides)
        return env

    def start(self, name: str, args: list[str], **env: str) -> subprocess.Popen[bytes]:
        log = self.tmp / "logs" / f"{name}.log"
        log.parent.mkdir(exist_ok=True)
        self.logs[name] = log
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                args,
                cwd=self.tmp,
                env=self.app_env(**env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a group
            )
        self.procs[name] = proc
        return proc

    def qinqing(
        self, *args: str, timeout: float = 300, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run a `qinqing` command to completion; its output goes to logs/<name>.log."""
        name = "qinqing-" + "-".join(a for a in args[:2] if not a.startswith("-"))
        log = self.tmp / "logs" / f"{name}.log"
        log.parent.mkdir(exist_ok=True)
        self.logs[name] = log
        proc = subprocess.run(
            [str(BIN / "qinqing"), *args],
            cwd=self.tmp,
            env=self.app_env(**env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
        )
        with open(log, "a") as out:
            out.write(
                f"$ qinqing {' '.join(args)}\n{proc.stdout}{proc.stderr}[exit {proc.returncode}]\n"
            )
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM, grace: float = 8.0) -> None:
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with _quiet():
                os.killpg(proc.pid, signal.SIGKILL)
            with _quiet():
                proc.wait(timeout=5)

    def children_of(self, pid: int) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
        return found

    def orphans(self) -> list[int]:
        """Processes started by this run still alive (found by the marker in their environment)."""
        needle = f"QINQING_SMOKE_MARKER={self.marker}".encode()
        found = []
        for environ in Path("/proc").glob("[0-9]*/environ"):
            try:
                if needle in environ.read_bytes().split(b"\0"):
                    found.append(int(environ.parent.name))
            except OSError:
                continue
        return [p for p in found if p != os.getpid()]

    # --- set-up -----------------------------------------------------------------------------
    def pg(self) -> Any:
        import psycopg

        return psycopg.connect(f"{PG_BASE}/postgres", autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> str:
        with self.pg() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return f"{PG_BASE}/{name}"

    def flush_redis(self) -> None:
        import redis

        for url in (self.redis_cache, self.redis_queue):
            redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()

    def s3(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.s3_port}",
            region_name="us-east-1",
            aws_access_key_id="smoke",
            aws_secret_access_key="smoke-secret",
        )

    def create_bucket(self, name: str) -> None:
        self.s3().create_bucket(Bucket=name)
        self.buckets.append(name)

    def infrastructure(self) -> str:
        database = f"qinqing_smoke_{self.pid}"
        database_url = self.create_database(database)
        self.flush_redis()
        self.redis_flushed = True
        self.s3_port = free_port()
        moto = self.start(
            "moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.s3_port)]
        )
        wait_port(self.s3_port, 30, moto)
        bucket = f"qinqing-smoke-{self.pid}"
        self.create_bucket(bucket)
        self.web_port = free_port()
        (self.tmp / "var").mkdir()
        self.env = {
            "DATABASE_URL": database_url,
            "QINQING_SECRET_KEY": secrets.token_urlsafe(48),
            "QINQING_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "QINQING_CACHE_URL": self.redis_cache,
            "QINQING_QUEUE_URL": self.redis_queue,
            "QINQING_S3_BUCKET": bucket,
            "QINQING_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "QINQING_S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "smoke",
            "AWS_SECRET_ACCESS_KEY": "smoke-secret",
            "QINQING_VAR_DIR": str(self.tmp / "var"),
            "QINQING_REPORTS_RATE_LIMIT": str(REPORTS),
            "QINQING_QUEUE_MAINTENANCE_SECONDS": "5",
            "QINQING_QUEUE_HEARTBEAT_SECONDS": "5",
            "QINQING_LOG_FORMAT": "json",
            "QINQING_METRICS_TOKEN": secrets.token_urlsafe(24),
            "QINQING_BIND": f"127.0.0.1:{self.web_port}",
            "QINQING_WEB_WORKERS": str(WEB_WORKERS),
        }
        (self.tmp / "prometheus").mkdir()
        self.http = Http("127.0.0.1", self.web_port)
        return (
            f"database {database}, redis /{CACHE_DB} /{QUEUE_DB} flushed, moto S3 :{self.s3_port}"
        )

    def gunicorn_args(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "qinqing.config.wsgi",
            "-c",
            str(DEPLOY / "gunicorn.conf.py"),
        ]

    def bad_config_start(self) -> None:
        """gunicorn with the cache on a closed port (runs beside migrate; checked later)."""
        proc = self.start(
            "gunicorn-bad-config",
            self.gunicorn_args(),
            QINQING_CACHE_URL="redis://127.0.0.1:1/0",
            QINQING_BIND=f"127.0.0.1:{free_port()}",
        )
        started = time.monotonic()

        def watch() -> None:
            try:
                proc.wait(timeout=15)
                self.facts["bad_config_exit_s"] = time.monotonic() - started
            except subprocess.TimeoutExpired:
                self.stop("gunicorn-bad-config", signal.SIGKILL)

        threading.Thread(target=watch, daemon=True).start()

    def bad_config_check(self) -> str:
        proc = self.procs["gunicorn-bad-config"]
        with _quiet():
            proc.wait(timeout=20)
        elapsed = self.facts.get("bad_config_exit_s")
        check(
            elapsed is not None, "gunicorn with an unreachable cache was still running after 15 s"
        )
        output = self.logs["gunicorn-bad-config"].read_text(errors="replace")
        check(proc.returncode != 0, "gunicorn with an unreachable cache exited with status 0")
        lines = [ln for ln in output.splitlines() if "start-up check failed" in ln]
        check(lines, f"no 'start-up check failed' line; output: {one_line(output, 300)}")
        check(len(lines) == 1, f"{len(lines)} 'start-up check failed' lines, not one")
        check("Traceback" not in output, f"a Python traceback at start-up: {one_line(output, 300)}")
        return f"exit {proc.returncode} after {elapsed:.1f} s: {one_line(lines[0], 160)}"

    def migrate(self) -> str:
        started = time.monotonic()
        done = self.qinqing("migrate", "--no-input", "-v", "0", timeout=240)
        check(
            done.returncode == 0,
            f"qinqing migrate exited {done.returncode}: {one_line(done.stderr[-400:])}",
        )
        self.facts["migrate_s"] = time.monotonic() - started
        return f"{self.facts['migrate_s']:.1f} s"

    def collectstatic_start(self) -> None:
        """`qinqing collectstatic` as in the deployment (beside migrate)."""
        self.start(
            "collectstatic", [str(BIN / "qinqing"), "collectstatic", "--no-input", "-v", "0"]
        )

    def start_web(self) -> None:
        """gunicorn starts while the demo loads (it is stateless; nothing asks it yet)."""
        collect = self.procs["collectstatic"]
        with _quiet():
            collect.wait(timeout=120)
        check(
            collect.returncode == 0,
            f"qinqing collectstatic exited {collect.returncode}: "
            + one_line(tail(self.logs["collectstatic"], 3)),
        )
        # as in deploy/systemd: the metrics directory is the web service's own
        self.start(
            "gunicorn", self.gunicorn_args(), PROMETHEUS_MULTIPROC_DIR=str(self.tmp / "prometheus")
        )

    def demo_load(self) -> str:
        started = time.monotonic()
        done = self.qinqing("demo", "load", "-v", "0", timeout=400)
        check(
            done.returncode == 0,
            f"qinqing demo load exited {done.returncode}: {one_line(done.stderr[-400:])}",
        )
        self.facts["demo_load_s"] = time.monotonic() - started
        return f"{self.facts['demo_load_s']:.1f} s"

    def start_worker(self, n: int) -> subprocess.Popen[bytes]:
        name = f"worker{n}"
        self.worker_names[f"smoke-{self.pid}-w{n}"] = name
        return self.start(
            name, [str(BIN / "qinqing"), "rq_worker", "--name", f"smoke-{self.pid}-w{n}"]
        )

    def start_services(self) -> str:
        assert self.http is not None
        web = self.procs["gunicorn"]
        for n in (1, 2):
            self.start_worker(n)
        # two clocks, as on two machines: only the leader enqueues
        for n in (1, 2):
            self.start(f"schedule{n}", [str(BIN / "qinqing"), "schedule"])
        wait_port(self.web_port, 60, web)
        deadline = time.monotonic() + 60
        last = ""
        while time.monotonic() < deadline:
            check(web.poll() is None, f"gunicorn exited with status {web.returncode}")
            try:
                resp = self.http.request("GET", "/healthz", timeout=10)
                if resp.status == 200:
                    break
                last = resp.brief()
            except OSError as exc:
                last = str(exc)
            time.sleep(0.5)
        else:
            raise Failed(f"/healthz never answered 200: {last}")
        for name in ("worker1", "worker2", "schedule1", "schedule2"):
            proc = self.procs[name]
            check(proc.poll() is None, f"{name} exited with status {proc.returncode}")
        # exactly one scheduler leads (the line `qinqing schedule` prints when it takes the lock)
        leaders: list[str] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            leaders = [
                n
                for n in ("schedule1", "schedule2")
                if "leading" in self.logs[n].read_text(errors="replace")
            ]
            if leaders:
                break
            time.sleep(0.5)
        time.sleep(1)
        leaders = [
            n
            for n in ("schedule1", "schedule2")
            if "leading" in self.logs[n].read_text(errors="replace")
        ]
        check(len(leaders) == 1, f"{len(leaders)} schedulers lead (expected exactly one)")
        return (
            f"gunicorn :{self.web_port} ({WEB_WORKERS} workers), 2 rq workers, "
            f"2 schedulers ({leaders[0]} leads)"
        )

    # --- flows ------------------------------------------------------------------------------
    def token(self, username: str) -> str:
        assert self.http is not None
        resp = self.http.request(
            "POST",
            "/api/v1/auth/token",
            body={"username": username, "password": PASSWORD, "name": "smoke"},
        )
        return str(expect(resp, 200, what=f"token for {username}").json()["token"])

    def healthz(self) -> str:
        assert self.http is not None
        resp = expect(self.http.request("GET", "/healthz"), 200, what="/healthz")
        data = resp.json()
        bad = []
        for probe in ("database", "cache", "queue", "storage"):
            value = data.get(probe)
            if not isinstance(value, dict) or value.get("status") != "ok":
                bad.append(
                    f"{probe}={json.dumps(value, ensure_ascii=False) if value else 'missing'}"
                )
        check(not bad, "/healthz: " + ", ".join(bad))
        # the request id from the proxy comes back (and is in the logs), static files are served
        rid = uuid.uuid4().hex
        echoed = self.http.request("GET", "/healthz", headers={"X-Request-ID": rid})
        check(echoed.headers.get("x-request-id") == rid, "X-Request-ID is not echoed")
        css = expect(self.http.request("GET", "/static/css/site.css"), 200, what="static CSS")
        check("css" in css.headers.get("content-type", ""), "the static CSS has no CSS type")
        probes = ", ".join(
            f"{p} {data[p].get('backend', 'ok')}" for p in ("database", "cache", "queue", "storage")
        )
        return f"{probes}; request id echoed; static files served"

    def reports(self) -> str:
        """20 anonymous reports at once from 4 threads, then the 21st is refused."""
        from qinqing.integrity.reports.guard import solve

        http = self.http
        assert http is not None
        marker = f"smoke-{self.pid}-{secrets.token_hex(3)}"
        challenges = []
        with http.timed("reports"):
            for _ in range(REPORTS + 1):
                c = expect(
                    http.request("GET", "/api/v1/reports/challenge"), 200, what="challenge"
                ).json()
                challenges.append(c)
        solving = time.perf_counter()
        nonces = [solve(c["challenge"], int(c["bits"])) for c in challenges]  # not timed
        self.facts["pow_s"] = time.perf_counter() - solving
        bodies = []
        for i, (c, nonce) in enumerate(zip(challenges, nonces, strict=True)):
            haishu = i % 2 == 0  # 海曙区 (sunyue reads them); the others in 北仑区 (hexin's)
            bodies.append(
                {
                    "region_code": "330203" if haishu else "330206",
                    "category": "favours" if haishu else "obstruction",
                    "title": f"生产环境冒烟测试举报 {i + 1}",
                    "body": f"{marker} 第{i + 1}件：某窗口工作人员暗示办事需要“表示一下”。",
                    "accused_people": "某科员",
                    "pow_challenge": c["challenge"],
                    "pow_nonce": nonce,
                }
            )

        ids = [uuid.uuid4().hex for _ in range(REPORTS + 1)]

        def submit(n: int) -> Response:
            return http.request(
                "POST",
                "/api/v1/reports/submit",
                body=bodies[n],
                headers={"X-Request-ID": ids[n]},
            )

        with (
            http.timed("reports"),
            concurrent.futures.ThreadPoolExecutor(max_workers=WEB_WORKERS) as pool,
        ):
            answers = list(pool.map(submit, range(REPORTS)))
        accepted = [r for r in answers if r.status == 201]
        if len(accepted) != REPORTS:
            first_bad = next(r for r in answers if r.status != 201)
            raise Failed(
                f"{len(accepted)}/{REPORTS} reports accepted; first refusal: {first_bad.brief()}"
            )
        check(
            all(len(r.json().get("receipt", "")) == 16 for r in accepted),
            "a receipt is not 16 characters",
        )
        with http.timed("reports"):
            last = submit(REPORTS)
        check(
            last.status == 429,
            f"report {REPORTS + 1} from the same address: expected 429, got {last.brief()}",
        )
        # every log line of these requests (gunicorn's access line, the application's request
        # line, a warning) is found by its request id: none may hold the client's address
        lines = self.log_lines(ids)
        check(lines, "the report submissions left no log line with their request id")
        leaks = [ln for ln in lines if "127.0.0.1" in ln]
        check(
            not leaks,
            "a client address in the log of a report request: "
            + one_line(leaks[0] if leaks else ""),
        )
        self.facts["reports"] = len(accepted)
        self.facts["report_marker"] = marker
        self.facts["report_bodies"] = {b["title"]: b["body"] for b in bodies[:REPORTS]}
        pids = {m.group(1) for ln in lines if (m := re.search(r'(?:"pid": "|pid=)<(\d+)>', ln))}
        self.facts["report_pids"] = len(pids)
        check(
            len(pids) >= 2,
            f"all report submissions were served by {len(pids)} gunicorn worker(s): "
            "the shared limit is not shown",
        )
        return (
            f"{len(accepted)}/{REPORTS} accepted, #{REPORTS + 1} refused 429, served by "
            f"{len(pids)} worker processes, PoW {self.facts['pow_s']:.1f} s (untimed)"
        )

    def log_lines(self, request_ids: list[str]) -> list[str]:
        """gunicorn's log lines (its access log and the application's) of these requests."""
        wanted = set(request_ids)
        lines = self.logs["gunicorn"].read_text(errors="replace").splitlines()
        return [ln for ln in lines if wanted & set(re.findall(r"[0-9a-f]{32}", ln))]

    def demand(self) -> str:
        http = self.http
        assert http is not None
        png = photo_png()
        with http.timed("demand"):
            firm = self.token("wangli")
            handler = self.token("zhaomin")
            other = self.token("lintao")
            page = expect(
                http.request(
                    "GET",
                    "/api/v1/enterprises?" + urllib.parse.urlencode({"q": "华达模具"}),
                    token=firm,
                ),
                200,
                what="wangli's firm",
            ).json()
            items = page.get("items") or []
            check(items, "wangli sees no firm named 华达模具")
            enterprise_id = items[0]["id"]
            created = expect(
                http.request(
                    "POST",
                    "/api/v1/demands",
                    token=firm,
                    body={
                        "enterprise_id": enterprise_id,
                        "category": "market",
                        "title": "冒烟测试：厂区门口占道经营影响货车进出",
                        "description": "附现场照片。请市场监管部门协调处理。",
                    },
                ),
                201,
                what="demand submit",
            ).json()
            demand_id, number = created["id"], created["number"]
            check(
                created["state"] == "dispatched",
                f"the demand was not auto-dispatched: state {created['state']}",
            )
            dept = created.get("department") or created.get("department_name") or ""
            check(
                "海曙区市场监督管理局" in json.dumps(dept, ensure_ascii=False),
                f"routed to {dept!r}, not 海曙区市场监督管理局",
            )
            raw, ctype = multipart("file", "现场照片.png", "image/png", png)
            att = expect(
                http.request(
                    "POST",
                    f"/api/v1/demands/{demand_id}/attachments",
                    token=firm,
                    raw=raw,
                    content_type=ctype,
                ),
                201,
                what="photo upload",
            ).json()
            url = att.get("url") or f"/api/v1/demands/{demand_id}/attachments/{att['id']}"
            listed = expect(
                http.request(
                    "GET", "/api/v1/demands?" + urllib.parse.urlencode({"q": number}), token=handler
                ),
                200,
                what="handler's list",
            ).json()
            check(
                any(i["id"] == demand_id for i in listed["items"]),
                f"{number} is not visible to zhaomin",
            )
            detail = expect(
                http.request("GET", f"/api/v1/demands/{demand_id}", token=handler),
                200,
                what="handler detail",
            ).json()
            moved = detail
            for action, note in (
                ("accept", ""),
                ("reply", "已联系城管中队，占道摊位已于今日清理，后续将加强巡查。"),
            ):
                moved = expect(
                    http.request(
                        "POST",
                        f"/api/v1/demands/{demand_id}/actions",
                        token=handler,
                        body={"action": action, "version": moved["version"], "note": note},
                    ),
                    200,
                    what=f"handler {action}",
                ).json()
            check(moved["state"] == "replied", f"after the reply the state is {moved['state']}")
            mine = expect(
                http.request("GET", f"/api/v1/demands/{demand_id}", token=firm),
                200,
                what="firm detail",
            ).json()
            rated = expect(
                http.request(
                    "POST",
                    f"/api/v1/demands/{demand_id}/actions",
                    token=firm,
                    body={
                        "action": "rate",
                        "version": mine["version"],
                        "satisfaction": "satisfied",
                        "rating": 5,
                        "note": "处理及时",
                    },
                ),
                200,
                what="firm rating",
            ).json()
            check(rated["state"] == "closed", f"after the rating the state is {rated['state']}")
            got = expect(
                http.request("GET", url, token=handler), 200, what="handler downloads the photo"
            )
            refused = http.request("GET", url, token=other)
        check(
            got.body == png,
            f"the downloaded photo differs ({len(got.body)} bytes, {len(png)} sent)",
        )
        check(refused.status in (403, 404), f"another firm's user got the photo: {refused.brief()}")
        self.facts["demand"] = number
        return (
            f"{number}: submitted → 海曙区市场监督管理局 → accepted → replied → rated 5 → "
            f"closed; photo {len(png)} B back intact, lintao {refused.status}"
        )

    def supervisor(self) -> str:
        http = self.http
        assert http is not None
        check(self.passed("reports"), "no reports were filed")
        token = self.token("sunyue")
        self.facts["sunyue"] = token
        page = expect(
            http.request("GET", "/api/v1/reports", token=token),
            200,
            what="sunyue's report list",
        )
        items = page.json().get("items") or []
        check(items, "sunyue's report list is empty")
        bodies = self.facts["report_bodies"]
        marker = self.facts["report_marker"]
        for item in items:
            if item.get("region_code") != "330203":
                continue
            opened = http.request(
                "POST",
                f"/api/v1/reports/{item['id']}/open",
                token=token,
                body={"password": PASSWORD},
            )
            if opened.status != 200:
                continue
            content = opened.json()
            if marker in content.get("body", ""):
                check(
                    bodies.get(content["title"]) == content["body"],
                    "the opened text differs from the text submitted",
                )
                return f"{len(items)} reports listed; {item['number']} opened, text as submitted"
        raise Failed(f"sunyue could not open any of this run's reports among {len(items)} listed")

    def index_run(self, token: str, draws: int | None = None) -> dict[str, Any]:
        assert self.http is not None
        body: dict[str, Any] = {"period": previous_half_year(date.today()), "level": "district"}
        if draws is not None:
            body["draws"] = draws
        return expect(
            self.http.request("POST", "/api/v1/index/runs", token=token, body=body),
            201,
            what="index compute",
        ).json()

    def wait_run(self, token: str, run_id: int, timeout: float) -> dict[str, Any]:
        assert self.http is not None
        deadline = time.monotonic() + timeout
        run: dict[str, Any] = {}
        while time.monotonic() < deadline:
            run = expect(
                self.http.request("GET", f"/api/v1/index/runs/{run_id}", token=token),
                200,
                what="run status",
            ).json()
            if run["status"] in ("done", "failed"):
                break
            time.sleep(1)
        check(
            run.get("status") != "failed",
            f"index run {run_id} failed: {one_line(run.get('error', ''), 300)}",
        )
        check(
            run.get("status") == "done",
            f"index run {run_id} still {run.get('status')!r} after {timeout:.0f} s",
        )
        return run

    def index_queue(self) -> str:
        token = self.facts.get("sunyue") or self.token("sunyue")
        self.facts["sunyue"] = token
        started = time.monotonic()
        run = self.index_run(token)
        check(run["status"] in ("queued", "running", "done"), f"new run has status {run['status']}")
        done = self.wait_run(token, run["id"], 120)
        took = time.monotonic() - started
        self.facts["index_s"] = took
        return (
            f"run {done['id']} {done['period']} district, {done['draws']} draws: "
            f"done in {took:.1f} s"
        )

    def rq(self) -> Any:
        import redis

        return redis.Redis.from_url(self.redis_queue)

    def wait_queue_idle(self, timeout: float) -> None:
        from rq import Queue
        from rq.registry import StartedJobRegistry

        conn = self.rq()
        queue = Queue("default", connection=conn)
        started = StartedJobRegistry("default", connection=conn)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if queue.count == 0 and not started.get_job_ids(cleanup=False):
                return
            time.sleep(0.2)
        raise Failed(f"the task queue is still busy after {timeout:.0f} s")

    def find_job(self, run_id: int) -> Any:
        from rq.job import Job
        from rq.registry import StartedJobRegistry

        conn = self.rq()
        registry = StartedJobRegistry("default", connection=conn)
        for job_id in registry.get_job_ids(cleanup=False):
            try:
                job = Job.fetch(job_id, connection=conn)
                name = job.func_name or ""
                if name.endswith("run_index_computation") and list(job.args) == [run_id]:
                    return job
            except Exception:  # a job that finished meanwhile, or not ours
                continue
        return None

    def db_status(self, run_id: int) -> str:
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"], connect_timeout=5) as conn:
            row = conn.execute("SELECT status FROM index_computerun WHERE id = %s", [run_id])
            found = row.fetchone()
        return str(found[0]) if found else "missing"

    def release_lock(self) -> None:
        if self.lock_conn is not None:
            with _quiet():
                self.lock_conn.rollback()
            with _quiet():
                self.lock_conn.close()
            self.lock_conn = None

    def worker_kill(self) -> str:
        """Kill the worker that runs an index computation after the run is marked running.

        To be sure the job is caught in the middle, whatever the speed of the machine, the
        test holds an exclusive lock on the demands table: the computation marks its run
        "running" and then waits for the table; the worker and its work horse are killed
        there, and the lock released. (Status is read from the database while the lock is
        held, since the API's own reads may touch the locked table.)"""
        import psycopg

        token = self.facts.get("sunyue") or self.token("sunyue")
        self.facts["sunyue"] = token
        self.wait_queue_idle(60)  # the schedulers' first jobs must not wait on the lock
        self.lock_conn = psycopg.connect(self.env["DATABASE_URL"], connect_timeout=5)
        self.lock_conn.execute("SET lock_timeout = '20s'")
        self.lock_conn.execute("LOCK TABLE demands_demand IN ACCESS EXCLUSIVE MODE")
        try:
            run = self.index_run(token)
            run_id = run["id"]
            self.facts["kill_run"] = run_id
            deadline = time.monotonic() + 60
            job: Any = None
            status = ""
            while time.monotonic() < deadline:
                job = self.find_job(run_id)
                status = self.db_status(run_id)
                if job is not None and job.worker_name and status == "running":
                    break
                time.sleep(0.1)
            check(job is not None, f"the job of run {run_id} never started (status {status})")
            check(status == "running", f"run {run_id} never marked running (status {status})")
            victim = self.worker_names.get(job.worker_name or "", "")
            check(victim, f"job {job.id} runs on an unknown worker {job.worker_name!r}")
            proc = self.procs[victim]
            # RQ's work horse calls setpgrp(): it is not in the worker's process group (the
            # worker's scheduler process is), so killing the group alone would let it finish
            horses = [c for c in self.children_of(proc.pid) if _pgid(c) == c]
            check(horses, f"{victim} (pid {proc.pid}) has no work horse running the job")
            os.killpg(proc.pid, signal.SIGKILL)
            for horse in horses:
                with _quiet():
                    os.killpg(horse, signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            self.release_lock()
        self.facts["killed_at"] = time.monotonic()
        self.facts["kill_job"] = job.id
        self.facts["victim"] = victim
        return (
            f"run {run_id} running in job {job.id} on {job.worker_name}: SIGKILL to worker pid "
            f"{proc.pid} (its process group) and its work horse {', '.join(map(str, horses))}"
        )

    def worker_recovery(self) -> str:
        """The surviving worker requeues the abandoned job and finishes the run."""
        from rq.job import Job

        check("killed_at" in self.facts, "no worker was killed")
        token = self.facts["sunyue"]
        run_id = self.facts["kill_run"]
        survivor = "worker2" if self.facts["victim"] == "worker1" else "worker1"
        check(self.procs[survivor].poll() is None, f"the surviving {survivor} is not running")
        # RQ: heartbeat TTL (5 s + 60 s), then maintenance (5 s), the retry delay, the run
        left = 120 - (time.monotonic() - self.facts["killed_at"])
        try:
            self.wait_run(token, run_id, max(left, 5))
        except Failed as exc:
            status = self.db_status(run_id)
            conn = self.rq()
            job = Job.fetch(self.facts["kill_job"], connection=conn)
            why = ""
            for entry, score in conn.zrange("rq:wip:default", 0, -1, withscores=True):
                if entry.decode().startswith(job.id) and score < time.time():
                    why = (
                        f"; its heartbeat expired {time.time() - score:.0f} s ago and it is still "
                        "in the started registry: no live worker's maintenance requeued it"
                    )
            raise Failed(
                f"{exc}; RQ job {job.id} is {job.get_status()} on {job.worker_name or '-'}, "
                f"retries left {job.retries_left}, run status in the database {status!r}{why}"
            ) from None
        took = time.monotonic() - self.facts["killed_at"]
        self.facts["requeue_s"] = took
        job = Job.fetch(self.facts["kill_job"], connection=self.rq())
        finisher = self.worker_names.get(job.worker_name or "", job.worker_name or "?")
        self.start_worker(3)  # the replacement of the killed worker
        time.sleep(1)
        check(self.procs["worker3"].poll() is None, "the replacement worker exited")
        return f"run {run_id} done {took:.0f} s after the kill, by {finisher}; worker3 started"

    def metrics(self) -> str:
        http = self.http
        assert http is not None
        token = self.env["QINQING_METRICS_TOKEN"]
        # as through nginx: a proxied request is never let in by address, only by the token
        anonymous = http.request("GET", "/metrics", headers={"X-Real-IP": "203.0.113.9"})
        check(
            anonymous.status in (401, 403, 404), f"/metrics without the token: {anonymous.brief()}"
        )
        resp = expect(
            http.request("GET", "/metrics", token=token), 200, what="/metrics with the token"
        )
        text = resp.body.decode(errors="replace")
        counts = [
            ln
            for ln in text.splitlines()
            if not ln.startswith("#")
            and "request" in ln.split("{")[0]
            and "total" in ln.split("{")[0]
        ]
        check(counts, f"/metrics shows no request counter ({len(text)} bytes)")
        total = sum(
            float(ln.rsplit(" ", 1)[1]) for ln in counts if ln.rsplit(" ", 1)[1][0].isdigit()
        )
        check(total > 0, "the request counters are all zero")
        made = http.requests - 1  # all requests so far but this scrape
        # every worker's count, not only the one that answered (multiprocess mode)
        check(
            total >= 0.8 * made,
            f"/metrics counts {total:.0f} requests of the {made} made: other workers' are missing",
        )
        return f"{len(counts)} request series, {total:.0f} requests counted ({made} made)"

    def audit_verify(self) -> str:
        done = self.qinqing("audit", "verify", timeout=180)
        check(
            done.returncode == 0,
            f"qinqing audit verify exited {done.returncode}: {last_words(done)}",
        )
        return one_line(
            done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "verified", 160
        )

    def backup_restore(self) -> str:
        out = self.tmp / "backup"
        started = time.monotonic()
        done = self.qinqing("backup", "create", "--out", str(out), timeout=300)
        backup_s = time.monotonic() - started
        check(
            done.returncode == 0,
            f"qinqing backup create exited {done.returncode}: {last_words(done)}",
        )
        check(out.exists() and any(out.iterdir()), f"qinqing backup create wrote nothing to {out}")
        restored_db = f"qinqing_smoke_{self.pid}_restore"
        database_url = self.create_database(restored_db)
        bucket = f"qinqing-smoke-{self.pid}-restore"
        self.create_bucket(bucket)
        started = time.monotonic()
        done = self.qinqing(
            "backup",
            "restore",
            str(out),
            timeout=300,
            DATABASE_URL=database_url,
            QINQING_S3_BUCKET=bucket,
        )
        restore_s = time.monotonic() - started
        check(
            done.returncode == 0,
            f"qinqing backup restore exited {done.returncode}: {last_words(done)}",
        )
        self.facts["backup_s"], self.facts["restore_s"] = backup_s, restore_s
        # the restored copy is whole: the same demands and the photo in the second bucket
        import psycopg

        counts = []
        for url in (self.env["DATABASE_URL"], database_url):
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT count(*) FROM demands_demand").fetchone()
                counts.append(row[0] if row else -1)
        check(
            counts[0] == counts[1],
            f"restored database has {counts[1]} demands, the original {counts[0]}",
        )
        s3 = self.s3()

        def listing(name: str) -> dict[str, int]:
            found = s3.list_objects_v2(Bucket=name).get("Contents", [])
            return {o["Key"]: o["Size"] for o in found}

        original, restored = listing(self.env["QINQING_S3_BUCKET"]), listing(bucket)
        check(restored, "the restored bucket is empty")
        check(
            original == restored,
            f"the restored bucket differs: {len(restored)} objects, {len(original)} originally",
        )
        # the restored audit chain verifies on its own
        verified = self.qinqing("audit", "verify", timeout=180, DATABASE_URL=database_url)
        check(
            verified.returncode == 0,
            f"qinqing audit verify on the restored database exited {verified.returncode}: "
            + last_words(verified),
        )
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        return (
            f"backup {backup_s:.1f} s ({size / 1e6:.1f} MB), restore {restore_s:.1f} s; "
            f"{counts[1]} demands, {len(restored)} objects, audit chain verifies in the copy"
        )

    # --- tear-down --------------------------------------------------------------------------
    def teardown(self) -> None:
        started = time.monotonic()
        self.release_lock()
        # all at once: gunicorn's quick shutdown (SIGINT), the others SIGTERM; 10 s, then SIGKILL
        alive = {n: p for n, p in self.procs.items() if p.poll() is None}
        for name, proc in alive.items():
            with _quiet():
                os.killpg(
                    proc.pid, signal.SIGINT if name.startswith("gunicorn") else signal.SIGTERM
                )
        deadline = time.monotonic() + 10
        slowest = ("", 0.0)
        for name, proc in alive.items():
            with _quiet():
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                took = time.monotonic() - started
                slowest = max(slowest, (name, took), key=lambda x: x[1])
        for name, proc in alive.items():
            if proc.poll() is None:
                say(f"tear-down: {name} still running after 10 s, SIGKILL")
                with _quiet():
                    os.killpg(proc.pid, signal.SIGKILL)
                with _quiet():
                    proc.wait(timeout=5)
        for pid in self.orphans():  # work horses (own process groups) and any stray child
            with _quiet():
                os.kill(pid, signal.SIGKILL)
        if self.databases:
            try:
                with self.pg() as conn:
                    for name in self.databases:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:
                say(f"tear-down: could not drop {', '.join(self.databases)}: {one_line(str(exc))}")
        if self.redis_flushed:
            try:
                self.flush_redis()
            except Exception as exc:
                say(f"tear-down: could not flush redis: {one_line(str(exc))}")
        say(f"tear-down: {time.monotonic() - started:.1f} s (last to stop: {slowest[0]})")
        if self.keep_tmp:
            say(f"tear-down: logs kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def dump_logs(self) -> None:
        for name in ("gunicorn", "worker1", "worker2", "worker3", "schedule1", "schedule2"):
            if name in self.logs:
                print(
                    f"----- last 30 lines of {name}.log -----\n{tail(self.logs[name])}", flush=True
                )


def _quiet() -> contextlib.suppress:
    """Ignore a process that is already gone (or a wait that timed out) during clean-up."""
    return contextlib.suppress(
        ProcessLookupError, PermissionError, ChildProcessError, subprocess.TimeoutExpired
    )


def _pgid(pid: int) -> int:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return -1


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def qinqing_commands(smoke: Smoke) -> tuple[set[str], Callable[[list[str]], str]]:
    env = {"QINQING_VAR_DIR": str(smoke.tmp / "var-help")}
    listed = smoke.qinqing("help", "--commands", timeout=60, **env)
    check(listed.returncode == 0, f"qinqing help --commands: {one_line(listed.stderr[-300:])}")
    commands = set(listed.stdout.split())
    cache: dict[str, str] = {}

    def help_of(command: list[str]) -> str:
        key = " ".join(command)
        if key not in cache:
            done = smoke.qinqing(*command, "--help", timeout=60, **env)
            cache[key] = done.stdout + done.stderr
        return cache[key]

    return commands, help_of


def write_bench(smoke: Smoke, total_s: float, http: Http) -> None:
    f = smoke.facts
    out = Path("/tmp/qinqing-docs/prod-smoke-bench.md")
    out.parent.mkdir(parents=True, exist_ok=True)

    def rate(n: int, s: float) -> str:
        return f"**{n / s:.1f} req/s** ({n} requests in {s:.1f} s)" if s else "—"

    def secs(key: str, digits: int = 1) -> str:
        return f"{f[key]:.{digits}f} s" if key in f else "not measured (step failed)"

    reports = http.phases.get("reports", (0, 0.0))
    demand = http.phases.get("demand", (0, 0.0))
    rows = [
        (
            "HTTP flow: the reports and the demand round trip below, together",
            rate(http.timed_requests, http.timed_seconds),
        ),
        (
            f"… {REPORTS + 1} PoW challenges (sequential), {REPORTS} anonymous reports from "
            f"{WEB_WORKERS} client threads (Argon2id receipt hash each), the refused 21st",
            rate(*reports),
        ),
        (
            "… demand round trip, sequential: 3 logins (PBKDF2), firm look-up, submit, photo "
            "upload to S3, handler list/detail/accept/reply, firm detail/rate, 2 downloads",
            rate(*demand),
        ),
        ("`qinqing backup create --out DIR`", f"**{secs('backup_s')}**"),
        (
            "`qinqing backup restore DIR` into a fresh database and a second bucket",
            f"**{secs('restore_s')}**",
        ),
        ("`qinqing migrate` on an empty PostgreSQL database", secs("migrate_s")),
        ("`qinqing demo load` on PostgreSQL (files on S3 via moto)", secs("demo_load_s")),
        (
            "index computation through the queue (request → done, polled each second)",
            secs("index_s"),
        ),
        (
            "a SIGKILLed worker's job finished by the other worker (kill → run done)",
            secs("requeue_s", 0),
        ),
        ("the whole `make prod-smoke`", f"**{total_s:.0f} s**"),
    ]
    failed = [s.name for s in smoke.steps if not s.ok]
    load = os.getloadavg()
    text = [
        "## Production smoke test (`make prod-smoke`)",
        "",
        f"Measured {date.today().isoformat()} by `make prod-smoke` "
        "(`.venv/bin/python deploy/prod_smoke.py`) on this machine "
        f"({os.cpu_count()} CPUs, load average {load[0]:.1f} at the end, other work beside it): "
        "PostgreSQL 15, Redis (cache db 13, RQ queue db 14), moto's S3 server, gunicorn with "
        f"{WEB_WORKERS} sync workers (deploy/gunicorn.conf.py), two `qinqing rq_worker` and "
        "two `qinqing schedule`, all on the same cores as the client. Requests are stdlib "
        "HTTP/1.1 straight to gunicorn, one connection each; proof-of-work solving is not timed.",
        "",
        "| what | figure |",
        "| --- | --- |",
        *[f"| {a} | {b} |" for a, b in rows],
        "",
    ]
    if failed:
        text += [f"Steps that failed in this run: {', '.join(failed)}.", ""]
    out.write_text("\n".join(text))
    say(f"figures written to {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir with the logs")
    args = parser.parse_args()
    # Ctrl-C even when started with SIGINT ignored (a background job of a script)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    smoke = Smoke(keep_tmp=args.keep_tmp)
    say(f"prod-smoke: temp dir {smoke.tmp}")
    summary = ""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:

        def files() -> str:
            commands, help_of = qinqing_commands(smoke)
            return check_deploy_files(commands, help_of)

        smoke.step("infrastructure", smoke.infrastructure, fatal=True)
        checked_files = pool.submit(files)  # a few `qinqing --help`, beside the set-up
        smoke.bad_config_start()  # beside migrate
        smoke.collectstatic_start()  # beside migrate
        smoke.step("migrate", smoke.migrate, fatal=True)
        smoke.step("start-web", smoke.start_web, fatal=True)  # gunicorn boots beside the load
        smoke.step("demo-load", smoke.demo_load, fatal=True)
        smoke.step("bad-config", smoke.bad_config_check)
        smoke.step("deploy-files", checked_files.result)
        smoke.step("start", smoke.start_services, fatal=True)
        smoke.step("healthz", smoke.healthz)
        # first, so that the rest runs while RQ waits for the dead worker's heartbeat to expire
        smoke.step("worker-kill", smoke.worker_kill)
        smoke.step("reports", smoke.reports)
        smoke.step("demand", smoke.demand)
        smoke.step("supervisor", smoke.supervisor)
        smoke.step("index-queue", smoke.index_queue)
        smoke.step("metrics", smoke.metrics)
        smoke.step("backup-restore", smoke.backup_restore)
        smoke.step("worker-recovery", smoke.worker_recovery)
        smoke.step("audit-verify", smoke.audit_verify)  # the chain after everything above
    except Failed:
        pass  # a fatal step: its reason is in the summary
    except KeyboardInterrupt:
        if not any(s.reason == "interrupted" for s in smoke.steps):
            smoke.steps.append(Step("interrupted", False, "interrupted"))
    finally:
        failed = [s for s in smoke.steps if not s.ok]
        if failed:
            smoke.dump_logs()
        try:
            smoke.teardown()
        except BaseException as exc:  # never hide the summary behind a tear-down problem
            say(f"tear-down problem: {one_line(repr(exc))}")
        total = time.monotonic() - T0
        http = smoke.http or Http("127.0.0.1", 0)
        pool.shutdown(wait=False, cancel_futures=True)
        if any(k in smoke.facts for k in ("backup_s", "reports")) or not failed:
            try:
                write_bench(smoke, total, http)
            except Exception as exc:
                say(f"could not write the figures: {one_line(repr(exc))}")
        rate = http.timed_requests / http.timed_seconds if http.timed_seconds else 0.0
        if failed:
            first = failed[0]
            others = (
                f" (also failed: {', '.join(s.name for s in failed[1:])})" if failed[1:] else ""
            )
            summary = f"prod-smoke: FAILED at {first.name}: {first.reason}{others}, {total:.0f} s"
        else:
            f = smoke.facts
            summary = (
                f"prod-smoke: OK — {f['reports']}/{REPORTS} reports, 1 demand round trip, "
                "index via queue, worker killed and job completed, audit verified, "
                f"backup {f['backup_s']:.1f} s / restore {f['restore_s']:.1f} s, "
                f"{http.timed_requests} requests at {rate:.1f} req/s, {total:.0f} s"
            )
        print(summary, flush=True)
    return 1 if summary.startswith("prod-smoke: FAILED") else 0


if __name__ == "__main__":
    sys.exit(main())
