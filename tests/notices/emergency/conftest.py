"""Fixtures of the emergency tests: a daily epidemic emergency over 古林镇."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.directory.models import Enterprise
from qinqing.notices.emergency.models import Emergency
from qinqing.notices.emergency.services import emergency_declare, today
from tests.conftest import World
from tests.factories import EnterpriseFactory, UserFactory


def firm_user(firm: Enterprise) -> User:
    user = UserFactory()
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=firm)
    return user


@pytest.fixture
def epidemic(world: World) -> Emergency:
    return emergency_declare(
        actor=world.users["coordinator"],
        title="新冠肺炎疫情复工监测",
        kind="epidemic",
        cadence="daily",
        starts_on=today() - timedelta(days=3),
        supply_items=["口罩", "消毒液"],
        regions=[world.town.code],
    )


@pytest.fixture
def firm_c(world: World) -> Enterprise:
    """A third firm of 古林第一网格 (the steward's grid)."""
    return EnterpriseFactory(name="宁波己五金有限公司", grid=world.grid_a)


def answers(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": "partly",
        "staff_on_site": 30,
        "staff_absent": 10,
        "supplies": [{"item": "口罩", "days": 5}, {"item": "消毒液", "days": 12}],
        "need_text": "",
        "need_item": "",
        "need_quantity": None,
    }
    values.update(overrides)
    return values
