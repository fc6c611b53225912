"""Benchmark of the browser's pages of a district: what a page sends and how long it takes, through
the real application (``web.server.create_app`` under Starlette's TestClient: routing, sign-in,
roles, templates, the access log — no network), signed in as a bureau officer and as an officer of
the largest enterprise. Not a test.

    .venv/bin/python bench/views/pages.py --home /tmp/views100k [--prepare] [--runs 3]

Each page is asked in a process of its own (the server's first request for it after a start: the
kept results read from their files), then ``--runs`` times again in that process (a page asked
again: from the process's memory). With ``--prepare``, ``outsafe views prepare`` runs first (what a
deployment does each day and after each import), so the pages find their views kept; without it,
they find whatever ``cache/views`` holds.

The pages: the dashboard, the checks overview, one rule's page (its 30th page of C5 for the bureau:
the rule with most findings; E3 for both), the rectification items (all, and overdue only), the
contractors, the busiest contractor's dossier (of the district for the bureau, of E's contractors
for E's account) and the 作业票 list. Figures in
bench/views/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OUTSAFE_PASSPHRASE", "bench-passphrase")

PASSWORD = "bench-Password-123!"
AS_OF = "2026-11-30"


def pages(contractor: str) -> list[str]:
    day = f"as_of={AS_OF}"
    return ["/", f"/checks?{day}", f"/checks?rule=C5&{day}&page=30", f"/checks?rule=E3&{day}", f"/rectification?{day}",
            f"/rectification?status=overdue&{day}", "/contractors", f"/contractors/{contractor}?{day}", "/tickets"]


def account(home: Path, role: str, org: str) -> str:
    """A web account of ``role`` for ``org`` with the bench's password (made, or its password set)."""
    name = f"bench_{role}_{org[-4:]}"
    outsafe = [sys.executable, "-m", "cli", "--home", str(home)]
    made = subprocess.run([*outsafe, "user", "add", name, "--role", role, "--org", org, "--password-stdin"], input=PASSWORD + "\n",
                          text=True, capture_output=True, cwd=ROOT)
    if made.returncode != 0:
        subprocess.run([*outsafe, "user", "passwd", name, "--password-stdin"], input=PASSWORD + "\n", text=True, capture_output=True,
                       cwd=ROOT, check=True)
    return name


def one(home: Path, name: str, path: str, runs: int) -> dict:
    """In this process: sign in as ``name``, ask ``path`` once and ``runs`` times again."""
    from starlette.testclient import TestClient

    from web.server import create_app

    with TestClient(create_app(home), base_url="http://testserver", follow_redirects=False) as c:
        form = c.get("/login").text
        nonce = re.search(r'name="nonce" value="([^"]+)"', form).group(1)
        signed = c.post("/login", data={"username": name, "password": PASSWORD, "nonce": nonce, "next": "/"})
        if signed.status_code != 303:
            raise SystemExit(f"sign-in as {name} failed: {signed.status_code}")
        times, status, size = [], 0, 0
        for _ in range(runs + 1):
            t = time.perf_counter()
            r = c.get(path)
            times.append(time.perf_counter() - t)
            status, size = r.status_code, len(r.content)
    return {"path": path, "status": status, "kb": size / 1024, "first_ms": times[0] * 1000,
            "again_ms": statistics.median(times[1:]) * 1000 if runs else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3, help="the page asked again this many times in its process")
    ap.add_argument("--prepare", action="store_true", help="run `outsafe views prepare` first")
    ap.add_argument("--one", nargs=2, metavar=("ACCOUNT", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.home, args.one[0], args.one[1], args.runs)))
        return
    from archive.app import Archive
    from archive.campaign.dossier import contractors_seen
    from run import scopes

    a = Archive.open(args.home)
    sc = scopes(a)
    owner = a.owner_uscc
    facts = a.catalog.facts
    # the busiest of E's contractors that E's account sees (registered in E's own records: a registration handed in by
    # another enterprise is not in E's scope)
    seen = {c["uscc"] for c in contractors_seen(a, sc["enterprise"])}
    theirs = {json.loads(r["info"] or "{}").get("contractor") for r in facts.linked("home", [sc["enterprise"]], types=["project"])} & seen
    own_contractor = max(sorted(theirs), key=lambda c: len(facts.linked("contractor", [c])))
    a.close()
    if args.prepare:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cli", "--home", str(args.home), "views", "prepare", "--as-of", AS_OF, "--json"],
                       cwd=ROOT, check=True, capture_output=True)
        print(f"views prepare: {time.perf_counter() - t:.1f} s", flush=True)
    accounts = {"bureau": (account(args.home, "bureau_officer", owner), sc["contractor"]),
                "E's account": (account(args.home, "enterprise_officer", sc["enterprise"]), own_contractor)}
    rows = []
    for who, (name, contractor) in accounts.items():
        for path in pages(contractor):
            if who != "bureau" and "rule=C5" in path:
                continue
            got = subprocess.run([sys.executable, __file__, "--home", str(args.home), "--runs", str(args.runs), "--one", name, path],
                                 capture_output=True, text=True, check=True)
            row = {"who": who, **json.loads(got.stdout.strip().splitlines()[-1])}
            rows.append(row)
            print(f"{who} {path}: {row['status']}, {row['kb']:.0f} KB, first {row['first_ms']:.0f} ms, again {row['again_ms']:.0f} ms",
                  flush=True)
    print("\n| who | page | status | size | first call (new process) | again (median) |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['who']} | `{r['path']}` | {r['status']} | {r['kb']:,.0f} KB | {r['first_ms']:,.0f} ms | {r['again_ms']:,.0f} ms |")


if __name__ == "__main__":
    main()
