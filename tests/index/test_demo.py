"""The demo's health index: two years of half-yearly periods, published from the demo's own
rows at district and town level, the current half-year only as a staff preview."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from qinqing.common.workdays import SHANGHAI
from qinqing.demo import data
from qinqing.index.compute import HalfYear
from qinqing.index.models import ComputeRun, Publication
from tests.demo.shared import DemoLoad

# the session's one demo load (tests/demo/shared.py), rolled back after the last test using it
pytestmark = pytest.mark.usefixtures("demo_loaded")


def _whole_half_years(demo_loaded: DemoLoad) -> list[str]:
    current = HalfYear.containing(demo_loaded.now.astimezone(SHANGHAI).date())
    periods = [current.previous()]
    while len(periods) < data.HISTORY_HALF_YEARS:
        periods.insert(0, periods[0].previous())
    return [p.key for p in periods]


def test_four_whole_half_years_are_published_at_both_levels(db: Any, demo_loaded: DemoLoad) -> None:
    periods = _whole_half_years(demo_loaded)
    published = Publication.objects.order_by("period", "level")
    assert sorted({(p.period, p.level) for p in published}) == sorted(
        (period, level) for period in periods for level in ("district", "town")
    )
    for p in published:
        assert not p.partial and p.version == 1
        assert p.published_at.astimezone(SHANGHAI).date() > HalfYear.parse(p.period).end
        assert p.published_by is not None and p.published_by.username == "sunyue"


def test_the_current_half_year_is_a_preview_not_published(db: Any, demo_loaded: DemoLoad) -> None:
    current = HalfYear.containing(demo_loaded.now.astimezone(SHANGHAI).date()).key
    assert not Publication.objects.filter(period=current).exists()
    previews = ComputeRun.objects.filter(period=current, status=ComputeRun.Status.DONE)
    assert sorted(previews.values_list("level", flat=True)) == ["district", "town"]
    assert all(run.snapshot and run.snapshot["partial"] for run in previews)


def test_scores_differ_between_districts_and_move_between_periods(
    db: Any, demo_loaded: DemoLoad
) -> None:
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for p in Publication.objects.filter(level="district"):
        for region in p.snapshot["regions"]:
            assert region["scored"], (p.period, region["name"])
            scores[region["name"]][p.period] = region["score"]
    assert len(scores) == 10
    periods = _whole_half_years(demo_loaded)
    first, last = periods[0], periods[-1]
    # every district is scored in every period, the districts spread apart ...
    assert all(set(by_period) == set(periods) for by_period in scores.values())
    latest = [by_period[last] for by_period in scores.values()]
    assert max(latest) - min(latest) > 3
    # ... the city improves over the two years (visits took hold, handlers grew quicker),
    # but not every district by the same amount, so the ranks change
    changes = [by_period[last] - by_period[first] for by_period in scores.values()]
    assert sum(changes) / len(changes) > 2
    assert max(changes) - min(changes) > 3
    ranks = {
        period: sorted(scores, key=lambda name, period=period: -scores[name][period])
        for period in periods
    }
    assert ranks[first] != ranks[last]


def test_every_town_is_scored_in_every_published_period(db: Any) -> None:
    for p in Publication.objects.filter(level="town"):
        regions = p.snapshot["regions"]
        assert len(regions) >= 50
        assert sum(1 for r in regions if r["scored"]) / len(regions) > 0.9, p.period
