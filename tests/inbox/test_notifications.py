from __future__ import annotations

import pytest
from django.core import mail

from qinqing.demands.models import DemandEvent
from qinqing.demands.services import demand_act
from qinqing.demands.tasks import notify_demand_event
from qinqing.inbox.models import Message
from qinqing.inbox.services import mark_read

from ..demands.conftest import Cases

pytestmark = pytest.mark.django_db


def test_a_routed_submission_reaches_the_handlers_inbox(
    cases: Cases, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        demand = cases.submit()
    titles = list(Message.objects.filter(user=cases.handler).values_list("title", flat=True))
    assert any(demand.number in t for t in titles)
    assert not Message.objects.filter(user=cases.other_handler).exists()


def test_the_reply_reaches_the_firm_by_inbox_and_email(
    cases: Cases, django_capture_on_commit_callbacks
) -> None:
    cases.firm_user.email = "wangli@example.com"
    cases.firm_user.save()
    demand = cases.submit()
    demand_act(actor=cases.handler, demand_id=demand.pk, action="accept", version=demand.version)
    demand.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        demand_act(
            actor=cases.handler,
            demand_id=demand.pk,
            action="reply",
            version=demand.version,
            note="已协调供电所，下周完成增容。",
        )
    message = Message.objects.get(user=cases.firm_user, title__contains="答复")
    assert "下周完成增容" in message.body
    assert [m.to for m in mail.outbox] == [["wangli@example.com"]]


def test_delivering_the_same_step_twice_sends_nothing_twice(cases: Cases) -> None:
    demand = cases.submit()
    event = DemandEvent.objects.filter(demand=demand, action="dispatch").get()
    notify_demand_event.call(event.pk)
    notify_demand_event.call(event.pk)
    assert Message.objects.filter(source=f"demands.event:{event.pk}").count() == 2  # handler, firm


def test_the_actor_is_not_told_about_their_own_step(
    cases: Cases, django_capture_on_commit_callbacks
) -> None:
    demand = cases.submit()
    with django_capture_on_commit_callbacks(execute=True):
        demand_act(
            actor=cases.handler, demand_id=demand.pk, action="accept", version=demand.version
        )
    assert not Message.objects.filter(user=cases.handler, title__contains="受理").exists()
    assert Message.objects.filter(user=cases.firm_user, title__contains="受理").exists()


def test_the_unread_count_shows_and_reading_clears_it(client, cases: Cases) -> None:
    Message.objects.create(user=cases.firm_user, title="测试消息", source="t:1")
    client.force_login(cases.firm_user)
    assert '<span class="badge"' in client.get("/").content.decode()
    client.post("/inbox/read/")
    assert '<span class="badge"' not in client.get("/").content.decode()


def test_no_one_marks_another_persons_messages_read(cases: Cases) -> None:
    mine = Message.objects.create(user=cases.firm_user, title="测试消息", source="t:2")
    assert mark_read(actor=cases.handler, message_ids=[mine.pk]) == 0
    mine.refresh_from_db()
    assert mine.read_at is None
