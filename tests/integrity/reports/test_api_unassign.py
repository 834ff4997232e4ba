"""Taking a supervisor off a report through the API: the web's "取消分派"."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.integrity.reports import services
from qinqing.integrity.reports.models import Assignment, KeyShare

from .conftest import PASSWORD, Desk

pytestmark = pytest.mark.django_db


def token(client: Any, user: Any) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def two_assignees(report: Any, desk: Desk) -> Any:
    report = services.report_act(
        actor=desk.lead, report_id=report.pk, action="triage", version=report.version
    )
    for supervisor in (desk.lead, desk.second):
        report = services.report_assign(
            actor=desk.lead, report_id=report.pk, supervisor=supervisor, key=desk.key(desk.lead)
        )
    return report


def unassign(client: Any, report: Any, supervisor_id: int, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/reports/{report.pk}/unassign",
        {"supervisor_id": supervisor_id},
        content_type="application/json",
        **headers,
    )


def test_an_assignee_takes_another_off_and_the_key_goes_with_him(
    client, world, desk, report_and_receipt
) -> None:
    report = two_assignees(report_and_receipt[0], desk)
    response = unassign(client, report, desk.lead.pk, token(client, desk.second))
    assert response.status_code == 200, response.content
    assert list(Assignment.objects.filter(report=report).values_list("supervisor", flat=True)) == [
        desk.second.pk
    ]
    assert not KeyShare.objects.filter(report=report, supervisor_key__user=desk.lead).exists()
    last = unassign(client, report, desk.second.pk, token(client, desk.second))
    assert last.status_code == 409


def test_only_supervisors_of_the_region_may_and_others_get_404(
    client, world, desk, report_and_receipt
) -> None:
    report = two_assignees(report_and_receipt[0], desk)
    outsider = unassign(client, report, desk.lead.pk, token(client, desk.outsider))
    assert outsider.status_code == 404
    firm = unassign(client, report, desk.lead.pk, token(client, world.users["enterprise"]))
    assert firm.status_code == 403
    nobody = unassign(client, report, world.users["steward"].pk, token(client, desk.second))
    assert nobody.status_code == 404
    bad = unassign(client, report, "甲", token(client, desk.second))  # type: ignore[arg-type]
    assert bad.status_code == 422 and bad.json()["detail"] == "输入有误，请检查后重试。"
    assert Assignment.objects.filter(report=report).count() == 2
