"""Checking a firm's answers against the questions, skip rules included.

``clean_answers(questions, raw)`` takes the questions in order and the raw answers keyed by
question id (as the form or the API gives them) and returns the values to store, or the
errors by question. A question hidden by its skip rule (its controlling question hidden, or
not answered with one of the options named) is neither required nor stored.

Raw values: single choice → option number (1-based); multiple choice → list of option
numbers; scale → 1–5; matrix → {row number: 1–5}; number → a number; text → a string;
date → ``YYYY-MM-DD`` or a date.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from .models import Question, QuestionKind

MAX_TEXT = {QuestionKind.SHORT_TEXT: 200, QuestionKind.LONG_TEXT: 5000}
MAX_NUMBER = 1e12


@dataclass(frozen=True)
class Value:
    """One row to store (see ``Answer``)."""

    question_id: int
    row: int = 0
    choice: int = 0
    number: float | None = None
    text: str = ""
    day: date | None = None


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | dict):
        return not value
    return False


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _scale(value: Any) -> int | None:
    point = _int(value)
    return point if point is not None and 1 <= point <= 5 else None


def _clean_one(q: Question, value: Any) -> tuple[list[Value], set[int], str]:
    """The values of one answered question, the options chosen, or an error message."""
    kind = q.kind
    if kind == QuestionKind.SINGLE:
        choice = _int(value)
        if choice is None or not 1 <= choice <= len(q.options):
            return [], set(), _("请选择一个选项。")
        return [Value(q.pk, choice=choice)], {choice}, ""
    if kind == QuestionKind.MULTIPLE:
        items = value if isinstance(value, list | tuple | set) else [value]
        choices = {_int(v) for v in items}
        if any(c is None or not 1 <= c <= len(q.options) for c in choices):
            return [], set(), _("所选选项不存在。")
        chosen = {c for c in choices if c is not None}
        return [Value(q.pk, choice=c) for c in sorted(chosen)], chosen, ""
    if kind == QuestionKind.SCALE:
        point = _scale(value)
        if point is None:
            return [], set(), _("请选择1至5分。")
        return [Value(q.pk, number=float(point))], set(), ""
    if kind == QuestionKind.MATRIX:
        if not isinstance(value, Mapping):
            return [], set(), _("请为每一行选择1至5分。")
        values: list[Value] = []
        for key, point_raw in value.items():
            row = _int(key)
            if row is None or not 1 <= row <= len(q.rows):
                return [], set(), _("矩阵行不存在。")
            if _blank(point_raw):
                continue
            point = _scale(point_raw)
            if point is None:
                return [], set(), _("请为每一行选择1至5分。")
            values.append(Value(q.pk, row=row, number=float(point)))
        if q.required and len(values) < len(q.rows):
            return [], set(), _("请为每一行选择1至5分。")
        return sorted(values, key=lambda v: v.row), set(), ""
    if kind == QuestionKind.NUMBER:
        try:
            number = float(str(value).strip().replace(",", ""))
        except ValueError:
            return [], set(), _("请填写数字。")
        if not math.isfinite(number) or abs(number) > MAX_NUMBER:
            return [], set(), _("数字超出范围。")
        return [Value(q.pk, number=number)], set(), ""
    if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        text = str(value).strip()
        limit = MAX_TEXT[QuestionKind(kind)]
        if len(text) > limit:
            return [], set(), _("不超过%(n)d字。") % {"n": limit}
        return [Value(q.pk, text=text)], set(), ""
    if kind == QuestionKind.DATE:
        if isinstance(value, date):
            day = value
        else:
            try:
                day = date.fromisoformat(str(value).strip())
            except ValueError:
                return [], set(), _("请填写日期（如 2026-03-01）。")
        return [Value(q.pk, day=day)], set(), ""
    return [], set(), _("题型有误。")  # pragma: no cover - kinds are checked in the database


def visible_ids(questions: Iterable[Question], chosen: Mapping[int, set[int]]) -> set[int]:
    """The questions shown, given the options chosen so far (questions in order)."""
    shown: set[int] = set()
    for q in questions:
        if q.show_if_id is None or (
            q.show_if_id in shown and chosen.get(q.show_if_id, set()) & set(q.show_if_options)
        ):
            shown.add(q.pk)
    return shown


def clean_answers(
    questions: list[Question], raw: Mapping[Any, Any]
) -> tuple[list[Value], dict[str, list[str]]]:
    """The values to store and the errors keyed ``q<id>`` (both from the same pass)."""
    by_id = {str(k): v for k, v in raw.items()}
    values: list[Value] = []
    errors: dict[str, list[str]] = {}
    chosen: dict[int, set[int]] = {}
    shown: set[int] = set()
    for q in questions:
        if q.show_if_id is not None and not (
            q.show_if_id in shown and chosen.get(q.show_if_id, set()) & set(q.show_if_options)
        ):
            continue  # hidden by its skip rule: not required, not stored
        shown.add(q.pk)
        value = by_id.get(str(q.pk))
        if _blank(value) or (isinstance(value, Mapping) and all(_blank(v) for v in value.values())):
            if q.required:
                errors[f"q{q.pk}"] = [_("此题必答。")]
            continue
        rows, options, error = _clean_one(q, value)
        if error:
            errors[f"q{q.pk}"] = [error]
            continue
        chosen[q.pk] = options
        values.extend(rows)
    return values, errors
