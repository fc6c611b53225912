"""Results of the views, kept until a record they depend on arrives.

The archive only grows by appending. A result computed when the catalog's highest seq was S stays
true while none of the records after S concerns it, so each kept result carries S and what it
depends on: the link keys and record types its queries asked for (:class:`Deps`, filled in by
:class:`archive.checks.world.World` as it reads). Asked again:

- nothing new (the highest seq is still S): the result, read from its own file and nothing else;
- new records: their links and types (and those of the records they correct) are read, once per
  process and seq (``FactStore.changes``, :func:`touched`); a result sharing none of them is still
  true, and moves on to the new S in this process's memory (its file keeps the S it was computed
  at: rewriting a day's 3,072 files after each record cost more than the one query a later process
  asks again); one that does is computed again.

A dependency key names a link's role and key, ``role|key`` (``contractor|9137…``: records naming
the contractor; ``self|9137…``: its own registry record), or also the type of the records read
through it, ``role|key|type`` (``home|9137…|hazard``: the enterprise's hazards — a new work ticket of
the enterprise leaves a result that read only its hazards true); ``*|key`` is any link to the key, and
``member|key`` whether the enterprise or contractor is in the whole archive's scope at all (only a
new project or organization changes that). So a new hazard of an enterprise, naming one of its
contractors, invalidates what reads that enterprise's records or the records naming that
contractor — not every result that merely looked the contractor up. A whole-archive view keeps its parts (one per enterprise, one
  per contractor) each with its own dependencies, so a new record recomputes only the parts it
  concerns.

Results live in this process (``archive.views``, for a server) and in files under
``<home>/cache/views/`` (private to the owner, like the catalog; deleting the folder loses nothing
but time; :func:`sweep` removes what nobody has read for ``views_keep_days`` days). Each file is
authenticated: a MAC keyed by the archive's secret over its key and its content (:func:`_wrap`),
so that a result edited on disk (a finding deleted from a kept check) is never shown: it is set
aside under ``cache/views/altered/``, computed again, and reported by ``outsafe verify`` until an
administrator has looked at it and removed it (:func:`audit`). A result's key names the view and its parameters and includes :func:`program` — a digest
of the source of the rules and views and of the archive's settings — so a new program or new
settings never reuse an old result.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import os
import secrets
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from archive.access import audit as access_log
from archive.errors import KeyError_, OutsafeError
from storage.errors import StorageError

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("schemas", "archive/checks", "archive/campaign", "archive/facts")
KEEP_IN_PROCESS = 64  # results kept in this process, most recent first
SWEEP_MARK = ".swept"  # touched by each sweep
FS_CLOCK = ".now"  # written to read the file system's clock
SWEEP_EVERY = 86400  # seconds between two sweeps by the processes that keep results
TMP_AGE = 600  # seconds after which a temporary file is what a killed writer left
MAGIC = b"outsafe-kept/1 "  # a kept result's first line: this, then the hex MAC of its key and content
ALTERED = "altered"  # the subfolder where results found edited are set aside (never read, never swept)


@cache
def _source_digest() -> str:
    h = hashlib.sha256()
    for folder in SOURCES:
        for p in sorted((ROOT / folder).glob("*.py")):
            h.update(str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def program(archive: Any) -> str:
    """What a result depends on besides the records: the program's rules and views, the settings."""
    settings = json.dumps(getattr(archive.settings, "__dict__", {}) or repr(archive.settings), sort_keys=True, default=str)
    return hashlib.sha256((_source_digest() + settings).encode()).hexdigest()[:24]


def key(archive: Any, view: str, *params: Any) -> str:
    """The key of a view's result: its name, its parameters, the program."""
    return hashlib.sha256(json.dumps([view, program(archive), *[str(p) for p in params]]).encode()).hexdigest()[:32]


FILTERS: dict[str, Callable[..., Callable[[Any], bool]]] = {}  # name → (params → a test of a fact row), registered by the views
CORRECTED = "!corrected"  # among the keys new records touch when one of them corrects another


class RowFilter:
    """A test of fact rows that a kept result's dependency can carry (:meth:`Deps.add_filtered`):
    the name of a registered builder (:data:`FILTERS`) and its parameters, JSON — so that a later
    process rebuilds the same test and asks it of the new rows."""

    def __init__(self, name: str, **params: Any) -> None:
        self.spec = json.dumps([name, params], sort_keys=True, ensure_ascii=False)
        self._test = FILTERS[name](**params)

    def __call__(self, row: Any) -> bool:
        return self._test(row)


