"""The demands API under /api/v1/demands: scoped like the pages, versioned writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import role_grant, token_issue
from qinqing.demands.models import Category, Demand, RoutingRule
from qinqing.demands.services import demand_act, demand_submit
from qinqing.directory.models import Department

from ..conftest import World
from ..factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

CONFLICT = "该诉求已被他人处理，请刷新后重试。"


@dataclass
class Desk:
    world: World
    tax: Category
    lead: Department
    lead_handler: User

    def auth(self, user: User) -> dict[str, str]:
        _token, raw = token_issue(user=user)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def role(self, name: str) -> dict[str, str]:
        return self.auth(self.world.users[name])

    def submit(self, **kwargs: Any) -> Demand:
        values: dict[str, Any] = {
            "actor": self.world.users["enterprise"],
            "enterprise": self.world.firm_a,
            "category": self.tax,
            "title": "出口退税迟迟未到账",
            "description": "三月申报的出口退税至今未到账，影响资金周转。",
        }
        values.update(kwargs)
        return demand_submit(**values)


@pytest.fixture
def desk(world: World) -> Desk:
    """Tax demands of the town are routed to the district market bureau, which has a handler."""
    tax = Category.objects.get(code="tax")
    RoutingRule.objects.create(region=world.town, category=tax, department=world.department)
    handler = UserFactory(username="zhaomin", display_name="赵敏")
    role_grant(actor=None, user=handler, role=Role.HANDLER, department=world.department)
    return Desk(world=world, tax=tax, lead=world.department, lead_handler=handler)


def act(client: Any, headers: dict[str, str], demand_id: int, **body: Any) -> Any:
    return client.post(
        f"/api/v1/demands/{demand_id}/actions", body, content_type="application/json", **headers
    )


# --- submitting -----------------------------------------------------------------------------
def test_the_firm_submits_a_demand_through_the_api(client, desk) -> None:
    response = client.post(
        "/api/v1/demands",
        {
            "enterprise_id": desk.world.firm_a.pk,
            "category": "tax",
            "title": "出口退税迟迟未到账",
            "description": "三月申报的出口退税至今未到账。",
        },
        content_type="application/json",
        **desk.role("enterprise"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"SQ-\d{4}-\d{6}", body["number"])
    assert body["channel"] == "api"
    assert body["state"] == "dispatched"
    assert body["department_name"] == "海曙区市场监督管理局"
    assert body["version"] == 1
    assert body["timers"]["resolve_due_at"].endswith("+08:00")
    assert body["submitted_at"].endswith("+08:00")
    assert [a["action"] for a in body["allowed_actions"]] == ["withdraw"]
    assert [e["action"] for e in body["timeline"]] == ["submit", "dispatch"]
    assert Demand.objects.get(pk=body["id"]).channel == "api"


def test_a_category_can_be_given_by_id(client, desk) -> None:
    response = client.post(
        "/api/v1/demands",
        {
            "enterprise_id": desk.world.firm_a.pk,
            "category_id": desk.tax.pk,
            "title": "退税",
            "description": "三月申报的出口退税至今未到账。",
        },
        content_type="application/json",
        **desk.role("enterprise"),
    )
    assert response.status_code == 201
    assert response.json()["category_code"] == "tax"


def test_a_firm_cannot_submit_for_another_firm(client, desk) -> None:
    response = client.post(
        "/api/v1/demands",
        {
            "enterprise_id": desk.world.firm_b.pk,
            "category": "tax",
            "title": "退税",
            "description": "三月申报的出口退税至今未到账。",
        },
        content_type="application/json",
        **desk.role("enterprise"),
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "您不能为该企业提交诉求。"
    assert not Demand.objects.exists()


def test_a_submission_without_a_category_or_with_a_short_description_gets_field_errors(
    client, desk
) -> None:
    headers = desk.role("enterprise")
    base = {"enterprise_id": desk.world.firm_a.pk, "title": "退税"}
    no_category = client.post(
        "/api/v1/demands",
        {**base, "description": "三月申报的出口退税至今未到账。"},
        content_type="application/json",
        **headers,
    )
    assert no_category.status_code == 422
    assert "category" in no_category.json()["field_errors"]
    short = client.post(
        "/api/v1/demands",
        {**base, "category": "tax", "description": "退税"},
        content_type="application/json",
        **headers,
    )
    assert short.status_code == 422
    assert "description" in short.json()["field_errors"]


def test_without_a_token_the_demands_api_answers_401(client, desk) -> None:
    assert client.get("/api/v1/demands").status_code == 401
    assert client.post("/api/v1/demands", {}, content_type="application/json").status_code == 401


# --- scope ----------------------------------------------------------------------------------
def test_a_firm_does_not_find_another_firms_demand(client, desk) -> None:
    other = desk.submit(actor=desk.world.users["coordinator"], enterprise=desk.world.firm_b)
    headers = desk.role("enterprise")
    assert client.get(f"/api/v1/demands/{other.pk}", **headers).status_code == 404
    assert act(client, headers, other.pk, action="withdraw", version=1).status_code == 404
    listed = client.get("/api/v1/demands", **headers).json()
    assert listed["count"] == 0


def test_a_handler_of_another_department_gets_404_on_read_and_on_actions(client, desk) -> None:
    demand = desk.submit()
    headers = desk.role("handler")  # holds 高桥镇税务所, not the lead department
    assert client.get(f"/api/v1/demands/{demand.pk}", **headers).status_code == 404
    assert act(client, headers, demand.pk, action="accept", version=1).status_code == 404
    assert client.get("/api/v1/demands/inbox", **headers).json()["count"] == 0
    demand.refresh_from_db()
    assert demand.state == "dispatched"


def test_a_firm_that_may_read_a_case_but_not_move_it_gets_403(client, desk) -> None:
    demand = desk.submit()
    response = act(client, desk.role("enterprise"), demand.pk, action="accept", version=1)
    assert response.status_code == 403


# --- the workflow through the API -----------------------------------------------------------
def test_accept_reply_and_rate_round_trip_with_versions(client, desk) -> None:
    demand = desk.submit()
    handler = desk.auth(desk.lead_handler)
    accepted = act(client, handler, demand.pk, action="accept", version=1)
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "accepted"
    assert accepted.json()["version"] == 2
    assert accepted.json()["timers"]["accepted_at"].endswith("+08:00")

    replied = act(
        client, handler, demand.pk, action="reply", version=2, note="已协调税务局加快审核。"
    )
    assert replied.status_code == 200
    assert replied.json()["state"] == "replied"
    assert replied.json()["reply"] == "已协调税务局加快审核。"

    firm = desk.role("enterprise")
    detail = client.get(f"/api/v1/demands/{demand.pk}", **firm).json()
    assert {a["action"] for a in detail["allowed_actions"]} == {"rate", "reject"}
    rated = act(
        client, firm, demand.pk, action="rate", version=3, satisfaction="satisfied", rating=5
    )
    assert rated.status_code == 200
    body = rated.json()
    assert (body["state"], body["version"], body["rating"]) == ("closed", 4, 5)
    assert body["timers"]["closed_at"].endswith("+08:00")
    assert [e["action"] for e in body["timeline"]][-3:] == ["accept", "reply", "rate"]


def test_a_stale_version_gets_409_with_the_conflict_message(client, desk) -> None:
    demand = desk.submit()
    handler = desk.auth(desk.lead_handler)
    assert act(client, handler, demand.pk, action="accept", version=1).status_code == 200
    stale = act(client, handler, demand.pk, action="start", version=1)
    assert stale.status_code == 409
    assert stale.json()["detail"] == CONFLICT
    assert stale.json()["code"] == "conflict"


def test_a_bad_action_body_gets_422_with_field_errors(client, desk) -> None:
    demand = desk.submit()
    handler = desk.auth(desk.lead_handler)
    unknown = act(client, handler, demand.pk, action="fly", version="one")
    assert unknown.status_code == 422
    errors = unknown.json()["field_errors"]
    assert "action" in str(errors)
    assert "version" in str(errors)
    act(client, handler, demand.pk, action="accept", version=1)
    no_note = act(client, handler, demand.pk, action="reply", version=2)
    assert no_note.status_code == 422
    assert no_note.json()["field_errors"] == {"note": ["必填。"]}


def test_an_internal_note_is_hidden_from_the_firm(client, desk) -> None:
    demand = desk.submit()
    handler = desk.auth(desk.lead_handler)
    note = client.post(
        f"/api/v1/demands/{demand.pk}/notes",
        {"note": "企业此前有欠税记录，需核实。", "internal": True},
        content_type="application/json",
        **handler,
    )
    assert note.status_code == 201
    assert note.json()["internal"] is True
    staff_view = client.get(f"/api/v1/demands/{demand.pk}", **handler).json()
    firm_view = client.get(f"/api/v1/demands/{demand.pk}", **desk.role("enterprise")).json()
    assert "企业此前有欠税记录，需核实。" in [e["note"] for e in staff_view["timeline"]]
    assert "企业此前有欠税记录，需核实。" not in str(firm_view)


def test_a_firms_note_cannot_be_internal(client, desk) -> None:
    demand = desk.submit()
    response = client.post(
        f"/api/v1/demands/{demand.pk}/notes",
        {"note": "补充：涉及金额约20万元。", "internal": True},
        content_type="application/json",
        **desk.role("enterprise"),
    )
    assert response.status_code == 201
    assert response.json()["internal"] is False


# --- lists ----------------------------------------------------------------------------------
def test_the_list_filters_by_state_category_and_text(client, desk) -> None:
    first = desk.submit(title="出口退税迟迟未到账")
    second = desk.submit(title="增值税发票额度不够")
    demand_act(
        actor=desk.lead_handler, demand_id=second.pk, action="accept", version=second.version
    )
    headers = desk.role("enterprise")

    def numbers(**params: Any) -> list[str]:
        body = client.get("/api/v1/demands", params, **headers).json()
        return [d["number"] for d in body["items"]]

    assert numbers() == [second.number, first.number]
    assert numbers(state="accepted") == [second.number]
    assert numbers(q="退税") == [first.number]
    assert numbers(q=second.number) == [second.number]
    assert numbers(category="market") == []
    assert numbers(overdue="true") == []
    assert client.get("/api/v1/demands", {"state": "nowhere"}, **headers).status_code == 422


def test_the_inbox_lists_the_departments_open_cases(client, desk) -> None:
    demand = desk.submit()
    inbox = client.get("/api/v1/demands/inbox", **desk.auth(desk.lead_handler)).json()
    assert [d["number"] for d in inbox["items"]] == [demand.number]
    assert inbox["items"][0]["resolve_due_at"].endswith("+08:00")


def test_the_categories_are_listed_with_their_deadlines(client, desk) -> None:
    body = client.get("/api/v1/demands/categories", **desk.role("enterprise")).json()
    tax = next(c for c in body if c["code"] == "tax")
    assert (tax["name"], tax["resolution_days"]) == ("税费", 5)
    power = next(c for c in body if c["code"] == "permit-power")
    assert power["parent_name"] == "审批许可"


def test_the_coordinators_board_shows_unassigned_cases(client, desk) -> None:
    unrouted = desk.submit(category=Category.objects.get(code="land"))
    body = client.get(
        "/api/v1/demands/board", {"column": "unassigned"}, **desk.role("coordinator")
    ).json()
    assert [d["number"] for d in body["items"]] == [unrouted.number]


# --- co-handling, extensions, supervision ---------------------------------------------------
def test_an_assist_is_requested_and_answered(client, desk) -> None:
    demand = desk.submit()
    helper_department = DepartmentFactory(name="海曙区税务局", region=desk.world.district)
    helper = UserFactory(username="taxman", display_name="钱税")
    role_grant(actor=None, user=helper, role=Role.HANDLER, department=helper_department)
    lead = desk.auth(desk.lead_handler)
    act(client, lead, demand.pk, action="accept", version=1)
    created = client.post(
        f"/api/v1/demands/{demand.pk}/assists",
        {"department_id": helper_department.pk, "part": "核实退税审核进度"},
        content_type="application/json",
        **lead,
    )
    assert created.status_code == 201, created.content
    assist_id = created.json()["id"]
    helper_headers = desk.auth(helper)
    assert client.get(f"/api/v1/demands/{demand.pk}", **helper_headers).status_code == 200
    answered = client.post(
        f"/api/v1/demands/assists/{assist_id}/reply",
        {"reply": "审核已完成，下周到账。"},
        content_type="application/json",
        **helper_headers,
    )
    assert answered.status_code == 200
    assert answered.json()["status"] == "done"
    outsider = client.post(
        f"/api/v1/demands/assists/{assist_id}/reply",
        {"reply": "x"},
        content_type="application/json",
        **desk.role("handler"),
    )
    assert outsider.status_code == 404


def test_an_extension_is_requested_by_the_handler_and_approved_by_the_coordinator(
    client, desk
) -> None:
    demand = desk.submit()
    lead = desk.auth(desk.lead_handler)
    act(client, lead, demand.pk, action="accept", version=1)
    before = client.get(f"/api/v1/demands/{demand.pk}", **lead).json()["resolve_due_at"]
    requested = client.post(
        f"/api/v1/demands/{demand.pk}/extensions",
        {"days": 3, "reason": "需等待省局复核。"},
        content_type="application/json",
        **lead,
    )
    assert requested.status_code == 201
    extension_id = requested.json()["id"]
    by_handler = client.post(
        f"/api/v1/demands/extensions/{extension_id}/decision",
        {"approve": True},
        content_type="application/json",
        **lead,
    )
    assert by_handler.status_code == 403
    decided = client.post(
        f"/api/v1/demands/extensions/{extension_id}/decision",
        {"approve": True, "note": "同意。"},
        content_type="application/json",
        **desk.role("coordinator"),
    )
    assert decided.status_code == 200
    assert decided.json()["status"] == "approved"
    after = client.get(f"/api/v1/demands/{demand.pk}", **lead).json()["resolve_due_at"]
    assert after > before
    again = client.post(
        f"/api/v1/demands/extensions/{extension_id}/decision",
        {"approve": False},
        content_type="application/json",
        **desk.role("coordinator"),
    )
    assert again.status_code == 409


def test_an_extension_outside_the_scope_is_not_found(client, desk) -> None:
    demand = desk.submit()
    lead = desk.auth(desk.lead_handler)
    act(client, lead, demand.pk, action="accept", version=1)
    extension_id = client.post(
        f"/api/v1/demands/{demand.pk}/extensions",
        {"days": 3, "reason": "需等待省局复核。"},
        content_type="application/json",
        **lead,
    ).json()["id"]
    response = client.post(
        f"/api/v1/demands/extensions/{extension_id}/decision",
        {"approve": True},
        content_type="application/json",
        **desk.role("handler"),
    )
    assert response.status_code == 404


def test_a_supervisor_supervises_and_a_coordinator_merges_duplicates(client, desk) -> None:
    kept, duplicate = desk.submit(), desk.submit(title="出口退税还没到账")
    supervised = client.post(
        f"/api/v1/demands/{kept.pk}/supervise",
        {"note": "请三日内答复。"},
        content_type="application/json",
        **desk.role("supervisor"),
    )
    assert supervised.status_code == 200
    assert supervised.json()["supervised"] is True
    merged = client.post(
        f"/api/v1/demands/{duplicate.pk}/merge",
        {"into_id": kept.pk},
        content_type="application/json",
        **desk.role("coordinator"),
    )
    assert merged.status_code == 200
    assert merged.json()["number"] == kept.number
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.merged_into_id) == ("closed", kept.pk)
    detail = client.get(f"/api/v1/demands/{duplicate.pk}", **desk.role("enterprise")).json()
    assert detail["merged_into"] == kept.number


# --- the contract ---------------------------------------------------------------------------
def test_the_openapi_document_lists_every_status_code_of_the_demands_paths(client, db) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = {p: ops for p, ops in spec["paths"].items() if p.startswith("/api/v1/demands")}
    assert "/api/v1/demands/{demand_id}/actions" in paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert codes & {"200", "201", "204"}, (method, path)
            assert "401" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method == "post":
                assert {"403", "422"} <= codes, (method, path)
            assert re.search(r"[\u4e00-\u9fff]", operation.get("summary", "")), (method, path)
    actions = paths["/api/v1/demands/{demand_id}/actions"]["post"]["responses"]
    assert set(actions) == {"200", "400", "401", "403", "404", "409", "412", "413", "422"}
