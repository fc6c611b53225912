"""The layout check: does a converted PDF read as a printed official form?

    from archive.documents.layout import check_layout

    for p in check_layout(pdf_bytes):
        print(p.line())          # 第2页: 签字盖章栏单独成页 (signature block alone on a page): …

What it looks for, page by page (the pagination rules of doc_templates/dsl.py, seen from the
other side):

``page_number``
    every page carries "第 X 页 共 Y 页" (forms) or GB/T 9704 "— X —" (公文), X the page's own
    number and Y the page count;
``signature_alone``
    no page (after the first) whose text is only a signature / seal / date block — 甲方（盖章）,
    法定代表人（签字）, 日期, 执法人员（签名）, （印章）, the copies note, （以下无正文） — with no line of
    the body it signs;
``signature_split``
    no signature block that starts at the foot of one page and goes on at the top of the next;
``no_text_heads_page``
    （以下无正文） never opens a page;
``row_split``
    no table row whose content lies on two pages (read from the PDF's structure tree: the
    converter writes tagged PDF, every table row a ``TR`` element);
``broken``
    no code (HR-WB-2026-002, 统一社会信用代码, 身份证号, 编号) broken across two lines anywhere; no
    date, time, document number or amount broken inside a table cell's field value ("2026年4月/30日",
    "9时05/分"; text of more than 40 characters in a cell is prose and wraps like prose); no label
    broken inside a word: the text before "：" at the start of a line or after a space ("联系电/话："),
    or a short cell (≤ 12 characters, "统一社会信用代/码"), judged by jieba's word boundaries; no
    name broken in a cell that lists names ("蒋德明、沈玉梅、朱大勇、秦卫/国").
    Running prose wraps between any two Chinese characters, dates included, as GB/T 9704 text does;
``stretched``
    no line of text drawn with its characters spread apart ("责　　任　　的　　约　　定"): the
    line before a line break typed in the data (a hazard's numbered points) in a justified
    paragraph, when the document lets justification widen such lines (the templates set
    ``w:doNotExpandShiftReturn``); a tagged PDF only (a paragraph's line, not cells side by side);
``iso_date`` / ``english``
    (:func:`check_text`) no ISO date and no English word on an official document (file names
    only where the document lists files: the 电子数据提取笔录).

The check reads characters with pdfplumber, lines by position, paragraphs and table rows from the
structure tree (pypdf). It is a test instrument, not a gate of the archive pipeline: the tests run
it over every example document and a generated stress set (tests/test_layout_check.py). One rule is
also asked of every converted document, cheaply: :func:`ends_alone` (a seal alone on the last page),
which archive/documents/fit.py mends by laying the document out again.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["LayoutProblem", "check_layout", "check_text", "ends_alone", "page_texts", "FORM_WORDS", "jieba_for_forms", "word_bounds", "CODE", "CELL_SPANS"]


@dataclass(frozen=True)
class LayoutProblem:
    page: int  # 1-based
    kind: str
    message: str  # Chinese first, English in parentheses
    detail: str = ""  # the text concerned

    def line(self) -> str:
        tail = f"：{self.detail}" if self.detail else ""
        return f"第{self.page}页 [{self.kind}] {self.message}{tail}"


# --- what the lines say ---------------------------------------------------------------------------

SIGNATURE = re.compile(
    r"（(?:盖章|签字|签名|印章|签章|公章)）|盖章：|签字：|签名：|签章：|签字确认|（以下无正文）|本文书一式|本协议一式.*份|"
    r"法定代表人或委托代理人|委托代理人|签订日期|^日期：|确认日期|^\s*年\s*月\s*日\s*$|年\s{2,}月\s{2,}日"
)
DATE_ONLY = re.compile(r"^\s*\d{4}年\d{1,2}月\d{1,2}日\s*$")
ORG_NAME = re.compile(r"^[\u3400-\u9fff（）()·]{4,40}(?:公司|局|厂|中心|委员会|政府|部门|单位|站|院|所|队)$")
PERSON_NAME = re.compile(r"^[\u3400-\u9fff·]{2,4}$")
PARTY = re.compile(r"^(?:甲方|乙方|发包单位|承包单位|列入单位)[：:]?\s*\S*$")

PAGE_NO = re.compile(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页|[—–-]\s*(\d+)\s*[—–-]")

# spans a line break may never fall inside a table cell (a form's field); in running prose a date
# wraps like any Chinese text (GB/T 9704), but a Latin code never does
CELL_SPANS = [
    ("日期", re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")),
    ("日期", re.compile(r"\d{1,2}月\d{1,2}日")),
    ("日期", re.compile(r"\d{4}年\d{1,2}月")),
    ("时间", re.compile(r"\d{1,2}时\d{1,2}分")),
    ("文书号", re.compile(r"（[\u3400-\u9fff]{1,8}）[\u3400-\u9fff]{1,10}〔\d{4}〕\d+号")),
    ("金额", re.compile(r"[¥￥]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")),
]
CODE = re.compile(r"[A-Za-z0-9]+(?:[-‐‑/._·][A-Za-z0-9]+)*")
NAME_LIST = re.compile(r"[\u3400-\u9fff·]{2,4}(?:、[\u3400-\u9fff·]{2,4})+")
LABEL_BEFORE_COLON = re.compile(r"(?:^|(?<=[\s　]))([\u3400-\u9fff（）()/、]{2,14})：")
ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{1,2}-\d{1,2}(?![\d-])|(?<!\d)\d{4}/\d{1,2}/\d{1,2}(?!\d)|\d{1,2}:\d{2}(?::\d{2})?")
# an English word: four letters or more with a lower-case one ("outsafe", "check", "photos");
# upper-case abbreviations of the trade (HDPE, LED, DN) and units (min, kVA, MPa) are Chinese usage
ENGLISH = re.compile(r"(?<![A-Za-z0-9\-])(?=[A-Za-z]*[a-z])[A-Za-z]{4,}(?![A-Za-z0-9\-])|[\w./-]+\.(?:jpe?g|png|pdf|ya?ml|docx|json)\b")
ENGLISH_OK: set[str] = set()


def _flat(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


# --- reading the PDF ----------------------------------------------------------------------------------


@dataclass
class _Line:
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    text: str
    para: object = None  # the structure element (paragraph) the line belongs to, when tagged
    row: int | None = None  # the table row (index in _Struct.rows) the line sits in
    mcids: frozenset = frozenset()
    stretched: bool = False  # its characters drawn far apart (a justified line widened to the margin)


@dataclass
class _Page:
    number: int
    height: float
    lines: list[_Line] = field(default_factory=list)  # body lines, top to bottom
    artifacts: str = ""  # text outside the structure tree: headers, footers, page numbers


@dataclass
class _Row:
    table: int
    pages: set[int]
    header: bool  # a heading row (TH cells): repeated on every page the table runs onto
    marks: set[tuple[int, int]]


@dataclass
class _Struct:
    """What the structure tree says: (page, mcid) → paragraph, the table row each paragraph sits
    in, and the pages of every table row."""

    tagged: bool
    para_of: dict[tuple[int, int], int] = field(default_factory=dict)
    row_of: dict[int, int] = field(default_factory=dict)  # paragraph → index in rows
    rows: list[_Row] = field(default_factory=list)


def _struct(reader) -> _Struct:
    root = reader.trailer["/Root"].get("/StructTreeRoot")
    if root is None:
        return _Struct(tagged=False)
    pages = {p.indirect_reference.idnum: i + 1 for i, p in enumerate(reader.pages)}
    out = _Struct(tagged=True)
    counter = iter(range(1 << 30))
    tables = iter(range(1 << 30))
    rolemap = {str(k): str(v) for k, v in (root.get("/RoleMap") or {}).items()}

    def role(e) -> str | None:
        tag = e.get("/S")
        seen = 0
        while tag is not None and str(tag) in rolemap and seen < 8:  # LibreOffice: /Standard → /P
            tag, seen = rolemap[str(tag)], seen + 1
        return None if tag is None else str(tag)

    def page_of(d, default):
        ref = d.raw_get("/Pg") if "/Pg" in d else None
        return pages.get(getattr(ref, "idnum", None), default) if ref is not None else default

    def marks(e, pg) -> Iterator[tuple[int, int]]:
        """Every (page, mcid) under ``e``."""
        e = e.get_object() if hasattr(e, "get_object") else e
        if isinstance(e, int):
            if pg is not None:
                yield (pg, e)
            return
        if not hasattr(e, "get"):
            return
        if "/MCID" in e:
            p = page_of(e, pg)
            if p is not None:
                yield (p, int(e["/MCID"]))
            return
        if "/Obj" in e:
            return
        pg = page_of(e, pg)
        for k in _kids(e):
            yield from marks(k, pg)

    def has_th(e) -> bool:
        return any(role(k.get_object()) == "/TH" for k in _kids(e) if hasattr(k.get_object(), "get"))

    paragraph_tags = {"/P", "/H", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/Caption", "/LBody", "/Lbl", "/Title"}

    def walk(e, pg, table: int | None, row: int | None) -> None:
        e = e.get_object() if hasattr(e, "get_object") else e
        if not hasattr(e, "get") or "/MCID" in e or "/Obj" in e:
            return
        tag = role(e)
        pg = page_of(e, pg)
        if tag == "/Table":
            table = next(tables)
        if tag == "/TR":
            ms = set(marks(e, pg))
            out.rows.append(_Row(table if table is not None else -1, {p for p, _ in ms}, has_th(e), ms))
            row = len(out.rows) - 1
        if tag in paragraph_tags:
            pid = next(counter)
            if row is not None:
                out.row_of[pid] = row
            for m in marks(e, pg):
                out.para_of[m] = pid
            return
        for k in _kids(e):
            walk(k, pg, table, row)

    walk(root, None, None, None)
    return out


def _kids(e) -> list:
    kids = e.get("/K")
    if kids is None:
        return []
    return kids if isinstance(kids, list) else [kids]


def _read(pdf: bytes) -> tuple[list[_Page], _Struct, dict[tuple[int, int], str]]:
    import pdfplumber
    from pypdf import PdfReader

    struct = _struct(PdfReader(io.BytesIO(pdf)))
    pages: list[_Page] = []
    texts: dict[tuple[int, int], str] = defaultdict(str)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            n = page.page_number
            pg = _Page(n, float(page.height))
            body, art = [], []
            for c in page.chars:
                if not c["text"]:
                    continue
                mcid = c.get("mcid")
                if struct.tagged and mcid is None:
                    art.append(c)
                else:
                    body.append(c)
            if not struct.tagged:  # untagged: the page number is the lowest line
                lowest = max((c["bottom"] for c in body), default=0)
                art = [c for c in body if c["bottom"] > lowest - 3 and c["top"] > pg.height * 0.85]
                body = [c for c in body if c not in art]
            pg.artifacts = "".join(c["text"] for c in sorted(art, key=lambda c: (round(c["top"]), c["x0"])))
            groups: dict[object, list] = defaultdict(list)
            for c in sorted(body, key=lambda c: (c["top"], c["x0"])):
                texts[(n, c.get("mcid"))] += c["text"]
            for c in body:
                pid = struct.para_of.get((n, c.get("mcid"))) if struct.tagged else None
                groups[pid].append(c)
            for pid, chars in groups.items():
                for line in _lines(chars):
                    line.page, line.para = n, pid
                    line.row = struct.row_of.get(pid) if pid is not None else None
                    pg.lines.append(line)
            pg.lines.sort(key=lambda ln: (round(ln.top, 0), ln.x0))
            pages.append(pg)
    return pages, struct, dict(texts)


def _lines(chars: list[dict]) -> list[_Line]:
    """Characters grouped into lines (same baseline band), each line's characters by x; a line is
    cut where a gap wider than three characters opens (two table cells side by side)."""
    out: list[_Line] = []
    rows: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        mid = (c["top"] + c["bottom"]) / 2
        for r in rows:
            rt, rb = r[0]["top"], r[0]["bottom"]
            if rt - 1 <= mid <= rb + 1:
                r.append(c)
                break
        else:
            rows.append([c])
    for r in rows:
        r.sort(key=lambda c: c["x0"])
        stretched = _stretched(r)
        seg = [r[0]]
        for prev, c in zip(r, r[1:]):
            if c["x0"] - prev["x1"] > 3 * max(c["size"], 1):
                out.append(_mk(seg, stretched))
                seg = []
            seg.append(c)
        out.append(_mk(seg, stretched))
    return out


def _stretched(row: list[dict]) -> bool:
    """A line of one paragraph whose characters stand apart: most gaps between two visible
    characters wider than half a character (justified Chinese text widens a gap by a fraction of a
    point; a line spread over the whole width by several points to several characters)."""
    # neighbours only: the gap a space character fills ("签字：　　年　　月　　日") is no stretch
    gaps = [(b["x0"] - a["x1"], max(a["size"], b["size"])) for a, b in zip(row, row[1:]) if a["text"].strip() and b["text"].strip()]
    if len(gaps) < 4:
        return False
    wide = [g for g, size in gaps if g > 0.5 * size]
    return len(wide) >= 4 and len(wide) >= 0.6 * len(gaps)


def _mk(chars: list[dict], stretched: bool = False) -> _Line:
    return _Line(0, min(c["top"] for c in chars), max(c["bottom"] for c in chars), chars[0]["x0"], chars[-1]["x1"],
                 "".join(c["text"] for c in chars), mcids=frozenset(c.get("mcid") for c in chars), stretched=stretched)


# --- the checks ------------------------------------------------------------------------------------------


def check_layout(pdf: bytes, *, signatures: bool = True) -> list[LayoutProblem]:
    """Every layout problem of ``pdf`` (empty when it reads as a printed form)."""
    pages, struct, texts = _read(pdf)
    problems: list[LayoutProblem] = []
    problems += _page_numbers(pages)
    if signatures:
        problems += _signature_pages(pages, _signature_rows(struct, texts))
    problems += _rows(struct, pages, texts)
    problems += _breaks(pages, struct)
    if struct.tagged:
        problems += _stretched_lines(pages)
    return problems


def _stretched_lines(pages: list[_Page]) -> list[LayoutProblem]:
    out = []
    for p in pages:
        seen: set[tuple[object, int]] = set()
        for ln in p.lines:
            key = (ln.para, round(ln.top))
            if ln.stretched and ln.para is not None and key not in seen:
                seen.add(key)
                text = "".join(x.text for x in p.lines if x.para == ln.para and abs(x.top - ln.top) < 1)
                out.append(LayoutProblem(p.number, "stretched", "文字被拉开排满一行 (a line spread out over the whole width)", text[:30]))
    return out


def page_texts(pdf: bytes) -> list[str]:
    """The body text of each page, line by line (for messages and tests)."""
    pages, _, _ = _read(pdf)
    return ["\n".join(ln.text for ln in p.lines) for p in pages]


#: a file name or a path in a package ("files/pdf-行政处罚决定书.pdf", "data/package/manifest-sha256.txt")
FILE_NAME = re.compile(r"[\w.\-（）〔〕]*(?:/[\w.\-（）〔〕]*)+|[\w\-（）〔〕]+\.(?:jpe?g|png|pdf|ya?ml|docx|json|txt|sig)\b")


def check_text(pdf: bytes, *, file_names: bool = False) -> list[LayoutProblem]:
    """No ISO date, clock time with a colon, or English word on an official document. With
    ``file_names``, the names and paths of files are the document's content (the 电子数据提取笔录
    lists every file of the package with its SHA-256) and not English."""
    pages, _, _ = _read(pdf)
    out: list[LayoutProblem] = []
    for p in pages:
        text = "\n".join(ln.text for ln in p.lines)
        if file_names:
            text = FILE_NAME.sub(lambda m: "〇" * len(m.group()), text)
        for m in ISO_DATE.finditer(text):
            out.append(LayoutProblem(p.number, "iso_date", "日期或时间未用中文书写 (ISO date or clock time on a form)", m.group()))
        for m in ENGLISH.finditer(text):
            if m.group() not in ENGLISH_OK:
                out.append(LayoutProblem(p.number, "english", "正式文书中出现英文 (English on an official document)",
                                         _context(text, m.start(), m.end())))
    return out


def _context(text: str, a: int, b: int) -> str:
    return text[max(0, a - 8):b + 8].replace("\n", "⏎")


def _page_numbers(pages: list[_Page]) -> list[LayoutProblem]:
    out = []
    total = len(pages)
    for p in pages:
        found = [(m.group(1) or m.group(3), m.group(2)) for m in PAGE_NO.finditer(_flat(p.artifacts) or "")]
        ok = any(int(x) == p.number and (y is None or int(y) == total) for x, y in found)
        if not ok:
            got = "、".join(f"{x}/{y}" if y else x for x, y in found) or "无"
            out.append(LayoutProblem(p.number, "page_number", f"页码缺失或有误，应为第{p.number}页共{total}页 "
                                     f"(page number missing or wrong)", f"页脚：{got}"))
    return out


ZONE_LINES = 16  # lines of text a signature zone (officers, signer, seal, date, copies note) and the page number take at most
_TD = re.compile(rb"-?(?:\d+\.?\d*|\.\d+) (-?(?:\d+\.?\d*|\.\d+)) Td\b")


def ends_alone(pdf: bytes) -> bool:
    """Whether the last page (of two or more) holds a signature, seal or date block and no line of
    the text it signs: ``signature_alone`` on the last page, read cheaply (pypdf's text of one
    page, no structure tree) to be asked of each converted document a relayout could change
    (:mod:`archive.documents.fit`). False for a PDF it cannot read."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return _ends_alone(PdfReader(io.BytesIO(pdf)))
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return False  # a PDF pypdf cannot read this far is not laid out again (the converter's check reads it first)


