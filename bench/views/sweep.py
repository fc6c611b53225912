"""Benchmark of the sweep of ``cache/views`` (archive.facts.cache.sweep): every kept result's file
made 3 days older than it is, then a new day prepared — what the sweep removed, what the folder
holds afterwards — and a sweep with nothing to remove timed in process (median of 5).

    .venv/bin/python bench/views/sweep.py --home /tmp/views-copy --as-of 2026-12-01

Run after bench/views/prepare.py on the same copy (it needs a day's kept results). Never run as a
test. Figures in bench/views/RESULTS.md ("2026-12-03 evening").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OUTSAFE_PASSPHRASE", "bench-passphrase")


def kept(folder: Path) -> list[os.DirEntry]:
    return [e for e in os.scandir(folder) if e.name.endswith(".json") and not e.name.startswith(".")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--as-of", default="2026-12-01", help="the new day prepared")
    args = ap.parse_args()
    folder = args.home / "cache" / "views"
    before = kept(folder)
    for e in before:
        at = e.stat().st_mtime - 3 * 86400
        os.utime(e.path, (at, at))
    t = time.perf_counter()
    out = subprocess.run([str(Path(sys.executable).parent / "outsafe"), "--home", str(args.home), "views", "prepare", "--as-of", args.as_of,
                          "--json"], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - t
    got = json.loads(out.stdout)
    after = kept(folder)
    from archive.app import Archive
    from archive.facts import cache

    a = Archive.open(args.home)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        cache.sweep(a)
        times.append(time.perf_counter() - t0)
    a.close()
    print(json.dumps({"aged": {"files": len(before), "mb": round(sum(e.stat().st_size for e in before) / 1e6, 1)},
                      "prepare_seconds": round(seconds, 1), "removed": got["removed"], "computed": got["computed"],
                      "after": {"files": len(after), "mb": round(sum(e.stat().st_size for e in after) / 1e6, 1)},
                      "sweep_nothing_to_remove_ms": round(statistics.median(times) * 1000, 1)}))


if __name__ == "__main__":
    main()
