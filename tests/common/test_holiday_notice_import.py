"""The State Council's notice imported as a provisional schedule, confirmed by a second admin."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.holiday_notice import parse_notice
from qinqing.common.models import CalendarDay, HolidayNotice
from qinqing.common.selectors import holiday_notice_diff
from qinqing.common.services import (
    calendar_day_set,
    holiday_notice_confirm,
    holiday_notice_import,
    holiday_notice_withdraw,
)
from qinqing.common.workdays import is_working_day
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# A test fixture, NOT a published notice: a plausible 2027 notice written in the grammar of
# the real ones (tests/common/holiday_notices/2026.txt), with the weekdays of 2027.
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
国办发明电〔2026〕9号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（农历正月初一、周六）至14日（农历正月初九、周日）放假调休，共9天。1月31日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假1天，不调休。
六、中秋节：9月15日（周三）放假1天，不调休。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。

国务院办公厅
2026年11月10日
"""

#: the same fixture, corrected: 劳动节 shortened to three days without make-up working days
CORRECTED_2027 = NOTICE_2027.replace("国办发明电〔2026〕9号", "国办发明电〔2026〕10号").replace(
    "四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。",
    "四、劳动节：5月1日（周六）至3日（周一）放假，共3天。",
)

OTHER_ROLES = sorted(role.value for role in Role if role != Role.SYSTEM_ADMIN)


@pytest.fixture
def admin(world):
    return world.users["system_admin"]


@pytest.fixture
def second_admin(world):
    user = UserFactory(username="system_admin_2", display_name="第二系统管理员")
    role_grant(actor=None, user=user, role=Role.SYSTEM_ADMIN)
    return user


def imported(admin, text: str = NOTICE_2027) -> HolidayNotice:
    return holiday_notice_import(actor=admin, text=text)


# --- import --------------------------------------------------------------------------------


def test_an_imported_notice_is_provisional_and_changes_no_day(admin) -> None:
    notice = imported(admin)
    assert (notice.year, notice.status, notice.imported_by) == (2027, "provisional", admin)
    assert notice.document_number == "国办发明电〔2026〕9号"
    assert len(notice.schedule["holidays"]) == 29 and len(notice.schedule["workdays"]) == 6
    assert not CalendarDay.objects.exists()
    assert is_working_day(date(2027, 10, 4))  # Monday–Friday until confirmed
    assert AuditEntry.objects.filter(action="calendar.notice_import").count() == 1


def test_the_same_text_is_not_imported_twice_for_a_year(admin) -> None:
    first = imported(admin)
    with pytest.raises(Conflict) as refused:
        imported(admin, NOTICE_2027.replace("\n", "\r\n"))
    assert "已导入" in refused.value.message and str(first.pk) in refused.value.message
    assert HolidayNotice.objects.count() == 1


def test_a_withdrawn_text_may_be_imported_again(admin) -> None:
    holiday_notice_withdraw(actor=admin, notice_id=imported(admin).pk)
    assert imported(admin).status == "provisional"


def test_a_text_that_cannot_be_read_is_refused_naming_the_line(admin) -> None:
    text = NOTICE_2027.replace("6月9日（周三）", "6月9日（周四）")
    with pytest.raises(ServiceError) as refused:
        imported(admin, text)
    assert refused.value.message.startswith("第10行无法解析")
    assert "五、端午节" in refused.value.field_errors["text"][0]
    assert not HolidayNotice.objects.exists()


def test_the_diff_lists_the_2027_days_that_differ_from_monday_to_friday(admin) -> None:
    schedule = parse_notice(NOTICE_2027)
    expected = {d for d in schedule.holidays if d.weekday() < 5} | set(schedule.workdays)
    changes = holiday_notice_diff(imported(admin))
    assert {c.day for c in changes} == expected
    national_day = next(c for c in changes if c.day == date(2027, 10, 4))
    assert (national_day.before.is_working_day, national_day.before.source) == (True, "fallback")
    assert (national_day.is_working_day, national_day.name) == (False, "国庆节")
    make_up = next(c for c in changes if c.day == date(2027, 2, 20))
    assert (make_up.before.is_working_day, make_up.is_working_day, make_up.name) == (
        False,
        True,
        "调休上班",
    )


def test_the_diff_counts_an_admin_setting_as_the_status_now(admin) -> None:
    calendar_day_set(actor=admin, day=date(2027, 10, 4), is_working_day=False, name="国庆节")
    days = {c.day for c in holiday_notice_diff(imported(admin))}
    assert date(2027, 10, 4) not in days and date(2027, 10, 5) in days


# --- confirm -------------------------------------------------------------------------------