def _ends_alone(reader) -> bool:
    if len(reader.pages) < 2:
        return False
    last = reader.pages[-1]
    # a page of more lines than a signature zone has holds text: told from where its lines of text
    # start (LibreOffice places each run with "x y Td"), without decoding a glyph — the text of a
    # full page of Chinese took 10–40 ms, ~10 % of a conversion
    contents = last.get_contents()
    starts = {round(float(y)) for y in _TD.findall(contents.get_data() if contents is not None else b"")}
    if len(starts) > ZONE_LINES:
        return False
    kinds = set()
    for line in (last.extract_text() or "").splitlines():
        flat = re.sub(r"\s+", "", line)  # (pypdf spaces digits: "2026 年 3 月 20 日")
        if not flat or PAGE_NO.fullmatch(flat):
            continue
        kinds.add(_kind(flat))
    return "sig" in kinds and "body" not in kinds


def _kind(text: str) -> str:
    """sig (a signature/seal/date line), neutral (a name alone) or body."""
    t = text.strip()
    if SIGNATURE.search(t) or DATE_ONLY.match(t):
        return "sig"
    if ORG_NAME.match(t) or PERSON_NAME.match(t) or PARTY.match(t):
        return "neutral"
    return "body"


def _merged_rows(p: _Page) -> list[str]:
    """The page's text as visual rows (lines at the same height joined left to right)."""
    rows: list[list[_Line]] = []
    for ln in p.lines:
        if rows and abs(rows[-1][0].top - ln.top) < 3:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return ["　".join(x.text for x in sorted(r, key=lambda x: x.x0)) for r in rows]


