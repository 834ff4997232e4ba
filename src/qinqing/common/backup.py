"""Backup and restore of the whole installation: the database and every stored file.

A backup is a directory::

    manifest.json        what the backup holds, with a SHA-256 and size of every part
    database.sqlite3     (SQLite) a copy made with the online backup API, or
    database.pgdump      (PostgreSQL) ``pg_dump --format=custom``
    files/<name>         every file of the default storage, under its storage name

``manifest.json`` is written last: a directory without it is an unfinished backup and
restore refuses it. Restore checks every checksum before it touches anything, refuses a
target that holds data unless forced, and ends by comparing each table's row count and
the audit chain with what the backup recorded.

Files are read and written only through Django's storage API (``listdir``, ``open``,
``save``), never through ``path()``: in production the storage is an object store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connection, connections, transaction

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
FILES_DIR = "files"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
#: Models whose rows ``qinqing migrate`` writes by itself (Django's content types and
#: permissions, the default demand categories of a data migration): a migrated but unused
#: database holds only these and counts as empty. A data migration that seeds another
#: model adds it here.
SEEDED_BY_MIGRATE = ("contenttypes.ContentType", "auth.Permission", "demands.Category")
#: connection options that libpq understands and a dump or restore must keep (TLS, timeouts)
LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "options")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line, Chinese / English."""


@dataclass(frozen=True)
class BackupResult:
    directory: Path
    tables: int
    rows: int
    files: int
    size: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    rows: int
    files: int
    seconds: float


# --- small pieces ------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _quote(name: str) -> str:
    """A table name as an SQL identifier (the same on SQLite and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def _qinqing_version() -> str:
    try:
        return metadata.version("qinqing")
    except metadata.PackageNotFoundError:
        return "unknown"


def model_tables() -> list[str]:
    """The table of every concrete, managed Django model, many-to-many tables included."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    }
    return sorted(tables)


def _audit_table() -> str:
    # Looked up by name: common/ sits below audit/ and does not import it.
    return str(apps.get_model("audit", "AuditEntry")._meta.db_table)


def _seeded_tables() -> set[str]:
    """The tables of ``SEEDED_BY_MIGRATE`` whose apps are installed."""
    tables = set()
    for label in SEEDED_BY_MIGRATE:
        try:
            tables.add(apps.get_model(label)._meta.db_table)
        except LookupError:  # an app that is not installed
            continue
    return tables


def _safe_name(name: str) -> PurePosixPath:
    """A storage name from a manifest, refused when it could leave the files directory."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise BackupError(f"清单中的文件名无效 / invalid file name in the manifest: {name!r}")
    return path


# --- what a database holds -----------------------------------------------------------------


def _existing_tables(cursor: Any, vendor: str) -> set[str]:
    """The tables present in the database the cursor reads."""
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p')"
            " AND pg_table_is_visible(c.oid)"
        )
    return {row[0] for row in cursor.fetchall()}


def _row_counts(cursor: Any, tables: set[str]) -> dict[str, int]:
    """``SELECT COUNT(*)`` of every model table that exists."""
    counts: dict[str, int] = {}
    for table in model_tables():
        if table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
            counts[table] = int(cursor.fetchone()[0])
    return counts


def _migrations(cursor: Any, tables: set[str]) -> dict[str, str]:
    """The latest applied migration of each app."""
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _audit_head(cursor: Any, tables: set[str]) -> dict[str, Any] | None:
    """The newest audit entry: its sequence number and hash (None without entries)."""
    table = _audit_table()
    if table not in tables:
        return None
    cursor.execute(f"SELECT seq, hash FROM {_quote(table)} ORDER BY seq DESC LIMIT 1")
    row = cursor.fetchone()
    return {"seq": int(row[0]), "hash": str(row[1])} if row else None


def _database_facts(cursor: Any, vendor: str) -> dict[str, Any]:
    tables = _existing_tables(cursor, vendor)
    return {
        "tables": _row_counts(cursor, tables),
        "migrations": _migrations(cursor, tables),
        "audit_head": _audit_head(cursor, tables),
    }


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_program(name: str) -> str:
    """The path of a PostgreSQL client program (PATH first, then /usr/bin)."""
    program = shutil.which(name) or shutil.which(name, path="/usr/bin")
    if program is None:
        raise BackupError(f"未找到 {name} / {name} not found on PATH")
    return program


def _pg_connection(settings_dict: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    options = settings_dict.get("OPTIONS") or {}
    params.update({key: options[key] for key in LIBPQ_OPTIONS if key in options})
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    conninfo = make_conninfo(**{key: value for key, value in params.items() if value is not None})
    return conninfo, env


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    """Run a client program; its first line of error output becomes the message."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        detail = lines[0] if lines else f"exit code {done.returncode}"
        raise BackupError(f"{what}失败 / {command[0].rsplit('/', 1)[-1]} failed: {detail}")


