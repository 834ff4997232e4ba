"""A firm comments on a clause of a policy draft, and later sees the answer with the final text."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.consultation.drafts.models import Comment, PolicyDraft
from qinqing.consultation.drafts.selectors import today
from qinqing.consultation.drafts.services import draft_create, draft_open, earliest_close
from tests.conftest import World
from tests.consultation.drafts.conftest import TEXT, shift_past_close

from .conftest import PageFactory, login

pytestmark = pytest.mark.e2e


def test_a_firm_comments_on_a_clause_and_later_sees_the_answer_on_the_final_text(
    phone_page: Page, new_page: PageFactory, live_server: LiveServer, world: World, password: str
) -> None:
    office = world.users["coordinator"]
    draft = draft_create(
        actor=office,
        title="古林镇促进模具产业高质量发展若干措施",
        text=TEXT,
        opens_on=today(),
        closes_on=earliest_close(today()),
        office_name="古林镇经济发展办公室",
    )
    draft_open(actor=office, draft_id=draft.pk)

    page = phone_page
    login(page, live_server, "enterprise", password)
    page.goto(f"{live_server.url}/drafts/")
    page.get_by_role("link", name=draft.title).click()
    page.get_by_label("针对条款").select_option(label="第一条")
    page.get_by_label("意见").fill("建议把设备投资门槛降到300万元")
    page.get_by_role("button", name="提交意见").click()
    expect(page.get_by_text("意见已提交")).to_be_visible()
    comment = Comment.objects.get()
    assert comment.clause is not None and comment.clause.heading == "第一条"

    # the office answers on its page
    desk = new_page({"width": 1280, "height": 800})
    login(desk, live_server, "coordinator", password)
    desk.goto(f"{live_server.url}/drafts/{draft.pk}/")
    desk.get_by_label("答复").select_option("partly")
    desk.get_by_label("理由").fill("门槛调整为400万元")
    desk.get_by_role("button", name="保存答复").click()
    expect(desk.get_by_text("已答复。")).to_be_visible()
    shift_past_close(PolicyDraft.objects.get(pk=draft.pk))
    desk.get_by_role("button", name="截止征求意见").click()
    expect(desk.get_by_text("征求意见已截止。")).to_be_visible()
    desk.get_by_label("定稿全文").fill(TEXT.replace("500万元", "400万元"))
    desk.get_by_role("button", name="公布定稿").click()
    expect(desk.get_by_text("定稿已公布。")).to_be_visible()

    # the firm sees the answer on the final text, its name masked
    page.goto(f"{live_server.url}/drafts/{draft.pk}/")
    page.get_by_role("link", name="查看定稿和意见答复").click()
    final = page.locator("#final-2")
    expect(final).to_contain_text("400万元")
    expect(final).to_contain_text("某模具企业")
    expect(final).to_contain_text("部分采纳")
    expect(final).to_contain_text("门槛调整为400万元")
    expect(page.locator("#final-text")).not_to_contain_text(world.firm_a.name)
