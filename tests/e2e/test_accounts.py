"""Logging in, the language switch and granting roles, as people do it in a browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.conftest import World

from .conftest import login

pytestmark = pytest.mark.e2e


def test_five_wrong_passwords_lock_the_account_even_against_the_right_password(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    alert = page.get_by_role("alert")
    for attempt in range(1, 6):
        login(page, live_server, "steward", f"Wrong#{attempt}password")
        expect(page.get_by_role("heading", name="登录亲清平台")).to_be_visible()
    expect(alert).to_contain_text("锁定")

    login(page, live_server, "steward", password)

    expect(page.get_by_role("heading", name="登录亲清平台")).to_be_visible()
    expect(alert).to_contain_text("锁定")
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_the_english_button_on_the_login_page_switches_the_page_to_english(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("button", name="中文")).to_be_visible()


def test_the_security_admin_sees_a_bad_region_code_rejected_then_grants_a_steward_role(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    login(page, live_server, "security_admin", password)
    page.goto(f"{live_server.url}/accounts/users/")
    page.get_by_role("link", name="handler", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(world.users["handler"]))

    page.get_by_label("角色").select_option(label="管家")
    page.get_by_label("区域编码").fill("999999NOPE")
    page.get_by_role("button", name="授予").click()

    expect(page.get_by_text("找不到该区域编码。")).to_be_visible()
    expect(page.get_by_label("角色")).to_have_value("steward")
    expect(page.get_by_label("区域编码")).to_have_value("999999NOPE")

    page.get_by_label("区域编码").fill(world.grid_b.code)
    page.get_by_role("button", name="授予").click()

    expect(page.get_by_role("status")).to_contain_text("已授予角色。")
    expect(
        page.get_by_role("listitem").filter(has_text=f"管家 · {world.grid_b.name}")
    ).to_be_visible()
