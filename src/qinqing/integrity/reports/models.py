"""Misconduct reports (举报), investigations and routine integrity information (廉情信息).

What is kept in clear is metadata only: number, state, dates, region, category, counts,
whether the reporter gave a name. Everything a reporter wrote (text, files, identity) is
ciphertext under the report's data keys; the data keys exist only *sealed* to a public key
(``KeyShare``) or wrapped under the receipt. No client address, user agent or cookie is a
column anywhere in this app.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .workflow import Outcome, State


class Category(models.TextChoices):
    BRIBERY = "bribery", _("索贿受贿")
    FAVOURS = "favours", _("吃拿卡要")
    OBSTRUCTION = "obstruction", _("推诿刁难")
    CONFLICT = "conflict", _("利益冲突")
    GIFTS = "gifts", _("违规收受礼品礼金")
    ABUSE = "abuse", _("滥用职权")
    OTHER = "other", _("其他")


class Channel(models.TextChoices):
    ONLINE = "online", _("网上举报")
    LETTER = "letter", _("来信")
    PHONE = "phone", _("来电")
    VISIT = "visit", _("来访")


class SupervisorKey(models.Model):
    """A supervisor's X25519 key pair; the private key wrapped under Argon2id(password)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_keys"
    )
    public_key = models.BinaryField(max_length=32)
    wrapped_private_key = models.BinaryField(max_length=128)
    salt = models.BinaryField(max_length=16)
    kdf_ops = models.PositiveIntegerField()
    kdf_mem = models.PositiveBigIntegerField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("监督员密钥")
        verbose_name_plural = _("监督员密钥")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(active=True), name="one_active_report_key"
            ),
        ]

    def __str__(self) -> str:
        return f"key#{self.pk} of user#{self.user_id}"


class RecoveryKey(models.Model):
    """The organisation's recovery public key (the private key is never on the server)."""

    public_key = models.BinaryField(max_length=32)
    fingerprint = models.CharField(max_length=16)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("恢复公钥")
        verbose_name_plural = _("恢复公钥")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_recovery_key"
            ),
        ]

    def __str__(self) -> str:
        return f"recovery {self.fingerprint}"


