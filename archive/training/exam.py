"""One exam attempt, from arranging it to the worker's signature.

    a = arrange(archive, person_key, "公司级", training, by="li")   # drawn, recorded, not started
    start(archive, a["id"], birth="19860315")                       # the worker confirms who he is; the clock starts
    save_answers(archive, a["id"], {"GS-03": "ABCD"})               # each answer as it is given (autosave)
    view = submit(archive, a["id"], answers)                        # scored; after the deadline: timed out
    sign(archive, a["id"], png_bytes)                               # the worker's signed confirmation

The draw is reproducible from the seed recorded with the attempt, by anyone: sort the bank's
question ids by ``sha256(seed ":" id)`` (hex) and take the first N (:func:`draw`). Every time is
the server's (``archive.clock``); a phone's clock is never asked. An attempt past its deadline is
closed as timed out the next time anyone touches or reads it (:func:`settle`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from archive import ids
from archive.access.scope import not_found
from archive.clock import CST, local_day, local_time, utc_stamp
from archive.errors import NotFound, Problem, RuleViolation, ValidationFailed
from archive.privacy import born_on, mask_text
from archive.registry import person_key
from archive.training.bank import InstalledBank, bank_by_sha, current_bank, draw_count
from schemas.exam import JUDGE_ANSWERS, KIND_NAMES, LETTERS, Question, answer_letters
from schemas.training import LEVELS, exam_score
from storage.errors import StorageError

STATUS_NAMES = {"assigned": "待开始", "open": "答题中", "submitted": "已交卷", "timed_out": "超时", "cancelled": "已取消"}
CLOSED = ("submitted", "timed_out", "cancelled")
SIGNATURE_MAX_BYTES = 200_000
SIGNATURE_MAX_SIDE = 4000


# --- the draw and the score ------------------------------------------------------------------------


def draw(question_ids: Iterable[str], count: int, seed: str) -> list[str]:
    """``count`` question ids drawn by ``seed`` (hex text): the ids sorted by sha256(seed:id)."""
    order = sorted(set(question_ids), key=lambda q: hashlib.sha256(f"{seed}:{q}".encode()).hexdigest())
    return order[:count]


def normalise(question: Question, given: Any) -> str | None:
    """An answer as stored: letters sorted (``CA`` → ``AC``) for choices, 正确/错误 for true/false;
    None for no answer or one that is not an answer to this question."""
    if given is None:
        return None
    text = str(given).strip()
    if question.kind == "judge":
        return text if text in JUDGE_ANSWERS else None
    letters = answer_letters(text)
    allowed = LETTERS[:len(question.options)]
    if not letters or any(c not in allowed for c in letters) or (question.kind == "single" and len(letters) != 1):
        return None
    return letters


def is_right(question: Question, given: str | None) -> bool:
    if given is None:
        return False
    if question.kind == "judge":
        return given == question.answer
    return given == answer_letters(question.answer)


def score_of(bank: InstalledBank, drawn: Sequence[str], answers: Mapping[str, str]) -> tuple[int, float]:
    correct = sum(1 for q in drawn if (question := bank.question(q)) is not None and is_right(question, answers.get(q)))
    return correct, exam_score(correct, len(drawn))


# --- reading attempts ---------------------------------------------------------------------------------


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def get(archive: Any, attempt_id: str, *, within: str | None = None) -> dict:
    """The attempt (settled first), or NotFound — also for an attempt of another enterprise than
    ``within`` (an account's scope): the same words as a missing one."""
    row = archive.catalog.exams.get_attempt((attempt_id or "").strip().upper())
    if row is None or (within is not None and row["enterprise"] != within):
        raise not_found(attempt_id)
    return settle(archive, row)


def settle(archive: Any, row: dict) -> dict:
    """Close an open attempt whose time ran out (timed out, scored on the answers saved before the
    deadline); the attempt as it now stands."""
    if row["status"] != "open":
        return row
    deadline = _parse(row["deadline"])
    grace = timedelta(seconds=archive.settings.exam_grace_seconds)
    if deadline is None or archive.clock.now() <= deadline + grace:
        return row
    bank = bank_by_sha(archive, row["bank_sha256"])
    correct, score = score_of(bank, json.loads(row["questions"]), json.loads(row["answers"]))
    with archive.catalog.transaction():
        archive.catalog.exams.close_attempt(row["id"], status="timed_out", submitted_at=row["deadline"], correct=correct,
                                            score=score, passed=False)
    return archive.catalog.exams.get_attempt(row["id"])


def settle_person(archive: Any, person: str) -> None:
    for row in archive.catalog.exams.attempts(person=person, status="open"):
        settle(archive, row)


# --- arranging, starting, answering, submitting ----------------------------------------------------------


def person_of(archive: Any, key: str) -> tuple[Any, dict]:
    """The registered person of registry key ``key`` and its registry row; NotFound."""
    reg = archive.catalog.get_registry("person", key)
    if reg is None:
        raise NotFound("没有这个人员 (no such person)")
    return archive.load_record(archive.catalog.get_record(reg["record_id"])), reg


def training_facts(archive: Any, level: str, *, start: date | None, hours: Any, trainer: str | None,
                   content: Sequence[str]) -> dict:
    """The training an exam closes, as the officer states it; every problem at once."""
    problems = []
    today = archive.clock.today()
    if start is None:
        problems.append(Problem("start", "请填写培训日期 (training date is required)"))
    elif start > today:
        problems.append(Problem("start", f"培训日期 {start} 在未来 (training date in the future)"))
    try:
        h = float(hours)
        if not 0.5 <= h <= 200:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem("hours", "学时应为 0.5 至 200 之间的数字 (hours must be a number from 0.5 to 200)"))
        h = 0.0
    if not (trainer or "").strip():
        problems.append(Problem("trainer", "请填写培训人 (trainer is required)"))
    lines = [c.strip() for c in content if c and c.strip()]
    if not lines:
        problems.append(Problem("content", "请填写培训内容，每行一项 (training content is required)"))
    if level not in LEVELS:
        problems.append(Problem("level", "教育级别应为 公司级、车间级 或 班组级 (unknown level)"))
    if problems:
        raise ValidationFailed(problems)
    return {"start": start.isoformat(), "hours": h, "trainer": trainer.strip(), "content": lines}


