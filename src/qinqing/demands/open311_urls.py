"""Open311 GeoReport v2 routes, included at ``/open311/v2/``; see ``open311.py``."""

from __future__ import annotations

from django.urls import re_path

from . import open311

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + FMT, open311.services, name="services"),
    re_path(
        r"^services/(?P<service_code>[-\w]+)" + FMT,
        open311.service_definition,
        name="service-definition",
    ),
    re_path(r"^requests" + FMT, open311.requests, name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[-\w]+)" + FMT,
        open311.request_detail,
        name="request",
    ),
]
