"""Small builders for engine tests: hand-made indicators and inputs."""

from __future__ import annotations

import numpy as np

from qinqing.index import engine
from qinqing.index.method import Formula, Indicator, Uncertainty, load


def indicator(
    code: str,
    pillar: str = "qin",
    sub: str = "care",
    *,
    direction: int = 1,
    goalposts: tuple[float, float] = (0.0, 100.0),
    weight: float = 1.0,
    min_sample: float = 0.0,
    kind: str = "ratio",
) -> Indicator:
    formula = (
        Formula(type=kind, fact=f"f.{code}")
        if kind != "ratio"
        else Formula(type="ratio", numerator=f"f.{code}", denominator="f.base", scale=100)
    )
    return Indicator(
        code=code,
        name=code,
        name_en=code,
        definition="",
        formula=formula,
        direction=direction,
        unit="%",
        goalposts=goalposts,
        weight=weight,
        source="test",
        min_sample=min_sample,
        context=False,
        pillar=pillar,
        subpillar=sub,
    )


def inputs(
    raw: list[list[float]],
    indicators: list[Indicator],
    *,
    n: list[list[float]] | None = None,
    parent: list[list[float]] | None = None,
) -> engine.Inputs:
    x = np.array(raw, dtype=float)
    return engine.Inputs(
        units=[
            engine.Unit(code=f"U{u:02d}", name=f"unit {u}", path=f"/{u}/") for u in range(len(x))
        ],
        indicators=indicators,
        raw=x,
        n=np.array(n, dtype=float) if n is not None else np.full(x.shape, 1000.0),
        parent=np.array(parent, dtype=float) if parent is not None else np.full(x.shape, np.nan),
    )


def quiet(draws: int = 50, **changes: object) -> engine.Settings:
    """The 2026 settings with every source of noise switched off."""
    method = load()
    settings = engine.Settings.of(method, draws=draws)
    settings.uncertainty = Uncertainty(
        draws=draws,
        weight_noise=0.0,
        normalisation=(settings.normalisation,),
        aggregation=(settings.aggregation,),
        imputation=(True,),
        bootstrap=False,
        interval=(0.05, 0.95),
    )
    for key, value in changes.items():
        if key in Uncertainty.__dataclass_fields__:
            settings.uncertainty = Uncertainty(**{**settings.uncertainty.__dict__, key: value})
        else:
            setattr(settings, key, value)
    return settings
