"""赵敏's son-in-law holds 30 % of the firm whose demand she is asked to accept: she is stopped
with the path, gives a reason, the demand is accepted, and the alert says so with her reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.demands.models import Category, Demand, RoutingRule
from qinqing.demands.services import demand_submit
from qinqing.demands.workflow import State
from qinqing.integrity.relations.models import AlertState, ConflictAlert
from qinqing.integrity.relations.services import person_create, relation_create
from tests.conftest import World
from tests.factories import UserFactory

from .conftest import login

pytestmark = pytest.mark.e2e


def test_a_conflicted_handler_sees_the_path_gives_a_reason_and_accepts(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    tax, _created = Category.objects.get_or_create(
        code="tax",
        defaults={"name": "税费", "acceptance_days": 1, "response_days": 2, "resolution_days": 5},
    )
    RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=handler, role=Role.HANDLER, department=world.department)
    keeper = world.users["supervisor"]
    me = person_create(actor=keeper, name="赵敏", gender="f", user=handler)
    daughter = person_create(actor=keeper, name="赵小敏", gender="f")
    son_in_law = person_create(actor=keeper, name="王强", gender="m")
    relation_create(actor=keeper, from_person_id=me.pk, kind="child", to_person_id=daughter.pk)
    relation_create(
        actor=keeper, from_person_id=daughter.pk, kind="spouse", to_person_id=son_in_law.pk
    )
    relation_create(
        actor=keeper,
        from_person_id=son_in_law.pk,
        kind="shareholder",
        enterprise_id=world.firm_a.pk,
        percentage=Decimal("30"),
    )
    demand = demand_submit(
        actor=world.users["enterprise"],
        enterprise=world.firm_a,
        category=tax,
        title="用电增容审批卡在供电所两个月了",
        description="去年十月提交用电增容申请，至今两个月没有进展。",
    )

    login(page, live_server, "zhaomin", password)
    page.goto(f"{live_server.url}/demands/{demand.pk}/")
    page.get_by_role("button", name="受理", exact=True).click()

    conflict = page.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator(".conflict-path")).to_contain_text("王强")
    expect(conflict.locator(".conflict-path")).to_contain_text("宁波甲模具有限公司")
    expect(conflict.get_by_role("link", name="查看利益冲突预警")).to_be_visible()
    expect(conflict.get_by_role("button", name="申请回避")).to_be_visible()
    assert Demand.objects.get(pk=demand.pk).state == State.DISPATCHED

    conflict.get_by_label("继续办理的理由").fill("本局仅我负责电力审批协调，已报分管领导")
    conflict.get_by_role("button", name="说明理由后继续受理").click()
    expect(page.get_by_text("已受理。")).to_be_visible()
    expect(page.locator(".state")).to_have_text("已受理")
    assert Demand.objects.get(pk=demand.pk).state == State.ACCEPTED

    alert = ConflictAlert.objects.get(official=handler)
    assert alert.state == AlertState.OVERRIDDEN
    page.goto(f"{live_server.url}/relations/alerts/{alert.pk}/")
    card = page.locator(".card").first
    expect(card).to_contain_text("说明理由后继续")
    expect(card).to_contain_text("本局仅我负责电力审批协调，已报分管领导")
