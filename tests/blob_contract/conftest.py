"""The blob store conformance suite: every blob store passes these tests unchanged — the folder
store (the default) and an S3-compatible bucket (moto's standalone S3 server on loopback, started
by the ``s3_server`` fixture of tests/conftest.py; a bucket per test).

A harness makes a new, empty store of its kind and reaches under the interface for what it
rightly does not offer: replacing a stored blob's bytes (as damage or an attacker would), and
leaving behind what a killed writer leaves.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.catalog import open_blobs
from storage.interfaces import BlobStore


class FileBackend:
    name = "files"

    def new(self, tmp_path: Path) -> BlobStore:
        return open_blobs(tmp_path / "blobs", tmp_dir=tmp_path / "tmp")

    def tamper(self, store, digest: str, data: bytes) -> None:
        p = store.path_for(digest)
        p.chmod(0o600)
        p.write_bytes(data)

    def leave_partial(self, store) -> None:
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        (store.tmp_dir / ".blob-killed").write_bytes(b"half")


class S3Backend:
    name = "s3"

    def __init__(self, server=None) -> None:
        self.server = server

    def new(self, tmp_path: Path) -> BlobStore:
        return open_blobs(f"s3://{self.server.new_bucket()}/archive/blobs", tmp_dir=tmp_path / "tmp")

    def tamper(self, store, digest: str, data: bytes) -> None:
        store.client.put_object(Bucket=store.bucket, Key=store.key(digest), Body=data)  # unconditional

    def leave_partial(self, store) -> None:
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        (store.tmp_dir / ".blob-killed").write_bytes(b"half")
        up = store.client.create_multipart_upload(Bucket=store.bucket, Key=store.key("ab" * 32))
        store.client.upload_part(Bucket=store.bucket, Key=store.key("ab" * 32), UploadId=up["UploadId"], PartNumber=1,
                                 Body=b"x" * 100)


BACKENDS = [FileBackend(), S3Backend()]


@pytest.fixture(params=BACKENDS, ids=lambda b: b.name)
def backend(request):
    if isinstance(request.param, S3Backend):
        return S3Backend(request.getfixturevalue("s3_env"))
    return request.param


@pytest.fixture
def store(backend, tmp_path):
    return backend.new(tmp_path)


@pytest.fixture
def big_file(tmp_path) -> Path:
    """A file larger than the parts it is sent in (a store's multipart threshold is lowered to 5 MiB)."""
    p = tmp_path / "big.bin"
    p.write_bytes(os.urandom(11 * 2**20 + 17))
    return p
