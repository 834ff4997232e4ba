"""Name variants become candidates for a supervisor, never merges."""

from __future__ import annotations

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import NotPermitted
from qinqing.integrity.relations import matching
from qinqing.integrity.relations.models import (
    CandidateState,
    Kinship,
    MatchCandidate,
    Person,
    PersonRelation,
)
from qinqing.integrity.relations.selectors import find_conflicts
from qinqing.integrity.relations.services import candidate_decide, person_create, relation_create

from ...conftest import World
from .conftest import Family


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        ("王強", "normalised_name"),  # traditional
        ("王　强", "normalised_name"),  # full-width space
        ("ＷＡＮＧ强", None),
        ("Wang Qiang", "same_pinyin"),
        ("汪强", "same_pinyin"),
    ],
)
def test_name_variants_are_similar(variant: str, reason: str | None) -> None:
    score, reasons = matching.similar("王强", variant)
    if reason is None:
        assert score == 0 or reasons
    else:
        assert reason in reasons and score >= 60


def test_one_typo_counts_only_for_names_of_three_characters() -> None:
    assert matching.similar("欧阳建国", "欧阳建图")[1] == ["one_character_apart"]
    assert matching.similar("张三", "张四") == (0, [])
    assert matching.similar("阿卜杜·热合曼", "阿卜杜热合曼")[1] == ["normalised_name"]


@pytest.mark.parametrize("variant", ["王強", "王 强", "Wang Qiang", "汪强"])
def test_a_variant_becomes_a_candidate_and_is_not_merged(family: Family, variant: str) -> None:
    imported = person_create(actor=family.supervisor, name=variant)
    candidate = MatchCandidate.objects.get(
        left_id=min(imported.pk, family.son_in_law.pk),
        right_id=max(imported.pk, family.son_in_law.pk),
    )
    assert candidate.state == CandidateState.PENDING
    assert Person.objects.filter(pk=imported.pk).exists()
    assert not PersonRelation.objects.filter(kind=Kinship.SAME_AS).exists()


def test_different_id_numbers_are_never_candidates(world: World) -> None:
    supervisor = world.users["supervisor"]
    person_create(actor=supervisor, name="陈刚", id_number=matching.make_id("33020319800101123"))
    person_create(actor=supervisor, name="陈刚", id_number=matching.make_id("33020319810101123"))
    assert not MatchCandidate.objects.exists()


def test_a_confirmed_candidate_is_followed_by_the_search(family: Family) -> None:
    world = family.cases.world
    imported = person_create(actor=family.supervisor, name="王強")
    relation_create(
        actor=family.supervisor,
        from_person_id=imported.pk,
        kind="legal_rep",
        enterprise_id=world.firm_b.pk,
    )
    assert find_conflicts(user=family.cases.handler, enterprise_ids=[world.firm_b.pk]) == []
    candidate = MatchCandidate.objects.get(
        state=CandidateState.PENDING,
        left__name__in=["王强", "王強"],
        right__name__in=["王强", "王強"],
    )
    with pytest.raises(NotPermitted):
        candidate_decide(actor=world.users["system_admin"], candidate_id=candidate.pk, confirm=True)
    candidate_decide(actor=family.supervisor, candidate_id=candidate.pk, confirm=True)
    [path] = find_conflicts(user=family.cases.handler, enterprise_ids=[world.firm_b.pk])
    assert (
        path.describe()
        == "赵敏 —女儿→ 赵小敏 —丈夫→ 王强 —同一人→ 王強 —法定代表人→ 宁波乙机械有限公司"
    )
    assert path.length == 3
    assert AuditEntry.objects.filter(action="relations.candidate_confirm").exists()


def test_a_rejected_candidate_links_nothing(family: Family) -> None:
    imported = person_create(actor=family.supervisor, name="王強")
    candidate = MatchCandidate.objects.get(
        left_id__in=[imported.pk, family.son_in_law.pk],
        right_id__in=[imported.pk, family.son_in_law.pk],
    )
    candidate_decide(actor=family.supervisor, candidate_id=candidate.pk, confirm=False)
    assert not PersonRelation.objects.filter(kind=Kinship.SAME_AS).exists()
