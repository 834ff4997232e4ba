"""The integrity API: filing with screening, scope by id, decisions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from qinqing.integrity import services


@pytest.fixture
def token_for(client: Any, world: Any, password: str) -> Any:
    def issue(role: str) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token",
            {"username": role, "password": password},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


def test_filing_through_the_api_returns_the_outcome_and_items(
    lists: None, client: Any, world: Any, token_for: Any
) -> None:
    body = {
        "timing": "after",
        "kind": "meal",
        "contact_date": str(services.today() - timedelta(days=1)),
        "place": "某酒店",
        "place_kind": "restaurant",
        "enterprise_ids": [world.firm_a.pk],
        "purpose": "午餐",
        "payer": "firm",
        "amount": "360",
        "headcount": 3,
    }
    official = token_for("official")
    response = client.post(
        "/api/v1/integrity/filings", body, content_type="application/json", **official
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["outcome"] == "prohibited" and data["amount_per_person"] == "120.00"
    assert "OFF-NEG-1" in {m["code"] for m in data["matches"]}
    fid = data["id"]
    assert client.get(f"/api/v1/integrity/filings/{fid}", **token_for("steward")).status_code == 404
    assert (
        client.get(f"/api/v1/integrity/filings/{fid}", **token_for("supervisor")).status_code == 200
    )
    bad = client.post(
        "/api/v1/integrity/filings",
        {**body, "place": ""},
        content_type="application/json",
        **official,
    )
    assert bad.status_code == 422 and "place" in bad.json()["field_errors"]
    decided = client.post(
        f"/api/v1/integrity/filings/{fid}/decision",
        {"approve": True},
        content_type="application/json",
        **token_for("supervisor"),
    )
    assert decided.status_code == 409


def test_the_lists_are_public(lists: None, client: Any) -> None:
    items = client.get("/api/v1/integrity/lists").json()
    assert len(items) == 21
    assert {i["list_kind"] for i in items} == {
        "official_positive", "official_negative", "entrepreneur_negative", "local",
    }  # fmt: skip
