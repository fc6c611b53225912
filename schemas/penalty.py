"""行政处罚告知书 (应急罚告) and 行政处罚决定书 (应急罚) — domain.md §2.5.

Both carry the case number (案件编号, the 立案 number) and cite their evidence as archived records:
``evidence: [{name, refs: [文书号 or record number…], proves}]``. ``case add`` refuses a citation of a
record the archive does not hold (archive.registry.resolve), and ``outsafe evidence export
--case-no`` puts every cited record in the case's evidence package or refuses. The fine is checked
against the range of the article applied (:data:`FINES`, the amounts of 安全生产法 2021, domain.md
§1.1 [C]); where the article orders 责令限期改正 (or 立即/限期消除) with the fine, the documents
carry its deadline (``correction_deadline``; 行政处罚法 第28条). A fine at or above the province's
"较大数额" threshold (``settings.hearing_fine_threshold`` / ``_person``) requires informing the party
of the right to a hearing, to be asked for within ``settings.hearing_request_days`` (5, 行政处罚法
第64条); the statement period is ``settings.statement_days``. The 决定书 carries every element of
行政处罚法 第59条 (for a person: the address too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from schemas.base import F, RuleContext, err, g, rule, warn
from schemas.common import BureauUscc, EnfDocNo, PersonRef
from schemas.identifiers import check_phone, check_uscc, uscc_warning
from schemas.meta import CaseMeta

SPL = "《中华人民共和国安全生产法》"


@dataclass(frozen=True)
class FineRange:
    """One penalty provision: who is fined, within which range (元), and what it punishes."""

    key: str
    article: str  # the 处罚依据, e.g. 第一百零三条第二款
    party: Literal["unit", "person"]
    low: Decimal  # 0 for "…以下"
    high: Decimal
    what: str  # the conduct, in the law's words (shortened)
    violated: str = ""  # the usual 违反的规定
    gains_multiple: tuple[int, int] | None = None  # 违法所得 2–5 倍 instead of low/high
    correction: str = ""  # the order the article gives with the fine, in its words ("责令限期改正"); "" if none

    @property
    def basis(self) -> str:
        return f"{SPL}{self.article}"

    def range_text(self) -> str:
        if self.gains_multiple:
            a, b = self.gains_multiple
            return f"违法所得{a}倍以上{b}倍以下"
        if self.low == 0:
            return f"{_yuan(self.high)}以下"
        return f"{_yuan(self.low)}以上{_yuan(self.high)}以下"


def _yuan(x: Decimal) -> str:
    n = int(x)
    return f"{n // 10000}万元" if n % 10000 == 0 else f"{n}元"


LIMIT = "责令限期改正"
ELIMINATE = "责令立即消除或者限期消除"


def _r(key, article, party, low, high, what, violated="", gains=None, correction="") -> FineRange:
    """One range; a unit's range carries the correction order of its article (a person's does not:
    the order is addressed to the unit)."""
    return FineRange(key, article, party, Decimal(low), Decimal(high), what, violated, gains, correction if party == "unit" else "")


#: The penalty provisions outsafe drafts from (安全生产法 2021, text in LawRefBook/Laws [C]).
FINES: dict[str, FineRange] = {f.key: f for f in (
    _r("SPL 97", "第九十七条", "unit", 0, 100000,
       "未按规定设置安全生产管理机构或配备安全生产管理人员；主要负责人和安全生产管理人员未经考核合格；未按规定进行安全生产教育和培训；"
       "未如实记录教育培训情况；未如实记录事故隐患排查治理情况；特种作业人员未经专门培训并取得相应资格上岗作业等", correction=LIMIT),
    _r("SPL 97-overdue", "第九十七条", "unit", 100000, 200000, "有第九十七条所列行为，逾期未改正的（并责令停产停业整顿）"),
    _r("SPL 97-person", "第九十七条", "person", 20000, 50000, "有第九十七条所列行为逾期未改正的，对直接负责的主管人员和其他直接责任人员"),
    _r("SPL 99", "第九十九条", "unit", 0, 50000,
       "未在有较大危险因素的场所设置安全警示标志；未对安全设备进行经常性维护、保养和定期检测等", "第三十六条", correction=LIMIT),
    _r("SPL 99-overdue", "第九十九条", "unit", 50000, 200000, "有第九十九条所列行为，逾期未改正的", "第三十六条"),
    _r("SPL 99-person", "第九十九条", "person", 10000, 20000, "有第九十九条所列行为逾期未改正的，对直接负责的主管人员和其他直接责任人员",
       "第三十六条"),
    _r("SPL 101", "第一百零一条", "unit", 0, 100000,
       "进行爆破、吊装、动火、临时用电等危险作业未安排专门人员进行现场安全管理；未建立事故隐患排查治理制度，或者重大事故隐患排查治理情况未按规定报告等",
       "第四十一条、第四十三条", correction=LIMIT),
    _r("SPL 101-overdue", "第一百零一条", "unit", 100000, 200000, "有第一百零一条所列行为，逾期未改正的"),
    _r("SPL 101-person", "第一百零一条", "person", 20000, 50000, "有第一百零一条所列行为逾期未改正的，对直接负责的主管人员和其他直接责任人员"),
    _r("SPL 102", "第一百零二条", "unit", 0, 50000, "未采取措施消除事故隐患", "第四十一条第二款", correction=ELIMINATE),
    _r("SPL 102-person", "第一百零二条", "person", 50000, 100000, "拒不执行消除事故隐患的，对直接负责的主管人员和其他直接责任人员",
       "第四十一条第二款"),
    _r("SPL 103-1", "第一百零三条第一款", "unit", 100000, 200000,
       "将生产经营项目、场所、设备发包给不具备安全生产条件或者相应资质的单位（没有违法所得或者违法所得不足十万元）", "第四十九条第一款", correction=LIMIT),
    _r("SPL 103-1-gains", "第一百零三条第一款", "unit", 0, 0,
       "将生产经营项目、场所、设备发包给不具备安全生产条件或者相应资质的单位（违法所得十万元以上）", "第四十九条第一款", (2, 5), correction=LIMIT),
    _r("SPL 103-1-person", "第一百零三条第一款", "person", 10000, 20000,
       "发包给不具备安全生产条件或者相应资质的单位，对直接负责的主管人员和其他直接责任人员", "第四十九条第一款"),
    _r("SPL 103-2", "第一百零三条第二款", "unit", 0, 50000,
       "未与承包单位签订专门的安全生产管理协议或者未在承包合同中明确各自的安全生产管理职责，或者未对承包单位的安全生产统一协调、管理",
       "第四十九条第二款", correction=LIMIT),
    _r("SPL 103-2-person", "第一百零三条第二款", "person", 0, 10000,
       "有第一百零三条第二款所列行为，对直接负责的主管人员和其他直接责任人员", "第四十九条第二款"),
    _r("SPL 104", "第一百零四条", "unit", 0, 50000,
       "同一作业区域内可能危及对方安全的，未签订安全生产管理协议或者未指定专职安全生产管理人员进行安全检查与协调", "第四十八条", correction=LIMIT),
    _r("SPL 104-person", "第一百零四条", "person", 0, 10000, "有第一百零四条所列行为，对直接负责的主管人员和其他直接责任人员", "第四十八条"),
    _r("SPL 106-person", "第一百零六条", "person", 20000, 100000,
       "与从业人员订立协议，免除或者减轻其对从业人员因生产安全事故伤亡依法应承担的责任，对主要负责人", "第五十二条第二款"),
    _r("SPL 114-1", "第一百一十四条第一款第（一）项", "unit", 300000, 1000000, "发生一般事故，对负有责任的生产经营单位"),
    _r("SPL 114-2", "第一百一十四条第一款第（二）项", "unit", 1000000, 2000000, "发生较大事故，对负有责任的生产经营单位"),
    _r("SPL 114-3", "第一百一十四条第一款第（三）项", "unit", 2000000, 10000000, "发生重大事故，对负有责任的生产经营单位"),
    _r("SPL 114-4", "第一百一十四条第一款第（四）项", "unit", 10000000, 20000000, "发生特别重大事故，对负有责任的生产经营单位"),
)}
FINES_SOURCE = "安全生产法（2021）第九十七条至第一百一十四条 [C]; domain.md §1.1"
ArticleKey = Literal[tuple(FINES)]  # type: ignore[valid-type]


def fine_problems(key: str | None, fine: Decimal | None, gains: Decimal | None, *, party: str) -> list[tuple[str, str]]:
    """(path, message) for a fine outside its article's range, or a party the article does not fine."""
    out: list[tuple[str, str]] = []
    rng = FINES.get(key or "")
    if rng is None:
        return out
    if rng.party != party:
        who = "单位" if rng.party == "unit" else "个人"
        out.append(("article", f"{rng.basis}（{key}）处罚对象为{who}，与本文书当事人不符 (the article fines a {rng.party})"))
    if fine is None:
        return out
    if fine < 0:
        out.append(("fine", "罚款金额不能为负 (negative fine)"))
        return out
    if rng.gains_multiple:
        a, b = rng.gains_multiple
        if gains is None:
            out.append(("illegal_gains", f"{rng.basis}按违法所得{a}–{b}倍处罚，须填写违法所得 (give the illegal gains)"))
        elif gains < Decimal(100000):
            out.append(("illegal_gains", "违法所得不足十万元，应适用 SPL 103-1（十万元以上二十万元以下） (gains below ¥100,000)"))
        elif not (gains * a <= fine <= gains * b):
            out.append(("fine", f"罚款 {fine} 元不在违法所得的{a}倍至{b}倍（{gains * a}–{gains * b} 元）之间 ({rng.basis})"))
        return out
    if not (rng.low <= fine <= rng.high):
        out.append(("fine", f"罚款 {fine} 元超出{rng.basis}规定的幅度（{rng.range_text()}） (fine outside the article's range)"))
    return out


