"""Long tables written row by row (archive/documents/rowstream.py): the same document as docxtpl's
one tree gives, every part byte for byte, for any cell text; the ordinary way where the rows are
not where the stand-ins say."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from archive.documents import render
from archive.documents.render import render_record
from archive.documents.rowstream import Patterns, take_long_tables
from archive.settings import Settings
from schemas.campaign_report import Row
from tests.factories import id_number
from tests.test_render import DATA, docx_text, load_case, registry

ROOT = Path(__file__).resolve().parent.parent
CASE = DATA / "cases" / "campaign-table-WBQK-2026.yaml"


@pytest.fixture(scope="module")
def refs() -> dict:
    return registry(DATA / "registry")


@pytest.fixture(scope="module")
def table_case():
    return load_case(CASE)


def with_rows(obj, rows: list[tuple[str, ...]]):
    t = obj.tables[0]
    return dataclasses.replace(obj, tables=(dataclasses.replace(t, rows=tuple(Row(cells=c) for c in rows)),) + obj.tables[1:])


def parts(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return {n: z.read(n) for n in z.namelist()}


def both_ways(obj, refs, monkeypatch, rows_at: int) -> tuple[bytes, bytes]:
    monkeypatch.setattr(render, "LONG_TABLE_ROWS", rows_at)
    streamed = render_record(obj, refs, settings=Settings()).docx
    monkeypatch.setattr(render, "LONG_TABLE_ROWS", None)
    ordinary = render_record(obj, refs, settings=Settings()).docx
    return streamed, ordinary


def generated_rows(n: int, columns: int) -> list[tuple[str, ...]]:
    names = ["山东恒安设备安装工程有限公司", "济南A&B<测试>安装队", "青岛\"海\"工贸'有限公司", "", "／"]
    out = []
    for i in range(n):
        row = [str(i + 1), f"铸造车间检修工程（HR-WB-2026-{i:03d}）", names[i % len(names)], "动火\n受限空间\n\n高处",
               "91370100MA3C8K2P9L", id_number(f"37010219900307{i % 10:02d}1"), "2026年3月1日—\n2026年4月30日", "{{ 7*7 }} {_{x}_} {%p if %}"]
        out.append(tuple((row * 3)[:columns]))
    return out


def test_a_long_table_is_written_as_the_ordinary_render_writes_it(table_case, refs, monkeypatch):
    columns = len(table_case.tables[0].columns)
    obj = with_rows(table_case, generated_rows(450, columns))
    streamed, ordinary = both_ways(obj, refs, monkeypatch, 200)
    a, b = parts(streamed), parts(ordinary)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    text = "".join(docx_text(streamed).split())  # the cells broken into lines (at spaces too) to fit their columns
    assert "济南A&B<测试>安装队" in text and "{{7*7}}{_{x}_}{%pif%}" in text and "HR-WB-2026-449" in text
    assert "3701021990030" not in text  # 身份证号 in a cell masked, as in every table
    # the last row keeps with the note, the others do not
    xml = a["word/document.xml"].decode()
    assert xml.count("<w:keepNext/>") == b["word/document.xml"].decode().count("<w:keepNext/>")


_TEXT = st.text(alphabet=st.sampled_from(list("安全A1-_{}%&<>\"' \n\t\r／\u2060é𠀀\ue000")) | st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn")),
                max_size=24)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(_TEXT, min_size=3, max_size=3), min_size=3, max_size=6))
def test_any_cell_text_comes_out_as_the_ordinary_render_writes_it(table_case, refs, monkeypatch, cells):
    columns = len(table_case.tables[0].columns)
    rows = [tuple((c + [str(i)] * columns)[:columns]) for i, c in enumerate(cells)]
    streamed, ordinary = both_ways(with_rows(table_case, rows), refs, monkeypatch, 2)
    assert parts(streamed) == parts(ordinary)


def test_a_tab_or_carriage_return_in_a_cell_renders_the_table_the_ordinary_way(table_case, refs, monkeypatch):
    columns = len(table_case.tables[0].columns)
    for odd in ("甲\t乙", "甲\r乙"):
        rows = generated_rows(5, columns)
        rows[2] = (odd,) + rows[2][1:]
        obj = with_rows(table_case, rows)
        streamed, ordinary = both_ways(obj, refs, monkeypatch, 2)
        assert parts(streamed) == parts(ordinary)


def test_the_stand_ins_stand_in_a_fresh_context_and_are_refused_where_they_are_not_rows(table_case, refs):
    from archive.documents.context import build_context

    columns = len(table_case.tables[0].columns)
    obj = with_rows(table_case, generated_rows(5, columns))
    context = build_context(obj, refs, settings=Settings(), owner=None, images={}, tpl=None, template_id="campaign_table")
    taken = take_long_tables(context, 2)
    assert [len(t.rows) for t in taken] == [5]
    assert len(context["calc"].tables[0].rows) == 2  # the two stand-ins: a row, the kept last row
    stand_in = context["calc"].tables[0].rows[0].cells[0].encode()
    xml = b"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>" + stand_in + b"</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    assert Patterns.find(xml, taken) is None  # one marker of the many: not the rows it stands for
    assert take_long_tables(build_context(obj, refs, settings=Settings(), owner=None, images={}, tpl=None,
                                          template_id="campaign_table"), 5) == []  # not longer than the limit


def test_a_template_printing_the_rows_otherwise_gets_the_ordinary_render(table_case, refs, monkeypatch, tmp_path):
    """A template of one's own that prints the first row's first cell once more under the title:
    its stand-ins are not only in the rows, so the document is rendered again the ordinary way —
    the same document as with streaming off, the cell's real text where the template prints it."""
    with zipfile.ZipFile(ROOT / "doc_templates" / "campaign_table.docx") as z:
        items = {n: z.read(n) for n in z.namelist()}
    xml = items["word/document.xml"].decode()
    title = xml.index("{{ doc.title }}")
    xml = xml[:title] + "{{ calc.tables[0].rows[0].cells[1] }}" + xml[title:]
    items["word/document.xml"] = xml.encode()
    own = tmp_path / "templates"
    own.mkdir()
    with zipfile.ZipFile(own / "campaign_table.docx", "w") as z:
        for n, b in items.items():
            z.writestr(n, b)
    columns = len(table_case.tables[0].columns)
    obj = with_rows(table_case, generated_rows(6, columns))
    monkeypatch.setattr(render, "LONG_TABLE_ROWS", 2)
    streamed = render_record(obj, refs, settings=Settings(), template_dir=own).docx
    monkeypatch.setattr(render, "LONG_TABLE_ROWS", None)
    ordinary = render_record(obj, refs, settings=Settings(), template_dir=own).docx
    assert parts(streamed) == parts(ordinary)
    assert "附件2铸造车间检修工程（HR-WB-2026-000）外包作业情况表" in "".join(docx_text(streamed).split())
    assert "\ue000".encode() not in b"".join(parts(streamed).values())
