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


def test_the_ranking_chart_draws_a_nominal_rank_outside_its_interval() -> None:
    """The nominal rank (no perturbation) may fall outside the 5–95 % interval of the draws:
    the page still shows the interval and the rank (it failed with negative whiskers)."""
    regions = [
        {"code": "1", "name": "甲镇", "score": 80.0, "rank": 1, "rank_low": 1, "rank_high": 2},
        {"code": "2", "name": "乙镇", "score": 70.0, "rank": 2, "rank_low": 3, "rank_high": 4},
        {"code": "3", "name": "丙镇", "score": 60.0, "rank": 4, "rank_low": 1, "rank_high": 3},
    ]
    svg = str(charts.ranking_chart(regions, title="排名", score="得分", rank="名次"))
    assert svg.startswith("<svg") and 'aria-label="排名"' in svg
    assert len(re.findall(r'id="ranking-ytick_\d+"', svg)) >= 3
