"""The campaign's templates (issue 7): reports in GB/T 9704 layout, penalty documents, blacklist
decisions. Built from code like every template (doc_templates/build.py, whose helpers this uses).

    .venv/bin/python -m doc_templates.build_campaign    # writes these .docx and merges templates.yaml

:func:`specs` returns ``build.Spec`` entries, so ``build.py`` can list them with its own (before its
generic record-sheet fallback) and one run of ``python -m doc_templates.build`` builds everything.

GB/T 9704—2012 (domain.md §5), as used by ``campaign_report`` and ``campaign_table``:

- A4; margins 天头 37 mm, 订口 28 mm, right 26 mm, bottom 35 mm → text block 156 × 225 mm;
- body 3号仿宋 (16 pt), 22 lines × 28 characters: exact line pitch 28.95 pt (225 mm / 22) and a
  character grid of 156 mm / 28 (docGrid ``linesAndChars``);
- title 2号小标宋 (22 pt), centred; 主送机关 flush left; headings 一、 in 3号黑体, （一） in 3号楷体;
- 附件说明 one blank line under the body, indented 2; signature and date right, 2 characters in;
  附注 in parentheses, indented 2;
- page numbers 4号 宋体 "— 1 —", 7 mm under the text block, odd pages right (one character in),
  even pages left (one character in) — separate odd/even footers;
- attachment on a new page: "附件" in 3号黑体 at the top left, its title centred.

The tables (附件2, 监管台账, and a report's attached table) have as many columns as the record's
``columns``: docxtpl column loops (``{%tc %}``) over an auto-fit table, 宋体 small print.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm

from archive.documents.tables import A4_LANDSCAPE, A4_PORTRAIT
from doc_templates.dsl import ENFORCEMENT_PAGE, HERE, Doc, Font, P, Page, R, Spec, U, add_run, write_para
from doc_templates.forms import ENF, copies_note, enf_body, enf_head, seal_block

GB_PAGE = Page(top=A4_PORTRAIT.top, bottom=A4_PORTRAIT.bottom, left=A4_PORTRAIT.left, right=A4_PORTRAIT.right)
# A landscape table bound with portrait pages turns its header to the binding edge (GB/T 9704 10.2):
# the portrait 订口 (28) becomes the top, 天头 (37) the right, the bottom (35) the left. The paper
# itself (A4 or A3) is the one the table needs (calc.page_width/page_height).
GB_LANDSCAPE = Page(top=A4_LANDSCAPE.top, bottom=A4_LANDSCAPE.bottom, left=A4_LANDSCAPE.left, right=A4_LANDSCAPE.right)
BODY = Font("body", 16)  # 3号仿宋
LINE = 28.95  # 225 mm / 22 lines, in points
CHARS = 28
TITLE = 22  # 2号
PAGE_NO = 14  # 4号


class GbDoc(Doc):
    """A Doc in GB/T 9704 layout: character grid, odd/even "— n —" page numbers."""

    def __init__(self, title: str, page: Page = GB_PAGE, font: Font = BODY, *, landscape: bool = False) -> None:
        self._landscape = landscape
        super().__init__(title, page, font)
        s = self.d.sections[0]
        if landscape:
            s.orientation = WD_ORIENT.LANDSCAPE
            s.page_width, s.page_height = Mm(297), Mm(210)
        # page number 7 mm under the text block: footer text bottom ≈ bottom margin − 7 mm − one 4号 line
        s.footer_distance = Mm(max(8, page.bottom - 7 - 6))
        s.header_distance = Mm(15)
        self._grid()

    @property
    def text_width(self) -> float:
        return (297 if self._landscape else 210) - self.page.left - self.page.right

    def _grid(self) -> None:
        """22 lines per page (line grid, exact 28.95 pt body lines) and 28 characters per line: a
        3号 character is 16 pt and 28 of them are 448 pt, the block 442 pt wide, so body text is
        condensed by 0.2 pt per character (Normal style). A character grid ("linesAndChars")
        would do the same in Word, but LibreOffice then gives each 16 pt character two cells."""
        sect = self.d.sections[0]._sectPr
        for old in sect.findall(qn("w:docGrid")):
            sect.remove(old)
        grid = OxmlElement("w:docGrid")
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(int(round(LINE * 20))))
        sect.append(grid)
        width_pt = (self.text_width if not self._landscape else 156) / 25.4 * 72
        condense = math.floor((width_pt / CHARS - BODY.size) * 20)  # twentieths of a point, negative; floor: 28 must fit
        rpr = self.d.styles["Normal"].element.get_or_add_rPr()
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(condense))
        sz = rpr.find(qn("w:sz"))
        if sz is not None:
            sz.addprevious(spacing)
        else:
            rpr.append(spacing)

    def page_size(self, width: str, height: str) -> None:
        """The paper from the render context: ``width`` and ``height`` are expressions (twips)."""
        self._page_size = (width, height)

    def save(self, path: Path) -> bytes:
        """Paragraphs that are not 3号 body text (titles, tables, notes) do not snap to the line grid."""
        body_sz = str(int(BODY.size * 2))
        for p in self.d.element.body.iter(qn("w:p")):
            ppr = p.find(qn("w:pPr"))
            if ppr is None:
                continue
            mark = ppr.find(qn("w:rPr"))
            sz = mark.find(qn("w:sz")) if mark is not None else None
            run_sizes = {s.get(qn("w:val")) for s in p.iter(qn("w:sz"))}
            if (sz is not None and sz.get(qn("w:val")) != body_sz) or (run_sizes - {body_sz}):
                snap = OxmlElement("w:snapToGrid")
                snap.set(qn("w:val"), "0")
                ppr.find(qn("w:spacing")).addprevious(snap)
        size = getattr(self, "_page_size", None)
        if size:
            pg = self.d.sections[0]._sectPr.find(qn("w:pgSz"))
            pg.set(qn("w:w"), f"{{{{ {size[0]} }}}}")
            pg.set(qn("w:h"), f"{{{{ {size[1]} }}}}")
        return super().save(path)

    def _footer(self) -> None:
        s = self.d.sections[0]
        self.d.settings.odd_and_even_pages_header_footer = True
        f = Font("song", PAGE_NO)
        for footer, align, side in ((s.footer, "right", "right_indent"), (s.even_page_footer, "left", "indent")):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0]
            write_para(p, P(("— ",), align=align, **{side: 1}), f)
            self._field(p, "PAGE", f)
            add_run(p, R(" —"), f)

    # -- GB/T 9704 pieces
    def body(self, *parts: R | str, first_line: float = 2, **kw: Any) -> "GbDoc":
        kw.setdefault("align", "both")
        return self.p(*parts, first_line=first_line, line=LINE, **kw)

    def blank(self) -> "GbDoc":
        return self.p("", line=LINE)


def gb_title(doc: GbDoc, text: str) -> None:
    doc.p(R(text, face="title", size=TITLE), align="center", line=LINE * 1.25)


def dynamic_table(doc: Doc, table: str, layout: str, face: str = "song", header_face: str = "hei") -> None:
    """A bordered table: the heading row from ``{layout}.headings``, one row per item of
    ``{layout}.rows`` with its ``cells`` — columns by docxtpl ``{%tc %}`` loops, each as wide as
    ``{layout}.grid`` says (twips), in ``{layout}``'s font size: the layout the render context
    fits to the table's content (archive/documents/tables.py: calc.tables). The heading row repeats
    on every page; the last row keeps with what follows the table. Cell text is not condensed by
    the 公文 character grid: the widths are measured for the font's own metrics."""
    border = "".join(f'<w:{e} w:val="single" w:sz="{4 if e.startswith("inside") else 8}" w:space="0" w:color="000000"/>'
                     for e in ("top", "left", "bottom", "right", "insideH", "insideV"))
    tbl = parse_xml(
        f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{{{{ {layout}.width }}}}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:top w:w="20" w:type="dxa"/><w:left w:w="57" w:type="dxa"/><w:bottom w:w="20" w:type="dxa"/>'
        '<w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
        '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
        f'</w:tblPr><w:tblGrid>{{% for w in {layout}.grid %}}<w:gridCol w:w="{{{{ w }}}}"/>{{% endfor %}}</w:tblGrid></w:tbl>'
    )
    doc.d.element.body._insert_tbl(tbl)
    width_expr = f"{{{{ {layout}.grid[loop.index0] }}}}"

    def row(cells: list[tuple[str, str, str, bool]], header: bool = False, keep: str | bool = False) -> None:
        from docx.text.paragraph import Paragraph

        tr = OxmlElement("w:tr")
        trpr = OxmlElement("w:trPr")
        trpr.append(OxmlElement("w:cantSplit"))
        if header:
            trpr.append(OxmlElement("w:tblHeader"))
        tr.append(trpr)
        for text, f, align, sized in cells:
            tc = OxmlElement("w:tc")
            width = width_expr if sized else f"{{{{ {layout}.width }}}}"
            tc.append(parse_xml(f'<w:tcPr {nsdecls("w")}><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'))
            p = OxmlElement("w:p")
            tc.append(p)
            tr.append(tc)
            write_para(Paragraph(p, None), P((text,), align="left" if align == "layout" else align, line=10, keep_next=keep), Font(f, 8))
            # the layout's size and line height, no character-grid condensing
            for sz in p.iter(qn("w:sz"), qn("w:szCs")):
                sz.set(qn("w:val"), f"{{{{ {layout}.half_points }}}}")
            for sp in p.iter(qn("w:spacing")):
                if sp.get(qn("w:line")) is not None:
                    sp.set(qn("w:line"), f"{{{{ {layout}.line }}}}")
            if align == "layout":
                p.find(qn("w:pPr")).find(qn("w:jc")).set(qn("w:val"), f"{{{{ {layout}.align[loop.index0] }}}}")
            for rpr in p.iter(qn("w:rPr")):
                if rpr.getparent().tag == qn("w:r"):
                    spacing = OxmlElement("w:spacing")
                    spacing.set(qn("w:val"), "0")
                    rpr.find(qn("w:sz")).addprevious(spacing)
            # what a cell does not need, in a table of thousands of rows (each element and attribute
            # is ~0.1–0.2 KB of the rendered document's tree: the ledger at 10^5 records is 46,000
            # cells): the paragraph mark's own font (every cell holds text: "／" when empty; the
            # line height is exact), the complex-script face and size (no such text in a cell)
            p.find(qn("w:pPr")).remove(p.find(qn("w:pPr")).find(qn("w:rPr")))
            for fonts in p.iter(qn("w:rFonts")):
                fonts.attrib.pop(qn("w:cs"), None)
            for cs in list(p.iter(qn("w:szCs"))):
                cs.getparent().remove(cs)
        tbl.append(tr)

    def tag_row(text: str) -> None:
        row([(text, face, "left", False)])

    row([("{%tc for c in " + layout + ".headings %}", header_face, "center", False), ("{{ c }}", header_face, "center", True),
         ("{%tc endfor %}", header_face, "center", False)], header=True)
    tag_row("{%tr for r in " + layout + ".rows %}")
    row([("{%tc for c in r.cells %}", face, "left", False), ("{{ c }}", face, "layout", True), ("{%tc endfor %}", face, "left", False)],
        keep="r.keep")
    tag_row("{%tr endfor %}")


