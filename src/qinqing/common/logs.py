"""Logging helpers: the request id of the current request, and what every log line carries.

- ``RequestIdFilter`` adds ``record.request_id`` to every record ("-" outside a request), so a
  log line can be matched with the ``X-Request-ID`` of the response and the audit entries
  written during the same request.
- ``RedactFilter`` masks the values of keys that look secret (password, receipt, token,
  secret, authorization, cookie, …) wherever a caller passes them: ``extra=``, a dict message,
  dict arguments; and ``Bearer …`` credentials in the message text.
- ``JsonFormatter`` (``QINQING_LOG_FORMAT=json``) writes one JSON object per line with
  ``time``, ``level``, ``logger``, ``message`` and ``request_id`` (and any ``extra`` fields);
  ``TextFormatter`` is the plain default.

This module imports nothing of Django's: ``LOGGING`` in the settings names these classes and
they are built before the apps are ready.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

#: a request id accepted from the proxy: short, and nothing that could forge a log line
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_REQUEST = "-"

_request_id: ContextVar[str] = ContextVar("qinqing_request_id", default=NO_REQUEST)


def is_valid_request_id(value: str | None) -> bool:
    return bool(value) and REQUEST_ID_PATTERN.fullmatch(value or "") is not None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request being served, or "-" outside a request."""
    return _request_id.get()


def bind_request_id(value: str) -> Token[str]:
    return _request_id.set(value)


def reset_request_id(token: Token[str]) -> None:
    _request_id.reset(token)


def _ensure_request_id(record: logging.LogRecord) -> None:
    given = getattr(record, "request_id", None)
    if isinstance(given, str) and given:
        return
    request_id = current_request_id()
    if request_id == NO_REQUEST:
        # Django logs "Not Found", "Service Unavailable"… after the middleware have returned,
        # with the request attached: its header holds the id RequestIdMiddleware settled on
        meta = getattr(getattr(record, "request", None), "META", None)
        header = meta.get("HTTP_X_REQUEST_ID") if isinstance(meta, dict) else None
        if isinstance(header, str) and is_valid_request_id(header):
            request_id = header
    record.request_id = request_id


class RequestIdFilter(logging.Filter):
    """Add ``record.request_id`` (the current request's, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        _ensure_request_id(record)
        return True


# --- redaction -------------------------------------------------------------------------------

#: keys whose values are never written to a log
SENSITIVE_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|receipt|authori[sz]ation|cookie|session|"
    r"api[_-]?key|credential|private[_-]?key|signature",
    re.IGNORECASE,
)
MASK = "***"
#: credentials inside text: "Bearer abc…", "password=…", "receipt: …"
_IN_TEXT = re.compile(
    r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+"
    r"|\b(pass(?:word|wd)?|pwd|secret|token|receipt(?:_code)?|api[_-]?key)(\s*[=:]\s*)[^\s&,;]+"
)
#: the attributes of every LogRecord: never treated as ``extra`` fields
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
}
_MAX_DEPTH = 6


def _mask_match(match: re.Match[str]) -> str:
    if match.group(1):
        return f"{match.group(1)}{match.group(2)}{MASK}"
    return f"{match.group(3)}{match.group(4)}{MASK}"


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with the values of sensitive keys masked (dicts, lists, tuples)."""
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {
            k: MASK if SENSITIVE_KEY.search(str(k)) else redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, depth + 1) for v in value]
    if type(value) is tuple:
        return tuple(redact(v, depth + 1) for v in value)
    if isinstance(value, str) and _IN_TEXT.search(value):
        return _IN_TEXT.sub(_mask_match, value)
    return value


class RedactFilter(logging.Filter):
    """Mask secrets a caller passed in ``extra=``, a dict message or dict arguments.

    The caller's objects are never changed: masked values are copies."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in list(record.__dict__):
            if key in _RECORD_ATTRS:
                continue
            if SENSITIVE_KEY.search(key):
                record.__dict__[key] = MASK
            else:
                record.__dict__[key] = redact(record.__dict__[key])
        if isinstance(record.args, dict | tuple):
            record.args = redact(record.args)
        if isinstance(record.msg, dict):
            record.msg = redact(record.msg)
            return True
        try:
            text = record.getMessage()
        except Exception:  # a malformed call: logging reports it when the line is written
            return True
        masked = redact(text)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


# --- formatters ------------------------------------------------------------------------------

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


def _iso_utc(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """``2026-03-02T02:00:00.123+00:00 INFO qinqing.request [<request id>] message``."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt or TEXT_FORMAT, datefmt)

    def format(self, record: logging.LogRecord) -> str:
        _ensure_request_id(record)
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso_utc(record) if datefmt is None else super().formatTime(record, datefmt)


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object a line: time, level, logger, message, request_id, then ``extra`` fields.

    ``record.request`` (which Django's request logger attaches) is left out: its text holds
    the query string."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*(args or (JSON_FIELDS,)), **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        _ensure_request_id(record)
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso_utc(record) if datefmt is None else super().formatTime(record, datefmt)
