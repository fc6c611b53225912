"""Shared fixtures: a fresh archive home in tmp_path, the CLI runner, the examples folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


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


@pytest.fixture
def arc(home, basic_files):
    """An archive owned by the enterprise with a bureau, a contractor, a welder and a project
    registered, and a safety agreement and a hot-work ticket added."""
    from archive.app import Archive

    a = Archive.create(home, basic_files["enterprise"])
    a.add_files([basic_files["bureau"], basic_files["contractor"]])
    a.add_files([basic_files["welder"]])
    a.add_files([basic_files["project"]])
    a.add_files([basic_files["agreement"], basic_files["ticket"]])
    yield a
    a.close()
