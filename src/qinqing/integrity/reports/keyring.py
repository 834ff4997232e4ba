"""Supervisors' key pairs, and the unlocked private key kept for the session only.

At login (``user_logged_in``) the password the user just typed unwraps the supervisor's
private key (or makes the first key pair, or a new one after a password reset). The
unlocked key is put in the session store *encrypted* under a fresh per-session key; that
per-session key goes to the browser in an HttpOnly cookie and nowhere else. A login view
cannot set our cookie, so the per-session key waits in the cache (never the database) for a
few minutes until the supervisor's first reports page hands it to the browser; after that
the "unlock" page (password again) does the same. Without both halves — the session row
and the cookie — no one can read the key: not a database thief, not the server's admin
reading the session table.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import nacl.utils
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from nacl.public import PrivateKey

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import has_role
from qinqing.audit.actions import register
from qinqing.audit.services import record

from . import crypto
from .models import KeyShare, SupervisorKey

logger = logging.getLogger("qinqing.reports")

register("report_key.create", gettext_lazy("生成举报密钥"))
register("report_key.renew", gettext_lazy("重置后更换举报密钥"))
register("report_key.restore", gettext_lazy("以原密码找回举报密钥"))

COOKIE = "qq_reports_k"
SESSION_FIELD = "reports.sealed_key"
PENDING_SECONDS = 300


@dataclass(frozen=True)
class Unlocked:
    """A supervisor's private key, unlocked for this request."""

    key_id: int
    user_id: int
    private: PrivateKey


def _cost(key: SupervisorKey) -> crypto.Cost:
    return crypto.Cost(key.kdf_ops, key.kdf_mem)


def _new_key(user: Any, password: str) -> tuple[SupervisorKey, PrivateKey]:
    private, public = crypto.new_key_pair()
    salt, cost = crypto.new_salt(), crypto.Cost.current()
    key = SupervisorKey.objects.create(
        user=user,
        public_key=public,
        wrapped_private_key=crypto.wrap_private_key(private, password, salt, cost),
        salt=salt,
        kdf_ops=cost.ops,
        kdf_mem=cost.mem,
    )
    return key, private


@transaction.atomic
def unlock(*, user: Any, password: str) -> Unlocked | None:
    """The user's private key unwrapped with ``password`` (already verified by the caller).

    A supervisor without a key gets one; one whose key no longer opens with the current
    password (an administrator reset it) gets a new pair, the old one kept retired so that
    the old password can still restore it (``restore``); reports are re-shared to the new
    key by another assignee or by recovery. Not a supervisor: None.
    """
    if not has_role(user, Role.SUPERVISOR):
        return None
    key = SupervisorKey.objects.select_for_update().filter(user=user, active=True).first()
    if key is None:
        key, private = _new_key(user, password)
        record(actor=user, action="report_key.create", obj=user, changes={"key": key.pk})
        return Unlocked(key.pk, user.pk, private)
    try:
        private = crypto.unwrap_private_key(
            key.wrapped_private_key, password, bytes(key.salt), _cost(key)
        )
    except crypto.CannotOpen:
        key.active, key.retired_at = False, timezone.now()
        key.save(update_fields=["active", "retired_at"])
        new, private = _new_key(user, password)
        record(
            actor=user,
            action="report_key.renew",
            obj=user,
            changes={"retired": key.pk, "key": new.pk},
        )
        return Unlocked(new.pk, user.pk, private)
    return Unlocked(key.pk, user.pk, private)


