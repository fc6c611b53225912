"""The ledger's rows in SQLite (tables ``ledger`` and ``checkpoints``, append-only by trigger);
implements :class:`storage.interfaces.LedgerStore`."""

from __future__ import annotations

from storage.rows import CheckpointRow, LeafRow
from storage.sqlite.connection import Connection


class SqliteLedgerStore:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    def size(self) -> int:
        return int(self.sql.value("SELECT COUNT(*) FROM ledger"))

    def next_index(self) -> int:
        return int(self.sql.value("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger"))

    def append(self, kind: str, entry: str, leaf_hash: bytes, created_at: str, record_id: str | None = None) -> int:
        idx = self.next_index()
        self.sql.write(
            "INSERT INTO ledger(idx, kind, record_id, entry, leaf_hash, created_at) VALUES(?,?,?,?,?,?)",
            (idx, kind, record_id, entry, leaf_hash, created_at),
        )
        return idx

    def leaves(self, *, kind: str | None = None, upto: int | None = None) -> list[LeafRow]:
        if kind is None:
            sql, args = "SELECT * FROM ledger ORDER BY idx", []
            if upto is not None:
                sql += " LIMIT ?"
                args.append(int(upto))
            return self.sql.rows(sql, args)  # type: ignore[return-value]
        if upto is None:
            return self.sql.rows("SELECT * FROM ledger WHERE kind=? ORDER BY idx", (kind,))  # type: ignore[return-value]
        return self.sql.rows(  # type: ignore[return-value]
            "SELECT * FROM (SELECT * FROM ledger ORDER BY idx LIMIT ?) WHERE kind=? ORDER BY idx", (int(upto), kind)
        )

    def leaf_hashes(self, upto: int | None = None) -> list[bytes]:
        if upto is None:
            return [bytes(h) for h in self.sql.column("SELECT leaf_hash FROM ledger ORDER BY idx")]
        return [bytes(h) for h in self.sql.column("SELECT leaf_hash FROM ledger ORDER BY idx LIMIT ?", (int(upto),))]

    def leaf_for_record(self, record_id: str, kind: str = "record_sealed") -> LeafRow | None:
        return self.sql.row(  # type: ignore[return-value]
            "SELECT * FROM ledger WHERE record_id=? AND kind=? ORDER BY idx LIMIT 1", (record_id, kind)
        )

    def add_checkpoint(self, row: CheckpointRow) -> None:
        self.sql.write(
            "INSERT OR IGNORE INTO checkpoints(tree_size, root, note, signature, signer, signed_at) VALUES(?,?,?,?,?,?)",
            (row["tree_size"], row["root"], row["note"], row["signature"], row["signer"], row["signed_at"]),
        )

    def latest_checkpoint(self) -> CheckpointRow | None:
        return self.sql.row("SELECT * FROM checkpoints ORDER BY tree_size DESC LIMIT 1")  # type: ignore[return-value]

    def checkpoints(self) -> list[CheckpointRow]:
        return self.sql.rows("SELECT * FROM checkpoints ORDER BY tree_size")  # type: ignore[return-value]
