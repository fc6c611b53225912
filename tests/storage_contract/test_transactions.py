"""UnitOfWork: one transaction spans every store; all or nothing; nested use joins the outer one."""

from __future__ import annotations

import pytest

from storage.errors import StorageError
from tests.storage_contract.rows import checkpoint, file, insert, leaf, package, proof, record, rid, witnessed


class Boom(Exception):
    pass


def _write_one_of_everything(catalog, n: int) -> None:
    """What one record, or one imported package, writes: record + files + leaf + registry (+ the
    package book, the checkpoint, meta)."""
    catalog.insert_record(record(n, origin="91370100MA94A1B2C3"), [file("pdf", f"{n}.pdf"), file("source", f"{n}.yaml")])
    catalog.ledger.append(*(leaf(n, "record_sealed", rid(n))[k] for k in ("kind", "entry", "leaf_hash", "created_at")),
                          record_id=rid(n))
    catalog.put_registry("organization", f"U{n}", rid(n), f"单位{n}")
    catalog.packages.add_imported_proof(proof(rid(n)))
    catalog.packages.witness(witnessed("91370100MA94A1B2C3", n))
    catalog.packages.log_package(package(f"p{n}", "import"))
    catalog.ledger.add_checkpoint(checkpoint(n))
    catalog.set_meta(f"k{n}", "v")


def _nothing_of(catalog, n: int) -> bool:
    book = catalog.packages
    return (catalog.get_record(rid(n)) is None and catalog.record_files(rid(n)) == []
            and catalog.ledger.leaf_for_record(rid(n)) is None and catalog.get_registry("organization", f"U{n}") is None
            and book.imported_proof(rid(n)) is None and book.get_witnessed("91370100MA94A1B2C3", n) is None
            and not book.has_package(f"p{n}", "import") and all(c["tree_size"] != n for c in catalog.ledger.checkpoints())
            and catalog.get_meta(f"k{n}") is None)


def test_an_exception_rolls_back_every_store(catalog):
    with pytest.raises(Boom):
        with catalog.transaction():
            _write_one_of_everything(catalog, 1)
            assert catalog.get_record(rid(1)) is not None  # visible inside the transaction
            raise Boom
    assert _nothing_of(catalog, 1)
    assert catalog.count_records() == 0 and catalog.ledger.size() == 0 and not catalog.in_transaction


def test_a_storage_error_rolls_back_what_came_before_it(catalog):
    insert(catalog, record(1))
    with pytest.raises(StorageError):
        with catalog.transaction():
            catalog.insert_record(record(2))
            catalog.ledger.append("record_sealed", "{}", b"\0" * 32, "t", record_id=rid(2))
            catalog.insert_record(record(1))  # already there
    assert catalog.get_record(rid(2)) is None and catalog.ledger.size() == 0
    insert(catalog, record(3))  # the catalog goes on working
    assert catalog.record_ids() == {rid(1), rid(3)}


def test_a_commit_is_seen_by_another_connection_only_at_the_end(catalog, second):
    with catalog.transaction():
        _write_one_of_everything(catalog, 1)
        assert second.get_record(rid(1)) is None
    assert second.get_record(rid(1)) is not None
    assert second.ledger.leaf_for_record(rid(1))["idx"] == 0
    assert second.packages.imported_proof(rid(1)) == proof(rid(1))


def test_a_whole_package_in_one_transaction(catalog, second):
    """An imported package: many records, their proofs and leaves, the witnessed checkpoint and
    the log entry commit together — or, when anything fails, none of it."""
    with pytest.raises(Boom):
        with catalog.transaction():
            for n in range(1, 30):
                _write_one_of_everything(catalog, n)
            raise Boom
    assert all(_nothing_of(catalog, n) for n in range(1, 30))
    with catalog.transaction():
        for n in range(1, 30):
            _write_one_of_everything(catalog, n)
    assert second.count_records() == 29 and second.ledger.size() == 29 and len(second.packages.witnessed()) == 29


def test_nested_use_joins_the_outer_transaction(catalog, second):
    with catalog.transaction():
        assert catalog.in_transaction
        with catalog.transaction():
            catalog.insert_record(record(1))
        assert catalog.in_transaction  # the inner block did not commit
        assert second.get_record(rid(1)) is None
        catalog.insert_record(record(2))
    assert not catalog.in_transaction
    assert second.record_ids() == {rid(1), rid(2)}


def test_an_exception_from_a_nested_block_rolls_back_the_outer_one(catalog):
    with pytest.raises(Boom):
        with catalog.transaction():
            catalog.insert_record(record(1))
            with catalog.transaction():
                catalog.insert_record(record(2))
                raise Boom
    assert catalog.count_records() == 0 and not catalog.in_transaction


WRITES = {
    "insert_record": lambda c: c.insert_record(record(9)),
    "put_registry": lambda c: c.put_registry("organization", "U", rid(1), "n"),
    "set_meta": lambda c: c.set_meta("k", "v"),
    "ledger.append": lambda c: c.ledger.append("record_sealed", "{}", b"\0" * 32, "t"),
    "ledger.add_checkpoint": lambda c: c.ledger.add_checkpoint(checkpoint(1)),
    "packages.witness": lambda c: c.packages.witness(witnessed("A", 1)),
    "packages.add_imported_proof": lambda c: c.packages.add_imported_proof(proof(rid(1))),
    "packages.log_package": lambda c: c.packages.log_package(package("p")),
    "accounts.add_account": lambda c: c.accounts.add_account(
        {"name": "a", "role": "bureau_officer", "org": None, "password_hash": "h", "disabled": False, "created_at": "t", "updated_at": "t"}),
    "accounts.add_login_attempt": lambda c: c.accounts.add_login_attempt({"at": "t", "username_key": "k", "address": None, "ok": False}),
    "access_log.append": lambda c: c.access_log.append(
        {"seq": 1, "at": "t", "account": None, "org": None, "action": "login", "target": None, "address": None, "detail": None,
         "prev_hash": b"\0" * 32, "hash": b"\1" * 32}),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_outside_a_transaction_is_a_bug(catalog, write):
    insert(catalog, record(1))
    with pytest.raises(RuntimeError, match="outside a transaction"):
        WRITES[write](catalog)
    assert catalog.count_records() == 1 and catalog.ledger.size() == 0 and catalog.get_meta("k") is None
    assert catalog.accounts.accounts() == [] and catalog.access_log.count() == 0
