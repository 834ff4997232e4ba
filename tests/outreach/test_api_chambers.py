"""Chambers and their consenting members through /api/v1/outreach/chambers, and what the
chamber's liaison raises through the API (channel ``chamber``, readable by the liaison)."""

from __future__ import annotations

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.demands.models import Category, Demand
from qinqing.directory.models import Chamber, ChamberMembership

pytestmark = pytest.mark.django_db


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


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


@pytest.fixture
def chamber(world) -> Chamber:
    return Chamber.objects.get(name="海曙区工商联")  # the chamber role's chamber in ``world``


def test_the_system_admin_creates_a_chamber(client, token_for, world) -> None:
    response = post(
        client,
        "/api/v1/outreach/chambers",
        {"name": "海曙区模具行业协会", "region_id": world.district.pk},
        token_for("system_admin"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/outreach/chambers/{body['id']}"
    assert body["region_name"] == "海曙区" and body["member_count"] == 0
    assert AuditEntry.objects.filter(action="chamber.create", object_id=str(body["id"])).exists()
    got = client.get(response["Location"], **token_for("supervisor"))
    assert got.status_code == 200 and got.json()["name"] == "海曙区模具行业协会"


@pytest.mark.parametrize("role", ["coordinator", "supervisor", "chamber", "security_admin"])
def test_only_the_system_admin_creates_chambers(client, token_for, world, role) -> None:
    response = post(
        client,
        "/api/v1/outreach/chambers",
        {"name": "海曙区模具行业协会", "region_id": world.district.pk},
        token_for(role),
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "只有系统管理员可以新增商会。"


def test_a_chamber_name_is_unique_and_required_in_chinese(client, token_for, world) -> None:
    headers = token_for("system_admin")
    url = "/api/v1/outreach/chambers"
    taken = post(client, url, {"name": "海曙区工商联", "region_id": world.district.pk}, headers)
    assert taken.status_code == 409
    assert taken.json()["detail"] == "商会“海曙区工商联”已存在。"
    blank = post(client, url, {"name": "  ", "region_id": world.district.pk}, headers)
    assert blank.status_code == 422 and blank.json()["detail"] == "请填写商会名称。"
    nowhere = post(client, url, {"name": "某商会", "region_id": 999999}, headers)
    assert nowhere.status_code == 422
    assert nowhere.json()["field_errors"]["region_id"] == ["找不到该区域。"]


def test_the_system_admin_enrols_a_member_and_the_region_sees_its_consent(
    client, token_for, world, chamber
) -> None:
    url = f"/api/v1/outreach/chambers/{chamber.pk}/members"
    admin = token_for("system_admin")
    added = post(client, url, {"enterprise_id": world.firm_a.pk, "position": "副会长"}, admin)
    assert added.status_code == 201, added.content
    assert added["Location"] == url
    assert added.json()["consenting"] is False and added.json()["position"] == "副会长"
    again = post(client, url, {"enterprise_id": world.firm_a.pk}, token_for("system_admin"))
    assert again.status_code == 409 and again.json()["detail"] == "该企业已是本商会会员。"
    # the firm itself consents; the supervisors of the region see it
    consent = post(
        client,
        f"/api/v1/outreach/chambers/{chamber.pk}/consents",
        {"enterprise_id": world.firm_a.pk},
        token_for("enterprise"),
    )
    assert consent.status_code == 201, consent.content
    members = client.get(url, **token_for("supervisor")).json()
    assert [(m["enterprise_name"], m["consenting"]) for m in members] == [(world.firm_a.name, True)]
    assert members[0]["consent_granted_at"].endswith("+08:00")


def test_a_member_firm_sees_its_chamber_but_not_the_members(
    client, token_for, world, chamber
) -> None:
    ChamberMembership.objects.create(chamber=chamber, enterprise=world.firm_a)
    headers = token_for("enterprise")
    listed = client.get("/api/v1/outreach/chambers", **headers).json()
    assert [c["name"] for c in listed["items"]] == ["海曙区工商联"]
    assert listed["count"] == 1 and listed["next"] is None
    response = client.get(f"/api/v1/outreach/chambers/{chamber.pk}/members", **headers)
    assert response.status_code == 403


def test_a_town_coordinator_does_not_see_the_district_chamber(
    client, token_for, world, chamber
) -> None:
    response = post(
        client,
        f"/api/v1/outreach/chambers/{chamber.pk}/members",
        {"enterprise_id": world.firm_a.pk},
        token_for("coordinator"),
    )
    assert response.status_code == 404
    assert not ChamberMembership.objects.exists()


def test_a_supervisor_may_not_enrol_a_firm_he_can_see(client, token_for, world, chamber) -> None:
    response = post(
        client,
        f"/api/v1/outreach/chambers/{chamber.pk}/members",
        {"enterprise_id": world.firm_a.pk},
        token_for("supervisor"),
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "只有系统管理员可以登记商会会员。"


def test_a_chamber_outside_ones_scope_is_not_found(client, token_for, world, chamber) -> None:
    other = Chamber.objects.create(name="高桥商会", region=world.other_town)
    for role in ("handler", "enterprise", "coordinator"):
        headers = token_for(role)
        assert client.get(f"/api/v1/outreach/chambers/{other.pk}", **headers).status_code == 404
        members = client.get(f"/api/v1/outreach/chambers/{other.pk}/members", **headers)
        assert members.status_code == 404


def test_a_firm_outside_the_directory_is_not_found(client, token_for, chamber) -> None:
    response = post(
        client,
        f"/api/v1/outreach/chambers/{chamber.pk}/members",
        {"enterprise_id": 999999},
        token_for("system_admin"),
    )
    assert response.status_code == 404
    bad = post(
        client,
        f"/api/v1/outreach/chambers/{chamber.pk}/members",
        {"enterprise_id": "甲"},
        token_for("system_admin"),
    )
    assert bad.status_code == 422 and bad.json()["detail"] == "输入有误，请检查后重试。"


def test_the_chamber_liaisons_api_demand_is_a_chamber_demand_the_liaison_can_read(
    client, token_for, world, chamber
) -> None:
    ChamberMembership.objects.create(chamber=chamber, enterprise=world.firm_a)
    post(
        client,
        f"/api/v1/outreach/chambers/{chamber.pk}/consents",
        {"enterprise_id": world.firm_a.pk},
        token_for("enterprise"),
    )
    liaison = token_for("chamber")
    created = post(
        client,
        "/api/v1/demands",
        {
            "enterprise_id": world.firm_a.pk,
            "category": Category.objects.get(code="tax").code,
            "title": "会员企业出口退税进度慢",
            "description": "会员企业反映出口退税办理进度较慢。",
        },
        liaison,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["channel"] == "chamber"
    assert created["Location"] == f"/api/v1/demands/{body['id']}"
    assert Demand.objects.get(pk=body["id"]).channel == "chamber"
    assert client.get(created["Location"], **liaison).status_code == 200
    assert [d["id"] for d in client.get("/api/v1/demands", **liaison).json()["items"]] == [
        body["id"]
    ]


def test_the_chamber_liaison_sees_the_chamber_as_the_scope_of_the_role(client, token_for) -> None:
    me = client.get("/api/v1/me", **token_for("chamber")).json()
    assert me["roles"] == [{"role": "chamber", "role_label": "商会联络员", "scope": "海曙区工商联"}]


def test_a_coordinator_may_name_the_phone_channel_and_not_anothers(
    client, token_for, world
) -> None:
    body = {
        "enterprise_id": world.firm_a.pk,
        "category": "tax",
        "title": "企业来电反映用电问题",
        "description": "企业来电反映用电增容问题。",
    }
    headers = token_for("coordinator")
    phone = post(client, "/api/v1/demands", {**body, "channel": "phone"}, headers)
    assert phone.status_code == 201 and phone.json()["channel"] == "phone"
    portal = post(client, "/api/v1/demands", {**body, "channel": "portal"}, headers)
    assert portal.status_code == 403
    assert portal.json()["detail"] == "您不能通过该渠道提交诉求。"
    plain = post(client, "/api/v1/demands", body, token_for("enterprise"))
    assert plain.json()["channel"] == "api"
