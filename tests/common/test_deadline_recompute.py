"""The calendar services schedule the domains' recompute after commit, once per change, only
when a day's working status changes; common itself knows no domain."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.common import deadline_recompute
from qinqing.common.services import (
    calendar_day_delete,
    calendar_day_set,
    calendar_range_set,
    holiday_notice_confirm,
    holiday_notice_import,
)
from tests.common.test_holiday_notice_import import NOTICE_2027
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COMMON = Path(deadline_recompute.__file__).parent
DOMAINS = ("demands", "outreach", "consultation", "notices", "integrity", "exemption", "index")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The recompute of every registered domain, recorded instead of run."""
    seen: list[dict[str, Any]] = []

    def fake(name: str) -> Any:
        return lambda **kwargs: seen.append({"domain": name, **kwargs}) or {}

    monkeypatch.setattr(deadline_recompute, "recompute_function", fake)
    return seen


def test_every_domain_with_deadlines_is_registered() -> None:
    assert set(deadline_recompute.registered()) == {"demands", "reports", "exemption", "outreach"}


def test_confirming_2027_recomputes_each_domain_once_after_commit(
    world: Any, calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    second = UserFactory(username="system_admin_2")
    role_grant(actor=None, user=second, role=Role.SYSTEM_ADMIN)
    notice = holiday_notice_import(actor=world.users["system_admin"], text=NOTICE_2027)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        holiday_notice_confirm(actor=second, notice_id=notice.pk)
    assert calls == []  # nothing inside the confirmation's transaction
    for callback in callbacks:
        callback()
    assert sorted(c["domain"] for c in calls) == ["demands", "exemption", "outreach", "reports"]
    assert {(c["first"], c["last"], tuple(c["years"]), c["actor_id"]) for c in calls} == {
        (date(2027, 1, 1), date(2027, 10, 9), (2027,), second.pk)
    }


def test_a_new_name_on_a_day_already_off_recomputes_nothing(
    world: Any, calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    admin = world.users["system_admin"]
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(actor=admin, day=date(2027, 2, 6), is_working_day=False, name="春节")
    assert calls == []  # a Saturday off is off already


def test_a_day_set_a_range_and_a_deletion_each_recompute(
    world: Any, calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    admin = world.users["system_admin"]
    with django_capture_on_commit_callbacks(execute=True):
        calendar_range_set(
            actor=admin,
            first=date(2027, 2, 8),
            last=date(2027, 2, 12),
            is_working_day=False,
            name="春节",
        )
    assert {(c["first"], c["last"]) for c in calls} == {(date(2027, 2, 8), date(2027, 2, 12))}
    assert len(calls) == 4  # one per domain, not one per day
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_delete(actor=admin, day=date(2027, 2, 8))
    assert {(c["first"], c["last"]) for c in calls} == {(date(2027, 2, 8), date(2027, 2, 8))}


#: the calendar's modules (metrics.py reads the demands' statistics: an older exception)
CALENDAR_MODULES = (
    "deadline_recompute.py",
    "tasks.py",
    "services.py",
    "selectors.py",
    "workdays.py",
    "holiday_notice.py",
    "context_processors.py",
    "calendar_views.py",
    "api.py",
    "management/commands/calendar.py",
)


def test_the_calendar_imports_no_domain_app() -> None:
    for path in (COMMON / name for name in CALENDAR_MODULES):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                assert not (parts[0] == "qinqing" and len(parts) > 1 and parts[1] in DOMAINS), (
                    f"{path.relative_to(COMMON)} imports {module}"
                )
