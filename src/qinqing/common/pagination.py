"""Pagination shared by web lists and the API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator


def paginate(queryset: Any, page: Any, per_page: int | None = None) -> Page:
    paginator = Paginator(queryset, per_page or settings.DIRECTORY_PAGE_SIZE)
    return paginator.get_page(page)


def page_fields(current: Page) -> dict[str, int]:
    """The paging fields of every API list response: total count, this page, page count."""
    return {
        "count": current.paginator.count,
        "page": current.number,
        "pages": current.paginator.num_pages,
    }


def page_fields_next(current: Page, request: Any) -> dict[str, Any]:
    """``page_fields`` and ``next``: the URL of the following page (the same query with the
    page number advanced), or None on the last page."""
    following = None
    if current.has_next():
        query = request.GET.copy()
        query["page"] = str(current.next_page_number())
        following = f"{request.path}?{query.urlencode()}"
    return {**page_fields(current), "next": following}
