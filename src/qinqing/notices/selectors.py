"""Every read of notices, scoped to the reader; the facts the health index takes.

Who sees which notice:

- a firm's users (enterprise, observer): published notices addressed to their firm (a
  receipt row exists), never drafts or withdrawn ones; the feed leaves out expired ones;
- staff: notices written in a region of theirs or below (authors' and stewards' regions),
  and notices addressed to a firm of their regions; drafts only their own;
- the system administrator: every notice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import has_role
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Region, RegionLevel

from .models import Kind, Notice, NoticeFile, Receipt, State
from .permissions import firm_ids, staff_paths, steward_paths


def today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def _under(paths: list[str], field_name: str) -> Q:
    condition = Q(pk__in=[])
    for p in paths:
        condition |= Q(**{f"{field_name}__startswith": p})
    return condition


def notices_visible_to(user: Any) -> QuerySet[Notice]:
    qs = Notice.objects.select_related("author", "author_region")
    if has_role(user, Role.SYSTEM_ADMIN):
        return qs
    firms = firm_ids(user)
    paths = staff_paths(user)
    condition = Q(author_id=getattr(user, "pk", None) or 0)
    sent = ~Q(state=State.DRAFT)
    if firms:
        addressed = Exists(Receipt.objects.filter(notice=OuterRef("pk"), enterprise_id__in=firms))
        condition |= Q(addressed, state=State.PUBLISHED)
    if paths:
        in_region = Exists(
            Receipt.objects.filter(notice=OuterRef("pk")).filter(
                _under(paths, "enterprise__grid__path")
            )
        )
        condition |= sent & (_under(paths, "author_region__path") | Q(in_region))
    return qs.filter(condition)


def notice_for(*, user: Any, notice_id: int) -> Notice:
    """Raises Notice.DoesNotExist for a notice the reader may not see."""
    return notices_visible_to(user).get(pk=notice_id)


def _is_current(day: date) -> Q:
    return Q(expires_on__isnull=True) | Q(expires_on__gte=day)


def feed(*, user: Any) -> QuerySet[Notice]:
    """A firm's feed: published, not expired, pinned first then newest; ``is_read`` marks
    whether the firm has read it."""
    firms = firm_ids(user)
    return (
        notices_visible_to(user)
        .filter(_is_current(today()), state=State.PUBLISHED)
        .annotate(
            is_read=Exists(
                Receipt.objects.filter(
                    notice=OuterRef("pk"), enterprise_id__in=firms, first_read_at__isnull=False
                )
            )
        )
        .order_by("-pinned", "-published_at", "-pk")
    )


def notice_search(
    *,
    user: Any,
    query: str = "",
    kind: str = "",
    state: str = "",
    published_from: date | None = None,
    published_to: date | None = None,
    archive: bool = False,
) -> QuerySet[Notice]:
    """Visible notices matching the words (title, body, issuing body, document number), kind
    and publication dates (inclusive, Asia/Shanghai); ``archive`` keeps only expired ones."""
    qs = notices_visible_to(user)
    for word in query.split()[:8]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(body__icontains=word)
            | Q(issuing_body__icontains=word)
            | Q(document_number__icontains=word)
        )
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if published_from:
        qs = qs.filter(published_at__gte=datetime.combine(published_from, time(), SHANGHAI))
    if published_to:
        qs = qs.filter(published_at__lt=datetime.combine(published_to, time.max, SHANGHAI))
    if archive:
        qs = qs.filter(expires_on__lt=today())
    return qs.order_by("-pinned", "-published_at", "-pk")


def files_of(notice: Notice) -> list[NoticeFile]:
    return list(notice.files.order_by("created_at", "pk"))


def file_for(*, user: Any, file_id: int) -> NoticeFile:
    """Raises NoticeFile.DoesNotExist for a file of a notice the reader may not see."""
    visible = notices_visible_to(user).values("pk")
    return NoticeFile.objects.select_related("notice").get(pk=file_id, notice_id__in=visible)


# --- receipts ----------------------------------------------------------------------------------
READ, UNREAD, EXPLAINED = "read", "unread", "explained"


def receipts_for(
    *, user: Any, notice: Notice, status: str = "", query: str = ""
) -> QuerySet[Receipt]:
    """The receipts ``user`` may see for a notice they can see: the author and the region's
    staff see all of them; a steward sees those of the firms in their grids."""
    from .permissions import may_manage, may_read_receipts

    qs = Receipt.objects.filter(notice=notice).select_related(
        "enterprise", "enterprise__grid", "first_reader", "explained_by"
    )
    if not may_read_receipts(user, notice):
        return qs.none()
    staff = may_manage(user, notice) or has_role(user, Role.SYSTEM_ADMIN)
    if not staff:
        from .permissions import author_regions

        if not any(notice.author_region.path.startswith(r.path) for r in author_regions(user)):
            qs = qs.filter(_under(steward_paths(user), "enterprise__grid__path"))
    if status == READ:
        qs = qs.filter(first_read_at__isnull=False)
    elif status == UNREAD:
        qs = qs.filter(first_read_at__isnull=True)
    elif status == EXPLAINED:
        qs = qs.filter(explained_at__isnull=False)
    elif status == "unreached":
        qs = qs.filter(first_read_at__isnull=True, explained_at__isnull=True)
    if query.strip():
        qs = qs.filter(enterprise__name__icontains=query.strip())
    return qs.order_by("enterprise__grid__path", "enterprise__name", "pk")


@dataclass
class ReceiptRow:
    region: str
    total: int
    read: int
    explained: int

    @property
    def unread(self) -> int:
        return self.total - self.read

    @property
    def reached(self) -> int:
        """Read, or explained in person without being read."""
        return self.read + self.explained_unread

    explained_unread: int = 0

    @property
    def share_read(self) -> float:
        return self.read / self.total if self.total else 0.0


def receipt_summary(receipts: QuerySet[Receipt]) -> tuple[list[ReceiptRow], ReceiptRow]:
    """Counts by town (乡镇街道) of the firms' grids, and the total; one grouped query plus
    one for the towns' names."""
    groups = (
        receipts.order_by()
        .values("enterprise__grid__path")
        .annotate(
            total=Count("pk"),
            read=Count("pk", filter=Q(first_read_at__isnull=False)),
            explained=Count("pk", filter=Q(explained_at__isnull=False)),
            explained_unread=Count(
                "pk", filter=Q(explained_at__isnull=False, first_read_at__isnull=True)
            ),
        )
    )
    by_town: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for g in groups:
        codes = g["enterprise__grid__path"].strip("/").split("/")
        key = codes[RegionLevel.TOWN - 1] if len(codes) >= RegionLevel.TOWN else codes[-1]
        row = by_town[key]
        row[0] += g["total"]
        row[1] += g["read"]
        row[2] += g["explained"]
        row[3] += g["explained_unread"]
    names = dict(Region.objects.filter(code__in=list(by_town)).values_list("code", "name"))
    rows = [
        ReceiptRow(names.get(code, code), t, r, e, eu)
        for code, (t, r, e, eu) in sorted(by_town.items())
    ]
    total = ReceiptRow(
        "",
        sum(r.total for r in rows),
        sum(r.read for r in rows),
        sum(r.explained for r in rows),
        sum(r.explained_unread for r in rows),
    )
    return rows, total


