"""Prometheus metrics: request counts and latencies, and figures read from the database.

``/metrics`` answers in the Prometheus text format (OpenMetrics when the scraper asks for
it) to a caller with ``Authorization: Bearer <QINQING_METRICS_TOKEN>`` or from an address in
``QINQING_METRICS_ALLOW``; anyone else gets 403.

Two kinds of metrics:

- per process: ``qinqing_http_requests_total`` and ``qinqing_http_request_duration_seconds``,
  counted by ``RequestMetricsMiddleware``. Under gunicorn each worker is its own process:
  with ``PROMETHEUS_MULTIPROC_DIR`` set (before gunicorn starts) the workers write their
  values to files there and a scrape adds up every worker's, whichever worker answers. The
  gunicorn ``child_exit`` hook must call ``prometheus_client.multiprocess.mark_process_dead``.
- at scrape time, from the database (``DatabaseCollector``, a small fixed number of
  aggregate queries): queue depth and age of the oldest waiting task, overdue demands per
  department, failed logins, locked accounts, the audit chain head. These are the same on
  every process: aggregate them with ``max`` (not ``sum``) across instances.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone, translation
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

logger = logging.getLogger("qinqing.metrics")

# --- per process: requests ---------------------------------------------------------------------

#: seconds; a page over 2.5 s is slow, one over 10 s is broken
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "qinqing_http_requests",
    "HTTP requests answered, by view (URL name), method and status code.",
    ["view", "method", "status"],
)
REQUEST_DURATION = Histogram(
    "qinqing_http_request_duration_seconds",
    "Time to answer an HTTP request, by view (URL name).",
    ["view"],
    buckets=LATENCY_BUCKETS,
)

#: methods counted by name; any other is "other" (the label stays bounded)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str | None) -> str:
    return method if method in KNOWN_METHODS else "other"


def _ninja_operation_name(match: Any, method: str | None) -> str | None:
    """The url name of the django-ninja operation that answers ``method``.

    Ninja adds one URL pattern per operation of a path, every one with the same view; Django
    resolves the first, so ``POST /api/v1/demands`` would be named ``api:demand_list``. The
    view is a closure over ninja's ``PathView``, which lists the operations and their methods.
    """
    func = match.func
    code = getattr(func, "__code__", None)
    closure = getattr(func, "__closure__", None)
    if code is None or not closure or "self" not in code.co_freevars:
        return None
    path_view = closure[code.co_freevars.index("self")].cell_contents
    for operation in getattr(path_view, "operations", None) or ():
        if method in getattr(operation, "methods", ()):
            name = getattr(operation, "url_name", None) or operation.view_func.__name__
            return f"{match.namespace}:{name}" if match.namespace else str(name)
    return None


def view_label(request: HttpRequest) -> str:
    """The URL name of the view that answered: never the path (no ids, no receipts)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        static = "/" + str(settings.STATIC_URL or "static/").lstrip("/")
        return "static" if request.path.startswith(static) else "unresolved"
    try:
        name = _ninja_operation_name(match, request.method)
    except Exception:  # a change inside ninja must never break a request
        name = None
    return name or match.view_name or "unresolved"


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(view=view, method=method, status=str(status)).inc()
    REQUEST_DURATION.labels(view=view).observe(seconds)


# --- at scrape time: the database --------------------------------------------------------------

FAILED_LOGIN_ACTION = "user.login_failed"
FAILED_LOGIN_WINDOW = timedelta(hours=24)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)
    return moment


def _age(now: datetime, oldest: datetime | None) -> float:
    oldest = _aware(oldest)
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


def _queue_metrics(now: datetime) -> list[Metric]:
    """Tasks waiting to run, per queue: the Redis queue (RQ) or the database queue."""
    from .queue import queue_names, uses_rq

    depth = GaugeMetricFamily(
        "qinqing_queue_depth", "Background tasks waiting to run, by queue.", labels=["queue"]
    )
    age = GaugeMetricFamily(
        "qinqing_queue_oldest_task_age_seconds",
        "Seconds since the oldest waiting task was enqueued (0 when none waits), by queue.",
        labels=["queue"],
    )
    waiting: dict[str, tuple[int, datetime | None]] = {}
    if uses_rq():
        import django_rq

        for name in queue_names():
            queue = django_rq.get_queue(name)
            first = queue.get_job_ids(0, 1)
            job = queue.fetch_job(first[0]) if first else None
            waiting[name] = (queue.count, job.enqueued_at if job is not None else None)
    elif str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db"):
        from django.db.models import Count, Min
        from django_tasks_db.models import DBTaskResult

        waiting = dict.fromkeys(queue_names(), (0, None))
        rows = (
            DBTaskResult.objects.ready()
            .values("queue_name")
            .annotate(depth=Count("id"), oldest=Min("enqueued_at"))
            .order_by()
        )
        for row in rows:
            waiting[row["queue_name"]] = (row["depth"], row["oldest"])
    else:  # the immediate or dummy backend: no queue to watch
        return []
    for name, (count, oldest) in sorted(waiting.items()):
        depth.add_metric([name], count)
        age.add_metric([name], _age(now, oldest))
    return [depth, age]


