"""The Whoosh engine (whoosh3) behind :mod:`archive.search`.

Documents arrive already analysed (:mod:`archive.search_analysis`): ``bg`` and ``w`` are
space-separated token strings, read here with Whoosh's plain ``SpaceSeparatedTokenizer`` so the
index needs no custom class to be opened. ``bg`` keeps positions (phrases), ``w`` frequencies only.

Speed: Whoosh's own ``Phrase`` builds span objects for every candidate document (a phrase of
bigrams took ~1.2 s at 10^4 records). :class:`BigramRun` instead leapfrogs the posting lists,
rarest first, and decodes positions only for documents that hold every bigram, checking them with
set arithmetic. Bulk builds use ``procs`` sub-writers and ``multisegment``.
"""

from __future__ import annotations

import gc
import io
import warnings
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import analysis, collectors, fields, index, query, writing
from whoosh.matching import Matcher, NoQualityAvailable, NullMatcher, ReadTooFar

from archive.search import query as qp
from archive.search import text as sa
from archive.search.query import NoneOf

SEP = ","  # keyword lists (values never hold a comma: see archive.search.keyword)

SCHEMA = fields.Schema(
    id=fields.ID(stored=True, unique=True),
    kind=fields.ID(),
    seq=fields.NUMERIC(int, bits=64, stored=True),
    type=fields.ID(),
    ticket_type=fields.ID(),
    grade=fields.KEYWORD(commas=True),
    status=fields.KEYWORD(commas=True),
    tags=fields.KEYWORD(commas=True),
    doc_no=fields.ID(),
    enterprise=fields.KEYWORD(commas=True),
    contractor=fields.KEYWORD(commas=True),
    project=fields.KEYWORD(commas=True),
    names=fields.KEYWORD(commas=True),
    id_hash=fields.KEYWORD(commas=True),
    date=fields.NUMERIC(int, bits=32),
    current=fields.ID(),
    belongs=fields.ID(),
    bg=fields.TEXT(analyzer=analysis.SpaceSeparatedTokenizer(), phrase=True),
    w=fields.TEXT(analyzer=analysis.SpaceSeparatedTokenizer(), phrase=False),
)
LIST_FIELDS = ("grade", "status", "tags", "enterprise", "contractor", "project", "names", "id_hash")
MARK_ID = "__mark__"
BULK_COMMIT = 20_000  # documents per commit in a bulk build (a segment per sub-writer)


def prepare(doc: dict) -> dict:
    """The engine-neutral document as Whoosh fields (made in rebuild workers)."""
    out = {k: v for k, v in doc.items() if k not in LIST_FIELDS}
    for k in LIST_FIELDS:
        values = doc.get(k) or ()
        if values:
            out[k] = SEP.join(values)
    out["current"] = "1" if doc.get("current", True) else "0"
    out["kind"] = "record"
    return out


