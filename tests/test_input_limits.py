"""Hostile and clumsy input at the schema boundary: every case costs one clear problem with its
field path, never a traceback, and one bad file never stops the others being checked.

(issue 12: nesting, surrogates, control and invisible characters, length and number limits,
full-width numbers, NFC, 特种作业操作证 numbers.)
"""

from __future__ import annotations

import json
import time
import unicodedata
from datetime import date
from pathlib import Path

import pytest
import yaml

from archive.settings import Settings
from cli import main
from schemas import LIMITS, RuleContext, load, read_case_file
from schemas.base import clean_text

CTX = RuleContext(Settings(), date(2026, 11, 29), None)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def contract() -> dict:
    return read_case_file(EXAMPLES / "cases" / "contract-HR-HT-2026-031.yaml")


def problems(raw) -> list:
    return load(raw, CTX, file="x.yaml").problems


def errors_at(raw, path: str) -> list[str]:
    return [p.message for p in problems(raw) if p.severity == "error" and p.path == path]


def validate(runner, *files: Path):
    return runner.invoke(main, ["case", "validate", *map(str, files), "--json"])


# --- text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["\u200b", "\u200d", "\ufeff", "\u202e", "\u00ad", "\x07", "\x1b[31m", "\x85"])
def test_invisible_and_control_characters_are_refused_with_the_code_point(bad):
    raw = contract()
    raw["contract_no"] = "HR-HT-2026-031" + bad
    (msg,) = errors_at(raw, "contract_no")
    assert f"U+{ord(bad[0]):04X}" in msg


def test_line_breaks_are_text_in_free_text_but_not_in_a_number():
    raw = contract()
    raw["payment_terms"] = "第一期\n第二期"
    assert not errors_at(raw, "payment_terms")
    raw["contract_no"] = "HR-HT-\n2026-031"
    assert errors_at(raw, "contract_no")


def test_full_width_letters_and_digits_in_numbers_are_the_same_number():
    raw = contract()
    raw["contract_no"] = "ＨＲ－ＨＴ－２０２６－０３１"
    result = load(raw, CTX)
    assert result.ok and result.obj.contract_no == "HR-HT-2026-031"


def test_full_width_brackets_of_an_enforcement_number_stay_as_the_standard_writes_them():
    assert clean_text("（高新）应急责改〔２０２６〕１２号", ident=True) == "（高新）应急责改〔2026〕12号"


def test_text_is_stored_nfc():
    decomposed = "Jose\u0301 丁\uf9dc"  # a combining accent; a CJK compatibility ideograph (U+F9DC 隆)
    assert clean_text(decomposed) == unicodedata.normalize("NFC", decomposed) == "José 丁隆"


def test_a_lone_surrogate_in_json_is_one_problem(tmp_path, runner):
    bad = tmp_path / "bad.json"
    raw = contract()
    raw["payment_terms"] = "\ud800"
    bad.write_text(json.dumps(raw), encoding="utf-8")  # json.dumps writes the escape \ud800
    r = validate(runner, bad)
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    (p,) = [p for p in out["problems"] if p["path"] == "payment_terms"]
    assert "surrogate" in p["message"]


# --- sizes -----------------------------------------------------------------------------------------


def test_a_megabyte_field_is_refused_quickly_and_not_quoted():
    raw = contract()
    raw["payment_terms"] = "款" * 1_000_000
    t = time.perf_counter()
    (msg,) = errors_at(raw, "payment_terms")
    assert time.perf_counter() - t < 5
    assert f"{LIMITS.text}" in msg and len(msg) < 200


def test_a_five_thousand_character_document_number_is_refused():
    raw = contract()
    raw["contract_no"] = "HR-" + "9" * 5000
    (msg,) = errors_at(raw, "contract_no")
    assert str(LIMITS.ident) in msg and len(msg) < 200


@pytest.mark.parametrize("price", ["1e400", "10" + "0" * 400, "12.345678"])
def test_absurd_amounts_are_refused(price):
    raw = contract()
    raw["price"] = price
    assert errors_at(raw, "price")


def test_huge_numbers_are_refused():
    raw = read_case_file(EXAMPLES / "cases" / "accident-HR-SG-2026-001.yaml")
    raw["deaths"] = 10**400
    assert errors_at(raw, "deaths")
    raw = contract()
    raw["price"] = 1e300
    assert errors_at(raw, "price")


def test_lists_have_a_limit():
    raw = contract()
    raw["change_orders"] = [{"no": str(i)} for i in range(LIMITS.items + 1)]
    assert any("至多" in m for m in errors_at(raw, "change_orders"))


def test_a_file_too_large_is_refused_before_reading(tmp_path, runner):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (LIMITS.file_bytes + 1))
    r = validate(runner, big)
    assert r.exit_code == 1 and "too large" in json.loads(r.stdout)["problems"][0]["message"]


