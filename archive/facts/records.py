"""Sealed records as objects, cached by record id: what every view loads a record with.

    records = SealedRecords()
    obj = records.load(row)            # row: a catalog row or a fact row with ``data``

Loading takes the record's stored canonical JSON to its frozen dataclass without validators or
rules (:func:`schemas.sealed.from_sealed`): a record sealed under older rules loads as it was
sealed. One whose data does not fit today's class (a value of another type than its field's) is
noted (:meth:`SealedRecords.fits`): the views show it but leave it out of what the rules judge.
Records are immutable, so an object once loaded is the record for good; the cache keeps
the most recently used :data:`SIZE` of them (a long-running server keeps its hot records; a
whole-archive view streams through more than that without growing).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson

from schemas import TYPES
from schemas.sealed import sealed_object
from schemas.tickets import TICKET_CLASSES

SIZE = 20_000


def record_class(type_: str, subtype: str | None) -> type | None:
    """The dataclass of a record of ``type_`` (work tickets: by their ticket type); None when
    this program does not know the type."""
    if type_ == "work_ticket":
        return TICKET_CLASSES.get(subtype or "")
    return TYPES.get(type_)


def parse(data: str | bytes) -> Any:
    """A record's stored JSON (text, or its UTF-8 bytes as a fact row carries it) parsed: by orjson,
    or by :mod:`json` where orjson refuses what json reads (an integer beyond 64 bits)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class Withheld:
    """A field a record's brief left out (archive.facts.derive): read in any way — iterated,
    counted, indexed, compared, printed — it loads the whole record once (``load``) and is that
    field's value. The check's rules never read these fields, so a check loads no record through
    one; a rule that comes to read one stays right, only slower."""

    __slots__ = ("_load", "_field")

    def __init__(self, load: Callable[[], Any], field: str) -> None:
        self._load = load
        self._field = field

    def value(self) -> Any:
        return getattr(self._load(), self._field)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.value())

    def __len__(self) -> int:
        return len(self.value())

    def __bool__(self) -> bool:
        return bool(self.value())

    def __getitem__(self, i: Any) -> Any:
        return self.value()[i]

    def __contains__(self, x: Any) -> bool:
        return x in self.value()

    def __eq__(self, other: object) -> bool:
        return bool(self.value() == (other.value() if isinstance(other, Withheld) else other))

    def __hash__(self) -> int:
        return hash(self.value())

    def __add__(self, other: Any) -> Any:
        return self.value() + (other.value() if isinstance(other, Withheld) else other)

    def __radd__(self, other: Any) -> Any:
        return other + self.value()

    def __repr__(self) -> str:
        return repr(self.value())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.value(), name)


def brief_object(cls: type, brief: str | bytes, left_out: Sequence[str], load: Callable[[], Any]) -> Any:
    """The object of a record of class ``cls`` from its brief: every field as sealed but those
    ``left_out``, each a :class:`Withheld` that reads the whole record (``load``) when it is read.
    None when the brief is no JSON object or does not fit the class (a brief altered in the catalog:
    verify names it; the view reads the whole record instead)."""
    try:
        data = parse(brief)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for name in left_out:
        data[name] = []  # (every field a brief leaves out is a list: the decoder's fast path takes it)
    obj, fits = sealed_object(cls, data)
    if not fits:
        return None
    for name in left_out:
        object.__setattr__(obj, name, Withheld(load, name))
    return obj


class SealedRecords:
    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self.unfit: set[str] = set()  # ids of records whose sealed data does not fit today's classes (never evicted: few)
        self.loaded = 0  # records decoded (cache misses), for the benchmarks
        self.briefed = 0  # records a view built from their briefs (archive.checks.world), for the benchmarks

    def fits(self, record_id: str) -> bool:
        """Whether the record, once loaded, fits today's class (:func:`schemas.sealed.sealed_object`):
        one that does not is shown as stored but left out of what the rules judge."""
        return record_id not in self.unfit

    def get(self, record_id: str) -> Any:
        """The cached object of ``record_id``, or None."""
        obj = self._cache.get(record_id)
        if obj is not None:
            self._cache.move_to_end(record_id)
        return obj

    def load(self, row: dict, *, keep: bool = True) -> Any:
        """The object of ``row`` (cached by id; ``keep``: cache it if it is not yet)."""
        rid = row.get("id") or row["record_id"]
        obj = self._cache.get(rid)
        if obj is not None:
            self._cache.move_to_end(rid)
            return obj
        cls = record_class(row["type"], row.get("subtype"))
        if cls is None:
            raise KeyError(row["type"])
        obj, fits = sealed_object(cls, parse(row["data"]))
        if not fits:
            self.unfit.add(rid)
        self.loaded += 1
        if keep:
            self._cache[rid] = obj
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return obj

    def clear(self) -> None:
        self._cache.clear()
