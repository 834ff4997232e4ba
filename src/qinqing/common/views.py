from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qinqing.accounts.scopes import assignments_of, roles_of


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = {"status": "ok", "vendor": connection.vendor}
        status = 200
    except Exception as exc:
        database = {"status": "error", "vendor": connection.vendor, "error": type(exc).__name__}
        status = 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "error", "database": database}, status=status
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from qinqing.directory.selectors import home_overview

    return render(
        request,
        "common/home.html",
        {
            "assignments": assignments_of(request.user),
            "roles": roles_of(request.user),
            "overview": home_overview(user=request.user),
        },
    )