class WhooshEngine:
    name = "whoosh"

    def __init__(self, path: Path, ix: Any) -> None:
        self.path = path
        self.ix = ix
        self._searcher = None
        self._finalizer: weakref.finalize | None = None

    @classmethod
    def create(cls, path: Path) -> "WhooshEngine":
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return cls(path, index.create_in(str(path), SCHEMA))

    @classmethod
    def open(cls, path: Path) -> "WhooshEngine":
        with _closing_leaks(path):
            ix = index.open_dir(str(path))
        if sorted(ix.schema.names()) != sorted(SCHEMA.names()):
            raise ValueError(f"unexpected fields {sorted(ix.schema.names())}")
        return cls(path, ix)

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # closes the searcher's files once
            self._finalizer = None
        self._searcher = None

    # --- writing ------------------------------------------------------------------------------

    @contextmanager
    def writer(self, *, bulk: bool = False, procs: int = 1) -> Iterator["_Writer"]:
        """One commit (incremental), or for a bulk build into a new index a series of commits of
        :data:`BULK_COMMIT` documents, each by ``procs`` sub-writer processes making a segment
        each: Whoosh's cost per document grows with the segment (its in-memory pool spills to disk
        and is merged back), so ten segments of 10^4 build much faster than two of 5·10^4."""
        wrapped = _BulkWriter(self, procs) if bulk else _Writer(self._open_writer(), fresh=False)
        try:
            yield wrapped
        except BaseException:
            wrapped.w.cancel()
            raise
        else:
            wrapped.w.commit(**({"mergetype": writing.NO_MERGE} if bulk else {}))
        finally:
            self.close()

    def _open_writer(self, procs: int = 1, bulk: bool = False):
        # compound=False: Whoosh reads a sub-file of a compound segment by copying it into memory,
        # hundreds of MB per open at 10^5 records; plain files are read in place.
        kw: dict[str, Any] = {"timeout": 60.0, "delay": 0.25, "compound": False}
        if bulk:
            kw.update(limitmb=256)
            if procs > 1:  # sub-writer processes, each making its own segment; spawned (fork is unsafe with threads)
                kw.update(procs=procs, multisegment=True, start_method="spawn")
        return self.ix.writer(**kw)

    # --- reading ------------------------------------------------------------------------------

    def searcher(self):
        """A searcher on the latest commit. Not ``Searcher.refresh()``: whoosh3 3.54 keeps the
        segments of the old reader that the new commit merged away (their files are gone), so a
        refreshed searcher counts documents twice or fails on a missing file."""
        with _closing_leaks(self.path):
            if self._searcher is not None and self._searcher.reader().generation() != self.ix.latest_generation():
                self.close()
            if self._searcher is None:
                self._searcher = self.ix.searcher()
                # an engine dropped without close() still closes its files (no ResourceWarning)
                self._finalizer = weakref.finalize(self, self._searcher.close)
        return self._searcher

    def mark(self) -> int:
        stored = self.searcher().document(id=MARK_ID)
        return int(stored["seq"]) if stored else 0

    def count(self) -> int:
        s = self.searcher()
        return s.doc_count() - (1 if s.document(id=MARK_ID) else 0)

    def ids(self) -> set[str]:
        return {f["id"] for f in self.searcher().reader().all_stored_fields() if f["id"] != MARK_ID}

    def ids_where(self, field: str, value: str) -> set[str]:
        s = self.searcher()
        return {s.stored_fields(n)["id"] for n in s.docs_for_query(query.Term(field, value))}

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def search(self, node: Any, filters: list, limit: int) -> tuple[list[tuple[str, float]], int]:
        s = self.searcher()
        # Positive filters narrow the intersection; exclusions (superseded records) are few, so
        # they go in Whoosh's mask (a set of document numbers) instead of a NOT over every posting.
        parts = [_compile(node)] + [_compile(f) for f in filters if not isinstance(f, NoneOf)]
        masks = [_compile(f.item) for f in filters if isinstance(f, NoneOf)]
        q = parts[0] if len(parts) == 1 else query.And(parts)
        excluded = {n for m in masks for n in s.docs_for_query(m)}  # a plain set: Whoosh's BitSet tests slowly
        # No top-N shortcuts: Whoosh's block-quality skipping and matcher "replacement" (which turns
        # AND-MAYBE into AND once a document could no longer reach the first page) make the total
        # an undercount while calling it exact. Every match is visited and counted.
        top = collectors.TopCollector(limit=limit, usequality=False, replace=0)
        collector = collectors.FilterCollector(top, restrict=excluded) if excluded else top
        s.search_with_collector(q, collector)
        results = collector.results()
        hits = [(r["id"], float(r.score or 0.0)) for r in results]
        return hits, len(results)


