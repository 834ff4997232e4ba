"""陈刚 at a firm, on his phone: opens "my month", logs the visit, turns a problem into a demand."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.demands.models import Category, Demand
from qinqing.outreach.models import Visit
from tests.conftest import World

from .conftest import login

pytestmark = pytest.mark.e2e


def permit_category() -> Category:
    """The seeded 审批许可 category (an earlier live-server test may have emptied the table)."""
    category, _created = Category.objects.get_or_create(
        code="permit",
        defaults={
            "name": "审批许可",
            "acceptance_days": 1,
            "response_days": 2,
            "resolution_days": 10,
        },
    )
    return category


def test_on_a_phone_a_steward_logs_a_visit_and_turns_the_problem_into_a_demand(
    phone_page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    permit_category()
    page = phone_page
    login(page, live_server, "steward", password)

    page.goto(f"{live_server.url}/outreach/")
    page.get_by_role("link", name="我的本月走访").click()
    expect(page.get_by_role("heading", name="我的本月走访")).to_be_visible()
    plan = page.locator("#plan")
    expect(plan).to_contain_text(world.firm_a.name)
    expect(plan).not_to_contain_text(world.firm_b.name)

    page.get_by_role("link", name=f"记录走访：{world.firm_a.name}").click()
    expect(page.get_by_role("heading", name="记录走访")).to_be_visible()
    page.get_by_label("接待人").fill("王丽")
    page.get_by_label("交流内容").fill("了解二季度订单和用工情况")
    page.get_by_label("当面宣讲的政策").fill("2026年稳岗补贴政策")
    page.get_by_label("发现问题").fill("用电增容审批卡在供电所两个月了")
    page.get_by_label("转为诉求").check()
    page.get_by_label("诉求类别").select_option(label="审批许可")
    page.get_by_role("button", name="保存走访").click()

    expect(page.get_by_text("走访已记录。")).to_be_visible()
    visit = Visit.objects.get()
    demand = Demand.objects.get()
    assert visit.demand_id == demand.pk and demand.enterprise_id == world.firm_a.pk
    expect(page.get_by_text(re.compile(f"发现的问题已转为诉求 {demand.number}"))).to_be_visible()
    record = page.locator(".visit-record")
    expect(record).to_contain_text(world.firm_a.name)
    expect(record.locator(".visit-demand")).to_contain_text(demand.number)

    page.evaluate("document.fonts.ready")
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width + 1

    # back on "my month" the firm is visited
    page.get_by_role("link", name="返回我的本月").click()
    expect(page.locator(".plan-row.visited")).to_contain_text(world.firm_a.name)
