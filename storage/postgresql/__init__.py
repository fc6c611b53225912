"""The PostgreSQL backend (``catalog = "postgresql://…"``): several processes on several machines
write one archive; the conformance suite of ``tests/storage_contract/`` passes unchanged.

    connection.py   one psycopg 3 connection: transactions serialised by an advisory lock, error wrapping
    migrations.py   the schema, as forward migrations (table ``schema_version``), triggers and privileges
    catalog.py      PostgresCatalog: records, files, feed, registry, meta; holds the stores below
    ledger.py       PostgresLedgerStore: ledger leaves and checkpoints
    packages.py     PostgresPackageBook: witnessed checkpoints, imported proofs, the package log
    access.py       PostgresAccountStore and PostgresAccessLog: web accounts, sessions, the access log
    lock.py         AdvisoryLock: the archive write lock as a PostgreSQL advisory lock

A new concern is one more migration in ``migrations.py`` and one small class beside ``ledger.py``
sharing the catalog's Connection.
"""

from storage.postgresql.catalog import PostgresCatalog

__all__ = ["PostgresCatalog"]
