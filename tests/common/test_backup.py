"""qinqing backup create / restore: a round trip into a fresh installation, and the refusals.

The restore into a fresh installation runs as another process, the way an operator runs
it: its own database (a new PostgreSQL database, or a new SQLite file) and its own media
directory. The backup is taken from the test database, so the tests are transactional:
pg_dump in another process sees only committed rows.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from qinqing.audit.models import AuditEntry
from qinqing.directory.models import Enterprise

from ..conftest import World
from ..factories import EnterpriseFactory

pytestmark = pytest.mark.django_db(transaction=True)

QINQING = Path(sys.executable).parent / "qinqing"
PHOTO_NAME = "visits/2026/05/走访照片.jpg"
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40


@dataclass
class Target:
    """A fresh installation, run as another process: its own database and media directory."""

    env: dict[str, str]
    media: Path
    sqlite_path: Path | None = None
    pg_conninfo: str = ""

    def qinqing(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(QINQING), *args], env=self.env, capture_output=True, text=True, check=False
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite_path is not None:
            with sqlite3.connect(self.sqlite_path) as db:
                return db.execute(sql).fetchall()
        with psycopg.connect(self.pg_conninfo) as db:
            return db.execute(sql).fetchall()  # type: ignore[arg-type]


def _pg_params(dbname: str) -> dict[str, Any]:
    settings = connection.settings_dict
    params = {
        "dbname": dbname,
        "user": settings["USER"],
        "password": settings["PASSWORD"],
        "host": settings["HOST"],
        "port": settings["PORT"],
    }
    return {key: value for key, value in params.items() if value}


def _pg_url(params: dict[str, Any]) -> str:
    auth = quote(params.get("user", ""), safe="")
    if params.get("password"):
        auth += ":" + quote(params["password"], safe="")
    host = params.get("host", "localhost")
    return f"postgres://{auth}@{host}:{params.get('port', 5432)}/{params['dbname']}"


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    var = tmp_path / "target-var"
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(QINQING_VAR_DIR=str(var), QINQING_MEDIA_ROOT=str(var / "media"))
    if connection.vendor != "postgresql":
        yield Target(env=env, media=var / "media", sqlite_path=var / "qinqing.sqlite3")
        return
    name = f"{connection.settings_dict['NAME'][:40]}_r{uuid.uuid4().hex[:8]}"
    admin = psycopg.conninfo.make_conninfo(**_pg_params("postgres"))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    params = _pg_params(name)
    env["DATABASE_URL"] = _pg_url(params)
    try:
        yield Target(
            env=env, media=var / "media", pg_conninfo=psycopg.conninfo.make_conninfo(**params)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture
def photo(settings: Any, tmp_path: Path) -> str:
    """A stored file written through the storage API, as an upload would be."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return default_storage.save(PHOTO_NAME, ContentFile(PHOTO))


def _create(out: Path) -> str:
    stdout = StringIO()
    call_command("backup", "create", "--out", str(out), stdout=stdout)
    return stdout.getvalue()


def _firm_names() -> list[str]:
    return sorted(Enterprise.objects.values_list("name", flat=True))


def test_a_backup_restored_into_a_fresh_installation_has_the_same_rows_and_files(
    world: World, photo: str, tmp_path: Path, target: Target
) -> None:
    assert photo == PHOTO_NAME
    assert "备份完成 / backup created" in _create(tmp_path / "backup")

    done = target.qinqing("backup", "restore", str(tmp_path / "backup"))

    assert done.returncode == 0, done.stderr
    assert "恢复完成 / restore complete" in done.stdout
    assert "1 files" in done.stdout
    firms = target.query("SELECT name FROM directory_enterprise ORDER BY name")
    assert [name for (name,) in firms] == _firm_names()
    assert target.query("SELECT COUNT(*) FROM accounts_user") == [(len(world.users),)]
    assert target.query("SELECT MAX(seq) FROM audit_auditentry") == [
        (AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first(),)
    ]
    assert (target.media / PHOTO_NAME).read_bytes() == PHOTO


@pytest.mark.django_db(transaction=False)  # refused before the database is read
def test_a_backup_is_not_written_into_a_directory_that_holds_files(tmp_path: Path) -> None:
    out = tmp_path / "backup"
    out.mkdir()
    (out / "old.txt").write_text("yesterday")

    with pytest.raises(CommandError, match="备份目录非空 / backup directory is not empty"):
        _create(out)

    assert [p.name for p in out.iterdir()] == ["old.txt"]


