"""storage/: blobs, the home's permissions, the write lock. The catalog's contract is tested by
tests/storage_contract/ (every backend), the SQLite backend's own choices by test_storage_sqlite.py."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.blobs import BlobStore
from storage.errors import BlobMissing, StorageError
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


def test_a_missing_blob_is_a_storage_error(tmp_path):
    store = BlobStore(tmp_path / "blobs", tmp_path / "tmp")
    with pytest.raises(BlobMissing) as e:
        store.read_bytes("ab" * 32)
    assert "blob missing" in e.value.message


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


@pytest.mark.parametrize("name", ["source-" + "隐" * 83 + ".yaml", "隐" * 300, "docx-" + "事故隐患" * 40 + ".docx", "a" * 300 + ".pdf"])
def test_a_safe_name_fits_every_file_system(tmp_path, name):
    """safe_name cut at 120 characters only: 120 Chinese characters are 360 bytes, and a package
    export holding such a file name failed with 'File name too long'."""
    from storage.home import safe_name

    safe = safe_name(name)
    assert len(safe.encode("utf-8")) <= 200 and len(safe) <= 120
    assert safe.rpartition(".")[2] == name.rpartition(".")[2] or "." not in name
    (tmp_path / (safe + "~12")).write_bytes(b"x")  # with room for a collision suffix
