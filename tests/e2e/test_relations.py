"""孙悦 confirms that 王強 (imported) is 王强 (the official's son-in-law), then sees the path."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.directory.models import Pairing
from qinqing.integrity.relations.models import CandidateState, MatchCandidate
from qinqing.integrity.relations.services import person_create, relation_create
from tests.conftest import World

from .conftest import login

pytestmark = pytest.mark.e2e


def test_a_supervisor_confirms_a_match_and_sees_the_conflict_path(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    supervisor, official = world.users["supervisor"], world.users["official"]
    me = person_create(actor=supervisor, name="刘建国", user=official)
    son_in_law = person_create(actor=supervisor, name="王强", gender="m")
    relation_create(
        actor=supervisor, from_person_id=me.pk, kind="child_spouse", to_person_id=son_in_law.pk
    )
    imported = person_create(actor=supervisor, name="王強", gender="m")
    relation_create(
        actor=supervisor,
        from_person_id=imported.pk,
        kind="shareholder",
        enterprise_id=world.firm_a.pk,
        percentage="30",
    )
    Pairing.objects.create(official=official, enterprise=world.firm_a, started_on="2026-01-05")

    login(page, live_server, "supervisor", password)
    page.goto(f"{live_server.url}/relations/people/{me.pk}/")
    expect(page.get_by_role("heading", name="刘建国")).to_be_visible()
    expect(page.locator(".conflict-path")).to_have_count(0)

    page.goto(f"{live_server.url}/relations/candidates/")
    row = page.locator(".candidate-row", has_text="王強")
    expect(row).to_contain_text("王强")
    row.get_by_role("button", name="确认同一人").click()
    expect(page.get_by_text("已确认为同一人。")).to_be_visible()
    assert MatchCandidate.objects.get().state == CandidateState.CONFIRMED

    page.goto(f"{live_server.url}/relations/people/{me.pk}/")
    expect(page.locator(".conflict-path")).to_have_text(
        "刘建国 —女婿→ 王强 —同一人→ 王強 —持股30%→ 宁波甲模具有限公司"
    )
    expect(page.locator("svg.relations-graph")).to_be_visible()
