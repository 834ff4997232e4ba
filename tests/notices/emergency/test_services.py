"""协同监测: declaring, reporting once a period, stewards' missing firms, needs, reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI
from qinqing.demands.models import Category, Demand
from qinqing.inbox.models import Message
from qinqing.notices.emergency.models import Emergency, StatusReport
from qinqing.notices.emergency.selectors import (
    emergencies_visible_to,
    last_report,
    missing_firms,
    reports_visible_to,
)
from qinqing.notices.emergency.services import (
    emergency_declare,
    need_link_listing,
    need_to_demand,
    period_of,
    periods,
    report_submit,
    send_reminders,
    today,
)
from qinqing.notices.matching.services import listing_create

from .conftest import answers, firm_user

pytestmark = pytest.mark.django_db


def test_only_coordinators_and_supervisors_declare_and_only_for_their_regions(world) -> None:
    for role in ("enterprise", "steward", "handler"):
        with pytest.raises(NotPermitted):
            emergency_declare(
                actor=world.users[role],
                title="台风",
                kind="typhoon",
                cadence="daily",
                starts_on=today(),
                regions=[world.town.code],
            )
    with pytest.raises(ServiceError) as caught:
        emergency_declare(
            actor=world.users["coordinator"],
            title="台风",
            kind="typhoon",
            cadence="daily",
            starts_on=today(),
            regions=[world.other_town.code],
        )
    assert "regions" in caught.value.field_errors
    assert not Emergency.objects.exists()


def test_weekly_periods_start_on_monday(world, epidemic) -> None:
    epidemic.cadence = "weekly"
    thursday = datetime(2026, 3, 5).date()
    assert period_of(epidemic, thursday) == datetime(2026, 3, 2).date()
    epidemic.cadence = "daily"
    assert len(periods(epidemic)) == 4


def test_one_report_per_firm_per_period_and_a_second_one_edits_it(world, epidemic) -> None:
    firm_user_ = world.users["enterprise"]
    first = report_submit(
        actor=firm_user_, emergency=epidemic, enterprise=world.firm_a, **answers()
    )
    again = report_submit(
        actor=firm_user_,
        emergency=epidemic,
        enterprise=world.firm_a,
        **answers(status="running", staff_on_site=38, staff_absent=2),
    )
    assert again.pk == first.pk and StatusReport.objects.count() == 1
    assert (again.status, again.staff_on_site) == ("running", 38)
    assert not again.on_behalf and again.period == today()
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusReport.objects.create(
            emergency=epidemic,
            enterprise=world.firm_a,
            period=again.period,
            status="running",
            staff_on_site=1,
            staff_absent=0,
            reported_by=firm_user_,
            region_path=world.grid_a.path,
        )


def test_the_form_is_prefilled_from_the_last_report(world, epidemic) -> None:
    report = report_submit(
        actor=world.users["enterprise"], emergency=epidemic, enterprise=world.firm_a, **answers()
    )
    StatusReport.objects.filter(pk=report.pk).update(period=today() - timedelta(days=1))
    assert last_report(epidemic, world.firm_a).staff_on_site == 30


def test_a_firm_cannot_report_for_another_firm_or_outside_the_audience(world, epidemic) -> None:
    with pytest.raises(NotPermitted):
        report_submit(
            actor=world.users["enterprise"],
            emergency=epidemic,
            enterprise=world.firm_b,
            **answers(),
        )
    other = firm_user(world.firm_other)
    with pytest.raises(NotPermitted, match="不在本次监测范围"):
        report_submit(actor=other, emergency=epidemic, enterprise=world.firm_other, **answers())


def test_bad_answers_are_refused_next_to_their_fields(world, epidemic) -> None:
    with pytest.raises(ServiceError) as caught:
        report_submit(
            actor=world.users["enterprise"],
            emergency=epidemic,
            enterprise=world.firm_a,
            **answers(status="", staff_on_site="-1", staff_absent="x", need_quantity="5"),
        )
    assert set(caught.value.field_errors) == {
        "status",
        "staff_on_site",
        "staff_absent",
        "need_item",
    }
    assert not StatusReport.objects.exists()


def test_no_report_after_the_emergency_ended(world, epidemic) -> None:
    Emergency.objects.filter(pk=epidemic.pk).update(ends_on=today() - timedelta(days=1))
    epidemic.refresh_from_db()
    with pytest.raises(Conflict):
        report_submit(
            actor=world.users["enterprise"],
            emergency=epidemic,
            enterprise=world.firm_a,
            **answers(),
        )


def test_the_steward_sees_exactly_their_non_reporting_firms_and_reports_on_behalf(
    world, epidemic, firm_c
) -> None:
    steward = world.users["steward"]
    assert set(missing_firms(user=steward, emergency=epidemic)) == {world.firm_a, firm_c}
    report_submit(
        actor=world.users["enterprise"], emergency=epidemic, enterprise=world.firm_a, **answers()
    )
    assert list(missing_firms(user=steward, emergency=epidemic)) == [firm_c]
    report = report_submit(actor=steward, emergency=epidemic, enterprise=firm_c, **answers())
    assert report.on_behalf and report.reported_by == steward
    assert list(missing_firms(user=steward, emergency=epidemic)) == []
    entry = AuditEntry.objects.get(action="emergency.report_on_behalf")
    assert entry.actor_id == steward.pk
    # the coordinator of the town sees firm_b (grid_b) as missing too
    assert list(missing_firms(user=world.users["coordinator"], emergency=epidemic)) == [
        world.firm_b
    ]
    with pytest.raises(NotPermitted):
        report_submit(actor=steward, emergency=epidemic, enterprise=world.firm_b, **answers())


def test_a_firm_reads_only_its_own_reports(world, epidemic) -> None:
    own = report_submit(
        actor=world.users["enterprise"], emergency=epidemic, enterprise=world.firm_a, **answers()
    )
    other = report_submit(
        actor=firm_user(world.firm_b), emergency=epidemic, enterprise=world.firm_b, **answers()
    )
    mine = set(reports_visible_to(world.users["enterprise"]).values_list("pk", flat=True))
    assert mine == {own.pk}
    assert other.pk not in mine
    assert set(reports_visible_to(world.users["coordinator"]).values_list("pk", flat=True)) == {
        own.pk,
        other.pk,
    }


def test_the_emergency_is_listed_for_its_firms_and_staff_only(world, epidemic) -> None:
    assert emergencies_visible_to(world.users["enterprise"]) == [epidemic]
    assert emergencies_visible_to(world.users["steward"]) == [epidemic]
    assert emergencies_visible_to(world.users["supervisor"]) == [epidemic]
    assert emergencies_visible_to(firm_user(world.firm_other)) == []
    assert emergencies_visible_to(world.users["official"]) == []  # 高桥镇


def test_a_need_becomes_a_demand_of_the_firm_and_remembers_it(world, epidemic) -> None:
    category = Category.objects.get_or_create(code="supply", defaults={"name": "要素保障"})[0]
    report = report_submit(
        actor=world.users["enterprise"],
        emergency=epidemic,
        enterprise=world.firm_a,
        **answers(need_text="口罩只够两天，急需5000只", need_item="口罩", need_quantity=5000),
    )
    report = need_to_demand(actor=world.users["steward"], report_id=report.pk, category=category)
    demand = Demand.objects.get()
    assert report.need_demand == demand and demand.enterprise == world.firm_a
    assert "口罩" in demand.title and "5000" in demand.title
    with pytest.raises(Conflict):
        need_to_demand(actor=world.users["enterprise"], report_id=report.pk, category=category)


def test_a_need_remembers_the_matching_request_it_became(world, epidemic) -> None:
    report = report_submit(
        actor=world.users["enterprise"],
        emergency=epidemic,
        enterprise=world.firm_a,
        **answers(need_text="缺口罩", need_item="口罩", need_quantity=5000),
    )
    listing = listing_create(
        actor=world.users["enterprise"],
        enterprise=world.firm_a,
        side="request",
        kind="goods",
        item="口罩",
        quantity=5000,
        unit="个",
        valid_until=today() + timedelta(days=7),
    )
    report = need_link_listing(
        actor=world.users["enterprise"], report_id=report.pk, listing=listing
    )
    assert report.need_listing == listing


def test_reminders_reach_the_non_reporting_firms_once_per_period(world, epidemic) -> None:
    report_submit(
        actor=world.users["enterprise"], emergency=epidemic, enterprise=world.firm_a, **answers()
    )
    b_user = firm_user(world.firm_b)
    before_cutoff = datetime.combine(today(), datetime.min.time(), tzinfo=SHANGHAI).replace(hour=8)
    assert send_reminders(now=before_cutoff) == 0
    after_cutoff = before_cutoff.replace(hour=11)
    assert send_reminders(now=after_cutoff) == 1
    assert send_reminders(now=after_cutoff.replace(hour=15)) == 0
    assert Message.objects.filter(user=b_user).count() == 1
    assert not Message.objects.filter(user=world.users["enterprise"]).exists()


def test_the_reminder_task_runs_and_a_second_run_sends_nothing_new(world, epidemic) -> None:
    from qinqing.notices.emergency.tasks import send_emergency_reminders
    from qinqing.notices.matching.tasks import expire_listings

    firm_user(world.firm_b)
    send_emergency_reminders.enqueue()
    first = Message.objects.count()
    send_emergency_reminders.enqueue()
    assert Message.objects.count() == first
    assert expire_listings.enqueue().return_value == 0
