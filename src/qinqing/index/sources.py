"""The source registry: where each indicator's facts come from.

A source is a function ``(*, start: date, end: date)`` over the half-open days
``[start, end)`` (Asia/Shanghai) returning rows ``(region path, fact name, value)`` or
``(region path, fact name, value, weight)`` (a weight says how many rows one row stands
for). The methodology names each source's module and function; they are
imported lazily, so a source whose module or function does not exist yet is
**unavailable**: its indicators are shown as "数据源未建成" and left out of the scores,
never filled in. Tests put their own sources in with ``override``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from .method import Methodology

FactRow = tuple[str, str, float] | tuple[str, str, float, float]
SourceFunction = Callable[..., Sequence[Any]]

#: test-only replacements: source code -> function (or None to make it unavailable)
_overrides: dict[str, SourceFunction | None] = {}


def resolve(method: Methodology, code: str) -> SourceFunction | None:
    """The source's function, or None when its module or function is not built."""
    if code in _overrides:
        return _overrides[code]
    source = method.sources[code]
    try:
        module = importlib.import_module(source.module)
    except ModuleNotFoundError as error:
        # only "the module is not there" means unavailable; a broken import is a bug
        if error.name and source.module.startswith(error.name):
            return None
        raise
    function = getattr(module, source.function, None)
    return function if callable(function) else None


def availability(method: Methodology) -> dict[str, bool]:
    return {code: resolve(method, code) is not None for code in method.sources}


def collect(
    method: Methodology, *, start: date, end: date, codes: Sequence[str] | None = None
) -> tuple[list[tuple[str, str, float, float]], dict[str, bool]]:
    """All rows of the available sources for the days ``[start, end)``, equal (path, fact,
    value) rows merged into one with the sum of their weights (a source may send one row per
    survey answer: tens of thousands of rows, a few hundred distinct ones)."""
    merged: dict[tuple[str, str, float], float] = {}
    available: dict[str, bool] = {}
    for code in codes or list(method.sources):
        function = resolve(method, code)
        available[code] = function is not None
        if function is None:
            continue
        for row in function(start=start, end=end):
            key = (row[0], row[1], float(row[2]))
            merged[key] = merged.get(key, 0.0) + (float(row[3]) if len(row) == 4 else 1.0)
    return [(*key, weight) for key, weight in merged.items()], available


@contextmanager
def override(**functions: SourceFunction | None) -> Iterator[None]:
    """Replace sources for a test: ``override(consultation=fake, notices=None)``."""
    saved = dict(_overrides)
    _overrides.update(functions)
    try:
        yield
    finally:
        _overrides.clear()
        _overrides.update(saved)
