"""qinqing schedule: enqueue the periodic jobs on time; the task worker runs them.

Django Tasks has no clock of its own. This small process is the clock. It is safe to start
on several machines: only the leader enqueues (``qinqing.common.leader``: a PostgreSQL
advisory lock, or a file lock on SQLite); the others wait and take over within one round
when the leader stops. It keeps no state that matters: a new leader simply enqueues each job
again, and every job is idempotent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qinqing.common.leader import leader_lock

logger = logging.getLogger("qinqing.schedule")
#: seconds between rounds (and the longest a follower waits to take over)
ROUND_SECONDS = 5


def periodic_jobs() -> list[tuple[str, int, Callable[[], Any]]]:
    from qinqing.audit.tasks import publish_audit_head
    from qinqing.consultation.tasks import send_survey_reminders
    from qinqing.demands.tasks import sweep_demand_deadlines
    from qinqing.exemption.tasks import sweep_exemption_deadlines
    from qinqing.integrity.reports.tasks import sweep_report_deadlines
    from qinqing.notices.emergency.tasks import send_emergency_reminders
    from qinqing.notices.matching.tasks import expire_listings
    from qinqing.outreach.tasks import send_meeting_reminders

    return [
        ("sweep_demand_deadlines", 300, sweep_demand_deadlines.enqueue),
        ("publish_audit_head", 86400, publish_audit_head.enqueue),
        ("send_meeting_reminders", 3600, send_meeting_reminders.enqueue),
        ("send_survey_reminders", 3600, send_survey_reminders.enqueue),
        ("send_emergency_reminders", 3600, send_emergency_reminders.enqueue),
        ("expire_listings", 86400, expire_listings.enqueue),
        ("sweep_report_deadlines", 3600, sweep_report_deadlines.enqueue),
        ("sweep_exemption_deadlines", 3600, sweep_exemption_deadlines.enqueue),
    ]


class Command(BaseCommand):
    help = "Enqueue periodic jobs (deadline sweeps, reminders, listing expiry, audit head)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue every job once, exit")
        parser.add_argument(
            "--rounds", type=int, default=0, help="stop after this many rounds (0: never)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            for name, _every, enqueue in periodic_jobs():
                self.stdout.write(f"enqueued {name} ({enqueue().id})")
            return
        from qinqing.common.health import check_or_exit

        check_or_exit("database", "queue")
        self.run(rounds=options["rounds"])

    def run(self, *, rounds: int = 0) -> None:
        """Each round: keep or take the leadership, then enqueue what is due if leading."""
        jobs = periodic_jobs()
        lock = leader_lock("schedule")
        leading = False
        next_run: dict[str, float] = {}
        done = 0
        try:
            while not rounds or done < rounds:
                if leading and not lock.still_held():
                    leading = False
                    self.stdout.write("lost the scheduler lock; waiting to lead again")
                if not leading and lock.acquire():
                    leading = True
                    next_run = dict.fromkeys((name for name, _every, _job in jobs), 0.0)
                    self.stdout.write("leading: this scheduler enqueues the periodic jobs")
                if leading:
                    self.enqueue_due(jobs, next_run)
                done += 1
                if not rounds or done < rounds:
                    time.sleep(ROUND_SECONDS)
        finally:
            lock.release()

    def enqueue_due(
        self, jobs: list[tuple[str, int, Callable[[], Any]]], next_run: dict[str, float]
    ) -> None:
        now = time.monotonic()
        for name, every, enqueue in jobs:
            if now >= next_run[name]:
                try:
                    result = enqueue()
                except Exception:  # a queue outage must not stop the clock
                    logger.exception("could not enqueue %s", name)
                    continue
                self.stdout.write(f"enqueued {name} ({result.id})")
                next_run[name] = now + every