def firm_receipt(*, user: Any, notice: Notice) -> Receipt | None:
    firms = firm_ids(user)
    if not firms:
        return None
    return Receipt.objects.filter(notice=notice, enterprise_id__in=firms).first()


def unread_for_steward(*, user: Any) -> QuerySet[Receipt]:
    """Receipts of the steward's firms not yet read nor explained, on current notices."""
    paths = steward_paths(user)
    if not paths:
        return Receipt.objects.none()
    return (
        Receipt.objects.filter(
            _under(paths, "enterprise__grid__path"),
            first_read_at__isnull=True,
            explained_at__isnull=True,
            notice__state=State.PUBLISHED,
        )
        .filter(Q(notice__expires_on__isnull=True) | Q(notice__expires_on__gte=today()))
        .select_related("notice", "enterprise")
        .order_by("-notice__published_at", "enterprise__name")
    )


# --- the health index ---------------------------------------------------------------------------
def index_facts(*, start: date, end: date) -> list[tuple[str, str, float]]:
    """Facts for the health index: one row per policy notice published in [start, end)
    (days in Asia/Shanghai, withdrawn ones included: they were published), keyed by the
    author's region path: ``(path, "notices.policy", 1.0)``, and ``(path,
    "notices.policy_on_time", 1.0)`` when it was published on or before the day the policy
    takes effect (``effective_on``)."""
    lower = datetime.combine(start, time(), SHANGHAI)
    upper = datetime.combine(end, time(), SHANGHAI)
    rows = (
        Notice.objects.filter(
            kind=Kind.POLICY,
            published_at__gte=lower,
            published_at__lt=upper,
            state__in=[State.PUBLISHED, State.WITHDRAWN],
        )
        .order_by("author_region__path", "published_at", "pk")
        .values_list("author_region__path", "published_at", "effective_on")
    )
    facts: list[tuple[str, str, float]] = []
    for path, published_at, effective_on in rows:
        assert published_at is not None
        facts.append((path, "notices.policy", 1.0))
        if effective_on is not None and published_at.astimezone(SHANGHAI).date() <= effective_on:
            facts.append((path, "notices.policy_on_time", 1.0))
    return facts
