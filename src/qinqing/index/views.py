"""Pages of the index: the public ranking, a region, the methodology, downloads, the printable
report; the staff page that computes, previews and publishes.

The public pages read only publications (frozen snapshots): nothing they show changes when
the platform's data changes after publishing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qinqing.common.controlchars import posted_text
from qinqing.common.errors import ServiceError
from qinqing.common.pagination import paginate
from qinqing.common.spreadsheet import XLSX, SafeWorkbook

from . import charts, compute, selectors, services
from .method import load, localised
from .models import Level, Publication
from .permissions import can_preview, can_publish


def period_label(period: str, partial: bool = False) -> str:
    year, half = period[:4], period[-1]
    text = (
        _("%(year)s年上半年") % {"year": year}
        if half == "1"
        else _("%(year)s年下半年") % {"year": year}
    )
    return text + (_("（期间未结束）") if partial else "")


def level_label(level: str) -> str:
    return str(dict(Level.choices).get(level, level))


def _previous(pub: Publication) -> Publication | None:
    """The latest version of the period before, at the same level (for the changes)."""
    return selectors.publication(compute.HalfYear.parse(pub.period).previous().key, pub.level)


def _regions_with_change(pub: Publication, previous: Publication | None) -> list[dict[str, Any]]:
    snap = pub.snapshot
    before = {r["code"]: r for r in previous.snapshot["regions"]} if previous else {}
    rows = []
    for r in snap["regions"]:
        row = dict(r)
        old = before.get(r["code"])
        row["change"] = (
            round(r["score"] - old["score"], 1)
            if old and r["score"] is not None and old["score"] is not None
            else None
        )
        row["rank_change"] = (
            (old["rank"] - r["rank"]) if old and old["rank"] and r["rank"] else None
        )
        rows.append(row)
    return sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["code"]))


def _scored_indicators(snap: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        i
        for i in snap["indicators"]
        if i["status"] == "ok" and not i["context"] and i["weight"] > 0
    ]


def _trend(pub: Publication) -> dict[str, list[tuple[str, float | None]]]:
    series: dict[str, list[tuple[str, float | None]]] = {}
    pubs = selectors.latest_publications(pub.level, until=pub.period, limit=4)
    top = {
        r["code"]
        for r in pub.snapshot["regions"]
        if r["rank"] is not None and (pub.level == "district" or r["rank"] <= 10)
    }
    for p in pubs:
        for r in p.snapshot["regions"]:
            if r["code"] in top:
                series.setdefault(r["name"], []).append((p.period, r["score"]))
    return series


def _get_publication(period: str, level: str, request: HttpRequest) -> Publication:
    version = request.GET.get("version", "")
    pub = selectors.publication(period, level, int(version) if version.isdigit() else None)
    if pub is None:
        raise Http404(_("该期间尚未发布。"))
    return pub


def _context(pub: Publication) -> dict[str, Any]:
    snap = pub.snapshot
    previous = _previous(pub)
    return {
        "pub": pub,
        "previous": previous,
        "snap": snap,
        "period_label": period_label(pub.period, pub.partial),
        "level_label": level_label(pub.level),
        "regions": _regions_with_change(pub, previous),
        "indicators": snap["indicators"],
        "unavailable_sources": [s["name"] for s in snap["sources"].values() if not s["available"]],
        "versions": selectors.versions_of(pub.period, pub.level),
        "periods": selectors.published_periods(),
    }


def _charts(pub: Publication, regions: list[dict[str, Any]]) -> dict[str, Any]:
    snap = pub.snapshot
    scored = _scored_indicators(snap)
    values = {(c["region"], c["indicator"]): c["normalised"] for c in snap["cells"]}
    base = _cache_key(pub)
    return {
        "ranking_chart": charts.cached(
            f"{base}:ranking",
            lambda: charts.ranking_chart(
                regions, title=_("得分与名次区间（5%–95%）"), score=_("得分"), rank=_("名次")
            ),
        ),
        "heatmap": charts.cached(
            f"{base}:heatmap",
            lambda: charts.heatmap(regions, scored, values, title=_("指标标准化得分（0–100）")),
        ),
        "trend_chart": charts.cached(
            f"{base}:trend", lambda: charts.trend_chart(_trend(pub), title=_("各期得分走势"))
        ),
        "scatter": charts.cached(
            f"{base}:scatter",
            lambda: charts.scatter(
                regions, title=_("亲与清"), qin=_("亲（得分）"), qing=_("清（得分）")
            ),
        ),
    }


def _business_environment(pub: Publication) -> dict[str, Any]:
    """The business-environment figures of the period and their chart (when anyone answered)."""
    be = pub.snapshot.get("business_environment") or {}
    answered = [r for r in be.get("regions", []) if any(d["n"] for d in r["dimensions"].values())]
    chart = None
    if be.get("available") and answered:
        dimensions = [(d.code, d.name) for d in load(pub.method).be_dimensions]
        chart = charts.cached(
            f"index:{pub.pk}:business-environment",
            lambda: charts.business_environment_chart(
                be["regions"],
                dimensions,
                title=_("营商环境各维度得分与 95% 置信区间"),
                total=_("总分"),
            ),
        )
    return {"be": be, "be_answered": bool(answered), "be_chart": chart}


@require_GET
def ranking(request: HttpRequest, period: str = "", level: str = "") -> HttpResponse:
    """公开：亲清健康指数排名。"""
    level = level or request.GET.get("level", "district")
    if level not in Level.values:
        raise Http404
    if not period:
        periods = selectors.published_periods(level)
        if not periods:
            return render(request, "index/empty.html", {"can_preview": can_preview(request.user)})
        period = periods[0]["period"]
    pub = _get_publication(period, level, request)
    ctx = _context(pub)
    ctx.update(_charts(pub, ctx["regions"]))
    ctx.update(_business_environment(pub))
    ctx["can_preview"] = can_preview(request.user)
    return render(request, "index/ranking.html", ctx)


@require_GET
def region(request: HttpRequest, period: str, level: str, code: str) -> HttpResponse:
    pub = _get_publication(period, level, request)
    ctx = _context(pub)
    row = next((r for r in ctx["regions"] if r["code"] == code), None)
    if row is None:
        raise Http404
    meta = {i["code"]: i for i in pub.snapshot["indicators"]}
    cells = [
        dict(c, meta=meta[c["indicator"]]) for c in pub.snapshot["cells"] if c["region"] == code
    ]
    order = {i["code"]: k for k, i in enumerate(pub.snapshot["indicators"])}
    cells.sort(key=lambda c: order[c["indicator"]])
    # each indicator's normalised score against the region's in the period before
    previous = ctx["previous"]
    before = (
        {c["indicator"]: c for c in previous.snapshot["cells"] if c["region"] == code}
        if previous
        else {}
    )
    for c in cells:
        old = before.get(c["indicator"])
        c["change"] = (
            round(c["normalised"] - old["normalised"], 1)
            if old and c["normalised"] is not None and old.get("normalised") is not None
            else None
        )
    chart_rows = [
        (localised(c["meta"]), c["normalised"])
        for c in cells
        if c["status"] != "unavailable" and not c["meta"]["context"]
    ]
    ctx.update(
        {
            "row": row,
            "cells": cells,
            "goalpost_chart": charts.cached(
                f"index:{pub.pk}:region:{code}",
                lambda: charts.goalpost_chart(
                    chart_rows, title=_("各指标距目标值（0–100，100 为前沿）")
                ),
            ),
            "be_row": next(
                (
                    b
                    for b in (pub.snapshot.get("business_environment") or {}).get("regions", [])
                    if b["code"] == code
                ),
                None,
            ),
            "dimensions": load(pub.method).be_dimensions,
        }
    )
    return render(request, "index/region.html", ctx)


@require_GET
def methodology(request: HttpRequest, version: str = "") -> HttpResponse:
    method = load(version or "2026")
    return render(
        request,
        "index/methodology.html",
        {
            "method": method,
            "settings": method.settings,
            "u": method.uncertainty,
            "sources": method.sources,
        },
    )


def _cache_key(pub: Publication) -> str:
    """What a publication's charts and files are cached under: the publication (it never
    changes; its moment of publishing tells it from a row that once had its id) and the
    language, since titles and labels are translated."""
    return f"index:{pub.pk}:{pub.published_at.timestamp()}:{translation.get_language()}"


DOWNLOADS = {
    "results.csv": "text/csv; charset=utf-8",
    "indicators.csv": "text/csv; charset=utf-8",
    "index.xlsx": XLSX,
}


def download_body(pub: Publication, name: str) -> bytes:
    """The file's bytes. A publication never changes, so each file is made once per
    publication and language (the workbook's labels are translated) and kept in the cache:
    the town workbook takes ~0.3 s to write."""
    key = f"{_cache_key(pub)}:download:{name}"
    body = cache.get(key)
    if body is None:
        snap = pub.snapshot
        if name == "results.csv":
            text = compute.csv_text(compute.RESULT_COLUMNS, compute.result_rows(snap))
            body = text.encode("utf-8-sig")
        elif name == "indicators.csv":
            text = compute.csv_text(compute.INDICATOR_COLUMNS, compute.indicator_rows(snap))
            body = text.encode("utf-8-sig")
        else:
            body = workbook(pub)
        cache.set(key, body, 24 * 3600)
    return bytes(body)


@require_GET
def download(request: HttpRequest, period: str, level: str, name: str) -> HttpResponse:
    if name not in DOWNLOADS:
        raise Http404
    pub = _get_publication(period, level, request)
    stem = f"qinqing-index-{pub.period}-{pub.level}-v{pub.version}"
    filename = f"{stem}.xlsx" if name == "index.xlsx" else f"{stem}-{name}"
    response = HttpResponse(download_body(pub, name), content_type=DOWNLOADS[name])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def workbook(pub: Publication) -> bytes:
    snap = pub.snapshot
    book = SafeWorkbook()  # a name that looks like a formula stays text
    about = book.sheet(_("说明"))
    for label, value in (
        (_("指数"), "亲清健康指数"),
        (_("期间"), period_label(pub.period, pub.partial)),
        (_("层级"), level_label(pub.level)),
        (_("版本"), pub.version),
        (_("更正说明"), pub.note),
        (_("方法版本"), pub.method),
        (_("截至日期"), snap["as_of"]),
        (_("蒙特卡洛次数"), snap["draws"]),
        (_("随机种子"), snap["seed"]),
        (
            _("未建成的数据源"),
            "、".join(s["name"] for s in snap["sources"].values() if not s["available"]),
        ),
    ):
        about.append([label, value])
    for title, columns, rows in (
        (_("结果"), compute.RESULT_COLUMNS, compute.result_rows(snap)),
        (_("指标"), compute.INDICATOR_COLUMNS, compute.indicator_rows(snap)),
    ):
        sheet = book.sheet(title)
        sheet.append(columns)
        for row in rows:
            sheet.append(row)
    be = snap.get("business_environment") or {}
    if be.get("available"):
        sheet = book.sheet(_("营商环境"))
        dims = [d.code for d in load(pub.method).be_dimensions]
        sheet.append(
            [
                "region_code",
                "region_name",
                "total",
                "total_low",
                "total_high",
                "rank",
                *[f"{d}_{k}" for d in dims for k in ("score", "low", "high", "n")],
            ]
        )
        for r in be["regions"]:
            t = r["total"] or {}
            sheet.append(
                [
                    r["code"],
                    r["name"],
                    t.get("score"),
                    t.get("low"),
                    t.get("high"),
                    r.get("rank"),
                    *[r["dimensions"][d][k] for d in dims for k in ("score", "low", "high", "n")],
                ]
            )
    return book.save()


@require_GET
def report(request: HttpRequest, period: str, level: str) -> HttpResponse:
    """The printable report: print-styled HTML with the charts."""
    pub = _get_publication(period, level, request)
    ctx = _context(pub)
    ctx.update(_charts(pub, ctx["regions"]))
    ctx["method"] = load(pub.method)
    return render(request, "index/report.html", ctx)


# --- staff ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest) -> HttpResponse:
    if not can_preview(request.user):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    message = ""
    if request.method == "POST":
        try:
            draws = request.POST.get("draws", "").strip()
            run = services.compute_request(
                actor=request.user,
                period=request.POST.get("period", ""),
                level=request.POST.get("level", ""),
                draws=int(draws) if draws.isdigit() else None,
            )
            return redirect("index:run", run_id=run.pk)
        except ServiceError as error:
            errors, message = error.field_errors, error.message
    page = paginate(selectors.runs_visible_to(request.user), request.GET.get("page"), per_page=20)
    current = compute.HalfYear.containing(timezone.localdate())
    return render(
        request,
        "index/staff.html",
        {
            "page": page,
            "errors": errors,
            "message": message,
            "form": request.POST
            if request.method == "POST"
            else {"period": current.key, "level": "district"},
            "suggested": [current.key, current.previous().key],
            "can_publish": can_publish(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_with_snapshot(request.user, run_id)
    if run is None:
        raise Http404
    errors: dict[str, list[str]] = {}
    message = ""
    if request.method == "POST":
        try:
            pub = services.publish(
                actor=request.user, run_id=run.pk, note=posted_text(request.POST, "note")
            )
            return redirect("index:ranking_period", period=pub.period, level=pub.level)
        except ServiceError as error:
            errors, message = error.field_errors, error.message
    regions = []
    if run.snapshot:
        regions = sorted(
            run.snapshot["regions"], key=lambda r: (r["rank"] is None, r["rank"] or 0, r["code"])
        )
    return render(
        request,
        "index/run.html",
        {
            "run": run,
            "snap": run.snapshot,
            "regions": regions,
            "errors": errors,
            "message": message,
            "note": request.POST.get("note", ""),
            "can_publish": can_publish(request.user),
            "published": selectors.versions_of(run.period, run.level),
            "period_label": period_label(
                run.period, bool(run.snapshot and run.snapshot.get("partial"))
            ),
            "level_label": level_label(run.level),
        },
    )