def _signature(doc: GbDoc, name: str, day: str) -> None:
    """署名 and 成文日期 without a seal (GB/T 9704 7.3.5.2): right, two characters in."""
    doc.p("", line=LINE, keep_next=True)
    doc.p(name, align="right", right_indent=2, line=LINE, keep_next=True)
    doc.p(day, align="right", right_indent=2, line=LINE, keep_next=True)


def _sealed_signature(doc: GbDoc, name: str, day: str) -> None:
    """署名 and 成文日期 of a sealed document (GB/T 9704 7.3.5.1): the date right, four characters in;
    the issuing organisation's name centred on the date; room above for the seal, which presses on
    both (the seal image is printed there when the archive has one)."""
    char = BODY.size * 25.4 / 72  # one 3号 character, mm
    centre = doc.text_width - 4 * char - 3.75 * char  # the centre of a date such as 2026年6月10日
    tab = (("center", centre),)
    doc.p("{% if images.authority_seal %}{{ images.authority_seal }}{% endif %}", align="right", right_indent=4, line=LINE, keep_next=True)
    doc.p("", line=LINE, keep_next=True)
    doc.p("\t" + name, line=LINE, keep_next=True, tabs=tab)
    doc.p("\t" + day, line=LINE, keep_next=True, tabs=tab)


