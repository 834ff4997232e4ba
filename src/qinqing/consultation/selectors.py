"""Every read of surveys, scoped to the reader: lists, the firm's pending surveys, the
steward's firms that have not answered, results, the export and the health-index facts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from qinqing.directory.models import Region

from .models import (
    CHOICE_KINDS,
    SCALE_KINDS,
    TEXT_KINDS,
    Answer,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyStatus,
    SurveyTarget,
)
from .permissions import firms_of, steward_paths, survey_scope
from .stats import Summary, summarise


# --- surveys ----------------------------------------------------------------------------------
def surveys_visible_to(user: Any) -> QuerySet[Survey]:
    qs = Survey.objects.select_related("region", "author")
    condition = survey_scope(user)
    if condition is None:
        return qs
    return qs.filter(pk__in=Survey.objects.filter(condition).values("pk"))


def survey_list(*, user: Any, status: str = "") -> QuerySet[Survey]:
    qs = surveys_visible_to(user).annotate(
        target_count=Count("targets", distinct=True),
        answered_count=Count(
            "targets", filter=Q(targets__answered_on__isnull=False), distinct=True
        ),
    )
    if status in SurveyStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def survey_detail(*, user: Any, survey_id: int) -> Survey:
    """Raises Survey.DoesNotExist for a survey outside the reader's scope."""
    return surveys_visible_to(user).get(pk=survey_id)


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.questions.select_related("section").order_by("position", "pk"))


@dataclass
class FirmSurvey:
    """A survey addressed to one of the reader's firms."""

    survey: Survey
    enterprise_id: int
    enterprise_name: str
    answered_on: date | None


def firm_surveys(*, user: Any, pending_only: bool = False) -> list[FirmSurvey]:
    """The published (and closed) surveys addressed to the reader's firms, newest first."""
    ids = [f.pk for f in firms_of(user)]
    qs = (
        SurveyTarget.objects.filter(
            enterprise_id__in=ids, survey__status__in=[SurveyStatus.PUBLISHED, SurveyStatus.CLOSED]
        )
        .select_related("survey", "enterprise")
        .order_by("-survey__published_at", "-survey_id")
    )
    if pending_only:
        from .services import today

        qs = qs.filter(
            answered_on__isnull=True,
            survey__status=SurveyStatus.PUBLISHED,
            survey__closes_on__gte=today(),
        )
    return [FirmSurvey(t.survey, t.enterprise_id, t.enterprise.name, t.answered_on) for t in qs]


def target_of(survey: Survey, enterprise_id: int) -> SurveyTarget | None:
    return SurveyTarget.objects.filter(survey=survey, enterprise_id=enterprise_id).first()


def own_answers(survey: Survey, enterprise_id: int) -> dict[str, Any]:
    """The firm's stored answers of a named survey in the raw form (for editing)."""
    response = Response.objects.filter(survey=survey, enterprise_id=enterprise_id).first()
    if response is None:
        return {}
    kinds = dict(survey.questions.values_list("pk", "kind"))
    raw: dict[str, Any] = {}
    for a in response.answers.all():
        kind, key = kinds.get(a.question_id), str(a.question_id)
        if kind == QuestionKind.SINGLE:
            raw[key] = a.choice
        elif kind == QuestionKind.MULTIPLE:
            raw.setdefault(key, []).append(a.choice)
        elif kind == QuestionKind.MATRIX:
            raw.setdefault(key, {})[str(a.row)] = int(a.number or 0)
        elif kind == QuestionKind.SCALE:
            raw[key] = int(a.number or 0)
        elif kind == QuestionKind.NUMBER:
            raw[key] = a.number
        elif kind == QuestionKind.DATE:
            raw[key] = a.day.isoformat() if a.day else ""
        else:
            raw[key] = a.text
    return raw


def unanswered_for_steward(*, user: Any, survey: Survey) -> QuerySet[SurveyTarget]:
    """The firms of the steward's grids that the survey addresses and that have not answered."""
    paths = steward_paths(user)
    condition = Q(pk__in=[])
    for p in paths:
        condition |= Q(enterprise__grid__path__startswith=p)
    return (
        SurveyTarget.objects.filter(condition, survey=survey, answered_on__isnull=True)
        .select_related("enterprise", "enterprise__grid")
        .order_by("enterprise__name", "pk")
    )


# --- results ----------------------------------------------------------------------------------
@dataclass
class OptionCount:
    label: str
    count: int
    percent: float


