"""Checks that scale: each scope reads only the records it can touch, and the whole archive is
checked home by home (one enterprise's records at a time) with memory that does not grow with the
number of enterprises — giving exactly the report the straightforward evaluation
(:func:`archive.checks.table.run_checks` over a :class:`Snapshot` of everything) gives.

    check_view(archive, as_of)                           # the whole archive, streamed
    check_view(archive, as_of, enterprise=uscc)          # one enterprise: its records
    check_view(archive, as_of, contractor=uscc)          # one contractor: its records, and its
                                                         # enterprises' enforcement records

One enterprise or one contractor: a :class:`~archive.checks.world.PartialSnapshot` of the records
linked to it (see the partition functions below for what each scope can touch), and the rules run
on it as they would on the whole archive.

The whole archive: the rules go through projects, records, enterprises and contractors in an order
of their own (a project's place, a contractor's USCC …) and mark each unit as they go
(:meth:`Evaluation.at`). Each *home* (the enterprise a record belongs to; archive.facts.derive) is
evaluated alone against the whole scope's members, the rules that go through contractors (C1, and
3-3 for contractors) run per contractor on its projects, and the parts are merged unit by unit in
the rules' own order. What one rule needs of the whole scope at once (CS-1: whether any confined
space work is in scope, the spaces known by name, its totals) is read from the facts first.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from archive.checks.major_hazard import ConfinedScope, about_confined_space
from archive.checks.model import CheckReport, CheckRule, Evaluation, Scope, make_scope, report_dict
from archive.checks.parallel import compute_parts, workers_for
from archive.checks.table import RULES, RULES_BY_ID, rule_result, rule_status
from archive.checks.world import Clause, PartialSnapshot, World
from archive.facts import cache
from archive.facts.lint import fingerprint, last_run
from schemas import TYPES
from storage.rows import FactRow

# what the enforcement rules read of every enterprise in a contractor's scope (CS-1's items, E4's
# accidents, C3's equipment of the enterprises, the registers of confined spaces)
ENTERPRISE_WIDE = ("rectification_order", "rectification_review", "inspection_record", "hazard", "accident", "equipment",
                   "confined_space_register")
# of those, the findings only CS-1 reads of the enterprises (the contractor's own come by its links)
FINDINGS = ("rectification_order", "inspection_record", "hazard")
BY_CONTRACTOR = ("C1", "3-3")  # the rules that go through contractors
# the record types the rules go through (the rest they only look up, or never read)
CHECK_TYPES = frozenset(TYPES) - {"organization", "person", "campaign_report", "campaign_table", "penalty_notice", "penalty_decision",
                                  "blacklist_entry", "blacklist_removal"}


# =============================================================================================
# What a scope can touch
# =============================================================================================


def _order_numbers(world: World, homes: Iterable[str]) -> list[str]:
    return [r["key"] for r in world.linked("home", list(homes), types=["rectification_order"]) if r["key"]]


def home_clauses(world: World, homes: Sequence[str]) -> list[Clause]:
    """The records of ``homes`` (enterprises, or "" for records of none), and the reviews of their
    orders wherever they are filed."""
    return [Clause.of("home", homes), Clause.of("order", _order_numbers(world, homes), ["rectification_review"])]


def enterprise_snapshot(world: World, enterprise: str, as_of: date | None) -> PartialSnapshot:
    """What a view of one enterprise reads: its records (equipment used there included), the
    reviews of its orders; everything else by lookup."""
    return world.snapshot([*home_clauses(world, [enterprise]), Clause.of("enterprise", [enterprise], ["equipment"])], as_of)


def contractor_snapshot(world: World, contractor: str, as_of: date | None) -> PartialSnapshot:
    """What a view of one contractor reads: every record naming it, every record filed under its
    projects, and the enforcement records of the enterprises it works for."""
    projects = world.linked("contractor", [contractor], types=["project"])
    keys = [r["key"] for r in projects if r["key"]]
    enterprises = sorted({json.loads(r["info"] or "{}").get("enterprise") or "" for r in projects} - {""})
    return world.snapshot([
        Clause.of("contractor", [contractor]),
        Clause.of("project", keys),
        Clause.of("home", enterprises, [t for t in ENTERPRISE_WIDE if t not in FINDINGS and t != "equipment"]),
        Clause.of("home", enterprises, FINDINGS, only=confined_findings(world, keys, enterprises)),
        Clause.of("home", enterprises, ["equipment"], only=judged_equipment(contractor, keys, enterprises)),
        Clause.of("order", _order_numbers(world, enterprises), ["rectification_review"]),
    ], as_of)


def judged_equipment(contractor: str, projects: Sequence[str], enterprises: Sequence[str]) -> cache.RowFilter:
    """Which of the enterprises' equipment a contractor's check reads: what C3 can judge in its
    scope — at one of its projects (``ENTERPRISE/CODE``, any version), its own, or an enterprise's
    own equipment at no project — not what other contractors brought to other projects."""
    return cache.RowFilter("judged-equipment", contractor=contractor, places=sorted(set(projects)), ents=sorted(set(enterprises)))


def _judged_equipment(contractor: str, places: list[str], ents: list[str]) -> Callable[[FactRow], bool]:
    at, of = set(places), set(ents)

    def only(row: FactRow) -> bool:
        info = json.loads(row["info"] or "{}")
        if "owner" not in info:
            return True  # derived before equipment's facts said where it stands
        owner, enterprise, project = info.get("owner"), info.get("enterprise"), info.get("project")
        return (owner == contractor or f"{enterprise}/{project}" in at
                or (project is None and owner in of and enterprise in of))
    return only


def confined_findings(world: World, projects: Sequence[str], enterprises: Sequence[str]) -> cache.RowFilter:
    """Which of the enterprises' orders, inspections and hazards a contractor's check reads: those
    with a finding about a confined space (CS-1's items; the texts are in their facts) — by the
    spaces that any version of the tickets of the contractor's projects (``ENTERPRISE/CODE``) and
    of the enterprises' registers names, a superset of the names CS-1 itself uses on any day. A
    kept check depends on the new ones the filter accepts (:class:`archive.facts.cache.RowFilter`)."""
    tickets = world.linked("project", projects, types=["work_ticket"], subtype="confined_space")
    registers = world.linked("home", enterprises, types=["confined_space_register"])
    names = {json.loads(t["info"] or "{}").get("space") or "" for t in tickets}
    names |= {n for r in registers for n in json.loads(r["info"] or "{}").get("spaces") or () if isinstance(n, str)}
    return cache.RowFilter("confined-findings", names=sorted(n for n in names if len(n) >= 3))


def _confined_findings(names: list[str]) -> Callable[[FactRow], bool]:
    confined = about_confined_space(names)

    def only(row: FactRow) -> bool:
        texts = json.loads(row["info"] or "{}").get("texts")
        return not isinstance(texts, list) or any(isinstance(t, str) and confined(t) for t in texts)
    return only


cache.FILTERS.update({"judged-equipment": _judged_equipment, "confined-findings": _confined_findings})


def scope_snapshot(world: World, as_of: date, enterprise: str | None, contractor: str | None) -> tuple[PartialSnapshot, Scope]:
    """The partial snapshot and scope of a check of one enterprise (and contractor), or of one
    contractor."""
    if enterprise:
        snap = enterprise_snapshot(world, enterprise, as_of)
        scope = make_scope(snap, enterprise, contractor)
        snap.clauses.append(Clause.of("owner", scope.contractors, ["equipment"]))  # C3: contractors' own equipment anywhere
        world.deps.add(scope.contractors, role="owner")
    else:
        snap = contractor_snapshot(world, contractor or "", as_of)
        scope = make_scope(snap, None, contractor)
    return snap, scope


# =============================================================================================
# The whole archive, home by home
# =============================================================================================


def whole_scope(world: World, as_of: date) -> tuple[list[str], list[str], list[str], dict]:
    """(enterprises, contractors, homes, facts of the projects) of the whole archive's scope, from
    the facts: the enterprises and contractors of every project, the owner when it is an
    enterprise, every registered contractor; the homes holding records."""
    projects = world.current_of_type("project")
    infos = {r["key"]: json.loads(r["info"] or "{}") for r in projects}
    enterprises = {i.get("enterprise") for i in infos.values()} - {None}
    if world.owner_role == "enterprise":
        enterprises.add(world.owner)
    contractors = {i.get("contractor") for i in infos.values()} - {None}
    contractors |= {r["key"] for r in world.current_of_type("organization") if json.loads(r["info"] or "{}").get("role") == "contractor"}
    homes = world.homes()
    world.deps.everything = True
    return sorted(enterprises), sorted(contractors), homes, infos


def confined_scope(world: World, as_of: date, enterprises: set[str], projects: dict[str, dict]) -> ConfinedScope:
    """What CS-1 needs of the whole scope, from the facts: is any confined-space work in scope,
    which spaces are known by name, how many projects and tickets."""
    day = as_of.isoformat()
    started = [k for k, i in projects.items() if "confined_space" in (i.get("dangerous_work") or ()) and (i.get("start") or "") <= day]
    tickets = [v for _, v in world.visible(world.of_type(["work_ticket"], subtype="confined_space"), as_of)]
    infos = [i for i in (json.loads(t["info"] or "{}") for t in tickets)  # the tickets under which work has begun by then
             if (w := i.get("work_from", "")) is not None and w <= day]
    in_scope = [i for i in infos if f"{i.get('enterprise')}/{i.get('project')}" in projects]
    registers = [json.loads(v["info"] or "{}") for _, v in world.visible(world.of_type(["confined_space_register"]), as_of)]
    names = {i.get("space") or "" for i in in_scope} | {n for r in registers if r.get("enterprise") in enterprises for n in r.get("spaces") or ()}
    return ConfinedScope(applicable=bool(started or in_scope), names=frozenset(n for n in names if len(n) >= 3),
                         projects=len(started), tickets=len(in_scope))


class Parts:
    """The parts of every rule's evaluation, merged in the rules' own order at the end. A part is
    (unit key, findings, examined lines) of one unit of one rule; kept as plain data."""

    def __init__(self, rules: Sequence[CheckRule]) -> None:
        self.rules = list(rules)
        self.applicable = {r.id: False for r in rules}
        self.parts: dict[str, list[tuple[tuple, list[dict], list[str]]]] = {r.id: [] for r in rules}

    @staticmethod
    def of(rule: CheckRule, ev: Evaluation) -> dict:
        """One rule's evaluation of one part, as plain data."""
        marks = ev.marks or [((), 0, 0)]
        if marks[0][1] or marks[0][2]:
            marks = [((), 0, 0), *marks]
        bounds = [*marks[1:], (None, len(ev.findings), len(ev.examined))]
        units = []
        for (key, f0, e0), (_, f1, e1) in zip(marks, bounds):
            if f1 > f0 or e1 > e0:
                units.append([list(key), [f.as_dict() for f in ev.findings[f0:f1]], ev.examined[e0:e1]])
        return {"applicable": ev.applicable, "units": units}

    def add(self, part: dict) -> None:
        """A part as :func:`evaluate_part` makes it."""
        for rid, got in part["rules"].items():
            self.applicable[rid] |= got["applicable"]
            self.parts[rid] += [(tuple(k), f, e) for k, f, e in got["units"]]

    def report(self, as_of: date) -> dict:
        """The merged report as :meth:`CheckReport.as_dict` writes it (no records linted yet),
        made of the parts' plain findings as they are: the kept result is this data, and the
        report the caller gets is read from it once."""
        rules = []
        for rule in self.rules:
            findings: list[dict] = []
            examined: list[str] = []
            for _, fs, es in sorted(self.parts[rule.id], key=lambda p: p[0]):
                findings += fs
                examined += es
            for f in findings:
                f["rule"] = rule.id
            status = rule_status(self.applicable[rule.id], [f["severity"] for f in findings])
            rules.append({**rule.as_dict(), "status": status, "findings": findings, "examined": examined})
        return report_dict(as_of, None, None, rules)


def evaluate_part(snap: PartialSnapshot, as_of: date, scope: Scope, rules: Sequence[CheckRule]) -> dict:
    """The rules over one part (a home's records, or a contractor's projects), as plain data."""
    return {"rules": {rule.id: Parts.of(rule, rule.evaluate(snap, as_of, scope)) for rule in rules}}


class Members:
    """Who is in the whole scope, noting every key asked about in a part's dependencies as
    ``member|key`` (whether a unit is in scope is something the part depends on; only a new project
    or organization changes it)."""

    def __init__(self, items: frozenset[str], deps: cache.Deps) -> None:
        self.items = items
        self.deps = deps

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.deps.keys.add(f"member|{key}")
        return key in self.items


def _home_part(world: World, as_of: date, n: int, home: str, pks: Sequence[str], rules: Sequence[CheckRule],
               ctx: ConfinedScope | None, enterprises: frozenset[str], contractors: frozenset[str]) -> dict[str, dict]:
    """The parts ``pks`` of one home (its rules but CS-1's, and CS-1's; the first home's CS-1 part
    says the totals), each with what it read."""
    deps = world.deps = cache.Deps()
    m = Members(enterprises, deps), Members(contractors, deps)
    out = {}
    with cache.collector_paused():
        snap = world.snapshot(home_clauses(world, [home]), as_of).preload(CHECK_TYPES)
        for pk in pks:
            confined = pk.startswith("cs1|")
            context = {"CS-1": dataclasses.replace(ctx, totals=n == 1)} if confined and ctx is not None else {}
            scope = Scope(snap.of("project"), [home] if home in m[0] else [], [], context, m)
            out[pk] = {"deps": None, "value": evaluate_part(snap, as_of, scope, [r for r in rules if (r.id == "CS-1") == confined])}
    read = deps.as_dict()
    for part in out.values():
        part["deps"] = read
    world.forget()
    return out


def _contractor_part(world: World, as_of: date, contractor: str, rules: Sequence[CheckRule], enterprises: frozenset[str],
                     contractors: frozenset[str]) -> dict:
    """The part of the rules that go through contractors (C1, 3-3) for one contractor's projects."""
    deps = world.deps = cache.Deps()
    with cache.collector_paused():
        snap = world.snapshot([Clause.of("contractor", [contractor], ["project"])], as_of, per_project=True)
        scope = Scope([p for p in snap.of("project") if p.obj.contractor == contractor], [], [contractor], {},
                      (Members(enterprises, deps), Members(contractors, deps)))
        value = evaluate_part(snap, as_of, scope, rules)
    return {"value": value, "deps": deps.as_dict()}


def stream_checks(world: World, as_of: date, rules: Sequence[CheckRule], previous: dict | None = None,
                  changed: tuple[set[str], set[str]] | None = None, progress: Any = None,
                  workers: int = 1) -> tuple[dict, dict]:
    """The whole archive's check, home by home then contractor by contractor: (the report as plain
    data — :meth:`CheckReport.as_dict` — and the parts).
    ``previous``: the parts of an earlier run and ``changed``, what the records stored since it
    touched — a part none of them touches is taken as it was.
    ``workers`` > 1: the parts to compute are shared among that many processes
    (:mod:`archive.checks.parallel`), each with its own connection to the catalog; the report is
    the same, put together in the same order."""
    enterprises, contractors, homes, projects = whole_scope(world, as_of)
    members = frozenset(enterprises), frozenset(contractors)
    confined = [r for r in rules if r.id == "CS-1"]  # a part of its own per home (C1 and 3-3 go in the other: no contractors there)
    by_contractor = [r for r in rules if r.id in BY_CONTRACTOR]
    ctx = confined_scope(world, as_of, set(enterprises), projects) if confined else None
    ctx_key = json.dumps([ctx.applicable, sorted(ctx.names), ctx.projects, ctx.tickets], ensure_ascii=False) if ctx else ""

    def reuse(pk: str) -> dict | None:
        old = (previous or {}).get(pk)
        if old is None or changed is None or cache.Deps.from_dict(old["deps"]).touched_by(changed):
            return None
        return old

    # what each home and contractor holds: the parts kept from an earlier run, and those to compute
    order: list[list[str]] = []
    got: dict[str, dict | None] = {}
    home_tasks: list[tuple[int, str, list[str]]] = []
    for n, home in enumerate(homes, 1):
        wanted = [f"home|{home}"] + ([f"cs1|{home}|{ctx_key}|{n == 1}"] if confined else [])
        order.append(wanted)
        got.update((pk, reuse(pk)) for pk in wanted)
        missing = [pk for pk in wanted if got[pk] is None]
        if missing:
            home_tasks.append((n, home, missing))
    contractor_tasks: list[str] = []
    for c in contractors if by_contractor else ():
        pk = f"contractor|{c}"
        order.append([pk])
        got[pk] = reuse(pk)
        if got[pk] is None:
            contractor_tasks.append(c)
    total = len(order)  # the homes, and the contractors when their rules are asked for
    done = [total - len(home_tasks) - len(contractor_tasks)]

    def tick(k: int = 1) -> None:
        done[0] += k
        if progress:
            progress("check", done[0], total)

    if progress and done[0]:
        progress("check", done[0], total)

    def here(homes_: list[tuple[int, str, list[str]]], contractors_: list[str]) -> dict[str, dict]:
        """The parts computed in this process."""
        out: dict[str, dict] = {}
        keep, world.keep_cases = world.keep_cases, False  # each home's records are read once: the sealed cache keeps the registry
        try:
            for n, home, pks in homes_:
                out.update(_home_part(world, as_of, n, home, pks, rules, ctx, *members))
                tick()
            for i, c in enumerate(contractors_, 1):
                out[f"contractor|{c}"] = _contractor_part(world, as_of, c, by_contractor, *members)
                if i % 100 == 0:
                    world.forget()
                tick()
        finally:
            world.keep_cases = keep
        return out

    if workers > 1 and len(home_tasks) + len(contractor_tasks) > 1:
        got.update(compute_parts(world, as_of, rules, ctx, members, home_tasks, contractor_tasks, workers, tick, here,
                                 home_part=_home_part, contractor_part=_contractor_part, by_contractor=BY_CONTRACTOR))
    else:
        got.update(here(home_tasks, contractor_tasks))
    parts = Parts(rules)
    kept: dict[str, dict] = {}
    for pks in order:
        for pk in pks:
            part = got[pk]
            parts.add(part["value"])
            kept[pk] = part
    return parts.report(as_of), kept


def by_home(archive: Any, world: World, k: str, changes: cache.Changes, compute: Any, progress: Any = None) -> list[tuple[str, Any]]:
    """(home, ``compute(home)``) for every home, in home order; each value is kept beside the
    result ``k`` with what it read, and taken again while no record since touches it. The
    result depends on every record (a new home is a new part), or, in an enterprise account's
    world, on those of its scope (:meth:`archive.facts.cache.Deps.on_scope`)."""
    homes = world.homes()
    world.deps.on_scope(world.within)
    kept = cache.load(archive, k + "-parts")
    previous = kept.value if kept is not None and kept.seq <= changes.top else {}
    changed = changes.since(kept.seq) if kept is not None and previous else None
    out, parts = [], {}
    keep, world.keep_cases = world.keep_cases, False  # each home's records are read once
    for n, home in enumerate(homes, 1):
        old = previous.get(home)
        if old is not None and changed is not None and not cache.Deps.from_dict(old["deps"]).touched_by(changed):
            part = old
        else:
            top = world.deps
            deps = world.deps = cache.Deps()
            part = {"value": compute(home), "deps": None}
            part["deps"] = deps.as_dict()
            world.deps = top
            world.forget()
        parts[home] = part
        out.append((home, part["value"]))
        if progress:
            progress("view", n, len(homes))
    world.keep_cases = keep
    cache.save(archive, k + "-parts", cache.Kept(changes.top, cache.Deps(everything=True), parts), memory=False)
    return out


def _read(snap: PartialSnapshot) -> set[str]:
    """The ids of the records a partial snapshot read."""
    ids = {r.id for recs in snap.by_type.values() for r in recs}
    ids |= {r.id for r in snap._looked_up.values() if r is not None}
    ids |= {r.id for recs in snap._per_project.values() for r in recs}
    return ids


# =============================================================================================
# The view
# =============================================================================================


UNFIT = {"path": "", "message": "封存数据的格式与现行记录类型不符 (sealed in a shape today's record type does not have)"}


def lint_of(world: World, ids: Iterable[str]) -> tuple[list[dict], list[str]]:
    """(records among ``ids`` that today's rules refuse, ids of those today's rules have not judged).
    Each refused record says whether the rules judged it (``judged``): one whose sealed data does
    not fit today's class was left out (:attr:`World.unfit`) — and is named even before the lint
    has run over it; and whether a later record corrects it (``corrected``: nothing to mend)."""
    ids = sorted(set(ids) | world.unfit)
    rows, unjudged = world.facts.lint_verdicts(ids, fingerprint(world.settings))
    refused = {r["record_id"]: json.loads(r["problems"]) for r in rows}
    refused.update({rid: [UNFIT] for rid in sorted(world.unfit) if rid not in refused})
    titles = {r["record_id"]: r for r in world.facts.rows(record_ids=list(refused))}
    out = [{"id": rid, "title": titles[rid]["title"] if rid in titles else rid, "type": titles[rid]["type"] if rid in titles else "",
            "problems": problems, "judged": rid not in world.unfit,
            "corrected": bool(titles[rid].get("superseded_by")) if rid in titles else False}
           for rid, problems in sorted(refused.items(), key=lambda kv: titles[kv[0]]["seq"] if kv[0] in titles else 0)]
    return out, sorted(set(unjudged) - world.unfit)


def lint_all(world: World) -> tuple[list[dict], int]:
    """(every record today's rules refuse — each saying whether the rules judged it, as
    :func:`lint_of` — how many records they have not judged)."""
    refused = world.facts.lint(problems_only=True)
    current = fingerprint(world.settings)
    rows = {r["record_id"]: r for r in world.facts.rows(record_ids=[r["record_id"] for r in refused], with_data=True)}
    out = []
    for r in refused:
        row = rows.get(r["record_id"])
        if r["fingerprint"] != current or row is None:
            continue
        world.sealed.load(row, keep=False)  # the few refused: does it fit, or did the parts leave it out?
        out.append({"id": r["record_id"], "title": row["title"], "type": row["type"], "problems": json.loads(r["problems"]),
                    "judged": world.sealed.fits(r["record_id"]), "corrected": bool(row.get("superseded_by"))})
    return out, world.facts.lint_stale(current)


def check_view(archive: Any, as_of: date, *, enterprise: str | None = None, contractor: str | None = None,
               rules: Sequence[CheckRule] | None = None, progress: Any = None, within: str | None = None) -> CheckReport:
    """``outsafe check`` of the whole archive, one enterprise (and contractor) or one contractor,
    as on ``as_of``: the straightforward evaluation's report, read from the facts, kept until a
    record it depends on arrives (:mod:`archive.facts.cache`). ``within``: of the records that
    belong to that enterprise only (an enterprise account's scope)."""
    rules = list(rules or RULES)
    world = World(archive, within=within)
    world.briefs = True  # the rules never read what a brief leaves out (archive.facts.derive)
    changes = cache.Changes(archive)
    k = _check_key(archive, as_of, enterprise, contractor, rules, within)
    if enterprise or contractor:
        def compute(deps: cache.Deps) -> dict:
            world.deps = deps
            snap, scope = scope_snapshot(world, as_of, enterprise, contractor)
            snap.preload(CHECK_TYPES)
            report = CheckReport(as_of, enterprise, contractor, [rule_result(r, r.evaluate(snap, as_of, scope)) for r in rules])
            report.lint, unlinted = lint_of(world, _read(snap))
            report.unlinted = len(unlinted)
            return report.as_dict()

        with cache.collector_paused():  # the report read back builds thousands of findings too
            return CheckReport.from_dict(cache.get_or_compute(archive, k, compute, changes), RULES_BY_ID)
    # the whole archive: the report is kept whole, its parts beside it (for the next run after new records)
    kept = cache.load(archive, k)
    if changes.still_true(kept) and kept.seq == changes.top:
        return CheckReport.from_dict(kept.value, RULES_BY_ID)
    parts_kept = cache.load(archive, k + "-parts")
    previous = parts_kept.value if parts_kept is not None and parts_kept.seq <= changes.top else None
    changed = changes.since(parts_kept.seq) if previous is not None else None
    data, parts = stream_checks(world, as_of, rules, previous, changed, progress, workers=workers_for(archive.settings, changes.top))
    cache.note_computed()
    data["records_refused_by_current_rules"], data["records_not_linted"] = lint_all(world)
    everything = cache.Deps(everything=True)
    cache.save(archive, k + "-parts", cache.Kept(changes.top, everything, parts), memory=False)
    cache.save(archive, k, cache.Kept(changes.top, everything, data))
    return CheckReport.from_dict(data, RULES_BY_ID)


def _check_key(archive: Any, as_of: date, enterprise: str | None, contractor: str | None, rules: Sequence[CheckRule],
               within: str | None) -> str:
    lint_run = last_run(archive.catalog)
    names = ",".join(r.id for r in rules)
    return cache.key(archive, "check", as_of, enterprise or "", contractor or "", names, lint_run, within or "")


def check_overview(archive: Any, as_of: date, *, enterprise: str | None = None, within: str | None = None,
                   first: int = 3, unjudged: int = 50) -> dict:
    """What the checks overview shows (the web's 五查 page): the report's scope and summary, each
    rule's verdict with how many findings it has and its ``first`` ones, the records left out of
    the judgement and those today's rules refuse (the first ``unjudged`` of each and how many) and
    how many records the rules have not judged yet — kept beside the report it is cut from,
    true while that report is (the same dependencies), so showing it reads a few kilobytes instead
    of the whole report again (27 MB for the bureau's at 10^5 records; the findings of 75,046
    records for the largest enterprise's at 10^6). The report itself is computed or read by
    :func:`check_view` when the overview is not kept. The whole archive's overview keeps each
    rule's findings beside it too (:func:`check_rule`): its report is the one too large to read
    again for one rule's page."""
    report_key = _check_key(archive, as_of, enterprise, None, RULES, within)
    k = f"{report_key}-overview-{first}-{unjudged}"
    changes = cache.Changes(archive)
    kept = _kept_cut(archive, k, changes, enterprise)
    if kept is not None:
        return kept
    report = check_view(archive, as_of, enterprise=enterprise, within=within)
    left_out = [x for x in report.lint if x.get("judged") is False]
    refused = [x for x in report.lint if x.get("judged") is not False]
    value = {**_head(report, as_of, enterprise),
             "rules": [{"id": r.rule.id, "status": r.status, "total": len(r.findings), "findings": [f.as_dict() for f in r.findings[:first]]}
                       for r in report.results],
             "unjudged": left_out[:unjudged], "unjudged_total": len(left_out), "records_not_linted": report.unlinted,
             "refused": refused[:unjudged], "refused_total": len(refused)}
    full = cache.load(archive, report_key)  # what the report was kept with (check_view has just read or kept it)
    if full is not None:
        cache.save(archive, k, cache.Kept(full.seq, full.deps, value))
        if enterprise is None:
            _keep_rules(archive, report_key, _cuts(report, as_of, enterprise), full)
    return value


def check_rule(archive: Any, as_of: date, rule_id: str, *, enterprise: str | None = None, within: str | None = None) -> dict:
    """One rule's result in full as its own page of the checks lists it: the report's scope and
    summary, and the rule's verdict with its findings as a :class:`KeptFindings` — kept beside the
    report, rule by rule in pieces of :data:`PIECE_ROWS`, true while the report is, so that a page
    of one rule reads that page's piece, not the whole report (27 MB for the bureau's at 10^5
    records; its C5 alone 5.9 MB). The first page of a rule asked for computes or reads the report
    once and keeps every rule's cut."""
    rule_id = RULES_BY_ID[rule_id.upper()].id
    report_key = _check_key(archive, as_of, enterprise, None, RULES, within)
    changes = cache.Changes(archive)
    head = _kept_cut(archive, f"{report_key}-rule-{rule_id}", changes, enterprise)
    if head is None:
        cuts = _cuts(check_view(archive, as_of, enterprise=enterprise, within=within), as_of, enterprise)
        full = cache.load(archive, report_key)
        if full is not None:
            _keep_rules(archive, report_key, cuts, full)
        return cuts[rule_id]

    def again() -> list[dict]:  # a piece gone or of another version of the report: the report read again
        (r,) = [r for r in check_view(archive, as_of, enterprise=enterprise, within=within).results if r.rule.id == rule_id]
        return [f.as_dict() for f in r.findings]

    r = head["rule"]
    rule = {**r, "findings": KeptFindings(archive, f"{report_key}-rule-{rule_id}", r["total"], r["version"], r["rows"], again)}
    return {**head, "rule": rule}


PIECE_ROWS = 500  # the findings of one rule in each file kept beside its report (a page of the web's lists: 50)


class KeptFindings(Sequence):
    """One rule's findings kept beside its report in pieces of :data:`PIECE_ROWS` (files
    ``<key>-<n>`` of ``rows`` findings, each with the version of the cut it belongs to): a slice reads the pieces it
    spans. A piece missing or of another version (the report kept again since the cut was read)
    makes the whole list come from ``again()`` — the report itself — once."""

    def __init__(self, archive: Any, key: str, total: int, version: str, rows: int, again: Callable[[], list[dict]]) -> None:
        self.archive, self.key, self.total, self.version, self.rows, self.again = archive, key, total, version, rows, again
        self.whole: list[dict] | None = None

    def __len__(self) -> int:
        return self.total if self.whole is None else len(self.whole)

    def __iter__(self) -> Iterator[dict]:
        return iter(self[0:len(self)])

    def __getitem__(self, i: Any) -> Any:
        if not isinstance(i, slice):
            got = self[i:i + 1] if i >= 0 else self[len(self) + i:len(self) + i + 1]
            if not got:
                raise IndexError(i)
            return got[0]
        start, stop, step = i.indices(len(self))
        if step != 1:
            return [self[j] for j in range(start, stop, step)]
        if self.whole is not None or stop <= start:
            return (self.whole or [])[start:stop]
        out: list[dict] = []
        for n in range(start // self.rows, (stop - 1) // self.rows + 1):
            kept = cache.load(self.archive, f"{self.key}-{n}")
            if kept is None or not isinstance(kept.value, dict) or kept.value.get("version") != self.version:
                self.whole = self.again()
                return self.whole[start:stop]
            base = n * self.rows
            out += kept.value["findings"][max(start - base, 0):stop - base]
        return out


def _kept_cut(archive: Any, k: str, changes: cache.Changes, enterprise: str | None) -> dict | None:
    """A cut of a report kept under ``k``, if it is still true (the whole archive's: of the
    catalog's last record, as its report)."""
    kept = cache.load(archive, k)
    if kept is not None and changes.still_true(kept) and (enterprise is not None or kept.seq == changes.top):
        return kept.value
    return None


def _head(report: CheckReport, as_of: date, enterprise: str | None) -> dict:
    return {"as_of": as_of.isoformat(), "scope": {"enterprise": enterprise, "contractor": None}, "summary": report.summary()}


def _cuts(report: CheckReport, as_of: date, enterprise: str | None) -> dict[str, dict]:
    """rule id → that rule's cut of the report: the report's scope and summary (counted once), the
    rule's verdict, how many findings and every finding."""
    head = _head(report, as_of, enterprise)
    return {r.rule.id: {**head, "rule": {"id": r.rule.id, "status": r.status, "total": len(r.findings),
                                         "findings": [f.as_dict() for f in r.findings]}} for r in report.results}


def _keep_rules(archive: Any, report_key: str, cuts: dict[str, dict], full: cache.Kept) -> None:
    """Keep each rule's cut beside the report, with its dependencies: its head (verdict, how many,
    the version of this cut) and its findings in pieces of :data:`PIECE_ROWS`; only in the files
    (the process holds the report already)."""
    version = uuid.uuid4().hex
    for rule_id, cut in cuts.items():
        k = f"{report_key}-rule-{rule_id}"
        findings = cut["rule"]["findings"]
        for n in range(0, -(-len(findings) // PIECE_ROWS)):
            piece = {"version": version, "findings": findings[n * PIECE_ROWS:(n + 1) * PIECE_ROWS]}
            cache.save(archive, f"{k}-{n}", cache.Kept(full.seq, full.deps, piece), memory=False)
        head = {**cut, "rule": {**{x: v for x, v in cut["rule"].items() if x != "findings"}, "version": version, "rows": PIECE_ROWS}}
        cache.save(archive, k, cache.Kept(full.seq, full.deps, head), memory=False)  # last: a head read finds its pieces


__all__ = ["check_view", "check_overview", "check_rule", "stream_checks", "scope_snapshot", "enterprise_snapshot", "contractor_snapshot", "home_clauses",
           "by_home"]
