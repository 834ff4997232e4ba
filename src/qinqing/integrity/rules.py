"""The machine rules of conduct-list items: a small declarative language, checked, never eval'd.

A rule is data (JSON in the list files, a JSON field in the database)::

    {"when": {"all": [{"field": "kind", "in": ["meal"]},
                      {"field": "payer", "eq": "firm"}]},
     "outcome": "prohibited"}

Conditions:

- ``{"all": [c, ...]}`` — every condition holds; ``{"any": [c, ...]}`` — at least one;
  ``{"not": c}`` — c does not hold;
- ``{"gift": c}`` — at least one gift of the filing satisfies ``c`` over the gift's own fields
  (``value``, ``handling``);
- ``{"field": name, op: value}`` with ``op`` one of ``eq ne in not_in gt gte lt lte``.
  Numbers are compared as decimals, so a threshold of 200 and an amount of 200.00 are equal.

Outcomes: ``allowed``, ``needs_approval``, ``prohibited``. A filing matches an item when the
item's rule's ``when`` holds; the most severe outcome of the matched items wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

OUTCOMES = ("allowed", "needs_approval", "prohibited")

#: the facts of a filing a rule may test, and their type
FILING_FIELDS: dict[str, str] = {
    "timing": "choice",  # before / after
    "kind": "choice",  # meeting site_visit event meal gift travel other
    "place_kind": "choice",
    "payer": "choice",  # none self government firm shared
    "amount": "number",  # total cost, yuan
    "amount_per_person": "number",
    "headcount": "number",
    "days_after_contact": "number",  # filed on minus contact date (negative: filed before)
    "gift_count": "number",
    "gift_total_value": "number",
    "counterpart_open_demand": "bool",  # a counterpart firm has an open demand the filer handles
}
GIFT_FIELDS: dict[str, str] = {"value": "number", "handling": "choice"}
OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte")
MAX_DEPTH = 8


class RuleError(ValueError):
    """A rule that does not follow the language; the message says where."""


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool):
        raise RuleError(f"{where}: expected a number, got {value!r}")
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise RuleError(f"{where}: expected a number, got {value!r}") from None


def _check_condition(cond: Any, fields: Mapping[str, str], where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise RuleError(f"{where}: nested too deeply")
    if not isinstance(cond, dict) or len(cond) == 0:
        raise RuleError(f"{where}: a condition must be an object")
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        parts = cond[key]
        if len(cond) != 1 or not isinstance(parts, list) or not parts:
            raise RuleError(f"{where}.{key}: expected a non-empty list and nothing else")
        for i, part in enumerate(parts):
            _check_condition(part, fields, f"{where}.{key}[{i}]", depth + 1)
        return
    if "not" in cond:
        if len(cond) != 1:
            raise RuleError(f"{where}.not: nothing else may stand beside it")
        _check_condition(cond["not"], fields, f"{where}.not", depth + 1)
        return
    if "gift" in cond:
        if len(cond) != 1 or fields is GIFT_FIELDS:
            raise RuleError(f"{where}.gift: only at the filing level, alone")
        _check_condition(cond["gift"], GIFT_FIELDS, f"{where}.gift", depth + 1)
        return
    name = cond.get("field")
    if name not in fields:
        raise RuleError(f"{where}: unknown field {name!r} (known: {', '.join(fields)})")
    ops = [k for k in cond if k != "field"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise RuleError(f"{where}: exactly one operator of {', '.join(OPERATORS)}")
    op, value = ops[0], cond[ops[0]]
    kind = fields[str(name)]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise RuleError(f"{where}.{op}: expected a non-empty list")
        if kind == "number":
            for v in value:
                _number(v, f"{where}.{op}")
        return
    if op in ("gt", "gte", "lt", "lte"):
        if kind != "number":
            raise RuleError(f"{where}.{op}: {name} is not a number")
        _number(value, f"{where}.{op}")
        return
    if kind == "number":
        _number(value, f"{where}.{op}")
    elif kind == "bool" and not isinstance(value, bool):
        raise RuleError(f"{where}.{op}: expected true or false")


def validate(rule: Any) -> None:
    """Raise :class:`RuleError` unless ``rule`` is a well-formed rule (or empty)."""
    if rule in (None, {}):
        return
    if not isinstance(rule, dict) or set(rule) != {"when", "outcome"}:
        raise RuleError("rule: expected exactly the keys 'when' and 'outcome'")
    if rule["outcome"] not in OUTCOMES:
        raise RuleError(f"rule.outcome: one of {', '.join(OUTCOMES)}")
    _check_condition(rule["when"], FILING_FIELDS, "rule.when", 0)


def _compare(actual: Any, op: str, expected: Any, kind: str) -> bool:
    if kind == "number":
        actual = Decimal(str(actual))
        if op in ("in", "not_in"):
            found = actual in [Decimal(str(v)) for v in expected]
            return found if op == "in" else not found
        expected = Decimal(str(expected))
    elif op in ("in", "not_in"):
        return (actual in expected) if op == "in" else (actual not in expected)
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "gt":
        return bool(actual > expected)
    if op == "gte":
        return bool(actual >= expected)
    if op == "lt":
        return bool(actual < expected)
    if op == "lte":
        return bool(actual <= expected)
    raise RuleError(f"unknown operator {op!r}")


def holds(
    cond: Mapping[str, Any], facts: Mapping[str, Any], fields: Mapping[str, str] = FILING_FIELDS
) -> bool:
    """Whether ``cond`` holds for ``facts`` (a validated condition)."""
    if "all" in cond:
        return all(holds(c, facts, fields) for c in cond["all"])
    if "any" in cond:
        return any(holds(c, facts, fields) for c in cond["any"])
    if "not" in cond:
        return not holds(cond["not"], facts, fields)
    if "gift" in cond:
        return any(holds(cond["gift"], g, GIFT_FIELDS) for g in facts.get("gifts", []))
    name = cond["field"]
    op = next(k for k in cond if k != "field")
    return _compare(facts[name], op, cond[op], fields[name])


def evaluate(rule: Mapping[str, Any] | None, facts: Mapping[str, Any]) -> str | None:
    """The rule's outcome when it matches the facts, else None."""
    if not rule:
        return None
    return str(rule["outcome"]) if holds(rule["when"], facts) else None
