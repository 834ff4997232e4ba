"""qinqing stats [--region NAME] [--json]: counts per region."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.common.text import pad, rpad
from qinqing.directory.models import Region, RegionLevel
from qinqing.directory.selectors import region_by_name, region_stats

COLUMNS = [
    ("enterprises", "企业"),
    ("above_scale", "规上"),
    ("grids", "网格"),
    ("stewards", "管家"),
    ("observers", "观察员"),
    ("homes", "家园"),
    ("departments", "部门"),
]


class Command(BaseCommand):
    help = (
        "Counts per region: enterprises, above-scale firms, grids, stewards, observers, "
        "homes, departments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--region", default="", help="region name, e.g. 古林镇; default: every district"
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["region"]:
            region = region_by_name(options["region"])
            if region is None:
                raise CommandError(f"找不到区域 / no region named: {options['region']}")
            regions = [region]
        else:
            regions = list(Region.objects.filter(level__lte=RegionLevel.DISTRICT).order_by("path"))
            if not regions:
                raise CommandError("目录为空，请先运行 qinqing demo load / the directory is empty")
        rows = [region_stats(r) for r in regions]
        if options["as_json"]:
            payload: Any = rows[0] if options["region"] else rows
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(pad("区域", 12) + "".join(rpad(label, 8) for _, label in COLUMNS))
        for row in rows:
            cells = "".join(rpad(str(row[key]), 8) for key, _ in COLUMNS)
            self.stdout.write(pad(row["region"], 12) + cells)
