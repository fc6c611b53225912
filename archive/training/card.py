"""The 三级安全教育登记卡 written from a worker's exams.

    state = card_state(archive, key)          # per level: the last exam, the passed and signed one; the worker's cards
    written = write_card(archive, key, record_no="HR-SJJY-2026-014", confirmed_by="王建华", confirmed_on=day)

A card needs a passed exam with the worker's signature for each of the three levels. It goes
through the same pipeline as ``outsafe case add`` (schema and rules, the cross-record rules,
template, PDF, seal, ledger): a case file is written from the exams into a claimed staging folder
of the archive's tmp/, beside the signature PNGs it names, and added from there. Each level
carries its exam (schemas.training.ExamResult) and the PNG the worker signed as 受教育人签字; the
PNGs are the record's files, so their SHA-256 are in the seal and ``outsafe verify`` re-hashes
them. A worker who already has a card at this enterprise gets a new version of it (supersedes),
never a second card. Each exam written into a card is linked to it (once).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from archive import ids
from archive.clock import local_day, local_time
from archive.errors import Problem, RuleViolation, ValidationFailed
from archive.training.exam import bank_by_sha, is_right, person_of, png_problem, summary
from schemas import dump_yaml
from schemas.training import LEVELS
from storage.staging import claim

CARD_NOTE = "三级安全教育在线考试成绩写入登记卡"


def _usable(a: dict) -> bool:
    return a["status"] == "submitted" and bool(a["passed"]) and a["signature"] is not None


def trainee_cards(archive: Any, person: Any) -> list[dict]:
    """The worker's current training cards at this archive's enterprise (rows), newest first."""
    out = []
    for row in archive.catalog.list_records(types=["training_record"], contractor=person.employer, current_only=True):
        card = archive.load_record(row)
        if card.trainee.id_number.upper() == person.id_number.upper() and card.enterprise == archive.owner_uscc:
            out.append(row)
    return sorted(out, key=lambda r: r["seq"], reverse=True)


def next_record_no(archive: Any) -> str:
    """A proposal for a new card's number: the enterprise's last card number plus one (its own
    prefix kept), else ``SJJY-<year>-001``."""
    best: tuple[str, int, int] | None = None
    for row in archive.catalog.list_records(types=["training_record"], belongs_to=archive.owner_uscc):
        m = re.match(r"^(.*?)(\d+)$", row["doc_no"] or "")
        if m and (best is None or int(m[2]) > best[1]):
            best = (m[1], int(m[2]), len(m[2]))
    if best is None:
        return f"SJJY-{archive.clock.today().year}-001"
    prefix, n, width = best
    return f"{prefix}{n + 1:0{width}d}"


def card_state(archive: Any, key: str) -> dict:
    """Where the worker stands: per level the last exam and the passed, signed one a card can take;
    the worker's current card(s); whether a card can be written now."""
    person, reg = person_of(archive, key)
    attempts = archive.catalog.exams.attempts(person=key)
    levels = []
    for lv in LEVELS:
        mine = [a for a in attempts if a["level"] == lv]
        usable = next((a for a in mine if _usable(a)), None)
        levels.append({"level": lv, "latest": summary(mine[0]) if mine else None, "usable": summary(usable) if usable else None,
                       "attempts": len(mine)})
    cards = trainee_cards(archive, person)
    usable_ids = [lv["usable"]["id"] for lv in levels if lv["usable"]]
    linked = all(lv["usable"] and lv["usable"]["card_record"] for lv in levels)
    return {
        "key": key, "person_record": reg["record_id"], "name": person.name, "employer": person.employer,
        "employer_name": (archive.catalog.get_registry("organization", person.employer) or {}).get("name", person.employer),
        "trade": person.trade, "entry_date": person.entry_date.isoformat() if person.entry_date else None,
        "levels": levels, "ready": len(usable_ids) == len(LEVELS) and not linked, "written": linked,
        "cards": [{"id": c["id"], "title": c["title"], "doc_no": c["doc_no"], "doc_date": c["doc_date"]} for c in cards],
        "record_no": cards[0]["doc_no"] if cards else next_record_no(archive),
        "under_way": next((summary(a) for a in attempts if a["status"] in ("assigned", "open")), None),
    }


def _exam_of(archive: Any, a: dict) -> dict:
    bank = bank_by_sha(archive, a["bank_sha256"])
    answers = json.loads(a["answers"])
    rows = []
    for qid in json.loads(a["questions"]):
        q = bank.question(qid)
        given = answers.get(qid)
        rows.append({"question": qid, "given": given, "correct": bool(q is not None and is_right(q, given))})
    return {
        "attempt": a["id"], "bank": f"{bank.bank.title}（{bank.bank.version}）", "bank_sha256": a["bank_sha256"], "seed": a["seed"],
        "started_at": local_time(a["started_at"]), "submitted_at": local_time(a["submitted_at"]), "minutes": a["time_limit"] // 60,
        "pass_score": a["pass_score"], "questions": len(rows), "correct": a["correct"], "answers": rows,
    }


