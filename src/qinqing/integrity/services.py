"""Every write of 廉情监督: list loading and revision, filings and decisions, clean enterprises.

Each service takes the acting user, checks it may act, runs in one transaction and leaves an
audit entry. Rules of the conduct lists are applied by :func:`screen` (see ``rules.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from uuid import uuid4

import yaml
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.files import JPEG, PDF, PNG, accepting, display_name, inspect, together
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Enterprise
from qinqing.integrity.relations.services import (  # relations: conflict-of-interest check
    conflict_check,
    record_conflict_refusals,
)

from . import permissions, rules
from .models import (
    SEVERITY,
    AssessmentStatus,
    CleanAnswer,
    CleanAssessment,
    CleanCriterion,
    CleanEvidence,
    ConductItem,
    ContactKind,
    Filing,
    FilingMatch,
    FilingStatus,
    Gift,
    GiftHandling,
    ListKind,
    Outcome,
    Payer,
    PlaceKind,
    Polarity,
    Subject,
    Timing,
)

register("conduct.load", gettext_lazy("导入正负面清单"))
register("conduct.revise", gettext_lazy("修订清单条目"))
register("filing.submit", gettext_lazy("提交交往报备"))
register("filing.approve", gettext_lazy("批准交往报备"))
register("filing.reject", gettext_lazy("不批准交往报备"))
register("filing.gift_hand_in", gettext_lazy("登记礼品上交"))
register("filing.export", gettext_lazy("导出交往报备"))
register("clean.checklist_load", gettext_lazy("导入清廉企业评价表"))
register("clean.answer", gettext_lazy("填写清廉企业自评"))
register("clean.submit", gettext_lazy("提交清廉企业自评"))
register("clean.recognise", gettext_lazy("认定清廉企业"))
register("clean.return", gettext_lazy("退回清廉企业自评"))
register("clean.file_download", gettext_lazy("下载清廉企业佐证材料"))

MAX_FIRMS = 20
MAX_GIFTS = 10
MAX_AMOUNT = Decimal("10000000")
#: how long ago a contact may be reported (days)
MAX_DAYS_BACK = 366
#: how far ahead a contact may be filed before it happens (days)
MAX_DAYS_AHEAD = 180
CENT = Decimal("0.01")
#: the lowest self-assessment score a firm may be recognised with
PASS_SCORE = Decimal("80")
MAX_VALIDITY_DAYS = 3 * 366
MAX_EVIDENCE = 5
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_KINDS = accepting(PDF, JPEG, PNG)


def today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def _refuse(errors: dict[str, list[str]]) -> ServiceError:
    return ServiceError(next(iter(errors.values()))[0], field_errors=errors)


# --- conduct lists --------------------------------------------------------------------------------
ITEM_FIELDS = ("list_kind", "subject", "polarity", "position", "title", "text", "source", "clause")
#: the keys a list file may hold: at the top, in an item, in a checklist criterion
FILE_KEYS = ("format", "title", "sample", "note", "effective_from", "items", "checklist")
ITEM_KEYS = (
    "id", "list", "subject", "polarity", "position", "title", "text", "source", "clause",
    "effective_from", "effective_to", "rule",
)  # fmt: skip
CRITERION_KEYS = ("code", "position", "area", "title", "guidance", "weight", "evidence_required")
MAX_LIST_FILE_BYTES = 2 * 1024 * 1024


@dataclass
class LoadResult:
    created: int = 0
    unchanged: int = 0
    superseded: int = 0
    criteria: int = 0
    errors: list[str] = field(default_factory=list)


def _duplicate_key(node: yaml.Node) -> yaml.Node | None:
    """A key that appears twice in one mapping of a composed YAML document, or None."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:  # an alias: already walked
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: set[Any] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        return key
                    keys.add(key.value)
                stack += [key, value]
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value
    return None


def _scalar_nodes(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode):
            yield current
        elif isinstance(current, yaml.MappingNode):
            stack += [part for pair in reversed(current.value) for part in reversed(pair)]
        elif isinstance(current, yaml.SequenceNode):
            stack += reversed(current.value)


def _unreadable_value(document: yaml.Node, name: str) -> ServiceError | None:
    """A value YAML resolves to a type it then cannot build (``2025-02-30`` as a date),
    named by its line; the constructor itself raises a plain ``ValueError`` without one."""
    constructor = yaml.SafeLoader("")
    for node in _scalar_nodes(document):
        try:
            constructor.construct_object(node)
        except (ValueError, OverflowError) as exc:
            return ServiceError(
                _("%(name)s 第 %(line)d 行第 %(column)d 列：无法读取“%(value)s”（%(error)s）")
                % {
                    "name": name,
                    "line": node.start_mark.line + 1,
                    "column": node.start_mark.column + 1,
                    "value": str(node.value)[:40],
                    "error": exc,
                }
            )
    return None