def _red(doc: Doc) -> None:
    """The last paragraph's runs in red (the 发文机关标志 of GB/T 9704 7.2.2)."""
    from docx.shared import RGBColor

    for run in doc.d.paragraphs[-1].runs:
        run.font.color.rgb = RGBColor(0xE6, 0x00, 0x12)


def _red_rule(doc: Doc) -> None:
    """The red separator line under the 发文字号 (GB/T 9704 7.2.5): the bottom border of the paragraph."""
    ppr = doc.d.paragraphs[-1]._p.get_or_add_pPr()
    bdr = parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="12" w:space="6" w:color="E60012"/></w:pBdr>')
    spacing = ppr.find(qn("w:spacing"))
    (spacing.addprevious if spacing is not None else ppr.append)(bdr)


#: space above the 发文机关标志 so that its top edge is 35 mm under the top of the text block (GB/T 9704—2012
#: 7.2.4; measured on the PDF: the 30 pt mark in its 48 pt line starts 3 mm under the line's top)
MARK_BEFORE = 90


def _upward_head(doc: GbDoc) -> None:
    """版头 of an upward 公文 (GB/T 9704—2012 7.2): the 发文机关标志 in red, its top edge 35 mm under
    the top of the text block; two lines under it the 发文字号 left (one character in) and the
    签发人 right on one line; the red separator line 4 mm under them; two lines under that the
    title (the blank line before the title is the caller's)."""
    doc.tag("{%p if doc.doc_no %}")
    doc.p(R("{{ doc.author_name }}文件", face="title", size=30), align="center", line=48, before=MARK_BEFORE, after=12)
    _red(doc)
    doc.p("", line=LINE)
    doc.p("　{{ doc.doc_no }}{% if doc.signer %}\t签发人：", R("{{ doc.signer }}{% endif %}", face="kai"), line=LINE,
          tabs=(("right", doc.text_width - BODY.size * 25.4 / 72),))
    _red_rule(doc)
    doc.blank()
    doc.tag("{%p endif %}")


