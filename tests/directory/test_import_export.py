"""Import and export of enterprises and people, with row-level error reports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from qinqing.accounts.models import Role, RoleAssignment, User
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.uscc import ALPHABET, check_character
from qinqing.directory import importexport
from qinqing.directory.importexport import (
    ENTERPRISE_COLUMNS,
    ENTERPRISE_EXPORT_COLUMNS,
    PEOPLE_COLUMNS,
    ImportReport,
    UploadRejected,
    enterprises_import,
    people_import,
)
from qinqing.directory.models import Enterprise

from ..conftest import World
from ..factories import EnterpriseFactory

IMPORT_URL = reverse("directory:import")
EXPORT_URL = reverse("directory:enterprise_export")


# --- building files --------------------------------------------------------------------------


def uscc(n: int) -> str:
    body = f"91330203MA2{n:06d}"
    return body + check_character(body)


def bad_check(code: str) -> str:
    wrong = ALPHABET[(ALPHABET.index(code[-1]) + 1) % len(ALPHABET)]
    return code[:-1] + wrong


def firm_row(n: int, grid: str, **over: Any) -> list[Any]:
    values: dict[str, Any] = {
        "统一社会信用代码": uscc(n),
        "企业名称": f"宁波导入测试{n}号有限公司",
        "法定代表人": "张三",
        "行业门类": "C",
        "规模": "规下",
        "从业人数": 30 + n,
        "地址": "宁波市海曙区古林镇工业路8号",
        "网格编码": grid,
        "联系电话": f"139{n:08d}",
    }
    values.update(over)
    return [values[c] for c in ENTERPRISE_COLUMNS]


def xlsx_file(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] = ENTERPRISE_COLUMNS,
    name: str = "企业.xlsx",
) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] = ENTERPRISE_COLUMNS,
    encoding: str = "utf-8-sig",
    name: str = "企业.csv",
) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding))


def reasons(report: ImportReport, row: int) -> str:
    issue = report.issue_for(row)
    assert issue is not None, f"row {row} not reported; failed rows: {report.failed_rows()}"
    return issue.reason_text


def people_file(rows: Sequence[Sequence[Any]]) -> SimpleUploadedFile:
    return xlsx_file(rows, header=PEOPLE_COLUMNS, name="人员.xlsx")


# --- enterprises: row-level errors -----------------------------------------------------------


def test_a_bad_check_character_on_row_17_is_named_and_the_other_rows_are_imported(
    client: Client, world: World
) -> None:
    rows = [firm_row(n, world.grid_a.code) for n in range(1, 21)]
    rows[15][0] = bad_check(rows[15][0])  # the 16th data row is Excel row 17
    client.force_login(world.users["system_admin"])

    response = client.post(
        IMPORT_URL,
        {
            "kind": "enterprises",
            "enterprises-file": xlsx_file(rows),
            "enterprises-on_existing": "update",
        },
    )

    assert response.status_code == 200
    report: ImportReport = response.context["report"]
    assert report.total == 20
    assert report.created == 19
    assert report.failed_rows() == [17]
    assert "校验位错误" in reasons(report, 17)
    good = [r[0] for i, r in enumerate(rows) if i != 15]
    assert Enterprise.objects.filter(uscc__in=good).count() == 19
    assert not Enterprise.objects.filter(uscc=rows[15][0]).exists()
    page = response.content.decode()
    assert "第 17 行" in page
    assert "统一社会信用代码校验位错误" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("统一社会信用代码", "91330203MA2000001", "应为18位，当前为17位"),
        ("统一社会信用代码", "91330203MA2I00001X", "不得含字母 I、O、Z、S、V（发现：I）"),
        ("统一社会信用代码", "91330203MA2O0S001V", "发现：O、S、V"),
        ("网格编码", "330299999999G99", "找不到网格编码“330299999999G99”"),
        ("网格编码", "330203101", "不是网格一级的区域"),
        ("联系电话", "12345", "联系电话：请输入有效的手机号或固定电话"),
        ("行业门类", "Z", "不是 A–T 的行业门类字母"),
        ("规模", "大型", "应填“规上”或“规下”"),
        ("从业人数", "-5", "应为不小于 0 的整数"),
        ("从业人数", "4.5", "应为不小于 0 的整数"),
        ("企业名称", "", "企业名称：必填"),
    ],
)
def test_each_bad_value_is_named_by_its_row(
    world: World, field: str, value: str, message: str
) -> None:
    good = firm_row(1, world.grid_a.code)
    bad = firm_row(2, world.grid_a.code, **{field: value})

    report = enterprises_import(actor=world.users["system_admin"], upload=xlsx_file([good, bad]))

    assert report.failed_rows() == [3]
    assert message in reasons(report, 3)
    assert Enterprise.objects.filter(uscc=good[0]).exists()
    assert not Enterprise.objects.filter(name=bad[1]).exists()


def test_a_row_with_several_problems_lists_every_reason(world: World) -> None:
    bad = firm_row(1, "NOPE", 联系电话="abc", 行业门类="?")

    report = enterprises_import(actor=world.users["system_admin"], upload=xlsx_file([bad]))

    issue = report.issue_for(2)
    assert issue is not None
    assert len(issue.reasons) == 3


def test_a_uscc_repeated_in_the_file_reports_the_second_row(world: World) -> None:
    first = firm_row(1, world.grid_a.code)
    again = firm_row(1, world.grid_b.code, 企业名称="重复的企业")

    report = enterprises_import(actor=world.users["system_admin"], upload=xlsx_file([first, again]))

    assert report.created == 1
    assert report.failed_rows() == [3]
    assert "与第 2 行的统一社会信用代码重复" in reasons(report, 3)
    assert Enterprise.objects.get(uscc=first[0]).grid == world.grid_a


def test_row_numbers_count_blank_rows_as_excel_does(world: World) -> None:
    rows = [firm_row(1, world.grid_a.code), [], firm_row(2, "NOPE")]

    report = enterprises_import(actor=world.users["system_admin"], upload=xlsx_file(rows))

    assert report.total == 2
    assert report.failed_rows() == [4]


def test_a_row_that_fails_while_being_written_leaves_nothing_behind(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_create = importexport.enterprise_create

    def create_then_fail(**values: Any) -> Enterprise:
        enterprise = real_create(**values)
        if enterprise.name.endswith("2号有限公司"):
            raise ServiceError("写入中途失败")
        return enterprise

    monkeypatch.setattr(importexport, "enterprise_create", create_then_fail)
    rows = [firm_row(n, world.grid_a.code) for n in (1, 2, 3)]

    report = enterprises_import(actor=world.users["system_admin"], upload=xlsx_file(rows))

    assert report.created == 2
    assert report.failed_rows() == [3]
    assert not Enterprise.objects.filter(uscc=rows[1][0]).exists()
    assert not AuditEntry.objects.filter(
        action="enterprise.create", object_label=rows[1][1]
    ).exists()
    assert Enterprise.objects.filter(uscc__in=[rows[0][0], rows[2][0]]).count() == 2


# --- enterprises: files --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_a_csv_file_imports_in_utf8_with_or_without_bom_and_in_gb18030(
    world: World, encoding: str
) -> None:
    row = firm_row(1, world.grid_a.code, 企业名称="宁波市鄞州区古林镇甬江模具厂")

    report = enterprises_import(
        actor=world.users["system_admin"], upload=csv_file([row], encoding=encoding)
    )

    assert report.created == 1, report.failed
    assert Enterprise.objects.get(uscc=row[0]).name == "宁波市鄞州区古林镇甬江模具厂"


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(world: World) -> None:
    header = ["网格编码", "企业名称", "统一社会信用代码", "行业门类", "法定代表人", "备注"]
    row = [world.grid_b.code, "宁波丁电器有限公司", uscc(7), "c", "李四", "随便写"]

    report = enterprises_import(
        actor=world.users["system_admin"], upload=xlsx_file([row], header=header)
    )

    firm = Enterprise.objects.get(uscc=uscc(7))
    assert report.created == 1
    assert (firm.grid, firm.industry_section, firm.employees, firm.above_scale) == (
        world.grid_b,
        "C",
        0,
        False,
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("企业.txt", b"hello"), "只能导入 Excel（.xlsx）或 CSV（.csv）文件"),
        (SimpleUploadedFile("企业.xls", b"\xd0\xcf\x11\xe0"), "不支持旧版 .xls 格式"),
        (SimpleUploadedFile("企业.xlsx", b"not a zip"), "“企业.xlsx”的内容不是Excel文件"),
        (csv_file([["x"]], header=["企业名称", "地址"]), "缺少必需的列：统一社会信用代码"),
        (csv_file([]), "文件中没有数据行"),
    ],
)
def test_an_unreadable_file_is_rejected_whole_with_a_clear_message(
    world: World, upload: SimpleUploadedFile, message: str
) -> None:
    before = Enterprise.objects.count()

    with pytest.raises(UploadRejected) as caught:
        enterprises_import(actor=world.users["system_admin"], upload=upload)

    assert message in caught.value.message
    assert Enterprise.objects.count() == before


def test_a_file_over_the_size_limit_is_rejected(world: World, settings: Any) -> None:
    settings.IMPORT_MAX_BYTES = 200
    rows = [firm_row(n, world.grid_a.code) for n in range(1, 10)]

    with pytest.raises(UploadRejected, match="文件过大"):
        enterprises_import(actor=world.users["system_admin"], upload=csv_file(rows))


def test_a_file_over_the_row_limit_is_rejected_and_nothing_is_written(
    world: World, settings: Any
) -> None:
    settings.IMPORT_MAX_ROWS = 3
    rows = [firm_row(n, world.grid_a.code) for n in range(1, 5)]

    with pytest.raises(UploadRejected, match="3 行数据的上限"):
        enterprises_import(actor=world.users["system_admin"], upload=xlsx_file(rows))

    assert not Enterprise.objects.filter(uscc__in=[r[0] for r in rows]).exists()


def test_a_rejected_file_is_shown_on_the_form(client: Client, world: World) -> None:
    client.force_login(world.users["system_admin"])

    response = client.post(
        IMPORT_URL,
        {
            "kind": "enterprises",
            "enterprises-file": SimpleUploadedFile("a.pdf", b"%PDF"),
            "enterprises-on_existing": "update",
        },
    )

    assert response.status_code == 200
    assert response.context["report"] is None
    assert "只能导入 Excel（.xlsx）或 CSV（.csv）文件" in response.content.decode()


# --- enterprises: existing firms and permissions -------------------------------------------


def test_a_known_uscc_updates_that_firm_and_keeps_a_masked_phone(world: World) -> None:
    firm = world.firm_a
    row = firm_row(
        0, world.grid_a.code, 统一社会信用代码=firm.uscc, 从业人数=250, 联系电话="138****5678"
    )
    row[ENTERPRISE_COLUMNS.index("企业名称")] = firm.name
    row[ENTERPRISE_COLUMNS.index("地址")] = ""

    report = enterprises_import(actor=world.users["system_admin"], upload=xlsx_file([row]))

    firm.refresh_from_db()
    assert (report.created, report.updated, report.failed) == (0, 1, [])
    assert firm.employees == 250
    assert firm.contact_phone == "13812345678"
    assert firm.address  # an empty cell keeps the value
    assert AuditEntry.objects.filter(action="enterprise.update", object_id=str(firm.pk)).exists()


def test_a_known_uscc_is_only_listed_when_the_importer_chose_not_to_update(world: World) -> None:
    firm = world.firm_a
    row = firm_row(0, world.grid_a.code, 统一社会信用代码=firm.uscc, 从业人数=999)

    report = enterprises_import(
        actor=world.users["system_admin"], upload=xlsx_file([row]), on_existing="skip"
    )

    firm.refresh_from_db()
    assert firm.employees != 999
    assert [i.row for i in report.skipped] == [2]
    assert report.updated == 0


def test_the_page_keeps_the_importers_choice(client: Client, world: World) -> None:
    client.force_login(world.users["system_admin"])
    row = firm_row(0, world.grid_a.code, 统一社会信用代码=world.firm_a.uscc)

    response = client.post(
        IMPORT_URL,
        {
            "kind": "enterprises",
            "enterprises-file": xlsx_file([row]),
            "enterprises-on_existing": "skip",
        },
    )

    page = response.content.decode()
    assert re.search(r'value="skip"[^>]*checked', page)
    assert not re.search(r'value="update"[^>]*checked', page)
    assert "已存在、未更新的企业" in page


def test_a_coordinator_cannot_import_into_a_grid_outside_their_region(world: World) -> None:
    inside = firm_row(1, world.grid_a.code)
    outside = firm_row(2, world.grid_other.code)
    foreign = firm_row(0, world.grid_other.code, 统一社会信用代码=world.firm_other.uscc, 从业人数=1)
    moved_out = firm_row(0, world.grid_other.code, 统一社会信用代码=world.firm_b.uscc)

    report = enterprises_import(
        actor=world.users["coordinator"], upload=xlsx_file([inside, outside, foreign, moved_out])
    )

    assert report.created == 1
    assert report.failed_rows() == [3, 4, 5]
    assert "无权在网格“高桥第一网格”" in reasons(report, 3)
    assert "不在您的管辖范围内" in reasons(report, 4)
    assert "无权在网格“高桥第一网格”" in reasons(report, 5)
    assert not Enterprise.objects.filter(uscc=outside[0]).exists()
    world.firm_other.refresh_from_db()
    world.firm_b.refresh_from_db()
    assert world.firm_other.employees != 1
    assert world.firm_b.grid == world.grid_b


@pytest.mark.parametrize("role", ["enterprise", "steward", "handler", "audit_admin"])
def test_people_who_may_not_import_get_403_on_the_import_page(
    client: Client, world: World, role: str
) -> None:
    client.force_login(world.users[role])

    assert client.get(IMPORT_URL).status_code == 403
    row = firm_row(1, world.grid_a.code)
    response = client.post(
        IMPORT_URL, {"kind": "enterprises", "enterprises-file": xlsx_file([row])}
    )
    assert response.status_code == 403
    assert not Enterprise.objects.filter(uscc=row[0]).exists()


def test_the_enterprise_service_refuses_an_importer_without_the_right(world: World) -> None:
    with pytest.raises(NotPermitted):
        enterprises_import(
            actor=world.users["steward"], upload=xlsx_file([firm_row(1, world.grid_a.code)])
        )


def test_a_coordinator_may_not_post_a_people_import(client: Client, world: World) -> None:
    client.force_login(world.users["coordinator"])
    page = client.get(IMPORT_URL)
    assert page.status_code == 200
    assert "import-people" not in page.content.decode()

    response = client.post(
        IMPORT_URL, {"kind": "people", "people-file": people_file([["li", "李", "", "", ""]])}
    )

    assert response.status_code == 403
    assert not User.objects.filter(username="li").exists()


def test_an_import_post_without_a_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["system_admin"])

    response = client.post(
        IMPORT_URL,
        {"kind": "enterprises", "enterprises-file": xlsx_file([firm_row(1, world.grid_a.code)])},
    )

    assert response.status_code == 403
    assert not Enterprise.objects.filter(uscc=uscc(1)).exists()


def test_an_unknown_import_kind_is_a_bad_request(client: Client, world: World) -> None:
    client.force_login(world.users["system_admin"])

    assert client.post(IMPORT_URL, {"kind": "regions"}).status_code == 400


# --- enterprises: audit --------------------------------------------------------------------


def test_an_import_leaves_one_create_entry_per_firm_and_one_summary(world: World) -> None:
    admin = world.users["system_admin"]
    rows = [firm_row(1, world.grid_a.code), firm_row(2, "NOPE"), firm_row(3, world.grid_b.code)]

    enterprises_import(actor=admin, upload=xlsx_file(rows, name="三行.xlsx"))

    created = AuditEntry.objects.filter(action="enterprise.create", actor_id=admin.pk)
    assert sorted(created.values_list("object_label", flat=True)) == sorted(
        [rows[0][1], rows[2][1]]
    )
    summary = AuditEntry.objects.get(action="enterprise.import")
    assert summary.actor_id == admin.pk
    assert summary.object_label == "三行.xlsx"
    assert summary.changes["created"] == 2
    assert summary.changes["failed"] == 1
    assert summary.changes["failed_rows"] == [3]


# --- export --------------------------------------------------------------------------------


def test_a_steward_exports_only_the_firms_of_their_grid_with_phones_masked(
    client: Client, world: World
) -> None:
    client.force_login(world.users["steward"])

    response = client.get(EXPORT_URL, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(ENTERPRISE_EXPORT_COLUMNS)
    assert [r[0] for r in rows[1:]] == [world.firm_a.uscc]
    assert rows[1][-1] == "138****5678"
    assert "13812345678" not in response.content.decode("utf-8-sig")
    entry = AuditEntry.objects.get(action="enterprise.export")
    assert entry.actor_id == world.users["steward"].pk
    assert entry.changes["rows"] == 1
    assert entry.changes["format"] == "csv"


@pytest.mark.parametrize("role", ["enterprise", "observer", "security_admin"])
def test_people_outside_the_staff_cannot_export(client: Client, world: World, role: str) -> None:
    client.force_login(world.users[role])

    assert client.get(EXPORT_URL, {"format": "xlsx"}).status_code == 403
    assert not AuditEntry.objects.filter(action="enterprise.export").exists()


def test_the_xlsx_export_opens_with_the_chinese_header_and_follows_the_filters(
    client: Client, world: World
) -> None:
    client.force_login(world.users["system_admin"])

    response = client.get(EXPORT_URL, {"format": "xlsx", "size": "above", "industry": "C"})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ENTERPRISE_EXPORT_COLUMNS
    assert [r[0] for r in rows[1:]] == [world.firm_b.uscc]
    assert rows[1][4] == "规上"
    entry = AuditEntry.objects.get(action="enterprise.export")
    assert entry.changes["filters"] == {"q": "", "region": "", "industry": "C", "size": "above"}


def test_an_exported_cell_is_never_run_as_a_formula(client: Client, world: World) -> None:
    EnterpriseFactory(name="=HYPERLINK(1)", grid=world.grid_a)
    client.force_login(world.users["system_admin"])

    response = client.get(EXPORT_URL, {"format": "xlsx", "q": "HYPERLINK"})

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.cell(row=2, column=2).value == "=HYPERLINK(1)"  # exactly, as text
    assert sheet.cell(row=2, column=2).quotePrefix
    assert sheet.cell(row=2, column=2).data_type == "s"


def test_an_export_can_be_imported_again_unchanged(client: Client, world: World) -> None:
    client.force_login(world.users["system_admin"])
    exported = client.get(EXPORT_URL, {"format": "xlsx"}).content

    report = enterprises_import(
        actor=world.users["system_admin"], upload=SimpleUploadedFile("导出.xlsx", exported)
    )

    assert (report.total, report.unchanged, report.failed) == (3, 3, [])


@pytest.mark.parametrize(
    ("kind", "columns"), [("enterprises", ENTERPRISE_COLUMNS), ("people", PEOPLE_COLUMNS)]
)
def test_a_blank_template_can_be_downloaded_for_each_import(
    client: Client, world: World, kind: str, columns: tuple[str, ...]
) -> None:
    client.force_login(world.users["system_admin"])
    url = reverse("directory:import_template", args=[kind])

    xlsx = client.get(url)
    text = client.get(url, {"format": "csv"})

    assert xlsx.status_code == 200
    header = next(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert header == columns
    assert text.content.decode("utf-8-sig").splitlines() == [",".join(columns)]


def test_a_coordinator_cannot_download_the_people_template(client: Client, world: World) -> None:
    client.force_login(world.users["coordinator"])

    assert client.get(reverse("directory:import_template", args=["people"])).status_code == 403
    assert client.get(reverse("directory:import_template", args=["enterprises"])).status_code == 200


# --- people --------------------------------------------------------------------------------


def test_the_system_admin_creates_the_accounts_and_leaves_the_roles_pending(
    world: World,
) -> None:
    rows = [
        ["zhangsan", "张三", "13900001111", "管家", world.grid_a.code],
        ["lisi", "李四", "", "handler", world.department.name],
        ["wangwu", "王五", "13900002222", "", ""],
    ]

    report = people_import(actor=world.users["system_admin"], upload=people_file(rows))

    assert (report.created, report.granted, report.failed) == (3, 0, [])
    assert [(i.row, i.key) for i in report.pending] == [(2, "zhangsan"), (3, "lisi")]
    assert "待安全管理员授权" in report.pending[0].reason_text
    zhang = User.objects.get(username="zhangsan")
    assert (zhang.display_name, zhang.phone) == ("张三", "13900001111")
    assert not zhang.has_usable_password()
    assert not RoleAssignment.objects.filter(user__username__in=["zhangsan", "lisi"]).exists()
    summary = AuditEntry.objects.get(action="people.import")
    assert (summary.changes["created"], summary.changes["pending"]) == (3, 2)
    assert AuditEntry.objects.filter(action="user.create").count() >= 3


def test_the_security_admin_grants_the_roles_of_existing_accounts(world: World) -> None:
    people_import(
        actor=world.users["system_admin"],
        upload=people_file([["zhangsan", "张三", "", "管家", world.grid_a.code]]),
    )
    rows = [
        ["zhangsan", "张三", "", "管家", world.grid_a.code],
        ["zhangsan", "张三", "", "official", world.other_town.code],
        ["steward", "", "", "亲清观察员", world.firm_a.uscc],
        ["enterprise", "", "", "企业用户", world.firm_a.uscc],  # already held
        ["nobody", "无名", "", "管家", world.grid_a.code],
    ]

    report = people_import(actor=world.users["security_admin"], upload=people_file(rows))

    assert report.granted == 3
    assert report.unchanged == 1
    assert report.failed_rows() == [6]
    assert "账户不存在" in reasons(report, 6)
    assert not User.objects.filter(username="nobody").exists()
    held = set(
        RoleAssignment.objects.filter(user__username="zhangsan").values_list("role", flat=True)
    )
    assert held == {Role.STEWARD, Role.OFFICIAL}
    assert RoleAssignment.objects.filter(
        user=world.users["steward"], role=Role.OBSERVER, enterprise=world.firm_a
    ).exists()
    assert (
        AuditEntry.objects.filter(
            action="role.grant", actor_id=world.users["security_admin"].pk
        ).count()
        == 3
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["zhaoliu", "赵六", "", "老板", ""], "未知角色“老板”"),
        (["zhaoliu", "赵六", "", "管家", "NOPE"], "找不到区域编码“NOPE”"),
        (["zhaoliu", "赵六", "", "管家", ""], "该角色必须填写范围"),
        (["zhaoliu", "赵六", "", "系统管理员", "330200"], "管理员角色不限定范围"),
        (["zhaoliu", "赵六", "", "企业用户", "91330203MA2000001"], "应为18位"),
        (["zhaoliu", "赵六", "", "部门经办人", "不存在的局"], "找不到部门"),
        (["zhaoliu", "赵六", "12345", "", ""], "应为 11 位手机号码"),
        (["zhao liu", "赵六", "", "", ""], "只能包含字母、数字"),
        (["", "赵六", "", "", ""], "用户名：必填"),
        (["zhaoliu", "赵六", "", "", "330200"], "填写了范围但没有填写角色"),
    ],
)
def test_a_bad_people_row_is_named_by_its_row(world: World, row: list[str], message: str) -> None:
    good = ["qianqi", "钱七", "", "", ""]

    report = people_import(actor=world.users["system_admin"], upload=people_file([good, row]))

    assert report.failed_rows() == [3]
    assert message in reasons(report, 3)
    assert User.objects.filter(username="qianqi").exists()
    assert not User.objects.filter(display_name="赵六").exists()


def test_a_phone_already_in_use_is_reported_and_the_account_is_not_created(world: World) -> None:
    rows = [["a1", "甲", "13900003333", "", ""], ["a2", "乙", "13900003333", "", ""]]

    report = people_import(actor=world.users["system_admin"], upload=people_file(rows))

    assert report.created == 1
    assert report.failed_rows() == [3]
    assert "手机号已被其他账户使用" in reasons(report, 3)
    assert not User.objects.filter(username="a2").exists()


def test_the_import_page_runs_a_people_import_for_the_system_admin(
    client: Client, world: World
) -> None:
    client.force_login(world.users["system_admin"])

    response = client.post(
        IMPORT_URL,
        {"kind": "people", "people-file": people_file([["sunba", "孙八", "", "角色X", ""]])},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "人员导入结果" in page
    assert "第 2 行" in page
    assert "未知角色“角色X”" in page


def test_the_security_admin_sees_only_the_people_import(client: Client, world: World) -> None:
    client.force_login(world.users["security_admin"])

    page = client.get(IMPORT_URL).content.decode()

    assert "import-people" in page
    assert "import-enterprises" not in page


def test_the_people_export_masks_phones_and_can_be_imported_again(
    client: Client, world: World
) -> None:
    people_import(
        actor=world.users["system_admin"],
        upload=people_file([["zhangsan", "张三", "13900001111", "", ""]]),
    )
    client.force_login(world.users["security_admin"])

    response = client.get(reverse("directory:people_export"))

    rows = list(
        load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert rows[0] == PEOPLE_COLUMNS
    zhang = next(r for r in rows if r[0] == "zhangsan")
    assert zhang[2] == "139****1111"
    steward = next(r for r in rows if r[0] == "steward")
    assert steward[3:] == ("管家", world.grid_a.code)
    assert AuditEntry.objects.filter(action="people.export").count() == 1
    again = people_import(
        actor=world.users["security_admin"], upload=SimpleUploadedFile("p.xlsx", response.content)
    )
    assert again.failed_rows() == []
    assert again.granted == 0


def test_people_outside_the_admins_cannot_export_people(client: Client, world: World) -> None:
    client.force_login(world.users["coordinator"])

    assert client.get(reverse("directory:people_export")).status_code == 403


# --- the structure check (issue 14, H1) ------------------------------------------------------
def test_an_excel_zip_bomb_is_rejected_before_openpyxl_reads_it(
    world: World, settings: Any
) -> None:
    from tests import uploads

    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    settings.UPLOAD_MAX_ZIP_RATIO = 10_000
    bomb = uploads.office("xl/", {"xl/worksheets/sheet1.xml": bytes(4 * 1024 * 1024)})
    before = Enterprise.objects.count()

    with pytest.raises(UploadRejected) as caught:
        enterprises_import(
            actor=world.users["system_admin"], upload=SimpleUploadedFile("企业.xlsx", bomb)
        )

    assert "“企业.xlsx”解压后超过" in caught.value.message
    assert Enterprise.objects.count() == before


def test_an_excel_file_with_too_many_parts_is_shown_on_the_form(
    client: Client, world: World, settings: Any
) -> None:
    from tests import uploads

    settings.UPLOAD_MAX_ZIP_ENTRIES = 10
    client.force_login(world.users["system_admin"])
    before = Enterprise.objects.count()

    response = client.post(
        IMPORT_URL,
        {
            "kind": "enterprises",
            "enterprises-file": SimpleUploadedFile(
                "企业.xlsx", uploads.office("xl/", {f"xl/p{i}.xml": b"<p/>" for i in range(20)})
            ),
            "enterprises-on_existing": "update",
        },
    )

    assert response.status_code == 200 and response.context["report"] is None
    assert "“企业.xlsx”包含22个部件，超过了10个的上限" in response.content.decode()
    assert Enterprise.objects.count() == before


def test_two_files_sent_to_the_one_file_import_are_refused_not_one_kept(
    client: Client, world: World
) -> None:
    client.force_login(world.users["system_admin"])
    before = Enterprise.objects.count()
    rows = [firm_row(n, world.grid_a.code) for n in range(1, 3)]

    response = client.post(
        IMPORT_URL,
        {
            "kind": "enterprises",
            "enterprises-file": [xlsx_file(rows), xlsx_file(rows, name="企业2.xlsx")],
            "enterprises-on_existing": "update",
        },
    )

    assert response.status_code == 200 and response.context["report"] is None
    assert "此处一次只能上传1个文件，您发送了2个，均未上传" in response.content.decode()
    assert Enterprise.objects.count() == before
