"""The OpenAPI document is the contract: one name per schema, and what each GET returns on the
Ningbo demo is exactly what the document says it returns.

An integrator generates a client from ``/api/v1/openapi.json``; if two schemas share a name
the document shows one of them for both, and if an endpoint returns fields the document does
not list (or lacks one it lists), the generated client drops data or fails to parse. These
tests walk the whole document, so a new endpoint is checked the day it is added.
"""

from __future__ import annotations

import enum
import re
import typing
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

import pydantic
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema
from pydantic import WithJsonSchema

from qinqing.accounts.models import RoleAssignment, User
from qinqing.accounts.services import token_issue
from qinqing.api.api import api
from qinqing.demo.data import DEMO_ACCOUNTS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_loaded")]

PATH_PARAM = re.compile(r"\{(\w+)\}")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")

#: GET operations the demo cannot answer with 200 for any account, and why.
NO_DEMO_ANSWER: dict[str, str] = {
    "/api/v1/outreach/group-requests/{request_id}": "the demo has no request to a service group",
    "/api/v1/outreach/legal-requests/{request_id}": "the demo has no legal-service request",
    "/api/v1/calendar/notices/{notice_id}": "the demo has no holiday notice",
    "/api/v1/demands/{demand_id}/attachments/{attachment_id}": "the demo's demands carry no file",
    "/api/v1/mediation/{case_id}": "the demo has no mediation case",
    "/api/v1/mediation/{case_id}/agreement": "the demo has no mediation case",
    "/api/v1/calendar/days/{day}": "the demo sets no calendar day by hand",
}


def _models() -> dict[type, None]:
    """Every pydantic model and enum an operation of the API takes or returns, by reference.

    An enum written out in place (``Annotated[State, choices_schema(State)]``) is not a
    reference and cannot collide, so it is not counted."""
    found: dict[type, None] = {}

    def walk(annotation: Any) -> None:
        if typing.get_origin(annotation) is typing.Annotated and any(
            isinstance(meta, WithJsonSchema) for meta in annotation.__metadata__
        ):
            return
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            found[annotation] = None
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            if annotation in found:
                return
            if annotation.__module__.startswith("qinqing."):  # ninja's own are flattened
                found[annotation] = None
            for field in annotation.model_fields.values():
                walk(field.rebuild_annotation())
        for argument in typing.get_args(annotation):
            walk(argument)

    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models or []:
                    walk(model)
                for response in (operation.response_models or {}).values():
                    walk(response)
    return found


def test_no_two_schemas_of_the_api_share_a_name() -> None:
    names: dict[str, list[str]] = defaultdict(list)
    for model in _models():
        names[model.__name__].append(f"{model.__module__}.{model.__qualname__}")
    shared = {name: where for name, where in names.items() if len(where) > 1}
    assert not shared, f"schemas that overwrite each other in the document: {shared}"