# --- campaign_report: 自查报告 / 工作总结报告 ----------------------------------------------------------------


def build_campaign_report() -> Doc:
    doc = GbDoc("外包作业安全专项整治报告")
    _upward_head(doc)
    doc.blank()
    gb_title(doc, f"{{{{ doc.title|title_lines({doc.text_width:.1f}, {TITLE}) }}}}")
    doc.blank()
    doc.p("{{ doc.recipient }}：", line=LINE)
    doc.tag("{%p for s in doc.sections %}")
    doc.tag("{%p set last_section = loop.last %}")
    doc.tag("{%p if s.heading and s.level == 1 %}")
    doc.body(R("{{ s.heading }}", face="hei"), align="left", keep_next=True)
    doc.tag("{%p elif s.heading %}")
    doc.body(R("{{ s.heading }}", face="kai"), align="left", keep_next=True)
    doc.tag("{%p endif %}")
    doc.tag("{%p for x in s.paragraphs %}")
    doc.tag("{%p if last_section and loop.last %}")  # the last lines of the body keep with the signature block
    doc.body("{{ x }}", keep_next=True)
    doc.tag("{%p else %}")
    doc.body("{{ x }}")
    doc.tag("{%p endif %}")
    doc.tag("{%p endfor %}")
    doc.tag("{%p endfor %}")
    doc.tag("{%p if doc.attachments %}")
    doc.p("", line=LINE, keep_next=True)
    doc.tag("{%p for a in doc.attachments %}")
    doc.body("{% if loop.first %}附件：{% else %}　　　{% endif %}{% if doc.attachments|length > 1 %}{{ loop.index }}. {% endif %}{{ a }}",
             align="left", keep_next=True)
    doc.tag("{%p endfor %}")
    doc.tag("{%p endif %}")
    _sealed_signature(doc, "{{ doc.author_name }}", "{{ doc.issued_on|cn_date }}")
    doc.tag("{%p if doc.contact %}")
    doc.body("（{{ doc.contact }}）", align="left")
    doc.tag("{%p endif %}")
    # at most one attached table per report (the builders in archive/reports.py make one)
    doc.tag("{%p if doc.tables %}")
    doc.p(R("", page_break=True))
    doc.p(R("附件", face="hei"), line=LINE)
    doc.blank()
    doc.p(R(f"{{{{ doc.tables[0].title|title_lines({doc.text_width:.1f}, {TITLE}) }}}}", face="title", size=TITLE), align="center",
          line=LINE * 1.25)
    doc.blank()
    doc.tag("{%p endif %}")
    doc.tag("{%p if doc.tables %}")
    dynamic_table(doc, "doc.tables[0]", "calc.tables[0]")
    doc.tag("{%p if doc.tables[0].note %}")
    doc.p(R("注：{{ doc.tables[0].note }}", size=12), line=20, before=4)
    doc.tag("{%p endif %}")
    doc.tag("{%p endif %}")
    _imprint(doc)
    return doc


def _imprint(doc: GbDoc) -> None:
    """版记 of a 机关's 公文 (GB/T 9704—2012 7.4): 印发机关 one character in on the left, 印发日期 with
    "印发" one character in on the right, in 4号仿宋, between two thick separator lines the width
    of the text block. It follows the last page's content (LibreOffice 7.4 ignores the position of
    a floating table, so it cannot be pinned to the foot of the page)."""
    doc.tag("{%p if doc.doc_no %}")
    doc.p("", line=LINE, keep_next=True)
    char = PAGE_NO * 25.4 / 72
    doc.p(R("　{{ doc.author_name }}\t{{ doc.issued_on|cn_date }}印发", size=PAGE_NO), line=LINE,
          tabs=(("right", doc.text_width - 2 * char),))
    ppr = doc.d.paragraphs[-1]._p.get_or_add_pPr()
    bdr = parse_xml(f'<w:pBdr {nsdecls("w")}><w:top w:val="single" w:sz="8" w:space="4" w:color="000000"/>'
                    '<w:bottom w:val="single" w:sz="8" w:space="4" w:color="000000"/></w:pBdr>')
    ppr.find(qn("w:tabs")).addprevious(bdr)
    doc.tag("{%p endif %}")


