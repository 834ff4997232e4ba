"""信息发布 (notices): policy briefings, announcements, jobs and events, with read receipts.

A notice is written as a draft, published to an :class:`~qinqing.directory.models.Audience`
and may be withdrawn. Publishing stores one :class:`Receipt` per addressed firm; the firm's
first reader marks it read, a steward may mark it explained in person (当面解读).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    POLICY = "policy", _("政策")
    ANNOUNCEMENT = "announcement", _("公告")
    JOB = "job", _("招聘")
    EVENT = "event", _("活动")


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Notice(models.Model):
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        related_name="notices_written",
    )
    #: the region the author writes for (their assignment's region or department's region)
    author_region = models.ForeignKey(
        "directory.Region", verbose_name=_("发布区域"), on_delete=models.PROTECT, related_name="+"
    )
    audience = models.OneToOneField(
        "directory.Audience", verbose_name=_("发送对象"), on_delete=models.PROTECT, related_name="+"
    )
    # policy
    issuing_body = models.CharField(_("发文机关"), max_length=120, blank=True)
    document_number = models.CharField(_("文号"), max_length=80, blank=True)
    effective_on = models.DateField(_("施行日期"), null=True, blank=True)
    policy_expires_on = models.DateField(_("政策失效日期"), null=True, blank=True)
    # event
    event_starts_at = models.DateTimeField(_("活动时间"), null=True, blank=True)
    event_place = models.CharField(_("活动地点"), max_length=200, blank=True)
    # feed
    pinned = models.BooleanField(_("置顶"), default=False)
    #: after this day (Asia/Shanghai) the notice leaves the firms' feed for the archive
    expires_on = models.DateField(_("展示截止日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.CharField(_("撤回原因"), max_length=300, blank=True)
    recipients = models.PositiveIntegerField(_("发送企业数"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-pinned", "-published_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "published_at"], name="notice_state_published"),
            models.Index(fields=["kind", "published_at"], name="notice_kind_published"),
        ]
        constraints = [
            models.CheckConstraint(
                name="notice_policy_fields",
                condition=~Q(kind="policy") | (~Q(issuing_body="") & Q(effective_on__isnull=False)),
            ),
            models.CheckConstraint(
                name="notice_event_time",
                condition=~Q(kind="event") | Q(event_starts_at__isnull=False),
            ),
            models.CheckConstraint(
                name="notice_published_has_time",
                condition=Q(state="draft") | Q(published_at__isnull=False),
            ),
            models.CheckConstraint(
                name="notice_withdrawn_has_time",
                condition=~Q(state="withdrawn") | Q(withdrawn_at__isnull=False),
            ),
            models.CheckConstraint(
                name="notice_policy_expiry_after_effective",
                condition=Q(policy_expires_on__isnull=True)
                | Q(policy_expires_on__gte=models.F("effective_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Receipt(models.Model):
    """One addressed firm of a published notice: read (by whom first, when), explained."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="notice_receipts",
    )
    first_read_at = models.DateTimeField(_("首次阅读时间"), null=True, blank=True)
    first_reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("首位阅读人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    explained_at = models.DateTimeField(_("当面解读时间"), null=True, blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解读人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    explained_note = models.CharField(_("解读说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("阅读回执")
        verbose_name_plural = _("阅读回执")
        indexes = [
            models.Index(fields=["enterprise", "notice"], name="receipt_firm_notice"),
            models.Index(fields=["notice", "first_read_at"], name="receipt_notice_read"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["notice", "enterprise"], name="receipt_once_per_firm"),
            models.CheckConstraint(
                name="receipt_explained_has_note",
                condition=Q(explained_at__isnull=True) | ~Q(explained_note=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.enterprise_id}"


class NoticeFile(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="notices/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    content_type = models.CharField(max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("通知附件")
        verbose_name_plural = _("通知附件")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name
