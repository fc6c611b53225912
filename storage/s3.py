"""Blobs in an S3-compatible object store (``blobs = "s3://bucket/prefix"``):
:class:`storage.interfaces.BlobStore`, as the folder store (:mod:`storage.blobs`) is one.

- **Keys**: ``<prefix>/sha256/ab/cd/<sha256>`` — content-addressed, the folder store's layout.
- **Write-once**: every write is conditional (``If-None-Match: *``): the service refuses to
  replace an object that exists. Finding one under a name, the store checks its size; other bytes
  under a blob's name are refused (StorageError), never overwritten. The service also checks the
  sha256 sent with a single-part upload (``x-amz-checksum-sha256``; AWS S3 and MinIO do).
- **Large files** (:data:`MULTIPART_THRESHOLD` and up) go in parts of :data:`PART_SIZE`, hashed as
  they are sent; an upload whose bytes changed on the way is aborted, and so is a failed one.
  Uploads a killed writer left unfinished are aborted by :meth:`S3BlobStore.remove_partial`
  (under the archive lock).
- **Checked on read**: ``read_bytes`` and ``open`` hash what they return; other bytes raise
  :class:`~storage.errors.BlobDamaged`.
- **Durable before named**: a PUT is durable when the service answers. Inside :meth:`batch` the
  uploads run in parallel and the block ends only when every one has been acknowledged (the first
  failure is raised then), so the catalog rows naming them are committed after, as with files.

Where and as whom: boto3's own environment — ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``
(``AWS_SESSION_TOKEN``), ``AWS_DEFAULT_REGION`` or ``AWS_REGION`` (default ``us-east-1``),
``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for a service other than AWS (MinIO, Ceph, a
district's own object store; path-style addressing is then used), or an AWS profile
(``AWS_PROFILE``). Nothing secret is written to the archive's settings.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from storage.blobs import CHUNK, CheckedReader, check_digest, read_checked
from storage.errors import BlobMissing, StorageError
from storage.home import make_private_dir

MULTIPART_THRESHOLD = 16 * 2**20
PART_SIZE = 8 * 2**20  # S3's smallest part is 5 MiB (but the last)
UPLOADS_IN_PARALLEL = 8
ENV_HINT = ("设置 AWS_ACCESS_KEY_ID、AWS_SECRET_ACCESS_KEY，非 AWS 服务另设 AWS_ENDPOINT_URL_S3 "
            "(set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for a service other than AWS, AWS_ENDPOINT_URL_S3; see README)")


def parse_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://bucket/prefix`` (the prefix without slashes at its ends)."""
    if not url.startswith("s3://"):
        raise StorageError(f"不是 s3:// 地址 (not an s3:// location): {url}")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise StorageError(f"s3 地址缺少存储桶名 (no bucket in the location): {url}", hint="s3://bucket/prefix")
    return bucket, prefix.strip("/")


def make_client() -> Any:
    """An S3 client configured from the environment (see the module's notes)."""
    import boto3  # lazy: only archives with blobs in an object store need it
    from botocore.config import Config

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=UPLOADS_IN_PARALLEL * 2,
                    s3={"addressing_style": "path"} if endpoint else {})
    return boto3.session.Session().client("s3", region_name=region, config=config)


