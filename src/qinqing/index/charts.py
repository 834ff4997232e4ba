"""Charts of a published period, drawn offline with matplotlib as inline SVG.

The drawing helpers (CJK font, cleaned SVG) are the demand statistics' (``demands.charts``).
A publication never changes, so each chart is cached by publication and chart name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib as mpl
from django.core.cache import cache
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from qinqing.demands.charts import _figure, _settings, _style_axes, _svg

from .method import localised

QIN_COLOUR = "#c62828"
QING_COLOUR = "#1565c0"
BAR_COLOUR = "#8fa3bf"


def cached(key: str, draw: Callable[[], SafeString]) -> SafeString:
    """The chart under ``key`` in the reader's language (its titles and labels are theirs)."""
    key = f"{key}:{translation.get_language()}"
    svg = cache.get(key)
    if svg is None:
        svg = str(draw())
        cache.set(key, svg, 24 * 3600)
    return mark_safe(svg)  # our own SVG, cleaned by demands.charts._svg


def _ordered(regions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        (r for r in regions if r["rank"] is not None), key=lambda r: (r["rank"], r["code"])
    )


def ranking_chart(
    regions: Sequence[dict[str, Any]], *, title: str, score: str, rank: str, key: str = "ranking"
) -> SafeString:
    """Bars of the score, beside each the nominal rank with its 5–95 % interval as whiskers."""
    rows = _ordered(regions)
    with mpl.rc_context(_settings()):
        figure = _figure(7.2, max(2.0, 0.22 * len(rows) + 1.0))
        left, right = figure.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
        ys = list(range(len(rows)))[::-1]
        left.barh(ys, [r["score"] for r in rows], color=BAR_COLOUR, height=0.65)
        left.set_yticks(ys, [r["name"] for r in rows], fontsize=8 if len(rows) > 30 else 9)
        left.set_xlim(0, 100)
        left.set_title(score, fontsize=10, loc="left")
        # the interval as a whisker around its own middle and the nominal rank as a dot: the
        # nominal rank (no perturbation) may lie outside the 5–95 % interval of the draws
        low = [r["rank_low"] if r["rank_low"] is not None else r["rank"] for r in rows]
        high = [r["rank_high"] if r["rank_high"] is not None else r["rank"] for r in rows]
        right.errorbar(
            [(a + b) / 2 for a, b in zip(low, high, strict=True)],
            ys,
            xerr=[(b - a) / 2 for a, b in zip(low, high, strict=True)],
            fmt="none",
            ecolor="#555",
            elinewidth=1,
            capsize=2,
        )
        right.plot([r["rank"] for r in rows], ys, "o", color=QIN_COLOUR, markersize=3)
        right.set_xlim(0.5, max(2, len(rows)) + 0.5)
        right.invert_xaxis()
        right.set_title(rank, fontsize=10, loc="left")
        for axes in (left, right):
            _style_axes(axes)
            axes.grid(axis="y", visible=False)
            axes.grid(axis="x", color="#e3e6ec", linewidth=0.8)
        figure.suptitle(title, fontsize=11, x=0.01, ha="left")
        return _svg(figure, title, key)


def heatmap(
    regions: Sequence[dict[str, Any]],
    indicators: Sequence[dict[str, Any]],
    values: dict[tuple[str, str], float | None],
    *,
    title: str,
    key: str = "heatmap",
) -> SafeString:
    """Normalised indicator values (0–100), regions in rank order × scored indicators."""
    import numpy as np

    rows = _ordered(regions)
    data = np.array(
        [
            [
                values.get((r["code"], i["code"]))
                if values.get((r["code"], i["code"])) is not None
                else np.nan
                for i in indicators
            ]
            for r in rows
        ],
        dtype=float,
    ).reshape(len(rows), len(indicators))
    with mpl.rc_context(_settings()):
        figure = _figure(max(5.0, 0.45 * len(indicators) + 2.5), max(2.2, 0.2 * len(rows) + 1.8))
        axes = figure.add_subplot()
        cmap = mpl.colormaps["RdYlGn"].with_extremes(bad="#e3e6ec")
        image = axes.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=0, vmax=100, aspect="auto")
        axes.set_xticks(
            range(len(indicators)),
            [localised(i) for i in indicators],
            rotation=60,
            ha="right",
            fontsize=8,
        )
        axes.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=8)
        figure.colorbar(image, ax=axes, shrink=0.6)
        axes.set_title(title, fontsize=11, loc="left")
        return _svg(figure, title, key)


def trend_chart(
    series: dict[str, list[tuple[str, float | None]]], *, title: str, key: str = "trend"
) -> SafeString:
    """One line per region over the published periods."""
    periods = sorted({p for points in series.values() for p, _v in points})
    with mpl.rc_context(_settings()):
        figure = _figure(7.0, 3.4)
        axes = figure.add_subplot()
        for name, points in series.items():
            by = dict(points)
            ys = [by.get(p) for p in periods]
            axes.plot(
                range(len(periods)),
                [math.nan if y is None else y for y in ys],
                marker="o",
                markersize=3,
                linewidth=1.2,
                label=name,
            )
        axes.set_xticks(range(len(periods)), periods)
        axes.set_ylim(0, 100)
        if len(series) <= 14:
            axes.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        axes.set_title(title, fontsize=11, loc="left")
        _style_axes(axes)
        return _svg(figure, title, key)


