"""Benchmark of `outsafe serve`: search and dashboard latency with concurrent sessions, the CLI's
`outsafe search` for the same queries side by side, and the server's memory. Not a test.

    .venv/bin/python bench/web/run.py --records 100000 --sessions 20 --out bench/web/RESULTS.md

1. builds (or reuses, ``--home``) a bureau archive of N sealed records with the tantivy engine
   (bench/web/build.py: the fast bulk path through the real storage interfaces);
2. starts `outsafe serve` on 127.0.0.1 on a free port (a child process: the real uvicorn server);
3. ``--sessions`` concurrent sessions, each signed in as a bureau officer, each running a bounded
   loop (``--rounds`` rounds of: one search page from a fixed list of queries and filters, and
   every ``--dashboard-every`` rounds the dashboard), waiting ``--think`` seconds (± 50 %, a
   person reading the page) between requests, the sessions starting at random moments within the
   first 2 × think seconds; every request is timed from the client; the loop stops by itself. The first dashboard (computed; later ones come from the cache, valid while the
   ledger's size is unchanged) is reported apart, as "cold";
4. the same run with no think time (each session sends its next request at once): the server at
   saturation;
5. `outsafe search` (a new process per query, as a person types it) and the library's
   SearchIndex.search in one process, for the same queries;
6. the server's resident memory (VmRSS, VmHWM) after the runs.

Targets (issue 15): search page p95 <= 100 ms, dashboard p95 <= 250 ms at 10^5 records, 20 sessions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OUTSAFE_PASSPHRASE", "bench-passphrase")

import httpx2 as httpx  # noqa: E402

QUERIES = [
    {"q": "动火"}, {"q": "受限空间 OR 有限空间"}, {"q": '"先通风、再检测、后作业"'}, {"q": "吊装", "type": "work_ticket"},
    {"q": "安全生产管理协议"}, {"q": "焊接", "since": "2026-01-01"}, {"q": "恒安"}, {"q": "三级安全教育", "type": "training_record"},
    {"q": "临时用电 -高处"}, {"q": "隐患", "ticket_type": ""}, {"q": "盲板"}, {"q": "动火", "contractor": "91370112MA3F7R1K8F"},
]
PASSWORD = "bench-password-1"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    f = int(k)
    return s[f] + (s[min(f + 1, len(s) - 1)] - s[f]) * (k - f)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ensure_user(home: Path) -> None:
    from archive.access.accounts import add_user
    from archive.app import Archive

    a = Archive.open(home)
    try:
        if a.catalog.accounts.get_account("bench_officer") is None:
            add_user(a, "bench_officer", "bureau_officer", password=PASSWORD)
    finally:
        a.close()


def sign_in(url: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=120, follow_redirects=False)
    page = c.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": "bench_officer", "password": PASSWORD, "nonce": nonce, "next": "/"})
    assert r.status_code == 303, r.text[:300]
    return c


def session(url: str, idx: int, rounds: int, dash_every: int, think: float, out: dict, barrier: threading.Barrier) -> None:
    rnd = random.Random(idx)
    c = sign_in(url)
    barrier.wait()
    if think:
        time.sleep(rnd.uniform(0, 2 * think))  # people do not act in lockstep: the sessions start apart
    try:
        for i in range(rounds):
            q = {k: v for k, v in QUERIES[(idx + i) % len(QUERIES)].items() if v}
            t = time.perf_counter()
            r = c.get("/search", params=q)
            dt = time.perf_counter() - t
            assert r.status_code == 200, r.status_code
            out["search"].append(dt)
            if think:
                time.sleep(think * rnd.uniform(0.5, 1.5))
            if i % dash_every == 0:
                t = time.perf_counter()
                r = c.get("/")
                dt = time.perf_counter() - t
                assert r.status_code == 200, r.status_code
                out["dashboard"].append(dt)
                if think:
                    time.sleep(think * rnd.uniform(0.5, 1.5))
    finally:
        c.close()


def load(url: str, sessions: int, rounds: int, dash_every: int, think: float) -> dict:
    out: dict[str, list[float]] = {"search": [], "dashboard": []}
    barrier = threading.Barrier(sessions)
    t = time.perf_counter()
    threads = [threading.Thread(target=session, args=(url, i, rounds, dash_every, think, out, barrier)) for i in range(sessions)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    res = {}
    for k, v in out.items():
        res[k] = {"n": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1), "p95_ms": round(percentile(v, 95) * 1000, 1),
                  "max_ms": round(max(v) * 1000, 1)}
    res["wall_s"] = round(wall, 1)
    res["requests_per_s"] = round((len(out["search"]) + len(out["dashboard"])) / wall, 1)
    return res


def _rss_one(pid: int) -> dict:
    text = Path(f"/proc/{pid}/status").read_text()
    get = lambda k: int(re.search(rf"^{k}:\s+(\d+) kB", text, re.M).group(1)) // 1024  # noqa: E731
    return {"rss_mb": get("VmRSS"), "hwm_mb": get("VmHWM"), "anon_mb": get("RssAnon"), "file_mb": get("RssFile"),
            "threads": int(re.search(r"^Threads:\s+(\d+)", text, re.M).group(1))}


def _descendants(pid: int) -> list[int]:
    kids = [int(x) for x in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    return kids + [d for k in kids for d in _descendants(k)]


def rss(pid: int) -> dict:
    """The server's memory: its process and, with --workers, every worker process (summed; their
    mapped files — the index, the catalog — are the same pages, counted once per process here)."""
    each = [_rss_one(p) for p in [pid, *_descendants(pid)] if Path(f"/proc/{p}/status").exists()]
    total = {k: sum(e[k] for e in each) for k in each[0]}
    total["processes"] = len(each)
    total["anon_each_mb"] = [e["anon_mb"] for e in each]
    return total


def cli_search(home: Path) -> dict:
    """`outsafe search` in a new process per query, and the library's search in this process."""
    from archive.app import Archive
    from archive.search.index import open_index

    exe = Path(sys.executable).with_name("outsafe")
    per, lib = [], []
    for q in QUERIES:
        args = [str(exe), "--home", str(home), "search", q["q"]]
        for k in ("contractor", "type", "ticket_type", "since"):
            if q.get(k):
                args += [f"--{k.replace('_', '-')}", q[k]]
        t = time.perf_counter()
        done = subprocess.run(args, capture_output=True)
        per.append(time.perf_counter() - t)
        assert done.returncode == 0, done.stderr[-500:]
    a = Archive.open(home)
    idx = open_index(a)
    try:
        for q in QUERIES:
            idx.search(q["q"], **{k: v for k, v in q.items() if k != "q" and v})
        for _ in range(3):
            for q in QUERIES:
                t = time.perf_counter()
                idx.search(q["q"], **{k: v for k, v in q.items() if k != "q" and v})
                lib.append(time.perf_counter() - t)
    finally:
        idx.close()
        a.close()
    return {"cli_median_ms": round(statistics.median(per) * 1000), "cli_p95_ms": round(percentile(per, 95) * 1000),
            "library_median_ms": round(statistics.median(lib) * 1000, 1), "library_p95_ms": round(percentile(lib, 95) * 1000, 1)}


