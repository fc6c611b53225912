"""RecordFeed: the catalog in sequence order, for the caches that catch up from it."""

from __future__ import annotations

import pytest

from tests.storage_contract.rows import insert, record, rid


def test_an_empty_catalog(catalog):
    assert catalog.max_seq() == 0
    assert catalog.count_records() == 0
    assert catalog.count_records(upto_seq=10) == 0
    assert catalog.record_ids() == set()
    assert catalog.superseded_ids() == set()
    assert catalog.records_after(0) == []


def test_counts_and_ids_up_to_a_sequence_number(catalog):
    seqs = insert(catalog, record(5), record(3), record(4, supersedes=rid(5)), record(1, supersedes=rid(3)))
    assert catalog.max_seq() == seqs[-1]
    assert catalog.count_records() == 4
    assert catalog.count_records(upto_seq=seqs[1]) == 2
    assert catalog.count_records(upto_seq=0) == 0
    assert catalog.record_ids() == {rid(n) for n in (5, 3, 4, 1)}
    assert catalog.record_ids(upto_seq=seqs[0]) == {rid(5)}
    assert catalog.superseded_ids() == {rid(5), rid(3)}


def test_records_after_a_sequence_number(catalog):
    seqs = insert(catalog, *(record(n) for n in (9, 8, 7, 6, 5)))
    assert [r["id"] for r in catalog.records_after(0)] == [rid(n) for n in (9, 8, 7, 6, 5)]
    assert [r["id"] for r in catalog.records_after(seqs[1])] == [rid(n) for n in (7, 6, 5)]
    assert [r["id"] for r in catalog.records_after(seqs[1], limit=2)] == [rid(7), rid(6)]
    assert [r["id"] for r in catalog.records_after(seqs[0], upto_seq=seqs[2])] == [rid(8), rid(7)]
    assert [r["id"] for r in catalog.records_after(0, limit=10, upto_seq=seqs[1])] == [rid(9), rid(8)]
    assert catalog.records_after(seqs[-1]) == []
    assert catalog.records_after(0)[0] == catalog.get_record(rid(9))  # whole rows


def test_sequence_numbers_only_grow(catalog):
    first = insert(catalog, record(1))[0]
    with pytest.raises(RuntimeError):
        with catalog.transaction():
            catalog.insert_record(record(2))
            raise RuntimeError("rolled back")
    later = insert(catalog, record(3))[0]
    assert later > first
    assert catalog.max_seq() == later
    assert [r["id"] for r in catalog.records_after(first)] == [rid(3)]
