"""Shared fixtures: a small region tree, firms in two grids, one user per role."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.directory.models import Chamber, Department, Enterprise, Region, RegionLevel

from .demo.shared import (  # noqa: F401  (registered here: the one shared demo load)
    demo_loaded,
    pytest_collection_modifyitems,
    pytest_runtest_setup,
    pytest_runtest_teardown,
)
from .factories import DepartmentFactory, EnterpriseFactory, RegionFactory, UserFactory
from .s3 import s3_server  # noqa: F401  (a real S3 protocol server, started when asked for)

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# fixtures in that thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "Qinqing#2026"


@dataclass
class World:
    city: Region
    district: Region
    town: Region
    other_town: Region
    community: Region
    grid_a: Region
    grid_b: Region
    grid_other: Region
    firm_a: Enterprise
    firm_b: Enterprise
    firm_other: Enterprise
    department: Department
    other_department: Department
    users: dict[str, User] = field(default_factory=dict)


def region(code: str, name: str, level: int, parent: Region | None) -> Region:
    return RegionFactory(code=code, name=name, level=level, parent=parent)


@pytest.fixture
def world(db: Any) -> World:
    city = region("330200", "宁波市", RegionLevel.CITY, None)
    district = region("330203", "海曙区", RegionLevel.DISTRICT, city)
    town = region("330203101", "古林镇", RegionLevel.TOWN, district)
    other_town = region("330203102", "高桥镇", RegionLevel.TOWN, district)
    community = region("330203101001", "古林工业社区", RegionLevel.COMMUNITY, town)
    other_community = region("330203102001", "高桥社区", RegionLevel.COMMUNITY, other_town)
    grid_a = region("330203101001G01", "古林第一网格", RegionLevel.GRID, community)
    grid_b = region("330203101001G02", "古林第二网格", RegionLevel.GRID, community)
    grid_other = region("330203102001G01", "高桥第一网格", RegionLevel.GRID, other_community)
    w = World(
        city=city,
        district=district,
        town=town,
        other_town=other_town,
        community=community,
        grid_a=grid_a,
        grid_b=grid_b,
        grid_other=grid_other,
        firm_a=EnterpriseFactory(
            name="宁波甲模具有限公司", grid=grid_a, contact_phone="13812345678"
        ),
        firm_b=EnterpriseFactory(name="宁波乙机械有限公司", grid=grid_b, above_scale=True),
        firm_other=EnterpriseFactory(name="宁波丙塑料有限公司", grid=grid_other),
        department=DepartmentFactory(name="海曙区市场监督管理局", region=district),
        other_department=DepartmentFactory(name="高桥镇税务所", region=other_town, kind="tax"),
    )
    scopes: dict[str, dict[str, Any]] = {
        Role.ENTERPRISE: {"enterprise": w.firm_a},
        Role.OBSERVER: {"enterprise": w.firm_a},
        Role.STEWARD: {"region": grid_a},
        Role.HANDLER: {"department": w.other_department},
        Role.COORDINATOR: {"region": town},
        Role.OFFICIAL: {"region": other_town},
        Role.SUPERVISOR: {"region": district},
        Role.SYSTEM_ADMIN: {},
        Role.SECURITY_ADMIN: {},
        Role.AUDIT_ADMIN: {},
        Role.CHAMBER: {"chamber": Chamber.objects.create(name="海曙区工商联", region=district)},
    }
    for role, scope in scopes.items():
        user = UserFactory(username=role.value, display_name=f"{role.label}测试")
        role_grant(actor=None, user=user, role=role, **scope)
        w.users[role.value] = user
    return w


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    """Background jobs run at once in tests (the worker's queue is tested by django-tasks)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Every user in ``world`` gets a hashed password; PBKDF2 would add seconds per test.
    The policy (length, classes, lockout) does not depend on the hasher."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def password() -> str:
    return PASSWORD
