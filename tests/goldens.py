"""Golden files of document text: compared exactly; ``UPDATE_GOLDENS=1`` rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"


def assert_matches_golden(path: Path, actual: str, *, rerun: str) -> None:
    """``actual`` equals the golden file at ``path``; a missing golden is written and the test fails
    so that it is reviewed; ``rerun`` names the test file for the update hint."""
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden {path.name} was missing and has been written; review it and run again")
        return
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs; if intended: UPDATE_GOLDENS=1 pytest {rerun}"
