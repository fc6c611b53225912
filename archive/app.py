"""The facade the command line calls: one :class:`Archive` per archive home.

    archive = Archive.open(home)              # or Archive.create(home, org_file, …)
    report = archive.add_files(paths)         # the whole pipeline for case files
    archive.list_records(contractor=…)        # catalog queries, 身份证号 masked

The pipeline for one file (DESIGN.md "The pipeline"):
read → validate (schema + rules, every problem) → resolve references → cross-record rules →
render .docx → convert .pdf → seal → store (blobs first, then ONE catalog transaction: the record,
its files, the registry projection, its ledger leaf) → index.
Validation and resolution of the whole batch happen before anything is written: bad input changes
nothing. Writers hold the archive lock; a second writer waits.
"""

from __future__ import annotations

import dataclasses
import json
import mimetypes
import secrets
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from archive import ids
from archive.access.audit import anchor_leaf
from archive.checks.admission import admission_for_batch
from archive.clock import SYSTEM, Clock
from archive.documents.convert import Converter
from archive.documents.fit import convert_fitted, convert_one_fitted, relayable
from archive.documents.render import render_record
from archive.documents.templates import template_for
from archive.errors import ConversionError, ExitCode, KeyError_, NotFound, Problem, RuleViolation, StorageError, TemplateError, ValidationFailed
from archive.integrity import canonical as jcs
from archive.integrity import keys
from archive.integrity import seal as sealing
from archive.integrity.ledger import Ledger, origin_for, sign_checkpoint
from archive.integrity.proofs import record_inclusion
from archive.integrity.verify import verify_archive
from archive.documents.images import ImageProblem, inspect_image
from archive.facts.index import record_stored
from archive.facts.lint import accepted, fingerprint
from archive.facts.records import SealedRecords
from archive.privacy import mask_record, mask_refs
from archive.registry import Registry, Resolved, drop_moved_entry, resolve
from archive.search.index import index_after_write
from archive.settings import Settings
from archive.text import Note, Table, problem_notes, table
from schemas import REGISTRY_TYPES, TYPES, FileProblem, LoadResult, load, meta_of, read_case_file, record_label
from schemas.base import RuleContext, dump, field_infos, schema_for
from schemas.columns import record_columns, registry_name
from schemas.common import TICKET_TYPE_NAMES, image_refs
from schemas.registry import Organization, Person
from schemas.tickets import TICKET_CLASSES
from storage import staging
from storage.catalog import MOVED_TO, BlobStore, Catalog, WriteLock, is_server_catalog, open_blobs, open_catalog, open_lock
from storage.faults import crash_point
from storage.home import ArchiveHome, atomic_write, default_home, public_location, safe_name, storage_toml

Progress = Callable[[str, int, int], None]  # (stage, done, total)


DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def key_values(plan: Any) -> list[str]:
    """What the text layer of a record's PDF must contain: its number and the parties' names."""
    values = [plan.row["doc_no"]] if plan.row.get("doc_no") else []
    if values:  # a report's archive number (report_no) is not printed on it: its template says so
        if meta_of(plan.item.obj).number in dict(template_for(plan.item.obj).not_shown):
            values = []
    orgs = (plan.item.resolved.organizations if plan.item.resolved else {}) or {}
    for party in ("enterprise", "contractor", "unit"):
        uscc = getattr(plan.item.obj, party, None)
        if isinstance(uscc, str) and uscc in orgs:
            values.append(orgs[uscc]["name"])
    return values


def canonical(obj: Any) -> bytes:
    """RFC 8785 canonical JSON (the bytes that get hashed and signed)."""
    return jcs.dumps(obj)


def _dotted(obj: Any, path: str | None) -> Any:
    if not path:
        return None
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


@dataclass
class Loaded:
    """One input file that passed validation."""

    path: Path
    obj: Any
    raw: dict
    warnings: list[Problem]
    resolved: Resolved | None = None
    files: list[dict] = field(default_factory=list)  # extra files (photos) to store: role, name, path


@dataclass
class Added:
    id: str
    type: str
    title: str
    source: str
    status: str  # "added" | "updated" | "unchanged"
    files: list[dict] = field(default_factory=list)


ADD_LABELS = {"added": "已入档 added", "updated": "已更新 updated", "unchanged": "未变 unchanged"}


@dataclass
class AddReport:
    added: list[Added]
    warnings: list[Problem]
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, message)

    @property
    def exit_code(self) -> int:
        return ExitCode.BAD_INPUT if self.failed else ExitCode.OK

    def as_dict(self) -> dict:
        return {
            "records": [{"id": a.id, "type": a.type, "title": a.title, "source": a.source, "status": a.status} for a in self.added],
            "warnings": [p.as_dict() for p in self.warnings],
            "failed": [{"source": s, "error": e} for s, e in self.failed],
        }

    def as_text(self) -> list[str]:
        return (
            problem_notes(self.warnings)
            + [f"{a.id}  {a.title}  [{ADD_LABELS[a.status]}]  ← {a.source}" for a in self.added]
            + [Note(f"未入档 (not archived): {source}: {error}") for source, error in self.failed]
        )


