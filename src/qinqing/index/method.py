"""The methodology as data: the YAML file read into typed objects.

``load(version)`` reads ``methodology/<version>.yaml``. Nothing about the index's method is
written in code that is not also in the file: the tree, formulas, directions, goalposts,
weights, minimum samples, the checks, normalisation, aggregation, imputation and the Monte
Carlo settings, and the random seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.utils import translation

DIRECTORY = Path(__file__).with_name("methodology")
DEFAULT_VERSION = "2026"
NORMALISATIONS = ("goalposts", "minmax", "zscore", "rank")
AGGREGATIONS = ("geometric", "arithmetic")
#: what a unit with no events means for an indicator (see ``no_events_reason`` in the YAML)
NO_EVENTS = ("zero", "not_applicable", "missing")


class MethodError(ValueError):
    pass


@dataclass(frozen=True)
class Formula:
    type: str  # ratio, mean, median, sum
    numerator: str = ""
    denominator: str = ""
    fact: str = ""
    scale: float = 1.0

    @property
    def facts(self) -> tuple[str, ...]:
        return tuple(f for f in (self.numerator, self.denominator, self.fact) if f)

    def text(self) -> str:
        if self.type == "ratio":
            scale = f" × {self.scale:g}" if self.scale != 1 else ""
            return f"Σ {self.numerator} / Σ {self.denominator}{scale}"
        return f"{self.type}({self.fact})"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    name_en: str
    definition: str
    formula: Formula
    direction: int
    unit: str
    goalposts: tuple[float, float]
    weight: float
    source: str
    min_sample: float
    context: bool
    pillar: str = ""
    subpillar: str = ""
    #: zero (no events counted is an observed 0), not_applicable (no denominator: left out
    #: of the unit's score and coverage) or missing (imputed, counts against coverage)
    no_events: str = "missing"

    @property
    def scored(self) -> bool:
        return not self.context and self.weight > 0

    @property
    def bootstrappable(self) -> bool:
        """A mean of answers (a survey question): resampled in the Monte Carlo."""
        return self.formula.type == "mean"


@dataclass(frozen=True)
class SubPillar:
    code: str
    name: str
    name_en: str
    weight: float
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Pillar:
    code: str
    name: str
    name_en: str
    weight: float
    subpillars: tuple[SubPillar, ...]


@dataclass(frozen=True)
class Uncertainty:
    draws: int
    weight_noise: float
    normalisation: tuple[str, ...]
    aggregation: tuple[str, ...]
    imputation: tuple[bool, ...]
    bootstrap: bool
    interval: tuple[float, float]


@dataclass(frozen=True)
class Source:
    code: str
    module: str
    function: str
    name: str
    name_en: str = ""


@dataclass(frozen=True)
class Dimension:
    code: str
    name: str
    name_en: str
    fact: str


@dataclass(frozen=True)
class Methodology:
    version: str
    title: str
    title_en: str
    seed: int
    pillars: tuple[Pillar, ...]
    settings: dict[str, Any]
    uncertainty: Uncertainty
    sources: dict[str, Source]
    be_dimensions: tuple[Dimension, ...]
    be: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    @property
    def indicators(self) -> list[Indicator]:
        return [i for p in self.pillars for s in p.subpillars for i in s.indicators]

    def indicator(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    @property
    def coverage_min(self) -> float:
        return float(self.settings["coverage_min"])

    @property
    def zero_floor(self) -> float:
        return float(self.settings["zero_floor"])

    @property
    def red_line(self) -> tuple[str, str]:
        """(fact, source) of the red-line flag; ("", "") when the method has none."""
        red = self.settings.get("red_line") or {}
        return str(red.get("fact") or ""), str(red.get("source") or "")

    def weight_set(self, name: str) -> dict[str, float]:
        """Multipliers by node code (pillar, sub-pillar or indicator) of a named weight set."""
        sets = self.settings.get("weight_sets") or {}
        if name not in sets:
            raise MethodError(f"unknown weight set {name!r}; known: {', '.join(sets)}")
        return {
            k: float(v) for k, v in (sets[name] or {}).items() if not k.startswith("description")
        }


def localised(item: Any, key: str = "name") -> str:
    """The text of the methodology under ``key`` in the active language: the Chinese field
    (``name``, ``coverage_reason``) in Chinese, its English twin (``name_en``,
    ``coverage_reason_en``) otherwise, the Chinese when there is no English. ``item`` is a
    mapping of the YAML or one of the objects above."""
    get = item.get if isinstance(item, dict) else lambda k, d=None: getattr(item, k, d)
    chinese = str(get(key) or "")
    if (translation.get_language() or "zh-hans").startswith("zh"):
        return chinese
    return str(get(f"{key}_en") or chinese)


def _require(mapping: dict[str, Any], key: str, where: str) -> Any:
    if key not in mapping or mapping[key] is None:
        raise MethodError(f"{where}: '{key}' is missing")
    return mapping[key]


def parse(data: dict[str, Any]) -> Methodology:
    settings = _require(data, "settings", "methodology")
    pillars = []
    seen: set[str] = set()
    for p in _require(data, "pillars", "methodology"):
        subs = []
        for s in _require(p, "subpillars", p.get("code", "?")):
            indicators = []
            for i in _require(s, "indicators", s.get("code", "?")):
                code = _require(i, "code", "indicator")
                if code in seen:
                    raise MethodError(f"indicator {code} appears twice")
                seen.add(code)
                f = _require(i, "formula", code)
                formula = Formula(
                    type=_require(f, "type", code),
                    numerator=f.get("numerator") or "",
                    denominator=f.get("denominator") or "",
                    fact=f.get("fact") or "",
                    scale=float(f.get("scale", 1)),
                )
                if formula.type not in ("ratio", "mean", "median", "sum"):
                    raise MethodError(f"{code}: unknown formula type {formula.type}")
                low, high = (float(v) for v in _require(i, "goalposts", code))
                if not high > low:
                    raise MethodError(f"{code}: goalposts must be [low, high] with high > low")
                direction = int(_require(i, "direction", code))
                if direction not in (1, -1):
                    raise MethodError(f"{code}: direction must be 1 or -1")
                no_events = str(_require(i, "no_events", code))
                if no_events not in NO_EVENTS:
                    raise MethodError(f"{code}: no_events must be one of {', '.join(NO_EVENTS)}")
                indicators.append(
                    Indicator(
                        code=code,
                        name=_require(i, "name", code),
                        name_en=i.get("name_en") or code,
                        definition=i.get("definition") or "",
                        formula=formula,
                        direction=direction,
                        unit=str(i.get("unit") or ""),
                        goalposts=(low, high),
                        weight=float(i.get("weight", 1)),
                        source=_require(i, "source", code),
                        min_sample=float(i.get("min_sample", 0)),
                        context=bool(i.get("context", False)),
                        no_events=no_events,
                        pillar=p["code"],
                        subpillar=s["code"],
                    )
                )
            subs.append(
                SubPillar(
                    code=_require(s, "code", "sub-pillar"),
                    name=s["name"],
                    name_en=s.get("name_en") or s["code"],
                    weight=float(s.get("weight", 1)),
                    indicators=tuple(indicators),
                )
            )
        pillars.append(
            Pillar(
                code=_require(p, "code", "pillar"),
                name=p["name"],
                name_en=p.get("name_en") or p["code"],
                weight=float(p.get("weight", 1)),
                subpillars=tuple(subs),
            )
        )
    if [p.code for p in pillars] != ["qin", "qing"]:
        raise MethodError("the index has exactly two pillars, qin (亲) and qing (清)")
    u = settings["uncertainty"]
    uncertainty = Uncertainty(
        draws=int(u["draws"]),
        weight_noise=float(u["weight_noise"]),
        normalisation=tuple(u["normalisation"]),
        aggregation=tuple(u["aggregation"]),
        imputation=tuple(bool(x) for x in u["imputation"]),
        bootstrap=bool(u["bootstrap"]),
        interval=(float(u["interval"][0]), float(u["interval"][1])),
    )
    for name in (*uncertainty.normalisation, settings["normalisation"]):
        if name not in NORMALISATIONS:
            raise MethodError(f"unknown normalisation {name}")
    for name in (*uncertainty.aggregation, settings["aggregation_between"]):
        if name not in AGGREGATIONS:
            raise MethodError(f"unknown aggregation {name}")
    sources = {
        code: Source(
            code=code,
            module=s["module"],
            function=s["function"],
            name=s["name"],
            name_en=s.get("name_en") or "",
        )
        for code, s in _require(data, "sources", "methodology").items()
    }
    for indicator in (i for p in pillars for s in p.subpillars for i in s.indicators):
        if indicator.source not in sources:
            raise MethodError(f"{indicator.code}: unknown source {indicator.source}")
    red = settings.get("red_line") or {}
    if red and red.get("source") not in sources:
        raise MethodError(f"red_line: unknown source {red.get('source')}")
    be = data.get("business_environment") or {}
    dimensions = tuple(
        Dimension(code=d["code"], name=d["name"], name_en=d.get("name_en", ""), fact=d["fact"])
        for d in be.get("dimensions") or []
    )
    return Methodology(
        version=str(data["version"]),
        title=data["title"],
        title_en=data.get("title_en", ""),
        seed=int(data["seed"]),
        pillars=tuple(pillars),
        settings=settings,
        uncertainty=uncertainty,
        sources=sources,
        be_dimensions=dimensions,
        be=be,
        raw=data,
    )


def path_of(version: str) -> Path:
    if not version.replace("-", "").replace("_", "").isalnum():
        raise MethodError(f"bad methodology version {version!r}")
    return DIRECTORY / f"{version}.yaml"


@lru_cache(maxsize=8)
def load(version: str = DEFAULT_VERSION) -> Methodology:
    path = path_of(version)
    if not path.exists():
        raise MethodError(f"no methodology {version}")
    return parse(read(path.read_text(encoding="utf-8")))


def read(text: str) -> dict[str, Any]:
    """The methodology's YAML, read safely (no tags, no objects), as a mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise MethodError(f"the methodology is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise MethodError("the methodology must be a YAML mapping")
    return data


def versions() -> list[str]:
    return sorted(p.stem for p in DIRECTORY.glob("*.yaml"))
