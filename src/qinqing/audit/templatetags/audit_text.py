"""Template filters of the audit log (see ``audit.labels``)."""

from __future__ import annotations

from django import template

from qinqing.audit import labels

register = template.Library()
register.filter("action_label", labels.action_label)
register.filter("role_label", labels.role_label)
register.filter("object_type_label", labels.object_type_label)
