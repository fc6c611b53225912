"""Full-text search over an archive: one small interface, two engines (DESIGN.md "Search").

    index = open_index(archive)          # the engine recorded in the catalog (meta search_engine)
    index.catch_up()                     # after every write: index every record not yet indexed
    hits = index.search("动火 OR 受限空间", contractor="91310000…", since="2026-01-01")
    index.rebuild()                      # recreate from the catalog (optionally with another engine)
    index.check()                        # problems, e.g. records missing from the index

Engines: Whoosh (``archive.search_whoosh``, the default) and tantivy (``archive.search_tantivy``,
for large archives). Both index the same analysed documents (``archive.search_docs``,
``archive.search_analysis``) and answer the same engine-neutral query tree, so they match the same
records; only scores differ.

On disk (``<home>/index/``)::

    CURRENT            {"engine": "whoosh", "dir": "whoosh-<ulid>", "format": 1} (atomic replace)
    whoosh-<ulid>/     the live index, or tantivy-<ulid>/
    lock               one writer at a time; a second writer waits with a message
    rebuild.lock       one rebuild at a time

Consistency. The index is a cache of the catalog. Each commit of the index carries a high-water
mark (a ``__mark__`` document holding the catalog ``seq`` indexed up to) in the same commit as the
documents, so a crash between the catalog commit and the index commit leaves the mark behind and
the next :meth:`SearchIndex.catch_up` indexes those records; documents are keyed by record id, so
indexing a record twice replaces it (never counted twice). ``catch_up`` also compares the number
of indexed records with the catalog and re-indexes any that are missing. Readers never take a
lock. A rebuild builds a new directory from a catalog snapshot while writers go on, then, under
the writer lock, catches up and switches ``CURRENT``. A corrupt index is reported with the
command that fixes it and is never wiped.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import re
import shutil
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from archive import ids
from archive.errors import ExitCode, NotFound, OutsafeError, StorageError
from archive.search import text as sa
from archive.search.documents import document, documents, mask, record_text
from archive.search.query import (
    USCC_RE,
    Contains,
    DateRange,
    Exact,
    NoneOf,
    QuerySyntaxError,
    SearchError,
    day_number,
    parse_record_type,
    parse_ticket_type,
    highlight_terms,
    parse_query,
    plan,
)
from archive.text import Note
from storage.catalog import open_catalog
from storage.errors import StorageError as CatalogError
from storage.home import atomic_write, make_private_dir, make_tree_private
from storage.lock import write_lock

Progress = Callable[[str, int, int], None]

ENGINES = ("whoosh", "tantivy")
DEFAULT_ENGINE = "whoosh"
FORMAT = 3  # bump when the indexed fields or the analysis change: older indexes are reported for rebuild
BATCH = 2000  # records per index commit during catch-up
PARALLEL_FROM = 5000  # rebuilds of at least this many records analyse in worker processes
REBUILD_HINT = "运行 `outsafe index rebuild` 重建索引 (run `outsafe index rebuild`)"


class SearchIndexError(StorageError):
    """The search index cannot be read or written (corrupt, missing, another format)."""

    def __init__(self, message: str, *, hint: str = REBUILD_HINT) -> None:
        super().__init__(message, hint=hint)


# --- results -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    type: str
    ticket_type: str | None
    date: str | None
    contractor: str | None
    contractor_name: str | None
    enterprise: str | None
    enterprise_name: str | None
    score: float
    snippet: str  # matches wrapped in « », 身份证号 masked
    current: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


class Results(list):
    """A list of :class:`Hit`, best first, with ``total`` (every match, not only those shown),
    ``behind`` (catalog records not yet in the index) and the organizations the filters named."""

    def __init__(self, hits: Iterable[Hit] = (), *, query: str = "", total: int = 0, behind: int = 0, orgs: dict | None = None,
                 offset: int = 0, limit: int = 20) -> None:
        super().__init__(hits)
        self.query = mask(query)  # a 身份证号 typed in the search box is not echoed in clear
        self.total = total
        self.behind = behind
        self.orgs = orgs or {}
        self.offset = offset
        self.limit = limit

    def as_dict(self) -> dict:
        return {"query": self.query, "total": self.total, "behind": self.behind, "organizations": self.orgs,
                "offset": self.offset, "limit": self.limit, "hits": [h.as_dict() for h in self]}

    def as_text(self) -> list[str]:
        """The hits, numbered; matches in the snippets stay marked « »."""
        out = []
        if self.behind:
            out.append(Note(f"注意：{self.behind} 份记录尚未编入索引 (index behind the catalog) → outsafe index rebuild"))
        out += [Note(f"单位 (organization): {name} {uscc}") for uscc, name in self.orgs.items()]
        out.append(f"共 {self.total} 条，显示 {len(self)} 条 ({self.total} matches)")
        for n, h in enumerate(self, 1):
            kind = h.type + (f"/{h.ticket_type}" if h.ticket_type else "") + ("" if h.current else " 已更正 superseded")
            out.append(f"{n:>2}. {h.title}   {h.date or ''}   [{kind}]   {h.id}")
            parties = "   ".join(f"{label}: {name or ''} {uscc}" for label, name, uscc in
                                 (("承包单位", h.contractor_name, h.contractor), ("发包单位", h.enterprise_name, h.enterprise)) if uscc)
            if parties:
                out.append(f"    {parties}")
            out.append(f"    {h.snippet}")
        return out


@dataclass
class Rebuilt:
    """``outsafe index rebuild``: how many records, and the new index's engine and size."""

    info: dict  # records, engine, size, …

    def as_dict(self) -> dict:
        return self.info

    def as_text(self) -> list[str]:
        i = self.info
        return [f"已重建搜索索引 (index rebuilt): {i['records']} 份记录, {i['engine']}, {i['size'] / 1e6:.1f} MB"]


