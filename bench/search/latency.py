"""Query latency of indexes that ``run.py`` left in its --work folder, sizes side by side.

    .venv/bin/python bench/search/latency.py --work /tmp/osb --sizes 100000 300000 --engine tantivy

On a shared machine the load changes between the sizes of one ``run.py`` run (each size takes
tens of minutes to generate and rebuild), so its latencies of two sizes are not comparable. This
opens the catalogs and indexes ``run.py`` built and runs the common queries of every kind on all
sizes in turn, round by round (size A, size B, size A, …): both see the same load, and the ratio
of their latencies is how latency grows with the archive. Planted (rare) queries are left out:
they need the generator; the common terms (动火, 受限空间 …) are the expensive ones. Not a test.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import COMMON, BenchArchive, _common_names, percentile, timed  # noqa: E402

from archive.search.index import SearchIndex  # noqa: E402
from corpus import SECRET  # noqa: E402
from storage.catalog import open_catalog  # noqa: E402

CONTRACTOR_TERMS = ("动火", "受限空间", "三级安全教育", "盲板", "整改", "吊装", "临时用电", "安全带", "协议", "隐患")


def queries_of(cat) -> dict[str, list]:
    contractors = [r["key"] for r in cat.list_registry("organization")][:40]
    return {
        "2-char": list(COMMON["2-char"]),
        "4-char": list(COMMON["4-char"]),
        "phrase": list(COMMON["phrase"]),
        "name": _common_names(cat),
        "contractor": list(zip(CONTRACTOR_TERMS, contractors[-10:])),
        "no-hit": list(COMMON["no-hit"]),
        "1-char": list(COMMON["1-char"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/outsafe-search-bench"))
    ap.add_argument("--sizes", type=int, nargs="+", required=True)
    ap.add_argument("--engine", default="tantivy")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    nodes = {}
    for n in args.sizes:
        cat = open_catalog(args.work / f"catalog-{n}.sqlite3", readonly=True)
        arch = BenchArchive(catalog=cat, secret=SECRET, home=SimpleNamespace(index_dir=args.work / f"index-{args.engine}-{n}"))
        idx = SearchIndex(arch)
        for q in ("动火", "受限空间"):  # warm up: open readers
            idx.search(q)
        nodes[n] = (idx, queries_of(cat))
    times: dict[int, dict[str, list[float]]] = {n: {k: [] for k in COMMON} | {"name": [], "contractor": []} for n in nodes}
    for _ in range(args.rounds):
        for kind in ("2-char", "4-char", "phrase", "name", "contractor", "no-hit", "1-char"):
            for n, (idx, queries) in nodes.items():
                for q in queries[kind]:
                    q, c = q if isinstance(q, tuple) else (q, None)
                    gc.collect()
                    _, t = timed(idx.search, q, contractor=c, limit=10, include_superseded=True)
                    times[n][kind].append(t * 1000)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds; p50 / p95 in ms")
    head = " | ".join(f"{n:,} p50 | {n:,} p95" for n in nodes)
    print(f"| kind | {head} | p95 ratio {args.sizes[-1]:,} ÷ {args.sizes[0]:,} |")
    print("|---|" + "---:|" * (2 * len(nodes) + 1))
    for kind in ("2-char", "4-char", "phrase", "name", "contractor", "no-hit", "1-char"):
        cells, p95s = [], []
        for n in nodes:
            ts = times[n][kind]
            p95s.append(percentile(ts, 0.95))
            cells += [f"{percentile(ts, 0.5):.1f}", f"{p95s[-1]:.1f}"]
        print(f"| {kind} | " + " | ".join(cells) + f" | {p95s[-1] / p95s[0]:.1f}× |")


if __name__ == "__main__":
    main()
