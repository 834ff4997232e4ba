"""The demo accounts as a table that lines up in a terminal (CJK characters are two columns)."""

from __future__ import annotations

from qinqing.accounts.models import Role, RoleAssignment, User
from qinqing.common.text import display_width, pad

from . import data

HEADERS = ("角色", "用户名", "姓名", "范围", "密码")


def account_rows() -> list[tuple[str, str, str, str, str]] | None:
    """One row per demo account, from the database; None when the demo has not been loaded."""
    usernames = [a.username for a in data.DEMO_ACCOUNTS]
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    if len(users) != len(usernames):
        return None
    assignments = {
        a.user.username: a
        for a in RoleAssignment.objects.filter(user__in=users.values()).select_related(
            "user", "region", "department", "enterprise"
        )
    }
    rows = []
    for account in data.DEMO_ACCOUNTS:
        user = users[account.username]
        assignment = assignments.get(account.username)
        scope = ""
        if assignment is not None:
            scope = str(assignment.region or assignment.department or assignment.enterprise or "")
        rows.append(
            (
                str(Role(account.role).label),
                user.username,
                user.display_name,
                scope or "全系统",
                data.DEMO_PASSWORD,
            )
        )
    return rows


def render_table(rows: list[tuple[str, str, str, str, str]]) -> str:
    table = [HEADERS, *rows]
    widths = [max(display_width(row[i]) for row in table) for i in range(len(HEADERS))]
    lines = ["  ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
