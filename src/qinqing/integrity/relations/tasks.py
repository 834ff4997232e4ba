"""Background jobs of the conflict graph."""

from __future__ import annotations

from django_tasks import task


@task()
def notify_alert(alert_id: int) -> int:
    """Tell the supervisors of the firm's region (and the official) about a new alert."""
    from django.urls import reverse

    from qinqing.accounts.models import Role, RoleAssignment
    from qinqing.inbox.services import deliver

    from .models import ConflictAlert

    alert = ConflictAlert.objects.select_related("official").filter(pk=alert_id).first()
    if alert is None:
        return 0
    supervisors = [
        a.user
        for a in RoleAssignment.objects.filter(role=Role.SUPERVISOR).select_related(
            "user", "region"
        )
        if a.region is not None and alert.region_path.startswith(a.region.path)
    ]
    link = reverse("relations:alert_detail", args=[alert.pk])
    return deliver(
        users=[*supervisors, alert.official],
        title=f"利益冲突预警：{alert.official}",
        body=f"{alert.context}：{alert.description}",
        link=link,
        source=f"relations.alert:{alert.pk}",
    )
