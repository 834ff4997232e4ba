"""Log in with a username or a phone number; count failures and lock the account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from qinqing.audit.services import record

from .models import User


def find_user(identifier: str) -> User | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return User.objects.filter(Q(username=identifier) | Q(phone=identifier)).first()


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = find_user(username or kwargs.get("phone") or "")
        if user is None or password is None:
            User().set_password(password or "")  # same time cost as a real check
            return None
        if user.is_locked():
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_login_count:
                User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
                user.failed_login_count, user.locked_until = 0, None
            return user
        register_failure(user)
        return None


def register_failure(user: User) -> None:
    threshold = settings.LOGIN_LOCKOUT_THRESHOLD
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_login_count += 1
        fields = ["failed_login_count"]
        record(
            actor=locked,
            action="user.login_failed",
            obj=locked,
            changes={"failed_login_count": locked.failed_login_count},
        )
        if locked.failed_login_count >= threshold:
            locked.locked_until = timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            locked.failed_login_count = 0
            fields.append("locked_until")
            record(
                actor=locked,
                action="user.locked",
                obj=locked,
                changes={"locked_until": locked.locked_until},
            )
        locked.save(update_fields=fields)
    user.failed_login_count, user.locked_until = locked.failed_login_count, locked.locked_until
