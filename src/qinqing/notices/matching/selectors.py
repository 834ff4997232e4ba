"""Every read of 供需对接, scoped to the reader; suggestions and summary figures.

*Suggestions* for a listing are live listings of the other side and the same kind (goods or
labour), of another firm, still valid, whose item is the same after normalising (synonyms
folded) or similar enough (``items.similarity`` ≥ 0.6). They are ranked by

1. the tree distance between the two listings' regions: the number of steps from each up to
   their lowest common region, added (two firms of one grid: 0; two grids of one community:
   2; …), so the same grid comes before the same community, town, district and city;
2. the item score (the same item before a merely similar one);
3. whether the counterpart has enough left to cover this listing's remaining quantity;
4. the earlier validity end, then the older listing.

Each suggestion carries its reason in words (同一网格 · 同类物资 · 数量充足).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.directory.models import Region, RegionLevel

from .items import MIN_SIMILARITY, similarity
from .models import LIVE_STATES, Kind, Listing, Match, MatchState, Side
from .permissions import listing_scope, match_scope, staff_paths
from .services import today

#: the label of the lowest common region, by the number of codes it shares with both paths
COMMON_LABELS = {
    RegionLevel.GRID: gettext_lazy("同一网格"),
    RegionLevel.COMMUNITY: gettext_lazy("同一社区"),
    RegionLevel.TOWN: gettext_lazy("同一乡镇街道"),
    RegionLevel.DISTRICT: gettext_lazy("同一区县市"),
    RegionLevel.CITY: gettext_lazy("同一城市"),
}
MAX_CANDIDATES = 2000


def codes(path: str) -> list[str]:
    return [c for c in path.strip("/").split("/") if c]


def tree_distance(path_a: str, path_b: str) -> tuple[int, int]:
    """(steps from both regions up to their lowest common region, depth of that region)."""
    a, b = codes(path_a), codes(path_b)
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return (len(a) - common) + (len(b) - common), common


def distance_label(common_depth: int) -> str:
    if common_depth == 0:
        return _("不同城市")
    return str(COMMON_LABELS.get(RegionLevel(min(common_depth, 5)), _("同一城市")))


# --- listings --------------------------------------------------------------------------------
def listings_visible_to(user: Any) -> QuerySet[Listing]:
    return (
        Listing.objects.filter(listing_scope(user))
        .select_related("enterprise", "region")
        .order_by("-created_at", "-pk")
    )


def listing_list(
    *,
    user: Any,
    side: str = "",
    kind: str = "",
    state: str = "",
    query: str = "",
    region: Region | None = None,
    enterprise_ids: Sequence[int] | None = None,
) -> QuerySet[Listing]:
    qs = listings_visible_to(user)
    if side:
        qs = qs.filter(side=side)
    if kind:
        qs = qs.filter(kind=kind)
    if state == "live":
        qs = qs.filter(state__in=LIVE_STATES)
    elif state:
        qs = qs.filter(state=state)
    if query.strip():
        q = query.strip()
        qs = qs.filter(Q(item__icontains=q) | Q(enterprise__name__icontains=q) | Q(item_key=q))
    if region is not None:
        qs = qs.filter(region_path__startswith=region.path)
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=list(enterprise_ids))
    return qs


@dataclass(frozen=True)
class Suggestion:
    listing: Listing
    distance: int
    place: str
    item_score: float
    enough: bool
    quantity: int

    @property
    def reason(self) -> str:
        if self.item_score >= 1:
            item = _("同一工种") if self.listing.kind == Kind.LABOUR else _("同类物资")
        else:
            item = _("名称相近（%(s)d%%）") % {"s": round(self.item_score * 100)}
        amount = _("数量充足") if self.enough else _("可部分满足")
        return f"{self.place} · {item} · {amount}"


def suggestions(*, user: Any, listing: Listing, limit: int = 20) -> list[Suggestion]:
    """Counterparts for ``listing`` in the order of the module's rule (see above)."""
    if listing.state not in LIVE_STATES or listing.remaining <= 0:
        return []
    other = Side.REQUEST if listing.side == Side.OFFER else Side.OFFER
    candidates = (
        listings_visible_to(user)
        .filter(side=other, kind=listing.kind, state__in=LIVE_STATES, valid_until__gte=today())
        .exclude(enterprise_id=listing.enterprise_id)
        .order_by("valid_until", "pk")[:MAX_CANDIDATES]
    )
    found: list[tuple[tuple[Any, ...], Suggestion]] = []
    for candidate in candidates:
        if candidate.remaining <= 0:
            continue
        score = (
            1.0
            if candidate.item_key == listing.item_key
            else similarity(candidate.item, listing.item)
        )
        if score < MIN_SIMILARITY:
            continue
        distance, common = tree_distance(listing.region_path, candidate.region_path)
        enough = candidate.remaining >= listing.remaining
        suggestion = Suggestion(
            listing=candidate,
            distance=distance,
            place=distance_label(common),
            item_score=score,
            enough=enough,
            quantity=min(candidate.remaining, listing.remaining),
        )
        key = (distance, -score, 0 if enough else 1, candidate.valid_until, candidate.pk)
        found.append((key, suggestion))
    found.sort(key=lambda pair: pair[0])
    return [s for _key, s in found[:limit]]


