"""What the search index holds for one catalog record: :func:`document` (the indexed fields) and
:func:`record_text` (the full text, composed from the record's data — labels and values — not
re-extracted from the PDF; also the source of result snippets).

Privacy: fields marked ``sensitive="id_number"`` never reach the text; they are indexed only as
keyed hashes (``archive.registry.person_key`` with the archive's secret) for exact lookup. Any
other text shaped like a 身份证号 is masked — including one inside a certificate number such as
``T370102198503151213`` (a 特种作业操作证 number is ``T`` + the holder's ID).
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from functools import cache
from typing import Any

from archive.access.scope import belongs_to
from archive.privacy import ID_PATTERN, mask_text
from archive.registry import person_key
from archive.search import text as sa
from schemas import TYPES
from schemas.base import field_infos
from schemas.common import TICKET_TYPE_NAMES
from schemas.contract import liability_shifting_phrases
from schemas.tickets import TICKET_CLASSES

ORG_FIELDS = {"enterprise", "contractor", "unit", "bureau", "employer", "owner"}
CODE_NAMES = {"ticket_type": TICKET_TYPE_NAMES, "dangerous_work": TICKET_TYPE_NAMES,
              "role": {"enterprise": "发包单位", "contractor": "承包单位", "bureau": "应急管理局"}}
EMBEDDED_ID = ID_PATTERN  # an ID number, also glued to letters (T370102198503151213)


def record_class(row: dict) -> type | None:
    if row["type"] == "work_ticket":
        return TICKET_CLASSES.get(row.get("subtype") or "")
    return TYPES.get(row["type"])


def keyword(value: Any) -> str:
    """A keyword value as indexed: text without commas (Whoosh's keyword separator)."""
    return str(value).strip().replace(",", "，")


def mask(text: str) -> str:
    """``archive.privacy.mask_text``: every 身份证号 in the text masked, also one glued to letters."""
    return mask_text(text)


SENSITIVE, NESTED, NAME, PLAIN = range(4)


@cache
def _plan(cls: type | None) -> dict[str, tuple[str, int, Any]]:
    """Per field of ``cls``: (label, kind, nested class) — how the walk treats it."""
    out = {}
    for info in field_infos(cls) if cls else ():
        target = info.item if info.is_list else info.type
        label = info.spec.label or info.name
        if info.spec.sensitive == "id_number":
            out[info.name] = (label, SENSITIVE, None)
        elif isinstance(target, type) and dataclasses.is_dataclass(target):
            out[info.name] = (label, NESTED, target)
        elif label == "姓名" or label.endswith(("人", "人员")):
            out[info.name] = (label, NAME, None)
        else:
            out[info.name] = (label, PLAIN, None)
    return out


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


# --- one walk over the record's data ----------------------------------------------------------------


class _Walk:
    """Lines of ``label：value`` (身份证号 left out), people's names and hashed ID numbers."""

    def __init__(self, orgs: dict, secret: bytes | None) -> None:
        self.orgs = orgs
        self.secret = secret
        self.names: set[str] = set()
        self.hashes: set[str] = set()

    def fields(self, data: dict, cls: type | None):
        plan = _plan(cls)
        for name, value in data.items():
            if value is None or value == [] or value == "":
                continue
            label, kind, target = plan.get(name) or (name, PLAIN, None)
            values = value if isinstance(value, list) else (value,)
            if kind == SENSITIVE:
                if self.secret is not None:
                    self.hashes.update(person_key(self.secret, v) for v in values if isinstance(v, str) and v)
                continue
            if kind == NESTED or isinstance(values[0], dict):
                parts = [self.inline(v, target) for v in values if isinstance(v, dict)]
                yield label, "；".join(p for p in parts if p)
                continue
            if kind == NAME:
                self.names.update(v.strip() for v in values if isinstance(v, str) and 1 < len(v.strip()) <= 12 and " " not in v.strip())
            yield label, "；".join([self.format(name, v) for v in values])

    def inline(self, data: dict, cls: type | None) -> str:
        parts = []
        lead = next((k for k in ("name", "text") if isinstance(data.get(k), str)), None)
        if lead:
            parts.append(data[lead].rstrip("。；，"))
            if lead == "name":
                self.names.add(data["name"].strip())
        parts += [f"{label} {value.rstrip('。；，')}" for label, value in self.fields({k: v for k, v in data.items() if k != lead}, cls)]
        return "，".join(parts)

    def format(self, name: str, value: Any) -> str:
        if type(value) is str and name not in CODE_NAMES and name not in ORG_FIELDS:
            return value
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        if name in CODE_NAMES and text in CODE_NAMES[name]:
            return f"{CODE_NAMES[name][text]}（{text}）"
        if name in ORG_FIELDS and text in self.orgs:
            return f"{self.orgs[text].get('name', '')}（{text}）"
        return text


def _compose(row: dict, secret: bytes | None, data: dict | None = None, refs: dict | None = None) -> tuple[str, _Walk]:
    data = _loads(row["data"]) if data is None else data
    refs = _loads(row.get("refs")) if refs is None else refs
    walk = _Walk(refs.get("organizations", {}), secret)
    lines = [row.get("title") or ""]
    lines += [f"{label}：{value}" for label, value in walk.fields(data, record_class(row))]
    for proj in refs.get("projects", {}).values():
        lines.append(f"项目：{proj.get('code', '')} {proj.get('name', '')}")
    walk.hashes.update(refs.get("persons", {}))
    return mask("\n".join(x for x in lines if x)), walk


def record_text(row: dict) -> str:
    """Title, then one ``label：value`` line per field; organizations named beside their USCC;
    身份证号 left out and ID-shaped text masked."""
    return _compose(row, None)[0]


# --- the indexed document --------------------------------------------------------------------------


def document(row: dict, secret: bytes, *, current: bool = True) -> dict:
    """The engine-neutral document for one catalog row (every engine indexes exactly this)."""
    data = _loads(row["data"])
    text, walk = _compose(row, secret, data, _loads(row.get("refs")))
    bg, w = sa.analyse(text)
    grade = [data["grade"]] if isinstance(data.get("grade"), str) else []
    status = [data[k] for k in ("status", "result") if isinstance(data.get(k), str)]
    conclusion = data.get("conclusion")
    if isinstance(conclusion, dict) and isinstance(conclusion.get("passed"), bool):
        status.append("合格" if conclusion["passed"] else "不合格")
    day = (row.get("doc_date") or "")[:10].replace("-", "")
    return {
        "id": row["id"],
        "seq": int(row["seq"]),
        "type": row["type"],
        "ticket_type": row.get("subtype") or "",
        "grade": [keyword(g) for g in grade],
        "status": [keyword(s) for s in status],
        "tags": sorted(_tags(row, data)),
        "doc_no": row.get("doc_no") or "",
        "enterprise": [keyword(row["enterprise"])] if row.get("enterprise") else [],
        "belongs": keyword(belongs_to(row)),  # the enterprise whose accounts may see it (archive.access.scope)
        "contractor": sorted({keyword(c) for c in [row.get("contractor"), *_item_contractors(data)] if c}),
        "project": [keyword(row["project"])] if row.get("project") else [],
        "names": sorted(keyword(n) for n in walk.names if n),
        "id_hash": sorted(walk.hashes),
        "date": int(day) if day.isdigit() else 0,
        "current": current,
        "bg": bg,
        "w": w,
    }


def _item_contractors(data: dict) -> list[str]:
    """Contractors named item by item (a 责令限期整改指令书 covering several contractors)."""
    items = data.get("items")
    if not isinstance(items, list):
        return []
    return [it["contractor"] for it in items if isinstance(it, dict) and isinstance(it.get("contractor"), str)]


def _list(value: Any) -> list:
    """A list field as sealed, or nothing (an older shape may hold a number or a text there)."""
    return value if isinstance(value, list) else []


def _tags(row: dict, data: dict) -> set[str]:
    tags = set()
    if row.get("supersedes"):
        tags.add("correction")
    if data.get("grade") == "重大" or any(isinstance(x, dict) and x.get("major_hazard") is True
                                         for key in ("findings", "items") for x in _list(data.get(key))):
        tags.add("major_hazard")
    if data.get("subcontracting_allowed") is True:
        tags.add("subcontracting")
    if data.get("special_equipment") is True:
        tags.add("special_equipment")
    conditions = data.get("conditions") or {}
    if isinstance(conditions, dict):
        tags.update(k for k in ("holiday", "night") if conditions.get(k) is True)
    clauses = [data.get("safety_duty_clause") or ""] + _list(data.get("enterprise_duties")) + _list(data.get("contractor_duties"))
    if any(isinstance(c, str) and liability_shifting_phrases(c) for c in clauses):
        tags.add("liability_shifting")
    return tags


def documents(rows: list[dict], secret: bytes, superseded: frozenset[str] | set[str]) -> list[dict]:
    """Many rows at once (a bulk-rebuild worker's unit of work)."""
    return [document(r, secret, current=r["id"] not in superseded) for r in rows]
