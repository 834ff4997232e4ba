"""Staff are warned on every page while next year's holiday schedule is not confirmed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import roles_of
from qinqing.accounts.services import role_grant
from qinqing.common import context_processors
from qinqing.common.context_processors import holiday_banner_for, unconfirmed_year
from qinqing.common.services import holiday_notice_confirm, holiday_notice_import
from tests.common.test_holiday_notice_import import NOTICE_2027
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WARNING = "2027年节假日安排尚未确认：期限暂按周一至周五计算。"
CALENDAR_LINK = 'href="/calendar/?year=2027"'


@pytest.fixture
def december_2026(monkeypatch: Any) -> None:
    monkeypatch.setattr(context_processors, "_today", lambda: date(2026, 12, 8))


@pytest.fixture
def confirmed_2027(world: Any, second_admin: Any) -> None:
    notice = holiday_notice_import(actor=world.users["system_admin"], text=NOTICE_2027)
    holiday_notice_confirm(actor=second_admin, notice_id=notice.pk)


@pytest.fixture
def second_admin(world: Any) -> Any:
    user = UserFactory(username="system_admin_2", display_name="第二系统管理员")
    role_grant(actor=None, user=user, role=Role.SYSTEM_ADMIN)
    return user


def page_for(client: Any, user: Any) -> str:
    client.force_login(user)
    return client.get("/").content.decode()


@pytest.mark.parametrize("role", ["steward", "handler", "coordinator", "audit_admin"])
def test_staff_see_the_warning_in_december_without_a_link(
    client, world, december_2026, role
) -> None:
    body = page_for(client, world.users[role])
    assert WARNING in body
    assert CALENDAR_LINK not in body


def test_system_admins_see_the_warning_with_a_link_to_the_calendar(
    client, world, december_2026
) -> None:
    body = page_for(client, world.users["system_admin"])
    assert WARNING in body and CALENDAR_LINK in body


@pytest.mark.parametrize("role", ["enterprise", "observer"])
def test_firm_users_never_see_the_warning(client, world, december_2026, role) -> None:
    assert WARNING not in page_for(client, world.users[role])


def test_nobody_sees_the_warning_once_the_2027_notice_is_confirmed(
    client, world, december_2026, confirmed_2027
) -> None:
    assert "节假日安排尚未确认" not in page_for(client, world.users["system_admin"])


def test_an_imported_but_unconfirmed_notice_still_leaves_the_warning(
    client, world, december_2026
) -> None:
    holiday_notice_import(actor=world.users["system_admin"], text=NOTICE_2027)
    assert WARNING in page_for(client, world.users["steward"])


def test_nobody_is_warned_before_the_first_of_november(world) -> None:
    steward = world.users["steward"]
    assert holiday_banner_for(steward, today=date(2026, 10, 31)) is None
    banner = holiday_banner_for(steward, today=date(2026, 11, 1))
    assert banner is not None and (banner.year, banner.admin) == (2027, False)


def test_the_warning_stays_through_the_year_until_its_schedule_is_confirmed(
    world, confirmed_2027
) -> None:
    assert unconfirmed_year(date(2027, 3, 1)) is None
    assert unconfirmed_year(date(2027, 11, 1)) == 2028


def test_a_year_chinese_calendar_knows_needs_no_notice(world) -> None:
    assert unconfirmed_year(date(2026, 6, 1)) is None


def test_anonymous_visitors_see_no_warning(client, world, december_2026) -> None:
    assert "节假日安排尚未确认" not in client.get("/accounts/login/").content.decode()


def test_the_schedule_is_read_once_per_page(
    rf, world, december_2026, django_assert_num_queries
) -> None:
    request = rf.get("/")
    request.user = world.users["steward"]
    roles_of(request.user)  # read by the roles context processor before
    banner = context_processors.holiday_banner(request)["holiday_banner"]
    with django_assert_num_queries(1):
        assert banner() is not None
        assert banner() is not None
