"""走访: rules up the region tree, the steward's month, logging a visit, coverage, the API.

In ``world`` the steward holds 古林第一网格 (firm_a), the coordinator 古林镇 (firm_a and
firm_b), the supervisor 海曙区 (all three firms).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant, token_issue
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import is_working_day
from qinqing.demands.models import Category, Channel, Demand
from qinqing.demands.permissions import submit_channels
from qinqing.directory.models import Enterprise, Region
from qinqing.outreach import visits
from qinqing.outreach.models import Invitation, KeyFirm, Meeting, Visit, VisitFile, VisitRule
from tests import uploads

from ..conftest import World
from ..factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = uploads.png()
PDF = uploads.pdf()


def visit(
    firm: Enterprise, day: date, steward: User, *, grid: Region | None = None, **kw: Any
) -> Visit:
    """A visit as stored (past months cannot be logged through the service any more)."""
    return Visit.objects.create(
        enterprise=firm, grid=grid or firm.grid, steward=steward, visited_on=day, **kw
    )


def status_of(user: User, firm: Enterprise, month: date, on: date) -> str:
    plan = visits.month_plan(user=user, month=month, on=on)
    return {f.pk: f.status for f in plan.rows}[firm.pk]


def grid_row(report: visits.Coverage, grid: Region) -> visits.CoverageRow:
    return next(r for r in report.rows if r.key == grid.pk)


@pytest.fixture
def steward(world: World) -> User:
    return world.users["steward"]


@pytest.fixture
def supervisor(world: World) -> User:
    return world.users["supervisor"]


@pytest.fixture
def coordinator(world: World) -> User:
    return world.users["coordinator"]


@pytest.fixture
def permit() -> Category:
    category, _created = Category.objects.get_or_create(
        code="permit",
        defaults={"name": "审批许可", "acceptance_days": 1, "response_days": 2},
    )
    return category


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def log(actor: User, firm: Enterprise, **kw: Any) -> Visit:
    values: dict[str, Any] = {
        "actor": actor,
        "enterprise": firm,
        "visited_on": visits.today(),
        "met_person": "王丽",
        "topics": "了解用电增容进展",
    }
    values.update(kw)
    return visits.visit_log(**values)


# --- months ---------------------------------------------------------------------------------
def test_a_visit_on_31_january_counts_for_january_and_one_on_1_february_for_february(
    world: World, steward: User, supervisor: User
) -> None:
    visit(world.firm_a, date(2026, 1, 31), steward)
    visit(world.firm_b, date(2026, 2, 1), steward)
    on = date(2026, 3, 10)

    january = visits.coverage(user=supervisor, month=date(2026, 1, 1), level="grid", on=on)
    february = visits.coverage(user=supervisor, month=date(2026, 2, 1), level="grid", on=on)

    assert (grid_row(january, world.grid_a).met, grid_row(january, world.grid_b).met) == (1, 0)
    assert (grid_row(february, world.grid_a).met, grid_row(february, world.grid_b).met) == (0, 1)
    assert status_of(steward, world.firm_a, date(2026, 1, 1), on) == "visited"
    assert status_of(steward, world.firm_a, date(2026, 2, 1), on) == "overdue"


def test_the_last_day_of_a_month_is_not_late_and_the_first_of_the_next_is_overdue(
    world: World, steward: User
) -> None:
    visit(world.firm_a, date(2026, 1, 10), steward)  # January met
    february = date(2026, 2, 1)
    assert status_of(steward, world.firm_a, february, on=date(2026, 2, 28)) == "due"
    # on 1 March, February has ended without a visit
    assert status_of(steward, world.firm_a, february, on=date(2026, 3, 1)) == "overdue"


def test_visits_in_the_spring_festival_holiday_count_like_any_other_day(
    world: World, steward: User, supervisor: User
) -> None:
    KeyFirm.objects.create(enterprise=world.firm_a)
    spring_festival = date(2026, 2, 17)
    assert not is_working_day(spring_festival)
    visit(world.firm_a, date(2026, 2, 16), steward)
    visit(world.firm_a, spring_festival, steward)

    report = visits.coverage(
        user=supervisor, month=date(2026, 2, 1), level="grid", on=date(2026, 3, 2)
    )

    row = grid_row(report, world.grid_a)
    assert (row.firms, row.met, row.overdue, row.visits) == (1, 1, 0, 2)


def test_a_month_is_a_calendar_month_in_shanghai() -> None:
    assert visits.month_end(date(2026, 2, 5)) == date(2026, 2, 28)
    assert visits.month_end(date(2028, 2, 5)) == date(2028, 2, 29)
    assert visits.previous_month(date(2026, 1, 15)) == date(2025, 12, 1)
    assert visits.parse_month("2026-01") == date(2026, 1, 1)
    assert visits.parse_month("2026-13") is None
    assert visits.parse_month("一月") is None


# --- rules ----------------------------------------------------------------------------------
def test_without_a_rule_a_firm_needs_one_visit_and_a_key_firm_two(world: World) -> None:
    rule = visits.rule_for(world.grid_a)
    assert (rule.visits_per_month, rule.key_firm_visits_per_month, rule.region) == (1, 2, None)


def test_a_district_rule_is_inherited_by_its_grids_until_a_nearer_rule_says_otherwise(
    world: World, steward: User, supervisor: User
) -> None:
    VisitRule.objects.create(region=world.district, visits_per_month=3, key_firm_visits_per_month=4)
    assert visits.rule_for(world.grid_a).region == world.district
    assert visits.rule_for(world.grid_a).visits_per_month == 3

    VisitRule.objects.create(region=world.town, visits_per_month=2, key_firm_visits_per_month=3)
    assert visits.rule_for(world.grid_a).region == world.town
    assert visits.rule_for(world.grid_other).region == world.district

    plan = visits.month_plan(user=supervisor, month=date(2026, 5, 1), on=date(2026, 5, 2))
    assert plan.counts["total"] == 0  # a supervisor has no portfolio
    rows = visits.with_month(Enterprise.objects.all(), date(2026, 5, 1), date(2026, 5, 2))
    required = {f.pk: f.required for f in rows}
    assert required == {world.firm_a.pk: 2, world.firm_b.pk: 2, world.firm_other.pk: 3}


def test_with_very_many_rules_the_nearest_one_is_looked_up_per_firm(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(visits, "MAX_CASE_RULES", 0)
    VisitRule.objects.create(region=world.district, visits_per_month=3, key_firm_visits_per_month=4)
    VisitRule.objects.create(region=world.town, visits_per_month=2, key_firm_visits_per_month=5)
    KeyFirm.objects.create(enterprise=world.firm_b)
    rows = visits.with_month(Enterprise.objects.all(), date(2026, 5, 1), date(2026, 5, 2))
    required = {f.pk: f.required for f in rows}
    assert required == {world.firm_a.pk: 2, world.firm_b.pk: 5, world.firm_other.pk: 3}


def test_key_firms_need_two_visits_on_different_days(world: World, steward: User) -> None:
    KeyFirm.objects.create(enterprise=world.firm_a)
    may, on = date(2026, 5, 1), date(2026, 6, 3)
    visit(world.firm_a, date(2026, 5, 6), steward)
    visit(world.firm_a, date(2026, 5, 6), steward, topics="同一天又去了一次")
    assert status_of(steward, world.firm_a, may, on) == "overdue"

    visit(world.firm_a, date(2026, 5, 20), steward)
    plan = visits.month_plan(user=steward, month=may, on=on)
    row = next(iter(plan.rows))
    assert (row.required, row.done, row.status, row.is_key) == (2, 2, "visited", True)


def test_a_key_firm_not_visited_by_mid_month_is_overdue_and_an_ordinary_one_is_not(
    world: World, steward: User
) -> None:
    june = date(2026, 6, 1)
    visit(world.firm_a, date(2026, 5, 3), steward)
    visit(world.firm_a, date(2026, 5, 23), steward)  # May met, even for a key firm
    assert status_of(steward, world.firm_a, june, on=date(2026, 6, 29)) == "due"

    KeyFirm.objects.create(enterprise=world.firm_a)
    # 30-day June, two visits: the first is due by the 15th
    assert status_of(steward, world.firm_a, june, on=date(2026, 6, 15)) == "due"
    assert status_of(steward, world.firm_a, june, on=date(2026, 6, 16)) == "overdue"
    visit(world.firm_a, date(2026, 6, 16), steward)
    assert status_of(steward, world.firm_a, june, on=date(2026, 6, 16)) == "due"


def test_a_firm_not_visited_last_month_is_overdue_from_the_first_day(
    world: World, steward: User
) -> None:
    assert status_of(steward, world.firm_a, date(2026, 7, 1), on=date(2026, 7, 1)) == "overdue"
    visit(world.firm_a, date(2026, 7, 2), steward)
    assert status_of(steward, world.firm_a, date(2026, 7, 1), on=date(2026, 7, 2)) == "visited"


def test_a_coordinator_sets_a_rule_and_a_steward_cannot(
    world: World, steward: User, coordinator: User
) -> None:
    rule = visits.visit_rule_set(
        actor=coordinator, region=world.grid_b, visits_per_month=2, key_firm_visits_per_month=3
    )
    assert visits.rule_for(world.grid_b).region == world.grid_b
    assert AuditEntry.objects.filter(action="visit.rule_set", object_id=str(rule.pk)).exists()
    with pytest.raises(NotPermitted):
        visits.visit_rule_set(
            actor=steward, region=world.grid_a, visits_per_month=2, key_firm_visits_per_month=2
        )
    with pytest.raises(NotPermitted):  # 高桥镇 is not the coordinator's
        visits.visit_rule_set(
            actor=coordinator,
            region=world.other_town,
            visits_per_month=2,
            key_firm_visits_per_month=2,
        )


@pytest.mark.parametrize(
    ("normal", "key", "field"),
    [
        (0, 2, "visits_per_month"),
        (11, 12, "visits_per_month"),
        ("两", 2, "visits_per_month"),
        (3, 2, "key_firm_visits_per_month"),
    ],
)
def test_a_rule_outside_one_to_ten_or_with_fewer_key_visits_is_refused(
    world: World, coordinator: User, normal: Any, key: Any, field: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        visits.visit_rule_set(
            actor=coordinator,
            region=world.town,
            visits_per_month=normal,
            key_firm_visits_per_month=key,
        )
    assert field in refused.value.field_errors
    assert not VisitRule.objects.exists()


def test_a_coordinator_lists_a_key_firm_and_takes_it_off(
    world: World, coordinator: User, steward: User
) -> None:
    assert visits.key_firm_set(actor=coordinator, enterprise=world.firm_b, is_key=True)
    assert KeyFirm.objects.filter(enterprise=world.firm_b).exists()
    assert visits.key_firm_set(actor=coordinator, enterprise=world.firm_b, is_key=False) is None
    assert not KeyFirm.objects.exists()
    with pytest.raises(NotPermitted):
        visits.key_firm_set(actor=steward, enterprise=world.firm_a, is_key=True)


# --- logging a visit ------------------------------------------------------------------------
def test_a_steward_logs_a_visit_of_a_firm_in_the_grid(world: World, steward: User) -> None:
    logged = log(steward, world.firm_a, policies_explained="2026年稳岗补贴政策")
    assert (logged.grid, logged.steward, logged.demand) == (world.grid_a, steward, None)
    entry = AuditEntry.objects.get(action="visit.log")
    assert entry.object_id == str(logged.pk)
    assert entry.changes["enterprise"] == world.firm_a.pk


def test_a_coordinator_may_log_a_visit_of_a_firm_of_the_town(
    world: World, coordinator: User
) -> None:
    assert log(coordinator, world.firm_b).grid == world.grid_b


def test_a_steward_cannot_log_a_visit_of_another_grids_firm(world: World, steward: User) -> None:
    with pytest.raises(NotPermitted):
        log(steward, world.firm_b)
    assert not Visit.objects.exists()


def test_a_visit_raising_a_demand_creates_the_demand_for_the_firm_linked_to_the_visit(
    world: World, steward: User, permit: Category
) -> None:
    logged = log(
        steward,
        world.firm_a,
        problems="用电增容审批卡在供电所两个月了",
        raise_demand=True,
        category=permit,
    )

    demand = Demand.objects.get()
    assert logged.demand == demand
    assert demand.enterprise == world.firm_a
    assert demand.category == permit
    assert demand.submitted_by == steward
    assert "用电增容审批卡在供电所两个月了" in demand.description
    # "visit" once the demand rules accept it for stewards; until then the steward's channel
    accepted = Channel.VISIT in submit_channels(steward, world.firm_a)
    assert demand.channel == (Channel.VISIT if accepted else Channel.STEWARD)
    assert AuditEntry.objects.get(action="visit.log").changes["demand"] == demand.number


def test_a_demand_without_a_category_or_a_problem_leaves_nothing_behind(
    world: World, steward: User, permit: Category
) -> None:
    with pytest.raises(ServiceError) as refused:
        log(steward, world.firm_a, problems="用电增容审批卡住了", raise_demand=True)
    assert "category" in refused.value.field_errors
    with pytest.raises(ServiceError) as refused:
        log(steward, world.firm_a, problems="", raise_demand=True, category=permit)
    assert "problems" in refused.value.field_errors
    assert not Visit.objects.exists()
    assert not Demand.objects.exists()


def test_a_visit_in_the_future_is_refused(world: World, steward: User) -> None:
    with pytest.raises(ServiceError) as refused:
        log(steward, world.firm_a, visited_on=visits.today() + timedelta(days=1))
    assert refused.value.field_errors["visited_on"] == ["走访日期不能晚于今天。"]
    assert not Visit.objects.exists()


def test_a_visit_may_be_logged_up_to_31_days_back_and_no_further(
    world: World, steward: User
) -> None:
    log(steward, world.firm_a, visited_on=visits.today() - timedelta(days=31))
    with pytest.raises(ServiceError) as refused:
        log(steward, world.firm_a, visited_on=visits.today() - timedelta(days=32))
    assert "visited_on" in refused.value.field_errors
    assert Visit.objects.count() == 1


def test_the_same_visit_logged_twice_is_refused(world: World, steward: User) -> None:
    log(steward, world.firm_a)
    with pytest.raises(Conflict):
        log(steward, world.firm_a)


def test_a_visit_without_content_is_refused(world: World, steward: User) -> None:
    with pytest.raises(ServiceError) as refused:
        log(steward, world.firm_a, topics="  ")
    assert "topics" in refused.value.field_errors


def test_photos_and_pdfs_are_stored_with_the_visit(world: World, steward: User, media: Any) -> None:
    logged = log(
        steward,
        world.firm_a,
        files=[
            SimpleUploadedFile("现场.png", PNG, content_type="image/png"),
            SimpleUploadedFile("政策.pdf", PDF, content_type="application/pdf"),
        ],
    )
    stored = list(logged.files.order_by("pk"))
    assert [(f.name, f.content_type) for f in stored] == [
        ("现场.png", "image/png"),
        ("政策.pdf", "application/pdf"),
    ]
    assert "现场" not in stored[0].file.name  # stored under a random name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"MZ\x90\x00 this is a program"),
        ("photo.png", PDF),
        ("report.docx", b"PK\x03\x04word/"),
        ("script.exe", b"MZ\x90\x00"),
        ("empty.png", b""),
    ],
)
def test_files_of_the_wrong_type_are_refused_and_nothing_is_stored(
    world: World, steward: User, media: Any, name: str, content: bytes
) -> None:
    with pytest.raises(ServiceError) as refused:
        log(steward, world.firm_a, files=[SimpleUploadedFile(name, content)])
    assert "files" in refused.value.field_errors
    assert not Visit.objects.exists()
    assert not VisitFile.objects.exists()
    assert not any(media.rglob("*.*"))


def test_a_file_over_the_size_limit_is_refused(
    world: World, steward: User, media: Any, settings: Any
) -> None:
    settings.VISIT_FILE_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2000)
    with pytest.raises(ServiceError) as refused:
        log(steward, world.firm_a, files=[big])
    assert "超过了每个文件" in refused.value.field_errors["files"][0]
    assert not Visit.objects.exists()


# --- moving firms and scopes ------------------------------------------------------------------
def test_a_firm_moved_mid_month_counts_for_its_new_grid_with_the_earlier_visits(
    world: World, steward: User, supervisor: User, coordinator: User
) -> None:
    visit(world.firm_a, date(2026, 3, 5), steward)  # by the steward of 古林第一网格
    Enterprise.objects.filter(pk=world.firm_a.pk).update(grid=world.grid_b)  # moved on 10 March
    on = date(2026, 3, 20)

    report = visits.coverage(user=supervisor, month=date(2026, 3, 1), level="grid", on=on)

    assert world.grid_a.pk not in {r.key for r in report.rows}  # no firm left there
    row = grid_row(report, world.grid_b)
    assert (row.firms, row.met) == (2, 1)
    assert Visit.objects.get().grid == world.grid_a  # where the firm was at the visit
    # the firm left the steward's portfolio, the steward's own visit stays readable
    assert visits.month_plan(user=steward, month=date(2026, 3, 1), on=on).counts["total"] == 0
    assert visits.visits_visible_to(steward).count() == 1
    town = visits.coverage(user=coordinator, month=date(2026, 3, 1), level="town", on=on)
    assert [(r.label, r.firms, r.met) for r in town.rows] == [("古林镇", 2, 1)]


def test_a_steward_plans_only_the_firms_of_the_grid(
    world: World, steward: User, coordinator: User
) -> None:
    plan = visits.month_plan(user=steward)
    assert [f.pk for f in plan.rows] == [world.firm_a.pk]
    assert visits.month_plan(user=coordinator).counts["total"] == 0
    assert {f.pk for f in visits.coverage_firms(coordinator)} == {
        world.firm_a.pk,
        world.firm_b.pk,
    }


def test_a_steward_does_not_see_another_grids_visits(
    world: World, steward: User, coordinator: User
) -> None:
    other = log(coordinator, world.firm_b)
    assert not visits.visits_visible_to(steward).filter(pk=other.pk).exists()
    assert visits.visits_visible_to(world.users["supervisor"]).filter(pk=other.pk).exists()
    assert not visits.visits_visible_to(world.users["handler"]).exists()


def test_a_firm_sees_its_own_visits(world: World, steward: User, coordinator: User) -> None:
    mine = log(steward, world.firm_a)
    log(coordinator, world.firm_b)
    assert list(visits.visits_visible_to(world.users["enterprise"])) == [mine]


# --- coverage ---------------------------------------------------------------------------------
def test_coverage_by_steward_grid_town_and_district(
    world: World, steward: User, supervisor: User
) -> None:
    second = UserFactory(username="steward2", display_name="李娜")
    role_grant(actor=None, user=second, role=Role.STEWARD, region=world.grid_b)
    april, on = date(2026, 4, 1), date(2026, 5, 6)
    visit(world.firm_a, date(2026, 4, 8), steward)
    visit(world.firm_other, date(2026, 4, 9), supervisor)

    def table(level: str) -> list[tuple[str, int, int, int]]:
        report = visits.coverage(user=supervisor, month=april, level=level, on=on)
        return [(r.label, r.firms, r.met, r.overdue) for r in report.rows]

    assert table("district") == [("海曙区", 3, 2, 1)]
    assert table("town") == [("古林镇", 2, 1, 1), ("高桥镇", 1, 1, 0)]
    assert table("grid") == [
        ("古林第一网格", 1, 1, 0),
        ("古林第二网格", 1, 0, 1),
        ("高桥第一网格", 1, 1, 0),
    ]
    assert table("steward") == [("管家测试", 1, 1, 0), ("李娜", 1, 0, 1)]
    report = visits.coverage(user=supervisor, month=april, level="district", on=on)
    assert (report.total.firms, report.total.met, report.total.percent) == (3, 2, "66.7")


def test_coverage_within_a_region_and_of_a_steward_is_limited_to_it(
    world: World, steward: User, supervisor: User
) -> None:
    report = visits.coverage(user=supervisor, level="grid", region=world.other_town)
    assert [r.label for r in report.rows] == ["高桥第一网格"]
    mine = visits.coverage(user=steward, level="district")
    assert mine.total.firms == 1


def test_history_by_month(world: World, steward: User, supervisor: User) -> None:
    visit(world.firm_a, date(2026, 8, 3), steward)
    visit(world.firm_a, date(2026, 9, 3), steward)
    visit(world.firm_b, date(2026, 9, 4), steward)

    rows = visits.history(user=supervisor, months=3, until=date(2026, 9, 1))

    assert [(r.label, r.firms, r.met, r.visits) for r in rows] == [
        ("2026年7月", 3, 0, 0),
        ("2026年8月", 3, 1, 1),
        ("2026年9月", 3, 2, 2),
    ]


def test_the_overdue_list_names_the_firms_behind(
    world: World, steward: User, supervisor: User
) -> None:
    visit(world.firm_a, date(2026, 4, 8), steward)
    overdue = visits.overdue_list(user=supervisor, month=date(2026, 4, 1), on=date(2026, 5, 2))
    assert [f.name for f in overdue] == ["宁波乙机械有限公司", "宁波丙塑料有限公司"]


def test_the_database_and_the_plan_agree_on_who_is_overdue(world: World, steward: User) -> None:
    KeyFirm.objects.create(enterprise=world.firm_b)
    visit(world.firm_a, date(2026, 4, 8), steward)
    visit(world.firm_b, date(2026, 4, 9), steward)
    on = date(2026, 5, 20)  # firm_a met April; firm_b, a key firm, did not and is behind in May
    qs = visits.with_month(Enterprise.objects.all(), date(2026, 5, 1), on)
    assert {f.name for f in qs.filter(status="overdue")} == {
        world.firm_b.name,
        world.firm_other.name,
    }
    assert {f.pk: f.status for f in qs}[world.firm_a.pk] == "due"


# --- pages ----------------------------------------------------------------------------------
@pytest.fixture
def steward_client(client: Client, steward: User) -> Client:
    client.force_login(steward)
    return client


def test_my_month_shows_due_firms_meetings_and_open_demands(
    world: World, steward: User, steward_client: Client, permit: Category
) -> None:
    now = timezone.now()
    roundtable = Meeting.objects.create(
        kind="roundtable",
        title="古林镇企业家座谈会",
        region=world.town,
        organizer=world.users["coordinator"],
        starts_at=now + timedelta(days=5),
        ends_at=now + timedelta(days=5, hours=2),
    )
    Invitation.objects.create(meeting=roundtable, user=steward)
    past = Meeting.objects.create(
        kind="roundtable",
        title="上月座谈会",
        region=world.town,
        organizer=steward,
        starts_at=now - timedelta(days=5),
        ends_at=now - timedelta(days=5, hours=-2),
    )
    from qinqing.demands.services import demand_submit

    demand = demand_submit(
        actor=world.users["enterprise"],
        enterprise=world.firm_a,
        category=permit,
        title="用电增容审批卡住",
        description="用电增容审批两个月没有进展。",
    )

    response = steward_client.get("/outreach/visits/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "我的本月走访" in body
    assert world.firm_a.name in body and world.firm_b.name not in body
    assert f"/outreach/visits/new/?enterprise={world.firm_a.pk}" in body
    assert roundtable.title in body and past.title not in body
    assert demand.number in body


def test_my_month_sends_a_supervisor_to_coverage_and_refuses_a_firm(
    world: World, client: Client
) -> None:
    client.force_login(world.users["supervisor"])
    assert client.get("/outreach/visits/").url == "/outreach/visits/coverage/"
    client.force_login(world.users["enterprise"])
    assert client.get("/outreach/visits/").status_code == 403
    assert client.get("/outreach/visits/coverage/").status_code == 403


def test_the_log_form_for_another_grids_firm_is_not_found(
    world: World, steward_client: Client
) -> None:
    assert steward_client.get(
        f"/outreach/visits/new/?enterprise={world.firm_b.pk}"
    ).status_code == (404)
    response = steward_client.post(
        "/outreach/visits/new/",
        {"enterprise": world.firm_b.pk, "visited_on": visits.today(), "topics": "走访"},
    )
    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_without_a_firm_the_log_page_offers_only_the_stewards_firms(
    world: World, steward_client: Client, client: Client
) -> None:
    body = steward_client.get("/outreach/visits/new/").content.decode()
    assert world.firm_a.name in body and world.firm_b.name not in body
    other = Client()
    other.force_login(world.users["supervisor"])
    assert other.get("/outreach/visits/new/").status_code == 403


def test_another_grids_visit_is_not_found(
    world: World, coordinator: User, steward_client: Client
) -> None:
    other = log(coordinator, world.firm_b)
    assert steward_client.get(f"/outreach/visits/{other.pk}/").status_code == 404


def test_logging_a_visit_on_the_page_raises_the_demand_and_shows_its_number(
    world: World, steward_client: Client, permit: Category, media: Any
) -> None:
    response = steward_client.post(
        "/outreach/visits/new/",
        {
            "enterprise": world.firm_a.pk,
            "visited_on": visits.today().isoformat(),
            "met_person": "王丽",
            "topics": "了解生产经营情况",
            "policies_explained": "稳岗补贴",
            "problems": "用电增容审批卡在供电所两个月了",
            "raise_demand": "on",
            "category": permit.pk,
            "files": [SimpleUploadedFile("现场.jpg", uploads.jpeg())],
        },
        follow=True,
    )
    assert response.status_code == 200
    logged = Visit.objects.get()
    assert logged.demand is not None and logged.files.count() == 1
    body = response.content.decode()
    assert "走访已记录。" in body
    assert logged.demand.number in body


def test_bad_input_on_the_page_is_explained_next_to_the_field_and_the_rest_kept(
    world: World, steward_client: Client
) -> None:
    future = visits.today() + timedelta(days=3)
    response = steward_client.post(
        "/outreach/visits/new/",
        {
            "enterprise": world.firm_a.pk,
            "visited_on": future.isoformat(),
            "met_person": "王丽",
            "topics": "了解生产经营情况",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "走访日期不能晚于今天。" in body
    assert "了解生产经营情况" in body and 'value="王丽"' in body
    assert not Visit.objects.exists()


def test_a_malformed_date_on_the_page_is_explained_in_chinese(
    world: World, steward_client: Client
) -> None:
    response = steward_client.post(
        "/outreach/visits/new/",
        {"enterprise": world.firm_a.pk, "visited_on": "上周三", "topics": "走访"},
    )
    assert response.status_code == 422
    assert "请填写有效的日期" in response.content.decode()


def test_the_records_list_and_the_detail_page(
    world: World, steward: User, steward_client: Client
) -> None:
    logged = log(steward, world.firm_a, problems="厂房漏水")
    listing = steward_client.get("/outreach/visits/records/")
    assert world.firm_a.name in listing.content.decode()
    detail = steward_client.get(f"/outreach/visits/{logged.pk}/")
    assert "厂房漏水" in detail.content.decode()
    bad = steward_client.get("/outreach/visits/records/?month=2026-15")
    assert bad.status_code == 422
    assert "请按“2026-01”的格式填写月份。" in bad.content.decode()


def test_a_visit_file_is_served_only_inside_the_scope(
    world: World, coordinator: User, steward_client: Client, client: Client, media: Any
) -> None:
    logged = log(coordinator, world.firm_b, files=[SimpleUploadedFile("现场.png", PNG)])
    item = logged.files.get()
    assert steward_client.get(f"/outreach/visits/files/{item.pk}/").status_code == 404
    other = Client()
    other.force_login(world.users["supervisor"])
    response = other.get(f"/outreach/visits/files/{item.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert AuditEntry.objects.filter(action="visit.file_download").exists()


def test_the_coverage_page_shows_every_level(world: World, steward: User, client: Client) -> None:
    visit(world.firm_a, visits.today().replace(day=1), steward)
    client.force_login(world.users["supervisor"])
    for level in ("district", "town", "grid", "steward"):
        response = client.get(f"/outreach/visits/coverage/?level={level}")
        assert response.status_code == 200
        assert 'id="coverage-table"' in response.content.decode()
    drill = client.get(f"/outreach/visits/coverage/?level=grid&region={world.town.pk}")
    assert (
        "高桥第一网格"
        not in drill.content.decode().split('id="coverage-table"')[1].split("</table>")[0]
    )
    client.force_login(steward)
    outside = client.get(f"/outreach/visits/coverage/?region={world.other_town.pk}")
    assert outside.status_code == 404


def test_the_rules_page_sets_a_rule_and_a_key_firm(
    world: World, coordinator: User, client: Client
) -> None:
    client.force_login(coordinator)
    response = client.post(
        "/outreach/visits/rules/",
        {
            "action": "rule",
            "region": world.grid_a.pk,
            "visits_per_month": "2",
            "key_firm_visits_per_month": "3",
        },
    )
    assert response.status_code == 302
    assert visits.rule_for(world.grid_a).visits_per_month == 2
    bad = client.post(
        "/outreach/visits/rules/",
        {
            "action": "rule",
            "region": world.grid_b.pk,
            "visits_per_month": "20",
            "key_firm_visits_per_month": "3",
        },
    )
    assert bad.status_code == 422
    assert "请填写1到10之间的整数。" in bad.content.decode()
    assert 'value="3"' in bad.content.decode()
    client.post(
        "/outreach/visits/rules/",
        {"action": "key_add", "firm": world.firm_b.uscc, "reason": "规上企业"},
    )
    assert KeyFirm.objects.filter(enterprise=world.firm_b).exists()
    client.post("/outreach/visits/rules/", {"action": "key_remove", "enterprise": world.firm_b.pk})
    assert not KeyFirm.objects.exists()
    client.post("/outreach/visits/rules/", {"action": "rule_remove", "region": world.grid_a.pk})
    assert visits.rule_for(world.grid_a).region is None
    unknown = client.post(
        "/outreach/visits/rules/", {"action": "key_add", "firm": world.firm_other.name}
    )
    assert "在您负责的区域内没有找到这家企业。" in unknown.content.decode()


def test_a_steward_cannot_change_rules(world: World, steward_client: Client) -> None:
    assert steward_client.get("/outreach/visits/rules/").status_code == 200
    response = steward_client.post(
        "/outreach/visits/rules/",
        {
            "action": "rule",
            "region": world.grid_a.pk,
            "visits_per_month": "2",
            "key_firm_visits_per_month": "2",
        },
    )
    assert response.status_code == 403
    assert not VisitRule.objects.exists()


def test_the_excel_export_opens_with_openpyxl(world: World, steward: User, client: Client) -> None:
    logged = log(steward, world.firm_a, problems="厂房漏水", met_person="王丽")
    client.force_login(world.users["supervisor"])
    month = f"{logged.visited_on:%Y-%m}"

    response = client.get(f"/outreach/visits/records/export/?month={month}")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("走访日期", "企业", "统一社会信用代码")
    assert rows[1][1] == world.firm_a.name and rows[1][8] == "厂房漏水"
    assert AuditEntry.objects.filter(action="visit.export").exists()
    client.force_login(world.users["enterprise"])
    assert client.get("/outreach/visits/records/export/").status_code == 403


def test_the_index_card_links_to_the_visit_pages(world: World, steward_client: Client) -> None:
    body = steward_client.get("/outreach/").content.decode()
    assert "/outreach/visits/coverage/" in body and "/outreach/visits/summary/" in body
    summary = steward_client.get("/outreach/visits/summary/").content.decode()
    assert "待走访" in summary


# --- queries ----------------------------------------------------------------------------------
def _firms(world: World, steward: User, n: int) -> None:
    for i in range(n):
        firm = EnterpriseFactory(grid=world.grid_a if i % 2 else world.grid_b)
        if i % 3 == 0:
            KeyFirm.objects.create(enterprise=firm)
        visit(firm, visits.today().replace(day=1), steward)
        visit(firm, visits.previous_month(visits.today()), steward)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("steward", "/outreach/visits/"),
        ("supervisor", "/outreach/visits/coverage/?level=grid"),
        ("supervisor", "/outreach/visits/coverage/?level=town"),
        ("supervisor", "/outreach/visits/coverage/?level=steward"),
        ("supervisor", "/outreach/visits/records/"),
    ],
)
def test_the_plan_and_coverage_pages_take_the_same_queries_for_5_or_40_firms(
    world: World, steward: User, client: Client, role: str, url: str
) -> None:
    VisitRule.objects.create(region=world.town, visits_per_month=2, key_firm_visits_per_month=3)
    client.force_login(world.users[role])
    _firms(world, steward, 5)
    few = _queries(client, url)
    _firms(world, steward, 35)
    many = _queries(client, url)
    assert few == many
    assert many <= 25


# --- API ------------------------------------------------------------------------------------
def auth(user: User) -> dict[str, str]:
    _token, raw = token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_the_api_logs_a_visit_with_a_photo_and_a_demand(
    world: World, steward: User, client: Client, permit: Category, media: Any
) -> None:
    response = client.post(
        "/api/v1/outreach/visits",
        {
            "enterprise_id": world.firm_a.pk,
            "visited_on": visits.today().isoformat(),
            "topics": "了解生产经营情况",
            "problems": "用电增容审批卡在供电所两个月了",
            "raise_demand": "true",
            "category_id": permit.pk,
            "files": [SimpleUploadedFile("现场.png", PNG)],
        },
        **auth(steward),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["demand_number"] == Demand.objects.get().number
    assert [f["name"] for f in data["files"]] == ["现场.png"]
    listing = client.get("/api/v1/outreach/visits", **auth(steward)).json()
    assert [v["id"] for v in listing["items"]] == [data["id"]]
    assert client.get(f"/api/v1/outreach/visits/{data['id']}", **auth(steward)).status_code == 200


def test_the_api_answers_401_403_404_and_422(
    world: World, steward: User, supervisor: User, client: Client
) -> None:
    today = visits.today().isoformat()
    assert client.get("/api/v1/outreach/visits").status_code == 401
    other_grid = client.post(
        "/api/v1/outreach/visits",
        {"enterprise_id": world.firm_b.pk, "visited_on": today, "topics": "走访"},
        **auth(steward),
    )
    assert other_grid.status_code == 404
    not_a_steward = client.post(
        "/api/v1/outreach/visits",
        {"enterprise_id": world.firm_b.pk, "visited_on": today, "topics": "走访"},
        **auth(supervisor),
    )
    assert not_a_steward.status_code == 403
    future = client.post(
        "/api/v1/outreach/visits",
        {
            "enterprise_id": world.firm_a.pk,
            "visited_on": (visits.today() + timedelta(days=1)).isoformat(),
            "topics": "走访",
        },
        **auth(steward),
    )
    assert future.status_code == 422
    assert future.json()["field_errors"]["visited_on"] == ["走访日期不能晚于今天。"]
    assert client.get(
        "/api/v1/outreach/coverage", **auth(world.users["enterprise"])
    ).status_code == (403)
    assert (
        client.get("/api/v1/outreach/coverage?level=village", **auth(supervisor)).status_code == 422
    )
    assert client.get(
        "/api/v1/outreach/coverage?month=2026-1x", **auth(supervisor)
    ).status_code == (422)
    assert not Visit.objects.exists()


def test_the_api_reports_coverage_plan_history_and_rules(
    world: World, steward: User, supervisor: User, coordinator: User, client: Client
) -> None:
    visit(world.firm_a, date(2026, 4, 8), steward)
    coverage = client.get(
        "/api/v1/outreach/coverage?month=2026-04&level=town", **auth(supervisor)
    ).json()
    assert [(r["label"], r["firms"], r["met"]) for r in coverage["rows"]] == [
        ("古林镇", 2, 1),
        ("高桥镇", 1, 0),
    ]
    history = client.get(
        "/api/v1/outreach/coverage/history?until=2026-04&months=2", **auth(supervisor)
    ).json()
    assert [(h["month"], h["met"]) for h in history] == [("2026-03", 0), ("2026-04", 1)]
    plan = client.get("/api/v1/outreach/visits/plan?month=2026-04", **auth(steward)).json()
    assert plan["items"][0]["status"] == "visited"
    rule = client.put(
        f"/api/v1/outreach/visit-rules/{world.town.pk}",
        {"visits_per_month": 2, "key_firm_visits_per_month": 3},
        content_type="application/json",
        **auth(coordinator),
    )
    assert rule.status_code == 200
    effective = client.get(
        f"/api/v1/outreach/visit-rules/{world.grid_a.pk}", **auth(steward)
    ).json()
    assert (effective["visits_per_month"], effective["source_region_id"]) == (2, world.town.pk)
    refused = client.put(
        f"/api/v1/outreach/visit-rules/{world.grid_a.pk}",
        {"visits_per_month": 2, "key_firm_visits_per_month": 3},
        content_type="application/json",
        **auth(steward),
    )
    assert refused.status_code == 403


def test_the_openapi_document_declares_the_visit_endpoints(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    post = schema["paths"]["/api/v1/outreach/visits"]["post"]
    assert {"201", "401", "403", "404", "422"} <= set(post["responses"])
    assert {"401", "403", "422"} <= set(
        schema["paths"]["/api/v1/outreach/coverage"]["get"]["responses"]
    )


def test_a_picture_bomb_among_the_visit_files_keeps_no_visit_and_the_text(
    world: World, steward_client: Client, media: Any
) -> None:
    response = steward_client.post(
        "/outreach/visits/new/",
        {
            "enterprise": world.firm_a.pk,
            "visited_on": visits.today().isoformat(),
            "met_person": "王丽",
            "topics": "了解生产经营情况",
            "files": [
                SimpleUploadedFile("现场.jpg", uploads.jpeg()),
                SimpleUploadedFile("全景.png", uploads.png_bomb(20000, 20000)),
            ],
        },
    )
    assert response.status_code in (200, 422)
    body = response.content.decode()
    assert "“全景.png”的像素过多" in body and "了解生产经营情况" in body
    assert not Visit.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]
