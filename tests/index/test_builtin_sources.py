"""The facts the index reads itself from demands and outreach, aggregated in the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from qinqing.common.workdays import SHANGHAI
from qinqing.demands.models import Category, Demand
from qinqing.directory.models import Pairing
from qinqing.index import builtin
from qinqing.outreach.models import Meeting, PairingContact, Visit


def _demand(
    world: Any, n: int, *, firm: Any, days: int, on_time: bool, state: str = "closed"
) -> Demand:
    cat, _ = Category.objects.get_or_create(code="test", defaults={"name": "测试"})
    at = datetime(2026, 2, 2, 9, tzinfo=SHANGHAI)
    return Demand.objects.create(
        number=f"SQ-2026-{n:06d}",
        enterprise=firm,
        region_path=firm.grid.path,
        category=cat,
        title="t",
        description="d",
        channel="portal",
        state=state,
        submitted_at=at,
        accept_due_at=at + timedelta(days=1),
        resolve_due_at=at + timedelta(days=5),
        accepted_at=at + timedelta(hours=2 if on_time else 50),
        replied_at=at + timedelta(days=days),
        closed_at=at + timedelta(days=days + 1),
        reply="已解决",
        satisfaction="satisfied",
    )


def test_demand_facts_are_counted_per_grid(world: Any) -> None:
    _demand(world, 1, firm=world.firm_a, days=3, on_time=True)
    _demand(world, 2, firm=world.firm_a, days=9, on_time=False)
    _demand(world, 3, firm=world.firm_other, days=1, on_time=True)
    rows = builtin.demand_facts(start=date(2026, 1, 1), end=date(2026, 6, 30))
    facts = {(p, f): v for p, f, v, _w in rows if f != "demands.days_to_resolve"}
    grid = world.grid_a.path
    assert facts[(grid, "demands.received")] == 2
    assert facts[(grid, "demands.accepted_on_time")] == 1
    assert facts[(grid, "demands.resolved_on_time")] == 1
    days = sorted((v, w) for p, f, v, w in rows if p == grid and f == "demands.days_to_resolve")
    assert days == [(3.0, 1.0), (9.0, 1.0)]
    assert not builtin.demand_facts(start=date(2025, 1, 1), end=date(2025, 6, 30))


def test_outreach_facts_count_firms_visited_once_and_contacts_due(world: Any) -> None:
    steward = world.users["steward"]
    for day in (3, 4):
        Visit.objects.create(
            enterprise=world.firm_a,
            grid=world.grid_a,
            steward=steward,
            visited_on=date(2026, 3, day),
        )
    Visit.objects.create(
        enterprise=world.firm_b, grid=world.grid_b, steward=steward, visited_on=date(2026, 3, 5)
    )
    pairing = Pairing.objects.create(
        official=world.users["official"], enterprise=world.firm_a, started_on=date(2025, 1, 1)
    )
    PairingContact.objects.create(pairing=pairing, kind="call", contacted_on=date(2026, 4, 1))
    Meeting.objects.create(
        kind="roundtable",
        title="座谈",
        region=world.town,
        organizer=world.users["coordinator"],
        starts_at=datetime(2026, 3, 1, 9, tzinfo=SHANGHAI),
        ends_at=datetime(2026, 3, 1, 11, tzinfo=SHANGHAI),
        status="held",
    )
    rows = builtin.outreach_facts(start=date(2026, 1, 1), end=date(2026, 6, 30))
    facts = {(p, f): v for p, f, v, _w in rows}
    assert facts[(world.grid_a.path, "outreach.firms_visited")] == 1
    assert facts[(world.grid_b.path, "outreach.firms_visited")] == 1
    assert facts[(world.grid_a.path, "outreach.pairing_contacts")] == 1
    assert 1.9 < facts[(world.grid_a.path, "outreach.pairing_contacts_due")] < 2.1
    assert facts[(world.town.path, "outreach.meetings_held")] == 1


def test_the_live_sources_need_a_fixed_number_of_queries(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    _demand(world, 1, firm=world.firm_a, days=3, on_time=True)
    with django_assert_max_num_queries(7):
        builtin.demand_facts(start=date(2026, 1, 1), end=date(2026, 6, 30))
        builtin.outreach_facts(start=date(2026, 1, 1), end=date(2026, 6, 30))
        builtin.directory_facts(start=date(2026, 1, 1), end=date(2026, 6, 30))
