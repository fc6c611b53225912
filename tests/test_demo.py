"""`outsafe demo` — the README's first command — runs the whole story and leaves verifiable outputs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
import zipfile

import pytest

from archive import demo as demo_story
from cli import main

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.soffice, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo, run once for the module: (its output, its folder)."""
    from click.testing import CliRunner

    root = tmp_path_factory.mktemp("demo") / "demo"
    r = CliRunner().invoke(main, ["--home", str(root), "demo"])
    assert r.exit_code == 0, r.output[-3000:]
    return r.output, root


def test_demo_runs_the_whole_story(demo):
    out, root = demo
    for step in ("case add", "package export", "package import", "search", "contractor show", "rectify draft",
                 "report ledger", "report summary", "evidence export", "verify"):
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


def test_demo_documents_pass_the_layout_check(demo):
    """What the demo hands an officer: the enterprise's 附件2, the bureau's 监管台账 and 工作总结报告,
    the evidence package's 证据清单 and 电子数据提取笔录 (the 证据材料汇编 gathers documents checked
    with their examples; each of its pages carries its stamp)."""
    import re

    from pypdf import PdfReader

    from archive.documents.layout import check_layout, check_text

    _, root = demo
    out = root / "outputs"
    reports = sorted((out / "reports").glob("*.pdf")) + sorted((out / "reports-bureau").glob("*.pdf"))
    assert {p.name.split("-")[0] for p in reports} == {"附件2", "外包作业队伍监管台账", "工作总结报告"}
    evidence = out / "证据包-2026-8" / "data" / "evidence"
    bad = {}
    for pdf in reports + [evidence / "证据清单.pdf", evidence / "电子数据提取笔录.pdf"]:
        data = pdf.read_bytes()
        problems = check_layout(data) + check_text(data, file_names=pdf.name == "电子数据提取笔录.pdf")
        if problems:
            bad[pdf.name] = [p.line() for p in problems]
    assert bad == {}
    # the signatures are never on a page of their own: the last row of the list comes with them
    from archive.documents.layout import page_texts

    listing = page_texts((evidence / "证据清单.pdf").read_bytes())
    index = json.loads((out / "证据包-2026-8" / "index.json").read_text(encoding="utf-8"))
    last = index["items"][-1]
    signed = [t for t in listing if "收集人（执法人员）" in t]
    assert len(signed) == 1 and last["name"].split()[-1] in signed[0] and last["page_range"] in signed[0]
    extraction = page_texts((evidence / "电子数据提取笔录.pdf").read_bytes())
    assert "seal.sig" in next(t for t in extraction if "提取人" in t and "当事人（或其委托代理人）" in t)
    compiled = PdfReader(str(evidence / "证据材料汇编.pdf"))
    stamps = [re.findall(r"(?:证据\d+|封面) 第\d+页 / 共\d+页", page.extract_text() or "") for page in compiled.pages]
    assert all(len(s) == 1 for s in stamps), stamps


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


# --- every command's --json masks 身份证号 exactly as its text does (issue 12 item 7) ----------------

ENTERPRISE, LUZHONG, HENGAN = "91370100MA3C8K2P9L", "91370105MA3DK8W41C", "91370112MA3F7R1K8F"
INSPECTED = demo_story.INSPECTED


def _full_ids() -> set[str]:
    """Every 身份证号 (and certificate number) of the sample people, in clear."""
    import re

    from schemas import read_case_file

    out = set()
    for p in (ROOT / "examples" / "persons").glob("*.yaml"):
        text = p.read_text(encoding="utf-8")
        out |= set(re.findall(r"\b\d{17}[\dX]\b", text))
        data = read_case_file(p)
        out.add(data["id_number"])
    return out