def _signature_rows(struct: _Struct, texts: dict[tuple[int, int], str]) -> set[int]:
    """Table rows that are signature boxes: a short row with a signature line (a ticket's
    "所在单位意见 … 签字：张三 2026年6月3日8时20分", a row of 执法人员 names and 证号)."""
    out = set()
    for i, r in enumerate(struct.rows):
        text = "".join(texts.get(m, "") for m in sorted(r.marks))
        if SIGNATURE.search(text) and len(_flat(text)) <= 90:
            out.add(i)
    return out


def _signature_pages(pages: list[_Page], sig_rows: set[int]) -> list[LayoutProblem]:
    out = []
    kinds = []
    for p in pages:
        kinds.append([(k, r) for k, r in _merged_rows(p, sig_rows)])
    for i, p in enumerate(pages):
        ks = kinds[i]
        if not ks:
            continue
        if "（以下无正文）" in ks[0][1] and i > 0:
            out.append(LayoutProblem(p.number, "no_text_heads_page", "“（以下无正文）”位于页首 (\"no text below\" opens a page)"))
        if i > 0 and all(k != "body" for k, _ in ks) and any(k == "sig" for k, _ in ks):
            out.append(LayoutProblem(p.number, "signature_alone", "签字盖章栏单独成页 (signature block alone on a page)",
                                     " / ".join(r for _, r in ks[:4])))
            continue
        if i + 1 < len(pages) and kinds[i + 1]:
            tail = _run(ks[::-1])
            head = _run(kinds[i + 1])
            if any(k == "sig" and not _copies(r) for k, r in tail) and any(k == "sig" and not _copies(r) for k, r in head):
                out.append(LayoutProblem(p.number, "signature_split", "签字盖章栏跨页断开 (signature block split across pages)",
                                         f"{tail[-1][1]} … {head[0][1]}"))
    return out


