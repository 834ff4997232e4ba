"""Excel (.xlsx) and CSV responses, written row by row: the one way the project exports.

Every export goes through here, so that what is stored can never break or attack it:

- a control character (a NUL, an escape, U+FFFE …) that reached the database before input
  was checked is shown as U+FFFD: openpyxl refuses such a cell, and the export would fail
  for good (the audit log cannot be edited);
- text that a spreadsheet program would run as a formula (it begins with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return) stays text: in a workbook it is a text cell with the
  "quote prefix" set (the value is kept exactly, and editing it does not turn it into a
  formula); in a CSV file, which has no cell types, it gets a leading apostrophe, which
  spreadsheet programs read as "text" (the directory import strips it again).

Numbers, dates and booleans are written as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .controlchars import printable

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: spreadsheet programs run a cell that begins with one of these as a formula
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: a plain number ("-3", "+1.5") is not a formula and stays as it is in a CSV file
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES)


def csv_safe(value: Any) -> Any:
    """A CSV field that is never run as a formula and holds no control character."""
    if isinstance(value, str):
        value = printable(value)
        if is_formula_like(value) and not _PLAIN_NUMBER.fullmatch(value):
            return "'" + value
    return value


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = printable(value)
    if not is_formula_like(value):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl took it for a formula
    cell.quotePrefix = True
    return cell


class SafeSheet:
    """A write-only sheet whose every cell goes through the checks above."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self._sheet = sheet

    def append(self, row: Iterable[Any]) -> None:
        self._sheet.append([_cell(self._sheet, v) for v in row])


class SafeWorkbook:
    """A workbook of one or more sheets, written row by row, saved to bytes."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)

    def sheet(self, title: str) -> SafeSheet:
        # a sheet title may not hold []:*?/\ and is at most 31 characters
        clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in printable(str(title)))
        return SafeSheet(self._book.create_sheet(title=clean[:31] or "Sheet"))

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self._book.save(buffer)
        return buffer.getvalue()


def _disposition(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(filename)}"


def xlsx_bytes(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    book = SafeWorkbook()
    sheet = book.sheet(sheet_title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    return book.save()


def file_response(content: bytes, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = _disposition(filename)
    return response


def xlsx_response(
    filename: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    return file_response(xlsx_bytes(sheet_title, header, rows), filename)


def csv_text(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    fmt: Callable[[Any], Any] = lambda v: v,
    **fmtparams: Any,
) -> str:
    """CSV text; ``fmt`` writes each value (after the checks), e.g. floats to 4 places."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, **fmtparams)
    writer.writerow([csv_safe(v) for v in header])
    for row in rows:
        writer.writerow([fmt(csv_safe(v)) for v in row])
    return buffer.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    # the byte-order mark: so that Excel opens UTF-8 Chinese text correctly
    body = "\ufeff" + csv_text(header, rows)
    return file_response(body.encode("utf-8"), filename, "text/csv; charset=utf-8")
