"""Ending an emergency through the API: the web's "结束监测"."""

from __future__ import annotations

import pytest

from qinqing.notices.emergency.models import Emergency
from qinqing.notices.emergency.services import today

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_for(client, world, password):
    def issue(role: str) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token",
            {"username": role, "password": password},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


def test_the_coordinator_ends_the_emergency_today(client, token_for, epidemic) -> None:
    response = client.post(
        f"/api/v1/emergency/emergencies/{epidemic.pk}/end", **token_for("coordinator")
    )
    assert response.status_code == 200, response.content
    assert Emergency.objects.get(pk=epidemic.pk).ends_on == today()


def test_a_firm_may_not_end_it_and_an_unseen_one_is_not_found(client, token_for, epidemic) -> None:
    refused = client.post(
        f"/api/v1/emergency/emergencies/{epidemic.pk}/end", **token_for("enterprise")
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "只有家园协调员或监督员可以结束应急监测。"
    unseen = client.post(f"/api/v1/emergency/emergencies/{epidemic.pk}/end", **token_for("handler"))
    assert unseen.status_code == 404
    missing = client.post("/api/v1/emergency/emergencies/999999/end", **token_for("coordinator"))
    assert missing.status_code == 404
    assert Emergency.objects.get(pk=epidemic.pk).ends_on is None
