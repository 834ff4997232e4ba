"""Plain-text tables that line up in a terminal (CJK characters take two columns)."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def rpad(text: str, width: int) -> str:
    """Right-aligned (numbers)."""
    return " " * max(0, width - display_width(text)) + text
