"""A form's fields and a case file: from what a browser posts to the case file, and from a case
file (or what was posted) to what each field shows.

    raw = read_form(cls, posted, unmask=Unmasker(previous, registry_ids))   # posted: name → [values]
    nodes = fields_of(cls, raw, problems)                                    # what the page shows

Names are the paths of ``outsafe case validate`` (``workers[0].name``). A browser leaves out an
unchecked box and an empty list, so every check box, list and set of boxes also posts its path in
``_f``: a path in ``_f`` without values is False or an empty list, a path not there is left to the
schema's default. Values are the case file's text: numbers, dates and times stay text for the
schema to read exactly as it reads a YAML file — the same problems, the same messages — except
whole numbers (the schema wants a number, not text) and yes/no (``true``/``false``). Line breaks
are ``\\n``. Several choices keep the order they come in: the page shows the boxes ticked first,
in the file's order, so the case file comes back as it was. Empty fields are left out (the schema's default, or "missing"); a row or a group with
nothing but defaults in it is left out too.

身份证号 on a page are masked like everywhere else (``3701**********1213``). What comes back
masked is put back from what the draft held, or from the registry (a person picked from the list
arrives as ``姓名 3701**********1213``): :class:`Unmasker`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from archive.forms.model import Widget, form_for
from archive.privacy import ID_PATTERN, mask_text
from schemas.base import CST, Flag
from schemas.identifiers import mask_id
from schemas.problems import Problem

MARK = "_f"  # the hidden field naming the check boxes and lists a form shows
MASKED = re.compile(r"\d{4}\*{10}\d{3}[\dXx]")
PICKED = re.compile(r"^\s*(.+?)\s+(\d{4}\*{10}\d{3}[\dXx])\s*$")  # a person picked from the list: 姓名 + masked 身份证号
_CN_DATE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
_INT = re.compile(r"^\s*[+-]?\d{1,15}\s*$")
_ROW = re.compile(r"\[(\d{1,6})\]")
EMPTY = object()


# --- masked numbers back to what they were ----------------------------------------------------------


class Unmasker:
    """Masked 身份证号 in posted text, back to the full numbers: those the draft held before
    (``previous``, any text in it) first, then registered people (``registry(masked, name)`` →
    the full numbers of that mask, of that name when given). A mask that fits no number or more
    than one stays as it is, and the schema says what is wrong with it."""

    def __init__(self, previous: Any = None, registry: Callable[[str, str | None], set[str]] | None = None) -> None:
        self.known: dict[str, set[str]] = {}
        self.registry = registry
        for text in _strings(previous):
            for m in ID_PATTERN.finditer(text):
                self.known.setdefault(mask_id(m.group(0)), set()).add(m.group(0))

    def full(self, masked: str, name: str | None = None) -> str | None:
        found = self.known.get(masked, set())
        if len(found) == 1:
            return next(iter(found))
        if self.registry is not None:
            found = self.registry(masked, name)
            if len(found) == 1:
                return next(iter(found))
        return None

    def text(self, value: str, name: str | None = None) -> str:
        if "*" not in value:
            return value
        return MASKED.sub(lambda m: self.full(m.group(0), name) or m.group(0), value)


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


# --- posted fields → case file -----------------------------------------------------------------------


class Posted:
    """What a browser posted: name → values, in order."""

    def __init__(self, pairs: Mapping[str, Sequence[str]] | Sequence[tuple[str, str]]) -> None:
        self.values: dict[str, list[str]] = {}
        items = pairs.items() if isinstance(pairs, Mapping) else ((k, [v]) for k, v in pairs)
        for k, vs in items:
            for v in ([vs] if isinstance(vs, str) else vs):
                self.values.setdefault(k, []).append(v.replace("\r\n", "\n").replace("\r", "\n"))
        self.marked = set(self.values.get(MARK, ()))
        self.names = [k for k in self.values if k != MARK]

    def one(self, name: str) -> str | None:
        vs = self.values.get(name)
        return vs[-1] if vs else None

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def rows(self, path: str) -> list[int]:
        """The row numbers posted under list ``path`` (``path[3]…``), in order."""
        prefix = path + "["
        out = set()
        for n in self.names:
            if n.startswith(prefix):
                m = _ROW.match(n, len(path))
                if m:
                    out.add(int(m.group(1)))
        for n in self.marked:
            if n.startswith(prefix):
                m = _ROW.match(n, len(path))
                if m:
                    out.add(int(m.group(1)))
        return sorted(out)


def read_form(cls: type, posted: Posted, *, unmask: Unmasker | None = None, fixed: Mapping[str, Any] | None = None) -> dict:
    """The case file (without ``type``) that the posted fields of ``cls``'s form make."""
    unmask = unmask or Unmasker()
    out = _read_group(form_for(cls), posted, "", unmask)
    for k, v in (fixed or {}).items():
        out[k] = v
    return out


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _read_group(widgets: Sequence[Widget], posted: Posted, prefix: str, unmask: Unmasker) -> dict:
    out: dict[str, Any] = {}
    for w in widgets:
        value = _read(w, posted, _join(prefix, w.name), unmask)
        if value is not EMPTY:
            out[w.name] = value
    for w in widgets:  # a person picked from the list: "姓名 3701**********1213"
        if w.ref == "person" and isinstance(out.get(w.name), str):
            m = PICKED.match(out[w.name])
            if m is None:
                out[w.name] = unmask.text(out[w.name])
            else:
                out[w.name] = m.group(1)
                if not out.get("id_number") or MASKED.fullmatch(str(out.get("id_number"))):
                    out["id_number"] = unmask.full(m.group(2), m.group(1)) or m.group(2)
    for w in widgets:
        if w.sensitive and isinstance(out.get(w.name), str):
            out[w.name] = unmask.text(out[w.name], out.get("name") if isinstance(out.get("name"), str) else None)
    return out


