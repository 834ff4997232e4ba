from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from .models import AuditEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")


def audit_search(
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.order_by("-seq")
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = (
            qs.filter(actor_name__icontains=actor)
            if not actor.isdigit()
            else qs.filter(actor_id=int(actor))
        )
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if date_from:
        qs = qs.filter(occurred_at__gte=datetime.combine(date_from, time.min, SHANGHAI))
    if date_to:
        qs = qs.filter(
            occurred_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, SHANGHAI)
        )
    return qs
