"""Outreach: the liaison mechanism. For now the targeted service groups (靶向服务团)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceGroup(models.Model):
    name = models.CharField(_("服务团名称"), max_length=120, unique=True)
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("服务区域"),
        on_delete=models.PROTECT,
        related_name="service_groups",
    )
    purpose = models.CharField(_("服务内容"), max_length=255, blank=True)
    departments = models.ManyToManyField(
        "directory.Department", verbose_name=_("成员单位"), related_name="service_groups"
    )

    class Meta:
        verbose_name = _("靶向服务团")
        verbose_name_plural = _("靶向服务团")

    def __str__(self) -> str:
        return self.name
