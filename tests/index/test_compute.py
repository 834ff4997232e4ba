"""Computing a period from the sources: roll-up, unavailable sources, files, determinism."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from qinqing.index import compute, sources
from qinqing.index.method import load

from .conftest import ALL_FAKE

TODAY = date(2026, 7, 20)


def _snap(**kwargs: Any) -> dict[str, Any]:
    return compute.compute(
        period="2026H1", level="town", method=load(), draws=200, today=TODAY, **kwargs
    )


def test_facts_roll_up_from_grids_to_towns(world: Any, fake_sources: None) -> None:
    snap = _snap()
    cells = {(c["region"], c["indicator"]): c for c in snap["cells"]}
    assert cells[("330203101", "visit_coverage")]["raw"] == pytest.approx(90.0)
    assert cells[("330203102", "visit_coverage")]["raw"] == pytest.approx(50.0)
    assert cells[("330203101", "median_days")]["raw"] == 4.0
    assert cells[("330203101", "closeness_survey")]["raw"] == pytest.approx(4.2)
    assert cells[("330203101", "closeness_survey")]["n"] == 40


def test_the_better_town_ranks_first_with_both_pillars(world: Any, fake_sources: None) -> None:
    regions = {r["code"]: r for r in _snap()["regions"]}
    a, b = regions["330203101"], regions["330203102"]
    assert a["rank"] == 1 and b["rank"] == 2
    assert a["qin"] > b["qin"] and a["qing"] > b["qing"]
    assert a["score"] == pytest.approx(math.sqrt(a["qin"] * a["qing"]), abs=1e-3)


def test_an_unavailable_source_shows_unavailable_never_numbers(
    world: Any, fake_sources: None
) -> None:
    snap = _snap()
    meta = {i["code"]: i for i in snap["indicators"]}
    assert meta["policy_on_time"]["status"] == "unavailable"
    assert snap["sources"]["notices"]["available"] is False
    cells = [c for c in snap["cells"] if c["indicator"] in ("policy_on_time", "violations_per_100")]
    assert cells and all(c["status"] == "unavailable" and c["raw"] is None for c in cells)
    assert all(c["normalised"] is None and not c["imputed"] for c in cells)
    # the red line cannot be known without the reports source
    assert all(r["red_line"] is None for r in snap["regions"])


def test_a_module_that_does_not_exist_is_unavailable() -> None:
    method = load()
    assert sources.resolve(method, "directory") is not None
    fake = method.sources["exemption"].__class__(
        code="x", module="qinqing.nothing_here.selectors", function="index_facts", name="x"
    )
    method.sources["x"] = fake
    try:
        assert sources.resolve(method, "x") is None
    finally:
        del method.sources["x"]


def test_a_module_without_index_facts_is_unavailable() -> None:
    method = load()
    fake = method.sources["exemption"].__class__(
        code="y", module="qinqing.index.engine", function="index_facts", name="y"
    )
    method.sources["y"] = fake
    try:
        assert sources.resolve(method, "y") is None
    finally:
        del method.sources["y"]


def test_a_small_survey_sample_is_shrunk_towards_the_district(world: Any) -> None:
    def survey(*, start: date, end: date) -> list[tuple[str, str, float]]:
        few = [("/330200/330203/330203102/", "survey.closeness", 1.0)] * 5
        many = [("/330200/330203/330203101/", "survey.closeness", 5.0)] * 35
        return few + many

    with sources.override(**{**ALL_FAKE, "consultation": survey}):
        snap = _snap()
    cell = next(
        c
        for c in snap["cells"]
        if c["region"] == "330203102" and c["indicator"] == "closeness_survey"
    )
    # district mean (5·1 + 35·5)/40 = 4.5; minimum 40 answers: (5·1 + 35·4.5)/40 = 4.0625
    assert cell["raw"] == 1.0 and cell["shrunk"] and cell["value"] == pytest.approx(4.0625)


def test_a_town_without_answers_takes_the_district_value_flagged_imputed(world: Any) -> None:
    def survey(*, start: date, end: date) -> list[tuple[str, str, float]]:
        return [("/330200/330203/330203101/", "survey.closeness", 4.0)] * 30

    with sources.override(**{**ALL_FAKE, "consultation": survey}):
        snap = _snap()
    cell = next(
        c
        for c in snap["cells"]
        if c["region"] == "330203102" and c["indicator"] == "closeness_survey"
    )
    assert cell["status"] == "missing" and cell["imputed"] and cell["value"] == 4.0
    region = next(r for r in snap["regions"] if r["code"] == "330203102")
    assert any(f.startswith("imputed=") for f in region["flags"])


def test_the_business_environment_index_gives_intervals_and_ranks_only_sufficient_samples(
    world: Any, fake_sources: None
) -> None:
    be = _snap()["business_environment"]
    assert be["available"]
    a = next(r for r in be["regions"] if r["code"] == "330203101")
    dim = a["dimensions"]["factors"]
    # answers 5,4,4,5,3 → mean 4.2 → (4.2 − 1)/4·100 = 80
    assert dim["n"] == 40 and dim["score"] == pytest.approx(80.0)
    assert dim["low"] < 80 < dim["high"]
    assert a["ranked"] and a["rank"] == 1


def test_same_inputs_and_seed_write_identical_bytes(
    world: Any, fake_sources: None, tmp_path: Path
) -> None:
    for name in ("one", "two"):
        call_command(
            "index",
            "compute",
            "--period",
            "2026H1",
            "--level",
            "town",
            "--out",
            str(tmp_path / name),
            "--draws",
            "300",
        )
    for file in ("results.csv", "indicators.csv"):
        assert (tmp_path / "one" / file).read_bytes() == (tmp_path / "two" / file).read_bytes()
    header = (tmp_path / "one" / "results.csv").read_text().splitlines()[0]
    assert (
        header == "region_code,region_name,score,qin,qing,rank,median_rank,"
        "rank_p05,rank_p95,tier,coverage,flags"
    )
    assert "unavailable" in (tmp_path / "one" / "indicators.csv").read_text()


def test_the_district_level_rolls_up_every_town(world: Any, fake_sources: None) -> None:
    snap = compute.compute(period="2026H1", level="district", method=load(), draws=50, today=TODAY)
    assert [r["code"] for r in snap["regions"]] == ["330203"]
    cell = next(c for c in snap["cells"] if c["indicator"] == "visit_coverage")
    assert cell["raw"] == pytest.approx((36 + 15) / 70 * 100, abs=1e-3)


def test_a_period_not_yet_ended_is_partial(world: Any, fake_sources: None) -> None:
    snap = compute.compute(
        period="2026H2", level="town", method=load(), draws=0, today=date(2026, 9, 1)
    )
    assert snap["partial"] and snap["as_of"] == "2026-09-01"


def test_bad_periods_are_refused() -> None:
    for bad in ("2026H3", "2026-1", "H1"):
        with pytest.raises(compute.PeriodError):
            compute.HalfYear.parse(bad)
    assert compute.HalfYear.parse("2026H1").previous().key == "2025H2"
    assert compute.HalfYear.parse("2026H2").previous().key == "2026H1"


def test_the_method_document_is_up_to_date() -> None:
    from django.conf import settings

    from qinqing.index.docs import render_markdown

    committed = (Path(settings.BASE_DIR) / "docs" / "index-methodology.md").read_text(
        encoding="utf-8"
    )
    assert committed == render_markdown(load()), "run `qinqing index docs`"


def test_the_methodology_is_read_with_a_safe_yaml_loader() -> None:
    from qinqing.index.method import MethodError, path_of, read

    data = read(path_of("2026").read_text(encoding="utf-8"))
    assert data["settings"]["uncertainty"]["normalisation"] == [
        "goalposts",
        "minmax",
        "zscore",
        "rank",
    ]
    assert data["pillars"][0]["subpillars"][0]["indicators"][0]["goalposts"] == [0, 100]
    for bad in (
        "- a list\n- not a mapping\n",
        "key: [unclosed\n",
        "x: !!python/name:os.system ''\n",
    ):
        with pytest.raises(MethodError):
            read(bad)
