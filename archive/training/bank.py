"""Question banks: check a bank file, install it into the archive, find the current bank of a level.

    check_banks(archive, paths)          # BankReport: every problem of every file, nothing stored
    add_banks(archive, paths, by="li")   # the same checks, then each bank installed (or already there)
    bank = current_bank(archive, "公司级")   # InstalledBank: the row and the loaded QuestionBank

A bank is kept as the canonical JSON of what was loaded (its SHA-256 names it); an exam records the
SHA-256 of the bank it drew from, so the questions of any past exam can be shown again after the
bank has been replaced by a newer version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.errors import NotFound, Problem, ValidationFailed
from schemas import FileProblem, read_case_file
from schemas.base import build, dump
from schemas.exam import Question, QuestionBank, load_bank
from schemas.training import LEVELS

COUNT_SETTINGS = {"公司级": "exam_questions_company", "车间级": "exam_questions_workshop", "班组级": "exam_questions_team"}


def draw_count(settings: Any, level: str) -> int:
    """How many questions an exam of ``level`` draws (a setting per level)."""
    return int(getattr(settings, COUNT_SETTINGS[level]))


def canonical_body(bank: QuestionBank) -> str:
    return json.dumps(dump(bank), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class InstalledBank:
    row: dict
    bank: QuestionBank

    @property
    def sha256(self) -> str:
        return self.row["sha256"]

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.bank.questions if q.id == qid), None)


def installed(row: dict) -> InstalledBank:
    data = json.loads(row["body"])
    data["questions"] = [build(Question, q) for q in data["questions"]]
    return InstalledBank(row, build(QuestionBank, data))


def current_bank(archive: Any, level: str) -> InstalledBank:
    """The level's current bank (the last installed); NotFound with the command that installs one."""
    if level not in LEVELS:
        raise NotFound(f"没有这个教育级别 (no such level): {level}")
    rows = archive.catalog.exams.banks(level)
    if not rows:
        raise NotFound(f"还没有{level}考试题库 (no question bank for {level})", hint="outsafe exam bank add 题库.yaml")
    return installed(rows[-1])


def bank_by_sha(archive: Any, sha256: str) -> InstalledBank:
    row = archive.catalog.exams.bank(sha256)
    if row is None:
        raise NotFound(f"没有题库 {sha256[:12]} (no such question bank)")
    return installed(row)


@dataclass
class BankReport:
    """``outsafe exam bank check|add``: each file's bank (or its problems)."""

    banks: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(p.severity == "error" for p in self.problems) else 0

    def as_dict(self) -> dict:
        return {"banks": self.banks, "problems": [p.as_dict() for p in self.problems], "ok": not self.exit_code}

    def as_text(self) -> list[str]:
        names = {"new": "已安装 installed", "already": "已有 already installed", "checked": "校验通过 valid"}
        out = [f"{b['level']}  {b['title']}（{b['version']}）  {b['questions']} 题  {b['sha256'][:12]}  {names[b['status']]}"
               for b in self.banks]
        out += [p.line() for p in self.problems]
        return out


def _load(archive: Any, paths: Sequence[Path]) -> tuple[list[tuple[Path, QuestionBank]], list[Problem]]:
    ctx = archive.rule_context()
    good, problems = [], []
    for path in paths:
        try:
            raw = read_case_file(path)
        except FileProblem as e:
            problems.append(e.problem)
            continue
        result = load_bank(raw, ctx, file=str(path))
        problems.extend(result.problems)
        if result.ok:
            need = draw_count(archive.settings, result.obj.level)
            if len(result.obj.questions) < need:
                problems.append(Problem("questions", f"{result.obj.level}题库只有 {len(result.obj.questions)} 题，少于每次考试抽取的 {need} 题"
                                                     f" (fewer questions than an exam draws: setting {COUNT_SETTINGS[result.obj.level]})",
                                        file=str(path)))
                continue
            good.append((path, result.obj))
    if not paths:
        problems.append(Problem("", "没有给出文件 (no files given)"))
    return good, problems


def _summary(bank: QuestionBank, sha: str, status: str, path: Path) -> dict:
    return {"file": path.name, "level": bank.level, "title": bank.title, "version": bank.version,
            "questions": len(bank.questions), "sha256": sha, "status": status}


def check_banks(archive: Any, paths: Sequence[Path]) -> BankReport:
    good, problems = _load(archive, paths)
    out = BankReport(problems=problems)
    for path, bank in good:
        out.banks.append(_summary(bank, hashlib.sha256(canonical_body(bank).encode()).hexdigest(), "checked", path))
    return out


def add_banks(archive: Any, paths: Sequence[Path], *, by: str | None = None) -> BankReport:
    """Install every bank of ``paths`` — all or nothing: any problem, nothing is installed."""
    good, problems = _load(archive, paths)
    if any(p.severity == "error" for p in problems):
        raise ValidationFailed(problems)
    out = BankReport(problems=problems)
    with archive.catalog.transaction():
        for path, bank in good:
            body = canonical_body(bank)
            sha = hashlib.sha256(body.encode()).hexdigest()
            new = archive.catalog.exams.add_bank({
                "seq": 0, "sha256": sha, "level": bank.level, "title": bank.title, "version": bank.version,
                "questions": len(bank.questions), "body": body, "added_at": archive.clock.stamp(), "added_by": by})
            out.banks.append(_summary(bank, sha, "new" if new else "already", path))
    return out


@dataclass
class BankList:
    rows: list[dict]

    def as_dict(self) -> dict:
        return {"banks": self.rows}

    def as_text(self) -> list[str]:
        if not self.rows:
            return ["还没有题库 (no question banks): outsafe exam bank add 题库.yaml"]
        return [f"{r['level']}  {r['title']}（{r['version']}）  {r['questions']} 题  {r['sha256'][:12]}  {r['added_at']}"
                f"{'  当前 current' if r['current'] else ''}" for r in self.rows]


def list_banks(archive: Any) -> BankList:
    rows = archive.catalog.exams.banks()
    current = {r["level"]: r["sha256"] for r in rows}  # the last of each level
    return BankList([{k: r[k] for k in ("level", "title", "version", "questions", "sha256", "added_at", "added_by")}
                     | {"current": current[r["level"]] == r["sha256"]} for r in rows])


__all__ = ["InstalledBank", "current_bank", "bank_by_sha", "check_banks", "add_banks", "list_banks", "draw_count", "installed",
           "BankReport", "COUNT_SETTINGS"]
