"""靶向服务团: a firm asks the group, a member agency takes and solves it; solved counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.directory.models import Department
from qinqing.inbox.models import Message
from qinqing.outreach import groups
from qinqing.outreach.models import GroupRequest, GroupService, ServiceGroup
from tests.conftest import World
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@dataclass
class Setup:
    world: World
    group: ServiceGroup
    approval: GroupService
    legal: GroupService
    market: Department
    justice: Department
    market_handler: User
    justice_handler: User
    firm_b_user: User


@pytest.fixture
def setup(world: World) -> Setup:
    """古林镇's group: the district market bureau (项目审批), the town justice office (法律维权)."""
    market = world.department
    justice = DepartmentFactory(name="古林镇司法所", region=world.town, kind="justice")
    group = groups.group_create(
        actor=world.users["coordinator"],
        name="古林镇靶向服务团",
        region=world.town,
        purpose="项目审批、法律维权",
        departments=[market, justice],
    )
    approval = groups.group_service_add(
        actor=world.users["coordinator"], group_id=group.pk, department=market, name="项目审批"
    )
    legal = groups.group_service_add(
        actor=world.users["coordinator"], group_id=group.pk, department=justice, name="法律维权"
    )
    market_handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=market_handler, role=Role.HANDLER, department=market)
    justice_handler = UserFactory(username="sifa", display_name="司法所经办人")
    role_grant(actor=None, user=justice_handler, role=Role.HANDLER, department=justice)
    firm_b_user = UserFactory(username="firm_b", display_name="乙公司")
    role_grant(actor=None, user=firm_b_user, role=Role.ENTERPRISE, enterprise=world.firm_b)
    return Setup(
        world, group, approval, legal, market, justice, market_handler, justice_handler, firm_b_user
    )


def ask(s: Setup, **kwargs: Any) -> GroupRequest:
    values: dict[str, Any] = {
        "actor": s.world.users["enterprise"],
        "group_id": s.group.pk,
        "enterprise": s.world.firm_a,
        "service_id": s.approval.pk,
        "topic": "新厂房项目立项审批进度慢",
        "description": "新厂房项目提交立项材料一个月，没有回音。",
    }
    values.update(kwargs)
    return groups.group_request_submit(**values)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the group -------------------------------------------------------------------------------
def test_the_group_has_members_and_the_services_they_offer(setup: Setup) -> None:
    assert set(setup.group.departments.all()) == {setup.market, setup.justice}
    assert {s.name for s in groups.group_services(setup.group)} == {"项目审批", "法律维权"}
    assert AuditEntry.objects.filter(action="group.create").count() == 1
    assert AuditEntry.objects.filter(action="group.service_add").count() == 2


def test_only_coordinators_of_the_region_form_groups(world: World) -> None:
    for who in ("steward", "supervisor", "handler"):
        with pytest.raises(NotPermitted):
            groups.group_create(actor=world.users[who], name="某服务团", region=world.town)
    with pytest.raises(NotPermitted):
        groups.group_create(actor=world.users["coordinator"], name="高桥", region=world.other_town)
    assert not ServiceGroup.objects.exists()


def test_a_service_is_offered_by_a_member_department(setup: Setup) -> None:
    outsider = setup.world.other_department
    with pytest.raises(ServiceError) as caught:
        groups.group_service_add(
            actor=setup.world.users["coordinator"],
            group_id=setup.group.pk,
            department=outsider,
            name="纳税服务",
        )
    assert "department" in caught.value.field_errors


