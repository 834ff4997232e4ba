"""Editing a survey draft piece by piece through the API, as the author does on the web."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.consultation import services
from qinqing.consultation.models import Survey

from ..factories import UserFactory
from .conftest import build, q

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def draft(coordinator: User) -> Survey:
    return services.survey_create(
        actor=coordinator,
        title="用工需求调查",
        closes_on=services.today() + timedelta(days=7),
        audience={"regions": ["330203101"]},
    )


def test_the_author_adds_a_section_and_then_questions_to_it(
    coordinator: User, draft: Survey
) -> None:
    client = client_for(coordinator)
    section = post(client, f"/api/v1/surveys/{draft.pk}/sections", {"title": "用工"})
    assert section.status_code == 201, section.json()
    assert section["Location"] == f"/api/v1/surveys/{draft.pk}"
    assert section.json()["position"] == 1
    section_id = section.json()["id"]
    first = post(
        client,
        f"/api/v1/surveys/{draft.pk}/questions",
        {"section_id": section_id, "kind": "single", "text": "是否缺工？", "options": ["是", "否"]},
    )
    assert first.status_code == 201, first.json()
    assert first["Location"] == f"/api/v1/surveys/{draft.pk}"
    second = post(
        client,
        f"/api/v1/surveys/{draft.pk}/questions",
        {
            "section_id": section_id,
            "kind": "number",
            "text": "缺工人数",
            "show_if_id": first.json()["id"],
            "show_if_options": [1],
        },
    )
    assert second.status_code == 201, second.json()
    assert second.json()["show_if_id"] == first.json()["id"]
    detail = client.get(f"/api/v1/surveys/{draft.pk}").json()
    assert [x["text"] for x in detail["questions"]] == ["是否缺工？", "缺工人数"]


def test_a_question_needs_a_section_of_its_survey(coordinator: User, draft: Survey) -> None:
    answer = post(
        client_for(coordinator),
        f"/api/v1/surveys/{draft.pk}/questions",
        {"section_id": 999_999, "kind": "long_text", "text": "意见建议"},
    )
    assert answer.status_code == 422 and "section" in answer.json()["field_errors"]


def test_a_choice_question_needs_two_options(coordinator: User, draft: Survey) -> None:
    client = client_for(coordinator)
    section = services.section_add(actor=coordinator, survey_id=draft.pk, title="基本情况")
    answer = post(
        client,
        f"/api/v1/surveys/{draft.pk}/questions",
        {"section_id": section.pk, "kind": "single", "text": "是否复工？", "options": ["是"]},
    )
    assert answer.status_code == 422 and "options" in answer.json()["field_errors"]


def test_the_author_deletes_a_question_of_the_draft(coordinator: User) -> None:
    survey = build(coordinator)
    last = q(survey, 6)
    client = client_for(coordinator)
    answer = client.delete(f"/api/v1/surveys/{survey.pk}/questions/{last.pk}")
    assert answer.status_code == 204
    assert not survey.questions.filter(pk=last.pk).exists()


def test_a_question_others_depend_on_cannot_be_deleted(coordinator: User) -> None:
    survey = build(coordinator)
    answer = client_for(coordinator).delete(
        f"/api/v1/surveys/{survey.pk}/questions/{q(survey, 1).pk}"
    )
    assert answer.status_code == 409
    assert survey.questions.count() == 6


def test_a_question_of_another_survey_is_not_found(coordinator: User, draft: Survey) -> None:
    other = build(coordinator)
    answer = client_for(coordinator).delete(
        f"/api/v1/surveys/{draft.pk}/questions/{q(other, 6).pk}"
    )
    assert answer.status_code == 404
    assert other.questions.count() == 6


def test_a_published_survey_cannot_be_edited(coordinator: User, survey: Survey) -> None:
    client = client_for(coordinator)
    section = survey.sections.get()
    more = post(client, f"/api/v1/surveys/{survey.pk}/sections", {"title": "补充"})
    assert more.status_code == 409
    added = post(
        client,
        f"/api/v1/surveys/{survey.pk}/questions",
        {"section_id": section.pk, "kind": "long_text", "text": "补充意见"},
    )
    assert added.status_code == 409
    deleted = client.delete(f"/api/v1/surveys/{survey.pk}/questions/{q(survey, 6).pk}")
    assert deleted.status_code == 409
    assert survey.questions.count() == 6


def test_another_authors_draft_is_not_found(world: Any, coordinator: User) -> None:
    survey = build(coordinator)
    colleague = UserFactory(username="colleague")
    role_grant(actor=None, user=colleague, role=Role.COORDINATOR, region=world.town)
    client = client_for(colleague)
    assert post(client, f"/api/v1/surveys/{survey.pk}/sections", {"title": "x"}).status_code == 404
    deleted = client.delete(f"/api/v1/surveys/{survey.pk}/questions/{q(survey, 6).pk}")
    assert deleted.status_code == 404
    assert survey.questions.count() == 6


def test_who_sees_the_draft_but_did_not_write_it_is_refused(world: Any, coordinator: User) -> None:
    survey = build(coordinator)
    admin = client_for(world.users["system_admin"])
    assert admin.get(f"/api/v1/surveys/{survey.pk}").status_code == 200
    assert post(admin, f"/api/v1/surveys/{survey.pk}/sections", {"title": "x"}).status_code == 403
    deleted = admin.delete(f"/api/v1/surveys/{survey.pk}/questions/{q(survey, 6).pk}")
    assert deleted.status_code == 403
    assert survey.questions.count() == 6


def test_a_firm_cannot_find_a_draft(world: Any, coordinator: User) -> None:
    survey = build(coordinator)
    client = client_for(world.users["enterprise"])
    assert post(client, f"/api/v1/surveys/{survey.pk}/sections", {"title": "x"}).status_code == 404
    deleted = client.delete(f"/api/v1/surveys/{survey.pk}/questions/{q(survey, 6).pk}")
    assert deleted.status_code == 404
