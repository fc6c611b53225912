"""`outsafe package export|verify|import`, `outsafe org trust` and `outsafe evidence export` through
click's CliRunner: exit codes and the lines a user sees."""

from __future__ import annotations

import contextlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from archive.integrity import keys
from cli import main
from tests.factories import CONTRACTOR, ENTERPRISE
from tests.test_packages import payload_docx, clone, dump
from tests.test_packages import templates  # noqa: F401  (a fixture, used by `homes`)


def run(runner, home: Path | None, *args: str):
    base = ["--home", str(home)] if home is not None else []
    return runner.invoke(main, [*base, *args])


@pytest.fixture
def homes(templates, tmp_path):  # noqa: F811  (the imported fixture)
    for name, dest in (("ent", "ent"), ("bur", "bur"), ("bur0", "bur0")):
        clone(templates, name, tmp_path / dest).close()
    return tmp_path / "ent", tmp_path / "bur", tmp_path / "bur0"


def test_export_verify_import_cycle(runner, homes, tmp_path):
    ent, bur, _ = homes
    r = run(runner, ent, "package", "export", "-o", str(tmp_path / "sub"), "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["kind"] == "submission" and info["records"] == 7 and len(info["tagmanifest_sha256"]) == 64
    r = run(runner, None, "package", "verify", str(tmp_path / "sub"))
    assert r.exit_code == 0, r.output
    assert "包核验通过" in r.output and info["fingerprint"] in r.output
    r = run(runner, bur, "package", "import", str(tmp_path / "sub"))
    assert r.exit_code == 0, r.output
    assert "已导入" in r.output and "7 条新记录" in r.output and f"{ENTERPRISE}/" in r.output
    r = run(runner, bur, "package", "import", str(tmp_path / "sub"))
    assert r.exit_code == 0 and "已导入过" in r.output
    r = run(runner, bur, "verify")
    assert r.exit_code == 0, r.output
    r = run(runner, bur, "case", "list", "--contractor", CONTRACTOR, "--json")
    assert {x["origin"] for x in json.loads(r.stdout)} == {ENTERPRISE}


def test_zip_export(runner, homes, tmp_path):
    ent, _, _ = homes
    r = run(runner, ent, "package", "export", "-o", str(tmp_path / "sub"), "--zip", "--since", "2026-05-01")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "sub.zip").is_file() and "sub.zip" in r.output
    r = run(runner, None, "package", "verify", str(tmp_path / "sub.zip"), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["ok"] is True


def test_tampered_package_exits_3_naming_the_file(runner, homes, tmp_path):
    ent, bur, _ = homes
    run(runner, ent, "package", "export", "-o", str(tmp_path / "sub"))
    payload_docx(tmp_path / "sub")
    r = run(runner, None, "package", "verify", str(tmp_path / "sub"))
    assert r.exit_code == 3
    assert r.stderr.splitlines()[0].startswith("包核验未通过")
    assert "files/docx-" in r.stderr and "摘要与清单不符" in r.stderr
    r = run(runner, None, "package", "verify", str(tmp_path / "sub"), "--json")
    assert r.exit_code == 3 and json.loads(r.stdout)["ok"] is False
    r = run(runner, bur, "package", "import", str(tmp_path / "sub"))
    assert r.exit_code == 3 and "未导入任何内容" in r.stderr


def test_unregistered_signer_exits_3_with_the_fix(runner, homes, tmp_path):
    ent, _, bur0 = homes
    run(runner, ent, "package", "export", "-o", str(tmp_path / "sub"))
    r = run(runner, bur0, "package", "import", str(tmp_path / "sub"))
    assert r.exit_code == 3
    lines = r.stderr.splitlines()
    assert lines[0].startswith("拒绝导入：签名单位未登记")
    assert lines[-1].startswith("→ 核实指纹后登记：outsafe org trust " + ENTERPRISE)


def test_org_trust(runner, homes, tmp_path):
    ent, _, bur0 = homes
    pem = tmp_path / "ent.pub.pem"
    r = run(runner, ent, "keys", "export-public", "-o", str(pem))
    assert r.exit_code == 0
    fp = keys.fingerprint(keys.load_public_pem(pem.read_bytes()))
    r = run(runner, bur0, "org", "trust", ENTERPRISE, "--key", str(pem), "--fingerprint", "ab" * 32)
    assert r.exit_code == 1 and "指纹不符" in r.stderr
    r = run(runner, bur0, "org", "trust", ENTERPRISE, "--key", str(pem), "--fingerprint", fp)
    assert r.exit_code == 0 and "已登记公钥" in r.output
    run(runner, ent, "package", "export", "-o", str(tmp_path / "sub"))
    r = run(runner, bur0, "package", "import", str(tmp_path / "sub"), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["records_new"] == 7


def test_export_refusals(runner, homes, tmp_path):
    ent, _, _ = homes
    (tmp_path / "taken").mkdir()
    r = run(runner, ent, "package", "export", "-o", str(tmp_path / "taken"))
    assert r.exit_code == 1 and "已存在" in r.stderr
    r = run(runner, ent, "package", "export", "-o", str(tmp_path / "x"), "--since", "2026-06-01", "--until", "2026-05-01")
    assert r.exit_code == 1 and "晚于" in r.stderr
    r = run(runner, ent, "package", "export", "-o", str(tmp_path / "x"), "--since", "2030-01-01")
    assert r.exit_code == 1 and "没有可报送的记录" in r.stderr
    r = run(runner, ent, "package", "export", "-o", str(tmp_path / "x"), "--since", "2026-13-01")
    assert r.exit_code == 2


def test_unsafe_zip_exits_3_and_changes_nothing(runner, homes, tmp_path):
    ent, bur, _ = homes
    run(runner, ent, "package", "export", "-o", str(tmp_path / "sub"))
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted((tmp_path / "sub").rglob("*")):
            if p.is_file():
                zf.write(p, "sub/" + p.relative_to(tmp_path / "sub").as_posix())
        zf.writestr("sub/../../evil.txt", b"x")
    r = run(runner, None, "package", "verify", str(z))
    assert r.exit_code == 3 and "包路径不安全" in r.stderr and "evil.txt" in r.stderr
    from archive.app import Archive
    from tests.test_packages import PW

    a = Archive.open(bur, passphrase=PW)
    before = dump(a)
    a.close()
    r = run(runner, bur, "package", "import", str(z))
    assert r.exit_code == 3
    a = Archive.open(bur, passphrase=PW)
    assert dump(a) == before
    a.close()


@pytest.mark.soffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_evidence_export(runner, homes, tmp_path):
    ent, bur, _ = homes
    run(runner, ent, "package", "export", "-o", str(tmp_path / "sub"))
    assert run(runner, bur, "package", "import", str(tmp_path / "sub")).exit_code == 0
    r = run(runner, bur, "evidence", "export", "--party", "91370105MA3DK8W41C", "--case-no", "X", "-o", str(tmp_path / "e0"))
    assert r.exit_code == 1 and "未登记" in r.stderr
    r = run(runner, bur, "evidence", "export", "--case-no", "X", "-o", str(tmp_path / "e1"))
    assert r.exit_code == 1 and "--party" in r.stderr  # a case without 告知书/决定书 needs its party named
    ids = [x["id"] for x in json.loads(run(runner, bur, "case", "list", "--json").stdout) if x["type"] in ("safety_agreement", "work_ticket")]
    r = run(runner, bur, "evidence", "export", "--party", CONTRACTOR, "--case-no", "（高新）应急立〔2026〕12号",
            *[a for i in ids for a in ("--record", i)], "-o", str(tmp_path / "ev"), "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["kind"] == "evidence" and info["items"] == len(ids) >= 2 and info["pages"] >= info["items"]
    r = run(runner, None, "package", "verify", str(tmp_path / "ev"))
    assert r.exit_code == 0, r.output


def test_a_package_of_hostile_shape_exits_3_naming_it_and_import_changes_nothing(runner, homes, tmp_path):
    """A file where a folder of origins belongs was a traceback of verify and of import."""
    ent, bur, _ = homes
    run(runner, ent, "package", "export", "-o", str(tmp_path / "sub"))
    (tmp_path / "sub" / "data" / "records" / "junk").write_text("x", encoding="utf-8")
    r = run(runner, None, "package", "verify", str(tmp_path / "sub"))
    assert r.exit_code == 3 and "Traceback" not in r.output
    assert r.stderr.splitlines()[0].startswith("包核验未通过") and "data/records/junk: 应为目录 (a folder expected here)" in r.stderr
    from archive.app import Archive
    from tests.test_packages import PW

    with contextlib.closing(Archive.open(bur, passphrase=PW)) as a:
        before = dump(a)
    r = run(runner, bur, "package", "import", str(tmp_path / "sub"))
    assert r.exit_code == 3 and "未导入任何内容" in r.stderr and "data/records/junk: 应为目录" in r.stderr
    with contextlib.closing(Archive.open(bur, passphrase=PW)) as a:
        assert dump(a) == before