@dataclass
class RowSummary:
    label: str
    summary: Summary
    counts: list[int]


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    options: list[OptionCount] = field(default_factory=list)
    summary: Summary | None = None
    counts: list[OptionCount] = field(default_factory=list)
    rows: list[RowSummary] = field(default_factory=list)


@dataclass
class RegionRate:
    region: str
    district: str
    addressed: int
    answered: int

    @property
    def percent(self) -> float:
        return 100.0 * self.answered / self.addressed if self.addressed else 0.0


@dataclass
class Results:
    survey: Survey
    responses: int
    questions: list[QuestionResult]
    rates: list[RegionRate]
    addressed: int
    answered: int
    dimensions: list[tuple[str, str, Summary]]

    @property
    def percent(self) -> float:
        return 100.0 * self.answered / self.addressed if self.addressed else 0.0


SCALE_LABELS = ["1", "2", "3", "4", "5"]


def _pct(count: int, base: int) -> float:
    return round(100.0 * count / base, 1) if base else 0.0


def response_rates(survey: Survey) -> list[RegionRate]:
    """Firms addressed and answered per town (with its district), from the targets."""
    rows = (
        SurveyTarget.objects.filter(survey=survey)
        .values("enterprise__grid__path")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(answered_on__isnull=False)))
    )
    by_town: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        codes = [c for c in row["enterprise__grid__path"].strip("/").split("/") if c]
        key = codes[min(2, len(codes) - 1)]
        by_town[key][0] += row["n"]
        by_town[key][1] += row["done"]
    names = dict(Region.objects.filter(code__in=by_town).values_list("code", "name"))
    parents = dict(Region.objects.filter(code__in=by_town).values_list("code", "parent__name"))
    rates = [
        RegionRate(names.get(code, code), parents.get(code) or "", n, done)
        for code, (n, done) in by_town.items()
    ]
    return sorted(rates, key=lambda r: (r.district, r.region))


