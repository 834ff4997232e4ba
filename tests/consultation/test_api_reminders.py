"""A steward reminds a firm to answer a survey through the API: the web's "提醒"."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.consultation.models import Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_for(client: Any, world: Any, password: str) -> Any:
    def issue(role: str) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token",
            {"username": role, "password": password},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


def remind(client: Any, survey: Survey, enterprise_id: Any, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/surveys/{survey.pk}/reminders",
        {"enterprise_id": enterprise_id},
        content_type="application/json",
        **headers,
    )


def test_a_steward_reminds_a_firm_of_the_grid_once_a_day(
    client: Any, token_for: Any, world: Any, survey: Survey
) -> None:
    headers = token_for("steward")
    first = remind(client, survey, world.firm_a.pk, headers)
    assert first.status_code == 200, first.content
    assert first.json()["enterprise_id"] == world.firm_a.pk
    assert AuditEntry.objects.filter(action="survey.remind").count() == 1
    again = remind(client, survey, world.firm_a.pk, headers)
    assert again.status_code == 409 and again.json()["detail"] == "今天已经提醒过该企业。"


def test_a_firm_outside_the_grid_and_other_roles_are_refused(
    client: Any, token_for: Any, world: Any, survey: Survey
) -> None:
    outside = remind(client, survey, world.firm_b.pk, token_for("steward"))
    assert outside.status_code == 403
    assert outside.json()["detail"] == "只能提醒本人网格内的企业。"
    firm = remind(client, survey, world.firm_a.pk, token_for("enterprise"))
    assert firm.status_code == 403
    bad = remind(client, survey, "甲", token_for("steward"))
    assert bad.status_code == 422 and bad.json()["detail"] == "输入有误，请检查后重试。"
    assert remind(client, survey, world.firm_a.pk, token_for("handler")).status_code == 404
    assert not AuditEntry.objects.filter(action="survey.remind").exists()
