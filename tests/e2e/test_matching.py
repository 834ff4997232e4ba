"""A firm posts a request for masks and confirms a suggested match; the seller confirms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.notices.matching.models import Listing, Match, MatchState
from qinqing.notices.matching.services import listing_create, today
from tests.conftest import World
from tests.factories import UserFactory

from .conftest import login

pytestmark = pytest.mark.e2e


def test_a_firm_posts_a_request_and_confirms_a_suggested_match(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    seller = UserFactory(username="seller")
    seller.set_password(password)
    seller.save()
    role_grant(actor=None, user=seller, role=Role.ENTERPRISE, enterprise=world.firm_b)
    offer = listing_create(
        actor=seller,
        enterprise=world.firm_b,
        side="offer",
        kind="goods",
        item="一次性医用口罩",
        quantity=10000,
        unit="个",
        unit_price="2.00",
        valid_until=today() + timedelta(days=20),
    )
    login(page, live_server, "enterprise", password)
    page.goto(f"{live_server.url}/matching/new/?side=request&kind=goods&item=口罩&quantity=5000")
    expect(page.get_by_label("物资/岗位")).to_have_value("口罩")
    page.get_by_label("单位").fill("个")
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_text("已发布")).to_be_visible()
    suggestion = page.locator("#suggestions .suggestion")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("同一社区 · 同类物资 · 数量充足")
    page.get_by_role("button", name=f"发起对接：{world.firm_b.name}").click()
    expect(page.get_by_text("已发起对接，等待对方确认。")).to_be_visible()
    match = Match.objects.get()
    assert match.quantity == 5000 and match.request_confirmed_at is not None

    # the seller confirms; the quantity is allocated on both sides
    page.get_by_role("button", name="退出").click()
    login(page, live_server, "seller", password)
    page.goto(f"{live_server.url}/matching/matches/{match.pk}/")
    page.get_by_role("button", name="以供应方确认").click()
    expect(page.locator("#match-state")).to_contain_text("已确认")
    match.refresh_from_db()
    offer.refresh_from_db()
    assert match.state == MatchState.CONFIRMED and offer.allocated == 5000
    assert Listing.objects.get(side="request").allocated == 5000
