"""Computing from the staff page, publishing, freezing, correcting; the public pages and API."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from qinqing.audit.models import AuditEntry
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.index import charts, services, sources
from qinqing.index.models import ComputeRun, Publication

from .conftest import ALL_FAKE, GRID_A, TOWN_B, fake_facts, fake_survey


@pytest.fixture(autouse=True)
def _tasks(django_capture_on_commit_callbacks: Any) -> None:
    global _capture
    _capture = django_capture_on_commit_callbacks


_capture: Any = None


def _run(world: Any, level: str = "town", draws: int = 100, period: str = "2026H1") -> ComputeRun:
    with _capture(execute=True):
        run = services.compute_request(
            actor=world.users["supervisor"], period=period, level=level, draws=draws
        )
    run.refresh_from_db()
    return run


def _page(content: bytes) -> str:
    """The page without the per-request parts of the layout (CSRF token, nonce)."""
    text = content.decode()
    return re.sub(r'(csrfmiddlewaretoken" value=|nonce=|CSRFToken": )"[^"]*"', "", text)


@pytest.fixture
def published(world: Any, fake_sources: None) -> Publication:
    run = _run(world)
    assert run.status == ComputeRun.Status.DONE, run.error
    return services.publish(actor=world.users["supervisor"], run_id=run.pk)


def test_a_computation_requested_by_staff_runs_as_a_task_and_is_audited(
    world: Any, fake_sources: None
) -> None:
    run = _run(world)
    assert run.status == "done" and run.snapshot["draws"] == 100
    assert AuditEntry.objects.filter(action="index.compute").count() == 1


@pytest.mark.parametrize(
    "role", ["enterprise", "steward", "handler", "official", "observer", "chamber"]
)
def test_other_roles_cannot_compute(world: Any, role: str) -> None:
    with pytest.raises(NotPermitted):
        services.compute_request(actor=world.users[role], period="2026H1", level="town")


def test_a_bad_period_is_refused_with_a_message_on_the_field(world: Any) -> None:
    with pytest.raises(ServiceError) as error:
        services.compute_request(actor=world.users["supervisor"], period="2026Q1", level="village")
    assert set(error.value.field_errors) == {"period", "level"}
    assert not ComputeRun.objects.exists()


def test_a_coordinator_may_preview_but_not_publish(world: Any, fake_sources: None) -> None:
    with _capture(execute=True):
        run = services.compute_request(
            actor=world.users["coordinator"], period="2026H1", level="town", draws=10
        )
    with pytest.raises(NotPermitted):
        services.publish(actor=world.users["coordinator"], run_id=run.pk)
    assert services.publish(actor=world.users["system_admin"], run_id=run.pk).version == 1


def test_a_published_period_does_not_change_when_the_data_changes(
    world: Any, published: Publication, client: Client
) -> None:
    before = client.get("/index/2026H1/town/").content
    csv_before = client.get("/index/2026H1/town/results.csv").content

    def changed(*, start: date, end: date) -> list[tuple[str, str, float]]:
        return [*fake_facts(start=start, end=end), (GRID_A, "demands.reopened", 40.0)]

    with sources.override(**{**ALL_FAKE, "directory": changed}):
        fresh = _run(world)
        after = client.get("/index/2026H1/town/").content
    assert fresh.snapshot != published.snapshot
    assert _page(after) == _page(before)
    assert client.get("/index/2026H1/town/results.csv").content == csv_before


def test_a_correction_is_a_new_version_with_a_note(
    world: Any, published: Publication, client: Client
) -> None:
    run = _run(world)
    with pytest.raises(ServiceError) as error:
        services.publish(actor=world.users["supervisor"], run_id=run.pk)
    assert "note" in error.value.field_errors
    second = services.publish(actor=world.users["supervisor"], run_id=run.pk, note="补录两件诉求")
    assert second.version == 2
    assert "补录两件诉求" in client.get("/index/2026H1/town/").content.decode()
    assert client.get("/index/2026H1/town/?version=1").status_code == 200


def test_the_public_ranking_page_shows_scores_intervals_and_charts(
    published: Publication, client: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        response = client.get("/index/2026H1/town/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "古林镇" in page and "高桥镇" in page and page.count("<svg") >= 5
    assert "数据源未建成" in page
    # the business-environment index has its chart beside the table
    chart = page[page.index('id="ix-chart-be"') :]
    assert chart.index('aria-label="营商环境各维度得分与 95% 置信区间"') < chart.index("</svg>")


def test_a_period_without_survey_answers_says_so_instead_of_a_chart(
    world: Any, client: Client
) -> None:
    with sources.override(**{**ALL_FAKE, "consultation": lambda *, start, end: []}):
        _run(world)
        services.publish(actor=world.users["supervisor"], run_id=ComputeRun.objects.get().pk)
    page = client.get("/index/2026H1/town/").content.decode()
    assert 'id="ix-be-none"' in page and 'id="ix-chart-be"' not in page
    # and no table of empty rows, one per town, each saying its sample is too small
    assert 'id="ix-be"' not in page


def test_a_town_below_the_survey_minimum_reads_sample_too_small_in_english(
    world: Any, client: Client
) -> None:
    def few_in_b(*, start: date, end: date) -> list[tuple[str, str, float]]:
        rows = fake_survey(start=start, end=end)
        kept_b = [r for r in rows if r[0] == TOWN_B][::4]  # 10 answers a tag, minimum 30
        return [r for r in rows if r[0] != TOWN_B] + kept_b

    with sources.override(**{**ALL_FAKE, "consultation": few_in_b}):
        _run(world)
        services.publish(actor=world.users["supervisor"], run_id=ComputeRun.objects.get().pk)
    page = client.get("/index/2026H1/town/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = page[page.index('id="ix-be"') :]
    assert "Sample too small" in table and "Too few demands" not in table
    assert "样本不足" in client.get("/index/2026H1/town/").content.decode()


def test_the_region_page_shows_indicators_against_goalposts(
    published: Publication, client: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        response = client.get("/index/2026H1/town/regions/330203101/")
    page = response.content.decode()
    assert response.status_code == 200 and "走访覆盖率" in page and "<svg" in page
    assert "数据源未建成" in page
    assert client.get("/index/2026H1/town/regions/999/").status_code == 404


def test_the_region_chart_speaks_the_readers_language_whoever_came_first(
    published: Publication, client: Client
) -> None:
    url = "/index/2026H1/town/regions/330203101/"

    def chart(page: str) -> str:
        start = page.index("<svg")
        return page[start : page.index("</svg>", start) + len("</svg>")]

    chinese = chart(client.get(url).content.decode())
    english = chart(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    # the labels are drawn as outlines: compare with the chart drawn from the English names
    cells = [c for c in published.snapshot["cells"] if c["region"] == "330203101"]
    meta = {i["code"]: i for i in published.snapshot["indicators"]}
    with translation.override("en"):
        rows = [
            (meta[c["indicator"]]["name_en"], c["normalised"])
            for c in cells
            if c["status"] != "unavailable" and not meta[c["indicator"]]["context"]
        ]
        title = gettext("各指标距目标值（0–100，100 为前沿）")
        assert english == str(charts.goalpost_chart(rows, title=title))
    assert 'aria-label="Indicators against the goalposts' in english
    assert chinese != english and 'aria-label="各指标距目标值' in chinese


def test_the_region_page_shows_each_indicators_change_from_the_period_before(
    world: Any, client: Client
) -> None:
    def fewer_visits(*, start: date, end: date) -> list[Any]:
        rows = fake_facts(start=start, end=end)
        return [
            (path, fact, value / 2 if fact == "outreach.firms_visited" else value)
            for path, fact, value in rows
        ]

    supervisor = world.users["supervisor"]
    with sources.override(**{**ALL_FAKE, "directory": fewer_visits}):
        earlier = services.publish(actor=supervisor, run_id=_run(world, period="2025H2").pk)
    with sources.override(**ALL_FAKE):
        later = services.publish(actor=supervisor, run_id=_run(world).pk)

    def visits(pub: Publication) -> float:
        cell = next(
            c
            for c in pub.snapshot["cells"]
            if c["region"] == "330203101" and c["indicator"] == "visit_coverage"
        )
        return float(cell["normalised"])

    change = round(visits(later) - visits(earlier), 1)
    assert change > 0
    page = client.get("/index/2026H1/town/regions/330203101/").content.decode()
    table = page[page.index('id="ix-indicators"') :]
    row = table[table.rfind("<tr>", 0, table.index("走访覆盖率")) :]
    row = row[: row.index("</tr>")]
    assert f'class="ix-up">+{change:.1f}</span>' in row
    # the first period has nothing to compare with
    first = client.get("/index/2025H2/town/regions/330203101/").content.decode()
    assert 'class="ix-up"' not in first[first.index('id="ix-indicators"') :]


def test_downloads_carry_every_published_number(published: Publication, client: Client) -> None:
    csv = client.get("/index/2026H1/town/indicators.csv")
    assert csv.status_code == 200 and "visit_coverage" in csv.content.decode("utf-8-sig")
    xlsx = client.get("/index/2026H1/town/index.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    report = client.get("/index/2026H1/town/report/")
    assert report.status_code == 200 and "@media print" in report.content.decode()


def test_a_download_is_made_once_per_language_and_served_the_same(
    published: Publication, client: Client
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    url = "/index/2026H1/town/index.xlsx"
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content == chinese
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content
    assert load_workbook(BytesIO(chinese)).sheetnames[:3] == ["说明", "结果", "指标"]
    assert load_workbook(BytesIO(english)).sheetnames[0] == "Notes"
    # the charts too are kept per language: a Chinese reader first, then an English one
    assert "得分与名次区间" in client.get("/index/2026H1/town/").content.decode()
    page = client.get("/index/2026H1/town/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'aria-label="Scores and rank intervals (5%–95%)"' in page


def test_the_methodology_page_and_the_empty_index_render(db: Any, client: Client) -> None:
    assert "走访覆盖率" in client.get("/index/methodology/").content.decode()
    assert client.get("/index/").status_code == 200
    assert client.get("/index/2026H1/town/").status_code == 404


def _prose(data: Any, key: str = "") -> list[tuple[str, str]]:
    """Every (Chinese, English) pair of prose in the methodology YAML: ``x`` and ``x_en``."""
    pairs: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, str) and f"{k}_en" in data and len(v) > 8:
                pairs.append((" ".join(v.split()), " ".join(str(data[f"{k}_en"]).split())))
            else:
                pairs += _prose(v, k)
    elif isinstance(data, list):
        for v in data:
            pairs += _prose(v, key)
    return pairs


def test_the_methodology_page_speaks_the_readers_language(db: Any, client: Client) -> None:
    from html import unescape

    from qinqing.index.method import load

    shown = {k: v for k, v in load().settings.items() if k != "weight_sets"}
    rules = _prose(shown)
    assert len(rules) >= 9  # coverage, small samples, imputation, no events, outliers, ...
    chinese = unescape(
        client.get("/index/methodology/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    for zh, en in rules:
        assert zh in chinese
        assert en[:40] not in chinese
    assert "A unit (district or town) with fewer than 65 %" not in chinese
    english = unescape(
        client.get("/index/methodology/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    for zh, en in rules:
        assert en in english and zh not in english
    assert "Visit coverage" in english and "Visit coverage" not in chinese


def test_the_staff_page_is_for_staff_only(world: Any, client: Client, fake_sources: None) -> None:
    client.force_login(world.users["enterprise"])
    assert client.get("/index/staff/").status_code == 403
    client.force_login(world.users["supervisor"])
    assert client.get("/index/staff/").status_code == 200
    with _capture(execute=True):
        response = client.post(
            "/index/staff/", {"period": "2026H1", "level": "district", "draws": "20"}
        )
    assert response.status_code == 302
    run = ComputeRun.objects.get()
    assert client.get(f"/index/staff/runs/{run.pk}/").status_code == 200
    response = client.post("/index/staff/", {"period": "abc", "level": "district"})
    assert "2026H1" in response.content.decode() and ComputeRun.objects.count() == 1
    client.post(f"/index/staff/runs/{run.pk}/", {"note": ""})
    assert Publication.objects.get().level == "district"
    client.force_login(world.users["steward"])
    assert client.get(f"/index/staff/runs/{run.pk}/").status_code == 404


def test_the_api_gives_periods_results_and_region_detail(
    published: Publication, client: Client
) -> None:
    periods = client.get("/api/v1/index/periods").json()
    assert periods[0]["period"] == "2026H1" and periods[0]["version"] == 1
    results = client.get("/api/v1/index/results/2026H1/town").json()
    assert {r["code"] for r in results["regions"]} == {"330203101", "330203102"}
    detail = client.get("/api/v1/index/results/2026H1/town/regions/330203101").json()
    assert any(c["status"] == "unavailable" for c in detail["indicators"])
    assert client.get("/api/v1/index/results/2020H1/town").status_code == 404


def test_the_api_computes_and_publishes_for_staff_only(
    world: Any, client: Client, fake_sources: None
) -> None:
    client.force_login(world.users["steward"])
    assert (
        client.post(
            "/api/v1/index/runs",
            {"period": "2026H1", "level": "town"},
            content_type="application/json",
        ).status_code
        == 403
    )
    client.force_login(world.users["supervisor"])
    with _capture(execute=True):
        created = client.post(
            "/api/v1/index/runs",
            {"period": "2026H1", "level": "town", "draws": 10},
            content_type="application/json",
        )
    assert created.status_code == 201 and created.json()["status"] == "queued"
    run_id = created.json()["id"]
    assert client.get(f"/api/v1/index/runs/{run_id}").json()["status"] == "done"
    published = client.post(
        f"/api/v1/index/runs/{run_id}/publish", {}, content_type="application/json"
    )
    assert published.status_code == 201 and published.json()["version"] == 1
    client.force_login(world.users["steward"])
    assert client.get(f"/api/v1/index/runs/{run_id}").status_code == 404