def test_the_admin_who_imported_cannot_confirm(admin) -> None:
    notice = imported(admin)
    with pytest.raises(NotPermitted) as refused:
        holiday_notice_confirm(actor=admin, notice_id=notice.pk)
    assert "另一位系统管理员" in refused.value.message
    notice.refresh_from_db()
    assert notice.status == "provisional" and not CalendarDay.objects.exists()


def test_the_database_refuses_a_notice_confirmed_by_its_importer(admin) -> None:
    notice = imported(admin)
    notice.status, notice.confirmed_by = "confirmed", admin
    with pytest.raises(IntegrityError), transaction.atomic():
        notice.save()


def test_another_admin_confirms_and_the_calendar_follows_the_notice(admin, second_admin) -> None:
    notice = holiday_notice_confirm(actor=second_admin, notice_id=imported(admin).pk)
    assert (notice.status, notice.confirmed_by) == ("confirmed", second_admin)
    schedule = parse_notice(NOTICE_2027)
    day = date(2027, 1, 1)
    while day.year == 2027:
        expected = day in schedule.workdays or (day.weekday() < 5 and day not in schedule.holidays)
        assert is_working_day(day) == expected, day
        day += timedelta(days=1)
    spring = CalendarDay.objects.get(date=date(2027, 2, 8))
    assert (spring.is_working_day, spring.name, spring.note) == (
        False,
        "春节",
        "国办发明电〔2026〕9号",
    )
    assert CalendarDay.objects.get(date=date(2027, 5, 8)).name == "调休上班"
    assert AuditEntry.objects.filter(action="calendar.notice_confirm").count() == 1
    assert AuditEntry.objects.filter(action="calendar.set").count() == 35


def test_confirming_withdraws_the_other_provisional_notices_of_the_year(
    admin, second_admin
) -> None:
    first, corrected = imported(admin), imported(admin, CORRECTED_2027)
    holiday_notice_confirm(actor=second_admin, notice_id=corrected.pk)
    first.refresh_from_db()
    assert first.status == "withdrawn"
    with pytest.raises(Conflict):
        holiday_notice_confirm(actor=second_admin, notice_id=first.pk)


def test_a_confirmed_correction_replaces_the_days_of_the_earlier_notice(
    admin, second_admin
) -> None:
    earlier = holiday_notice_confirm(actor=second_admin, notice_id=imported(admin).pk)
    corrected = imported(admin, CORRECTED_2027)
    changes = {c.day: c.is_working_day for c in holiday_notice_diff(corrected)}
    assert changes == {
        date(2027, 4, 25): False,
        date(2027, 5, 4): True,
        date(2027, 5, 5): True,
        date(2027, 5, 8): False,
    }

    holiday_notice_confirm(actor=second_admin, notice_id=corrected.pk)

    earlier.refresh_from_db()
    assert earlier.status == "withdrawn"
    assert HolidayNotice.objects.get(status="confirmed") == corrected
    for day, working in changes.items():
        assert is_working_day(day) == working
        assert not CalendarDay.objects.filter(date=day).exists()
    assert CalendarDay.objects.get(date=date(2027, 5, 3)).note == "国办发明电〔2026〕10号"