class ReportCounter(models.Model):
    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Report(models.Model):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    channel = models.CharField(
        _("渠道"), max_length=8, choices=Channel.choices, default=Channel.ONLINE
    )
    region = models.ForeignKey(
        "directory.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=512, db_index=True, editable=False)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.NEW)
    outcome = models.CharField(_("结论"), max_length=16, choices=Outcome.choices, blank=True)
    serious = models.BooleanField(_("情节严重"), default=False)
    named = models.BooleanField(_("实名"), default=False)
    #: the firm to protect from retaliation: set only when a named reporter asked for it
    protected_firm = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("受保护企业"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)
    # ciphertexts: JSON {title, body, accused_people, accused_firms, firm_ids}
    content = models.BinaryField()
    identity = models.BinaryField(null=True, blank=True)
    # the receipt: a look-up digest and the data key wrapped under a second derivation
    receipt_lookup = models.CharField(max_length=64, null=True, blank=True, unique=True)
    receipt_salt = models.BinaryField(max_length=16, null=True, blank=True)
    receipt_wrapped_key = models.BinaryField(null=True, blank=True)
    receipt_kdf_ops = models.PositiveIntegerField(default=0)
    receipt_kdf_mem = models.PositiveBigIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(_("收到时间"), db_index=True)
    triage_due_at = models.DateTimeField(_("初核期限"))
    conclusion_due_at = models.DateTimeField(_("办结期限"))
    concluded_at = models.DateTimeField(null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overdue = models.BooleanField(_("逾期"), default=False)
    #: platform users a supervisor found responsible when concluding "substantiated": clear
    #: metadata on purpose (read by the exemption checks; docs/reports-security.md)
    responsible: models.ManyToManyField[Any, Responsible] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定责任人"),
        through="Responsible",
        through_fields=("report", "user"),
        related_name="reports_found_responsible",
        blank=True,
    )

    class Meta:
        verbose_name = _("举报")
        verbose_name_plural = _("举报")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "received_at"]),
            models.Index(fields=["region_path", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="report_outcome_iff_concluded",
                condition=(
                    models.Q(state__in=[State.CONCLUDED, State.CLOSED])
                    & ~models.Q(outcome="")
                    & models.Q(concluded_at__isnull=False)
                )
                | (
                    ~models.Q(state__in=[State.CONCLUDED, State.CLOSED])
                    & models.Q(outcome="", concluded_at__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="report_closed_by_another",
                condition=models.Q(closed_by__isnull=True)
                | ~models.Q(closed_by=models.F("concluded_by")),
            ),
            models.CheckConstraint(
                name="report_serious_only_substantiated",
                condition=models.Q(serious=False) | models.Q(outcome=Outcome.SUBSTANTIATED),
            ),
            models.CheckConstraint(
                name="report_receipt_complete",
                condition=models.Q(receipt_lookup__isnull=True)
                | models.Q(receipt_salt__isnull=False, receipt_wrapped_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Responsible(models.Model):
    """A platform user found responsible by a substantiated finding; recorded by the
    concluding supervisor as a deliberate, audited act (``report.responsible``) and removed
    again if the finding is sent back."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="responsible_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("认定责任人")
        verbose_name_plural = _("认定责任人")
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="responsible_once"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} ⇒ user#{self.user_id}"


class KeyShare(models.Model):
    """A report's data key sealed to one holder's public key."""

    class Purpose(models.TextChoices):
        CONTENT = "content", _("内容")
        IDENTITY = "identity", _("身份")

    class Holder(models.TextChoices):
        SUPERVISOR = "supervisor", _("监督员")
        RECOVERY = "recovery", _("恢复密钥")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="shares")
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    holder = models.CharField(max_length=12, choices=Holder.choices)
    supervisor_key = models.ForeignKey(
        SupervisorKey, null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    recovery_key = models.ForeignKey(
        RecoveryKey, null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "purpose", "supervisor_key"],
                condition=models.Q(supervisor_key__isnull=False),
                name="share_once_per_supervisor_key",
            ),
            models.UniqueConstraint(
                fields=["report", "purpose", "recovery_key"],
                condition=models.Q(recovery_key__isnull=False),
                name="share_once_per_recovery_key",
            ),
            models.CheckConstraint(
                name="share_has_its_holder",
                condition=models.Q(
                    holder="supervisor", supervisor_key__isnull=False, recovery_key__isnull=True
                )
                | models.Q(
                    holder="recovery", recovery_key__isnull=False, supervisor_key__isnull=True
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.purpose}/{self.holder}"


class Assignment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="assignments")
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "supervisor"], name="assign_once"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} → {self.supervisor_id}"


class Message(models.Model):
    """A message on a report: the reporter's text or later information, a supervisor's reply
    (shown to the receipt holder) or an internal note; the text is ciphertext."""

    class Author(models.TextChoices):
        REPORTER = "reporter", _("举报人")
        SUPERVISOR = "supervisor", _("监督员")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=12, choices=Author.choices)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    internal = models.BooleanField(default=False)
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="message_reporter_not_internal",
                condition=~models.Q(author="reporter", internal=True),
            ),
        ]

    def __str__(self) -> str:
        return f"message#{self.pk}"


class File(models.Model):
    """A file on a report; name, type and bytes are ciphertext under the data key."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    header = models.BinaryField()
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"file#{self.pk}"


class Event(models.Model):
    """One step of a report's life (metadata only: no text)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id}:{self.action}"


class IntegrityNote(models.Model):
    """Routine integrity information (廉情信息) from an observer or a firm: not an accusation
    ("the inspection was fair"). Kept in clear (it names its author and accuses no one):
    read by its author and the supervisors of its region; docs/reports-security.md."""

    class Tone(models.TextChoices):
        POSITIVE = "positive", _("正面")
        NEUTRAL = "neutral", _("一般")
        CONCERN = "concern", _("需关注")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integrity_notes"
    )
    enterprise = models.ForeignKey(
        "directory.Enterprise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    region = models.ForeignKey("directory.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=512, db_index=True, editable=False)
    tone = models.CharField(_("性质"), max_length=8, choices=Tone.choices)
    subject = models.CharField(_("事项"), max_length=120)
    body = models.TextField(_("内容"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("廉情信息")
        verbose_name_plural = _("廉情信息")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"note#{self.pk}"
