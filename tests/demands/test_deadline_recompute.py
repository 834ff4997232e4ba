"""Open demands' deadlines follow the 2027 holiday schedule once it is confirmed (and go back
when it is withdrawn); closed cases and breaches are left as they were."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.audit.models import AuditEntry
from qinqing.common.deadline_recompute import recompute_now
from qinqing.common.services import (
    holiday_notice_confirm,
    holiday_notice_import,
    holiday_notice_withdraw,
)
from qinqing.common.workdays import SHANGHAI, WorkingCalendar, deadline_after
from qinqing.demands.deadlines import recompute_deadlines
from qinqing.demands.models import Demand
from qinqing.demands.services import demand_act, extension_decide, extension_request
from qinqing.inbox.models import Message
from tests.common.test_holiday_notice_import import NOTICE_2027
from tests.factories import UserFactory

from .conftest import Cases

pytestmark = pytest.mark.django_db

#: Thursday before the 2027 Spring Festival (6–14 February off in the fixture notice)
BEFORE_FESTIVAL = datetime.fromisoformat("2027-02-04T10:00:00+08:00")
MOVED = (
    "因2027年节假日安排调整，响应期限由2027年2月8日调整为2027年2月15日；"
    "办结期限由2027年2月11日调整为2027年2月18日"
)


def due(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.fixture
def second_admin(world: Any) -> Any:
    user = UserFactory(username="system_admin_2", display_name="第二系统管理员")
    role_grant(actor=None, user=user, role=Role.SYSTEM_ADMIN)
    return user


@pytest.fixture
def confirm_2027(world: Any, second_admin: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Import the 2027 notice and confirm it, running what is enqueued on commit; returns it."""

    def confirm() -> Any:
        notice = holiday_notice_import(actor=world.users["system_admin"], text=NOTICE_2027)
        with django_capture_on_commit_callbacks(execute=True):
            return holiday_notice_confirm(actor=second_admin, notice_id=notice.pk)

    return confirm


def recompute_2027() -> dict[str, int]:
    return recompute_deadlines(first=date(2027, 1, 1), last=date(2027, 12, 31), years=[2027])


def test_a_demand_open_across_the_spring_festival_moves_when_2027_is_confirmed(
    cases: Cases, confirm_2027: Any
) -> None:
    demand = cases.submit(submitted_at=BEFORE_FESTIVAL)
    # before the notice 2027 is counted Monday–Friday
    assert demand.resolve_due_at == due(2027, 2, 11)
    assert demand.response_due_at == due(2027, 2, 8)

    confirm_2027()

    demand.refresh_from_db()
    assert demand.accept_due_at == due(2027, 2, 5)  # before the festival: unchanged
    assert demand.response_due_at == due(2027, 2, 15)
    assert demand.resolve_due_at == due(2027, 2, 18)


def test_the_timeline_says_why_and_from_what_to_what(cases: Cases, confirm_2027: Any) -> None:
    demand = cases.submit(submitted_at=BEFORE_FESTIVAL)
    confirm_2027()
    event = demand.events.get(action="deadline_recompute")
    assert event.note == MOVED
    assert not event.internal
    entry = AuditEntry.objects.get(action="demand.deadline_recompute", object_id=str(demand.pk))
    assert entry.changes["resolve_due_at"] == [
        due(2027, 2, 11).isoformat(),
        due(2027, 2, 18).isoformat(),
    ]


def test_the_firm_and_the_department_are_told(cases: Cases, confirm_2027: Any) -> None:
    demand = cases.submit(submitted_at=BEFORE_FESTIVAL)
    confirm_2027()
    told = set(
        Message.objects.filter(body=MOVED, title__contains=demand.number).values_list(
            "user__username", flat=True
        )
    )
    assert {cases.firm_user.username, cases.handler.username} <= told


def test_a_closed_demand_is_not_touched(cases: Cases, confirm_2027: Any) -> None:
    demand = cases.submit(submitted_at=BEFORE_FESTIVAL)
    demand_act(actor=cases.firm_user, demand_id=demand.pk, action="withdraw", version=1)
    before = Demand.objects.get(pk=demand.pk)
    confirm_2027()
    after = Demand.objects.get(pk=demand.pk)
    assert (after.accept_due_at, after.response_due_at, after.resolve_due_at) == (
        before.accept_due_at,
        before.response_due_at,
        before.resolve_due_at,
    )
    assert not after.events.filter(action="deadline_recompute").exists()


def test_withdrawing_the_notice_computes_the_deadlines_back(
    cases: Cases, confirm_2027: Any, django_capture_on_commit_callbacks: Any
) -> None:
    demand = cases.submit(submitted_at=BEFORE_FESTIVAL)
    notice = confirm_2027()
    with django_capture_on_commit_callbacks(execute=True):
        holiday_notice_withdraw(actor=cases.world.users["system_admin"], notice_id=notice.pk)
    demand.refresh_from_db()
    assert demand.resolve_due_at == due(2027, 2, 11)
    assert demand.response_due_at == due(2027, 2, 8)
    notes = list(demand.events.filter(action="deadline_recompute").values_list("note", flat=True))
    assert notes[-1] == (
        "因2027年节假日安排调整，响应期限由2027年2月15日调整为2027年2月8日；"
        "办结期限由2027年2月18日调整为2027年2月11日"
    )


