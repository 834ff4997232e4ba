"""Surveys (问卷调查) and opinion solicitation (意见征询).

A survey is built as a draft (sections, questions, skip rules), published to an audience
(frozen then: the questions and the list of firms addressed, ``SurveyTarget``), answered once
per firm until its close date, and closed. Answers are rows (``Answer``) so that results and
the health index aggregate in SQL.

Anonymous surveys: the ``SurveyTarget`` row is the only "has answered" marker (firm, survey,
date); the ``Response`` row carries the survey, the firm's town and the answers, no firm, no
user and no time, and its key (and its answers' keys) are random UUIDs, so that nothing in the
tables orders or joins a response to a firm. See docs/surveys.md.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("征询中")
    CLOSED = "closed", _("已结束")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    SCALE = "scale", _("五级量表")
    MATRIX = "matrix", _("矩阵量表")
    NUMBER = "number", _("数字")
    SHORT_TEXT = "short_text", _("简答")
    LONG_TEXT = "long_text", _("详答")
    DATE = "date", _("日期")


#: the kinds whose answers are a choice among options (and may drive a skip rule)
CHOICE_KINDS = {QuestionKind.SINGLE, QuestionKind.MULTIPLE}
#: the kinds answered on the 1–5 scale
SCALE_KINDS = {QuestionKind.SCALE, QuestionKind.MATRIX}
TEXT_KINDS = {QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT}


class QuestionTag(models.TextChoices):
    """What a question measures, for aggregation by dimension and for the health index."""

    FACTORS = "factors", _("要素环境")
    RULE_OF_LAW = "rule_of_law", _("法治环境")
    GOVERNMENT_SERVICES = "government_services", _("政务环境")
    MARKET = "market", _("市场环境")
    INNOVATION = "innovation", _("创新环境")
    CLOSENESS = "closeness", _("亲：政府服务主动")
    CLEANNESS = "cleanness", _("清：政商交往清白")
    BURDEN = "burden", _("负担与支持")


class Survey(models.Model):
    title = models.CharField(_("问卷标题"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    author = models.ForeignKey(
        USER, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="surveys"
    )
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("发起单位辖区"),
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    audience = models.OneToOneField(
        "directory.Audience",
        verbose_name=_("发送对象"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    closes_on = models.DateField(_("截止日期"))
    anonymous = models.BooleanField(_("匿名问卷"), default=False)
    template = models.CharField(_("模板"), max_length=32, blank=True)
    reminder_days = models.PositiveSmallIntegerField(_("截止前几个工作日提醒"), default=2)
    reminders_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "closes_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SurveyStatus.values), name="survey_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(published_at__isnull=False),
                name="survey_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(_("顺序"))
    title = models.CharField(_("部分标题"), max_length=120)

    class Meta:
        verbose_name = _("问卷部分")
        verbose_name_plural = _("问卷部分")
        ordering = ["survey", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="section_position_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("顺序"))
    kind = models.CharField(_("题型"), max_length=16, choices=QuestionKind.choices)
    text = models.CharField(_("题目"), max_length=300)
    help_text = models.CharField(_("填写说明"), max_length=300, blank=True)
    required = models.BooleanField(_("必答"), default=False)
    #: option labels (single/multiple choice); answers store the 1-based option number
    options = models.JSONField(_("选项"), default=list, blank=True)
    #: row labels of a matrix of scales; answers store the 1-based row number
    rows = models.JSONField(_("矩阵行"), default=list, blank=True)
    tag = models.CharField(_("维度标签"), max_length=32, choices=QuestionTag.choices, blank=True)
    show_if = models.ForeignKey(
        "self",
        verbose_name=_("显示条件：题目"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dependants",
    )
    #: option numbers of ``show_if``: the question shows when the answer is/includes one of them
    show_if_options = models.JSONField(_("显示条件：选项"), default=list, blank=True)

    class Meta:
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        ordering = ["survey", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="question_position_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=QuestionKind.values), name="question_kind_known"
            ),
            models.CheckConstraint(
                condition=models.Q(tag="") | models.Q(tag__in=QuestionTag.values),
                name="question_tag_known",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class SurveyTarget(models.Model):
    """A firm the published survey addresses; ``answered_on`` is the "has answered" marker
    (a date only: for anonymous surveys it must not join to the response)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="targets")
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=models.CASCADE, related_name="survey_targets"
    )
    answered_on = models.DateField(_("填答日期"), null=True, blank=True)
    reminded_on = models.DateField(_("最近提醒日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("问卷对象")
        verbose_name_plural = _("问卷对象")
        constraints = [
            models.UniqueConstraint(fields=["survey", "enterprise"], name="target_once_per_firm")
        ]
        indexes = [models.Index(fields=["enterprise", "survey"])]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.enterprise_id}"


class Response(models.Model):
    """One firm's answers. Named surveys: firm, user and times. Anonymous surveys: only the
    survey, the firm's town and the answers (no firm, no user, no time; random key)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("所在镇街"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_responses",
    )
    submitted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        constraints = [
            models.UniqueConstraint(fields=["survey", "enterprise"], name="response_once_per_firm"),
            models.CheckConstraint(
                condition=models.Q(enterprise__isnull=False)
                | models.Q(submitted_by__isnull=True, submitted_at__isnull=True),
                name="response_anonymous_has_no_user_or_time",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class Answer(models.Model):
    """One value: a scale point, a matrix row's point, a chosen option (one row per option
    of a multiple choice), a number, a text or a date."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    row = models.PositiveSmallIntegerField(default=0)
    choice = models.PositiveSmallIntegerField(default=0)
    number = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    day = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "row", "choice"], name="answer_unique_value"
            )
        ]
        indexes = [models.Index(fields=["question", "row", "choice"])]

    def __str__(self) -> str:
        return f"{self.question_id}"
