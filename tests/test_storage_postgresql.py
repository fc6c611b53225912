"""The PostgreSQL backend's own choices (its contract is tests/storage_contract/, run against it):
writers on several connections — several processes, several machines — keep the record ``seq``
and the ledger index gap-free and in commit order; the archive write lock is an advisory lock that
names its holder and dies with it; a role without ownership cannot alter or unprotect the
immutable tables; connection failures are one clear message without the password."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from storage.catalog import open_catalog, open_lock
from storage.errors import StorageError
from storage.postgresql.lock import AdvisoryLock
from storage.postgresql.migrations import SCHEMA_VERSION
from tests.storage_contract.rows import insert, record, rid
from tests.storage_contract.test_drafts import draft, image
from tests.storage_contract.test_exams import attempt, bank
from tests.storage_contract.test_facts import facts
from tests.storage_contract.test_reminders import sent

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def url(pg_cluster) -> str:
    catalog = open_catalog(pg_cluster.new_schema("cat"), create=True)
    catalog.migrate()
    catalog.close()
    return catalog.location


def python(code: str, *args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


WRITER = """
    import random, sys, time
    from storage.catalog import open_catalog
    from tests.storage_contract.rows import record
    url, w, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    c = open_catalog(url)
    rnd = random.Random(w)
    for i in range(n):
        with c.transaction():
            row = record(w * 1000 + i, title=f"writer {w} record {i}")
            c.insert_record(row)
            time.sleep(rnd.random() / 200)  # commits interleave with the other writers' work
            c.ledger.append("record_sealed", "{}", bytes(32), "t", record_id=row["id"])
    c.close()
"""

FOLLOWER = """
    import sys, time
    from storage.catalog import open_catalog
    url, total = sys.argv[1], int(sys.argv[2])
    c = open_catalog(url, readonly=True)
    mark, seen = 0, []
    deadline = time.monotonic() + 120
    while mark < total and time.monotonic() < deadline:
        for row in c.records_after(mark):
            if row["seq"] != mark + 1:
                print(f"gap: saw seq {row['seq']} after {mark}")
                sys.exit(1)
            mark = row["seq"]
            seen.append(row["id"])
    print(len(seen))
"""


def test_concurrent_writers_keep_one_gap_free_sequence_in_commit_order(url):
    """Four writer processes commit 30 records each while a reader follows the catalog by seq, as
    the search index does: the reader never sees a seq before the one below it is visible (commit
    order), and seq and ledger index are gap-free and agree record by record."""
    writers, per = 4, 30
    follower = python(FOLLOWER, url, str(writers * per))
    procs = [python(WRITER, url, str(w), str(per)) for w in range(1, writers + 1)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    out, err = follower.communicate(timeout=300)
    assert follower.returncode == 0, out + err
    assert out.split() == [str(writers * per)]
    c = open_catalog(url)
    try:
        rows = c.records_after(0)
        assert [r["seq"] for r in rows] == list(range(1, writers * per + 1))
        leaves = c.ledger.leaves()
        assert [leaf["idx"] for leaf in leaves] == list(range(writers * per))
        assert [leaf["record_id"] for leaf in leaves] == [r["id"] for r in rows]  # the same order: commit order
        assert {r["title"].split()[1] for r in rows} == {str(w) for w in range(1, writers + 1)}
    finally:
        c.close()


def test_a_rolled_back_transaction_leaves_no_gap(url):
    c = open_catalog(url)
    try:
        insert(c, record(1))
        with pytest.raises(RuntimeError):
            with c.transaction():
                c.insert_record(record(2))
                c.ledger.append("record_sealed", "{}", bytes(32), "t")
                raise RuntimeError
        insert(c, record(3))
        with c.transaction():
            assert c.ledger.append("record_sealed", "{}", bytes(32), "t") == 0
        assert [r["seq"] for r in c.records_after(0)] == [1, 2]
        assert c.get_record(rid(3))["seq"] == 2
    finally:
        c.close()


HOLDER = """
    import sys, time
    from storage.postgresql.lock import AdvisoryLock
    with AdvisoryLock(sys.argv[1]).hold("test holder"):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
