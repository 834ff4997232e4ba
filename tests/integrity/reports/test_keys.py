"""Keys: who can open a report, re-sharing, password resets and recovery."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.accounts.services import user_set_password
from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.integrity.reports import keyring, services
from qinqing.integrity.reports.models import KeyShare, Report, SupervisorKey
from qinqing.integrity.reports.workflow import State

from .conftest import PASSWORD, SECRET_TEXT, Desk

NEW_PASSWORD = "Xinmima#2027ab"


def triaged(report: Report, desk: Desk) -> Report:
    return services.report_act(
        actor=desk.lead, report_id=report.pk, action="triage", version=report.version
    )


def assigned(report: Report, desk: Desk, to: Any) -> Report:
    report = triaged(report, desk)
    return services.report_assign(
        actor=desk.lead, report_id=report.pk, supervisor=to, key=desk.key(desk.lead)
    )


def test_the_region_supervisors_can_open_a_new_report_for_triage(report_and_receipt, desk) -> None:
    report, _receipt = report_and_receipt
    opened = services.report_open(actor=desk.lead, report=report, key=desk.key(desk.lead))
    assert opened.content.body == SECRET_TEXT
    assert AuditEntry.objects.filter(action="report.open", object_id=str(report.pk)).exists()


def test_a_supervisor_outside_the_region_cannot_open(report_and_receipt, desk) -> None:
    report, _receipt = report_and_receipt
    with pytest.raises(NotPermitted):
        services.report_open(actor=desk.outsider, report=report, key=desk.key(desk.outsider))


def test_a_supervisor_cannot_use_another_supervisors_key(report_and_receipt, desk) -> None:
    report, _receipt = report_and_receipt
    with pytest.raises(NotPermitted):
        services.report_open(actor=desk.second, report=report, key=desk.key(desk.lead))


def test_after_assignment_only_the_assignee_can_open(report_and_receipt, desk) -> None:
    report, _receipt = report_and_receipt
    report = assigned(report, desk, desk.second)
    assert report.state == State.ASSIGNED
    assert services.report_open(actor=desk.second, report=report, key=desk.key(desk.second))
    with pytest.raises(NotPermitted):
        services.report_open(actor=desk.lead, report=report, key=desk.key(desk.lead))


def test_reassigning_reshares_and_unassigning_withdraws_the_key(report_and_receipt, desk) -> None:
    report, _receipt = report_and_receipt
    report = assigned(report, desk, desk.lead)
    services.report_assign(
        actor=desk.lead, report_id=report.pk, supervisor=desk.second, key=desk.key(desk.lead)
    )
    assert services.report_open(actor=desk.second, report=report, key=desk.key(desk.second))
    services.report_unassign(actor=desk.second, report_id=report.pk, supervisor=desk.lead)
    with pytest.raises(NotPermitted):
        services.report_open(actor=desk.lead, report=report, key=desk.key(desk.lead))
    assert not KeyShare.objects.filter(report=report, supervisor_key__user=desk.lead).exists()
    with pytest.raises(Conflict):
        services.report_unassign(actor=desk.second, report_id=report.pk, supervisor=desk.second)


def test_only_supervisors_of_the_region_can_be_assigned(report_and_receipt, desk) -> None:
    report, _receipt = report_and_receipt
    report = triaged(report, desk)
    with pytest.raises(ServiceError):
        services.report_assign(
            actor=desk.lead, report_id=report.pk, supervisor=desk.outsider, key=desk.key(desk.lead)
        )


def test_a_password_reset_gives_a_new_key_pair_that_opens_nothing(report_and_receipt, desk) -> None:
    report, _receipt = report_and_receipt
    report = assigned(report, desk, desk.second)
    user_set_password(actor=desk.second, user=desk.second, password=NEW_PASSWORD)
    renewed = keyring.unlock(user=desk.second, password=NEW_PASSWORD)
    assert renewed is not None and renewed.key_id != desk.key(desk.second).key_id
    assert SupervisorKey.objects.filter(user=desk.second, active=True).count() == 1
    with pytest.raises(NotPermitted):
        services.report_open(actor=desk.second, report=report, key=renewed)


def test_when_every_assignee_lost_access_the_recovery_key_restores_it(
    report_and_receipt, desk
) -> None:
    report, _receipt = report_and_receipt
    report = assigned(report, desk, desk.second)
    user_set_password(actor=desk.second, user=desk.second, password=NEW_PASSWORD)
    renewed = keyring.unlock(user=desk.second, password=NEW_PASSWORD)
    done = services.recover(
        actor=None,
        recovery_private=desk.recovery,
        supervisor=desk.second,
        reports=[report],
        reason="承办人密码被重置",
    )
    assert done == 1
    opened = services.report_open(actor=desk.second, report=report, key=renewed)
    assert opened.content.body == SECRET_TEXT
    assert AuditEntry.objects.filter(action="report.recover", object_id=str(report.pk)).exists()


def test_without_the_recovery_key_a_lost_report_stays_closed(report_and_receipt, desk) -> None:
    from qinqing.integrity.reports import crypto

    report, _receipt = report_and_receipt
    report = assigned(report, desk, desk.second)
    user_set_password(actor=desk.second, user=desk.second, password=NEW_PASSWORD)
    renewed = keyring.unlock(user=desk.second, password=NEW_PASSWORD)
    wrong, _public = crypto.new_key_pair()
    done = services.recover(
        actor=None,
        recovery_private=wrong,
        supervisor=desk.second,
        reports=[report],
        reason="试图恢复",
    )
    assert done == 0
    with pytest.raises(NotPermitted):
        services.report_open(actor=desk.second, report=report, key=renewed)


def test_recovery_is_refused_for_a_supervisor_not_assigned(report_and_receipt, desk) -> None:
    report, _receipt = report_and_receipt
    report = assigned(report, desk, desk.second)
    done = services.recover(
        actor=None,
        recovery_private=desk.recovery,
        supervisor=desk.lead,
        reports=[report],
        reason="x",
    )
    assert done == 0


def test_the_old_password_restores_the_retired_key(report_and_receipt, desk) -> None:
    report, _receipt = report_and_receipt
    report = assigned(report, desk, desk.second)
    user_set_password(actor=desk.second, user=desk.second, password=NEW_PASSWORD)
    renewed = keyring.unlock(user=desk.second, password=NEW_PASSWORD)
    assert renewed is not None
    moved = keyring.restore(user=desk.second, old_password=PASSWORD, current=renewed)
    assert moved >= 1
    assert services.report_open(actor=desk.second, report=report, key=renewed)


def test_the_named_reporters_identity_opens_only_with_a_reason_and_is_audited(world, desk) -> None:
    report, _receipt = services.report_submit(
        region=world.town,
        category="favours",
        title="吃拿卡要",
        body="检查时要求安排宴请",
        identity=services.Identity(name="李四", phone="13900001111"),
        protect_firm=world.firm_a,
    )
    report = assigned(report, desk, desk.second)
    opened = services.report_open(actor=desk.second, report=report, key=desk.key(desk.second))
    assert "李四" not in repr(opened)
    with pytest.raises(ServiceError):
        services.identity_open(
            actor=desk.second, report_id=report.pk, key=desk.key(desk.second), reason=""
        )
    with pytest.raises(NotPermitted):
        services.identity_open(
            actor=desk.lead,
            report_id=report.pk,
            key=desk.key(desk.lead),
            reason="核实举报人身份需要",
        )
    identity = services.identity_open(
        actor=desk.second, report_id=report.pk, key=desk.key(desk.second), reason="需要当面核实情况"
    )
    assert identity.name == "李四"
    entry = AuditEntry.objects.get(action="report.identity_open")
    assert entry.changes["reason"] == "需要当面核实情况"
    assert entry.actor_id == desk.second.pk


def test_login_unlocks_the_key_for_the_session_only(client, world, desk) -> None:
    response = client.post("/accounts/login/", {"username": "supervisor", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/reports/")
    assert keyring.COOKIE in page.cookies
    sealed = client.session[keyring.SESSION_FIELD]
    assert PASSWORD not in sealed
    # the session row alone (without the browser's cookie) opens nothing
    client.cookies.pop(keyring.COOKIE)
    assert "解锁" in client.get("/reports/").content.decode()
