"""Durable state: the archive home, the catalog, the content-addressed blob store, the lock.

Knows nothing about documents, and imports nothing of the engine (``archive/``) that builds on it.
Every SQL statement of outsafe lives in this package.

    interfaces.py   the storage interfaces (typing.Protocol), one per concern: Catalog =
                    RecordCatalog + RecordFeed + UnitOfWork, with its LedgerStore and PackageBook;
                    BlobStore; WriteLock
    rows.py         the typed rows that cross those interfaces
    catalog.py      open_catalog / open_blobs / open_lock: pick the backend for a location
    sqlite/         the SQLite catalog (default: one file in the home)
    postgresql/     the PostgreSQL catalog (``postgresql://…``), its advisory write lock
    blobs.py        the content-addressed blob store in a folder (default)
    s3.py           the blob store in an S3-compatible bucket (``s3://bucket/prefix``)
    lock.py         the archive write lock on one machine (flock; one writer, others wait)
    errors.py       StorageError, the one error class raised here
    home.py         the archive home folder, its named paths, where its catalog and blobs live;
                    atomic writes
    staging.py      claimed temp folders, removed when their process dies
    faults.py       crash points for the fault suite

Every backend passes one conformance suite: tests/storage_contract/ (catalogs: SQLite and a real
PostgreSQL) and tests/blob_contract/ (blob stores: a folder and a real S3 API).
"""
