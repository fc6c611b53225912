"""`outsafe demo` — the README's first command — runs the whole story and leaves verifiable outputs."""

from __future__ import annotations

import json
import subprocess
import zipfile

import pytest

from cli import main

pytestmark = [pytest.mark.soffice, pytest.mark.slow]


def test_demo_runs_the_whole_story(runner, tmp_path):
    root = tmp_path / "demo"
    r = runner.invoke(main, ["--home", str(root), "demo"])
    assert r.exit_code == 0, r.output[-3000:]
    out = r.output
    for step in ("case add", "package export", "package import", "search", "contractor show", "rectify draft",
                 "evidence export", "verify"):
        assert f" {step}" in out, step
    assert "核验通过 (verified)" in out and "包核验通过 (package verified)" in out
    assert "未加密" in out  # the demo's insecure keys are shown as such
    pkg = root / "outputs" / "报送包-华锐-2026.zip"
    with zipfile.ZipFile(pkg) as z:
        assert any(n.endswith("tagmanifest-sha256.txt.sig") for n in z.namelist())
    evidence = root / "outputs" / "证据包-2026-8"
    assert (evidence / "data" / "evidence" / "证据材料汇编.pdf").stat().st_size > 10_000
    # the package of case 8 is the case's: its party is the enterprise the 告知书/决定书 punish, the
    # bureau's own documents are 本局制作, everything the 告知书 cites is in it
    index = json.loads((evidence / "index.json").read_text(encoding="utf-8"))
    assert index["party"]["uscc"] == "91370100MA3C8K2P9L"
    kinds = [i["type"] for i in index["items"]]
    assert kinds[:2] == ["penalty_decision", "penalty_notice"]
    assert all(i["source"] == "本局制作" for i in index["items"] if i["type"] in ("penalty_decision", "penalty_notice",
                                                                                    "inspection_record", "rectification_order"))
    notice = next(i for i in index["items"] if i["type"] == "penalty_notice")
    assert {c["ref"] for c in index["citations"]} == {"（高新）应急检记〔2026〕52号", "HR-WB-2026-002", "HR-HT-2026-044",
                                                     "HR-AQXY-2026-044", "HR-XGF-JC-2026-011"} and notice
    assert (evidence / "data" / "evidence" / "电子数据提取笔录.pdf").is_file()
    # the bureau found the contractor's hot-work ticket across the enterprise boundary
    assert "DH-2026-0137" in out
    # and the evidence package verifies with the shipped stdlib-only script
    done = subprocess.run(["python3", "verify_proofs.py"], cwd=evidence / "data" / "package", capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_demo_refuses_a_folder_in_use(runner, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file.txt").write_text("x")
    r = runner.invoke(main, ["--home", str(tmp_path / "busy"), "demo"])
    assert r.exit_code == 1 and "empty folder" in r.output
