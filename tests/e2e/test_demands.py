"""A demand from submission to rating, in Chromium: 王丽 submits, 赵敏 answers, 王丽 rates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.demands.models import Attachment, Category, Demand, RoutingRule
from tests import uploads
from tests.conftest import World
from tests.factories import UserFactory

from .conftest import DESKTOP, PageFactory, login

pytestmark = pytest.mark.e2e


def tax_category() -> Category:
    """The seeded 税费 category (a live-server test may run after another one emptied the table)."""
    category, _created = Category.objects.get_or_create(
        code="tax",
        defaults={"name": "税费", "acceptance_days": 1, "response_days": 2, "resolution_days": 5},
    )
    return category


def test_a_firm_submits_a_handler_accepts_and_replies_and_the_firm_rates_it(
    new_page: PageFactory, live_server: LiveServer, world: World, password: str
) -> None:
    tax = tax_category()
    RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=handler, role=Role.HANDLER, department=world.department)

    # 王丽 raises the demand and is told who handles it and by when
    firm = new_page(DESKTOP)
    login(firm, live_server, "enterprise", password)
    firm.get_by_role("link", name="诉求", exact=True).click()
    firm.get_by_role("link", name="提交诉求").click()
    expect(firm.get_by_role("heading", name="提交诉求")).to_be_visible()
    expect(firm.get_by_text("管家测试")).to_be_visible()
    firm.get_by_label("诉求类别").select_option(label="税费")
    firm.get_by_label("标题").fill("用电增容审批卡在供电所两个月了")
    firm.get_by_label("详细描述").fill("去年十月提交用电增容申请，至今两个月没有进展。")
    firm.get_by_role("button", name="提交诉求").click()

    expect(firm.get_by_role("heading", name="诉求已提交")).to_be_visible()
    number = Demand.objects.get().number
    expect(firm.get_by_text(number)).to_be_visible()
    expect(firm.locator(".handled-by")).to_have_text(world.department.name)
    expect(firm.locator(".deadline")).to_have_text(re.compile(r"\d+年\d+月\d+日（星期.）23:59前"))

    # 赵敏 finds it in her inbox, accepts it with one click and replies
    desk = new_page(DESKTOP)
    login(desk, live_server, "zhaomin", password)
    desk.get_by_role("link", name="诉求", exact=True).click()
    expect(desk.get_by_role("heading", name="待办诉求")).to_be_visible()
    desk.get_by_role("link", name=number).click()
    desk.get_by_role("button", name="受理", exact=True).click()
    expect(desk.get_by_text("已受理。")).to_be_visible()
    desk.get_by_label("答复内容").fill("已协调供电所，增容方案下周一批复。")
    desk.get_by_role("button", name="提交答复").click()
    expect(desk.locator(".state")).to_have_text("已答复")

    # 王丽 comes back, reads the reply and rates it
    firm.context.clear_cookies()
    login(firm, live_server, "enterprise", password)
    firm.get_by_role("link", name="诉求", exact=True).click()
    expect(firm.get_by_role("heading", name="我的诉求")).to_be_visible()
    firm.get_by_role("link", name=number).click()
    expect(firm.locator(".reply-card")).to_contain_text("已协调供电所，增容方案下周一批复。")
    firm.get_by_label("满意", exact=True).check()
    firm.get_by_label("5分").check()
    firm.get_by_label("评价意见").fill("很及时，谢谢。")
    firm.get_by_role("button", name="提交评价").click()

    expect(firm.locator(".state")).to_have_text("已办结")
    rating = firm.locator(".rating")
    expect(rating).to_contain_text("满意")
    expect(rating).to_contain_text("5分")
    expect(rating).to_contain_text("很及时，谢谢。")


def test_on_a_phone_the_firms_case_page_fits_the_screen(
    phone_page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    page = phone_page
    RoutingRule.objects.create(
        region=world.town, category=tax_category(), department=world.department
    )
    login(page, live_server, "enterprise", password)
    page.goto(f"{live_server.url}/demands/new/")
    page.get_by_label("诉求类别").select_option(label="税费")
    page.get_by_label("标题").fill("发票申领系统无法登录")
    page.get_by_label("详细描述").fill("电子税务局发票申领页面一直报错。")
    page.get_by_role("button", name="提交诉求").click()
    page.get_by_role("link", name="查看诉求").click()

    expect(page.get_by_role("heading", name="发票申领系统无法登录")).to_be_visible()
    page.evaluate("document.fonts.ready")
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width + 1


def test_a_firm_attaches_a_photo_when_submitting_and_the_handler_downloads_it(
    new_page: PageFactory,
    live_server: LiveServer,
    world: World,
    password: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    RoutingRule.objects.create(
        region=world.town, category=tax_category(), department=world.department
    )
    handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=handler, role=Role.HANDLER, department=world.department)
    photo = uploads.jpeg((64, 48))

    # 王丽 adds a photo of the leaking roof to her demand
    firm = new_page(DESKTOP)
    login(firm, live_server, "enterprise", password)
    firm.goto(f"{live_server.url}/demands/new/")
    firm.get_by_label("诉求类别").select_option(label="税费")
    firm.get_by_label("标题").fill("厂房屋顶漏水影响生产")
    firm.get_by_label("详细描述").fill("厂房屋顶漏水，雨天无法生产，附现场照片。")
    firm.get_by_label("附件（可选）").set_input_files(
        files=[{"name": "屋顶漏水.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    firm.get_by_role("button", name="提交诉求").click()
    expect(firm.get_by_role("heading", name="诉求已提交")).to_be_visible()
    attachment = Attachment.objects.get()
    assert "屋顶漏水" not in attachment.file.name

    # 赵敏 opens the case and downloads the photo under its own name
    desk = new_page(DESKTOP)
    login(desk, live_server, "zhaomin", password)
    desk.goto(f"{live_server.url}/demands/{attachment.demand_id}/")
    expect(desk.locator(".timeline")).to_contain_text("上传附件：屋顶漏水.jpg")
    with desk.expect_download() as info:
        desk.get_by_role("link", name="屋顶漏水.jpg").click()
    download = info.value
    assert download.suggested_filename == "屋顶漏水.jpg"
    saved = tmp_path / "downloaded.jpg"
    download.save_as(saved)
    assert saved.read_bytes() == photo
