"""The little language the templates are built with: runs and paragraphs with East Asian fonts,
tables on one grid, pages (GB/T 9704 and form layouts), documents written as deterministic
.docx files, and the pieces many forms share.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell

HERE = Path(__file__).resolve().parent
VERSION = "1.0.0"
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_TIME = datetime(2026, 1, 1, 0, 0, 0)

FACES = {
    "title": "方正小标宋简体",
    "body": "仿宋_GB2312",
    "hei": "黑体",
    "kai": "楷体_GB2312",
    "song": "宋体",
}
LATIN = "Times New Roman"
TWIPS_PER_MM = 1440 / 25.4


def tw(mm: float) -> int:
    return int(round(mm * TWIPS_PER_MM))


# --- text: runs and paragraphs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Font:
    face: str = "body"
    size: float = 14
    bold: bool = False
    underline: bool = False

    def but(self, **kw: Any) -> "Font":
        return dataclasses.replace(self, **kw)


@dataclass(frozen=True)
class R:
    """A run: text in a font (fields left None take the paragraph's font)."""

    text: str
    face: str | None = None
    size: float | None = None
    bold: bool | None = None
    underline: bool | None = None
    page_break: bool = False


def U(text: str) -> R:
    """Underlined text: how the official forms mark a filled-in value."""
    return R(text, underline=True)


def B(text: str) -> R:
    return R(text, bold=True)


@dataclass(frozen=True)
class P:
    """A paragraph."""

    parts: tuple[R | str, ...]
    align: str = "left"  # left | center | right | both | distribute
    first_line: float = 0  # first-line indent in characters
    indent: float = 0  # left indent in characters
    right_indent: float = 0
    before: float = 0  # points
    after: float = 0
    line: float | None = None  # exact line height in points; None = single
    keep_next: bool | str = False  # True, or a Jinja condition ("loop.last") for a paragraph in a loop
    keep_lines: bool = False  # never split the paragraph's own lines across pages
    font: Font | None = None
    border_top: bool = False
    tabs: tuple[tuple[str, float], ...] = ()  # (alignment, position in mm)


def para(*parts: R | str, **kw: Any) -> P:
    return P(tuple(parts), **kw)


def tag(text: str) -> P:
    """A paragraph holding only a docxtpl paragraph tag such as ``{%p if … %}``."""
    return P((text,))


def set_fonts(rpr: Any, face: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    east = FACES[face]
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    fonts.set(qn("w:eastAsia"), east)
    fonts.set(qn("w:cs"), LATIN)
    fonts.set(qn("w:hint"), "eastAsia")


def run_props(f: Font) -> Any:
    """rPr in schema order: rFonts, b, bCs, sz, szCs, u, lang. 小标宋 is a heavy face: its runs are
    bold, so that the free stand-in prints in its Bold weight (doc_templates/FONTS.md)."""
    east = FACES[f.face]
    bold = "<w:b/><w:bCs/>" if f.bold or f.face == "title" else ""
    under = '<w:u w:val="single"/>' if f.underline else ""
    half = int(round(f.size * 2))
    return parse_xml(
        f'<w:rPr {nsdecls("w")}><w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{east}" w:cs="{LATIN}" w:hint="eastAsia"/>'
        f'{bold}<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>{under}<w:lang w:eastAsia="zh-CN"/></w:rPr>'
    )


def add_run(p: Any, r: R, base: Font) -> None:
    f = Font(
        face=r.face or base.face,
        size=r.size or base.size,
        bold=base.bold if r.bold is None else r.bold,
        underline=base.underline if r.underline is None else r.underline,
    )
    run = p.add_run()
    run._r.insert(0, run_props(f))
    if r.text:
        run.text = r.text
    if r.page_break:
        run.add_break(WD_BREAK.PAGE)


ALIGN = {"left": "left", "center": "center", "right": "right", "both": "both", "distribute": "distribute"}


def write_para(p: Any, spec: P, font: Font) -> None:
    base = spec.font or font
    ppr = p._p.get_or_add_pPr()
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), ALIGN[spec.align])
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:before"), str(int(spec.before * 20)))
    spacing.set(qn("w:after"), str(int(spec.after * 20)))
    if spec.line:
        spacing.set(qn("w:line"), str(int(spec.line * 20)))
        spacing.set(qn("w:lineRule"), "exact")
    else:
        spacing.set(qn("w:line"), "240")
        spacing.set(qn("w:lineRule"), "auto")
    # element order in pPr: keepNext, keepLines, pBdr, tabs, spacing, ind, jc, rPr
    if spec.keep_next is True:
        ppr.append(OxmlElement("w:keepNext"))
    elif spec.keep_next:  # only where the condition holds when rendered, e.g. the last item of a loop
        ppr.text = f"{{% if {spec.keep_next} %}}"
        keep = OxmlElement("w:keepNext")
        keep.tail = "{% endif %}"
        ppr.append(keep)
    if spec.keep_lines:
        ppr.append(OxmlElement("w:keepLines"))
    if spec.border_top:
        bdr = parse_xml(f'<w:pBdr {nsdecls("w")}><w:top w:val="single" w:sz="6" w:space="4" w:color="000000"/></w:pBdr>')
        ppr.append(bdr)
    if spec.tabs:
        tabs = OxmlElement("w:tabs")
        for kind, pos in spec.tabs:
            t = OxmlElement("w:tab")
            t.set(qn("w:val"), kind)
            t.set(qn("w:pos"), str(tw(pos)))
            tabs.append(t)
        ppr.append(tabs)
    ppr.append(spacing)
    if spec.first_line or spec.indent or spec.right_indent:
        ind = OxmlElement("w:ind")
        size_tw = base.size * 20
        if spec.indent:
            ind.set(qn("w:leftChars"), str(int(spec.indent * 100)))
            ind.set(qn("w:left"), str(int(spec.indent * size_tw)))
        if spec.right_indent:
            ind.set(qn("w:rightChars"), str(int(spec.right_indent * 100)))
            ind.set(qn("w:right"), str(int(spec.right_indent * size_tw)))
        if spec.first_line:
            ind.set(qn("w:firstLineChars"), str(int(spec.first_line * 100)))
            ind.set(qn("w:firstLine"), str(int(spec.first_line * size_tw)))
        ppr.append(ind)
    ppr.append(jc)
    mark = OxmlElement("w:rPr")
    set_fonts(mark, base.face)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(base.size * 2)))
    mark.append(sz)
    ppr.append(mark)
    for part in spec.parts:
        add_run(p, part if isinstance(part, R) else R(part), base)