@dataclass
class IndexCheck:
    """``outsafe index check``: every problem of the index (exit 3), or its size."""

    problems: list[str]
    stats: dict

    @property
    def exit_code(self) -> int:
        return ExitCode.VERIFICATION_FAILED if self.problems else ExitCode.OK

    def as_dict(self) -> dict:
        return {"ok": not self.problems, "problems": self.problems, **self.stats}

    def as_text(self) -> list[str]:
        if self.problems:
            return [Note(f"搜索索引有 {len(self.problems)} 个问题 (search index: {len(self.problems)} problem(s))")] \
                + [Note(f"  {p}") for p in self.problems]
        s = self.stats
        return [f"搜索索引完好 (search index ok): {s['records']} 份记录, {s['engine']}, {s['size'] / 1e6:.1f} MB"]


# --- the index ---------------------------------------------------------------------------------------


def _engine_class(name: str):
    # Only the engine in use is imported (each pulls in its own library; whoosh alone takes ~25 ms).
    if name == "whoosh":
        from archive.search.whoosh_engine import WhooshEngine

        return WhooshEngine
    if name == "tantivy":
        from archive.search.tantivy_engine import TantivyEngine

        return TantivyEngine
    raise SearchError(f"未知的搜索引擎 {name} (unknown search engine); 可用: {', '.join(ENGINES)}")


def open_index(archive: Any) -> "SearchIndex":
    """The archive's search index. ``archive`` needs ``catalog``, ``secret``, ``clock`` and
    ``home`` (with ``index_dir``); nothing is opened or created until it is used."""
    return SearchIndex(archive)


def search(archive: Any, query: str, **filters: Any) -> Results:
    """``outsafe search``: :meth:`SearchIndex.search` on the archive's index."""
    with open_index(archive) as idx:
        return idx.search(query, **filters)


def rebuild_index(archive: Any, *, engine: str | None = None, progress: Progress | None = None,
                  notify: Callable[[str], None] | None = None) -> Rebuilt:
    """``outsafe index rebuild``: the index recreated from the catalog (with ``engine``, recorded)."""
    with open_index(archive) as idx:
        idx.notify = notify
        n = idx.rebuild(progress=progress, engine=engine)
        return Rebuilt({"records": n, **idx.stats()})


