"""Shared data: the administrators' additions to the working-day calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """One day whose status an administrator set: it wins over the chinese-calendar package.

    Used for a year the package does not know yet (the State Council publishes next year's
    schedule in November or December) and for local corrections. See docs/deadlines.md.
    """

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否上班"))
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("如：春节、调休上班"))
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("日历设置")
        verbose_name_plural = _("日历设置")

    def __str__(self) -> str:
        status = _("上班") if self.is_working_day else _("休息")
        label = f"{self.date.isoformat()} {status}"
        return f"{label}（{self.name}）" if self.name else label


class HolidayNotice(models.Model):
    """The State Council's holiday notice of a year, imported as text and confirmed by a second
    system administrator (two-person rule) before its days become ``CalendarDay`` settings."""

    class Status(models.TextChoices):
        PROVISIONAL = "provisional", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        WITHDRAWN = "withdrawn", _("已撤回")

    year = models.PositiveSmallIntegerField(_("年份"))
    title = models.CharField(_("标题"), max_length=200, blank=True)
    document_number = models.CharField(_("文号"), max_length=50, blank=True)
    text = models.TextField(_("通知原文"))
    text_sha256 = models.CharField(_("原文SHA-256"), max_length=64)
    #: ``NoticeSchedule.as_json()``: year, holidays, workdays, festivals (ISO dates)
    schedule = models.JSONField(_("放假安排"))
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PROVISIONAL
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        ordering = ["-year", "-imported_at", "-pk"]
        verbose_name = _("节假日安排通知")
        verbose_name_plural = _("节假日安排通知")
        constraints = [
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(status="confirmed"),
                name="holiday_notice_one_confirmed_per_year",
            ),
            models.UniqueConstraint(
                fields=["year", "text_sha256"],
                condition=~models.Q(status="withdrawn"),
                name="holiday_notice_text_once_per_year",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="confirmed")
                | (
                    models.Q(confirmed_by__isnull=False, confirmed_at__isnull=False)
                    & ~models.Q(confirmed_by=models.F("imported_by"))
                ),
                name="holiday_notice_confirmed_by_another",
            ),
        ]

    def __str__(self) -> str:
        label = self.title or _("%(year)d年节假日安排通知") % {"year": self.year}
        return f"{label}（{self.get_status_display()}）"
