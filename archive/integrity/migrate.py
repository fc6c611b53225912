"""``outsafe migrate --to URL``: move an archive to another catalog and blob store — SQLite and files
to PostgreSQL and S3 as a district grows into a city, or back (``archive.app.migrate_archive``
opens the archive and holds its lock; this module copies and checks).

    outsafe migrate --to postgresql://outsafe@db/outsafe --blobs s3://district-archive/outsafe
    outsafe migrate --to sqlite --blobs files          # back into the home: catalog.sqlite3, blobs/

What happens, all under the archive write lock (no writer runs meanwhile):

1. ``verify`` of the source, in full (every blob re-hashed, every seal, the ledger): a damaged
   archive is not copied, so a copy never launders damage.
2. The blobs are copied, checked on read and named by their hash (``BlobStore``): a blob the
   target has already is skipped, so an interrupted run picks up where it stopped.
3. The catalog — records with their files in ``seq`` order, the ledger leaf by leaf, checkpoints,
   witnessed checkpoints, imported proofs, the package log, the registry, meta, the web accounts
   and the access log entry by entry, the question banks and every exam attempt (answers,
   signature, card), the reminders' sent-log, the drafts with their images, and the lint of the
   sealed records (sessions and sign-in attempts are not copied: everyone signs in again) — is
   copied through the storage interfaces in ONE transaction of the target. The facts of the views are not copied
   but derived again from each copied record in that transaction (they are a cache of the sealed
   data; ``verify`` compares them with it), so the target's facts are those of this outsafe's
   derivation. Then ``verify`` runs on the target inside that transaction, before the commit:
   every blob re-hashed in the target store, every seal, every record's facts, the ledger
   recomputed, and its root must equal the source's; the exams, sent-log and drafts read back
   from the target must equal the source's. Anything wrong rolls it all back: the target catalog
   is all or nothing.
4. Only then the source is marked moved (meta ``moved_to``: a writer still holding it open, or
   another machine's home naming it, is refused from then on) and ``outsafe.toml`` names the new
   catalog and blobs. A SQLite source is kept, renamed ``catalog.sqlite3.migrated-<time>``; the
   source blobs are left as they are. The search index of this home, a cache of one catalog, is
   then built for the new one (as after a write); other machines' homes are pointed at the new
   catalog by hand (their writes to the old one are refused, saying where it went).

So: the catalog all-or-nothing, the blobs resumable. The target catalog must be empty (a new
PostgreSQL database or schema, or no ``catalog.sqlite3`` in the home).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive import ids
from archive.errors import IntegrityError, StorageError
from archive.facts.derive import version as facts_version
from archive.facts.derive import record_facts
from archive.facts.lint import LINT_RUN, PENDING
from archive.integrity.ledger import Ledger
from archive.integrity.verify import verify_archive
from archive.text import Note
from schemas import REGISTRY_TYPES
from storage.catalog import MOVED_TO, BlobStore, Catalog, is_server_catalog, open_blobs, open_catalog, open_lock
from storage.faults import crash_point
from storage.home import ArchiveHome, public_location

Progress = Callable[[str, int, int], None]
RECORD_KEYS = ("id", "type", "subtype", "doc_no", "title", "enterprise", "contractor", "project", "doc_date", "data", "refs",
               "source_name", "origin", "supersedes", "note", "created_at", "seal", "signature", "signer")
NOT_COPIED_META = ("catalog_id", MOVED_TO)  # the target's own identity; the source's mark


@dataclass
class Migrated:
    """What ``outsafe migrate`` did."""

    source: dict[str, str]
    target: dict[str, str]
    records: int
    leaves: int
    root: str
    blobs_copied: int
    blobs_present: int
    kept: str | None = None  # the renamed SQLite source
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "records": self.records, "ledger_size": self.leaves,
                "ledger_root": self.root, "blobs_copied": self.blobs_copied, "blobs_already_there": self.blobs_present,
                "source_kept_as": self.kept}

    def as_text(self) -> list[str]:
        out = [
            f"已迁移 (migrated): {self.records} 条记录, {self.leaves} 个账本条目, 账本根 (ledger root) {self.root[:16]}…",
            f"  目录 (catalog): {self.source['catalog']} → {self.target['catalog']}",
            f"  文件 (blobs):   {self.source['blobs']} → {self.target['blobs']} "
            f"(复制 {self.blobs_copied}, 已有 {self.blobs_present} / copied, already there)",
            "  两端核验通过，账本根相同 (both sides verified, same ledger root)",
        ]
        if self.kept:
            out.append(f"  原目录文件保留为 (the old catalog file is kept as) {self.kept}")
        return out + [Note(n) for n in self.notes]


def catalog_target(home: ArchiveHome, to: str) -> str:
    """Where ``--to`` sends the catalog: a PostgreSQL URL, or ``sqlite`` (the home's own file)."""
    if is_server_catalog(to):
        return to
    if to in ("sqlite", str(home.catalog_file)):
        return str(home.catalog_file)
    raise StorageError(f"--to 应为 postgresql:// 地址或 sqlite (the target must be a postgresql:// URL or sqlite): {to}",
                       hint="sqlite: the home's own catalog.sqlite3 (a SQLite catalog always lives in its home)")


def blobs_target(home: ArchiveHome, blobs: str | None, current: str) -> str:
    """Where ``--blobs`` sends the blobs: ``s3://…``, ``files`` (the home's blobs/), a folder, or
    (None) where they are."""
    if blobs is None:
        return current
    if blobs == "files":
        return str(home.blobs_dir)
    if "://" in blobs and not blobs.startswith("s3://"):
        raise StorageError(f"--blobs 应为 s3:// 地址、files 或目录 (the blobs target must be s3://…, files or a folder): {blobs}")
    return blobs if "://" in blobs else str(Path(blobs).resolve())


def copy_archive(archive: Any, target_catalog: str, target_blobs: str, progress: Progress | None = None) -> Migrated:
    """Steps 1–4 of the module's notes for the open ``archive`` (the caller holds its write lock):
    verify, copy blobs, copy and verify the catalog in one transaction, mark the source moved and
    name the new locations in the home's settings; a SQLite source file is then closed and kept
    under another name."""
    home = archive.home
    source = {"catalog": public_location(archive.catalog.location), "blobs": archive.blobs.location}
    report = verify_archive(archive, progress=_stage(progress, "verify source"))
    if not report.ok:
        raise IntegrityError(report.failures, "源档案核验未通过，未迁移 (the source archive does not verify; nothing was migrated)")
    new_file = not is_server_catalog(target_catalog) and not Path(target_catalog).exists()
    dst = open_catalog(target_catalog, create=True)
    committed = False
    try:
        dst.migrate()
        if dst.count_records():
            raise StorageError(f"目标目录中已有记录，未迁移 (the target catalog is not empty): {public_location(target_catalog)}",
                               hint="迁移到空的数据库或模式；sqlite：先移走家目录中的 catalog.sqlite3 "
                                    "(use an empty database or schema; for sqlite move the home's catalog.sqlite3 away)")
        dst_blobs = open_blobs(target_blobs, tmp_dir=home.tmp_dir)
        dst_blobs.check()
        lock = open_lock(dst, home.lock_file)
        same_lock = lock.name == archive.lock.name
        with nullcontext() if same_lock else lock.hold(what="migrate"):
            copied, present = _copy_blobs(archive.blobs, dst_blobs, progress)
            with dst.transaction():
                _copy_rows(archive.catalog, dst, progress, archive.secret)
                dst.set_meta("catalog_id", ids.new_id(archive.clock))
                target = archive.over(dst, dst_blobs, lock)
                checked = verify_archive(target, progress=_stage(progress, "verify target"))
                if not checked.ok:
                    raise IntegrityError(checked.failures, "迁移后的档案核验未通过，目标未改动 (the copy does not verify; the target was left empty)")
                src_root, dst_root = Ledger(archive.catalog.ledger).root(), Ledger(dst.ledger).root()
                if src_root != dst_root or archive.ledger.latest_checkpoint() != target.ledger.latest_checkpoint():
                    raise IntegrityError(["账本根或检查点不同 (ledger roots or checkpoints differ)"],
                                         "迁移后的账本与源不同，目标未改动 (the copied ledger differs; the target was left empty)")
                differ = [name for name, rows in working_rows(archive.catalog).items() if working_rows(dst)[name] != rows]
                if differ:
                    raise IntegrityError([f"复制后不同 (differs after the copy): {', '.join(differ)}"],
                                         "迁移后的考试、提醒记录或草稿与源不同，目标未改动 (the copy differs; the target was left empty)")
                crash_point("migrate.before_commit")
            committed = True
            with archive.catalog.transaction():
                archive.catalog.set_meta(MOVED_TO, f"{public_location(target_catalog)} + {target_blobs}")
            home.set_locations(target_catalog, target_blobs)
        result = Migrated(source, {"catalog": public_location(target_catalog), "blobs": target_blobs}, dst.count_records(),
                          dst.ledger.size(), src_root.hex(), copied, present)
    except BaseException:
        dst.close()
        if new_file and not committed:
            _remove_sqlite(Path(target_catalog))  # an empty file this run made
        raise
    dst.close()
    if source["catalog"] == str(home.catalog_file):  # the old SQLite file: kept, out of the way
        archive.catalog.close()
        kept = home.catalog_file.with_name(f"{home.catalog_file.name}.migrated-{archive.clock.stamp().replace(':', '')}")
        os.replace(home.catalog_file, kept)
        for suffix in ("-wal", "-shm"):
            Path(str(home.catalog_file) + suffix).unlink(missing_ok=True)
        result.kept = str(kept)
    return result


def _stage(progress: Progress | None, label: str) -> Progress | None:
    if progress is None:
        return None
    return lambda _stage_name, done, total: progress(label, done, total)


def _copy_blobs(src: BlobStore, dst: BlobStore, progress: Progress | None) -> tuple[int, int]:
    """Every blob of ``src`` into ``dst`` (those there already skipped); (copied, already there)."""
    if src.location == dst.location:
        n = sum(1 for _ in src.iter_digests())
        return 0, n
    digests = list(src.iter_digests())
    copied = present = 0
    with dst.batch():  # all durable before the catalog that names them commits
        for n, digest in enumerate(digests, 1):
            if dst.has(digest):
                present += 1
            else:
                local = src.local_path(digest)
                if local is not None:  # checked after: the store names a blob by the hash of what it stored
                    got = dst.put_file(local)
                else:
                    with src.open(digest) as fh:  # checked as it is read
                        got = dst.put_stream(fh)
                if got != digest:
                    raise IntegrityError([f"文件库中的 {digest[:12]}… 内容已被改动 (blob altered: now {got[:12]}…)"],
                                         "源文件库已损坏，未迁移 (the source blob store is damaged; nothing was migrated)")
                copied += 1
            if progress:
                progress("blobs", n, len(digests))
    return copied, present


def working_rows(catalog: Catalog) -> dict[str, list]:
    """The rows outside the records and the ledger that a migration carries over, as comparable
    lists: question banks, exam attempts, the reminders' sent-log, drafts with their files, the lint."""
    drafts: list = []
    for account in catalog.accounts.accounts():
        for d in catalog.drafts.drafts(account["name"]):
            drafts.append((dict(d), [dict(f) for f in catalog.drafts.draft_files(d["id"], account["name"])]))
    return {
        "question_banks": [{k: v for k, v in b.items() if k != "seq"} for b in catalog.exams.banks()],
        "exam_attempts": sorted((dict(a) for a in catalog.exams.attempts()), key=lambda a: a["id"]),
        "reminders_sent": [dict(r) for r in catalog.reminders.sent()],
        "drafts": drafts,
        "lint": [dict(r) for r in catalog.facts.lint(problems_only=False)],
    }


def _copy_rows(src: Catalog, dst: Catalog, progress: Progress | None, secret: bytes) -> None:
    """Every row of ``src`` into ``dst`` through the storage interfaces (inside dst's transaction),
    and the facts of every record derived again."""
    total, done, after = src.count_records(), 0, 0
    imported: list[str] = []
    owner = src.get_meta("owner_uscc")
    while True:
        rows = src.records_after(after, limit=2000)
        if not rows:
            break
        facts = []
        for row in rows:
            seq = dst.insert_record({k: row[k] for k in RECORD_KEYS}, [
                {k: f[k] for k in ("role", "name", "sha256", "size", "media_type")} for f in src.record_files(row["id"])
            ])
            facts.append(record_facts(row, secret, seq))
            if row["origin"] != owner:
                imported.append(row["id"])
        dst.facts.add(facts)
        after = rows[-1]["seq"]
        done += len(rows)
        if progress:
            progress("records", done, total)
    dst.facts.set_state("version", facts_version())
    dst.facts.set_position(dst.max_seq())
    dst.facts.put_lint(src.facts.lint(problems_only=False))
    for name in (LINT_RUN, PENDING):  # the lint's last run, and a re-lint stopped before its end (archive.facts.lint)
        if src.facts.get_state(name) is not None:
            dst.facts.set_state(name, src.facts.get_state(name) or "")
    for leaf in src.ledger.leaves():
        idx = dst.ledger.append(leaf["kind"], leaf["entry"], leaf["leaf_hash"], leaf["created_at"], record_id=leaf["record_id"])
        if idx != leaf["idx"]:
            raise IntegrityError([f"账本条目 {leaf['idx']} 复制后位于 {idx} (ledger leaf {leaf['idx']} landed at {idx})"])
    for cp in src.ledger.checkpoints():
        dst.ledger.add_checkpoint(cp)
    for w in src.packages.witnessed():
        dst.packages.witness(w)
    for rid in imported:
        proof = src.packages.imported_proof(rid)
        if proof is not None:
            dst.packages.add_imported_proof(proof)
    for p in src.packages.packages():
        dst.packages.log_package(p)
    for kind in REGISTRY_TYPES:
        for r in src.list_registry(kind):
            dst.put_registry(kind, r["key"], r["record_id"], r["name"], json.loads(r["extra"]) if r["extra"] else None)
    for key, value in src.meta_items().items():
        if key not in NOT_COPIED_META:
            dst.set_meta(key, value)
    for account in src.accounts.accounts():
        dst.accounts.add_account(account)
    after = 0
    while entries := src.access_log.entries(after_seq=after, limit=5000):
        for entry in entries:
            dst.access_log.append(entry)
        after = entries[-1]["seq"]
    for bank in src.exams.banks():  # in the order they were added
        dst.exams.add_bank(bank)
    for attempt in sorted(src.exams.attempts(), key=lambda a: (a["created_at"], a["id"])):
        dst.exams.add_attempt(attempt)
    dst.reminders.log_sent(src.reminders.sent())
    for account in src.accounts.accounts():
        for draft in src.drafts.drafts(account["name"]):
            dst.drafts.add_draft(draft)
            for f in src.drafts.draft_files(draft["id"], account["name"]):
                dst.drafts.put_draft_file(f, account["name"])


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