def check_index(archive: Any) -> IndexCheck:
    """``outsafe index check``: is every catalog record in a readable index?"""
    with open_index(archive) as idx:
        problems = idx.check()
        return IndexCheck(problems, {} if problems else idx.stats())


def wanted_engine(catalog: Any) -> str:
    return catalog.get_meta("search_engine") or DEFAULT_ENGINE


class SearchIndex:
    def __init__(self, archive: Any) -> None:
        self.archive = archive
        self.catalog = archive.catalog
        self.dir: Path = archive.home.index_dir
        self._engine = None
        self._engine_dir: str | None = None
        self.notify: Callable[[str], None] | None = None  # where "waiting for the lock" goes

    # --- the CURRENT pointer ----------------------------------------------------------------------

    def state(self) -> dict | None:
        """What ``CURRENT`` says (None: no index yet). Unreadable → :class:`SearchIndexError`."""
        path = self.dir / "CURRENT"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as e:
            raise SearchIndexError(f"无法读取搜索索引 {path} (cannot read the search index): {e.strerror}") from e
        try:
            state = json.loads(text)
            if state["engine"] not in ENGINES or not isinstance(state["dir"], str) or "/" in state["dir"]:
                raise ValueError(state)
        except (ValueError, KeyError, TypeError) as e:
            raise SearchIndexError(f"搜索索引指针 {path} 已损坏 (search index pointer is corrupt)") from e
        return state

    def _open(self, *, create: bool = False):
        """The live engine (reopened when ``CURRENT`` changed). ``create``: make an empty index
        when there is none (writers only, under the lock)."""
        state = self.state()
        if state is None:
            if not create:
                return None
            engine = wanted_engine(self.catalog)
            name = f"{engine}-{ids.new_id(self.archive.clock)}"
            _engine_class(engine).create(self.dir / name)
            self._write_state(engine, name)
            state = self.state()
        if state.get("format") != FORMAT:
            raise SearchIndexError(f"搜索索引格式已过时 (the search index has format {state.get('format')}, this outsafe writes {FORMAT})")
        if self._engine is None or self._engine_dir != state["dir"]:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
            path = self.dir / state["dir"]
            try:
                self._engine = _engine_class(state["engine"]).open(path)
            except OutsafeError:
                raise
            except Exception as e:  # noqa: BLE001 — any failure to open the third-party index is "corrupt"
                _release(e)
                raise SearchIndexError(f"搜索索引已损坏，无法打开 {path} (search index is corrupt: {type(e).__name__}: {e})") from e
            self._engine_dir = state["dir"]
        return self._engine

    def _write_state(self, engine: str, dirname: str) -> None:
        make_private_dir(self.dir)
        atomic_write(self.dir / "CURRENT", json.dumps({"engine": engine, "dir": dirname, "format": FORMAT}).encode())

    @contextmanager
    def _writing(self, lock: str = "lock", what: str = "search index") -> Iterator[None]:
        """Hold the index's writer lock; afterwards every file the engine wrote is private (the
        engines create files with the process umask; the index holds names and snippets)."""
        make_private_dir(self.dir)
        with write_lock(self.dir / lock, what=what, notify=self.notify, label="搜索索引锁 (the search-index lock)"):
            try:
                yield
            finally:
                make_tree_private(self.dir)

    @contextmanager
    def _engine_errors(self, path: Any = None) -> Iterator[None]:
        try:
            yield
        except (OutsafeError, CatalogError):  # ours, and the catalog's (read while catching up)
            raise
        except Exception as e:  # noqa: BLE001 — a third-party failure reading/writing the index
            _release(e)
            where = f" {path}" if path else ""
            raise SearchIndexError(f"搜索索引读写失败{where} (search index failed: {type(e).__name__}: {e})") from e

    # --- writing ------------------------------------------------------------------------------

    def index_record(self, row: dict) -> None:
        """Index (or re-index) one catalog row now."""
        with self._writing():
            eng = self._open(create=True)
            with self._engine_errors(eng.path), eng.writer() as w:
                w.add(self._document(row))

    def remove(self, record_id: str) -> None:
        """Drop a record's document. Records are never deleted from the catalog, so the next
        :meth:`catch_up` puts it back (it is for repairs and tests)."""
        with self._writing():
            eng = self._open(create=True)
            with self._engine_errors(eng.path), eng.writer() as w:
                w.delete(record_id)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Index every catalog record the index lacks; return how many were indexed. An archive
        with many records and no index yet gets a (parallel) rebuild instead."""
        if self.state() is None and self.catalog.count_records() >= PARALLEL_FROM:
            return self.rebuild(progress)
        with self._writing(what="search index catch-up"):
            eng = self._open(create=True)
            with self._engine_errors(eng.path):
                return self._catch_up(eng, progress)

    def _catch_up(self, eng: Any, progress: Progress | None) -> int:
        mark = eng.mark()
        top = self.catalog.max_seq()
        done = 0
        total = max(0, top - mark)
        while mark < top:
            rows = self.catalog.records_after(mark, limit=BATCH)
            if not rows:
                break
            with eng.writer() as w:
                for row in rows:
                    w.add(self._document(row))
                for old in self._superseded_rows(rows):
                    w.add(self._document(old, current=False))
                mark = rows[-1]["seq"]
                w.set_mark(mark)
            done += len(rows)
            if progress:
                progress("index", min(done, total), total)
        # Every record up to the mark must be in the index (one may have been removed, or lost in
        # a crash of an older version); records above it belong to a writer still waiting for the lock.
        if eng.count() != self.catalog.count_records(upto_seq=mark):
            done += self._repair(eng, mark)
        return done

    def _repair(self, eng: Any, mark: int) -> int:
        """Re-index records up to ``mark`` missing from the index (e.g. after :meth:`remove`) and
        drop documents of records the catalog does not hold."""
        have = eng.ids()
        want = self.catalog.record_ids(upto_seq=mark)
        extra = have - self.catalog.record_ids()
        missing = want - have
        if not missing and not extra:
            return 0
        with eng.writer() as w:
            for rid in sorted(missing):
                row = self.catalog.get_record(rid)
                w.add(self._document(row, current=self.catalog.superseded_by(rid) is None))
            for rid in extra:
                w.delete(rid)
        return len(missing)

    def _superseded_rows(self, rows: list[dict]) -> list[dict]:
        olds = [r["supersedes"] for r in rows if r.get("supersedes")]
        return [row for row in (self.catalog.get_record(i) for i in olds) if row is not None]

    def _document(self, row: dict, current: bool | None = None) -> dict:
        if current is None:
            current = self.catalog.superseded_by(row["id"]) is None
        return document(row, self.archive.secret, current=current)

    def rebuild(self, progress: Progress | None = None, engine: str | None = None, *, procs: int | None = None) -> int:
        """Recreate the index from the catalog (with ``engine``, else the archive's); writers go on
        meanwhile and are caught up before the switch. Returns the number of records indexed."""
        engine = engine or wanted_engine(self.catalog)
        cls = _engine_class(engine)
        with self._writing("rebuild.lock", what="search index rebuild"):
            name = f"{engine}-{ids.new_id(self.archive.clock)}"
            path = self.dir / name
            eng = cls.create(path)
            try:
                with self._engine_errors(path):
                    n = self._bulk(eng, progress, procs)
                    with self._writing(what="search index switch"):
                        n += self._catch_up(eng, None)
                        self._write_state(engine, name)
            except BaseException:
                eng.close()
                shutil.rmtree(path, ignore_errors=True)
                raise
            eng.close()
            if wanted_engine(self.catalog) != engine:
                with self.catalog.transaction():
                    self.catalog.set_meta("search_engine", engine)
            self._remove_stale(keep=name)
        return n

    def _bulk(self, eng: Any, progress: Progress | None, procs: int | None) -> int:
        top = self.catalog.max_seq()
        total = self.catalog.count_records()
        superseded = frozenset(self.catalog.superseded_ids())
        procs = procs or min(2, os.cpu_count() or 1)
        parallel = procs > 1 and total >= PARALLEL_FROM
        done = 0
        with eng.writer(bulk=True, procs=procs if parallel else 1) as w:
            for docs in self._analysed(eng.name, top, superseded, procs if parallel else 1):
                for rid, payload in docs:
                    w.add_prepared(rid, payload)
                done += len(docs)
                if progress:
                    progress("index", done, total)
            w.set_mark(top)
        return done

    def _analysed(self, engine: str, top: int, superseded: frozenset[str], procs: int) -> Iterator[list[tuple[str, Any]]]:
        """(record id, engine payload) for every record up to ``top``, in chunks; analysed in
        ``procs`` worker processes (each reading the catalog itself) when there are many:
        composing the text, jieba and the bigrams are the expensive part."""
        secret = self.archive.secret
        prepare = _engine_prepare(engine)
        if procs <= 1:
            for rows in self._row_chunks(top, 500):
                yield [(d["id"], prepare(d)) for d in documents(rows, secret, superseded)]
            return
        import multiprocessing  # lazy: worker processes only for rebuilds of PARALLEL_FROM records or more
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("spawn")
        step = 500
        with ProcessPoolExecutor(max_workers=procs, mp_context=ctx, initializer=_worker_init,
                                 initargs=(engine, self.catalog.location, secret, superseded)) as pool:
            pending = []
            for lo in range(0, top, step):
                pending.append(pool.submit(_worker_docs, lo, min(lo + step, top)))
                if len(pending) >= procs * 4:
                    yield pending.pop(0).result()
            for f in pending:
                yield f.result()

    def _row_chunks(self, top: int, size: int) -> Iterator[list[dict]]:
        after = 0
        while after < top:
            rows = self.catalog.records_after(after, limit=size, upto_seq=top)
            if not rows:
                return
            yield rows
            after = rows[-1]["seq"]

    def _remove_stale(self, keep: str) -> None:
        """Remove index directories other than ``keep`` (old engines, failed builds)."""
        pattern = re.compile(r"^(whoosh|tantivy)-[0-9A-Z]{26}$")
        for p in sorted(self.dir.iterdir()):
            if p.is_dir() and p.name != keep and pattern.match(p.name):
                shutil.rmtree(p, ignore_errors=True)

    # --- reading ------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        contractor: str | None = None,
        enterprise: str | None = None,
        type: str | None = None,
        ticket_type: str | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        limit: int = 20,
        include_superseded: bool = False,
        offset: int = 0,
        within: str | None = None,
    ) -> Results:
        """Records matching ``query`` (see ``archive.search_analysis`` for the syntax), best first.
        ``contractor`` / ``enterprise``: a USCC or a (part of a) registered name. ``offset``: skip
        that many of the best (paging). ``within``: only records that belong to that enterprise
        (an enterprise account's scope, archive.access.scope); names in the filters are then
        looked up among the organizations it may see."""
        try:
            parsed = parse_query(query)
        except QuerySyntaxError as e:
            raise SearchError(f"{e} : {mask(query)}", hint='例 (e.g.): 动火 AND 受限空间 · "动火作业" · 动火 -吊装 · (高处 OR 临时用电)') from e
        node = plan(parsed, self.archive.secret)
        filters: list[Any] = []
        orgs: dict[str, str] = {}
        for role, value in (("contractor", contractor), ("enterprise", enterprise)):
            if value:
                found = self.resolve_org(value, role, within=within)
                orgs.update(found)
                filters.append(Exact(role, tuple(found)))
        if type:
            filters.append(Exact("type", (parse_record_type(type),)))
        if ticket_type:
            filters.append(Exact("ticket_type", (parse_ticket_type(ticket_type),)))
        if since or until:
            filters.append(DateRange(day_number(since) if since else 1, day_number(until) if until else 99991231))
        if not include_superseded:
            filters.append(NoneOf(Exact("current", ("0",))))  # few are superseded: exclude those
        if within is not None:
            filters.append(Exact("belongs", (within,)))
        offset, limit = max(0, int(offset)), max(1, int(limit))
        eng = self._open()
        if eng is None:
            return Results(query=query, behind=self.catalog.count_records(), orgs=orgs, offset=offset, limit=limit)
        with self._engine_errors(eng.path):
            found_hits, total = eng.search(node, filters, offset + limit)
            found_hits = found_hits[offset:]
            behind = max(0, self.catalog.max_seq() - eng.mark())
        terms = highlight_terms(parsed)
        hits = []
        for rid, score in found_hits:
            row = self.catalog.get_record(rid)
            if row is not None:
                hits.append(_hit(row, score, terms, current=self.catalog.superseded_by(rid) is None, names=self._org_name))
        return Results(hits, query=query, total=total, behind=behind, orgs=orgs, offset=offset, limit=limit)

    def _org_name(self, uscc: str | None) -> str | None:
        if not uscc:
            return None
        reg = self.catalog.get_registry("organization", uscc)
        return reg["name"] if reg else None

    def resolve_org(self, value: str, role: str, *, within: str | None = None) -> dict[str, str]:
        """USCC → name of the organizations ``value`` names: a USCC, or an exact or partial name
        (``within``: among the organization records that belong to that enterprise)."""
        value = value.strip()
        if within is None:
            names = {r["key"]: r["name"] for r in self.catalog.list_registry("organization")}
        else:
            names = {}
            for r in self.catalog.list_records(types=["organization"], belongs_to=within, current_only=True):
                data = json.loads(r["data"])
                names[data.get("uscc") or r["doc_no"]] = data.get("name") or ""
        if USCC_RE.match(value.upper()):
            return {value.upper(): names.get(value.upper(), "")}
        exact = {k: n for k, n in names.items() if n == value}
        if exact:
            return exact
        partial = {k: n for k, n in names.items() if value in n}
        if partial:
            return partial
        label = "承包单位" if role == "contractor" else "发包单位"
        raise NotFound(f"没有名称含“{value}”的单位 (no organization named {value!r} for {label})",
                       hint="查看已登记单位 (list them): outsafe org list")

    def check(self) -> list[str]:
        """Every problem of the index, each with what to do; [] when it is complete and readable."""
        problems: list[str] = []
        try:
            state = self.state()
        except SearchIndexError as e:
            return [f"{e.message} → {REBUILD_HINT}"]
        records = self.catalog.count_records()
        if state is None:
            return [f"没有搜索索引，{records} 份记录未编入 (no search index; {records} records unindexed) → {REBUILD_HINT}"] if records else []
        wanted = wanted_engine(self.catalog)
        if state["engine"] != wanted:
            problems.append(f"索引引擎为 {state['engine']}，档案设定为 {wanted} (index engine differs from the archive setting) → outsafe index rebuild --engine {wanted}")
        try:
            eng = self._open()
            with self._engine_errors(eng.path):
                mark = eng.mark()
                have = eng.ids()
                stale = eng.ids_where("current", "1")
                eng.search(Contains((sa.pattern("安全"),)), [], 1)
        except SearchIndexError as e:
            return problems + [f"{e.message} → {REBUILD_HINT}"]
        want = self.catalog.record_ids()
        top = self.catalog.max_seq()
        if mark < top:
            problems.append(f"索引落后于目录 (index behind the catalog: indexed up to seq {mark} of {top})")
        missing, extra = sorted(want - have), sorted(have - want)
        if missing:
            problems.append(f"{len(missing)} 份记录不在索引中 (records missing from the index): {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}")
        if extra:
            problems.append(f"{len(extra)} 份索引文档不在目录中 (index documents not in the catalog): {', '.join(extra[:5])}{' …' if len(extra) > 5 else ''}")
        superseded = self.catalog.superseded_ids()
        wrong = sorted(superseded & stale)
        if wrong:
            problems.append(f"{len(wrong)} 份已更正记录在索引中仍标为现行 (superseded records marked current): {', '.join(wrong[:5])}")
        if problems and not problems[-1].endswith(REBUILD_HINT):
            problems = [p if "→" in p else f"{p} → {REBUILD_HINT}" for p in problems]
        return problems

    def stats(self) -> dict:
        state = self.state()
        eng = self._open() if state else None
        return {
            "engine": state["engine"] if state else None,
            "wanted_engine": wanted_engine(self.catalog),
            "path": str(self.dir / state["dir"]) if state else None,
            "records": eng.count() if eng else 0,
            "size": eng.size() if eng else 0,
            "mark": eng.mark() if eng else 0,
            "catalog_max_seq": self.catalog.max_seq(),
        }

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_WORKER: dict[str, Any] = {}


def _engine_prepare(engine: str) -> Callable[[dict], Any]:
    return importlib.import_module(f"archive.search.{engine}_engine").prepare


def _worker_init(engine: str, catalog_location: str, secret: bytes, superseded: frozenset[str]) -> None:
    _WORKER.update(catalog=open_catalog(catalog_location, readonly=True), secret=secret, superseded=superseded,
                   prepare=_engine_prepare(engine))


def _worker_docs(lo: int, hi: int) -> list[tuple[str, Any]]:
    """A rebuild worker: (id, engine payload) of the records with lo < seq <= hi."""
    rows = _WORKER["catalog"].records_after(lo, upto_seq=hi)
    prepare = _WORKER["prepare"]
    return [(d["id"], prepare(d)) for d in documents(rows, _WORKER["secret"], _WORKER["superseded"])]


def index_after_write(archive: Any, notify: Callable[[str], None] | None = None) -> int | None:
    """For the write pipeline, after the catalog commit: catch the index up. The records are
    committed whatever happens here, so an index that cannot be written is reported through
    ``notify`` (with the command that fixes it) instead of failing the write; the next write,
    ``outsafe index check`` or ``outsafe index rebuild`` catches up."""
    idx = open_index(archive)
    idx.notify = notify
    try:
        return idx.catch_up()
    except SearchIndexError as e:
        if notify is not None:
            notify(f"警告/warning: 记录已入档，但搜索索引未更新 (records saved, search index not updated): {e.message}")
            notify(f"→ {e.hint}")
        return None
    finally:
        idx.close()


# --- helpers -----------------------------------------------------------------------------------------


def _release(e: BaseException) -> None:
    """Close what a half-opened third-party index left open (Whoosh keeps the segment files it
    opened before failing): drop the failed frames' locals and collect them now, quietly."""
    seen: set[int] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        cur: BaseException | None = e
        while cur is not None and id(cur) not in seen:
            seen.add(id(cur))
            traceback.clear_frames(cur.__traceback__)
            cur = cur.__cause__ or cur.__context__
        gc.collect()


def _hit(row: dict, score: float, terms: list[str], *, current: bool, names: Callable[[str | None], str | None]) -> Hit:
    refs = json.loads(row["refs"]) if row.get("refs") else {}
    orgs = refs.get("organizations", {})

    def name(uscc: str | None) -> str | None:
        return orgs.get(uscc or "", {}).get("name") or names(uscc)

    return Hit(
        id=row["id"],
        title=row["title"],
        type=row["type"],
        ticket_type=row.get("subtype"),
        date=row.get("doc_date"),
        contractor=row.get("contractor"),
        contractor_name=name(row.get("contractor")),
        enterprise=row.get("enterprise"),
        enterprise_name=name(row.get("enterprise")),
        score=round(score, 4),
        snippet=sa.snippet(_text(row["id"], row), terms),
        current=current,
    )


_TEXTS: dict[str, str] = {}
_TEXTS_MAX = 20_000


def _text(record_id: str, row: dict) -> str:
    """A record's composed text for snippets (``record_text``: ~2 ms a record, the bulk of a result
    page), kept by record id — a record never changes once sealed. Bounded: dropped whole when full."""
    text = _TEXTS.get(record_id)
    if text is None:
        text = record_text(row)
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[record_id] = text
    return text


__all__ = ["open_index", "index_after_write", "wanted_engine", "SearchIndex", "Hit", "Results", "SearchError",
           "SearchIndexError", "ENGINES"]
