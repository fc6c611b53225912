"""Keeping the facts of the views in step with the catalog: written with each record, caught up by
seq, rebuilt from the sealed records.

    record_stored(catalog, row, seq, secret, lint=accepted(row["id"], settings))   # in the record's transaction
    catch_up(archive)           # before a view: facts for any record stored without them
    rebuild(archive)            # ``outsafe facts rebuild``: every fact again from the sealed data

Writers derive a record's facts in the same transaction that stores the record (``case add``,
``package import``), so a committed record has its facts and a crash loses neither. A record stored
without them — by a program that did not derive them, or in a catalog migrated from before they
existed — is found by :func:`catch_up`, which derives the facts of every record after the facts'
position that lacks them (``FactStore.missing``) and moves the position on: never a lost fact,
never one counted twice. Facts derived by another version of the derivation are rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from archive.facts.derive import record_facts, version
from archive.facts.lint import lint_row
from storage.rows import LintRow

BATCH = 2000  # records per catch-up transaction
LINT_INLINE = 500  # a catch-up of at most this many records also lints them (more: verify --lint)


def record_stored(catalog: Any, row: dict, seq: int, secret: bytes, lint: LintRow | None = None) -> None:
    """The facts (and lint) of the record ``row`` just inserted as ``seq``, in its transaction."""
    facts = catalog.facts
    facts.add([record_facts(row, secret, seq)])
    if lint is not None:
        facts.put_lint([lint])
    pos = facts.position()
    if pos == seq - 1 or (pos < seq and not facts.missing(pos, seq - 1)):
        if pos == 0 and facts.get_state("version") is None:
            facts.set_state("version", version())
        facts.set_position(seq)


def stale_version(catalog: Any) -> bool:
    """Whether the stored facts were derived by another version of the derivation."""
    v = catalog.facts.get_state("version")
    return v is not None and v != version()


def behind(catalog: Any) -> bool:
    """Whether some record may lack its facts (a cheap test: the position against the feed)."""
    return catalog.facts.position() < catalog.max_seq() or stale_version(catalog)


def catch_up(archive: Any, progress: Callable[[str, int, int], None] | None = None) -> int:
    """Derive the facts of every record stored without them; return how many. Facts of another
    derivation version are rebuilt instead."""
    catalog = archive.catalog
    if stale_version(catalog):
        return rebuild(archive, progress)
    top = catalog.max_seq()
    if catalog.facts.position() >= top:
        return 0
    todo = catalog.facts.missing(catalog.facts.position(), top)
    lint = len(todo) <= LINT_INLINE
    done = 0
    while True:
        with catalog.transaction():
            facts = catalog.facts
            pos = facts.position()
            if pos >= top:
                break
            missing = facts.missing(pos, top)[:BATCH]
            if not missing:
                facts.set_position(top)
                break
            rows = [r for r in catalog.records_after(missing[0] - 1, upto_seq=missing[-1]) if r["seq"] in set(missing)]
            facts.add([record_facts(r, archive.secret) for r in rows])
            if lint:
                facts.put_lint([lint_row(r, archive.settings) for r in rows])
            if facts.get_state("version") is None:
                facts.set_state("version", version())
            done += len(rows)
            # every record up to the last one handled now has facts (the earlier gaps were filled first)
            facts.set_position(top if len(missing) < BATCH else missing[-1])
        if progress:
            progress("facts", done, len(todo))
    return done


def rebuild(archive: Any, progress: Callable[[str, int, int], None] | None = None) -> int:
    """Every fact again from the sealed records (the lint is kept: it is the rules' verdict, not a
    fact of the record)."""
    catalog = archive.catalog
    with catalog.transaction():
        catalog.facts.clear()
        catalog.facts.set_state("version", version())
    top = catalog.max_seq()
    after, done = 0, 0
    while after < top:
        rows = catalog.records_after(after, limit=BATCH, upto_seq=top)
        if not rows:
            break
        with catalog.transaction():
            catalog.facts.add([record_facts(r, archive.secret) for r in rows])
            catalog.facts.set_position(rows[-1]["seq"])
        after = rows[-1]["seq"]
        done += len(rows)
        if progress:
            progress("facts", done, top)
    with catalog.transaction():
        catalog.facts.set_position(max(top, catalog.facts.position()))
    return done


def facts_differences(archive: Any, rows: list[dict]) -> list[str]:
    """Where the stored facts of the catalog rows ``rows`` differ from the facts derived again from
    their sealed data (``outsafe verify``): a fact row or a link missing, added or changed. The
    facts are a cache the views read, so a difference is repaired by ``outsafe facts rebuild``; it
    matters because a view reading altered facts could leave a record out."""
    catalog = archive.catalog
    out: list[str] = []
    position = catalog.facts.position()
    # who corrects whom (the earliest correction, as the fact store keeps it): a record marked
    # corrected in its facts drops out of every view's current records
    first_by: dict[str, tuple[int, str]] = {}
    for r in rows:
        sup = r.get("supersedes")
        if isinstance(sup, str) and (sup not in first_by or r["seq"] < first_by[sup][0]):
            first_by[sup] = (r["seq"], r["id"])
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        stored = {r["seq"]: r for r in catalog.facts.rows(seqs=[r["seq"] for r in chunk])}
        links: dict[int, set[tuple[str, str]]] = {}
        for seq, role, key in catalog.facts.links([r["seq"] for r in chunk]):
            links.setdefault(seq, set()).add((role, key))
        mistyped = set(catalog.facts.mistyped_links([r["seq"] for r in chunk]))
        briefs = catalog.facts.briefs([r["seq"] for r in chunk])
        for row in chunk:
            try:
                want = record_facts(row, archive.secret)
            except (TypeError, ValueError):
                continue  # its data is not JSON: nothing to derive facts from (``verify`` names the record's data)
            got = stored.get(row["seq"])
            if got is None:
                if row["seq"] <= position:
                    out.append(f"记录 {row['id']}: 缺少视图事实 (facts missing)")
                continue  # not yet caught up: the next view derives them
            changed = [k for k in ("record_id", "type", "subtype", "key", "day", "supersedes", "title", "origin", "created_at", "info",
                                   "belongs") if got.get(k) != want[k]]
            later = first_by.get(row["id"])
            if got.get("superseded_by") != (later[1] if later else None) and not (got.get("superseded_by") is None and later[0] > position):
                changed.append("superseded_by")  # (None while the correction's own facts are not caught up yet)
            if set(want["links"]) != links.get(row["seq"], set()):
                changed.append("links")
            if row["seq"] in mistyped:
                changed.append("link types")  # read by type, a link of another type leaves the record out
            brief = briefs.get(row["seq"])
            if (brief.decode() if isinstance(brief, bytes) else brief) != want["brief"]:
                changed.append("brief")  # the check judges a ticket or a training card by it
            if changed:
                out.append(f"记录 {row['id']}: 视图事实与封存数据不符 (facts differ from the sealed data: {', '.join(changed)})")
    return out


@dataclass
class FactsRebuilt:
    """``outsafe facts rebuild``: how many records' facts were derived again."""

    records: int
    position: int

    def as_dict(self) -> dict:
        return {"records": self.records, "position": self.position, "version": version()}

    def as_text(self) -> list[str]:
        return [f"已由 {self.records} 条已封存记录重建视图事实 (facts of the views rebuilt from {self.records} sealed records)"]


def rebuild_facts(archive: Any, progress: Callable[[str, int, int], None] | None = None) -> FactsRebuilt:
    """``outsafe facts rebuild``: every fact again from the sealed records, under the archive's
    write lock (writers wait; readers go on with the facts as they were until the first batch)."""
    with archive.writing("facts rebuild"):
        n = rebuild(archive, progress)
    return FactsRebuilt(n, archive.catalog.facts.position())
