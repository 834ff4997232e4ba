"""The administrators' day settings through /api/v1/calendar/days: the web's /calendar/ form."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.common.models import CalendarDay
from qinqing.common.workdays import is_working_day

pytestmark = pytest.mark.django_db

DAYS = "/api/v1/calendar/days"


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


def post(client: Any, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(DAYS, body, content_type="application/json", **headers)


def test_the_system_admin_sets_a_holiday_range_and_the_calendar_follows(
    client: Any, token_for: Any
) -> None:
    headers = token_for("system_admin")
    response = post(
        client,
        {
            "date": "2031-02-01",
            "until": "2031-02-03",
            "is_working_day": False,
            "name": "春节",
            "note": "国办发明电〔2030〕1号",
        },
        headers,
    )
    assert response.status_code == 201, response.content
    assert response["Location"] == f"{DAYS}/2031-02-01"
    body = response.json()
    assert body["count"] == 3
    assert [d["date"] for d in body["items"]] == ["2031-02-01", "2031-02-02", "2031-02-03"]
    assert body["items"][0]["updated_at"].endswith("+08:00")
    assert not is_working_day(date(2031, 2, 3))  # a Monday, now a holiday
    page = client.get(f"{DAYS}?year=2031", **headers).json()
    assert page["count"] == 3 and page["next"] is None
    one = client.get(response["Location"], **headers)
    assert one.status_code == 200 and one.json()["name"] == "春节"
    assert AuditEntry.objects.filter(action="calendar.set").count() == 3


def test_a_setting_is_overridden_and_deleted(client: Any, token_for: Any) -> None:
    headers = token_for("system_admin")
    post(client, {"date": "2031-02-08", "is_working_day": False, "name": "春节"}, headers)
    changed = post(
        client, {"date": "2031-02-08", "is_working_day": True, "name": "调休上班"}, headers
    )
    assert changed.status_code == 201
    assert CalendarDay.objects.get(date=date(2031, 2, 8)).is_working_day is True
    gone = client.delete(f"{DAYS}/2031-02-08", **headers)
    assert gone.status_code == 204
    assert not CalendarDay.objects.exists()
    assert client.get(f"{DAYS}/2031-02-08", **headers).status_code == 404
    assert client.delete(f"{DAYS}/2031-02-08", **headers).status_code == 404
    assert AuditEntry.objects.filter(action="calendar.delete").count() == 1


@pytest.mark.parametrize("role", ["security_admin", "audit_admin", "coordinator", "enterprise"])
def test_only_the_system_admin_touches_the_calendar(client: Any, token_for: Any, role: str) -> None:
    CalendarDay.objects.create(date=date(2031, 5, 1), is_working_day=False, name="劳动节")
    headers = token_for(role)
    response = post(client, {"date": "2031-05-02", "is_working_day": False, "name": "x"}, headers)
    assert response.status_code == 403
    assert client.get(f"{DAYS}?year=2031", **headers).status_code == 403
    assert client.delete(f"{DAYS}/2031-05-01", **headers).status_code == 403
    assert CalendarDay.objects.count() == 1


def test_bad_input_is_refused_in_chinese(client: Any, token_for: Any) -> None:
    headers = token_for("system_admin")
    backwards = post(
        client,
        {"date": "2031-02-03", "until": "2031-02-01", "is_working_day": False, "name": "春节"},
        headers,
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"] == "结束日期不能早于开始日期。"
    too_long = post(
        client,
        {"date": "2031-01-01", "until": "2031-03-01", "is_working_day": False, "name": "长假"},
        headers,
    )
    assert too_long.status_code == 422 and too_long.json()["detail"] == "一次最多设置31天。"
    nameless = post(client, {"date": "2031-01-01", "is_working_day": False, "name": " "}, headers)
    assert nameless.status_code == 422
    assert nameless.json()["detail"] == "请填写名称，如“春节”或“调休上班”。"
    no_date = post(client, {"date": "2031-02-30", "is_working_day": False, "name": "x"}, headers)
    assert no_date.status_code == 422 and no_date.json()["detail"] == "输入有误，请检查后重试。"
    assert client.get(f"{DAYS}?year=1900", **headers).status_code == 422
    assert client.get(DAYS, **headers).json()["count"] == 0  # this year, by default
    assert not CalendarDay.objects.exists()
