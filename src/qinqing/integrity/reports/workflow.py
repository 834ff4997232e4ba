"""The report (举报) state machine: every state, every transition and who may make it.

One table read by the service that moves reports, by the UI that offers buttons and by the
tests that walk it. A predicate takes (user, report) and says whether the user may act.
Assignment is its own service (it re-shares keys); in triage it moves the report on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of

if TYPE_CHECKING:
    from .models import Report

Predicate = Callable[[Any, "Report"], bool]


class State(models.TextChoices):
    NEW = "new", _("新收")
    TRIAGE = "triage", _("初核中")
    ASSIGNED = "assigned", _("已分派")
    INVESTIGATING = "investigating", _("调查中")
    CONCLUDED = "concluded", _("已出结论")
    CLOSED = "closed", _("已办结")


class Outcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("属实")
    UNSUBSTANTIATED = "unsubstantiated", _("不属实")
    FALSE = "false", _("诬告陷害")


OPEN_STATES = [State.NEW, State.TRIAGE, State.ASSIGNED, State.INVESTIGATING, State.CONCLUDED]
#: states in which the triage clock, and the conclusion clock, run
TRIAGE_CLOCK = [State.NEW, State.TRIAGE]
CONCLUSION_CLOCK = [State.NEW, State.TRIAGE, State.ASSIGNED, State.INVESTIGATING]


def supervisor_paths(user: Any) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role == Role.SUPERVISOR and a.region]


def is_supervisor_of_region(user: Any, report: Report) -> bool:
    return any(report.region_path.startswith(p) for p in supervisor_paths(user))


def is_assignee(user: Any, report: Report) -> bool:
    return is_supervisor_of_region(user, report) and any(
        a.supervisor_id == user.pk for a in report.assignments.all()
    )


def is_second_supervisor(user: Any, report: Report) -> bool:
    """Closing needs a supervisor of the region other than the one who concluded."""
    return is_supervisor_of_region(user, report) and user.pk != report.concluded_by_id


class Action(models.TextChoices):
    TRIAGE = "triage", _("开始初核")
    START = "start", _("开始调查")
    CONCLUDE = "conclude", _("作出结论")
    REOPEN = "reopen", _("退回补充调查")
    CLOSE = "close", _("复核办结")


TRANSITIONS: dict[tuple[str, str], tuple[str, Predicate]] = {
    (State.NEW, Action.TRIAGE): (State.TRIAGE, is_supervisor_of_region),
    (State.ASSIGNED, Action.START): (State.INVESTIGATING, is_assignee),
    (State.INVESTIGATING, Action.CONCLUDE): (State.CONCLUDED, is_assignee),
    (State.CONCLUDED, Action.REOPEN): (State.INVESTIGATING, is_second_supervisor),
    (State.CONCLUDED, Action.CLOSE): (State.CLOSED, is_second_supervisor),
}
#: states in which assignees may be added or removed (the first assignment ends triage)
ASSIGNABLE = [State.TRIAGE, State.ASSIGNED, State.INVESTIGATING]


def allowed_actions(user: Any, report: Report) -> list[str]:
    return [
        action
        for (state, action), (_target, allowed) in TRANSITIONS.items()
        if state == report.state and allowed(user, report)
    ]
