"""黑名单: the enterprise's own contractor list and the bureau's statutory list (应急管理部令第11号).

Two lists (domain.md §7.3), one record type each for listing and removal; both are sealed records
that go through ``outsafe case add`` like every document:

- ``list: enterprise`` — 企业承包商黑名单: the employer excludes a contractor after a campaign trigger
  (发包单位五查之五: quarterly assessment failed, major hazard not rectified, fatal accident).
  Effect: that enterprise gives the contractor no new agreement, contract or ticket.
- ``list: statutory`` — 安全生产严重失信主体名单 (令第11号, in force 2023-10-01): decided by the bureau
  that imposed the penalty ("谁处罚、谁决定、谁负责"), situation 1–9, management period
  ``settings.blacklist_years`` (3) from its start, early removal on application after
  ``settings.blacklist_early_removal_months`` (12). Effect: no enterprise gives the subject a new
  agreement, contract or ticket.

Periods are counted as 民法典 第二百零一条、第二百零二条 count them: the start day does not count, and
the last day is the corresponding day of the final year/month — a listing that starts 2026-03-01
for 3 years runs through 2029-03-01 (inclusive) and is over on 2029-03-02.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Annotated, ClassVar, Literal

from schemas.base import F, RuleContext, err, g, rule, warn
from schemas.common import PersonRef
from schemas.enforcement import iso_dates
from schemas.identifiers import check_uscc, uscc_warning
from schemas.meta import CaseMeta

LIST_NAMES = {"enterprise": "企业承包商黑名单", "statutory": "安全生产严重失信主体名单"}

#: 令第11号 列入情形. (1)–(7) after the secondary summaries in domain.md §7.1 [S]; (8)–(9) [M].
SITUATIONS: dict[int, str] = {
    1: "发生特别重大、重大生产安全事故",
    2: "12个月内发生2起以上较大生产安全事故",
    3: "发生生产安全事故，情节特别严重、影响特别恶劣，依照安全生产法第一百一十四条第二款被处以罚款",
    4: "瞒报、谎报生产安全事故",
    5: "主要负责人不立即组织抢救，或者在事故调查处理期间擅离职守、逃匿",
    6: "未依法取得安全生产许可证等行政许可，或者许可被暂扣、吊销期间擅自从事生产经营活动",
    7: "承担安全评价、认证、检测、检验职责的机构租借资质、挂靠、出具虚假报告或证书",
    8: "拒不执行行政处罚决定或者监管执法指令（待核实 [M]）",
    9: "其他违法行为性质恶劣、情节严重（待核实 [M]）",
}
SITUATION_SOURCE = "应急管理部令第11号（安全生产严重失信主体名单管理办法）第5、6条 [S]"

Trigger = Literal["季度安全生产考核不合格", "重大事故隐患不整改", "发生亡人事故", "违反安全生产管理协议", "其他"]


def add_years(d: date, years: int) -> date:
    """The corresponding day ``years`` later (29 February → 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def add_months(d: date, months: int) -> date:
    """The corresponding day ``months`` later; the month's last day if it has no such day (民法典 第202条)."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _issued_by_the_organisation(d, ctx: RuleContext):
    """A listing or removal decision is the organisation's act, under its name and seal: not a
    department's (安全环保部 cannot decide on the company's behalf toward a third party)."""
    lookup, by = ctx.lookup, g(d, "decided_by")
    org = lookup.organization(g(d, "listed_by")) if lookup is not None and g(d, "listed_by") else None
    if org is not None and isinstance(by, str) and by.strip() != org.name:
        yield err("decided_by", f"决定应以{org.name}的名义作出、加盖单位印章，不能以“{by}”（内设部门或其他名称）的名义作出 "
                  "(the decision is issued by the organisation, not a department)")


@dataclass(frozen=True, kw_only=True)
class BlacklistEntry:
    """列入黑名单 (one subject: a unit, or a person such as its principal)."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "blacklist_entry", "列入黑名单决定", "entry_no", "decided_on",
        enterprise="owner_enterprise", contractor="subject", project=None, kind="campaign",
    )

    entry_no: Annotated[str, F("列入编号/决定书文号")]
    list: Annotated[Literal["enterprise", "statutory"], F("名单类别", help="enterprise 企业承包商黑名单 / statutory 严重失信主体名单（令第11号）")]
    listed_by: Annotated[str, F("列入单位（统一社会信用代码）", check_uscc, warn=uscc_warning)]
    subject: Annotated[str | None, F("被列入单位（统一社会信用代码）", check_uscc, warn=uscc_warning)] = None
    subject_name: Annotated[str, F("被列入单位/人员名称")]
    person: Annotated[PersonRef | None, F("被列入人员", help="单位的主要负责人等个人被列入时填写")] = None
    situation: Annotated[int | None, F("列入情形（令第11号）", minimum=1, maximum=9)] = None
    trigger: Annotated[Trigger | None, F("列入原因（企业名单）")] = None
    facts: Annotated[str, F("事实和理由")]
    evidence: Annotated[tuple[str, ...], F("证据（记录编号/文书号）")] = ()
    penalty_decision_no: Annotated[str | None, F("行政处罚决定书文号")] = None
    notice_served_on: Annotated[date | None, F("列入前告知送达日期")] = None
    decided_on: Annotated[date, F("列入决定日期")]
    start: Annotated[date, F("管理期限起")]
    end: Annotated[date, F("管理期限止")]
    published_on: Annotated[date | None, F("公开日期")] = None
    measures: Annotated[tuple[str, ...], F("惩戒/管理措施")] = ()
    decided_by: Annotated[str, F("决定单位", help="列入单位的名称（以单位名义作出，加盖单位印章）")]

    @property
    def owner_enterprise(self) -> str | None:
        """The enterprise whose own list this is (catalog column ``enterprise``); None for the statutory list."""
        return self.listed_by if self.list == "enterprise" else None

    @property
    def list_name(self) -> str:
        return LIST_NAMES[self.list]


