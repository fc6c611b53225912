"""Evidence packages for penalty cases (证据包, issue 6 item 4, issue 13 item 8): ``outsafe evidence export``.

    result = export_evidence(archive, Path("证据包-2026-8"), case_no="（高新）应急立〔2026〕8号")

The package is built for the *case*, not for a contractor. The case is what the bureau's
行政处罚告知书 and 决定书 of that 案件编号 say: their party (当事人: a unit — enterprise or contractor —
or a person) is the package's party, and every record they cite as evidence (``evidence[].refs``)
must be in the package — a cited record the archive does not hold (or, with ``until``, did not hold
on that day) makes the export refuse with the list of what is missing. Before the 告知书 exists the
party is named with ``party``.

What goes in, in the order of the 案卷 (the compilation's cover is its 卷内目录):

1. the case documents: 行政处罚决定书, then 行政处罚告知书;
2. the bureau's own enforcement documents about the party (and the case's project): 现场检查记录,
   责令限期整改指令书, 整改复查意见书, each by date;
3. the evidence the case documents cite, in the order they cite it;
4. any further records named with ``record_ids``.

Provenance of each item: "本局制作" for the bureau's own records, "某单位报送（2026年12月1日接收）"
for records imported from a submission package. The collecting officers (收集人) are the
inspectors of the bureau's own documents, and for everything else the officers who compile the
package (``officers``, default: those of the latest 现场检查记录 in it).

    <bag>/                                  bagit.txt, bag-info.txt (Outsafe-Case-No …), manifests,
                                            tagmanifest-sha256.txt.sig, 核验说明.txt, index.json
      data/package/                         a complete records package (archive.packages format):
                                            every record with its seal, each origin's key and
                                            checkpoint with the proofs, the bureau's cosignatures
      data/evidence/证据清单.docx / .pdf     序号 · 证据名称 · 来源 · 形成时间 · 收集人 · 页码 · 证明对象,
                                            the officers' signature lines, "第 X 页 共 Y 页" on every page
      data/evidence/电子数据提取笔录.docx / .pdf   every evidence file with its SHA-256, the records
                                            package's digest, to be signed by the officers and the party
      data/evidence/证据材料汇编.pdf         cover (卷内目录: case number, party, the list, the records
                                            package's tag-manifest digest), then every item's PDF:
                                            one bookmark per item, every page stamped "证据N 第i页 / 共M页"

Why a package inside a package: the cover of 证据材料汇编 carries "the package's tag-manifest
digest", and the compilation itself is in the bag — a file cannot contain the digest of a manifest
that lists it. The records sit in their own bag (``data/package/``), whose tag-manifest digest the
cover and the 提取笔录 print; the outer bag then covers the compilation and the lists. A court checks
the link with ``sha256sum data/package/tagmanifest-sha256.txt``.

Page numbers count evidence pages only (第1页 is the first page of 证据1): the cover carries the
page ranges of the list, so it cannot count itself. Cover pages are stamped "封面 第i页 / 共k页".

Stamps are a small text layer added to each page's content stream (no page is re-rendered and no
content parsed). Their font is a CJK font embedded by LibreOffice: :mod:`archive.pdf` converts a
one-line document holding exactly the characters a stamp needs, and the stamps reuse that
embedded subset (its ToUnicode map keeps the stamp searchable and extractable).
Records without a PDF (older records hold only their source file) get a one-page placeholder
naming the electronic files and their SHA-256, so every item still has pages and a bookmark.

The lists are built with python-docx: table rows never split across pages (``cantSplit``), the
header row repeats on every page (``tblHeader``), and the footer prints "第 X 页 共 Y 页".
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

from archive.documents.convert import Converter
from archive.documents.fit import convert_fitted
from archive.errors import ConversionError, NotFound, Problem, ValidationFailed
from archive.integrity import keys
from archive.packages import bag as bagfmt
from archive.packages.common import (
    COMPILATION,
    EXTRACTION_DOCX,
    EXTRACTION_PDF,
    GUIDE_NAME,
    INDEX_NAME,
    KIND_EVIDENCE,
    KIND_RECORDS,
    LIST_DOCX,
    LIST_PDF,
    ExportResult,
    Progress,
    json_bytes,
    outsafe_version,
)
from archive.packages.export import build_records_bag, closure, finish_output, log_export, org_info, staged_output
from archive.packages.guide import guide_text
from archive.privacy import mask_text
from schemas.common import TICKET_TYPE_NAMES

STAMP_CHARS = "证据封面第页共/ 0123456789"
STAMP_FONT = "宋体"  # mapped to Noto Serif CJK SC by the converter's replacement table
STAMP_SIZE = 9.0
STAMP_RESOURCE = "/OutsafeStamp"

CASE_TYPES = ("penalty_decision", "penalty_notice")
ENFORCEMENT_TYPES = ("inspection_record", "rectification_order", "rectification_review")
#: The order of the 案卷 (卷内目录 first: the compilation's cover): decision, notice, the bureau's
#: enforcement documents, then the evidence.
FILE_ORDER = {"penalty_decision": 0, "penalty_notice": 1, "inspection_record": 2, "rectification_order": 3, "rectification_review": 4}
CATEGORY = {"penalty_decision": "执法文书", "penalty_notice": "执法文书", "inspection_record": "执法文书",
            "rectification_order": "执法文书", "rectification_review": "执法文书"}


def cn_day(value: Any) -> str:
    """2026-04-24 (or a date, or a date-time text) → 2026年4月24日."""
    text = value.isoformat() if isinstance(value, date) else str(value or "")
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    return f"{int(m[1])}年{int(m[2])}月{int(m[3])}日" if m else text


@dataclass
class Party:
    """当事人 of the case: a unit (enterprise or contractor) or a person (with the unit they work for)."""

    uscc: str
    name: str
    person: str | None = None
    title: str | None = None

    @property
    def kind(self) -> str:
        return "person" if self.person else "unit"

    @property
    def text(self) -> str:
        if self.person:
            return f"{self.person}（{self.name}{'，' + self.title if self.title else ''}）"
        return f"{self.name}（统一社会信用代码 {self.uscc}）"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "uscc": self.uscc, "name": self.name, "person": self.person, "title": self.title}


@dataclass
class EvidenceItem:
    no: int
    row: dict
    name: str
    source: str
    formed: str
    proves: str
    category: str = "证据"
    collectors: str = ""
    cited_by: list[str] = field(default_factory=list)  # "告知书第2项" …
    pdf: bytes | None = None
    placeholder: bool = False
    pages: int = 0
    first_page: int = 0  # running number of the item's first page (evidence pages only, from 1)

    @property
    def page_range(self) -> str:
        last = self.first_page + self.pages - 1
        return f"第{self.first_page}页" if self.pages == 1 else f"第{self.first_page}–{last}页"

    def as_dict(self) -> dict:
        return {
            "no": self.no,
            "record_id": self.row["id"],
            "type": self.row["type"],
            "category": self.category,
            "name": self.name,
            "source": self.source,
            "formed": self.formed,
            "collectors": self.collectors,
            "pages": self.pages,
            "first_page": self.first_page,
            "page_range": self.page_range,
            "proves": self.proves,
            "cited_by": self.cited_by,
            "origin": self.row["origin"],
            "path": f"data/package/data/records/{self.row['origin']}/{self.row['id']}",
            "has_pdf": not self.placeholder,
        }


# --- the case: its documents, its party, what they cite ---------------------------------------------------------


@dataclass
class Citation:
    document: dict  # the 告知书 / 决定书 row
    index: int  # its evidence item (0-based)
    ref: str
    name: str
    proves: str | None
    row: dict | None  # the record cited, None when the archive does not hold it

    @property
    def where(self) -> str:
        return f"{self.document['title']} 证据第{self.index + 1}项“{self.name}”"


@dataclass
class CaseFile:
    case_no: str
    party: Party
    documents: list[dict]  # 决定书 and 告知书 of the case
    enforcement: list[dict]  # the bureau's own 检查记录 / 指令书 / 复查意见书 about the party
    citations: list[Citation]
    extra: list[dict]

    @property
    def missing(self) -> list[Citation]:
        return [c for c in self.citations if c.row is None]

    def rows(self) -> list[dict]:
        """Every item's record once, in the order of the 案卷."""
        out: dict[str, dict] = {}
        for r in sorted(self.documents, key=lambda r: (FILE_ORDER[r["type"]], r["doc_date"] or "", r["seq"])):
            out.setdefault(r["id"], r)
        for r in sorted(self.enforcement, key=lambda r: (FILE_ORDER[r["type"]], r["doc_date"] or "", r["seq"])):
            out.setdefault(r["id"], r)
        for c in self.citations:
            if c.row is not None:
                out.setdefault(c.row["id"], c.row)
        for r in self.extra:
            out.setdefault(r["id"], r)
        return list(out.values())


