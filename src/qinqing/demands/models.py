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
    CHAMBER = "chamber", _("商会代办")
    VISIT = "visit", _("走访发现")


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
            models.Index(fields=["submitted_at"], name="demand_submitted"),
            # the handler inbox: open cases of a department, nearest deadline first; the
            # partial index lets PostgreSQL read the first page in order and stop (bench/)
            models.Index(
                fields=["department", "resolve_due_at", "id"],
                condition=models.Q(
                    state__in=[
                        "submitted",
                        "dispatched",
                        "accepted",
                        "in_progress",
                        "waiting_firm",
                        "replied",
                        "disputed",
                    ]
                ),
                name="demand_inbox_open",
            ),
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


class DisputeType(models.TextChoices):
    WORK_INJURY = "work_injury", _("工伤")
    WAGES = "wages", _("劳动报酬")
    LABOUR_CONTRACT = "labour_contract", _("劳动合同")
    COMMERCIAL = "commercial", _("合同纠纷")
    NEIGHBOUR = "neighbour", _("相邻关系")
    OTHER = "other", _("其他")


class MediationOutcome(models.TextChoices):
    AGREEMENT = "agreement", _("调解成功")
    FAILED = "failed", _("调解不成")
    COURT = "court", _("移交法院")
    ARBITRATION = "arbitration", _("移交仲裁")


class MediationCounter(models.Model):
    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}:{self.last}"


class MediationCase(models.Model):
    """矛盾调解: a dispute between parties, handled by a mediator in sessions."""

    number = models.CharField(_("编号"), max_length=20, unique=True)
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("所在区域"),
        on_delete=models.PROTECT,
        related_name="mediations",
    )
    region_path = models.CharField(max_length=512, db_index=True, editable=False)
    dispute_type = models.CharField(_("纠纷类型"), max_length=20, choices=DisputeType.choices)
    title = models.CharField(_("案由"), max_length=120)
    description = models.TextField(_("纠纷概况"), max_length=5000)
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调解员"),
        on_delete=models.PROTECT,
        related_name="mediations",
    )
    demand = models.ForeignKey(
        Demand,
        verbose_name=_("来源诉求"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mediations",
    )
    outcome = models.CharField(
        _("结果"), max_length=16, choices=MediationOutcome.choices, blank=True
    )
    outcome_note = models.TextField(_("结果说明"), blank=True, max_length=5000)
    agreement = models.FileField(
        _("调解协议"), upload_to="mediations/%Y/", blank=True, max_length=300
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("受理时间"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("矛盾调解")
        verbose_name_plural = _("矛盾调解")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(outcome="", closed_at__isnull=True)
                    | (~models.Q(outcome="") & models.Q(closed_at__isnull=False))
                ),
                name="mediation_closed_iff_outcome",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class PartyKind(models.TextChoices):
    FIRM = "firm", _("企业")
    WORKER = "worker", _("职工")
    OTHER = "other", _("其他")


class MediationParty(models.Model):
    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(_("当事人类型"), max_length=8, choices=PartyKind.choices)
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediation_parties",
    )
    name = models.CharField(_("姓名或名称"), max_length=120)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")

    def __str__(self) -> str:
        return self.name


class MediationSession(models.Model):
    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("调解时间"))
    place = models.CharField(_("地点"), max_length=120, blank=True)
    notes = models.TextField(_("调解记录"), max_length=10000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["held_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.held_at:%Y-%m-%d}"
