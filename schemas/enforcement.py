"""Enforcement documents (执法文书) of the bureau: 现场检查记录, 责令限期整改指令书, 整改复查意见书.

Fields after the SAWS 2017 form set with the 应急 prefix used locally (domain.md §2.5). Their 文书号
look like （高新）应急责改〔2026〕12号: full-width parentheses, 〔〕 around the year, no leading zeros.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from schemas.identifiers import check_phone
from schemas.base import F, RuleContext, err, g, rule, warn
from schemas.common import BureauUscc, ContractorUscc, EnfDocNo, Inspector, Photo, UnitUscc
from schemas.meta import CaseMeta


@dataclass(frozen=True, kw_only=True)
class UnitContact:
    name: Annotated[str, F("姓名")]
    title: Annotated[str, F("职务")]
    phone: Annotated[str | None, F("联系电话", check_phone)] = None


@dataclass(frozen=True, kw_only=True)
class Finding:
    text: Annotated[str, F("问题描述")]
    basis: Annotated[str | None, F("违反的规定")] = None
    major_hazard: Annotated[bool, F("重大事故隐患")] = False
    criterion: Annotated[str | None, F("判定依据条目", help="如 应急管理部令第10号 第3条第1项")] = None


#: 责令限期改正: 安全生产法 第六十五条第一款第（二）项 ("对检查中发现的安全生产违法行为，当场予以纠正或者
#: 要求限期改正"); 第（三）项 is 责令立即排除事故隐患 (现场处理措施决定书), not a time limit.
ORDER_BASIS = "《中华人民共和国安全生产法》第六十五条第一款第（二）项"
ISO_DAY = re.compile(r"(?<![0-9A-Za-z])(19|20)\d{2}-\d{1,2}-\d{1,2}(?![0-9])")
STANDARDS = ("判定标准", "应急管理部令第10号")


def iso_dates(doc, paths: tuple[str, ...]):
    """Official documents write dates as 2026年5月6日: an ISO date in their text is an error."""
    for path in paths:
        head, _, rest = path.partition("[].")
        if path.endswith("[]"):
            values = [(f"{path[:-2]}[{i}]", x) for i, x in enumerate(g(doc, path[:-2]) or ())]
        elif rest:
            values = [(f"{head}[{i}].{rest}", g(x, rest)) for i, x in enumerate(g(doc, head) or ())]
        else:
            values = [(head, g(doc, head))]
        for p, v in values:
            if isinstance(v, str) and ISO_DAY.search(v):
                yield err(p, f"文书正文中的日期应写作“2026年5月6日”，此处为“{ISO_DAY.search(v).group(0)}” (write dates the Chinese way)",
                          "党政机关公文格式 GB/T 9704—2012 7.3.5")


def standard_only(basis: str | None) -> bool:
    """A 违反的规定 that names only the 重大事故隐患判定标准: a standard by which a hazard is judged
    is not a provision one violates."""
    if not isinstance(basis, str) or not basis.strip():
        return False
    parts = [x for x in re.split(r"[；;]", basis) if x.strip()]
    return all(any(k in x for k in STANDARDS) for x in parts)


def issued_by_the_bureau(doc, ctx: RuleContext):
    """An enforcement document is the bureau's act under its own name and seal: the 执法机关名称 is the
    registered name of the bureau (not an internal unit such as a 执法大队 or 科室)."""
    lookup, name = ctx.lookup, g(doc, "authority_name")
    org = lookup.organization(g(doc, "bureau")) if lookup is not None and g(doc, "bureau") else None
    if org is not None and isinstance(name, str) and name.strip() != org.name:
        yield err("authority_name", f"执法文书应以{org.name}的名义作出、加盖其印章，不能以“{name}”的名义作出 "
                  "(issued by the bureau itself, not an internal unit)", "行政处罚法 第59条")


def _inspectors(doc, path: str = "inspectors"):
    people = list(g(doc, path) or ())
    names = [g(p, "name") for p in people]
    if len(people) < 2:
        yield err(path, "执法人员不得少于两人 (at least two enforcement officers)", "行政处罚法 第42条; 安全生产法 第67条")
    elif len(set(names)) != len(names):
        yield err(path, "执法人员重复 (the same officer listed twice)")


@dataclass(frozen=True, kw_only=True)
class InspectionRecord:
    """现场检查记录 (应急检记)."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "inspection_record", "现场检查记录", "doc_no", "time_from", enterprise="unit",
    )

    doc_no: EnfDocNo
    bureau: BureauUscc
    unit: UnitUscc
    contractor: Annotated[ContractorUscc | None, F("涉及承包单位")] = None
    project: Annotated[str | None, F("涉及项目编号")] = None
    unit_address: Annotated[str, F("地址")]
    unit_head: Annotated[UnitContact, F("法定代表人（负责人）")]
    place: Annotated[str, F("检查场所")]
    time_from: Annotated[datetime, F("检查时间（自）")]
    time_to: Annotated[datetime, F("检查时间（至）")]
    inspectors: Annotated[tuple[Inspector, ...], F("执法人员")]
    situation: Annotated[str, F("检查情况")]
    findings: Annotated[tuple[Finding, ...], F("发现的问题")] = ()
    unit_signer: Annotated[str | None, F("被检查单位现场负责人")] = None
    photos: Annotated[tuple[Photo, ...], F("现场照片")] = ()


