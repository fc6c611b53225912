"""storage/: blobs, catalog migrations and immutability, the write lock, permissions."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.errors import StorageError
from storage import catalog as catmod
from storage.blobs import BlobStore
from storage.catalog import Catalog
from storage.home import ArchiveHome, atomic_write
from storage.lock import write_lock


def test_blob_roundtrip_sharded_readonly(tmp_path):
    store = BlobStore(tmp_path / "blobs", tmp_path / "tmp")
    data = "安全生产管理协议".encode() * 1000
    digest = store.put_bytes(data)
    assert digest == hashlib.sha256(data).hexdigest()
    path = store.path_for(digest)
    assert path.parent.name == digest[2:4] and path.parent.parent.name == digest[:2]
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert store.read_bytes(digest) == data
    assert store.put_bytes(data) == digest  # idempotent
    assert list(store.iter_digests()) == [digest]
    assert list((tmp_path / "tmp").iterdir()) == []  # no temp files left


def test_blob_stream_large(tmp_path):
    store = BlobStore(tmp_path / "blobs", tmp_path / "tmp")
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    digest = store.put_file(src)
    assert store.rehash(digest) == digest


def test_blob_rejects_bad_digest(tmp_path):
    store = BlobStore(tmp_path / "blobs", tmp_path / "tmp")
    with pytest.raises(StorageError):
        store.path_for("../../etc/passwd")


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=5000))
def test_blob_content_addressing(data):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        store = BlobStore(Path(d) / "b", Path(d) / "t")
        assert store.read_bytes(store.put_bytes(data)) == data


def test_catalog_migrates_forward_and_refuses_newer(tmp_path):
    path = tmp_path / "c.sqlite3"
    c = Catalog(path, create=True)
    assert c.version == 0
    assert c.migrate() == len(catmod.MIGRATIONS)
    assert c.version == catmod.SCHEMA_VERSION
    assert c.migrate() == 0
    assert c.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    c.db.execute(f"PRAGMA user_version={catmod.SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError) as e:
        c.migrate()
    assert "newer" in e.value.message
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_catalog_v1_upgrades_to_current(tmp_path):
    path = tmp_path / "c.sqlite3"
    c = Catalog(path, create=True)
    with c.transaction():
        for stmt in catmod._split_sql(catmod.MIGRATIONS[0]):
            c.db.execute(stmt)
        c.db.execute("PRAGMA user_version=1")
    assert c.migrate() == catmod.SCHEMA_VERSION - 1
    assert c.db.execute("SELECT COUNT(*) FROM ledger").fetchone()[0] == 0


def test_records_are_immutable(tmp_path):
    c = Catalog(tmp_path / "c.sqlite3", create=True)
    c.migrate()
    row = {"id": "R1", "type": "hazard", "title": "t", "data": "{}", "refs": "{}", "origin": "X", "created_at": "now"}
    with c.transaction():
        c.insert_record(row, [{"role": "source", "name": "a", "sha256": "0" * 64, "size": 1, "media_type": "x"}])
    for sql in ("UPDATE records SET data='{\"x\":1}'", "DELETE FROM records", "UPDATE record_files SET size=2", "DELETE FROM record_files"):
        with pytest.raises(sqlite3.DatabaseError):
            c.db.execute(sql)


def test_transaction_rolls_back(tmp_path):
    c = Catalog(tmp_path / "c.sqlite3", create=True)
    c.migrate()
    with pytest.raises(RuntimeError):
        with c.transaction():
            c.set_meta("k", "v")
            raise RuntimeError
    assert c.get_meta("k") is None


def test_missing_catalog_is_a_clear_error(tmp_path):
    with pytest.raises(StorageError) as e:
        Catalog(tmp_path / "none.sqlite3")
    assert "outsafe init" in e.value.hint


def test_atomic_write_mode(tmp_path):
    p = tmp_path / "f"
    atomic_write(p, b"x")
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    atomic_write(p, b"y")
    assert p.read_bytes() == b"y"


def test_home_folders_are_private(tmp_path):
    h = ArchiveHome(tmp_path / "h")
    h.create_dirs()
    for d in (h.root, h.blobs_dir, h.keys_dir, h.index_dir, h.tmp_dir):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from storage.lock import write_lock
    with write_lock(Path(sys.argv[1]), what="holder"):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def test_second_writer_waits_with_a_message(tmp_path):
    lock = tmp_path / "lock"
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), "1.8"], stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout.readline().strip() == "locked"
        messages = []
        t0 = time.monotonic()
        with write_lock(lock, notify=messages.append):
            waited = time.monotonic() - t0
        holder.wait(10)
    assert waited >= 1.0
    assert len(messages) == 1 and "等待档案写锁" in messages[0] and "holder" in messages[0]


def test_uncontended_lock_says_nothing(tmp_path):
    messages = []
    with write_lock(tmp_path / "lock", notify=messages.append):
        pass
    assert messages == []
