"""The campaign's reports as records (domain.md §2.6, §9a CampaignReport).

``outsafe report KIND`` builds one of these from the archive's own data; the record's template
renders it (GB/T 9704 layout); ``outsafe case add`` seals it, and a submission package carries it
to the bureau, where ``outsafe campaign status`` sees who has handed in what.

- :class:`CampaignReport` — prose reports in the 公文 layout: 自查报告 (due 6-10) and
  工作总结报告 (due 10-20); headed sections of paragraphs, optional tables as attachments.
- :class:`CampaignTable` — landscape tables: 附件2 外包作业情况表 (due 4-30) and the bureau's
  外包作业队伍监管台账.

The figures a report states are also kept machine-readable (``figures``), so a test — or the
bureau — can compare them with the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, ClassVar, Literal

import re

from schemas.base import LIMITS, F, RuleContext, err, g, rule
from schemas.enforcement import ISO_DAY
from schemas.identifiers import check_doc_no, check_uscc, uscc_warning
from schemas.meta import CaseMeta

REPORT_KINDS = {
    "attachment2": "外包作业情况表",
    "self_check": "外包作业安全专项整治自查报告",
    "ledger": "外包作业队伍监管台账",
    "summary": "外包作业安全专项整治工作总结报告",
}


@dataclass(frozen=True, kw_only=True)
class Section:
    heading: Annotated[str | None, F("标题", help="如 一、基本情况；留空为无标题段落")] = None
    level: Annotated[Literal[1, 2], F("标题层级", help="1：一、（黑体）；2：（一）（楷体）")] = 1
    paragraphs: Annotated[tuple[str, ...], F("段落", min_items=1)]


@dataclass(frozen=True, kw_only=True)
class Row:
    cells: Annotated[tuple[str, ...], F("单元格")]


@dataclass(frozen=True, kw_only=True)
class Table:
    title: Annotated[str, F("表题")]
    columns: Annotated[tuple[str, ...], F("列", min_items=1)]
    rows: Annotated[tuple[Row, ...], F("行", max_items=LIMITS.table_rows)] = ()
    widths: Annotated[tuple[float, ...], F("列宽（mm）", help="不再使用：纸张、字号和列宽在生成文书时按内容计算（保留以读取旧记录）")] = ()
    note: Annotated[str | None, F("表注")] = None


@dataclass(frozen=True, kw_only=True)
class Figure:
    """One figure a report states, machine-readable (e.g. key ``projects``, value 2)."""

    key: Annotated[str, F("指标代码")]
    label: Annotated[str, F("指标")]
    value: Annotated[float, F("数值")]


def _tables_ok(t, ctx: RuleContext):
    for i, table in enumerate(g(t, "tables") or ()):
        n = len(g(table, "columns") or ())
        widths = g(table, "widths") or ()
        if widths and len(widths) != n:
            yield err(f"tables[{i}].widths", f"列宽个数 {len(widths)} 与列数 {n} 不符 (one width per column)")
        for j, row in enumerate(g(table, "rows") or ()):
            if len(g(row, "cells") or ()) != n:
                yield err(f"tables[{i}].rows[{j}].cells", f"单元格数 {len(g(row, 'cells') or ())} 与列数 {n} 不符 (cell count differs from the columns)")


#: What an official report never prints: the checker's rule codes (E1–E5, C1–C5, 3-1…3-3, CS-1/CS-2) —
#: the plan's own wording names each item — and the program's name.
INTERNAL = re.compile(r"(?<![A-Za-z0-9-])(E[1-5]|C[1-5]|3-[1-3]|CS-[12])(?![A-Za-z0-9-])|outsafe", re.I)


def _texts(t):
    for i, s in enumerate(g(t, "sections") or ()):
        if g(s, "heading"):
            yield f"sections[{i}].heading", g(s, "heading")
        for j, x in enumerate(g(s, "paragraphs") or ()):
            yield f"sections[{i}].paragraphs[{j}]", x
    for i, table in enumerate(g(t, "tables") or ()):
        yield f"tables[{i}].title", g(table, "title")
        if g(table, "note"):
            yield f"tables[{i}].note", g(table, "note")
        for j, row in enumerate(g(table, "rows") or ()):
            for k, cell in enumerate(g(row, "cells") or ()):
                yield f"tables[{i}].rows[{j}].cells[{k}]", cell
    for i, a in enumerate(g(t, "attachments") or ()):
        yield f"attachments[{i}]", a
    for name in ("title", "contact"):
        if g(t, name):
            yield name, g(t, name)


def _official_wording(t, ctx: RuleContext):
    """Dates as 2026年4月30日, and no internal codes or program names, anywhere in a report."""
    for path, text in _texts(t):
        if not isinstance(text, str):
            continue
        m = ISO_DAY.search(text)
        if m:
            yield err(path, f"报告中的日期应写作“2026年4月30日”，此处为“{m.group(0)}” (write dates the Chinese way)", "GB/T 9704—2012 7.3.5")
        m = INTERNAL.search(text)
        if m:
            yield err(path, f"报告中不得出现内部代码或程序名称“{m.group(0)}”，应使用整治方案的原文表述 (no internal codes in an official report)")


def _author(t, ctx: RuleContext):
    if bool(g(t, "enterprise")) == bool(g(t, "bureau")):
        yield err("enterprise", "报送单位须为发包单位或应急管理局之一 (exactly one of enterprise / bureau)")
    issued, as_of = g(t, "issued_on"), g(t, "as_of")
    if isinstance(issued, date) and isinstance(as_of, date) and issued < as_of:
        yield err("issued_on", "成文日期早于数据截止日期 (issued before the data cut-off)")


@dataclass(frozen=True, kw_only=True)
class CampaignReport:
    """自查报告 / 工作总结报告 (GB/T 9704 上行文)."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "campaign_report", "专项整治报告", "report_no", "issued_on", contractor=None, project=None, kind="campaign",
    )

    report_no: Annotated[str, F("报告编号")]
    kind: Annotated[Literal["self_check", "summary"], F("报告类别", help="self_check 自查报告 / summary 工作总结报告")]
    title: Annotated[str, F("标题")]
    enterprise: Annotated[str | None, F("报送单位（发包单位）", check_uscc, warn=uscc_warning)] = None
    bureau: Annotated[str | None, F("报送单位（应急管理局）", check_uscc, warn=uscc_warning)] = None
    recipient: Annotated[str, F("主送机关")]
    year: Annotated[int, F("整治年度", minimum=2000, maximum=2100)]
    as_of: Annotated[date, F("数据截止日期")]
    due: Annotated[date | None, F("报送期限")] = None
    issued_on: Annotated[date, F("成文日期")]
    author_name: Annotated[str, F("署名单位")]
    sections: Annotated[tuple[Section, ...], F("正文", min_items=1)]
    tables: Annotated[tuple[Table, ...], F("附表")] = ()
    attachments: Annotated[tuple[str, ...], F("附件说明")] = ()
    figures: Annotated[tuple[Figure, ...], F("数据")] = ()
    contact: Annotated[str | None, F("联系人及电话")] = None
    doc_no: Annotated[str | None, F("发文字号", check_doc_no, help="如 济高新应急〔2026〕15号；机关上报的报告必填")] = None
    signer: Annotated[str | None, F("签发人", help="上行文须标注签发人（GB/T 9704—2012 7.2.4）")] = None


