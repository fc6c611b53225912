"""Content-addressed blob store in a folder (the default; :class:`storage.interfaces.BlobStore`).

A blob is named by the sha256 of its bytes and lives at ``blobs/sha256/ab/cd/abcd…`` (two levels
of 256-way sharding keep folders small at 10^6 files). Writing streams the data into a temp file
in ``tmp/`` while hashing it, fsyncs, makes it read-only (0400) and renames it into place; an
existing blob with the same name is the same content, so writes are idempotent and a crash leaves
at worst an orphan temp file or an unreferenced blob — never a half-written one.

Reads are checked: :meth:`FileBlobStore.read_bytes` and the stream of :meth:`FileBlobStore.open`
raise :class:`BlobDamaged` when the bytes no longer hash to their name. The other backend, an
S3-compatible bucket, is :mod:`storage.s3`; both pass ``tests/blob_contract/``.

This module knows nothing about documents.
"""

from __future__ import annotations

import hashlib
import io
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from storage.errors import BlobDamaged, BlobMissing, StorageError
from storage.home import fsync_dir, make_private_dir

CHUNK = 1 << 20
BLOB_MODE = 0o400


def _syncfs(path: Path) -> bool:
    """Flush the whole file system holding ``path`` (Linux syncfs(2)); False if unavailable."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.syncfs
    except (OSError, AttributeError):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        return fn(fd) == 0
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def check_digest(digest: str) -> str:
    """``digest`` if it is a sha256 in lower-case hex (a blob's name), else StorageError."""
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise StorageError(f"不是有效的 sha256 摘要 (not a sha256 digest): {digest!r}")
    return digest


def damaged(digest: str, actual: str) -> BlobDamaged:
    return BlobDamaged(f"文件库中的 {digest[:12]}… 内容已被改动 (blob altered: its bytes hash to {actual[:12]}…)")


def open_stored(path: Path, digest: str) -> BinaryIO:
    """A stored blob opened for reading — a regular file, never a link followed to somewhere else,
    nor a FIFO or device put in its place (reading one would block or never end).
    FileNotFoundError when there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise BlobDamaged(f"文件库中的 {digest[:12]}… 被换成了符号链接 (blob replaced by a symbolic link)") from e
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BlobDamaged(f"文件库中的 {digest[:12]}… 不是普通文件 (blob replaced by a FIFO, device or folder)")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


class CheckedReader(io.RawIOBase):
    """A read-only stream over ``raw`` that hashes what passes through and, at the end of the
    stream, raises :class:`BlobDamaged` if the bytes did not hash to ``digest``."""

    def __init__(self, raw: BinaryIO, digest: str) -> None:
        self.raw = raw
        self.digest = digest
        self._h = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self.raw.read(len(b))
        if not data:
            self._check()
            return 0
        n = len(data)
        b[:n] = data
        self._h.update(data)
        return n

    def _check(self) -> None:
        if not self._checked:
            self._checked = True
            actual = self._h.hexdigest()
            if actual != self.digest:
                raise damaged(self.digest, actual)

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


def read_checked(stream: BinaryIO, digest: str) -> bytes:
    """All of ``stream`` (a blob's bytes), checked against ``digest``."""
    with stream:
        data = stream.read()
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise damaged(digest, actual)
    return data


class FileBlobStore:
    """Blobs as read-only files under ``root/sha256/``; temp files in ``tmp_dir``."""

    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = Path(root) / "sha256"
        self.tmp_dir = Path(tmp_dir)
        self._pending: list[Path] | None = None  # blobs written in a batch(), not yet flushed

    @property
    def location(self) -> str:
        return str(self.root.parent)

    def local_path(self, digest: str) -> Path | None:
        return self.path_for(digest)

    def check(self) -> None:
        make_private_dir(self.root)

    def path_for(self, digest: str) -> Path:
        d = check_digest(digest)
        return self.root / d[:2] / d[2:4] / d

    def has(self, digest: str) -> bool:
        return self.path_for(digest).exists()

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if self._stored(digest, len(data)):
            return digest
        return self.put_stream(io.BytesIO(data))

    def _stored(self, digest: str, size: int) -> bool:
        """Whether ``digest`` is stored already; other bytes under its name (another size) are
        refused, never replaced (write-once; :meth:`open` and ``verify`` name a same-size change)."""
        try:
            st = self.path_for(digest).stat()
        except FileNotFoundError:
            return False
        if st.st_size != size:
            raise StorageError(
                f"文件库中的 {digest[:12]}… 与其名称不符，拒绝覆盖 (blob {digest[:12]}… holds other bytes: {st.st_size} bytes, "
                f"expected {size}; not overwritten)",
                hint="运行 outsafe verify 查明受影响的记录 (run outsafe verify)",
            )
        return True

    def remove_partial(self) -> int:
        """Remove blob temp files a killed writer left in tmp/ (call only under the archive lock:
        a live writer's temp files are indistinguishable)."""
        n = 0
        if self.tmp_dir.is_dir():
            for p in self.tmp_dir.glob(".blob-*"):
                try:
                    p.unlink()
                    n += 1
                except FileNotFoundError:
                    pass
        return n

    def put_file(self, src: Path) -> str:
        with src.open("rb") as fh:
            return self.put_stream(fh)

    def put_stream(self, stream: BinaryIO) -> str:
        make_private_dir(self.tmp_dir)
        h = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, prefix=".blob-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                size = out.tell()
                if self._pending is None:
                    os.fsync(out.fileno())
            digest = h.hexdigest()
            if self._stored(digest, size):
                os.unlink(tmp)
                return digest
            self._place(Path(tmp), digest)
            return digest
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _place(self, tmp: Path, digest: str) -> None:
        dest = self.path_for(digest)
        try:
            make_private_dir(dest.parent.parent)
            make_private_dir(dest.parent)
            os.chmod(tmp, BLOB_MODE)
            os.replace(tmp, dest)
            if self._pending is None:
                fsync_dir(dest.parent)
            else:
                self._pending.append(dest)
        except OSError as e:
            raise StorageError(f"无法写入文件库 (cannot write blob {digest[:12]}…): {e.strerror}") from e

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Write several blobs, then make them all durable at once on leaving the block.

        Inside the block a blob is written and renamed into place without its own fsyncs; on a
        normal exit one ``syncfs`` flushes the file system (falling back to an fsync of every new
        file and its folder where syncfs is unavailable). The caller commits catalog rows that
        refer to the blobs only after the block: the blobs are on disk before anything names them.
        """
        if self._pending is not None:
            yield
            return
        self._pending = []
        try:
            yield
            self._flush(self._pending)
        finally:
            self._pending = None

    def _flush(self, paths: list[Path]) -> None:
        if not paths:
            return
        if _syncfs(self.root):
            return
        for p in paths:
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for d in sorted({p.parent for p in paths}):
            fsync_dir(d)

    def _open_raw(self, digest: str) -> BinaryIO:
        p = self.path_for(digest)
        try:
            return open_stored(p, digest)
        except FileNotFoundError as e:
            raise BlobMissing(f"文件库中没有 {digest[:12]}… (blob missing)") from e

    def open(self, digest: str) -> BinaryIO:
        return io.BufferedReader(CheckedReader(self._open_raw(digest), digest), CHUNK)  # type: ignore[return-value]

    def read_bytes(self, digest: str) -> bytes:
        return read_checked(self._open_raw(digest), digest)

    def measure(self, digest: str) -> tuple[str, int] | None:
        h = hashlib.sha256()
        n = 0
        try:
            with open_stored(self.path_for(digest), digest) as fh:
                while chunk := fh.read(CHUNK):
                    h.update(chunk)
                    n += len(chunk)
        except FileNotFoundError:
            return None
        return h.hexdigest(), n

    def rehash(self, digest: str) -> str | None:
        """The sha256 of what is stored under ``digest`` now, streamed; None if it is missing."""
        found = self.measure(digest)
        return found[0] if found else None

    def iter_digests(self) -> Iterator[str]:
        if not self.root.exists():
            return
        for a in sorted(self.root.iterdir()):
            for b in sorted(a.iterdir()):
                for f in sorted(b.iterdir()):
                    yield f.name


BlobStore = FileBlobStore  # the name before the BlobStore interface (storage.interfaces) existed
