"""Campaign reports and the campaign calendar: figures that match the archive, GB/T 9704 layout in
the DOCX, golden text (the extracted text of each DOCX, never bytes), the .xlsx tables, the PDF,
and who has handed in what by when.

Goldens live in ``tests/golden/campaign/``; after an intended change regenerate them with

    UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/test_reports.py

and review the diff.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timezone
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook

from archive.app import Archive
from archive.campaign.calendar import campaign_status, deliverable_state, stage_on
from archive.checks.snapshot import Rec, Snapshot
from archive.campaign.reports import build_report, render_report, write_report
from tests import campaign_factories as cf
from tests import goldens

GOLDEN = Path(__file__).resolve().parent / "golden" / "campaign"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DATES = {"attachment2": date(2026, 4, 30), "self_check": date(2026, 6, 10), "summary": date(2026, 10, 20), "ledger": date(2026, 10, 20)}


@pytest.fixture
def world(tmp_path_factory, tmp_path):
    a = Archive.open(cf.copy_home(cf.world_home(tmp_path_factory), tmp_path / "archive"))
    yield a
    a.close()


def docx_text(docx: bytes, part: str = "word/document.xml") -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        root = etree.fromstring(z.read(part))
    lines = []
    for p in root.iter(f"{W}p"):
        lines.append("".join(t.text or "" for t in p.iter(f"{W}t")).rstrip())
    text = "\n".join(lines).replace("\u2060", "").replace("\u200b", "")  # the joiners that keep codes whole and the breaks of number lists are invisible
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def assert_matches_golden(name: str, actual: str) -> None:
    goldens.assert_matches_golden(GOLDEN / name, actual, rerun="tests/test_reports.py")


# --- figures match the archive --------------------------------------------------------------------------


def count(archive, types, until: date, **kw) -> int:
    return len(archive.list_records(types=types, until=until.isoformat(), **kw))


@pytest.mark.parametrize("kind", ["self_check", "summary"])
def test_figures_match_the_catalog(world, kind):
    day = DATES[kind]
    fig = build_report(world, kind, as_of=day).figures
    assert fig["tickets"] == count(world, ["work_ticket"], day)
    for tt in ("hot_work", "temporary_power", "lifting", "confined_space"):
        assert fig[f"tickets_{tt}"] == count(world, ["work_ticket"], day, ticket_type=tt)
    assert fig["training_records"] == count(world, ["training_record"], day)
    assert fig["contracts"] == count(world, ["outsourcing_contract"], day)
    assert fig["agreements"] == count(world, ["safety_agreement"], day)
    assert fig["enterprise_inspections"] == count(world, ["contractor_inspection"], day)
    assert fig["hazards"] == count(world, ["hazard"], day)
    assert fig["assessments"] == count(world, ["quarterly_assessment"], day)
    assert fig["projects"] == len(world.list_registry("project")) == 1
    assert fig["contractors"] == 1 and fig["workers"] == 7 and fig["special_operators"] == fig["special_certified"] == 4
    assert fig["labour_trained"] == 1  # 赵普, 劳务分包
    assert fig["rules"] == 15


def test_report_text_states_the_figures(world):
    built = build_report(world, "self_check", as_of=date(2026, 6, 10))
    text = "\n".join(p for s in built.obj.sections for p in s.paragraphs)
    fig = built.figures
    assert f"办理危险作业票{fig['tickets']:g}张" in text
    assert f"建立三级安全教育登记卡{fig['training_records']:g}份" in text
    assert f"对承包单位开展安全检查{fig['enterprise_inspections']:g}次" in text
    stated = {f.key: f.value for f in built.obj.figures}
    assert stated == {k: float(v) for k, v in fig.as_dict().items()}  # the record keeps the same figures


def test_attachment2_rows_are_the_projects(world):
    built = build_report(world, "attachment2", as_of=date(2026, 4, 30))
    (table,) = built.obj.tables
    assert len(table.rows) == 1 and len(table.columns) == 19
    row = dict(zip(table.columns, table.rows[0].cells))
    assert row["承包单位名称"] == "山东恒安设备安装工程有限公司" and row["项目负责人"] == "马志强"
    assert row["安全生产管理协议（签订日期）"] == "2026年4月1日" and row["作业票（张）"] == "0"  # no ticket by 4-30
    assert row["三级安全教育（应教育/已完成）"] == "7/7" and row["特种作业人员（人数/持证数）"] == "4/4"
    assert row["备注"] == "／"  # an empty cell, printed the way the forms do
    assert table.widths == ()  # fitted to the content when rendered (archive/documents/tables.py)


# --- one source for each figure: the text agrees with the annex --------------------------------------------


@pytest.fixture
def examples(tmp_path_factory, tmp_path):
    a = Archive.open(cf.copy_home(cf.examples_home(tmp_path_factory), tmp_path / "examples"))
    yield a
    a.close()


_NUMBER = re.compile(r"(?<![A-Za-z0-9_.\-—/])(\d[\d,]*(?:\.\d+)?)(?![A-Za-z0-9_.\-—/年月日时分])")


def stated_numbers(built, check) -> list[float]:
    """Every number the report's prose states, except inside the findings it quotes (their
    messages are in the annex) and inside dates, codes and document numbers."""
    text = "\n".join(p for s in built.obj.sections for p in s.paragraphs)
    for f in check.findings("warning"):
        text = text.replace(f.message, "")
    text = re.sub(r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}年|第\d+季度|GB \d+—\d+", "", text)
    text = re.sub(r"^\d+\.", "", text, flags=re.M)  # item numbers
    return [float(x.replace(",", "")) for x in _NUMBER.findall(text)]


def annex_counts(built) -> dict:
    (table,) = built.obj.tables
    rows = [dict(zip(table.columns, r.cells)) for r in table.rows]
    state = [r["整改情况"] for r in rows]
    return {"problems": len(rows), "problems_major": sum(1 for r in rows if r["性质"] == "重大事故隐患"),
            "rect_closed": sum(1 for x in state if x.startswith("已整改")),
            "rect_open": sum(1 for x in state if x.startswith("正在整改")),
            "rect_overdue": sum(1 for x in state if x.startswith("逾期未整改"))}


@pytest.mark.parametrize("day", [date(2026, 6, 10), date(2026, 9, 8), date(2026, 11, 29), date(2026, 12, 20)])
def test_self_check_report_agrees_with_its_annex(examples, day):
    """Every problem and rectification figure of the 自查报告 is counted from its annex, and every
    number its prose states is one of its figures."""
    from archive.checks.rules import run_checks

    built = build_report(examples, "self_check", as_of=day, enterprise=cf.ENTERPRISE)
    fig = built.figures
    counts = annex_counts(built)
    for key, n in counts.items():
        assert fig[key] == n, key
    closed = counts["rect_closed"]
    assert fig["rect_rate"] == round(closed * 100 / counts["problems"], 1)
    text = "\n".join(p for s in built.obj.sections for p in s.paragraphs)
    assert (f"问题共{counts['problems']}项，其中重大事故隐患{counts['problems_major']}项；已整改{closed}项，正在整改{counts['rect_open']}项，"
            f"逾期未整改{counts['rect_overdue']}项") in text
    values = set(fig.as_dict().values())
    check = run_checks(Snapshot.from_archive(examples), day, enterprise=cf.ENTERPRISE)
    assert all(n in values for n in stated_numbers(built, check)), [n for n in stated_numbers(built, check) if n not in values]


@pytest.mark.parametrize("who", ["enterprise", "bureau"])
def test_summary_report_states_only_figures_of_its_annex(examples, who, monkeypatch):
    from archive.checks.rules import run_checks

    if who == "bureau":  # the district's report: every enterprise of the archive
        _make_bureau(examples, monkeypatch)
    built = build_report(examples, "summary", as_of=date(2026, 10, 20), enterprise=cf.ENTERPRISE if who == "enterprise" else None)
    (table,) = built.obj.tables
    annex = {r.cells[1]: float(r.cells[2].replace(",", "")) for r in table.rows}
    assert annex == {lab: v for lab, v in built.figures.values.values()}
    check = run_checks(Snapshot.from_archive(examples), date(2026, 10, 20), enterprise=cf.ENTERPRISE if who == "enterprise" else None)
    stated = stated_numbers(built, check)
    assert stated and all(n in set(annex.values()) for n in stated), [n for n in stated if n not in set(annex.values())]


def _as_bureau(original):
    def snap(archive, **kw):
        s = original(archive, **kw)
        return Snapshot(s.recs, owner=cf.BUREAU, owner_role="bureau", settings=s.settings, earlier=s.earlier)
    return snap


def _make_bureau(archive, monkeypatch):
    """The examples' archive as the bureau's own: its owner is the bureau (both the facts' path and
    the in-memory snapshot read it from the catalog)."""
    with archive.catalog.transaction():
        archive.catalog.set_meta("owner_uscc", cf.BUREAU)
        archive.catalog.set_meta("owner_role", "bureau")
    monkeypatch.setattr(Snapshot, "from_archive", _as_bureau(Snapshot.from_archive))


def test_the_bureaus_summary_is_its_own_upward_report(examples, monkeypatch):
    _make_bureau(examples, monkeypatch)
    built = build_report(examples, "summary", as_of=date(2026, 10, 20))
    obj = built.obj
    assert obj.bureau == cf.BUREAU and obj.recipient == "济南高新区人民政府"
    assert obj.doc_no == "济高新应急〔2026〕1号" and obj.signer == "彭立新"  # 发文字号 and 签发人 of an upward 公文
    text = "\n".join(p for s in obj.sections for p in s.paragraphs)
    assert text.startswith("2026年，我局组织辖区工贸企业") and "按照区应急管理局" not in text
    docx = docx_text(render_report(examples, built))
    assert "济南高新区应急管理局文件" in docx and "济高新应急〔2026〕1号签发人：彭立新" in docx.replace("　", "")


@pytest.mark.parametrize("kind", ["self_check", "summary"])
def test_no_internal_codes_or_program_names_in_a_report(examples, kind):
    built = build_report(examples, kind, as_of=date(2026, 11, 29), enterprise=cf.ENTERPRISE)
    docx = docx_text(render_report(examples, built))
    assert not re.search(r"(?<![A-Za-z0-9-])(E[1-5]|C[1-5]|3-[1-3]|CS-[12])(?![A-Za-z0-9-])", docx)
    assert "outsafe" not in docx.lower() and "ZCBG" not in docx and "ZJBG" not in docx
    assert not re.search(r"\d{4}-\d{2}-\d{2}", docx)
    # the 以包代管 items cite the provision violated: 第四十九条第二款, not 第一百零三条第一款 / 第一百零六条
    assert "第一百零三条第一款" not in docx and "第一百零六条" not in docx


def test_a_certificate_finding_does_not_stop_the_self_check_report(tmp_path):
    """A certificate that lapses during a project (its review overdue, or its validity ending
    before the work does) is a finding of C2/3-2 whose words go into the self-check report's
    table: they say their dates the Chinese way, so the report — validated like any case file,
    which refuses "2026-05-31" in a report — is produced. (Its dates were ISO before: `report
    self-check` failed for every enterprise with such a finding.)"""
    w = cf.world()
    w["person_electrician"]["certificates"][0]["next_review"] = "2026-05-31"  # review overdue → 失效
    a = cf.build_archive(tmp_path / "archive", tmp_path / "files", w)
    try:
        built = build_report(a, "self_check", as_of=date(2026, 11, 29), enterprise=cf.ENTERPRISE)
        cells = " ".join(c for t in built.obj.tables for r in t.rows for c in r.cells)
        assert "应于2026年5月31日前复审" in cells
        assert not re.search(r"\d{4}-\d{2}-\d{2}", cells)
    finally:
        a.close()


def test_the_annex_and_tables_print_chinese_dates(examples):
    for kind, day in (("attachment2", date(2026, 11, 29)), ("self_check", date(2026, 11, 29))):
        built = build_report(examples, kind, as_of=day, enterprise=cf.ENTERPRISE)
        cells = " ".join(c for t in built.obj.tables for r in t.rows for c in r.cells)
        assert not re.search(r"\d{4}-\d{2}-\d{2}", cells), kind
        assert "2026年" in cells


def test_an_as_of_report_shows_no_later_fact(examples):
    """附件2 of 4-30 (due that day): the projects completed in July and September were under way, and
    nothing dated after 4-30 is counted."""
    built = build_report(examples, "attachment2", as_of=date(2026, 4, 30), enterprise=cf.ENTERPRISE)
    (table,) = built.obj.tables
    rows = [dict(zip(table.columns, r.cells)) for r in table.rows]
    text = " ".join(c for r in table.rows for c in r.cells)
    assert "7月28日" not in text and "9月26日" not in text and "已完工" not in text
    assert rows[0]["作业起止日期"] == "2026年4月10日至2026年7月31日"  # the agreed period, as known on 4-30
    assert rows[1]["备注"] == "尚未开工"
    assert built.figures["tickets"] == 4  # the tickets of April only


# --- documents --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(DATES))
def test_docx_text_golden(world, kind):
    built = build_report(world, kind, as_of=DATES[kind])
    docx = render_report(world, built)
    assert_matches_golden(f"{kind}.txt", docx_text(docx))


def test_a_table_cell_carries_only_what_it_prints(world):
    """Each cell of the bureau's ledger is a few elements (a ledger at 10^5 records is ~46,000
    cells, and every element and attribute costs ~0.1–0.2 KB of the rendered document's tree): one
    run whose font names an East Asian and a Latin face, no paragraph-mark font, no complex-script
    face or size — and the cell still says everything in its row's font size."""
    built = build_report(world, "ledger", as_of=DATES["ledger"])
    with zipfile.ZipFile(io.BytesIO(render_report(world, built))) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    table = next(t for t in root.iter(f"{W}tbl") if len(t.findall(f"{W}tr")) >= 2 and t.find(f"{W}tblGrid") is not None
                 and len(t.find(f"{W}tblGrid")) == 13)
    cells = [tc for tr in table.findall(f"{W}tr")[1:] for tc in tr.findall(f"{W}tc")]
    assert len(cells) >= 13
    sizes = set()
    for tc in cells:
        assert sum(1 for e in tc.iter() if e.tag not in (f"{W}t", f"{W}br")) <= 16, etree.tostring(tc, encoding="unicode")
        ppr = tc.find(f"{W}p/{W}pPr")
        assert ppr.find(f"{W}rPr") is None
        for fonts in tc.iter(f"{W}rFonts"):
            assert fonts.get(f"{W}eastAsia") and fonts.get(f"{W}ascii") and fonts.get(f"{W}cs") is None
        assert not list(tc.iter(f"{W}szCs"))
        sizes |= {sz.get(f"{W}val") for sz in tc.iter(f"{W}sz")}
    assert len(sizes) == 1 and int(sizes.pop()) in (16, 18)  # 8 or 9 pt, the table's layout


