"""Fixtures of the web tests: the district of tests/web_world.py (built once per test process,
private copies per module or test), a Starlette TestClient per archive, signing in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from archive.app import Archive
from tests import web_world
from web.server import create_app


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory, _world_template) -> dict[str, Path]:
    """A copy shared by the tests of one module (for tests that only read)."""
    return web_world.copy(_world_template, tmp_path_factory.mktemp("shared") / "world")


@pytest.fixture
def world(tmp_path, _world_template) -> dict[str, Path]:
    """A private copy for one test (for tests that write: uploads, exports, accounts)."""
    return web_world.copy(_world_template, tmp_path / "world")


@contextmanager
def client(home: Path, **kw) -> Iterator[TestClient]:
    app = create_app(home, **kw)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def login(c: TestClient, name: str, password: str = web_world.PASSWORD, *, expect: int = 303) -> object:
    page = c.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": name, "password": password, "nonce": nonce, "next": "/"})
    assert r.status_code == expect, r.text[:2000]
    return r


def csrf(c: TestClient) -> str:
    """The session's form token, as every signed-in page carries it (the sign-out form)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/blacklist").text).group(1)


def records_of(home: Path, belongs_to: str, type_: str | None = None) -> list[dict]:
    a = Archive.open(home)
    try:
        return a.catalog.list_records(belongs_to=belongs_to, types=[type_] if type_ else ())
    finally:
        a.close()
