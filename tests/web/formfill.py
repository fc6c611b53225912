"""Filling a form page the way a browser does, for the form tests: read the page's fields (names,
types, options, what they hold), fill them from a case file's values, and post what a browser
would post. Written apart from web/ and archive/forms/ on purpose: it knows the page only by its
HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"__i(\d+)__")


@dataclass
class Control:
    name: str
    tag: str  # input | select | textarea
    type: str  # text, date, datetime-local, checkbox, hidden, file, radio … ("select", "textarea")
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: str | None = None
    in_template: bool = False
    form: int = 0  # which <form> of the page


class Page(HTMLParser):
    """Every control of every form of a page (also those in <template>s)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[Control] = []
        self._template = 0
        self._form = 0
        self._select: Control | None = None
        self._option: str | None = None
        self._textarea: Control | None = None
        self.forms: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "template":
            self._template += 1
        elif tag == "form":
            self.forms.append(a)
            self._form = len(self.forms)
        elif tag == "input" and "name" in a:
            self.controls.append(Control(a["name"], "input", a.get("type", "text"), a.get("value", ""), "checked" in a,
                                         in_template=self._template > 0, form=self._form))
        elif tag == "select" and "name" in a:
            self._select = Control(a["name"], "select", "select", in_template=self._template > 0, form=self._form)
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = a.get("value", "")
            self._select.options.append(self._option)
            if "selected" in a:
                self._select.selected = self._option
        elif tag == "textarea" and "name" in a:
            self._textarea = Control(a["name"], "textarea", "textarea", in_template=self._template > 0, form=self._form)
            self.controls.append(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._template -= 1
        elif tag == "select":
            if self._select is not None and self._select.selected is None and self._select.options:
                self._select.selected = self._select.options[0]
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]  # HTML drops a first newline
            self._textarea = None
        elif tag == "form":
            self._form = 0

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def form_controls(self, form_id: str) -> list[Control]:
        n = next(i + 1 for i, f in enumerate(self.forms) if f.get("id") == form_id)
        return [c for c in self.controls if c.form == n]

    def names(self, form_id: str = "case-form") -> set[str]:
        return {c.name for c in self.form_controls(form_id)}

    def submission(self, form_id: str = "case-form") -> list[tuple[str, str]]:
        """What a browser posts for the form as it is shown (no button pressed)."""
        out = []
        for c in self.form_controls(form_id):
            if c.in_template or c.type in ("submit", "button", "file"):
                continue
            if c.type in ("checkbox", "radio"):
                if c.checked:
                    out.append((c.name, c.value or "on"))
            elif c.tag == "select":
                out.append((c.name, c.selected or ""))
            else:
                out.append((c.name, c.value))
        return out


