"""Opening a catalog: the one place that knows which backend serves a location.

    catalog = open_catalog(home.catalog_file)                 # an existing SQLite catalog
    catalog = open_catalog(home.catalog_file, create=True)    # a new, empty one (version 0)
    catalog.migrate()                                         # bring the schema forward
    reader = open_catalog(catalog.location, readonly=True)    # again, e.g. in a worker process

What a catalog offers is :class:`storage.interfaces.Catalog`; the SQLite backend is
:mod:`storage.sqlite`. A PostgreSQL backend (``postgresql://…`` locations) drops in here.
"""

from __future__ import annotations

from pathlib import Path

from storage.errors import StorageError
from storage.interfaces import Catalog
from storage.sqlite import SqliteCatalog

URL_SCHEMES = ("postgresql://", "postgres://")


def open_catalog(location: str | Path, *, create: bool = False, readonly: bool = False) -> Catalog:
    """The catalog at ``location``: a file path (SQLite). ``create``: make the file when it does
    not exist; ``readonly``: never write (a reader in another process)."""
    text = str(location)
    if text.startswith(URL_SCHEMES):
        raise StorageError(
            f"本版本不支持 PostgreSQL 目录 (a PostgreSQL catalog is not supported by this version): {text.split('@')[-1]}",
            hint="use the default SQLite catalog in the archive home",
        )
    return SqliteCatalog(Path(location), create=create, readonly=readonly)


__all__ = ["Catalog", "open_catalog"]
