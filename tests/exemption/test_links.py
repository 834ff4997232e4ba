"""Links to contact filings and investigations: the applicant's own filing only; an
investigation only when its assigned supervisor starts the application during it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from qinqing.common.errors import ServiceError
from qinqing.exemption import checks
from qinqing.exemption.models import Application, Origin
from qinqing.integrity import services as integrity
from qinqing.integrity.models import Filing
from qinqing.integrity.reports import keyring
from qinqing.integrity.reports import services as reports
from qinqing.integrity.reports.models import Report
from tests.conftest import PASSWORD

from .conftest import submit


@pytest.fixture(autouse=True)
def _cheap_report_keys(settings: Any) -> None:
    settings.REPORTS_KDF_PROFILE = "demo"


def file_contact(world, actor, firms) -> Filing:
    return integrity.filing_submit(
        actor=actor,
        timing="after",
        kind="meeting",
        contact_date=integrity.today() - timedelta(days=1),
        place="区政府会议室",
        place_kind="office",
        firms=firms,
        purpose="听取企业扩产用地诉求",
        payer="none",
    )


def investigation(world, supervisor, state: str = "investigating") -> Report:
    key = keyring.unlock(user=supervisor, password=PASSWORD)
    report, _receipt = reports.report_submit(
        region=world.other_town, category="abuse", title="t", body="b"
    )
    report = reports.report_act(actor=supervisor, report_id=report.pk, action="triage", version=1)
    report = reports.report_assign(
        actor=supervisor, report_id=report.pk, supervisor=supervisor, key=key
    )
    if state == "investigating":
        report = reports.report_act(
            actor=supervisor, report_id=report.pk, action="start", version=report.version
        )
    return report


def test_an_official_links_their_own_filing_and_its_firms_are_checked(world):
    official = world.users["official"]
    filing = file_contact(world, official, [world.firm_other, world.firm_b])
    a = submit(world, enterprise=None, link_kind="filing", link_id=filing.pk)
    assert a.link_label == filing.number
    assert sorted(checks.firms_concerned(a)) == sorted([world.firm_other.pk, world.firm_b.pk])


def test_someone_elses_filing_is_answered_as_not_found(world):
    colleague = world.users["coordinator"]
    filing = file_contact(world, colleague, [world.firm_a])
    with pytest.raises(ServiceError) as caught:
        submit(world, link_kind="filing", link_id=filing.pk)
    assert "link_id" in caught.value.field_errors
    assert not Application.objects.exists()


def test_the_assigned_supervisor_starts_an_application_linked_to_the_investigation(world):
    supervisor, official = world.users["supervisor"], world.users["official"]
    report = investigation(world, supervisor)
    a = submit(
        world, actor=supervisor, applicant=official, link_kind="investigation", link_id=report.pk
    )
    assert a.origin == Origin.INVESTIGATION and a.link_label == report.number


def test_an_official_cannot_link_an_investigation_to_their_own_application(world):
    report = investigation(world, world.users["supervisor"])
    with pytest.raises(ServiceError) as caught:
        submit(world, link_kind="investigation", link_id=report.pk)
    assert "link_id" in caught.value.field_errors


def test_a_supervisor_not_assigned_to_the_investigation_cannot_link_it(world, second):
    report = investigation(world, world.users["supervisor"])
    with pytest.raises(ServiceError):
        submit(
            world,
            actor=second,
            applicant=world.users["official"],
            link_kind="investigation",
            link_id=report.pk,
        )


def test_a_closed_investigation_cannot_be_linked(world, second):
    supervisor = world.users["supervisor"]
    report = investigation(world, supervisor)
    report = reports.report_act(
        actor=supervisor,
        report_id=report.pk,
        action="conclude",
        version=report.version,
        outcome="unsubstantiated",
    )
    reports.report_act(actor=second, report_id=report.pk, action="close", version=report.version)
    with pytest.raises(ServiceError):
        submit(
            world,
            actor=supervisor,
            applicant=world.users["official"],
            link_kind="investigation",
            link_id=report.pk,
        )


def test_the_report_page_offers_its_assignee_to_start_an_application(client, world, second):
    supervisor, official = world.users["supervisor"], world.users["official"]
    report = investigation(world, supervisor)
    client.force_login(second)
    assert 'id="start-exemption"' not in client.get(f"/reports/{report.pk}/").content.decode()
    client.force_login(supervisor)
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert f"/exemption/new/?link_kind=investigation&amp;link_id={report.pk}" in page
    form = client.get(f"/exemption/new/?link_kind=investigation&link_id={report.pk}")
    body = form.content.decode()
    assert 'value="investigation" selected' in body and f'value="{report.pk}"' in body
    made = client.post(
        "/exemption/new/",
        {
            "applicant": official.pk,
            "matter": "调查中发现的先行审批",
            "actions": "为保企业项目按期开工，在消防审查意见未出具前先行核发施工许可。",
            "rules_at_time": "《建筑工程施工许可管理办法》第八条",
            "outcome_harm": "延误两个月，未造成安全事故。",
            "link_kind": "investigation",
            "link_id": report.pk,
        },
    )
    assert made.status_code == 302
    a = Application.objects.get()
    assert a.applicant == official and a.origin == Origin.INVESTIGATION
    assert a.link_kind == "investigation" and a.link_label == report.number


def test_the_filing_page_offers_its_filer_to_apply(client, world):
    official = world.users["official"]
    filing = file_contact(world, official, [world.firm_other])
    client.force_login(official)
    page = client.get(f"/integrity/filings/{filing.pk}/").content.decode()
    assert f"/exemption/new/?link_kind=filing&amp;link_id={filing.pk}" in page
