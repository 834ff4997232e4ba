"""Demo data of integrity (廉情监督): the sample lists, contact filings by the demo officials over
the whole history (every other week since ``history.history_start``) (a handful flagged:
ceremonies needing approval, a firm-paid lunch prohibited, one gift handed in) and 20+
recognised clean enterprises. Bulk, deterministic from the seed."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.common.workdays import SHANGHAI
from qinqing.demo.context import DemoContext
from qinqing.demo.history import history_start
from qinqing.directory.models import Enterprise, Pairing

OFFICIALS = ("liujianguo", "official_330206", "official_330213")
#: (kind, place kind, payer, amount, headcount, purpose) of ordinary, allowed contacts
ORDINARY = [
    ("site_visit", "firm", "none", "0", 1, "走访企业，了解订单和用工情况"),
    ("meeting", "office", "none", "0", 1, "听取企业扩产用地诉求"),
    ("site_visit", "firm", "none", "0", 1, "现场协调企业用电增容"),
    ("meeting", "public", "none", "0", 1, "参加商会组织的政企恳谈会"),
    ("meal", "restaurant", "government", "240", 4, "项目洽谈后按标准用工作餐"),
]


def _rng(ctx: DemoContext) -> random.Random:
    return random.Random(f"qinqing-demo-integrity:{ctx.plan.seed}")


def _load_lists() -> int:
    from qinqing.integrity.management.commands.conduct import SAMPLE_FILES, SAMPLES
    from qinqing.integrity.services import conduct_load, read_list_file

    created = 0
    for name in SAMPLE_FILES:
        data = read_list_file(SAMPLES / name)
        result = conduct_load(actor=None, data=data, source_name=name)
        created += result.created + result.criteria
    return created


def _filings(ctx: DemoContext, rng: random.Random) -> dict[str, int]:
    from qinqing.integrity.models import Filing, FilingMatch, Gift, Outcome
    from qinqing.integrity.services import STATUS_OF, facts_of, per_person, screen

    today = ctx.now.astimezone(SHANGHAI).date()
    officials = [ctx.users[u] for u in OFFICIALS if u in ctx.users]
    regions = {
        a.user_id: a.region
        for a in RoleAssignment.objects.filter(
            user__in=officials, role=Role.OFFICIAL, region__isnull=False
        ).select_related("region")
    }
    weeks = (today - history_start(today)).days // 7
    paired: dict[int, list[int]] = {}
    for p in Pairing.objects.filter(official__in=officials).order_by("pk"):
        paired.setdefault(p.official_id, []).append(p.enterprise_id)
    supervisor = ctx.users.get("sunyue")
    plans: list[tuple[Any, dict[str, Any], list[dict[str, Any]], list[int]]] = []
    for official in officials:
        firms = paired.get(official.pk, [])
        if not firms or official.pk not in regions:
            continue
        for week in range(0, weeks, 2):
            day = today - timedelta(days=7 * week + rng.randint(1, 6))
            kind, place_kind, payer, amount, heads, purpose = rng.choice(ORDINARY)
            plans.append(
                (
                    official,
                    {
                        "timing": "after",
                        "kind": kind,
                        "place_kind": place_kind,
                        "payer": payer,
                        "amount": Decimal(amount),
                        "headcount": heads,
                        "contact_date": day,
                        "place": "企业厂区" if place_kind == "firm" else "区政府会议室",
                        "purpose": purpose,
                    },
                    [],
                    [rng.choice(firms)],
                )
            )
    liu = ctx.users.get("liujianguo")
    if liu is not None and paired.get(liu.pk):
        firms = paired[liu.pk]
        flagged = [
            ("event", "firm", "none", "0", 1, "出席企业成立20周年庆典", 40, "before"),
            ("event", "firm", "none", "0", 1, "出席企业新厂房竣工投产仪式", 120, "before"),
            ("travel", "public", "government", "1800", 2, "随企业赴深圳考察学习", 200, "before"),
            (
                "meal",
                "restaurant",
                "firm",
                "640",
                4,
                "企业负责人安排的午餐（已退还餐费）",
                75,
                "after",
            ),
            ("gift", "firm", "none", "0", 1, "企业周年庆赠送纪念品", 38, "after"),
        ]
        for i, (kind, pk, payer, amount, heads, purpose, back, timing) in enumerate(flagged):
            gifts = []
            day = today - timedelta(days=back)
            if kind == "gift":
                gifts = [
                    {
                        "description": "茶叶礼盒",
                        "value": Decimal("880"),
                        "handling": "handed_in",
                        "handed_in_to": "海曙区纪委监委廉政账户",
                        "handed_in_on": day + timedelta(days=2),
                    }
                ]
            plans.append(
                (
                    liu,
                    {
                        "timing": timing,
                        "kind": kind,
                        "place_kind": pk,
                        "payer": payer,
                        "amount": Decimal(amount),
                        "headcount": heads,
                        "contact_date": day,
                        "place": "企业厂区" if pk == "firm" else "宁波市区",
                        "purpose": purpose,
                    },
                    gifts,
                    [firms[i % len(firms)]],
                )
            )
    rows: list[Filing] = []
    matches_of: list[list[Any]] = []
    for official, values, gifts, _firms in plans:
        facts = facts_of(
            timing=values["timing"],
            kind=values["kind"],
            place_kind=values["place_kind"],
            payer=values["payer"],
            amount=values["amount"],
            headcount=values["headcount"],
            contact_date=values["contact_date"],
            filed_on=values["contact_date"]
            + timedelta(days=1 if values["timing"] == "after" else 0),
            gifts=gifts,
        )
        result = screen(facts, on=values["contact_date"])
        status = str(STATUS_OF[Outcome(result.outcome)])
        decided: dict[str, Any] = {}
        if status == "pending" and supervisor is not None and values["contact_date"] < today:
            status = "approved"
            decided = {
                "decided_by": supervisor,
                "decided_at": datetime.combine(
                    values["contact_date"] - timedelta(days=3), time(10), tzinfo=SHANGHAI
                ),
                "decision_reason": "同意，注意不得接受宴请和礼品",
            }
        rows.append(
            Filing(
                number=f"demo-{len(rows)}",
                filer=official,
                region=regions[official.pk],
                amount_per_person=per_person(values["amount"], values["headcount"]),
                outcome=result.outcome,
                status=status,
                **values,
                **decided,
            )
        )
        matches_of.append(result.matches)
    created = Filing.objects.bulk_create(rows, batch_size=500)
    if any(f.pk is None for f in created):  # backends that do not return keys
        created = list(Filing.objects.filter(number__startswith="demo-").order_by("pk"))
    for f in created:
        f.number = f"BB-{f.contact_date.year}-{f.pk:06d}"
    Filing.objects.bulk_update(created, ["number"], batch_size=500)
    through = Filing.firms.through
    through.objects.bulk_create(
        [
            through(filing_id=f.pk, enterprise_id=firm)
            for f, plan in zip(created, plans, strict=True)
            for firm in plan[3]
        ]
    )
    Gift.objects.bulk_create(
        [Gift(filing=f, **g) for f, plan in zip(created, plans, strict=True) for g in plan[2]]
    )
    FilingMatch.objects.bulk_create(
        [
            FilingMatch(filing=f, item=m.item, outcome=m.outcome)
            for f, ms in zip(created, matches_of, strict=True)
            for m in ms
        ]
    )
    for f in created:  # created_at is auto_now_add: put it on the contact date
        f.created_at = datetime.combine(f.contact_date, time(18), tzinfo=SHANGHAI)
    Filing.objects.bulk_update(created, ["created_at"], batch_size=500)
    return {
        "filings": len(created),
        "filings_flagged": sum(1 for f in created if f.outcome != "allowed"),
        "gifts_handed_in": sum(1 for p in plans for g in p[2] if g["handling"] == "handed_in"),
    }


def _clean(ctx: DemoContext, rng: random.Random) -> dict[str, int]:
    from qinqing.integrity.models import CleanAnswer, CleanAssessment, CleanCriterion

    today = ctx.now.astimezone(SHANGHAI).date()
    criteria = list(CleanCriterion.objects.filter(active=True).order_by("position"))
    haishu = ctx.regions.get("330203")
    firms = Enterprise.objects.filter(pk__in=[f.pk for f in ctx.firms.values()])
    if haishu is not None:
        firms = firms.filter(grid__path__startswith=haishu.path)
    chosen = sorted(firms.filter(above_scale=True).values_list("pk", flat=True))[:60]
    if len(chosen) < 26:
        chosen = sorted(firms.values_list("pk", flat=True))[:60]
    picked = rng.sample(chosen, min(26, len(chosen)))
    reviewer = ctx.users.get("sunyue")
    assessments, levels_of = [], []
    for i, firm_id in enumerate(picked):
        levels = [2 for _c in criteria]
        if criteria and rng.random() < 0.5:
            levels[rng.randrange(len(criteria))] = 1
        total = sum(c.weight for c in criteria) or 1
        score = Decimal(sum(c.weight * lv for c, lv in zip(criteria, levels, strict=True)) * 50)
        score = (score / total).quantize(Decimal("0.1"))
        recognised = i < 23 and score >= 80
        start = today - timedelta(days=rng.randint(10, 400))
        assessments.append(
            CleanAssessment(
                enterprise_id=firm_id,
                status="recognised" if recognised else "submitted",
                score=score,
                submitted_at=datetime.combine(start - timedelta(days=7), time(9), tzinfo=SHANGHAI),
                reviewed_by=reviewer if recognised else None,
                reviewed_at=(
                    datetime.combine(start, time(15), tzinfo=SHANGHAI) if recognised else None
                ),
                valid_from=start if recognised else None,
                valid_until=start + timedelta(days=730) if recognised else None,
            )
        )
        levels_of.append(levels)
    created = CleanAssessment.objects.bulk_create(assessments)
    if any(a.pk is None for a in created):
        created = list(CleanAssessment.objects.filter(enterprise_id__in=picked).order_by("pk"))
    CleanAnswer.objects.bulk_create(
        [
            CleanAnswer(assessment=a, criterion=c, level=lv, note="制度已建立")
            for a, levels in zip(created, levels_of, strict=True)
            for c, lv in zip(criteria, levels, strict=True)
        ]
    )
    return {"clean_recognised": sum(1 for a in created if a.status == "recognised")}


def write(ctx: DemoContext) -> dict[str, int]:
    """Bulk-write this app's demo rows; return counts by name for the load summary."""
    rng = _rng(ctx)
    counts = {"conduct_items": _load_lists()}
    counts.update(_filings(ctx, rng))
    counts.update(_clean(ctx, rng))
    return counts
