"""qinqing reports: the recovery key ceremony, recovery and the deadline sweep.

qinqing reports recovery-keygen [--rotate] [--actor secadmin]
    make the organisation's recovery key pair: the public key is installed, the private
    key is printed once (write it down / print it, split between two officers) and never
    stored on the server
qinqing reports recover --to USERNAME --reason TEXT [--report JB-2026-000001 ...] [--actor NAME]
    read the private key from standard input (never from an argument: shell history) and
    re-share to USERNAME's current key the reports assigned to them (or in their triage)
qinqing reports sweep
    flag overdue reports (run it from `qinqing schedule`, e.g. hourly)
"""

from __future__ import annotations

import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.common.errors import ServiceError
from qinqing.integrity.reports import crypto, services
from qinqing.integrity.reports.models import Report


class Command(BaseCommand):
    help = "Reports: recovery key ceremony, recovery re-sharing, deadline sweep."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        keygen = commands.add_parser(
            "recovery-keygen", help="make and install the recovery key pair"
        )
        keygen.add_argument("--rotate", action="store_true", help="replace an installed key")
        keygen.add_argument("--actor", default="", help="security admin username (audit)")
        recover = commands.add_parser("recover", help="re-share reports with the recovery key")
        recover.add_argument("--to", required=True, help="the supervisor's username")
        recover.add_argument("--reason", required=True)
        recover.add_argument("--report", action="append", default=[], help="report number")
        recover.add_argument("--actor", default="", help="who performs the recovery (audit)")
        commands.add_parser("sweep", help="flag overdue reports")

    def _user(self, username: str) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"找不到用户：{username}")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["subcommand"]
        if command == "recovery-keygen":
            if services.recovery_key() is not None and not options["rotate"]:
                raise CommandError(
                    "已安装恢复公钥；如需更换请加 --rotate（旧举报仍需旧私钥恢复）。"
                )
            private, public = crypto.new_key_pair()
            try:
                key = services.recovery_key_install(
                    actor=self._user(options["actor"]), public_key=public
                )
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"恢复公钥已安装，指纹 {key.fingerprint}。")
            self.stdout.write(
                "恢复私钥（只显示这一次，服务器不保存；请离线保管，可分两人各执一半）："
            )
            self.stdout.write(crypto.format_private_key(private))
        elif command == "recover":
            text = sys.stdin.readline()
            try:
                private = crypto.private_key_from_hex(text)
            except crypto.CannotOpen as exc:
                raise CommandError("恢复私钥格式不正确。") from exc
            supervisor = self._user(options["to"])
            reports = Report.objects.all()
            if options["report"]:
                reports = reports.filter(number__in=options["report"])
            try:
                done = services.recover(
                    actor=self._user(options["actor"]),
                    recovery_private=private,
                    supervisor=supervisor,
                    reports=list(reports.order_by("pk")),
                    reason=options["reason"],
                )
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"已向 {supervisor} 重新授权 {done} 件举报。")
        elif command == "sweep":
            self.stdout.write(f"新标记逾期 {services.sweep_deadlines()} 件。")
