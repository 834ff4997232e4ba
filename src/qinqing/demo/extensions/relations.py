"""Demo data of relations (关系图谱): families and holdings, planted conflicts, candidates.

- Every demo official and handler gets a Person linked to their account and a small family
  (spouse, children, a child's spouse, parents or siblings); some relatives hold shares in,
  direct or work for firms of the directory — a few hundred people in all.
- Planted conflicts the graph finds: 刘建国's son holds 15 % of a firm paired with him;
  赵敏 (海曙区市场监督管理局)'s husband directs a firm whose demand is open at her bureau;
  an extra official's son-in-law holds 30 % of one of his paired firms (already overridden
  with a reason). Each has its alert.
- Name variants waiting for a supervisor: traditional characters, a full-width space,
  pinyin and a one-character typo of planted relatives, with their own holdings.

Deterministic from the seed; written with ``bulk_create`` only.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.demo.context import DemoContext
from qinqing.integrity.relations import matching
from qinqing.integrity.relations.graph import find_conflicts
from qinqing.integrity.relations.models import (
    AlertState,
    CandidateState,
    ConflictAlert,
    FirmRelation,
    FirmRole,
    Kinship,
    MatchCandidate,
    Person,
    PersonRelation,
    Source,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢傅钟"  # noqa: E501
GIVEN_M = [
    "伟",
    "强",
    "磊",
    "军",
    "勇",
    "杰",
    "涛",
    "斌",
    "超",
    "明",
    "建华",
    "志强",
    "海波",
    "晓东",
    "国庆",
    "立新",
    "浩然",
    "宇航",
    "振宇",
    "俊杰",
]
GIVEN_F = [
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "艳",
    "娟",
    "霞",
    "燕",
    "玲",
    "秀英",
    "桂芳",
    "海燕",
    "晓红",
    "丽华",
    "雅琴",
    "梦洁",
    "欣怡",
    "佳怡",
    "雨萱",
]


class _Writer:
    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        self.rng = random.Random(f"{ctx.plan.seed}-relations")
        self.people: list[Person] = []
        self.kin: list[tuple[int, int, str]] = []  # indices into people
        self.firm_links: list[tuple[int, int, str, Decimal | None, str]] = []
        self.today = ctx.now.date()

    def person(self, name: str, gender: str, user_id: int | None = None, **kw: str) -> int:
        self.people.append(
            Person(
                name=name,
                name_key=matching.name_key(name),
                pinyin_key=matching.name_pinyin(name),
                gender=gender,
                user_id=user_id,
                source=kw.get("source", Source.DEMO),
                created_at=self.ctx.now,
            )
        )
        return len(self.people) - 1

    def name(self, gender: str, surname: str | None = None) -> str:
        given = GIVEN_M if gender == "m" else GIVEN_F
        return (surname or self.rng.choice(SURNAMES)) + self.rng.choice(given)

    def family(self, head: int, surname: str, gender: str) -> list[int]:
        """Spouse, one or two children (one married), and a parent or a sibling."""
        rng = self.rng
        members = []
        spouse = self.person(
            self.name("f" if gender == "m" else "m"), "f" if gender == "m" else "m"
        )
        self.kin.append((head, spouse, Kinship.SPOUSE))
        members.append(spouse)
        for i in range(rng.choice((1, 1, 2))):
            child_gender = rng.choice("mf")
            child = self.person(self.name(child_gender, surname), child_gender)
            self.kin.append((head, child, Kinship.CHILD))
            members.append(child)
            if i == 0 and rng.random() < 0.5:
                in_law_gender = "f" if child_gender == "m" else "m"
                in_law = self.person(self.name(in_law_gender), in_law_gender)
                self.kin.append((child, in_law, Kinship.SPOUSE))
                self.kin.append((head, in_law, Kinship.CHILD_SPOUSE))
                members.append(in_law)
        if rng.random() < 0.6:
            sibling_gender = rng.choice("mf")
            sibling = self.person(self.name(sibling_gender, surname), sibling_gender)
            self.kin.append((head, sibling, Kinship.SIBLING))
            members.append(sibling)
        return members


def _gender(display_name: str) -> str:
    return "f" if display_name[-1:] in "丽敏芳娜静艳娟霞燕玲悦华" else "m"


def write(ctx: DemoContext) -> dict[str, int]:
    """Bulk-write this app's demo rows; return counts by name for the load summary."""
    from qinqing.demands.models import Demand
    from qinqing.demands.workflow import OPEN_STATES

    w = _Writer(ctx)
    rng = w.rng
    rank: dict[str, int] = {Role.OFFICIAL: 0, Role.HANDLER: 1, Role.STEWARD: 2}
    first_role: dict[int, int] = {}
    for user_id, role in RoleAssignment.objects.filter(role__in=list(rank)).values_list(
        "user_id", "role"
    ):
        first_role[user_id] = min(first_role.get(user_id, 9), rank[role])
    staff = sorted(first_role, key=lambda u: (first_role[u], u))
    by_id = {u.pk: u for u in ctx.users.values()}
    heads: dict[str, int] = {}
    firms = sorted(ctx.firms.values(), key=lambda f: f.uscc)
    for user_id in staff[:120]:
        user = by_id.get(user_id)
        if user is None:
            continue
        name = user.display_name or user.username
        gender = _gender(name)
        head = w.person(name, gender, user_id=user.pk)
        heads[user.username] = head
        if user.username in ("liujianguo", "zhaomin"):
            continue  # their planted families follow
        for member in w.family(head, name[0], gender):
            roll = rng.random()
            if roll < 0.25:  # pragma: no branch — a random holding somewhere in the city
                firm = rng.choice(firms)
                pct = Decimal(rng.choice((5, 8, 10, 20, 35, 51)))
                w.firm_links.append((member, firm.pk, FirmRole.SHAREHOLDER, pct, ""))
            elif roll < 0.35:
                firm = rng.choice(firms)
                w.firm_links.append((member, firm.pk, FirmRole.EMPLOYEE, None, ""))
    # a few hundred more people: owners and managers of firms, unrelated to staff
    for firm in firms[: min(len(firms), 150)]:
        gender = rng.choice("mm f")
        gender = "f" if gender == "f" else "m"
        owner = w.person(w.name(gender), gender)
        w.firm_links.append((owner, firm.pk, FirmRole.LEGAL_REP, None, ""))
        w.firm_links.append(
            (owner, firm.pk, FirmRole.SHAREHOLDER, Decimal(rng.choice((40, 60, 100))), "")
        )
        if rng.random() < 0.4:
            manager = w.person(w.name("m"), "m")
            w.firm_links.append((manager, firm.pk, FirmRole.POSITION, None, "总经理"))

    # --- planted conflicts -------------------------------------------------------------------
    planted: list[tuple[str, list[int], str, str]] = []  # username, firm ids, context, reason
    liu_pairings = [p for p in ctx.plan.pairings if p.official == "liujianguo"]
    if "liujianguo" in heads and liu_pairings:
        liu = heads["liujianguo"]
        wife = w.person("陈美华", "f")
        son = w.person("刘晓东", "m")
        w.kin += [(liu, wife, Kinship.SPOUSE), (liu, son, Kinship.CHILD)]
        paired = ctx.firms[liu_pairings[0].firm]
        w.firm_links.append((son, paired.pk, FirmRole.SHAREHOLDER, Decimal(15), ""))
        planted.append(("liujianguo", [paired.pk], f"pairing:{paired.pk}", ""))
        # a traditional-character variant of the son, with a holding of his own
        variant = w.person("劉曉東", "m", source=Source.IMPORT)
        other = firms[7 % len(firms)]
        w.firm_links.append((variant, other.pk, FirmRole.LEGAL_REP, None, ""))
    department = ctx.departments.get(("330203", "海曙区市场监督管理局"))
    if "zhaomin" in heads and department is not None:
        zhao = heads["zhaomin"]
        husband = w.person("孙建华", "m")
        daughter = w.person("孙雨萱", "f")
        w.kin += [(zhao, husband, Kinship.SPOUSE), (zhao, daughter, Kinship.CHILD)]
        demand = (
            Demand.objects.filter(department=department, state__in=OPEN_STATES)
            .order_by("pk")
            .first()
        )
        if demand is not None:
            w.firm_links.append((husband, demand.enterprise_id, FirmRole.POSITION, None, "董事"))
            planted.append(("zhaomin", [demand.enterprise_id], f"demand:{demand.number}", ""))
        variant = w.person("孙　建华", "m", source=Source.IMPORT)  # full-width space
        w.firm_links.append(
            (variant, firms[11 % len(firms)].pk, FirmRole.SHAREHOLDER, Decimal(20), "")
        )
    for username, _title, _district, _count in [("official_330206", "", "", 0)]:
        pairings = [p for p in ctx.plan.pairings if p.official == username]
        if username in heads and pairings:
            head = heads[username]
            child = w.person("周静", "f")
            in_law = w.person("吴志强", "m")
            w.kin += [
                (head, child, Kinship.CHILD),
                (child, in_law, Kinship.SPOUSE),
                (head, in_law, Kinship.CHILD_SPOUSE),
            ]
            firm = ctx.firms[pairings[-1].firm]
            w.firm_links.append((in_law, firm.pk, FirmRole.SHAREHOLDER, Decimal(30), ""))
            planted.append(
                (
                    username,
                    [firm.pk],
                    f"pairing:{firm.pk}",
                    "结对早于女婿入股；已报区纪委备案，另行安排干部联系",
                )
            )
            variant = w.person("Wu Zhiqiang", "m", source=Source.IMPORT)
            w.firm_links.append(
                (variant, firms[13 % len(firms)].pk, FirmRole.POSITION, None, "监事")
            )
            typo = w.person("吴志墙", "m", source=Source.IMPORT)
            w.firm_links.append((typo, firms[17 % len(firms)].pk, FirmRole.EMPLOYEE, None, ""))

    # --- write -------------------------------------------------------------------------------
    people = Person.objects.bulk_create(w.people, batch_size=500)
    since = w.today - timedelta(days=365 * 3)
    PersonRelation.objects.bulk_create(
        [
            PersonRelation(
                from_person=people[a],
                to_person=people[b],
                kind=kind,
                valid_from=since if kind == Kinship.SPECIFIC else None,
                source=Source.DEMO,
                created_at=ctx.now,
            )
            for a, b, kind in dict.fromkeys(w.kin)
        ],
        batch_size=500,
    )
    seen: set[tuple[int, int, str]] = set()
    links = []
    for index, firm_id, kind, share, title in w.firm_links:
        if (index, firm_id, kind) in seen:
            continue
        seen.add((index, firm_id, kind))
        links.append(
            FirmRelation(
                person=people[index],
                enterprise_id=firm_id,
                kind=kind,
                percentage=share,
                title=title,
                valid_from=date(w.today.year - 2, 1, 1),
                source=Source.DEMO,
                created_at=ctx.now,
            )
        )
    FirmRelation.objects.bulk_create(links, batch_size=500)

    # candidates: each variant against the planted row it imitates (never merged)
    by_name = {p.name: p for p in people}
    pairs = [
        ("刘晓东", "劉曉東"),
        ("孙建华", "孙　建华"),
        ("吴志强", "Wu Zhiqiang"),
        ("吴志强", "吴志墙"),
    ]
    candidates = []
    for a, b in pairs:
        if a in by_name and b in by_name:
            score, reasons = matching.similar(a, b)
            left, right = sorted((by_name[a].pk, by_name[b].pk))
            candidates.append(
                MatchCandidate(
                    left_id=left,
                    right_id=right,
                    score=score,
                    reasons=reasons,
                    state=CandidateState.PENDING,
                    created_at=ctx.now,
                )
            )
    MatchCandidate.objects.bulk_create(candidates)

    # alerts of the planted conflicts, with the path the graph finds
    alerts = []
    for username, firm_ids, context, reason in planted:
        user = ctx.users[username]
        paths = find_conflicts(user=user, enterprise_ids=firm_ids, on=w.today)
        if not paths:
            continue
        firm = next(f for f in firms if f.pk == paths[0].enterprise_id)
        alerts.append(
            ConflictAlert(
                official=user,
                enterprise_id=firm.pk,
                path={"paths": [p.as_json() for p in paths]},
                description=paths[0].describe()[:1000],
                context=context,
                region_path=firm.grid.path if hasattr(firm, "grid") else "",
                state=AlertState.OVERRIDDEN if reason else AlertState.OPEN,
                reason=reason,
                decided_by=user if reason else None,
                decided_at=ctx.now - timedelta(days=20) if reason else None,
                created_at=ctx.now - timedelta(days=21 if reason else 1),
            )
        )
    ConflictAlert.objects.bulk_create(alerts)
    return {
        "relations.people": len(people),
        "relations.family": len(w.kin),
        "relations.firm_links": len(links),
        "relations.candidates": len(candidates),
        "relations.alerts": len(alerts),
    }
