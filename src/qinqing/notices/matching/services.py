"""Every write of 供需对接. Each service takes the acting user, checks that they may act,
runs in one transaction and leaves an audit record.

*Allocation rule.* A match's quantity is allocated to its offer and its request only when
both sides have confirmed. The confirming transaction locks the match, then both listings
(``select_for_update``, in primary-key order so that two confirmations never deadlock), and
checks that each listing is still live and has at least the match's quantity unallocated;
otherwise it refuses with a conflict and allocates nothing. The database itself refuses
``allocated > quantity`` (check constraint ``listing_not_over_allocated``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Enterprise

from .items import normalise
from .models import LIVE_STATES, Kind, Listing, ListingState, Match, MatchState, Side, WorkTime
from .permissions import acts_for, is_on_behalf, own_firm_ids

register("listing.create", gettext_lazy("发布供需信息"))
register("listing.close", gettext_lazy("关闭供需信息"))
register("listing.expire", gettext_lazy("供需信息过期"))
register("match.propose", gettext_lazy("发起对接"))
register("match.confirm", gettext_lazy("确认对接"))
register("match.cancel", gettext_lazy("取消对接"))
register("match.deliver", gettext_lazy("登记交付"))
register("matching.export", gettext_lazy("导出供需对接"))

MAX_QUANTITY = 100_000_000
MAX_VALID_DAYS = 366


def today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def _invalid(errors: dict[str, list[str]]) -> ServiceError:
    return ServiceError(next(iter(errors.values()))[0], field_errors=errors)


def _state_after_allocation(listing: Listing) -> str:
    if listing.state not in LIVE_STATES and listing.state != ListingState.FULFILLED:
        return listing.state
    if listing.allocated == 0:
        return ListingState.OPEN
    if listing.allocated < listing.quantity:
        return ListingState.PARTLY
    return ListingState.FULFILLED


# --- listings --------------------------------------------------------------------------------
@transaction.atomic
def listing_create(
    *,
    actor: Any,
    enterprise: Enterprise,
    side: str,
    kind: str,
    item: str,
    quantity: Any,
    unit: str,
    valid_until: date | None,
    specification: str = "",
    unit_price: Any = None,
    skills: str = "",
    work_time: str = "",
    note: str = "",
) -> Listing:
    """Post an offer or a request for ``enterprise`` (its own user, or staff in scope)."""
    if not acts_for(actor, enterprise):
        raise NotPermitted(_("您不能为该企业发布供需信息。"))
    errors: dict[str, list[str]] = {}
    if side not in Side.values:
        errors["side"] = [_("请选择供应或需求。")]
    if kind not in Kind.values:
        errors["kind"] = [_("请选择物资或用工。")]
    item = (item or "").strip()
    if not item:
        errors["item"] = [_("请填写物资名称或岗位。")]
    elif len(item) > 64:
        errors["item"] = [_("名称不超过64字。")]
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        quantity = 0
    if not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = [_("数量应为1至1亿之间的整数。")]
    unit = (unit or "").strip() or (_("人") if kind == Kind.LABOUR else "")
    if not unit:
        errors["unit"] = [_("请填写单位（如 个、箱、吨）。")]
    elif len(unit) > 16:
        errors["unit"] = [_("单位不超过16字。")]
    price: Decimal | None = None
    if unit_price not in (None, ""):
        try:
            price = Decimal(str(unit_price)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            price = Decimal("-1")
        if price < 0 or price >= Decimal("1e10"):
            errors["unit_price"] = [_("请填写不小于0的金额（元）。")]
    now = today()
    if valid_until is None:
        errors["valid_until"] = [_("请填写有效期。")]
    elif valid_until < now:
        errors["valid_until"] = [_("有效期不能早于今天。")]
    elif valid_until > now + timedelta(days=MAX_VALID_DAYS):
        errors["valid_until"] = [_("有效期最长一年。")]
    if kind == Kind.LABOUR:
        work_time = work_time or WorkTime.FULL
        if work_time not in WorkTime.values:
            errors["work_time"] = [_("请选择全职或兼职。")]
    else:
        work_time, skills = "", ""
    if errors or valid_until is None:
        raise _invalid(errors)
    listing = Listing.objects.create(
        enterprise=enterprise,
        side=side,
        kind=kind,
        item=item,
        item_key=normalise(item),
        specification=(specification or "").strip()[:200],
        quantity=quantity,
        unit=unit,
        unit_price=price,
        skills=(skills or "").strip()[:200],
        work_time=work_time,
        region=enterprise.grid,
        region_path=enterprise.grid.path,
        valid_until=valid_until,
        note=(note or "").strip()[:500],
        created_by=actor,
        on_behalf=is_on_behalf(actor, enterprise),
    )
    record(
        actor=actor,
        action="listing.create",
        obj=listing,
        changes={
            "enterprise": enterprise.pk,
            "side": side,
            "kind": kind,
            "item": item,
            "quantity": quantity,
            "on_behalf": listing.on_behalf,
        },
    )
    return listing


def _cancel_proposals(listing: Listing) -> int:
    from django.db.models import Q

    return Match.objects.filter(
        Q(offer=listing) | Q(request=listing), state=MatchState.PROPOSED
    ).update(state=MatchState.CANCELLED)


@transaction.atomic
def listing_close(*, actor: Any, listing_id: int) -> Listing:
    """Close a listing: it takes no new matches; open proposals on it are cancelled."""
    listing = (
        Listing.objects.select_for_update().select_related("enterprise__grid").get(pk=listing_id)
    )
    if not acts_for(actor, listing.enterprise):
        raise NotPermitted(_("您不能关闭该企业的供需信息。"))
    if listing.state in (ListingState.CLOSED, ListingState.EXPIRED):
        raise Conflict(_("该信息已关闭。"))
    before = listing.state
    listing.state = ListingState.CLOSED
    listing.save(update_fields=["state", "updated_at"])
    cancelled = _cancel_proposals(listing)
    record(
        actor=actor,
        action="listing.close",
        obj=listing,
        changes={"state": [before, listing.state], "proposals_cancelled": cancelled},
    )
    return listing


def expire_listings(*, on: date | None = None) -> int:
    """Mark live listings past their validity expired (the daily job); idempotent."""
    day = on or today()
    expired = 0
    for pk in Listing.objects.filter(state__in=LIVE_STATES, valid_until__lt=day).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            listing = Listing.objects.select_for_update().get(pk=pk)
            if listing.state not in LIVE_STATES:
                continue
            listing.state = ListingState.EXPIRED
            listing.save(update_fields=["state", "updated_at"])
            _cancel_proposals(listing)
            record(actor=None, action="listing.expire", obj=listing, changes={"on": day})
            expired += 1
    return expired


# --- matches ---------------------------------------------------------------------------------
def _firm_sides(actor: Any, match: Match) -> list[str]:
    sides = []
    if acts_for(actor, match.offer.enterprise):
        sides.append(Side.OFFER.value)
    if acts_for(actor, match.request.enterprise):
        sides.append(Side.REQUEST.value)
    return sides


@transaction.atomic
def match_propose(
    *, actor: Any, offer: Listing, request: Listing, quantity: Any, reason: str = ""
) -> Match:
    """Propose ``quantity`` between an offer and a request. The proposer's own firm's side is
    confirmed at once; staff proposing for firms leave both sides to confirm."""
    offer = Listing.objects.select_related("enterprise__grid").get(pk=offer.pk)
    request = Listing.objects.select_related("enterprise__grid").get(pk=request.pk)
    if not (acts_for(actor, offer.enterprise) or acts_for(actor, request.enterprise)):
        raise NotPermitted(_("只有供需一方的企业或其管家可以发起对接。"))
    errors: dict[str, list[str]] = {}
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        quantity = 0
    if offer.side != Side.OFFER or request.side != Side.REQUEST:
        errors["request"] = [_("对接须在一条供应和一条需求之间。")]
    elif offer.kind != request.kind:
        errors["request"] = [_("物资只能对接物资，用工只能对接用工。")]
    elif offer.enterprise_id == request.enterprise_id:
        errors["request"] = [_("不能与本企业自己的信息对接。")]
    elif offer.state not in LIVE_STATES or request.state not in LIVE_STATES:
        errors["request"] = [_("该信息已关闭、已满足或已过期。")]
    elif offer.valid_until < today() or request.valid_until < today():
        errors["request"] = [_("该信息已过期。")]
    if not errors:
        limit = min(offer.remaining, request.remaining)
        if quantity < 1:
            errors["quantity"] = [_("对接数量至少为1。")]
        elif quantity > limit:
            errors["quantity"] = [_("对接数量不能超过剩余数量 %(n)d。") % {"n": limit}]
    if errors:
        raise _invalid(errors)
    if Match.objects.filter(offer=offer, request=request, state=MatchState.PROPOSED).exists():
        raise Conflict(_("这两条信息之间已有待确认的对接。"))
    now = timezone.now()
    mine = own_firm_ids(actor)
    match = Match.objects.create(
        offer=offer,
        request=request,
        quantity=quantity,
        reason=(reason or "")[:200],
        proposed_by=actor,
    )
    if offer.enterprise_id in mine:
        match.offer_confirmed_by, match.offer_confirmed_at = actor, now
    if request.enterprise_id in mine:
        match.request_confirmed_by, match.request_confirmed_at = actor, now
    match.save()
    record(
        actor=actor,
        action="match.propose",
        obj=match,
        changes={"offer": offer.pk, "request": request.pk, "quantity": quantity},
    )
    _notify(match, "propose")
    return match


def _lock(match_id: int) -> tuple[Match, Listing, Listing]:
    """Lock the match, then its two listings in primary-key order."""
    match = Match.objects.select_for_update().get(pk=match_id)
    locked = {
        listing.pk: listing
        for listing in Listing.objects.select_for_update()
        .filter(pk__in=sorted([match.offer_id, match.request_id]))
        .order_by("pk")
    }
    offer, request = locked[match.offer_id], locked[match.request_id]
    offer.enterprise = Enterprise.objects.select_related("grid").get(pk=offer.enterprise_id)
    request.enterprise = Enterprise.objects.select_related("grid").get(pk=request.enterprise_id)
    match.offer, match.request = offer, request
    return match, offer, request


def _allocate(listing: Listing, quantity: int) -> None:
    listing.allocated += quantity
    listing.state = _state_after_allocation(listing)
    listing.save(update_fields=["allocated", "state", "updated_at"])


@transaction.atomic
def match_confirm(*, actor: Any, match_id: int, side: str | None = None) -> Match:
    """Confirm one side of a proposed match; the second confirmation allocates the quantity
    to both listings, or fails with a conflict when either has not enough left."""
    match, offer, request = _lock(match_id)
    sides = _firm_sides(actor, match)
    if not sides:
        raise NotPermitted(_("您不能替其他企业确认对接。"))
    if side is None:
        pending = [
            s
            for s in sides
            if (s == Side.OFFER and match.offer_confirmed_at is None)
            or (s == Side.REQUEST and match.request_confirmed_at is None)
        ]
        side = pending[0] if pending else sides[0]
    if side not in sides:
        raise NotPermitted(_("您不能替其他企业确认对接。"))
    if match.state != MatchState.PROPOSED:
        raise Conflict(_("该对接已%(state)s，不能再确认。") % {"state": match.get_state_display()})
    now = timezone.now()
    if side == Side.OFFER:
        if match.offer_confirmed_at is not None:
            raise Conflict(_("供应方已确认过。"))
        match.offer_confirmed_by, match.offer_confirmed_at = actor, now
    else:
        if match.request_confirmed_at is not None:
            raise Conflict(_("需求方已确认过。"))
        match.request_confirmed_by, match.request_confirmed_at = actor, now
    both = match.offer_confirmed_at is not None and match.request_confirmed_at is not None
    if both:
        for listing in (offer, request):
            if listing.state not in LIVE_STATES:
                raise Conflict(
                    _("%(number)s 已关闭、已满足或已过期，不能再分配。")
                    % {"number": listing.number}
                )
            if listing.remaining < match.quantity:
                raise Conflict(
                    _("%(number)s 剩余数量只有 %(n)d，不足本次对接的 %(q)d。")
                    % {"number": listing.number, "n": listing.remaining, "q": match.quantity}
                )
        _allocate(offer, match.quantity)
        _allocate(request, match.quantity)
        match.state, match.confirmed_at = MatchState.CONFIRMED, now
    match.save()
    record(
        actor=actor,
        action="match.confirm",
        obj=match,
        changes={"side": side, "allocated": match.quantity if both else 0},
    )
    _notify(match, "confirm" if both else "confirm_side")
    return match


@transaction.atomic
def match_cancel(*, actor: Any, match_id: int) -> Match:
    """Cancel a proposal, or a confirmed match before any delivery (its quantity is freed)."""
    match, offer, request = _lock(match_id)
    if not _firm_sides(actor, match):
        raise NotPermitted(_("您不能取消其他企业的对接。"))
    before = match.state
    if match.state == MatchState.CONFIRMED and match.delivered == 0:
        for listing in (offer, request):
            listing.allocated -= match.quantity
            listing.state = _state_after_allocation(listing)
            listing.save(update_fields=["allocated", "state", "updated_at"])
    elif match.state != MatchState.PROPOSED:
        raise Conflict(_("已开始交付或已结束的对接不能取消。"))
    match.state = MatchState.CANCELLED
    match.save(update_fields=["state"])
    record(actor=actor, action="match.cancel", obj=match, changes={"state": [before, "cancelled"]})
    _notify(match, "cancel")
    return match


@transaction.atomic
def match_deliver(*, actor: Any, match_id: int, delivered: Any) -> Match:
    """Record how much of a confirmed match has been delivered so far (a running total)."""
    match, offer, request = _lock(match_id)
    if not _firm_sides(actor, match):
        raise NotPermitted(_("您不能为其他企业登记交付。"))
    if match.state not in (MatchState.CONFIRMED, MatchState.DELIVERED):
        raise Conflict(_("只有双方确认后的对接才能登记交付。"))
    try:
        total = int(delivered)
    except (TypeError, ValueError):
        total = -1
    if not match.delivered < total <= match.quantity:
        message = _("已交付数量应大于 %(a)d 且不超过对接数量 %(b)d。") % {
            "a": match.delivered,
            "b": match.quantity,
        }
        raise ServiceError(message, field_errors={"delivered": [message]})
    added = total - match.delivered
    for listing in (offer, request):
        listing.delivered += added
        listing.save(update_fields=["delivered", "updated_at"])
    match.delivered = total
    if total == match.quantity:
        match.state, match.delivered_at = MatchState.DELIVERED, timezone.now()
    match.save(update_fields=["delivered", "state", "delivered_at"])
    record(actor=actor, action="match.deliver", obj=match, changes={"delivered": total})
    return match


def _notify(match: Match, event: str) -> None:
    from .tasks import notify_match

    transaction.on_commit(lambda: notify_match.enqueue(match.pk, event))


def notify(match_id: int, event: str) -> int:
    """Tell the users of both firms (idempotent per match and event)."""
    from qinqing.accounts.models import Role, RoleAssignment
    from qinqing.inbox.services import deliver

    match = Match.objects.select_related("offer__enterprise", "request__enterprise").get(
        pk=match_id
    )
    titles = {
        "propose": _("新的供需对接待确认：%(item)s %(q)d%(unit)s"),
        "confirm_side": _("对方已确认对接：%(item)s %(q)d%(unit)s"),
        "confirm": _("供需对接已确认：%(item)s %(q)d%(unit)s"),
        "cancel": _("供需对接已取消：%(item)s %(q)d%(unit)s"),
    }
    title = titles[event] % {
        "item": match.request.item,
        "q": match.quantity,
        "unit": match.request.unit,
    }
    body = _("%(offer)s（供应） ↔ %(request)s（需求）") % {
        "offer": match.offer.enterprise.name,
        "request": match.request.enterprise.name,
    }
    users = [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.ENTERPRISE,
            enterprise_id__in=[match.offer.enterprise_id, match.request.enterprise_id],
        ).select_related("user")
    ]
    return deliver(
        users=users,
        title=title,
        body=body,
        link=f"/matching/matches/{match.pk}/",
        source=f"matching.{event}:{match.pk}",
    )
