"""The Redis task queue (RQ, through ``django-tasks-rq``) when ``QINQING_QUEUE_URL`` is set.

Django Tasks hands each job to RQ. Two things are ours:

- ``RetryingQueue`` gives every job retries (``QINQING_QUEUE_RETRIES``), so that a job whose
  worker was killed mid-run is run again by another worker instead of being lost: RQ notices
  an abandoned job when its heartbeat expires (about 60 s after the worker's last one) and a
  live worker's maintenance (every ``QINQING_QUEUE_MAINTENANCE_SECONDS``) requeues it. Every
  task is idempotent, so a second run never does the work twice.
- ``run_worker`` starts a worker on the configured queues with those intervals
  (``qinqing rq_worker``).
"""

from __future__ import annotations

from typing import Any

import django_rq
from django.conf import settings
from django_rq.queues import DjangoRQ
from rq import Retry
from rq.worker import Worker


class RetryingQueue(DjangoRQ):
    """A queue whose jobs are retried when they fail or their worker dies."""

    def create_job(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("retry") is None and settings.QUEUE_RETRIES > 0:
            kwargs["retry"] = Retry(
                max=settings.QUEUE_RETRIES, interval=settings.QUEUE_RETRY_DELAY_SECONDS
            )
        return super().create_job(*args, **kwargs)


class MaintainingWorker(Worker):
    """An RQ worker that looks for abandoned jobs even while idle.

    RQ runs its maintenance only between jobs, and an idle worker blocks for up to
    ``worker_ttl - 15`` (405 s) waiting for the next one, so a dead worker's job would wait
    that long. The wait is capped at the maintenance interval instead."""

    @property
    def dequeue_timeout(self) -> int:
        return max(1, min(int(super().dequeue_timeout), int(self.maintenance_interval)))


def queue_names() -> list[str]:
    return list(settings.TASKS["default"].get("QUEUES") or ["default"])


def uses_rq() -> bool:
    return bool(getattr(settings, "QUEUE_URL", ""))


def run_worker(*, name: str | None = None, burst: bool = False) -> bool:
    """Work the configured queues until stopped (or, with ``burst``, until they are empty).

    Abandoned jobs of dead workers are looked for at start and then every
    ``QUEUE_MAINTENANCE_SECONDS``."""
    from django_tasks_rq import Job

    connection = django_rq.get_connection(queue_names()[0])
    queues = [django_rq.get_queue(q, job_class=Job) for q in queue_names()]
    worker = MaintainingWorker(
        queues,
        connection=connection,
        name=name,
        job_class=Job,
        maintenance_interval=settings.QUEUE_MAINTENANCE_SECONDS,
        job_monitoring_interval=settings.QUEUE_HEARTBEAT_SECONDS,
    )
    worker.clean_registries()
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="INFO"))
