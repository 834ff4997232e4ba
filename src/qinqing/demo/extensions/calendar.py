"""Demo data of the working-day calendar: the State Council's 2026 holiday notice, imported
by ``sysadmin`` and confirmed by the second system administrator ``sysadmin2`` (the two-person
rule), so a new user sees on /calendar/ how a confirmed notice looks.

The text is the published notice (国办发明电〔2025〕7号), kept in ``holiday_notices/2026.txt``.
It agrees with chinese-calendar, so confirming it moves no deadline.
"""

from __future__ import annotations

from pathlib import Path

from qinqing.common.services import holiday_notice_confirm, holiday_notice_import
from qinqing.demo.context import DemoContext

NOTICE_DIR = Path(__file__).resolve().parent.parent / "holiday_notices"
IMPORTER, CONFIRMER = "sysadmin", "sysadmin2"


def notice_text(year: int) -> str:
    return (NOTICE_DIR / f"{year}.txt").read_text(encoding="utf-8")


def write(ctx: DemoContext) -> dict[str, int]:
    notice = holiday_notice_import(actor=ctx.users[IMPORTER], text=notice_text(2026))
    holiday_notice_confirm(actor=ctx.users[CONFIRMER], notice_id=notice.pk)
    return {"holiday_notices": 1}
