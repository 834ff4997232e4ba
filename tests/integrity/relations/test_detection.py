"""Detection: a conflicted handler is refused until they recuse or give a reason."""

from __future__ import annotations

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.demands.services import demand_act
from qinqing.demands.workflow import State
from qinqing.integrity.relations.models import AlertState, ConflictAlert, FirmRelation
from qinqing.integrity.relations.selectors import alerts_visible_to
from qinqing.integrity.relations.services import (
    ConflictOfInterest,
    alert_decide,
    conflict_check,
    relation_end,
)

from .conftest import Family


def test_the_handler_is_refused_with_the_path_and_an_open_alert_is_kept(family: Family) -> None:
    demand = family.cases.submit()
    assert demand.state == State.DISPATCHED
    with pytest.raises(ConflictOfInterest) as refused:
        demand_act(
            actor=family.cases.handler, demand_id=demand.pk, action="accept", version=demand.version
        )
    assert "赵敏 —女儿→ 赵小敏 —丈夫→ 王强 —持股30%→ 宁波甲模具有限公司" in refused.value.message
    demand.refresh_from_db()
    assert demand.state == State.DISPATCHED  # nothing happened
    alert = ConflictAlert.objects.get()
    assert alert.state == AlertState.OPEN
    assert alert.context == f"demand:{demand.number}"
    assert alert.enterprise == family.cases.world.firm_a
    assert alert.path["paths"][0]["length"] == 3
    assert alert in alerts_visible_to(family.supervisor)
    assert AuditEntry.objects.filter(action="relations.alert_raise").exists()


def test_a_second_refusal_keeps_one_open_alert(family: Family) -> None:
    demand = family.cases.submit()
    for _ in range(2):
        with pytest.raises(ConflictOfInterest):
            demand_act(
                actor=family.cases.handler, demand_id=demand.pk, action="accept", version=None
            )
    assert ConflictAlert.objects.count() == 1


def test_after_a_reasoned_override_the_handler_may_act(family: Family) -> None:
    demand = family.cases.submit()
    with pytest.raises(ConflictOfInterest):
        demand_act(actor=family.cases.handler, demand_id=demand.pk, action="accept", version=None)
    alert = ConflictAlert.objects.get()
    with pytest.raises(ServiceError):
        alert_decide(actor=family.cases.handler, alert_id=alert.pk, recuse=False, reason=" ")
    alert_decide(
        actor=family.cases.handler,
        alert_id=alert.pk,
        recuse=False,
        reason="本科室仅一名经办人，已报分管领导同意",
    )
    accepted = demand_act(
        actor=family.cases.handler, demand_id=demand.pk, action="accept", version=None
    )
    assert accepted.state == State.ACCEPTED
    alert.refresh_from_db()
    assert alert.state == AlertState.OVERRIDDEN
    assert AuditEntry.objects.filter(action="relations.alert_override").exists()


def test_after_recusal_the_handler_stays_refused(family: Family) -> None:
    demand = family.cases.submit()
    with pytest.raises(ConflictOfInterest):
        demand_act(actor=family.cases.handler, demand_id=demand.pk, action="accept", version=None)
    alert_decide(actor=family.cases.handler, alert_id=ConflictAlert.objects.get().pk, recuse=True)
    with pytest.raises(Conflict, match="回避"):
        demand_act(actor=family.cases.handler, demand_id=demand.pk, action="accept", version=None)


def test_only_the_official_concerned_decides_an_alert(family: Family) -> None:
    demand = family.cases.submit()
    with pytest.raises(ConflictOfInterest):
        demand_act(actor=family.cases.handler, demand_id=demand.pk, action="accept", version=None)
    alert = ConflictAlert.objects.get()
    with pytest.raises(NotPermitted):
        alert_decide(actor=family.supervisor, alert_id=alert.pk, recuse=True)


def test_a_handler_without_a_path_acts_freely(family: Family) -> None:
    holding = FirmRelation.objects.get(person=family.son_in_law)
    relation_end(actor=family.supervisor, relation_id=holding.pk, firm=True)
    demand = family.cases.submit()
    accepted = demand_act(
        actor=family.cases.handler, demand_id=demand.pk, action="accept", version=None
    )
    assert accepted.state == State.ACCEPTED
    assert not ConflictAlert.objects.exists()


def test_conflict_check_with_a_reason_records_the_override(family: Family) -> None:
    firm = family.cases.world.firm_a
    assert (
        conflict_check(
            official=family.cases.handler,
            enterprise_ids=[family.cases.world.firm_b.pk],
            context="x",
        )
        is None
    )
    with pytest.raises(ConflictOfInterest):
        conflict_check(official=family.cases.handler, enterprise_ids=[firm.pk], context="审批:1")
    alert = conflict_check(
        official=family.cases.handler,
        enterprise_ids=[firm.pk],
        context="审批:1",
        override_reason="集体决策，本人不参与表决",
    )
    assert alert is not None and alert.state == AlertState.OVERRIDDEN
    assert alert.reason == "集体决策，本人不参与表决"


def test_an_official_sees_their_own_alerts_and_not_others(family: Family) -> None:
    demand = family.cases.submit()
    with pytest.raises(ConflictOfInterest):
        demand_act(actor=family.cases.handler, demand_id=demand.pk, action="accept", version=None)
    assert alerts_visible_to(family.cases.handler).count() == 1
    assert alerts_visible_to(family.cases.other_handler).count() == 0
    assert alerts_visible_to(family.cases.world.users["enterprise"]).count() == 0


def test_pairing_a_conflicted_official_is_refused_until_a_reason_is_given(
    family: Family,
) -> None:
    import datetime as dt

    from qinqing.accounts.models import Role
    from qinqing.accounts.services import role_grant
    from qinqing.directory.models import Pairing
    from qinqing.outreach.pairings import pairing_create

    handler = family.cases.handler
    role_grant(actor=None, user=handler, role=Role.OFFICIAL, region=family.cases.world.district)
    firm = family.cases.world.firm_a
    with pytest.raises(ConflictOfInterest):
        pairing_create(
            actor=family.supervisor,
            official=handler,
            enterprise_id=firm.pk,
            started_on=dt.date(2026, 1, 5),
        )
    assert not Pairing.objects.exists()
    assert ConflictAlert.objects.get().context == f"pairing:{firm.pk}"
    pairing_create(
        actor=family.supervisor,
        official=handler,
        enterprise_id=firm.pk,
        started_on=dt.date(2026, 1, 5),
        override_reason="镇里仅此一名联系该行业的干部，已报批",
    )
    assert Pairing.objects.filter(official=handler, enterprise=firm).exists()
    assert ConflictAlert.objects.get().state == AlertState.OVERRIDDEN
