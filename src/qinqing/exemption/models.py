"""容错免责 (fault tolerance and exemption): applications, their assessment, evidence and the
anonymised cases published from the decisions.

The workflow (states, moves, who may make them) is in ``workflow.py``; the method in
``docs/exemption.md``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .workflow import State


class Origin(models.TextChoices):
    SELF = "self", _("本人申请")
    UNIT = "unit", _("单位代为申请")
    INVESTIGATION = "investigation", _("调查中启动")


class Outcome(models.TextChoices):
    EXEMPT = "exempt", _("免责")
    REDUCED = "reduced", _("从轻或减轻")
    NOT_EXEMPT = "not_exempt", _("不予免责")


class Finding(models.TextChoices):
    """The answer to one of the three paired questions: which side of the line the facts fall."""

    TOLERABLE = "tolerable", _("属于可容错情形")
    INTOLERABLE = "intolerable", _("属于不可容错情形")
    UNCLEAR = "unclear", _("尚难认定")


class FactorAnswer(models.TextChoices):
    YES = "yes", _("是")
    NO = "no", _("否")
    UNKNOWN = "unknown", _("无法认定")


class LinkKind(models.TextChoices):
    DEMAND = "demand", _("诉求")
    VISIT = "visit", _("走访")
    FILING = "filing", _("交往报备")
    INVESTIGATION = "investigation", _("调查")


class ApplicationCounter(models.Model):
    """The last number issued per year, for readable ids (RC-2026-000123)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}:{self.last}"


