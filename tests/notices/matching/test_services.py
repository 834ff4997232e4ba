"""供需对接: posting, suggestions, confirmations and allocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.inbox.models import Message
from qinqing.notices.matching.items import normalise, similarity
from qinqing.notices.matching.models import Listing, ListingState, Match, MatchState
from qinqing.notices.matching.selectors import suggestions, tree_distance
from qinqing.notices.matching.services import (
    expire_listings,
    listing_close,
    listing_create,
    match_cancel,
    match_confirm,
    match_deliver,
    match_propose,
    today,
)

from .conftest import Market

pytestmark = pytest.mark.django_db


def test_synonyms_fold_to_one_item_and_similar_names_score_below_one() -> None:
    assert normalise("医用口罩") == normalise("一次性 口罩") == normalise("口罩") == "口罩"
    assert normalise("ＫＮ９５口罩") == "口罩"
    assert similarity("医用口罩", "口罩") == 1.0
    assert 0.6 <= similarity("电子厂普工", "普工") < 1.0
    assert similarity("口罩", "钢材") < 0.6


def test_tree_distance_counts_steps_to_the_lowest_common_region() -> None:
    assert tree_distance("/a/b/c/g1/", "/a/b/c/g1/") == (0, 4)
    assert tree_distance("/a/b/c/g1/", "/a/b/c/g2/") == (2, 3)
    assert tree_distance("/a/b/c/g1/", "/a/b/x/g9/") == (4, 2)
    assert tree_distance("/a/b/c/g1/", "/a/z/") == (4, 1)


def test_a_firm_posts_a_request_for_itself_and_staff_post_on_its_behalf(market: Market) -> None:
    w = market.world
    request = market.post(w.firm_a, "request", "一次性口罩", 5000, unit_price="2.00")
    assert request.item_key == "口罩" and request.region_path == w.grid_a.path
    assert not request.on_behalf and request.state == ListingState.OPEN
    by_steward = listing_create(
        actor=w.users["steward"],
        enterprise=w.firm_a,
        side="offer",
        kind="labour",
        item="普工",
        quantity=20,
        unit="",
        valid_until=today() + timedelta(days=10),
        unit_price="5200",
        work_time="part",
        skills="能上夜班",
    )
    assert by_steward.on_behalf and by_steward.unit == "人" and by_steward.work_time == "part"
    assert AuditEntry.objects.filter(action="listing.create").count() == 2


def test_nobody_posts_for_a_firm_outside_their_scope(market: Market) -> None:
    w = market.world
    for actor in (w.users["enterprise"], w.users["steward"], w.users["supervisor"]):
        with pytest.raises(NotPermitted):
            listing_create(
                actor=actor,
                enterprise=w.firm_other,
                side="request",
                kind="goods",
                item="口罩",
                quantity=1,
                unit="个",
                valid_until=today(),
            )


def test_bad_input_is_refused_field_by_field_and_nothing_is_stored(market: Market) -> None:
    w = market.world
    with pytest.raises(ServiceError) as caught:
        listing_create(
            actor=w.users["enterprise"],
            enterprise=w.firm_a,
            side="request",
            kind="goods",
            item=" ",
            quantity="-3",
            unit="",
            unit_price="-1",
            valid_until=today() - timedelta(days=1),
        )
    assert set(caught.value.field_errors) == {
        "item",
        "quantity",
        "unit",
        "unit_price",
        "valid_until",
    }
    assert not Listing.objects.exists()


def test_suggestions_come_nearest_first_then_by_item(market: Market) -> None:
    w = market.world
    request = market.post(w.firm_a, "request", "口罩", 1000)
    far = market.post(market.far, "offer", "医用口罩", 5000)
    other_town = market.post(w.firm_other, "offer", "一次性口罩", 5000)
    community = market.post(w.firm_b, "offer", "口罩", 5000)
    same_grid_similar = market.post(market.near, "offer", "口罩（儿童款）", 300)
    same_grid = market.post(market.near, "offer", "KN95口罩", 2000)
    market.post(market.near, "offer", "钢材", 5000)  # another item
    market.post(market.near, "request", "口罩", 5000)  # the same side
    market.post(w.firm_b, "offer", "口罩", 10, kind="labour", unit="人")  # another kind
    expired = market.post(w.firm_b, "offer", "口罩", 50)
    Listing.objects.filter(pk=expired.pk).update(valid_until=today() - timedelta(days=1))

    found = suggestions(user=w.users["enterprise"], listing=request)
    assert [s.listing for s in found] == [
        same_grid,
        same_grid_similar,
        community,
        other_town,
        far,
    ]
    assert found[0].reason == "同一网格 · 同类物资 · 数量充足"
    assert found[1].reason.startswith("同一网格 · 名称相近") and "可部分满足" in found[1].reason
    assert found[2].place == "同一社区" and found[3].place == "同一区县市"
    assert found[4].place == "同一城市"
    assert found[1].quantity == 300 and found[0].quantity == 1000


def _matched(market: Market, quantity: int = 100, offered: int = 100) -> Match:
    w = market.world
    offer = market.post(w.firm_b, "offer", "口罩", offered)
    request = market.post(w.firm_a, "request", "口罩", 1000)
    return match_propose(
        actor=w.users["enterprise"], offer=offer, request=request, quantity=quantity
    )


def test_both_sides_confirm_and_only_then_the_quantity_is_allocated(
    market: Market, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        match = _matched(market, quantity=60)
    assert match.request_confirmed_at is not None and match.offer_confirmed_at is None
    offer, request = match.offer, match.request
    offer.refresh_from_db()
    assert offer.allocated == 0
    assert Message.objects.filter(user=market.users[market.world.firm_b.name]).exists()

    match = match_confirm(actor=market.users[market.world.firm_b.name], match_id=match.pk)
    assert match.state == MatchState.CONFIRMED
    offer.refresh_from_db()
    request.refresh_from_db()
    assert (offer.allocated, offer.state) == (60, ListingState.PARTLY)
    assert (request.allocated, request.state) == (60, ListingState.PARTLY)

    match_deliver(actor=market.world.users["enterprise"], match_id=match.pk, delivered=20)
    match = match_deliver(actor=market.world.users["enterprise"], match_id=match.pk, delivered=60)
    request.refresh_from_db()
    assert match.state == MatchState.DELIVERED and request.delivered == 60


def test_a_firm_cannot_confirm_for_another_firm(market: Market) -> None:
    match = _matched(market)
    for outsider in (market.users[market.far.name], market.users[market.near.name]):
        with pytest.raises(NotPermitted):
            match_confirm(actor=outsider, match_id=match.pk)
    with pytest.raises(NotPermitted):
        match_confirm(actor=market.world.users["enterprise"], match_id=match.pk, side="offer")
    match.refresh_from_db()
    assert match.offer_confirmed_at is None and match.state == MatchState.PROPOSED


def test_the_steward_confirms_on_behalf_of_a_firm_in_the_grid(market: Market) -> None:
    w = market.world
    offer = market.post(market.near, "offer", "口罩", 100)
    request = market.post(w.firm_b, "request", "口罩", 100)
    match = match_propose(
        actor=market.users[w.firm_b.name], offer=offer, request=request, quantity=100
    )
    match = match_confirm(actor=w.users["steward"], match_id=match.pk)  # near is in grid_a
    assert match.state == MatchState.CONFIRMED and match.offer_confirmed_by == w.users["steward"]
    offer.refresh_from_db()
    assert offer.state == ListingState.FULFILLED


def test_a_second_match_beyond_what_is_left_is_refused_at_confirmation(market: Market) -> None:
    w = market.world
    offer = market.post(w.firm_b, "offer", "口罩", 100)
    first_request = market.post(w.firm_a, "request", "口罩", 80)
    second_request = market.post(market.near, "request", "口罩", 80)
    first = match_propose(
        actor=w.users["enterprise"], offer=offer, request=first_request, quantity=80
    )
    second = match_propose(
        actor=market.users[market.near.name], offer=offer, request=second_request, quantity=80
    )
    seller = market.users[w.firm_b.name]
    match_confirm(actor=seller, match_id=first.pk)
    with pytest.raises(Conflict, match="剩余数量只有 20"):
        match_confirm(actor=seller, match_id=second.pk)
    second.refresh_from_db()
    offer.refresh_from_db()
    assert second.state == MatchState.PROPOSED and second.offer_confirmed_at is None
    assert offer.allocated == 80


def test_cancelling_a_confirmed_match_frees_its_quantity(market: Market) -> None:
    match = _matched(market, quantity=100)
    match_confirm(actor=market.users[market.world.firm_b.name], match_id=match.pk)
    match_cancel(actor=market.world.users["enterprise"], match_id=match.pk)
    offer = Listing.objects.get(pk=match.offer_id)
    assert (offer.allocated, offer.state) == (0, ListingState.OPEN)


def test_closing_and_expiring_cancel_open_proposals(market: Market) -> None:
    match = _matched(market)
    listing_close(actor=market.users[market.world.firm_b.name], listing_id=match.offer_id)
    match.refresh_from_db()
    assert match.state == MatchState.CANCELLED
    other = _matched(market)
    assert expire_listings(on=today() + timedelta(days=31)) >= 2
    other.refresh_from_db()
    assert other.state == MatchState.CANCELLED


def test_the_database_refuses_over_allocation(market: Market) -> None:
    listing = market.post(market.world.firm_a, "request", "口罩", 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.filter(pk=listing.pk).update(allocated=11)
