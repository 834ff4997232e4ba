"""Results equal a hand computation on a fixed data set; the t table; query counts."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.consultation import services
from qinqing.consultation.answers import clean_answers
from qinqing.consultation.models import Question
from qinqing.consultation.selectors import survey_list, survey_results
from qinqing.consultation.stats import summarise, t_quantile_975

from .conftest import answers, build, firm_user


@pytest.fixture
def answered(world: Any, coordinator: Any, more_firms: list[Any]) -> Any:
    survey = services.survey_publish(actor=coordinator, survey_id=build(coordinator).pk)
    firms = [world.firm_a, world.firm_b, *more_firms]
    data = [  # resumed, scale, matrix row 1, needs
        (True, 5, 4, [1]),
        (True, 4, 4, [1, 2]),
        (False, 4, 3, [2]),
        (True, 3, 5, []),
        (False, 2, 2, [1, 2, 3]),
    ]
    for firm, (resumed, scale, row1, needs) in zip(firms, data, strict=True):
        services.response_submit(
            actor=firm_user(firm),
            survey_id=survey.pk,
            enterprise=firm,
            answers=answers(
                survey, resumed=resumed, reason="原因", scale=scale, matrix={"1": row1}, needs=needs
            ),
        )
    return survey


def test_results_equal_a_hand_computation(world: Any, answered: Any) -> None:
    results = survey_results(answered)
    assert results.responses == 5 and results.addressed == 5 and results.answered == 5
    single, reason, scale, matrix, multiple, text = results.questions
    assert single.answered == 5
    assert [(o.label, o.count, o.percent) for o in single.options] == [
        ("已复工", 3, 60.0),
        ("未复工", 2, 40.0),
    ]
    assert reason.answered == 2  # shown only to the two firms that had not resumed
    # scale 5, 4, 4, 3, 2: mean 3.6; s² = (1.96 + .16 + .16 + .36 + 2.56) / 4 = 1.3
    s = scale.summary
    assert s is not None and s.n == 5
    assert s.mean == pytest.approx(3.6)
    assert s.sd == pytest.approx(math.sqrt(1.3))
    half = 2.776 * math.sqrt(1.3) / math.sqrt(5)
    assert s.ci_low == pytest.approx(3.6 - half) and s.ci_high == pytest.approx(3.6 + half)
    assert [c.count for c in scale.counts] == [0, 1, 1, 2, 1]
    assert [c.percent for c in scale.counts] == [0.0, 20.0, 20.0, 40.0, 20.0]
    # matrix row 1: 4, 4, 3, 5, 2 → mean 3.6 as well; row 2 unanswered
    row1, row2 = matrix.rows
    assert row1.summary.mean == pytest.approx(3.6) and row1.counts == [0, 1, 1, 2, 1]
    assert row2.summary.n == 0 and row2.summary.mean is None
    # multiple choice: percentages of the firms answering the question (4), not of ticks
    assert multiple.answered == 4
    assert [(o.count, o.percent) for o in multiple.options] == [(3, 75.0), (3, 75.0), (1, 25.0)]
    assert text.answered == 0
    assert [(r.region, r.district, r.addressed, r.answered) for r in results.rates] == [
        ("古林镇", "海曙区", 5, 5)
    ]
    dims = {tag: summary for tag, _label, summary in results.dimensions}
    assert dims["closeness"].mean == pytest.approx(3.6)


def test_the_results_page_draws_charts_and_the_report_prints(
    client: Any, world: Any, answered: Any, coordinator: Any
) -> None:
    client.force_login(coordinator)
    page = client.get(f"/surveys/{answered.pk}/results/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "3.60" in body
    report = client.get(f"/surveys/{answered.pk}/report/")
    assert report.status_code == 200 and "@media print" in report.content.decode()
    export = client.get(f"/surveys/{answered.pk}/export/")
    assert export.status_code == 200
    client.force_login(world.users["steward"])
    assert client.get(f"/surveys/{answered.pk}/results/").status_code == 403


def test_the_results_page_charts_each_dimension_with_its_interval(
    client: Any, answered: Any, coordinator: Any
) -> None:
    client.force_login(coordinator)
    for url in (f"/surveys/{answered.pk}/results/", f"/surveys/{answered.pk}/report/"):
        body = client.get(url).content.decode()
        chart = body[body.index('id="survey-dimensions"') :]
        chart = chart[: chart.index("</svg>")]
        assert 'aria-label="各维度平均分与 95% 置信区间"' in chart
        assert chart.count("<path") > 5  # dots and whiskers drawn
    en = client.get(f"/surveys/{answered.pk}/results/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="survey-dimensions"' in en.content.decode()


def test_a_survey_without_tagged_questions_has_no_dimension_chart(
    client: Any, world: Any, coordinator: Any
) -> None:
    survey = services.survey_publish(actor=coordinator, survey_id=build(coordinator).pk)
    Question.objects.filter(survey=survey).update(tag="")
    client.force_login(coordinator)
    body = client.get(f"/surveys/{survey.pk}/results/").content.decode()
    assert 'id="survey-dimensions"' not in body


def test_the_t_table_matches_known_quantiles() -> None:
    assert t_quantile_975(1) == 12.706
    assert t_quantile_975(10) == 2.228
    assert t_quantile_975(30) == 2.042
    assert t_quantile_975(60) == pytest.approx(2.000)
    assert t_quantile_975(50) == pytest.approx(2.009, abs=0.002)
    assert t_quantile_975(1000) == pytest.approx(1.962, abs=0.002)
    with pytest.raises(ValueError):
        t_quantile_975(0)


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=2, max_size=60))
def test_the_interval_holds_the_mean_and_stays_inside_a_sane_range(values: list[int]) -> None:
    s = summarise(len(values), float(sum(values)), float(sum(v * v for v in values)))
    assert s.mean == pytest.approx(sum(values) / len(values))
    assert s.ci_low is not None and s.ci_high is not None
    assert s.ci_low <= s.mean <= s.ci_high
    if len(set(values)) == 1:
        assert s.ci_high - s.ci_low == pytest.approx(0.0, abs=1e-9)


QUESTIONS = [
    Question(pk=1, kind="single", options=["是", "否"], required=True),
    Question(pk=2, kind="short_text", required=True, show_if_id=1, show_if_options=[2]),
    Question(pk=3, kind="multiple", options=["甲", "乙", "丙"]),
    Question(pk=4, kind="scale", required=True),
    Question(pk=5, kind="matrix", rows=["行一", "行二"], required=True),
    Question(pk=6, kind="number"),
    Question(pk=7, kind="date"),
]
ANY_VALUE = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=4),
    st.dictionaries(st.text(max_size=2), st.one_of(st.integers(), st.text(max_size=2)), max_size=3),
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.sampled_from(["1", "2", "3", "4", "5", "6", "7", "x"]), ANY_VALUE))
def test_cleaning_any_input_never_crashes_and_keeps_hidden_answers_out(raw: dict[str, Any]) -> None:
    values, errors = clean_answers(QUESTIONS, raw)
    stored = {v.question_id for v in values}
    if raw.get("1") not in (2, "2"):
        assert 2 not in stored and "q2" not in errors
    for v in values:
        if v.question_id in (4, 5):
            assert v.number in (1.0, 2.0, 3.0, 4.0, 5.0)
    assert not (stored & {int(k[1:]) for k in errors})


def test_the_survey_list_takes_a_fixed_number_of_queries(
    world: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(6):
        services.survey_publish(actor=coordinator, survey_id=build(coordinator).pk)
    user = world.users["supervisor"]
    with django_assert_max_num_queries(3):
        rows = list(survey_list(user=user))
        assert len(rows) == 6 and all(r.target_count == 2 for r in rows)


def test_the_list_pages_take_a_fixed_number_of_queries(
    client: Any, world: Any, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        services.survey_publish(actor=coordinator, survey_id=build(coordinator).pk)
    client.force_login(world.users["enterprise"])
    client.get("/surveys/")
    with django_assert_max_num_queries(12):
        assert client.get("/surveys/").status_code == 200
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        assert client.get("/surveys/").status_code == 200
