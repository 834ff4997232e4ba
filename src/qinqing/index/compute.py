"""One computation: facts from the sources → raw indicators per region → the engine → a
snapshot (plain JSON data) that the CSV files, the preview, the publication and the pages
are all made from.

The facts are rolled up from the paths the sources report (a grid, a town) to the units of
the level (district or town) and to their parents (the city, the districts), which give the
values small samples are shrunk towards and missing cells are imputed from.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np

from qinqing.directory.models import Region, RegionLevel

from . import engine, sources
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


class _Accumulator:
    """Per unit and fact: Σ value·weight, Σ weight and the value histogram."""

    def __init__(self) -> None:
        self.total: dict[tuple[int, str], float] = defaultdict(float)
        self.count: dict[tuple[int, str], float] = defaultdict(float)
        self.hist: dict[tuple[int, str], dict[float, float]] = defaultdict(
            lambda: defaultdict(float)
        )

    def add(self, unit: int, fact: str, value: float, weight: float, keep: bool) -> None:
        self.total[(unit, fact)] += value * weight
        self.count[(unit, fact)] += weight
        if keep:
            self.hist[(unit, fact)][value] += weight


def _roll_up(
    rows: list[tuple[str, str, float, float]], paths: dict[str, int], keep: set[str]
) -> _Accumulator:
    acc = _Accumulator()
    owner: dict[str, int | None] = {}
    for path, fact, value, weight in rows:
        if path not in owner:
            found = None
            parts = path.strip("/").split("/")
            for depth in range(len(parts), 0, -1):
                prefix = "/" + "/".join(parts[:depth]) + "/"
                if prefix in paths:
                    found = paths[prefix]
                    break
            owner[path] = found
        unit = owner[path]
        if unit is not None:
            acc.add(unit, fact, value, weight, fact in keep)
    return acc


def _weighted_median(hist: dict[float, float]) -> float:
    values = sorted(hist)
    weights = np.array([hist[v] for v in values])
    if weights.sum() <= 0:
        return math.nan
    cumulative = np.cumsum(weights) / weights.sum()
    return float(values[int(np.searchsorted(cumulative, 0.5))])


def indicator_value(
    indicator: Indicator, acc: _Accumulator, unit: int
) -> tuple[float, float, bool]:
    """(raw value, sample, applicable) of one indicator for one unit.

    With no event in the denominator the value is NaN and, per the indicator's
    ``no_events``, the cell is either not applicable (a share of nothing) or missing. A count
    per firm with firms but no event counted is an observed 0 (the numerator sums to 0)."""
    f = indicator.formula
    applicable = indicator.no_events != "not_applicable"
    if f.type == "ratio":
        den = acc.total.get((unit, f.denominator), 0.0)
        if den <= 0:
            return math.nan, 0.0, applicable
        return acc.total.get((unit, f.numerator), 0.0) / den * f.scale, den, True
    n = acc.count.get((unit, f.fact), 0.0)
    if n <= 0:
        if f.type == "sum" and indicator.no_events == "zero":
            return 0.0, 0.0, True
        return math.nan, 0.0, applicable
    if f.type == "mean":
        return acc.total[(unit, f.fact)] / n, n, True
    if f.type == "median":
        return _weighted_median(acc.hist[(unit, f.fact)]), n, True
    return acc.total[(unit, f.fact)] * f.scale, n, True


def regions_of(level: str) -> tuple[list[Region], list[Region]]:
    """The units of the level and their parents, in path order."""
    if level not in LEVELS:
        raise PeriodError(f"level must be district or town, not {level!r}")
    units = list(Region.objects.filter(level=LEVELS[level]).order_by("path"))
    parent_ids = {u.parent_id for u in units}
    parents = list(Region.objects.filter(pk__in=parent_ids).order_by("path"))
    return units, parents


def build_inputs(
    method: Methodology,
    units: list[Region],
    parents: list[Region],
    rows: list[tuple[str, str, float, float]],
    available: dict[str, bool],
) -> engine.Inputs:
    keep = {i.formula.fact for i in method.indicators if i.formula.type in ("mean", "median")} | {
        d.fact for d in method.be_dimensions
    }
    unit_paths = {u.path: k for k, u in enumerate(units)}
    parent_paths = {p.path: k for k, p in enumerate(parents)}
    acc = _roll_up(rows, unit_paths, keep)
    pacc = _roll_up(rows, parent_paths, keep)
    parent_index = {p.pk: k for k, p in enumerate(parents)}
    indicators = [i for i in method.indicators if available.get(i.source)]
    unavailable = [i for i in method.indicators if not available.get(i.source)]
    raw = np.full((len(units), len(indicators)), np.nan)
    n = np.zeros(raw.shape)
    applicable = np.ones(raw.shape, dtype=bool)
    parent = np.full(raw.shape, np.nan)
    answers: dict[tuple[int, int], tuple[Any, Any]] = {}
    parent_cache: dict[tuple[int, int], float] = {}
    for k, indicator in enumerate(indicators):
        for u, unit in enumerate(units):
            raw[u, k], n[u, k], applicable[u, k] = indicator_value(indicator, acc, u)
            p = parent_index.get(unit.parent_id or -1)
            if p is not None:
                if (p, k) not in parent_cache:
                    parent_cache[(p, k)] = indicator_value(indicator, pacc, p)[0]
                parent[u, k] = parent_cache[(p, k)]
            if indicator.bootstrappable and (u, indicator.formula.fact) in acc.hist:
                hist = acc.hist[(u, indicator.formula.fact)]
                values = sorted(hist)
                answers[(u, k)] = (
                    np.array(values, dtype=float),
                    np.array([hist[v] for v in values], dtype=float),
                )
    red_line: list[bool | None] = [None] * len(units)
    fact, red_source = method.red_line
    if fact and available.get(red_source):
        red_line = [acc.total.get((u, fact), 0.0) > 0 for u in range(len(units))]
    inputs = engine.Inputs(
        units=[
            engine.Unit(
                code=u.code, name=u.name, path=u.path, parent_code=_code(parents, u.parent_id)
            )
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


def _code(parents: list[Region], parent_id: int | None) -> str:
    return next((p.code for p in parents if p.pk == parent_id), "")


# --- the business-environment index ---------------------------------------------------------


def _business_environment(
    method: Methodology, units: list[Region], acc: _Accumulator, available: dict[str, bool]
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


def _int(value: float) -> int | None:
    return None if math.isnan(value) else int(value)


def _status(inputs: engine.Inputs, out: engine.Output, u: int, k: int) -> str:
    """ok, missing (imputed where the parent has a value), not_applicable (no event in the
    denominator) or not_measured (no unit of the level observed it in the period)."""
    if not math.isnan(inputs.raw[u, k]):
        return "ok"
    if not out.measured[k]:
        return "not_measured"
    if inputs.applicable is not None and not inputs.applicable[u, k]:
        return "not_applicable"
    return "missing"


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
    regions = []
    for u, unit in enumerate(inputs.units):
        flags = []
        if not out.scored[u]:
            flags.append("not_scored")
        if inputs.red_line and inputs.red_line[u]:
            flags.append("red_line")
        na = (
            ~inputs.applicable
            if inputs.applicable is not None
            else np.zeros(out.imputed.shape, dtype=bool)
        )
        for name, mask in (
            ("imputed", out.imputed & ~na),
            ("not_applicable", out.imputed & na),
            ("shrunk", out.shrunk),
            ("winsorised", out.winsorised),
        ):
            count = int(mask[u].sum())
            if count:
                flags.append(f"{name}={count}")
        regions.append(
            {
                "code": unit.code,
                "name": unit.name,
                "path": unit.path,
                "parent": unit.parent_code,
                "score": _r(out.score[u]),
                "qin": _r(out.qin[u]),
                "qing": _r(out.qing[u]),
                "subpillars": {s: _r(out.sub[u, j]) for j, (_p, s) in enumerate(out.subpillars)},
                "rank": _int(out.rank[u]),
                "median_rank": _int(out.median_rank[u]),
                "rank_low": _int(out.rank_low[u]),
                "rank_high": _int(out.rank_high[u]),
                "tier": int(out.tier[u]) or None,
                "coverage": _r(out.coverage[u]),
                "scored": bool(out.scored[u]),
                "red_line": inputs.red_line[u] if inputs.red_line else None,
                "flags": flags,
            }
        )
    cells = []
    for u, unit in enumerate(inputs.units):
        for k, i in enumerate(indicators):
            cells.append(
                {
                    "region": unit.code,
                    "indicator": i.code,
                    "status": _status(inputs, out, u, k),
                    "raw": _r(inputs.raw[u, k]),
                    "n": _r(inputs.n[u, k], 2),
                    "value": _r(out.value[u, k]),
                    "normalised": _r(out.normalised[u, k]),
                    "imputed": bool(out.imputed[u, k]),
                    "shrunk": bool(out.shrunk[u, k]),
                    "winsorised": bool(out.winsorised[u, k]),
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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_fmt(v) for v in row])
    return buffer.getvalue()


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
