"""Typed errors raised by services; views and the API turn them into messages."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be carried out; ``message`` is shown to the user."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class Conflict(ServiceError):
    code = "conflict"
    status = 409


class NotPermitted(ServiceError):
    code = "forbidden"
    status = 403
