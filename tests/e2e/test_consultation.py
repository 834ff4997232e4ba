"""王丽 answers the town's survey on her phone from the shared link; a skip rule shows the
follow-up question only when it applies; afterwards the survey shows as answered."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qinqing.consultation import services
from qinqing.consultation.models import Answer, Response
from tests.conftest import World
from tests.consultation.conftest import build, q

pytestmark = pytest.mark.e2e


def test_a_firm_user_answers_a_survey_with_a_skip_rule_and_sees_it_answered(
    phone_page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    coordinator = world.users["coordinator"]
    survey = services.survey_publish(actor=coordinator, survey_id=build(coordinator).pk)
    page = phone_page

    # the shared link asks for a login first, then opens the survey
    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    page.fill("#id_username", "enterprise")
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("form:has(#id_username) button[type=submit]").click()
    expect(page.get_by_role("heading", name="复工复产情况调查")).to_be_visible()

    reason = page.locator(f"#q-{q(survey, 2).pk}")
    expect(reason).to_be_hidden()
    page.get_by_label("未复工").check()
    expect(reason).to_be_visible()
    reason.locator("input").fill("缺少原材料")
    page.locator(f"#q-{q(survey, 3).pk}").get_by_label("4").check()
    page.get_by_label("口罩").check()
    page.get_by_role("button", name="提交问卷").click()

    expect(page.get_by_text("已提交，感谢贵企业的参与。")).to_be_visible()
    expect(page.locator("#answered")).to_contain_text("贵企业已于")
    response = Response.objects.get(survey=survey)
    assert response.enterprise == world.firm_a
    assert Answer.objects.get(question=q(survey, 2)).text == "缺少原材料"

    page.goto(f"{live_server.url}/surveys/")
    expect(page.get_by_role("row", name="复工复产情况调查")).to_contain_text("已填答")


def test_an_author_builds_and_publishes_a_survey(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    from .conftest import login

    login(page, live_server, "coordinator", password)
    page.goto(f"{live_server.url}/surveys/new/")
    page.get_by_label("问卷标题", exact=True).fill("用工需求调查")
    page.get_by_label("截止日期").fill("2099-12-31")
    page.get_by_label("区域").select_option(world.town.code)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("问卷草稿已创建，请添加题目。")).to_be_visible()
    page.get_by_label("部分标题").fill("用工")
    page.get_by_role("button", name="添加部分").click()
    page.get_by_label("题型").select_option("single")
    page.get_by_label("题目", exact=True).fill("是否缺工？")
    page.get_by_label("选项（选择题，每行一个）").fill("是\n否")
    page.get_by_label("必答").check()
    page.get_by_role("button", name="添加题目").click()
    expect(page.get_by_text("题目已添加。")).to_be_visible()
    page.get_by_role("button", name="发布问卷").click()
    expect(page.get_by_text("问卷已发布，已通知发送对象中的企业。")).to_be_visible()
    expect(page.get_by_text("已填答 0 / 2 家")).to_be_visible()


def test_the_author_sees_each_dimensions_mean_charted_on_the_results(
    page: Page, live_server: LiveServer, world: World, password: str
) -> None:
    from tests.consultation.conftest import answers, firm_user

    from .conftest import login

    author = world.users["coordinator"]
    survey = services.survey_publish(actor=author, survey_id=build(author).pk)
    for firm, scale in ((world.firm_a, 5), (world.firm_b, 3)):
        services.response_submit(
            actor=firm_user(firm),
            survey_id=survey.pk,
            enterprise=firm,
            answers=answers(survey, scale=scale),
        )
    login(page, live_server, "coordinator", password)
    page.goto(f"{live_server.url}/surveys/{survey.pk}/results/")
    chart = page.locator("#survey-dimensions svg")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", "各维度平均分与 95% 置信区间")
