"""The /api/v1/matching router: listings, suggestions, matches, summary.

Thin over ``services`` and ``selectors``: ids are looked up inside the caller's scope (404),
services check permission (403), input (422) and races (409).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.pagination import page_fields_next, paginate
from qinqing.directory.models import Enterprise

from . import selectors, services
from .models import Listing, Match
from .permissions import firms_acted_for, is_summary_reader

router = Router(tags=["供需对接"])
PER_PAGE = 20


class ListingIn(Schema):
    enterprise_id: int
    side: str
    kind: str
    item: str
    quantity: int
    unit: str = ""
    unit_price: Decimal | None = None
    valid_until: date
    specification: str = ""
    skills: str = ""
    work_time: str = ""
    note: str = ""


class ListingOut(Schema):
    id: int
    number: str
    enterprise_id: int
    enterprise_name: str
    region_name: str
    side: str
    kind: str
    item: str
    item_key: str
    specification: str
    quantity: int
    unit: str
    unit_price: Decimal | None
    skills: str
    work_time: str
    valid_until: date
    allocated: int
    delivered: int
    state: str
    on_behalf: bool


class ListingPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[ListingOut]


class SuggestionOut(Schema):
    listing: ListingOut
    distance: int
    reason: str
    item_score: float
    enough: bool
    quantity: int


class ProposeIn(Schema):
    offer_id: int
    request_id: int
    quantity: int
    reason: str = ""


class ConfirmIn(Schema):
    side: str | None = None


class DeliverIn(Schema):
    delivered: int


class SupplyMatchOut(Schema):
    id: int
    number: str
    offer_id: int
    request_id: int
    offer_enterprise: str
    request_enterprise: str
    quantity: int
    delivered: int
    state: str
    offer_confirmed: bool
    request_confirmed: bool
    reason: str


class MatchPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[SupplyMatchOut]


class ItemFigure(Schema):
    item: str
    unit: str
    quantity: int
    firms: int


class RegionFigure(Schema):
    region_id: int
    region_name: str
    firms_helped: int
    goods: int
    workers: int


class MatchingSummaryOut(Schema):
    region_id: int
    region_name: str
    firms_helped: int
    workers: int
    matches: int
    open_offers: int
    open_requests: int
    items: list[ItemFigure]
    children: list[RegionFigure]


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _listing_out(listing: Listing) -> dict[str, Any]:
    return {
        "id": listing.pk,
        "number": listing.number,
        "enterprise_id": listing.enterprise_id,
        "enterprise_name": listing.enterprise.name,
        "region_name": listing.region.name,
        "side": listing.side,
        "kind": listing.kind,
        "item": listing.item,
        "item_key": listing.item_key,
        "specification": listing.specification,
        "quantity": listing.quantity,
        "unit": listing.unit,
        "unit_price": listing.unit_price,
        "skills": listing.skills,
        "work_time": listing.work_time,
        "valid_until": listing.valid_until,
        "allocated": listing.allocated,
        "delivered": listing.delivered,
        "state": listing.state,
        "on_behalf": listing.on_behalf,
    }


def _match_out(match: Match) -> dict[str, Any]:
    return {
        "id": match.pk,
        "number": match.number,
        "offer_id": match.offer_id,
        "request_id": match.request_id,
        "offer_enterprise": match.offer.enterprise.name,
        "request_enterprise": match.request.enterprise.name,
        "quantity": match.quantity,
        "delivered": match.delivered,
        "state": match.state,
        "offer_confirmed": match.offer_confirmed_at is not None,
        "request_confirmed": match.request_confirmed_at is not None,
        "reason": match.reason,
    }


def _listing(user: Any, listing_id: int) -> Listing:
    listing = selectors.listings_visible_to(user).filter(pk=listing_id).first()
    if listing is None:
        raise HttpError(404, "not found")
    return listing


def _match(user: Any, match_id: int) -> Match:
    match = selectors.matches_visible_to(user).filter(pk=match_id).first()
    if match is None:
        raise HttpError(404, "not found")
    return match


@router.get(
    "/listings",
    response={200: ListingPage, 401: Error},
    summary="供需信息（本企业的、辖区的、以及可对接的），新的在前",
)
def listing_list(
    request: HttpRequest,
    side: str = "",
    kind: str = "",
    state: str = "live",
    q: str = "",
    page: int = 1,
) -> dict[str, Any]:
    qs = selectors.listing_list(user=_user(request), side=side, kind=kind, state=state, query=q)
    current = paginate(qs, page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_listing_out(x) for x in current.object_list],
    }


@router.post(
    "/listings",
    response={201: ListingOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="发布供应或需求（企业本身，或辖区管家、协调员代为发布）",
)
def listing_create(request: HttpRequest, body: ListingIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    enterprise = Enterprise.objects.filter(firms_acted_for(user), pk=body.enterprise_id).first()
    if enterprise is None:
        raise HttpError(404, "not found")
    listing = services.listing_create(
        actor=user, enterprise=enterprise, **body.dict(exclude={"enterprise_id"})
    )
    return 201, _listing_out(_listing(user, listing.pk))


@router.get(
    "/listings/{listing_id}",
    response={200: ListingOut, 401: Error, 404: Error},
    summary="一条供需信息",
)
def listing_detail(request: HttpRequest, listing_id: int) -> dict[str, Any]:
    return _listing_out(_listing(_user(request), listing_id))


@router.post(
    "/listings/{listing_id}/close",
    response={200: ListingOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="关闭供需信息（待确认的对接随之取消）",
)
def listing_close(request: HttpRequest, listing_id: int) -> dict[str, Any]:
    user = _user(request)
    listing = services.listing_close(actor=user, listing_id=_listing(user, listing_id).pk)
    return _listing_out(_listing(user, listing.pk))


@router.get(
    "/listings/{listing_id}/suggestions",
    response={200: list[SuggestionOut], 401: Error, 403: Error, 404: Error},
    summary="推荐的对接方：区域由近及远，同类物资优先，附推荐理由",
)
def listing_suggestions(request: HttpRequest, listing_id: int) -> list[dict[str, Any]]:
    from .permissions import acts_for

    user = _user(request)
    listing = _listing(user, listing_id)
    if not acts_for(user, listing.enterprise):
        raise HttpError(403, "forbidden")
    return [
        {
            "listing": _listing_out(s.listing),
            "distance": s.distance,
            "reason": s.reason,
            "item_score": s.item_score,
            "enough": s.enough,
            "quantity": s.quantity,
        }
        for s in selectors.suggestions(user=user, listing=listing)
    ]


@router.get("/matches", response={200: MatchPage, 401: Error}, summary="可见的对接")
def match_list(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    current = paginate(selectors.matches_visible_to(_user(request)), page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_match_out(m) for m in current.object_list],
    }


@router.post(
    "/matches",
    response={201: SupplyMatchOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="发起对接（发起企业一方即视为确认）",
)
def match_propose(request: HttpRequest, body: ProposeIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    match = services.match_propose(
        actor=user,
        offer=_listing(user, body.offer_id),
        request=_listing(user, body.request_id),
        quantity=body.quantity,
        reason=body.reason,
    )
    return 201, _match_out(_match(user, match.pk))


@router.get(
    "/matches/{match_id}",
    response={200: SupplyMatchOut, 401: Error, 404: Error},
    summary="一次对接",
)
def match_detail(request: HttpRequest, match_id: int) -> dict[str, Any]:
    return _match_out(_match(_user(request), match_id))


@router.post(
    "/matches/{match_id}/confirm",
    response={200: SupplyMatchOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="确认一方；双方都确认后分配数量（剩余不足时 409）",
)
def match_confirm(request: HttpRequest, match_id: int, body: ConfirmIn) -> dict[str, Any]:
    user = _user(request)
    services.match_confirm(actor=user, match_id=_match(user, match_id).pk, side=body.side)
    return _match_out(_match(user, match_id))


@router.post(
    "/matches/{match_id}/cancel",
    response={200: SupplyMatchOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="取消对接（已确认未交付的释放数量）",
)
def match_cancel(request: HttpRequest, match_id: int) -> dict[str, Any]:
    user = _user(request)
    services.match_cancel(actor=user, match_id=_match(user, match_id).pk)
    return _match_out(_match(user, match_id))


@router.post(
    "/matches/{match_id}/deliver",
    response={200: SupplyMatchOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="登记累计交付数量",
)
def match_deliver(request: HttpRequest, match_id: int, body: DeliverIn) -> dict[str, Any]:
    user = _user(request)
    services.match_deliver(actor=user, match_id=_match(user, match_id).pk, delivered=body.delivered)
    return _match_out(_match(user, match_id))


@router.get(
    "/summary",
    response={200: MatchingSummaryOut, 401: Error, 403: Error, 404: Error},
    summary="对接成效：受助企业、交付物资、安置用工，分下级区域",
)
def summary(request: HttpRequest, region_id: int | None = None) -> dict[str, Any]:
    user = _user(request)
    if not is_summary_reader(user):
        raise HttpError(403, "forbidden")
    regions = selectors.summary_regions(user)
    region = (
        regions.filter(pk=region_id).first()
        if region_id
        else selectors.default_summary_region(user)
    )
    if region is None:
        raise HttpError(404, "not found")
    figures = selectors.summary(region=region)
    return {
        "region_id": region.pk,
        "region_name": region.name,
        "firms_helped": figures["firms_helped"],
        "workers": figures["workers"],
        "matches": figures["matches"],
        "open_offers": figures["open_offers"],
        "open_requests": figures["open_requests"],
        "items": figures["items"],
        "children": [
            {
                "region_id": row["region"].pk,
                "region_name": row["region"].name,
                "firms_helped": row["firms_helped"],
                "goods": row["goods"],
                "workers": row["workers"],
            }
            for row in figures["children"]
        ],
    }
