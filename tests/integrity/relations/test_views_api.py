"""Pages, API and import: scoped to the reader, errors by Excel row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qinqing.accounts.models import ApiToken
from qinqing.common.spreadsheet import xlsx_bytes
from qinqing.integrity.relations.importexport import COLUMNS, relations_import
from qinqing.integrity.relations.models import ConflictAlert, FirmRelation, MatchCandidate, Person
from qinqing.integrity.relations.services import own_person

from ...conftest import World
from .conftest import Family


def bearer(user: Any) -> dict[str, str]:
    raw = "t-" + user.username + "-0123456789abcdef"
    ApiToken.objects.create(
        user=user,
        digest=ApiToken.hash(raw),
        prefix=raw[:8],
        name="test",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_the_supervisor_sees_the_path_on_the_person_page(client: Any, family: Family) -> None:
    from qinqing.directory.models import Pairing

    Pairing.objects.create(
        official=family.cases.handler, enterprise=family.cases.world.firm_a, started_on="2026-01-01"
    )
    client.force_login(family.supervisor)
    page = client.get(f"/relations/people/{family.official.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "赵敏 —女儿→ 赵小敏 —丈夫→ 王强 —持股30%→ 宁波甲模具有限公司" in text
    assert "<svg" in text and "王强" in text


def test_an_official_cannot_open_another_persons_page(client: Any, family: Family) -> None:
    client.force_login(family.cases.world.users["official"])
    assert client.get(f"/relations/people/{family.son_in_law.pk}/").status_code == 404
    client.force_login(family.cases.world.users["enterprise"])
    assert client.get("/relations/").status_code == 403


def test_an_official_declares_a_relative_on_the_page(client: Any, world: World) -> None:
    official = world.users["official"]
    client.force_login(official)
    me = own_person(actor=official)
    bad = client.post(
        f"/relations/people/{me.pk}/relatives/",
        {"kind": "spouse", "name": "王芳", "id_number": "330203198001011232"},
    )
    assert bad.status_code == 422
    assert "王芳" in bad.content.decode()  # input kept
    assert not Person.objects.filter(name="王芳").exists()
    ok = client.post(f"/relations/people/{me.pk}/relatives/", {"kind": "spouse", "name": "王芳"})
    assert ok.status_code == 302
    assert Person.objects.filter(name="王芳", created_by=official).exists()


def test_the_alert_page_lets_the_official_override_with_a_reason(
    client: Any, family: Family
) -> None:
    import pytest

    from qinqing.demands.services import demand_act
    from qinqing.integrity.relations.services import ConflictOfInterest

    demand = family.cases.submit()
    with pytest.raises(ConflictOfInterest):
        demand_act(actor=family.cases.handler, demand_id=demand.pk, action="accept", version=None)
    alert = ConflictAlert.objects.get()
    client.force_login(family.cases.handler)
    empty = client.post(f"/relations/alerts/{alert.pk}/", {"decision": "override", "reason": ""})
    assert empty.status_code == 422
    client.post(f"/relations/alerts/{alert.pk}/", {"decision": "override", "reason": "已报批"})
    alert.refresh_from_db()
    assert alert.state == "overridden"
    client.force_login(family.cases.other_handler)
    assert client.get(f"/relations/alerts/{alert.pk}/").status_code == 404
    client.force_login(family.supervisor)
    listing = client.get("/relations/alerts/")
    assert "王强" in listing.content.decode()
    export = client.get("/relations/alerts/?format=xlsx")
    assert export.status_code == 200


def test_the_api_lists_alerts_and_searches_paths(client: Any, family: Family) -> None:
    headers = bearer(family.supervisor)
    response = client.post(
        "/api/v1/relations/search",
        {"user_id": family.cases.handler.pk, "enterprise_ids": [family.cases.world.firm_a.pk]},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    assert response.json()[0]["length"] == 3
    other = bearer(family.cases.world.users["official"])
    assert (
        client.get(f"/api/v1/relations/people/{family.son_in_law.pk}", **other).status_code == 404
    )
    assert (
        client.post(
            "/api/v1/relations/search",
            {"user_id": family.cases.handler.pk},
            content_type="application/json",
            **other,
        ).status_code
        == 403
    )


def test_the_import_reports_bad_rows_by_excel_row_and_creates_candidates(
    family: Family, world: World
) -> None:
    rows = [
        ["子女的配偶", "", "赵敏", "", "王強", "", "", "", "", "2019-05-01", ""],  # row 2
        ["持股", "", "王強", "", "", "", world.firm_b.uscc, "25", "", "", ""],  # row 3
        ["持股", "", "王強", "", "", "", "91330203MA2AAAAAA0", "25", "", "", ""],  # row 4: no firm
        ["表亲", "", "王強", "", "李四", "", "", "", "", "", ""],  # row 5: unknown kind
        ["配偶", "", "李四", "330203198001011232", "张三", "", "", "", "", "", ""],  # row 6: bad ID
        ["持股", "", "王強", "", "", "", world.firm_b.uscc, "300", "", "", ""],  # row 7: pct
    ]
    upload = SimpleUploadedFile("family.xlsx", xlsx_bytes("关系", COLUMNS, rows))
    result = relations_import(actor=family.supervisor, upload=upload)
    assert result.report.created == 2
    assert result.report.failed_rows() == [4, 5, 6, 7]
    assert FirmRelation.objects.filter(enterprise=world.firm_b, person__name="王強").exists()
    assert MatchCandidate.objects.filter(state="pending").exists()  # 赵敏, 王強 vs known rows
    assert not Person.objects.filter(name="张三").exists()


def test_an_official_sees_relatives_recorded_by_a_supervisor_without_dead_links(
    client: Any, family: Family
) -> None:
    import re

    client.force_login(family.cases.handler)
    page = client.get(f"/relations/people/{family.official.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and family.daughter.name in text
    assert f"/relations/people/{family.daughter.pk}/" not in text
    for href in set(re.findall(r'href="(/relations/people/\d+/)"', text)):
        assert client.get(href).status_code == 200, href
