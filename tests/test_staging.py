"""storage.staging: work in progress that outlives no process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from storage import staging

ROOT = Path(__file__).resolve().parent.parent


def test_release_removes_what_was_claimed(tmp_path):
    tmp = tmp_path / "tmp"
    work = tmp / "import-1"
    with staging.claim(tmp, work):
        work.mkdir(parents=True)
        (work / "a.json").write_text("{}")
    assert not work.exists() and not list((tmp / staging.CLAIMS).iterdir())


def test_a_killed_processs_claim_is_cleaned_by_the_next_and_a_live_one_is_not(tmp_path):
    tmp = tmp_path / "tmp"
    out = tmp_path / "out"
    out.mkdir()
    partial = out / ".pkg.partial-abcd"
    code = (
        "import os, signal, sys; from pathlib import Path; from storage import staging;"
        f"c = staging.claim(Path({str(tmp)!r}), Path({str(partial)!r})); Path({str(partial)!r}).mkdir();"
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT)
    assert r.returncode == -signal.SIGKILL and partial.is_dir()
    live_dir = tmp / "import-live"
    with staging.claim(tmp, live_dir):
        live_dir.mkdir(parents=True)
        assert staging.clean_stale(tmp) == [partial]
        assert not partial.exists() and live_dir.is_dir()
    assert not live_dir.exists()


def test_a_damaged_marker_cannot_make_cleaning_delete_anything_else(tmp_path):
    tmp = tmp_path / "tmp"
    victim = tmp_path / "important"
    victim.mkdir()
    (tmp / staging.CLAIMS).mkdir(parents=True)
    (tmp / staging.CLAIMS / "1-x.json").write_text(json.dumps([str(victim), "/etc"]))
    assert staging.clean_stale(tmp) == []
    assert victim.is_dir() and os.path.isdir("/etc")
