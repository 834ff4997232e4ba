"""find_conflicts: planted paths are found with readable labels; nothing without a path."""

from __future__ import annotations

import datetime as dt
from collections import deque
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.integrity.relations.models import (
    FirmRelation,
    FirmRole,
    Kinship,
    Person,
    PersonRelation,
    Source,
)
from qinqing.integrity.relations.selectors import find_conflicts
from qinqing.integrity.relations.services import person_create, relation_create, relation_end

from ...factories import EnterpriseFactory, UserFactory
from .conftest import Family


def test_the_son_in_law_holding_30_percent_is_found_with_the_path(family: Family) -> None:
    firm = family.cases.world.firm_a
    [path] = find_conflicts(user=family.cases.handler, enterprise_ids=[firm.pk])
    assert path.enterprise_id == firm.pk
    assert path.length == 3
    assert path.describe() == "赵敏 —女儿→ 赵小敏 —丈夫→ 王强 —持股30%→ 宁波甲模具有限公司"
    assert [label for label, _rel in path.steps] == ["赵敏", "赵小敏", "王强", "宁波甲模具有限公司"]


def test_a_declared_son_in_law_reads_as_such(family: Family) -> None:
    other = person_create(actor=family.supervisor, name="李四", gender="m")
    relation_create(
        actor=family.supervisor,
        from_person_id=family.official.pk,
        kind="child_spouse",
        to_person_id=other.pk,
    )
    firm = family.cases.world.firm_b
    relation_create(
        actor=family.supervisor,
        from_person_id=other.pk,
        kind="shareholder",
        enterprise_id=firm.pk,
        percentage="30",
    )
    [path] = find_conflicts(user=family.cases.handler, enterprise_ids=[firm.pk])
    assert path.describe() == "赵敏 —女婿→ 李四 —持股30%→ 宁波乙机械有限公司"
    assert path.length == 2


def test_a_firm_beyond_the_hop_limit_is_not_a_conflict(family: Family) -> None:
    firm = family.cases.world.firm_a
    assert find_conflicts(user=family.cases.handler, enterprise_ids=[firm.pk], max_hops=2) == []


def test_an_ended_relation_is_not_followed(family: Family) -> None:
    firm = family.cases.world.firm_a
    holding = FirmRelation.objects.get(person=family.son_in_law)
    relation_end(
        actor=family.supervisor, relation_id=holding.pk, firm=True, valid_to=dt.date(2020, 1, 1)
    )
    assert find_conflicts(user=family.cases.handler, enterprise_ids=[firm.pk]) == []


def test_no_path_no_conflict(family: Family) -> None:
    world = family.cases.world
    assert find_conflicts(user=family.cases.handler, enterprise_ids=[world.firm_other.pk]) == []
    assert find_conflicts(user=world.users["official"], enterprise_ids=[world.firm_a.pk]) == []


def test_a_path_to_another_user_through_a_shared_firm(family: Family) -> None:
    partner_user = UserFactory(username="partner", display_name="孙合伙")
    partner = person_create(actor=family.supervisor, name="孙合伙", user=partner_user)
    relation_create(
        actor=family.supervisor,
        from_person_id=partner.pk,
        kind="position",
        enterprise_id=family.cases.world.firm_a.pk,
        title="董事",
    )
    [path] = find_conflicts(user=family.cases.handler, user_ids=[partner_user.pk], max_hops=4)
    assert path.user_id == partner_user.pk
    assert path.describe().endswith("宁波甲模具有限公司 —董事→ 孙合伙")
    assert path.length == 4


def test_employees_of_the_same_firm_are_not_linked_through_it(family: Family) -> None:
    worker_user = UserFactory(username="worker")
    worker = person_create(actor=family.supervisor, name="周工", user=worker_user)
    relation_create(
        actor=family.supervisor,
        from_person_id=worker.pk,
        kind="employee",
        enterprise_id=family.cases.world.firm_a.pk,
    )
    assert find_conflicts(user=family.cases.handler, user_ids=[worker_user.pk], max_hops=5) == []


