"""Schemas: what a valid case file is.

``TYPES`` maps each ``type:`` name to its frozen dataclass; :func:`load` validates one parsed file
(schema + rules) and returns the object with every problem found; :func:`read_case_file` parses
YAML or JSON without YAML's surprises (dates stay text until the schema reads them).

    from schemas import load, read_case_file
    raw = read_case_file(path)
    result = load(raw, ctx, file=str(path))
    result.obj        # a frozen dataclass, or None when there were errors
    result.problems   # every error and warning, with field paths
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from schemas.base import LIMITS, RuleContext, field_infos, flatten_errors, iter_values, rules_for, schema_for
from schemas.problems import Problem
from schemas.blacklist import BlacklistEntry, BlacklistRemoval
from schemas.campaign import Accident, ConfinedSpaceRegister, ContractorInspection, Equipment, Hazard, QuarterlyAssessment
from schemas.campaign_report import CampaignReport, CampaignTable
from schemas.contract import OutsourcingContract, SafetyAgreement
from schemas.identifiers import born_after
from schemas.enforcement import InspectionRecord, RectificationOrder, RectificationReview
from schemas.meta import CaseMeta
from schemas.penalty import PenaltyDecision, PenaltyNotice
from schemas.registry import Organization, Person, Project
from schemas.common import TICKET_TYPE_NAMES
from schemas.tickets import TICKET_CLASSES, WorkTicket
from schemas.training import TrainingRecord

TYPES: dict[str, type] = {
    cls.__case__.type: cls
    for cls in (
        Organization, Person, Project,
        OutsourcingContract, SafetyAgreement, TrainingRecord, WorkTicket,
        RectificationOrder, RectificationReview, InspectionRecord,
        QuarterlyAssessment, Hazard, Accident, Equipment, ContractorInspection, ConfinedSpaceRegister,
        PenaltyNotice, PenaltyDecision, BlacklistEntry, BlacklistRemoval, CampaignReport, CampaignTable,
    )
}

REGISTRY_TYPES = ("organization", "person", "project")


def meta_of(cls_or_obj: Any) -> CaseMeta:
    return cls_or_obj.__case__


def all_classes() -> list[type]:
    """Every concrete record class (ticket types expanded)."""
    out = []
    for name, cls in TYPES.items():
        if name == "work_ticket":
            out.extend(TICKET_CLASSES.values())
        else:
            out.append(cls)
    return out


def class_for(raw: dict[str, Any]) -> tuple[type | None, list[Problem]]:
    """The dataclass a parsed file asks for via ``type`` (and ``ticket_type`` for tickets)."""
    t = raw.get("type")
    if t is None:
        return None, [Problem("type", "缺少 type 字段，无法判断文书类型 (missing `type`): " + "、".join(TYPES))]
    cls = TYPES.get(t) if isinstance(t, str) else None
    if cls is None:
        return None, [Problem("type", f"未知的文书类型“{_shown(t)}” (unknown type); 可用: " + "、".join(TYPES))]
    if cls is WorkTicket:
        tt = raw.get("ticket_type")
        sub = TICKET_CLASSES.get(tt) if isinstance(tt, str) else None
        if sub is None:
            return None, [Problem("ticket_type", f"未知或缺少作业类别“{_shown(tt)}” (unknown ticket_type); 可用: " + "、".join(TICKET_CLASSES))]
        return sub, []
    return cls, []


@dataclass
class LoadResult:
    obj: Any
    problems: list[Problem]
    cls: type | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.obj is not None and not self.errors


def load(raw: Any, ctx: RuleContext, *, file: str = "", expect: type | None = None) -> LoadResult:
    """Validate one parsed file: schema, then every rule, all problems at once."""
    if not isinstance(raw, dict):
        return LoadResult(None, [Problem("", "文件内容应为一个对象（键: 值） (the file must hold one mapping)", file=file)])
    body = dict(raw)
    cls, problems = class_for(body)
    if cls is None:
        return LoadResult(None, [dataclasses.replace(p, file=file) for p in problems])
    if expect is not None and not issubclass(cls, expect):
        return LoadResult(None, [Problem("type", f"此处需要 {expect.__case__.type}，文件为 {body.get('type')} (wrong type here)", file=file)], cls)
    body.pop("type")
    schema = schema_for(cls)()
    obj, errors, data = None, {}, None
    try:
        obj = schema.load(body)
        data = obj
    except ValidationError as e:
        errors = e.messages
        data = e.valid_data or {}
    schema_problems = flatten_errors(errors, cls, file=file) if errors else []
    error_paths = {p.path for p in schema_problems}
    rule_problems = [
        dataclasses.replace(p, file=file)
        for p in run_rules(cls, data, ctx)
        if not (p.severity == "error" and p.path in error_paths)
    ]
    warnings = [dataclasses.replace(p, file=file) for p in field_warnings(obj)] if obj is not None else []
    all_problems = schema_problems + rule_problems + warnings
    if any(p.severity == "error" for p in all_problems):
        return LoadResult(None, all_problems, cls)
    return LoadResult(obj, all_problems, cls)


def run_rules(cls: type, data: Any, ctx: RuleContext, prefix: str = "") -> list[Problem]:
    """Every rule of ``cls`` and of the dataclasses nested in it, paths prefixed."""
    out: list[Problem] = []
    if data is None:
        return out
    for fn in rules_for(cls):
        for p in fn(data, ctx):
            path = ".".join(x for x in (prefix, p.path) if x) if not p.path.startswith("[") else prefix + p.path
            out.append(dataclasses.replace(p, path=path))
    for info in field_infos(cls):
        if info.spec.sensitive == "id_number" and not info.is_list:  # born after the day judged on
            value = data.get(info.name) if isinstance(data, dict) else getattr(data, info.name, None)
            message = born_after(value, ctx.today) if isinstance(value, str) else None
            if message:
                out.append(Problem(f"{prefix}.{info.name}" if prefix else info.name, message))
    for info in field_infos(cls):
        target = info.item if info.is_list else info.type
        if not (isinstance(target, type) and dataclasses.is_dataclass(target)):
            continue
        value = data.get(info.name) if isinstance(data, dict) else getattr(data, info.name, None)
        path = f"{prefix}.{info.name}" if prefix else info.name
        if info.is_list:
            for i, item in enumerate(value or ()):
                out.extend(run_rules(target, item, ctx, f"{path}[{i}]"))
        elif value is not None:
            out.extend(run_rules(target, value, ctx, path))
    return out


def field_warnings(obj: Any) -> list[Problem]:
    out = []
    for path, value, spec in iter_values(obj):
        if spec.warn is not None:
            msg = spec.warn(value)
            if msg:
                out.append(Problem(path, msg, severity="warning"))
    return out


# --- reading files ---------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps — ``2026-04-30`` stays text for the schema to read,
    so that a date and a date-time are told apart and errors speak of the field, not of YAML —
    and with YAML 1.2 booleans (only true/false)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# YAML 1.2 booleans only: `on`, `off`, `yes`, `no`, `y`, `n` stay text (a key named `on` is a key).
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:  # `? [a]`, `{[a]: 1}: x`, `? !!set {a}`: a list, mapping or set is no key
            raise yaml.constructor.ConstructorError(None, None, "键应为文本，不能是列表或映射 (keys must be text, not a list or mapping)",
                                                    key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"重复的键 (duplicate key) {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _no_aliases(loader, parent, index):
    """A case file has no use for YAML anchors and aliases (``&a`` / ``*a``); refused, so that a few
    lines cannot expand to billions of values ("billion laughs")."""
    if loader.check_event(yaml.events.AliasEvent):
        event = loader.peek_event()
        raise yaml.composer.ComposerError(None, None, "不允许使用 YAML 别名 *" + str(event.anchor) + " (YAML aliases are not allowed)",
                                          event.start_mark)
    return yaml.composer.Composer.compose_node(loader, parent, index)


_Loader.compose_node = _no_aliases


_CDumper = getattr(yaml, "CSafeDumper", None)  # libyaml's emitter, where PyYAML was built with it


def dump_yaml(data: Any, *, width: int | None = None) -> str:
    """``data`` as the YAML of a case file (block style, keys in their order, Chinese as it is,
    lines up to ``width``) that reads back as it was (:func:`parse_text`). Written by libyaml's
    emitter (3× faster than PyYAML's: a report's case file holds thousands of rows; the same text on
    every example), but where that escapes a character beyond the BMP — a rare character of a name
    (CJK Extension B), an emoji — by PyYAML's, which writes it as it is, when its text reads back
    as the data (PyYAML's does not always: a NEL it writes as is reads back as a space)."""
    options: dict[str, Any] = {"allow_unicode": True, "sort_keys": False, "width": width}
    if _CDumper is None:
        return yaml.dump(data, Dumper=yaml.SafeDumper, **options)
    text = yaml.dump(data, Dumper=_CDumper, **options)
    if "\\U" in text:
        readable = yaml.dump(data, Dumper=yaml.SafeDumper, **options)
        if yaml.safe_load(readable) == data:
            return readable
    return text


def _json_object(pairs: list[tuple[str, Any]], name: str) -> dict[str, Any]:
    """An object of the JSON file ``name``, each key once: as in YAML, ``{"name": "甲", "name": "乙"}``
    is refused, not read as its last name."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise FileProblem(Problem("", f"JSON 格式错误 (invalid JSON): 重复的键 (duplicate key) {clean_message(repr(key))}", file=name))
            seen.add(key)
    return out


class FileProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def parse_text(text: str, name: str) -> Any:
    """The parsed content of a case file (YAML, or JSON by its name), checked for shape: nesting at
    most ``LIMITS.depth`` deep, keys short text. Refused with one :class:`FileProblem`."""
    too_deep = FileProblem(Problem("", f"嵌套层级过深，至多 {LIMITS.depth} 层 (nested more than {LIMITS.depth} levels deep)", file=name))
    too_long_number = FileProblem(Problem("", "数字位数过多 (a number with thousands of digits)", file=name))
    if name.lower().endswith(".json"):
        try:
            data = json.loads(text, object_pairs_hook=lambda pairs: _json_object(pairs, name))
        except json.JSONDecodeError as e:
            raise FileProblem(Problem("", f"JSON 格式错误，第{e.lineno}行第{e.colno}列 (invalid JSON): {e.msg}", file=name)) from e
        except RecursionError:
            raise too_deep from None
        except ValueError:  # an integer of thousands of digits (Python's conversion limit)
            raise too_long_number from None
    else:
        try:
            data = yaml.load(text, Loader=_Loader)  # noqa: S506 — a SafeLoader subclass
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
            where = f"第{mark.line + 1}行第{mark.column + 1}列 " if mark else ""
            what = getattr(e, "problem", None) or str(e)
            raise FileProblem(Problem("", f"YAML 格式错误 {where}(invalid YAML): {clean_message(str(what))}", file=name)) from e
        except RecursionError:
            raise too_deep from None
        except ValueError:
            raise too_long_number from None
    problem = shape_problem(data)
    if problem:
        raise FileProblem(Problem("", problem, file=name))
    return data


def shape_problem(data: Any) -> str | None:
    """Why parsed ``data`` is not the shape of a case file (depth, keys), or None. Iterative: a
    hostile file cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > LIMITS.nodes:
            return f"内容过多，至多 {LIMITS.nodes:,} 个值 (more than {LIMITS.nodes:,} values)"
        if isinstance(node, dict | list):
            if depth > LIMITS.depth:
                return f"嵌套层级过深，至多 {LIMITS.depth} 层 (nested more than {LIMITS.depth} levels deep)"
            if isinstance(node, dict):
                for k in node:
                    if not isinstance(k, str):
                        return f"键应为文本 (keys must be text): {_shown(k, quoted=True)}"
                    if len(k) > LIMITS.key or any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in k):
                        return f"键无效 (invalid key): {clean_message(k)}"
                stack.extend((v, depth + 1) for v in node.values())
            else:
                stack.extend((v, depth + 1) for v in node)
    return None


