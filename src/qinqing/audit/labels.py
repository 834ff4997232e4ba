"""The audit log in people's words: an action's label from the vocabulary, a role's name,
an object type's name; the codes stay beside them (they are what a search matches)."""

from __future__ import annotations

from django.apps import apps

from qinqing.accounts.models import Role

from .actions import ACTIONS


def action_label(code: str) -> str:
    """The registered label of an action (``demand.accept`` → 受理), the code if unknown."""
    label = ACTIONS.get(code)
    return str(label) if label is not None else code


def role_label(code: str) -> str:
    """The name of a role (``supervisor`` → 监督员); a comma list of roles name by name."""
    if not code:
        return ""
    names = []
    for part in code.split(","):
        part = part.strip()
        names.append(str(Role(part).label) if part in Role.values else part)
    return "、".join(names)


def object_type_label(label_lower: str) -> str:
    """The verbose name of a model given as ``app_label.model`` (``demands.demand`` → 诉求)."""
    if "." not in label_lower:
        return label_lower
    try:
        model = apps.get_model(label_lower)
    except (LookupError, ValueError):
        return label_lower
    return str(model._meta.verbose_name)