def _dump_postgresql(*, dest: Path) -> dict[str, Any]:
    """pg_dump under an exported snapshot; the row counts are read in that same snapshot."""
    conninfo, env = _pg_connection(connection.settings_dict)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        command = [
            _pg_program("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--snapshot={snapshot}",
            f"--file={dest}",
            f"--dbname={conninfo}",
        ]
        _run(command, env=env, what="数据库导出")
        return _database_facts(cursor, "postgresql")


def _restore_postgresql(*, dump: Path) -> None:
    """pg_restore into the configured database, replacing its objects in one transaction."""
    connections.close_all()
    conninfo, env = _pg_connection(connection.settings_dict)
    command = [
        _pg_program("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--clean",
        "--if-exists",
        "--single-transaction",
        f"--dbname={conninfo}",
        str(dump),
    ]
    _run(command, env=env, what="数据库恢复")


# --- SQLite --------------------------------------------------------------------------------


def _dump_sqlite(*, dest: Path) -> dict[str, Any]:
    """Copy with the online backup API (an in-memory database too); read the copy's facts."""
    connection.ensure_connection()
    target = sqlite3.connect(dest)
    try:
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        target.close()
    copy = sqlite3.connect(f"{dest.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return _database_facts(copy.cursor(), "sqlite")
    finally:
        copy.close()


def _restore_sqlite(*, dump: Path) -> None:
    """Copy the dump over the configured database file with the backup API."""
    source = sqlite3.connect(f"{dump.resolve().as_uri()}?mode=ro", uri=True)
    try:
        if connection.is_in_memory_db():  # type: ignore[attr-defined]
            # An in-memory database lives only in Django's connection (tests).
            connection.ensure_connection()
            source.backup(connection.connection)
            return
        connections.close_all()
        target = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


# --- stored files --------------------------------------------------------------------------


def stored_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in the storage, walking ``listdir`` from the root."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a file-system storage whose root does not exist yet
        return
    prefix = f"{folder}/" if folder else ""
    for name in sorted(files):
        yield prefix + name
    for sub in sorted(folders):
        yield from stored_files(storage, prefix + sub)


def _copy_out(storage: Storage, name: str, dest: Path) -> dict[str, Any] | None:
    """Copy one stored file; its checksum and size, or None when it vanished meanwhile."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with storage.open(name, "rb") as source, dest.open("wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except FileNotFoundError:
        dest.unlink(missing_ok=True)
        return None
    return {"sha256": digest.hexdigest(), "size": size}


def _backup_files(storage: Storage, directory: Path) -> dict[str, dict[str, Any]]:
    """Copy every stored file under ``directory``; the manifest entry of each."""
    copied: dict[str, dict[str, Any]] = {}
    for name in stored_files(storage):
        entry = _copy_out(storage, name, directory.joinpath(*name.split("/")))
        if entry is not None:
            copied[name] = entry
    return copied


def _restore_file(storage: Storage, name: str, source: Path, *, force: bool) -> None:
    """Save one file under its own name (replacing a same-named file when forced)."""
    if force and storage.exists(name):
        storage.delete(name)
    with source.open("rb") as handle:
        saved = storage.save(name, File(handle, name=name))
    if saved != name:
        raise BackupError(
            f"文件未能以原名恢复 / file not restored under its name: {name} (stored as {saved})"
        )


# --- create --------------------------------------------------------------------------------


def _prepare_directory(out: Path) -> None:
    """Create the backup directory, refusing one that holds anything."""
    if out.exists() and not out.is_dir():
        raise BackupError(f"备份目录不是目录 / backup path is not a directory: {out}")
    if out.is_dir() and any(out.iterdir()):
        raise BackupError(f"备份目录非空 / backup directory is not empty: {out}")
    out.mkdir(parents=True, exist_ok=True)


def _dump_database(out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Dump the database into ``out``; the dump's manifest entry and the database facts."""
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"不支持的数据库 / unsupported database: {vendor}")
    if connection.in_atomic_block:
        raise BackupError("备份须在事务之外运行 / backup must run outside a transaction")
    dump = out / DUMP_NAMES[vendor]
    facts = _dump_postgresql(dest=dump) if vendor == "postgresql" else _dump_sqlite(dest=dump)
    entry = {
        "vendor": vendor,
        "file": dump.name,
        "sha256": _sha256(dump),
        "size": dump.stat().st_size,
    }
    return entry, facts


def _write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest last, atomically: its presence marks a finished backup."""
    partial = out / f".{MANIFEST_NAME}.partial"
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.replace(out / MANIFEST_NAME)


def backup_create(*, out: Path, storage: Storage | None = None) -> BackupResult:
    """Write a backup of the database and every stored file into the empty directory ``out``.

    The database is dumped first, the files copied after it: a file written meanwhile is
    at worst an extra file in the backup, never missing for a row in the dump. The row
    counts, migrations and audit head are read from the same snapshot as the dump (the
    copy itself on SQLite, pg_dump's exported snapshot on PostgreSQL).
    """
    started = time.monotonic()
    storage = storage or default_storage
    _prepare_directory(out)
    database, facts = _dump_database(out)
    files = _backup_files(storage, out / FILES_DIR)
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "qinqing_version": _qinqing_version(),
        "database": database,
        "migrations": facts["migrations"],
        "tables": facts["tables"],
        "audit_head": facts["audit_head"],
        "files": files,
    }
    _write_manifest(out, manifest)
    size = database["size"] + sum(entry["size"] for entry in files.values())
    return BackupResult(
        directory=out,
        tables=len(facts["tables"]),
        rows=sum(facts["tables"].values()),
        files=len(files),
        size=size,
        seconds=time.monotonic() - started,
    )


# --- restore -------------------------------------------------------------------------------


def read_manifest(directory: Path) -> dict[str, Any]:
    """The backup's manifest, refused when missing, unreadable or of another format."""
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise BackupError(
            f"不是完整的备份（缺少 {MANIFEST_NAME}）/ not a complete backup (no {MANIFEST_NAME}):"
            f" {directory}"
        )
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"备份清单无法读取 / unreadable manifest: {path}: {exc}") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(
            f"备份格式不受支持 / unsupported backup format: {manifest.get('format')!r}"
        )
    return manifest


def _check_part(path: Path, entry: dict[str, Any], label: str) -> None:
    if not path.is_file():
        raise BackupError(f"备份已损坏（缺少文件）/ backup is damaged, missing: {label}")
    if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
        raise BackupError(
            f"备份已损坏（校验和不符）/ backup is damaged, checksum mismatch: {label}"
        )


def verify_checksums(directory: Path, manifest: dict[str, Any]) -> None:
    """Check the size and SHA-256 of the dump and of every file against the manifest."""
    database = manifest["database"]
    _check_part(directory / _safe_name(database["file"]).name, database, database["file"])
    for name, entry in manifest["files"].items():
        path = directory / FILES_DIR / _safe_name(name)
        _check_part(path, entry, f"{FILES_DIR}/{name}")


def _check_target(storage: Storage, *, force: bool) -> None:
    """Refuse a target holding data or a stored file, unless forced.

    A database without tables is empty, and so is a migrated one holding only the rows
    that ``migrate`` writes by itself (``SEEDED_BY_MIGRATE``).
    """
    if force:
        return
    seeded = _seeded_tables()
    with connection.cursor() as cursor:
        tables = _existing_tables(cursor, connection.vendor)
        for table in model_tables():
            if table in tables and table not in seeded:
                cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")
                if cursor.fetchone() is not None:
                    raise BackupError(
                        f"目标数据库非空 / target database is not empty: table {table} has rows"
                        " (use --force to overwrite)"
                    )
    first = next(stored_files(storage), None)
    if first is not None:
        raise BackupError(
            f"目标存储非空 / target storage is not empty: {first} (use --force to overwrite)"
        )


def _check_restored(manifest: dict[str, Any]) -> None:
    """Compare every table's row count and the audit chain with the manifest."""
    with connection.cursor() as cursor:
        facts = _database_facts(cursor, connection.vendor)
    for table, expected in manifest["tables"].items():
        found = facts["tables"].get(table)
        if found != expected:
            raise BackupError(
                f"行数不符 / row count mismatch: table {table} has {found}, backup has {expected}"
            )
    # The chain check belongs to audit/, above common/: imported only when it runs.
    from qinqing.audit.services import verify

    result = verify()
    if not result.ok:
        raise BackupError(
            f"审计链校验失败 / audit chain check failed at entry {result.first_bad_seq}"
            f" ({result.reason}, {result.checked} entries verified before it)"
        )
    if facts["audit_head"] != manifest["audit_head"]:
        raise BackupError(
            f"审计链头与备份不符 / audit chain head differs from the backup:"
            f" {facts['audit_head']} != {manifest['audit_head']}"
        )


def backup_restore(
    *, source: Path, force: bool = False, storage: Storage | None = None
) -> RestoreResult:
    """Restore a backup into the configured database and the default storage.

    Checks every checksum first and refuses a target holding data unless ``force``;
    ends by comparing row counts and the audit chain with the backup.
    """
    started = time.monotonic()
    storage = storage or default_storage
    manifest = read_manifest(source)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"数据库类型不符 / database vendor mismatch: backup is {vendor},"
            f" target is {connection.vendor}"
        )
    verify_checksums(source, manifest)
    _check_target(storage, force=force)
    dump = source / _safe_name(manifest["database"]["file"]).name
    if vendor == "postgresql":
        _restore_postgresql(dump=dump)
    else:
        _restore_sqlite(dump=dump)
    for name in manifest["files"]:
        _restore_file(storage, name, source / FILES_DIR / _safe_name(name), force=force)
    _check_restored(manifest)
    return RestoreResult(
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        files=len(manifest["files"]),
        seconds=time.monotonic() - started,
    )
