"""The staff banner from 1 November while next year's holiday schedule is not confirmed: it
leads a system administrator to the calendar page, and is gone once another confirms."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.common import context_processors
from tests.common.test_holiday_notice_import import NOTICE_2027
from tests.conftest import World
from tests.factories import UserFactory

from .conftest import DESKTOP, PageFactory, login

pytestmark = pytest.mark.e2e

WARNING = "2027年节假日安排尚未确认：期限暂按周一至周五计算。"


@pytest.fixture
def first_of_november(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages are served on 1 November 2026 (the live server runs in this process)."""
    monkeypatch.setattr(context_processors, "_today", lambda: date(2026, 11, 1))


def test_the_banner_leads_to_the_calendar_and_is_gone_once_2027_is_confirmed(
    page: Page,
    new_page: PageFactory,
    live_server: LiveServer,
    world: World,
    password: str,
    first_of_november: None,
) -> None:
    second = UserFactory(username="system_admin_2", display_name="第二系统管理员")
    role_grant(actor=None, user=second, role=Role.SYSTEM_ADMIN)

    steward = new_page(DESKTOP)
    login(steward, live_server, "steward", password)
    steward.goto(f"{live_server.url}/")
    expect(steward.locator(".holiday-banner")).to_contain_text(WARNING)
    expect(steward.locator(".holiday-banner a")).to_have_count(0)  # only admins get the link

    login(page, live_server, "system_admin", password)
    page.goto(f"{live_server.url}/")
    banner = page.locator(".holiday-banner")
    expect(banner).to_contain_text(WARNING)
    link = banner.get_by_role("link", name="前往工作日历")
    expect(link).to_have_attribute("href", "/calendar/?year=2027")
    link.click()
    expect(page).to_have_url(f"{live_server.url}/calendar/?year=2027")
    page.get_by_label("通知原文").fill(NOTICE_2027)
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已导入2027年节假日安排通知")
    expect(page.locator(".holiday-banner")).to_contain_text(WARNING)  # imported is not enough

    other = new_page(DESKTOP)
    login(other, live_server, "system_admin_2", password)
    other.goto(f"{live_server.url}/calendar/?year=2027")
    other.get_by_role("button", name="核对无误，确认").click()
    expect(other.get_by_role("status")).to_contain_text("已确认2027年节假日安排")
    expect(other.locator(".holiday-banner")).to_have_count(0)

    page.goto(f"{live_server.url}/")
    expect(page.locator(".holiday-banner")).to_have_count(0)
    steward.reload()
    expect(steward.locator(".holiday-banner")).to_have_count(0)
