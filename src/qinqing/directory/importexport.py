"""Import and export of enterprises and people as Excel (.xlsx) or CSV.

Reading a file: the first sheet (or the CSV text) must have the column headers in its
first row; data rows are numbered as the user sees them in Excel (the header is row 1).
A file is rejected whole (``UploadRejected``) only when it cannot be read at all: wrong
type, too large, too many rows, missing required columns. Otherwise every row is checked
on its own and written on its own, all-or-nothing, inside ``transaction.atomic()``: a
savepoint when the caller already holds a transaction, its own transaction otherwise, so
that a long import never holds the audit chain's lock for more than one row. A bad row is
named in the report with its reasons; every good row is still written.

Enterprises go through ``enterprise_create`` / ``enterprise_update`` (which check the
permission and write the audit entry of each firm). People go through ``user_create``
(system admin only) and ``role_grant`` (security admin only), keeping the admin duties
apart (三员分立):

* the **system admin** imports the file to create the accounts (with an unusable
  password, to be set later); the roles in the file are checked and reported as
  pending (待安全管理员授权);
* the **security admin** imports the same file to grant the roles to accounts that
  already exist; the accounts' names and phones are not changed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from qinqing.accounts.models import (
    ADMIN_ROLES,
    CHAMBER_ROLES,
    DEPARTMENT_ROLES,
    ENTERPRISE_ROLES,
    REGION_ROLES,
    Role,
    RoleAssignment,
    User,
)
from qinqing.accounts.permissions import is_security_admin, is_system_admin
from qinqing.accounts.scopes import primary_role
from qinqing.accounts.services import role_grant, user_create
from qinqing.audit.services import record
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.files import CSV, XLSX, UploadRefused, display_name, inspect
from qinqing.common.masking import mask_phone
from qinqing.common.uscc import normalize, uscc_error

from . import selectors
from .models import (
    Chamber,
    Department,
    Enterprise,
    IndustrySection,
    Region,
    RegionLevel,
    phone_validator,
)
from .permissions import can_edit_enterprise, can_import_directory, is_staff_reader
from .services import enterprise_create, enterprise_update

# --- columns -------------------------------------------------------------------------------

COL_USCC = "统一社会信用代码"
COL_NAME = "企业名称"
COL_LEGAL = "法定代表人"
COL_INDUSTRY = "行业门类"
COL_SIZE = "规模"
COL_EMPLOYEES = "从业人数"
COL_ADDRESS = "地址"
COL_GRID = "网格编码"
COL_PHONE = "联系电话"
COL_GRID_NAME = "网格名称"

ENTERPRISE_COLUMNS: tuple[str, ...] = (
    COL_USCC,
    COL_NAME,
    COL_LEGAL,
    COL_INDUSTRY,
    COL_SIZE,
    COL_EMPLOYEES,
    COL_ADDRESS,
    COL_GRID,
    COL_PHONE,
)
ENTERPRISE_REQUIRED: tuple[str, ...] = (COL_USCC, COL_NAME, COL_LEGAL, COL_INDUSTRY, COL_GRID)
#: the export adds the grid's name after its code; the import ignores that column
ENTERPRISE_EXPORT_COLUMNS: tuple[str, ...] = (*ENTERPRISE_COLUMNS[:8], COL_GRID_NAME, COL_PHONE)

COL_USERNAME = "用户名"
COL_DISPLAY_NAME = "姓名"
COL_MOBILE = "手机号"
COL_ROLE = "角色"
COL_SCOPE = "范围"

PEOPLE_COLUMNS: tuple[str, ...] = (COL_USERNAME, COL_DISPLAY_NAME, COL_MOBILE, COL_ROLE, COL_SCOPE)
PEOPLE_REQUIRED: tuple[str, ...] = (COL_USERNAME,)

SIZE_VALUES: dict[str, bool] = {"规上": True, "规上企业": True, "规下": False, "规下企业": False}
SIZE_LABELS: dict[bool, str] = {True: "规上", False: "规下"}

ON_EXISTING_UPDATE = "update"
ON_EXISTING_SKIP = "skip"

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
#: spreadsheet programs run a cell that begins with one of these as a formula
FAILED_ROWS_IN_AUDIT = 100


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024))


def max_rows() -> int:
    return int(settings.IMPORT_MAX_ROWS)


# --- the report ----------------------------------------------------------------------------


@dataclass
class RowIssue:
    """One row that was not (fully) carried out: its Excel row number, key and reasons."""

    row: int
    key: str
    reasons: list[str]

    @property
    def reason_text(self) -> str:
        return "；".join(self.reasons)


@dataclass
class ImportReport:
    kind: str
    filename: str = ""
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    granted: int = 0
    failed: list[RowIssue] = field(default_factory=list)
    skipped: list[RowIssue] = field(default_factory=list)
    pending: list[RowIssue] = field(default_factory=list)

    def fail(self, row: int, key: str, reasons: Sequence[str]) -> None:
        self.failed.append(RowIssue(row, key, list(reasons)))

    def failed_rows(self) -> list[int]:
        return [issue.row for issue in self.failed]

    def issue_for(self, row: int) -> RowIssue | None:
        return next((i for i in self.failed if i.row == row), None)

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "rows": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "granted": self.granted,
            "skipped": len(self.skipped),
            "pending": len(self.pending),
            "failed": len(self.failed),
            "failed_rows": self.failed_rows()[:FAILED_ROWS_IN_AUDIT],
        }


class UploadRejected(ServiceError):
    """The file as a whole cannot be imported; nothing was written."""

    code = "upload_rejected"


# --- reading a file ------------------------------------------------------------------------


@dataclass
class Table:
    """The rows of an uploaded file keyed by header, with their Excel row numbers."""

    columns: dict[str, int]
    rows: list[tuple[int, list[str]]]

    def value(self, cells: list[str], column: str) -> str:
        index = self.columns.get(column)
        if index is None or index >= len(cells):
            return ""
        return cells[index]

    def has(self, column: str) -> bool:
        return column in self.columns


def cell_text(value: Any) -> str:
    """A cell as the text the user typed: ``40.0`` → ``40``, a quoted formula unquoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = str(value).replace("\u3000", " ").strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


