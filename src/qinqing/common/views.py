from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qinqing.accounts.scopes import assignments_of, roles_of


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, cache, task queue and file storage: 200 when all answer, else 503.

    No login, no cookie, never cached. Credentials never appear (the probes mask URLs); to
    an anonymous caller a failure is named by its exception class only."""
    from .health import run_all
    from .metrics import metrics_allowed

    # anyone sees these; the masked location, the full reason of a failure and the queue depth
    # only a caller that /metrics lets in (QINQING_METRICS_TOKEN / QINQING_METRICS_ALLOW)
    public_keys = ("status", "backend", "shared", "ms", "vendor")
    trusted = metrics_allowed(request)
    body: dict[str, dict[str, object]] = {}
    for probe in run_all():
        full = probe.as_dict()
        if probe.name == "database":
            full.setdefault("vendor", connection.vendor)
        if trusted:
            body[probe.name] = full
            continue
        shown = {k: full[k] for k in public_keys if k in full}
        if not probe.ok:
            shown["error"] = probe.error.split(":", 1)[0]
        body[probe.name] = shown
    ok = all(part["status"] == "ok" for part in body.values())
    response = JsonResponse({"status": "ok" if ok else "error", **body}, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response


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
