"""Benchmark of the views that scale (issue 14): each view's time and peak memory on a generated
district, beside the floor measured in the same run (selecting and parsing the same records' JSON).

    .venv/bin/python bench/views/run.py build --records 100000 --home bench/work/views-100000
    .venv/bin/python bench/views/run.py measure --home bench/work/views-100000 --runs 5 --out bench/views/RESULTS.md

``build``: a district (bench/views/district.py: 200 enterprises, 1,000 contractors, the realistic
mix of record types over a campaign year) sealed and stored through the real storage interfaces by
the bulk path (bench/views/bulk.py), facts derived with each record; then ``verify --lint`` once
(so that the checks report the lint without a catch-up).

``measure``: every view runs in a process of its own (``one``), timed from the call to its result
(the imports and the opening of the archive are not in it: they are the same for every command,
and are measured on their own), peak RSS read from /proc (VmHWM) at the end:

- *cold*: the kept results deleted (``<home>/cache/views``) — the view computed from the facts;
- *warm*: kept results present (the previous run's) — a new process reads the kept result.

The operating system's page cache is warm in both (the catalog file was just read). The floor is
what any view of the same records must at least do: select their rows and parse their JSON (the
whole archive's for the whole-archive views; the enterprise's own records, or the records naming
the contractor, for theirs) — through the storage interface, the sealed ``data`` column with the
small fact columns beside it. The straightforward evaluation the views replace (every record through today's schema
into one snapshot in memory, then the rules) is measured too, where it fits in memory.

The scope measured for one enterprise is the enterprise with the most records, for one contractor
the contractor named by the most records (the worst case of each). Never run as a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OUTSAFE_PASSPHRASE", "bench-passphrase")

AS_OF = date(2026, 11, 30)
PY = sys.executable


def peak_mb() -> float:
    """This process's peak resident set size (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- build ---------------------------------------------------------------------------------------


def build(home: Path, records: int, enterprises: int, contractors: int, seed: int, lint: bool = True) -> dict:
    from archive.facts.lint import lint_archive
    from bench.views.bulk import new_bureau_archive, store
    from bench.views.district import District

    t = time.perf_counter()
    cases = District(seed=seed, enterprises=enterprises, contractors=contractors, records=records).cases()
    gen_s = time.perf_counter() - t
    a = new_bureau_archive(home)
    t = time.perf_counter()
    store(a, cases, progress=lambda n: print(f"  stored {n}/{len(cases)}", file=sys.stderr) if n % 10000 == 0 else None)
    store_s = time.perf_counter() - t
    t = time.perf_counter()
    refused = len(lint_archive(a).refused) if lint else None
    lint_s = time.perf_counter() - t if lint else None
    n = a.catalog.max_seq()
    a.close()
    info = {"records": n, "enterprises": enterprises, "contractors": contractors, "seed": seed, "generate_s": gen_s, "store_s": store_s,
            "lint_s": lint_s, "refused": refused,
            "catalog_mb": (home / "catalog.sqlite3").stat().st_size / 2**20 if (home / "catalog.sqlite3").exists() else None}
    home.with_name(home.name + ".district.json").write_text(json.dumps(info, indent=1))
    return info


# --- one view, in its own process ---------------------------------------------------------------------


def org_roles(facts: Any) -> dict[str, str | None]:
    """USCC -> role (enterprise, contractor …) of every registered organization, from the facts."""
    return {r["key"]: json.loads(r["info"] or "{}").get("role") for r in facts.of_type(["organization"], current_only=True)}


