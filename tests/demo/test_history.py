"""The demand history `qinqing demo load` writes: rules, two and a half years of cases (four
whole half-years and the current one), the demo accounts' work.

The tests read the session's one demo load (``demo_loaded``, tests/demo/shared.py), rolled
back when the last test using it is done. The plan is recomputed for the load moment it
reports; the tests compare structure, never absolute dates.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from qinqing.accounts.models import User
from qinqing.audit.models import AuditEntry
from qinqing.audit.services import verify
from qinqing.common.workdays import (
    SHANGHAI,
    WorkingCalendar,
    deadline_after,
    working_days_after,
    working_days_between,
)
from qinqing.demands.models import Category, Demand, DemandCounter, DemandEvent, RoutingRule
from qinqing.demands.selectors import (
    dispatch_board,
    firm_demands,
    handler_inbox,
    routing_rules_for,
)
from qinqing.demands.services import demand_submit, route, sweep_deadlines
from qinqing.demands.workflow import (
    MAX_REOPENS,
    OPEN_STATES,
    OVERDUE_STATES,
    State,
    allowed_actions,
)
from qinqing.demo import data
from qinqing.demo.generate import generate
from qinqing.demo.history import WorkingDays, category_specs, history_start, plan_history
from qinqing.demo.loader import LoadResult
from qinqing.directory.models import Department, Enterprise, Region

from .shared import DemoLoad


@dataclass(frozen=True)
class Loaded:
    result: LoadResult
    now: datetime


@pytest.fixture
def loaded(demo_loaded: DemoLoad) -> Loaded:
    return Loaded(demo_loaded.result, demo_loaded.now)


pytestmark = pytest.mark.usefixtures("demo_loaded")

FIELDS = (
    "pk",
    "number",
    "state",
    "department_id",
    "reopen_count",
    "submitted_at",
    "accept_due_at",
    "response_due_at",
    "resolve_due_at",
    "dispatched_at",
    "accepted_at",
    "first_response_at",
    "replied_at",
    "closed_at",
    "paused_at",
    "reminded_at",
    "escalated_at",
    "satisfaction",
    "rating",
    "not_rated",
    "category__code",
    "channel",
)


def all_cases() -> list[dict[str, Any]]:
    return list(Demand.objects.order_by("number").values(*FIELDS))


def timelines() -> dict[int, list[dict[str, Any]]]:
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in DemandEvent.objects.order_by("demand_id", "created_at", "pk").values(
        "demand_id", "action", "from_state", "to_state", "created_at", "department_id", "actor_id"
    ):
        events[e["demand_id"]].append(e)
    return events


def user(username: str) -> User:
    return User.objects.get(username=username)


# --- routing rules ------------------------------------------------------------------------
def test_every_district_routes_each_category_but_other_to_its_own_bureau(db: Any) -> None:
    for code, name, _towns in data.DISTRICTS:
        rules = RoutingRule.objects.filter(region__code=code).select_related(
            "category", "department__region"
        )
        by_category = {r.category.code: r.department for r in rules}
        assert "other" not in by_category, name
        expected = set(data.ROUTING_KINDS) - {"infrastructure"}
        assert expected <= set(by_category), name
        for category, department in by_category.items():
            assert department.region.code == code
            assert department.kind in data.ROUTING_KINDS[category]
    haishu = {
        r.category.code: r.department.name
        for r in RoutingRule.objects.filter(region__code="330203").select_related(
            "category", "department"
        )
    }
    assert haishu["market"] == "海曙区市场监督管理局"
    assert haishu["tax"] == "国家税务总局宁波市海曙区税务局"
    assert haishu["permit-power"] == "海曙区经济和信息化局"
    assert "infrastructure" not in haishu  # no 住建 in the demo's Haishu: the coordinator decides
    assert RoutingRule.objects.filter(category__code="other").count() == 0


def test_zhou_hua_sees_and_may_edit_gulin_s_own_routing_table(db: Any) -> None:
    rules = {
        r.category.code: r.department.name
        for r in routing_rules_for(user=user("zhouhua")).select_related("category", "department")
    }
    assert rules["market"] == "海曙区市场监督管理局"
    assert "other" not in rules


def test_route_sends_a_firm_s_demand_to_the_rule_s_department(db: Any) -> None:
    wangli_firm = Enterprise.objects.get(name=data.WANGLI_FIRM_NAME)
    market, power, other = (
        Category.objects.get(code=c) for c in ("market", "permit-power", "other")
    )
    assert str(route(wangli_firm, market)) == "海曙区市场监督管理局"
    assert str(route(wangli_firm, power)) == "海曙区经济和信息化局"
    assert route(wangli_firm, other) is None
    chunhu = Region.objects.get(name=data.CHUNHU)
    firm = Enterprise.objects.filter(grid__path__startswith=chunhu.path).first()
    assert firm is not None
    assert str(route(firm, market)) == "莼湖市场监管所"  # the street's own office comes first
    assert str(route(firm, Category.objects.get(code="policy"))) == "奉化区经济和信息化局"


# --- volume and mix -----------------------------------------------------------------------
def test_four_half_years_and_the_current_one_of_cases_with_their_timelines(
    db: Any, loaded: Loaded
) -> None:
    demands = Demand.objects.count()
    assert 6000 <= demands <= 12000
    assert DemandEvent.objects.count() >= 4 * demands
    assert loaded.result.demands == demands
    assert loaded.result.demand_events == DemandEvent.objects.count()
    assert loaded.result.routing_rules == RoutingRule.objects.count()
    assert loaded.result.open_demands == Demand.objects.filter(state__in=OPEN_STATES).count()
    first = Demand.objects.order_by("submitted_at").first()
    last = Demand.objects.order_by("submitted_at").last()
    assert first is not None and last is not None
    start = history_start(loaded.now.astimezone(SHANGHAI).date())
    assert start.month in (1, 7) and start.day == 1
    assert 4 * 181 <= (loaded.now.astimezone(SHANGHAI).date() - start).days <= 5 * 184
    assert start <= first.submitted_at.astimezone(SHANGHAI).date() <= start + timedelta(days=7)
    assert loaded.now - last.submitted_at < timedelta(days=5)
    months = Counter(
        d.astimezone(SHANGHAI).strftime("%Y-%m")
        for d in Demand.objects.values_list("submitted_at", flat=True)
    )
    assert len(months) >= 24 and min(months.values()) >= 100
    # the platform's take-up grows: the last whole half-year has more cases than the first
    halves: Counter[str] = Counter()
    for month, count in months.items():
        halves[f"{month[:4]}H{1 if int(month[5:]) <= 6 else 2}"] += count
    first_half, *_, last_whole, _current = sorted(halves)
    assert halves[last_whole] > 1.2 * halves[first_half]


def test_cases_are_raised_on_working_days_mostly_in_office_hours(db: Any) -> None:
    calendar = WorkingCalendar()
    moments = [
        t.astimezone(SHANGHAI) for t in Demand.objects.values_list("submitted_at", flat=True)
    ]
    assert all(calendar.is_working_day(t.date()) for t in moments)
    office = sum(1 for t in moments if 8 <= t.hour < 18)
    assert office / len(moments) > 0.9


def test_channels_categories_and_places_have_a_realistic_mix(db: Any) -> None:
    cases = all_cases()
    n = len(cases)
    channels = Counter(c["channel"] for c in cases)
    for channel, share in data.CHANNEL_WEIGHTS.items():
        assert abs(channels[channel] / n - share / 100) < 0.04, channel
    categories = Counter(c["category__code"] for c in cases)
    assert set(categories) == set(data.CATEGORY_WEIGHTS)
    assert categories["policy"] > categories["emergency-supply"]
    gulin = Region.objects.get(name=data.GULIN)
    lingfeng = Region.objects.get(name=data.LINGFENG)
    per_firm = {}
    for region in (gulin, lingfeng, Region.objects.get(code=data.CITY_CODE)):
        firms = Enterprise.objects.filter(grid__path__startswith=region.path).count()
        raised = Demand.objects.filter(region_path__startswith=region.path).count()
        per_firm[region.name] = raised / firms
    assert Demand.objects.filter(region_path__startswith=gulin.path).count() > 0.5 * n
    assert per_firm[data.LINGFENG] > 2 * per_firm[data.CITY_NAME]


def test_outcomes_most_closed_and_rated_some_late_reopened_disputed_withdrawn(db: Any) -> None:
    cases = all_cases()
    n = len(cases)
    states = Counter(c["state"] for c in cases)
    assert states[State.CLOSED] / n > 0.8
    assert 0.02 < states[State.WITHDRAWN] / n < 0.08
    rated = [c for c in cases if c["satisfaction"]]
    assert len(rated) / states[State.CLOSED] > 0.7
    satisfaction = Counter(c["satisfaction"] for c in rated)
    assert 0.64 < satisfaction["satisfied"] / len(rated) < 0.76
    assert 0.15 < satisfaction["basic"] / len(rated) < 0.25
    assert 0.06 < satisfaction["unsatisfied"] / len(rated) < 0.14
    assert {c["rating"] for c in rated if c["satisfaction"] == "satisfied"} <= {4, 5}
    assert sum(c["not_rated"] for c in cases) / n > 0.05
    late = [c for c in cases if c["replied_at"] and c["replied_at"] > c["resolve_due_at"]]
    assert 0.05 < len(late) / n < 0.25
    reopened = Counter(c["reopen_count"] for c in cases)
    assert reopened[1] > reopened[2] > 0 and reopened[3] > 0
    events = Counter(DemandEvent.objects.values_list("action", flat=True))
    for action in ("return", "transfer", "wait_firm", "resume", "assist", "remind", "escalate"):
        assert events[action] > 0, action


def test_the_last_weeks_are_still_open_in_every_state(db: Any, loaded: Loaded) -> None:
    recent = Demand.objects.filter(submitted_at__gte=loaded.now - timedelta(days=45))
    assert set(recent.values_list("state", flat=True)) >= set(OPEN_STATES)
    old = Demand.objects.filter(submitted_at__lt=loaded.now - timedelta(days=120))
    assert set(old.values_list("state", flat=True)) <= {State.CLOSED, State.WITHDRAWN}


# --- the rules of live cases --------------------------------------------------------------
def test_timers_are_those_a_live_submission_gets(db: Any) -> None:
    days = {c.code: c for c in Category.objects.all()}
    events = timelines()
    cases = all_cases()
    for case in random.Random(7).sample(cases, 150):
        category = days[case["category__code"]]
        submitted = case["submitted_at"]
        timeline = events[case["pk"]]
        assert case["response_due_at"] == deadline_after(submitted, category.response_days)
        # dispatch and transfer restart the acceptance timer (services.demand_act)
        dispatches = [e["created_at"] for e in timeline if e["action"] in ("dispatch", "transfer")]
        start = dispatches[-1] if dispatches else submitted
        assert case["accept_due_at"] == deadline_after(start, category.acceptance_days)
        # waiting for the firm stops the resolution timer for the working days it lasted
        due = deadline_after(submitted, category.resolution_days)
        paused = None
        for e in timeline:
            if e["action"] == "wait_firm":
                paused = e["created_at"]
            elif e["action"] == "resume":
                assert paused is not None
                extra = working_days_between(paused, e["created_at"])
                due_day = due.astimezone(SHANGHAI)
                due = datetime.combine(working_days_after(due_day.date(), extra), due_day.timetz())
        assert case["resolve_due_at"] == due, case["number"]


def test_the_local_working_days_agree_with_deadline_after(db: Any, loaded: Loaded) -> None:
    days = WorkingDays(loaded.now.date() - timedelta(days=400))
    rng = random.Random(3)
    for _ in range(200):
        start = loaded.now - timedelta(minutes=rng.randint(0, 400 * 24 * 60))
        n = rng.randint(1, 20)
        assert days.deadline(start, n) == deadline_after(start, n)
        end = start + timedelta(hours=rng.randint(0, 24 * 40))
        assert days.between(start, end) == working_days_between(start, end)


def test_every_case_keeps_the_invariants_of_the_workflow(db: Any, loaded: Loaded) -> None:
    events = timelines()
    for c in all_cases():
        number, state = c["number"], c["state"]
        assert (c["closed_at"] is not None) == (state in (State.CLOSED, State.WITHDRAWN)), number
        assert (c["department_id"] is None) == (state == State.SUBMITTED), number
        assert (c["paused_at"] is not None) == (state == State.WAITING_FIRM), number
        if state == State.DISPUTED:
            assert c["reopen_count"] > MAX_REOPENS, number
        if c["reopen_count"] > MAX_REOPENS:
            assert state in (State.DISPUTED, State.CLOSED), number
        if state == State.REPLIED:
            assert c["replied_at"] is not None
        assert bool(c["satisfaction"]) == (c["rating"] is not None)
        if c["satisfaction"] or c["not_rated"]:
            assert state == State.CLOSED and c["replied_at"] is not None, number
        assert not (c["satisfaction"] and c["not_rated"])
        # the moments follow each other and none lies after the load
        submitted = c["submitted_at"]
        for name in ("dispatched_at", "accepted_at", "first_response_at", "replied_at"):
            if c[name] is not None:
                assert submitted <= c[name] <= loaded.now, (number, name)
        if c["accepted_at"] is not None:
            assert c["dispatched_at"] <= c["accepted_at"], number
            assert c["first_response_at"] <= c["accepted_at"], number
        if c["replied_at"] is not None:
            assert c["first_response_at"] <= c["replied_at"], number
        if c["closed_at"] is not None:
            assert (c["replied_at"] or submitted) <= c["closed_at"] <= loaded.now, number
        # the timeline: starts with the submission, runs in time, chains the states
        timeline = events[c["pk"]]
        assert timeline[0]["action"] == "submit" and timeline[0]["created_at"] == submitted
        moments = [e["created_at"] for e in timeline]
        assert moments == sorted(moments) and moments[-1] <= loaded.now, number
        assert timeline[-1]["to_state"] == state, number
        previous = State.SUBMITTED
        for e in timeline[1:]:
            assert e["from_state"] == previous, (number, e["action"])
            previous = e["to_state"]
        rejects = sum(1 for e in timeline if e["action"] == "reject")
        assert rejects == c["reopen_count"], number
        if c["reminded_at"] is not None:
            assert any(e["action"] == "remind" for e in timeline)


def test_the_sweep_finds_almost_nothing_left_to_do_at_the_load_moment(
    db: Any, loaded: Loaded
) -> None:
    counts = sweep_deadlines(now=loaded.now)
    assert sum(counts.values()) <= 5, counts


# --- numbers ----------------------------------------------------------------------------------
def test_numbers_run_per_year_in_submission_order_and_the_counters_continue(db: Any) -> None:
    rows = list(
        Demand.objects.order_by("submitted_at", "number").values_list("number", "submitted_at")
    )
    per_year: dict[int, int] = Counter()
    for number, submitted in rows:
        year = submitted.astimezone(SHANGHAI).year
        per_year[year] += 1
        assert number == f"SQ-{year}-{per_year[year]:06d}"
    assert dict(DemandCounter.objects.values_list("year", "last")) == dict(per_year)


def test_a_live_submission_after_the_load_takes_the_next_number(db: Any) -> None:
    wangli = user("wangli")
    firm = Enterprise.objects.get(name=data.WANGLI_FIRM_NAME)
    year = timezone.now().astimezone(SHANGHAI).year
    last = (
        DemandCounter.objects.get(year=year).last
        if DemandCounter.objects.filter(year=year).exists()
        else 0
    )
    demand = demand_submit(
        actor=wangli,
        enterprise=firm,
        category=Category.objects.get(code="tax"),
        title="发票领用数量不够用",
        description="订单增加，申请调增发票月领用份数。",
    )
    assert demand.number == f"SQ-{year}-{last + 1:06d}"
    assert demand.state == State.DISPATCHED
    assert str(demand.department) == "国家税务总局宁波市海曙区税务局"


# --- the demo accounts find work --------------------------------------------------------------
def test_zhao_min_has_open_cases_some_overdue_and_some_past_80_percent(
    db: Any, loaded: Loaded
) -> None:
    zhaomin = user("zhaomin")
    inbox = list(handler_inbox(user=zhaomin))
    assert len(inbox) >= 8
    department = Department.objects.get(name="海曙区市场监督管理局")
    assert {d.department_id for d in inbox} == {department.pk}
    now = timezone.now()
    overdue = list(handler_inbox(user=zhaomin, overdue=True))
    assert len(overdue) >= 3
    assert all(d.resolve_due_at is not None and d.resolve_due_at < now for d in overdue)
    near = [
        d
        for d in inbox
        if d.state in OVERDUE_STATES
        and d.resolve_due_at is not None
        and d.resolve_due_at >= now
        and now - d.submitted_at >= (d.resolve_due_at - d.submitted_at) * 0.8
    ]
    assert len(near) >= 3
    states = {d.state for d in inbox}
    assert {State.DISPATCHED, State.IN_PROGRESS, State.WAITING_FIRM} <= states
    for d in overdue:
        assert d.escalated_at is not None and d.supervised
    # she acts on her own cases in the timeline
    assert DemandEvent.objects.filter(actor=zhaomin, action="accept").exists()
    assert DemandEvent.objects.filter(actor=zhaomin, action="return").exists()


def test_zhou_hua_has_unassigned_returned_and_disputed_cases_on_the_board(db: Any) -> None:
    zhouhua = user("zhouhua")
    for column in ("unassigned", "returned", "disputed", "overdue", "extensions"):
        assert dispatch_board(user=zhouhua, column=column).exists(), column
    for d in dispatch_board(user=zhouhua, column="disputed"):
        assert "dispatch" in allowed_actions(zhouhua, d) and "close" in allowed_actions(zhouhua, d)
    gulin = Region.objects.get(name=data.GULIN)
    assert all(
        d.region_path.startswith(gulin.path)
        for d in dispatch_board(user=zhouhua, column="unassigned")
    )
    assert DemandEvent.objects.filter(actor=zhouhua, action="dispatch").exists()


def test_wang_li_has_a_reply_to_rate_a_rated_case_and_one_in_progress(db: Any) -> None:
    wangli = user("wangli")
    cases = list(firm_demands(user=wangli))
    states = Counter(d.state for d in cases)
    assert states[State.REPLIED] >= 1 and states[State.IN_PROGRESS] >= 1
    assert any(d.state == State.CLOSED and d.rating for d in cases)
    replied = next(d for d in cases if d.state == State.REPLIED)
    assert "rate" in allowed_actions(wangli, replied)
    assert replied.replied_at is not None
    assert working_days_between(replied.replied_at, timezone.now()) < 5  # not auto-closed yet
    assert any(d.title == "用电增容审批卡在供电所两个月了" for d in cases)


# --- determinism and the audit chain ----------------------------------------------------------
def test_the_stored_cases_are_the_plan_for_the_seed_and_the_load_moment(
    db: Any, loaded: Loaded
) -> None:
    plan = plan_history(generate(data.DEFAULT_SEED), category_specs(), loaded.now)
    stored = list(
        Demand.objects.order_by("number").values_list(
            "number", "enterprise__uscc", "category__code", "channel", "state"
        )
    )
    assert stored == plan.signature()
    again = plan_history(generate(data.DEFAULT_SEED), category_specs(), loaded.now)
    assert again.signature() == plan.signature()
    assert [len(c.events) for c in again.cases] == [len(c.events) for c in plan.cases]
    other = plan_history(generate(data.DEFAULT_SEED + 1), category_specs(), loaded.now)
    assert other.signature()[:50] != plan.signature()[:50]


def test_the_load_still_leaves_one_audit_entry_with_the_counts_and_a_sound_chain(
    db: Any,
) -> None:
    entry = AuditEntry.objects.get(action="demo.load")
    assert entry.changes["demands"] == Demand.objects.count()
    assert entry.changes["routing_rules"] == RoutingRule.objects.count()
    assert not AuditEntry.objects.filter(action__startswith="demand.").exists()
    assert verify().ok
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=StringIO())


@given(st.dates(min_value=date(2005, 1, 1), max_value=date(2026, 12, 31)))
def test_the_history_starts_four_whole_half_years_before_the_current_one(today: date) -> None:
    start = history_start(today)
    assert start.day == 1 and start.month in (1, 7)
    current = (today.year, 1 if today.month <= 6 else 2)
    halves_back = (current[0] - start.year) * 2 + current[1] - (1 if start.month == 1 else 2)
    assert halves_back == data.HISTORY_HALF_YEARS
