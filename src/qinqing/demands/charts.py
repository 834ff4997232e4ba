"""Charts of the demand statistics, drawn offline with matplotlib as inline SVG.

Nothing is fetched at run time: matplotlib draws with its SVG backend (no pyplot, so it is
safe in a threaded web worker), text is turned into glyph outlines of the Noto Sans CJK font
(Debian ``fonts-noto-cjk``), so the reader needs no font either. The returned markup is an
``<svg>`` element ready to be placed in a page: no XML prolog, no DOCTYPE, no metadata, no
comments and no namespace other than SVG's own.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from .statistics import MonthFigures

logger = logging.getLogger("qinqing.charts")

#: CJK fonts in order of preference (matplotlib family names)
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Serif CJK SC")
RECEIVED_COLOUR = "#8fa3bf"
ON_TIME_COLOUR = "#c62828"

_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_XLINK_NS = re.compile(r'\s+xmlns:xlink="[^"]*"')
_STYLE = re.compile(r"<style[^>]*>.*?</style>\s*", re.DOTALL)
_ID = re.compile(r'\bid="')
_REF = re.compile(r'(href="#|url\(#)')


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The family name of an installed CJK font, or None (then Chinese cannot be drawn)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    others = sorted(name for name in installed if "CJK" in name)
    if others:
        return others[0]
    logger.warning(
        "no CJK font found: chart labels in Chinese will not be drawn; install the Debian "
        "package fonts-noto-cjk"
    )
    return None


def _settings() -> Any:
    """matplotlib settings of every chart (applied with ``rc_context`` while drawing)."""
    family = cjk_family()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"] if family else ["DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "qinqing",
    }


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    figure.patch.set_alpha(0)
    FigureCanvasSVG(figure)
    return figure


def _svg(figure: Any, label: str, key: str) -> SafeString:
    """The figure as an inline ``<svg>`` element, cleaned for embedding (see module doc).

    Every id gets the prefix ``key`` so that two charts on one page never share an id.
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = _PROLOG.sub("", text, count=1)
    text = _METADATA.sub("", text)
    text = _COMMENT.sub("", text)
    text = _STYLE.sub("", text)
    text = _XLINK_NS.sub("", text)
    text = text.replace("xlink:href=", "href=")
    text = _ID.sub(f'id="{key}-', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{key}-", text)
    text = text.replace("<svg ", f'<svg class="chart" role="img" aria-label="{escape(label)}" ', 1)
    # produced here from our own figure; prolog, comments and style removed above
    return mark_safe(text.strip())


def _style_axes(axes: Any) -> None:
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    axes.spines["left"].set_color("#c9ced8")
    axes.spines["bottom"].set_color("#c9ced8")
    axes.tick_params(colors="#1d2433", labelsize=9)
    axes.grid(axis="y", color="#e3e6ec", linewidth=0.8)
    axes.set_axisbelow(True)


#: how long a drawn chart is kept for the same figures (drawing one takes about half a second)
CHART_CACHE_SECONDS = 3600


def cached_svg(kind: str, inputs: Any, draw: Callable[[], SafeString]) -> SafeString:
    """The chart ``draw()`` returns, drawn once for the same ``inputs`` (figures, titles and
    labels, whose ``repr`` is digested into the cache key with the language) and then taken
    from the cache."""
    from django.utils.translation import get_language

    digest = hashlib.sha256(repr((get_language(), inputs)).encode()).hexdigest()
    cache_key = f"chart:{kind}:{digest}"
    svg = cache.get(cache_key)
    if svg is None:
        svg = str(draw())
        cache.set(cache_key, svg, CHART_CACHE_SECONDS)
    return mark_safe(svg)  # our own SVG, its text escaped when drawn


def monthly_chart(
    months: Sequence[MonthFigures],
    *,
    title: str,
    received: str,
    on_time: str,
    key: str = "monthly",
) -> SafeString:
    """Grouped bars per month: cases received and, of them, resolved on time."""
    import matplotlib as mpl

    def draw() -> SafeString:
        with mpl.rc_context(_settings()):
            return _monthly_chart(months, title=title, received=received, on_time=on_time, key=key)

    return cached_svg("monthly", (list(months), title, received, on_time, key), draw)


def _monthly_chart(
    months: Sequence[MonthFigures], *, title: str, received: str, on_time: str, key: str
) -> SafeString:
    from matplotlib.ticker import MaxNLocator

    figure = _figure(max(4.8, 0.75 * len(months) + 2.5), 3.0)
    axes = figure.add_subplot()
    positions = list(range(len(months)))
    width = 0.38
    axes.bar(
        [p - width / 2 for p in positions],
        [m.received for m in months],
        width,
        label=received,
        color=RECEIVED_COLOUR,
    )
    axes.bar(
        [p + width / 2 for p in positions],
        [m.resolved_on_time for m in months],
        width,
        label=on_time,
        color=ON_TIME_COLOUR,
    )
    axes.set_xticks(positions, [m.label for m in months])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.set_title(title, fontsize=11, loc="left")
    axes.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _style_axes(axes)
    return _svg(figure, title, key)


def rate_bars(items: Sequence[tuple[str, float]], *, title: str, key: str = "rates") -> SafeString:
    """Horizontal bars of percentages (0–100), one per named item, top to bottom."""
    import matplotlib as mpl

    def draw() -> SafeString:
        with mpl.rc_context(_settings()):
            return _rate_bars(items, title=title, key=key)

    return cached_svg("rates", (list(items), title, key), draw)


def _rate_bars(items: Sequence[tuple[str, float]], *, title: str, key: str) -> SafeString:
    from matplotlib.ticker import PercentFormatter

    figure = _figure(6.4, max(1.6, 0.34 * len(items) + 1.0))
    axes = figure.add_subplot()
    labels = [label for label, _value in items][::-1]
    values = [value for _label, value in items][::-1]
    bars = axes.barh(range(len(items)), values, color=ON_TIME_COLOUR, height=0.6)
    axes.bar_label(bars, labels=[f"{v:.1f}%" for v in values], padding=3, fontsize=8)
    axes.set_yticks(range(len(items)), labels)
    axes.set_xlim(0, 110)
    axes.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    axes.set_title(title, fontsize=11, loc="left")
    _style_axes(axes)
    axes.grid(axis="y", visible=False)
    axes.grid(axis="x", color="#e3e6ec", linewidth=0.8)
    return _svg(figure, title, key)
