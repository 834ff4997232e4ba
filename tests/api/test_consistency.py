"""One way of doing each thing across the whole API: versions over HTTP (ETag, If-Match),
one error body with a documented code, one page shape with ``next``, +08:00 timestamps."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant, token_issue
from qinqing.api.schemas import ERROR_CODES
from qinqing.common.errors import ServiceError
from qinqing.demands.models import Category, RoutingRule
from qinqing.demands.services import demand_submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> dict[str, str]:
    _token, raw = token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def routed(world: Any) -> Any:
    tax = Category.objects.get(code="tax")
    RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=handler, role=Role.HANDLER, department=world.department)
    demand = demand_submit(
        actor=world.users["enterprise"],
        enterprise=world.firm_a,
        category=tax,
        title="出口退税迟迟未到账",
        description="三月申报的出口退税至今未到账。",
    )
    return demand, bearer(handler)


def test_a_demand_carries_its_version_as_an_etag(client, routed) -> None:
    demand, handler = routed
    detail = client.get(f"/api/v1/demands/{demand.pk}", **handler)
    assert detail.status_code == 200
    assert detail["ETag"] == f'W/"{demand.version}"'
    moved = client.post(
        f"/api/v1/demands/{demand.pk}/actions",
        {"action": "accept", "version": demand.version},
        content_type="application/json",
        HTTP_IF_MATCH=detail["ETag"],
        **handler,
    )
    assert moved.status_code == 200, moved.content
    assert moved["ETag"] == f'W/"{demand.version + 1}"'


def test_an_action_with_a_stale_if_match_is_refused_with_412_and_changes_nothing(
    client, routed
) -> None:
    demand, handler = routed
    stale = client.post(
        f"/api/v1/demands/{demand.pk}/actions",
        {"action": "accept", "version": demand.version},
        content_type="application/json",
        HTTP_IF_MATCH=f'W/"{demand.version + 5}"',
        **handler,
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert "请刷新后重试" in stale.json()["detail"]
    demand.refresh_from_db()
    assert demand.state == "dispatched"


def test_another_firms_demand_is_not_found_with_the_documented_code(client, routed, world) -> None:
    demand, _handler = routed
    outsider = client.get(f"/api/v1/demands/{demand.pk}", **bearer(world.users["official"]))
    assert outsider.status_code == 404
    assert outsider.json()["code"] == "not_found"


def test_every_error_code_a_service_can_raise_is_documented() -> None:
    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    codes = {cls.code for cls in subclasses(ServiceError)}
    assert codes <= set(ERROR_CODES), codes - set(ERROR_CODES)


def test_the_document_lists_the_error_codes(client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    described = document["components"]["schemas"]["Error"]["properties"]["code"]["description"]
    assert all(code in described for code in ERROR_CODES)


def test_a_list_links_its_next_page_and_the_last_page_links_none(client, world) -> None:
    admin = bearer(world.users["system_admin"])
    first = client.get("/api/v1/enterprises", **admin).json()
    assert set(first) >= {"items", "count", "next"}
    assert first["next"] is None or "page=2" in first["next"]
    regions = client.get("/api/v1/regions", **admin).json()
    assert regions["next"] is None and regions["count"] == len(regions["items"])


def test_a_token_says_when_it_expires_in_shanghai_time(client, world, password) -> None:
    issued = client.post(
        "/api/v1/auth/token",
        {"username": "steward", "password": password},
        content_type="application/json",
    )
    assert issued.status_code == 200
    assert issued.json()["expires_at"].endswith("+08:00")
