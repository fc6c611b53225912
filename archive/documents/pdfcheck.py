"""Checks every PDF passes before it is stored: it parses, every font is embedded, it declares
PDF/A-2b, its text layer carries the record's number and parties, and no character falls outside
the installed fonts (no box glyphs).
"""

from __future__ import annotations

import bisect
import functools
import io
import re
import subprocess
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable

from archive.errors import ConversionError

# --- checks -----------------------------------------------------------------------------------


def check_pdf(pdf: bytes, expect_text: Iterable[str] = ()) -> list[str]:
    """Problems with a converted PDF (empty when good): unembedded fonts, no PDF/A-2b
    identification, expected values missing from the text layer."""
    # lazy: pypdf (~80 ms to import) loads with the first PDF checked, not with every command
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    problems: list[str] = []
    wanted = {_flat(v): v for v in expect_text if v and _flat(v)}
    try:
        reader = PdfReader(io.BytesIO(pdf))
        xmp = _xmp(reader)
        unembedded = sorted(_unembedded_fonts(reader))
        text = ""
        for page in reader.pages:  # page by page, stopping once every value is found (they sit up front)
            if not wanted:
                break
            text += _flat(page.extract_text() or "")
            wanted = {k: v for k, v in wanted.items() if k not in text}
    except (PyPdfError, ValueError, KeyError, TypeError) as e:
        return [f"PDF 无法读取 (unreadable PDF: {type(e).__name__}: {e})"]
    if unembedded:
        problems.append(f"字体未嵌入 (fonts not embedded): {', '.join(unembedded)}")
    part = re.search(r"pdfaid:part(?:\s*=\s*[\"']|>)\s*(\d+)", xmp)
    conf = re.search(r"pdfaid:conformance(?:\s*=\s*[\"']|>)\s*([A-Za-z])", xmp)
    if not (part and part.group(1) == "2" and conf and conf.group(1).upper() == "B"):
        problems.append("缺少 PDF/A-2b 标识 (no PDF/A-2b identification in the XMP metadata)")
    for value in wanted.values():
        problems.append(f"文本层缺少“{value}” (text layer lacks {value!r})")
    return problems


def uncovered_chars(text: str) -> list[str]:
    """Characters of ``text`` that no installed font has a glyph for (they would print as boxes)."""
    ranges = _font_coverage()
    starts = _coverage_starts()
    missing: dict[str, None] = {}
    for ch in dict.fromkeys(text):  # each distinct character once, in order of appearance
        cp = ord(ch)
        if cp < 0x80 or unicodedata.category(ch)[0] in "CZ" or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
            continue
        i = bisect.bisect_right(starts, cp) - 1
        if i < 0 or ranges[i][1] < cp:
            missing[ch] = None
    return list(missing)


def docx_text(docx: bytes) -> str:
    """All the text runs of a .docx (body, headers, footers, notes, text boxes)."""
    out = []
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as z:
            for name in sorted(z.namelist()):
                if re.fullmatch(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml", name):
                    xml = z.read(name).decode("utf-8", "replace")
                    out.extend(_unxml(m) for m in re.findall(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>", xml))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:  # not a zip, or a damaged entry
        raise ValueError(f"不是有效的 .docx (not a readable .docx: {type(e).__name__}: {e})") from e
    return "".join(out)


@functools.cache
def _coverage_starts() -> tuple[int, ...]:
    """The first code point of each range of :func:`_font_coverage` (for bisect)."""
    return tuple(a for a, _ in _font_coverage())


@functools.cache
def _font_coverage() -> tuple[tuple[int, int], ...]:
    """Union of the Unicode coverage of every installed font (fontconfig), as sorted ranges."""
    try:
        out = subprocess.run(
            ["fc-list", "--format", "%{charset}\n"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise ConversionError(f"无法列出已安装字体 (fc-list failed: {e})", hint="安装 fontconfig (install fontconfig)") from e
    spans = []
    for tok in out.split():
        a, _, b = tok.partition("-")
        try:
            spans.append((int(a, 16), int(b or a, 16)))
        except ValueError:
            continue
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


def _xmp(reader) -> str:
    meta = reader.trailer["/Root"].get("/Metadata")
    if meta is None:
        return ""
    return meta.get_object().get_data().decode("utf-8", "replace")


def _unembedded_fonts(reader) -> set[str]:
    """BaseFont names of fonts without an embedded program (FontFile/FontFile2/FontFile3),
    found in page resources, form XObjects and annotation appearances; Type0 fonts are judged by
    their descendant CIDFonts."""
    bad: set[str] = set()
    seen: set[int] = set()

    def key(obj) -> int | None:
        ref = getattr(obj, "indirect_reference", None)
        return (ref.idnum << 20) ^ ref.generation if ref is not None else None

    def font(obj) -> None:
        obj = obj.get_object()
        k = key(obj)
        if k is not None:
            if k in seen:
                return
            seen.add(k)
        subtype = obj.get("/Subtype")
        if subtype == "/Type0":
            for d in obj.get("/DescendantFonts", []):
                font(d)
            return
        if subtype == "/Type3":  # glyphs are content streams, nothing to embed
            resources(obj.get("/Resources"))
            return
        desc = obj.get("/FontDescriptor")
        desc = desc.get_object() if desc is not None else None
        if desc is None or not any(f in desc for f in ("/FontFile", "/FontFile2", "/FontFile3")):
            bad.add(str(obj.get("/BaseFont", "?")).lstrip("/"))

    def resources(res) -> None:
        if res is None:
            return
        res = res.get_object()
        k = key(res)
        if k is not None:
            if k in seen:
                return
            seen.add(k)
        for f in (res.get("/Font") or {}).values():
            font(f)
        for x in (res.get("/XObject") or {}).values():
            x = x.get_object()
            if x.get("/Subtype") == "/Form":
                resources(x.get("/Resources"))

    for page in reader.pages:
        resources(page.get("/Resources"))
        for annot in page.get("/Annots") or []:
            ap = annot.get_object().get("/AP")
            if ap is None:
                continue
            for stream in ap.get_object().values():
                stream = stream.get_object()
                if hasattr(stream, "get_data"):
                    resources(stream.get("/Resources"))
                else:  # a sub-dictionary of appearance states
                    for s in stream.values():
                        resources(s.get_object().get("/Resources"))
    return bad


def _flat(s: str) -> str:
    """Compare text the way a reader sees it: NFKC (full/half width, Kangxi radicals), no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def _unxml(s: str) -> str:
    return (
        s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
    )