@rule(BlacklistEntry)
def _entry(e, ctx: RuleContext):
    kind = g(e, "list")
    if not g(e, "subject") and g(e, "person") is None:
        yield err("subject", "须填写被列入单位或被列入人员 (name the listed unit or person)")
    start, end, decided = g(e, "start"), g(e, "end"), g(e, "decided_on")
    if isinstance(start, date) and isinstance(end, date) and end <= start:
        yield err("end", f"管理期限止 {end} 不晚于起 {start} (end not after start)")
    if isinstance(start, date) and isinstance(decided, date) and start < decided:
        yield warn("start", "管理期限起早于列入决定日期 (period starts before the decision)")
    if isinstance(decided, date) and decided > ctx.today:
        yield err("decided_on", f"列入决定日期 {decided} 在未来 (decision date in the future)")
    if kind == "statutory":
        if g(e, "situation") is None:
            yield err("situation", "严重失信主体名单须注明列入情形（1–9） (give the 令第11号 situation)", SITUATION_SOURCE)
        if not g(e, "penalty_decision_no"):
            yield err("penalty_decision_no", "列入严重失信主体名单须以行政处罚决定为前提，填写处罚决定书文号 (a listing rests on a penalty decision)",
                      "应急管理部令第11号 第3条")
        years = ctx.settings.blacklist_years
        if isinstance(start, date) and isinstance(end, date) and end != add_years(start, years):
            yield err("end", f"管理期限为{years}年：自 {start} 起应至 {add_years(start, years)} (management period is {years} years)",
                      ctx.settings.source("blacklist_years"))
        if g(e, "trigger") is not None:
            yield warn("trigger", "列入原因（企业名单）只用于企业承包商黑名单 (trigger is for the enterprise list)")
    elif kind == "enterprise":
        if g(e, "trigger") is None:
            yield err("trigger", "企业承包商黑名单须注明列入原因 (give the trigger)", "整治方案 发包单位五查之五")
        if g(e, "situation") is not None:
            yield warn("situation", "列入情形（令第11号）只用于严重失信主体名单 (situation is for the statutory list)")
    lookup = ctx.lookup
    if lookup is not None and g(e, "listed_by"):
        org = lookup.organization(g(e, "listed_by"))
        want = "enterprise" if kind == "enterprise" else "bureau"
        if org is not None and org.role != want:
            what = "发包单位" if want == "enterprise" else "应急管理局"
            yield err("listed_by", f"{LIST_NAMES.get(kind, '名单')}应由{what}列入，{org.name} 不是 (wrong listing organization)",
                      "应急管理部令第11号 第4条" if kind == "statutory" else "整治方案 发包单位五查之五")
    yield from _issued_by_the_organisation(e, ctx)
    yield from iso_dates(e, ("facts", "evidence[]", "measures[]"))