# --- asking, taking, solving ----------------------------------------------------------------
def test_a_firm_asks_choosing_a_service_and_the_agency_is_told(
    setup: Setup, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        req = ask(setup)
    assert req.status == GroupRequest.Status.OPEN and req.department is None
    assert req.service == setup.approval
    assert AuditEntry.objects.filter(action="group.request_submit").exists()
    assert Message.objects.filter(user=setup.market_handler).exists()
    assert not Message.objects.filter(user=setup.justice_handler).exists()


def test_asking_without_a_service_is_refused_and_nothing_is_stored(setup: Setup) -> None:
    with pytest.raises(ServiceError) as caught:
        ask(setup, service_id=None, description="短")
    assert caught.value.field_errors["service"] == ["请选择服务事项。"]
    assert "description" in caught.value.field_errors
    assert not GroupRequest.objects.exists()


def test_a_service_of_another_group_cannot_be_chosen(setup: Setup) -> None:
    other = ServiceGroup.objects.create(name="另一服务团", region=setup.world.town)
    service = GroupService.objects.create(group=other, department=setup.market, name="其他")
    with pytest.raises(ServiceError):
        ask(setup, service_id=service.pk)


def test_only_a_firm_of_the_area_asks_and_only_for_itself(setup: Setup, world: World) -> None:
    other_user = UserFactory(username="firm_other")
    role_grant(actor=None, user=other_user, role=Role.ENTERPRISE, enterprise=world.firm_other)
    with pytest.raises(NotPermitted):
        ask(setup, actor=other_user, enterprise=world.firm_other)
    with pytest.raises(NotPermitted):
        ask(setup, enterprise=world.firm_b)
    with pytest.raises(NotPermitted):
        ask(setup, actor=world.users["steward"])


def test_who_sees_the_groups_requests(setup: Setup, world: World) -> None:
    req = ask(setup)
    seeing = [world.users["enterprise"], world.users["coordinator"], setup.market_handler]
    seeing.append(setup.justice_handler)  # every member agency sees the group's requests
    for user in seeing:
        assert req in groups.group_requests_visible_to(user)
    for user in (setup.firm_b_user, world.users["handler"], world.users["steward"]):
        assert req not in groups.group_requests_visible_to(user)
        url = f"/outreach/liaison/group-requests/{req.pk}/"
        assert client_for(user).get(url).status_code == 404


def test_a_member_agency_takes_and_solves_it_and_the_group_counts_it(
    setup: Setup, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    req = ask(setup)
    with pytest.raises(NotPermitted):
        groups.group_request_take(actor=world.users["handler"], request_id=req.pk)
    with pytest.raises(NotPermitted):
        groups.group_request_solve(
            actor=setup.market_handler, request_id=req.pk, reply="已办理完毕"
        )

    taken = groups.group_request_take(actor=setup.market_handler, request_id=req.pk)
    assert taken.department == setup.market
    with pytest.raises(Conflict):
        groups.group_request_take(actor=setup.justice_handler, request_id=req.pk)
    with pytest.raises(NotPermitted):
        groups.group_request_solve(
            actor=setup.justice_handler, request_id=req.pk, reply="已办理完毕"
        )
    with pytest.raises(ServiceError):
        groups.group_request_solve(actor=setup.market_handler, request_id=req.pk, reply="好")
    assert GroupRequest.objects.get(pk=req.pk).status == GroupRequest.Status.OPEN

    with django_capture_on_commit_callbacks(execute=True):
        solved = groups.group_request_solve(
            actor=setup.market_handler, request_id=req.pk, reply="已协调审批窗口，立项批复已出。"
        )
    assert solved.status == GroupRequest.Status.SOLVED and solved.solved_at is not None
    assert Message.objects.filter(user=world.users["enterprise"], title__contains="已解决").exists()
    for action in ("group.request_take", "group.request_solve"):
        assert AuditEntry.objects.filter(action=action, object_id=str(req.pk)).exists()

    ask(setup, topic="劳动争议需要调解", service_id=setup.legal.pk)
    other = ServiceGroup.objects.create(name="高桥镇服务团", region=world.other_town)
    counts = groups.group_counts([setup.group, other])
    assert (counts[setup.group.pk].solved, counts[setup.group.pk].open) == (1, 1)
    assert counts[setup.group.pk].total == 2
    assert counts[other.pk].solved == 0


def test_a_coordinator_closes_a_request_with_a_reason(setup: Setup, world: World) -> None:
    req = ask(setup)
    with pytest.raises(ServiceError):
        groups.group_request_close(actor=world.users["coordinator"], request_id=req.pk, reason="")
    with pytest.raises(NotPermitted):
        groups.group_request_close(actor=setup.market_handler, request_id=req.pk, reason="重复")
    closed = groups.group_request_close(
        actor=world.users["coordinator"], request_id=req.pk, reason="与诉求SQ-2026-000001重复"
    )
    assert closed.status == GroupRequest.Status.CLOSED
    with pytest.raises(Conflict):
        groups.group_request_take(actor=setup.market_handler, request_id=req.pk)


# --- pages and API --------------------------------------------------------------------------
def test_the_group_list_shows_the_solved_count(setup: Setup, world: World) -> None:
    req = ask(setup)
    groups.group_request_take(actor=setup.market_handler, request_id=req.pk)
    groups.group_request_solve(actor=setup.market_handler, request_id=req.pk, reply="已解决完毕。")
    body = client_for(world.users["enterprise"]).get("/outreach/liaison/groups/").content.decode()
    assert "古林镇靶向服务团" in body
    assert '<td class="solved">1</td>' in body


def test_the_ask_page_keeps_the_input_and_shows_the_error_next_to_the_field(
    setup: Setup, world: World
) -> None:
    response = client_for(world.users["enterprise"]).post(
        f"/outreach/liaison/groups/{setup.group.pk}/ask/",
        {"enterprise": world.firm_a.pk, "service": "", "topic": "厂房审批", "description": "x"},
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "请选择服务事项。" in body and "厂房审批" in body
    assert not GroupRequest.objects.exists()


def test_the_whole_flow_through_the_pages(setup: Setup, world: World) -> None:
    firm = client_for(world.users["enterprise"])
    response = firm.post(
        f"/outreach/liaison/groups/{setup.group.pk}/ask/",
        {
            "enterprise": world.firm_a.pk,
            "service": setup.approval.pk,
            "topic": "新厂房立项",
            "description": "新厂房立项材料已交一个月。",
        },
    )
    req = GroupRequest.objects.get()
    assert response.status_code == 302
    handler = client_for(setup.market_handler)
    handler.post(f"/outreach/liaison/group-requests/{req.pk}/", {"action": "take"})
    handler.post(
        f"/outreach/liaison/group-requests/{req.pk}/",
        {"action": "solve", "r-reply": "立项批复已出，请到窗口领取。"},
    )
    req.refresh_from_db()
    assert req.status == GroupRequest.Status.SOLVED and req.department == setup.market
    page = firm.get(f"/outreach/liaison/group-requests/{req.pk}/").content.decode()
    assert "立项批复已出" in page


def test_the_api_flow_and_its_answers(setup: Setup, world: World) -> None:
    firm = client_for(world.users["enterprise"])
    created = firm.post(
        f"/api/v1/outreach/service-groups/{setup.group.pk}/requests",
        {
            "enterprise_id": world.firm_a.pk,
            "service_id": setup.legal.pk,
            "topic": "工伤纠纷调解",
            "description": "员工工伤赔偿协商不成。",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    req_id = created.json()["id"]
    handler = client_for(setup.justice_handler)
    assert handler.post(f"/api/v1/outreach/group-requests/{req_id}/take").status_code == 200
    again = client_for(setup.market_handler).post(f"/api/v1/outreach/group-requests/{req_id}/take")
    assert again.status_code == 409
    outsider = client_for(world.users["handler"])
    assert outsider.get(f"/api/v1/outreach/group-requests/{req_id}").status_code == 404
    solved = handler.post(
        f"/api/v1/outreach/group-requests/{req_id}/solve",
        {"reply": "已在街道调解成功。"},
        content_type="application/json",
    )
    assert solved.status_code == 200 and solved.json()["status"] == "solved"
    listing = firm.get("/api/v1/outreach/service-groups").json()
    assert listing[0]["solved"] == 1 and listing[0]["members"] == 2


def test_a_coordinator_forms_a_group_and_adds_members_and_services_on_the_pages(
    world: World,
) -> None:
    client = client_for(world.users["coordinator"])
    assert client.get("/outreach/liaison/groups/new/").status_code == 200
    refused = client.post("/outreach/liaison/groups/new/", {"name": "", "region": world.town.pk})
    assert refused.status_code == 422 and "请填写服务团名称。" in refused.content.decode()
    client.post(
        "/outreach/liaison/groups/new/",
        {"name": "莼湖街道靶向服务团", "region": world.town.pk, "purpose": "项目审批、法律维权"},
    )
    group = ServiceGroup.objects.get()
    url = f"/outreach/liaison/groups/{group.pk}/"
    assert client.get(url).status_code == 200
    client.post(url, {"m-departments": [world.department.pk], "m-submit": "1"})
    assert list(group.departments.all()) == [world.department]
    bad = client.post(url, {"s-department": "", "s-name": "项目审批", "s-submit": "1"})
    assert bad.status_code == 422 and "请选择提供服务的成员单位。" in bad.content.decode()
    client.post(url, {"s-department": world.department.pk, "s-name": "项目审批", "s-submit": "1"})
    assert [s.name for s in group.services.all()] == ["项目审批"]
    # a member agency's handler and a firm of the area read the page, but do not manage it
    assert client_for(world.users["enterprise"]).post(url, {"s-name": "x"}).status_code == 403
    listing = client_for(world.users["enterprise"]).get("/outreach/liaison/group-requests/")
    assert listing.status_code == 200
