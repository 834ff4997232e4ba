"""Fixtures of the index tests: synthetic facts put in through the source registry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from qinqing.index import sources

TOWN_A = "/330200/330203/330203101/"
TOWN_B = "/330200/330203/330203102/"
GRID_A = "/330200/330203/330203101/330203101001/330203101001G01/"
GRID_B = "/330200/330203/330203102/330203102001/330203102001G01/"


def fake_facts(*, start: date, end: date) -> list[tuple[str, str, float]]:
    """A test-only source: firms, demand counts and survey answers for the two towns of
    ``world``; 古林 (A) serves better and its firms answer better than 高桥 (B)."""
    rows: list[tuple[str, str, float]] = []
    for path, firms, good in ((GRID_A, 40, True), (GRID_B, 30, False)):
        rows += [
            (path, "directory.firms", float(firms)),
            (path, "outreach.firms_visited", firms * (0.9 if good else 0.5)),
            (path, "outreach.pairing_contacts", 8.0 if good else 3.0),
            (path, "outreach.pairing_contacts_due", 8.0),
            (path, "outreach.meetings_held", 2.0 if good else 1.0),
            (path, "demands.received", 50.0),
            (path, "demands.accepted", 50.0),
            (path, "demands.accepted_on_time", 48.0 if good else 35.0),
            (path, "demands.resolved", 45.0 if good else 35.0),
            (path, "demands.resolved_on_time", 40.0 if good else 25.0),
            (path, "demands.rated", 40.0),
            (path, "demands.satisfied", 38.0 if good else 28.0),
            (path, "demands.reopened", 1.0 if good else 5.0),
            (path, "demands.outcome_published", 45.0 if good else 30.0),
        ]
        rows += [(path, "demands.days_to_resolve", 4.0 if good else 9.0)] * 20
    return rows


def fake_survey(*, start: date, end: date) -> list[tuple[str, str, float]]:
    rows: list[tuple[str, str, float]] = []
    for town, answers in ((TOWN_A, [5, 4, 4, 5, 3]), (TOWN_B, [3, 2, 4, 3, 3])):
        for tag in (
            "closeness",
            "cleanness",
            "burden",
            "factors",
            "rule_of_law",
            "government_services",
            "market",
            "innovation",
        ):
            rows += [(town, f"survey.{tag}", float(a)) for a in answers * 8]
    return rows


ALL_FAKE: dict[str, Any] = {
    "directory": fake_facts,
    "demands": lambda *, start, end: [],
    "outreach": lambda *, start, end: [],
    "consultation": fake_survey,
    "notices": None,
    "integrity": None,
    "integrity_reports": None,
    "exemption": None,
}


@pytest.fixture
def fake_sources() -> Iterator[None]:
    with sources.override(**ALL_FAKE):
        yield
