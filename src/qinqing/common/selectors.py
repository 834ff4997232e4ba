"""Reads of the common app: the administrators' working-day calendar settings."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.db.models.functions import ExtractYear

from .models import CalendarDay


def calendar_days_of_year(*, year: int) -> QuerySet[CalendarDay]:
    """The administrators' settings of ``year``, by date, with who set them."""
    return CalendarDay.objects.filter(
        date__gte=date(year, 1, 1), date__lte=date(year, 12, 31)
    ).select_related("created_by")


def calendar_years_with_settings() -> list[int]:
    """Every year that has at least one administrator's setting, ascending."""
    years = (
        CalendarDay.objects.annotate(year=ExtractYear("date"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("year")
    )
    return list(years)
