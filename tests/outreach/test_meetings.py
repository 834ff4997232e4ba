"""Meetings as 周华, 陈刚, 王丽, 刘建国, 赵敏 and 孙悦 use them: organise, invite, register,
check in, minutes, follow-up items, reminders and the calendar."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant, token_issue
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI
from qinqing.demands.models import Category, Demand
from qinqing.directory.models import Department, Enterprise
from qinqing.inbox.models import Message
from qinqing.outreach import meetings as svc
from qinqing.outreach.meeting_views import feed_token, ical_fold
from qinqing.outreach.models import FollowUp, Invitation, Meeting, MeetingKind, VisitRule

from ..conftest import World
from ..factories import EnterpriseFactory, UserFactory


def firm_user(enterprise: Enterprise, username: str) -> User:
    user = UserFactory(username=username, display_name=f"{enterprise.name}联系人")
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=enterprise)
    return user


def tax_category() -> Category:
    category, _created = Category.objects.get_or_create(
        code="tax",
        defaults={"name": "税费", "acceptance_days": 1, "response_days": 2, "resolution_days": 5},
    )
    return category


@dataclass
class Desk:
    world: World
    coordinator: User  # 周华, 古林镇
    steward: User  # 陈刚, 古林第一网格
    official: User  # 刘建国, 高桥镇
    supervisor: User  # 孙悦, 海曙区
    firm_a_user: User  # 王丽
    firm_b_user: User
    handler: User  # 赵敏, 海曙区市场监督管理局
    other_handler: User  # 高桥镇税务所

    def meeting(self, **values: Any) -> Meeting:
        start = timezone.now() + dt.timedelta(days=3)
        data: dict[str, Any] = {
            "actor": self.coordinator,
            "kind": MeetingKind.ROUNDTABLE,
            "title": "古林镇第二季度企业座谈会",
            "region": self.world.town,
            "starts_at": start,
            "ends_at": start + dt.timedelta(hours=2),
            "place": "古林镇亲清家园二楼会议室",
            "agenda": "一、企业用工情况\n二、用电增容",
        }
        data.update(values)
        return svc.meeting_create(**data)

    def invite(self, meeting: Meeting, *firms: Enterprise) -> list[Invitation]:
        return svc.meeting_invite(
            actor=meeting.organizer,
            meeting_id=meeting.pk,
            enterprise_ids=[f.pk for f in firms],
        )

    def login(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def desk(world: World) -> Desk:
    handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=handler, role=Role.HANDLER, department=world.department)
    return Desk(
        world=world,
        coordinator=world.users["coordinator"],
        steward=world.users["steward"],
        official=world.users["official"],
        supervisor=world.users["supervisor"],
        firm_a_user=world.users["enterprise"],
        firm_b_user=firm_user(world.firm_b, "firm_b"),
        handler=handler,
        other_handler=world.users["handler"],
    )


def in_past(desk: Desk, **values: Any) -> Meeting:
    """A meeting that started an hour ago (created after the fact, as organisers do)."""
    start = timezone.now() - dt.timedelta(hours=1)
    return desk.meeting(starts_at=start, ends_at=start + dt.timedelta(hours=2), **values)


# --- who organises what ---------------------------------------------------------------------
def test_a_steward_holds_roundtables_in_their_own_grid_only(desk: Desk) -> None:
    w = desk.world
    meeting = desk.meeting(actor=desk.steward, region=w.grid_a, title="第一网格座谈会")
    assert meeting.organizer == desk.steward
    with pytest.raises(ServiceError) as other_grid:
        desk.meeting(actor=desk.steward, region=w.grid_b)
    assert "region" in other_grid.value.field_errors
    with pytest.raises(ServiceError) as dialogue:
        desk.meeting(actor=desk.steward, region=w.grid_a, kind=MeetingKind.DIALOGUE)
    assert "region" in dialogue.value.field_errors


def test_an_official_holds_dialogue_meetings_in_their_region(desk: Desk) -> None:
    w = desk.world
    meeting = desk.meeting(actor=desk.official, region=w.other_town, kind=MeetingKind.DIALOGUE)
    assert meeting.kind == MeetingKind.DIALOGUE
    with pytest.raises(ServiceError):
        desk.meeting(actor=desk.official, region=w.other_town, kind=MeetingKind.JOINT)


def test_joint_meetings_are_called_by_coordinators_and_supervisors_with_departments(
    desk: Desk,
) -> None:
    w = desk.world
    meeting = desk.meeting(
        actor=desk.supervisor,
        region=w.district,
        kind=MeetingKind.JOINT,
        title="海曙区涉企问题联席会议",
        departments=[w.department, w.other_department],
    )
    assert set(meeting.departments.all()) == {w.department, w.other_department}
    # a department of 高桥镇 does not serve 古林镇
    with pytest.raises(ServiceError) as wrong:
        desk.meeting(kind=MeetingKind.JOINT, departments=[w.other_department])
    assert "departments" in wrong.value.field_errors


def test_a_firm_user_cannot_organise_a_meeting(desk: Desk) -> None:
    with pytest.raises(NotPermitted):
        desk.meeting(actor=desk.firm_a_user)


def test_bad_input_is_named_field_by_field_and_nothing_is_stored(desk: Desk) -> None:
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ServiceError) as exc:
        desk.meeting(title="  ", starts_at=start, ends_at=start - dt.timedelta(hours=1), capacity=0)
    errors = exc.value.field_errors
    assert errors["title"] == ["请填写会议名称。"]
    assert errors["ends_at"] == ["结束时间应晚于开始时间。"]
    assert "capacity" in errors
    assert Meeting.objects.count() == 0


# --- invitations, capacity and the waiting list ---------------------------------------------
def test_only_firms_of_the_meetings_region_can_be_invited(desk: Desk) -> None:
    meeting = desk.meeting()
    with pytest.raises(ServiceError) as exc:
        desk.invite(meeting, desk.world.firm_other)
    assert "enterprises" in exc.value.field_errors
    assert not Invitation.objects.exists()


def test_registrations_fill_the_seats_then_the_waiting_list(desk: Desk) -> None:
    w = desk.world
    firm_c = EnterpriseFactory(name="宁波丁电子有限公司", grid=w.grid_a)
    c_user = firm_user(firm_c, "firm_c")
    meeting = desk.meeting(capacity=2)
    a, b, c = desk.invite(meeting, w.firm_a, w.firm_b, firm_c)

    assert (
        svc.invitation_register(actor=desk.firm_a_user, invitation_id=a.pk).status == "registered"
    )
    assert (
        svc.invitation_register(actor=desk.firm_b_user, invitation_id=b.pk).status == "registered"
    )
    third = svc.invitation_register(actor=c_user, invitation_id=c.pk)

    assert third.status == Invitation.Status.WAITLISTED
    assert svc.waitlist_position(third) == 1
    assert svc.seats_taken(meeting) == 2
    with pytest.raises(Conflict):
        svc.invitation_register(actor=desk.firm_a_user, invitation_id=a.pk)


def test_a_decline_gives_the_seat_to_the_first_on_the_waiting_list(
    desk: Desk, django_capture_on_commit_callbacks: Any
) -> None:
    w = desk.world
    firm_c = EnterpriseFactory(name="宁波丁电子有限公司", grid=w.grid_a)
    firm_d = EnterpriseFactory(name="宁波戊五金有限公司", grid=w.grid_b)
    c_user, d_user = firm_user(firm_c, "firm_c"), firm_user(firm_d, "firm_d")
    meeting = desk.meeting(capacity=1)
    a, c, d = desk.invite(meeting, w.firm_a, firm_c, firm_d)
    svc.invitation_register(actor=desk.firm_a_user, invitation_id=a.pk)
    svc.invitation_register(actor=c_user, invitation_id=c.pk)
    svc.invitation_register(actor=d_user, invitation_id=d.pk)

    with django_capture_on_commit_callbacks(execute=True):
        svc.invitation_decline(actor=desk.firm_a_user, invitation_id=a.pk)

    statuses = dict(Invitation.objects.values_list("enterprise_id", "status"))
    assert statuses == {w.firm_a.pk: "declined", firm_c.pk: "registered", firm_d.pk: "waitlisted"}
    assert Message.objects.filter(user=c_user, title__startswith="候补成功").exists()
    assert not Message.objects.filter(user=d_user, title__startswith="候补成功").exists()


def test_declining_from_the_waiting_list_moves_no_one_up(desk: Desk) -> None:
    w = desk.world
    meeting = desk.meeting(capacity=1)
    a, b = desk.invite(meeting, w.firm_a, w.firm_b)
    svc.invitation_register(actor=desk.firm_a_user, invitation_id=a.pk)
    svc.invitation_register(actor=desk.firm_b_user, invitation_id=b.pk)
    svc.invitation_decline(actor=desk.firm_b_user, invitation_id=b.pk)
    a.refresh_from_db()
    assert a.status == Invitation.Status.REGISTERED
    assert svc.seats_taken(meeting) == 1


def test_a_larger_capacity_moves_the_waiting_list_up(desk: Desk) -> None:
    w = desk.world
    meeting = desk.meeting(capacity=1)
    a, b = desk.invite(meeting, w.firm_a, w.firm_b)
    svc.invitation_register(actor=desk.firm_a_user, invitation_id=a.pk)
    svc.invitation_register(actor=desk.firm_b_user, invitation_id=b.pk)
    svc.meeting_update(
        actor=desk.coordinator,
        meeting_id=meeting.pk,
        title=meeting.title,
        region=meeting.region,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=meeting.place,
        capacity=2,
    )
    b.refresh_from_db()
    assert b.status == Invitation.Status.REGISTERED


def test_only_invited_firms_can_register(desk: Desk) -> None:
    w = desk.world
    meeting = desk.meeting()
    (invitation,) = desk.invite(meeting, w.firm_a)
    with pytest.raises(NotPermitted):
        svc.invitation_register(actor=desk.firm_b_user, invitation_id=invitation.pk)
    # an observer of the invited firm reads the meeting but does not answer for the firm
    with pytest.raises(NotPermitted):
        svc.invitation_register(actor=w.users["observer"], invitation_id=invitation.pk)
    client = desk.login(desk.firm_b_user)
    assert client.get(f"/outreach/meetings/{meeting.pk}/").status_code == 404
    assert (
        client.post(f"/outreach/meetings/invitations/{invitation.pk}/register/").status_code == 404
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.INVITED


def test_registration_closes_when_the_meeting_starts(desk: Desk) -> None:
    meeting = in_past(desk)
    (invitation,) = desk.invite(meeting, desk.world.firm_a)
    with pytest.raises(Conflict):
        svc.invitation_register(actor=desk.firm_a_user, invitation_id=invitation.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_registrations_never_exceed_the_capacity(
    transactional_db: Any, world: World
) -> None:
    coordinator = world.users["coordinator"]
    start = timezone.now() + dt.timedelta(days=2)
    meeting = svc.meeting_create(
        actor=coordinator,
        kind=MeetingKind.ROUNDTABLE,
        title="并发报名测试",
        region=world.town,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=3,
    )
    firms = [EnterpriseFactory(name=f"宁波并发{i}有限公司", grid=world.grid_a) for i in range(8)]
    users = [firm_user(f, f"rush{i}") for i, f in enumerate(firms)]
    invitations = svc.meeting_invite(
        actor=coordinator, meeting_id=meeting.pk, enterprise_ids=[f.pk for f in firms]
    )
    by_firm = {i.enterprise_id: i for i in invitations}
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def register(user: User, firm: Enterprise) -> None:
        try:
            barrier.wait(timeout=10)
            svc.invitation_register(actor=user, invitation_id=by_firm[firm.pk].pk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=register, args=(u, f)) for u, f in zip(users, firms, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    statuses = list(Invitation.objects.filter(meeting=meeting).values_list("status", flat=True))
    assert statuses.count("registered") == 3
    assert statuses.count("waitlisted") == 5


# --- attendance, minutes, the roundtable rule -----------------------------------------------
def test_the_organiser_checks_attendees_in_from_the_meeting_day(desk: Desk) -> None:
    w = desk.world
    future = desk.meeting()
    (early,) = desk.invite(future, w.firm_a)
    with pytest.raises(Conflict):
        svc.invitation_check_in(actor=desk.coordinator, invitation_id=early.pk)

    today = in_past(desk, title="今天的座谈会")
    (invitation,) = desk.invite(today, w.firm_a)
    with pytest.raises(NotPermitted):
        svc.invitation_check_in(actor=desk.supervisor, invitation_id=invitation.pk)
    checked = svc.invitation_check_in(actor=desk.coordinator, invitation_id=invitation.pk)
    assert checked.attended and checked.checked_in_at is not None


def test_minutes_before_the_meeting_are_refused(desk: Desk) -> None:
    meeting = desk.meeting()
    with pytest.raises(Conflict):
        svc.meeting_record_minutes(actor=desk.coordinator, meeting_id=meeting.pk, minutes="纪要")


def test_minutes_are_recorded_by_the_organiser_only(desk: Desk) -> None:
    meeting = in_past(desk)
    with pytest.raises(NotPermitted):
        svc.meeting_record_minutes(actor=desk.steward, meeting_id=meeting.pk, minutes="纪要")
    with pytest.raises(ServiceError) as empty:
        svc.meeting_record_minutes(actor=desk.coordinator, meeting_id=meeting.pk, minutes=" ")
    assert empty.value.field_errors == {"minutes": ["请填写会议纪要。"]}
    held = svc.meeting_record_minutes(
        actor=desk.coordinator, meeting_id=meeting.pk, minutes="到会企业12家，议定事项3项。"
    )
    assert held.status == Meeting.Status.HELD


def test_a_held_roundtable_counts_for_the_stewards_quarter(desk: Desk) -> None:
    (before,) = svc.roundtable_progress(user=desk.steward)
    assert (before.held, before.required) == (0, 1)
    meeting = in_past(desk, actor=desk.steward, region=desk.world.grid_a)
    svc.meeting_record_minutes(actor=desk.steward, meeting_id=meeting.pk, minutes="座谈纪要")
    (after,) = svc.roundtable_progress(user=desk.steward)
    assert after.held == 1 and after.met


def test_the_roundtable_rule_is_the_nearest_up_the_tree(desk: Desk) -> None:
    VisitRule.objects.create(region=desk.world.district, roundtables_per_quarter=3)
    VisitRule.objects.create(region=desk.world.town, roundtables_per_quarter=2)
    (progress,) = svc.roundtable_progress(user=desk.steward)
    assert progress.required == 2


def test_the_stewards_meeting_page_shows_this_quarters_roundtables(desk: Desk) -> None:
    page = desk.login(desk.steward).get("/outreach/meetings/")
    assert page.status_code == 200
    assert "已召开 0 / 应召开 1" in page.content.decode()


# --- follow-up items ------------------------------------------------------------------------
def department_item(desk: Desk) -> FollowUp:
    meeting = in_past(desk)
    return svc.follow_up_create(
        actor=desk.coordinator,
        meeting_id=meeting.pk,
        title="协调供电所加快用电增容审批",
        due_on=timezone.localdate() + dt.timedelta(days=10),
        department=desk.world.department,
    )


def test_an_item_needs_an_owner_or_a_department_and_a_due_date(desk: Desk) -> None:
    meeting = in_past(desk)
    with pytest.raises(ServiceError) as exc:
        svc.follow_up_create(actor=desk.coordinator, meeting_id=meeting.pk, title="x", due_on=None)
    assert set(exc.value.field_errors) == {"due_on", "owner"}
    assert not FollowUp.objects.exists()


def test_an_item_for_a_department_is_seen_and_closed_by_its_handler(desk: Desk) -> None:
    item = department_item(desk)
    client = desk.login(desk.handler)
    page = client.get("/outreach/meetings/follow-ups/")
    assert "协调供电所加快用电增容审批" in page.content.decode()
    empty = client.post(
        f"/outreach/meetings/follow-ups/{item.pk}/done/",
        {"from": "list", f"done{item.pk}-result": ""},
    )
    assert empty.status_code == 422
    assert "请填写落实情况。" in empty.content.decode()
    done = client.post(
        f"/outreach/meetings/follow-ups/{item.pk}/done/",
        {"from": "list", f"done{item.pk}-result": "已协调，下周一批复。"},
    )
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.done_at is not None and item.result == "已协调，下周一批复。"


def test_another_departments_handler_neither_sees_nor_closes_the_item(desk: Desk) -> None:
    item = department_item(desk)
    client = desk.login(desk.other_handler)
    assert "协调供电所" not in client.get("/outreach/meetings/follow-ups/").content.decode()
    response = client.post(
        f"/outreach/meetings/follow-ups/{item.pk}/done/", {f"done{item.pk}-result": "办完了"}
    )
    assert response.status_code == 404
    _token, raw = token_issue(user=desk.other_handler)
    api = Client().post(
        f"/api/v1/outreach/follow-ups/{item.pk}/done",
        {"result": "办完了"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert api.status_code == 404
    with pytest.raises(NotPermitted):
        svc.follow_up_complete(actor=desk.other_handler, follow_up_id=item.pk, result="办完了")
    item.refresh_from_db()
    assert item.done_at is None


def test_a_person_made_responsible_reads_the_meeting_and_closes_the_item(desk: Desk) -> None:
    meeting = in_past(desk)
    item = svc.follow_up_create(
        actor=desk.coordinator,
        meeting_id=meeting.pk,
        title="走访三家企业了解用工缺口",
        due_on=timezone.localdate() + dt.timedelta(days=7),
        owner=desk.steward,
    )
    assert svc.meetings_visible_to(desk.steward).filter(pk=meeting.pk).exists()
    svc.follow_up_complete(actor=desk.steward, follow_up_id=item.pk, result="已走访三家。")
    with pytest.raises(Conflict):
        svc.follow_up_complete(actor=desk.steward, follow_up_id=item.pk, result="再办一次")


def test_the_handler_is_told_about_an_item_for_their_department(
    desk: Desk, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        department_item(desk)
    assert Message.objects.filter(user=desk.handler, title__startswith="会议事项").count() == 1
    assert not Message.objects.filter(user=desk.other_handler).exists()


def test_an_item_raised_as_a_demand_links_it(desk: Desk) -> None:
    item = department_item(desk)
    desk.invite(item.meeting, desk.world.firm_a)
    demand = svc.follow_up_raise_demand(
        actor=desk.coordinator,
        follow_up_id=item.pk,
        enterprise=desk.world.firm_a,
        category=tax_category(),
    )
    item.refresh_from_db()
    assert item.demand == demand
    assert demand.enterprise == desk.world.firm_a and demand.channel == "phone"
    assert demand.title == item.title and item.meeting.title in demand.description
    with pytest.raises(Conflict):
        svc.follow_up_raise_demand(
            actor=desk.coordinator,
            follow_up_id=item.pk,
            enterprise=desk.world.firm_a,
            category=tax_category(),
        )


def test_a_demand_is_raised_only_for_an_invited_firm(desk: Desk) -> None:
    item = department_item(desk)
    with pytest.raises(ServiceError) as exc:
        svc.follow_up_raise_demand(
            actor=desk.coordinator,
            follow_up_id=item.pk,
            enterprise=desk.world.firm_b,
            category=tax_category(),
        )
    assert "enterprise" in exc.value.field_errors
    assert not Demand.objects.exists()


# --- reminders ------------------------------------------------------------------------------
def test_reminders_go_out_once_a_day_ahead(desk: Desk) -> None:
    w = desk.world
    soon = timezone.now() + dt.timedelta(hours=5)
    meeting = desk.meeting(starts_at=soon, ends_at=soon + dt.timedelta(hours=2))
    later = desk.meeting(title="下周的座谈会")
    a, _b = desk.invite(meeting, w.firm_a, w.firm_b)
    desk.invite(later, w.firm_a)
    svc.invitation_register(actor=desk.firm_a_user, invitation_id=a.pk)

    assert svc.send_reminders() == 2
    assert svc.send_reminders() == 0

    reminders = Message.objects.filter(source__startswith="outreach.meeting.remind")
    assert sorted(reminders.values_list("user__username", flat=True)) == ["enterprise", "firm_b"]
    assert "即将召开" in reminders.get(user=desk.firm_a_user).body
    assert all(i.reminded_at for i in Invitation.objects.filter(meeting=meeting))
    assert not Invitation.objects.filter(meeting=later, reminded_at__isnull=False).exists()


def test_the_reminder_job_is_scheduled_every_hour() -> None:
    from qinqing.common.management.commands.schedule import periodic_jobs

    assert ("send_meeting_reminders", 3600) in [(n, every) for n, every, _job in periodic_jobs()]


# --- calendar and iCal ----------------------------------------------------------------------
def unfold(body: str) -> list[str]:
    assert "\n" not in body.replace("\r\n", "")
    lines: list[str] = []
    for raw in body.split("\r\n")[:-1]:
        if raw.startswith(" "):
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    return lines


def test_the_ical_of_a_meeting_has_crlf_lines_utc_times_and_a_stable_uid(desk: Desk) -> None:
    start = dt.datetime(2026, 5, 12, 9, 30, tzinfo=SHANGHAI)
    meeting = desk.meeting(
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        title="座谈会：用工, 用电; 融资",
        place="古林镇亲清家园二楼会议室",
    )
    client = desk.login(desk.coordinator)
    response = client.get(f"/outreach/meetings/{meeting.pk}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.endswith("\r\n")
    assert all(len(raw.encode()) <= 75 for raw in body.split("\r\n"))
    lines = unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(x.startswith("PRODID:") for x in lines)
    assert f"UID:meeting-{meeting.pk}@qinqing" in lines
    assert "DTSTART:20260512T013000Z" in lines
    assert "DTEND:20260512T033000Z" in lines
    assert "SUMMARY:座谈会：用工\\, 用电\\; 融资" in lines
    assert "LOCATION:古林镇亲清家园二楼会议室" in lines
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    again = unfold(client.get(f"/outreach/meetings/{meeting.pk}.ics").content.decode())
    assert [x for x in again if x.startswith("UID:")] == [f"UID:meeting-{meeting.pk}@qinqing"]


def test_long_lines_fold_without_splitting_a_character() -> None:
    line = "DESCRIPTION:" + "亲清" * 60
    parts = ical_fold(line)
    assert all(len(p.encode()) <= 75 for p in parts)
    assert parts[0] + "".join(p[1:] for p in parts[1:]) == line


def test_the_personal_feed_lists_my_meetings_behind_a_secret_url(desk: Desk) -> None:
    meeting = desk.meeting()
    desk.invite(meeting, desk.world.firm_a)
    desk.meeting(actor=desk.official, region=desk.world.other_town, kind=MeetingKind.DIALOGUE)
    user = desk.firm_a_user
    url = f"/outreach/meetings/feed/{user.pk}/{feed_token(user)}.ics"
    lines = unfold(Client().get(url).content.decode())
    assert [x for x in lines if x.startswith("UID:")] == [f"UID:meeting-{meeting.pk}@qinqing"]
    assert Client().get(f"/outreach/meetings/feed/{user.pk}/{'0' * 32}.ics").status_code == 404
    assert desk.login(user).get("/outreach/meetings/calendar.ics").status_code == 200


def test_the_calendar_groups_my_meetings_by_day(desk: Desk) -> None:
    start = dt.datetime(2026, 5, 12, 9, 30, tzinfo=SHANGHAI)
    desk.meeting(starts_at=start, ends_at=start + dt.timedelta(hours=2), title="五月座谈会")
    late = dt.datetime(2026, 5, 31, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC, still 31 May here
    desk.meeting(starts_at=late, ends_at=late + dt.timedelta(hours=1), title="月底夜谈")
    days = svc.meetings_by_day(user=desk.coordinator, year=2026, month=5)
    assert [d for d, _ms in days] == [dt.date(2026, 5, 12), dt.date(2026, 5, 31)]
    page = desk.login(desk.coordinator).get("/outreach/meetings/calendar/?month=2026-05")
    html = page.content.decode()
    assert "2026-05-12" in html and "五月座谈会" in html and "月底夜谈" in html


# --- pages and the API ----------------------------------------------------------------------
def test_the_meeting_form_keeps_the_input_and_says_what_is_wrong(desk: Desk) -> None:
    client = desk.login(desk.coordinator)
    response = client.post(
        "/outreach/meetings/new/",
        {
            "kind": "roundtable",
            "title": "",
            "region": desk.world.town.pk,
            "starts_at": "2026-05-12T09:30",
            "ends_at": "2026-05-12T08:30",
            "place": "古林镇亲清家园",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "请填写会议名称。" in html and "结束时间应晚于开始时间。" in html
    assert 'value="古林镇亲清家园"' in html and 'value="2026-05-12T09:30"' in html
    assert Meeting.objects.count() == 0


def test_a_coordinator_creates_a_meeting_through_the_page(desk: Desk) -> None:
    client = desk.login(desk.coordinator)
    response = client.post(
        "/outreach/meetings/new/",
        {
            "kind": "roundtable",
            "title": "古林镇企业座谈会",
            "region": desk.world.town.pk,
            "starts_at": "2026-05-12T09:30",
            "ends_at": "2026-05-12T11:30",
            "capacity": "20",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert meeting.starts_at == dt.datetime(2026, 5, 12, 1, 30, tzinfo=dt.UTC)
    assert meeting.capacity == 20


def test_supervisors_see_the_meetings_of_their_region_and_officials_only_their_own(
    desk: Desk,
) -> None:
    meeting = desk.meeting()
    assert svc.meetings_visible_to(desk.supervisor).filter(pk=meeting.pk).exists()
    assert not svc.meetings_visible_to(desk.official).filter(pk=meeting.pk).exists()
    assert not svc.meetings_visible_to(desk.handler).filter(pk=meeting.pk).exists()
    page = desk.login(desk.supervisor).get(f"/outreach/meetings/{meeting.pk}/")
    assert page.status_code == 200 and "邀请与报名" in page.content.decode()


def test_the_api_registers_a_firm_and_hides_other_meetings(desk: Desk) -> None:
    w = desk.world
    meeting = desk.meeting(capacity=5)
    (invitation,) = desk.invite(meeting, w.firm_a)
    _token, raw = token_issue(user=desk.firm_a_user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    detail = Client().get(f"/api/v1/outreach/meetings/{meeting.pk}", **auth)
    assert detail.status_code == 200
    assert detail.json()["my_invitations"][0]["id"] == invitation.pk
    assert detail.json()["starts_at"].endswith("+08:00")
    registered = Client().post(f"/api/v1/outreach/invitations/{invitation.pk}/register", **auth)
    assert registered.status_code == 200 and registered.json()["status"] == "registered"
    again = Client().post(f"/api/v1/outreach/invitations/{invitation.pk}/register", **auth)
    assert again.status_code == 409
    _t, other = token_issue(user=desk.firm_b_user)
    hidden = Client().get(
        f"/api/v1/outreach/meetings/{meeting.pk}", HTTP_AUTHORIZATION=f"Bearer {other}"
    )
    assert hidden.status_code == 404
    assert Client().get("/api/v1/outreach/meetings").status_code == 401


def test_the_api_creates_a_meeting_or_names_the_bad_fields(desk: Desk) -> None:
    _token, raw = token_issue(user=desk.coordinator)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = {
        "kind": "roundtable",
        "title": "接口创建的座谈会",
        "region_id": desk.world.town.pk,
        "starts_at": "2026-05-12T09:30:00",
        "ends_at": "2026-05-12T11:30:00",
    }
    created = Client().post(
        "/api/v1/outreach/meetings", body, content_type="application/json", **auth
    )
    assert created.status_code == 201
    assert created.json()["starts_at"] == "2026-05-12T09:30:00+08:00"
    bad = Client().post(
        "/api/v1/outreach/meetings",
        {**body, "ends_at": "2026-05-12T08:00:00"},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422 and "ends_at" in bad.json()["field_errors"]
    _t, firm = token_issue(user=desk.firm_a_user)
    refused = Client().post(
        "/api/v1/outreach/meetings",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {firm}",
    )
    assert refused.status_code == 403


def test_the_outreach_index_links_to_meetings(desk: Desk) -> None:
    html = desk.login(desk.official).get("/outreach/").content.decode()
    assert "/outreach/meetings/" in html and "/outreach/meetings/pairings/" in html


def test_check_in_and_department_pages_render(desk: Desk) -> None:
    meeting = in_past(desk, departments=[desk.world.department], kind=MeetingKind.JOINT)
    (invitation,) = desk.invite(meeting, desk.world.firm_a)
    client = desk.login(desk.coordinator)
    page = client.get(f"/outreach/meetings/{meeting.pk}/")
    assert "签到" in page.content.decode()
    response = client.post(f"/outreach/meetings/invitations/{invitation.pk}/check-in/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.attended
    # the member department's handler reads the joint meeting
    assert desk.login(desk.handler).get(f"/outreach/meetings/{meeting.pk}/").status_code == 200
    assert Department.objects.filter(meetings=meeting).count() == 1


def test_the_organiser_invites_and_raises_a_demand_through_the_pages(desk: Desk) -> None:
    w = desk.world
    meeting = in_past(desk)
    deputy = UserFactory(username="liujianguo", display_name="刘建国", title="副区长")
    role_grant(actor=None, user=deputy, role=Role.OFFICIAL, region=w.district)
    client = desk.login(desk.coordinator)
    invited = client.post(
        f"/outreach/meetings/{meeting.pk}/invite/",
        {"invite-enterprises": [w.firm_a.pk], "invite-users": [deputy.pk]},
    )
    assert invited.status_code == 302
    assert Invitation.objects.filter(meeting=meeting).count() == 2
    wrong = client.post(
        f"/outreach/meetings/{meeting.pk}/invite/",
        {"invite-enterprises": [w.firm_other.pk], "invite-users": [desk.official.pk]},
    )
    assert wrong.status_code == 422
    assert "只能邀请会议区域内尚未邀请的企业。" in wrong.content.decode()
    assert "只能邀请本区域尚未邀请的干部和工作人员。" in wrong.content.decode()

    item = svc.follow_up_create(
        actor=desk.coordinator,
        meeting_id=meeting.pk,
        title="协调解决企业招工难",
        due_on=timezone.localdate() + dt.timedelta(days=5),
        owner=deputy,
    )
    missing = client.post(
        f"/outreach/meetings/follow-ups/{item.pk}/demand/",
        {f"demand{item.pk}-enterprise": w.firm_a.pk, f"demand{item.pk}-description": "详见纪要"},
    )
    assert missing.status_code == 422
    html = missing.content.decode()
    assert "请选择类别。" in html and "详见纪要" in html
    raised = client.post(
        f"/outreach/meetings/follow-ups/{item.pk}/demand/",
        {
            f"demand{item.pk}-enterprise": w.firm_a.pk,
            f"demand{item.pk}-category": tax_category().pk,
        },
    )
    assert raised.status_code == 302
    item.refresh_from_db()
    assert item.demand is not None
    assert item.demand.number in client.get(f"/outreach/meetings/{meeting.pk}/").content.decode()


def test_the_capacity_cannot_drop_below_the_registered(desk: Desk) -> None:
    w = desk.world
    meeting = desk.meeting(capacity=3)
    a, b = desk.invite(meeting, w.firm_a, w.firm_b)
    svc.invitation_register(actor=desk.firm_a_user, invitation_id=a.pk)
    svc.invitation_register(actor=desk.firm_b_user, invitation_id=b.pk)
    local = meeting.starts_at.astimezone(SHANGHAI)
    response = desk.login(desk.coordinator).post(
        f"/outreach/meetings/{meeting.pk}/edit/",
        {
            "title": "改过名字的座谈会",
            "region": w.town.pk,
            "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": "1",
        },
    )
    assert response.status_code == 422
    assert "名额不能少于已报名的2家。" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "古林镇第二季度企业座谈会" and meeting.capacity == 3


def test_staff_export_the_meetings_they_see_to_excel(client, world) -> None:
    import io

    from openpyxl import load_workbook

    client.force_login(world.users["coordinator"])
    response = client.get("/outreach/meetings/export/")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:3] == ["类型", "会议名称", "区域"]
    client.force_login(world.users["enterprise"])
    assert client.get("/outreach/meetings/export/").status_code == 403
