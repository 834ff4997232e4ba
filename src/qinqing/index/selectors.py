"""Reads of the index: published periods (public), runs (staff)."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, QuerySet

from .models import ComputeRun, Publication
from .permissions import can_preview


def runs_visible_to(user: Any) -> QuerySet[ComputeRun]:
    if not can_preview(user):
        return ComputeRun.objects.none()
    return ComputeRun.objects.defer("snapshot").select_related("requested_by")


def run_with_snapshot(user: Any, run_id: int) -> ComputeRun | None:
    if not can_preview(user):
        return None
    return ComputeRun.objects.filter(pk=run_id).first()


def published_periods(level: str | None = None) -> list[dict[str, Any]]:
    """(period, level, latest version, published_at, partial), newest period first."""
    qs = Publication.objects.order_by()
    if level:
        qs = qs.filter(level=level)
    latest = qs.values("period", "level").annotate(version=Max("version"))
    keys = {(r["period"], r["level"], r["version"]) for r in latest}
    rows = (
        Publication.objects.filter(period__in={k[0] for k in keys})
        .values("period", "level", "version", "published_at", "partial", "method", "note")
        .order_by("-period", "level", "-version")
    )
    return [dict(r) for r in rows if (r["period"], r["level"], r["version"]) in keys]


def publication(period: str, level: str, version: int | None = None) -> Publication | None:
    """The latest version (or the given one) of a published period."""
    qs = Publication.objects.filter(period=period, level=level)
    if version is not None:
        qs = qs.filter(version=version)
    return qs.order_by("-version").first()


def versions_of(period: str, level: str) -> list[dict[str, Any]]:
    rows = (
        Publication.objects.filter(period=period, level=level)
        .order_by("-version")
        .values("version", "published_at", "note")
    )
    return [dict(r) for r in rows]


def latest_publications(level: str, *, until: str, limit: int = 4) -> list[Publication]:
    """The latest version of each of the last ``limit`` periods up to ``until`` (for trends)."""
    periods = list(
        Publication.objects.filter(level=level, period__lte=until)
        .order_by("-period")
        .values_list("period", flat=True)
        .distinct()[:limit]
    )
    latest = (
        Publication.objects.filter(level=level, period__in=periods)
        .values("period")
        .annotate(v=Max("version"))
    )
    wanted = {(r["period"], r["v"]) for r in latest}
    pubs = Publication.objects.filter(level=level, period__in=periods).order_by(
        "period", "-version"
    )
    return [p for p in pubs if (p.period, p.version) in wanted]