def _shown(value: Any, *, quoted: bool = False) -> str:
    """A value of a file as a message shows it (``repr`` if ``quoted``), short; or a few words for an
    integer of thousands of digits, which YAML reads as ``0xfff…`` without Python's limit on decimal
    digits but which cannot be written in decimal."""
    try:
        return clean_message(repr(value) if quoted else str(value))
    except ValueError:
        return "数字位数过多 (a number with thousands of digits)"


def clean_message(text: str, most: int = 60) -> str:
    """A value quoted in a message: printable, short."""
    out = "".join(c if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn") else f"\\u{ord(c):04x}" for c in text)
    return out if len(out) <= most else out[:most] + "…"


def read_case_file(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > LIMITS.file_bytes:
            raise FileProblem(Problem("", f"文件过大（{size:,} 字节，至多 {LIMITS.file_bytes:,}） (file too large)", file=str(path)))
        data = path.read_bytes()
    except OSError as e:
        raise FileProblem(Problem("", f"无法读取文件 (cannot read): {e.strerror}", file=str(path))) from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FileProblem(Problem("", "文件不是 UTF-8 编码 (not UTF-8; save the file as UTF-8)", file=str(path))) from e
    return parse_text(text, str(path))


__all__ = [
    "TYPES", "REGISTRY_TYPES", "LoadResult", "RuleContext", "load", "run_rules", "read_case_file", "parse_text", "dump_yaml",
    "FileProblem", "class_for", "meta_of", "all_classes", "schema_for", "record_label",
]


def record_label(obj_or_cls: Any) -> str:
    """The document name of a record or record class: 外包合同, 动火安全作业票, 爆破作业许可单 …"""
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    if issubclass(cls, WorkTicket):
        tt = next((k for k, v in TICKET_CLASSES.items() if v is cls), None)
        if tt == "blasting":
            return "爆破作业许可单"
        if tt:
            return f"{TICKET_TYPE_NAMES[tt]}安全作业票"
    return meta_of(cls).label