def _scalar(w: Widget, text: str | None, unmask: Unmasker) -> Any:
    if text is None or not text.strip():
        return EMPTY
    if w.kind == "int" and _INT.match(text):
        return int(text)
    if w.kind == "select" and w.choices and isinstance(w.choices[0][0], int) and _INT.match(text):
        return int(text)
    if w.kind == "tristate":
        low = text.strip().lower()
        return True if low in ("true", "1", "是") else False if low in ("false", "0", "否") else text
    if w.kind in ("text", "textarea", "image"):
        return unmask.text(text) if not (w.sensitive or w.ref == "person") else text
    return text


def _read(w: Widget, posted: Posted, path: str, unmask: Unmasker) -> Any:
    if w.kind == "group":
        value = _read_group(w.children, posted, path, unmask)
        if _empty(w.children, value):
            return EMPTY if not w.required else value
        return value
    if w.kind == "rows":
        rows = []
        for i in posted.rows(path)[: w.max_items + 1]:
            row = _read_group(w.children, posted, f"{path}[{i}]", unmask)
            if not _empty(w.children, row):
                rows.append(row)
        return rows if rows or path in posted.marked else EMPTY
    if w.kind == "list":
        assert w.item is not None
        items = [v for i in posted.rows(path)[: w.max_items + 1]
                 if (v := _scalar(w.item, posted.one(f"{path}[{i}]"), unmask)) is not EMPTY]
        return items if items or path in posted.marked else EMPTY
    if w.kind == "multi":
        chosen = [v for v in posted.all(path) if v.strip()]
        if not chosen:
            return [] if path in posted.marked else EMPTY
        ints = bool(w.choices) and isinstance(w.choices[0][0], int)
        return [int(v) if ints and _INT.match(v) else v for v in dict.fromkeys(chosen)]  # in the order posted
    if w.kind == "bool":
        text = posted.one(path)
        if text is None:
            return False if path in posted.marked else EMPTY
        return text.strip().lower() not in ("", "false", "0", "off", "否")
    return _scalar(w, posted.one(path), unmask)


def _empty(widgets: Sequence[Widget], value: dict) -> bool:
    """Nothing but defaults: a row added and left blank, a group not filled in."""
    for w in widgets:
        if w.name not in value:
            continue
        v = value[w.name]
        if w.kind == "group":
            if not (isinstance(v, dict) and _empty(w.children, v)):
                return False
        elif w.kind in ("rows", "list", "multi"):
            if v != (w.default or []):
                return False
        elif w.kind == "bool":
            if v != bool(w.default):
                return False
        elif w.kind == "fixed":
            continue
        elif v != w.default:
            return False
    return True


# --- case file → what each field shows ------------------------------------------------------------------


@dataclass
class Node:
    """One field as the page shows it: its widget, path (the posted name), HTML id, value (text,
    a list of texts for check boxes, True/False for a check box), its problems, and for groups and
    lists their fields or rows (and, for lists, the blank row new rows are made from)."""

    w: Widget
    path: str
    value: Any = ""
    children: list[Node] = field(default_factory=list)
    template: Node | None = None
    problems: list[Problem] = field(default_factory=list)
    depth: int = 0  # lists around this field
    index: str = ""  # a row: its number (or the placeholder of the blank row)
    as_text: bool = False  # a date or time that is not one (shown as typed, in a text box)
    extra_choice: str | None = None  # a choice the file holds that the schema does not offer

    @property
    def id(self) -> str:
        return "f-" + re.sub(r"[^0-9A-Za-z_]+", "-", self.path).strip("-")

    @property
    def kind(self) -> str:
        return self.w.kind

    @property
    def boxes(self) -> list[tuple[str, str, bool]]:
        """A set of check boxes: (value, label, ticked), the ticked first in the file's order."""
        labels = {str(c): label for c, label in self.w.choices}
        ticked = [(v, labels.get(v, f"{v}（不是可选项）"), True) for v in self.value]
        return ticked + [(str(c), label, False) for c, label in self.w.choices if str(c) not in self.value]

    @property
    def next_index(self) -> int:
        return max((int(c.index) for c in self.children if c.index.isdigit()), default=-1) + 1


