from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from qinqing.audit.models import AuditEntry
from qinqing.audit.services import record, verify

pytestmark = pytest.mark.django_db


def _entries(n: int) -> None:
    for i in range(n):
        record(
            actor=None,
            action="region.create",
            object_type="directory.region",
            object_id=i,
            changes={"name": f"区域{i}"},
        )


def _raw(sql: str, params: list[object]) -> None:
    """Tamper as someone with database rights would: around the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_an_untouched_chain_verifies() -> None:
    _entries(5)
    result = verify()
    assert result.ok and result.checked == 5 and result.head_seq == 5


def test_entries_are_numbered_without_gaps_and_linked() -> None:
    _entries(3)
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash


def test_a_changed_entry_is_named() -> None:
    _entries(5)
    _raw("UPDATE audit_auditentry SET object_label = %s WHERE seq = %s", ["篡改", 3])
    result = verify()
    assert not result.ok and result.first_bad_seq == 3 and result.reason == "changed"


def test_a_deleted_entry_is_named() -> None:
    _entries(5)
    _raw("DELETE FROM audit_auditentry WHERE seq = %s", [2])
    result = verify()
    assert not result.ok and result.first_bad_seq == 2 and result.reason == "missing"


def test_a_deleted_last_entry_is_named_through_the_head() -> None:
    _entries(5)
    _raw("DELETE FROM audit_auditentry WHERE seq = %s", [5])
    result = verify()
    assert not result.ok and result.first_bad_seq == 5


def test_a_rewritten_entry_with_a_fresh_hash_breaks_the_next_link() -> None:
    _entries(4)
    _raw("UPDATE audit_auditentry SET hash = %s WHERE seq = %s", ["f" * 64, 2])
    result = verify()
    assert not result.ok and result.first_bad_seq == 2


def test_verification_can_start_part_way() -> None:
    _entries(6)
    _raw("UPDATE audit_auditentry SET action = %s WHERE seq = %s", ["user.login", 2])
    assert verify(start=4).ok
    assert not verify(start=1).ok


def test_the_database_refuses_to_update_an_entry() -> None:
    _entries(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(object_label="改")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_to_delete_an_entry() -> None:
    _entries(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).delete()


def test_an_entry_rolls_back_with_the_business_write() -> None:
    _entries(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(actor=None, action="region.create", object_type="x", object_id=1)
        raise RuntimeError
    assert AuditEntry.objects.count() == 1
    _entries(1)
    assert verify().ok


def test_unregistered_actions_are_refused() -> None:
    with pytest.raises(ValueError):
        record(actor=None, action="made.up")


def test_the_verify_command_exits_non_zero_and_names_the_entry(capsys) -> None:
    _entries(3)
    call_command("audit", "verify")
    assert "OK: 3 entries" in capsys.readouterr().out
    _raw("UPDATE audit_auditentry SET changes = %s WHERE seq = %s", ['{"x": 1}', 2])
    with pytest.raises(CommandError, match="entry 2"):
        call_command("audit", "verify")


def test_the_head_is_published_to_a_file(tmp_path, settings) -> None:
    settings.AUDIT_HEAD_FILE = tmp_path / "head.log"
    _entries(2)
    call_command("audit", "head")
    assert "seq=2" in (tmp_path / "head.log").read_text()


def test_the_daily_job_publishes_the_head(tmp_path, settings) -> None:
    from qinqing.audit.tasks import publish_audit_head

    settings.AUDIT_HEAD_FILE = tmp_path / "head.log"
    _entries(3)
    result = publish_audit_head.enqueue()
    assert "seq=3" in result.return_value
    assert "seq=3" in (tmp_path / "head.log").read_text()
