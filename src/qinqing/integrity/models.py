"""廉情监督: conduct lists (versioned), contact filings and their screening, clean enterprises.

Misconduct reports and the conflict graph live in the ``reports`` and ``relations`` sub-apps.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


# --- conduct lists (正负面清单) --------------------------------------------------------------
class ListKind(models.TextChoices):
    OFFICIAL_POSITIVE = "official_positive", _("干部正面清单（七个参加）")
    OFFICIAL_NEGATIVE = "official_negative", _("干部负面清单（六个杜绝）")
    ENTREPRENEUR_NEGATIVE = "entrepreneur_negative", _("企业家负面清单（七个不得）")
    LOCAL = "local", _("地方清单")


class Subject(models.TextChoices):
    OFFICIAL = "official", _("公职人员")
    ENTREPRENEUR = "entrepreneur", _("企业家")


class Polarity(models.TextChoices):
    POSITIVE = "positive", _("正面（鼓励）")
    NEGATIVE = "negative", _("负面（禁止）")


class Outcome(models.TextChoices):
    """Screening outcomes, from the least to the most severe."""

    ALLOWED = "allowed", _("允许")
    NEEDS_APPROVAL = "needs_approval", _("需审批")
    PROHIBITED = "prohibited", _("禁止")


SEVERITY = {Outcome.ALLOWED: 0, Outcome.NEEDS_APPROVAL: 1, Outcome.PROHIBITED: 2}


class ConductItem(models.Model):
    """One version of one list item; a new version closes the previous one's effective range.

    In force on a day ``d``: ``effective_from <= d`` and (``effective_to`` is empty or
    ``d < effective_to``)."""

    code = models.CharField(_("条目编号"), max_length=32)
    version = models.PositiveIntegerField(_("版本"), default=1)
    list_kind = models.CharField(_("清单"), max_length=24, choices=ListKind.choices)
    subject = models.CharField(_("适用对象"), max_length=16, choices=Subject.choices)
    polarity = models.CharField(_("性质"), max_length=10, choices=Polarity.choices)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    title = models.CharField(_("要点"), max_length=120)
    text = models.TextField(_("条文"), max_length=5000)
    source = models.CharField(_("来源文件"), max_length=200)
    clause = models.CharField(_("条款"), max_length=64, blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    rule = models.JSONField(_("机器规则"), null=True, blank=True)
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("清单条目")
        verbose_name_plural = _("清单条目")
        ordering = ["list_kind", "position", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="conduct_item_version_once"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="conduct_item_range",
            ),
        ]
        indexes = [models.Index(fields=["effective_from", "effective_to"], name="conduct_in_force")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


# --- contact filings (交往报备) --------------------------------------------------------------
class Timing(models.TextChoices):
    BEFORE = "before", _("事前报备")
    AFTER = "after", _("事后报告")


class ContactKind(models.TextChoices):
    MEETING = "meeting", _("会见洽谈")
    SITE_VISIT = "site_visit", _("实地走访")
    EVENT = "event", _("活动或仪式")
    MEAL = "meal", _("用餐")
    GIFT = "gift", _("礼品礼金")
    TRAVEL = "travel", _("出行差旅")
    OTHER = "other", _("其他")


class Payer(models.TextChoices):
    NONE = "none", _("无费用")
    SELF = "self", _("个人自付")
    GOVERNMENT = "government", _("本单位公务支出")
    FIRM = "firm", _("企业支付")
    SHARED = "shared", _("各自分摊")


class PlaceKind(models.TextChoices):
    OFFICE = "office", _("机关办公场所")
    FIRM = "firm", _("企业生产经营场所")
    PUBLIC = "public", _("公开场所或会场")
    RESTAURANT = "restaurant", _("餐馆酒店")
    PRIVATE_CLUB = "private_club", _("私人会所或娱乐场所")
    OTHER = "other", _("其他")


class FilingStatus(models.TextChoices):
    RECORDED = "recorded", _("已备案")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    PROHIBITED = "prohibited", _("禁止事项")


class Filing(models.Model):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    filer = models.ForeignKey(
        USER, verbose_name=_("报备人"), on_delete=models.PROTECT, related_name="contact_filings"
    )
    #: the filer's region when filing (their role's region, or their department's)
    region = models.ForeignKey(
        "directory.Region", verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+"
    )
    timing = models.CharField(_("报备方式"), max_length=8, choices=Timing.choices)
    kind = models.CharField(_("交往类型"), max_length=12, choices=ContactKind.choices)
    contact_date = models.DateField(_("交往日期"))
    place = models.CharField(_("地点"), max_length=200)
    place_kind = models.CharField(
        _("场所类型"), max_length=16, choices=PlaceKind.choices, default=PlaceKind.OTHER
    )
    firms = models.ManyToManyField(
        "directory.Enterprise", verbose_name=_("交往企业"), related_name="contact_filings"
    )
    people = models.CharField(_("企业方人员"), max_length=500, blank=True)
    purpose = models.TextField(_("事由"), max_length=2000)
    companions = models.CharField(_("同行人员"), max_length=500, blank=True)
    payer = models.CharField(_("费用支付方"), max_length=12, choices=Payer.choices)
    amount = models.DecimalField(
        _("费用金额（元）"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    headcount = models.PositiveSmallIntegerField(_("人数"), default=1)
    amount_per_person = models.DecimalField(
        _("人均金额（元）"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    outcome = models.CharField(_("审查结果"), max_length=16, choices=Outcome.choices)
    status = models.CharField(_("状态"), max_length=12, choices=FilingStatus.choices)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("审批意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("交往报备")
        verbose_name_plural = _("交往报备")
        ordering = ["-contact_date", "-pk"]
        indexes = [
            models.Index(fields=["filer", "contact_date"], name="filing_by_filer"),
            models.Index(fields=["contact_date"], name="filing_by_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="filing_amount_positive"),
            models.CheckConstraint(condition=Q(headcount__gte=1), name="filing_headcount_min"),
            models.CheckConstraint(
                condition=~Q(payer="none") | Q(amount=0), name="filing_no_cost_no_amount"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["recorded", "prohibited", "pending"])
                | Q(decided_by__isnull=False),
                name="filing_decision_has_decider",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class GiftHandling(models.TextChoices):
    DECLINED = "declined", _("已谢绝")
    HANDED_IN = "handed_in", _("已上交")
    KEPT = "kept", _("本人留存")


class Gift(models.Model):
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="gifts")
    description = models.CharField(_("礼品"), max_length=200)
    value = models.DecimalField(
        _("价值（元）"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    handling = models.CharField(_("处理方式"), max_length=10, choices=GiftHandling.choices)
    handed_in_to = models.CharField(_("上交至"), max_length=200, blank=True)
    handed_in_on = models.DateField(_("上交日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("礼品")
        verbose_name_plural = _("礼品")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="gift_value_positive"),
            models.CheckConstraint(
                condition=~Q(handling="handed_in")
                | (Q(handed_in_on__isnull=False) & ~Q(handed_in_to="")),
                name="gift_handed_in_where_when",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class FilingMatch(models.Model):
    """One list item (the version in force on the contact date) a filing matched."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="matches")
    item = models.ForeignKey(ConductItem, on_delete=models.PROTECT, related_name="matches")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["filing", "item"], name="filing_match_once")]

    def __str__(self) -> str:
        return f"{self.filing_id}:{self.item_id}"


