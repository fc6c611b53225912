"""RecordCatalog: the registry projection (upserted) and meta."""

from __future__ import annotations

import json

from tests.storage_contract.rows import insert, record, rid


def test_registry_put_get_and_upsert(catalog):
    insert(catalog, record(1), record(2))
    assert catalog.get_registry("organization", "U1") is None
    with catalog.transaction():
        catalog.put_registry("organization", "U1", rid(1), "甲公司")
    assert catalog.get_registry("organization", "U1") == {"kind": "organization", "key": "U1", "record_id": rid(1), "name": "甲公司",
                                                        "extra": None}
    with catalog.transaction():
        catalog.put_registry("organization", "U1", rid(2), "甲公司（更名）", {"role": "contractor"})
    got = catalog.get_registry("organization", "U1")
    assert (got["record_id"], got["name"], json.loads(got["extra"])) == (rid(2), "甲公司（更名）", {"role": "contractor"})
    assert len(catalog.list_registry("organization")) == 1


def test_registry_lists_one_kind_by_key(catalog):
    insert(catalog, record(1))
    with catalog.transaction():
        entries = (("person", "k2"), ("organization", "U2"), ("person", "k1"), ("project", "U1/P"), ("organization", "U1"))
        for kind, key in entries:
            catalog.put_registry(kind, key, rid(1), f"{kind}-{key}")
    assert [r["key"] for r in catalog.list_registry("organization")] == ["U1", "U2"]
    assert [r["key"] for r in catalog.list_registry("person")] == ["k1", "k2"]
    assert [r["name"] for r in catalog.list_registry("project")] == ["project-U1/P"]
    assert catalog.list_registry("nothing") == []
    assert catalog.get_registry("person", "U1") is None  # keys are per kind


def test_meta(catalog):
    assert catalog.get_meta("owner_uscc") is None
    assert catalog.get_meta("owner_uscc", "default") == "default"
    with catalog.transaction():
        catalog.set_meta("owner_uscc", "91370100MA3C8K2P9L")
        catalog.set_meta("search_engine", "whoosh")
    with catalog.transaction():
        catalog.set_meta("search_engine", "tantivy")
    assert catalog.get_meta("owner_uscc") == "91370100MA3C8K2P9L"
    assert catalog.get_meta("search_engine", "whoosh") == "tantivy"


def test_meta_items_are_every_key(catalog):
    assert catalog.meta_items() == {}
    with catalog.transaction():
        catalog.set_meta("owner_uscc", "91370100MA3C8K2P9L")
        catalog.set_meta("archive_id", "01JZ")
        catalog.set_meta("owner_name", "济南华锐重型机械有限公司")
    with catalog.transaction():
        catalog.set_meta("archive_id", "01KA")
    assert catalog.meta_items() == {"archive_id": "01KA", "owner_name": "济南华锐重型机械有限公司", "owner_uscc": "91370100MA3C8K2P9L"}