def test_restore_refuses_a_database_holding_rows_without_force_and_changes_nothing(
    world: World, photo: str, tmp_path: Path
) -> None:
    _create(tmp_path / "backup")
    EnterpriseFactory(name="宁波丁新材料有限公司", grid=world.grid_a)
    firms_before = _firm_names()

    with pytest.raises(CommandError, match="目标数据库非空 / target database is not empty"):
        call_command("backup", "restore", str(tmp_path / "backup"))

    assert _firm_names() == firms_before
    assert default_storage.open(PHOTO_NAME).read() == PHOTO


def test_restore_refuses_a_storage_holding_files_without_force_and_overwrites_with_force(
    world: World, photo: str, tmp_path: Path, target: Target
) -> None:
    _create(tmp_path / "backup")
    (target.media / "visits/2026/05").mkdir(parents=True)
    (target.media / PHOTO_NAME).write_bytes(b"a different photo")

    refused = target.qinqing("backup", "restore", str(tmp_path / "backup"))

    assert refused.returncode == 1
    assert "目标存储非空 / target storage is not empty" in refused.stderr
    assert (target.media / PHOTO_NAME).read_bytes() == b"a different photo"

    forced = target.qinqing("backup", "restore", str(tmp_path / "backup"), "--force")

    assert forced.returncode == 0, forced.stderr
    assert (target.media / PHOTO_NAME).read_bytes() == PHOTO
    assert sorted(p.name for p in (target.media / "visits/2026/05").iterdir()) == ["走访照片.jpg"]


def test_restore_refuses_a_backup_whose_file_was_altered_before_touching_anything(
    world: World, photo: str, tmp_path: Path
) -> None:
    _create(tmp_path / "backup")
    copy = tmp_path / "backup" / "files" / PHOTO_NAME
    copy.write_bytes(PHOTO[:-1] + b"\x00")
    EnterpriseFactory(name="宁波丁新材料有限公司", grid=world.grid_a)
    firms_before = _firm_names()

    with pytest.raises(CommandError, match=f"checksum mismatch: files/{PHOTO_NAME}"):
        call_command("backup", "restore", str(tmp_path / "backup"), "--force")

    assert _firm_names() == firms_before


def _seed_like_migrate() -> None:
    """The rows ``migrate`` writes by itself: the default categories of a data migration
    (content types and permissions come back with ``flush`` already)."""
    seed = importlib.import_module("qinqing.demands.migrations.0002_default_categories")
    seed.forward(django_apps, None)


def test_restore_accepts_a_migrated_database_that_holds_only_what_migrate_writes(
    world: World, photo: str, tmp_path: Path, settings: Any
) -> None:
    _create(tmp_path / "backup")
    firms = _firm_names()
    call_command("flush", "--no-input")
    _seed_like_migrate()
    settings.MEDIA_ROOT = tmp_path / "new-media"
    stdout = StringIO()

    call_command("backup", "restore", str(tmp_path / "backup"), stdout=stdout)

    assert "恢复完成 / restore complete" in stdout.getvalue()
    assert _firm_names() == firms
    assert default_storage.open(PHOTO_NAME).read() == PHOTO


def _tamper_audit_label(*, seq: int) -> None:
    """Change an audit entry as someone with database rights would: around the trigger."""
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(f"UPDATE {table} SET object_label = %s WHERE seq = %s", ["篡改", seq])
            cursor.execute("SET session_replication_role = DEFAULT")
            return
        cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        cursor.execute(f"UPDATE {table} SET object_label = %s WHERE seq = %s", ["篡改", seq])
        cursor.execute(
            f"CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON {table}"
            " BEGIN SELECT RAISE(ABORT, 'audit_auditentry is append-only'); END;"
        )


def test_restore_fails_naming_the_entry_when_an_audit_entry_in_the_backup_was_changed(
    world: World, tmp_path: Path, target: Target
) -> None:
    second = AuditEntry.objects.order_by("seq").values_list("seq", flat=True)[1]
    _tamper_audit_label(seq=second)
    _create(tmp_path / "backup")

    done = target.qinqing("backup", "restore", str(tmp_path / "backup"))

    assert done.returncode == 1
    assert f"审计链校验失败 / audit chain check failed at entry {second} (changed" in done.stderr
