"""Evidence files on a report through the API (multipart), checked like the web form's."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.integrity.reports import guard, services
from qinqing.integrity.reports.models import File, Report
from tests import uploads

from .conftest import SECRET_TEXT

pytestmark = pytest.mark.django_db

PDF = uploads.pdf()


def solved(client: Any) -> dict[str, str]:
    challenge = client.get("/api/v1/reports/challenge").json()
    return {
        "pow_challenge": challenge["challenge"],
        "pow_nonce": guard.solve(challenge["challenge"], challenge["bits"]),
    }


def fields(world: Any, client: Any, **extra: Any) -> dict[str, Any]:
    return {
        "region_code": world.town.code,
        "category": "bribery",
        "title": "验收索要好处费",
        "body": SECRET_TEXT,
        **solved(client),
        **extra,
    }


def pdf(name: str = "证据.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_an_anonymous_report_with_evidence_files_round_trips(client, world, desk) -> None:
    response = client.post(
        "/api/v1/reports/submit/multipart",
        fields(world, client, evidence=[pdf(), pdf("第二份.pdf", uploads.pdf(2))]),
    )
    assert response.status_code == 201, response.content
    assert response["Cache-Control"].startswith("no-store")
    receipt = response.json()["receipt"]
    report = Report.objects.get()
    assert not report.named
    assert File.objects.filter(report=report).count() == 2
    assert all(PDF not in bytes(f.data) for f in File.objects.all())
    seen = client.post(
        "/api/v1/reports/receipt", {"receipt": receipt}, content_type="application/json"
    ).json()
    assert sorted(f["name"] for f in seen["files"]) == ["第二份.pdf", "证据.pdf"]
    first = next(f for f in seen["files"] if f["name"] == "证据.pdf")
    got = client.post(
        f"/api/v1/reports/receipt/files/{first['id']}",
        {"receipt": receipt},
        content_type="application/json",
    )
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")  # metadata stripped
    assert got["Cache-Control"].startswith("no-store")


def test_a_file_is_not_given_for_a_wrong_receipt(client, world, desk, delays) -> None:
    client.post("/api/v1/reports/submit/multipart", fields(world, client, evidence=[pdf()]))
    row = File.objects.get()
    wrong = client.post(
        f"/api/v1/reports/receipt/files/{row.pk}",
        {"receipt": "AAAA-BBBB-CCCC-DDDD"},
        content_type="application/json",
    )
    assert wrong.status_code == 404
    assert wrong.json()["detail"] == "回执码无效或没有该文件。"


def test_a_program_dressed_as_a_pdf_is_refused_and_nothing_is_stored(client, world, desk) -> None:
    fake = pdf("evidence.pdf", b"MZ this is a program")
    data = fields(world, client, evidence=[fake])
    response = client.post("/api/v1/reports/submit/multipart", data)
    assert response.status_code == 422
    body = response.json()
    assert "evidence" in body["field_errors"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])
    assert not Report.objects.exists()


def test_too_many_files_are_refused_like_on_the_web(client, world, desk, settings) -> None:
    settings.REPORTS_FILE_MAX_COUNT = 1
    response = client.post(
        "/api/v1/reports/submit/multipart",
        fields(world, client, evidence=[pdf(), pdf("b.pdf")]),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "一次最多上传 1 个文件。"


def test_a_report_without_files_and_without_proof_of_work(client, world, desk) -> None:
    plain = client.post("/api/v1/reports/submit/multipart", fields(world, client))
    assert plain.status_code == 201
    no_pow = fields(world, client, pow_nonce="0")
    refused = client.post("/api/v1/reports/submit/multipart", no_pow)
    assert refused.status_code == 422 and "pow" in refused.json()["field_errors"]
    assert Report.objects.count() == 1


def test_the_reporter_adds_a_file_with_the_receipt(client, world, desk, report_and_receipt) -> None:
    _report, receipt = report_and_receipt
    response = client.post(
        "/api/v1/reports/receipt/follow-up/multipart",
        {"receipt": receipt, "body": "补充一份验收单照片。", **solved(client), "evidence": pdf()},
    )
    assert response.status_code == 200, response.content
    messages = response.json()["messages"]
    assert messages[-1]["body"] == "补充一份验收单照片。"
    assert [f["name"] for f in messages[-1]["files"]] == ["证据.pdf"]
    opened = services.read_by_receipt(receipt=receipt)
    assert opened is not None and opened.messages[-1].files


def test_a_follow_up_with_a_wrong_receipt_is_not_found(client, world, desk, delays) -> None:
    response = client.post(
        "/api/v1/reports/receipt/follow-up/multipart",
        {"receipt": "AAAA-BBBB-CCCC-DDDD", "body": "补充", **solved(client), "evidence": pdf()},
    )
    assert response.status_code == 404
    assert not File.objects.exists()
