"""Drafts in SQLite (tables ``drafts`` and ``draft_files``; mutable, deleted when added or
dropped); implements :class:`storage.interfaces.DraftStore`. Every statement names the owner."""

from __future__ import annotations

from storage.errors import StorageError
from storage.rows import DraftFileRow, DraftRow
from storage.sqlite.connection import Connection

DRAFT_COLUMNS = ("id", "owner", "org", "type", "subtype", "title", "data", "revision", "created_at", "updated_at")


def _file(row: dict) -> DraftFileRow:
    row["data"] = bytes(row["data"])
    return row  # type: ignore[return-value]


class SqliteDraftStore:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    def add_draft(self, row: DraftRow) -> None:
        if self.sql.value("SELECT 1 FROM drafts WHERE id=?", (row["id"],)) is not None:
            raise StorageError(f"草稿编号重复 (draft id already present): {row['id']}")
        self.sql.write(f"INSERT INTO drafts({', '.join(DRAFT_COLUMNS)}) VALUES({', '.join('?' * len(DRAFT_COLUMNS))})",
                       [row[c] for c in DRAFT_COLUMNS])  # type: ignore[literal-required]

    def get_draft(self, draft_id: str, owner: str) -> DraftRow | None:
        return self.sql.row("SELECT * FROM drafts WHERE id=? AND owner=?", (draft_id, owner))  # type: ignore[return-value]

    def drafts(self, owner: str) -> list[DraftRow]:
        return self.sql.rows("SELECT * FROM drafts WHERE owner=? ORDER BY updated_at DESC, id DESC", (owner,))  # type: ignore[return-value]

    def update_draft(self, draft_id: str, owner: str, *, title: str, data: str, updated_at: str) -> int | None:
        revision = self.sql.value("SELECT revision FROM drafts WHERE id=? AND owner=?", (draft_id, owner))
        if revision is None:
            return None
        self.sql.write("UPDATE drafts SET title=?, data=?, updated_at=?, revision=? WHERE id=? AND owner=?",
                       (title, data, updated_at, int(revision) + 1, draft_id, owner))
        return int(revision) + 1

    def delete_draft(self, draft_id: str, owner: str) -> bool:
        if self.sql.value("SELECT 1 FROM drafts WHERE id=? AND owner=?", (draft_id, owner)) is None:
            return False
        self.sql.write("DELETE FROM draft_files WHERE draft_id=?", (draft_id,))
        self.sql.write("DELETE FROM drafts WHERE id=? AND owner=?", (draft_id, owner))
        return True

    def put_draft_file(self, row: DraftFileRow, owner: str) -> bool:
        if self.sql.value("SELECT 1 FROM drafts WHERE id=? AND owner=?", (row["draft_id"], owner)) is None:
            return False
        self.sql.write("DELETE FROM draft_files WHERE draft_id=? AND name=?", (row["draft_id"], row["name"]))
        self.sql.write("INSERT INTO draft_files(draft_id, name, media_type, size, sha256, data, created_at) VALUES(?,?,?,?,?,?,?)",
                       (row["draft_id"], row["name"], row["media_type"], int(row["size"]), row["sha256"], bytes(row["data"]),
                        row["created_at"]))
        return True

    def draft_files(self, draft_id: str, owner: str) -> list[DraftFileRow]:
        rows = self.sql.rows(
            "SELECT f.draft_id, f.name, f.media_type, f.size, f.sha256, f.data, f.created_at FROM draft_files f "
            "JOIN drafts d ON d.id = f.draft_id WHERE f.draft_id=? AND d.owner=? ORDER BY f.name", (draft_id, owner))
        return [_file(r) for r in rows]

    def delete_draft_file(self, draft_id: str, owner: str, name: str) -> bool:
        if self.sql.value("SELECT 1 FROM draft_files f JOIN drafts d ON d.id = f.draft_id WHERE f.draft_id=? AND d.owner=? "
                          "AND f.name=?", (draft_id, owner, name)) is None:
            return False
        self.sql.write("DELETE FROM draft_files WHERE draft_id=? AND name=?", (draft_id, name))
        return True
