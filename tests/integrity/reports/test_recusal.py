"""A conflict between the investigator and the firm reported forces recusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict
from qinqing.integrity.relations.services import person_create, relation_create
from qinqing.integrity.reports import services
from qinqing.integrity.reports.models import Assignment


def test_an_investigator_linked_to_the_reported_firm_must_recuse(world, desk) -> None:
    actor = world.users["supervisor"]
    me = person_create(actor=actor, name="郑监督", gender="m", user=desk.second)
    daughter = person_create(actor=actor, name="郑小红", gender="f")
    son_in_law = person_create(actor=actor, name="王强", gender="m")
    relation_create(actor=actor, from_person_id=me.pk, kind="child", to_person_id=daughter.pk)
    relation_create(
        actor=actor, from_person_id=daughter.pk, kind="spouse", to_person_id=son_in_law.pk
    )
    relation_create(
        actor=actor,
        from_person_id=son_in_law.pk,
        kind="shareholder",
        enterprise_id=world.firm_a.pk,
        percentage=Decimal("30"),
    )
    report, _receipt = services.report_submit(
        region=world.town,
        category="conflict",
        title="关联企业中标",
        body="b",
        accused_firms=world.firm_a.name,
    )
    report = services.report_act(actor=desk.lead, report_id=report.pk, action="triage", version=1)
    with pytest.raises(Conflict) as refused:
        services.report_assign(
            actor=desk.lead, report_id=report.pk, supervisor=desk.second, key=desk.key(desk.lead)
        )
    assert "王强" in refused.value.message
    assert not Assignment.objects.filter(report=report).exists()
    assert AuditEntry.objects.filter(action="report.recuse", object_id=str(report.pk)).exists()
    # someone without a path may take it
    services.report_assign(
        actor=desk.lead, report_id=report.pk, supervisor=desk.lead, key=desk.key(desk.lead)
    )
