"""Excel rosters: the template (labels, example row, drop-down lists) and the all-or-nothing import
that names sheet, row and column for every problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from archive.app import Archive
from archive.campaign.rosters import ImportFailed, import_xlsx, main_columns, write_template, KINDS
from tests import campaign_factories as cf


@pytest.fixture
def world(tmp_path_factory, tmp_path):
    a = Archive.open(cf.copy_home(cf.world_home(tmp_path_factory), tmp_path / "archive"))
    yield a
    a.close()


def fill(template: Path, out: Path, sheets: dict[str, list[dict]]) -> Path:
    """Rows into a template by header text (without the * mark), from Excel row 3 on."""
    wb = load_workbook(template)
    for name, rows in sheets.items():
        ws = wb[name]
        headers = [str(c.value).rstrip("*") if c.value else "" for c in ws[1]]
        for r, row in enumerate(rows, 3):
            for key, value in row.items():
                ws.cell(row=r, column=headers.index(key) + 1, value=value)
    wb.save(out)
    return out


def person_count(a: Archive) -> int:
    return len(a.list_registry("person"))


# --- the template -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_template_has_labels_an_example_and_drop_downs(kind, tmp_path):
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    wb = load_workbook(path)
    spec = KINDS[kind]
    ws = wb[spec.sheet]
    headers = [c.value for c in ws[1]]
    assert headers[0] == "序号" and headers[1:] == [c.title for c in main_columns(spec)]
    assert ws["A2"].value == "示例"
    formulas = " ".join(str(dv.formula1) for dv in ws.data_validations.dataValidation)
    assert '"是,否"' in formulas
    assert {c.sheet for c in spec.children} <= set(wb.sheetnames) and "填写说明" in wb.sheetnames


def test_person_template_specifics(tmp_path):
    wb = load_workbook(write_template("persons", tmp_path / "p.xlsx"))
    ws = wb["人员"]
    headers = [c.value for c in ws[1]]
    assert "身份证号*" in headers and "所在单位（统一社会信用代码）*" in headers and "岗位角色*" in headers
    formulas = [str(dv.formula1) for dv in ws.data_validations.dataValidation]
    assert any("正式员工,劳务分包,临时用工,劳务派遣,实习" in f for f in formulas)
    col = headers.index("身份证号*") + 1
    assert ws.cell(row=3, column=col).number_format == "@"  # ID numbers as text


def test_the_example_rows_themselves_import(world, tmp_path):
    """The template's example rows are realistic; copied to row 3 they validate (persons)."""
    path = write_template("persons", tmp_path / "p.xlsx")
    wb = load_workbook(path)
    for name in ("人员", "证书"):
        ws = wb[name]
        for c in ws[2]:
            ws.cell(row=3, column=c.column, value=c.value)
        ws["A3"] = 1
    ws = wb["人员"]
    headers = [c.value for c in ws[1]]
    assert ws.cell(row=3, column=headers.index("所在单位（统一社会信用代码）*") + 1).value == "91370112MA3F7R1K8F"  # examples/
    ws.cell(row=3, column=headers.index("所在单位（统一社会信用代码）*") + 1, value=cf.CONTRACTOR)  # registered here
    wb.save(path)
    result = import_xlsx(world, path, "persons", today=cf.TODAY, pdf=False, check_only=True)
    assert result.problems == [] and result.rows == 1


# --- import -------------------------------------------------------------------------------------------


ID1, ID2, ID3, ID4 = cf.pid(41), cf.pid(42), cf.pid(43), cf.pid(44)
BAD_ID = ID2[:-1] + ("1" if ID2[-1] != "1" else "2")
GOOD = {"序号": 1, "姓名": "李明", "身份证号": ID1, "所在单位（统一社会信用代码）": cf.CONTRACTOR,
        "岗位角色": "作业人员", "用工形式": "劳务分包", "参加工伤保险": "是", "入场/入职日期": "2026-08-01"}


