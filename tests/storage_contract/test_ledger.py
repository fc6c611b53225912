"""LedgerStore: leaves appended at the next index, read by index, kind and prefix; checkpoints."""

from __future__ import annotations

from tests.storage_contract.rows import append, checkpoint, insert, leaf, record, rid


def test_an_empty_ledger(catalog):
    ledger = catalog.ledger
    assert ledger.size() == 0
    assert ledger.next_index() == 0
    assert ledger.leaves() == []
    assert ledger.leaf_hashes() == []
    assert ledger.latest_checkpoint() is None
    assert ledger.checkpoints() == []
    assert ledger.leaf_for_record(rid(1)) is None


def test_append_assigns_the_next_index(catalog):
    insert(catalog, record(1))
    ledger = catalog.ledger
    with catalog.transaction():
        assert ledger.next_index() == 0
        first = leaf(0)
        assert ledger.append("record_sealed", first["entry"], first["leaf_hash"], "2026-06-09T00:00:00Z", record_id=rid(1)) == 0
        assert ledger.next_index() == 1  # what a seal names inside the same transaction
        assert ledger.append("package_exported", leaf(1)["entry"], leaf(1)["leaf_hash"], "2026-06-09T00:00:01Z") == 1
    assert ledger.size() == 2 and ledger.next_index() == 2
    first = ledger.leaves()[0]
    assert first == {"idx": 0, "kind": "record_sealed", "record_id": rid(1), "entry": leaf(0)["entry"],
                     "leaf_hash": leaf(0)["leaf_hash"], "created_at": "2026-06-09T00:00:00Z"}
    assert type(first["leaf_hash"]) is bytes
    assert ledger.leaves()[1]["record_id"] is None


def test_leaves_by_index_kind_and_prefix(catalog):
    kinds = ["record_sealed", "checkpoint_witnessed", "record_sealed", "package_imported", "checkpoint_witnessed"]
    append(catalog, *(leaf(n, k) for n, k in enumerate(kinds)))
    ledger = catalog.ledger
    assert [l["idx"] for l in ledger.leaves()] == [0, 1, 2, 3, 4]
    assert [l["idx"] for l in ledger.leaves(kind="checkpoint_witnessed")] == [1, 4]
    assert [l["idx"] for l in ledger.leaves(upto=3)] == [0, 1, 2]
    assert [l["idx"] for l in ledger.leaves(kind="checkpoint_witnessed", upto=3)] == [1]  # the prefix, then the kind
    assert ledger.leaves(upto=0) == []
    assert ledger.leaves(kind="record_superseded") == []
    assert ledger.leaf_hashes() == [leaf(n)["leaf_hash"] for n in range(5)]
    assert ledger.leaf_hashes(2) == [leaf(0)["leaf_hash"], leaf(1)["leaf_hash"]]
    assert ledger.leaf_hashes(0) == []
    assert all(type(h) is bytes for h in ledger.leaf_hashes())


def test_leaf_for_record_is_the_first_of_its_kind(catalog):
    insert(catalog, record(1), record(2, supersedes=rid(1)))
    append(catalog, leaf(0, "record_sealed", rid(1)), leaf(1, "record_sealed", rid(2)), leaf(2, "record_superseded", rid(1)),
           leaf(3, "record_superseded", rid(1)))
    ledger = catalog.ledger
    assert ledger.leaf_for_record(rid(1))["idx"] == 0
    assert ledger.leaf_for_record(rid(2))["idx"] == 1
    assert ledger.leaf_for_record(rid(1), "record_superseded")["idx"] == 2
    assert ledger.leaf_for_record(rid(2), "record_superseded") is None


def test_checkpoints_one_per_size_by_size(catalog):
    ledger = catalog.ledger
    with catalog.transaction():
        ledger.add_checkpoint(checkpoint(3))
        ledger.add_checkpoint(checkpoint(1))
    with catalog.transaction():
        ledger.add_checkpoint({**checkpoint(3), "note": "a second checkpoint of size 3", "root": b"\xff" * 32})
    assert [c["tree_size"] for c in ledger.checkpoints()] == [1, 3]
    latest = ledger.latest_checkpoint()
    assert latest == checkpoint(3)  # the first one of a size stays
    assert type(latest["root"]) is bytes and type(latest["signature"]) is bytes
