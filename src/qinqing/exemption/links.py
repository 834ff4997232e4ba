"""What an application is linked to: a demand, a visit, a contact filing or an investigation.

A (kind, id) pair, checked when the application is made:

- ``filing``: a contact filing (``integrity.Filing``) — only one the applicant filed;
- ``investigation``: a misconduct report under investigation (``reports.Report``) — only
  when the application is started by a supervisor during it (origin "investigation"), who
  is an assignee of that report while it is assigned, investigated or awaiting review;
- ``demand`` and ``visit``: any existing one (their number is shown).

An id the applicant may not reference is answered like an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

#: kind -> (app label, model name)
MODELS: dict[str, tuple[str, str]] = {
    "demand": ("demands", "Demand"),
    "visit": ("outreach", "Visit"),
    "filing": ("integrity", "Filing"),
    "investigation": ("reports", "Report"),
}


def model_for(kind: str) -> type[models.Model] | None:
    entry = MODELS.get(kind)
    if entry is None:
        return None
    try:
        return apps.get_model(*entry)
    except LookupError:
        return None


def available_kinds() -> list[str]:
    return [kind for kind in MODELS if model_for(kind) is not None]


def resolve(kind: str, pk: int) -> Any | None:
    """The linked object, or None when the kind is unknown or no such row exists."""
    model = model_for(kind)
    if model is None:
        return None
    return model._default_manager.filter(pk=pk).first()


def refusal(kind: str, obj: Any, *, actor: Any, applicant: Any, origin: str) -> str:
    """Why this application may not reference ``obj`` ('' when it may)."""
    if kind == "filing":
        if obj.filer_id != getattr(applicant, "pk", None):
            return _("未找到申请人本人的该项交往报备。")
    elif kind == "investigation":
        from qinqing.integrity.reports.workflow import State, is_assignee

        during = obj.state in (State.ASSIGNED, State.INVESTIGATING, State.CONCLUDED)
        if origin != "investigation" or not during or not is_assignee(actor, obj):
            return _("只有承办该调查的监督员在调查期间发起申请时，才能关联该调查。")
    return ""


def label_of(kind: str, obj: Any) -> str:
    number = getattr(obj, "number", "")
    return str(number or f"#{obj.pk}")[:200]


def link_enterprise_ids(kind: str, pk: int) -> list[int]:
    """The firms the linked object concerns: a demand's or visit's firm, a filing's firms
    (an investigation's firms are inside its ciphertext: none)."""
    model = model_for(kind)
    if model is None:
        return []
    if kind == "filing":
        through = model._meta.get_field("firms").remote_field.through  # type: ignore[union-attr]
        return list(
            through._default_manager.filter(filing_id=pk)
            .order_by("pk")
            .values_list("enterprise_id", flat=True)
        )
    if not any(f.name == "enterprise" for f in model._meta.get_fields()):
        return []
    firm = model._default_manager.filter(pk=pk).values_list("enterprise_id", flat=True).first()
    return [firm] if firm else []
