"""The API under hostile input (issue 14): control characters (H2), request ids (M6), dates
and numbers at the edges (L1, L3), oversized and malformed bodies (L8). Always the API's own
error body, never a 500 or an HTML page."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from qinqing.accounts.services import token_issue
from qinqing.api.ranges import out_of_range
from qinqing.audit.models import AuditEntry
from qinqing.common import controlchars
from qinqing.common.ranges import DATE_MAX, DATE_MIN, INT_MAX, parse_date, parse_int
from qinqing.demands.models import Category, Demand, RoutingRule

from ..conftest import World

pytestmark = pytest.mark.django_db

HUGE = 2**64 + 1


def bearer(user: Any) -> dict[str, str]:
    _token, raw = token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def firm(world: World) -> dict[str, str]:
    return bearer(world.users["enterprise"])


@pytest.fixture
def demand_body(world: World) -> dict[str, Any]:
    tax = Category.objects.get(code="tax")
    RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    return {
        "enterprise_id": world.firm_a.pk,
        "category": "tax",
        "title": "出口退税迟迟未到账",
        "description": "三月申报的出口退税至今未到账，影响资金周转。",
    }


def post_json(client: Client, url: str, body: Any, **headers: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def assert_error_body(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"detail", "code"}
    return body


# --- H2: control characters -----------------------------------------------------------------


def test_a_demand_titled_with_a_nul_gets_a_field_error_and_nothing_is_stored(
    client: Client, firm: dict[str, str], demand_body: dict[str, Any]
) -> None:
    response = post_json(client, "/api/v1/demands", {**demand_body, "title": "abc\x00def"}, **firm)

    body = assert_error_body(response, 422)
    assert body["field_errors"] == {"title": ["不能包含控制字符。"]}
    assert not Demand.objects.exists()


def test_a_control_character_deep_in_a_body_is_named_by_its_path(
    client: Client, firm: dict[str, str], demand_body: dict[str, Any]
) -> None:
    response = post_json(
        client, "/api/v1/demands", {**demand_body, "extra": [{"note": "a\x1bb"}]}, **firm
    )
    assert assert_error_body(response, 422)["field_errors"] == {
        "extra.0.note": ["不能包含控制字符。"]
    }


def test_a_control_character_in_a_query_string_gets_a_field_error(
    client: Client, firm: dict[str, str]
) -> None:
    response = client.get("/api/v1/notices", {"q": "退税\x00"}, **firm)
    assert assert_error_body(response, 422)["field_errors"] == {"q": ["不能包含控制字符。"]}


def test_tab_and_newlines_are_still_welcome(
    client: Client, firm: dict[str, str], demand_body: dict[str, Any]
) -> None:
    body = {**demand_body, "description": "第一行\r\n第二行\t完：三月申报的出口退税至今未到账。"}
    assert post_json(client, "/api/v1/demands", body, **firm).status_code == 201


@given(st.text(alphabet=st.characters(categories=["Cc"]), min_size=1))
def test_every_control_character_but_tab_and_newlines_is_found(text: str) -> None:
    assert controlchars.has_control(text) == bool(set(text) - {"\t", "\n", "\r"})


# --- M6: request ids ------------------------------------------------------------------------


@pytest.mark.parametrize("given_id", ["x" * 65, "x" * 60_000, "abc\x1bdef", "a b"])
def test_an_unsafe_request_id_is_replaced_by_a_generated_one(
    client: Client, world: World, given_id: str
) -> None:
    response = post_json(
        client,
        "/api/v1/auth/token",
        {"username": "enterprise", "password": "wrong"},
        HTTP_X_REQUEST_ID=given_id,
    )

    assert response.status_code in (400, 401)
    echoed = response["X-Request-ID"]
    assert echoed != given_id and len(echoed) <= 64 and echoed.isalnum()
    stored = AuditEntry.objects.filter(action="user.login_failed").values_list(
        "request_id", flat=True
    )
    assert list(stored) == [echoed]


def test_a_safe_request_id_is_kept(client: Client, world: World) -> None:
    response = client.get("/api/v1/notices", HTTP_X_REQUEST_ID="proxy-1234.abc_DEF")
    assert response["X-Request-ID"] == "proxy-1234.abc_DEF"


# --- L1 and L3: dates and numbers at the edges ----------------------------------------------

EDGE_DATES = ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", EDGE_DATES)
def test_exemption_statistics_refuse_dates_at_the_edges(
    client: Client, world: World, day: str
) -> None:
    headers = bearer(world.users["supervisor"])
    for params in ({"start": day, "end": "2026-06-30"}, {"start": "2026-01-01", "end": day}):
        response = client.get("/api/v1/exemption/stats", params, **headers)
        body = assert_error_body(response, 422)
        assert "日期须在2000-01-01至2100-12-31之间。" in str(body["field_errors"])


@pytest.mark.parametrize("day", EDGE_DATES)
def test_notices_refuse_dates_at_the_edges(client: Client, firm: dict[str, str], day: str) -> None:
    for name in ("published_from", "published_to"):
        response = client.get("/api/v1/notices", {name: day}, **firm)
        assert list(assert_error_body(response, 422)["field_errors"]) == [name]


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1999-12", "2101-01"])
@pytest.mark.parametrize(
    ("url", "role"),
    [
        ("/api/v1/outreach/visits/plan", "steward"),
        ("/api/v1/outreach/coverage", "coordinator"),
        ("/api/v1/outreach/coverage/overdue", "coordinator"),
    ],
)
def test_visit_plans_and_coverage_refuse_months_at_the_edges(
    client: Client, world: World, url: str, role: str, month: str
) -> None:
    response = client.get(url, {"month": month}, **bearer(world.users[role]))
    assert "month" in assert_error_body(response, 422)["field_errors"]


@pytest.mark.parametrize("day", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "9999-12-31"])
def test_open311_refuses_dates_at_the_edges_without_login(client: Client, day: str) -> None:
    for name in ("start_date", "end_date"):
        response = client.get("/open311/v2/requests.json", {name: day})
        assert response.status_code == 400
        assert "2000-01-01" in response.content.decode()


@pytest.mark.parametrize("number", [str(HUGE), str(-HUGE), "9" * 40])
def test_huge_integers_in_paths_queries_and_bodies_get_422(
    client: Client, firm: dict[str, str], demand_body: dict[str, Any], number: str
) -> None:
    in_path = client.get(f"/api/v1/demands/{number.lstrip('-')}", **firm)
    assert in_path.status_code in (404, 422)
    in_query = client.get("/api/v1/enterprises", {"region_id": number}, **firm)
    assert_error_body(in_query, 422)
    in_body = post_json(
        client, "/api/v1/demands", {**demand_body, "enterprise_id": int(number)}, **firm
    )
    assert "enterprise_id" in assert_error_body(in_body, 422)["field_errors"]
    assert not Demand.objects.exists()


def test_a_huge_page_number_gets_422(client: Client, firm: dict[str, str]) -> None:
    response = client.get("/api/v1/notices", {"page": str(HUGE)}, **firm)
    assert "page" in assert_error_body(response, 422)["field_errors"]


@given(st.dates())
def test_a_date_is_accepted_exactly_when_it_lies_in_the_documented_range(day: date) -> None:
    inside = DATE_MIN <= day <= DATE_MAX
    assert (list(out_of_range({"day": day})) == []) == inside
    assert (parse_date(day.isoformat()) is not None) == inside


@given(st.integers())
def test_a_whole_number_is_accepted_exactly_when_it_fits_64_bits(number: int) -> None:
    inside = -(2**63) <= number <= INT_MAX
    assert (list(out_of_range([number])) == []) == inside
    assert (parse_int(str(number)) is not None) == inside


def test_an_amount_beyond_the_money_columns_is_out_of_range() -> None:
    assert list(out_of_range({"amount": Decimal("9999999999.99")})) == []
    assert [loc for loc, _m, _v in out_of_range({"amount": Decimal("1e10")})] == [("amount",)]


# --- L8: oversized and malformed bodies -----------------------------------------------------


def test_a_12_mb_json_body_gets_413_in_the_api_error_format(
    client: Client, firm: dict[str, str], demand_body: dict[str, Any]
) -> None:
    big = {**demand_body, "description": "税" * (4 * 1024 * 1024)}  # 12 MB of UTF-8
    response = post_json(client, "/api/v1/demands", big, **firm)

    body = assert_error_body(response, 413)
    assert body["code"] == "too_large" and "过大" in body["detail"]
    assert not Demand.objects.exists()


@pytest.mark.parametrize("raw", ['{"title": ', "not json", b"\xff\xfe\x00", "[" * 100_000])
def test_a_malformed_json_body_gets_400_in_chinese(
    client: Client, firm: dict[str, str], raw: str | bytes
) -> None:
    response = client.post("/api/v1/demands", raw, content_type="application/json", **firm)

    body = assert_error_body(response, 400)
    assert body["code"] == "malformed_json"
    assert "JSON" in body["detail"] and "请求体" in body["detail"]


def test_a_malformed_json_body_gets_english_on_request(
    client: Client, firm: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/demands", "{", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **firm
    )
    assert "not valid JSON" in assert_error_body(response, 400)["detail"]


def test_the_openapi_document_declares_413_on_every_operation_with_a_body(
    client: Client,
) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    with_body = [
        (path, method, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op
    ]
    assert with_body
    assert all("413" in op["responses"] for _path, _method, op in with_body)
    assert all("400" in op["responses"] for _path, _method, op in with_body)


def test_every_operation_of_the_api_checks_ranges() -> None:
    from qinqing.api.api import api

    models = [
        model
        for _prefix, router in api._routers
        for view in router.path_operations.values()
        for operation in view.operations
        for model in operation.models
    ]
    assert len(models) > 100
    assert all(model.__dict__.get("_qinqing_ranges_checked") for model in models)
