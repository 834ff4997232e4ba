"""The demo's surveys: Gulin 2020 with 200+ named responses, a Ningbo-wide anonymous
business-environment survey whose districts differ, fast and reproducible."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from statistics import mean
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
    survey = Survey.objects.get(template="business_environment")
    assert survey.anonymous and survey.status == SurveyStatus.CLOSED
    responses = Response.objects.filter(survey=survey)
    assert responses.count() > 1000
    assert not responses.filter(enterprise__isnull=False).exists()
    assert not responses.filter(submitted_at__isnull=False).exists()
    facts = index_facts(start=survey.closes_on, end=date(survey.closes_on.year + 1, 1, 1))
    by_district: dict[str, list[float]] = defaultdict(list)
    for path, indicator, value, answers in facts:
        assert indicator.startswith("survey.") and 1 <= value <= 5 and answers >= 1
        by_district[path.split("/")[2]] += [value] * int(answers)
    means = [mean(v) for v in by_district.values()]
    assert len(means) >= 8 and max(means) - min(means) > 0.2
