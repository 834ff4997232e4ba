"""矛盾调解 through /api/v1/mediation: the same rules as the web pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.audit.models import AuditEntry
from qinqing.demands.models import MediationCase
from tests import uploads

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PARTIES = [
    {"kind": "firm", "name": "宁波甲模具有限公司", "phone": "057487654321"},
    {"kind": "worker", "name": "张三", "phone": "13911112222"},
]


def token(client, user, password) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def open_body(world, **changes):
    body = {
        "region_id": world.town.pk,
        "dispute_type": "work_injury",
        "title": "车间工伤赔偿争议",
        "description": "职工在车间受伤，双方对赔偿数额有争议。",
        "mediator_id": world.users["steward"].pk,
        "parties": PARTIES,
    }
    body.update(changes)
    return body


def open_case(client, world, headers, **changes):
    return client.post(
        "/api/v1/mediation", open_body(world, **changes), content_type="application/json", **headers
    )


@pytest.fixture
def coordinator(client, world, password):
    return token(client, world.users["coordinator"], password)


def test_a_coordinator_opens_a_case_and_is_told_where_it_is(client, world, coordinator) -> None:
    response = open_case(client, world, coordinator)
    assert response.status_code == 201, response.content
    case = response.json()
    assert response["Location"] == f"/api/v1/mediation/{case['id']}"
    assert case["number"].startswith("TJ-")
    assert case["opened_at"].endswith("+08:00")
    assert [p["name"] for p in case["parties"]] == ["宁波甲模具有限公司", "张三"]
    assert case["mediator_name"] == world.users["steward"].display_name
    detail = client.get(response["Location"], **coordinator)
    assert detail.status_code == 200 and detail.json()["number"] == case["number"]


def test_a_party_named_by_uscc_is_linked_to_the_firm(client, world, coordinator) -> None:
    parties = [{**PARTIES[0], "uscc": world.firm_a.uscc}, PARTIES[1]]
    case = open_case(client, world, coordinator, parties=parties).json()
    assert case["parties"][0]["enterprise_id"] == world.firm_a.pk


def test_only_a_coordinator_opens_a_case(client, world, password) -> None:
    for role in ("supervisor", "steward", "enterprise"):
        response = open_case(client, world, token(client, world.users[role], password))
        assert response.status_code == 403, role
        assert response.json()["detail"]
    assert not MediationCase.objects.exists()


def test_a_case_outside_the_coordinators_towns_is_refused(client, world, coordinator) -> None:
    response = open_case(client, world, coordinator, region_id=world.other_town.pk)
    assert response.status_code == 422
    assert response.json()["field_errors"]["region_id"] == ["请选择您辖区内的区域。"]


def test_a_case_needs_two_parties_in_chinese(client, world, coordinator) -> None:
    response = open_case(client, world, coordinator, parties=PARTIES[:1])
    assert response.status_code == 422
    assert response.json()["detail"] == "至少需要两方当事人。"


def test_a_mediator_from_elsewhere_is_refused(client, world, coordinator) -> None:
    response = open_case(client, world, coordinator, mediator_id=world.users["handler"].pk)
    assert response.status_code == 422
    assert response.json()["field_errors"]["mediator"] == ["请选择调解员。"]


def test_a_malformed_body_gets_422_with_a_chinese_message(client, world, coordinator) -> None:
    response = open_case(client, world, coordinator, dispute_type="duel", parties="two")
    assert response.status_code == 422
    assert response.json()["detail"] == "输入有误，请检查后重试。"
    fields = " ".join(response.json()["field_errors"])
    assert "dispute_type" in fields and "parties" in fields


def test_the_list_is_paginated_and_only_for_mediation_staff(
    client, world, coordinator, password
) -> None:
    for i in range(3):
        assert open_case(client, world, coordinator, title=f"争议{i}").status_code == 201
    page = client.get("/api/v1/mediation?state=open", **coordinator).json()
    assert page["count"] == 3 and page["next"] is None
    assert [c["title"] for c in page["items"]] == ["争议2", "争议1", "争议0"]
    mediator = client.get("/api/v1/mediation", **token(client, world.users["steward"], password))
    assert mediator.json()["count"] == 3  # the steward mediates all three
    handler = client.get("/api/v1/mediation", **token(client, world.users["handler"], password))
    assert handler.status_code == 403


def test_another_towns_coordinator_gets_404_for_the_case(
    client, world, coordinator, password
) -> None:
    case = open_case(client, world, coordinator).json()
    elsewhere = UserFactory(username="gaoqiao")
    role_grant(actor=None, user=elsewhere, role=Role.COORDINATOR, region=world.other_town)
    headers = token(client, elsewhere, password)
    assert client.get(f"/api/v1/mediation/{case['id']}", **headers).status_code == 404
    session = client.post(
        f"/api/v1/mediation/{case['id']}/sessions",
        {"held_at": timezone.now().isoformat(), "notes": "越权记录"},
        content_type="application/json",
        **headers,
    )
    assert session.status_code == 404
    assert client.get("/api/v1/mediation", **headers).json()["count"] == 0


def test_the_mediator_records_a_session_and_closes_with_the_agreement(
    client, world, coordinator, password
) -> None:
    case = open_case(client, world, coordinator).json()
    mediator = token(client, world.users["steward"], password)
    url = f"/api/v1/mediation/{case['id']}"
    early = client.post(f"{url}/close", {"outcome": "failed", "note": "未能达成一致"}, **mediator)
    assert early.status_code == 409
    assert early.json()["detail"] == "请先记录至少一次调解，再结案。"
    held = (timezone.now() - timedelta(hours=2)).replace(tzinfo=None).isoformat()
    session = client.post(
        f"{url}/sessions",
        {"held_at": held, "place": "古林镇调解室", "notes": "双方初步沟通。"},
        content_type="application/json",
        **mediator,
    )
    assert session.status_code == 201, session.content
    assert session["Location"] == url
    assert session.json()["held_at"].endswith("+08:00")
    no_file = client.post(f"{url}/close", {"outcome": "agreement", "note": "达成协议"}, **mediator)
    assert no_file.status_code == 422
    assert no_file.json()["detail"] == "调解成功须上传调解协议。"
    agreement = uploads.pdf()
    pdf = SimpleUploadedFile("协议.pdf", agreement, content_type="application/pdf")
    closed = client.post(
        f"{url}/close", {"outcome": "agreement", "note": "达成协议", "agreement": pdf}, **mediator
    )
    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert body["outcome"] == "agreement" and body["closed_at"].endswith("+08:00")
    assert body["agreement_url"] == f"{url}/agreement"
    download = client.get(body["agreement_url"], **coordinator)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == agreement
    again = client.post(
        f"{url}/sessions",
        {"held_at": held, "notes": "再谈"},
        content_type="application/json",
        **mediator,
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "该调解案件已结案。"
    assert AuditEntry.objects.filter(action="mediation.close", object_id=str(case["id"])).exists()


def test_a_supervisor_reads_but_cannot_record(client, world, coordinator, password) -> None:
    case = open_case(client, world, coordinator).json()
    supervisor = token(client, world.users["supervisor"], password)
    assert client.get(f"/api/v1/mediation/{case['id']}", **supervisor).status_code == 200
    response = client.post(
        f"/api/v1/mediation/{case['id']}/sessions",
        {"held_at": timezone.now().isoformat(), "notes": "监督员记录"},
        content_type="application/json",
        **supervisor,
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "只有调解员或本辖区协调员可以操作该调解案件。"