def test_gb9704_layout_of_the_report(world):
    docx = render_report(world, build_report(world, "self_check", as_of=date(2026, 6, 10)))
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        doc = etree.fromstring(z.read("word/document.xml"))
        settings = z.read("word/settings.xml").decode()
        footers = {n: z.read(n).decode() for n in z.namelist() if re.match(r"word/footer\d+\.xml", n)}
        styles = z.read("word/styles.xml").decode()
    sect = doc.find(f"{W}body/{W}sectPr")
    mar = sect.find(f"{W}pgMar")
    mm = {k: round(int(mar.get(f"{W}{k}")) * 25.4 / 1440) for k in ("top", "bottom", "left", "right")}
    assert mm == {"top": 37, "bottom": 35, "left": 28, "right": 26}
    size = sect.find(f"{W}pgSz")
    assert (round(int(size.get(f"{W}w")) * 25.4 / 1440), round(int(size.get(f"{W}h")) * 25.4 / 1440)) == (210, 297)
    assert sect.find(f"{W}docGrid").get(f"{W}linePitch") == "579"  # 28.95 pt: 22 lines in 225 mm
    assert "evenAndOddHeaders" in settings
    assert len(footers) == 2 and all("PAGE" in x and "— " in x for x in footers.values())
    assert {re.search(r'w:jc w:val="(\w+)"', x).group(1) for x in footers.values()} == {"left", "right"}
    assert '<w:spacing w:val="-5"/>' in styles  # 28 characters of 3号 in 156 mm
    paras = list(doc.iter(f"{W}p"))
    title = next(p for p in paras if "".join(t.text or "" for t in p.iter(f"{W}t")).startswith("济南华锐重型机械有限公司关于"))
    assert title.find(f"{W}r/{W}rPr/{W}sz").get(f"{W}val") == "44"  # 2号
    assert 'w:eastAsia="方正小标宋简体"' in etree.tostring(title, encoding="unicode")
    body = next(p for p in paras if "".join(t.text or "" for t in p.iter(f"{W}t")).startswith("按照区应急管理局"))
    xml = etree.tostring(body, encoding="unicode")
    assert 'w:sz w:val="32"' in xml and 'w:eastAsia="仿宋_GB2312"' in xml and 'w:line="579"' in xml and 'w:firstLineChars="200"' in xml


