"""The /api/v1 API object; each app keeps its own router in ``<app>/api.py``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from qinqing.common.errors import ServiceError

from .auth import auth
from .openapi import complete
from .renderers import LocalTimeJSONRenderer


class QinqingAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return complete(super().get_openapi_schema(**kwargs))


api = QinqingAPI(
    title="亲清 Qinqing API",
    version="1",
    description=(
        "亲清政商关系平台接口。认证：`POST /api/v1/auth/token` 取得令牌后，"
        "在请求头中携带 `Authorization: Bearer <token>`。错误信息随 `Accept-Language` "
        "返回中文或英文。"
    ),
    auth=auth,
    renderer=LocalTimeJSONRenderer(),
    urls_namespace="api",
)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": exc.message, "code": exc.code, "field_errors": exc.field_errors},
        status=exc.status,
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("请先登录或提供有效的令牌。"), "code": "unauthorized"}, status=401
    )


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = ".".join(str(p) for p in error.get("loc", [])[1:]) or "body"
        fields.setdefault(loc, []).append(str(error.get("msg", "")))
    return api.create_response(
        request,
        {"detail": _("输入有误，请检查后重试。"), "code": "invalid", "field_errors": fields},
        status=422,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    messages = {403: _("您没有执行此操作的权限。"), 404: _("未找到或无权查看。")}
    detail = messages.get(exc.status_code, str(exc))
    return api.create_response(
        request, {"detail": detail, "code": str(exc.status_code)}, status=exc.status_code
    )


def _register() -> None:
    from qinqing.accounts.api import router as accounts_router
    from qinqing.common.api import router as calendar_router
    from qinqing.demands.api import router as demands_router
    from qinqing.demands.api_mediation import router as mediation_router
    from qinqing.demands.api_routing import router as routing_router
    from qinqing.directory.api import router as directory_router

    api.add_router("/", accounts_router)
    api.add_router("/", directory_router)
    api.add_router("/demands/routing-rules", routing_router)
    api.add_router("/demands", demands_router)
    api.add_router("/mediation", mediation_router)
    from qinqing.outreach.api_chambers import router as chambers_router
    from qinqing.outreach.api_liaisons import router as liaison_router
    from qinqing.outreach.api_meetings import router as meetings_router
    from qinqing.outreach.api_visits import router as visits_router

    api.add_router("/outreach", visits_router)
    api.add_router("/outreach", meetings_router)
    api.add_router("/outreach", liaison_router)
    api.add_router("/outreach", chambers_router)

    from qinqing.consultation.api import router as surveys_router
    from qinqing.consultation.drafts.api import router as drafts_router
    from qinqing.exemption.api import router as exemption_router
    from qinqing.index.api import router as index_router
    from qinqing.integrity.api import router as integrity_router
    from qinqing.integrity.relations.api import router as relations_router
    from qinqing.integrity.reports.api import router as reports_router
    from qinqing.notices.api import router as notices_router
    from qinqing.notices.emergency.api import router as emergency_router
    from qinqing.notices.matching.api import router as matching_router

    api.add_router("/surveys", surveys_router)
    api.add_router("/drafts", drafts_router)
    api.add_router("/notices", notices_router)
    api.add_router("/matching", matching_router)
    api.add_router("/emergency", emergency_router)
    api.add_router("/integrity", integrity_router)
    api.add_router("/relations", relations_router)
    api.add_router("/reports", reports_router)
    api.add_router("/exemption", exemption_router)
    api.add_router("/index", index_router)
    api.add_router("/calendar", calendar_router)


_register()
