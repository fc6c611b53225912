"""RecordCatalog: records and their files — insert, get, list with every filter, current, order."""

from __future__ import annotations

import json

import pytest

from storage.errors import StorageError
from tests.storage_contract.rows import file, insert, organization, record, rid


def test_insert_returns_increasing_seq_and_get_returns_every_column(catalog):
    rows = [record(1), record(2), record(3)]
    seqs = insert(catalog, *rows)
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    for row, seq in zip(rows, seqs):
        got = catalog.get_record(row["id"])
        assert got == {**row, "seq": seq}
        assert type(got["signature"]) is bytes


def test_json_text_is_kept_byte_for_byte(catalog):
    data = '{"b":1, "a":  "安全 A&B<测试>",\n"z":[1.50,true,null]}'  # not canonical on purpose
    insert(catalog, record(1, data=data, refs='{"organizations":{}}'))
    got = catalog.get_record(rid(1))
    assert got["data"] == data and got["refs"] == '{"organizations":{}}'


def test_absent_optional_columns_are_none(catalog):
    row = {"id": rid(1), "type": "hazard", "title": "隐患", "data": "{}", "refs": "{}", "origin": "X",
           "created_at": "2026-06-09T00:00:00Z"}
    insert(catalog, row)
    got = catalog.get_record(rid(1))
    for col in ("subtype", "doc_no", "enterprise", "contractor", "project", "doc_date", "source_name", "supersedes",
                "note", "seal", "signature", "signer"):
        assert got[col] is None, col


def test_unknown_record_is_none(catalog):
    assert catalog.get_record(rid(404)) is None
    assert catalog.record_files(rid(404)) == []
    assert catalog.superseded_by(rid(404)) is None


def test_an_id_already_present_is_refused(catalog):
    insert(catalog, record(1))
    with pytest.raises(StorageError):
        insert(catalog, record(1, title="another"))
    assert catalog.get_record(rid(1))["title"] == record(1)["title"]
    assert catalog.count_records() == 1


def test_files_come_back_by_role_then_name(catalog):
    files = [file("source", "b.yaml"), file("pdf", "z.pdf", "b" * 64), file("docx", "a.docx", "c" * 64), file("photo", "a.jpg"),
             file("photo", "B.jpg")]
    insert(catalog, record(1), files=files)
    got = catalog.record_files(rid(1))
    assert [(f["role"], f["name"]) for f in got] == sorted((f["role"], f["name"]) for f in files)
    assert got[0] == {"record_id": rid(1), **file("docx", "a.docx", "c" * 64)}
    assert {f["size"] for f in got} == {10}


def test_all_record_files_and_records_with_blob(catalog):
    shared = "e" * 64
    with catalog.transaction():
        catalog.insert_record(record(2), [file("pdf", "x.pdf", shared), file("source", "x.yaml", "f" * 64)])
        catalog.insert_record(record(1), [file("pdf", "y.pdf", shared), file("photo", "y.jpg", shared)])
        catalog.insert_record(record(3))
    everything = catalog.all_record_files()
    assert sorted((f["record_id"], f["name"]) for f in everything) == [
        (rid(1), "y.jpg"), (rid(1), "y.pdf"), (rid(2), "x.pdf"), (rid(2), "x.yaml")]
    assert catalog.records_with_blob(shared) == [rid(1), rid(2)]  # each once, in id order
    assert catalog.records_with_blob("0" * 64) == []


def test_find_record_ids_by_prefix(catalog):
    insert(catalog, *(record(n) for n in (3, 1, 2, 10, 11)))
    assert catalog.find_record_ids(rid(1)) == [rid(1)]
    assert catalog.find_record_ids(rid(1)[:-1], limit=10) == [rid(n) for n in (1, 2, 3)]
    assert catalog.find_record_ids(rid(10)[:-1], limit=10) == [rid(10), rid(11)]
    assert catalog.find_record_ids("01JZ", limit=2) == [rid(1), rid(2)]
    for wildcard in ("01JZ%", "01JZ_", "01JZ*", "01JZ?", "01JZ["):
        assert catalog.find_record_ids(wildcard) == []  # a wildcard character is taken literally
    assert catalog.find_record_ids("01jz") == []  # ids are upper case; the caller folds case


