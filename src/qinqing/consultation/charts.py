"""Charts of survey results, drawn offline as inline SVG by ``demands.charts`` (matplotlib
with the Noto CJK font; nothing fetched at run time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from qinqing.demands.charts import _figure, _settings, _style_axes, _svg, cached_svg, rate_bars

from .models import CHOICE_KINDS, QuestionKind

if TYPE_CHECKING:
    from .selectors import Results


def question_charts(results: Results) -> dict[int, SafeString]:
    """One chart per choice, scale and matrix question that has answers, keyed by its id:
    choices and scale points as percentages of the firms answering; matrix rows as the
    share answering 4 or 5 (满意率)."""
    charts: dict[int, SafeString] = {}
    for r in results.questions:
        q = r.question
        if not r.answered:
            continue
        key = f"q{q.pk}"
        if q.kind in CHOICE_KINDS:
            items = [(o.label, o.percent) for o in r.options]
        elif q.kind == QuestionKind.SCALE:
            items = [(_("%(p)s 分") % {"p": o.label}, o.percent) for o in r.counts]
        elif q.kind == QuestionKind.MATRIX:
            items = [
                (row.label, 100.0 * sum(row.counts[3:]) / row.summary.n if row.summary.n else 0.0)
                for row in r.rows
            ]
        else:
            continue
        charts[q.pk] = rate_bars(items, title=q.text, key=key)
    return charts


def dimension_chart(results: Results) -> SafeString | None:
    """The mean score (1–5) of each dimension of the survey (要素, 法治, … on the
    business-environment template) as a dot with its 95 % confidence interval as whiskers,
    top to bottom in the table's order; None when no dimension has answers."""
    rows = [
        (str(label), s.mean, s.ci_low, s.ci_high)
        for _tag, label, s in results.dimensions
        if s.n and s.mean is not None
    ]
    if not rows:
        return None
    title = _("各维度平均分与 95% 置信区间")

    def draw() -> SafeString:
        import matplotlib as mpl

        with mpl.rc_context(_settings()):
            figure = _figure(6.4, max(1.8, 0.42 * len(rows) + 1.1))
            axes = figure.add_subplot()
            ys = list(range(len(rows)))[::-1]
            means = [mean for _label, mean, _low, _high in rows]
            below = [mean - (low if low is not None else mean) for _l, mean, low, _h in rows]
            above = [(high if high is not None else mean) - mean for _l, mean, _lo, high in rows]
            axes.errorbar(
                means,
                ys,
                xerr=[below, above],
                fmt="o",
                color="#c62828",
                ecolor="#8a94a6",
                capsize=4,
                markersize=6,
            )
            for y, mean in zip(ys, means, strict=True):
                axes.annotate(
                    f"{mean:.2f}",
                    (mean, y),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=8,
                )
            axes.set_yticks(ys, [label for label, *_rest in rows], fontsize=9)
            axes.set_xlim(1, 5)
            axes.set_ylim(-0.6, len(rows) - 0.4)
            axes.set_title(title, fontsize=11, loc="left")
            axes.grid(axis="x", color="#e3e6ec", linewidth=0.8)
            _style_axes(axes)
            return _svg(figure, title, "dimensions")

    return cached_svg("survey-dimensions", (rows, title), draw)
