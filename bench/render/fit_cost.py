"""What archive/documents/fit.py costs a batch conversion.

    .venv/bin/python bench/render/fit_cost.py [--kind agreements|decisions] [--docs 40] [--runs 3]

``convert_fitted`` reads the .docx of each document for a long paragraph that keeps with the next
(``relayable``), has the last page of those read for a seal standing alone (``layout.ends_alone``,
in the converter's worker thread) and converts again the ones whose seal stands alone. This
converts the same batch through ``Converter(workers=2)`` — pool start included — by
``convert_fitted`` and by plain ``convert_many`` (the baseline), alternating, each run a new
process; prints the medians of wall and CPU time and their ratio. ``agreements``: generated
安全生产管理协议 (5–6 A4 pages, ``bench/gen_cases.py``; no long paragraph keeps with the seal);
``decisions``: 移出承包商黑名单决定 whose reason runs from 150 to 750 characters (some laid out
again: the baseline's PDFs of those strand the seal). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def batch_of(kind: str, docs: int) -> list[tuple[str, bytes]]:
    from archive.documents.render import render_record
    from archive.settings import Settings

    if kind == "agreements":
        from gen_cases import CaseGenerator

        return [(f"d{i}", render_record(c.obj, c.refs, settings=Settings(), owner=c.owner).docx)
                for i, c in enumerate(CaseGenerator(seed=7).agreements(docs))]
    from tests.layout_corpus import EXAMPLES, Document, load_file, registry_of, render
    from tests.stress_cases import LONG_TEXT, _ok, _raw

    refs = registry_of([load_file(p) for d in ("organizations", "projects") for p in sorted((EXAMPLES / d).glob("*.yaml"))])
    out = []
    for i in range(docs):
        raw = _raw("cases/blacklist-removal-HMD-YC-2026-001.yaml")
        raw["reason"] = (LONG_TEXT * 10)[:150 + i * 600 // max(1, docs - 1)]
        out.append(Document(f"d{i}", _ok(raw, "removal"), refs, {}))
    return render(out)


def one(kind: str, docs: int, fitted: bool) -> dict:
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    from archive.documents.convert import Converter
    from archive.documents.fit import convert_fitted
    from archive.settings import Settings

    batch = batch_of(kind, docs)
    settings = Settings()

    def cpu() -> float:
        r, m = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime + m.ru_utime + m.ru_stime

    c0, t0 = cpu(), time.perf_counter()
    with Converter(settings, workers=2) as conv:
        results = [r for _, r in convert_fitted(conv.convert_many, batch)] if fitted else conv.convert_many(batch)
    return {"wall": time.perf_counter() - t0, "cpu": cpu() - c0, "ok": sum(r.ok for r in results)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=["agreements", "decisions"], default="agreements")
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--one", choices=["fitted", "baseline"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.kind, args.docs, args.one == "fitted")))
        return 0
    got: dict[str, list[dict]] = {"fitted": [], "baseline": []}
    for _ in range(args.runs):
        for kind in got:
            out = subprocess.run([sys.executable, __file__, "--kind", args.kind, "--docs", str(args.docs), "--one", kind],
                                 capture_output=True, text=True, check=True).stdout
            got[kind].append(json.loads(out.strip().splitlines()[-1]))
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("wall", "cpu")} for k, v in got.items()}
    print(f"{args.kind}: {args.docs} documents × {args.runs} runs, load {os.getloadavg()[0]:.1f}")
    for m in ("wall", "cpu"):
        print(f"  {m}: convert_fitted {med['fitted'][m]:.2f} s, convert_many {med['baseline'][m]:.2f} s, "
              f"ratio {med['fitted'][m] / med['baseline'][m]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
