"""The spreadsheet import of firms and people through /api/v1: the same service, the same
row report (Excel row numbers) and the same permissions as the web's import page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qinqing.accounts.models import ApiToken, User
from qinqing.directory.models import Enterprise

from ..conftest import World
from .test_import_export import bad_check, firm_row, people_file, xlsx_file

pytestmark = pytest.mark.django_db

FIRMS = "/api/v1/directory/import/enterprises"
PEOPLE = "/api/v1/directory/import/people"


def bearer(user: Any) -> dict[str, str]:
    raw = "t-" + user.username + "-0123456789abcdef"
    ApiToken.objects.create(
        user=user,
        digest=ApiToken.hash(raw),
        prefix=raw[:8],
        name="test",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_bad_row_is_reported_by_its_excel_row_and_the_others_are_imported(
    client, world: World
) -> None:
    rows = [firm_row(n, world.grid_a.code) for n in range(1, 6)]
    rows[2][0] = bad_check(rows[2][0])  # the 3rd data row is Excel row 4

    response = client.post(FIRMS, {"file": xlsx_file(rows)}, **bearer(world.users["system_admin"]))

    assert response.status_code == 200, response.content
    report = response.json()
    assert report["kind"] == "enterprises" and report["file"] == "企业.xlsx"
    assert report["rows"] == 5 and report["created"] == 4
    assert [f["row"] for f in report["failed"]] == [4]
    assert report["failed"][0]["key"] == rows[2][0]
    assert any("统一社会信用代码" in r for r in report["failed"][0]["reasons"])
    assert Enterprise.objects.filter(name__startswith="宁波导入测试").count() == 4


def test_an_existing_firm_is_skipped_when_asked(client, world: World) -> None:
    rows = [firm_row(1, world.grid_a.code, 统一社会信用代码=world.firm_a.uscc)]

    response = client.post(
        f"{FIRMS}?on_existing=skip",
        {"file": xlsx_file(rows)},
        **bearer(world.users["coordinator"]),
    )

    assert response.status_code == 200, response.content
    report = response.json()
    assert report["updated"] == 0 and [s["row"] for s in report["skipped"]] == [2]
    world.firm_a.refresh_from_db()
    assert world.firm_a.name == "宁波甲模具有限公司"


@pytest.mark.parametrize("role", ["enterprise", "steward", "supervisor", "security_admin"])
def test_only_the_system_admin_and_coordinators_import_firms(client, world, role) -> None:
    rows = [firm_row(1, world.grid_a.code)]

    response = client.post(FIRMS, {"file": xlsx_file(rows)}, **bearer(world.users[role]))

    assert response.status_code == 403
    assert not Enterprise.objects.filter(name__startswith="宁波导入测试").exists()


def test_the_system_admin_imports_people(client, world: World) -> None:
    rows = [["qianqi", "钱七", "", "", ""], ["zhao liu", "赵六", "", "", ""]]

    response = client.post(
        PEOPLE, {"file": people_file(rows)}, **bearer(world.users["system_admin"])
    )

    assert response.status_code == 200, response.content
    report = response.json()
    assert report["kind"] == "people" and report["created"] == 1
    assert [f["row"] for f in report["failed"]] == [3]
    assert User.objects.filter(username="qianqi").exists()


@pytest.mark.parametrize("role", ["coordinator", "audit_admin", "enterprise"])
def test_only_the_system_and_security_admins_import_people(client, world, role) -> None:
    rows = [["qianqi", "钱七", "", "", ""]]

    response = client.post(PEOPLE, {"file": people_file(rows)}, **bearer(world.users[role]))

    assert response.status_code == 403
    assert not User.objects.filter(username="qianqi").exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_whole(client, world: World) -> None:
    upload = SimpleUploadedFile("企业.pdf", b"%PDF-1.4\n")

    response = client.post(FIRMS, {"file": upload}, **bearer(world.users["system_admin"]))

    assert response.status_code == 422
    assert response.json()["detail"] == "只能导入 Excel（.xlsx）或 CSV（.csv）文件。"


def test_two_files_at_once_are_refused(client, world: World) -> None:
    rows = [firm_row(1, world.grid_a.code)]

    response = client.post(
        FIRMS,
        {"file": [xlsx_file(rows), xlsx_file(rows, name="b.xlsx")]},
        **bearer(world.users["system_admin"]),
    )

    assert response.status_code == 422
    assert "一次只能上传1个文件" in response.json()["detail"]
    assert not Enterprise.objects.filter(name__startswith="宁波导入测试").exists()


def test_without_a_token_nothing_is_imported(client, world: World) -> None:
    rows = [firm_row(1, world.grid_a.code)]
    assert client.post(FIRMS, {"file": xlsx_file(rows)}).status_code == 401
