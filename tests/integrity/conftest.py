"""Fixtures of 廉情监督: the sample lists loaded, a filing helper."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from qinqing.integrity import services
from qinqing.integrity.models import Filing

LISTS = Path(services.__file__).resolve().parent / "lists"


def load_sample(name: str = "sample_lists.json") -> services.LoadResult:
    data = json.loads((LISTS / name).read_text(encoding="utf-8"))
    return services.conduct_load(actor=None, data=data, source_name=name)


@pytest.fixture
def lists(db: Any) -> None:
    load_sample()
    load_sample("clean_checklist.json")


def file_contact(actor: Any, firms: list[Any], **overrides: Any) -> Filing:
    values: dict[str, Any] = {
        "timing": "after",
        "kind": "meeting",
        "contact_date": services.today() - timedelta(days=1),
        "place": "区政府会议室",
        "place_kind": "office",
        "purpose": "听取企业扩产用地诉求",
        "payer": "none",
        "amount": Decimal("0"),
        "headcount": 1,
        "gifts": [],
    }
    values.update(overrides)
    return services.filing_submit(actor=actor, firms=firms, **values)


def yesterday() -> date:
    return services.today() - timedelta(days=1)