def test_write_report_files_and_xlsx(world, tmp_path):
    built = build_report(world, "attachment2", as_of=date(2026, 4, 30))
    paths = write_report(world, built, tmp_path, pdf=False)
    assert set(paths) == {"yaml", "docx", "xlsx"}
    wb = load_workbook(paths["xlsx"])
    ws = wb["外包作业情况表"]
    assert [c.value for c in ws[1]][:4] == ["发包单位名称", "统一社会信用代码（发包单位）", "行业", "序号"]
    assert ws.max_row == 2 and ws["A2"].value == "济南华锐重型机械有限公司"
    assert paths["yaml"].read_text(encoding="utf-8").startswith("# 外包作业情况表（济南华锐重型机械有限公司）")
    head, body = ws["A1"], ws["A2"]
    assert head.font.bold and head.font.name == "宋体" and head.fill.fgColor.rgb.endswith("DDEBF7") and head.alignment.horizontal == "center"
    assert body.font.name == "宋体" and not body.font.bold and body.alignment.wrap_text and body.alignment.vertical == "top"
    assert {body.border.top.style, body.border.left.style, body.border.right.style, body.border.bottom.style} == {"thin"}
    assert ws.freeze_panes == "A2"
    made = world.clock.now().astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    assert wb.properties.created == made and wb.properties.modified == made  # the archive's clock, not the machine's


