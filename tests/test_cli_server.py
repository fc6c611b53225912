"""Archives on PostgreSQL + S3 through the command line (issue 17): ``init --catalog --blobs``, two
writer processes on two machines' homes at once, ``kill -9`` inside the commit, and the whole
story of ``outsafe demo`` — each on the throw-away PostgreSQL cluster and moto S3 server the tests
start themselves (tests/services.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OUTSAFE = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())"]
CASES = sorted((EXAMPLES / "cases").glob("training-00*.yaml"))[:4] + sorted((EXAMPLES / "cases").glob("contract-*.yaml"))


def env(s3, **extra) -> dict:
    e = dict(os.environ, OUTSAFE_PASSPHRASE="server-suite-passphrase", PYTHONPATH=str(ROOT), **s3.env())
    e.pop("OUTSAFE_CRASH_AT", None)
    e.update(extra)
    return e


def outsafe(s3, home: Path, *args, crash: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([*OUTSAFE, "--home", str(home), *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                       env=env(s3, **({"OUTSAFE_CRASH_AT": crash} if crash else {})), timeout=600)
    if check and not crash:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def listing(s3, home: Path) -> tuple[list[str], int]:
    """(record ids, ledger size) as an observer sees them through the CLI."""
    ids = sorted(r["id"] for r in json.loads(outsafe(s3, home, "case", "list", "--json").stdout))
    return ids, json.loads(outsafe(s3, home, "ledger", "show", "--json").stdout)["tree_size"]


@pytest.fixture(scope="module")
def base(tmp_path_factory, s3_server):
    """An enterprise archive (SQLite + files) with its registry: the start of every test here."""
    home = tmp_path_factory.mktemp("server") / "ent"
    outsafe(s3_server, home, "init", "--org", EXAMPLES / "organizations" / "enterprise.yaml", "--no-pdf")
    for what in ("org", "person", "project"):
        outsafe(s3_server, home, what, "add", EXAMPLES / f"{what if what != 'org' else 'organization'}s", "--no-pdf")
    return home


@pytest.fixture
def on_server(base, tmp_path, pg_cluster, s3_server):
    """A copy of ``base`` moved onto PostgreSQL (a schema of its own) and S3 (a bucket of its own)."""
    home = tmp_path / "a"
    shutil.copytree(base, home, symlinks=True)
    outsafe(s3_server, home, "migrate", "--to", pg_cluster.new_schema("cli"), "--blobs", f"s3://{s3_server.new_bucket()}/ent")
    return home


def test_init_on_postgresql_and_s3(runner, tmp_path, pg_cluster, s3_env, examples):
    url, blobs = pg_cluster.new_schema("init"), f"s3://{s3_env.new_bucket()}/enterprise"
    home = tmp_path / "h"
    r = runner.invoke(main, ["--home", str(home), "init", "--org", str(examples / "organizations" / "enterprise.yaml"),
                             "--catalog", url, "--blobs", blobs, "--no-pdf", "--json"])
    assert r.exit_code == 0, r.output
    text = (home / "outsafe.toml").read_text(encoding="utf-8")
    assert f'catalog = "{url}"' in text and f'blobs = "{blobs}"' in text and "[settings]" in text
    assert not (home / "catalog.sqlite3").exists() and not (home / "blobs").exists()
    r = runner.invoke(main, ["--home", str(home), "org", "list", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["uscc"] == "91370100MA3C8K2P9L"
    assert runner.invoke(main, ["--home", str(home), "verify"]).exit_code == 0
    # a catalog that holds an archive is not taken by a second init; nothing is created
    r = runner.invoke(main, ["--home", str(tmp_path / "again"), "init", "--org", str(examples / "organizations" / "bureau.yaml"),
                             "--catalog", url, "--no-pdf"])
    assert r.exit_code == 1 and "already holds an archive" in r.stderr and not (tmp_path / "again").exists()
    for bad, message in ((["--catalog", "mysql://x/y"], "must be a postgresql:// URL"),
                         (["--catalog", f"postgresql://nobody@/x?host={tmp_path}&port=5999"], "cannot connect"),
                         (["--blobs", "s3://no-such-bucket-x/p"], "the bucket does not exist")):
        r = runner.invoke(main, ["--home", str(tmp_path / "bad"), "init", "--org", str(examples / "organizations" / "bureau.yaml"),
                                 "--no-pdf", *bad])
        assert r.exit_code == 1 and message in r.stderr and "Traceback" not in r.stderr, r.output
        assert not (tmp_path / "bad").exists()


HOLDER = """
    import sys, time
    import psycopg
    from storage.postgresql.lock import AdvisoryLock
    with AdvisoryLock(sys.argv[1]).hold("test holder"), psycopg.connect(sys.argv[1]) as conn:
        print("locked", flush=True)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # until both writers wait for it
            waiting = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()[0]
            conn.rollback()
            if waiting >= 2:
                break
            time.sleep(0.1)
        time.sleep(1.5)  # each writer says who holds the lock after a second of waiting
