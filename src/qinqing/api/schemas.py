from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from ninja import Schema
from pydantic import WithJsonSchema


class Error(Schema):
    detail: str
    code: str = "error"
    field_errors: dict[str, list[str]] = {}


def choices_schema(choices: type[TextChoices], *, nullable: bool = False) -> WithJsonSchema:
    """A field's choices written out in place (``Annotated[State, choices_schema(State)]``).

    Django's choice classes are named for their app (``State``, ``Action``, ``Kind``), and the
    document names a referenced enum by its class name alone: two apps' ``State`` would
    overwrite each other. Written in place, each field documents its own values.
    """
    schema: dict[str, Any] = {"type": "string", "enum": [str(v) for v in choices.values]}
    if nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return WithJsonSchema(schema)
