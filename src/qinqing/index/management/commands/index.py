"""qinqing index compute --period 2026H1 --level town --out DIR | qinqing index docs"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.index import compute as computation
from qinqing.index.docs import render_markdown
from qinqing.index.method import DEFAULT_VERSION, MethodError, load


class Command(BaseCommand):
    help = (
        "亲清指数: compute a period (results.csv, indicators.csv) or regenerate the method document"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        c = sub.add_parser("compute", help="compute one half-year at one level")
        c.add_argument("--period", required=True, help="2026H1 or 2026H2")
        c.add_argument("--level", required=True, choices=["district", "town"])
        c.add_argument("--out", required=True, help="directory for results.csv and indicators.csv")
        c.add_argument("--draws", type=int, default=None, help="Monte Carlo draws (method default)")
        c.add_argument("--seed", type=int, default=None, help="random seed (method default)")
        c.add_argument("--method", default=DEFAULT_VERSION)
        c.add_argument("--weights", default="equal", help="a weight set of the methodology")
        d = sub.add_parser("docs", help="write docs/index-methodology.md from the YAML")
        d.add_argument("--method", default=DEFAULT_VERSION)
        d.add_argument("--out", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            method = load(options["method"])
        except MethodError as error:
            raise CommandError(str(error)) from error
        if options["action"] == "docs":
            target = Path(
                options["out"] or Path(settings.BASE_DIR) / "docs" / "index-methodology.md"
            )
            target.write_text(render_markdown(method), encoding="utf-8")
            self.stdout.write(str(target))
            return
        try:
            snap = computation.compute(
                period=options["period"],
                level=options["level"],
                method=method,
                draws=options["draws"],
                seed=options["seed"],
                weight_set=options["weights"],
            )
        except (computation.PeriodError, MethodError) as error:
            raise CommandError(str(error)) from error
        for path in computation.write_files(snap, options["out"]):
            self.stdout.write(str(path))
        unavailable = [code for code, s in snap["sources"].items() if not s["available"]]
        if unavailable:
            self.stdout.write("unavailable sources: " + ", ".join(unavailable))
