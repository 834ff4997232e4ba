"""A roundtable in Chromium: 周华 calls it and invites 王丽's firm, 王丽 registers, the meeting
takes place, 周华 checks her in, records the minutes and a follow-up item for a bureau."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from qinqing.common.workdays import SHANGHAI
from qinqing.outreach.models import FollowUp, Invitation, Meeting
from tests.conftest import World

from .conftest import DESKTOP, PageFactory, login

pytestmark = pytest.mark.e2e


def test_a_coordinator_holds_a_roundtable_the_firm_registers_and_minutes_are_kept(
    new_page: PageFactory, live_server: LiveServer, world: World, password: str
) -> None:
    start = (
        (timezone.now() + dt.timedelta(days=3))
        .astimezone(SHANGHAI)
        .replace(hour=9, minute=30, second=0, microsecond=0)
    )

    # 周华 calls the roundtable from the outreach page
    desk = new_page(DESKTOP)
    login(desk, live_server, "coordinator", password)
    desk.get_by_role("link", name="走访联系", exact=True).click()
    desk.locator(".index-meetings").get_by_role("link", name="会议", exact=True).click()
    expect(desk.get_by_role("heading", name="会议", exact=True)).to_be_visible()
    desk.get_by_role("link", name="新建会议").first.click()
    desk.get_by_label("会议类型").select_option(label="座谈会")
    desk.get_by_label("会议名称").fill("古林镇二季度企业座谈会")
    desk.get_by_label("区域").select_option(label=world.town.name)
    desk.get_by_label("开始时间").fill(start.strftime("%Y-%m-%dT%H:%M"))
    desk.get_by_label("结束时间").fill((start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    desk.get_by_label("地点").fill("古林镇亲清家园二楼会议室")
    desk.get_by_label("议程").fill("一、企业用工\n二、用电增容")
    desk.get_by_label("名额（不限请留空）").fill("30")
    desk.get_by_role("button", name="创建会议").click()

    expect(desk.get_by_text("会议已创建，请邀请参会企业和人员。")).to_be_visible()
    expect(desk.get_by_role("heading", name="古林镇二季度企业座谈会")).to_be_visible()
    expect(desk.locator(".meeting-when")).to_contain_text("09:30–11:30")
    meeting = Meeting.objects.get()

    # … and invites 宁波甲模具
    desk.get_by_label(world.firm_a.name).check()
    desk.get_by_role("button", name="发送邀请").click()
    expect(desk.get_by_text("已发送1份邀请。")).to_be_visible()
    expect(desk.locator(".invitation-row")).to_contain_text("已邀请")

    # 王丽 finds the meeting and registers
    firm = new_page(DESKTOP)
    login(firm, live_server, "enterprise", password)
    firm.goto(f"{live_server.url}/outreach/meetings/")
    firm.get_by_role("link", name="古林镇二季度企业座谈会").click()
    firm.get_by_role("button", name="报名参加").click()
    expect(firm.get_by_text("报名成功。")).to_be_visible()
    expect(firm.locator(".invitation-status")).to_have_text("已报名")
    assert Invitation.objects.get().status == Invitation.Status.REGISTERED

    # the day comes: the meeting is under way
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )

    # 周华 checks 王丽's firm in, records the minutes and a follow-up item
    desk.reload()
    expect(desk.locator(".invitation-row")).to_contain_text("已报名")
    desk.locator(".invitation-row").get_by_role("button", name="签到").click()
    expect(desk.get_by_text("已签到。")).to_be_visible()

    desk.get_by_label("会议纪要").fill(
        "到会企业1家。企业反映用电增容审批慢，议定由市场监管局牵头协调。"
    )
    desk.get_by_role("button", name="保存纪要").click()
    expect(desk.get_by_text("会议纪要已保存。")).to_be_visible()
    expect(desk.locator(".meeting-status")).to_have_text("已召开")
    expect(desk.locator(".minutes")).to_contain_text("议定由市场监管局牵头协调")

    desk.get_by_text("添加会议事项").click()
    desk.get_by_label("事项", exact=True).fill("协调供电所加快用电增容审批")
    due = timezone.localdate() + dt.timedelta(days=10)
    desk.get_by_label("完成期限").fill(due.isoformat())
    desk.get_by_label("责任部门").select_option(label=world.department.name)
    desk.get_by_role("button", name="添加事项").click()
    expect(desk.get_by_text("已添加会议事项，并通知责任人。")).to_be_visible()
    expect(desk.locator(".follow-up")).to_contain_text("协调供电所加快用电增容审批")
    expect(desk.locator(".follow-up")).to_contain_text(world.department.name)

    item = FollowUp.objects.get()
    assert item.meeting == meeting and item.due_on == due
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert Invitation.objects.get().attended
