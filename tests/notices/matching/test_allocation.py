"""Quantities are never over-allocated: sequences of proposals, confirmations and
cancellations (hypothesis), and two real concurrent confirmations on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import (
    connection,  # noqa: F401 - used by the skipif condition
    transaction,
)
from django.db.models import Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.common.errors import ServiceError
from qinqing.notices.matching.models import Listing, Match, MatchState
from qinqing.notices.matching.services import match_cancel, match_confirm, match_propose

from .conftest import Market

ALLOCATED = (MatchState.CONFIRMED, MatchState.DELIVERED)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("propose"), st.integers(0, 1), st.integers(0, 1), st.integers(1, 70)),
        st.tuples(st.just("confirm"), st.integers(0, 7), st.sampled_from(["offer", "request"])),
        st.tuples(st.just("cancel"), st.integers(0, 7), st.just(0)),
    ),
    max_size=14,
)


def assert_invariant(listings: list[Listing]) -> None:
    for listing in listings:
        listing.refresh_from_db()
        confirmed = Match.objects.filter(
            Q(offer=listing) | Q(request=listing), state__in=ALLOCATED
        ).aggregate(total=Sum("quantity", default=0))["total"]
        assert listing.allocated == confirmed
        assert 0 <= listing.allocated <= listing.quantity


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_sequence_of_steps_keeps_allocated_equal_to_confirmed_and_within_quantity(
    market: Market, ops: list[tuple[Any, ...]]
) -> None:
    w = market.world
    with transaction.atomic():
        offers = [
            market.post(w.firm_b, "offer", "口罩", 100),
            market.post(market.near, "offer", "口罩", 60),
        ]
        requests = [
            market.post(w.firm_a, "request", "口罩", 90),
            market.post(w.firm_other, "request", "医用口罩", 120),
        ]
        owner = {
            **{o.pk: market.users[o.enterprise.name] for o in offers},
            **{r.pk: market.users[r.enterprise.name] for r in requests},
        }
        matches: list[Match] = []
        for op in ops:
            try:
                if op[0] == "propose":
                    offer, request = offers[op[1]], requests[op[2]]
                    matches.append(
                        match_propose(
                            actor=owner[request.pk], offer=offer, request=request, quantity=op[3]
                        )
                    )
                elif matches:
                    match = matches[op[1] % len(matches)]
                    if op[0] == "confirm":
                        listing_id = match.offer_id if op[2] == "offer" else match.request_id
                        match_confirm(actor=owner[listing_id], match_id=match.pk, side=op[2])
                    else:
                        match_cancel(actor=owner[match.request_id], match_id=match.pk)
            except ServiceError:
                pass
            assert_invariant(offers + requests)
        transaction.set_rollback(True)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_two_buyers_confirming_at_once_never_take_more_than_is_offered(market: Market) -> None:
    """Real concurrency (PostgreSQL): 100 masks, two matches of 80 confirmed at the same
    moment by the seller's two users; exactly one is allocated."""
    from django.db import connection as default_connection

    from .conftest import firm_user

    w = market.world
    offer = market.post(w.firm_b, "offer", "口罩", 100)
    first = market.post(w.firm_a, "request", "口罩", 80)
    second = market.post(market.near, "request", "口罩", 80)
    matches = [
        match_propose(actor=w.users["enterprise"], offer=offer, request=first, quantity=80),
        match_propose(
            actor=market.users[market.near.name], offer=offer, request=second, quantity=80
        ),
    ]
    sellers = [market.users[w.firm_b.name], firm_user(w.firm_b)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(user: Any, match: Match) -> None:
        try:
            barrier.wait()
            match_confirm(actor=user, match_id=match.pk)
            outcomes.append("ok")
        except ServiceError as exc:
            outcomes.append(type(exc).__name__)
        finally:
            default_connection.close()

    threads = [
        threading.Thread(target=confirm, args=(u, m)) for u, m in zip(sellers, matches, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["Conflict", "ok"]
    offer.refresh_from_db()
    assert offer.allocated == 80
    assert Match.objects.filter(state=MatchState.CONFIRMED).count() == 1
