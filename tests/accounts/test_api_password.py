"""Changing one's own password through /api/v1: the old one first, the same rules as the web."""

from __future__ import annotations

import pytest

from qinqing.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW = "Qinqing#2027new"


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


def change(client, headers, old: str, new: str):
    return client.post(
        "/api/v1/me/password",
        {"old_password": old, "new_password": new},
        content_type="application/json",
        **headers,
    )


def test_a_user_changes_his_password_with_the_old_one(client, world, token_for, password) -> None:
    response = change(client, token_for("enterprise"), password, NEW)

    assert response.status_code == 204
    user = world.users["enterprise"]
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.check_password(password)
    assert AuditEntry.objects.filter(action="user.set_password", actor_id=user.pk).exists()


def test_a_wrong_old_password_is_refused_on_its_field(client, world, token_for, password) -> None:
    response = change(client, token_for("enterprise"), "not-the-password", NEW)

    assert response.status_code == 422
    body = response.json()
    assert body["field_errors"] == {"old_password": ["原密码不正确。"]}
    world.users["enterprise"].refresh_from_db()
    assert world.users["enterprise"].check_password(password)


def test_a_weak_new_password_is_refused_with_the_password_rules(
    client, world, token_for, password
) -> None:
    response = change(client, token_for("steward"), password, "123")

    assert response.status_code == 422
    errors = response.json()["field_errors"]["new_password"]
    assert errors and all(any("\u4e00" <= c <= "\u9fff" for c in e) for e in errors)
    world.users["steward"].refresh_from_db()
    assert world.users["steward"].check_password(password)


def test_without_a_token_no_password_is_changed(client, world, password) -> None:
    assert change(client, {}, password, NEW).status_code == 401


def test_the_web_form_uses_the_same_rules(client, world, password) -> None:
    client.force_login(world.users["enterprise"])
    url = "/accounts/password/"
    wrong = {"old_password": "x", "new_password": NEW, "new_password2": NEW}
    assert "原密码不正确。" in client.post(url, wrong).content.decode()
    weak = {"old_password": password, "new_password": "123", "new_password2": "123"}
    assert "密码太短：至少须有10个字符。" in client.post(url, weak).content.decode()
    good = {"old_password": password, "new_password": NEW, "new_password2": NEW}
    assert client.post(url, good).status_code == 302
    world.users["enterprise"].refresh_from_db()
    assert world.users["enterprise"].check_password(NEW)