# --- campaign_table: 附件2 外包作业情况表 / 外包作业队伍监管台账 ------------------------------------------------------


def build_campaign_table() -> Doc:
    doc = GbDoc("外包作业情况表", GB_LANDSCAPE, BODY, landscape=True)
    doc.tag("{%p if doc.kind == 'attachment2' %}")
    doc.p(R("附件2", face="hei"), line=LINE)
    doc.tag("{%p endif %}")
    doc.p(R("{{ doc.title }}", face="title", size=TITLE), align="center", line=LINE * 1.25, after=4)
    doc.p(R("填报单位：{{ doc.author_name }}"
            "{% if doc.enterprise %}（统一社会信用代码：{{ doc.enterprise }}）{% else %}（统一社会信用代码：{{ doc.bureau }}）{% endif %}",
            size=12), line=20)
    doc.p(R("数据截至：{{ doc.as_of|cn_date }}　　填报日期：{{ doc.issued_on|cn_date }}", size=12), line=20, after=4)
    doc.tag("{%p for t in doc.tables %}")
    doc.tag("{%p if doc.tables|length > 1 %}")
    doc.p(R("{{ t.title }}", face="hei", size=12), line=20)
    doc.tag("{%p endif %}")
    doc.tag("{%p endfor %}")
    dynamic_table(doc, "doc.tables[0]", "calc.tables[0]")
    doc.tag("{%p if doc.tables[0].note %}")
    doc.p(R("注：{{ doc.tables[0].note }}", size=10.5), line=16, before=4, keep_next=True)
    doc.tag("{%p endif %}")
    doc.p(R("填报人：{{ doc.filled_by|default('　　　　') }}　　联系电话：{{ doc.contact|default('　　　　') }}", size=10.5),
          line=18, before=6)
    doc.page_size("calc.page_width", "calc.page_height")
    return doc


# --- 行政处罚告知书 / 决定书 ----------------------------------------------------------------------------------


def _you() -> str:
    return "{% if doc.person %}你{% else %}你单位{% endif %}"


def _party_line(doc: Doc) -> None:
    doc.p(U("{% if doc.person %}{{ doc.person.name }}{% else %}{{ org.unit.name }}{% endif %}"), "：", line=28)


def _involved(doc: Doc) -> None:
    doc.tag("{%p if doc.contractor or doc.project %}")
    enf_body(doc, "（涉及承包单位：{% if doc.contractor %}{{ org.contractor.name|default(doc.contractor) }}{% else %}／{% endif %}"
                  "{% if doc.project %}，项目编号：{{ doc.project }}{% endif %}）")
    doc.tag("{%p endif %}")


def _penalty_text() -> str:
    return ("{% if doc.fine is not none %}罚款人民币{{ doc.fine|rmb_upper }}（¥{{ doc.fine|money }}）{% endif %}"
            "{% for x in doc.other_penalties %}{% if doc.fine is not none or not loop.first %}；{% endif %}{{ x|strip_period }}{% endfor %}")


def _evidence_list(doc: Doc) -> None:
    doc.tag("{%p for e in doc.evidence %}")
    enf_body(doc, "{{ loop.index }}．", U("{{ e.name|strip_period }}{% if e.refs %}（{{ e.refs|join('、') }}）{% endif %}"),
             "{% if loop.last %}。{% else %}；{% endif %}", align="left")
    doc.tag("{%p endfor %}")


def build_penalty_notice() -> Doc:
    doc = Doc("行政处罚告知书", ENFORCEMENT_PAGE, ENF)
    enf_head(doc, "{{ doc.authority_name }}", "行政处罚告知书")
    _party_line(doc)
    enf_body(doc, "经查，", U("{{ doc.facts|strip_period }}"), "。")
    enf_body(doc, "以上事实有下列证据为证：")
    _evidence_list(doc)
    enf_body(doc, "（证据材料见本案证据清单，案件编号：", U("{{ doc.case_no }}"), "。）")
    _involved(doc)
    enf_body(doc, _you(), "的上述行为违反了", U("{{ doc.violated|strip_period }}"), "的规定，依据", U("{{ doc.legal_basis|strip_period }}"),
             "的规定，本机关拟对", _you(), "作出如下行政处罚：", U(_penalty_text()),
             "{% if doc.correction_deadline or doc.correction %}；并拟责令" + _you()
             + "{% if doc.correction_deadline %}于{{ doc.correction_deadline|cn_date }}前{% endif %}"
             "{{ doc.correction|default('改正上述违法行为')|strip_period }}{% endif %}。")
    enf_body(doc, "根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，", _you(), "可在收到本告知书之日起",
             U("{{ doc.statement_days|cn_num }}"), "日内向本机关进行陈述、申辩；逾期不提出的，视为放弃此权利。")
    doc.tag("{%p if doc.hearing_right %}")
    enf_body(doc, "根据《中华人民共和国行政处罚法》第六十三条、第六十四条的规定，", _you(), "有权在收到本告知书之日起",
             U("{{ doc.hearing_days|cn_num }}"), "日内向本机关要求举行听证；逾期不提出听证要求的，视为放弃此权利。")
    doc.tag("{%p endif %}")
    doc.gap(8)
    seal_block(doc, "{{ doc.authority_name }}", "{{ doc.issued_on|cn_date }}", copies_note("当事人"), lines=(
        P(("执法机关地址：", U("{{ doc.authority_address }}"), "　　邮政编码：", U("{{ doc.authority_postcode|default('／') }}")), line=28, before=6),
        P(("联系人：", U("{{ doc.contact_person }}"), "　　联系电话：", U("{{ doc.contact_phone }}")), line=28)))
    return doc