def arrange(archive: Any, key: str, level: str, training: Mapping[str, Any], *, by: str | None = None,
            seed: str | None = None) -> dict:
    """Arrange an exam of ``level`` for the worker ``key`` (registry key): the draw is made now from
    the level's current bank and recorded with its seed; the clock starts when the worker starts."""
    person, _reg = person_of(archive, key)
    employer = archive.catalog.get_registry("organization", person.employer)
    if person.employer == archive.owner_uscc or employer is None:
        raise RuleViolation([Problem("person", f"{person.name}不是承包单位人员，登记卡须写明其承包单位 (not a contractor's worker)")])
    bank = current_bank(archive, level)
    count = draw_count(archive.settings, level)
    seed = seed or secrets.token_hex(8)
    drawn = draw((q.id for q in bank.bank.questions), count, seed)
    settle_person(archive, key)
    row = {
        "id": ids.new_id(archive.clock), "person": key, "person_name": person.name, "employer": person.employer,
        "enterprise": archive.owner_uscc, "level": level, "bank_sha256": bank.sha256, "seed": seed,
        "questions": json.dumps(drawn), "training": json.dumps(dict(training), ensure_ascii=False, sort_keys=True),
        "time_limit": int(archive.settings.exam_minutes) * 60, "pass_score": float(archive.settings.training_pass_score),
        "status": "assigned", "created_at": archive.clock.stamp(), "created_by": by, "started_at": None, "deadline": None,
        "answers": "{}", "answered_at": None, "submitted_at": None, "correct": None, "score": None, "passed": None,
        "signature": None, "signature_sha256": None, "signed_at": None, "card_record": None,
    }
    try:
        with archive.catalog.transaction():
            archive.catalog.exams.add_attempt(row)
    except StorageError:
        under_way = archive.catalog.exams.attempts(person=key, status="open") + archive.catalog.exams.attempts(person=key, status="assigned")
        which = f"（{under_way[0]['level']}，编号 {under_way[0]['id']}）" if under_way else ""
        raise RuleViolation([Problem("person", f"{person.name}已有一场未结束的考试{which}，同一时间只能进行一场；请先完成或取消"
                                               f" (one exam at a time per worker)")]) from None
    return archive.catalog.exams.get_attempt(row["id"])


