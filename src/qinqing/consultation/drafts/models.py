"""政策草案征求意见 (policy-draft consultation): a draft in clauses, firms' comments, answers.

A drafting office writes a :class:`PolicyDraft` split into :class:`Clause` rows (stage
``draft``), opens it for comment over a period of working days, answers every
:class:`Comment`, closes it and publishes the final text (clauses of stage ``final``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    DRAFT = "draft", _("编辑中")
    OPEN = "open", _("征求意见中")
    CLOSED = "closed", _("已截止")
    FINAL = "final", _("已公布定稿")


class Stage(models.TextChoices):
    DRAFT = "draft", _("征求意见稿")
    FINAL = "final", _("定稿")


class Answer(models.TextChoices):
    ADOPTED = "adopted", _("采纳")
    PARTLY = "partly", _("部分采纳")
    NOT_ADOPTED = "not_adopted", _("未采纳")


class PolicyDraft(models.Model):
    title = models.CharField(_("草案名称"), max_length=200)
    summary = models.TextField(_("起草说明"), blank=True)
    office_name = models.CharField(_("起草单位"), max_length=120)
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("起草部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: firms whose grid lies in this region's subtree may comment
    region = models.ForeignKey(
        "directory.Region", verbose_name=_("征求范围"), on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        on_delete=models.PROTECT,
        related_name="policy_drafts",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True
    )
    opens_on = models.DateField(_("开始日期"))
    closes_on = models.DateField(_("截止日期"))
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    final_published_at = models.DateTimeField(_("定稿公布时间"), null=True, blank=True)
    final_note = models.TextField(_("定稿说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("政策草案")
        verbose_name_plural = _("政策草案")
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="draft_period_order", condition=Q(closes_on__gt=F("opens_on"))
            ),
            models.CheckConstraint(
                name="draft_final_has_time",
                condition=~Q(state="final") | Q(final_published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Clause(models.Model):
    draft = models.ForeignKey(PolicyDraft, on_delete=models.CASCADE, related_name="clauses")
    stage = models.CharField(_("版本"), max_length=8, choices=Stage.choices, default=Stage.DRAFT)
    number = models.PositiveIntegerField(_("序号"))
    heading = models.CharField(_("条目"), max_length=40, blank=True)
    text = models.TextField(_("条文"))

    class Meta:
        verbose_name = _("条款")
        verbose_name_plural = _("条款")
        ordering = ["draft", "stage", "number"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "stage", "number"], name="clause_number_once"),
            models.CheckConstraint(name="clause_number_positive", condition=Q(number__gte=1)),
        ]

    def __str__(self) -> str:
        return self.heading or str(self.number)


class Comment(models.Model):
    draft = models.ForeignKey(PolicyDraft, on_delete=models.CASCADE, related_name="comments")
    #: a clause of the draft stage; null: a comment on the whole draft
    clause = models.ForeignKey(
        Clause,
        verbose_name=_("条款"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="comments",
    )
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="draft_comments",
    )
    #: the firm's user who wrote it (empty when the account is gone, or in imported data)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("意见"))
    created_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(_("答复"), max_length=16, choices=Answer.choices, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("意见")
        verbose_name_plural = _("意见")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["draft", "answer"], name="comment_draft_answer")]
        constraints = [
            models.CheckConstraint(
                name="comment_answer_has_time",
                condition=(Q(answer="") & Q(answered_at__isnull=True))
                | (~Q(answer="") & Q(answered_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="comment_reason_when_not_adopted",
                condition=Q(answer__in=["", "adopted"]) | ~Q(reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.draft_id}:{self.pk}"
