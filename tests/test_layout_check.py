"""archive/documents/layout.py: the layout check of converted PDFs, and the pagination rules of the
templates it enforces, over every example document and the stress set (tests/stress_cases.py).

The defects of the old layout (issue 13) are rebuilt here with the template DSL the old way —
a signature block after a full page with nothing keeping it, rows allowed to split, a label and
a date in cells too narrow for them — and the check must name each one; the real templates must
pass it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from archive.documents.layout import check_layout, check_text
from archive.documents.tables import join_lines
from doc_templates.dsl import ENFORCEMENT_PAGE, TEXT_PAGE, C, Doc, Font, Grid, L, P, R, fit_label
from tests import layout_corpus

pytestmark = [pytest.mark.soffice, pytest.mark.slow, pytest.mark.skipif(
    not Path("/usr/lib/libreoffice/program/soffice.bin").exists(), reason="LibreOffice not installed (scripts/setup.sh)")]

def _old_layout(tmp: Path, n: int = 16) -> bytes:
    """A document with the defects of issue 13, built without the pagination rules (``n`` articles
    before the signature block)."""
    w = TEXT_PAGE.text_width
    d = Doc("旧版式", TEXT_PAGE, Font("body", 14))
    g = Grid(w)
    # a label and a date in cells too narrow for them ("联系电/话", "9时05/分")
    g.row(C("联系电话", 14, align="center"), C("0531-88881234", 40), C("作业时间", 20), C("2026年4月30日 9时05分", 22),
          C("项目", w - 96))
    d.grid(g)
    # a table whose rows may split across the page
    t = Grid(w)
    for i in range(6):
        t.row(C(str(i + 1), 12), C([P(("安全措施内容较长，需要多行显示。" * 6,))] * 3, w - 12))
    d.grid(t)
    for i in range(n):
        d.p(f"第{i + 1}条　" + "甲乙双方应当遵守安全生产法律法规。" * 3, line=26)
    d.p("（以下无正文）", line=26)
    # the signature block as loose paragraphs: nothing keeps it with the text or together
    for line in ("甲方（盖章）：", "济南华锐重型机械有限公司", "法定代表人或委托代理人（签字）：", "日期：2026年4月24日", "签订日期：2026年4月24日"):
        d.p(line, line=26)
    docx = d.save(tmp / f"old{n}.docx")
    # the old templates let rows split: drop cantSplit
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            blob = src.read(item.filename)
            if item.filename == "word/document.xml":
                blob = blob.replace(b"<w:cantSplit/>", b"")
            out.writestr(item, blob)
    return buf.getvalue()


def test_the_check_finds_the_defects_of_the_old_layout(tmp_path):
    """As many articles as move the loose signature block over the page end, one way or another."""
    pdfs = layout_corpus.convert([(str(n), _old_layout(tmp_path, n)) for n in range(2, 14)])
    found = {n: check_layout(pdf) for n, pdf in pdfs.items()}
    kinds = {p.kind for ps in found.values() for p in ps}
    details = " ".join(p.detail for ps in found.values() for p in ps)
    assert {"broken", "row_split", "signature_alone", "signature_split"} <= kinds, found
    assert "联系电话" in details and "9时05分" in details


def test_the_check_finds_a_name_broken_in_a_list_of_names(tmp_path):
    """"蒋德明、沈玉/梅" in a narrow cell (the tickets' 接受交底人 once broke so); the names filter
    breaks the list between names."""
    w = TEXT_PAGE.text_width
    docs = []
    for name, text in (("raw", "蒋德明、沈玉梅、朱大勇、秦卫国"), ("joined", join_lines(["蒋德明", "沈玉梅", "朱大勇", "秦卫国"], 27, 10.5))):
        d = Doc("名单", TEXT_PAGE, Font("body", 14))
        d.grid(Grid(w).row(C("接受交底人", 30), C([P((line,)) for line in text.split("\n")], 27), C("", w - 57)))
        docs.append((name, d.save(tmp_path / f"{name}.docx")))
    pdfs = layout_corpus.convert(docs)
    assert [p.detail for p in check_layout(pdfs["raw"]) if p.kind == "broken"] == ["蒋德明、沈玉⏎梅、朱大勇、秦卫国（沈玉梅）"]
    assert [p for p in check_layout(pdfs["joined"]) if p.kind == "broken"] == []


def test_a_heading_row_of_several_lines_is_found_repeated(tmp_path):
    """A heading row whose cells take two and three lines, repeated on the pages a table of 40 rows
    runs onto: its lines interleave on the page (the check once missed it there)."""
    w = TEXT_PAGE.text_width
    d = Doc("续表", TEXT_PAGE, Font("body", 14))
    g = Grid(w)
    g.row(L("序号", 14), L("统一社会信用代码", 22), L("资质/许可证\n（名称、编号、\n有效期至）", w - 36), header=True)
    for i in range(40):
        g.row(C(str(i + 1), 14), C("91370112MA3F7R1K8F", 22), C("安全生产许可证，有效期至2027年6月11日。" * 2, w - 36))
    d.grid(g)
    pdf = layout_corpus.convert([("table", d.save(tmp_path / "table.docx"))])["table"]
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    assert [p.line() for p in check_layout(pdf) if p.kind == "header_missing"] == []


@pytest.fixture(scope="module")
def examples() -> dict[str, bytes]:
    return layout_corpus.convert(layout_corpus.render(layout_corpus.example_documents()))


@pytest.fixture(scope="module")
def stress(tmp_path_factory) -> dict[str, bytes]:
    from tests.stress_cases import stress_documents

    return layout_corpus.convert(layout_corpus.render(stress_documents(tmp_path_factory.mktemp("stress"))))


def test_every_example_passes_the_layout_check(examples):
    assert len(examples) >= 60
    assert {"campaign-table-WBQK-2026", "campaign-report-ZCBG-2026", "campaign-table-JGTZ-2026-1129",
            "campaign-report-ZJBG-2026"} <= set(examples)  # 附件2, 自查报告, the bureau's 台账 and 总结报告
    bad = {name: [p.line() for p in check_layout(pdf) + check_text(pdf)] for name, pdf in examples.items()}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_stress_set_passes_the_layout_check(stress):
    assert {"stress-ticket-hot-work", "stress-rectification-order", "stress-training", "stress-campaign-table",
            "stress-campaign-ledger", "stress-campaign-report"} <= set(stress)
    bad = {name: [p.line() for p in check_layout(pdf) + check_text(pdf)] for name, pdf in stress.items()}
    assert {k: v for k, v in bad.items() if v} == {}


def test_long_documents_run_onto_several_pages(stress):
    """The stress set does stress: 60 workers, 20 measures, 30 gas samples and 30 items take pages."""
    from pypdf import PdfReader

    pages = {k: len(PdfReader(io.BytesIO(v)).pages) for k, v in stress.items()}
    assert pages["stress-ticket-confined-space"] >= 3 and pages["stress-rectification-order"] >= 4, pages
    assert pages["stress-campaign-table"] >= 3 and pages["stress-campaign-ledger"] >= 3, pages


def test_gas_table_heading_repeats_on_every_page_it_runs_onto(stress):
    from archive.documents.layout import page_texts, _read

    pdf = stress["stress-ticket-confined-space"]
    pages, _, _ = _read(pdf)
    texts = page_texts(pdf)
    with_samples = [p for p, t in zip(pages, texts) if "马晓燕" in t]
    assert len(with_samples) >= 2
    for p in with_samples:
        assert "取样分析时间" in (p.artifacts + "\n".join(ln.text for ln in p.lines)), p.number


def test_rare_name_prints_with_a_fallback_face(stress):
    import pdfplumber

    with pdfplumber.open(io.BytesIO(stress["stress-training"])) as pdf:
        chars = [c for p in pdf.pages for c in p.chars if c["text"] == "堃"]
    assert chars and all("Noto" in c["fontname"] for c in chars)


def test_body_text_is_fangsong_and_titles_bold_song(examples):
    import pdfplumber

    for name in ("rectification-order-zegai-2026-12", "agreement-HR-AQXY-2026-044"):
        with pdfplumber.open(io.BytesIO(examples[name])) as pdf:
            fonts = {c["fontname"].split("+")[-1] for c in pdf.pages[0].chars if "\u4e00" <= c["text"] <= "\u9fff"}
        assert "FandolFang-Regular" in fonts, (name, fonts)
        assert any("SerifCJK" in f and "Bold" in f for f in fonts), (name, fonts)


def test_the_bureaus_report_has_its_head_and_imprint_where_the_standard_puts_them(examples):
    """GB/T 9704—2012: the 发文机关标志 35 mm under the top of the text block (37 mm), red; the
    title two lines under the red line, broken between words; the 版记 (印发机关, 印发日期) between
    two rules after the last page's content."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(examples["campaign-report-ZJBG-2026"])) as pdf:
        first, last = pdf.pages[0], pdf.pages[-1]
        mark = [c for c in first.chars if c["size"] > 28]
        assert "".join(c["text"] for c in mark) == "济南高新区应急管理局文件"
        assert abs(min(c["top"] for c in mark) * 25.4 / 72 - 72) < 1.5
        assert all(tuple(round(x, 2) for x in c["non_stroking_color"]) == (0.9, 0.0, 0.07) for c in mark)  # red E60012
        lines = {}
        for c in first.chars:
            if c["size"] == 22:
                lines.setdefault(round(c["top"]), []).append(c["text"])
        assert ["".join(v) for _, v in sorted(lines.items())] == ["济南高新区应急管理局关于外包作业", "安全专项整治工作情况的报告"]
        text = last.extract_text()
        assert "济南高新区应急管理局" in text and "2026年11月10日印发" in text.replace(" ", "")
        rules = [r for r in last.lines + last.rects if r["width"] > 150 / 25.4 * 72]
        assert len(rules) >= 2


def test_a_long_contract_title_is_broken_between_words(examples):
    import pdfplumber

    with pdfplumber.open(io.BytesIO(examples["contract-HR-HT-2026-044"])) as pdf:
        lines = {}
        for c in pdf.pages[0].chars:
            if c["size"] == 22:
                lines.setdefault(round(c["top"]), []).append(c["text"])
    assert ["".join(v) for _, v in sorted(lines.items())] == ["厂区雨污管网改造及旧设备", "基础拆除工程施工合同"]


def test_labels_are_fitted_between_words():
    assert fit_label("统一社会信用代码", 26, 10.5) == ["统一社会信用", "代码"]  # never "统一社会信用代/码"
    assert fit_label("联系电话", 26, 10.5) == ["联系电话"]
    with pytest.raises(ValueError, match="does not fit"):
        Grid(20).row(L("安全生产管理机构", 20, font=Font("song", 16)))


def _rendered(d: Doc, path: Path, context: dict | None = None) -> bytes:
    """A DSL document put through docxtpl as the archive renders a template (its Jinja evaluated,
    "\\n" in the data written as a line break)."""
    from docxtpl import DocxTemplate

    d.save(path)
    tpl = DocxTemplate(str(path))
    tpl.render(context or {"images": {}})
    out = path.with_suffix(".out.docx")
    tpl.save(str(out))
    return out.read_bytes()


def test_a_line_ended_by_a_line_break_in_the_data_is_not_spread_out(tmp_path):
    """Numbered points typed on lines of their own in a justified paragraph (a hazard, the facts of a
    decision): the line before each break was spread over the whole width ("责　任　的　约　定")
    until the templates set w:doNotExpandShiftReturn; the check finds the spread-out line."""
    from doc_templates.forms import ENF, enf_body

    facts = ("2026年9月22日21时40分巡查发现厂区东侧W-11污水检查井内有人员未办理受限空间安全作业票即下井作业，"
             "违反安全生产管理协议第三条乙方安全责任的约定，具体如下：\n1．未进行气体检测；\n2．井口无监护人员；\n3．未设置警示标志")
    docs = []
    for name in ("kept", "expanded"):
        d = Doc("列入黑名单决定", ENFORCEMENT_PAGE, ENF)
        enf_body(d, "经查，{{ facts }}。")
        docx = _rendered(d, tmp_path / f"{name}.docx", {"facts": facts})
        if name == "expanded":  # the templates before the fix
            docx = _replace_part(docx, "word/settings.xml", lambda x: x.replace(b"<w:doNotExpandShiftReturn/>", b""))
        docs.append((name, docx))
    pdfs = layout_corpus.convert(docs)
    assert [p.detail for p in check_layout(pdfs["expanded"]) if p.kind == "stretched"], "the check misses the spread-out lines"
    assert [p.line() for p in check_layout(pdfs["kept"])] == []


def _replace_part(docx: bytes, name: str, fix) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            blob = src.read(item.filename)
            out.writestr(item, fix(blob) if item.filename == name else blob)
    return buf.getvalue()


def test_every_template_keeps_lines_ended_by_a_break_short():
    from doc_templates.dsl import HERE

    for path in sorted(HERE.glob("*.docx")):
        with zipfile.ZipFile(path) as z:
            assert b"<w:doNotExpandShiftReturn/>" in z.read("word/settings.xml"), path.name


def test_a_long_list_of_item_numbers_breaks_after_a_comma():
    from archive.documents.render import ZERO_WIDTH_SPACE, break_number_lists, keep_codes_whole

    assert break_number_lists("对上述第2、5、8项问题于") == f"对上述第2、{ZERO_WIDTH_SPACE}5、{ZERO_WIDTH_SPACE}8项问题于"
    assert break_number_lists("动火、高处、吊装") == "动火、高处、吊装"  # words: Chinese breaks anywhere already
    xml = "<w:t>第1、3项；HR-WB-2026-002</w:t>".encode()
    assert keep_codes_whole(xml).decode() == f"<w:t>第1、{ZERO_WIDTH_SPACE}3项；HR-\u2060WB-\u20602026-\u2060002</w:t>"


def test_the_end_of_an_enforcement_form_never_leaves_a_line_alone_on_a_page(tmp_path):
    """Seal, date and the copies note after a text that ends anywhere on the page: the copies note
    was a paragraph after the signature zone's table, and LibreOffice (which keeps a table's rows
    together, not a table with the paragraph after it) left it alone on a new page; it is the zone's
    last row now. The old way is rebuilt too, and the check must find its lone note."""
    from doc_templates.forms import ENF, _end_zone, _zone, copies_note, enf_body, seal_block

    w = ENFORCEMENT_PAGE.text_width
    docs = []
    for n in range(14, 34):
        for way in ("row", "paragraph"):
            d = Doc("决定书", ENFORCEMENT_PAGE, ENF)
            for i in range(n):
                enf_body(d, f"{i + 1}．" + "作业前对作业人员进行安全技术交底，交底内容记录在案。")
            d.gap(8)
            if way == "row":
                seal_block(d, "济南高新区应急管理局", "2026年11月27日", copies_note("被处罚单位"))
            else:
                _zone(d).row(C([P(("济南高新区应急管理局（印章）",), align="right", line=28, before=6),
                                P(("2026年11月27日",), align="right", line=28)], w), keep=True)
                _end_zone(d)
                d.p(R(copies_note("被处罚单位"), size=12), border_top=True, before=12, line=22)
            docs.append((f"{way}-{n}", _rendered(d, tmp_path / f"{way}-{n}.docx")))
    pdfs = layout_corpus.convert(docs)
    found = {name: [p.kind for p in check_layout(pdf)] for name, pdf in pdfs.items()}
    assert any("signature_alone" in kinds for name, kinds in found.items() if name.startswith("paragraph")), found
    assert {name: kinds for name, kinds in found.items() if name.startswith("row") and kinds} == {}


def test_the_cheap_read_of_the_last_page_finds_no_seal_alone_where_the_check_finds_none(examples, stress):
    """layout.ends_alone (asked of converted documents, archive/documents/fit.py) says of every
    example and stress document what the full check says of its last page: not alone — a wrong
    "alone" would have a good layout converted again for nothing (tests/test_fit.py has the
    documents that do end alone)."""
    from archive.documents.layout import ends_alone

    assert [name for name, pdf in {**examples, **stress}.items() if ends_alone(pdf)] == []
