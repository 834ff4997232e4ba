"""qinqing rq_worker: the background task worker on Redis (QINQING_QUEUE_URL)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.common.queue import run_worker, uses_rq


class Command(BaseCommand):
    help = "Run background tasks from the Redis queue (needs QINQING_QUEUE_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", help="the worker's name (default: host and process id)")
        parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")

    def handle(self, *args: Any, **options: Any) -> None:
        if not uses_rq():
            raise CommandError(
                "未配置 Redis 任务队列（QINQING_QUEUE_URL）；数据库队列请用 qinqing db_worker / "
                "no Redis queue configured (QINQING_QUEUE_URL); use qinqing db_worker"
            )
        from qinqing.common.health import check_or_exit

        check_or_exit("queue", "database", "cache", "storage")
        run_worker(name=options["name"], burst=options["burst"])
