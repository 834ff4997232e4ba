"""Workflow, deadlines, statistics facts, retaliation watch, notes, API and query counts."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI, deadline_after
from qinqing.demands.models import Demand, DemandEvent
from qinqing.integrity.reports import crypto, guard, selectors, services
from qinqing.integrity.reports.models import Report
from qinqing.integrity.reports.workflow import TRANSITIONS, State

from .conftest import Desk

MOMENT = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday


def investigating(world, desk: Desk, **kwargs) -> Report:
    report, _receipt = services.report_submit(
        region=world.town, category="bribery", title="t", body="b", now=MOMENT, **kwargs
    )
    report = services.report_act(actor=desk.lead, report_id=report.pk, action="triage", version=1)
    report = services.report_assign(
        actor=desk.lead, report_id=report.pk, supervisor=desk.lead, key=desk.key(desk.lead)
    )
    return services.report_act(
        actor=desk.lead, report_id=report.pk, action="start", version=report.version
    )


def test_every_transition_of_the_table_is_refused_to_a_supervisor_outside_the_region(
    world, desk
) -> None:
    report = investigating(world, desk)
    for (state, action), _ in TRANSITIONS.items():
        done = state == State.CONCLUDED
        Report.objects.filter(pk=report.pk).update(
            state=state,
            outcome="substantiated" if done else "",
            concluded_at=timezone.now() if done else None,
        )
        with pytest.raises((NotPermitted, ServiceError)):
            services.report_act(
                actor=desk.outsider, report_id=report.pk, action=action, version=report.version
            )


def test_closing_needs_a_second_supervisor(world, desk) -> None:
    report = investigating(world, desk)
    report = services.report_act(
        actor=desk.lead,
        report_id=report.pk,
        action="conclude",
        version=report.version,
        outcome="substantiated",
        serious=True,
    )
    assert report.state == State.CONCLUDED
    with pytest.raises(NotPermitted, match="另一名监督员"):
        services.report_act(
            actor=desk.lead, report_id=report.pk, action="close", version=report.version
        )
    closed = services.report_act(
        actor=desk.second, report_id=report.pk, action="close", version=report.version
    )
    assert closed.state == State.CLOSED and closed.closed_by == desk.second


def test_a_stale_version_is_a_conflict(world, desk) -> None:
    report = investigating(world, desk)
    with pytest.raises(Conflict):
        services.report_act(actor=desk.lead, report_id=report.pk, action="conclude", version=1)


def test_serious_only_for_substantiated(world, desk) -> None:
    report = investigating(world, desk)
    with pytest.raises(ServiceError):
        services.report_act(
            actor=desk.lead,
            report_id=report.pk,
            action="conclude",
            version=report.version,
            outcome="unsubstantiated",
            serious=True,
        )


def test_deadlines_are_counted_in_working_days_and_the_sweep_flags_overdue(world, desk) -> None:
    report, _receipt = services.report_submit(
        region=world.town, category="bribery", title="t", body="b", now=MOMENT
    )
    assert report.triage_due_at == deadline_after(MOMENT, 5)
    assert report.conclusion_due_at == deadline_after(MOMENT, 30)
    assert services.sweep_deadlines(now=report.triage_due_at - timedelta(minutes=1)) == 0
    assert services.sweep_deadlines(now=report.triage_due_at + timedelta(minutes=1)) == 1
    assert services.sweep_deadlines(now=report.triage_due_at + timedelta(minutes=2)) == 0
    listed = selectors.report_list(user=desk.lead, overdue=True)
    assert [r.pk for r in listed] == [report.pk]


def test_index_facts_count_received_substantiated_and_serious_by_region(world, desk) -> None:
    report = investigating(world, desk)
    services.report_act(
        actor=desk.lead,
        report_id=report.pk,
        action="conclude",
        version=report.version,
        outcome="substantiated",
        serious=True,
    )
    services.report_submit(
        region=world.other_town, category="other", title="t", body="b", now=MOMENT
    )
    today = timezone.localdate()
    facts = selectors.index_facts(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert sorted(facts) == sorted(
        [
            (world.town.path, "reports.received", 1.0),
            (world.other_town.path, "reports.received", 1.0),
        ]
    )
    concluded = selectors.index_facts(start=today, end=today + timedelta(days=1))
    assert (world.town.path, "reports.substantiated", 1.0) in concluded
    assert (world.town.path, "reports.serious_substantiated", 1.0) in concluded
    assert selectors.index_facts(start=date(2025, 1, 1), end=date(2025, 2, 1)) == []


def test_a_firm_facing_more_returned_demands_after_its_report_is_flagged(world, desk) -> None:
    from tests.factories import UserFactory  # noqa: F401  (factories import Django models)

    report, _receipt = services.report_submit(
        region=world.town,
        category="obstruction",
        title="t",
        body="b",
        identity=services.Identity(name="企业负责人"),
        protect_firm=world.firm_a,
        now=timezone.now() - timedelta(days=60),
    )
    demand = Demand.objects.filter(enterprise=world.firm_a).first()
    if demand is None:
        from qinqing.demands.services import demand_submit

        demand = demand_submit(
            actor=world.users["enterprise"],
            enterprise=world.firm_a,
            category=_category(),
            title="用地审批",
            description="申请加快审批",
        )
    for days in (50, 30, 10):
        DemandEvent.objects.create(
            demand=demand, action="return", created_at=timezone.now() - timedelta(days=days)
        )
    rows = selectors.retaliation_watch(user=desk.lead)
    assert [(w.report.pk, w.before, w.after, w.flagged) for w in rows] == [(report.pk, 0, 3, True)]
    assert selectors.retaliation_watch(user=desk.outsider) == []


def _category():
    from qinqing.demands.models import Category

    return Category.objects.get_or_create(code="land_test", defaults={"name": "用地"})[0]


def test_an_anonymous_report_cannot_ask_for_a_firm_to_be_watched(world, desk) -> None:
    with pytest.raises(ServiceError):
        services.report_submit(
            region=world.town, category="other", title="t", body="b", protect_firm=world.firm_a
        )


def test_observers_send_notes_that_their_regions_supervisors_read(world, desk) -> None:
    observer = world.users["observer"]
    note = services.note_submit(
        actor=observer,
        enterprise=world.firm_a,
        region=None,
        tone="positive",
        subject="检查规范",
        body="今天的消防检查很规范。",
    )
    assert note.region == world.grid_a
    assert list(selectors.notes_visible_to(desk.lead)) == [note]
    assert list(selectors.notes_visible_to(world.users["enterprise"])) == []
    with pytest.raises(NotPermitted):
        services.note_submit(
            actor=world.users["steward"],
            enterprise=None,
            region=world.town,
            tone="neutral",
            subject="x",
            body="y",
        )
    with pytest.raises(NotPermitted):
        services.note_submit(
            actor=observer,
            enterprise=world.firm_other,
            region=None,
            tone="neutral",
            subject="x",
            body="y",
        )


def test_the_supervisor_list_takes_a_fixed_number_of_queries(
    client, world, desk, django_assert_max_num_queries, password
) -> None:
    for _ in range(6):
        services.report_submit(region=world.town, category="other", title="t", body="b")
    client.force_login(desk.lead)
    with django_assert_max_num_queries(14):
        response = client.get("/reports/")
    assert response.status_code == 200
    assert response.content.decode().count('class="report-row"') == 6


def test_a_supervisor_of_another_region_cannot_reach_a_report_by_id(client, world, desk) -> None:
    report, _ = services.report_submit(region=world.town, category="other", title="t", body="b")
    client.force_login(desk.outsider)
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    client.force_login(world.users["steward"])
    assert client.get(f"/reports/{report.pk}/").status_code == 403


def test_the_api_submits_with_proof_of_work_and_reads_with_the_receipt(client, world, desk) -> None:
    c = client.get("/api/v1/reports/challenge").json()
    assert client.get("/api/v1/reports/challenge")["Cache-Control"].startswith("no-store")
    body = {
        "region_code": world.town.code,
        "category": "bribery",
        "title": "接口举报",
        "body": "通过接口提交的内容",
        "pow_challenge": c["challenge"],
        "pow_nonce": guard.solve(c["challenge"], c["bits"]),
    }
    made = client.post("/api/v1/reports/submit", body, content_type="application/json")
    assert made.status_code == 201
    receipt = made.json()["receipt"]
    again = client.post("/api/v1/reports/submit", body, content_type="application/json")
    assert again.status_code == 422
    read = client.post(
        "/api/v1/reports/receipt", {"receipt": receipt}, content_type="application/json"
    )
    assert read.status_code == 200 and read.json()["body"] == "通过接口提交的内容"
    wrong = client.post(
        "/api/v1/reports/receipt", {"receipt": "1" * 16}, content_type="application/json"
    )
    assert wrong.status_code == 404 and "body" not in wrong.json()


def test_the_api_opens_with_the_password_for_a_token_client(client, world, desk, password) -> None:
    report, _ = services.report_submit(
        region=world.town, category="other", title="t", body="机密内容"
    )
    from qinqing.accounts.services import token_issue

    _token, raw = token_issue(user=desk.lead)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    listed = client.get("/api/v1/reports", **auth)
    assert listed.status_code == 200 and listed.json()["count"] == 1
    locked = client.post(
        f"/api/v1/reports/{report.pk}/open", {}, content_type="application/json", **auth
    )
    assert locked.status_code == 403
    opened = client.post(
        f"/api/v1/reports/{report.pk}/open",
        {"password": password},
        content_type="application/json",
        **auth,
    )
    assert opened.status_code == 200 and opened.json()["body"] == "机密内容"
    _t, other = token_issue(user=desk.outsider)
    assert (
        client.get(f"/api/v1/reports/{report.pk}", HTTP_AUTHORIZATION=f"Bearer {other}").status_code
        == 404
    )


def test_the_recovery_commands_print_the_key_once_and_reshare(world, desk) -> None:
    out = io.StringIO()
    call_command("reports", "recovery-keygen", "--rotate", stdout=out)
    printed = out.getvalue().strip().splitlines()[-1]
    private = crypto.private_key_from_hex(printed)
    report = investigating(world, desk)
    from qinqing.integrity.reports.models import KeyShare

    KeyShare.objects.filter(report=report, holder="supervisor").delete()
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(printed + "\n")
    try:
        out = io.StringIO()
        call_command(
            "reports",
            "recover",
            "--to",
            desk.lead.username,
            "--reason",
            "承办人密钥丢失",
            stdout=out,
        )
    finally:
        sys.stdin = old
    assert "1" in out.getvalue()
    assert services.report_open(actor=desk.lead, report=report, key=desk.key(desk.lead))
    assert bytes(private.public_key) == bytes(services.recovery_key().public_key)  # type: ignore[union-attr]
