"""``outsafe migrate --to URL`` (archive/migrate.py): an archive moved SQLite/files → PostgreSQL/S3
and back, verified on both sides with the same ledger root; the catalog all or nothing (a kill
inside the copy's transaction leaves the target empty and the home unchanged), the blobs resumable;
refusals that change nothing; a process still holding the old catalog cannot write to it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from archive.errors import StorageError
from cli import main
from storage.catalog import open_catalog

ROOT = Path(__file__).resolve().parent.parent


def run(runner, home: Path, *args: object):
    return runner.invoke(main, ["--home", str(home), *map(str, args)])


def ids(runner, home: Path) -> list[str]:
    r = run(runner, home, "case", "list", "--json")
    assert r.exit_code == 0, r.output
    return sorted(x["id"] for x in json.loads(r.stdout))


@pytest.fixture
def home(arc) -> Path:
    return arc.home.root


def web_rows(runner, home: Path) -> tuple[list, list]:
    """(accounts, access log entries) as ``outsafe user list`` and ``outsafe audit list`` show them."""
    users = run(runner, home, "user", "list", "--json")
    log = run(runner, home, "audit", "list", "--json", "--limit", "100000")
    assert users.exit_code == 0 and log.exit_code == 0, users.output + log.output
    return json.loads(users.stdout), json.loads(log.stdout)["entries"]


def test_there_and_back_with_the_same_ledger_root(runner, home, pg_cluster, s3_env):
    for name in ("zhang", "li"):  # web accounts, and the access log entries that made them
        r = runner.invoke(main, ["--home", str(home), "user", "add", name, "--role", "bureau_officer", "--password-stdin"],
                          input="a-long-password-1\n")
        assert r.exit_code == 0, r.output
    before, accounts = ids(runner, home), web_rows(runner, home)
    assert len(accounts[0]) == 2 and len(accounts[1]) >= 2
    url, blobs = pg_cluster.new_schema("mig"), f"s3://{s3_env.new_bucket()}/archive"
    r = run(runner, home, "migrate", "--to", url, "--blobs", blobs, "--json")
    assert r.exit_code == 0, r.output
    there = json.loads(r.stdout)
    assert there["records"] >= len(before) and there["blobs_copied"] > 0 and there["blobs_already_there"] == 0
    assert f"\ncatalog = \"{url}\"" in (home / "outsafe.toml").read_text() and not (home / "catalog.sqlite3").exists()
    assert Path(there["source_kept_as"]).is_file()
    assert ids(runner, home) == before and web_rows(runner, home) == accounts
    assert run(runner, home, "verify").exit_code == 0
    r = run(runner, home, "search", "动火", "--json")  # the index is rebuilt for the new catalog
    assert r.exit_code == 0 and json.loads(r.stdout)["total"] >= 1 and json.loads(r.stdout)["behind"] == 0

    r = run(runner, home, "migrate", "--to", "sqlite", "--blobs", "files", "--json")
    assert r.exit_code == 0, r.output
    back = json.loads(r.stdout)
    assert back["ledger_root"] == there["ledger_root"] and back["records"] == there["records"]
    assert back["blobs_copied"] == 0  # the home's blobs/ had them all still
    assert "\ncatalog =" not in (home / "outsafe.toml").read_text() and (home / "catalog.sqlite3").is_file()
    assert ids(runner, home) == before and web_rows(runner, home) == accounts and run(runner, home, "verify").exit_code == 0
    # the PostgreSQL copy is marked moved: a home still naming it may read it, never write to it
    old = open_catalog(url)
    assert old.get_meta("moved_to", "").startswith(str(home / "catalog.sqlite3"))
    old.close()


def test_refusals_change_nothing(runner, home, arc, pg_cluster, s3_env):
    settings = (home / "outsafe.toml").read_text()
    url = pg_cluster.new_schema("full")
    full = open_catalog(url, create=True)
    full.migrate()
    with full.transaction():
        full.insert_record({"id": "01JZ0000000000000000000001", "type": "hazard", "title": "x", "data": "{}", "refs": "{}",
                            "origin": "X", "created_at": "2026-06-09T00:00:00Z"})
    full.close()
    for args, code, message in (
        (["--to", url], 1, "the target catalog is not empty"),
        (["--to", "sqlite"], 1, "the catalog is there already"),
        (["--to", "mysql://h/db"], 1, "must be a postgresql:// URL or sqlite"),
        (["--to", pg_cluster.new_schema("e"), "--blobs", "s3://no-such-bucket-y/p"], 1, "the bucket does not exist"),
    ):
        r = run(runner, home, "migrate", *args)
        assert r.exit_code == code and message in r.stderr and "Traceback" not in r.stderr, r.output
    # a damaged source is not copied
    f = arc.catalog.record_files(arc.list_records()[0]["id"])[0]
    p = arc.blobs.path_for(f["sha256"])
    p.chmod(0o600)
    p.write_bytes(p.read_bytes() + b"x")
    r = run(runner, home, "migrate", "--to", pg_cluster.new_schema("d"))
    assert r.exit_code == 3 and "the source archive does not verify" in r.stderr
    assert (home / "outsafe.toml").read_text() == settings and (home / "catalog.sqlite3").is_file()


def test_killed_inside_the_copy_the_target_stays_empty_and_a_rerun_resumes(runner, home, pg_cluster, s3_env):
    settings = (home / "outsafe.toml").read_text()
    url, blobs = pg_cluster.new_schema("kill"), f"s3://{s3_env.new_bucket()}/archive"
    env = dict(os.environ, PYTHONPATH=str(ROOT), OUTSAFE_CRASH_AT="migrate.before_commit")
    done = subprocess.run([sys.executable, "-c", "import sys; from cli import main; sys.exit(main())", "--home", str(home),
                           "migrate", "--to", url, "--blobs", blobs], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr
    target = open_catalog(url)
    assert target.count_records() == 0 and target.ledger.size() == 0  # the copy's transaction never committed
    target.close()
    assert (home / "outsafe.toml").read_text() == settings and run(runner, home, "verify").exit_code == 0
    r = run(runner, home, "migrate", "--to", url, "--blobs", blobs, "--json")
    assert r.exit_code == 0, r.output
    again = json.loads(r.stdout)
    assert again["blobs_copied"] == 0 and again["blobs_already_there"] > 0  # the blobs were there: resumed
    assert run(runner, home, "verify").exit_code == 0


def test_a_process_still_holding_the_old_catalog_cannot_write_to_it(runner, home, arc, pg_cluster, tmp_path):
    r = run(runner, home, "migrate", "--to", pg_cluster.new_schema("stale"))
    assert r.exit_code == 0, r.output
    from tests import factories

    person = factories.write(tmp_path / "p", "p.yaml", factories.person("迁移后", factories.id_number("37010219900101123")))
    with pytest.raises(StorageError) as e:
        arc.add_files([person], pdf=False)  # opened before the move, on the old SQLite file
    assert "moved to" in e.value.message and "outsafe.toml" in e.value.hint
    assert run(runner, home, "person", "add", "--no-pdf", person).exit_code == 0  # the home itself writes to the new one


def test_exams_reminders_drafts_and_lint_go_along_and_the_facts_are_derived_again(runner, home, arc, pg_cluster):
    from archive.facts.index import catch_up
    from archive.integrity.migrate import working_rows
    from tests.storage_contract.test_drafts import draft, image
    from tests.storage_contract.test_exams import attempt, bank
    from tests.storage_contract.test_reminders import sent

    r = runner.invoke(main, ["--home", str(home), "user", "add", "li", "--role", "bureau_officer", "--password-stdin"],
                      input="a-long-password-1\n")
    assert r.exit_code == 0, r.output
    catch_up(arc)
    c = arc.catalog
    aid = attempt(1)["id"]
    with c.transaction():
        c.exams.add_bank(bank(1))
        c.exams.add_bank(bank(2, "车间级"))
        c.exams.add_attempt(attempt(1, status="open"))
        c.exams.close_attempt(aid, status="submitted", submitted_at="2026-11-29T02:10:00Z", correct=1, score=100.0, passed=True)
        c.exams.sign_attempt(aid, signature=b"\x89PNG sig", signature_sha256="ab", signed_at="2026-11-29T02:11:00Z")
        c.exams.add_attempt(attempt(2, person="p2"))  # still assigned
        c.reminders.log_sent([sent("a"), sent("b", to="b@example.com")])
        c.drafts.add_draft(draft())
        c.drafts.put_draft_file(image(), "li")
        c.facts.put_lint([{"record_id": arc.list_records()[0]["id"], "fingerprint": "fp", "problems": '[{"path":"x"}]'}])
        c.facts.set_state("lint_pending", "fp")  # a re-lint stopped before its end: the copy's next run ends it
    before = working_rows(c)
    assert all(before.values())
    url = pg_cluster.new_schema("work")
    r = run(runner, home, "migrate", "--to", url)
    assert r.exit_code == 0, r.output
    pg = open_catalog(url)
    try:
        assert working_rows(pg) == before
        assert pg.facts.position() == pg.max_seq() and len(pg.facts.rows(seqs=range(1, pg.max_seq() + 1))) == pg.count_records()
        assert pg.exams.get_attempt(aid)["signature"] == b"\x89PNG sig"
        assert pg.exams.attempts(person="p2")[0]["status"] == "assigned"
        assert pg.facts.get_state("lint_pending") == "fp"
    finally:
        pg.close()
    assert run(runner, home, "verify").exit_code == 0
    r = run(runner, home, "migrate", "--to", "sqlite")
    assert r.exit_code == 0, r.output
    back = open_catalog(home / "catalog.sqlite3")
    try:
        assert working_rows(back) == before
    finally:
        back.close()
    assert run(runner, home, "verify").exit_code == 0