@pytest.mark.soffice
@pytest.mark.skipif(not Path("/usr/lib/libreoffice/program/soffice.bin").exists(), reason="LibreOffice not installed")
def test_pdf_of_the_self_check_report(world, tmp_path):
    from pypdf import PdfReader

    from archive.documents.pdfcheck import check_pdf

    built = build_report(world, "self_check", as_of=date(2026, 6, 10))
    paths = write_report(world, built, tmp_path)
    pdf = paths["pdf"].read_bytes()
    assert check_pdf(pdf, ["济南华锐重型机械有限公司关于外包作业安全"]) == []
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    first = reader.pages[0].extract_text()
    assert "— 1 —" in first or "—1—" in first.replace(" ", "")
    w, h = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (210, 297)


# --- the calendar ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day,stage", [
    (date(2026, 3, 31), "mobilize"), (date(2026, 4, 1), "self_check"), (date(2026, 6, 10), "self_check"),
    (date(2026, 6, 11), "inspection"), (date(2026, 9, 11), "summary"), (date(2026, 11, 10), "summary"), (date(2026, 11, 11), None),
])
def test_stage_on(day, stage):
    st = stage_on(day, 2026)
    assert (st.key if st else None) == stage


def test_campaign_status_deadlines_and_overdue(world):
    st = campaign_status(world, date(2026, 6, 11))
    assert st["stage"]["name"] == "督查检查阶段"
    assert [(d["deliverable"], d["due"]) for d in st["deadlines"]] == [
        ("附件2 外包作业情况表", "2026-04-30"), ("整治自查报告", "2026-06-10"), ("工作总结报告", "2026-10-20"),
        ("外包作业队伍监管台账", None)]
    assert [o["deliverable"] for o in st["overdue"]] == ["附件2 外包作业情况表", "整治自查报告"]
    st = campaign_status(world, date(2026, 6, 10))
    assert [o["deliverable"] for o in st["overdue"]] == ["附件2 外包作业情况表"]  # 6-10 itself is in time
    assert st["upcoming"][0] == {"deliverable": "整治自查报告", "due": "2026-06-10", "days_left": 0}


