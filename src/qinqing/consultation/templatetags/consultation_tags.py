"""Small filters of the survey form: look up an answer by question id or row."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if not isinstance(mapping, dict):
        return None
    return mapping.get(str(key), mapping.get(key))


@register.filter
def has(values: Any, item: Any) -> bool:
    if not isinstance(values, list | tuple | set):
        return False
    return str(item) in {str(v) for v in values}
