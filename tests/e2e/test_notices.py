"""周华 publishes a notice to 古林镇; 陈刚 sees which of his firms have not read it and marks
one explained in person; the firm's owner reads it on her phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.notices.models import Notice, Receipt
from tests.conftest import World

from .conftest import PHONE, PageFactory, login

pytestmark = pytest.mark.e2e


def test_a_coordinator_publishes_a_notice_and_a_steward_sees_who_has_not_read_it(
    page: Page, new_page: PageFactory, live_server: LiveServer, world: World, password: str
) -> None:
    login(page, live_server, "coordinator", password)
    page.goto(f"{live_server.url}/notices/")
    page.get_by_role("link", name="新建通知").click()
    page.get_by_label("类别").select_option("policy")
    page.get_by_label("标题").fill("海曙区2026年稳岗补贴政策")
    page.get_by_label("正文").fill("符合条件的企业可申请稳岗补贴，每人500元。")
    page.get_by_label("发文机关（政策）").fill("海曙区人力社保局")
    page.get_by_label("文号（政策）").fill("海人社〔2026〕12号")
    page.get_by_label("施行日期（政策）").fill("2099-01-01")
    page.get_by_label("区域").select_option(world.town.code)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("通知草稿已保存")).to_be_visible()
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_text("通知已发布")).to_be_visible()
    notice = Notice.objects.get()
    assert Receipt.objects.filter(notice=notice).count() == 2
    expect(page.locator("#receipt-summary")).to_contain_text("古林镇")

    # the firm's owner reads it on her phone
    phone = new_page(PHONE)
    login(phone, live_server, "enterprise", password)
    phone.goto(f"{live_server.url}/notices/")
    expect(phone.locator("#feed")).to_contain_text("未读")
    phone.get_by_role("link", name="海曙区2026年稳岗补贴政策").click()
    expect(phone.get_by_role("heading", name="海曙区2026年稳岗补贴政策")).to_be_visible()
    scroll_width, inner_width = phone.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width + 1

    # a second firm in 古林 (grid b) is not the steward's; give the steward one more unread firm
    steward = new_page(PHONE)
    login(steward, live_server, "steward", password)
    steward.goto(f"{live_server.url}/notices/{notice.pk}/receipts/?status=unread")
    rows = steward.locator("#receipt-rows")
    # firm_a has read it; firm_b is not the steward's: nothing unread left for him
    expect(rows).to_contain_text("没有符合条件的企业")
    Receipt.objects.filter(notice=notice, enterprise=world.firm_a).update(
        first_read_at=None, first_reader=None
    )
    steward.reload()
    expect(rows).to_contain_text(world.firm_a.name)
    expect(rows).not_to_contain_text(world.firm_b.name)
    steward.get_by_label(f"解读说明：{world.firm_a.name}").fill("走访时当面讲解")
    steward.get_by_role("button", name="登记当面解读").click()
    expect(steward.get_by_text("已登记当面解读。")).to_be_visible()
    receipt = Receipt.objects.get(notice=notice, enterprise=world.firm_a)
    assert receipt.explained_at is not None and receipt.explained_note == "走访时当面讲解"

    page.reload()
    expect(page.locator("#receipt-summary tfoot")).to_contain_text("1")


def test_the_notice_form_fits_a_phone_even_with_long_region_names(
    new_page: PageFactory, live_server: LiveServer, world: World, password: str
) -> None:
    from qinqing.directory.models import RegionLevel
    from tests.factories import RegionFactory

    RegionFactory(
        code="330203101009",
        name="古林镇工业园区第二党群服务中心联系片区社区",
        level=RegionLevel.COMMUNITY,
        parent=world.town,
    )
    phone = new_page(PHONE)
    login(phone, live_server, "supervisor", password)
    phone.goto(f"{live_server.url}/notices/new/")
    expect(phone.get_by_label("区域")).to_be_visible()
    scroll_width, inner_width = phone.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width + 1
