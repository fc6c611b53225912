"""archive/rectify.py: order drafts from findings (numbering, items, deadlines), reviews closing
items, the status of every item with a deadline, and the penalty drafts with their fine ranges."""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal

import pytest

from archive.app import Archive
from archive.checks.snapshot import Snapshot
from archive.errors import NotFound, ValidationFailed
from archive.campaign.rectify import check_draft, draft_order, draft_penalty_decision, draft_penalty_notice, draft_review, merge_findings, rectification_status, write_case_file
from archive.campaign.numbering import next_doc_no
from schemas import load, read_case_file
from schemas.base import RuleContext
from schemas.penalty import FINES, fine_problems
from tests import campaign_factories as cf


@pytest.fixture(scope="module")
def _world(tmp_path_factory):
    return cf.world_home(tmp_path_factory)


@pytest.fixture
def world(_world, tmp_path):
    a = Archive.open(cf.copy_home(_world, tmp_path / "archive"))
    yield a
    a.close()


def add(archive: Archive, tmp_path, name: str, raw: dict, today=cf.TODAY):
    path = cf.f.write(tmp_path / "more", name, raw)
    return archive.add_files([path], pdf=False, today=today).added[0]


def order(no: int, items: list[tuple[str, str]], issued: str = "2026-07-01") -> dict:
    raw = copy.deepcopy(__import__("tests.test_checks", fromlist=["order_with"]).order_with("x", "2026-07-10"))
    raw.update(doc_no=f"（高新）应急责改〔2026〕{no}号", issued_on=issued, inspected_on=issued,
               items=[{"text": t, "deadline": d} for t, d in items])
    return raw


def review(order_no: int, results: list[str], day: str, no: int = 1) -> dict:
    raw = __import__("tests.test_checks", fromlist=["review_of"]).review_of(day, "已整改")
    raw.update(doc_no=f"（高新）应急复查〔2026〕{no}号", order_doc_no=f"（高新）应急责改〔2026〕{order_no}号",
               items=[{"item": i, "result": r} for i, r in enumerate(results, 1)])
    return raw


# --- numbering -----------------------------------------------------------------------------------------


def test_next_doc_no_follows_the_highest_of_the_year(world, tmp_path):
    assert next_doc_no(world, "rectification_order", 2026) == "（高新）应急责改〔2026〕1号"
    add(world, tmp_path, "o12.yaml", order(12, [("问题一", "2026-07-10")]))
    add(world, tmp_path, "o3.yaml", order(3, [("问题二", "2026-07-10")]))
    assert next_doc_no(world, "rectification_order", 2026) == "（高新）应急责改〔2026〕13号"
    assert next_doc_no(world, "rectification_order", 2027) == "（高新）应急责改〔2027〕1号"
    assert next_doc_no(world, "penalty_notice", 2026) == "（高新）应急罚告〔2026〕1号"


# --- the order draft ----------------------------------------------------------------------------------------


@pytest.fixture
def examples(tmp_path_factory, tmp_path):
    a = Archive.open(cf.copy_home(cf.examples_home(tmp_path_factory), tmp_path / "examples"))
    yield a
    a.close()


