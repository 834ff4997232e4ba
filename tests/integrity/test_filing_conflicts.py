"""A superior who approves or rejects a contact filing must not be linked to its firms or to
the filer: with a planted relation the decision is refused with the path, the alert is kept
for supervisors, and only a reason lets the approver decide all the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.integrity import services
from qinqing.integrity.models import ConductItem, Filing, FilingStatus
from qinqing.integrity.relations.models import AlertState, ConflictAlert
from qinqing.integrity.relations.services import (
    ConflictOfInterest,
    person_create,
    relation_create,
)


@pytest.fixture
def pending(world) -> Filing:
    """The official's report of a firm's ceremony, which needs the superior's approval."""
    ConductItem.objects.create(
        code="P-2",
        list_kind="official_positive",
        subject="official",
        polarity="positive",
        title="参加企业庆典活动",
        text="经批准可参加企业重大庆典活动。",
        source="样例清单",
        effective_from=dt.date(2019, 1, 1),
        rule={"when": {"field": "kind", "eq": "event"}, "outcome": "needs_approval"},
    )
    filing = services.filing_submit(
        actor=world.users["official"],
        timing="after",
        kind="event",
        contact_date=services.today() - dt.timedelta(days=1),
        place="企业厂区",
        place_kind="firm",
        firms=[world.firm_other],
        purpose="出席企业成立二十周年庆典",
        payer="none",
    )
    assert filing.status == FilingStatus.PENDING
    return filing


def plant_share(world, approver, firm) -> None:
    """approver → wife → 30 % shareholder of ``firm``."""
    keeper = world.users["system_admin"]
    me = person_create(actor=keeper, name=str(approver), gender="m", user=approver)
    wife = person_create(actor=keeper, name="吴某某", gender="f")
    relation_create(actor=keeper, from_person_id=me.pk, kind="spouse", to_person_id=wife.pk)
    relation_create(
        actor=keeper,
        from_person_id=wife.pk,
        kind="shareholder",
        enterprise_id=firm.pk,
        percentage=Decimal("30"),
    )


def test_an_approver_linked_to_the_firm_is_refused_with_the_path(world, pending) -> None:
    supervisor = world.users["supervisor"]
    plant_share(world, supervisor, world.firm_other)
    with pytest.raises(ConflictOfInterest) as caught:
        services.filing_decide(actor=supervisor, filing_id=pending.pk, approve=True)
    assert "吴某某" in caught.value.message and world.firm_other.name in caught.value.message
    pending.refresh_from_db()
    assert pending.status == FilingStatus.PENDING and pending.decided_by is None
    alert = ConflictAlert.objects.get(official=supervisor)
    assert alert.state == AlertState.OPEN and alert.context == f"filing:{pending.number}"


def test_with_a_reason_the_decision_goes_on_and_the_alert_says_overridden(world, pending) -> None:
    supervisor = world.users["supervisor"]
    plant_share(world, supervisor, world.firm_other)
    with pytest.raises(ConflictOfInterest):
        services.filing_decide(actor=supervisor, filing_id=pending.pk, approve=False, reason="否")
    decided = services.filing_decide(
        actor=supervisor,
        filing_id=pending.pk,
        approve=False,
        reason="庆典规格超标",
        override_reason="本区仅我一名上级在岗，已报纪委备案",
    )
    assert decided.status == FilingStatus.REJECTED
    alert = ConflictAlert.objects.get(official=supervisor)
    assert alert.state == AlertState.OVERRIDDEN and alert.reason.startswith("本区仅我一名")
    entry = AuditEntry.objects.get(action="filing.reject", object_id=str(pending.pk))
    assert entry.changes["conflict_alert"] == alert.pk


def test_an_approver_related_to_the_filer_is_refused(world, pending) -> None:
    supervisor, official = world.users["supervisor"], world.users["official"]
    keeper = world.users["system_admin"]
    me = person_create(actor=keeper, name=str(supervisor), gender="f", user=supervisor)
    brother = person_create(actor=keeper, name=str(official), gender="m", user=official)
    relation_create(actor=keeper, from_person_id=me.pk, kind="sibling", to_person_id=brother.pk)
    with pytest.raises(ConflictOfInterest):
        services.filing_decide(actor=supervisor, filing_id=pending.pk, approve=True)
    assert ConflictAlert.objects.get(official=supervisor).other_user == official


def test_without_a_path_the_superior_decides_as_before(world, pending) -> None:
    decided = services.filing_decide(
        actor=world.users["supervisor"], filing_id=pending.pk, approve=True
    )
    assert decided.status == FilingStatus.APPROVED
    assert not ConflictAlert.objects.exists()


def test_the_page_shows_the_path_the_alert_and_asks_for_a_reason(client, world, pending) -> None:
    supervisor = world.users["supervisor"]
    plant_share(world, supervisor, world.firm_other)
    client.force_login(supervisor)
    url = f"/integrity/filings/{pending.pk}/"
    refused = client.post(url, {"decision": "approve", "reason": ""})
    assert refused.status_code == 409
    body = refused.content.decode()
    alert = ConflictAlert.objects.get(official=supervisor)
    assert "吴某某" in body and f"/relations/alerts/{alert.pk}/" in body
    assert 'name="override_reason"' in body and 'id="recuse-form"' in body
    done = client.post(
        url, {"decision": "approve", "reason": "", "override_reason": "唯一在岗上级，已报备"}
    )
    assert done.status_code == 302
    assert Filing.objects.get(pk=pending.pk).status == FilingStatus.APPROVED


def test_the_api_answers_409_with_the_path_and_takes_an_override(client, world, pending) -> None:
    from qinqing.accounts.services import token_issue

    supervisor = world.users["supervisor"]
    plant_share(world, supervisor, world.firm_other)
    _token, raw = token_issue(user=supervisor)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    url = f"/api/v1/integrity/filings/{pending.pk}/decision"
    refused = client.post(url, {"approve": True}, content_type="application/json", **auth)
    assert refused.status_code == 409
    errors = refused.json()["field_errors"]
    assert "吴某某" in errors["override_reason"][0]
    assert errors["alert_id"] == [str(ConflictAlert.objects.get().pk)]
    done = client.post(
        url,
        {"approve": True, "override_reason": "唯一在岗上级"},
        content_type="application/json",
        **auth,
    )
    assert done.status_code == 200 and done.json()["status"] == "approved"
