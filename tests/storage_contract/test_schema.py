"""The catalog as a whole: migrations from version 0, refusal of a newer catalog, reopening,
read-only readers, and immutability enforced by the database itself."""

from __future__ import annotations

import pytest

from storage.errors import StorageError
from tests.storage_contract.rows import checkpoint, file, insert, proof, record, rid, witnessed


def test_a_new_catalog_migrates_from_version_0(empty):
    assert empty.version == 0
    assert empty.latest_version >= 1
    assert empty.migrate() == empty.latest_version
    assert empty.version == empty.latest_version
    assert empty.migrate() == 0  # nothing pending
    insert(empty, record(1))
    assert empty.get_record(rid(1)) is not None


def test_every_older_version_migrates_forward_and_keeps_its_rows(backend, tmp_path):
    probe = backend.new(tmp_path / "probe")
    latest = probe.latest_version
    probe.close()
    for start in range(1, latest):
        c = backend.new(tmp_path / f"v{start}")
        assert c.migrate(upto=start) == start
        assert c.version == start
        insert(c, record(1))  # records exist from the first version on
        assert c.migrate() == latest - start
        assert c.version == latest
        assert c.get_record(rid(1))["title"] == record(1)["title"]
        with c.transaction():
            c.ledger.append("record_sealed", "{}", b"\0" * 32, "t", record_id=rid(1))
            c.packages.witness(witnessed("A", 1))
        assert c.ledger.size() == 1
        c.close()


def test_a_newer_catalog_is_refused_and_left_alone(backend, catalog):
    insert(catalog, record(1))
    newer = catalog.latest_version + 1
    backend.set_version(catalog, newer)
    with pytest.raises(StorageError) as e:
        catalog.migrate()
    assert "newer" in e.value.message and e.value.hint
    assert catalog.version == newer
    assert catalog.get_record(rid(1)) is not None


def test_a_reopened_catalog_sees_the_schema_and_rows(backend, catalog):
    insert(catalog, record(1))
    again = backend.reopen(catalog)
    try:
        assert again.version == catalog.latest_version
        assert again.migrate() == 0
        assert again.get_record(rid(1)) == catalog.get_record(rid(1))
        assert again.location == catalog.location
    finally:
        again.close()


def test_a_read_only_catalog_reads_and_refuses_writes(backend, catalog):
    insert(catalog, record(1))
    reader = backend.reopen(catalog, readonly=True)
    try:
        assert [r["id"] for r in reader.records_after(0)] == [rid(1)]
        with pytest.raises(StorageError):
            with reader.transaction():
                reader.insert_record(record(2))
        assert catalog.get_record(rid(2)) is None
    finally:
        reader.close()


@pytest.fixture
def filled(catalog):
    insert(catalog, record(1, origin="91370100MA94A1B2C3"), files=[file()])
    with catalog.transaction():
        catalog.ledger.append("record_sealed", '{"n":1}', b"\1" * 32, "t", record_id=rid(1))
        catalog.ledger.add_checkpoint(checkpoint(1))
        catalog.packages.witness(witnessed("91370100MA94A1B2C3", 5))
        catalog.packages.add_imported_proof(proof(rid(1)))
        catalog.access_log.append({"seq": 1, "at": "2026-06-09T02:00:00Z", "account": "zhang", "org": None, "action": "record_view",
                                   "target": rid(1), "address": "127.0.0.1", "detail": None, "prev_hash": b"\0" * 32, "hash": b"\1" * 32})
    return catalog


TAMPERING = [
    "UPDATE records SET title='改过的标题'",
    "UPDATE records SET contractor='91370100MA00000000'",
    "DELETE FROM records",
    "UPDATE record_files SET sha256='0000'",
    "DELETE FROM record_files",
    "UPDATE ledger SET entry='{}'",
    "DELETE FROM ledger",
    "UPDATE checkpoints SET note='x'",
    "DELETE FROM checkpoints",
    "UPDATE witnessed SET note='x'",
    "DELETE FROM witnessed",
    "UPDATE imported_proofs SET proof='[]'",
    "DELETE FROM imported_proofs",
    "UPDATE access_log SET account='li'",
    "DELETE FROM access_log",
]


@pytest.mark.parametrize("sql", TAMPERING)
def test_the_database_refuses_to_alter_immutable_rows(backend, filled, sql):
    before = (filled.get_record(rid(1)), filled.record_files(rid(1)), filled.ledger.leaves(), filled.ledger.checkpoints(),
              filled.packages.witnessed(), filled.packages.imported_proof(rid(1)), filled.access_log.entries())
    with pytest.raises(backend.refused):
        backend.execute_raw(filled, sql)
    after = (filled.get_record(rid(1)), filled.record_files(rid(1)), filled.ledger.leaves(), filled.ledger.checkpoints(),
             filled.packages.witnessed(), filled.packages.imported_proof(rid(1)), filled.access_log.entries())
    assert after == before
