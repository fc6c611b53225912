"""The storage conformance suite: every catalog backend passes these tests unchanged.

A backend takes part by adding a harness to :data:`BACKENDS`. A harness knows how to make a new,
empty catalog of its kind and how to reach under the interfaces for the few things the
interfaces rightly do not offer (running a raw statement, to show the database itself refuses
to alter an immutable row; setting the schema version, to show a newer catalog is refused):

    class PostgresBackend:
        name = "postgresql"
        refused = psycopg.Error                # what the driver raises for a refused statement
        def new(self, tmp_path): …             # a fresh database (version 0) on the test cluster
        def reopen(self, catalog, *, readonly=False): …   # a second connection to it
        def execute_raw(self, catalog, sql): … # one literal SQL statement, outside a transaction
        def set_version(self, catalog, version): …

The PostgreSQL harness runs on the throw-away cluster of the ``pg_cluster`` fixture
(tests/services.py): each test gets a database schema of its own.

test_interfaces.py checks that the backend has every member of every interface with the same
parameters; the other files test what each interface promises.

The raw statements the suite runs are plain SQL with literals (``UPDATE records SET title='x'``),
valid on SQLite and PostgreSQL alike, against the table names both backends share.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from storage.catalog import open_catalog
from storage.interfaces import Catalog


class SqliteBackend:
    name = "sqlite"
    refused = sqlite3.DatabaseError

    def new(self, tmp_path: Path) -> Catalog:
        tmp_path.mkdir(parents=True, exist_ok=True)
        return open_catalog(tmp_path / "catalog.sqlite3", create=True)

    def reopen(self, catalog: Catalog, *, readonly: bool = False) -> Catalog:
        return open_catalog(catalog.location, readonly=readonly)

    def execute_raw(self, catalog: Catalog, sql: str) -> None:
        catalog.db.execute(sql)  # type: ignore[attr-defined]

    def set_version(self, catalog: Catalog, version: int) -> None:
        catalog.db.execute(f"PRAGMA user_version={int(version)}")  # type: ignore[attr-defined]


class PostgresBackend:
    name = "postgresql"
    refused = psycopg.Error

    def __init__(self, cluster=None) -> None:
        self.cluster = cluster  # tests.services.PostgresCluster, given by the fixture

    def new(self, tmp_path: Path) -> Catalog:
        return open_catalog(self.cluster.new_schema("contract"), create=True)

    def reopen(self, catalog: Catalog, *, readonly: bool = False) -> Catalog:
        return open_catalog(catalog.location, readonly=readonly)

    def execute_raw(self, catalog: Catalog, sql: str) -> None:
        with psycopg.connect(catalog.location, autocommit=True) as conn:
            conn.execute(sql)

    def set_version(self, catalog: Catalog, version: int) -> None:
        self.execute_raw(catalog, f"UPDATE schema_version SET version = {int(version)}")


BACKENDS = [SqliteBackend(), PostgresBackend()]


@pytest.fixture(params=BACKENDS, ids=lambda b: b.name)
def backend(request):
    if isinstance(request.param, PostgresBackend):
        return PostgresBackend(request.getfixturevalue("pg_cluster"))
    return request.param


@pytest.fixture
def empty(backend, tmp_path):
    """A new catalog with no schema yet (version 0)."""
    c = backend.new(tmp_path)
    yield c
    c.close()


@pytest.fixture
def catalog(empty):
    """A new catalog at the latest schema version."""
    empty.migrate()
    return empty


@pytest.fixture
def second(backend, catalog):
    """A second connection to ``catalog`` (another process would see what this one sees)."""
    c = backend.reopen(catalog)
    yield c
    c.close()
