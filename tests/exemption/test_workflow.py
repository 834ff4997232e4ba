"""The workflow with its roles: who may apply, accept, assess, sign off and review appeals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from qinqing.accounts.models import Role
from qinqing.accounts.services import role_grant
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.exemption import services
from qinqing.exemption.models import Application, Assessment, Origin
from qinqing.exemption.workflow import TRANSITIONS, State
from qinqing.inbox.models import Message
from tests.factories import UserFactory

from .conftest import ASSESSMENT, accepted, assessed, decided, submit


def test_an_official_applies_and_a_supervisor_decides_with_a_second_reviewer(
    world, second, django_capture_on_commit_callbacks
):
    a = submit(world)
    assert a.origin == Origin.SELF and a.state == State.SUBMITTED
    assert a.region == world.other_town and a.number.startswith("RC-")
    a = services.application_accept(
        actor=world.users["supervisor"], application_id=a.pk, version=a.version
    )
    assert a.assessor == world.users["supervisor"] and a.decide_due_at is not None
    a = services.application_assess(
        actor=world.users["supervisor"],
        application_id=a.pk,
        version=a.version,
        assessment=ASSESSMENT,
        outcome="exempt",
        reasons="三个区分均属可容错情形。",
    )
    assert a.state == State.ASSESSED
    assert Assessment.objects.get(application=a).checks["conflicts"]["available"] in (True, False)
    with django_capture_on_commit_callbacks(execute=True):
        a = services.application_sign_off(actor=second, application_id=a.pk, version=a.version)
    assert a.state == State.DECIDED and a.signed_off_by == second
    assert a.days_to_decide is not None and a.appeal_due_at is not None
    told = Message.objects.get(user=world.users["official"], title__contains="容错免责决定")
    assert "免责" in told.title and "三个区分均属可容错情形" in told.body


def test_the_applicant_cannot_accept_or_assess_their_own_case(world, second):
    official = world.users["official"]
    role_grant(actor=None, user=official, role=Role.SUPERVISOR, region=world.district)
    a = submit(world)
    with pytest.raises(NotPermitted, match="申请人不能审查"):
        services.application_accept(actor=official, application_id=a.pk, version=a.version)
    # nor be named assessor by a colleague
    with pytest.raises(ServiceError) as caught:
        services.application_accept(
            actor=world.users["supervisor"],
            application_id=a.pk,
            version=a.version,
            assessor=official,
        )
    assert "assessor" in caught.value.field_errors


def test_the_database_refuses_an_applicant_as_assessor(world):
    a = submit(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=a.pk).update(assessor=world.users["official"])


def test_the_assessor_cannot_sign_off_their_own_assessment(world, second):
    a = assessed(world)
    with pytest.raises(NotPermitted):
        services.application_sign_off(
            actor=world.users["supervisor"], application_id=a.pk, version=a.version
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=a.pk).update(signed_off_by=world.users["supervisor"])


def test_only_the_named_assessor_assesses(world, second):
    a = accepted(world)
    with pytest.raises(NotPermitted):
        services.application_assess(
            actor=second,
            application_id=a.pk,
            version=a.version,
            assessment=ASSESSMENT,
            outcome="exempt",
            reasons="理由充分的意见。",
        )


def test_a_colleague_of_the_same_department_cannot_judge(world, second):
    handler = world.users["handler"]
    role_grant(actor=None, user=second, role=Role.HANDLER, department=world.other_department)
    a = submit(world, actor=handler)
    assert services.conflicted(second, a)
    with pytest.raises(NotPermitted):
        services.application_accept(actor=second, application_id=a.pk, version=a.version)


def test_an_assessment_missing_a_distinction_is_refused_and_nothing_changes(world):
    a = accepted(world)
    data = {**ASSESSMENT, "d2_findings": "", "d3_finding": "maybe"}
    with pytest.raises(ServiceError) as caught:
        services.application_assess(
            actor=world.users["supervisor"],
            application_id=a.pk,
            version=a.version,
            assessment=data,
            outcome="exempt",
            reasons="理由充分的意见。",
        )
    assert {"d2_findings", "d3_finding"} <= set(caught.value.field_errors)
    a.refresh_from_db()
    assert a.state == State.ACCEPTED and not Assessment.objects.exists()


def test_the_applicant_appeals_once_to_a_third_reviewer(world, second, third):
    a = decided(world, second, outcome="not_exempt")
    official = world.users["official"]
    a = services.application_appeal(
        actor=official, application_id=a.pk, version=a.version, reason="当时确无明确禁止性规定。"
    )
    assert a.state == State.APPEALED
    for reviewer in (world.users["supervisor"], second):
        with pytest.raises(NotPermitted):
            services.application_review(
                actor=reviewer,
                application_id=a.pk,
                version=a.version,
                outcome="reduced",
                reasons="复查认为可从轻。",
            )
    a = services.application_review(
        actor=third,
        application_id=a.pk,
        version=a.version,
        outcome="reduced",
        reasons="复查认为可从轻。",
    )
    assert a.state == State.REVIEWED and a.final_outcome == "reduced" and a.outcome == "not_exempt"
    with pytest.raises(Conflict, match="只能申诉一次"):
        services.application_appeal(
            actor=official, application_id=a.pk, version=a.version, reason="再次申诉的理由。"
        )


def test_only_the_applicant_appeals_and_not_after_the_deadline(world, second):
    a = decided(world, second)
    with pytest.raises(NotPermitted):
        services.application_appeal(
            actor=world.users["supervisor"],
            application_id=a.pk,
            version=a.version,
            reason="代为申诉理由",
        )
    Application.objects.filter(pk=a.pk).update(appeal_due_at=timezone.now() - timedelta(days=1))
    with pytest.raises(Conflict, match="申诉期限"):
        services.application_appeal(
            actor=world.users["official"],
            application_id=a.pk,
            version=a.version,
            reason="逾期的申诉理由",
        )


def test_the_second_reviewer_can_send_the_assessment_back(world, second):
    a = assessed(world)
    a = services.application_return(
        actor=second, application_id=a.pk, version=a.version, note="区分二证据不足"
    )
    assert a.state == State.ACCEPTED


def test_a_stale_version_is_refused(world):
    a = submit(world)
    with pytest.raises(Conflict):
        services.application_accept(
            actor=world.users["supervisor"], application_id=a.pk, version=a.version + 1
        )


def test_a_coordinator_applies_for_an_official_of_the_region_but_not_elsewhere(world):
    coordinator = world.users["coordinator"]  # 古林镇
    official_gulin = UserFactory(username="gulin_official", display_name="古林干部")
    role_grant(actor=None, user=official_gulin, role=Role.OFFICIAL, region=world.town)
    a = submit(world, actor=coordinator, applicant=official_gulin)
    assert a.origin == Origin.UNIT and a.filed_by == coordinator and a.applicant == official_gulin
    with pytest.raises(NotPermitted):
        submit(world, actor=coordinator, applicant=world.users["official"])  # 高桥镇


def test_a_supervisor_starts_an_application_during_an_investigation(world):
    a = submit(world, actor=world.users["supervisor"], applicant=world.users["official"])
    assert a.origin == Origin.INVESTIGATION
    # the applicant may not withdraw what the investigator started? they may: it is theirs
    assert a.applicant == world.users["official"]


def test_a_firm_user_cannot_apply(world):
    with pytest.raises(NotPermitted):
        submit(world, actor=world.users["enterprise"])


def test_bad_input_is_refused_field_by_field(world):
    with pytest.raises(ServiceError) as caught:
        submit(world, matter="", actions="短", corrected=True, correction="")
    assert {"matter", "actions", "correction"} <= set(caught.value.field_errors)
    assert not Application.objects.exists()


def test_a_link_must_point_to_an_existing_object_of_a_known_kind(world):
    with pytest.raises(ServiceError) as caught:
        submit(world, link_kind="demand", link_id=999999)
    assert "link_id" in caught.value.field_errors
    with pytest.raises(ServiceError) as caught:
        submit(world, link_kind="nonsense", link_id=1)
    assert "link_kind" in caught.value.field_errors


def test_a_link_to_a_demand_keeps_its_number(world):
    from qinqing.demands.models import Category
    from qinqing.demands.services import demand_submit

    category = Category.objects.create(code="permit-x", name="审批许可")
    demand = demand_submit(
        actor=world.users["enterprise"],
        enterprise=world.firm_a,
        category=category,
        title="用电增容审批",
        description="用电增容审批卡在供电所两个月了",
    )
    a = submit(world, link_kind="demand", link_id=demand.pk)
    assert a.link_label == demand.number


@pytest.mark.parametrize(("state", "action"), list(TRANSITIONS))
def test_no_firm_user_may_make_any_move(world, state, action):
    a = submit(world)
    a.state = state
    allowed = TRANSITIONS[(state, action)][1]
    assert not allowed(world.users["enterprise"], a)
    assert not allowed(world.users["steward"], a)


def test_withdrawal_by_the_applicant_before_the_decision(world):
    a = accepted(world)
    a = services.application_withdraw(
        actor=world.users["official"], application_id=a.pk, version=a.version
    )
    assert a.state == State.WITHDRAWN


def test_a_supervisor_refuses_with_a_reason_and_the_applicant_is_told(
    world, django_capture_on_commit_callbacks
):
    a = submit(world)
    with django_capture_on_commit_callbacks(execute=True):
        a = services.application_refuse(
            actor=world.users["supervisor"],
            application_id=a.pk,
            version=a.version,
            reason="不属于容错范围",
        )
    assert a.state == State.REFUSED
    assert Message.objects.filter(user=world.users["official"], title__contains="不予受理").exists()
