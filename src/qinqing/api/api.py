"""The /api/v1 API object; each app keeps its own router in ``<app>/api.py``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext

from qinqing.common.errors import ServiceError

from .auth import auth
from .openapi import complete
from .parser import CheckedParser
from .renderers import LocalTimeJSONRenderer


class QinqingAPI(NinjaAPI):
    """The project's API object: two house rules on top of ninja's.

    - A schema error is keyed by the field's path in the request (``title``,
      ``items.0.note``), as a service's field errors are: ninja would prefix a body's fields
      with the view's parameter name (``body.title``).
    - The document declares what the API itself answers (``openapi.complete``)."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            single = getattr(context.model, "__read_from_single_attr__", None)
            for error in super().validation_error_from_error_contexts([context]).errors:
                loc = tuple(error.get("loc", ()))
                if single and len(loc) > 2 and loc[0] == "body" and loc[1] == single:
                    error["loc"] = (loc[0], *loc[2:])
                errors.append(error)
        return ValidationError(errors)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return complete(schema)


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
    parser=CheckedParser(),
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


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("请求内容过大，请缩减后重试。"), "code": "too_large", "field_errors": {}},
        status=413,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ServiceError):
        # what the parser refused (a malformed body, a control character): ninja wraps it
        return service_error(request, exc.__cause__)
    messages = {403: _("您没有执行此操作的权限。"), 404: _("未找到或无权查看。")}
    detail = messages.get(exc.status_code, str(exc))
    return api.create_response(
        request,
        {"detail": detail, "code": HTTP_CODES.get(exc.status_code, "error")},
        status=exc.status_code,
    )


#: the error body's ``code`` for an HTTP status raised without a service error
HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    422: "invalid",
    429: "too_many",
}


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

    from qinqing.audit.api import router as audit_router
    from qinqing.inbox.api import router as inbox_router

    api.add_router("/audit", audit_router)
    api.add_router("/inbox", inbox_router)

    from . import ranges

    ranges.install(api)  # dates and whole numbers within range, on every endpoint


_register()
