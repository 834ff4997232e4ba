"""矛盾调解: coordinators open cases, mediators record sessions and close with an outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.demands.mediation import (
    mediation_close,
    mediation_open,
    mediation_session_add,
    mediation_summary,
    mediations_visible_to,
)
from qinqing.demands.models import MediationCase
from tests import uploads

pytestmark = pytest.mark.django_db

PARTIES = [
    {"kind": "firm", "name": "宁波甲模具有限公司", "phone": "057487654321"},
    {"kind": "worker", "name": "张三", "phone": "13911112222"},
]


def open_case(world, **kwargs) -> MediationCase:
    values = {
        "actor": world.users["coordinator"],
        "region": world.town,
        "dispute_type": "work_injury",
        "title": "车间工伤赔偿争议",
        "description": "职工在车间受伤，双方对赔偿数额有争议。",
        "mediator": world.users["steward"],
        "parties": PARTIES,
    }
    values.update(kwargs)
    return mediation_open(**values)


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("协议.pdf", uploads.pdf(), content_type="application/pdf")


def test_a_coordinator_opens_a_case_with_a_readable_number(world) -> None:
    case = open_case(world)
    assert case.number.startswith("TJ-2026-") or case.number.startswith("TJ-")
    assert case.parties.count() == 2
    assert AuditEntry.objects.filter(action="mediation.open", object_id=str(case.pk)).exists()


def test_only_a_coordinator_of_the_region_opens_cases(world) -> None:
    with pytest.raises(NotPermitted):
        open_case(world, actor=world.users["supervisor"])
    with pytest.raises(NotPermitted):
        open_case(world, region=world.other_town)


def test_a_case_needs_two_parties(world) -> None:
    with pytest.raises(ServiceError, match="两方"):
        open_case(world, parties=PARTIES[:1])
    assert not MediationCase.objects.exists()


def test_the_mediator_records_sessions_and_closes_with_the_agreement(world) -> None:
    case = open_case(world)
    mediator = world.users["steward"]
    with pytest.raises(Conflict, match="至少一次调解"):
        mediation_close(
            actor=mediator, case_id=case.pk, outcome="agreement", note="达成协议", agreement=pdf()
        )
    mediation_session_add(
        actor=mediator,
        case_id=case.pk,
        notes="双方初步沟通。",
        held_at=timezone.now() - timedelta(hours=1),
    )
    with pytest.raises(ServiceError, match="调解协议"):
        mediation_close(actor=mediator, case_id=case.pk, outcome="agreement", note="达成协议")
    closed = mediation_close(
        actor=mediator,
        case_id=case.pk,
        outcome="agreement",
        note="企业一次性赔偿三万元。",
        agreement=pdf(),
    )
    assert closed.closed_at is not None and closed.agreement.name.endswith(".pdf")
    with pytest.raises(Conflict):
        mediation_session_add(actor=mediator, case_id=case.pk, notes="再谈", held_at=timezone.now())


def test_others_cannot_record_or_close(world) -> None:
    case = open_case(world)
    with pytest.raises(NotPermitted):
        mediation_session_add(
            actor=world.users["official"], case_id=case.pk, notes="x", held_at=timezone.now()
        )


def test_an_agreement_must_be_a_pdf_or_an_image(world) -> None:
    case = open_case(world)
    mediation_session_add(
        actor=world.users["steward"], case_id=case.pk, notes="沟通", held_at=timezone.now()
    )
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ServiceError, match="PDF"):
        mediation_close(
            actor=world.users["steward"],
            case_id=case.pk,
            outcome="agreement",
            note="达成",
            agreement=exe,
        )


def test_cases_are_counted_by_outcome_for_the_region(world) -> None:
    first, second = open_case(world), open_case(world)
    for case in (first, second):
        mediation_session_add(
            actor=world.users["steward"], case_id=case.pk, notes="沟通", held_at=timezone.now()
        )
    mediation_close(
        actor=world.users["steward"], case_id=first.pk, outcome="court", note="移交法院"
    )
    summary = mediation_summary(user=world.users["supervisor"])
    assert summary["total"] == 2 and summary["open"] == 1 and summary["court"] == 1
    assert not mediations_visible_to(world.users["enterprise"]).exists()


def test_the_pages_open_record_and_close(client, world, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users["coordinator"])
    form = {
        "region": world.town.pk,
        "dispute_type": "wages",
        "title": "拖欠工资",
        "description": "三名职工反映被拖欠两个月工资。",
        "mediator": world.users["coordinator"].pk,
        "party-0-kind": "firm",
        "party-0-name": "宁波甲模具有限公司",
        "party-0-uscc": world.firm_a.uscc,
        "party-1-kind": "worker",
        "party-1-name": "李四",
    }
    missing = client.post("/mediation/new/", {**form, "party-1-name": ""})
    body = missing.content.decode()
    assert "至少需要两方当事人" in body and "三名职工反映" in body
    created = client.post("/mediation/new/", form)
    case = MediationCase.objects.get()
    assert created["Location"] == f"/mediation/{case.pk}/"
    client.post(f"/mediation/{case.pk}/", {"s-held_at": "2026-11-20T10:00", "s-notes": "调解一次"})
    client.post(
        f"/mediation/{case.pk}/",
        {"c-outcome": "agreement", "c-note": "已付清", "c-agreement": pdf()},
    )
    case.refresh_from_db()
    assert case.outcome == "agreement"
    download = client.get(f"/mediation/{case.pk}/agreement/")
    assert download.status_code == 200
    client.force_login(world.users["enterprise"])
    assert client.get(f"/mediation/{case.pk}/").status_code == 404
    assert client.get(f"/mediation/{case.pk}/agreement/").status_code == 404


def test_the_public_statistics_count_mediations_by_district_without_details(client, world) -> None:
    case = open_case(world)
    mediation_session_add(
        actor=world.users["steward"], case_id=case.pk, notes="沟通", held_at=timezone.now()
    )
    mediation_close(actor=world.users["steward"], case_id=case.pk, outcome="court", note="移交法院")
    open_case(world)
    body = client.get("/stats/").content.decode()
    table = body[body.index('id="stats-mediation"') :]
    assert "海曙区" in table[:2000]
    assert "车间工伤赔偿争议" not in body and "张三" not in body


def test_an_agreement_that_is_a_web_page_named_pdf_is_refused(world) -> None:
    case = open_case(world)
    mediation_session_add(
        actor=world.users["steward"], case_id=case.pk, notes="沟通", held_at=timezone.now()
    )
    page = SimpleUploadedFile("协议.pdf", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ServiceError) as caught:
        mediation_close(
            actor=world.users["steward"],
            case_id=case.pk,
            outcome="agreement",
            note="达成",
            agreement=page,
        )
    assert "“协议.pdf”的内容不是PDF文件" in caught.value.field_errors["agreement"][0]
    case.refresh_from_db()
    assert case.closed_at is None and not case.agreement
