"""A page that reads a text straight from the POST data (no form) refuses control characters
like a form does (issue 14, H2)."""

from __future__ import annotations

import pytest

from qinqing.consultation.drafts.models import Comment

pytestmark = pytest.mark.django_db


def test_a_comment_with_a_control_character_is_refused_and_not_stored(
    client, world, open_draft
) -> None:
    client.force_login(world.users["enterprise"])

    data = {"body": "建议\x00降低门槛", "clause": ""}

    response = client.post(f"/drafts/{open_draft.pk}/comments/", data, follow=True)

    assert response.status_code < 500
    assert "不能包含控制字符。" in response.content.decode()
    assert not Comment.objects.exists()
