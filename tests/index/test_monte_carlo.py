"""The uncertainty analysis: no noise gives the nominal rank; more noise, wider intervals."""

from __future__ import annotations

import numpy as np

from qinqing.index import engine

from .helpers import indicator, inputs, quiet


def _data(units: int = 12) -> engine.Inputs:
    rng = np.random.default_rng(7)
    tree = [
        indicator("a"),
        indicator("b", sub="service"),
        indicator("s", sub="closeness", kind="mean", goalposts=(1.0, 5.0)),
        indicator("c", "qing", "integrity"),
        indicator("d", "qing", "transparency"),
    ]
    raw = np.column_stack(
        [
            rng.uniform(40, 90, units),
            rng.uniform(40, 90, units),
            np.zeros(units),
            rng.uniform(40, 90, units),
            rng.uniform(40, 90, units),
        ]
    )
    data = inputs(raw.tolist(), tree)
    for u in range(units):
        counts = rng.integers(1, 12, size=5).astype(float)
        values = np.arange(1.0, 6.0)
        data.answers[(u, 2)] = (values, counts)
        data.raw[u, 2] = counts @ values / counts.sum()
        data.n[u, 2] = counts.sum()
    return data


def test_with_every_source_of_noise_off_each_draw_gives_the_nominal_rank() -> None:
    out = engine.run(_data(), quiet(draws=40))
    assert out.rank_draws.shape == (40, 12)
    assert (out.rank_draws == out.rank[None, :]).all()
    assert (out.rank_low == out.rank).all() and (out.rank_high == out.rank).all()


def test_intervals_widen_as_the_weight_noise_grows() -> None:
    data = _data()
    widths = []
    for noise in (0.0, 0.1, 0.5):
        out = engine.run(data, quiet(draws=300, weight_noise=noise))
        widths.append(float((out.rank_high - out.rank_low).sum()))
    assert widths[0] == 0 and widths[0] <= widths[1] <= widths[2] and widths[2] > 0


def test_the_bootstrap_of_survey_answers_alone_spreads_the_ranks() -> None:
    out = engine.run(_data(), quiet(draws=300, bootstrap=True))
    assert (out.rank_high - out.rank_low).sum() > 0


def test_every_alternative_together_keeps_the_median_near_the_nominal_rank() -> None:
    data = _data()
    settings = quiet(
        draws=500,
        weight_noise=0.25,
        normalisation=("goalposts", "minmax", "zscore", "rank"),
        aggregation=("geometric", "arithmetic"),
        imputation=(True, False),
        bootstrap=True,
    )
    out = engine.run(data, settings)
    assert np.abs(out.median_rank - out.rank).max() <= 4
    assert (out.rank_low <= out.median_rank).all() and (out.median_rank <= out.rank_high).all()


def test_the_same_seed_gives_the_same_draws_and_another_seed_other_draws() -> None:
    data = _data()
    settings = quiet(draws=200, weight_noise=0.4, bootstrap=True)
    first = engine.run(data, settings).rank_draws
    again = engine.run(data, settings).rank_draws
    settings.seed += 1
    other = engine.run(data, settings).rank_draws
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_tiers_follow_the_rank_intervals() -> None:
    out = engine.run(_data(), quiet(draws=300, weight_noise=0.5, bootstrap=True))
    order = np.argsort(out.rank)
    assert out.tier[order[0]] == 1
    assert (np.diff(out.tier[order]) >= 0).all()


def test_units_below_the_coverage_minimum_are_left_out_of_the_draws_without_error() -> None:
    """Regression: the Monte Carlo ranks every unit's column, while only the scored units
    take the quantiles (3 of 10 districts scored in the demo crashed the load)."""
    data = _data(units=10)
    data.raw[3:, [0, 1, 3, 4]] = np.nan  # 7 units keep only the survey: 1 of 5 observed
    out = engine.run(data, quiet(draws=60, weight_noise=0.3, bootstrap=True))
    assert out.scored.tolist() == [True] * 3 + [False] * 7
    assert out.rank_draws.shape == (60, 10)
    assert np.isnan(out.rank_draws[:, 3:]).all()
    assert sorted(out.rank[:3].tolist()) == [1.0, 2.0, 3.0]
    assert (out.rank_low[:3] <= out.median_rank[:3]).all()
    assert (out.median_rank[:3] <= out.rank_high[:3]).all()
    assert np.isnan(out.median_rank[3:]).all() and (out.tier[3:] == 0).all()
