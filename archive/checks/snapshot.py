"""A :class:`Snapshot`: the archive's current records as typed objects (:class:`Rec`), grouped
by type, enterprise, contractor and project — what a check run reads.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from archive.settings import Settings
from schemas import TYPES, meta_of, record_label
from schemas.tickets import work_begun_on

# =============================================================================================
# The snapshot: every current record of an archive, typed
# =============================================================================================


@dataclass(frozen=True)
class Rec:
    """One archived record: its id and title (to cite it) and the loaded object. ``seq``: where
    the record stands in the archive (the catalog seq of the current version it represents), the
    order every view lists records in."""

    id: str
    type: str
    title: str
    obj: Any
    origin: str = ""
    created_at: str = ""
    seq: int = field(default=0, compare=False)

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


# =============================================================================================
# The world as known on a day
# =============================================================================================


def _after(d: Any, day: date) -> bool:
    if isinstance(d, datetime):
        d = d.date()
    return isinstance(d, date) and d > day


def as_known_on(obj: Any, day: date) -> Any:
    """``obj`` without the facts that happened after ``day``: a completion, a rectification, a
    termination, a report, a certificate or licence issued later. Plans known on the day (agreed
    periods, deadlines, validity ends) stay. A record dated after ``day`` is not passed here: it is
    left out of the view altogether (:meth:`Snapshot.upto`)."""
    t = meta_of(type(obj)).type
    rep = dataclasses.replace
    if t == "project":
        if _after(obj.actual_end, day):
            obj = rep(obj, actual_end=None, status="施工中")
        if obj.period.start > day and obj.status == "施工中":
            obj = rep(obj, status="筹备")
    elif t == "hazard":
        if _after(obj.rectified_on, day):
            obj = rep(obj, rectified_on=None, status="整改中")
        if _after(obj.reported_on, day):
            obj = rep(obj, reported_on=None, reported_to_authority=False)
    elif t == "accident":
        if _after(obj.reported_at, day):
            obj = rep(obj, reported_at=None)
    elif t == "outsourcing_contract":
        if _after(obj.terminated_on, day):
            obj = rep(obj, terminated_on=None, status="履行中")
        if any(_after(c.date, day) for c in obj.change_orders):
            obj = rep(obj, change_orders=tuple(c for c in obj.change_orders if not _after(c.date, day)))
    elif t == "work_ticket":
        if obj.completion is not None and _after(obj.completion.at, day):
            obj = rep(obj, completion=None)
        if any(_after(x.signed_at, day) for x in obj.steps):  # signed on a phone: the steps signed by then
            kept = tuple(x for x in obj.steps if not _after(x.signed_at, day))
            obj = rep(obj, steps=kept or obj.steps[:1])  # (never none: no steps would read as a paper ticket)
    elif t == "person":
        if any(_after(c.issued, day) for c in obj.certificates):
            obj = rep(obj, certificates=tuple(c for c in obj.certificates if not _after(c.issued, day)))
    elif t == "organization":
        if any(_after(q.valid_from, day) for q in obj.qualifications):
            obj = rep(obj, qualifications=tuple(q for q in obj.qualifications if not _after(q.valid_from, day)))
    elif t == "equipment":
        if any(_after(m.date, day) for m in obj.maintenance):
            obj = rep(obj, maintenance=tuple(m for m in obj.maintenance if not _after(m.date, day)))
    elif t == "blacklist_entry":
        if _after(obj.published_on, day):
            obj = rep(obj, published_on=None)
    return obj


class Snapshot:
    """The records the rules look at, indexed; registry entities by key (latest version wins).
    ``earlier``: for a record that supersedes others, its earlier versions (newest first), so that
    a view of a past day shows the version current then."""

    def __init__(self, recs: Iterable[Rec], *, owner: str = "", owner_role: str = "", settings: Any = None,
                 earlier: dict[str, list[Rec]] | None = None) -> None:
        self.earlier = earlier or {}
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
        self._first: dict[tuple[str, Any], int] = {}  # a registry key's place: its first record's
        self._index: dict[tuple[str, str | None, str | None], list[Rec]] | None = None
        self._groups: dict[tuple[str, str], dict[Any, list[Rec]]] = {}
        self._index_registry(self.by_type)

    def _index_registry(self, by_type: dict[str, list[Rec]]) -> None:
        """One entity per key, the latest record wins and keeps the place of the key's first one:
        the bureau may hold the same contractor from several enterprises' packages."""
        for t, attr, key in (("organization", "orgs", lambda o: o.uscc), ("person", "persons", lambda o: o.id_number.upper()),
                             ("project", "projects", lambda o: (o.enterprise, o.code))):
            if t not in by_type:
                continue
            table = getattr(self, attr)
            for r in by_type[t]:
                k = key(r.obj)
                table[k] = r
                self._first.setdefault((t, k), r.seq)
            by_type[t] = list(table.values())

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def from_archive(cls, archive: Any, *, types: Sequence[str] = (), within: str | None = None,
                     loader: Callable[[dict], Any] | None = None) -> "Snapshot":
        """Every current (not superseded) record of ``archive``, loaded as sealed (``loader``:
        another way, e.g. ``archive.load_record_validated``), with the earlier versions of dated
        records (for views of a past day); only of ``types`` when given; only those that belong to
        the enterprise ``within`` when given — an enterprise account's scope, archive.access.scope.
        The whole archive in memory: the straightforward evaluation, which the views that scale
        (:mod:`archive.checks.world`) are tested against."""
        rows = archive.catalog.list_records(types=types, belongs_to=within)
        by_id = {r["id"]: r for r in rows}
        replaced = {r["supersedes"] for r in rows if r["supersedes"]}
        recs, earlier = [], {}
        sealed = loader is None  # loaded as sealed: a record that does not fit today's class is left out
        loader = loader or archive.load_record

        def load(row: dict, place: int) -> Rec:
            return Rec(row["id"], row["type"], row["title"], loader(row), row["origin"], row["created_at"], place)

        for row in rows:
            if row["type"] not in TYPES or row["id"] in replaced:
                continue
            rec = load(row, row["seq"])
            if sealed and not archive.sealed.fits(row["id"]):
                continue  # sealed in a shape today's classes do not have: the rules cannot judge it (World.recs)
            recs.append(rec)
            if row["supersedes"] and meta_of(TYPES[row["type"]]).date:
                chain, prev = [], by_id.get(row["supersedes"])
                while prev is not None and prev["type"] == row["type"]:
                    earlier_rec = load(prev, row["seq"])
                    if not sealed or archive.sealed.fits(prev["id"]):
                        chain.append(earlier_rec)
                    prev = by_id.get(prev["supersedes"]) if prev["supersedes"] else None
                earlier[row["id"]] = chain
        role = archive.catalog.get_meta("owner_role") or ""
        return cls(recs, owner=archive.owner_uscc, owner_role=role, settings=archive.settings, earlier=earlier)

    @classmethod
    def from_objects(cls, objs: Iterable[Any], *, owner: str = "", owner_role: str = "", settings: Any = None) -> "Snapshot":
        """Loaded objects as if archived (ids R1, R2 …) — for tests and for the batch being added."""
        recs = [Rec(f"R{i}", meta_of(type(o)).type, _title(o), o, owner, "", i) for i, o in enumerate(objs, 1)]
        return cls(recs, owner=owner, owner_role=owner_role, settings=settings)

    def upto(self, as_of: date) -> "Snapshot":
        """The world as known on ``as_of``: records dated after it left out (of a corrected record,
        the version dated on or before it), and the later facts inside the others removed
        (:func:`as_known_on`). Registry entities are kept, without their later facts."""
        keep = []
        for r in self.recs:
            for v in (r, *self.earlier.get(r.id, ())):
                if meta_of(type(v.obj)).kind == "registry" or v.date is None or v.date <= as_of:
                    obj = as_known_on(v.obj, as_of)
                    keep.append(v if obj is v.obj else dataclasses.replace(v, obj=obj))
                    break
        return Snapshot(keep, owner=self.owner, owner_role=self.owner_role, settings=self.settings)

    # --- lookups --------------------------------------------------------------------------
    #
    # The rules and views ask a snapshot only through these methods (never through its dicts), so
    # that a snapshot of part of the archive (archive.checks.world.PartialSnapshot) can answer
    # them with indexed queries.

    def of(self, *types: str) -> list[Rec]:
        return [r for t in types for r in self.by_type.get(t, [])]

    def position(self, rec: Rec) -> int:
        """Where ``rec`` stands in the lists of this snapshot (a registry entity: where its key's
        first record stands) — the order a view that streams the archive merges its parts in."""
        t = rec.type
        if t == "project":
            return self._first.get((t, (rec.obj.enterprise, rec.obj.code)), rec.seq)
        if t == "organization":
            return self._first.get((t, rec.obj.uscc), rec.seq)
        if t == "person":
            return self._first.get((t, rec.obj.id_number.upper()), rec.seq)
        return rec.seq

    def for_project(self, t: str, p: Any, subtype: str | None = None) -> list[Rec]:
        """The records of type ``t`` (of ticket type ``subtype``) filed under project ``p``."""
        if self._index is None:
            index: dict[tuple[str, str | None, str | None], list[Rec]] = defaultdict(list)
            for typ, recs in self.by_type.items():
                if typ in ("organization", "person"):
                    continue
                for r in recs:
                    index[(typ, getattr(r.obj, "enterprise", None), getattr(r.obj, "project", None))].append(r)
            self._index = index
        out = self._index.get((t, p.enterprise, p.code), [])
        return [r for r in out if r.obj.ticket_type == subtype] if subtype else list(out)

    def group(self, t: str, by: str) -> dict[Any, list[Rec]]:
        """The records of type ``t`` grouped by ``by`` (a key of :data:`GROUPINGS`), each group in
        list order — an index built once, for the lookups the rules repeat."""
        got = self._groups.get((t, by))
        if got is None:
            fn = GROUPINGS[by]
            got = defaultdict(list)
            for r in self.of(t):
                got[fn(r.obj)].append(r)
            self._groups[(t, by)] = got
        return got

    def org_rec(self, uscc: str | None) -> Rec | None:
        return self.orgs.get(uscc or "")

    def org(self, uscc: str | None) -> Any:
        r = self.org_rec(uscc)
        return r.obj if r else None

    def org_name(self, uscc: str | None) -> str:
        o = self.org(uscc)
        return o.name if o is not None else (uscc or "")

    def orgs_with_role(self, role: str, origin: str | None = None) -> list[Rec]:
        """Registered organizations of ``role`` (that ``origin`` sealed, when given), in place order."""
        return [r for r in self.of("organization") if r.obj.role == role and (origin is None or r.origin == origin)]

    def org_keys_with_role(self, role: str, origin: str | None = None) -> list[str]:
        return [r.obj.uscc for r in self.orgs_with_role(role, origin)]

    def person_by_number(self, id_number: str) -> Rec | None:
        return self.persons.get(id_number.upper())

    def persons_named(self, name: str | None, employers: Sequence[str | None] = ()) -> list[Rec]:
        """Registered people called ``name`` (employed by one of ``employers``, when given)."""
        return [r for r in self.persons.values() if r.obj.name == name and (not employers or r.obj.employer in employers)]

    def persons_of(self, employer: str) -> list[Rec]:
        return [r for r in self.persons.values() if r.obj.employer == employer]

    def person_rec(self, ref: Any, employers: Sequence[str | None] = ()) -> Rec | None:
        """The registered person a PersonRef names: by 身份证号, else by name among ``employers``."""
        number = getattr(ref, "id_number", None)
        if number:
            return self.person_by_number(number)
        hits = self.persons_named(getattr(ref, "name", None), employers)
        return hits[0] if len(hits) == 1 else None

    def project_rec(self, enterprise: str | None, code: str | None) -> Rec | None:
        return self.projects.get((enterprise or "", code or ""))

    def blacklist_entries(self, subject: str) -> list[Rec]:
        """Blacklist entries naming ``subject``."""
        return [r for r in self.of("blacklist_entry") if r.obj.subject == subject]

    def about_to_ask(self, *, organizations: Iterable[str | None] = (), projects: Iterable[tuple[str | None, str | None]] = (),
                     listed: Iterable[str | None] = ()) -> "Snapshot":
        """A rule about to ask for many ``organizations`` (:meth:`org_rec`), ``projects``
        ((enterprise, code), :meth:`project_rec`) and the blacklist entries naming many
        contractors (``listed``, :meth:`blacklist_entries`) says so first: a snapshot reading from
        the catalog reads them together. Nothing to do here (all is loaded)."""
        return self

    def blacklist_removals(self, entry: Any) -> list[Rec]:
        """Removals of the listing ``entry`` (matched by its number and who listed it)."""
        return [r for r in self.of("blacklist_removal") if r.obj.entry_no == entry.entry_no and r.obj.listed_by == entry.listed_by]

    def decisions_on(self, units: Sequence[str | None]) -> list[Rec]:
        """行政处罚决定书 whose party (unit) is one of ``units``."""
        return [r for r in self.of("penalty_decision") if r.obj.unit in units]

    def cited_inspections(self) -> set[str]:
        """The 文书号 of the 现场检查记录 that orders rest on."""
        return {r.obj.inspection_ref for r in self.of("rectification_order") if r.obj.inspection_ref}


GROUPINGS: dict[str, Callable[[Any], Any]] = {
    "pair": lambda o: (o.enterprise, o.contractor),
    "enterprise": lambda o: o.enterprise,
    "trainee": lambda o: (o.trainee.id_number.upper(), o.enterprise, o.contractor),
}


def for_project(snap: Snapshot, t: str, p: Any, subtype: str | None = None) -> list[Rec]:
    """What the rules judge of a project: its records of type ``t``; of its 作业票 those under which
    work has begun — a paper ticket, or one signed on a phone up to 作业开始 or 完工验收. A ticket
    still being applied for, gas-tested or approved (办理中) is not yet a record of work done: its
    missing approvals are the steps to come (the life cycle refuses work before them), not a finding."""
    recs = snap.for_project(t, p, subtype)
    if t == "work_ticket":
        return [r for r in recs if work_begun_on(r.obj.steps) is not None]
    return recs


def pending_tickets(snap: Snapshot, p: Any) -> list[Rec]:
    """The project's 作业票 still being signed on a phone (办理中), which the rules do not judge yet."""
    return [r for r in snap.for_project("work_ticket", p) if work_begun_on(r.obj.steps) is None]