def _set_keep(ppr: Any, keep: bool | str) -> None:
    """Add keepNext (unconditional, or inside ``{% if cond %}``) to a paragraph's properties."""
    if ppr.find(qn("w:keepNext")) is not None:
        return
    el = OxmlElement("w:keepNext")
    if keep is not True:
        ppr.text = f"{{% if {keep} %}}"
        el.tail = "{% endif %}" + (el.tail or "")
    ppr.insert(0, el)


# --- tables: one grid, cells placed by width ---------------------------------------------------------


@dataclass(frozen=True)
class C:
    """A table cell: content (text, runs or paragraphs) and its width in mm."""

    content: Any
    w: float
    align: str = "left"
    valign: str = "center"
    font: Font | None = None
    vmerge: str | None = None  # "restart" | "continue": merge with the cell below/above
    label: bool = False  # a printed label: must fit its cell line by line (checked when built)


def L(text: str, w: float, **kw: Any) -> C:
    """A label cell (centred). A label never breaks inside a word: it fits the cell, or its text
    says where its lines break ("关联的其他特殊作业\n及安全作业票编号"); :meth:`Grid.build`
    refuses a label that does not fit."""
    if "\n" in text:
        return C([P((line,), align="center") for line in text.split("\n")], w, align="center", label=True, **kw)
    return C(text, w, align="center", label=True, **kw)


CELL_PADDING_MM = 2 * 85 / TWIPS_PER_MM  # left + right cell margins (tblCellMar 85 twips each)


