"""The dashboard (the web's first page, ``/`` and ``/api/dashboard``): the campaign's stages and
deadlines, overdue rectification items, certificates and licences expiring in the next 30/60/90
days, blacklisted contractors, and what was handed in and when — for everything, or for one
enterprise's scope.

    board = dashboard(archive, as_of=day, within=None)        # a Dashboard (as_dict / as_text)
    cache = ViewCache();  cache.get(archive, ("dashboard", within, day), lambda: dashboard(…))

It reads through the facts (archive.facts, :class:`archive.checks.world.World`): the campaign's
status and rectification items as ``outsafe campaign status`` does (kept until a record they
depend on arrives, home by home), the organizations and people whose licences or certificates
expire in the next 90 days by their ``expires`` links (only those are loaded), and the blacklist
entries and removals — never the tickets and training cards that make up most of an archive.
``dashboard_of_snapshot`` is the same page over one snapshot in memory (the straightforward
evaluation the tests compare with). The archive only grows by appending: a server's
:class:`ViewCache` keeps a page while the ledger's size (its next index) is unchanged, and the dashboard itself is
kept (archive.facts.cache) until a record of its scope or a package arrives.

The reminders of ``outsafe remind`` (campaign.remind: certificates, licences, agreements, 整改
deadlines and the campaign's dates coming due within ``settings.remind_days``) are listed too.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from archive.campaign.blacklist import blacklist_rows
from archive.campaign.calendar import campaign_status, handed_in
from archive.campaign.dossier import expiry_status
from archive.campaign.remind import reminders
from archive.checks.snapshot import Snapshot
from archive.checks.world import Clause, PartialSnapshot, World
from archive.facts import cache
from archive.facts.lint import last_run
from archive.search.documents import mask
from archive.text import Note

HORIZONS = (30, 60, 90)
DASHBOARD_TYPES = ("organization", "person", "campaign_report", "campaign_table", "rectification_order", "rectification_review",
                   "hazard", "contractor_inspection", "blacklist_entry", "blacklist_removal", "safety_agreement")


def expiring(snap: Snapshot, as_of: date, horizon: int = HORIZONS[-1]) -> list[dict]:
    """Licences and qualifications of organizations, and certificates of people, that expire after
    ``as_of`` and within ``horizon`` days, soonest first; each with the 30/60/90-day band it falls in."""
    out: list[dict] = []

    def add(kind: str, holder: str, holder_id: str | None, employer: str | None, what: str, number: str, expires: Any) -> None:
        day = expires.isoformat() if isinstance(expires, date) else expires
        status, left = expiry_status(day, as_of)
        if left is None or left < 0 or left > horizon:
            return
        band = next(h for h in HORIZONS if left <= h) if left <= HORIZONS[-1] else horizon
        out.append({"kind": kind, "holder": holder, "holder_uscc": holder_id, "employer": employer,
                    "employer_name": snap.org_name(employer) if employer else None, "what": what, "number": mask(number or ""),
                    "expires": day, "days_left": left, "band": band})

    for r in snap.of("organization"):
        o = r.obj
        for q in o.qualifications or ():
            if q.valid_to:
                add("licence", o.name, o.uscc, None, q.kind, q.number, q.valid_to)
    for r in snap.of("person"):
        p = r.obj
        for c in p.certificates or ():
            add("certificate", p.name, None, p.employer, f"{c.kind} {c.category}".strip(), c.number, c.expires)
    return sorted(out, key=lambda x: (x["expires"], x["holder"]))


@dataclass
class Dashboard:
    as_of: str
    within: str | None
    campaign: dict
    overdue_items: list[dict]
    expiring: list[dict]
    blacklisted: list[dict]
    handed_in: list[dict]
    reminders: list[dict] = field(default_factory=list)
    remind_days: int = 30

    def as_dict(self) -> dict:
        bands = {str(h): sum(1 for x in self.expiring if x["band"] == h) for h in HORIZONS}
        return {"as_of": self.as_of, "within": self.within, "campaign": self.campaign, "overdue_items": self.overdue_items,
                "expiring": self.expiring, "expiring_counts": bands, "blacklisted": self.blacklisted, "handed_in": self.handed_in,
                "reminders": self.reminders, "remind_days": self.remind_days}

    def as_text(self) -> list[str]:
        c = self.campaign
        out = [f"{c['year']}年专项整治 —— {self.as_of}：{c['stage']['name'] if c['stage'] else '不在整治阶段内'}"]
        out += [f"  {u['deliverable']}：{u['due']}（剩 {u['days_left']} 天）" for u in c["upcoming"]]
        out.append(f"逾期未整改 (overdue items): {len(self.overdue_items)}")
        out += [f"  {i['ref']}  期限 {i['deadline']}  {i['text'][:40]}" for i in self.overdue_items]
        counts = self.as_dict()["expiring_counts"]
        out.append("即将到期 (expiring): " + "，".join(f"{h} 天内 {counts[str(h)]}" for h in HORIZONS))
        out += [f"  {x['expires']}  {x['holder']}  {x['what']} {x['number']}" for x in self.expiring]
        out.append(f"黑名单 (blacklisted): {len(self.blacklisted)}")
        out += [f"  {b['subject_name']}  {b['list_name']} {b['entry_no']}（{b['start']}～{b['end']}）" for b in self.blacklisted]
        out.append(f"报送 (handed in): {len(self.handed_in)}")
        out += [f"  {h['day']}  {h['direction_name']}  {h['origin']}  {h['records']} 条" for h in self.handed_in]
        out.append(f"到期提醒 (reminders, {self.remind_days} 天内): {len(self.reminders)}")
        out += [f"  {r['due']}  {r['when']}  [{r['kind_name']}] {r['title']}" for r in self.reminders]
        if c["overdue"]:
            out.append(Note("逾期未报 (overdue): " + "；".join(f"{o['name']} {o['deliverable']}（{o['due']}）" for o in c["overdue"])))
        return out


def expiring_snapshot(world: World, as_of: date, horizon: int = HORIZONS[-1]) -> PartialSnapshot:
    """A snapshot holding only the organizations and people with a licence or certificate that
    expires within ``horizon`` days of ``as_of`` (found by their ``expires`` links; each the
    entity's latest record, as a whole-archive snapshot keeps it), for :func:`expiring`."""
    snap = world.snapshot([], None)
    for t in ("organization", "person"):
        snap.by_type[t] = world.registered_on(t, "expires", as_of, as_of + timedelta(days=horizon), None)
    return snap


def dashboard(archive: Any, *, as_of: date | None = None, within: str | None = None) -> Dashboard:
    """The dashboard as on ``as_of`` (default: the archive's today), for everything or for the
    records that belong to the enterprise ``within``: read through the facts, kept in the home's
    cache/views (so that a new process — another server process, ``outsafe views prepare`` before
    it — finds it) until a record it depends on or a package arrives: for the whole archive, any
    record; for an enterprise's account, a record that belongs to the enterprise or an
    organization (:meth:`archive.facts.cache.Deps.on_scope`) — a ticket of another enterprise
    leaves it true."""
    as_of = as_of or archive.clock.today()
    k = cache.key(archive, "dashboard", as_of, within or "")

    def compute(deps: cache.Deps) -> dict:
        deps.on_scope(within)
        board = _dashboard(archive, as_of, within)  # its fields are plain lists and dicts: no deep copy (asdict: 1.5 s of the bureau's at 10^5)
        return {f.name: getattr(board, f.name) for f in dataclasses.fields(board)}

    return Dashboard(**cache.get_or_compute(archive, k, compute, packages=True))


def _dashboard(archive: Any, as_of: date, within: str | None) -> Dashboard:
    world = World(archive, within=within)
    status = campaign_status(archive, as_of, within=within)  # holds the rectification figures and overdue items too
    lists = world.snapshot([Clause.of("home", world.homes(), ["blacklist_entry", "blacklist_removal"])], None)
    return Dashboard(
        as_of=as_of.isoformat(),
        within=within,
        campaign=status,
        overdue_items=status["rectification"]["overdue_items"],
        expiring=expiring(expiring_snapshot(world, as_of), as_of),
        blacklisted=[b for b in blacklist_rows(lists, as_of) if b["state"] == "active"],
        handed_in=handed_in(archive, within=within),
        reminders=[r.as_dict() for r in reminders(archive, as_of=as_of, within=within, campaign=status)],
        remind_days=archive.settings.remind_days,
    )


def dashboard_of_snapshot(archive: Any, *, as_of: date | None = None, within: str | None = None) -> Dashboard:
    """The same dashboard evaluated the straightforward way: one snapshot of the record types it
    shows, in memory (what the tests compare :func:`dashboard` with)."""
    as_of = as_of or archive.clock.today()
    snap = Snapshot.from_archive(archive, types=DASHBOARD_TYPES, within=within)
    status = campaign_status(archive, as_of, snap=snap)  # holds the rectification figures and overdue items too
    return Dashboard(
        as_of=as_of.isoformat(),
        within=within,
        campaign=status,
        overdue_items=status["rectification"]["overdue_items"],
        expiring=expiring(snap, as_of),
        blacklisted=[b for b in blacklist_rows(snap, as_of) if b["state"] == "active"],
        handed_in=handed_in(archive, within=within),
        reminders=[r.as_dict() for r in reminders(archive, as_of=as_of, within=within, snap=snap, campaign=status)],
        remind_days=archive.settings.remind_days,
    )


def _ledger_size(archive: Any) -> int:
    """The ledger's size, asked on every request: its next index (leaves are numbered from 0 with
    no gap — appended only, and ``verify`` proves it), read at the end of the primary key instead
    of counting every leaf (COUNT(*): 1.7 ms at 10^5 leaves in SQLite, growing with the ledger)."""
    return archive.ledger.next_index()


def _version(archive: Any) -> tuple[int, str]:
    """What a kept view must still match: the ledger's size and the lint's last run (judging records
    again by today's rules changes what the checks say of them without a new leaf)."""
    return _ledger_size(archive), last_run(archive.catalog)


class ViewCache:
    """Results of views kept while the archive's ledger has the same size (the archive only grows
    by appending: a new record, import, export or anchor changes the size) and the lint has not run
    again. One lock per key, so that concurrent requests for the same view compute it once; shared
    by the threads of a server."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._values: dict[Hashable, tuple[tuple[int, str], Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, archive: Any, key: Hashable, compute: Callable[[], Any]) -> Any:
        size = _version(archive)
        hit = self._values.get(key)
        if hit is not None and hit[0] == size:
            return hit[1]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            size = _version(archive)
            hit = self._values.get(key)
            if hit is not None and hit[0] == size:
                return hit[1]
            value = compute()
            with self._guard:
                if len(self._values) >= self.max_entries and key not in self._values:
                    self._values.pop(next(iter(self._values)))
                self._values[key] = (size, value)
            return value