def parse_list_file(text: str, source_name: str = "") -> Any:
    """The data of a list file: YAML (JSON, being YAML, is read too), plain data only
    (``yaml.safe_load``). A syntax error, or a key written twice in one mapping (which YAML
    would silently resolve to the last), is a :class:`ServiceError` naming the line."""
    name = source_name or _("清单文件")
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
        duplicate = _duplicate_key(document) if document is not None else None
        if duplicate is not None:
            raise ServiceError(
                _("%(name)s 第 %(line)d 行：键“%(key)s”在同一处写了两次。")
                % {"name": name, "line": duplicate.start_mark.line + 1, "key": duplicate.value}
            )
        try:
            return yaml.safe_load(text)
        except (ValueError, OverflowError) as exc:
            assert document is not None
            raise _unreadable_value(document, name) or ServiceError(
                _("%(name)s 不是有效的 YAML：%(problem)s") % {"name": name, "problem": exc}
            ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(filter(None, [exc.context, exc.problem]))
        if mark is None:
            raise ServiceError(
                _("%(name)s 不是有效的 YAML：%(problem)s") % {"name": name, "problem": problem}
            ) from None
        message = _("%(name)s 第 %(line)d 行第 %(column)d 列不是有效的 YAML：%(problem)s") % {
            "name": name,
            "line": mark.line + 1,
            "column": mark.column + 1,
            "problem": problem,
        }
        opened = exc.context_mark
        if opened is not None and opened.line != mark.line:
            message += _("（未结束的部分从第 %(line)d 行开始）") % {"line": opened.line + 1}
        raise ServiceError(message) from None
    except yaml.YAMLError as exc:
        raise ServiceError(
            _("%(name)s 不是有效的 YAML：%(problem)s") % {"name": name, "problem": str(exc)}
        ) from None


def read_list_file(path: Path) -> Any:
    """Read and parse a list file (UTF-8, YAML or JSON); errors in Chinese, naming the file."""
    try:
        if path.stat().st_size > MAX_LIST_FILE_BYTES:
            raise ServiceError(_("%(name)s 太大（超过2 MB）。") % {"name": path.name})
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ServiceError(
            _("%(name)s 不是 UTF-8 编码的文本（第 %(byte)d 字节）。")
            % {"name": path.name, "byte": exc.start + 1}
        ) from None
    except OSError as exc:
        raise ServiceError(
            _("无法读取 %(name)s：%(error)s") % {"name": path.name, "error": exc.strerror or exc}
        ) from None
    return parse_list_file(text, path.name)


def _parse_day(value: Any, where: str, name: str, errors: list[str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # YAML reads an unquoted 2025-01-01 as a date
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append(
            _("%(where)s：%(name)s 不是日期（YYYY-MM-DD）：%(value)s")
            % {"where": where, "name": name, "value": value}
        )
        return None


def _unknown_keys(raw: Mapping[str, Any], known: Sequence[str], where: str) -> str | None:
    unknown = [str(k) for k in raw if k not in known]
    if not unknown:
        return None
    return _("%(where)s：未知的键 %(keys)s（可用的键：%(known)s）") % {
        "where": where,
        "keys": "、".join(unknown),
        "known": ", ".join(known),
    }


def _item_where(raw: Any, index: int) -> str:
    code = str(raw.get("id", "")).strip() if isinstance(raw, dict) else ""
    if code:
        return _("条目 %(id)s") % {"id": code[:40]}
    return _("第 %(n)d 个条目") % {"n": index + 1}


def _item_from(raw: Any, default_from: date | None, where: str, errors: list[str]) -> dict | None:
    if not isinstance(raw, dict):
        errors.append(_("%(where)s：应是一组“键: 值”") % {"where": where})
        return None
    if unknown := _unknown_keys(raw, ITEM_KEYS, where):
        errors.append(unknown)
    code = str(raw.get("id", "")).strip()
    if not code or len(code) > 32:
        errors.append(_("%(where)s：id 必填，不超过32个字符") % {"where": where})
    values = {
        "code": code,
        "list_kind": raw.get("list"),
        "subject": raw.get("subject"),
        "polarity": raw.get("polarity"),
        "position": raw.get("position", 0),
        "title": str(raw.get("title") or "").strip(),
        "text": str(raw.get("text") or "").strip(),
        "source": str(raw.get("source") or "").strip(),
        "clause": str(raw.get("clause") or "").strip(),
        "rule": raw.get("rule") or None,
    }
    for name, key, choices in (
        ("list", "list_kind", ListKind.values),
        ("subject", "subject", Subject.values),
        ("polarity", "polarity", Polarity.values),
    ):
        if values[key] not in choices:
            errors.append(
                _("%(where)s：%(name)s 应是 %(choices)s 之一")
                % {"where": where, "name": name, "choices": ", ".join(choices)}
            )
    position = values["position"]
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < 1000:
        errors.append(_("%(where)s：position 应是0–999的整数") % {"where": where})
    for name, limit in (("title", 120), ("text", 5000), ("source", 200), ("clause", 64)):
        if len(values[name]) > limit:
            errors.append(
                _("%(where)s：%(name)s 不超过%(limit)d个字符")
                % {"where": where, "name": name, "limit": limit}
            )
    for name in ("title", "text", "source"):
        if not values[name]:
            errors.append(_("%(where)s：%(name)s 必填") % {"where": where, "name": name})
    try:
        rules.validate(values["rule"])
        json.dumps(values["rule"])  # stored as JSON: no dates or other YAML-only values
    except rules.RuleError as exc:
        errors.append(_("%(where)s：机器规则有误：%(error)s") % {"where": where, "error": exc})
    except (TypeError, ValueError):
        errors.append(
            _("%(where)s：机器规则中只能有文字、数字、true/false 和列表") % {"where": where}
        )
    values["effective_from"] = (
        _parse_day(raw.get("effective_from"), where, "effective_from", errors) or default_from
    )
    values["effective_to"] = _parse_day(raw.get("effective_to"), where, "effective_to", errors)
    if values["effective_from"] is None:
        errors.append(
            _("%(where)s：effective_from 必填（写在条目中，或在文件顶层为全部条目写一次）")
            % {"where": where}
        )
    elif values["effective_to"] and values["effective_to"] < values["effective_from"]:
        errors.append(_("%(where)s：effective_to 早于 effective_from") % {"where": where})
    return values


def _same(item: ConductItem, values: Mapping[str, Any]) -> bool:
    return all(getattr(item, name) == values[name] for name in ITEM_FIELDS) and (
        (item.rule or None) == values["rule"]
        and item.effective_from == values["effective_from"]
        and item.effective_to == values["effective_to"]
    )


def _supersede(latest: ConductItem, starts: date) -> bool:
    """Close the latest version where a new one starts; True when it changed."""
    end = max(starts, latest.effective_from)
    if latest.effective_to is not None and latest.effective_to <= end:
        return False
    latest.effective_to = end
    latest.save(update_fields=["effective_to"])
    return True


def _criterion_where(raw: Any, index: int) -> str:
    code = str(raw.get("code", "")).strip() if isinstance(raw, dict) else ""
    if code:
        return _("评价项 %(code)s") % {"code": code[:40]}
    return _("第 %(n)d 个评价项") % {"n": index + 1}


def _criterion_from(raw: Any, where: str, errors: list[str]) -> dict | None:
    if not isinstance(raw, dict):
        errors.append(_("%(where)s：应是一组“键: 值”") % {"where": where})
        return None
    if unknown := _unknown_keys(raw, CRITERION_KEYS, where):
        errors.append(unknown)
    values = {
        "code": str(raw.get("code", "")).strip(),
        "position": raw.get("position", 0),
        "area": str(raw.get("area") or "").strip(),
        "title": str(raw.get("title") or "").strip(),
        "guidance": str(raw.get("guidance") or "").strip(),
        "weight": raw.get("weight"),
        "evidence_required": raw.get("evidence_required", True),
    }
    if not values["code"] or len(values["code"]) > 16:
        errors.append(_("%(where)s：code 必填，不超过16个字符") % {"where": where})
    if not values["title"] or not values["area"]:
        errors.append(_("%(where)s：title 和 area 必填") % {"where": where})
    for name, limit in (("area", 60), ("title", 200), ("guidance", 2000)):
        if len(values[name]) > limit:
            errors.append(
                _("%(where)s：%(name)s 不超过%(limit)d个字符")
                % {"where": where, "name": name, "limit": limit}
            )
    weight = values["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
        errors.append(_("%(where)s：weight 应是1–100的整数") % {"where": where})
    position = values["position"]
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < 1000:
        errors.append(_("%(where)s：position 应是0–999的整数") % {"where": where})
    if not isinstance(values["evidence_required"], bool):
        errors.append(_("%(where)s：evidence_required 应是 true 或 false") % {"where": where})
    return values


@transaction.atomic
def conduct_load(*, actor: Any, data: Mapping[str, Any], source_name: str = "") -> LoadResult:
    """Load conduct-list items (``items``) and/or the clean-enterprise checklist
    (``checklist``) from the data of a list file (:func:`read_list_file`). Idempotent: an item
    equal to its latest version is left alone; a changed item becomes a new version that
    supersedes the latest from its ``effective_from``; older versions are kept. Nothing is
    written if anything is invalid; the errors name the item (its id) and the field."""
    if actor is not None and not permissions.can_edit_lists(actor):
        raise NotPermitted(_("只有纪检监察（监督员）可以导入清单。"))
    result = LoadResult()
    if not isinstance(data, Mapping):
        raise ServiceError(_("清单文件格式不正确。"))
    errors = result.errors
    if unknown := _unknown_keys(data, FILE_KEYS, _("文件顶层")):
        errors.append(unknown)
    default_from = _parse_day(data.get("effective_from"), _("文件顶层"), "effective_from", errors)
    raw_items, raw_criteria = data.get("items") or [], data.get("checklist") or []
    for name, value in (("items", raw_items), ("checklist", raw_criteria)):
        if not isinstance(value, list):
            errors.append(_("%(name)s 应是一个列表（每项以“- ”开头）") % {"name": name})
    if not isinstance(raw_items, list):
        raw_items = []
    if not isinstance(raw_criteria, list):
        raw_criteria = []
    items = [
        _item_from(raw, default_from, _item_where(raw, i), errors)
        for i, raw in enumerate(raw_items)
    ]
    criteria = [
        _criterion_from(raw, _criterion_where(raw, i), errors) for i, raw in enumerate(raw_criteria)
    ]
    codes = [v["code"] for v in items if v]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        errors.append(_("条目 %(id)s 出现了不止一次") % {"id": code})
    criterion_codes = [v["code"] for v in criteria if v]
    for code in sorted({c for c in criterion_codes if criterion_codes.count(c) > 1}):
        errors.append(_("评价项 %(code)s 出现了不止一次") % {"code": code})
    if not raw_items and not raw_criteria and not errors:
        errors.append(_("文件中既没有 items（清单条目）也没有 checklist（评价项）"))
    if errors:
        shown = "；".join(errors[:5])
        if len(errors) > 5:
            shown += _("；另有 %(n)d 处错误") % {"n": len(errors) - 5}
        raise ServiceError(_("清单文件有误：%(e)s") % {"e": shown})
    latest: dict[str, ConductItem] = {}
    for item in ConductItem.objects.select_for_update().filter(code__in=codes).order_by("version"):
        latest[item.code] = item
    for values in items:
        assert values is not None
        current = latest.get(values["code"])
        if current is not None and _same(current, values):
            result.unchanged += 1
            continue
        if current is not None:
            result.superseded += int(_supersede(current, values["effective_from"]))
        ConductItem.objects.create(
            **values,
            version=(current.version + 1) if current else 1,
            created_by=actor,
            note=(source_name or "")[:200],
        )
        result.created += 1
    for values in criteria:
        assert values is not None
        code = values.pop("code")
        CleanCriterion.objects.update_or_create(code=code, defaults={**values, "active": True})
        result.criteria += 1
    if criteria:
        CleanCriterion.objects.filter(active=True).exclude(code__in=criterion_codes).update(
            active=False
        )
    if result.created or result.superseded:
        record(
            actor=actor,
            action="conduct.load",
            object_type="integrity.conductitem",
            object_label=source_name[:200],
            changes={
                "created": result.created,
                "superseded": result.superseded,
                "unchanged": result.unchanged,
            },
            with_client=actor is not None,
        )
    if criteria:
        record(
            actor=actor,
            action="clean.checklist_load",
            object_type="integrity.cleancriterion",
            object_label=source_name[:200],
            changes={"criteria": result.criteria},
            with_client=actor is not None,
        )
    return result


@transaction.atomic
def conduct_item_revise(
    *,
    actor: Any,
    code: str,
    title: str,
    text: str,
    source: str,
    clause: str,
    effective_from: date | None,
    rule: Any,
    note: str = "",
) -> ConductItem:
    """A supervisor's edit: a new version of the item from ``effective_from``, the previous
    version closed on that day; both stay readable."""
    if not permissions.can_edit_lists(actor):
        raise NotPermitted(_("只有纪检监察（监督员）可以修订清单。"))
    latest = ConductItem.objects.select_for_update().filter(code=code).order_by("-version").first()
    if latest is None:
        raise ServiceError(_("没有这个清单条目。"))
    errors: dict[str, list[str]] = {}
    title, text, source, clause, note = (
        (title or "").strip(),
        (text or "").strip(),
        (source or "").strip(),
        (clause or "").strip(),
        (note or "").strip(),
    )
    if not title or len(title) > 120:
        errors["title"] = [_("请填写要点（不超过120字）。")]
    if not text or len(text) > 5000:
        errors["text"] = [_("请填写条文（不超过5000字）。")]
    if not source or len(source) > 200:
        errors["source"] = [_("请填写来源文件（不超过200字）。")]
    if len(clause) > 64:
        errors["clause"] = [_("条款不超过64字。")]
    if not note or len(note) > 200:
        errors["note"] = [_("请说明修订原因（不超过200字）。")]
    if effective_from is None:
        errors["effective_from"] = [_("请填写生效日期。")]
    elif effective_from < latest.effective_from:
        errors["effective_from"] = [
            _("生效日期不能早于当前版本的生效日期（%(d)s）。")
            % {"d": latest.effective_from.isoformat()}
        ]
    try:
        rules.validate(rule or None)
    except rules.RuleError as exc:
        errors["rule"] = [_("机器规则不符合规则语言：%(e)s") % {"e": str(exc)}]
    if errors:
        raise _refuse(errors)
    assert effective_from is not None
    _supersede(latest, effective_from)
    item = ConductItem.objects.create(
        code=latest.code,
        version=latest.version + 1,
        list_kind=latest.list_kind,
        subject=latest.subject,
        polarity=latest.polarity,
        position=latest.position,
        title=title,
        text=text,
        source=source,
        clause=clause,
        effective_from=effective_from,
        effective_to=None,
        rule=rule or None,
        note=note,
        created_by=actor,
    )
    record(
        actor=actor,
        action="conduct.revise",
        obj=item,
        role=primary_role(actor),
        changes={
            "code": item.code,
            "version": [latest.version, item.version],
            "effective_from": effective_from.isoformat(),
            "text_changed": latest.text != item.text,
            "rule_changed": (latest.rule or None) != (item.rule or None),
            "note": note,
        },
    )
    return item


# --- screening ------------------------------------------------------------------------------------
def in_force(on: date) -> Q:
    return Q(effective_from__lte=on) & (Q(effective_to__isnull=True) | Q(effective_to__gt=on))


@dataclass(frozen=True)
class Match:
    item: ConductItem
    outcome: str


@dataclass(frozen=True)
class Screening:
    outcome: str
    matches: list[Match]


def per_person(amount: Decimal, headcount: int) -> Decimal:
    return (amount / max(headcount, 1)).quantize(CENT, rounding=ROUND_HALF_UP)


def open_demand_handled_by(filer: Any, firm_ids: Sequence[int]) -> bool:
    """Whether a counterpart firm has an open demand the filer handles: one of the filer's
    departments holds it, or the filer has acted on it."""
    from qinqing.demands.models import Demand
    from qinqing.demands.workflow import OPEN_STATES

    departments = [
        a.department_id for a in assignments_of(filer) if a.role == Role.HANDLER and a.department_id
    ]
    return (
        Demand.objects.filter(enterprise_id__in=list(firm_ids), state__in=OPEN_STATES)
        .filter(Q(department_id__in=departments) | Q(events__actor=filer))
        .exists()
    )


def facts_of(
    *,
    timing: str,
    kind: str,
    place_kind: str,
    payer: str,
    amount: Decimal,
    headcount: int,
    contact_date: date,
    filed_on: date,
    gifts: Sequence[Mapping[str, Any]] = (),
    counterpart_open_demand: bool = False,
) -> dict[str, Any]:
    """The facts of a filing the rules may test (``rules.FILING_FIELDS``)."""
    return {
        "timing": timing,
        "kind": kind,
        "place_kind": place_kind,
        "payer": payer,
        "amount": amount,
        "amount_per_person": per_person(amount, headcount),
        "headcount": headcount,
        "days_after_contact": (filed_on - contact_date).days,
        "gift_count": len(gifts),
        "gift_total_value": sum((Decimal(g["value"]) for g in gifts), Decimal(0)),
        "counterpart_open_demand": counterpart_open_demand,
        "gifts": [{"value": Decimal(g["value"]), "handling": g["handling"]} for g in gifts],
    }


def screen(facts: Mapping[str, Any], *, on: date) -> Screening:
    """Screen facts against the rules of the items in force on ``on``: every matched item,
    the most severe outcome (``allowed`` when nothing matched)."""
    items = ConductItem.objects.filter(in_force(on)).filter(rule__isnull=False)
    matches = []
    for item in items.order_by("list_kind", "position", "code"):
        outcome = rules.evaluate(item.rule, facts)
        if outcome is not None:
            matches.append(Match(item, outcome))
    matches.sort(key=lambda m: (-SEVERITY[Outcome(m.outcome)], m.item.list_kind, m.item.position))
    worst = matches[0].outcome if matches else Outcome.ALLOWED
    return Screening(str(worst), matches)


# --- filings --------------------------------------------------------------------------------------
@dataclass
class GiftIn:
    description: str
    value: Any
    handling: str
    handed_in_to: str = ""
    handed_in_on: date | None = None


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


STATUS_OF = {
    Outcome.ALLOWED: FilingStatus.RECORDED,
    Outcome.NEEDS_APPROVAL: FilingStatus.PENDING,
    Outcome.PROHIBITED: FilingStatus.PROHIBITED,
}


def _check_gifts(
    gifts: Sequence[GiftIn], contact_date: date | None, now_day: date, errors: dict
) -> list[dict[str, Any]]:
    cleaned = []
    if len(gifts) > MAX_GIFTS:
        errors["gifts"] = [_("最多填写%(n)d件礼品。") % {"n": MAX_GIFTS}]
        return []
    for i, g in enumerate(gifts):
        prefix = f"gifts-{i}-"
        description = (g.description or "").strip()
        value = _decimal(g.value)
        if not description or len(description) > 200:
            errors[prefix + "description"] = [_("请填写礼品名称（不超过200字）。")]
        if value is None or value < 0 or value > MAX_AMOUNT:
            errors[prefix + "value"] = [_("请填写礼品价值（元，不小于0）。")]
        if g.handling not in GiftHandling.values:
            errors[prefix + "handling"] = [_("请选择处理方式。")]
        to = (g.handed_in_to or "").strip()
        if g.handling == GiftHandling.HANDED_IN:
            if not to or len(to) > 200:
                errors[prefix + "handed_in_to"] = [_("已上交的礼品请填写上交单位。")]
            if g.handed_in_on is None:
                errors[prefix + "handed_in_on"] = [_("已上交的礼品请填写上交日期。")]
            elif g.handed_in_on > now_day or (contact_date and g.handed_in_on < contact_date):
                errors[prefix + "handed_in_on"] = [_("上交日期应在交往日期与今天之间。")]
        cleaned.append(
            {
                "description": description,
                "value": (value or Decimal(0)).quantize(CENT),
                "handling": g.handling,
                "handed_in_to": to if g.handling == GiftHandling.HANDED_IN else "",
                "handed_in_on": g.handed_in_on if g.handling == GiftHandling.HANDED_IN else None,
            }
        )
    return cleaned


def _superiors(filing: Filing) -> list[Any]:
    from qinqing.accounts.models import RoleAssignment

    codes = [c for c in filing.region.path.strip("/").split("/") if c]
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            role__in=permissions.SUPERIOR_ROLES, region__code__in=codes, user__is_active=True
        )
        .exclude(user=filing.filer)
        .select_related("user")
    ]


@transaction.atomic
def filing_submit(
    *,
    actor: Any,
    timing: str,
    kind: str,
    contact_date: date | None,
    place: str,
    place_kind: str,
    firms: Sequence[Enterprise],
    people: str = "",
    purpose: str,
    companions: str = "",
    payer: str,
    amount: Any = 0,
    headcount: Any = 1,
    gifts: Sequence[GiftIn] = (),
) -> Filing:
    """File a contact with firms; screen it against the lists in force on the contact date.

    The filing is kept whatever the outcome: a prohibited contact is on record with the items
    it breaks; one that needs approval waits for the filer's superior."""
    region = permissions.filer_region(actor)
    if region is None:
        raise NotPermitted(_("只有公职人员（干部、管家、承办人员、协调员）可以提交交往报备。"))
    errors: dict[str, list[str]] = {}
    now_day = today()
    if timing not in Timing.values:
        errors["timing"] = [_("请选择事前报备或事后报告。")]
    if kind not in ContactKind.values:
        errors["kind"] = [_("请选择交往类型。")]
    if place_kind not in PlaceKind.values:
        errors["place_kind"] = [_("请选择场所类型。")]
    if payer not in Payer.values:
        errors["payer"] = [_("请选择费用支付方。")]
    if contact_date is None:
        errors["contact_date"] = [_("请填写交往日期。")]
    elif timing == Timing.BEFORE and contact_date < now_day:
        errors["contact_date"] = [_("事前报备的交往日期不能早于今天；已发生的交往请选“事后报告”。")]
    elif timing == Timing.AFTER and contact_date > now_day:
        errors["contact_date"] = [_("事后报告的交往日期不能晚于今天。")]
    elif contact_date < now_day - timedelta(days=MAX_DAYS_BACK):
        errors["contact_date"] = [_("只能报告一年内的交往。")]
    elif contact_date > now_day + timedelta(days=MAX_DAYS_AHEAD):
        errors["contact_date"] = [_("只能报备180天内的交往。")]
    place = (place or "").strip()
    if not place or len(place) > 200:
        errors["place"] = [_("请填写地点（不超过200字）。")]
    purpose = (purpose or "").strip()
    if len(purpose) < 2 or len(purpose) > 2000:
        errors["purpose"] = [_("请填写事由（2到2000字）。")]
    people, companions = (people or "").strip(), (companions or "").strip()
    if len(people) > 500:
        errors["people"] = [_("企业方人员不超过500字。")]
    if len(companions) > 500:
        errors["companions"] = [_("同行人员不超过500字。")]
    firm_list = list({f.pk: f for f in firms}.values())
    if not firm_list:
        errors["firms"] = [_("请至少填写一家交往企业。")]
    elif len(firm_list) > MAX_FIRMS:
        errors["firms"] = [_("一次最多报备%(n)d家企业。") % {"n": MAX_FIRMS}]
    money = _decimal(amount if amount not in (None, "") else 0)
    if money is None or money < 0 or money > MAX_AMOUNT:
        errors["amount"] = [_("请填写费用金额（元，不小于0）。")]
        money = Decimal(0)
    elif money != money.quantize(CENT):
        errors["amount"] = [_("金额最多保留两位小数（分）。")]
    elif payer == Payer.NONE and money != 0:
        errors["amount"] = [_("选择“无费用”时金额应为0。")]
    try:
        people_count = int(str(headcount))
    except ValueError:
        people_count = 0
    if not 1 <= people_count <= 500:
        errors["headcount"] = [_("人数应为1到500之间的整数。")]
        people_count = 1
    gift_rows = _check_gifts(gifts, contact_date, now_day, errors)
    if kind == ContactKind.GIFT and not gifts:
        errors.setdefault("gifts", [_("交往类型为礼品礼金时请填写礼品。")])
    if errors:
        raise _refuse(errors)
    assert contact_date is not None
    money = money.quantize(CENT)
    facts = facts_of(
        timing=timing,
        kind=kind,
        place_kind=place_kind,
        payer=payer,
        amount=money,
        headcount=people_count,
        contact_date=contact_date,
        filed_on=now_day,
        gifts=gift_rows,
        counterpart_open_demand=open_demand_handled_by(actor, [f.pk for f in firm_list]),
    )
    result = screen(facts, on=contact_date)
    filing = Filing.objects.create(
        number=f"tmp-{uuid4().hex[:16]}",
        filer=actor,
        region=region,
        timing=timing,
        kind=kind,
        contact_date=contact_date,
        place=place,
        place_kind=place_kind,
        people=people,
        purpose=purpose,
        companions=companions,
        payer=payer,
        amount=money,
        headcount=people_count,
        amount_per_person=facts["amount_per_person"],
        outcome=result.outcome,
        status=STATUS_OF[Outcome(result.outcome)],
    )
    filing.number = f"BB-{contact_date.year}-{filing.pk:06d}"
    filing.save(update_fields=["number"])
    filing.firms.set(firm_list)
    Gift.objects.bulk_create([Gift(filing=filing, **g) for g in gift_rows])
    FilingMatch.objects.bulk_create(
        [FilingMatch(filing=filing, item=m.item, outcome=m.outcome) for m in result.matches]
    )
    record(
        actor=actor,
        action="filing.submit",
        obj=filing,
        role=primary_role(actor),
        changes={
            "timing": timing,
            "kind": kind,
            "contact_date": contact_date.isoformat(),
            "firms": [f.pk for f in firm_list],
            "payer": payer,
            "amount": str(money),
            "gifts": len(gift_rows),
            "outcome": result.outcome,
            "items": [f"{m.item.code} v{m.item.version}" for m in result.matches],
        },
    )
    if filing.status == FilingStatus.PENDING:
        from .tasks import notify_filing

        pk = filing.pk
        transaction.on_commit(lambda: notify_filing.enqueue(pk, "pending"))
    return filing


@record_conflict_refusals  # relations: keep the alert of a refused conflicted approver
@transaction.atomic
def filing_decide(
    *, actor: Any, filing_id: int, approve: bool, reason: str = "", override_reason: str = ""
) -> Filing:
    """The filer's superior approves or rejects a filing that needs approval.

    The approver must not be linked, in the conflict graph, to the filing's firms or to the
    filer: with a path the decision is refused (``ConflictOfInterest``, the alert kept for
    supervisors) unless ``override_reason`` says why they decide all the same."""
    filing = Filing.objects.select_for_update().select_related("region").get(pk=filing_id)
    if not permissions.can_decide(actor, filing):
        raise NotPermitted(
            _("只有报备人的上级（所辖区域的监督员或协调员）可以审批，报备人本人不能审批。")
        )
    if filing.status != FilingStatus.PENDING:
        raise Conflict(_("该报备已处理或无需审批。"))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise _refuse({"reason": [_("不批准时请说明理由。")]})
    if len(reason) > 500:
        raise _refuse({"reason": [_("意见不超过500字。")]})
    if len((override_reason or "").strip()) > 2000:
        raise _refuse({"override_reason": [_("理由不超过2000字。")]})
    alert = conflict_check(
        official=actor,
        enterprise_ids=list(filing.firms.values_list("pk", flat=True)),
        user_ids=[filing.filer_id],
        context=f"filing:{filing.number}",
        override_reason=override_reason,
    )
    filing.status = FilingStatus.APPROVED if approve else FilingStatus.REJECTED
    filing.decided_by = actor
    filing.decided_at = timezone.now()
    filing.decision_reason = reason
    filing.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    record(
        actor=actor,
        action="filing.approve" if approve else "filing.reject",
        obj=filing,
        role=primary_role(actor),
        changes={
            "status": ["pending", filing.status],
            "reason": reason,
            **({"conflict_alert": alert.pk} if alert is not None else {}),
        },
    )
    from .tasks import notify_filing

    pk, status = filing.pk, filing.status
    transaction.on_commit(lambda: notify_filing.enqueue(pk, status))
    return filing


@transaction.atomic
def gift_hand_in(*, actor: Any, gift_id: int, handed_in_to: str, handed_in_on: date | None) -> Gift:
    """The filer records that a gift they kept has now been handed in."""
    gift = Gift.objects.select_for_update().select_related("filing").get(pk=gift_id)
    if gift.filing.filer_id != getattr(actor, "pk", None):
        raise NotPermitted(_("只有报备人本人可以登记礼品上交。"))
    if gift.handling == GiftHandling.HANDED_IN:
        raise Conflict(_("该礼品已登记上交。"))
    errors: dict[str, list[str]] = {}
    _check_gifts(
        [GiftIn(gift.description, gift.value, GiftHandling.HANDED_IN, handed_in_to, handed_in_on)],
        gift.filing.contact_date,
        today(),
        errors,
    )
    if errors:
        raise _refuse({k.removeprefix("gifts-0-"): v for k, v in errors.items()})
    before = gift.handling
    gift.handling = GiftHandling.HANDED_IN
    gift.handed_in_to = handed_in_to.strip()
    gift.handed_in_on = handed_in_on
    gift.save(update_fields=["handling", "handed_in_to", "handed_in_on"])
    record(
        actor=actor,
        action="filing.gift_hand_in",
        obj=gift.filing,
        role=primary_role(actor),
        changes={
            "gift": gift.pk,
            "handling": [before, gift.handling],
            "handed_in_to": gift.handed_in_to,
            "handed_in_on": str(handed_in_on),
        },
    )
    return gift


# --- clean enterprises ----------------------------------------------------------------------------
def score_of(answers: Mapping[int, int], criteria: Sequence[CleanCriterion]) -> Decimal:
    """Σ weight × level / 2 over the active criteria, as a share of Σ weight, on 0–100."""
    total = sum(c.weight for c in criteria)
    if not total:
        return Decimal(0)
    got = sum((Decimal(c.weight) * Decimal(answers.get(c.pk, 0)) / 2 for c in criteria), Decimal(0))
    return (got * 100 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _assessment_for_edit(actor: Any, enterprise: Enterprise) -> CleanAssessment:
    if not permissions.can_fill_checklist(actor, enterprise):
        raise NotPermitted(_("只有本企业的用户可以填写自评。"))
    firm = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    assessment = (
        CleanAssessment.objects.select_for_update()
        .filter(enterprise=firm, status__in=["draft", "submitted", "returned"])
        .first()
    )
    if assessment is None:
        assessment = CleanAssessment.objects.create(enterprise=firm)
    if assessment.status == AssessmentStatus.SUBMITTED:
        raise Conflict(_("自评已提交，正在评审，暂不能修改。"))
    return assessment


def _check_evidence(upload: UploadedFile) -> tuple[str, str, str]:
    name = display_name(upload.name or "")
    ext = os.path.splitext(name)[1].lower()
    kind = EVIDENCE_KINDS.get(ext)
    if kind is None:
        raise ServiceError(
            _("“%(name)s”不能上传：只能上传PDF或照片（JPG、PNG）。") % {"name": name},
            field_errors={"files": [_("只能上传PDF或照片（JPG、PNG）。")]},
        )
    if not upload.size or upload.size > MAX_EVIDENCE_BYTES:
        message = _("“%(name)s”为空或超过%(limit)s。") % {
            "name": name,
            "limit": filesizeformat(MAX_EVIDENCE_BYTES),
        }
        raise ServiceError(message, field_errors={"files": [message]})
    inspect(upload, kind, name=name, field="files")
    return name, ext, kind.content_type


@transaction.atomic
def clean_answer(
    *,
    actor: Any,
    enterprise: Enterprise,
    criterion: CleanCriterion,
    level: Any,
    note: str = "",
    files: Sequence[UploadedFile] = (),
) -> CleanAnswer:
    """A firm's answer to one checklist item, with evidence files (kept with earlier ones)."""
    assessment = _assessment_for_edit(actor, enterprise)
    errors: dict[str, list[str]] = {}
    try:
        level_value = int(str(level))
    except ValueError:
        level_value = -1
    if level_value not in CleanAnswer.Level.values:
        errors["level"] = [_("请选择自评等级。")]
    note = (note or "").strip()
    if len(note) > 1000:
        errors["note"] = [_("说明不超过1000字。")]
    uploads = [f for f in files if f is not None]
    existing = CleanEvidence.objects.filter(
        answer__assessment=assessment, answer__criterion=criterion
    ).count()
    if existing + len(uploads) > MAX_EVIDENCE:
        errors["files"] = [_("每项最多上传%(n)d个佐证文件。") % {"n": MAX_EVIDENCE}]
    checked = []
    if "files" not in errors:
        refused: list[ServiceError] = []
        for u in uploads:
            try:
                checked.append((u, *_check_evidence(u)))
            except ServiceError as exc:
                refused.append(exc)
        if refused:
            errors.update(together(refused, field="files", count=len(uploads)).field_errors)
    if errors:
        raise _refuse(errors)
    answer, _created = CleanAnswer.objects.update_or_create(
        assessment=assessment,
        criterion=criterion,
        defaults={"level": level_value, "note": note},
    )
    for upload, name, ext, content_type in checked:
        item = CleanEvidence(
            answer=answer, name=name, size=upload.size or 0, content_type=content_type
        )
        item.file.save(f"{uuid4().hex}{ext}", upload, save=False)
        item.save()
    record(
        actor=actor,
        action="clean.answer",
        obj=assessment,
        role=primary_role(actor),
        changes={"criterion": criterion.code, "level": level_value, "files": len(checked)},
    )
    return answer


@transaction.atomic
def clean_submit(*, actor: Any, enterprise: Enterprise) -> CleanAssessment:
    """Submit the self-assessment: every item answered; items that need evidence and claim a
    level above 未建立 carry at least one file."""
    assessment = _assessment_for_edit(actor, enterprise)
    criteria = list(CleanCriterion.objects.filter(active=True))
    answers = {
        a.criterion_id: a
        for a in CleanAnswer.objects.filter(assessment=assessment).prefetch_related("files")
    }
    missing = [c.code for c in criteria if c.pk not in answers]
    if missing:
        raise ServiceError(_("还有未填写的评价项：%(c)s。") % {"c": "、".join(missing)})
    no_evidence = [
        c.code
        for c in criteria
        if c.evidence_required and answers[c.pk].level > 0 and not answers[c.pk].files.all()
    ]
    if no_evidence:
        raise ServiceError(_("以下评价项需要上传佐证材料：%(c)s。") % {"c": "、".join(no_evidence)})
    assessment.score = score_of({k: a.level for k, a in answers.items()}, criteria)
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.submitted_by = actor
    assessment.save(update_fields=["score", "status", "submitted_at", "submitted_by"])
    record(
        actor=actor,
        action="clean.submit",
        obj=assessment,
        role=primary_role(actor),
        changes={"score": str(assessment.score)},
    )
    return assessment


@transaction.atomic
def clean_review(
    *,
    actor: Any,
    assessment_id: int,
    recognise: bool,
    comments: str = "",
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> CleanAssessment:
    """Recognise a submitted self-assessment for a validity period, or return it with
    comments. A chamber liaison of the firm's chamber or a supervisor over its grid reviews;
    the firm's own users never do."""
    assessment = (
        CleanAssessment.objects.select_for_update()
        .select_related("enterprise__grid")
        .get(pk=assessment_id)
    )
    if not permissions.can_review_clean(actor, assessment.enterprise) or (
        permissions.can_fill_checklist(actor, assessment.enterprise)
    ):
        raise NotPermitted(_("您不能评审该企业的自评。"))
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise Conflict(_("该自评不在待评审状态。"))
    comments = (comments or "").strip()
    errors: dict[str, list[str]] = {}
    if len(comments) > 2000:
        errors["comments"] = [_("意见不超过2000字。")]
    if recognise:
        valid_from = valid_from or today()
        if assessment.score < PASS_SCORE:
            errors["score"] = [
                _("自评得分%(s)s低于认定分数线%(p)s，请退回修改。")
                % {"s": assessment.score, "p": PASS_SCORE}
            ]
        if valid_until is None:
            errors["valid_until"] = [_("请填写有效期截止日期。")]
        elif valid_until <= valid_from:
            errors["valid_until"] = [_("有效期截止日期应晚于起始日期。")]
        elif (valid_until - valid_from).days > MAX_VALIDITY_DAYS:
            errors["valid_until"] = [_("有效期最长3年。")]
    elif not comments:
        errors["comments"] = [_("退回时请写明修改意见。")]
    if errors:
        raise _refuse(errors)
    if recognise:
        assessment.status = AssessmentStatus.RECOGNISED
        assessment.valid_from, assessment.valid_until = valid_from, valid_until
    else:
        assessment.status = AssessmentStatus.RETURNED
    assessment.comments = comments
    assessment.reviewed_by = actor
    assessment.reviewed_at = timezone.now()
    assessment.save()
    record(
        actor=actor,
        action="clean.recognise" if recognise else "clean.return",
        obj=assessment,
        role=primary_role(actor),
        changes={
            "status": ["submitted", assessment.status],
            "valid_from": str(assessment.valid_from or ""),
            "valid_until": str(assessment.valid_until or ""),
            "comments": comments,
        },
    )
    return assessment


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""
