"""archive.pdf against the real LibreOffice: no mocks.

Documents are small python-docx files that name the official Chinese faces (仿宋, 黑体 …) the way
the templates do (w:eastAsia). The robustness tests kill and freeze the pool's own soffice
processes, found through the pool (``soffice_pids()``) and through its temporary folder, which is
on the command line of every process the pool starts — so tests running in parallel never touch
each other's LibreOffice.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from pypdf import PdfReader

from archive.errors import ConversionError
from archive.documents.convert import Converter, PdfResult
from archive.documents.fit import convert_one_fitted
from archive.documents.pdfcheck import check_pdf, uncovered_chars
from archive.settings import Settings

soffice = pytest.mark.soffice
no_soffice = pytest.mark.skipif(
    not Path("/usr/lib/libreoffice/program/soffice.bin").exists() or not Path("/usr/bin/python3").exists(),
    reason="LibreOffice not installed (scripts/setup.sh)",
)

EMPLOYER = "杭州钱塘精工机械制造有限公司"
CONTRACTOR = "浙江恒安设备安装工程有限公司"


def make_docx(paragraphs: list[tuple[str, str]], *, size: float = 16) -> bytes:
    """A .docx with one run per paragraph: (East Asian font name, text); Latin in Times New Roman."""
    doc = Document()
    for font, text in paragraphs:
        run = doc.add_paragraph().add_run(text)
        run.font.size = Pt(size)
        run.font.name = "Times New Roman"
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def agreement(no: int, font: str = "仿宋") -> tuple[bytes, list[str]]:
    number = f"AQXY-2026-{no:04d}"
    body = [
        ("方正小标宋简体", "安全生产管理协议"),
        (font, f"协议编号：{number}"),
        (font, f"发包单位（甲方）：{EMPLOYER}"),
        (font, f"承包单位（乙方）：{CONTRACTOR}"),
        (font, "甲方对乙方的安全生产工作统一协调、管理，定期进行安全检查，发现安全问题及时督促整改。" * 3),
        ("楷体_GB2312", "（一）双方的安全生产管理职责"),
        ("黑体", "一、作业内容与期限"),
    ]
    return make_docx(body), [number, EMPLOYER, CONTRACTOR]


def pool_processes(root: Path) -> list[tuple[int, str]]:
    """(pid, command line) of every live process started by the pool whose folder is ``root``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(root) in cmd and state != "Z":
            out.append((int(entry.name), cmd))
    return out


def pdffonts_rows(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()[2:]  # header + ruler
    assert lines, out
    # columns: name type encoding emb sub uni object ID — the name never contains spaces here
    return [line.split() for line in lines]


def base_fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for f in page["/Resources"]["/Font"].values():
            names.add(str(f.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


# --- the checks on their own: PDFs that LibreOffice would not make ----------------------------


def pdf_with_fonts(fonts: dict, xmp: bytes | None = None) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    w = PdfWriter()
    page = w.add_blank_page(595, 842)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject(k): v for k, v in fonts.items()})}
    )
    if xmp is not None:
        meta = DecodedStreamObject()
        meta.set_data(xmp)
        meta.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
        w.root_object[NameObject("/Metadata")] = meta
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def font(subtype: str, name: str, file_key: str | None = None, descendants: list | None = None):
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

    d = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject(subtype),
        NameObject("/BaseFont"): NameObject(name),
    })
    if descendants is not None:
        d[NameObject("/DescendantFonts")] = ArrayObject(descendants)
    elif subtype != "/Type3":
        desc = DictionaryObject({NameObject("/Type"): NameObject("/FontDescriptor"), NameObject("/FontName"): NameObject(name)})
        if file_key:
            desc[NameObject(file_key)] = StreamObject()
        d[NameObject("/FontDescriptor")] = desc
    return d


PDFA2B = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="2" pdfaid:conformance="B"/></rdf:RDF></x:xmpmeta>'


