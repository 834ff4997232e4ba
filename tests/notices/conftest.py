"""Fixtures of notices: a firm_b user and a helper that publishes a notice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.notices.models import Notice
from qinqing.notices.services import NoticeData, notice_create, notice_publish
from tests.conftest import World
from tests.factories import UserFactory


@pytest.fixture
def firm_b_user(world: World) -> User:
    user = UserFactory(username="firm_b_owner", display_name="乙厂老板")
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=world.firm_b)
    return user


@pytest.fixture
def other_firm_user(world: World) -> User:
    user = UserFactory(username="firm_other_owner", display_name="丙厂老板")
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=world.firm_other)
    return user


@pytest.fixture
def make_notice(world: World) -> Callable[..., Notice]:
    def make(
        *,
        actor: Any = None,
        regions: list[str] | None = None,
        firms: list[str] | None = None,
        publish: bool = True,
        **fields: Any,
    ) -> Notice:
        fields.setdefault("kind", "policy")
        fields.setdefault("title", "海曙区稳岗补贴政策")
        fields.setdefault("body", "符合条件的企业可申请稳岗补贴，每人500元。")
        if fields["kind"] == "policy":
            fields.setdefault("issuing_body", "海曙区人力社保局")
            fields.setdefault("document_number", "海人社〔2026〕12号")
            fields.setdefault("effective_on", date(2099, 1, 1))
        notice = notice_create(
            actor=actor or world.users["coordinator"],
            data=NoticeData(**fields),
            audience={
                "regions": regions if regions is not None else [world.town.code],
                "firms": firms or [],
            },
        )
        if publish:
            notice = notice_publish(actor=actor or world.users["coordinator"], notice_id=notice.pk)
        return notice

    return make
