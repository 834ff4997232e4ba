"""The system admin keeps the working-day calendar: the page, the services, the audit."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from qinqing.accounts.models import Role
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.models import CalendarDay
from qinqing.common.services import calendar_day_delete, calendar_day_set, calendar_range_set
from qinqing.common.workdays import is_working_day

pytestmark = pytest.mark.django_db

OTHER_ROLES = sorted(role.value for role in Role if role != Role.SYSTEM_ADMIN)


def form(**changes: str) -> dict[str, str]:
    data = {
        "date": "2031-10-01",
        "until": "",
        "is_working_day": "0",
        "name": "国庆节",
        "note": "国办发明电〔2030〕×号",
    }
    data.update(changes)
    return data


# --- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_the_system_admin_opens_the_calendar_page(client, world, role) -> None:
    client.force_login(world.users[role])
    assert client.get("/calendar/").status_code == 403
    assert client.post("/calendar/", form()).status_code == 403
    assert client.post("/calendar/delete/", {"date": "2031-10-01"}).status_code == 403
    assert not CalendarDay.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db) -> None:
    response = client.get("/calendar/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_the_service_refuses_anyone_but_the_system_admin(world, role) -> None:
    actor = world.users[role]
    with pytest.raises(NotPermitted):
        calendar_day_set(actor=actor, day=date(2031, 10, 1), is_working_day=False, name="国庆节")
    CalendarDay.objects.create(date=date(2031, 10, 2), is_working_day=False, name="国庆节")
    with pytest.raises(NotPermitted):
        calendar_day_delete(actor=actor, day=date(2031, 10, 2))
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [date(2031, 10, 2)]


def test_the_service_refuses_an_unknown_actor(db) -> None:
    with pytest.raises(NotPermitted):
        calendar_day_set(actor=None, day=date(2031, 10, 1), is_working_day=False, name="国庆节")


def test_only_the_system_admin_sees_the_calendar_in_the_menu(client, world) -> None:
    client.force_login(world.users["system_admin"])
    assert 'href="/calendar/"' in client.get("/").content.decode()
    client.force_login(world.users["coordinator"])
    assert 'href="/calendar/"' not in client.get("/").content.decode()


# --- the page ------------------------------------------------------------------------------


def test_the_system_admin_sees_the_package_schedule_of_a_known_year(client, world) -> None:
    client.force_login(world.users["system_admin"])
    body = client.get("/calendar/", {"year": "2026"}).content.decode()
    assert "2026-10-10" in body and "国庆节调休上班" in body
    assert "calendar-fallback" not in body


def test_the_page_warns_when_the_package_does_not_know_the_year(client, world) -> None:
    client.force_login(world.users["system_admin"])
    body = client.get("/calendar/", {"year": "2031"}).content.decode()
    assert "calendar-fallback" in body and "未收录 2031 年" in body


def test_the_system_admin_adds_a_holiday_and_it_counts_at_once(client, world) -> None:
    client.force_login(world.users["system_admin"])
    assert is_working_day(date(2031, 10, 1))  # Mon-Fri fallback
    response = client.post("/calendar/?year=2031", form())
    assert response.status_code == 302 and response["Location"].endswith("year=2031")
    setting = CalendarDay.objects.get(date=date(2031, 10, 1))
    assert (setting.is_working_day, setting.name, setting.created_by) == (
        False,
        "国庆节",
        world.users["system_admin"],
    )
    assert not is_working_day(date(2031, 10, 1))
    body = client.get(response["Location"]).content.decode()
    assert "已设置1天" in body and 'data-date="2031-10-01"' in body


def test_the_system_admin_sets_a_whole_holiday_in_one_go(client, world) -> None:
    client.force_login(world.users["system_admin"])
    client.post("/calendar/", form(date="2031-10-01", until="2031-10-07"))
    assert CalendarDay.objects.filter(is_working_day=False, name="国庆节").count() == 7
    assert AuditEntry.objects.filter(action="calendar.set").count() == 7


def test_the_system_admin_marks_a_make_up_saturday_as_a_working_day(client, world) -> None:
    client.force_login(world.users["system_admin"])
    client.post("/calendar/", form(date="2031-10-11", is_working_day="1", name="调休上班"))
    assert is_working_day(date(2031, 10, 11))


def test_setting_a_day_again_overrides_it(client, world) -> None:
    client.force_login(world.users["system_admin"])
    client.post("/calendar/", form())
    client.post("/calendar/", form(is_working_day="1", name="调休上班"))
    setting = CalendarDay.objects.get()
    assert setting.is_working_day and setting.name == "调休上班"


def test_a_bad_date_is_explained_in_chinese_and_the_other_input_is_kept(client, world) -> None:
    client.force_login(world.users["system_admin"])
    response = client.post("/calendar/", form(date="2031-02-30", note="待国办通知"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "日期无效" in body
    assert 'value="国庆节"' in body and 'value="待国办通知"' in body
    assert 'value="2031-02-30"' in body
    assert not CalendarDay.objects.exists()


def test_a_range_that_ends_before_it_starts_is_refused(client, world) -> None:
    client.force_login(world.users["system_admin"])
    body = client.post("/calendar/", form(until="2031-09-30")).content.decode()
    assert "结束日期不能早于开始日期" in body and 'value="国庆节"' in body
    assert not CalendarDay.objects.exists()


def test_a_missing_name_is_asked_for(client, world) -> None:
    client.force_login(world.users["system_admin"])
    body = client.post("/calendar/", form(name="")).content.decode()
    assert "请填写名称" in body and 'value="2031-10-01"' in body
    assert not CalendarDay.objects.exists()


def test_the_system_admin_deletes_a_setting_and_the_package_decides_again(client, world) -> None:
    client.force_login(world.users["system_admin"])
    client.post("/calendar/", form(date="2026-10-05", is_working_day="1", name="值班"))
    assert is_working_day(date(2026, 10, 5))
    response = client.post("/calendar/delete/", {"date": "2026-10-05"})
    assert response.status_code == 302 and response["Location"].endswith("year=2026")
    assert not CalendarDay.objects.exists()
    assert not is_working_day(date(2026, 10, 5))  # National Day again


def test_deleting_a_day_without_a_setting_is_explained(client, world) -> None:
    client.force_login(world.users["system_admin"])
    response = client.post("/calendar/delete/", {"date": "2031-10-01"}, follow=True)
    assert "没有管理员设置" in response.content.decode()


# --- the audit -----------------------------------------------------------------------------


def test_every_set_and_delete_leaves_an_audit_entry(world) -> None:
    admin = world.users["system_admin"]
    setting = calendar_day_set(
        actor=admin, day=date(2031, 10, 1), is_working_day=False, name="国庆节"
    )
    calendar_day_set(actor=admin, day=date(2031, 10, 1), is_working_day=True, name="调休上班")
    calendar_day_delete(actor=admin, day=date(2031, 10, 1))
    entries = list(
        AuditEntry.objects.filter(action__startswith="calendar.")
        .order_by("seq")
        .values("action", "actor_id", "object_id", "changes")
    )
    assert [e["action"] for e in entries] == ["calendar.set", "calendar.set", "calendar.delete"]
    assert {e["actor_id"] for e in entries} == {admin.pk}
    assert {e["object_id"] for e in entries} == {str(setting.pk)}
    assert entries[0]["changes"]["before"] == {}
    assert entries[1]["changes"]["before"]["is_working_day"] is False
    assert entries[1]["changes"]["after"]["is_working_day"] is True
    assert entries[2]["changes"]["before"]["name"] == "调休上班"


def test_a_refused_range_sets_nothing(world) -> None:
    with pytest.raises(ServiceError):
        calendar_range_set(
            actor=world.users["system_admin"],
            first=date(2031, 1, 1),
            last=date(2031, 3, 1),
            is_working_day=False,
            name="太长",
        )
    assert not CalendarDay.objects.exists()
    assert not AuditEntry.objects.filter(action="calendar.set").exists()


# --- the command -----------------------------------------------------------------------------


def test_the_system_admin_enters_a_year_with_the_command(world) -> None:
    out = StringIO()
    call_command(
        "calendar",
        "set",
        "2031-10-01..2031-10-03",
        "--off",
        "--name",
        "国庆节",
        "--actor",
        world.users["system_admin"].username,
        stdout=out,
    )
    call_command(
        "calendar",
        "set",
        "2031-10-11",
        "--working",
        "--name",
        "调休上班",
        "--actor",
        world.users["system_admin"].username,
        stdout=out,
    )
    assert not is_working_day(date(2031, 10, 2)) and is_working_day(date(2031, 10, 11))
    assert AuditEntry.objects.filter(action="calendar.set").count() == 4
    call_command("calendar", "unset", "2031-10-11", "--actor", world.users["system_admin"].username)
    assert not is_working_day(date(2031, 10, 11))


def test_the_command_refuses_anyone_but_the_system_admin(world) -> None:
    with pytest.raises(CommandError, match="只有系统管理员"):
        call_command(
            "calendar",
            "set",
            "2031-10-01",
            "--off",
            "--name",
            "国庆节",
            "--actor",
            world.users["coordinator"].username,
        )
    assert not CalendarDay.objects.exists()
