"""The demo commands on an empty database."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command


def test_listing_the_accounts_before_loading_says_to_load_first(db: Any) -> None:
    with pytest.raises(CommandError, match="qinqing demo load"):
        call_command("demo", "accounts")


def test_the_command_needs_a_sub_command(db: Any) -> None:
    with pytest.raises(CommandError):
        call_command("demo")
