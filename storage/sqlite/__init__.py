"""The SQLite backend (the default: one file in the archive home).

    connection.py   one sqlite3 connection: pragmas, BEGIN IMMEDIATE transactions, error wrapping
    migrations.py   the schema, as forward migrations (PRAGMA user_version)
    catalog.py      SqliteCatalog: records, files, feed, registry, meta; holds the two stores below
    ledger.py       SqliteLedgerStore: ledger leaves and checkpoints
    packages.py     SqlitePackageBook: witnessed checkpoints, imported proofs, the package log
    facts.py        SqliteFactStore: the facts of the views (derived, rebuildable) and the lint
    access.py       SqliteAccountStore (web accounts, sessions, sign-in attempts), SqliteAccessLog
"""

from storage.sqlite.catalog import SqliteCatalog

__all__ = ["SqliteCatalog"]
