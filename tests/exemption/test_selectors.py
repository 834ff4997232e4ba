"""Reads: scope by id, query counts, statistics and the health-index facts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.common.workdays import SHANGHAI
from qinqing.exemption import selectors
from qinqing.exemption.models import Application
from tests.factories import RegionFactory, UserFactory

from .conftest import decided, submit


def test_index_facts_count_applications_decisions_exemptions_and_days(world, second):
    a = decided(world, second, outcome="exempt")
    b = decided(world, second, outcome="not_exempt")
    c = submit(world)
    old = submit(world, submitted_at=datetime(2024, 3, 1, 9, 0, tzinfo=SHANGHAI))
    today = timezone.now().astimezone(SHANGHAI).date()
    facts = selectors.index_facts(start=today - timedelta(days=1), end=today + timedelta(days=1))
    path = world.other_town.path
    assert all(p == path for p, _k, _v in facts)
    kinds = [k for _p, k, _v in facts]
    assert kinds.count("exemption.applications") == 3
    assert kinds.count("exemption.decided") == 2
    assert kinds.count("exemption.exempted") == 1
    days = [v for _p, k, v in facts if k == "exemption.days_to_decide"]
    assert days == [float(a.days_to_decide), float(b.days_to_decide)]
    assert c.pk and old.pk
    older = selectors.index_facts(start=date(2024, 3, 1), end=date(2024, 3, 2))
    assert older == [(path, "exemption.applications", 1.0)]
    # [start, end): the end day is excluded
    assert selectors.index_facts(start=date(2024, 2, 1), end=date(2024, 3, 1)) == []


def test_statistics_by_region_and_month(world, second):
    decided(world, second, outcome="exempt")
    decided(world, second, outcome="reduced")
    submit(world)
    today = timezone.now().astimezone(SHANGHAI).date()
    rows, total = selectors.statistics_for(
        user=world.users["supervisor"], start=today, end=today + timedelta(days=1)
    )
    assert [r.label for r in rows] == ["高桥镇"]
    assert (total.applications, total.decided, total.exempt, total.reduced) == (3, 2, 1, 1)
    assert total.median_days is not None
    rows, _total = selectors.statistics_for(
        user=world.users["supervisor"], start=today, end=today + timedelta(days=1), by="month"
    )
    assert rows[0].key == f"{today:%Y-%m}"


def test_another_districts_supervisor_and_other_staff_see_nothing(world):
    a = submit(world)
    other_district = RegionFactory(code="330205", name="江北区", level=2, parent=world.city)
    outsider = UserFactory(username="jiangbei_sup")
    role_grant(actor=None, user=outsider, role=Role.SUPERVISOR, region=other_district)
    for user in (
        outsider,
        world.users["steward"],
        world.users["enterprise"],
        world.users["coordinator"],
    ):
        assert not selectors.applications_visible_to(user).filter(pk=a.pk).exists()
    assert selectors.applications_visible_to(world.users["supervisor"]).filter(pk=a.pk).exists()
    assert selectors.applications_visible_to(world.users["official"]).filter(pk=a.pk).exists()


def test_the_list_reads_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _ in range(12):
        submit(world)
    user = world.users["supervisor"]
    with django_assert_max_num_queries(3):
        rows = list(selectors.application_list(user=user)[:20])
        assert [str(a.applicant) + a.region.name for a in rows]
    assert Application.objects.count() == 12
