from __future__ import annotations

from ninja import Schema


class Error(Schema):
    detail: str
    code: str = "error"
    field_errors: dict[str, list[str]] = {}
