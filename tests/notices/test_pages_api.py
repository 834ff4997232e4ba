"""Notices through the web pages and the API: scope by id, attachments, receipts, export."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import ServiceError
from qinqing.notices.models import NoticeFile, Receipt
from qinqing.notices.services import notice_attach
from tests import uploads

pytestmark = pytest.mark.django_db

PDF = uploads.pdf()


@pytest.fixture
def token_for(client, world, password):
    def issue(username: str) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token",
            {"username": username, "password": password},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


def test_a_firm_cannot_open_a_notice_not_addressed_to_it_by_changing_the_id(
    client, world, make_notice, other_firm_user, password, token_for
) -> None:
    notice = make_notice(title="古林镇通知")
    client.force_login(other_firm_user)
    assert client.get(f"/notices/{notice.pk}/").status_code == 404
    assert client.get(f"/notices/{notice.pk}/receipts/").status_code == 404
    client.logout()
    headers = token_for("firm_other_owner")
    assert client.get(f"/api/v1/notices/{notice.pk}", **headers).status_code == 404
    assert not Receipt.objects.filter(first_read_at__isnull=False).exists()


def test_opening_the_page_marks_the_firm_read(client, world, make_notice) -> None:
    notice = make_notice()
    client.force_login(world.users["enterprise"])
    response = client.get(f"/notices/{notice.pk}/")
    assert response.status_code == 200 and notice.title in response.content.decode()
    assert Receipt.objects.get(notice=notice, enterprise=world.firm_a).first_read_at is not None


def test_the_feed_page_lists_the_firms_notices(client, world, make_notice) -> None:
    make_notice(kind="announcement", title="口罩可按每只2元订购")
    client.force_login(world.users["enterprise"])
    body = client.get("/notices/").content.decode()
    assert "口罩可按每只2元订购" in body and "未读" in body


def test_attachments_are_checked_and_downloaded_only_by_those_who_see_the_notice(
    client, world, make_notice, other_firm_user
) -> None:
    notice = make_notice()
    fake = SimpleUploadedFile("政策原文.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ServiceError):
        notice_attach(actor=world.users["coordinator"], notice_id=notice.pk, uploads=[fake])
    client.force_login(world.users["coordinator"])
    upload = SimpleUploadedFile("政策原文.pdf", PDF, content_type="application/pdf")
    client.post(f"/notices/{notice.pk}/attachments/", {"attachments": upload})
    item = NoticeFile.objects.get()
    client.force_login(world.users["enterprise"])
    response = client.get(f"/notices/files/{item.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(other_firm_user)
    assert client.get(f"/notices/files/{item.pk}/").status_code == 404
    client.force_login(world.users["steward"])
    assert client.get(f"/notices/files/{item.pk}/").status_code == 200


def test_a_firm_cannot_upload_attachments(client, world, make_notice) -> None:
    notice = make_notice()
    client.force_login(world.users["enterprise"])
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    client.post(f"/notices/{notice.pk}/attachments/", {"attachments": upload})
    assert not NoticeFile.objects.exists()


def test_the_steward_marks_explained_on_the_receipts_page(client, world, make_notice) -> None:
    notice = make_notice()
    client.force_login(world.users["steward"])
    body = client.get(f"/notices/{notice.pk}/receipts/?status=unread").content.decode()
    assert world.firm_a.name in body and world.firm_b.name not in body
    response = client.post(
        f"/notices/{notice.pk}/receipts/{world.firm_a.pk}/explain/",
        {"note": "走访时当面讲解", "status": "unread"},
    )
    assert response.status_code == 302
    assert Receipt.objects.get(notice=notice, enterprise=world.firm_a).explained_at is not None


def test_receipts_export_opens_in_excel_and_is_audited(client, world, make_notice) -> None:
    notice = make_notice()
    client.force_login(world.users["coordinator"])
    response = client.get(f"/notices/{notice.pk}/receipts.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {world.firm_a.name, world.firm_b.name}
    assert AuditEntry.objects.filter(action="notice.export").exists()


def test_the_write_form_keeps_input_and_shows_errors_next_to_fields(client, world) -> None:
    client.force_login(world.users["coordinator"])
    response = client.post(
        "/notices/new/",
        {"kind": "policy", "title": "稳岗补贴", "body": "内容", "regions": [world.town.code]},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "政策类通知请填写发文机关。" in body and "稳岗补贴" in body


def test_the_api_writes_publishes_and_counts_receipts(client, world, token_for) -> None:
    headers = token_for("coordinator")
    created = client.post(
        "/api/v1/notices",
        {
            "kind": "job",
            "title": "会员企业提供媒体岗位，部分为兼职",
            "body": "有意者请联系家园。",
            "audience": {"regions": [world.town.code]},
        },
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    published = client.post(f"/api/v1/notices/{pk}/publish", **headers)
    assert published.status_code == 200 and published.json()["recipients"] == 2
    again = client.post(f"/api/v1/notices/{pk}/publish", **headers)
    assert again.status_code == 409
    firm = token_for("enterprise")
    assert client.get(f"/api/v1/notices/{pk}", **firm).json()["is_read"] is True
    summary = client.get(f"/api/v1/notices/{pk}/receipts/summary", **headers).json()
    assert summary["total"]["read"] == 1 and summary["total"]["unread"] == 1
    steward = token_for("steward")
    explained = client.post(
        f"/api/v1/notices/{pk}/receipts/{world.firm_b.pk}/explain",
        {"note": "讲了"},
        content_type="application/json",
        **steward,
    )
    assert explained.status_code == 403
    assert client.get(f"/api/v1/notices/{pk}/receipts", **firm).status_code == 403


def test_the_api_rejects_a_policy_without_its_fields_with_422(client, world, token_for) -> None:
    response = client.post(
        "/api/v1/notices",
        {"kind": "policy", "title": "t", "body": "b", "audience": {"regions": [world.town.code]}},
        content_type="application/json",
        **token_for("coordinator"),
    )
    assert response.status_code == 422
    assert "issuing_body" in response.json()["field_errors"]


def test_one_bad_attachment_among_several_keeps_none_and_names_it(world, make_notice) -> None:
    from tests import uploads

    notice = make_notice()
    files = [
        SimpleUploadedFile("政策原文.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("附表.xlsx", uploads.office("xl/", {"xl/vbaProject.bin": b"m"})),
    ]
    with pytest.raises(ServiceError) as caught:
        notice_attach(actor=world.users["coordinator"], notice_id=notice.pk, uploads=files)
    assert "“附表.xlsx”中含有宏" in caught.value.message
    assert "2个文件均未上传" in caught.value.message
    assert not NoticeFile.objects.exists()
