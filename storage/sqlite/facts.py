"""The facts of the views in SQLite (tables ``fact_records``, ``fact_links``, ``fact_state`` and
``fact_lint``); implements :class:`storage.interfaces.FactStore`.

Facts are a cache derived from the records, so unlike the records these tables carry no
immutability triggers: a rebuild deletes them. Collections of keys or ids are sent in chunks (a
statement takes at most a few hundred parameters here, well under SQLite's limit).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from storage.rows import FactRow, LintRow, NewFacts, RecordRow
from storage.sqlite.connection import Connection

CHUNK = 500
_COLUMNS = "f.seq, f.record_id, f.type, f.subtype, f.key, f.day, f.supersedes, {superseded_by}, f.title, f.origin, f.created_at, f.info, f.belongs"
# in one enterprise's scope a record is corrected only by a record in that scope (as the catalog's
# list_records(belongs_to=…) sees it)
_SUPERSEDED_WITHIN = ("(SELECT s.record_id FROM fact_records s WHERE s.supersedes = f.record_id AND s.belongs = ? "
                      "ORDER BY s.seq LIMIT 1) AS superseded_by")


def _chunks(values: Collection[Any]) -> Iterator[list[Any]]:
    items = list(dict.fromkeys(values))
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


class SqliteFactStore:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    # --- state ----------------------------------------------------------------------------------

    def position(self) -> int:
        return int(self.get_state("position") or 0)

    def set_position(self, seq: int) -> None:
        self.set_state("position", str(int(seq)))

    def get_state(self, name: str) -> str | None:
        return self.sql.value("SELECT value FROM fact_state WHERE name=?", (name,))

    def set_state(self, name: str, value: str) -> None:
        self.sql.write("INSERT INTO fact_state(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value=excluded.value",
                       (name, value))

    def claim_state(self, name: str, expected: str | None, value: str) -> bool:
        if not self.sql.in_transaction:
            raise RuntimeError("catalog write outside a transaction: claim_state")
        if expected is None:
            got = self.sql.value("INSERT INTO fact_state(name, value) VALUES(?, ?) ON CONFLICT(name) DO NOTHING RETURNING name",
                                 (name, value))
        else:
            got = self.sql.value("UPDATE fact_state SET value=? WHERE name=? AND value=? RETURNING name", (value, name, expected))
        return got is not None

    # --- writing ----------------------------------------------------------------------------------

    def add(self, facts: Sequence[NewFacts]) -> int:
        added = 0
        for f in facts:
            if self.sql.value("SELECT 1 FROM fact_records WHERE seq=?", (f["seq"],)) is not None:
                continue
            later = self.sql.value("SELECT record_id FROM fact_records WHERE supersedes=? ORDER BY seq LIMIT 1", (f["record_id"],))
            self.sql.write(
                "INSERT INTO fact_records(seq, record_id, type, subtype, key, day, supersedes, superseded_by, title, origin, "
                "created_at, info, belongs, brief) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (f["seq"], f["record_id"], f["type"], f["subtype"], f["key"], f["day"], f["supersedes"], later, f["title"],
                 f["origin"], f["created_at"], f["info"], f["belongs"], f.get("brief")),
            )
            for role, key in dict.fromkeys(f["links"]):
                self.sql.write("INSERT OR IGNORE INTO fact_links(role, key, seq, type) VALUES(?,?,?,?)", (role, key, f["seq"], f["type"]))
            if f["supersedes"]:
                self.sql.write(
                    "UPDATE fact_records SET superseded_by=? WHERE record_id=? AND (superseded_by IS NULL OR "
                    "(SELECT seq FROM fact_records s WHERE s.record_id=fact_records.superseded_by) > ?)",
                    (f["record_id"], f["supersedes"], f["seq"]),
                )
            added += 1
        return added

    def clear(self) -> None:
        self.sql.write("DELETE FROM fact_links")
        self.sql.write("DELETE FROM fact_records")
        self.sql.write("DELETE FROM fact_state")

    def missing(self, after: int, upto: int) -> list[int]:
        return self.sql.column(
            "SELECT r.seq FROM records r WHERE r.seq > ? AND r.seq <= ? AND NOT EXISTS "
            "(SELECT 1 FROM fact_records f WHERE f.seq = r.seq) ORDER BY r.seq", (after, upto))

    # --- reading ----------------------------------------------------------------------------------
    #
    # ``within``: only records that belong to that enterprise (fact_records.belongs), and a record
    # counts as corrected only by a record that belongs to it too.

    def _select(self, where: str, args: Sequence[Any], with_data: bool | str, within: str | None = None,
                by_scope: bool = False) -> list[FactRow]:
        cols = _COLUMNS.format(superseded_by=_SUPERSEDED_WITHIN if within is not None else "f.superseded_by")
        # the data as the bytes SQLite holds (UTF-8: SQLite's encoding for a database it creates, never changed here): a
        # view parses them straight (archive.facts.records), without making a str of each first —
        # the largest enterprise's 20 MB at 10^5: 150 → 55 ms to fetch
        if with_data == "brief":  # the record's data only when it has no brief: its pages beyond the row are not read
            cols += ", CAST(f.brief AS BLOB) AS brief, CASE WHEN f.brief IS NULL THEN CAST(r.data AS BLOB) END AS data"
        elif with_data:
            cols += ", CAST(r.data AS BLOB) AS data"
        # the sealed data joined after the facts are chosen (CROSS JOIN: SQLite keeps the order);
        # left to choose, it read each linked record's data before testing its type — a contractor's
        # enterprises' accidents and registers: 45,534 records read for 1,198 (136 → 27 ms)
        frm = "fact_records f" + (" CROSS JOIN records r ON r.seq = f.seq" if with_data else "")
        head: list[Any] = [within] if within is not None else []
        if within is not None:
            # ``+f.belongs``: the scope tested on the rows the other terms find (by seq, record id,
            # link, key, supersedes) rather than searched by its index — left to choose, SQLite read
            # every row the scope holds and tested the other terms (7,606 for the largest enterprise
            # at 10^5, 1–2 ms a query) — except where the scope and a type are all there is to go by
            # (``by_scope``: the index (belongs, type))
            where = f"{'' if by_scope else '+'}f.belongs = ? AND ({where})"
            head.append(within)
        return self.sql.rows(f"SELECT {cols} FROM {frm} WHERE {where}", [*head, *args])  # type: ignore[return-value]

    @staticmethod
    def _current(within: str | None) -> tuple[str, list[Any]]:
        if within is None:
            return " AND f.superseded_by IS NULL", []
        return " AND NOT EXISTS (SELECT 1 FROM fact_records s WHERE s.supersedes = f.record_id AND s.belongs = ?)", [within]

    @staticmethod
    def _sorted(rows: list[FactRow]) -> list[FactRow]:
        seen: dict[int, FactRow] = {}
        for r in rows:
            seen.setdefault(r["seq"], r)
        return [seen[s] for s in sorted(seen)]

    def rows(self, *, seqs: Collection[int] = (), record_ids: Collection[str] = (), with_data: bool | str = False,
             within: str | None = None) -> list[FactRow]:
        out: list[FactRow] = []
        for chunk in _chunks(seqs):
            out += self._select(f"f.seq IN ({_marks(len(chunk))})", chunk, with_data, within)
        for chunk in _chunks(record_ids):
            out += self._select(f"f.record_id IN ({_marks(len(chunk))})", chunk, with_data, within)
        return self._sorted(out)

    def briefs(self, seqs: Collection[int]) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        for chunk in _chunks(seqs):
            out.update((r["seq"], r["brief"]) for r in self.sql.rows(
                f"SELECT seq, CAST(brief AS BLOB) AS brief FROM fact_records WHERE seq IN ({_marks(len(chunk))}) AND brief IS NOT NULL",
                chunk))
        return out

    def linked(self, role: str, keys: Collection[str], *, types: Collection[str] = (), subtype: str | None = None,
               current_only: bool = False, with_data: bool | str = False, within: str | None = None) -> list[FactRow]:
        out: list[FactRow] = []
        extra, extra_args = "", []
        if subtype is not None:
            extra += " AND f.subtype = ?"
            extra_args.append(subtype)
        if current_only:
            cur, cur_args = self._current(within)
            extra += cur
            extra_args += cur_args
        # the links of those types: an index range (role, key, type) — not every record the keys
        # link to, nor every record of the types (a contractor's enterprises' registers: 0.1 ms
        # against 18 ms), nor, in an enterprise's account, every record of the types it holds (its
        # people due for review in a window: 1 ms against 19 ms)
        of_types = f" AND l.type IN ({_marks(len(types))})" if types else ""
        for chunk in _chunks(keys):
            link = f"f.seq IN (SELECT l.seq FROM fact_links l WHERE l.role = ? AND l.key IN ({_marks(len(chunk))}){of_types})"
            out += self._select(link + extra, [role, *chunk, *types, *extra_args], with_data, within)
        return self._sorted(out)

    def of_type(self, types: Collection[str], *, subtype: str | None = None, current_only: bool = False,
                with_data: bool | str = False, within: str | None = None) -> list[FactRow]:
        if not types:
            return []
        where = f"f.type IN ({_marks(len(types))})" + (" AND f.subtype = ?" if subtype is not None else "")
        args: list[Any] = [*types, *([subtype] if subtype is not None else [])]
        if current_only:
            cur, cur_args = self._current(within)
            where += cur
            args += cur_args
        return self._sorted(self._select(where, args, with_data, within, by_scope=True))

    def keyed(self, type: str, keys: Collection[str], *, current_only: bool = True, with_data: bool | str = False,
              within: str | None = None) -> list[FactRow]:
        out: list[FactRow] = []
        cur, cur_args = self._current(within) if current_only else ("", [])
        for chunk in _chunks(keys):
            out += self._select(f"f.type = ? AND f.key IN ({_marks(len(chunk))})" + cur, [type, *chunk, *cur_args], with_data, within)
        return self._sorted(out)

    def successors(self, record_ids: Collection[str], *, within: str | None = None) -> list[FactRow]:
        out: list[FactRow] = []
        for chunk in _chunks(record_ids):
            out += self._select(f"f.supersedes IN ({_marks(len(chunk))})", chunk, False, within)
        return self._sorted(out)

    def links(self, seqs: Collection[int], roles: Collection[str] = ()) -> list[tuple[int, str, str]]:
        out: list[tuple[int, str, str]] = []
        role_sql = f" AND role IN ({_marks(len(roles))})" if roles else ""
        for chunk in _chunks(seqs):
            out += [(r["seq"], r["role"], r["key"]) for r in self.sql.rows(
                f"SELECT seq, role, key FROM fact_links WHERE seq IN ({_marks(len(chunk))}){role_sql}", [*chunk, *roles])]
        return sorted(out)

    def mistyped_links(self, seqs: Collection[int]) -> list[int]:
        out: list[int] = []
        for chunk in _chunks(seqs):
            out += self.sql.column(
                f"SELECT DISTINCT l.seq FROM fact_links l JOIN fact_records f ON f.seq = l.seq "
                f"WHERE l.seq IN ({_marks(len(chunk))}) AND l.type IS NOT f.type", list(chunk))
        return sorted(out)

    def linked_keys(self, role: str, keys: Collection[str], *, roles: Collection[str] = (), within: str | None = None) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        role_sql = f" AND b.role IN ({_marks(len(roles))})" if roles else ""
        # the scope tested on each link found (its row by seq), not a list of every row the scope holds
        scope_sql = " AND EXISTS (SELECT 1 FROM fact_records x WHERE x.seq = a.seq AND x.belongs = ?)" if within is not None else ""
        for chunk in _chunks(keys):
            out.update((r["role"], r["key"]) for r in self.sql.rows(
                f"SELECT DISTINCT b.role, b.key FROM fact_links a CROSS JOIN fact_links b ON b.seq = a.seq "
                f"WHERE a.role = ? AND a.key IN ({_marks(len(chunk))}){role_sql}{scope_sql}",
                [role, *chunk, *roles, *([within] if within is not None else [])]))
        return out

    def keys(self, role: str, *, within: str | None = None) -> list[str]:
        if within is not None:
            # from the enterprise's own records to their links (CROSS JOIN keeps that order: SQLite would
            # otherwise go through every link of the role in the archive, 180 ms at 10^5 records)
            return self.sql.column("SELECT DISTINCT l.key FROM fact_records f CROSS JOIN fact_links l ON l.seq = f.seq "
                                   "WHERE l.role=? AND f.belongs=? ORDER BY l.key", (role, within))
        return self.sql.column("SELECT DISTINCT key FROM fact_links WHERE role=? ORDER BY key", (role,))

    def changes(self, after: int) -> tuple[set[tuple[str, str, str]], set[str]]:
        links = {(r["role"], r["key"], r["type"]) for r in self.sql.rows(
            "SELECT DISTINCT l.role, l.key, l.type FROM fact_links l WHERE l.seq > ? UNION "
            "SELECT DISTINCT l.role, l.key, l.type FROM fact_records n JOIN fact_records o ON o.record_id = n.supersedes "
            "JOIN fact_links l ON l.seq = o.seq WHERE n.seq > ? UNION "
            "SELECT DISTINCT 'belongs', belongs, type FROM fact_records WHERE seq > ?", (after, after, after))}
        types = set(self.sql.column("SELECT DISTINCT type FROM fact_records WHERE seq > ?", (after,)))
        return links, types

    # --- the lint ---------------------------------------------------------------------------------

    def put_lint(self, rows: Sequence[LintRow]) -> None:
        for r in rows:
            self.sql.write(
                "INSERT INTO fact_lint(record_id, fingerprint, problems) VALUES(?,?,?) "
                "ON CONFLICT(record_id) DO UPDATE SET fingerprint=excluded.fingerprint, problems=excluded.problems",
                (r["record_id"], r["fingerprint"], r["problems"]),
            )

    def lint(self, *, record_ids: Collection[str] = (), problems_only: bool = True) -> list[LintRow]:
        cond = " AND problems IS NOT NULL" if problems_only else ""
        if not record_ids:
            return self.sql.rows(f"SELECT * FROM fact_lint WHERE 1=1{cond} ORDER BY record_id")  # type: ignore[return-value]
        out: list[LintRow] = []
        for chunk in _chunks(record_ids):
            out += self.sql.rows(f"SELECT * FROM fact_lint WHERE record_id IN ({_marks(len(chunk))}){cond}", chunk)  # type: ignore[arg-type]
        return sorted(out, key=lambda r: r["record_id"])

    def lint_verdicts(self, record_ids: Collection[str], fingerprint: str) -> tuple[list[LintRow], list[str]]:
        refused: list[LintRow] = []
        unjudged: list[str] = []
        for chunk in _chunks(record_ids):
            marks = _marks(len(chunk))
            for r in self.sql.rows(f"SELECT record_id, fingerprint, problems FROM fact_lint WHERE record_id IN ({marks}) "
                                   "AND (fingerprint <> ? OR problems IS NOT NULL)", [*chunk, fingerprint]):
                if r["fingerprint"] == fingerprint:
                    refused.append(r)  # type: ignore[arg-type]
                else:
                    unjudged.append(r["record_id"])
            have = int(self.sql.value(f"SELECT COUNT(*) FROM fact_lint WHERE record_id IN ({marks})", chunk))
            if have < len(chunk):  # records never linted: their ids (rarely: a catch-up of many lints none)
                present = set(self.sql.column(f"SELECT record_id FROM fact_lint WHERE record_id IN ({marks})", chunk))
                unjudged += [i for i in chunk if i not in present]
        return sorted(refused, key=lambda r: r["record_id"]), sorted(unjudged)

    def lint_stale(self, fingerprint: str, *, within: str | None = None) -> int:
        if within is not None:
            return int(self.sql.value(
                "SELECT COUNT(*) FROM records r WHERE COALESCE(r.enterprise, r.origin) = ? AND NOT EXISTS "
                "(SELECT 1 FROM fact_lint l WHERE l.record_id = r.id AND l.fingerprint = ?)", (within, fingerprint)))
        return int(self.sql.value(
            "SELECT COUNT(*) FROM records r WHERE NOT EXISTS "
            "(SELECT 1 FROM fact_lint l WHERE l.record_id = r.id AND l.fingerprint = ?)", (fingerprint,)))

    def lint_stale_records(self, fingerprint: str, *, after: int = 0, limit: int = 500) -> list[RecordRow]:
        return self.sql.rows(  # type: ignore[return-value]
            "SELECT r.* FROM records r WHERE r.seq > ? AND NOT EXISTS "
            "(SELECT 1 FROM fact_lint l WHERE l.record_id = r.id AND l.fingerprint = ?) ORDER BY r.seq LIMIT ?",
            (after, fingerprint, int(limit)))
