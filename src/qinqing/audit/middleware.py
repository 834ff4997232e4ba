from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from qinqing.common.logs import is_valid_request_id

from .context import RequestContext, current


def client_ip(request: HttpRequest) -> str:
    return (request.META.get("REMOTE_ADDR", "") or "")[:64]


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # RequestIdMiddleware has already checked the header; check again in case it is absent
        given = request.headers.get("X-Request-Id") or ""
        request_id = given if is_valid_request_id(given) else uuid.uuid4().hex
        token = current.set(RequestContext(client_ip=client_ip(request), request_id=request_id))
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        response["X-Request-Id"] = request_id
        return response
