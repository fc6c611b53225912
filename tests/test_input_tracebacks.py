"""Input that once ended in a Python traceback: each is now one clear message (Chinese first,
English in parentheses), exit 1, and changes nothing.

(A YAML key that is a list or mapping; a text field given as a hex integer of thousands of digits;
duplicate keys in a JSON case file; a search ending in NOT; an output path that does not exist or
lies under a file.)
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from archive.search.query import QuerySyntaxError, parse_query
from archive.settings import Settings
from cli import main
from schemas import FileProblem, RuleContext, load, parse_text, read_case_file, shape_problem
from tests import factories as f

CTX = RuleContext(Settings(), date(2026, 11, 29), None)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HUGE_HEX = "0x" + "f" * 5000  # YAML reads it as an int of ~6,000 decimal digits: str() refuses it
NEWCOMER_ID = f.id_number("37011219950302451")


def refused(r, *needles: str) -> str:
    """The one message of a refused command: exit 1, no traceback, every needle in it."""
    assert r.exit_code == 1, r.output
    assert isinstance(r.exception, SystemExit), r.exception  # not an uncaught error
    assert "Traceback" not in r.output
    for needle in needles:
        assert needle in r.output, r.output
    return r.output


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def listing(runner, home: str, *what: str) -> str:
    r = runner.invoke(main, ["--home", home, *what, "--json"])
    assert r.exit_code == 0, r.output
    return r.stdout


# --- 1. a YAML key that is a list or a mapping -------------------------------------------------------


@pytest.mark.parametrize("body", ["? [a]\n: 1\n", "{[a]: 1}: x\n", "? {a: 1}\n: x\n", "? !!set {a}\n: 1\n"])
def test_a_list_or_mapping_as_a_yaml_key_refuses_the_file(tmp_path, runner, body):
    path = tmp_path / "bad.yaml"
    path.write_text("type: organization\n" + body, encoding="utf-8")
    r = runner.invoke(main, ["case", "validate", str(path), "--json"])
    refused(r)
    (problem,) = json.loads(r.stdout)["problems"]
    assert "键应为文本" in problem["message"] and "keys must be text" in problem["message"]
    assert problem["message"].startswith("YAML 格式错误 第2行")


# --- 2. a text field given as a huge hex integer ---------------------------------------------------


def test_a_hex_integer_of_thousands_of_digits_in_a_text_field_is_a_field_problem(runner, arc, tmp_path):
    home = str(arc.home.root)
    before = listing(runner, home, "org", "list")
    path = tmp_path / "org.yaml"
    path.write_text(f"type: organization\nuscc: {f.CONTRACTOR2}\nname: {HUGE_HEX}\nrole: contractor\n"
                    "address: 济南市历下区经十路1号\nprincipal_person: 许宏\nphone: 0531-86557019\n", encoding="utf-8")
    out = refused(runner.invoke(main, ["--home", home, "org", "add", "--no-pdf", str(path)]),
                  "name", "数字位数过多 (a number with thousands of digits)")
    assert len(out) < 2000  # the number is not quoted
    assert listing(runner, home, "org", "list") == before


def test_hex_integers_of_thousands_of_digits_anywhere_are_problems_not_errors():
    huge = int("f" * 5000, 16)
    raw = read_case_file(EXAMPLES / "cases" / "contract-HR-HT-2026-031.yaml")
    for field in ("contract_no", "price"):  # text, amount
        problems = load(dict(raw, **{field: huge}), CTX, file="x.yaml").problems
        assert [p for p in problems if p.path == field and p.severity == "error"]
    assert "thousands of digits" in load(dict(raw, type=huge), CTX).problems[0].message
    assert "keys must be text" in shape_problem({huge: 1})


def test_a_hex_integer_key_is_one_problem(tmp_path, runner):
    path = tmp_path / "key.yaml"
    path.write_text(f"type: organization\n? {HUGE_HEX}\n: 1\n", encoding="utf-8")
    r = runner.invoke(main, ["case", "validate", str(path), "--json"])
    refused(r)
    (problem,) = json.loads(r.stdout)["problems"]
    assert "keys must be text" in problem["message"] and "thousands of digits" in problem["message"]


# --- 3. duplicate keys in JSON ----------------------------------------------------------------------


def test_duplicate_keys_in_json_are_refused_like_in_yaml(runner, arc, tmp_path):
    home = str(arc.home.root)
    before = listing(runner, home, "person", "list")
    text = json.dumps(f.person("赵志刚", NEWCOMER_ID, trade="普工"), ensure_ascii=False)
    assert text.startswith("{")
    path = tmp_path / "person.json"
    path.write_text('{"name": "X", ' + text[1:], encoding="utf-8")  # name twice: "X", then 赵志刚
    out = refused(runner.invoke(main, ["--home", home, "person", "add", "--no-pdf", str(path)]),
                  "重复的键 (duplicate key) 'name'", "JSON")
    assert "YAML" not in out
    assert listing(runner, home, "person", "list") == before
    yaml_path = tmp_path / "person.yaml"
    yaml_path.write_text("name: X\n" + yaml.safe_dump(json.loads(text), allow_unicode=True), encoding="utf-8")
    refused(runner.invoke(main, ["case", "validate", str(yaml_path)]), "重复的键 (duplicate key) 'name'")


def test_a_json_file_without_duplicates_still_reads():
    assert parse_text('{"a": {"b": 1, "c": [{"d": 2}]}, "e": 3}', "x.json") == {"a": {"b": 1, "c": [{"d": 2}]}, "e": 3}
    with pytest.raises(FileProblem, match="duplicate key"):
        parse_text('{"a": {"b": 1, "b": 2}}', "x.json")


# --- 4. a search ending in NOT ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["动火 NOT", "NOT NOT", "NOT", "(NOT", "动火 OR NOT"])
def test_a_query_ending_in_not_is_a_syntax_error(query):
    with pytest.raises(QuerySyntaxError, match="incomplete query"):
        parse_query(query)


@pytest.mark.parametrize("query", ["动火 NOT", "NOT NOT"])
def test_search_ending_in_not_is_one_clear_line(runner, arc, query):
    r = runner.invoke(main, ["--home", str(arc.home.root), "search", query])
    refused(r)
    assert r.stderr.splitlines()[0] == f"查询不完整 (incomplete query: an operator or parenthesis lacks a word) : {query}"
    assert parse_query("动火 NOT 吊装") == parse_query("动火 -吊装")  # NOT before a word still works


# --- 5. output paths that do not exist or lie under a file -----------------------------------------


@pytest.fixture
def outside(tmp_path):
    """A folder outside the archive holding one regular file, ``afile``."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "afile").write_text("not a folder\n", encoding="utf-8")
    return folder


