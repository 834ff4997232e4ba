"""Demand statistics: each figure equals a hand count, the ranking rule, the public page
carries no personal data, the dashboard is for supervisors, coordinators and admins."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.common.models import CalendarDay
from qinqing.common.workdays import working_days_between
from qinqing.demands import statistics
from qinqing.demands.charts import monthly_chart
from qinqing.demands.models import Category, Demand
from qinqing.demands.services import demand_act, demand_merge
from qinqing.demands.statistics import (
    Figures,
    WorkdayIndex,
    dashboard_scope,
    demand_report,
    half_year,
    median_of,
    month,
    parse_period,
    rank_departments,
)
from qinqing.demands.workflow import Action, State

from ..factories import UserFactory
from .conftest import Cases

pytestmark = pytest.mark.django_db

H1_2026 = {"period": "2026H1"}


def at(text: str) -> datetime:
    """A moment in Asia/Shanghai, e.g. at("2026-03-02 10:00")."""
    return datetime.fromisoformat(f"{text}+08:00")


def act(actor: Any, demand: Demand, action: str, when: str, **extra: Any) -> Demand:
    demand.refresh_from_db()
    if action in (Action.REPLY, Action.REJECT, Action.WAIT_FIRM, Action.CLOSE):
        extra.setdefault("note", "说明")
    return demand_act(
        actor=actor,
        demand_id=demand.pk,
        action=action,
        version=demand.version,
        at=at(when),
        **extra,
    )


def rate(cases: Cases, demand: Demand, when: str, satisfaction: str, score: int) -> Demand:
    return act(cases.firm_user, demand, Action.RATE, when, satisfaction=satisfaction, rating=score)


@pytest.fixture
def district_coordinator(cases: Cases) -> User:
    user = UserFactory(username="district_coord", display_name="孙协调")
    role_grant(actor=None, user=user, role=Role.COORDINATOR, region=cases.world.district)
    return user


@pytest.fixture
def hand_built(cases: Cases) -> dict[str, Demand]:
    """Seven counted cases of the lead department in March–April 2026 and one merged duplicate.

    Tax: accept 1, respond 2, resolve 5 working days. Submitted Monday 2 March 10:00, the
    deadlines are Tue 3 March, Wed 4 March and Mon 9 March, 23:59:59 (no holiday in March).
    """
    h, firm = cases.handler, cases.firm_user
    monday = "2026-03-02 10:00"
    made: dict[str, Demand] = {}

    # A: everything on time, reply after 3 working days, 满意
    made["A"] = a = cases.submit(title="甲案标题一", submitted_at=at(monday))
    act(h, a, Action.ACCEPT, "2026-03-02 11:00")
    act(h, a, Action.REPLY, "2026-03-05 16:00")
    rate(cases, a, "2026-03-06 09:00", "satisfied", 5)

    # B: accepted late (but that is the first response, on time), reply late (8 days), 基本满意
    made["B"] = b = cases.submit(title="乙案标题二", submitted_at=at(monday))
    act(h, b, Action.ACCEPT, "2026-03-04 09:00")
    act(h, b, Action.REPLY, "2026-03-12 10:00")
    rate(cases, b, "2026-03-13 10:00", "basic", 4)

    # C: accepted and responded late; replied, rejected (reopened), replied again on
    # the last day (5 working days), 不满意
    made["C"] = c = cases.submit(title="丙案标题三", submitted_at=at(monday))
    act(h, c, Action.ACCEPT, "2026-03-05 09:00")
    act(h, c, Action.REPLY, "2026-03-06 09:00")
    act(firm, c, Action.REJECT, "2026-03-06 15:00", note="没有解决")
    act(h, c, Action.REPLY, "2026-03-09 10:00")
    rate(cases, c, "2026-03-10 10:00", "unsatisfied", 2)

    # D: accepted on time, in progress past the resolution deadline (due, unresolved)
    made["D"] = d = cases.submit(title="丁案标题四", submitted_at=at(monday))
    act(h, d, Action.ACCEPT, "2026-03-03 10:00")
    act(h, d, Action.START, "2026-03-03 11:00")

    # E: withdrawn by the firm before acceptance
    made["E"] = e = cases.submit(title="戊案标题五", submitted_at=at(monday))
    act(firm, e, Action.WITHDRAW, "2026-03-02 12:00")

    # F: accepted on time, then waiting for the firm (paused: not due)
    made["F"] = f = cases.submit(title="己案标题六", submitted_at=at(monday))
    act(h, f, Action.ACCEPT, "2026-03-02 15:00")
    act(h, f, Action.WAIT_FIRM, "2026-03-03 10:00")

    # G: April; replied the next working day, closed unrated by the sweep
    made["G"] = g = cases.submit(title="庚案标题七", submitted_at=at("2026-04-01 10:00"))
    act(h, g, Action.ACCEPT, "2026-04-01 11:00")
    act(h, g, Action.REPLY, "2026-04-02 10:00")
    act(None, g, Action.AUTO_CLOSE, "2026-04-14 10:00")

    # H: a duplicate of D, merged into it: counted nowhere
    made["H"] = dup = cases.submit(title="辛案标题八", submitted_at=at(monday))
    demand_merge(actor=cases.coordinator, duplicate_id=dup.pk, into_id=d.pk)
    return made


def report(**kwargs: Any) -> statistics.Report:
    kwargs.setdefault("period", half_year(2026, 1))
    return demand_report(**kwargs)


# --- each figure ----------------------------------------------------------------------------


def test_each_figure_equals_the_hand_count(cases: Cases, hand_built: dict[str, Demand]) -> None:
    total = report().total
    assert total.received == 7  # A–G; the merged duplicate H is left out
    assert (total.accepted, total.accepted_on_time) == (6, 4)  # late: B, C
    assert (total.responded, total.responded_on_time) == (6, 5)  # late: C
    assert total.resolved == 4  # A, B, C, G; not D (open), E (withdrawn), F (paused)
    assert (total.resolved_on_time, total.due) == (3, 5)  # late: B; due: + D overdue
    assert (total.rated, total.satisfied) == (3, 2)  # G closed unrated
    assert total.reopened == 1  # C
    # working days to resolve: A 3, B 8, C 5, G 1 → median (3 + 5) / 2
    assert total.median_days == 4.0
    assert total.accepted_on_time_rate == 66.7
    assert total.responded_on_time_rate == 83.3
    assert total.resolved_on_time_rate == 60.0
    assert total.satisfaction_rate == 66.7


def test_the_median_follows_working_days_between(
    cases: Cases, hand_built: dict[str, Demand]
) -> None:
    days = []
    for key in "ABCG":
        d = Demand.objects.get(pk=hand_built[key].pk)
        assert d.replied_at is not None
        days.append(working_days_between(d.submitted_at, d.replied_at))
    assert sorted(days) == [1, 3, 5, 8]


def test_the_department_and_category_rows_carry_the_same_counts(
    cases: Cases, hand_built: dict[str, Demand]
) -> None:
    r = report(min_cases=1)
    (lead,) = r.departments
    (tax,) = r.categories
    for row in (lead, tax):
        assert (row.received, row.resolved, row.resolved_on_time, row.due) == (7, 4, 3, 5)
        assert row.median_days == 4.0
    assert (lead.key, lead.label, lead.rank) == (cases.lead.pk, "海曙区市场监督管理局", 1)
    assert (tax.label, tax.rated, tax.satisfied) == ("税费", 3, 2)


def test_the_months_count_received_and_resolved_on_time(
    cases: Cases, hand_built: dict[str, Demand]
) -> None:
    months = report().months
    assert [m.first.month for m in months] == [1, 2, 3, 4, 5, 6]
    assert [m.received for m in months] == [0, 0, 6, 1, 0, 0]
    assert [m.resolved_on_time for m in months] == [0, 0, 2, 1, 0, 0]  # March: A and C


def test_a_month_and_a_custom_range_count_their_own_cases(
    cases: Cases, hand_built: dict[str, Demand]
) -> None:
    assert report(period=month(2026, 3)).total.received == 6
    assert report(period=month(2026, 4)).total.received == 1
    assert report(period=half_year(2026, 2)).total.received == 0
    period, error = parse_period({"from": "2026-03-03", "to": "2026-04-01"})
    assert error == "" and report(period=period).total.received == 1  # only G


def test_the_period_is_cut_at_midnight_in_shanghai(cases: Cases) -> None:
    cases.submit(submitted_at=at("2026-06-30 23:30"))  # 15:30 UTC: first half
    cases.submit(submitted_at=at("2026-07-01 00:30"))  # 16:30 UTC on 30 June: second half
    assert report(period=half_year(2026, 1)).total.received == 1
    assert report(period=half_year(2026, 2)).total.received == 1
    assert report(period=half_year(2026, 2)).months[0].received == 1


def test_a_case_closed_by_the_coordinator_after_a_dispute_is_resolved_at_closing(
    cases: Cases,
) -> None:
    h, firm = cases.handler, cases.firm_user
    d = cases.submit(submitted_at=at("2026-03-02 10:00"))
    act(h, d, Action.ACCEPT, "2026-03-02 11:00")
    for day in ("03", "04", "05"):
        act(h, d, Action.REPLY, f"2026-03-{day} 09:00")
        act(firm, d, Action.REJECT, f"2026-03-{day} 10:00", note="不行")
    d.refresh_from_db()
    assert d.state == State.DISPUTED and d.replied_at is None
    act(cases.coordinator, d, Action.CLOSE, "2026-03-06 10:00")
    total = report().total
    assert (total.resolved, total.resolved_on_time, total.reopened) == (1, 1, 1)
    assert total.median_days == 4.0  # 3, 4, 5, 6 March


# --- ranking --------------------------------------------------------------------------------


def dispatched_to_other(cases: Cases, when: str) -> Demand:
    """A case without a routing rule, dispatched by the coordinator to the tax bureau."""
    d = cases.submit(category=Category.objects.get(code="other"), submitted_at=at(when))
    act(cases.coordinator, d, Action.DISPATCH, when, department_id=cases.other.pk)
    act(cases.other_handler, d, Action.ACCEPT, when)
    act(cases.other_handler, d, Action.REPLY, when)
    return d


def test_a_department_below_the_minimum_is_not_ranked(
    cases: Cases, hand_built: dict[str, Demand], client: Any, settings: Any
) -> None:
    settings.DEMAND_STATS_MIN_CASES = 3
    dispatched_to_other(cases, "2026-03-10 10:00")
    dispatched_to_other(cases, "2026-03-11 10:00")  # 2 cases, both resolved on time
    rows = {f.label: f for f in report().departments}
    lead, tax = rows["海曙区市场监督管理局"], rows["海曙区税务局"]
    assert (lead.rank, lead.enough_cases) == (1, True)
    # 100 % on time beats the lead's 60 %, but two cases are too few to rank
    assert tax.resolved_on_time_rate == 100.0
    assert (tax.rank, tax.enough_cases) == (None, False)
    body = client.get("/stats/", H1_2026).content.decode()
    table = body.split('id="stats-departments"')[1].split("</table>")[0]
    assert re.search(r"<td>\s*<span class=\"tag\">样本不足</span></td>\s*<td>海曙区税务局", table)
    assert re.search(r"<td>1</td>\s*<td>海曙区市场监督管理局", table)


def figures(key: int, label: str, received: int, on_time: int, due: int, **kw: Any) -> Figures:
    return Figures(key=key, label=label, received=received, resolved_on_time=on_time, due=due, **kw)


def test_ranking_by_on_time_rate_then_satisfaction_with_shared_ranks() -> None:
    rows = rank_departments(
        [
            figures(1, "甲局", 10, 5, 10),
            figures(2, "乙局", 10, 9, 10, rated=4, satisfied=4),
            figures(3, "丙局", 10, 9, 10, rated=4, satisfied=2),
            figures(4, "丁局", 10, 9, 10, rated=4, satisfied=2),
            figures(5, "戊局", 9, 9, 9),
            Figures(key=None, label="待派单", received=30),
        ],
        10,
    )
    assert [(f.label, f.rank) for f in rows] == [
        ("乙局", 1),
        ("丁局", 2),
        ("丙局", 2),
        ("甲局", 4),
        ("戊局", None),
        ("待派单", None),
    ]


# --- regions and the dashboard's scope ------------------------------------------------------


def test_regions_are_grouped_by_district_then_by_town(
    cases: Cases, hand_built: dict[str, Demand], district_coordinator: User
) -> None:
    w = cases.world
    d = cases.submit(
        actor=district_coordinator,
        enterprise=w.firm_other,
        category=Category.objects.get(code="other"),
        submitted_at=at("2026-03-10 10:00"),
    )
    act(district_coordinator, d, Action.DISPATCH, "2026-03-10 10:00", department_id=cases.other.pk)
    public = report(region_groups=statistics.public_region_groups())
    assert [(f.label, f.received) for f in public.regions] == [("海曙区", 8)]
    scope = dashboard_scope(cases.supervisor)
    assert scope.root == w.district
    towns = report(condition=scope.condition, region_groups=scope.groups).regions
    assert [(f.label, f.received, f.resolved, f.median_days) for f in towns] == [
        ("古林镇", 7, 4, 4.0),
        ("高桥镇", 1, 0, None),
    ]


def test_the_coordinator_sees_their_town_and_cannot_drill_outside_it(cases: Cases) -> None:
    w = cases.world
    scope = dashboard_scope(cases.coordinator)
    assert scope.root == w.town and [r.name for r in scope.groups] == ["古林工业社区"]
    assert dashboard_scope(cases.coordinator, w.community.pk).trail == [w.town, w.community]
    with pytest.raises(LookupError):
        dashboard_scope(cases.coordinator, w.other_town.pk)
    with pytest.raises(LookupError):
        dashboard_scope(cases.coordinator, w.district.pk)
    admin = w.users["system_admin"]
    assert dashboard_scope(admin).condition is None
    assert dashboard_scope(admin, w.other_town.pk).root == w.other_town


def test_the_dashboard_lists_overdue_open_cases_per_department(
    cases: Cases, hand_built: dict[str, Demand], client: Any
) -> None:
    late = cases.submit(submitted_at=at("2026-05-04 10:00"))  # dispatched, never accepted
    rows = statistics.overdue_by_department(condition=dashboard_scope(cases.supervisor).condition)
    assert [(r.label, r.overdue_accept, r.overdue_resolve) for r in rows] == [
        ("海曙区市场监督管理局", 1, 2)  # D in progress; the late one both
    ]
    assert late.state == State.DISPATCHED
    client.force_login(cases.supervisor)
    body = client.get("/stats/dashboard/", H1_2026).content.decode()
    assert re.search(
        r"<td>海曙区市场监督管理局</td><td class=\"num\">1</td><td class=\"num\">2</td>", body
    )


# --- pages ----------------------------------------------------------------------------------


def test_the_public_page_is_open_to_anyone_and_names_no_firm_person_or_case(
    cases: Cases, hand_built: dict[str, Demand], client: Any
) -> None:
    response = client.get("/stats/", H1_2026)
    assert response.status_code == 200
    body = response.content.decode()
    assert "2026年上半年" in body and "海曙区市场监督管理局" in body and "税费" in body
    w = cases.world
    firms = [w.firm_a, w.firm_b, w.firm_other]
    forbidden = [f.name for f in firms] + [f.legal_representative for f in firms]
    forbidden += [u.display_name for u in User.objects.all() if u.display_name]
    forbidden += [d.title for d in Demand.objects.all()] + [d.number for d in Demand.objects.all()]
    forbidden += [w.firm_a.contact_phone, w.firm_a.uscc]
    assert len(forbidden) > 20
    leaked = [word for word in forbidden if word and word in body]
    assert not leaked


def test_the_dashboard_is_for_supervisors_coordinators_and_system_admins(
    cases: Cases, client: Any
) -> None:
    users = cases.world.users
    assert client.get("/stats/dashboard/").status_code == 302  # to the login page
    for role in ("steward", "enterprise", "handler", "official", "observer"):
        client.force_login(users[role])
        assert client.get("/stats/dashboard/").status_code == 403, role
        assert client.get("/stats/dashboard/export.xlsx").status_code == 403, role
    for role in ("supervisor", "coordinator", "system_admin"):
        client.force_login(users[role])
        assert client.get("/stats/dashboard/").status_code == 200, role
    client.force_login(users["coordinator"])
    other_town = cases.world.other_town.pk
    assert client.get("/stats/dashboard/", {"region": other_town}).status_code == 404


def test_the_supervisor_drills_down_to_a_town(
    cases: Cases, hand_built: dict[str, Demand], client: Any
) -> None:
    client.force_login(cases.supervisor)
    body = client.get("/stats/dashboard/", H1_2026).content.decode()
    town = cases.world.town
    assert f'href="?period=2026H1&amp;region={town.pk}">古林镇</a>' in body
    body = client.get("/stats/dashboard/", {**H1_2026, "region": town.pk}).content.decode()
    assert "诉求统计看板 · 古林镇" in body and "古林工业社区" in body


def test_an_invalid_period_falls_back_to_this_half_year_with_a_message(client: Any) -> None:
    body = client.get("/stats/", {"period": "2026H3"}).content.decode()
    assert "统计期间无效" in body
    body = client.get("/stats/", {"from": "2026-05-01", "to": "2026-04-01"}).content.decode()
    assert "结束日期不能早于开始日期" in body


def test_the_query_count_of_the_public_page_is_bounded_and_does_not_grow(
    cases: Cases, client: Any, django_assert_max_num_queries: Any
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/stats/", H1_2026).status_code == 200
        return len(queries)

    h = cases.handler
    first = cases.submit(submitted_at=at("2026-03-02 10:00"))
    act(h, first, Action.ACCEPT, "2026-03-02 11:00")
    act(h, first, Action.REPLY, "2026-03-04 11:00")
    few = count()
    for day in range(2, 13):
        d = cases.submit(submitted_at=at(f"2026-05-{day:02d} 10:00"))
        act(h, d, Action.ACCEPT, f"2026-05-{day:02d} 11:00")
        act(h, d, Action.REPLY, f"2026-05-{day + 3:02d} 11:00")
    assert count() == few
    with django_assert_max_num_queries(12):
        client.get("/stats/", H1_2026)


# --- Excel and the chart --------------------------------------------------------------------


def test_the_excel_export_opens_with_chinese_headers(
    cases: Cases, hand_built: dict[str, Demand], client: Any
) -> None:
    response = client.get("/stats/export.xlsx", H1_2026)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "2026H1.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["总体", "按区域", "按部门", "按类别", "按月"]
    departments = list(book["按部门"].iter_rows(values_only=True))
    assert departments[0][:4] == ("排名", "部门", "收件数", "已受理")
    assert "按期办结率（%）" in departments[0]
    assert departments[1][:3] == ("样本不足", "海曙区市场监督管理局", 7)  # 7 < 10
    months = list(book["按月"].iter_rows(values_only=True))
    assert months[3] == ("2026-03", 6, 2)
    summary = list(book["总体"].iter_rows(values_only=True))
    assert summary[7][:2] == ("合计", 7)


def test_the_dashboard_export_has_the_overdue_sheet(
    cases: Cases, hand_built: dict[str, Demand], client: Any
) -> None:
    client.force_login(cases.supervisor)
    response = client.get("/stats/dashboard/export.xlsx", H1_2026)
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert "逾期未办" in book.sheetnames
    rows = list(book["按区域"].iter_rows(values_only=True))
    assert rows[0][:2] == ("区域", "收件数") and rows[1][:2] == ("古林镇", 7)


def test_the_chart_is_inline_svg_without_any_url_but_the_svg_namespace(
    cases: Cases, hand_built: dict[str, Demand], client: Any
) -> None:
    body = client.get("/stats/", H1_2026).content.decode()
    svgs = re.findall(r"<svg\b.*?</svg>", body, flags=re.DOTALL)
    assert len(svgs) == 1
    svg = svgs[0]
    assert 'role="img"' in svg and "<path" in svg
    assert set(re.findall(r"https?://[^\"'\s)]+", svg)) == {"http://www.w3.org/2000/svg"}
    assert "<!--" not in svg and "<?xml" not in body and "<script" not in svg
    assert not re.search(r"<(img|image|link)\b", body.split("<main", 1)[1])


def test_a_department_name_cannot_escape_the_chart() -> None:
    month_row = statistics.MonthFigures(date(2026, 3, 1), date(2026, 3, 31), 3, 1)
    svg = monthly_chart(
        [month_row], title="--><script>alert(1)</script>", received="收件", on_time="按期"
    )
    assert "<script" not in svg and "<!--" not in svg


def test_a_chart_is_drawn_once_for_the_same_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    from qinqing.demands import charts

    drawn: list[str] = []
    real = charts._monthly_chart

    def counting(*args: Any, **kwargs: Any) -> Any:
        drawn.append(kwargs["title"])
        return real(*args, **kwargs)

    monkeypatch.setattr(charts, "_monthly_chart", counting)
    rows = [statistics.MonthFigures(date(2026, 3, 1), date(2026, 3, 31), 7, 5)]
    first = monthly_chart(rows, title="每月收件（缓存）", received="收件", on_time="按期")
    again = monthly_chart(rows, title="每月收件（缓存）", received="收件", on_time="按期")
    assert first == again and len(drawn) == 1
    rows[0].received = 8  # other figures: drawn anew
    assert monthly_chart(rows, title="每月收件（缓存）", received="收件", on_time="按期") != first
    assert len(drawn) == 2


# --- the pieces -----------------------------------------------------------------------------


def test_periods_parse_half_years_months_and_ranges() -> None:
    now = at("2026-11-28 12:00")
    assert parse_period({}, now=now) == (half_year(2026, 2), "")
    assert parse_period({"period": "2026H1"}, now=now)[0].last == date(2026, 6, 30)
    assert parse_period({"period": "2026-02"}, now=now)[0].last == date(2026, 2, 28)
    period, error = parse_period({"from": "2025-12-15", "to": "2026-01-10"}, now=now)
    assert error == "" and [m.label for m in period_months(period)] == ["2025-12", "2026-01"]
    for bad in ({"period": "2026-13"}, {"from": "2026-02-30", "to": "2026-03-01"}):
        fallback, message = parse_period(bad, now=now)
        assert fallback == half_year(2026, 2) and message
    too_long = {"from": "2024-01-01", "to": "2026-06-30"}
    assert parse_period(too_long, now=now)[1]
    assert half_year(2026, 1).start == at("2026-01-01 00:00")
    assert half_year(2026, 1).end == at("2026-07-01 00:00")


def period_months(period: statistics.Period) -> list[statistics.MonthFigures]:
    return report(period=period).months


def test_the_median_of_a_histogram() -> None:
    assert median_of({}) is None
    assert median_of({5: 1}) == 5
    assert median_of({1: 1, 3: 1, 5: 1, 8: 1}) == 4.0
    assert median_of({2: 3, 9: 1}) == 2
    assert median_of({1: 2, 4: 2}) == 2.5


def test_the_workday_index_agrees_with_working_days_between(db: Any) -> None:
    CalendarDay.objects.create(date=date(2026, 3, 16), is_working_day=False, name="测试")
    index = WorkdayIndex(date(2025, 12, 31))
    start = at("2026-01-01 09:00")
    moments = [start + timedelta(days=i, hours=7 * i) for i in range(0, 320, 3)]
    for first in moments[::5]:
        for last in moments:
            assert index.between(first, last) == working_days_between(first, last)
