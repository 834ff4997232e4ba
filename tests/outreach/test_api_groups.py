"""靶向服务团 through the API: a coordinator forms a group, sets its member agencies and adds
the services they offer, exactly as on the web pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.audit.models import AuditEntry
from qinqing.directory.models import Department
from qinqing.outreach import groups
from qinqing.outreach.models import ServiceGroup
from tests.conftest import World
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/outreach/service-groups"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def put(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, body, content_type="application/json")


@pytest.fixture
def justice(world: World) -> Department:
    return DepartmentFactory(name="古林镇司法所", region=world.town, kind="justice")


@pytest.fixture
def group(world: World) -> ServiceGroup:
    return groups.group_create(
        actor=world.users["coordinator"], name="古林镇靶向服务团", region=world.town
    )


def test_a_coordinator_forms_a_group_and_is_told_where_it_lives(world: World) -> None:
    answer = post(
        client_for(world.users["coordinator"]),
        BASE,
        {"name": "古林镇靶向服务团", "region_id": world.town.pk, "purpose": "项目审批"},
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert answer["Location"] == f"{BASE}/{body['id']}"
    assert body["region_id"] == world.town.pk and body["members"] == 0
    assert AuditEntry.objects.filter(action="group.create").count() == 1
    again = client_for(world.users["coordinator"]).get(answer["Location"])
    assert again.status_code == 200 and again.json()["name"] == "古林镇靶向服务团"


def test_only_coordinators_of_the_region_form_groups_through_the_api(world: World) -> None:
    for who in ("steward", "supervisor", "handler", "enterprise", "official"):
        answer = post(client_for(world.users[who]), BASE, {"name": "某服务团", "region_id": 1})
        assert answer.status_code == 403, who
    outside = post(
        client_for(world.users["coordinator"]),
        BASE,
        {"name": "高桥镇服务团", "region_id": world.other_town.pk},
    )
    assert outside.status_code == 422 and "region_id" in outside.json()["field_errors"]
    assert not ServiceGroup.objects.exists()


def test_a_group_needs_a_unique_name(world: World, group: ServiceGroup) -> None:
    answer = post(
        client_for(world.users["coordinator"]),
        BASE,
        {"name": "古林镇靶向服务团", "region_id": world.town.pk},
    )
    assert answer.status_code == 422 and "name" in answer.json()["field_errors"]


def test_a_coordinator_sets_the_members_and_adds_a_service(
    world: World, group: ServiceGroup, justice: Department
) -> None:
    client = client_for(world.users["coordinator"])
    members = put(
        client, f"{BASE}/{group.pk}/members", {"department_ids": [world.department.pk, justice.pk]}
    )
    assert members.status_code == 200, members.json()
    assert members.json()["members"] == 2
    assert set(group.departments.all()) == {world.department, justice}
    service = post(
        client,
        f"{BASE}/{group.pk}/services",
        {"department_id": justice.pk, "name": "法律维权", "description": "劳动纠纷调解"},
    )
    assert service.status_code == 201, service.json()
    assert service["Location"] == f"{BASE}/{group.pk}"
    assert service.json()["department_name"] == "古林镇司法所"
    detail = client.get(f"{BASE}/{group.pk}").json()
    assert [s["name"] for s in detail["services"]] == ["法律维权"]


def test_a_member_must_serve_the_groups_region(world: World, group: ServiceGroup) -> None:
    answer = put(
        client_for(world.users["coordinator"]),
        f"{BASE}/{group.pk}/members",
        {"department_ids": [world.other_department.pk]},
    )
    assert answer.status_code == 422 and "department_ids" in answer.json()["field_errors"]
    unknown = put(
        client_for(world.users["coordinator"]),
        f"{BASE}/{group.pk}/members",
        {"department_ids": [world.department.pk, 999_999]},
    )
    assert unknown.status_code == 422
    assert not group.departments.exists()


def test_a_member_still_offering_a_service_cannot_leave(
    world: World, group: ServiceGroup, justice: Department
) -> None:
    coordinator = world.users["coordinator"]
    groups.group_set_members(actor=coordinator, group_id=group.pk, departments=[justice])
    groups.group_service_add(actor=coordinator, group_id=group.pk, department=justice, name="调解")
    answer = put(client_for(coordinator), f"{BASE}/{group.pk}/members", {"department_ids": []})
    assert answer.status_code == 409
    assert list(group.departments.all()) == [justice]


def test_a_service_is_offered_by_a_member_department_through_the_api(
    world: World, group: ServiceGroup
) -> None:
    answer = post(
        client_for(world.users["coordinator"]),
        f"{BASE}/{group.pk}/services",
        {"department_id": world.other_department.pk, "name": "纳税服务"},
    )
    assert answer.status_code == 422
    assert not group.services.exists()


def test_who_sees_a_group_but_does_not_manage_it_is_refused(
    world: World, group: ServiceGroup
) -> None:
    supervisor = client_for(world.users["supervisor"])
    assert supervisor.get(f"{BASE}/{group.pk}").status_code == 200
    assert put(supervisor, f"{BASE}/{group.pk}/members", {"department_ids": []}).status_code == 403
    refused = post(supervisor, f"{BASE}/{group.pk}/services", {"department_id": 1, "name": "x"})
    assert refused.status_code == 403


def test_another_towns_coordinator_cannot_find_the_group(world: World, group: ServiceGroup) -> None:
    other = UserFactory(username="gaoqiao")
    role_grant(actor=None, user=other, role=Role.COORDINATOR, region=world.other_town)
    client = client_for(other)
    assert put(client, f"{BASE}/{group.pk}/members", {"department_ids": []}).status_code == 404
    missing = post(client, f"{BASE}/{group.pk}/services", {"department_id": 1, "name": "x"})
    assert missing.status_code == 404
