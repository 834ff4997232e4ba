"""The ranges every input keeps: dates and whole numbers (documented in docs/api.md).

A date the platform can meaningfully hold lies within ``DATE_MIN``..``DATE_MAX`` (2000-01-01 to
2100-12-31): ``0001-01-01`` or ``9999-12-31`` would only overflow a date computation (a month
later, a day before) into a 500. A whole number fits a signed 64-bit integer, as every id and
count in the database does; a longer one overflows SQLite. A decimal (an amount of yuan) stays
below 10^10, as the money columns (``max_digits=12``) do; PostgreSQL would overflow.

The API checks every parameter with these (``qinqing.api.ranges``); pages that read a date or
a number from the query string use ``parse_date`` and ``parse_int``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
#: a decimal (money is ``max_digits=12, decimal_places=2`` throughout) stays below this
DECIMAL_LIMIT = Decimal(10) ** 10


def date_in_range(value: date) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return DATE_MIN <= day <= DATE_MAX


def int_in_range(value: int) -> bool:
    return INT_MIN <= value <= INT_MAX


def decimal_in_range(value: Decimal) -> bool:
    return value.is_finite() and abs(value) < DECIMAL_LIMIT


def date_range_message() -> str:
    return _("日期须在%(first)s至%(last)s之间。") % {
        "first": DATE_MIN.isoformat(),
        "last": DATE_MAX.isoformat(),
    }


def int_range_message() -> str:
    return _("数值超出允许范围。")


def parse_date(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` date within range, else None."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if date_in_range(day) else None


def parse_int(text: str | None) -> int | None:
    """A whole number within the 64-bit range, else None."""
    value = (text or "").strip()
    if not value.lstrip("-").isdigit() or len(value) > 20:
        return None
    number = int(value)
    return number if int_in_range(number) else None
