"""Hostile text through the pages: control characters, formulas, and exports of what is stored
(issue 14, H2 and M2)."""

from __future__ import annotations

import importlib
import io
import pkgutil
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

import qinqing
from qinqing.audit.models import AuditEntry
from qinqing.audit.services import record
from qinqing.common import controlchars
from qinqing.common.spreadsheet import csv_response, xlsx_bytes
from qinqing.demands.models import Category, Demand, RoutingRule
from qinqing.demands.services import demand_submit

from ..conftest import World

pytestmark = pytest.mark.django_db

FORMULA = "=cmd|' /C calc'!A0"


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tax(world: World) -> Category:
    tax = Category.objects.get(code="tax")
    RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    return tax


def submit(world: World, tax: Category, title: str) -> Demand:
    return demand_submit(
        actor=world.users["enterprise"],
        enterprise=world.firm_a,
        category=tax,
        title=title,
        description="三月申报的出口退税至今未到账，影响资金周转。",
    )


def sheet_values(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [[c.value for c in row] for row in sheet.iter_rows()]


# --- H2: refused at the door ----------------------------------------------------------------


def test_a_demand_titled_with_a_nul_is_refused_on_the_page_and_the_rest_is_kept(
    world: World, tax: Category
) -> None:
    response = client_of(world.users["enterprise"]).post(
        "/demands/new/",
        {
            "enterprise": world.firm_a.pk,
            "category": tax.pk,
            "title": "abc\x00def",
            "description": "厂房屋顶漏水，雨天无法生产。",
        },
    )

    assert response.status_code in (200, 422)
    page = response.content.decode()
    assert "不能包含控制字符。" in page
    assert "厂房屋顶漏水，雨天无法生产。" in page
    assert not Demand.objects.exists()


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ufffe", "\uffff"])
def test_every_control_character_is_refused_but_tab_and_newlines_are_not(char: str) -> None:
    assert controlchars.has_control(f"a{char}b")
    assert not controlchars.has_control("第一行\r\n第二行\t完")


def _modules() -> None:
    for info in pkgutil.walk_packages(qinqing.__path__, "qinqing."):
        if ".migrations" in info.name or info.name.endswith(("tests", "wsgi", "asgi")):
            continue
        importlib.import_module(info.name)


def _form_classes() -> list[type[forms.BaseForm]]:
    _modules()
    found: list[type[forms.BaseForm]] = []
    stack: list[type[Any]] = [forms.BaseForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("qinqing."):
                found.append(sub)
    return found


class _Bound:
    """The part of a BoundField a field reads when it is cleaned."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.initial = None


def test_every_field_of_every_form_of_the_project_refuses_control_characters() -> None:
    assert controlchars.form_guard_installed()
    classes = _form_classes()
    assert len(classes) > 50  # the walk found the project's forms
    checked = 0
    for cls in classes:
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.FileField) or field.disabled:
                continue
            for bad in ("abc\x00def", ["ok", "a\x1bb"]):
                with pytest.raises(forms.ValidationError) as refused:
                    field._clean_bound_field(_Bound(bad))  # type: ignore[arg-type]
                assert refused.value.code == controlchars.CODE, (cls, name)
            checked += 1
    assert checked > 200


def test_every_date_and_number_field_of_every_form_refuses_values_out_of_range() -> None:
    checked = 0
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            if field.disabled:
                continue
            if isinstance(field, forms.DateField | forms.DateTimeField):
                bad = ["9999-12-31", "0001-01-01"]
            elif isinstance(field, forms.IntegerField) and field.max_value is None:
                bad = [str(2**64)]
            else:
                continue
            for value in bad:
                with pytest.raises(forms.ValidationError) as refused:
                    field._clean_bound_field(_Bound(value))  # type: ignore[arg-type]
                codes = {e.code for e in refused.value.error_list}
                assert codes & {"out_of_range", "max_value", "min_value", "max_digits"}, (cls, name)
            checked += 1
    assert checked > 10


@pytest.mark.parametrize("params", [{"q": "退税\x00"}, {"state\x1b": "x"}])
def test_a_page_filter_with_a_control_character_answers_400_not_500(
    world: World, params: dict[str, str]
) -> None:
    response = client_of(world.users["coordinator"]).get("/demands/cases/", params)
    assert response.status_code == 400
    assert "控制字符" in response.content.decode()


# --- H2: exports survive what is already stored ---------------------------------------------


def test_a_stored_control_character_does_not_break_the_case_export(
    world: World, tax: Category
) -> None:
    demand = submit(world, tax, "出口退税")
    bad = "abc\x00def\x1b" if connection.vendor == "sqlite" else "abc\x07def\x1b"  # no NUL on PG
    Demand.objects.filter(pk=demand.pk).update(title=bad)  # stored before the fix

    response = client_of(world.users["coordinator"]).get("/demands/cases/export/")

    assert response.status_code == 200
    values = sheet_values(response.content)
    assert values[1][3] == "abc\ufffddef\ufffd"


def test_a_stored_control_character_does_not_break_the_audit_export(world: World) -> None:
    # an entry written before the fix: record() now cleans what it keeps, so write it directly
    last = record(actor=None, action="user.login_failed")
    AuditEntry.objects.create(
        seq=last.seq + 1000,
        occurred_at=last.occurred_at,
        action="user.login_failed",
        object_label="abc\x1bdef\x08",
        request_id="req\x07",
        prev_hash=last.hash,
        hash="0" * 64,
    )

    response = client_of(world.users["audit_admin"]).get("/audit/export/")

    assert response.status_code == 200
    cells = [str(v) for row in sheet_values(response.content) for v in row]
    assert any("abc\ufffddef\ufffd" in v for v in cells)
    assert AuditEntry.objects.filter(action="audit.export").exists()


def test_the_audit_log_keeps_no_control_character_and_no_endless_text(world: World) -> None:
    entry = record(
        actor=None,
        action="user.login_failed",
        object_label="abc\x00def",
        changes={"username": "x\x00" * 50_000},
    )
    assert entry.object_label == "abc\ufffddef"
    assert "\x00" not in entry.changes["username"]
    assert len(entry.changes["username"]) <= 4000


# --- M2: a formula stays text ---------------------------------------------------------------


def test_a_title_that_looks_like_a_formula_is_exported_as_text(world: World, tax: Category) -> None:
    submit(world, tax, FORMULA)

    response = client_of(world.users["coordinator"]).get("/demands/cases/export/")

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=4)
    assert cell.data_type == "s"
    assert cell.value in (FORMULA, "'" + FORMULA)
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_the_shared_helper_never_writes_a_formula(value: str) -> None:
    sheet = load_workbook(io.BytesIO(xlsx_bytes("表", ["列"], [[value], [-3], [2.5]]))).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert cell.value.replace("\n", "\r") == value.replace("\n", "\r")  # XML keeps no CR
    assert cell.quotePrefix
    assert sheet.cell(row=3, column=1).value == -3  # numbers stay numbers


def test_a_csv_export_neutralises_formulas_and_control_characters() -> None:
    body = csv_response("x.csv", ["列"], [[FORMULA], ["a\x00b"]]).content.decode("utf-8-sig")
    assert "'" + FORMULA in body
    assert "a\ufffdb" in body and "\x00" not in body
