"""Background jobs of 廉情监督 (run by the task worker; idempotent)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task


@task()
def notify_filing(filing_id: int, status: str) -> int:
    """Tell the filer's superiors a filing waits for them, or the filer how it was decided."""
    from qinqing.inbox.services import deliver

    from .models import Filing, FilingStatus
    from .services import _superiors

    filing = Filing.objects.select_related("region", "filer").filter(pk=filing_id).first()
    if filing is None:
        return 0
    link = f"/integrity/filings/{filing.pk}/"
    if status == FilingStatus.PENDING:
        return deliver(
            users=_superiors(filing),
            title=_("交往报备待审批：%(n)s") % {"n": filing.number},
            body=_("%(who)s 报备的交往需要审批。") % {"who": filing.filer},
            link=link,
            source=f"integrity.filing:{filing.pk}:pending",
        )
    return deliver(
        users=[filing.filer],
        title=_("交往报备已审批：%(n)s") % {"n": filing.number},
        body=str(FilingStatus(status).label),
        link=link,
        source=f"integrity.filing:{filing.pk}:{status}",
    )
