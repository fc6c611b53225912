"""Pages and JSON: the Jinja2 environment (autoescape on for everything, StrictUndefined), the
filters the templates use, and the JSON encoder of the ``/api/…`` twins.

Data is never rendered as a template: markup, ``<script>`` and ``{{ }}`` in a record show as the
text they are. The one piece of markup made from data is the highlighting of search snippets,
built by :func:`marks` as (text, highlighted) pairs that the template escapes part by part.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from archive.access.audit import ACTIONS
from archive.access.roles import ROLES
from archive.clock import local_time
from schemas import TYPES
from schemas.common import TICKET_TYPE_NAMES

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def marks(snippet: str | None) -> list[tuple[str, bool]]:
    """``前«动火»后`` → [("前", False), ("动火", True), ("后", False)]."""
    out: list[tuple[str, bool]] = []
    rest = snippet or ""
    while "«" in rest:
        before, _, tail = rest.partition("«")
        word, sep, after = tail.partition("»")
        if not sep:
            break
        if before:
            out.append((before, False))
        out.append((word, True))
        rest = after
    if rest:
        out.append((rest, False))
    return out


def type_label(type_: str | None, ticket_type: str | None = None) -> str:
    cls = TYPES.get(type_ or "")
    label = cls.__case__.label if cls is not None else (type_ or "")
    if ticket_type:
        label = f"{TICKET_TYPE_NAMES.get(ticket_type, ticket_type)}{label}"
    return label


def filesize(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("字节", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "字节" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(marks=marks, local_time=local_time, type_label=type_label, filesize=filesize,
                       role_label=lambda r: ROLES[r].label if r in ROLES else r, action_label=lambda a: ACTIONS.get(a, a),
                       ticket_label=lambda t: TICKET_TYPE_NAMES.get(t or "", t or ""))
    env.globals.update(ROLES=ROLES, TYPES=TYPES, TICKET_TYPE_NAMES=TICKET_TYPE_NAMES, ACTIONS=ACTIONS)
    return env


def json_default(value: Any) -> Any:
    """JSON for what pages and their twins show: dates as ISO text, decimals as text, a path as its name."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return value.name
    raise TypeError(type(value).__name__)


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, default=json_default, indent=1).encode("utf-8")
