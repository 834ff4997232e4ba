"""schemathesis drives every operation of the document with generated input, as a firm user
and as a handler: no answer may be a server error, a status the document does not declare,
an undeclared content type or a body that does not match the documented schema.

The run is reproducible (a fixed seed through ``derandomize``) and small enough for every
suite run (two examples per operation and role); ``make fuzz`` runs the long version.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qinqing.accounts.services import token_issue
from qinqing.api.api import api
from qinqing.integrity.reports import guard

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("QINQING_FUZZ_EXAMPLES", "2"))
#: the suite's two roles; ``make fuzz`` sets QINQING_FUZZ_ROLES=all (every role of the world,
#: and a caller without a token)
ROLES = os.environ.get("QINQING_FUZZ_ROLES", "enterprise,handler")
#: where ``make fuzz`` reads how many calls were made
REPORT = Path(os.environ.get("QINQING_HOME", ".")) / "var" / "fuzz-last.txt"
CALLS: Counter[str] = Counter()

#: schemathesis' coverage phase (dozens of boundary cases per operation) only in ``make fuzz``
COVERAGE = ROLES == "all"
schema = schemathesis.openapi.from_dict(
    api.get_openapi_schema(),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": COVERAGE}}}),
)
schema.app = WSGIHandler()


@pytest.fixture(scope="module", autouse=True)
def _count_calls() -> Iterator[None]:
    yield
    if CALLS:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(
            f"fuzz: {sum(CALLS.values())} calls over {len(CALLS)} operations, "
            f"roles {ROLES}, {EXAMPLES} examples each\n"
        )


@pytest.fixture
def _connection_kept() -> Iterator[None]:
    """Keep the test's database connection across requests, as Django's test client does:
    the bare WSGI handler closes it when a request finishes (inside the test's transaction
    on PostgreSQL, that ends the test)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(
    world: Any, monkeypatch: pytest.MonkeyPatch, _connection_kept: None
) -> list[dict[str, str]]:
    # a wrong receipt is answered slowly on purpose; the fuzzer sends thousands
    monkeypatch.setattr(guard, "sleep", lambda seconds: None)
    roles = [*sorted(world.users), "anonymous"] if ROLES == "all" else ROLES.split(",")
    headers = []
    for role in roles:
        if role == "anonymous":  # no token at all: the public paths, and 401 everywhere else
            headers.append({})
            continue
        _token, raw = token_issue(user=world.users[role], name="fuzz")
        headers.append({"Authorization": f"Bearer {raw}"})
    return headers


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_outside_its_contract(case: Any, tokens: list[dict[str, str]]) -> None:
    for headers in tokens:
        case.call_and_validate(headers=headers, checks=CHECKS)
        CALLS[case.operation.label] += 1
