"""kill -9 at the moments that matter, in real outsafe processes (issue 12 item 9).

For ``case add``, ``package export`` and ``package import``: SIGKILL at named crash points
(OUTSAFE_CRASH_AT, storage/faults.py — including inside the final transaction, just before its
commit) and at random moments of a run. After every kill: ``verify`` exits 0, the catalog holds
exactly what it held before or exactly what a complete run gives, and the next outsafe process
on the archive leaves no staging folder, no half-written package and no PDF working folder.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import staging

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OUTSAFE = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())"]
BUREAU_PERSONS = sorted((EXAMPLES / "persons").glob("bureau-*.yaml"))
CASES = sorted((EXAMPLES / "cases").glob("training-00*.yaml"))[:5] + sorted((EXAMPLES / "cases").glob("contract-*.yaml"))


def env(**extra) -> dict:
    e = dict(os.environ, OUTSAFE_PASSPHRASE="fault-suite-passphrase", PYTHONPATH=str(ROOT))
    e.pop("OUTSAFE_CRASH_AT", None)
    e.update(extra)
    return e


def outsafe(home: Path, *args, crash: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([*OUTSAFE, "--home", str(home), *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                       env=env(**({"OUTSAFE_CRASH_AT": crash} if crash else {})), timeout=600)
    if check and not crash:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def state(home: Path) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """What an observer sees, through the CLI: (record ids, record titles, ledger size)."""
    listed = json.loads(outsafe(home, "case", "list", "--json").stdout)
    ledger = json.loads(outsafe(home, "ledger", "show", "--json").stdout)
    return tuple(sorted(r["id"] for r in listed)), tuple(sorted(r["title"] for r in listed)), ledger["tree_size"]


def assert_valid(home: Path) -> None:
    r = outsafe(home, "verify", "--json", check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def assert_nothing_left(home: Path, *folders: Path) -> None:
    outsafe(home, "case", "list")  # the next process on the archive cleans
    tmp = home / "tmp"
    assert not [p for p in tmp.iterdir() if p.name.startswith(("import-", "outsafe-pdf-", ".blob-"))] if tmp.is_dir() else True
    for folder in folders:
        assert not [p for p in folder.iterdir() if ".partial-" in p.name], list(folder.iterdir())
    assert not list((tmp / staging.CLAIMS).glob("*.json")) if (tmp / staging.CLAIMS).is_dir() else True


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory):
    """An enterprise archive with its registry, and a second copy that has the cases too."""
    root = tmp_path_factory.mktemp("faults")
    home = root / "ent"
    outsafe(home, "init", "--org", EXAMPLES / "organizations" / "enterprise.yaml", "--no-pdf")
    outsafe(home, "org", "add", EXAMPLES / "organizations", "--no-pdf")
    outsafe(home, "person", "add", EXAMPLES / "persons", "--no-pdf")
    outsafe(home, "project", "add", EXAMPLES / "projects", "--no-pdf")
    full = root / "ent-full"
    shutil.copytree(home, full, symlinks=True)
    outsafe(full, "case", "add", *CASES, "--no-pdf")
    return {"base": home, "full": full, "root": root}


def fresh(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


# --- case add ---------------------------------------------------------------------------------------

ADD_POINTS = ["add.after_blobs", "add.before_commit", "add.after_commit"]


@pytest.mark.parametrize("point", ADD_POINTS)
def test_case_add_killed_at_a_crash_point(enterprise, tmp_path, point):
    home = fresh(enterprise["base"], tmp_path / "a")
    before = state(home)
    r = outsafe(home, "case", "add", *CASES, "--no-pdf", crash=point)
    assert r.returncode == -signal.SIGKILL
    assert_valid(home)
    after = state(home)
    assert before[0] == after[0][: len(before[0])] or set(before[0]) <= set(after[0])
    assert len(after[0]) - len(before[0]) in ((0, 1) if point != "add.after_commit" else (1,))  # all of a record, or none
    outsafe(home, "case", "add", *CASES, "--no-pdf")  # and the run can simply be repeated
    assert state(home)[1] == state(enterprise["full"])[1]
    assert_valid(home)
    assert_nothing_left(home)


def test_case_add_killed_at_random_moments(enterprise, tmp_path):
    rng = random.Random(20261129)
    t0 = time.monotonic()
    outsafe(fresh(enterprise["base"], tmp_path / "timing"), "case", "add", *CASES)
    duration = time.monotonic() - t0
    for i in range(10):
        home = fresh(enterprise["base"], tmp_path / f"r{i}")
        before = state(home)
        p = subprocess.Popen([*OUTSAFE, "--home", str(home), "case", "add", *map(str, CASES)], cwd=ROOT, env=env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, max(0.3, duration * 0.95)))
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert_valid(home)
        n = len(state(home)[0])
        assert len(before[0]) <= n <= len(before[0]) + len(CASES)
        assert_nothing_left(home)


# --- package export ---------------------------------------------------------------------------------


@pytest.mark.parametrize("as_zip", [False, True])
def test_export_killed_before_the_rename_leaves_nothing_behind(enterprise, tmp_path, as_zip):
    home = fresh(enterprise["full"], tmp_path / "e")
    out = tmp_path / "out"
    out.mkdir()
    before = state(home)
    args = ["package", "export", "-o", out / "pkg"] + (["--zip"] if as_zip else [])
    r = outsafe(home, *args, crash="export.before_rename")
    assert r.returncode == -signal.SIGKILL
    assert [p for p in out.iterdir() if ".partial-" in p.name]  # the kill left its staging folder …
    assert_valid(home)
    assert state(home)[0] == before[0]
    assert_nothing_left(home, out)  # … and the next process removed it (it holds 身份证号 in clear)
    assert list(out.iterdir()) == []


def test_export_killed_at_random_moments(enterprise, tmp_path):
    rng = random.Random(7)
    home = fresh(enterprise["full"], tmp_path / "e")
    out = tmp_path / "out"
    out.mkdir()
    t0 = time.monotonic()
    outsafe(home, "package", "export", "-o", out / "timing", "--zip")
    duration = time.monotonic() - t0
    (out / "timing.zip").unlink()
    for i in range(10):
        p = subprocess.Popen([*OUTSAFE, "--home", str(home), "package", "export", "-o", str(out / f"p{i}"), "--zip"], cwd=ROOT,
                             env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, max(0.2, duration * 0.95)))
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert_valid(home)
        assert_nothing_left(home, out)
        for z in out.glob("*.zip"):  # a package either is there complete, or is not there
            assert outsafe(home, "package", "verify", z, check=False).returncode == 0
            z.unlink()


# --- package import ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exchange(enterprise):
    """A bureau archive that trusts the enterprise, and the enterprise's submission package."""
    root = enterprise["root"]
    pkg = root / "pkg.zip"
    outsafe(enterprise["full"], "package", "export", "-o", pkg, "--zip")
    pub = root / "ent.pub.pem"
    outsafe(enterprise["full"], "keys", "export-public", "-o", pub)
    fp = json.loads(outsafe(enterprise["full"], "keys", "show", "--json").stdout)["fingerprint"]
    bureau = root / "bureau"
    outsafe(bureau, "init", "--org", EXAMPLES / "organizations" / "bureau.yaml", "--no-pdf")
    outsafe(bureau, "person", "add", *BUREAU_PERSONS, "--no-pdf")
    outsafe(bureau, "org", "add", EXAMPLES / "organizations" / "enterprise.yaml", "--no-pdf")
    outsafe(bureau, "org", "trust", "91370100MA3C8K2P9L", "--key", pub, "--fingerprint", fp)
    done = root / "bureau-done"
    shutil.copytree(bureau, done, symlinks=True)
    outsafe(done, "package", "import", pkg)
    return {"bureau": bureau, "done": done, "pkg": pkg}


