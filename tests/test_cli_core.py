"""The foundation commands through CliRunner: success and each failure, exit codes, --json,
masking; and two real writer processes at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archive.app import Archive
from cli import main
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
OUTSAFE = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())"]


def run(runner, home, *args):
    """Commands that render skip LibreOffice here (--no-pdf): these tests are about the command
    line; PDFs are tested in test_pdf, test_render, test_verify and test_examples."""
    args = [str(a) for a in args]
    if args and (args[0] == "init" or (len(args) > 1 and args[1] in ("add", "supersede"))):
        args.append("--no-pdf")
    return runner.invoke(main, ["--home", str(home), *args])


@pytest.fixture
def inited(runner, home, basic_files):
    r = run(runner, home, "init", "--org", basic_files["enterprise"])
    assert r.exit_code == 0, r.output
    return home


def test_help_for_every_command(runner):
    r = runner.invoke(main, ["--help"])
    assert r.exit_code == 0
    for group in ("org", "person", "project", "case", "keys", "ledger", "seal", "settings"):
        r = runner.invoke(main, [group, "--help"])
        assert r.exit_code == 0 and "Usage" in r.output


def test_init_and_refuse_twice(runner, home, basic_files):
    r = run(runner, home, "init", "--org", basic_files["enterprise"], "--json")
    assert r.exit_code == 0
    info = json.loads(r.stdout)
    assert info["owner"] == f.ENTERPRISE and len(info["key_fingerprint"]) == 64
    r = run(runner, home, "init", "--org", basic_files["enterprise"])
    assert r.exit_code == 1 and "already exists" in r.output


def test_init_with_bad_file_creates_nothing(runner, home, tmp_path):
    bad = f.write(tmp_path, "bad.yaml", f.organization(uscc="91370100MA3C8K2P9X"))
    r = run(runner, home, "init", "--org", bad)
    assert r.exit_code == 1
    assert "uscc" in r.output and "校验码错误" in r.output
    assert not home.exists()


def test_no_archive_is_a_clear_error(runner, tmp_path):
    r = run(runner, tmp_path / "nowhere", "org", "list")
    assert r.exit_code == 1
    assert "outsafe init" in r.output
    assert "Traceback" not in r.output


def test_verbose_shows_the_traceback(runner, tmp_path):
    r = runner.invoke(main, ["--home", str(tmp_path / "nowhere"), "--verbose", "org", "list"])
    assert r.exit_code == 1 and "Traceback" in r.output


def test_registry_commands(runner, inited, basic_files):
    r = run(runner, inited, "org", "add", basic_files["bureau"], basic_files["contractor"], "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [x["status"] for x in out["records"]] == ["added", "added"]
    r = run(runner, inited, "org", "list", "--json")
    assert {o["uscc"] for o in json.loads(r.stdout)} == {f.ENTERPRISE, f.BUREAU, f.CONTRACTOR}
    r = run(runner, inited, "org", "list", "--role", "contractor")
    assert "山东恒安设备安装工程有限公司" in r.output and "济南华锐" not in r.output
    r = run(runner, inited, "person", "add", basic_files["welder"])
    assert r.exit_code == 0, r.output
    r = run(runner, inited, "person", "list", "--json")
    people = json.loads(r.stdout)
    assert people[0]["id_number"] == f.WELDER_ID[:4] + "*" * 10 + f.WELDER_ID[-4:]
    assert f.WELDER_ID not in r.stdout  # the certificate number (= ID number) is masked too
    r = run(runner, inited, "project", "add", basic_files["project"])
    assert r.exit_code == 0, r.output
    r = run(runner, inited, "project", "list", "--contractor", f.CONTRACTOR, "--json")
    assert json.loads(r.stdout)[0]["code"] == "HR-WB-2026-001"
    r = run(runner, inited, "org", "show", f.CONTRACTOR, "--json")
    shown = json.loads(r.stdout)
    assert shown["projects"][0]["code"] == "HR-WB-2026-001" and shown["people"][0]["name"] == "王海军"
    r = run(runner, inited, "org", "show", "91370100MA3C8K2P9L")
    assert r.exit_code == 0 and "济南华锐重型机械有限公司" in r.output
    r = run(runner, inited, "org", "show", f.CONTRACTOR2)
    assert r.exit_code == 1 and "未登记" in r.output


def test_registry_references_are_checked(runner, inited, basic_files):
    r = run(runner, inited, "person", "add", basic_files["welder"])
    assert r.exit_code == 1 and "employer" in r.output and "未登记" in r.output
    r = run(runner, inited, "org", "add", basic_files["project"])
    assert r.exit_code == 1 and "此处需要 organization" in r.output


def test_changed_registry_entry_is_a_new_version(runner, inited, basic_files, tmp_path):
    run(runner, inited, "org", "add", basic_files["contractor"])
    changed = f.write(tmp_path, "c2.yaml", f.contractor(phone="0531-66668888"))
    r = run(runner, inited, "org", "add", changed, "--json")
    assert json.loads(r.stdout)["records"][0]["status"] == "updated"
    r = run(runner, inited, "case", "list", "--registry", "--all", "--json")
    versions = [x for x in json.loads(r.stdout) if x["title"].endswith("山东恒安设备安装工程有限公司")]
    assert len(versions) == 2 and versions[1]["supersedes"] == versions[0]["id"]


@pytest.fixture
def full(runner, inited, basic_files):
    for group, key in (("org", "bureau"), ("org", "contractor"), ("person", "welder"), ("project", "project")):
        assert run(runner, inited, group, "add", basic_files[key]).exit_code == 0
    return inited


def test_case_validate(runner, full, basic_files, tmp_path):
    r = run(runner, full, "case", "validate", basic_files["agreement"], basic_files["training"], basic_files["ticket"])
    assert r.exit_code == 0, r.output
    assert r.output.count("✓") == 3
    bad = f.hot_work_ticket(contractor=f.CONTRACTOR2, bogus="x")
    bad["gas_samples"][0]["taken_at"] = "2026-05-06 07:00"
    path = f.write(tmp_path, "bad-ticket.yaml", bad)
    r = run(runner, full, "case", "validate", basic_files["agreement"], path, "--json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["references_checked"] is True
    paths = {p["path"] for p in out["problems"] if p["severity"] == "error"}
    assert "bogus" in paths and "gas_samples[0].taken_at" in paths


def test_case_validate_outside_an_archive(runner, tmp_path, basic_files):
    r = runner.invoke(main, ["--home", str(tmp_path / "none"), "case", "validate", str(basic_files["ticket"])])
    assert r.exit_code == 0
    assert "references not checked" in r.output


def test_case_add_show_list(runner, full, basic_files):
    r = run(runner, full, "case", "add", basic_files["agreement"], basic_files["training"], basic_files["ticket"], "--json")
    assert r.exit_code == 0, r.output
    ids = [x["id"] for x in json.loads(r.stdout)["records"]]
    r = run(runner, full, "case", "list", "--json")
    listed = json.loads(r.stdout)
    assert [x["id"] for x in listed] == ids
    assert {x["type"] for x in listed} == {"safety_agreement", "training_record", "work_ticket"}
    r = run(runner, full, "case", "list", "--ticket-type", "hot_work", "--json")
    assert [x["id"] for x in json.loads(r.stdout)] == [ids[2]]
    r = run(runner, full, "case", "list", "--type", "safety_agreement")
    assert "HR-AQXY-2026-001" in r.output
    r = run(runner, full, "case", "show", ids[2], "--json")
    shown = json.loads(r.stdout)
    assert shown["data"]["hot_workers"][0]["id_number"].count("*") == 10
    assert f.WELDER_ID not in r.stdout
    # a prefix of the id: 16 characters (48 bits of milliseconds and 32 random bits; 10 would be the
    # time alone, which records stored in the same millisecond share)
    r = run(runner, full, "case", "show", ids[2][:16])
    assert r.exit_code == 0 and "动火安全作业票 DH-2026-0105" in r.output
    r = run(runner, full, "case", "show", "NOPE")
    assert r.exit_code == 1 and "没有记录" in r.output


def test_case_add_is_idempotent_and_refuses_silent_changes(runner, full, basic_files, tmp_path):
    first = json.loads(run(runner, full, "case", "add", basic_files["agreement"], "--json").stdout)["records"][0]
    again = json.loads(run(runner, full, "case", "add", basic_files["agreement"], "--json").stdout)["records"][0]
    assert again["status"] == "unchanged" and again["id"] == first["id"]
    changed = f.write(tmp_path, "agreement.yaml", f.agreement(copies=3))
    r = run(runner, full, "case", "add", changed)
    assert r.exit_code == 1 and f"outsafe case supersede {first['id']}" in r.output
    r = run(runner, full, "case", "supersede", first["id"], changed, "--reason", "份数更正")
    assert r.exit_code == 0, r.output
    r = run(runner, full, "case", "list", "--all", "--json")
    assert len(json.loads(r.stdout)) == 2
    r = run(runner, full, "case", "supersede", first["id"], changed, "--reason", "again")
    assert r.exit_code == 1 and "already superseded" in r.output


def test_bad_batch_changes_nothing(runner, full, basic_files, tmp_path):
    before = run(runner, full, "case", "list", "--all", "--registry", "--json").stdout
    bad = f.write(tmp_path, "bad.yaml", f.agreement(agreement_no="X-2", term={"start": "2026-05-01", "end": "2026-04-01"}))
    r = run(runner, full, "case", "add", basic_files["training"], basic_files["ticket"], bad)
    assert r.exit_code == 1 and "term.end" in r.output
    assert run(runner, full, "case", "list", "--all", "--registry", "--json").stdout == before


def test_unreadable_files(runner, full, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("type: safety_agreement\n  bad: [indent\n", encoding="utf-8")
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("type: 安全".encode("gbk"))
    r = run(runner, full, "case", "validate", broken, gbk)
    assert r.exit_code == 1
    assert "YAML 格式错误" in r.output and "UTF-8" in r.output


def test_settings_show(runner, inited):
    r = run(runner, inited, "settings", "show", "--json")
    rows = {x["name"]: x for x in json.loads(r.stdout)}
    assert rows["training_min_hours"]["value"] == 24
    assert "第13条" in rows["training_min_hours"]["source"]


def test_settings_override_takes_effect(runner, full, basic_files):
    (full / "outsafe.toml").write_text("[settings]\nhot_work_max_hours_second = 4\n", encoding="utf-8")
    r = run(runner, full, "case", "validate", basic_files["ticket"])
    assert r.exit_code == 1 and "4 小时" in r.output


def test_two_writer_processes_lose_nothing(runner, full, tmp_path):
    """Two `outsafe person add` processes at once, while a third process holds the lock: both wait,
    both succeed, every record is present. The holder lets go only once both writers have said they
    wait (or after 300 s, so that a writer that never says so fails the test instead of hanging it):
    on a loaded machine a writer may take longer to start than any fixed holding time."""
    import threading

    people = []
    for i in range(2):
        number = f.id_number("370102" + "19900101" + f"12{i}")
        people.append(f.write(tmp_path / f"p{i}", f"p{i}.yaml", f.person(f"工人{i}", number)))
    release = tmp_path / "release"
    holder = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from storage.lock import write_lock
        with write_lock(Path({str(full / 'lock')!r}), what="test holder"):
            print("locked", flush=True)
            while not Path({str(release)!r}).exists():
                time.sleep(0.05)
        """
    )
    env = dict(os.environ, OUTSAFE_HOME=str(full), PYTHONPATH=str(ROOT))
    watchdog = threading.Timer(300, release.touch)
    watchdog.start()
    try:
        with subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True, env=env) as h:
            assert h.stdout.readline().strip() == "locked"
            procs = [
                subprocess.Popen(OUTSAFE + ["person", "add", "--no-pdf", str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=env)
                for p in people
            ]
            said = []
            for p in procs:  # until each writer says it waits for the lock (or its stderr ends)
                lines = []
                for line in p.stderr:
                    lines.append(line)
                    if "等待档案写锁" in line:
                        break
                said.append("".join(lines))
            release.touch()
            outs = [(o, said[i] + e) for i, (o, e) in enumerate(p.communicate(timeout=300) for p in procs)]
            h.wait(60)
    finally:
        watchdog.cancel()
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "等待档案写锁" in err
        assert "Traceback" not in err
    r = run(runner, full, "person", "list", "--json")
    names = {x["name"] for x in json.loads(r.stdout)}
    assert {"工人0", "工人1"} <= names
    r = run(runner, full, "verify")
    assert r.exit_code == 0, r.output


def test_admission_refuses_and_force_reason_is_sealed(runner, full, basic_files, tmp_path):
    """A ticket naming a worker without three-level training is refused and cannot be forced;
    an agreement whose term does not cover the project may be admitted with --force --reason."""
    r = run(runner, full, "case", "add", basic_files["ticket"])
    assert r.exit_code == 1
    assert "workers[0]" in r.output and "三级安全教育" in r.output and "--force --reason" in r.output
    r = run(runner, full, "case", "add", basic_files["ticket"], "--force", "--reason", "急修")
    assert r.exit_code == 1 and "cannot be forced" in r.output
    short = f.write(tmp_path, "short.yaml", f.agreement(agreement_no="HR-AQXY-2026-009", term={"start": "2026-04-10", "end": "2026-06-30"}))
    r = run(runner, full, "case", "add", short)
    assert r.exit_code == 1 and "agreement_term" in r.output
    r = run(runner, full, "case", "add", short, "--force")
    assert r.exit_code == 2 and "--reason" in r.output
    r = run(runner, full, "case", "add", short, "--force", "--reason", "二期协议另行签订，已报安全环保部备案", "--json")
    assert r.exit_code == 0, r.output
    rid = json.loads(r.stdout)["records"][0]["id"]
    shown = json.loads(run(runner, full, "case", "show", rid, "--json").stdout)
    assert "二期协议另行签订" in shown["note"] and "agreement_term" in shown["note"]
    from archive.app import Archive

    a = Archive.open(full)
    assert "二期协议另行签订" in json.loads(a.get_record_row(rid)["seal"])["note"]
    a.close()


@pytest.mark.parametrize("disguise", ["full-width digits", "full-width letters and digits"])
def test_the_same_number_in_disguise_is_the_same_document(runner, full, basic_files, tmp_path, disguise):
    first = json.loads(run(runner, full, "case", "add", basic_files["agreement"], "--json").stdout)["records"][0]
    number = f.agreement()["agreement_no"]
    fold = {c: chr(ord(c) + 0xFEE0) for c in "0123456789" + ("ABCDEFGHIJKLMNOPQRSTUVWXYZ" if "letters" in disguise else "")}
    disguised = "".join(fold.get(c, c) for c in number)
    assert disguised != number
    same = f.write(tmp_path, "same.yaml", f.agreement(agreement_no=disguised))
    r = run(runner, full, "case", "add", same, "--json")
    again = json.loads(r.stdout)["records"][0]
    assert again["id"] == first["id"] and again["status"] == "unchanged"
    changed = f.write(tmp_path, "changed.yaml", f.agreement(agreement_no=disguised, copies=3))
    r = run(runner, full, "case", "add", changed)
    assert r.exit_code == 1 and f"outsafe case supersede {first['id']}" in r.output


def test_a_number_with_a_zero_width_space_is_refused(runner, full, tmp_path):
    bad = f.write(tmp_path, "zw.yaml", f.agreement(agreement_no=f.agreement()["agreement_no"] + "\u200b"))
    for cmd in ("validate", "add"):
        r = run(runner, full, "case", cmd, bad)
        assert r.exit_code == 1 and "U+200B" in r.output and "agreement_no" in r.output
    assert json.loads(run(runner, full, "case", "list", "--json").stdout) == []


def test_a_name_typed_decomposed_is_found_typed_composed(runner, full, tmp_path):
    import unicodedata

    org = f.contractor(name=unicodedata.normalize("NFD", "Société 鲁中检修有限公司"))
    path = f.write(tmp_path, "org.yaml", org)
    assert run(runner, full, "org", "add", path).exit_code == 0
    shown = json.loads(run(runner, full, "org", "show", org["uscc"], "--json").stdout)
    assert shown["name"] == unicodedata.normalize("NFC", "Société 鲁中检修有限公司")
    r = run(runner, full, "search", "Société", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["total"] >= 1


def test_validate_names_a_missing_drawing_by_its_field(runner, tmp_path):
    """Drawings and captured signatures are image files checked like photos (issue 13)."""
    from tests.factories import write
    from tests.test_schemas import excavation_ticket

    path = write(tmp_path, "dt.yaml", excavation_ticket(sketch={"file": "drawings/dt.png", "caption": "沟槽平面简图"}))
    r = runner.invoke(main, ["case", "validate", str(path)])
    assert r.exit_code == 1
    assert "sketch.file" in r.output and "图片文件不存在 (file not found): drawings/dt.png" in r.output
    (tmp_path / "drawings").mkdir()
    (tmp_path / "drawings" / "dt.png").write_bytes((ROOT / "examples" / "cases" / "drawings" / "DT-2026-0016-动土简图.png").read_bytes())
    assert runner.invoke(main, ["case", "validate", str(path)]).exit_code == 0


def test_validate_refuses_what_add_would_refuse(runner, full, basic_files, tmp_path):
    """case validate runs every check case add runs but the storing: the same number with other
    content, and a template that cannot be filled, are problems there too (issue 12 item 5)."""
    assert run(runner, full, "case", "add", basic_files["agreement"]).exit_code == 0
    changed = f.write(tmp_path, "agreement.yaml", f.agreement(copies=3))
    r = run(runner, full, "case", "validate", changed)
    assert r.exit_code == 1 and "already archived with different content" in r.output
    assert run(runner, full, "case", "validate", basic_files["agreement"]).exit_code == 0  # the same content: fine
    # an archive's own template that names a field the record lacks fails the same way in validate and add
    import io
    import zipfile

    tdir = full / "templates"
    tdir.mkdir(exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(ROOT / "doc_templates" / "training_record.docx") as zin, zipfile.ZipFile(buf, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item)
            if item.filename == "word/document.xml":
                body = body.replace("三级安全教育登记卡".encode(), "{{ doc.no_such_field }}".encode(), 1)
            zout.writestr(item, body)
    (tdir / "training_record.docx").write_bytes(buf.getvalue())
    (tdir / "templates.yaml").write_text((ROOT / "doc_templates" / "templates.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    r_validate = run(runner, full, "case", "validate", basic_files["training"])
    r_add = run(runner, full, "case", "add", basic_files["training"])
    assert r_add.exit_code == 1 and r_validate.exit_code == 1
    assert "no_such_field" in r_validate.output


def test_a_relative_home_renders_pdfs(runner, full, basic_files, monkeypatch):
    """``--home`` given relative to the working folder: LibreOffice takes its profile as a file URI
    (an absolute path), which a relative archive folder once made it refuse to start."""
    monkeypatch.chdir(full.parent)
    r = runner.invoke(main, ["--home", full.name, "case", "add", str(basic_files["agreement"]), "--json"])
    assert r.exit_code == 0, r.output
    rid = json.loads(r.stdout)["records"][0]["id"]
    files = Archive.open(full).catalog.record_files(rid)
    assert "pdf" in {f["role"] for f in files}


def test_a_failing_json_command_prints_its_error_as_json(runner, full, tmp_path):
    """--json promises one JSON document on stdout: a refusal is one too (its lines also on stderr)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("type: person\nname: 张三\nid_number: 370102198603150351\n", encoding="utf-8")
    r = runner.invoke(main, ["--home", str(full), "person", "add", str(bad), "--no-pdf", "--json"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["exit_code"] == 1 and doc["problems"] and "校验" in doc["error"]
    assert "370102198603150351" not in r.stdout  # masked like every output
    r = runner.invoke(main, ["--home", str(full), "case", "show", "01NOSUCHRECORD", "--json"])
    assert r.exit_code != 0
    assert json.loads(r.stdout)["exit_code"] == r.exit_code
    r = runner.invoke(main, ["--home", str(full), "case", "show", "01NOSUCHRECORD"])
    assert r.stdout == ""  # without --json: the message on stderr only


@pytest.mark.parametrize("args, said", [
    (["--type", "nope"], "没有这种记录类型"),
    (["--ticket-type", "hot"], "没有这种作业票"),
    (["--contractor", "91370100MA3C8K2P0Q"], ""),
    (["--since", "2026-13-01"], ""),
])
def test_case_list_refuses_what_the_archive_does_not_know(runner, full, args, said):
    """A mistyped type, kind or unit would list nothing, as if there were nothing: it is an error."""
    r = run(runner, full, "case", "list", *args)
    assert r.exit_code in (1, 2) and "Traceback" not in r.output and said in r.output
    assert r.stdout == ""


def test_a_consistency_proof_of_sizes_in_the_wrong_order_says_so(runner, full):
    r = runner.invoke(main, ["--home", str(full), "ledger", "consistency", "3", "2"])
    assert r.exit_code == 1 and "旧的条数 3 应在 1 到新的条数 2 之间" in r.output
    r = runner.invoke(main, ["--home", str(full), "ledger", "consistency", "1", "2", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["old_size"] == 1


def test_a_person_corrected_to_another_id_number_leaves_no_entry_under_the_old_one(runner, inited, basic_files, tmp_path):
    """A mistyped but valid 身份证号 corrected: the person is registered under the right number
    only — the old entry would list the old version as current, and verify would call the
    registry altered (it names a corrected record)."""
    run(runner, inited, "org", "add", basic_files["contractor"])
    wrong = f.write(tmp_path, "p1.yaml", f.person("赵志刚", f.id_number("37010219800101001")))
    first = json.loads(run(runner, inited, "person", "add", wrong, "--json").stdout)["records"][0]["id"]
    right = f.write(tmp_path, "p2.yaml", f.person("赵志刚", f.id_number("37010219800101002")))
    r = run(runner, inited, "case", "supersede", first, right, "--reason", "身份证号录入错误")
    assert r.exit_code == 0, r.output
    people = json.loads(run(runner, inited, "person", "list", "--json").stdout)
    assert [p["name"] for p in people] == ["赵志刚"]
    assert people[0]["id_number"].endswith(f.id_number("37010219800101002")[-4:])
    r = runner.invoke(main, ["--home", str(inited), "verify"])
    assert r.exit_code == 0, r.output
