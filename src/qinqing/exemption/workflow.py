"""The exemption (容错免责) state machine: every state, every move and who may make it.

One table, read by the services that move applications, by the pages that offer buttons and
by the tests that walk it. A predicate takes (user, application) and says whether the user
may act; the separation rules (not one's own case, not with a conflict, the second reviewer
differs from the assessor, the appeal goes to a third person) live in ``permissions``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import Application

Predicate = Callable[[Any, "Application"], bool]


class State(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("审查中")
    ASSESSED = "assessed", _("待复核")
    DECIDED = "decided", _("已决定")
    APPEALED = "appealed", _("申诉中")
    REVIEWED = "reviewed", _("申诉已复查")
    REFUSED = "refused", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATES = [State.SUBMITTED, State.ACCEPTED, State.ASSESSED, State.APPEALED]
DONE_STATES = [State.DECIDED, State.REVIEWED]


class Action(models.TextChoices):
    ACCEPT = "accept", _("受理")
    REFUSE = "refuse", _("不予受理")
    WITHDRAW = "withdraw", _("撤回")
    ASSESS = "assess", _("提交审查意见")
    RETURN = "return", _("退回重新审查")
    SIGN_OFF = "sign_off", _("复核同意并决定")
    APPEAL = "appeal", _("申诉")
    REVIEW = "review", _("申诉复查决定")


def _p(name: str) -> Predicate:
    """A predicate of ``permissions`` looked up when called (the module imports the models)."""

    def allowed(user: Any, application: Application) -> bool:
        from . import permissions

        return bool(getattr(permissions, name)(user, application))

    allowed.__name__ = name
    return allowed


TRANSITIONS: dict[tuple[str, str], tuple[str, Predicate]] = {
    (State.SUBMITTED, Action.ACCEPT): (State.ACCEPTED, _p("may_accept")),
    (State.SUBMITTED, Action.REFUSE): (State.REFUSED, _p("may_accept")),
    (State.SUBMITTED, Action.WITHDRAW): (State.WITHDRAWN, _p("is_applicant_side")),
    (State.ACCEPTED, Action.WITHDRAW): (State.WITHDRAWN, _p("is_applicant_side")),
    (State.ACCEPTED, Action.ASSESS): (State.ASSESSED, _p("is_assessor")),
    (State.ASSESSED, Action.RETURN): (State.ACCEPTED, _p("may_sign_off")),
    (State.ASSESSED, Action.SIGN_OFF): (State.DECIDED, _p("may_sign_off")),
    (State.DECIDED, Action.APPEAL): (State.APPEALED, _p("may_appeal")),
    (State.APPEALED, Action.REVIEW): (State.REVIEWED, _p("may_review_appeal")),
}


def allowed_actions(user: Any, application: Application) -> list[str]:
    """The moves ``user`` may make now: the buttons to show."""
    return [
        action
        for (state, action), (_target, allowed) in TRANSITIONS.items()
        if state == application.state and allowed(user, application)
    ]