# --- shape -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_deep_nesting_is_one_problem_and_the_other_files_are_still_checked(tmp_path, runner, suffix):
    folder = tmp_path / "cases"
    folder.mkdir()
    deep = "[" * 600 + "]" * 600 if suffix == ".json" else "a: " + "[" * 600 + "]" * 600
    (folder / f"a-deep{suffix}").write_text(deep, encoding="utf-8")
    (folder / "b-bad.yaml").write_text(yaml.safe_dump(dict(contract(), contract_no="")), encoding="utf-8")
    (folder / "c-good.yaml").write_text(yaml.safe_dump(contract(), allow_unicode=True), encoding="utf-8")
    r = validate(runner, folder)
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    by_file = {Path(x["file"]).name: x for x in out["files"]}
    assert not by_file[f"a-deep{suffix}"]["ok"] and not by_file["b-bad.yaml"]["ok"] and by_file["c-good.yaml"]["ok"]
    deep_problems = [p for p in out["problems"] if p["file"].endswith(f"a-deep{suffix}")]
    assert len(deep_problems) == 1 and "nested" in deep_problems[0]["message"]
    assert "Traceback" not in r.output


def test_moderate_nesting_beyond_the_limit_is_refused():
    from schemas import shape_problem

    data: dict = {}
    node = data
    for _ in range(LIMITS.depth + 1):
        node["x"] = {}
        node = node["x"]
    assert "nested" in shape_problem(data)
    assert shape_problem(contract()) is None


def test_keys_must_be_short_visible_text():
    from schemas import shape_problem

    assert shape_problem({"a" * 1000: 1})
    assert shape_problem({"contract\u200b_no": 1})
    assert shape_problem({1: 2})


# --- 特种作业操作证 numbers ------------------------------------------------------------------------------


def _person_with_certificate(number: str) -> dict:
    raw = read_case_file(EXAMPLES / "persons" / "hengan-wu-qiang.yaml")
    raw["certificates"] = [dict(raw["certificates"][0], number=number)]
    return raw


def test_a_special_operation_certificate_number_is_an_id_number():
    raw = _person_with_certificate("鲁安监特字2019-1234")
    assert any("身份证号" in m for m in errors_at(raw, "certificates[0].number"))


def test_a_certificate_numbered_with_another_persons_id_is_a_warning():
    raw = _person_with_certificate("370102198503151213")
    result = load(raw, CTX)
    assert result.ok
    assert [p for p in result.problems if p.path == "certificates[0].number" and p.severity == "warning"]


def test_the_holders_own_id_with_a_t_prefix_is_fine():
    raw = read_case_file(EXAMPLES / "persons" / "hengan-wu-qiang.yaml")
    raw["certificates"] = [dict(raw["certificates"][0], number="T" + raw["id_number"])]
    result = load(raw, CTX)
    assert result.ok and not [p for p in result.problems if p.path.startswith("certificates")]


def test_the_rule_is_a_setting():
    from dataclasses import replace

    raw = _person_with_certificate("鲁安监特字2019-1234")
    ctx = RuleContext(replace(Settings(), special_certificate_number_is_id=False), date(2026, 11, 29), None)
    assert not [p for p in load(raw, ctx).problems if p.path == "certificates[0].number" and p.severity == "error"]


# --- more hostile shapes ----------------------------------------------------------------------------


def test_yaml_aliases_are_refused_so_a_few_lines_cannot_expand_to_billions(tmp_path, runner):
    lines = ["type: organization", 'a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    t = time.perf_counter()
    r = validate(runner, path)
    assert time.perf_counter() - t < 10
    assert r.exit_code == 1 and "aliases are not allowed" in json.loads(r.stdout)["problems"][0]["message"]


@pytest.mark.parametrize("suffix, body", [(".json", '{"type": "organization", "uscc": ' + "1" * 6000 + "}"),
                                          (".yaml", "type: organization\nuscc: " + "1" * 6000 + "\n")])
def test_a_number_of_thousands_of_digits_is_one_problem(tmp_path, runner, suffix, body):
    path = tmp_path / f"big{suffix}"
    path.write_text(body, encoding="utf-8")
    r = validate(runner, path)
    assert r.exit_code == 1 and "thousands of digits" in r.stdout and "Traceback" not in r.output


def test_too_many_values_are_refused_without_walking_them_all():
    from schemas import shape_problem

    assert "values" in shape_problem({"rows": [[0] * 1000 for _ in range(LIMITS.nodes // 1000 + 1)]})


def test_a_bureau_ledger_of_a_million_record_district_validates():
    """The ledger of every outsourced project is the program's own table: 35,707 rows in the 10^6-record district
    of bench/views (the 20,000 rows allowed before refused it). A file stays bounded by its size and value count."""
    raw = read_case_file(Path(__file__).resolve().parents[1] / "examples" / "bureau" / "campaign-table-JGTZ-2026-1129.yaml")
    rows = raw["tables"][0]["rows"]
    raw["tables"][0]["rows"] = [rows[i % len(rows)] for i in range(36_000)]
    result = load(raw, RuleContext(Settings(), date(2026, 11, 30), None), file="ledger.yaml")
    assert result.ok, [str(p) for p in result.problems][:3]
    assert len(result.obj.tables[0].rows) == 36_000
