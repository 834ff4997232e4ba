"""One leader at a time among processes on several machines (the scheduler's clock).

On PostgreSQL the leader holds a session advisory lock on a connection of its own: the lock
goes with the connection, so a leader that dies, hangs up or loses the network frees it
and another machine's scheduler takes over within one round. On SQLite (one machine by
definition) an exclusive ``flock`` on a file in the var directory does the same.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.db import connection


class LeaderLock(Protocol):
    def acquire(self) -> bool:
        """Try to become the leader without waiting; True when this process leads."""

    def still_held(self) -> bool:
        """Whether this process still leads (False once the lock was lost)."""

    def release(self) -> None: ...


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from a name."""
    digest = hashlib.sha256(f"qinqing:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLeaderLock:
    """A session advisory lock held on a dedicated connection (not Django's)."""

    def __init__(self, name: str, conninfo: dict[str, Any]) -> None:
        self.key = lock_key(name)
        self.conninfo = conninfo
        self.conn: Any = None

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            autocommit=True,
            application_name="qinqing-schedule",
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            connect_timeout=5,
            **self.conninfo,
        )

    def acquire(self) -> bool:
        if self.conn is None or self.conn.closed:
            self.conn = self._connect()
        row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", [self.key]).fetchone()
        return bool(row and row[0])

    def still_held(self) -> bool:
        if self.conn is None or self.conn.closed:
            return False
        # the lock lives as long as the session: a live connection still holds it
        try:
            self.conn.execute("SELECT 1").fetchone()
        except Exception:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


class FileLeaderLock:
    """An exclusive, non-blocking ``flock`` (SQLite deployments: one machine)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 (held open while leading)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self.handle = handle
        return True

    def still_held(self) -> bool:
        return self.handle is not None and not self.handle.closed

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def leader_lock(name: str) -> LeaderLock:
    """The lock that fits the configured database."""
    if connection.vendor == "postgresql":
        params = connection.get_connection_params()
        conninfo = {
            k: v
            for k, v in params.items()
            if k in {"dbname", "user", "password", "host", "port", "sslmode"} and v
        }
        return PostgresLeaderLock(name, conninfo)
    return FileLeaderLock(Path(settings.VAR_DIR) / f"{name}.lock")
