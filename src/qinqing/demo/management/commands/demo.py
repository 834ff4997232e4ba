"""qinqing demo load [--seed N] [--if-empty] | qinqing demo accounts."""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, ProgrammingError
from django.utils import timezone

from qinqing.demo import data
from qinqing.demo.accounts import account_rows, render_table
from qinqing.demo.loader import DemoDataExists, LoadResult, existing_data, load


class Command(BaseCommand):
    # What the last `load` wrote, and for which moment: read by a caller that passes its own
    # instance to ``call_command`` (the tests' shared demo load).
    result: LoadResult | None = None
    now: datetime | None = None

    help = (
        "The synthetic Ningbo dataset: `demo load [--seed N] [--if-empty]` loads it into an "
        "empty database; `demo accounts` prints the demo accounts and their password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{load,accounts}")
        load_parser = sub.add_parser("load", help="load the synthetic Ningbo dataset")
        load_parser.add_argument(
            "--seed",
            type=int,
            default=data.DEFAULT_SEED,
            help=f"random seed; the same seed gives the same data (default {data.DEFAULT_SEED})",
        )
        load_parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when enterprises already exist (instead of failing)",
        )
        # `qinqing demo load -v 0` as well as `qinqing demo -v 0 load`
        load_parser.add_argument(
            "-v",
            "--verbosity",
            type=int,
            choices=[0, 1, 2, 3],
            default=argparse.SUPPRESS,
            help="0: no progress bar and no hints",
        )
        sub.add_parser("accounts", help="print the demo accounts")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "load":
                self.load(
                    seed=options["seed"],
                    if_empty=options["if_empty"],
                    verbosity=options["verbosity"],
                )
            else:
                self.accounts()
        except (OperationalError, ProgrammingError) as exc:
            if "no such table" in str(exc) or "does not exist" in str(exc):
                raise CommandError("数据库尚未初始化，请先运行 qinqing migrate。") from exc
            raise

    def load(self, *, seed: int, if_empty: bool, verbosity: int) -> None:
        reason = existing_data()
        if reason and if_empty:
            self.stdout.write(f"演示数据已存在（{reason}），未重复载入。")
            return
        if reason:
            raise CommandError(
                f"数据库不为空：{reason}。演示数据只能载入空库；"
                "如只想在空库时载入，请加 --if-empty。"
            )
        started = time.perf_counter()
        self.now = timezone.now()
        try:
            result = load(seed=seed, progress=verbosity > 0, now=self.now)
        except DemoDataExists as exc:  # another process loaded meanwhile
            raise CommandError(f"数据库不为空：{exc}。") from exc
        seconds = time.perf_counter() - started
        self.result = result
        self.stdout.write(
            self.style.SUCCESS(
                f"已载入宁波演示数据（种子 {result.seed}，用时 {seconds:.1f} 秒）："
                f"区域 {result.regions} 个（网格 {result.grids}），"
                f"企业 {result.enterprises} 家（规上 {result.above_scale}），"
                f"部门 {result.departments} 个，亲清家园 {result.homes} 个，"
                f"用户 {result.users} 个（管家 {result.stewards}、观察员 {result.observers}），"
                f"商会 {result.chambers} 个，结对 {result.pairings} 对，"
                f"派单规则 {result.routing_rules} 条，"
                f"诉求 {result.demands} 件（未办结 {result.open_demands}），"
                f"走访 {result.visits} 次（重点企业 {result.key_firms} 家），"
                f"会议 {result.meetings} 场（会议事项 {result.follow_ups} 项），"
                f"结对联系 {result.pairing_contacts} 次，"
                f"活动 {result.activities} 个（报名 {result.registrations}），"
                f"服务团诉求 {result.group_requests} 件，"
                f"观察员反馈 {result.observer_feedback} 条。"
            )
        )
        for label, counts in result.extras.items():
            details = "，".join(f"{name} {n}" for name, n in counts.items())
            self.stdout.write(f"  {label}：{details}")
        if verbosity > 0:
            self.stdout.write("演示账户：qinqing demo accounts")

    def accounts(self) -> None:
        rows = account_rows()
        if rows is None:
            raise CommandError("演示数据尚未载入，请先运行 qinqing demo load。")
        self.stdout.write(render_table(rows))
        wangli = next(a for a in data.DEMO_ACCOUNTS if a.username == "wangli")
        self.stdout.write("")
        self.stdout.write(
            f"所有演示账户的密码均为 {data.DEMO_PASSWORD}（仅供演示，请勿用于生产）；"
            f"王丽也可用手机号 {wangli.phone} 登录。"
        )
        self.stdout.write("生成的管家（steward_*）、观察员（observer_*）账户使用同一密码。")