def test_superseded_by_names_the_first_correction(catalog):
    insert(catalog, record(1), record(2, supersedes=rid(1)), record(3, supersedes=rid(1)), record(4, supersedes=rid(2)))
    assert catalog.superseded_by(rid(1)) == rid(2)
    assert catalog.superseded_by(rid(2)) == rid(4)
    assert catalog.superseded_by(rid(4)) is None


def _ids(rows):
    return [r["id"] for r in rows]


@pytest.fixture
def listed(catalog):
    """Records inserted out of id order (so seq order and id order differ)."""
    rows = [
        record(9, doc_date="2026-06-09 14:30"),
        record(2, type="training_record", subtype=None, doc_date="2026-05-20", contractor="C2"),
        record(5, subtype="confined_space", doc_date="2026-06-30", enterprise="E2", project="E2/P"),
        record(1, type="hazard", subtype=None, doc_date=None),
        record(7, doc_date="2026-07-01", supersedes=rid(9)),
        record(3, type="organization", subtype=None, doc_date=None, contractor="C2"),
    ]
    insert(catalog, *rows)
    return catalog


def test_list_without_filters_is_every_record_in_seq_order(listed):
    assert _ids(listed.list_records()) == [rid(n) for n in (9, 2, 5, 1, 7, 3)]
    assert [r["seq"] for r in listed.list_records()] == sorted(r["seq"] for r in listed.list_records())


def test_list_by_type_and_subtype(listed):
    assert _ids(listed.list_records(types=["hazard", "organization"])) == [rid(1), rid(3)]
    assert _ids(listed.list_records(types=["work_ticket"])) == [rid(9), rid(5), rid(7)]
    assert _ids(listed.list_records(subtype="confined_space")) == [rid(5)]
    assert _ids(listed.list_records(types=["training_record"], subtype="hot_work")) == []


def test_list_by_party_and_project(listed):
    assert _ids(listed.list_records(contractor="C2")) == [rid(2), rid(3)]
    assert _ids(listed.list_records(enterprise="E2")) == [rid(5)]
    assert _ids(listed.list_records(project="E2/P")) == [rid(5)]
    assert listed.list_records(contractor="nobody") == []


def test_list_without_the_seal_is_the_same_rows_but_the_seal_and_signature(listed):
    for kw in ({}, {"contractor": "C2"}, {"types": ["work_ticket"], "current_only": True}):
        full, light = listed.list_records(**kw), listed.list_records(sealed=False, **kw)
        assert light and [{k: v for k, v in r.items() if k not in ("seal", "signature")} for r in full] == light, kw
        assert all("seal" not in r and "signature" not in r for r in light)
        assert all(r["seal"] is not None for r in full)  # (what the light rows leave out is there to leave)


def test_list_by_document_number(listed):
    assert _ids(listed.list_records(doc_no="DH-2026-005")) == [rid(5)]
    assert _ids(listed.list_records(doc_no="DH-2026-009", current_only=True)) == []  # superseded by 7
    assert listed.list_records(doc_no="DH-2026-05") == []  # the whole number, not a prefix


def test_list_by_document_date(listed):
    assert _ids(listed.list_records(since="2026-06-01")) == [rid(9), rid(5), rid(7)]
    assert _ids(listed.list_records(until="2026-06-09")) == [rid(9), rid(2)]  # the whole day, times included
    assert _ids(listed.list_records(since="2026-06-09", until="2026-06-09")) == [rid(9)]
    assert _ids(listed.list_records(until="2026-06")) == [rid(9), rid(2), rid(5)]  # a month bound: the whole month
    assert _ids(listed.list_records(since="2026-06", until="2026-06")) == [rid(9), rid(5)]
    assert _ids(listed.list_records(until="2026")) == [rid(9), rid(2), rid(5), rid(7)]
    assert _ids(listed.list_records(since="2026-07-02")) == []
    # records without a document date are left out by either bound
    assert rid(1) not in _ids(listed.list_records(since="2000-01-01"))
    assert rid(1) not in _ids(listed.list_records(until="2999-12-31"))


