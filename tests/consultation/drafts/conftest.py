"""Fixtures of policy drafts: an open draft of the 古林镇 coordinator and a firm_b user."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.consultation.drafts.models import PolicyDraft
from qinqing.consultation.drafts.selectors import today
from qinqing.consultation.drafts.services import draft_create, draft_open, earliest_close
from tests.conftest import World
from tests.factories import UserFactory

TEXT = """古林镇促进模具产业高质量发展若干措施（征求意见稿）
第一条 为支持模具企业技术改造，对设备投资额500万元以上的项目给予补助。
第二条 补助比例为设备投资额的10%，单个项目最高200万元。
第三条 本措施自发布之日起施行，有效期三年。"""


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
def open_draft(world: World) -> PolicyDraft:
    start = today()
    draft = draft_create(
        actor=world.users["coordinator"],
        title="古林镇促进模具产业高质量发展若干措施",
        text=TEXT,
        opens_on=start,
        closes_on=earliest_close(start),
        office_name="古林镇经济发展办公室",
    )
    return draft_open(actor=world.users["coordinator"], draft_id=draft.pk)


def shift_past_close(draft: Any) -> None:
    """Move the period into the past (as if the closing day had gone by)."""
    from datetime import timedelta

    length = draft.closes_on - draft.opens_on
    closes = today() - timedelta(days=1)
    PolicyDraft.objects.filter(pk=draft.pk).update(opens_on=closes - length, closes_on=closes)
    draft.refresh_from_db()
