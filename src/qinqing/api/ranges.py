"""Ranges every API input keeps, whatever its schema: dates and whole numbers
(``qinqing.common.ranges``: 2000-01-01..2100-12-31, signed 64-bit).

``install(api)`` wraps every parameter model of every operation (path, query, body, form) so
that, after the schema has validated a request, any date, datetime or integer outside these
ranges (at any depth) is refused with the schema's own 422, keyed by the field's path.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from ninja import NinjaAPI, Router
from pydantic import BaseModel
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from qinqing.common.ranges import (
    date_in_range,
    date_range_message,
    decimal_in_range,
    int_in_range,
    int_range_message,
)

Loc = tuple[str | int, ...]


def out_of_range(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str, Any]]:
    """``(path, message, value)`` for every date or integer in ``value`` out of range."""
    if isinstance(value, bool):
        return
    if isinstance(value, date):
        if not date_in_range(value):
            yield loc, date_range_message(), value
    elif isinstance(value, int):
        if not int_in_range(value):
            yield loc, int_range_message(), value
    elif isinstance(value, Decimal):
        if not decimal_in_range(value):
            yield loc, int_range_message(), value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from out_of_range(getattr(value, name, None), (*loc, name))
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from out_of_range(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from out_of_range(item, (*loc, str(key)))


def _checked(model: type[Any]) -> None:
    if model.__dict__.get("_qinqing_ranges_checked"):
        return
    original = model.resolve

    def resolve(cls: type[Any], request: Any, api: Any, path_params: Any) -> Any:
        instance = original(request, api, path_params)
        errors = list(out_of_range(instance))
        if errors:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("out_of_range", message),
                        loc=loc,
                        input=str(value),
                    )
                    for loc, message, value in errors
                ],
            )
        return instance

    model.resolve = classmethod(resolve)
    model._qinqing_ranges_checked = True


def _routers(router: Router) -> Iterator[Router]:
    yield router
    for _prefix, child in getattr(router, "_routers", []):
        yield from _routers(child)


def install(api: NinjaAPI) -> None:
    """Check the ranges on every operation registered so far."""
    for _prefix, top in api._routers:
        for router in _routers(top):
            for view in router.path_operations.values():
                for operation in view.operations:
                    for model in operation.models:
                        _checked(model)
