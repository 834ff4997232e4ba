"""Routing rules and two and a half years of demand history for the demo, from the seed.

``plan_history`` computes everything without writing: the routing rules of every district
(and the Chunhu street's own offices), then about 8,700 cases from the first day of the
half-year four half-years before the load's own (``history_start``) to the load moment,
with their timelines. ``write_history`` bulk-inserts the plan.

Each case is simulated step by step under the rules of the live services: a step may only
be one of ``workflow.TRANSITIONS`` and sets or clears the timers as ``services.demand_act``
does (dispatch restarts the acceptance timer, waiting for the firm pauses the resolution
timer, the third rejection makes the case disputed), and the deadline sweep's moves are
replayed where the sweep would have made them (a reminder at 80 % of the resolution timer,
escalation at breach, auto-close five working days after an unrated reply). The simulation
stops at the load moment: a case whose next step lies in the future stays open in the state
it has reached, so the last weeks hold every open state. A few scripted cases make sure the
demo accounts of USERS.md find work waiting for them.

Randomness comes only from the seed (each case has its own generator, drawn from the seed),
so the same seed and the same load moment give the same cases; a later load moment shifts
them with it. Working days come from one ``WorkingCalendar`` read into a sorted list: the
deadlines follow the rule of ``deadline_after`` without a query per case.
"""

from __future__ import annotations

import contextlib
import random
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import F, Max, OuterRef, Subquery
from tqdm import tqdm

from qinqing.common.workdays import SHANGHAI, WorkingCalendar, end_of_day
from qinqing.demands.models import (
    Assist,
    Category,
    Demand,
    DemandCounter,
    DemandEvent,
    Extension,
    RoutingRule,
)
from qinqing.demands.workflow import MAX_REOPENS, OPEN_STATES, TRANSITIONS, Action, State
from qinqing.directory.models import Department, DepartmentKind, Enterprise, Region, RegionLevel

from . import data
from .bulk import insert
from .generate import DemoPlan

BATCH = 1000
EVENT = (
    "demand_id",
    "action",
    "actor_id",
    "from_state",
    "to_state",
    "department_id",
    "note",
    "internal",
    "created_at",
)
#: department key: (region code, department name), unique in the dataset
DeptKey = tuple[str, str]

ZHAOMIN_DEPARTMENT: DeptKey = ("330203", "海曙区市场监督管理局")
#: the states the deadline sweep reminds and escalates
SWEPT_STATES = (State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS)
REMIND_NOTE = "办结期限已过80%，请抓紧办理。"
ESCALATE_NOTE = "已超过办结期限，自动督办并通知协调员和监督员。"


# --- working days ---------------------------------------------------------------------------
class WorkingDays:
    """The working days from ``first`` on, read once per day from one ``WorkingCalendar``.

    The same rule as ``qinqing.common.workdays`` (administrators' settings, then the State
    Council schedule), as a sorted list: a deadline is a bisection, not a query.
    """

    def __init__(self, first: date, calendar: WorkingCalendar | None = None) -> None:
        self.calendar = calendar or WorkingCalendar()
        self.first = first
        self.last = first - timedelta(days=1)
        self.days: list[date] = []
        self._set: set[date] = set()

    def _extend(self, until: date) -> None:
        if until <= self.last:
            return
        # read ahead in chunks, but not into a later year before it is needed (a year the
        # calendar package does not know yet is logged as a warning)
        until = max(until, min(self.last + timedelta(days=90), date(until.year, 12, 31)))
        start = self.last + timedelta(days=1)
        self.calendar.ensure_loaded(start, until)
        day = start
        while day <= until:
            if self.calendar.is_working_day(day):
                self.days.append(day)
                self._set.add(day)
            day += timedelta(days=1)
        self.last = until

    def is_working(self, day: date) -> bool:
        if day < self.first:
            raise ValueError(f"{day} is before the first day loaded ({self.first})")
        self._extend(day)
        return day in self._set

    def nth_after(self, day: date, n: int) -> date:
        """The ``n``-th working day strictly after ``day`` (``n`` = 0: ``day``)."""
        if n <= 0:
            return day
        self._extend(day)
        while True:
            i = bisect_right(self.days, day) + n - 1
            if i < len(self.days):
                return self.days[i]
            self._extend(self.last + timedelta(days=2 * n + 30))

    def nth_before(self, day: date, n: int) -> date:
        """The ``n``-th working day strictly before ``day`` (``n`` ≥ 1)."""
        self._extend(day)
        i = bisect_left(self.days, day) - n
        if i < 0:
            raise ValueError(f"fewer than {n} working days loaded before {day}")
        return self.days[i]

    def between(self, start: datetime, end: datetime) -> int:
        """Working days d with start's day < d ≤ end's day (Shanghai), as working_days_between."""
        first, last = _day(start), _day(end)
        if last <= first:
            return 0
        self._extend(last)
        return bisect_right(self.days, last) - bisect_right(self.days, first)

    def deadline(self, start: datetime, working_days: int) -> datetime:
        """deadline_after: 23:59:59 on the n-th working day after start's day (Shanghai)."""
        return end_of_day(self.nth_after(_day(start), working_days))


