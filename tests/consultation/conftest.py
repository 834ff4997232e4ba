"""Fixtures of the survey tests: a coordinator's survey for 古林镇 with a skip rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.consultation import services
from qinqing.consultation.models import Question, Survey
from qinqing.directory.models import Enterprise

from ..factories import EnterpriseFactory, UserFactory


def firm_user(enterprise: Enterprise) -> User:
    user = UserFactory()
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=enterprise)
    return user


def build(author: User, *, anonymous: bool = False, region: str = "330203101") -> Survey:
    """A draft: Q1 single choice (复工/未复工), Q2 shown only for 未复工, Q3 scale (tagged),
    Q4 matrix, Q5 multiple choice, Q6 long text."""
    survey = services.survey_create(
        actor=author,
        title="复工复产情况调查",
        closes_on=services.today() + timedelta(days=10),
        anonymous=anonymous,
        audience={"regions": [region]},
    )
    section = services.section_add(actor=author, survey_id=survey.pk, title="基本情况")
    q1 = services.question_add(
        actor=author,
        survey_id=survey.pk,
        section_id=section.pk,
        kind="single",
        text="目前是否已复工？",
        required=True,
        options=["已复工", "未复工"],
    )
    services.question_add(
        actor=author,
        survey_id=survey.pk,
        section_id=section.pk,
        kind="short_text",
        text="未复工的主要原因",
        required=True,
        show_if_id=q1.pk,
        show_if_options=[2],
    )
    services.question_add(
        actor=author,
        survey_id=survey.pk,
        section_id=section.pk,
        kind="scale",
        text="对镇政府服务的满意度",
        required=True,
        tag="closeness",
    )
    services.question_add(
        actor=author,
        survey_id=survey.pk,
        section_id=section.pk,
        kind="matrix",
        text="各项要素保障",
        rows=["用工", "用电"],
        tag="factors",
    )
    services.question_add(
        actor=author,
        survey_id=survey.pk,
        section_id=section.pk,
        kind="multiple",
        text="需要的支持",
        options=["口罩", "招工", "资金"],
    )
    services.question_add(
        actor=author,
        survey_id=survey.pk,
        section_id=section.pk,
        kind="long_text",
        text="意见建议",
    )
    return survey


def q(survey: Survey, position: int) -> Question:
    return survey.questions.get(position=position)


def answers(
    survey: Survey,
    *,
    resumed: bool = True,
    reason: str = "",
    scale: int = 4,
    matrix: dict[str, int] | None = None,
    needs: list[int] | None = None,
    text: str = "",
) -> dict[str, Any]:
    return {
        str(q(survey, 1).pk): 1 if resumed else 2,
        str(q(survey, 2).pk): reason,
        str(q(survey, 3).pk): scale,
        str(q(survey, 4).pk): matrix or {},
        str(q(survey, 5).pk): needs or [],
        str(q(survey, 6).pk): text,
    }


@pytest.fixture
def coordinator(world: Any) -> User:
    return world.users["coordinator"]


@pytest.fixture
def survey(world: Any, coordinator: User, django_capture_on_commit_callbacks: Any) -> Survey:
    with django_capture_on_commit_callbacks(execute=True):
        return services.survey_publish(actor=coordinator, survey_id=build(coordinator).pk)


@pytest.fixture
def anonymous_survey(
    world: Any, coordinator: User, django_capture_on_commit_callbacks: Any
) -> Survey:
    with django_capture_on_commit_callbacks(execute=True):
        return services.survey_publish(
            actor=coordinator, survey_id=build(coordinator, anonymous=True).pk
        )


@pytest.fixture
def firm_b_user(world: Any) -> User:
    return firm_user(world.firm_b)


@pytest.fixture
def more_firms(world: Any) -> list[Enterprise]:
    return [EnterpriseFactory(grid=world.grid_a) for _ in range(3)]
