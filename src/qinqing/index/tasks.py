"""Background jobs of the index (run by the task worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_index_computation(run_id: int) -> str:
    """Compute one queued period and level (idempotent: a finished run is left alone)."""
    from .services import compute_execute

    run = compute_execute(run_id)
    return run.status if run else "missing"