def survey_results(survey: Survey) -> Results:
    """Counts and percentages per question, means with 95 % CIs for scales (five queries)."""
    questions = questions_of(survey)
    answers = Answer.objects.filter(response__survey=survey)
    answered = dict(
        answers.values("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("question_id", "n")
    )
    choices: dict[tuple[int, int], int] = {
        (r["question_id"], r["choice"]): r["n"]
        for r in answers.filter(choice__gt=0)
        .values("question_id", "choice")
        .annotate(n=Count("pk"))
    }
    numeric = {
        (r["question_id"], r["row"]): r
        for r in answers.filter(number__isnull=False)
        .values("question_id", "row")
        .annotate(n=Count("pk"), s=Sum("number"), ss=Sum(F("number") * F("number")))
    }
    points: dict[tuple[int, int, int], int] = {
        (r["question_id"], r["row"], int(r["number"])): r["n"]
        for r in answers.filter(question__kind__in=list(SCALE_KINDS))
        .values("question_id", "row", "number")
        .annotate(n=Count("pk"))
    }
    results: list[QuestionResult] = []
    by_tag: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for q in questions:
        n = answered.get(q.pk, 0)
        result = QuestionResult(q, n)
        if q.kind in CHOICE_KINDS:
            result.options = [
                OptionCount(label, choices.get((q.pk, i), 0), _pct(choices.get((q.pk, i), 0), n))
                for i, label in enumerate(q.options, start=1)
            ]
        elif q.kind in (QuestionKind.SCALE, QuestionKind.NUMBER):
            row = numeric.get((q.pk, 0))
            result.summary = (
                summarise(row["n"], row["s"], row["ss"]) if row else summarise(0, 0.0, 0.0)
            )
            if q.kind == QuestionKind.SCALE:
                m = result.summary.n
                result.counts = [
                    OptionCount(
                        lab, points.get((q.pk, 0, p), 0), _pct(points.get((q.pk, 0, p), 0), m)
                    )
                    for p, lab in enumerate(SCALE_LABELS, start=1)
                ]
        elif q.kind == QuestionKind.MATRIX:
            for r, label in enumerate(q.rows, start=1):
                row = numeric.get((q.pk, r))
                result.rows.append(
                    RowSummary(
                        label,
                        summarise(row["n"], row["s"], row["ss"]) if row else summarise(0, 0, 0),
                        [points.get((q.pk, r, p), 0) for p in range(1, 6)],
                    )
                )
        if q.tag and q.kind in SCALE_KINDS:
            for (qid, _row), agg in numeric.items():
                if qid == q.pk:
                    acc = by_tag[q.tag]
                    acc[0] += agg["n"]
                    acc[1] += agg["s"]
                    acc[2] += agg["ss"]
        results.append(result)
    from .models import QuestionTag

    labels = dict(QuestionTag.choices)
    dimensions = [
        (tag, str(labels[tag]), summarise(int(acc[0]), acc[1], acc[2]))
        for tag, acc in by_tag.items()
    ]
    rates = response_rates(survey)
    return Results(
        survey=survey,
        responses=Response.objects.filter(survey=survey).count(),
        questions=results,
        rates=rates,
        addressed=sum(r.addressed for r in rates),
        answered=sum(r.answered for r in rates),
        dimensions=dimensions,
    )


def text_answers(survey: Survey, question: Question) -> QuerySet[Answer]:
    """The text answers of one question (page it), without the firm for anonymous surveys."""
    qs = Answer.objects.filter(question=question, response__survey=survey).exclude(text="")
    if survey.anonymous:
        return qs.only("text").order_by("text")
    return qs.select_related("response__enterprise").order_by("response__enterprise__name")


def export_table(survey: Survey) -> tuple[list[str], list[list[Any]]]:
    """Raw answers: one row per response, one column per question (a matrix: one per row).

    Anonymous surveys carry the town only; named ones the firm, its USCC and the times.
    """
    from django.utils.translation import gettext as _

    from qinqing.common.workdays import SHANGHAI

    questions = questions_of(survey)
    columns: list[tuple[int, int]] = []
    header: list[str] = (
        [] if survey.anonymous else [_("企业名称"), _("统一社会信用代码"), _("填答时间")]
    )
    header.append(_("所在镇街"))
    for i, q in enumerate(questions, start=1):
        if q.kind == QuestionKind.MATRIX:
            for r, label in enumerate(q.rows, start=1):
                columns.append((q.pk, r))
                header.append(f"{i}. {q.text} - {label}")
        else:
            columns.append((q.pk, 0))
            header.append(f"{i}. {q.text}")
    kinds = {q.pk: q for q in questions}
    cells: dict[Any, dict[tuple[int, int], list[Any]]] = defaultdict(lambda: defaultdict(list))
    for a in Answer.objects.filter(response__survey=survey).order_by(
        "question_id", "row", "choice"
    ):
        q = kinds[a.question_id]
        if q.kind in CHOICE_KINDS:
            value: Any = q.options[a.choice - 1] if 0 < a.choice <= len(q.options) else a.choice
        elif q.kind in TEXT_KINDS:
            value = a.text
        elif q.kind == QuestionKind.DATE:
            value = a.day
        elif q.kind == QuestionKind.NUMBER:
            value = a.number
        else:
            value = int(a.number) if a.number is not None else None
        cells[a.response_id][(a.question_id, a.row)].append(value)
    responses = Response.objects.filter(survey=survey).select_related("region", "enterprise")
    responses = (
        responses.order_by("region__path", "id")
        if survey.anonymous
        else responses.order_by("enterprise__name", "id")
    )
    rows: list[list[Any]] = []
    for response in responses:
        line: list[Any] = []
        if not survey.anonymous:
            assert response.enterprise is not None
            moment = response.updated_at or response.submitted_at
            line += [
                response.enterprise.name,
                response.enterprise.uscc,
                moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "",
            ]
        line.append(response.region.name)
        mine = cells.get(response.pk, {})
        for key in columns:
            values = mine.get(key, [])
            line.append(
                "；".join(str(v) for v in values)
                if len(values) > 1
                else (values[0] if values else None)
            )
        rows.append(line)
    return header, rows


# --- the health index -------------------------------------------------------------------------
def index_facts(*, start: date, end: date) -> list[tuple[str, str, float, float]]:
    """The answers to tagged scale questions of published or closed surveys whose close date
    is in [start, end), grouped in the database: one row per town, tag and value with the
    number of answers as its weight, ``(region path of the response's town,
    "survey.<tag>", value 1–5, answers)``."""
    groups = (
        Answer.objects.filter(
            question__tag__gt="",
            question__kind__in=list(SCALE_KINDS),
            number__isnull=False,
            response__survey__status__in=[SurveyStatus.PUBLISHED, SurveyStatus.CLOSED],
            response__survey__closes_on__gte=start,
            response__survey__closes_on__lt=end,
        )
        .order_by()
        .values_list("response__region__path", "question__tag", "number")
        .annotate(answers=Count("*"))
    )
    return [
        (path, f"survey.{tag}", float(value), float(answers))
        for path, tag, value, answers in groups
    ]
