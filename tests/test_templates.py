"""The templates and their check: `outsafe templates list` / `outsafe templates check [DIR]`.

The check walks the Jinja AST of every XML part of each .docx (after docxtpl's own tag patching)
and holds every name to the render context documented in archive/render.py: ``doc`` fields of the
record type, nested ``a.b`` access, loop variables (``{% for m in doc.measures %}`` → ``m.text``
against the item dataclass), ``org``/``project``/``calc``/``settings``/``images``; and it fails
when a required field of a record type is shown by no template for that type.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from archive.errors import Problem
from archive.documents.lint import check_templates
from archive.documents.templates import list_templates, package_dir
from cli import main
from schemas import all_classes

PKG = package_dir()
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in the body XML of a .docx in place."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["word/document.xml"].decode()
    assert old in xml, old
    parts["word/document.xml"] = xml.replace(old, new).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)


def tiny_template(path: Path, *paragraphs: str) -> Path:
    """A minimal hand-made template (every run with its East Asian font, as a letterhead should)."""
    doc = Document()
    for text in paragraphs:
        run = doc.add_paragraph().add_run(text)
        run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")
    doc.save(path)
    return path


@pytest.fixture
def copy(tmp_path) -> Path:
    """A full copy of the packaged template folder (templates.yaml included)."""
    dst = tmp_path / "templates"
    shutil.copytree(PKG, dst, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dst


def paths(problems: list[Problem]) -> set[str]:
    return {p.path for p in problems if p.severity == "error"}


# --- the shipped set --------------------------------------------------------------------------------------


def test_shipped_templates_pass_the_check_without_any_problem():
    assert check_templates() == []


def test_every_record_type_has_exactly_one_template():
    served = [t.record_class for t in list_templates()]
    assert sorted(c.__name__ for c in served) == sorted(c.__name__ for c in all_classes())


def test_templates_yaml_lists_every_docx_with_a_version():
    meta = yaml.safe_load((PKG / "templates.yaml").read_text(encoding="utf-8"))["templates"]
    assert {m["file"] for m in meta} == {p.name for p in PKG.glob("*.docx")}
    assert all(m["version"] for m in meta)
    assert len({m["id"] for m in meta}) == len(meta)


def test_shipped_files_are_what_the_builder_makes(tmp_path):
    """The committed .docx files and templates.yaml are up to date with doc_templates/build.py
    (the build is deterministic). If this fails: .venv/bin/python -m doc_templates.build"""
    from doc_templates.build import build_all

    build_all(tmp_path)
    for p in sorted(tmp_path.iterdir()):
        shipped = PKG / p.name
        assert shipped.exists(), p.name
        assert hashlib.sha256(p.read_bytes()).hexdigest() == hashlib.sha256(shipped.read_bytes()).hexdigest(), (
            f"{p.name} is stale: run `.venv/bin/python -m doc_templates.build`")


@pytest.mark.parametrize("path", sorted(PKG.glob("*.docx")), ids=lambda p: p.stem)
def test_every_run_of_every_template_sets_east_asian_and_latin_fonts(path):
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not (name.startswith("word/") and name.endswith(".xml")) or "document" not in name and "footer" not in name:
                continue
            root = etree.fromstring(z.read(name))
            for r in root.iter(f"{W}r"):
                fonts = r.find(f"{W}rPr/{W}rFonts")
                assert fonts is not None and fonts.get(f"{W}eastAsia") and fonts.get(f"{W}ascii"), name
            for sect in root.iter(f"{W}pgSz"):
                size = {sect.get(f"{W}w"), sect.get(f"{W}h")}
                # A4, portrait or landscape; the campaign tables choose A4 or A3 landscape when rendered
                # (archive/documents/tables.py), so their template holds the render context's size
                assert size == {"11906", "16838"} or size == {"{{ calc.page_width }}", "{{ calc.page_height }}"}, name


# --- a broken copy ---------------------------------------------------------------------------------------------


def test_unknown_name_field_and_loop_attribute_fail(copy):
    t = copy / "ticket_hot_work.docx"
    edit(t, "{{ doc.hot_spot }}", "{{ doc.hot_spott }}")  # a field the schema lacks
    edit(t, "{{ m.text }}", "{{ m.txt }}")  # a loop variable's attribute the item lacks
    edit(t, "{{ doc.method }}", "{{ docs.method }}")  # a name the context lacks
    edit(t, "{{ doc.applicant_unit }}", "{{ doc.leader.nam }}")  # nested a.b.c
    problems = check_templates(copy)
    found = paths(problems)
    assert {"doc.hot_spott", "m.txt", "docs", "doc.leader.nam"} <= found
    # … and, since nothing shows them any more, the required fields behind them
    assert {"doc.hot_spot", "doc.measures[].text", "doc.method", "doc.applicant_unit"} <= found
    assert all(p.file.endswith("ticket_hot_work.docx") for p in problems)
    line = next(p for p in problems if p.path == "m.txt").line()
    assert "Measure 没有字段 txt" in line and "{{ m.txt }}" in line  # names the item type and quotes the template


def test_missing_required_field_fails(copy):
    edit(copy / "training_record.docx", "{{ doc.trainee.trade }}", "")
    assert paths(check_templates(copy)) == {"doc.trainee.trade"}


def test_unknown_filter_test_and_box_fail(copy):
    t = copy / "ticket_lifting.docx"
    edit(t, "{{ doc.rigging }}", "{{ doc.rigging|shout }}")
    edit(t, "box('作业指挥')", "box('作业总指挥')")
    found = paths(check_templates(copy))
    assert "shout" in found and "box('作业总指挥')" in found


def test_map_attribute_is_checked_against_the_item(copy):
    edit(copy / "ticket_lifting.docx", "doc.riggers|map(attribute='name')", "doc.riggers|map(attribute='nmae')")
    found = paths(check_templates(copy))
    assert any("nmae" in p for p in found)
    assert "doc.riggers[].name" in found  # and the riggers' names are then shown nowhere


def test_syntax_error_fails(copy):
    edit(copy / "hazard.docx", "{{ doc.hazard_no|show }}", "{{ doc.hazard_no|show }")
    problems = check_templates(copy)
    assert any("语法错误" in p.message for p in problems)


def test_loop_over_a_record_fails(copy):
    edit(copy / "ticket_lifting.docx", "{%tr for m in doc.measures %}", "{%tr for m in doc.commander %}")
    assert "doc.commander" in paths(check_templates(copy))


def test_org_names_are_limited_to_the_types_own_reference_fields(tmp_path):
    folder = tmp_path / "letterhead"
    folder.mkdir()
    tiny_template(folder / "hazard.docx", "{{ org.bureau.name }}", "{{ doc.hazard_no }}")
    found = paths(check_templates(folder))
    assert "org.bureau" in found  # a hazard refers to an enterprise (and maybe a contractor), not a bureau
    assert "doc.description" in found  # and this letterhead shows too little of a hazard


def test_a_good_letterhead_override_passes(tmp_path):
    folder = tmp_path / "letterhead"
    folder.mkdir()
    shutil.copy(PKG / "quarterly_assessment.docx", folder)
    edit(folder / "quarterly_assessment.docx", "承包单位季度安全生产考核记录", "济南华锐重型机械有限公司 承包单位季度安全生产考核记录")
    assert check_templates(folder) == []
    [t] = [t for t in list_templates(folder) if t.source == "override"]
    assert t.id == "quarterly_assessment" and t.version.endswith("+local")


def test_unknown_docx_in_an_override_folder_is_reported(tmp_path):
    folder = tmp_path / "letterhead"
    folder.mkdir()
    tiny_template(folder / "my_contract.docx", "{{ doc.contract_no }}")
    problems = check_templates(folder)
    assert [p.file for p in problems] == [str(folder / "my_contract.docx")]


def test_runs_without_east_asian_font_are_a_warning(tmp_path):
    folder = tmp_path / "letterhead"
    folder.mkdir()
    doc = Document()
    doc.add_paragraph("{{ doc.assessment_no }}")
    doc.save(folder / "quarterly_assessment.docx")
    problems = check_templates(folder)
    assert any(p.severity == "warning" and "w:eastAsia" in p.message for p in problems)


def test_an_empty_override_folder_is_fine(tmp_path):
    assert check_templates(tmp_path) == []


# --- the commands -------------------------------------------------------------------------------------------------


def test_cli_list(runner):
    result = runner.invoke(main, ["templates", "list"])
    assert result.exit_code == 0, result.output
    assert "ticket_hot_work" in result.output and "work_ticket/hot_work" in result.output and "动火安全作业票" in result.output


def test_cli_list_json(runner, tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    shutil.copy(PKG / "hazard.docx", folder)
    result = runner.invoke(main, ["templates", "list", "--json", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert len(rows) == len(list(PKG.glob("*.docx")))
    assert rows["hazard"]["source"] == "override" and rows["accident"]["source"] == "package"
    assert len(rows["hazard"]["sha256"]) == 64


def test_cli_check_ok(runner):
    result = runner.invoke(main, ["templates", "check"])
    assert result.exit_code == 0, result.output
    assert "templates ok" in result.output


def test_cli_check_broken_dir_exits_1_with_one_line_per_problem(runner, copy):
    edit(copy / "training_record.docx", "{{ doc.trainee.trade }}", "{{ doc.trainee.trad }}")
    result = runner.invoke(main, ["templates", "check", str(copy)])
    assert result.exit_code == 1
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 2, result.output
    assert lines[0].startswith(f"{copy / 'training_record.docx'}: doc.trainee.trad: Trainee 没有字段 trad")
    assert lines[1].startswith(f"{copy / 'training_record.docx'}: doc.trainee.trade: 必填字段“工种”")


def test_cli_check_json(runner, copy):
    edit(copy / "training_record.docx", "{{ doc.trainee.trade }}", "{{ doc.trainee.trad }}")
    result = runner.invoke(main, ["templates", "check", "--json", str(copy)])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["ok"] is False
    assert {p["path"] for p in doc["problems"]} == {"doc.trainee.trad", "doc.trainee.trade"}


def test_cli_check_missing_dir_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["templates", "check", str(tmp_path / "nope")])
    assert result.exit_code == 2