def _merged_rows(p: _Page, sig_rows: set[int]) -> list[tuple[str, str]]:
    """The page's visual rows (lines at the same height joined left to right), each with its kind."""
    rows: list[list[_Line]] = []
    for ln in p.lines:
        if rows and abs(rows[-1][0].top - ln.top) < 3:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    out = []
    for r in rows:
        r.sort(key=lambda x: x.x0)
        text = "　".join(x.text for x in r)
        if any(x.row in sig_rows for x in r if x.row is not None) and all(x.row in sig_rows for x in r if x.row is not None):
            out.append(("sig", text))
        else:
            out.append((_row_kind([x.text for x in r]), text))
    return out


def _copies(text: str) -> bool:
    return bool(re.search(r"本文书一式|^注：本票一式", text))


def _row_kind(parts: list[str]) -> str:
    parts = [x for x in parts if x.strip()]
    kinds = {_kind(x) for x in parts} or {"neutral"}
    if "body" in kinds and "sig" in kinds:
        # "法定代表人：周建国　联系电话：…" is body; "甲方（盖章）：　乙方（盖章）：" is a signature row
        return "sig" if all(_kind(x) != "body" or len(_flat(x)) <= 6 for x in parts) else "body"
    return "body" if "body" in kinds else ("sig" if "sig" in kinds else "neutral")


