"""Who hears about each step of an application, and what they are told."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from qinqing.accounts.models import Role, RoleAssignment

from .models import Application


def _supervisors(application: Application) -> list[Any]:
    parts = [p for p in application.region_path.strip("/").split("/") if p]
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.SUPERVISOR, region__path__in=ancestors
        ).select_related("user")
    ]


def recipients(application: Application, action: str) -> list[Any]:
    applicant_side: list[Any] = [application.applicant, application.filed_by]
    users: list[Any]
    if action in ("accept", "refuse", "sign_off", "review"):
        users = applicant_side
    elif action == "return":
        users = [application.assessor]
    elif action in ("submit", "assess", "appeal") or action.startswith("overdue"):
        exclude: set[int | None] = {application.applicant_id}
        if action == "assess":
            exclude.add(application.assessor_id)
        if action == "appeal":
            exclude |= {application.assessor_id, application.signed_off_by_id}
        users = [u for u in _supervisors(application) if u.pk not in exclude]
    else:
        users = []
    seen: dict[int, Any] = {}
    for user in users:
        if user is not None:
            seen.setdefault(user.pk, user)
    return list(seen.values())


def deadline_recipients(application: Application, fields: list[str]) -> list[Any]:
    """Who owes the step whose deadline a holiday schedule moved: the applicant for the appeal
    deadline, the assessor (and the supervisors) for the decision, the supervisors else."""
    users: list[Any] = []
    if "appeal_due_at" in fields:
        users += [application.applicant, application.filed_by]
    if "decide_due_at" in fields and application.assessor is not None:
        users.append(application.assessor)
    if set(fields) - {"appeal_due_at"}:
        users += [u for u in _supervisors(application) if u.pk != application.applicant_id]
    seen: dict[int, Any] = {}
    for user in users:
        if user is not None:
            seen.setdefault(user.pk, user)
    return list(seen.values())


def message_for(application: Application, action: str) -> tuple[str, str, str]:
    link = reverse("exemption:detail", args=[application.pk])
    number = application.number
    if action in ("sign_off", "review"):
        outcome = application.get_final_outcome_display()
        reasons = application.appeal_reasons if action == "review" else application.reasons
        title = _("%(number)s 容错免责决定：%(outcome)s") % {"number": number, "outcome": outcome}
        body = _("事项：%(matter)s\n结果：%(outcome)s\n理由：%(reasons)s") % {
            "matter": application.matter,
            "outcome": outcome,
            "reasons": reasons,
        }
        if action == "sign_off" and application.appeal_due_at:
            due = application.appeal_due_at.astimezone().strftime("%Y-%m-%d")
            body += "\n" + _("如有异议，可在%(due)s前申诉一次。") % {"due": due}
        return title, body, link
    titles = {
        "submit": _("新的容错免责申请待受理"),
        "accept": _("容错免责申请已受理"),
        "refuse": _("容错免责申请不予受理"),
        "assess": _("容错免责审查意见待复核"),
        "return": _("审查意见被退回"),
        "appeal": _("容错免责申诉待复查"),
        "overdue_accept": _("容错免责申请超过受理期限"),
        "overdue_decide": _("容错免责申请超过决定期限"),
        "overdue_appeal_decide": _("容错免责申诉超过复查期限"),
    }
    title = f"{number} {titles.get(action, action)}：{application.matter}"
    body = application.refusal_reason if action == "refuse" else ""
    return title, body, link
