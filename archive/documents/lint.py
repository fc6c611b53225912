"""The template check (``outsafe templates check``): every name a template uses exists in its
schema's render context, every required field is shown by some template, every run sets its East
Asian font.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, get_args

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from archive.documents.context import calc_class, org_fields
from archive.documents.filters import make_env
from archive.documents.templates import STORY_PARTS, W_NS, IMAGE_ROLES, META_FILE, TemplateInfo, class_key, effective_templates, package_dir
from archive.errors import Problem
from archive.settings import Settings
from archive.text import Note
from schemas import all_classes
from schemas.base import FieldInfo, field_infos
from schemas.common import Drawing, Photo, Signature
from schemas.registry import Organization, Project
from schemas.tickets import Approval

# --- the template check --------------------------------------------------------------------------------------


class _T:
    """A type the check knows about."""


@dataclass(frozen=True)
class _Any(_T):
    pass


@dataclass(frozen=True)
class _Scalar(_T):
    pass


@dataclass(frozen=True)
class _DC(_T):
    cls: type
    path: str | None  # where under ``doc`` this record sits ("measures[]"); None when not under doc


@dataclass(frozen=True)
class _List(_T):
    item: _T


@dataclass(frozen=True)
class _NS(_T):
    name: str
    members: tuple[tuple[str, _T], ...]
    track: bool = False  # accessing a member counts as using the doc field of that name


ANY, SCALAR = _Any(), _Scalar()
VIRTUAL: dict[type, dict[str, _T]] = {Photo: {"image": ANY}, Drawing: {"image": ANY}, Signature: {"image": ANY, "small": ANY}}
JINJA_GLOBALS = {"range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop"}
LIST_PASS = {"sort", "reverse", "list", "unique", "selectattr", "rejectattr", "batch", "slice"}
ITEM_OF = {"first", "last", "random", "box", "signed"}


def _is_dc(t: Any) -> bool:
    return isinstance(t, type) and dataclasses.is_dataclass(t)


def _field_type(info: FieldInfo, path: str | None) -> _T:
    target = info.item if info.is_list else info.type
    if _is_dc(target):
        inner: _T = _DC(target, None if path is None else path + ("[]" if info.is_list else ""))
    else:
        inner = SCALAR
    return _List(inner) if info.is_list else inner


def context_types(cls: type) -> dict[str, _T]:
    """The names a template for ``cls`` may use, with their types (mirrors :func:`build_context`)."""
    return {
        "doc": _DC(cls, ""),
        "org": _NS("org", tuple((n, _DC(Organization, None)) for n in org_fields(cls)), track=True),
        "project": _DC(Project, None),
        "owner": _DC(Organization, None),
        "settings": _DC(Settings, None),
        "calc": _DC(calc_class(cls), None),
        "images": _NS("images", tuple((r, ANY) for r in IMAGE_ROLES)),
    }


class _Checker:
    def __init__(self, cls: type, where: str, env: SandboxedEnvironment, source: str = "") -> None:
        self.cls = cls
        self.where = where
        self.env = env
        self.lines = source.split("\n")
        self.problems: list[Problem] = []
        self.used: set[str] = set()

    # -- helpers
    def problem(self, node: nodes.Node, path: str, message: str) -> None:
        line = getattr(node, "lineno", None)
        where = ""
        if line and 0 < line <= len(self.lines):
            text = re.sub(r"<[^>]+>", "", self.lines[line - 1]).strip()
            where = f" [模板文字 template text: “{text[:40]}{'…' if len(text) > 40 else ''}”]" if text else ""
        self.problems.append(Problem(path, message + where, file=self.where))

    def use(self, path: str | None) -> None:
        if path is not None and path != "":
            self.used.add(path)

    def use_all(self, t: _T) -> None:
        """``show`` prints a whole record: every field of it counts as used."""
        if isinstance(t, _List):
            self.use_all(t.item)
        elif isinstance(t, _DC) and t.path is not None:
            for info in field_infos(t.cls):
                p = f"{t.path}.{info.name}" if t.path else info.name
                self.use(p)
                self.use_all(_field_type(info, p))

    def attr(self, t: _T, name: str, node: nodes.Node, shown: str) -> _T:
        if isinstance(t, _Any | _Scalar):
            return ANY
        if isinstance(t, _DC):
            infos = {i.name: i for i in field_infos(t.cls)}
            info = infos.get(name)
            if info is not None:
                p = None if t.path is None else (f"{t.path}.{name}" if t.path else name)
                self.use(p)
                for derived in _derived_from(t.cls, name):
                    self.use(derived)
                return _field_type(info, p)
            virtual = next((VIRTUAL[k] for k in t.cls.__mro__ if k in VIRTUAL), {})
            if name in virtual:
                if t.path is not None:  # the picture shows its file
                    self.use(f"{t.path}.file" if t.path else "file")
                return virtual[name]
            self.problem(node, shown, f"{t.cls.__name__} 没有字段 {name} (unknown field)")
            return ANY
        if isinstance(t, _NS):
            members = dict(t.members)
            if name in members:
                if t.track:
                    self.use(name)
                return members[name]
            self.problem(node, shown, f"{t.name} 没有 {name}；可用 (available): {', '.join(members) or '无 none'}")
            return ANY
        if isinstance(t, _List):
            self.problem(node, shown, f"列表没有属性 {name}，请用 for 循环 (a list has no attribute {name}; loop over it)")
            return ANY
        return ANY

    # -- expressions
    def expr(self, node: nodes.Node, scope: dict[str, _T]) -> _T:
        if isinstance(node, nodes.Name):
            if node.ctx != "load":
                return ANY
            if node.name in scope:
                return scope[node.name]
            if node.name in JINJA_GLOBALS:
                return ANY
            self.problem(node, node.name, f"未知的名称 {node.name}；可用 (available): doc, org, project, owner, settings, images, calc")
            return ANY
        if isinstance(node, nodes.Getattr):
            base = self.expr(node.node, scope)
            return self.attr(base, node.attr, node, _dotted(node))
        if isinstance(node, nodes.Getitem):
            base = self.expr(node.node, scope)
            arg = node.arg
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                return self.attr(base, arg.value, node, _dotted(node))
            self.expr(arg, scope)
            if isinstance(base, _List):
                return base.item
            return ANY
        if isinstance(node, nodes.Filter):
            base = self.expr(node.node, scope) if node.node is not None else ANY
            return self.filter(node, base, scope)
        if isinstance(node, nodes.Test):
            self.expr(node.node, scope)
            for a in list(node.args) + [k.value for k in node.kwargs]:
                self.expr(a, scope)
            if node.name not in self.env.tests:
                self.problem(node, node.name, f"未知的测试 {node.name} (unknown test)")
            return SCALAR
        if isinstance(node, nodes.CondExpr):
            self.expr(node.test, scope)
            a = self.expr(node.expr1, scope)
            b = self.expr(node.expr2, scope) if node.expr2 is not None else ANY
            return a if a == b else ANY
        for child in node.iter_child_nodes():
            self.expr(child, scope)
        return SCALAR if isinstance(node, nodes.Const | nodes.TemplateData) else ANY

    def filter(self, node: nodes.Filter, base: _T, scope: dict[str, _T]) -> _T:
        name = node.name
        for a in list(node.args) + [k.value for k in node.kwargs]:
            self.expr(a, scope)
        if name not in self.env.filters:
            self.problem(node, name, f"未知的过滤器 {name} (unknown filter)")
            return ANY
        kwargs = {k.key: k.value for k in node.kwargs}
        attribute = kwargs.get("attribute")
        if name in ("selectattr", "rejectattr") and node.args:
            attribute = node.args[0]
        if isinstance(attribute, nodes.Const) and isinstance(attribute.value, str) and isinstance(base, _List):
            t: _T = base.item
            for part in attribute.value.split("."):
                t = self.attr(t, part, node, f"{_dotted(node.node)}[].{attribute.value}")
            if name == "map":
                return _List(t)
        if name == "box":
            if node.args and isinstance(node.args[0], nodes.Const):
                choices_ = _approval_boxes()
                if node.args[0].value not in choices_:
                    self.problem(node, f"box({node.args[0].value!r})", f"没有名为 {node.args[0].value} 的意见栏；可用: {'、'.join(choices_)}")
            if isinstance(base, _List) and isinstance(base.item, _DC) and base.item.path is not None:
                self.use(f"{base.item.path}.box")
        if name == "signed" and isinstance(base, _List) and isinstance(base.item, _DC) and base.item.path is not None:
            for f in ("step", "box", "person", "person.name", "signed_at"):  # what the step is found by
                self.use(f"{base.item.path}.{f}")
        if name == "show":
            self.use_all(base)
            return SCALAR
        if name in ("default", "d"):
            return base
        if name in LIST_PASS:
            return base if isinstance(base, _List) else ANY
        if name in ITEM_OF:
            return base.item if isinstance(base, _List) else ANY
        return SCALAR

    # -- statements
    def bind(self, target: nodes.Node, t: _T, scope: dict[str, _T]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = t
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self.bind(item, ANY, scope)

    def body(self, stmts: Iterable[nodes.Node], scope: dict[str, _T]) -> None:
        for s in stmts:
            self.stmt(s, scope)

    def stmt(self, node: nodes.Node, scope: dict[str, _T]) -> None:
        if isinstance(node, nodes.Output):
            for n in node.nodes:
                self.expr(n, scope)
        elif isinstance(node, nodes.For):
            t = self.expr(node.iter, scope)
            inner = dict(scope)
            if isinstance(t, _List):
                item = t.item
            else:
                if isinstance(t, _DC | _NS | _Scalar) and not isinstance(node.iter, nodes.Call):
                    self.problem(node, _dotted(node.iter), "不能对非列表的值做循环 (loop over something that is not a list)")
                item = ANY
            self.bind(node.target, item, inner)
            inner["loop"] = ANY
            if node.test is not None:
                self.expr(node.test, inner)
            self.body(node.body, inner)
            self.body(node.else_, scope)
        elif isinstance(node, nodes.If):
            self.expr(node.test, scope)
            self.body(node.body, scope)
            for elif_ in node.elif_:
                self.stmt(elif_, scope)
            self.body(node.else_, scope)
        elif isinstance(node, nodes.Assign):
            t = self.expr(node.node, scope)
            if isinstance(node.target, nodes.NSRef):
                if node.target.name not in scope:
                    self.problem(node, node.target.name, f"未知的名称 {node.target.name}")
            else:
                self.bind(node.target, t, scope)
        elif isinstance(node, nodes.AssignBlock):
            self.body(node.body, scope)
            if node.filter is not None:
                self.filter(node.filter, SCALAR, scope)
            self.bind(node.target, SCALAR, scope)
        elif isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values):
                self.bind(target, self.expr(value, scope), inner)
            self.body(node.body, inner)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            inner = dict(scope)
            for arg in node.args:
                self.bind(arg, ANY, inner)
            for d in node.defaults:
                self.expr(d, scope)
            inner.update({"caller": ANY, "varargs": ANY, "kwargs": ANY})
            if isinstance(node, nodes.CallBlock):
                self.expr(node.call, scope)
            else:
                scope[node.name] = ANY
            self.body(node.body, inner)
        elif isinstance(node, nodes.FilterBlock):
            self.body(node.body, scope)
            self.filter(node.filter, SCALAR, scope)
        elif isinstance(node, nodes.Extends | nodes.Include | nodes.Import | nodes.FromImport):
            self.problem(node, type(node).__name__.lower(), "文书模板不能引用其他模板 (templates may not include or extend others)")
        elif isinstance(node, nodes.ExprStmt):
            self.expr(node.node, scope)
        elif isinstance(node, nodes.Scope | nodes.ScopedEvalContextModifier | nodes.EvalContextModifier | nodes.Block):
            self.body(node.body, dict(scope) if isinstance(node, nodes.Scope) else scope)
        else:
            for child in node.iter_child_nodes():
                if isinstance(child, nodes.Stmt):
                    self.stmt(child, scope)
                else:
                    self.expr(child, scope)


@cache
def _derived_from(cls: type, name: str) -> tuple[str, ...]:
    for f in dataclasses.fields(cls):
        if f.name == name:
            return tuple(f.metadata.get("from", ()))
    return ()


@cache
def _approval_boxes() -> tuple[str, ...]:
    info = next(i for i in field_infos(Approval) if i.name == "box")
    return tuple(get_args(info.type))


def _dotted(node: nodes.Node | None) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        arg = node.arg.value if isinstance(node.arg, nodes.Const) else "…"
        return f"{_dotted(node.node)}[{arg!r}]"
    if isinstance(node, nodes.Filter):
        return f"{_dotted(node.node)}|{node.name}"
    return type(node).__name__ if node is not None else ""


def template_sources(path: Path) -> list[tuple[str, str]]:
    """(part name, Jinja source as docxtpl will see it) for every XML part of a .docx that holds tags."""
    # lazy: python-docx/docxtpl (~90 ms to import) load with the first document, not with every command
    from docxtpl import DocxTemplate

    patcher = DocxTemplate.__new__(DocxTemplate)  # patch_xml needs no state
    out = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if not name.endswith(".xml"):
                continue
            text = z.read(name).decode("utf-8", errors="replace")
            if "{" not in text:
                continue
            if not any(tag in text for tag in ("{{", "{%", "{#")) and not re.search(r"\{<[^>]*>+[{%#]", text):
                continue
            # as DocxTemplate.render_xml_part does: one line per paragraph (Jinja line numbers)
            out.append((name, re.sub(r"<w:p([ >])", r"\n<w:p\1", patcher.patch_xml(text))))
    return out


def _run_fonts_problems(path: Path, where: str) -> list[Problem]:
    """Runs without an East Asian font (the typography rule: every run sets w:eastAsia)."""
    problems = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if not STORY_PARTS.match(name):
                continue
            root = etree.fromstring(z.read(name))
            bare = 0
            for r in root.iter(f"{{{W_NS}}}r"):
                fonts = r.find(f"{{{W_NS}}}rPr/{{{W_NS}}}rFonts")
                if fonts is None or fonts.get(f"{{{W_NS}}}eastAsia") is None:
                    bare += 1
            if bare:
                problems.append(Problem(name, f"{bare} 个文字块没有设置中文字体 w:eastAsia (runs without an East Asian font)",
                                        file=where, severity="warning"))
    return problems


def _check_file(info: TemplateInfo) -> tuple[list[Problem], set[str]]:
    """Names and loops of one template against its schema; (problems, fields used)."""
    where = str(info.path)
    if not info.path.is_file():
        return [Problem("", "模板文件不存在 (template file missing)", file=where)], set()
    try:
        sources = template_sources(info.path)
    except (zipfile.BadZipFile, OSError, KeyError) as e:
        return [Problem("", f"不是有效的 .docx 文件 (not a valid .docx): {e}", file=where)], set()
    env = make_env()
    problems: list[Problem] = []
    used: set[str] = set()
    cls = info.record_class
    for part, source in sources:
        checker = _Checker(cls, where, env, source)
        try:
            ast = env.parse(source)
        except jinja2.TemplateSyntaxError as e:
            problems.append(Problem(part, f"模板语法错误 (template syntax error): {e.message}", file=where))
            continue
        checker.body(ast.body, dict(context_types(cls)))
        problems.extend(dataclasses.replace(p, path=f"{part}: {p.path}" if part != "word/document.xml" else p.path)
                        for p in checker.problems)
        used |= checker.used
    try:
        problems.extend(_run_fonts_problems(info.path, where))
    except Exception as e:  # malformed XML part
        problems.append(Problem("", f"XML 无法解析 (cannot parse the document XML): {e}", file=where))
    return problems, used


def _missing_required(cls: type, used: set[str], exempt: set[str], prefix: str = "") -> list[str]:
    out = []
    for info in field_infos(cls):
        p = prefix + info.name
        target = info.item if info.is_list else info.type
        if p in exempt:
            continue
        if info.required and p not in used:
            out.append(p)
            continue
        if _is_dc(target) and p in used:
            out += _missing_required(target, used, exempt, p + ("[]." if info.is_list else "."))
    return out


def _coverage_problems(cls: type, templates: list[TemplateInfo], used: set[str]) -> list[Problem]:
    exempt = {k for t in templates for k, _ in t.not_shown}
    where = ", ".join(str(t.path) for t in templates)
    out = []
    for p in _missing_required(cls, used, exempt):
        label = _label_of(cls, p)
        out.append(Problem(f"doc.{p}", f"必填字段{('“' + label + '”') if label else ''}没有出现在 {cls.__name__} 的任何模板中 "
                                        f"(required field shown by no template for this type)", file=where))
    return out


def _label_of(cls: type, path: str) -> str:
    current: Any = cls
    label = ""
    for part in path.replace("[]", "").split("."):
        if not _is_dc(current):
            return label
        info = next((i for i in field_infos(current) if i.name == part), None)
        if info is None:
            return ""
        label = info.spec.label
        current = info.item if info.is_list else info.type
    return label


_CHECKED: dict[tuple[str, str, str], list[Problem]] = {}


def check_cached(info: TemplateInfo, digest: str) -> list[Problem]:
    """A template's problems (its names, and the required fields of its type), cached by content."""
    key = (info.id, str(info.path), digest)
    if key not in _CHECKED:
        _CHECKED[key] = check_template(info)
    return _CHECKED[key]