def test_draft_order_from_findings_validates_and_cites_evidence(examples, tmp_path):
    """examples/ as of the bureau's inspection of 2026-09-08 (检记52号): project 2 had no inspection by
    the enterprise (E3 and 3-1)."""
    a = examples
    d = draft_order(a, as_of=date(2026, 9, 8))
    assert d.data["doc_no"] == "（高新）应急责改〔2026〕13号"  # after …12号 of the examples
    assert d.data["unit"] == "91370100MA3C8K2P9L" and d.data["contractor"] == "91370105MA3DK8W41C"
    assert d.data["project"] == "HR-WB-2026-002"
    assert d.data["inspection_ref"] == "（高新）应急检记〔2026〕52号"  # the 检查记录 it rests on
    assert d.data["legal_basis"] == "《中华人民共和国安全生产法》第六十五条第一款第（二）项"  # 限期改正, not （三）
    (item,) = d.data["items"]  # E3 and 3-1 are one fact: one item
    assert item["major_hazard"] is True and item["deadline"] == date(2026, 9, 15)  # settings.rectify_days_major = 7
    assert "没有发包单位对承包单位济南鲁中建设工程有限公司的安全检查记录" in item["text"] and "安全检查" in item["requirement"]
    # the provision violated, not the 判定标准 (which is the criterion of the major hazard)
    assert item["basis"] == "《中华人民共和国安全生产法》第四十九条第二款"
    assert "判定标准" in item["criterion"] and "第三条第（一）项" in item["criterion"]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", item["text"]) and "2026年5月6日至2026年9月8日" in item["text"]
    assert [i["name"] for i in d.data["inspectors"]] == ["张明远", "刘晓"]  # those of the inspection
    assert any(h.startswith("第1项 ← 三查以包代管") for h in d.header) and not any(" ← E3" in h for h in d.header)
    assert any("外包项目 厂区雨污管网改造及旧设备基础拆除工程" in h for h in d.header)
    path = write_case_file(d.data, tmp_path / "order.yaml", d.header)
    assert [p for p in check_draft(a, d.data, date(2026, 9, 8)) if p.severity == "error"] == []
    assert path.read_text(encoding="utf-8").startswith("# 责令限期整改指令书 草稿")
    r = load(read_case_file(path), RuleContext(a.settings, cf.TODAY, a.registry()))
    assert r.ok
    added = a.add_files([path], pdf=False, today=cf.TODAY).added[0]
    assert added.title == "责令限期整改指令书 （高新）应急责改〔2026〕13号"
    assert next_doc_no(a, "rectification_order", 2026).endswith("〔2026〕14号")


def test_an_order_rests_on_an_inspection_record(examples):
    with pytest.raises(NotFound, match="没有2026年11月29日对济南华锐重型机械有限公司的现场检查记录"):
        draft_order(examples, as_of=date(2026, 11, 29))


def test_order_rules_item_2_and_provisions_not_standards():
    raw = order(4, [("未定期检查承包单位", "2026-07-10")])
    raw["items"][0]["basis"] = "《工贸企业重大事故隐患判定标准》（应急管理部令第10号）第三条第（一）项"
    raw["legal_basis"] = "《中华人民共和国安全生产法》第六十五条第一款第（三）项"
    raw["items"][0]["text"] = "2026-05-06～2026-09-08 未检查"
    r = load(raw, RuleContext(cf.Settings(), cf.TODAY, None), file="x.yaml")
    errors = {p.path: p.message for p in r.problems if p.severity == "error"}
    assert "第（二）项" in errors["legal_basis"]
    assert "判定标准" in errors["items[0].basis"]
    assert "2026年5月6日" in errors["items[0].text"]
    fine = order(4, [("未定期检查承包单位", "2026-07-10")])
    fine["inspection_ref"] = "（高新）应急检记〔2026〕40号"
    assert load(fine, RuleContext(cf.Settings(), cf.TODAY, None)).problems == []  # the default basis is （二）


def test_draft_order_without_findings_is_a_clear_error(world):
    with pytest.raises(NotFound, match="没有需要责令整改的问题"):
        draft_order(world, as_of=cf.AS_OF)


def test_warnings_only_with_include_warnings(world, tmp_path):
    raw = cf.world()["ticket_lifting"]
    del raw["completion"]
    raw["ticket_no"] = "DZ-2026-0199"
    add(world, tmp_path, "t.yaml", raw)
    add(world, tmp_path, "i.yaml", cf.bureau_inspection(cf.AS_OF.isoformat()))
    with pytest.raises(NotFound):
        draft_order(world, as_of=cf.AS_OF)
    d = draft_order(world, as_of=cf.AS_OF, include_warnings=True)
    (item,) = d.data["items"]
    assert item["deadline"] == date(2026, 9, 14) and item["major_hazard"] is False  # 30 days


def test_merge_findings_keeps_unrelated_items_apart():
    from archive.checks.model import Finding

    a = Finding("E3", "error", "a", "E", "C", "P", topic="inspection")
    b = Finding("3-1", "major", "b", "E", "C", "P", topic="inspection")
    c = Finding("C4", "error", "c", "E", "C", "P")
    d = Finding("C2", "error", "d", "E", "C", "P")
    groups = merge_findings([a, b, c, d])
    assert sorted(len(g) for g in groups) == [1, 1, 2]


# --- reviews and status -------------------------------------------------------------------------------------


