"""Fixtures of the matching tests: firms near and far, each with its own user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.directory.models import Enterprise, Region, RegionLevel
from qinqing.notices.matching.models import Listing
from qinqing.notices.matching.services import listing_create, today
from tests.conftest import World
from tests.factories import EnterpriseFactory, RegionFactory, UserFactory


def firm_user(firm: Enterprise) -> User:
    user = UserFactory()
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=firm)
    return user


@dataclass
class Market:
    world: World
    near: Enterprise  # another firm in grid_a (firm_a's grid)
    far: Enterprise  # a firm in another district
    users: dict[str, User]

    def post(self, firm: Enterprise, side: str, item: str, quantity: int, **extra: Any) -> Listing:
        kwargs: dict[str, Any] = {
            "unit": "个",
            "valid_until": today() + timedelta(days=30),
            "kind": "goods",
        }
        kwargs.update(extra)
        return listing_create(
            actor=self.users[firm.name],
            enterprise=firm,
            side=side,
            item=item,
            quantity=quantity,
            **kwargs,
        )


@pytest.fixture
def market(world: World) -> Market:
    district = RegionFactory(
        code="330206", name="北仑区", level=RegionLevel.DISTRICT, parent=world.city
    )
    town = RegionFactory(code="330206005", name="大碶街道", level=RegionLevel.TOWN, parent=district)
    community = RegionFactory(
        code="330206005001", name="灵峰社区", level=RegionLevel.COMMUNITY, parent=town
    )
    grid = RegionFactory(
        code="330206005001G01", name="灵峰第一网格", level=RegionLevel.GRID, parent=community
    )
    near = EnterpriseFactory(name="宁波丁电子有限公司", grid=world.grid_a)
    far = EnterpriseFactory(name="宁波戊服饰有限公司", grid=grid)
    users = {world.firm_a.name: world.users["enterprise"]}
    for firm in (world.firm_b, world.firm_other, near, far):
        users[firm.name] = firm_user(firm)
    return Market(world=world, near=near, far=far, users=users)


def region_named(name: str) -> Region:
    return Region.objects.get(name=name)