def test_list_current_only_and_limit(listed):
    assert _ids(listed.list_records(current_only=True)) == [rid(n) for n in (2, 5, 1, 7, 3)]
    assert _ids(listed.list_records(limit=2)) == [rid(9), rid(2)]
    assert _ids(listed.list_records(types=["work_ticket"], current_only=True, since="2026-06-01", limit=1)) == [rid(5)]


def test_current_document_by_type_number_and_enterprise(catalog):
    insert(
        catalog,
        record(1, doc_no="HT-1", type="outsourcing_contract", enterprise="E1"),
        record(2, doc_no="HT-1", type="outsourcing_contract", enterprise="E2"),
        record(3, doc_no="HT-1", type="safety_agreement", enterprise="E1"),
        record(4, doc_no="HT-2", type="hazard", enterprise=None),
        record(5, doc_no="HT-3", type="hazard", enterprise=""),
    )
    assert catalog.current_document("outsourcing_contract", "HT-1", "E1")["id"] == rid(1)
    assert catalog.current_document("outsourcing_contract", "HT-1", "E2")["id"] == rid(2)
    assert catalog.current_document("outsourcing_contract", "HT-1", "E3") is None
    assert catalog.current_document("hazard", "HT-2", None)["id"] == rid(4)
    assert catalog.current_document("hazard", "HT-2", "")["id"] == rid(4)  # None and "" both: no enterprise
    assert catalog.current_document("hazard", "HT-3", None)["id"] == rid(5)
    insert(catalog, record(6, doc_no="HT-1", type="outsourcing_contract", enterprise="E1", supersedes=rid(1)))
    assert catalog.current_document("outsourcing_contract", "HT-1", "E1")["id"] == rid(6)  # the correction
    insert(catalog, record(7, doc_no="HT-1", type="outsourcing_contract", enterprise="E1"))
    assert catalog.current_document("outsourcing_contract", "HT-1", "E1")["id"] == rid(7)  # the latest of several


def test_organization_records_of_an_origin(catalog):
    owner, other = "91370100MA3C8K2P9L", "91370200MA00000001"
    insert(
        catalog,
        organization(1, "U1"),
        organization(2, "U2"),
        organization(3, "U1", origin=other),
        organization(4, "U1", public_key="PEM", supersedes=rid(1)),
        record(5, data=json.dumps({"uscc": "U1"})),  # not an organization record
    )
    assert _ids(catalog.organization_records("U1", origin=owner)) == [rid(1), rid(4)]  # every version, oldest first
    assert _ids(catalog.organization_records("U1", origin=other)) == [rid(3)]
    assert catalog.organization_records("U9", origin=owner) == []


def test_list_what_belongs_to_an_enterprise(catalog):
    """A record belongs to the enterprise it names, else (no enterprise named: organizations,
    people, a bureau's lists) to the archive that sealed it."""
    ent, other, bureau = "91370100MA3C8K2P9L", "91370100MA94ZZZZZZ", "11370100MB0000000X"
    insert(
        catalog,
        record(1, enterprise=ent, origin=bureau),  # an order the bureau issued to the enterprise
        record(2, enterprise=other, origin=ent),  # names another enterprise: not the sealer's
        organization(3, "91370112MA3F7R1K8F", origin=ent),  # no enterprise named: the sealer's
        organization(4, "91370112MA3F7R1K8F", origin=bureau),
        record(5, enterprise=ent, origin=ent),
    )
    assert [r["id"] for r in catalog.list_records(belongs_to=ent)] == [rid(1), rid(3), rid(5)]
    assert [r["id"] for r in catalog.list_records(belongs_to=bureau)] == [rid(4)]
    assert [r["id"] for r in catalog.list_records(belongs_to=other)] == [rid(2)]
    assert [r["id"] for r in catalog.list_records(belongs_to=ent, types=["organization"])] == [rid(3)]
    assert catalog.list_records(belongs_to="91370100MA00000000") == []
