"""A handler's action refused for a conflict of interest: the demand page shows the path, the
alert and the two ways on (recuse, or retry with a reason); the API answers 409 likewise."""

from __future__ import annotations

from decimal import Decimal

from qinqing.demands.models import Demand
from qinqing.demands.workflow import State
from qinqing.integrity.relations.models import AlertState, ConflictAlert
from qinqing.integrity.relations.services import person_create, relation_create

from .conftest import Cases


def plant(cases: Cases) -> None:
    """赵敏 → daughter 赵小敏 → her husband 王强 → 30 % of 甲模具 (the demand's firm)."""
    keeper = cases.supervisor
    me = person_create(actor=keeper, name="赵敏", gender="f", user=cases.handler)
    daughter = person_create(actor=keeper, name="赵小敏", gender="f")
    son_in_law = person_create(actor=keeper, name="王强", gender="m")
    relation_create(actor=keeper, from_person_id=me.pk, kind="child", to_person_id=daughter.pk)
    relation_create(
        actor=keeper, from_person_id=daughter.pk, kind="spouse", to_person_id=son_in_law.pk
    )
    relation_create(
        actor=keeper,
        from_person_id=son_in_law.pk,
        kind="shareholder",
        enterprise_id=cases.world.firm_a.pk,
        percentage=Decimal("30"),
    )


def test_the_page_shows_the_path_the_alert_and_the_ways_on(client, cases: Cases) -> None:
    plant(cases)
    demand = cases.submit()
    client.force_login(cases.handler)
    refused = client.post(
        f"/demands/{demand.pk}/act/", {"action": "accept", "version": demand.version}
    )
    assert refused.status_code == 409
    body = refused.content.decode()
    alert = ConflictAlert.objects.get(official=cases.handler)
    assert 'id="conflict"' in body and "王强" in body and "宁波甲模具有限公司" in body
    assert f"/relations/alerts/{alert.pk}/" in body  # the alert, and its recuse action
    assert 'id="recuse-form"' in body and 'name="override_reason"' in body
    assert Demand.objects.get(pk=demand.pk).state == State.DISPATCHED


def test_a_reply_refused_for_a_conflict_keeps_the_text_for_the_retry(client, cases: Cases) -> None:
    demand = cases.submit()
    client.force_login(cases.handler)
    client.post(f"/demands/{demand.pk}/act/", {"action": "accept", "version": demand.version})
    plant(cases)  # the relation is declared after the case was accepted
    demand.refresh_from_db()
    data = {"action": "reply", "version": demand.version, "reply-note": "已协调供电所加快审批。"}
    refused = client.post(f"/demands/{demand.pk}/act/", data)
    assert refused.status_code == 409
    override_form = refused.content.decode().split('id="override-form"')[1].split("</form>")[0]
    assert 'name="reply-note"' in override_form and "已协调供电所加快审批。" in override_form
    done = client.post(
        f"/demands/{demand.pk}/act/", {**data, "override_reason": "企业急需，本科室仅我在岗"}
    )
    assert done.status_code == 302
    demand.refresh_from_db()
    assert demand.state == State.REPLIED and demand.reply == "已协调供电所加快审批。"


def test_the_retry_with_a_reason_goes_on_and_the_alert_is_overridden(client, cases: Cases) -> None:
    plant(cases)
    demand = cases.submit()
    client.force_login(cases.handler)
    client.post(f"/demands/{demand.pk}/act/", {"action": "accept", "version": demand.version})
    done = client.post(
        f"/demands/{demand.pk}/act/",
        {"action": "accept", "version": demand.version, "override_reason": "全区仅本局可办"},
    )
    assert done.status_code == 302
    assert Demand.objects.get(pk=demand.pk).state == State.ACCEPTED
    alert = ConflictAlert.objects.get(official=cases.handler)
    assert alert.state == AlertState.OVERRIDDEN and alert.reason == "全区仅本局可办"


def test_the_api_answers_409_with_the_path_and_takes_an_override(client, cases: Cases) -> None:
    from qinqing.accounts.services import token_issue

    plant(cases)
    demand = cases.submit()
    _token, raw = token_issue(user=cases.handler)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    url = f"/api/v1/demands/{demand.pk}/actions"
    refused = client.post(
        url,
        {"action": "accept", "version": demand.version},
        content_type="application/json",
        **auth,
    )
    assert refused.status_code == 409
    errors = refused.json()["field_errors"]
    assert "王强" in errors["override_reason"][0]
    assert errors["alert_id"] == [str(ConflictAlert.objects.get().pk)]
    done = client.post(
        url,
        {"action": "accept", "version": demand.version, "override_reason": "全区仅本局可办"},
        content_type="application/json",
        **auth,
    )
    assert done.status_code == 200 and done.json()["state"] == State.ACCEPTED
    assert ConflictAlert.objects.get().state == AlertState.OVERRIDDEN