def test_check_names_every_font_without_an_embedded_program():
    good = font("/TrueType", "/AAAAAA+NotoSerifCJKsc", "/FontFile2")
    bare = font("/Type1", "/Helvetica")  # a standard-14 font, not embedded
    cid_bare = font("/CIDFontType0", "/SimSun")
    cid_good = font("/CIDFontType2", "/BBBBBB+NotoSansCJKsc", "/FontFile3")
    pdf = pdf_with_fonts({
        "/F1": good, "/F2": bare,
        "/F3": font("/Type0", "/SimSun-Identity-H", descendants=[cid_bare]),
        "/F4": font("/Type0", "/NotoSans-Identity-H", descendants=[cid_good]),
    }, PDFA2B)
    (problem,) = check_pdf(pdf)
    assert "not embedded" in problem and "Helvetica" in problem and "SimSun" in problem
    assert "Noto" not in problem
    assert check_pdf(pdf_with_fonts({"/F1": good}, PDFA2B)) == []


def test_check_wants_pdfa_2b_in_the_xmp_metadata():
    good = font("/TrueType", "/AAAAAA+NotoSerifCJKsc", "/FontFile2")
    assert check_pdf(pdf_with_fonts({"/F1": good}, PDFA2B)) == []
    for xmp in (None, PDFA2B.replace(b'part="2"', b'part="1"'), PDFA2B.replace(b'"B"', b'"U"')):
        assert any("PDF/A-2b" in p for p in check_pdf(pdf_with_fonts({"/F1": good}, xmp)))
    assert check_pdf(b"not a pdf")[0].startswith("PDF 无法读取")


@pytest.fixture(scope="module")
def pool():
    with Converter(Settings(), workers=2) as conv:
        yield conv


# --- conversion and checks ----------------------------------------------------------------


@soffice
@no_soffice
def test_chinese_agreement_becomes_pdfa_with_every_font_embedded(pool, tmp_path):
    docx, keys = agreement(42)
    (result,) = pool.convert_many([("协议", docx)], expect_text={"协议": keys})
    assert isinstance(result, PdfResult) and result.ok, result.error
    pdf = result.pdf
    assert pdf.startswith(b"%PDF-")
    assert check_pdf(pdf, keys) == []

    rows = pdffonts_rows(pdf, tmp_path)
    assert all(row[-5] == "yes" for row in rows), rows  # emb column
    xmp = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part[^0-9]{1,3}2", xmp) and re.search(r"pdfaid:conformance[^A-Z]{1,3}B", xmp)

    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    flat = re.sub(r"\s+", "", text)
    for key in keys:
        assert key in flat


@soffice
@no_soffice
def test_fangsong_comes_out_in_noto_serif_and_heiti_in_noto_sans(pool):
    serif_doc = make_docx([("仿宋", f"甲方：{EMPLOYER}"), ("仿宋_GB2312", f"乙方：{CONTRACTOR}"), ("宋体", "签订日期：2026年4月30日")])
    sans_doc = make_docx([("黑体", f"甲方：{EMPLOYER}")])
    serif, sans = pool.convert_many([("serif", serif_doc), ("sans", sans_doc)])
    assert serif.ok and sans.ok, (serif.error, sans.error)

    serif_fonts = base_fonts(serif.pdf)
    assert any(name.startswith("NotoSerifCJK") for name in serif_fonts), serif_fonts
    assert not any(name.startswith("NotoSansCJK") for name in serif_fonts), serif_fonts  # no 黑体 fallback
    sans_fonts = base_fonts(sans.pdf)
    assert any(name.startswith("NotoSansCJK") for name in sans_fonts), sans_fonts
    assert not any(name.startswith("NotoSerifCJK") for name in sans_fonts), sans_fonts


@soffice
@no_soffice
def test_kaiti_uses_the_kai_stand_in(pool):
    (result,) = pool.convert_many([("kai", make_docx([("楷体", "签发人：王建国")]))])
    assert result.ok, result.error
    assert any("UKai" in name for name in base_fonts(result.pdf))


@soffice
@no_soffice
def test_text_check_catches_a_missing_value(pool):
    docx, keys = agreement(7)
    good, bad = pool.convert_many(
        [("good", docx), ("bad", docx)],
        expect_text={"good": keys, "bad": keys + ["宁波北仑港务工程有限公司"]},
    )
    assert good.ok
    assert not bad.ok and bad.pdf is None
    assert "宁波北仑港务工程有限公司" in bad.error and "文本层缺少" in bad.error


