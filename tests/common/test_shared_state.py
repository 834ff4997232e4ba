"""Shared state on shared services: what one web process writes, every other one sees.

Redis is the machine's real server (127.0.0.1:6379); these tests use databases 9 (queue) and
10 (cache), emptied first. Processes are real processes where it matters (a challenge made
in one process and answered in another)."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.cache import caches
from django.core.management import call_command
from django.test import RequestFactory

from qinqing.common import health
from qinqing.common.errors import ServiceError
from qinqing.common.leader import leader_lock
from qinqing.integrity.reports import guard

from ..s3 import web_start_up_failure

REDIS = "redis://127.0.0.1:6379"
CACHE_URL = f"{REDIS}/10"
QUEUE_URL = f"{REDIS}/9"
QINQING = str(Path(sys.executable).with_name("qinqing"))


def redis_cache(prefix: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": prefix,
        }
    }


@pytest.fixture
def shared_cache(settings: Any, tmp_path: Path) -> dict[str, str]:
    """This process on the Redis cache, and the environment of another process on it too."""
    redis.Redis.from_url(CACHE_URL).flushdb()
    prefix = f"qq-test-{os.getpid()}"
    settings.CACHES = redis_cache(prefix)
    settings.CACHE_URL = CACHE_URL
    yield {
        **os.environ,
        "QINQING_CACHE_URL": CACHE_URL,
        "QINQING_CACHE_PREFIX": prefix,
        "QINQING_VAR_DIR": str(tmp_path / "var"),
        "QINQING_STARTUP_CHECK": "0",
        "DATABASE_URL": "",
    }
    caches["default"].close()


def other_process(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a new `qinqing shell` process (another web worker, in effect)."""
    done = subprocess.run(
        [QINQING, "shell", "--no-imports", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_challenge_handed_out_by_one_process_is_accepted_by_another(shared_cache) -> None:
    issued = other_process(
        shared_cache,
        "from qinqing.integrity.reports import guard; c = guard.challenge(); "
        "print(c.challenge, c.bits)",
    )
    value, bits = issued.split()

    guard.verify(value, guard.solve(value, int(bits)))  # accepted here, in this process

    with pytest.raises(ServiceError):  # and only once, wherever it comes back
        guard.verify(value, guard.solve(value, int(bits)))


def test_without_a_shared_cache_another_process_refuses_the_challenge(settings, tmp_path) -> None:
    """What went wrong before: each process had its own memory."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    env = {**os.environ, "QINQING_VAR_DIR": str(tmp_path), "QINQING_CACHE_URL": ""}
    value = other_process(
        env, "from qinqing.integrity.reports import guard; print(guard.challenge().challenge)"
    )
    with pytest.raises(ServiceError):
        guard.verify(value, guard.solve(value, guard.challenge().bits))


def test_the_rate_limit_counts_submissions_of_every_process(shared_cache, settings) -> None:
    settings.REPORTS_RATE_LIMIT = 3
    code = (
        "from django.test import RequestFactory; from qinqing.integrity.reports import guard; "
        "r = RequestFactory().post('/reports/', REMOTE_ADDR='203.0.113.9'); "
        "guard.rate_limit(r, 'submit'); guard.rate_limit(r, 'submit'); print('ok')"
    )
    assert other_process(shared_cache, code) == "ok"
    request = RequestFactory().post("/reports/", REMOTE_ADDR="203.0.113.9")
    guard.rate_limit(request, "submit")  # the third of three

    with pytest.raises(guard.TooMany):
        guard.rate_limit(request, "submit")


# --- start-up checks -------------------------------------------------------------------------
def test_an_unreachable_redis_is_one_clear_line_at_start_up(tmp_path) -> None:
    line = web_start_up_failure(
        {"QINQING_VAR_DIR": str(tmp_path), "QINQING_CACHE_URL": "redis://:secret@127.0.0.1:1/0"}
    )
    assert "启动检查失败 / start-up check failed: 缓存 / cache" in line
    assert "redis://***@127.0.0.1:1/0" in line and "secret" not in line


def test_a_worker_without_a_queue_url_says_which_worker_to_use(tmp_path) -> None:
    env = {**os.environ, "QINQING_VAR_DIR": str(tmp_path), "QINQING_QUEUE_URL": ""}
    done = subprocess.run(
        [QINQING, "rq_worker", "--burst"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "QINQING_QUEUE_URL" in done.stderr and "db_worker" in done.stderr


def test_the_probes_report_each_service(db, shared_cache) -> None:
    probes = {p.name: p for p in health.run_all()}
    assert all(p.ok for p in probes.values()), probes
    assert probes["cache"].backend == "redis" and probes["cache"].shared


def test_the_deployment_check_warns_about_a_cache_in_process_memory(settings) -> None:
    settings.CACHE_URL = ""
    out = StringIO()
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=out)
    assert "qinqing.W001" in out.getvalue()

    settings.CACHE_URL = CACHE_URL
    out = StringIO()
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=out)
    assert "qinqing.W001" not in out.getvalue()


# --- one scheduler at a time -------------------------------------------------------------------
def test_only_one_scheduler_leads_and_another_takes_over_when_it_stops(
    transactional_db, settings, tmp_path
) -> None:
    settings.VAR_DIR = tmp_path
    first, second = leader_lock("schedule"), leader_lock("schedule")
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        assert first.still_held() is True

        first.release()  # the leader stops (or its machine goes away)

        assert second.acquire() is True
        assert first.acquire() is False
    finally:
        first.release()
        second.release()


def test_a_follower_scheduler_enqueues_nothing(transactional_db, settings, tmp_path) -> None:
    from qinqing.common.management.commands.schedule import Command

    settings.VAR_DIR = tmp_path
    leader = leader_lock("schedule")
    assert leader.acquire()
    try:
        out = StringIO()
        follower = Command(stdout=out)
        follower.run(rounds=1)
        assert "enqueued" not in out.getvalue()
    finally:
        leader.release()

    out = StringIO()
    Command(stdout=out).run(rounds=1)
    assert "leading" in out.getvalue() and "enqueued sweep_demand_deadlines" in out.getvalue()


# --- the Redis task queue ----------------------------------------------------------------------
@pytest.fixture
def rq_queue(settings: Any) -> Any:
    import django_rq

    connection = redis.Redis.from_url(QUEUE_URL)
    connection.flushdb()
    settings.QUEUE_URL = QUEUE_URL
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": QUEUE_URL, "DEFAULT_TIMEOUT": 600}}
    yield django_rq.get_queue("default")
    connection.flushdb()


def work_once() -> None:
    """A worker in this process (no fork: the test database lives in this process)."""
    import django_rq
    from django_tasks_rq import Job
    from rq.worker import SimpleWorker

    queue = django_rq.get_queue("default", job_class=Job)
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)


def request_index_run(world: Any, capture: Any) -> Any:
    from qinqing.index import services

    with capture(execute=True):
        return services.compute_request(
            actor=world.users["supervisor"], period="2026H1", level="town", draws=50
        )


def test_an_index_run_goes_through_the_redis_queue(
    world, rq_queue, django_capture_on_commit_callbacks
) -> None:
    from qinqing.index import sources
    from qinqing.index.models import ComputeRun

    from ..index.conftest import ALL_FAKE

    with sources.override(**ALL_FAKE):
        run = request_index_run(world, django_capture_on_commit_callbacks)
        assert rq_queue.count == 1
        job = rq_queue.jobs[0]
        assert job.retries_left == 3  # a job whose worker dies is run again

        work_once()

    run.refresh_from_db()
    assert run.status == ComputeRun.Status.DONE and run.snapshot["draws"] == 50


def test_a_job_abandoned_by_a_killed_worker_is_run_again_and_completes(
    world, rq_queue, settings, django_capture_on_commit_callbacks
) -> None:
    """A worker took the job, marked the run running and died (no result, no heartbeat). When
    its heartbeat has expired, a live worker's maintenance requeues the job and the next
    worker completes the computation the dead one began."""
    from django_tasks_rq import Job
    from rq.registry import StartedJobRegistry
    from rq.worker import SimpleWorker

    from qinqing.index import sources
    from qinqing.index.models import ComputeRun

    from ..index.conftest import ALL_FAKE

    settings.QUEUE_RETRY_DELAY_SECONDS = 0
    with sources.override(**ALL_FAKE):
        run = request_index_run(world, django_capture_on_commit_callbacks)
        # the worker that dies: it takes the job off the queue and starts it
        dead = SimpleWorker([rq_queue], connection=rq_queue.connection, job_class=Job)
        job, _queue = dead.dequeue_job_and_maintain_ttl(timeout=1)
        dead.prepare_execution(job)
        dead.prepare_job_execution(job)
        ComputeRun.objects.filter(pk=run.pk).update(status=ComputeRun.Status.RUNNING)
        registry = StartedJobRegistry(queue=rq_queue)
        assert job.id in registry.get_job_ids() and rq_queue.count == 0

        # ... and never comes back: once its heartbeat has expired, maintenance requeues it
        registry.cleanup(timestamp=job.enqueued_at.timestamp() + 3600)
        assert rq_queue.count == 1 and rq_queue.jobs[0].retries_left == 2

        work_once()

    run.refresh_from_db()
    assert run.status == ComputeRun.Status.DONE, run.error
    assert run.snapshot["draws"] == 50


# --- behind the reverse proxy --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.5", "198.51.100.7", "198.51.100.7"),  # nginx in front: the client
        ("10.0.0.5", "203.0.113.1, 198.51.100.7", "198.51.100.7"),  # a forged hop is skipped
        ("10.0.0.5", "198.51.100.7, 10.0.0.9", "198.51.100.7"),  # two trusted proxies
        ("203.0.113.50", "198.51.100.7", "203.0.113.50"),  # not a proxy: header ignored
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "not-an-address", "10.0.0.5"),  # never guessed
    ],
)
def test_the_client_address_is_read_only_from_trusted_proxies(remote, forwarded, expected) -> None:
    from qinqing.common.middleware import client_address

    assert client_address(remote, forwarded, ("10.0.0.0/8",)) == expected


def test_behind_nginx_each_reporter_has_a_limit_of_their_own(db, settings) -> None:
    """Without the setting every report through nginx would count against one shared limit."""
    from qinqing.common.middleware import ClientAddressMiddleware

    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    settings.REPORTS_RATE_LIMIT = 1

    def through_nginx(client: str) -> None:
        request = RequestFactory().post(
            "/reports/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client
        )

        def submit(r: Any) -> Any:
            guard.rate_limit(r, "submit")
            return None

        ClientAddressMiddleware(submit)(request)

    through_nginx("198.51.100.7")
    through_nginx("198.51.100.8")  # another reporter behind the same proxy is not refused
    with pytest.raises(guard.TooMany):
        through_nginx("198.51.100.7")
