"""Content-addressed blob store.

A blob is named by the sha256 of its bytes and lives at ``blobs/sha256/ab/cd/abcd…`` (two levels
of 256-way sharding keep folders small at 10^6 files). Writing streams the data into a temp file
in ``tmp/`` while hashing it, fsyncs, makes it read-only (0400) and renames it into place; an
existing blob with the same name is the same content, so writes are idempotent and a crash leaves
at worst an orphan temp file or an unreferenced blob — never a half-written one.

This module knows nothing about documents. A later backend (an S3-compatible object store) only
has to offer the same five methods.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from archive.errors import NotFound, StorageError
from storage.home import fsync_dir, make_private_dir

CHUNK = 1 << 20
BLOB_MODE = 0o400


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _check_digest(digest: str) -> str:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise StorageError(f"不是有效的 sha256 摘要 (not a sha256 digest): {digest!r}")
    return digest


class BlobStore:
    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = root / "sha256"
        self.tmp_dir = tmp_dir

    def path_for(self, digest: str) -> Path:
        d = _check_digest(digest)
        return self.root / d[:2] / d[2:4] / d

    def has(self, digest: str) -> bool:
        return self.path_for(digest).exists()

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if self.has(digest):
            return digest
        return self.put_stream(io.BytesIO(data))

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
                os.fsync(out.fileno())
            digest = h.hexdigest()
            if self.has(digest):
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
            fsync_dir(dest.parent)
        except OSError as e:
            raise StorageError(f"无法写入文件库 (cannot write blob {digest[:12]}…): {e.strerror}") from e

    def open(self, digest: str) -> BinaryIO:
        p = self.path_for(digest)
        try:
            return p.open("rb")
        except FileNotFoundError as e:
            raise NotFound(f"文件库中没有 {digest[:12]}… (blob missing)") from e

    def read_bytes(self, digest: str) -> bytes:
        with self.open(digest) as fh:
            return fh.read()

    def rehash(self, digest: str) -> str | None:
        """The sha256 of what is stored under ``digest`` now, streamed; None if it is missing."""
        p = self.path_for(digest)
        try:
            return sha256_file(p)
        except FileNotFoundError:
            return None

    def iter_digests(self) -> Iterator[str]:
        if not self.root.exists():
            return
        for a in sorted(self.root.iterdir()):
            for b in sorted(a.iterdir()):
                for f in sorted(b.iterdir()):
                    yield f.name
