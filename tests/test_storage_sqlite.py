"""The SQLite backend's own choices (the shared contract is tests/storage_contract/): pragmas,
file mode, the catalog file of an archive made by an older outsafe, errors on opening."""

from __future__ import annotations

import stat

import pytest

from archive.app import Archive
from storage.catalog import open_catalog
from storage.errors import StorageError
from storage.sqlite.migrations import MIGRATIONS, SCHEMA_VERSION, split_sql


def test_pragmas_and_private_file(tmp_path):
    path = tmp_path / "c.sqlite3"
    c = open_catalog(path, create=True)
    c.migrate()
    assert c.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert c.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert c.version == SCHEMA_VERSION == len(MIGRATIONS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_version_1_catalog_file_upgrades(tmp_path):
    """A catalog written by the first release (migration 1 run by hand, as it ran then)."""
    import sqlite3

    path = tmp_path / "c.sqlite3"
    db = sqlite3.connect(path)
    for stmt in split_sql(MIGRATIONS[0]):
        db.execute(stmt)
    db.execute("INSERT INTO records(id, type, title, data, refs, origin, created_at) "
               "VALUES('R1', 'hazard', 't', '{}', '{}', 'X', 'now')")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    c = open_catalog(path)
    assert c.migrate() == SCHEMA_VERSION - 1
    assert c.get_record("R1")["title"] == "t" and c.ledger.size() == 0 and c.packages.witnessed() == []


def test_a_missing_catalog_is_a_clear_error(tmp_path):
    with pytest.raises(StorageError) as e:
        open_catalog(tmp_path / "none.sqlite3")
    assert "outsafe init" in e.value.hint


def test_a_file_that_is_not_a_catalog_is_a_storage_error(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError) as e:
        c = open_catalog(path)
        c.version
    assert "catalog" in e.value.message


def test_a_postgresql_location_is_not_served_yet(tmp_path):
    with pytest.raises(StorageError) as e:
        open_catalog("postgresql://officer:secret@db.example/outsafe")
    assert "PostgreSQL" in e.value.message and "secret" not in e.value.message


def test_an_archive_with_a_newer_catalog_is_refused(home, basic_files):
    """Opening an archive whose catalog a newer outsafe wrote: refused, nothing changed."""
    Archive.create(home, basic_files["enterprise"], pdf=False).close()
    c = open_catalog(home / "catalog.sqlite3")
    c.db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    c.close()
    with pytest.raises(StorageError) as e:
        Archive.open(home)
    assert "newer" in e.value.message
    c = open_catalog(home / "catalog.sqlite3")
    assert c.version == SCHEMA_VERSION + 1
    c.close()


FACT = ("INSERT INTO fact_records(seq, record_id, type, title, origin, created_at, belongs) "
        "VALUES({seq}, 'R{seq}', '{type}', 't', 'X', 'now', 'E')")


def test_the_links_of_a_catalog_before_migration_10_get_their_records_types(tmp_path):
    """Migration 10 puts each record's type beside its links (the index a scope's records of a few
    types are read by): the links already there get theirs, and are found by type."""
    c = open_catalog(tmp_path / "c.sqlite3", create=True)
    c.migrate(upto=9)
    for seq, t in ((1, "hazard"), (2, "work_ticket"), (3, "hazard")):
        c.db.execute(FACT.format(seq=seq, type=t))
        c.db.execute("INSERT INTO fact_links(role, key, seq) VALUES('home', 'E', ?)", (seq,))
    c.db.commit()
    assert c.migrate(upto=10) == 1
    assert [tuple(r) for r in c.db.execute("SELECT seq, type FROM fact_links ORDER BY seq")] == [(1, "hazard"), (2, "work_ticket"), (3, "hazard")]
    assert [r["seq"] for r in c.facts.linked("home", ["E"], types=["hazard"])] == [1, 3]
    assert [r["seq"] for r in c.facts.linked("home", ["E"], types=["work_ticket", "hazard"])] == [1, 2, 3]
    assert [r["seq"] for r in c.facts.linked("home", ["E"])] == [1, 2, 3]
    c.close()


def test_the_leaves_of_one_kind_are_found_by_an_index(tmp_path):
    """Migration 11: the ledger's leaves of one kind (the packages imported, which the campaign's
    status reads for every enterprise account) are an index range, not a scan of every leaf."""
    c = open_catalog(tmp_path / "c.sqlite3", create=True)
    c.migrate(upto=10)
    with c.transaction():
        for kind in ("record_sealed", "package_imported", "record_sealed", "package_imported"):
            c.ledger.append(kind, "{}", b"h" * 32, "2026-06-09T02:00:00Z")
    assert c.migrate(upto=11) == 1
    plan = " ".join(str(r[-1]) for r in c.db.execute("EXPLAIN QUERY PLAN SELECT * FROM ledger WHERE kind=? ORDER BY idx", ("x",)))
    assert "USING INDEX ledger_kind" in plan and "SCAN" not in plan, plan
    assert [r["idx"] for r in c.ledger.leaves(kind="package_imported")] == [1, 3]
    assert [r["idx"] for r in c.ledger.leaves(kind="package_imported", upto=2)] == [1]
    c.close()


def test_a_scope_is_tested_on_the_rows_found_not_searched_by_its_index(tmp_path):
    """In an enterprise's account (``within``) a selection by seq, record id, link, key or
    correction finds its rows by that, then tests the scope: SQLite, left to choose, read every
    row of the scope by the index (belongs, type) and tested the rest — 1–2 ms a query for the
    largest enterprise at 10^5 records, 357 of them in its account's dashboard (189 → 99 ms).
    A selection by type only still reads the scope's range of that index."""
    c = open_catalog(tmp_path / "c.sqlite3", create=True)
    c.migrate()
    for seq, t in ((1, "hazard"), (2, "work_ticket"), (3, "hazard")):
        c.db.execute(FACT.format(seq=seq, type=t))
        c.db.execute("INSERT INTO fact_links(role, key, seq, type) VALUES('home', 'E', ?, ?)", (seq, t))
    c.db.commit()
    asked: list[tuple[str, list]] = []
    rows = c.facts.sql.rows
    c.facts.sql.rows = lambda sql, args=(): asked.append((sql, list(args))) or rows(sql, args)

    def plan() -> str:
        sql, args = asked.pop()
        assert not asked
        return " ".join(str(r[-1]) for r in c.db.execute("EXPLAIN QUERY PLAN " + sql, args))

    assert [r["seq"] for r in c.facts.rows(record_ids=["R1", "R3"], within="E")] == [1, 3]
    assert "fact_records_belongs" not in plan()
    assert [r["seq"] for r in c.facts.rows(seqs=[2], within="E", with_data=False)] == [2]
    assert "fact_records_belongs" not in plan()
    assert [r["seq"] for r in c.facts.linked("home", ["E"], types=["hazard"], within="E")] == [1, 3]
    found = plan()
    assert "fact_records_belongs" not in found and "fact_links_type" in found, found
    assert [r["seq"] for r in c.facts.keyed("hazard", ["K"], within="E")] == []
    assert "fact_records_belongs" not in plan()
    assert c.facts.successors(["R1"], within="E") == []
    assert "fact_records_belongs" not in plan()
    assert [r["seq"] for r in c.facts.of_type(["hazard"], within="E")] == [1, 3]
    assert "fact_records_belongs" in plan()
    assert [r["seq"] for r in c.facts.linked("home", ["E"], types=["hazard"], within="F")] == []
    asked.clear()
    # the records: a contractor's (its dossier in an enterprise's account) by the contractor's index
    c.db.execute("INSERT INTO records(id, type, title, data, refs, origin, created_at, enterprise, contractor) "
                 "VALUES('R9', 'hazard', 't', '{}', '{}', 'X', 'now', 'E', 'C')")
    c.db.commit()
    assert c.sql is c.facts.sql  # the same connection: its statements are those asked for
    assert [r["id"] for r in c.list_records(contractor="C", belongs_to="E")] == ["R9"]
    found = plan()
    assert "records_contractor" in found and "records_belongs" not in found, found
    assert [r["id"] for r in c.list_records(types=["hazard"], belongs_to="E")] == ["R9"]
    assert "records_belongs" in plan()
    assert c.list_records(contractor="C", belongs_to="F") == []
    c.close()


def test_a_records_brief_has_a_column_beside_its_facts(tmp_path):
    """Migration 12: the brief of a record (archive.facts.derive) beside its facts; the facts a
    catalog had before have none — their version is another, so the first view derives them again."""
    c = open_catalog(tmp_path / "c.sqlite3", create=True)
    c.migrate(upto=11)
    assert "brief" not in {r[1] for r in c.db.execute("PRAGMA table_info(fact_records)")}
    assert c.migrate() == 1
    assert "brief" in {r[1] for r in c.db.execute("PRAGMA table_info(fact_records)")}
    c.close()
