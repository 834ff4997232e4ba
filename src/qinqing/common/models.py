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