def test_handed_in_in_time_then_submitted(world, tmp_path, monkeypatch):
    from archive.packages.export import export_package

    from datetime import datetime, timezone

    from archive import clock

    monkeypatch.setattr(world, "clock", clock.FixedClock(datetime(2026, 6, 8, 2, 0, tzinfo=timezone.utc)))
    built = build_report(world, "self_check", as_of=date(2026, 6, 8))
    paths = write_report(world, built, tmp_path / "out", pdf=False)
    world.add_files([paths["yaml"]], pdf=False, today=date(2026, 6, 8))
    d = {x["key"]: x for x in campaign_status(world, date(2026, 6, 8))["enterprises"][0]["deliverables"]}
    assert d["self_check"]["status"] == "produced" and d["self_check"]["produced_on"] == "2026-06-08"
    assert campaign_status(world, date(2026, 6, 7))["enterprises"][0]["deliverables"][1]["status"] == "missing"
    monkeypatch.setattr(world, "clock", clock.FixedClock(datetime(2026, 6, 9, 1, 0, tzinfo=timezone.utc)))
    export_package(world, tmp_path / "pkg", today=date(2026, 6, 9))
    d = {x["key"]: x for x in campaign_status(world, date(2026, 6, 12))["enterprises"][0]["deliverables"]}
    assert d["self_check"]["status"] == "submitted" and d["self_check"]["submitted_on"] == "2026-06-09"
    assert not d["self_check"]["overdue"] and not d["self_check"]["late"]
    assert d["attachment2"]["overdue"] and d["summary"]["status"] == "missing" and not d["summary"]["overdue"]