"""


def test_the_archive_lock_is_an_advisory_lock_that_names_its_holder(url, pg_cluster, tmp_path):
    c = open_catalog(url)
    lock = open_lock(c, tmp_path / "lock")
    c.close()
    assert isinstance(lock, AdvisoryLock) and "advisory" in lock.name and "postgres" in lock.name
    holder = python(HOLDER, url, "3")
    assert holder.stdout.readline().strip() == "locked"
    with lock.hold_if_free() as free:
        assert free is False
    said: list[str] = []
    with lock.hold("second writer", notify=said.append):
        pass
    holder.communicate(timeout=60)
    assert len(said) == 1 and "等待档案写锁" in said[0] and "test holder" in said[0] and f"pid {holder.pid}" in said[0]
    with lock.hold_if_free() as free:
        assert free is True
    # one lock per catalog: another schema of the same database is not held up
    other = open_catalog(pg_cluster.new_schema("other"), create=True)
    try:
        with lock.hold("a"), AdvisoryLock(other.location).hold_if_free() as free:
            assert free is True
    finally:
        other.close()


def test_a_killed_holder_leaves_no_stale_lock(url):
    holder = python(HOLDER, url, "600")
    assert holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    second = python(HOLDER, url, "0")  # takes the lock once the server has seen the connection end
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0 and out.strip() == "locked", err


def test_a_role_without_ownership_appends_but_cannot_alter_or_unprotect(url, pg_cluster):
    role = "writer_" + os.urandom(3).hex()
    with pg_cluster.admin() as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    owner = open_catalog(url)
    owner.grant(role)
    owner.close()
    as_role = url.replace("postgresql://postgres@", f"postgresql://{role}@")
    c = open_catalog(as_role)
    try:
        insert(c, record(1))
        with c.transaction():
            c.ledger.append("record_sealed", "{}", bytes(32), "t", record_id=rid(1))
            c.put_registry("organization", "U1", rid(1), "甲")
            c.put_registry("organization", "U1", rid(1), "甲（更名）")
            c.set_meta("owner_uscc", "U1")
        with c.transaction():  # the web's rows: accounts change, sessions and attempts end, the log grows
            c.accounts.add_account({"name": "zhang", "role": "bureau_officer", "org": "U1", "password_hash": "h", "disabled": False,
                                    "created_at": "t", "updated_at": "t"})
            c.accounts.update_account("zhang", updated_at="t2", disabled=True)
            c.accounts.add_session({"token_hash": "s", "account": "zhang", "csrf_token": "c", "created_at": "t", "last_seen_at": "t",
                                    "expires_at": "t9", "address": None})
            c.accounts.add_login_attempt({"at": "t", "username_key": "k", "address": None, "ok": True})
            c.access_log.append({"seq": 1, "at": "t", "account": "zhang", "org": "U1", "action": "login", "target": None,
                                 "address": None, "detail": None, "prev_hash": bytes(32), "hash": bytes(32)})
        with c.transaction():
            assert c.accounts.end_sessions(account="zhang") == 1 and c.accounts.forget_login_attempts("t1") == 1
        aid = attempt(1)["id"]
        with c.transaction():  # exams, the sent-log, the facts (a cache: cleared) and drafts (deleted)
            assert c.exams.add_bank(bank(1))
            c.exams.add_attempt(attempt(1, status="open"))
            assert c.exams.close_attempt(aid, status="submitted", submitted_at="t", correct=1, score=100.0, passed=True)
            assert c.reminders.log_sent([sent("a")]) == 1
            assert c.facts.add([facts(1, c.max_seq(), links=[("home", "U1")])]) == 1
            c.facts.put_lint([{"record_id": rid(1), "fingerprint": "fp", "problems": None}])
            c.facts.clear()
            c.drafts.add_draft(draft())
            assert c.drafts.put_draft_file(image(), "li") and c.drafts.delete_draft(draft()["id"], "li")
        assert c.exams.get_attempt(aid)["passed"] is True and c.facts.rows(seqs=[c.max_seq()]) == []
        assert c.get_registry("organization", "U1")["name"] == "甲（更名）" and c.ledger.size() == 1
        assert c.accounts.get_account("zhang")["disabled"] is True and c.access_log.count() == 1
    finally:
        c.close()
    for sql in ("UPDATE records SET title='x'", "DELETE FROM ledger", "DELETE FROM access_log", "ALTER TABLE records DISABLE TRIGGER ALL",
                "DROP TRIGGER records_immutable ON records", "TRUNCATE record_files", "DELETE FROM exam_attempts",
                "UPDATE question_banks SET title='x'", "DELETE FROM reminders_sent", "ALTER TABLE exam_attempts DISABLE TRIGGER ALL",
                "DROP TRIGGER exam_attempts_closed ON exam_attempts"):
        with psycopg.connect(as_role, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql)
    check = open_catalog(url)
    assert check.get_record(rid(1))["title"] == record(1)["title"] and check.ledger.size() == 1
    check.close()


def test_a_catalog_that_cannot_be_reached_is_one_clear_message(tmp_path):
    with pytest.raises(StorageError) as e:
        open_catalog(f"postgresql://outsafe:s3cret-pw@/outsafe?host={tmp_path}&port=5999")
    assert "cannot connect to the PostgreSQL catalog" in e.value.message
    assert "s3cret-pw" not in e.value.message and "***" in e.value.message
    assert "outsafe.toml" in e.value.hint


def test_a_read_only_catalog_is_refused_by_the_server(url):
    reader = open_catalog(url, readonly=True)
    try:
        with pytest.raises(StorageError) as e:
            with reader.transaction():
                reader.set_meta("k", "v")
        assert "read-only" in e.value.message
    finally:
        reader.close()


def test_the_schema_is_versioned_in_the_database(url, pg_cluster):
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        names = {r[0] for r in conn.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    assert {"records_immutable", "record_files_immutable", "ledger_append_only", "checkpoints_immutable",
            "witnessed_immutable", "imported_proofs_immutable", "access_log_append_only"} <= names
    # processes opening a new catalog at once migrate it once (each migration waits for the lock
    # before its transaction begins: one begun earlier would not see the tables another created)
    code = "import sys; from storage.catalog import open_catalog; c = open_catalog(sys.argv[1], create=True); print(c.migrate())"
    for _ in range(3):
        fresh = pg_cluster.new_schema("race")
        procs = [python(code, fresh) for _ in range(3)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err[-500:] for _, err in outs]
        assert sum(int(out.strip()) for out, _ in outs) == SCHEMA_VERSION  # each applied once, by whoever got there first


def test_the_links_of_a_catalog_before_migration_10_get_their_records_types(pg_cluster):
    """As in SQLite (tests/test_storage_sqlite.py): the links already there get their records' types."""
    where = pg_cluster.new_schema("links")
    c = open_catalog(where, create=True)
    c.migrate(upto=9)
    c.close()
    with psycopg.connect(where) as conn:
        for seq, t in ((1, "hazard"), (2, "work_ticket"), (3, "hazard")):
            conn.execute("INSERT INTO fact_records(seq, record_id, type, title, origin, created_at, belongs) "
                         "VALUES(%s, %s, %s, 't', 'X', 'now', 'E')", (seq, f"R{seq}", t))
            conn.execute("INSERT INTO fact_links(role, key, seq) VALUES('home', 'E', %s)", (seq,))
    c = open_catalog(where)
    assert c.migrate(upto=10) == 1
    assert [r["seq"] for r in c.facts.linked("home", ["E"], types=["hazard"])] == [1, 3]
    assert [r["seq"] for r in c.facts.linked("home", ["E"], types=["work_ticket", "hazard"])] == [1, 2, 3]
    c.close()