class Archive:
    def __init__(
        self,
        home: ArchiveHome,
        catalog: Catalog,
        settings: Settings,
        passphrase: keys.PassphraseProvider = keys.env_passphrase,
        clock: Clock = SYSTEM,
        *,
        blobs: BlobStore | None = None,
        lock: WriteLock | None = None,
    ) -> None:
        self.home = home
        self.clock = clock  # every "now" and "today" of this archive (tests pass a FixedClock)
        self.catalog = catalog
        self.settings = settings
        self.blobs = blobs or open_blobs(home.locations().blobs, tmp_dir=home.tmp_dir)
        self.lock = lock or open_lock(catalog, home.lock_file)  # flock in the home, or an advisory lock in PostgreSQL
        self.ledger = Ledger(catalog.ledger)
        self.passphrase = passphrase
        self._secret: bytes | None = None
        self._signer: keys.Signer | None = None
        self._converter = None  # archive.pdf.Converter, kept running until close()
        self.sealed = SealedRecords()  # records loaded as sealed, by id (archive.facts.records)
        self.views: dict = {}  # results of the views kept in this process (archive.facts.cache)

    # --- life cycle -------------------------------------------------------------------------

    @classmethod
    def open(
        cls, root: Path | None = None, *, passphrase: keys.PassphraseProvider = keys.env_passphrase, clock: Clock = SYSTEM
    ) -> "Archive":
        home = ArchiveHome(Path(root) if root else default_home())
        if not home.exists():
            raise StorageError(
                f"{home.root} 不是 outsafe 档案目录 (no archive at {home.root})",
                hint="create one with `outsafe init --org ORG.yaml`, or give --home / OUTSAFE_HOME",
            )
        settings = Settings.load(home.settings_file)
        where = home.locations()
        catalog = open_catalog(where.catalog)
        try:
            if catalog.version == 0 and is_server_catalog(where.catalog):
                raise StorageError(
                    f"{home.settings_file} 指向的目录数据库中没有档案 (the catalog it names holds no archive)",
                    hint="create one with `outsafe init --org ORG.yaml --catalog URL`, or fix catalog in outsafe.toml",
                )
            lock = open_lock(catalog, home.lock_file)
            if catalog.version != catalog.latest_version:  # forward, or refused when newer than this program
                with lock.hold(what="migrate"):
                    catalog.migrate()
            blobs = open_blobs(where.blobs, tmp_dir=home.tmp_dir)
        except BaseException:
            catalog.close()
            raise
        archive = cls(home, catalog, settings, passphrase, clock, blobs=blobs, lock=lock)
        archive.clean_leftovers()
        return archive

    @classmethod
    def create(
        cls,
        root: Path | None,
        org_file: Path,
        *,
        passphrase: keys.PassphraseProvider = keys.env_passphrase,
        insecure: bool = False,
        search_engine: str = "whoosh",
        today: date | None = None,
        pdf: bool = True,
        clock: Clock = SYSTEM,
        catalog_url: str | None = None,
        blobs_url: str | None = None,
    ) -> "Archive":
        """A new archive owned by the organization in ``org_file``, with a new signing key.
        Nothing is created unless the file is valid and a passphrase is at hand. ``catalog_url``:
        keep the catalog in that (empty) PostgreSQL database instead of the home's SQLite file;
        ``blobs_url``: keep the files in that S3 bucket (``s3://bucket/prefix``) instead of blobs/."""
        home = ArchiveHome(Path(root) if root else default_home())
        if home.exists():
            raise StorageError(f"{home.root} 已经是档案目录 (an archive already exists here)", hint="choose another --home")
        if home.root.exists() and any(home.root.iterdir()):
            raise StorageError(f"{home.root} 不是空目录 (folder is not empty)", hint="choose an empty or new folder for --home")
        if catalog_url is not None and not is_server_catalog(catalog_url):
            raise StorageError(f"--catalog 应为 postgresql:// 地址 (the catalog must be a postgresql:// URL): {catalog_url}",
                               hint="without --catalog the catalog is catalog.sqlite3 in the home")
        ctx = RuleContext(Settings(), today or clock.today(), None)
        result = _read_and_load(org_file, ctx, expect=Organization)
        if not result.ok:
            raise ValidationFailed(result.problems)
        pw = None if insecure else passphrase(True)
        if not insecure and not pw:
            raise keys.KeyError_(
                "需要口令来加密签名私钥 (a passphrase is needed to encrypt the signing key)",
                hint="set OUTSAFE_PASSPHRASE, answer the prompt, or use --insecure-no-passphrase for a demo",
            )
        catalog = blobs = None
        if catalog_url is not None:  # before anything is created: a wrong URL changes nothing
            catalog = _empty_server_catalog(catalog_url)
        try:
            if blobs_url is not None:
                blobs = open_blobs(blobs_url, tmp_dir=home.tmp_dir)
                blobs.check()
        except BaseException:
            if catalog is not None:
                catalog.close()
            raise
        created_root = not home.root.exists()
        try:
            home.create_dirs(blobs=blobs is None)
            atomic_write(home.settings_file, (storage_toml(catalog_url, blobs_url) + Settings.template_toml()).encode())
            atomic_write(home.keys_dir / "id-hash.key", secrets.token_bytes(32))
            signer = keys.generate(home.keys_dir, pw, insecure=insecure)
            if catalog is None:
                catalog = open_catalog(home.catalog_file, create=True)
            lock = open_lock(catalog, home.lock_file)
            with lock.hold(what="init"):
                catalog.migrate()
                with catalog.transaction():
                    catalog.set_meta("archive_id", ids.new_id(clock))
                    catalog.set_meta("catalog_id", ids.new_id(clock))
                    catalog.set_meta("owner_uscc", result.obj.uscc)
                    catalog.set_meta("owner_name", result.obj.name)
                    catalog.set_meta("owner_role", result.obj.role)
                    catalog.set_meta("search_engine", search_engine)
                    catalog.set_meta("created_at", clock.stamp())
            archive = cls(home, catalog, Settings.load(home.settings_file), passphrase, clock, blobs=blobs, lock=lock)
            archive._signer = signer
            owner = dataclasses.replace(
                result.obj, public_key=keys.public_pem(signer.public), key_fingerprint=signer.fingerprint
            )
            item = Loaded(path=org_file, obj=owner, raw={}, warnings=[])
            with archive.writing("init"):
                reg = archive.registry()
                item.resolved, problems = resolve(owner, reg, file=str(org_file))
                archive._add_items([item], reg, warnings=[], pdf=pdf)
        except BaseException:
            if catalog is not None:
                catalog.close()
            _remove_new_home(home.root, created_root)
            raise
        return archive

    def over(self, catalog: Catalog, blobs: BlobStore, lock: WriteLock) -> "Archive":
        """This archive — its home, keys, settings, clock — over another catalog and blob store
        (``outsafe migrate`` verifies its copy through it before the copy commits)."""
        return type(self)(self.home, catalog, self.settings, self.passphrase, self.clock, blobs=blobs, lock=lock)

    def close(self) -> None:
        """Close the catalog and stop LibreOffice if this archive started it."""
        if self._converter is not None:
            self._converter.close()
            self._converter = None
        self.lock.close()
        self.catalog.close()

    @property
    def owner_uscc(self) -> str:
        return self.catalog.get_meta("owner_uscc") or ""

    @property
    def owner_name(self) -> str:
        return self.catalog.get_meta("owner_name") or ""

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            path = self.home.keys_dir / "id-hash.key"
            try:
                self._secret = path.read_bytes()
            except OSError as e:
                raise KeyError_(f"身份证号散列密钥无法读取 (the ID-number hashing key is missing or unreadable: {e.strerror}): {path}",
                                hint="从备份恢复 keys/ 目录 (restore keys/ from a backup)") from e
        return self._secret

    def registry(self) -> Registry:
        return Registry(self.catalog, self.secret)

    def signer(self) -> keys.Signer:
        """The owner's unlocked signing key (asks for the passphrase once per process)."""
        if self._signer is None:
            self._signer = keys.load_signer(self.home.keys_dir, self.passphrase)
        return self._signer

    @property
    def key_insecure(self) -> bool:
        return keys.is_insecure(self.home.keys_dir)

    def public_key(self):
        return keys.load_public(self.home.keys_dir)

    def rule_context(self, today: date | None = None, registry: Registry | None = None) -> RuleContext:
        return RuleContext(self.settings, today or self.clock.today(), registry or self.registry())

    def clean_leftovers(self) -> None:
        """Remove what killed processes left: staging folders of exports and imports and PDF
        working folders (claimed, :mod:`storage.staging`), and — when no writer is at work — blob
        temp files. Nothing here is ever needed: it is personal data lying about."""
        try:
            staging.clean_stale(self.home.tmp_dir)
            with self.lock.hold_if_free() as free:
                if free:
                    self.blobs.remove_partial()
        except OSError:
            pass  # a read-only archive: nothing to clean, nothing to refuse

    @contextmanager
    def writing(self, what: str = "", notify: Callable[[str], None] | None = None):
        """Hold the archive write lock (:attr:`lock`: a file lock in the home, or an advisory lock
        in a PostgreSQL catalog, shared by every machine writing it). Blob temp files and unfinished
        uploads are only ever written under it, so any found on taking it were left by a writer
        that was killed: they are removed."""
        with self.lock.hold(what=what, notify=notify):
            moved = self.catalog.get_meta(MOVED_TO)
            if moved:  # `outsafe migrate` copied the archive elsewhere while this process waited
                raise StorageError(
                    f"档案已迁移至 {moved}，此目录不再写入 (the archive was moved to {moved} by outsafe migrate; this catalog "
                    "takes no more writes)",
                    hint=f"在 {self.home.settings_file} 中指向新位置，或使用迁移时的 --home (point outsafe.toml at the new catalog)",
                )
            self.blobs.remove_partial()
            yield

    # --- validation -------------------------------------------------------------------------

    def validate_files(
        self, paths: Sequence[Path], *, expect: type | None = None, today: date | None = None, registry: Registry | None = None,
        files_root: Path | None = None,
    ) -> tuple[list[Loaded], list[Problem]]:
        """Validate every file and resolve its references; (good files, every problem)."""
        reg = registry or self.registry()
        ctx = self.rule_context(today, reg)
        loaded, problems = validate_paths(paths, ctx, expect=expect, files_root=files_root)
        reg.batch_numbers |= {str(n) for item in loaded if (n := _dotted(item.obj, meta_of(item.obj).number))}
        for item in loaded:
            if isinstance(item.obj, Organization) and item.obj.uscc == self.owner_uscc:
                item.obj, more = self._with_owner_key(item.obj, str(item.path))
                problems.extend(more)
            res, more = resolve(item.obj, reg, file=str(item.path))
            item.resolved = res
            problems.extend(more)
            if not more and type(item.obj).__case__.kind == "registry":
                reg.stage(item.obj)
        problems.extend(self.admission(loaded, reg, ctx))
        return loaded, problems

    def dry_run(
        self, paths: Sequence[Path], *, today: date | None = None, files_root: Path | None = None
    ) -> tuple[list[Loaded], list[Problem]]:
        """Everything ``case add`` does short of storing (``outsafe case validate``): validation,
        references, the cross-record rules, the same-number check against the archive and the
        filling of each document's template; only LibreOffice is not run. A file that passes goes in."""
        reg = self.registry()
        loaded, problems = self.validate_files(paths, today=today, registry=reg, files_root=files_root)
        bad = {p.file for p in problems if p.severity == "error"}
        plans = [self._plan(item, reg, supersedes=None, note=None) for item in loaded if str(item.path) not in bad]
        problems.extend(p for p in plans if isinstance(p, Problem))
        try:
            self._render([p for p in plans if not isinstance(p, Problem) and p.status != "unchanged"])
        except ValidationFailed as e:
            problems.extend(e.problems)
        return loaded, problems

    def admission(self, loaded: list[Loaded], reg: Registry, ctx: RuleContext) -> list[Problem]:
        """The cross-record rules (archive.checks): blacklisted contractors, workers without a valid
        certificate or three-level training, agreements not covering their project. Each problem
        says whether ``--force --reason`` may override it."""
        found = admission_for_batch([i.obj for i in loaded], self, reg, ctx)
        return [dataclasses.replace(p, file=str(item.path)) for item, ps in zip(loaded, found) for p in ps]

    def _with_owner_key(self, org: Organization, file: str) -> tuple[Organization, list[Problem]]:
        """The owner's own organization record always carries the archive's public key."""
        public = self.public_key()
        fp = keys.fingerprint(public)
        if org.key_fingerprint not in (None, fp) or (org.public_key and keys.fingerprint(keys.load_public_pem(org.public_key)) != fp):
            return org, [Problem("key_fingerprint", "与本档案签名公钥不符 (does not match this archive's signing key)", file=file)]
        return dataclasses.replace(org, public_key=keys.public_pem(public), key_fingerprint=fp), []

    # --- the pipeline -----------------------------------------------------------------------

    def add_files(
        self,
        paths: Sequence[Path],
        *,
        expect: type | str | None = None,
        supersedes: str | None = None,
        note: str | None = None,
        progress: Progress | None = None,
        notify: Callable[[str], None] | None = None,
        today: date | None = None,
        pdf: bool = True,
        force_reason: str | None = None,
        files_root: Path | None = None,
        whole: bool = False,
    ) -> AddReport:
        """The whole pipeline for case files. ``force_reason`` overrides refusals of cross-record
        rules where the law leaves room; the reason is sealed with each record it admits.
        ``expect``: the record class (or its type name) every file must be. ``whole``: the batch is
        stored whole or not at all — a document that cannot be converted stores nothing
        (:class:`~archive.errors.ValidationFailed`, one problem per file), where otherwise the
        rest of the batch is stored and the file reported in ``AddReport.failed``."""
        if isinstance(expect, str):
            expect = TYPES[expect]
        with self.writing("add", notify):
            reg = self.registry()
            loaded, problems = self.validate_files(paths, expect=expect, today=today, registry=reg, files_root=files_root)
            refused = [p for p in problems if p.severity == "error" and hasattr(p, "overridable")]
            errors = [p for p in problems if p.severity == "error" and not hasattr(p, "overridable")]
            if errors:
                raise ValidationFailed(problems)
            notes: dict[str, str] = {}
            if refused:
                forced = self._forced(refused, force_reason, note)
                notes = {p.file: forced for p in refused}
            if supersedes is not None:
                self._check_supersede(supersedes, loaded)
            warnings = [p for p in problems if p.severity == "warning"]
            warnings += [dataclasses.replace(p, severity="warning", message="已强制入档 (forced): " + p.message) for p in refused]
            return self._add_items(
                loaded, reg, warnings=warnings, supersedes=supersedes, note=note, notes=notes, progress=progress, pdf=pdf,
                notify=notify, whole=whole,
            )

    def _add_items(
        self,
        loaded: list[Loaded],
        reg: Registry,
        *,
        warnings: list[Problem],
        supersedes: str | None = None,
        note: str | None = None,
        notes: dict[str, str] | None = None,
        progress: Progress | None = None,
        pdf: bool = True,
        notify: Callable[[str], None] | None = None,
        whole: bool = False,
    ) -> AddReport:
        """Render, convert and store validated items (the caller holds the write lock): one
        transaction per record, then one signed checkpoint for the batch, then the index.

        A template that cannot be filled is bad input: nothing is written. A document LibreOffice
        cannot convert is reported in ``AddReport.failed`` and the rest of the batch is stored;
        with ``whole``, nothing is stored then (every document is converted before any is stored)."""
        notes = notes or {}
        plans = [self._plan(item, reg, supersedes=supersedes, note=notes.get(str(item.path), note)) for item in loaded]
        dup = [p for p in plans if isinstance(p, Problem)]
        if dup:
            raise ValidationFailed(dup)
        todo = [p for p in plans if p.status != "unchanged"]
        signer = self.signer() if todo else None
        report = AddReport(added=[], warnings=warnings)
        self._render(todo)
        if pdf:
            self._convert(todo, progress)
        if whole and any(plan.failed for plan in todo):
            raise ValidationFailed(
                [Problem("", f"未入档 (not archived): {plan.failed}", file=str(plan.item.path)) for plan in todo if plan.failed],
                "有文书无法生成，整批未入档 (a document could not be made: nothing of the batch was stored)")
        total = len(plans)
        try:
            with self.blobs.batch():  # every blob of the batch on disk before any record names it
                for plan in todo:
                    if not plan.failed:
                        self._put_blobs(plan)
            crash_point("add.after_blobs")
            for n, plan in enumerate(plans, 1):
                if plan.status == "unchanged":
                    report.added.append(Added(plan.row["id"], plan.row["type"], plan.row["title"], plan.row["source_name"], "unchanged"))
                elif plan.failed:
                    report.failed.append((str(plan.item.path), plan.failed))
                else:
                    report.added.append(self._store(plan, signer))
                if progress:
                    progress("store", n, total)
        finally:
            if signer is not None:
                self.checkpoint(signer)
        self.after_write(progress, notify)
        return report

    def owner_data(self) -> dict | None:
        row = self.catalog.get_registry("organization", self.owner_uscc)
        return json.loads(self.catalog.get_record(row["record_id"])["data"]) if row else None

    def _render(self, plans: list["Archive._Plan"]) -> None:
        """Fill each record's template (docxtpl, sandboxed); any failure stops the batch."""
        owner = self.owner_data()
        problems: list[Problem] = []
        for plan in plans:
            images = {f["ref"]: f["path"] for f in plan.files if f["role"] == "photo"}
            try:
                out = render_record(
                    plan.item.obj, plan.item.resolved.as_dict() if plan.item.resolved else {}, settings=self.settings,
                    owner=owner, images=images, template_dir=self.home.templates_dir,
                )
            except TemplateError as e:
                problems.append(Problem("", e.message, file=str(plan.item.path)))
                continue
            plan.template = {"id": out.template_id, "version": out.template_version, "sha256": out.template_sha256}
            plan.files.append({
                "role": "docx", "name": safe_name(plan.row["title"]) + ".docx", "data": out.docx, "media_type": DOCX_MIME,
            })
        if problems:
            raise ValidationFailed(problems, "文书生成失败，未写入任何记录 (documents could not be rendered; nothing was written)")

    def _convert(self, plans: list["Archive._Plan"], progress: Progress | None) -> None:
        """All the batch's documents through one kept-running LibreOffice pool; each PDF checked."""
        jobs = [(p, next(f for f in p.files if f["role"] == "docx")) for p in plans]
        if not jobs:
            return
        if self._converter is None:
            self._converter = Converter(self.settings, tmp_dir=self.home.tmp_dir)
            self._converter.open()
        results = convert_fitted(  # (a document whose seal would stand alone on its last page is laid out again)
            self._converter.convert_many,
            [(p.row["id"], f["data"]) for p, f in jobs],
            progress=progress,
            expect_text={p.row["id"]: key_values(p) for p, _ in jobs},
        )
        for (plan, docx), (fitted, res) in zip(jobs, results):
            docx["data"] = fitted
            if res.ok:
                plan.files.append({
                    "role": "pdf", "name": docx["name"][:-5] + ".pdf", "data": res.pdf, "media_type": "application/pdf",
                })
            else:
                plan.failed = f"PDF 转换失败 (conversion failed): {res.error}"

    def after_write(self, progress: Progress | None = None, notify: Callable[[str], None] | None = None) -> None:
        """Derived state after a write: bring the search index up to the catalog. The records are
        committed already; an index that cannot be written is reported (with the command that
        fixes it), never a failed write — the next write or `outsafe index rebuild` catches up."""
        index_after_write(self, notify or (lambda msg: print(msg, file=sys.stderr)))

    def checkpoint(self, signer: keys.Signer | None = None) -> dict | None:
        """Sign a checkpoint of the ledger if it grew since the last one (writer holds the lock);
        first the access log's head goes into the ledger if the log grew (archive.access.audit)."""
        anchor_leaf(self)
        size = self.ledger.size()
        latest = self.ledger.latest_checkpoint()
        if size == 0 or (latest is not None and latest["tree_size"] >= size):
            return latest
        signer = signer or self.signer()
        cp = sign_checkpoint(signer, origin_for(self.owner_uscc), size, self.ledger.root(size))
        with self.catalog.transaction():
            self.ledger.store_checkpoint(cp, signer.fingerprint, self.clock.stamp())
        return self.ledger.latest_checkpoint()

    def _forced(self, refused: list[Problem], reason: str | None, note: str | None) -> str:
        """Check that every refusal may be overridden and a reason was given; the sealed note."""
        if reason is None:
            raise RuleViolation(
                refused,
                hint="where the law leaves room (规则标明可强制), repeat with --force --reason TEXT; the reason is sealed with the record",
            )
        hard = [p for p in refused if not getattr(p, "overridable", False)]
        if hard:
            raise RuleViolation(hard, "这些规则不允许强制入档 (these rules cannot be forced)")
        if not reason.strip():
            raise ValidationFailed([Problem("", "--reason 不能为空 (the reason may not be empty)")])
        rules = sorted({getattr(p, "rule", "") for p in refused})
        forced = f"强制入档理由 (forced): {reason.strip()} [规则: {', '.join(rules)}]"
        return f"{note}；{forced}" if note else forced

    def _check_supersede(self, old_id: str, loaded: list[Loaded]) -> None:
        old = self.get_record_row(old_id)
        if len(loaded) != 1:
            raise ValidationFailed([Problem("", "一次只能更正一份记录 (supersede one record at a time)")])
        new_type = type(loaded[0].obj).__case__.type
        if new_type != old["type"]:
            raise ValidationFailed([Problem("type", f"更正记录须与原记录同类型：原为 {old['type']}，新为 {new_type} (type must match)", file=str(loaded[0].path))])
        if old["origin"] != self.owner_uscc and new_type not in REGISTRY_TYPES:
            raise ValidationFailed([Problem("", f"记录 {old['id']} 来自 {old['origin']}，只有原记录的单位可以更正它"
                                                " (a record may only be corrected by the unit that sealed it)")])
        later = self.catalog.superseded_by(old["id"])
        if later:
            raise ValidationFailed([Problem("", f"记录 {old['id']} 已被 {later} 更正，请更正最新版本 (already superseded; supersede the latest)")])

    @dataclass
    class _Plan:
        row: dict
        files: list[dict]
        status: str
        registry: tuple[str, str, str] | None  # (kind, key, name)
        item: Loaded
        template: dict | None = None
        failed: str | None = None
        stored: list[dict] | None = None

    def _plan(self, item: Loaded, reg: Registry, *, supersedes: str | None, note: str | None):
        obj = item.obj
        meta = meta_of(obj)
        data = dump(obj)
        data_json = canonical(data).decode()
        refs_json = canonical(item.resolved.as_dict() if item.resolved else {}).decode()
        subtype = getattr(obj, "ticket_type", None)
        columns = record_columns(type(obj), data)
        row = {
            "id": ids.new_id(self.clock),
            "type": meta.type,
            "subtype": subtype,
            **columns,
            "data": data_json,
            "refs": refs_json,
            "source_name": item.path.name,
            "origin": self.owner_uscc,
            "supersedes": supersedes,
            "note": note,
            "created_at": self.clock.stamp(),
        }
        registry_entry = None
        status = "added"
        if meta.kind == "registry":
            kind, key = reg.key_of(obj)
            registry_entry = (kind, key, registry_name(data, key))
            current = reg.record_id(kind, key)
            if current is not None:
                old = self.catalog.get_record(current)
                if old["data"] == data_json:
                    row["id"] = current
                    status = "unchanged"
                else:
                    row["supersedes"] = current
                    status = "updated"
        elif supersedes is None:
            existing = self._same_document(row)
            if existing is not None:
                if existing["data"] == data_json:
                    row["id"] = existing["id"]
                    row["title"] = existing["title"]
                    status = "unchanged"
                else:
                    return Problem(
                        meta.number,
                        f"{row['title']} 已在档案中（记录 {existing['id']}），内容不同；更正请用 outsafe case supersede {existing['id']} FILE"
                        f" (already archived with different content; corrections supersede)",
                        file=str(item.path),
                    )
        files = [{"role": "source", "name": item.path.name, "path": item.path}] + item.files
        return self._Plan(row=row, files=files, status=status, registry=registry_entry, item=item)

    def _same_document(self, row: dict) -> dict | None:
        return self.catalog.current_document(row["type"], row["doc_no"], row["enterprise"])

    def _put_blobs(self, plan: "_Plan") -> None:
        """Write the plan's files to the blob store (durable when the caller's batch ends)."""
        stored = []
        for f in plan.files:
            if "data" in f:
                digest = self.blobs.put_bytes(f["data"])
                size = len(f["data"])
            else:
                digest = self.blobs.put_file(f["path"])
                size = f["path"].stat().st_size
            stored.append({
                "role": f["role"],
                "name": f["name"],
                "sha256": digest,
                "size": size,
                "media_type": f.get("media_type") or mimetypes.guess_type(f["name"])[0] or "application/octet-stream",
            })
        plan.stored = stored

    def _store(self, plan: "_Plan", signer: keys.Signer) -> Added:
        """Seal and commit one record: its row, file rows, ledger leaf (and registry) in ONE transaction."""
        if plan.stored is None:
            self._put_blobs(plan)  # outside a batch each blob is fsynced as it is written
        stored = plan.stored
        row = dict(plan.row)
        with self.catalog.transaction():
            idx = self.ledger.next_index()
            stmt = sealing.statement(row, stored, plan.template, idx, signer.fingerprint)
            signature = sealing.seal(signer, stmt)
            row.update(seal=stmt.decode(), signature=signature, signer=signer.fingerprint)
            seq = self.catalog.insert_record(row, stored)
            record_stored(self.catalog, row, seq, self.secret, accepted(row["id"], self.settings))
            self.ledger.append("record_sealed", sealing.leaf_entry(row["id"], stmt, signature, signer.fingerprint),
                               row["created_at"], record_id=row["id"])
            if row.get("supersedes"):
                self.ledger.append("record_superseded", {"record_id": row["supersedes"], "superseded_by": row["id"],
                                                         "note": row.get("note")}, row["created_at"], record_id=row["supersedes"])
            if plan.registry:
                kind, key, name = plan.registry
                self.catalog.put_registry(kind, key, row["id"], name)
                if row.get("supersedes"):
                    drop_moved_entry(self.catalog, self.secret, kind, key, row["supersedes"])
            crash_point("add.before_commit")
        crash_point("add.after_commit")
        return Added(row["id"], row["type"], row["title"], row["source_name"], plan.status, stored)

    def supersede(self, record_id: str, path: Path, *, reason: str, **kw: Any) -> AddReport:
        """``outsafe case supersede``: the case file ``path`` becomes a new record that corrects
        ``record_id`` (a unique prefix will do); nothing is edited. ``kw`` as for :meth:`add_files`."""
        return self.add_files([path], supersedes=self.get_record_row(record_id)["id"], note=reason, **kw)

    def render_preview(self, path: Path, out: Path, *, today: date | None = None, files_root: Path | None = None) -> Path:
        """``outsafe case render``: the document of one case file, written to ``out`` (.docx or
        .pdf), without touching the archive."""
        suffix = out.suffix.lower()
        if suffix not in (".docx", ".pdf"):
            raise ValidationFailed([Problem("", f"输出文件须以 .docx 或 .pdf 结尾 (output must end in .docx or .pdf): {out}")])
        reg = self.registry()
        loaded, problems = self.validate_files([path], today=today, registry=reg, files_root=files_root)
        if any(p.severity == "error" for p in problems) or not loaded:
            raise ValidationFailed(problems)
        plan = self._plan(loaded[0], reg, supersedes=None, note=None)
        if isinstance(plan, Problem):
            plan = self._Plan(row={"title": path.stem, "doc_no": "", "id": "preview"}, files=[], status="added",
                              registry=None, item=loaded[0])
            plan.files = loaded[0].files
        self._render([plan])
        docx = next(f["data"] for f in plan.files if f["role"] == "docx")
        if suffix == ".pdf":
            data = convert_one_fitted(docx, self.settings, expect_text=key_values(plan), tmp_dir=self.home.tmp_dir)[1]
        elif relayable(docx):  # the .docx the archive would seal: laid out again if its seal would stand alone (archive.documents.fit)
            try:
                data = convert_one_fitted(docx, self.settings, expect_text=key_values(plan), tmp_dir=self.home.tmp_dir)[0]
            except ConversionError:
                data = docx  # (no LibreOffice here: the .docx as rendered)
        else:
            data = docx
        atomic_write(out, data, mode=0o644)
        return out

    # --- reading ----------------------------------------------------------------------------

    def get_record_row(self, record_id: str) -> dict:
        row = self.catalog.get_record(record_id)
        if row is None:
            matches = self.catalog.find_record_ids(record_id.upper(), limit=3) if len(record_id) >= 6 else []
            if len(matches) == 1:
                row = self.catalog.get_record(matches[0])
            elif len(matches) > 1:
                raise NotFound(f"记录编号前缀 {record_id} 不唯一 (ambiguous id prefix): {', '.join(matches)}")
        if row is None:
            raise NotFound(f"没有记录 {record_id} (no such record)", hint="list records with `outsafe case list`")
        return row

    def record_class(self, row: dict) -> type:
        if row["type"] == "work_ticket":
            return TICKET_CLASSES[row["subtype"]]
        return TYPES[row["type"]]

    def load_record(self, row: dict) -> Any:
        """The record's object as sealed (no validator runs: a record sealed under older rules
        loads; ``outsafe verify --lint`` says what today's rules think of it)."""
        return self.sealed.load(row)

    def load_record_validated(self, row: dict) -> Any:
        """The record's object through today's schema (raises when today's rules refuse it): the
        straightforward loading the views used before, kept for comparisons."""
        return schema_for(self.record_class(row))().load(json.loads(row["data"]))

    def summary(self, row: dict, *, current: bool = False) -> dict:
        """A record's row as listings show it; ``current``: the caller knows no record supersedes
        it (a listing of current records), so the catalog is not asked again for each row."""
        return {
            "id": row["id"],
            "type": row["type"],
            "ticket_type": row["subtype"],
            "title": row["title"],
            "doc_no": row["doc_no"],
            "date": row["doc_date"],
            "enterprise": row["enterprise"],
            "contractor": row["contractor"],
            "project": row["project"],
            "created_at": row["created_at"],
            "supersedes": row["supersedes"],
            "superseded_by": None if current else self.catalog.superseded_by(row["id"]),
            "origin": row["origin"],
        }

    def show_record(self, record_id: str) -> dict:
        row = self.get_record_row(record_id)
        cls = self.record_class(row)
        out = self.summary(row)
        out["data"] = mask_record(json.loads(row["data"]), cls)
        out["refs"] = mask_refs(json.loads(row["refs"]))
        out["files"] = [
            {k: f[k] for k in ("role", "name", "sha256", "size", "media_type")} for f in self.catalog.record_files(row["id"])
        ]
        out["note"] = row["note"]
        out["source_name"] = row["source_name"]
        return out

    def list_records(
        self,
        *,
        types: Sequence[str] = (),
        ticket_type: str | None = None,
        contractor: str | None = None,
        enterprise: str | None = None,
        project: str | None = None,
        since: str | None = None,
        until: str | None = None,
        include_superseded: bool = False,
        include_registry: bool = False,
    ) -> list[dict]:
        if not types and not include_registry:
            types = [t for t in TYPES if t not in REGISTRY_TYPES]
        rows = self.catalog.list_records(
            types=types, subtype=ticket_type, contractor=contractor, enterprise=enterprise, project=project,
            since=since, until=until, current_only=not include_superseded,
        )
        return [self.summary(r, current=not include_superseded) for r in rows]

    def list_registry(self, kind: str) -> list[dict]:
        out = []
        cls = TYPES[kind]
        for r in self.catalog.list_registry(kind):
            rec = self.catalog.get_record(r["record_id"])
            data = mask_record(json.loads(rec["data"]), cls)
            out.append({"record_id": r["record_id"], **data})
        return out

    def organizations(self, role: str | None = None) -> Table:
        rows = [r for r in self.list_registry("organization") if role is None or r["role"] == role]
        return Table(rows, [("uscc", "统一社会信用代码"), ("name", "名称"), ("role", "角色"), ("industry", "行业")])

    def people(self, employer: str | None = None) -> Table:
        rows = [r for r in self.list_registry("person") if employer is None or r["employer"] == employer]
        for r in rows:
            r["certificates_summary"] = "；".join(f"{c['category']}至{c['expires']}" for c in r.get("certificates", []))
        return Table(rows, [("name", "姓名"), ("id_number", "身份证号"), ("employer", "单位"), ("roles", "岗位"),
                            ("certificates_summary", "证书")])

    def projects(self, contractor: str | None = None, enterprise: str | None = None) -> Table:
        rows = [r for r in self.list_registry("project")
                if (contractor is None or r["contractor"] == contractor) and (enterprise is None or r["enterprise"] == enterprise)]
        for r in rows:
            r["period_text"] = f"{r['period']['start']}～{r['period']['end']}"
        return Table(rows, [("code", "编号"), ("name", "名称"), ("enterprise", "发包单位"), ("contractor", "承包单位"),
                            ("period_text", "工期")])

    def records(self, **kw: Any) -> Table:
        """:meth:`list_records` as a listing."""
        return Table(self.list_records(**kw), [("id", "记录"), ("title", "文书"), ("date", "日期"), ("contractor", "承包单位"),
                                               ("project", "项目")])

    def settings_table(self) -> Table:
        return Table(self.settings.describe(), [("name", "setting"), ("value", "value"), ("doc", "说明"), ("source", "来源")])

    def record_sheet(self, record_id: str) -> "RecordSheet":
        return RecordSheet(self.show_record(record_id))

    def organization_sheet(self, uscc: str) -> "OrganizationSheet":
        return OrganizationSheet(self.organization(uscc))

    def key_info(self) -> "KeyInfo":
        public = self.public_key()
        return KeyInfo(self.owner_uscc, self.owner_name, keys.fingerprint(public), keys.public_pem(public), self.key_insecure)

    def organization(self, uscc: str) -> dict:
        reg = self.catalog.get_registry("organization", uscc)
        if reg is None:
            raise NotFound(f"单位 {uscc} 未登记 (organization not registered)", hint="list them with `outsafe org list`")
        rec = self.catalog.get_record(reg["record_id"])
        data = json.loads(rec["data"])
        data["record_id"] = rec["id"]
        data["projects"] = [
            json.loads(self.catalog.get_record(r["record_id"])["data"])
            for r in self.catalog.list_registry("project")
            if r["key"].startswith(uscc + "/") or json.loads(self.catalog.get_record(r["record_id"])["data"]).get("contractor") == uscc
        ]
        data["people"] = [
            mask_record(json.loads(self.catalog.get_record(r["record_id"])["data"]), Person)
            for r in self.catalog.list_registry("person")
            if json.loads(self.catalog.get_record(r["record_id"])["data"]).get("employer") == uscc
        ]
        return data


