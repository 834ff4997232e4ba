"""The routing table through /api/v1/demands/routing-rules: the coordinator's own region only."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.demands.models import Category, RoutingRule

pytestmark = pytest.mark.django_db

RULES = "/api/v1/demands/routing-rules"


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


@pytest.fixture
def tax() -> Category:
    return Category.objects.get(code="tax")


def put(client: Any, url: str, department_id: Any, headers: dict[str, str]) -> Any:
    return client.put(
        url, {"department_id": department_id}, content_type="application/json", **headers
    )


def test_a_coordinator_sets_changes_and_removes_a_rule_of_the_town(
    client: Any, token_for: Any, world: Any, tax: Category
) -> None:
    headers = token_for("coordinator")
    url = f"{RULES}/{world.town.pk}/{tax.pk}"
    created = put(client, url, world.department.pk, headers)
    assert created.status_code == 200, created.content
    assert created.json()["department_name"] == world.department.name
    listed = client.get(RULES, **headers).json()
    assert listed["count"] == 1 and listed["next"] is None
    assert client.get(url, **headers).json()["category_code"] == "tax"
    assert AuditEntry.objects.filter(action="routing.set").count() == 1
    gone = client.delete(url, **headers)
    assert gone.status_code == 204
    assert not RoutingRule.objects.exists()
    assert client.delete(url, **headers).status_code == 404


def test_only_coordinators_keep_the_routing_table(
    client: Any, token_for: Any, world: Any, tax: Category
) -> None:
    rule = RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    for role in ("handler", "supervisor", "system_admin", "enterprise"):
        headers = token_for(role)
        assert client.get(RULES, **headers).status_code == 403, role
        url = f"{RULES}/{world.town.pk}/{tax.pk}"
        assert put(client, url, world.department.pk, headers).status_code == 403, role
        assert client.delete(url, **headers).status_code == 403, role
    assert RoutingRule.objects.filter(pk=rule.pk).exists()


def test_another_towns_rule_is_not_found_and_cannot_be_set(
    client: Any, token_for: Any, world: Any, tax: Category
) -> None:
    RoutingRule.objects.create(region=world.other_town, category=tax, department=world.department)
    headers = token_for("coordinator")
    url = f"{RULES}/{world.other_town.pk}/{tax.pk}"
    assert client.get(url, **headers).status_code == 404
    assert client.delete(url, **headers).status_code == 404
    refused = put(client, url, world.department.pk, headers)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "您只能设置本辖区的派单规则。"
    assert client.get(RULES, **headers).json()["count"] == 0


def test_a_department_that_does_not_serve_the_town_is_refused_in_chinese(
    client: Any, token_for: Any, world: Any, tax: Category
) -> None:
    headers = token_for("coordinator")
    url = f"{RULES}/{world.town.pk}/{tax.pk}"
    elsewhere = put(client, url, world.other_department.pk, headers)  # 高桥镇税务所
    assert elsewhere.status_code == 422
    assert elsewhere.json()["detail"] == f"{world.other_department.name} 不服务该区域。"
    malformed = put(client, url, "税务局", headers)
    assert malformed.status_code == 422
    assert malformed.json()["detail"] == "输入有误，请检查后重试。"
    assert not RoutingRule.objects.exists()
