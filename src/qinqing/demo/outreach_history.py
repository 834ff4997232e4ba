"""The demo's outreach over the history's span (``history.history_start`` to the load),
from the seed: visits, meetings, pairings, activities.

``plan_outreach`` computes everything without writing, from the generated directory, the
demand history (``history.plan_history``) and the load moment; ``write_outreach`` bulk-inserts
the plan. The rows follow the rules the outreach selectors apply (``outreach.visits``), so
the lists they show are neither empty nor all red:

- **Visits** for every month from the first of the history to the load month, up to the load
  day, on working days, by the steward of the firm's grid: 灵峰社区 about 90 % of firms a month
  (key firms twice), 古林镇's 9 specialists 60–80 % of their ~390 firms each, and a sprinkling
  in every other grid. Outside Lingfeng the visiting takes hold over the history: each
  district starts at a fraction of its rate (``VISIT_TAKE_UP_START``) and grows to it.
  Every demand a steward raised for a firm (channel ``steward`` in the
  demand history) was found on a visit that day: the visit carries it as its problem and is
  linked to it. 陈刚's grid is scripted for USERS.md: two firms missed last month (overdue
  now), and at least seven still to visit this month.
- **Meetings**: a roundtable a quarter in each Lingfeng grid in every quarter of the
  history (held ones with minutes, attendance and follow-up items), 陈刚's next Thursday with
  his firms invited; two dialogue meetings in 古林镇 and a joint meeting of 海曙区's departments.
  Items whose due date has passed are done, but one of 陈刚's (overdue).
- **Pairing contacts** about once a quarter since each pairing began; one of 刘建国's firms
  had no contact last quarter and none yet this quarter.
- Two **policy briefings** in 古林镇 (capacity 50, a waiting list; the past one with check-ins
  and feedback), the 莼湖 group's **services** and 23 solved **requests** over two years, and
  a few **observer** notes from 灵峰社区.

Randomness comes only from the seed (one generator per part, named after the part), so the
same seed and load moment give the same rows; a later load moment shifts them with it.
Nothing is written through the per-row services and no audit entry is made per row: the
load's one ``demo.load`` entry carries the counts.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, models

from qinqing.common.workdays import SHANGHAI
from qinqing.demands.models import Demand
from qinqing.directory.models import Chamber, Department, Enterprise, Pairing, Region, RegionLevel
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
from qinqing.outreach.visits import month_end, month_start, previous_month

from . import data
from .bulk import insert
from .generate import DemoPlan, FirmRow
from .history import CaseRow, HistoryPlan, WorkingDays, history_start, office_time

BATCH = 1000
#: department key: (region code, department name), unique in the dataset
DeptKey = tuple[str, str]
LINGFENG, GULIN, OTHER = "lingfeng", "gulin", "other"


# --- time -------------------------------------------------------------------------------------
def _day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@dataclass(frozen=True, order=True)
class _Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> _Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return self.next.start - timedelta(days=1)

    @property
    def next(self) -> _Quarter:
        return (
            _Quarter(self.year + 1, 1) if self.number == 4 else _Quarter(self.year, self.number + 1)
        )

    @property
    def previous(self) -> _Quarter:
        return (
            _Quarter(self.year - 1, 4) if self.number == 1 else _Quarter(self.year, self.number - 1)
        )


# --- the plan ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class VisitRow:
    firm: str  # USCC
    grid: str  # code
    steward: str  # username
    visited_on: date
    logged_at: datetime
    met_person: str
    topics: str
    policies: str
    problems: str = ""
    demand: str | None = None  # the number of the demand the problem became


@dataclass
class InvitationRow:
    firm: str | None = None
    user: str | None = None
    status: str = Invitation.Status.INVITED
    registered_at: datetime | None = None
    attended: bool = False
    checked_in_at: datetime | None = None


@dataclass
class FollowUpRow:
    title: str
    due_on: date
    owner: str | None = None
    department: DeptKey | None = None
    done_at: datetime | None = None
    result: str = ""


@dataclass
class MeetingRow:
    kind: str
    title: str
    region: str  # code
    organizer: str
    starts_at: datetime
    ends_at: datetime
    place: str
    agenda: str
    created_at: datetime
    status: str = Meeting.Status.PLANNED
    capacity: int | None = None
    minutes: str = ""
    chamber: str = ""
    departments: list[DeptKey] = field(default_factory=list)
    invitations: list[InvitationRow] = field(default_factory=list)
    follow_ups: list[FollowUpRow] = field(default_factory=list)


@dataclass(frozen=True)
class ContactRow:
    official: str
    firm: str
    kind: str
    contacted_on: date
    note: str
    logged_at: datetime


@dataclass
class RegistrationRow:
    firm: str
    status: str
    created_at: datetime
    registered_by: str | None = None
    checked_in_at: datetime | None = None
    rating: int | None = None
    feedback: str = ""


@dataclass
class ActivityRow:
    title: str
    description: str
    region: str
    sections: list[str]
    starts_at: datetime
    closes_at: datetime
    place: str
    capacity: int
    organizer: str
    created_at: datetime
    registrations: list[RegistrationRow] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceRow:
    department: DeptKey
    name: str
    description: str


@dataclass(frozen=True)
class RequestRow:
    firm: str
    service: str
    topic: str
    description: str
    status: str
    created_at: datetime
    department: DeptKey | None = None
    reply: str = ""
    solved_at: datetime | None = None


@dataclass(frozen=True)
class FeedbackRow:
    observer: str
    firm: str
    kind: str
    text: str
    created_at: datetime
    subject: str | None = None


@dataclass
class OutreachPlan:
    now: datetime
    rule: tuple[str, int, int, int]  # region code, visits a month, key firms, roundtables
    key_firms: list[tuple[str, str]]  # USCC, reason
    visits: list[VisitRow]
    meetings: list[MeetingRow]
    contacts: list[ContactRow]
    activities: list[ActivityRow]
    services: list[ServiceRow]
    requests: list[RequestRow]
    feedback: list[FeedbackRow]

    def signature(self) -> dict[str, list[tuple[Any, ...]]]:
        """What the seed decides, part by part (comparable with the stored rows)."""
        return {
            "visits": [(v.firm, v.visited_on, v.steward, v.demand) for v in self.visits],
            "meetings": [(m.kind, m.title, m.starts_at, m.status) for m in self.meetings],
            "contacts": [(c.official, c.firm, c.contacted_on) for c in self.contacts],
            "requests": [(r.firm, r.topic, r.status) for r in self.requests],
            "feedback": [(f.observer, f.firm, f.kind) for f in self.feedback],
        }


# --- planning ---------------------------------------------------------------------------------
class _Planner:
    def __init__(
        self, plan: DemoPlan, history: HistoryPlan, now: datetime, days: WorkingDays | None
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.plan = plan
        self.history = history
        self.now = now
        self.today = _day(now)
        earliest = min([p.started_on for p in plan.pairings] or [self.today])
        first = min(earliest, self.today - timedelta(days=data.GROUP_REQUEST_DAYS + 30))
        self.days = days or WorkingDays(first - timedelta(days=10))
        # a visit may be logged today once the morning's round is under way
        local = now.astimezone(SHANGHAI)
        self.visit_until = self.today if local.hour >= 11 else self.today - timedelta(days=1)
        self.this_month = month_start(self.today)
        self.last_month = previous_month(self.this_month)
        self.first_day = history_start(self.today)
        self.months = [self.this_month]
        while self.months[0] > self.first_day:
            self.months.insert(0, previous_month(self.months[0]))
        self._directory()

    def rng(self, part: str) -> random.Random:
        return random.Random(f"qinqing-demo-outreach:{self.plan.seed}:{part}")

    # --- the directory as the outreach needs it -----------------------------------------------
    def _directory(self) -> None:
        plan = self.plan
        self.parent = {r.code: r.parent for r in plan.regions}
        self.level = {r.code: r.level for r in plan.regions}
        self.region_name = {r.code: r.name for r in plan.regions}
        self.lingfeng = plan.code_of(data.LINGFENG)
        self.gulin = plan.code_of(data.GULIN)
        self.chunhu = plan.code_of(data.CHUNHU)
        chengang = next(a for a in data.DEMO_ACCOUNTS if a.username == "chengang")
        self.chengang_grid = plan.code_of(chengang.region)
        self.firm = {f.uscc: f for f in plan.firms}
        self.firms_of: dict[str, list[FirmRow]] = defaultdict(list)
        for f in plan.firms:
            self.firms_of[f.grid].append(f)
        self.grids = sorted(self.firms_of)
        self.lingfeng_grids = [g for g in self.grids if g.startswith(self.lingfeng)]
        self.steward_of = {p.region: p.username for p in plan.people if p.role == "steward"}
        self.steward_of[self.chengang_grid] = chengang.username
        self.names = {p.username: p.display_name for p in plan.people}
        self.names.update({a.username: a.display_name for a in data.DEMO_ACCOUNTS})
        #: (district code, department kind) → the district's first department of that kind
        self.by_kind: dict[tuple[str, str], DeptKey] = {}
        self.by_name: dict[str, DeptKey] = {}
        for d in plan.departments:
            self.by_name.setdefault(d.name, (d.region, d.name))
            if self.level[d.region] == RegionLevel.DISTRICT:
                self.by_kind.setdefault((d.region, d.kind), (d.region, d.name))
        self.wangli_firm = plan.account_firms["wangli"]

    def ancestor(self, code: str, level: int) -> str:
        while self.level[code] != level:
            parent = self.parent[code]
            if parent is None:
                raise ValueError(f"{code} has no ancestor of level {level}")
            code = parent
        return code

    def kind_of(self, grid: str) -> str:
        if grid.startswith(self.lingfeng):
            return LINGFENG
        return GULIN if grid.startswith(self.gulin) else OTHER

    def department(self, region: str, kind: str) -> DeptKey:
        return self.by_kind[(self.ancestor(region, RegionLevel.DISTRICT), kind)]

    # --- days ---------------------------------------------------------------------------------
    def working_days(self, first: date, last: date) -> list[date]:
        out, day = [], first
        while day <= last:
            if self.days.is_working(day):
                out.append(day)
            day += timedelta(days=1)
        return out

    def working_on_or_before(self, day: date) -> date:
        while not self.days.is_working(day):
            day -= timedelta(days=1)
        return day

    def working_on_or_after(self, day: date) -> date:
        while not self.days.is_working(day):
            day += timedelta(days=1)
        return day

    def moment(self, day: date, rng: random.Random) -> datetime:
        """Office hours on ``day``, never after the load moment."""
        at = office_time(day, rng)
        if at > self.now:
            at = self.now - timedelta(minutes=rng.randint(1, 30), seconds=rng.randint(0, 59))
        return at

    # --- visits -------------------------------------------------------------------------------
    def steward_cases(self) -> dict[tuple[str, date], list[CaseRow]]:
        """(firm, month) → the demands its steward raised that month (found on a visit)."""
        out: dict[tuple[str, date], list[CaseRow]] = defaultdict(list)
        first = self.months[0]
        for c in self.history.cases:
            if c.channel != "steward" or c.submitted_at > self.now:
                continue
            day = _day(c.submitted_at)
            if first <= day <= self.today and c.firm in self.firm:
                out[(c.firm, month_start(day))].append(c)
        return out

    def key_firms(self) -> list[tuple[str, str]]:
        rng = self.rng("key-firms")
        own = max(
            self.firms_of[self.chengang_grid], key=lambda f: (f.above_scale, f.employees, f.uscc)
        )
        others = [
            f
            for g in self.lingfeng_grids
            if g != self.chengang_grid
            for f in self.firms_of[g]
            if f.industry_section == "C"
        ]
        others.sort(key=lambda f: (not f.above_scale, -f.employees, f.uscc))
        wanted = data.KEY_FIRMS_PER_LINGFENG - 1
        chosen = [own, *rng.sample(others[: 2 * wanted], min(wanted, len(others)))]
        out = []
        for f in chosen:
            reasons = data.KEY_FIRM_REASONS if f.above_scale else data.KEY_FIRM_REASONS[1:3]
            out.append((f.uscc, rng.choice(reasons)))
        return out

    def chengang_month(
        self, cases: Mapping[tuple[str, date], list[CaseRow]], key: set[str], frac: float
    ) -> tuple[set[str], set[str]]:
        """陈刚's firms missed last month, and those visited so far this month (key firms apart)."""
        rng = self.rng("chengang")
        plain = [f.uscc for f in self.firms_of[self.chengang_grid] if f.uscc not in key]
        quiet = [
            u
            for u in plain
            if not cases.get((u, self.last_month)) and not cases.get((u, self.this_month))
        ]
        missed = set(rng.sample(quiet, min(data.CHENGANG_MISSED_LAST_MONTH, len(quiet))))
        pool = [u for u in plain if u not in missed]
        must = [u for u in pool if cases.get((u, self.this_month))]
        wanted = min(round(frac * len(pool)), len(pool) - data.CHENGANG_STILL_DUE)
        rest = [u for u in pool if u not in must]
        extra = rng.sample(rest, max(0, min(len(rest), wanted - len(must))))
        return missed, {*must, *extra}

    def visits(self, key_firms: Sequence[tuple[str, str]]) -> list[VisitRow]:
        rng = self.rng("visits")
        cases = self.steward_cases()
        key = {u for u, _ in key_firms}
        rates = {
            LINGFENG: data.LINGFENG_VISIT_RATE,
            GULIN: data.GULIN_VISIT_RATE,
            OTHER: data.OTHER_VISIT_RATE,
        }
        all_now = self.working_days(self.this_month, month_end(self.this_month))
        so_far = [d for d in all_now if d <= self.visit_until]
        frac = len(so_far) / len(all_now)
        cg_missed, cg_now = self.chengang_month(cases, key, frac)
        take_up = self.take_up()
        span = (self.today - self.first_day).days or 1
        rows: list[VisitRow] = []
        missed_before: set[str] = set()
        for month in self.months:
            progress = min(1.0, (month_end(month) - self.first_day).days / span)
            current = month == self.this_month
            days = so_far if current else self.working_days(month, month_end(month))
            half = (month_end(month).day + 1) // 2  # a key firm's first visit is due by then
            missed: set[str] = set()
            for grid in self.grids:
                kind = self.kind_of(grid)
                rate = rng.uniform(*rates[kind])
                if kind != LINGFENG:
                    start = take_up[self.ancestor(grid, RegionLevel.DISTRICT)]
                    rate *= start + (1 - start) * progress
                for firm in self.firms_of[grid]:
                    is_key = firm.uscc in key
                    if grid == self.chengang_grid and month == self.last_month:
                        count = 0 if firm.uscc in cg_missed else 2 if is_key else 1
                    elif grid == self.chengang_grid and current and not is_key:
                        count = 1 if firm.uscc in cg_now else 0
                    elif is_key:
                        first = rng.random() < (1.0 if current else min(1.0, rate + 0.06))
                        second = rng.random() < data.KEY_FIRM_SECOND_VISIT
                        if current:
                            second = second and self.today.day > 20
                        count = int(first) + int(first and second)
                    else:
                        p = rate * frac if current else rate
                        if current and firm.uscc in missed_before:
                            p = min(1.0, 1.3 * p)  # the overdue ones first
                        count = int(rng.random() < p)
                    found = cases.get((firm.uscc, month), [])
                    made = self.firm_visits(firm, grid, days, half, count, is_key, found, rng)
                    rows += made
                    if len(made) < (2 if is_key else 1):
                        missed.add(firm.uscc)
            missed_before = missed
        return rows

    def take_up(self) -> dict[str, float]:
        """District code → its visit rate's factor on the first day of the history."""
        rng = self.rng("take-up")
        districts = sorted({self.ancestor(g, RegionLevel.DISTRICT) for g in self.grids})
        return {d: rng.uniform(*data.VISIT_TAKE_UP_START) for d in districts}

    def firm_visits(
        self,
        firm: FirmRow,
        grid: str,
        days: Sequence[date],
        half: int,
        count: int,
        is_key: bool,
        found: Sequence[CaseRow],
        rng: random.Random,
    ) -> list[VisitRow]:
        """The firm's visits in a month: on the days its steward raised a demand, then more."""
        steward = self.steward_of[grid]
        by_day: dict[date, CaseRow] = {}
        for c in sorted(found, key=lambda c: c.submitted_at):
            by_day.setdefault(_day(c.submitted_at), c)
        picked = sorted(by_day)
        free = [d for d in days if d not in by_day]
        need = count - len(picked)
        if need > 0 and free:
            early = [d for d in free if d.day <= half]
            if is_key and not picked and early:
                first = rng.choice(early)
                picked.append(first)
                later = [d for d in free if d.day > half] or [d for d in free if d != first]
                if need > 1 and later:
                    picked.append(rng.choice(later))
            else:
                picked += rng.sample(free, min(need, len(free)))
        rows = []
        for day in sorted(picked):
            met, topics, policies = self.visit_text(firm, day, rng)
            case = by_day.get(day)
            if case is not None:
                problems, number, logged = case.description, case.number, case.submitted_at
            else:
                spot = rng.random() < data.SPOT_PROBLEM_RATE
                problems = rng.choice(data.SPOT_PROBLEMS) if spot else ""
                number, logged = None, self.moment(day, rng)
            rows.append(
                VisitRow(
                    firm=firm.uscc,
                    grid=grid,
                    steward=steward,
                    visited_on=day,
                    logged_at=logged,
                    met_person=met,
                    topics=topics,
                    policies=policies,
                    problems=problems,
                    demand=number,
                )
            )
        return rows

    def visit_text(self, firm: FirmRow, day: date, rng: random.Random) -> tuple[str, str, str]:
        if rng.random() < 0.55:
            met = f"{firm.legal_representative}（{rng.choice(data.MET_TITLES)}）"
        else:
            surname = rng.choice(data.SURNAMES)
            met = f"{rng.choice(data.MET_DEPARTMENTS)}{surname}{rng.choice(data.MET_POSITIONS)}"
        topics = rng.sample(data.VISIT_TOPICS, rng.choice((1, 1, 2)))
        season = data.SEASONAL_TOPICS.get(day.month, [])
        if season and rng.random() < 0.35:
            topics.insert(0, rng.choice(season))
        policies: list[str] = []
        if rng.random() < data.POLICY_RATE:
            seasonal = data.SEASONAL_POLICIES.get(day.month, [])
            if seasonal and rng.random() < 0.6:
                policies.append(rng.choice(seasonal))
            if not policies or rng.random() < 0.25:
                other = rng.choice(list(data.POLICIES))
                if other not in policies:
                    policies.append(other)
        text = "；".join(f"{p}：{data.POLICIES[p]}" for p in policies)
        return met, "；".join(topics) + "。", text + ("。" if text else "")

    # --- meetings -----------------------------------------------------------------------------
    def follow_up(
        self,
        spec: tuple[str, str, str],
        region: str,
        organizer: str,
        held: date,
        due_days: tuple[int, int],
        rng: random.Random,
        overdue: bool = False,
    ) -> FollowUpRow:
        title, kind, result = spec
        row = FollowUpRow(title=title, due_on=held + timedelta(days=rng.randint(*due_days)))
        if kind:
            row.department = self.department(region, kind)
        else:
            row.owner = organizer
        if overdue:
            if row.due_on >= self.today:
                row.due_on = max(held + timedelta(days=1), self.today - timedelta(days=1))
            return row
        if row.due_on >= self.today and rng.random() < 0.6:
            return row  # open, not yet due
        if row.due_on < self.today and rng.random() < 0.12:
            done = row.due_on + timedelta(days=rng.randint(1, 6))  # a few finished late
        else:
            done = held + timedelta(days=rng.randint(1, max(1, (row.due_on - held).days)))
        done = self.working_on_or_after(min(done, self.today))
        if done > self.today:
            done = self.working_on_or_before(self.today)
        if done <= held:
            return row  # held a day or two ago: nothing done yet
        row.done_at, row.result = self.moment(done, rng), result
        return row

    def invitations(
        self,
        firms: Sequence[str],
        created: datetime,
        starts: datetime,
        held: bool,
        rng: random.Random,
        *,
        answered: float = 1.0,
    ) -> list[InvitationRow]:
        """Invited firms: most registered, a few declined or silent; attendance when held."""
        rows = []
        latest = min(starts, self.now)
        for firm in firms:
            r = rng.random()
            row = InvitationRow(firm=firm)
            if r < data.ROUNDTABLE_DECLINE:
                row.status = Invitation.Status.DECLINED
            elif r < data.ROUNDTABLE_DECLINE + data.ROUNDTABLE_NO_REPLY or rng.random() > answered:
                pass
            else:
                row.status = Invitation.Status.REGISTERED
                row.registered_at = created + (latest - created) * rng.uniform(0.05, 0.9)
                if held and rng.random() < data.ROUNDTABLE_ATTEND:
                    row.attended = True
                    row.checked_in_at = starts - timedelta(minutes=rng.randint(0, 20))
            rows.append(row)
        return rows

    def roundtable_day(self, quarter: _Quarter, rng: random.Random) -> date:
        """A Tuesday–Thursday between the 8th and the 25th of the quarter's middle month."""
        month = date(quarter.year, quarter.start.month + 1, 1)
        days = self.working_days(month.replace(day=8), month.replace(day=25))
        return rng.choice([d for d in days if d.weekday() in (1, 2, 3)] or days)

    def next_thursday(self) -> date:
        monday = self.today + timedelta(days=7 - self.today.weekday())
        return self.working_on_or_after(monday + timedelta(days=3))

    def roundtables(self, visits: Sequence[VisitRow]) -> list[MeetingRow]:
        rng = self.rng("roundtables")
        current = _Quarter.of(self.today)
        quarters = [current]
        while quarters[0].start > self.first_day:
            quarters.insert(0, quarters[0].previous)
        thursday = self.next_thursday()
        visits_by_grid: dict[str, list[date]] = defaultdict(list)
        for v in visits:
            visits_by_grid[v.grid].append(v.visited_on)
        rows: list[MeetingRow] = []
        for grid in self.lingfeng_grids:
            steward = self.steward_of[grid]
            slots = []
            for quarter in quarters:
                day = self.roundtable_day(quarter, rng)
                if (
                    grid == self.chengang_grid
                    and quarter == current
                    and (_Quarter.of(thursday) == current or day >= self.today)
                ):
                    continue  # his roundtable of this quarter is next Thursday's
                slots.append((quarter, day))
            # 陈刚's last roundtable held leaves an item overdue
            held = [i for i, (_, day) in enumerate(slots) if self.is_held(day)]
            overdue = held[-1] if grid == self.chengang_grid and held else None
            for i, (quarter, day) in enumerate(slots):
                count = sum(1 for d in visits_by_grid[grid] if quarter.start <= d < day)
                rows.append(
                    self.roundtable(grid, steward, quarter, day, count, rng, overdue=i == overdue)
                )
            if grid == self.chengang_grid:
                quarter = _Quarter.of(thursday)
                rows.append(self.roundtable(grid, steward, quarter, thursday, 0, rng))
        return rows

    def is_held(self, day: date) -> bool:
        """A roundtable starts at 14:30 and lasts two hours."""
        return _at(day, 14, 30) < self.now - timedelta(hours=2)

    def roundtable(
        self,
        grid: str,
        steward: str,
        quarter: _Quarter,
        day: date,
        visits_made: int,
        rng: random.Random,
        *,
        overdue: bool = False,
    ) -> MeetingRow:
        starts = _at(day, 14, 30)
        held = self.is_held(day)
        created = min(
            office_time(self.days.nth_before(day, rng.randint(8, 12)), rng),
            self.now - timedelta(days=rng.randint(2, 4), minutes=rng.randint(0, 600)),
        )
        grid_name = self.region_name[grid]
        meeting = MeetingRow(
            kind="roundtable",
            title=f"{grid_name}{quarter.year}年第{quarter.number}季度企业负责人座谈会",
            region=grid,
            organizer=steward,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            place=data.ROUNDTABLE_PLACE,
            agenda=data.ROUNDTABLE_AGENDA,
            created_at=created,
            capacity=data.ROUNDTABLE_CAPACITY,
        )
        firms = [f.uscc for f in self.firms_of[grid]]
        answered = 1.0 if held else 0.7
        meeting.invitations = self.invitations(firms, created, starts, held, rng, answered=answered)
        if not held:
            return meeting
        meeting.status = Meeting.Status.HELD
        specs = rng.sample(data.ROUNDTABLE_FOLLOW_UPS, rng.randint(1, 3))
        meeting.follow_ups = [self.follow_up(s, grid, steward, day, (14, 30), rng) for s in specs]
        if overdue:
            spec = next(s for s in data.ROUNDTABLE_FOLLOW_UPS if s not in specs)
            item = self.follow_up(spec, grid, steward, day, (14, 20), rng, overdue=True)
            meeting.follow_ups.insert(0, item)
        attended = sum(1 for i in meeting.invitations if i.attended)
        policies = rng.sample(data.SEASONAL_POLICIES.get(day.month) or list(data.POLICIES), 1)
        policies += rng.sample([p for p in data.POLICIES if p not in policies], 1)
        issues = rng.sample(data.ROUNDTABLE_ISSUES, 2)
        decided = "；".join(f"{i}. {f.title}" for i, f in enumerate(meeting.follow_ups, start=1))
        # the visits of the quarter so far, when the history reaches back to its start
        reported = f"走访企业{visits_made}家次" if quarter.start >= self.months[0] else "走访企业"
        meeting.minutes = (
            f"{day.year}年{day.month}月{day.day}日下午，{self.names[steward]}在"
            f"{data.ROUNDTABLE_PLACE}主持召开{grid_name}企业负责人座谈会，{attended}家企业负责人"
            f"参加。会议通报了本季度{reported}的情况，解读了{policies[0]}、"
            f"{policies[1]}等政策。企业主要反映：{issues[0]}；{issues[1]}。"
            f"会议议定：{decided}。亲清观察员通报：本季度未收到对管家和部门工作人员不当行为的反映。"
        )
        return meeting

    def other_meetings(self) -> list[MeetingRow]:
        rng = self.rng("meetings")
        rows = []
        chambers = {c.name: [m.firm for m in c.members] for c in self.plan.chambers}
        for spec in data.OTHER_MEETINGS:
            region = self.plan.code_of(spec.region)
            day = self.working_on_or_before(self.today - timedelta(days=spec.days_back))
            starts = _at(day, 9, 30)
            created = office_time(self.days.nth_before(day, rng.randint(8, 12)), rng)
            title = spec.title
            if spec.kind == "joint":
                quarter = _Quarter.of(day)
                title = f"{title}（{quarter.year}年第{quarter.number}季度）"
            meeting = MeetingRow(
                kind=spec.kind,
                title=title,
                region=region,
                organizer=spec.organizer,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2, minutes=30),
                place=spec.place,
                agenda=spec.agenda,
                created_at=created,
                status=Meeting.Status.HELD,
                capacity=spec.capacity,
                chamber=spec.chamber,
            )
            for kind in spec.departments:
                key = self.department(region, kind)
                if key not in meeting.departments:
                    meeting.departments.append(key)
            if spec.firms:
                if spec.chamber:
                    pool = sorted(chambers[spec.chamber])
                else:
                    pool = sorted(
                        f.uscc
                        for g in self.grids
                        if g.startswith(region)
                        for f in self.firms_of[g]
                        if f.above_scale
                    )
                firms = rng.sample([u for u in pool if u != self.wangli_firm], spec.firms - 1)
                firms.append(self.wangli_firm)
                meeting.invitations = self.invitations(firms, created, starts, True, rng)
            for user in spec.users:
                meeting.invitations.append(
                    InvitationRow(
                        user=user,
                        status=Invitation.Status.REGISTERED,
                        registered_at=created + timedelta(days=1, minutes=rng.randint(0, 300)),
                        attended=True,
                        checked_in_at=starts - timedelta(minutes=rng.randint(0, 15)),
                    )
                )
            meeting.follow_ups = [
                self.follow_up(s, region, spec.organizer, day, (20, 45), rng)
                for s in spec.follow_ups
            ]
            firms_there = sum(1 for i in meeting.invitations if i.firm and i.attended)
            decided = "；".join(
                f"{i}. {f.title}" for i, f in enumerate(meeting.follow_ups, start=1)
            )
            who = f"{len(meeting.departments)}个部门负责同志"
            if firms_there:
                who += f"和{firms_there}家企业负责人"
            meeting.minutes = (
                f"{day.year}年{day.month}月{day.day}日上午，{self.names[spec.organizer]}主持召开"
                f"{title}，{who}参加。会上反映的主要问题：{'；'.join(spec.issues)}。"
                f"相关部门逐一作了答复。会议议定：{decided}。各责任部门按期办结并反馈落实情况。"
            )
            rows.append(meeting)
        return rows

    # --- pairing contacts ---------------------------------------------------------------------
    def contacts(self) -> list[ContactRow]:
        rng = self.rng("pairings")
        current = _Quarter.of(self.today)
        previous = current.previous
        liu = sorted(
            (p for p in self.plan.pairings if p.official == "liujianguo"), key=lambda p: p.firm
        )
        judged = [p for p in liu if p.started_on <= previous.start] or liu
        behind = rng.choice(judged).firm if judged else None
        kinds = list(data.PAIRING_CONTACT_KINDS)
        weights = [data.PAIRING_CONTACT_KINDS[k][0] for k in kinds]
        elapsed = (self.today - current.start).days / ((current.end - current.start).days + 1)
        rows = []
        for p in self.plan.pairings:
            quarter = _Quarter.of(p.started_on)
            while quarter <= current:
                first, last = max(quarter.start, p.started_on), min(quarter.end, self.today)
                mine = p.official == "liujianguo"
                if mine and p.firm == behind and quarter in (previous, current):
                    count = 0
                elif quarter == current:
                    count = 1 if mine or rng.random() < 0.3 + elapsed else 0
                elif mine and quarter == previous:
                    count = rng.choice((1, 1, 1, 2))
                else:
                    count = rng.choices((0, 1, 2), weights=(4, 82, 14))[0]
                days = self.working_days(first, last) or [last]
                for day in sorted(rng.sample(days, min(count, len(days)))):
                    kind = rng.choices(kinds, weights=weights)[0]
                    note = rng.choice(data.PAIRING_CONTACT_KINDS[kind][1])
                    rows.append(
                        ContactRow(p.official, p.firm, kind, day, note, self.moment(day, rng))
                    )
                quarter = quarter.next
        return rows

    # --- activities ---------------------------------------------------------------------------
    def activities(self) -> list[ActivityRow]:
        rng = self.rng("activities")
        gulin_firms = sorted(
            (f for g in self.grids if g.startswith(self.gulin) for f in self.firms_of[g]),
            key=lambda f: f.uscc,
        )
        rows = []
        for spec in data.ACTIVITIES:
            target = self.today + timedelta(days=spec.days)
            if spec.days < 0:
                day = self.working_on_or_before(target)
            else:
                day = self.working_on_or_after(target)
            starts = _at(day, 14)
            closes = _at(self.days.nth_before(day, 1), 17)
            created = min(
                office_time(self.days.nth_before(day, 20), rng), self.now - timedelta(days=5)
            )
            activity = ActivityRow(
                title=spec.title,
                description=spec.description,
                region=self.gulin,
                sections=list(spec.sections),
                starts_at=starts,
                closes_at=closes,
                place=data.ACTIVITY_PLACE,
                capacity=data.ACTIVITY_CAPACITY,
                organizer="zhouhua",
                created_at=created,
            )
            eligible = [
                f.uscc
                for f in gulin_firms
                if f.uscc != self.wangli_firm
                and (not spec.sections or f.industry_section in spec.sections)
            ]
            firms = rng.sample(eligible, spec.registered + spec.waiting - 1)
            firms.insert(rng.randint(0, spec.registered // 2), self.wangli_firm)
            activity.registrations = self.registrations(spec, firms, activity, rng)
            rows.append(activity)
        return rows

    def registrations(
        self,
        spec: data.ActivitySpec,
        firms: Sequence[str],
        activity: ActivityRow,
        rng: random.Random,
    ) -> list[RegistrationRow]:
        """First come first seated, then the waiting list; each cancellation seats the first
        one waiting (whose registration then takes the moment of promotion, as the service
        does); check-ins and feedback once the activity is over."""
        end = min(activity.closes_at, self.now)
        span = (end - activity.created_at).total_seconds()
        moments = sorted(
            activity.created_at + timedelta(seconds=span * rng.random() ** 1.6) for _ in firms
        )
        rows = []
        for i, (firm, at) in enumerate(zip(firms, moments, strict=True)):
            takes_seat = i < spec.registered
            rows.append(
                RegistrationRow(
                    firm=firm,
                    status=(
                        Registration.Status.REGISTERED
                        if takes_seat
                        else Registration.Status.WAITLISTED
                    ),
                    created_at=at,
                    registered_by="wangli" if firm == self.wangli_firm else None,
                )
            )
        waiting = [r for r in rows if r.status == Registration.Status.WAITLISTED]
        seated = [r for r in rows if r.status == Registration.Status.REGISTERED]
        leaving = rng.sample([r for r in seated if r.firm != self.wangli_firm], spec.cancelled)
        cancellations = sorted(
            ((r.created_at + (end - r.created_at) * rng.uniform(0.2, 0.9), r) for r in leaving),
            key=lambda pair: pair[0],
        )
        for moment, r in cancellations:
            r.status = Registration.Status.CANCELLED
            if waiting:
                first = waiting.pop(0)
                wait = timedelta(minutes=rng.randint(1, 600))
                promoted = min(max(moment, first.created_at + wait), end)
                first.status, first.created_at = Registration.Status.REGISTERED, promoted
        if activity.starts_at < self.now:
            ratings = [5, 4, 3]
            for r in rows:
                if r.status != Registration.Status.REGISTERED:
                    continue
                if r.firm != self.wangli_firm and rng.random() > spec.checked_in:
                    continue
                r.checked_in_at = activity.starts_at - timedelta(minutes=rng.randint(0, 25))
                if r.firm == self.wangli_firm:
                    r.rating, r.feedback = 5, data.ACTIVITY_FEEDBACK[5][0]
                elif rng.random() < spec.rated:
                    r.rating = rng.choices(ratings, weights=(55, 35, 10))[0]
                    r.feedback = rng.choice(data.ACTIVITY_FEEDBACK[r.rating])
        return sorted(rows, key=lambda r: r.created_at)

    # --- the Chunhu service group ---------------------------------------------------------------
    def group(self) -> tuple[list[ServiceRow], list[RequestRow]]:
        rng = self.rng("group")
        services = [
            ServiceRow(self.by_name[name], service, description)
            for name, service, description in data.GROUP_SERVICES
        ]
        firms = sorted(
            f.uscc for g in self.grids if g.startswith(self.chunhu) for f in self.firms_of[g]
        )
        first = self.today - timedelta(days=data.GROUP_REQUEST_DAYS)
        old = self.working_days(first, self.today - timedelta(days=30))
        recent = self.working_days(self.today - timedelta(days=21), self.visit_until)
        solved = data.GROUP_REQUESTS_SOLVED
        fates = ["solved"] * solved + ["closed"] * data.GROUP_REQUESTS_CLOSED
        days = sorted(rng.sample(old, len(fates)))
        rng.shuffle(fates)
        fates += ["open"] * data.GROUP_REQUESTS_OPEN
        days += sorted(rng.sample(recent, data.GROUP_REQUESTS_OPEN))
        order = list(services)
        rng.shuffle(order)
        rows = []
        for i, (fate, day) in enumerate(zip(fates, days, strict=True)):
            service = order[i % len(order)]
            topic, description, reply = rng.choice(data.GROUP_REQUEST_TEXTS[service.name])
            created = self.moment(day, rng)
            row = RequestRow(
                firm=rng.choice(firms),
                service=service.name,
                topic=topic,
                description=description,
                status=fate,
                created_at=created,
            )
            if fate == "solved":
                done = self.days.nth_after(day, rng.randint(3, 25))
                solved_at = max(self.moment(min(done, self.today), rng), created)
                row = replace(row, department=service.department, reply=reply, solved_at=solved_at)
            elif fate == "closed":
                row = replace(row, reply=data.GROUP_CLOSE_REASON)
            elif i % 3 != 0:  # open: two taken by the service's department, one waiting
                row = replace(row, department=service.department)
            rows.append(row)
        return services, rows

    # --- observers ----------------------------------------------------------------------------
    def feedback(self) -> list[FeedbackRow]:
        rng = self.rng("observers")
        observers = sorted(
            (p.username, p.firm)
            for p in self.plan.people
            if p.role == "observer" and p.firm is not None
        )
        lintao = ("lintao", self.plan.account_firms["lintao"])
        days = self.working_days(
            self.today - timedelta(days=data.OBSERVER_FEEDBACK_DAYS), self.visit_until
        )
        texts: list[tuple[tuple[str, str], str, str]] = [
            (lintao, "routine", data.OBSERVER_ROUTINE[0]),
            (lintao, "routine", data.OBSERVER_ROUTINE[2]),
        ]
        for _ in range(data.OBSERVER_FEEDBACK_ROUTINE - 2):
            texts.append((rng.choice(observers), "routine", rng.choice(data.OBSERVER_ROUTINE)))
        for text in data.OBSERVER_CONCERNS:
            texts.append((rng.choice(observers), "concern", text))
        moments = sorted(self.moment(d, rng) for d in rng.sample(days, len(texts)))
        rng.shuffle(texts)
        rows = []
        for ((observer, firm), kind, text), at in zip(texts, moments, strict=True):
            subject = self.steward_of[self.firm[firm].grid] if "管家" in text else None
            rows.append(FeedbackRow(observer, firm, kind, text, at, subject))
        return rows

    def run(self) -> OutreachPlan:
        key_firms = self.key_firms()
        visits = self.visits(key_firms)
        meetings = self.roundtables(visits) + self.other_meetings()
        meetings.sort(key=lambda m: (m.starts_at, m.title))
        services, requests = self.group()
        region, per_month, key, roundtables = data.VISIT_RULE
        return OutreachPlan(
            now=self.now,
            rule=(self.plan.code_of(region), per_month, key, roundtables),
            key_firms=key_firms,
            visits=visits,
            meetings=meetings,
            contacts=self.contacts(),
            activities=self.activities(),
            services=services,
            requests=requests,
            feedback=self.feedback(),
        )


def plan_outreach(
    plan: DemoPlan, history: HistoryPlan, now: datetime, days: WorkingDays | None = None
) -> OutreachPlan:
    """The outreach of the year before ``now`` for ``plan``'s seed (no writes)."""
    return _Planner(plan, history, now, days).run()


# --- writing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutreachCounts:
    visits: int
    key_firms: int
    meetings: int
    invitations: int
    follow_ups: int
    pairing_contacts: int
    activities: int
    registrations: int
    group_services: int
    group_requests: int
    observer_feedback: int


def _chunks(rows: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _stamp(model: type[models.Model], rows: Sequence[Any], moments: Sequence[datetime]) -> None:
    """bulk_create sets an auto_now_add ``created_at`` to the present: put the plan's back.

    One parametrised UPDATE run for many rows (``executemany``): bulk_update would build a
    CASE expression per row, which for 30,000 visits costs seconds.
    """
    created_at = model._meta.get_field("created_at")
    pk = model._meta.pk
    assert isinstance(created_at, models.Field) and pk is not None
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(model._meta.db_table)} SET {qn(created_at.column)} = %s "
        f"WHERE {qn(pk.column)} = %s"
    )
    values = []
    for row, moment in zip(rows, moments, strict=True):
        row.created_at = moment
        values.append((created_at.get_db_prep_value(moment, connection), row.pk))
    with connection.cursor() as cursor:
        for chunk in _chunks(values):
            cursor.executemany(sql, chunk)


def write_outreach(
    outreach: OutreachPlan,
    *,
    regions: Mapping[str, Region],
    firms: Mapping[str, Enterprise],
    departments: Mapping[DeptKey, Department],
    users: Mapping[str, Any],
    progress: bool = False,
) -> OutreachCounts:
    """Bulk-insert the plan: rule, key firms, visits, meetings, contacts, activities, the
    group's services and requests, observer feedback."""
    region, per_month, key, roundtables = outreach.rule
    VisitRule.objects.create(
        region=regions[region],
        visits_per_month=per_month,
        key_firm_visits_per_month=key,
        roundtables_per_quarter=roundtables,
    )
    KeyFirm.objects.bulk_create(
        KeyFirm(enterprise=firms[uscc], reason=reason) for uscc, reason in outreach.key_firms
    )
    # visits, linked to the demands their problems became
    demand_ids = dict(Demand.objects.values_list("number", "pk"))
    # the ~36,000 visits as tuples, with the moment each was logged: no model instance per
    # row and no second pass for ``created_at`` (``bulk.insert`` writes it as given)
    visits = insert(
        Visit,
        (
            "enterprise_id",
            "grid_id",
            "steward_id",
            "visited_on",
            "met_person",
            "topics",
            "policies_explained",
            "problems",
            "demand_id",
            "created_at",
        ),
        [
            (
                firms[v.firm].pk,
                regions[v.grid].pk,
                users[v.steward].pk,
                v.visited_on,
                v.met_person,
                v.topics,
                v.policies,
                v.problems,
                demand_ids[v.demand] if v.demand else None,
                v.logged_at,
            )
            for v in outreach.visits
        ],
        desc="走访",
        progress=progress,
    )
    # meetings with their departments, invitations and follow-up items
    chambers = dict(Chamber.objects.values_list("name", "pk"))
    meetings = Meeting.objects.bulk_create(
        Meeting(
            kind=m.kind,
            title=m.title,
            region=regions[m.region],
            organizer=users[m.organizer],
            chamber_id=chambers[m.chamber] if m.chamber else None,
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            place=m.place,
            agenda=m.agenda,
            capacity=m.capacity,
            minutes=m.minutes,
            status=m.status,
        )
        for m in outreach.meetings
    )
    _stamp(Meeting, meetings, [m.created_at for m in outreach.meetings])
    through = Meeting.departments.through
    through.objects.bulk_create(
        through(meeting_id=meeting.pk, department_id=departments[key].pk)
        for meeting, m in zip(meetings, outreach.meetings, strict=True)
        for key in m.departments
    )
    invitations = [
        Invitation(
            meeting=meeting,
            enterprise=firms[i.firm] if i.firm else None,
            user=users[i.user] if i.user else None,
            status=i.status,
            registered_at=i.registered_at,
            attended=i.attended,
            checked_in_at=i.checked_in_at,
        )
        for meeting, m in zip(meetings, outreach.meetings, strict=True)
        for i in m.invitations
    ]
    Invitation.objects.bulk_create(invitations, batch_size=BATCH)
    follow_ups = [
        FollowUp(
            meeting=meeting,
            title=f.title,
            owner=users[f.owner] if f.owner else None,
            department=departments[f.department] if f.department else None,
            due_on=f.due_on,
            done_at=f.done_at,
            result=f.result,
        )
        for meeting, m in zip(meetings, outreach.meetings, strict=True)
        for f in m.follow_ups
    ]
    FollowUp.objects.bulk_create(follow_ups)
    # pairing contacts
    pairings = {
        (p.official.username, p.enterprise.uscc): p
        for p in Pairing.objects.select_related("official", "enterprise")
    }
    contacts = PairingContact.objects.bulk_create(
        PairingContact(
            pairing=pairings[(c.official, c.firm)],
            kind=c.kind,
            contacted_on=c.contacted_on,
            note=c.note,
            logged_by=users[c.official],
        )
        for c in outreach.contacts
    )
    _stamp(PairingContact, contacts, [c.logged_at for c in outreach.contacts])
    # activities and registrations
    activities = Activity.objects.bulk_create(
        Activity(
            kind="briefing",
            title=a.title,
            description=a.description,
            region=regions[a.region],
            industry_sections=a.sections,
            starts_at=a.starts_at,
            place=a.place,
            capacity=a.capacity,
            registration_closes_at=a.closes_at,
            organizer=users[a.organizer],
        )
        for a in outreach.activities
    )
    _stamp(Activity, activities, [a.created_at for a in outreach.activities])
    registrations = [
        Registration(
            activity=activity,
            enterprise=firms[r.firm],
            registered_by=users[r.registered_by] if r.registered_by else None,
            status=r.status,
            created_at=r.created_at,
            checked_in_at=r.checked_in_at,
            feedback_rating=r.rating,
            feedback_text=r.feedback,
        )
        for activity, a in zip(activities, outreach.activities, strict=True)
        for r in a.registrations
    ]
    Registration.objects.bulk_create(registrations)
    # the Chunhu group's services and requests
    group = ServiceGroup.objects.get(name=data.CHUNHU_GROUP_NAME)
    services = {
        s.name: s
        for s in GroupService.objects.bulk_create(
            GroupService(
                group=group,
                department=departments[s.department],
                name=s.name,
                description=s.description,
            )
            for s in outreach.services
        )
    }
    requests = GroupRequest.objects.bulk_create(
        GroupRequest(
            group=group,
            enterprise=firms[r.firm],
            service=services[r.service],
            topic=r.topic,
            description=r.description,
            department=departments[r.department] if r.department else None,
            status=r.status,
            reply=r.reply,
            solved_at=r.solved_at,
        )
        for r in outreach.requests
    )
    _stamp(GroupRequest, requests, [r.created_at for r in outreach.requests])
    # observers' notes
    feedback = ObserverFeedback.objects.bulk_create(
        ObserverFeedback(
            observer=users[f.observer],
            enterprise=firms[f.firm],
            subject=users[f.subject] if f.subject else None,
            kind=f.kind,
            text=f.text,
        )
        for f in outreach.feedback
    )
    _stamp(ObserverFeedback, feedback, [f.created_at for f in outreach.feedback])
    return OutreachCounts(
        visits=visits,
        key_firms=len(outreach.key_firms),
        meetings=len(meetings),
        invitations=len(invitations),
        follow_ups=len(follow_ups),
        pairing_contacts=len(contacts),
        activities=len(activities),
        registrations=len(registrations),
        group_services=len(services),
        group_requests=len(requests),
        observer_feedback=len(feedback),
    )


__all__ = [
    "OutreachCounts",
    "OutreachPlan",
    "VisitRow",
    "plan_outreach",
    "write_outreach",
]
