"""What a unit with no events means: an observed 0, not applicable, or missing; an indicator
nobody observed is not measured; the red line is read from the reports source."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pytest

from qinqing.common.workdays import SHANGHAI
from qinqing.index import compute, engine, sources
from qinqing.index.method import load

from .conftest import ALL_FAKE, GRID_A, TOWN_A
from .helpers import indicator, inputs, quiet

NAN = math.nan
TODAY = date(2026, 7, 20)


def _tree() -> list[Any]:
    return [
        indicator("a"),
        indicator("b", sub="service"),
        indicator("c", "qing", "integrity"),
        indicator("d", "qing", "transparency"),
    ]


def test_a_not_applicable_cell_takes_the_parent_value_without_costing_coverage() -> None:
    data = inputs(
        [[80.0, NAN, 70.0, NAN], [60.0, NAN, 50.0, NAN], [70.0, 40.0, 60.0, 90.0]],
        _tree(),
        parent=[[65.0, 55.0, 60.0, 75.0]] * 3,
    )
    data.applicable = np.array([[True, False, True, False], [True, True, True, True], [True] * 4])
    out = engine.run(data, quiet(draws=0))
    # unit 0: two shares of nothing → 2 of 2 applicable cells observed; unit 1: 2 of 4 missing
    assert out.coverage.tolist() == [1.0, 0.5, 1.0]
    assert out.scored.tolist() == [True, False, True]
    assert out.imputed[0, 1] and out.value[0, 1] == 55.0 and out.value[0, 3] == 75.0


def test_an_indicator_no_unit_observed_is_not_measured_and_left_out() -> None:
    raw = [[80.0, 50.0, 70.0, NAN], [60.0, 55.0, 50.0, NAN], [70.0, 40.0, 60.0, NAN]]
    with_d = engine.run(inputs(raw, _tree(), parent=[[1.0, 1.0, 1.0, 99.0]] * 3), quiet(0))
    without_d = engine.run(inputs([r[:3] for r in raw], _tree()[:3]), quiet(0))
    assert with_d.measured.tolist() == [True, True, True, False]
    assert with_d.coverage.tolist() == [1.0, 1.0, 1.0]
    assert 3 not in with_d.scored_indicators and "d" not in with_d.effective_weights
    assert np.allclose(with_d.score, without_d.score) and not with_d.imputed[:, 3].any()


def test_a_unit_needs_an_observed_indicator_in_each_pillar() -> None:
    tree = [
        indicator("a"),
        indicator("b", sub="service"),
        indicator("e", sub="burden"),
        indicator("c", "qing", "integrity"),
    ]
    data = inputs(
        [[80.0, 50.0, 60.0, NAN], [60.0, 55.0, 70.0, 40.0]], tree, parent=[[1, 1, 1, 30.0]] * 2
    )
    out = engine.run(data, quiet(draws=0))
    assert out.coverage[0] == 0.75  # above the 65 % threshold, but 清 would be all imputed
    assert out.scored.tolist() == [False, True]


def _integrity(*, start: date, end: date) -> list[tuple[str, str, float]]:
    # town A filed 5 contacts, none prohibited; town B filed nothing
    return [(TOWN_A, "filings.total", 1.0)] * 5 + [(GRID_A, "clean_firms.recognised", 1.0)] * 2


def _report(world: Any, *, serious: bool) -> None:
    from qinqing.integrity.reports.models import Report

    moment = datetime(2026, 3, 10, 10, tzinfo=SHANGHAI)
    Report.objects.create(
        number=f"JB-{Report.objects.count() + 1:04d}",
        category="other",
        region=world.other_town,
        region_path=world.other_town.path,
        state="concluded",
        outcome="substantiated",
        serious=serious,
        content=b"-",
        received_at=moment.replace(month=2),
        triage_due_at=moment,
        conclusion_due_at=moment,
        concluded_at=moment,
    )


def _live_reports(world: Any) -> dict[str, Any]:
    fakes = {**ALL_FAKE, "integrity": _integrity}
    del fakes["integrity_reports"]  # the reports app's own index_facts
    with sources.override(**fakes):
        return compute.compute(period="2026H1", level="town", method=load(), draws=50, today=TODAY)


def test_no_events_counted_is_an_observed_zero_and_a_share_of_nothing_not_applicable(
    world: Any,
) -> None:
    _report(world, serious=True)
    snap = _live_reports(world)
    cells = {(c["region"], c["indicator"]): c for c in snap["cells"]}
    a, b = "330203101", "330203102"
    # violations: none in A → 0 observed; one in B over its 30 firms
    assert cells[(a, "violations_per_100")]["status"] == "ok"
    assert cells[(a, "violations_per_100")]["raw"] == 0.0
    assert cells[(b, "violations_per_100")]["raw"] == pytest.approx(100 / 30, abs=1e-4)
    # prohibited filings: A 0 of 5; B filed nothing → not applicable, the district's 0 %
    assert cells[(a, "prohibited_filings")]["raw"] == 0.0
    assert cells[(b, "prohibited_filings")]["status"] == "not_applicable"
    assert cells[(b, "prohibited_filings")]["value"] == 0.0
    regions = {r["code"]: r for r in snap["regions"]}
    assert all(r["rank"] is not None for r in regions.values())
    assert regions[a]["coverage"] == regions[b]["coverage"]
    assert "not_applicable=1" in regions[b]["flags"]


def test_a_share_no_unit_of_the_level_had_events_for_is_not_measured(world: Any) -> None:
    def clean_only(*, start: date, end: date) -> list[tuple[str, str, float]]:
        return [(GRID_A, "clean_firms.recognised", 1.0)]

    with sources.override(**{**ALL_FAKE, "integrity": clean_only}):
        snap = compute.compute(period="2026H1", level="town", method=load(), draws=0, today=TODAY)
    meta = {i["code"]: i for i in snap["indicators"]}
    assert meta["prohibited_filings"]["status"] == "not_measured"
    assert meta["prohibited_filings"]["effective_weight"] is None
    cells = [c for c in snap["cells"] if c["indicator"] == "prohibited_filings"]
    assert all(c["status"] == "not_measured" and c["value"] is None for c in cells)
    assert all(r["rank"] is not None and r["coverage"] == 1.0 for r in snap["regions"])


def test_the_red_line_is_read_from_the_reports_source(world: Any) -> None:
    _report(world, serious=True)
    _report(world, serious=False)
    snap = _live_reports(world)
    regions = {r["code"]: r for r in snap["regions"]}
    assert regions["330203102"]["red_line"] is True
    assert "red_line" in regions["330203102"]["flags"]
    assert regions["330203101"]["red_line"] is False
    assert snap["sources"]["integrity_reports"]["available"] is True


def test_the_sources_are_asked_for_half_open_days_up_to_the_day_after(world: Any) -> None:
    asked: list[tuple[date, date]] = []

    def spy(*, start: date, end: date) -> list[tuple[str, str, float]]:
        asked.append((start, end))
        return []

    with sources.override(**{**ALL_FAKE, "notices": spy}):
        compute.compute(period="2026H1", level="town", method=load(), draws=0, today=TODAY)
        compute.compute(period="2026H2", level="town", method=load(), draws=0, today=TODAY)
    assert asked == [(date(2026, 1, 1), date(2026, 7, 1)), (date(2026, 7, 1), date(2026, 7, 21))]