class S3BlobStore:
    def __init__(self, url: str, *, tmp_dir: Path, client: Any = None) -> None:
        self.bucket, self.prefix = parse_url(url)
        self.tmp_dir = Path(tmp_dir)
        self.client = client or make_client()
        self.multipart_threshold = MULTIPART_THRESHOLD
        self.part_size = PART_SIZE
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future] | None = None  # uploads of the current batch

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def key(self, digest: str) -> str:
        d = check_digest(digest)
        return f"{self.prefix}/sha256/{d[:2]}/{d[2:4]}/{d}" if self.prefix else f"sha256/{d[:2]}/{d[2:4]}/{d}"

    def _base(self) -> str:
        return f"{self.prefix}/sha256/" if self.prefix else "sha256/"

    def local_path(self, digest: str) -> Path | None:
        return None

    def check(self) -> None:
        """Refuse (StorageError) a bucket that does not exist or cannot be listed."""
        with self._errors("检查存储桶 (check the bucket)"):
            self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._base(), MaxKeys=1)

    # --- reading ------------------------------------------------------------------------------

    def _size(self, digest: str) -> int | None:
        """The stored object's size, or None when there is none."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(digest))
        except Exception as e:  # noqa: BLE001 — botocore's errors, sorted below
            if not _is_driver_error(e):
                raise
            if _status(e) == 404:
                return None
            raise self._wrap(e, "读取 (read)") from e
        return int(head["ContentLength"])

    def has(self, digest: str) -> bool:
        return self._size(digest) is not None

    def _get(self, digest: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(digest))["Body"]
        except Exception as e:  # noqa: BLE001
            if not _is_driver_error(e):
                raise
            if _status(e) == 404:
                raise BlobMissing(f"文件库中没有 {digest[:12]}… (blob missing in {self.location})") from e
            raise self._wrap(e, "读取 (read)") from e

    def open(self, digest: str) -> BinaryIO:
        return io.BufferedReader(CheckedReader(self._get(digest), digest), CHUNK)  # type: ignore[return-value]

    def read_bytes(self, digest: str) -> bytes:
        with self._errors("读取 (read)"):
            return read_checked(self._get(digest), digest)

    def measure(self, digest: str) -> tuple[str, int] | None:
        try:
            body = self._get(digest)
        except BlobMissing:
            return None
        h, n = hashlib.sha256(), 0
        with self._errors("读取 (read)"), body:
            while chunk := body.read(CHUNK):
                h.update(chunk)
                n += len(chunk)
        return h.hexdigest(), n

    def rehash(self, digest: str) -> str | None:
        found = self.measure(digest)
        return found[0] if found else None

    def iter_digests(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._base())
        with self._errors("列出 (list)"):
            for page in pages:
                for obj in page.get("Contents", []):
                    name = obj["Key"].rsplit("/", 1)[-1]
                    if len(name) == 64:
                        yield name

    # --- writing ------------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._submit(self._upload_bytes, digest, data)
        return digest

    def put_file(self, src: Path) -> str:
        h, size = hashlib.sha256(), 0
        with Path(src).open("rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
        digest = h.hexdigest()
        self._submit(self._upload_file, digest, Path(src), size)
        return digest

    def put_stream(self, stream: BinaryIO) -> str:
        """Spooled to a temp file in ``tmp_dir`` (named like the folder store's, so a killed
        writer's are removed by :meth:`remove_partial`), then uploaded from there."""
        make_private_dir(self.tmp_dir)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, prefix=".blob-")
        h, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    h.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        except BaseException:
            os.unlink(tmp)
            raise
        digest = h.hexdigest()

        def upload_and_remove() -> None:
            try:
                self._upload_file(digest, Path(tmp), size)
            finally:
                os.unlink(tmp)

        self._submit(upload_and_remove)
        return digest

    def _submit(self, fn: Callable[..., None], *args: Any) -> None:
        if self._pending is None:
            fn(*args)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=UPLOADS_IN_PARALLEL, thread_name_prefix="s3-upload")
        self._pending.append(self._pool.submit(fn, *args))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Uploads inside the block run in parallel; the block ends when all are acknowledged
        (durable), raising the first failure. An exception leaving the block waits for the uploads
        under way (an orphan blob is harmless) and is raised as it is."""
        if self._pending is not None:
            yield
            return
        self._pending = []
        try:
            try:
                yield
            except BaseException:
                for f in self._pending:
                    f.cancel()
                for f in self._pending:
                    if not f.cancelled():
                        f.exception()
                raise
            for f in self._pending:
                f.result()
        finally:
            self._pending = None
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def _exists(self, digest: str, size: int) -> bool:
        """Whether the blob is stored; other bytes under its name are refused (write-once)."""
        stored = self._size(digest)
        if stored is None:
            return False
        if stored != size:
            raise StorageError(
                f"对象存储中的 {digest[:12]}… 与其名称不符，拒绝覆盖 (blob {digest[:12]}… in {self.location} holds other "
                f"bytes: {stored} bytes, expected {size}; not overwritten)",
                hint="运行 outsafe verify 查明受影响的记录 (run outsafe verify)",
            )
        return True

    def _upload_bytes(self, digest: str, data: bytes) -> None:
        if self._exists(digest, len(data)):
            return
        self._put_once(digest, data, len(data))

    def _upload_file(self, digest: str, src: Path, size: int) -> None:
        if self._exists(digest, size):
            return
        if size < self.multipart_threshold:
            with src.open("rb") as fh:
                data = fh.read()
            if hashlib.sha256(data).hexdigest() != digest:
                raise StorageError(f"文件在写入时发生变化 (the file changed while it was stored): {src}")
            self._put_once(digest, data, size)
        else:
            self._put_parts(digest, src, size)

    def _put_once(self, digest: str, data: bytes, size: int) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key(digest), Body=data, IfNoneMatch="*", Metadata={"sha256": digest},
                ChecksumSHA256=base64.b64encode(bytes.fromhex(digest)).decode(),
            )
        except Exception as e:  # noqa: BLE001
            if not _is_driver_error(e):
                raise
            if _status(e) in (409, 412) and self._exists(digest, size):  # written meanwhile by another writer
                return
            raise self._wrap(e, "写入 (write)") from e

    def _put_parts(self, digest: str, src: Path, size: int) -> None:
        key = self.key(digest)
        with self._errors("写入 (write)"):
            upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, Metadata={"sha256": digest})
        upload_id = upload["UploadId"]
        try:
            parts, h = [], hashlib.sha256()
            with src.open("rb") as fh, self._errors("写入 (write)"):
                number = 1
                while chunk := fh.read(self.part_size):
                    h.update(chunk)
                    done = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk)
                    parts.append({"PartNumber": number, "ETag": done["ETag"]})
                    number += 1
            if h.hexdigest() != digest:
                raise StorageError(f"文件在写入时发生变化 (the file changed while it was stored): {src}")
            try:
                self.client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                      MultipartUpload={"Parts": parts}, IfNoneMatch="*")
            except Exception as e:  # noqa: BLE001
                if not _is_driver_error(e):
                    raise
                if _status(e) in (409, 412) and self._exists(digest, size):
                    self._abort(key, upload_id)
                    return
                raise self._wrap(e, "写入 (write)") from e
        except BaseException:
            self._abort(key, upload_id)
            raise

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception:  # noqa: BLE001 — best effort: remove_partial aborts what is left
            pass

    def remove_partial(self) -> int:
        n = 0
        if self.tmp_dir.is_dir():
            for p in self.tmp_dir.glob(".blob-*"):
                try:
                    p.unlink()
                    n += 1
                except FileNotFoundError:
                    pass
        with self._errors("清理 (clean up)"):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=self._base())
            for page in pages:
                for up in page.get("Uploads", []):
                    self._abort(up["Key"], up["UploadId"])
                    n += 1
        return n

    # --- errors -------------------------------------------------------------------------------

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except Exception as e:  # noqa: BLE001 — botocore's and the network's, wrapped at the edge
            if not _is_driver_error(e):
                raise
            raise self._wrap(e, what) from e

    def _wrap(self, e: Exception, what: str) -> StorageError:
        """A botocore error as the StorageError a user can act on."""
        code = _code(e)
        detail = f"{type(e).__name__}: {code or e}"
        if code in ("NoSuchBucket",):
            return StorageError(f"存储桶 {self.bucket} 不存在 (the bucket does not exist): {self.location}",
                                hint="先创建存储桶，或改正 outsafe.toml 中的 blobs 地址 (create the bucket or fix the blobs location)")
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch") or type(e).__name__ == "NoCredentialsError":
            return StorageError(f"无权访问对象存储 {self.location} (access denied: {detail})", hint=ENV_HINT)
        return StorageError(f"对象存储{what}失败 {self.location} ({detail})", hint=ENV_HINT)


def _is_driver_error(e: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(e, BotoCoreError | ClientError)


def _status(e: BaseException) -> int | None:
    resp = getattr(e, "response", None)
    if isinstance(resp, dict):
        return resp.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None


def _code(e: BaseException) -> str | None:
    resp = getattr(e, "response", None)
    if isinstance(resp, dict):
        return resp.get("Error", {}).get("Code")
    return None


__all__ = ["S3BlobStore", "parse_url", "make_client"]
