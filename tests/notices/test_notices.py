"""Notices: targeting, receipts, reading, stewards' explanations, search, expiry, index facts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI
from qinqing.inbox.models import Message
from qinqing.notices.models import Notice, Receipt, State
from qinqing.notices.selectors import (
    feed,
    index_facts,
    notice_search,
    notices_visible_to,
    receipt_summary,
    receipts_for,
)
from qinqing.notices.services import (
    NoticeData,
    notice_create,
    notice_mark_read,
    notice_publish,
    notice_withdraw,
    receipt_explain,
)

pytestmark = pytest.mark.django_db


def test_publishing_to_a_town_reaches_exactly_its_firms_with_one_receipt_each(
    world, make_notice
) -> None:
    notice = make_notice()
    firms = set(Receipt.objects.filter(notice=notice).values_list("enterprise_id", flat=True))
    assert firms == {world.firm_a.pk, world.firm_b.pk}
    assert notice.recipients == 2 and notice.state == State.PUBLISHED


def test_hand_picked_firms_are_added_to_the_regions(world, make_notice) -> None:
    notice = make_notice(
        actor=world.users["supervisor"], regions=[world.grid_a.code], firms=[world.firm_other.uscc]
    )
    firms = set(notice.receipts.values_list("enterprise_id", flat=True))
    assert firms == {world.firm_a.pk, world.firm_other.pk}


def test_an_author_cannot_address_a_region_outside_their_scope(world) -> None:
    with pytest.raises(ServiceError) as caught:
        notice_create(
            actor=world.users["coordinator"],
            data=NoticeData(kind="announcement", title="通知", body="内容"),
            audience={"regions": [world.other_town.code]},
        )
    assert "regions" in caught.value.field_errors
    assert not Notice.objects.exists()


def test_a_policy_needs_its_issuing_body_and_effective_date(world) -> None:
    with pytest.raises(ServiceError) as caught:
        notice_create(
            actor=world.users["coordinator"],
            data=NoticeData(kind="policy", title="政策", body="内容"),
            audience={"regions": [world.town.code]},
        )
    assert {"issuing_body", "effective_on"} <= set(caught.value.field_errors)


def test_firms_and_stewards_cannot_write_notices(world) -> None:
    for role in ("enterprise", "steward"):
        with pytest.raises(NotPermitted):
            notice_create(
                actor=world.users[role],
                data=NoticeData(kind="announcement", title="通知", body="内容"),
                audience={"regions": [world.grid_a.code]},
            )


def test_publishing_twice_is_refused_and_receipts_stay_one_per_firm(world, make_notice) -> None:
    notice = make_notice()
    with pytest.raises(Conflict):
        notice_publish(actor=world.users["coordinator"], notice_id=notice.pk)
    assert Receipt.objects.filter(notice=notice).count() == 2


def test_publishing_delivers_to_the_addressed_firms_users_only(
    world, make_notice, firm_b_user, other_firm_user, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = make_notice()
    source = f"notices.notice:{notice.pk}"
    users = set(Message.objects.filter(source=source).values_list("user_id", flat=True))
    assert users == {world.users["enterprise"].pk, firm_b_user.pk}


def test_reading_marks_the_firm_once_with_its_first_reader(world, make_notice) -> None:
    notice = make_notice()
    reader = world.users["enterprise"]
    assert notice_mark_read(actor=reader, notice=notice) == 1
    receipt = Receipt.objects.get(notice=notice, enterprise=world.firm_a)
    first = receipt.first_read_at
    assert receipt.first_reader == reader and first is not None
    assert notice_mark_read(actor=reader, notice=notice) == 0
    receipt.refresh_from_db()
    assert receipt.first_read_at == first
    assert AuditEntry.objects.filter(action="notice.read").count() == 1


def test_an_observer_opening_the_notice_does_not_count_as_the_firm_reading(
    world, make_notice
) -> None:
    notice = make_notice()
    assert notice_mark_read(actor=world.users["observer"], notice=notice) == 0


def test_a_steward_sees_only_their_own_unread_firms_and_marks_one_explained(
    world, make_notice
) -> None:
    notice = make_notice()
    steward = world.users["steward"]
    unread = receipts_for(user=steward, notice=notice, status="unread")
    assert [r.enterprise_id for r in unread] == [world.firm_a.pk]
    receipt = receipt_explain(
        actor=steward, notice_id=notice.pk, enterprise_id=world.firm_a.pk, note="走访时当面讲解"
    )
    assert receipt.explained_by == steward and receipt.first_read_at is None
    assert AuditEntry.objects.filter(action="notice.explain").count() == 1
    rows, total = receipt_summary(receipts_for(user=world.users["coordinator"], notice=notice))
    assert (total.total, total.read, total.explained, total.reached) == (2, 0, 1, 1)
    assert rows[0].region == "古林镇"


def test_a_steward_cannot_explain_to_a_firm_outside_their_grid(world, make_notice) -> None:
    notice = make_notice()
    with pytest.raises(NotPermitted):
        receipt_explain(
            actor=world.users["steward"],
            notice_id=notice.pk,
            enterprise_id=world.firm_b.pk,
            note="讲过了",
        )


def test_explaining_needs_a_note(world, make_notice) -> None:
    notice = make_notice()
    with pytest.raises(ServiceError) as caught:
        receipt_explain(
            actor=world.users["steward"],
            notice_id=notice.pk,
            enterprise_id=world.firm_a.pk,
            note=" ",
        )
    assert "note" in caught.value.field_errors


def test_a_firm_sees_only_notices_addressed_to_it_and_never_drafts(
    world, make_notice, other_firm_user
) -> None:
    mine = make_notice(title="古林镇通知")
    make_notice(actor=world.users["supervisor"], regions=[world.other_town.code], title="高桥通知")
    make_notice(title="草稿", publish=False)
    titles = {n.title for n in notices_visible_to(world.users["enterprise"])}
    assert titles == {mine.title}
    assert {n.title for n in notices_visible_to(other_firm_user)} == {"高桥通知"}


def test_a_withdrawn_notice_leaves_the_firms_view(world, make_notice) -> None:
    notice = make_notice()
    notice_withdraw(actor=world.users["coordinator"], notice_id=notice.pk, reason="内容有误")
    assert not notices_visible_to(world.users["enterprise"]).exists()
    assert notices_visible_to(world.users["coordinator"]).filter(pk=notice.pk).exists()


def test_search_finds_words_in_title_body_issuing_body_and_number_of_visible_notices(
    world, make_notice
) -> None:
    make_notice(title="稳岗补贴", document_number="海人社〔2026〕12号")
    make_notice(
        actor=world.users["supervisor"],
        regions=[world.other_town.code],
        title="高桥稳岗补贴",
    )
    firm = world.users["enterprise"]
    assert [n.title for n in notice_search(user=firm, query="稳岗")] == ["稳岗补贴"]
    assert [n.title for n in notice_search(user=firm, query="2026〕12")] == ["稳岗补贴"]
    assert [n.title for n in notice_search(user=firm, query="人力社保局")] == ["稳岗补贴"]
    everything = notice_search(user=world.users["supervisor"], query="稳岗")
    assert len(everything) == 2


def test_an_expired_notice_leaves_the_feed_but_stays_in_the_archive(world, make_notice) -> None:
    yesterday = timezone.now().astimezone(SHANGHAI).date() - timedelta(days=1)
    make_notice(kind="announcement", title="口罩可按每只2元订购", expires_on=yesterday)
    current = make_notice(kind="announcement", title="企业招聘会")
    firm = world.users["enterprise"]
    assert [n.title for n in feed(user=firm)] == [current.title]
    assert [n.title for n in notice_search(user=firm, archive=True)] == ["口罩可按每只2元订购"]


def test_the_feed_puts_pinned_first_and_marks_read(world, make_notice) -> None:
    old = make_notice(kind="announcement", title="置顶通知", pinned=True)
    new = make_notice(kind="announcement", title="新通知")
    notice_mark_read(actor=world.users["enterprise"], notice=new)
    rows = list(feed(user=world.users["enterprise"]))
    assert [n.title for n in rows] == [old.title, new.title]
    assert [n.is_read for n in rows] == [False, True]


def test_index_facts_count_policies_and_those_published_before_they_take_effect(
    world, make_notice
) -> None:
    on_time = make_notice(effective_on=date(2026, 3, 1))
    late = make_notice(effective_on=date(2026, 1, 1))
    make_notice(kind="announcement", title="公告")
    Notice.objects.filter(pk=on_time.pk).update(
        published_at=datetime(2026, 2, 27, 23, 30, tzinfo=SHANGHAI)
    )
    Notice.objects.filter(pk=late.pk).update(
        published_at=datetime(2026, 1, 2, 0, 10, tzinfo=SHANGHAI)
    )
    facts = index_facts(start=date(2026, 1, 1), end=date(2026, 7, 1))
    path = world.town.path
    assert sorted(facts) == sorted(
        [
            (path, "notices.policy", 1.0),
            (path, "notices.policy", 1.0),
            (path, "notices.policy_on_time", 1.0),
        ]
    )
    assert index_facts(start=date(2026, 1, 3), end=date(2026, 2, 27)) == []


def test_index_facts_leave_out_drafts(world, make_notice) -> None:
    make_notice(publish=False)
    today = timezone.now().astimezone(SHANGHAI).date()
    assert index_facts(start=today - timedelta(days=1), end=today + timedelta(days=1)) == []


def test_the_feed_and_receipts_take_a_fixed_number_of_queries(
    world, make_notice, django_assert_max_num_queries
) -> None:
    for i in range(6):
        make_notice(kind="announcement", title=f"通知{i}")
    firm = world.users["enterprise"]
    with django_assert_max_num_queries(3):
        assert len(list(feed(user=firm))) == 6
    notice = Notice.objects.first()
    assert notice is not None
    coordinator = world.users["coordinator"]
    with django_assert_max_num_queries(6):
        rows = list(receipts_for(user=coordinator, notice=notice))
        [(r.enterprise.name, r.enterprise.grid.name) for r in rows]
        receipt_summary(receipts_for(user=coordinator, notice=notice))
