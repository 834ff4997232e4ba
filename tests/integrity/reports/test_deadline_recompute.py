"""Open reports' triage and conclusion deadlines follow a confirmed holiday schedule; a report
already overdue stays overdue."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.audit.models import AuditEntry
from qinqing.common.services import (
    calendar_range_set,
    holiday_notice_confirm,
    holiday_notice_import,
)
from qinqing.common.workdays import SHANGHAI
from qinqing.inbox.models import Message
from qinqing.integrity.reports import services
from qinqing.integrity.reports.models import Report
from tests.common.test_holiday_notice_import import NOTICE_2027
from tests.factories import UserFactory

from .conftest import Desk

pytestmark = pytest.mark.django_db

BEFORE_FESTIVAL = datetime.fromisoformat("2027-02-04T10:00:00+08:00")


def due(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=SHANGHAI)


def submit(world: Any, when: datetime) -> Report:
    report, _receipt = services.report_submit(
        region=world.town,
        category="bribery",
        title="验收索要好处费",
        body="王科长在验收时索要两万元好处费",
        now=when,
    )
    return report


@pytest.fixture
def confirm_2027(world: Any, django_capture_on_commit_callbacks: Any) -> Any:
    second = UserFactory(username="system_admin_2")
    role_grant(actor=None, user=second, role=Role.SYSTEM_ADMIN)

    def confirm() -> None:
        notice = holiday_notice_import(actor=world.users["system_admin"], text=NOTICE_2027)
        with django_capture_on_commit_callbacks(execute=True):
            holiday_notice_confirm(actor=second, notice_id=notice.pk)

    return confirm


def test_a_report_received_before_the_spring_festival_gets_the_new_deadlines(
    world: Any, desk: Desk, confirm_2027: Any
) -> None:
    report = submit(world, BEFORE_FESTIVAL)
    assert report.triage_due_at == due(2027, 2, 11)  # Monday–Friday before the notice
    confirm_2027()
    report.refresh_from_db()
    assert report.triage_due_at == due(2027, 2, 18)
    assert report.events.filter(action="deadline_recompute").count() == 1
    entry = AuditEntry.objects.get(action="report.deadline_recompute", object_id=str(report.pk))
    assert entry.changes["message"].startswith(
        "因2027年节假日安排调整，初核期限由2027年2月11日调整为2027年2月18日；办结期限由"
    )


def test_the_region_supervisors_are_told_by_number_and_dates_only(
    world: Any, desk: Desk, confirm_2027: Any
) -> None:
    report = submit(world, BEFORE_FESTIVAL)
    confirm_2027()
    message = Message.objects.get(user=desk.lead, title__startswith=report.number)
    assert "初核期限由2027年2月11日调整为2027年2月18日" in message.body
    assert "好处费" not in message.title + message.body


def test_a_concluded_report_keeps_its_deadlines(world: Any, desk: Desk, confirm_2027: Any) -> None:
    report = submit(world, BEFORE_FESTIVAL)
    Report.objects.filter(pk=report.pk).update(
        state="concluded", outcome="unsubstantiated", concluded_at=BEFORE_FESTIVAL
    )
    confirm_2027()
    report.refresh_from_db()
    assert report.triage_due_at == due(2027, 2, 11)
    assert not report.events.filter(action="deadline_recompute").exists()


def test_an_overdue_report_stays_overdue_when_its_deadline_moves_ahead(
    world: Any, desk: Desk, django_capture_on_commit_callbacks: Any
) -> None:
    received = datetime.now(SHANGHAI) - timedelta(days=20)
    report = submit(world, received)
    assert report.triage_due_at < datetime.now(SHANGHAI)
    first = received.date() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_range_set(
            actor=world.users["system_admin"],
            first=first,
            last=first + timedelta(days=30),
            is_working_day=False,
            name="测试停工",
        )
    report.refresh_from_db()
    assert report.triage_due_at > datetime.now(SHANGHAI)
    assert report.overdue  # flagged under the old rule, and kept
    assert AuditEntry.objects.filter(action="report.overdue", object_id=str(report.pk)).exists()
    entry = AuditEntry.objects.get(action="report.deadline_recompute", object_id=str(report.pk))
    assert "逾期记录保留" in entry.changes["message"]
