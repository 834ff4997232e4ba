"""qinqing schedule: enqueue the periodic jobs on time; the task worker runs them.

Django Tasks has no clock of its own. This small process is the clock: one per deployment
(a systemd service or a container next to the workers). It keeps no state that matters:
after a restart it simply enqueues each job again, and every job is idempotent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


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

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = periodic_jobs()
        next_run = dict.fromkeys((name for name, _every, _job in jobs), 0.0)
        while True:
            now = time.monotonic()
            for name, every, enqueue in jobs:
                if now >= next_run[name]:
                    result = enqueue()
                    self.stdout.write(f"enqueued {name} ({result.id})")
                    next_run[name] = now + every
            if options["once"]:
                return
            time.sleep(5)