# --- what the front ends show ---------------------------------------------------------------------


@dataclass
class Created:
    """``outsafe init``: the new archive, its owner and key."""

    archive: Archive

    def as_dict(self) -> dict:
        a = self.archive
        return {
            "home": str(a.home.root),
            "owner": a.owner_uscc,
            "name": a.owner_name,
            "key_fingerprint": a.signer().fingerprint,
            "key_insecure": a.key_insecure,
            "search_engine": a.catalog.get_meta("search_engine"),
            "catalog": public_location(a.catalog.location),
            "blobs": a.blobs.location,
        }

    def as_text(self) -> list[str]:
        info = self.as_dict()
        out = [f"已创建档案 (archive created): {info['home']}", f"所有者 (owner): {info['name']} {info['owner']}",
               f"签名公钥指纹 (key fingerprint): {info['key_fingerprint']}"]
        return out + ([Note(keys.INSECURE_WARNING)] if info["key_insecure"] else [])


def create_archive(root: Path | None, org_file: Path, **kw: Any) -> Created:
    """``outsafe init``: :meth:`Archive.create` (same arguments), as a result to show."""
    return Created(Archive.create(root, org_file, **kw))


@dataclass
class KeyInfo:
    """``outsafe keys show``: the owner's signing key."""

    owner: str
    name: str
    fingerprint: str
    public_key: str
    insecure: bool

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def as_text(self) -> list[str]:
        out = [f"所有者 (owner): {self.name} {self.owner}", f"指纹 (fingerprint, sha256 of the raw public key): {self.fingerprint}",
               self.public_key.rstrip()]
        return out + ([Note(keys.INSECURE_WARNING)] if self.insecure else [])


