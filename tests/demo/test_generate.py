"""The dataset is a pure function of the seed."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth.password_validation import validate_password

from qinqing.common.uscc import is_valid_uscc
from qinqing.demo import data
from qinqing.demo.generate import DemoPlan, generate
from qinqing.directory.models import RegionLevel, phone_validator


@pytest.fixture(scope="module")
def plan() -> DemoPlan:
    return generate(data.DEFAULT_SEED)


def fingerprint(plan: DemoPlan) -> list[tuple[str, ...]]:
    firms: list[tuple[str, ...]] = [
        (f.uscc, f.name, f.legal_representative, f.contact_phone) for f in plan.firms
    ]
    people: list[tuple[str, ...]] = [(p.username, p.display_name, p.phone) for p in plan.people]
    return firms + people


def test_the_same_seed_gives_the_same_codes_names_and_phones(plan: DemoPlan) -> None:
    assert fingerprint(generate(data.DEFAULT_SEED)) == fingerprint(plan)


def test_another_seed_gives_other_codes_names_and_phones(plan: DemoPlan) -> None:
    other = generate(7)
    assert {f.uscc for f in other.firms}.isdisjoint({f.uscc for f in plan.firms})
    assert [p.phone for p in other.people] != [p.phone for p in plan.people]
    assert [f.name for f in other.firms] != [f.name for f in plan.firms]


def test_another_seed_keeps_the_headline_figures() -> None:
    other = generate(7)
    gulin = other.code_of(data.GULIN)
    firms = [f for f in other.firms if f.grid.startswith(gulin)]
    assert len(firms) == data.GULIN_FIRMS
    assert sum(f.above_scale for f in firms) == data.GULIN_ABOVE_SCALE


def test_every_code_is_valid_and_unique(plan: DemoPlan) -> None:
    codes = [f.uscc for f in plan.firms]
    assert all(is_valid_uscc(code) for code in codes)
    assert len(set(codes)) == len(codes)


def test_every_firm_name_is_unique_and_reads_like_a_ningbo_company(plan: DemoPlan) -> None:
    names = [f.name for f in plan.firms]
    assert len(set(names)) == len(names)
    assert all(n.startswith("宁波") and n.endswith("有限公司") for n in names)


def test_phone_numbers_are_valid_and_no_two_people_share_one(plan: DemoPlan) -> None:
    phones = [p.phone for p in plan.people] + [a.phone for a in data.DEMO_ACCOUNTS if a.phone]
    assert len(set(phones)) == len(phones)
    for phone in phones + [f.contact_phone for f in plan.firms]:
        phone_validator(phone)


def test_codes_follow_the_region_tree(plan: DemoPlan) -> None:
    by_code = {r.code: r for r in plan.regions}
    for region in plan.regions:
        if region.parent is None:
            assert region.code == data.CITY_CODE
            continue
        parent = by_code[region.parent]
        assert parent.level == region.level - 1
        if region.level == RegionLevel.GRID:
            assert region.code[:-3] == parent.code and region.code[-3] == "G"
        elif region.level > RegionLevel.DISTRICT:
            assert region.code[:-3] == parent.code and len(region.code) == len(parent.code) + 3


def test_every_district_has_at_least_four_towns(plan: DemoPlan) -> None:
    towns = Counter(r.parent for r in plan.regions if r.level == RegionLevel.TOWN)
    assert len(towns) == 10
    assert min(towns.values()) >= 4


def test_region_names_are_unique_so_they_can_be_looked_up(plan: DemoPlan) -> None:
    names = [r.name for r in plan.regions]
    assert len(set(names)) == len(names)


def test_the_demo_password_satisfies_the_password_policy() -> None:
    validate_password(data.DEMO_PASSWORD)
