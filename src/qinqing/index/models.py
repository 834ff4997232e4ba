"""Computations (staff previews) and publications (frozen results) of the index."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    DISTRICT = "district", _("区县市")
    TOWN = "town", _("乡镇街道")


class ComputeRun(models.Model):
    """One computation of a period and level, requested by staff, run as a task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    period = models.CharField(_("期间"), max_length=7)
    level = models.CharField(_("层级"), max_length=8, choices=Level.choices)
    method = models.CharField(_("方法版本"), max_length=16)
    draws = models.PositiveIntegerField(_("蒙特卡洛次数"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    snapshot = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("指数计算")
        verbose_name_plural = _("指数计算")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period__regex=r"^[0-9]{4}H[12]$"), name="index_run_period"
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=["district", "town"]), name="index_run_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.level} #{self.pk}"


class Publication(models.Model):
    """A published period: the results and indicator values frozen as they were computed.

    Never updated: a correction is a new version (with a note) and the highest version of a
    period and level is the one shown; older versions stay readable.
    """

    period = models.CharField(_("期间"), max_length=7)
    level = models.CharField(_("层级"), max_length=8, choices=Level.choices)
    version = models.PositiveSmallIntegerField(_("版本"))
    method = models.CharField(_("方法版本"), max_length=16)
    note = models.TextField(_("更正说明"), blank=True, max_length=2000)
    run = models.ForeignKey(
        ComputeRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField()
    partial = models.BooleanField(_("期间未结束"), default=False)
    snapshot = models.JSONField()

    class Meta:
        verbose_name = _("指数发布")
        verbose_name_plural = _("指数发布")
        ordering = ["-period", "level", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "level", "version"], name="index_publication_version"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="index_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(version=1) | ~models.Q(note=""),
                name="index_correction_has_note",
            ),
        ]
        indexes = [models.Index(fields=["level", "period", "version"], name="index_pub_lookup")]

    def __str__(self) -> str:
        return f"{self.period} {self.level} v{self.version}"
