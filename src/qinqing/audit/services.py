"""Appending to and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.common.controlchars import printable

from .actions import ACTIONS
from .context import current
from .models import GENESIS_HASH, AuditEntry, ChainHead

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "changes",
    "client_ip",
    "request_id",
    "prev_hash",
)


#: the longest text kept from one value of ``changes`` (a header, a name typed at login …)
MAX_TEXT = 4000


def _text(value: str, limit: int) -> str:
    """Text fit for the log: no control character (PostgreSQL refuses a NUL in JSON and
    text), no longer than ``limit``."""
    return printable(value)[:limit]


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _text(value, MAX_TEXT)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {_text(str(k), 200): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return _text(str(value), MAX_TEXT)


def canonical(fields: dict[str, Any]) -> bytes:
    data = dict(fields)
    occurred = data["occurred_at"]
    if isinstance(occurred, datetime):
        data["occurred_at"] = occurred.astimezone(UTC).isoformat()
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(fields["prev_hash"].encode() + canonical(fields)).hexdigest()


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    object_label: str = "",
    changes: dict[str, Any] | None = None,
    role: str = "",
    with_client: bool = True,
) -> AuditEntry:
    """Append one entry in the caller's transaction; the chain head row serialises writers."""
    if action not in ACTIONS:
        raise ValueError(f"unregistered audit action: {action}")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_label = object_label or str(obj)[:200]
    ctx = current.get()
    actor_pk = getattr(actor, "pk", None) if actor is not None else None
    with transaction.atomic():
        head, _created = ChainHead.objects.select_for_update().get_or_create(id=1)
        fields: dict[str, Any] = {
            "seq": head.seq + 1,
            "occurred_at": timezone.now(),
            "actor_id": actor_pk,
            "actor_name": _text(str(actor), 150) if actor_pk else "",
            "actor_role": role,
            "action": action,
            "object_type": object_type,
            "object_id": _text(str(object_id or ""), 64),
            "object_label": _text(object_label, 200),
            "changes": _jsonable(changes or {}),
            "client_ip": _text(ctx.client_ip, 64) if with_client else "",
            # an anonymous step keeps no handle a client could correlate it by
            "request_id": ctx.request_id[:64] if with_client else "",
            "prev_hash": head.hash,
        }
        digest = entry_hash(fields)
        entry = AuditEntry.objects.create(hash=digest, **fields)
        head.seq, head.hash = entry.seq, digest
        head.save(update_fields=["seq", "hash"])
    return entry


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the changed fields, as {field: [before, after]}."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    head_seq: int = 0


def _stream(start: int) -> Iterator[dict[str, Any]]:
    yield from (
        AuditEntry.objects.filter(seq__gte=start)
        .order_by("seq")
        .values(*HASHED_FIELDS, "hash")
        .iterator(chunk_size=2000)
    )


def verify(*, start: int = 1) -> VerifyResult:
    """Recompute the chain from ``start``; report the first changed, missing or unlinked entry."""
    expected_seq = start
    if start <= 1:
        prev_hash = GENESIS_HASH
    else:
        previous = AuditEntry.objects.filter(seq=start - 1).values_list("hash", flat=True).first()
        if previous is None:
            return VerifyResult(False, 0, start - 1, "missing")
        prev_hash = previous
    checked = 0
    for row in _stream(start):
        if row["seq"] != expected_seq:
            return VerifyResult(False, checked, expected_seq, "missing")
        if row["prev_hash"] != prev_hash:
            return VerifyResult(False, checked, row["seq"], "broken_link")
        fields = {name: row[name] for name in HASHED_FIELDS}
        if entry_hash(fields) != row["hash"]:
            return VerifyResult(False, checked, row["seq"], "changed")
        prev_hash = row["hash"]
        expected_seq += 1
        checked += 1
    head = ChainHead.objects.filter(id=1).first()
    head_seq = head.seq if head else 0
    last_seq = expected_seq - 1
    if head_seq > last_seq:
        return VerifyResult(False, checked, expected_seq, "missing", head_seq)
    if head is not None and head_seq == last_seq and last_seq >= start and head.hash != prev_hash:
        return VerifyResult(False, checked, last_seq, "changed", head_seq)
    return VerifyResult(True, checked, head_seq=head_seq)


#: why a chain is broken, for people
REASONS = {
    "changed": gettext_lazy("记录被修改"),
    "missing": gettext_lazy("记录缺失"),
    "broken_link": gettext_lazy("链接断裂"),
}


def verify_message(result: VerifyResult) -> str:
    """The verdict in one sentence, as the web shows it."""
    if result.ok:
        return _("审计链完整：已校验 %(n)d 条记录。") % {"n": result.checked}
    return _("审计链被破坏：第 %(seq)s 条记录（%(reason)s）。") % {
        "seq": result.first_bad_seq,
        "reason": REASONS.get(result.reason, result.reason),
    }


def verify_chain(*, actor: Any) -> VerifyResult:
    """The audit admin verifies the whole chain; the check itself is recorded."""
    from qinqing.accounts.permissions import is_audit_admin
    from qinqing.common.errors import NotPermitted

    if not is_audit_admin(actor):
        raise NotPermitted(_("您没有执行此操作的权限。"))
    result = verify()
    with transaction.atomic():
        record(
            actor=actor,
            action="audit.verify",
            changes={
                "ok": result.ok,
                "checked": result.checked,
                "first_bad_seq": result.first_bad_seq,
            },
        )
    return result


def publish_head() -> str:
    """Append the chain head to the head file outside the database; return the line.

    A rewrite of the whole chain then disagrees with what was published earlier.
    """
    from django.conf import settings

    head = ChainHead.objects.filter(id=1).first()
    seq, digest = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    line = f"{timezone.now().isoformat()} seq={seq} hash={digest}"
    path = settings.AUDIT_HEAD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    return line
