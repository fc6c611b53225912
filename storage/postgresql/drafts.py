"""Drafts in PostgreSQL (tables ``drafts`` and ``draft_files``; mutable, deleted when added or
dropped); implements :class:`storage.interfaces.DraftStore` with the meanings of
:mod:`storage.sqlite.drafts`. Every statement names the owner."""

from __future__ import annotations

from storage.errors import StorageError
from storage.postgresql.connection import Connection
from storage.rows import DraftFileRow, DraftRow

DRAFT_COLUMNS = ("id", "owner", "org", "type", "subtype", "title", "data", "revision", "created_at", "updated_at")
_SELECT = f"SELECT {', '.join(DRAFT_COLUMNS)} FROM drafts"


class PostgresDraftStore:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    def add_draft(self, row: DraftRow) -> None:
        self.sql.require_transaction("INSERT INTO drafts")
        if self.sql.value("SELECT 1 FROM drafts WHERE id=%s", (row["id"],)) is not None:
            raise StorageError(f"草稿编号重复 (draft id already present): {row['id']}")
        self.sql.write(f"INSERT INTO drafts({', '.join(DRAFT_COLUMNS)}) VALUES({', '.join('%s' for _ in DRAFT_COLUMNS)})",
                       [row[c] for c in DRAFT_COLUMNS])  # type: ignore[literal-required]

    def get_draft(self, draft_id: str, owner: str) -> DraftRow | None:
        return self.sql.row(f"{_SELECT} WHERE id=%s AND owner=%s", (draft_id, owner))  # type: ignore[return-value]

    def drafts(self, owner: str) -> list[DraftRow]:
        return self.sql.rows(f"{_SELECT} WHERE owner=%s ORDER BY updated_at DESC, id DESC", (owner,))  # type: ignore[return-value]

    def update_draft(self, draft_id: str, owner: str, *, title: str, data: str, updated_at: str) -> int | None:
        self.sql.require_transaction("UPDATE drafts")
        revision = self.sql.value(
            "UPDATE drafts SET title=%s, data=%s, updated_at=%s, revision=revision + 1 WHERE id=%s AND owner=%s RETURNING revision",
            (title, data, updated_at, draft_id, owner))
        return None if revision is None else int(revision)

    def delete_draft(self, draft_id: str, owner: str) -> bool:
        self.sql.require_transaction("DELETE FROM drafts")
        if self.sql.value("SELECT 1 FROM drafts WHERE id=%s AND owner=%s", (draft_id, owner)) is None:
            return False
        self.sql.write("DELETE FROM draft_files WHERE draft_id=%s", (draft_id,))
        self.sql.write("DELETE FROM drafts WHERE id=%s AND owner=%s", (draft_id, owner))
        return True

    def put_draft_file(self, row: DraftFileRow, owner: str) -> bool:
        self.sql.require_transaction("INSERT INTO draft_files")
        if self.sql.value("SELECT 1 FROM drafts WHERE id=%s AND owner=%s", (row["draft_id"], owner)) is None:
            return False
        self.sql.write("DELETE FROM draft_files WHERE draft_id=%s AND name=%s", (row["draft_id"], row["name"]))
        self.sql.write(
            "INSERT INTO draft_files(draft_id, name, media_type, size, sha256, data, created_at) VALUES(%s,%s,%s,%s,%s,%s,%s)",
            (row["draft_id"], row["name"], row["media_type"], int(row["size"]), row["sha256"], bytes(row["data"]),
             row["created_at"]))
        return True

    def draft_files(self, draft_id: str, owner: str) -> list[DraftFileRow]:
        return self.sql.rows(  # type: ignore[return-value]
            "SELECT f.draft_id, f.name, f.media_type, f.size, f.sha256, f.data, f.created_at FROM draft_files f "
            "JOIN drafts d ON d.id = f.draft_id WHERE f.draft_id=%s AND d.owner=%s ORDER BY f.name", (draft_id, owner))

    def delete_draft_file(self, draft_id: str, owner: str, name: str) -> bool:
        self.sql.require_transaction("DELETE FROM draft_files")
        return self.sql.value(
            "DELETE FROM draft_files f USING drafts d WHERE d.id = f.draft_id AND f.draft_id=%s AND d.owner=%s AND f.name=%s "
            "RETURNING 1", (draft_id, owner, name)) is not None
