"""archive/documents/fit.py: a document whose seal, signature or date would stand alone on its last
page is laid out again — through the real LibreOffice pool, judged by the layout check."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from archive.documents.convert import Converter
from archive.documents.fit import LONG, TAIL, convert_fitted, flowing_keeps, split_tail
from archive.documents.layout import check_layout, ends_alone
from archive.settings import Settings
from tests.layout_corpus import EXAMPLES, Document, load_file, registry_of, render
from tests.stress_cases import LONG_TEXT, _ok, _raw

TEXT = LONG_TEXT * 10


def _paragraphs(docx: bytes) -> list[tuple[str, bool, bool]]:
    """(text, keeps with the next, indented first line) of each paragraph of the body, in order."""
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    body = xml.split("<w:body>", 1)[1]
    out = []
    for p in re.findall(r"<w:p[ >].*?</w:p>", body, flags=re.S):
        text = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p))
        out.append((text, "<w:keepNext/>" in p, 'w:firstLine="' in p and 'w:firstLine="0"' not in p))
    return out


@pytest.fixture(scope="module")
def refs():
    files = [p for d in ("organizations", "projects") for p in sorted((EXAMPLES / d).glob("*.yaml"))]
    return registry_of([load_file(p) for p in files])


def removal(refs, reason: str) -> tuple[str, bytes]:
    raw = _raw("cases/blacklist-removal-HMD-YC-2026-001.yaml")
    raw["reason"] = reason
    ((name, docx),) = render([Document(f"removal-{len(reason)}", _ok(raw, "removal"), refs, {})])
    return name, docx


def test_the_long_paragraphs_flow_and_the_short_ones_keep(refs):
    _, docx = removal(refs, TEXT[:600])
    before, after = _paragraphs(docx), _paragraphs(flowing_keeps(docx))
    assert [t for t, _, _ in before] == [t for t, _, _ in after]
    assert any(k and len(t) > LONG for t, k, _ in before)
    for (t, keep, _), (_, keep2, _) in zip(before, after):
        assert keep2 == (keep and len(t) <= LONG), t[:20]
    short = removal(refs, "该单位已完成整改并经复查合格")[1]
    assert flowing_keeps(short) is None  # nothing long keeps: nothing to change


def test_the_last_long_paragraph_is_split_at_a_punctuation_mark_and_its_tail_keeps(refs):
    _, docx = removal(refs, TEXT[:600])
    before, after = _paragraphs(docx), _paragraphs(split_tail(docx))
    assert len(after) == len(before) + 1
    i = next(i for i, (t, _, _) in enumerate(before) if TEXT[:100] in t)
    head, tail = after[i], after[i + 1]
    assert head[0] + tail[0] == before[i][0]  # not a character lost, moved or added
    assert head[0][-1] in "，。；：、！？）" and len(tail[0]) >= TAIL and len(head[0]) >= TAIL
    assert not head[1] and tail[1]  # the head flows, the tail keeps with the seal
    assert before[i][2] and head[2] and not tail[2]  # the tail goes on the head's line: no indent
    assert after[:i] == before[:i] and after[i + 2:] == before[i + 1:]


@pytest.fixture(scope="module")
def pool():
    with Converter(Settings(), workers=2) as conv:
        yield conv


# lengths of a 移出 decision's reason at which LibreOffice strands the seal on a page of its own
# (measured: kept whole with the seal, 534–714 characters; flowing, 318–462)
STRANDING = (366, 450, 546, 630, 714)


def test_a_decision_whose_seal_would_stand_alone_is_laid_out_again(refs, pool):
    docs = [removal(refs, TEXT[:n]) for n in STRANDING] + [removal(refs, TEXT[:200])]
    first = pool.convert_many(docs)
    assert sum(ends_alone(r.pdf) for r in first) >= 3  # the stranding these lengths cause without fitting
    fitted = convert_fitted(pool.convert_many, docs)
    for (name, docx), (kept, res), plain in zip(docs, fitted, first):
        assert res.ok and not ends_alone(res.pdf), name
        assert not [p.line() for p in check_layout(res.pdf) if p.kind in ("signature_alone", "signature_split")], name
        assert "".join(t for t, _, _ in _paragraphs(kept)) == "".join(t for t, _, _ in _paragraphs(docx)), name  # the same text
        assert (kept != docx) == ends_alone(plain.pdf), name  # a layout whose end shares a page is left as it was


def test_ends_alone_reads_the_last_page_as_the_layout_check_does(refs, pool):
    docs = [removal(refs, TEXT[:n]) for n in (200, 546, 630)]
    for r in pool.convert_many(docs):
        assert ends_alone(r.pdf) == any(p.kind == "signature_alone" for p in check_layout(r.pdf)), r.name


def test_the_archive_seals_the_layout_it_printed(arc, tmp_path):
    """A decision added to the archive whose seal would have stood alone: its sealed .docx is the
    layout laid out again, and its sealed PDF ends with text and seal on one page."""
    import yaml

    from tests import factories as f

    raw = _raw("cases/blacklist-entry-HMD-2026-001.yaml")
    raw.update(listed_by=f.ENTERPRISE, subject=f.CONTRACTOR, subject_name="山东恒安设备安装工程有限公司",
               decided_by="济南华锐重型机械有限公司", measures=[TEXT[:630]])
    path = tmp_path / "entry.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    arc.add_files([path])
    (row,) = [r for r in arc.catalog.list_records() if r["type"] == "blacklist_entry"]
    files = {x["role"]: arc.blobs.read_bytes(x["sha256"]) for x in arc.catalog.record_files(row["id"])}
    assert not ends_alone(files["pdf"]) and not [p for p in check_layout(files["pdf"]) if p.kind == "signature_alone"]
    paragraphs = _paragraphs(files["docx"])
    measure = next(t for t, _, _ in paragraphs if TEXT[:60] in t)
    assert not next(k for t, k, _ in paragraphs if t == measure)  # laid out again: the long measure flows
    # `outsafe case render` of the same file: the .docx and the PDF the archive would seal
    pdf = arc.render_preview(path, tmp_path / "preview.pdf").read_bytes()
    assert not ends_alone(pdf)
    preview = _paragraphs(arc.render_preview(path, tmp_path / "preview.docx").read_bytes())
    assert preview == paragraphs


def _docx_with(paragraphs: list[list]) -> bytes:
    """A .docx whose body paragraphs keep with the next, each of runs: a text, or a tuple of texts
    with a line break between them in one run (as docxtpl writes a value holding "\\n")."""
    import docx

    d = docx.Document()
    for runs in paragraphs:
        par = d.add_paragraph()
        par.paragraph_format.keep_with_next = True
        par.paragraph_format.first_line_indent = 355600
        for text in runs:
            if isinstance(text, tuple):
                run = par.add_run(text[0])
                for more in text[1:]:
                    run.add_break()
                    run.add_text(more)
            else:
                par.add_run(text)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_a_split_keeps_every_character_and_line_break_in_order():
    """The cut falls inside a run of one text, or before a run holding a line break (whose texts
    cannot be shared out): text and breaks arrive in the same order, only in two paragraphs."""
    head = "作业区域与生产区域之间设置硬质隔离和警戒线，专人监护；" * 3
    broken = [("一、作业前检测可燃气体，", "二、作业中每两小时复测一次，异常时立即停止作业，撤离人员并报告。")]
    end = "作业结束后清理现场，确认无遗留火种，经监护人检查合格后方可离开。" * 2
    for runs in ([head, *broken, end], [head + end], [head, "甲" * 30, *broken]):
        docx = _docx_with([["短段落。"], runs])
        got = split_tail(docx)
        if got is None:
            continue
        xml = zipfile.ZipFile(io.BytesIO(got)).read("word/document.xml").decode()
        before = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
        order = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>|<w:br/>")
        flat = lambda x: "".join(m.group(1) if m.group(1) is not None else "⏎" for m in order.finditer(x))  # noqa: E731
        assert flat(xml) == flat(before)
        paras = _paragraphs(got)
        assert len(paras) == 3 and not paras[1][1] and paras[2][1] and len(paras[2][0]) >= TAIL
    assert split_tail(_docx_with([[head, *broken, end]])) is not None
    # the mark falls inside a run of two texts and a break: the cut moves back to that run's start
    two = ("甲" * 20 + "，" + "乙" * 20, "丙" * 60 + "。")
    paras = _paragraphs(split_tail(_docx_with([[head, two]])))
    assert paras[-2][0] == head and paras[-1][0] == "".join(two)


def test_an_unreadable_pdf_is_not_laid_out_again():
    assert ends_alone(b"%PDF-1.7 not really") is False
    assert ends_alone(b"") is False


def test_a_failure_reading_the_end_leaves_the_layout_and_the_batch_goes_on(refs, pool, monkeypatch, caplog):
    """The end is read in the converter's worker thread, as advice: what goes wrong there is logged
    and the document keeps its layout — the batch neither fails nor waits for a result."""
    import archive.documents.layout as layout

    def broken(pdf: bytes) -> bool:
        raise ZeroDivisionError("a glyph pypdf cannot place")
    monkeypatch.setattr(layout, "ends_alone", broken)
    docs = [removal(refs, TEXT[:n]) for n in (200, 600)]
    with caplog.at_level("WARNING", logger="archive.documents.convert"):
        got = convert_fitted(pool.convert_many, docs)
    assert [r.ok and not r.ends_alone for _, r in got] == [True, True]
    assert [kept for kept, _ in got] == [docx for _, docx in docs]
    assert "末页无法读取" in caplog.text


class _Pool:
    """convert_many's stand-in for the rounds of convert_fitted: the first round's PDFs end alone
    (as measured by the real pool above); a later round fails as a pool that gave out."""

    def __init__(self, real: list) -> None:
        self.real, self.rounds = real, 0

    def __call__(self, docs, progress=None, expect_text=None, read_end=()):
        from archive.errors import ConversionError

        self.rounds += 1
        if self.rounds > 1:
            raise ConversionError("所有 PDF 转换进程均已停止 (every PDF worker has stopped)")
        return self.real


def test_a_relayout_that_cannot_be_converted_leaves_the_first_results(refs, pool):
    docs = [removal(refs, TEXT[:n]) for n in (546, 630)]
    first = pool.convert_many(docs, read_end={n for n, _ in docs})
    assert all(r.ends_alone for r in first)
    fake = _Pool(first)
    got = convert_fitted(fake, docs)
    assert fake.rounds == 2 and [r for _, r in got] == first and [k for k, _ in got] == [d for _, d in docs]


def test_a_file_that_is_no_docx_is_left_to_the_converter():
    from archive.documents.fit import relayable

    assert relayable(b"PK not a zip") is False and relayable(b"") is False


def test_the_tail_reads_as_its_paragraph_going_on():
    """The tail of a split paragraph takes no list number, no section break, no first-line indent
    and no space between it and the head."""
    head = "作业区域与生产区域之间设置硬质隔离和警戒线，专人监护；" * 3
    end = "作业结束后清理现场，确认无遗留火种，经监护人检查合格后方可离开。" * 2
    docx = _docx_with([[head + end]])
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    ppr = ('<w:pPr><w:keepNext/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>'
           '<w:spacing w:before="120" w:after="120"/><w:ind w:firstLineChars="200" w:firstLine="560"/></w:pPr>')
    xml = re.sub(r"<w:pPr>.*?</w:pPr>", ppr, xml, count=1, flags=re.S)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, xml.encode() if info.filename == "word/document.xml" else zin.read(info.filename))
    got = zipfile.ZipFile(io.BytesIO(split_tail(out.getvalue()))).read("word/document.xml").decode()
    heads = re.findall(r"<w:p[ >].*?</w:p>", got.split("<w:body>", 1)[1], flags=re.S)
    one, two = heads[0], heads[1]
    assert "<w:numPr>" in one and "<w:numPr>" not in two
    assert 'w:after="0"' in one and 'w:before="120"' in one
    assert 'w:before="0"' in two and 'w:after="120"' in two
    assert 'w:firstLine="0"' in two and 'w:firstLineChars="0"' in two and 'w:firstLine="560"' in one
