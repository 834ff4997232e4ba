"""Summary figures, reading scope and query counts of 供需对接."""

from __future__ import annotations

import pytest

from qinqing.notices.matching.models import Listing
from qinqing.notices.matching.selectors import (
    listings_visible_to,
    matches_visible_to,
    suggestions,
    summary,
)
from qinqing.notices.matching.services import (
    listing_close,
    match_confirm,
    match_deliver,
    match_propose,
)

from .conftest import Market

pytestmark = pytest.mark.django_db


def deal(market: Market, seller, buyer, item: str, quantity: int, delivered: int, **kw) -> None:
    offer = market.post(seller, "offer", item, quantity, **kw)
    request = market.post(buyer, "request", item, quantity, **kw)
    match = match_propose(
        actor=market.users[buyer.name], offer=offer, request=request, quantity=quantity
    )
    match_confirm(actor=market.users[seller.name], match_id=match.pk)
    if delivered:
        match_deliver(actor=market.users[buyer.name], match_id=match.pk, delivered=delivered)


def test_summary_figures_equal_a_hand_count(market: Market) -> None:
    w = market.world
    deal(market, market.far, w.firm_a, "口罩", 3000, 3000)
    deal(market, market.far, w.firm_b, "医用口罩", 2000, 1500)
    deal(market, market.far, w.firm_other, "口罩", 1000, 1000)
    deal(market, market.far, w.firm_a, "消毒液", 50, 50, unit="瓶")
    deal(market, market.far, w.firm_b, "普工", 30, 25, kind="labour", unit="人")
    deal(market, market.far, w.firm_a, "口罩", 999, 0)  # confirmed, nothing delivered yet

    figures = summary(region=w.district)
    # by hand: firm_a, firm_b, firm_other helped; 3000+1500+1000 masks; 50 disinfectant;
    # 25 workers
    assert figures["firms_helped"] == 3
    assert figures["workers"] == 25
    assert figures["items"] == [
        {"item": "口罩", "unit": "个", "quantity": 5500, "firms": 3},
        {"item": "消毒液", "unit": "瓶", "quantity": 50, "firms": 1},
    ]
    by_town = {row["region"].name: row for row in figures["children"]}
    assert by_town["古林镇"] == {
        "region": w.town,
        "firms_helped": 2,
        "goods": 3000 + 1500 + 50,
        "workers": 25,
    }
    assert by_town["高桥镇"]["goods"] == 1000 and by_town["高桥镇"]["firms_helped"] == 1
    assert summary(region=w.other_town)["firms_helped"] == 1


def test_a_firm_sees_the_live_board_and_its_own_but_not_other_firms_closed_listings(
    market: Market,
) -> None:
    w = market.world
    own_closed = market.post(w.firm_a, "request", "口罩", 10)
    listing_close(actor=w.users["enterprise"], listing_id=own_closed.pk)
    other_closed = market.post(w.firm_b, "offer", "口罩", 10)
    listing_close(actor=market.users[w.firm_b.name], listing_id=other_closed.pk)
    other_open = market.post(w.firm_other, "offer", "口罩", 10)
    visible = set(listings_visible_to(w.users["enterprise"]).values_list("pk", flat=True))
    assert {own_closed.pk, other_open.pk} <= visible and other_closed.pk not in visible
    # the steward of grid_a sees firm_a's closed listing, not firm_b's (grid_b)
    steward = set(listings_visible_to(w.users["steward"]).values_list("pk", flat=True))
    assert own_closed.pk in steward and other_closed.pk not in steward


def test_matches_are_visible_only_to_the_two_firms_and_their_staff(market: Market) -> None:
    w = market.world
    deal(market, w.firm_b, w.firm_a, "口罩", 10, 0)
    assert matches_visible_to(w.users["enterprise"]).count() == 1
    assert matches_visible_to(market.users[market.far.name]).count() == 0
    assert matches_visible_to(w.users["coordinator"]).count() == 1
    assert matches_visible_to(w.users["official"]).count() == 0


def test_lists_and_suggestions_take_a_fixed_number_of_queries(
    market: Market, django_assert_max_num_queries
) -> None:
    w = market.world
    request = market.post(w.firm_a, "request", "口罩", 100)
    for firm in (w.firm_b, w.firm_other, market.near, market.far):
        for n in range(3):
            market.post(firm, "offer", "口罩", 50 + n)
    user = w.users["enterprise"]
    request = Listing.objects.select_related("enterprise").get(pk=request.pk)
    with django_assert_max_num_queries(3):
        found = suggestions(user=user, listing=request)
        [s.reason + s.listing.enterprise.name + s.listing.region.name for s in found]
    assert len(found) == 12
    with django_assert_max_num_queries(3):
        rows = list(listings_visible_to(user)[:20])
        [r.enterprise.name + r.region.name for r in rows]
    with django_assert_max_num_queries(5):  # totals, items, children, their figures, live
        summary(region=w.city)
