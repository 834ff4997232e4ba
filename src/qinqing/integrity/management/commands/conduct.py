"""qinqing conduct load <file.yaml> [...] | qinqing conduct show [--on YYYY-MM-DD]

Load conduct-list items and the clean-enterprise checklist from YAML files (JSON is YAML, so
a JSON file loads too; read with ``yaml.safe_load``, plain data only). Idempotent: an
unchanged item is skipped, a changed one becomes a new version that supersedes the old from
its effective date. ``--sample`` loads the sample lists shipped with Qinqing. The file
format and the rule language: ``docs/conduct-lists.md`` and the comments at the top of
``integrity/lists/sample_lists.yaml``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.common.errors import ServiceError

SAMPLES = Path(__file__).resolve().parents[2] / "lists"
SAMPLE_FILES = ("sample_lists.yaml", "clean_checklist.yaml")


class Command(BaseCommand):
    help = "Load or show the conduct lists (正负面清单)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load list files (YAML; JSON is accepted too)")
        load.add_argument("files", nargs="*")
        load.add_argument("--sample", action="store_true", help="the shipped sample lists")
        show = sub.add_parser("show", help="print the items in force")
        show.add_argument("--on", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            from qinqing.integrity.selectors import items_in_force

            on = date.fromisoformat(options["on"]) if options["on"] else None
            for item in items_in_force(on):
                rule = " [rule]" if item.rule else ""
                self.stdout.write(f"{item.code} v{item.version} {item.title}{rule}")
            return
        from qinqing.integrity.services import conduct_load, read_list_file

        files = [Path(f) for f in options["files"]]
        if options["sample"]:
            files += [SAMPLES / name for name in SAMPLE_FILES]
        if not files:
            raise CommandError("give a file, or --sample")
        for path in files:
            try:
                data = read_list_file(path)
                result = conduct_load(actor=None, data=data, source_name=path.name)
            except ServiceError as exc:
                raise CommandError(f"{path}: {exc.message}") from exc
            self.stdout.write(
                f"{path.name}: {result.created} new, {result.superseded} superseded, "
                f"{result.unchanged} unchanged, {result.criteria} checklist items"
            )