def _run(seq: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The leading lines of ``seq`` that are not body text."""
    out = []
    for k, r in seq:
        if k == "body":
            break
        out.append((k, r))
    return out


def _rows(struct: _Struct, pages: list[_Page], texts: dict[tuple[int, int], str]) -> list[LayoutProblem]:
    """Rows split across pages; tables with a heading row that run onto a page without it."""
    if not struct.tagged:
        return [LayoutProblem(1, "untagged", "PDF 无结构标签，无法检查表格行是否跨页 (untagged PDF: table rows cannot be checked)")]
    out = []
    by_table: dict[int, list[_Row]] = defaultdict(list)
    for r in struct.rows:
        by_table[r.table].append(r)
        if len(r.pages) > 1:
            text = "".join(texts.get(m, "") for m in sorted(r.marks))
            out.append(LayoutProblem(min(r.pages), "row_split", "表格行跨页断开 (table row split across pages)",
                                     f"第{min(r.pages)}–{max(r.pages)}页：{text[:24]}"))
    artifacts = {p.number: _flat(p.artifacts) for p in pages}
    for rows in by_table.values():
        heads = []
        for r in rows:
            if not r.header:
                break
            heads.append(r)
        if not heads:
            continue
        head = _flat("".join(texts.get(m, "") for r in heads for m in sorted(r.marks)))
        first = min(min(r.pages) for r in rows if r.pages)
        for pg in sorted(set().union(*(r.pages for r in rows)) - {first}):
            # the repeated heading is drawn outside the structure tree; its cells of several lines
            # interleave line by line, so its characters are looked for, not its text in order
            if head and Counter(head) - Counter(artifacts.get(pg, "")):
                out.append(LayoutProblem(pg, "header_missing", "表格续页未重复表头 (table continues without its heading row)",
                                         head[:24]))
    return out


#: words of the forms jieba's general dictionary splits ("作业/票"): a label never breaks inside them
FORM_WORDS = (
    "作业票", "安全作业票", "身份证号", "特种作业操作证", "电工证号", "证书编号", "项目编号",
    "联系电话", "法定代表人", "作业负责人", "监护人", "完工验收", "有限空间", "受限空间", "盲板抽堵", "临时用电",
    "动火人", "司索人", "接受交底人", "安全交底人", "培训人", "受教育人", "执法证号", "文书号",
)


@functools.cache
def jieba_for_forms():
    """A jieba tokenizer with the words of the forms added (the DSL fits labels with the same
    words), made once per process (archive.search.words: jieba's dictionary read in pieces)."""
    from archive.search.words import tokenizer

    tok = tokenizer()
    for w in FORM_WORDS:
        tok.add_word(w, freq=200000)
    return tok


_jieba = jieba_for_forms


def word_bounds(text: str) -> set[int]:
    """Offsets in ``text`` where jieba puts a word boundary."""
    bounds = {0, len(text)}
    i = 0
    for w in _jieba().cut(text, HMM=False):
        i += len(w)
        bounds.add(i)
    return bounds


def _breaks(pages: list[_Page], struct: _Struct) -> list[LayoutProblem]:
    """Line breaks inside protected spans, per paragraph (tagged) or per column of lines."""
    out: list[LayoutProblem] = []
    paras: dict[object, list[_Line]] = defaultdict(list)
    for p in pages:
        for ln in p.lines:
            key = ln.para if ln.para is not None else (p.number, round(ln.x0))
            paras[key].append(ln)
    for lines in paras.values():
        if len(lines) < 2:
            continue
        # a paragraph's lines in reading order; a cell paragraph beside another is kept apart by x
        lines.sort(key=lambda ln: (ln.page, ln.top))
        text = ""
        cuts: list[tuple[int, _Line]] = []
        for ln in lines:
            if text:
                cuts.append((len(text), ln))
            # a space kept at the end of a line is where the line was allowed to break
            text += ln.text.lstrip()
        cell = lines[0].row is not None
        for at, ln in cuts:
            hit = _broken_at(text, at, cell)
            if hit:
                what, span = hit
                out.append(LayoutProblem(ln.page, "broken", f"{what}跨行断开 ({what} broken across lines)",
                                         f"{text[max(0, at - 12):at]}⏎{text[at:at + 12]}（{span}）"))
    return out


def _broken_at(text: str, at: int, cell: bool) -> tuple[str, str] | None:
    """Why a line break at offset ``at`` of a paragraph's text is wrong (None: it is fine)."""
    if text[at - 1:at] == " ":
        return None
    for m in CODE.finditer(text):
        if m.start() < at < m.end():
            left, right = text[at - 1], text[at]
            sep = left in "-‐‑/._·" or right in "-‐‑/._·"
            same = (left.isdigit() and right.isdigit()) or (left.isalpha() and right.isalpha())
            # "30⏎min", "0.8⏎kW": the line broke at a space between a number and its unit
            if sep or same or len(m.group()) >= 10:
                return "编号", m.group()
    if cell and len(text) <= 40:  # a field's value; longer text in a cell is prose
        for what, rx in CELL_SPANS:
            for m in rx.finditer(text):
                if m.start() < at < m.end():
                    return what, m.group()
    # a label: the words before "：" at the start of the paragraph or after a space
    for m in LABEL_BEFORE_COLON.finditer(text):
        a, b = m.start(1), m.end(1)
        if a < at < b:
            label = m.group(1)
            if at - a in word_bounds(label) and len(label) > 8:
                continue  # a long label wrapped between two words
            return "标签", label + "："
    if cell and NAME_LIST.fullmatch(text):
        # a list of names ("蒋德明、沈玉梅、朱大勇、秦卫国"): a line ends after a 、, never inside a name
        if text[at - 1] != "、":
            start = text.rfind("、", 0, at) + 1
            end = text.find("、", at)
            return "姓名", text[start:end if end >= 0 else len(text)]
        return None
    if cell and len(text) <= 12 and not re.search(r"[，。；、：]", text):
        if at not in word_bounds(text):
            return "词语", text
    return None


def problems_text(problems: Iterable[LayoutProblem]) -> str:
    return "\n".join(p.line() for p in problems)