def text_width_mm(text: str, size_pt: float) -> float:
    """Printed width of ``text`` at ``size_pt``: a CJK character or full-width sign is one em, a
    Latin letter, digit or half-width sign about half of one, and LibreOffice sets about a fifth of
    an em between Chinese and Latin text (2026年4月10日 has five such joins)."""
    em = size_pt * 25.4 / 72
    wide = [ord(ch) >= 0x2E80 for ch in text]
    joins = sum(1 for a, b in zip(wide, wide[1:]) if a != b)
    return sum(em * (1.0 if w else 0.55) for w in wide) + joins * 0.2 * em


def fit_label(text: str, width_mm: float, size_pt: float) -> list[str]:
    """``text`` in as few lines as fit ``width_mm`` (cell padding included), broken only between
    words (jieba) — never "联系电/话" or "统一社会信用代/码". ValueError when one word alone is too
    wide: the column must be widened."""
    from archive.documents.layout import jieba_for_forms

    jieba = jieba_for_forms()
    room = width_mm - CELL_PADDING_MM + 0.01
    if text_width_mm(text, size_pt) <= room:
        return [text]
    words: list[str] = []
    for w in jieba.cut(text, HMM=False):
        # an opening bracket starts the next word; a closing one or a pause mark ends this one
        if words and (w[0] in "）)、，；：" or words[-1][-1] in "（(/"):
            words[-1] += w
        else:
            words.append(w)
    lines = [""]
    for w in words:
        if text_width_mm(lines[-1] + w, size_pt) <= room:
            lines[-1] += w
        elif text_width_mm(w, size_pt) <= room:
            lines.append(w)
        else:
            raise ValueError(f"label word “{w}” of “{text}” does not fit a {width_mm:.1f} mm cell at {size_pt} pt")
    return [x for x in lines if x]


def label_lines(c: "C") -> list[str]:
    content = c.content
    if isinstance(content, str):
        return [content]
    if isinstance(content, list) and all(isinstance(x, P) for x in content):
        return ["".join(r.text if isinstance(r, R) else r for r in x.parts) for x in content]
    return []


@dataclass
class Row:
    cells: list[C]
    height: float | None = None  # minimum height, mm
    header: bool = False  # a heading row: repeated at the top of every page the table runs onto
    tag: str | None = None  # a docxtpl row tag ({%tr … %}) instead of cells
    keep: bool | str = False  # keep this row on the page of the next one (True, or a Jinja condition)