@dataclass
class Deps:
    """What a computation read: link keys and record types (``everything``: the whole archive);
    and links read through a filter (``filtered``: the filter's spec → its ``role|key|type`` keys),
    which a new record touches only when the filter accepts its fact row."""

    keys: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    everything: bool = False
    filtered: dict[str, set[str]] = field(default_factory=dict)

    def add(self, keys: Iterable[str | None] = (), types: Iterable[str] = (), role: str = "*",
            of_types: Iterable[str] | None = None) -> None:
        """Depend on the links (``role``, k) for k in ``keys`` (role ``*``: any link to k) — only
        those held by records of ``of_types`` when given (``role|k|type``) — and on every record of
        ``types``."""
        if of_types is not None and role != "*":
            kinds = list(of_types)
            self.keys.update(f"{role}|{k}|{t}" for k in keys if k is not None for t in kinds)
        else:
            self.keys.update(f"{role}|{k}" for k in keys if k is not None)
        self.types.update(types)

    def on_scope(self, within: str | None) -> None:
        """Depend on what a view of the whole archive (``within`` None) or of an enterprise
        account's scope reads, all through a ``World(within=…)``: every record; or the records that
        belong to that enterprise (``belongs|…``) and the organizations (their names, which such a
        view also looks up in the registry)."""
        if within is None:
            self.everything = True
        else:
            self.add([within], ["organization"], role="belongs")

    def add_filtered(self, only: RowFilter, keys: Iterable[str | None], role: str, of_types: Iterable[str]) -> None:
        """Depend on the links (``role``, k) of records of ``of_types`` that ``only`` accepts."""
        kinds = list(of_types)
        self.filtered.setdefault(only.spec, set()).update(f"{role}|{k}|{t}" for k in keys if k is not None for t in kinds)

    def touched_by(self, changes: tuple[set[str], set[str]], new_rows: Callable[[str], list | None] | None = None) -> bool:
        """Whether records that touch ``changes`` (:func:`touched`) concern what was read. A
        filtered link they touch concerns it when the filter accepts one of the new rows holding
        it (``new_rows(key)``); without ``new_rows``, when a correction is among them, or when the
        filter is not known in this process: always."""
        keys, types = changes
        if self.everything or not self.keys.isdisjoint(keys) or not self.types.isdisjoint(types):
            return True
        for spec, fkeys in self.filtered.items():
            hit = fkeys & keys
            if not hit:
                continue
            if new_rows is None or CORRECTED in keys:
                return True
            name, params = json.loads(spec)
            build = FILTERS.get(name)
            if build is None:
                return True
            test = build(**params)
            for k in sorted(hit):
                rows = new_rows(k)
                if not rows or any(test(r) for r in rows):
                    return True
        return False

    def as_dict(self) -> dict:
        d = {"keys": sorted(self.keys), "types": sorted(self.types), "everything": self.everything}
        if self.filtered:
            d["filtered"] = {spec: sorted(keys) for spec, keys in sorted(self.filtered.items())}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Deps":
        return cls(set(d["keys"]), set(d["types"]), bool(d["everything"]),
                   {spec: set(keys) for spec, keys in (d.get("filtered") or {}).items()})


@dataclass
class Kept:
    """A kept result: the highest seq when it was (last found) true, its dependencies, its value."""

    seq: int
    deps: Deps
    value: Any
    packages: int | None = None  # true only while the package log holds this many (see :func:`get_or_compute`)

    def as_dict(self) -> dict:
        d = {"seq": self.seq, "deps": self.deps.as_dict(), "value": self.value}
        if self.packages is not None:
            d["packages"] = self.packages
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Kept":
        packages = d.get("packages")
        return cls(int(d["seq"]), Deps.from_dict(d["deps"]), d["value"], None if packages is None else int(packages))


def _folder(archive: Any) -> Path:
    return Path(archive.home.root) / "cache" / "views"


def load(archive: Any, k: str) -> Kept | None:
    """The result kept under key ``k`` (this process first, then its file), or None."""
    kept = archive.views.get(k)
    if kept is not None:
        return kept
    path = _folder(archive) / f"{k}.json"
    mac_key = _mac_key(archive)
    if mac_key is None:
        return None  # the archive's secret unreadable: its files cannot be trusted, computed again
    try:
        raw = path.read_bytes()
    except OSError:
        return None  # none: computed
    state, body = _unwrap(mac_key, k, raw)
    if state != "ok":
        # altered — or without a MAC, as earlier versions wrote: but no earlier version wrote this
        # key (the program's digest is in it, and this file's code is in the digest), so that too
        # is an edit (the MAC line removed)
        _set_aside(archive, path)
        return None
    try:
        kept = Kept.from_dict(json.loads(body))
    except (ValueError, KeyError, TypeError):
        return None  # a MAC that holds over content this version cannot read: computed again
    try:
        now = _fs_now(path.parent)
        os.utime(path, (now, now))  # read now: not swept as unused (:func:`sweep`)
    except OSError:
        pass  # a read-only archive
    _remember(archive, k, kept)
    return kept