@dataclass
class RecordSheet:
    """``outsafe case show``: one record (身份证号 masked), its files and history."""

    record: dict

    def as_dict(self) -> dict:
        return self.record

    def as_text(self) -> list[str]:
        rec = self.record
        out = [f"{rec['title']}",
               f"  记录 id: {rec['id']}   类型: {rec['type']}{('/' + rec['ticket_type']) if rec['ticket_type'] else ''}",
               f"  日期: {rec['date']}   入档: {rec['created_at']}   来源文件: {rec['source_name']}"]
        if rec["supersedes"]:
            out.append(f"  更正了 (supersedes): {rec['supersedes']}   理由: {rec['note']}")
        if rec["superseded_by"]:
            out.append(f"  已被更正 (superseded by): {rec['superseded_by']}")
        out.append("文件 (files):")
        out += table(rec["files"], [("role", "用途"), ("name", "文件名"), ("size", "字节"), ("sha256", "sha256")])
        out.append("内容 (data):")
        out.append(json.dumps(rec["data"], ensure_ascii=False, indent=2))
        return out


@dataclass
class OrganizationSheet:
    """``outsafe org show``: one organization, its qualifications, projects and people."""

    data: dict

    def as_dict(self) -> dict:
        return self.data

    def as_text(self) -> list[str]:
        data = self.data
        out = [f"{data['name']}  {data['uscc']}  ({data['role']})"]
        for k, label in (("address", "地址"), ("legal_representative", "法定代表人"), ("principal_person", "主要负责人"), ("phone", "电话")):
            if data.get(k):
                out.append(f"  {label}: {data[k]}")
        if data.get("qualifications"):
            out.append("资质与许可 (qualifications):")
            out += table(data["qualifications"], [("kind", "类别"), ("number", "编号"), ("scope", "范围"), ("valid_to", "有效期至")])
        if data.get("projects"):
            out.append("项目 (projects):")
            out += table(data["projects"], [("code", "编号"), ("name", "名称"), ("contractor", "承包单位")])
        if data.get("people"):
            out.append("人员 (people):")
            out += table(data["people"], [("name", "姓名"), ("id_number", "身份证号"), ("roles", "岗位")])
        return out