"""


def test_two_writers_on_two_machines_lose_nothing_and_keep_one_ledger(on_server, tmp_path, s3_server):
    """Machine B has a copy of machine A's home (settings and keys; its own index and temp files).
    While a third process holds the archive lock, a writer on each machine adds its half of the
    cases: both wait for the lock, both succeed, every record is there once, in one ledger, and
    each machine's search index catches up with what the other wrote."""
    a = on_server
    b = tmp_path / "b"
    shutil.copytree(a, b, symlinks=True, ignore=shutil.ignore_patterns("index", "tmp"))
    before, size_before = listing(s3_server, a)
    url = next(line.split('"')[1] for line in (a / "outsafe.toml").read_text().splitlines() if line.startswith("catalog ="))
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLDER), url], cwd=ROOT, env=env(s3_server),
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        halves = [CASES[0::2], CASES[1::2]]
        writers = [subprocess.Popen([*OUTSAFE, "--home", str(h), "case", "add", "--no-pdf", *map(str, half)], cwd=ROOT,
                                    env=env(s3_server), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for h, half in zip((a, b), halves)]
        outs = [w.communicate(timeout=300) for w in writers]
    finally:
        holder.communicate(timeout=60)
    for w, (out, err) in zip(writers, outs):
        assert w.returncode == 0, err
        assert "等待档案写锁" in err and "test holder" in err and "Traceback" not in err
    after_a, size_a = listing(s3_server, a)
    after_b, size_b = listing(s3_server, b)
    assert after_a == after_b and len(after_a) == len(before) + len(CASES) and set(before) <= set(after_a)
    assert size_a == size_b == size_before + len(CASES)  # one ledger, a leaf per record
    for home in (a, b):
        assert outsafe(s3_server, home, "verify", check=False).returncode == 0
    found = json.loads(outsafe(s3_server, b, "search", "外包合同", "--json").stdout)  # B's index has A's records too
    assert found["behind"] == 0 and found["total"] >= 1


ADD_POINTS = ["add.after_blobs", "add.before_commit", "add.after_commit"]


def test_kill_9_inside_the_commit_leaves_the_archive_valid(on_server, s3_server):
    """``case add`` killed at each crash point (inside the open PostgreSQL transaction, holding the
    advisory lock, its blobs already in S3): verify passes, the record is all there or not at all,
    the lock died with the process, and repeating the command completes the batch."""
    home = on_server
    first_ids, first_size = ids, size = listing(s3_server, home)
    for point in ADD_POINTS:
        r = outsafe(s3_server, home, "case", "add", "--no-pdf", *CASES, crash=point)
        assert r.returncode == -signal.SIGKILL, r.stderr
        assert outsafe(s3_server, home, "verify", check=False).returncode == 0
        now, now_size = listing(s3_server, home)
        added = len(now) - len(ids)
        assert added in ((1,) if point == "add.after_commit" else (0, 1))
        assert now_size - size == added and set(ids) <= set(now)  # a record and its leaf, or neither
        ids, size = now, now_size
    r = outsafe(s3_server, home, "case", "add", "--no-pdf", *CASES)
    assert "等待档案写锁" not in r.stderr  # the killed writers left no lock behind
    final, final_size = listing(s3_server, home)
    assert len(final) == len(first_ids) + len(CASES) and final_size == first_size + len(CASES)
    assert outsafe(s3_server, home, "verify", check=False).returncode == 0


@pytest.mark.soffice
@pytest.mark.slow
def test_the_demo_story_on_postgresql_and_s3(runner, tmp_path, pg_cluster, s3_env):
    """Every command of ``outsafe demo`` (archive/demo.py), with both archives — enterprise and
    bureau — initialised on PostgreSQL and S3: the story ends with both verifying."""
    from archive import demo as story

    res = story.prepare(tmp_path / "demo")
    bucket = s3_env.new_bucket()
    catalogs = {res.enterprise: pg_cluster.new_schema("ent"), res.bureau: pg_cluster.new_schema("bur")}
    ran = []

    def execute(step) -> tuple[int, float]:
        argv = list(step.argv)
        if step.args[0] == "init":
            argv += ["--catalog", catalogs[step.home], "--blobs", f"s3://{bucket}/{step.home.name}"]
        r = runner.invoke(main, argv, input=step.input)
        ran.append((argv, r.exit_code, r.output))
        return r.exit_code, 0.0

    story.run(res, execute, lambda _step: None)
    assert all(code == 0 for _, code, _ in ran), [(a, o[-2000:]) for a, c, o in ran if c]
    for home in (res.enterprise, res.bureau):
        assert not (home / "catalog.sqlite3").exists()
        assert "postgresql://" in (home / "outsafe.toml").read_text()
    commands = [" ".join(a[2:4]) for a, _, _ in ran]
    assert "package import" in commands and "evidence export" in commands
    assert any("DH-2026-0137" in out for a, _, out in ran if a[2] == "search")  # found across the enterprise boundary
    assert ran[-1][0][2] == "verify" and "核验通过 (verified)" in ran[-1][2]
