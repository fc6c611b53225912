"""Evidence packages for penalty cases (证据包, issue 6 item 4): ``outsafe evidence export``.

    result = export_evidence(archive, Path("证据包-2026-012"), contractor="91370112…",
                             case_no="高新应急罚〔2026〕12号")

The bureau selects a contractor's records across every origin in its archive (its own enforcement
documents, and what enterprises submitted), and gets one BagIt bag, signed by the bureau::

    <bag>/                                  bagit.txt, bag-info.txt (Outsafe-Case-No …), manifests,
                                            tagmanifest-sha256.txt.sig, 核验说明.txt, index.json
      data/package/                         a complete records package (archive.packages format):
                                            every record with its seal, each origin's key and
                                            checkpoint with the proofs, the bureau's cosignatures
      data/evidence/证据清单.docx / .pdf     序号 · 证据名称 · 来源 · 形成时间 · 页数/页码范围 · 证明对象
      data/evidence/证据材料汇编.pdf         cover (case number, evidence list, the records
                                            package's tag-manifest digest), then every record's
                                            PDF: one bookmark per evidence item, every page
                                            stamped "证据N 第i页 / 共M页"

Why a package inside a package: the cover of 证据材料汇编 carries "the package's tag-manifest
digest", and the compilation itself is in the bag — a file cannot contain the digest of a manifest
that lists it. The records sit in their own bag (``data/package/``), whose tag-manifest digest the
cover prints; the outer bag then covers the compilation and the list. A court checks the link
with ``sha256sum data/package/tagmanifest-sha256.txt``.

Page numbers count evidence pages only (第1页 is the first page of 证据1): the cover carries the
page ranges of the list, so it cannot count itself. Cover pages are stamped "封面 第i页 / 共k页".

Stamps are a small text layer added to each page's content stream (no page is re-rendered and no
content parsed). Their font is a CJK font embedded by LibreOffice: :mod:`archive.pdf` converts a
one-line document holding exactly the characters a stamp needs, and the stamps reuse that
embedded subset (its ToUnicode map keeps the stamp searchable and extractable).
Records without a PDF (older records hold only their source file) get a one-page placeholder
naming the electronic files and their SHA-256, so every item still has pages and a bookmark.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

from archive.campaign.dossier import records_naming
from archive.documents.convert import Converter
from archive.errors import ConversionError, NotFound, Problem, ValidationFailed
from archive.integrity import keys
from archive.packages import bag as bagfmt
from archive.packages.common import (
    COMPILATION,
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
from schemas import REGISTRY_TYPES, TYPES
from schemas.common import TICKET_TYPE_NAMES

STAMP_CHARS = "证据封面第页共/ 0123456789"
STAMP_FONT = "宋体"  # mapped to Noto Serif CJK SC by the converter's replacement table
STAMP_SIZE = 9.0
STAMP_RESOURCE = "/OutsafeStamp"


@dataclass
class EvidenceItem:
    no: int
    row: dict
    name: str
    source: str
    formed: str
    proves: str
    pdf: bytes | None = None
    placeholder: bool = False
    pages: int = 0
    first_page: int = 0  # running number of the item's first page (evidence pages only, from 1)

    @property
    def page_range(self) -> str:
        last = self.first_page + self.pages - 1
        return f"{self.pages}页（第{self.first_page}页）" if self.pages == 1 else f"{self.pages}页（第{self.first_page}–{last}页）"

    def as_dict(self) -> dict:
        return {
            "no": self.no,
            "record_id": self.row["id"],
            "name": self.name,
            "source": self.source,
            "formed": self.formed,
            "pages": self.pages,
            "first_page": self.first_page,
            "page_range": self.page_range,
            "proves": self.proves,
            "origin": self.row["origin"],
            "path": f"data/package/data/records/{self.row['origin']}/{self.row['id']}",
            "has_pdf": not self.placeholder,
        }


# --- selection and description of evidence items ------------------------------------------------------------


def select_items(archive, contractor: str, record_ids: Sequence[str] = (), since: str | None = None,
                 until: str | None = None) -> list[dict]:
    """The records that become evidence items: the ones named, else the contractor's current case
    records of the period across every origin; the contractor's own registration first."""
    if record_ids:
        rows = []
        for rid in record_ids:
            row = archive.get_record_row(rid)
            if row["id"] not in {r["id"] for r in rows}:
                rows.append(row)
        return rows
    types = [t for t in TYPES if t not in REGISTRY_TYPES]
    rows = records_naming(archive.catalog, contractor, types=types, since=since, until=until)
    rows.sort(key=lambda r: (r["doc_date"] or r["created_at"][:10], r["seq"]))
    reg = archive.catalog.get_registry("organization", contractor)
    if reg is not None:
        rows.insert(0, archive.catalog.get_record(reg["record_id"]))
    return rows


