"""三级安全教育记录 (three-level safety training card): one card per worker.

Fields and rules: domain.md §2.3. SPL 28 ¶4: the training file records time, content,
participants and assessment result; missing any of the four is SPL 97(四) "未如实记录".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from schemas.base import F, RuleContext, err, g, rule, warn
from schemas.common import ContractorUscc, EnterpriseUscc, IdNumber, Name, Signature
from schemas.meta import CaseMeta
from schemas.registry import LabourType

LEVELS = ("公司级", "车间级", "班组级")
LEVEL_SOURCES = {
    "公司级": "生产经营单位安全培训规定 第14条",
    "车间级": "生产经营单位安全培训规定 第15条",
    "班组级": "生产经营单位安全培训规定 第16条",
}


@dataclass(frozen=True, kw_only=True)
class Trainee:
    name: Name
    id_number: IdNumber
    education: Annotated[str | None, F("文化程度")] = None
    trade: Annotated[str, F("工种")]
    entry_date: Annotated[date, F("入场日期")]
    department: Annotated[str | None, F("分配车间/班组")] = None
    labour_type: Annotated[LabourType, F("用工形式")] = "正式员工"


def _sha256_hex(value: str) -> None:
    from marshmallow import ValidationError

    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValidationError("应为 64 位小写十六进制的 SHA-256 (not a sha256 hex digest)")


@dataclass(frozen=True, kw_only=True)
class ExamAnswer:
    question: Annotated[str, F("题号", ident=True, max_length=16)]
    given: Annotated[str | None, F("所答", ident=True, max_length=8)] = None
    correct: Annotated[bool, F("答对")]


@dataclass(frozen=True, kw_only=True)
class ExamResult:
    """The exam behind a level's score, as the server kept it (archive.training): which bank, the
    seed of the draw (the same seed draws the same questions), the server's times, every answer."""

    attempt: Annotated[str, F("考试编号", ident=True)]
    bank: Annotated[str, F("题库")]
    bank_sha256: Annotated[str, F("题库 SHA-256", _sha256_hex, ident=True)]
    seed: Annotated[str, F("抽题种子", ident=True)]
    started_at: Annotated[datetime, F("开始答题时间")]
    submitted_at: Annotated[datetime, F("交卷时间")]
    minutes: Annotated[int, F("答题时限（分钟）", minimum=1, maximum=600)]
    pass_score: Annotated[float, F("合格分", minimum=0, maximum=100)]
    questions: Annotated[int, F("题数", minimum=1, maximum=500)]
    correct: Annotated[int, F("答对题数", minimum=0, maximum=500)]
    answers: Annotated[tuple[ExamAnswer, ...], F("答题情况", min_items=1, max_items=500)]


def exam_score(correct: int, questions: int) -> float:
    """The score of an exam: the share of questions answered right, out of 100, one decimal."""
    return round(100 * correct / questions, 1) if questions else 0.0


@dataclass(frozen=True, kw_only=True)
class TrainingLevel:
    level: Annotated[Literal["公司级", "车间级", "班组级"], F("教育级别")]
    start: Annotated[date, F("培训日期")]
    end: Annotated[date | None, F("培训结束日期")] = None
    hours: Annotated[float, F("学时", minimum=0.5)]
    content: Annotated[tuple[str, ...], F("培训内容", min_items=1)]
    trainer: Annotated[str, F("培训人")]
    trainer_signed: Annotated[bool, F("培训人签字")] = True
    trainee_signed: Annotated[bool, F("受教育人签字")] = True
    trainer_signature: Annotated[Signature | None, F("培训人签字图片", help="采集的手写签名（PNG）；无则在纸面签字")] = None
    trainee_signature: Annotated[Signature | None, F("受教育人签字图片", help="采集的手写签名（PNG）；无则在纸面签字")] = None
    exam_date: Annotated[date | None, F("考试日期")] = None
    score: Annotated[float, F("考试成绩", minimum=0, maximum=100)]
    passed: Annotated[bool, F("考试合格")]
    exam: Annotated[ExamResult | None, F("在线考试", help="手机上考试时由系统写入；纸面考试留空")] = None


