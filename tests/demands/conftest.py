"""Demand fixtures: a handler on the district's market bureau and a routing rule to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.demands.models import Category, Demand, RoutingRule
from qinqing.demands.services import demand_submit
from qinqing.directory.models import Department

from ..conftest import World
from ..factories import DepartmentFactory, UserFactory

SHANGHAI_MONDAY_10AM = datetime.fromisoformat("2026-11-02T10:00:00+08:00")


@dataclass
class Cases:
    world: World
    tax: Category
    lead: Department
    other: Department
    handler: User
    other_handler: User
    firm_user: User
    coordinator: User
    supervisor: User

    def submit(self, **kwargs: Any) -> Demand:
        values: dict[str, Any] = {
            "actor": self.firm_user,
            "enterprise": self.world.firm_a,
            "category": self.tax,
            "title": "用电增容审批卡在供电所两个月",
            "description": "用电增容审批两个月没有进展。",
        }
        values.update(kwargs)
        return demand_submit(**values)


@pytest.fixture
def cases(world: World) -> Cases:
    tax = Category.objects.get(code="tax")
    lead = world.department  # 海曙区市场监督管理局, serves the whole district
    other = DepartmentFactory(name="海曙区税务局", region=world.district, kind="tax")
    handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=handler, role=Role.HANDLER, department=lead)
    other_handler = UserFactory(username="taxman", display_name="钱税")
    role_grant(actor=None, user=other_handler, role=Role.HANDLER, department=other)
    RoutingRule.objects.create(region=world.town, category=tax, department=lead)
    return Cases(
        world=world,
        tax=tax,
        lead=lead,
        other=other,
        handler=handler,
        other_handler=other_handler,
        firm_user=world.users["enterprise"],
        coordinator=world.users["coordinator"],
        supervisor=world.users["supervisor"],
    )
