"""Observability: /healthz, /metrics and the request id in every log line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from django_tasks import task
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from qinqing.audit.models import AuditEntry
from qinqing.common.logs import JsonFormatter, RedactFilter, RequestIdFilter
from qinqing.common.metrics import REQUESTS  # noqa: F401  (created before a test patches values)

from ..conftest import PASSWORD, World
from ..demands.conftest import Cases, cases  # noqa: F401  (the demand fixture, reused)

STRANGER = "203.0.113.7"  # an address outside QINQING_METRICS_ALLOW
CLOSED_REDIS = "redis://:s3cret-pw@127.0.0.1:6399/0"  # nothing listens on 6399
RQ_URL = "redis://127.0.0.1:6379/11"  # the machine's Redis; other tests use 9 and 10
HEX32 = re.compile(r"[0-9a-f]{32}")

Labels = tuple[tuple[str, str], ...]


def samples(text: str, name: str) -> dict[Labels, float]:
    """The samples called ``name`` in an exposition, keyed by their sorted labels."""
    found: dict[Labels, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def scrape(client: Any) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    return response.content.decode()


@task()
def observed_job(n: int) -> int:
    return n


# --- /healthz --------------------------------------------------------------------------------


def test_healthz_reports_database_cache_queue_and_storage(client, db) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    for name in ("database", "cache", "queue", "storage"):
        assert body[name]["status"] == "ok" and body[name]["backend"]
    assert body["database"]["vendor"] == connection.vendor
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


def test_healthz_answers_503_when_the_cache_is_unreachable(client, db, settings) -> None:
    settings.CACHE_URL = CLOSED_REDIS
    settings.CACHES = {  # setting_changed closes and rebuilds django.core.cache.caches
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    public = client.get("/healthz", REMOTE_ADDR=STRANGER)
    trusted = client.get("/healthz")  # from 127.0.0.1: the reason and the masked location

    assert public.status_code == trusted.status_code == 503
    body = public.json()
    assert body["status"] == "error"
    assert body["cache"] == {
        "status": "error",
        "backend": "redis",
        "shared": False,
        "ms": body["cache"]["ms"],
        "error": "ConnectionError",
    }
    assert body["database"]["status"] == "ok" and body["database"]["vendor"] == connection.vendor
    assert "6399" not in public.content.decode()
    detail = trusted.json()["cache"]
    assert "Connection refused" in detail["error"]
    assert "s3cret-pw" not in trusted.content.decode()


# --- /metrics: the guard -----------------------------------------------------------------------


def test_metrics_are_refused_to_a_stranger_without_the_token(client, db, settings) -> None:
    settings.METRICS_TOKEN = "scrape-token-1234567890"

    refused = client.get("/metrics", REMOTE_ADDR=STRANGER)
    wrong = client.get(
        "/metrics", REMOTE_ADDR=STRANGER, HTTP_AUTHORIZATION="Bearer scrape-token-0000000000"
    )

    assert refused.status_code == wrong.status_code == 403
    assert refused.content.decode().strip() == "无权访问指标 / metrics access denied"
    assert refused["Content-Type"].startswith("text/plain")


def test_metrics_are_refused_through_a_proxy_even_from_a_local_address(client, db) -> None:
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR=STRANGER)  # proxy on 127.0.0.1

    assert response.status_code == 403


def test_metrics_are_served_to_a_scraper_with_the_bearer_token(client, db, settings) -> None:
    settings.METRICS_TOKEN = "scrape-token-1234567890"

    response = client.get(
        "/metrics", REMOTE_ADDR=STRANGER, HTTP_AUTHORIZATION="Bearer scrape-token-1234567890"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert response["Cache-Control"] == "no-store"
    assert "qinqing_audit_chain_head" in response.content.decode()


def test_metrics_are_served_to_an_allowed_network(client, db, settings) -> None:
    settings.METRICS_ALLOW = ["10.20.0.0/16"]

    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 403
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is no longer in the list


# --- /metrics: requests --------------------------------------------------------------------------


def _count(view: str, method: str, status: str) -> float:
    labels = {"view": view, "method": method, "status": status}
    return REGISTRY.get_sample_value("qinqing_http_requests_total", labels) or 0.0


def test_the_request_counter_counts_a_view_just_requested_by_its_url_name(client, db) -> None:
    before = _count("healthz", "GET", "200")

    client.get("/healthz")
    text = scrape(client)

    key = (("method", "GET"), ("status", "200"), ("view", "healthz"))
    assert samples(text, "qinqing_http_requests_total")[key] == before + 1
    buckets = samples(text, "qinqing_http_request_duration_seconds_count")
    assert buckets[(("view", "healthz"),)] >= 1


def test_request_labels_name_the_view_never_the_path(client, db) -> None:
    before = {
        "create": _count("api:demand_create", "POST", "401"),
        "list": _count("api:demand_list", "GET", "401"),
        "detail": _count("demands:detail", "GET", "302"),
        "unresolved": _count("unresolved", "GET", "404"),
    }

    client.post("/api/v1/demands", {}, content_type="application/json")
    client.get("/api/v1/demands")
    client.get("/demands/987654/")  # to the login page
    client.get("/no/such/page/SQ-2026-000123")

    assert _count("api:demand_create", "POST", "401") == before["create"] + 1
    assert _count("api:demand_list", "GET", "401") == before["list"] + 1
    assert _count("demands:detail", "GET", "302") == before["detail"] + 1
    assert _count("unresolved", "GET", "404") == before["unresolved"] + 1
    text = scrape(client)
    assert "987654" not in text and "SQ-2026" not in text


# --- /metrics: from the database -----------------------------------------------------------------


def test_queue_depth_and_oldest_age_come_from_the_database_queue(client, db, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    observed_job.enqueue(1)
    observed_job.enqueue(2)

    text = scrape(client)

    assert samples(text, "qinqing_queue_depth") == {(("queue", "default"),): 2.0}
    age = samples(text, "qinqing_queue_oldest_task_age_seconds")[(("queue", "default"),)]
    assert 0 <= age < 60


@pytest.fixture
def rq_queue(settings: Any) -> Iterator[Any]:
    import django_rq

    connection = redis.Redis.from_url(RQ_URL, socket_connect_timeout=1)
    try:
        connection.flushdb()
    except redis.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    settings.QUEUE_URL = RQ_URL
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": RQ_URL, "DEFAULT_TIMEOUT": 60}}
    yield django_rq.get_queue("default")
    connection.flushdb()


def test_queue_depth_and_oldest_age_come_from_the_redis_queue(
    client, db, rq_queue, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # django-rq enqueues on commit
        observed_job.enqueue(1)

    text = scrape(client)

    assert samples(text, "qinqing_queue_depth") == {(("queue", "default"),): 1.0}
    age = samples(text, "qinqing_queue_oldest_task_age_seconds")[(("queue", "default"),)]
    assert 0 <= age < 60


def test_overdue_demands_are_counted_per_lead_department(client, cases: Cases) -> None:  # noqa: F811
    now = datetime.now().astimezone()
    late = cases.submit(title="超期未办结的诉求", submitted_at=now.replace(year=now.year - 1))
    cases.submit(title="刚提交的诉求")

    text = scrape(client)

    assert late.department == cases.lead
    department = (("department", cases.lead.name),)
    assert samples(text, "qinqing_demands_overdue") == {department: 1.0}
    assert samples(text, "qinqing_demands_overdue_accept") == {department: 1.0}


def test_a_failed_login_through_the_form_is_counted(client, world: World) -> None:
    before = scrape(client)
    assert samples(before, "qinqing_failed_logins_last_24h") == {(): 0.0}

    client.post("/accounts/login/", {"username": "enterprise", "password": "Wrong#Pass-2026x"})
    text = scrape(client)

    assert samples(text, "qinqing_failed_logins_total") == {(): 1.0}
    assert samples(text, "qinqing_failed_logins_last_24h") == {(): 1.0}
    assert samples(text, "qinqing_accounts_locked") == {(): 0.0}


def test_the_audit_chain_head_is_the_last_entry(client, world: World) -> None:
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None

    text = scrape(client)

    assert samples(text, "qinqing_audit_chain_head") == {(): float(last.seq)}
    assert samples(text, "qinqing_metrics_source_up") == {
        (("source", name),): 1.0 for name in ("queue", "demands", "accounts", "audit")
    }


def test_a_scrape_runs_a_few_queries_however_much_data_there_is(
    client,
    cases: Cases,  # noqa: F811
    settings,
    django_assert_max_num_queries,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = datetime.now().astimezone()
    for i in range(3):
        cases.submit(title=f"超期诉求{i}", submitted_at=now.replace(year=now.year - 1))
        cases.submit(title=f"另一部门的超期诉求{i}", submitted_at=now.replace(year=now.year - 1))
        observed_job.enqueue(i)
    from qinqing.demands.models import Demand

    Demand.objects.filter(title__startswith="另一部门").update(department=cases.other)
    for _ in range(2):
        client.post("/accounts/login/", {"username": "enterprise", "password": "wrong"})

    with django_assert_max_num_queries(5):  # queue, demands, failed logins, locked, audit head
        text = scrape(client)

    assert sum(samples(text, "qinqing_demands_overdue").values()) == 6
    assert len(samples(text, "qinqing_demands_overdue")) == 2


def test_in_multiprocess_mode_a_scrape_adds_up_every_worker(
    client, db, monkeypatch, tmp_path: Path
) -> None:
    from prometheus_client import Counter, values

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for pid, n in ((4242, 3), (4343, 2)):  # two gunicorn workers, each its own file
        monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda pid=pid: pid))
        worker = Counter("qinqing_http_requests", "", ["view", "method", "status"], registry=None)
        worker.labels(view="demands:inbox", method="GET", status="200").inc(n)

    text = scrape(client)

    key = (("method", "GET"), ("status", "200"), ("view", "demands:inbox"))
    assert samples(text, "qinqing_http_requests_total") == {key: 5.0}  # the files, not memory
    assert "qinqing_audit_chain_head" in text


# --- logs ------------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[StringIO]:
    """Every log line of the test, formatted as in production with QINQING_LOG_FORMAT=json."""
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    request_logger = logging.getLogger("qinqing.request")
    levels = root.level, request_logger.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    request_logger.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(levels[0])
    request_logger.setLevel(levels[1])


def test_json_log_lines_carry_the_request_id_and_never_the_address_or_password(
    client, world: World, json_log: StringIO
) -> None:
    response = client.post(
        "/accounts/login/?next=/demands/",
        {"username": "enterprise", "password": "Wrong#Pass-2026x"},
        HTTP_X_REQUEST_ID="lb-7f3a.0001",
        REMOTE_ADDR="198.51.100.23",
    )

    assert response["X-Request-ID"] == "lb-7f3a.0001"
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "qinqing.request"]
    assert len(access) == 1
    assert access[0]["request_id"] == "lb-7f3a.0001"
    assert {"time", "level", "message"} <= set(access[0])
    assert (access[0]["method"], access[0]["view"], access[0]["status"]) == (
        "POST",
        "accounts:login",
        200,
    )
    text = json_log.getvalue()
    for secret in ("198.51.100.23", "127.0.0.1", "Wrong#Pass-2026x", PASSWORD, "next="):
        assert secret not in text
    failure = AuditEntry.objects.filter(action="user.login_failed").get()
    assert failure.request_id == "lb-7f3a.0001"  # the audit entry carries the same id


def test_an_unusable_request_id_from_the_proxy_is_replaced(client, db, json_log) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="x\n{forged} " + "y" * 80)

    request_id = response["X-Request-ID"]
    assert HEX32.fullmatch(request_id)
    access = json.loads(json_log.getvalue().splitlines()[-1])
    assert access["request_id"] == request_id and "forged" not in json_log.getvalue()


def test_djangos_not_found_line_carries_the_request_id_and_no_query_string(
    client, db, json_log: StringIO
) -> None:
    response = client.get("/no/such/page/?receipt=R-ABCD-1234", HTTP_X_REQUEST_ID="lb-404")

    assert response.status_code == 404
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert {line["logger"] for line in lines} == {"qinqing.request", "django.request"}
    assert {line["request_id"] for line in lines} == {"lb-404"}
    assert "R-ABCD" not in json_log.getvalue()


def test_secrets_passed_to_a_logger_are_masked(json_log: StringIO) -> None:
    details = {"receipt_code": "R-ABCD-1234", "note": "Authorization: Bearer eyJabc.def"}
    logging.getLogger("qinqing.test").warning(
        "login for %s with password=%s",
        "zhaomin",
        "hunter2-secret",
        extra={"password": "hunter2-secret", "token": "tok-123", "details": details},
    )

    line = json.loads(json_log.getvalue())
    assert line["request_id"] == "-"  # outside a request
    assert line["password"] == line["token"] == "***"
    assert line["details"]["receipt_code"] == "***"
    assert "eyJabc" not in line["details"]["note"]
    assert line["message"] == "login for zhaomin with password=***"
    assert details["receipt_code"] == "R-ABCD-1234"  # the caller's dict is left alone
    assert "hunter2" not in json_log.getvalue() and "tok-123" not in json_log.getvalue()


def test_logs_are_plain_text_unless_json_is_asked_for(settings) -> None:
    import runpy

    from qinqing.config import settings as module

    assert settings.LOGGING["handlers"]["console"]["formatter"] == "text"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("QINQING_LOG_FORMAT", "json")
        values = runpy.run_path(module.__file__)
    assert values["LOGGING"]["handlers"]["console"]["formatter"] == "json"
    assert values["LOGGING"]["formatters"]["json"]["()"] == "qinqing.common.logs.JsonFormatter"