def test_the_search_costs_the_same_queries_whatever_the_graph_size(
    family: Family, django_assert_max_num_queries: Any
) -> None:
    firms = [EnterpriseFactory(grid=family.cases.world.grid_a) for _ in range(5)]
    people = Person.objects.bulk_create(
        Person(name=f"亲属{i}", name_key=f"亲属{i}", source=Source.DEMO) for i in range(40)
    )
    PersonRelation.objects.bulk_create(
        PersonRelation(
            from_person=family.son_in_law if i < 20 else people[i - 20],
            to_person=people[i],
            kind=Kinship.SIBLING,
            source=Source.DEMO,
        )
        for i in range(40)
        if i != 20
    )
    FirmRelation.objects.bulk_create(
        FirmRelation(
            person=p, enterprise=firms[i % 5], kind=FirmRole.SHAREHOLDER, percentage=Decimal(5)
        )
        for i, p in enumerate(people)
    )
    # 1 start + 1 same_as + 2 per hop × 5 hops
    with django_assert_max_num_queries(12):
        paths = find_conflicts(
            user=family.cases.handler, enterprise_ids=[f.pk for f in firms], max_hops=5
        )
    assert {p.enterprise_id for p in paths} == {f.pk for f in firms}


# --- property: the search agrees with a plain BFS on random tiny graphs -----------------------
N_PEOPLE, N_FIRMS = 6, 3
person_edges = st.lists(
    st.tuples(
        st.integers(0, N_PEOPLE - 1),
        st.integers(0, N_PEOPLE - 1),
        st.sampled_from(["spouse", "child", "sibling", "specific"]),
    ).filter(lambda e: e[0] != e[1]),
    max_size=8,
    unique_by=lambda e: (e[0], e[1], e[2]),
)
firm_edges = st.lists(
    st.tuples(
        st.integers(0, N_PEOPLE - 1),
        st.integers(0, N_FIRMS - 1),
        st.sampled_from(["shareholder", "position", "employee", "legal_rep"]),
    ),
    max_size=6,
    unique_by=lambda e: (e[0], e[1], e[2]),
)


def reference_lengths(
    people_edges: list[tuple[int, int, str]],
    firm_links: list[tuple[int, int, str]],
    max_hops: int,
) -> dict[tuple[str, int], int]:
    adjacent: dict[tuple[str, int], set[tuple[str, int]]] = {}
    for a, b, _kind in people_edges:
        adjacent.setdefault(("p", a), set()).add(("p", b))
        adjacent.setdefault(("p", b), set()).add(("p", a))
    for p, f, kind in firm_links:
        adjacent.setdefault(("p", p), set()).add(("f", f))
        if kind != "employee":
            adjacent.setdefault(("f", f), set()).add(("p", p))
    dist = {("p", 0): 0}
    queue = deque([("p", 0)])
    while queue:
        node = queue.popleft()
        if dist[node] == max_hops:
            continue
        for nxt in adjacent.get(node, ()):
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people_edges=person_edges, firm_links=firm_edges, max_hops=st.integers(1, 4))
def test_find_conflicts_agrees_with_a_reference_bfs(
    world: Any,
    people_edges: list[tuple[int, int, str]],
    firm_links: list[tuple[int, int, str]],
    max_hops: int,
) -> None:
    with transaction.atomic():
        users = [UserFactory() for _ in range(N_PEOPLE)]
        people = Person.objects.bulk_create(
            Person(name=f"人{i}", name_key=f"人{i}", user=users[i], source=Source.DEMO)
            for i in range(N_PEOPLE)
        )
        firms = [EnterpriseFactory(grid=world.grid_a) for _ in range(N_FIRMS)]
        PersonRelation.objects.bulk_create(
            PersonRelation(from_person=people[a], to_person=people[b], kind=k, source=Source.DEMO)
            for a, b, k in people_edges
        )
        FirmRelation.objects.bulk_create(
            FirmRelation(
                person=people[p],
                enterprise=firms[f],
                kind=k,
                percentage=Decimal(10) if k == "shareholder" else None,
                source=Source.DEMO,
            )
            for p, f, k in firm_links
        )
        paths = find_conflicts(
            user=users[0],
            enterprise_ids=[f.pk for f in firms],
            user_ids=[u.pk for u in users[1:]],
            max_hops=max_hops,
        )
        expected = reference_lengths(people_edges, firm_links, max_hops)
        found = {}
        for path in paths:
            if path.enterprise_id is not None:
                found[("f", [f.pk for f in firms].index(path.enterprise_id))] = path.length
            else:
                found[("p", [u.pk for u in users].index(path.user_id))] = path.length
            assert len(path.relations) == len(path.nodes) - 1 == path.length
        expected.pop(("p", 0))
        assert found == expected
        transaction.set_rollback(True)
