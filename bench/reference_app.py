"""The bare Django reference for the demand benchmarks: settings, URLs, views and WSGI in one.

Run by bench/http_bench.py as ``gunicorn --chdir bench reference_app:application`` with
DATABASE_URL pointing at the bench database. It shares nothing with the project's code: no
project app, no middleware, no authentication, no audit -- only Django, its ORM and the
same PostgreSQL table, with persistent connections (CONN_MAX_AGE 600) like the project.

  GET  /ref/json            a JSON constant (no database): the machine's ceiling
  GET  /ref/read/<pk>       one demands_demand row by primary key with the ORM, as JSON
  POST /ref/insert          one new demands_demand row with the ORM (a withdrawn case of
                            firm 1 without department, so no inbox sees it), as JSON

The model mirrors demands_demand's columns (unmanaged): the read and the insert touch the
same table, row width and indexes as the project's detail and submit endpoints.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import dj_database_url

# --- settings (this module is DJANGO_SETTINGS_MODULE) --------------------------------------
DEBUG = False
SECRET_KEY = "bench-reference-only"
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "reference_app"
INSTALLED_APPS = ["reference_app"]
MIDDLEWARE: list[str] = []
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qinqing_bench"),
        conn_max_age=600,
    )
}
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING_CONFIG = None

_model: Any = None


def model() -> Any:
    """The unmanaged mirror of demands_demand, defined once the app registry is ready."""
    global _model
    if _model is None:
        from django.db import models

        class RefDemand(models.Model):
            number = models.CharField(max_length=20)
            enterprise_id = models.BigIntegerField()
            region_path = models.CharField(max_length=512)
            category_id = models.BigIntegerField()
            title = models.CharField(max_length=120)
            description = models.TextField()
            channel = models.CharField(max_length=16)
            submitted_by_id = models.BigIntegerField(null=True)
            state = models.CharField(max_length=16)
            department_id = models.BigIntegerField(null=True)
            version = models.IntegerField(default=1)
            supervised = models.BooleanField(default=False)
            reopen_count = models.SmallIntegerField(default=0)
            merged_into_id = models.BigIntegerField(null=True)
            submitted_at = models.DateTimeField()
            accept_due_at = models.DateTimeField(null=True)
            response_due_at = models.DateTimeField(null=True)
            resolve_due_at = models.DateTimeField(null=True)
            dispatched_at = models.DateTimeField(null=True)
            accepted_at = models.DateTimeField(null=True)
            first_response_at = models.DateTimeField(null=True)
            replied_at = models.DateTimeField(null=True)
            closed_at = models.DateTimeField(null=True)
            paused_at = models.DateTimeField(null=True)
            reminded_at = models.DateTimeField(null=True)
            escalated_at = models.DateTimeField(null=True)
            reply = models.TextField(default="")
            satisfaction = models.CharField(max_length=16, default="")
            rating = models.SmallIntegerField(null=True)
            rating_comment = models.TextField(default="")
            not_rated = models.BooleanField(default=False)
            created_at = models.DateTimeField(auto_now_add=True)
            updated_at = models.DateTimeField(auto_now=True)

            class Meta:
                app_label = "reference_app"
                db_table = "demands_demand"
                managed = False

            def __str__(self) -> str:
                return str(self.number)

        _model = RefDemand
    return _model


def _row(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "number": d.number,
        "title": d.title,
        "state": d.state,
        "enterprise_id": d.enterprise_id,
        "department_id": d.department_id,
        "submitted_at": d.submitted_at.isoformat(),
        "resolve_due_at": d.resolve_due_at.isoformat() if d.resolve_due_at else None,
        "description": d.description,
    }


# --- views ----------------------------------------------------------------------------------
def json_view(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"ok": True})


def read_view(request: Any, pk: int) -> Any:
    from django.http import Http404, JsonResponse

    try:
        return JsonResponse(_row(model().objects.get(pk=pk)))
    except model().DoesNotExist:
        raise Http404 from None


def insert_view(request: Any) -> Any:
    from django.http import HttpResponseNotAllowed, JsonResponse
    from django.utils import timezone

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    now = timezone.now()
    d = model().objects.create(
        number="RF-" + uuid.uuid4().hex[:16],
        enterprise_id=1,
        region_path="/bench/",
        category_id=1,
        title="基准参照",
        description="参照插入：一行，不经服务层。",
        channel="api",
        state="withdrawn",
        submitted_at=now,
        closed_at=now,
    )
    return JsonResponse(_row(d), status=201)


def _urls() -> list[Any]:
    from django.urls import path

    return [
        path("ref/json", json_view),
        path("ref/read/<int:pk>", read_view),
        path("ref/insert", insert_view),
    ]


def __getattr__(name: str) -> Any:
    # urlpatterns is built on first use, after settings are configured
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)


# --- WSGI -----------------------------------------------------------------------------------
_app: Any = None


def application(environ: dict[str, Any], start_response: Any) -> Any:
    global _app
    if _app is None:
        os.environ["DJANGO_SETTINGS_MODULE"] = "reference_app"
        from django.core.wsgi import get_wsgi_application

        _app = get_wsgi_application()
        model()
    return _app(environ, start_response)
