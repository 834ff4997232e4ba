"""供需对接: offers and requests of goods and labour, and the matches between them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qinqing.directory.models import Enterprise, Region


class Side(models.TextChoices):
    OFFER = "offer", _("供应")
    REQUEST = "request", _("需求")


class Kind(models.TextChoices):
    GOODS = "goods", _("物资")
    LABOUR = "labour", _("用工")


class WorkTime(models.TextChoices):
    FULL = "full", _("全职")
    PART = "part", _("兼职")


class ListingState(models.TextChoices):
    OPEN = "open", _("对接中")
    PARTLY = "partly", _("部分对接")
    FULFILLED = "fulfilled", _("已满足")
    CLOSED = "closed", _("已关闭")
    EXPIRED = "expired", _("已过期")


#: states in which a listing takes new matches
LIVE_STATES = (ListingState.OPEN, ListingState.PARTLY)


class Listing(models.Model):
    """An offer or a request of goods (口罩 5,000 个) or labour (普工 20 人)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="listings"
    )
    side = models.CharField(_("供需"), max_length=8, choices=Side.choices)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    item = models.CharField(_("物资/岗位"), max_length=64)
    #: the normalised item name (synonyms folded), what suggestions compare
    item_key = models.CharField(max_length=64, db_index=True, editable=False)
    specification = models.CharField(_("规格/要求"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("数量"))
    unit = models.CharField(_("单位"), max_length=16)
    unit_price = models.DecimalField(
        _("单价/月薪（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    skills = models.CharField(_("技能要求"), max_length=200, blank=True)
    work_time = models.CharField(_("用工形式"), max_length=8, choices=WorkTime.choices, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=512, db_index=True, editable=False)
    valid_until = models.DateField(_("有效期至"))
    note = models.CharField(_("备注"), max_length=500, blank=True)
    allocated = models.PositiveIntegerField(_("已确认数量"), default=0)
    delivered = models.PositiveIntegerField(_("已交付数量"), default=0)
    state = models.CharField(
        _("状态"), max_length=12, choices=ListingState.choices, default=ListingState.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf = models.BooleanField(_("代为发布"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("供需信息")
        verbose_name_plural = _("供需信息")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "side", "state", "valid_until"]),
            models.Index(fields=["enterprise", "state"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="listing_quantity_positive"),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("quantity")), name="listing_not_over_allocated"
            ),
            models.CheckConstraint(
                condition=Q(delivered__lte=F("allocated")), name="listing_delivered_le_allocated"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0),
                name="listing_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(side__in=Side.values) & Q(kind__in=Kind.values),
                name="listing_side_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.item}"

    @property
    def number(self) -> str:
        return f"GX-{self.pk or 0:06d}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.allocated


class MatchState(models.TextChoices):
    PROPOSED = "proposed", _("待双方确认")
    CONFIRMED = "confirmed", _("已确认")
    DELIVERED = "delivered", _("已交付")
    CANCELLED = "cancelled", _("已取消")


class Match(models.Model):
    """A proposed quantity between one offer and one request; both firms confirm it."""

    offer = models.ForeignKey(
        Listing, on_delete=models.PROTECT, related_name="offer_matches", verbose_name=_("供应")
    )
    request = models.ForeignKey(
        Listing, on_delete=models.PROTECT, related_name="request_matches", verbose_name=_("需求")
    )
    quantity = models.PositiveIntegerField(_("对接数量"))
    delivered = models.PositiveIntegerField(_("已交付数量"), default=0)
    state = models.CharField(
        _("状态"), max_length=12, choices=MatchState.choices, default=MatchState.PROPOSED
    )
    reason = models.CharField(_("推荐理由"), max_length=200, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    offer_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offer_confirmed_at = models.DateTimeField(null=True, blank=True)
    request_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("对接")
        verbose_name_plural = _("对接")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="match_quantity_positive"),
            models.CheckConstraint(
                condition=Q(delivered__lte=F("quantity")), name="match_delivered_le_quantity"
            ),
            models.CheckConstraint(condition=~Q(offer=F("request")), name="match_two_listings"),
            models.UniqueConstraint(
                fields=["offer", "request"],
                condition=Q(state="proposed"),
                name="match_one_open_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"DJ-{self.pk or 0:06d}"

    @property
    def number(self) -> str:
        return str(self)