def migrate_archive(
    root: Path | None,
    to: str,
    blobs_to: str | None = None,
    *,
    passphrase: keys.PassphraseProvider = keys.env_passphrase,
    clock: Clock = SYSTEM,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
) -> Any:
    """``outsafe migrate``: copy the archive at ``root`` to the catalog ``to`` and the blob store
    ``blobs_to`` (default: the blobs stay), verified on both sides, and switch the home to them
    (:mod:`archive.integrity.migrate`); then this home's search index is built for the new catalog."""
    from archive.integrity import migrate  # lazy: only this command needs it

    home = ArchiveHome(Path(root) if root else default_home())
    archive = Archive.open(home.root, passphrase=passphrase, clock=clock)
    try:
        target_catalog = migrate.catalog_target(home, to)
        target_blobs = migrate.blobs_target(home, blobs_to, archive.blobs.location)
        if target_catalog == home.locations().catalog:
            raise StorageError(f"目录已在 {public_location(target_catalog)} (the catalog is there already)",
                               hint="--to names where the catalog goes: another postgresql:// database, or sqlite")
        with archive.writing("migrate", notify):
            result = migrate.copy_archive(archive, target_catalog, target_blobs, progress)
    finally:
        archive.close()
    moved = Archive.open(home.root, passphrase=passphrase, clock=clock)
    try:
        moved.after_write(notify=notify)
    finally:
        moved.close()
    return result


