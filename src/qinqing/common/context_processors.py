"""The warning banner shown to staff while a year's holiday schedule is not confirmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from qinqing.accounts.models import ENTERPRISE_ROLES, Role
from qinqing.accounts.scopes import roles_of

from . import workdays
from .models import HolidayNotice

#: the month from which the next year's schedule is expected (notices come out in autumn)
WARN_FROM_MONTH = 11

_CACHE_ATTR = "_qinqing_holiday_banner"


@dataclass(frozen=True)
class HolidayBanner:
    year: int
    #: whether the reader may import the notice (and gets the link to the calendar page)
    admin: bool


def unconfirmed_year(today: date) -> int | None:
    """The first year from ``today``'s year on (the next year too from 1 November) whose
    holiday schedule nobody confirmed and chinese-calendar does not know; at most one query.

    The same test as ``qinqing calendar status``: a confirmed notice, or the package.
    """
    years = [today.year, today.year + 1] if today.month >= WARN_FROM_MONTH else [today.year]
    first_known, last_known = workdays.source_years()
    unknown = [year for year in years if not first_known <= year <= last_known]
    if not unknown:
        return None
    confirmed = set(
        HolidayNotice.objects.filter(
            year__in=unknown, status=HolidayNotice.Status.CONFIRMED
        ).values_list("year", flat=True)
    )
    return next((year for year in unknown if year not in confirmed), None)


def holiday_banner_for(user: Any, *, today: date) -> HolidayBanner | None:
    """The banner ``user`` sees on ``today``: staff only (not firms' users), None otherwise."""
    held = roles_of(user)
    if not held - ENTERPRISE_ROLES:
        return None
    year = unconfirmed_year(today)
    if year is None:
        return None
    return HolidayBanner(year=year, admin=Role.SYSTEM_ADMIN in held)


def _today() -> date:
    return timezone.localtime(timezone.now(), workdays.SHANGHAI).date()


def holiday_banner(request: HttpRequest) -> dict[str, Callable[[], HolidayBanner | None]]:
    """``holiday_banner`` for the base template: worked out when the page shows it, once per
    request (a partial that never shows it costs nothing)."""

    def banner() -> HolidayBanner | None:
        if not hasattr(request, _CACHE_ATTR):
            user = getattr(request, "user", None)
            setattr(request, _CACHE_ATTR, holiday_banner_for(user, today=_today()))
        cached: HolidayBanner | None = getattr(request, _CACHE_ATTR)
        return cached

    return {"holiday_banner": banner}
