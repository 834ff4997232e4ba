"""qinqing audit verify [--from N] | qinqing audit head"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.audit.services import publish_head, verify
from qinqing.audit.tasks import publish_audit_head

REASONS = {
    "changed": "entry changed (hash mismatch) / 记录被修改",
    "missing": "entry missing (sequence gap) / 记录缺失",
    "broken_link": "broken link to previous entry / 链接断裂",
}


class Command(BaseCommand):
    help = "Verify the audit hash chain, or publish its head."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify", help="recompute the chain and report the first bad entry")
        v.add_argument("--from", dest="start", type=int, default=1)
        h = sub.add_parser("head", help="append the current head to the head file (publish it)")
        h.add_argument("--enqueue", action="store_true", help="run it on the task worker")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "head":
            if options["enqueue"]:
                job = publish_audit_head.enqueue()
                self.stdout.write(f"enqueued task {job.id}")
            else:
                self.stdout.write(publish_head())
            return
        result = verify(start=options["start"])
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK: {result.checked} entries verified, head at {result.head_seq}"
                )
            )
            return
        raise CommandError(
            f"TAMPERED at entry {result.first_bad_seq}: {REASONS.get(result.reason, result.reason)}"
            f" ({result.checked} entries verified before it)"
        )
