"""The web's rows in PostgreSQL: accounts, sessions and sign-in attempts (tables ``accounts``,
``sessions``, ``login_attempts``; mutable) and the access log (table ``access_log``, append-only
by trigger); implement :class:`storage.interfaces.AccountStore` and
:class:`storage.interfaces.AccessLog`.

Appenders of the access log are serialised by the catalog's transaction lock, which every write
transaction takes first (storage/postgresql/connection.py): :meth:`PostgresAccessLog.head` read
inside a transaction is the last entry for as long as that transaction runs, on every machine, so
two servers never claim the same number and the log stays one chain.
"""

from __future__ import annotations

from storage.errors import StorageError
from storage.postgresql.connection import Connection
from storage.rows import AccessRow, AccountRow, LoginAttemptRow, SessionRow

_ACCOUNT_COLUMNS = "name, role, org, password_hash, disabled, created_at, updated_at, person"
_SESSION_COLUMNS = "token_hash, account, csrf_token, created_at, last_seen_at, expires_at, address"
_ACCESS_COLUMNS = "seq, at, account, org, action, target, address, detail, prev_hash, hash"


class PostgresAccountStore:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    # --- accounts -------------------------------------------------------------------------------

    def add_account(self, row: AccountRow) -> None:
        self.sql.write(
            f"INSERT INTO accounts({_ACCOUNT_COLUMNS}) VALUES(%s,%s,%s,%s,%s,%s,%s,%s)",
            (row["name"], row["role"], row["org"], row["password_hash"], bool(row["disabled"]), row["created_at"],
             row["updated_at"], row.get("person")),
        )

    def get_account(self, name: str) -> AccountRow | None:
        return self.sql.row(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE name=%s", (name,))  # type: ignore[return-value]

    def accounts(self) -> list[AccountRow]:
        return self.sql.rows(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY name")  # type: ignore[return-value]

    def update_account(self, name: str, *, updated_at: str, password_hash: str | None = None,
                       disabled: bool | None = None, person: str | None = None) -> bool:
        sets, args = ["updated_at=%s"], [updated_at]
        if person is not None:
            sets.append("person=%s")
            args.append(person or None)
        if password_hash is not None:
            sets.append("password_hash=%s")
            args.append(password_hash)
        if disabled is not None:
            sets.append("disabled=%s")
            args.append(bool(disabled))
        if self.sql.value("SELECT 1 FROM accounts WHERE name=%s", (name,)) is None:
            return False
        self.sql.write(f"UPDATE accounts SET {', '.join(sets)} WHERE name=%s", [*args, name])
        return True

    # --- sessions -------------------------------------------------------------------------------

    def add_session(self, row: SessionRow) -> None:
        self.sql.write(
            f"INSERT INTO sessions({_SESSION_COLUMNS}) VALUES(%s,%s,%s,%s,%s,%s,%s)",
            (row["token_hash"], row["account"], row["csrf_token"], row["created_at"], row["last_seen_at"], row["expires_at"],
             row["address"]),
        )

    def get_session(self, token_hash: str) -> SessionRow | None:
        return self.sql.row(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE token_hash=%s", (token_hash,))  # type: ignore[return-value]

    def touch_session(self, token_hash: str, last_seen_at: str) -> None:
        self.sql.write("UPDATE sessions SET last_seen_at=%s WHERE token_hash=%s", (last_seen_at, token_hash))

    def end_session(self, token_hash: str) -> bool:
        self.sql.require_transaction("DELETE FROM sessions")
        return self.sql.value("DELETE FROM sessions WHERE token_hash=%s RETURNING 1", (token_hash,)) is not None

    def end_sessions(self, *, account: str | None = None, expired_before: str | None = None) -> int:
        where, args = [], []
        if account is not None:
            where.append("account=%s")
            args.append(account)
        if expired_before is not None:
            where.append("expires_at<%s")
            args.append(expired_before)
        if not where:
            raise ValueError("end_sessions needs account or expired_before")
        self.sql.require_transaction("DELETE FROM sessions")
        return len(self.sql.column(f"DELETE FROM sessions WHERE {' AND '.join(where)} RETURNING 1", args))

    # --- sign-in attempts -----------------------------------------------------------------------

    def add_login_attempt(self, row: LoginAttemptRow) -> None:
        self.sql.write(
            "INSERT INTO login_attempts(at, username_key, address, ok) VALUES(%s,%s,%s,%s)",
            (row["at"], row["username_key"], row["address"], bool(row["ok"])),
        )

    def login_attempts(self, *, since: str, username_key: str | None = None, address: str | None = None) -> list[LoginAttemptRow]:
        where, args = ["at>=%s"], [since]
        if username_key is not None:
            where.append("username_key=%s")
            args.append(username_key)
        if address is not None:
            where.append("address=%s")
            args.append(address)
        return self.sql.rows(  # type: ignore[return-value]
            f"SELECT at, username_key, address, ok FROM login_attempts WHERE {' AND '.join(where)} ORDER BY at, id", args
        )

    def forget_login_attempts(self, before: str) -> int:
        self.sql.require_transaction("DELETE FROM login_attempts")
        return len(self.sql.column("DELETE FROM login_attempts WHERE at<%s RETURNING 1", (before,)))


class PostgresAccessLog:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    def head(self) -> AccessRow | None:
        return self.sql.row(f"SELECT {_ACCESS_COLUMNS} FROM access_log ORDER BY seq DESC LIMIT 1")  # type: ignore[return-value]

    def append(self, row: AccessRow) -> None:
        self.sql.require_transaction("INSERT INTO access_log")
        last = int(self.sql.value("SELECT COALESCE(MAX(seq), 0) FROM access_log"))
        if row["seq"] != last + 1:
            raise StorageError(
                f"访问日志序号冲突：应为 {last + 1}，给出 {row['seq']} (access log entry out of sequence)"
            )
        self.sql.write(
            f"INSERT INTO access_log({_ACCESS_COLUMNS}) VALUES(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
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
        where, args = ["seq>%s"], [int(after_seq)]
        for col, val in (("account", account), ("org", org), ("action", action), ("target", target)):
            if val is not None:
                where.append(f"{col}=%s")
                args.append(val)
        if since is not None:
            where.append("at>=%s")
            args.append(since)
        if until is not None:
            where.append("at<=%s")
            args.append(until)
        sql = (f"SELECT {_ACCESS_COLUMNS} FROM access_log WHERE {' AND '.join(where)} "
               f"ORDER BY seq {'DESC' if newest_first else 'ASC'}")
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.sql.rows(sql, args)  # type: ignore[return-value]

    def count(self) -> int:
        return int(self.sql.value("SELECT COUNT(*) FROM access_log"))
