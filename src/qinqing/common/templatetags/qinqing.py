from __future__ import annotations

from django import template

from qinqing.common.masking import mask_phone as _mask_phone

register = template.Library()


@register.filter
def mask_phone(value: str | None) -> str:
    return _mask_phone(value)
