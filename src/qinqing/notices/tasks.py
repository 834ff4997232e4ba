"""Background jobs of notices (run by the task worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_notice(notice_id: int) -> int:
    """Put a published notice in the inbox of every authorised user of the addressed firms
    (idempotent: ``deliver`` sends once per user and notice)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from qinqing.accounts.models import Role, User
    from qinqing.inbox.services import deliver

    from .models import Notice, Receipt, State

    notice = Notice.objects.filter(pk=notice_id, state=State.PUBLISHED).first()
    if notice is None:
        return 0
    users = User.objects.filter(
        is_active=True,
        role_assignments__role=Role.ENTERPRISE,
        role_assignments__enterprise__in=Receipt.objects.filter(notice=notice).values(
            "enterprise_id"
        ),
    ).distinct()
    return deliver(
        users=users.iterator(chunk_size=2000),
        title=_("新通知：%(title)s") % {"title": notice.title},
        body=notice.body[:300],
        link=reverse("notices:detail", args=[notice.pk]),
        source=f"notices.notice:{notice.pk}",
    )
