"""The state machine, read like the rules: who may move a case, and what the move does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection  # noqa: F401 - used by the skipif condition
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.demands.models import Category, Demand, DemandEvent
from qinqing.demands.services import demand_act, sweep_deadlines
from qinqing.demands.workflow import MAX_REOPENS, TRANSITIONS, Action, State

from .conftest import SHANGHAI_MONDAY_10AM, Cases

pytestmark = pytest.mark.django_db

#: who the rules say may take each action (independent of the predicates in the table)
EXPECTED_ACTORS = {
    Action.DISPATCH: {"coordinator"},
    Action.TRANSFER: {"coordinator"},
    Action.ACCEPT: {"handler"},
    Action.RETURN: {"handler"},
    Action.START: {"handler"},
    Action.WAIT_FIRM: {"handler"},
    Action.RESUME: {"handler", "firm_user"},
    Action.REPLY: {"handler"},
    Action.RATE: {"firm_user"},
    Action.REJECT: {"firm_user"},
    Action.WITHDRAW: {"firm_user"},
    Action.CLOSE: {"coordinator"},
    Action.AUTO_CLOSE: {"system"},
}
ACTORS = ["firm_user", "handler", "other_handler", "coordinator", "supervisor", "steward", "system"]


def actor(cases: Cases, name: str) -> Any:
    if name == "system":
        return None
    if name == "steward":
        return cases.world.users["steward"]
    return getattr(cases, name)


def act(cases: Cases, demand: Demand, action: str, who: str, **extra: Any) -> Demand:
    demand.refresh_from_db()
    extra.setdefault("note", "说明")
    if action in (Action.DISPATCH, Action.TRANSFER):
        extra.setdefault(
            "department_id",
            cases.other.pk if demand.department_id == cases.lead.pk else cases.lead.pk,
        )
    if action == Action.RATE:
        extra.setdefault("satisfaction", "satisfied")
        extra.setdefault("rating", 5)
    return demand_act(
        actor=actor(cases, who), demand_id=demand.pk, action=action, version=demand.version, **extra
    )


def bring_to(cases: Cases, state: str) -> Demand:
    """A fresh case moved along the usual path to ``state``."""
    if state in (State.SUBMITTED, State.DISPUTED):
        demand = cases.submit(category=Category.objects.get(code="other"))
        if state == State.SUBMITTED:
            return demand
        act(cases, demand, Action.DISPATCH, "coordinator", department_id=cases.lead.pk)
        act(cases, demand, Action.ACCEPT, "handler")
        for _ in range(MAX_REOPENS + 1):
            act(cases, demand, Action.REPLY, "handler")
            act(cases, demand, Action.REJECT, "firm_user")
        demand.refresh_from_db()
        return demand
    demand = cases.submit()
    path = {
        State.DISPATCHED: [],
        State.ACCEPTED: [(Action.ACCEPT, "handler")],
        State.IN_PROGRESS: [(Action.ACCEPT, "handler"), (Action.START, "handler")],
        State.WAITING_FIRM: [(Action.ACCEPT, "handler"), (Action.WAIT_FIRM, "handler")],
        State.REPLIED: [(Action.ACCEPT, "handler"), (Action.REPLY, "handler")],
        State.CLOSED: [
            (Action.ACCEPT, "handler"),
            (Action.REPLY, "handler"),
            (Action.RATE, "firm_user"),
        ],
        State.WITHDRAWN: [(Action.WITHDRAW, "firm_user")],
    }[State(state)]
    for action, who in path:
        act(cases, demand, action, who)
    demand.refresh_from_db()
    return demand


@pytest.mark.parametrize(("state", "action"), list(TRANSITIONS))
@pytest.mark.parametrize("who", ACTORS)
def test_only_the_allowed_role_can_move(cases: Cases, state: str, action: str, who: str) -> None:
    demand = bring_to(cases, state)
    assert demand.state == state
    audits = AuditEntry.objects.count()
    if who in EXPECTED_ACTORS[Action(action)]:
        moved = act(cases, demand, action, who)
        assert moved.version == demand.version + 1
        assert AuditEntry.objects.count() == audits + 1
        assert DemandEvent.objects.filter(demand=demand, action=action).exists()
    else:
        with pytest.raises(NotPermitted):
            act(cases, demand, action, who)
        demand.refresh_from_db()
        assert demand.state == state and AuditEntry.objects.count() == audits


ALL_STATES = [s.value for s in State]


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("action", [a.value for a in Action])
def test_actions_outside_the_table_are_refused_as_conflicts(
    cases: Cases, state: str, action: str
) -> None:
    if (state, action) in TRANSITIONS:
        return
    demand = bring_to(cases, state)
    with pytest.raises(Conflict):
        demand_act(
            actor=cases.coordinator,
            demand_id=demand.pk,
            action=action,
            version=demand.version,
            note="x",
        )


def test_a_routed_submission_is_dispatched_at_once_with_working_day_deadlines(
    cases: Cases,
) -> None:
    demand = cases.submit(submitted_at=SHANGHAI_MONDAY_10AM)
    assert demand.number.startswith("SQ-2026-") and len(demand.number) == 14
    assert demand.state == State.DISPATCHED and demand.department == cases.lead
    # Monday 2 Nov 2026, 10:00: acceptance 1 working day → Tue 3 Nov; resolution 5 → Mon 9 Nov
    assert demand.accept_due_at == datetime.fromisoformat("2026-11-03T23:59:59+08:00")
    assert demand.resolve_due_at == datetime.fromisoformat("2026-11-09T23:59:59+08:00")


def test_numbers_count_up_within_a_year(cases: Cases) -> None:
    first, second = cases.submit(), cases.submit()
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_without_a_rule_the_case_waits_for_the_coordinator(cases: Cases) -> None:
    demand = cases.submit(category=Category.objects.get(code="other"))
    assert demand.state == State.SUBMITTED and demand.department is None


def test_the_most_specific_rule_wins(cases: Cases) -> None:
    from qinqing.demands.models import RoutingRule

    RoutingRule.objects.create(
        region=cases.world.grid_a, category=cases.tax, department=cases.other
    )
    assert cases.submit().department == cases.other
    assert (
        cases.submit(
            enterprise=cases.world.firm_b, actor=cases.world.users["coordinator"]
        ).department
        == cases.lead
    )


def test_a_stale_version_is_a_conflict_and_nothing_is_lost(cases: Cases) -> None:
    demand = cases.submit()
    stale = demand.version
    demand_act(actor=cases.handler, demand_id=demand.pk, action=Action.ACCEPT, version=stale)
    with pytest.raises(Conflict, match="已被他人处理"):
        demand_act(
            actor=cases.handler,
            demand_id=demand.pk,
            action=Action.RETURN,
            version=stale,
            note="不归我们管",
        )
    demand.refresh_from_db()
    assert demand.state == State.ACCEPTED and demand.department == cases.lead


def test_a_return_needs_a_reason_and_goes_back_to_the_coordinator(cases: Cases) -> None:
    demand = cases.submit()
    with pytest.raises(ServiceError, match="退单理由"):
        act(cases, demand, Action.RETURN, "handler", note="")
    returned = act(cases, demand, Action.RETURN, "handler", note="应由税务部门办理")
    assert returned.state == State.SUBMITTED and returned.department is None


def test_a_return_after_the_acceptance_deadline_is_refused(cases: Cases) -> None:
    demand = cases.submit()
    late = demand.accept_due_at + timedelta(minutes=1)
    with pytest.raises(Conflict, match="超过受理时限"):
        act(cases, demand, Action.RETURN, "handler", note="晚了", at=late)


def test_dispatch_only_to_a_department_that_serves_the_firm(cases: Cases) -> None:
    demand = cases.submit(category=Category.objects.get(code="other"))
    with pytest.raises(ServiceError, match="不服务"):
        act(
            cases,
            demand,
            Action.DISPATCH,
            "coordinator",
            department_id=cases.world.other_department.pk,
        )


def test_waiting_for_the_firm_pauses_the_resolution_timer(cases: Cases) -> None:
    demand = cases.submit(submitted_at=SHANGHAI_MONDAY_10AM)
    act(cases, demand, Action.ACCEPT, "handler", at=SHANGHAI_MONDAY_10AM + timedelta(hours=1))
    due = demand.resolve_due_at
    paused_at = datetime.fromisoformat("2026-11-03T09:00:00+08:00")
    act(cases, demand, Action.WAIT_FIRM, "handler", at=paused_at)
    # resumed Thursday: Wed and Thu are two working days paused
    resumed = act(
        cases,
        demand,
        Action.RESUME,
        "firm_user",
        at=datetime.fromisoformat("2026-11-05T16:00:00+08:00"),
    )
    assert resumed.resolve_due_at == datetime.fromisoformat("2026-11-11T23:59:59+08:00")
    assert due == datetime.fromisoformat("2026-11-09T23:59:59+08:00")


def test_rating_needs_a_satisfaction_and_a_score_from_1_to_5(cases: Cases) -> None:
    demand = bring_to(cases, State.REPLIED)
    with pytest.raises(ServiceError, match="满意度"):
        act(cases, demand, Action.RATE, "firm_user", satisfaction="", rating=3)
    with pytest.raises(ServiceError, match="1到5"):
        act(cases, demand, Action.RATE, "firm_user", satisfaction="basic", rating=6)
    closed = act(cases, demand, Action.RATE, "firm_user", satisfaction="basic", rating=4)
    assert closed.state == State.CLOSED and closed.rating == 4 and closed.closed_at


def test_a_rejected_reply_reopens_twice_then_the_coordinator_decides(cases: Cases) -> None:
    demand = bring_to(cases, State.ACCEPTED)
    for expected in [State.IN_PROGRESS, State.IN_PROGRESS, State.DISPUTED]:
        act(cases, demand, Action.REPLY, "handler")
        assert act(cases, demand, Action.REJECT, "firm_user", note="没有解决").state == expected


def test_the_sweep_reminds_at_80_percent_escalates_at_breach_and_never_twice(
    cases: Cases,
) -> None:
    demand = bring_to(cases, State.ACCEPTED)
    span = demand.resolve_due_at - demand.submitted_at
    at_80 = demand.submitted_at + span * 0.8 + timedelta(minutes=1)
    assert sweep_deadlines(now=at_80)["reminded"] == 1
    assert sweep_deadlines(now=at_80)["reminded"] == 0
    after = demand.resolve_due_at + timedelta(minutes=1)
    assert sweep_deadlines(now=after) == {"reminded": 0, "escalated": 1, "auto_closed": 0}
    assert sweep_deadlines(now=after)["escalated"] == 0
    demand.refresh_from_db()
    assert demand.supervised and demand.escalated_at is not None
    assert DemandEvent.objects.filter(demand=demand, action="escalate").count() == 1


def test_an_unrated_reply_is_closed_after_five_working_days_marked_not_rated(
    cases: Cases,
) -> None:
    demand = cases.submit(submitted_at=SHANGHAI_MONDAY_10AM)
    act(cases, demand, Action.ACCEPT, "handler", at=SHANGHAI_MONDAY_10AM + timedelta(hours=1))
    act(
        cases,
        demand,
        Action.REPLY,
        "handler",
        at=datetime.fromisoformat("2026-11-03T10:00:00+08:00"),
    )
    assert (
        sweep_deadlines(now=datetime.fromisoformat("2026-11-09T10:00:00+08:00"))["auto_closed"] == 0
    )
    assert (
        sweep_deadlines(now=datetime.fromisoformat("2026-11-10T10:00:00+08:00"))["auto_closed"] == 1
    )
    demand.refresh_from_db()
    assert demand.state == State.CLOSED and demand.not_rated


STEPS = st.lists(
    st.tuples(st.sampled_from([a.value for a in Action]), st.sampled_from(ACTORS)),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_random_sequences_keep_the_invariants(cases: Cases, steps: list[tuple[str, str]]) -> None:
    demand = cases.submit()
    for action, who in steps:
        demand.refresh_from_db()
        before_version = demand.version
        audits = AuditEntry.objects.count()
        try:
            act(cases, demand, action, who)
        except (Conflict, NotPermitted, ServiceError):
            demand.refresh_from_db()
            assert demand.version == before_version and AuditEntry.objects.count() == audits
            continue
        demand.refresh_from_db()
        assert demand.version == before_version + 1
        assert AuditEntry.objects.count() == audits + 1
        assert demand.state in State.values
        assert (demand.closed_at is not None) == (demand.state in (State.CLOSED, State.WITHDRAWN))
        assert (demand.paused_at is not None) == (demand.state == State.WAITING_FIRM)
        assert demand.resolve_due_at is not None and demand.resolve_due_at > demand.submitted_at
        # a case waiting for dispatch has no department; one returned to dispatch and then
        # withdrawn by the firm keeps none either
        assert demand.state != State.SUBMITTED or demand.department_id is None
        assert demand.department_id is not None or demand.state in (
            State.SUBMITTED,
            State.WITHDRAWN,
        )


def test_the_scheduler_enqueues_the_sweep_which_runs_on_the_worker(cases: Cases, capsys) -> None:
    from django.core.management import call_command

    cases.submit()
    call_command("schedule", "--once")
    out = capsys.readouterr().out
    assert "enqueued sweep_demand_deadlines" in out and "enqueued publish_audit_head" in out


def test_similar_open_cases_of_the_same_firm_are_offered_as_duplicates(cases: Cases) -> None:
    from qinqing.demands.selectors import possible_duplicates

    first = cases.submit(title="用电增容审批卡在供电所两个月")
    second = cases.submit(title="供电所用电增容审批一直没有进展")
    unrelated = cases.submit(
        title="申请研发费用加计扣除政策咨询", description="想了解加计扣除政策。"
    )
    found = possible_duplicates(user=cases.coordinator, demand=second)
    assert first in found and unrelated not in found


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_two_handlers_acting_at_once_one_wins_and_the_other_is_told(world) -> None:
    """Real concurrency (PostgreSQL): both read version 1, both act; exactly one succeeds."""
    import threading

    from django.db import connection as default_connection

    from qinqing.accounts.models import Role
    from qinqing.accounts.services import role_grant
    from qinqing.demands.models import RoutingRule

    from ..factories import UserFactory

    tax = Category.objects.get_or_create(
        code="tax", defaults={"name": "税费", "resolution_days": 5}
    )[0]
    RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        role_grant(actor=None, user=user, role=Role.HANDLER, department=world.department)
    from qinqing.demands.services import demand_submit

    demand = demand_submit(
        actor=world.users["enterprise"],
        enterprise=world.firm_a,
        category=tax,
        title="两人同时受理",
        description="并发测试用例。",
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user: Any) -> None:
        try:
            barrier.wait()
            demand_act(
                actor=user, demand_id=demand.pk, action=Action.ACCEPT, version=demand.version
            )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.message)
        finally:
            default_connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(["ok", "该诉求已被他人处理，请刷新后重试。"])
    demand.refresh_from_db()
    assert demand.state == State.ACCEPTED and demand.version == 2
    assert DemandEvent.objects.filter(demand=demand, action="accept").count() == 1


def test_the_inbox_index_holds_exactly_the_open_states() -> None:
    """The partial index's condition must stay equal to OPEN_STATES, or PostgreSQL stops
    using it for the inbox (it can only prove the same list implies the condition)."""
    from qinqing.demands.workflow import OPEN_STATES

    index = next(i for i in Demand._meta.indexes if i.name == "demand_inbox_open")
    assert sorted(index.condition.children[0][1]) == sorted(s.value for s in OPEN_STATES)
