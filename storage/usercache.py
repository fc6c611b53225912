"""Files kept once per user, across processes and archives: what every new process would otherwise
make again — jieba's dictionary in pieces (:mod:`archive.search.words`), the compiled decoders of
the record classes (:mod:`schemas.sealed`).

    folder = cache_dir()                    # $XDG_CACHE_HOME/outsafe or ~/.cache/outsafe (0700)
    data = read("pieces/ab12….pieces")      # None: not there or not readable
    write("pieces/ab12….pieces", data)      # whole then renamed, 0600; False where it cannot be
    keep("decoders/ab12….code", value)     # marshal, with the digest of its bytes
    value = load("decoders/ab12….code")    # None: not there, damaged or cut short

A cache, never a source of truth: a file missing, damaged or of another version is made again by
its reader; where nothing can be written (a read-only home, a full disk), each process makes its
own. The folder is the user's own (0700), as Python's ``__pycache__`` is the installation's: what
is read from it is trusted as much as the account that can write it.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "outsafe"


def read(name: str) -> bytes | None:
    """The file ``name`` (a relative path) of the cache, or None."""
    try:
        return (cache_dir() / name).read_bytes()
    except OSError:
        return None


def write(name: str, data: bytes) -> bool:
    """Keep ``data`` as the file ``name``: written whole in the same folder, then renamed (a reader
    never sees half of it); the folders 0700, the file 0600. False where it cannot be written."""
    root = cache_dir()
    path = root / name
    try:
        root.parent.mkdir(parents=True, exist_ok=True)  # ~/.cache: the user's, as it is
        folder = root
        root.mkdir(mode=0o700, exist_ok=True)  # ours, and each folder in it: the user's only
        for part in path.parent.relative_to(root).parts:
            folder = folder / part
            folder.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".new-")  # 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def load(name: str) -> Any:
    """The value :func:`keep` kept as ``name``, or None: not there, damaged or cut short (each file
    holds the digest of its content: what does not match it is never unmarshalled)."""
    data = read(name)
    if data is None or len(data) <= 32 or hashlib.sha256(data[32:]).digest() != data[:32]:
        return None
    try:
        return marshal.loads(data[32:])
    except (ValueError, EOFError, TypeError):
        return None


def keep(name: str, value: Any) -> bool:
    """Keep ``value`` as ``name`` (marshal, after the digest of its bytes); ValueError for a value
    marshal cannot write, False where it cannot be written."""
    payload = marshal.dumps(value)
    return write(name, hashlib.sha256(payload).digest() + payload)


__all__ = ["cache_dir", "keep", "load", "read", "write"]
