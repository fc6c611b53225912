"""Benchmark: packages (issue 6, item 7). Never run as a test.

    .venv/bin/python bench/package/run.py --records 1000 --runs 5 --evidence 200

1. export + verify of a submission package of N records, side by side with ``cp`` + ``sha256sum``
   of the same files. The archive is built by bench/verify's ``build`` — the example case files
   multiplied with fresh numbers, each rendered to .docx by the real renderer and given a unique
   real PDF, sealed and stored through ``Archive._store`` — so the code measured is exactly
   ``outsafe package export`` (``archive.packages.export_package``: select, copy blobs, write
   record/seal/proof files, bagit manifests, sign) followed by ``outsafe package verify``
   (``verify_package``: path safety, bagit fixity, signatures, proofs). The baseline copies the
   same files — the package's own payload files, same folders — with one ``cp -r`` and hashes the
   copies with one ``sha256sum`` (a); a stricter second baseline does the same with only the distinct
   blobs behind the record files (b). Warm page cache; the runs alternate; medians.
   Target: export + verify <= 1.5x the baseline.
2. 证据材料汇编 of M documents: a bureau archive imports the submission, then
   ``archive.evidence.export_evidence`` builds the evidence package for M records with PDFs; the
   time of the whole export, of the PDF compilation (pypdf merge + stamps + bookmarks) alone, and
   the size and page count of 证据材料汇编.pdf.

Writes bench/package/RESULTS.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
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

from archive.packages import evidence as ev
from archive.integrity import keys
from archive.app import Archive
from archive.packages.export import export_package
from archive.packages.importer import import_package
from archive.packages.verify import verify_package
from archive.integrity.trust import trust_organization

EX = ROOT / "examples"


def _verify_bench_build():
    spec = importlib.util.spec_from_file_location("bench_verify_run", ROOT / "bench" / "verify" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build


def package_files(a: Archive, bag: Path) -> list[str]:
    """The blob files behind the package's record files (the baseline copies and hashes these).
    Each blob once: records made from the same example share their source YAML, which the
    package holds once per record and ``cp`` can only copy once — the baseline does less."""
    out = set()
    for folder in sorted((bag / "data" / "records").glob("*/*")):
        for f in a.catalog.record_files(folder.name):
            out.add(str(a.blobs.path_for(f["sha256"])))
    return sorted(out)


def bench_export_verify(home: Path, work: Path, runs: int) -> dict:
    a = Archive.open(home)
    probe = export_package(a, work / "probe")
    files = package_files(a, probe.path)
    tree = work / "payload-src"  # the package's own payload files, same layout: baseline (a)
    shutil.rmtree(tree, ignore_errors=True)
    os.rename(probe.path / "data", tree)
    tree_files = sum(len(f) for _, _, f in os.walk(tree))
    tree_bytes = sum(os.path.getsize(os.path.join(d, n)) for d, _, f in os.walk(tree) for n in f)
    shutil.rmtree(probe.path)
    total = sum(os.path.getsize(p) for p in files)
    listing = work / "files.txt"
    listing.write_text("\0".join(files))

    def cpu(who: int) -> float:
        r = resource.getrusage(who)
        return r.ru_utime + r.ru_stime

    def copy_and_hash(copy: list[str] | str, dest: Path) -> tuple[float, float, float]:
        """One ``cp`` into ``dest``, then one ``sha256sum`` over the copies: (cp s, total s, CPU s)."""
        os.sync()  # each run starts with no dirty pages left over from the other side
        c0 = cpu(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(copy, shell=isinstance(copy, str), check=True)
        t_cp = time.perf_counter() - t
        subprocess.run(f"cd {dest} && find . -type f -print0 | xargs -0 sha256sum > /dev/null", shell=True, check=True)
        t_all = time.perf_counter() - t
        c = cpu(resource.RUSAGE_CHILDREN) - c0
        shutil.rmtree(dest)
        return t_cp, t_all, c

    def baseline() -> tuple[float, float, float]:
        """Baseline (b): the distinct blobs behind the record files, into one flat folder."""
        dest = work / "cp"
        dest.mkdir()
        return copy_and_hash(f"xargs -0 -a {listing} cp -t {dest}", dest)

    def same_files() -> tuple[float, float, float]:
        """Baseline (a): ``cp -r`` of the package's own payload files (same files, same folders)."""
        dest = work / "cp-tree"
        return copy_and_hash(["cp", "-r", str(tree), str(dest)], dest)

    def outsafe() -> tuple[float, float, float, dict]:
        out = work / "pkg"
        os.sync()
        c0 = cpu(resource.RUSAGE_SELF)
        t = time.perf_counter()
        result = export_package(a, out)
        t_export = time.perf_counter() - t
        rep = verify_package(out)
        t_all = time.perf_counter() - t
        c = cpu(resource.RUSAGE_SELF) - c0
        assert rep.ok, rep.failures[:5]
        info = {"records": result.records, "files": result.files, "payload_files": rep.files, "payload_bytes": rep.bytes,
                "phases": {**{f"export {k[:-2]}": v for k, v in result.extra["timings"].items()},
                           **{f"verify {k[:-2]}": v for k, v in rep.timings.items()}}}
        shutil.rmtree(out)
        return t_export, t_all, c, info

    baseline(), same_files(), outsafe()  # warm the page cache for all three
    b_cp, b_all, b_cpu, o_export, o_all, o_cpu = [], [], [], [], [], []
    t_cp, t_all, t_cpu = [], [], []
    phases: dict[str, list[float]] = {}
    info: dict = {}
    for _ in range(runs):
        c, s, u = baseline()
        b_cp.append(c)
        b_all.append(s)
        b_cpu.append(u)
        c, s, u = same_files()
        t_cp.append(c)
        t_all.append(s)
        t_cpu.append(u)
        e, v, u, info = outsafe()
        o_export.append(e)
        o_all.append(v)
        o_cpu.append(u)
        for k, v in info.pop("phases").items():
            phases.setdefault(k, []).append(v)
    shutil.rmtree(tree)
    a.close()
    return {
        **info,
        "tree_files": tree_files,
        "tree_bytes": tree_bytes,
        "tree_cp_s": statistics.median(t_cp),
        "tree_s": statistics.median(t_all),
        "tree_cpu_s": statistics.median(t_cpu),
        "tree_all": t_all,
        "files_baseline": len(files),
        "bytes": total,
        "cp_s": statistics.median(b_cp),
        "baseline_s": statistics.median(b_all),
        "export_s": statistics.median(o_export),
        "verify_s": statistics.median([x - y for x, y in zip(o_all, o_export)]),
        "outsafe_s": statistics.median(o_all),
        "baseline_cpu_s": statistics.median(b_cpu),
        "outsafe_cpu_s": statistics.median(o_cpu),
        "phases": {k: statistics.median(v) for k, v in phases.items()},
        "baseline_all": b_all,
        "outsafe_all": o_all,
    }


