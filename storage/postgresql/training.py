"""Question banks, exam attempts and the reminders' sent-log in PostgreSQL (tables
``question_banks``, ``exam_attempts``, ``reminders_sent``); implements
:class:`storage.interfaces.ExamBook` and :class:`storage.interfaces.ReminderLog`, with the same
meanings as :mod:`storage.sqlite.training`.

The status changes of an attempt are compare-and-set: one ``UPDATE … WHERE status …
RETURNING id``, true when it changed a row. The database keeps what the SQLite triggers keep:
question banks and the sent-log refuse UPDATE, DELETE and TRUNCATE; attempts refuse DELETE and
TRUNCATE, and a closed attempt refuses a change to its result (trigger ``exam_attempts_closed``,
migration 6).
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.errors import StorageError
from storage.postgresql.connection import Connection
from storage.rows import AttemptRow, BankRow, ReminderSentRow

ATTEMPT_COLUMNS = (
    "id", "person", "person_name", "employer", "enterprise", "level", "bank_sha256", "seed", "questions", "training",
    "time_limit", "pass_score", "status", "created_at", "created_by", "started_at", "deadline", "answers", "answered_at",
    "submitted_at", "correct", "score", "passed", "signature", "signature_sha256", "signed_at", "card_record",
)
_BANK_COLUMNS = "seq, sha256, level, title, version, questions, body, added_at, added_by"


def _attempt(row: dict | None) -> AttemptRow | None:
    if row is None:
        return None
    row["passed"] = None if row["passed"] is None else bool(row["passed"])
    return row  # type: ignore[return-value]


class PostgresExamBook:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    # --- banks ----------------------------------------------------------------------------------

    def add_bank(self, row: BankRow) -> bool:
        self.sql.require_transaction("INSERT INTO question_banks")
        if self.sql.value("SELECT 1 FROM question_banks WHERE level=%s AND sha256=%s", (row["level"], row["sha256"])):
            return False
        self.sql.write(
            "INSERT INTO question_banks(sha256, level, title, version, questions, body, added_at, added_by) "
            "VALUES(%s,%s,%s,%s,%s,%s,%s,%s)",
            (row["sha256"], row["level"], row["title"], row["version"], row["questions"], row["body"], row["added_at"],
             row["added_by"]),
        )
        return True

    def bank(self, sha256: str) -> BankRow | None:
        return self.sql.row(f"SELECT {_BANK_COLUMNS} FROM question_banks WHERE sha256=%s ORDER BY seq DESC LIMIT 1",  # type: ignore[return-value]
                            (sha256,))

    def banks(self, level: str | None = None) -> list[BankRow]:
        if level is None:
            return self.sql.rows(f"SELECT {_BANK_COLUMNS} FROM question_banks ORDER BY seq")  # type: ignore[return-value]
        return self.sql.rows(f"SELECT {_BANK_COLUMNS} FROM question_banks WHERE level=%s ORDER BY seq", (level,))  # type: ignore[return-value]

    # --- attempts -------------------------------------------------------------------------------

    def add_attempt(self, row: AttemptRow) -> None:
        self.sql.require_transaction("INSERT INTO exam_attempts")
        if self.sql.value("SELECT 1 FROM exam_attempts WHERE person=%s AND status IN ('assigned', 'open')", (row["person"],)):
            raise StorageError("该人员已有一场未结束的考试 (the worker already has an exam under way)")
        values = [row.get(c) for c in ATTEMPT_COLUMNS]  # type: ignore[misc]
        values[ATTEMPT_COLUMNS.index("answers")] = row.get("answers") or "{}"
        passed = row.get("passed")
        values[ATTEMPT_COLUMNS.index("passed")] = None if passed is None else int(passed)
        self.sql.write(
            f"INSERT INTO exam_attempts({', '.join(ATTEMPT_COLUMNS)}) VALUES({', '.join('%s' for _ in ATTEMPT_COLUMNS)})", values)

    def get_attempt(self, attempt_id: str) -> AttemptRow | None:
        return _attempt(self.sql.row(f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM exam_attempts WHERE id=%s", (attempt_id,)))

    def attempts(self, *, person: str | None = None, level: str | None = None, enterprise: str | None = None,
                 status: str | None = None, limit: int | None = None) -> list[AttemptRow]:
        where, args = [], []
        for col, val in (("person", person), ("level", level), ("enterprise", enterprise), ("status", status)):
            if val is not None:
                where.append(f"{col}=%s")
                args.append(val)
        sql = f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM exam_attempts" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            args.append(int(limit))
        return [_attempt(r) for r in self.sql.rows(sql, args)]  # type: ignore[misc]

    def _changed(self, sql: str, args: Sequence) -> bool:
        self.sql.require_transaction(sql)
        return self.sql.value(sql + " RETURNING 1", args) is not None

    def start_attempt(self, attempt_id: str, *, started_at: str, deadline: str) -> bool:
        return self._changed(
            "UPDATE exam_attempts SET status='open', started_at=%s, deadline=%s WHERE id=%s AND status='assigned'",
            (started_at, deadline, attempt_id))

    def save_answers(self, attempt_id: str, *, answers: str, answered_at: str) -> bool:
        return self._changed("UPDATE exam_attempts SET answers=%s, answered_at=%s WHERE id=%s AND status='open'",
                             (answers, answered_at, attempt_id))

    def close_attempt(self, attempt_id: str, *, status: str, submitted_at: str | None, correct: int | None,
                      score: float | None, passed: bool | None, answers: str | None = None) -> bool:
        if status not in ("submitted", "timed_out", "cancelled"):
            raise StorageError(f"不能以状态 {status} 结束考试 (not a closing status)")
        return self._changed(
            "UPDATE exam_attempts SET status=%s, submitted_at=%s, correct=%s, score=%s, passed=%s, "
            "answers=COALESCE(%s, answers) WHERE id=%s AND status IN ('assigned', 'open')",
            (status, submitted_at, correct, score, None if passed is None else int(passed), answers, attempt_id))

    def sign_attempt(self, attempt_id: str, *, signature: bytes, signature_sha256: str, signed_at: str) -> bool:
        return self._changed(
            "UPDATE exam_attempts SET signature=%s, signature_sha256=%s, signed_at=%s "
            "WHERE id=%s AND status IN ('submitted', 'timed_out') AND signature IS NULL",
            (bytes(signature), signature_sha256, signed_at, attempt_id))

    def link_card(self, attempt_id: str, record_id: str) -> bool:
        return self._changed(
            "UPDATE exam_attempts SET card_record=%s WHERE id=%s AND status='submitted' AND passed=1 "
            "AND signature IS NOT NULL AND card_record IS NULL", (record_id, attempt_id))


class PostgresReminderLog:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    def sent_keys(self, day: str, recipient: str) -> set[str]:
        return set(self.sql.column("SELECT item FROM reminders_sent WHERE day=%s AND recipient=%s", (day, recipient)))

    def log_sent(self, rows: Sequence[ReminderSentRow]) -> int:
        self.sql.require_transaction("INSERT INTO reminders_sent")
        new = 0
        for r in rows:
            new += self.sql.value(
                "INSERT INTO reminders_sent(item, day, recipient, sent_at, message_id) VALUES(%s,%s,%s,%s,%s) "
                "ON CONFLICT (item, day, recipient) DO NOTHING RETURNING 1",
                (r["item"], r["day"], r["recipient"], r["sent_at"], r["message_id"])) or 0
        return new

    def sent(self, *, day: str | None = None, recipient: str | None = None) -> list[ReminderSentRow]:
        where, args = [], []
        for col, val in (("day", day), ("recipient", recipient)):
            if val is not None:
                where.append(f"{col}=%s")
                args.append(val)
        sql = "SELECT item, day, recipient, sent_at, message_id FROM reminders_sent"
        sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        return self.sql.rows(sql, args)  # type: ignore[return-value]
