"""Several servers on one archive: each ``outsafe serve`` keeps its own search index (in its own
home's ``index/``) and follows the catalog with it.

The catalog — SQLite for one machine, PostgreSQL for several — is the one truth every server reads
directly: records, sessions, the access log. Only the search index is per node, a cache of the
catalog in sequence order (archive.search.index). What another server or a command line commits
reaches this node's index in two ways:

- before every search the index catches up with what it lacks, if its writer lock is free, at most
  a few hundred records (``SearchIndex.refresh``): a record written through one server is found
  through another at the next search;
- :class:`Follower`, a thread of the server, catches the index up every ``index_follow_seconds``
  when the catalog has grown past it, without limit — after a large import on another node, or
  when a new node starts with no index at all (it builds one, in parallel when the archive is big).

Neither ever blocks a request: the follower runs beside them, and a search on a busy index is
answered as it is, saying how many records are not yet indexed.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from archive.errors import OutsafeError
from archive.search.index import open_index
from storage.errors import StorageError


class Follower:
    """Keeps this server's search index caught up with the catalog (see the module's notes)."""

    def __init__(self, web: Any) -> None:
        self.web = web
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failed: str | None = None  # the last problem, said once on the server's stderr (None: all well)
        self.indexed = 0  # records this follower indexed since the server started

    def start(self) -> None:
        seconds = self.web.settings.index_follow_seconds
        if seconds > 0:
            self._thread = threading.Thread(target=self._loop, args=(seconds,), name="outsafe-index-follow", daemon=True)
            self._thread.start()

    def _loop(self, every: float) -> None:
        archive = index = None
        try:
            while True:
                try:
                    if archive is None:
                        archive = self.web.archives.open()
                        index = open_index(archive)
                        index.notify = lambda _msg: None
                    self.follow(index)
                except (OutsafeError, StorageError) as e:  # a catalog out of reach, an index that cannot be written
                    if e.message != self.failed:
                        print(f"警告/warning: 本机搜索索引未能追上目录，稍后重试 (this server's search index could not follow the "
                              f"catalog; retrying): {e.message}", file=sys.stderr, flush=True)
                    self.failed = e.message
                    if archive is not None:  # reconnect next time
                        _close(archive, index)
                        archive = index = None
                if self._stop.wait(every):
                    return
        finally:
            if archive is not None:
                _close(archive, index)

    def follow(self, index: Any) -> int:
        """One round: catch ``index`` up if the catalog has grown past it; how many were indexed."""
        if not index.behind():
            return 0
        n = index.catch_up()
        self.indexed += n
        self.failed = None
        return n

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def _close(archive: Any, index: Any) -> None:
    try:
        if index is not None:
            index.close()
    finally:
        archive.close()