def test_a_second_run_changes_nothing(cases: Cases, confirm_2027: Any) -> None:
    demand = cases.submit(submitted_at=BEFORE_FESTIVAL)
    confirm_2027()
    events = demand.events.count()
    assert recompute_2027().get("moved", 0) == 0
    assert recompute_now(first=date(2027, 1, 1), last=date(2027, 12, 31), years=[2027])
    assert demand.events.count() == events


def test_an_approved_extension_is_kept_on_the_new_calendar(cases: Cases, confirm_2027: Any) -> None:
    demand = cases.submit(submitted_at=BEFORE_FESTIVAL)
    demand_act(actor=cases.handler, demand_id=demand.pk, action="accept", version=1)
    extension = extension_request(
        actor=cases.handler, demand_id=demand.pk, days=3, reason="需现场核查"
    )
    extension_decide(actor=cases.coordinator, extension_id=extension.pk, approve=True)
    demand.refresh_from_db()
    assert demand.resolve_due_at == due(2027, 2, 16)  # Mon–Fri: 11 Feb + 3
    confirm_2027()
    demand.refresh_from_db()
    # 5 + 3 working days after 4 Feb: 5, 15, 16, 17, 18, 19, Saturday 20 (make-up), 22 Feb
    assert demand.resolve_due_at == due(2027, 2, 22)
    assert demand.resolve_due_at == deadline_after(BEFORE_FESTIVAL, 5 + 3)


def test_a_breach_is_escalated_before_the_deadline_moves_and_stays(
    cases: Cases, confirm_2027: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A case already past its resolution deadline is escalated under the old rule; the new
    deadline lies ahead, and the escalation stays recorded and is said in the timeline."""
    submitted = datetime.now(SHANGHAI) - timedelta(days=30)
    demand = cases.submit(submitted_at=submitted)
    demand.refresh_from_db()
    passed = demand.resolve_due_at
    assert passed is not None and passed < datetime.now(SHANGHAI)
    assert demand.escalated_at is None  # the sweep has not run yet
    # an administrator makes the days of the case's period days off, up to next week
    first = submitted.date() + timedelta(days=1)
    from qinqing.common.services import calendar_range_set

    with django_capture_on_commit_callbacks(execute=True):
        calendar_range_set(
            actor=cases.world.users["system_admin"],
            first=first,
            last=first + timedelta(days=30),
            is_working_day=False,
            name="测试停工",
        )
    demand.refresh_from_db()
    assert demand.resolve_due_at is not None and demand.resolve_due_at > datetime.now(SHANGHAI)
    assert demand.escalated_at is not None and demand.supervised
    event = demand.events.get(action="deadline_recompute")
    assert "超期记录保留" in event.note


def test_the_recompute_reads_a_bounded_number_of_queries(
    cases: Cases, confirm_2027: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(20):
        cases.submit(submitted_at=BEFORE_FESTIVAL)
    confirm_2027()
    # nothing left to move: the reads do not grow with the number of cases
    with django_assert_max_num_queries(15):
        assert recompute_2027() == {"checked": 20}


def test_the_writes_grow_linearly_with_the_cases_moved(
    cases: Cases, world: Any, second_admin: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(20):
        cases.submit(submitted_at=BEFORE_FESTIVAL)
    notice = holiday_notice_import(actor=world.users["system_admin"], text=NOTICE_2027)
    holiday_notice_confirm(actor=second_admin, notice_id=notice.pk)  # no recompute yet
    with django_assert_max_num_queries(15 + 20 * 12):
        assert recompute_2027()["moved"] == 20


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    offset=st.integers(min_value=0, max_value=60),
    hour=st.integers(min_value=0, max_value=23),
)
def test_a_recomputed_deadline_is_the_fresh_computation_on_the_new_calendar(
    cases: Cases, world: Any, second_admin: Any, offset: int, hour: int
) -> None:
    Demand.objects.all().delete()
    submitted = datetime(2027, 1, 10, hour, tzinfo=SHANGHAI) + timedelta(days=offset)
    demand = cases.submit(submitted_at=submitted)
    if not _confirmed():
        notice = holiday_notice_import(actor=world.users["system_admin"], text=NOTICE_2027)
        holiday_notice_confirm(actor=second_admin, notice_id=notice.pk)
    recompute_2027()
    demand.refresh_from_db()
    calendar = WorkingCalendar()
    assert demand.accept_due_at == calendar.deadline_after(submitted, cases.tax.acceptance_days)
    assert demand.response_due_at == calendar.deadline_after(submitted, cases.tax.response_days)
    assert demand.resolve_due_at == calendar.deadline_after(submitted, cases.tax.resolution_days)


def _confirmed() -> bool:
    from qinqing.common.models import HolidayNotice

    return HolidayNotice.objects.filter(year=2027, status="confirmed").exists()


def test_the_command_recomputes_a_year_and_says_how_many_moved(
    cases: Cases, world: Any, second_admin: Any
) -> None:
    from io import StringIO

    from django.core.management import call_command

    demand = cases.submit(submitted_at=BEFORE_FESTIVAL)
    notice = holiday_notice_import(actor=world.users["system_admin"], text=NOTICE_2027)
    holiday_notice_confirm(actor=second_admin, notice_id=notice.pk)  # its job never ran
    out = StringIO()
    call_command("calendar", "recompute", "2027", stdout=out)
    assert "demands：检查 1 件，调整 1 件" in out.getvalue()
    demand.refresh_from_db()
    assert demand.resolve_due_at == due(2027, 2, 18)
