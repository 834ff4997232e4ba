"""People and relations: who may maintain, who may declare, ID numbers exact."""

from __future__ import annotations

import pytest

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.integrity.relations import matching
from qinqing.integrity.relations.models import Person, Source
from qinqing.integrity.relations.selectors import people_visible_to
from qinqing.integrity.relations.services import own_person, person_create, relation_create

from ...conftest import World

GOOD_ID = matching.make_id("33020319800101123")


def test_the_check_digit_of_an_id_number_is_validated() -> None:
    assert matching.valid_id("11010519491231002X")
    assert matching.valid_id("１１０１０５１９４９１２３１００２ｘ")  # full width, lower case
    assert not matching.valid_id("110105194912310021")
    assert not matching.valid_id("11010519491331002X")  # month 13
    assert not matching.valid_id("1101051949123100")


def test_id_numbers_are_stored_only_as_hash_and_last_four(world: World) -> None:
    person = person_create(actor=world.users["supervisor"], name="陈刚", id_number=GOOD_ID)
    assert person.id_last4 == GOOD_ID[-4:]
    assert person.id_hash and GOOD_ID not in person.id_hash
    assert GOOD_ID not in str(AuditEntry.objects.filter(action="relations.person_create").values())


def test_the_same_id_number_cannot_be_registered_twice(world: World) -> None:
    person_create(actor=world.users["supervisor"], name="陈刚", id_number=GOOD_ID)
    with pytest.raises(Conflict):
        person_create(actor=world.users["supervisor"], name="陳剛", id_number=GOOD_ID.lower())


def test_a_bad_id_number_is_refused_next_to_the_field(world: World) -> None:
    with pytest.raises(ServiceError) as error:
        person_create(actor=world.users["supervisor"], name="陈刚", id_number=GOOD_ID[:-1] + "2")
    assert "id_number" in error.value.field_errors


@pytest.mark.parametrize("role", ["enterprise", "steward", "observer", "coordinator", "chamber"])
def test_others_cannot_register_people(world: World, role: str) -> None:
    with pytest.raises(NotPermitted):
        person_create(actor=world.users[role], name="陈刚")


def test_a_system_admin_maintains_the_graph(world: World) -> None:
    person = person_create(actor=world.users["system_admin"], name="陈刚")
    assert person.source == Source.MANUAL


def test_an_official_declares_a_spouse_and_her_shares(world: World) -> None:
    official = world.users["official"]
    me = own_person(actor=official)
    spouse = person_create(actor=official, name="王芳", gender="f")
    assert spouse.source == Source.DECLARED
    relation_create(actor=official, from_person_id=me.pk, kind="spouse", to_person_id=spouse.pk)
    relation_create(
        actor=official,
        from_person_id=spouse.pk,
        kind="shareholder",
        enterprise_id=world.firm_b.pk,
        percentage="12.5%",
    )
    assert set(people_visible_to(official)) == {me, spouse}
    assert (
        AuditEntry.objects.filter(action="relations.relation_create", actor_id=official.pk).count()
        == 2
    )


def test_an_official_cannot_touch_someone_elses_people(world: World) -> None:
    stranger = person_create(actor=world.users["supervisor"], name="陌生人")
    official = world.users["official"]
    me = own_person(actor=official)
    with pytest.raises(NotPermitted):
        relation_create(
            actor=official,
            from_person_id=stranger.pk,
            kind="shareholder",
            enterprise_id=world.firm_a.pk,
            percentage=5,
        )
    with pytest.raises(ServiceError):
        relation_create(
            actor=official, from_person_id=me.pk, kind="spouse", to_person_id=stranger.pk
        )
    assert stranger not in people_visible_to(official)
    with pytest.raises(NotPermitted):
        person_create(actor=official, name="某人", user=world.users["steward"])


def test_a_shareholding_needs_a_percentage_in_range(world: World) -> None:
    person = person_create(actor=world.users["supervisor"], name="陈刚")
    for bad in (None, "0", "101", "三成"):
        with pytest.raises(ServiceError) as error:
            relation_create(
                actor=world.users["supervisor"],
                from_person_id=person.pk,
                kind="shareholder",
                enterprise_id=world.firm_a.pk,
                percentage=bad,
            )
        assert "percentage" in error.value.field_errors
    assert Person.objects.count() == 1