# --- clean enterprises (清廉企业) ------------------------------------------------------------
class CleanCriterion(models.Model):
    code = models.CharField(_("编号"), max_length=16, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    area = models.CharField(_("方面"), max_length=60)
    title = models.CharField(_("评价内容"), max_length=200)
    guidance = models.TextField(_("佐证材料要求"), max_length=2000, blank=True)
    weight = models.PositiveSmallIntegerField(_("分值"), validators=[MinValueValidator(1)])
    evidence_required = models.BooleanField(_("须上传佐证"), default=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("清廉企业评价项")
        verbose_name_plural = _("清廉企业评价项")
        ordering = ["position", "code"]
        constraints = [models.CheckConstraint(condition=Q(weight__gte=1), name="criterion_weight")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("填写中")
    SUBMITTED = "submitted", _("待评审")
    RETURNED = "returned", _("退回修改")
    RECOGNISED = "recognised", _("已认定")


OPEN_ASSESSMENT = ["draft", "submitted", "returned"]


class CleanAssessment(models.Model):
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="clean_assessments",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=AssessmentStatus.choices, default="draft"
    )
    score = models.DecimalField(_("自评得分"), max_digits=5, decimal_places=1, default=Decimal(0))
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    comments = models.TextField(_("评审意见"), max_length=2000, blank=True)
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("清廉企业评价")
        verbose_name_plural = _("清廉企业评价")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(status__in=OPEN_ASSESSMENT),
                name="clean_one_open_assessment",
            ),
            models.CheckConstraint(
                condition=~Q(status="recognised")
                | (
                    Q(valid_from__isnull=False)
                    & Q(valid_until__isnull=False)
                    & Q(valid_until__gt=models.F("valid_from"))
                ),
                name="clean_recognised_validity",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="clean_score_range"
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="clean_valid")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.status}"


class CleanAnswer(models.Model):
    class Level(models.IntegerChoices):
        NONE = 0, _("未建立")
        PARTLY = 1, _("部分建立")
        FULLY = 2, _("已建立并有效运行")

    assessment = models.ForeignKey(
        CleanAssessment, on_delete=models.CASCADE, related_name="answers"
    )
    criterion = models.ForeignKey(CleanCriterion, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("自评"), choices=Level.choices)
    note = models.CharField(_("说明"), max_length=1000, blank=True)

    class Meta:
        ordering = ["criterion__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="clean_answer_once"),
            models.CheckConstraint(condition=Q(level__lte=2), name="clean_answer_level"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.criterion_id}"


class CleanEvidence(models.Model):
    answer = models.ForeignKey(CleanAnswer, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="clean/%Y/%m/", max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
