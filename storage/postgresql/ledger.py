"""The ledger's rows in PostgreSQL (tables ``ledger`` and ``checkpoints``, append-only by trigger);
implements :class:`storage.interfaces.LedgerStore`.

The next index is "one past the highest", read under the catalog's transaction lock and then
kept on the connection for the rest of the transaction: gap-free and in commit order, with any
number of writers (storage/postgresql/connection.py).
"""

from __future__ import annotations

from storage.postgresql.connection import Connection
from storage.rows import CheckpointRow, LeafRow

_NEXT = "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger"


class PostgresLedgerStore:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    def size(self) -> int:
        return int(self.sql.value("SELECT COUNT(*) FROM ledger"))

    def next_index(self) -> int:
        if self.sql.in_transaction:
            if "idx" not in self.sql.counters:
                self.sql.counters["idx"] = int(self.sql.value(_NEXT))
            return self.sql.counters["idx"]
        return int(self.sql.value(_NEXT))

    def append(self, kind: str, entry: str, leaf_hash: bytes, created_at: str, record_id: str | None = None) -> int:
        self.sql.require_transaction("INSERT INTO ledger")
        idx = self.next_index()
        self.sql.write(
            "INSERT INTO ledger(idx, kind, record_id, entry, leaf_hash, created_at) VALUES(%s,%s,%s,%s,%s,%s)",
            (idx, kind, record_id, entry, leaf_hash, created_at),
        )
        self.sql.counters["idx"] = idx + 1
        return idx

    def leaves(self, *, kind: str | None = None, upto: int | None = None) -> list[LeafRow]:
        where, args = [], []
        if kind is not None:
            where.append("kind=%s")
            args.append(kind)
        if upto is not None:  # the first ``upto`` leaves: indexes are 0 … size-1 without gaps
            where.append("idx < %s")
            args.append(int(upto))
        sql = "SELECT * FROM ledger" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY idx"
        return self.sql.rows(sql, args)  # type: ignore[return-value]

    def leaf_hashes(self, upto: int | None = None) -> list[bytes]:
        if upto is None:
            return self.sql.column("SELECT leaf_hash FROM ledger ORDER BY idx")
        return self.sql.column("SELECT leaf_hash FROM ledger ORDER BY idx LIMIT %s", (int(upto),))

    def leaf_for_record(self, record_id: str, kind: str = "record_sealed") -> LeafRow | None:
        return self.sql.row(  # type: ignore[return-value]
            "SELECT * FROM ledger WHERE record_id=%s AND kind=%s ORDER BY idx LIMIT 1", (record_id, kind)
        )

    def add_checkpoint(self, row: CheckpointRow) -> None:
        self.sql.write(
            "INSERT INTO checkpoints(tree_size, root, note, signature, signer, signed_at) VALUES(%s,%s,%s,%s,%s,%s) "
            "ON CONFLICT (tree_size) DO NOTHING",
            (row["tree_size"], row["root"], row["note"], row["signature"], row["signer"], row["signed_at"]),
        )

    def latest_checkpoint(self) -> CheckpointRow | None:
        return self.sql.row("SELECT * FROM checkpoints ORDER BY tree_size DESC LIMIT 1")  # type: ignore[return-value]

    def checkpoints(self) -> list[CheckpointRow]:
        return self.sql.rows("SELECT * FROM checkpoints ORDER BY tree_size")  # type: ignore[return-value]