@transaction.atomic
def restore(*, user: Any, old_password: str, current: Unlocked) -> int:
    """Re-seal to the current key every share held by a retired key that ``old_password``
    opens (after a password change made outside this app); returns the shares moved."""
    moved = 0
    for old in SupervisorKey.objects.filter(user=user, active=False).order_by("-pk"):
        try:
            private = crypto.unwrap_private_key(
                old.wrapped_private_key, old_password, bytes(old.salt), _cost(old)
            )
        except crypto.CannotOpen:
            continue
        active = SupervisorKey.objects.get(pk=current.key_id)
        for share in KeyShare.objects.filter(supervisor_key=old):
            data_key = crypto.unseal(private, bytes(share.sealed))
            KeyShare.objects.get_or_create(
                report_id=share.report_id,
                purpose=share.purpose,
                supervisor_key=active,
                defaults={
                    "holder": KeyShare.Holder.SUPERVISOR,
                    "sealed": crypto.seal(bytes(active.public_key), data_key),
                },
            )
            share.delete()
            moved += 1
        record(actor=user, action="report_key.restore", obj=user, changes={"shares": moved})
    return moved


# --- the session half and the cookie half ---------------------------------------------------
def _pending_key(session_key: str) -> str:
    return "reports:pending:" + hashlib.sha256(session_key.encode()).hexdigest()


def keep_in_session(request: HttpRequest, unlocked: Unlocked) -> str:
    """Encrypt the key into the session; return the per-session key for the cookie."""
    session_key = nacl.utils.random(crypto.KEY_BYTES)
    sealed = crypto.encrypt(
        session_key, unlocked.key_id.to_bytes(8, "big") + bytes(unlocked.private)
    )
    request.session[SESSION_FIELD] = base64.b64encode(sealed).decode()
    return base64.urlsafe_b64encode(session_key).decode()


def set_cookie(response: HttpResponse, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        httponly=True,
        samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def from_request(request: HttpRequest) -> Unlocked | None:
    """The unlocked key of this request's session, if both halves are present and match."""
    user = getattr(request, "user", None)
    sealed = request.session.get(SESSION_FIELD) if hasattr(request, "session") else None
    if not sealed or user is None or not user.is_authenticated:
        return None
    cookie = request.COOKIES.get(COOKIE)
    if not cookie and request.session.session_key:
        pending = cache.get(_pending_key(request.session.session_key))
        if pending:
            cache.delete(_pending_key(request.session.session_key))
            cookie = pending
            request._reports_cookie = pending  # type: ignore[attr-defined]
    if not cookie:
        return None
    try:
        raw = crypto.decrypt(base64.urlsafe_b64decode(cookie), base64.b64decode(sealed))
    except (crypto.CannotOpen, ValueError):
        return None
    key_id = int.from_bytes(raw[:8], "big")
    if not SupervisorKey.objects.filter(pk=key_id, user=user, active=True).exists():
        return None
    return Unlocked(key_id, user.pk, PrivateKey(raw[8:]))


def hand_over_cookie(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Give the browser the per-session key that waited in the cache since login."""
    pending = getattr(request, "_reports_cookie", None)
    if pending:
        set_cookie(response, pending)
    return response


def forget(request: HttpRequest, response: HttpResponse | None = None) -> None:
    if hasattr(request, "session"):
        request.session.pop(SESSION_FIELD, None)
    if response is not None:
        response.delete_cookie(COOKIE, samesite="Strict")


@receiver(user_logged_in, dispatch_uid="reports_unlock_at_login")
def _unlock_at_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """The password the user just typed on the login form (already checked) unlocks the key."""
    if request is None or request.method != "POST":
        return
    password = request.POST.get("password")
    if not password or not has_role(user, Role.SUPERVISOR):
        return
    try:
        unlocked = unlock(user=user, password=password)
    except Exception:  # a key problem must never block the login itself
        logger.exception("reports key unlock at login failed for user %s", user.pk)
        return
    if unlocked is None:
        return
    cookie = keep_in_session(request, unlocked)
    request.session.save()
    cache.set(_pending_key(request.session.session_key or ""), cookie, PENDING_SECONDS)


@receiver(user_logged_out, dispatch_uid="reports_forget_at_logout")
def _forget_at_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and getattr(request, "session", None) is not None:
        if request.session.session_key:
            cache.delete(_pending_key(request.session.session_key))
        request.session.pop(SESSION_FIELD, None)
