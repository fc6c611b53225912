"""What a form's pickers offer: the registered organizations, projects and people an account may
see (its scope), with 身份证号 masked; and the way back from a masked number to the full one.

    p = pickers(archive, scope)            # p.orgs, p.projects, p.persons (dicts for the page)
    person_ids(archive, scope, "3701**********1213", "赵志刚")   # {"370102…1213"}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from schemas.identifiers import mask_id

MOST = 2000  # entries of one list on a page; a larger registry is searched (lookup)


@dataclass
class Pickers:
    orgs: list[dict] = field(default_factory=list)  # uscc, name, role
    projects: list[dict] = field(default_factory=list)  # code, name, enterprise, contractor
    persons: list[dict] = field(default_factory=list)  # name, masked, employer, employer_name, value, label

    def as_dict(self) -> dict:
        return {"orgs": self.orgs, "projects": self.projects, "persons": self.persons}


def _rows(archive: Any, scope: Any, kind: str) -> list[tuple[dict, dict]]:
    """(registry row, record data) of ``kind`` the scope allows, by name."""
    out = []
    for r in archive.catalog.list_registry(kind):
        rec = archive.catalog.get_record(r["record_id"])
        if rec is None or (scope is not None and not scope.allows(rec)):
            continue
        out.append((r, json.loads(rec["data"])))
    return sorted(out, key=lambda x: (x[0]["name"], x[0]["key"]))


def pickers(archive: Any, scope: Any, *, everything: bool = False) -> Pickers:
    """The registered organizations, projects and people in ``scope``: the first ``MOST`` of each
    (what a page lists; it asks :func:`lookup` for the rest as one types), or all of them."""
    most = None if everything else MOST
    orgs = [{"uscc": d["uscc"], "name": d["name"], "role": d["role"]} for _, d in _rows(archive, scope, "organization")]
    names = {o["uscc"]: o["name"] for o in orgs}
    projects = [{"code": d["code"], "name": d["name"], "enterprise": d["enterprise"], "contractor": d["contractor"]}
                for _, d in _rows(archive, scope, "project")]
    persons = []
    for _, d in _rows(archive, scope, "person"):
        masked = mask_id(d["id_number"])
        employer = names.get(d["employer"], d["employer"])
        persons.append({"name": d["name"], "masked": masked, "employer": d["employer"], "employer_name": employer,
                        "value": f"{d['name']} {masked}", "label": f"{employer} · {'、'.join(d.get('roles') or ())}"})
    return Pickers(orgs[:most], projects[:most], persons[:most])


def person_ids(archive: Any, scope: Any, masked: str, name: str | None = None) -> set[str]:
    """The full 身份证号 of registered people (in scope) whose number masks to ``masked`` — of
    those named ``name`` when any is."""
    found = [(d["name"], d["id_number"]) for _, d in _rows(archive, scope, "person") if mask_id(d["id_number"]) == masked]
    named = {n for nm, n in found if nm == name}
    return named or {n for _, n in found}


def lookup(archive: Any, scope: Any, kind: str, q: str, limit: int = 20) -> list[dict]:
    """Registered ``kind`` ("org", "project", "person") whose name or key contains ``q``."""
    q = (q or "").strip().lower()
    p = pickers(archive, scope, everything=True)  # the whole registry in scope, not the page's first MOST
    items = {"org": p.orgs, "project": p.projects, "person": p.persons}.get(kind, [])
    keys = {"org": ("uscc", "name"), "project": ("code", "name"), "person": ("name", "employer_name")}.get(kind, ())
    return [x for x in items if not q or any(q in str(x.get(k, "")).lower() for k in keys)][:limit]


__all__ = ["MOST", "Pickers", "lookup", "person_ids", "pickers"]