def _record_id(runner, home: str) -> str:
    return json.loads(listing(runner, home, "case", "list"))[0]["id"]


OUTPUT_CASES = [  # (arguments, where {out} is the folder holding `afile`; the message)
    (["keys", "export-public", "-o", "{out}/nonexist/x.pem"], "输出目录 {out}/nonexist 不存在 (output folder does not exist)"),
    (["keys", "export-public", "-o", "{out}/afile/x.pem"], "输出目录 {out}/afile 是文件，不是目录 (output folder {out}/afile is a file, not a folder)"),
    (["seal", "export", "{record}", "-o", "{out}/afile/sub"],
     "无法创建输出目录 {out}/afile/sub：{out}/afile 是文件，不是目录 (cannot create the output folder: {out}/afile is a file)"),
    (["ledger", "checkpoint", "-o", "{out}/afile/sub"], "无法创建输出目录 {out}/afile/sub：{out}/afile 是文件，不是目录"),
    (["report", "summary", "--no-pdf", "-o", "{out}/afile/x"], "无法创建输出目录 {out}/afile/x：{out}/afile 是文件，不是目录"),
    (["report", "self-check", "--no-pdf", "--add", "-o", "{out}/afile/x/y"], "无法创建输出目录 {out}/afile/x/y：{out}/afile 是文件，不是目录"),
    (["import", "template", "persons", "-o", "{out}/afile/x.xlsx"], "输出目录 {out}/afile 是文件，不是目录"),
    (["case", "render", "{agreement}", "-o", "{out}/afile/x.docx"], "输出目录 {out}/afile 是文件，不是目录"),
    (["case", "render", "{agreement}", "-o", "{out}/nonexist/x.docx"], "输出目录 {out}/nonexist 不存在 (output folder does not exist)"),
]


@pytest.mark.parametrize("args, message", OUTPUT_CASES, ids=[" ".join(a[:2]) + " " + a[-1].split("/", 1)[1] for a, _ in OUTPUT_CASES])
def test_an_output_path_that_cannot_be_written_is_one_clear_message(runner, arc, outside, basic_files, args, message):
    home = str(arc.home.root)
    values = {"out": str(outside), "record": _record_id(runner, home), "agreement": str(basic_files["agreement"])}
    archive_before = listing(runner, home, "case", "list")
    catalog_before = (arc.home.root / "catalog.sqlite3").read_bytes()
    before = snapshot(outside)
    r = runner.invoke(main, ["--home", home, *(a.format(**values) for a in args)])
    refused(r, message.format(**values))
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert snapshot(outside) == before
    assert listing(runner, home, "case", "list") == archive_before
    assert (arc.home.root / "catalog.sqlite3").read_bytes() == catalog_before


def test_output_folders_are_still_created_where_they_can_be(runner, arc, outside, basic_files):
    home = str(arc.home.root)
    seal = outside / "new" / "seal"
    r = runner.invoke(main, ["--home", home, "seal", "export", _record_id(runner, home), "-o", str(seal)])
    assert r.exit_code == 0, r.output
    assert (seal / "seal.json").is_file() and (seal / "files.sha256").is_file()
    r = runner.invoke(main, ["import", "template", "persons", "-o", str(outside / "new" / "t" / "人员名册.xlsx")])
    assert r.exit_code == 0, r.output
    pem = outside / "pub.pem"
    r = runner.invoke(main, ["--home", home, "keys", "export-public", "-o", str(pem)])
    assert r.exit_code == 0 and pem.read_text(encoding="ascii").startswith("-----BEGIN PUBLIC KEY-----")


def test_a_write_that_fails_names_the_path(tmp_path):
    import storage.errors
    from storage.home import output_folder, write_output

    (tmp_path / "afile").write_bytes(b"x")
    with pytest.raises(storage.errors.StorageError, match="无法写入 .*afile/x.txt \\(cannot write\\)"):
        write_output(tmp_path / "afile" / "x.txt", b"data")
    with pytest.raises(storage.errors.StorageError, match="无法创建输出目录"):
        output_folder(tmp_path / "afile" / "a" / "b")
    assert output_folder(tmp_path / "a" / "b", check_only=True) == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()
    assert output_folder(tmp_path / "a" / "b").is_dir()
