"""The errors storage/ raises: one class, so that the layers above can catch and translate it.

    StorageError        the archive home, catalog or blob store cannot be used    (exit 1)
    ├── BlobMissing     a blob the catalog names is not in the blob store
    ├── BlobDamaged     a blob's bytes do not hash to its name                     (exit 3)
    └── CatalogDamaged  the catalog file is corrupt or truncated                  (exit 3)

storage/ is the bottom layer and imports nothing of the engine; ``archive.errors.StorageError``
(the engine's family in its one exception tree) is also a :class:`StorageError` from here, and the
command line translates a bare one into the same one line and exit code. Driver errors (sqlite3,
psycopg, botocore) are wrapped into these at the edge of the backend, ``raise … from e``.
"""

from __future__ import annotations


class StorageError(Exception):
    """Durable state cannot be read or written. ``message`` is Chinese first, English in
    parentheses; ``hint`` says how to fix it."""

    exit_code: int = 1
    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint

    def lines(self) -> list[str]:
        return [self.message] + ([f"→ {self.hint}"] if self.hint else [])


class BlobMissing(StorageError):
    """A content-addressed file is not in the blob store."""


class BlobDamaged(StorageError):
    """A stored blob does not hash to its name: it was altered or damaged where it is kept."""

    exit_code = 3
    hint = "运行 outsafe verify 查明受影响的记录，并从备份恢复该文件 (run outsafe verify to name the records; restore the blob from a backup)"


class CatalogDamaged(StorageError):
    """The catalog database is damaged (not a database, corrupt pages, truncated): what it held
    cannot be proved, so this is a verification failure, exit 3, like ``verify`` finding damage."""

    exit_code = 3
    hint = "目录文件已损坏，请从备份恢复后运行 outsafe verify (the catalog is damaged: restore it from a backup, then run outsafe verify)"
