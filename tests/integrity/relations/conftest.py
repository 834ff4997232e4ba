"""A planted family: handler 赵敏's daughter is married to 王强, who holds 30 % of 甲模具."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from qinqing.accounts.models import User
from qinqing.integrity.relations.models import Person
from qinqing.integrity.relations.services import person_create, relation_create

from ...conftest import World
from ...demands.conftest import Cases, cases  # noqa: F401  (fixture re-export)


@dataclass
class Family:
    cases: Cases
    supervisor: User
    official: Person
    daughter: Person
    son_in_law: Person


@pytest.fixture
def family(cases: Cases, world: World) -> Family:  # noqa: F811
    supervisor = world.users["supervisor"]
    official = person_create(actor=supervisor, name="赵敏", gender="f", user=cases.handler)
    daughter = person_create(actor=supervisor, name="赵小敏", gender="f")
    son_in_law = person_create(actor=supervisor, name="王强", gender="m")
    relation_create(
        actor=supervisor, from_person_id=official.pk, kind="child", to_person_id=daughter.pk
    )
    relation_create(
        actor=supervisor, from_person_id=daughter.pk, kind="spouse", to_person_id=son_in_law.pk
    )
    relation_create(
        actor=supervisor,
        from_person_id=son_in_law.pk,
        kind="shareholder",
        enterprise_id=world.firm_a.pk,
        percentage=Decimal("30"),
    )
    return Family(
        cases=cases,
        supervisor=supervisor,
        official=official,
        daughter=daughter,
        son_in_law=son_in_law,
    )
