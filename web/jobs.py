"""Long work started from a page — a submission or evidence package built, an uploaded package
imported — runs in a background thread with its own archive connection; the page shows its
progress (``/jobs/<id>``, polled by static/app.js or refreshed without script) and, at the end,
the result and the file to download.

A job is visible only to the account that started it (another account gets 404, as for a missing
job). Its files live in the archive's ``tmp/web/<job id>/``, claimed (storage.staging) while the
server lives, and are removed ``KEEP_HOURS`` after the job ends, or when the server stops; a
server killed outright leaves them to the next outsafe process, which removes them.

A server of several processes (``outsafe serve --workers N``) answers a job's page, its progress
and its download from whichever process the browser's request reaches: the process running the
job publishes its state to ``tmp/web/<job id>/job.json`` (replaced whole, at most every
:data:`PUBLISH_EVERY` seconds while it runs, and at its end); the others read it from there.
"""

from __future__ import annotations

import json
import os
import re
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
from web.render import json_default

KEEP_HOURS = 2
PUBLISH_EVERY = 0.3  # seconds between two publications of a running job's progress
STATE_FILE = "job.json"
JOB_ID = re.compile(r"[A-Za-z0-9_-]{16}")  # secrets.token_urlsafe(12)
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
    started: float = field(default_factory=time.monotonic)  # CLOCK_MONOTONIC: one clock for every process of the machine
    ended: float | None = None
    claim: Any = None
    published: float = 0.0  # when its state was last written to STATE_FILE (monotonic)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def expired(self, now: float) -> bool:
        """Ended more than KEEP_HOURS ago: forgotten, its files removed (by the process that ran it)."""
        return self.finished and self.ended is not None and now - self.ended > KEEP_HOURS * 3600

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

    def state_dict(self) -> dict:
        """What another process needs to show and serve this job (STATE_FILE)."""
        return {"id": self.id, "owner": self.owner, "kind": self.kind, "title": self.title, "state": self.state, "stage": self.stage,
                "done": self.done, "total": self.total, "messages": self.messages[-5:], "lines": self.lines, "result": self.result,
                "error": self.error, "file": self.file.name if self.file is not None else None, "download_name": self.download_name,
                "started": self.started, "ended": self.ended}

    def publish(self, *, force: bool = True) -> None:
        """Write the state for the server's other processes (replaced whole: a reader sees the old
        state or the new one). ``force=False``: only if the last publication is PUBLISH_EVERY old."""
        now = time.monotonic()
        if not force and now - self.published < PUBLISH_EVERY:
            return
        self.published = now
        path = self.folder / STATE_FILE
        tmp = self.folder / f".{STATE_FILE}.{os.getpid()}.{threading.get_ident()}"
        try:
            # as the page's JSON twin shows it (dates as ISO text, a path as its file name)
            tmp.write_text(json.dumps(self.state_dict(), ensure_ascii=False, default=json_default), encoding="utf-8")
            os.replace(tmp, path)
        except (OSError, TypeError, ValueError):  # a full disk: the other processes show the last state; this one goes on
            tmp.unlink(missing_ok=True)


def read_job(folder: Path) -> Job | None:
    """A job another process runs, from its STATE_FILE (None: none, or not readable)."""
    try:
        d = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        job = Job(str(d["id"]), str(d["owner"]), str(d["kind"]), str(d["title"]), folder, state=str(d["state"]), stage=str(d["stage"]),
                  done=int(d["done"]), total=int(d["total"]), messages=list(d["messages"]), lines=list(d["lines"]), result=d["result"],
                  error=list(d["error"]), download_name=str(d["download_name"]), started=float(d["started"]),
                  ended=None if d["ended"] is None else float(d["ended"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    name = d.get("file")
    if isinstance(name, str) and name and name == Path(name).name and not name.startswith("."):
        job.file = folder / name  # a file of the job's own folder, nothing else
    return job if job.id == folder.name else None


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
        job.publish()
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], None]) -> None:
        job.state = "running"
        job.publish()
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
            job.publish()

    def get(self, jid: str, owner: str) -> Job | None:
        """The job ``jid`` of ``owner``: this process's own, else one another process of the
        server runs (read from its folder); None for another account's job, as for none."""
        job = self._jobs.get(jid)
        if job is None and JOB_ID.fullmatch(jid):
            job = read_job(self.root / jid)
            if job is not None and job.expired(time.monotonic()):
                job = None  # its own process forgets it now, and removes its files
        return job if job is not None and job.owner == owner else None

    def sweep(self, *, everything: bool = False) -> None:
        """Forget finished jobs older than KEEP_HOURS (or every job, at shutdown) and remove their files."""
        now = time.monotonic()
        with self._lock:
            old = [j for j in self._jobs.values() if everything or j.expired(now)]
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
        job.publish(force=False)

    return update


def notify_of(job: Job) -> Callable[[str], None]:
    def say(msg: str) -> None:
        job.messages.append(msg)
        job.publish(force=False)

    return say