@dataclass(frozen=True, kw_only=True)
class TrainingConclusion:
    passed: Annotated[bool, F("教育结论：合格")]
    may_take_post: Annotated[bool, F("准予上岗")]
    confirmed_by: Annotated[str, F("安全管理部门确认人")]
    confirmed_on: Annotated[date, F("确认日期")]
    confirmer_signature: Annotated[Signature | None, F("确认人签字图片", help="采集的手写签名（PNG）；无则在纸面签字")] = None


@dataclass(frozen=True, kw_only=True)
class TrainingRecord:
    """三级安全教育登记卡."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "training_record", "三级安全教育登记卡", "record_no", "conclusion.confirmed_on",
    )

    record_no: Annotated[str, F("登记卡编号")]
    contractor: ContractorUscc
    enterprise: EnterpriseUscc
    project: Annotated[str | None, F("项目编号")] = None
    trainee: Annotated[Trainee, F("受教育人")]
    levels: Annotated[tuple[TrainingLevel, ...], F("三级教育", min_items=3)]
    conclusion: Annotated[TrainingConclusion, F("教育结论")]
    high_risk: Annotated[bool | None, F("按高危行业学时", help="留空则按发包单位行业判断")] = None
    site_briefing: Annotated[str | None, F("发包单位入场安全交底", help="书面安全技术交底的内容摘要")] = None


def required_hours(record, ctx: RuleContext) -> tuple[float, str]:
    """The minimum total hours for this card and the setting it comes from."""
    s = ctx.settings
    high = g(record, "high_risk")
    if high is None and ctx.lookup is not None and g(record, "enterprise"):
        org = ctx.lookup.organization(g(record, "enterprise"))
        high = bool(org and org.industry in s.high_risk_industries)
    if high:
        return s.training_min_hours_high_risk, "training_min_hours_high_risk"
    return s.training_min_hours, "training_min_hours"


@rule(TrainingRecord)
def _training(r, ctx: RuleContext):
    s = ctx.settings
    levels = list(g(r, "levels") or ())
    names = [g(lv, "level") for lv in levels]
    for want in LEVELS:
        n = names.count(want)
        if n == 0 and len(levels) >= 1:
            yield err("levels", f"缺少{want}教育 (missing {want} level)", LEVEL_SOURCES[want])
        elif n > 1:
            yield err("levels", f"{want}教育重复 {n} 次 (level {want} appears {n} times)")
    # order: company <= workshop <= team, in list order and in dates
    present = [(i, lv) for i, lv in enumerate(levels) if g(lv, "level") in LEVELS]
    ranks = [LEVELS.index(g(lv, "level")) for _, lv in present]
    if ranks != sorted(ranks):
        yield err("levels", "三级教育应按 公司级→车间级→班组级 顺序 (levels must be company → workshop → team)",
                  "生产经营单位安全培训规定 第13条")
    by_rank = sorted(present, key=lambda p: LEVELS.index(g(p[1], "level")))
    for (i_a, a), (i_b, b) in zip(by_rank, by_rank[1:]):
        da, db = g(a, "end") or g(a, "start"), g(b, "start")
        if isinstance(da, date) and isinstance(db, date) and db < da:
            yield err(f"levels[{i_b}].start",
                      f"{g(b, 'level')}教育日期 {db} 早于{g(a, 'level')}教育 {da} (level dates out of order)",
                      "生产经营单位安全培训规定 第13条")
    for i, lv in enumerate(levels):
        st, en = g(lv, "start"), g(lv, "end")
        if isinstance(st, date) and isinstance(en, date) and en < st:
            yield err(f"levels[{i}].end", f"结束日期 {en} 早于培训日期 {st} (end before start)")
        ex = g(lv, "exam_date")
        if isinstance(ex, date) and isinstance(st, date) and ex < st:
            yield err(f"levels[{i}].exam_date", f"考试日期 {ex} 早于培训日期 {st} (exam before training)")
        score, passed = g(lv, "score"), g(lv, "passed")
        if isinstance(score, int | float) and passed is True and score < s.training_pass_score:
            yield err(f"levels[{i}].score", f"成绩 {score} 低于合格分 {s.training_pass_score}，却记为合格 (score below pass mark but marked passed)",
                      s.source("training_pass_score"))
        if passed is False:
            yield err(f"levels[{i}].passed", f"{g(lv, 'level')}考试不合格，不得上岗 (failed level: may not take the post)", "安全生产法 第28条")
        if g(lv, "trainer_signed") is False or g(lv, "trainee_signed") is False:
            yield err(f"levels[{i}]", "培训人和受教育人须签字 (trainer and trainee must sign)", "安全生产法 第28条 第4款")
        if isinstance(st, date) and st > ctx.today:
            yield err(f"levels[{i}].start", f"培训日期 {st} 在未来 (training date in the future)")
        yield from _exam_agrees(lv, f"levels[{i}]", s.exam_grace_seconds)
    hours = [g(lv, "hours") for lv in levels]
    if levels and all(isinstance(h, int | float) for h in hours):
        need, setting = required_hours(r, ctx)
        total = sum(hours)
        if total < need:
            yield err("levels", f"三级教育总学时 {total:g} 少于规定的 {need:g} 学时 (total {total:g} h below the minimum {need:g} h)",
                      s.source(setting))
    trainee = g(r, "trainee")
    entry = g(trainee, "entry_date")
    first = g(by_rank[0][1], "start") if by_rank else None
    if isinstance(entry, date) and isinstance(first, date) and first < entry:
        yield warn("trainee.entry_date", f"入场日期 {entry} 晚于首次培训 {first} (entry after first training)")
    concl = g(r, "conclusion")
    last = g(by_rank[-1][1], "end") or g(by_rank[-1][1], "start") if by_rank else None
    conf = g(concl, "confirmed_on")
    if isinstance(conf, date) and isinstance(last, date) and conf < last:
        yield err("conclusion.confirmed_on", f"确认日期 {conf} 早于班组级教育 {last} (confirmed before training ended)")
    if g(concl, "may_take_post") is True and g(concl, "passed") is False:
        yield err("conclusion.may_take_post", "教育结论不合格却准予上岗 (failed but allowed to take the post)", "安全生产法 第28条")


def _exam_agrees(lv, at: str, grace_seconds: float):
    """A level's score, pass and exam date are those of its exam, when it has one."""
    ex = g(lv, "exam")
    if ex is None:
        return
    n, right, answers = g(ex, "questions"), g(ex, "correct"), g(ex, "answers") or ()
    if isinstance(n, int) and len(answers) != n:
        yield err(f"{at}.exam.answers", f"答题情况 {len(answers)} 条，与题数 {n} 不符 (answers do not match the number of questions)")
    if isinstance(right, int) and sum(1 for a in answers if g(a, "correct") is True) != right:
        yield err(f"{at}.exam.correct", f"答对题数 {right} 与答题情况不符 (correct count does not match the answers)")
    if isinstance(n, int) and isinstance(right, int) and right <= n:
        want = exam_score(right, n)
        if g(lv, "score") != want:
            yield err(f"{at}.score", f"成绩应为在线考试得分 {want:g}（答对 {right}/{n} 题），实为 {g(lv, 'score')} (score differs from the exam)")
        pass_score = g(ex, "pass_score")
        if isinstance(pass_score, int | float) and g(lv, "passed") is not (want >= pass_score):
            yield err(f"{at}.passed", f"在线考试得分 {want:g}，合格分 {pass_score:g}：合格与否应按考试结果 (pass/fail differs from the exam)")
    a, b, minutes = g(ex, "started_at"), g(ex, "submitted_at"), g(ex, "minutes")
    if isinstance(a, datetime) and isinstance(b, datetime):
        if b < a:
            yield err(f"{at}.exam.submitted_at", "交卷时间早于开始时间 (submitted before it started)")
        elif isinstance(minutes, int) and g(lv, "passed") is True and (b - a).total_seconds() > minutes * 60 + grace_seconds:
            yield err(f"{at}.exam.submitted_at", f"答题用时超过时限 {minutes} 分钟，超时的考试不能记为合格 (a timed-out exam cannot pass)")
        exam_day = g(lv, "exam_date")
        if isinstance(exam_day, date) and exam_day != b.date():
            yield err(f"{at}.exam_date", f"考试日期应为交卷日 {b.date()} (exam date differs from the day submitted)")
