"""诉求 (demand) cases: categories, routing, the case, its timeline and attachments."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .workflow import State


class Channel(models.TextChoices):
    PORTAL = "portal", _("企业自助")
    STEWARD = "steward", _("管家代办")
    PHONE = "phone", _("电话登记")
    API = "api", _("接口")
    OPEN311 = "open311", _("Open311")


class Category(models.Model):
    """An admin-editable tree of demand categories, each with default deadlines."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    acceptance_days = models.PositiveSmallIntegerField(_("受理时限（工作日）"), default=1)
    response_days = models.PositiveSmallIntegerField(_("首次响应时限（工作日）"), default=2)
    resolution_days = models.PositiveSmallIntegerField(_("办结时限（工作日）"), default=5)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acceptance_days__gte=1, resolution_days__gte=1),
                name="category_deadlines_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Region × category → responsible department (FixMyStreet's routing table)."""

    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("区域"),
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.CASCADE, related_name="routing_rules"
    )
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("责任部门"),
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        constraints = [models.UniqueConstraint(fields=["region", "category"], name="routing_once")]

    def __str__(self) -> str:
        return f"{self.region} × {self.category} → {self.department}"


class DemandCounter(models.Model):
    """The last number issued per year, for readable ids (SQ-2026-000123)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}:{self.last}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Demand(models.Model):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="demands",
    )
    region_path = models.CharField(max_length=512, db_index=True, editable=False)
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="demands"
    )
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("详细描述"), max_length=5000)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.SUBMITTED
    )
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
    )
    version = models.PositiveIntegerField(default=1)
    supervised = models.BooleanField(_("督办"), default=False)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )

    submitted_at = models.DateTimeField(_("提交时间"))
    accept_due_at = models.DateTimeField(_("受理期限"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("响应期限"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("办结期限"), null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    reply = models.TextField(_("答复内容"), blank=True)
    satisfaction = models.CharField(
        _("满意度"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    rating = models.PositiveSmallIntegerField(
        _("评分"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("评价意见"), blank=True, max_length=2000)
    not_rated = models.BooleanField(_("未评价自动办结"), default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["department", "state", "resolve_due_at"], name="demand_inbox"),
            models.Index(fields=["enterprise", "submitted_at"], name="demand_by_firm"),
            models.Index(fields=["state", "resolve_due_at"], name="demand_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="demand_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class DemandEvent(models.Model):
    """One line of a case's timeline; internal notes are hidden from the firm."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True, max_length=5000)
    internal = models.BooleanField(_("内部备注"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.action}"


class Assist(models.Model):
    """协办: a supporting department's part of a co-handled case."""

    class Status(models.TextChoices):
        OPEN = "open", _("协办中")
        DONE = "done", _("已完成")

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="assists")
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("协办部门"),
        on_delete=models.PROTECT,
        related_name="assists",
    )
    part = models.CharField(_("协办事项"), max_length=255)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    reply = models.TextField(_("协办意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("协办")
        verbose_name_plural = _("协办")
        constraints = [models.UniqueConstraint(fields=["demand", "department"], name="assist_once")]

    def __str__(self) -> str:
        return f"{self.demand_id} · {self.department_id}"


class Extension(models.Model):
    """A handler's request for more working days, decided by the coordinator."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        REFUSED = "refused", _("已驳回")

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(
        _("延期工作日"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    reason = models.TextField(_("理由"), max_length=2000)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")

    def __str__(self) -> str:
        return f"{self.demand_id} +{self.days}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"demands/{instance.demand.number}/{filename}"


class Attachment(models.Model):
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name
