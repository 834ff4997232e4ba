"""Request id and request metrics: the first two middleware of every request.

``RequestIdMiddleware`` takes the proxy's ``X-Request-ID`` when it is a plain short token
(``[A-Za-z0-9._-]{1,64}``), else makes a new one; it holds the id for the log lines of the
request (``qinqing.common.logs``), hands the same id to the audit context (the audit
middleware reads the header) and answers with it in ``X-Request-ID``.

``RequestMetricsMiddleware`` counts and times each request by view name and writes one line
to the ``qinqing.request`` logger: method, view name, status, duration and request id. Never
the client address, the path or query string, a body, a header value, a password, a token or
a receipt code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from .logs import bind_request_id, is_valid_request_id, new_request_id, reset_request_id
from .metrics import method_label, observe_request, view_label

access_log = logging.getLogger("qinqing.request")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_META = "HTTP_X_REQUEST_ID"

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class RequestIdMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        given = request.META.get(_REQUEST_ID_META, "")
        request_id = given if is_valid_request_id(given) else new_request_id()
        # what runs later (the audit context) reads the header: let it read the checked id
        request.META[_REQUEST_ID_META] = request_id
        request.__dict__.pop("headers", None)  # request.headers is cached from META
        token = bind_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestMetricsMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        view, method = view_label(request), method_label(request.method)
        observe_request(view=view, method=method, status=response.status_code, seconds=seconds)
        millis = round(seconds * 1000, 1)
        access_log.info(
            "%s %s %s %.1fms",
            method,
            view,
            response.status_code,
            millis,
            extra={
                "method": method,
                "view": view,
                "status": response.status_code,
                "duration_ms": millis,
            },
        )
        return response
