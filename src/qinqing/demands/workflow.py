"""The demand (诉求) state machine: every state, every transition and who may make it.

One table, read by the service that moves cases, by the UI that offers buttons and by the
tests that walk it. A predicate takes (user, demand) and says whether the user may act.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of

if TYPE_CHECKING:
    from .models import Demand

Predicate = Callable[[Any, "Demand"], bool]


class State(models.TextChoices):
    SUBMITTED = "submitted", _("待派单")
    DISPATCHED = "dispatched", _("已派单")
    ACCEPTED = "accepted", _("已受理")
    IN_PROGRESS = "in_progress", _("办理中")
    WAITING_FIRM = "waiting_firm", _("待企业补充")
    REPLIED = "replied", _("已答复")
    DISPUTED = "disputed", _("争议待定")
    CLOSED = "closed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATES = [
    State.SUBMITTED,
    State.DISPATCHED,
    State.ACCEPTED,
    State.IN_PROGRESS,
    State.WAITING_FIRM,
    State.REPLIED,
    State.DISPUTED,
]
HANDLING_STATES = [State.ACCEPTED, State.IN_PROGRESS]
#: states in which the resolution timer runs (paused while waiting for the firm)
OVERDUE_STATES = [State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS]
MAX_REOPENS = 2


# --- who ------------------------------------------------------------------------------------
def _paths(user: Any, *roles: str) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.role in roles and a.region]


def is_member_of_firm(user: Any, demand: Demand) -> bool:
    return any(
        a.role == Role.ENTERPRISE and a.enterprise_id == demand.enterprise_id
        for a in assignments_of(user)
    )


def is_coordinator_of_region(user: Any, demand: Demand) -> bool:
    return any(demand.region_path.startswith(p) for p in _paths(user, Role.COORDINATOR))


def is_handler_of_department(user: Any, demand: Demand) -> bool:
    return demand.department_id is not None and any(
        a.role == Role.HANDLER and a.department_id == demand.department_id
        for a in assignments_of(user)
    )


def is_supervisor_of_region(user: Any, demand: Demand) -> bool:
    return any(demand.region_path.startswith(p) for p in _paths(user, Role.SUPERVISOR))


def either(*predicates: Predicate) -> Predicate:
    def allowed(user: Any, demand: Demand) -> bool:
        return any(p(user, demand) for p in predicates)

    allowed.__name__ = " or ".join(p.__name__ for p in predicates)
    return allowed


def system(user: Any, demand: Demand) -> bool:
    """Only the background sweep (actor None) makes this move."""
    return user is None


# --- what -----------------------------------------------------------------------------------
class Action(models.TextChoices):
    DISPATCH = "dispatch", _("派单")
    ACCEPT = "accept", _("受理")
    RETURN = "return", _("退单")
    TRANSFER = "transfer", _("转办")
    START = "start", _("开始办理")
    WAIT_FIRM = "wait_firm", _("请企业补充材料")
    RESUME = "resume", _("继续办理")
    REPLY = "reply", _("答复")
    RATE = "rate", _("评价")
    REJECT = "reject", _("不认可答复")
    WITHDRAW = "withdraw", _("撤回")
    CLOSE = "close", _("办结")
    AUTO_CLOSE = "auto_close", _("逾期未评价自动办结")


TRANSITIONS: dict[tuple[str, str], tuple[str, Predicate]] = {
    (State.SUBMITTED, Action.DISPATCH): (State.DISPATCHED, is_coordinator_of_region),
    (State.DISPUTED, Action.DISPATCH): (State.DISPATCHED, is_coordinator_of_region),
    (State.DISPATCHED, Action.ACCEPT): (State.ACCEPTED, is_handler_of_department),
    (State.DISPATCHED, Action.RETURN): (State.SUBMITTED, is_handler_of_department),
    (State.DISPATCHED, Action.TRANSFER): (State.DISPATCHED, is_coordinator_of_region),
    (State.ACCEPTED, Action.TRANSFER): (State.DISPATCHED, is_coordinator_of_region),
    (State.IN_PROGRESS, Action.TRANSFER): (State.DISPATCHED, is_coordinator_of_region),
    (State.ACCEPTED, Action.START): (State.IN_PROGRESS, is_handler_of_department),
    (State.ACCEPTED, Action.WAIT_FIRM): (State.WAITING_FIRM, is_handler_of_department),
    (State.IN_PROGRESS, Action.WAIT_FIRM): (State.WAITING_FIRM, is_handler_of_department),
    (State.WAITING_FIRM, Action.RESUME): (
        State.IN_PROGRESS,
        either(is_handler_of_department, is_member_of_firm),
    ),
    (State.ACCEPTED, Action.REPLY): (State.REPLIED, is_handler_of_department),
    (State.IN_PROGRESS, Action.REPLY): (State.REPLIED, is_handler_of_department),
    (State.REPLIED, Action.RATE): (State.CLOSED, is_member_of_firm),
    # reject: back to the department, or to the coordinator after MAX_REOPENS (service decides)
    (State.REPLIED, Action.REJECT): (State.IN_PROGRESS, is_member_of_firm),
    (State.SUBMITTED, Action.WITHDRAW): (State.WITHDRAWN, is_member_of_firm),
    (State.DISPATCHED, Action.WITHDRAW): (State.WITHDRAWN, is_member_of_firm),
    (State.DISPUTED, Action.CLOSE): (State.CLOSED, is_coordinator_of_region),
    (State.REPLIED, Action.AUTO_CLOSE): (State.CLOSED, system),
}


def allowed_actions(user: Any, demand: Demand) -> list[str]:
    """The actions ``user`` may take now: the buttons to show."""
    return [
        action
        for (state, action), (_target, allowed) in TRANSITIONS.items()
        if state == demand.state and allowed(user, demand)
    ]
