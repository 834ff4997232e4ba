"""The public reads the published health index; 孙悦 computes, previews and publishes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.index import compute, services, sources
from qinqing.index.method import load
from tests.conftest import World
from tests.index.conftest import ALL_FAKE

from .conftest import login

pytestmark = pytest.mark.e2e


@pytest.fixture
def facts() -> Iterator[None]:
    with sources.override(**ALL_FAKE):
        yield


def test_the_public_ranking_page_and_a_region_page_render_with_charts(
    page: Page, live_server: LiveServer, world: World, facts: None
) -> None:
    snap = compute.compute(period="2026H1", level="town", method=load(), draws=100)
    services.publish_snapshot(actor=world.users["supervisor"], snapshot=snap)
    page.goto(f"{live_server.url}/index/")
    page.goto(f"{live_server.url}/index/2026H1/town/")
    expect(page.locator("h1")).to_contain_text("亲清健康指数")
    expect(page.locator("#ix-ranking tbody tr")).to_have_count(2)
    for chart in ("ranking", "scatter", "trend", "heatmap", "be"):
        expect(page.locator(f"#ix-chart-{chart} svg")).to_be_visible()
    expect(page.get_by_text("数据源未建成", exact=False).first).to_be_visible()
    expect(page.locator("#ix-chart-be svg")).to_have_attribute(
        "aria-label", "营商环境各维度得分与 95% 置信区间"
    )
    page.get_by_role("link", name="古林镇").click()
    expect(page.locator("h1")).to_have_text("古林镇")
    expect(page.locator("#ix-chart-goalposts svg")).to_be_visible()
    expect(page.locator("#ix-indicators")).to_contain_text("走访覆盖率")
    expect(page.locator("#ix-indicators")).to_contain_text("数据源未建成")


def test_a_supervisor_computes_previews_and_publishes_a_period(
    page: Page, live_server: LiveServer, world: World, password: str, facts: None
) -> None:
    login(page, live_server, "supervisor", password)
    page.goto(f"{live_server.url}/index/staff/")
    page.fill("#ix-period", "2026H1")
    page.select_option("#ix-level", "town")
    page.fill("#ix-draws", "50")
    page.click("#ix-compute button[type=submit]")
    expect(page.locator("#ix-run-status")).to_contain_text("已完成")
    expect(page.locator("#ix-preview")).to_contain_text("古林镇")
    page.click("#ix-publish button[type=submit]")
    expect(page.locator("#ix-ranking")).to_contain_text("高桥镇")
    expect(page.locator("#ix-chart-ranking svg")).to_be_visible()


def test_a_region_page_shows_what_moved_since_the_period_before(
    page: Page, live_server: LiveServer, world: World, facts: None
) -> None:
    supervisor = world.users["supervisor"]
    for period in ("2025H2", "2026H1"):
        snap = compute.compute(period=period, level="town", method=load(), draws=50)
        services.publish_snapshot(actor=supervisor, snapshot=snap)
    page.goto(f"{live_server.url}/index/2026H1/town/")
    page.get_by_role("link", name="古林镇").click()
    table = page.locator("#ix-indicators")
    expect(table.locator("thead")).to_contain_text("较上期")
    # the same facts in both periods: every scored indicator is unchanged
    expect(table.locator("tbody")).to_contain_text("0.0")
    expect(table.locator(".ix-up, .ix-down")).to_have_count(0)
