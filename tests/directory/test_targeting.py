"""Audiences resolve to the right firms across the region tree, and only an author's own."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.common.errors import ServiceError
from qinqing.directory.models import Audience, Chamber, ChamberMembership, Enterprise
from qinqing.directory.targeting import (
    AudienceForm,
    audience_create,
    audience_firms,
    audience_summary,
    audience_update,
)
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def names(audience: Audience) -> set[str]:
    return set(audience_firms(audience).values_list("name", flat=True))


def test_a_town_reaches_every_firm_in_its_grids_and_none_outside(world: Any) -> None:
    audience = audience_create(actor=world.users["coordinator"], regions=["330203101"])
    assert names(audience) == {world.firm_a.name, world.firm_b.name}


def test_the_district_reaches_both_towns(world: Any) -> None:
    audience = audience_create(actor=world.users["supervisor"], regions=[world.district])
    assert names(audience) == {world.firm_a.name, world.firm_b.name, world.firm_other.name}


def test_dimensions_narrow_together_and_picked_firms_are_added(world: Any) -> None:
    audience = audience_create(
        actor=world.users["supervisor"],
        regions=[world.district],
        sizes=["above_scale"],
        firms=[world.firm_other.uscc],
    )
    assert names(audience) == {world.firm_b.name, world.firm_other.name}
    assert "海曙区" in audience_summary(audience) and "规上企业" in audience_summary(audience)


def test_a_chamber_audience_reaches_its_members(world: Any) -> None:
    chamber = Chamber.objects.get(name="海曙区工商联")
    ChamberMembership.objects.create(chamber=chamber, enterprise=world.firm_other)
    audience = audience_create(actor=world.users["supervisor"], chambers=[chamber.pk])
    assert names(audience) == {world.firm_other.name}


def test_a_coordinator_cannot_address_another_town_and_nothing_is_stored(world: Any) -> None:
    with pytest.raises(ServiceError) as caught:
        audience_create(actor=world.users["coordinator"], regions=["330203102", "999"])
    assert "高桥镇" in " ".join(caught.value.field_errors["regions"])
    assert "999" in " ".join(caught.value.field_errors["regions"])
    assert not Audience.objects.exists()


def test_an_empty_audience_addresses_nobody_and_is_refused(world: Any) -> None:
    with pytest.raises(ServiceError) as caught:
        audience_create(actor=world.users["supervisor"], industries=["C"])
    assert caught.value.field_errors["regions"] == ["请至少选择一个区域、商会或指定企业。"]


def test_unknown_codes_and_unseen_firms_are_named(world: Any) -> None:
    with pytest.raises(ServiceError) as caught:
        audience_create(
            actor=world.users["coordinator"],
            regions=["330203101"],
            industries=["Z9"],
            sizes=["giant"],
            firms=[world.firm_other.uscc],
        )
    errors = caught.value.field_errors
    assert set(errors) == {"industries", "sizes", "firms"}
    assert world.firm_other.uscc in errors["firms"][0]


def test_an_update_replaces_the_audience(world: Any) -> None:
    audience = audience_create(actor=world.users["supervisor"], regions=[world.town])
    audience_update(audience, actor=world.users["supervisor"], regions=[world.other_town])
    assert names(audience) == {world.firm_other.name}


def test_the_form_offers_only_the_authors_regions(world: Any) -> None:
    form = AudienceForm(user=world.users["coordinator"])
    codes = [code for code, _label in form.fields["regions"].choices]  # type: ignore[attr-defined]
    assert codes == ["330203101", "330203101001"]
    bound = AudienceForm(
        {"regions": ["330203101"], "firms": f"{world.firm_b.uscc}\n\n"},
        user=world.users["coordinator"],
    )
    assert bound.is_valid(), bound.errors
    assert bound.audience_kwargs()["firms"] == [world.firm_b.uscc]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    employees=st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=6),
    sizes=st.sets(st.sampled_from(["micro", "small", "medium", "large", "above_scale"])),
    industries=st.sets(st.sampled_from(["C", "F", "I"])),
)
def test_resolution_equals_the_rule_applied_firm_by_firm(
    world: Any, employees: list[int], sizes: set[str], industries: set[str]
) -> None:
    Enterprise.objects.filter(name__startswith="性质").delete()
    for i, n in enumerate(employees):
        EnterpriseFactory(
            name=f"性质{i}", grid=world.grid_b, employees=n, industry_section="CFI"[i % 3]
        )
    audience = audience_create(
        actor=world.users["coordinator"],
        regions=[world.community],
        sizes=sorted(sizes),
        industries=sorted(industries),
    )
    bands = {
        "micro": lambda e: e.employees < 20,
        "small": lambda e: 20 <= e.employees < 300,
        "medium": lambda e: 300 <= e.employees < 1000,
        "large": lambda e: e.employees >= 1000,
        "above_scale": lambda e: e.above_scale,
    }
    expected = {
        e.name
        for e in Enterprise.objects.filter(grid__path__startswith=world.community.path)
        if (not sizes or any(bands[s](e) for s in sizes))
        and (not industries or e.industry_section in industries)
    }
    assert names(audience) == expected
