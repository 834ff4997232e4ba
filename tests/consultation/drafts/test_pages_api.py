"""Policy drafts through the pages and the API."""

from __future__ import annotations

import json

import pytest

from qinqing.consultation.drafts.models import Comment
from qinqing.consultation.drafts.services import comment_answer, draft_close, draft_finalize

from .conftest import TEXT, shift_past_close

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_for(client, world, password):
    def issue(username: str) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token",
            {"username": username, "password": password},
            content_type="application/json",
        )
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


def test_a_firm_comments_through_the_api_and_another_scope_gets_404(
    client, world, open_draft, other_firm_user, token_for
) -> None:
    clause = open_draft.clauses.get(stage="draft", number=2)
    response = client.post(
        f"/api/v1/drafts/{open_draft.pk}/comments",
        {"body": "门槛太高", "clause_id": clause.pk},
        content_type="application/json",
        **token_for("enterprise"),
    )
    assert response.status_code == 201, response.content
    other = token_for("firm_other_owner")
    assert client.get(f"/api/v1/drafts/{open_draft.pk}", **other).status_code == 404
    answer = client.post(
        f"/api/v1/drafts/{open_draft.pk}/comments/{response.json()['id']}/answer",
        {"answer": "not_adopted"},
        content_type="application/json",
        **token_for("coordinator"),
    )
    assert answer.status_code == 422 and "reason" in answer.json()["field_errors"]


def test_the_public_page_needs_no_login_and_masks_firm_names(client, world, open_draft) -> None:
    office = world.users["coordinator"]
    client.force_login(world.users["enterprise"])
    client.post(f"/drafts/{open_draft.pk}/comments/", {"body": "建议降低门槛", "clause": ""})
    comment = Comment.objects.get()
    comment_answer(actor=office, comment_id=comment.pk, answer="partly", reason="门槛降至400万元")
    shift_past_close(open_draft)
    draft_close(actor=office, draft_id=open_draft.pk)
    draft_finalize(actor=office, draft_id=open_draft.pk, text=TEXT)
    client.logout()
    body = client.get(f"/drafts/public/{open_draft.pk}/").content.decode()
    assert "某模具企业" in body and world.firm_a.name not in body
    assert "门槛降至400万元" in body
    # the API gives the same, also without a token
    api = client.get(f"/api/v1/drafts/public/{open_draft.pk}")
    assert api.status_code == 200
    text = json.dumps(api.json(), ensure_ascii=False)
    assert "某模具企业" in text and world.firm_a.name not in text and "门槛降至400万元" in text
    listed = client.get("/api/v1/drafts/public").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == open_draft.pk
    assert listed["items"][0]["comments"] == 1


def test_a_draft_that_is_not_final_has_no_public_page(client, world, open_draft) -> None:
    assert client.get(f"/drafts/public/{open_draft.pk}/").status_code == 404
    assert client.get(f"/api/v1/drafts/public/{open_draft.pk}").status_code == 404
    assert client.get("/api/v1/drafts/public").json()["count"] == 0
    # the other draft endpoints still need a token
    assert client.get(f"/api/v1/drafts/{open_draft.pk}").status_code == 401


def test_the_office_creates_a_draft_on_the_page_and_bad_dates_keep_the_input(client, world) -> None:
    client.force_login(world.users["coordinator"])
    response = client.post(
        "/drafts/new/",
        {"title": "测试草案", "opens_on": "2099-01-05", "closes_on": "2099-01-06", "text": TEXT},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "征求意见期至少" in body and "测试草案" in body