def _data(row: dict) -> dict:
    return json.loads(row["data"]) if isinstance(row.get("data"), str) else (row.get("data") or {})


def _on_or_before(row: dict, until: str | None) -> bool:
    return until is None or not row.get("doc_date") or row["doc_date"][:10] <= until


def numbered(archive, number: str, until: str | None = None) -> dict | None:
    """The current record numbered ``number`` (the archive's own first), as held on ``until``."""
    rows = [r for r in archive.catalog.list_records(doc_no=number.strip(), current_only=True) if _on_or_before(r, until)]
    rows.sort(key=lambda r: (r["origin"] != archive.owner_uscc, r["seq"]))
    return rows[0] if rows else None


def _org_name(archive, uscc: str) -> str:
    return org_info(archive, uscc).get("name") or uscc


def assemble_case(archive, case_no: str, *, party: str | None = None, record_ids: Sequence[str] = (),
                  until: str | None = None) -> CaseFile:
    """The case file of ``case_no`` as held on ``until``: its documents, party, cited evidence and
    the bureau's enforcement documents about the party. Refuses when the party is unknown or
    contradicts the case documents; the cited records the archive lacks are in ``missing``."""
    case_no = (case_no or "").strip()
    if not case_no:
        raise ValidationFailed([Problem("case_no", "需要案件编号 (a case number is required)")])
    docs = [r for r in archive.catalog.list_records(types=CASE_TYPES, current_only=True)
            if _data(r).get("case_no") == case_no and _on_or_before(r, until)]
    parties = {(_data(r).get("unit"), (_data(r).get("person") or {}).get("name")) for r in docs}
    if len(parties) > 1:
        raise ValidationFailed([Problem("case_no", f"案件 {case_no} 的告知书、决定书当事人不一致 (the case documents name different parties): "
                                        + "；".join(f"{r['title']}：{_data(r).get('unit')}" for r in docs))])
    if docs:
        unit, person_name = next(iter(parties))
        if party and party.strip().upper() != unit:
            raise ValidationFailed([Problem("party", f"案件 {case_no} 的当事人是 {_org_name(archive, unit)}（{unit}），不是 {party} "
                                            "(the party is the one of the case's 告知书/决定书)")])
        person = _data(docs[0]).get("person") or {}
        who = Party(unit, _org_name(archive, unit), person_name, person.get("title"))
    elif party:
        uscc = party.strip().upper()
        if archive.catalog.get_registry("organization", uscc) is None:
            raise NotFound(f"单位 {uscc} 未登记 (organization not registered)", hint="用 outsafe org list 查看已登记的单位")
        who = Party(uscc, _org_name(archive, uscc))
    else:
        raise ValidationFailed([Problem("party", f"案件 {case_no} 尚无已入档的行政处罚告知书或决定书：请用 --party 指定当事人 "
                                        "(no 告知书/决定书 of this case yet: name the party)")])
    projects = {_data(r).get("project") for r in docs} - {None}
    last = max([r["doc_date"][:10] for r in docs if r.get("doc_date")] or [until or "9999-12-31"])
    bound = min(last, until) if until else last
    enforcement = [
        r for r in archive.catalog.list_records(types=ENFORCEMENT_TYPES, current_only=True)
        if r["origin"] == archive.owner_uscc and _data(r).get("unit") == who.uscc
        and (not projects or _data(r).get("project") in projects) and _on_or_before(r, bound)
    ]
    citations = []
    for d in sorted(docs, key=lambda r: (FILE_ORDER[r["type"]], r["seq"])):
        for i, e in enumerate(_data(d).get("evidence") or ()):
            if not isinstance(e, dict):
                continue
            for ref in e.get("refs") or ():
                citations.append(Citation(d, i, ref, e.get("name", ""), e.get("proves"), numbered(archive, ref, until)))
    extra = []
    for rid in record_ids:
        row = archive.get_record_row(rid)
        if not _on_or_before(row, until):
            raise ValidationFailed([Problem("record", f"{row['title']} 形成于{cn_day(row['doc_date'])}，晚于 --until (after --until)")])
        extra.append(row)
    return CaseFile(case_no, who, docs, enforcement, citations, extra)


def refuse_missing(case: CaseFile) -> None:
    """The export refuses while any cited evidence is not in the archive."""
    missing = case.missing
    if missing:
        raise ValidationFailed(
            [Problem(f"evidence[{c.index}]", f"{c.where}：档案中没有编号为“{c.ref}”的记录", file=c.document["title"]) for c in missing],
            f"案件 {case.case_no} 的告知书、决定书所引证据有 {len(missing)} 项不在档案中，证据包不完整，未导出 "
            "(cited evidence missing: the package would be incomplete)")


# --- description of the items -------------------------------------------------------------------------------