def _hearing_threshold(settings, party: str) -> float:
    return settings.hearing_fine_threshold_person if party == "person" else settings.hearing_fine_threshold


@dataclass(frozen=True, kw_only=True)
class EvidenceCite:
    """One piece of evidence a 告知书 / 决定书 cites: what it is, the archived records that hold it
    (文书号 or record numbers — every one must be in the case's evidence package), and optionally
    what it proves (printed in the 证据清单)."""

    name: Annotated[str, F("证据名称", help="如 现场检查记录、外包项目登记及安全生产管理协议")]
    refs: Annotated[tuple[str, ...], F("证据所在记录（文书号、记录编号）", min_items=1,
                                       help="档案中记录的文书号或编号，如 （高新）应急检记〔2026〕52号、HR-AQXY-2026-044")]
    proves: Annotated[str | None, F("证明对象")] = None


@dataclass(frozen=True, kw_only=True)
class PenaltyBase:
    """What the 告知书 and the 决定书 share."""

    doc_no: EnfDocNo
    case_no: Annotated[str, F("案件编号（证据包）", help="立案编号；证据清单见该案证据包")]
    bureau: BureauUscc
    unit: Annotated[str, F("当事人（单位）", check_uscc, warn=uscc_warning, help="统一社会信用代码；对个人处罚时为其所在单位")]
    person: Annotated[PersonRef | None, F("当事人（个人）", help="对直接负责的主管人员等个人处罚时填写")] = None
    person_address: Annotated[str | None, F("当事人（个人）住址", help="对个人处罚时填写（行政处罚法 第59条）")] = None
    contractor: Annotated[str | None, F("涉及承包单位", check_uscc, warn=uscc_warning)] = None
    project: Annotated[str | None, F("涉及项目编号")] = None
    facts: Annotated[str, F("违法事实")]
    evidence: Annotated[tuple[EvidenceCite, ...], F("主要证据", min_items=1)]
    violated: Annotated[str, F("违反的规定")]
    article: Annotated[ArticleKey, F("处罚条款", help="如 SPL 103-2（安全生产法第一百零三条第二款）")]
    legal_basis: Annotated[str, F("处罚依据")]
    fine: Annotated[Decimal | None, F("罚款金额（元）")] = None
    illegal_gains: Annotated[Decimal | None, F("违法所得（元）")] = None
    other_penalties: Annotated[tuple[str, ...], F("其他处罚", help="如 责令停产停业整顿")] = ()
    correction_deadline: Annotated[date | None, F("限期改正期限", help="处罚条款规定“责令限期改正”的，写明改正期限")] = None
    correction: Annotated[str | None, F("责令改正的内容", help="缺省为“改正上述违法行为”")] = None
    authority_name: Annotated[str, F("执法机关名称")]

    @property
    def party_kind(self) -> str:
        return "person" if self.person is not None else "unit"

    @property
    def fine_range(self) -> FineRange | None:
        return FINES.get(self.article)