def start(archive: Any, attempt_id: str, *, birth: str, within: str | None = None) -> dict:
    """The worker confirms who he is (his date of birth, which his masked 身份证号 hides:
    :func:`archive.privacy.born_on`) and starts: the
    server's clock runs from now for ``time_limit`` seconds."""
    row = get(archive, attempt_id, within=within)
    if row["status"] != "assigned":
        raise RuleViolation([Problem("status", f"考试{STATUS_NAMES[row['status']]}，不能再开始 (the exam cannot be started now)")])
    person, _ = person_of(archive, row["person"])
    s = archive.settings
    since = utc_stamp(archive.clock.now() - timedelta(minutes=s.ticket_identify_window_minutes))
    refused = archive.catalog.access_log.entries(action="exam_start_refused", target=row["id"], since=since)
    if len(refused) >= s.ticket_identify_max_failures:  # the refusals the web logs (web.training.start): no guessing
        raise RuleViolation([Problem("birth", f"核验失败次数过多，请 {s.ticket_identify_window_minutes} 分钟后再试 "
                                              f"(too many wrong dates of birth; paused for {s.ticket_identify_window_minutes} minutes)")])
    if not born_on(person.id_number.upper(), birth):
        raise ValidationFailed([Problem("birth", "出生日期不符，请本人作答 (the date of birth does not match)")])
    now = archive.clock.now()
    with archive.catalog.transaction():
        archive.catalog.exams.start_attempt(row["id"], started_at=utc_stamp(now),
                                            deadline=utc_stamp(now + timedelta(seconds=row["time_limit"])))
    return archive.catalog.exams.get_attempt(row["id"])