@rule(InspectionRecord)
def _inspection(r, ctx: RuleContext):
    a, b = g(r, "time_from"), g(r, "time_to")
    if isinstance(a, datetime) and isinstance(b, datetime) and b <= a:
        yield err("time_to", "检查结束时间不晚于开始时间 (inspection ends before it starts)")
    if isinstance(a, datetime) and a.date() > ctx.today:
        yield err("time_from", "检查时间在未来 (inspection date in the future)")
    for i, f in enumerate(g(r, "findings") or ()):
        if standard_only(g(f, "basis")):
            yield err(f"findings[{i}].basis", "违反的规定应为法律、法规、规章的条款；判定标准写入 criterion (a 判定标准 is not a provision one violates)")
    yield from iso_dates(r, ("situation", "findings[].text"))
    yield from _inspectors(r)
    if g(r, "doc_no") and "检记" not in g(r, "doc_no"):
        yield warn("doc_no", "现场检查记录的文书代字通常为“应急检记” (usual code is 应急检记)", "安全生产监管监察执法文书式样 (2017)")


@dataclass(frozen=True, kw_only=True)
class OrderItem:
    text: Annotated[str, F("问题")]
    basis: Annotated[str | None, F("违反的规定", help="被违反的法律、法规、规章条款，如《中华人民共和国安全生产法》第四十九条第二款")] = None
    deadline: Annotated[date, F("整改期限")]
    major_hazard: Annotated[bool, F("重大事故隐患")] = False
    criterion: Annotated[str | None, F("重大事故隐患判定依据", help="如《工贸企业重大事故隐患判定标准》第三条第（一）项")] = None
    requirement: Annotated[str | None, F("整改要求")] = None
    contractor: Annotated[ContractorUscc | None, F(
        "涉及承包单位", help="一份指令书的问题涉及不同承包单位时逐项填写；缺省为文书的“涉及承包单位”")] = None


