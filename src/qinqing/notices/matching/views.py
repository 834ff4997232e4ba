"""The pages of 供需对接: the board, posting (prefilled from the query), a listing with its
suggestions, a match with both confirmations, the summary and the Excel export.

Thin: every id from the client is looked up inside the reader's scope (another firm's
closed listing or match is "not found"); the services check who may act.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qinqing.audit.services import record
from qinqing.common.controlchars import posted_text
from qinqing.common.errors import ServiceError
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.spreadsheet import xlsx_response
from qinqing.directory.models import Enterprise

from . import selectors, services
from .forms import DeliverForm, ListingForm, ProposeForm
from .models import Kind, Listing, ListingState, Match, MatchState, Side
from .permissions import acts_for, firms_acted_for, is_summary_reader

PER_PAGE = 20


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The board of listings with filters; ``mine=1`` shows the reader's firms' listings."""
    user = request.user
    params = request.GET
    region = None
    region_id = _int(params.get("region"))
    if region_id is not None:
        region = selectors.summary_regions(user).filter(pk=region_id).first()
        if region is None:
            raise Http404
    mine = params.get("mine") == "1"
    qs = selectors.listing_list(
        user=user,
        side=params.get("side", "") if params.get("side") in Side.values else "",
        kind=params.get("kind", "") if params.get("kind") in Kind.values else "",
        state=params.get("state", "live"),
        query=params.get("q", "")[:64],
        region=region,
        enterprise_ids=(
            list(Enterprise.objects.filter(firms_acted_for(user)).values_list("pk", flat=True))
            if mine
            else None
        ),
    )
    current = paginate(qs, params.get("page"), PER_PAGE)
    return render(
        request,
        "matching/board.html",
        {
            "page": current,
            "params": params,
            "mine": mine,
            "sides": Side.choices,
            "kinds": Kind.choices,
            "states": ListingState.choices,
            "region": region,
            "regions": selectors.summary_regions(user).filter(level__lte=3).order_by("path"),
            "can_post": Enterprise.objects.filter(firms_acted_for(user)).exists(),
            "query": params.urlencode(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def listing_new(request: HttpRequest) -> HttpResponse:
    """Post an offer or a request; GET parameters prefill the form (side, kind, item,
    quantity, unit, firm, need)."""
    user = request.user
    if request.method == "POST":
        form = ListingForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                listing = services.listing_create(
                    actor=user,
                    enterprise=data["enterprise"],
                    side=data["side"],
                    kind=data["kind"],
                    item=data["item"],
                    quantity=data["quantity"],
                    unit=data["unit"],
                    unit_price=data["unit_price"],
                    valid_until=data["valid_until"],
                    specification=data["specification"],
                    skills=data["skills"],
                    work_time=data["work_time"],
                    note=data["note"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                if data.get("need"):
                    _link_need(request, data["need"], listing)
                messages.success(request, _("已发布 %(n)s。") % {"n": listing.number})
                return redirect("matching:listing", listing_id=listing.pk)
    else:
        params = request.GET
        firms = Enterprise.objects.filter(firms_acted_for(user))
        if not firms.exists():
            raise PermissionDenied
        initial: dict[str, Any] = {
            "side": params.get("side") if params.get("side") in Side.values else Side.REQUEST,
            "kind": params.get("kind") if params.get("kind") in Kind.values else Kind.GOODS,
            "item": params.get("item", "")[:64],
            "unit": params.get("unit", "")[:16],
            "valid_until": services.today() + timedelta(days=14),
        }
        if _int(params.get("quantity")):
            initial["quantity"] = _int(params.get("quantity"))
        firm_id = _int(params.get("firm"))
        if firm_id and firms.filter(pk=firm_id).exists():
            initial["enterprise"] = firm_id
        elif firms.count() == 1:
            initial["enterprise"] = firms.first()
        if _int(params.get("need")):
            initial["need"] = _int(params.get("need"))
        form = ListingForm(initial=initial, user=user)
    return render(request, "matching/listing_form.html", {"form": form})


def _link_need(request: HttpRequest, report_id: int, listing: Listing) -> None:
    from qinqing.notices.emergency.services import need_link_listing

    try:
        need_link_listing(actor=request.user, report_id=report_id, listing=listing)
    except (ServiceError, LookupError, ValueError):
        return
    messages.info(request, _("应急监测中报送的需求已关联到本条需求。"))


def _listing(user: Any, listing_id: int) -> Listing:
    return get_object_or_404(selectors.listings_visible_to(user), pk=listing_id)


@login_required
def listing_detail(request: HttpRequest, listing_id: int) -> HttpResponse:
    user = request.user
    listing = _listing(user, listing_id)
    mine = acts_for(user, listing.enterprise)
    return render(
        request,
        "matching/listing_detail.html",
        {
            "listing": listing,
            "mine": mine,
            "suggestions": selectors.suggestions(user=user, listing=listing) if mine else [],
            "matches": selectors.matches_of_listing(user=user, listing=listing),
            "can_close": mine and listing.state not in (ListingState.CLOSED, ListingState.EXPIRED),
        },
    )


@login_required
@require_POST
def listing_close(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = _listing(request.user, listing_id)
    try:
        services.listing_close(actor=request.user, listing_id=listing.pk)
        messages.success(request, _("已关闭。"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("matching:listing", listing_id=listing.pk)


@login_required
@require_POST
def propose(request: HttpRequest, listing_id: int) -> HttpResponse:
    user = request.user
    listing = _listing(user, listing_id)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写对接数量。"))
        return redirect("matching:listing", listing_id=listing.pk)
    other = _listing(user, form.cleaned_data["counterpart"])
    offer, wanted = (listing, other) if listing.side == Side.OFFER else (other, listing)
    try:
        match = services.match_propose(
            actor=user,
            offer=offer,
            request=wanted,
            quantity=form.cleaned_data["quantity"],
            reason=posted_text(request.POST, "reason")[:200],
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("matching:listing", listing_id=listing.pk)
    messages.success(request, _("已发起对接，等待对方确认。"))
    return redirect("matching:match", match_id=match.pk)


def _match(user: Any, match_id: int) -> Match:
    return get_object_or_404(selectors.matches_visible_to(user), pk=match_id)


@login_required
def match_detail(request: HttpRequest, match_id: int) -> HttpResponse:
    user = request.user
    match = _match(user, match_id)
    sides = []
    if acts_for(user, match.offer.enterprise) and match.offer_confirmed_at is None:
        sides.append(Side.OFFER)
    if acts_for(user, match.request.enterprise) and match.request_confirmed_at is None:
        sides.append(Side.REQUEST)
    party = acts_for(user, match.offer.enterprise) or acts_for(user, match.request.enterprise)
    return render(
        request,
        "matching/match_detail.html",
        {
            "match": match,
            "confirm_sides": sides if match.state == MatchState.PROPOSED else [],
            "side_labels": dict(Side.choices),
            "can_cancel": party
            and (
                match.state == MatchState.PROPOSED
                or (match.state == MatchState.CONFIRMED and match.delivered == 0)
            ),
            "can_deliver": party and match.state == MatchState.CONFIRMED,
            "deliver_form": DeliverForm(initial={"delivered": match.quantity}),
        },
    )


@login_required
@require_POST
def match_act(request: HttpRequest, match_id: int, action: str) -> HttpResponse:
    user = request.user
    match = _match(user, match_id)
    try:
        if action == "confirm":
            side = request.POST.get("side") or None
            services.match_confirm(actor=user, match_id=match.pk, side=side)
            messages.success(request, _("已确认。"))
        elif action == "cancel":
            services.match_cancel(actor=user, match_id=match.pk)
            messages.success(request, _("已取消。"))
        elif action == "deliver":
            services.match_deliver(
                actor=user, match_id=match.pk, delivered=request.POST.get("delivered")
            )
            messages.success(request, _("已登记交付。"))
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("matching:match", match_id=match.pk)


@login_required
def my_matches(request: HttpRequest) -> HttpResponse:
    qs = selectors.matches_visible_to(request.user)
    state = request.GET.get("state", "")
    if state in MatchState.values:
        qs = qs.filter(state=state)
    current = paginate(qs, request.GET.get("page"), PER_PAGE)
    return render(
        request,
        "matching/match_list.html",
        {"page": current, "states": MatchState.choices, "state": state},
    )


def _summary_region(request: HttpRequest) -> Any:
    user = request.user
    if not is_summary_reader(user):
        raise PermissionDenied
    region_id = _int(request.GET.get("region"))
    regions = selectors.summary_regions(user)
    region = (
        regions.filter(pk=region_id).first()
        if region_id
        else selectors.default_summary_region(user)
    )
    if region is None:
        raise Http404
    return region


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    region = _summary_region(request)
    return render(
        request,
        "matching/summary.html",
        {"figures": selectors.summary(region=region), "region": region},
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Every listing of the reader's region (staff) with its allocation and delivery."""
    region = _summary_region(request)
    qs = (
        selectors.listings_visible_to(request.user)
        .filter(region_path__startswith=region.path)
        .order_by("pk")
    )
    record(
        actor=request.user,
        action="matching.export",
        object_type="directory.region",
        object_id=region.pk,
        object_label=region.name,
        changes={"rows": qs.count()},
    )
    header = [
        _("编号"),
        _("企业"),
        _("区域"),
        _("供需"),
        _("类别"),
        _("物资/岗位"),
        _("规格/要求"),
        _("数量"),
        _("单位"),
        _("单价/月薪（元）"),
        _("已确认数量"),
        _("已交付数量"),
        _("有效期至"),
        _("状态"),
        _("代为发布"),
    ]
    rows = (
        [
            listing.number,
            listing.enterprise.name,
            listing.region.name,
            listing.get_side_display(),
            listing.get_kind_display(),
            listing.item,
            listing.specification,
            listing.quantity,
            listing.unit,
            listing.unit_price,
            listing.allocated,
            listing.delivered,
            listing.valid_until,
            listing.get_state_display(),
            _("是") if listing.on_behalf else "",
        ]
        for listing in qs.iterator(chunk_size=500)
    )
    return xlsx_response(f"供需对接-{region.name}.xlsx", _("供需对接"), header, rows)
