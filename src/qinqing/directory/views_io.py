"""Import and export of enterprises and people (Excel and CSV)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .permissions import can_import_directory, is_staff_reader


@login_required
def enterprise_export(request: HttpRequest) -> HttpResponse:
    if not is_staff_reader(request.user):
        raise PermissionDenied
    return HttpResponse(status=501)


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    if not can_import_directory(request.user):
        raise PermissionDenied
    return render(request, "directory/import.html", {})
