"""qinqing audit verify [--from N] | qinqing audit head"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qinqing.audit.models import ChainHead
from qinqing.audit.services import verify

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
        sub.add_parser("head", help="append the current head to the head file (publish it)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "head":
            head = ChainHead.objects.filter(id=1).first()
            seq, digest = (head.seq, head.hash) if head else (0, "")
            line = f"{timezone.now().isoformat()} seq={seq} hash={digest}"
            path = settings.AUDIT_HEAD_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
            self.stdout.write(line)
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
