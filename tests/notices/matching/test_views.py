"""The matching pages and API: prefilled form, scope by id, both confirmations, export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from qinqing.accounts.services import token_issue
from qinqing.notices.matching.models import Listing, Match, MatchState

from .conftest import Market

pytestmark = pytest.mark.django_db


def test_the_form_is_prefilled_from_the_query(client, market: Market) -> None:
    w = market.world
    client.force_login(w.users["steward"])
    response = client.get(
        f"/matching/new/?side=request&kind=goods&item=口罩&quantity=5000&firm={w.firm_a.pk}"
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["item"] == "口罩" and form.initial["quantity"] == 5000
    assert form.initial["enterprise"] == w.firm_a.pk and form.initial["side"] == "request"


def test_posting_a_bad_form_keeps_the_input_and_stores_nothing(client, market: Market) -> None:
    w = market.world
    client.force_login(w.users["enterprise"])
    response = client.post(
        "/matching/new/",
        {
            "enterprise": w.firm_a.pk,
            "side": "request",
            "kind": "goods",
            "item": "口罩",
            "quantity": "5000",
            "unit": "",
            "valid_until": "2000-01-01",
        },
    )
    assert response.status_code == 200
    assert "有效期不能早于今天" in response.content.decode()
    assert response.context["form"]["item"].value() == "口罩"
    assert not Listing.objects.exists()


def test_a_firm_cannot_open_another_firms_closed_listing_or_match(client, market: Market) -> None:
    w = market.world
    offer = market.post(w.firm_b, "offer", "口罩", 10)
    request = market.post(market.near, "request", "口罩", 10)
    from qinqing.notices.matching.services import listing_close, match_propose

    match = match_propose(
        actor=market.users[market.near.name], offer=offer, request=request, quantity=10
    )
    listing_close(actor=market.users[w.firm_b.name], listing_id=offer.pk)
    client.force_login(w.users["enterprise"])
    assert client.get(f"/matching/{offer.pk}/").status_code == 404
    assert client.get(f"/matching/matches/{match.pk}/").status_code == 404
    assert client.post(f"/matching/matches/{match.pk}/confirm/").status_code == 404


def test_propose_and_confirm_through_the_pages_then_export(client, market: Market) -> None:
    w = market.world
    offer = market.post(w.firm_b, "offer", "口罩", 3000)
    request = market.post(w.firm_a, "request", "口罩", 2000)
    client.force_login(w.users["enterprise"])
    page = client.get(f"/matching/{request.pk}/")
    assert [s.listing for s in page.context["suggestions"]] == [offer]
    response = client.post(
        f"/matching/{request.pk}/propose/", {"counterpart": offer.pk, "quantity": 2000}
    )
    match = Match.objects.get()
    assert response.url == f"/matching/matches/{match.pk}/"
    client.force_login(market.users[w.firm_b.name])
    client.post(f"/matching/matches/{match.pk}/confirm/", {"side": "offer"})
    match.refresh_from_db()
    assert match.state == MatchState.CONFIRMED
    client.force_login(w.users["coordinator"])
    assert "受助企业" in client.get("/matching/summary/").content.decode()
    sheet = load_workbook(io.BytesIO(client.get("/matching/export/").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[7] for r in rows[1:]} == {3000, 2000}


def test_the_api_confirms_and_refuses_another_firms_side(client, market: Market) -> None:
    w = market.world
    offer = market.post(w.firm_b, "offer", "口罩", 100)
    request = market.post(w.firm_a, "request", "口罩", 100)
    headers = _bearer(w.users["enterprise"])
    created = client.post(
        "/api/v1/matching/matches",
        {"offer_id": offer.pk, "request_id": request.pk, "quantity": 100},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    match_id = created.json()["id"]
    refused = client.post(
        f"/api/v1/matching/matches/{match_id}/confirm",
        {"side": "offer"},
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 403
    other = _bearer(market.users[market.far.name])
    assert client.get(f"/api/v1/matching/matches/{match_id}", **other).status_code == 404
    seller = _bearer(market.users[w.firm_b.name])
    done = client.post(
        f"/api/v1/matching/matches/{match_id}/confirm",
        {},
        content_type="application/json",
        **seller,
    )
    assert done.status_code == 200 and done.json()["state"] == "confirmed"
    suggestions = client.get(f"/api/v1/matching/listings/{request.pk}/suggestions", **headers)
    assert suggestions.status_code == 200


def _bearer(user) -> dict[str, str]:
    _token, raw = token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize("role", ["enterprise", "steward", "coordinator", "supervisor"])
def test_every_tab_of_the_matching_pages_opens_for_the_role_that_sees_it(
    client, world, role: str
) -> None:
    import re

    client.force_login(world.users[role])
    page = client.get("/matching/").content.decode()
    tabs = re.search(r'<nav class="m-tabs".*?</nav>', page, re.S)
    assert tabs
    for href in re.findall(r'href="([^"]+)"', tabs.group(0)):
        href = href.replace("&amp;", "&")
        assert client.get(href).status_code == 200, href
