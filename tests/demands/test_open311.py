"""Open311 GeoReport v2 at /open311/v2/: the spec's shapes, and nothing private in public."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from qinqing.accounts.services import token_issue
from qinqing.demands.models import Category, Demand, RoutingRule
from qinqing.demands.services import demand_act, demand_submit

from ..conftest import World

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


@pytest.fixture
def routed(world: World) -> Category:
    tax = Category.objects.get(code="tax")
    RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    return tax


@pytest.fixture
def api_key(world: World) -> str:
    _token, raw = token_issue(user=world.users["enterprise"])
    return raw


def submit(world: World, **kwargs: Any) -> Demand:
    values: dict[str, Any] = {
        "actor": world.users["enterprise"],
        "enterprise": world.firm_a,
        "category": Category.objects.get(code="tax"),
        "title": "出口退税迟迟未到账",
        "description": "三月申报的出口退税至今未到账，影响资金周转。",
    }
    values.update(kwargs)
    return demand_submit(**values)


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def spec_error(response: Any, status: int) -> str:
    """The description of a spec-format error, in either format."""
    assert response.status_code == status, response.content
    if response["Content-Type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == str(status)
        return root.findtext("error/description") or ""
    body = json.loads(response.content)
    assert body[0]["code"] == status
    return body[0]["description"]


def post(client: Any, fmt: str, **data: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data)


# --- services -------------------------------------------------------------------------------
def test_the_services_are_the_active_categories_in_json(client, db) -> None:
    response = client.get(f"{BASE}/services.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = json.loads(response.content)
    tax = next(s for s in services if s["service_code"] == "tax")
    assert tax["service_name"] == "税费"
    assert (tax["metadata"], tax["type"], tax["group"]) == (False, "realtime", "税费")
    assert "5个工作日" in tax["description"]
    power = next(s for s in services if s["service_code"] == "permit-power")
    assert power["group"] == "审批许可"
    assert "审批许可" in power["keywords"]


def test_an_inactive_category_is_not_offered(client, db) -> None:
    Category.objects.filter(code="finance").update(active=False)
    codes = {s["service_code"] for s in json.loads(client.get(f"{BASE}/services.json").content)}
    assert "tax" in codes
    assert "finance" not in codes


def test_the_services_parse_as_xml(client, db) -> None:
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    names = [s.findtext("service_name") for s in root.findall("service")]
    assert "税费" in names
    tax = next(s for s in root.findall("service") if s.findtext("service_code") == "tax")
    assert tax.findtext("metadata") == "false"
    assert tax.findtext("type") == "realtime"


def test_a_service_definition_names_the_uscc_attribute(client, db) -> None:
    body = json.loads(client.get(f"{BASE}/services/tax.json").content)
    assert body["service_code"] == "tax"
    assert [a["code"] for a in body["attributes"]] == ["uscc"]
    root = xml(client.get(f"{BASE}/services/tax.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "uscc"
    assert root.findtext("attributes/attribute/datatype") == "string"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_definition_is_a_404_spec_error(client, db, fmt) -> None:
    assert "nowhere" in spec_error(client.get(f"{BASE}/services/nowhere.{fmt}"), 404)


def test_the_discovery_document_points_at_this_endpoint(client, db) -> None:
    body = json.loads(client.get(f"{BASE}/discovery.json").content)
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.findtext("endpoints/endpoint/formats/format") == "text/xml"


# --- creating requests ----------------------------------------------------------------------
def test_a_post_with_a_valid_api_key_creates_a_demand_that_reads_back_open(
    client, world, routed, api_key
) -> None:
    response = post(
        client,
        "json",
        api_key=api_key,
        service_code="tax",
        account_id=world.firm_a.uscc,
        description="出口退税迟迟未到账\n三月申报至今未到账。",
        first_name="张",
        phone="13900000000",
    )
    assert response.status_code == 201, response.content
    created = json.loads(response.content)
    number = created[0]["service_request_id"]
    assert created[0]["account_id"] == world.firm_a.uscc
    assert "工作日" in created[0]["service_notice"]
    demand = Demand.objects.get(number=number)
    assert (demand.channel, demand.title) == ("open311", "出口退税迟迟未到账")
    assert demand.enterprise == world.firm_a

    read = json.loads(client.get(f"{BASE}/requests/{number}.json").content)
    assert len(read) == 1
    assert read[0]["service_request_id"] == number
    assert read[0]["status"] == "open"
    assert read[0]["service_code"] == "tax"
    assert read[0]["expected_datetime"].endswith("+08:00")
    assert read[0]["requested_datetime"].endswith("+08:00")
    assert read[0]["agency_responsible"] == "海曙区市场监督管理局"
    assert read[0]["address"] == "古林镇"


def test_the_round_trip_works_in_xml_with_the_uscc_attribute(
    client, world, routed, api_key
) -> None:
    response = post(
        client,
        "xml",
        api_key=api_key,
        service_code="tax",
        **{"attribute[uscc]": world.firm_a.uscc.lower()},
        description="增值税发票额度不够用，申请增加。",
    )
    assert response.status_code == 201
    number = xml(response).findtext("request/service_request_id")
    assert number and number.startswith("SQ-")
    request = xml(client.get(f"{BASE}/requests/{number}.xml")).find("request")
    assert request is not None
    assert request.findtext("status") == "open"
    assert (request.findtext("expected_datetime") or "").endswith("+08:00")
    assert request.find("lat") is None
    assert request.find("long") is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("key", [None, "", "not-a-token"])
def test_a_missing_or_invalid_api_key_is_a_403_spec_error(client, world, fmt, key) -> None:
    data = {"service_code": "tax", "account_id": world.firm_a.uscc, "description": "退税未到账。"}
    if key is not None:
        data["api_key"] = key
    assert "api_key" in spec_error(post(client, fmt, **data), 403)
    assert not Demand.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_code_is_a_404_and_a_missing_one_a_400(
    client, world, api_key, fmt
) -> None:
    data = {"api_key": api_key, "account_id": world.firm_a.uscc, "description": "退税未到账。"}
    assert "nowhere" in spec_error(post(client, fmt, service_code="nowhere", **data), 404)
    assert "service_code" in spec_error(post(client, fmt, **data), 400)


def test_a_key_cannot_submit_for_a_firm_it_does_not_serve(client, world, api_key) -> None:
    response = post(
        client,
        "json",
        api_key=api_key,
        service_code="tax",
        account_id=world.firm_b.uscc,
        description="出口退税迟迟未到账。",
    )
    spec_error(response, 403)
    assert not Demand.objects.exists()


def test_the_firm_must_be_named_by_a_valid_uscc(client, world, api_key) -> None:
    data = {"api_key": api_key, "service_code": "tax", "description": "出口退税迟迟未到账。"}
    assert "account_id" in spec_error(post(client, "json", **data), 400)
    assert "18位" in spec_error(post(client, "json", account_id="91330203", **data), 400)


def test_a_too_short_description_is_a_400(client, world, api_key) -> None:
    response = post(
        client,
        "json",
        api_key=api_key,
        service_code="tax",
        account_id=world.firm_a.uscc,
        description="退税",
    )
    spec_error(response, 400)


def test_an_unsupported_method_is_refused_in_the_spec_format(client, db) -> None:
    response = client.post(f"{BASE}/services.json")
    assert spec_error(response, 405)
    assert response["Allow"] == "GET"


# --- listing requests -----------------------------------------------------------------------
def test_the_list_filters_by_status(client, world, routed) -> None:
    still_open = submit(world)
    withdrawn = submit(world, title="撤回的诉求")
    demand_act(
        actor=world.users["enterprise"], demand_id=withdrawn.pk, action="withdraw", version=1
    )

    def listed(**params: Any) -> list[tuple[str, str]]:
        response = client.get(f"{BASE}/requests.json", params)
        return [(r["service_request_id"], r["status"]) for r in json.loads(response.content)]

    assert listed(status="open") == [(still_open.number, "open")]
    assert listed(status="closed") == [(withdrawn.number, "closed")]
    assert set(listed(status="open,closed")) == set(listed())
    assert len(listed()) == 2
    assert listed(service_code="market") == []
    spec_error(client.get(f"{BASE}/requests.json", {"status": "pending"}), 400)


def test_the_list_defaults_to_90_days_and_filters_by_date(client, world, routed) -> None:
    now = timezone.now()
    old = submit(world, submitted_at=now - timedelta(days=200))
    recent = submit(world, submitted_at=now - timedelta(days=10))

    def listed(**params: Any) -> list[str]:
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in json.loads(response.content)]

    assert listed() == [recent.number]
    window = {
        "start_date": (now - timedelta(days=210)).isoformat(),
        "end_date": (now - timedelta(days=190)).isoformat(),
    }
    assert listed(**window) == [old.number]
    assert listed(start_date="2000-01-01T00:00:00Z", end_date="2000-02-01T00:00:00Z") == []
    # a service_request_id list overrides the date window
    assert set(listed(service_request_id=f"{old.number},{recent.number}")) == {
        old.number,
        recent.number,
    }
    too_wide = client.get(
        f"{BASE}/requests.json",
        {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
    )
    assert "90" in spec_error(too_wide, 400)
    spec_error(client.get(f"{BASE}/requests.xml", {"start_date": "yesterday"}), 400)


def test_an_unencoded_plus_in_a_date_is_understood(client, world, routed) -> None:
    recent = submit(world)
    start = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    response = client.get(f"{BASE}/requests.json?start_date={start}")
    assert response.status_code == 200, response.content
    assert [r["service_request_id"] for r in json.loads(response.content)] == [recent.number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_is_a_404_spec_error(client, db, fmt) -> None:
    spec_error(client.get(f"{BASE}/requests/SQ-2026-999999.{fmt}"), 404)


# --- privacy --------------------------------------------------------------------------------
def test_no_personal_or_business_data_appears_in_public_responses(
    client, world, routed, api_key
) -> None:
    firm = world.firm_a
    firm.legal_representative = "欧阳娜娜"
    firm.save()
    secret = "我司核心配方泄露嫌疑，涉及客户名单"
    demand = submit(world, title="商业秘密被侵犯", description=f"{secret}，请协助。")
    demand_act(
        actor=world.users["coordinator"],
        demand_id=submit(world, category=Category.objects.get(code="land")).pk,
        action="dispatch",
        version=1,
        department_id=world.department.pk,
    )
    forbidden = [
        firm.name,
        firm.uscc,
        firm.contact_phone,
        "欧阳娜娜",
        firm.address,
        "商业秘密被侵犯",
        secret,
        world.users["enterprise"].display_name,
        world.grid_a.name,
    ]
    urls = [
        f"{BASE}/requests.json",
        f"{BASE}/requests.xml",
        f"{BASE}/requests/{demand.number}.json",
        f"{BASE}/requests/{demand.number}.xml",
        f"{BASE}/services.json",
        f"{BASE}/services.xml",
        f"{BASE}/services/tax.xml",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for value in forbidden:
            assert value not in text, (url, value)
    published = json.loads(client.get(f"{BASE}/requests/{demand.number}.json").content)[0]
    assert published["address"] == "古林镇"
    assert published["zipcode"] == ""
    assert published["description"] not in ("", demand.description)
    assert set(published) == {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "zipcode",
    }
