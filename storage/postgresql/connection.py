"""One PostgreSQL connection of a catalog (psycopg 3): its transaction, and the helpers every
PostgreSQL store runs its statements through (driver errors become :class:`StorageError` here).

- Autocommit outside :meth:`Connection.transaction`, which is ``BEGIN … COMMIT`` and takes a
  transaction-level advisory lock first (:data:`TX_CLASS`, per schema): write transactions of
  every process and machine run one after the other, like SQLite's ``BEGIN IMMEDIATE``. So the
  record ``seq`` and the ledger index, both "one past the highest" read under that lock, are
  gap-free and increase in commit order — what the caches that catch up by ``seq`` rely on — and
  a transaction never fails half-way for another writer.
- Readers never wait: READ COMMITTED snapshots, no lock. A read-only connection
  (``readonly=True``) sets ``default_transaction_read_only``: the server refuses its writes.
- Rows come back as dicts with ``bytes`` for BYTEA and ``int`` for BIGINT (psycopg's defaults).
"""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

import psycopg
from psycopg.rows import dict_row

from storage.errors import StorageError
from storage.home import public_location

# advisory lock classes (pg_advisory_lock(int4, int4)): the first key says what is locked, the
# second which catalog (a hash of the schema); a database holds one catalog per schema
TX_CLASS = 0x6F757478  # "outx": one catalog write transaction at a time
ARCHIVE_CLASS = 0x6F757473  # "outs": the archive write lock (storage.postgresql.lock)


def redact(url: str) -> str:
    """``url`` without its password (for messages)."""
    return public_location(url)


def schema_key(schema: str) -> int:
    """The second advisory-lock key of a catalog: a signed 32-bit hash of its schema name."""
    n = zlib.crc32(schema.encode())
    return n - (1 << 32) if n >= 1 << 31 else n


def application_name(what: str = "") -> str:
    """What ``pg_stat_activity`` shows for this process: who holds a lock (63 bytes at most)."""
    text = f"outsafe pid {os.getpid()} on {socket.gethostname()}" + (f" {what}" if what else "")
    return text.encode()[:63].decode(errors="ignore")


def connect(url: str, *, readonly: bool = False, what: str = "") -> psycopg.Connection:
    try:
        conn = psycopg.connect(url, autocommit=True, row_factory=dict_row, application_name=application_name(what),
                               connect_timeout=30)
    except psycopg.Error as e:
        raise StorageError(
            f"无法连接目录数据库 {redact(url)} (cannot connect to the PostgreSQL catalog: {_first_line(e)})",
            hint="检查 outsafe.toml 中的 catalog 地址、数据库是否运行、用户和口令 (PGPASSWORD 或 ~/.pgpass) "
                 "(check the catalog URL in outsafe.toml, that the server runs, the user and password)",
        ) from e
    if readonly:
        conn.execute("SET default_transaction_read_only = on")
    return conn


