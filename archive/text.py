"""How results read as text, for any front end.

A result the command line prints offers ``as_dict()`` (its ``--json`` document), ``as_text()``
(its lines, Chinese first, English in parentheses) and, when a run can fail without raising,
``exit_code`` (0 ok, 1 bad input, 3 verification failed: ``archive.errors.ExitCode``). The text
lives beside each result (``archive/*/text.py`` or the result's own method), so that a web page
shows the same words as the terminal.

A line that is a :class:`Note` belongs on the side channel — stderr on a terminal: a warning, a
problem, what was not done. A plain ``str`` is the result itself (stdout). Order is kept.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

NONE = "（无 / none）"


def cn_date(d: date) -> str:
    """A day as Chinese documents and findings print it, without leading zeros (GB/T 9704 7.3.5.3):
    2026年5月6日."""
    return f"{d.year}年{d.month}月{d.day}日"


class Note(str):
    """A line for the side channel (stderr): a warning, a problem, what was not done."""


def whole_number(text: str | None, max_digits: int = 18, default: int | None = None) -> int | None:
    """``text`` as a whole number when it is written in ASCII digits only (at most ``max_digits``),
    else ``default``. ``str.isdigit()`` also takes "²" and "٣", which ``int()`` refuses, and ``int()``
    refuses more than 4,300 digits: from a query string or a header, both were a server error."""
    if text is None or not 0 < len(text) <= max_digits or not text.isascii() or not text.isdigit():
        return default
    return int(text)


def notes(lines: list[str]) -> list[str]:
    return [Note(line) for line in lines]


def width(s: str) -> int:
    """Display width: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def table(rows: list[dict], columns: list[tuple[str, str]]) -> list[str]:
    """Rows as aligned columns under their headings (``columns``: (key, heading) pairs)."""
    if not rows:
        return [NONE]
    cells = [[("" if r.get(k) is None else str(r.get(k))) for k, _ in columns] for r in rows]
    heads = [h for _, h in columns]
    widths = [max(width(x) for x in [h] + [c[i] for c in cells]) for i, h in enumerate(heads)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - width(v)) for v, w in zip(values, widths)).rstrip()

    return [line(heads), line(["-" * w for w in widths])] + [line(c) for c in cells]


@dataclass
class Table:
    """A listing: ``--json`` prints the rows, text prints the chosen columns."""

    rows: list[dict]
    columns: list[tuple[str, str]]

    def as_dict(self) -> list[dict]:
        return self.rows

    def as_text(self) -> list[str]:
        return table(self.rows, self.columns)


def problem_notes(problems: list[Any]) -> list[str]:
    """Validation problems, one a line on the side channel (indented when they name a file)."""
    return [Note(("  " if p.file else "") + p.line()) for p in problems]