def _empty_server_catalog(url: str) -> Catalog:
    """The PostgreSQL catalog at ``url`` for a new archive: it must hold no records (a schema left
    by an ``init`` that failed half-way is taken over)."""
    catalog = open_catalog(url, create=True)
    try:
        if catalog.version > catalog.latest_version:
            catalog.migrate()  # refused: newer than this program
        if catalog.version and catalog.count_records():
            raise StorageError(
                f"目录数据库中已有档案 (the catalog already holds an archive): {catalog.get_meta('owner_name') or ''} "
                f"{catalog.get_meta('owner_uscc') or ''}".rstrip(),
                hint="为新档案使用空的数据库或模式 (use an empty database or schema for a new archive)",
            )
    except BaseException:
        catalog.close()
        raise
    return catalog


def labelled(data: Any, cls: type | None, orgs: dict | None = None) -> list[dict]:
    """A record's (masked) data as labelled fields for people: ``{"label", "value"}``, or
    ``{"label", "children"}`` for a nested object, or ``{"label", "items"}`` for a list of them;
    labels from the schema (Chinese), organizations shown with their names."""
    orgs = orgs or {}
    infos = {i.name: i for i in field_infos(cls)} if isinstance(cls, type) and dataclasses.is_dataclass(cls) else {}
    out: list[dict] = []
    data = data or {}
    for key in [k for k in infos if k in data] + [k for k in data if k not in infos]:  # the schema's order
        value = data[key]
        if value is None or value == "" or value == [] or value == {}:
            continue
        info = infos.get(key)
        label = (info.spec.label if info else "") or key
        target = (info.item if info.is_list else info.type) if info else None
        if isinstance(value, dict):
            out.append({"label": label, "children": labelled(value, target, orgs)})
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            out.append({"label": label, "items": [labelled(v, target, orgs) for v in value]})
        else:
            values = value if isinstance(value, list) else [value]
            out.append({"label": label, "value": "、".join(_shown(v, orgs, key) for v in values)})
    return out


