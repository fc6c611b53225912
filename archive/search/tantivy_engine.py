"""The tantivy engine (tantivy-py) behind :mod:`archive.search`.

The same analysed token strings as the Whoosh engine (:mod:`archive.search_analysis`), read by
tantivy's ``whitespace`` tokenizer: one token per position, so phrase queries over ``bg`` mean
exactly what :class:`archive.search_whoosh.BigramRun` means. Keyword fields use the ``raw``
tokenizer and hold one value per entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tantivy

from archive.search import query as qp
from archive.search import text as sa
from archive.search.query import NoneOf

KEYWORDS = ("id", "kind", "type", "ticket_type", "grade", "status", "tags", "doc_no", "enterprise",
            "contractor", "project", "names", "id_hash", "current", "belongs")
MARK_ID = "__mark__"


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in KEYWORDS:
        sb.add_text_field(name, stored=name == "id", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("seq", stored=True, indexed=True, fast=True)
    sb.add_integer_field("date", indexed=True, fast=True)
    sb.add_text_field("bg", tokenizer_name="ws", index_option="position")
    sb.add_text_field("w", tokenizer_name="ws", index_option="freq")
    return sb.build()


SCHEMA = _schema()


def _analyzer() -> tantivy.TextAnalyzer:
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


class TantivyEngine:
    name = "tantivy"

    def __init__(self, path: Path, ix: Any) -> None:
        self.path = path
        self.ix = ix
        self.ix.register_tokenizer("ws", _analyzer())
        self._meta_mtime = None

    @classmethod
    def create(cls, path: Path) -> "TantivyEngine":
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return cls(path, tantivy.Index(SCHEMA, path=str(path), reuse=False))

    @classmethod
    def open(cls, path: Path) -> "TantivyEngine":
        if not (path / "meta.json").is_file():
            raise ValueError(f"{path} has no meta.json")
        return cls(path, tantivy.Index.open(str(path)))

    def close(self) -> None:
        pass

    # --- writing ------------------------------------------------------------------------------

    @contextmanager
    def writer(self, *, bulk: bool = False, procs: int = 1) -> Iterator["_Writer"]:
        if bulk:
            w = self.ix.writer(heap_size=max(1, procs) * 128_000_000, num_threads=max(1, procs))
        else:
            w = self.ix.writer(heap_size=50_000_000, num_threads=1)
        wrapped = _Writer(w, fresh=bulk)
        try:
            yield wrapped
        except BaseException:
            w.rollback()
            del w
            raise
        else:
            w.commit()
            w.wait_merging_threads()
        self.ix.reload()

    # --- reading ------------------------------------------------------------------------------

    def searcher(self):
        mtime = (self.path / "meta.json").stat().st_mtime_ns
        if mtime != self._meta_mtime:
            self.ix.reload()
            self._meta_mtime = mtime
        return self.ix.searcher()

    def _docs(self, q, limit: int | None = None) -> list[Any]:
        s = self.searcher()
        n = limit if limit is not None else max(1, s.num_docs)
        return [s.doc(addr) for _, addr in s.search(q, n).hits]

    def mark(self) -> int:
        docs = self._docs(tantivy.Query.term_query(SCHEMA, "id", MARK_ID), 1)
        return int(docs[0]["seq"][0]) if docs else 0

    def count(self) -> int:
        s = self.searcher()
        q = tantivy.Query.term_query(SCHEMA, "kind", "record")
        return int(s.search(q, 1, count=True).count)

    def ids(self) -> set[str]:
        return {d["id"][0] for d in self._docs(tantivy.Query.term_query(SCHEMA, "kind", "record"))}

    def ids_where(self, field: str, value: str) -> set[str]:
        return {d["id"][0] for d in self._docs(tantivy.Query.term_query(SCHEMA, field, value))}

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def search(self, node: Any, filters: list, limit: int) -> tuple[list[tuple[str, float]], int]:
        s = self.searcher()
        clauses = [(tantivy.Occur.Must, _compile(node))]
        for f in filters:
            if isinstance(f, NoneOf):
                clauses.append((tantivy.Occur.MustNot, _compile(f.item)))
            else:
                clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(_compile(f), 0.0)))
        result = s.search(tantivy.Query.boolean_query(clauses), limit, count=True)
        hits = [(s.doc(addr)["id"][0], float(score)) for score, addr in result.hits]
        return hits, int(result.count)


def prepare(doc: dict) -> str:
    """The engine-neutral document as tantivy JSON (made in rebuild workers, parsed in Rust)."""
    out: dict[str, Any] = {"kind": "record", "current": "1" if doc.get("current", True) else "0"}
    for name in KEYWORDS:
        value = doc.get(name)
        if name in out or not value:
            continue
        out[name] = value
    out["seq"] = int(doc["seq"])
    out["date"] = int(doc.get("date") or 0)
    out["bg"] = doc["bg"]
    out["w"] = doc["w"]
    return json.dumps(out, ensure_ascii=False)


class _Writer:
    def __init__(self, w: Any, fresh: bool) -> None:
        self.w = w
        self.fresh = fresh

    def add(self, doc: dict) -> None:
        self.add_prepared(doc["id"], prepare(doc))

    def add_prepared(self, record_id: str, payload: str) -> None:
        if not self.fresh:
            self.w.delete_documents_by_term("id", record_id)
        self.w.add_json(payload)

    def delete(self, record_id: str) -> None:
        self.w.delete_documents_by_term("id", record_id)

    def set_mark(self, seq: int) -> None:
        self.w.delete_documents_by_term("id", MARK_ID)
        d = tantivy.Document()
        d.add_text("id", MARK_ID)
        d.add_text("kind", "meta")
        d.add_integer("seq", int(seq))
        self.w.add_document(d)


# --- compiling the engine-neutral query tree ---------------------------------------------------------


def _term(field: str, value: str):
    return tantivy.Query.term_query(SCHEMA, field, value)


def _compile(node: Any):
    Q, Occur = tantivy.Query, tantivy.Occur
    if isinstance(node, qp.AllRecords):
        return _term("kind", "record")
    if isinstance(node, qp.Exact):
        if len(node.values) == 1:
            return _term(node.field, node.values[0])
        return Q.term_set_query(SCHEMA, node.field, list(node.values))
    if isinstance(node, qp.DateRange):
        return Q.range_query(SCHEMA, "date", tantivy.FieldType.Integer, node.start, node.end)
    if isinstance(node, qp.Contains):
        alts = []
        for p in node.patterns:
            required = _pattern(p)
            boosts = [_term("w", w) for w in p.words] + [_term("names", n) for n in node.names]
            if boosts:
                alts.append(Q.boolean_query([(Occur.Must, required)] + [(Occur.Should, b) for b in boosts]))
            else:
                alts.append(required)
        return alts[0] if len(alts) == 1 else Q.boolean_query([(Occur.Should, a) for a in alts])
    if isinstance(node, qp.AllOf):
        return Q.boolean_query([(Occur.Must, _compile(x)) for x in node.items])
    if isinstance(node, qp.AnyOf):
        return Q.boolean_query([(Occur.Should, _compile(x)) for x in node.items])
    if isinstance(node, qp.NoneOf):
        return Q.boolean_query([(Occur.Must, _term("kind", "record")), (Occur.MustNot, _compile(node.item))])
    raise TypeError(node)


def _pattern(p: sa.Pattern):
    Q = tantivy.Query
    if p.single:
        _, tok, prefix = p.slots[0]
        return Q.regex_query(SCHEMA, "bg", re.escape(tok) + ".?") if prefix else _term("bg", tok)
    if any(prefix for _, _, prefix in p.slots):
        return Q.regex_phrase_query(SCHEMA, "bg", [(at, re.escape(t) + (".?" if prefix else "")) for at, t, prefix in p.slots])
    return Q.phrase_query(SCHEMA, "bg", [(at, t) for at, t, _ in p.slots])
