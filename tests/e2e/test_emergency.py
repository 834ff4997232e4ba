"""王丽 reports her firm's status from her phone; 周华 watches the overview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.notices.emergency.models import StatusReport
from qinqing.notices.emergency.services import emergency_declare, report_submit, today
from tests.conftest import World

from .conftest import login

pytestmark = pytest.mark.e2e


def declare(world: World) -> int:
    return emergency_declare(
        actor=world.users["coordinator"],
        title="台风“烟花”企业状态报送",
        kind="typhoon",
        cadence="daily",
        starts_on=today() - timedelta(days=1),
        supply_items=["沙袋"],
        regions=[world.town.code],
    ).pk


def test_on_a_phone_a_firm_reports_its_status_in_an_emergency(
    phone_page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    emergency_id = declare(world)
    page = phone_page
    login(page, live_server, "enterprise", password)
    page.goto(f"{live_server.url}/emergency/")
    page.get_by_role("link", name=f"报送状态：{world.firm_a.name}").click()
    expect(page.get_by_role("heading", name="报送企业状态")).to_be_visible()
    page.get_by_label("部分生产").check()
    page.get_by_label("在岗人数").fill("28")
    page.get_by_label("未返岗人数").fill("12")
    page.get_by_label("沙袋 可用天数").fill("3")
    page.get_by_label("紧急需求（没有可不填）").fill("一楼仓库进水，需要抽水泵")
    page.get_by_label("需求物资").fill("抽水泵")
    page.get_by_label("需求数量").fill("2")
    page.get_by_role("button", name="提交报送").click()
    expect(page.get_by_text("已报送，谢谢！")).to_be_visible()
    report = StatusReport.objects.get()
    assert (report.emergency_id, report.enterprise_id) == (emergency_id, world.firm_a.pk)
    assert (report.status, report.staff_on_site, report.need_quantity) == ("partly", 28, 2)
    # prefilled again for an edit within the period
    expect(page.get_by_label("在岗人数")).to_have_value("28")
    page.evaluate("document.fonts.ready")
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width + 1


def test_a_coordinator_sees_the_overview_and_drills_down(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    emergency_id = declare(world)
    from qinqing.notices.emergency.models import Emergency

    emergency = Emergency.objects.get(pk=emergency_id)
    report_submit(
        actor=world.users["enterprise"],
        emergency=emergency,
        enterprise=world.firm_a,
        status="running",
        staff_on_site=40,
        staff_absent=0,
    )
    login(page, live_server, "coordinator", password)
    page.goto(f"{live_server.url}/emergency/")
    page.get_by_role("link", name="台风“烟花”企业状态报送").click()
    overview = page.locator("#overview")
    expect(overview).to_contain_text("1/2")
    expect(page.locator("#operating-share")).to_have_text("100%")
    expect(page.locator("svg.chart")).to_be_visible()
    page.locator("#drill").get_by_role("link", name="古林工业社区").click()
    expect(page.locator("#drill")).to_contain_text("古林第一网格")
    expect(page.locator("#drill")).to_contain_text("古林第二网格")
