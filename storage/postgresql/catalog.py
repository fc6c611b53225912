"""The PostgreSQL catalog: records, the registry projection, meta, the ledger, the package book,
the facts, the web's accounts and access log, the exams, the reminders' sent-log and the drafts in
one database schema; implements
:class:`storage.interfaces.Catalog`.

    catalog = open_catalog("postgresql://outsafe@db.example/outsafe")   # storage.catalog

Records, file rows, feed, registry and meta are here; the ledger rows are in
:mod:`storage.postgresql.ledger`, the package book in :mod:`storage.postgresql.packages`, the web's
accounts and access log in :mod:`storage.postgresql.access`, the facts of the views in
:mod:`storage.postgresql.facts`, the exams and the reminders' sent-log in
:mod:`storage.postgresql.training`, the drafts in :mod:`storage.postgresql.drafts`; all share one
:class:`~storage.postgresql.connection.Connection`, so one transaction spans them.

The record ``seq`` is "one past the highest", taken under the transaction lock of the connection
(see there): gap-free and in commit order with any number of writers on any number of machines.
Within a transaction the next value is kept on the connection, so a package of many records does
not ask the server for it again each time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from storage.errors import StorageError
from storage.postgresql.access import PostgresAccessLog, PostgresAccountStore
from storage.postgresql.connection import Connection, redact
from storage.postgresql.drafts import PostgresDraftStore
from storage.postgresql.facts import PostgresFactStore
from storage.postgresql.ledger import PostgresLedgerStore
from storage.postgresql.migrations import MIGRATIONS, SCHEMA_VERSION, grant_sql
from storage.postgresql.packages import PostgresPackageBook
from storage.postgresql.training import PostgresExamBook, PostgresReminderLog
from storage.rows import UNSEALED_COLUMNS, FileRow, NewFile, RecordRow, RegistryRow

RECORD_COLUMNS = (
    "id", "type", "subtype", "doc_no", "title", "enterprise", "contractor", "project", "doc_date",
    "data", "refs", "source_name", "origin", "supersedes", "note", "created_at", "seal", "signature", "signer",
)
_INSERT_RECORD = (
    f"INSERT INTO records(seq, {', '.join(RECORD_COLUMNS)}) VALUES(%s, {', '.join('%s' for _ in RECORD_COLUMNS)})"
)
_INSERT_FILE = "INSERT INTO record_files(record_id, role, name, sha256, size, media_type) VALUES(%s,%s,%s,%s,%s,%s)"
_CURRENT = "NOT EXISTS (SELECT 1 FROM records s WHERE s.supersedes = records.id)"


class PostgresCatalog:
    def __init__(self, url: str, *, create: bool = False, readonly: bool = False) -> None:
        self.url = url
        self.sql = Connection(url, readonly=readonly)
        self.ledger = PostgresLedgerStore(self.sql)
        self.packages = PostgresPackageBook(self.sql)
        self.facts = PostgresFactStore(self.sql)
        self.accounts = PostgresAccountStore(self.sql)
        self.access_log = PostgresAccessLog(self.sql)
        self.exams = PostgresExamBook(self.sql)
        self.reminders = PostgresReminderLog(self.sql)
        self.drafts = PostgresDraftStore(self.sql)

    # --- the catalog as a whole ---------------------------------------------------------------

    @property
    def location(self) -> str:
        return self.url

    @property
    def version(self) -> int:
        if self.sql.value("SELECT to_regclass('schema_version') IS NOT NULL") is not True:
            return 0
        return int(self.sql.value("SELECT version FROM schema_version") or 0)

    @property
    def latest_version(self) -> int:
        return SCHEMA_VERSION

    def migrate(self, upto: int | None = None) -> int:
        self._refuse_newer(self.version)
        target = SCHEMA_VERSION if upto is None else min(upto, SCHEMA_VERSION)
        applied = 0
        for number in range(self.version + 1, target + 1):
            with self.sql.transaction(pipeline=False, schema_change=True):
                current = self.version  # under the transaction lock: another process may have migrated
                self._refuse_newer(current)
                if current >= number:
                    continue
                self.sql.script(MIGRATIONS[number - 1])
                self.sql.write("UPDATE schema_version SET version = %s", (number,))
            applied += 1
        return applied

    def _refuse_newer(self, current: int) -> None:
        if current > SCHEMA_VERSION:
            raise StorageError(
                f"目录数据库版本 {current} 比本程序新 (catalog schema {current} is newer than this outsafe, "
                f"which knows {SCHEMA_VERSION}): {redact(self.url)}",
                hint="upgrade outsafe",
            )

    def grant(self, role: str) -> None:
        """Let ``role`` run outsafe on this catalog with the least it needs (see migrations.py)."""
        with self.sql.transaction(pipeline=False):
            for stmt in grant_sql(role):
                self.sql.script(stmt.format(schema='"' + self.sql.schema.replace('"', '""') + '"'))

    def transaction(self) -> AbstractContextManager[None]:
        return self.sql.transaction()

    @property
    def in_transaction(self) -> bool:
        return self.sql.in_transaction

    def close(self) -> None:
        self.sql.close()

    # --- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        value = self.sql.value("SELECT value FROM meta WHERE key=%s", (key,))
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        self.sql.write(
            "INSERT INTO meta(key, value) VALUES(%s, %s) ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value)
        )

    def meta_items(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self.sql.rows("SELECT key, value FROM meta ORDER BY key")}

    # --- records and their files --------------------------------------------------------------

    def insert_record(self, row: Mapping[str, Any], files: Sequence[NewFile] = ()) -> int:
        seq = self._next("seq", "SELECT COALESCE(MAX(seq), 0) + 1 FROM records")
        self.sql.write(_INSERT_RECORD, [seq] + [row.get(c) for c in RECORD_COLUMNS])
        self.sql.counters["seq"] = seq + 1
        self.sql.write_many(_INSERT_FILE, [(row["id"], f["role"], f["name"], f["sha256"], f["size"], f["media_type"]) for f in files])
        return seq

    def _next(self, name: str, query: str) -> int:
        """The next ``seq`` (or ledger index) of this transaction: read once under its lock."""
        self.sql.require_transaction(f"INSERT ({name})")
        if name not in self.sql.counters:
            self.sql.counters[name] = int(self.sql.value(query))
        return self.sql.counters[name]

    def get_record(self, record_id: str) -> RecordRow | None:
        return self.sql.row("SELECT * FROM records WHERE id=%s", (record_id,))  # type: ignore[return-value]

    def find_record_ids(self, prefix: str, limit: int = 3) -> list[str]:
        # a prefix comparison, not LIKE: a wildcard character in the prefix is taken literally
        return self.sql.column(
            "SELECT id FROM records WHERE id >= %s AND id < %s AND left(id, %s) = %s ORDER BY id LIMIT %s",
            (prefix, prefix + "\U0010ffff", len(prefix), prefix, int(limit)),
        )

    def record_files(self, record_id: str) -> list[FileRow]:
        return self.sql.rows(  # type: ignore[return-value]
            "SELECT * FROM record_files WHERE record_id=%s ORDER BY role, name", (record_id,)
        )

    def all_record_files(self) -> list[FileRow]:
        return self.sql.rows("SELECT * FROM record_files")  # type: ignore[return-value]

    def records_with_blob(self, sha256: str) -> list[str]:
        return self.sql.column("SELECT DISTINCT record_id FROM record_files WHERE sha256=%s ORDER BY record_id", (sha256,))

    def superseded_by(self, record_id: str) -> str | None:
        return self.sql.value("SELECT id FROM records WHERE supersedes=%s ORDER BY seq LIMIT 1", (record_id,))

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
        limit: int | None = None,
        belongs_to: str | None = None,
        sealed: bool = True,
    ) -> list[RecordRow]:
        where: list[str] = []
        args: list[Any] = []
        if belongs_to is not None:
            where.append("COALESCE(enterprise, origin)=%s")  # the index records_belongs
            args.append(belongs_to)
        if types:
            where.append("type = ANY(%s)")
            args.append(list(types))
        for col, val in (("subtype", subtype), ("contractor", contractor), ("enterprise", enterprise), ("project", project),
                         ("doc_no", doc_no)):
            if val is not None:
                where.append(f"{col}=%s")
                args.append(val)
        if since:
            where.append("doc_date >= %s")
            args.append(since)
        if until:
            where.append("doc_date <= %s")
            args.append(until + "\uffff")  # "2026-06-09 18:00" and "2026-06-30" sort below "2026-06\uffff" (C collation)
        if current_only:
            where.append(_CURRENT)
        sql = f"SELECT {'*' if sealed else UNSEALED_COLUMNS} FROM records" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.sql.rows(sql, args)  # type: ignore[return-value]

    def current_document(self, type: str, doc_no: str, enterprise: str | None) -> RecordRow | None:
        return self.sql.row(  # type: ignore[return-value]
            f"SELECT * FROM records WHERE type=%s AND doc_no=%s AND COALESCE(enterprise, '')=%s AND {_CURRENT} "
            "ORDER BY seq DESC LIMIT 1",
            (type, doc_no, enterprise or ""),
        )

    def organization_records(self, uscc: str, *, origin: str) -> list[RecordRow]:
        rows = self.sql.rows("SELECT * FROM records WHERE type='organization' AND origin=%s ORDER BY seq", (origin,))
        return [r for r in rows if _json_field(r["data"], "uscc") == uscc]  # type: ignore[misc]

    # --- the feed: records in sequence order --------------------------------------------------

    def max_seq(self) -> int:
        return int(self.sql.value("SELECT COALESCE(MAX(seq), 0) FROM records"))

    def count_records(self, upto_seq: int | None = None) -> int:
        if upto_seq is None:
            return int(self.sql.value("SELECT COUNT(*) FROM records"))
        return int(self.sql.value("SELECT COUNT(*) FROM records WHERE seq <= %s", (upto_seq,)))

    def record_ids(self, upto_seq: int | None = None) -> set[str]:
        if upto_seq is None:
            return set(self.sql.column("SELECT id FROM records"))
        return set(self.sql.column("SELECT id FROM records WHERE seq <= %s", (upto_seq,)))

    def superseded_ids(self) -> set[str]:
        return set(self.sql.column("SELECT supersedes FROM records WHERE supersedes IS NOT NULL"))

    def records_after(self, seq: int, *, limit: int | None = None, upto_seq: int | None = None) -> list[RecordRow]:
        sql, args = "SELECT * FROM records WHERE seq > %s", [seq]
        if upto_seq is not None:
            sql += " AND seq <= %s"
            args.append(upto_seq)
        sql += " ORDER BY seq"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.sql.rows(sql, args)  # type: ignore[return-value]

    # --- the registry projection --------------------------------------------------------------

    def put_registry(self, kind: str, key: str, record_id: str, name: str, extra: dict | None = None) -> None:
        self.sql.write(
            "INSERT INTO registry(kind, key, record_id, name, extra) VALUES(%s,%s,%s,%s,%s) "
            "ON CONFLICT(kind, key) DO UPDATE SET record_id=excluded.record_id, name=excluded.name, extra=excluded.extra",
            (kind, key, record_id, name, json.dumps(extra, ensure_ascii=False) if extra else None),
        )

    def drop_registry(self, kind: str, key: str, record_id: str) -> None:
        self.sql.write("DELETE FROM registry WHERE kind=%s AND key=%s AND record_id=%s", (kind, key, record_id))

    def get_registry(self, kind: str, key: str) -> RegistryRow | None:
        return self.sql.row("SELECT * FROM registry WHERE kind=%s AND key=%s", (kind, key))  # type: ignore[return-value]

    def list_registry(self, kind: str) -> list[RegistryRow]:
        return self.sql.rows("SELECT * FROM registry WHERE kind=%s ORDER BY key", (kind,))  # type: ignore[return-value]


def _json_field(text: str, key: str) -> Any:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc.get(key) if isinstance(doc, dict) else None