def pattern(name: str) -> str:
    """``workers[3].photos[0].file`` → ``workers[__i0__].photos[__i1__].file`` (the page's blank-row names)."""
    depth = iter(range(100))
    return re.sub(r"\[\d+\]", lambda m: f"[__i{next(depth)}__]", name)


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any, str]]:
    """(name, scalar, kind) of a case file's values; kind "list" for an item of a list of scalars."""
    out: list[tuple[str, Any, str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(value, list):
        if all(isinstance(v, dict) for v in value):
            for i, v in enumerate(value):
                out += flatten(v, f"{prefix}[{i}]")
        else:
            for i, v in enumerate(value):
                out.append((f"{prefix}[{i}]", v, "list"))
            out.append((prefix, list(value), "values"))
    elif value is not None:
        out.append((prefix, value, "scalar"))
    return out


def _text(value: Any, control: Control) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if control.type == "datetime-local":
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)", text)
        assert m, text
        text = f"{m.group(1)}T{m.group(2)}"
        if text.endswith(":00") and len(text) == 19:
            text = text[:16]
    return text


def fill(page: Page, data: dict, files_from: Path | None = None) -> tuple[list[tuple[str, str]], dict[str, tuple[str, bytes]]]:
    """The post of ``page``'s case form filled with the case file ``data`` (without ``type``): the
    page's own fields, each filled as a person would (a date in its date box, a tick in a box, a
    choice from its list), every value checked to have its field on the page. Images named in the
    file are chosen in their file boxes (from ``files_from``)."""
    controls: dict[str, list[Control]] = {}
    for c in page.form_controls("case-form"):
        controls.setdefault(c.name, []).append(c)
    marks = {c.value for c in controls.get("_f", [])}
    shown = page.submission()
    values = flatten(data)
    lists = {n for n, _, k in values if k == "values"} | {re.sub(r"\[\d+\]$", "", n) for n, _, k in values if k == "list"}
    set_names = {n for n, _, k in values}
    # what the page holds stays, except what the file gives (a list the file gives replaces the page's rows)
    posted = [(k, v) for k, v in shown if k not in set_names and not any(k.startswith(ls + "[") for ls in lists)
              and k != "_f" and not (k in lists)]
    posted += [("_f", m) for m in marks if "__i" not in m]
    files: dict[str, tuple[str, bytes]] = {}
    rows = {n[: m.end()] for n, _, _ in values for m in re.finditer(r"\[\d+\]", n)}
    for name, value, kind in values:
        if kind == "values":
            boxes = [c for c in controls.get(name, []) + controls.get(pattern(name), []) if c.type == "checkbox"]
            if boxes:  # a set of boxes: tick each value
                offered = {c.value for c in boxes}
                for v in value:
                    assert str(v) in offered, (name, v, offered)
                    posted.append((name, str(v)))
            continue
        if kind == "list" and (name.rsplit("[", 1)[0] in controls or pattern(name.rsplit("[", 1)[0]) in controls) and any(
                c.type == "checkbox" for c in controls.get(name.rsplit("[", 1)[0], []) + controls.get(pattern(name.rsplit("[", 1)[0]), [])):
            continue  # the items of a set of boxes, ticked above
        here = controls.get(name) or controls.get(pattern(name))
        assert here, f"the page has no field {name} ({pattern(name)})"
        c = next((x for x in here if x.type != "hidden"), here[0])
        if c.type == "checkbox":
            if value is True or str(value).lower() in ("true", "是"):
                posted.append((name, c.value))
            continue
        text = _text(value, c)
        if c.tag == "select":
            assert text in c.options, (name, text, c.options)
        posted.append((name, text))
        if files_from is not None and (controls.get(name + ":upload") or controls.get(pattern(name) + ":upload")):
            path = files_from / text
            files[name + ":upload"] = (path.name, path.read_bytes())
    # a row added from a list's blank row holds that row's defaults (a ticked box, a chosen unit,
    # the hidden marks of its lists and boxes) wherever the file gives nothing
    for c in page.form_controls("case-form"):
        if not c.in_template or "__i" not in c.name and not (c.name == "_f" and "__i" in c.value):
            continue
        for concrete in _instances(c.value if c.name == "_f" else c.name, rows):
            if c.name == "_f":
                posted.append(("_f", concrete))
            elif concrete in set_names or c.type in ("submit", "button", "file"):
                continue
            elif c.type in ("checkbox", "radio"):
                if c.checked and not any(n == concrete for n, _ in posted):
                    posted.append((concrete, c.value or "on"))
            elif c.tag == "select":
                posted.append((concrete, c.selected or ""))
            else:
                posted.append((concrete, c.value))
    return posted, files


def _instances(pat: str, rows: set[str]) -> list[str]:
    m = PLACEHOLDER.search(pat)
    if not m:
        return [pat]
    out = []
    head = pat[: m.start()]
    for r in rows:
        mm = re.fullmatch(re.escape(head) + r"(\d+)\]", r)
        if mm:
            out += _instances(pat[: m.start()] + mm.group(1) + pat[m.end():], rows)
    return sorted(set(out))


def as_data(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Pairs as the test client takes a form: each name with its values, in order."""
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


__all__ = ["Page", "as_data", "fill", "flatten", "pattern"]
