"""Durable state: the archive home, the catalog, the content-addressed blob store, the lock.

Knows nothing about documents, and imports nothing of the engine (``archive/``) that builds on it.
Every SQL statement of outsafe lives in this package.

    interfaces.py   the storage interfaces (typing.Protocol), one per concern: Catalog =
                    RecordCatalog + RecordFeed + UnitOfWork, with its LedgerStore and PackageBook
    rows.py         the typed rows that cross those interfaces
    catalog.py      open_catalog(location): picks the backend for a location
    sqlite/         the SQLite backend (default); a second backend (PostgreSQL, issue 17) is a
                    sibling folder implementing the same interfaces, added to open_catalog and
                    to the backend fixture of tests/storage_contract/ (the conformance suite)
    errors.py       StorageError, the one error class raised here
    home.py         the archive home folder and its named paths; atomic writes
    blobs.py        the content-addressed blob store (files)
    lock.py         the archive write lock (flock; one writer, others wait)
"""
