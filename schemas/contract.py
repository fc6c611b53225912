"""外包合同 (outsourcing contract) and 安全生产管理协议 (safety production management agreement).

Fields: domain.md §2.1 and §2.2. SPL 49: the employer must sign a dedicated 安全生产管理协议 or
state each party's safety duties in the contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from schemas.base import F, RuleContext, err, g, rule, warn
from schemas.common import ContractorUscc, EnterpriseUscc, Period, Signatory, WorkContent
from schemas.meta import CaseMeta


@dataclass(frozen=True, kw_only=True)
class ChangeOrder:
    """合同变更 (e.g. a changed completion date — the 发包单位二查 looks for compressed periods)."""

    number: Annotated[str, F("变更编号")]
    date: Annotated[date, F("变更日期")]
    description: Annotated[str, F("变更内容")]
    new_end: Annotated[date | None, F("变更后完工日期")] = None
    signed_by_both: Annotated[bool, F("双方签字确认")] = True


@dataclass(frozen=True, kw_only=True)
class OutsourcingContract:
    """外包合同."""

    __case__: ClassVar[CaseMeta] = CaseMeta("outsourcing_contract", "外包合同", "contract_no", "signed_on")

    contract_no: Annotated[str, F("合同编号")]
    title: Annotated[str, F("合同名称")]
    project: Annotated[str, F("项目编号")]
    enterprise: EnterpriseUscc
    contractor: ContractorUscc
    scope: Annotated[str, F("承包范围")]
    work_content: Annotated[tuple[WorkContent, ...], F("作业内容", min_items=1)]
    location: Annotated[str, F("作业地点")]
    period: Annotated[Period, F("约定工期")]
    price: Annotated[Decimal | None, F("合同价款（元）")] = None
    safety_cost: Annotated[Decimal | None, F("安全生产费用（元）")] = None
    subcontracting_allowed: Annotated[bool, F("允许分包")] = False
    safety_duty_clause: Annotated[str | None, F("安全生产管理职责条款", help="合同中约定各自安全生产管理职责的条款全文")] = None
    payment_terms: Annotated[str | None, F("付款方式")] = None
    quality_terms: Annotated[str | None, F("质量与验收")] = None
    dispute_resolution: Annotated[str | None, F("争议解决")] = None
    signed_on: Annotated[date, F("签订日期")]
    enterprise_signatory: Annotated[Signatory, F("发包单位代表")]
    contractor_signatory: Annotated[Signatory, F("承包单位代表")]
    change_orders: Annotated[tuple[ChangeOrder, ...], F("合同变更")] = ()
    status: Annotated[Literal["履行中", "已完成", "已解除"], F("合同状态")] = "履行中"
    terminated_on: Annotated[date | None, F("解除日期")] = None


# Phrases that push the employer's statutory duties onto the contractor (SPL 103¶1, 106).
LIABILITY_SHIFTING = re.compile(
    r"(乙方|承包方|承包单位)[^。；;]{0,12}(承担|负)[^。；;]{0,6}(全部|一切|所有)[^。；;]{0,6}(责任)"
    r"|(甲方|发包方|发包单位)[^。；;]{0,8}(不承担|概不负责|不负)[^。；;]{0,8}(任何|一切)?[^。；;]{0,4}(责任)?"
    r"|(工伤|伤亡)[^。；;]{0,10}(由乙方|由承包方)[^。；;]{0,6}(自行)?(负责|承担)"
)


def liability_shifting_phrases(text: str) -> list[str]:
    return [m.group(0) for m in LIABILITY_SHIFTING.finditer(text or "")]


@rule(OutsourcingContract)
def _contract(c, ctx: RuleContext):
    if g(c, "enterprise") and g(c, "enterprise") == g(c, "contractor"):
        yield err("contractor", "承包单位不能与发包单位相同 (contractor equals enterprise)")
    period = g(c, "period")
    signed = g(c, "signed_on")
    if isinstance(signed, date) and isinstance(g(period, "start"), date) and signed > g(period, "start"):
        yield warn("signed_on", f"合同签订日期 {signed} 晚于开工日期 {g(period, 'start')} (signed after work started)")
    if isinstance(signed, date) and signed > ctx.today:
        yield err("signed_on", f"签订日期 {signed} 在未来 (signing date in the future)")
    for i, co in enumerate(g(c, "change_orders") or ()):
        new_end = g(co, "new_end")
        if isinstance(new_end, date) and isinstance(g(period, "end"), date) and new_end < g(period, "end") and not g(co, "signed_by_both", True):
            yield warn(f"change_orders[{i}].new_end", "压缩工期的变更未经双方签字确认 (period shortened without a signed change)",
                       "整治方案 发包单位五查之二")
    clause = g(c, "safety_duty_clause")
    for phrase in liability_shifting_phrases(clause or ""):
        yield warn("safety_duty_clause", f"疑似推卸安全责任的表述：“{phrase}” (liability-shifting wording)", "安全生产法 第103条、第106条")
    if g(c, "status") == "已解除" and not g(c, "terminated_on"):
        yield err("terminated_on", "合同已解除，须填写解除日期 (terminated contract needs a termination date)")


DEFAULT_BASIS = (
    "《中华人民共和国安全生产法》",
    "《中华人民共和国民法典》",
    "《生产安全事故报告和调查处理条例》",
    "《工贸企业重大事故隐患判定标准》",
)


@dataclass(frozen=True, kw_only=True)
class SafetyAgreement:
    """安全生产管理协议: both parties' safety duties for one project (SPL 49)."""

    __case__: ClassVar[CaseMeta] = CaseMeta("safety_agreement", "安全生产管理协议", "agreement_no", "signed_on")

    agreement_no: Annotated[str, F("协议编号")]
    project: Annotated[str, F("项目编号")]
    enterprise: EnterpriseUscc
    contractor: ContractorUscc
    contract_no: Annotated[str | None, F("关联合同编号")] = None
    term: Annotated[Period, F("协议期限")]
    basis: Annotated[tuple[str, ...], F("签订依据")] = DEFAULT_BASIS
    project_overview: Annotated[str, F("项目概况", help="作业地点和范围、内容")]
    enterprise_duties: Annotated[tuple[str, ...], F("甲方（发包单位）安全责任", min_items=3)]
    contractor_duties: Annotated[tuple[str, ...], F("乙方（承包单位）安全责任", min_items=3)]
    safety_cost: Annotated[Decimal | None, F("安全投入（元）")] = None
    safety_deposit: Annotated[Decimal | None, F("安全保证金（元）")] = None
    penalties: Annotated[tuple[str, ...], F("违约与奖惩")] = ()
    accident_handling: Annotated[str, F("事故处理与责任")]
    copies: Annotated[int, F("协议份数", minimum=2)] = 2
    signed_on: Annotated[date, F("签订日期")]
    enterprise_signatory: Annotated[Signatory, F("甲方代表")]
    contractor_signatory: Annotated[Signatory, F("乙方代表")]


@rule(SafetyAgreement)
def _agreement(a, ctx: RuleContext):
    if g(a, "enterprise") and g(a, "enterprise") == g(a, "contractor"):
        yield err("contractor", "乙方不能与甲方相同 (contractor equals enterprise)")
    term = g(a, "term")
    signed = g(a, "signed_on")
    if isinstance(signed, date) and isinstance(g(term, "start"), date) and signed > g(term, "start"):
        yield warn("signed_on", f"协议签订日期 {signed} 晚于协议期限开始 {g(term, 'start')} (signed after the term began)",
                   "安全生产法 第49条")
    if isinstance(signed, date) and signed > ctx.today:
        yield err("signed_on", f"签订日期 {signed} 在未来 (signing date in the future)")
    for field in ("enterprise_duties", "contractor_duties"):
        for i, duty in enumerate(g(a, field) or ()):
            for phrase in liability_shifting_phrases(duty):
                yield warn(f"{field}[{i}]", f"疑似推卸安全责任的表述：“{phrase}” (liability-shifting wording)",
                           "安全生产法 第103条、第106条")
