"""qinqing backup: a backup of the database and the stored files, and its restore.

qinqing backup create --out DIR            write a backup into DIR (new or empty)
qinqing backup restore DIR [--force]       restore DIR into the configured database and storage

The logic and the backup's layout: src/qinqing/common/backup.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.common.backup import BackupError, backup_create, backup_restore


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


class Command(BaseCommand):
    help = "Back up the database and the stored files into a directory, or restore one."
    # A nightly backup must not wait on, or fail for, the system checks (4 s of URL and
    # model checks); the restore ends with checks of its own.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        create = commands.add_parser("create", help="write a backup into a new or empty DIR")
        create.add_argument("--out", required=True, type=Path, metavar="DIR")
        restore = commands.add_parser(
            "restore", help="check a backup, then restore it into the configured database"
        )
        restore.add_argument("directory", type=Path, metavar="DIR")
        restore.add_argument(
            "--force",
            action="store_true",
            help="overwrite a database that holds rows and same-named stored files",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["subcommand"] == "create":
                self._create(out=options["out"])
            else:
                self._restore(source=options["directory"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, *, out: Path) -> None:
        result = backup_create(out=out)
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成 / backup created: {result.directory} — {result.tables} tables,"
                f" {result.rows} rows, {result.files} files, {_megabytes(result.size)},"
                f" {result.seconds:.1f} s"
            )
        )

    def _restore(self, *, source: Path, force: bool) -> None:
        result = backup_restore(source=source, force=force)
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成 / restore complete: {result.tables} tables, {result.rows} rows,"
                f" {result.files} files, {result.seconds:.1f} s"
            )
        )
