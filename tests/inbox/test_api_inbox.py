"""In-app messages through /api/v1: one's own, newest first, and marking one read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qinqing.accounts.models import ApiToken
from qinqing.inbox.models import Message
from qinqing.inbox.services import deliver

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    raw = "t-" + user.username + "-0123456789abcdef"
    ApiToken.objects.create(
        user=user,
        digest=ApiToken.hash(raw),
        prefix=raw[:8],
        name="test",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def send(user, n: int) -> None:
    for i in range(n):
        deliver(
            users=[user], title=f"诉求已受理{i}", body="正文", link="/demands/1/", source=f"t:{i}"
        )


def test_a_user_lists_his_own_messages_newest_first(client, world) -> None:
    send(world.users["enterprise"], 2)
    send(world.users["steward"], 1)

    page = client.get("/api/v1/inbox", **bearer(world.users["enterprise"])).json()

    assert page["count"] == 2 and page["page"] == 1 and page["next"] is None
    assert [m["title"] for m in page["items"]] == ["诉求已受理1", "诉求已受理0"]
    first = page["items"][0]
    assert first["read_at"] is None and first["link"] == "/demands/1/"
    assert first["created_at"].endswith("+08:00")


def test_the_inbox_pages_with_a_next_link(client, world, settings) -> None:
    settings.DIRECTORY_PAGE_SIZE = 2
    send(world.users["enterprise"], 3)
    headers = bearer(world.users["enterprise"])

    page = client.get("/api/v1/inbox", **headers).json()

    assert page["pages"] == 2 and page["next"] == "/api/v1/inbox?page=2"
    assert len(client.get(page["next"], **headers).json()["items"]) == 1


def test_a_user_marks_his_message_read(client, world) -> None:
    user = world.users["enterprise"]
    send(user, 2)
    message = Message.objects.filter(user=user).first()
    assert message is not None

    response = client.post(f"/api/v1/inbox/{message.pk}/read", **bearer(user))

    assert response.status_code == 200
    assert response.json()["id"] == message.pk
    assert response.json()["read_at"].endswith("+08:00")
    assert Message.objects.filter(user=user, read_at__isnull=True).count() == 1


def test_another_users_message_is_not_found(client, world) -> None:
    send(world.users["steward"], 1)
    message = Message.objects.get(user=world.users["steward"])

    response = client.post(f"/api/v1/inbox/{message.pk}/read", **bearer(world.users["enterprise"]))

    assert response.status_code == 404
    assert response.json()["detail"] == "未找到或无权查看。"
    message.refresh_from_db()
    assert message.read_at is None


def test_without_a_token_there_is_no_inbox(client, world) -> None:
    assert client.get("/api/v1/inbox").status_code == 401
