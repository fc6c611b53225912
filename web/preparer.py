"""The server keeps the day's views ready (archive.campaign.prepare): a thread of ``outsafe serve``
looks every ``views_prepare_seconds`` whether the day has turned or the catalog has grown since
its last run and, if so, runs ``outsafe views prepare`` for the server's today in a process of its
own, at lower priority (``nice`` 10).

A process, not this thread: preparing a day's views at 10^5 records is minutes of Python work,
which in a thread of the server would take the interpreter from the requests it answers, and its
memory (the largest scope's records) would stay with the server. The child writes only the kept
results (files written whole, then renamed: a child killed at any moment leaves every kept result
whole, or none). Several server processes on one home (``--workers``) each have this thread; the
command's own lock lets one run and the others leave at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from archive.errors import OutsafeError
from archive.facts.lint import last_run
from storage.errors import StorageError

NICE = 10


class Preparer:
    """Runs ``outsafe views prepare`` when the day or the catalog has changed (module notes) — which
    first judges by today's rules the records they have not judged (after an upgrade)."""

    FIRST_LOOK = 5  # seconds after the start, then every ``views_prepare_seconds``

    def __init__(self, web: Any) -> None:
        self.web = web
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._child: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.done: tuple[str, int, str] | None = None  # (day, catalog size, lint_run) of the last run that finished
        self.runs = 0
        self.failed: str | None = None  # the last problem, said once on the server's stderr

    def start(self) -> None:
        seconds = self.web.settings.views_prepare_seconds
        if seconds > 0:
            self._thread = threading.Thread(target=self._loop, args=(seconds,), name="outsafe-views-prepare", daemon=True)
            self._thread.start()

    @property
    def active(self) -> bool:
        """Whether this server runs the preparations (``views_prepare_seconds`` > 0) and its last
        run did not fail."""
        return self._thread is not None and self.failed is None

    def _loop(self, every: float) -> None:
        archive = None
        wait = min(every, self.FIRST_LOOK)  # the first look a few seconds after the start, then every `every`
        try:
            while not self._stop.wait(wait):
                wait = every
                try:
                    if archive is None:
                        archive = self.web.archives.open()
                    self.round(archive)
                except (OutsafeError, StorageError) as e:
                    self._say(e.message)
                    if archive is not None:
                        archive.close()
                        archive = None
        finally:
            if archive is not None:
                archive.close()

    def due(self, archive: Any) -> tuple[str, int, str] | None:
        """(day, catalog size, the lint's last run) to prepare for, or None when the last run
        covered them: a re-lint ended by another process or node (one catalog, several servers)
        changes what the checks say without a new record."""
        now = (archive.clock.today().isoformat(), archive.catalog.max_seq(), last_run(archive.catalog))
        return None if now == self.done else now

    def round(self, archive: Any) -> bool:
        """One look: prepare when due (waiting for the child); whether a run was made."""
        now = self.due(archive)
        if now is None:
            return False
        cmd = [sys.executable, "-m", "cli", "--home", str(Path(archive.home.root)), "views", "prepare", "--as-of", now[0], "--json"]
        with self._lock:
            if self._stop.is_set():
                return False
            self._child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                           cwd=str(Path(__file__).resolve().parents[1]), preexec_fn=lambda: os.nice(NICE))
        out, err = self._child.communicate()
        code = self._child.returncode
        with self._lock:
            self._child = None
        self.runs += 1
        if code != 0:
            if not self._stop.is_set():
                self._say(f"outsafe views prepare 退出码 {code}: {err.decode('utf-8', 'replace').strip()[-500:]}")
            return True
        try:
            result = json.loads(out)
        except ValueError:
            result = {}
        linted = result.get("linted") or {}
        if not result.get("busy"):  # another process was preparing (another worker, cron): look again next round
            # the run's own re-lint moved lint_run on, and its views were prepared after: they are for the new mark
            self.done = (now[0], now[1], last_run(archive.catalog)) if linted.get("checked") else now
        self.failed = None
        return True

    def _say(self, message: str) -> None:
        if message != self.failed:
            print(f"警告/warning: 未能预先计算视图，稍后重试 (the day's views could not be prepared; retrying): {message}",
                  file=sys.stderr, flush=True)
        self.failed = message

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._child is not None and self._child.poll() is None:
                self._child.terminate()  # its kept results so far are whole (written, then renamed)
        if self._thread is not None:
            self._thread.join(timeout=30)
