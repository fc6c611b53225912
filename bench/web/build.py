"""A bureau archive of N sealed records for the web benchmark — the fast bulk path.

    .venv/bin/python bench/web/build.py --records 100000 --home bench/work/web-100000

The district: the bureau, the example enterprise (济南华锐) and its contractors, people and
projects from examples/, plus ``--enterprises`` generated enterprises and ``--contractors``
generated contractors (bench/gen_cases.py: valid 统一社会信用代码, realistic names, licences with
expiry dates) and ``--people`` generated workers with certificates — all registered through
``add_files`` like any case file (no PDF). Then N case records in the realistic mix of
bench/verify (tickets half, training cards a quarter, agreements, contracts, hazards, inspections,
assessments, equipment, enforcement), each an example case file with a fresh number, spread over
the enterprises, sealed and stored through the real path — ``Archive._plan`` (catalog row from the
sealed data), ``Archive._put_blobs``, ``Archive._store`` (seal statement, Ed25519 signature, record
row, file rows and ledger leaf through the storage interfaces) — many records per catalog
transaction (``catalog.transaction()`` nests: ``_store``'s own transaction joins the batch's), a
signed checkpoint per batch. Files are small and shared: every record derived from one example
reuses that example's rendered .docx and .pdf (content-addressed: one blob each). The search index
is then rebuilt with the tantivy engine. Not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OUTSAFE_PASSPHRASE", "bench-passphrase")

import yaml  # noqa: E402

from archive.app import Archive, Loaded, validate_paths  # noqa: E402
from archive.documents.convert import Converter  # noqa: E402
from archive.documents.render import render_record  # noqa: E402
from archive.registry import resolve  # noqa: E402
from archive.search.index import rebuild_index  # noqa: E402
from bench.gen_cases import CaseGenerator  # noqa: E402
from schemas import meta_of  # noqa: E402
from schemas.base import RuleContext  # noqa: E402

EX = ROOT / "examples"
WEIGHTS = {"work_ticket": 50, "training_record": 25, "safety_agreement": 5, "outsourcing_contract": 5,
           "hazard": 4, "contractor_inspection": 3, "quarterly_assessment": 3, "equipment": 2,
           "inspection_record": 1, "rectification_order": 1, "rectification_review": 1, "accident": 0.2}
ENTERPRISE = "91370100MA3C8K2P9L"


def write_yaml(folder: Path, name: str, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump({k: v for k, v in data.items() if not k.startswith("_")}, allow_unicode=True), encoding="utf-8")
    return path


def registry_files(work: Path, enterprises: int, contractors: int, people: int, seed: int) -> tuple[list[Path], list[str]]:
    gen = CaseGenerator(seed)
    rnd = random.Random(seed)
    files, ents = [], []
    for i in range(enterprises):
        org, _ = gen.enterprise()
        ents.append(org["uscc"])
        files.append(write_yaml(work / "orgs", f"e{i:04d}.yaml", org))
    cons = []
    for i in range(contractors):
        org = gen.contractor()
        cons.append(org)
        files.append(write_yaml(work / "orgs", f"c{i:04d}.yaml", org))
    pfiles = []
    for i in range(people):
        con = rnd.choice(cons)
        number = gen.id_number(con["uscc"][2:8])
        issued = f"20{rnd.randint(20, 25)}-{rnd.randint(1, 12):02d}-01"
        expires = f"20{rnd.randint(26, 30)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        pfiles.append(write_yaml(work / "people", f"p{i:05d}.yaml", {
            "type": "person", "name": gen.person_name(), "id_number": number, "employer": con["uscc"], "roles": ["特种作业人员"],
            "trade": "电焊工", "entry_date": "2026-03-01", "work_injury_insurance": True,
            "certificates": [{"kind": "特种作业操作证", "category": "焊接与热切割作业", "number": number, "issuer": "济南市应急管理局",
                              "issued": issued, "expires": expires, "next_review": expires}],
        }))
    return files + pfiles, ents


def build(home: Path, n: int, *, enterprises: int, contractors: int, people: int, seed: int = 7, batch: int = 1000) -> dict:
    t0 = time.perf_counter()
    rnd = random.Random(seed)
    a = Archive.create(home, EX / "organizations" / "bureau.yaml", pdf=False, search_engine="tantivy")
    a.add_files([EX / "organizations"], pdf=False, notify=lambda m: None)
    a.add_files([EX / "persons"], pdf=False, notify=lambda m: None)
    a.add_files([EX / "projects"], pdf=False, notify=lambda m: None)
    extra, ents = registry_files(home.parent / f"{home.name}-input", enterprises, contractors, people, seed)
    a.add_files(extra, pdf=False, notify=lambda m: None)
    t_registry = time.perf_counter() - t0
    reg = a.registry()
    ctx = RuleContext(a.settings, __import__("datetime").date(2026, 11, 29), reg)
    loaded, problems = validate_paths([EX / "cases"], ctx)
    assert not [p for p in problems if p.severity == "error"], problems
    for item in loaded:
        item.resolved, more = resolve(item.obj, reg, file=str(item.path))
        assert not more, more
    owner = a.owner_data()
    docs = {}
    for item in loaded:
        images = {f["ref"]: f["path"] for f in item.files if f["role"] == "photo"}
        docs[item.path.name] = render_record(item.obj, item.resolved.as_dict(), settings=a.settings, owner=owner, images=images).docx
    with Converter(a.settings) as conv:
        pdfs = {r.name: r.unwrap() for r in conv.convert_many(list(docs.items()))}
    by_type: dict[str, list[Loaded]] = {}
    for item in loaded:
        by_type.setdefault(meta_of(item.obj).type, []).append(item)
    types = [t for t in WEIGHTS if t in by_type]
    weights = [WEIGHTS[t] for t in types]
    signer = a.signer()
    t1 = time.perf_counter()
    with a.writing("bench"):
        plans = []
        for i in range(n):
            base = rnd.choice(by_type[rnd.choices(types, weights)[0]])
            meta = meta_of(base.obj)
            number = getattr(base.obj, meta.number)
            # a fresh number of the same form (文书号 keep their 〔YYYY〕N号 shape, which their schema checks)
            fresh = re.sub(r"\d+号$", f"{10000 + i}号", number) if number.endswith("号") else f"{number}-W{i:06d}"
            changes = {meta.number: fresh}
            if meta.enterprise and "." not in meta.enterprise and getattr(base.obj, meta.enterprise, None) == ENTERPRISE:
                changes[meta.enterprise] = ENTERPRISE if rnd.random() < 0.05 else rnd.choice(ents)
            obj = dataclasses.replace(base.obj, **changes)
            item = Loaded(path=base.path, obj=obj, raw={}, warnings=[], resolved=base.resolved, files=list(base.files))
            plan = a._plan(item, reg, supersedes=None, note=None)
            plan.template = {"id": "bench", "version": "1", "sha256": "0" * 64}
            plan.files.append({"role": "docx", "name": f"{changes[meta.number]}.docx", "data": docs[base.path.name],
                               "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
            plan.files.append({"role": "pdf", "name": f"{changes[meta.number]}.pdf", "data": pdfs[base.path.name],
                               "media_type": "application/pdf"})
            plans.append(plan)
            if len(plans) == batch or i == n - 1:
                with a.blobs.batch():
                    for p in plans:
                        a._put_blobs(p)
                with a.catalog.transaction():  # one commit for the batch: each _store joins it
                    for p in plans:
                        a._store(p, signer)
                a.checkpoint(signer)
                plans = []
                print(f"  {i + 1}/{n} records  {time.perf_counter() - t1:.0f} s", file=sys.stderr, flush=True)
    t_store = time.perf_counter() - t1
    t2 = time.perf_counter()
    rebuild_index(a, engine="tantivy", notify=lambda m: None)
    t_index = time.perf_counter() - t2
    a.close()
    return {"records": n, "enterprises": enterprises + 1, "contractors": contractors + 3, "people": people + 18,
            "registry_s": round(t_registry, 1), "store_s": round(t_store, 1), "index_s": round(t_index, 1),
            "total_s": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--enterprises", type=int, default=100)
    ap.add_argument("--contractors", type=int, default=300)
    ap.add_argument("--people", type=int, default=600)
    ap.add_argument("--home", type=Path, required=True)
    args = ap.parse_args()
    print(build(args.home, args.records, enterprises=args.enterprises, contractors=args.contractors, people=args.people))


if __name__ == "__main__":
    main()
