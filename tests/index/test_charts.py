"""The business-environment chart: a dot and whisker per dimension and the total."""

from __future__ import annotations

import re

from qinqing.index import charts

DIMENSIONS = [("factors", "要素"), ("rule_of_law", "法治"), ("market", "市场")]


def _region(code: str, rank: int | None, n: int, base: float) -> dict[str, object]:
    dims = {
        c: (
            {"n": n, "score": base + j, "low": base + j - 5, "high": base + j + 5}
            if n
            else {"n": 0, "score": None, "low": None, "high": None}
        )
        for j, (c, _name) in enumerate(DIMENSIONS)
    }
    total = {"score": base + 1, "low": base - 2, "high": base + 4} if n else None
    return {"code": code, "name": f"区{code}", "dimensions": dims, "total": total, "rank": rank}


def test_a_series_per_dimension_and_the_total_and_only_regions_with_answers() -> None:
    regions = [_region("2", 1, 40, 70.0), _region("1", None, 12, 50.0), _region("3", None, 0, 0)]
    svg = str(
        charts.business_environment_chart(regions, DIMENSIONS, title="营商环境", total="总分")
    )
    assert svg.startswith("<svg") and 'aria-label="营商环境"' in svg
    # three dimensions and the total: four series of whiskers, in the plot and in the legend
    assert len(re.findall(r'id="business-environment-LineCollection_\d+"', svg)) == 2 * 4
    # two regions with answers on the y axis (the one without answers is left out)
    assert len(re.findall(r'id="business-environment-ytick_\d+"', svg)) == 2