def cite_text(e) -> str:
    """How a 告知书 / 决定书 names one piece of evidence: 名称（编号、编号）."""
    refs = "、".join(x for x in g(e, "refs") or () if x and x not in (g(e, "name") or ""))
    return f"{g(e, 'name')}（{refs}）" if refs else str(g(e, "name"))


def _penalty_common(p, ctx: RuleContext, day_field: str):
    party = "person" if g(p, "person") is not None else "unit"
    for path, msg in fine_problems(g(p, "article"), g(p, "fine"), g(p, "illegal_gains"), party=party):
        yield err(path, msg, FINES_SOURCE)
    rng = FINES.get(g(p, "article") or "")
    basis = g(p, "legal_basis")
    if rng is not None and isinstance(basis, str) and rng.article not in basis:
        yield warn("legal_basis", f"处罚依据未写明{rng.basis} (legal basis does not cite the article applied)")
    if g(p, "fine") is None and not g(p, "other_penalties"):
        yield err("fine", "未给出罚款金额或其他处罚 (no penalty given)")
    # 责令限期改正: the article orders it with the fine (安全生产法 第97、99、101–104条; 行政处罚法 第28条)
    deadline, day = g(p, "correction_deadline"), g(p, day_field)
    if rng is not None and rng.correction:
        immediate = "立即" in (g(p, "correction") or "")
        if deadline is None and not (rng.correction == ELIMINATE and immediate):
            yield err("correction_deadline", f"{rng.basis}规定{rng.correction}：须写明改正期限 (the article orders correction within a time limit)",
                      f"{rng.basis}; 行政处罚法 第28条")
    from schemas.enforcement import iso_dates, issued_by_the_bureau

    yield from iso_dates(p, ("facts", "correction", "evidence[].name", "evidence[].proves"))
    yield from issued_by_the_bureau(p, ctx)
    if isinstance(deadline, date) and isinstance(day, date) and deadline <= day:
        yield err("correction_deadline", f"改正期限 {deadline} 不晚于文书日期 {day} (correction deadline not after the document date)")