class Connection:
    def __init__(self, url: str, *, readonly: bool = False) -> None:
        self.url = url
        self.readonly = readonly
        self.raw = connect(url, readonly=readonly)
        self.schema = str(self.value("SELECT current_schema()") or "public")
        self.key = schema_key(self.schema)
        self._in_tx = False
        self.counters: dict[str, int] = {}  # "next" values read under the transaction lock (seq, idx)

    # --- transactions -------------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        return self._in_tx

    @contextmanager
    def transaction(self, *, pipeline: bool = True, schema_change: bool = False) -> Iterator[None]:
        """BEGIN, the transaction lock, the caller's statements, COMMIT — in psycopg's pipeline
        mode: writes are sent without waiting for each answer (a read waits for everything before
        it), so a package of a thousand records is not a thousand round trips. A write the server
        refuses is raised by the next read or at the end of the block, as StorageError; either way
        the whole transaction is rolled back. ``pipeline=False``: one statement at a time (a
        migration script of several statements cannot be pipelined).

        ``schema_change``: the lock is taken (for the session) *before* BEGIN. A transaction that
        began, then waited for the lock while another process created tables, would still see the
        catalog as it was when it began (the server refreshes its cache of table names at the start
        of a transaction, not after an advisory lock): it would not find the other's new tables
        and try to create them again."""
        if self._in_tx:  # nested: joins the outer transaction
            yield
            return
        self._in_tx = True
        held = False
        try:
            try:
                if schema_change and not self.readonly:
                    self.raw.execute("SELECT pg_advisory_lock(%s, %s)", (TX_CLASS, self.key))
                    held = True
                with self.raw.pipeline() if pipeline else nullcontext():
                    self.raw.execute("BEGIN")
                    if not self.readonly:
                        self.raw.execute("SELECT pg_advisory_xact_lock(%s, %s)", (TX_CLASS, self.key))
                    yield
                    self.raw.execute("COMMIT")
            except psycopg.Error as e:
                raise _error(e, "write", self.url) from e
        except BaseException:
            self._rollback()
            raise
        finally:
            self._in_tx = False
            self.counters.clear()
            if held:
                self._unlock()

    def _rollback(self) -> None:
        if self.raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            return  # nothing begun (or committed already)
        try:
            self.raw.execute("ROLLBACK")
        except psycopg.Error:
            pass  # the connection is gone: the server rolled back; nothing is committed either way

    def _unlock(self) -> None:
        try:
            self.raw.execute("SELECT pg_advisory_unlock(%s, %s)", (TX_CLASS, self.key))
        except psycopg.Error:
            pass  # the connection is gone: so is its lock

    def close(self) -> None:
        self.raw.close()

    # --- statements ---------------------------------------------------------------------------

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            return self.raw.execute(sql, args).fetchall()
        except psycopg.Error as e:
            raise _error(e, "read", self.url) from e

    def row(self, sql: str, args: Sequence[Any] = ()) -> dict[str, Any] | None:
        try:
            return self.raw.execute(sql, args).fetchone()
        except psycopg.Error as e:
            raise _error(e, "read", self.url) from e

    def column(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        try:
            return [next(iter(r.values())) for r in self.raw.execute(sql, args)]
        except psycopg.Error as e:
            raise _error(e, "read", self.url) from e

    def value(self, sql: str, args: Sequence[Any] = ()) -> Any:
        r = self.row(sql, args)
        return next(iter(r.values())) if r else None

    def write(self, sql: str, args: Sequence[Any] = ()) -> None:
        """Send one writing statement inside the caller's transaction (pipelined: its failure is
        raised by the next read or at the end of the transaction)."""
        self.require_transaction(sql)
        try:
            self.raw.execute(sql, args)
        except psycopg.Error as e:
            raise _error(e, "write", self.url) from e

    def write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One writing statement for each of ``rows`` (sent together), inside the transaction."""
        self.require_transaction(sql)
        if not rows:
            return
        try:
            with self.raw.cursor() as cur:
                cur.executemany(sql, rows)
        except psycopg.Error as e:
            raise _error(e, "write", self.url) from e

    def script(self, sql: str) -> None:
        """Several statements without parameters (a migration), inside the transaction."""
        self.require_transaction(sql)
        try:
            self.raw.execute(sql)
        except psycopg.Error as e:
            raise _error(e, "write", self.url) from e

    def require_transaction(self, sql: str) -> None:
        if not self._in_tx:
            raise RuntimeError(f"catalog write outside a transaction: {sql.split('(')[0].strip()}")


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _error(e: psycopg.Error, what: str, url: str) -> StorageError:
    if isinstance(e, psycopg.errors.IntegrityError):
        return StorageError(f"目录数据库拒绝写入 (the catalog refused the write: {_first_line(e)})")
    if isinstance(e, psycopg.errors.ReadOnlySqlTransaction):
        return StorageError(f"目录以只读方式打开，不能写入 (the catalog is open read-only: {_first_line(e)})")
    if isinstance(e, psycopg.errors.InsufficientPrivilege):
        return StorageError(
            f"数据库用户无权执行此操作 (the database user may not do this: {_first_line(e)})",
            hint="由数据库管理员用表的所有者角色运行迁移或授权 (let the owner role migrate or grant; see README, PostgreSQL)",
        )
    if isinstance(e, psycopg.OperationalError):
        return StorageError(
            f"与目录数据库的连接中断 {redact(url)} (lost the connection to the catalog: {_first_line(e)})",
            hint="检查数据库服务后重试；未提交的写入没有生效 (check the server and try again; nothing uncommitted was kept)",
        )
    verb = {"read": "读取", "write": "写入", "begin": "开始事务"}.get(what, what)
    return StorageError(
        f"目录数据库{verb}失败 (catalog {what} failed: {_first_line(e)})",
        hint="运行 outsafe verify 查明原因 (run outsafe verify)",
    )