def test_the_database_keeps_one_confirmed_notice_per_year(admin, second_admin) -> None:
    holiday_notice_confirm(actor=second_admin, notice_id=imported(admin).pk)
    other = imported(admin, CORRECTED_2027)
    other.status, other.confirmed_by = "confirmed", second_admin
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_a_provisional_notice_can_be_withdrawn_once(admin) -> None:
    notice = holiday_notice_withdraw(actor=admin, notice_id=imported(admin).pk)
    assert notice.status == "withdrawn"
    assert AuditEntry.objects.filter(action="calendar.notice_withdraw").count() == 1
    with pytest.raises(Conflict):
        holiday_notice_withdraw(actor=admin, notice_id=notice.pk)


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_system_admins_import_confirm_or_withdraw(world, admin, role) -> None:
    actor = world.users[role]
    with pytest.raises(NotPermitted):
        imported(actor)
    notice = imported(admin)
    with pytest.raises(NotPermitted):
        holiday_notice_confirm(actor=actor, notice_id=notice.pk)
    with pytest.raises(NotPermitted):
        holiday_notice_withdraw(actor=actor, notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.status == "provisional" and not CalendarDay.objects.exists()


# --- the command ---------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def notice_file(tmp_path: Path) -> Path:
    path = tmp_path / "notice-2027.txt"
    path.write_text(NOTICE_2027, encoding="utf-8")
    return path


def test_the_command_imports_and_prints_the_counts_and_the_diff(admin, notice_file) -> None:
    out = run("notice", "import", str(notice_file), "--actor", "system_admin")
    notice = HolidayNotice.objects.get()
    assert f"已导入通知 #{notice.pk}（待确认）" in out
    assert "2027 年，放假 29 天，调休上班 6 天" in out
    assert "2027-10-04 周一 上班 → 休息（国庆节）" in out
    assert "2027-02-20 周六 休息 → 上班（调休上班）" in out


def test_the_command_refuses_a_duplicate_and_the_importer_confirming(admin, notice_file) -> None:
    run("notice", "import", str(notice_file), "--actor", "system_admin")
    with pytest.raises(CommandError, match="已导入"):
        run("notice", "import", str(notice_file), "--actor", "system_admin")
    notice_id = str(HolidayNotice.objects.get().pk)
    with pytest.raises(CommandError, match="另一位系统管理员"):
        run("notice", "confirm", notice_id, "--actor", "system_admin")


def test_calendar_status_fails_until_next_year_has_a_confirmed_schedule(
    admin, second_admin, notice_file
) -> None:
    assert "2026 年：chinese-calendar" in run("status", "--today", "2026-10-01")  # 2027 too far
    with pytest.raises(CommandError, match="2027 年尚无确认的放假安排"):
        run("status", "--today", "2026-12-08", "--days", "60")

    run("notice", "import", str(notice_file), "--actor", "system_admin")
    with pytest.raises(CommandError):  # provisional is not enough
        run("status", "--today", "2026-12-08")
    notice_id = str(HolidayNotice.objects.get().pk)
    assert "已确认" in run("notice", "confirm", notice_id, "--actor", "system_admin_2")

    out = run("status", "--today", "2026-12-08", "--days", "60")
    assert "2027 年：已确认国务院办公厅通知（国办发明电〔2026〕9号）" in out


# --- the page ------------------------------------------------------------------------------


def test_an_admin_pastes_a_notice_and_sees_it_provisional_with_its_diff(client, admin) -> None:
    client.force_login(admin)
    response = client.post("/calendar/notices/?year=2026", {"text": NOTICE_2027})
    assert response.status_code == 302 and response["Location"].endswith("year=2027")
    body = client.get(response["Location"]).content.decode()
    notice = HolidayNotice.objects.get()
    assert f'data-notice="{notice.pk}" data-status="provisional"' in body
    assert 'data-date="2027-10-04"' in body and "国办发明电〔2026〕9号" in body
    assert "须由另一位系统管理员确认" in body
    assert f"/calendar/notices/{notice.pk}/confirm/" not in body


def test_a_bad_text_shows_the_parse_error_and_keeps_the_text(client, admin) -> None:
    client.force_login(admin)
    text = NOTICE_2027.replace("6月9日（周三）", "6月9日（周四）")
    response = client.post("/calendar/notices/?year=2027", {"text": text})
    body = response.content.decode()
    assert response.status_code == 200
    assert "第10行无法解析" in body and "6月9日（周四）放假1天" in body
    assert not HolidayNotice.objects.exists()


def test_a_second_admin_confirms_on_the_page(client, admin, second_admin) -> None:
    notice = imported(admin)
    client.force_login(admin)
    refused = client.post(f"/calendar/notices/{notice.pk}/confirm/", {"year": "2027"})
    assert refused.status_code == 302
    notice.refresh_from_db()
    assert notice.status == "provisional"
    client.force_login(second_admin)
    response = client.post(f"/calendar/notices/{notice.pk}/confirm/", {"year": "2027"})
    body = client.get(response["Location"]).content.decode()
    assert "已确认2027年节假日安排" in body and 'data-status="confirmed"' in body
    assert not is_working_day(date(2027, 10, 4))


def test_an_admin_withdraws_a_provisional_notice_on_the_page(client, admin) -> None:
    notice = imported(admin)
    client.force_login(admin)
    client.post(f"/calendar/notices/{notice.pk}/withdraw/", {"year": "2027"})
    notice.refresh_from_db()
    assert notice.status == "withdrawn"


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_system_admins_reach_the_notice_pages(client, world, admin, role) -> None:
    notice = imported(admin)
    client.force_login(world.users[role])
    assert client.post("/calendar/notices/", {"text": CORRECTED_2027}).status_code == 403
    assert client.post(f"/calendar/notices/{notice.pk}/confirm/").status_code == 403
    assert client.post(f"/calendar/notices/{notice.pk}/withdraw/").status_code == 403
    notice.refresh_from_db()
    assert notice.status == "provisional" and HolidayNotice.objects.count() == 1