def build_penalty_decision() -> Doc:
    doc = Doc("行政处罚决定书", ENFORCEMENT_PAGE, ENF)
    enf_head(doc, "{{ doc.authority_name }}", "行政处罚决定书{% if doc.person %}（个人）{% else %}（单位）{% endif %}")
    doc.tag("{%p if doc.person %}")
    doc.p("被处罚人：", U("{{ doc.person.name }}"), "　　工作单位：", U("{{ org.unit.name }}"),
          "{% if doc.person.title %}　　职务：{{ doc.person.title }}{% endif %}", line=28)
    doc.p("住址：", U("{{ doc.person_address|default('／') }}"), "{% if doc.person.phone %}　　联系电话：{{ doc.person.phone }}{% endif %}", line=28)
    doc.tag("{%p else %}")
    doc.p("被处罚单位：", U("{{ org.unit.name }}"), line=28)
    doc.p("统一社会信用代码：", U("{{ doc.unit }}"), line=28)
    doc.p("地址：", U("{{ org.unit.address|default('／') }}"), "　　邮政编码：", U("{{ org.unit.postcode|default('／') }}"), line=28)
    doc.p("法定代表人：", U("{{ org.unit.legal_representative|default('／') }}"), "　　职务：",
          U("{{ org.unit.legal_representative_title|default('／') }}"), line=28)
    doc.p("联系电话：", U("{{ org.unit.phone|default('／') }}"), line=28)
    doc.tag("{%p endif %}")
    enf_body(doc, "违法事实及证据：", U("{{ doc.facts|strip_period }}"), "。")
    enf_body(doc, "以上事实有下列证据为证：")
    _evidence_list(doc)
    enf_body(doc, "（证据材料见本案证据清单，案件编号：", U("{{ doc.case_no }}"), "。）")
    _involved(doc)
    enf_body(doc, "本机关于", U("{{ doc.notice_issued_on|cn_date }}"), "以行政处罚告知书（", U("{{ doc.notice_doc_no }}"), "）告知",
             _you(), "拟作出行政处罚的事实、理由、依据及依法享有的权利。", "{% if doc.statement_summary %}",
             U("{{ doc.statement_summary|strip_period }}"), "。{% endif %}")
    enf_body(doc, _you(), "的上述行为违反了", U("{{ doc.violated|strip_period }}"), "的规定，依据", U("{{ doc.legal_basis|strip_period }}"),
             "的规定，决定给予", U(_penalty_text()), "的行政处罚",
             "{% if doc.correction_deadline or doc.correction %}，并责令" + _you()
             + "{% if doc.correction_deadline %}于{{ doc.correction_deadline|cn_date }}前{% endif %}"
             "{{ doc.correction|default('改正上述违法行为')|strip_period }}{% endif %}。")
    enf_body(doc, "{% if doc.fine is not none %}罚款限于收到本决定书之日起", U("{{ doc.payment_days|cn_num }}"), "日内缴至",
             U("{{ doc.payment_account|strip_period }}"), "。到期不缴纳罚款的，本机关可以每日按罚款数额的",
             U("{{ doc.surcharge_pct|num }}%"), "加处罚款，加处罚款的数额不超出罚款的数额。{% endif %}")
    enf_body(doc, "如果不服本处罚决定，可以在收到本决定书之日起", U("{{ doc.review_days|cn_num }}"), "日内依法向",
             U("{{ doc.review_authority|default('本机关的本级人民政府') }}"), "申请行政复议，或者在",
             U("{{ doc.litigation_months|cn_num }}"), "个月内依法向人民法院提起行政诉讼，但本决定不停止执行，法律另有规定的除外。")
    doc.gap(8)
    seal_block(doc, "{{ doc.authority_name }}", "{{ doc.decided_on|cn_date }}", copies_note("{% if doc.person %}被处罚人{% else %}被处罚单位{% endif %}"))
    return doc