@dataclass
class Grid:
    """A bordered table whose rows may split the width differently (cells span grid columns)."""

    width: float
    font: Font = field(default_factory=lambda: Font("song", 10.5))
    rows: list[Row] = field(default_factory=list)
    borders: bool = True
    keep_together: bool = False  # every row keeps with the next: the table never breaks across pages

    def row(self, *cells: C, height: float | None = None, header: bool = False, keep: bool | str = False) -> "Grid":
        total = sum(c.w for c in cells)
        if abs(total - self.width) > 0.05:
            raise ValueError(f"row widths {total} != table width {self.width}: {[c.content for c in cells]}")
        fitted = []
        for c in cells:
            if c.label:
                size = (c.font or self.font).size
                lines = [x for line in label_lines(c) for x in fit_label(line, c.w, size)]
                if len(lines) > 1 or lines != label_lines(c):
                    c = dataclasses.replace(c, content=[P((x,), align="center") for x in lines])
            fitted.append(c)
        self.rows.append(Row(fitted, height, header, keep=keep))
        return self

    def tag(self, text: str) -> "Grid":
        self.rows.append(Row([], tag=text))
        return self

    def build(self, doc: Any) -> None:
        bounds = {0.0, round(self.width, 1)}
        for r in self.rows:
            x = 0.0
            for c in r.cells:
                x += c.w
                bounds.add(round(x, 1))
        edges = sorted(bounds)
        cols = [b - a for a, b in zip(edges, edges[1:])]
        border = "single" if self.borders else "nil"
        outer, inner = ("12", "4") if self.borders else ("0", "0")
        xml = (
            f'<w:tbl {nsdecls("w")}><w:tblPr>'
            f'<w:tblW w:w="{tw(self.width)}" w:type="dxa"/><w:jc w:val="center"/>'
            f'<w:tblBorders>'
            f'<w:top w:val="{border}" w:sz="{outer}" w:space="0" w:color="000000"/>'
            f'<w:left w:val="{border}" w:sz="{outer}" w:space="0" w:color="000000"/>'
            f'<w:bottom w:val="{border}" w:sz="{outer}" w:space="0" w:color="000000"/>'
            f'<w:right w:val="{border}" w:sz="{outer}" w:space="0" w:color="000000"/>'
            f'<w:insideH w:val="{border}" w:sz="{inner}" w:space="0" w:color="000000"/>'
            f'<w:insideV w:val="{border}" w:sz="{inner}" w:space="0" w:color="000000"/>'
            f'</w:tblBorders><w:tblLayout w:type="fixed"/>'
            f'<w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
            f'<w:bottom w:w="40" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
            f'<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
            f'</w:tblPr><w:tblGrid>' + "".join(f'<w:gridCol w:w="{tw(c)}"/>' for c in cols) + "</w:tblGrid></w:tbl>"
        )
        tbl = parse_xml(xml)
        doc.element.body._insert_tbl(tbl)
        table = Table(tbl, doc._body)
        real = [r for r in self.rows if r.tag is None]
        last = real[-1] if real else None
        for r in self.rows:
            keep = r.keep or r.header or (self.keep_together and r is not last)
            tr = OxmlElement("w:tr")
            trpr = OxmlElement("w:trPr")
            trpr.append(OxmlElement("w:cantSplit"))
            if r.header:
                trpr.append(OxmlElement("w:tblHeader"))
            if r.height:
                h = OxmlElement("w:trHeight")
                h.set(qn("w:val"), str(tw(r.height)))
                h.set(qn("w:hRule"), "atLeast")
                trpr.append(h)
            tr.append(trpr)
            tbl.append(tr)
            cells = r.cells if r.tag is None else [C(r.tag, self.width)]
            x = 0.0
            for c in cells:
                start = edges.index(round(x, 1))
                x += c.w
                end = edges.index(round(x, 1))
                tc = OxmlElement("w:tc")
                tcpr = OxmlElement("w:tcPr")
                tcw = OxmlElement("w:tcW")
                tcw.set(qn("w:w"), str(tw(c.w)))
                tcw.set(qn("w:type"), "dxa")
                tcpr.append(tcw)
                if end - start > 1:
                    span = OxmlElement("w:gridSpan")
                    span.set(qn("w:val"), str(end - start))
                    tcpr.append(span)
                if c.vmerge:
                    vm = OxmlElement("w:vMerge")
                    if c.vmerge == "restart":
                        vm.set(qn("w:val"), "restart")
                    tcpr.append(vm)
                va = OxmlElement("w:vAlign")
                va.set(qn("w:val"), c.valign)
                tcpr.append(va)
                tc.append(tcpr)
                tr.append(tc)
                cell = _Cell(tc, table)
                for spec in cell_paragraphs(c):
                    if keep and r.tag is None and not spec.keep_next:
                        spec = dataclasses.replace(spec, keep_next=keep)
                    write_para(cell.add_paragraph(), spec, c.font or self.font)


def cell_paragraphs(c: C) -> list[P]:
    content = c.content
    if isinstance(content, P):
        return [content]
    if isinstance(content, list) and content and all(isinstance(x, P) for x in content):
        return list(content)
    if isinstance(content, str | R):
        content = [content]
    return [P(tuple(content), align=c.align)]


# --- documents ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    top: float
    bottom: float
    left: float
    right: float

    @property
    def text_width(self) -> float:
        return 210 - self.left - self.right


# The faces the templates name, declared the way Chinese Word templates do: GB2312 charset (86) and
# the plain name as altName, so Word on a machine without 仿宋_GB2312 falls back to 仿宋, and so on.
_FONTS = (
    ("方正小标宋简体", "方正小标宋_GBK", "roman", "variable"),
    ("仿宋_GB2312", "仿宋", "modern", "fixed"),
    ("楷体_GB2312", "楷体", "modern", "fixed"),
    ("黑体", "SimHei", "modern", "fixed"),
    ("宋体", "SimSun", "auto", "variable"),
)
FONT_TABLE = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    + "".join(f'<w:font w:name="{n}"><w:altName w:val="{alt}"/><w:charset w:val="86"/><w:family w:val="{fam}"/>'
              f'<w:pitch w:val="{pitch}"/></w:font>' for n, alt, fam, pitch in _FONTS)
    + '<w:font w:name="Times New Roman"><w:panose1 w:val="02020603050405020304"/><w:charset w:val="00"/>'
      '<w:family w:val="roman"/><w:pitch w:val="variable"/></w:font></w:fonts>'
)

