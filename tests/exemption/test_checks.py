"""The automatic checks inform the assessor: a planted path in the conflict graph is found,
a conduct-list item the facts touch is named, and a colleague linked to the firm may not judge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qinqing.common.errors import NotPermitted
from qinqing.exemption import checks, services
from qinqing.exemption.models import Application
from qinqing.integrity.models import ConductItem
from qinqing.integrity.relations.services import person_create, relation_create

from .conftest import submit


def _plant(world, official, firm):
    """official → spouse → 30 % shareholder of ``firm``."""
    supervisor = world.users["supervisor"]
    me = person_create(actor=supervisor, name=str(official), gender="m", user=official)
    wife = person_create(actor=supervisor, name="周某某", gender="f")
    relation_create(actor=supervisor, from_person_id=me.pk, kind="spouse", to_person_id=wife.pk)
    relation_create(
        actor=supervisor,
        from_person_id=wife.pk,
        kind="shareholder",
        enterprise_id=firm.pk,
        percentage=Decimal("30"),
    )


def test_a_planted_path_from_the_applicant_to_the_firm_is_found(world):
    _plant(world, world.users["official"], world.firm_other)
    a = submit(world, enterprise=world.firm_other)
    result = checks.conflict_check(a)
    assert result.available
    assert len(result.findings) == 1 and world.firm_other.name in result.findings[0]
    assert "周某某" in result.findings[0]


def test_without_a_path_the_check_is_available_and_empty(world):
    a = submit(world, enterprise=world.firm_other)
    result = checks.conflict_check(a)
    assert result.available and result.findings == []


def test_without_a_firm_the_check_says_it_could_not_look(world):
    a = submit(world, enterprise=None)
    result = checks.conflict_check(a)
    assert result.available and result.findings == [] and result.note


def test_a_supervisor_linked_to_the_firm_may_not_accept(world, second):
    _plant(world, second, world.firm_other)
    a = submit(world, enterprise=world.firm_other)
    assert services.conflicted(second, a)
    with pytest.raises(NotPermitted):
        services.application_accept(actor=second, application_id=a.pk, version=a.version)


def test_the_conduct_items_the_facts_touch_are_named(world):
    ConductItem.objects.create(
        code="N-3",
        list_kind="official_negative",
        subject="official",
        polarity="negative",
        title="接受企业宴请",
        text="杜绝接受企业安排的宴请、旅游、健身、娱乐等活动。",
        source="宁波市亲清政商关系正负面清单",
        effective_from=dt.date(2019, 1, 1),
    )
    ConductItem.objects.create(
        code="N-4",
        list_kind="official_negative",
        subject="official",
        polarity="negative",
        title="在企业报销费用",
        text="杜绝在企业报销应由个人支付的费用。",
        source="宁波市亲清政商关系正负面清单",
        effective_from=dt.date(2019, 1, 1),
    )
    a = submit(world, actions="项目推进会后接受企业宴请一次，席间商定提前核发许可。")
    result = checks.conduct_items_check(a)
    assert result.available
    assert [f.split()[0] for f in result.findings] == ["N-3"]


def test_without_prior_findings_the_reports_check_finds_nothing(world):
    a = submit(world)
    result = checks.prior_reports_check(a)
    assert result.available and result.findings == []


def test_a_report_concluded_substantiated_naming_the_official_shows_in_the_assessment(
    client, world, settings
):
    """End to end through the pages: the investigator concludes "substantiated" naming the
    official; when the official later applies, the assessor sees that finding (number,
    date, region, serious) and nothing of the report's content."""
    from qinqing.integrity.reports import keyring
    from qinqing.integrity.reports import services as reports

    settings.REPORTS_KDF_PROFILE = "demo"
    lead, official = world.users["supervisor"], world.users["official"]
    key = keyring.unlock(user=lead, password="Qinqing#2026")
    report, _receipt = reports.report_submit(
        region=world.other_town,
        category="favours",
        title="验收时吃拿卡要",
        body="验收时要求企业安排宴请并报销费用",
        accused_people=str(official),
    )
    report = reports.report_act(actor=lead, report_id=report.pk, action="triage", version=1)
    report = reports.report_assign(actor=lead, report_id=report.pk, supervisor=lead, key=key)
    report = reports.report_act(
        actor=lead, report_id=report.pk, action="start", version=report.version
    )
    client.force_login(lead)
    concluded = client.post(
        f"/reports/{report.pk}/act/",
        {
            "action": "conclude",
            "version": report.version,
            "outcome": "substantiated",
            "serious": "on",
            "responsible": [official.pk],
            "confirm_responsible": "on",
        },
    )
    assert concluded.status_code == 302

    client.force_login(official)
    applied = client.post(
        "/exemption/new/",
        {
            "matter": "提前核发施工许可",
            "actions": "为保企业项目按期开工，在消防审查意见未出具前先行核发施工许可。",
            "rules_at_time": "《建筑工程施工许可管理办法》第八条",
            "outcome_harm": "后因消防整改延误两个月，未造成安全事故。",
        },
    )
    assert applied.status_code == 302
    application = Application.objects.get(applicant=official)
    services.application_accept(actor=lead, application_id=application.pk, version=1)

    client.force_login(lead)
    page = client.get(f"/exemption/{application.pk}/").content.decode()
    checks_section = page[page.index('id="checks"') :]
    assert report.number in checks_section and "情节严重" in checks_section
    assert "宴请并报销" not in page
