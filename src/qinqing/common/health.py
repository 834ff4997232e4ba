"""Probes of the services Qinqing depends on: the database, the cache, the task queue and the
file storage. ``/healthz`` shows them; ``check_or_exit`` runs them when a process starts, so
that a bad configuration (an unreachable Redis, a missing bucket, a wrong credential) is one
clear line at start-up instead of a stack trace on the first request.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

#: credentials in a URL are never printed: redis://:secret@host -> redis://***@host
_CREDENTIALS = re.compile(r"//[^/@]*@")


def masked(url: str) -> str:
    return _CREDENTIALS.sub("//***@", url or "")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


@dataclass
class Probe:
    """One service: which backend is configured, whether it answered, and how long it took."""

    name: str
    backend: str
    shared: bool
    ok: bool = True
    error: str = ""
    millis: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": "ok" if self.ok else "error",
            "backend": self.backend,
            "shared": self.shared,
            "ms": round(self.millis, 1),
            **self.detail,
        }
        if not self.ok:
            data["error"] = self.error
        return data


def _database() -> Probe:
    from django.db import connection

    probe = Probe("database", connection.vendor, shared=connection.vendor != "sqlite")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    probe.detail["vendor"] = connection.vendor
    return probe


def _cache() -> Probe:
    from django.core.cache import cache

    url = getattr(settings, "CACHE_URL", "")
    probe = Probe("cache", "redis" if url else "local-memory", shared=bool(url))
    if url:
        probe.detail["location"] = masked(url)
    key = "healthz:probe"
    cache.set(key, "1", 30)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return a value just written")
    return probe


def _queue() -> Probe:
    backend = str(settings.TASKS["default"]["BACKEND"])
    if getattr(settings, "QUEUE_URL", ""):
        import django_rq

        from .queue import queue_names

        probe = Probe("queue", "redis-rq", shared=True)
        probe.detail["location"] = masked(settings.QUEUE_URL)
        django_rq.get_connection(queue_names()[0]).ping()
        probe.detail["depth"] = sum(django_rq.get_queue(q).count for q in queue_names())
        return probe
    if backend.startswith("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        probe = Probe("queue", "database", shared=True)
        probe.detail["depth"] = DBTaskResult.objects.ready().count()
        return probe
    return Probe("queue", backend.rsplit(".", 1)[-1], shared=False)


def _storage() -> Probe:
    from django.core.files.storage import default_storage

    if getattr(settings, "S3_BUCKET", ""):
        probe = Probe("storage", "s3", shared=True)
        probe.detail["bucket"] = settings.S3_BUCKET
        client = default_storage.connection.meta.client  # type: ignore[attr-defined]
        client.head_bucket(Bucket=settings.S3_BUCKET)
        return probe
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT)
    probe = Probe("storage", "filesystem", shared=False)
    root.mkdir(parents=True, exist_ok=True)
    marker = root / ".healthz"
    marker.write_bytes(b"1")
    marker.unlink()
    return probe


PROBES: dict[str, Callable[[], Probe]] = {
    "database": _database,
    "cache": _cache,
    "queue": _queue,
    "storage": _storage,
}

_BACKEND_OF = {
    "database": lambda: str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1],
    "cache": lambda: "redis" if getattr(settings, "CACHE_URL", "") else "local-memory",
    "queue": lambda: "redis-rq" if getattr(settings, "QUEUE_URL", "") else "database",
    "storage": lambda: "s3" if getattr(settings, "S3_BUCKET", "") else "filesystem",
}


def run(name: str) -> Probe:
    """Run one probe; an exception becomes a failed probe with a one-line reason."""
    started = time.perf_counter()
    try:
        probe = PROBES[name]()
    except Exception as exc:
        probe = Probe(name, _BACKEND_OF[name](), shared=False, ok=False, error=_one_line(exc))
    probe.millis = (time.perf_counter() - started) * 1000
    return probe


def run_all(names: tuple[str, ...] = tuple(PROBES)) -> list[Probe]:
    return [run(name) for name in names]


_WHERE: dict[str, Callable[[], str]] = {
    "cache": lambda: masked(getattr(settings, "CACHE_URL", "")),
    "queue": lambda: masked(getattr(settings, "QUEUE_URL", "")),
    "storage": lambda: getattr(settings, "S3_BUCKET", "") or str(settings.MEDIA_ROOT),
    "database": lambda: str(settings.DATABASES["default"].get("HOST") or ""),
}

LABELS = {
    "database": "数据库 / database",
    "cache": "缓存 / cache",
    "queue": "任务队列 / task queue",
    "storage": "文件存储 / file storage",
}


def check_or_exit(*names: str, stream: Any = None) -> None:
    """Run the probes; at the first failure print one line and exit with status 2."""
    for probe in run_all(names or tuple(PROBES)):
        if not probe.ok:
            where = _WHERE.get(probe.name, lambda: "")()
            where = f" {where}" if where else ""
            print(
                f"qinqing: 启动检查失败 / start-up check failed: {LABELS[probe.name]} "
                f"({probe.backend}{where}): {probe.error}",
                file=stream or sys.stderr,
                flush=True,
            )
            raise SystemExit(2)