def _name(row: dict, data: dict) -> str:
    if row["type"] == "organization":
        return f"单位登记信息（{data.get('name', '')}）"
    if row["type"] == "person":
        return f"人员登记信息（{data.get('name', '')}）"
    if row["type"] == "project":
        return f"外包项目登记（{data.get('name', '')}）"
    return row["title"]


def _clip(text: str, n: int) -> str:
    text = str(text).rstrip("。；;")
    return text if len(text) <= n else text[:n] + "…"


def _days(value: Any) -> str:
    return str(value or "")[:10]


def proves(row: dict, data: dict, today: date) -> str:
    """证明对象: what this record proves, derived from its type and content (when the case
    documents do not say it)."""
    t = row["type"]
    sub = row.get("subtype")
    asof = today.isoformat()
    if t == "organization":
        quals = data.get("qualifications") or []
        expired = [q for q in quals if _days(q.get("valid_to")) and _days(q.get("valid_to")) < asof]
        text = "承包单位的登记信息、资质与许可证情况"
        if expired:
            text += "；其中" + "、".join(f"{q.get('kind')}（{q.get('number')}）已于{cn_day(q.get('valid_to'))}到期" for q in expired)
        elif not quals:
            text += "；未登记任何资质或许可证"
        return text
    if t == "person":
        certs = data.get("certificates") or []
        expired = [c for c in certs if _days(c.get("expires")) and _days(c.get("expires")) < asof]
        text = f"{data.get('name', '')}的身份、岗位及持证情况"
        if expired:
            text += "；其中" + "、".join(f"{c.get('kind')}（{c.get('category')}）已于{cn_day(c.get('expires'))}过期" for c in expired)
        elif not certs and any(r in (data.get("roles") or []) for r in ("特种作业人员", "特种设备作业人员", "爆破作业人员")):
            text += "；未登记相应操作证书"
        return text
    if t == "project":
        return "外包项目的发包单位、承包单位、工期、作业内容与危险作业类别"
    if t == "outsourcing_contract":
        period = data.get("period") or {}
        text = f"发包单位与承包单位订立外包合同（{cn_day(period.get('start'))}至{cn_day(period.get('end'))}）及约定的承包范围"
        if not data.get("safety_duty_clause"):
            text += "；合同未约定各自的安全生产管理职责"
        return text
    if t == "safety_agreement":
        ed = data.get("enterprise_duties") or []
        cd = data.get("contractor_duties") or []
        term = data.get("term") or {}
        return (f"双方签订安全生产管理协议（{cn_day(term.get('start'))}至{cn_day(term.get('end'))}），约定发包单位{len(ed)}项、"
                f"承包单位{len(cd)}项安全生产管理职责" + (f"，如承包单位须“{_clip(cd[0], 24)}”" if cd else ""))
    if t == "training_record":
        trainee = (data.get("trainee") or {}).get("name", "")
        levels = data.get("levels") or []
        hours = sum(float(x.get("hours") or 0) for x in levels)
        return f"承包单位作业人员{trainee}接受三级安全教育的情况（{len(levels)}级，共{hours:g}学时）"
    if t == "work_ticket":
        kind = TICKET_TYPE_NAMES.get(sub, sub or "")
        return f"{kind}作业的许可审批、风险辨识、安全措施确认{'、气体检测' if data.get('gas_samples') else ''}及作业人员情况"
    if t == "rectification_order":
        items = data.get("items") or []
        return f"执法机关责令限期整改的{len(items)}项问题、整改期限及法律依据"
    if t == "rectification_review":
        items = data.get("items") or []
        undone = [i for i in items if i.get("result") != "已整改"]
        return f"整改复查情况：{len(items)}项问题中{len(items) - len(undone)}项已整改" + (f"、{len(undone)}项未完成整改" if undone else "")
    if t == "inspection_record":
        return f"现场检查的经过及发现的{len(data.get('findings') or [])}项问题"
    if t == "penalty_notice":
        return "告知当事人拟作出行政处罚的事实、理由、依据及陈述、申辩和要求听证的权利"
    if t == "penalty_decision":
        return "行政处罚决定的事实、证据、依据、处罚内容、履行方式和期限及救济途径"
    if t == "contractor_inspection":
        return f"发包单位对承包单位的安全检查情况（检查日期{cn_day(data.get('inspected_on'))}，结论：{data.get('result', '')}）"
    if t == "hazard":
        return f"{data.get('grade', '')}事故隐患“{mask_text(str(data.get('description', '')))[:40]}”及其整改情况"
    if t == "accident":
        return "生产安全事故的发生经过、原因、伤亡及损失情况"
    if t == "quarterly_assessment":
        return f"承包单位{data.get('year', '')}年第{data.get('quarter', '')}季度安全生产考核结果：{data.get('result', '')}"
    if t == "equipment":
        return "设备（特种设备）的登记与检验情况"
    return "记录所载事实"


def received_on(archive, record_id: str) -> str | None:
    """The day the bureau witnessed (imported) the checkpoint that proves an imported record."""
    book = archive.catalog.packages
    p = book.imported_proof(record_id)
    w = book.get_witnessed(p["origin"], p["tree_size"]) if p else None
    return w["witnessed_at"][:10] if w else None


def source_of(archive, row: dict) -> str:
    """来源: 本局制作 for the archive's own records, 某单位报送（YYYY年M月D日接收） for imported ones."""
    if row["origin"] == archive.owner_uscc:
        return "本局制作" if archive.catalog.get_meta("owner_role") == "bureau" else "本单位制作"
    day = received_on(archive, row["id"])
    return f"{_org_name(archive, row['origin'])}报送" + (f"（{cn_day(day)}接收）" if day else "")


def _pdf_of(archive, row: dict) -> bytes | None:
    pdfs = [f for f in archive.catalog.record_files(row["id"]) if f["role"] == "pdf"]
    return archive.blobs.read_bytes(pdfs[0]["sha256"]) if pdfs else None


def describe(archive, case: CaseFile, today: date, officers: Sequence[dict]) -> list[EvidenceItem]:
    cited: dict[str, list[Citation]] = {}
    for c in case.citations:
        if c.row is not None:
            cited.setdefault(c.row["id"], []).append(c)
    who = "、".join(o["name"] for o in officers)
    items = []
    for n, row in enumerate(case.rows(), 1):
        data = _data(row)
        own = row["origin"] == archive.owner_uscc
        told = list(dict.fromkeys(c.proves for c in cited.get(row["id"], []) if c.proves))
        inspectors = "、".join(i.get("name", "") for i in data.get("inspectors") or [] if isinstance(i, dict))
        items.append(EvidenceItem(
            no=n, row=row, name=mask_text(_name(row, data)), source=source_of(archive, row),
            formed=cn_day(row["doc_date"] or row["created_at"]),
            proves=mask_text("；".join(told) if told else proves(row, data, today)),
            category=CATEGORY.get(row["type"], "证据") if own else "证据",
            collectors=(inspectors if own and inspectors else who),
            cited_by=list(dict.fromkeys(f"{c.document['title']}第{c.index + 1}项" for c in cited.get(row["id"], []))),
            pdf=_pdf_of(archive, row),
        ))
    return items


