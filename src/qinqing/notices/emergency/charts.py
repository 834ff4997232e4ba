"""The trend chart of an emergency, drawn offline as inline SVG (see ``demands.charts``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString

from qinqing.demands.charts import _figure, _settings, _style_axes, _svg, cached_svg

from .selectors import Figures

COLOURS = ("#c62828", "#2e7d32", "#8fa3bf")


def trend_chart(
    rows: Sequence[Figures], *, title: str, labels: tuple[str, str, str], key: str = "trend"
) -> SafeString:
    """Lines of the operating share, staff return rate and reporting rate per period (%)."""
    return cached_svg(
        "emergency-trend",
        (list(rows), title, labels, key),
        lambda: _trend_chart(rows, title=title, labels=labels, key=key),
    )


def _trend_chart(
    rows: Sequence[Figures], *, title: str, labels: tuple[str, str, str], key: str
) -> SafeString:
    import matplotlib as mpl
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    with mpl.rc_context(_settings()):
        figure = _figure(max(5.0, min(12.0, 0.25 * len(rows) + 3.0)), 3.0)
        axes = figure.add_subplot()
        positions = list(range(len(rows)))
        series = (
            [r.operating_share for r in rows],
            [r.return_rate for r in rows],
            [r.reporting_rate for r in rows],
        )
        for values, label, colour in zip(series, labels, COLOURS, strict=True):
            axes.plot(
                positions,
                [None if v is None else v * 100 for v in values],
                label=label,
                color=colour,
                marker="o" if len(rows) < 20 else None,
                markersize=3,
                linewidth=1.6,
            )
        axes.set_xticks(positions, [r.label for r in rows])
        axes.xaxis.set_major_locator(MaxNLocator(nbins=10))
        axes.set_ylim(0, 105)
        axes.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        axes.set_title(title, fontsize=11, loc="left")
        axes.legend(frameon=False, fontsize=9, loc="lower right")
        _style_axes(axes)
        return _svg(figure, title, key)
