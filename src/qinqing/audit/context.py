"""Per-request context (client address, request id) for audit entries."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    client_ip: str = ""
    request_id: str = ""


current: ContextVar[RequestContext] = ContextVar("audit_request", default=RequestContext())  # noqa: B039 - frozen