def test_status_open_overdue_closed_and_review(world, tmp_path):
    add(world, tmp_path, "o5.yaml", order(5, [("警示标志缺失", "2026-07-10"), ("一闸多机", "2026-07-05")]))
    snap = Snapshot.from_archive(world)
    st = rectification_status(snap, date(2026, 7, 5))
    items = {i["ref"]: i for i in st["items"]}
    assert items["（高新）应急责改〔2026〕5号 第2项"]["status"] == "open"  # the deadline day itself
    st = rectification_status(snap, date(2026, 7, 6))
    items = {i["ref"]: i for i in st["items"]}
    assert items["（高新）应急责改〔2026〕5号 第2项"]["status"] == "overdue"
    assert items["（高新）应急责改〔2026〕5号 第1项"]["status"] == "open"
    assert items["HR-YH-2026-0023"]["status"] == "closed"
    add(world, tmp_path, "r1.yaml", review(5, ["已整改", "部分整改"], "2026-07-08"))
    snap = Snapshot.from_archive(world)
    st = rectification_status(snap, date(2026, 7, 20))
    items = {i["ref"]: i for i in st["items"]}
    assert items["（高新）应急责改〔2026〕5号 第1项"]["status"] == "closed"
    assert items["（高新）应急责改〔2026〕5号 第1项"]["closed_by"]["title"] == "整改复查意见书 （高新）应急复查〔2026〕1号"
    assert items["（高新）应急责改〔2026〕5号 第2项"]["status"] == "overdue"
    assert "部分整改" in items["（高新）应急责改〔2026〕5号 第2项"]["note"]
    # the review is not seen before its day
    assert {i["ref"]: i for i in rectification_status(snap, date(2026, 7, 7))["items"]}[
        "（高新）应急责改〔2026〕5号 第1项"]["status"] == "open"
    g = next(x for x in st["groups"] if x["contractor"] == cf.CONTRACTOR)
    assert (g["closed"], g["overdue"], g["open"]) == (2, 1, 0)  # order item 1 + hazard; order item 2
    assert st["summary"]["rate"] == pytest.approx(66.7)


def test_contractor_inspection_with_deadline_closed_by_a_later_one(world, tmp_path):
    add(world, tmp_path, "i9.yaml", cf.inspection(9, "2026-08-11", result="限期整改", problems=["气瓶未固定"], deadline="2026-08-13"))
    snap = Snapshot.from_archive(world)
    items = {i["ref"]: i for i in rectification_status(snap, date(2026, 8, 14))["items"]}
    assert items["HR-XGF-JC-2026-009"]["status"] == "overdue"
    add(world, tmp_path, "i10.yaml", cf.inspection(10, "2026-08-14"))
    snap = Snapshot.from_archive(world)
    items = {i["ref"]: i for i in rectification_status(snap, date(2026, 8, 15))["items"]}
    assert items["HR-XGF-JC-2026-009"]["status"] == "closed" and items["HR-XGF-JC-2026-009"]["closed_on"] == "2026-08-14"


def test_review_draft_lists_every_item(world, tmp_path):
    add(world, tmp_path, "o7.yaml", order(7, [("问题一", "2026-07-10"), ("问题二", "2026-07-12")]))
    d = draft_review(world, "（高新）应急责改〔2026〕7号", reviewed_on=date(2026, 7, 30))
    assert [i["item"] for i in d.data["items"]] == [1, 2] and {i["result"] for i in d.data["items"]} == {"未整改"}
    assert d.data["doc_no"] == "（高新）应急复查〔2026〕1号"
    assert any("晚于最后整改期限" in n for n in d.notes)  # 2026-07-12 + 10 days < 07-30
    with pytest.raises(NotFound):
        draft_review(world, "（高新）应急责改〔2026〕99号", reviewed_on=date(2026, 7, 30))


# --- penalties ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key,fine,ok", [
    ("SPL 103-2", "50000", True), ("SPL 103-2", "50000.01", False), ("SPL 103-1", "99999", False),
    ("SPL 103-1", "100000", True), ("SPL 97-overdue", "200000", True), ("SPL 114-1", "250000", False),
])
def test_fine_must_lie_in_the_article_range(key, fine, ok):
    assert (fine_problems(key, Decimal(fine), None, party="unit") == []) is ok