def _shown(value: Any, orgs: dict, key: str = "") -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in ("ticket_type", "dangerous_work") and value in TICKET_TYPE_NAMES:
        return f"{TICKET_TYPE_NAMES[value]}（{value}）"
    if isinstance(value, str) and value in orgs and orgs[value].get("name"):
        return f"{orgs[value]['name']}（{value}）"
    return str(value)


@dataclass
class RecordView:
    """One record as a person opens it (the web's record page): its masked data with labels, its
    files, its history, its seal checked now (who sealed it, when; verified by whom, when) and
    where it sits in a signed ledger."""

    record: dict  # :meth:`Archive.show_record`
    fields: list[dict]
    history: list[dict]  # the records it supersedes, oldest first, and the one that supersedes it
    seal: dict
    inclusion: dict | None
    lint: dict = dataclasses.field(default_factory=lambda: {"state": "unjudged", "problems": []})  # what today's rules say of it

    def as_dict(self) -> dict:
        return {**self.record, "history": self.history, "seal_check": self.seal, "inclusion": self.inclusion, "lint": self.lint}

    def as_text(self) -> list[str]:
        s = self.seal
        out = RecordSheet(self.record).as_text()
        out.append(f"封签 (seal): {'有效 valid' if s['ok'] else '无效 INVALID'} — {s['signer_name']}（{s['signer']}）"
                   f" 于 {s['sealed_at']} 封签；{s['verified_by']} 于 {s['verified_at']} 核验")
        out += [Note(f) for f in s["failures"]]
        if self.inclusion:
            i = self.inclusion
            out.append(f"账本 (ledger): {i['origin']} 第 {i['leaf_index']} 条 / 共 {i['tree_size']} 条，"
                       f"{'包含证明成立' if i['verified'] else '包含证明不成立'}")
        return out


def record_view(archive: Archive, scope: Any, record_id: str) -> RecordView:
    """The record ``record_id`` if ``scope`` (archive.access.scope.Scope) allows it — else the same
    NotFound as for an id that does not exist — with its seal verified now."""
    row = scope.record(archive, record_id)
    rec = archive.show_record(row["id"])
    history = []
    older = row.get("supersedes")
    while older:
        old = archive.catalog.get_record(older)
        if old is None:
            break
        history.insert(0, {"id": old["id"], "title": old["title"], "created_at": old["created_at"], "relation": "supersedes",
                           "visible": scope.allows(old)})
        older = old.get("supersedes")
    if rec["superseded_by"]:
        newer = archive.catalog.get_record(rec["superseded_by"])
        history.append({"id": newer["id"], "title": newer["title"], "created_at": newer["created_at"], "relation": "superseded_by",
                        "visible": scope.allows(newer)})
    rep = verify_archive(archive, record_id=row["id"])
    signer_org = archive.catalog.get_registry("organization", row["origin"])
    seal = {
        "ok": rep.ok, "failures": rep.failures, "warnings": rep.warnings, "files": rep.files,
        "signer": row["origin"], "signer_name": signer_org["name"] if signer_org else row["origin"], "fingerprint": row["signer"],
        "sealed_at": row["created_at"], "verified_at": archive.clock.stamp(),
        "verified_by": f"{archive.owner_name}（{archive.owner_uscc}）档案",
    }
    refs = rec.get("refs") or {}
    fields = labelled(rec["data"], archive.record_class(row), refs.get("organizations"))
    return RecordView(rec, fields, history, seal, record_inclusion(archive, row), lint_verdict(archive, row["id"]))