@dataclass
class WrittenCard:
    record_id: str
    record_no: str
    status: str  # added | superseded
    supersedes: str | None
    attempts: list[str]

    def as_dict(self) -> dict:
        return {"record_id": self.record_id, "record_no": self.record_no, "status": self.status, "supersedes": self.supersedes,
                "attempts": self.attempts}

    def as_text(self) -> list[str]:
        verb = "已写入登记卡（新版本）" if self.status == "superseded" else "已写入登记卡"
        return [f"{verb} {self.record_no}：记录 {self.record_id}"]


def write_card(archive: Any, key: str, *, record_no: str, confirmed_by: str, confirmed_on: date | None = None,
               trade: str | None = None, entry_date: date | None = None, project: str | None = None,
               site_briefing: str | None = None, confirmer_signature: bytes | None = None, pdf: bool = True) -> WrittenCard:
    """Seal the worker's 三级安全教育登记卡 from his three passed and signed exams."""
    person, _ = person_of(archive, key)
    state = card_state(archive, key)
    missing = [lv["level"] for lv in state["levels"] if not lv["usable"]]
    if missing:
        raise RuleViolation([Problem("levels", f"{person.name}的{'、'.join(missing)}考试尚未合格并签字确认，不能写入登记卡"
                                               f" (every level needs a passed and signed exam)", "安全生产法 第二十八条")])
    if state["written"]:
        raise RuleViolation([Problem("levels", f"这些考试成绩已写入登记卡 {state['levels'][0]['usable']['card_record']} (already written)")])
    problems = []
    if not (record_no or "").strip():
        problems.append(Problem("record_no", "请填写登记卡编号 (card number is required)"))
    if not (confirmed_by or "").strip():
        problems.append(Problem("confirmed_by", "请填写安全管理部门确认人 (confirmed by is required)"))
    trade = (trade or person.trade or "").strip()
    if not trade:
        problems.append(Problem("trade", "请填写工种 (trade is required)"))
    entry = entry_date or person.entry_date
    if entry is None:
        problems.append(Problem("entry_date", "请填写入场日期 (entry date is required)"))
    if confirmer_signature is not None and (why := png_problem(confirmer_signature)):
        problems.append(Problem("confirmer_signature", why))
    if problems:
        raise ValidationFailed(problems)
    rows = {lv["level"]: archive.catalog.exams.get_attempt(lv["usable"]["id"]) for lv in state["levels"]}
    confirmed_on = confirmed_on or archive.clock.today()
    files: dict[str, bytes] = {}
    levels = []
    for lv in LEVELS:
        a = rows[lv]
        t = json.loads(a["training"])
        name = f"受教育人签字-{lv}.png"
        files[name] = bytes(a["signature"])
        levels.append({
            "level": lv, "start": t["start"], "hours": t["hours"], "content": t["content"], "trainer": t["trainer"],
            "trainee_signature": {"file": name, "signed_on": local_day(a["signed_at"]).isoformat()},
            "exam_date": local_day(a["submitted_at"]).isoformat(), "score": a["score"], "passed": True,
            "exam": _exam_of(archive, a),
        })
    conclusion: dict[str, Any] = {"passed": True, "may_take_post": True, "confirmed_by": confirmed_by.strip(),
                                  "confirmed_on": confirmed_on.isoformat()}
    if confirmer_signature is not None:
        files["确认人签字.png"] = confirmer_signature
        conclusion["confirmer_signature"] = {"file": "确认人签字.png", "signed_on": confirmed_on.isoformat()}
    data = {
        "type": "training_record", "record_no": record_no.strip(), "contractor": person.employer, "enterprise": archive.owner_uscc,
        "project": (project or "").strip() or None,
        "trainee": {"name": person.name, "id_number": person.id_number, "education": person.education, "trade": trade,
                    "entry_date": entry.isoformat(), "labour_type": person.labour_type},
        "levels": levels, "conclusion": conclusion, "site_briefing": (site_briefing or "").strip() or None,
    }
    data = {k: v for k, v in data.items() if v is not None}
    data["trainee"] = {k: v for k, v in data["trainee"].items() if v is not None}
    old = state["cards"][0]["id"] if state["cards"] else None
    folder = archive.home.tmp_dir / f"card-{ids.new_id(archive.clock)}"
    with claim(archive.home.tmp_dir, folder):
        folder.mkdir(parents=True)
        for name, content in files.items():
            (folder / name).write_bytes(content)
        source = folder / f"三级安全教育登记卡-{record_no.strip()}.yaml"
        source.write_text(f"# {CARD_NOTE}（{', '.join(a['id'] for a in rows.values())}）\n"
                          + dump_yaml(data), encoding="utf-8")
        if old is not None:
            report = archive.supersede(old, source, reason=CARD_NOTE, pdf=pdf)
        else:
            report = archive.add_files([source], expect="training_record", note=CARD_NOTE, pdf=pdf)
    if report.failed:
        raise ValidationFailed([Problem("", f"登记卡未能生成 PDF (the PDF could not be made): {report.failed[0][1]}")])
    rid = report.added[0].id
    with archive.catalog.transaction():
        for a in rows.values():
            archive.catalog.exams.link_card(a["id"], rid)
    return WrittenCard(rid, record_no.strip(), "superseded" if old else "added", old, [a["id"] for a in rows.values()])


__all__ = ["card_state", "write_card", "next_record_no", "trainee_cards", "WrittenCard", "CARD_NOTE"]