def placeholder(depth: int) -> str:
    """The row number of the blank row of a list ``depth`` lists deep (the script replaces it)."""
    return f"__i{depth}__"


def fields_of(cls: type, raw: Any, problems: Sequence[Problem] = ()) -> tuple[list[Node], list[Problem]]:
    """The page's fields for case file ``raw`` (a dict, maybe incomplete or wrong) and where each
    problem goes: (nodes, the problems no field of the form holds)."""
    nodes = _nodes(form_for(cls), raw if isinstance(raw, dict) else {}, "", 0)
    index: dict[str, Node] = {}

    def walk(ns: list[Node]) -> None:
        for n in ns:
            index.setdefault(n.path, n)
            walk(n.children)

    walk(nodes)
    unplaced = []
    for p in problems:
        path = p.path
        while path and path not in index:
            path = re.sub(r"(\.[^.\[\]]*|\[\d+\])$", "", path) if re.search(r"(\.[^.\[\]]*|\[\d+\])$", path) else ""
        if path:
            index[path].problems.append(p)
        else:
            unplaced.append(p)
    return nodes, unplaced


def _nodes(widgets: Sequence[Widget], raw: dict, prefix: str, depth: int) -> list[Node]:
    return [_node(w, raw.get(w.name, EMPTY) if isinstance(raw, dict) else EMPTY, _join(prefix, w.name), depth)
            for w in widgets]


def _node(w: Widget, value: Any, path: str, depth: int) -> Node:
    if value is EMPTY or value is None:
        value = w.default if w.default is not None else EMPTY
    n = Node(w, path, depth=depth)
    if w.kind == "group":
        n.children = _nodes(w.children, value if isinstance(value, dict) else {}, path, depth)
        return n
    if w.kind in ("rows", "list"):
        items = list(value) if isinstance(value, list | tuple) else []
        items += [EMPTY] * max(0, w.min_items - len(items))
        ph = placeholder(depth)
        n.children = [_row(w, item, f"{path}[{i}]", str(i), depth + 1) for i, item in enumerate(items)]
        n.template = _row(w, EMPTY, f"{path}[{ph}]", ph, depth + 1)
        return n
    if w.kind == "multi":
        n.value = [str(v) for v in value] if isinstance(value, list | tuple) else []
        return n
    if w.kind == "bool":
        n.value = _truthy(value) if value is not EMPTY else False
        return n
    if w.kind == "tristate":
        n.value = "" if value is EMPTY else ("true" if _truthy(value) else "false" if _falsy(value) else str(value))
        return n
    text = "" if value is EMPTY else _text(value)
    if w.kind == "date":
        m = _CN_DATE.match(text)
        if m:
            text = f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}"
        n.as_text = bool(text) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)
    elif w.kind == "datetime":
        text = _local(text)
        n.as_text = bool(text) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?", text)
    elif w.kind == "select" and text and text not in {str(c) for c, _ in w.choices}:
        n.extra_choice = text
    n.value = mask_text(text)
    return n


def _row(w: Widget, item: Any, path: str, index: str, depth: int) -> Node:
    if w.kind == "rows":
        row = Node(w, path, depth=depth, index=index)
        row.children = _nodes(w.children, item if isinstance(item, dict) else {}, path, depth)
        return row
    assert w.item is not None
    node = _node(w.item, item, path, depth)
    node.index = index
    return node


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value)


def _local(text: str) -> str:
    """A date-time as a date-time box holds it (``2026-04-21T08:00``), in China time."""
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if len(text.strip()) <= 10:
        return text
    if dt.tzinfo is not None:
        dt = dt.astimezone(CST).replace(tzinfo=None)
    return dt.isoformat(timespec="seconds" if dt.second else "minutes")


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip() in Flag.truthy or str(value).strip().lower() in ("true", "1")


def _falsy(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    return str(value).strip() in Flag.falsy or str(value).strip().lower() in ("false", "0")


__all__ = ["MARK", "Node", "Posted", "Unmasker", "fields_of", "placeholder", "read_form"]
