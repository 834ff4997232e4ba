"""Import family and shareholding data from Excel (.xlsx) or CSV, one row per relation.

Columns (header in row 1): 关系类型, 本人账号, 本人姓名, 本人身份证号, 关系人姓名,
关系人身份证号, 统一社会信用代码, 持股比例, 职务, 起始日期, 终止日期.

Who a row names: the platform account (本人账号) → that account's person; else an ID-card
number → the person with exactly that number (a new one if none); else a new person,
reused by the later rows of the same file that give the same name. New people get match
candidates against those already known; nothing is merged. Each row is written in its own
savepoint; a bad row is reported with its Excel row number and does not stop the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.accounts.scopes import primary_role
from qinqing.audit.services import record
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.uscc import normalize
from qinqing.directory.importexport import ImportReport, read_table
from qinqing.directory.models import Enterprise

from . import matching
from .models import FirmRole, Kinship, Person, Source
from .permissions import may_maintain
from .services import person_create, propose_candidates, relation_create

COL_KIND = "关系类型"
COL_ACCOUNT = "本人账号"
COL_NAME = "本人姓名"
COL_ID = "本人身份证号"
COL_OTHER = "关系人姓名"
COL_OTHER_ID = "关系人身份证号"
COL_USCC = "统一社会信用代码"
COL_PCT = "持股比例"
COL_TITLE = "职务"
COL_FROM = "起始日期"
COL_TO = "终止日期"
COLUMNS = [
    COL_KIND,
    COL_ACCOUNT,
    COL_NAME,
    COL_ID,
    COL_OTHER,
    COL_OTHER_ID,
    COL_USCC,
    COL_PCT,
    COL_TITLE,
    COL_FROM,
    COL_TO,
]
REQUIRED = [COL_KIND, COL_NAME]
TEMPLATE_ROWS = [
    ["子女的配偶", "", "刘建国", "", "王强", "", "", "", "", "2019-05-01", ""],
    ["持股", "", "王强", "", "", "", "91330203MA2AAAAAA0", "30", "", "2020-01-01", ""],
    ["任职", "", "王强", "", "", "", "91330203MA2AAAAAA0", "", "董事", "", ""],
]


def kind_lookup() -> dict[str, str]:
    table = {str(label): value for value, label in Kinship.choices if value != Kinship.SAME_AS}
    table.update({str(label): value for value, label in FirmRole.choices})
    table.update({"任职": FirmRole.POSITION, "董事": FirmRole.POSITION, "监事": FirmRole.POSITION})
    table.update({value: value for value in [*Kinship.values, *FirmRole.values]})
    table.pop(Kinship.SAME_AS, None)
    return table


def _date(text: str, column: str, errors: list[str]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10].replace("/", "-"))
    except ValueError:
        errors.append(_("%(c)s：日期格式应为 2024-01-31。") % {"c": column})
        return None


class _People:
    """Resolve the people a row names (account, exact ID number, or a new row)."""

    def __init__(self, actor: Any):
        self.actor = actor
        self.by_name: dict[str, Person] = {}
        self.new: list[Person] = []

    def get(self, *, name: str, id_number: str, account: str = "") -> Person:
        if account:
            user = User.objects.filter(username=account).first()
            if user is None:
                raise ServiceError(_("%(c)s：账号不存在。") % {"c": COL_ACCOUNT})
            person = Person.objects.filter(user=user).first()
            if person is None:
                person = person_create(
                    actor=self.actor, name=name, user=user, source=Source.IMPORT, propose=False
                )
                self.new.append(person)
            return person
        number = matching.normalise_id(id_number)
        if number:
            if not matching.valid_id(number):
                raise ServiceError(_("身份证号码不正确（末位校验码不符或位数不对）。"))
            existing = Person.objects.filter(id_hash=matching.id_hash(number)).first()
            if existing is not None:
                return existing
        elif name in self.by_name:
            return self.by_name[name]
        person = person_create(
            actor=self.actor, name=name, id_number=number, source=Source.IMPORT, propose=False
        )
        self.new.append(person)
        if not number:
            self.by_name[name] = person
        return person


@dataclass
class RelationsImport:
    report: ImportReport
    people: int
    candidates: int


def relations_import(*, actor: Any, upload: UploadedFile) -> RelationsImport:
    if not may_maintain(actor):
        raise NotPermitted(_("只有监督员或系统管理员可以导入关系数据。"))
    table = read_table(upload, columns=COLUMNS, required=REQUIRED)
    report = ImportReport(kind="relations", filename=upload.name or "", total=len(table.rows))
    kinds = kind_lookup()
    people = _People(actor)
    for number, cells in table.rows:

        def text(column: str, cells: list[str] = cells) -> str:
            return (table.value(cells, column) or "").strip()

        key = text(COL_NAME)
        errors: list[str] = []
        kind = kinds.get(text(COL_KIND))
        if kind is None:
            errors.append(_("%(c)s：无法识别“%(v)s”。") % {"c": COL_KIND, "v": text(COL_KIND)})
        if not key:
            errors.append(_("%(c)s：必填。") % {"c": COL_NAME})
        start = _date(text(COL_FROM), COL_FROM, errors)
        end = _date(text(COL_TO), COL_TO, errors)
        firm = None
        if kind in FirmRole.values:
            uscc = normalize(text(COL_USCC))
            firm = Enterprise.objects.filter(uscc=uscc).first() if uscc else None
            if firm is None:
                errors.append(_("%(c)s：找不到该企业。") % {"c": COL_USCC})
        elif kind is not None and not text(COL_OTHER):
            errors.append(_("%(c)s：必填。") % {"c": COL_OTHER})
        if errors:
            report.fail(number, key, errors)
            continue
        try:
            with transaction.atomic():
                me = people.get(name=key, id_number=text(COL_ID), account=text(COL_ACCOUNT))
                other = None
                if firm is None:
                    other = people.get(name=text(COL_OTHER), id_number=text(COL_OTHER_ID))
                relation_create(
                    actor=actor,
                    from_person_id=me.pk,
                    kind=str(kind),
                    to_person_id=other.pk if other else None,
                    enterprise_id=firm.pk if firm else None,
                    percentage=text(COL_PCT) or None,
                    title=text(COL_TITLE),
                    valid_from=start,
                    valid_to=end,
                    source=Source.IMPORT,
                )
                report.created += 1
        except ServiceError as exc:
            reasons = [str(m) for ms in exc.field_errors.values() for m in ms] or [exc.message]
            report.fail(number, key, reasons)
            people.new = [p for p in people.new if Person.objects.filter(pk=p.pk).exists()]
            people.by_name = {n: p for n, p in people.by_name.items() if p in people.new}
        except IntegrityError:
            report.fail(number, key, [_("该关系已登记。")])
    with transaction.atomic():
        candidates = propose_candidates(people=people.new)
        record(
            actor=actor,
            action="relations.import",
            object_type="relations.personrelation",
            object_label=report.filename,
            role=primary_role(actor),
            changes=report.summary() | {"people": len(people.new), "candidates": candidates},
        )
    return RelationsImport(report=report, people=len(people.new), candidates=candidates)
