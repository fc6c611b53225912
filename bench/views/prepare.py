"""Benchmark of the views prepared ahead (``outsafe views prepare``, archive/campaign/prepare.py):
what a day's preparation costs, what it costs again with nothing new and after one new record, and
what the one-scope views then cost a user.

    cp -a bench/work/views-100000 /tmp/views-copy      # the run appends records: use a copy
    .venv/bin/python bench/views/prepare.py --home /tmp/views-copy --runs 3

Each run, every step in a process of its own (``outsafe views prepare --as-of 2026-11-30``, timed
end to end with its peak RSS):

1. *a new day*: no kept result (``<home>/cache/views`` deleted) — everything computed;
2. *nothing new*: again at once — every kept result read and found still true;
3. *one new ticket*, then *one new hazard*: a work ticket of one of the largest enterprise's
   contractors at its project, then a hazard of that enterprise naming the contractor, each stored
   through the bulk path and prepared again (only what it concerns is computed: a ticket concerns
   the enterprise, the contractor and the whole archive's views; a hazard also every contractor
   working for the enterprise, whose CS-1 reads the enterprise's findings); after each step, what
   ``cache/views`` holds (kept results: files and MB);
4. the one-scope views after it, each a new process (``run.py one`` without deleting the kept
   results): the largest enterprise's check, its account's check and dashboard, the busiest
   contractor's check and dossier — what the user who opens them waits for;
5. every scope's views read back in one process (the process's kept results dropped before each):
   the worst and the 95th percentile of each view over all enterprises or contractors.

Never run as a test. Figures in bench/views/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OUTSAFE_PASSPHRASE", "bench-passphrase")

from bench.views.run import AS_OF, PY, scopes, spawn  # noqa: E402

AFTER = [("check-enterprise", "enterprise"), ("check-within", "enterprise"), ("dashboard-within", "enterprise"),
         ("check-contractor", "contractor"), ("contractor-show", "contractor"), ("check-median", "median")]


def prepare(home: Path) -> dict:
    t = time.perf_counter()
    p = subprocess.Popen([str(Path(PY).parent / "outsafe"), "--home", str(home), "views", "prepare", "--as-of", AS_OF.isoformat(),
                          "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read() if p.stdout else b""
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"views prepare failed: {p.stderr.read().decode()[-2000:] if p.stderr else ''}")
    got = json.loads(out)
    kept = [e for e in os.scandir(home / "cache" / "views") if e.name.endswith(".json") and not e.name.startswith(".")]
    return {"seconds": wall, "peak_mb": usage.ru_maxrss / 1024, "views": got["views"], "computed": got["computed"],
            "files": len(kept), "kept_mb": sum(e.stat().st_size for e in kept) / 1e6}


def new_record(home: Path, enterprise: str, n: int, kind: str) -> None:
    """A new record of ``enterprise``: a hazard naming one of its contractors, or a work ticket of
    one of its contractors at its project."""
    from archive.app import Archive
    from bench.views.bulk import store
    from bench.views.district import District

    a = Archive.open(home)
    try:
        row = a.catalog.facts.linked("home", [enterprise], types=["project"])[0]
        project = {**json.loads(row["info"]), "code": row["key"].split("/", 1)[1]}
        cases = District(seed=1000 + n, enterprises=1, contractors=1, records=60).cases()
        if kind == "hazard":
            case = next(c for c in cases if c.type == "hazard")
            case.data.update(enterprise=enterprise, contractor=project["contractor"], project=None, hazard_no=f"YH-PREP-{n}",
                             deadline="2026-12-20")
        else:
            case = next(c for c in cases if c.type == "work_ticket" and c.data["ticket_type"] == "excavation")
            case.data.update(enterprise=enterprise, contractor=project["contractor"], project=project["code"], ticket_no=f"DT-PREP-{n}")
        store(a, [case])
    finally:
        a.close()


def every_scope(home: Path) -> dict:
    """Once prepared: every enterprise's and contractor's one-scope views read back in one process
    (each with the process's kept results dropped first: what a server's request or a new command
    pays past its start-up), the time of each — the worst and the 95th percentile per view."""
    from archive.app import Archive
    from archive.campaign.prepare import planned, scopes as prepared_scopes

    a = Archive.open(home)
    try:
        times: dict[str, list[tuple[float, str]]] = {}
        loaded = 0
        for view, scope, call in planned(a, AS_OF, *prepared_scopes(a)):
            if not scope:
                continue
            a.views.clear()
            a.sealed.clear()
            before = a.sealed.loaded
            t = time.perf_counter()
            call()
            times.setdefault(view, []).append((time.perf_counter() - t, scope))
            loaded += a.sealed.loaded - before
    finally:
        a.close()
    out = {}
    for view, ts in times.items():
        ts.sort()
        out[view] = {"scopes": len(ts), "p95_ms": ts[int(0.95 * (len(ts) - 1))][0] * 1000, "max_ms": ts[-1][0] * 1000,
                     "slowest": ts[-1][1], "within_200ms": sum(1 for x, _ in ts if x <= 0.2)}
    out["records_read"] = loaded
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from archive.app import Archive

    a = Archive.open(args.home)
    sc = scopes(a)
    a.close()
    runs = []
    for n in range(1, args.runs + 1):
        shutil.rmtree(args.home / "cache" / "views", ignore_errors=True)
        run = {"new day": prepare(args.home), "nothing new": prepare(args.home)}
        new_record(args.home, sc["enterprise"], n, "ticket")
        run["one new ticket"] = prepare(args.home)
        new_record(args.home, sc["enterprise"], n, "hazard")
        run["one new hazard"] = prepare(args.home)
        for view, scope in AFTER:
            run[view] = spawn(args.home, view, sc[scope], cold=False)
        run["every scope"] = every_scope(args.home)
        runs.append(run)
        print(json.dumps(run), file=sys.stderr)
    med = lambda step, key: statistics.median(r[step][key] for r in runs)  # noqa: E731
    print(f"E = {sc['enterprise']} ({sc['enterprise_records']:,} records of its own), C = {sc['contractor']} "
          f"({sc['contractor_records']:,} records naming it), M = {sc['median']} ({sc['median_records']:,}); medians of {args.runs} runs\n")
    print("| step | wall time | peak RSS | views | computed | cache/views after it |\n|---|---|---|---|---|---|")
    for step in ("new day", "nothing new", "one new ticket", "one new hazard"):
        print(f"| {step} | {med(step, 'seconds'):,.1f} s | {med(step, 'peak_mb'):,.0f} MB | {runs[0][step]['views']:,} | "
              f"{' / '.join(str(r[step]['computed']) for r in runs)} | "
              f"{med(step, 'files'):,.0f} files, {med(step, 'kept_mb'):,.0f} MB |")
    print("\n| view after it (new process) | time | records read | peak RSS |\n|---|---|---|---|")
    for view, scope in AFTER:
        print(f"| {view} ({scope[0].upper()}) | {med(view, 'seconds') * 1000:,.1f} ms | {max(r[view]['loaded'] for r in runs)} | "
              f"{med(view, 'peak_mb'):,.0f} MB |")
    print("\n| every scope, read back in one process | scopes | 95th percentile | worst (scope) | within 200 ms |\n|---|---|---|---|---|")
    for view in runs[0]["every scope"]:
        if view == "records_read":
            continue
        got = [r["every scope"][view] for r in runs]
        worst = max(got, key=lambda g: g["max_ms"])
        print(f"| {view} | {got[0]['scopes']:,} | {statistics.median(g['p95_ms'] for g in got):,.1f} ms | "
              f"{statistics.median(g['max_ms'] for g in got):,.1f} ms ({worst['slowest']}) | "
              f"{' / '.join(str(g['within_200ms']) for g in got)} |")
    print(f"\nrecords read by the views read back: {' / '.join(str(r['every scope']['records_read']) for r in runs)}")


if __name__ == "__main__":
    main()