def save(archive: Any, k: str, kept: Kept, *, memory: bool = True) -> None:
    """Keep ``kept`` under ``k`` (a file written whole, then renamed; a cache needs no fsync);
    ``memory``: also in this process."""
    if memory:
        _remember(archive, k, kept)
    folder = _folder(archive)
    mac_key = _mac_key(archive)
    if mac_key is None:
        return  # no secret to authenticate it with: kept in this process only
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "wb") as fh:
            fh.write(_wrap(mac_key, k, json.dumps(kept.as_dict(), ensure_ascii=False, separators=(",", ":")).encode()))
        os.replace(tmp, folder / f"{k}.json")
        now = os.stat(folder / f"{k}.json").st_mtime
        if _mark_age(folder, now) > SWEEP_EVERY:
            sweep(archive)
    except OSError:
        pass  # a read-only archive: the result is kept in this process only


# --- authenticated files ----------------------------------------------------------------------


def _mac_key(archive: Any) -> bytes | None:
    """The key of the kept files' MACs: derived from the archive's secret (keys/id-hash.key, 0600);
    None when it cannot be read (the files are then neither trusted nor written)."""
    try:
        secret = archive.secret
    except (OSError, AttributeError, KeyError_):  # KeyError_: the key file missing or unreadable, as Archive.secret says
        return None
    return hmac.new(secret, b"outsafe: kept view results", hashlib.sha256).digest()


def _mac(mac_key: bytes, k: str, body: bytes | memoryview) -> str:
    # the key is in the MAC: a result copied over another view's file is refused too
    h = hmac.new(mac_key, k.encode() + b"\n", hashlib.sha256)
    h.update(body)
    return h.hexdigest()


def _wrap(mac_key: bytes, k: str, body: bytes) -> bytes:
    return MAGIC + _mac(mac_key, k, body).encode() + b"\n" + body


def _unwrap(mac_key: bytes, k: str, raw: bytes) -> tuple[str, bytes]:
    """("ok", content) of a kept file whose MAC holds; ("altered", b"") when it does not (edited,
    truncated, or another view's file under this name); ("earlier", b"") for one without a MAC,
    as earlier versions wrote them (under keys of their own program: at a current key, an edit)."""
    if not raw.startswith(MAGIC):
        return ("earlier", b"") if raw.startswith(b"{") else ("altered", b"")
    end = raw.find(b"\n", len(MAGIC))
    if end < 0 or not hmac.compare_digest(raw[len(MAGIC):end], _mac(mac_key, k, memoryview(raw)[end + 1:]).encode()):
        return "altered", b""
    return "ok", raw[end + 1:]  # (the content copied once: a whole check's kept result is 27 MB at 10^5)


def _set_aside(archive: Any, path: Path) -> None:
    """Move an altered kept file to ``altered/`` (evidence for :func:`audit` and ``outsafe verify``),
    say so on stderr, and leave a trace in the access log (hash-chained, anchored in the ledger:
    it outlives the file, should someone remove that too); the view is computed again."""
    aside = path.parent / ALTERED
    try:
        aside.mkdir(exist_ok=True, mode=0o700)
        dest = aside / f"{path.stem}.{secrets.token_hex(6)}.json"  # (when: in the access log, by the archive's clock)
        os.replace(path, dest)
    except OSError:
        return  # another process set it aside first, or a read-only archive: not read either way
    print(f"警告/warning: 视图结果文件 {path.name} 在写入后被改动，未采用，已移至 {dest}，视图已重新计算；"
          f"outsafe verify 会报告它 (a kept view result was altered after it was written: not used, set aside, "
          f"computed again)", file=sys.stderr)
    try:
        access_log.record(archive, "view_result_altered", target=path.name,
                          detail={"set_aside": str(dest.relative_to(Path(archive.home.root)))})
    except (OutsafeError, StorageError):
        pass  # an archive whose catalog cannot be written now: the file and verify still say it