def _demand_metrics(now: datetime) -> list[Metric]:
    """Open demands past a deadline, per lead department (``overdue_by_department``)."""
    from qinqing.demands.statistics import overdue_by_department

    resolve: dict[str, int] = {}
    accept: dict[str, int] = {}
    for row in overdue_by_department(now=now):
        # two departments of one name (in two regions) add up rather than clash
        resolve[row.label] = resolve.get(row.label, 0) + row.overdue_resolve
        accept[row.label] = accept.get(row.label, 0) + row.overdue_accept
    overdue = GaugeMetricFamily(
        "qinqing_demands_overdue",
        "Open demands (dispatched, accepted, in progress) past their resolution deadline, "
        "by lead department.",
        labels=["department"],
    )
    late_accept = GaugeMetricFamily(
        "qinqing_demands_overdue_accept",
        "Dispatched demands not accepted by their acceptance deadline, by lead department.",
        labels=["department"],
    )
    for label in sorted(resolve):
        overdue.add_metric([label], resolve[label])
        late_accept.add_metric([label], accept[label])
    return [overdue, late_accept]


def _account_metrics(now: datetime) -> list[Metric]:
    """Failed logins (from the audit log) and accounts locked by the login policy now."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q

    from qinqing.audit.models import AuditEntry

    counts = AuditEntry.objects.filter(action=FAILED_LOGIN_ACTION).aggregate(
        total=Count("seq"),
        recent=Count("seq", filter=Q(occurred_at__gte=now - FAILED_LOGIN_WINDOW)),
    )
    total = CounterMetricFamily(
        "qinqing_failed_logins",
        "Failed logins to existing accounts recorded in the audit log (web form and API).",
        value=counts["total"],
    )
    recent = GaugeMetricFamily(
        "qinqing_failed_logins_last_24h",
        "Failed logins to existing accounts in the last 24 hours.",
        value=counts["recent"],
    )
    locked = GaugeMetricFamily(
        "qinqing_accounts_locked",
        "Accounts locked now after too many failed logins.",
        value=get_user_model().objects.filter(locked_until__gt=now).count(),
    )
    return [total, recent, locked]


def _audit_metrics(now: datetime) -> list[Metric]:
    from django.db.models import Max

    from qinqing.audit.models import AuditEntry

    head = AuditEntry.objects.aggregate(head=Max("seq"))["head"] or 0
    return [
        GaugeMetricFamily(
            "qinqing_audit_chain_head",
            "Sequence number of the newest audit entry (0 when the log is empty).",
            value=head,
        )
    ]


#: name -> function; each runs a fixed number of queries, whatever the size of the data
SOURCES: dict[str, Callable[[datetime], list[Metric]]] = {
    "queue": _queue_metrics,
    "demands": _demand_metrics,
    "accounts": _account_metrics,
    "audit": _audit_metrics,
}


class DatabaseCollector:
    """Figures read at scrape time. One failing source is reported, not fatal to the scrape:
    ``qinqing_metrics_source_up{source}`` is 0 for it and the others are still exposed."""

    def __init__(self, sources: dict[str, Callable[[datetime], list[Metric]]] | None = None):
        self.sources = SOURCES if sources is None else sources

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        up = GaugeMetricFamily(
            "qinqing_metrics_source_up",
            "1 when the source of scrape-time metrics answered, 0 when it failed.",
            labels=["source"],
        )
        with translation.override(settings.LANGUAGE_CODE):
            for name, source in self.sources.items():
                try:
                    families = source(now)
                except Exception as exc:
                    logger.warning("metrics source %s failed: %s", name, type(exc).__name__)
                    up.add_metric([name], 0)
                    continue
                up.add_metric([name], 1)
                yield from families
        yield up


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def scrape_registry() -> CollectorRegistry:
    """A fresh registry for one scrape: this process's metrics, or every worker's (multiprocess
    mode), and the database figures."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(DatabaseCollector())
    return registry


# --- the guard ---------------------------------------------------------------------------------

#: headers a reverse proxy adds: behind one, REMOTE_ADDR is the proxy's, not the client's
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def networks(spec: tuple[str, ...], setting: str = "QINQING_METRICS_ALLOW") -> tuple[Network, ...]:
    """The networks of a comma-separated setting; an entry that is not one is logged, skipped."""
    found: list[Network] = []
    for item in spec:
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            logger.warning("%s: not a network, ignored: %r", setting, item)
    return tuple(found)


def _allow_list(value: str | Sequence[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    return tuple(i.strip() for i in items if i and i.strip())


def address_allowed(address: str, allow: str | Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    allowed = networks(_allow_list(allow))
    return any(c in n for c in candidates for n in allowed if c.version == n.version)


def _bearer(request: HttpRequest) -> str:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def metrics_allowed(request: HttpRequest) -> bool:
    """The bearer token (compared in constant time), or a direct call from an allowed address.

    A request that came through a reverse proxy (it carries X-Forwarded-For, Forwarded or
    X-Real-IP) is never let in by address: its REMOTE_ADDR is the proxy's own."""
    token = str(getattr(settings, "METRICS_TOKEN", "") or "")
    given = _bearer(request)
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    if any(request.META.get(h) for h in PROXY_HEADERS):
        return False
    allow = getattr(settings, "METRICS_ALLOW", ())
    return address_allowed(request.META.get("REMOTE_ADDR", ""), allow)


DENIED = "无权访问指标 / metrics access denied\n"


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if not metrics_allowed(request):
        response = HttpResponseForbidden(DENIED, content_type="text/plain; charset=utf-8")
    else:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        response = HttpResponse(encoder(scrape_registry()), content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
