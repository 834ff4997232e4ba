"""Demo data of reports (举报与调查): reports in every state across districts, a few
substantiated (one serious), and routine integrity notes from the observer.

Everything goes through the real services, so the demo's reports are encrypted like real
ones. 孙悦 (sunyue) and a second 海曙区 supervisor, 郑明 (zhengming), and 北仑区's 何欣
(hexin) — demo accounts of ``demo.data`` — get their key pairs from the demo password
(Argon2id with the cost of ``REPORTS_KDF_PROFILE``; set it to "demo" for a cheaper load —
never in production). Reports in 海曙区 are sealed to 孙悦 and 郑明 and walk the workflow;
two new reports in 北仑区 are sealed to 何欣; reports of other districts have no
supervisor there and are sealed only to the recovery key.

The demo's recovery key pair is derived from the seed (SHA-256 of
"qinqing-demo-recovery-<seed>") so that the recovery ceremony can be rehearsed on the demo;
a real installation makes it with ``qinqing reports recovery-keygen`` and never stores it.
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

from nacl.public import PrivateKey

from qinqing.demo.context import DemoContext
from qinqing.demo.data import DEMO_PASSWORD
from qinqing.directory.models import RegionLevel
from qinqing.integrity.reports import keyring, services
from qinqing.integrity.reports.models import IntegrityNote, Report

SUBJECTS = [
    (
        "bribery",
        "消防验收时暗示需要“打点”",
        "验收人员在现场说不“意思意思”就过不了，金额约两万元。",
        "某消防监督员",
    ),
    (
        "favours",
        "执法检查要求企业安排宴请",
        "检查结束后要求在酒店安排饭局，并带走两条香烟。",
        "某执法队员",
    ),
    (
        "obstruction",
        "审批材料反复被退回",
        "同一份环评材料被以不同理由退回四次，每次只说一个问题。",
        "某窗口经办人",
    ),
    (
        "conflict",
        "经办人亲属公司承接项目",
        "经办人的妻弟开的公司中标了本镇的绿化养护项目。",
        "某街道干部",
    ),
    ("gifts", "节日收受购物卡", "中秋前向辖区企业索要购物卡。", "某所所长"),
    ("abuse", "以停电相威胁", "因企业拒绝赞助活动，威胁断电检查。", "某站站长"),
    ("other", "走访时索要企业产品", "走访时要求送几箱企业生产的家电。", "某网格干部"),
]
NOTES = [
    ("positive", "消防检查规范", "今天的消防检查提前告知、一次说清问题，没有额外要求。"),
    ("positive", "税务辅导到位", "税务所上门辅导研发费用加计扣除，很及时。"),
    ("neutral", "审批窗口排队较长", "周一上午窗口排队近一小时，建议增加预约。"),
    ("concern", "检查频次偏高", "一个月内被不同部门检查三次，内容有重复。"),
]


def write(ctx: DemoContext) -> dict[str, int]:
    """Bulk-write this app's demo rows; return counts by name for the load summary."""
    rng = random.Random(f"{ctx.plan.seed}-reports")
    regions = list(ctx.regions.values())
    haishu = next(r for r in regions if r.name == "海曙区")
    beilun = next((r for r in regions if r.name == "北仑区"), None)
    towns = [r for r in regions if r.level == RegionLevel.TOWN]
    haishu_towns = [r for r in towns if r.path.startswith(haishu.path)] or [haishu]
    other_towns = [r for r in towns if not r.path.startswith(haishu.path)] or [haishu]

    sunyue, second = ctx.users.get("sunyue"), ctx.users.get("zhengming")
    if sunyue is None or second is None:
        return {}
    # 何欣 (北仑区) gets a key pair too, so that the reports of 北仑区 are sealed to 何欣
    holders = [u for u in (sunyue, second, ctx.users.get("hexin")) if u is not None]
    unlocked = {u.pk: keyring.unlock(user=u, password=DEMO_PASSWORD) for u in holders}
    keys = {pk: key for pk, key in unlocked.items() if key is not None}
    recovery = PrivateKey(
        hashlib.sha256(f"qinqing-demo-recovery-{ctx.plan.seed}".encode()).digest()
    )
    if services.recovery_key() is None:
        services.recovery_key_install(actor=None, public_key=bytes(recovery.public_key))

    # state plan: (target, outcome, serious); 海曙区 reports walk the workflow
    plan = [
        ("new", "", False),
        ("new", "", False),
        ("triage", "", False),
        ("assigned", "", False),
        ("investigating", "", False),
        ("investigating", "", False),
        ("concluded", "unsubstantiated", False),
        ("closed", "substantiated", True),
        ("closed", "substantiated", False),
        ("closed", "substantiated", False),
        ("closed", "unsubstantiated", False),
        ("closed", "false", False),
    ]
    made = 0
    firms = [f for f in ctx.firms.values() if f.grid.path.startswith(haishu.path)][:3]
    for i, (target, outcome, serious) in enumerate(plan):
        category, title, body, person = SUBJECTS[i % len(SUBJECTS)]
        received = ctx.now - timedelta(
            days=rng.randint(45, 170) if target == "closed" else rng.randint(1, 40)
        )
        named = i % 4 == 3 and bool(firms)
        report, _receipt = services.report_submit(
            region=rng.choice(haishu_towns),
            category=category,
            title=title,
            body=body,
            accused_people=person,
            identity=services.Identity(name="实名举报人", phone="13800000000") if named else None,
            protect_firm=firms[i % len(firms)] if named else None,
            with_receipt=i < 3,
            now=received,
        )
        made += 1
        assignee = sunyue if i % 2 == 0 else second
        other = second if assignee is sunyue else sunyue
        step = received
        if target == "new":
            continue
        report = services.report_act(
            actor=sunyue, report_id=report.pk, action="triage", version=report.version, now=step
        )
        if target == "triage":
            continue
        report = services.report_assign(
            actor=sunyue, report_id=report.pk, supervisor=assignee, key=keys[sunyue.pk]
        )
        services.report_reply(
            actor=assignee,
            report_id=report.pk,
            key=keys[assignee.pk],
            body="您反映的问题已收到，已安排专人核查。",
        )
        if target == "assigned":
            continue
        step += timedelta(days=rng.randint(3, 10))
        report = services.report_act(
            actor=assignee, report_id=report.pk, action="start", version=report.version, now=step
        )
        if target == "investigating":
            continue
        step += timedelta(days=rng.randint(10, 30))
        report = services.report_act(
            actor=assignee,
            report_id=report.pk,
            action="conclude",
            version=report.version,
            outcome=outcome,
            serious=serious,
            now=min(step, ctx.now),
        )
        if target == "concluded":
            continue
        services.report_act(
            actor=other,
            report_id=report.pk,
            action="close",
            version=report.version,
            now=min(step + timedelta(days=2), ctx.now),
        )

    # other districts: two in 北仑区, sealed to 何欣 (and the recovery key); the rest have no
    # supervisor in the demo, so they are sealed to the recovery key only
    beilun_towns = [r for r in other_towns if r.path.startswith(beilun.path)] if beilun else []
    for i in range(6):
        category, title, body, person = SUBJECTS[(i + 3) % len(SUBJECTS)]
        services.report_submit(
            region=rng.choice(beilun_towns if i < 2 and beilun_towns else other_towns),
            category=category,
            title=title,
            body=body,
            accused_people=person,
            with_receipt=False,
            now=ctx.now - timedelta(days=rng.randint(1, 60)),
        )
        made += 1
    services.sweep_deadlines(now=ctx.now)

    observer = ctx.users.get("lintao")
    notes = 0
    if observer is not None:
        firm = next(
            (a.enterprise for a in observer.role_assignments.all() if a.enterprise_id), None
        )
        rows = []
        for i, (tone, subject, body) in enumerate(NOTES):
            place = firm.grid if firm else haishu
            rows.append(
                IntegrityNote(
                    author=observer,
                    enterprise=firm,
                    region=place,
                    region_path=place.path,
                    tone=tone,
                    subject=subject,
                    body=body,
                    created_at=ctx.now - timedelta(days=7 * (i + 1)),
                )
            )
        notes = len(IntegrityNote.objects.bulk_create(rows))
    return {
        "reports": made,
        "integrity notes": notes,
        "report states": Report.objects.values("state").distinct().count(),
    }
