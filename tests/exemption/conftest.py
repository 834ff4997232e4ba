"""Fixtures of the exemption tests: more supervisors of 海曙区, and applications at each step."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant
from qinqing.exemption import services
from qinqing.exemption.models import Application
from tests.conftest import World
from tests.factories import UserFactory

ASSESSMENT = {
    "d1_finding": "tolerable",
    "d1_findings": "首次适用新的审批改革试点政策，缺乏先例。",
    "d1_evidence": "试点文件、会议纪要",
    "d2_finding": "tolerable",
    "d2_findings": "上级当时未作明确限制。",
    "d2_evidence": "",
    "d3_finding": "tolerable",
    "d3_findings": "为保企业项目按期投产，未收受任何好处。",
    "d3_evidence": "银行流水核查",
    "due_procedure": "yes",
    "collective_decision": "yes",
    "no_private_gain": "yes",
    "loss_limited": "yes",
    "prompt_correction": "yes",
    "factors_note": "",
}


def supervisor(world: World, username: str, name: str) -> User:
    user = UserFactory(username=username, display_name=name)
    role_grant(actor=None, user=user, role=Role.SUPERVISOR, region=world.district)
    return user


@pytest.fixture
def second(world: World) -> User:
    return supervisor(world, "qianhong", "钱红")


@pytest.fixture
def third(world: World) -> User:
    return supervisor(world, "lishan", "李珊")


def submit(world: World, **overrides: Any) -> Application:
    kwargs: dict[str, Any] = {
        "actor": world.users["official"],
        "matter": "提前核发施工许可",
        "actions": "为保企业项目按期开工，在消防审查意见未出具前先行核发施工许可。",
        "rules_at_time": "《建筑工程施工许可管理办法》第八条",
        "outcome_harm": "后因消防整改延误两个月，未造成安全事故。",
        "corrected": True,
        "correction": "已责令企业完成整改并补办手续。",
        "enterprise": world.firm_other,
    }
    kwargs.update(overrides)
    return services.application_submit(**kwargs)


def accepted(world: World, **overrides: Any) -> Application:
    a = submit(world, **overrides)
    return services.application_accept(
        actor=world.users["supervisor"], application_id=a.pk, version=a.version
    )


def assessed(world: World, outcome: str = "exempt", **overrides: Any) -> Application:
    a = accepted(world, **overrides)
    return services.application_assess(
        actor=world.users["supervisor"],
        application_id=a.pk,
        version=a.version,
        assessment=ASSESSMENT,
        outcome=outcome,
        reasons="三个区分均属可容错情形，且及时纠正。",
    )


def decided(world: World, signer: User, outcome: str = "exempt", **overrides: Any) -> Application:
    a = assessed(world, outcome, **overrides)
    return services.application_sign_off(actor=signer, application_id=a.pk, version=a.version)