def test_bureau_side_counts_the_import_date():
    """In the bureau's archive a report counts from the day its package was imported."""
    from schemas import load
    from schemas.base import RuleContext
    from archive.settings import Settings

    raw = {"type": "campaign_report", "report_no": "ZCBG-2026", "kind": "self_check", "title": "自查报告", "enterprise": cf.ENTERPRISE,
           "recipient": "济南高新区应急管理局", "year": 2026, "as_of": "2026-06-09", "issued_on": "2026-06-09",
           "author_name": "济南华锐重型机械有限公司", "sections": [{"paragraphs": ["正文"]}]}
    obj = load(raw, RuleContext(Settings(), cf.TODAY, None)).obj
    snap = Snapshot([Rec("R1", "campaign_report", "专项整治报告 ZCBG-2026", obj, cf.ENTERPRISE, "2026-06-09T01:00:00Z")],
                    owner=cf.BUREAU, owner_role="bureau")
    late = [{"direction": "import", "origin": cf.ENTERPRISE, "day": date(2026, 6, 12), "since": None, "until": None, "records": {"R1"}}]
    d = deliverable_state(snap, late, "self_check", cf.ENTERPRISE, 2026, date(2026, 6, 20), own=False)
    assert (d["status"], d["submitted_on"], d["late"], d["overdue"]) == ("submitted", "2026-06-12", True, False)
    d = deliverable_state(snap, late, "self_check", cf.ENTERPRISE, 2026, date(2026, 6, 11), own=False)
    assert (d["status"], d["overdue"]) == ("produced", True)


def test_workers_who_entered_later_are_not_counted(examples):
    """The blasting crew of project 2 entered the site on 7-06: the report of 6-10 does not count them."""
    june = build_report(examples, "self_check", as_of=date(2026, 6, 10), enterprise=cf.ENTERPRISE).figures
    july = build_report(examples, "self_check", as_of=date(2026, 7, 10), enterprise=cf.ENTERPRISE).figures
    assert july["workers"] - june["workers"] == 2 and july["special_operators"] - june["special_operators"] == 2


def test_every_cell_of_a_workbook_is_styled(tmp_path):
    """The header and every body cell of every sheet carry the table's style (the body's is set on
    the first cell and copied to the others)."""
    from archive.campaign.reports import write_xlsx

    sheets = [("甲表", ["序号", "名称", "备注"], [[i, f"项目{i}", None if i % 2 else "已完工"] for i in range(1, 8)]),
              ("乙表", ["指标", "数值"], [["人数", 3], ["持证", 2]])]
    wb = load_workbook(write_xlsx(sheets, tmp_path / "t.xlsx"))
    for name, cols, rows in sheets:
        ws = wb[name]
        assert ws.max_row == len(rows) + 1 and [c.value for c in ws[1]] == cols
        assert all(c.font.bold and c.font.name == "宋体" and c.alignment.horizontal == "center" for c in ws[1])
        body = [c for row in ws.iter_rows(min_row=2) for c in row]
        assert len(body) == len(rows) * len(cols)
        for c in body:
            assert c.font.name == "宋体" and not c.font.bold and c.alignment.wrap_text and c.alignment.vertical == "top"
            assert {c.border.top.style, c.border.left.style, c.border.right.style, c.border.bottom.style} == {"thin"}
            assert c.fill.fill_type is None
