"""The package book in SQLite (tables ``witnessed`` and ``imported_proofs``, immutable by
trigger, and the ``packages`` log); implements :class:`storage.interfaces.PackageBook`."""

from __future__ import annotations

from storage.rows import ImportedProofRow, PackageRow, WitnessedRow
from storage.sqlite.connection import Connection


class SqlitePackageBook:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    # --- witnessed checkpoints ------------------------------------------------------------------

    def witness(self, row: WitnessedRow) -> None:
        self.sql.write(
            "INSERT INTO witnessed(origin, tree_size, root, note, signer, cosignature, package_digest, witnessed_at) "
            "VALUES(?,?,?,?,?,?,?,?)",
            (row["origin"], row["tree_size"], row["root"], row["note"], row["signer"], row["cosignature"],
             row["package_digest"], row["witnessed_at"]),
        )

    def get_witnessed(self, origin: str, tree_size: int) -> WitnessedRow | None:
        return self.sql.row(  # type: ignore[return-value]
            "SELECT * FROM witnessed WHERE origin=? AND tree_size=?", (origin, tree_size)
        )

    def witnessed(self, origin: str | None = None) -> list[WitnessedRow]:
        if origin is None:
            return self.sql.rows("SELECT * FROM witnessed ORDER BY origin, tree_size")  # type: ignore[return-value]
        return self.sql.rows("SELECT * FROM witnessed WHERE origin=? ORDER BY tree_size", (origin,))  # type: ignore[return-value]

    # --- inclusion proofs of imported records ---------------------------------------------------

    def add_imported_proof(self, row: ImportedProofRow) -> None:
        self.sql.write(
            "INSERT INTO imported_proofs(record_id, origin, leaf_index, leaf_data, tree_size, proof) VALUES(?,?,?,?,?,?)",
            (row["record_id"], row["origin"], row["leaf_index"], row["leaf_data"], row["tree_size"], row["proof"]),
        )

    def imported_proof(self, record_id: str) -> ImportedProofRow | None:
        return self.sql.row("SELECT * FROM imported_proofs WHERE record_id=?", (record_id,))  # type: ignore[return-value]

    # --- the package log ------------------------------------------------------------------------

    def log_package(self, row: PackageRow) -> None:
        self.sql.write(
            "INSERT OR IGNORE INTO packages(digest, direction, kind, origin, path, records, info, created_at) "
            "VALUES(?,?,?,?,?,?,?,?)",
            (row["digest"], row["direction"], row["kind"], row["origin"], row["path"], row["records"], row["info"],
             row["created_at"]),
        )

    def has_package(self, digest: str, direction: str) -> bool:
        return self.sql.value("SELECT 1 FROM packages WHERE digest=? AND direction=?", (digest, direction)) is not None

    def logged(self) -> int:
        return int(self.sql.value("SELECT COUNT(*) FROM packages"))

    def packages(self, *, direction: str | None = None, kind: str | None = None) -> list[PackageRow]:
        where, args = [], []
        for col, val in (("direction", direction), ("kind", kind)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        sql = "SELECT * FROM packages" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at, digest, direction"
        return self.sql.rows(sql, args)  # type: ignore[return-value]
