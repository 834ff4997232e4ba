"""Breadth-first search over the conflict graph, level by level.

Every hop costs a fixed number of queries, whatever the size of the frontier: one for the
person–person relations touching the frontier and one for the person–firm relations
touching it. ``same_as`` links (confirmed by a supervisor) are loaded once up front and
cost no hop: a person and the rows confirmed to be the same human are one node.

Edges are followed in both directions. A firm leads on to the people who control it
(shareholders, officers, legal representative) but not to its ordinary employees, so one
large employer does not connect everybody who works there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qinqing.common.workdays import SHANGHAI

from .models import FirmRelation, FirmRole, Kinship, Person, PersonRelation

PERSON = "person"
FIRM = "enterprise"
Node = tuple[str, int]


@dataclass(frozen=True)
class PathNode:
    kind: str  # "person" | "enterprise"
    id: int
    label: str


@dataclass(frozen=True)
class ConflictPath:
    """A chain from the official to a firm or to another person, with readable labels."""

    nodes: tuple[PathNode, ...]
    relations: tuple[str, ...]  # len(nodes) - 1 labels, read left to right
    length: int  # hops, not counting "same person" links
    enterprise_id: int | None = None
    user_id: int | None = None

    @property
    def steps(self) -> list[tuple[str, str]]:
        """(node label, label of the relation to the next node; "" for the last)."""
        return [
            (n.label, self.relations[i] if i < len(self.relations) else "")
            for i, n in enumerate(self.nodes)
        ]

    def describe(self) -> str:
        parts = [self.nodes[0].label]
        for relation, node in zip(self.relations, self.nodes[1:], strict=True):
            parts.append(f"—{relation}→ {node.label}")
        return " ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "nodes": [{"kind": n.kind, "id": n.id, "label": n.label} for n in self.nodes],
            "relations": list(self.relations),
            "length": self.length,
            "enterprise_id": self.enterprise_id,
            "user_id": self.user_id,
            "text": self.describe(),
        }


# --- labels ---------------------------------------------------------------------------------
_FORWARD = {  # B is A's <kind>; the label depends on B's gender
    Kinship.SPOUSE: (gettext_noop("丈夫"), gettext_noop("妻子"), gettext_noop("配偶")),
    Kinship.CHILD: (gettext_noop("儿子"), gettext_noop("女儿"), gettext_noop("子女")),
    Kinship.CHILD_SPOUSE: (gettext_noop("女婿"), gettext_noop("儿媳"), gettext_noop("子女配偶")),
    Kinship.PARENT: (gettext_noop("父亲"), gettext_noop("母亲"), gettext_noop("父母")),
    Kinship.SIBLING: (gettext_noop("兄弟"), gettext_noop("姐妹"), gettext_noop("兄弟姐妹")),
    Kinship.SPECIFIC: (
        gettext_noop("特定关系人"),
        gettext_noop("特定关系人"),
        gettext_noop("特定关系人"),
    ),
    Kinship.SAME_AS: (gettext_noop("同一人"), gettext_noop("同一人"), gettext_noop("同一人")),
}
_BACKWARD = {  # walking B → A: A is B's <…>; the label depends on A's gender
    Kinship.SPOUSE: (gettext_noop("丈夫"), gettext_noop("妻子"), gettext_noop("配偶")),
    Kinship.CHILD: (gettext_noop("父亲"), gettext_noop("母亲"), gettext_noop("父母")),
    Kinship.CHILD_SPOUSE: (
        gettext_noop("配偶的父亲"),
        gettext_noop("配偶的母亲"),
        gettext_noop("配偶的父母"),
    ),
    Kinship.PARENT: (gettext_noop("儿子"), gettext_noop("女儿"), gettext_noop("子女")),
    Kinship.SIBLING: (gettext_noop("兄弟"), gettext_noop("姐妹"), gettext_noop("兄弟姐妹")),
    Kinship.SPECIFIC: (
        gettext_noop("特定关系人"),
        gettext_noop("特定关系人"),
        gettext_noop("特定关系人"),
    ),
    Kinship.SAME_AS: (gettext_noop("同一人"), gettext_noop("同一人"), gettext_noop("同一人")),
}


def kin_label(kind: str, gender: str, *, backward: bool = False) -> str:
    table = _BACKWARD if backward else _FORWARD
    male, female, neutral = table.get(kind, (kind, kind, kind))  # type: ignore[call-overload]
    return _(male) if gender == "m" else _(female) if gender == "f" else _(neutral)


def percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}%"


def firm_label(kind: str, pct: Decimal | None, title: str, *, backward: bool = False) -> str:
    """person → firm (forward) or firm → person (backward)."""
    if kind == FirmRole.SHAREHOLDER:
        return (_("股东%(p)s") if backward else _("持股%(p)s")) % {"p": percent(pct)}
    if kind == FirmRole.POSITION:
        return title or (_("高管") if backward else _("任职"))
    if kind == FirmRole.LEGAL_REP:
        return _("法定代表人")
    return _("员工") if backward else _("受雇")


# --- the search -----------------------------------------------------------------------------
def active_on(day: dt.date) -> Q:
    """In force on ``day``: begun on or before it, not yet ended (the end date is the first
    day the relation no longer holds)."""
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )


@dataclass
class _Search:
    day: dt.date
    labels: dict[Node, str] = field(default_factory=dict)
    parent: dict[Node, tuple[Node, str, bool] | None] = field(default_factory=dict)
    same_as: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)

    def load_same_as(self) -> None:
        rows = (
            PersonRelation.objects.filter(active_on(self.day), kind=Kinship.SAME_AS)
            .order_by("pk")
            .values_list("from_person_id", "to_person_id", "from_person__name", "to_person__name")
        )
        for a, b, name_a, name_b in rows:
            self.same_as.setdefault(a, []).append((b, name_b, name_a))
            self.same_as.setdefault(b, []).append((a, name_a, name_b))

    def visit(self, node: Node, label: str, via: tuple[Node, str, bool] | None) -> list[Node]:
        """Mark ``node`` reached (first time only) and everything ``same_as`` it."""
        if node in self.parent:
            return []
        self.parent[node] = via
        self.labels[node] = label
        reached = [node]
        if node[0] == PERSON:
            stack = [node]
            while stack:
                current = stack.pop()
                for other, other_name, _name in self.same_as.get(current[1], []):
                    other_node = (PERSON, other)
                    if other_node not in self.parent:
                        self.parent[other_node] = (current, _("同一人"), True)
                        self.labels[other_node] = other_name
                        reached.append(other_node)
                        stack.append(other_node)
        return reached

    def path_to(
        self, node: Node, *, enterprise_id: int | None, user_id: int | None
    ) -> ConflictPath:
        nodes: list[PathNode] = []
        relations: list[str] = []
        length = 0
        current: Node | None = node
        while current is not None:
            nodes.append(PathNode(kind=current[0], id=current[1], label=self.labels[current]))
            via = self.parent[current]
            if via is None:
                break
            previous, label, same = via
            relations.append(label)
            length += 0 if same else 1
            current = previous
        nodes.reverse()
        relations.reverse()
        return ConflictPath(
            nodes=tuple(nodes),
            relations=tuple(relations),
            length=length,
            enterprise_id=enterprise_id,
            user_id=user_id,
        )


def find_conflicts(
    *,
    user: Any,
    enterprise_ids: Iterable[int] = (),
    user_ids: Iterable[int] = (),
    max_hops: int = 3,
    on: dt.date | None = None,
) -> list[ConflictPath]:
    """Shortest paths (≤ ``max_hops`` relations) from ``user``'s person to each of the firms
    and to each of the other users' persons, through relations in force on ``on`` (today).

    Queries: 1 (the official's person) + 1 (the other users' persons, if any) + 1
    (``same_as`` links) + 2 per hop. Nothing is read per node.
    """
    firms = {int(e) for e in enterprise_ids}
    others = {int(u) for u in user_ids} - {getattr(user, "pk", None)}
    if getattr(user, "pk", None) is None or not (firms or others) or max_hops < 1:
        return []
    start = list(Person.objects.filter(user_id=user.pk).values_list("pk", "name"))
    if not start:
        return []
    target_people: dict[int, int] = {}
    if others:
        target_people = dict(Person.objects.filter(user_id__in=others).values_list("pk", "user_id"))
    search = _Search(day=on or timezone.now().astimezone(SHANGHAI).date())
    search.load_same_as()
    frontier: list[Node] = []
    for pk, name in start:
        frontier += search.visit((PERSON, pk), name, None)
    for _hop in range(max_hops):
        people = {n[1] for n in frontier if n[0] == PERSON}
        companies = {n[1] for n in frontier if n[0] == FIRM}
        reached: list[Node] = []
        if people:
            rows = (
                PersonRelation.objects.filter(
                    Q(from_person_id__in=people) | Q(to_person_id__in=people),
                    active_on(search.day),
                )
                .exclude(kind=Kinship.SAME_AS)
                .order_by("pk")
                .values_list(
                    "from_person_id",
                    "to_person_id",
                    "kind",
                    "from_person__name",
                    "from_person__gender",
                    "to_person__name",
                    "to_person__gender",
                )
            )
            for a, b, kind, name_a, gender_a, name_b, gender_b in rows:
                if a in people:
                    label = kin_label(kind, gender_b)
                    reached += search.visit((PERSON, b), name_b, ((PERSON, a), label, False))
                if b in people:
                    label = kin_label(kind, gender_a, backward=True)
                    reached += search.visit((PERSON, a), name_a, ((PERSON, b), label, False))
        if people or companies:
            condition = Q(person_id__in=people) if people else Q(pk__in=[])
            if companies:
                condition |= Q(enterprise_id__in=companies) & ~Q(kind=FirmRole.EMPLOYEE)
            firm_rows = (
                FirmRelation.objects.filter(condition, active_on(search.day))
                .order_by("pk")
                .values_list(
                    "person_id",
                    "enterprise_id",
                    "kind",
                    "percentage",
                    "title",
                    "person__name",
                    "enterprise__name",
                )
            )
            for person_id, firm_id, kind, pct, title, person_name, firm_name in firm_rows:
                if person_id in people:
                    label = firm_label(kind, pct, title)
                    reached += search.visit(
                        (FIRM, firm_id), firm_name, ((PERSON, person_id), label, False)
                    )
                if firm_id in companies and kind != FirmRole.EMPLOYEE:
                    label = firm_label(kind, pct, title, backward=True)
                    reached += search.visit(
                        (PERSON, person_id), person_name, ((FIRM, firm_id), label, False)
                    )
        if not reached:
            break
        frontier = reached
    paths = [
        search.path_to((FIRM, f), enterprise_id=f, user_id=None)
        for f in sorted(firms)
        if (FIRM, f) in search.parent
    ]
    start_ids = {pk for pk, _name in start}
    paths += [
        search.path_to((PERSON, p), enterprise_id=None, user_id=u)
        for p, u in sorted(target_people.items())
        if (PERSON, p) in search.parent and p not in start_ids
    ]
    return sorted(paths, key=lambda p: (p.length, len(p.nodes), p.describe()))


@dataclass(frozen=True)
class Edge:
    a: Node
    b: Node
    label: str


def neighbourhood(
    person_id: int, *, hops: int = 2, on: dt.date | None = None, limit: int = 40
) -> tuple[dict[Node, tuple[str, int]], list[Edge]]:
    """Nodes (label, ring) and edges around a person, for the picture on the person page.
    Two queries per ring; at most ``limit`` nodes."""
    day = on or timezone.now().astimezone(SHANGHAI).date()
    start = Person.objects.filter(pk=person_id).values_list("pk", "name").first()
    if start is None:
        return {}, []
    nodes: dict[Node, tuple[str, int]] = {(PERSON, start[0]): (start[1], 0)}
    edges: list[Edge] = []
    frontier: list[Node] = [(PERSON, start[0])]
    for ring in range(1, hops + 1):
        people = {n[1] for n in frontier if n[0] == PERSON}
        companies = {n[1] for n in frontier if n[0] == FIRM}
        reached: list[Node] = []

        def add(
            node: Node, label: str, edge: Edge, ring: int = ring, reached: list[Node] = reached
        ) -> None:
            if node not in nodes:
                if len(nodes) >= limit:
                    return
                nodes[node] = (label, ring)
                reached.append(node)
            edges.append(edge)

        if people:
            for a, b, kind, gender_b, name_a, name_b in (
                PersonRelation.objects.filter(
                    Q(from_person_id__in=people) | Q(to_person_id__in=people), active_on(day)
                )
                .order_by("pk")
                .values_list(
                    "from_person_id",
                    "to_person_id",
                    "kind",
                    "to_person__gender",
                    "from_person__name",
                    "to_person__name",
                )
            ):
                edge = Edge((PERSON, a), (PERSON, b), kin_label(kind, gender_b))
                if a in people:
                    add((PERSON, b), name_b, edge)
                if b in people:
                    add((PERSON, a), name_a, edge)
        condition = Q(person_id__in=people) | Q(enterprise_id__in=companies)
        for pid, fid, kind, pct, title, pname, fname in (
            FirmRelation.objects.filter(condition, active_on(day))
            .order_by("pk")
            .values_list(
                "person_id",
                "enterprise_id",
                "kind",
                "percentage",
                "title",
                "person__name",
                "enterprise__name",
            )
        ):
            edge = Edge((PERSON, pid), (FIRM, fid), firm_label(kind, pct, title))
            if pid in people:
                add((FIRM, fid), fname, edge)
            if fid in companies:
                add((PERSON, pid), pname, edge)
        frontier = reached
    unique = {(e.a, e.b, e.label): e for e in edges if e.a in nodes and e.b in nodes}
    return nodes, list(unique.values())
