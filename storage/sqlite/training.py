"""Question banks, exam attempts and the reminders' sent-log in SQLite; implements
:class:`storage.interfaces.ExamBook` and :class:`storage.interfaces.ReminderLog`."""

from __future__ import annotations

from collections.abc import Sequence

from storage.errors import StorageError
from storage.rows import AttemptRow, BankRow, ReminderSentRow
from storage.sqlite.connection import Connection

ATTEMPT_COLUMNS = (
    "id", "person", "person_name", "employer", "enterprise", "level", "bank_sha256", "seed", "questions", "training",
    "time_limit", "pass_score", "status", "created_at", "created_by", "started_at", "deadline", "answers", "answered_at",
    "submitted_at", "correct", "score", "passed", "signature", "signature_sha256", "signed_at", "card_record",
)
OPEN = ("assigned", "open")


def _attempt(row: dict | None) -> AttemptRow | None:
    if row is None:
        return None
    row["passed"] = None if row["passed"] is None else bool(row["passed"])
    if row["signature"] is not None:
        row["signature"] = bytes(row["signature"])
    return row  # type: ignore[return-value]


class SqliteExamBook:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    # --- banks ----------------------------------------------------------------------------------

    def add_bank(self, row: BankRow) -> bool:
        if self.sql.value("SELECT 1 FROM question_banks WHERE level=? AND sha256=?", (row["level"], row["sha256"])):
            return False
        self.sql.write(
            "INSERT INTO question_banks(sha256, level, title, version, questions, body, added_at, added_by) VALUES(?,?,?,?,?,?,?,?)",
            (row["sha256"], row["level"], row["title"], row["version"], row["questions"], row["body"], row["added_at"],
             row["added_by"]),
        )
        return True

    def bank(self, sha256: str) -> BankRow | None:
        return self.sql.row("SELECT * FROM question_banks WHERE sha256=? ORDER BY seq DESC LIMIT 1", (sha256,))  # type: ignore[return-value]

    def banks(self, level: str | None = None) -> list[BankRow]:
        if level is None:
            return self.sql.rows("SELECT * FROM question_banks ORDER BY seq")  # type: ignore[return-value]
        return self.sql.rows("SELECT * FROM question_banks WHERE level=? ORDER BY seq", (level,))  # type: ignore[return-value]

    # --- attempts -------------------------------------------------------------------------------

    def add_attempt(self, row: AttemptRow) -> None:
        if self.sql.value("SELECT 1 FROM exam_attempts WHERE person=? AND status IN ('assigned', 'open')", (row["person"],)):
            raise StorageError("该人员已有一场未结束的考试 (the worker already has an exam under way)")
        values = [row.get(c) for c in ATTEMPT_COLUMNS]  # type: ignore[misc]
        values[ATTEMPT_COLUMNS.index("answers")] = row.get("answers") or "{}"
        passed = row.get("passed")
        values[ATTEMPT_COLUMNS.index("passed")] = None if passed is None else int(passed)
        self.sql.write(f"INSERT INTO exam_attempts({', '.join(ATTEMPT_COLUMNS)}) VALUES({', '.join('?' * len(ATTEMPT_COLUMNS))})",
                       values)

    def get_attempt(self, attempt_id: str) -> AttemptRow | None:
        return _attempt(self.sql.row("SELECT * FROM exam_attempts WHERE id=?", (attempt_id,)))

    def attempts(self, *, person: str | None = None, level: str | None = None, enterprise: str | None = None,
                 status: str | None = None, limit: int | None = None) -> list[AttemptRow]:
        where, args = [], []
        for col, val in (("person", person), ("level", level), ("enterprise", enterprise), ("status", status)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        sql = "SELECT * FROM exam_attempts" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [_attempt(r) for r in self.sql.rows(sql, args)]  # type: ignore[misc]

    def _changed(self, sql: str, args: Sequence) -> bool:
        self.sql.write(sql, args)
        return bool(self.sql.value("SELECT changes()"))

    def start_attempt(self, attempt_id: str, *, started_at: str, deadline: str) -> bool:
        return self._changed("UPDATE exam_attempts SET status='open', started_at=?, deadline=? WHERE id=? AND status='assigned'",
                             (started_at, deadline, attempt_id))

    def save_answers(self, attempt_id: str, *, answers: str, answered_at: str) -> bool:
        return self._changed("UPDATE exam_attempts SET answers=?, answered_at=? WHERE id=? AND status='open'",
                             (answers, answered_at, attempt_id))

    def close_attempt(self, attempt_id: str, *, status: str, submitted_at: str | None, correct: int | None,
                      score: float | None, passed: bool | None, answers: str | None = None) -> bool:
        if status not in ("submitted", "timed_out", "cancelled"):
            raise StorageError(f"不能以状态 {status} 结束考试 (not a closing status)")
        return self._changed(
            "UPDATE exam_attempts SET status=?, submitted_at=?, correct=?, score=?, passed=?, answers=COALESCE(?, answers) "
            "WHERE id=? AND status IN ('assigned', 'open')",
            (status, submitted_at, correct, score, None if passed is None else int(passed), answers, attempt_id))

    def sign_attempt(self, attempt_id: str, *, signature: bytes, signature_sha256: str, signed_at: str) -> bool:
        return self._changed(
            "UPDATE exam_attempts SET signature=?, signature_sha256=?, signed_at=? "
            "WHERE id=? AND status IN ('submitted', 'timed_out') AND signature IS NULL",
            (signature, signature_sha256, signed_at, attempt_id))

    def link_card(self, attempt_id: str, record_id: str) -> bool:
        return self._changed(
            "UPDATE exam_attempts SET card_record=? WHERE id=? AND status='submitted' AND passed=1 AND signature IS NOT NULL "
            "AND card_record IS NULL", (record_id, attempt_id))


class SqliteReminderLog:
    def __init__(self, sql: Connection) -> None:
        self.sql = sql

    def sent_keys(self, day: str, recipient: str) -> set[str]:
        return set(self.sql.column("SELECT item FROM reminders_sent WHERE day=? AND recipient=?", (day, recipient)))

    def log_sent(self, rows: Sequence[ReminderSentRow]) -> int:
        new = 0
        for r in rows:
            self.sql.write("INSERT OR IGNORE INTO reminders_sent(item, day, recipient, sent_at, message_id) VALUES(?,?,?,?,?)",
                           (r["item"], r["day"], r["recipient"], r["sent_at"], r["message_id"]))
            new += int(self.sql.value("SELECT changes()") or 0)
        return new

    def sent(self, *, day: str | None = None, recipient: str | None = None) -> list[ReminderSentRow]:
        where, args = [], []
        for col, val in (("day", day), ("recipient", recipient)):
            if val is not None:
                where.append(f"{col}=?")
                args.append(val)
        sql = "SELECT item, day, recipient, sent_at, message_id FROM reminders_sent"
        sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        return self.sql.rows(sql, args)  # type: ignore[return-value]
