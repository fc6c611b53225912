"""The world a view sees, read through the facts: a :class:`PartialSnapshot` holds only the records
a scope can touch, found with indexed queries (``catalog.facts``), loaded as sealed (cached by
record id) and as known on the view's day — the same records, in the same order, that the
straightforward :class:`~archive.checks.snapshot.Snapshot` of the whole archive would show that
scope, so every rule and view runs on it unchanged.

    world = World(archive)                                  # facts caught up first
    snap = world.snapshot([Clause("home", {uscc})], as_of)   # one enterprise's records
    snap.of("work_ticket")                                   # loaded on first use, per type
    snap.person_rec(ref, [contractor])                      # registry lookups: indexed, global

What a partial snapshot holds is given by *clauses*: records linked (role, key) to one of the
keys (archive.facts.derive lists the roles), of some types or all. Everything a rule only *looks
up* — organizations, people, projects, blacklist listings, the orders citing an inspection — is
answered for the whole archive, by key, whatever the clauses.

As of a day: of a corrected record, the version dated on or before the day is shown, in the place
of the current one (as :meth:`Snapshot.upto` does); then :func:`as_known_on` removes what happened
after the day. The versions are resolved on the facts (their days and corrections) before any
record is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from archive.checks.snapshot import Rec, Snapshot, as_known_on
from archive.facts import cache
from archive.facts.cache import Deps, RowFilter
from archive.facts.derive import withheld
from archive.facts.records import brief_object, record_class
from archive.facts.index import catch_up
from archive.registry import person_key
from schemas import TYPES, meta_of
from storage.rows import FactRow

REGISTRY = frozenset(t for t, cls in TYPES.items() if meta_of(cls).kind == "registry")
DATED = frozenset(t for t, cls in TYPES.items() if meta_of(cls).date and t not in REGISTRY)


@dataclass(frozen=True)
class Clause:
    """Records linked (``role``, k) for some k in ``keys``; of ``types`` (None: every type); and,
    with ``only``, those of its versions whose fact row ``only`` accepts (read without their data
    first: of the enterprises a contractor works for, its check reads only the findings about
    confined spaces and the equipment it judges). A view reading through ``only`` depends on the
    new rows it accepts, not on every new row (:class:`archive.facts.cache.RowFilter`)."""

    role: str
    keys: frozenset[str]
    types: frozenset[str] | None = None
    only: RowFilter | None = field(default=None, compare=False)

    @staticmethod
    def of(role: str, keys: Iterable[str], types: Iterable[str] | None = None,
           only: RowFilter | None = None) -> "Clause":
        return Clause(role, frozenset(k for k in keys if k is not None), None if types is None else frozenset(types), only)


class ScopedFacts:
    """The archive's :class:`~storage.interfaces.FactStore` seen from one enterprise's scope: every
    selection with ``within`` (the records that belong to it, archive.access.scope)."""

    SCOPED = frozenset({"rows", "linked", "of_type", "keyed", "successors", "linked_keys", "keys", "lint_stale"})

    def __init__(self, facts: Any, within: str) -> None:
        self._facts = facts
        self.within = within

    def __getattr__(self, name: str) -> Any:
        got = getattr(self._facts, name)
        if name in self.SCOPED:
            return lambda *a, **kw: got(*a, within=self.within, **kw)
        return got


class World:
    """What the views read the archive through: its facts and its sealed records (cached by id),
    with its settings and owner. Registry lookups are cached for the life of the world (one view
    or one request). ``within``: the world of one enterprise's account — only the records that
    belong to that enterprise, as ``Snapshot.from_archive(archive, within=…)`` holds them."""

    def __init__(self, archive: Any, *, catch: bool = True, within: str | None = None) -> None:
        if catch:
            catch_up(archive)
        self.archive = archive
        self.catalog = archive.catalog
        self.within = within
        self.facts = archive.catalog.facts if within is None else ScopedFacts(archive.catalog.facts, within)
        self.sealed = archive.sealed
        self.secret = archive.secret
        self.settings = archive.settings
        self.owner = archive.owner_uscc
        self.owner_role = archive.catalog.get_meta("owner_role") or ""
        self._registry: dict[tuple[str, str], FactRow | None] = {}
        self._known_recs: dict[tuple[str, date | None], Rec] = {}
        self.deps = Deps()  # what this world has read (archive.facts.cache): a kept result depends on it
        self.unfit: set[str] = set()  # records read whose sealed data does not fit today's classes: left out of the views
        self.keep_cases = True  # keep the records read in the sealed cache (a stream through the archive keeps only the registry)
        # load the records that have a brief from it (archive.facts.derive): the check, whose rules
        # never read what briefs leave out; other views read whole records
        self.briefs = False
        self._briefed: dict[str, Any] = {}  # record id → its object from its brief (this world's only: never the sealed cache's)
        self.withheld_loads = 0  # whole records loaded because a field their brief left out was read

    def linked(self, role: str, keys: Collection[str], **kw: Any) -> list[FactRow]:
        """``FactStore.linked``, noting the links read (of the types read, when they are named)."""
        types = kw.get("types")
        self.deps.add(keys, role=role, of_types=None if types is None else sorted(types))
        return self.facts.linked(role, keys, **kw)

    def homes(self) -> list[str]:
        """The homes holding records (of this world's scope): ``FactStore.keys("home")``, asked
        once per process and catalog top (:func:`archive.facts.cache.asked_once`) — an enterprise
        account's dashboard asked it three times, 25 ms each for the largest enterprise at 10^5."""
        return list(cache.asked_once(self.archive, ("homes", self.within), lambda: tuple(self.facts.keys("home"))))

    def of_type(self, types: Collection[str], **kw: Any) -> list[FactRow]:
        """``FactStore.of_type``, noting the types read."""
        self.deps.add(types=types)
        return self.facts.of_type(types, **kw)

    KEEP_REGISTRY = 50_000  # registry lookups (fact rows) kept across the parts of a streamed view

    def forget(self) -> None:
        """Drop the records looked up so far (a view streaming the archive calls it between parts,
        so that memory does not grow with the archive; the sealed records stay cached, bounded).
        Which record is an entity's latest is kept, up to :data:`KEEP_REGISTRY` keys: the parts
        look the same people and contractors up again."""
        if len(self._registry) > self.KEEP_REGISTRY:
            self._registry.clear()
        self._known_recs.clear()
        self._briefed.clear()

    def snapshot(self, clauses: Sequence[Clause], as_of: date | None, *, per_project: bool = False) -> "PartialSnapshot":
        return PartialSnapshot(self, clauses, as_of, per_project=per_project)

    # --- versions visible on a day --------------------------------------------------------------

    def visible(self, rows: Sequence[FactRow], as_of: date | None) -> list[tuple[int, FactRow]]:
        """(place, version) of the records among ``rows`` (any versions) that a view as of
        ``as_of`` shows: per correction chain, the current version, or the latest one dated on or
        before the day (the place is the current version's seq). ``as_of`` None: current ones."""
        day = as_of.isoformat() if as_of else None
        selected = {r["record_id"]: r for r in rows}
        out: dict[int, tuple[int, FactRow]] = {}
        tangled: list[FactRow] = []
        for r in rows:
            if r["type"] not in TYPES:
                continue
            if r["superseded_by"] is None and (day is None or r["type"] not in DATED or r["day"] is None or r["day"] <= day):
                out[r["seq"]] = (r["seq"], r)
            else:
                tangled.append(r)
        if tangled:
            # the current versions (heads) of the chains the tangled rows are in: walk forward
            heads = [r for r in tangled if r["superseded_by"] is None]
            ids = [r["record_id"] for r in tangled if r["superseded_by"] is not None]
            seen = set(ids)
            while ids:
                later, ids = self.facts.successors(ids), []
                for s in later:
                    if s["record_id"] in seen:
                        continue
                    seen.add(s["record_id"])
                    if s["superseded_by"] is None:
                        heads.append(s)
                    else:
                        ids.append(s["record_id"])
            for head in {h["seq"]: h for h in heads}.values():
                if head["type"] not in TYPES or head["seq"] in out:
                    continue
                v = self._version_on(head, day)
                if v is not None and v["record_id"] in selected:
                    out[head["seq"]] = (head["seq"], selected[v["record_id"]])
        return [out[s] for s in sorted(out)]

    def _version_on(self, head: FactRow, day: str | None) -> FactRow | None:
        """The version of the chain ending at ``head`` shown on ``day`` (Snapshot.upto's rule)."""
        if day is None or head["type"] not in DATED or head["day"] is None or head["day"] <= day:
            return head
        prev_id = head["supersedes"]
        while prev_id:
            found = self.facts.rows(record_ids=[prev_id])
            if not found or found[0]["type"] != head["type"]:
                return None
            prev = found[0]
            if prev["day"] is None or prev["day"] <= day:
                return prev
            prev_id = prev["supersedes"]
        return None

    def recs(self, rows: Sequence[FactRow], as_of: date | None) -> list[Rec]:
        """The records among ``rows`` a view as of ``as_of`` shows, loaded, in place order."""
        vis = self.visible(rows, as_of)

        def carried(v: FactRow) -> bool:  # a row that brings what loads it: its data, or a brief the world reads
            return v.get("data") is not None or (self.briefs and v.get("brief") is not None and bool(withheld(v["type"], v["subtype"])))
        need = [v["seq"] for _, v in vis
                if not carried(v) and self.sealed.get(v["record_id"]) is None and v["record_id"] not in self._briefed]
        got = {r["seq"]: r for r in self.facts.rows(seqs=need, with_data=self.data_mode)} if need else {}
        out = []
        for place, v in vis:
            obj = self.sealed.get(v["record_id"])
            if obj is None:
                obj = self._briefed.get(v["record_id"])
            if obj is None:
                src = v if carried(v) else got[v["seq"]]
                left_out = withheld(v["type"], v["subtype"])
                if self.briefs and src.get("brief") is not None and left_out:
                    obj = brief_object(record_class(v["type"], v["subtype"]), src["brief"], left_out, self._whole(v["record_id"], v["seq"]))
                    if obj is not None:
                        self._briefed[v["record_id"]] = obj
                        self.sealed.briefed += 1
                if obj is None:
                    if src.get("data") is None:  # (a brief this program does not read, or cannot: its data, then)
                        src = self.facts.rows(seqs=[v["seq"]], with_data=True)[0]
                    obj = self.sealed.load(src, keep=self.keep_cases or v["type"] in REGISTRY)
            if not self.sealed.fits(v["record_id"]):
                self.unfit.add(v["record_id"])  # sealed in a shape the rules cannot judge: left out, and said
                continue
            if as_of is not None:
                obj = as_known_on(obj, as_of)
            out.append(Rec(v["record_id"], v["type"], v["title"], obj, v["origin"], v["created_at"], place))
        return out

    @property
    def data_mode(self) -> bool | str:
        """How this world asks for the records it loads (``FactStore`` ``with_data``): their briefs
        where they have one (:attr:`briefs`), else their sealed data."""
        return "brief" if self.briefs else True

    def _whole(self, record_id: str, seq: int) -> Callable[[], Any]:
        """What loads the whole record (once) when a field its brief left out is read (it holds the
        record's id and seq only, not the row the brief came in)."""
        got: list[Any] = []

        def load() -> Any:
            if not got:
                self.withheld_loads += 1
                full = self.sealed.get(record_id)
                if full is None:
                    full = self.sealed.load(self.facts.rows(seqs=[seq], with_data=True)[0], keep=self.keep_cases)
                got.append(full)
            return got[0]
        return load

    def select(self, clauses: Sequence[Clause], types: Collection[str], as_of: date | None, *, subtype: str | None = None) -> list[Rec]:
        """The records of ``types`` the clauses select, as of ``as_of``, in place order: their fact
        rows first, then the sealed data of those shown that are not loaded yet (a selection after
        :meth:`PartialSnapshot.preload` — the orders citing an inspection, a type read on first
        use — finds mostly records loaded already)."""
        rows: dict[int, FactRow] = {}
        for c in clauses:
            want = [t for t in types if c.types is None or t in c.types]
            if not want or not c.keys:
                continue
            for r in self.clause_rows(c, want, subtype=subtype, with_data=False):
                rows.setdefault(r["seq"], r)
        return self.recs([rows[s] for s in sorted(rows)], as_of)

    def clause_rows(self, c: Clause, types: Collection[str], *, subtype: str | None = None, with_data: bool = True) -> list[FactRow]:
        """The fact rows of ``types`` the clause ``c`` selects (every version): with their data, or
        without when the clause keeps only some or ``with_data`` is false (:meth:`recs` reads the
        data of those shown that it lacks). The clauses of a selection overlap — a contractor's
        records and those filed under its projects are mostly the same 1,600 at 10^5 — so only the
        first clause that finds anything reads their data with them: the others read it for the
        records they add."""
        if c.only is None:
            return self.linked(c.role, c.keys, types=types, subtype=subtype, with_data=with_data)
        self.deps.add_filtered(c.only, c.keys, c.role, types)  # the new rows the filter accepts, not every new row
        return [r for r in self.facts.linked(c.role, c.keys, types=types, subtype=subtype) if c.only(r)]

    # --- registry lookups (the whole archive, by key) --------------------------------------------

    def _latest(self, type_: str, keys: Collection[str]) -> dict[str, FactRow]:
        """key → the latest current record of ``type_`` with that key (the keys' first-record order)."""
        todo = [k for k in keys if (type_, k) not in self._registry]
        self.deps.add(keys, role="self")
        if todo:
            found: dict[str, FactRow] = {}
            for r in self.facts.keyed(type_, todo, current_only=True):
                found[r["key"]] = r  # seq order: the latest wins
            for k in todo:
                self._registry[(type_, k)] = found.get(k)
        return {k: r for k in keys if (r := self._registry[(type_, k)]) is not None}

    def registry_recs(self, type_: str, keys: Collection[str], as_of: date | None) -> dict[str, Rec]:
        """key → the registered entity (organization, person, project) as known on ``as_of``."""
        latest = self._latest(type_, keys)
        todo = [row for row in latest.values() if (row["record_id"], None) not in self._known_recs]
        for rec in self.recs(todo, None) if todo else ():
            self._known_recs[(rec.id, None)] = rec
        out = {}
        for k, row in latest.items():
            got = self._known_recs.get((row["record_id"], None))
            if got is not None:
                out[k] = got if as_of is None else self._known(got, as_of)
        return out

    def registered_on(self, type_: str, role: str, first: date, last: date, as_of: date | None) -> list[Rec]:
        """The registered entities of ``type_`` whose current records have a ``role`` link (a day:
        ``expires``, ``due``) from ``first`` to ``last``: each the entity's latest record, as known
        on ``as_of`` (as a whole-archive snapshot holds it), in place order."""
        days = [(first + timedelta(days=d)).isoformat() for d in range((last - first).days + 1)]
        keys = dict.fromkeys(r["key"] for r in self.linked(role, days, types=[type_], current_only=True) if r["key"])
        return sorted(self.registry_recs(type_, list(keys), as_of).values(), key=lambda r: r.seq)

    def _known(self, rec: Rec, as_of: date) -> Rec:
        key = (rec.id, as_of)
        got = self._known_recs.get(key)
        if got is None:
            obj = as_known_on(rec.obj, as_of)
            got = rec if obj is rec.obj else Rec(rec.id, rec.type, rec.title, obj, rec.origin, rec.created_at, rec.seq)
            self._known_recs[key] = got
        return got

    def current_of_type(self, type_: str) -> list[FactRow]:
        """Every current record of a small registry type (organizations), one per key: the latest,
        in the place of the key's first record (as a Snapshot keeps registry entities)."""
        latest: dict[str, FactRow] = {}  # insertion order: each key's first record
        for r in self.of_type([type_], current_only=True):
            latest[r["key"]] = r
        return list(latest.values())

    def people_rows(self, role: str, key: str) -> list[FactRow]:
        """The latest current person records (one per person) of those linked (role, key)."""
        keys = list(dict.fromkeys(r["key"] for r in self.linked(role, [key], types=["person"], current_only=True) if r["key"]))
        latest = self._latest("person", keys)
        return [latest[k] for k in keys if k in latest]


def _info(row: FactRow) -> dict:
    return json.loads(row["info"]) if row.get("info") else {}


class PartialSnapshot(Snapshot):
    """A :class:`Snapshot` of the records the clauses select, as of a day: each type loaded on
    first use; every lookup by key answered for the whole archive. ``per_project``: records of a
    project are read per project when first asked for (:meth:`for_project`), instead of every
    record of their type in the clauses (a contractor's projects spread over many enterprises)."""

    def __init__(self, world: World, clauses: Sequence[Clause], as_of: date | None, *, per_project: bool = False) -> None:
        self.world = world
        self.clauses = list(clauses)
        self.as_of = as_of
        self.per_project = per_project
        self.earlier = {}
        self.owner = world.owner
        self.owner_role = world.owner_role
        self.settings = world.settings
        self.by_type: dict[str, list[Rec]] = {}
        self.orgs, self.persons, self.projects = {}, {}, {}  # the registry entities of loaded types
        self._first = {}
        self._index = None
        self._per_project: dict[tuple[str, str, str, str | None], list[Rec]] = {}
        self._looked_up: dict[tuple[str, str], Rec | None] = {}
        self._groups = {}
        self._listings: dict[tuple[str, str], list[Rec]] = {}

    # --- what the clauses select ------------------------------------------------------------------

    def _load(self, t: str) -> list[Rec]:
        if t not in self.by_type:
            if t in ("organization", "person"):
                rows = self.world.current_of_type(t) if t == "organization" else self.world.of_type([t], current_only=True)
                recs = self.world.recs(rows, None)
                if self.as_of is not None:
                    recs = [self.world._known(r, self.as_of) for r in recs]
                got = {t: recs}
                Snapshot._index_registry(self, got)
                self.by_type[t] = got[t]
            else:
                recs = self.world.select(self.clauses, [t], self.as_of)
                if t == "project":
                    got = {t: recs}
                    self._index_registry(got)
                    recs = got[t]
                self.by_type[t] = recs
                self._index = None
        return self.by_type[t]

    def of(self, *types: str) -> list[Rec]:
        return [r for t in types for r in self._load(t)]

    def load(self, *types: str) -> "PartialSnapshot":
        """Read the records of ``types`` that the clauses select together, in one selection per
        clause rather than one per type and clause (the rectification items of E's account at
        10^5: 62 selections and 82 reads of data for its 9 homes, one type at a time)."""
        todo = [t for t in dict.fromkeys(types) if t not in self.by_type and t not in ("organization", "person")]
        if len(todo) > 1:
            got: dict[str, list[Rec]] = {t: [] for t in todo}
            for rec in self.world.select(self.clauses, todo, self.as_of):
                got[rec.type].append(rec)
            if "project" in got:
                self._index_registry(got)
            self.by_type.update(got)
            self._index = None
        for t in types:
            self._load(t)
        return self

    LOOKUPS = {"person": "person", "project": "project", "enterprise": "organization", "contractor": "organization",
               "owner": "organization", "subject": "organization"}

    def preload(self, types: Collection[str] | None = None) -> "PartialSnapshot":
        """Read every record the clauses select (of ``types``, default every type) at once, and look
        up together the people, projects and organizations they name (instead of one by one as
        rules ask)."""
        rows: dict[int, FactRow] = {}
        kinds: set[str] = set()
        for c in self.clauses:
            if not c.keys:
                continue
            want = set(c.types) if c.types is not None else set(TYPES)
            if types is not None:
                want &= set(types)
            want -= set(self.by_type)
            if not want:
                continue
            kinds |= want
            for r in self.world.clause_rows(c, sorted(want), with_data=False if rows else self.world.data_mode):
                rows.setdefault(r["seq"], r)
        kinds -= {"organization", "person"}
        got: dict[str, list[Rec]] = {t: [] for t in kinds if t not in self.by_type}
        for rec in self.world.recs([rows[s] for s in sorted(rows)], self.as_of):
            if rec.type in got:
                got[rec.type].append(rec)
        if "project" in got:
            self._index_registry(got)
        self.by_type.update(got)
        self._index = None
        wanted: dict[str, set[str]] = {"person": set(), "project": set(), "organization": set()}
        for c in self.clauses:
            if c.keys and c.types is None:
                # what the records of the part name (a clause of a few types — the enterprise-wide
                # records of the enterprises a contractor works for, a contractor's equipment — names
                # hundreds of projects and organizations the rules never ask for: what they do ask
                # for, _lookup reads then)
                for role, key in self.world.facts.linked_keys(c.role, c.keys, roles=list(self.LOOKUPS)):
                    wanted[self.LOOKUPS[role]].add(key)
        for t, keys in wanted.items():
            for k, rec in self.world.registry_recs(t, sorted(keys), self.as_of).items():
                self._looked_up.setdefault((t, k), rec)
        return self

    @property
    def recs(self) -> list[Rec]:  # type: ignore[override]
        return sorted((r for t in TYPES if t not in ("organization", "person") for r in self._load(t)), key=lambda r: r.seq)

    def upto(self, as_of: date) -> "PartialSnapshot":
        if as_of == self.as_of:
            return self
        return PartialSnapshot(self.world, self.clauses, as_of, per_project=self.per_project)

    def for_project(self, t: str, p: Any, subtype: str | None = None) -> list[Rec]:
        if t in self.by_type or not self.per_project:
            self._load(t)
            return Snapshot.for_project(self, t, p, subtype)
        key = (t, p.enterprise, p.code, subtype)
        if key not in self._per_project:
            # the records of this type of every project of the snapshot, read at once
            projects = [(q.obj.enterprise, q.obj.code) for q in self._load("project")] + [(p.enterprise, p.code)]
            recs = self.world.select([Clause.of("project", [f"{e}/{c}" for e, c in projects])], [t], self.as_of, subtype=subtype)
            for e, c in projects:
                self._per_project[(t, e, c, subtype)] = []
            for r in recs:
                k = (t, getattr(r.obj, "enterprise", None), getattr(r.obj, "project", None), subtype)
                if k in self._per_project:
                    self._per_project[k].append(r)
        return list(self._per_project[key])

    # --- lookups: the whole archive, by key ---------------------------------------------------------

    def _lookup(self, type_: str, key: str) -> Rec | None:
        if (type_, key) not in self._looked_up:
            self._looked_up[(type_, key)] = self.world.registry_recs(type_, [key], self.as_of).get(key)
        return self._looked_up[(type_, key)]

    def look_up(self, type_: str, keys: Iterable[str | None]) -> "PartialSnapshot":
        """Look the entities ``keys`` of ``type_`` up at once (a view about to ask for many of them:
        one query per few hundred keys instead of one per key)."""
        todo = sorted({k for k in keys if k and (type_, k) not in self._looked_up})
        if todo:
            got = self.world.registry_recs(type_, todo, self.as_of)
            for k in todo:
                self._looked_up[(type_, k)] = got.get(k)
        return self

    def org_rec(self, uscc: str | None) -> Rec | None:
        return self._lookup("organization", uscc) if uscc else None

    def _org_rows(self, role: str, origin: str | None) -> list[FactRow]:
        return [r for r in self.world.current_of_type("organization")
                if _info(r).get("role") == role and (origin is None or r["origin"] == origin)]

    def orgs_with_role(self, role: str, origin: str | None = None) -> list[Rec]:
        got = self.world.registry_recs("organization", [r["key"] for r in self._org_rows(role, origin)], self.as_of)
        return [got[r["key"]] for r in self._org_rows(role, origin) if r["key"] in got]

    def org_keys_with_role(self, role: str, origin: str | None = None) -> list[str]:
        """The organizations of ``role`` (on ``origin``'s list: those whose latest record ``origin``
        sealed, in the order of their first such record). One enterprise's list is found by its
        ``origin`` links and the latest record of each key it names — not by reading every
        organization of the archive (26 → 0.5 ms in a bureau's archive of 1,134)."""
        if origin is None:
            return [r["key"] for r in self._org_rows(role, None)]
        rows = self.world.linked("origin", [origin], types=["organization"], current_only=True)
        keys = list(dict.fromkeys(r["key"] for r in rows if r["key"]))
        latest = self.world._latest("organization", keys)
        return [k for k in keys if k in latest and latest[k]["origin"] == origin and _info(latest[k]).get("role") == role]

    def person_by_number(self, id_number: str) -> Rec | None:
        return self._lookup("person", person_key(self.world.secret, id_number))

    def _people(self, rows: list[FactRow]) -> list[Rec]:
        got = self.world.registry_recs("person", [r["key"] for r in rows], self.as_of)
        return [got[r["key"]] for r in rows if r["key"] in got]

    def persons_named(self, name: str | None, employers: Sequence[str | None] = ()) -> list[Rec]:
        if not name:
            return []
        rows = [r for r in self.world.people_rows("name", name)
                if _info(r).get("name") == name and (not employers or _info(r).get("employer") in employers)]
        return self._people(rows)

    def persons_of(self, employer: str) -> list[Rec]:
        return self._people([r for r in self.world.people_rows("employer", employer) if _info(r).get("employer") == employer])

    def project_rec(self, enterprise: str | None, code: str | None) -> Rec | None:
        if (enterprise or "", code or "") in self.projects:
            return self.projects[(enterprise or "", code or "")]
        if not enterprise or not code:
            return None  # a project is registered under its enterprise and code (equipment of no enterprise names a code)
        return self._lookup("project", f"{enterprise}/{code}")

    def position(self, rec: Rec) -> int:
        if rec.type == "project" and ("project", (rec.obj.enterprise, rec.obj.code)) not in self._first:
            key = f"{rec.obj.enterprise}/{rec.obj.code}"
            self.world.deps.add([key], role="self")
            first = self.world.facts.keyed("project", [key], current_only=True)
            return first[0]["seq"] if first else rec.seq
        return Snapshot.position(self, rec)

    def blacklist_entries(self, subject: str) -> list[Rec]:
        if ("entries", subject) not in self._listings:
            self._read_listings([subject])
        return list(self._listings[("entries", subject)])

    def _read_listings(self, subjects: Sequence[str]) -> None:
        recs = self.world.select([Clause.of("subject", subjects)], ["blacklist_entry"], self.as_of)
        asked = set(subjects)
        for subject in subjects:
            self._listings[("entries", subject)] = []
        for r in recs:
            if r.obj.subject in asked:
                self._listings[("entries", r.obj.subject)].append(r)

    def about_to_ask(self, *, organizations: Iterable[str | None] = (), projects: Iterable[tuple[str | None, str | None]] = (),
                     listed: Iterable[str | None] = ()) -> "PartialSnapshot":
        self.look_up("organization", organizations)
        self.look_up("project", [f"{e}/{c}" for e, c in projects if e and c and (e, c) not in self.projects])
        todo = sorted({s for s in listed if s and ("entries", s) not in self._listings})
        if todo:
            self._read_listings(todo)
        return self

    def blacklist_removals(self, entry: Any) -> list[Rec]:
        key = f"{entry.listed_by}/{entry.entry_no}"
        if ("removals", key) not in self._listings:
            recs = self.world.select([Clause.of("listing", [key])], ["blacklist_removal"], self.as_of)
            self._listings[("removals", key)] = [r for r in recs if r.obj.entry_no == entry.entry_no and r.obj.listed_by == entry.listed_by]
        return list(self._listings[("removals", key)])

    def decisions_on(self, units: Sequence[str | None]) -> list[Rec]:
        keys = [u for u in units if u]
        return [r for r in self.world.select([Clause.of("home", keys, ["penalty_decision"])], ["penalty_decision"], self.as_of)
                if r.obj.unit in units]

    def cited_inspections(self) -> set[str]:
        own = {r.obj.inspection_ref for r in self.of("rectification_order") if r.obj.inspection_ref}
        numbers = [r.obj.doc_no for r in self.of("inspection_record")]
        if numbers:
            others = self.world.select([Clause.of("inspection", numbers)], ["rectification_order"], self.as_of)
            own |= {r.obj.inspection_ref for r in others if r.obj.inspection_ref}
        return own

