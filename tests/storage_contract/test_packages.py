"""PackageBook: witnessed checkpoints, inclusion proofs of imported records, the package log."""

from __future__ import annotations

import pytest

from storage.errors import StorageError
from tests.storage_contract.rows import insert, package, proof, record, rid, witnessed

A, B = "91370100MA94A1B2C3", "91370200MA00000001"


def test_witnessed_checkpoints(catalog):
    book = catalog.packages
    assert book.witnessed() == [] and book.get_witnessed(A, 3) is None
    with catalog.transaction():
        for origin, size in ((B, 2), (A, 9), (A, 3)):
            book.witness(witnessed(origin, size))
    assert book.get_witnessed(A, 9) == witnessed(A, 9)
    assert type(book.get_witnessed(A, 9)["cosignature"]) is bytes
    assert [(w["origin"], w["tree_size"]) for w in book.witnessed()] == [(A, 3), (A, 9), (B, 2)]
    assert [w["tree_size"] for w in book.witnessed(A)] == [3, 9]
    assert book.witnessed("nobody") == []


def test_a_checkpoint_is_witnessed_once(catalog):
    with catalog.transaction():
        catalog.packages.witness(witnessed(A, 3))
    with pytest.raises(StorageError):
        with catalog.transaction():
            catalog.packages.witness(witnessed(A, 3, root=b"\xee" * 32))
    assert catalog.packages.get_witnessed(A, 3)["root"] == witnessed(A, 3)["root"]


def test_imported_proofs(catalog):
    insert(catalog, record(1, origin=A))
    book = catalog.packages
    assert book.imported_proof(rid(1)) is None
    with catalog.transaction():
        book.add_imported_proof(proof(rid(1)))
    assert book.imported_proof(rid(1)) == proof(rid(1))
    with pytest.raises(StorageError):  # one proof per record
        with catalog.transaction():
            book.add_imported_proof(proof(rid(1), leaf_index=8))
    with pytest.raises(StorageError):  # only for a record in the catalog
        with catalog.transaction():
            book.add_imported_proof(proof(rid(2)))
    assert book.imported_proof(rid(1))["leaf_index"] == 7 and book.imported_proof(rid(2)) is None


def test_the_package_log(catalog):
    book = catalog.packages
    assert book.packages() == [] and not book.has_package("p1", "export") and book.logged() == 0
    with catalog.transaction():
        book.log_package(package("p2", "import", created_at="2026-06-11T00:00:00Z"))
        book.log_package(package("p1", "export", created_at="2026-06-10T00:00:00Z"))
        book.log_package(package("p3", "export", kind="evidence", created_at="2026-06-12T00:00:00Z"))
        book.log_package(package("p1", "import", created_at="2026-06-13T00:00:00Z"))  # the same bag came back
    assert book.has_package("p1", "export") and book.has_package("p1", "import") and not book.has_package("p2", "export")
    assert book.logged() == 4
    assert [(p["digest"], p["direction"]) for p in book.packages()] == [("p1", "export"), ("p2", "import"), ("p3", "export"),
                                                                       ("p1", "import")]
    assert [p["digest"] for p in book.packages(direction="export")] == ["p1", "p3"]
    assert [p["digest"] for p in book.packages(direction="export", kind="submission")] == ["p1"]
    assert book.packages(kind="evidence")[0] == package("p3", "export", kind="evidence", created_at="2026-06-12T00:00:00Z")


def test_logging_a_package_again_keeps_the_first_entry(catalog):
    with catalog.transaction():
        catalog.packages.log_package(package("p1", records=3))
    with catalog.transaction():
        catalog.packages.log_package(package("p1", records=99, path="/elsewhere"))
    (only,) = catalog.packages.packages()
    assert (only["records"], only["path"]) == (3, "/tmp/p.zip") and catalog.packages.logged() == 1
