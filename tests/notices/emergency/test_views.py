"""The emergency pages and API: the phone form, scope by id, overview, need → demand."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from qinqing.accounts.services import token_issue
from qinqing.demands.models import Category
from qinqing.notices.emergency.models import StatusReport
from qinqing.notices.emergency.services import report_submit

from .conftest import answers, firm_user

pytestmark = pytest.mark.django_db


def _bearer(user) -> dict[str, str]:
    _token, raw = token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_firm_reports_through_the_form_and_sees_it_prefilled_next_time(
    client, world, epidemic
) -> None:
    client.force_login(world.users["enterprise"])
    url = f"/emergency/{epidemic.pk}/report/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "firm": world.firm_a.pk,
            "status": "partly",
            "staff_on_site": "25",
            "staff_absent": "15",
            "supply_0": "4",
            "supply_1": "",
            "need_text": "",
        },
    )
    assert response.status_code == 302
    report = StatusReport.objects.get()
    assert report.supplies == [{"item": "口罩", "days": 4}]
    again = client.get(url)
    assert again.context["form"].initial["staff_on_site"] == 25 and again.context["done"]


def test_a_firm_cannot_read_another_firms_report_by_id(client, world, epidemic) -> None:
    other = report_submit(
        actor=firm_user(world.firm_b), emergency=epidemic, enterprise=world.firm_b, **answers()
    )
    client.force_login(world.users["enterprise"])
    assert client.get(f"/emergency/reports/{other.pk}/").status_code == 404
    assert client.get(f"/emergency/{epidemic.pk}/report/?firm={world.firm_b.pk}").status_code == 404
    headers = _bearer(world.users["enterprise"])
    assert client.get(f"/api/v1/emergency/reports/{other.pk}", **headers).status_code == 404
    staff = _bearer(world.users["coordinator"])
    assert client.get(f"/api/v1/emergency/reports/{other.pk}", **staff).status_code == 200


def test_the_coordinator_sees_the_overview_chart_and_exports(client, world, epidemic) -> None:
    report_submit(
        actor=world.users["enterprise"], emergency=epidemic, enterprise=world.firm_a, **answers()
    )
    client.force_login(world.users["coordinator"])
    page = client.get(f"/emergency/{epidemic.pk}/").content.decode()
    assert "<svg" in page and "古林工业社区" in page
    sheet = load_workbook(io.BytesIO(client.get(f"/emergency/{epidemic.pk}/export/").content))
    rows = list(sheet.active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == world.firm_a.name
    api = client.get(
        f"/api/v1/emergency/emergencies/{epidemic.pk}/overview",
        **_bearer(world.users["coordinator"]),
    )
    assert api.status_code == 200 and api.json()["total"]["reported"] == 1


def test_a_need_becomes_a_demand_from_the_report_page(client, world, epidemic) -> None:
    category = Category.objects.get_or_create(code="supply", defaults={"name": "要素保障"})[0]
    report = report_submit(
        actor=world.users["enterprise"],
        emergency=epidemic,
        enterprise=world.firm_a,
        **answers(need_text="急需口罩", need_item="口罩", need_quantity=5000),
    )
    client.force_login(world.users["steward"])
    page = client.get(f"/emergency/reports/{report.pk}/").content.decode()
    assert "/matching/new/?side=request" in page and "need=" in page
    client.post(f"/emergency/reports/{report.pk}/demand/", {"category": category.pk})
    report.refresh_from_db()
    assert report.need_demand is not None and report.need_demand.enterprise == world.firm_a


def test_the_api_takes_a_report_and_a_second_one_edits_it(client, world, epidemic) -> None:
    headers = _bearer(world.users["enterprise"])
    body = {
        "enterprise_id": world.firm_a.pk,
        "status": "running",
        "staff_on_site": 40,
        "staff_absent": 0,
        "supplies": [{"item": "口罩", "days": 9}],
    }
    url = f"/api/v1/emergency/emergencies/{epidemic.pk}/reports"
    assert client.post(url, body, content_type="application/json", **headers).status_code == 200
    body["staff_on_site"] = 41
    second = client.post(url, body, content_type="application/json", **headers)
    assert second.status_code == 200 and StatusReport.objects.get().staff_on_site == 41
    body["enterprise_id"] = world.firm_b.pk
    refused = client.post(url, body, content_type="application/json", **headers)
    assert refused.status_code == 403
