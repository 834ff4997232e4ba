"""Charts of survey results, drawn offline as inline SVG by ``demands.charts`` (matplotlib
with the Noto CJK font; nothing fetched at run time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from qinqing.demands.charts import rate_bars

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