def history_start(today: date) -> date:
    """The first day of the history: the start of the half-year ``HISTORY_HALF_YEARS``
    before the one holding ``today`` (2024-07-01 for any day of 2026H2)."""
    year, half = today.year, 0 if today.month <= 6 else 1
    back = year * 2 + half - data.HISTORY_HALF_YEARS
    return date(back // 2, 1 if back % 2 == 0 else 7, 1)


def _day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def _at(day: date, minutes: int, seconds: int = 0) -> datetime:
    return datetime.combine(day, time(minutes // 60, minutes % 60, seconds), tzinfo=SHANGHAI)


def office_time(day: date, rng: random.Random) -> datetime:
    """A moment of office hours on ``day``: mostly morning and afternoon, a few at lunch."""
    r = rng.random()
    if r < 0.48:
        minutes = rng.randint(8 * 60 + 30, 11 * 60 + 59)
    elif r < 0.95:
        minutes = rng.randint(13 * 60 + 30, 17 * 60 + 29)
    else:
        minutes = rng.randint(12 * 60, 13 * 60 + 29)
    return _at(day, minutes, rng.randint(0, 59))


# --- the plan -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CategorySpec:
    code: str
    parent: str | None
    acceptance_days: int
    response_days: int
    resolution_days: int


@dataclass(frozen=True)
class RuleRow:
    region: str  # code
    category: str
    department: DeptKey


@dataclass
class EventRow:
    action: str
    at: datetime
    actor: str | None  # username
    from_state: str
    to_state: str
    department: DeptKey | None
    note: str = ""
    internal: bool = False


@dataclass
class AssistRow:
    department: DeptKey
    part: str
    at: datetime
    reply: str = ""
    status: str = Assist.Status.OPEN


@dataclass
class ExtensionRow:
    days: int
    reason: str
    requested_by: str | None
    at: datetime


@dataclass
class CaseRow:
    firm: str  # USCC
    region_path: str
    category: str
    title: str
    description: str
    channel: str
    submitted_by: str | None
    submitted_at: datetime
    number: str = ""
    state: str = State.SUBMITTED
    department: DeptKey | None = None
    version: int = 1
    supervised: bool = False
    reopen_count: int = 0
    accept_due_at: datetime | None = None
    response_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    first_response_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    paused_at: datetime | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    reply: str = ""
    satisfaction: str = ""
    rating: int | None = None
    rating_comment: str = ""
    not_rated: bool = False
    events: list[EventRow] = field(default_factory=list)
    assists: list[AssistRow] = field(default_factory=list)
    extensions: list[ExtensionRow] = field(default_factory=list)


@dataclass
class HistoryPlan:
    now: datetime
    rules: list[RuleRow]
    cases: list[CaseRow]  # in number order
    counters: dict[int, int]  # year → last number issued

    def signature(self) -> list[tuple[str, str, str, str, str]]:
        """(number, firm, category, channel, state) of every case: what the seed decides."""
        return [(c.number, c.firm, c.category, c.channel, c.state) for c in self.cases]


@dataclass(frozen=True)
class Fate:
    """How a case's life goes; the simulation draws the times."""

    withdraw: bool = False
    returned: bool = False
    transfer: bool = False
    wait_firm: bool = False
    assist: bool = False
    start: bool = True
    late: bool = False
    rejects: int = 0  # the third rejection makes the case disputed
    rates: bool = True  # else auto-closed unrated
    satisfaction: str = ""  # drawn when empty
    rating: int | None = None
    comment: str | None = None
    #: the steps that have not happened by the load moment (the case waits before them)
    hold: frozenset[str] = frozenset()
    #: reply on this working day after the day of submission
    reply_day: int | None = None
    #: ask for this many working days more after starting (a pending extension)
    extension_days: int = 0


@dataclass(frozen=True)
class _Firm:
    uscc: str
    grid: str
    town: str
    district: str
    path: str
    weight: float


class _Stop(Exception):
    """The case's next step lies after the load moment, or is held: it stays as it is."""


def category_specs() -> dict[str, CategorySpec]:
    """The categories the history uses, with their deadlines, as stored."""
    return {
        c.code: CategorySpec(
            c.code,
            c.parent.code if c.parent else None,
            c.acceptance_days,
            c.response_days,
            c.resolution_days,
        )
        for c in Category.objects.select_related("parent").filter(
            code__in=data.CATEGORY_WEIGHTS, active=True
        )
    }


class _Planner:
    def __init__(
        self,
        plan: DemoPlan,
        categories: Mapping[str, CategorySpec],
        now: datetime,
        days: WorkingDays | None,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.plan = plan
        self.categories = dict(categories)
        self.now = now
        self.today = _day(now)
        self.first_day = history_start(self.today)
        self.days = days or WorkingDays(self.first_day - timedelta(days=60))
        self.auto_close_days: int = getattr(settings, "DEMAND_AUTO_CLOSE_DAYS", 5)
        self.gulin = plan.code_of(data.GULIN)
        self.lingfeng = plan.code_of(data.LINGFENG)
        self.wangli_firm = plan.account_firms["wangli"]
        self._directory()
        self.rules = self._rules()

    # --- the directory as the history needs it ------------------------------------------------
    def _directory(self) -> None:
        parent = {r.code: r.parent for r in self.plan.regions}
        level = {r.code: r.level for r in self.plan.regions}

        def path(code: str) -> str:
            chain = [code]
            while parent[chain[-1]] is not None:
                chain.append(parent[chain[-1]])  # type: ignore[arg-type]
            return "/" + "/".join(reversed(chain)) + "/"

        def ancestor(code: str, wanted: int) -> str:
            while level[code] != wanted:
                code = parent[code]  # type: ignore[assignment]
            return code

        self.firms: dict[str, _Firm] = {}
        for f in self.plan.firms:
            town = ancestor(f.grid, RegionLevel.TOWN)
            weight = 1.0
            if f.grid.startswith(self.lingfeng):
                weight = data.LINGFENG_FIRM_WEIGHT
            if f.above_scale:
                weight *= data.ABOVE_SCALE_FIRM_WEIGHT
            self.firms[f.uscc] = _Firm(
                f.uscc, f.grid, town, ancestor(town, RegionLevel.DISTRICT), path(f.grid), weight
            )
        self.pool = [f for f in self.firms.values() if f.uscc != self.wangli_firm]
        self.pool_weights = list(accumulate(f.weight for f in self.pool))
        #: district code → department kind → the district's own department of that kind
        self.by_kind: dict[str, dict[str, DeptKey]] = {}
        self.district_departments: dict[str, list[DeptKey]] = {}
        for d in self.plan.departments:
            if level[d.region] != RegionLevel.DISTRICT:
                continue
            self.by_kind.setdefault(d.region, {}).setdefault(d.kind, (d.region, d.name))
            self.district_departments.setdefault(d.region, []).append((d.region, d.name))
        self.stewards = {p.region: p.username for p in self.plan.people if p.role == "steward"}
        chengang = next(a for a in data.DEMO_ACCOUNTS if a.username == "chengang")
        self.stewards[self.plan.code_of(chengang.region)] = chengang.username

    def _rules(self) -> dict[tuple[str, str], DeptKey]:
        rules: dict[tuple[str, str], DeptKey] = {}
        for district, kinds in self.by_kind.items():
            for category, wanted in data.ROUTING_KINDS.items():
                if category not in self.categories:
                    continue
                department = next((kinds[k] for k in wanted if k in kinds), None)
                if department is not None:
                    rules[(district, category)] = department
        for town_name in data.ROUTING_TOWNS:
            town = self.plan.code_of(town_name)
            district = next(f.district for f in self.firms.values() if f.town == town)
            for (region, category), department in list(rules.items()):
                if region == district:
                    rules[(town, category)] = department
        chunhu = self.plan.code_of(data.CHUNHU)
        local = {(d.region, d.name) for d in self.plan.departments if d.region == chunhu}
        for category, name in data.CHUNHU_ROUTING.items():
            if category in self.categories and (chunhu, name) in local:
                rules[(chunhu, category)] = (chunhu, name)
        return rules

    def route(self, firm: _Firm, category: str) -> DeptKey | None:
        """services.route: the nearest region's rule, then the nearest category's."""
        chain: list[str] = []
        node: str | None = category
        while node is not None:
            chain.append(node)
            node = self.categories[node].parent if node in self.categories else None
        for region in (firm.grid, firm.town, firm.district):
            for code in chain:
                rule = self.rules.get((region, code))
                if rule is not None:
                    return rule
        return None

    def department_of_kind(self, firm: _Firm, kinds: Sequence[str], rng: random.Random) -> DeptKey:
        own = self.by_kind[firm.district]
        found = [own[k] for k in kinds if k in own]
        return rng.choice(found) if found else own[DepartmentKind.ECONOMY]

    def other_department(self, firm: _Firm, wrong: DeptKey | None, rng: random.Random) -> DeptKey:
        return rng.choice([d for d in self.district_departments[firm.district] if d != wrong])

    # --- who acts -----------------------------------------------------------------------------
    def coordinator(self, firm: _Firm) -> str | None:
        return "zhouhua" if firm.town == self.gulin else None

    def firm_user(self, firm: _Firm) -> str | None:
        return "wangli" if firm.uscc == self.wangli_firm else None

    @staticmethod
    def handler(department: DeptKey | None) -> str | None:
        return "zhaomin" if department == ZHAOMIN_DEPARTMENT else None

    def submitter(self, firm: _Firm, channel: str) -> str | None:
        if channel == "portal":
            return self.firm_user(firm)
        if channel == "steward":
            return self.stewards.get(firm.grid)
        if channel == "phone":
            return self.coordinator(firm)
        return None

    # --- time ---------------------------------------------------------------------------------
    def later(self, t: datetime, days: int, rng: random.Random) -> datetime:
        """A moment ``days`` working days after ``t``'s day; 0: later the same working day
        while the office is open, else the next working day."""
        local = t.astimezone(SHANGHAI)
        if days == 0 and self.days.is_working(local.date()):
            if local.hour < 8:
                return office_time(local.date(), rng)
            candidate = local + timedelta(minutes=rng.randint(10, 180), seconds=rng.randint(0, 59))
            if candidate.date() == local.date() and candidate.hour < 18:
                return candidate
        return office_time(self.step_day(local.date(), max(days, 1)), rng)

    def step_day(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` for a step; past the load day any day will do:
        the step lies after the load moment and does not happen."""
        if day >= self.today and n >= 1:
            return day + timedelta(days=n)
        return self.days.nth_after(day, n)

    def lag(self, rng: random.Random) -> timedelta:
        """The sweep runs every few minutes."""
        return timedelta(minutes=rng.randint(1, 5), seconds=rng.randint(0, 59))

    # --- cases --------------------------------------------------------------------------------
    def new_case(
        self,
        firm: _Firm,
        category: str,
        channel: str,
        submitted_at: datetime,
        text: tuple[str, str],
    ) -> CaseRow:
        return CaseRow(
            firm=firm.uscc,
            region_path=firm.path,
            category=category,
            title=text[0],
            description=text[1],
            channel=channel,
            submitted_by=self.submitter(firm, channel),
            submitted_at=submitted_at,
        )

    def draw_fate(self, rng: random.Random, late_factor: float = 1.0) -> Fate:
        p = data.HISTORY_FATES
        return Fate(
            withdraw=rng.random() < p["withdraw"],
            returned=rng.random() < p["returned"],
            transfer=rng.random() < p["transfer"],
            wait_firm=rng.random() < p["wait_firm"],
            assist=rng.random() < p["assist"],
            start=rng.random() < p["start"],
            late=rng.random() < p["late"] * late_factor,
            rejects=rng.choices(range(4), weights=data.REJECT_WEIGHTS)[0],
            rates=rng.random() >= p["unrated"],
        )

    def organic(self) -> list[CaseRow]:
        rng = random.Random(f"qinqing-demo-history:{self.plan.seed}")
        codes = [c for c in data.CATEGORY_WEIGHTS if c in self.categories]
        month_weights = {
            month: list(
                accumulate(
                    data.CATEGORY_WEIGHTS[c] * data.CATEGORY_SEASONS.get(c, {}).get(month, 1.0)
                    for c in codes
                )
            )
            for month in range(1, 13)
        }
        channels = list(data.CHANNEL_WEIGHTS)
        channel_weights = list(accumulate(data.CHANNEL_WEIGHTS.values()))
        span = (self.today - self.first_day).days
        districts = random.Random(f"qinqing-demo-history-districts:{self.plan.seed}")
        late_factors = {
            district: (
                districts.uniform(*data.HISTORY_LATE_FACTOR_START),
                districts.uniform(*data.HISTORY_LATE_FACTOR_END),
            )
            for district in sorted({f.district for f in self.firms.values()})
        }
        cases = []
        for offset in range(1, span + 1):
            day = self.first_day + timedelta(days=offset)
            if not self.days.is_working(day):
                continue
            progress = offset / span
            growth = data.HISTORY_START_FACTOR + (1 - data.HISTORY_START_FACTOR) * progress
            mean = data.HISTORY_CASES_PER_WORKING_DAY * data.HISTORY_MONTH_FACTOR[day.month]
            mean *= growth
            count = max(0, round(rng.gauss(mean, mean**0.5)))
            for _ in range(count):
                firm = rng.choices(self.pool, cum_weights=self.pool_weights)[0]
                category = rng.choices(codes, cum_weights=month_weights[day.month])[0]
                channel = rng.choices(channels, cum_weights=channel_weights)[0]
                text = rng.choice(data.DEMAND_TEXTS[category])
                if channel in ("portal", "api") and rng.random() < 0.12:  # evenings online
                    at = _at(day, rng.randint(18 * 60, 22 * 60 + 29), rng.randint(0, 59))
                else:
                    at = office_time(day, rng)
                case_rng = random.Random(rng.getrandbits(64))
                if at >= self.now:  # later today
                    continue
                case = self.new_case(firm, category, channel, at, text)
                first, last = late_factors[firm.district]
                late = first + (last - first) * progress
                _Case(self, case, self.draw_fate(case_rng, late), case_rng).run()
                cases.append(case)
        return cases

    # --- the demo accounts' cases (USERS.md) --------------------------------------------------
    def ago(self, working_days: int, rng: random.Random) -> datetime:
        """Office hours ``working_days`` working days before the load day."""
        return office_time(self.days.nth_before(self.today, working_days), rng)

    def at_fraction(self, category: str, low: float, high: float, rng: random.Random) -> datetime:
        """A submission moment whose resolution timer has run ``low``–``high`` by now."""
        days = self.categories[category].resolution_days
        candidates = []
        for back in range(1, 3 * days + 20):
            start = _at(self.days.nth_before(self.today, back), 10 * 60)
            due = self.days.deadline(start, days)
            fraction = (self.now - start) / (due - start)
            if low <= fraction < high and abs(due - self.now) > timedelta(hours=6):
                candidates.append(start)
        if not candidates:  # an odd calendar: the nearest working day before the timer ends
            return _at(self.days.nth_before(self.today, days), 10 * 60)
        return rng.choice(candidates) + timedelta(minutes=rng.randint(0, 50))

    def scripted(self) -> list[CaseRow]:
        rng = random.Random(f"qinqing-demo-scripted:{self.plan.seed}")
        gulin = sorted(
            (f for f in self.pool if f.town == self.gulin and f.district == ZHAOMIN_DEPARTMENT[0]),
            key=lambda f: f.uscc,
        )
        wangli = self.firms[self.wangli_firm]
        texts = data.DEMAND_TEXTS
        specs: list[tuple[_Firm, str, str, datetime, tuple[str, str], Fate]] = []

        def add(
            firm: _Firm,
            category: str,
            channel: str,
            at: datetime,
            fate: Fate,
            text: tuple[str, str] | None = None,
        ) -> None:
            if category in texts:
                text = text or rng.choice(texts[category])
                specs.append((firm, category, channel, at, text, fate))

        held_reply = frozenset({Action.REPLY})
        # 赵敏 (海曙区市场监督管理局): overdue, near the deadline, new, waiting for the firm
        for i in range(3):
            at = self.at_fraction("market", 1.1, 2.0, rng)
            add(rng.choice(gulin), "market", "phone", at, Fate(start=i > 0, hold=held_reply))
        for i in range(3):
            at = self.at_fraction("market", 0.82, 0.97, rng)
            fate = Fate(hold=held_reply, extension_days=3 if i == 0 else 0)
            add(rng.choice(gulin), "market", "steward", at, fate)
        for _ in range(2):
            fate = Fate(hold=frozenset({Action.ACCEPT}))
            add(rng.choice(gulin), "market", "portal", self.ago(1, rng), fate)
        fate = Fate(wait_firm=True, hold=frozenset({Action.RESUME}))
        add(rng.choice(gulin), "market", "steward", self.ago(3, rng), fate)
        # 周华 (古林镇): unassigned, returned by the bureau, disputed
        for category in ("other", "infrastructure", "other"):
            fate = Fate(hold=frozenset({Action.DISPATCH}))
            add(rng.choice(gulin), category, "phone", self.ago(1, rng), fate)
        for _ in range(2):
            fate = Fate(returned=True, hold=frozenset({Action.DISPATCH}))
            add(rng.choice(gulin), "market", "phone", self.ago(2, rng), fate)
        for i in range(2):
            fate = Fate(rejects=3, hold=frozenset({Action.CLOSE}))
            add(rng.choice(gulin), "policy", "portal", self.ago(30 + 4 * i, rng), fate)
        # 王丽: two closed and rated, one replied waiting for her rating, one in progress
        comment = "办理很及时，谢谢！"
        fate = Fate(satisfaction="satisfied", rating=5, comment=comment)
        add(wangli, "tax", "portal", self.ago(120, rng), fate)
        fate = Fate(satisfaction="basic", rating=4, comment="问题基本解决，时间有点长。")
        add(wangli, "policy", "steward", self.ago(60, rng), fate)
        hold = frozenset({Action.RATE, Action.REJECT, Action.AUTO_CLOSE})
        recruiting = texts["labour"][0]  # 招工难，希望协助对接外地劳务
        fate = Fate(reply_day=3, hold=hold)
        add(wangli, "labour", "portal", self.ago(5, rng), fate, recruiting)
        power = texts["permit-power"][0]  # 用电增容审批卡在供电所两个月了
        add(wangli, "permit-power", "portal", self.ago(4, rng), Fate(hold=held_reply), power)
        cases = []
        for firm, category, channel, at, text, fate in specs:
            if category not in self.categories:
                continue
            case = self.new_case(firm, category, channel, at, text)
            _Case(self, case, fate, random.Random(rng.getrandbits(64))).run()
            cases.append(case)
        return cases

    def run(self) -> HistoryPlan:
        cases = self.organic() + self.scripted()
        cases.sort(key=lambda c: c.submitted_at)  # stable: ties keep their order
        counters: dict[int, int] = {}
        for case in cases:
            year = _day(case.submitted_at).year
            counters[year] = counters.get(year, 0) + 1
            case.number = f"SQ-{year}-{counters[year]:06d}"
        rules = [RuleRow(region, cat, dept) for (region, cat), dept in self.rules.items()]
        return HistoryPlan(now=self.now, rules=rules, cases=cases, counters=counters)


class _Case:
    """One case's life under the workflow's rules, cut at the load moment."""

    def __init__(self, planner: _Planner, case: CaseRow, fate: Fate, rng: random.Random) -> None:
        self.p = planner
        self.c = case
        self.f = fate
        self.rng = rng
        self.firm = planner.firms[case.firm]
        self.category = planner.categories[case.category]
        self.t = case.submitted_at

    # --- recording ------------------------------------------------------------------------------
    def event(
        self,
        action: str,
        at: datetime,
        actor: str | None,
        before: str,
        note: str = "",
        internal: bool = False,
        department: DeptKey | None = None,
    ) -> None:
        self.c.events.append(
            EventRow(
                action,
                at,
                actor,
                before,
                self.c.state,
                department or self.c.department,
                note,
                internal,
            )
        )
        self.t = at

    def sweep(self, until: datetime) -> None:
        """The deadline sweep's moves between the last step and ``until``."""
        c, now = self.c, self.p.now
        if c.state not in SWEPT_STATES or c.resolve_due_at is None:
            return
        if c.reminded_at is None:
            threshold = c.submitted_at + (c.resolve_due_at - c.submitted_at) * 0.8
            at = max(threshold, self.t) + self.p.lag(self.rng)
            if at < until and at <= now:
                c.reminded_at = at
                self.event("remind", at, None, c.state, REMIND_NOTE, internal=True)
        if c.escalated_at is None:
            at = max(c.resolve_due_at, self.t) + self.p.lag(self.rng)
            if at < until and at <= now:
                c.escalated_at, c.supervised = at, True
                self.event("escalate", at, None, c.state, ESCALATE_NOTE)

    def reach(self, at: datetime, action: str) -> None:
        """Let time run to ``at``; stop the case if the step has not happened by the load."""
        if action in self.f.hold or at > self.p.now:
            self.sweep(self.p.now + timedelta(seconds=1))
            raise _Stop
        self.sweep(at)

    def act(
        self,
        at: datetime,
        action: str,
        *,
        actor: str | None,
        note: str = "",
        department: DeptKey | None = None,
    ) -> None:
        """One step of TRANSITIONS, with the effects services.demand_act gives it."""
        self.reach(at, action)
        c, days = self.c, self.p.days
        before = c.state
        c.state = TRANSITIONS[(before, action)][0]  # KeyError: not a move the workflow allows
        if action in (Action.DISPATCH, Action.TRANSFER):
            assert department is not None
            c.department, c.dispatched_at = department, at
            c.accept_due_at = days.deadline(at, self.category.acceptance_days)
            c.accepted_at = None
        elif action == Action.RETURN:
            c.department = None
        elif action == Action.ACCEPT:
            c.accepted_at = at
            c.first_response_at = c.first_response_at or at
        elif action == Action.START:
            c.first_response_at = c.first_response_at or at
        elif action == Action.WAIT_FIRM:
            c.paused_at = at
        elif action == Action.RESUME:
            assert c.paused_at is not None and c.resolve_due_at is not None
            paused = days.between(c.paused_at, at)
            if paused:
                c.resolve_due_at = end_of_day(days.nth_after(_day(c.resolve_due_at), paused))
            c.paused_at = None
        elif action == Action.REPLY:
            c.reply, c.replied_at = note, at
            c.first_response_at = c.first_response_at or at
        elif action == Action.RATE:
            c.closed_at = at
        elif action == Action.REJECT:
            c.reopen_count += 1
            if c.reopen_count > MAX_REOPENS:
                c.state = State.DISPUTED
            c.replied_at = None
            c.rating_comment = note
        elif action in (Action.WITHDRAW, Action.CLOSE):
            c.closed_at = at
        elif action == Action.AUTO_CLOSE:
            c.closed_at, c.not_rated = at, True
        c.version += 1
        self.event(action, at, actor, before, note)

    # --- the life -------------------------------------------------------------------------------
    def run(self) -> None:
        c, days, cat = self.c, self.p.days, self.category
        c.accept_due_at = days.deadline(c.submitted_at, cat.acceptance_days)
        c.response_due_at = days.deadline(c.submitted_at, cat.response_days)
        c.resolve_due_at = days.deadline(c.submitted_at, cat.resolution_days)
        department = self.p.route(self.firm, c.category)
        if department is not None:  # demand_submit dispatches by the rule at once
            c.state, c.department, c.dispatched_at = State.DISPATCHED, department, c.submitted_at
        self.event("submit", c.submitted_at, c.submitted_by, "")
        if department is not None:
            note = f"按派单规则自动派至{department[1]}"
            self.event(Action.DISPATCH, c.submitted_at, None, State.SUBMITTED, note)
        with contextlib.suppress(_Stop):
            self.life()

    def life(self) -> None:
        c, f, p, rng = self.c, self.f, self.p, self.rng
        coordinator, firm_user = p.coordinator(self.firm), p.firm_user(self.firm)
        if c.department is None:
            kinds = data.MANUAL_DISPATCH_KINDS.get(c.category, (DepartmentKind.ECONOMY,))
            department = p.department_of_kind(self.firm, kinds, rng)
            at = p.later(self.t, rng.choice((0, 0, 1)), rng)
            self.act(at, Action.DISPATCH, actor=coordinator, department=department)
        if f.withdraw:
            at = p.later(self.t, rng.choice((0, 0, 1)), rng)
            self.act(at, Action.WITHDRAW, actor=firm_user, note=rng.choice(data.WITHDRAW_NOTES))
            return
        if f.returned:
            at = p.later(self.t, 0, rng)
            if c.accept_due_at is not None and at <= c.accept_due_at:
                wrong = c.department
                note = rng.choice(data.RETURN_REASONS)
                self.act(at, Action.RETURN, actor=p.handler(wrong), note=note)
                department = p.other_department(self.firm, wrong, rng)
                at = p.later(self.t, rng.choice((0, 1)), rng)
                self.act(at, Action.DISPATCH, actor=coordinator, department=department)
        if f.transfer:
            department = p.other_department(self.firm, c.department, rng)
            at = p.later(self.t, rng.choice((0, 1)), rng)
            note = rng.choice(data.TRANSFER_REASONS)
            self.act(at, Action.TRANSFER, actor=coordinator, note=note, department=department)
        r = rng.random()
        delay = 0 if r < 0.72 else 1 if r < 0.95 else rng.randint(2, 3)
        self.act(p.later(self.t, delay, rng), Action.ACCEPT, actor=self.handler())
        if f.start:
            self.act(
                p.later(self.t, rng.choice((0, 0, 1)), rng), Action.START, actor=self.handler()
            )
        if f.extension_days:
            self.extension(f.extension_days)
        if f.assist:
            self.assist()
        if f.wait_firm:
            note = rng.choice(data.WAIT_FIRM_NOTES)
            at = p.later(self.t, rng.randint(0, 2), rng)
            self.act(at, Action.WAIT_FIRM, actor=self.handler(), note=note)
            at = p.later(self.t, rng.randint(1, 5), rng)
            self.act(at, Action.RESUME, actor=firm_user or self.handler())
        for round_ in range(f.rejects + 1):
            reply = rng.choice(data.DEMAND_REPLIES[c.category])
            self.act(self.reply_time(round_), Action.REPLY, actor=self.handler(), note=reply)
            if round_ == f.rejects:
                break
            at = p.later(self.t, rng.randint(0, 3), rng)
            self.act(at, Action.REJECT, actor=firm_user, note=rng.choice(data.REJECT_NOTES))
            if c.state == State.DISPUTED:
                at = p.later(self.t, rng.randint(2, 6), rng)
                self.act(at, Action.CLOSE, actor=coordinator, note=data.DISPUTE_CLOSE_NOTE)
                return
        if f.rates:
            self.rate(p.later(self.t, rng.choice((0, 1, 1, 2, 3)), rng), firm_user)
        else:
            assert c.replied_at is not None
            day = p.step_day(_day(c.replied_at), p.auto_close_days)
            at = _at(day, rng.randint(1, 9), rng.randint(0, 59))
            self.act(at, Action.AUTO_CLOSE, actor=None)

    def handler(self) -> str | None:
        return self.p.handler(self.c.department)

    def reply_time(self, round_: int) -> datetime:
        c, days, rng = self.c, self.p.days, self.rng
        if round_ > 0:
            return self.p.later(self.t, rng.randint(1, 4), rng)
        if self.f.reply_day is not None:
            at = office_time(self.p.step_day(_day(c.submitted_at), self.f.reply_day), rng)
            return at if at > self.t else self.p.later(self.t, 0, rng)
        assert c.resolve_due_at is not None
        due_day = _day(c.resolve_due_at)
        if self.f.late:
            # after the deadline, and never before a step already taken (a pause for the
            # firm may have run past the deadline)
            at = office_time(self.p.step_day(due_day, rng.randint(1, 6)), rng)
            return at if at > self.t else self.p.later(self.t, 0, rng)
        left = days.between(self.t, c.resolve_due_at)
        k = round(rng.triangular(0, left, left * 0.4)) if left > 0 else 0
        if k == 0:
            return self.p.later(self.t, 0, rng)
        return office_time(self.p.step_day(_day(self.t), k), rng)

    def rate(self, at: datetime, actor: str | None) -> None:
        c, f, rng = self.c, self.f, self.rng
        satisfaction = f.satisfaction
        if not satisfaction:
            replied, due = c.replied_at, c.resolve_due_at
            late = replied is not None and due is not None and replied > due
            troubled = c.reopen_count > 0 or late
            weights = data.SATISFACTION_TROUBLED if troubled else data.SATISFACTION_SMOOTH
            satisfaction = rng.choices(["satisfied", "basic", "unsatisfied"], weights)[0]
        ratings = data.RATINGS[satisfaction]
        rating = f.rating or rng.choices([r for r, _ in ratings], [w for _, w in ratings])[0]
        comment = (
            f.comment if f.comment is not None else rng.choice(data.RATING_COMMENTS[satisfaction])
        )
        self.act(at, Action.RATE, actor=actor, note=comment)
        c.satisfaction, c.rating, c.rating_comment = satisfaction, rating, comment

    def extension(self, days: int) -> None:
        at = self.p.later(self.t, 0, self.rng)
        self.reach(at, "extension_request")
        requested_by = self.handler()
        reason = data.EXTENSION_REASON
        self.c.extensions.append(ExtensionRow(days, reason, requested_by, at))
        note = f"申请延期{days}个工作日：{reason}"
        self.event("extension_request", at, requested_by, self.c.state, note)

    def assist(self) -> None:
        p, rng, c = self.p, self.rng, self.c
        department = p.other_department(self.firm, c.department, rng)
        at = p.later(self.t, rng.choice((0, 1)), rng)
        self.reach(at, "assist")
        part = rng.choice(data.ASSIST_PARTS)
        assist = AssistRow(department, part, at)
        c.assists.append(assist)
        note = f"请{department[1]}协办：{part}"
        self.event("assist", at, self.handler(), c.state, note, department=department)
        at = p.later(self.t, rng.randint(1, 3), rng)
        self.reach(at, "assist_reply")
        assist.reply, assist.status = rng.choice(data.ASSIST_REPLIES), Assist.Status.DONE
        actor = p.handler(department)
        self.event("assist_reply", at, actor, c.state, assist.reply, department=department)


def plan_history(
    plan: DemoPlan,
    categories: Mapping[str, CategorySpec],
    now: datetime,
    days: WorkingDays | None = None,
) -> HistoryPlan:
    """The routing rules and the year of cases before ``now`` for ``plan``'s seed (no writes)."""
    return _Planner(plan, categories, now, days).run()


# --- writing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryCounts:
    routing_rules: int
    demands: int
    open_demands: int
    demand_events: int


def _chunks(rows: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _bulk(model: Any, rows: Sequence[Any], *, desc: str, progress: bool) -> list[Any]:
    created: list[Any] = []
    disable = None if progress and len(rows) > BATCH else True
    with tqdm(
        total=len(rows), desc=desc, unit="行", file=sys.stderr, disable=disable, leave=False
    ) as bar:
        for chunk in _chunks(rows):
            created.extend(model._default_manager.bulk_create(chunk))
            bar.update(len(chunk))
    return created


Stamped = TypeVar("Stamped", Assist, Extension)


def _insert_keeping_created_at(model: type[Stamped], rows: list[Stamped]) -> None:
    """bulk_create sets an auto_now_add field to the present: put the case's moment back."""
    if not rows:
        return
    moments = [row.created_at for row in rows]
    saved = model._default_manager.bulk_create(rows)
    for row, moment in zip(saved, moments, strict=True):
        row.created_at = moment
    model._default_manager.bulk_update(saved, ["created_at"], batch_size=BATCH)


def write_history(
    history: HistoryPlan,
    *,
    regions: Mapping[str, Region],
    firms: Mapping[str, Enterprise],
    departments: Mapping[DeptKey, Department],
    users: Mapping[str, Any],
    progress: bool = False,
) -> HistoryCounts:
    """Bulk-insert the rules, the cases, their timelines, assists and extensions."""
    categories = Category.objects.in_bulk(field_name="code")

    def user(username: str | None) -> Any:
        return users[username] if username else None

    def dept(key: DeptKey | None) -> Department | None:
        return departments[key] if key else None

    RoutingRule.objects.bulk_create(
        RoutingRule(
            region=regions[r.region],
            category=categories[r.category],
            department=departments[r.department],
        )
        for r in history.rules
    )
    demands = [
        Demand(
            number=c.number,
            enterprise=firms[c.firm],
            region_path=c.region_path,
            category=categories[c.category],
            title=c.title,
            description=c.description,
            channel=c.channel,
            submitted_by=user(c.submitted_by),
            state=c.state,
            department=dept(c.department),
            version=c.version,
            supervised=c.supervised,
            reopen_count=c.reopen_count,
            submitted_at=c.submitted_at,
            accept_due_at=c.accept_due_at,
            response_due_at=c.response_due_at,
            resolve_due_at=c.resolve_due_at,
            dispatched_at=c.dispatched_at,
            accepted_at=c.accepted_at,
            first_response_at=c.first_response_at,
            replied_at=c.replied_at,
            closed_at=c.closed_at,
            paused_at=c.paused_at,
            reminded_at=c.reminded_at,
            escalated_at=c.escalated_at,
            reply=c.reply,
            satisfaction=c.satisfaction,
            rating=c.rating,
            rating_comment=c.rating_comment,
            not_rated=c.not_rated,
        )
        for c in history.cases
    ]
    created = _bulk(Demand, demands, desc="诉求", progress=progress)
    events: list[tuple[Any, ...]] = []
    assists, extensions = [], []
    for demand, c in zip(created, history.cases, strict=True):
        for e in c.events:
            actor, department = user(e.actor), dept(e.department)
            events.append(
                (
                    demand.pk,
                    e.action,
                    actor.pk if actor else None,
                    e.from_state,
                    e.to_state,
                    department.pk if department else None,
                    e.note,
                    e.internal,
                    e.at,
                )
            )
        for a in c.assists:
            assists.append(
                Assist(
                    demand=demand,
                    department=departments[a.department],
                    part=a.part,
                    status=a.status,
                    reply=a.reply,
                    created_at=a.at,
                )
            )
        for x in c.extensions:
            extensions.append(
                Extension(
                    demand=demand,
                    days=x.days,
                    reason=x.reason,
                    requested_by=user(x.requested_by),
                    created_at=x.at,
                )
            )
    # the ~27,000 timeline rows as tuples: no model instance per row (``bulk.insert``)
    insert(DemandEvent, EVENT, events, desc="办理记录", progress=progress)
    # created_at / updated_at are set on insert: put them back at the case's own moments
    _insert_keeping_created_at(Assist, assists)
    _insert_keeping_created_at(Extension, extensions)
    last_event = (
        DemandEvent.objects.filter(demand=OuterRef("pk"))
        .values("demand")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    for chunk in _chunks([d.pk for d in created]):
        Demand.objects.filter(pk__in=chunk).update(
            created_at=F("submitted_at"), updated_at=Subquery(last_event)
        )
    for year, last in history.counters.items():
        DemandCounter.objects.update_or_create(year=year, defaults={"last": last})
    return HistoryCounts(
        routing_rules=len(history.rules),
        demands=len(created),
        open_demands=sum(1 for c in history.cases if c.state in OPEN_STATES),
        demand_events=len(events),
    )


__all__ = [
    "CaseRow",
    "CategorySpec",
    "Fate",
    "HistoryCounts",
    "HistoryPlan",
    "WorkingDays",
    "category_specs",
    "plan_history",
    "write_history",
]