def roster(tmp_path) -> Path:
    rows = [
        dict(GOOD),
        dict(GOOD, 序号=2, 姓名="王刚", 身份证号=BAD_ID),  # check digit wrong
        dict(GOOD, 序号=3, 姓名="赵强", 身份证号=ID3, **{"入场/入职日期": "2026-13-01"}),
        dict(GOOD, 序号=4, 姓名="钱学", 身份证号=ID4, 岗位角色="特种作业人员"),  # no certificate
    ]
    return fill(write_template("persons", tmp_path / "t.xlsx"), tmp_path / "roster.xlsx", {"人员": rows})


def test_a_roster_with_bad_rows_is_rejected_naming_row_and_column(world, tmp_path):
    before = person_count(world)
    with pytest.raises(ImportFailed) as e:
        import_xlsx(world, roster(tmp_path), "persons", today=cf.TODAY, pdf=False)
    lines = [p.line() for p in e.value.row_problems]
    assert lines[0].startswith("[人员]第4行 C列（身份证号）: 身份证号：校验码错误")
    assert any(line.startswith("[人员]第5行 H列（入场/入职日期）: 入场/入职日期：日期无效") for line in lines)
    assert any(line.startswith("[人员]第6行（证书，见工作表“证书”）: 岗位为特种作业人员，但未登记特种作业操作证") for line in lines)
    assert {p.row for p in e.value.row_problems} == {4, 5, 6}
    assert "未导入任何数据" in e.value.message and person_count(world) == before
    text = "\n".join(e.value.lines())
    assert "roster.xlsx: [人员]第4行 C列（身份证号）" in text


def test_skip_bad_rows_imports_the_good_ones_and_lists_the_rest(world, tmp_path):
    before = person_count(world)
    result = import_xlsx(world, roster(tmp_path), "persons", today=cf.TODAY, pdf=False, skip_bad_rows=True)
    assert result.skipped == [4, 5, 6]
    assert [(x["row"], x["title"], x["status"]) for x in result.imported] == [(3, "人员 李明", "added")]
    assert person_count(world) == before + 1
    again = import_xlsx(world, roster(tmp_path), "persons", today=cf.TODAY, pdf=False, skip_bad_rows=True)
    assert [x["status"] for x in again.imported] == ["unchanged"]


def test_child_sheet_rows_attach_to_their_person(world, tmp_path):
    welder = dict(GOOD, 姓名="孙焊", 身份证号=ID3, 岗位角色="特种作业人员")
    cert = {"序号": 1, "身份证号": ID3, "证书类别": "特种作业操作证", "作业类别/项目": "焊接与热切割作业",
            "证书编号": ID3, "初领/发证日期": "2025-01-10", "有效期至": "2031-01-09"}
    stray = dict(cert, 序号=2, 身份证号="110105194912310021")
    path = fill(write_template("persons", tmp_path / "t.xlsx"), tmp_path / "w.xlsx", {"人员": [welder], "证书": [cert, stray]})
    with pytest.raises(ImportFailed) as e:
        import_xlsx(world, path, "persons", today=cf.TODAY, pdf=False)
    (p,) = e.value.row_problems
    assert (p.sheet, p.row, p.column) == ("证书", 4, "B") and "没有对应的行" in p.message
    path = fill(write_template("persons", tmp_path / "t.xlsx"), tmp_path / "w2.xlsx", {"人员": [welder], "证书": [cert]})
    result = import_xlsx(world, path, "persons", today=cf.TODAY, pdf=False)
    assert [x["title"] for x in result.imported] == ["人员 孙焊"]
    person = world.registry().person(ID3)
    assert person.certificates[0].category == "焊接与热切割作业"


def test_duplicates_unknown_columns_and_numeric_ids(world, tmp_path):
    path = fill(write_template("persons", tmp_path / "t.xlsx"), tmp_path / "d.xlsx",
                {"人员": [dict(GOOD), dict(GOOD, 序号=2, 姓名="李明")]})
    with pytest.raises(ImportFailed) as e:
        import_xlsx(world, path, "persons", today=cf.TODAY, pdf=False)
    assert [(p.row, p.column, p.message) for p in e.value.row_problems] == [(4, "C", "与第3行重复 (duplicate of row 3)")]
    wb = load_workbook(path)
    wb["人员"].cell(row=1, column=20, value="微信号")
    wb["人员"].cell(row=3, column=3, value=float(ID1))
    wb.save(path)
    with pytest.raises(ImportFailed) as e:
        import_xlsx(world, path, "persons", today=cf.TODAY, pdf=False)
    (p,) = e.value.row_problems  # layout problems stop before the rows are read
    assert (p.row, p.column, p.header) == (1, "T", "微信号")
    wb["人员"].cell(row=1, column=20).value = None
    wb.save(path)
    with pytest.raises(ImportFailed) as e:
        import_xlsx(world, path, "persons", today=cf.TODAY, pdf=False)
    assert any(p.row == 3 and p.column == "C" and "文本格式" in p.message for p in e.value.row_problems)


