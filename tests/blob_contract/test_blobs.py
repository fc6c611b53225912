"""BlobStore (storage/interfaces.py): content-addressed, write-once, checked on read, durable
before named, large files in parts, leftovers of a killed writer removed."""

from __future__ import annotations

import hashlib
import io

import pytest

from storage.catalog import open_blobs
from storage.errors import BlobDamaged, BlobMissing, StorageError
from storage.interfaces import BlobStore
from tests.storage_contract.test_interfaces import members, parameters

TEXT = "安全生产管理协议 A&B<测试>".encode() * 300


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_member_of_the_interface_with_the_same_parameters(store):
    for name, spec in members(BlobStore).items():
        assert hasattr(store, name), f"{type(store).__name__} lacks BlobStore.{name}"
        if callable(spec) and not isinstance(spec, property):
            assert parameters(getattr(store, name)) == parameters(spec), name


def test_content_addressed_and_idempotent(store):
    store.check()
    assert not store.has(sha(TEXT))
    digest = store.put_bytes(TEXT)
    assert digest == sha(TEXT)
    assert store.has(digest)
    assert store.read_bytes(digest) == TEXT
    assert store.put_bytes(TEXT) == digest  # the same bytes again: nothing changes
    assert list(store.iter_digests()) == [digest]


def test_bytes_file_and_stream_give_the_same_name(store, tmp_path):
    src = tmp_path / "source.yaml"
    src.write_bytes(TEXT + b"\n")
    a = store.put_file(src)
    b = store.put_stream(io.BytesIO(TEXT + b"\n"))
    c = store.put_bytes(TEXT + b"\n")
    assert a == b == c == sha(TEXT + b"\n")
    assert list(store.iter_digests()) == [a]
    assert store.measure(a) == (a, len(TEXT) + 1)


def test_an_empty_blob(store):
    digest = store.put_bytes(b"")
    assert digest == sha(b"") and store.read_bytes(digest) == b"" and store.measure(digest) == (digest, 0)


def test_digests_are_listed_in_order(store):
    names = sorted(store.put_bytes(bytes([n]) * (n + 1)) for n in range(12))
    assert list(store.iter_digests()) == names


def test_a_large_file_goes_in_parts_and_comes_back_whole(store, big_file):
    if hasattr(store, "multipart_threshold"):
        store.multipart_threshold, store.part_size = 5 * 2**20, 5 * 2**20
    data = big_file.read_bytes()
    digest = store.put_file(big_file)
    assert digest == sha(data)
    assert store.measure(digest) == (digest, len(data))
    with store.open(digest) as fh:
        assert fh.read() == data


def test_reads_are_checked(backend, store):
    digest = store.put_bytes(TEXT)
    backend.tamper(store, digest, TEXT[:-1] + b"!")  # same size, one byte changed
    with pytest.raises(BlobDamaged) as e:
        store.read_bytes(digest)
    assert e.value.exit_code == 3 and digest[:12] in e.value.message
    with pytest.raises(BlobDamaged):
        with store.open(digest) as fh:
            while fh.read(1000):
                pass
    assert store.measure(digest) == (sha(TEXT[:-1] + b"!"), len(TEXT))


def test_write_once_other_bytes_under_a_name_are_refused_not_replaced(backend, store, tmp_path):
    digest = store.put_bytes(TEXT)
    backend.tamper(store, digest, b"something else")
    for put in (lambda: store.put_bytes(TEXT), lambda: store.put_stream(io.BytesIO(TEXT))):
        with pytest.raises(StorageError) as e:
            put()
        assert "not overwritten" in e.value.message
    assert store.measure(digest) == (sha(b"something else"), 14)  # left as found, for verify to name


def test_a_missing_blob(store):
    digest = "ab" * 32
    assert not store.has(digest) and store.measure(digest) is None
    with pytest.raises(BlobMissing) as e:
        store.read_bytes(digest)
    assert "blob missing" in e.value.message
    with pytest.raises(BlobMissing):
        store.open(digest)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "AB" * 32, "ab" * 31, "zz" * 32])
def test_a_name_that_is_not_a_sha256_is_refused(store, bad):
    with pytest.raises(StorageError):
        store.has(bad)
    with pytest.raises(StorageError):
        store.read_bytes(bad)


def test_a_batch_makes_every_blob_durable_when_it_ends(store, tmp_path):
    files = []
    for n in range(6):
        p = tmp_path / f"f{n}.pdf"
        p.write_bytes(TEXT * (n + 1))
        files.append(p)
    with store.batch():
        names = [store.put_file(p) for p in files] + [store.put_bytes(b"photo")]
        with store.batch():  # nested: joins
            names.append(store.put_stream(io.BytesIO(b"drawing")))
    assert all(store.has(n) for n in names)
    assert sorted(store.iter_digests()) == sorted(set(names))


def test_an_exception_leaving_a_batch_is_raised_as_it_is(store):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with store.batch():
            store.put_bytes(b"one")
            raise Boom
    store.put_bytes(b"two")  # the store goes on working
    assert store.has(sha(b"two"))


def test_what_a_killed_writer_left_is_removed(backend, store):
    store.put_bytes(TEXT)
    backend.leave_partial(store)
    assert store.remove_partial() >= 1
    assert store.remove_partial() == 0
    assert list(store.iter_digests()) == [sha(TEXT)] and store.read_bytes(sha(TEXT)) == TEXT


def test_the_location_opens_the_same_store(store, tmp_path):
    digest = store.put_bytes(TEXT)
    again = open_blobs(store.location, tmp_dir=tmp_path / "tmp2")
    assert again.location == store.location
    assert again.read_bytes(digest) == TEXT


def test_local_path_is_a_readable_copy_or_none(store):
    digest = store.put_bytes(TEXT)
    path = store.local_path(digest)
    assert path is None or path.read_bytes() == TEXT
