"""Control characters: refused in every text input, replaced in every export.

A control character (Unicode category Cc, except tab, newline and carriage return), the
non-characters U+FFFE and U+FFFF and a lone surrogate have no place in anything a person
types. PostgreSQL refuses a NUL in text, openpyxl refuses most of them in a cell (the export
then fails for good, since the audit log is append-only), and they hide text on screen.

- Web forms: ``install_form_guard()`` (run once from ``CommonConfig.ready``) makes every form
  field of every form, Django's own included, refuse such input with a field error before
  the field is cleaned, so nothing reaches a query or a service. The same guard refuses a
  cleaned date or whole number outside the ranges of ``qinqing.common.ranges``
  (2000-01-01..2100-12-31, signed 64-bit), which would overflow a computation or SQLite.
- API: the API's parser (``qinqing.api.parser``) refuses them in a JSON body, a query string
  or a form body with a 422 whose ``field_errors`` name the field.
- Exports: ``printable()`` replaces them with U+FFFD in what is already stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import ranges

CODE = "control_characters"
RANGE_CODE = "out_of_range"
MESSAGE = _("不能包含控制字符。")

#: Cc without \t \n \r; the non-characters U+FFFE/U+FFFF; lone surrogates
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def has_control(value: str) -> bool:
    return CONTROL_RE.search(value) is not None


def printable(value: str) -> str:
    """``value`` with every control character replaced by U+FFFD (shown as �)."""
    return CONTROL_RE.sub(REPLACEMENT, value)


def control_paths(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every string (or object key) in ``data`` holding a control character."""
    if isinstance(data, str):
        if has_control(data):
            yield path
    elif isinstance(data, dict):
        for key, value in data.items():
            key_path = (*path, str(key))
            if isinstance(key, str) and has_control(key):
                yield (*path, printable(key))
            else:
                yield from control_paths(value, key_path)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from control_paths(value, (*path, str(index)))


def field_errors(data: Any) -> dict[str, list[str]]:
    """``{"title": ["不能包含控制字符。"], "items.0.note": [...]}`` for every bad string."""
    return {".".join(p) or "body": [str(MESSAGE)] for p in control_paths(data)}


def reject_control(value: Any) -> None:
    """A validator: any string in ``value`` (or its lists) holding a control character."""
    if next(control_paths(value), None) is not None:
        raise ValidationError(MESSAGE, code=CODE)


def _data_of(bound: Any) -> Any:
    """The raw submitted value of a bound field, files left out (their names are checked by
    the upload checks)."""
    data = bound.data
    if isinstance(data, list | tuple):
        return [v for v in data if isinstance(v, str | list | tuple | dict)]
    return data if isinstance(data, str | dict) else None


# the stubs do not know this private step of Django's
_original_clean_bound_field = forms.Field._clean_bound_field  # type: ignore[attr-defined]


def reject_out_of_range(value: Any) -> None:
    """A cleaned date or whole number outside the documented ranges (``common.ranges``)."""
    if isinstance(value, bool):
        return
    if isinstance(value, date) and not ranges.date_in_range(value):
        raise ValidationError(ranges.date_range_message(), code=RANGE_CODE)
    if isinstance(value, int) and not ranges.int_in_range(value):
        raise ValidationError(ranges.int_range_message(), code=RANGE_CODE)
    if isinstance(value, Decimal) and not ranges.decimal_in_range(value):
        raise ValidationError(ranges.int_range_message(), code=RANGE_CODE)


def _guarded_clean_bound_field(self: forms.Field, bf: Any) -> Any:
    if self.disabled:
        return _original_clean_bound_field(self, bf)
    reject_control(_data_of(bf))
    value = _original_clean_bound_field(self, bf)
    for item in value if isinstance(value, list | tuple) else [value]:
        reject_out_of_range(item)
    return value


def install_form_guard() -> None:
    """Every form field checks the raw input before cleaning it.

    Django has no public hook that every form passes through; ``Field._clean_bound_field``
    (Django ≥ 5.0) is the one step every field of every bound form takes with the raw data,
    before ``to_python`` or a query. ``tests/common/test_hostile_input.py`` walks every form
    class of the project to prove it, so an upgrade that moves the step fails there."""
    forms.Field._clean_bound_field = _guarded_clean_bound_field  # type: ignore[attr-defined]


def form_guard_installed() -> bool:
    return bool(forms.Field._clean_bound_field is _guarded_clean_bound_field)  # type: ignore[attr-defined]


def posted_text(data: Any, name: str, default: str = "") -> str:
    """``data.get(name, default)`` for a page that reads a text straight from ``request.POST``
    (no form): a control character raises a ``ServiceError`` naming the field, which the
    page shows as it shows any refusal of the service it calls."""
    from .errors import ServiceError

    value = data.get(name, default)
    if isinstance(value, str) and has_control(value):
        raise ServiceError(str(MESSAGE), field_errors={name: [str(MESSAGE)]})
    return value