def _name(row: dict, data: dict) -> str:
    if row["type"] == "organization":
        return f"单位登记信息（{data.get('name', '')}）"
    if row["type"] == "person":
        return f"人员登记信息（{data.get('name', '')}）"
    return row["title"]


def _clip(text: str, n: int) -> str:
    text = str(text).rstrip("。；;")
    return text if len(text) <= n else text[:n] + "…"


def _days(value: Any) -> str:
    return str(value or "")[:10]


def proves(row: dict, data: dict, today: date) -> str:
    """证明对象: what this record proves, derived from its type and content."""
    t = row["type"]
    sub = row.get("subtype")
    asof = today.isoformat()
    if t == "organization":
        quals = data.get("qualifications") or []
        expired = [q for q in quals if _days(q.get("valid_to")) and _days(q.get("valid_to")) < asof]
        text = "承包单位的登记信息、资质与许可证情况"
        if expired:
            text += "；其中" + "、".join(f"{q.get('kind')}（{q.get('number')}）已于{_days(q.get('valid_to'))}到期" for q in expired)
        elif not quals:
            text += "；未登记任何资质或许可证"
        return text
    if t == "person":
        certs = data.get("certificates") or []
        expired = [c for c in certs if _days(c.get("expires")) and _days(c.get("expires")) < asof]
        text = f"{data.get('name', '')}的身份、岗位及持证情况"
        if expired:
            text += "；其中" + "、".join(f"{c.get('kind')}（{c.get('category')}）已于{_days(c.get('expires'))}过期" for c in expired)
        elif not certs and any(r in (data.get("roles") or []) for r in ("特种作业人员", "特种设备作业人员", "爆破作业人员")):
            text += "；未登记相应操作证书"
        return text
    if t == "project":
        return "外包项目的发包单位、承包单位、工期、作业内容与危险作业类别"
    if t == "outsourcing_contract":
        period = data.get("period") or {}
        text = f"发包单位与承包单位订立外包合同（{period.get('start', '')}至{period.get('end', '')}）及约定的承包范围"
        if not data.get("safety_duty_clause"):
            text += "；合同未约定各自的安全生产管理职责"
        return text
    if t == "safety_agreement":
        ed = data.get("enterprise_duties") or []
        cd = data.get("contractor_duties") or []
        term = data.get("term") or {}
        return (f"双方签订安全生产管理协议（{term.get('start', '')}至{term.get('end', '')}），约定发包单位{len(ed)}项、"
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
        return f"现场检查发现的{len(data.get('findings') or [])}项问题及检查经过"
    if t == "hazard":
        return f"{data.get('grade', '')}事故隐患“{mask_text(str(data.get('description', '')))[:40]}”及其整改情况"
    if t == "accident":
        return "生产安全事故的发生经过、原因、伤亡及损失情况"
    if t == "quarterly_assessment":
        return f"承包单位{data.get('year', '')}年第{data.get('quarter', '')}季度安全生产考核结果：{data.get('result', '')}"
    if t == "equipment":
        return "设备（特种设备）的登记与检验情况"
    return "记录所载事实"


def _source(archive, row: dict) -> str:
    if row["origin"] == archive.owner_uscc:
        return f"{archive.owner_name}制作"
    name = org_info(archive, row["origin"]).get("name") or row["origin"]
    book = archive.catalog.packages
    p = book.imported_proof(row["id"])
    w = book.get_witnessed(p["origin"], p["tree_size"]) if p else None
    return f"{name}报送" + (f"（{w['witnessed_at'][:10]}接收）" if w else "")


def _pdf_of(archive, row: dict) -> bytes | None:
    pdfs = [f for f in archive.catalog.record_files(row["id"]) if f["role"] == "pdf"]
    return archive.blobs.read_bytes(pdfs[0]["sha256"]) if pdfs else None


def describe(archive, rows: Sequence[dict], today: date) -> list[EvidenceItem]:
    items = []
    for n, row in enumerate(rows, 1):
        data = json.loads(row["data"])
        formed = row["doc_date"] or row["created_at"][:10]
        items.append(EvidenceItem(
            no=n, row=row, name=mask_text(_name(row, data)), source=_source(archive, row), formed=formed,
            proves=mask_text(proves(row, data, today)), pdf=_pdf_of(archive, row),
        ))
    return items


# --- documents (python-docx → LibreOffice) ---------------------------------------------------------------------------


def _docx():
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(15)
    sec.top_margin, sec.bottom_margin = Mm(25), Mm(20)
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
    run = par.add_run(text)
    _font_element(run._element.get_or_add_rPr(), font)
    run.font.size = _pt(size)
    run.bold = bold
    return run


def _para(doc, text: str = "", font: str = "仿宋", size: float = 12, bold: bool = False, center: bool = False, after: float = 4):
    par = doc.add_paragraph()
    if center:
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    par.paragraph_format.space_after = _pt(after)
    if text:
        _run(par, text, font, size, bold)
    return par


def _table(doc, headers: Sequence[str], rows: Sequence[Sequence[str]], widths_mm: Sequence[float], size: float = 10.5):
    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
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
    header = table.rows[0]
    trpr = header._tr.get_or_add_trPr()
    rep = OxmlElement("w:tblHeader")
    rep.set(qn("w:val"), "true")
    trpr.append(rep)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for c, w in enumerate(widths_mm):
        table.columns[c].width = Mm(w)
    for r, values in enumerate([list(headers)] + [list(x) for x in rows]):
        for c, value in enumerate(values):
            cell = table.rows[r].cells[c]
            cell.width = Mm(widths_mm[c])
            par = cell.paragraphs[0]
            _run(par, str(value), "黑体" if r == 0 else "宋体", size, bold=False)
    return table


def list_docx(items: Sequence[EvidenceItem], *, case_no: str, party: str, maker: str, day: str, digest: str) -> bytes:
    doc = _docx()
    _para(doc, "证 据 清 单", "方正小标宋简体", 22, center=True, after=12)
    _para(doc, f"案件编号：{case_no}", size=12)
    _para(doc, f"当事人：{party}", size=12)
    _para(doc, f"提交单位：{maker}　　　　制作日期：{day}", size=12, after=8)
    _table(
        doc,
        ["序号", "证据名称", "来源", "形成时间", "页数/页码范围", "证明对象"],
        [[str(i.no), i.name, i.source, i.formed, i.page_range, i.proves] for i in items],
        [11, 36, 28, 22, 27, 56],
        size=10,
    )
    _para(doc, "", after=6)
    _para(doc, f"共 {len(items)} 项证据，{sum(i.pages for i in items)} 页，见《证据材料汇编》。", size=11)
    _para(doc, "以上证据的电子原件、封签与默克尔证明见同一证据包的 data/package/；", size=11)
    _para(doc, "该记录包标签清单（data/package/tagmanifest-sha256.txt）的 SHA-256：", size=11, after=0)
    _para(doc, digest, "宋体", 9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def cover_docx(items: Sequence[EvidenceItem], *, case_no: str, party: str, maker: str, day: str, digest: str) -> bytes:
    doc = _docx()
    _para(doc, "", after=40)
    _para(doc, "证据材料汇编", "方正小标宋简体", 26, center=True, after=24)
    _para(doc, f"案件编号：{case_no}", size=14, center=True, after=6)
    _para(doc, f"当事人：{party}", size=14, center=True, after=6)
    _para(doc, f"制作单位：{maker}", size=14, center=True, after=6)
    _para(doc, f"制作日期：{day}", size=14, center=True, after=18)
    _para(doc, "证据目录", "黑体", 14, after=6)
    _table(doc, ["序号", "证据名称", "形成时间", "页码"],
           [[str(i.no), i.name, i.formed, i.page_range] for i in items], [14, 96, 30, 40], size=10.5)
    _para(doc, "", after=6)
    _para(doc, f"共 {len(items)} 项证据，{sum(i.pages for i in items)} 页（页码自证据1第1页起连续编排，封面不计）。", size=12)
    _para(doc, "证据包摘要（data/package/tagmanifest-sha256.txt 的 SHA-256）：", "黑体", 12, after=2)
    _para(doc, digest, "宋体", 9.5, after=8)
    _para(doc, "核验：在证据包根目录执行 sha256sum data/package/tagmanifest-sha256.txt，结果应与上列摘要一致；"
               "证据包的签名、封签与默克尔证明的核验方法见 核验说明.txt。", size=10.5)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def placeholder_docx(item: EvidenceItem, files: Sequence[dict]) -> bytes:
    doc = _docx()
    _para(doc, f"证据{item.no}　{item.name}", "黑体", 16, center=True, after=18)
    _para(doc, "本证据为电子数据，档案中没有其版式文件（PDF）。电子原件及其封签在证据包中：", size=12)
    _para(doc, item.as_dict()["path"], "宋体", 10, after=10)
    _table(doc, ["用途", "文件名", "字节", "SHA-256"],
           [[f["role"], mask_text(f["name"]), str(f["size"]), f["sha256"]] for f in files], [16, 50, 18, 96], size=8)
    _para(doc, "", after=6)
    _para(doc, f"来源：{item.source}　　形成时间：{item.formed}", size=12)
    _para(doc, f"证明对象：{item.proves}", size=12)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def glyph_docx(chars: str = STAMP_CHARS) -> bytes:
    """One line holding every character a stamp uses, in the stamp font."""
    doc = _docx()
    _para(doc, chars, STAMP_FONT, STAMP_SIZE)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


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
    contractor: str,
    case_no: str,
    record_ids: Sequence[str] = (),
    since: date | str | None = None,
    until: date | str | None = None,
    as_zip: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    notify: Callable[[str], None] | None = None,
    converter_factory: Callable[[], Any] | None = None,
) -> ExportResult:
    """``outsafe evidence export``: an evidence package for a penalty case."""
    t0 = time.monotonic()
    today = today or archive.clock.today()
    since_s = since.isoformat() if isinstance(since, date) else since
    until_s = until.isoformat() if isinstance(until, date) else until
    case_no = (case_no or "").strip()
    if not case_no:
        raise ValidationFailed([Problem("case_no", "需要案件编号 (a case number is required)")])
    if archive.catalog.get_registry("organization", contractor) is None:
        raise NotFound(f"单位 {contractor} 未登记 (organization not registered)", hint="用 outsafe org list 查看已登记的单位")
    with archive.writing("evidence export", notify):
        signer = archive.signer()
        archive.checkpoint(signer)
        item_rows = select_items(archive, contractor, record_ids, since_s, until_s)
        if not item_rows:
            raise NotFound(f"{contractor} 在该期间没有记录 (no records for this contractor in the period)")
        rows = closure(archive, item_rows)
        with staged_output(archive.home.tmp_dir, out, as_zip) as (out, stage):
            party_org = org_info(archive, contractor)
            party = f"{party_org.get('name') or contractor}（统一社会信用代码 {contractor}）"
            maker = archive.owner_name
            day = today.isoformat()
            outer = bagfmt.BagWriter(stage)
            try:
                inner = stage / "data" / "package"
                desc = (f"{maker}（{archive.owner_uscc}）案件 {case_no} 所据记录包：{party}，共 {len(rows)} 条已封签记录 "
                        "(outsafe records package of an evidence package)")
                inner_digest, builder = build_records_bag(
                    archive, signer, rows, inner, kind=KIND_RECORDS, description=desc,
                    extra_info={"Outsafe-Case-No": case_no, "Outsafe-Contractor": contractor},
                    since=since_s, until=until_s, today=today, progress=progress,
                )
                outer.include("package", builder.w.all_files())
                items = describe(archive, item_rows, today)
                documents = _convert_documents(archive, items, case_no=case_no, party=party, maker=maker, day=day,
                                               digest=inner_digest, converter_factory=converter_factory, progress=progress)
                compiled = compile_pdf(items, documents["cover_pdf"], documents["glyph_pdf"], title=f"证据材料汇编 {case_no}")
                outer.write(f"evidence/{LIST_DOCX}", documents["list_docx"])
                outer.write(f"evidence/{LIST_PDF}", documents["list_pdf"])
                outer.write(f"evidence/{COMPILATION}", compiled)
                outer.write(f"keys/{archive.owner_uscc}.pub.pem", keys.public_pem(archive.public_key()).encode("ascii"))
                outer.finish_payload()
                index = {
                    "format": "outsafe-package/1",
                    "kind": KIND_EVIDENCE,
                    "case_no": case_no,
                    "contractor": {"uscc": contractor, "name": party_org.get("name")},
                    "organization": {"uscc": archive.owner_uscc, "name": maker},
                    "created": day,
                    "period": {"since": since_s, "until": until_s},
                    "records_package": {"path": "data/package", "tagmanifest_sha256": inner_digest, "records": len(builder.index_records)},
                    "documents": {"list_docx": f"data/evidence/{LIST_DOCX}", "list_pdf": f"data/evidence/{LIST_PDF}",
                                  "compilation": f"data/evidence/{COMPILATION}", "pages": sum(i.pages for i in items)},
                    "items": [i.as_dict() for i in items],
                }
                info = {
                    "Source-Organization": maker,
                    "统一社会信用代码": archive.owner_uscc,
                    "Bagging-Date": day,
                    "External-Description": f"{maker} 案件 {case_no} 证据包：{party}，{len(items)} 项证据 (outsafe evidence package)",
                    "Internal-Sender-Identifier": f"{case_no}",
                    "Internal-Sender-Description": "outsafe 证据包 (evidence)",
                    "Bag-Software-Agent": f"outsafe {outsafe_version()}",
                    "Bag-Count": "1 of 1",
                    "Outsafe-Package-Format": "outsafe-package/1",
                    "Outsafe-Package-Kind": KIND_EVIDENCE,
                    "Outsafe-Signer": archive.owner_uscc,
                    "Outsafe-Signer-Fingerprint": signer.fingerprint,
                    "Outsafe-Case-No": case_no,
                    "Outsafe-Contractor": contractor,
                    "Outsafe-Inner-Tagmanifest-Sha256": inner_digest,
                    "Outsafe-Record-Count": str(len(builder.index_records)),
                    "Outsafe-Evidence-Items": str(len(items)),
                }
                guide = guide_text(kind=KIND_EVIDENCE, org=maker, uscc=archive.owner_uscc, fingerprint=signer.fingerprint,
                                   records=len(builder.index_records), period=f"{since_s or '…'}/{until_s or '…'}", checkpoints=[],
                                   day=day, origins=[], evidence={"case_no": case_no, "inner_digest": inner_digest})
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
            since=since_s, until=until_s,
            extra={"case_no": case_no, "contractor": contractor, "items": len(items), "pages": sum(i.pages for i in items),
                   "compilation_bytes": len(compiled), "inner_tagmanifest_sha256": inner_digest},
        )
        log_export(archive, signer, result, {"case_no": case_no, "contractor": contractor, "since": since_s, "until": until_s,
                                             "inner_tagmanifest_sha256": inner_digest, "items": [i.row["id"] for i in items]})
    result.seconds = time.monotonic() - t0
    return result


def _convert_documents(archive, items: list[EvidenceItem], *, case_no: str, party: str, maker: str, day: str, digest: str,
                       converter_factory, progress: Progress | None) -> dict[str, bytes]:
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
        second = [
            ("list", list_docx(items, case_no=case_no, party=party, maker=maker, day=day, digest=digest)),
            ("cover", cover_docx(items, case_no=case_no, party=party, maker=maker, day=day, digest=digest)),
        ]
        more = {r.name: r.unwrap() for r in conv.convert_many(second, progress=progress, expect_text={"cover": [case_no], "list": [case_no]})}
    return {"glyph_pdf": results["glyphs"], "list_docx": second[0][1], "list_pdf": more["list"], "cover_pdf": more["cover"]}
