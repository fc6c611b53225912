"""archive/documents/tables.py: the paper, font, column widths and line breaks of the campaign's
tables, fitted to their content (the converted PDFs are checked by tests/test_layout_check.py over
the examples and the stress set)."""

from __future__ import annotations

import pytest

from archive.campaign.reports import A2_COLUMNS
from archive.documents.tables import (
    A3_LANDSCAPE,
    A4_PORTRAIT,
    CAMPAIGN_TABLE_PAPERS,
    CELL_PADDING,
    REPORT_ANNEX_PAPERS,
    break_cell,
    fit_table,
    floor_width,
    join_lines,
    title_lines,
    protected_spans,
    text_width,
)

USCC = "91370112MA3F7R1K8F"
A2_ROW = ["1", "铸造车间中频炉及行车设备检修工程（HR-WB-2026-001）", "外包", "检修", "山东恒安设备安装工程有限公司", USCC,
          "建筑业企业资质证书 D237058316，有效期至2027年5月15日；安全生产许可证 （鲁）JZ安许证字〔2024〕010583，有效期至2027年6月11日",
          "赵志刚", "孙丽", "7", "5/5", "2026年3月27日", "2026年3月27日", "7/7", "动火、高处、吊装、临时用电、盲板抽堵", "4", "7/7",
          "2026年4月10日至2026年7月31日", "已于2026年7月28日完工"]


def _whole(text: str, heading: bool = False) -> bool:
    """No line of ``text`` (lines as broken) ends inside a protected span of the unbroken text."""
    plain = text.replace("\n", "")
    cuts, at = [], 0
    for line in text.split("\n")[:-1]:
        at += len(line)
        cuts.append(at)
    return not any(a < c < b for c in cuts for a, b in protected_spans(plain, heading))


@pytest.mark.parametrize("width", [x / 2 for x in range(44, 120)])
def test_a_date_range_breaks_between_its_dates_at_every_width(width):
    """LibreOffice alone breaks "2026年4月10日至2026年7月31日" inside the second date at most widths
    between one date and the whole range; the cell's own breaks never do."""
    text = "2026年4月10日至2026年7月31日"
    assert floor_width(text, 8) < 26
    if width < floor_width(text, 8):
        return  # narrower than one date: fit_table never gives a column that
    broken = break_cell(text, width, 8)
    assert broken.replace("\n", "") == text and _whole(broken)
    assert all(text_width(line, 8) + CELL_PADDING <= width for line in broken.split("\n"))


def test_headings_break_between_words():
    assert break_cell("统一社会信用代码", 16, 8, heading=True) == "统一社会\n信用代码"
    assert break_cell("统一社会信用代码", 20, 8, heading=True) == "统一社会信用\n代码"
    assert _whole(break_cell("三级安全教育（应教育/已完成）", 14, 8, heading=True), heading=True)


def test_codes_and_document_numbers_are_kept_whole():
    text = "2026年6月16日 （高新）应急检记〔2026〕37号；2026年9月8日 （高新）应急检记〔2026〕52号"
    broken = break_cell(text, 48, 8)
    assert broken == "2026年6月16日\n（高新）应急检记〔2026〕37号；\n2026年9月8日\n（高新）应急检记〔2026〕52号"
    assert "HR-WB-2026-001）" in break_cell(A2_ROW[1], 30, 8).split("\n")[-1]


def test_attachment2_goes_on_a3_with_every_code_and_date_on_one_line():
    layout = fit_table(A2_COLUMNS, [A2_ROW], CAMPAIGN_TABLE_PAPERS)
    assert layout.fits and layout.paper == A3_LANDSCAPE and layout.font >= 8
    assert abs(sum(layout.widths) - A3_LANDSCAPE.text_width) < 0.05 and sum(layout.twips()) == round(348 * 1440 / 25.4)
    cells = dict(zip(A2_COLUMNS, layout.rows[0]))
    assert cells["统一社会信用代码"] == USCC and cells["外包合同（签订日期）"] == "2026年3月27日"
    assert all(_whole(c) for c in layout.rows[0]) and all(_whole(h, True) for h in layout.headings)
    assert layout.centred[A2_COLUMNS.index("序号")] and not layout.centred[A2_COLUMNS.index("资质/许可证（名称、编号、有效期至）")]


def test_a_small_table_stays_on_a4_in_a_larger_font():
    layout = fit_table(["序号", "指标", "数值"], [["1", "外包项目（个）", "2"]], REPORT_ANNEX_PAPERS)
    assert layout.paper == A4_PORTRAIT and layout.font == 10.5 and layout.fits


def test_the_long_column_gets_the_room():
    rows = [["1", "对承包单位的安全检查（HR-XGF-JC-2026-011）", "作业区域与生产区域之间未设置硬质隔离和警戒线，" * 4, "一般问题"]]
    layout = fit_table(["序号", "问题来源", "问题描述", "性质"], rows, REPORT_ANNEX_PAPERS)
    assert layout.widths[2] == max(layout.widths) and layout.widths[0] < 15


def test_a_table_no_paper_holds_is_still_laid_out():
    code = "X" * 200
    layout = fit_table(["编号"] * 3, [[code, code, code]], CAMPAIGN_TABLE_PAPERS)
    assert not layout.fits and abs(sum(layout.widths) - A3_LANDSCAPE.text_width) < 0.05


def test_a_list_of_names_breaks_between_names():
    names = ["蒋德明", "沈玉梅", "朱大勇", "秦卫国", "欧阳晓东"]
    assert join_lines(names, 40, 10.5) == "蒋德明、沈玉梅、\n朱大勇、秦卫国、\n欧阳晓东"
    assert join_lines(names, 30, 10.5) == "蒋德明、\n沈玉梅、\n朱大勇、\n秦卫国、\n欧阳晓东"
    assert join_lines(names, 200, 10.5) == "蒋德明、沈玉梅、朱大勇、秦卫国、欧阳晓东"
    assert join_lines([], 30, 10.5) == ""


def test_titles_break_between_words_into_even_lines():
    """GB/T 9704—2012 7.3.1: 词意完整，排列对称 — not "…拆除工程施工" over a lone "合同"."""
    assert title_lines("厂区雨污管网改造及旧设备基础拆除工程施工合同", 156, 22) == "厂区雨污管网改造及旧设备\n基础拆除工程施工合同"
    assert title_lines("济南高新区应急管理局关于外包作业安全专项整治工作情况的报告", 156, 22) == (
        "济南高新区应急管理局关于外包作业\n安全专项整治工作情况的报告")  # never 外包/作业
    assert title_lines("外包作业情况表", 156, 22) == "外包作业情况表"
    three = title_lines("山东省济南市高新技术产业开发区华锐重型机械装备制造股份有限公司关于外包作业安全专项整治工作情况的报告", 156, 22)
    assert three.count("\n") == 2 and all(text_width(x, 22) <= 156 for x in three.split("\n"))