def scatter(
    regions: Sequence[dict[str, Any]], *, title: str, qin: str, qing: str, key: str = "scatter"
) -> SafeString:
    rows = [r for r in regions if r["qin"] is not None and r["qing"] is not None]
    with mpl.rc_context(_settings()):
        figure = _figure(5.2, 4.4)
        axes = figure.add_subplot()
        axes.scatter(
            [r["qin"] for r in rows], [r["qing"] for r in rows], s=18, color=QING_COLOUR, alpha=0.8
        )
        if len(rows) <= 20:
            for r in rows:
                axes.annotate(
                    r["name"],
                    (r["qin"], r["qing"]),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        axes.plot([0, 100], [0, 100], color="#c9ced8", linewidth=0.8, linestyle="--")
        axes.set_xlim(0, 100)
        axes.set_ylim(0, 100)
        axes.set_xlabel(qin, fontsize=9)
        axes.set_ylabel(qing, fontsize=9)
        axes.set_title(title, fontsize=11, loc="left")
        _style_axes(axes)
        return _svg(figure, title, key)


def goalpost_chart(
    rows: Sequence[tuple[str, float | None]], *, title: str, key: str = "goalposts"
) -> SafeString:
    """A region's indicators on the 0–100 goalpost scale (0 = low goalpost, 100 = frontier)."""
    with mpl.rc_context(_settings()):
        figure = _figure(6.4, max(1.8, 0.3 * len(rows) + 1.0))
        axes = figure.add_subplot()
        ys = list(range(len(rows)))[::-1]
        values = [v if v is not None else 0 for _n, v in rows]
        colours = [QIN_COLOUR if v is not None else "#e3e6ec" for _n, v in rows]
        axes.barh(ys, values, color=colours, height=0.6)
        axes.axvline(100, color="#1d2433", linewidth=0.8, linestyle="--")
        axes.set_yticks(ys, [n for n, _v in rows], fontsize=8)
        axes.set_xlim(0, 105)
        axes.set_title(title, fontsize=11, loc="left")
        _style_axes(axes)
        axes.grid(axis="y", visible=False)
        return _svg(figure, title, key)


#: one colour per business-environment dimension, in the method's order
DIMENSION_COLOURS = ("#c62828", "#ef6c00", "#2e7d32", "#1565c0", "#6a1b9a")


def business_environment_chart(
    regions: Sequence[dict[str, Any]],
    dimensions: Sequence[tuple[str, str]],
    *,
    title: str,
    total: str,
    key: str = "business-environment",
) -> SafeString:
    """Each region's five dimension scores (0–100) as dots with their confidence intervals as
    whiskers, and the total as a black diamond with its interval; ranked regions first, in
    rank order, then the others by name. ``dimensions`` are (code, label) pairs."""
    rows = sorted(
        (r for r in regions if r.get("total") or any(d["n"] for d in r["dimensions"].values())),
        key=lambda r: (r.get("rank") is None, r.get("rank") or 0, r["code"]),
    )
    series = [*dimensions, ("", total)]
    step = 0.8 / max(1, len(series))
    with mpl.rc_context(_settings()):
        figure = _figure(7.2, max(2.2, 0.42 * len(rows) + 1.4))
        axes = figure.add_subplot()
        ys = list(range(len(rows)))[::-1]
        for j, (code, label) in enumerate(series):
            points = [(r["dimensions"].get(code) if code else r.get("total")) for r in rows]
            shown = [(y, p) for y, p in zip(ys, points, strict=True) if p and p.get("score")]
            if not shown:
                continue
            offset = 0.4 - step / 2 - j * step
            xs = [p["score"] for _y, p in shown]
            axes.errorbar(
                xs,
                [y + offset for y, _p in shown],
                xerr=[
                    [p["score"] - p["low"] for _y, p in shown],
                    [p["high"] - p["score"] for _y, p in shown],
                ],
                fmt="D" if not code else "o",
                color="#1d2433" if not code else DIMENSION_COLOURS[j % len(DIMENSION_COLOURS)],
                elinewidth=1,
                capsize=1.5,
                markersize=4 if not code else 3,
                label=label,
            )
        axes.set_yticks(ys, [r["name"] for r in rows], fontsize=8 if len(rows) > 20 else 9)
        axes.set_ylim(-0.6, len(rows) - 0.4)
        axes.set_xlim(0, 100)
        axes.legend(
            frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), borderaxespad=0
        )
        axes.set_title(title, fontsize=11, loc="left")
        _style_axes(axes)
        axes.grid(axis="y", visible=False)
        axes.grid(axis="x", color="#e3e6ec", linewidth=0.8)
        return _svg(figure, title, key)
