"""The one rule of visibility (see the package docstring): what records an account may see.

    scope = Scope.of(role, org)                 # Scope(None): everything; Scope(USCC): that enterprise's
    row = scope.record(archive, record_id)      # the record, or NotFound — the same NotFound as a missing id
    scope.allows(row)                           # True / False
    archive.catalog.list_records(belongs_to=scope.enterprise, …)   # the same rule in the catalog

A record belongs to the enterprise it names (``enterprise`` column), else to the archive that sealed
it (``origin``): :func:`belongs_to`, and ``COALESCE(enterprise, origin)`` in the catalog
(``storage.interfaces``, "belongs to"); tests/test_access.py checks that both agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archive import ids
from archive.access.roles import ROLES
from archive.errors import NotFound


def belongs_to(row: dict) -> str:
    """The USCC a record belongs to."""
    return row.get("enterprise") or row["origin"]


def not_found(record_id: str) -> NotFound:
    """What a missing record and a record outside the scope both raise: the same words."""
    shown = record_id if ids.is_id(record_id) else (record_id[:40] + ("…" if len(record_id) > 40 else ""))
    return NotFound(f"没有记录 {shown} (no such record)")


@dataclass(frozen=True)
class Scope:
    """What an account sees: every record (``enterprise`` None) or one enterprise's."""

    enterprise: str | None = None

    @classmethod
    def of(cls, role: str, org: str | None) -> "Scope":
        r = ROLES.get(role)
        if r is not None and r.kind == "bureau":
            return cls(None)
        if not org:  # an enterprise account without an organization sees nothing
            return cls("-")
        return cls(org)

    @property
    def everything(self) -> bool:
        return self.enterprise is None

    def allows(self, row: dict) -> bool:
        return self.enterprise is None or belongs_to(row) == self.enterprise

    def record(self, archive: Any, record_id: str) -> dict:
        """The record ``record_id`` (exactly: no prefixes) if the scope allows it, else NotFound —
        the very same NotFound as for an id that does not exist."""
        rid = (record_id or "").strip().upper()
        row = archive.catalog.get_record(rid) if ids.is_id(rid) else None
        if row is None or not self.allows(row):
            raise not_found(record_id)
        return row
