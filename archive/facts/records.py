"""Sealed records as objects, cached by record id: what every view loads a record with.

    records = SealedRecords()
    obj = records.load(row)            # row: a catalog row or a fact row with ``data``

Loading takes the record's stored canonical JSON to its frozen dataclass without validators or
rules (:func:`schemas.sealed.from_sealed`): a record sealed under older rules loads as it was
sealed. Records are immutable, so an object once loaded is the record for good; the cache keeps
the most recently used :data:`SIZE` of them (a long-running server keeps its hot records; a
whole-archive view streams through more than that without growing).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from schemas import TYPES
from schemas.sealed import from_sealed
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
        self.loaded = 0  # records decoded (cache misses), for the benchmarks

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
        obj = from_sealed(cls, json.loads(row["data"]))
        self.loaded += 1
        if keep:
            self._cache[rid] = obj
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return obj

    def clear(self) -> None:
        self._cache.clear()