@soffice
@no_soffice
def test_a_character_no_font_has_is_refused_not_boxed(pool):
    # U+2A6A5 (𪚥) is in no installed font: LibreOffice would print a box and its text layer
    # would still claim a character, so this is caught before conversion.
    assert uncovered_chars("甲方𪚥公司") == ["𪚥"]
    assert uncovered_chars(f"{EMPLOYER}（AQXY-2026-0042）A&B<测试>") == []
    (result,) = pool.convert_many([("box", make_docx([("仿宋", "乙方负责人：王𪚥")]))])
    assert not result.ok
    assert "U+2A6A5" in result.error


@soffice
@no_soffice
def test_not_a_docx_is_an_error_for_that_document_only(pool):
    docx, keys = agreement(1)
    bad, good = pool.convert_many([("bad", b"PK\x03\x04 not really a zip"), ("good", docx)], expect_text={"good": keys})
    assert not bad.ok and "docx" in bad.error
    assert good.ok


def _damaged_entry(docx: bytes) -> bytes:
    """``docx`` with the compressed bytes of word/document.xml scrambled (the zip directory intact)."""
    raw = bytearray(docx)
    info = zipfile.ZipFile(io.BytesIO(docx)).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 5, start + 25):
        raw[i] ^= 0xFF
    return bytes(raw)


def test_a_damaged_zip_entry_is_that_documents_error_and_the_batch_completes(pool):
    docx, keys = agreement(4)
    bad = _damaged_entry(docx)
    with pytest.raises(Exception):
        zipfile.ZipFile(io.BytesIO(bad)).read("word/document.xml")
    results = pool.convert_many([("bad", bad), ("good", docx), ("good2", docx)], expect_text={"good": keys})
    assert [r.ok for r in results] == [False, True, True] and ".docx" in results[0].error
    assert all(t.is_alive() for t in pool._threads)


def test_an_unexpected_error_in_a_worker_answers_the_document_and_the_worker_goes_on(pool, monkeypatch):
    import archive.documents.convert as pdfmod

    real = pdfmod._precheck

    def flaky(job):
        if job.name == "boom":
            raise RuntimeError("simulated bug")
        return real(job)

    monkeypatch.setattr(pdfmod, "_precheck", flaky)
    docx, keys = agreement(5)
    results = pool.convert_many([("a", docx), ("boom", docx), ("b", docx), ("c", docx)])
    by = {r.name: r for r in results}
    assert not by["boom"].ok and "simulated bug" in by["boom"].error
    assert by["a"].ok and by["b"].ok and by["c"].ok
    assert all(t.is_alive() for t in pool._threads)


@soffice
@no_soffice
def test_convert_one_fitted_returns_bytes_and_raises_conversion_error():
    docx, keys = agreement(3)
    kept, pdf = convert_one_fitted(docx, Settings(), expect_text=keys)
    assert kept == docx and pdf.startswith(b"%PDF-") and check_pdf(pdf, keys) == []
    with pytest.raises(ConversionError) as info:
        convert_one_fitted(docx, Settings(), expect_text=["AQXY-2026-9999"])
    assert "AQXY-2026-9999" in str(info.value)


# --- the pool: crashes, hangs, recycling, clean shutdown ------------------------------------


def wait_for_pids(conv: Converter, timeout: float = 60) -> list[int]:
    """Every worker's soffice pid, once all are connected (open() returns when the first is)."""
    end = time.monotonic() + timeout
    while not all(conv.soffice_pids()):
        assert time.monotonic() < end, conv.soffice_pids()
        time.sleep(0.05)
    return conv.soffice_pids()


def batch(n: int, start: int = 100) -> tuple[list[tuple[str, bytes]], dict[str, list[str]]]:
    docs, expect = [], {}
    for i in range(start, start + n):
        docx, keys = agreement(i)
        docs.append((f"doc{i}", docx))
        expect[f"doc{i}"] = keys
    return docs, expect