def lint_verdict(archive: Archive, record_id: str) -> dict:
    """What today's rules say of the sealed record (archive.facts.lint): ``state`` accepted,
    refused (with ``problems``: which field, which rule) or unjudged (judged by other rules, or not
    yet) — the seal stays valid either way."""
    refused, unjudged = archive.catalog.facts.lint_verdicts([record_id], fingerprint(archive.settings))
    if unjudged:
        return {"state": "unjudged", "problems": []}
    if refused:
        return {"state": "refused", "problems": json.loads(refused[0]["problems"])}
    return {"state": "accepted", "problems": []}


def _remove_new_home(root: Path, created_root: bool) -> None:
    """Undo a failed ``init``: remove what it created (only files outsafe makes)."""
    if created_root:
        shutil.rmtree(root, ignore_errors=True)
        return
    for name in ("outsafe.toml", "catalog.sqlite3", "catalog.sqlite3-wal", "catalog.sqlite3-shm", "lock"):
        (root / name).unlink(missing_ok=True)
    for sub in ("blobs", "keys", "index", "templates", "tmp"):
        shutil.rmtree(root / sub, ignore_errors=True)


# --- reading and validating files without an archive ------------------------------------------------


def _read_and_load(path: Path, ctx: RuleContext, *, expect: type | None = None) -> LoadResult:
    try:
        raw = read_case_file(path)
    except FileProblem as e:
        return LoadResult(None, [e.problem])
    return load(raw, ctx, file=str(path), expect=expect)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expand to their *.yaml, *.yml and *.json files, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(x for x in p.rglob("*") if x.suffix.lower() in (".yaml", ".yml", ".json") and x.is_file()))
        else:
            out.append(p)
    return out


def validate_paths(
    paths: Sequence[Path], ctx: RuleContext, *, expect: type | None = None, files_root: Path | None = None
) -> tuple[list[Loaded], list[Problem]]:
    """Read and validate every file (folders expand to their case files); the files each names
    (photos, drawings) must lie inside its folder or inside ``files_root``."""
    loaded: list[Loaded] = []
    problems: list[Problem] = []
    for path in expand_paths(paths):
        result = _read_and_load(path, ctx, expect=expect)
        problems.extend(result.problems)
        if result.ok:
            item = Loaded(path=path, obj=result.obj, raw={}, warnings=[p for p in result.problems if p.severity == "warning"])
            item.files, more = attachments(result.obj, path, files_root)
            problems.extend(more)
            if not more:
                loaded.append(item)
    if not paths:
        problems.append(Problem("", "没有给出文件 (no files given)"))
    return loaded, problems


def attachments(obj: Any, path: Path, files_root: Path | None = None) -> tuple[list[dict], list[Problem]]:
    """The images named in a case file (photos, drawings, captured signatures, at any depth),
    checked: each must be a file inside the case file's folder (or inside ``files_root``, e.g. a
    shared photo folder given with ``--files-root``) — a name climbing out with ``..``, an absolute
    path elsewhere or a symbolic link pointing outside is refused — and a real JPEG or PNG of sane
    pixel size (archive.documents.images). Each file is stored once however often it is named."""
    files, problems = [], []
    seen: set[str] = set()
    roots = [path.parent.resolve()] + ([Path(files_root).resolve()] if files_root else [])
    for at, ref in image_refs(obj):
        p = Path(ref)
        p = (p if p.is_absolute() else path.parent / p)
        try:
            real = p.resolve(strict=True)
        except (OSError, RuntimeError):
            problems.append(Problem(at, f"图片文件不存在 (file not found): {ref}", file=str(path)))
            continue
        if not any(real.is_relative_to(r) for r in roots):
            problems.append(Problem(
                at, f"文件不在案卷文件所在目录内，已拒绝 (file outside the case file's folder): {ref}"
                "；如照片在别处，用 --files-root 指明其目录 (name its folder with --files-root)", file=str(path)))
            continue
        if not real.is_file():
            problems.append(Problem(at, f"不是普通文件 (not a regular file): {ref}", file=str(path)))
            continue
        try:
            info = inspect_image(real)
        except ImageProblem as e:
            problems.append(Problem(at, f"{e}: {ref}", file=str(path)))
            continue
        except OSError as e:
            problems.append(Problem(at, f"无法读取 (cannot read: {e.strerror}): {ref}", file=str(path)))
            continue
        if ref in seen:
            continue
        seen.add(ref)
        files.append({"role": "photo", "name": real.name, "path": real, "media_type": info.media_type, "ref": ref})
    return files, problems


@dataclass
class ValidationReport:
    files: list[dict]
    problems: list[Problem]
    references_checked: bool

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def exit_code(self) -> int:
        return ExitCode.OK if self.ok else ExitCode.BAD_INPUT

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "references_checked": self.references_checked,
            "files": self.files,
            "problems": [p.as_dict() for p in self.problems],
        }

    def as_text(self) -> list[str]:
        out = [f"{'✓' if f['ok'] else '✗'} {f['file']}  {f.get('title', '')}" for f in self.files] + problem_notes(self.problems)
        if not self.references_checked:
            out.append(Note("（未打开档案，未核对引用的单位、人员、项目 / references not checked: no archive）"))
        return out


def validate_only(
    paths: Sequence[Path], *, home: Path | None = None, today: date | None = None, clock: Clock = SYSTEM,
    files_root: Path | None = None,
) -> ValidationReport:
    """``outsafe case validate``: inside an archive, references are resolved too; never writes.
    ``today`` (default: ``clock``'s) is the day the files are judged on."""
    root = ArchiveHome(Path(home) if home else default_home())
    if root.exists():
        archive = Archive.open(root.root, clock=clock)
        try:
            loaded, problems = archive.dry_run(paths, today=today, files_root=files_root)
        finally:
            archive.close()
        checked = True
    else:
        loaded, problems = validate_paths(paths, RuleContext(Settings(), today or clock.today(), None), files_root=files_root)
        checked = False
    good = {str(item.path): item for item in loaded}
    bad_files = {p.file for p in problems if p.severity == "error"}
    files = []
    for path in expand_paths(paths):
        item = good.get(str(path))
        entry: dict[str, Any] = {"file": str(path), "ok": str(path) not in bad_files and item is not None}
        if item is not None:
            entry["type"] = meta_of(item.obj).type
            entry["title"] = f"{record_label(item.obj)} {_dotted(item.obj, meta_of(item.obj).number) or ''}".strip()
        files.append(entry)
    return ValidationReport(files, problems, checked)