def _invocations(root: Path, tmp: Path, pg_url: str) -> dict[str, list[list[str]]]:
    """For every command that takes --json: how it is run here (ent = the enterprise archive,
    bur = the bureau's); writes go to copies or to tmp."""
    ex, out = ROOT / "examples", root / "outputs"
    ent, bur = str(root / "enterprise-archive"), str(root / "bureau-archive")
    import json as _json
    import shutil

    wtmp = tmp / "w"
    ent2, bur2 = str(wtmp / "ent"), str(wtmp / "bur")
    shutil.copytree(ent, ent2, symlinks=True)
    shutil.copytree(bur, bur2, symlinks=True)
    shutil.copytree(ent, wtmp / "ent-moved", symlinks=True)
    listed = _json.loads(CliRunner_invoke(["--home", ent, "case", "list", "--json"]))
    rec = listed[0]["id"]
    training = next(r["id"] for r in listed if r["doc_no"] == "HR-SJJY-2026-004")
    import yaml

    from schemas import read_case_file

    changed = read_case_file(ex / "cases" / "training-004-wu-qiang.yaml")
    changed["levels"][0]["hours"] = changed["levels"][0]["hours"] + 1
    (tmp / "cases").mkdir()
    (tmp / "cases" / "training-004.yaml").write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    for sub in ("signatures",):
        shutil.copytree(ex / "cases" / sub, tmp / "cases" / sub)
    order_no = _json.loads(CliRunner_invoke(["--home", bur, "case", "list", "--type", "rectification_order", "--json"]))[0]["doc_no"]
    bl = _json.loads(CliRunner_invoke(["--home", ent, "blacklist", "list", "--all", "--json"]))
    entry = next((x["entry_no"] for x in bl if x.get("state") == "active"), bl[0]["entry_no"] if bl else "HMD-2026-001")
    pub = str(out / "enterprise.pub.pem")
    fp = _json.loads(CliRunner_invoke(["--home", ent, "keys", "show", "--json"]))["fingerprint"]
    welder = str(ex / "persons" / "hengan-wu-qiang.yaml")
    banks = sorted(str(p) for p in (ex / "training").glob("*.yaml"))
    return {
        "blacklist add": [["--home", ent2, "blacklist", "add", "--subject", LUZHONG, "--trigger", "其他", "--facts", "测试",
                           "-o", str(tmp / "bl.yaml"), "--no-add"]],
        "blacklist list": [["--home", ent, "blacklist", "list", "--all"]],
        "blacklist remove": [["--home", ent2, "blacklist", "remove", entry, "--kind", "撤销列入", "--reason", "测试",
                              "-o", str(tmp / "blr.yaml"), "--no-add"]],
        "campaign status": [["--home", ent, "campaign", "status", "--as-of", "2026-11-29"], ["--home", bur, "campaign", "status"]],
        "case add": [["--home", ent2, "case", "add", str(ex / "cases" / "training-004-wu-qiang.yaml"), "--no-pdf"]],
        "case list": [["--home", ent, "case", "list", "--all"], ["--home", bur, "case", "list"]],
        "case show": [["--home", ent, "case", "show", rec]] + [["--home", bur, "case", "show", r["id"]]
                                                               for r in _json.loads(CliRunner_invoke(["--home", bur, "case", "list", "--json"]))[:40]],
        "case supersede": [["--home", ent2, "case", "supersede", training, str(tmp / "cases" / "training-004.yaml"),
                            "--reason", "测试", "--no-pdf"]],
        "case validate": [["--home", ent, "case", "validate", str(ex / "cases"), str(ex / "invalid")]],
        "check": [["--home", ent, "check", "--as-of", "2026-11-29"], ["--home", bur, "check", "--as-of", "2026-11-29"]],
        "contractor show": [["--home", bur, "contractor", "show", c] for c in (LUZHONG, HENGAN)],
        "facts rebuild": [["--home", ent2, "facts", "rebuild"]],
        "evidence export": [["--home", bur2, "evidence", "export", "--case-no", "（高新）应急立〔2026〕8号", "-o", str(tmp / "ev")]],
        "import xlsx": [["--home", ent2, "import", "xlsx", str(tmp / "roster.xlsx"), "--kind", "persons", "--check"]],
        "index check": [["--home", ent, "index", "check"]],
        "index rebuild": [["--home", ent2, "index", "rebuild"]],
        "init": [["--home", str(tmp / "new"), "init", "--org", str(ex / "organizations" / "enterprise.yaml"), "--no-pdf"]],
        "keys show": [["--home", ent, "keys", "show"]],
        "ledger consistency": [["--home", ent, "ledger", "consistency", "1"]],
        "ledger proof": [["--home", ent, "ledger", "proof", rec]],
        "ledger show": [["--home", ent, "ledger", "show"]],
        "migrate": [["--home", str(wtmp / "ent-moved"), "migrate", "--to", pg_url]],  # a copy of its own (ent2 stays)
        "org add": [["--home", ent2, "org", "add", str(ex / "organizations"), "--no-pdf"]],
        "org list": [["--home", ent, "org", "list"], ["--home", bur, "org", "list"]],
        "org show": [["--home", ent, "org", "show", c] for c in (ENTERPRISE, LUZHONG, HENGAN)],
        "org trust": [["--home", bur2, "org", "trust", ENTERPRISE, "--key", pub, "--fingerprint", fp]],
        "package export": [["--home", ent2, "package", "export", "-o", str(tmp / "pkg")]],
        "package import": [["--home", bur2, "package", "import", str(out / "报送包-华锐-2026.zip")]],
        "package verify": [["--home", bur, "package", "verify", str(out / "报送包-华锐-2026.zip")]],
        "person add": [["--home", ent2, "person", "add", welder, "--no-pdf"]],
        "person list": [["--home", ent, "person", "list"], ["--home", bur, "person", "list"]],
        "project add": [["--home", ent2, "project", "add", str(ex / "projects"), "--no-pdf"]],
        "project list": [["--home", ent, "project", "list"]],
        "rectify articles": [["rectify", "articles"]],
        "rectify draft": [["--home", bur2, "rectify", "draft", "--enterprise", ENTERPRISE, "--as-of", INSPECTED,
                           "-o", str(tmp / "order.yaml")]],
        "rectify penalty-draft": [["--home", bur2, "rectify", "penalty-draft", "--case-no", "（高新）应急立〔2026〕8号",
                                   "--stage", "decision", "-o", str(tmp / "decision.yaml")]],
        "rectify review-draft": [["--home", bur2, "rectify", "review-draft", order_no, "-o", str(tmp / "review.yaml")]],
        "rectify status": [["--home", bur, "rectify", "status", "--as-of", "2026-11-29"]],
        "report": [["--home", ent2, "report", k, "--as-of", "2026-11-29", "--no-pdf", "-o", str(tmp / "r")]
                   for k in ("attachment2", "self-check")] + [["--home", bur2, "report", "ledger", "--as-of", "2026-11-29",
                                                                "--no-pdf", "-o", str(tmp / "r")]],
        "search": [["--home", bur, "search", q] for q in ("动火", "吴强", "370112", "特种作业操作证")],
        "settings show": [["--home", ent, "settings", "show"]],
        "templates check": [["templates", "check"]],
        "templates list": [["templates", "list"]],
        "views prepare": [["--home", bur, "views", "prepare"], ["--home", ent, "views", "prepare", "--as-of", "2026-11-29"]],
        "verify": [["--home", ent, "verify"], ["--home", bur, "verify"], ["--home", bur, "verify", "--lint"]],
        "user add": [["--home", ent2, "user", "add", "wang", "--role", "enterprise_viewer", "--org", ENTERPRISE]],
        "user passwd": [["--home", ent2, "user", "passwd", "wang"]],
        "user disable": [["--home", ent2, "user", "disable", "wang"]],
        "user enable": [["--home", ent2, "user", "enable", "wang"]],
        "user link": [["--home", ent2, "user", "link", "wang", "--person", "370102197608150036"],
                      ["--home", ent2, "user", "link", "wang", "--none"]],
        "user list": [["--home", ent, "user", "list"], ["--home", bur, "user", "list"]],
        "audit list": [["--home", ent, "audit", "list"], ["--home", bur, "audit", "list"]],
        "exam bank check": [["--home", ent, "exam", "bank", "check", *banks]],
        "exam bank add": [["--home", ent2, "exam", "bank", "add", *banks]],
        "exam bank list": [["--home", ent2, "exam", "bank", "list"]],
        "exam results": [["--home", ent, "exam", "results"]],
        "remind": [["--home", ent, "remind", "--as-of", "2026-11-29", "--days", "90"],
                   ["--home", bur, "remind", "--as-of", "2026-11-29"]],
    }


def CliRunner_invoke(argv: list[str]) -> str:
    from click.testing import CliRunner

    r = CliRunner().invoke(main, argv)
    assert r.stdout.strip(), (argv, r.stderr[-2000:])
    return r.stdout


def test_every_commands_json_masks_id_numbers(demo, tmp_path, pg_cluster):
    import json as _json

    import click

    _out, root = demo
    CliRunner_invoke(["import", "template", "persons", "-o", str(tmp_path / "roster.xlsx")])
    table = _invocations(root, tmp_path, pg_cluster.new_schema("demo"))

    def json_commands(cmd, path=()):
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from json_commands(sub, (*path, name))
        elif any(p.name == "as_json" for p in cmd.params):
            yield " ".join(path)

    assert sorted(json_commands(main)) == sorted(table), "every command with --json is exercised here"
    ids = _full_ids()
    assert len(ids) >= 18
    leaked = []
    for name, runs in table.items():
        for argv in runs:
            out = CliRunner_invoke([*argv, "--json"])
            _json.loads(out)
            leaked += [(name, i) for i in ids if i in out]
    assert leaked == []
