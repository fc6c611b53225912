"""The archive write lock of a PostgreSQL catalog: a session-level advisory lock
(:class:`storage.interfaces.WriteLock`).

Every process on every machine that writes the archive takes the same lock in the same database
(:data:`~storage.postgresql.connection.ARCHIVE_CLASS`, the catalog's schema), on a connection of
its own held for as long as it writes. A second writer waits, saying once, after a second, who
holds it (``pg_stat_activity``'s application name: pid and host). The server drops the lock when
the holder's connection ends — a killed process, a lost machine (after TCP keepalive) — so a stale
lock cannot exist, as with ``flock``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from storage.errors import StorageError
from storage.postgresql.connection import ARCHIVE_CLASS, connect, redact, schema_key

WAIT_BEFORE_MESSAGE = 1.0
LABEL = "档案写锁 (the archive lock)"


def _default_notify(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class AdvisoryLock:
    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def name(self) -> str:
        return f"PostgreSQL advisory lock ({ARCHIVE_CLASS}, schema) on {redact(self.url)}"

    @contextmanager
    def hold(self, what: str = "", notify: Callable[[str], None] | None = None) -> Iterator[None]:
        notify = notify or _default_notify
        conn = connect(self.url, what=what)
        try:
            key = (ARCHIVE_CLASS, schema_key(conn.execute("SELECT current_schema() AS s").fetchone()["s"]))
            deadline = time.monotonic() + WAIT_BEFORE_MESSAGE
            while not _try(conn, key):
                if time.monotonic() >= deadline:
                    notify(f"等待{LABEL}，持有者 {_holder(conn, key)} (waiting for the lock) …")
                    _run(conn, "SELECT pg_advisory_lock(%s, %s)", key)
                    break
                time.sleep(0.02)
            try:
                yield
            finally:
                _run(conn, "SELECT pg_advisory_unlock(%s, %s)", key, quiet=True)
        finally:
            conn.close()

    @contextmanager
    def hold_if_free(self) -> Iterator[bool]:
        conn = connect(self.url, what="clean")
        try:
            key = (ARCHIVE_CLASS, schema_key(conn.execute("SELECT current_schema() AS s").fetchone()["s"]))
            if not _try(conn, key):
                yield False
                return
            try:
                yield True
            finally:
                _run(conn, "SELECT pg_advisory_unlock(%s, %s)", key, quiet=True)
        finally:
            conn.close()

    def close(self) -> None:
        pass


def _try(conn: psycopg.Connection, key: tuple[int, int]) -> bool:
    row = _run(conn, "SELECT pg_try_advisory_lock(%s, %s) AS got", key)
    return bool(row and row["got"])


def _holder(conn: psycopg.Connection, key: tuple[int, int]) -> str:
    row = _run(conn, "SELECT a.application_name AS who, a.client_addr::text AS addr FROM pg_locks l "
                     "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                     "AND l.classid = (%s::bigint & 4294967295)::oid AND l.objid = (%s::bigint & 4294967295)::oid "
                     "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1", key,
               quiet=True)
    if not row:
        return "another process"
    return f"{row['who'] or 'another process'}" + (f" ({row['addr']})" if row.get("addr") else "")


def _run(conn: psycopg.Connection, sql: str, args: tuple, *, quiet: bool = False) -> dict | None:
    try:
        cur = conn.execute(sql, args)
        return cur.fetchone() if cur.description else None
    except psycopg.Error as e:
        if quiet:
            return None
        raise StorageError(f"无法取得档案写锁 (cannot take the archive lock on {redact(conn.info.dsn)}): {e}") from e