@soffice
@no_soffice
def test_soffice_killed_mid_batch_every_document_still_converts():
    docs, expect = batch(12)
    killed = []

    with Converter(Settings(), workers=2) as conv:
        root = conv.root

        def progress(stage, done, total):
            assert stage == "pdf" and total == 12
            if done in (3, 7) and len(killed) < 2:
                pids = conv.soffice_pids()
                pid = pids[len(killed) % 2] or next(p for p in pids if p)  # the other one may be starting
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        results = conv.convert_many(docs, progress=progress, expect_text=expect)
        stats = dict(conv.stats)

    assert len(killed) == 2
    assert [r.name for r in results] == [name for name, _ in docs]  # input order
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    for r in results:  # each PDF is its own document, not a neighbour's
        assert check_pdf(r.pdf, expect[r.name]) == []
    assert stats["starts"] >= 2 + 2  # both killed workers came back
    assert stats["crashes"] >= 2
    assert pool_processes(root) == []


@soffice
@no_soffice
def test_hung_conversion_is_killed_reported_and_the_rest_completes():
    docs, expect = batch(6, start=200)
    settings = replace(Settings(), pdf_timeout_seconds=4)
    with Converter(settings, workers=2) as conv:
        frozen = wait_for_pids(conv)[0]
        os.kill(frozen, signal.SIGSTOP)  # the next document this worker takes never finishes
        t0 = time.monotonic()
        results = conv.convert_many(docs, expect_text=expect)
        elapsed = time.monotonic() - t0
        stats = dict(conv.stats)
        assert not Path(f"/proc/{frozen}").exists()  # killed, not left stopped
        # the pool still works after the hang
        (after,) = conv.convert_many([docs[0]], expect_text=expect)
        assert after.ok

    failed = [r for r in results if not r.ok]
    assert len(failed) == 1, [r.error for r in results]
    assert "超时" in failed[0].error and "timed out" in failed[0].error
    assert failed[0].pdf is None and failed[0].seconds >= 4
    assert sum(r.ok for r in results) == 5
    assert stats["timeouts"] == 1
    assert elapsed < 4 + 20


@soffice
@no_soffice
def test_worker_is_recycled_every_n_documents():
    docs, expect = batch(5, start=300)
    settings = replace(Settings(), pdf_recycle_every=2)
    seen: list[int] = []
    with Converter(settings, workers=1) as conv:
        results = conv.convert_many(
            docs, expect_text=expect, progress=lambda s, d, n: seen.append(conv.soffice_pids()[0])
        )
        stats = dict(conv.stats)
    assert all(r.ok for r in results), [r.error for r in results]
    # 5 documents, 2 per soffice: started once, recycled before documents 3 and 5
    assert stats["starts"] == 3 and stats["recycles"] == 2 and stats["crashes"] == 0
    assert len(set(p for p in seen if p)) == 3


@soffice
@no_soffice
def test_no_process_or_folder_left_after_close_even_on_keyboard_interrupt():
    docs, expect = batch(6, start=400)
    conv = Converter(Settings(), workers=2)
    with conv:
        root = conv.root
        assert all(r.ok for r in conv.convert_many(docs[:2], expect_text=expect))
        running = pool_processes(root)
        assert len(running) == 4, running  # per worker: soffice + its UNO worker
        assert sum("soffice.bin" in cmd for _, cmd in running) == 2
    assert pool_processes(root) == []
    assert not root.exists()

    def interrupt(stage, done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        with Converter(Settings(), workers=2) as conv:
            root = conv.root
            conv.convert_many(docs, progress=interrupt, expect_text=expect)
    assert pool_processes(root) == []
    assert not root.exists()
    with pytest.raises(ConversionError):
        conv.convert_many(docs)  # closed


@soffice
@no_soffice
def test_libreoffice_never_gets_the_key_passphrase(monkeypatch):
    """`outsafe serve --workers N` hands the signing key's passphrase to its processes through the
    environment; LibreOffice and its UNO helper, started by them, are given an environment without it."""
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "a-passphrase-for-the-key-only")
    docx, keys = agreement(5)
    with Converter(Settings(), workers=1) as conv:
        [res] = conv.convert_many([("doc", docx)], expect_text={"doc": keys})
        assert res.ok, res.error
        pids = wait_for_pids(conv)
        helpers = [pid for pid, _ in pool_processes(conv.root)]  # this pool's soffice and UNO helper (not another test's)
        seen = 0
        for pid in [*pids, *helpers]:
            try:
                env = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            seen += 1
            assert b"a-passphrase-for-the-key-only" not in env and b"OUTSAFE_PASSPHRASE=" not in env
        assert seen >= 2  # soffice and its helper, both read
