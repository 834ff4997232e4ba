"""Automatic checks that inform the assessor (they never decide).

Each check is one function returning ``CheckResult(available, findings)``. A check whose
source (another app) does not offer the function it needs yet answers ``available=False``
and the page says "该项核查暂不可用" — never a made-up "no problem".

1. ``conflict_check``: paths in the conflict graph (``qinqing.integrity.relations``) from
   the applicant to a firm the case concerns;
2. ``prior_reports_check``: substantiated misconduct reports against the applicant
   (``qinqing.integrity.reports``);
3. ``conduct_items_check``: the items of the officials' conduct lists (``qinqing.integrity``)
   that the facts touch, by matching each item's point against the facts.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from .models import Application

CHECKS = {
    "conflicts": gettext_lazy("关系图谱：申请人与受益企业之间的关联路径"),
    "reports": gettext_lazy("此前查实的举报"),
    "conduct": gettext_lazy("涉及的正负面清单条目"),
}


@dataclass
class CheckResult:
    available: bool
    findings: list[str] = field(default_factory=list)
    #: a remark shown with the result (why it could not be run fully)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _function(module: str, name: str) -> Any:
    """``module.name`` if the module exists and defines it, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, name, None)


def firms_concerned(application: Application) -> list[int]:
    """The firm named as benefiting, and the firms of the linked demand, visit or filing."""
    ids = [application.enterprise_id] if application.enterprise_id else []
    if application.link_kind in ("demand", "visit", "filing") and application.link_id:
        from .links import link_enterprise_ids

        ids += link_enterprise_ids(application.link_kind, application.link_id)
    return list(dict.fromkeys(ids))


def conflict_paths(user: Any, application: Application) -> CheckResult:
    """Paths from ``user`` to the firms the case concerns, as the graph describes them."""
    find_conflicts = _function("qinqing.integrity.relations.selectors", "find_conflicts")
    if find_conflicts is None:
        return CheckResult(False)
    firms = firms_concerned(application)
    if not firms:
        return CheckResult(True, [], _("申请未指明受益企业，无法核查关联路径。"))
    if user is None or not getattr(user, "pk", None):
        return CheckResult(False)
    paths = find_conflicts(user=user, enterprise_ids=firms, user_ids=(user.pk,), max_hops=3)
    return CheckResult(True, [str(p.describe()) for p in paths])


def conflict_check(application: Application) -> CheckResult:
    return conflict_paths(application.applicant, application)


def prior_reports_check(application: Application) -> CheckResult:
    """Substantiated reports that found the applicant responsible, from
    ``qinqing.integrity.reports.selectors.substantiated_reports_against(*, user)``: number,
    day of the finding, region, serious — metadata only, no content."""
    against = _function("qinqing.integrity.reports.selectors", "substantiated_reports_against")
    if against is None:
        return CheckResult(False)
    rows = against(user=application.applicant)
    return CheckResult(True, [str(getattr(r, "describe", lambda r=r: r)()) for r in rows])


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    return {a + b for a, b in pairwise(chars)}


def conduct_items_check(application: Application) -> CheckResult:
    """Officials' conduct-list items (``qinqing.integrity``, in force on the day of the
    application) whose point the facts touch: at least two of the point's character pairs,
    and at least 40 % of them, occur in the facts (Chinese has no word breaks)."""
    items_in_force = _function("qinqing.integrity.selectors", "items_in_force")
    if items_in_force is None:
        return CheckResult(False)
    facts = _bigrams(
        "\n".join(
            [
                application.matter,
                application.actions,
                application.outcome_harm,
                application.correction,
            ]
        )
    )
    day = application.submitted_at.date()
    findings = []
    for item in items_in_force(day).filter(subject="official"):
        point = _bigrams(item.title)
        hits = point & facts
        if len(hits) >= 2 and len(hits) >= 0.4 * len(point):
            findings.append(f"{item.code} {item.title}：{item.text[:120]}")
    return CheckResult(True, findings)


def run_checks(application: Application) -> dict[str, CheckResult]:
    return {
        "conflicts": conflict_check(application),
        "reports": prior_reports_check(application),
        "conduct": conduct_items_check(application),
    }
