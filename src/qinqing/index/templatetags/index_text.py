"""``{{ item|localised:"name" }}``: a methodology text in the active language (see
``method.localised``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from qinqing.index.method import localised as _localised

register = template.Library()


@register.filter
def localised(item: Any, key: str = "name") -> str:
    return _localised(item, key)


FLAGS = {
    "imputed": _("插补 %(n)s 项"),
    "not_applicable": _("不适用 %(n)s 项"),
    "shrunk": _("小样本收缩 %(n)s 项"),
    "winsorised": _("极端值缩尾 %(n)s 项"),
}


@register.filter
def flag_label(flag: str) -> str:
    """A result's flag (``imputed=3``) as the reader's words (插补 3 项)."""
    name, _sep, count = flag.partition("=")
    label = FLAGS.get(name)
    return str(label % {"n": count}) if label is not None else flag
