"""Opening storage: the one place that knows which backend serves a location.

    catalog = open_catalog(home.catalog_file)                 # an existing SQLite catalog
    catalog = open_catalog("postgresql://…")                  # a PostgreSQL one
    catalog = open_catalog(home.catalog_file, create=True)    # a new, empty one (version 0)
    catalog.migrate()                                         # bring the schema forward
    reader = open_catalog(catalog.location, readonly=True)    # again, e.g. in a worker process
    blobs = open_blobs(location, tmp_dir=home.tmp_dir)        # a folder, or "s3://bucket/prefix"
    lock = open_lock(catalog, home.lock_file)                 # the archive write lock that fits

What a catalog offers is :class:`storage.interfaces.Catalog`: the SQLite backend is
:mod:`storage.sqlite`, the PostgreSQL backend (``postgresql://`` locations) :mod:`storage.postgresql`.
Blob stores are :class:`storage.interfaces.BlobStore`: files (:mod:`storage.blobs`) or an
S3-compatible bucket (:mod:`storage.s3`). The write lock (:class:`storage.interfaces.WriteLock`)
is a file lock in the home for a SQLite catalog and an advisory lock in the database for a
PostgreSQL one, so that every machine writing a shared catalog takes the same lock.
"""

from __future__ import annotations

from pathlib import Path

from storage.blobs import FileBlobStore
from storage.interfaces import BlobStore, Catalog, WriteLock
from storage.lock import FileLock
from storage.sqlite import SqliteCatalog

URL_SCHEMES = ("postgresql://", "postgres://")
S3_SCHEME = "s3://"
MOVED_TO = "moved_to"  # meta of a catalog `outsafe migrate` copied elsewhere: readable, never written again


def is_server_catalog(location: str | Path) -> bool:
    return str(location).startswith(URL_SCHEMES)


def open_catalog(location: str | Path, *, create: bool = False, readonly: bool = False) -> Catalog:
    """The catalog at ``location``: a file path (SQLite) or a ``postgresql://`` URL. ``create``:
    make the file when it does not exist (a PostgreSQL database must exist; its schema is made by
    ``migrate``); ``readonly``: never write (a reader in another process)."""
    text = str(location)
    if is_server_catalog(text):
        from storage.postgresql import PostgresCatalog  # lazy: psycopg only for archives that use it

        return PostgresCatalog(text, create=create, readonly=readonly)
    return SqliteCatalog(Path(location), create=create, readonly=readonly)


def open_blobs(location: str | Path, *, tmp_dir: Path) -> BlobStore:
    """The blob store at ``location``: a folder, or ``s3://bucket/prefix`` (endpoint and
    credentials from the environment: :mod:`storage.s3`). ``tmp_dir``: local temp files."""
    text = str(location)
    if text.startswith(S3_SCHEME):
        from storage.s3 import S3BlobStore  # lazy: boto3 only for archives that use it

        return S3BlobStore(text, tmp_dir=tmp_dir)
    return FileBlobStore(Path(location), tmp_dir)


def open_lock(catalog: Catalog, lock_file: Path) -> WriteLock:
    """The archive write lock for ``catalog``: an advisory lock in a PostgreSQL catalog's database,
    else ``flock`` on ``lock_file`` in the archive home."""
    if is_server_catalog(catalog.location):
        from storage.postgresql.lock import AdvisoryLock

        return AdvisoryLock(catalog.location)
    return FileLock(lock_file)


__all__ = ["Catalog", "BlobStore", "WriteLock", "open_catalog", "open_blobs", "open_lock", "is_server_catalog", "MOVED_TO"]
