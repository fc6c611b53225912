"""The facts of the views in PostgreSQL (tables ``fact_records``, ``fact_links``, ``fact_state``
and ``fact_lint``); implements :class:`storage.interfaces.FactStore` with the meanings of
:mod:`storage.sqlite.facts`.

Facts are a cache derived from the records: no immutability triggers, a rebuild deletes them.
Collections of keys or ids go to the server as one array parameter (``= ANY(%s)``), not chunked.
:meth:`PostgresFactStore.add` asks the server once per call which facts it already has and sends
the rest without waiting (the connection's pipeline): a rebuild of many records is not two round
trips per record.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from storage.postgresql.connection import Connection
from storage.rows import FactRow, LintRow, NewFacts, RecordRow

_COLUMNS = ("f.seq, f.record_id, f.type, f.subtype, f.key, f.day, f.supersedes, {superseded_by}, f.title, f.origin, "
            "f.created_at, f.info, f.belongs")
# in one enterprise's scope a record is corrected only by a record in that scope
_SUPERSEDED_WITHIN = ("(SELECT s.record_id FROM fact_records s WHERE s.supersedes = f.record_id AND s.belongs = %s "
                      "ORDER BY s.seq LIMIT 1) AS superseded_by")
_INSERT = (
    "INSERT INTO fact_records(seq, record_id, type, subtype, key, day, supersedes, superseded_by, title, origin, created_at, "
    "info, belongs, brief) VALUES(%s,%s,%s,%s,%s,%s,%s,"
    "(SELECT s.record_id FROM fact_records s WHERE s.supersedes=%s ORDER BY s.seq LIMIT 1),%s,%s,%s,%s,%s,%s)"
)
_CORRECTED = (
    "UPDATE fact_records SET superseded_by=%s WHERE record_id=%s AND (superseded_by IS NULL OR "
    "(SELECT s.seq FROM fact_records s WHERE s.record_id=fact_records.superseded_by) > %s)"
)


def _list(values: Collection[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


class PostgresFactStore:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    # --- state ----------------------------------------------------------------------------------

    def position(self) -> int:
        return int(self.get_state("position") or 0)

    def set_position(self, seq: int) -> None:
        self.set_state("position", str(int(seq)))

    def get_state(self, name: str) -> str | None:
        return self.sql.value("SELECT value FROM fact_state WHERE name=%s", (name,))

    def set_state(self, name: str, value: str) -> None:
        self.sql.write("INSERT INTO fact_state(name, value) VALUES(%s, %s) ON CONFLICT(name) DO UPDATE SET value=excluded.value",
                       (name, value))

    def claim_state(self, name: str, expected: str | None, value: str) -> bool:
        if not self.sql.in_transaction:
            raise RuntimeError("catalog write outside a transaction: claim_state")
        if expected is None:
            got = self.sql.value("INSERT INTO fact_state(name, value) VALUES(%s, %s) ON CONFLICT(name) DO NOTHING RETURNING name",
                                 (name, value))
        else:
            got = self.sql.value("UPDATE fact_state SET value=%s WHERE name=%s AND value=%s RETURNING name", (value, name, expected))
        return got is not None

    # --- writing ----------------------------------------------------------------------------------

    def add(self, facts: Sequence[NewFacts]) -> int:
        self.sql.require_transaction("INSERT INTO fact_records")
        if not facts:
            return 0
        have = set(self.sql.column("SELECT seq FROM fact_records WHERE seq = ANY(%s)", ([int(f["seq"]) for f in facts],)))
        added = 0
        for f in facts:
            if f["seq"] in have:
                continue
            have.add(f["seq"])
            self.sql.write(_INSERT, (f["seq"], f["record_id"], f["type"], f["subtype"], f["key"], f["day"], f["supersedes"],
                                     f["record_id"], f["title"], f["origin"], f["created_at"], f["info"], f["belongs"], f.get("brief")))
            self.sql.write_many("INSERT INTO fact_links(role, key, seq, type) VALUES(%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                                [(role, key, f["seq"], f["type"]) for role, key in dict.fromkeys(f["links"])])
            if f["supersedes"]:
                self.sql.write(_CORRECTED, (f["record_id"], f["supersedes"], f["seq"]))
            added += 1
        return added

    def clear(self) -> None:
        self.sql.write("DELETE FROM fact_links")
        self.sql.write("DELETE FROM fact_records")
        self.sql.write("DELETE FROM fact_state")

    def missing(self, after: int, upto: int) -> list[int]:
        return self.sql.column(
            "SELECT r.seq FROM records r WHERE r.seq > %s AND r.seq <= %s AND NOT EXISTS "
            "(SELECT 1 FROM fact_records f WHERE f.seq = r.seq) ORDER BY r.seq", (after, upto))

    # --- reading ----------------------------------------------------------------------------------
    #
    # ``within``: only records that belong to that enterprise (fact_records.belongs), and a record
    # counts as corrected only by a record that belongs to it too.

    def _select(self, where: str, args: Sequence[Any], with_data: bool | str, within: str | None = None) -> list[FactRow]:
        cols = _COLUMNS.format(superseded_by=_SUPERSEDED_WITHIN if within is not None else "f.superseded_by")
        if with_data == "brief":  # (a TOASTed data is not fetched when the CASE does not need it)
            cols += ", f.brief, CASE WHEN f.brief IS NULL THEN r.data END AS data"
        elif with_data:
            cols += ", r.data"
        frm = "fact_records f" + (" JOIN records r ON r.seq = f.seq" if with_data else "")
        head: list[Any] = [within] if within is not None else []
        if within is not None:
            where = f"f.belongs = %s AND ({where})"
            head.append(within)
        return self.sql.rows(f"SELECT {cols} FROM {frm} WHERE {where} ORDER BY f.seq", [*head, *args])  # type: ignore[return-value]

    @staticmethod
    def _current(within: str | None) -> tuple[str, list[Any]]:
        if within is None:
            return " AND f.superseded_by IS NULL", []
        return " AND NOT EXISTS (SELECT 1 FROM fact_records s WHERE s.supersedes = f.record_id AND s.belongs = %s)", [within]

    @staticmethod
    def _sorted(rows: list[FactRow]) -> list[FactRow]:
        seen: dict[int, FactRow] = {}
        for r in rows:
            seen.setdefault(r["seq"], r)
        return [seen[s] for s in sorted(seen)]

    def briefs(self, seqs: Collection[int]) -> dict[int, str]:
        return {r["seq"]: r["brief"] for r in self.sql.rows(
            "SELECT seq, brief FROM fact_records WHERE seq = ANY(%s) AND brief IS NOT NULL", ([int(s) for s in _list(seqs)],))}

    def rows(self, *, seqs: Collection[int] = (), record_ids: Collection[str] = (), with_data: bool | str = False,
             within: str | None = None) -> list[FactRow]:
        out: list[FactRow] = []
        if seqs:
            out += self._select("f.seq = ANY(%s)", [[int(s) for s in _list(seqs)]], with_data, within)
        if record_ids:
            out += self._select("f.record_id = ANY(%s)", [_list(record_ids)], with_data, within)
        return self._sorted(out)

    def linked(self, role: str, keys: Collection[str], *, types: Collection[str] = (), subtype: str | None = None,
               current_only: bool = False, with_data: bool | str = False, within: str | None = None) -> list[FactRow]:
        if not keys:
            return []
        extra, extra_args = "", []
        if subtype is not None:
            extra += " AND f.subtype = %s"
            extra_args.append(subtype)
        if current_only:
            cur, cur_args = self._current(within)
            extra += cur
            extra_args += cur_args
        # the links of those types: an index range (role, key, type)
        of_types, type_args = (" AND l.type = ANY(%s)", [_list(types)]) if types else ("", [])
        return self._sorted(self._select(
            f"f.seq IN (SELECT l.seq FROM fact_links l WHERE l.role = %s AND l.key = ANY(%s){of_types}){extra}",
            [role, _list(keys), *type_args, *extra_args], with_data, within))

    def of_type(self, types: Collection[str], *, subtype: str | None = None, current_only: bool = False,
                with_data: bool | str = False, within: str | None = None) -> list[FactRow]:
        if not types:
            return []
        where = "f.type = ANY(%s)" + (" AND f.subtype = %s" if subtype is not None else "")
        args: list[Any] = [_list(types), *([subtype] if subtype is not None else [])]
        if current_only:
            cur, cur_args = self._current(within)
            where += cur
            args += cur_args
        return self._sorted(self._select(where, args, with_data, within))

    def keyed(self, type: str, keys: Collection[str], *, current_only: bool = True, with_data: bool | str = False,
              within: str | None = None) -> list[FactRow]:
        if not keys:
            return []
        cur, cur_args = self._current(within) if current_only else ("", [])
        return self._sorted(self._select("f.type = %s AND f.key = ANY(%s)" + cur, [type, _list(keys), *cur_args], with_data,
                                         within))

    def successors(self, record_ids: Collection[str], *, within: str | None = None) -> list[FactRow]:
        if not record_ids:
            return []
        return self._sorted(self._select("f.supersedes = ANY(%s)", [_list(record_ids)], False, within))

    def links(self, seqs: Collection[int], roles: Collection[str] = ()) -> list[tuple[int, str, str]]:
        if not seqs:
            return []
        role_sql = " AND role = ANY(%s)" if roles else ""
        rows = self.sql.rows(f"SELECT seq, role, key FROM fact_links WHERE seq = ANY(%s){role_sql}",
                             [[int(s) for s in _list(seqs)], *([_list(roles)] if roles else [])])
        return sorted((r["seq"], r["role"], r["key"]) for r in rows)

    def mistyped_links(self, seqs: Collection[int]) -> list[int]:
        if not seqs:
            return []
        return sorted(self.sql.column(
            "SELECT DISTINCT l.seq FROM fact_links l JOIN fact_records f ON f.seq = l.seq "
            "WHERE l.seq = ANY(%s) AND l.type IS DISTINCT FROM f.type", ([int(s) for s in _list(seqs)],)))

    def linked_keys(self, role: str, keys: Collection[str], *, roles: Collection[str] = (),
                    within: str | None = None) -> set[tuple[str, str]]:
        if not keys:
            return set()
        role_sql = " AND b.role = ANY(%s)" if roles else ""
        scope_sql = " AND a.seq IN (SELECT seq FROM fact_records WHERE belongs = %s)" if within is not None else ""
        rows = self.sql.rows(
            f"SELECT DISTINCT b.role, b.key FROM fact_links a JOIN fact_links b ON b.seq = a.seq "
            f"WHERE a.role = %s AND a.key = ANY(%s){role_sql}{scope_sql}",
            [role, _list(keys), *([_list(roles)] if roles else []), *([within] if within is not None else [])])
        return {(r["role"], r["key"]) for r in rows}

    def keys(self, role: str, *, within: str | None = None) -> list[str]:
        if within is not None:
            return self.sql.column("SELECT DISTINCT l.key FROM fact_links l JOIN fact_records f ON f.seq = l.seq "
                                   "WHERE l.role=%s AND f.belongs=%s ORDER BY l.key", (role, within))
        return self.sql.column("SELECT DISTINCT key FROM fact_links WHERE role=%s ORDER BY key", (role,))

    def changes(self, after: int) -> tuple[set[tuple[str, str, str]], set[str]]:
        links = {(r["role"], r["key"], r["type"]) for r in self.sql.rows(
            "SELECT DISTINCT l.role, l.key, l.type FROM fact_links l WHERE l.seq > %s UNION "
            "SELECT DISTINCT l.role, l.key, l.type FROM fact_records n JOIN fact_records o ON o.record_id = n.supersedes "
            "JOIN fact_links l ON l.seq = o.seq WHERE n.seq > %s UNION "
            "SELECT DISTINCT 'belongs', belongs, type FROM fact_records WHERE seq > %s", (after, after, after))}
        types = set(self.sql.column("SELECT DISTINCT type FROM fact_records WHERE seq > %s", (after,)))
        return links, types

    # --- the lint ---------------------------------------------------------------------------------

    def put_lint(self, rows: Sequence[LintRow]) -> None:
        self.sql.write_many(
            "INSERT INTO fact_lint(record_id, fingerprint, problems) VALUES(%s,%s,%s) "
            "ON CONFLICT(record_id) DO UPDATE SET fingerprint=excluded.fingerprint, problems=excluded.problems",
            [(r["record_id"], r["fingerprint"], r["problems"]) for r in rows],
        )

    def lint(self, *, record_ids: Collection[str] = (), problems_only: bool = True) -> list[LintRow]:
        cond = " AND problems IS NOT NULL" if problems_only else ""
        if not record_ids:
            return self.sql.rows(f"SELECT record_id, fingerprint, problems FROM fact_lint WHERE true{cond} ORDER BY record_id")  # type: ignore[return-value]
        return self.sql.rows(  # type: ignore[return-value]
            f"SELECT record_id, fingerprint, problems FROM fact_lint WHERE record_id = ANY(%s){cond} ORDER BY record_id",
            (_list(record_ids),))

    def lint_verdicts(self, record_ids: Collection[str], fingerprint: str) -> tuple[list[LintRow], list[str]]:
        ids = _list(record_ids)
        refused: list[LintRow] = []
        unjudged: list[str] = []
        for r in self.sql.rows("SELECT record_id, fingerprint, problems FROM fact_lint WHERE record_id = ANY(%s) "
                               "AND (fingerprint <> %s OR problems IS NOT NULL)", (ids, fingerprint)):
            if r["fingerprint"] == fingerprint:
                refused.append(r)  # type: ignore[arg-type]
            else:
                unjudged.append(r["record_id"])
        unjudged += self.sql.column("SELECT i FROM unnest(%s::text[]) AS i WHERE NOT EXISTS "
                                    "(SELECT 1 FROM fact_lint l WHERE l.record_id = i)", (ids,))
        return sorted(refused, key=lambda r: r["record_id"]), sorted(unjudged)

    def lint_stale(self, fingerprint: str, *, within: str | None = None) -> int:
        if within is not None:
            return int(self.sql.value(
                "SELECT COUNT(*) FROM records r WHERE COALESCE(r.enterprise, r.origin) = %s AND NOT EXISTS "
                "(SELECT 1 FROM fact_lint l WHERE l.record_id = r.id AND l.fingerprint = %s)", (within, fingerprint)))
        return int(self.sql.value(
            "SELECT COUNT(*) FROM records r WHERE NOT EXISTS "
            "(SELECT 1 FROM fact_lint l WHERE l.record_id = r.id AND l.fingerprint = %s)", (fingerprint,)))

    def lint_stale_records(self, fingerprint: str, *, after: int = 0, limit: int = 500) -> list[RecordRow]:
        return self.sql.rows(  # type: ignore[return-value]
            "SELECT r.* FROM records r WHERE r.seq > %s AND NOT EXISTS "
            "(SELECT 1 FROM fact_lint l WHERE l.record_id = r.id AND l.fingerprint = %s) ORDER BY r.seq LIMIT %s",
            (after, fingerprint, int(limit)))
