"""Background jobs of the audit log (run by the task worker: `qinqing db_worker`)."""

from __future__ import annotations

from django_tasks import task

from .services import publish_head


@task()
def publish_audit_head() -> str:
    """Daily: publish the chain head outside the database. Idempotent: appends one line."""
    return publish_head()
