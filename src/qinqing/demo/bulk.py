"""Inserting tens of thousands of demo rows without a model instance per row.

``bulk_create`` builds a model instance per row and compiles every value through the ORM
(``pre_save``, ``get_db_prep_save``, a multi-row ``VALUES`` list of at most 999 parameters on
SQLite): for the extensions' largest tables (survey answers, emergency status reports,
notice receipts) that is most of the load's time. ``insert`` takes plain tuples instead,
adapts each column with the field's own ``get_db_prep_save`` (so the database holds exactly
what ``bulk_create`` would write: datetimes in UTC, UUIDs, JSON, decimals; plain integers,
strings and booleans are passed as they are) and runs one parametrised ``INSERT`` with
``executemany`` (SQLite's loop in C; psycopg's pipeline on PostgreSQL), as
``outreach_history._stamp`` does for its ``UPDATE``.

The columns not named get what ``bulk_create`` would give them: an ``auto_now`` or
``auto_now_add`` field the present (one moment for the call), another field its default.
No ids come back, so use it for rows nothing else in the load refers to by an
auto-incremented id, or whose ids are set beforehand (UUIDs).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence, Sized
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connections, models, router
from django.utils import timezone
from tqdm import tqdm

BATCH = 5000

# fields whose ``get_db_prep_save`` leaves a value of the right Python type unchanged
_PLAIN = (
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.FloatField,
)
_PLAIN_TYPES = (int, str, bool, float, type(None))


def _adapter(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    """How to turn a Python value into the driver's parameter, as ``bulk_create`` would."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    prep = field.get_db_prep_save
    if isinstance(target, _PLAIN):
        # an int, str, bool, float or None is stored as it is; anything else (a choices
        # enum member, a Decimal) goes through the field, as the drivers may adapt it
        # differently (psycopg writes an Enum's name)
        def plain(value: Any) -> Any:
            return value if type(value) in _PLAIN_TYPES else prep(value, connection)

        return plain
    return lambda value: prep(value, connection)


def _filler(field: models.Field[Any, Any], now: datetime) -> Any:
    """The value ``bulk_create`` gives a field the rows leave out."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.has_default() and callable(field.default) and field.default not in (list, dict):
        raise ValueError(f"{field}: give a value (its default differs row by row)")
    return field.get_default()


def insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch_size: int = BATCH,
    desc: str = "",
    progress: bool = False,
) -> int:
    """INSERT ``rows`` (tuples of values in the order of ``columns``, field names or
    attnames such as ``enterprise_id``) into ``model``'s table; return how many. With
    ``progress``, a bar on stderr (as the loader's) for more than one batch."""
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    fields: list[models.Field[Any, Any]] = []
    for name in columns:
        field = opts.get_field(name)
        assert isinstance(field, models.Field) and field.concrete, name
        fields.append(field)
    named = {f.attname for f in fields}
    now = timezone.now()
    left_out = [
        f
        for f in opts.concrete_fields
        if f.attname not in named and not (f.primary_key and isinstance(f, models.AutoField))
    ]
    constants = tuple(f.get_db_prep_save(_filler(f, now), connection) for f in left_out)
    qn = connection.ops.quote_name
    names = ", ".join(qn(str(f.column)) for f in [*fields, *left_out])
    marks = ", ".join(["%s"] * (len(fields) + len(left_out)))
    sql = f"INSERT INTO {qn(opts.db_table)} ({names}) VALUES ({marks})"
    adapters = [_adapter(f, connection) for f in fields]
    written = 0
    iterator = iter(rows)
    total = len(rows) if isinstance(rows, Sized) else None
    with (
        connection.cursor() as cursor,
        tqdm(
            total=total,
            desc=desc,
            unit="行",
            file=sys.stderr,
            disable=None if progress and (total or 0) > batch_size else True,
            leave=False,
        ) as bar,
    ):
        while chunk := list(islice(iterator, batch_size)):
            params = [
                (*[adapt(v) for adapt, v in zip(adapters, row, strict=True)], *constants)
                for row in chunk
            ]
            cursor.executemany(sql, params)
            written += len(params)
            bar.update(len(params))
    return written
