"""The public pages: an anonymous report, its receipt, and what the server keeps of it."""

from __future__ import annotations

import io
import re

from django.apps import apps
from django.db import connection

from qinqing.audit.models import AuditEntry
from qinqing.integrity.reports import services
from qinqing.integrity.reports.models import Report

from .conftest import PASSWORD, SECRET_TEXT, pow_fields

ADDRESS = "203.0.113.77"
AGENT = "Mozilla/5.0 (ReporterPhone; 举报人的手机)"


def submit(client, world, **extra) -> str:
    data = {
        "region": world.town.pk,
        "category": "bribery",
        "title": "验收索要好处费",
        "body": SECRET_TEXT,
        "accused_people": "王科长",
        **pow_fields(client, "/reports/new/"),
        **extra,
    }
    response = client.post("/reports/new/", data, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    assert response.status_code == 200, response.content.decode()[:2000]
    match = re.search(r'id="receipt-code"[^>]*>([\d ]+)<', response.content.decode())
    assert match, "the receipt is shown"
    return match.group(1).replace(" ", "")


def test_receipt_round_trip_read_the_reply_and_add_information(client, world, desk) -> None:
    receipt = submit(client, world)
    assert len(receipt) == 16
    report = Report.objects.get()
    services.report_reply(
        actor=desk.lead, report_id=report.pk, key=desk.key(desk.lead), body="已收到，正在核实。"
    )
    page = client.post("/reports/receipt/", {"receipt": receipt})
    assert page.status_code == 200
    body = page.content.decode()
    assert SECRET_TEXT in body and "已收到，正在核实。" in body
    added = client.post(
        "/reports/receipt/follow-up/",
        {
            "receipt": receipt,
            "body": "补充：时间是三月五日下午",
            **pow_fields(client, "/reports/new/"),
        },
    )
    assert "补充：时间是三月五日下午" in added.content.decode()
    opened = services.report_open(actor=desk.lead, report=report, key=desk.key(desk.lead))
    assert [m.body for m in opened.messages][-1] == "补充：时间是三月五日下午"


def test_the_receipt_is_shown_once_and_not_stored(client, world, desk) -> None:
    receipt = submit(client, world)
    assert receipt not in client.get("/reports/new/").content.decode()
    assert receipt not in str(list(Report.objects.values_list("receipt_lookup", flat=True)))


def test_a_wrong_receipt_gets_nothing_and_is_slowed_down(client, world, desk, delays) -> None:
    submit(client, world)
    answers = [
        client.post("/reports/receipt/", {"receipt": "1234 5678 9012 3456"}) for _ in range(4)
    ]
    for answer in answers:
        assert answer.status_code == 404
        assert SECRET_TEXT not in answer.content.decode()
        assert "回执码无效" in answer.content.decode()
    assert delays == sorted(delays) and delays[-1] > delays[0] > 0


def test_too_many_wrong_receipts_are_refused_even_the_right_one(
    client, world, desk, delays, settings
) -> None:
    settings.REPORTS_RECEIPT_MAX_FAILURES = 3
    receipt = submit(client, world)
    for _ in range(3):
        client.post("/reports/receipt/", {"receipt": "1111222233334444"})
    refused = client.post("/reports/receipt/", {"receipt": receipt})
    assert refused.status_code == 429
    assert SECRET_TEXT not in refused.content.decode()


def test_the_database_holds_no_plaintext_no_address_no_user_agent(client, world, desk) -> None:
    receipt = submit(
        client, world, named="on", name="张三举报人", phone="13900009999", unit="某某公司"
    )
    needles = [
        SECRET_TEXT,
        "王科长",
        "张三举报人",
        "13900009999",
        ADDRESS,
        "ReporterPhone",
        receipt,
    ]
    models = list(apps.get_app_config("reports").get_models())
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        text = bytes(value).decode("utf-8", "ignore")
                    else:
                        text = str(value)
                    for needle in needles:
                        assert needle not in text, (model.__name__, needle)
    for entry in AuditEntry.objects.filter(object_type="reports.report"):
        assert entry.client_ip == "" and entry.actor_id is None
        assert all(n not in str(entry.changes) for n in needles)


def test_report_pages_carry_no_store_and_no_referrer(client, world) -> None:
    for url in ("/reports/new/", "/reports/receipt/"):
        response = client.get(url)
        assert response["Cache-Control"].startswith("no-store")
        assert response["Referrer-Policy"] == "no-referrer"
    posted = client.post("/reports/receipt/", {"receipt": "x"})
    assert posted["Cache-Control"].startswith("no-store")


def test_a_report_without_proof_of_work_is_refused(client, world, desk) -> None:
    response = client.post(
        "/reports/new/",
        {"region": world.town.pk, "category": "bribery", "title": "t", "body": SECRET_TEXT},
    )
    assert response.status_code == 200
    assert "安全校验未通过" in response.content.decode()
    assert not Report.objects.exists()


def test_a_challenge_is_used_once(client, world, desk) -> None:
    fields = pow_fields(client, "/reports/new/")
    data = {"region": world.town.pk, "category": "bribery", "title": "t", "body": "b", **fields}
    client.post("/reports/new/", data)
    client.post("/reports/new/", data)
    assert Report.objects.count() == 1


def test_submissions_from_one_address_are_rate_limited(client, world, desk, settings) -> None:
    settings.REPORTS_RATE_LIMIT = 2
    for _ in range(2):
        submit(client, world)
    data = {"region": world.town.pk, "category": "bribery", "title": "t", "body": "b"}
    data.update(pow_fields(client, "/reports/new/"))
    response = client.post("/reports/new/", data, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 429
    assert Report.objects.count() == 2


def test_a_bad_file_is_refused_next_to_the_field_keeping_the_text(client, world, desk) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile(
        "evidence.pdf", b"MZ this is a program", content_type="application/pdf"
    )
    data = {
        "region": world.town.pk,
        "category": "bribery",
        "title": "验收索要好处费",
        "body": SECRET_TEXT,
        "evidence": fake,
        **pow_fields(client, "/reports/new/"),
    }
    response = client.post("/reports/new/", data)
    body = response.content.decode()
    assert "evidence.pdf" in body and SECRET_TEXT in body
    assert not Report.objects.exists()


def test_a_file_is_stored_encrypted_and_the_receipt_holder_gets_it_back(
    client, world, desk
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    # a PDF pypdf cannot read is kept as it came (see common.metadata)
    pdf = b"%PDF-1.4 secret-evidence-bytes\nstartxref\n0\n%%EOF\n"
    receipt = submit(
        client, world, evidence=SimpleUploadedFile("证据.pdf", pdf, content_type="application/pdf")
    )
    from qinqing.integrity.reports.models import File

    row = File.objects.get()
    assert b"secret-evidence-bytes" not in bytes(row.data)
    assert "证据".encode() not in bytes(row.header)
    opened = services.read_by_receipt(receipt=receipt)
    assert opened is not None
    got = client.post(f"/reports/receipt/files/{row.pk}/", {"receipt": receipt})
    assert got.status_code == 200 and got.content == pdf


def test_a_photo_on_a_report_comes_back_without_where_and_with_what_phone_it_was_taken(
    client, world, desk
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from qinqing.integrity.reports.models import File
    from tests.common.test_metadata import photo_with_exif

    photo = photo_with_exif()
    receipt = submit(
        client, world, evidence=SimpleUploadedFile("现场.jpg", photo, content_type="image/jpeg")
    )
    row = File.objects.get()
    got = client.post(f"/reports/receipt/files/{row.pk}/", {"receipt": receipt})
    assert got.status_code == 200 and got.content[:3] == b"\xff\xd8\xff"
    assert b"Huawei" not in got.content and b"Exif" not in got.content
    with Image.open(io.BytesIO(got.content)) as image:
        assert image.size == (40, 20) and not image.getexif()


def test_the_form_tells_the_reporter_which_metadata_is_removed_and_which_is_not(
    client, world, desk
) -> None:
    page = client.get("/reports/new/").content.decode()
    assert "拍摄地点" in page and "加密或损坏的PDF无法清除" in page


def test_the_files_sent_with_a_report_are_listed_for_the_reporter_and_the_supervisor(
    client, world, desk
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    receipt = submit(
        client,
        world,
        evidence=SimpleUploadedFile(
            "证据.pdf", b"%PDF-1.4 evidence\nstartxref\n0\n%%EOF\n", content_type="application/pdf"
        ),
    )
    report = Report.objects.get()
    mine = client.post("/reports/receipt/", {"receipt": receipt}).content.decode()
    listed = mine[mine.index('id="report-files"') :]
    assert "证据.pdf" in listed[: listed.index("</p>")]
    client.force_login(desk.lead)
    client.post("/reports/unlock/", {"password": PASSWORD})
    page = client.get(f"/reports/{report.pk}/").content.decode()
    listed = page[page.index('id="report-files"') :]
    assert "证据.pdf" in listed[: listed.index("</p>")]


def test_a_zip_bomb_among_the_evidence_refuses_the_report_and_keeps_the_text(
    client, world, desk, settings
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qinqing.integrity.reports.models import File
    from tests import uploads

    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    settings.UPLOAD_MAX_ZIP_RATIO = 10_000
    data = {
        "region": world.town.pk,
        "category": "bribery",
        "title": "验收索要好处费",
        "body": SECRET_TEXT,
        "evidence": [
            SimpleUploadedFile("现场.jpg", uploads.jpeg(), content_type="image/jpeg"),
            SimpleUploadedFile("材料.docx", uploads.zip_bomb_docx(unpacked=4 * 1024 * 1024)),
        ],
        **pow_fields(client, "/reports/new/"),
    }
    response = client.post("/reports/new/", data)

    body = response.content.decode()
    assert "“材料.docx”解压后超过" in body and "均未上传" in body
    assert SECRET_TEXT in body and "验收索要好处费" in body
    assert not Report.objects.exists() and not File.objects.exists()


def test_a_picture_bomb_on_a_report_is_refused_not_a_server_error(client, world, desk) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import uploads

    bomb = SimpleUploadedFile("现场.png", uploads.png_bomb(20000, 20000), "image/png")
    data = {
        "region": world.town.pk,
        "category": "bribery",
        "title": "验收索要好处费",
        "body": SECRET_TEXT,
        "evidence": bomb,
        **pow_fields(client, "/reports/new/"),
    }
    response = client.post("/reports/new/", data)

    assert response.status_code < 500
    assert "“现场.png”的像素过多" in response.content.decode()
    assert not Report.objects.exists()


def test_the_report_api_takes_no_files(client, world, desk) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import uploads

    bomb = SimpleUploadedFile("材料.docx", uploads.zip_bomb_docx(unpacked=2 * 1024 * 1024))
    response = client.post(
        "/api/v1/reports/submit",
        {"region_code": world.town.code, "category": "bribery", "evidence": bomb},
    )

    # the API takes a report as JSON only: a multipart body with a file is not read at all
    assert response.status_code in (400, 422)
    assert not Report.objects.exists()
