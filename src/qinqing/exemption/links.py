"""What an application is linked to: a demand, a visit, a contact filing or an investigation.

A (kind, id) pair, checked when the application is made against the models that exist.
Filings and investigations live in ``qinqing.integrity`` and ``qinqing.integrity.reports``;
they are looked up by app label and model name, so they work as soon as those apps ship
their models (until then the kind is refused as "not available").
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

#: kind -> (app label, model names to try in order)
MODELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "demand": ("demands", ("Demand",)),
    "visit": ("outreach", ("Visit",)),
    "filing": ("integrity", ("ContactFiling", "Filing")),
    "investigation": ("reports", ("Investigation",)),
}


def model_for(kind: str) -> type[models.Model] | None:
    entry = MODELS.get(kind)
    if entry is None:
        return None
    label, names = entry
    for name in names:
        try:
            return apps.get_model(label, name)
        except LookupError:
            continue
    return None


def available_kinds() -> list[str]:
    return [kind for kind in MODELS if model_for(kind) is not None]


def resolve(kind: str, pk: int) -> Any | None:
    """The linked object, or None when the kind is unknown or no such row exists."""
    model = model_for(kind)
    if model is None:
        return None
    return model._default_manager.filter(pk=pk).first()


def label_of(kind: str, obj: Any) -> str:
    number = getattr(obj, "number", "")
    return str(number or f"#{obj.pk}")[:200]


def link_enterprise_id(kind: str, pk: int) -> int | None:
    model = model_for(kind)
    if model is None or not any(f.name == "enterprise" for f in model._meta.get_fields()):
        return None
    return model._default_manager.filter(pk=pk).values_list("enterprise_id", flat=True).first()
