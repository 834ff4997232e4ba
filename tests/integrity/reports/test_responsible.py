"""Who was found responsible: recorded in clear by the concluding supervisor (audited),
only with a substantiated finding and only among the staff of their region; read back by
``substantiated_reports_against`` as metadata with no content."""

from __future__ import annotations

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import ServiceError
from qinqing.integrity.reports import selectors, services
from qinqing.integrity.reports.models import Report, Responsible

from .conftest import SECRET_TEXT, Desk
from .test_workflow import investigating


def conclude(world, desk: Desk, report: Report, outcome: str = "substantiated", **kw) -> Report:
    return services.report_act(
        actor=desk.lead,
        report_id=report.pk,
        action="conclude",
        version=report.version,
        outcome=outcome,
        **kw,
    )


def test_a_substantiated_finding_records_the_official_found_responsible_and_audits_it(
    world, desk
) -> None:
    official = world.users["official"]
    report = conclude(
        world, desk, investigating(world, desk), serious=True, responsible_ids=[official.pk]
    )
    assert list(report.responsible.all()) == [official]
    link = Responsible.objects.get(report=report)
    assert link.recorded_by == desk.lead
    entry = AuditEntry.objects.get(action="report.responsible", object_id=str(report.pk))
    assert entry.changes["users"] == [official.pk]


def test_naming_someone_with_a_finding_other_than_substantiated_is_refused(world, desk) -> None:
    report = investigating(world, desk)
    with pytest.raises(ServiceError) as caught:
        conclude(
            world,
            desk,
            report,
            outcome="unsubstantiated",
            responsible_ids=[world.users["official"].pk],
        )
    assert "responsible" in caught.value.field_errors
    report.refresh_from_db()
    assert report.state == "investigating" and not Responsible.objects.exists()


@pytest.mark.parametrize("role", ["enterprise", "observer", "system_admin"])
def test_only_working_staff_of_the_supervisors_region_can_be_named(world, desk, role) -> None:
    report = investigating(world, desk)
    with pytest.raises(ServiceError):
        conclude(world, desk, report, responsible_ids=[world.users[role].pk])
    assert not Responsible.objects.exists()


def test_an_official_outside_the_supervisors_region_is_not_a_candidate(world, desk) -> None:
    # the outsider supervises 高桥镇 only: the handler of 高桥镇税务所 is theirs, the
    # coordinator of 古林镇 is not
    candidates = set(selectors.responsible_candidates(desk.outsider))
    assert world.users["handler"] in candidates and world.users["official"] in candidates
    assert world.users["coordinator"] not in candidates
    assert world.users["enterprise"] not in candidates


def test_sending_the_finding_back_removes_the_names(world, desk) -> None:
    report = conclude(
        world, desk, investigating(world, desk), responsible_ids=[world.users["official"].pk]
    )
    services.report_act(
        actor=desk.second, report_id=report.pk, action="reopen", version=report.version
    )
    assert not Responsible.objects.filter(report=report).exists()
    assert selectors.substantiated_reports_against(user=world.users["official"]) == []


def test_prior_substantiated_reports_are_metadata_only(
    world, desk, django_assert_max_num_queries
) -> None:
    official = world.users["official"]
    named = conclude(
        world,
        desk,
        investigating(world, desk, accused_people="王科长"),
        serious=True,
        responsible_ids=[official.pk],
    )
    conclude(world, desk, investigating(world, desk), responsible_ids=[])  # names no one
    conclude(world, desk, investigating(world, desk), outcome="false")
    with django_assert_max_num_queries(1):
        rows = selectors.substantiated_reports_against(user=official)
    assert [r.number for r in rows] == [named.number]
    row = rows[0]
    assert row.serious and not row.reviewed and row.region == world.town.name
    text = row.describe()
    assert named.number in text and "情节严重" in text
    assert SECRET_TEXT not in text and "王科长" not in text
    services.report_act(
        actor=desk.second, report_id=named.pk, action="close", version=named.version
    )
    assert selectors.substantiated_reports_against(user=official)[0].reviewed
    assert selectors.substantiated_reports_against(user=world.users["handler"]) == []


def test_the_conclude_form_asks_for_an_explicit_confirmation(client, world, desk) -> None:
    report = investigating(world, desk)
    client.force_login(desk.lead)
    data = {
        "action": "conclude",
        "version": report.version,
        "outcome": "substantiated",
        "responsible": [world.users["official"].pk],
    }
    refused = client.post(f"/reports/{report.pk}/act/", data)
    assert refused.status_code == 422 and "认定责任人须勾选确认" in refused.content.decode()
    assert Report.objects.get(pk=report.pk).state == "investigating"
    done = client.post(f"/reports/{report.pk}/act/", {**data, "confirm_responsible": "on"})
    assert done.status_code == 302
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert 'id="responsible"' in page and str(world.users["official"]) in page


def test_the_api_records_and_shows_the_people_found_responsible(client, world, desk) -> None:
    from qinqing.accounts.services import token_issue

    report = investigating(world, desk)
    _token, raw = token_issue(user=desk.lead)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    official = world.users["official"]
    bad = client.post(
        f"/api/v1/reports/{report.pk}/actions",
        {
            "action": "conclude",
            "version": report.version,
            "outcome": "substantiated",
            "responsible_ids": [world.users["enterprise"].pk],
        },
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    ok = client.post(
        f"/api/v1/reports/{report.pk}/actions",
        {
            "action": "conclude",
            "version": report.version,
            "outcome": "substantiated",
            "responsible_ids": [official.pk],
        },
        content_type="application/json",
        **auth,
    )
    assert ok.status_code == 200
    detail = client.get(f"/api/v1/reports/{report.pk}", **auth).json()
    assert detail["responsible"] == [{"id": official.pk, "name": official.display_name}]
