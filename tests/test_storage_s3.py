"""The S3 blob store's own choices (its contract is tests/blob_contract/, run against it): keys
laid out like the folder store's under the prefix, every write conditional (If-None-Match), a
write that loses a race to the same content is fine and to other content refused, an aborted
multipart upload, and the service's errors as one message each."""

from __future__ import annotations

import hashlib

import pytest

from storage.catalog import open_blobs
from storage.errors import StorageError
from storage.s3 import S3BlobStore, parse_url

DATA = "动火安全作业票".encode() * 100


@pytest.fixture
def store(s3_env, tmp_path) -> S3BlobStore:
    return open_blobs(f"s3://{s3_env.new_bucket()}/district/blobs/", tmp_dir=tmp_path / "tmp")


def test_locations_and_keys(store):
    assert parse_url("s3://bucket") == ("bucket", "") and parse_url("s3://b/a/b/") == ("b", "a/b")
    d = store.put_bytes(DATA)
    assert store.location.endswith("/district/blobs")
    assert store.key(d) == f"district/blobs/sha256/{d[:2]}/{d[2:4]}/{d}"
    head = store.client.head_object(Bucket=store.bucket, Key=store.key(d))
    assert head["Metadata"] == {"sha256": d} and head["ContentLength"] == len(DATA)
    with pytest.raises(StorageError):
        parse_url("s3:///nobucket")


def test_every_write_is_conditional_a_lost_race_is_checked(store):
    """Two writers storing the same blob at once: the second PUT is refused by the service (412)
    and the store then finds the same size under the name — fine. Other bytes under the name
    (a same-name object written outside outsafe) are refused, and stay as they were."""
    d = hashlib.sha256(DATA).hexdigest()
    store.put_bytes(DATA)
    store._put_once(d, DATA, len(DATA))  # what the writer that lost the race does: no error
    with pytest.raises(Exception) as e:  # the service itself refuses to replace the object
        store.client.put_object(Bucket=store.bucket, Key=store.key(d), Body=b"other", IfNoneMatch="*")
    assert "PreconditionFailed" in str(e.value)
    store.client.put_object(Bucket=store.bucket, Key=store.key(d), Body=b"other")  # unconditional: outside outsafe
    with pytest.raises(StorageError) as e:
        store._put_once(d, DATA, len(DATA))
    assert "not overwritten" in e.value.message
    assert store.client.get_object(Bucket=store.bucket, Key=store.key(d))["Body"].read() == b"other"


def test_a_file_that_changes_while_it_is_sent_in_parts_is_not_stored(store, tmp_path, monkeypatch):
    store.multipart_threshold, store.part_size = 5 * 2**20, 5 * 2**20
    src = tmp_path / "big.bin"
    src.write_bytes(b"a" * (11 * 2**20))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    real = store.client.upload_part

    def upload_part(**kw):  # the file is rewritten after its hash was taken, before it is sent
        if kw["PartNumber"] == 2:
            src.write_bytes(b"b" * (11 * 2**20))
        return real(**kw)

    monkeypatch.setattr(store.client, "upload_part", upload_part)
    with pytest.raises(StorageError) as e:
        store._upload_file(digest, src, 11 * 2**20)
    assert "changed while it was stored" in e.value.message
    assert not store.has(digest)
    assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []  # aborted


def test_a_missing_bucket_and_wrong_keys_are_one_message_each(s3_env, tmp_path, monkeypatch):
    missing = open_blobs("s3://no-such-bucket-here/x", tmp_dir=tmp_path)
    with pytest.raises(StorageError) as e:
        missing.check()
    assert "the bucket does not exist" in e.value.message and "no-such-bucket-here" in e.value.message
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    nokeys = open_blobs(f"s3://{s3_env.new_bucket()}/x", tmp_dir=tmp_path)
    with pytest.raises(StorageError) as e:
        nokeys.put_bytes(b"x")
    assert "access denied" in e.value.message and "AWS_ACCESS_KEY_ID" in e.value.hint
