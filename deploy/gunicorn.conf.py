"""gunicorn configuration of the Qinqing web process (used by systemd and by `make prod-smoke`).

    gunicorn qinqing.config.wsgi -c deploy/gunicorn.conf.py

Everything comes from the environment (see deploy/qinqing.env.example):

- ``QINQING_BIND`` (default ``127.0.0.1:8000``; several comma-separated addresses allowed) and
  ``QINQING_WEB_WORKERS`` (default 4) are read here.
- The access log never holds a client address: the format below has no ``%(h)s`` (the
  misconduct-reporting channel promises not to record who reports), nor the path or query
  string (``%(U)s``, ``%(q)s``, ``%(r)s``: docs/operations.md) nor the user agent. It has the
  method, status, size, duration, the worker's pid and the request id set by the proxy
  (``X-Request-ID``), which joins it with the application's ``qinqing.request`` line (that
  names the view) and with nginx's log.
  With ``QINQING_LOG_FORMAT=json`` each access line is one JSON object.
- At start-up the master runs the same probes as ``/healthz`` (database, cache, task queue,
  file storage): a bad configuration is one line ``start-up check failed: …`` and the master
  exits with status 2 before it forks any worker (``QINQING_STARTUP_CHECK=0`` skips it).
  Django is then loaded in the master: upgrade with a restart, not a HUP (a HUP would fork
  new workers with the modules the master already holds).
- With ``PROMETHEUS_MULTIPROC_DIR`` set, the directory is emptied at start and a dead worker's
  metrics files are marked dead, as prometheus_client's multiprocess mode needs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

bind = [b.strip() for b in os.environ.get("QINQING_BIND", "127.0.0.1:8000").split(",") if b.strip()]
workers = int(os.environ.get("QINQING_WEB_WORKERS", "4") or 4)
worker_class = "sync"
timeout = 60
graceful_timeout = 20
# a worker is recycled now and then, which bounds the effect of any slow leak
max_requests = 2000
max_requests_jitter = 200

# the runtime control socket (gunicornc) lives in the var directory, one per installation
_var_dir = Path(os.environ.get("QINQING_VAR_DIR", "var"))
control_socket = str(_var_dir / "gunicorn.ctl")

# --- logs: stdout/stderr (journald under systemd); never a client address -------------------
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("QINQING_GUNICORN_LOG_LEVEL", "info")
if os.environ.get("QINQING_LOG_FORMAT", "").strip().lower() == "json":
    access_log_format = (
        '{"log": "access", "time": "%(t)s", "method": "%(m)s", "status": "%(s)s", '
        '"bytes": "%(B)s", "ms": %(M)s, "pid": "%(p)s", "request_id": "%({x-request-id}i)s"}'
    )
else:
    access_log_format = "%(t)s pid=%(p)s %(m)s %(s)s %(B)s %(M)sms rid=%({x-request-id}i)s"


def _reset_connections() -> None:
    """The master probed the services: forked workers must not share its sockets."""
    from django.core.cache import caches
    from django.core.files.storage import default_storage
    from django.db import connections
    from django.utils.functional import empty

    connections.close_all()
    caches.close_all()
    default_storage._wrapped = empty  # type: ignore[attr-defined]  # a fresh S3 client per worker


def on_starting(server: Any) -> None:
    """Check the configuration once, in the master, before any worker is forked."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.config.settings")
    multiproc = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if multiproc:
        # stale files of a previous run would be summed with this run's counters
        path = Path(multiproc)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)

    if os.environ.get("QINQING_STARTUP_CHECK", "1") == "0":
        return  # e.g. while the database is first migrated (docs/operations.md)

    import django

    django.setup()
    from qinqing.common.health import check_or_exit

    check_or_exit()  # one line on stderr and SystemExit(2) at the first failing service
    _reset_connections()
    # checked once here: the workers, which inherit the environment, need not probe again
    # when they import qinqing.config.wsgi
    os.environ["QINQING_STARTUP_CHECK"] = "0"


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
