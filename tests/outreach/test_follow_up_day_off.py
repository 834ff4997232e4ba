"""A meeting follow-up keeps the date its organiser chose; when a holiday schedule turns that
date into a day off, its department is told once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.common.services import calendar_day_set
from qinqing.inbox.models import Message
from qinqing.outreach import meetings as svc
from qinqing.outreach.deadlines import recompute_deadlines

from .test_meetings import Desk, desk, in_past  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 2, 10)  # a Wednesday: a working day until the 2027 schedule says otherwise


def test_a_follow_up_due_on_a_new_holiday_keeps_its_date_and_its_department_is_told(
    desk: Desk,  # noqa: F811  (the fixture imported above)
    django_capture_on_commit_callbacks: Any,
) -> None:
    item = svc.follow_up_create(
        actor=desk.coordinator,
        meeting_id=in_past(desk).pk,
        title="协调供电所加快用电增容审批",
        due_on=DUE,
        department=desk.world.department,
    )
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(
            actor=desk.world.users["system_admin"], day=DUE, is_working_day=False, name="春节"
        )
    item.refresh_from_db()
    assert item.due_on == DUE
    note = (
        "因2027年节假日安排调整，会议事项「协调供电所加快用电增容审批」的完成期限"
        "2027年2月10日为休息日，期限不变，请提前安排。"
    )
    assert Message.objects.filter(user=desk.handler, body=note).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = recompute_deadlines(first=DUE, last=DUE, years=[2027])
    assert again == {"checked": 1}  # told once
    assert AuditEntry.objects.filter(action="outreach.follow_up_day_off").count() == 1
