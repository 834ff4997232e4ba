"""Policy-draft consultation: opening, commenting, answering, closing, the public final text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.consultation.drafts.models import Clause, Comment, PolicyDraft, State
from qinqing.consultation.drafts.selectors import (
    comments_for,
    draft_stats,
    drafts_visible_to,
    masked_name,
    public_view,
    today,
)
from qinqing.consultation.drafts.services import (
    MIN_WORKING_DAYS,
    comment_add,
    comment_answer,
    draft_close,
    draft_create,
    draft_finalize,
)

from .conftest import TEXT, shift_past_close

pytestmark = pytest.mark.django_db


def clause(draft, number: int) -> Clause:
    return draft.clauses.get(stage="draft", number=number)


def test_a_draft_is_split_into_numbered_clauses(open_draft) -> None:
    headings = list(open_draft.clauses.filter(stage="draft").values_list("heading", flat=True))
    assert headings == ["", "第一条", "第二条", "第三条"]


def test_the_comment_period_must_last_the_minimum_working_days(world) -> None:
    start = today()
    with pytest.raises(ServiceError) as caught:
        draft_create(
            actor=world.users["coordinator"],
            title="草案",
            text=TEXT,
            opens_on=start,
            closes_on=start + timedelta(days=7),
            office_name="古林镇",
        )
    assert "closes_on" in caught.value.field_errors
    assert (
        str(MIN_WORKING_DAYS) in caught.value.field_errors["closes_on"][0]
        or "工作日" in (caught.value.field_errors["closes_on"][0])
    )
    assert not PolicyDraft.objects.exists()


def test_firms_and_stewards_cannot_draft(world) -> None:
    for role in ("enterprise", "steward", "supervisor"):
        with pytest.raises(NotPermitted):
            draft_create(
                actor=world.users[role],
                title="草案",
                text=TEXT,
                opens_on=today(),
                closes_on=today() + timedelta(days=60),
            )


def test_a_firm_in_the_region_comments_on_a_clause_and_on_the_whole_draft(
    world, open_draft
) -> None:
    firm = world.users["enterprise"]
    c1 = comment_add(
        actor=firm,
        draft_id=open_draft.pk,
        clause_id=clause(open_draft, 2).pk,
        body="建议降低门槛到300万元",
    )
    c2 = comment_add(actor=firm, draft_id=open_draft.pk, body="建议延长有效期")
    assert c1.enterprise == world.firm_a and c1.clause.heading == "第一条"
    assert c2.clause is None
    assert AuditEntry.objects.filter(action="draft.comment").count() == 2


def test_only_authorised_users_of_firms_in_the_region_may_comment(
    world, open_draft, other_firm_user
) -> None:
    for user in (world.users["observer"], world.users["steward"], other_firm_user):
        with pytest.raises(NotPermitted):
            comment_add(actor=user, draft_id=open_draft.pk, body="意见")
    assert not Comment.objects.exists()


def test_comments_are_taken_only_while_the_draft_is_open(world, open_draft) -> None:
    firm = world.users["enterprise"]
    PolicyDraft.objects.filter(pk=open_draft.pk).update(
        opens_on=today() + timedelta(days=1), closes_on=today() + timedelta(days=60)
    )
    with pytest.raises(Conflict):
        comment_add(actor=firm, draft_id=open_draft.pk, body="太早了")
    shift_past_close(open_draft)
    with pytest.raises(Conflict):
        comment_add(actor=firm, draft_id=open_draft.pk, body="太晚了")


def test_a_reason_is_required_when_not_or_partly_adopted(world, open_draft) -> None:
    comment = comment_add(actor=world.users["enterprise"], draft_id=open_draft.pk, body="意见")
    office = world.users["coordinator"]
    for answer in ("not_adopted", "partly"):
        with pytest.raises(ServiceError) as caught:
            comment_answer(actor=office, comment_id=comment.pk, answer=answer, reason=" ")
        assert "reason" in caught.value.field_errors
    comment_answer(actor=office, comment_id=comment.pk, answer="adopted")
    comment.refresh_from_db()
    assert comment.answer == "adopted" and comment.answered_by == office


def test_a_firm_cannot_answer_and_sees_only_its_own_comments(
    world, open_draft, firm_b_user
) -> None:
    mine = comment_add(actor=world.users["enterprise"], draft_id=open_draft.pk, body="甲的意见")
    comment_add(actor=firm_b_user, draft_id=open_draft.pk, body="乙的意见")
    with pytest.raises(NotPermitted):
        comment_answer(actor=world.users["enterprise"], comment_id=mine.pk, answer="adopted")
    seen = comments_for(user=world.users["enterprise"], draft=open_draft)
    assert [c.body for c in seen] == ["甲的意见"]
    assert comments_for(user=world.users["coordinator"], draft=open_draft).count() == 2


def test_the_draft_closes_only_after_its_period_and_once_every_comment_is_answered(
    world, open_draft
) -> None:
    office = world.users["coordinator"]
    comment = comment_add(actor=world.users["enterprise"], draft_id=open_draft.pk, body="意见")
    with pytest.raises(Conflict):
        draft_close(actor=office, draft_id=open_draft.pk)  # still open
    shift_past_close(open_draft)
    with pytest.raises(Conflict) as caught:
        draft_close(actor=office, draft_id=open_draft.pk)
    assert "1" in caught.value.message
    comment_answer(actor=office, comment_id=comment.pk, answer="not_adopted", reason="超出镇级权限")
    assert draft_close(actor=office, draft_id=open_draft.pk).state == State.CLOSED


def test_the_public_page_shows_the_final_text_with_masked_answered_comments(
    world, open_draft, firm_b_user
) -> None:
    office = world.users["coordinator"]
    a = comment_add(
        actor=world.users["enterprise"],
        draft_id=open_draft.pk,
        clause_id=clause(open_draft, 2).pk,
        body="建议降低门槛",
    )
    b = comment_add(
        actor=firm_b_user,
        draft_id=open_draft.pk,
        clause_id=clause(open_draft, 3).pk,
        body="提高上限",
    )
    comment_answer(actor=office, comment_id=a.pk, answer="adopted")
    comment_answer(actor=office, comment_id=b.pk, answer="partly", reason="上限提高到250万元")
    shift_past_close(open_draft)
    draft_close(actor=office, draft_id=open_draft.pk)
    final_text = TEXT.replace("500万元", "300万元").replace("200万元", "250万元")
    draft_finalize(actor=office, draft_id=open_draft.pk, text=final_text)
    view = public_view(PolicyDraft.objects.get(pk=open_draft.pk))
    by_number = {c.number: c for c in view["clauses"]}
    assert by_number[2].changed and "300万元" in by_number[2].text
    assert by_number[2].comments[0]["firm"] == "某模具企业"
    assert by_number[3].comments[0]["firm"] == "某机械企业"
    assert by_number[3].comments[0]["reason"] == "上限提高到250万元"
    assert not by_number[4].changed and by_number[4].comments == []
    stats = view["stats"]
    assert (stats.comments, stats.adopted, stats.partly, stats.adopted_share) == (2, 1, 1, 1.0)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "draft.create",
        "draft.open",
        "draft.answer",
        "draft.close",
        "draft.finalize",
    } <= actions


def test_masking_never_shows_the_firm_name(world) -> None:
    for firm in (world.firm_a, world.firm_b, world.firm_other):
        masked = masked_name(firm)
        assert masked.startswith("某") and masked.endswith("企业")
        assert firm.name not in masked and "宁波" not in masked


def test_a_firm_outside_the_region_does_not_see_the_draft_and_nobody_sees_others_drafts(
    world, open_draft, other_firm_user
) -> None:
    assert drafts_visible_to(world.users["enterprise"]).filter(pk=open_draft.pk).exists()
    assert not drafts_visible_to(other_firm_user).exists()
    assert not drafts_visible_to(world.users["handler"]).exists()


def test_the_list_and_the_public_view_take_a_fixed_number_of_queries(
    world, open_draft, firm_b_user, django_assert_max_num_queries
) -> None:
    office = world.users["coordinator"]
    for i in range(5):
        c = comment_add(
            actor=firm_b_user,
            draft_id=open_draft.pk,
            clause_id=clause(open_draft, 2).pk,
            body=f"意见{i}",
        )
        comment_answer(actor=office, comment_id=c.pk, answer="adopted")
    with django_assert_max_num_queries(4):
        view = public_view(open_draft)
        assert sum(len(c.comments) for c in view["clauses"]) == 0  # no final text yet
    with django_assert_max_num_queries(3):
        rows = [
            (c.body, c.enterprise.name, c.clause.heading)
            for c in comments_for(user=office, draft=open_draft)
        ]
        assert len(rows) == 5
    assert draft_stats(open_draft).comments == 5
