"""The outreach `qinqing demo load` writes over the history: visits, meetings, pairings, activities.

The tests read the session's one demo load (``demo_loaded``, tests/demo/shared.py), rolled
back when the last test using it is done. The plan is recomputed for the load moment it
reports, and the selectors are asked about the load day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F

from qinqing.accounts.models import Role, RoleAssignment, User
from qinqing.audit.models import AuditEntry
from qinqing.audit.services import verify
from qinqing.common.workdays import SHANGHAI, WorkingCalendar
from qinqing.demands.models import Demand
from qinqing.demo import data
from qinqing.demo.generate import generate
from qinqing.demo.history import category_specs, history_start, plan_history
from qinqing.demo.loader import LoadResult
from qinqing.demo.outreach_history import plan_outreach
from qinqing.directory.models import Enterprise, Pairing, Region
from qinqing.outreach import visits
from qinqing.outreach.models import (
    Activity,
    FollowUp,
    GroupRequest,
    GroupService,
    Invitation,
    KeyFirm,
    Meeting,
    ObserverFeedback,
    PairingContact,
    Registration,
    ServiceGroup,
    Visit,
    VisitRule,
)

from .shared import DemoLoad


@dataclass(frozen=True)
class Loaded:
    result: LoadResult
    now: datetime

    @property
    def today(self) -> date:
        return self.now.astimezone(SHANGHAI).date()


@pytest.fixture
def loaded(demo_loaded: DemoLoad) -> Loaded:
    return Loaded(demo_loaded.result, demo_loaded.now)


pytestmark = pytest.mark.usefixtures("demo_loaded")


def user(username: str) -> User:
    return User.objects.get(username=username)


def region(name: str) -> Region:
    return Region.objects.get(name=name)


def firms_in(name: str) -> Any:
    return Enterprise.objects.filter(grid__path__startswith=region(name).path)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# --- volume -----------------------------------------------------------------------------------
def test_the_counts_are_in_range_and_match_the_stored_rows(db: Any, loaded: Loaded) -> None:
    r = loaded.result
    stored = {
        "visits": Visit.objects.count(),
        "key_firms": KeyFirm.objects.count(),
        "meetings": Meeting.objects.count(),
        "invitations": Invitation.objects.count(),
        "follow_ups": FollowUp.objects.count(),
        "pairing_contacts": PairingContact.objects.count(),
        "activities": Activity.objects.count(),
        "registrations": Registration.objects.count(),
        "group_services": GroupService.objects.count(),
        "group_requests": GroupRequest.objects.count(),
        "observer_feedback": ObserverFeedback.objects.count(),
    }
    assert {k: getattr(r, k) for k in stored} == stored
    # 古林镇's 3,520 firms at 60–80 % a month dominate; 29 months for a load in November
    assert 55_000 <= r.visits <= 100_000
    lingfeng = Visit.objects.filter(grid__path__startswith=region(data.LINGFENG).path)
    assert lingfeng.count() >= 1_100
    assert 3 <= r.key_firms <= 6
    assert 50 <= r.meetings <= 80
    assert 2 * r.meetings <= r.follow_ups <= 4 * r.meetings
    assert 60 <= r.pairing_contacts <= 150
    assert r.activities == 2 and 100 <= r.registrations <= 130
    assert r.group_requests >= 25 and r.group_services >= 6
    assert 10 <= r.observer_feedback <= 20
    # the outreach links to the demand history and creates no demands of its own
    assert Demand.objects.count() == r.demands


# --- visits -----------------------------------------------------------------------------------
def test_visits_are_never_in_the_future_and_lie_on_working_days(db: Any, loaded: Loaded) -> None:
    assert not Visit.objects.filter(visited_on__gt=loaded.today).exists()
    assert not Visit.objects.filter(created_at__gt=loaded.now).exists()
    first = Visit.objects.order_by("visited_on").values_list("visited_on", flat=True)[0]
    start = history_start(loaded.today)
    assert start <= first <= start + timedelta(days=7)
    calendar = WorkingCalendar()
    days = Counter(Visit.objects.values_list("visited_on", flat=True))
    working = sum(n for day, n in days.items() if calendar.is_working_day(day))
    assert working / sum(days.values()) > 0.95
    # a visit is logged on the day it was made (Asia/Shanghai)
    sample = Visit.objects.order_by("?").values_list("visited_on", "created_at")[:300]
    for visited_on, created in sample:
        assert created.astimezone(SHANGHAI).date() == visited_on


def test_every_visit_is_in_its_firm_s_grid_by_the_grid_s_steward(db: Any) -> None:
    assert not Visit.objects.exclude(grid_id=F("enterprise__grid_id")).exists()
    stewards = dict(
        RoleAssignment.objects.filter(role=Role.STEWARD).values_list("region_id", "user_id")
    )
    pairs = set(Visit.objects.values_list("grid_id", "steward_id").distinct())
    assert all(stewards[grid] == steward for grid, steward in pairs)


def test_visits_carry_realistic_topics_policies_and_a_few_problems(db: Any) -> None:
    n = Visit.objects.count()
    assert not Visit.objects.filter(topics="").exists()
    assert not Visit.objects.filter(met_person="").exists()
    explained = Visit.objects.exclude(policies_explained="")
    assert 0.35 < explained.count() / n < 0.75
    for policy in ("研发费用加计扣除", "稳岗返还", "技改补助"):
        assert explained.filter(policies_explained__contains=policy).exists(), policy
    problems = Visit.objects.exclude(problems="").count()
    assert 0.03 < problems / n < 0.2


def test_problems_found_on_visits_are_the_firm_s_existing_demands(db: Any) -> None:
    linked = Visit.objects.filter(demand__isnull=False).select_related("demand")
    assert linked.count() > 300
    for v in linked:
        assert v.demand is not None
        assert v.demand.enterprise_id == v.enterprise_id
        assert v.demand.submitted_at.astimezone(SHANGHAI).date() == v.visited_on
        assert v.problems == v.demand.description
    # every demand a steward raised in the visits' year was found on a visit to the firm that
    # day (two raised the same day: the visit links the first)
    first = Visit.objects.order_by("visited_on").values_list("visited_on", flat=True)[0]
    raised = Demand.objects.filter(channel="steward", submitted_at__gte=start_of(first))
    visited = set(Visit.objects.values_list("enterprise_id", "visited_on"))
    for firm, submitted in raised.values_list("enterprise_id", "submitted_at"):
        assert (firm, submitted.astimezone(SHANGHAI).date()) in visited
    assert len(set(linked.values_list("demand_id", flat=True))) > 0.95 * raised.count()


def test_chen_gang_has_firms_due_and_one_to_three_overdue_this_month(
    db: Any, loaded: Loaded
) -> None:
    chengang = user("chengang")
    plan = visits.month_plan(user=chengang, on=loaded.today)
    counts = plan.counts
    assert 15 <= counts["total"] <= 25
    assert counts["due"] >= 1
    assert 1 <= counts["overdue"] <= 3
    for row in plan.rows.filter(status=visits.Status.OVERDUE):
        assert row.prev_done < row.required  # missed last month
    last = visits.previous_month(visits.month_start(loaded.today))
    previous = visits.coverage(user=chengang, month=last, on=loaded.today)
    assert previous.total.firms - previous.total.met == data.CHENGANG_MISSED_LAST_MONTH
    assert chengang.visits.filter(visited_on__gte=last).exists()


def test_coverage_is_high_in_lingfeng_lower_in_gulin_and_sparse_elsewhere(
    db: Any, loaded: Loaded
) -> None:
    chengang = user("chengang")
    last = visits.previous_month(visits.month_start(loaded.today))
    shares = {}
    for name in (data.LINGFENG, data.GULIN):
        rows = visits.history(user=chengang, months=12, until=last, firms=firms_in(name))
        shares[name] = [row.share for row in rows]
    assert 0.8 <= shares[data.LINGFENG][-1] <= 1.0
    assert all(0.75 <= s <= 1.0 for s in shares[data.LINGFENG])
    assert all(0.55 <= s <= 0.85 for s in shares[data.GULIN])
    lingfeng, gulin = region(data.LINGFENG), region(data.GULIN)
    elsewhere = Enterprise.objects.exclude(grid__path__startswith=lingfeng.path).exclude(
        grid__path__startswith=gulin.path
    )
    rows = visits.history(user=chengang, months=12, until=last, firms=elsewhere)
    assert all(0.03 <= row.share <= 0.3 for row in rows)


def test_key_firms_in_lingfeng_get_two_visits_under_the_community_s_rule(
    db: Any, loaded: Loaded
) -> None:
    rule = VisitRule.objects.get()
    assert rule.region == region(data.LINGFENG)
    assert (rule.visits_per_month, rule.key_firm_visits_per_month) == (1, 2)
    assert rule.roundtables_per_quarter == 1
    lingfeng = region(data.LINGFENG)
    key_firms = list(KeyFirm.objects.select_related("enterprise__grid"))
    assert all(k.enterprise.grid.path.startswith(lingfeng.path) and k.reason for k in key_firms)
    chengang_grid = RoleAssignment.objects.get(user__username="chengang").region_id
    assert sum(k.enterprise.grid_id == chengang_grid for k in key_firms) == 1
    this_month = visits.month_start(loaded.today)
    per_month: dict[tuple[int, date], set[date]] = defaultdict(set)
    for firm, day in Visit.objects.filter(enterprise__key_firm__isnull=False).values_list(
        "enterprise_id", "visited_on"
    ):
        per_month[(firm, visits.month_start(day))].add(day)
    past = [len(days) for (_, month), days in per_month.items() if month < this_month]
    assert sum(n >= 2 for n in past) / len(past) > 0.75


# --- meetings ---------------------------------------------------------------------------------
def test_each_lingfeng_steward_held_a_roundtable_in_every_past_quarter_of_the_history(
    db: Any, loaded: Loaded
) -> None:
    lingfeng = region(data.LINGFENG)
    stewards = RoleAssignment.objects.filter(role=Role.STEWARD, region__parent=lingfeng)
    assert stewards.count() == 6
    start = quarter_start(loaded.today)
    quarters = []
    while start > history_start(loaded.today):
        start = quarter_start(start - timedelta(days=1))
        quarters.append(start)
    assert len(quarters) >= 8
    for a in stewards:
        assert a.region is not None
        held = Meeting.objects.filter(
            kind="roundtable", status=Meeting.Status.HELD, organizer=a.user, region=a.region
        )
        held_in = {quarter_start(m.starts_at.astimezone(SHANGHAI).date()) for m in held}
        assert set(quarters) <= held_in, a.user.username
        for meeting in held:
            assert meeting.minutes and meeting.starts_at < loaded.now
            firms = set(a.region.enterprises.values_list("pk", flat=True))
            invited = set(meeting.invitations.values_list("enterprise_id", flat=True))
            assert invited == firms
            attended = meeting.invitations.filter(attended=True)
            assert attended.count() >= len(firms) // 2
            assert not attended.exclude(status=Invitation.Status.REGISTERED).exists()
            assert 1 <= meeting.follow_ups.count() <= 4


def test_chen_gang_s_roundtable_next_thursday_has_his_firms_invited(
    db: Any, loaded: Loaded
) -> None:
    chengang = RoleAssignment.objects.get(user__username="chengang")
    planned = Meeting.objects.get(
        kind="roundtable", organizer=chengang.user, status=Meeting.Status.PLANNED
    )
    day = planned.starts_at.astimezone(SHANGHAI).date()
    # next week's Thursday (or the first working day after it, in a holiday week)
    thursday = loaded.today + timedelta(days=7 - loaded.today.weekday() + 3)
    calendar = WorkingCalendar()
    while not calendar.is_working_day(thursday):
        thursday += timedelta(days=1)
    assert day == thursday
    assert planned in visits.upcoming_meetings(chengang.user)
    assert chengang.region is not None
    firms = set(chengang.region.enterprises.values_list("pk", flat=True))
    invitations = planned.invitations.all()
    assert set(invitations.values_list("enterprise_id", flat=True)) == firms
    statuses = Counter(invitations.values_list("status", flat=True))
    assert statuses[Invitation.Status.REGISTERED] >= 3
    assert statuses[Invitation.Status.INVITED] >= 1
    assert not invitations.filter(attended=True).exists()
    assert not planned.follow_ups.exists() and not planned.minutes


def test_follow_ups_are_mostly_done_a_few_open_and_one_overdue(db: Any, loaded: Loaded) -> None:
    items = list(FollowUp.objects.select_related("meeting", "department__region", "owner"))
    done = [f for f in items if f.done_at is not None]
    open_ = [f for f in items if f.done_at is None]
    overdue = [f for f in open_ if f.due_on < loaded.today]
    assert len(done) / len(items) > 0.7
    assert len(open_) - len(overdue) >= 2
    assert len(overdue) == 1
    assert overdue[0].meeting.organizer.username == "chengang"
    for f in items:
        assert (f.owner_id is None) != (f.department_id is None)
        assert f.due_on > f.meeting.starts_at.astimezone(SHANGHAI).date()
        if f.done_at is not None:
            assert f.meeting.starts_at < f.done_at <= loaded.now and f.result
        if f.department is not None:  # a department serving the meeting's region
            assert f.meeting.region.path.startswith(f.department.region.path)


def test_two_dialogue_meetings_in_gulin_and_a_joint_meeting_of_haishu(
    db: Any, loaded: Loaded
) -> None:
    dialogues = Meeting.objects.filter(kind="dialogue")
    assert dialogues.count() == 2
    gulin_firm = Enterprise.objects.get(name=data.WANGLI_FIRM_NAME)
    for meeting in dialogues:
        assert meeting.region == region(data.GULIN)
        assert meeting.status == Meeting.Status.HELD and meeting.minutes
        assert meeting.departments.count() >= 4
        assert meeting.invitations.filter(enterprise=gulin_firm).exists()
    joint = Meeting.objects.get(kind="joint")
    assert joint.region == region("海曙区") and joint.organizer.username == "sunyue"
    assert joint.departments.count() == 9
    items = joint.follow_ups.all()
    assert items.count() >= 3 and not items.filter(department__isnull=True).exists()
    assert items.filter(department__name="海曙区市场监督管理局").exists()  # 赵敏's bureau


# --- pairings ---------------------------------------------------------------------------------
def test_pairing_contacts_come_about_quarterly_and_one_of_liu_jianguo_s_firms_is_behind(
    db: Any, loaded: Loaded
) -> None:
    this_quarter = quarter_start(loaded.today)
    last_quarter = quarter_start(this_quarter - timedelta(days=1))
    assert not PairingContact.objects.filter(contacted_on__gt=loaded.today).exists()
    assert not PairingContact.objects.filter(contacted_on__lt=F("pairing__started_on")).exists()
    liu = Pairing.objects.filter(official__username="liujianguo")
    behind_now, behind_last = [], []
    for pairing in liu:
        days = list(pairing.contacts.values_list("contacted_on", flat=True))
        assert set(pairing.contacts.values_list("logged_by__username", flat=True)) == {"liujianguo"}
        if not any(d >= this_quarter for d in days):
            behind_now.append(pairing.pk)
        if not any(last_quarter <= d < this_quarter for d in days):
            behind_last.append(pairing.pk)
    assert len(behind_now) == 1 and behind_last == behind_now
    # the others keep roughly one contact a quarter over the year
    quarters = Counter(
        (c.pairing_id, quarter_start(c.contacted_on))
        for c in PairingContact.objects.filter(contacted_on__lt=this_quarter)
    )
    assert sum(quarters.values()) / len(quarters) < 1.4


# --- activities, the service group, observers -------------------------------------------------
def test_policy_briefings_in_gulin_with_a_waiting_list_check_ins_and_feedback(
    db: Any, loaded: Loaded
) -> None:
    gulin = region(data.GULIN)
    upcoming = Activity.objects.get(starts_at__gt=loaded.now)
    past = Activity.objects.get(starts_at__lt=loaded.now)
    for activity in (upcoming, past):
        assert activity.kind == "briefing" and activity.region == gulin
        assert activity.capacity == data.ACTIVITY_CAPACITY
        assert activity.registration_closes_at <= activity.starts_at
        statuses = Counter(activity.registrations.values_list("status", flat=True))
        assert statuses[Registration.Status.REGISTERED] == activity.capacity
        assert statuses[Registration.Status.WAITLISTED] >= 1
        assert statuses[Registration.Status.CANCELLED] >= 1
        regs = activity.registrations.select_related("enterprise__grid")
        assert all(r.enterprise.grid.path.startswith(gulin.path) for r in regs)
        assert not activity.registrations.filter(created_at__gt=loaded.now).exists()
        assert activity.registrations.filter(registered_by__username="wangli").exists()
    assert not upcoming.registrations.filter(checked_in_at__isnull=False).exists()
    checked = past.registrations.filter(checked_in_at__isnull=False)
    assert checked.count() >= 30
    assert not checked.exclude(status=Registration.Status.REGISTERED).exists()
    rated = past.registrations.filter(feedback_rating__isnull=False)
    assert rated.count() >= 10
    assert not rated.filter(checked_in_at__isnull=True).exists()


def test_the_chunhu_group_solved_23_problems_in_two_years(db: Any, loaded: Loaded) -> None:
    group = ServiceGroup.objects.get(name=data.CHUNHU_GROUP_NAME)
    services = {s.name: s.department for s in group.services.select_related("department")}
    assert services["项目审批"].kind == "development"
    assert services["法律维权"].kind == "justice"
    members = set(group.departments.values_list("pk", flat=True))
    assert {d.pk for d in services.values()} <= members
    requests = group.requests.select_related("enterprise__grid", "service")
    solved = requests.filter(status=GroupRequest.Status.SOLVED)
    assert solved.count() >= 23
    assert requests.filter(status=GroupRequest.Status.OPEN).count() >= 2
    for r in solved:
        assert r.solved_at is not None and r.created_at < r.solved_at <= loaded.now
        assert r.department is not None and r.reply
    chunhu = region(data.CHUNHU)
    assert all(r.enterprise.grid.path.startswith(chunhu.path) for r in requests)
    first = min(r.created_at for r in requests)
    assert timedelta(days=365) < loaded.now - first <= timedelta(days=731)


def test_lingfeng_observers_send_mostly_routine_notes_about_their_own_firm(db: Any) -> None:
    lingfeng = region(data.LINGFENG)
    feedback = list(ObserverFeedback.objects.select_related("enterprise__grid", "observer"))
    kinds = Counter(f.kind for f in feedback)
    assert kinds["routine"] > 2 * kinds["concern"] >= 2
    for f in feedback:
        assert f.enterprise.grid.path.startswith(lingfeng.path)
        assert RoleAssignment.objects.filter(
            user=f.observer, role=Role.OBSERVER, enterprise=f.enterprise
        ).exists()
    assert any(f.observer.username == "lintao" and "规范" in f.text for f in feedback)


# --- determinism and the audit chain ----------------------------------------------------------
def test_the_stored_outreach_is_the_plan_for_the_seed_and_the_load_moment(
    db: Any, loaded: Loaded
) -> None:
    plan = generate(data.DEFAULT_SEED)
    history = plan_history(plan, category_specs(), loaded.now)
    outreach = plan_outreach(plan, history, loaded.now)
    signature = outreach.signature()
    stored_visits = list(
        Visit.objects.order_by("pk").values_list(
            "enterprise__uscc", "visited_on", "steward__username", "demand__number"
        )
    )
    assert stored_visits == signature["visits"]
    stored_meetings = list(
        Meeting.objects.order_by("pk").values_list("kind", "title", "starts_at", "status")
    )
    assert stored_meetings == signature["meetings"]
    again = plan_outreach(generate(data.DEFAULT_SEED), history, loaded.now)
    assert again.signature() == signature
    other_plan = generate(data.DEFAULT_SEED + 1)
    other_history = plan_history(other_plan, category_specs(), loaded.now)
    other = plan_outreach(other_plan, other_history, loaded.now).signature()
    assert other["visits"][:100] != signature["visits"][:100]


def test_the_load_still_leaves_one_audit_entry_with_the_counts_and_a_sound_chain(
    db: Any, loaded: Loaded
) -> None:
    entry = AuditEntry.objects.get(action="demo.load")
    assert entry.changes["visits"] == Visit.objects.count()
    assert entry.changes["meetings"] == Meeting.objects.count()
    for prefix in ("visit.", "meeting.", "pairing.", "activity.", "group.", "observer."):
        assert not AuditEntry.objects.filter(action__startswith=prefix).exists(), prefix
    assert verify().ok
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=StringIO())
