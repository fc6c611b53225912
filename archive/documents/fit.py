"""Keeping a document's end with its body: no seal, signature or date alone on the last page.

    from archive.documents.fit import convert_fitted

    for docx, result in convert_fitted(converter, [(name, docx_bytes), ...], expect_text=...):
        ...  # the .docx to keep and its PdfResult: a document re-laid-out if its end stood alone

Every template keeps its signature zone with the last paragraphs of the text above it
(``keepNext``, doc_templates/dsl.py ``Doc.keep_previous``). LibreOffice honours that by moving
those paragraphs whole to the next page; when they and the zone together are more than a page
(a 移出 decision whose reason runs to 600 characters, a measure typed as one long paragraph) it
gives up and the zone goes on alone to a page of its own — a page an official does not accept
(GB/T 9704—2012 7.3.5.4: the seal shares a page with the text). Which paragraph runs long is the
data's doing, so it is found where the PDF is made: after each conversion the last page is read
(:func:`archive.documents.layout.ends_alone`, pypdf, in the converter's worker thread while
LibreOffice converts the next document: ``PdfResult.ends_alone``) — of the documents a layout
below could change (:func:`relayable`: a long paragraph keeps with the next); a document whose end
stands alone is laid out again, in the order below, and the first layout whose end shares a page
with the text is kept, .docx and PDF alike (the sealed .docx prints as the PDF does):

1. **the long paragraphs flow** (:func:`flowing_keeps`): no paragraph of more than
   :data:`LONG` characters keeps with the next one, so the text runs on as written and breaks
   where the page ends; the zone follows it;
2. **the end of the last long paragraph keeps** (:func:`split_tail`): that paragraph is split at
   a punctuation mark two lines or more before its end; the head flows, the tail (no first-line
   indent: it reads as the same paragraph) keeps with the zone — what a typesetter would do.

A document none of them mends keeps its first layout (the layout check of the tests names it).
The other documents of the batch are not converted again.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["convert_fitted", "convert_one_fitted", "relayable", "flowing_keeps", "split_tail", "LONG"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_P, _PPR, _R, _T, _KEEP, _IND = (f"{{{W}}}{n}" for n in ("p", "pPr", "r", "t", "keepNext", "ind"))
BODY_PART = "word/document.xml"

LONG = 80  # characters: about three lines of 仿宋 三号 on a form — longer paragraphs may flow
TAIL = 56  # characters the kept tail holds at least (two lines)
_BREAK = re.compile(r"[，。；：、！？）]")


def convert_fitted(
    convert: Callable[..., list],
    docs: Sequence[tuple[str, bytes]],
    progress: Callable | None = None,
    expect_text: Mapping[str, Sequence[str]] | None = None,
) -> list[tuple[bytes, object]]:
    """(the .docx kept, its PdfResult) for each of ``docs``, in order; ``convert`` is a
    :meth:`Converter.convert_many`. Documents whose end stands alone on the last page are laid
    out again (the module's docstring); a layout that fails to convert is never kept."""
    from archive.errors import ConversionError

    docs = list(docs)
    movable = {name for name, docx in docs if relayable(docx)}  # (the others' ends are not read: ~5–15 ms a PDF)
    results = convert(docs, progress=progress, expect_text=expect_text, read_end=movable)
    out = [(docx, res) for (_, docx), res in zip(docs, results)]
    for relayout in (flowing_keeps, split_tail):
        alone = [i for i, (_, res) in enumerate(out) if res.ok and res.ends_alone]
        tries = [(i, relayout(docs[i][1])) for i in alone]
        tries = [(i, docx) for i, docx in tries if docx is not None]
        if not tries:
            continue
        try:
            again = convert([(docs[i][0], docx) for i, docx in tries], expect_text=expect_text, read_end=movable)
        except ConversionError:  # (the pool gave out: the first layouts stand, as converted)
            break
        for (i, docx), res in zip(tries, again):
            if res.ok and not res.ends_alone:
                out[i] = (docx, res)
    return out


# --- layouts --------------------------------------------------------------------------------------------


def _text(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(_T))


def _long_kept(body: etree._Element) -> list[etree._Element]:
    """The body's own paragraphs (not those in tables) of more than :data:`LONG` characters that
    keep with the next."""
    return [p for p in body.iterchildren(_P) if p.find(f"{_PPR}/{_KEEP}") is not None and len(_text(p)) > LONG]


def _unkeep(p: etree._Element) -> None:
    p.find(_PPR).remove(p.find(f"{_PPR}/{_KEEP}"))


def _edit(docx: bytes, change: Callable[[etree._Element], bool]) -> bytes | None:
    """``docx`` with its body changed by ``change`` (None when it changes nothing)."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        root = etree.fromstring(z.read(BODY_PART))
        body = root.find(f"{{{W}}}body")
        if body is None or not change(body):
            return None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
            for info in z.infolist():
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True) if info.filename == BODY_PART \
                    else z.read(info.filename)
                w.writestr(info, data)
    return out.getvalue()


def relayable(docx: bytes) -> bool:
    """Whether a layout of this module could change ``docx``: a paragraph of the body (not of a
    table) of more than :data:`LONG` characters keeps with the next. False for a file that is no
    .docx (the converter says what is wrong with it)."""
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as z:
            body = etree.fromstring(z.read(BODY_PART)).find(f"{{{W}}}body")
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError):
        return False
    return body is not None and bool(_long_kept(body))


def flowing_keeps(docx: bytes) -> bytes | None:
    """Layout 1: the paragraphs of more than :data:`LONG` characters no longer keep with the next."""
    def change(body: etree._Element) -> bool:
        long = _long_kept(body)
        for p in long:
            _unkeep(p)
        return bool(long)
    return _edit(docx, change)


def split_tail(docx: bytes) -> bytes | None:
    """Layout 2: the last long paragraph that keeps with the next, split in two at a punctuation
    mark at least :data:`TAIL` characters before its end: the head flows, the tail keeps."""
    def change(body: etree._Element) -> bool:
        long = _long_kept(body)
        cut = _cut(long[-1]) if long else None
        if cut is None:
            return False
        tail = _split(long[-1], cut)
        for p in long:
            _unkeep(p)  # (the tail keeps: its properties are a copy of the head's)
        _continuing(long[-1].find(_PPR), tail.find(_PPR))
        return True
    return _edit(docx, change)


def _continuing(head: etree._Element, tail: etree._Element | None) -> None:
    """The tail's paragraph properties read as the head's paragraph going on: no first-line
    indent, no list number, no section break, no space between them."""
    if tail is None:
        return
    for name in ("numPr", "sectPr"):
        for el in tail.findall(f"{{{W}}}{name}"):
            tail.remove(el)
    ind = tail.find(_IND)
    if ind is not None:
        for a in ("hanging", "hangingChars"):
            ind.attrib.pop(f"{{{W}}}{a}", None)
        ind.set(f"{{{W}}}firstLine", "0")
        ind.set(f"{{{W}}}firstLineChars", "0")
    for props, side in ((tail, "before"), (head, "after")):
        spacing = props.find(f"{{{W}}}spacing")
        if spacing is not None:
            spacing.attrib.pop(f"{{{W}}}{side}Lines", None)
            spacing.set(f"{{{W}}}{side}", "0")


def _spans(p: etree._Element) -> list[tuple[int, int, etree._Element]]:
    """(start, end, run) of each run of paragraph ``p`` in its text."""
    out, seen = [], 0
    for r in p.iterchildren(_R):
        n = len(_text(r))
        out.append((seen, seen + n, r))
        seen += n
    return out


def _simple(r: etree._Element) -> bool:
    """A run holding one text and nothing else (no line break, tab or drawing): its text can be cut."""
    return [c.tag for c in r if c.tag != f"{{{W}}}rPr"] == [_T]


def _cut(p: etree._Element) -> int | None:
    """Where to split paragraph ``p``: after the last punctuation mark that leaves the tail at
    least :data:`TAIL` characters (and the head as many), inside a run of one text or at a run's
    start; None when there is no such place."""
    if p.find(f".//{{{W}}}fldChar") is not None:
        return None  # a field's start and end stay in one paragraph
    spans = _spans(p)
    text = "".join(_text(r) for _, _, r in spans)
    for m in reversed(list(_BREAK.finditer(text, 0, max(0, len(text) - TAIL)))):
        at = m.end()
        if at < TAIL:
            return None
        run = next((r for a, b, r in spans if a < at < b), None)  # None: the cut falls between runs
        if run is None or _simple(run):
            return at
        start = next(a for a, b, r in spans if r is run)
        if start >= TAIL:
            return start
    return None


def _split(p: etree._Element, at: int) -> etree._Element:
    """Move the text of paragraph ``p`` from character ``at`` on (between runs, or inside a run
    of one text: :func:`_cut`) into a new paragraph after it, with the same paragraph and run
    properties; returns the new paragraph."""
    tail = p.makeelement(_P)
    ppr = p.find(_PPR)
    if ppr is not None:
        tail.append(copy.deepcopy(ppr))
    moving: list[etree._Element] = []
    for a, b, r in _spans(p):
        if a >= at:
            moving.append(r)
        elif b > at:  # the run the cut falls in (one text): its text is shared out
            right = copy.deepcopy(r)
            left_t, right_t = r.find(_T), right.find(_T)
            text = left_t.text or ""
            left_t.text, right_t.text = text[:at - a], text[at - a:]
            for t in (left_t, right_t):
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            r.addnext(right)
            moving.append(right)
    if moving:  # whatever follows the first run moved goes along (bookmarks, ends of fields)
        first = moving[0]
        moving = [first, *first.itersiblings()]
    for c in moving:
        tail.append(c)
    p.addnext(tail)
    return tail


def convert_one_fitted(docx: bytes, settings=None, expect_text: Sequence[str] = (), *, tmp_dir=None) -> tuple[bytes, bytes]:
    """(the .docx kept, its PDF) of one document through a one-worker pool (previews, reports);
    raises :class:`~archive.documents.convert.ConversionError`."""
    from archive.documents.convert import Converter

    with Converter(settings, workers=1, tmp_dir=tmp_dir) as conv:
        ((kept, result),) = convert_fitted(conv.convert_many, [("document", docx)], expect_text={"document": list(expect_text)})
    return kept, result.unwrap()
