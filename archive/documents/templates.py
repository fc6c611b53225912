"""Which template renders a record: the package's templates (doc_templates/, with
templates.yaml) and an archive's own overrides (<home>/templates/), by case type and ticket type.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from archive.errors import Problem, TemplateError
from archive.text import Table
from schemas import TYPES
from schemas.tickets import TICKET_CLASSES, WorkTicket

META_FILE = "templates.yaml"
IMAGE_ROLES = (
    "enterprise_seal", "contractor_seal", "authority_seal",
    "enterprise_signature", "contractor_signature", "unit_signature",
)
EAST_ASIAN_DEFAULT = "宋体"
LATIN_DEFAULT = "Times New Roman"
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


# --- results and metadata ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    docx: bytes
    template_id: str
    template_version: str
    template_sha256: str


@dataclass(frozen=True)
class TemplateInfo:
    """One template: which record type (and ticket type) it serves, its version and file."""

    id: str
    file: str
    type: str
    version: str
    title: str
    path: Path
    ticket_type: str | None = None
    source: str = "package"  # "package" | "override"
    not_shown: tuple[tuple[str, str], ...] = ()  # (field, reason): required fields the form omits on purpose

    @property
    def record_class(self) -> type:
        if self.type == "work_ticket":
            return TICKET_CLASSES[self.ticket_type or ""]
        return TYPES[self.type]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def as_dict(self) -> dict:
        return {
            "id": self.id, "file": self.file, "type": self.type, "ticket_type": self.ticket_type,
            "version": self.version, "title": self.title, "source": self.source, "path": str(self.path),
            "sha256": self.sha256,
        }


def package_dir() -> Path:
    return Path(str(resources.files("doc_templates")))


def _read_meta(directory: Path, source: str) -> tuple[list[TemplateInfo], list[Problem]]:
    """Entries of ``directory/templates.yaml`` (none when the file is absent)."""
    meta = directory / META_FILE
    if not meta.is_file():
        return [], []
    try:
        doc = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        return [], [Problem("", f"无法读取模板清单 (cannot read the template list): {e}", file=str(meta))]
    out, problems = [], []
    for i, entry in enumerate(doc.get("templates") or []):
        where = f"templates[{i}]"
        if not isinstance(entry, dict):
            problems.append(Problem(where, "应为对象 (expected a mapping)", file=str(meta)))
            continue
        missing = [k for k in ("id", "file", "type", "version") if not entry.get(k)]
        if missing:
            problems.append(Problem(where, f"缺少 {', '.join(missing)} (missing keys)", file=str(meta)))
            continue
        t, tt = entry["type"], entry.get("ticket_type")
        if t not in TYPES or (t == "work_ticket") != bool(tt) or (tt and tt not in TICKET_CLASSES):
            problems.append(Problem(where, f"未知的文书类型 {t}/{tt} (unknown record type)", file=str(meta)))
            continue
        not_shown = tuple((str(k), str(v)) for k, v in (entry.get("not_shown") or {}).items())
        out.append(TemplateInfo(
            id=str(entry["id"]), file=str(entry["file"]), type=t, ticket_type=tt, version=str(entry["version"]),
            title=str(entry.get("title") or entry["id"]), path=directory / str(entry["file"]), source=source,
            not_shown=not_shown,
        ))
    return out, problems


@cache
def _package_templates() -> tuple[TemplateInfo, ...]:
    infos, problems = _read_meta(package_dir(), "package")
    if problems:
        raise TemplateError("模板清单有误 (the packaged template list is broken): " + "; ".join(p.line() for p in problems))
    return tuple(infos)


def effective_templates(template_dir: Path | None) -> tuple[list[TemplateInfo], list[Problem]]:
    """The packaged templates, each replaced by the override in ``template_dir`` where there is one.

    An override is a file of the same name in ``template_dir``; a ``templates.yaml`` there may
    also give it its own version (and add templates for types by id)."""
    base = {t.id: t for t in _package_templates()}
    if template_dir is None:
        return list(base.values()), []
    template_dir = Path(template_dir)
    own, problems = _read_meta(template_dir, "override")
    own_ids = {t.id for t in own}
    out = []
    for t in base.values():
        if t.id in own_ids:
            continue
        p = template_dir / t.file
        if p.is_file():
            t = dataclasses.replace(t, path=p, source="override", version=f"{t.version}+local")
        out.append(t)
    out.extend(own)
    known = {t.file for t in out} | {t.file for t in base.values()}
    for p in sorted(template_dir.glob("*.docx")):
        if p.name not in known and not p.name.startswith("~$"):
            problems.append(Problem("", "未登记的模板文件：文件名须与某个模板相同，或登记在 templates.yaml 中 "
                                        "(unknown template file: name it like a packaged template or list it in templates.yaml)", file=str(p)))
    return out, problems


def list_templates(template_dir: Path | None = None) -> list[TemplateInfo]:
    """Every template in use: packaged, or the override from ``template_dir``."""
    return effective_templates(template_dir)[0]


def template_table(template_dir: Path | None = None) -> Table:
    """``outsafe templates list``: every template in use, the record type it serves, its source."""
    rows = [t.as_dict() for t in list_templates(template_dir)]
    for r in rows:
        r["serves"] = r["type"] + (f"/{r['ticket_type']}" if r["ticket_type"] else "")
    return Table(rows, [("id", "模板"), ("title", "文书"), ("serves", "记录类型"), ("version", "版本"), ("source", "来源")])


def class_key(cls: type) -> tuple[str, str | None]:
    if issubclass(cls, WorkTicket):
        tt = next(k for k, v in TICKET_CLASSES.items() if v is cls)
        return "work_ticket", tt
    return cls.__case__.type, None


def template_for(obj: Any, *, template_dir: Path | None = None) -> TemplateInfo:
    """The template that renders ``obj`` (an override from ``template_dir`` if there is one)."""
    cls = obj if isinstance(obj, type) else type(obj)
    key = class_key(cls)
    for t in list_templates(template_dir):
        if (t.type, t.ticket_type) == key:
            return t
    raise TemplateError(f"没有 {key[0]}{'/' + key[1] if key[1] else ''} 的模板 (no template for this record type)")


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STORY_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