# --- matches ---------------------------------------------------------------------------------
def matches_visible_to(user: Any) -> QuerySet[Match]:
    return (
        Match.objects.filter(match_scope(user))
        .select_related(
            "offer__enterprise", "request__enterprise", "offer__region", "request__region"
        )
        .order_by("-created_at", "-pk")
    )


def matches_of_listing(*, user: Any, listing: Listing) -> QuerySet[Match]:
    return matches_visible_to(user).filter(Q(offer=listing) | Q(request=listing))


# --- summary ---------------------------------------------------------------------------------
def summary_regions(user: Any) -> QuerySet[Region]:
    """The regions whose summary ``user`` may read (their own regions' subtrees)."""
    condition = Q(pk__in=[])
    for path in staff_paths(user):
        condition |= Q(path__startswith=path)
    return Region.objects.filter(condition)


def default_summary_region(user: Any) -> Region | None:
    return summary_regions(user).order_by("level", "path").first()


def summary(*, region: Region) -> dict[str, Any]:
    """Figures of what matching achieved for the firms of ``region`` (by the requesting firm's
    region): firms helped, goods delivered per item, workers placed; and the same per child
    region. Counted over delivered quantities (a confirmed but undelivered match helps
    nobody yet)."""
    delivered = Match.objects.filter(
        delivered__gt=0, request__region_path__startswith=region.path
    ).exclude(state=MatchState.CANCELLED)
    totals = delivered.aggregate(
        firms_helped=Count("request__enterprise", distinct=True),
        matches=Count("pk"),
        workers=Sum("delivered", filter=Q(request__kind=Kind.LABOUR), default=0),
        goods_firms=Count("request__enterprise", filter=Q(request__kind=Kind.GOODS), distinct=True),
        labour_firms=Count(
            "request__enterprise", filter=Q(request__kind=Kind.LABOUR), distinct=True
        ),
    )
    items = list(
        delivered.filter(request__kind=Kind.GOODS)
        .values("request__item_key", "request__unit")
        .annotate(quantity=Sum("delivered"), firms=Count("request__enterprise", distinct=True))
        .order_by("-quantity", "request__item_key")
    )
    children = list(Region.objects.filter(parent=region).order_by("code"))
    rows = []
    if children:
        aggregates: dict[str, Any] = {}
        for child in children:
            inside = Q(request__region_path__startswith=child.path)
            aggregates[f"f{child.pk}"] = Count("request__enterprise", filter=inside, distinct=True)
            aggregates[f"g{child.pk}"] = Sum(
                "delivered", filter=inside & Q(request__kind=Kind.GOODS), default=0
            )
            aggregates[f"w{child.pk}"] = Sum(
                "delivered", filter=inside & Q(request__kind=Kind.LABOUR), default=0
            )
        figures = delivered.aggregate(**aggregates)
        rows = [
            {
                "region": child,
                "firms_helped": figures[f"f{child.pk}"],
                "goods": figures[f"g{child.pk}"],
                "workers": figures[f"w{child.pk}"],
            }
            for child in children
        ]
    live = Listing.objects.filter(region_path__startswith=region.path, state__in=LIVE_STATES)
    open_counts = live.aggregate(
        offers=Count("pk", filter=Q(side=Side.OFFER)),
        requests=Count("pk", filter=Q(side=Side.REQUEST)),
    )
    return {
        "region": region,
        **totals,
        "items": [
            {
                "item": row["request__item_key"],
                "unit": row["request__unit"],
                "quantity": row["quantity"],
                "firms": row["firms"],
            }
            for row in items
        ],
        "children": rows,
        "open_offers": open_counts["offers"],
        "open_requests": open_counts["requests"],
    }
