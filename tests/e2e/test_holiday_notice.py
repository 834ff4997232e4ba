"""The State Council's holiday notice on the calendar page: one admin imports, another confirms."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from tests.common.test_holiday_notice_import import NOTICE_2027
from tests.conftest import World
from tests.factories import UserFactory

from .conftest import DESKTOP, PageFactory, login

pytestmark = pytest.mark.e2e


def test_one_admin_imports_the_2027_notice_and_another_confirms_it(
    page: Page, new_page: PageFactory, live_server: LiveServer, world: World, password: str
) -> None:
    second = UserFactory(username="system_admin_2", display_name="第二系统管理员")
    role_grant(actor=None, user=second, role=Role.SYSTEM_ADMIN)

    login(page, live_server, "system_admin", password)
    page.goto(f"{live_server.url}/calendar/?year=2027")
    page.get_by_label("通知原文").fill(NOTICE_2027)
    page.get_by_role("button", name="导入", exact=True).click()

    notice = page.locator("section.notice")
    expect(page.get_by_role("status")).to_contain_text("已导入2027年节假日安排通知")
    expect(notice).to_have_attribute("data-status", "provisional")
    expect(notice.locator('tr[data-date="2027-10-04"]')).to_contain_text("国庆节")
    expect(notice.locator('tr[data-date="2027-02-20"]')).to_contain_text("调休上班")
    expect(notice).to_contain_text("须由另一位系统管理员确认")
    expect(notice.get_by_role("button", name="核对无误，确认")).to_have_count(0)

    other = new_page(DESKTOP)
    login(other, live_server, "system_admin_2", password)
    other.goto(f"{live_server.url}/calendar/?year=2027")
    other.get_by_role("button", name="核对无误，确认").click()

    expect(other.get_by_role("status")).to_contain_text("已确认2027年节假日安排")
    expect(other.locator("section.notice")).to_have_attribute("data-status", "confirmed")
    expect(other.locator('#calendar-settings tr[data-date="2027-10-04"]')).to_contain_text("国庆节")