def bench_evidence(home: Path, work: Path, n: int) -> dict:
    ent = Archive.open(home)
    sub = export_package(ent, work / "submission")
    bureau = Archive.create(work / "bureau", EX / "organizations" / "bureau.yaml", pdf=False)
    bureau.add_files([EX / "organizations" / "enterprise.yaml"], pdf=False)
    public = ent.public_key()
    trust_organization(bureau, ent.owner_uscc, keys.public_pem(public).encode(), keys.fingerprint(public))
    t = time.perf_counter()
    import_package(bureau, sub.path)
    import_s = time.perf_counter() - t
    ids = []
    for row in bureau.catalog.list_records():
        if row["origin"] == ent.owner_uscc and any(f["role"] == "pdf" for f in bureau.catalog.record_files(row["id"])):
            ids.append(row["id"])
        if len(ids) == n:
            break
    compile_times = []
    original = ev.compile_pdf

    def timed(*args, **kw):
        t0 = time.perf_counter()
        try:
            return original(*args, **kw)
        finally:
            compile_times.append(time.perf_counter() - t0)

    ev.compile_pdf = timed
    try:
        t = time.perf_counter()
        result = ev.export_evidence(bureau, work / "evidence", party=ent.catalog.list_records(types=["work_ticket"])[0]["contractor"],
                                    case_no="（高新）应急立〔2026〕12号", record_ids=ids)
        export_s = time.perf_counter() - t
    finally:
        ev.compile_pdf = original
    t = time.perf_counter()
    rep = verify_package(result.path)
    verify_s = time.perf_counter() - t
    assert rep.ok, rep.failures[:5]
    compiled = result.path / "data" / "evidence" / ev.COMPILATION
    out = {
        "documents": len(ids),
        "pages": result.extra["pages"],
        "import_s": import_s,
        "export_s": export_s,
        "compile_s": compile_times[0],
        "verify_s": verify_s,
        "compilation_bytes": compiled.stat().st_size,
        "source_pdf_bytes": sum(f["size"] for i in ids for f in bureau.catalog.record_files(i) if f["role"] == "pdf"),
    }
    bureau.close()
    ent.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--evidence", type=int, default=200, help="documents in 证据材料汇编 (0: skip that part)")
    ap.add_argument("--keep", type=Path, help="work here and keep it (reuses an archive built before)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="outsafe-bench-package-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "archive"
    t = time.perf_counter()
    reused = home.exists()
    if not reused:
        _verify_bench_build()(home, args.records)
    build_s = time.perf_counter() - t
    for name in ("pkg", "cp", "cp-tree", "payload-src", "probe", "submission", "bureau", "evidence"):
        shutil.rmtree(work / name, ignore_errors=True)
    load_before = os.getloadavg()[0]
    ev_ = bench_export_verify(home, work, args.runs)
    load_after = os.getloadavg()[0]
    evd = bench_evidence(home, work, args.evidence) if args.evidence else None
    ratio = ev_["outsafe_s"] / ev_["baseline_s"]
    ratio_tree = ev_["outsafe_s"] / ev_["tree_s"]
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# bench/package — package export + verify, and 证据材料汇编",
        "",
        f"Command: `.venv/bin/python bench/package/run.py --records {args.records} --runs {args.runs} --evidence {args.evidence}`  ",
        f"Machine: {cpu} cores, load average {load_before:.1f} → {load_after:.1f} during the runs (other work shared the "
        f"machine); medians of {args.runs} alternating runs, warm page cache, both sides in the same run.  ",
        f"Archive: {args.records:,} records built by bench/verify's generator through `Archive._store` "
        f"(rendered .docx, unique real PDF, source YAML; "
        + ("reused from an earlier run with --keep)." if reused else f"built in {build_s:,.0f} s)."),
        "",
        "## Submission package: export + verify vs cp + sha256sum",
        "",
        f"Package: {ev_['records']:,} records (with the registry records they refer to), {ev_['files']:,} record files; "
        f"payload {ev_['payload_files']:,} files, {ev_['payload_bytes'] / 1e6:,.1f} MB, with record.json, seal.json, seal.sig, "
        "proof.json, keys, checkpoint and leaf hashes. Two baselines, each one `cp` into a fresh folder and one "
        "`sha256sum` over the copies: (a) the same files — the package's own payload files, same folders "
        f"({ev_['tree_files']:,} files, {ev_['tree_bytes'] / 1e6:,.1f} MB, `cp -r`); (b) stricter, only the distinct "
        f"blobs behind them ({ev_['files_baseline']:,} files, {ev_['bytes'] / 1e6:,.1f} MB, one flat folder) — what "
        "a package would cost if it held nothing but the documents.",
        "",
        "| measure | outsafe | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
        f"| export + verify vs (a) the same files, wall (s) | {ev_['outsafe_s']:.2f} (export {ev_['export_s']:.2f} + verify "
        f"{ev_['verify_s']:.2f}) | cp {ev_['tree_cp_s']:.2f} + sha256sum → {ev_['tree_s']:.2f} | {ratio_tree:.2f}x | <= 1.5x "
        f"| {'yes' if ratio_tree <= 1.5 else 'NO'} |",
        f"| export + verify vs (b) distinct blobs only, wall (s) | {ev_['outsafe_s']:.2f} "
        f"| cp {ev_['cp_s']:.2f} + sha256sum → {ev_['baseline_s']:.2f} | {ratio:.2f}x | <= 1.5x | {'yes' if ratio <= 1.5 else 'NO'} |",
        f"| CPU user+sys (s): outsafe / (a) / (b) | {ev_['outsafe_cpu_s']:.2f} | {ev_['tree_cpu_s']:.2f} / "
        f"{ev_['baseline_cpu_s']:.2f} | {ev_['outsafe_cpu_s'] / ev_['tree_cpu_s']:.2f}x / {ev_['outsafe_cpu_s'] / ev_['baseline_cpu_s']:.2f}x "
        "| (for reference) | |",
        "",
        "export: select the records and what they refer to, copy every blob (copy_file_range), write "
        "record.json/seal.json/seal.sig/proof.json, on writer threads (one per core), hash every payload file once and compare every copied "
        "blob's hash with its catalog digest, write the manifests, index.json/核验说明.txt/verify_proofs.py, sign the tag "
        "manifest, log a ledger leaf and sign a checkpoint. verify: one path-safety walk, BagIt validation (bagit.txt, "
        "bag-info, Payload-Oxum, completeness both ways, fixity of every payload and tag file on a thread pool), the "
        "tag-manifest signature, every checkpoint and seal signature, every inclusion proof, record.json vs seal, file "
        "digests vs seal (from the manifest just checked). bagit-python's own validator is not in this measurement "
        "(`package verify --bagit` adds it; the tests run `bagit.py --validate` on every package).",
        "",
        f"Raw (s): outsafe {[round(x, 2) for x in ev_['outsafe_all']]}; (a) {[round(x, 2) for x in ev_['tree_all']]}; "
        f"(b) {[round(x, 2) for x in ev_['baseline_all']]}.",
        "",
        "Phases (medians, s): " + ", ".join(f"{k} {v:.2f}" for k, v in ev_["phases"].items())
        + " — export write = select + copy blobs + write the 4 small files per record, on one writer thread per core "
        "(on this machine's ext4 creating a file or folder costs ~0.2 ms of kernel CPU: 4,000 small files and 2,000 "
        "folders take 1.4 s in a plain Python loop, so the 7,000 files and 3,000 folders of a package, not the "
        "hashing, set the floor; (b) creates 2,000); hash = waiting for the last copies' hashes (every copied blob is hashed once, right after its copy: "
        "the check that no damaged blob leaves the archive); verify bagit = "
        "walk + fixity of every file; records = signatures, proofs, record.json vs seal.",
        "",
    ]
    if evd:
        lines += [
            f"## 证据材料汇编 of {evd['documents']} documents",
            "",
            "| measure | value |",
            "|---|---|",
            f"| documents / pages | {evd['documents']} / {evd['pages']} (+ cover) |",
            f"| evidence export, whole (s) | {evd['export_s']:.1f} (records package, LibreOffice: list, cover, stamp font; compilation; outer bag) |",
            f"| compilation alone: pypdf merge, {evd['pages']} stamps, {evd['documents']} bookmarks (s) | {evd['compile_s']:.2f} |",
            f"| 证据材料汇编.pdf size | {evd['compilation_bytes'] / 1e6:.1f} MB (source PDFs {evd['source_pdf_bytes'] / 1e6:.1f} MB) |",
            f"| verify the evidence package (s) | {evd['verify_s']:.2f} |",
            f"| bureau import of the submission (s) | {evd['import_s']:.1f} |",
            "",
            "Every source PDF keeps its own embedded font subsets (they differ per document), so the compilation is about "
            "the sum of its sources; the stamps reuse one embedded subset of a dozen glyphs.",
            "",
        ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
