"""活动参与: targeting decides who may register; capacity, waiting list, check-in, feedback."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.directory.models import Chamber, ChamberMembership, Enterprise
from qinqing.inbox.models import Message
from qinqing.outreach import activities
from qinqing.outreach.models import Activity, Registration
from tests.conftest import World
from tests.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db


def firm_user(firm: Enterprise, username: str) -> User:
    user = UserFactory(username=username, display_name=f"{firm.name}用户")
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=firm)
    return user


def publish(world: World, **kwargs: Any) -> Activity:
    now = timezone.now()
    values: dict[str, Any] = {
        "actor": world.users["coordinator"],
        "kind": "briefing",
        "title": "2026年稳企惠企政策宣讲会",
        "description": "解读最新的减税降费和稳岗补贴政策。",
        "region": world.town,
        "starts_at": now + timedelta(days=7),
        "registration_closes_at": now + timedelta(days=5),
        "capacity": 2,
        "place": "古林镇亲清家园报告厅",
    }
    values.update(kwargs)
    return activities.activity_create(**values)


def register(user: User, activity: Activity, firm: Enterprise) -> Registration:
    return activities.activity_register(actor=user, activity_id=activity.pk, enterprise=firm)


def start_today(activity: Activity) -> None:
    """Move the activity to now: registration closed an hour ago, check-in open."""
    now = timezone.now()
    Activity.objects.filter(pk=activity.pk).update(
        registration_closes_at=now - timedelta(hours=1), starts_at=now
    )
    activity.refresh_from_db()


@pytest.fixture
def firms(world: World) -> dict[str, Any]:
    """Three firms of 古林镇 with an enterprise user each."""
    firm_c = EnterpriseFactory(name="宁波丁五金有限公司", grid=world.grid_a)
    return {
        "a": (world.firm_a, world.users["enterprise"]),
        "b": (world.firm_b, firm_user(world.firm_b, "firm_b")),
        "c": (firm_c, firm_user(firm_c, "firm_c")),
        "other": (world.firm_other, firm_user(world.firm_other, "firm_other")),
    }


# --- publishing -------------------------------------------------------------------------------
def test_a_coordinator_publishes_an_activity_for_the_town_and_it_is_audited(world: World) -> None:
    activity = publish(world)
    assert activity.organizer == world.users["coordinator"]
    assert AuditEntry.objects.filter(action="activity.create", object_id=str(activity.pk)).exists()


@pytest.mark.parametrize("who", ["supervisor", "steward", "enterprise", "official"])
def test_only_coordinators_publish_activities(world: World, who: str) -> None:
    with pytest.raises(NotPermitted):
        publish(world, actor=world.users[who])
    assert not Activity.objects.exists()


def test_a_coordinator_cannot_publish_for_another_town(world: World) -> None:
    with pytest.raises(NotPermitted):
        publish(world, region=world.other_town)


def test_the_system_admin_may_organise_anywhere(world: World) -> None:
    activity = publish(world, actor=world.users["system_admin"], region=world.other_town)
    assert activities.can_organize(world.users["system_admin"], activity)


def test_bad_input_is_refused_field_by_field_and_nothing_is_stored(world: World) -> None:
    now = timezone.now()
    with pytest.raises(ServiceError) as caught:
        publish(
            world,
            title="",
            capacity=0,
            industry_sections=["C", "Z"],
            starts_at=now + timedelta(days=1),
            registration_closes_at=now + timedelta(days=2),
        )
    errors = caught.value.field_errors
    assert errors["title"] == ["请填写活动名称。"]
    assert errors["capacity"] == ["名额至少为1。"]
    assert "Z" in errors["industry_sections"][0]
    assert errors["registration_closes_at"] == ["报名截止时间不能晚于活动开始时间。"]
    assert not Activity.objects.exists()


# --- targeting --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "firm", "reason"),
    [
        ({}, "other", "面向古林镇的企业"),
        ({"industry_sections": ["F", "G"]}, "a", "批发和零售业、交通运输、仓储和邮政业"),
        ({"size": "above"}, "a", "仅面向规上企业"),
        ({"size": "below"}, "b", "仅面向规下企业"),
        ({"chamber": "chamber"}, "c", "宁波模具商会的会员企业"),
    ],
)
def test_a_firm_outside_the_target_is_refused_with_the_reason(
    world: World, firms: dict[str, Any], target: dict[str, Any], firm: str, reason: str
) -> None:
    if target.get("chamber"):
        chamber = Chamber.objects.create(name="宁波模具商会", region=world.town)
        ChamberMembership.objects.create(chamber=chamber, enterprise=world.firm_a)
        target = {"chamber": chamber}
    activity = publish(world, **target)
    enterprise, user = firms[firm]
    with pytest.raises(NotPermitted, match=reason):
        register(user, activity, enterprise)
    assert not Registration.objects.exists()


def test_a_firm_inside_every_target_registers(world: World, firms: dict[str, Any]) -> None:
    chamber = Chamber.objects.create(name="宁波模具商会", region=world.town)
    ChamberMembership.objects.create(chamber=chamber, enterprise=world.firm_b)
    activity = publish(world, industry_sections=["C"], size="above", chamber=chamber)
    firm, user = firms["b"]
    assert register(user, activity, firm).status == Registration.Status.REGISTERED


def test_only_the_firms_own_users_register_it(world: World, firms: dict[str, Any]) -> None:
    activity = publish(world)
    with pytest.raises(NotPermitted):
        register(world.users["enterprise"], activity, world.firm_b)
    with pytest.raises(NotPermitted):
        register(world.users["steward"], activity, world.firm_a)


def test_a_firm_sees_the_activities_of_its_area_only(world: World, firms: dict[str, Any]) -> None:
    activity = publish(world)
    _firm, other_user = firms["other"]
    assert activity in activities.activities_visible_to(world.users["enterprise"])
    assert activity not in activities.activities_visible_to(other_user)
    assert activity in activities.activities_visible_to(world.users["steward"])
    assert activity in activities.activities_visible_to(world.users["supervisor"])
    assert activity not in activities.activities_visible_to(world.users["official"])


# --- closing, capacity and the waiting list -------------------------------------------------
def test_registration_after_closing_is_refused(world: World) -> None:
    activity = publish(world)
    Activity.objects.filter(pk=activity.pk).update(
        registration_closes_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(Conflict, match="报名已截止"):
        register(world.users["enterprise"], activity, world.firm_a)
    assert not Registration.objects.exists()


def test_beyond_the_capacity_firms_wait_in_the_order_they_came(
    world: World, firms: dict[str, Any]
) -> None:
    activity = publish(world, capacity=1)
    first = register(firms["a"][1], activity, firms["a"][0])
    second = register(firms["b"][1], activity, firms["b"][0])
    third = register(firms["c"][1], activity, firms["c"][0])
    assert first.status == Registration.Status.REGISTERED
    assert second.status == third.status == Registration.Status.WAITLISTED
    assert activities.waitlist_position(second) == 1
    assert activities.waitlist_position(third) == 2


def test_a_cancellation_promotes_the_first_firm_waiting_and_tells_it(
    world: World, firms: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    activity = publish(world, capacity=1)
    first = register(firms["a"][1], activity, firms["a"][0])
    second = register(firms["b"][1], activity, firms["b"][0])
    third = register(firms["c"][1], activity, firms["c"][0])

    with django_capture_on_commit_callbacks(execute=True):
        activities.registration_cancel(actor=firms["a"][1], registration_id=first.pk)

    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == Registration.Status.REGISTERED
    assert third.status == Registration.Status.WAITLISTED
    assert activities.waitlist_position(third) == 1
    assert AuditEntry.objects.filter(action="activity.cancel", object_id=str(first.pk)).exists()
    assert AuditEntry.objects.filter(action="activity.promote", object_id=str(second.pk)).exists()
    assert Message.objects.filter(user=firms["b"][1], title__contains="候补转为正式报名").exists()
    assert not Message.objects.filter(user=firms["c"][1]).exists()


def test_cancelling_a_waiting_place_promotes_nobody(world: World, firms: dict[str, Any]) -> None:
    activity = publish(world, capacity=1)
    register(firms["a"][1], activity, firms["a"][0])
    second = register(firms["b"][1], activity, firms["b"][0])
    third = register(firms["c"][1], activity, firms["c"][0])
    activities.registration_cancel(actor=firms["b"][1], registration_id=second.pk)
    third.refresh_from_db()
    assert third.status == Registration.Status.WAITLISTED
    assert activities.waitlist_position(third) == 1


def test_registering_twice_is_a_conflict_and_coming_back_queues_at_the_end(
    world: World, firms: dict[str, Any]
) -> None:
    activity = publish(world, capacity=1)
    first = register(firms["a"][1], activity, firms["a"][0])
    with pytest.raises(Conflict):
        register(firms["a"][1], activity, firms["a"][0])
    register(firms["b"][1], activity, firms["b"][0])  # waiting
    activities.registration_cancel(actor=firms["a"][1], registration_id=first.pk)
    again = register(firms["a"][1], activity, firms["a"][0])
    assert again.pk == first.pk
    assert again.status == Registration.Status.WAITLISTED
    assert activities.waitlist_position(again) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row locks need PostgreSQL; SQLite serialises writers anyway",
)
def test_two_firms_registering_for_the_last_place_at_once_one_of_them_waits(
    world: World, firms: dict[str, Any]
) -> None:
    activity = publish(world, capacity=1)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(key: str) -> None:
        try:
            barrier.wait()
            results.append(register(firms[key][1], activity, firms[key][0]).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(k,)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["registered", "waitlisted"]


def test_another_firm_cannot_cancel_a_registration(world: World, firms: dict[str, Any]) -> None:
    activity = publish(world)
    first = register(firms["a"][1], activity, firms["a"][0])
    with pytest.raises(NotPermitted):
        activities.registration_cancel(actor=firms["b"][1], registration_id=first.pk)


# --- check-in and feedback ------------------------------------------------------------------
def test_check_in_is_by_the_organizer_on_the_day_for_registered_firms(
    world: World, firms: dict[str, Any]
) -> None:
    activity = publish(world, capacity=1)
    registered = register(firms["a"][1], activity, firms["a"][0])
    waiting = register(firms["b"][1], activity, firms["b"][0])
    coordinator = world.users["coordinator"]

    with pytest.raises(Conflict, match="活动当天"):
        activities.registration_check_in(actor=coordinator, registration_id=registered.pk)
    start_today(activity)
    for who in ("steward", "supervisor", "enterprise"):
        with pytest.raises(NotPermitted):
            activities.registration_check_in(actor=world.users[who], registration_id=registered.pk)
    with pytest.raises(Conflict):
        activities.registration_check_in(actor=coordinator, registration_id=waiting.pk)

    checked = activities.registration_check_in(actor=coordinator, registration_id=registered.pk)
    assert checked.checked_in_at is not None
    assert AuditEntry.objects.filter(action="activity.check_in").count() == 1
    with pytest.raises(Conflict):
        activities.registration_check_in(actor=coordinator, registration_id=registered.pk)


def test_feedback_only_from_a_firm_that_checked_in(world: World, firms: dict[str, Any]) -> None:
    activity = publish(world)
    reg = register(firms["a"][1], activity, firms["a"][0])
    user = firms["a"][1]
    with pytest.raises(NotPermitted, match="签到"):
        activities.registration_feedback(actor=user, registration_id=reg.pk, rating=5)

    start_today(activity)
    activities.registration_check_in(actor=world.users["coordinator"], registration_id=reg.pk)
    with pytest.raises(NotPermitted):
        activities.registration_feedback(actor=firms["b"][1], registration_id=reg.pk, rating=5)
    with pytest.raises(ServiceError) as caught:
        activities.registration_feedback(actor=user, registration_id=reg.pk, rating=6)
    assert caught.value.field_errors["rating"] == ["请选择1至5分的评分。"]

    done = activities.registration_feedback(
        actor=user, registration_id=reg.pk, rating=4, text="讲解清楚，希望多发材料。"
    )
    assert (done.feedback_rating, done.feedback_text) == (4, "讲解清楚，希望多发材料。")
    assert AuditEntry.objects.filter(action="activity.feedback").exists()
    with pytest.raises(Conflict):
        activities.registration_feedback(actor=user, registration_id=reg.pk, rating=3)
    figures = activities.activity_figures(activity)
    assert (figures.checked_in, figures.rated, figures.average_text) == (1, 1, "4.0")


# --- pages and API --------------------------------------------------------------------------
def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_tells_a_firm_outside_the_target_why(world: World, firms: dict[str, Any]) -> None:
    activity = publish(world, size="above")
    body = client_for(world.users["enterprise"]).get(f"/outreach/liaison/activities/{activity.pk}/")
    assert body.status_code == 200
    assert "该活动仅面向规上企业。" in body.content.decode()


def test_a_firm_registers_on_the_page_and_joins_the_waiting_list_when_full(
    world: World, firms: dict[str, Any]
) -> None:
    activity = publish(world, capacity=1)
    register(firms["b"][1], activity, firms["b"][0])
    client = client_for(world.users["enterprise"])
    response = client.post(
        f"/outreach/liaison/activities/{activity.pk}/register/",
        {"enterprise": world.firm_a.pk},
        follow=True,
    )
    assert "名额已满，已加入候补，当前排第1位。" in response.content.decode()
    assert "候补第 1 位" in response.content.decode()


def test_the_feedback_form_keeps_the_text_when_the_rating_is_missing(
    world: World, firms: dict[str, Any]
) -> None:
    activity = publish(world)
    reg = register(firms["a"][1], activity, firms["a"][0])
    start_today(activity)
    activities.registration_check_in(actor=world.users["coordinator"], registration_id=reg.pk)
    response = client_for(firms["a"][1]).post(
        f"/outreach/liaison/registrations/{reg.pk}/feedback/",
        {f"f{reg.pk}-text": "场地太小"},
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "请选择1至5分的评分。" in body and "场地太小" in body
    reg.refresh_from_db()
    assert reg.feedback_rating is None


def test_the_organizer_sees_the_list_and_checks_firms_in(
    world: World, firms: dict[str, Any]
) -> None:
    activity = publish(world)
    reg = register(firms["a"][1], activity, firms["a"][0])
    start_today(activity)
    client = client_for(world.users["coordinator"])
    page = client.get(f"/outreach/liaison/activities/{activity.pk}/").content.decode()
    assert world.firm_a.name in page and "签到" in page
    client.post(f"/outreach/liaison/registrations/{reg.pk}/check-in/")
    reg.refresh_from_db()
    assert reg.checked_in_at is not None
    # the firm's own page does not list other firms
    firm_page = client_for(firms["b"][1]).get(f"/outreach/liaison/activities/{activity.pk}/")
    assert world.firm_a.name not in firm_page.content.decode()


def test_the_registration_list_exports_for_the_organizer_only(
    world: World, firms: dict[str, Any]
) -> None:
    activity = publish(world)
    register(firms["a"][1], activity, firms["a"][0])
    url = f"/outreach/liaison/activities/{activity.pk}/export/"
    assert client_for(world.users["coordinator"]).get(url).status_code == 200
    assert client_for(world.users["steward"]).get(url).status_code == 403
    assert AuditEntry.objects.filter(action="activity.export").count() == 1


def test_the_api_refuses_an_outsider_with_the_reason_and_a_late_firm_with_409(
    world: World, firms: dict[str, Any]
) -> None:
    activity = publish(world, size="below")
    url = f"/api/v1/outreach/activities/{activity.pk}/registrations"
    b_firm, b_user = firms["b"]
    refused = client_for(b_user).post(
        url, {"enterprise_id": b_firm.pk}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "该活动仅面向规下企业。"
    ok = client_for(firms["a"][1]).post(
        url, {"enterprise_id": world.firm_a.pk}, content_type="application/json"
    )
    assert ok.status_code == 201 and ok.json()["status"] == "registered"
    Activity.objects.filter(pk=activity.pk).update(
        registration_closes_at=timezone.now() - timedelta(minutes=1)
    )
    late = client_for(firms["c"][1]).post(
        url, {"enterprise_id": firms["c"][0].pk}, content_type="application/json"
    )
    assert late.status_code == 409


def test_an_activity_outside_ones_area_is_not_found(world: World, firms: dict[str, Any]) -> None:
    activity = publish(world)
    _firm, other_user = firms["other"]
    client = client_for(other_user)
    assert client.get(f"/outreach/liaison/activities/{activity.pk}/").status_code == 404
    assert client.get(f"/api/v1/outreach/activities/{activity.pk}").status_code == 404


def test_a_coordinator_publishes_through_the_form_and_mistakes_keep_the_input(
    world: World,
) -> None:
    client = client_for(world.users["coordinator"])
    assert client.get("/outreach/liaison/activities/new/").status_code == 200
    start = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    closes = (timezone.localtime() + timedelta(days=12)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "kind": "training",
        "title": "外贸企业出口退税培训",
        "region": world.town.pk,
        "industry_sections": ["C", "F"],
        "size": "",
        "starts_at": start,
        "registration_closes_at": closes,
        "place": "古林镇亲清家园",
        "capacity": "50",
    }
    refused = client.post("/outreach/liaison/activities/new/", form)
    body = refused.content.decode()
    assert refused.status_code == 422
    assert "报名截止时间不能晚于活动开始时间。" in body and "外贸企业出口退税培训" in body
    assert not Activity.objects.exists()

    form["registration_closes_at"] = (timezone.localtime() + timedelta(days=8)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    done = client.post("/outreach/liaison/activities/new/", form)
    activity = Activity.objects.get()
    assert done.status_code == 302 and activity.industry_sections == ["C", "F"]
    assert activity.capacity == 50 and activity.kind == "training"
    listing = client.get("/outreach/liaison/activities/").content.decode()
    assert "外贸企业出口退税培训" in listing
    assert (
        client_for(world.users["steward"]).get("/outreach/liaison/activities/new/").status_code
        == 403
    )
