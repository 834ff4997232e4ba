from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.services import LoginFailed, login_check
from qinqing.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_user_logs_in_with_username_or_phone(world, password) -> None:
    steward = world.users["steward"]
    steward.phone = "13900001111"
    steward.save()
    assert login_check(request=None, identifier="steward", password=password) == steward
    assert login_check(request=None, identifier="13900001111", password=password) == steward


def test_a_wrong_password_gives_one_message_that_does_not_reveal_whether_the_user_exists(
    world,
) -> None:
    with pytest.raises(LoginFailed) as known:
        login_check(request=None, identifier="steward", password="Wrong#password1")
    with pytest.raises(LoginFailed) as unknown:
        login_check(request=None, identifier="nobody", password="Wrong#password1")
    assert known.value.message == unknown.value.message == "用户名/手机号或密码错误。"


def test_five_failures_lock_the_account_even_against_the_right_password(world, password) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            login_check(request=None, identifier="steward", password="Wrong#password1")
    with pytest.raises(LoginFailed) as locked:
        login_check(request=None, identifier="steward", password=password)
    assert "锁定" in locked.value.message
    assert AuditEntry.objects.filter(action="user.locked", object_id=str(world.users["steward"].pk))


def test_the_lock_ends_after_fifteen_minutes(world, password) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            login_check(request=None, identifier="steward", password="Wrong#password1")
    User.objects.filter(username="steward").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert login_check(request=None, identifier="steward", password=password).username == "steward"


def test_four_failures_then_success_resets_the_count(world, password) -> None:
    for _ in range(4):
        with pytest.raises(LoginFailed):
            login_check(request=None, identifier="steward", password="Wrong#password1")
    login_check(request=None, identifier="steward", password=password)
    assert User.objects.get(username="steward").failed_login_count == 0


@override_settings(LOGIN_LOCKOUT_THRESHOLD=2)
def test_the_threshold_is_configurable(world, password) -> None:
    for _ in range(2):
        with pytest.raises(LoginFailed):
            login_check(request=None, identifier="steward", password="Wrong#password1")
    assert User.objects.get(username="steward").is_locked()


def test_a_deactivated_user_is_told_so(world, password) -> None:
    User.objects.filter(username="steward").update(is_active=False)
    with pytest.raises(LoginFailed) as stopped:
        login_check(request=None, identifier="steward", password=password)
    assert "停用" in stopped.value.message


def test_the_login_page_keeps_the_username_and_shows_the_error(client, world) -> None:
    response = client.post(
        "/accounts/login/", {"username": "steward", "password": "Wrong#password1"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "用户名/手机号或密码错误" in body
    assert 'value="steward"' in body


def test_login_redirects_only_to_local_pages(client, world, password) -> None:
    response = client.post(
        "/accounts/login/",
        {"username": "steward", "password": password, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_session_expires_after_thirty_idle_minutes(client, world, password, settings) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    client.post("/accounts/login/", {"username": "steward", "password": password})
    assert client.get("/").status_code == 200
    assert client.session.get_expiry_age() == 30 * 60


def test_anonymous_visitors_are_sent_to_the_login_page(client, db) -> None:
    response = client.get("/directory/enterprises/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