class Application(models.Model):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    origin = models.CharField(_("来源"), max_length=16, choices=Origin.choices)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="exemption_applications",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("所属区域"),
        on_delete=models.PROTECT,
        related_name="exemption_applications",
    )
    region_path = models.CharField(max_length=512, db_index=True, editable=False)
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("受益企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exemption_applications",
    )
    matter = models.CharField(_("事项"), max_length=120)
    actions = models.TextField(_("做了什么、为什么这样做"), max_length=5000)
    rules_at_time = models.TextField(_("当时适用的规定"), max_length=5000)
    outcome_harm = models.TextField(_("后果与损失"), max_length=5000)
    corrected = models.BooleanField(_("已纠正"), default=False)
    correction = models.TextField(_("纠正情况"), blank=True, max_length=3000)
    link_kind = models.CharField(
        _("关联对象类型"), max_length=16, choices=LinkKind.choices, blank=True
    )
    link_id = models.PositiveBigIntegerField(_("关联对象编号"), null=True, blank=True)
    link_label = models.CharField(_("关联对象"), max_length=200, blank=True)

    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.SUBMITTED
    )
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(_("提交时间"))
    accept_due_at = models.DateTimeField(_("受理期限"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decide_due_at = models.DateTimeField(_("决定期限"), null=True, blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assessed_at = models.DateTimeField(_("审查完成时间"), null=True, blank=True)
    outcome = models.CharField(_("认定结果"), max_length=16, choices=Outcome.choices, blank=True)
    reasons = models.TextField(_("理由"), blank=True, max_length=5000)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    days_to_decide = models.PositiveSmallIntegerField(
        _("办理用时（工作日）"), null=True, blank=True
    )
    refusal_reason = models.TextField(_("不予受理理由"), blank=True, max_length=3000)

    appeal_due_at = models.DateTimeField(_("申诉期限"), null=True, blank=True)
    appeal_reason = models.TextField(_("申诉理由"), blank=True, max_length=5000)
    appealed_at = models.DateTimeField(_("申诉时间"), null=True, blank=True)
    appeal_decide_due_at = models.DateTimeField(_("申诉复查期限"), null=True, blank=True)
    appeal_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申诉复查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    appeal_outcome = models.CharField(
        _("复查结果"), max_length=16, choices=Outcome.choices, blank=True
    )
    appeal_reasons = models.TextField(_("复查理由"), blank=True, max_length=5000)
    appeal_decided_at = models.DateTimeField(_("复查时间"), null=True, blank=True)

    overdue_flagged_at = models.DateTimeField(_("超期提示时间"), null=True, blank=True)
    overdue_stage = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("容错免责申请")
        verbose_name_plural = _("容错免责申请")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "region_path"], name="exemption_state_region"),
            models.Index(fields=["submitted_at"], name="exemption_submitted"),
            models.Index(fields=["decided_at"], name="exemption_decided"),
        ]
        constraints = [
            # the second reviewer is never the assessor; the appeal goes to a third person
            models.CheckConstraint(
                condition=models.Q(signed_off_by__isnull=True)
                | ~models.Q(signed_off_by=models.F("assessor")),
                name="exemption_signoff_not_assessor",
            ),
            models.CheckConstraint(
                condition=models.Q(appeal_reviewer__isnull=True)
                | (
                    ~models.Q(appeal_reviewer=models.F("assessor"))
                    & ~models.Q(appeal_reviewer=models.F("signed_off_by"))
                ),
                name="exemption_appeal_reviewer_differs",
            ),
            models.CheckConstraint(
                condition=models.Q(assessor__isnull=True)
                | ~models.Q(assessor=models.F("applicant")),
                name="exemption_not_own_case",
            ),
            models.CheckConstraint(
                condition=models.Q(decided_at__isnull=True) | ~models.Q(outcome=""),
                name="exemption_decided_has_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(link_kind="", link_id__isnull=True)
                | (~models.Q(link_kind="") & models.Q(link_id__isnull=False)),
                name="exemption_link_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.matter}"

    @property
    def final_outcome(self) -> str:
        return self.appeal_outcome or self.outcome

    def get_final_outcome_display(self) -> str:
        return str(dict(Outcome.choices).get(self.final_outcome, ""))


class Assessment(models.Model):
    """The structured assessment: the three distinctions as paired questions, then the factors,
    and a snapshot of the automatic checks as the assessor saw them."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="assessment"
    )
    d1_finding = models.CharField(max_length=12, choices=Finding.choices)
    d1_findings = models.TextField(max_length=3000)
    d1_evidence = models.TextField(blank=True, max_length=3000)
    d2_finding = models.CharField(max_length=12, choices=Finding.choices)
    d2_findings = models.TextField(max_length=3000)
    d2_evidence = models.TextField(blank=True, max_length=3000)
    d3_finding = models.CharField(max_length=12, choices=Finding.choices)
    d3_findings = models.TextField(max_length=3000)
    d3_evidence = models.TextField(blank=True, max_length=3000)
    due_procedure = models.CharField(max_length=8, choices=FactorAnswer.choices)
    collective_decision = models.CharField(max_length=8, choices=FactorAnswer.choices)
    no_private_gain = models.CharField(max_length=8, choices=FactorAnswer.choices)
    loss_limited = models.CharField(max_length=8, choices=FactorAnswer.choices)
    prompt_correction = models.CharField(max_length=8, choices=FactorAnswer.choices)
    factors_note = models.TextField(blank=True, max_length=3000)
    checks = models.JSONField(default=dict, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("审查意见")
        verbose_name_plural = _("审查意见")

    def __str__(self) -> str:
        return f"{self.application_id}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"exemption/{instance.application.number}/{filename}"


class Evidence(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("证据材料")
        verbose_name_plural = _("证据材料")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """An anonymised decision for the case library; drafted, reviewed, then published."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="case")
    number = models.CharField(_("案例编号"), max_length=20, unique=True)
    title = models.CharField(_("标题"), max_length=120)
    text = models.TextField(_("案例正文"), max_length=20000)
    distinctions = models.JSONField(_("适用的区分"), default=list, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    year = models.PositiveSmallIntegerField(_("年份"))
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("容错免责案例")
        verbose_name_plural = _("容错免责案例")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["published_at"], name="exemption_case_published")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True)
                | models.Q(published_by__isnull=False),
                name="exemption_case_published_by",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