IMPORT_POINTS = ["import.after_blobs", "import.midway", "import.before_commit", "import.after_commit"]


@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_import_killed_at_a_crash_point_is_all_or_nothing(exchange, tmp_path, point):
    home = fresh(exchange["bureau"], tmp_path / "b")
    before, after = state(home), state(exchange["done"])
    r = outsafe(home, "package", "import", exchange["pkg"], crash=point)
    assert r.returncode == -signal.SIGKILL
    assert_valid(home)
    now = state(home)
    assert now[0] in (before[0], after[0]), point
    assert now[0] == (after[0] if point == "import.after_commit" else before[0])
    outsafe(home, "package", "import", exchange["pkg"])  # repeating the import completes it
    assert state(home)[0] == after[0]
    assert_valid(home)
    assert_nothing_left(home)


def test_import_killed_at_random_moments(exchange, tmp_path):
    rng = random.Random(11)
    probe = fresh(exchange["bureau"], tmp_path / "timing")
    t0 = time.monotonic()
    outsafe(probe, "package", "import", exchange["pkg"])
    duration = time.monotonic() - t0
    before, after = state(exchange["bureau"]), state(exchange["done"])
    for i in range(10):
        home = fresh(exchange["bureau"], tmp_path / f"r{i}")
        p = subprocess.Popen([*OUTSAFE, "--home", str(home), "package", "import", str(exchange["pkg"])], cwd=ROOT, env=env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, max(0.2, duration * 0.95)))
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert_valid(home)
        assert state(home)[0] in (before[0], after[0])
        assert_nothing_left(home)


# --- a damaged catalog ------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_catalog_is_one_clear_message_and_exit_3(enterprise, tmp_path, damage):
    home = fresh(enterprise["full"], tmp_path / "c")
    cat = home / "catalog.sqlite3"
    for side in ("-wal", "-shm"):
        (home / f"catalog.sqlite3{side}").unlink(missing_ok=True)
    data = cat.read_bytes()
    cat.write_bytes(os.urandom(len(data)) if damage == "garbage" else data[: len(data) // 3])
    for args in (["verify"], ["case", "list"]):
        r = outsafe(home, *args, check=False)
        assert r.returncode == 3, r.stdout + r.stderr
        assert "Traceback" not in r.stderr and "catalog" in r.stderr
        assert len([line for line in r.stderr.splitlines() if line.strip()]) <= 3