def test_contractors_with_qualifications_and_projects_with_rosters(world, tmp_path):
    c2 = cf.f.CONTRACTOR2
    org = {"序号": 1, "统一社会信用代码": c2, "单位名称": "济南顺达劳务有限公司", "地址": "济南市历下区", "从业人员数": 40,
           "设置安全生产管理机构": "否", "专职安全生产管理人员数": 1}
    qual = {"序号": 1, "统一社会信用代码": c2, "资质类别": "建筑业企业资质证书", "证书编号": "D337000001", "发证机关": "济南市行政审批服务局",
            "许可范围/资质等级": "施工劳务不分等级", "有效期起": "2024-01-01", "有效期至": "2029-01-01"}
    path = fill(write_template("contractors", tmp_path / "c.xlsx"), tmp_path / "c2.xlsx", {"承包单位": [org], "资质与许可": [qual]})
    result = import_xlsx(world, path, "contractors", today=cf.TODAY, pdf=False)
    assert [x["title"] for x in result.imported] == ["单位 济南顺达劳务有限公司"]
    o = world.registry().organization(c2)
    assert o.role == "contractor" and o.qualifications[0].number == "D337000001" and o.safety_department is False
    project = {"序号": 1, "项目编号": "HR-WB-2026-009", "项目名称": "库房屋面防水维修", "发包单位（统一社会信用代码）": cf.ENTERPRISE,
               "承包单位（统一社会信用代码）": cf.CONTRACTOR, "类别": "外包", "作业内容": "维护、检修", "作业地点": "成品库",
               "约定工期·开始日期": "2026-09-01", "约定工期·结束日期": "2026-09-20", "承包单位设立项目部": "是",
               "项目负责人·姓名": cf.NAMES["manager"], "项目负责人·身份证号": cf.IDS["manager"], "涉及的危险作业": "高处、动火"}
    worker = {"序号": 1, "项目编号": "HR-WB-2026-009", "姓名": cf.NAMES["welder"], "身份证号": cf.IDS["welder"], "职务": "电焊工"}
    path = fill(write_template("projects", tmp_path / "p.xlsx"), tmp_path / "p2.xlsx", {"外包项目": [project], "作业人员名册": [worker]})
    result = import_xlsx(world, path, "projects", today=cf.TODAY, pdf=False)
    assert [x["title"] for x in result.imported] == ["外包项目 库房屋面防水维修"]
    p = world.registry().project(cf.ENTERPRISE, "HR-WB-2026-009")
    assert p.dangerous_work == ("work_at_height", "hot_work") and p.work_content == ("维护", "检修")
    assert p.manager.name == cf.NAMES["manager"] and [w.name for w in p.workers] == [cf.NAMES["welder"]]


def test_references_are_resolved_against_the_archive(world, tmp_path):
    stranger = dict(GOOD, **{"所在单位（统一社会信用代码）": cf.f.CONTRACTOR2})
    path = fill(write_template("persons", tmp_path / "t.xlsx"), tmp_path / "s.xlsx", {"人员": [stranger]})
    with pytest.raises(ImportFailed) as e:
        import_xlsx(world, path, "persons", today=cf.TODAY, pdf=False)
    (p,) = e.value.row_problems
    assert (p.row, p.column, p.header) == (3, "D", "所在单位（统一社会信用代码）") and "未登记" in p.message


# --- hostile workbooks ------------------------------------------------------------------------------