def audit(archive: Any) -> tuple[list[str], int, bool]:
    """(the altered kept files — in the folder, or set aside when a view met them —, as paths in
    the home; how many files are without a MAC (an earlier version's, or a current one's with its
    MAC line removed: which, only a view asking for its key can tell); whether they could be
    checked at all)."""
    folder = _folder(archive)
    mac_key = _mac_key(archive)
    if mac_key is None:
        return [], 0, False
    home = Path(archive.home.root)
    altered, earlier = [], 0
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return [], 0, True  # no folder: nothing kept
    for e in entries:
        if not e.name.endswith(".json") or e.name.startswith("."):
            continue
        try:
            raw = Path(e.path).read_bytes()
        except OSError:
            continue  # swept meanwhile
        state, _ = _unwrap(mac_key, e.name[:-len(".json")], raw)
        if state == "earlier":
            earlier += 1
        elif state == "altered":
            altered.append(str(Path(e.path).relative_to(home)))
    try:
        altered += sorted(str(Path(e.path).relative_to(home)) for e in os.scandir(folder / ALTERED) if e.is_file())
    except OSError:
        pass  # none set aside
    return altered, earlier, True


def _mark_age(folder: Path, now: float) -> float:
    try:
        return now - (folder / SWEEP_MARK).stat().st_mtime
    except FileNotFoundError:
        return float("inf")


_fs_clocks: dict[str, tuple[float, float]] = {}


def _fs_now(folder: Path) -> float:
    """Now, by the clock that sets the files' times: the file system's, read from the time a write
    gives a scratch file (then followed by ``time.monotonic``, and read again every 10 minutes).
    Not the archive's clock (frozen or moved in tests, another machine's) and not the machine's
    through ``utime`` (which libfaketime moves while the kernel's writes are not)."""
    held = _fs_clocks.get(str(folder))
    if held is None or time.monotonic() - held[1] > 600:
        fd = os.open(folder / FS_CLOCK, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"now")
            held = (os.fstat(fd).st_mtime, time.monotonic())
        finally:
            os.close(fd)
        _fs_clocks[str(folder)] = held
    return held[0] + time.monotonic() - held[1]


