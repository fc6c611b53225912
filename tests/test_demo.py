"""`outsafe demo` — the README's first command — runs the whole story and leaves verifiable outputs."""

from __future__ import annotations

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
    evidence = root / "outputs" / "证据包-鲁中-2026-8"
    assert (evidence / "data" / "evidence" / "证据材料汇编.pdf").stat().st_size > 10_000
    # the bureau found the contractor's hot-work ticket across the enterprise boundary
    assert "DH-2026-0137" in out
    # it ends by saying how to open both archives in a browser, with the demo's web accounts
    assert f"outsafe --home {root / 'enterprise-archive'} serve --port 8080" in out
    assert f"outsafe --home {root / 'bureau-archive'} serve --port 8081" in out
    assert "用户 (user) anquan（企业安全员）" in out and "用户 (user) zhifa（执法人员）" in out
    password = out.split("用户 (user) zhifa（执法人员）  一次性密码 (password) ")[1].split()[0]
    from archive.access.signin import sign_in, viewer_for
    from archive.app import Archive

    bureau = Archive.open(root / "bureau-archive")
    try:
        assert viewer_for(bureau, sign_in(bureau, "zhifa", password)).can("export_evidence")
    finally:
        bureau.close()
    # and the evidence package verifies with the shipped stdlib-only script
    done = subprocess.run(["python3", "verify_proofs.py"], cwd=evidence / "data" / "package", capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_demo_refuses_a_folder_in_use(runner, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file.txt").write_text("x")
    r = runner.invoke(main, ["--home", str(tmp_path / "busy"), "demo"])
    assert r.exit_code == 1 and "empty folder" in r.output


def test_demo_takes_its_folder_after_the_command_too(runner, tmp_path):
    """`outsafe demo --home DIR` (DESIGN.md's form) means the same as `outsafe --home DIR demo`."""
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file.txt").write_text("x")
    before = runner.invoke(main, ["--home", str(tmp_path / "busy"), "demo"])
    after = runner.invoke(main, ["demo", "--home", str(tmp_path / "busy")])
    assert after.exit_code == before.exit_code == 1 and after.output == before.output and "不是空目录" in after.output