# --- 黑名单 -------------------------------------------------------------------------------------------------


def _listing_opening(doc: Doc, verb: str, number: str, *, person_id: bool) -> None:
    """Head, addressee and listed person of a 列入 / 移出 decision (``verb``): an individual is
    addressed by name as 你, a unit by its name as 你单位."""
    enf_head(doc, "{{ doc.decided_by }}",
             f"{{% if doc.list == 'statutory' %}}{verb}安全生产严重失信主体名单决定书{{% else %}}{verb}承包商黑名单决定{{% endif %}}",
             number, size=22)
    doc.p(U("{{ doc.subject_name }}"), "{% if doc.subject and not doc.person %}（统一社会信用代码：{{ doc.subject }}）{% endif %}", "：",
          line=28)
    doc.tag("{%p if doc.person %}")
    enf_body(doc, "被列入人：", U("{{ doc.person.name }}"
                             + ("{% if doc.person.id_number %}，身份证号：{{ doc.person.id_number }}{% endif %}" if person_id else "")
                             + "{% if doc.person.unit %}，工作单位：{{ doc.person.unit }}{% endif %}"), "。")
    doc.tag("{%p endif %}")


def _bl_you() -> str:
    return "{% if doc.person %}你{% else %}你单位{% endif %}"


def _bl_copies() -> str:
    return ("本文书一式两份：一份由{% if doc.list == 'statutory' %}本机关{% else %}本单位{% endif %}存档，"
            "一份交{% if doc.person %}被列入人{% else %}被列入单位{% endif %}。")


def build_blacklist_entry() -> Doc:
    doc = Doc("列入黑名单决定", ENFORCEMENT_PAGE, ENF)
    _listing_opening(doc, "列入", "{{ doc.entry_no }}", person_id=True)
    enf_body(doc, "经查，", U("{{ doc.facts|strip_period }}"), "。")
    doc.tag("{%p if doc.evidence %}")
    enf_body(doc, "以上事实有", U("{{ doc.evidence|join('；') }}"), "等证据为证。")
    doc.tag("{%p endif %}")
    doc.tag("{%p if doc.list == 'statutory' %}")
    enf_body(doc, "依据《安全生产严重失信主体名单管理办法》（应急管理部令第11号），", _bl_you(), "属于该办法规定的第（", U("{{ doc.situation }}"),
             "）项列入情形{% if doc.penalty_decision_no %}（行政处罚决定书：", U("{{ doc.penalty_decision_no }}"), "）{% endif %}，"
             "本机关决定将" + _bl_you() + "列入安全生产严重失信主体名单。")
    doc.tag("{%p else %}")
    enf_body(doc, "{% if doc.trigger and doc.trigger != '其他' %}因" + _bl_you(), U("{{ doc.trigger }}"), "，{% else %}鉴于上述情况，{% endif %}"
             "依据{% if doc.trigger in ('季度安全生产考核不合格', '重大事故隐患不整改', '发生亡人事故') %}外包作业安全专项整治工作方案"
             "关于将此类承包单位纳入“黑名单”管理的要求和{% endif %}安全生产管理协议的约定，"
             "本单位决定将" + _bl_you() + "列入承包商黑名单。")
    doc.tag("{%p endif %}")
    # several measures are numbered paragraphs, one each: a single paragraph of them ran to a page,
    # and LibreOffice moved it whole to keep it with the seal, stranding the seal when it did not fit
    lead = ("管理期限：自", U("{{ doc.start|cn_date }}"), "至", U("{{ doc.end|cn_date }}"), "止。管理期限内采取以下措施：")
    doc.tag("{%p if doc.measures|length > 1 %}")
    enf_body(doc, *lead)
    doc.tag("{%p for m in doc.measures %}")
    enf_body(doc, "{{ loop.index }}．", U("{{ m|strip_period }}"), "{% if loop.last %}。{% else %}；{% endif %}")
    doc.tag("{%p endfor %}")
    doc.tag("{%p else %}")
    enf_body(doc, *lead, U("{{ doc.measures|join('；')|default('依法依规实施管理')|strip_period }}"), "。")
    doc.tag("{%p endif %}")
    doc.tag("{%p if doc.list == 'statutory' %}")
    enf_body(doc, "列入满{{ settings.blacklist_early_removal_months|cn_num }}个月后，符合条件的，可以向本机关申请提前移出。"
                  "{% if doc.notice_served_on %}本机关已于{{ doc.notice_served_on|cn_date }}告知" + _bl_you()
             + "列入的事实、理由、依据和依法享有的权利。{% endif %}"
                  "{% if doc.published_on %}本决定于{{ doc.published_on|cn_date }}向社会公开。{% endif %}")
    doc.tag("{%p endif %}")
    doc.gap(6)
    doc.keep_previous(4)  # (the statutory paragraph, the single-measure one, the last numbered measure and their lead-in)
    seal_block(doc, "{{ org.listed_by.name|default(doc.decided_by) }}", "{{ doc.decided_on|cn_date }}", _bl_copies())
    return doc


