"""Shared fixtures: a frozen clock, a fresh archive home in tmp_path, the CLI runner, the examples folder."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from archive.clock import CST

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

TODAY_AT = datetime(2026, 11, 29, 10, 0, tzinfo=CST)
"""The moment every test starts at, whatever the machine's clock says: the examples and factories
are dated in the 2026 campaign, and several tests judge them ``--as-of 2026-11-29``. The clock
ticks from there (locks and timeouts use time.monotonic(), which is not moved)."""


@pytest.fixture(scope="session", autouse=True)
def _frozen_session_clock():
    """The archives built once per test process (session fixtures) are made on that day too."""
    with time_machine.travel(TODAY_AT, tick=True):
        yield


@pytest.fixture(autouse=True)
def _frozen_clock(_frozen_session_clock):
    """Each test starts at :data:`TODAY_AT` (China time)."""
    with time_machine.travel(TODAY_AT, tick=True):
        yield


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test may touch the user's real archive or keys."""
    monkeypatch.setenv("OUTSAFE_HOME", str(tmp_path / "default-home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    yield


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "archive"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def basic_files(tmp_path) -> dict[str, Path]:
    from tests import factories

    return factories.basic_set(tmp_path / "in")


def build_basic_archive(home: Path, files: dict[str, Path], *, pdf: bool = True):
    from archive.app import Archive

    a = Archive.create(home, files["enterprise"])
    a.add_files([files["bureau"], files["contractor"]], pdf=pdf)
    a.add_files([files["welder"]], pdf=pdf)
    a.add_files([files["project"]], pdf=pdf)
    a.add_files([files["agreement"], files["training"], files["ticket"]], pdf=pdf)
    return a


@pytest.fixture(scope="session")
def _basic_archive_template(tmp_path_factory):
    """Built once per test process (LibreOffice is slow to start): an archive with rendered .docx and
    .pdf files. Tests get a private copy."""
    from tests import factories

    root = tmp_path_factory.mktemp("basic-archive")
    os.environ.setdefault("OUTSAFE_PASSPHRASE", "test-passphrase")
    files = factories.basic_set(root / "in")
    a = build_basic_archive(root / "archive", files)
    a.close()
    return root


@pytest.fixture
def arc(tmp_path, _basic_archive_template, monkeypatch):
    """An archive owned by the enterprise with a bureau, a contractor, a welder and a project
    registered, and a safety agreement and a hot-work ticket added (with .docx and .pdf)."""
    import shutil

    from archive.app import Archive

    shutil.copytree(_basic_archive_template, tmp_path / "copy", symlinks=True)
    a = Archive.open(tmp_path / "copy" / "archive")
    yield a
    a.close()


@pytest.fixture(scope="session")
def _world_template(tmp_path_factory, _basic_archive_template):
    """The web tests' district (tests/web_world.py): two enterprises and the bureau, built once per
    test process; tests take copies (tests/web/conftest.py, tests/browser/conftest.py)."""
    from tests import web_world

    return web_world.build(tmp_path_factory.mktemp("web-world") / "world", _basic_archive_template)
