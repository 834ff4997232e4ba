"""Users and role grants through /api/v1: the three-admin separation (三员分立) holds there too.

The system admin creates users and grants nothing; the security admin grants and revokes
roles (never to himself, never a second admin duty); the audit admin does neither.
"""

from __future__ import annotations

import pytest

from qinqing.accounts.models import Role, RoleAssignment, User
from qinqing.audit.models import AuditEntry

from ..factories import UserFactory

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


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def test_the_system_and_security_admins_list_users_with_their_roles(client, token_for) -> None:
    for admin in ("system_admin", "security_admin"):
        page = client.get("/api/v1/users?role=steward", **token_for(admin)).json()
        assert page["count"] == 1 and page["next"] is None
        steward = page["items"][0]
        assert steward["username"] == "steward"
        assert steward["roles"][0]["scope"] == "古林第一网格"
        assert steward["roles"][0]["granted_at"].endswith("+08:00")


@pytest.mark.parametrize("role", ["audit_admin", "enterprise", "coordinator", "supervisor"])
def test_no_one_else_lists_users(client, token_for, role) -> None:
    response = client.get("/api/v1/users", **token_for(role))
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有执行此操作的权限。"


def test_the_user_list_pages_with_a_next_link(client, token_for, settings) -> None:
    settings.DIRECTORY_PAGE_SIZE = 5
    page = client.get("/api/v1/users?q=", **token_for("security_admin")).json()
    assert page["count"] == User.objects.count() and len(page["items"]) == 5
    assert page["next"] == "/api/v1/users?q=&page=2"
    second = client.get(page["next"], **token_for("security_admin")).json()
    assert {u["id"] for u in second["items"]}.isdisjoint({u["id"] for u in page["items"]})


def test_the_system_admin_creates_a_user_without_roles(client, token_for) -> None:
    response = post(
        client,
        "/api/v1/users",
        {"username": "lina", "display_name": "李娜", "password": "Qinqing#2027x"},
        token_for("system_admin"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/users/{body['id']}"
    assert body["roles"] == [] and body["display_name"] == "李娜"
    assert User.objects.get(username="lina").check_password("Qinqing#2027x")
    assert AuditEntry.objects.filter(action="user.create", object_id=str(body["id"])).exists()
    again = client.get(response["Location"], **token_for("security_admin"))
    assert again.status_code == 200 and again.json()["username"] == "lina"


@pytest.mark.parametrize("role", ["security_admin", "audit_admin", "coordinator"])
def test_only_the_system_admin_creates_users(client, token_for, role) -> None:
    response = post(client, "/api/v1/users", {"username": "lina"}, token_for(role))
    assert response.status_code == 403
    assert not User.objects.filter(username="lina").exists()


def test_a_taken_username_is_a_conflict_and_a_weak_password_is_refused_in_chinese(
    client, token_for
) -> None:
    headers = token_for("system_admin")
    taken = post(client, "/api/v1/users", {"username": "steward"}, headers)
    assert taken.status_code == 409
    assert taken.json()["detail"] == "用户名“steward”已存在。"
    weak = post(client, "/api/v1/users", {"username": "lina", "password": "123"}, headers)
    assert weak.status_code == 422
    assert "password" in weak.json()["field_errors"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in weak.json()["detail"])
    empty = post(client, "/api/v1/users", {"username": ""}, headers)
    assert empty.status_code == 422
    assert empty.json()["detail"] == "输入有误，请检查后重试。"


def test_the_security_admin_grants_and_revokes_a_role(client, token_for, world) -> None:
    target = UserFactory(username="newbie")
    headers = token_for("security_admin")
    granted = post(
        client,
        f"/api/v1/users/{target.pk}/roles",
        {"role": "steward", "region_code": world.grid_b.code},
        headers,
    )
    assert granted.status_code == 201, granted.content
    grant = granted.json()
    assert granted["Location"] == f"/api/v1/roles/{grant['id']}"
    assert grant["scope"] == world.grid_b.name and grant["region_id"] == world.grid_b.pk
    assert client.get(granted["Location"], **headers).json()["role"] == "steward"
    revoked = client.delete(granted["Location"], **headers)
    assert revoked.status_code == 204
    assert not RoleAssignment.objects.filter(user=target).exists()
    assert AuditEntry.objects.filter(action="role.revoke", object_id=str(target.pk)).exists()
    assert client.get(granted["Location"], **headers).status_code == 404


@pytest.mark.parametrize("role", ["system_admin", "audit_admin"])
def test_other_admins_neither_grant_nor_revoke(client, token_for, world, role) -> None:
    target = UserFactory(username="newbie")
    response = post(
        client,
        f"/api/v1/users/{target.pk}/roles",
        {"role": "steward", "region_code": world.grid_b.code},
        token_for(role),
    )
    assert response.status_code == 403
    assignment = RoleAssignment.objects.get(user=world.users["steward"])
    assert client.delete(f"/api/v1/roles/{assignment.pk}", **token_for(role)).status_code == 403
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_security_admin_cannot_grant_himself_a_role(client, token_for, world) -> None:
    me = world.users["security_admin"]
    response = post(
        client,
        f"/api/v1/users/{me.pk}/roles",
        {"role": "supervisor", "region_code": world.district.code},
        token_for("security_admin"),
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "不能给自己授予角色。"


def test_no_account_holds_two_admin_duties(client, token_for, world) -> None:
    response = post(
        client,
        f"/api/v1/users/{world.users['system_admin'].pk}/roles",
        {"role": "audit_admin"},
        token_for("security_admin"),
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "三员分立：同一账户不能同时担任两种管理员角色。"
    assert not RoleAssignment.objects.filter(
        user=world.users["system_admin"], role=Role.AUDIT_ADMIN
    ).exists()


def test_a_grant_needs_the_right_scope_in_chinese(client, token_for, world) -> None:
    target = UserFactory(username="newbie")
    headers = token_for("security_admin")
    url = f"/api/v1/users/{target.pk}/roles"
    missing = post(client, url, {"role": "steward"}, headers)
    assert missing.status_code == 422
    assert missing.json()["detail"] == "角色“管家”须且只须指定一个区域。"
    unknown = post(client, url, {"role": "steward", "region_code": "999"}, headers)
    assert unknown.status_code == 422
    assert unknown.json()["field_errors"]["region_code"] == ["找不到该区域编码。"]
    bad_role = post(client, url, {"role": "king"}, headers)
    assert bad_role.status_code == 422
    assert bad_role.json()["detail"] == "输入有误，请检查后重试。"


def test_unknown_users_and_grants_are_not_found(client, token_for) -> None:
    headers = token_for("security_admin")
    assert client.get("/api/v1/users/999999", **headers).status_code == 404
    grant = post(client, "/api/v1/users/999999/roles", {"role": "audit_admin"}, headers)
    assert grant.status_code == 404
    assert client.delete("/api/v1/roles/999999", **headers).status_code == 404
