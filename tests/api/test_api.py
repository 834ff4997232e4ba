from __future__ import annotations

import pytest

from qinqing.accounts.models import ApiToken

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


def test_a_token_is_issued_for_the_right_password_and_stored_only_as_a_digest(
    client, world, password
) -> None:
    response = client.post(
        "/api/v1/auth/token",
        {"username": "steward", "password": password},
        content_type="application/json",
    )
    raw = response.json()["token"]
    assert not ApiToken.objects.filter(digest=raw).exists()
    assert ApiToken.objects.filter(digest=ApiToken.hash(raw)).exists()


def test_a_wrong_password_gets_401_with_a_chinese_message(client, world) -> None:
    response = client.post(
        "/api/v1/auth/token",
        {"username": "steward", "password": "Wrong#password1"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "用户名/手机号或密码错误。"


def test_messages_follow_accept_language(client, world) -> None:
    response = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_without_a_token_the_api_answers_401(client, world) -> None:
    assert client.get("/api/v1/enterprises").status_code == 401
    bad = client.get("/api/v1/enterprises", HTTP_AUTHORIZATION="Bearer nonsense")
    assert bad.status_code == 401


def test_a_steward_lists_only_the_grid_firms_with_masked_phones(client, token_for, world) -> None:
    body = client.get("/api/v1/enterprises", **token_for("steward")).json()
    assert [e["name"] for e in body["items"]] == [world.firm_a.name]
    assert body["items"][0]["contact_phone_masked"] == "138****5678"
    assert "contact_phone" not in body["items"][0]


@pytest.mark.parametrize("role", ["enterprise", "steward", "handler", "official", "observer"])
def test_another_scopes_firm_is_not_found_through_the_api(client, token_for, world, role) -> None:
    headers = token_for(role)
    visible = {e["id"] for e in client.get("/api/v1/enterprises", **headers).json()["items"]}
    for firm in (world.firm_a, world.firm_b, world.firm_other):
        response = client.get(f"/api/v1/enterprises/{firm.pk}", **headers)
        assert response.status_code == (200 if firm.pk in visible else 404)


def test_the_detail_shows_the_phone_and_leaves_an_access_record(client, token_for, world) -> None:
    from qinqing.audit.models import AuditEntry

    headers = token_for("supervisor")
    body = client.get(f"/api/v1/enterprises/{world.firm_a.pk}", **headers).json()
    assert body["contact_phone"] == "13812345678"
    assert AuditEntry.objects.filter(action="enterprise.view", object_id=str(world.firm_a.pk))


def test_filters_are_validated(client, token_for, world) -> None:
    headers = token_for("supervisor")
    bad = client.get("/api/v1/enterprises", {"industry": "Z"}, **headers)
    assert bad.status_code == 422
    assert "industry" in str(bad.json()["field_errors"])
    assert client.get("/api/v1/enterprises", {"region_id": 999999}, **headers).status_code == 404
    above = client.get("/api/v1/enterprises", {"size": "above"}, **headers).json()
    assert [e["name"] for e in above["items"]] == [world.firm_b.name]


def test_regions_and_departments_are_listed(client, token_for, world) -> None:
    headers = token_for("steward")
    regions = client.get("/api/v1/regions", {"parent_id": world.city.pk}, **headers).json()
    assert [r["name"] for r in regions["items"]] == ["海曙区"]
    departments = client.get("/api/v1/departments", **headers).json()
    assert {d["name"] for d in departments["items"]} == {"海曙区市场监督管理局", "高桥镇税务所"}
    assert client.get("/api/v1/departments/999999", **headers).status_code == 404


def test_me_lists_the_roles(client, token_for, world) -> None:
    me = client.get("/api/v1/me", **token_for("steward")).json()
    assert me["roles"][0]["role"] == "steward"
    assert me["roles"][0]["scope"] == "古林第一网格"


#: the operations anyone may call without a token (the index, the conduct lists, the clean
#: enterprises, published policy drafts, the report channel and the token itself)
PUBLIC_PATHS = {
    "/api/v1/auth/token",
    "/api/v1/drafts/public",
    "/api/v1/drafts/public/{draft_id}",
    "/api/v1/integrity/lists",
    "/api/v1/integrity/lists/{code}/versions",
    "/api/v1/integrity/clean",
    "/api/v1/integrity/clean/checklist",
    "/api/v1/reports/challenge",
    "/api/v1/reports/submit",
    "/api/v1/reports/receipt",
    "/api/v1/reports/receipt/follow-up",
    "/api/v1/reports/submit/multipart",
    "/api/v1/reports/receipt/follow-up/multipart",
    "/api/v1/reports/receipt/files/{file_id}",
    "/api/v1/index/periods",
    "/api/v1/index/results/{period}/{level}",
    "/api/v1/index/results/{period}/{level}/regions/{code}",
}


def test_the_openapi_document_declares_every_status_code(client, db) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert codes & {"200", "201", "204"}, (method, path)
            if "security" in operation:  # needs a token: says what happens without one
                assert "401" in codes, (method, path)
            else:  # public on purpose, and only these
                assert path in PUBLIC_PATHS, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)


def test_the_api_docs_page_loads_its_scripts_locally(client, db) -> None:
    body = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in body.lower()
    assert "/static/ninja/" in body
