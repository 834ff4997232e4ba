"""Every directory write: permission check, validation, audit, in one transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.permissions import is_system_admin
from qinqing.accounts.scopes import primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import diff, record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.masking import mask_phone
from qinqing.common.uscc import normalize

from .models import Chamber, ChamberMembership, Enterprise, Region, RegionLevel
from .permissions import can_edit_enterprise

register("chamber.member_add", gettext_lazy("新增商会会员"))

ENTERPRISE_FIELDS = (
    "uscc",
    "name",
    "legal_representative",
    "industry_section",
    "above_scale",
    "employees",
    "address",
    "grid",
    "contact_phone",
)


def _audit_values(enterprise: Enterprise) -> dict[str, Any]:
    values = {f: getattr(enterprise, f) for f in ENTERPRISE_FIELDS if f != "grid"}
    values["grid"] = enterprise.grid_id
    values["contact_phone"] = mask_phone(enterprise.contact_phone)
    return values


def _validated(enterprise: Enterprise) -> None:
    try:
        enterprise.full_clean()
    except ValidationError as exc:
        first = next(iter(exc.message_dict.values()))[0]
        raise ServiceError(str(first), field_errors=exc.message_dict) from exc
    if enterprise.grid.level != RegionLevel.GRID:
        raise ServiceError(
            _("企业必须归属到网格。"), field_errors={"grid": [_("请选择网格一级的区域。")]}
        )


@transaction.atomic
def region_create(*, actor: Any, code: str, name: str, level: int, parent: Region | None) -> Region:
    if actor is not None and not can_edit_enterprise(actor, None):
        raise NotPermitted(_("您没有执行此操作的权限。"))
    if parent is not None and level != parent.level + 1:
        raise ServiceError(_("下级区域的层级必须比上级低一级。"))
    if parent is None and level != RegionLevel.CITY:
        raise ServiceError(_("只有市一级可以没有上级区域。"))
    region = Region(
        code=code, name=name, level=level, parent=parent, path=Region.build_path(parent, code)
    )
    try:
        region.full_clean()
    except ValidationError as exc:
        raise ServiceError(
            str(next(iter(exc.message_dict.values()))[0]), field_errors=exc.message_dict
        ) from exc
    region.save()
    record(actor=actor, action="region.create", obj=region, changes={"code": code, "name": name})
    return region


@transaction.atomic
def enterprise_create(*, actor: Any, **values: Any) -> Enterprise:
    enterprise = Enterprise(**{k: v for k, v in values.items() if k in ENTERPRISE_FIELDS})
    enterprise.uscc = normalize(enterprise.uscc)
    if actor is not None and not can_edit_enterprise(
        actor, enterprise if enterprise.grid_id else None
    ):
        raise NotPermitted(_("您没有在该网格新增企业的权限。"))
    _validated(enterprise)
    enterprise.save()
    record(
        actor=actor,
        action="enterprise.create",
        obj=enterprise,
        role=primary_role(actor),
        changes=diff({}, _audit_values(enterprise)),
    )
    return enterprise


@transaction.atomic
def enterprise_update(*, actor: Any, enterprise: Enterprise, **values: Any) -> Enterprise:
    locked = Enterprise.objects.select_for_update().select_related("grid").get(pk=enterprise.pk)
    if not can_edit_enterprise(actor, locked):
        raise NotPermitted(_("您没有修改该企业的权限。"))
    before = _audit_values(locked)
    for key, value in values.items():
        if key in ENTERPRISE_FIELDS:
            setattr(locked, key, value)
    locked.uscc = normalize(locked.uscc)
    if not can_edit_enterprise(actor, locked):
        raise NotPermitted(_("您不能把企业移到您管辖范围以外的网格。"))
    _validated(locked)
    locked.save()
    changes = diff(before, _audit_values(locked))
    if changes:
        record(
            actor=actor,
            action="enterprise.update",
            obj=locked,
            role=primary_role(actor),
            changes=changes,
        )
    return locked


def enterprise_record_view(*, actor: Any, enterprise: Enterprise) -> None:
    """An access entry: staff read a firm's personal data (contact phone, representative)."""
    from qinqing.accounts.models import Role
    from qinqing.accounts.scopes import has_role

    if has_role(actor, Role.ENTERPRISE, Role.OBSERVER) and not has_role(
        actor, *[r for r in Role if r not in (Role.ENTERPRISE, Role.OBSERVER)]
    ):
        return  # a firm's own people reading their own firm is not a staff access
    with transaction.atomic():
        record(actor=actor, action="enterprise.view", obj=enterprise, role=primary_role(actor))


# --- chambers (商会) and their members: the system admin's back office -----------------------
def _require_system_admin(actor: Any, message: str) -> None:
    if actor is not None and not is_system_admin(actor):
        raise NotPermitted(message)


@transaction.atomic
def chamber_create(*, actor: Any, name: str, region: Region) -> Chamber:
    """A chamber of commerce in ``region``; only the system admin (as in the back office)."""
    _require_system_admin(actor, _("只有系统管理员可以新增商会。"))
    name = (name or "").strip()
    if not name:
        message = _("请填写商会名称。")
        raise ServiceError(message, field_errors={"name": [message]})
    if len(name) > 120:
        message = _("商会名称不能超过120个字。")
        raise ServiceError(message, field_errors={"name": [message]})
    if Chamber.objects.filter(name=name).exists():
        raise Conflict(_("商会“%(name)s”已存在。") % {"name": name})
    chamber = Chamber.objects.create(name=name, region=region)
    record(
        actor=actor,
        action="chamber.create",
        obj=chamber,
        role=primary_role(actor),
        changes={"name": name, "region": region.pk},
    )
    return chamber


@transaction.atomic
def chamber_member_add(
    *,
    actor: Any,
    chamber: Chamber,
    enterprise: Enterprise,
    position: str = "",
    joined_on: Any = None,
) -> ChamberMembership:
    """Enrol a firm as a member; it acts for the firm only once the firm consents."""
    _require_system_admin(actor, _("只有系统管理员可以登记商会会员。"))
    position = (position or "").strip() or "会员"
    if len(position) > 32:
        message = _("职务不能超过32个字。")
        raise ServiceError(message, field_errors={"position": [message]})
    if ChamberMembership.objects.filter(chamber=chamber, enterprise=enterprise).exists():
        raise Conflict(_("该企业已是本商会会员。"))
    membership = ChamberMembership.objects.create(
        chamber=chamber, enterprise=enterprise, position=position, joined_on=joined_on
    )
    record(
        actor=actor,
        action="chamber.member_add",
        obj=chamber,
        role=primary_role(actor),
        changes={"enterprise": enterprise.pk, "position": position},
    )
    return membership
