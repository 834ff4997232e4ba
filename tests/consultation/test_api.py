"""The /api/v1/surveys API: create with questions, publish, answer, results, export."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook

from qinqing.consultation import services
from qinqing.consultation.models import Survey

from .conftest import answers


def token(client: Any, user: Any, password: str) -> dict[str, str]:
    user.set_password(password)
    user.save()
    raw = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": password},
        content_type="application/json",
    ).json()["token"]
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_an_author_builds_publishes_and_a_firm_answers_through_the_api(
    client: Any, world: Any, password: str
) -> None:
    author = token(client, world.users["coordinator"], password)
    body = {
        "title": "用工需求调查",
        "closes_on": (services.today() + timedelta(days=7)).isoformat(),
        "audience": {"regions": [world.town.code]},
        "sections": [
            {
                "title": "用工",
                "questions": [
                    {
                        "kind": "single",
                        "text": "是否缺工？",
                        "options": ["是", "否"],
                        "required": True,
                    },
                    {
                        "kind": "number",
                        "text": "缺工人数",
                        "required": True,
                        "show_if_position": 1,
                        "show_if_options": [1],
                    },
                    {"kind": "scale", "text": "招工服务满意度", "tag": "factors"},
                ],
            }
        ],
    }
    created = client.post("/api/v1/surveys", body, content_type="application/json", **author)
    assert created.status_code == 201, created.json()
    survey = created.json()
    q1, q2, q3 = (q["id"] for q in survey["questions"])
    assert survey["questions"][1]["show_if_id"] == q1
    published = client.post(f"/api/v1/surveys/{survey['id']}/publish", **author)
    assert published.status_code == 200 and published.json()["status"] == "published"
    firm = token(client, world.users["enterprise"], password)
    pending = client.get("/api/v1/surveys/pending", **firm).json()
    assert [p["id"] for p in pending] == [survey["id"]]
    bad = client.put(
        f"/api/v1/surveys/{survey['id']}/response",
        {"enterprise_id": world.firm_a.pk, "answers": {str(q1): 1}},
        content_type="application/json",
        **firm,
    )
    assert bad.status_code == 422 and f"q{q2}" in bad.json()["field_errors"]
    good = client.put(
        f"/api/v1/surveys/{survey['id']}/response",
        {"enterprise_id": world.firm_a.pk, "answers": {str(q1): 1, str(q2): 12, str(q3): 4}},
        content_type="application/json",
        **firm,
    )
    assert good.status_code == 200
    assert good.json()["answers"] == {str(q1): 1, str(q2): 12.0, str(q3): 4}
    assert client.get("/api/v1/surveys/pending", **firm).json() == []
    other = client.put(
        f"/api/v1/surveys/{survey['id']}/response",
        {"enterprise_id": world.firm_b.pk, "answers": {str(q1): 2}},
        content_type="application/json",
        **firm,
    )
    assert other.status_code == 403
    results = client.get(f"/api/v1/surveys/{survey['id']}/results", **author).json()
    assert results["answered"] == 1 and results["addressed"] == 2
    assert results["questions"][2]["summary"]["mean"] == 4.0
    export = client.get(f"/api/v1/surveys/{survey['id']}/export", **author)
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet.max_row == 2
    assert client.get(f"/api/v1/surveys/{survey['id']}/results", **firm).status_code == 403
    closed = client.post(f"/api/v1/surveys/{survey['id']}/close", **author)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert client.post(f"/api/v1/surveys/{survey['id']}/close", **author).status_code == 409


def test_a_survey_outside_the_reader_s_scope_is_not_found(
    client: Any, world: Any, password: str, survey: Survey
) -> None:
    official = token(client, world.users["official"], password)  # 高桥镇
    assert client.get(f"/api/v1/surveys/{survey.pk}", **official).status_code == 404
    assert client.get(f"/api/v1/surveys/{survey.pk}/results", **official).status_code == 404
    other_firm = world.users["enterprise"]
    firm = token(client, other_firm, password)
    assert client.get(f"/api/v1/surveys/{survey.pk}", **firm).status_code == 200
    steward = token(client, world.users["steward"], password)
    assert client.post(f"/api/v1/surveys/{survey.pk}/publish", **steward).status_code == 403


def test_the_template_endpoint_makes_a_business_environment_draft(
    client: Any, world: Any, password: str
) -> None:
    author = token(client, world.users["coordinator"], password)
    made = client.post(
        "/api/v1/surveys/from-template",
        {
            "closes_on": (services.today() + timedelta(days=7)).isoformat(),
            "audience": {"regions": [world.town.code]},
        },
        content_type="application/json",
        **author,
    )
    assert made.status_code == 201
    assert made.json()["anonymous"] is True and len(made.json()["questions"]) > 20
    steward = token(client, world.users["steward"], password)
    refused = client.post(
        "/api/v1/surveys/from-template",
        {"closes_on": "2099-01-01", "audience": {"regions": [world.town.code]}},
        content_type="application/json",
        **steward,
    )
    assert refused.status_code == 403


def test_an_anonymous_response_via_the_api_returns_no_answers(
    client: Any, world: Any, password: str, anonymous_survey: Survey
) -> None:
    firm = token(client, world.users["enterprise"], password)
    done = client.put(
        f"/api/v1/surveys/{anonymous_survey.pk}/response",
        {"enterprise_id": world.firm_a.pk, "answers": answers(anonymous_survey)},
        content_type="application/json",
        **firm,
    )
    assert done.status_code == 200 and done.json()["answers"] == {}
    assert done.json()["answered_on"] is not None
