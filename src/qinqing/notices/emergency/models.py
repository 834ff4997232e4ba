"""协同监测: emergencies declared for regions, and the firms' periodic status reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.directory.models import Audience, Enterprise


class EmergencyKind(models.TextChoices):
    EPIDEMIC = "epidemic", _("疫情")
    TYPHOON = "typhoon", _("台风")
    FLOOD = "flood", _("洪涝")
    OTHER = "other", _("其他")


class Cadence(models.TextChoices):
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")


class Emergency(models.Model):
    """An emergency declared for an audience of firms, with a reporting cadence."""

    title = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=12, choices=EmergencyKind.choices)
    description = models.TextField(_("说明"), blank=True)
    audience = models.ForeignKey(
        Audience, verbose_name=_("监测对象"), on_delete=models.PROTECT, related_name="+"
    )
    cadence = models.CharField(
        _("报送频次"), max_length=8, choices=Cadence.choices, default=Cadence.DAILY
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    #: fixed supply items asked about (days of stock each), e.g. ["口罩", "消毒液"]
    supply_items = models.JSONField(_("物资储备项目"), default=list, blank=True)
    #: local hour after which firms that have not reported are reminded
    reminder_hour = models.PositiveSmallIntegerField(_("提醒时间（时）"), default=10)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("应急事件")
        verbose_name_plural = _("应急事件")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="emergency_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(reminder_hour__lte=23), name="emergency_reminder_hour_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OperatingStatus(models.TextChoices):
    RUNNING = "running", _("正常生产")
    PARTLY = "partly", _("部分生产")
    STOPPED = "stopped", _("停产")


class StatusReport(models.Model):
    """One firm's status in one period (a day, or a week from Monday) of an emergency."""

    emergency = models.ForeignKey(
        Emergency, on_delete=models.CASCADE, related_name="reports", verbose_name=_("应急事件")
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="+", verbose_name=_("企业")
    )
    period = models.DateField(_("报送周期"))
    #: the firm's grid path when it reported (region figures and scope filters)
    region_path = models.CharField(max_length=512, db_index=True, editable=False)
    status = models.CharField(_("生产状态"), max_length=8, choices=OperatingStatus.choices)
    staff_on_site = models.PositiveIntegerField(_("在岗人数"))
    staff_absent = models.PositiveIntegerField(_("未返岗人数"))
    #: [{"item": "口罩", "days": 5}, …] days of stock per supply item
    supplies = models.JSONField(_("物资储备"), default=list, blank=True)
    need_text = models.CharField(_("紧急需求"), max_length=500, blank=True)
    need_item = models.CharField(_("需求物资"), max_length=64, blank=True)
    need_quantity = models.PositiveIntegerField(_("需求数量"), null=True, blank=True)
    need_demand = models.ForeignKey(
        "demands.Demand",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("转为诉求"),
    )
    need_listing = models.ForeignKey(
        "matching.Listing",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("转为对接需求"),
    )
    on_behalf = models.BooleanField(_("代为报送"), default=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("状态报送")
        verbose_name_plural = _("状态报送")
        ordering = ["-period", "enterprise__name"]
        indexes = [models.Index(fields=["emergency", "period", "region_path"])]
        constraints = [
            models.UniqueConstraint(
                fields=["emergency", "enterprise", "period"], name="report_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OperatingStatus.values), name="report_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} @ {self.period}"

    @property
    def has_need(self) -> bool:
        return bool(self.need_text or self.need_item)
