"""Tables whose columns are computed from what they hold: the campaign's tables (附件2 外包作业情况表,
外包作业队伍监管台账) and the tables attached to the reports (自查发现问题及整改情况表, 整治工作数据表).

    layout = fit_table(columns, rows, CAMPAIGN_TABLE_PAPERS)
    layout.paper.name, layout.font, layout.widths    # "A3 横向", 8, (8.2, 32.2, …) mm
    layout.headings, layout.rows                     # the texts, with their line breaks

What must stay on one line — the layout check (archive/documents/layout.py) reads the same rules
off the PDF: a code (HR-WB-2026-001, a 统一社会信用代码) anywhere; a date (2026年4月30日), a time,
a 文书号 (（高新）应急检记〔2026〕37号) or an amount in any cell; a word (统一社会信用/代码, never
代/码: the check asks it of headings and short cells, the tables keep every word whole).

LibreOffice breaks Chinese text between any two characters, so a wider column is not always better:
"2026年4月10日至2026年7月31日" in a column a little narrower than the whole range breaks inside the
second date. So the lines of every cell are made here: each cell's text is broken where a line may
break (between two units the converter never splits — a Latin or digit run, one Chinese character,
closing punctuation glued to what precedes it and opening punctuation to what follows — and never
inside a protected span), greedily for the column's width, and the breaks are written into the
text ("\n", a line break in the cell). Every line is narrower than the cell by some slack, since
the converter's metrics are not ours to the last tenth of a millimetre, so it never breaks a line
itself. A column is then fine at any width that holds its widest unbreakable piece: the widths are
shared out as the automatic table layout of CSS does (each column at least that, the rest in
proportion to how much more its longest cell wants), and — where the paper has room for it —
wide enough for its heading in three lines.

The paper is the first of the candidates on which the table fits: A4 landscape with 9 or 8 pt
first, A3 landscape for a table as wide as 附件2 (GB/T 9704—2012 10.2 foresees A3 tables).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Paper", "TableLayout", "fit_table", "text_width", "break_cell", "join_lines", "title_lines", "protected_spans", "floor_width",
           "CAMPAIGN_TABLE_PAPERS", "REPORT_ANNEX_PAPERS", "A4_PORTRAIT", "A4_LANDSCAPE", "A3_LANDSCAPE", "CELL_PADDING",
           "TWIPS_PER_MM"]

MM_PER_PT = 25.4 / 72
TWIPS_PER_MM = 1440 / 25.4


@dataclass(frozen=True)
class Paper:
    """A page and its margins (mm); GB/T 9704 margins, turned for a landscape page (the portrait
    订口 becomes the top, 天头 the right)."""

    name: str
    width: float
    height: float
    top: float
    bottom: float
    left: float
    right: float

    @property
    def text_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def landscape(self) -> bool:
        return self.width > self.height


A4_PORTRAIT = Paper("A4", 210, 297, top=37, bottom=35, left=28, right=26)
A4_LANDSCAPE = Paper("A4 横向", 297, 210, top=28, bottom=26, left=35, right=37)
A3_LANDSCAPE = Paper("A3 横向", 420, 297, top=28, bottom=26, left=35, right=37)

#: (paper, font size in points), in order of preference
CAMPAIGN_TABLE_PAPERS: tuple[tuple[Paper, float], ...] = (
    (A4_LANDSCAPE, 9), (A4_LANDSCAPE, 8), (A3_LANDSCAPE, 9), (A3_LANDSCAPE, 8), (A3_LANDSCAPE, 7.5),
)
REPORT_ANNEX_PAPERS: tuple[tuple[Paper, float], ...] = ((A4_PORTRAIT, 10.5), (A4_PORTRAIT, 9), (A4_PORTRAIT, 8), (A4_PORTRAIT, 7.5))

#: left + right cell margins of the templates' dynamic tables (doc_templates/forms_campaign.py: 57 twips each)
CELL_PADDING = 2 * 57 / TWIPS_PER_MM
#: how much narrower than the cell every line is made: our metrics against LibreOffice's, and a
#: little more
SLACK = 0.03
SLACK_MM = 0.5
#: a paper and font are taken when they leave the columns at least this share of the room they want
#: beyond their least widths (else the next candidate, if one does; else the first that fits)
ROOMY = 0.1

# Times New Roman / Liberation Serif advance widths (1/1000 em) of the printable ASCII characters
_LATIN = dict(zip(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    (250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278) + (500,) * 10
    + (278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, 556,
       722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500,
       500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541),
    strict=True,
))
#: LibreOffice's autospacing between a Chinese character and a Latin letter or digit (not between
#: punctuation and either), in em: measured on the converted PDFs, 0.75 mm at 8 pt
CJK_LATIN_GAP = 0.27

OPENING = set("（〔［｛〈《「『【“‘([{")
CLOSING = set("）〕］｝〉》」』】”’，。、；：！？)]},.;:!?%％…/")
ZERO = {"\u2060", "\u200b", "\ufeff"}
_LATIN_RUN = re.compile(r"[A-Za-z0-9¥￥$]+(?:\u2060?[-‐‑/._·:,]\u2060?[A-Za-z0-9]+)*%?")


def _wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80 or ch in "“”‘’…—·"


def _advance(ch: str) -> float:
    """Width of one character in em."""
    if ch in ZERO:
        return 0.0
    if _wide(ch):
        return 1.0
    return _LATIN.get(ch, 500) / 1000


def _ideograph(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch >= "\U00020000"


def _joins(a: str, b: str) -> bool:
    """Does the converter put its autospace between ``a`` and ``b``?"""
    return (_ideograph(a) and b.isascii() and b.isalnum()) or (_ideograph(b) and a.isascii() and a.isalnum())


def text_width(text: str, size_pt: float) -> float:
    """Printed width of ``text`` (mm) in ``size_pt``, on one line."""
    return _ems(text) * (size_pt * MM_PER_PT)


@functools.lru_cache(maxsize=65536)
def _ems(text: str) -> float:
    """Width of ``text`` in em, whatever the size (a table measures the same cell texts for every
    paper and size it tries)."""
    total = sum(_advance(c) for c in text)
    visible = [c for c in text if c not in ZERO]
    joins = sum(1 for a, b in zip(visible, visible[1:]) if _joins(a, b))
    return total + joins * CJK_LATIN_GAP


@functools.lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[tuple[int, int], ...]:
    """The units the converter never breaks inside, as (start, end) offsets: a Latin or digit run
    (a code, a number with its unit sign), one Chinese character, a space — with closing
    punctuation glued to the unit before it and opening punctuation to the unit after it."""
    raw: list[list[int]] = []
    i = 0
    while i < len(text):
        m = _LATIN_RUN.match(text, i)
        end = m.end() if m and m.end() > i else i + 1
        raw.append([i, end])
        i = end
    out: list[list[int]] = []
    pending_open: int | None = None
    for a, b in raw:
        ch = text[a]
        if b - a == 1 and ch in OPENING:
            pending_open = a if pending_open is None else pending_open
            continue
        if b - a == 1 and (ch in CLOSING or ch in ZERO) and out and pending_open is None:
            out[-1][1] = b
            continue
        out.append([pending_open if pending_open is not None else a, b])
        pending_open = None
    if pending_open is not None:
        if out:
            out[-1][1] = len(text)
        else:
            out.append([pending_open, len(text)])
    return tuple((a, b) for a, b in out)


@functools.lru_cache(maxsize=65536)
def protected_spans(text: str, heading: bool = False, words: bool = True) -> tuple[tuple[int, int], ...]:
    """The spans of ``text`` no line break may fall inside (see the module docstring); with
    ``words``, every word of a cell too (the check asks it of short cells only, but a column of
    names or of 动火、高处、吊装 reads better so)."""
    from archive.documents.layout import CELL_SPANS, CODE, word_bounds

    plain = text.replace("\u2060", "")
    spans = [m.span() for m in CODE.finditer(plain) if m.end() - m.start() > 1]
    spans += [m.span() for _, rx in CELL_SPANS for m in rx.finditer(plain)]
    if heading or words:
        for part in re.finditer(r"[^\n]+", plain):
            bounds = sorted(word_bounds(part.group()))
            spans += [(part.start() + a, part.start() + b) for a, b in zip(bounds, bounds[1:]) if b - a > 1]
    if plain != text:  # offsets back into the text with its joiners
        index = [i for i, c in enumerate(text) if c != "\u2060"] + [len(text)]
        spans = [(index[a], index[b - 1] + 1) for a, b in spans]
    return tuple(sorted(set(spans)))


@functools.lru_cache(maxsize=65536)
def _units(text: str, heading: bool) -> tuple[tuple[int, int], ...]:
    """``text`` cut where a line may break: the converter's units, merged where a protected span
    covers several of them (a segment of the text without line breaks)."""
    spans = protected_spans(text, heading)
    out: list[list[int]] = []
    for a, b in _tokens(text):
        if out and (any(x < a < y for x, y in spans)):
            out[-1][1] = b
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def _room(width_mm: float) -> float:
    """The width a line may take in a cell ``width_mm`` wide."""
    return (width_mm - CELL_PADDING - SLACK_MM) / (1 + SLACK)


def floor_width(text: str, size_pt: float, heading: bool = False) -> float:
    """The narrowest cell that holds ``text`` broken only where it may break."""
    return _widest_unit(text, heading) * (size_pt * MM_PER_PT) * (1 + SLACK) + SLACK_MM + CELL_PADDING


@functools.lru_cache(maxsize=65536)
def _widest_unit(text: str, heading: bool) -> float:
    """The width in em of the widest unit of ``text`` that no line break may cut, whatever the size
    (a table measures the same cell texts for every paper and size it tries)."""
    return max((_ems(seg[a:b].strip()) for seg in text.split("\n") for a, b in _units(seg, heading)), default=0.0)


def heading_width(text: str, size_pt: float, lines: int = 3) -> float:
    """The narrowest cell that holds the heading ``text`` in at most ``lines`` lines."""
    w = floor_width(text, size_pt, True)
    top = one_line_width(text, size_pt)
    while w < top and break_cell(text, w, size_pt, True).count("\n") >= lines:
        w += 0.5
    return min(w, top)


def one_line_width(text: str, size_pt: float) -> float:
    """The narrowest cell that holds each line of ``text`` unbroken."""
    return max(text_width(seg.strip(), size_pt) for seg in text.split("\n")) * (1 + SLACK) + SLACK_MM + CELL_PADDING


def break_cell(text: str, width_mm: float, size_pt: float, heading: bool = False) -> str:
    """``text`` with a line break ("\\n") wherever its lines must end in a cell ``width_mm`` wide;
    a space at a line end is dropped."""
    room = _room(width_mm)
    out = []
    for seg in text.split("\n"):
        lines: list[str] = []
        cur = ""
        for a, b in _units(seg, heading):
            piece = seg[a:b]
            if cur and text_width((cur + piece).rstrip(), size_pt) > room:
                lines.append(cur.rstrip())
                cur = piece.lstrip()
            else:
                cur += piece
        lines.append(cur.rstrip())
        out.append("\n".join(lines))
    return "\n".join(out)


#: left + right cell margins of the forms' grids (doc_templates/dsl.py: 85 twips each)
FORM_CELL_PADDING = 2 * 85 / TWIPS_PER_MM


def join_lines(items: Sequence[str], width_mm: float, size_pt: float, sep: str = "、",
               padding: float = FORM_CELL_PADDING) -> str:
    """``items`` joined by ``sep`` in a cell ``width_mm`` wide, with a line break ("\\n") before an
    item that would not fit on the line: a list of names never breaks inside a name
    ("秦卫/国"), whatever the converter would do."""
    room = (width_mm - padding - SLACK_MM) / (1 + SLACK)
    lines: list[str] = []
    cur = ""
    for i, item in enumerate(items):
        piece = item + (sep if i < len(items) - 1 else "")
        if cur and text_width(cur + piece, size_pt) > room:
            lines.append(cur)
            cur = piece
        else:
            cur += piece
    lines.append(cur)
    return "\n".join(lines)


#: words of the titles a line never ends inside (jieba cuts them in two: 外包/作业, 专项/整治)
TITLE_WORDS = ("外包作业", "专项整治", "安全生产", "自查自改", "工作情况", "工作总结", "总结报告", "管理协议", "有限公司",
               "应急管理局", "人民政府", "施工合同", "外包合同", "检修工程", "拆除工程")


def title_lines(text: str, width_mm: float, size_pt: float) -> str:
    """A title of more than one line broken the way GB/T 9704—2012 7.3.1 asks ("标题回行时，要做
    到词意完整，排列对称，长短适宜"): as few lines as the width allows, between words (and never
    inside a code or a date), the lines as even as they can be, the first the longer of two equal
    choices — not "…拆除工程施工" over a lone "合同"."""
    text = text.strip()
    room = width_mm - 0.3  # a title is Chinese text set 1 em a character, our metrics exactly
    if not text or text_width(text, size_pt) <= room:
        return text
    keep = [m.span() for w in TITLE_WORDS for m in re.finditer(re.escape(w), text)]
    units: list[str] = []
    for a, b in _units(text, True):
        if units and any(x < a < y for x, y in keep):
            units[-1] += text[a:b]
        else:
            units.append(text[a:b])
    n = len(units)

    def width(i: int, j: int) -> float:
        return text_width("".join(units[i:j]).strip(), size_pt)

    best: tuple[float, float, list[int]] | None = None
    for lines in range(2, n + 1):
        # cuts[k]: the best (widest line, -first line, cut points) for units[:k] in ``lines`` lines
        memo: dict[tuple[int, int], tuple[float, float, list[int]] | None] = {}

        def solve(start: int, left: int) -> tuple[float, float, list[int]] | None:
            key = (start, left)
            if key in memo:
                return memo[key]
            if left == 1:
                w = width(start, n)
                out = (w, -w, []) if w <= room else None
            else:
                out = None
                for cut in range(start + 1, n - left + 2):
                    w = width(start, cut)
                    if w > room:
                        break
                    rest = solve(cut, left - 1)
                    if rest is None:
                        continue
                    cand = (max(w, rest[0]), -w, [cut] + rest[2])
                    if out is None or cand[:2] < out[:2]:
                        out = cand
            memo[key] = out
            return out

        best = solve(0, lines)
        if best is not None:
            break
    if best is None:
        return text
    cuts = [0] + best[2] + [n]
    return "\n".join("".join(units[a:b]).strip() for a, b in zip(cuts, cuts[1:]))


@dataclass(frozen=True)
class TableLayout:
    paper: Paper
    font: float  # points
    widths: tuple[float, ...]  # mm, one per column, summing to the paper's text width
    headings: tuple[str, ...]  # the column headings with their line breaks
    rows: tuple[tuple[str, ...], ...]  # the cells with their line breaks
    centred: tuple[bool, ...]  # columns of short values (序号, 7/7, 外包, 否) are centred
    fits: bool  # False: no candidate holds the table; the last one is used, some lines overflow

    @property
    def width(self) -> float:
        return self.paper.text_width

    def twips(self) -> tuple[int, ...]:
        """The column widths in twips, summing exactly to the table's width in twips."""
        total = round(self.width * TWIPS_PER_MM)
        edges = [0]
        acc = 0.0
        for w in self.widths:
            acc += w
            edges.append(round(acc * TWIPS_PER_MM))
        edges[-1] = total
        return tuple(b - a for a, b in zip(edges, edges[1:]))