def scopes(a: Any) -> dict:
    """The largest enterprise (by records that are its own), the median one, and the contractor
    named by most records (homes of contractors — their own registrations — are not enterprises)."""
    facts = a.catalog.facts
    roles = org_roles(facts)
    homes = [h for h in facts.keys("home") if h and roles.get(h) == "enterprise"]
    sizes = {h: len(facts.linked("home", [h])) for h in homes}
    enterprise = max(homes, key=lambda h: sizes[h])
    median = sorted(homes, key=lambda h: sizes[h])[len(homes) // 2]
    contractors = [json.loads(r["info"] or "{}").get("contractor") for r in facts.of_type(["project"], current_only=True)]
    counts: dict[str, int] = {}
    for c in contractors:
        if c:
            counts[c] = counts.get(c, 0) + 1
    top = sorted(counts, key=lambda c: -counts[c])[:5]
    contractor = max(top, key=lambda c: len(facts.linked("contractor", [c])))
    return {"enterprise": enterprise, "contractor": contractor, "median": median, "median_records": sizes[median],
            "enterprise_records": sizes[enterprise], "contractor_records": len(facts.linked("contractor", [contractor]))}


def view_call(name: str, a: Any, arg: str | None, out: Path) -> Callable[[], Any]:
    """The library call behind each command (what ``outsafe …`` runs after opening the archive)."""
    from archive.campaign.calendar import campaign_status_report
    from archive.campaign.dashboard import dashboard
    from archive.campaign.dossier import contractor_dossier
    from archive.campaign.rectify import rectification_report
    from archive.campaign.reports import produce
    from archive.checks.rules import check_archive

    from schemas import TYPES

    facts = a.catalog.facts

    def floor(select: Callable[[], list]) -> Callable[[], int]:
        def run() -> int:  # the records' rows with their sealed JSON (fact columns beside: small), each parsed
            return len([json.loads(r["data"]) for r in select()])
        return run

    calls: dict[str, Callable[[], Any]] = {
        "floor": floor(lambda: facts.of_type(sorted(TYPES), with_data=True)),
        "floor-enterprise": floor(lambda: facts.linked("home", [arg], with_data=True)),
        "floor-contractor": floor(lambda: facts.linked("contractor", [arg], with_data=True)),
        "floor-median": floor(lambda: facts.linked("home", [arg], with_data=True)),
        "check-median": lambda: check_archive(a, as_of=AS_OF, enterprise=arg),
        "check": lambda: check_archive(a, as_of=AS_OF),
        "check-enterprise": lambda: check_archive(a, as_of=AS_OF, enterprise=arg),
        "check-contractor": lambda: check_archive(a, as_of=AS_OF, contractor=arg),
        "check-within": lambda: check_archive(a, as_of=AS_OF, enterprise=arg, within=arg),
        "campaign-status": lambda: campaign_status_report(a, as_of=AS_OF),
        "rectify-status": lambda: rectification_report(a, as_of=AS_OF),
        "rectify-enterprise": lambda: rectification_report(a, as_of=AS_OF, enterprise=arg),
        "contractor-show": lambda: contractor_dossier(a, arg or "", AS_OF),
        "dashboard": lambda: dashboard(a, as_of=AS_OF),
        "dashboard-within": lambda: dashboard(a, as_of=AS_OF, within=arg),
        "report-ledger": lambda: produce(a, "ledger", out, as_of=AS_OF, pdf=False),
        "report-attachment2": lambda: produce(a, "attachment2", out, as_of=AS_OF, enterprise=arg, pdf=False),
        "straightforward-check": lambda: straightforward_check(a),
    }
    return calls[name]


def straightforward_check(a: Any) -> Any:
    """What ``check`` did before the facts: every record through today's schema, one snapshot."""
    from archive.checks.snapshot import Snapshot
    from archive.checks.table import run_checks

    return run_checks(Snapshot.from_archive(a, loader=a.load_record_validated), AS_OF)


def one(home: Path, name: str, arg: str | None, cold: bool = True) -> dict:
    from archive.app import Archive

    t0 = time.perf_counter()
    a = Archive.open(home)
    opened = time.perf_counter() - t0
    base = rss_mb()
    out = home.parent / "reports-out"
    call = view_call(name, a, arg, out)
    t = time.perf_counter()
    call()
    seconds = time.perf_counter() - t
    loaded = a.sealed.loaded + getattr(a.sealed, "briefed", 0)  # read whole, or from a brief (the check)
    peak = peak_mb()
    # again in the same process with the kept results and the loaded records dropped: what a server
    # (decoders of the record classes generated, modules warm) pays to compute the view afresh
    again = None
    if not name.startswith(("floor", "straightforward")) and (arg or os.environ.get("BENCH_AGAIN_ALL")):  # scoped views (a whole one: 2× the time)
        a.views.clear()
        a.sealed.clear()
        if cold:
            shutil.rmtree(home / "cache" / "views", ignore_errors=True)
        t = time.perf_counter()
        call()
        again = time.perf_counter() - t
    a.close()
    return {"view": name, "arg": arg, "seconds": seconds, "again_s": again, "open_s": opened, "peak_mb": peak, "base_mb": base,
            "loaded": loaded}


def spawn(home: Path, name: str, arg: str | None, *, cold: bool) -> dict:
    if cold:
        shutil.rmtree(home / "cache" / "views", ignore_errors=True)
    cmd = [PY, str(Path(__file__).resolve()), "one", "--home", str(home), "--view", name] + (["--arg", arg] if arg else []) \
        + ([] if cold else ["--warm"])
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"{name} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def cli_run(home: Path, argv: list[str], *, cold: bool) -> dict:
    """``outsafe …`` end to end (start-up, imports, the view, the output): wall time and peak RSS."""
    if cold:
        shutil.rmtree(home / "cache" / "views", ignore_errors=True)
    t = time.perf_counter()
    p = subprocess.Popen([str(Path(PY).parent / "outsafe"), "--home", str(home), *argv], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"outsafe {' '.join(argv)} failed: {p.stderr.read().decode()[-2000:] if p.stderr else ''}")
    return {"seconds": wall, "peak_mb": usage.ru_maxrss / 1024}


# --- measure -------------------------------------------------------------------------------------------


VIEWS = [  # (name, scope, target of the time as a multiple of the floor or in ms)
    ("check", None, "3x floor"),
    ("check-enterprise", "enterprise", "200 ms"),
    ("check-contractor", "contractor", "200 ms"),
    ("check-within", "enterprise", "200 ms"),
    ("check-median", "median", "200 ms"),
    ("rectify-enterprise", "enterprise", "200 ms"),
    ("contractor-show", "contractor", "200 ms"),
    ("report-attachment2", "enterprise", "—"),
    ("campaign-status", None, "—"),
    ("rectify-status", None, "—"),
    ("report-ledger", None, "—"),
    ("dashboard", None, "—"),
    ("dashboard-within", "enterprise", "200 ms"),
]
CLI = [
    ("check", ["check", "--as-of", AS_OF.isoformat(), "--json"]),
    ("check --enterprise", ["check", "--enterprise", "{enterprise}", "--as-of", AS_OF.isoformat(), "--json"]),
    ("campaign status", ["campaign", "status", "--as-of", AS_OF.isoformat(), "--json"]),
    ("contractor show", ["contractor", "show", "{contractor}", "--as-of", AS_OF.isoformat(), "--json"]),
    ("report ledger --no-pdf", ["report", "ledger", "--as-of", AS_OF.isoformat(), "--no-pdf", "-o", "{out}", "--json"]),
]


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def measure(home: Path, runs: int, straightforward: bool, cli: bool, skip: frozenset[str] = frozenset()) -> dict:
    from archive.app import Archive

    unknown = sorted(skip - {name for name, _, _ in VIEWS})
    if unknown:
        raise SystemExit(f"--skip: no view named {', '.join(unknown)} (the views: {', '.join(n for n, _, _ in VIEWS)})")
    a = Archive.open(home)
    sc = scopes(a)
    n = a.catalog.max_seq()
    a.close()
    arg_of = {None: None, "enterprise": sc["enterprise"], "contractor": sc["contractor"], "median": sc["median"]}
    results: dict[str, Any] = {"records": n, "scopes": sc, "views": {}, "floors": {}, "cli": {}}
    for fname, scope in (("floor", None), ("floor-enterprise", "enterprise"), ("floor-contractor", "contractor"), ("floor-median", "median")):
        got = [spawn(home, fname, arg_of[scope], cold=False) for _ in range(runs)]
        results["floors"][fname] = {"seconds": median_of(got, "seconds"), "peak_mb": max(r["peak_mb"] for r in got),
                                    "base_mb": median_of(got, "base_mb"), "all": [r["seconds"] for r in got]}
        print(f"{fname}: {results['floors'][fname]['seconds']:.3f} s", file=sys.stderr)
    for name, scope, target in VIEWS:
        if name in skip:
            continue
        cold = [spawn(home, name, arg_of[scope], cold=True) for _ in range(runs)]
        warm = [spawn(home, name, arg_of[scope], cold=False) for _ in range(runs)]
        results["views"][name] = {
            "scope": scope, "target": target,
            "cold_s": median_of(cold, "seconds"), "warm_s": median_of(warm, "seconds"), "again_s": median_of(cold, "again_s") if cold[0]["again_s"] is not None else None,
            "cold_all": [r["seconds"] for r in cold], "warm_all": [r["seconds"] for r in warm],
            "peak_mb": max(r["peak_mb"] for r in cold), "warm_peak_mb": max(r["peak_mb"] for r in warm),
            "base_mb": median_of(cold, "base_mb"), "loaded": cold[0]["loaded"], "warm_loaded": warm[0]["loaded"],
        }
        print(f"{name}: cold {results['views'][name]['cold_s']:.3f} s, again {results['views'][name]['again_s']} s, "
              f"warm {results['views'][name]['warm_s']:.3f} s, "
              f"peak {results['views'][name]['peak_mb']:.0f} MB", file=sys.stderr)
    if straightforward:
        got = [spawn(home, "straightforward-check", None, cold=False) for _ in range(max(1, runs // 2))]
        results["straightforward"] = {"seconds": median_of(got, "seconds"), "peak_mb": max(r["peak_mb"] for r in got),
                                      "all": [r["seconds"] for r in got]}
        print(f"straightforward check: {results['straightforward']['seconds']:.3f} s", file=sys.stderr)
    if cli:
        out = home.parent / "reports-cli"
        for label, argv in CLI:
            argv = [x.format(enterprise=sc["enterprise"], contractor=sc["contractor"], out=out) for x in argv]
            cold = [cli_run(home, argv, cold=True) for _ in range(runs)]
            warm = [cli_run(home, argv, cold=False) for _ in range(runs)]
            results["cli"][label] = {"cold_s": median_of(cold, "seconds"), "warm_s": median_of(warm, "seconds"),
                                     "peak_mb": max(r["peak_mb"] for r in cold)}
            print(f"outsafe {label}: cold {results['cli'][label]['cold_s']:.2f} s, warm {results['cli'][label]['warm_s']:.2f} s",
                  file=sys.stderr)
        results["cli"]["(start-up: outsafe --version)"] = {
            "cold_s": statistics.median(cli_time(["--version"]) for _ in range(runs)), "warm_s": None, "peak_mb": None}
    results["load"] = os.getloadavg()
    return results


def cli_time(argv: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([str(Path(PY).parent / "outsafe"), *argv], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


# --- the table -------------------------------------------------------------------------------------------


LABELS = {
    "check": "`check` (whole archive)", "check-enterprise": "`check --enterprise E`", "check-contractor": "`check --contractor C`",
    "check-within": "check of E in E's account (web: `within=E`)", "check-median": "`check --enterprise M`", "rectify-enterprise": "`rectify status --enterprise E`",
    "contractor-show": "`contractor show C` (dossier)", "report-attachment2": "`report attachment2 --enterprise E --no-pdf`",
    "campaign-status": "`campaign status`", "rectify-status": "`rectify status` (whole archive)",
    "report-ledger": "`report ledger --no-pdf`", "dashboard": "dashboard (bureau)", "dashboard-within": "dashboard (E's account)",
}


def table(res: dict, info: dict | None) -> list[str]:
    fl = res["floors"]
    floor_of = {None: fl["floor"]["seconds"], "enterprise": fl["floor-enterprise"]["seconds"], "contractor": fl["floor-contractor"]["seconds"],
                "median": fl["floor-median"]["seconds"]}
    sc = res["scopes"]
    out = [f"### {res['records']:,} records", ""]
    if info:
        out.append(f"District: {info['enterprises']} enterprises, {info['contractors']} contractors, seed {info['seed']}; generated in "
                   f"{info['generate_s']:.0f} s, sealed and stored in {info['store_s']:.0f} s (bulk path, facts with each record), "
                   + (f"linted in {info['lint_s']:.0f} s" if info.get("lint_s") else "not linted") + f"; catalog {info['catalog_mb'] or 0:.0f} MB.")
    out.append(f"E = the largest enterprise ({sc['enterprise_records']:,} records of its own), M = the median enterprise "
               f"({sc['median_records']:,}), C = the contractor named by the most records ({sc['contractor_records']:,}). "
               f"Load average at the end: {res['load'][0]:.1f}.")
    out += ["", "| what | cold (new process) | cold (warm process) | warm (kept result) | peak RSS | floor (same records) | "
            "cold ÷ floor | target |", "|---|---|---|---|---|---|---|---|"]
    for key, label in (("floor", "every record's"), ("floor-enterprise", "E's records'"), ("floor-contractor", "C's records'"),
                       ("floor-median", "M's records'")):
        out.append(f"| floor: select + parse {label} JSON | {fl[key]['seconds'] * 1000:,.1f} ms | | | {fl[key]['peak_mb']:.0f} MB | | | |")
    for name, v in res["views"].items():
        f = floor_of[v["scope"]]
        target = v["target"]
        ok = ""
        if target == "3x floor":
            ok = " ✓" if v["cold_s"] <= 3 * f else " ✗"
        elif target == "200 ms":
            ok = " ✓" if v["cold_s"] <= 0.2 else " ✗"
        mem_ok = "" if v["peak_mb"] <= 500 else " ✗"
        ok2 = ""
        if v["again_s"] is None:
            pass
        elif target == "200 ms":
            ok2 = " ✓" if v["again_s"] <= 0.2 else " ✗"
        elif target == "3x floor":
            ok2 = " ✓" if v["again_s"] <= 3 * f else " ✗"
        again = f"{v['again_s'] * 1000:,.0f} ms{ok2}" if v["again_s"] is not None else "—"
        out.append(f"| {LABELS[name]} | {v['cold_s'] * 1000:,.0f} ms{ok} | {again} | {v['warm_s'] * 1000:,.1f} ms | "
                   f"{v['peak_mb']:.0f} MB{mem_ok} | {f * 1000:,.1f} ms | {v['cold_s'] / f:.1f}× | {target} |")
    if "straightforward" in res:
        s = res["straightforward"]
        out.append(f"| before: every record through today's schema, one snapshot, the rules | {s['seconds'] * 1000:,.0f} ms | | | "
                   f"{s['peak_mb']:.0f} MB | {fl['floor']['seconds'] * 1000:,.0f} ms | {s['seconds'] / fl['floor']['seconds']:.1f}× | |")
    if res["cli"]:
        out += ["", "The commands end to end (a new process each: start-up, imports, opening the archive, the view, the output):", "",
                "| command | cold | warm | peak RSS |", "|---|---|---|---|"]
        for label, v in res["cli"].items():
            warm = f"{v['warm_s']:.2f} s" if v["warm_s"] is not None else ""
            peak = f"{v['peak_mb']:.0f} MB" if v["peak_mb"] else ""
            out.append(f"| `outsafe {label}` | {v['cold_s']:.2f} s | {warm} | {peak} |")
    out.append("")
    return out


# --- sizes: one scope's view against the scope's size --------------------------------------------------

QUANTILES = (0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)


def _at_quantiles(sizes: dict[str, int]) -> list[tuple[float, str]]:
    ranked = sorted(sizes, key=lambda k: (sizes[k], k))
    picked: dict[str, float] = {}
    for q in QUANTILES:
        picked.setdefault(ranked[min(len(ranked) - 1, round(q * (len(ranked) - 1)))], q)
    return [(q, k) for k, q in picked.items()]


def sizes(home: Path, runs: int) -> dict:
    """The one-enterprise and one-contractor check of scopes at quantiles of their size: is the time
    in proportion to the scope's records (and not to the archive's)? Each run a new process, no
    kept result; ``again``: computed afresh in the same process (the server's case)."""
    from archive.app import Archive

    a = Archive.open(home)
    facts = a.catalog.facts
    n = a.catalog.max_seq()
    roles = org_roles(facts)
    homes = {h: len(facts.linked("home", [h])) for h in facts.keys("home") if roles.get(h) == "enterprise"}
    contractors = {c: len(facts.linked("contractor", [c])) for c in facts.keys("contractor") if roles.get(c) == "contractor"}
    a.close()
    out: dict[str, Any] = {"records": n, "enterprises": len(homes), "contractors": len(contractors), "rows": []}
    for view, pool, label in (("check-enterprise", homes, "enterprise"), ("check-contractor", contractors, "contractor")):
        out[f"{label}_sizes"] = sorted(pool.values())
        for q, key in _at_quantiles(pool):
            got = [spawn(home, view, key, cold=True) for _ in range(runs)]
            row = {"scope": label, "quantile": q, "key": key, "records": pool[key], "loaded": got[0]["loaded"],
                   "cold_s": median_of(got, "seconds"), "again_s": median_of(got, "again_s"),
                   "peak_mb": max(r["peak_mb"] for r in got), "all": [r["seconds"] for r in got]}
            out["rows"].append(row)
            print(f"{label} q{q:.2f} {pool[key]} records: cold {row['cold_s'] * 1000:.0f} ms, again {row['again_s'] * 1000:.0f} ms",
                  file=sys.stderr)
    out["load"] = os.getloadavg()
    return out


def sizes_table(res: dict) -> list[str]:
    out = [f"### {res['records']:,} records: {res['enterprises']} enterprises, {res['contractors']} contractors", "",
           "| scope | size quantile | its records | records read | cold (new process) | cold (warm process) | "
           "warm process per record read | peak RSS |", "|---|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        ok = lambda s: " ✓" if s <= 0.2 else " ✗"  # noqa: E731
        out.append(f"| {r['scope']} | {r['quantile']:.2f} | {r['records']:,} | {r['loaded']:,} | {r['cold_s'] * 1000:,.0f} ms{ok(r['cold_s'])} | "
                   f"{r['again_s'] * 1000:,.0f} ms{ok(r['again_s'])} | {r['again_s'] / max(1, r['loaded']) * 1e6:,.0f} µs | {r['peak_mb']:.0f} MB |")
    for label in ("enterprise", "contractor"):
        rows = [r for r in res["rows"] if r["scope"] == label]
        met = [r["records"] for r in rows if r["cold_s"] <= 0.2]
        if met:
            within = sum(1 for s in res[f"{label}_sizes"] if s <= max(met))
            out.append(f"\n{label.capitalize()}s measured within 200 ms up to {max(met):,} records of their own; "
                       f"{within} of {len(res[label + '_sizes'])} {label}s have no more than that.")
    out.append("")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--records", type=int, default=10_000)
    b.add_argument("--enterprises", type=int, default=200)
    b.add_argument("--contractors", type=int, default=1000)
    b.add_argument("--seed", type=int, default=7)
    b.add_argument("--home", type=Path, required=True)
    b.add_argument("--no-lint", action="store_true", help="skip verify --lint after storing (the checks then count the records not linted)")
    m = sub.add_parser("measure")
    m.add_argument("--home", type=Path, required=True)
    m.add_argument("--runs", type=int, default=5)
    m.add_argument("--straightforward", action="store_true", help="also the evaluation the views replace (memory: ~30 KB a record)")
    m.add_argument("--cli", action="store_true", help="also the commands end to end")
    m.add_argument("--json", type=Path, help="write the figures here")
    m.add_argument("--skip", default="", help="views not to measure, by name, comma-separated (report-ledger at 10^6: 13 minutes a run)")
    z = sub.add_parser("sizes", help="the one-scope checks against the scope's size")
    z.add_argument("--home", type=Path, required=True)
    z.add_argument("--runs", type=int, default=3)
    z.add_argument("--json", type=Path, help="write the figures here")
    o = sub.add_parser("one")
    o.add_argument("--home", type=Path, required=True)
    o.add_argument("--view", required=True)
    o.add_argument("--arg")
    o.add_argument("--warm", action="store_true", help="keep the kept results for the second call too")
    args = ap.parse_args()
    if args.cmd == "build":
        if args.home.exists():
            raise SystemExit(f"{args.home} exists")
        args.home.parent.mkdir(parents=True, exist_ok=True)
        print(json.dumps(build(args.home, args.records, args.enterprises, args.contractors, args.seed, not args.no_lint), indent=1))
    elif args.cmd == "measure":
        res = measure(args.home, args.runs, args.straightforward, args.cli, frozenset(filter(None, args.skip.split(","))))
        res["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        info_path = args.home.with_name(args.home.name + ".district.json")
        info = json.loads(info_path.read_text()) if info_path.exists() else None
        if args.json:
            args.json.write_text(json.dumps(res, indent=1))
        print("\n".join(table(res, info)))
    elif args.cmd == "sizes":
        res = sizes(args.home, args.runs)
        if args.json:
            args.json.write_text(json.dumps(res, indent=1))
        print("\n".join(sizes_table(res)))
    else:
        print(json.dumps(one(args.home, args.view, args.arg, not args.warm)))


if __name__ == "__main__":
    main()
