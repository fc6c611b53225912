"""Long tables written row by row.

docxtpl renders a document as one string and parses it into one lxml tree; for the campaign's
tables (台账 and 附件2: one row per project or contractor, thousands at a district's scale) that
tree is most of a report's memory — ~5 KB a cell, 249 MB for the 3,564-row ledger of a
121,168-record archive. A table longer than ``min_rows`` is therefore rendered with two stand-in
rows (one with the last row's keep-with-next, one without) whose cells hold markers; when the
document's XML is written out, each stand-in row is the pattern every real row of its kind is
written from, its cells' texts put in as docxtpl, Jinja and lxml would have put them:

- the text is escaped as lxml writes text (``&``, ``<``, ``>``; quotes as they are: Jinja's
  ``&#34;``/``&#39;`` and _finalize's ``&#95;`` come back as the characters after the parse);
- a line break (``\\n``) ends the ``w:t`` and starts ``<w:br/><w:t xml:space="preserve">``
  (docxtpl's ``resolve_listing``); an empty ``w:t`` is written as lxml writes it, self-closed;
- a hyphen inside a code is followed by a WORD JOINER, a 、 between numbers by a ZERO WIDTH SPACE (render.mark_breaks, passed in).

A table whose cells hold anything else docxtpl would turn into markup (a tab) or lxml would
normalise (a carriage return), or whose rows are not all as wide as its first, is rendered the
ordinary way; so is every table if the rendered document does not hold each marker exactly once
(a template of one's own printing the rows differently). tests/test_render.py compares the
document.xml written both ways byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from archive.documents.context import Record

__all__ = ["LongTable", "take_long_tables", "expand", "Patterns", "STAND_IN"]

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters around a stand-in cell's marker
STAND_IN = _OPEN


def _marker(table: int, variant: int, column: int) -> str:
    return f"{_OPEN}{table}:{variant}:{column}{_CLOSE}"


@dataclass(frozen=True)
class LongTable:
    index: int  # in calc.tables
    columns: int
    rows: tuple[tuple[tuple[str, ...], bool], ...]  # (cells, keep with the next paragraph)


def _plain(cells: Any, columns: int) -> bool:
    return (isinstance(cells, list | tuple) and len(cells) == columns
            and all(isinstance(c, str) and "\t" not in c and "\r" not in c and _OPEN not in c for c in cells))


def take_long_tables(context: dict, min_rows: int) -> list[LongTable]:
    """The tables of ``context["calc"]`` longer than ``min_rows`` that can be written row by row;
    in the context each is left with its two stand-in rows."""
    calc = context.get("calc")
    if not isinstance(calc, Record):
        return []
    tables = getattr(calc, "tables", None)
    if not isinstance(tables, list):
        return []
    taken: list[LongTable] = []
    new_tables = list(tables)
    for k, t in enumerate(tables):
        rows = getattr(t, "rows", None) if isinstance(t, Record) else None
        if not isinstance(rows, list) or len(rows) <= min_rows or not all(isinstance(r, Record) for r in rows):
            continue
        first = getattr(rows[0], "cells", None)
        columns = len(first) if isinstance(first, list | tuple) else 0
        if not columns or not all(_plain(getattr(r, "cells", None), columns) for r in rows):
            continue
        taken.append(LongTable(k, columns, tuple((tuple(r.cells), bool(r.keep)) for r in rows)))
        stand_ins = [Record(f"{t._path}.rows[{v}]", rows[0]._cls,
                            {"cells": [_marker(k, v, i) for i in range(columns)], "keep": v == 1}) for v in (0, 1)]
        new_tables[k] = Record(t._path, t._cls, {**t._values, "rows": stand_ins})
    if taken:
        context["calc"] = Record(calc._path, calc._cls, {**calc._values, "tables": new_tables})
    return taken


_T_OPEN = re.compile(rb"<w:t(?:\s[^>]*)?>$")
_NEXT_T = b'<w:t xml:space="preserve">'


def _t(open_tag: bytes, segment: str, join: Callable[[str], str]) -> bytes:
    body = join(segment).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")
    return open_tag + body + b"</w:t>" if body else open_tag[:-1] + b"/>"


@dataclass(frozen=True)
class _Pattern:
    pieces: tuple[bytes, ...]  # columns + 1 pieces of XML around the cells' texts
    opens: tuple[bytes, ...]  # each cell's own <w:t …> tag

    def row(self, cells: tuple[str, ...], join: Callable[[str], str]) -> bytes:
        out = [self.pieces[0]]
        for i, text in enumerate(cells):
            lines = text.split("\n")
            out.append(_t(self.opens[i], lines[0], join))
            for line in lines[1:]:
                out.append(b"<w:br/>")
                out.append(_t(_NEXT_T, line, join))
            out.append(self.pieces[i + 1])
        return b"".join(out)


@dataclass(frozen=True)
class Patterns:
    """Where each long table's stand-in rows are in the rendered XML, and their patterns."""

    spans: tuple[tuple[int, int, LongTable, _Pattern, _Pattern], ...]  # (start, end, table, plain row, kept row)

    @classmethod
    def find(cls, xml: bytes, tables: list[LongTable]) -> Patterns | None:
        """None when the stand-in rows are not where and as they should be (each marker once, in a
        w:t of its own, the two rows one after the other)."""
        spans = []
        for t in tables:
            found = []
            for v in (0, 1):
                marks = [_marker(t.index, v, i).encode("utf-8") for i in range(t.columns)]
                where = [xml.find(m) for m in marks]
                if any(w < 0 or xml.find(m, w + 1) >= 0 for w, m in zip(where, marks)) or where != sorted(where):
                    return None
                start = max(xml.rfind(b"<w:tr>", 0, where[0]), xml.rfind(b"<w:tr ", 0, where[0]))
                end = xml.find(b"</w:tr>", where[-1])
                if start < 0 or end < 0 or xml.find(b"<w:tr", where[0], where[-1]) >= 0:
                    return None
                end += len(b"</w:tr>")
                pieces, opens, cursor = [], [], start
                for w, m in zip(where, marks):
                    tag_at = xml.rfind(b"<w:t", cursor, w)
                    if tag_at < 0 or not _T_OPEN.match(xml[tag_at:w]) or not xml.startswith(b"</w:t>", w + len(m)):
                        return None
                    pieces.append(xml[cursor:tag_at])
                    opens.append(xml[tag_at:w])
                    cursor = w + len(m) + len(b"</w:t>")
                pieces.append(xml[cursor:end])
                found.append((start, end, _Pattern(tuple(pieces), tuple(opens))))
            (s0, e0, plain), (s1, e1, kept) = found
            if e0 != s1:
                return None
            spans.append((s0, e1, t, plain, kept))
        spans.sort(key=lambda s: s[0])
        if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
            return None
        return cls(tuple(spans))


def expand(xml: bytes, patterns: Patterns, join: Callable[[str], str], batch: int = 200) -> Iterator[bytes]:
    """The document's XML with every long table's rows in place of its stand-ins, in pieces;
    ``join``: what the render does to the text of every ``w:t`` (render.mark_breaks)."""
    cursor = 0
    for start, end, table, plain, kept in patterns.spans:
        yield xml[cursor:start]
        rows = table.rows
        for i in range(0, len(rows), batch):
            yield b"".join((kept if keep else plain).row(cells, join) for cells, keep in rows[i:i + batch])
        cursor = end
    yield xml[cursor:]
