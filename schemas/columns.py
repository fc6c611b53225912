"""The catalog columns of a record, derived from its sealed data alone.

A record's row repeats a few values of its data so that listings, filters and exports can find it
without reading every record: its number, title, parties, project and date. Those columns are not
sealed themselves; they are a function of what is. This module is that function, used by every
writer (``case add``, ``package import``, which re-derives them instead of trusting a package)
and by ``verify``, which re-derives them for every record and names any column that differs.

    record_columns(cls, data) -> {"doc_no", "title", "enterprise", "contractor", "project", "doc_date"}
    registry_entry(kind, data) -> (key_field, name)
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from schemas import meta_of, record_label

COLUMNS = ("doc_no", "title", "enterprise", "contractor", "project", "doc_date")


def dotted(data: Any, path: str | None) -> Any:
    """``data["period"]["start"]`` for ``"period.start"``; None when any step is missing."""
    if not path:
        return None
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
        if data is None:
            return None
    return data


def day_text(value: Any) -> str | None:
    """The catalog's date text: ``2026-04-30`` for a day, ``2026-04-30 08:00`` for a moment
    (minutes; seconds are dropped, as in every listing)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).isoformat(sep=" ", timespec="minutes") if len(value) > 10 else date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def record_columns(cls: type, data: dict) -> dict[str, str | None]:
    """The derived columns of a record of class ``cls`` whose sealed (JSON) data is ``data``."""
    meta = meta_of(cls)
    number = str(dotted(data, meta.number) or "")
    label = record_label(cls)
    if meta.kind == "registry":
        title = f"{label} {data.get('name', number)}"
    else:
        title = f"{label} {number}".strip()
    enterprise = dotted(data, meta.enterprise) if meta.enterprise else None
    contractor = dotted(data, meta.contractor) if meta.contractor else None
    if meta.type == "organization":
        enterprise = data.get("uscc") if data.get("role") == "enterprise" else None
        contractor = data.get("uscc") if data.get("role") == "contractor" else None
    return {
        "doc_no": number,
        "title": title,
        "enterprise": _text(enterprise),
        "contractor": _text(contractor),
        "project": _text(dotted(data, meta.project) if meta.project else None),
        "doc_date": day_text(dotted(data, meta.date)),
    }


def _text(value: object) -> str | None:
    """A column's value as the catalog keeps it: text (data sealed in an older shape may hold a
    number where today's class has text; the catalog's TEXT column holds it as text)."""
    return value if value is None or isinstance(value, str) else str(value)


def registry_name(data: dict, key: str) -> str:
    """The name a registry entry shows: the entity's name, else its key."""
    return data.get("name") or key
