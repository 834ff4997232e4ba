"""Fixtures of 廉情监督: the sample lists loaded, a filing helper."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from qinqing.integrity import services
from qinqing.integrity.models import Filing

LISTS = Path(services.__file__).resolve().parent / "lists"


def load_sample(name: str = "sample_lists.yaml") -> services.LoadResult:
    """Load a shipped list file by name (``sample_lists`` or ``clean_checklist``; a suffix is
    ignored: the shipped files are YAML)."""
    path = LISTS / Path(name).with_suffix(".yaml").name
    return services.conduct_load(
        actor=None, data=services.read_list_file(path), source_name=path.name
    )


@pytest.fixture
def lists(db: Any) -> None:
    load_sample()
    load_sample("clean_checklist.yaml")


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
