"""Attachments: checked by type and size, kept on disk under a random name, read only in scope."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant, token_issue
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.files import content_disposition, display_name
from qinqing.demands import services
from qinqing.demands.attachments import attachment_add, attachment_for, attachments_add
from qinqing.demands.models import Attachment, Demand, DemandEvent

from .. import uploads
from ..factories import UserFactory
from .conftest import Cases

PHOTO = uploads.jpeg()
PNG = uploads.png()
PDF = uploads.pdf()
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x44" * 300


office = uploads.office


def upload(name: str, content: bytes = PHOTO, content_type: str = "image/jpeg") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def demand(cases: Cases) -> Demand:
    return cases.submit()


@pytest.fixture
def rival(cases: Cases) -> User:
    """A user of 宁波乙机械有限公司, a firm in the neighbouring grid."""
    user = UserFactory(username="yi_firm", display_name="乙企业")
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=cases.world.firm_b)
    return user


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_headers(user: User) -> dict[str, str]:
    _token, raw = token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def attach_url(demand: Demand) -> str:
    return f"/demands/{demand.pk}/attachments/"


def download_url(attachment: Attachment) -> str:
    return f"/demands/{attachment.demand_id}/attachments/{attachment.pk}/"


def api_url(attachment: Attachment) -> str:
    return f"/api/v1/demands/{attachment.demand_id}/attachments/{attachment.pk}"


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# --- uploading and downloading on the case page ---------------------------------------------
def test_the_firm_attaches_a_photo_and_the_handler_downloads_it(cases, demand) -> None:
    response = client_of(cases.firm_user).post(
        attach_url(demand), {"attach-attachments": [upload("现场照片.jpg")]}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(demand=demand)
    assert (attachment.name, attachment.size) == ("现场照片.jpg", len(PHOTO))
    assert attachment.content_type == "image/jpeg"
    assert attachment.uploaded_by == cases.firm_user

    handler = client_of(cases.handler)
    page = handler.get(f"/demands/{demand.pk}/").content.decode()
    assert "现场照片.jpg" in page
    assert download_url(attachment) in page

    response = handler.get(download_url(attachment))
    assert response.status_code == 200
    assert body(response) == PHOTO
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"filename*=UTF-8''{quote('现场照片.jpg')}" in response["Content-Disposition"]


def test_the_handler_attaches_a_pdf_and_the_firm_downloads_it(cases, demand) -> None:
    client_of(cases.handler).post(
        attach_url(demand),
        {"attach-attachments": [upload("批复.pdf", PDF, "application/pdf")]},
    )
    attachment = Attachment.objects.get(demand=demand)

    response = client_of(cases.firm_user).get(download_url(attachment))

    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Type"] == "application/pdf"


def test_several_files_of_every_allowed_type_are_accepted_at_once(cases, demand) -> None:
    files = [
        upload("照片.JPEG"),
        upload("截图.png", PNG, "image/png"),
        upload("证明.pdf", PDF, "application/pdf"),
        upload("说明.docx", office("word/"), "application/octet-stream"),
        upload("清单.xlsx", office("xl/"), "application/octet-stream"),
    ]
    added = attachments_add(actor=cases.firm_user, demand_id=demand.pk, uploads=files)

    assert [a.content_type for a in added] == [
        "image/jpeg",
        "image/png",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]


def test_the_upload_form_is_offered_to_those_who_may_attach(cases, demand) -> None:
    assert "上传附件" in client_of(cases.firm_user).get(f"/demands/{demand.pk}/").content.decode()
    assert "上传附件" in client_of(cases.coordinator).get(f"/demands/{demand.pk}/").content.decode()
    # the district's supervisor reads the case but does not file papers on it
    assert (
        "上传附件" not in client_of(cases.supervisor).get(f"/demands/{demand.pk}/").content.decode()
    )


# --- refused files ---------------------------------------------------------------------------
def test_a_jpg_that_is_really_a_program_is_refused(cases, demand, media) -> None:
    response = client_of(cases.firm_user).post(
        attach_url(demand), {"attach-attachments": [upload("发票.jpg", PROGRAM)]}
    )

    assert response.status_code == 422
    assert "“发票.jpg”的内容不是JPG文件" in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored(media) == []


def test_a_file_of_another_type_is_refused_by_its_name(cases, demand) -> None:
    with pytest.raises(ServiceError, match=re.escape("“setup.exe”不能上传")):
        attachment_add(
            actor=cases.firm_user, demand_id=demand.pk, upload=upload("setup.exe", PROGRAM)
        )


def test_a_zip_renamed_to_docx_is_refused(cases, demand) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", PROGRAM)
    with pytest.raises(ServiceError, match=re.escape("“合同.docx”的内容不是Word文件")):
        attachment_add(
            actor=cases.firm_user,
            demand_id=demand.pk,
            upload=upload("合同.docx", buffer.getvalue(), "application/zip"),
        )


def test_a_file_over_the_size_limit_is_refused(cases, demand, settings, media) -> None:
    settings.DEMAND_ATTACHMENT_MAX_BYTES = 400
    response = client_of(cases.firm_user).post(
        attach_url(demand), {"attach-attachments": [upload("大照片.jpg")]}
    )

    assert response.status_code == 413
    assert "“大照片.jpg”有" in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored(media) == []


def test_an_empty_file_is_refused(cases, demand) -> None:
    with pytest.raises(ServiceError, match=re.escape("“空.pdf”是空文件")):
        attachment_add(actor=cases.firm_user, demand_id=demand.pk, upload=upload("空.pdf", b""))


def test_more_than_five_files_in_one_upload_are_refused(cases, demand, media) -> None:
    files = [upload(f"照片{i}.jpg") for i in range(6)]
    with pytest.raises(ServiceError, match="一次最多上传5个附件"):
        attachments_add(actor=cases.firm_user, demand_id=demand.pk, uploads=files)
    assert stored(media) == []


def test_a_case_holds_at_most_its_limit_of_files(cases, demand, settings) -> None:
    settings.DEMAND_ATTACHMENT_MAX_PER_CASE = 3
    attachments_add(
        actor=cases.firm_user,
        demand_id=demand.pk,
        uploads=[upload("一.jpg"), upload("二.jpg")],
    )
    with pytest.raises(ServiceError, match="每件诉求最多3个附件，已有2个，还能上传1个"):
        attachments_add(
            actor=cases.handler,
            demand_id=demand.pk,
            uploads=[upload("三.jpg"), upload("四.jpg")],
        )
    assert demand.attachments.count() == 2


def test_one_bad_file_among_good_ones_stores_none_of_them(cases, demand, media) -> None:
    files = [upload("好.jpg"), upload("坏.png", PROGRAM, "image/png")]
    with pytest.raises(ServiceError, match=re.escape("“坏.png”")):
        attachments_add(actor=cases.firm_user, demand_id=demand.pk, uploads=files)
    assert not Attachment.objects.exists()
    assert stored(media) == []


# --- who may attach --------------------------------------------------------------------------
def test_an_assisting_department_and_the_coordinator_may_attach(cases, demand) -> None:
    demand = services.demand_act(
        actor=cases.handler, demand_id=demand.pk, action="accept", version=demand.version
    )
    services.assist_request(
        actor=cases.handler, demand_id=demand.pk, department_id=cases.other.pk, part="核对纳税记录"
    )

    attachment_add(actor=cases.other_handler, demand_id=demand.pk, upload=upload("纳税.pdf", PDF))
    attachment_add(actor=cases.coordinator, demand_id=demand.pk, upload=upload("记录.pdf", PDF))

    assert demand.attachments.count() == 2


def test_a_handler_of_an_unrelated_department_may_not_attach(cases, demand) -> None:
    with pytest.raises(NotPermitted):
        attachment_add(actor=cases.other_handler, demand_id=demand.pk, upload=upload("x.jpg"))


def test_nothing_can_be_attached_once_the_case_is_over(cases, demand) -> None:
    services.demand_act(
        actor=cases.firm_user, demand_id=demand.pk, action="withdraw", version=demand.version
    )
    with pytest.raises(Conflict):
        attachment_add(actor=cases.firm_user, demand_id=demand.pk, upload=upload("晚了.jpg"))


# --- nobody else reads them ------------------------------------------------------------------
@pytest.fixture
def photo(cases: Cases, demand: Demand) -> Attachment:
    return attachment_add(actor=cases.firm_user, demand_id=demand.pk, upload=upload("车间.jpg"))


def test_another_firms_user_cannot_download_a_file(client, rival, photo) -> None:
    assert client_of(rival).get(download_url(photo)).status_code == 404
    assert client.get(api_url(photo), **api_headers(rival)).status_code == 404
    with pytest.raises(Attachment.DoesNotExist):
        attachment_for(user=rival, attachment_id=photo.pk)


def test_a_handler_of_an_unrelated_department_cannot_download_a_file(client, cases, photo) -> None:
    assert client_of(cases.other_handler).get(download_url(photo)).status_code == 404
    assert client.get(api_url(photo), **api_headers(cases.other_handler)).status_code == 404


def test_a_file_is_not_found_under_another_case(cases, photo) -> None:
    other_case = cases.submit(title="另一件诉求", description="另一件诉求的详细描述。")
    response = client_of(cases.firm_user).get(f"/demands/{other_case.pk}/attachments/{photo.pk}/")
    assert response.status_code == 404


def test_the_file_is_stored_on_disk_under_a_random_name(photo, media) -> None:
    path = Path(photo.file.path)
    assert path.is_relative_to(media)
    assert path.read_bytes() == PHOTO
    assert "车间" not in photo.file.name
    assert photo.file.name.startswith(f"demands/{photo.demand.number}/")
    assert photo.file.name.endswith(".jpg")
    # the database holds the path only, never the bytes
    (column,) = Attachment.objects.filter(pk=photo.pk).values_list("file", flat=True)
    assert column == photo.file.name


# --- the record ------------------------------------------------------------------------------
def test_an_attachment_leaves_a_timeline_event_and_an_audit_entry(cases, photo) -> None:
    event = DemandEvent.objects.get(demand=photo.demand, action="attach")
    assert (event.note, event.internal, event.actor) == (
        "上传附件：车间.jpg",
        False,
        cases.firm_user,
    )
    entry = AuditEntry.objects.get(action="demand.attach")
    assert entry.object_id == str(photo.demand_id)
    assert entry.changes["attachment"] == photo.pk
    assert entry.changes["name"] == "车间.jpg"


def test_staff_downloads_are_recorded_but_the_firms_own_are_not(cases, photo) -> None:
    client_of(cases.firm_user).get(download_url(photo))
    assert not AuditEntry.objects.filter(action="demand.attachment_download").exists()

    client_of(cases.handler).get(download_url(photo))
    entry = AuditEntry.objects.get(action="demand.attachment_download")
    assert entry.actor_id == cases.handler.pk
    assert entry.changes == {"attachment": photo.pk, "name": "车间.jpg"}


# --- submitting with attachments -------------------------------------------------------------
def submission(cases: Cases, *files: Any) -> dict[str, Any]:
    return {
        "enterprise": cases.world.firm_a.pk,
        "category": cases.tax.pk,
        "title": "厂房漏水影响生产",
        "description": "厂房屋顶漏水，雨天无法生产。",
        "attachments": list(files),
    }


def test_a_firm_attaches_photos_when_submitting(cases) -> None:
    data = submission(cases, upload("屋顶.jpg"), upload("地面.png", PNG))
    response = client_of(cases.firm_user).post("/demands/new/", data)

    assert response.status_code == 302
    demand = Demand.objects.get()
    assert sorted(a.name for a in demand.attachments.all()) == ["地面.png", "屋顶.jpg"]
    assert demand.events.filter(action="attach").count() == 2


def test_submitting_with_a_bad_attachment_stores_no_case_at_all(cases, media) -> None:
    data = submission(cases, upload("屋顶.jpg"), upload("病毒.jpg", PROGRAM))
    response = client_of(cases.firm_user).post("/demands/new/", data)

    assert response.status_code == 422
    page = response.content.decode()
    assert "“病毒.jpg”的内容不是JPG文件" in page
    assert "请重新选择附件" in page
    assert "厂房漏水影响生产" in page and "厂房屋顶漏水，雨天无法生产。" in page
    assert not Demand.objects.exists()
    assert not Attachment.objects.exists()
    assert not DemandEvent.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["demand.submit", "demand.attach"]).exists()
    assert stored(media) == []


def test_a_form_sent_back_for_another_reason_asks_for_the_files_again(cases) -> None:
    data = {**submission(cases, upload("屋顶.jpg")), "category": ""}
    response = client_of(cases.firm_user).post("/demands/new/", data)

    assert response.status_code == 422
    assert "请重新选择附件" in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_stewards_form_has_no_file_picker(cases) -> None:
    steward = cases.world.users["steward"]
    page = client_of(steward).get("/demands/new/steward/").content.decode()
    assert 'type="file"' not in page


def test_the_submit_form_accepts_several_files(cases) -> None:
    page = client_of(cases.firm_user).get("/demands/new/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<input type="file" name="attachments"[^>]* multiple', page)
    assert 'accept=".jpg,.jpeg,.png,.pdf,.docx,.xlsx"' in page


# --- the API ---------------------------------------------------------------------------------
def test_the_api_takes_a_file_and_gives_it_back(client, cases, demand) -> None:
    response = client.post(
        f"/api/v1/demands/{demand.pk}/attachments",
        {"file": upload("营业执照.png", PNG, "image/png")},
        **api_headers(cases.firm_user),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert {k: data[k] for k in ("name", "size", "content_type")} == {
        "name": "营业执照.png",
        "size": len(PNG),
        "content_type": "image/png",
    }
    attachment = Attachment.objects.get(pk=data["id"])

    detail = client.get(f"/api/v1/demands/{demand.pk}", **api_headers(cases.handler)).json()
    assert [a["id"] for a in detail["attachments"]] == [attachment.pk]

    response = client.get(api_url(attachment), **api_headers(cases.handler))
    assert response.status_code == 200
    assert body(response) == PNG
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "filename*=UTF-8''" in response["Content-Disposition"]


def test_the_api_refuses_a_disguised_file_and_a_too_big_one(
    client, cases, demand, settings
) -> None:
    headers = api_headers(cases.firm_user)
    url = f"/api/v1/demands/{demand.pk}/attachments"

    disguised = client.post(url, {"file": upload("a.pdf", PROGRAM)}, **headers)
    assert disguised.status_code == 422
    assert "“a.pdf”的内容不是PDF文件" in disguised.json()["detail"]

    settings.DEMAND_ATTACHMENT_MAX_BYTES = 100
    too_big = client.post(url, {"file": upload("b.jpg")}, **headers)
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "too_large"
    assert not Attachment.objects.exists()


def test_the_api_answers_404_for_a_case_outside_the_callers_scope(client, rival, demand) -> None:
    response = client.post(
        f"/api/v1/demands/{demand.pk}/attachments",
        {"file": upload("x.jpg")},
        **api_headers(rival),
    )
    assert response.status_code == 404


def test_the_api_needs_a_login(client, photo) -> None:
    assert client.get(api_url(photo)).status_code == 401


# --- names -----------------------------------------------------------------------------------
def test_folders_and_control_characters_are_dropped_from_the_name() -> None:
    assert display_name("C:\\Users\\wang\\现场\u202eexe.jpg") == "现场exe.jpg"
    assert display_name("../../etc/passwd\n.pdf") == "passwd.pdf"
    assert display_name("长" * 300 + ".pdf") == "长" * 196 + ".pdf"


def test_the_download_name_has_an_ascii_fallback_and_the_real_name() -> None:
    name = '报告 "终稿".pdf'
    assert content_disposition(name) == (
        f"attachment; filename=\"__ ____.pdf\"; filename*=UTF-8''{quote(name, safe='')}"
    )


# --- the structure check (issue 14, H1): bombs and polyglots, all or none ---------------------
def test_one_bad_file_among_several_on_the_case_page_keeps_none(cases, demand, media) -> None:
    files = [
        upload("现场.jpg"),
        upload("说明.docx", uploads.zip_bomb_docx(unpacked=2 * 1024 * 1024)),
        upload("批复.pdf", PDF, "application/pdf"),
    ]
    response = client_of(cases.firm_user).post(attach_url(demand), {"attach-attachments": files})

    assert response.status_code == 422
    page = response.content.decode()
    assert "“说明.docx”中的部件“word/media/zeros.bin”压缩比异常" in page
    assert "本次选择的3个文件均未上传" in page
    assert not Attachment.objects.exists()
    assert stored(media) == []


def test_submitting_with_a_picture_bomb_stores_no_case_and_keeps_the_text(cases, media) -> None:
    bomb = uploads.png_bomb(20000, 20000)
    data = submission(cases, upload("屋顶.jpg"), upload("地面.png", bomb, "image/png"))
    response = client_of(cases.firm_user).post("/demands/new/", data)

    assert response.status_code == 422
    page = response.content.decode()
    assert "“地面.png”的像素过多" in page
    assert "厂房漏水影响生产" in page and "厂房屋顶漏水，雨天无法生产。" in page
    assert not Demand.objects.exists()
    assert stored(media) == []


def test_the_api_refuses_six_files_at_once_and_keeps_none(client, cases, demand, media) -> None:
    response = client.post(
        f"/api/v1/demands/{demand.pk}/attachments",
        {"file": [upload(f"照片{i}.jpg") for i in range(6)]},
        **api_headers(cases.firm_user),
    )

    assert response.status_code == 422
    data = response.json()
    assert "一次只能上传1个文件，您发送了6个，均未上传" in data["detail"]
    assert data["field_errors"] == {"file": [data["detail"]]}
    assert not Attachment.objects.exists()
    assert stored(media) == []


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("合同.docx", uploads.zip_bomb_docx(unpacked=2 * 1024 * 1024), "压缩比异常"),
        ("现场.png", uploads.png_bomb(20000, 20000), "像素过多"),
        ("照片.jpg", uploads.jpeg() + uploads.PE_PROGRAM, "可执行程序"),
        ("批复.pdf", b"%PDF-1.4\n<html><script>x</script></html>\nstartxref\n0\n%%EOF", "网页"),
    ],
)
def test_the_api_refuses_bombs_and_polyglots_with_422(
    client, cases, demand, media, name: str, content: bytes, words: str
) -> None:
    response = client.post(
        f"/api/v1/demands/{demand.pk}/attachments",
        {"file": upload(name, content)},
        **api_headers(cases.firm_user),
    )

    assert response.status_code == 422
    data = response.json()
    assert f"“{name}”" in data["detail"] and words in data["detail"]
    assert data["field_errors"]["attachments"] == [data["detail"]]
    assert not Attachment.objects.exists()
    assert stored(media) == []
