"""The audit vocabulary: every action that may be recorded, with its label."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, object] = {
    "user.login": _("登录"),
    "user.login_failed": _("登录失败"),
    "user.locked": _("账户锁定"),
    "user.logout": _("退出"),
    "user.create": _("新建用户"),
    "user.update": _("修改用户"),
    "user.deactivate": _("停用用户"),
    "user.set_password": _("设置密码"),
    "role.grant": _("授予角色"),
    "role.revoke": _("撤销角色"),
    "token.issue": _("签发令牌"),
    "region.create": _("新增区域"),
    "enterprise.create": _("新增企业"),
    "enterprise.update": _("修改企业"),
    "enterprise.view": _("查看企业信息"),
    "enterprise.import": _("导入企业"),
    "enterprise.export": _("导出企业"),
    "people.import": _("导入人员"),
    "people.export": _("导出人员"),
    "department.create": _("新增部门"),
    "home.create": _("新增亲清家园"),
    "chamber.create": _("新增商会"),
    "pairing.create": _("新增结对"),
    "demo.load": _("载入演示数据"),
    "audit.export": _("导出审计记录"),
    "audit.verify": _("校验审计链"),
}


def register(action: str, label: object) -> None:
    """Other apps add their actions at import time."""
    ACTIONS.setdefault(action, label)