def test_gains_based_fine_and_party_kind():
    assert fine_problems("SPL 103-1-gains", Decimal("400000"), Decimal("150000"), party="unit") == []
    assert fine_problems("SPL 103-1-gains", Decimal("800000"), Decimal("150000"), party="unit")  # > 5×
    assert fine_problems("SPL 103-1-gains", Decimal("200000"), Decimal("50000"), party="unit")  # gains < 100k
    assert [p for p, _ in fine_problems("SPL 103-2-person", Decimal("5000"), None, party="unit")] == ["article"]
    assert FINES["SPL 103-2"].range_text() == "5万元以下" and FINES["SPL 97-person"].range_text() == "2万元以上5万元以下"


def notice(world, **kw):
    args = dict(case_no="（高新）应急立〔2026〕8号", article="SPL 103-2", party=cf.ENTERPRISE,
                facts="你单位未对承包单位的安全生产工作统一协调、管理", evidence=("HR-XGF-JC-2026-001", "HR-AQXY-2026-001"),
                amount=Decimal("30000"), issued_on=date(2026, 11, 20))
    args.update(kw)
    return draft_penalty_notice(world, **args)


def test_penalty_notice_draft_numbered_linked_and_valid(world):
    d = notice(world)
    data = d.data
    assert data["doc_no"] == "（高新）应急罚告〔2026〕1号" and data["case_no"] == "（高新）应急立〔2026〕8号"
    assert data["legal_basis"] == "《中华人民共和国安全生产法》第一百零三条第二款"
    assert data["violated"] == "《中华人民共和国安全生产法》第四十九条第二款"
    assert data["hearing_right"] is True and data["hearing_days"] == 5  # 30 000 ≥ the 20 000 threshold
    assert data["statement_days"] == 3 and data["contact_person"] == "刘晓"
    # every cited piece of evidence is an archived record, named after it
    assert data["evidence"] == [{"name": "承包单位安全检查记录", "refs": ["HR-XGF-JC-2026-001"]},
                                {"name": "安全生产管理协议", "refs": ["HR-AQXY-2026-001"]}]
    # 第一百零三条第二款: 责令限期改正 with the fine
    assert data["correction_deadline"] == date(2026, 12, 11)
    assert [p.line() for p in check_draft(world, data, cf.TODAY) if p.severity == "error"] == []
    small = notice(world, amount=Decimal("10000")).data
    assert small["hearing_right"] is False and "hearing_days" not in small
    with pytest.raises(NotFound, match="询问笔录"):
        notice(world, evidence=("HR-XGF-JC-2026-001", "询问笔录"))


def test_penalty_notice_upper_limit_and_range_errors(world):
    assert notice(world, amount=None, upper_limit=True).data["fine"] == Decimal("50000")
    bad = notice(world, amount=Decimal("60000")).data
    errors = [p for p in check_draft(world, bad, cf.TODAY) if p.severity == "error"]
    assert [p.path for p in errors] == ["fine"] and "5万元以下" in errors[0].message
    with pytest.raises(ValidationFailed):
        notice(world, article="SPL 999")
    person = notice(world, article="SPL 103-2-person", person=cf.IDS["principal"], amount=Decimal("8000")).data
    assert person["person"]["name"] == "周建国" and person["hearing_right"] is True  # ≥ 5 000 for a person
    assert "correction_deadline" not in person  # the order to correct is addressed to the unit


def test_a_penalty_without_the_correction_the_article_orders_is_refused(world):
    data = notice(world).data
    del data["correction_deadline"]
    errors = [p for p in check_draft(world, data, cf.TODAY) if p.severity == "error"]
    assert [p.path for p in errors] == ["correction_deadline"] and "责令限期改正" in errors[0].message


def test_check_draft_runs_what_case_validate_runs(world):
    """References and cited evidence are checked on a draft as on a hand-written file."""
    data = notice(world).data
    data["evidence"] = [{"name": "询问笔录", "refs": ["（高新）应急立〔2026〕8号-询1"]}]
    data["contractor"] = "91370102MA3ENQ6T7T"  # not registered in the world
    errors = {p.path for p in check_draft(world, data, cf.TODAY) if p.severity == "error"}
    assert {"evidence[0].refs[0]", "contractor"} <= errors


