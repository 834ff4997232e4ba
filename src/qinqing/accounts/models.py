"""Users, their roles and the scope of each role."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业用户")
    STEWARD = "steward", _("管家")
    OBSERVER = "observer", _("亲清观察员")
    HANDLER = "handler", _("部门经办人")
    COORDINATOR = "coordinator", _("家园协调员")
    OFFICIAL = "official", _("干部")
    SUPERVISOR = "supervisor", _("监督员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")
    CHAMBER = "chamber", _("商会联络员")


#: which kind of scope each role must carry
REGION_ROLES = {Role.STEWARD, Role.COORDINATOR, Role.OFFICIAL, Role.SUPERVISOR}
ENTERPRISE_ROLES = {Role.ENTERPRISE, Role.OBSERVER}
DEPARTMENT_ROLES = {Role.HANDLER}
ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
CHAMBER_ROLES = {Role.CHAMBER}


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, null=True, blank=True, unique=True)
    title = models.CharField(_("职务"), max_length=64, blank=True)
    failed_login_count = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def is_locked(self, now: datetime | None = None) -> bool:
        return bool(self.locked_until and self.locked_until > (now or timezone.now()))


class RoleAssignment(models.Model):
    """A role held by a user, scoped to a region, a department or a firm."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    chamber = models.ForeignKey(
        "directory.Chamber",
        verbose_name=_("商会"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        indexes = [models.Index(fields=["role", "region"]), models.Index(fields=["user", "role"])]
        constraints = [
            # one constraint per kind of scope, so that NULLs never make duplicates distinct
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=models.Q(region__isnull=False),
                name="role_once_per_region",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=models.Q(department__isnull=False),
                name="role_once_per_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "enterprise"],
                condition=models.Q(enterprise__isnull=False),
                name="role_once_per_enterprise",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "chamber"],
                condition=models.Q(chamber__isnull=False),
                name="role_once_per_chamber",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(
                    region__isnull=True,
                    department__isnull=True,
                    enterprise__isnull=True,
                    chamber__isnull=True,
                ),
                name="role_once_unscoped",
            ),
            models.CheckConstraint(
                name="role_scope_matches_role",
                condition=(
                    models.Q(
                        role__in=sorted(r.value for r in REGION_ROLES),
                        region__isnull=False,
                        department__isnull=True,
                        enterprise__isnull=True,
                    )
                    | models.Q(
                        role__in=sorted(r.value for r in ENTERPRISE_ROLES),
                        enterprise__isnull=False,
                        region__isnull=True,
                        department__isnull=True,
                    )
                    | models.Q(
                        role__in=sorted(r.value for r in DEPARTMENT_ROLES),
                        department__isnull=False,
                        region__isnull=True,
                        enterprise__isnull=True,
                    )
                    | models.Q(
                        role__in=sorted(r.value for r in ADMIN_ROLES),
                        region__isnull=True,
                        department__isnull=True,
                        enterprise__isnull=True,
                    )
                    | models.Q(
                        role__in=sorted(r.value for r in CHAMBER_ROLES),
                        chamber__isnull=False,
                        region__isnull=True,
                        department__isnull=True,
                        enterprise__isnull=True,
                    )
                )
                & (models.Q(chamber__isnull=True) | models.Q(role__in=["chamber"])),
            ),
        ]

    def __str__(self) -> str:
        scope = self.region or self.department or self.enterprise or self.chamber
        return f"{self.get_role_display()}" + (f" · {scope}" if scope else "")


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, default="api")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
