"""Demo data of exemption (容错免责): a dozen applications by 海曙区 officials and handlers,
across every state and outcome, drawn from situations that really come up; several decided
ones published as anonymised cases. 孙悦 assesses; two more supervisors of 海曙区, 钱红
``qianhong`` and 李珊 ``lishan`` (demo accounts of ``demo.data``), sign off and review appeals.

Bulk and deterministic: the rows are built from the fixed scenarios below and ``ctx.now``;
the only randomness (days ago) comes from ``random.Random(f"{seed}-exemption")``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from qinqing.accounts.models import User
from qinqing.common.workdays import SHANGHAI, WorkingCalendar
from qinqing.demo.context import DemoContext

#: the assessor, the second supervisor who signs off, the reviewer of appeals
SUPERVISORS = ("sunyue", "qianhong", "lishan")
TOLERABLE = {
    "d1": "系首次适用改革试点政策，缺乏可参照的先例，属先行先试中的失误。",
    "d2": "当时上级文件对此未作限制性规定，不属明令禁止后仍执意为之。",
    "d3": "经核查银行流水和廉政谈话，当事人未收受任何好处，出发点是推动项目落地。",
}
INTOLERABLE = {
    "d1": "当事人明知须经集体研究，仍个人拍板。",
    "d2": "区里已书面通知暂停该做法，当事人仍继续执行。",
    "d3": "当事人亲属在受益企业持股，存在谋取私利的情形。",
}


@dataclass(frozen=True)
class Scenario:
    applicant: str
    matter: str
    actions: str
    rules: str
    harm: str
    correction: str
    state: str
    outcome: str = ""
    findings: str = "ttt"  # t = tolerable, i = intolerable, u = unclear, per distinction
    published: bool = False
    appealed: str = ""  # final outcome after an appeal


SCENARIOS = [
    Scenario(
        "liujianguo",
        "提前核发施工许可保项目开工",
        "为保某汽配企业新厂房项目赶在订单交付前投产，在消防设计审查意见尚未出具时，"
        "经区项目推进专班会议研究，先行核发施工许可。",
        "《建筑工程施工许可管理办法》第八条；区“拿地即开工”改革试点方案",
        "消防审查后发现疏散通道设计需调整，整改延误约两个月，未发生安全事故。",
        "已责令企业完成设计变更并补办审查手续。",
        "decided",
        "exempt",
        published=True,
    ),
    Scenario(
        "zhaomin",
        "按当时理解拨付稳岗补贴",
        "按照对稳岗补贴政策“参保职工人数”口径的理解，将季节性用工计入，"
        "向一家模具企业拨付补贴12.6万元。",
        "《海曙区稳岗补贴实施细则》第三条（2020年版）",
        "审计认为季节性用工不应计入，多拨付补贴3.8万元。",
        "企业已全额退回多拨款项，细则已修订明确口径。",
        "decided",
        "exempt",
        published=True,
    ),
    Scenario(
        "zhaomin",
        "容缺受理后材料未按期补齐",
        "对一家急需开业的食品企业实行容缺受理，在缺少一份场地证明的情况下先行发放许可证。",
        "《海曙区涉企审批容缺受理暂行办法》",
        "企业未在承诺期限内补齐材料，许可证被撤销，企业停业一周。",
        "已建立容缺事项跟踪台账，逾期未补材料的自动提醒。",
        "decided",
        "reduced",
        findings="ttu",
        published=True,
    ),
    Scenario(
        "liujianguo",
        "疫情期间应急采购防疫物资未完整招标",
        "2020年2月为保障复工企业防疫需要，未履行完整招标程序，直接向本地企业采购口罩10万只。",
        "《政府采购法》第八十五条；省疫情防控应急采购通知",
        "采购单价高于疫情后市场价约30%，无质量问题。",
        "已补办采购备案手续，并形成应急采购工作指引。",
        "decided",
        "exempt",
        published=True,
    ),
    Scenario(
        "zhouhua",
        "为企业协调临时用地先行使用",
        "为解决企业扩产急需，协调村集体土地临时用于堆放原材料，未办理临时用地审批。",
        "《土地管理法》第五十七条",
        "被自然资源部门责令整改，企业补缴费用。",
        "已补办临时用地审批。",
        "decided",
        "not_exempt",
        findings="iit",
        appealed="reduced",
        published=True,
    ),
    Scenario(
        "liujianguo",
        "同意企业分期缴纳土地出让金",
        "为缓解企业资金压力，在未经集体研究的情况下同意企业分三期缴纳土地出让金。",
        "《国有土地使用权出让合同》示范文本；区土地出让管理规定",
        "首期后企业逾期两个月缴纳第二期，财政资金延迟入库。",
        "已督促企业缴清，并追加违约金。",
        "decided",
        "not_exempt",
        findings="iti",
    ),
    Scenario(
        "zhaomin",
        "对轻微违法行为首违不罚",
        "对一家初创企业首次发生的标签标注不规范行为，按首违不罚清单未予处罚，只作批评教育。",
        "《市场监管领域轻微违法行为不予处罚清单》",
        "上级检查认为该情形不在清单范围内。",
        "企业已整改标签，清单适用说明已报请上级明确。",
        "assessed",
        "exempt",
    ),
    Scenario(
        "liujianguo",
        "招商引资承诺奖励超出政策上限",
        "为引进一家新材料项目，在洽谈中口头承诺的设备补助比例高于现行政策上限。",
        "《海曙区招商引资若干政策》第六条",
        "企业据此要求兑现，引发争议，尚未造成资金损失。",
        "",
        "accepted",
    ),
    Scenario(
        "zhaomin",
        "简化程序为企业办理变更登记",
        "为企业赶在招投标截止前完成法定代表人变更，当日受理当日办结，未等待公示期满。",
        "《市场主体登记管理条例实施细则》",
        "变更后出现股东异议，登记被暂缓。",
        "",
        "submitted",
    ),
    Scenario(
        "zhouhua",
        "先行垫付企业招工交通补贴",
        "为帮企业从安徽招工200余人，在补贴资金未到位前由家园运营经费先行垫付交通补贴。",
        "古林镇复工复产稳岗措施",
        "运营经费被挤占，审计提出意见。",
        "补贴资金到位后已全部归垫。",
        "submitted",
    ),
    Scenario(
        "liujianguo",
        "先行开工后环评未通过",
        "为保重点项目进度，同意企业在环评批复前进行场地平整。",
        "《环境影响评价法》第二十五条",
        "环评要求调整布局，已平整场地部分返工。",
        "已停止施工，按环评批复调整。",
        "refused",
    ),
    Scenario(
        "zhaomin",
        "对企业延期年报不予列入异常名录",
        "企业因疫情封控未能按时报送年报，未将其列入经营异常名录。",
        "《企业信息公示暂行条例》第八条",
        "被上级抽查认为程序不规范。",
        "已补正企业年报。",
        "withdrawn",
    ),
]


def _supervisors(ctx: DemoContext) -> list[User] | None:
    """孙悦 assesses, 钱红 signs off, 李珊 reviews appeals: demo accounts of 海曙区 (``data``)."""
    users = [ctx.users.get(name) for name in SUPERVISORS]
    return None if None in users else [u for u in users if u is not None]


def _home(user: User) -> tuple[Any, Any]:
    from qinqing.exemption.services import home_of

    return home_of(user)


def write(ctx: DemoContext) -> dict[str, int]:
    """Bulk-write this app's demo rows; return counts by name for the load summary."""
    from qinqing.exemption import anonymise
    from qinqing.exemption.models import Application, ApplicationCounter, Assessment, Case
    from qinqing.exemption.services import case_source_text, deadline_days

    supervisors = _supervisors(ctx)
    if supervisors is None:
        return {}
    rng = random.Random(f"{ctx.plan.seed}-exemption")
    assessor, signer, reviewer = supervisors
    calendar = WorkingCalendar()
    year = ctx.now.astimezone(SHANGHAI).year
    apps: list[Application] = []
    for i, s in enumerate(SCENARIOS, start=1):
        applicant = ctx.users[s.applicant]
        region, department = _home(applicant)
        days_ago = {"submitted": 2, "accepted": 20, "assessed": 35, "refused": 40}.get(
            s.state, 60 + rng.randint(0, 200)
        )
        submitted = ctx.now - timedelta(days=days_ago, hours=rng.randint(0, 6))
        a = Application(
            number=f"RC-{year}-{i:06d}",
            origin="self",
            applicant=applicant,
            filed_by=applicant,
            region=region,
            region_path=region.path,
            department=department,
            matter=s.matter,
            actions=s.actions,
            rules_at_time=s.rules,
            outcome_harm=s.harm,
            corrected=bool(s.correction),
            correction=s.correction,
            state=s.state if not s.appealed else "reviewed",
            submitted_at=submitted,
            accept_due_at=calendar.deadline_after(submitted, deadline_days("accept")),
        )
        if s.state == "refused":
            a.refusal_reason = "该事项违反环评法强制性规定，不属于容错免责范围。"
        if s.state in ("accepted", "assessed", "decided"):
            accepted = submitted + timedelta(days=2)
            a.accepted_at, a.accepted_by, a.assessor = accepted, assessor, assessor
            a.decide_due_at = calendar.deadline_after(accepted, deadline_days("decide"))
        if s.state in ("assessed", "decided"):
            a.assessed_at = submitted + timedelta(days=12)
            a.outcome = s.outcome
            a.reasons = {
                "exempt": "三个区分均属可容错情形，决策经集体研究，未谋取私利，且及时纠正。",
                "reduced": "属探索中的失误，但事后跟踪不力，予以从轻处理。",
                "not_exempt": "未履行集体决策程序，且上级已有明确规定，不予免责。",
            }[s.outcome]
        decided = submitted + timedelta(days=20)
        if s.state == "decided":
            a.signed_off_by, a.decided_at = signer, decided
            a.days_to_decide = calendar.working_days_between(submitted, decided)
            a.appeal_due_at = calendar.deadline_after(decided, deadline_days("appeal"))
        if s.appealed:
            appealed = decided + timedelta(days=3)
            a.appeal_reason = "临时用地系为保企业扩产，当时无明确禁止性规定，请求复查。"
            a.appealed_at = appealed
            a.appeal_decide_due_at = calendar.deadline_after(appealed, 30)
            a.appeal_reviewer, a.appeal_outcome = reviewer, s.appealed
            a.appeal_reasons = "复查认为属为推动发展的无意过失，但程序瑕疵明显，改为从轻处理。"
            a.appeal_decided_at = appealed + timedelta(days=10)
        apps.append(a)
    Application.objects.bulk_create(apps)
    ApplicationCounter.objects.update_or_create(year=year, defaults={"last": len(apps)})
    answers = {"t": "tolerable", "i": "intolerable", "u": "unclear"}
    assessments = []
    for a, s in zip(apps, SCENARIOS, strict=True):
        if not a.assessed_at:
            continue
        row: dict[str, Any] = {}
        for n, code in enumerate(s.findings, start=1):
            d = f"d{n}"
            row[f"{d}_finding"] = answers[code]
            row[f"{d}_findings"] = (INTOLERABLE if code == "i" else TOLERABLE)[d]
            row[f"{d}_evidence"] = "会议纪要、相关文件、谈话笔录"
        yes = "no" if s.outcome == "not_exempt" else "yes"
        assessments.append(
            Assessment(
                application=a,
                due_procedure=yes,
                collective_decision=yes,
                no_private_gain="yes",
                loss_limited="yes",
                prompt_correction="yes" if s.correction else "no",
                checks={},
                assessed_by=assessor,
                **row,
            )
        )
    Assessment.objects.bulk_create(assessments)
    cases: list[Case] = []
    for a, s in zip(apps, SCENARIOS, strict=True):
        if not s.published:
            continue
        a = Application.objects.select_related(
            "applicant",
            "filed_by",
            "accepted_by",
            "assessor",
            "signed_off_by",
            "appeal_reviewer",
            "department",
            "assessment",
        ).get(pk=a.pk)
        ids = anonymise.identifiers_of(a)
        distinctions = [f"d{n}" for n, c in enumerate(s.findings, start=1) if c == "t"]
        cases.append(
            Case(
                application=a,
                number=f"AL-{a.number[3:]}",
                title=anonymise.anonymise(a.matter, ids)[:120],
                text=anonymise.anonymise(case_source_text(a), ids),
                distinctions=distinctions,
                outcome=a.final_outcome,
                year=a.submitted_at.astimezone(SHANGHAI).year,
                drafted_by=signer,
                published_by=signer,
                published_at=ctx.now - timedelta(days=len(cases) + 1),
            )
        )
    Case.objects.bulk_create(cases)
    return {
        "exemption applications": len(apps),
        "exemption assessments": len(assessments),
        "exemption cases": len(cases),
    }
