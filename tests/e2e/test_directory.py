"""The firm directory and the region tree, as stewards and firms use them in a browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.conftest import World
from tests.factories import EnterpriseFactory

from .conftest import login

pytestmark = pytest.mark.e2e


def test_a_steward_sees_only_the_firms_of_their_grid_and_the_search_narrows_the_list(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    neighbour = EnterpriseFactory(name="宁波丁五金有限公司", grid=world.grid_a)
    login(page, live_server, "steward", password)

    page.goto(f"{live_server.url}/directory/enterprises/")

    expect(page.get_by_role("heading", name="企业名录")).to_be_visible()
    expect(page.get_by_role("link", name=world.firm_a.name)).to_be_visible()
    expect(page.get_by_role("link", name=neighbour.name)).to_be_visible()
    expect(page.get_by_text(world.firm_b.name)).to_have_count(0)
    expect(page.get_by_text(world.firm_other.name)).to_have_count(0)

    page.evaluate("window.__sameDocument = true")
    search = page.get_by_role("searchbox", name="名称、统一社会信用代码或法定代表人")
    search.fill(world.firm_a.name)
    with page.expect_response(
        lambda r: (
            "/directory/enterprises/" in r.url and r.request.headers.get("hx-request") == "true"
        )
    ):
        search.press("Enter")

    expect(page.get_by_role("link", name=neighbour.name)).to_have_count(0)
    expect(page.get_by_role("link", name=world.firm_a.name)).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]q="))
    assert page.evaluate("window.__sameDocument") is True, "the search reloaded the whole page"


def test_a_firm_sees_its_own_page_with_the_full_phone_but_another_firms_page_is_not_found(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    login(page, live_server, "enterprise", password)
    page.goto(f"{live_server.url}/directory/enterprises/")
    page.get_by_role("link", name=world.firm_a.name).click()

    expect(page.get_by_role("heading", level=1, name=world.firm_a.name)).to_be_visible()
    expect(page.get_by_text("13812345678")).to_be_visible()

    response = page.goto(f"{live_server.url}/directory/enterprises/{world.firm_other.pk}/")

    assert response is not None and response.status == 404
    expect(page.locator("body")).to_contain_text("页面不存在")
    expect(page.get_by_text(world.firm_other.name)).to_have_count(0)


def test_on_a_phone_a_steward_reads_the_firm_list_without_scrolling_sideways(
    phone_page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    page = phone_page
    login(page, live_server, "steward", password)

    page.goto(f"{live_server.url}/directory/enterprises/")

    expect(page.get_by_role("table")).to_be_visible()
    expect(page.get_by_role("link", name=world.firm_a.name)).to_be_visible()
    page.evaluate("document.fonts.ready")
    scroll_width, inner_width, wide = page.evaluate(
        """[document.documentElement.scrollWidth, window.innerWidth,
            Array.from(document.querySelectorAll('body *'))
              .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
              .map(e => e.tagName + '.' + e.className).join(', ')]"""
    )
    assert scroll_width <= inner_width + 1, (
        f"page is {scroll_width}px wide on a {inner_width}px screen; too wide: {wide}"
    )


def test_the_region_tree_lists_ningbo_and_expanding_it_shows_its_districts(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    login(page, live_server, "steward", password)

    page.goto(f"{live_server.url}/directory/regions/")

    city = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="宁波市"))
    expect(city).to_be_visible()
    expect(page.get_by_role("link", name="海曙区")).to_have_count(0)

    page.evaluate("window.__sameDocument = true")
    city.get_by_role("button", name=re.compile("展开")).click()

    expect(city.get_by_role("link", name="海曙区")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True, "expanding reloaded the whole page"
