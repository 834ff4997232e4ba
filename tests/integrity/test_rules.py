"""The rules engine: one test per sample item's machine rule, thresholds, the rule language."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.integrity import rules, services
from qinqing.integrity.services import GiftIn

from .conftest import file_contact, yesterday

BASE: dict[str, Any] = {
    "timing": "after",
    "kind": "meeting",
    "place_kind": "office",
    "payer": "none",
    "amount": Decimal(0),
    "headcount": 1,
    "days": 1,
    "gifts": [],
    "open_demand": False,
}


def facts(**overrides: Any) -> dict[str, Any]:
    v = {**BASE, **overrides}
    today = services.today()
    return services.facts_of(
        timing=v["timing"],
        kind=v["kind"],
        place_kind=v["place_kind"],
        payer=v["payer"],
        amount=Decimal(v["amount"]),
        headcount=v["headcount"],
        contact_date=today - timedelta(days=v["days"]),
        filed_on=today,
        gifts=v["gifts"],
        counterpart_open_demand=v["open_demand"],
    )


def kept(value: str) -> dict[str, Any]:
    return {"value": Decimal(value), "handling": "kept"}


#: item → (outcome, facts that match it, near-miss facts that do not)
CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "OFF-POS-1": ("allowed", {"kind": "meeting"},
                  {"kind": "meeting", "payer": "firm", "amount": 50}),
    "OFF-POS-2": ("needs_approval", {"kind": "event"}, {"kind": "meeting"}),
    "OFF-POS-5": ("allowed", {"kind": "site_visit", "place_kind": "firm"}, {"kind": "site_visit"}),
    "OFF-POS-6": (
        "allowed",
        {"kind": "meal", "payer": "government", "amount": 300, "headcount": 3},
        {"kind": "meal", "payer": "government", "amount": "300.03", "headcount": 3},
    ),
    "OFF-POS-7": ("needs_approval", {"kind": "travel", "payer": "government", "amount": 800},
                  {"kind": "travel", "payer": "firm", "amount": 800}),
    "OFF-NEG-1": ("prohibited", {"kind": "meal", "payer": "firm", "amount": 600, "headcount": 4},
                  {"kind": "meal", "payer": "self", "amount": 60}),
    "OFF-NEG-2": ("prohibited", {"kind": "gift", "gifts": [kept("200.01")]},
                  {"kind": "gift", "gifts": [kept("200")]}),
    "OFF-NEG-3": ("prohibited", {"place_kind": "private_club"}, {"place_kind": "restaurant"}),
    "OFF-NEG-4": ("prohibited", {"kind": "travel", "payer": "firm", "amount": 1200},
                  {"kind": "travel", "payer": "firm", "amount": 0}),
    "OFF-NEG-5": ("prohibited",
                  {"kind": "meal", "payer": "self", "amount": 40, "open_demand": True},
                  {"kind": "meeting", "open_demand": True}),
    "ENT-NEG-3": ("prohibited", {"kind": "event", "payer": "firm", "amount": 100},
                  {"kind": "event", "payer": "shared", "amount": 100}),
    "ENT-NEG-4": ("prohibited", {"place_kind": "private_club"}, {"place_kind": "public"}),
    "LOC-NB-1": ("needs_approval", {"days": 6}, {"days": 5}),
}  # fmt: skip


def test_every_sample_rule_has_a_case(lists: None) -> None:
    with_rules = {i.code for i in services.ConductItem.objects.filter(rule__isnull=False)}
    assert with_rules == set(CASES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_sample_rule_matches_its_case_and_not_the_near_miss(lists: None, code: str) -> None:
    outcome, hit, miss = CASES[code]
    on = services.today()
    matched = {m.item.code: m.outcome for m in services.screen(facts(**hit), on=on).matches}
    assert matched.get(code) == outcome
    assert code not in {m.item.code for m in services.screen(facts(**miss), on=on).matches}


def test_the_most_severe_outcome_wins_and_all_items_are_shown(lists: None) -> None:
    result = services.screen(
        facts(kind="meal", payer="firm", amount=800, place_kind="private_club"),
        on=services.today(),
    )
    assert result.outcome == "prohibited"
    assert {"OFF-NEG-1", "OFF-NEG-3", "ENT-NEG-3", "ENT-NEG-4"} <= {
        m.item.code for m in result.matches
    }


def test_nothing_matched_is_allowed(lists: None) -> None:
    result = services.screen(facts(kind="other", place_kind="public"), on=services.today())
    assert result.outcome == "allowed"
    assert result.matches == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cents=st.integers(min_value=19000, max_value=21000))
def test_a_kept_gift_is_prohibited_exactly_above_200_yuan(lists: None, cents: int) -> None:
    value = Decimal(cents) / 100
    result = services.screen(facts(kind="gift", gifts=[kept(str(value))]), on=services.today())
    assert (result.outcome == "prohibited") == (value > 200)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    total=st.integers(min_value=250, max_value=350), people=st.integers(min_value=1, max_value=4)
)
def test_a_working_meal_is_allowed_up_to_100_yuan_a_head(
    lists: None, total: int, people: int
) -> None:
    amount = Decimal(total * people) / 3
    amount = amount.quantize(Decimal("0.01"))
    f = facts(kind="meal", payer="government", amount=amount, headcount=people * 3)
    codes = {m.item.code for m in services.screen(f, on=services.today()).matches}
    assert ("OFF-POS-6" in codes) == (f["amount_per_person"] <= 100)


def test_an_item_out_of_force_on_the_contact_date_is_not_applied(lists: None) -> None:
    before_lists = services.ConductItem.objects.order_by("effective_from").first()
    assert before_lists is not None
    on = before_lists.effective_from - timedelta(days=1)
    assert services.screen(facts(kind="meal", payer="firm", amount=90), on=on).matches == []


@pytest.mark.parametrize(
    "rule",
    [
        {"when": {"field": "kind", "eq": "meal"}},
        {"when": {"field": "nope", "eq": 1}, "outcome": "allowed"},
        {"when": {"field": "amount", "gt": "abc"}, "outcome": "allowed"},
        {"when": {"field": "kind", "gt": 3}, "outcome": "allowed"},
        {"when": {"all": []}, "outcome": "allowed"},
        {"when": {"field": "kind", "eq": "meal"}, "outcome": "maybe"},
        {"when": {"gift": {"gift": {"field": "value", "gt": 1}}}, "outcome": "allowed"},
        {"when": {"field": "__import__('os')", "eq": 1}, "outcome": "allowed"},
    ],
)
def test_a_malformed_rule_is_refused(rule: Any) -> None:
    with pytest.raises(rules.RuleError):
        rules.validate(rule)


def test_a_filing_keeps_its_outcome_and_cites_the_items(lists: None, world: Any) -> None:
    filing = file_contact(
        world.users["official"],
        [world.firm_a],
        kind="meal",
        place_kind="restaurant",
        payer="firm",
        amount=Decimal("480"),
        headcount=4,
        contact_date=yesterday(),
    )
    assert filing.outcome == "prohibited" and filing.status == "prohibited"
    assert filing.amount_per_person == Decimal("120.00")
    assert {m.item.code for m in filing.matches.all()} >= {"OFF-NEG-1", "ENT-NEG-3"}


def test_a_gift_handed_in_is_not_prohibited(lists: None, world: Any) -> None:
    filing = file_contact(
        world.users["official"],
        [world.firm_a],
        kind="gift",
        gifts=[GiftIn("茶叶", "880", "handed_in", "区纪委廉政账户", yesterday())],
    )
    assert filing.outcome == "allowed"
