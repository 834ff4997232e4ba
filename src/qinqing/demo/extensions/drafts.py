"""Demo data of drafts (政策草案征求意见): one closed draft of 古林镇 with answered comments
and its final text, and one open draft of 海曙区 taking comments.

Rows are bulk-inserted; randomness comes only from ``Random(f"{seed}-drafts")``.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from qinqing.common.workdays import SHANGHAI, working_days_after
from qinqing.consultation.drafts.clauses import split_clauses
from qinqing.consultation.drafts.models import Answer, Clause, Comment, PolicyDraft, Stage, State
from qinqing.consultation.drafts.services import MIN_WORKING_DAYS
from qinqing.demo import data
from qinqing.demo.context import DemoContext

CLOSED_TEXT = """古林镇促进模具产业高质量发展若干措施
第一条 为推动古林镇模具产业集群转型升级，制定本措施。
第二条 对设备投资额500万元以上的技术改造项目，按设备投资额的10%给予补助，单个项目最高200万元。
第三条 对首次认定为国家高新技术企业的模具企业，给予一次性奖励20万元。
第四条 对新招用本镇以外技术工人并签订一年以上劳动合同的企业，按每人2000元给予用工补助。
第五条 企业申报补助须提交近两年审计报告。
第六条 本措施自发布之日起施行，有效期三年。"""

FINAL_TEXT = CLOSED_TEXT.replace("500万元以上", "300万元以上").replace(
    "企业申报补助须提交近两年审计报告。", "企业申报补助须提交上年度财务报表，规上企业另附审计报告。"
)

OPEN_TEXT = """海曙区中小企业公共服务平台管理办法（征求意见稿）
第一条 为规范中小企业公共服务平台的认定和管理，制定本办法。
第二条 平台应当具备为不少于100家中小企业提供服务的能力。
第三条 区经信局每年对平台开展一次考核，考核结果分为优秀、合格和不合格。
第四条 考核优秀的平台给予最高50万元运营补助。
第五条 本办法自发布之日起施行。"""

COMMENTS = [
    (2, "建议把设备投资门槛降到300万元，小型模具企业很难达到500万元。", Answer.ADOPTED, ""),
    (2, "建议补助比例提高到15%。", Answer.NOT_ADOPTED, "补助比例与区级政策衔接，暂不调整。"),
    (3, "建议对省级专精特新企业也给予奖励。", Answer.PARTLY, "另行制定专精特新奖励办法。"),
    (4, "外地技术工人的社保缴纳时间要求不明确。", Answer.ADOPTED, ""),
    (5, "小微企业没有审计报告，建议改为财务报表。", Answer.ADOPTED, ""),
    (
        5,
        "审计报告费用较高，建议由镇里统一购买服务。",
        Answer.NOT_ADOPTED,
        "审计费用不属于本措施支持范围。",
    ),
    (
        None,
        "建议明确申报受理窗口和办理时限。",
        Answer.PARTLY,
        "受理窗口设在亲清家园，时限在申报指南中明确。",
    ),
    (
        6,
        "有效期三年偏短。",
        Answer.NOT_ADOPTED,
        "按规范性文件管理规定，有效期一般不超过五年，三年后评估续期。",
    ),
]


def _at(day, hour: int) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def write(ctx: DemoContext) -> dict[str, int]:
    """Bulk-write this app's demo rows; return counts by name for the load summary."""
    rng = random.Random(f"{ctx.plan.seed}-drafts")
    today = ctx.now.astimezone(SHANGHAI).date()
    gulin = ctx.regions[ctx.plan.code_of(data.GULIN)]
    haishu = ctx.regions[ctx.plan.code_of("海曙区")]
    zhouhua, zhaomin = ctx.users.get("zhouhua"), ctx.users.get("zhaomin")
    if zhouhua is None or zhaomin is None:
        return {}
    paths = {r.pk: r.path for r in ctx.regions.values()}
    gulin_firms = sorted(
        (f for f in ctx.firms.values() if paths[f.grid_id].startswith(gulin.path)),
        key=lambda f: f.uscc,
    )
    department = ctx.departments.get((haishu.code, "海曙区经济和信息化局")) or next(
        (d for (code, _n), d in sorted(ctx.departments.items()) if code == haishu.code), None
    )
    opened = today - timedelta(days=150)
    closes = working_days_after(opened, MIN_WORKING_DAYS + 2)
    closed = PolicyDraft(
        title="古林镇促进模具产业高质量发展若干措施",
        summary="根据2020年疫情期间企业问卷反映的问题起草，重点支持技术改造和用工。",
        office_name="古林镇经济发展办公室",
        region=gulin,
        author=zhouhua,
        state=State.FINAL,
        opens_on=opened,
        closes_on=closes,
        opened_at=_at(opened, 9),
        closed_at=_at(closes + timedelta(days=3), 10),
        final_published_at=_at(closes + timedelta(days=20), 10),
        final_note="共采纳或部分采纳企业意见6条，第二条门槛和第五条申报材料已按意见修改。",
    )
    open_from = working_days_after(today - timedelta(days=10), 1)
    open_draft = PolicyDraft(
        title="海曙区中小企业公共服务平台管理办法",
        summary="公开征求企业意见，请对各条款提出修改建议。",
        office_name=department.name if department else "海曙区经济和信息化局",
        department=department,
        region=haishu,
        author=zhaomin,
        state=State.OPEN,
        opens_on=open_from,
        closes_on=working_days_after(open_from, MIN_WORKING_DAYS),
        opened_at=_at(open_from, 9),
    )
    PolicyDraft.objects.bulk_create([closed, open_draft])
    clauses: list[Clause] = []
    for draft, stage, text in (
        (closed, Stage.DRAFT, CLOSED_TEXT),
        (closed, Stage.FINAL, FINAL_TEXT),
        (open_draft, Stage.DRAFT, OPEN_TEXT),
    ):
        clauses += [
            Clause(draft=draft, stage=stage, number=p.number, heading=p.heading, text=p.text)
            for p in split_clauses(text)
        ]
    Clause.objects.bulk_create(clauses)
    by_number = {c.number: c for c in clauses if c.draft is closed and c.stage == Stage.DRAFT}
    wangli_firm = ctx.plan.account_firms.get("wangli")
    commenters = rng.sample(gulin_firms, min(len(COMMENTS), len(gulin_firms)))
    if wangli_firm is not None and wangli_firm in ctx.firms:
        commenters[0] = ctx.firms[wangli_firm]
    comments: list[Comment] = []
    for i, ((number, body, answer, reason), firm) in enumerate(
        zip(COMMENTS, commenters, strict=False)
    ):
        created = _at(opened + timedelta(days=1 + i * 3), 10)
        comments.append(
            Comment(
                draft=closed,
                clause=by_number.get(number) if number else None,
                enterprise=firm,
                author=ctx.users.get("wangli") if firm.uscc == wangli_firm else None,
                body=body,
                answer=answer,
                reason=reason,
                answered_by=zhouhua,
                answered_at=_at(closes + timedelta(days=1), 15),
            )
        )
        comments[-1].created_at = created
    open_clause = next(c for c in clauses if c.draft is open_draft and c.number == 3)
    haishu_firms = [f for f in ctx.firms.values() if paths[f.grid_id].startswith(haishu.path)]
    if haishu_firms:
        comments.append(
            Comment(
                draft=open_draft,
                clause=open_clause,
                enterprise=sorted(haishu_firms, key=lambda f: f.uscc)[
                    rng.randrange(len(haishu_firms))
                ],
                body="建议考核时听取服务对象企业的评价。",
            )
        )
    Comment.objects.bulk_create(comments)
    return {"policy drafts": 2, "draft clauses": len(clauses), "draft comments": len(comments)}
