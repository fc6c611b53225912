"""Benchmark: sealing/storing cost and `outsafe verify` throughput (issue 4, item 7).

    .venv/bin/python bench/verify/run.py --records 10000 --runs 3

Builds an archive of N synthetic but realistic records — the example case files of examples/,
multiplied with fresh numbers, each rendered to .docx by the real renderer and given a unique
real PDF (the example's PDF from LibreOffice with a unique trailing comment) — through the real
sealing and storing path (`Archive._store`: blobs with fsync, seal statement, Ed25519 signature,
one SQLite transaction with the ledger leaf). Then, side by side on the same machine:

* verify: `verify_archive` over the whole archive vs `sha256sum` over the same blob files
  (warm page cache for both; medians of --runs). Target: verify throughput >= 0.8x sha256sum.
* seal + store per record vs rendering per record (docxtpl render + LibreOffice PDF through the
  kept-running pool, per document in a batch of 40). Target: <= 5 %.

Writes bench/verify/RESULTS.md. Never run as a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OUTSAFE_PASSPHRASE", "bench-passphrase")

from archive.app import Archive, Loaded, validate_paths
from archive.documents.convert import Converter
from archive.registry import resolve  # noqa: E402
from archive.documents.render import render_record
from archive.integrity.verify import verify_archive
from schemas import meta_of  # noqa: E402
from schemas.base import RuleContext  # noqa: E402

EX = ROOT / "examples"
# realistic proportions: tickets dominate, then training cards, agreements/contracts, the rest
WEIGHTS = {"work_ticket": 50, "training_record": 25, "safety_agreement": 5, "outsourcing_contract": 5,
           "hazard": 4, "contractor_inspection": 3, "quarterly_assessment": 3, "equipment": 2,
           "inspection_record": 1, "rectification_order": 1, "rectification_review": 1, "accident": 0.2}


def build(home: Path, n: int, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    a = Archive.create(home, EX / "organizations" / "enterprise.yaml", pdf=False)
    a.add_files([EX / "organizations"], pdf=False)
    a.add_files([EX / "persons"], pdf=False)
    a.add_files([EX / "projects"], pdf=False)
    reg = a.registry()
    ctx = RuleContext(a.settings, __import__("datetime").date(2026, 11, 29), reg)
    loaded, problems = validate_paths([EX / "cases"], ctx)
    assert not [p for p in problems if p.severity == "error"], problems
    for item in loaded:
        item.resolved, more = resolve(item.obj, reg, file=str(item.path))
        assert not more, more
    owner = a.owner_data()
    # one real PDF per example, made once through the pool
    docs = {}
    for item in loaded:
        images = {f["ref"]: f["path"] for f in item.files if f["role"] == "photo"}
        docs[item.path.name] = render_record(item.obj, item.resolved.as_dict(), settings=a.settings, owner=owner, images=images).docx
    t0 = time.perf_counter()
    with Converter(a.settings) as conv:
        results = conv.convert_many(list(docs.items()))
    pdf_wall = time.perf_counter() - t0
    pdfs = {r.name: r.unwrap() for r in results}
    by_type: dict[str, list[Loaded]] = {}
    for item in loaded:
        by_type.setdefault(meta_of(item.obj).type, []).append(item)
    types = [t for t in WEIGHTS if t in by_type]
    weights = [WEIGHTS[t] for t in types]
    signer = a.signer()
    store_times, render_times = [], []
    batch = 100  # as one `outsafe case add` of 100 files: blobs made durable together, then one transaction per record
    with a.writing("bench"):
        plans = []
        for i in range(n):
            base = rnd.choice(by_type[rnd.choices(types, weights)[0]])
            meta = meta_of(base.obj)
            number = f"{getattr(base.obj, meta.number)}-B{i:06d}"
            obj = dataclasses.replace(base.obj, **{meta.number: number})
            item = Loaded(path=base.path, obj=obj, raw={}, warnings=[], resolved=base.resolved, files=list(base.files))
            plan = a._plan(item, reg, supersedes=None, note=None)
            t = time.perf_counter()
            images = {f["ref"]: f["path"] for f in item.files if f["role"] == "photo"}
            out = render_record(obj, item.resolved.as_dict(), settings=a.settings, owner=owner, images=images)
            render_times.append(time.perf_counter() - t)
            plan.template = {"id": out.template_id, "version": out.template_version, "sha256": out.template_sha256}
            plan.files.append({"role": "docx", "name": f"{number}.docx", "data": out.docx, "media_type": "application/zip"})
            pdf = pdfs[base.path.name] + f"\n%outsafe-bench {plan.row['id']}\n".encode()
            plan.files.append({"role": "pdf", "name": f"{number}.pdf", "data": pdf, "media_type": "application/pdf"})
            plans.append(plan)
            if len(plans) == batch or i == n - 1:
                t = time.perf_counter()
                with a.blobs.batch():
                    for p in plans:
                        a._put_blobs(p)
                for p in plans:
                    a._store(p, signer)
                a.checkpoint(signer)
                store_times.append((time.perf_counter() - t) / len(plans))
                plans = []
                if (i + 1) % 1000 == 0:
                    print(f"  {i + 1}/{n} records", file=sys.stderr)
    a.close()
    return {
        "store_median_ms": statistics.median(store_times) * 1000,  # per record, median over batches
        "store_mean_ms": statistics.fmean(store_times) * 1000,
        "docx_median_ms": statistics.median(render_times) * 1000,
        "pdf_batch_wall_s": pdf_wall,
        "pdf_batch_docs": len(docs),
    }


def pdf_per_doc(home: Path, runs: int) -> float:
    """Per-document wall time of PDF conversion in a batch of 40 real documents (kept-running pool)."""
    a = Archive.open(home)
    rows = a.catalog.list_records(limit=200)
    docx = []
    for r in rows:
        for f in a.catalog.record_files(r["id"]):
            if f["role"] == "docx":
                docx.append((r["id"], a.blobs.read_bytes(f["sha256"])))
    docx = docx[:40]
    a.close()
    times = []
    with Converter() as conv:
        conv.convert_many(docx[:4])  # warm both workers
        for _ in range(runs):
            t = time.perf_counter()
            conv.convert_many(docx)
            times.append((time.perf_counter() - t) / len(docx))
    return statistics.median(times)


def bench_verify(home: Path, runs: int) -> dict:
    a = Archive.open(home)
    blobs = sorted(str(p) for p in (home / "blobs").rglob("*") if p.is_file())
    total = sum(os.path.getsize(p) for p in blobs)
    listing = home.parent / "blob-list.txt"
    listing.write_text("\0".join(blobs))

    def sha256sum() -> float:
        t = time.perf_counter()
        subprocess.run(f"xargs -0 -a {listing} sha256sum > /dev/null", shell=True, check=True)
        return time.perf_counter() - t

    def verify() -> float:
        t = time.perf_counter()
        rep = verify_archive(a)
        assert rep.ok, rep.failures[:5]
        return time.perf_counter() - t

    sha256sum(), verify()  # warm the page cache for both
    s_times, v_times = [], []
    for _ in range(runs):
        s_times.append(sha256sum())
        v_times.append(verify())
    a.close()
    return {
        "files": len(blobs),
        "bytes": total,
        "records": None,
        "sha256sum_s": statistics.median(s_times),
        "verify_s": statistics.median(v_times),
        "sha256sum_all": s_times,
        "verify_all": v_times,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="build the archive here and keep it")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="outsafe-bench-verify-"))
    home = work / "archive"
    if home.exists():
        shutil.rmtree(home)
    t = time.perf_counter()
    built = build(home, args.records)
    build_s = time.perf_counter() - t
    pdf_ms = pdf_per_doc(home, args.runs) * 1000
    ver = bench_verify(home, args.runs)
    render_ms = built["docx_median_ms"] + pdf_ms
    ratio_verify = ver["sha256sum_s"] / ver["verify_s"]
    ratio_store = built["store_median_ms"] / render_ms
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# bench/verify — sealing cost and verification throughput",
        "",
        f"Command: `.venv/bin/python bench/verify/run.py --records {args.records} --runs {args.runs}`  ",
        f"Machine: {cpu} cores; medians of {args.runs} runs, warm page cache, both sides in the same run.  ",
        f"Archive: {args.records:,} records, {ver['files']:,} blob files, {ver['bytes'] / 1e6:,.1f} MB "
        f"(built in {build_s:,.0f} s).",
        "",
        "| measure | outsafe | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
        f"| verify whole archive (s) | {ver['verify_s']:.2f} | sha256sum same files {ver['sha256sum_s']:.2f} | "
        f"throughput {ratio_verify:.2f}x | >= 0.8x | {'yes' if ratio_verify >= 0.8 else 'NO'} |",
        f"| seal + store per record (ms) | {built['store_median_ms']:.2f} | render per record {render_ms:.1f} "
        f"(docx {built['docx_median_ms']:.1f} + pdf {pdf_ms:.1f}) | {ratio_store * 100:.2f} % | <= 5 % | "
        f"{'yes' if ratio_store <= 0.05 else 'NO'} |",
        "",
        "verify re-hashes every blob (streamed, several files at a time), checks every Ed25519 seal and "
        "catalog row against its statement, every ledger leaf, rebuilds the Merkle tree and checks every "
        "signed checkpoint and the consistency between them. sha256sum only hashes.",
        "",
        f"Raw: verify {['%.2f' % x for x in ver['verify_all']]} s; sha256sum {['%.2f' % x for x in ver['sha256sum_all']]} s; "
        f"store mean {built['store_mean_ms']:.2f} ms.",
        "",
    ]
    out = ROOT / "bench" / "verify" / "RESULTS.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