def _clean_answers(bank: InstalledBank, drawn: Sequence[str], answers: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for qid in drawn:
        q = bank.question(qid)
        if q is not None and (a := normalise(q, answers.get(qid))) is not None:
            out[qid] = a
    return out


def save_answers(archive: Any, attempt_id: str, answers: Mapping[str, Any], *, within: str | None = None) -> dict:
    """Keep the answers given so far (the page saves each as it is given). After the deadline
    nothing is taken: the attempt is closed as timed out and returned so."""
    row = get(archive, attempt_id, within=within)
    if row["status"] != "open":
        return row
    bank = bank_by_sha(archive, row["bank_sha256"])
    clean = _clean_answers(bank, json.loads(row["questions"]), answers)
    with archive.catalog.transaction():
        archive.catalog.exams.save_answers(row["id"], answers=json.dumps(clean, ensure_ascii=False, sort_keys=True),
                                           answered_at=archive.clock.stamp())
    return settle(archive, archive.catalog.exams.get_attempt(row["id"]))


def submit(archive: Any, attempt_id: str, answers: Mapping[str, Any], *, within: str | None = None) -> dict:
    """Hand in: scored on ``answers`` when the server receives them within the time limit (plus
    the grace); later, the attempt is timed out, scored on what was saved before the deadline,
    and not passed."""
    row = get(archive, attempt_id, within=within)  # settles: a late submission finds it timed out
    if row["status"] != "open":
        if row["status"] == "assigned":
            raise RuleViolation([Problem("status", "考试尚未开始 (the exam has not started)")])
        return row
    bank = bank_by_sha(archive, row["bank_sha256"])
    drawn = json.loads(row["questions"])
    clean = _clean_answers(bank, drawn, {**json.loads(row["answers"]), **answers})
    correct, score = score_of(bank, drawn, clean)
    with archive.catalog.transaction():
        archive.catalog.exams.close_attempt(row["id"], status="submitted", submitted_at=archive.clock.stamp(), correct=correct,
                                            score=score, passed=score >= row["pass_score"],
                                            answers=json.dumps(clean, ensure_ascii=False, sort_keys=True))
    return archive.catalog.exams.get_attempt(row["id"])


def cancel(archive: Any, attempt_id: str, *, within: str | None = None) -> dict:
    """The officer calls off an exam not yet handed in (the worker fell ill, the wrong level …)."""
    row = get(archive, attempt_id, within=within)
    if row["status"] in CLOSED:
        raise RuleViolation([Problem("status", f"考试已{STATUS_NAMES[row['status']]}，不能取消 (already closed)")])
    with archive.catalog.transaction():
        archive.catalog.exams.close_attempt(row["id"], status="cancelled", submitted_at=None, correct=None, score=None, passed=None)
    return archive.catalog.exams.get_attempt(row["id"])


def png_problem(data: bytes) -> str | None:
    """Why ``data`` is not a sane signature PNG (None: it is one)."""
    if len(data) > SIGNATURE_MAX_BYTES:
        return f"签名图片过大（{len(data):,} 字节，至多 {SIGNATURE_MAX_BYTES:,}） (signature image too large)"
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 24 or data[12:16] != b"IHDR":
        return "签名应为 PNG 图片 (the signature must be a PNG image)"
    w, h = struct.unpack(">II", data[16:24])
    if not (0 < w <= SIGNATURE_MAX_SIDE and 0 < h <= SIGNATURE_MAX_SIDE):
        return "签名图片尺寸无效 (invalid signature image size)"
    return None


def sign(archive: Any, attempt_id: str, png: bytes, *, within: str | None = None) -> dict:
    """The worker's handwritten confirmation of his result (a PNG from the signature pad), kept with
    the attempt; written into the card as the level's 受教育人签字, its hash sealed with it."""
    row = get(archive, attempt_id, within=within)
    if row["status"] not in ("submitted", "timed_out"):
        raise RuleViolation([Problem("status", "交卷后才能签字确认 (sign after handing in)")])
    if row["signature"] is not None:
        raise RuleViolation([Problem("signature", "已签字确认 (already signed)")])
    why = png_problem(png)
    if why:
        raise ValidationFailed([Problem("signature", why)])
    with archive.catalog.transaction():
        archive.catalog.exams.sign_attempt(row["id"], signature=png, signature_sha256=hashlib.sha256(png).hexdigest(),
                                           signed_at=archive.clock.stamp())
    return archive.catalog.exams.get_attempt(row["id"])


# --- what a page, the command line and the admission rule see ---------------------------------------------


def remaining_seconds(archive: Any, row: dict) -> int | None:
    if row["status"] != "open" or not row["deadline"]:
        return None
    return max(0, int((_parse(row["deadline"]) - archive.clock.now()).total_seconds()))


def summary(row: dict) -> dict:
    """An attempt in a list: no answers, no signature bytes, no ID number."""
    started, submitted = _parse(row["started_at"]), _parse(row["submitted_at"])
    used = int((submitted - started).total_seconds()) if started and submitted else None
    return {
        "id": row["id"], "person": row["person"], "person_name": row["person_name"], "employer": row["employer"],
        "level": row["level"], "status": row["status"], "status_name": STATUS_NAMES[row["status"]],
        "questions": len(json.loads(row["questions"])), "correct": row["correct"], "score": row["score"], "passed": row["passed"],
        "pass_score": row["pass_score"], "minutes": row["time_limit"] // 60, "created_at": local_time(row["created_at"]),
        "created_by": row["created_by"], "started_at": local_time(row["started_at"]), "deadline": local_time(row["deadline"]),
        "submitted_at": local_time(row["submitted_at"]), "seconds_used": used, "signed": row["signature"] is not None,
        "signature_sha256": row["signature_sha256"], "signed_at": local_time(row["signed_at"]), "card_record": row["card_record"],
        "bank_sha256": row["bank_sha256"], "seed": row["seed"], "training": json.loads(row["training"]),
    }


def paper(archive: Any, row: dict) -> dict:
    """The attempt as the exam page shows it: its questions in order; the answers saved so far;
    after handing in, for each question the right answer, whether it was answered right, the
    explanation and the source (never before)."""
    bank = bank_by_sha(archive, row["bank_sha256"])
    answers = json.loads(row["answers"])
    closed = row["status"] in CLOSED
    shown = []
    for n, qid in enumerate(json.loads(row["questions"]), 1):
        q = bank.question(qid)
        if q is None:
            continue
        options = [{"key": LETTERS[i], "text": t} for i, t in enumerate(q.options)] if q.kind != "judge" else \
            [{"key": a, "text": a} for a in JUDGE_ANSWERS]
        item = {"n": n, "id": q.id, "kind": q.kind, "kind_name": KIND_NAMES[q.kind], "text": q.text, "options": options,
                "given": answers.get(qid)}
        if closed:
            item.update(answer=q.answer if q.kind == "judge" else answer_letters(q.answer), right=is_right(q, answers.get(qid)),
                        explanation=q.explanation, source=q.source)
        shown.append(item)
    return {**summary(row), "bank_title": bank.bank.title, "remaining_seconds": remaining_seconds(archive, row),
            "answered": len(answers), "items": shown}


@dataclass
class Results:
    """``outsafe exam results`` and the results page: attempts, newest first."""

    rows: list[dict]

    def as_dict(self) -> dict:
        return {"attempts": self.rows}

    def as_text(self) -> list[str]:
        if not self.rows:
            return ["没有考试记录 (no exams)"]
        out = []
        for r in self.rows:
            score = f"{r['score']:g} 分" if r["score"] is not None else "—"
            verdict = "合格" if r["passed"] else ("不合格" if r["passed"] is False else "")
            out.append(f"{r['created_at'][:16]}  {r['person_name']}  {r['level']}  {r['status_name']}  {score} {verdict}"
                       f"{'  已签字' if r['signed'] else ''}{'  已入卡' if r['card_record'] else ''}  {r['id']}")
        return out


def results(archive: Any, *, within: str | None = None, level: str | None = None, status: str | None = None,
            person: str | None = None, limit: int = 200) -> Results:
    """Exams of the archive (of the enterprise ``within``), newest first; open ones past their time
    are settled first."""
    for row in archive.catalog.exams.attempts(status="open", enterprise=within):
        settle(archive, row)
    rows = archive.catalog.exams.attempts(enterprise=within, level=level, status=status, person=person, limit=limit)
    return Results([summary(r) for r in rows])


def person_key_of(archive: Any, id_number: str) -> str:
    return person_key(archive.secret, id_number)


def latest_results(catalog: Any, key: str, upto: date) -> dict[str, dict]:
    """For each level, the worker's last closed exam (submitted or timed out) handed in on or before
    ``upto`` (China day) — what the admission rule reads. Cancelled exams do not count."""
    out: dict[str, dict] = {}
    for row in catalog.exams.attempts(person=key):  # newest first
        if row["status"] not in ("submitted", "timed_out") or row["level"] in out:
            continue
        day = local_day(row["submitted_at"])
        if day is not None and day <= upto:
            out[row["level"]] = row
    return out


def masked(value: Any) -> Any:
    """Results as a page or --json shows them (ID-shaped text masked, like every output)."""
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return mask_text(value) if isinstance(value, str) else value


def local_clock(stamp: str | None) -> str:
    """A UTC stamp as China time (HH:MM:SS), for the page's deadline line."""
    dt = _parse(stamp)
    return dt.astimezone(CST).strftime("%H:%M:%S") if dt else ""


__all__ = ["draw", "arrange", "start", "save_answers", "submit", "cancel", "sign", "settle", "get", "paper", "summary", "results",
           "latest_results", "training_facts", "person_key_of", "STATUS_NAMES", "png_problem", "score_of", "normalise", "person_of"]
