"""The catalog: one SQLite file holding the records, the registry projection and (later) the ledger.

- WAL journal (readers never block the writer), ``synchronous=FULL`` (a committed record survives
  a power cut), foreign keys on, a generous busy timeout.
- Schema versions in ``PRAGMA user_version``; :data:`MIGRATIONS` are applied forward, each in one
  transaction, when a catalog is opened. A catalog newer than this program is refused.
- Records and their files are immutable: triggers refuse UPDATE and DELETE. A correction is a new
  record that ``supersedes`` the old one.
- One transaction per record: :meth:`Catalog.transaction` is ``BEGIN IMMEDIATE … COMMIT``.

Rows are plain dicts; this module knows nothing about case types or documents.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from archive.errors import StorageError

MIGRATIONS: list[str] = [
    # 1: records, their files, the registry projection, settings-like metadata
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE records (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        id          TEXT NOT NULL UNIQUE,
        type        TEXT NOT NULL,
        subtype     TEXT,
        doc_no      TEXT,
        title       TEXT NOT NULL,
        enterprise  TEXT,
        contractor  TEXT,
        project     TEXT,
        doc_date    TEXT,
        data        TEXT NOT NULL,
        refs        TEXT NOT NULL,
        source_name TEXT,
        origin      TEXT NOT NULL,
        supersedes  TEXT REFERENCES records(id),
        note        TEXT,
        created_at  TEXT NOT NULL,
        seal        TEXT,
        signature   BLOB,
        signer      TEXT
    );
    CREATE INDEX records_type ON records(type, subtype);
    CREATE INDEX records_contractor ON records(contractor);
    CREATE INDEX records_enterprise ON records(enterprise);
    CREATE INDEX records_doc_no ON records(doc_no);
    CREATE INDEX records_supersedes ON records(supersedes);
    CREATE TABLE record_files (
        record_id  TEXT NOT NULL REFERENCES records(id),
        role       TEXT NOT NULL,
        name       TEXT NOT NULL,
        sha256     TEXT NOT NULL,
        size       INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        PRIMARY KEY (record_id, role, name)
    );
    CREATE TABLE registry (
        kind      TEXT NOT NULL,
        key       TEXT NOT NULL,
        record_id TEXT NOT NULL REFERENCES records(id),
        name      TEXT NOT NULL,
        extra     TEXT,
        PRIMARY KEY (kind, key)
    );
    CREATE TRIGGER records_immutable_u BEFORE UPDATE ON records
        BEGIN SELECT RAISE(ABORT, 'records are immutable; supersede instead'); END;
    CREATE TRIGGER records_immutable_d BEFORE DELETE ON records
        BEGIN SELECT RAISE(ABORT, 'records are immutable; supersede instead'); END;
    CREATE TRIGGER record_files_immutable_u BEFORE UPDATE ON record_files
        BEGIN SELECT RAISE(ABORT, 'record files are immutable'); END;
    CREATE TRIGGER record_files_immutable_d BEFORE DELETE ON record_files
        BEGIN SELECT RAISE(ABORT, 'record files are immutable'); END;
    """,
    # 2: the append-only Merkle ledger (RFC 9162 hashing) and its signed checkpoints
    """
    CREATE TABLE ledger (
        idx        INTEGER PRIMARY KEY,
        kind       TEXT NOT NULL,
        record_id  TEXT,
        entry      TEXT NOT NULL,
        leaf_hash  BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX ledger_record ON ledger(record_id);
    CREATE TABLE checkpoints (
        tree_size INTEGER PRIMARY KEY,
        root      BLOB NOT NULL,
        note      TEXT NOT NULL,
        signature BLOB NOT NULL,
        signer    TEXT NOT NULL,
        signed_at TEXT NOT NULL
    );
    CREATE TRIGGER ledger_append_only_u BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_append_only_d BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER checkpoints_immutable_u BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
    CREATE TRIGGER checkpoints_immutable_d BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are immutable'); END;
    """,
    # 3: packages exchanged with other archives: their checkpoints we witnessed, the inclusion
    #    proofs of imported records, and a log of packages exported and imported
    """
    CREATE TABLE witnessed (
        origin         TEXT NOT NULL,
        tree_size      INTEGER NOT NULL,
        root           BLOB NOT NULL,
        note           TEXT NOT NULL,
        signer         TEXT NOT NULL,
        cosignature    BLOB NOT NULL,
        package_digest TEXT NOT NULL,
        witnessed_at   TEXT NOT NULL,
        PRIMARY KEY (origin, tree_size)
    );
    CREATE TABLE imported_proofs (
        record_id  TEXT PRIMARY KEY REFERENCES records(id),
        origin     TEXT NOT NULL,
        leaf_index INTEGER NOT NULL,
        leaf_data  TEXT NOT NULL,
        tree_size  INTEGER NOT NULL,
        proof      TEXT NOT NULL
    );
    CREATE TABLE packages (
        digest     TEXT NOT NULL,
        direction  TEXT NOT NULL,
        kind       TEXT NOT NULL,
        origin     TEXT NOT NULL,
        path       TEXT,
        records    INTEGER NOT NULL,
        info       TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (digest, direction)
    );
    CREATE TRIGGER witnessed_immutable_u BEFORE UPDATE ON witnessed
        BEGIN SELECT RAISE(ABORT, 'witnessed checkpoints are immutable'); END;
    CREATE TRIGGER witnessed_immutable_d BEFORE DELETE ON witnessed
        BEGIN SELECT RAISE(ABORT, 'witnessed checkpoints are immutable'); END;
    CREATE TRIGGER imported_proofs_immutable_u BEFORE UPDATE ON imported_proofs
        BEGIN SELECT RAISE(ABORT, 'imported proofs are immutable'); END;
    CREATE TRIGGER imported_proofs_immutable_d BEFORE DELETE ON imported_proofs
        BEGIN SELECT RAISE(ABORT, 'imported proofs are immutable'); END;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class Catalog:
    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        if not create and not path.exists():
            raise StorageError(
                f"没有档案目录 {path.parent} (no archive here)",
                hint="run `outsafe init --org ORG.yaml` first, or point --home / OUTSAFE_HOME at an archive",
            )
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
        except sqlite3.Error as e:
            raise StorageError(f"无法打开目录数据库 (cannot open catalog {path}): {e}") from e
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=60000")
        if create:
            path.chmod(0o600)
        self._in_tx = False

    # --- schema -----------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> int:
        """Apply pending forward migrations; return how many were applied."""
        current = self.version
        if current > len(MIGRATIONS):
            raise StorageError(
                f"目录数据库版本 {current} 比本程序新 (catalog schema {current} is newer than this outsafe, "
                f"which knows {len(MIGRATIONS)})",
                hint="upgrade outsafe",
            )
        applied = 0
        for number in range(current + 1, len(MIGRATIONS) + 1):
            with self.transaction():
                for stmt in _split_sql(MIGRATIONS[number - 1]):
                    self.db.execute(stmt)
                self.db.execute(f"PRAGMA user_version={number}")
            applied += 1
        return applied

    # --- transactions -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self._in_tx:
            yield self.db
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StorageError(f"无法开始事务 (cannot begin transaction): {e}") from e
        self._in_tx = True
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error as e:
                self.db.execute("ROLLBACK")
                raise StorageError(f"提交失败 (commit failed): {e}") from e
        finally:
            self._in_tx = False

    def close(self) -> None:
        self.db.close()

    # --- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    # --- records ----------------------------------------------------------------------------

    RECORD_COLUMNS = (
        "id", "type", "subtype", "doc_no", "title", "enterprise", "contractor", "project", "doc_date",
        "data", "refs", "source_name", "origin", "supersedes", "note", "created_at", "seal", "signature", "signer",
    )

    def insert_record(self, row: dict[str, Any], files: Sequence[dict[str, Any]] = ()) -> int:
        """Insert one record and its file rows; the caller holds :meth:`transaction`."""
        cols = [c for c in self.RECORD_COLUMNS if c in row]
        cur = self.db.execute(
            f"INSERT INTO records({', '.join(cols)}) VALUES({', '.join('?' for _ in cols)})",
            [row[c] for c in cols],
        )
        for f in files:
            self.db.execute(
                "INSERT INTO record_files(record_id, role, name, sha256, size, media_type) VALUES(?,?,?,?,?,?)",
                (row["id"], f["role"], f["name"], f["sha256"], f["size"], f["media_type"]),
            )
        return int(cur.lastrowid)

    def get_record(self, record_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM records WHERE id=?", (record_id,)).fetchone()
        return dict(row) if row else None

    def find_record_ids(self, prefix: str, limit: int = 3) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM records WHERE id LIKE ? ORDER BY id LIMIT ?", (prefix + "%", limit))]

    def record_files(self, record_id: str) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.db.execute("SELECT * FROM record_files WHERE record_id=? ORDER BY role, name", (record_id,))
        ]

    def superseded_by(self, record_id: str) -> str | None:
        row = self.db.execute("SELECT id FROM records WHERE supersedes=? ORDER BY seq LIMIT 1", (record_id,)).fetchone()
        return row[0] if row else None

    def list_records(
        self,
        *,
        types: Sequence[str] = (),
        subtype: str | None = None,
        contractor: str | None = None,
        enterprise: str | None = None,
        project: str | None = None,
        doc_no: str | None = None,
        since: str | None = None,
        until: str | None = None,
        current_only: bool = False,
        after_seq: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        where, args = [], []
        if types:
            where.append(f"type IN ({', '.join('?' for _ in types)})")
            args.extend(types)
        for col, val in (("subtype", subtype), ("contractor", contractor), ("enterprise", enterprise), ("project", project),
                         ("doc_no", doc_no)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        if since:
            where.append("doc_date >= ?")
            args.append(since)
        if until:
            where.append("doc_date <= ?")
            args.append(until + "\uffff")
        if current_only:
            where.append("NOT EXISTS (SELECT 1 FROM records s WHERE s.supersedes = records.id)")
        if after_seq is not None:
            where.append("seq > ?")
            args.append(after_seq)
        sql = "SELECT * FROM records" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [dict(r) for r in self.db.execute(sql, args)]

    def count_records(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0]

    def max_seq(self) -> int:
        return self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0]

    # --- registry projection ----------------------------------------------------------------

    def put_registry(self, kind: str, key: str, record_id: str, name: str, extra: dict | None = None) -> None:
        self.db.execute(
            "INSERT INTO registry(kind, key, record_id, name, extra) VALUES(?,?,?,?,?) "
            "ON CONFLICT(kind, key) DO UPDATE SET record_id=excluded.record_id, name=excluded.name, extra=excluded.extra",
            (kind, key, record_id, name, json.dumps(extra, ensure_ascii=False) if extra else None),
        )

    def get_registry(self, kind: str, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM registry WHERE kind=? AND key=?", (kind, key)).fetchone()
        return dict(row) if row else None

    def list_registry(self, kind: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM registry WHERE kind=? ORDER BY key", (kind,))]


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out
