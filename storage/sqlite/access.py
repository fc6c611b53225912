"""The web's rows in SQLite: accounts, sessions and sign-in attempts (tables ``accounts``,
``sessions``, ``login_attempts``; mutable) and the access log (table ``access_log``, append-only
by trigger); implement :class:`storage.interfaces.AccountStore` and
:class:`storage.interfaces.AccessLog`."""

from __future__ import annotations

from storage.errors import StorageError
from storage.rows import AccessRow, AccountRow, LoginAttemptRow, SessionRow
from storage.sqlite.connection import Connection


def _account(row: dict | None) -> AccountRow | None:
    if row is None:
        return None
    row["disabled"] = bool(row["disabled"])
    return row  # type: ignore[return-value]


class SqliteAccountStore:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    # --- accounts -------------------------------------------------------------------------------

    def add_account(self, row: AccountRow) -> None:
        self.sql.write(
            "INSERT INTO accounts(name, role, org, password_hash, disabled, created_at, updated_at, person) VALUES(?,?,?,?,?,?,?,?)",
            (row["name"], row["role"], row["org"], row["password_hash"], int(bool(row["disabled"])), row["created_at"],
             row["updated_at"], row.get("person")),
        )

    def get_account(self, name: str) -> AccountRow | None:
        return _account(self.sql.row("SELECT * FROM accounts WHERE name=?", (name,)))

    def accounts(self) -> list[AccountRow]:
        return [_account(r) for r in self.sql.rows("SELECT * FROM accounts ORDER BY name")]  # type: ignore[misc]

    def update_account(self, name: str, *, updated_at: str, password_hash: str | None = None,
                       disabled: bool | None = None, person: str | None = None) -> bool:
        sets, args = ["updated_at=?"], [updated_at]
        if person is not None:
            sets.append("person=?")
            args.append(person or None)
        if password_hash is not None:
            sets.append("password_hash=?")
            args.append(password_hash)
        if disabled is not None:
            sets.append("disabled=?")
            args.append(int(bool(disabled)))
        if self.sql.value("SELECT 1 FROM accounts WHERE name=?", (name,)) is None:
            return False
        self.sql.write(f"UPDATE accounts SET {', '.join(sets)} WHERE name=?", [*args, name])
        return True

    # --- sessions -------------------------------------------------------------------------------

    def add_session(self, row: SessionRow) -> None:
        self.sql.write(
            "INSERT INTO sessions(token_hash, account, csrf_token, created_at, last_seen_at, expires_at, address) "
            "VALUES(?,?,?,?,?,?,?)",
            (row["token_hash"], row["account"], row["csrf_token"], row["created_at"], row["last_seen_at"], row["expires_at"],
             row["address"]),
        )

    def get_session(self, token_hash: str) -> SessionRow | None:
        return self.sql.row("SELECT * FROM sessions WHERE token_hash=?", (token_hash,))  # type: ignore[return-value]

    def touch_session(self, token_hash: str, last_seen_at: str) -> None:
        self.sql.write("UPDATE sessions SET last_seen_at=? WHERE token_hash=?", (last_seen_at, token_hash))

    def end_session(self, token_hash: str) -> bool:
        if self.sql.value("SELECT 1 FROM sessions WHERE token_hash=?", (token_hash,)) is None:
            return False
        self.sql.write("DELETE FROM sessions WHERE token_hash=?", (token_hash,))
        return True

    def end_sessions(self, *, account: str | None = None, expired_before: str | None = None) -> int:
        where, args = [], []
        if account is not None:
            where.append("account=?")
            args.append(account)
        if expired_before is not None:
            where.append("expires_at<?")
            args.append(expired_before)
        if not where:
            raise ValueError("end_sessions needs account or expired_before")
        cond = " AND ".join(where)
        n = int(self.sql.value(f"SELECT COUNT(*) FROM sessions WHERE {cond}", args))
        if n:
            self.sql.write(f"DELETE FROM sessions WHERE {cond}", args)
        return n

    # --- sign-in attempts -----------------------------------------------------------------------

    def add_login_attempt(self, row: LoginAttemptRow) -> None:
        self.sql.write(
            "INSERT INTO login_attempts(at, username_key, address, ok) VALUES(?,?,?,?)",
            (row["at"], row["username_key"], row["address"], int(bool(row["ok"]))),
        )

    def login_attempts(self, *, since: str, username_key: str | None = None, address: str | None = None) -> list[LoginAttemptRow]:
        where, args = ["at>=?"], [since]
        if username_key is not None:
            where.append("username_key=?")
            args.append(username_key)
        if address is not None:
            where.append("address=?")
            args.append(address)
        rows = self.sql.rows(
            f"SELECT at, username_key, address, ok FROM login_attempts WHERE {' AND '.join(where)} ORDER BY at, id", args
        )
        for r in rows:
            r["ok"] = bool(r["ok"])
        return rows  # type: ignore[return-value]

    def forget_login_attempts(self, before: str) -> int:
        n = int(self.sql.value("SELECT COUNT(*) FROM login_attempts WHERE at<?", (before,)))
        if n:
            self.sql.write("DELETE FROM login_attempts WHERE at<?", (before,))
        return n


def _entry(row: dict | None) -> AccessRow | None:
    if row is None:
        return None
    row["prev_hash"] = bytes(row["prev_hash"])
    row["hash"] = bytes(row["hash"])
    return row  # type: ignore[return-value]


class SqliteAccessLog:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    def head(self) -> AccessRow | None:
        return _entry(self.sql.row("SELECT * FROM access_log ORDER BY seq DESC LIMIT 1"))

    def append(self, row: AccessRow) -> None:
        last = int(self.sql.value("SELECT COALESCE(MAX(seq), 0) FROM access_log"))
        if row["seq"] != last + 1:
            raise StorageError(
                f"访问日志序号冲突：应为 {last + 1}，给出 {row['seq']} (access log entry out of sequence)"
            )
        self.sql.write(
            "INSERT INTO access_log(seq, at, account, org, action, target, address, detail, prev_hash, hash) "
            "VALUES(?,?,?,?,?,?,?,?,?,?)",
            (row["seq"], row["at"], row["account"], row["org"], row["action"], row["target"], row["address"], row["detail"],
             bytes(row["prev_hash"]), bytes(row["hash"])),
        )

    def entries(
        self,
        *,
        account: str | None = None,
        org: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AccessRow]:
        where, args = ["seq>?"], [int(after_seq)]
        for col, val in (("account", account), ("org", org), ("action", action), ("target", target)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        if since is not None:
            where.append("at>=?")
            args.append(since)
        if until is not None:
            where.append("at<=?")
            args.append(until)
        sql = f"SELECT * FROM access_log WHERE {' AND '.join(where)} ORDER BY seq {'DESC' if newest_first else 'ASC'}"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [_entry(r) for r in self.sql.rows(sql, args)]  # type: ignore[misc]

    def count(self) -> int:
        return int(self.sql.value("SELECT COUNT(*) FROM access_log"))