@dataclass(frozen=True, kw_only=True)
class PenaltyNotice(PenaltyBase):
    """行政处罚告知书 (应急罚告): facts, evidence, provision, proposed penalty, the party's rights."""

    __case__: ClassVar[CaseMeta] = CaseMeta("penalty_notice", "行政处罚告知书", "doc_no", "issued_on", enterprise="unit")

    statement_days: Annotated[int, F("陈述、申辩期限（日）", minimum=1)]
    hearing_right: Annotated[bool, F("告知听证权利")] = False
    hearing_days: Annotated[int | None, F("申请听证期限（日）", minimum=1)] = None
    contact_person: Annotated[str, F("联系人")]
    contact_phone: Annotated[str, F("联系电话", check_phone)]
    authority_address: Annotated[str, F("执法机关地址")]
    authority_postcode: Annotated[str | None, F("邮政编码")] = None
    issued_on: Annotated[date, F("告知日期")]


@rule(PenaltyNotice)
def _notice(n, ctx: RuleContext):
    s = ctx.settings
    yield from _penalty_common(n, ctx, "issued_on")
    days = g(n, "statement_days")
    if isinstance(days, int) and days < s.statement_days:
        yield err("statement_days", f"陈述、申辩期限不得少于 {s.statement_days} 日 (statement period too short)", s.source("statement_days"))
    fine = g(n, "fine")
    party = "person" if g(n, "person") is not None else "unit"
    threshold = _hearing_threshold(s, party)
    heavy = any(k in x for x in g(n, "other_penalties") or () for k in ("停产停业", "吊销", "责令关闭", "限制从业"))
    if (isinstance(fine, Decimal) and fine >= Decimal(str(threshold)) or heavy) and not g(n, "hearing_right"):
        yield err("hearing_right", f"罚款达到“较大数额”（{threshold:g} 元）或处停产停业等，须告知听证权利 (the party has a right to a hearing)",
                  "行政处罚法 第63条; " + s.source("hearing_fine_threshold"))
    if g(n, "hearing_right"):
        hd = g(n, "hearing_days")
        if hd is None:
            yield err("hearing_days", "告知听证权利时须写明申请听证期限 (give the hearing request period)", s.source("hearing_request_days"))
        elif hd < s.hearing_request_days:
            yield err("hearing_days", f"申请听证期限不得少于 {s.hearing_request_days} 日 (hearing request period too short)",
                      s.source("hearing_request_days"))
    issued = g(n, "issued_on")
    if isinstance(issued, date) and issued > ctx.today:
        yield err("issued_on", "告知日期在未来 (notice date in the future)")
    if g(n, "doc_no") and "罚告" not in g(n, "doc_no") and "听告" not in g(n, "doc_no"):
        yield warn("doc_no", "行政处罚告知书的文书代字通常为“应急罚告” (usual code is 应急罚告)", "domain.md §2.5")


