"""Long work started from a page — a submission or evidence package built, an uploaded package
imported — runs in a background thread with its own archive connection; the page shows its
progress (``/jobs/<id>``, polled by static/app.js or refreshed without script) and, at the end,
the result and the file to download.

A job is visible only to the account that started it (another account gets 404, as for a missing
job). Its files live in the archive's ``tmp/web/<job id>/``, claimed (storage.staging) while the
server lives, and are removed ``KEEP_HOURS`` after the job ends, or when the server stops; a
server killed outright leaves them to the next outsafe process, which removes them.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.errors import OutsafeError
from storage import staging
from storage.errors import StorageError
from storage.home import make_private_dir

KEEP_HOURS = 2
STAGE_NAMES = {"write": "写入文件", "hash": "计算摘要", "pdf": "生成 PDF", "convert": "转换 PDF", "verify": "核验", "store": "写入档案",
               "import": "导入", "index": "编入索引", "records": "整理记录", "compile": "汇编证据"}


@dataclass
class Job:
    id: str
    owner: str
    kind: str  # "submission" | "evidence" | "import"
    title: str
    folder: Path
    state: str = "queued"  # queued | running | done | failed
    stage: str = ""
    done: int = 0
    total: int = 0
    messages: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the result, as the command line shows it
    result: dict | None = None
    error: list[str] = field(default_factory=list)
    file: Path | None = None
    download_name: str = ""
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    claim: Any = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "title": self.title, "state": self.state, "stage": self.stage,
                "stage_name": STAGE_NAMES.get(self.stage, self.stage), "done": self.done, "total": self.total, "percent": self.percent,
                "messages": self.messages[-5:], "lines": self.lines, "result": self.result, "error": self.error,
                "download": f"/jobs/{self.id}/download" if self.file is not None and self.state == "done" else None,
                "seconds": round((self.ended or time.monotonic()) - self.started, 1)}


class Jobs:
    def __init__(self, tmp_dir: Path, workers: int = 2) -> None:
        self.root = tmp_dir / "web"
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outsafe-job")

    def start(self, owner: str, kind: str, title: str, work: Callable[[Job], None]) -> Job:
        self.sweep()
        jid = secrets.token_urlsafe(12)
        folder = self.root / jid
        make_private_dir(folder)
        job = Job(jid, owner, kind, title, folder)
        job.claim = staging.claim(folder.parent, folder)
        with self._lock:
            self._jobs[jid] = job
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], None]) -> None:
        job.state = "running"
        try:
            work(job)
            job.state = "done"
        except (OutsafeError, StorageError) as e:
            job.error = [str(x) for x in e.lines()]
            job.state = "failed"
        except Exception as e:  # noqa: BLE001 — a bug: the job says so, the server goes on
            job.error = [f"内部错误，任务未完成 (internal error: {type(e).__name__})"]
            job.state = "failed"
        finally:
            job.ended = time.monotonic()

    def get(self, jid: str, owner: str) -> Job | None:
        job = self._jobs.get(jid)
        return job if job is not None and job.owner == owner else None

    def sweep(self, *, everything: bool = False) -> None:
        """Forget finished jobs older than KEEP_HOURS (or every job, at shutdown) and remove their files."""
        now = time.monotonic()
        with self._lock:
            old = [j for j in self._jobs.values()
                   if everything or (j.finished and j.ended is not None and now - j.ended > KEEP_HOURS * 3600)]
            for j in old:
                self._jobs.pop(j.id, None)
        for j in old:
            if j.claim is not None:
                j.claim.release()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.sweep(everything=True)


def progress_of(job: Job) -> Callable[[str, int, int], None]:
    def update(stage: str, done: int, total: int) -> None:
        job.stage, job.done, job.total = stage, done, total

    return update


def notify_of(job: Job) -> Callable[[str], None]:
    def say(msg: str) -> None:
        job.messages.append(msg)

    return say