def test_an_xlsx_bomb_is_refused_before_openpyxl_reads_it(world, tmp_path):
    import zipfile

    from archive.errors import ValidationFailed

    template = write_template("persons", tmp_path / "t.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        with dst.open("xl/bomb.xml", "w", force_zip64=True) as out:
            for _ in range(64):
                out.write(bytes(1 << 20))
    assert bomb.stat().st_size < 2 << 20
    before = person_count(world)
    with pytest.raises(ValidationFailed) as e:
        import_xlsx(world, bomb, "persons")
    assert "expands too far" in e.value.problems[0].message
    assert person_count(world) == before


def test_a_roster_of_too_many_rows_is_refused(world, tmp_path):
    from archive.campaign.rosters import MAX_ROWS

    wb = load_workbook(write_template("persons", tmp_path / "t.xlsx"))
    ws = wb[wb.sheetnames[0]]
    for r in range(3, MAX_ROWS + 4):
        ws.cell(row=r, column=1, value="x")
    wb.save(tmp_path / "many.xlsx")
    with pytest.raises(ImportFailed) as e:
        import_xlsx(world, tmp_path / "many.xlsx", "persons")
    assert any("too many rows" in p.line() for p in e.value.problems)


def no_glyph_roster(tmp_path) -> Path:
    """Row 3 a person as any; row 4 one whose name has a character no installed font draws (CJK
    Extension B): it validates, but its document cannot be made."""
    rows = [dict(GOOD), dict(GOOD, 序号=2, 姓名="𠀀乙", 身份证号=ID3)]
    return fill(write_template("persons", tmp_path / "t.xlsx"), tmp_path / "roster.xlsx", {"人员": rows})


def test_a_row_whose_document_cannot_be_made_imports_no_row(world, tmp_path):
    before = person_count(world)
    with pytest.raises(ImportFailed) as e:
        import_xlsx(world, no_glyph_roster(tmp_path), "persons", today=cf.TODAY)
    assert {p.row for p in e.value.row_problems} == {4}
    assert "𠀀" in e.value.row_problems[0].message and "未导入任何数据" in e.value.message
    assert person_count(world) == before  # not row 3 either: all or nothing


def test_with_skip_bad_rows_such_a_row_is_skipped_and_said(world, tmp_path):
    before = person_count(world)
    result = import_xlsx(world, no_glyph_roster(tmp_path), "persons", today=cf.TODAY, skip_bad_rows=True)
    assert result.skipped == [4]
    assert [p.row for p in result.problems] == [4]
    assert [(x["row"], x["status"]) for x in result.imported] == [(3, "added")]
    assert person_count(world) == before + 1


def test_a_formula_without_its_result_is_named_as_such(world, tmp_path):
    """A workbook written by a program that does not calculate (never opened and saved in Excel or
    WPS) keeps its formulas without results: such a cell is named as a formula to open and save,
    not as a missing value; a formula whose result the file keeps imports as that value."""
    rows = [dict(GOOD, 姓名='="李"&"明"'), dict(GOOD, 序号=2, 姓名="王刚", 身份证号=ID2)]
    path = fill(write_template("persons", tmp_path / "t.xlsx"), tmp_path / "formulas.xlsx", {"人员": rows})
    before = person_count(world)
    with pytest.raises(ImportFailed) as e:
        import_xlsx(world, path, "persons", today=cf.TODAY, pdf=False)
    lines = [p.line() for p in e.value.row_problems]
    assert len(lines) == 1 and lines[0].startswith("[人员]第3行 B列（姓名）: 公式单元格没有保存计算结果"), lines
    assert person_count(world) == before
    # the same formula with its result kept (as Excel writes it): the value is imported
    import re
    import zipfile
    kept, changed = tmp_path / "kept.xlsx", 0
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(kept, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data, n = re.subn(rb'<c r="B3"[^>]*><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                                  lambda m: b'<c r="B3" t="str"><f>' + m.group(1) + "</f><v>李明</v></c>".encode(), data)
                changed += n
            dst.writestr(item, data)
    assert changed == 1
    result = import_xlsx(world, kept, "persons", today=cf.TODAY, pdf=False, check_only=True)
    assert result.problems == [] and result.rows == 2
