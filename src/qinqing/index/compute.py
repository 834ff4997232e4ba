"""One computation: facts from the sources → raw indicators per region → the engine → a
snapshot (plain JSON data) that the CSV files, the preview, the publication and the pages
are all made from.

The facts are rolled up from the paths the sources report (a grid, a town) to the units of
the level (district or town) and to their parents (the city, the districts), which give the
values small samples are shrunk towards and missing cells are imputed from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np

from qinqing.common import spreadsheet
from qinqing.directory.models import Region, RegionLevel

from . import engine, sources
from .engine import Array
from .method import Indicator, Methodology

LEVELS = {"district": RegionLevel.DISTRICT, "town": RegionLevel.TOWN}
PERIOD = re.compile(r"^(\d{4})H([12])$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class HalfYear:
    key: str
    start: date
    end: date

    @classmethod
    def parse(cls, key: str) -> HalfYear:
        match = PERIOD.match(key.strip().upper())
        if not match:
            raise PeriodError(f"period must look like 2026H1 or 2026H2, not {key!r}")
        year, half = int(match.group(1)), int(match.group(2))
        if half == 1:
            return cls(f"{year}H1", date(year, 1, 1), date(year, 6, 30))
        return cls(f"{year}H2", date(year, 7, 1), date(year, 12, 31))

    def previous(self) -> HalfYear:
        if self.key.endswith("H1"):
            return HalfYear.parse(f"{self.start.year - 1}H2")
        return HalfYear.parse(f"{self.start.year}H1")

    @classmethod
    def containing(cls, day: date) -> HalfYear:
        return cls.parse(f"{day.year}H{1 if day.month <= 6 else 2}")


# --- facts → raw indicators -----------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """A region as the computation needs it (read with one query, no model objects)."""

    pk: int
    code: str
    name: str
    path: str
    parent_id: int | None = None
    parent_code: str = ""


class _Accumulator:
    """Per unit and fact: Σ value·weight (``total``), Σ weight (``count``), as (units × facts)
    arrays, and the value histogram of the facts kept for means and medians (``hist``)."""

    def __init__(self, units: int, facts: dict[str, int]) -> None:
        self.facts = facts
        self.total: Array = np.zeros((units, len(facts)))
        self.count: Array = np.zeros((units, len(facts)))
        self.hist: dict[tuple[int, str], dict[float, float]] = {}

    def column(self, table: Array, fact: str) -> Array:
        k = self.facts.get(fact)
        return table[:, k] if k is not None else np.zeros(table.shape[0])


def _owner(path: str, paths: dict[str, int]) -> int:
    """The unit whose path is the longest prefix of ``path``; -1 when none is."""
    path = "/" + path.strip("/") + "/"
    end = len(path)
    while end > 1:
        found = paths.get(path[:end])
        if found is not None:
            return found
        end = path.rfind("/", 0, end - 1) + 1
    return -1


def _roll_up(
    rows: list[tuple[str, str, float, float]],
    paths: dict[str, int],
    keep: set[str],
    facts: dict[str, int],
) -> _Accumulator:
    """The rows of the facts in ``facts`` added up per owning unit (the longest path prefix).
    The sums run over the rows in their order, as a loop would add them (``np.bincount``
    adds its weights in input order), so the figures do not depend on the vectorising."""
    acc = _Accumulator(len(paths), facts)
    if not rows:
        return acc
    path_of, fact_of, value_of, weight_of = zip(*rows, strict=True)
    owner = {p: _owner(p, paths) for p in set(path_of)}
    units = [owner[p] for p in path_of]
    unit = np.array(units, dtype=np.intp)
    fact = np.array([facts.get(f, -1) for f in fact_of], dtype=np.intp)
    weights = np.array(weight_of, dtype=float)
    products = np.array(value_of, dtype=float) * weights
    use = (unit >= 0) & (fact >= 0)
    width = len(facts)
    at = unit[use] * width + fact[use]
    size = len(paths) * width
    acc.total = np.bincount(at, weights=products[use], minlength=size).reshape(-1, width)
    acc.count = np.bincount(at, weights=weights[use], minlength=size).reshape(-1, width)
    kept = keep & facts.keys()
    for u, f, value, weight in zip(units, fact_of, value_of, weight_of, strict=True):
        if u >= 0 and f in kept:
            hist = acc.hist.get((u, f))
            if hist is None:
                hist = acc.hist[(u, f)] = {}
            hist[value] = hist.get(value, 0.0) + weight
    return acc


def _weighted_median(hist: dict[float, float]) -> float:
    values = sorted(hist)
    weights = np.array([hist[v] for v in values])
    if weights.sum() <= 0:
        return math.nan
    cumulative = np.cumsum(weights) / weights.sum()
    return float(values[int(np.searchsorted(cumulative, 0.5))])


def indicator_values(indicator: Indicator, acc: _Accumulator) -> tuple[Array, Array, Array]:
    """(raw value, sample, applicable) of one indicator for every unit of ``acc``.

    With no event in the denominator the value is NaN and, per the indicator's
    ``no_events``, the cell is either not applicable (a share of nothing) or missing. A count
    per firm with firms but no event counted is an observed 0 (the numerator sums to 0)."""
    f = indicator.formula
    size = acc.total.shape[0]
    applicable = np.full(size, indicator.no_events != "not_applicable")
    value = np.full(size, math.nan)
    sample = np.zeros(size)
    if f.type == "ratio":
        den = acc.column(acc.total, f.denominator)
        has = den > 0
        value[has] = acc.column(acc.total, f.numerator)[has] / den[has] * f.scale
        sample[has] = den[has]
        applicable |= has
        return value, sample, applicable
    n = acc.column(acc.count, f.fact)
    has = n > 0
    sample[has] = n[has]
    applicable |= has
    if f.type == "sum" and indicator.no_events == "zero":
        value[~has] = 0.0
        applicable[~has] = True
    total = acc.column(acc.total, f.fact)
    if f.type == "mean":
        value[has] = total[has] / n[has]
    elif f.type == "median":
        for u in np.flatnonzero(has):
            value[u] = _weighted_median(acc.hist[(int(u), f.fact)])
    else:
        value[has] = total[has] * f.scale
    return value, sample, applicable


def regions_of(level: str) -> tuple[list[Area], list[Area]]:
    """The units of the level and their parents, in path order (one query)."""
    if level not in LEVELS:
        raise PeriodError(f"level must be district or town, not {level!r}")
    rows = (
        Region.objects.filter(level=LEVELS[level])
        .order_by("path")
        .values_list(
            "pk", "code", "name", "path", "parent_id", "parent__code", "parent__name",
            "parent__path",
        )
    )  # fmt: skip
    units, parents = [], {}
    for pk, code, name, path, parent_id, p_code, p_name, p_path in rows:
        units.append(Area(pk, code, name, path, parent_id, p_code or ""))
        if parent_id is not None:
            parents[parent_id] = Area(parent_id, p_code, p_name, p_path)
    return units, sorted(parents.values(), key=lambda p: p.path)


def build_inputs(
    method: Methodology,
    units: list[Area],
    parents: list[Area],
    rows: list[tuple[str, str, float, float]],
    available: dict[str, bool],
) -> engine.Inputs:
    keep = {i.formula.fact for i in method.indicators if i.formula.type in ("mean", "median")} | {
        d.fact for d in method.be_dimensions
    }
    red_fact, red_source = method.red_line
    needed = sorted(
        {f for i in method.indicators for f in i.formula.facts} | keep | {red_fact} - {""}
    )
    facts = {f: k for k, f in enumerate(needed)}
    acc = _roll_up(rows, {u.path: k for k, u in enumerate(units)}, keep, facts)
    pacc = _roll_up(rows, {p.path: k for k, p in enumerate(parents)}, keep, facts)
    parent_index = {p.pk: k for k, p in enumerate(parents)}
    indicators = [i for i in method.indicators if available.get(i.source)]
    unavailable = [i for i in method.indicators if not available.get(i.source)]
    raw = np.full((len(units), len(indicators)), np.nan)
    n = np.zeros(raw.shape)
    applicable = np.ones(raw.shape, dtype=bool)
    parent = np.full(raw.shape, np.nan)
    of_parent = np.array([parent_index.get(u.parent_id or -1, -1) for u in units], dtype=np.intp)
    has_parent = of_parent >= 0
    answers: dict[tuple[int, int], tuple[Any, Any]] = {}
    for k, indicator in enumerate(indicators):
        raw[:, k], n[:, k], applicable[:, k] = indicator_values(indicator, acc)
        parent[has_parent, k] = indicator_values(indicator, pacc)[0][of_parent[has_parent]]
        if indicator.bootstrappable:
            for u in range(len(units)):
                hist = acc.hist.get((u, indicator.formula.fact))
                if hist is not None:
                    values = sorted(hist)
                    answers[(u, k)] = (
                        np.array(values, dtype=float),
                        np.array([hist[v] for v in values], dtype=float),
                    )
    red_line: list[bool | None] = [None] * len(units)
    if red_fact and available.get(red_source):
        red_line = [bool(v > 0) for v in acc.column(acc.total, red_fact)]
    inputs = engine.Inputs(
        units=[
            engine.Unit(code=u.code, name=u.name, path=u.path, parent_code=u.parent_code)
            for u in units
        ],
        indicators=indicators,
        raw=raw,
        n=n,
        parent=parent,
        applicable=applicable,
        answers=answers,
        red_line=red_line,
        unavailable=unavailable,
        sub_weights={(p.code, s.code): s.weight for p in method.pillars for s in p.subpillars},
        pillar_weights={p.code: p.weight for p in method.pillars},
    )
    inputs.extra["business_environment"] = _business_environment(method, units, acc, available)
    return inputs


# --- the business-environment index ---------------------------------------------------------


def _business_environment(
    method: Methodology, units: list[Area], acc: _Accumulator, available: dict[str, bool]
) -> dict[str, Any]:
    be = method.be
    if not method.be_dimensions or not available.get("consultation"):
        return {"available": False, "regions": []}
    minimum = float(be.get("min_sample", 30))
    z = NormalDist().inv_cdf((1 + float(be.get("confidence", 0.95))) / 2)
    regions: list[dict[str, Any]] = []
    for u, unit in enumerate(units):
        dims: dict[str, dict[str, Any]] = {}
        total_scores, total_var, enough = [], 0.0, True
        for d in method.be_dimensions:
            hist = acc.hist.get((u, d.fact)) or {}
            n = sum(hist.values())
            if n <= 0:
                dims[d.code] = {"n": 0, "score": None, "low": None, "high": None}
                enough = False
                continue
            mean = sum(v * w for v, w in hist.items()) / n
            var = sum(w * (v - mean) ** 2 for v, w in hist.items()) / max(n - 1, 1)
            score = (mean - 1) / 4 * 100
            se = math.sqrt(var / n) * 25
            dims[d.code] = {
                "n": int(n),
                "score": _r(score),
                "low": _r(max(0.0, score - z * se)),
                "high": _r(min(100.0, score + z * se)),
            }
            total_scores.append(score)
            total_var += se**2
            enough = enough and n >= minimum
        total: dict[str, Any] | None = None
        if len(total_scores) == len(method.be_dimensions):
            t = sum(total_scores) / len(total_scores)
            se_t = math.sqrt(total_var) / len(total_scores)
            total = {
                "score": _r(t),
                "low": _r(max(0.0, t - z * se_t)),
                "high": _r(min(100.0, t + z * se_t)),
            }
        regions.append(
            {
                "code": unit.code,
                "name": unit.name,
                "dimensions": dims,
                "total": total,
                "ranked": enough and total is not None,
            }
        )
    ranked = sorted(
        (r for r in regions if r["ranked"]), key=lambda r: (-r["total"]["score"], r["code"])
    )
    for place, r in enumerate(ranked, start=1):
        r["rank"] = place
    return {"available": True, "min_sample": minimum, "regions": regions}


# --- the snapshot ---------------------------------------------------------------------------


def _r(value: float | None, digits: int = 4) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def _rounded(values: Array, digits: int = 4) -> list[float | None]:
    """``_r`` of every element (NaN → None), by way of plain Python floats."""
    flat = np.asarray(values, dtype=float).ravel().tolist()
    return [None if v != v else round(v, digits) for v in flat]


def _ints(values: Array) -> list[int | None]:
    return [None if v != v else int(v) for v in np.asarray(values, float).tolist()]


def _statuses(inputs: engine.Inputs, out: engine.Output) -> Array:
    """Per cell: ok, missing (imputed where the parent has a value), not_applicable (no event
    in the denominator) or not_measured (no unit of the level observed it in the period)."""
    missing = np.isnan(inputs.raw)
    status = np.where(missing, "missing", "ok").astype(object)
    if inputs.applicable is not None:
        status[missing & ~inputs.applicable] = "not_applicable"
    status[missing & ~np.asarray(out.measured, dtype=bool)[None, :]] = "not_measured"
    return status


def snapshot(
    method: Methodology,
    period: HalfYear,
    level: str,
    inputs: engine.Inputs,
    out: engine.Output,
    settings: engine.Settings,
    *,
    available: dict[str, bool],
    as_of: date,
) -> dict[str, Any]:
    """Everything a computation produced, as JSON-ready data (no dates of the run itself)."""
    indicators = inputs.indicators
    measured = {i.code for k, i in enumerate(indicators) if out.measured[k]}
    meta_ind = []
    for i in method.indicators:
        meta_ind.append(
            {
                "code": i.code,
                "name": i.name,
                "name_en": i.name_en,
                "pillar": i.pillar,
                "subpillar": i.subpillar,
                "unit": i.unit,
                "direction": i.direction,
                "goalposts": list(i.goalposts),
                "weight": i.weight,
                "effective_weight": _r(out.effective_weights.get(i.code), 6),
                "context": i.context,
                "source": i.source,
                "no_events": i.no_events,
                "status": (
                    "unavailable"
                    if not available.get(i.source)
                    else "ok"
                    if i.code in measured
                    else "not_measured"
                ),
            }
        )
    na = (
        ~inputs.applicable
        if inputs.applicable is not None
        else np.zeros(out.imputed.shape, dtype=bool)
    )
    counts = [
        (name, mask.sum(axis=1).tolist())
        for name, mask in (
            ("imputed", out.imputed & ~na),
            ("not_applicable", out.imputed & na),
            ("shrunk", out.shrunk),
            ("winsorised", out.winsorised),
        )
    ]
    scored = np.asarray(out.scored, dtype=bool).tolist()
    score, qin, qing = _rounded(out.score), _rounded(out.qin), _rounded(out.qing)
    subs = [_rounded(out.sub[:, j]) for j in range(len(out.subpillars))]
    rank, median_rank = _ints(out.rank), _ints(out.median_rank)
    rank_low, rank_high = _ints(out.rank_low), _ints(out.rank_high)
    tier, coverage = np.asarray(out.tier).tolist(), _rounded(out.coverage)
    regions = []
    for u, unit in enumerate(inputs.units):
        flags = []
        if not scored[u]:
            flags.append("not_scored")
        if inputs.red_line and inputs.red_line[u]:
            flags.append("red_line")
        for name, count in counts:
            if count[u]:
                flags.append(f"{name}={count[u]}")
        regions.append(
            {
                "code": unit.code,
                "name": unit.name,
                "path": unit.path,
                "parent": unit.parent_code,
                "score": score[u],
                "qin": qin[u],
                "qing": qing[u],
                "subpillars": {s: subs[j][u] for j, (_p, s) in enumerate(out.subpillars)},
                "rank": rank[u],
                "median_rank": median_rank[u],
                "rank_low": rank_low[u],
                "rank_high": rank_high[u],
                "tier": int(tier[u]) or None,
                "coverage": coverage[u],
                "scored": scored[u],
                "red_line": inputs.red_line[u] if inputs.red_line else None,
                "flags": flags,
            }
        )
    # the cells, column by column: (units × indicators) arrays made Python lists once
    status = _statuses(inputs, out).tolist()
    raw, n = _rounded(inputs.raw), _rounded(inputs.n, 2)
    value, normalised = _rounded(out.value), _rounded(out.normalised)
    imputed, shrunk, winsorised = (
        np.asarray(a, dtype=bool).tolist() for a in (out.imputed, out.shrunk, out.winsorised)
    )
    width = len(indicators)
    cells = []
    for u, unit in enumerate(inputs.units):
        for k, i in enumerate(indicators):
            at = u * width + k
            cells.append(
                {
                    "region": unit.code,
                    "indicator": i.code,
                    "status": status[u][k],
                    "raw": raw[at],
                    "n": n[at],
                    "value": value[at],
                    "normalised": normalised[at],
                    "imputed": imputed[u][k],
                    "shrunk": shrunk[u][k],
                    "winsorised": winsorised[u][k],
                }
            )
        for i in inputs.unavailable:
            cells.append(
                {
                    "region": unit.code,
                    "indicator": i.code,
                    "status": "unavailable",
                    "raw": None,
                    "n": None,
                    "value": None,
                    "normalised": None,
                    "imputed": False,
                    "shrunk": False,
                    "winsorised": False,
                }
            )
    mc = settings.uncertainty
    return {
        "period": period.key,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "as_of": as_of.isoformat(),
        "partial": as_of < period.end,
        "level": level,
        "method": method.version,
        "seed": settings.seed,
        "draws": mc.draws,
        "normalisation": settings.normalisation,
        "aggregation": settings.aggregation,
        "uncertainty": {
            "weight_noise": mc.weight_noise,
            "normalisation": list(mc.normalisation),
            "aggregation": list(mc.aggregation),
            "imputation": list(mc.imputation),
            "bootstrap": mc.bootstrap,
            "interval": list(mc.interval),
        },
        "sources": {
            code: {"name": s.name, "available": bool(available.get(code))}
            for code, s in method.sources.items()
        },
        "indicators": meta_ind,
        "regions": regions,
        "cells": cells,
        "business_environment": inputs.extra.get(
            "business_environment", {"available": False, "regions": []}
        ),
    }


def compute(
    *,
    period: str,
    level: str,
    method: Methodology,
    draws: int | None = None,
    seed: int | None = None,
    weight_set: str = "equal",
    today: date | None = None,
) -> dict[str, Any]:
    """Compute one period at one level from the live data; returns the snapshot."""
    half = HalfYear.parse(period)
    from qinqing.demands.statistics import shanghai_today

    as_of = min(half.end, today or shanghai_today())
    if as_of < half.start:
        raise PeriodError(f"{half.key} has not begun")
    units, parents = regions_of(level)
    # the sources take half-open days [start, end): up to the day after ``as_of``
    rows, available = sources.collect(method, start=half.start, end=as_of + timedelta(days=1))
    inputs = build_inputs(method, units, parents, rows, available)
    settings = engine.Settings.of(method, draws=draws, seed=seed, weight_set=weight_set)
    out = engine.run(inputs, settings)
    return snapshot(method, half, level, inputs, out, settings, available=available, as_of=as_of)


# --- files ----------------------------------------------------------------------------------

RESULT_COLUMNS = [
    "region_code",
    "region_name",
    "score",
    "qin",
    "qing",
    "rank",
    "median_rank",
    "rank_p05",
    "rank_p95",
    "tier",
    "coverage",
    "flags",
]
INDICATOR_COLUMNS = [
    "region_code",
    "region_name",
    "pillar",
    "subpillar",
    "indicator",
    "indicator_name",
    "unit",
    "status",
    "raw",
    "n",
    "value",
    "normalised",
    "imputed",
    "shrunk",
    "winsorised",
]


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def result_rows(snap: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for r in sorted(snap["regions"], key=lambda r: (r["rank"] is None, r["rank"] or 0, r["code"])):
        rows.append(
            [
                r["code"],
                r["name"],
                r["score"],
                r["qin"],
                r["qing"],
                r["rank"],
                r["median_rank"],
                r["rank_low"],
                r["rank_high"],
                r["tier"],
                r["coverage"],
                ";".join(r["flags"]),
            ]
        )
    return rows


def indicator_rows(snap: dict[str, Any]) -> list[list[Any]]:
    meta = {i["code"]: i for i in snap["indicators"]}
    order = {i["code"]: k for k, i in enumerate(snap["indicators"])}
    names = {r["code"]: r["name"] for r in snap["regions"]}
    rows = []
    for c in sorted(snap["cells"], key=lambda c: (c["region"], order[c["indicator"]])):
        m = meta[c["indicator"]]
        rows.append(
            [
                c["region"],
                names[c["region"]],
                m["pillar"],
                m["subpillar"],
                c["indicator"],
                m["name"],
                m["unit"],
                c["status"],
                c["raw"],
                c["n"],
                c["value"],
                c["normalised"],
                c["imputed"],
                c["shrunk"],
                c["winsorised"],
            ]
        )
    return rows


def csv_text(columns: list[str], rows: list[list[Any]]) -> str:
    """Through the shared helper: a name that looks like a formula stays text."""
    return spreadsheet.csv_text(columns, rows, fmt=_fmt, lineterminator="\n")


def write_files(snap: dict[str, Any], directory: Any) -> list[Any]:
    from pathlib import Path

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, columns, rows in (
        ("results.csv", RESULT_COLUMNS, result_rows(snap)),
        ("indicators.csv", INDICATOR_COLUMNS, indicator_rows(snap)),
    ):
        path = target / name
        path.write_bytes(csv_text(columns, rows).encode("utf-8"))
        written.append(path)
    return written
