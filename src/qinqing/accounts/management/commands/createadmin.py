"""qinqing createadmin: create a system, security or audit administrator."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from qinqing.accounts.models import ADMIN_ROLES
from qinqing.accounts.services import role_grant, user_create
from qinqing.common.errors import ServiceError


class Command(BaseCommand):
    help = "Create an administrator (三员: system_admin, security_admin or audit_admin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="sysadmin")
        parser.add_argument("--role", default="system_admin", choices=sorted(ADMIN_ROLES))
        parser.add_argument("--display-name", default="")
        parser.add_argument(
            "--password-env",
            default="QINQING_ADMIN_PASSWORD",
            help="read the password from this environment variable instead of a prompt",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(options["password_env"]) or getpass.getpass("密码 / Password: ")
        try:
            with transaction.atomic():
                user = user_create(
                    actor=None,
                    username=options["username"],
                    password=password,
                    display_name=options["display_name"] or options["username"],
                )
                role_grant(actor=None, user=user, role=options["role"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"created {user.username} ({options['role']})"))