FORM_PAGE = Page(top=18, bottom=18, left=20, right=18)
TEXT_PAGE = Page(top=30, bottom=28, left=28, right=26)
ENFORCEMENT_PAGE = Page(top=30, bottom=25, left=28, right=26)


class Doc:
    """A template under construction: page set-up, default fonts, footer with page X of Y."""

    def __init__(self, title: str, page: Page, font: Font) -> None:
        self.d = Document()
        self.page = page
        self.font = font
        self.title = title
        self.zone: Any = None  # an open signature zone (forms.py): rows added until it is emitted
        body = self.d.element.body
        for p in list(body.iterchildren(qn("w:p"))):
            body.remove(p)
        s = self.d.sections[0]
        s.page_width, s.page_height = Mm(210), Mm(297)
        s.top_margin, s.bottom_margin = Mm(page.top), Mm(page.bottom)
        s.left_margin, s.right_margin = Mm(page.left), Mm(page.right)
        s.header_distance, s.footer_distance = Mm(10), Mm(8)
        s.start_type = WD_SECTION.NEW_PAGE
        self._styles(font)
        self._footer()
        props = self.d.core_properties
        props.title = title
        props.author = "outsafe"
        props.last_modified_by = "outsafe"
        props.comments = ""
        props.keywords = ""
        props.subject = ""
        props.category = ""
        props.revision = 1
        props.created = FIXED_TIME
        props.modified = FIXED_TIME
        props.last_printed = FIXED_TIME

    def _styles(self, font: Font) -> None:
        styles = self.d.styles.element
        defaults = styles.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        old = rpr.find(qn("w:rFonts"))
        if old is not None:
            rpr.remove(old)
        set_fonts(rpr, font.face)
        for lang in rpr.findall(qn("w:lang")):
            rpr.remove(lang)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
        lang.set(qn("w:bidi"), "ar-SA")
        rpr.append(lang)
        normal = self.d.styles["Normal"]
        npr = normal.element.get_or_add_rPr()
        set_fonts(npr, font.face)
        normal.font.size = Pt(font.size)
        pf = normal.paragraph_format
        pf.space_before = Pt(0)
        pf.space_after = Pt(0)
        # Every style that names a theme font gets the real faces instead.
        for st in styles.iterchildren(qn("w:style")):
            srpr = st.find(qn("w:rPr"))
            fonts = srpr.find(qn("w:rFonts")) if srpr is not None else None
            if fonts is not None:
                face = "hei" if st.get(qn("w:styleId"), "").startswith(("Heading", "Title")) else font.face
                srpr.remove(fonts)
                set_fonts(srpr, face)

    def _footer(self) -> None:
        footer = self.d.sections[0].footer
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        f = Font("song", 10.5)
        write_para(p, P(("第 ",), align="center"), f)
        self._field(p, "PAGE", f)
        add_run(p, R(" 页 共 "), f)
        self._field(p, "NUMPAGES", f)
        add_run(p, R(" 页"), f)

    @staticmethod
    def _field(p: Any, code: str, f: Font) -> None:
        for kind, text in (("begin", None), ("instr", f" {code} "), ("separate", None), ("text", "1"), ("end", None)):
            run = p.add_run()
            rpr = run._r.get_or_add_rPr()
            set_fonts(rpr, f.face)
            run.font.size = Pt(f.size)
            if kind == "instr":
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
            elif kind == "text":
                run.text = text
            else:
                fc = OxmlElement("w:fldChar")
                fc.set(qn("w:fldCharType"), kind)
                run._r.append(fc)

    def _slim(self) -> None:
        """Drop what python-docx's default template carries and no form uses: ~160 unused style
        definitions (0.4 MB of XML parsed on every render), the Word 2010 stylesWithEffects copy,
        and the customXml item."""
        keep = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "Footer", "Header", "FooterChar", "HeaderChar"}
        styles = self.d.styles.element
        for st in list(styles.iterchildren(qn("w:style"))):
            if st.get(qn("w:styleId")) not in keep:
                styles.remove(st)
        ppr = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault"))
        if ppr is not None:
            spacing = ppr.find(qn("w:pPr")).find(qn("w:spacing"))
            if spacing is not None:
                spacing.set(qn("w:after"), "0")
                spacing.set(qn("w:line"), "240")
        # a line ended by a line break typed in the data (a hazard's numbered points, "\n" in a
        # text field: docxtpl writes <w:br/>) stays as long as its words: without this Word and
        # LibreOffice justify it, spreading its characters over the whole width ("责　任　的　约　定")
        compat = self.d.settings.element.find(qn("w:compat"))
        if compat is not None and compat.find(qn("w:doNotExpandShiftReturn")) is None:
            compat.insert(0, compat.makeelement(qn("w:doNotExpandShiftReturn"), {}))
        rels = self.d.part.rels
        for rid, rel in list(rels.items()):
            if rel.is_external:
                continue
            name = str(rel.target_part.partname)
            if name.startswith("/customXml/") or name == "/word/stylesWithEffects.xml":
                del rels[rid]
            elif name == "/word/fontTable.xml":
                rel.target_part._blob = FONT_TABLE.encode("utf-8")

    # -- content
    def p(self, *parts: R | str, **kw: Any) -> "Doc":
        spec = para(*parts, **kw)
        write_para(self.d.add_paragraph(), spec, self.font)
        return self

    def add(self, spec: P) -> "Doc":
        write_para(self.d.add_paragraph(), spec, self.font)
        return self

    def tag(self, text: str) -> "Doc":
        return self.add(tag(text))

    def grid(self, g: Grid) -> "Doc":
        g.build(self.d)
        return self

    def gap(self, pt: float = 6, keep_next: bool = False) -> "Doc":
        return self.add(P(("",), line=pt, font=self.font.but(size=min(self.font.size, pt)), keep_next=keep_next))

    def keep_previous(self, lines: int = 2) -> "Doc":
        """Keep what comes next on the page of the last ``lines`` paragraphs of the body before it
        (empty spacing paragraphs in between are kept too): a signature, seal or date block is
        never alone on a page. A paragraph repeated by a ``{%p for %}`` loop keeps only in its
        last round; a table before it keeps with its last row."""
        in_loop = False
        for el in reversed(list(self.d.element.body.iterchildren())):
            if el.tag == qn("w:tbl"):
                rows = el.findall(qn("w:tr"))
                for tr in reversed(rows):
                    text = "".join(t.text or "" for t in tr.iter(qn("w:t")))
                    if text.startswith("{%tr"):
                        in_loop = in_loop or "endfor" in text
                        continue
                    for ppr in tr.iter(qn("w:pPr")):
                        _set_keep(ppr, "loop.last" if in_loop else True)
                    break
                return self
            if el.tag != qn("w:p"):
                continue
            text = "".join(t.text or "" for t in el.iter(qn("w:t")))
            if text.startswith("{%p"):
                if "endfor" in text:
                    in_loop = True
                elif text.startswith("{%p for"):
                    in_loop = False
                continue
            _set_keep(el.get_or_add_pPr(), "loop.last" if in_loop else True)
            if text.strip():
                lines -= 1
                if lines <= 0:
                    return self
        return self

    def save(self, path: Path) -> bytes:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        package = self.d.part.package
        for rid, rel in list(package.rels.items()):
            if rel.reltype == RT.THUMBNAIL:  # python-docx's default template carries a stale picture
                del package.rels[rid]
        self._slim()
        buf = io.BytesIO()
        self.d.save(buf)
        data = deterministic_zip(buf.getvalue())
        path.write_bytes(data)
        return data