@dataclass(frozen=True, kw_only=True)
class BlacklistRemoval:
    """移出黑名单: early removal on application, removal at the end of the period, or revocation."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "blacklist_removal", "移出黑名单决定", "removal_no", "decided_on",
        enterprise="owner_enterprise", contractor="subject", project=None, kind="campaign",
    )

    removal_no: Annotated[str, F("移出编号/决定书文号")]
    entry_no: Annotated[str, F("原列入编号/决定书文号")]
    list: Annotated[Literal["enterprise", "statutory"], F("名单类别")]
    listed_by: Annotated[str, F("列入单位（统一社会信用代码）", check_uscc, warn=uscc_warning)]
    subject: Annotated[str | None, F("被列入单位（统一社会信用代码）", check_uscc, warn=uscc_warning)] = None
    subject_name: Annotated[str, F("被列入单位/人员名称")]
    person: Annotated[PersonRef | None, F("被列入人员")] = None
    kind: Annotated[Literal["提前移出", "期满移出", "撤销列入"], F("移出方式")]
    entry_start: Annotated[date, F("原管理期限起")]
    applied_on: Annotated[date | None, F("申请日期")] = None
    decided_on: Annotated[date, F("移出决定日期")]
    reason: Annotated[str, F("移出理由")]
    decided_by: Annotated[str, F("决定单位", help="列入单位的名称（以单位名义作出，加盖单位印章）")]

    @property
    def owner_enterprise(self) -> str | None:
        return self.listed_by if self.list == "enterprise" else None


@rule(BlacklistRemoval)
def _removal(r, ctx: RuleContext):
    s = ctx.settings
    yield from _issued_by_the_organisation(r, ctx)
    yield from iso_dates(r, ("reason",))
    start, decided, applied = g(r, "entry_start"), g(r, "decided_on"), g(r, "applied_on")
    if isinstance(decided, date) and decided > ctx.today:
        yield err("decided_on", f"移出决定日期 {decided} 在未来 (decision date in the future)")
    if isinstance(start, date) and isinstance(decided, date) and decided < start:
        yield err("decided_on", "移出决定日期早于原管理期限起 (removed before the listing began)")
    if g(r, "list") != "statutory" or not isinstance(start, date):
        return
    kind = g(r, "kind")
    if kind == "提前移出":
        earliest = add_months(start, s.blacklist_early_removal_months)
        if applied is None:
            yield err("applied_on", "提前移出须由被列入主体申请，填写申请日期 (early removal needs an application)", SITUATION_SOURCE)
        elif applied <= earliest:
            yield err("applied_on", f"列入满{s.blacklist_early_removal_months}个月后（{earliest} 以后）方可申请提前移出 (too early to apply)",
                      s.source("blacklist_early_removal_months"))
        if isinstance(decided, date) and decided <= earliest:
            yield err("decided_on", f"列入满{s.blacklist_early_removal_months}个月后（{earliest} 以后）方可提前移出 (too early)",
                      s.source("blacklist_early_removal_months"))
    elif kind == "期满移出":
        end = add_years(start, s.blacklist_years)
        if isinstance(decided, date) and decided <= end:
            yield err("decided_on", f"管理期限至 {end} 届满，期满移出应在其后 (the period has not ended)", s.source("blacklist_years"))


__all__ = ["BlacklistEntry", "BlacklistRemoval", "SITUATIONS", "LIST_NAMES", "add_years", "add_months"]
