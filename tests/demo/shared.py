"""One load of the Ningbo demo per test session, shared by every module that reads it.

A module asks for it with ``pytestmark = pytest.mark.usefixtures("demo_loaded")`` (and takes
the ``demo_loaded`` argument where it needs the load moment or the result). The dataset is
loaded inside an outer transaction; each test's own ``db`` transaction is a savepoint inside
it, rolled back after the test, so a test that writes leaves nothing for the next one.

The tests that use the load are moved next to each other at collection (the first of them
keeps its place), and the outer transaction is rolled back as soon as the last of them is
done: no other test ever sees the data, and the transactional tests, which pytest-django
runs after the plain ``db`` ones, never run inside the open transaction. Should the tests
using the load not run one after the other anyway (another plugin reordering them), the
load is simply repeated for the next group: slower, never wrong.

The hooks below are imported into ``tests/conftest.py``, which registers them.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from qinqing.demo.loader import LoadResult
from qinqing.demo.management.commands.demo import Command

FIXTURE = "demo_loaded"


class DemoLoad:
    """`qinqing demo load` with the default seed: what it printed, wrote, and its moment."""

    def __init__(self, blocker: Any) -> None:
        self._blocker = blocker
        self._unblocked: Any = None
        self._outer: Any = None
        self.output = ""
        self._command = Command()

    @property
    def result(self) -> LoadResult:
        assert self._command.result is not None, "the demo is not loaded"
        return self._command.result

    @property
    def now(self) -> datetime:
        assert self._command.now is not None, "the demo is not loaded"
        return self._command.now

    @property
    def is_open(self) -> bool:
        return self._outer is not None

    def open(self) -> None:
        self._unblocked = self._blocker.unblock()
        self._unblocked.__enter__()
        self._outer = transaction.atomic()
        self._outer.__enter__()
        try:
            out = StringIO()
            self._command = Command()
            call_command(self._command, "load", stdout=out, stderr=StringIO())
            self.output = out.getvalue()
            _check_deferred_constraints_now()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._outer is None:
            return
        outer, unblocked = self._outer, self._unblocked
        self._outer = self._unblocked = None
        try:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        finally:
            unblocked.__exit__(None, None, None)


def _check_deferred_constraints_now() -> None:
    """Run PostgreSQL's deferred foreign-key checks of the load once, in the outer transaction.

    pytest-django ends every test with ``SET CONSTRAINTS ALL IMMEDIATE`` inside the test's
    savepoint; the checks still pending from the load would fire there, and the savepoint's
    rollback would put them back as pending for the next test: every test would re-check
    the hundreds of thousands of rows the load wrote (seconds each). Fired here, outside any
    savepoint, they are done for good; the mode goes back to deferred for the tests."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


_loads: list[DemoLoad] = []


@pytest.fixture(scope="session")
def demo_loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoLoad]:
    """The Ningbo demo, loaded once for the tests that use it (see the module docstring)."""
    loaded = DemoLoad(django_db_blocker)
    loaded.open()
    _loads.append(loaded)
    try:
        yield loaded
    finally:
        loaded.close()
        _loads.remove(loaded)


def _uses_demo(item: pytest.Item | None) -> bool:
    return item is not None and FIXTURE in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that use the demo one after the other, where the first of them was."""
    users = [item for item in items if _uses_demo(item)]
    if not users:
        return
    first = items.index(users[0])
    others = [item for item in items if not _uses_demo(item)]
    items[:] = others[:first] + users + others[first:]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None]:
    """Load again if an earlier group of demo tests already rolled the load back."""
    if _uses_demo(item):
        for loaded in _loads:
            if not loaded.is_open:
                loaded.open()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """After the last test of a group using the demo (its fixtures torn down), roll it back."""
    try:
        return (yield)
    finally:
        if _uses_demo(item) and not _uses_demo(nextitem):
            for loaded in _loads:
                loaded.close()
