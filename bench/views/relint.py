"""Benchmark of the re-lint after an upgrade (archive/facts/lint.py ``relint_stale``, run first by
``outsafe views prepare``) beside the whole lint it spares (``outsafe verify --lint``,
``lint_archive``), on a copy of a built district (bench/views/run.py build).

    .venv/bin/python bench/views/relint.py --home /tmp/views100k-c --copy /tmp/relint-copy --stale 1.0 0.1 0.0

For each fraction in ``--stale``: that share of the records' verdicts is set to an older
fingerprint (as an upgrade that changed the rules leaves them: 1.0 every record; 0.1 a tenth, as a
catch-up too large to lint would; 0.0 none, every later round of the server's preparer), then
``relint_stale`` judges them; ``lint_archive`` (which judges every record whatever its verdict)
runs once on the same copy after them. Wall and CPU time of each, and how many records each judged.
Each in this one process, one after the other; never run as a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OUTSAFE_PASSPHRASE", "bench-passphrase")


def timed(call):
    w, c = time.perf_counter(), time.process_time()
    out = call()
    return out, time.perf_counter() - w, time.process_time() - c


def make_stale(a, share: float) -> int:
    """Give ``share`` of the records (every k-th by seq) a verdict of older rules; how many."""
    if share <= 0:
        return 0
    step = max(1, round(1 / share))
    after, n = 0, 0
    while True:
        rows = a.catalog.records_after(after, limit=5000)
        if not rows:
            return n
        pick = [r["id"] for i, r in enumerate(rows) if (i + after) % step == 0]
        with a.catalog.transaction():
            a.catalog.facts.put_lint([{"record_id": i, "fingerprint": "rules-before-the-upgrade", "problems": None} for i in pick])
        n += len(pick)
        after = rows[-1]["seq"]


def main() -> None:
    from archive.app import Archive
    from archive.facts.lint import lint_archive, relint_stale

    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True, type=Path, help="a built district (left unchanged: the copy is used)")
    ap.add_argument("--copy", required=True, type=Path, help="where to copy it (removed first)")
    ap.add_argument("--stale", nargs="+", type=float, default=[1.0, 0.1, 0.0])
    ap.add_argument("--no-whole", action="store_true", help="skip lint_archive (the whole lint, minutes at 10^5)")
    args = ap.parse_args()
    shutil.rmtree(args.copy, ignore_errors=True)
    shutil.copytree(args.home, args.copy, symlinks=True)
    shutil.rmtree(args.copy / "cache" / "views", ignore_errors=True)
    a = Archive.open(args.copy)
    records = a.catalog.max_seq()
    print(f"{records:,} records in {args.home}")
    print("| stale share | stale records | relint_stale: judged | wall | CPU |")
    print("|---|---|---|---|---|")
    for share in args.stale:
        n = make_stale(a, share)
        done, w, c = timed(lambda: relint_stale(a))
        print(f"| {share:g} | {n:,} | {done.checked:,} | {w:.2f} s | {c:.2f} s |", flush=True)
    if not args.no_whole:
        rep, w, c = timed(lambda: lint_archive(a))
        print(f"\nlint_archive (verify --lint: every record, whatever its verdict): {rep.checked:,} judged, {w:.1f} s wall, {c:.1f} s CPU")
    a.close()


if __name__ == "__main__":
    main()
