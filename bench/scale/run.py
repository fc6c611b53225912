"""Benchmark: the catalog at scale, SQLite and PostgreSQL side by side (issue 17, item 6). Not a test.

    .venv/bin/python bench/scale/run.py --sizes 100000 1000000 --runs 5 --out bench/scale/RESULTS.md

One run builds two archives of the same synthetic district — one with the default SQLite catalog,
one with its catalog on PostgreSQL (a cluster of its own, started here, durable: fsync and
synchronous commit on) — grows both to each size in turn and times, on each, at each size:

* add a record: what ``outsafe case add`` does per record after rendering — the archive lock,
  blobs, seal, one catalog transaction (record, files, ledger leaf) — and, separately, the signed
  checkpoint after a batch (a Merkle root over every leaf);
* list a contractor's records: ``Archive.list_records(contractor=…)`` (``outsafe case list``);
* check over an enterprise: the engine's own call, ``check_archive(archive, enterprise=…)`` (up to
  --full-check-upto records: it loads every current record with its schema), and the catalog's
  share of it — reading every current record (in chunks; at 10^6 records of ~10 KB they do not
  fit in memory at once, as the engine's single ``list_records(current_only=True)`` would need);
* import a 1,000-record package: ``import_package`` of a real signed package from another
  archive (verified, then one transaction);
* concurrent writers: 1, 2 and 4 processes adding records to the PostgreSQL archive at once
  (records per second, all writers together) against one writer on the SQLite archive — through
  the engine (archive lock per record) and through the catalog alone (transaction lock only).

The records: the example case files of examples/ cloned with fresh numbers and spread over
synthetic enterprises and contractors (valid USCCs), stored through the real storage interfaces in
bulk — ``Archive._plan``/``_put_blobs``/``_store`` (seal, Ed25519 signature, ledger leaf, registry)
with a thousand records per transaction and small files (the source YAML and a unique ~1 KB
document per record, in one blob folder both archives share) — instead of rendering each one.
Medians of --runs; the table and the exact command go to --out.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import zlib
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OUTSAFE_PASSPHRASE", "bench-passphrase")

import yaml  # noqa: E402

from archive import ids  # noqa: E402
from archive.app import Archive, Loaded, validate_paths  # noqa: E402
from archive.checks.rules import check_archive  # noqa: E402
from archive.integrity import keys  # noqa: E402
from archive.integrity.trust import trust_organization  # noqa: E402
from archive.packages.export import export_package  # noqa: E402
from archive.packages.importer import import_package  # noqa: E402
from archive.registry import resolve  # noqa: E402
from schemas import meta_of  # noqa: E402
from schemas.base import RuleContext, dump, schema_for  # noqa: E402
from schemas.identifiers import make_uscc  # noqa: E402
from tests.services import PostgresCluster  # noqa: E402

EX = ROOT / "examples"
AS_OF = date(2026, 11, 29)
WEIGHTS = {"work_ticket": 50, "training_record": 25, "safety_agreement": 5, "outsourcing_contract": 5,
           "hazard": 4, "contractor_inspection": 3, "quarterly_assessment": 3, "equipment": 2,
           "inspection_record": 1, "rectification_order": 1, "rectification_review": 1}
CHUNK = 1000  # records per transaction while generating
PACKAGE = 1000  # records per imported package


# --- the synthetic district --------------------------------------------------------------------------


class District:
    """Synthetic enterprises and contractors (valid USCCs) and the example cases to clone."""

    def __init__(self, n: int, seed: int = 17) -> None:
        self.rnd = random.Random(seed)
        self.enterprises = [self._uscc() for _ in range(max(5, n // 400))]
        self.contractors = [self._uscc() for _ in range(max(15, n // 120))]
        self.serial = 0
        self.used: dict[str, None] = {}  # contractors some generated record names, in first-use order

    def _uscc(self) -> str:
        return make_uscc("91370" + "".join(self.rnd.choice("0123456789") for _ in range(3)) + "MA"
                         + "".join(self.rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7)))

    def grow(self, n: int) -> None:
        """More enterprises and contractors as the archive grows (the proportions of a district)."""
        while len(self.enterprises) < max(5, n // 400):
            self.enterprises.append(self._uscc())
        while len(self.contractors) < max(15, n // 120):
            self.contractors.append(self._uscc())


def examples(a: Archive) -> tuple[dict[str, list[Loaded]], list[Loaded]]:
    """The example cases (resolved against ``a``'s registry) by type, and the organizations."""
    reg = a.registry()
    ctx = RuleContext(a.settings, AS_OF, reg)
    loaded, problems = validate_paths([EX / "cases"], ctx)
    assert not [p for p in problems if p.severity == "error"], problems[:3]
    by_type: dict[str, list[Loaded]] = {}
    for item in loaded:
        item.resolved, more = resolve(item.obj, reg, file=str(item.path))
        assert not more, more
        probe = clone(item, fresh_number(getattr(item.obj, meta_of(item.obj).number), "X", 1), enterprise=make_uscc("91370100MA0000000"),
                      contractor=make_uscc("91370100MA0000001"))
        try:  # a clone must load as the checks load it
            schema_for(type(probe.obj))().load(json.loads(json.dumps(dump(probe.obj), default=str)))
        except Exception as e:  # noqa: BLE001
            print(f"  (left out: {item.path.name}: {str(e)[:120]})", file=sys.stderr)
            continue
        by_type.setdefault(meta_of(item.obj).type, []).append(item)
    orgs, problems = validate_paths([EX / "organizations"], ctx)
    return by_type, orgs


def new_archive(home: Path, *, catalog_url: str | None, blobs: Path) -> Archive:
    a = Archive.create(home, EX / "organizations" / "enterprise.yaml", pdf=False, search_engine="tantivy",
                       catalog_url=catalog_url, blobs_url=str(blobs))
    for folder in ("organizations", "persons", "projects"):
        a.add_files([EX / folder], pdf=False)
    return a


def clone(base: Loaded, number: str, *, enterprise: str | None = None, contractor: str | None = None) -> Loaded:
    obj, meta = base.obj, meta_of(base.obj)
    names = {f.name for f in dataclasses.fields(obj)}
    changes = {meta.number: number}
    if enterprise and "enterprise" in names and getattr(obj, "enterprise", None):
        changes["enterprise"] = enterprise
    if contractor and "contractor" in names and getattr(obj, "contractor", None):
        changes["contractor"] = contractor
    out = Loaded(path=base.path, obj=dataclasses.replace(obj, **changes), raw={}, warnings=[], resolved=base.resolved, files=[])
    out.base = base  # type: ignore[attr-defined]  # what ClonePlanner reuses
    return out


def fresh_number(number: str, tag: str, serial: int) -> str:
    """A new number of the same form: an official 文书号 (（高新）应急责改〔2026〕12号) keeps its form
    with a new sequence number; other numbers get a suffix."""
    if re.search(r"〔\d{4}〕\d+号$", number):  # the tag becomes digits in front of the serial
        n = f"{zlib.crc32(tag.encode()) % 10**6}{serial:07d}"
        return re.sub(r"〔(\d{4})〕\d+号$", lambda m: f"〔{m.group(1)}〕{int(n)}号", number)
    return f"{number}-{tag}{serial:07d}"


def case_clones(by_type: dict[str, list[Loaded]], world: District, count: int, tag: str) -> list[Loaded]:
    types = [t for t in WEIGHTS if t in by_type]
    weights = [WEIGHTS[t] for t in types]
    out = []
    for _ in range(count):
        world.serial += 1
        base = world.rnd.choice(by_type[world.rnd.choices(types, weights)[0]])
        number = fresh_number(getattr(base.obj, meta_of(base.obj).number), tag, world.serial)
        contractor = world.rnd.choice(world.contractors)
        world.used.setdefault(contractor)
        out.append(clone(base, number, enterprise=world.rnd.choice(world.enterprises), contractor=contractor))
    return out


def org_clones(orgs: list[Loaded], usccs: list[str], role: str) -> list[Loaded]:
    base = next(o for o in orgs if o.obj.role == role)
    out = []
    for n, u in enumerate(usccs):
        obj = dataclasses.replace(base.obj, uscc=u, name=f"{base.obj.name[:-6]}{n:05d}号有限公司", public_key=None,
                                  key_fingerprint=None)
        out.append(Loaded(path=base.path, obj=obj, raw={}, warnings=[], resolved=base.resolved, files=[]))
    return out


# --- the bulk path -----------------------------------------------------------------------------------


class ClonePlanner:
    """``Archive._plan`` for clones of already validated examples, without re-serialising each
    through marshmallow: the example's sealed data with the new number and parties put in (the
    same values ``_plan`` would derive), its resolved references serialised once."""

    def __init__(self, a: Archive) -> None:
        self.a = a
        self.cache: dict[int, tuple[dict, str]] = {}

    def plan(self, item: Loaded, base: Loaded):
        from archive.app import canonical
        from schemas.columns import record_columns

        key = id(base)
        if key not in self.cache:
            self.cache[key] = (json.loads(canonical(dump(base.obj))), canonical(base.resolved.as_dict()).decode())
        base_data, refs = self.cache[key]
        meta = meta_of(item.obj)
        data = dict(base_data)
        data[meta.number] = getattr(item.obj, meta.number)
        for f in ("enterprise", "contractor"):
            if f in data and getattr(item.obj, f, None):
                data[f] = getattr(item.obj, f)
        row = {"id": ids.new_id(self.a.clock), "type": meta.type, "subtype": getattr(item.obj, "ticket_type", None),
               **record_columns(type(item.obj), data), "data": canonical(data).decode(), "refs": refs,
               "source_name": item.path.name, "origin": self.a.owner_uscc, "supersedes": None, "note": None,
               "created_at": self.a.clock.stamp()}
        files = [{"role": "source", "name": item.path.name, "path": item.path}]
        return Archive._Plan(row=row, files=files, status="added", registry=None, item=item)


def store(a: Archive, items: list[Loaded]) -> None:
    """The bulk path: plan (columns; clones of examples through :class:`ClonePlanner`, registry
    records through ``Archive._plan``), blobs (source + a unique small document), seal and store
    through ``Archive._store`` (statement, Ed25519 signature, record, files, ledger leaf, registry)
    — CHUNK records per catalog transaction, one checkpoint at the end."""
    reg, signer = a.registry(), a.signer()
    planner = ClonePlanner(a)
    _store_all(a, items, reg, signer, planner)


def _store_all(a: Archive, items: list[Loaded], reg, signer, planner: "ClonePlanner") -> None:
    with a.writing("bench build"):
        for lo in range(0, len(items), CHUNK):
            plans = [planner.plan(item, item.base) if getattr(item, "base", None) else a._plan(item, reg, supersedes=None, note=None)
                     for item in items[lo: lo + CHUNK]]
            for p in plans:
                p.template = {"id": p.row["type"], "version": "bench", "sha256": "0" * 64}
                p.files.append({"role": "docx", "name": f"{p.row['doc_no'] or p.row['id']}.docx", "media_type": "application/zip",
                                "data": p.row["data"].encode()})
            with a.blobs.batch():
                for p in plans:
                    a._put_blobs(p)
            with a.catalog.transaction():
                for p in plans:
                    a._store(p, signer)
        a.checkpoint(signer)


def grow(a: Archive, by_type, orgs, world: District, target: int, tag: str) -> float:
    """Generate records until ``target`` (records made by the operations — adds, imports — are
    counted too: the archive holds ``target`` records or a few more)."""
    t = time.perf_counter()
    have = a.catalog.count_records()
    registered = {r["key"] for r in a.catalog.list_registry("organization")}
    new_orgs = org_clones(orgs, [u for u in world.enterprises if u not in registered], "enterprise") \
        + org_clones(orgs, [u for u in world.contractors if u not in registered], "contractor")
    store(a, new_orgs)
    have += len(new_orgs)
    while have < target:
        batch = case_clones(by_type, world, min(50_000, target - have), tag)
        store(a, batch)
        have += len(batch)
        print(f"    {tag}: {have:,} records ({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
    return time.perf_counter() - t


# --- the operations ----------------------------------------------------------------------------------


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def op_add(a: Archive, by_type, world: District, runs: int) -> dict:
    """Add one record as ``case add`` does after rendering; then the batch's signed checkpoint."""
    signer, adds, checkpoints = a.signer(), [], []
    for item in case_clones(by_type, world, runs, "A"):
        t = time.perf_counter()
        with a.writing("bench add"):
            reg = a.registry()
            plan = a._plan(item, reg, supersedes=None, note=None)
            plan.template = {"id": plan.row["type"], "version": "bench", "sha256": "0" * 64}
            plan.files.append({"role": "docx", "name": "x.docx", "media_type": "application/zip", "data": plan.row["data"].encode()})
            a._store(plan, signer)
            t_store = time.perf_counter() - t
            a.checkpoint(signer)
        adds.append(t_store)
        checkpoints.append(time.perf_counter() - t - t_store)
    return {"add_ms": median_ms(adds), "checkpoint_ms": median_ms(checkpoints)}


def op_list(a: Archive, world: District, runs: int) -> dict:
    times, sizes = [], []
    for c in random.Random(3).sample(list(world.used), runs):
        t = time.perf_counter()
        rows = a.list_records(contractor=c)
        times.append(time.perf_counter() - t)
        sizes.append(len(rows))
    return {"list_ms": median_ms(times), "list_rows": statistics.median(sizes)}


def read_current(catalog) -> int:
    """Every current record, read in chunks (what a check over the whole archive has to read;
    the engine's check asks ``list_records(current_only=True)`` for all of them at once, which at
    10^6 records of ~10 KB each does not fit in memory)."""
    superseded = catalog.superseded_ids()
    n, after = 0, 0
    while rows := catalog.records_after(after, limit=5000):
        n += sum(1 for r in rows if r["id"] not in superseded)
        after = rows[-1]["seq"]
    return n


def op_check(a: Archive, world: District, runs: int, full_runs: int) -> dict:
    catalog_times, check_times = [], []
    for n, e in enumerate(random.Random(5).sample(world.enterprises, runs)):
        t = time.perf_counter()
        read_current(a.catalog)
        catalog_times.append(time.perf_counter() - t)
        if n < full_runs:
            t = time.perf_counter()
            check_archive(a, enterprise=e, as_of=AS_OF)
            check_times.append(time.perf_counter() - t)
    out = {"check_catalog_ms": median_ms(catalog_times)}
    if check_times:
        out["check_ms"] = median_ms(check_times)
    return out


def make_packages(work: Path, by_type, count: int, world: District) -> list[dict]:
    """``count`` packages of PACKAGE records, each exported by an archive of its own (another
    enterprise, with its own key)."""
    out = []
    base_org = yaml.safe_load((EX / "organizations" / "enterprise.yaml").read_text(encoding="utf-8"))
    for k in range(count):
        folder = work / f"source-{k}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        org = dict(base_org, uscc=world._uscc(), name=f"济南报送测试{k}号机械有限公司")
        org.pop("public_key", None)
        org.pop("key_fingerprint", None)
        org_file = folder / "org.yaml"
        org_file.write_text(yaml.safe_dump(org, allow_unicode=True), encoding="utf-8")
        src = Archive.create(folder / "home", org_file, pdf=False)
        for sub in ("organizations", "persons", "projects"):
            src.add_files([EX / sub], pdf=False)
        store(src, case_clones(by_type, world, PACKAGE, f"P{k}-"))
        pkg = export_package(src, folder / "package")
        public = src.public_key()
        out.append({"org": org_file, "uscc": org["uscc"], "pem": keys.public_pem(public).encode(),
                    "fp": keys.fingerprint(public), "path": pkg.path, "records": pkg.records})
        src.close()
    return out


def op_import(a: Archive, packages: list[dict]) -> dict:
    times = []
    for p in packages:
        a.add_files([p["org"]], pdf=False)
        trust_organization(a, p["uscc"], p["pem"], p["fp"])
        t = time.perf_counter()
        result = import_package(a, p["path"])
        times.append(time.perf_counter() - t)
        assert result.records_new >= PACKAGE, result.as_dict()
    return {"import_s": statistics.median(times), "import_records": packages[0]["records"] if packages else 0}


# --- concurrent writers ------------------------------------------------------------------------------

WRITER = "--writer"


def writer_main(args: argparse.Namespace) -> None:
    """One writer process: wait for the start signal, then add --count records, each as its own
    request would (engine: archive lock, plan, blobs, seal, transaction) or straight through the
    catalog interfaces (catalog: the transaction lock only)."""
    Archive.after_write = lambda self, progress=None, notify=None: None  # type: ignore[method-assign]
    a = Archive.open(Path(args.writer))
    by_type, _ = examples(a)
    world = District(10_000, seed=1000 + args.seed)
    items = case_clones(by_type, world, args.count, f"W{args.seed}p{os.getpid()}-")  # numbers new in every run
    reg, signer = a.registry(), a.signer()
    plans = []
    if args.mode == "catalog":  # prepared up front: only the transactions are timed
        for item in items:
            p = a._plan(item, reg, supersedes=None, note=None)
            p.files = [{"role": "docx", "name": "x.docx", "media_type": "application/zip", "data": p.row["data"].encode()}]
            a._put_blobs(p)
            plans.append(p)
    start = Path(args.start)
    Path(f"{args.start}.ready{args.seed}").touch()
    while not start.exists():
        time.sleep(0.005)
    t = time.perf_counter()
    if args.mode == "engine":
        for item in items:
            with a.writing("bench writer"):
                p = a._plan(item, reg, supersedes=None, note=None)
                p.files.append({"role": "docx", "name": "x.docx", "media_type": "application/zip", "data": p.row["data"].encode()})
                a._store(p, signer)
    else:
        for p in plans:
            a._store(p, signer)
    print(json.dumps({"seconds": time.perf_counter() - t, "records": len(items)}))
    a.close()


def op_writers(home: Path, n: int, per: int, mode: str, work: Path) -> float:
    """Records per second with ``n`` writer processes adding ``per`` records each, all at once."""
    start = work / f"start-{os.getpid()}-{time.monotonic_ns()}"
    procs = [subprocess.Popen([sys.executable, __file__, WRITER, str(home), "--count", str(per), "--seed", str(i), "--mode", mode,
                               "--start", str(start)], stdout=subprocess.PIPE, text=True) for i in range(n)]
    ready = [Path(f"{start}.ready{i}") for i in range(n)]
    while not all(r.exists() for r in ready):  # every writer opened its archive and prepared its records
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a writer process failed")
        time.sleep(0.05)
    t = time.perf_counter()
    start.touch()
    outs = [json.loads(p.communicate()[0]) for p in procs]
    wall = time.perf_counter() - t
    for f in [start, *ready]:
        f.unlink()
    assert all(p.returncode == 0 for p in procs)
    return sum(o["records"] for o in outs) / wall


# --- the run -----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict:
    # The search index is left out of every measure: a per-node cache, the same work on both
    # backends (bench/search measures it).
    Archive.after_write = lambda self, progress=None, notify=None: None  # type: ignore[method-assign]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: the cluster is still stopped and removed
    work = args.work
    if work.exists() and not args.keep:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    cluster = PostgresCluster(durable=True, settings="-c shared_buffers=512MB")
    cluster.start()
    results: dict = {"sizes": {}, "machine": machine(), "command": " ".join([".venv/bin/python", "bench/scale/run.py", *sys.argv[1:]])}
    try:
        blobs = work / "blobs"  # both archives' small files, content-addressed: one copy on disk
        world = District(args.sizes[0])
        archives = {"sqlite": new_archive(work / "sqlite", catalog_url=None, blobs=blobs),
                    "postgresql": new_archive(work / "postgresql", catalog_url=cluster.new_database("scale"), blobs=blobs)}
        by_type, orgs = examples(archives["sqlite"])
        packages = make_packages(work / "packages", by_type, args.import_runs * len(args.sizes) * 2, District(1000, seed=99))
        for size in args.sizes:
            world.grow(size)
            row: dict = {}
            start = (world.rnd.getstate(), world.serial)
            for name, a in archives.items():
                world.rnd.setstate(start[0])  # the same records, in the same order, in both archives
                world.serial = start[1]
                print(f"{name}: growing to {size:,}", file=sys.stderr, flush=True)
                build_s = grow(a, by_type, orgs, world, size, f"{name[0].upper()}")
                r = {"build_s": build_s, "records": a.catalog.count_records()}
                r.update(op_add(a, by_type, world, args.runs * 4))
                r.update(op_list(a, world, args.runs * 4))
                r.update(op_check(a, world, args.runs, full_runs=args.check_runs if size <= args.full_check_upto else 0))
                take = packages[: args.import_runs]
                packages = packages[args.import_runs:]
                r.update(op_import(a, take))
                r["catalog_bytes"] = catalog_bytes(a)
                row[name] = r
                print(f"  {name} {size:,}: {json.dumps(r)}", file=sys.stderr, flush=True)
            results["sizes"][str(size)] = row
        homes = {name: a.home.root for name, a in archives.items()}
        for a in archives.values():
            a.close()
        conc: dict = {}
        for mode in ("engine", "catalog"):
            conc[mode] = {"sqlite-1": statistics.median(op_writers(homes["sqlite"], 1, args.per_writer, mode, work)
                                                        for _ in range(args.writer_runs))}
            for n in (1, 2, 4):
                conc[mode][f"postgresql-{n}"] = statistics.median(
                    op_writers(homes["postgresql"], n, args.per_writer // n, mode, work) for _ in range(args.writer_runs))
            print(f"  writers {mode}: {conc[mode]}", file=sys.stderr, flush=True)
        results["writers"] = conc
        results["per_writer"] = args.per_writer
    finally:
        cluster.stop()
    return results


def catalog_bytes(a: Archive) -> int:
    loc = a.catalog.location
    if loc.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(loc) as conn:
            return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
    return Path(loc).stat().st_size  # the database file (its WAL is checkpointed into it and reused)


def machine() -> dict:
    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "cores": os.cpu_count(),
            "load": os.getloadavg()[0], "date": time.strftime("%Y-%m-%d")}


def report(res: dict) -> str:
    m = res["machine"]
    out = [
        "# bench/scale — the catalog at scale: SQLite vs PostgreSQL",
        "",
        f"Command (from the repository root): `{res['command']}`  ",
        f"Machine: {m['cores']} cores (shared with other work; load average {m['load']:.1f} at the start), Python {m['python']}, "
        f"SQLite {m['sqlite']}, PostgreSQL 15 (Debian), {m['date']}. Medians of the runs.  ",
        "Catalogs: SQLite in the archive home (WAL, synchronous=FULL); PostgreSQL on a cluster of its own on the same machine, "
        "Unix socket, fsync and synchronous_commit on, shared_buffers 512 MB. Blobs: files in both.  ",
        "Records: the example case files cloned with fresh numbers over synthetic enterprises and contractors, stored through the "
        "real storage interfaces in bulk (seal, signature, ledger leaf, registry; 1,000 per transaction; small files).",
        "",
        "| operation | " + " | ".join(f"{name} {int(size):,}" for size in res["sizes"] for name in ("SQLite", "PostgreSQL")) + " |",
        "|---|" + "---:|" * (2 * len(res["sizes"])),
    ]

    def line(label: str, key: str, fmt: str, scale: float = 1.0) -> None:
        cells = []
        for size, row in res["sizes"].items():
            for name in ("sqlite", "postgresql"):
                v = row[name].get(key)
                cells.append("—" if v is None else format(v * scale, fmt))
        out.append(f"| {label} | " + " | ".join(cells) + " |")

    line("records in the catalog", "records", ",.0f")
    line("generate (bulk path), s", "build_s", ",.0f")
    line("add a record (lock, blobs, seal, one transaction), ms", "add_ms", ".1f")
    line("signed checkpoint after it (Merkle root over every leaf), ms", "checkpoint_ms", ",.0f")
    line("list a contractor's records (`case list --contractor`), ms", "list_ms", ".1f")
    line("… records listed (median)", "list_rows", ".0f")
    line("check: read every current record from the catalog (chunks of 5,000), ms", "check_catalog_ms", ",.0f")
    line("check over an enterprise: the engine's whole call (`check_archive`), s", "check_ms", ",.1f", 0.001)
    line("import a package of 1,000 records (+ their registry records), s", "import_s", ".2f")
    line("catalog size on disk, MB", "catalog_bytes", ",.0f", 1e-6)
    w = res.get("writers")
    if w:
        out += ["", f"Concurrent writers, records per second (all writers together; {res['per_writer']:,} records per run, shared "
                    "among the writers; the archive at its largest size):", "",
                "| writers | SQLite 1 | PostgreSQL 1 | PostgreSQL 2 | PostgreSQL 4 |", "|---|---:|---:|---:|---:|"]
        for mode, label in (("engine", "engine: archive lock, plan, blobs, seal, transaction — per record"),
                            ("catalog", "catalog only: sealed record + files + leaf, one transaction each")):
            r = w[mode]
            out.append(f"| {label} | {r['sqlite-1']:,.0f} | {r['postgresql-1']:,.0f} | {r['postgresql-2']:,.0f} | {r['postgresql-4']:,.0f} |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--runs", type=int, default=5, help="Runs of the quick operations (x4 for add and list).")
    ap.add_argument("--full-check-upto", type=int, default=100_000,
                    help="Run the engine's whole check only up to this size (it loads every record with its schema).")
    ap.add_argument("--check-runs", type=int, default=1, help="Runs of the engine's whole check (minutes each at 10^5).")
    ap.add_argument("--import-runs", type=int, default=3, help="Packages imported per archive and size.")
    ap.add_argument("--writer-runs", type=int, default=3, help="Runs of each concurrent-writer configuration.")
    ap.add_argument("--per-writer", type=int, default=400, help="Records per concurrent-writer run (shared among the writers).")
    ap.add_argument("--work", type=Path, default=Path("/tmp/outsafe-scale-bench"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--from-json", type=Path, help="Only write the table of a run saved with --json.")
    ap.add_argument(WRITER)
    ap.add_argument("--count", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--mode")
    ap.add_argument("--start")
    args = ap.parse_args()
    if args.writer:
        writer_main(args)
        return
    res = json.loads(args.from_json.read_text()) if args.from_json else run(args)
    if args.json and not args.from_json:
        args.json.write_text(json.dumps(res, indent=1, default=str))
    text = report(res)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
