"""One SQLite connection of a catalog: its pragmas, its transaction, and the few helpers every
SQLite store runs its statements through (driver errors become :class:`StorageError` here).

- WAL journal (readers never block the writer), ``synchronous=FULL`` (a committed record survives
  a power cut), foreign keys on, a generous busy timeout.
- Autocommit outside :meth:`Connection.transaction`, which is ``BEGIN IMMEDIATE … COMMIT``: the
  write lock of the database is taken at the start, so a transaction never fails half-way for
  another writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storage.errors import CatalogDamaged, StorageError

BUSY_TIMEOUT_S = 60


class Connection:
    def __init__(self, path: Path, *, create: bool = False, readonly: bool = False) -> None:
        self.path = path
        if not create and not path.exists():
            raise StorageError(
                f"没有档案目录 {path.parent} (no archive here)",
                hint="run `outsafe init --org ORG.yaml` first, or point --home / OUTSAFE_HOME at an archive",
            )
        try:
            if readonly:
                self.raw = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S,
                                           isolation_level=None, check_same_thread=False)
            else:
                self.raw = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            self.raw.row_factory = sqlite3.Row
            if not readonly:
                self.raw.execute("PRAGMA journal_mode=WAL")
                self.raw.execute("PRAGMA synchronous=FULL")
            self.raw.execute("PRAGMA foreign_keys=ON")
            self.raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        except sqlite3.Error as e:
            if _damaged(e):
                raise CatalogDamaged(f"目录数据库已损坏 {path} (the catalog is damaged: {e})") from e
            raise StorageError(
                f"无法打开目录数据库 {path} (cannot open the catalog: {e})",
                hint="目录文件已损坏或不是 outsafe 目录，请从备份恢复 (the file is damaged or not an outsafe catalog: restore it from a backup)",
            ) from e
        if create and not readonly:
            path.chmod(0o600)
        self._in_tx = False

    # --- transactions -------------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        return self._in_tx

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_tx:  # nested: joins the outer transaction
            yield
            return
        try:
            self.raw.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StorageError(f"无法开始事务 (cannot begin a catalog transaction): {e}") from e
        self._in_tx = True
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self.raw.execute("COMMIT")
            except sqlite3.Error as e:
                self._rollback()
                raise StorageError(f"提交失败 (commit failed): {e}") from e
        finally:
            self._in_tx = False

    def _rollback(self) -> None:
        try:
            self.raw.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. after a full disk); nothing is committed either way

    def close(self) -> None:
        self.raw.close()

    # --- statements ---------------------------------------------------------------------------

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            return [dict(r) for r in self.raw.execute(sql, args)]
        except sqlite3.Error as e:
            raise _error(e, "read") from e

    def row(self, sql: str, args: Sequence[Any] = ()) -> dict[str, Any] | None:
        try:
            r = self.raw.execute(sql, args).fetchone()
        except sqlite3.Error as e:
            raise _error(e, "read") from e
        return dict(r) if r is not None else None

    def column(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        try:
            return [r[0] for r in self.raw.execute(sql, args)]
        except sqlite3.Error as e:
            raise _error(e, "read") from e

    def value(self, sql: str, args: Sequence[Any] = ()) -> Any:
        try:
            r = self.raw.execute(sql, args).fetchone()
        except sqlite3.Error as e:
            raise _error(e, "read") from e
        return r[0] if r is not None else None

    def write(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one writing statement inside the caller's transaction; the new row's rowid."""
        if not self._in_tx:
            raise RuntimeError(f"catalog write outside a transaction: {sql.split('(')[0].strip()}")
        try:
            return int(self.raw.execute(sql, args).lastrowid or 0)
        except sqlite3.Error as e:
            raise _error(e, "write") from e


# SQLite result codes of a damaged file: SQLITE_CORRUPT (11), SQLITE_NOTADB (26)
_DAMAGED_CODES = frozenset({11, 26})


def _damaged(e: sqlite3.Error) -> bool:
    return (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF in _DAMAGED_CODES


def _error(e: sqlite3.Error, what: str) -> StorageError:
    if _damaged(e):
        return CatalogDamaged(f"目录数据库已损坏 (the catalog is damaged: {e})")
    if isinstance(e, sqlite3.IntegrityError):
        return StorageError(f"目录数据库拒绝写入 (the catalog refused the write: {e})")
    verb = "读取" if what == "read" else "写入"
    return StorageError(
        f"目录数据库{verb}失败 (catalog {what} failed: {e})",
        hint="运行 outsafe verify 查明原因 (run outsafe verify)",
    )
