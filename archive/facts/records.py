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
from typing import Any

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


class SealedRecords:
    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self.unfit: set[str] = set()  # ids of records whose sealed data does not fit today's classes (never evicted: few)
        self.loaded = 0  # records decoded (cache misses), for the benchmarks

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
        obj, fits = sealed_object(cls, json.loads(row["data"]))
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
