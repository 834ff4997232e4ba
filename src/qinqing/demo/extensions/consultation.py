"""Demo data of consultation (意见征询)."""

from __future__ import annotations

from qinqing.demo.context import DemoContext


def write(ctx: DemoContext) -> dict[str, int]:
    """Bulk-write this app's demo rows; return counts by name for the load summary."""
    return {}
