"""Demo data of consultation (意见征询): the surveys, written in bulk from the seed.

- **Gulin 2020 epidemic questionnaire** (古林镇企业复工复产情况调查), by 周华 for every firm of
  古林镇, February 2020, closed; 236 firms answered (named): resumption, staff back, needs,
  satisfaction with the town's help, suggestions that went to the government.
- **Business-environment survey** (营商环境评价) across Ningbo from the ready template, by 孙悦,
  anonymous, closed three weeks before the load day; about 45 % of the city's firms answered.
  Each district has its own level per dimension (drawn from the seed), so the health index
  fed by ``selectors.index_facts`` differs by district; each firm adds its own leaning.
- **The same survey in each earlier year** the history reaches (closed on the same day of
  the year): each district's level lower by what it has gained since (drawn per district
  and dimension, a few lose ground), and 15 % fewer answers a year back, so the index's
  perceived-closeness indicators have a trend.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from qinqing.common.workdays import SHANGHAI
from qinqing.consultation.catalogue import business_environment
from qinqing.consultation.models import (
    Answer,
    Question,
    QuestionKind,
    Response,
    Section,
    Survey,
    SurveyStatus,
    SurveyTarget,
)
from qinqing.demo.bulk import insert
from qinqing.demo.context import DemoContext
from qinqing.demo.history import history_start
from qinqing.directory.models import Audience, Region, RegionLevel

GULIN_RESPONSES = 236
CITY_SHARE = 0.45

EPIDEMIC: list[tuple[str, list[tuple[str, str, list[str], bool]]]] = [
    (
        "复工复产情况",
        [
            ("single", "目前企业复工情况", ["已全面复工", "部分复工", "尚未复工"], True),
            ("number", "目前到岗员工人数", [], True),
            ("date", "预计全面复产日期", [], False),
        ],
    ),
    (
        "困难和需求",
        [
            (
                "multiple",
                "当前主要困难（可多选）",
                ["防疫物资不足", "员工返岗难", "原材料供应", "资金周转", "订单减少", "物流运输"],
                True,
            ),
            ("number", "防疫口罩缺口（只）", [], False),
            ("scale", "对镇政府和亲清家园帮扶工作的满意度", [], True),
            ("long_text", "对政府出台扶持政策的意见建议", [], False),
        ],
    ),
]
SUGGESTIONS = [
    "希望协调口罩等防疫物资，按成本价供应。",
    "建议减免或缓缴二、三月份社保费。",
    "希望政府组织包车接回外地员工。",
    "建议对中小企业给予房租减免。",
    "希望银行延长贷款期限，不抽贷断贷。",
    "物流不畅，希望开通原材料运输绿色通道。",
    "希望加快复工审批，减少重复填报材料。",
    "建议对招用外地员工给予补贴。",
]
BE_TEXTS = [
    "希望进一步压缩审批时间。",
    "用工成本高，希望有更多招工渠道。",
    "政策兑现要更及时。",
    "执法检查能否合并，减少对生产的打扰。",
    "融资难问题仍较突出。",
]


# rows as tuples for ``bulk.insert`` (no model instance per row)
TARGET = ("survey_id", "enterprise_id", "answered_on")
RESPONSE = ("id", "survey_id", "region_id", "enterprise_id", "submitted_at", "updated_at")
ANSWER = ("id", "response_id", "question_id", "choice", "number", "text", "day")
Row = tuple[Any, ...]


def _answer(
    key: uuid.UUID,
    response: uuid.UUID,
    question: Question,
    *,
    choice: int = 0,
    number: float | None = None,
    text: str = "",
    day: date | None = None,
) -> Row:
    return (key, response, question.pk, choice, number, text, day)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=SHANGHAI)


def _town_code(path: str) -> str:
    codes = [c for c in path.strip("/").split("/") if c]
    return codes[min(2, len(codes) - 1)]


def _audience(region: Region) -> Audience:
    audience = Audience.objects.create()
    audience.regions.set([region])
    return audience


def _questions(survey: Survey, sections: list[tuple[str, list[Question]]]) -> list[Question]:
    position = 0
    made: list[Question] = []
    for s_pos, (title, questions) in enumerate(sections, start=1):
        section = Section.objects.create(survey=survey, position=s_pos, title=title)
        for q in questions:
            position += 1
            q.survey, q.section, q.position = survey, section, position
            made.append(q)
    return Question.objects.bulk_create(made)


def write(ctx: DemoContext) -> dict[str, int]:
    """Bulk-write this app's demo rows; return counts by name for the load summary."""
    rng = random.Random(f"{ctx.plan.seed}-surveys")
    regions = list(ctx.regions.values())
    by_pk = {r.pk: r for r in regions}
    by_code = {r.code: r for r in regions}
    gulin = next(r for r in regions if r.level == RegionLevel.TOWN and r.name == "古林镇")
    firms = sorted(ctx.firms.values(), key=lambda f: f.uscc)
    town_of = {f.pk: by_code[_town_code(by_pk[f.grid_id].path)] for f in firms}
    targets: list[Row] = []
    responses: list[Row] = []
    answers: list[Row] = []

    # --- Gulin, February 2020 ------------------------------------------------------------------
    author = ctx.users["zhouhua"]
    epidemic = Survey.objects.create(
        title="古林镇企业复工复产情况调查",
        description="了解疫情期间企业复工复产情况和困难，汇总后报镇政府，作为出台扶持政策的依据。",
        status=SurveyStatus.CLOSED,
        author=author,
        region=gulin,
        audience=_audience(gulin),
        closes_on=date(2020, 2, 29),
        published_at=_at(date(2020, 2, 10), 9),
        closed_at=_at(date(2020, 3, 1), 0),
    )
    qs = _questions(
        epidemic,
        [
            (
                title,
                [
                    Question(kind=k, text=t, options=o, required=r, tag="")
                    for k, t, o, r in questions
                ],
            )
            for title, questions in EPIDEMIC
        ],
    )
    status_q, staff_q, date_q, needs_q, masks_q, scale_q, text_q = qs
    gulin_firms = [f for f in firms if town_of[f.pk].pk == gulin.pk]
    answered = set(f.pk for f in rng.sample(gulin_firms, min(GULIN_RESPONSES, len(gulin_firms))))
    for firm in gulin_firms:
        day = date(2020, 2, rng.randint(10, 28)) if firm.pk in answered else None
        targets.append((epidemic.pk, firm.pk, day))
        if day is None:
            continue
        moment = _at(day, rng.randint(8, 20))
        response = _uuid(rng)
        responses.append((response, epidemic.pk, gulin.pk, firm.pk, moment, moment))
        status = rng.choices([1, 2, 3], weights=[35, 50, 15])[0]
        staff = max(1, int(firm.employees * rng.uniform(0.2, 0.9))) if firm.employees else 3
        add = answers.append
        add(_answer(_uuid(rng), response, status_q, choice=status))
        add(_answer(_uuid(rng), response, staff_q, number=float(staff)))
        if status != 1:
            full = date(2020, 3, 1) + timedelta(days=rng.randint(0, 40))
            add(_answer(_uuid(rng), response, date_q, day=full))
        needs = rng.sample(range(1, 7), rng.randint(1, 3))
        for n in sorted(set(needs) | ({1} if rng.random() < 0.6 else set())):
            add(_answer(_uuid(rng), response, needs_q, choice=n))
        if 1 in needs or rng.random() < 0.3:
            key = _uuid(rng)  # drawn before the number, as the rows always were
            masks = float(rng.choice([500, 1000, 2000, 3000, 5000, 10000]))
            add(_answer(key, response, masks_q, number=masks))
        point = min(5, max(1, round(rng.gauss(4.2, 0.7))))
        add(_answer(_uuid(rng), response, scale_q, number=float(point)))
        if rng.random() < 0.45:
            add(_answer(_uuid(rng), response, text_q, text=rng.choice(SUGGESTIONS)))

    # --- business environment across Ningbo, every year of the history ------------------------
    today = ctx.now.astimezone(SHANGHAI).date()
    closes = today - timedelta(days=21)
    districts = sorted({by_pk[f.grid_id].path.split("/")[2] for f in firms})
    tags = sorted({q.tag for s in business_environment()[2] for q in s.questions if q.tag})
    level = {(d, t): rng.uniform(3.2, 4.4) for d in districts for t in tags}
    share = {d: rng.uniform(0.3, 0.6) for d in districts}
    surveys = 2
    one_year = partial(
        _business_survey,
        ctx,
        firms=firms,
        town_of=town_of,
        by_pk=by_pk,
        out=(targets, responses, answers),
    )
    one_year(closes, rng=rng, level=level, share=share)
    # the years before, as far back as the history goes: lower scores where a district has
    # improved since, fewer answers (the survey was new)
    first_day = history_start(today)
    drift = random.Random(f"{ctx.plan.seed}-surveys-drift")
    gain = {(d, t): drift.uniform(-0.05, 0.3) for d in districts for t in tags}
    back = 1
    while _years_back(closes, back) >= first_day:
        earlier = _years_back(closes, back)
        year_rng = random.Random(f"{ctx.plan.seed}-surveys-{earlier.year}")
        old_level = {k: v - gain[k] * back for k, v in level.items()}
        old_share = {d: v * (1 - 0.15 * back) for d, v in share.items()}
        one_year(earlier, rng=year_rng, level=old_level, share=old_share)
        surveys += 1
        back += 1

    insert(SurveyTarget, TARGET, targets)
    # anonymous responses must not sit in the order of their firms: shuffle before inserting
    rng.shuffle(responses)
    insert(Response, RESPONSE, responses)
    rng.shuffle(answers)
    insert(Answer, ANSWER, answers)
    return {
        "surveys": surveys,
        "survey_targets": len(targets),
        "survey_responses": len(responses),
        "survey_answers": len(answers),
    }


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _business_survey(
    ctx: DemoContext,
    closes: date,
    *,
    firms: list[Any],
    town_of: dict[int, Region],
    by_pk: dict[int, Region],
    rng: random.Random,
    level: dict[tuple[str, str], float],
    share: dict[str, float],
    out: tuple[list[Row], list[Row], list[Row]],
) -> None:
    """One year's business-environment survey (营商环境评价) across Ningbo, from the template:
    anonymous, by 孙悦, open for thirty days up to ``closes``; each district has its own level
    per dimension and its own response share; each firm adds its own leaning. Its targets,
    responses and answers are added to ``out``."""
    targets, responses, answers = out
    city = next(r for r in ctx.regions.values() if r.level == RegionLevel.CITY)
    _title, description, spec = business_environment()
    survey = Survey.objects.create(
        title=f"{closes.year}年宁波市营商环境评价",
        description=description,
        status=SurveyStatus.CLOSED,
        author=ctx.users["sunyue"],
        region=city,
        audience=_audience(city),
        closes_on=closes,
        anonymous=True,
        template="business_environment",
        published_at=_at(closes - timedelta(days=30), 9),
        closed_at=_at(closes + timedelta(days=1), 0),
        reminders_sent_at=_at(closes - timedelta(days=3), 9),
    )
    be_questions = _questions(
        survey,
        [
            (
                s.title,
                [
                    Question(
                        kind=q.kind,
                        text=q.text,
                        tag=q.tag,
                        required=q.required,
                        options=q.options,
                    )
                    for q in s.questions
                ],
            )
            for s in spec
        ],
    )
    for firm in firms:
        district = by_pk[firm.grid_id].path.split("/")[2]
        done = rng.random() < share[district] * (CITY_SHARE / 0.45)
        day = closes - timedelta(days=rng.randint(0, 29)) if done else None
        targets.append((survey.pk, firm.pk, day))
        if not done:
            continue
        response = _uuid(rng)
        responses.append((response, survey.pk, town_of[firm.pk].pk, None, None, None))
        leaning = rng.gauss(0, 0.5)
        for q in be_questions:
            if q.kind == QuestionKind.SCALE:
                mean = level[(district, q.tag)] + leaning
                point = min(5, max(1, round(rng.gauss(mean, 0.8))))
                answers.append(_answer(_uuid(rng), response, q, number=float(point)))
            elif q.kind == QuestionKind.MULTIPLE:
                for c in sorted(rng.sample(range(1, len(q.options) + 1), rng.randint(0, 2))):
                    answers.append(_answer(_uuid(rng), response, q, choice=c))
            elif q.kind == QuestionKind.LONG_TEXT and rng.random() < 0.08:
                answers.append(_answer(_uuid(rng), response, q, text=rng.choice(BE_TEXTS)))