def sweep(archive: Any) -> tuple[int, int]:
    """Remove the kept results nobody has read or written for ``views_keep_days`` days, and what a
    writer killed mid-write left (``.tmp-*`` files over 10 minutes old: a writer alive renames its
    own within milliseconds); (files, bytes) removed. Results carry their day in their key, so each
    day adds a new set (3,072 files, 276 MB for an archive of 10^5 records prepared daily:
    bench/views/RESULTS.md): without this the folder would only grow. Run by ``outsafe views prepare`` and, once a day, by whichever
    process keeps a result. Ages are judged by the file system's own clock (:func:`_fs_now`), which
    set the files' times."""
    folder = _folder(archive)
    try:
        now = _fs_now(folder)
        fd = os.open(folder / SWEEP_MARK, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.utime(fd, (now, now))
        finally:
            os.close(fd)
        entries = list(os.scandir(folder))
    except OSError:
        return 0, 0  # no folder, or a read-only archive: nothing to sweep
    days = getattr(archive.settings, "views_keep_days", 0)
    files = size = 0
    for e in entries:
        if e.name.startswith(".tmp-"):
            limit = now - TMP_AGE
        elif e.name.endswith(".json") and not e.name.startswith(".") and days > 0:
            limit = now - days * 86400
        else:
            continue
        try:
            st = e.stat()
            if st.st_mtime < limit:
                os.unlink(e.path)
                files, size = files + 1, size + st.st_size
        except OSError:
            pass  # gone already (another sweep)
    return files, size


def _remember(archive: Any, k: str, kept: Kept) -> None:
    views = archive.views
    views.pop(k, None)
    views[k] = kept
    while len(views) > KEEP_IN_PROCESS:
        views.pop(next(iter(views)))


_touched: "weakref.WeakKeyDictionary[Any, dict[tuple, Any]]" = weakref.WeakKeyDictionary()
_touched_lock = threading.Lock()
TOUCHED_KEPT = 256  # answers of :func:`asked_once` (touched, new_rows, World.homes) kept per archive in this process


def touched(archive: Any, seq: int) -> tuple[set[str], set[str]]:
    """(dependency keys, types) the records after ``seq`` touch: ``role|key``, ``role|key|type``
    and ``*|key`` of each of their links (and of the records they correct), ``belongs|…`` of the
    enterprise whose scope each is in, ``member|…`` of the enterprise and contractor of a new
    project and of a new organization, and :data:`CORRECTED` when one of them corrects a record.

    Asked once per process for a seq, the facts' position and the catalog's top (the answer
    cannot change while none of them does: a new record moves the top, facts filled in move the
    position), and shared by every view asking: a preparation asks it of each of its 2,469
    views' kept results, nearly all from the same seq (8 ms each at 10^5 records)."""
    return asked_once(archive, (seq,), lambda: _touched_now(archive, seq))


def asked_once(archive: Any, key: tuple, ask: Callable[[], Any]) -> Any:
    """``ask()``'s answer, kept in this process for ``key`` at the facts' position and the
    catalog's top of now: for a question about the facts, which cannot change while neither moves
    (what the records after a seq touch, the homes holding records)."""
    key = (*key, archive.catalog.facts.position(), archive.catalog.max_seq())
    with _touched_lock:
        memo = _touched.setdefault(archive, {})
        got = memo.get(key)
    if got is None:
        got = ask()
        with _touched_lock:
            memo[key] = got
            while len(memo) > TOUCHED_KEPT:
                memo.pop(next(iter(memo)))
    return got


def _touched_now(archive: Any, seq: int) -> tuple[set[str], set[str]]:
    facts = archive.catalog.facts
    links, types = facts.changes(seq)
    keys = {f"{role}|{k}" for role, k, _ in links} | {f"{role}|{k}|{t}" for role, k, t in links} \
        | {f"*|{k}" for role, k, _ in links if role != "belongs"}  # whose scope a record is in is not a link to it
    top = archive.catalog.max_seq()
    for start in range(seq + 1, top + 1, 5000):
        for r in facts.rows(seqs=range(start, min(start + 5000, top + 1))):
            if r["supersedes"]:
                keys.add(CORRECTED)
            if r["type"] == "organization" and r["key"]:
                keys.add(f"member|{r['key']}")
            elif r["type"] == "project":
                info = json.loads(r["info"] or "{}")
                keys.update(f"member|{k}" for k in (info.get("enterprise"), info.get("contractor")) if k)
    return keys, types


def new_rows(archive: Any, seq: int, key: str) -> list:
    """The fact rows of the records after ``seq`` holding the link ``role|key|type`` (asked once
    per process for a seq, position and top, as :func:`touched`)."""
    role, k, t = key.split("|", 2)
    return asked_once(archive, (seq, key), lambda: [r for r in archive.catalog.facts.linked(role, [k], types=[t]) if r["seq"] > seq])


class Changes:
    """The keys and types touched since each seq asked about (read once per seq)."""

    def __init__(self, archive: Any) -> None:
        self.archive = archive
        self.top = archive.catalog.max_seq()
        self._seen: dict[int, tuple[set[str], set[str]]] = {}

    def since(self, seq: int) -> tuple[set[str], set[str]]:
        if seq not in self._seen:
            self._seen[seq] = touched(self.archive, seq)
        return self._seen[seq]

    def still_true(self, kept: Kept | None) -> bool:
        if kept is None or kept.seq > self.top:
            return False
        return kept.seq == self.top or not kept.deps.touched_by(self.since(kept.seq), lambda key: new_rows(self.archive, kept.seq, key))


_pauses = 0  # views computing now, in any thread
_was_enabled = True
_pause_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a view is computed. A view builds many
    objects at once (the sealed records it loads, the findings) and none of them form cycles —
    reference counting frees them — but the growing heap makes the collector walk every live
    object again and again: 8 full collections, none finding anything, were 15–20 % of the largest
    enterprise's check. Counted across threads: the collector runs again once no view computes."""
    global _pauses, _was_enabled
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


_computations = 0  # results computed in this process (not read back): for ``outsafe views prepare``'s account


def computed() -> int:
    """How many results this process has computed so far (kept ones read back are not counted)."""
    return _computations


def note_computed() -> None:
    global _computations
    _computations += 1


def get_or_compute(archive: Any, k: str, compute: Callable[[Deps], Any], changes: Changes | None = None, *,
                   packages: bool = False) -> Any:
    """The value kept under ``k`` when still true, else ``compute(deps)`` (which records what it
    reads in ``deps``), kept. ``packages``: the view also reads the package log (the packages
    handed in, which arrive without a record): its value is true only while the log holds as many
    packages as when it was computed, and is computed again after an import or export."""
    changes = changes or Changes(archive)
    logged = archive.catalog.packages.logged() if packages else None
    kept = load(archive, k)
    if kept is not None and kept.packages != logged:
        kept = None
    if changes.still_true(kept):
        assert kept is not None
        if kept.seq != changes.top:  # still true at the new top: so remembered here, its file left as it is
            _remember(archive, k, Kept(changes.top, kept.deps, kept.value, logged))
        return kept.value
    deps = Deps()
    with collector_paused():
        value = compute(deps)
    note_computed()
    save(archive, k, Kept(changes.top, deps, value, logged))
    return value
