"""Misconduct reports under hostile input (issue 14): refused actions answer a page, not a 500
(L2); an anonymous report keeps no request id a client sent (M6)."""

from __future__ import annotations

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.integrity.reports.models import Report

from .conftest import Desk
from .test_public import submit
from .test_workflow import investigating


@pytest.mark.parametrize(
    ("action", "version"),
    [
        ("triage", None),  # not from "investigating"
        ("start", None),
        ("reopen", None),  # only the second supervisor, after a conclusion
        ("close", None),
        ("fly", None),  # no such action
        ("start", 99),  # a stale version
    ],
)
def test_every_refused_action_answers_a_page_with_the_reason_not_a_500(
    client, world, desk: Desk, action: str, version: int | None
) -> None:
    report = investigating(world, desk)
    client.force_login(desk.lead)

    response = client.post(
        f"/reports/{report.pk}/act/",
        {"action": action, "version": version or report.version},
    )

    assert 400 <= response.status_code < 500
    assert Report.objects.get(pk=report.pk).state == "investigating"


def test_an_anonymous_report_keeps_no_request_id_the_client_sent(client, world, desk) -> None:
    client.defaults["HTTP_X_REQUEST_ID"] = "tracking-handle-of-the-reporter"
    submit(client, world)

    report = Report.objects.get()
    entries = AuditEntry.objects.filter(object_type="reports.report", object_id=str(report.pk))
    assert entries.exists()
    assert set(entries.values_list("request_id", flat=True)) == {""}
    assert not AuditEntry.objects.filter(request_id="tracking-handle-of-the-reporter").exists()