def test_every_schema_in_the_document_is_the_one_its_class_defines(client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    components = document["components"]["schemas"]
    checked = 0
    for model in _models():
        if model.__name__ not in components or not issubclass(model, pydantic.BaseModel):
            continue
        own = model.model_json_schema(
            ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode="validation"
        )
        own.pop("$defs", None)
        documented = components[model.__name__]
        assert set(documented.get("properties", {})) == set(own.get("properties", {})), (
            f"{model.__module__}.{model.__qualname__} is documented with another schema's fields"
        )
        checked += 1
    assert checked > 200


# --- every GET, answered from the demo, matches its documented response ------------------


def _strict(schema: Any) -> Any:
    """The schema with ``additionalProperties: false`` wherever properties are listed."""
    if isinstance(schema, dict):
        out = {key: _strict(value) for key, value in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(value) for value in schema]
    return schema


def _timestamps(value: Any, where: str = "") -> list[str]:
    """Every ISO timestamp in a response that is not in +08:00."""
    if isinstance(value, dict):
        return [bad for key, item in value.items() for bad in _timestamps(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [bad for item in value[:5] for bad in _timestamps(item, f"{where}[]")]
    if isinstance(value, str) and TIMESTAMP.match(value) and not value.endswith("+08:00"):
        return [f"{where}={value}"]
    return []


def _first(listing: Any, name: str) -> Any:
    items = listing
    if isinstance(listing, dict):
        items = listing.get("items", listing.get("regions"))
    if not isinstance(items, list) or not items:
        return None
    item = items[0]
    if not isinstance(item, dict):
        return item
    short = name.removesuffix("_id")
    for key in (name, "id", short, "code", "slug"):
        if key in item:
            return item[key]
    return None


def _demo_samples() -> dict[str, dict[str, Any]]:
    """Path and query values for the GETs whose ids no list above them gives."""
    from qinqing.demands.models import Attachment
    from qinqing.demo.data import WANGLI_FIRM_NAME
    from qinqing.directory.models import Chamber, Enterprise, Region
    from qinqing.index.models import ComputeRun, Publication
    from qinqing.notices.emergency.models import StatusReport

    wangli_firm = Enterprise.objects.get(name=WANGLI_FIRM_NAME).pk
    attachment = Attachment.objects.order_by("pk").first()
    samples: dict[str, dict[str, Any]] = {
        "/api/v1/demands/board": {"column": "unassigned"},
        "/api/v1/exemption/stats": {"start": "2026-01-01", "end": "2026-07-01"},
        "/api/v1/outreach/visit-rules/{region_id}": {
            "region_id": Region.objects.get(name="古林镇").pk
        },
        "/api/v1/surveys/{survey_id}/response": {"enterprise_id": wangli_firm},
        "/api/v1/outreach/observer/firms/{enterprise_id}": {
            "enterprise_id": Enterprise.objects.get(name="宁波大碶丰创铸造股份有限公司").pk
        },
    }
    if attachment is not None:
        samples["/api/v1/demands/{demand_id}/attachments/{attachment_id}"] = {
            "demand_id": attachment.demand_id,
            "attachment_id": attachment.pk,
        }
    from qinqing.demands.models import RoutingRule

    coordinated = list(
        RoleAssignment.objects.filter(role="coordinator", region__isnull=False).select_related(
            "region"
        )
    )
    rule = next(
        (
            r
            for r in RoutingRule.objects.select_related("region").order_by("pk")[:200]
            if any(r.region.path.startswith(a.region.path) for a in coordinated)
        ),
        None,
    )
    if rule is not None:
        samples["/api/v1/demands/routing-rules/{region_id}/{category_id}"] = {
            "region_id": rule.region_id,
            "category_id": rule.category_id,
        }
    grant = RoleAssignment.objects.order_by("pk").first()
    if grant is not None:
        samples["/api/v1/roles/{assignment_id}"] = {"assignment_id": grant.pk}
    chamber = Chamber.objects.order_by("pk").first()
    if chamber is not None:
        for path in ("figures", "docking-meetings"):
            samples[f"/api/v1/outreach/chambers/{{chamber_id}}/{path}"] = {"chamber_id": chamber.pk}
    publication = Publication.objects.order_by("-period", "level").first()
    if publication is not None:
        for path in ("", "/regions/{code}"):
            samples[f"/api/v1/index/results/{{period}}/{{level}}{path}"] = {
                "period": publication.period,
                "level": publication.level,
            }
    run = ComputeRun.objects.order_by("pk").first()
    if run is not None:
        samples["/api/v1/index/runs/{run_id}"] = {"run_id": run.pk}
    report = StatusReport.objects.order_by("-pk").first()
    if report is not None:
        samples["/api/v1/emergency/reports/{report_id}"] = {"report_id": report.pk}
    return samples


class Caller:
    """GETs as each demo account, with the path's ids taken from the lists above it."""

    def __init__(self, client: Any, document: dict[str, Any]) -> None:
        self.client = client
        self.document = document
        self.samples = _demo_samples()
        self.headers: dict[str, dict[str, str]] = {}
        users = User.objects.in_bulk([a.username for a in DEMO_ACCOUNTS], field_name="username")
        for account in DEMO_ACCOUNTS:
            _token, raw = token_issue(user=users[account.username], name="contract")
            self.headers[account.username] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        self.cache: dict[tuple[str, str], Any] = {}

    def get(self, username: str, url: str) -> Any:
        key = (username, url)
        if key not in self.cache:
            self.cache[key] = self.client.get(url, **self.headers[username])
        return self.cache[key]

    def _listings(self, template: str) -> list[str]:
        """The GET lists whose items may carry the next parameter of ``template``."""
        candidates = [template.rstrip("/")]
        head, _sep, last = candidates[0].rpartition("/")
        if "{" not in last:
            candidates.append(head)
        return [c for c in candidates if "get" in self.document["paths"].get(c, {})]

    def fill(self, username: str, path: str, operation: dict[str, Any]) -> str | None:
        """The URL with each parameter filled from the demo, or None if there is none."""
        sample = self.samples.get(path, {})
        enums = {
            p["name"]: p["schema"].get("enum")
            for p in operation.get("parameters", [])
            if p.get("in") == "path"
        }
        values: dict[str, Any] = {}
        for match in PATH_PARAM.finditer(path):
            name = match.group(1)
            if name in sample:
                values[name] = sample[name]
            elif enums.get(name):
                values[name] = enums[name][0]
            else:
                value = None
                for listing in self._listings(path[: match.start()]):
                    response = self.get(username, listing.format(**values))
                    if response.status_code == 200:
                        value = _first(response.json(), name)
                    if value is not None:
                        break
                if value is None:
                    return None
                values[name] = value
        url = PATH_PARAM.sub(lambda m: str(values[m.group(1)]), path)
        query = {k: v for k, v in sample.items() if "{" + k + "}" not in path}
        return url + ("?" + urlencode(query) if query else "")


def test_every_get_returns_what_the_document_says_for_the_demo(client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    components = _strict(document["components"])
    caller = Caller(client, document)
    usernames = [account.username for account in DEMO_ACCOUNTS]
    problems: list[str] = []
    answered = 0
    for path, operations in document["paths"].items():
        operation = operations.get("get")
        if operation is None or path.endswith("/openapi.json"):
            continue
        ok = False
        for username in usernames:
            url = caller.fill(username, path, operation)
            if url is None:
                continue
            response = caller.get(username, url)
            status = str(response.status_code)
            if status not in operation["responses"]:
                problems.append(f"GET {url} as {username}: undeclared status {status}")
                continue
            content = operation["responses"][status].get("content", {})
            media = response["Content-Type"].split(";")[0]
            if media not in content:
                problems.append(f"GET {url} as {username}: undeclared content type {media}")
                continue
            if media == "application/json":
                schema = {**content[media].get("schema", {}), "components": components}
                validator = Draft202012Validator(schema, format_checker=FormatChecker())
                body = response.json()
                for error in list(validator.iter_errors(body))[:3]:
                    at = "/".join(str(p) for p in error.absolute_path)
                    problems.append(f"GET {url} as {username} {status} at {at}: {error.message}")
                problems.extend(f"GET {url}: UTC timestamp {bad}" for bad in _timestamps(body))
            if status == "200":
                ok = True
                break
        if ok:
            answered += 1
        elif path not in NO_DEMO_ANSWER:
            problems.append(f"GET {path}: no demo account gets a 200")
    assert not problems, "\n".join(problems[:60]) + f"\n({len(problems)} problems)"
    assert answered > 100
