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

import ipaddress
import logging
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from .logs import bind_request_id, is_valid_request_id, new_request_id, reset_request_id
from .metrics import method_label, networks, observe_request, view_label

access_log = logging.getLogger("qinqing.request")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_META = "HTTP_X_REQUEST_ID"

GetResponse = Callable[[HttpRequest], HttpResponseBase]


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def client_address(remote: str, forwarded_for: str, trusted: Iterable[str]) -> str:
    """The client's address behind trusted reverse proxies.

    Only when the direct peer (``REMOTE_ADDR``) is a trusted proxy is ``X-Forwarded-For``
    read, from the right: the first hop that is not itself a trusted proxy is the client. A
    header sent by anyone else is ignored, so a client cannot pick its own address."""
    proxies = networks(tuple(trusted), "QINQING_TRUSTED_PROXIES")
    peer = _address(remote)

    def is_trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip.version == n.version and ip in n for n in proxies)

    if peer is None or not proxies or not is_trusted(peer):
        return remote
    for hop in reversed([h for h in forwarded_for.split(",") if h.strip()]):
        ip = _address(hop)
        if ip is None:
            return remote  # a malformed chain: keep the proxy's address, never guess
        if not is_trusted(ip):
            return str(ip)
    return remote


class ClientAddressMiddleware:
    """Behind nginx every request comes from nginx: with ``QINQING_TRUSTED_PROXIES`` set,
    ``REMOTE_ADDR`` becomes the client's address, so that per-client limits (anonymous
    reports, receipt guessing) count clients, not the proxy. The address is still never
    logged, and the report pages only ever keep a rotating keyed hash of it."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        trusted = getattr(settings, "TRUSTED_PROXIES", ())
        if trusted:
            request.META["REMOTE_ADDR"] = client_address(
                request.META.get("REMOTE_ADDR", ""),
                request.META.get("HTTP_X_FORWARDED_FOR", ""),
                trusted,
            )
        return self.get_response(request)


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


class ControlCharacterQueryMiddleware:
    """A page's query string (``?q=…``) with a control character is answered 400.

    Forms refuse such input with a field error (``qinqing.common.controlchars``) and the API
    with a 422; this covers the filters that pages read from the query string themselves
    (PostgreSQL refuses a NUL in a query and would answer 500). A link never carries one."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        from django.shortcuts import render

        from .controlchars import has_control

        if not request.path.startswith("/api/") and any(
            has_control(key) or has_control(value)
            for key, values in request.GET.lists()
            for value in values
        ):
            return render(request, "400.html", status=400)
        return self.get_response(request)