def cold_dashboard(url: str) -> float:
    c = sign_in(url)
    try:
        t = time.perf_counter()
        assert c.get("/").status_code == 200
        return time.perf_counter() - t
    finally:
        c.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--home", type=Path, help="reuse this archive (else bench/work/web-N, built when missing)")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--dashboard-every", type=int, default=3)
    ap.add_argument("--think", type=float, default=1.0, help="seconds between a session's requests (± 50 %%)")
    ap.add_argument("--workers", type=int, default=1, help="outsafe serve --workers N (server processes)")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    home = args.home or ROOT / "bench" / "work" / f"web-{args.records}"
    build_info = None
    if not (home / "catalog.sqlite3").exists():
        from build import build

        home.parent.mkdir(parents=True, exist_ok=True)
        build_info = build(home, args.records, enterprises=100, contractors=300, people=600)
    ensure_user(home)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).with_name("outsafe")
    server = subprocess.Popen([str(exe), "--home", str(home), "serve", "--port", str(port), "--workers", str(args.workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        cold = cold_dashboard(url)
        warm = cold_dashboard(url)
        # every worker process computes its first dashboard itself (each keeps its own results):
        # new connections until each has answered once, so the timed runs see servers in service
        warmups = [cold_dashboard(url) for _ in range(4 * args.workers)] if args.workers > 1 else []
        paced = load(url, args.sessions, args.rounds, args.dashboard_every, args.think)
        saturated = load(url, args.sessions, max(5, args.rounds // 3), args.dashboard_every, 0.0)
        memory = rss(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    cli = cli_search(home)
    result = {"records": args.records, "home": str(home), "build": build_info, "sessions": args.sessions, "think_s": args.think,
              "workers": args.workers, "warmup_dashboards_ms": [round(w * 1000) for w in warmups],
              "cold_dashboard_ms": round(cold * 1000), "second_dashboard_ms": round(warm * 1000), "paced": paced,
              "saturated": saturated, "memory": memory, "search_cli": cli, "load_average": os.getloadavg()[0]}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.out:
        args.out.write_text(report(result, " ".join(["bench/web/run.py", *sys.argv[1:]])), encoding="utf-8")


def report(r: dict, command: str) -> str:
    p, s, c = r["paced"], r["saturated"], r["search_cli"]
    ok = lambda v, t: "✓" if v <= t else "✗ missed"  # noqa: E731
    return f"""# outsafe serve — benchmark

    .venv/bin/python {command}

{r['records']:,} records (bench/web/build.py: a bureau archive, tantivy engine), `outsafe serve` on
127.0.0.1, {r['sessions']} concurrent signed-in sessions (bureau officer: everything in scope),
client-side latency of whole pages (HTML). Machine: 2 cores shared with other work; load average at
the end {r['load_average']:.1f}.

| what | n | p50 | p95 | max | target |
|---|---|---|---|---|---|
| search page, {r['sessions']} sessions, think {r['think_s']} s | {p['search']['n']} | {p['search']['p50_ms']} ms | {p['search']['p95_ms']} ms | {p['search']['max_ms']} ms | p95 ≤ 100 ms {ok(p['search']['p95_ms'], 100)} |
| dashboard, {r['sessions']} sessions, think {r['think_s']} s | {p['dashboard']['n']} | {p['dashboard']['p50_ms']} ms | {p['dashboard']['p95_ms']} ms | {p['dashboard']['max_ms']} ms | p95 ≤ 250 ms {ok(p['dashboard']['p95_ms'], 250)} |
| search page, no think time (saturation) | {s['search']['n']} | {s['search']['p50_ms']} ms | {s['search']['p95_ms']} ms | {s['search']['max_ms']} ms | — |
| dashboard, no think time (saturation) | {s['dashboard']['n']} | {s['dashboard']['p50_ms']} ms | {s['dashboard']['p95_ms']} ms | {s['dashboard']['max_ms']} ms | — |
| dashboard, first (computed, cold) | 1 | {r['cold_dashboard_ms']} ms | | | — |
| dashboard, second (cached) | 1 | {r['second_dashboard_ms']} ms | | | — |
| `outsafe search` (new process per query), same queries | {len(QUERIES)} | {c['cli_median_ms']} ms | {c['cli_p95_ms']} ms | | — |
| library SearchIndex.search, same queries | {3 * len(QUERIES)} | {c['library_median_ms']} ms | {c['library_p95_ms']} ms | | — |

Throughput: {p['requests_per_s']} requests/s paced, {s['requests_per_s']} requests/s at saturation.
Server memory after the runs: {r['memory']['rss_mb']} MB resident (peak {r['memory']['hwm_mb']} MB):
{r['memory']['anon_mb']} MB of its own, {r['memory']['file_mb']} MB of mapped files (the search index and the
catalog, shared with the page cache), {r['memory']['threads']} threads.

Reading:

- **Search.** The engine answers in ~10 ms (library row). A result page adds the session check,
  the hits' rows, parties' names and snippets, and the template. Composing a record's text for its
  snippet (~2 ms a record) dominated a cold page; it is now kept by record id (records never
  change once sealed) and a page shows 10 results. The query list is fixed, so after the first
  round the snippets of these queries come from that cache; a first-time query pays ~20 ms more.
- **Dashboard.** Computed once per (scope, day, ledger size) and kept (ViewCache): every request
  after the first reads the cached result until something is written. The cold figure is the first
  computation: loading the ~10,000 records of the types the dashboard shows through the marshmallow
  schemas (`Snapshot.from_archive` → `Archive.load_record`, about two thirds of it) and
  `campaign.rectify.rectification_items` (about one third: it compares every contractor
  inspection with every other and with every hazard, quadratic), both the views issue 14 makes
  fast. Tickets and training cards (75 % of the archive) are not read at all.
- **Saturation.** With no think time the 20 sessions keep the one server process busy; Python runs
  one request at a time (the GIL), so latency there is queueing: ~20 requests/s is the throughput of
  one process on this machine.
- **`outsafe search`** pays the start of a process (importing the library, opening the catalog and
  the index) on every query: ~0.5–1 s, against ~20–30 ms for the same query in the running server.
- **Memory.** The server's own memory (anonymous) is the figure to watch; mapped files are the
  search index and the catalog, shared with the page cache. Password hashes (64 MiB each) run at
  most two at a time.

Raw figures:

```json
{json.dumps(r, ensure_ascii=False, indent=1)}
```
"""


if __name__ == "__main__":
    main()
