"""The composite-indicator engine: checks, normalisation, weights, aggregation, Monte Carlo.

Pure numpy, no database: ``compute.py`` assembles the :class:`Inputs` from the platform's
facts; tests build them by hand. Every rule here is stated in the methodology file and in
``docs/index-methodology.md``. Arrays are shaped (units, indicators), or (draws, units,
indicators) inside the Monte Carlo, and every random number comes from one
``numpy.random.default_rng(seed)`` drawn in a fixed order, so the same inputs and seed give
the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .method import AGGREGATIONS, NORMALISATIONS, Indicator, Methodology, Uncertainty

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    path: str
    parent_code: str = ""


@dataclass
class Inputs:
    """What the engine needs for one level and period.

    ``raw[u, k]``: the unit's raw value (NaN when nothing was observed); ``n[u, k]``: its
    sample (the ratio's denominator, the number of answers); ``parent[u, k]``: the parent
    region's raw value; ``applicable[u, k]``: False where the unit had no event in the
    indicator's denominator and the indicator's ``no_events`` is ``not_applicable`` (the cell
    takes the parent's value like a missing one but does not count against coverage; None:
    all applicable);
    ``answers[(u, k)]``: for a survey mean, the distinct answer values and how often each was
    given (for the bootstrap); ``red_line[u]``: True, False or None (the source is
    unavailable).
    """

    units: list[Unit]
    indicators: list[Indicator]
    raw: Array
    n: Array
    parent: Array
    applicable: Array | None = None
    answers: dict[tuple[int, int], tuple[Array, Array]] = field(default_factory=dict)
    red_line: list[bool | None] = field(default_factory=list)
    unavailable: list[Indicator] = field(default_factory=list)
    #: weights of the sub-pillars (pillar, sub-pillar) and pillars; 1 when not given
    sub_weights: dict[tuple[str, str], float] = field(default_factory=dict)
    pillar_weights: dict[str, float] = field(default_factory=dict)
    #: what the caller wants carried along (the business-environment figures)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Settings:
    """The choices of one run (the methodology's, or a test's)."""

    normalisation: str
    aggregation: str
    imputation: bool
    weight_set: dict[str, float]
    uncertainty: Uncertainty
    seed: int
    coverage_min: float
    zero_floor: float
    skew: float
    kurtosis: float
    max_points: int

    @classmethod
    def of(
        cls,
        method: Methodology,
        *,
        draws: int | None = None,
        seed: int | None = None,
        weight_set: str = "equal",
        **changes: Any,
    ) -> Settings:
        u = method.uncertainty
        if draws is not None:
            u = Uncertainty(**{**u.__dict__, "draws": draws})
        outliers = method.settings["outliers"]
        settings = cls(
            normalisation=method.settings["normalisation"],
            aggregation=method.settings["aggregation_between"],
            imputation=True,
            weight_set=method.weight_set(weight_set),
            uncertainty=u,
            seed=method.seed if seed is None else seed,
            coverage_min=method.coverage_min,
            zero_floor=method.zero_floor,
            skew=float(outliers["skew"]),
            kurtosis=float(outliers["kurtosis"]),
            max_points=int(outliers["max_points"]),
        )
        for key, value in changes.items():
            if key in Uncertainty.__dataclass_fields__:
                settings.uncertainty = Uncertainty(**{**settings.uncertainty.__dict__, key: value})
            else:
                setattr(settings, key, value)
        return settings


# --- single rules (each tested against hand-computed values) ---------------------------------


def shrink(value: Array, n: Array, parent: Array, minimum: Array) -> tuple[Array, Array]:
    """Small samples towards the parent: (n·own + (m − n)·parent) / m where 0 < n < m."""
    small = (n > 0) & (n < minimum) & ~np.isnan(value) & ~np.isnan(parent)
    with np.errstate(invalid="ignore", divide="ignore"):
        shrunk = (n * value + (minimum - n) * parent) / np.where(minimum > 0, minimum, 1)
    return np.where(small, shrunk, value), small


def impute(value: Array, parent: Array) -> tuple[Array, Array]:
    """Empty cells take the parent region's value; returns (values, imputed mask)."""
    missing = np.isnan(value) & ~np.isnan(parent)
    return np.where(missing, parent, value), missing


def skew_kurt(x: Array) -> tuple[float, float]:
    """Skewness and excess kurtosis with population moments, as COINr's skew() and kurt()."""
    x = x[~np.isnan(x)]
    if len(x) < 3:
        return 0.0, 0.0
    d = x - x.mean()
    m2 = float((d**2).mean())
    if m2 == 0:
        return 0.0, 0.0
    return float((d**3).mean() / m2**1.5), float((d**4).mean() / m2**2 - 3)


def winsorise(x: Array, *, skew: float, kurtosis: float, max_points: int) -> tuple[Array, Array]:
    """COINr's rule: while |skew| > skew and kurtosis > kurtosis, set the most extreme value on
    the side of the skew to the next one, at most ``max_points`` values. Returns the values and
    the mask of the winsorised cells."""
    x = x.astype(float).copy()
    changed = np.zeros(len(x), dtype=bool)
    for _ in range(max_points):
        s, k = skew_kurt(x)
        if not (abs(s) > skew and k > kurtosis):
            break
        valid = np.flatnonzero(~np.isnan(x))
        if s > 0:
            at = valid[np.argmax(x[valid])]
            others = np.delete(x[valid], np.argmax(x[valid]))
            x[at] = others.max()
        else:
            at = valid[np.argmin(x[valid])]
            others = np.delete(x[valid], np.argmin(x[valid]))
            x[at] = others.min()
        changed[at] = True
    return x, changed


def normalise(x: Array, method: str, low: Array, high: Array, direction: Array) -> Array:
    """Normalise along the units axis (-2) of ``x`` (…, units, indicators) to 0–100."""
    good = direction > 0
    if method == "goalposts":
        y = np.where(good, (x - low) / (high - low), (high - x) / (high - low))
        return np.clip(y, 0, 1) * 100
    if method == "minmax":
        with np.errstate(invalid="ignore", divide="ignore"):
            lo = np.nanmin(np.where(np.isnan(x), np.inf, x), axis=-2, keepdims=True)
            hi = np.nanmax(np.where(np.isnan(x), -np.inf, x), axis=-2, keepdims=True)
            span = hi - lo
            y = np.where(span > 0, (x - lo) / np.where(span > 0, span, 1), 0.5)
        y = np.where(good, y, 1 - y) * 100
        return np.where(np.isnan(x), np.nan, y)
    if method == "zscore":
        count = np.sum(~np.isnan(x), axis=-2, keepdims=True)
        mean = np.nansum(x, axis=-2, keepdims=True) / np.maximum(count, 1)
        sq = np.nansum((x - mean) ** 2, axis=-2, keepdims=True)
        sd = np.sqrt(sq / np.maximum(count - 1, 1))
        z = np.where(sd > 0, (x - mean) / np.where(sd > 0, sd, 1), 0.0)
        y = np.clip(50 + 10 * np.where(good, z, -z), 0, 100)
        return np.where(np.isnan(x), np.nan, y)
    if method == "rank":
        return _percentile_rank(x, good)
    raise ValueError(method)


def _percentile_rank(x: Array, good: Array) -> Array:
    """(r − 1) / (m − 1) · 100 with r the rank among the m observed units, ties averaged.

    Sort-based (n log n along the units axis), vectorised over draws and indicators."""
    v = np.moveaxis(x, -2, -1)  # (…, k, units)
    n = v.shape[-1]
    order = np.argsort(v, axis=-1, kind="stable")  # NaN last
    s = np.take_along_axis(v, order, axis=-1)
    positions = np.broadcast_to(np.arange(n), s.shape)
    differs = s[..., 1:] != s[..., :-1]  # NaN != NaN: each NaN is its own group
    edge = np.ones((*s.shape[:-1], 1), dtype=bool)
    starts = np.concatenate([edge, differs], axis=-1)
    ends = np.concatenate([differs, edge], axis=-1)
    first = np.maximum.accumulate(np.where(starts, positions, 0), axis=-1)
    last = np.flip(
        np.minimum.accumulate(np.flip(np.where(ends, positions, n - 1), axis=-1), axis=-1), axis=-1
    )
    average = (first + last) / 2 + 1
    r = np.empty(s.shape)
    np.put_along_axis(r, order, average, axis=-1)
    r = np.moveaxis(r, -1, -2)  # back to (…, units, k)
    m = np.sum(~np.isnan(x), axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(m > 1, (r - 1) / np.where(m > 1, m - 1, 1), 0.5)
    y = np.where(good, y, 1 - y) * 100
    return np.where(np.isnan(x), np.nan, y)


def weighted_mean(y: Array, w: Array, groups: Array, *, planes: bool = False) -> Array:
    """Arithmetic mean of ``y`` (…, units, k) within groups (k, g) with weights w (…, k);
    missing values are left out and the group's weights re-scaled. → (…, units, g).
    ``planes``: ``y`` is laid out (k, …, units), one contiguous plane per column."""
    starts = _contiguous(groups)
    if planes and starts is None:
        y = np.moveaxis(y, 0, -1)
    if starts is not None:
        columns = y if planes else np.moveaxis(y, -1, 0)
        # each indicator in one group, the groups' columns side by side (the tree's order):
        # add the columns of each group one after the other, a whole (draws × units) plane
        # at a time, without (draws × units × k) temporaries
        ends = [*starts[1:].tolist(), groups.shape[0]]
        num = np.empty((*columns.shape[1:], groups.shape[1]))
        den = np.empty(num.shape)
        for g, (a, b) in enumerate(zip(starts.tolist(), ends, strict=True)):
            num[..., g], den[..., g] = _column_sums(columns, w, a, b)
    else:
        present = ~np.isnan(y)
        wk = w[..., None, :] * present  # (…, units, k)
        yw = np.where(present, y, 0.0) * wk
        num = np.einsum("...uk,kg->...ug", yw, groups)
        den = np.einsum("...uk,kg->...ug", wk, groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _column_sums(columns: Array, w: Array, start: int, end: int) -> tuple[Array, Array]:
    """Σ y·w and Σ w over the present (not NaN) values of columns ``start`` … ``end − 1``
    (``columns[k]``: column k, shaped (…, units)), added in that order."""
    num = den = None
    for k in range(start, end):
        column, weight = columns[k], w[..., k, None]
        missing = np.isnan(column)
        if missing.any():
            present = ~missing
            wk = weight * present
            yw = np.where(present, column, 0.0) * wk
        else:  # every value present: the same products without the masks
            wk = np.broadcast_to(weight, column.shape)
            yw = column * weight
        if num is None or den is None:
            num, den = yw, np.array(wk)
        else:
            num += yw
            den += wk
    assert num is not None and den is not None
    return num, den


def _contiguous(groups: Array) -> Array | None:
    """The first column of each group when ``groups`` (k, g) puts every column in exactly
    one group, groups in order and each group's columns adjacent; else None."""
    if groups.size == 0 or not ((groups == 0) | (groups == 1)).all():
        return None
    if not (groups.sum(axis=1) == 1).all() or not (groups.sum(axis=0) > 0).all():
        return None
    of = np.argmax(groups, axis=1)
    if (np.diff(of) < 0).any():
        return None
    return np.searchsorted(of, np.arange(groups.shape[1]))


def combine(qin: Array, qing: Array, wq: Array, wc: Array, method: str, floor: float) -> Array:
    """亲 and 清 into the index: weighted geometric mean (pillars floored at ``floor``) or
    weighted arithmetic mean."""
    total = wq + wc
    if method == "geometric":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.exp(
                (wq * np.log(np.maximum(qin, floor)) + wc * np.log(np.maximum(qing, floor))) / total
            )
    return (wq * qin + wc * qing) / total


def competition_ranks(scores: Array) -> Array:
    """Rank 1 = highest score; ties share the best rank ("1224"); NaN scores get NaN.
    ``scores`` (draws, units) → ranks (draws, units).

    One sort of the whole (draws × units) matrix: a unit's rank is one plus its position
    among the scores in descending order, ties taking the position of the first of them."""
    n = scores.shape[1]
    if n == 0:
        return np.empty(scores.shape)
    filled = np.where(np.isnan(scores), np.inf, -scores)  # ascending = highest first
    order = np.argsort(filled, axis=1, kind="stable")
    s = np.take_along_axis(filled, order, axis=1)
    starts = np.ones(s.shape, dtype=bool)
    starts[:, 1:] = s[:, 1:] != s[:, :-1]
    positions = np.broadcast_to(np.arange(n), s.shape)
    first = np.maximum.accumulate(np.where(starts, positions, 0), axis=1)
    out = np.empty(s.shape)
    np.put_along_axis(out, order, first + 1.0, axis=1)
    return np.where(np.isnan(scores), np.nan, out)


def rank_quantiles(ranks: Array, qs: tuple[float, ...]) -> Array:
    """Quantiles (numpy's ``inverted_cdf``: the smallest rank r with at least ⌈q·n⌉ of the
    n draws at or below r) of each unit's ranks (draws, units) → (len(qs), units), NaN draws
    left out. Ranks are small whole numbers: counted, not sorted."""
    draws, n = ranks.shape
    out = np.full((len(qs), n), np.nan)
    if draws == 0 or n == 0:
        return out
    valid = ~np.isnan(ranks)
    r = np.where(valid, ranks, 0).astype(np.int64)
    top = int(r.max()) + 1
    counts = np.zeros((n, top), dtype=np.int64)
    np.add.at(counts, (np.broadcast_to(np.arange(n), r.shape)[valid], r[valid]), 1)
    cumulative = np.cumsum(counts, axis=1)
    total = cumulative[:, -1]
    for j, q in enumerate(qs):
        need = np.maximum(np.ceil(q * total - 1e-9).astype(np.int64), 1)
        at = np.argmax(cumulative >= need[:, None], axis=1)
        out[j] = np.where(total > 0, at, np.nan)
    return out


def tiers(nominal: Array, low: Array, high: Array) -> Array:
    """梯队: units in order of nominal rank; a unit joins the current tier while its rank
    interval reaches the interval of the tier's first unit (low ≤ the leader's high)."""
    out = np.zeros(len(nominal), dtype=int)
    order = [i for i in np.argsort(nominal, kind="stable") if not np.isnan(nominal[i])]
    tier, leader_high = 0, -np.inf
    for i in order:
        if tier == 0 or low[i] > leader_high:
            tier += 1
            leader_high = high[i]
        out[i] = tier
    return out


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Output:
    """Everything a run produces, in arrays indexed like the inputs."""

    inputs: Inputs
    scored_indicators: list[int]  # indexes into inputs.indicators
    value: Array  # after shrink, imputation and winsorisation (units, k)
    normalised: Array
    shrunk: Array
    imputed: Array
    winsorised: Array
    coverage: Array  # (units,)
    scored: Array  # (units,) bool
    sub: Array  # (units, subpillars)
    subpillars: list[tuple[str, str]]  # (pillar code, sub-pillar code)
    qin: Array
    qing: Array
    score: Array
    rank: Array
    median_rank: Array
    rank_low: Array
    rank_high: Array
    tier: Array
    effective_weights: dict[str, float]
    draws: int
    measured: Array  # (k,) bool: observed in at least one unit of the level
    rank_draws: Array = field(repr=False)


def _structure(
    inputs: Inputs, settings: Settings, measured: Array
) -> tuple[list[int], list[tuple[str, str]], Array, Array, Array, Array, Array]:
    """Scored indicator indexes (scored by the method and measured in the period),
    sub-pillars, membership matrices and base weights."""
    scored = [k for k, i in enumerate(inputs.indicators) if i.scored and measured[k]]
    subs: list[tuple[str, str]] = []
    for k in scored:
        key = (inputs.indicators[k].pillar, inputs.indicators[k].subpillar)
        if key not in subs:
            subs.append(key)
    member = np.zeros((len(scored), len(subs)))
    for j, k in enumerate(scored):
        i = inputs.indicators[k]
        member[j, subs.index((i.pillar, i.subpillar))] = 1
    pillar_of = np.zeros((len(subs), 2))
    for s, (pillar, _sub) in enumerate(subs):
        pillar_of[s, 0 if pillar == "qin" else 1] = 1
    ws = settings.weight_set
    w_ind = np.array(
        [inputs.indicators[k].weight * ws.get(inputs.indicators[k].code, 1) for k in scored]
    )
    w_sub = np.array([_sub_weight(inputs, p, s) * ws.get(s, 1) for p, s in subs])
    w_pil = np.array(
        [
            _pillar_weight(inputs, "qin") * ws.get("qin", 1),
            _pillar_weight(inputs, "qing") * ws.get("qing", 1),
        ]
    )
    return scored, subs, member, pillar_of, w_ind, w_sub, w_pil


def _sub_weight(inputs: Inputs, pillar: str, sub: str) -> float:
    return inputs.sub_weights.get((pillar, sub), 1.0)


def _pillar_weight(inputs: Inputs, pillar: str) -> float:
    return inputs.pillar_weights.get(pillar, 1.0)


def _scores(
    x: Array,
    *,
    norm: Array,
    agg: Array,
    w_ind: Array,
    w_sub: Array,
    w_pil: Array,
    member: Array,
    pillar_of: Array,
    low: Array,
    high: Array,
    direction: Array,
    norm_methods: tuple[str, ...],
    agg_methods: tuple[str, ...],
    floor: float,
    normalised: Array | None = None,
    planes: bool = False,
) -> tuple[Array, Array, Array, Array, Array]:
    """Scores of draws: x (D, units, k) → normalised, sub-pillars, 亲, 清, index (``x`` is
    normalised here unless the caller gives ``normalised``, laid out (k, D, units) when
    ``planes``)."""
    if normalised is None:
        y = np.full(x.shape, np.nan)
        for m, name in enumerate(norm_methods):
            which = norm == m
            if which.any():
                y[which] = normalise(x[which], name, low, high, direction)
    else:
        y = normalised
    sub = weighted_mean(y, w_ind, member, planes=planes)
    pil = weighted_mean(sub, w_sub, pillar_of)
    qin, qing = pil[..., 0], pil[..., 1]
    score = np.full(qin.shape, np.nan)
    for m, name in enumerate(agg_methods):
        which = agg == m
        if which.any():
            score[which] = combine(
                qin[which], qing[which], w_pil[which, 0:1], w_pil[which, 1:2], name, floor
            )
    return y, sub, qin, qing, score


def run(inputs: Inputs, settings: Settings) -> Output:
    units, indicators = inputs.units, inputs.indicators
    n_units = len(units)
    minimum = np.array([i.min_sample for i in indicators])
    applicable = (
        np.ones(inputs.raw.shape, dtype=bool) if inputs.applicable is None else inputs.applicable
    )
    # an indicator no unit of the level observed in the period is not measured in it
    measured: Array = np.asarray((~np.isnan(inputs.raw)).any(axis=0))
    scored_k, subs, member, pillar_of, w_ind, w_sub, w_pil = _structure(inputs, settings, measured)

    # 1. small samples, coverage, imputation, outliers (nominal)
    base, shrunk = shrink(inputs.raw, inputs.n, inputs.parent, minimum)
    observed = ~np.isnan(base)
    if scored_k:
        due = applicable[:, scored_k].sum(axis=1)
        got = observed[:, scored_k].sum(axis=1)
        coverage = np.where(due > 0, got / np.maximum(due, 1), 0.0)
    else:
        coverage = np.zeros(n_units)
    # each pillar needs an observed indicator of the unit's own
    in_pillar = np.array([[indicators[k].pillar == p for k in scored_k] for p in ("qin", "qing")])
    own = observed[:, scored_k]
    both = (own[:, None, :] & in_pillar[None]).any(axis=2).all(axis=1) if scored_k else False
    scored = (coverage >= settings.coverage_min) & both
    value, imputed = (
        impute(base, inputs.parent) if settings.imputation else (base, np.zeros(base.shape, bool))
    )
    imputed[:, ~measured] = False  # nothing to impute in a column no unit observed
    value[:, ~measured] = np.nan
    winsorised = np.zeros(base.shape, dtype=bool)
    caps_low = np.full(len(indicators), -np.inf)
    caps_high = np.full(len(indicators), np.inf)
    rows = np.flatnonzero(scored)
    for k in range(len(indicators)):
        column = value[rows, k]
        treated, changed = winsorise(
            column, skew=settings.skew, kurtosis=settings.kurtosis, max_points=settings.max_points
        )
        if changed.any():
            value[rows, k] = treated
            winsorised[rows[changed], k] = True
            caps_low[k], caps_high[k] = np.nanmin(treated), np.nanmax(treated)

    low = np.array([indicators[k].goalposts[0] for k in scored_k])
    high = np.array([indicators[k].goalposts[1] for k in scored_k])
    direction = np.array([indicators[k].direction for k in scored_k])
    all_low = np.array([i.goalposts[0] for i in indicators])
    all_high = np.array([i.goalposts[1] for i in indicators])
    all_dir = np.array([i.direction for i in indicators])
    nominal_norm = NORMALISATIONS.index(settings.normalisation)
    nominal_agg = AGGREGATIONS.index(settings.aggregation)

    # normalised values of every indicator for display (statistics over scored units)
    shown = np.where(scored[:, None], value, np.nan)
    normalised = normalise(shown[None], settings.normalisation, all_low, all_high, all_dir)[0]
    if settings.normalisation == "goalposts":
        normalised = normalise(value[None], "goalposts", all_low, all_high, all_dir)[0]

    sub = np.full((n_units, len(subs)), np.nan)
    qin = np.full(n_units, np.nan)
    qing = np.full(n_units, np.nan)
    score = np.full(n_units, np.nan)
    rank = np.full(n_units, np.nan)
    med = np.full(n_units, np.nan)
    r_lo = np.full(n_units, np.nan)
    r_hi = np.full(n_units, np.nan)
    tier = np.zeros(n_units, dtype=int)
    rank_draws = np.zeros((0, n_units))
    draws = settings.uncertainty.draws
    if rows.size and scored_k:
        x_nom = value[rows][:, scored_k][None]
        _y, s_nom, q1, q2, sc = _scores(
            x_nom,
            norm=np.array([0]),
            agg=np.array([0]),
            w_ind=w_ind[None],
            w_sub=w_sub[None],
            w_pil=w_pil[None],
            member=member,
            pillar_of=pillar_of,
            low=low,
            high=high,
            direction=direction,
            norm_methods=(settings.normalisation,),
            agg_methods=(settings.aggregation,),
            floor=settings.zero_floor,
        )
        sub[rows], qin[rows], qing[rows], score[rows] = s_nom[0], q1[0], q2[0], sc[0]
        rank[rows] = competition_ranks(sc)[0]
        if draws > 0:
            rank_draws = _monte_carlo(
                inputs,
                settings,
                rows=rows,
                scored_k=scored_k,
                base=base,
                minimum=minimum,
                caps=(caps_low, caps_high),
                member=member,
                pillar_of=pillar_of,
                w=(w_ind, w_sub, w_pil),
                posts=(low, high, direction),
                nominal=(nominal_norm, nominal_agg),
            )
            lo_q, hi_q = settings.uncertainty.interval
            # quantiles over the scored units only: the others have no rank in any draw
            qs = rank_quantiles(rank_draws[:, rows], (lo_q, 0.5, hi_q))
            r_lo[rows], med[rows], r_hi[rows] = qs[0], qs[1], qs[2]
        else:
            r_lo[rows] = med[rows] = r_hi[rows] = rank[rows]
        tier = tiers(np.where(scored, rank, np.nan), r_lo, r_hi)

    effective: dict[str, float] = {}
    for j, k in enumerate(scored_k):
        s = int(np.argmax(member[j]))
        p = int(np.argmax(pillar_of[s]))
        in_sub = w_ind[j] / (w_ind @ member[:, s])
        in_pil = w_sub[s] / (w_sub @ pillar_of[:, p])
        effective[indicators[k].code] = float(in_sub * in_pil * w_pil[p] / w_pil.sum())
    return Output(
        inputs=inputs,
        scored_indicators=scored_k,
        value=value,
        normalised=normalised,
        shrunk=shrunk,
        imputed=imputed,
        winsorised=winsorised,
        coverage=coverage,
        scored=scored,
        sub=sub,
        subpillars=subs,
        qin=qin,
        qing=qing,
        score=score,
        rank=rank,
        median_rank=med,
        rank_low=r_lo,
        rank_high=r_hi,
        tier=tier,
        effective_weights=effective,
        draws=draws,
        measured=measured,
        rank_draws=rank_draws,
    )


def _monte_carlo(
    inputs: Inputs,
    settings: Settings,
    *,
    rows: Array,
    scored_k: list[int],
    base: Array,
    minimum: Array,
    caps: tuple[Array, Array],
    member: Array,
    pillar_of: Array,
    w: tuple[Array, Array, Array],
    posts: tuple[Array, Array, Array],
    nominal: tuple[int, int],
) -> Array:
    """Ranks of the scored units in every draw, shape (draws, units)."""
    u = settings.uncertainty
    draws = u.draws
    rng = np.random.default_rng(settings.seed)
    w_ind, w_sub, w_pil = w
    a = u.weight_noise
    f_ind = rng.uniform(1 - a, 1 + a, size=(draws, len(w_ind)))
    f_sub = rng.uniform(1 - a, 1 + a, size=(draws, len(w_sub)))
    f_pil = rng.uniform(1 - a, 1 + a, size=(draws, 2))
    norm_methods = tuple(u.normalisation) or (settings.normalisation,)
    agg_methods = tuple(u.aggregation) or (settings.aggregation,)
    imputation = tuple(u.imputation) or (True,)
    norm = rng.integers(len(norm_methods), size=draws)
    agg = rng.integers(len(agg_methods), size=draws)
    imp = np.array(imputation)[rng.integers(len(imputation), size=draws)]

    # Every draw starts from one of two (units × indicators) tables, the nominal values
    # without or with imputation; only the survey cells differ from draw to draw (the
    # bootstrap). Work on the scored units and indicators alone.
    low, high, direction = posts
    cols = np.asarray(scored_k)
    parent = inputs.parent[rows][:, cols]
    plain = base[rows][:, cols]
    filled, _imp = impute(plain, parent)
    low_cap, high_cap = caps[0][cols], caps[1][cols]
    tables = np.stack([np.clip(plain, low_cap, high_cap), np.clip(filled, low_cap, high_cap)])
    which_table = imp.astype(np.intp)
    # Normalisation works column by column over the units, so a column no draw resamples
    # has one normalised table per (method, imputation): computed once, gathered per draw.
    normalised_tables = np.stack(
        [normalise(tables, name, low, high, direction) for name in norm_methods]
    )
    # laid out (k, draws, units): one contiguous (draws × units) plane per indicator
    y = np.moveaxis(normalised_tables, -1, 0)[:, norm, which_table]
    if u.bootstrap:
        row_of = {int(unit): j for j, unit in enumerate(rows)}
        col_of = {int(k): j for j, k in enumerate(scored_k)}
        means, cells = [], []
        for (unit, k), (values, counts) in sorted(inputs.answers.items()):
            total = int(counts.sum())
            if total <= 0:
                continue
            # drawn for every cell, scored or not, so that the stream of numbers is fixed
            resampled = rng.multinomial(total, counts / total, size=draws)
            if unit in row_of and k in col_of:
                means.append(resampled @ values / total)
                cells.append((unit, k))
        if cells:
            at_u, at_k = (np.array(v) for v in zip(*cells, strict=True))
            # shrink and cap the resampled means like the observed ones; a cell with answers
            # is observed in every draw, so imputation has nothing to fill
            column, _small = shrink(
                np.stack(means, axis=1),
                inputs.n[at_u, at_k],
                inputs.parent[at_u, at_k],
                minimum[at_k],
            )
            # the resampled columns, normalised draw by draw
            boot = sorted({col_of[int(k)] for k in at_k})
            x = tables[which_table][:, :, boot]
            place = {c: j for j, c in enumerate(boot)}
            x[:, [row_of[int(v)] for v in at_u], [place[col_of[int(v)]] for v in at_k]] = np.clip(
                column, caps[0][at_k], caps[1][at_k]
            )
            for m, name in enumerate(norm_methods):
                which = norm == m
                if which.any():
                    y[np.ix_(np.array(boot), np.flatnonzero(which), np.arange(len(rows)))] = (
                        np.moveaxis(
                            normalise(x[which], name, low[boot], high[boot], direction[boot]),
                            -1,
                            0,
                        )
                    )
    _y, _sub, _q1, _q2, score = _scores(
        y,
        norm=norm,
        agg=agg,
        w_ind=w_ind * f_ind,
        w_sub=w_sub * f_sub,
        w_pil=w_pil * f_pil,
        member=member,
        pillar_of=pillar_of,
        low=low,
        high=high,
        direction=direction,
        norm_methods=norm_methods,
        agg_methods=agg_methods,
        floor=settings.zero_floor,
        normalised=y,
        planes=True,
    )
    ranks = np.full((draws, len(inputs.units)), np.nan)
    ranks[:, rows] = competition_ranks(score)
    return ranks