def build_blacklist_removal() -> Doc:
    doc = Doc("移出黑名单决定", ENFORCEMENT_PAGE, ENF)
    _listing_opening(doc, "移出", "{{ doc.removal_no }}", person_id=False)
    enf_body(doc, _bl_you(), "于", U("{{ doc.entry_start|cn_date }}"), "起被列入",
             "{% if doc.list == 'statutory' %}安全生产严重失信主体名单{% else %}承包商黑名单{% endif %}（", U("{{ doc.entry_no }}"), "）。",
             "{% if doc.applied_on %}" + _bl_you() + "于{{ doc.applied_on|cn_date }}提出移出申请。{% endif %}")
    enf_body(doc, "经审查，", U("{{ doc.reason|strip_period }}"), "。{% if doc.list == 'statutory' %}本机关{% else %}本单位{% endif %}决定自",
             U("{{ doc.decided_on|cn_date }}"), "起{% if doc.kind == '撤销列入' %}撤销对" + _bl_you() + "的列入决定，{% endif %}将" + _bl_you() + "移出"
             "{% if doc.list == 'statutory' %}安全生产严重失信主体名单，停止公开并解除相应惩戒措施{% else %}承包商黑名单，解除相应管理措施{% endif %}"
             "（移出方式：", U("{{ doc.kind }}"), "）。")
    doc.gap(6)
    seal_block(doc, "{{ org.listed_by.name|default(doc.decided_by) }}", "{{ doc.decided_on|cn_date }}", _bl_copies())
    return doc


# --- the list -----------------------------------------------------------------------------------------------

PENALTY_NOTE = {
    "bureau": "执法机关以文书首行的执法机关名称（authority_name）和印章体现",
    "article": "处罚条款代码只用于核对罚款幅度，文书写明处罚依据（legal_basis）",
}


def specs() -> list[Spec]:
    return [
        Spec("campaign_report", "campaign_report", "外包作业安全专项整治报告（自查报告、工作总结报告）", build_campaign_report,
             not_shown={"kind": "报告类别由标题体现", "year": "整治年度由标题和正文体现",
                        "report_no": "档案内的报告编号，不印在公文上", "due": "报送期限见整治方案，不印在公文上",
                        "as_of": "数据截止日期写在正文和附表的表注中"}),
        Spec("campaign_table", "campaign_table", "外包作业情况表、外包作业队伍监管台账", build_campaign_table,
             not_shown={"kind": "报表类别由标题和“附件2”标识体现", "report_no": "档案内的报表编号，不印在报表上",
                        "due": "报送期限见整治方案，不印在报表上", "year": "整治年度见表注"}),
        Spec("penalty_notice", "penalty_notice", "行政处罚告知书", build_penalty_notice, not_shown=PENALTY_NOTE),
        Spec("penalty_decision", "penalty_decision", "行政处罚决定书", build_penalty_decision, not_shown=PENALTY_NOTE),
        Spec("blacklist_entry", "blacklist_entry", "列入黑名单决定", build_blacklist_entry,
             not_shown={"list": "名单类别由文书名称体现"}),
        Spec("blacklist_removal", "blacklist_removal", "移出黑名单决定", build_blacklist_removal,
             not_shown={"list": "名单类别由文书名称体现"}),
    ]


def build_all(out_dir: Path = HERE) -> list[Path]:
    """Build these templates and merge their entries into templates.yaml (replacing any entry of
    the same id, e.g. the generic record sheet build.py makes for a type without a form)."""
    written, entries = [], []
    for spec in specs():
        path = out_dir / f"{spec.id}.docx"
        spec.build().save(path)
        written.append(path)
        entry: dict[str, Any] = {"id": spec.id, "file": path.name, "type": spec.type, "version": spec.version, "title": spec.title}
        if spec.not_shown:
            entry["not_shown"] = dict(spec.not_shown)
        entries.append(entry)
    meta = out_dir / "templates.yaml"
    text = meta.read_text(encoding="utf-8") if meta.exists() else ""
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    data = yaml.safe_load(text) if text else None
    current = list((data or {}).get("templates") or [])
    mine = {e["id"]: e for e in entries}
    merged = [mine.pop(e["id"], e) for e in current] + list(mine.values())
    meta.write_text(header + yaml.safe_dump({"templates": merged}, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    return written


def main() -> None:
    for p in build_all():
        print(p.relative_to(HERE.parent))
    print("doc_templates/templates.yaml")


if __name__ == "__main__":
    main()