def check_template(info: TemplateInfo) -> list[Problem]:
    problems, used = _check_file(info)
    if not any(p.severity == "error" and p.path == "" for p in problems):
        problems += _coverage_problems(info.record_class, [info], used)
    return problems


def check_templates(dir: Path | None = None) -> list[Problem]:  # noqa: A002 — the brief's name
    """Lint templates against their schemas: the packaged set, or the templates in ``dir``.

    Problems: a name, field or loop-variable attribute the schema lacks; a required field of a
    record type shown by no template for it; a record type without a template; an unreadable or
    unknown template file. Runs without an East Asian font are warnings."""
    infos, problems = effective_templates(dir)
    if dir is not None:
        dir = Path(dir)
        infos = [t for t in infos if t.source == "override" or t.path.parent == dir]
    by_class: dict[type, list[TemplateInfo]] = {}
    used_by_class: dict[type, set[str]] = {}
    for info in sorted(infos, key=lambda t: t.id):
        file_problems, used = _check_file(info)
        problems.extend(file_problems)
        by_class.setdefault(info.record_class, []).append(info)
        used_by_class.setdefault(info.record_class, set()).update(used)
    for cls, templates in by_class.items():
        problems.extend(_coverage_problems(cls, templates, used_by_class[cls]))
    if dir is None:
        served = set(by_class)
        for cls in all_classes():
            if cls not in served:
                t, tt = class_key(cls)
                problems.append(Problem(t + (f"/{tt}" if tt else ""), "没有模板 (no template for this record type)",
                                        file=str(package_dir() / META_FILE)))
    return problems


@dataclass
class TemplateCheck:
    """``outsafe templates check``: every problem; errors fail the check (exit 1), warnings alone do not."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def as_dict(self) -> dict:
        return {"ok": not self.errors, "problems": [p.as_dict() for p in self.problems]}

    def as_text(self) -> list[str]:
        if self.errors:
            return [Note(p.line()) for p in self.problems]
        return [p.line() for p in self.problems] + ["模板检查通过 (templates ok)"]


def lint_templates(directory: Path | None = None) -> TemplateCheck:
    return TemplateCheck(check_templates(directory))
