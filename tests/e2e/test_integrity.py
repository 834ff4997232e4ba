"""刘建国 files a lunch the firm paid for and is told at once it is prohibited, with the item;
a firm fills the clean-enterprise checklist and the chamber liaison recognises it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.directory.models import Chamber, ChamberMembership
from qinqing.integrity import services
from qinqing.integrity.models import CleanAssessment, CleanCriterion, Filing
from tests import uploads
from tests.conftest import World
from tests.integrity.conftest import load_sample

from .conftest import login

pytestmark = pytest.mark.e2e


@pytest.fixture
def sample_lists(world: World) -> None:
    load_sample()
    load_sample("clean_checklist.yaml")


def test_an_officials_filing_is_rejected_as_prohibited_with_the_item_cited(
    page: Page, live_server: LiveServer, world: World, password: str, sample_lists: None
) -> None:
    login(page, live_server, "official", password)
    page.goto(f"{live_server.url}/integrity/filings/new/")
    page.get_by_label("事后报告").check()
    page.get_by_label("交往类型").select_option(label="用餐")
    page.get_by_label("交往日期").fill(str(services.today() - timedelta(days=1)))
    page.get_by_label("地点", exact=True).fill("海曙区某酒店")
    page.get_by_label("场所类型").select_option(label="餐馆酒店")
    page.get_by_label("交往企业（统一社会信用代码或企业全称，每行一个）").fill(world.firm_a.name)
    page.get_by_label("事由").fill("企业负责人邀请午餐，交流扩产计划")
    page.get_by_label("费用支付方").select_option(label="企业支付")
    page.get_by_label("费用金额（元）").fill("480")
    page.get_by_label("用餐或出行人数").fill("4")
    page.get_by_role("button", name="提交报备").click()

    screening = page.locator("#screening")
    expect(screening).to_contain_text("禁止")
    expect(screening).to_contain_text("OFF-NEG-1")
    expect(screening).to_contain_text("杜绝接受企业及其负责人安排的宴请")
    filing = Filing.objects.get()
    assert filing.status == "prohibited" and str(filing.amount_per_person) == "120.00"


def test_a_firm_fills_the_checklist_and_the_chamber_recognises_it(
    page: Page, live_server: LiveServer, world: World, password: str, sample_lists: None
) -> None:
    ChamberMembership.objects.create(
        chamber=Chamber.objects.get(name="海曙区工商联"), enterprise=world.firm_a
    )
    evidence: dict[str, Any] = {
        "name": "制度.pdf",
        "mimeType": "application/pdf",
        "buffer": uploads.pdf(),
    }
    login(page, live_server, "enterprise", password)
    page.goto(f"{live_server.url}/integrity/clean/self/")
    for c in CleanCriterion.objects.filter(active=True).order_by("position"):
        section = page.locator(f"#c-{c.code}")
        section.get_by_label("已建立并有效运行").check()
        if c.evidence_required:
            section.locator("input[type=file]").set_input_files(evidence)
        section.get_by_role("button", name="保存此项").click()
        expect(page.get_by_text(f"已保存：{c.code}")).to_be_visible()
    expect(page.locator("#clean-score")).to_have_text("100.0")
    page.get_by_role("button", name="提交自评").click()
    expect(page.get_by_text("自评已提交")).to_be_visible()

    page.context.clear_cookies()
    login(page, live_server, "chamber", password)
    page.goto(f"{live_server.url}/integrity/clean/reviews/")
    page.get_by_role("link", name=world.firm_a.name).click()
    page.get_by_label("有效期至").fill(str(services.today() + timedelta(days=730)))
    page.get_by_role("button", name="认定为清廉企业").click()
    expect(page.locator("#review-status")).to_have_text("已认定")
    assert CleanAssessment.objects.get().status == "recognised"
    page.goto(f"{live_server.url}/integrity/clean/")
    expect(page.locator("table")).to_contain_text(world.firm_a.name)
