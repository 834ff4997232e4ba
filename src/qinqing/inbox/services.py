"""Writing messages: deliver one message per (person, cause), and mark messages read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .channels import send_email, sms_backend
from .models import Message


def deliver(
    *, users: Iterable[Any], title: str, body: str, link: str, source: str, sms: bool = False
) -> int:
    """Create the in-app message for each user once, then email (and optionally SMS) them.

    Idempotent: a second delivery for the same ``source`` sends nothing again.
    """
    recipients = {u.pk: u for u in users if u is not None and u.is_active}
    if not recipients:
        return 0
    existing = set(
        Message.objects.filter(user_id__in=recipients, source=source).values_list(
            "user_id", flat=True
        )
    )
    new = [
        Message(user_id=pk, title=title[:200], body=body, link=link, source=source)
        for pk in recipients
        if pk not in existing
    ]
    with transaction.atomic():
        Message.objects.bulk_create(new, ignore_conflicts=True)
    sent = 0
    for message in Message.objects.filter(
        user_id__in=[m.user_id for m in new], source=source, emailed_at__isnull=True
    ):
        user = recipients[message.user_id]
        if user.email:
            send_email(user.email, title, f"{body}\n\n{link}")
            Message.objects.filter(pk=message.pk).update(emailed_at=timezone.now())
        if sms and user.phone:
            sms_backend().send(user.phone, title)
        sent += 1
    return sent


def mark_read(*, actor: Any, message_ids: list[int] | None = None) -> int:
    """Mark the actor's own messages read (all when no ids are given)."""
    qs = Message.objects.filter(user=actor, read_at__isnull=True)
    if message_ids is not None:
        qs = qs.filter(pk__in=message_ids)
    return qs.update(read_at=timezone.now())
