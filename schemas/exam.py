"""三级安全教育考试题库 (question bank): one YAML file per level, what a valid one is.

    raw = read_case_file(path)                  # the same reader as case files (no YAML surprises)
    result = load_bank(raw, ctx, file=str(path))
    result.obj        # a frozen QuestionBank, or None when there were errors
    result.problems   # every problem at once, with field paths (questions[3].answer …)

A bank is not a record: it is installed into an archive (``outsafe exam bank add``, kept by its
SHA-256) and an exam draws its questions from the level's current bank. Each question carries its
answer, an explanation shown after the exam, and its source (the article of the law, the clause of
the standard or the enterprise's rule it tests), so that a bank can be checked by a reader.

Question kinds: ``single`` 单选题 (one letter), ``multiple`` 多选题 (two or more letters, all and
only those: no partial credit), ``judge`` 判断题 (正确 / 错误, no options).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from marshmallow import ValidationError

from schemas import LoadResult, run_rules, schema_for
from schemas.base import F, RuleContext, err, flatten_errors, g, rule
from schemas.problems import Problem

BANK_TYPE = "question_bank"
KIND_NAMES = {"single": "单选题", "multiple": "多选题", "judge": "判断题"}
JUDGE_ANSWERS = ("正确", "错误")
LETTERS = "ABCDEF"


@dataclass(frozen=True, kw_only=True)
class Question:
    id: Annotated[str, F("题号", ident=True, max_length=16)]
    kind: Annotated[Literal["single", "multiple", "judge"], F("题型", help="single 单选、multiple 多选、judge 判断")]
    text: Annotated[str, F("题干", max_length=500)]
    options: Annotated[tuple[str, ...], F("选项", help="单选、多选题的选项，依次为 A、B、C…；判断题不填", max_items=6,
                                          max_length=200)] = ()
    answer: Annotated[str, F("答案", help="单选：一个字母；多选：几个字母，如 ACD；判断：正确 或 错误", ident=True, max_length=8)]
    explanation: Annotated[str, F("解析", max_length=1000)]
    source: Annotated[str, F("出处", help="法律条款、标准条款或本单位制度", max_length=200)]


@dataclass(frozen=True, kw_only=True)
class QuestionBank:
    """题库: the questions of one level, and the training content and hours the level usually has
    (proposed when an exam is arranged: the card records what was really taught)."""

    level: Annotated[Literal["公司级", "车间级", "班组级"], F("教育级别")]
    title: Annotated[str, F("题库名称")]
    version: Annotated[str, F("版本", ident=True)]
    hours: Annotated[float | None, F("建议学时", minimum=0.5, maximum=200)] = None
    content: Annotated[tuple[str, ...], F("培训内容", min_items=1, max_items=30)]
    questions: Annotated[tuple[Question, ...], F("试题", min_items=1, max_items=500)]


def answer_letters(answer: str) -> str:
    """A choice answer as stored and compared: letters upper-case, sorted, once each (``ca`` → ``AC``)."""
    return "".join(sorted({c for c in answer.upper() if c.isalpha()}))


@rule(Question)
def _question(q, ctx: RuleContext):
    kind, options, answer = g(q, "kind"), tuple(g(q, "options") or ()), g(q, "answer")
    if not isinstance(answer, str):
        return
    if kind == "judge":
        if options:
            yield err("options", "判断题不设选项 (a true/false question has no options)")
        if answer not in JUDGE_ANSWERS:
            yield err("answer", "判断题答案应为“正确”或“错误” (answer must be 正确 or 错误)")
        return
    if kind not in ("single", "multiple"):
        return
    least = 2 if kind == "single" else 3
    if len(options) < least:
        yield err("options", f"{KIND_NAMES[kind]}至少需要 {least} 个选项 (at least {least} options)")
    if len(set(options)) != len(options):
        yield err("options", "选项重复 (duplicate options)")
    letters = answer_letters(answer)
    allowed = LETTERS[:len(options)]
    if not letters or any(c not in allowed for c in letters) or len(letters) != len(answer.strip()):
        yield err("answer", f"答案应为选项字母 {'、'.join(allowed) or 'A'} 中的{'一个' if kind == 'single' else '几个'}，每个字母一次"
                            f" (answer must be option letters)")
    elif kind == "single" and len(letters) != 1:
        yield err("answer", "单选题只有一个答案 (a single-choice question has one answer)")
    elif kind == "multiple" and len(letters) < 2:
        yield err("answer", "多选题至少有两个正确选项；只有一个的请改为单选题 (a multiple-choice question has two or more answers)")


@rule(QuestionBank)
def _bank(b, ctx: RuleContext):
    seen_ids: dict[str, int] = {}
    seen_text: dict[str, int] = {}
    for i, q in enumerate(g(b, "questions") or ()):
        qid, text = g(q, "id"), g(q, "text")
        if isinstance(qid, str):
            if qid in seen_ids:
                yield err(f"questions[{i}].id", f"题号 {qid} 与第 {seen_ids[qid] + 1} 题重复 (duplicate question id)")
            seen_ids.setdefault(qid, i)
        if isinstance(text, str):
            key = "".join(text.split())
            if key in seen_text:
                yield err(f"questions[{i}].text", f"题干与第 {seen_text[key] + 1} 题相同 (duplicate question)")
            seen_text.setdefault(key, i)


def load_bank(raw: Any, ctx: RuleContext, *, file: str = "") -> LoadResult:
    """Validate one parsed bank file (``type: question_bank``): schema, then every rule, all
    problems at once — the same machinery and messages as a case file."""
    if not isinstance(raw, dict):
        return LoadResult(None, [Problem("", "文件内容应为一个对象（键: 值） (the file must hold one mapping)", file=file)])
    body = dict(raw)
    kind = body.pop("type", None)
    if kind != BANK_TYPE:
        return LoadResult(None, [Problem("type", f"题库文件须写明 type: {BANK_TYPE} (not a question bank: type is {kind!r})", file=file)])
    obj, errors, data = None, {}, None
    try:
        obj = data = schema_for(QuestionBank)().load(body)
    except ValidationError as e:
        errors, data = e.messages, (e.valid_data or {})
    problems = flatten_errors(errors, QuestionBank, file=file) if errors else []
    error_paths = {p.path for p in problems}
    problems += [dataclasses.replace(p, file=file) for p in run_rules(QuestionBank, data, ctx)
                 if not (p.severity == "error" and p.path in error_paths)]
    if any(p.severity == "error" for p in problems):
        return LoadResult(None, problems, QuestionBank)
    return LoadResult(obj, problems, QuestionBank)


__all__ = ["Question", "QuestionBank", "load_bank", "answer_letters", "KIND_NAMES", "JUDGE_ANSWERS", "LETTERS", "BANK_TYPE"]
