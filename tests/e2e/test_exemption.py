"""刘建国 applies for exemption; 孙悦 accepts and assesses; a second supervisor signs off; the
anonymised case appears in the library."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.exemption.models import Application
from tests.conftest import World
from tests.factories import UserFactory

from .conftest import DESKTOP, PageFactory, login

pytestmark = pytest.mark.e2e


def test_an_official_applies_a_supervisor_decides_and_the_anonymised_case_is_published(
    new_page: PageFactory, live_server: LiveServer, world: World, password: str
) -> None:
    second = UserFactory(username="qianhong", display_name="钱红")
    role_grant(actor=None, user=second, role=Role.SUPERVISOR, region=world.district)
    official = world.users["official"]
    official.display_name = "刘建国"
    official.save()

    page: Page = new_page(DESKTOP)
    login(page, live_server, "official", password)
    page.goto(f"{live_server.url}/exemption/new/")
    page.get_by_label("事项").fill("提前核发施工许可")
    page.get_by_label("做了什么、为什么这样做").fill(
        "刘建国为保宁波丙塑料有限公司项目按期开工，在消防意见出具前先行核发施工许可。"
    )
    page.get_by_label("当时适用的规定").fill("《建筑工程施工许可管理办法》第八条")
    page.get_by_label("后果与损失").fill("延误两个月，未造成事故。")
    page.get_by_label("受益企业的统一社会信用代码（如有）").fill(world.firm_other.uscc)
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("申请已提交")).to_be_visible()
    application = Application.objects.get()

    sup = new_page(DESKTOP)
    login(sup, live_server, "supervisor", password)
    sup.goto(f"{live_server.url}/exemption/")
    sup.locator("#queue").get_by_role("link", name=application.number).click()
    sup.get_by_role("button", name="受理并指定审查人").click()
    expect(sup.get_by_text("已受理。")).to_be_visible()
    expect(sup.locator("#checks")).to_contain_text("此前查实的举报")
    expect(sup.locator("#checks")).not_to_contain_text("该项核查暂不可用")
    form = sup.locator("#assess-form")
    for text in (
        "因缺乏经验、先行先试出现的失误",
        "上级尚无明确限制的探索性试验中的失误",
        "为推动发展的无意过失",
    ):
        form.get_by_label(text).check()
    for i, box in enumerate(form.get_by_label("查明的事实").all()):
        box.fill(f"查明的事实第{i + 1}项，有会议纪要为证。")
    for group in (
        "决策履行了规定程序",
        "经集体研究决定",
        "未谋取私利",
        "损失已挽回或控制",
        "及时纠正",
    ):
        form.get_by_role("group", name=group).get_by_label("是").check()
    form.get_by_label("认定结果").select_option(label="免责")
    form.get_by_label("理由").fill("三个区分均属可容错情形，且及时纠正。")
    form.get_by_role("button", name="提交审查意见").click()
    expect(sup.get_by_text("审查意见已提交，等待复核。")).to_be_visible()
    expect(sup.get_by_role("button", name="复核同意并决定")).to_have_count(0)

    rev = new_page(DESKTOP)
    login(rev, live_server, "qianhong", password)
    rev.goto(f"{live_server.url}/exemption/{application.pk}/")
    rev.get_by_role("button", name="复核同意并决定").click()
    expect(rev.locator("#outcome")).to_have_text("免责")
    rev.get_by_role("button", name="生成匿名案例").click()
    expect(rev.get_by_role("heading", name="审核匿名案例")).to_be_visible()
    text = rev.get_by_label("案例正文（匿名化后）").input_value()
    assert "刘建国" not in text and world.firm_other.name not in text
    rev.get_by_role("button", name="发布到案例库").click()
    expect(rev.get_by_text("案例已发布到案例库。")).to_be_visible()

    page.goto(f"{live_server.url}/exemption/cases/?q=施工许可")
    cases = page.locator("#cases")
    expect(cases).to_contain_text("提前核发施工许可")
    expect(cases).to_contain_text("免责")
    page.locator("#cases a").first.click()
    body = page.locator("#case-text")
    expect(body).to_contain_text("〔人员")
    expect(body).not_to_contain_text("刘建国")
    expect(body).not_to_contain_text(world.firm_other.name)
    expect(body).not_to_contain_text(world.firm_other.uscc)
