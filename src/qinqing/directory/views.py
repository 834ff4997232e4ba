from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from qinqing.common.pagination import paginate

from . import selectors
from .models import Enterprise, IndustrySection, Region
from .permissions import can_edit_enterprise, is_staff_reader
from .services import enterprise_record_view


def _partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not htmx restoring a page from its history)."""
    htmx = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.history_restore_request


def list_filters(request: HttpRequest) -> dict:
    region = None
    region_id = request.GET.get("region", "")
    if region_id.isdigit():
        region = Region.objects.filter(pk=int(region_id)).first()
    industry = request.GET.get("industry", "")
    if industry not in IndustrySection.values:
        industry = ""
    size = request.GET.get("size", "")
    if size not in ("above", "below"):
        size = ""
    return {
        "query": request.GET.get("q", "")[:100],
        "region": region,
        "industry": industry,
        "size": size,
    }


@login_required
@require_GET
def enterprise_list(request: HttpRequest) -> HttpResponse:
    filters = list_filters(request)
    qs = selectors.enterprise_list(user=request.user, **filters)
    page = paginate(qs, request.GET.get("page"))
    template = (
        "directory/_enterprise_rows.html" if _partial(request) else "directory/enterprise_list.html"
    )
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "industries": IndustrySection.choices,
            "regions": selectors.regions_all().filter(level__lte=3),
            "can_export": is_staff_reader(request.user),
        },
    )


@login_required
@require_GET
def enterprise_detail(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    try:
        enterprise = selectors.enterprise_detail(user=request.user, enterprise_id=enterprise_id)
    except Enterprise.DoesNotExist:
        raise Http404 from None
    enterprise_record_view(actor=request.user, enterprise=enterprise)
    return render(
        request,
        "directory/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "ancestors": selectors.region_ancestors(enterprise.grid),
            "people": selectors.enterprise_people(enterprise),
            "can_edit": can_edit_enterprise(request.user, enterprise),
        },
    )


@login_required
@require_GET
def region_tree(request: HttpRequest) -> HttpResponse:
    parent = None
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit():
        parent = get_object_or_404(Region, pk=int(parent_id))
    children = selectors.region_children(parent)
    context = {
        "parent": parent,
        "children": children,
        "ancestors": selectors.region_ancestors(parent) if parent else [],
        "stats": selectors.region_stats(parent) if parent else None,
    }
    if _partial(request):
        return render(request, "directory/_region_children.html", context)
    return render(request, "directory/region_tree.html", context)


@login_required
@require_GET
def home_list(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/home_list.html", {"homes": selectors.homes_all()})


def require_staff(request: HttpRequest) -> None:
    if not is_staff_reader(request.user):
        raise PermissionDenied
