"""The demo's surveys: Gulin 2020 with 200+ named responses, a Ningbo-wide anonymous
business-environment survey each year of the history whose districts differ and move, fast
and reproducible."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest

from qinqing.consultation.models import Response, Survey, SurveyStatus
from qinqing.consultation.selectors import index_facts, survey_results

# the session's one demo load (tests/demo/shared.py), rolled back after the last test using it
pytestmark = pytest.mark.usefixtures("demo_loaded")


def test_the_gulin_questionnaire_has_200_plus_named_responses_and_results(db: Any) -> None:
    survey = Survey.objects.get(title="古林镇企业复工复产情况调查")
    assert survey.status == SurveyStatus.CLOSED and survey.closes_on == date(2020, 2, 29)
    responses = Response.objects.filter(survey=survey)
    assert responses.count() >= 200
    assert not responses.filter(enterprise__isnull=True).exists()
    results = survey_results(survey)
    assert results.addressed > 3000 and results.answered == responses.count()
    assert sum(o.count for o in results.questions[0].options) == results.answered


def test_the_business_environment_survey_is_anonymous_and_districts_differ(db: Any) -> None:
    survey = Survey.objects.filter(template="business_environment").latest("closes_on")
    assert survey.anonymous and survey.status == SurveyStatus.CLOSED
    responses = Response.objects.filter(survey=survey)
    assert responses.count() > 1000
    assert not responses.filter(enterprise__isnull=False).exists()
    assert not responses.filter(submitted_at__isnull=False).exists()
    by_district = _district_means(survey)
    assert len(by_district) >= 8 and max(by_district.values()) - min(by_district.values()) > 0.2


def test_the_survey_runs_every_year_of_the_history_with_fewer_answers_further_back(
    db: Any,
) -> None:
    surveys = list(Survey.objects.filter(template="business_environment").order_by("closes_on"))
    assert len(surveys) == 3
    years = [s.closes_on.year for s in surveys]
    assert years == list(range(years[0], years[0] + 3))
    assert len({(s.closes_on.month, s.closes_on.day) for s in surveys}) == 1
    assert all(s.title == f"{s.closes_on.year}年宁波市营商环境评价" for s in surveys)
    counts = [Response.objects.filter(survey=s).count() for s in surveys]
    assert counts == sorted(counts) and counts[0] < 0.85 * counts[-1]
    # districts move between the years: the district means are not the same each year
    first, last = _district_means(surveys[0]), _district_means(surveys[-1])
    changes = [last[d] - first[d] for d in first]
    assert max(changes) - min(changes) > 0.2


def _district_means(survey: Survey) -> dict[str, float]:
    """District code → the mean of the survey's tagged answers (the index's facts)."""
    facts = index_facts(start=survey.closes_on, end=date(survey.closes_on.year + 1, 1, 1))
    total: dict[str, float] = defaultdict(float)
    weight: dict[str, float] = defaultdict(float)
    for path, indicator, value, *rest in facts:
        assert indicator.startswith("survey.") and 1 <= value <= 5
        w = float(rest[0]) if rest else 1.0
        total[path.split("/")[2]] += value * w
        weight[path.split("/")[2]] += w
    return {d: total[d] / weight[d] for d in total}
