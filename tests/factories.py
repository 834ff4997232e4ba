"""Factories that build realistic directory data."""

from __future__ import annotations

import random

import factory

from qinqing.accounts.models import User
from qinqing.common.uscc import ALPHABET, check_character
from qinqing.directory.models import Department, DepartmentKind, Enterprise, Region, RegionLevel

_rng = random.Random(20260101)


def make_uscc(region_code: str = "330203") -> str:
    body = "91" + region_code[:6] + "MA2" + "".join(_rng.choice(ALPHABET) for _ in range(6))
    return body + check_character(body)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"R{n:05d}")
    name = factory.Sequence(lambda n: f"区域{n}")
    level = RegionLevel.CITY
    parent = None
    path = factory.LazyAttribute(lambda o: Region.build_path(o.parent, o.code))


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.LazyFunction(make_uscc)
    name = factory.Sequence(lambda n: f"宁波测试模具有限公司{n}")
    legal_representative = factory.Sequence(lambda n: f"王{n}")
    industry_section = "C"
    above_scale = False
    employees = 40
    address = "宁波市海曙区古林镇工业路1号"
    contact_phone = factory.Sequence(lambda n: f"138{n:08d}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"市场监管所{n}")
    kind = DepartmentKind.MARKET


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("Qinqing#2026")