def test_penalty_decision_follows_the_archived_notice(world, tmp_path):
    with pytest.raises(NotFound, match="没有已入档的行政处罚告知书"):
        draft_penalty_decision(world, case_no="（高新）应急立〔2026〕8号", decided_on=date(2026, 11, 28))
    d = notice(world)
    path = write_case_file(d.data, tmp_path / "n.yaml", d.header)
    world.add_files([path], pdf=False, today=cf.TODAY)
    dec = draft_penalty_decision(world, case_no="（高新）应急立〔2026〕8号", decided_on=date(2026, 11, 28)).data
    assert dec["doc_no"] == "（高新）应急罚〔2026〕1号" and dec["notice_doc_no"] == "（高新）应急罚告〔2026〕1号"
    assert dec["fine"] == Decimal("30000") and dec["payment_days"] == 15 and dec["surcharge_pct"] == 3
    assert dec["review_authority"] == "济南高新区人民政府" and "1602 0218" in dec["payment_account"]
    assert dec["correction_deadline"] == date(2026, 12, 11)
    # the periods of the notice: 3 days to state, 5 to ask for a hearing (行政处罚法 第64条)
    assert dec["statement_summary"] == "你单位在收到告知书之日起三日内未提出陈述、申辩，五日内未要求举行听证。"
    assert [p.line() for p in check_draft(world, dec, cf.TODAY) if p.severity == "error"] == []
    early = draft_penalty_decision(world, case_no="（高新）应急立〔2026〕8号", decided_on=date(2026, 11, 22)).data
    errors = [p for p in check_draft(world, early, cf.TODAY) if p.severity == "error"]
    assert [p.path for p in errors] == ["decided_on"] and "陈述、申辩期满" in errors[0].message
    wrong = dict(dec, statement_summary="当事人在收到告知书后3日内未提出陈述、申辩，也未要求听证。")
    errors = [p for p in check_draft(world, wrong, cf.TODAY) if p.severity == "error"]
    assert [p.path for p in errors] == ["statement_summary"] and "5日" in errors[0].message


# --- an order naming several contractors, item by item ----------------------------------------------------


OTHER = "91370102MA3ENQ6T7T"


def test_an_order_naming_two_contractors_is_attributed_item_by_item(world, tmp_path):
    from archive.campaign.dossier import contractor_dossier
    from archive.packages.evidence import assemble_case
    from archive.search.index import open_index

    add(world, tmp_path, "c2.yaml", cf.f.contractor(uscc=OTHER, name="济南安泰劳务服务有限公司"))
    raw = order(6, [("配电箱警示标志缺失", "2026-07-10"), ("劳务人员未经三级安全教育", "2026-07-05")])
    raw.pop("contractor")
    raw.pop("project")
    raw["items"][0]["contractor"] = cf.CONTRACTOR
    raw["items"][1]["contractor"] = OTHER
    rid = add(world, tmp_path, "o6.yaml", raw).id
    st = rectification_status(Snapshot.from_archive(world), date(2026, 7, 6))
    by = {i["ref"]: i for i in st["items"]}
    assert by["（高新）应急责改〔2026〕6号 第1项"]["contractor"] == cf.CONTRACTOR
    assert by["（高新）应急责改〔2026〕6号 第2项"]["contractor"] == OTHER
    g = next(x for x in st["groups"] if x["contractor"] == OTHER)
    assert (g["open"], g["overdue"]) == (0, 1)
    dossier = contractor_dossier(world, OTHER, as_of=date(2026, 7, 6))
    assert rid in {t["id"] for t in dossier.timeline}
    with open_index(world) as idx:
        assert rid in {h.id for h in idx.search("三级安全教育", contractor=OTHER)}
    assert rid in {r["id"] for r in assemble_case(world, "（高新）应急立〔2026〕6号", party=cf.ENTERPRISE).rows()}


def test_an_item_contractor_contradicting_the_orders_is_an_error():
    raw = order(7, [("警示标志缺失", "2026-07-10")])
    raw["items"][0]["contractor"] = OTHER
    r = load(raw, RuleContext(cf.Settings(), cf.TODAY, None), file="x.yaml")
    assert not r.ok and any(p.path == "items[0].contractor" and "留空" in p.message for p in r.problems)


def test_an_enforcement_document_is_issued_under_the_bureaus_own_name(world):
    data = notice(world).data
    data["authority_name"] = "济南高新区应急管理局执法监察大队"
    errors = {p.path: p.message for p in check_draft(world, data, cf.TODAY) if p.severity == "error"}
    assert "authority_name" in errors and "济南高新区应急管理局的名义" in errors["authority_name"]