@dataclass(frozen=True, kw_only=True)
class RectificationOrder:
    """责令限期整改指令书 (应急责改)."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "rectification_order", "责令限期整改指令书", "doc_no", "issued_on", enterprise="unit",
    )

    doc_no: EnfDocNo
    bureau: BureauUscc
    unit: UnitUscc
    contractor: Annotated[ContractorUscc | None, F("涉及承包单位")] = None
    project: Annotated[str | None, F("涉及项目编号")] = None
    inspection_ref: Annotated[str | None, F("现场检查记录文书号")] = None
    inspected_on: Annotated[date, F("检查日期")]
    items: Annotated[tuple[OrderItem, ...], F("存在的问题", min_items=1)]
    legal_basis: Annotated[str, F("责令整改依据")] = ORDER_BASIS
    inspectors: Annotated[tuple[Inspector, ...], F("执法人员")]
    unit_head: Annotated[str | None, F("被检查单位负责人")] = None
    issued_on: Annotated[date, F("作出日期")]
    authority_name: Annotated[str, F("执法机关名称")]
    review_authority: Annotated[
        str | None, F("行政复议机关", help="留空则为执法机关同级人民政府（由“XX区应急管理局”得出“XX区人民政府”）")
    ] = None
    photos: Annotated[tuple[Photo, ...], F("隐患照片")] = ()


@rule(RectificationOrder)
def _order(o, ctx: RuleContext):
    issued, inspected = g(o, "issued_on"), g(o, "inspected_on")
    if isinstance(issued, date) and isinstance(inspected, date) and issued < inspected:
        yield err("issued_on", "作出日期早于检查日期 (order issued before the inspection)")
    if isinstance(issued, date) and issued > ctx.today:
        yield err("issued_on", "作出日期在未来 (order date in the future)")
    for i, item in enumerate(g(o, "items") or ()):
        d = g(item, "deadline")
        if isinstance(d, date) and isinstance(issued, date) and d <= issued:
            yield err(f"items[{i}].deadline", f"整改期限 {d} 不晚于作出日期 {issued} (deadline not after the order date)")
        c = g(item, "contractor")
        if c and g(o, "contractor") and c != g(o, "contractor"):
            yield err(f"items[{i}].contractor", "与文书的“涉及承包单位”不符；问题涉及多个承包单位时，文书的 contractor 留空、逐项填写 "
                      "(differs from the order's contractor; leave it empty when items concern several contractors)")
    basis = g(o, "legal_basis")
    if isinstance(basis, str) and "第六十五条" in basis and "第（三）项" in basis and "第（二）项" not in basis:
        yield err("legal_basis", "责令限期改正的依据是《安全生产法》第六十五条第一款第（二）项；第（三）项是责令立即排除事故隐患"
                  "（用现场处理措施决定书） (a time-limited order rests on item (2))", "安全生产法 第65条")
    for i, item in enumerate(g(o, "items") or ()):
        if standard_only(g(item, "basis")):
            yield err(f"items[{i}].basis", "违反的规定应为法律、法规、规章的条款；《工贸企业重大事故隐患判定标准》是判定依据，"
                      "写入 criterion (a 判定标准 is not a provision one violates)", "安全生产法 第65条; 应急管理部令第10号")
        if g(item, "major_hazard") and not g(item, "criterion"):
            yield warn(f"items[{i}].criterion", "重大事故隐患应写明判定依据条目 (cite the criterion item)", "应急管理部令第10号")
    if not g(o, "inspection_ref"):
        yield warn("inspection_ref", "未写明所依据的现场检查记录文书号 (name the inspection record the order rests on)", "安全生产监管监察执法文书式样 (2017)")
    yield from iso_dates(o, ("items[].text", "items[].basis", "items[].requirement"))
    yield from issued_by_the_bureau(o, ctx)
    yield from _inspectors(o)
    if g(o, "doc_no") and "责改" not in g(o, "doc_no"):
        yield warn("doc_no", "责令限期整改指令书的文书代字通常为“应急责改” (usual code is 应急责改)", "domain.md §2.5")


@dataclass(frozen=True, kw_only=True)
class ReviewItem:
    item: Annotated[int, F("指令书问题序号", minimum=1)]
    result: Annotated[Literal["已整改", "部分整改", "未整改"], F("复查结果")]
    note: Annotated[str | None, F("说明")] = None


@dataclass(frozen=True, kw_only=True)
class RectificationReview:
    """整改复查意见书 (应急复查)."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "rectification_review", "整改复查意见书", "doc_no", "reviewed_on", enterprise="unit",
    )

    doc_no: EnfDocNo
    bureau: BureauUscc
    unit: UnitUscc
    contractor: Annotated[ContractorUscc | None, F("涉及承包单位")] = None
    project: Annotated[str | None, F("涉及项目编号")] = None
    order_doc_no: Annotated[str, F("原指令书文书号")]
    order_issued_on: Annotated[date, F("原指令书作出日期")]
    reviewed_on: Annotated[date, F("复查日期")]
    items: Annotated[tuple[ReviewItem, ...], F("复查情况", min_items=1)]
    opinion: Annotated[str, F("复查意见")]
    inspectors: Annotated[tuple[Inspector, ...], F("执法人员")]
    unit_head: Annotated[str | None, F("被复查单位负责人")] = None
    authority_name: Annotated[str, F("执法机关名称")]
    photos: Annotated[tuple[Photo, ...], F("复查照片")] = ()


@rule(RectificationReview)
def _review(r, ctx: RuleContext):
    a, b = g(r, "order_issued_on"), g(r, "reviewed_on")
    if isinstance(a, date) and isinstance(b, date) and b < a:
        yield err("reviewed_on", "复查日期早于原指令书作出日期 (review before the order)")
    if isinstance(b, date) and b > ctx.today:
        yield err("reviewed_on", "复查日期在未来 (review date in the future)")
    yield from iso_dates(r, ("opinion", "items[].note"))
    yield from issued_by_the_bureau(r, ctx)
    seen = [g(i, "item") for i in g(r, "items") or ()]
    if len(seen) != len(set(seen)):
        yield err("items", "同一问题序号出现多次 (an item is reviewed twice)")
    yield from _inspectors(r)


def order_contractors(order) -> list[str]:
    """Every contractor an order concerns: each item's, else the order's own."""
    out: dict[str, None] = {}
    for it in order.items:
        c = it.contractor or order.contractor
        if c:
            out[c] = None
    if order.contractor:
        out.setdefault(order.contractor, None)
    return list(out)



def review_authority_of(authority_name: str | None) -> str | None:
    """The 行政复议机关 of a district bureau: the 人民政府 at its own level (行政复议法 2023 第24条):
    "XX市XX区应急管理局" → "XX市XX区人民政府"."""
    if not authority_name:
        return None
    for suffix in ("应急管理局", "应急局"):
        if authority_name.endswith(suffix) and len(authority_name) > len(suffix):
            return authority_name[: -len(suffix)] + "人民政府"
    return None
