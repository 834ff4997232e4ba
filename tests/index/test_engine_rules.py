"""Each rule of the engine against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.index import engine

from .helpers import indicator, inputs, quiet

NAN = math.nan


def test_goalposts_put_a_value_at_its_distance_to_the_frontier() -> None:
    x = np.array([[75.0, 10.0], [40.0, 30.0], [110.0, -5.0]])
    y = engine.normalise(
        x, "goalposts", np.array([50.0, 0.0]), np.array([100.0, 20.0]), np.array([1, -1])
    )
    # (75-50)/50 = 50; (20-10)/20 = 50; below the low goalpost 0; beyond the frontier 100
    assert y.tolist() == [[50.0, 50.0], [0.0, 0.0], [100.0, 100.0]]


def test_min_max_uses_the_units_of_the_period_and_reverses_a_negative_indicator() -> None:
    x = np.array([[2.0, 2.0], [4.0, 4.0], [10.0, 10.0]])
    y = engine.normalise(x, "minmax", np.zeros(2), np.ones(2), np.array([1, -1]))
    assert y[:, 0].tolist() == [0.0, 25.0, 100.0]
    assert y[:, 1].tolist() == [100.0, 75.0, 0.0]


def test_z_score_is_fifty_plus_ten_z_with_the_sample_deviation() -> None:
    x = np.array([[1.0], [2.0], [3.0]])  # mean 2, sd 1
    y = engine.normalise(x, "zscore", np.zeros(1), np.ones(1), np.array([1]))
    assert y[:, 0].tolist() == [40.0, 50.0, 60.0]


def test_rank_normalisation_averages_ties() -> None:
    x = np.array([[5.0], [1.0], [5.0], [3.0]])
    y = engine.normalise(x, "rank", np.zeros(1), np.ones(1), np.array([1]))
    # ranks 3.5, 1, 3.5, 2 of 4 → (r-1)/3*100
    assert np.allclose(y[:, 0], [250 / 3, 0.0, 250 / 3, 100 / 3])


def test_missing_values_stay_missing_in_every_normalisation() -> None:
    x = np.array([[1.0], [NAN], [3.0]])
    for method in ("goalposts", "minmax", "zscore", "rank"):
        assert math.isnan(
            engine.normalise(x, method, np.zeros(1), np.ones(1) * 5, np.array([1]))[1, 0]
        )


def test_arithmetic_mean_within_a_group_leaves_out_missing_values_and_rescales_weights() -> None:
    y = np.array([[60.0, 80.0, NAN]])
    groups = np.array([[1.0], [1.0], [1.0]])
    assert engine.weighted_mean(y, np.array([1.0, 3.0, 1.0]), groups)[0, 0] == pytest.approx(75.0)


def test_geometric_combination_of_the_two_pillars() -> None:
    assert engine.combine(np.array([25.0]), np.array([100.0]), 1, 1, "geometric", 1.0)[
        0
    ] == pytest.approx(50.0)
    assert engine.combine(np.array([25.0]), np.array([100.0]), 1, 1, "arithmetic", 1.0)[0] == 62.5


def test_a_zero_pillar_is_floored_so_the_index_is_low_but_defined() -> None:
    score = engine.combine(np.array([0.0, 0.0]), np.array([100.0, 50.0]), 1, 1, "geometric", 1.0)
    # sqrt(1 * 100) = 10 and sqrt(1 * 50) ≈ 7.07: low, finite and still ordered
    assert score.tolist() == pytest.approx([10.0, math.sqrt(50.0)])


def test_closeness_cannot_make_up_for_a_lack_of_cleanness() -> None:
    balanced = engine.combine(np.array([50.0]), np.array([50.0]), 1, 1, "geometric", 1.0)[0]
    lopsided = engine.combine(np.array([95.0]), np.array([5.0]), 1, 1, "geometric", 1.0)[0]
    assert lopsided < balanced


def test_a_small_sample_is_shrunk_towards_the_parent_value() -> None:
    value, small = engine.shrink(
        np.array([80.0, 80.0, NAN]),
        np.array([5.0, 20.0, 0.0]),
        np.array([60.0] * 3),
        np.array([20.0] * 3),
    )
    # (5·80 + 15·60) / 20 = 65; at the minimum nothing changes; no observation stays missing
    assert value[0] == 65.0 and value[1] == 80.0 and math.isnan(value[2])
    assert small.tolist() == [True, False, False]


def test_a_missing_cell_takes_the_parent_value_and_is_flagged() -> None:
    value, imputed = engine.impute(np.array([NAN, 3.0, NAN]), np.array([7.0, 9.0, NAN]))
    assert value[:2].tolist() == [7.0, 3.0] and math.isnan(value[2])
    assert imputed.tolist() == [True, False, False]


def test_skew_and_kurtosis_use_population_moments_as_coinr() -> None:
    s, k = engine.skew_kurt(np.array([1.0, 2.0, 3.0, 10.0]))
    d = np.array([1.0, 2.0, 3.0, 10.0]) - 4.0
    assert s == pytest.approx((d**3).mean() / (d**2).mean() ** 1.5)
    assert k == pytest.approx((d**4).mean() / (d**2).mean() ** 2 - 3)


def test_winsorisation_sets_the_outlier_to_the_next_value_until_the_rule_no_longer_holds() -> None:
    x = np.array([1.0, 1.1, 0.9, 1.0, 1.2, 0.8, 1.0, 1.05, 0.95, 1.0, 50.0])
    assert engine.skew_kurt(x)[0] > 2 and engine.skew_kurt(x)[1] > 3.5
    treated, changed = engine.winsorise(x, skew=2.0, kurtosis=3.5, max_points=5)
    assert treated[-1] == 1.2 and changed.tolist() == [False] * 10 + [True]
    s, k = engine.skew_kurt(treated)
    assert not (abs(s) > 2 and k > 3.5)


def test_winsorisation_leaves_a_skewed_but_light_tailed_indicator_alone() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    treated, changed = engine.winsorise(x, skew=2.0, kurtosis=3.5, max_points=5)
    assert not changed.any() and treated.tolist() == x.tolist()


def test_winsorisation_stops_after_the_maximum_number_of_points() -> None:
    x = np.array([0.0] * 30 + [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0])
    _treated, changed = engine.winsorise(x, skew=2.0, kurtosis=3.5, max_points=2)
    assert changed.sum() <= 2


def test_ranks_share_the_best_place_on_ties() -> None:
    ranks = engine.competition_ranks(np.array([[10.0, 30.0, 30.0, NAN, 5.0]]))
    assert (
        ranks[0, :3].tolist() == [3.0, 1.0, 1.0] and math.isnan(ranks[0, 3]) and ranks[0, 4] == 4.0
    )


def test_tiers_group_units_whose_rank_intervals_overlap_the_leaders() -> None:
    nominal = np.array([1.0, 2.0, 3.0, 4.0])
    low = np.array([1.0, 1.0, 3.0, 3.0])
    high = np.array([2.0, 3.0, 4.0, 4.0])
    assert engine.tiers(nominal, low, high).tolist() == [1, 1, 2, 2]


@given(st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=40))
def test_every_normalisation_stays_within_zero_and_hundred(values: list[float]) -> None:
    x = np.array(values)[:, None]
    for method in ("goalposts", "minmax", "zscore", "rank"):
        y = engine.normalise(x, method, np.array([-1e5]), np.array([1e5]), np.array([1]))
        assert np.all((y >= 0) & (y <= 100))


def test_a_unit_below_the_coverage_threshold_is_not_scored() -> None:
    tree = [indicator("a"), indicator("b"), indicator("c", "qing", "integrity")]
    data = inputs([[50, 60, 70], [NAN, 60, 70], [NAN, NAN, 70]], tree)
    out = engine.run(data, quiet(draws=0))
    # 3/3 and 2/3 ≥ 65 %; 1/3 is not
    assert out.scored.tolist() == [True, True, False]
    assert math.isnan(out.score[2]) and math.isnan(out.rank[2])


def test_the_nominal_run_against_a_hand_computed_score() -> None:
    tree = [
        indicator("a"),
        indicator("b", sub="service", direction=-1, goalposts=(0.0, 20.0)),
        indicator("c", "qing", "integrity"),
    ]
    data = inputs([[80.0, 5.0, 36.0], [40.0, 10.0, 64.0]], tree)
    out = engine.run(data, quiet(draws=0))
    # unit 0: care 80, service (20-5)/20 = 75 → 亲 77.5; 清 36 → sqrt(77.5·36)
    assert out.qin[0] == pytest.approx(77.5) and out.qing[0] == pytest.approx(36.0)
    assert out.score[0] == pytest.approx(math.sqrt(77.5 * 36))
    assert out.score[1] == pytest.approx(math.sqrt(45.0 * 64))
    # 52.8 < 53.7: the cleaner unit ranks first although it is less close
    assert out.rank.tolist() == [2.0, 1.0]
    assert out.effective_weights == pytest.approx({"a": 0.25, "b": 0.25, "c": 0.5})


@given(st.lists(st.sampled_from([1.0, 2.0, 2.0, 3.5, math.nan, 7.0]), min_size=2, max_size=12))
def test_rank_normalisation_matches_the_definition_with_ties_and_gaps(values: list[float]) -> None:
    x = np.array(values)[:, None]
    y = engine.normalise(x, "rank", np.zeros(1), np.ones(1), np.array([1]))[:, 0]
    seen = x[~np.isnan(x)]
    for i, v in enumerate(values):
        if math.isnan(v):
            assert math.isnan(y[i])
            continue
        r = 1 + (seen < v).sum() + ((seen == v).sum() - 1) / 2
        expected = (r - 1) / (len(seen) - 1) * 100 if len(seen) > 1 else 50.0
        assert y[i] == pytest.approx(expected)


@given(
    st.lists(
        st.lists(st.sampled_from([1.0, 2.0, 2.0, 5.5, 9.0, math.nan]), min_size=6, max_size=6),
        min_size=1,
        max_size=20,
    )
)
def test_ranks_of_a_whole_matrix_match_counting_the_higher_scores(rows: list[list[float]]) -> None:
    scores = np.array(rows)
    ranks = engine.competition_ranks(scores)
    for d, row in enumerate(rows):
        for u, v in enumerate(row):
            if math.isnan(v):
                assert math.isnan(ranks[d, u])
            else:
                assert ranks[d, u] == 1 + sum(1 for w in row if not math.isnan(w) and w > v)


@given(
    st.lists(st.integers(1, 9), min_size=1, max_size=60),
    st.sampled_from([0.0, 0.05, 0.25, 0.5, 0.9, 0.95, 1.0]),
)
def test_rank_quantiles_by_counting_equal_numpys_inverted_cdf(ranks: list[int], q: float) -> None:
    r = np.array(ranks, dtype=float)[:, None]
    expected = np.quantile(r, q, axis=0, method="inverted_cdf")
    assert engine.rank_quantiles(r, (q,))[0].tolist() == expected.tolist()


def test_rank_quantiles_leave_out_draws_without_a_rank() -> None:
    r = np.array([[1.0, NAN], [3.0, NAN], [2.0, NAN], [NAN, NAN]])
    got = engine.rank_quantiles(r, (0.05, 0.5, 0.95))
    assert got[:, 0].tolist() == [1.0, 2.0, 3.0] and np.isnan(got[:, 1]).all()


def test_the_segmented_group_mean_equals_the_membership_product() -> None:
    rng = np.random.default_rng(3)
    y = rng.uniform(0, 100, (50, 7, 6))
    y[rng.uniform(size=y.shape) < 0.2] = NAN
    w = rng.uniform(0.5, 1.5, (50, 6))
    contiguous = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1.0]])
    scattered = contiguous[[0, 2, 1, 3, 4, 5]]
    assert engine._contiguous(contiguous) is not None and engine._contiguous(scattered) is None
    fast = engine.weighted_mean(y, w, contiguous)
    slow = engine.weighted_mean(y[..., [0, 2, 1, 3, 4, 5]], w[..., [0, 2, 1, 3, 4, 5]], scattered)
    assert np.allclose(fast, slow, equal_nan=True)
