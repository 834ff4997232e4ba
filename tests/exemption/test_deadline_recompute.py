"""Open exemption applications' deadlines follow a confirmed holiday schedule; a flagged
breach stays flagged."""

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
from qinqing.exemption.models import Application
from qinqing.inbox.models import Message
from tests.common.test_holiday_notice_import import NOTICE_2027
from tests.factories import UserFactory

from .conftest import submit

pytestmark = pytest.mark.django_db

BEFORE_FESTIVAL = datetime.fromisoformat("2027-02-04T10:00:00+08:00")


def due(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.fixture
def confirm_2027(world: Any, django_capture_on_commit_callbacks: Any) -> Any:
    second = UserFactory(username="system_admin_2")
    role_grant(actor=None, user=second, role=Role.SYSTEM_ADMIN)

    def confirm() -> None:
        notice = holiday_notice_import(actor=world.users["system_admin"], text=NOTICE_2027)
        with django_capture_on_commit_callbacks(execute=True):
            holiday_notice_confirm(actor=second, notice_id=notice.pk)

    return confirm


def test_the_acceptance_deadline_moves_past_the_spring_festival(world, confirm_2027) -> None:
    application = submit(world, submitted_at=BEFORE_FESTIVAL)
    assert application.accept_due_at == due(2027, 2, 11)  # Monday–Friday before the notice
    confirm_2027()
    application.refresh_from_db()
    assert application.accept_due_at == due(2027, 2, 18)
    entry = AuditEntry.objects.get(
        action="exemption.deadline_recompute", object_id=str(application.pk)
    )
    message = "因2027年节假日安排调整，受理期限由2027年2月11日调整为2027年2月18日"
    assert entry.changes["message"] == message
    supervisor = world.users["supervisor"]
    assert Message.objects.filter(user=supervisor, body=message).exists()


def test_a_decided_application_without_an_open_appeal_is_left_alone(world, confirm_2027) -> None:
    application = submit(world, submitted_at=BEFORE_FESTIVAL)
    Application.objects.filter(pk=application.pk).update(state="withdrawn")
    confirm_2027()
    application.refresh_from_db()
    assert application.accept_due_at == due(2027, 2, 11)


def test_a_flagged_breach_stays_when_the_deadline_moves_ahead(
    world, django_capture_on_commit_callbacks
) -> None:
    submitted = datetime.now(SHANGHAI) - timedelta(days=20)
    application = submit(world, submitted_at=submitted)
    first = submitted.date() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_range_set(
            actor=world.users["system_admin"],
            first=first,
            last=first + timedelta(days=30),
            is_working_day=False,
            name="测试停工",
        )
    application.refresh_from_db()
    assert application.accept_due_at > datetime.now(SHANGHAI)
    assert application.overdue_stage == "accept" and application.overdue_flagged_at is not None
