"""The archive write lock: one writer at a time, the others wait.

:class:`FileLock` (:class:`storage.interfaces.WriteLock` for an archive whose catalog is the SQLite
file) is an exclusive ``flock`` on ``<home>/lock``; a PostgreSQL catalog is locked with an advisory
lock instead (:class:`storage.postgresql.lock.AdvisoryLock`), which every machine writing to the
database shares. :func:`storage.catalog.open_lock` picks the one for a catalog. A second writer process never fails with a lock error:
it tries for a second, then says once on stderr who holds the lock and waits until it is free.
The kernel drops the lock when the holder exits, even on a crash, so a stale lock cannot exist.
Readers do not take this lock (SQLite WAL lets them read while a writer writes).
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.home import FILE_MODE

WAIT_BEFORE_MESSAGE = 1.0


def _default_notify(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@contextmanager
def write_lock(
    path: Path, *, what: str = "", notify: Callable[[str], None] | None = None, label: str = "档案写锁 (the archive lock)"
) -> Iterator[None]:
    """Hold the exclusive lock on ``path``; wait (saying so once, after a second) while another
    process holds it. ``label`` names the lock in that message."""
    notify = notify or _default_notify
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        deadline = time.monotonic() + WAIT_BEFORE_MESSAGE
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    notify(f"等待{label}，持有者 {holder} (waiting for the lock) …")
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    break
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} {what}".strip().encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode(errors="replace").strip()
    except OSError:
        text = ""
    return text or "another process"


@contextmanager
def lock_if_free(path: Path) -> Iterator[bool]:
    """Take the lock only if nobody holds it: yields True while held, False (and waits for
    nothing) when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class FileLock:
    """The archive write lock of an archive on one machine: ``flock`` on a file in its home."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def name(self) -> str:
        return str(self.path)

    def hold(self, what: str = "", notify: Callable[[str], None] | None = None):
        return write_lock(self.path, what=what, notify=notify)

    def hold_if_free(self):
        return lock_if_free(self.path)

    def close(self) -> None:
        pass