_PERIOD_HEARING = re.compile(r"([0-9一二三四五六七八九十]+)\s*日内((?![0-9一二三四五六七八九十]+\s*日内)[^。；])*?听证")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def _cn_int(text: str) -> int | None:
    """"5", "五", "十五" → int."""
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if "十" in text:
        a, _, b = text.partition("十")
        return (_CN_DIGITS.get(a, 1) if a else 1) * 10 + (_CN_DIGITS.get(b, 0) if b else 0)
    return _CN_DIGITS.get(text)


@dataclass(frozen=True, kw_only=True)
class PenaltyDecision(PenaltyBase):
    """行政处罚决定书 (应急罚): the decision after the statement (and hearing) period."""

    __case__: ClassVar[CaseMeta] = CaseMeta("penalty_decision", "行政处罚决定书", "doc_no", "decided_on", enterprise="unit")

    notice_doc_no: Annotated[str, F("行政处罚告知书文书号")]
    notice_issued_on: Annotated[date, F("告知日期")]
    statement_summary: Annotated[str | None, F("陈述、申辩及采纳情况")] = None
    payment_days: Annotated[int, F("缴纳罚款期限（日）", minimum=1)]
    payment_account: Annotated[str, F("缴款银行及账户")]
    surcharge_pct: Annotated[float, F("逾期每日加处罚款（%）", minimum=0)]
    review_authority: Annotated[str | None, F("行政复议机关", help="留空则为执法机关同级人民政府")] = None
    review_days: Annotated[int, F("申请行政复议期限（日）", minimum=1)]
    litigation_months: Annotated[int, F("提起行政诉讼期限（月）", minimum=1)]
    decided_on: Annotated[date, F("决定日期")]


@rule(PenaltyDecision)
def _decision(d, ctx: RuleContext):
    s = ctx.settings
    yield from _penalty_common(d, ctx, "decided_on")
    if g(d, "person") is not None and not g(d, "person_address"):
        yield err("person_address", "对个人的行政处罚决定书须写明当事人住址 (give the person's address)", "行政处罚法 第59条第（一）项")
    summary = g(d, "statement_summary")
    if isinstance(summary, str):
        for m in _PERIOD_HEARING.finditer(summary):
            days = _cn_int(m.group(1))
            if days is not None and days < s.hearing_request_days:
                yield err("statement_summary", f"要求听证的期限为收到告知书之日起{s.hearing_request_days}日，此处写作{m.group(1)}日 "
                          "(the hearing request period is longer)", s.source("hearing_request_days"))
    notice, decided = g(d, "notice_issued_on"), g(d, "decided_on")
    if isinstance(notice, date) and isinstance(decided, date):
        if decided <= notice + timedelta(days=s.statement_days):
            yield err("decided_on", f"决定日期须在告知后 {s.statement_days} 日陈述、申辩期满之后（{notice + timedelta(days=s.statement_days)} 以后） "
                      "(decided before the statement period ended)", s.source("statement_days"))
    if isinstance(decided, date) and decided > ctx.today:
        yield err("decided_on", "决定日期在未来 (decision date in the future)")
    checks = (
        ("payment_days", s.penalty_payment_days, "penalty_payment_days", "缴纳罚款期限"),
        ("review_days", s.review_days, "review_days", "申请行政复议期限"),
        ("litigation_months", s.litigation_months, "litigation_months", "提起行政诉讼期限"),
    )
    for path, want, setting, label in checks:
        v = g(d, path)
        if isinstance(v, int) and v != want:
            yield err(path, f"{label}应为 {want} (must be {want})", s.source(setting))
    pct = g(d, "surcharge_pct")
    if isinstance(pct, int | float) and pct > s.late_payment_surcharge_pct:
        yield err("surcharge_pct", f"加处罚款每日不得超过 {s.late_payment_surcharge_pct:g}% (surcharge above the legal rate)",
                  s.source("late_payment_surcharge_pct"))
    if g(d, "fine") is not None and not g(d, "payment_account"):
        yield err("payment_account", "须写明缴款银行及账户 (give the payment account)", "行政处罚法 第59条")
    if g(d, "doc_no") and "罚" not in g(d, "doc_no"):
        yield warn("doc_no", "行政处罚决定书的文书代字通常为“应急罚” (usual code is 应急罚)", "domain.md §2.5")


__all__ = ["PenaltyNotice", "PenaltyDecision", "EvidenceCite", "FINES", "FineRange", "fine_problems", "FINES_SOURCE", "cite_text"]