def _share(least: list[float], full: list[float], total: float) -> list[float]:
    """Widths filling ``total``: each at least ``least``; the rest shared in proportion to what each
    still wants up to ``full``, and what is left after that in proportion to ``full``."""
    hi = [max(f, x) for f, x in zip(full, least)]
    spare = total - sum(least)
    want = [h - x for h, x in zip(hi, least)]
    if sum(want) <= spare:
        extra = spare - sum(want)
        out = [h + extra * h / sum(hi) for h in hi]
    else:
        out = [x + spare * w / sum(want) for x, w in zip(least, want)]
    out = [round(w, 2) for w in out]
    out[-1] = round(out[-1] + total - sum(out), 2)
    return out


def fit_table(columns: Sequence[str], rows: Sequence[Sequence[str]], candidates: Sequence[tuple[Paper, float]]) -> TableLayout:
    """The paper, font, column widths and line breaks of a table (see the module docstring)."""
    texts = [[str(r[i]) if i < len(r) else "" for r in rows] for i in range(len(columns))]

    def need(size: float) -> tuple[list[float], list[float], list[float]]:
        """(least, preferred least, full) width of every column."""
        least, pref, full = [], [], []
        for head, cells in zip(columns, texts):
            distinct = set(cells)
            least.append(max([floor_width(head, size, True)] + [floor_width(t, size) for t in distinct]))
            pref.append(max(least[-1], heading_width(head, size)))
            full.append(max([one_line_width(head, size)] + [one_line_width(t, size) for t in distinct]))
        return least, pref, full

    chosen: tuple[Paper, float, list[float], bool] | None = None
    needs = {size: need(size) for size in dict.fromkeys(s for _, s in candidates)}

    def share(paper: Paper, size: float) -> float | None:
        """How much of what the columns want beyond their preferred least widths they get (None: those
        do not fit)."""
        least, pref, full = needs[size]
        spare = paper.text_width - sum(pref)
        return None if spare < 0 else min(1.0, spare / max(sum(full) - sum(pref), 1e-6))

    fitting = [(p, s) for p, s in candidates if share(p, s) is not None]
    # the first paper and font that leave the long columns a tenth of what they want, else the first that fits
    pick = next(((p, s) for p, s in fitting if share(p, s) >= ROOMY), fitting[0] if fitting else None)
    if pick:
        least, pref, full = needs[pick[1]]
        chosen = (pick[0], pick[1], _share(pref, full, pick[0].text_width), True)
    else:
        pick = next(((p, s) for p, s in candidates if sum(needs[s][0]) <= p.text_width), None)
        if pick:
            least, _, full = needs[pick[1]]
            chosen = (pick[0], pick[1], _share(least, full, pick[0].text_width), True)
    if chosen is None:
        paper, size = candidates[-1]
        least = needs[size][0]
        scale = paper.text_width / sum(least)
        chosen = (paper, size, [round(x * scale, 2) for x in least], False)
    paper, size, got, fits = chosen
    headings = tuple(break_cell(h, w, size, True) for h, w in zip(columns, got))
    broken = [{t: break_cell(t, w, size) for t in set(cells)} for cells, w in zip(texts, got)]  # each distinct text of a column once
    out_rows = tuple(tuple(broken[i][texts[i][j]] for i in range(len(columns))) for j in range(len(rows)))
    centred = tuple(bool(cells) and all(len(t) <= 6 and "\n" not in t for t in (r[i] for r in out_rows))
                    for i, cells in enumerate(texts))
    return TableLayout(paper, size, tuple(got), headings, out_rows, centred, fits)
