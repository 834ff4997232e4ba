"""The audit log, as the audit admin uses it and as others are kept out of it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.conftest import World

from .conftest import login

pytestmark = pytest.mark.e2e


def test_the_audit_admin_runs_the_chain_check_and_is_told_the_chain_is_intact(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    login(page, live_server, "audit_admin", password)
    page.goto(f"{live_server.url}/audit/")
    expect(page.get_by_role("heading", name="审计日志")).to_be_visible()

    page.get_by_role("button", name="校验审计链").click()

    expect(page.get_by_role("status")).to_contain_text("审计链完整")


def test_a_steward_opening_the_audit_log_is_forbidden(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    login(page, live_server, "steward", password)

    response = page.goto(f"{live_server.url}/audit/")

    assert response is not None and response.status == 403
    expect(page.locator("body")).to_contain_text("您没有权限查看此页面")
    expect(page.get_by_role("button", name="校验审计链")).to_have_count(0)


def test_after_the_chain_check_the_audit_admin_can_still_search_the_log(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    login(page, live_server, "audit_admin", password)
    page.goto(f"{live_server.url}/audit/")
    page.get_by_role("button", name="校验审计链").click()
    expect(page.get_by_role("status")).to_contain_text("审计链完整")

    with page.expect_response(lambda r: r.request.method == "GET" and "/audit/" in r.url) as sent:
        page.get_by_role("button", name="查询").click()

    assert sent.value.status == 200
    expect(page.get_by_role("heading", name="审计日志")).to_be_visible()


def test_the_audit_admin_reads_the_log_in_words_with_the_codes_beside_them(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    login(page, live_server, "audit_admin", password)
    page.goto(f"{live_server.url}/audit/")
    page.get_by_role("button", name="校验审计链").click()
    expect(page.get_by_role("status")).to_contain_text("审计链完整")

    row = page.locator("tbody tr").filter(has_text="audit.verify").first
    expect(row).to_contain_text("校验审计链")
    expect(row).to_contain_text("审计管理员")