def case_officers(archive, case: CaseFile, names: Sequence[str] = ()) -> list[dict]:
    """The officers who compile the package: those named (registered 执法人员 of the owner), else
    the inspectors of the latest 现场检查记录 in the case file, else every registered officer."""
    people = []
    for reg in archive.catalog.list_registry("person"):
        data = _data(archive.catalog.get_record(reg["record_id"]))
        if data.get("employer") == archive.owner_uscc and "执法人员" in (data.get("roles") or []):
            cert = next((c for c in data.get("certificates") or [] if c.get("kind") == "执法证"), {})
            people.append({"name": data.get("name", ""), "cert_no": cert.get("number", "")})
    if names:
        found = {p["name"]: p for p in people}
        missing = [n for n in names if n not in found]
        if missing:
            raise NotFound(f"执法人员未登记：{'、'.join(missing)} (officer not registered)", hint="outsafe person list")
        return [found[n] for n in names]
    checks = sorted((r for r in case.enforcement if r["type"] == "inspection_record"), key=lambda r: (r["doc_date"] or "", r["seq"]))
    if checks:
        return [{"name": i.get("name", ""), "cert_no": i.get("cert_no", "")} for i in _data(checks[-1]).get("inspectors") or []]
    return sorted(people, key=lambda p: p["name"])


# --- documents (python-docx → LibreOffice) ---------------------------------------------------------------------------


def _docx(landscape: bool = False):
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    sec.left_margin = sec.right_margin = Mm(15)
    sec.top_margin, sec.bottom_margin = Mm(20), Mm(20)
    sec.footer_distance = Mm(10)
    normal = doc.styles["Normal"]
    _font_element(normal.element.get_or_add_rPr(), "仿宋")
    normal.font.size = _pt(12)
    return doc


def _pt(n: float):
    return Pt(n)


def _font_element(rpr, name: str) -> None:
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _run(par, text: str, font: str = "仿宋", size: float = 12, bold: bool = False):
    """A run in ``font``; 小标宋 titles bold, so that its free stand-in prints in its heavy weight
    (doc_templates/FONTS.md)."""
    run = par.add_run(text)
    _font_element(run._element.get_or_add_rPr(), font)
    run.font.size = _pt(size)
    run.bold = bold or font == "方正小标宋简体"
    return run


def _para(doc, text: str = "", font: str = "仿宋", size: float = 12, bold: bool = False, center: bool = False, after: float = 4,
          keep_next: bool = False, right: bool = False):
    par = doc.add_paragraph()
    if center:
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    par.paragraph_format.space_after = _pt(after)
    par.paragraph_format.keep_with_next = keep_next
    if text:
        _run(par, text, font, size, bold)
    return par