rule(CampaignReport)(_tables_ok)
rule(CampaignReport)(_author)
rule(CampaignReport)(_official_wording)


@rule(CampaignReport)
def _upward(t, ctx: RuleContext):
    """The bureau's report to the 区人民政府 is an upward 公文: 发文字号 and 签发人 (GB/T 9704 7.2.3, 7.2.4)."""
    if g(t, "bureau"):
        if not g(t, "doc_no"):
            yield err("doc_no", "机关上报的报告须有发文字号 (an upward report needs its document number)", "GB/T 9704—2012 7.2.3")
        if not g(t, "signer"):
            yield err("signer", "上行文须标注签发人 (an upward report names its signer)", "GB/T 9704—2012 7.2.4")


@dataclass(frozen=True, kw_only=True)
class CampaignTable:
    """附件2 外包作业情况表 / 外包作业队伍监管台账 (landscape table)."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "campaign_table", "专项整治报表", "report_no", "issued_on", contractor=None, project=None, kind="campaign",
    )

    report_no: Annotated[str, F("报表编号")]
    kind: Annotated[Literal["attachment2", "ledger"], F("报表类别", help="attachment2 附件2 外包作业情况表 / ledger 外包作业队伍监管台账")]
    title: Annotated[str, F("标题")]
    enterprise: Annotated[str | None, F("填报单位（发包单位）", check_uscc, warn=uscc_warning)] = None
    bureau: Annotated[str | None, F("填报单位（应急管理局）", check_uscc, warn=uscc_warning)] = None
    year: Annotated[int, F("整治年度", minimum=2000, maximum=2100)]
    as_of: Annotated[date, F("数据截止日期")]
    due: Annotated[date | None, F("报送期限")] = None
    issued_on: Annotated[date, F("填报日期")]
    author_name: Annotated[str, F("填报单位名称")]
    tables: Annotated[tuple[Table, ...], F("表", min_items=1)]
    figures: Annotated[tuple[Figure, ...], F("数据")] = ()
    filled_by: Annotated[str | None, F("填报人")] = None
    contact: Annotated[str | None, F("联系电话")] = None


rule(CampaignTable)(_tables_ok)
rule(CampaignTable)(_author)
rule(CampaignTable)(_official_wording)


__all__ = ["CampaignReport", "CampaignTable", "Section", "Table", "Row", "Figure", "REPORT_KINDS"]