def _header_name(value: str) -> str:
    return re.sub(r"\s+", "", value).strip("*＊")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadRejected(_("无法识别 CSV 文件的编码，请另存为 UTF-8 编码的 CSV 后再导入。"))


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    text = _decode(data)
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise UploadRejected(_("CSV 文件格式有误，无法读取：%(error)s") % {"error": exc}) from exc


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    unreadable = _("无法读取该 Excel 文件，请确认是 .xlsx 格式。")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UploadRejected(unreadable) from exc
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a damaged sheet
                raise UploadRejected(unreadable) from exc
            yield list(row)
    finally:
        workbook.close()


def read_table(upload: UploadedFile, *, columns: Sequence[str], required: Sequence[str]) -> Table:
    """Read ``upload`` (.xlsx or .csv) or raise UploadRejected with a message for the user."""
    name = upload.name or ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == "xls":
        raise UploadRejected(_("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 或 CSV。"))
    if suffix not in ("xlsx", "csv"):
        raise UploadRejected(_("只能导入 Excel（.xlsx）或 CSV（.csv）文件。"))
    limit = max_upload_bytes()
    if (upload.size or 0) > limit:
        raise UploadRejected(
            _("文件过大：上限为 %(limit)s MB。") % {"limit": f"{limit / 1024 / 1024:g}"}
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise UploadRejected(
            _("文件过大：上限为 %(limit)s MB。") % {"limit": f"{limit / 1024 / 1024:g}"}
        )
    try:  # the one structure check of every upload: a zip bomb never reaches openpyxl
        inspect(
            io.BytesIO(data),
            XLSX if suffix == "xlsx" else CSV,
            name=display_name(name),
            field="file",
        )
    except UploadRefused as exc:
        raise UploadRejected(exc.message, field_errors=exc.field_errors) from exc
    raw_rows = _xlsx_rows(data) if suffix == "xlsx" else _csv_rows(data)

    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    limit_rows = max_rows()
    for number, raw in enumerate(raw_rows, start=1):
        cells = [cell_text(v) for v in raw]
        if header is None:
            header = [_header_name(c) for c in cells]
            continue
        if not any(cells):
            continue
        if len(rows) >= limit_rows:
            raise UploadRejected(
                _("文件超过 %(limit)d 行数据的上限，请分批导入。") % {"limit": limit_rows}
            )
        rows.append((number, cells))

    positions: dict[str, int] = {}
    for index, title in enumerate(header or []):
        if title in columns and title not in positions:
            positions[title] = index
    missing = [c for c in required if c not in positions]
    if missing:
        raise UploadRejected(
            _("第 1 行缺少必需的列：%(columns)s。请使用导入模板。")
            % {"columns": "、".join(missing)}
        )
    if not rows:
        raise UploadRejected(_("文件中没有数据行。"))
    return Table(columns=positions, rows=rows)


def _field_error(column: str, message: str, **params: Any) -> str:
    if params:
        message = message % params
    return _("%(column)s：%(message)s") % {"column": column, "message": message}


def _too_long(column: str, value: str, limit: int) -> str | None:
    if len(value) > limit:
        return _field_error(
            column, _("不能超过 %(limit)d 个字符（当前 %(n)d 个）。"), limit=limit, n=len(value)
        )
    return None


# --- enterprises ---------------------------------------------------------------------------


def _industry(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    match = re.match(r"([A-Za-z])(?![A-Za-z])", text)
    if match and match.group(1).upper() in IndustrySection.values:
        return match.group(1).upper()
    for code, label in IndustrySection.choices:
        with translation.override("zh-hans"):
            if text == str(label):
                return str(code)
    return None


def _employees(value: str) -> int | None:
    text = value.replace(",", "").strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(text.split(".")[0])
    return None


@dataclass
class _GridLookup:
    cache: dict[str, Region | None] = field(default_factory=dict)

    def get(self, code: str) -> Region | None:
        if code not in self.cache:
            self.cache[code] = Region.objects.filter(code=code).first()
        return self.cache[code]


def _enterprise_values(
    table: Table, cells: list[str], existing: Enterprise | None, grids: _GridLookup
) -> tuple[dict[str, Any], list[str]]:
    """The field values a row gives, checked; empty cells keep an existing firm's values."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    creating = existing is None

    def text(column: str) -> str:
        return table.value(cells, column)

    for column, name, limit in (
        (COL_NAME, "name", 200),
        (COL_LEGAL, "legal_representative", 64),
        (COL_ADDRESS, "address", 255),
    ):
        value = text(column)
        if not value:
            if creating and column in ENTERPRISE_REQUIRED:
                errors.append(_field_error(column, _("必填。")))
            continue
        problem = _too_long(column, value, limit)
        if problem:
            errors.append(problem)
        else:
            values[name] = value

    industry_text = text(COL_INDUSTRY)
    if industry_text:
        industry = _industry(industry_text)
        if industry is None:
            errors.append(
                _field_error(
                    COL_INDUSTRY,
                    _("“%(value)s”不是 A–T 的行业门类字母（如 C 表示制造业）。")
                    % {"value": industry_text},
                )
            )
        else:
            values["industry_section"] = industry
    elif creating:
        errors.append(_field_error(COL_INDUSTRY, _("必填。")))

    size_text = text(COL_SIZE)
    if size_text:
        if size_text in SIZE_VALUES:
            values["above_scale"] = SIZE_VALUES[size_text]
        else:
            errors.append(
                _field_error(COL_SIZE, _("应填“规上”或“规下”，不是“%(value)s”。"), value=size_text)
            )

    employees_text = text(COL_EMPLOYEES)
    if employees_text:
        employees = _employees(employees_text)
        if employees is None:
            errors.append(
                _field_error(
                    COL_EMPLOYEES, _("应为不小于 0 的整数，不是“%(value)s”。"), value=employees_text
                )
            )
        else:
            values["employees"] = employees

    grid_code = text(COL_GRID)
    if grid_code:
        grid = grids.get(grid_code)
        if grid is None:
            errors.append(_field_error(COL_GRID, _("找不到网格编码“%(code)s”。"), code=grid_code))
        elif grid.level != RegionLevel.GRID:
            errors.append(
                _field_error(
                    COL_GRID,
                    _("“%(code)s”（%(name)s）不是网格一级的区域。")
                    % {"code": grid_code, "name": grid.name},
                )
            )
        else:
            values["grid"] = grid
    elif creating:
        errors.append(_field_error(COL_GRID, _("必填。")))

    phone = text(COL_PHONE)
    if phone and "*" in phone and not creating:
        pass  # a masked phone from an export: keep the firm's phone
    elif phone:
        try:
            phone_validator(phone)
        except ValidationError as exc:
            errors.append(_field_error(COL_PHONE, " ".join(str(m) for m in exc.messages)))
        else:
            values["contact_phone"] = phone
    return values, errors


def _changes(enterprise: Enterprise, values: dict[str, Any]) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    for key, value in values.items():
        current = enterprise.grid_id if key == "grid" else getattr(enterprise, key)
        new = value.pk if key == "grid" else value
        if current != new:
            changed[key] = value
    return changed


def enterprises_import(
    *, actor: Any, upload: UploadedFile, on_existing: str = ON_EXISTING_UPDATE
) -> ImportReport:
    """Create firms from ``upload``; a USCC already known updates that firm (or is skipped)."""
    if not can_import_directory(actor):
        raise NotPermitted(_("您没有导入企业的权限。"))
    if on_existing not in (ON_EXISTING_UPDATE, ON_EXISTING_SKIP):
        raise ServiceError(_("请选择如何处理已存在的企业。"))
    table = read_table(upload, columns=ENTERPRISE_COLUMNS, required=ENTERPRISE_REQUIRED)
    report = ImportReport(kind="enterprises", filename=upload.name or "", total=len(table.rows))
    grids = _GridLookup()
    seen: dict[str, int] = {}

    for number, cells in table.rows:
        uscc = normalize(table.value(cells, COL_USCC))
        if not uscc:
            report.fail(number, "", [_field_error(COL_USCC, _("必填。"))])
            continue
        problem = uscc_error(uscc)
        if problem:
            report.fail(number, uscc, [problem])
            continue
        if uscc in seen:
            report.fail(
                number, uscc, [_("与第 %(row)d 行的统一社会信用代码重复。") % {"row": seen[uscc]}]
            )
            continue
        seen[uscc] = number

        existing = Enterprise.objects.select_related("grid").filter(uscc=uscc).first()
        if existing is not None and on_existing == ON_EXISTING_SKIP:
            report.skipped.append(RowIssue(number, uscc, [_("该企业已存在，按您的选择未更新。")]))
            continue
        values, errors = _enterprise_values(table, cells, existing, grids)
        if errors:
            report.fail(number, uscc, errors)
            continue
        if existing is not None and not can_edit_enterprise(actor, existing):
            report.fail(number, uscc, [_("该企业已存在，且不在您的管辖范围内，无权修改。")])
            continue
        target_grid: Region | None = values.get("grid")
        if target_grid is None and existing is not None:
            target_grid = existing.grid
        if target_grid is not None and not can_edit_enterprise(actor, Enterprise(grid=target_grid)):
            report.fail(
                number,
                uscc,
                [
                    _("您无权在网格“%(name)s”（%(code)s）中导入企业。")
                    % {"name": target_grid.name, "code": target_grid.code}
                ],
            )
            continue
        try:
            with transaction.atomic():
                if existing is None:
                    enterprise_create(actor=actor, uscc=uscc, **values)
                    report.created += 1
                else:
                    changed = _changes(existing, values)
                    if changed:
                        enterprise_update(actor=actor, enterprise=existing, **changed)
                        report.updated += 1
                    else:
                        report.unchanged += 1
        except ServiceError as exc:
            report.fail(number, uscc, _service_reasons(exc))
        except IntegrityError:
            report.fail(number, uscc, [_("统一社会信用代码已被其他企业使用。")])

    with transaction.atomic():
        record(
            actor=actor,
            action="enterprise.import",
            object_type="directory.enterprise",
            object_label=report.filename,
            role=primary_role(actor),
            changes=report.summary() | {"on_existing": on_existing},
        )
    return report


def _service_reasons(exc: ServiceError) -> list[str]:
    reasons = [str(m) for messages in exc.field_errors.values() for m in messages]
    return reasons or [exc.message]


# --- people --------------------------------------------------------------------------------


def _role_lookup() -> dict[str, str]:
    names: dict[str, str] = {}
    for role in Role:
        names[role.value] = role.value
        names[str(role.label)] = role.value
        with translation.override("zh-hans"):
            names[str(role.label)] = role.value
    return names


def can_import_people(user: Any) -> bool:
    return bool(is_system_admin(user) or is_security_admin(user))


@dataclass
class _PersonRow:
    username: str
    display_name: str
    phone: str
    role: str
    scope: dict[str, Any]
    scope_text: str


def _scope_for(role: str, text: str) -> tuple[dict[str, Any], list[str]]:
    if role in ADMIN_ROLES:
        if text:
            return {}, [_field_error(COL_SCOPE, _("管理员角色不限定范围，请留空。"))]
        return {}, []
    if not text:
        return {}, [_field_error(COL_SCOPE, _("该角色必须填写范围。"))]
    if role in REGION_ROLES:
        region = Region.objects.filter(code=text).first()
        if region is None:
            return {}, [_field_error(COL_SCOPE, _("找不到区域编码“%(code)s”。"), code=text)]
        return {"region": region}, []
    if role in DEPARTMENT_ROLES:
        if text.isdigit():
            department = Department.objects.filter(pk=int(text)).first()
        else:
            matches = list(Department.objects.filter(name=text)[:2])
            if len(matches) > 1:
                return {}, [
                    _field_error(
                        COL_SCOPE, _("部门名称“%(name)s”不唯一，请填写部门编号。"), name=text
                    )
                ]
            department = matches[0] if matches else None
        if department is None:
            return {}, [_field_error(COL_SCOPE, _("找不到部门“%(name)s”。"), name=text)]
        return {"department": department}, []
    if role in ENTERPRISE_ROLES:
        uscc = normalize(text)
        problem = uscc_error(uscc)
        if problem:
            return {}, [_field_error(COL_SCOPE, problem)]
        enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None:
            return {}, [
                _field_error(COL_SCOPE, _("找不到统一社会信用代码为“%(code)s”的企业。"), code=uscc)
            ]
        return {"enterprise": enterprise}, []
    if role in CHAMBER_ROLES:
        chamber = (
            Chamber.objects.filter(pk=int(text)).first()
            if text.isdigit()
            else Chamber.objects.filter(name=text).first()
        )
        if chamber is None:
            return {}, [_field_error(COL_SCOPE, _("找不到商会“%(name)s”。"), name=text)]
        return {"chamber": chamber}, []
    return {}, []


def _person_row(
    table: Table, cells: list[str], roles: dict[str, str]
) -> tuple[_PersonRow, list[str]]:
    errors: list[str] = []
    username = table.value(cells, COL_USERNAME)
    display_name = table.value(cells, COL_DISPLAY_NAME)
    phone = table.value(cells, COL_MOBILE)
    if "*" in phone:
        phone = ""  # a masked phone from an export is not imported
    role_text = table.value(cells, COL_ROLE)
    scope_text = table.value(cells, COL_SCOPE)
    if not username:
        errors.append(_field_error(COL_USERNAME, _("必填。")))
    else:
        problem = _too_long(COL_USERNAME, username, 150)
        if problem:
            errors.append(problem)
        try:
            User.username_validator(username)
        except ValidationError:
            errors.append(_field_error(COL_USERNAME, _("只能包含字母、数字和 @ . + - _ 字符。")))
    problem = _too_long(COL_DISPLAY_NAME, display_name, 64)
    if problem:
        errors.append(problem)
    if phone and not MOBILE_RE.match(phone):
        errors.append(
            _field_error(COL_MOBILE, _("应为 11 位手机号码，不是“%(value)s”。"), value=phone)
        )
    role = ""
    scope: dict[str, Any] = {}
    if role_text:
        role = roles.get(role_text, roles.get(role_text.lower(), ""))
        if not role:
            errors.append(_field_error(COL_ROLE, _("未知角色“%(role)s”。"), role=role_text))
        else:
            scope, scope_errors = _scope_for(role, scope_text)
            errors.extend(scope_errors)
    elif scope_text:
        errors.append(_field_error(COL_SCOPE, _("填写了范围但没有填写角色。")))
    return _PersonRow(username, display_name, phone, role, scope, scope_text), errors


def _holds(user: User, role: str, scope: dict[str, Any]) -> bool:
    return RoleAssignment.objects.filter(
        user=user,
        role=role,
        region=scope.get("region"),
        department=scope.get("department"),
        enterprise=scope.get("enterprise"),
    ).exists()


def people_import(*, actor: Any, upload: UploadedFile) -> ImportReport:
    """Create accounts (system admin) or grant their roles (security admin) from ``upload``."""
    can_create = bool(is_system_admin(actor))
    can_grant = bool(is_security_admin(actor))
    if not (can_create or can_grant):
        raise NotPermitted(_("只有系统管理员或安全管理员可以导入人员。"))
    table = read_table(upload, columns=PEOPLE_COLUMNS, required=PEOPLE_REQUIRED)
    report = ImportReport(kind="people", filename=upload.name or "", total=len(table.rows))
    roles = _role_lookup()
    seen: dict[tuple[str, str, str], int] = {}

    for number, cells in table.rows:
        person, errors = _person_row(table, cells, roles)
        if errors:
            report.fail(number, person.username, errors)
            continue
        key = (person.username, person.role, person.scope_text)
        if key in seen:
            report.fail(number, person.username, [_("与第 %(row)d 行重复。") % {"row": seen[key]}])
            continue
        seen[key] = number
        try:
            with transaction.atomic():
                outcome = _person_apply(actor, person, can_create=can_create, can_grant=can_grant)
        except ServiceError as exc:
            report.fail(number, person.username, _service_reasons(exc))
            continue
        except IntegrityError:
            report.fail(number, person.username, [_("用户名或手机号已被其他账户使用。")])
            continue
        if outcome.missing_user:
            report.fail(
                number,
                person.username,
                [_("账户不存在：请先由系统管理员导入创建账户，再由安全管理员导入授权。")],
            )
            continue
        report.created += int(outcome.created)
        report.granted += int(outcome.granted)
        if outcome.pending:
            role_label = Role(person.role).label
            report.pending.append(
                RowIssue(
                    number,
                    person.username,
                    [_("角色“%(role)s”待安全管理员授权。") % {"role": role_label}],
                )
            )
        if not (outcome.created or outcome.granted or outcome.pending):
            report.unchanged += 1

    with transaction.atomic():
        record(
            actor=actor,
            action="people.import",
            object_type="accounts.user",
            object_label=report.filename,
            role=primary_role(actor),
            changes=report.summary(),
        )
    return report


@dataclass
class _PersonOutcome:
    created: bool = False
    granted: bool = False
    pending: bool = False
    missing_user: bool = False


def _person_apply(
    actor: Any, person: _PersonRow, *, can_create: bool, can_grant: bool
) -> _PersonOutcome:
    outcome = _PersonOutcome()
    user = User.objects.filter(username=person.username).first()
    if user is None:
        if not can_create:
            outcome.missing_user = True
            return outcome
        user = user_create(
            actor=actor,
            username=person.username,
            password=None,
            display_name=person.display_name,
            phone=person.phone or None,
        )
        outcome.created = True
    if person.role and not _holds(user, person.role, person.scope):
        if can_grant:
            role_grant(actor=actor, user=user, role=person.role, **person.scope)
            outcome.granted = True
        else:
            outcome.pending = True
    return outcome


# --- export --------------------------------------------------------------------------------


@dataclass
class ExportTable:
    """Rows to write; ``count`` is known once ``rows`` has been consumed."""

    header: tuple[str, ...]
    source: Iterable[Sequence[Any]]
    count: int = 0

    def rows(self) -> Iterator[list[Any]]:
        for row in self.source:
            self.count += 1
            yield list(row)  # the spreadsheet helper keeps formulas and control characters out


def enterprise_export_table(
    *,
    user: Any,
    query: str = "",
    region: Region | None = None,
    industry: str = "",
    size: str = "",
) -> ExportTable:
    """The firms ``user`` may see, with the list's filters; phones masked."""
    if not is_staff_reader(user):
        raise NotPermitted(_("您没有导出企业名录的权限。"))
    qs = selectors.enterprise_list(
        user=user, query=query, region=region, industry=industry, size=size
    )

    def rows() -> Iterator[Sequence[Any]]:
        for e in qs.iterator(chunk_size=2000):
            yield (
                e.uscc,
                e.name,
                e.legal_representative,
                e.industry_section,
                SIZE_LABELS[e.above_scale],
                e.employees,
                e.address,
                e.grid.code,
                e.grid.name,
                mask_phone(e.contact_phone),
            )

    return ExportTable(header=ENTERPRISE_EXPORT_COLUMNS, source=rows())


def export_record(
    *, actor: Any, action: str, fmt: str, count: int, filters: dict[str, Any] | None = None
) -> None:
    """The audit entry of one export: who took which rows out, in what format."""
    with transaction.atomic():
        record(
            actor=actor,
            action=action,
            role=primary_role(actor),
            changes={"format": fmt, "rows": count, "filters": filters or {}},
        )


def people_export_table(*, user: Any) -> ExportTable:
    """Every account with one row per role, in the import's columns; phones masked."""
    if not can_import_people(user):
        raise NotPermitted(_("您没有导出人员的权限。"))
    assignments = RoleAssignment.objects.select_related(
        "region", "department", "enterprise", "chamber"
    )
    users = User.objects.order_by("username").prefetch_related(
        _prefetch("role_assignments", assignments)
    )

    def scope_text(a: RoleAssignment) -> str:
        if a.region is not None:
            return a.region.code
        if a.department is not None:
            return str(a.department.pk)
        if a.enterprise is not None:
            return a.enterprise.uscc
        if a.chamber is not None:
            return a.chamber.name
        return ""

    def rows() -> Iterator[Sequence[Any]]:
        for u in users.iterator(chunk_size=500):
            base = (u.username, u.display_name, mask_phone(u.phone))
            held = list(u.role_assignments.all())
            if not held:
                yield (*base, "", "")
            for a in held:
                yield (*base, str(a.get_role_display()), scope_text(a))

    return ExportTable(header=PEOPLE_COLUMNS, source=rows())


def _prefetch(lookup: str, queryset: Any) -> Any:
    from django.db.models import Prefetch

    return Prefetch(lookup, queryset=queryset)


TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "enterprises": ("企业导入模板", ENTERPRISE_COLUMNS),
    "people": ("人员导入模板", PEOPLE_COLUMNS),
}

TEMPLATE_PERMISSION: dict[str, Callable[[Any], bool]] = {
    "enterprises": lambda user: bool(can_import_directory(user)),
    "people": can_import_people,
}
