"""A :class:`Snapshot`: the archive's current records as typed objects (:class:`Rec`), grouped
by type, enterprise, contractor and project — what a check run reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from archive.settings import Settings
from schemas import TYPES, meta_of, record_label

# =============================================================================================
# The snapshot: every current record of an archive, typed
# =============================================================================================


@dataclass(frozen=True)
class Rec:
    """One archived record: its id and title (to cite it) and the loaded object."""

    id: str
    type: str
    title: str
    obj: Any
    origin: str = ""
    created_at: str = ""

    @property
    def date(self) -> date | None:
        """The document's own date (as a day), from its CaseMeta."""
        d: Any = self.obj
        path = meta_of(type(self.obj)).date
        if not path:
            return None
        for part in path.split("."):
            d = getattr(d, part, None)
        if isinstance(d, datetime):
            return d.date()
        return d if isinstance(d, date) else None

    def cite(self) -> dict:
        return {"id": self.id, "title": self.title, "type": self.type}


def _title(obj: Any) -> str:
    meta = meta_of(type(obj))
    if meta.kind == "registry":
        return f"{record_label(obj)} {getattr(obj, 'name', '')}".strip()
    number: Any = obj
    for part in meta.number.split("."):
        number = getattr(number, part, None)
    return f"{record_label(obj)} {number or ''}".strip()


class Snapshot:
    """The records the rules look at, indexed; registry entities by key (latest version wins)."""

    def __init__(self, recs: Iterable[Rec], *, owner: str = "", owner_role: str = "", settings: Any = None) -> None:
        self.recs: list[Rec] = list(recs)
        self.owner = owner
        self.owner_role = owner_role
        self.settings = settings or Settings()
        self.by_type: dict[str, list[Rec]] = defaultdict(list)
        for r in self.recs:
            self.by_type[r.type].append(r)
        self.orgs: dict[str, Rec] = {}
        self.persons: dict[str, Rec] = {}
        self.projects: dict[tuple[str, str], Rec] = {}
        for r in self.by_type.get("organization", []):
            self.orgs[r.obj.uscc] = r
        for r in self.by_type.get("person", []):
            self.persons[r.obj.id_number.upper()] = r
        for r in self.by_type.get("project", []):
            self.projects[(r.obj.enterprise, r.obj.code)] = r
        # one entity per key: the bureau may hold the same contractor from several enterprises' packages
        self.by_type["organization"] = list(self.orgs.values())
        self.by_type["person"] = list(self.persons.values())
        self.by_type["project"] = list(self.projects.values())

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def from_archive(cls, archive: Any, *, types: Sequence[str] = (), within: str | None = None) -> "Snapshot":
        """Every current (not superseded) record of ``archive``, loaded with its schema (only of
        ``types`` when given; only those that belong to the enterprise ``within`` when given —
        an enterprise account's scope, archive.access.scope)."""
        rows = archive.catalog.list_records(types=types, current_only=True, belongs_to=within)
        recs = []
        for row in rows:
            if row["type"] not in TYPES:
                continue
            recs.append(Rec(row["id"], row["type"], row["title"], archive.load_record(row), row["origin"], row["created_at"]))
        role = archive.catalog.get_meta("owner_role") or ""
        return cls(recs, owner=archive.owner_uscc, owner_role=role, settings=archive.settings)

    @classmethod
    def from_objects(cls, objs: Iterable[Any], *, owner: str = "", owner_role: str = "", settings: Any = None) -> "Snapshot":
        """Loaded objects as if archived (ids R1, R2 …) — for tests and for the batch being added."""
        recs = [Rec(f"R{i}", meta_of(type(o)).type, _title(o), o, owner) for i, o in enumerate(objs, 1)]
        return cls(recs, owner=owner, owner_role=owner_role, settings=settings)

    def upto(self, as_of: date) -> "Snapshot":
        """Without the case records dated after ``as_of`` (registry entities are kept)."""
        keep = [r for r in self.recs if meta_of(type(r.obj)).kind == "registry" or r.date is None or r.date <= as_of]
        return Snapshot(keep, owner=self.owner, owner_role=self.owner_role, settings=self.settings)

    # --- lookups --------------------------------------------------------------------------

    def of(self, *types: str) -> list[Rec]:
        return [r for t in types for r in self.by_type.get(t, [])]

    def org(self, uscc: str | None) -> Any:
        r = self.orgs.get(uscc or "")
        return r.obj if r else None

    def org_name(self, uscc: str | None) -> str:
        o = self.org(uscc)
        return o.name if o is not None else (uscc or "")

    def person_rec(self, ref: Any, employers: Sequence[str | None] = ()) -> Rec | None:
        """The registered person a PersonRef names: by 身份证号, else by name among ``employers``."""
        number = getattr(ref, "id_number", None)
        if number:
            return self.persons.get(number.upper())
        name = getattr(ref, "name", None)
        hits = [r for r in self.persons.values() if r.obj.name == name and (not employers or r.obj.employer in employers)]
        return hits[0] if len(hits) == 1 else None

    def project_rec(self, enterprise: str | None, code: str | None) -> Rec | None:
        return self.projects.get((enterprise or "", code or ""))


def for_project(snap: Snapshot, t: str, p: Any) -> list[Rec]:
    return [r for r in snap.of(t) if r.obj.enterprise == p.enterprise and getattr(r.obj, "project", None) == p.code]
