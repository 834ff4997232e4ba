"""林涛, an observer, sees his firm's steward and sends routine integrity information."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from qinqing.audit.models import AuditEntry
from qinqing.outreach.models import ObserverFeedback
from tests.conftest import World

from .conftest import PHONE, PageFactory, login

pytestmark = pytest.mark.e2e


def test_an_observer_sees_the_steward_and_sends_routine_feedback(
    new_page: PageFactory, live_server: LiveServer, world: World, password: str
) -> None:
    steward = world.users["steward"]
    steward.phone = "13900001111"
    steward.save(update_fields=["phone"])

    page = new_page(PHONE)
    login(page, live_server, "observer", password)
    page.goto(f"{live_server.url}/outreach/")
    page.get_by_role("link", name="亲清观察员").click()

    expect(page.get_by_role("heading", name=world.firm_a.name)).to_be_visible()
    stewards = page.locator("ul.stewards")
    expect(stewards).to_contain_text("管家测试")
    expect(stewards.get_by_role("link", name="13900001111")).to_have_attribute(
        "href", "tel:13900001111"
    )

    page.get_by_label("日常反馈").check()
    page.get_by_label("涉及人员（可选）").select_option(label="管家测试")
    page.get_by_label("反馈内容").fill("今天的检查公平规范，管家提前告知了检查事项。")
    page.get_by_role("button", name="发送反馈").click()

    expect(page.get_by_role("status")).to_contain_text("反馈已送达监督员")
    expect(page.locator("ul.sent")).to_contain_text("今天的检查公平规范")
    feedback = ObserverFeedback.objects.get()
    assert feedback.kind == "routine"
    assert feedback.subject == steward
    assert feedback.enterprise == world.firm_a
    assert AuditEntry.objects.filter(
        action="observer.feedback", object_id=str(feedback.pk)
    ).exists()
