"""Ready survey templates: the business-environment survey (营商环境评价).

Five dimensions used nationally — factors of production (要素), rule of law (法治), government
services (政务), market (市场), innovation (创新) — with 5-point scales (1 很不满意 … 5 很满意),
and questions tagged for the health index: perceived closeness (亲), cleanness (清), and
burden and support. Each scale question carries its dimension's tag so that results
aggregate by dimension and ``selectors.index_facts`` feeds the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import QuestionKind, QuestionTag

BUSINESS_ENVIRONMENT = "business_environment"


@dataclass(frozen=True)
class TemplateQuestion:
    kind: str
    text: str
    tag: str = ""
    required: bool = True
    options: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateSection:
    title: str
    questions: list[TemplateQuestion]


def _scales(tag: str, *texts: str) -> list[TemplateQuestion]:
    return [TemplateQuestion(QuestionKind.SCALE, text, tag) for text in texts]


def business_environment() -> tuple[str, str, list[TemplateSection]]:
    """Title, description and sections of the business-environment survey (Chinese text:
    the questionnaire is put to firms as published)."""
    s = QuestionKind
    t = QuestionTag
    return (
        str(_("营商环境评价问卷")),
        str(
            _(
                "请根据贵企业近半年的实际感受评分：1 很不满意，2 不满意，3 一般，4 满意，"
                "5 很满意。问卷匿名，结果仅按区域汇总。"
            )
        ),
        [
            TemplateSection(
                "要素环境",
                _scales(
                    t.FACTORS,
                    "用地、厂房获取的便利程度",
                    "招工用工、人才引进的便利程度",
                    "融资的可得性和融资成本",
                    "水电气等要素保障",
                ),
            ),
            TemplateSection(
                "法治环境",
                _scales(
                    t.RULE_OF_LAW,
                    "执法检查的规范性（不随意检查、不重复检查）",
                    "政策执行的稳定性和可预期性",
                    "合同纠纷、知识产权等司法保护",
                    "政府守信践诺情况",
                ),
            ),
            TemplateSection(
                "政务环境",
                _scales(
                    t.GOVERNMENT_SERVICES,
                    "审批办事的效率",
                    "“最多跑一次”、网上办理的便利程度",
                    "惠企政策的知晓和兑现",
                    "诉求反映渠道的畅通和办理结果",
                ),
            ),
            TemplateSection(
                "市场环境",
                _scales(
                    t.MARKET,
                    "市场准入的公平性",
                    "招投标、政府采购的公平公正",
                    "市场竞争秩序",
                ),
            ),
            TemplateSection(
                "创新环境",
                _scales(
                    t.INNOVATION,
                    "科技创新政策支持",
                    "产学研合作和创新平台服务",
                    "创新成果保护和转化",
                ),
            ),
            TemplateSection(
                "亲清政商关系",
                [
                    *_scales(
                        t.CLOSENESS,
                        "干部主动上门服务、帮助解决问题",
                        "与政府部门沟通交流的顺畅程度",
                    ),
                    *_scales(
                        t.CLEANNESS,
                        "干部廉洁办事、不吃拿卡要",
                        "政商交往清白、没有被索要好处",
                    ),
                    *_scales(
                        t.BURDEN,
                        "税费、检查等负担的合理程度",
                        "减负纾困等支持政策的力度",
                    ),
                ],
            ),
            TemplateSection(
                "意见建议",
                [
                    TemplateQuestion(
                        s.MULTIPLE,
                        "当前最希望政府改进的方面（可多选）",
                        options=[
                            "用地用工",
                            "融资",
                            "审批服务",
                            "执法检查",
                            "政策兑现",
                            "公平竞争",
                        ],
                        required=False,
                    ),
                    TemplateQuestion(s.LONG_TEXT, "其他意见和建议", required=False),
                ],
            ),
        ],
    )


TEMPLATES = {BUSINESS_ENVIRONMENT: business_environment}