def deterministic_zip(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            zi = zipfile.ZipInfo(item.filename, ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(item.filename))
    return out.getvalue()


# --- shared pieces ------------------------------------------------------------------------------------


def title(doc: Doc, text: str, size: float = 22, after: float = 6) -> None:
    doc.p(R(text, face="title", size=size, bold=True), align="center", after=after)


def number_line(doc: Doc, label: str, expr: str, size: float = 10.5, left: str | None = None) -> None:
    """``编号：…`` at the right margin (and an optional mark at the left)."""
    width = doc.page.text_width
    f = doc.font.but(face="song", size=size)
    parts: list[R | str] = []
    if left:
        parts += [R(left, face="hei"), "\t"]
    else:
        parts += ["\t"]
    parts += [R(f"{label}："), R(expr)]
    doc.add(P(tuple(parts), tabs=(("right", width),), font=f, after=3))


def photo_appendix(doc: Doc, heading: str, *, when: str = "doc.photos", loops: tuple[str, ...] = ("ph in doc.photos",),
                   notes: list[P] | None = None) -> None:
    """Photos after a page break: one per row, the picture beside its caption and the time it
    was taken (from the case data; the file name is never printed). ``when`` decides whether there
    is an appendix at all, ``loops`` reach the photos (the innermost loop names one ``ph``),
    ``notes`` replace the lines under the caption."""
    w = doc.page.text_width
    doc.tag(f"{{%p if {when} %}}")
    doc.p(R("", page_break=True))
    doc.p(R(f"附件：{heading}", face="hei", size=14), after=6)
    g = Grid(w, Font("song", 10.5))
    g.row(L("照片", w * 0.55), L("说明", w * 0.45), header=True)
    for loop in loops:
        g.tag(f"{{%tr for {loop} %}}")
    g.row(
        C("{{ ph.image }}", w * 0.55, align="center"),
        C(notes if notes is not None else [
            P(("{{ loop.index }}. {{ ph.caption }}",)),
            P(("拍摄时间：{{ ph.taken_at|cn_datetime|default(\"／\") }}",)),
        ], w * 0.45, valign="top"),
        height=40,
    )
    for _ in loops:
        g.tag("{%tr endfor %}")
    doc.grid(g)
    doc.tag("{%p endif %}")


def signature_table(doc: Doc, left: list[P], right: list[P], heights: tuple[float, ...] = ()) -> None:
    """Two columns without borders: party A left, party B right."""
    w = doc.page.text_width
    g = Grid(w, doc.font, borders=False)
    for i, (a, b) in enumerate(zip(left, right)):
        g.row(C(a, w / 2, valign="bottom"), C(b, w / 2, valign="bottom"), height=heights[i] if i < len(heights) else None)
    doc.grid(g)


# --- 外包合同 -------------------------------------------------------------------------------------------------


BODY = Font("body", 14)


def party_block(doc: Doc, role: str, key: str) -> None:
    o = f"org.{key}"
    doc.p(R(f"{role}："), R(f"{{{{ {o}.name }}}}", bold=True), line=26)
    doc.p(f"统一社会信用代码：{{{{ doc.{key} }}}}", line=26, indent=2)
    doc.p(f"住所：{{{{ {o}.address|default(\"／\") }}}}", line=26, indent=2)
    doc.p(f"法定代表人：{{{{ {o}.legal_representative|default(\"／\") }}}}", line=26, indent=2)
    doc.p(f"联系电话：{{{{ {o}.phone|default(\"／\") }}}}", line=26, indent=2)


def article(doc: Doc, n: str, heading: str) -> None:
    doc.p(R(f"第{n}条　{heading}", face="hei"), line=26, before=6, keep_next=True)


def clause(doc: Doc, *parts: R | str) -> None:
    doc.p(*parts, line=26, first_line=2, align="both")


# --- 安全生产管理协议 ------------------------------------------------------------------------------------------


def heading(doc: Doc, text: str) -> None:
    doc.p(R(text, face="hei"), line=26, before=6, keep_next=True, first_line=2)


def body(doc: Doc, *parts: R | str) -> None:
    doc.p(*parts, line=26, first_line=2, align="both")


# --- the template list -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    id: str
    type: str
    title: str
    build: Any
    ticket_type: str | None = None
    not_shown: dict[str, str] = field(default_factory=dict)
    version: str = VERSION
    generic: bool = False  # the record-sheet layout, made for a type no form is designed for yet