@contextmanager
def _closing_leaks(path: Path) -> Iterator[None]:
    """Whoosh leaves the files it opened to the garbage collector when a damaged index fails to
    open (and retries ten times on a damaged segment). On failure, close this index's files now."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            yield
        except Exception:
            root = str(path)
            for obj in gc.get_objects():
                if isinstance(obj, io.BufferedReader) and str(getattr(obj, "name", "")).startswith(root) and not obj.closed:
                    obj.close()
            raise


class _Writer:
    def __init__(self, w: Any, fresh: bool) -> None:
        self.w = w
        self.fresh = fresh

    def add(self, doc: dict) -> None:
        self.add_prepared(doc["id"], prepare(doc))

    def add_prepared(self, record_id: str, fields: dict) -> None:
        if self.fresh:
            self.w.add_document(**fields)
        else:
            self.w.update_document(**fields)

    def delete(self, record_id: str) -> None:
        self.w.delete_by_term("id", record_id)

    def set_mark(self, seq: int) -> None:
        if self.fresh:
            self.w.add_document(id=MARK_ID, kind="meta", seq=seq)
        else:
            self.w.update_document(id=MARK_ID, kind="meta", seq=seq)


class _BulkWriter(_Writer):
    """Adds to a new index, committing every :data:`BULK_COMMIT` documents (see ``writer``)."""

    def __init__(self, engine: WhooshEngine, procs: int) -> None:
        self.engine = engine
        self.procs = procs
        self.added = 0
        super().__init__(engine._open_writer(procs, bulk=True), fresh=True)

    def add_prepared(self, record_id: str, fields: dict) -> None:
        super().add_prepared(record_id, fields)
        self.added += 1
        if self.added % BULK_COMMIT == 0:
            self.w.commit(mergetype=writing.NO_MERGE)
            self.w = self.engine._open_writer(self.procs, bulk=True)


# --- compiling the engine-neutral query tree ---------------------------------------------------------


def _compile(node: Any):
    if isinstance(node, qp.AllRecords):
        return query.Term("kind", "record")
    if isinstance(node, qp.Exact):
        terms = [query.Term(node.field, v) for v in node.values]
        return terms[0] if len(terms) == 1 else query.Or(terms)
    if isinstance(node, qp.DateRange):
        return query.NumericRange("date", node.start, node.end)
    if isinstance(node, qp.Contains):
        alts = []
        for p in node.patterns:
            required = _pattern(p)
            boosts = [query.Term("w", w) for w in p.words] + [query.Term("names", n) for n in node.names]
            alts.append(query.AndMaybe(required, query.Or(boosts)) if boosts else required)
        return alts[0] if len(alts) == 1 else query.Or(alts)
    if isinstance(node, qp.AllOf):
        return query.And([_compile(x) for x in node.items])
    if isinstance(node, qp.AnyOf):
        return query.Or([_compile(x) for x in node.items])
    if isinstance(node, qp.NoneOf):
        return query.And([query.Term("kind", "record"), query.Not(_compile(node.item))])
    raise TypeError(node)


def _pattern(p: sa.Pattern):
    if p.single:
        _, tok, prefix = p.slots[0]
        return query.Prefix("bg", tok) if prefix else query.Term("bg", tok)
    return BigramRun(p.slots)


class BigramRun(query.Query):
    """Documents where every slot's token is at its offset from a common start (see
    ``archive.search_analysis.Pattern``): an exact phrase over the bigram tokens."""

    def __init__(self, slots: tuple[tuple[int, str, bool], ...], boost: float = 1.0) -> None:
        self.slots = tuple(slots)
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return type(other) is BigramRun and other.slots == self.slots

    def __hash__(self) -> int:
        return hash(self.slots)

    def __repr__(self) -> str:
        return f"BigramRun({self.slots!r})"

    def __str__(self) -> str:
        return 'bg:"' + " ".join(f"{t}{'*' if p else ''}@{at}" for at, t, p in self.slots) + '"'

    def field(self) -> str:
        return "bg"

    def has_terms(self) -> bool:
        return True

    def terms(self, phrases: bool = False) -> Iterator[tuple[str, str]]:
        for _, t, p in self.slots:
            if not p:
                yield ("bg", t)

    def normalize(self):
        return self

    def estimate_size(self, ixreader) -> int:
        sizes = [ixreader.doc_frequency("bg", t) for _, t, p in self.slots if not p]
        return min(sizes) if sizes else ixreader.doc_count_all()

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        cursors = []
        for offset, tok, prefix in self.slots:
            if prefix:
                terms = list(reader.expand_prefix("bg", tok))
                ms = [query.Term("bg", t).matcher(searcher, context) for t in terms]
                ms = [m for m in ms if m.is_active()]
                if not ms:
                    return NullMatcher()
                cursor = ms[0] if len(ms) == 1 else _Union(ms)
                freq = sum(reader.doc_frequency("bg", t) for t in terms)
            else:
                if ("bg", tok) not in reader:
                    return NullMatcher()
                cursor = query.Term("bg", tok).matcher(searcher, context)
                freq = reader.doc_frequency("bg", tok)
            cursors.append((freq, offset, cursor))
        cursors.sort(key=lambda c: c[0])
        return _RunMatcher([(off, c) for _, off, c in cursors])


class _Union:
    """Several term matchers read as one posting list (a prefix slot inside a phrase)."""

    def __init__(self, ms: list) -> None:
        self.ms = ms

    def is_active(self) -> bool:
        return any(m.is_active() for m in self.ms)

    def id(self) -> int:
        return min(m.id() for m in self.ms if m.is_active())

    def skip_to(self, docid: int) -> None:
        for m in self.ms:
            if m.is_active() and m.id() < docid:
                m.skip_to(docid)

    def next(self) -> None:
        cur = self.id()
        for m in self.ms:
            if m.is_active() and m.id() == cur:
                m.next()

    def value_as(self, astype: str) -> list[int]:
        cur = self.id()
        out: list[int] = []
        for m in self.ms:
            if m.is_active() and m.id() == cur:
                out.extend(m.value_as(astype))
        return out

    def score(self) -> float:
        cur = self.id()
        return sum(m.score() for m in self.ms if m.is_active() and m.id() == cur)

    def copy(self) -> "_Union":
        return _Union([m.copy() for m in self.ms])

    def max_quality(self) -> float:
        return max(m.max_quality() for m in self.ms)


class _RunMatcher(Matcher):
    """Leapfrog intersection of the slot cursors (rarest first), then a position check."""

    def __init__(self, cursors: list[tuple[int, Any]]) -> None:
        self._cursors = cursors  # (offset, cursor), rarest first
        self._curs = [c for _, c in cursors]
        self._id = -1
        self._active = True
        self._find()

    def _find(self) -> None:
        curs = self._curs
        lead = curs[0]
        rest = curs[1:]
        while lead.is_active():
            target = lead.id()
            aligned = True
            for c in rest:
                if not c.is_active():
                    self._active = False
                    return
                if c.id() < target:
                    c.skip_to(target)
                    if not c.is_active():
                        self._active = False
                        return
                cid = c.id()
                if cid > target:
                    lead.skip_to(cid)
                    aligned = False
                    break
            if aligned:
                if self._positions_match():
                    self._id = target
                    return
                lead.next()
        self._active = False

    def _positions_match(self) -> bool:
        starts: set[int] | None = None
        for offset, c in self._cursors:
            ps = c.value_as("positions")
            s = {p - offset for p in ps}
            starts = s if starts is None else starts & s
            if not starts:
                return False
        return True

    # the Matcher protocol

    def is_active(self) -> bool:
        return self._active

    def id(self) -> int:
        return self._id

    def next(self) -> None:
        if not self._active:
            raise ReadTooFar
        self._curs[0].next()
        self._find()

    def skip_to(self, docid: int) -> None:
        if not self._active:
            raise ReadTooFar
        if docid <= self._id:
            return
        for c in self._curs:
            if c.is_active() and c.id() < docid:
                c.skip_to(docid)
        self._find()

    def score(self) -> float:
        # The rarest slot's BM25, once per slot: one field-length lookup per document, not one per slot.
        return self._curs[0].score() * len(self._curs)

    def weight(self) -> float:
        return self.score()

    def max_quality(self) -> float:
        # Whoosh's binary matchers ask for this even when block quality is not supported.
        try:
            return self._curs[0].max_quality() * len(self._curs)
        except NoQualityAvailable:
            return float("inf")

    def supports(self, astype: str) -> bool:
        return False

    def value(self) -> Any:
        raise NotImplementedError

    def value_as(self, astype: str) -> Any:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def copy(self) -> "_RunMatcher":
        m = _RunMatcher.__new__(_RunMatcher)
        m._cursors = [(off, c.copy()) for off, c in self._cursors]
        m._curs = [c for _, c in m._cursors]
        m._id, m._active = self._id, self._active
        return m

    def replace(self, minquality: float = 0) -> Matcher:
        return self if self._active else NullMatcher()

    def all_ids(self) -> Iterable[int]:
        while self._active:
            yield self._id
            self.next()
