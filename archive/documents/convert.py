"""PDF/A-2b from .docx through a pool of kept-running LibreOffice processes, checked before use.

    with Converter(settings) as conv:
        results = conv.convert_many([(name, docx_bytes), ...], progress=cb, expect_text={name: [...]})
    # one PdfResult(name, pdf, error, seconds) per input, in input order: pdf bytes, or the error

    docx, pdf = convert_one_fitted(docx_bytes, settings, expect_text=[...])  # one document (archive.documents.fit)

How it works, and why (measured on LibreOffice 7.4, issue 3):

* **A pool, never one soffice per document.** A soffice process per document pays a start
  (0.2–1 s of CPU, see below), loads Writer afresh and exits each time; a running one converts a
  five-page agreement in ~0.15 s of CPU. One worker per core
  (``settings.pdf_workers``, 0 = ``os.cpu_count()``), documents handed to whichever is free. All
  start together; ``open()`` returns as soon as the first is connected (a missing LibreOffice
  fails there) and the others join the batch as they come up.
* **Starting fast.** Each profile also records that it has met the installed version; otherwise
  headless LibreOffice (which never records it) runs its graphics self-test at every start,
  ~0.7 s of CPU, making a start 1 s instead of 0.2–0.3 s.
* **A worker is two processes the converter owns**: ``soffice.bin --headless`` with its own
  profile (two soffice sharing one profile fail silently: exit 1, no PDF) listening on a private
  UNO pipe, and ``worker/uno_worker.py`` under Debian's ``/usr/bin/python3`` (the only interpreter
  python3-uno is built for), which loads each .docx over UNO and stores it with
  ``writer_pdf_Export``/``SelectPdfVersion=2`` (PDF/A-2b). We start soffice.bin directly, not the
  ``soffice`` shell wrapper, so the pid we hold is the office itself; its first start on a new
  profile exits 81 ("restart me"), which we do, as the wrapper would.
* **Fonts.** Templates name 仿宋/宋体/楷体/方正小标宋/黑体 (and the _GB2312 variants), which no
  free system has; a fontconfig alias does not reach LibreOffice's choice, which then falls back to
  Noto Sans CJK for everything. LibreOffice's own replacement table (VCL font substitution,
  ``Always`` = on) in every worker profile does: :data:`FONT_REPLACEMENTS` (仿宋 → FandolFang).
  A fontconfig file (scripts/fonts/) only steers the glyph fallback for rare characters.
* **Recycling.** soffice grows from ~93 MB to ~500 MB over 400 documents and slows by a third, so
  a worker is restarted every ``settings.pdf_recycle_every`` documents, and after a crash (the
  document in flight is retried once on the fresh worker).
* **Hangs.** A conversion that takes longer than ``settings.pdf_timeout_seconds`` is killed
  (both processes, SIGKILL to their process groups); that document is reported as failed and the
  rest of the batch goes on.
* **No orphans.** ``close()`` (the context manager, also on exceptions and KeyboardInterrupt)
  ends every process — LibreOffice's own terminate when idle, SIGKILL when busy or stuck, then
  removing the UNO pipes a killed soffice leaves in /tmp — and removes the temporary folder
  holding profiles and job files (on tmpfs when available); soffice's own temp files go there
  too (``TMPDIR``). If Python
  itself is killed, ``setpriv --pdeathsig`` makes the kernel end the workers. Processes live in
  their own sessions, so a Ctrl-C reaches only us and we clean up in order.
* **Every PDF is checked** (:func:`check_pdf`, on a thread of its own while the worker's soffice
  already converts the next document): every font embedded (walking font dictionaries, Type0
  descendants included), PDF/A-2b in the XMP metadata, and the text layer holds each expected
  value; and whether its last page holds a signature block and no text
  (``PdfResult.ends_alone``, archive/documents/fit.py lays such a document out again). Before converting, every character of the document is checked against the
  fonts installed (fontconfig): LibreOffice prints a character no font has as an empty box, and
  its text layer may still claim the right character, so the text check alone cannot see it. A
  failed check makes that document an error, never a quietly bad PDF.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import queue
import re
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from archive.documents.pdfcheck import check_pdf, docx_text, uncovered_chars
from archive.errors import ConversionError
from archive.settings import Settings
from storage import staging
from storage.home import make_private_dir

Progress = Callable[[str, int, int], None]  # (stage, done, total), as archive.app.Progress

#: The progress stage name passed to the callback.
STAGE = "pdf"

#: LibreOffice font-replacement table written into every worker profile: official face → free
#: stand-in (doc_templates/FONTS.md has the table and the reasons). 仿宋 goes to FandolFang, a real
#: 仿宋 face (scripts/setup.sh takes it out of Debian's texlive-lang-chinese); LibreOffice knows that
#: font by the name "FandolFang R" (its fontconfig full name: "FandolFang" alone is not matched here).
#: 小标宋 goes to Noto Serif CJK SC, and the templates set 小标宋 runs bold, so titles print in its
#: Bold weight; 宋体 to Noto Serif CJK SC; 黑体 to Noto Sans CJK SC; 楷体 to AR PL UKai (a real 楷
#: face). Characters FandolFang lacks (it covers about GB 2312) fall back to Noto Serif CJK SC
#: (scripts/fonts/65-outsafe-fangsong.conf), never to a box.
FANGSONG = "FandolFang R"
FONT_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    ("仿宋", FANGSONG),
    ("仿宋_GB2312", FANGSONG),
    ("FangSong", FANGSONG),
    ("FangSong_GB2312", FANGSONG),
    ("华文仿宋", FANGSONG),
    ("宋体", "Noto Serif CJK SC"),
    ("SimSun", "Noto Serif CJK SC"),
    ("新宋体", "Noto Serif CJK SC"),
    ("NSimSun", "Noto Serif CJK SC"),
    ("方正小标宋简体", "Noto Serif CJK SC"),
    ("方正小标宋_GBK", "Noto Serif CJK SC"),
    ("小标宋", "Noto Serif CJK SC"),
    ("华文中宋", "Noto Serif CJK SC"),
    ("楷体", "AR PL UKai CN"),
    ("楷体_GB2312", "AR PL UKai CN"),
    ("KaiTi", "AR PL UKai CN"),
    ("KaiTi_GB2312", "AR PL UKai CN"),
    ("黑体", "Noto Sans CJK SC"),
    ("SimHei", "Noto Sans CJK SC"),
    ("微软雅黑", "Noto Sans CJK SC"),
    ("Microsoft YaHei", "Noto Sans CJK SC"),
    ("等线", "Noto Sans CJK SC"),
    ("DengXian", "Noto Sans CJK SC"),
)

#: The interpreter that has python3-uno (another system may name its own in OUTSAFE_UNO_PYTHON).
UNO_PYTHON = "/usr/bin/python3"
WORKER_SCRIPT = Path(__file__).resolve().parent / "worker" / "uno_worker.py"

log = logging.getLogger(__name__)
STARTUP_TIMEOUT = 60.0  # seconds for a worker to start and connect
_EXIT_RESTART = 81  # soffice.bin asks to be started again (first start of a new profile)
_POLL = 0.2  # seconds between liveness checks while waiting
PIPELINE = 2  # documents queued at a UNO worker: soffice never waits for us between documents


@dataclass(frozen=True)
class PdfResult:
    """One document of a batch: the PDF, or why there is none."""

    name: str
    pdf: bytes | None
    error: str | None
    seconds: float
    ends_alone: bool = False  # its last page holds a signature block and no text (archive.documents.fit)

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> bytes:
        """The PDF bytes, or :class:`ConversionError` naming the document."""
        if self.error is not None or self.pdf is None:
            raise ConversionError(f"{self.name}: {self.error}", hint=_hint(self.error or ""))
        return self.pdf


def _hint(error: str) -> str:
    if "timed out" in error:
        return "文档过大或 LibreOffice 过慢时，调大 outsafe.toml 中的 pdf_timeout_seconds (raise pdf_timeout_seconds)"
    if "boxes" in error or "text layer lacks" in error or "not embedded" in error:
        return ("检查模板所用字体与数据中的生僻字；运行 scripts/setup.sh 安装字体 "
                "(check the template's fonts and rare characters in the data; install the fonts with scripts/setup.sh)")
    return "运行 scripts/setup.sh 安装 LibreOffice、python3-uno 与字体 (install them with scripts/setup.sh)"


# --- public entry points ----------------------------------------------------------------------


class Converter:
    """A pool of kept-running LibreOffice workers; use as a context manager.

    ``workers`` overrides ``settings.pdf_workers`` (``fit.convert_one_fitted`` uses 1). ``stats`` counts
    worker starts, recycles, crashes and timeouts; ``root`` is the temporary folder holding the
    profiles (every process the pool starts has it on its command line).
    """

    def __init__(self, settings: Settings | None = None, *, workers: int | None = None, tmp_dir: Path | None = None) -> None:
        self.settings = settings or Settings()
        # an archive's tmp/: the pool's folder goes there, claimed (storage.staging); absolute, as soffice
        # takes its profile as a file URI (an archive opened by a relative path once kept it from starting)
        self.tmp_dir = Path(tmp_dir).absolute() if tmp_dir is not None else None
        self._claim: staging.Claim | None = None
        n = workers if workers is not None else self.settings.pdf_workers
        self.n_workers = max(1, n or os.cpu_count() or 1)
        self.recycle_every = int(self.settings.pdf_recycle_every)
        self.timeout = float(self.settings.pdf_timeout_seconds)
        self.root: Path | None = None
        self.stats = {"starts": 0, "recycles": 0, "crashes": 0, "timeouts": 0, "documents": 0}
        self._stats_lock = threading.Lock()
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._workers: list[_Worker] = []
        self._threads: list[threading.Thread] = []
        self._closing = False
        self._open = False
        self._token = f"outsafe_{os.getpid()}_{secrets.token_hex(4)}"
        self._finalizer: weakref.finalize | None = None
        # PDF checks run here, off the worker threads: a worker hands its soffice the next
        # document while the last one is being checked
        self._checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outsafe-pdf-check")

    # -- lifecycle --

    def __enter__(self) -> "Converter":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Start every worker at once and return as soon as one is connected; the others join
        the batch as they come up. A missing or broken LibreOffice is a ConversionError here."""
        if self._open:
            return
        soffice = _find_soffice()
        python = os.environ.get("OUTSAFE_UNO_PYTHON", UNO_PYTHON)
        if not Path(python).exists():
            raise ConversionError(
                f"找不到带 python3-uno 的解释器 {python} (no Python with python3-uno at {python})",
                hint="运行 scripts/setup.sh 安装 python3-uno (run scripts/setup.sh)",
            )
        if self.tmp_dir is not None:
            # the documents in flight hold personal data: inside the archive, removed with the
            # pool, or by the next outsafe process on the archive if this one is killed
            make_private_dir(self.tmp_dir)
            self.root = Path(self.tmp_dir) / f"outsafe-pdf-{secrets.token_hex(6)}"
            self._claim = staging.claim(self.tmp_dir, self.root)
            self.root.mkdir(mode=0o700)
        else:
            self.root = Path(tempfile.mkdtemp(prefix="outsafe-pdf-", dir=_temp_base()))
        self._workers = [_Worker(self, i, soffice, python) for i in range(self.n_workers)]
        self._finalizer = weakref.finalize(self, _cleanup, list(self._workers), self.root)
        self._open = True
        events = []
        try:
            for w in self._workers:
                ev = threading.Event()
                t = threading.Thread(target=w.run, args=(ev,), name=f"outsafe-pdf-{w.index}", daemon=True)
                self._threads.append(t)
                events.append(ev)
                t.start()
            while True:
                if any(ev.is_set() and not w.start_error for ev, w in zip(events, self._workers)):
                    return
                if all(ev.is_set() for ev in events):
                    break
                time.sleep(0.02)
        except BaseException:
            self.close()
            raise
        error = next(w.start_error for w in self._workers if w.start_error)
        self.close()
        raise ConversionError(
            f"LibreOffice 无法启动 (LibreOffice could not start): {error}",
            hint="运行 scripts/setup.sh 安装 libreoffice-writer-nogui 与 python3-uno (run scripts/setup.sh)",
        )

    def close(self) -> None:
        """Stop every worker (LibreOffice's own terminate when idle, SIGKILL when busy or stuck)
        and remove the temporary folder. Safe to call twice."""
        if not self._open:
            return
        self._closing = True
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
        for _ in self._threads:
            self._queue.put(None)
        stoppers = [threading.Thread(target=w.stop, args=(not w._busy,), daemon=True) for w in self._workers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(timeout=15)
        for t in self._threads:
            t.join(timeout=15)
        self._checker.shutdown(wait=True, cancel_futures=True)
        if self._finalizer is not None:
            self._finalizer()  # kills anything left, removes root
        if self._claim is not None:
            self._claim.release()
            self._claim = None
        self._open = False

    # -- work --

    def convert_many(
        self,
        docs: Iterable[tuple[str, bytes]],
        progress: Progress | None = None,
        expect_text: Mapping[str, Sequence[str]] | None = None,
        read_end: Collection[str] = (),
    ) -> list[PdfResult]:
        """Convert a batch; one :class:`PdfResult` per input, in input order. For the documents
        named in ``read_end`` the result also says whether the last page holds a signature block
        alone (``ends_alone``; archive/documents/fit.py asks it of those it could lay out again).

        A document that fails (LibreOffice error, crash twice, timeout, failed check) gets its
        error in its result; the rest of the batch goes on. ``progress(STAGE, done, total)`` is
        called in the caller's thread, first with ``done == 0``.
        """
        if not self._open or self._closing:
            raise ConversionError("PDF 转换器未启动或已关闭 (converter is not open; use `with Converter(...)`)")
        docs = list(docs)
        expect_text = expect_text or {}
        for name, data in docs:
            if not isinstance(data, bytes | bytearray | memoryview):
                raise ConversionError(f"{name}: 需要 .docx 字节 (expected .docx bytes, got {type(data).__name__})")
        batch = _Batch()
        for i, (name, data) in enumerate(docs):
            self._queue.put(_Job(i, str(name), bytes(data), tuple(expect_text.get(name, ())), batch, name in read_end))
        total = len(docs)
        results: list[PdfResult | None] = [None] * total
        if progress:
            progress(STAGE, 0, total)
        done = 0
        try:
            while done < total:
                try:
                    index, outcome = batch.results.get(timeout=1.0)
                except queue.Empty:
                    if not any(t.is_alive() for t in self._threads):
                        raise ConversionError("所有 PDF 转换进程均已停止 (every PDF worker has stopped)") from None
                    continue
                if isinstance(outcome, BaseException):
                    raise outcome  # a bug in a worker thread stays loud
                results[index] = outcome
                done += 1
                if progress:
                    progress(STAGE, done, total)
        except BaseException:
            batch.cancelled = True
            raise
        return [r for r in results if r is not None]

    def soffice_pids(self) -> list[int | None]:
        """The pid of each worker's soffice once connected (None while starting or down); for
        diagnostics and tests."""
        return [w.soffice_pid for w in self._workers]

    def _check(self, job: _Job, pdf: bytes, t0: float) -> None:
        if job.batch.cancelled:
            return
        try:
            problems = check_pdf(pdf, job.expect)
            alone = False
            if job.read_end and not problems:  # read here, in the worker's thread, while LibreOffice converts the next document
                alone = _ends_alone(job.name, pdf)
        except BaseException as e:  # a bug: hand it to the caller's thread, loud (never a batch waiting for a result)
            job.batch.results.put((job.index, e))
            return
        seconds = round(time.monotonic() - t0, 3)
        if problems:
            result = PdfResult(job.name, None, "PDF 检查未通过 (PDF check failed): " + "; ".join(problems), seconds)
        else:
            self._count("documents")
            result = PdfResult(job.name, pdf, None, seconds, ends_alone=alone)
        job.batch.results.put((job.index, result))

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1


def _ends_alone(name: str, pdf: bytes) -> bool:
    """:func:`archive.documents.layout.ends_alone`, advisory: what goes wrong reading the end (a
    glyph pypdf cannot place) is logged and the document keeps its layout."""
    from archive.documents.layout import ends_alone  # (~40 ms to import: when asked, not with every command)

    try:
        return ends_alone(pdf)
    except Exception as e:  # noqa: BLE001 — a layout not mended, never a batch lost
        log.warning("%s: 末页无法读取，版式不再调整 (last page unreadable, layout left as it is): %s: %s", name, type(e).__name__, e)
        return False


def _precheck(job: _Job) -> str | None:
    """Why ``job`` cannot become a good PDF before LibreOffice even sees it (None: go ahead)."""
    try:
        boxes = uncovered_chars(docx_text(job.docx) + "".join(job.expect))
    except ValueError as e:
        return str(e)
    if boxes:
        shown = "、".join(f"“{c}”(U+{ord(c):04X})" for c in boxes[:10])
        return (f"字符 {shown} 在已安装字体中没有字形，PDF 中会显示为方框 "
                "(no installed font has these characters; they would print as boxes)")
    return None


# --- internals --------------------------------------------------------------------------------


@dataclass
class _Job:
    index: int
    name: str
    docx: bytes
    expect: tuple[str, ...]
    batch: "_Batch"
    read_end: bool = False  # find whether its last page holds a signature block alone (PdfResult.ends_alone)


@dataclass
class _Task:
    """A job in a worker's hands: when it was taken, its tries, its files while in LibreOffice."""

    job: _Job
    t0: float
    attempts: int = 0
    answered: bool = False  # a result was delivered, or the PDF went to the checker (which delivers)
    seq: int = 0
    src: Path | None = None
    dst: Path | None = None


class _Batch:
    def __init__(self) -> None:
        self.results: queue.Queue[tuple[int, PdfResult | BaseException]] = queue.Queue()
        self.cancelled = False


class _Crash(Exception):
    """soffice or the UNO worker died (or the bridge broke) during a conversion."""


class _Timeout(Exception):
    pass


class _TaskError(Exception):
    """This document cannot go to LibreOffice (its message is the document's error); the worker is fine."""


class _Closing(Exception):
    """The converter is closing; the worker thread stops."""


class _Worker:
    """One pool slot: a soffice.bin plus its UNO worker, restarted as needed, driven by one thread.

    Processes are spawned only from this slot's own thread, which lives as long as the converter:
    ``--pdeathsig`` is tied to the spawning thread.
    """

    def __init__(self, conv: Converter, index: int, soffice_bin: Path, python: str) -> None:
        assert conv.root is not None
        self.conv = conv
        self.index = index
        self.soffice_bin = soffice_bin
        self.python = python
        self.dir = conv.root / f"w{index}"
        self.profile = self.dir / "profile"
        self.jobs = self.dir / "jobs"
        self.tmp = self.dir / "tmp"
        for d in (self.jobs, self.tmp):
            d.mkdir(parents=True, exist_ok=True)
        self.soffice: subprocess.Popen | None = None
        self.helper: subprocess.Popen | None = None
        self._lines: _Lines | None = None
        self.generation = 0
        self.sent = 0  # documents handed to the current soffice
        self.start_error: str | None = None
        self._seq = 0
        self._busy = False  # starting, or a conversion is in flight
        self._connected = False  # the current soffice is up and its UNO worker connected
        # soffice's OSL pipes in /tmp (its single-instance pipe, named after the profile, and our
        # UNO pipe): LibreOffice removes them when it terminates, a killed one leaves them behind
        self._sockets: set[Path] = set()
        self._lock = threading.Lock()
        self._pending: deque[_Task] = deque()  # taken (or given back after a crash), not yet sent
        self._inflight: deque[_Task] = deque()  # sent to the UNO worker, in order
        self._hand: _Task | None = None  # the document being looked at (answered if the loop fails)

    @property
    def soffice_pid(self) -> int | None:
        """The running soffice's pid once it is connected; None while starting or down."""
        p = self.soffice
        return p.pid if self._connected and p is not None and p.returncode is None else None

    # -- thread body --

    def run(self, ready: threading.Event) -> None:
        self._busy = True
        try:
            self.start()
        except _Closing:
            return
        except Exception as e:  # reported by Converter.open() as a ConversionError
            self.start_error = str(e) if isinstance(e, _Crash) else f"{type(e).__name__}: {e}"
            self.kill()
            return
        finally:
            self._busy = False
            ready.set()
        while True:
            try:
                self._loop()
            except _Closing:
                return
            except Exception as e:  # a bug or an unforeseen OS error: answer every document in hand, go on
                log.exception("PDF worker %s: unexpected error", self.index)
                tasks = {id(t): t for t in (self._hand, *self._inflight, *self._pending) if t is not None}
                self._hand = None
                self._inflight.clear()
                self._pending.clear()
                self.kill()
                for t in tasks.values():
                    self._discard(t)
                    if not t.answered:
                        self._deliver(t, f"转换进程内部错误 (internal error in the PDF worker: {type(e).__name__}: {e})")

    def _loop(self) -> None:
        """Keep up to PIPELINE documents queued at the UNO worker, so that soffice goes straight
        from one document to the next, and read the answers in order."""
        conv = self.conv
        pending = self._pending  # taken (or given back after a crash), not yet sent
        inflight = self._inflight  # sent to the UNO worker, in order
        started = 0.0  # when the head of `inflight` began converting
        while True:
            while len(inflight) < PIPELINE:  # top up the UNO worker's queue
                task = pending.popleft() if pending else self._take(block=not inflight)
                if task is None:
                    break
                self._hand = task
                try:
                    action = self._top_up(task, inflight, pending)
                except _Closing:
                    raise
                except Exception as e:  # a bug or an unforeseen OS error with this document: its error only
                    log.exception("PDF worker %s: unexpected error with %s", self.index, task.job.name)
                    if not task.answered and all(t is not task for t in (*inflight, *pending)):
                        self._discard(task)
                        self._deliver(task, f"转换进程内部错误 (internal error in the PDF worker: {type(e).__name__}: {e})")
                    continue
                if action == "wait":
                    break
                if action == "sent" and len(inflight) == 1:
                    started = time.monotonic()
            if not inflight:
                continue
            head = inflight[0]
            try:
                msg = self._receive(head, started + conv.timeout)
            except _Timeout:
                self.kill()
                conv._count("timeouts")
                inflight.popleft()
                self._discard(head)
                self._deliver(head, f"转换超时：{conv.timeout:g} 秒内未完成，已终止该 LibreOffice 进程 "
                                    f"(conversion timed out after {conv.timeout:g}s; LibreOffice was killed)")
                for t in reversed(inflight):  # queued behind it, never started: try again
                    self._discard(t)
                    pending.appendleft(t)
                inflight.clear()
                continue
            except _Crash as e:
                tasks = list(inflight)
                inflight.clear()
                for t in reversed(tasks[1:]):  # queued behind the head, never started
                    self._discard(t)
                    pending.appendleft(t)
                self._crashed(head, str(e), pending)
                continue
            inflight.popleft()
            started = time.monotonic()
            if not msg.get("ok"):
                self._discard(head)
                self._deliver(head, f"LibreOffice 无法转换该文档 (LibreOffice could not convert it): {msg.get('error', '')}")
                continue
            try:
                pdf = head.dst.read_bytes()
            except FileNotFoundError:
                pdf = None
            except OSError as e:
                self._discard(head)
                self._deliver(head, f"无法读取生成的 PDF (cannot read the PDF: {e})")
                continue
            self._discard(head)
            if pdf is None:
                self._deliver(head, "LibreOffice 未生成 PDF (LibreOffice wrote no PDF)")
                continue
            # checked on the converter's checker thread; this soffice is already on the next one
            head.answered = True
            conv._checker.submit(conv._check, head.job, pdf, head.t0)

    def _top_up(self, task: _Task, inflight: deque[_Task], pending: deque[_Task]) -> str:
        """Hand ``task`` to the UNO worker: "sent"; answered or put back for a retry: "next";
        put back until the documents in flight are done: "wait"."""
        conv = self.conv
        if task.job.batch.cancelled:
            return "next"
        error = _precheck(task.job)
        if error:
            self._deliver(task, error)
            return "next"
        if not self.alive() or 0 < conv.recycle_every <= self.sent:
            if inflight:  # let those finish on this soffice first
                pending.appendleft(task)
                return "wait"
            try:
                self._restart()
            except _Crash as e:
                self._crashed(task, str(e), pending)
                return "next"
        try:
            self._send(task)
        except _TaskError as e:
            self._discard(task)
            self._deliver(task, str(e))
            return "next"
        except _Crash as e:
            if inflight:  # died while converting the head: not this document's doing
                self._discard(task)
                pending.appendleft(task)
                return "wait"
            self._crashed(task, str(e), pending)
            return "next"
        inflight.append(task)
        return "sent"

    def _take(self, block: bool) -> _Task | None:
        """The next document from the shared queue (None if none is waiting and not ``block``)."""
        if block:
            self._busy = False  # idle: close() may stop this worker gracefully
        try:
            job = self.conv._queue.get(block=block)
        except queue.Empty:
            return None
        if job is None or self.conv._closing:
            raise _Closing()
        self._busy = True
        return _Task(job, time.monotonic())

    def _deliver(self, task: _Task, error: str) -> None:
        task.answered = True
        seconds = round(time.monotonic() - task.t0, 3)
        task.job.batch.results.put((task.job.index, PdfResult(task.job.name, None, error, seconds)))

    def _crashed(self, task: _Task, detail: str, pending: deque[_Task]) -> None:
        """soffice died (or would not start) with ``task`` in hand: retry it once on a fresh one."""
        self.kill()
        self.conv._count("crashes")
        self._discard(task)
        task.attempts += 1
        if task.attempts >= 2:
            self._deliver(task, f"LibreOffice 两次在转换中崩溃 (LibreOffice crashed twice on this document): {detail}")
        else:
            pending.appendleft(task)

    def _restart(self) -> None:
        if self.soffice is not None or self.helper is not None:
            if self.alive():  # due for recycling
                self.stop(graceful=True)
                self.conv._count("recycles")
            else:  # died while idle (killed, OOM …)
                self.kill()
                self.conv._count("crashes")
        self.start()

    # -- processes --

    def alive(self) -> bool:
        return (
            self.soffice is not None
            and self.helper is not None
            and self.soffice.poll() is None
            and self.helper.poll() is None
        )

    def start(self) -> None:
        """Start soffice + UNO worker and wait until connected. Raises _Crash on failure."""
        with self._lock:
            if self.conv._closing:
                raise _Closing()
            self.generation += 1
            pipe = f"{self.conv._token}_{self.index}_{self.generation}"
            self._sockets.add(Path(f"/tmp/OSL_PIPE_{os.getuid()}_{pipe}"))
            _seed_profile(self.profile, installed_version(self.soffice_bin))
            self.soffice = soffice = self._spawn_soffice(pipe)
            with self._log("uno_worker.log") as log:
                self.helper = helper = subprocess.Popen(
                    [
                        *_pdeathsig(),
                        self.python,
                        "-I",
                        str(WORKER_SCRIPT),
                        "--pipe",
                        pipe,
                        "--connect-timeout",
                        str(STARTUP_TIMEOUT),
                        "--workdir",
                        str(self.dir),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    cwd=self.dir,
                    env=_clean_env(self.tmp),
                    start_new_session=True,
                    bufsize=0,
                )
            self._lines = lines = _Lines(helper.stdout)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        restarts = 0
        while True:
            try:
                line = lines.read(_POLL)
            except EOFError:
                self._check_closing()
                raise _Crash(f"UNO 工作进程退出 (UNO worker exited, code {helper.wait()}); {self._log_tail()}") from None
            if line is not None:
                msg = json.loads(line)
                if msg.get("ready"):
                    self.sent = 0
                    self._connected = True
                    with self._lock:
                        self._sockets.update(_unix_sockets(soffice.pid))
                    self.conv._count("starts")
                    return
                raise _Crash(f"{msg.get('error')}; {self._log_tail()}")
            self._check_closing()
            rc = soffice.poll()
            if rc == _EXIT_RESTART and restarts < 3:  # first start of a fresh profile
                restarts += 1
                with self._lock:
                    if self.conv._closing:
                        raise _Closing()
                    self.soffice = soffice = self._spawn_soffice(pipe)
            elif rc is not None:
                raise _Crash(f"soffice 退出 (soffice exited with code {rc}); {self._log_tail()}")
            if time.monotonic() > deadline:
                raise _Crash(f"{STARTUP_TIMEOUT:g} 秒内未能连接 (no UNO connection within {STARTUP_TIMEOUT:g}s)")

    def _spawn_soffice(self, pipe: str) -> subprocess.Popen:
        (self.profile / ".lock").unlink(missing_ok=True)
        with self._log("soffice.log") as log:
            return subprocess.Popen(
                [
                    *_pdeathsig(),
                    str(self.soffice_bin),
                    "--headless",
                    "--invisible",
                    "--nologo",
                    "--norestore",
                    "--nodefault",
                    "--nolockcheck",
                    f"-env:UserInstallation={self.profile.as_uri()}",
                    f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                env=_clean_env(self.tmp),
                start_new_session=True,
            )

    def _send(self, task: _Task) -> None:
        helper = self.helper
        if helper is None or helper.stdin is None:
            self._check_closing()
            raise _Crash("worker not running")
        self._seq += 1
        task.seq = self._seq
        task.src = self.jobs / f"{task.seq}.docx"
        task.dst = self.jobs / f"{task.seq}.pdf"
        try:
            task.src.write_bytes(task.job.docx)
        except OSError as e:
            raise _TaskError(f"无法写入临时文件 (cannot write the temporary .docx: {e})") from e
        try:
            helper.stdin.write((json.dumps({"id": task.seq, "in": str(task.src), "out": str(task.dst)}) + "\n").encode())
        except (BrokenPipeError, OSError, ValueError) as e:
            self._check_closing()
            raise _Crash(f"UNO 工作进程不可用 (UNO worker gone: {e})") from e
        self.sent += 1

    def _receive(self, task: _Task, deadline: float) -> dict:
        """The UNO worker's answer for ``task``; _Timeout at ``deadline``, _Crash if soffice or
        the UNO worker dies."""
        soffice, lines = self.soffice, self._lines
        if soffice is None or lines is None:
            self._check_closing()
            raise _Crash("worker not running")
        while True:
            try:
                line = lines.read(min(_POLL, max(0.0, deadline - time.monotonic())))
            except EOFError:
                self._check_closing()
                raise _Crash(f"UNO 工作进程退出 (UNO worker exited); {self._log_tail()}") from None
            if line is not None:
                break
            self._check_closing()
            rc = soffice.poll()
            if rc is not None:
                raise _Crash(f"soffice 在转换中退出 (soffice died during the conversion, code {rc})")
            if time.monotonic() >= deadline:
                raise _Timeout()
        try:
            msg = json.loads(line)
        except ValueError:
            raise _Crash(f"UNO 工作进程输出无法解析 (unreadable line from the UNO worker: {line[:200]!r})") from None
        if not isinstance(msg, dict) or msg.get("id") != task.seq:
            msg = msg if isinstance(msg, dict) else {}
            raise _Crash(f"UNO 工作进程答非所问 (answer for job {msg.get('id')}, expected {task.seq})")
        if not msg.get("ok"):
            if msg.get("fatal"):
                raise _Crash(msg.get("error", ""))
            try:  # an error because soffice is dying is a crash, not this document's fault
                soffice.wait(timeout=0.3)
                raise _Crash(f"soffice 在转换中退出 (soffice died during the conversion): {msg.get('error', '')}")
            except subprocess.TimeoutExpired:
                pass
        return msg

    def _discard(self, task: _Task) -> None:
        for p in (task.src, task.dst):
            if p is not None:
                p.unlink(missing_ok=True)

    def stop(self, graceful: bool = True) -> None:
        """End both processes. Gracefully (LibreOffice's own terminate, which also removes its
        sockets in /tmp) when idle; SIGKILL to both process groups otherwise or if that stalls."""
        with self._lock:
            helper, soffice = self.helper, self.soffice
            self.helper = self.soffice = self._lines = None
            self._connected = False
            if soffice is not None and soffice.poll() is None:
                self._sockets.update(_unix_sockets(soffice.pid))
        if graceful and helper is not None and soffice is not None and soffice.poll() is None:
            try:
                helper.stdin.write(b'{"cmd": "quit"}\n')
                helper.stdin.close()
                soffice.wait(timeout=5)
                helper.wait(timeout=2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        for p in (helper, soffice):
            _kill(p)
        with self._lock:
            sockets = sorted(self._sockets)
        for path in sockets:  # no-ops after a graceful stop
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass

    def kill(self) -> None:
        self.stop(graceful=False)

    def _check_closing(self) -> None:
        if self.conv._closing:
            raise _Closing()

    def _log(self, name: str):
        return open(self.dir / name, "ab")

    def _log_tail(self) -> str:
        """The last line each log holds, for error messages."""
        tails = []
        for name in ("soffice.log", "uno_worker.log"):
            try:
                data = (self.dir / name).read_bytes()[-2000:].decode("utf-8", "replace")
            except OSError:
                continue
            lines = [line.strip() for line in data.splitlines() if line.strip()]
            if lines:
                tails.append(f"{name}: {lines[-1][:300]}")
        return " | ".join(tails) or "no log output"


class _Lines:
    """Line reader over a pipe with a timeout (select + os.read)."""

    def __init__(self, stream) -> None:
        self.fd = stream.fileno()
        self.buf = b""

    def read(self, timeout: float) -> bytes | None:
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                ready, _, _ = select.select([self.fd], [], [], left)
            except (OSError, ValueError):  # fd closed under us by kill()
                raise EOFError from None
            if not ready:
                return None
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                raise EOFError from None
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line


def _kill(p: subprocess.Popen | None) -> None:
    if p is None:
        return
    if p.returncode is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # session leader: pgid == pid
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.kill()
        except ProcessLookupError:
            pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    for stream in (p.stdin, p.stdout, p.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


def _unix_sockets(pid: int) -> list[Path]:
    """The named Unix sockets process ``pid`` holds in /tmp (LibreOffice's OSL pipes)."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        table = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return []
    paths = []
    for line in table:
        cols = line.split()
        if len(cols) >= 8 and cols[6] in inodes and cols[7].startswith("/tmp/OSL_PIPE_"):
            paths.append(Path(cols[7]))
    return sorted(set(paths))


def _cleanup(workers: list[_Worker], root: Path) -> None:
    for w in workers:
        w.kill()
    shutil.rmtree(root, ignore_errors=True)


def _find_soffice() -> Path:
    candidates = []
    env = os.environ.get("OUTSAFE_SOFFICE")
    if env:
        candidates.append(Path(env))
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        real = Path(found).resolve()
        candidates.append(real if real.name.endswith(".bin") else real.with_name("soffice.bin"))
    candidates.append(Path("/usr/lib/libreoffice/program/soffice.bin"))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise ConversionError(
        "找不到 LibreOffice (soffice.bin not found)",
        hint="运行 scripts/setup.sh 安装 libreoffice-writer-nogui (run scripts/setup.sh)",
    )


def _temp_base() -> str | None:
    """Where the pool's folder goes: the system temp dir (TMPDIR), except that on Linux without an
    explicit TMPDIR we prefer /dev/shm (tmpfs): a profile is a few hundred small files, and on a
    disk mounted with ``discard`` deleting them takes a third of a second per pool."""
    if "TMPDIR" not in os.environ and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        return "/dev/shm"
    return None


@functools.cache
def _pdeathsig() -> tuple[str, ...]:
    setpriv = shutil.which("setpriv")
    return (setpriv, "--pdeathsig", "KILL", "--") if setpriv else ()


def _clean_env(tmp: Path) -> dict[str, str]:
    # nor the signing key's passphrase (an `outsafe serve --workers N` passes it to its processes
    # through the environment): LibreOffice and its UNO helper have no use for it
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k not in ("VIRTUAL_ENV", "UNO_PATH", "OUTSAFE_PASSPHRASE")}
    env["TMPDIR"] = str(tmp)
    env.setdefault("LANG", "C.UTF-8")
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def profile_xcu(setup_version: str | None = None) -> str:
    """registrymodifications.xcu for a worker profile: the font-replacement table, quiet defaults
    (no autosave/recovery, macros never run) and, given the installed version (``7.4``), the
    record that this profile has already met that version: without it LibreOffice takes every
    start for the first after an upgrade and runs its graphics self-test (~0.7 s of CPU)."""

    def prop(name: str, value: str) -> str:
        return f'<prop oor:name="{name}" oor:op="fuse"><value>{escape(value)}</value></prop>'

    items = [
        f'<item oor:path="/org.openoffice.Office.Common/Font/Substitution">{prop("Replacement", "true")}</item>'
    ]
    for i, (face, stand_in) in enumerate(FONT_REPLACEMENTS):
        items.append(
            '<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
            f'<node oor:name="_{i}" oor:op="replace">'
            f'{prop("Always", "true")}{prop("OnScreenOnly", "false")}'
            f'{prop("ReplaceFont", face)}{prop("SubstituteFont", stand_in)}'
            "</node></item>"
        )
    items += [
        f'<item oor:path="/org.openoffice.Office.Common/Misc">{prop("FirstRun", "false")}</item>',
        f'<item oor:path="/org.openoffice.Office.Recovery/AutoSave">{prop("Enabled", "false")}</item>',
        f'<item oor:path="/org.openoffice.Office.Recovery/RecoveryInfo">{prop("Enabled", "false")}</item>',
        f'<item oor:path="/org.openoffice.Office.Common/Security/Scripting">{prop("MacroSecurityLevel", "3")}</item>',
        f'<item oor:path="/org.openoffice.Office.Common/Security/Scripting">{prop("DisableMacrosExecution", "true")}</item>',
    ]
    if setup_version:
        items.append(f'<item oor:path="/org.openoffice.Setup/Product">{prop("ooSetupLastVersion", setup_version)}</item>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        + "\n".join(items)
        + "\n</oor:items>\n"
    )


def _seed_profile(profile: Path, setup_version: str | None = None) -> None:
    """Make sure the profile holds our settings: write them into a new profile, and again if
    LibreOffice's rewrite of the file lost them (a kill during its save, say)."""
    xcu = profile / "user" / "registrymodifications.xcu"
    try:
        current = xcu.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = ""
    wanted = [f"<value>{escape(face)}</value>" for face, _ in FONT_REPLACEMENTS]
    wanted.append('<prop oor:name="Replacement" oor:op="fuse"><value>true</value>')
    if setup_version:
        wanted.append(f'<prop oor:name="ooSetupLastVersion" oor:op="fuse"><value>{escape(setup_version)}</value>')
    if current.rstrip().endswith("</oor:items>") and all(w in current for w in wanted):
        return
    xcu.parent.mkdir(parents=True, exist_ok=True)
    tmp = xcu.with_suffix(".tmp")
    tmp.write_text(profile_xcu(setup_version), encoding="utf-8")
    os.replace(tmp, xcu)


@functools.cache
def installed_version(soffice_bin: Path) -> str | None:
    """The installed LibreOffice's ``ooSetupVersion`` (``7.4``), read from its own registry."""
    main = soffice_bin.resolve().parent.parent / "share" / "registry" / "main.xcd"
    try:
        text = main.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = re.search(r'<prop oor:name="ooSetupVersion">\s*<value>([0-9]+\.[0-9]+)</value>', text)
    return m.group(1) if m else None
