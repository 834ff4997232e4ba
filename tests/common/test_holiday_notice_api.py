"""The holiday notices through /api/v1/calendar: system admins only, two-person rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.common.workdays import is_working_day
from tests.common.test_holiday_notice_import import NOTICE_2027
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOTICES = "/api/v1/calendar/notices"


@pytest.fixture
def token_for(client: Any, world: Any, password: str) -> Any:
    def issue(username: str) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token",
            {"username": username, "password": password},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


@pytest.fixture
def second_admin(world: Any) -> Any:
    user = UserFactory(username="system_admin_2", display_name="第二系统管理员")
    role_grant(actor=None, user=user, role=Role.SYSTEM_ADMIN)
    return user


def post(client: Any, path: str, headers: dict[str, str], body: Any = None) -> Any:
    return client.post(path, body or {}, content_type="application/json", **headers)


def imported(client: Any, headers: dict[str, str], text: str = NOTICE_2027) -> dict[str, Any]:
    response = post(client, NOTICES, headers, {"text": text})
    assert response.status_code == 201, response.content
    return response.json()


def test_an_imported_notice_is_provisional_and_shows_the_days_that_would_change(
    client, token_for
) -> None:
    notice = imported(client, token_for("system_admin"))
    assert (notice["year"], notice["status"]) == (2027, "provisional")
    assert notice["document_number"] == "国办发明电〔2026〕9号"
    national_day = next(c for c in notice["changes"] if c["date"] == "2027-10-04")
    assert (national_day["before_is_working_day"], national_day["is_working_day"]) == (True, False)
    assert is_working_day(date(2027, 10, 4))


def test_the_importer_cannot_confirm_their_own_notice(client, token_for) -> None:
    headers = token_for("system_admin")
    notice = imported(client, headers)
    response = post(client, f"{NOTICES}/{notice['id']}/confirm", headers)
    assert response.status_code == 403
    assert "双人复核" in response.json()["detail"]
    assert is_working_day(date(2027, 10, 4))


def test_another_admin_confirming_changes_the_calendar(client, token_for, second_admin) -> None:
    notice = imported(client, token_for("system_admin"))
    response = post(client, f"{NOTICES}/{notice['id']}/confirm", token_for("system_admin_2"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response.json()["confirmed_by_name"] == "第二系统管理员"
    assert not is_working_day(date(2027, 10, 4))
    assert is_working_day(date(2027, 2, 20))


def test_a_confirmed_notice_withdrawn_takes_its_days_back(client, token_for, second_admin) -> None:
    notice = imported(client, token_for("system_admin"))
    post(client, f"{NOTICES}/{notice['id']}/confirm", token_for("system_admin_2"))
    response = post(client, f"{NOTICES}/{notice['id']}/withdraw", token_for("system_admin"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    assert is_working_day(date(2027, 10, 4))  # Monday–Friday again
    assert not is_working_day(date(2027, 2, 20))


def test_a_withdrawn_notice_cannot_be_withdrawn_again(client, token_for) -> None:
    headers = token_for("system_admin")
    notice = imported(client, headers)
    post(client, f"{NOTICES}/{notice['id']}/withdraw", headers)
    assert post(client, f"{NOTICES}/{notice['id']}/withdraw", headers).status_code == 409


def test_a_provisional_notice_can_be_withdrawn(client, token_for) -> None:
    headers = token_for("system_admin")
    notice = imported(client, headers)
    response = post(client, f"{NOTICES}/{notice['id']}/withdraw", headers)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_the_same_text_imported_twice_is_a_conflict(client, token_for) -> None:
    headers = token_for("system_admin")
    imported(client, headers)
    assert post(client, NOTICES, headers, {"text": NOTICE_2027}).status_code == 409


def test_a_text_that_cannot_be_read_is_refused_naming_the_line(client, token_for) -> None:
    text = NOTICE_2027.replace("6月9日（周三）", "6月9日（周四）")
    response = post(client, NOTICES, token_for("system_admin"), {"text": text})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("第10行无法解析")
    assert "五、端午节" in body["field_errors"]["text"][0]


def test_admins_list_the_notices_page_by_page(client, token_for) -> None:
    headers = token_for("system_admin")
    notice = imported(client, headers)
    response = client.get(NOTICES, **headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"]) == (1, 1, 1)
    assert [item["id"] for item in body["items"]] == [notice["id"]]


def test_an_unknown_notice_is_not_found(client, token_for) -> None:
    headers = token_for("system_admin")
    assert client.get(f"{NOTICES}/999999", **headers).status_code == 404
    assert post(client, f"{NOTICES}/999999/confirm", headers).status_code == 404
    assert post(client, f"{NOTICES}/999999/withdraw", headers).status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "enterprise", "security_admin"])
def test_only_system_admins_reach_the_notices(client, token_for, role) -> None:
    notice = imported(client, token_for("system_admin"))
    headers = token_for(role)
    assert client.get(NOTICES, **headers).status_code == 403
    assert client.get(f"{NOTICES}/{notice['id']}", **headers).status_code == 403
    assert post(client, NOTICES, headers, {"text": NOTICE_2027}).status_code == 403
    assert post(client, f"{NOTICES}/{notice['id']}/confirm", headers).status_code == 403


def test_without_a_token_the_notices_answer_401(client, world) -> None:
    assert client.get(NOTICES).status_code == 401