def _field(par, instr: str, font: str, size: float) -> None:
    """A simple field (PAGE, NUMPAGES) whose result run carries the fonts like every other run."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" {instr} ")
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    r.append(rpr)
    _font_element(rpr, font)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size * 2)))
    rpr.append(sz)
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    par._p.append(fld)


def page_footer(doc, font: str = "宋体", size: float = 10.5) -> None:
    """"第 X 页 共 Y 页" centred in the footer of every page."""
    footer = doc.sections[0].footer
    footer.is_linked_to_previous = False
    par = footer.paragraphs[0]
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(par, "第 ", font, size)
    _field(par, "PAGE", font, size)
    _run(par, " 页 共 ", font, size)
    _field(par, "NUMPAGES", font, size)
    _run(par, " 页", font, size)


def _table(doc, headers: Sequence[str] | None, rows: Sequence[Sequence[str]], widths_mm: Sequence[float], size: float = 10.5,
           fonts: Sequence[str] | None = None, spans: Sequence[int] = (), borders_on: bool = True, keep: str = ""):
    """A bordered table: fixed column widths, a header row repeated on every page, rows that never
    split across pages. ``spans``: indexes of rows whose single text runs across all columns; a
    "\n" in a cell breaks the line there. Without ``headers`` (and ``borders_on=False``): a plain grid
    for signature lines. ``keep``: "last" keeps the last row on the page of what follows the table,
    "all" keeps every row with the next (a signature grid is never split)."""
    head = 1 if headers else 0
    table = doc.add_table(rows=head + len(rows), cols=len(widths_mm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "6")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    table._tbl.tblPr.append(borders)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for c, w in enumerate(widths_mm):
        table.columns[c].width = Mm(w)
    for r, tr in enumerate(table.rows):
        trpr = tr._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if r == 0 and head:
            rep = OxmlElement("w:tblHeader")
            rep.set(qn("w:val"), "true")
            trpr.append(rep)
    body = ([list(headers)] if headers else []) + [list(x) for x in rows]
    for r, values in enumerate(body):
        cells = table.rows[r].cells
        if r - head in spans:
            merged = cells[0].merge(cells[-1])
            merged.paragraphs[0].text = ""
            _run(merged.paragraphs[0], str(values[0]), "黑体", size)
            continue
        for c, value in enumerate(values):
            cell = cells[c]
            cell.width = Mm(widths_mm[c])
            face = "黑体" if r < head else (fonts[c] if fonts else "宋体")
            run = None
            for line in str(value).split("\n"):
                if run is not None:
                    run.add_break()
                run = _run(cell.paragraphs[0], line, face, size)
    if not borders_on:
        table._tbl.tblPr.remove(borders)
    keeping = table.rows[-1:] if keep == "last" else table.rows[:-1] if keep == "all" else []
    for tr in keeping:
        for cell in tr.cells:
            for par in cell.paragraphs:
                par.paragraph_format.keep_with_next = True
    return table


def _signatures(doc, officers: Sequence[dict], *, label: str, party_line: str | None = None, size: float = 12,
                width_mm: float = 267, lead: Sequence[tuple[str, str, float]] = ()) -> None:
    """Signature lines in a borderless grid (a row never splits): one per officer — name, 执法证号,
    a line to sign, the date — and the party's; ``lead``: (text, font, size) lines across the grid
    above them (the closing lines of a list), so that they and the signatures are one table,
    kept together and with the last rows of a table right above (LibreOffice keeps a table's rows
    with the next table, not with a paragraph)."""
    if not lead:
        _para(doc, "", after=2, keep_next=True)
    crew = officers or [{"name": "", "cert_no": ""}, {"name": "", "cert_no": ""}]
    rows = []
    for i, o in enumerate(crew):
        who = f"{o['name']}（执法证号：{o['cert_no']}）" if o.get("name") else "＿＿＿＿（执法证号：＿＿＿＿＿＿）"
        rows.append([label if i == 0 else "", who, "签名：＿＿＿＿＿＿＿＿", "　　年　　月　　日"])
    if party_line:
        rows.append([party_line, "", "签名（盖章）：＿＿＿＿＿＿", "　　年　　月　　日"])
    first = max(len(label), len(party_line or "")) * size * 0.3528 * 1.05 + 4
    rest = width_mm - first
    head = [[text, "", "", ""] for text, _, _ in lead] + ([["", "", "", ""]] if lead else [])
    table = _table(doc, None, head + rows, [first, rest * 0.42, rest * 0.33, rest * 0.25], size=size, fonts=["仿宋"] * 4,
                   borders_on=False, keep="all", spans=range(len(head)))
    for tr, (text, font, fsize) in zip(table.rows, lead):
        par = tr.cells[0].paragraphs[0]
        for run in list(par.runs):
            run._element.getparent().remove(run._element)
        _run(par, text, font, fsize)
        par.paragraph_format.keep_with_next = True
    # right under another table, this one continues it (the converter joins them): no cell lines
    # but the rule closing the table above
    for r, tr in enumerate(table.rows):
        for cell in tr.cells:
            tcpr = cell._tc.get_or_add_tcPr()
            borders = OxmlElement("w:tcBorders")
            for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
                el = OxmlElement(f"w:{edge}")
                el.set(qn("w:val"), "single" if edge == "top" and r == 0 and lead else "nil")
                if el.get(qn("w:val")) == "single":
                    el.set(qn("w:sz"), "6")
                    el.set(qn("w:space"), "0")
                    el.set(qn("w:color"), "000000")
                borders.append(el)
            tcpr.append(borders)


def _save(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


LIST_COLUMNS = ["序号", "证据名称", "来源", "形成时间", "收集人", "页码", "证明对象"]
LIST_WIDTHS = [13, 58, 46, 38, 28, 24, 60]  # mm, A4 landscape (267 mm between the margins): a 文书号 and a Chinese date fit one line


def _name_lines(item: EvidenceItem) -> str:
    """The name on one line and the document number on the next, so that the number never breaks."""
    number = item.row.get("doc_no") or ""
    if not number or item.name == number or item.row["type"] in ("organization", "person"):
        return item.name
    if item.name.endswith(number):
        return item.name[: -len(number)].rstrip() + "\n" + number
    return item.name + "\n" + number if number not in item.name else item.name


def _source_lines(text: str) -> str:
    """"某单位报送（2026年12月1日接收）": the day of receipt on its own line."""
    return text.replace("报送（", "报送\n（", 1)


def list_docx(items: Sequence[EvidenceItem], *, case_no: str, party: str, maker: str, day: str, digest: str,
              officers: Sequence[dict] = ()) -> bytes:
    doc = _docx(landscape=True)
    page_footer(doc)
    _para(doc, "证 据 清 单", "方正小标宋简体", 22, center=True, after=12)
    _para(doc, f"案件编号：{case_no}", size=12)
    _para(doc, f"当事人：{party}", size=12)
    _para(doc, f"制作单位：{maker}　　　　制作日期：{day}", size=12, after=8)
    _table(doc, LIST_COLUMNS,
           [[str(i.no), _name_lines(i), _source_lines(i.source), i.formed, i.collectors, i.page_range, i.proves] for i in items],
           LIST_WIDTHS, size=10, keep="last")
    _signatures(doc, officers, label="收集人（执法人员）：", lead=[
        (f"共 {len(items)} 项，{sum(i.pages for i in items)} 页，按案卷顺序排列（执法文书在前，证据在后），见《证据材料汇编》。", "仿宋", 11),
        ("以上证据的电子原件、电子封签和默克尔包含证明随本证据包移交，各文件的 SHA-256 值见《电子数据提取笔录》。", "仿宋", 11),
        (f"证据包摘要（SHA-256）：{digest}", "仿宋", 11),
    ])
    return _save(doc)


def cover_docx(items: Sequence[EvidenceItem], *, case_no: str, party: str, maker: str, day: str, digest: str) -> bytes:
    doc = _docx()
    _para(doc, "", after=30)
    _para(doc, "证据材料汇编", "方正小标宋简体", 26, center=True, after=24)
    _para(doc, f"案件编号：{case_no}", size=14, center=True, after=6)
    for k, line in enumerate(party.replace("（统一社会信用代码 ", "\n（统一社会信用代码 ").split("\n")):
        _para(doc, ("当事人：" if k == 0 else "") + line, size=14 if k == 0 else 12, center=True, after=6)
    _para(doc, f"制作单位：{maker}", size=14, center=True, after=6)
    _para(doc, f"制作日期：{day}", size=14, center=True, after=18)
    _para(doc, "卷内目录", "黑体", 14, after=6, keep_next=True)
    _table(doc, ["序号", "名称", "类别", "形成时间", "页码"],
           [[str(i.no), _name_lines(i), i.category, i.formed, i.page_range] for i in items], [12, 82, 22, 39, 25], size=10.5)
    _para(doc, "", after=6)
    _para(doc, f"共 {len(items)} 项，{sum(i.pages for i in items)} 页（页码自第1项第1页起连续编排，封面不计）。", size=12)
    _para(doc, "证据包摘要（SHA-256）：", "黑体", 12, after=2, keep_next=True)
    _para(doc, digest, "宋体", 9.5, after=8)
    _para(doc, "核验：证据包摘要、电子签名、电子封签和默克尔包含证明的核验方法见证据包内的《核验说明》。", size=10.5)
    return _save(doc)


def extraction_docx(items: Sequence[EvidenceItem], files: dict[str, list[tuple[str, int, str]]], *, case_no: str, party: Party,
                    maker: str, day: str, digest: str, documents: dict[str, str], officers: Sequence[dict],
                    holders: Sequence[str]) -> bytes:
    """电子数据提取笔录: how the data were extracted, every file with its SHA-256, the package digest;
    signed by the officers and the party."""
    doc = _docx(landscape=True)
    page_footer(doc)
    _para(doc, "电子数据提取笔录", "方正小标宋简体", 22, center=True, after=12)
    _para(doc, f"案件编号：{case_no}", size=12)
    _para(doc, f"当事人：{party.text}", size=12)
    _para(doc, f"提取时间：{day}　　　　提取地点：{maker}", size=12)
    _para(doc, "提取人（执法人员）：" + ("、".join(f"{o['name']}（执法证号：{o['cert_no']}）" for o in officers) or "＿＿＿＿"), size=12)
    _para(doc, "电子数据来源：" + "；".join(holders), size=12)
    _para(doc, "提取方法：从本机关电子档案中导出下列已封签的电子记录，逐一核验其电子签名、默克尔包含证明和文件 SHA-256 值无误后，"
               "封装为经本机关电子签名的证据包（RFC 8493 规定的封装格式）；提取过程未对原始数据作任何修改。各文件的 SHA-256 值如下：", size=12, after=6)
    rows, spans = [], []
    for item in items:
        spans.append(len(rows))
        rows.append([f"证据{item.no}　{item.name}（{item.as_dict()['path']}/）", "", "", ""])
        for name, size_, sha in files.get(item.row["id"], []):
            rows.append([str(item.no), mask_text(_file_label(name)), f"{size_:,}", sha])
    _table(doc, ["证据", "文件", "字节", "SHA-256"], rows, [14, 102, 21, 130], size=8.5, fonts=["宋体", "宋体", "宋体", "Liberation Mono"],
           spans=spans, keep="last")
    lead = [("记录包（data/package/）标签清单 tagmanifest-sha256.txt 的 SHA-256（证据包摘要）：", "仿宋", 11),
            (digest, "Liberation Mono", 9)]
    for name, sha in documents.items():
        lead += [(f"{name} 的 SHA-256：", "仿宋", 11), (sha, "Liberation Mono", 9)]
    lead += [("核对方法：在证据包根目录执行 sha256sum -c data/package/manifest-sha256.txt 及 sha256sum data/package/tagmanifest-sha256.txt。",
              "仿宋", 11),
             ("以上电子数据经当场核对，SHA-256 值与证据包一致。", "仿宋", 12)]
    _signatures(doc, officers, label="提取人：", party_line="当事人（或其委托代理人）", lead=lead)
    return _save(doc)


FILE_ROLES = {"source": "原始数据文件", "docx": "文书（DOCX）", "pdf": "版式文件（PDF）", "photo": "照片", "attachment": "附件",
              "signature": "签名图像", "seal": "印章图像"}
PACKAGE_FILES = {"record.json": "记录数据", "seal.json": "电子封签", "seal.sig": "封签签名", "proof.json": "默克尔包含证明"}


def _file_label(name: str) -> str:
    """A file of the records package with what it is: "seal.json（电子封签）"."""
    base = name.rsplit("/", 1)[-1]
    if base in PACKAGE_FILES:
        return f"{name}（{PACKAGE_FILES[base]}）"
    role = base.split("-", 1)[0]
    return f"{name}（{FILE_ROLES[role]}）" if name.startswith("files/") and role in FILE_ROLES else name


def placeholder_docx(item: EvidenceItem, files: Sequence[dict]) -> bytes:
    doc = _docx()
    _para(doc, f"证据{item.no}　{item.name}", "黑体", 16, center=True, after=18)
    _para(doc, "本证据为电子数据，档案中没有其版式文件（PDF）。电子原件及其封签在证据包中：", size=12)
    _para(doc, item.as_dict()["path"], "宋体", 10, after=10)
    _table(doc, ["用途", "文件名", "字节", "SHA-256"],
           [[FILE_ROLES.get(f["role"], f["role"]), mask_text(f["name"]), f"{f['size']:,}", f["sha256"]] for f in files],
           [22, 44, 16, 98], size=8, fonts=["宋体", "宋体", "宋体", "Liberation Mono"])
    _para(doc, "", after=6)
    _para(doc, f"来源：{item.source}　　形成时间：{item.formed}", size=12)
    _para(doc, f"证明对象：{item.proves}", size=12)
    return _save(doc)


def glyph_docx(chars: str = STAMP_CHARS) -> bytes:
    """One line holding every character a stamp uses, in the stamp font."""
    doc = _docx()
    _para(doc, chars, STAMP_FONT, STAMP_SIZE)
    return _save(doc)


# --- stamping and compiling (pypdf) ------------------------------------------------------------------------------------


class Stamper:
    """Adds "证据N 第i页 / 共M页" to pages of a :class:`pypdf.PdfWriter`, in a font embedded from
    ``glyph_pdf`` (a LibreOffice PDF holding the characters)."""

    def __init__(self, writer, glyph_pdf: bytes, chars: str = STAMP_CHARS) -> None:
        self.writer = writer
        reader = PdfReader(io.BytesIO(glyph_pdf))
        found = None
        for page in reader.pages:
            fonts = page.get("/Resources", {}).get("/Font", {})
            for _name, ref in fonts.items():
                font = ref.get_object()
                if font.get("/Subtype") not in ("/Type1", "/TrueType") or "/ToUnicode" not in font:
                    continue
                codes = _to_unicode(font["/ToUnicode"].get_object().get_data())
                if all(c in codes for c in chars):
                    found = (font, codes)
                    break
            if found:
                break
        if found is None:
            raise ConversionError("盖章用字体未能嵌入（LibreOffice 的输出中没有包含全部所需字符的字体） (stamp font not found in the converted PDF)")
        font, self.codes = found
        first = int(font.get("/FirstChar", 0))
        self.widths = {first + i: float(w) for i, w in enumerate(font.get("/Widths", []))}
        self.font_ref = font.clone(writer).indirect_reference
        q = DecodedStreamObject()
        q.set_data(b"q\n")
        self.q_ref = writer._add_object(q)  # pypdf has no public call for a new indirect object

    def width(self, text: str, size: float) -> float:
        return sum(self.widths.get(self.codes[c], 500.0) for c in text) * size / 1000.0

    def stamp(self, page, text: str, size: float = STAMP_SIZE) -> None:
        box = page.cropbox if "/CropBox" in page else page.mediabox
        x0, y0, x1, y1 = float(box.left), float(box.bottom), float(box.right), float(box.top)
        w, h = x1 - x0, y1 - y0
        rot = int(page.get("/Rotate", 0) or 0) % 360
        vw, vh = (h, w) if rot in (90, 270) else (w, h)
        tw = self.width(text, size)
        pad = 3.0
        tx, ty = vw - 22.0 - tw, vh - 20.0 - size  # visual coordinates: top right corner
        # visual → user space for /Rotate (the page is shown turned clockwise by rot degrees)
        a, b, c, d, e, f = {
            0: (1, 0, 0, 1, x0, y0),
            90: (0, 1, -1, 0, x0 + w, y0),
            180: (-1, 0, 0, -1, x0 + w, y0 + h),
            270: (0, -1, 1, 0, x0, y0 + h),
        }.get(rot, (1, 0, 0, 1, x0, y0))
        hexcodes = "".join(f"{self.codes[ch]:02X}" for ch in text)
        ops = (
            f"q {a} {b} {c} {d} {e:.2f} {f:.2f} cm\n"
            f"0.65 0 0 RG 0.6 w {tx - pad:.2f} {ty - pad:.2f} {tw + 2 * pad:.2f} {size + 2 * pad:.2f} re S\n"
            f"BT {STAMP_RESOURCE} {size:g} Tf 0.65 0 0 rg {tx:.2f} {ty + size * 0.15:.2f} Td <{hexcodes}> Tj ET\nQ\n"
        ).encode("ascii")
        stream = DecodedStreamObject()
        stream.set_data(b"Q\n" + ops)
        stamp_ref = self.writer._add_object(stream)
        contents = page.get("/Contents")
        parts = list(contents) if isinstance(contents, ArrayObject) else ([page.raw_get("/Contents")] if contents is not None else [])
        page[NameObject("/Contents")] = ArrayObject([self.q_ref, *parts, stamp_ref])
        res = page.get("/Resources")
        res = DictionaryObject(res.get_object()) if res is not None else DictionaryObject()
        fonts = res.get("/Font")
        fonts = DictionaryObject(fonts.get_object()) if fonts is not None else DictionaryObject()
        fonts[NameObject(STAMP_RESOURCE)] = self.font_ref
        res[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = res


def _to_unicode(cmap: bytes) -> dict[str, int]:
    """char → code from a simple font's ToUnicode CMap (bfchar and bfrange entries)."""
    text = cmap.decode("latin-1")
    out: dict[str, int] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for code, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out.setdefault(bytes.fromhex(uni).decode("utf-16-be", "ignore"), int(code, 16))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(uni, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out.setdefault(chr(start + i), code)
    return out


def stamp_text(no: int, page: int, total: int) -> str:
    return f"证据{no} 第{page}页 / 共{total}页"


def compile_pdf(items: Sequence[EvidenceItem], cover_pdf: bytes, glyph_pdf: bytes, *, title: str) -> bytes:
    """证据材料汇编: cover (stamped 封面), then every item's pages stamped with its evidence
    number and the running page number, one bookmark per item."""
    writer = PdfWriter()
    stamper = Stamper(writer, glyph_pdf)
    total = sum(i.pages for i in items)
    try:
        cover = PdfReader(io.BytesIO(cover_pdf))
        k = len(cover.pages)
        for i, page in enumerate(cover.pages, 1):
            stamper.stamp(writer.add_page(page), f"封面 第{i}页 / 共{k}页")
        for item in items:
            reader = PdfReader(io.BytesIO(item.pdf or b""))
            start = len(writer.pages)
            for j, page in enumerate(reader.pages):
                stamper.stamp(writer.add_page(page), stamp_text(item.no, item.first_page + j, total))
            writer.add_outline_item(title=f"证据{item.no}　{item.name}", page_number=start)
    except (PyPdfError, ValueError, KeyError, TypeError) as e:
        raise ConversionError(f"证据材料汇编无法生成 (cannot compile the PDF: {type(e).__name__}: {e})") from e
    writer.add_metadata({"/Title": title, "/Producer": f"outsafe {outsafe_version()} (pypdf)", "/Creator": "outsafe evidence export"})
    writer.page_mode = "/UseOutlines"
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _page_count(pdf: bytes) -> int:
    try:
        return len(PdfReader(io.BytesIO(pdf)).pages)
    except (PyPdfError, ValueError) as e:
        raise ConversionError(f"PDF 无法读取 (unreadable PDF: {e})") from e


# --- the export ------------------------------------------------------------------------------------------------------


def export_evidence(
    archive,
    out: Path,
    *,
    case_no: str,
    party: str | None = None,
    record_ids: Sequence[str] = (),
    officers: Sequence[str] = (),
    until: date | str | None = None,
    as_zip: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    notify: Callable[[str], None] | None = None,
    converter_factory: Callable[[], Any] | None = None,
) -> ExportResult:
    """``outsafe evidence export``: the evidence package of case ``case_no`` (see the module
    docstring). ``until``: the case file as the archive held it on that day."""
    t0 = time.monotonic()
    today = today or archive.clock.today()
    until_s = until.isoformat() if isinstance(until, date) else until
    case_no = (case_no or "").strip()
    with archive.writing("evidence export", notify):
        case = assemble_case(archive, case_no, party=party, record_ids=record_ids, until=until_s)
        refuse_missing(case)
        item_rows = case.rows()
        if not item_rows:
            raise NotFound(f"案件 {case_no} 没有可列入证据包的记录 (nothing to put in the package)",
                           hint="先将告知书/决定书或现场检查记录入档，或用 --record 指定记录")
        crew = case_officers(archive, case, officers)
        signer = archive.signer()
        archive.checkpoint(signer)
        rows = closure(archive, item_rows)
        with staged_output(archive.home.tmp_dir, out, as_zip) as (out, stage):
            party_text = case.party.text
            maker = archive.owner_name
            day = cn_day(today)
            outer = bagfmt.BagWriter(stage)
            try:
                inner = stage / "data" / "package"
                desc = (f"{maker}（{archive.owner_uscc}）案件 {case_no} 所据记录包：当事人 {party_text}，共 {len(rows)} 条已封签记录 "
                        "(outsafe records package of an evidence package)")
                inner_digest, builder = build_records_bag(
                    archive, signer, rows, inner, kind=KIND_RECORDS, description=desc,
                    extra_info={"Outsafe-Case-No": case_no, "Outsafe-Party": case.party.uscc},
                    until=until_s, today=today, progress=progress,
                )
                outer.include("package", builder.w.all_files())
                items = describe(archive, case, date.fromisoformat(until_s) if until_s else today, crew)
                files = _item_files(inner, items)
                documents = _convert_documents(archive, items, files, case=case, maker=maker, day=day, digest=inner_digest,
                                               officers=crew, converter_factory=converter_factory, progress=progress)
                compiled = compile_pdf(items, documents["cover_pdf"], documents["glyph_pdf"], title=f"证据材料汇编 {case_no}")
                outer.write(f"evidence/{LIST_DOCX}", documents["list_docx"])
                outer.write(f"evidence/{LIST_PDF}", documents["list_pdf"])
                outer.write(f"evidence/{COMPILATION}", compiled)
                extraction = _convert_extraction(archive, items, files, case=case, maker=maker, day=day, digest=inner_digest,
                                                 officers=crew, list_pdf=documents["list_pdf"], compiled=compiled,
                                                 converter_factory=converter_factory, progress=progress)
                outer.write(f"evidence/{EXTRACTION_DOCX}", extraction["docx"])
                outer.write(f"evidence/{EXTRACTION_PDF}", extraction["pdf"])
                outer.write(f"keys/{archive.owner_uscc}.pub.pem", keys.public_pem(archive.public_key()).encode("ascii"))
                outer.finish_payload()
                index = {
                    "format": "outsafe-package/1",
                    "kind": KIND_EVIDENCE,
                    "case_no": case_no,
                    "party": case.party.as_dict(),
                    "organization": {"uscc": archive.owner_uscc, "name": maker},
                    "officers": crew,
                    "created": today.isoformat(),
                    "period": {"since": None, "until": until_s},
                    "records_package": {"path": "data/package", "tagmanifest_sha256": inner_digest, "records": len(builder.index_records)},
                    "documents": {"list_docx": f"data/evidence/{LIST_DOCX}", "list_pdf": f"data/evidence/{LIST_PDF}",
                                  "extraction_docx": f"data/evidence/{EXTRACTION_DOCX}", "extraction_pdf": f"data/evidence/{EXTRACTION_PDF}",
                                  "compilation": f"data/evidence/{COMPILATION}", "pages": sum(i.pages for i in items)},
                    "citations": [{"document": c.document["title"], "item": c.index + 1, "ref": c.ref, "record_id": c.row["id"]}
                                  for c in case.citations if c.row is not None],
                    "items": [i.as_dict() for i in items],
                }
                info = {
                    "Source-Organization": maker,
                    "统一社会信用代码": archive.owner_uscc,
                    "Bagging-Date": today.isoformat(),
                    "External-Description": f"{maker} 案件 {case_no} 证据包：当事人 {party_text}，{len(items)} 项 (outsafe evidence package)",
                    "Internal-Sender-Identifier": f"{case_no}",
                    "Internal-Sender-Description": "outsafe 证据包 (evidence)",
                    "Bag-Software-Agent": f"outsafe {outsafe_version()}",
                    "Bag-Count": "1 of 1",
                    "Outsafe-Package-Format": "outsafe-package/1",
                    "Outsafe-Package-Kind": KIND_EVIDENCE,
                    "Outsafe-Signer": archive.owner_uscc,
                    "Outsafe-Signer-Fingerprint": signer.fingerprint,
                    "Outsafe-Case-No": case_no,
                    "Outsafe-Party": case.party.uscc,
                    "Outsafe-Inner-Tagmanifest-Sha256": inner_digest,
                    "Outsafe-Record-Count": str(len(builder.index_records)),
                    "Outsafe-Evidence-Items": str(len(items)),
                }
                guide = guide_text(kind=KIND_EVIDENCE, org=maker, uscc=archive.owner_uscc, fingerprint=signer.fingerprint,
                                   records=len(builder.index_records), period=f"…/{until_s or '…'}", checkpoints=[],
                                   day=today.isoformat(), origins=[], evidence={"case_no": case_no, "inner_digest": inner_digest})
                outer.tag_file(INDEX_NAME, json_bytes(index))
                outer.tag_file(GUIDE_NAME, guide.encode("utf-8"))
                digest = outer.finish(info, signer)
            finally:
                outer.close()
            final = finish_output(stage, out, as_zip)
        result = ExportResult(
            path=final, kind=KIND_EVIDENCE, digest=digest, records=len(builder.index_records), files=builder.files,
            bytes=builder.bytes, signer=archive.owner_uscc, fingerprint=signer.fingerprint,
            checkpoint={"tree_size": builder.tree_size, "root": bytes(builder.checkpoint["root"]).hex()},
            since=None, until=until_s,
            extra={"case_no": case_no, "party": case.party.as_dict(), "items": len(items), "pages": sum(i.pages for i in items),
                   "compilation_bytes": len(compiled), "inner_tagmanifest_sha256": inner_digest},
        )
        log_export(archive, signer, result, {"case_no": case_no, "party": case.party.uscc, "until": until_s,
                                             "inner_tagmanifest_sha256": inner_digest, "items": [i.row["id"] for i in items]})
    result.seconds = time.monotonic() - t0
    return result


def _item_files(inner: Path, items: Sequence[EvidenceItem]) -> dict[str, list[tuple[str, int, str]]]:
    """(file name, size, SHA-256) of every file of each item's record in the records package, from
    its manifest."""
    manifest = (inner / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines()
    out: dict[str, list[tuple[str, int, str]]] = {}
    for item in items:
        prefix = f"data/records/{item.row['origin']}/{item.row['id']}/"
        for line in manifest:
            sha, _, path = line.partition("  ")
            if path.startswith(prefix):
                name = path[len(prefix):]
                out.setdefault(item.row["id"], []).append((name, (inner / path).stat().st_size, sha))
    return out


def _convert_documents(archive, items: list[EvidenceItem], files, *, case: CaseFile, maker: str, day: str, digest: str,
                       officers: Sequence[dict], converter_factory, progress: Progress | None) -> dict[str, bytes]:
    first = [("glyphs", glyph_docx())]
    for item in items:
        if item.pdf is None:
            item.placeholder = True
            first.append((f"placeholder-{item.no}", placeholder_docx(item, archive.catalog.record_files(item.row["id"]))))
    # a few documents: one LibreOffice worker starts fastest; many placeholders: the whole pool
    factory = converter_factory or (lambda: Converter(archive.settings, workers=1 if len(first) <= 4 else None, tmp_dir=archive.home.tmp_dir))
    with factory() as conv:
        results = {r.name: r.unwrap() for r in conv.convert_many(first, progress=progress)}
        page = 1
        for item in items:
            if item.placeholder:
                item.pdf = results[f"placeholder-{item.no}"]
            item.pages = _page_count(item.pdf)
            if item.pages == 0:
                raise ConversionError(f"证据{item.no} 的 PDF 没有页面 (the PDF of evidence {item.no} has no pages)")
            item.first_page = page
            page += item.pages
        party = case.party.text
        second = [
            ("list", list_docx(items, case_no=case.case_no, party=party, maker=maker, day=day, digest=digest, officers=officers)),
            ("cover", cover_docx(items, case_no=case.case_no, party=party, maker=maker, day=day, digest=digest)),
        ]
        expect = {"cover": [case.case_no], "list": [case.case_no]}
        fitted = convert_fitted(conv.convert_many, second, progress=progress, expect_text=expect)  # (no signature alone on a page)
        more = {name: (docx, res.unwrap()) for (name, _), (docx, res) in zip(second, fitted)}
    return {"glyph_pdf": results["glyphs"], "list_docx": more["list"][0], "list_pdf": more["list"][1], "cover_pdf": more["cover"][1]}


def _convert_extraction(archive, items, files, *, case: CaseFile, maker: str, day: str, digest: str, officers: Sequence[dict],
                        list_pdf: bytes, compiled: bytes, converter_factory, progress: Progress | None) -> dict[str, bytes]:
    holders = []
    for origin in dict.fromkeys(i.row["origin"] for i in items):
        if origin == archive.owner_uscc:
            holders.append(f"{maker}电子档案（本机关制作的执法文书）")
        else:
            holders.append(f"{_org_name(archive, origin)}报送的电子档案")
    documents = {f"data/evidence/{LIST_PDF}": hashlib.sha256(list_pdf).hexdigest(),
                 f"data/evidence/{COMPILATION}": hashlib.sha256(compiled).hexdigest()}
    docx = extraction_docx(items, files, case_no=case.case_no, party=case.party, maker=maker, day=day, digest=digest,
                           documents=documents, officers=officers, holders=holders)
    factory = converter_factory or (lambda: Converter(archive.settings, workers=1, tmp_dir=archive.home.tmp_dir))
    with factory() as conv:
        ((docx, res),) = convert_fitted(conv.convert_many, [("extraction", docx)], progress=progress,
                                        expect_text={"extraction": [case.case_no]})
    return {"docx": docx, "pdf": res.unwrap()}
