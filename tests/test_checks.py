"""archive/checks.py: every 五查 rule and 令第10号 item with a world that passes and one that fails,
a data set that breaks each rule exactly once, the as-of edges, and the admission rules.

The world (tests/campaign_factories.py) is built from raw case files loaded with the schemas and
checked without an archive (Snapshot.from_objects); the admission tests use a small real archive.
"""

from __future__ import annotations

import copy
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.checks import major_hazard
from archive.checks.rules import RULES, RULES_BY_ID, rule_table, run_checks
from archive.checks.admission import AdmissionProblem, admission_problems
from archive.checks.facts import cert_problem, uncovered
from archive.settings import Settings
from schemas.base import RuleContext
from tests import campaign_factories as cf

AS_OF = cf.AS_OF


def results(raws=None, as_of=AS_OF, settings=None, **kw):
    rep = run_checks(cf.snapshot(raws, settings), as_of, **kw)
    return {r.rule.id: r for r in rep.results}


def only(res, rule_id):
    """The single finding of a rule (asserting there is exactly one)."""
    fs = res[rule_id].findings
    assert len(fs) == 1, [f.message for f in fs]
    return fs[0]


def titles(finding):
    return [e["title"] for e in finding.evidence]


# --- the rule table -------------------------------------------------------------------------------------


def test_rule_table_cites_seed_basis_and_severity():
    ids = [r.id for r in RULES]
    assert ids == ["E1", "E2", "E3", "E4", "E5", "C1", "C2", "C3", "C4", "C5", "3-1", "3-2", "3-3", "CS-1", "CS-2"]
    for row in rule_table():
        assert row["seed_clause"] and row["basis"] and row["severity"] in ("major", "error", "warning")
    assert RULES_BY_ID["E1"].seed_clause.startswith("一查未与承包单位签订安全生产管理协议")
    assert RULES_BY_ID["C5"].seed_clause.startswith("五查进行爆破、吊装、动火、钻探、高空、进入受限空间")
    assert "第三条第（一）项" in RULES_BY_ID["3-1"].basis and RULES_BY_ID["3-1"].severity == "major"
    assert RULES_BY_ID["E1"].penalty == "SPL 103-2"


def test_clean_world_passes_every_rule():
    res = results()
    for rid, r in res.items():
        assert not r.findings, (rid, [f.message for f in r.findings])
    assert {rid for rid, r in res.items() if r.status == "not_applicable"} == {"E4", "3-3"}
    assert all(r.examined for rid, r in res.items() if r.status == "pass")


# --- 发包单位五查 ----------------------------------------------------------------------------------------


def test_e1_no_agreement_and_no_duty_clause_fails_with_the_project_as_evidence():
    w = cf.world()
    del w["agreement"]
    w["contract"]["safety_duty_clause"] = None
    res = results(w)
    f = only(res, "E1")
    assert res["E1"].status == "fail" and f.severity == "error"
    assert "签订安全生产管理协议，外包合同中也未约定各自的安全生产管理职责" in f.message
    assert titles(f) == ["外包项目 铸造车间中频炉检修工程", "外包合同 HR-HT-2026-015"]
    assert "安全生产管理协议" in f.missing[0]
    assert only(res, "3-1").severity == "major"  # no unified coordination: a major hazard too


def test_e1_duty_clause_in_the_contract_is_enough():
    w = cf.world()
    del w["agreement"]
    res = results(w)
    assert res["E1"].status == "pass"


def test_e1_agreement_term_must_cover_the_period():
    w = cf.world()
    w["agreement"]["term"]["end"] = "2026-07-31"
    res = results(w)
    f = only(res, "E1")
    assert "2026年8月1日至2026年9月30日不在安全生产管理协议期限内" in f.message
    assert "安全生产管理协议 HR-AQXY-2026-001" in titles(f)


def test_e2_unsigned_compression_fails():
    w = cf.world()
    w["contract"]["change_orders"] = [{"number": "BG-01", "date": "2026-06-01", "description": "提前完工",
                                       "new_end": "2026-08-31", "signed_by_both": False}]
    f = only(results(w), "E2")
    assert f.severity == "error" and "压缩至2026年8月31日" in f.message and titles(f) == ["外包合同 HR-HT-2026-015"]


def test_e2_early_completion_without_change_is_a_warning_and_tolerance_holds():
    w = cf.world()
    w["project"].update(status="已完工", actual_end="2026-08-01")  # 60 of 174 days early
    f = only(results(w), "E2")
    assert f.severity == "warning" and "提前 60 天" in f.message
    w["project"]["actual_end"] = "2026-09-25"  # 5 days early: within 10 %
    assert results(w)["E2"].status == "pass"


def test_e3_gap_between_inspections_fails_and_is_a_major_hazard():
    w = cf.world()
    for i in (2, 3, 4, 5):
        del w[f"inspection_{i}"]
    res = results(w)
    f = only(res, "E3")
    assert "2026年4月20日至2026年8月15日间隔 117 天" in f.message
    assert "承包单位安全检查记录 HR-XGF-JC-2026-001" in titles(f)
    m = only(res, "3-1")
    assert m.severity == "major" and m.topic == f.topic == "inspection"


def test_e3_liability_shifting_clause_is_a_warning():
    w = cf.world()
    w["agreement"]["contractor_duties"].append("施工期间发生的一切事故由乙方承担全部责任")
    f = only(results(w), "E3")
    assert f.severity == "warning" and "乙方承担全部责任" in f.message


def test_e4_accident_not_counted():
    w = cf.world()
    accident = {
        "type": "accident", "accident_no": "HR-SG-2026-001", "enterprise": cf.ENTERPRISE, "contractor": cf.CONTRACTOR,
        "project": cf.PROJECT, "occurred_at": "2026-05-13 15:10", "place": "铸造车间", "description": "轴承座翻倒砸伤左脚",
        "minor_injuries": 1, "grade": "一般", "counted_in_employer_stats": True,
    }
    w["accident"] = accident
    assert results(w)["E4"].status == "pass"
    w["accident"] = dict(accident, counted_in_employer_stats=False)
    f = only(results(w), "E4")
    assert "未纳入发包单位事故统计" in f.message and titles(f) == ["生产安全事故 HR-SG-2026-001"]


def test_e5_failed_assessment_requires_termination_and_listing():
    w = cf.world()
    w["assessment_q2"].update(result="不合格", score=52)
    f = only(results(w), "E5")
    assert "未解除工程合同关系、未纳入“黑名单”管理" in f.message
    assert titles(f)[:2] == ["承包单位季度安全生产考核 HR-KH-2026-Q2-01", "外包合同 HR-HT-2026-015"]
    # terminated and listed: passes
    w["contract"].update(status="已解除", terminated_on="2026-07-10")
    w["project"].update(status="已终止", actual_end="2026-07-10")
    w["listing"] = listing(decided_on="2026-07-10")
    assert results(w)["E5"].findings == []


def test_e5_missing_quarterly_assessment_is_a_warning():
    w = cf.world()
    del w["assessment_q2"]
    f = only(results(w), "E5")
    assert f.severity == "warning" and "2026年第2季度" in f.message


def test_e5_cites_the_plan_not_the_statutory_list():
    """The 黑名单 of 发包单位五查之五 is the enterprise's own contractor list (domain.md §7.3); 令第11号
    (安全生产严重失信主体名单) binds the bureau, not the enterprise, and is no basis of this check."""
    e5 = RULES_BY_ID["E5"]
    assert e5.basis == "整治方案 发包单位五查之五；《安全生产法》第四十九条第二款"
    assert "令第11号" not in e5.basis and "严重失信" not in e5.basis and "令第11号" not in e5.violated


def test_e5_quarter_without_assessment_uses_the_setting():
    """The days worked in a quarter that call for a quarterly assessment are a proposal [P]: a setting."""
    w = cf.world()
    del w["assessment_q2"]
    f = only(results(w), "E5")
    days = int(f.message.split("季度作业 ")[1].split(" 天")[0])
    assert results(w, settings=Settings(quarterly_assessment_min_days=days + 1))["E5"].findings == []
    assert only(results(w, settings=Settings(quarterly_assessment_min_days=days)), "E5").severity == "warning"


def test_e5_fatal_accident_and_overdue_major_hazard_are_triggers():
    w = cf.world()
    w["hazard"].update(grade="重大", status="整改中", rectified_on=None, deadline="2026-08-01", criterion="应急管理部令第10号 第3条第1项",
                       reported_to_authority=True)
    fs = results(w)["E5"].findings
    assert len(fs) == 1 and "重大事故隐患 HR-YH-2026-0023 逾期" in fs[0].message


def listing(**kw) -> dict:
    base = {
        "type": "blacklist_entry", "entry_no": "HMD-2026-001", "list": "enterprise", "listed_by": cf.ENTERPRISE,
        "subject": cf.CONTRACTOR, "subject_name": "山东恒安设备安装工程有限公司", "trigger": "季度安全生产考核不合格",
        "facts": "2026年第2季度安全生产考核不合格", "decided_on": "2026-07-10", "start": "2026-07-10", "end": "2029-07-10",
        "decided_by": "济南华锐重型机械有限公司",
    }
    base.update(kw)
    return base


# --- 承包单位五查 ----------------------------------------------------------------------------------------


def test_c1_licence_expiring_during_the_work_fails():
    w = cf.world()
    w["contractor"]["qualifications"][0]["valid_to"] = "2026-06-30"
    f = only(results(w), "C1")
    assert f.severity == "error" and "安全生产许可证" in f.message and "2026年4月10日至2026年8月15日" in f.message
    assert "单位 山东恒安设备安装工程有限公司" in titles(f)


def test_c1_idle_contractor_with_expired_licence_is_a_warning():
    w = cf.world()
    w["contractor2"] = cf.f.contractor(uscc=cf.f.CONTRACTOR2, name="济南安泰劳务服务有限公司", qualifications=[
        {"kind": "安全生产许可证", "number": "（鲁）JZ安许证字〔2023〕008826", "issuer": "山东省住房和城乡建设厅",
         "scope": "建筑施工（施工劳务）", "valid_from": "2023-03-16", "valid_to": "2026-03-15"}])
    f = only(results(w), "C1")
    assert f.severity == "warning" and "济南安泰劳务服务有限公司" in f.message and "不得准入" in f.message
    w["listing"] = listing(subject=cf.f.CONTRACTOR2, subject_name="济南安泰劳务服务有限公司", trigger="其他",
                           decided_on="2026-03-20", start="2026-03-20", end="2029-03-20")
    res = results(w)
    assert res["C1"].status == "pass" and any("已列入企业承包商黑名单" in x for x in res["C1"].examined)


def test_c2_no_project_department_fails():
    w = cf.world()
    w["project"]["has_project_department"] = False
    f = only(results(w), "C2")
    assert "未为项目 HR-WB-2026-001（铸造车间中频炉检修工程）设置项目部" in f.message


def test_c2_uncertified_special_operator_on_the_roster_fails():
    w = cf.world()
    w["person_electrician"]["certificates"][0]["next_review"] = "2026-05-31"  # review overdue → 失效
    f = only(results(w), "C2")
    assert "李振电" in f.message and "未按期复审" in f.message and "人员 李振电" in titles(f)


def test_c2_manager_of_a_construction_contractor_needs_the_assessment_certificate():
    w = cf.world()
    w["person_manager"]["certificates"] = []
    w["person_manager"]["roles"] = ["项目负责人"]
    f = only(results(w), "C2")
    assert "马志强" in f.message and "考核合格证未登记" in f.message


def test_c3_special_equipment_past_its_inspection_fails():
    w = cf.world()
    w["crane"]["next_inspection"] = "2026-08-01"
    f = only(results(w), "C3")
    assert f.severity == "error" and "2026年8月1日到期" in f.message and titles(f) == ["设备设施 HR-QZ-05"]


def test_c3_inspection_due_within_a_month_is_a_warning():
    w = cf.world()
    w["crane"]["next_inspection"] = "2026-09-10"
    f = only(results(w), "C3")
    assert f.severity == "warning" and "届满前1个月" in f.message


def test_c4_overdue_hazard_fails_on_the_day_after_the_deadline():
    w = cf.world()
    w["hazard"].update(status="整改中", rectified_on=None, deadline="2026-08-14")
    assert only(results(w), "C4").deadline == date(2026, 8, 14)
    assert results(w, as_of=date(2026, 8, 14))["C4"].status == "pass"  # the deadline day itself is in time


def test_c4_worker_without_training_fails():
    w = cf.world()
    del w["training_labourer"]
    f = only(results(w), "C4")
    assert "赵普没有三级安全教育记录" in f.message and "赵普 的三级安全教育登记卡" in f.missing


def test_c4_unreported_major_hazard_fails():
    w = cf.world()
    w["hazard"].update(grade="重大", criterion="应急管理部令第10号 第3条第1项")
    f = only(results(w), "C4")
    assert "未向负有安全生产监督管理职责的部门报告" in f.message


def test_c5_declared_dangerous_work_without_ticket_after_completion_fails():
    w = cf.world()
    w["project"].update(status="已完工", actual_end="2026-08-10", period={"start": "2026-04-10", "end": "2026-08-10"})
    w["contract"]["period"]["end"] = "2026-08-10"
    w["agreement"]["term"]["end"] = "2026-08-10"
    w["project"]["dangerous_work"].append("work_at_height")
    f = only(results(w), "C5")
    assert f.severity == "error" and "高处作业" in f.message and "高处安全作业票" in f.missing


def test_c5_ticket_without_completion_is_a_warning():
    w = cf.world()
    del w["ticket_lifting"]["completion"]
    f = only(results(w), "C5")
    assert f.severity == "warning" and titles(f) == ["吊装安全作业票 DZ-2026-0103"]


def test_c5_lifting_without_ticket_cites_the_threshold_setting():
    """The lifting-ticket threshold (GB 30871—2022 表B.1 注3, 10 t) is a setting; the message says the set one."""
    w = cf.world()
    w["project"].update(status="已完工", actual_end="2026-08-10", period={"start": "2026-04-10", "end": "2026-08-10"})
    w["contract"]["period"]["end"] = "2026-08-10"
    w["agreement"]["term"]["end"] = "2026-08-10"
    del w["ticket_lifting"]
    f = only(results(w), "C5")
    assert f.severity == "warning" and "吊物小于10 t 的可不办票" in f.message
    f = only(results(w, settings=Settings(lifting_ticket_min_tons=5)), "C5")
    assert "吊物小于5 t 的可不办票" in f.message and "10 t" not in f.message


# --- 令第10号 第3条 and confined spaces ------------------------------------------------------------------


def test_3_2_ticket_worker_with_expired_certificate_is_a_major_hazard():
    w = cf.world()
    w["ticket_hot"]["hot_workers"] = [cf.ref("welder2", cert=True)]
    w["ticket_hot"]["workers"] = [cf.ref("welder2")]
    w["person_welder2"]["certificates"][0]["expires"] = "2026-05-05"
    f = only(results(w), "3-2")
    assert f.severity == "major" and "钱焊" in f.message and "已过期" in f.message
    assert titles(f) == ["动火安全作业票 DH-2026-0101", "人员 钱焊"]


def test_a_crane_drivers_lapsed_licence_is_a_ticket_problem_not_a_major_hazard():
    """令第10号 第三条第（二）项 is about 特种作业人员 (SPL 第30条, its 目录): a crane driver holds a
    特种设备作业人员证 (特种设备安全法 第14条) — his lapsed licence is C5's error, never 3-2's 重大事故隐患."""
    w = cf.world()
    w["person_driver"]["certificates"][-1]["expires"] = "2026-05-07"  # the lifting ticket is on 2026-05-08
    res = results(w)
    assert res["3-2"].status == "pass", [f.message for f in res["3-2"].findings]
    f = only(res, "C5")
    assert f.severity == "error" and "冯涛" in f.message and "特种设备作业人员证" in f.message and "特种设备安全法 第14条" in f.message
    assert titles(f) == ["吊装安全作业票 DZ-2026-0103", "人员 冯涛"]
    w["ticket_lifting"]["commander"] = {"name": "无名氏", "id_number": cf.pid(99)}  # not registered
    assert any("无名氏未登记" in x.message for x in results(w)["C5"].findings)


@pytest.mark.parametrize("expires,ok", [("2026-05-06", True), ("2026-05-05", False)])
def test_certificate_is_valid_through_its_expiry_day(expires, ok):
    """"有效期至 2026-05-06": valid on 6 May (the ticket's day), invalid from 7 May."""
    w = cf.world()
    w["ticket_hot"]["hot_workers"] = [cf.ref("welder2", cert=True)]
    w["ticket_hot"]["workers"] = [cf.ref("welder2")]
    w["person_welder2"]["certificates"][0]["expires"] = expires
    assert (results(w)["3-2"].status == "pass") is ok


def test_cert_problem_says_its_dates_the_chinese_way():
    """The reasons go into findings, and findings into reports and documents: 2026年6月30日, never 2026-06-30."""
    c = load_cert(issued="2024-03-01", expires="2026-06-30", next_review="2026-03-01")
    assert cert_problem(c, date(2024, 2, 1), date(2024, 2, 1)) == "发证日期2024年3月1日晚于作业开始2024年2月1日"
    assert cert_problem(c, date(2026, 3, 2), date(2026, 3, 2)) == "应于2026年3月1日前复审，未见复审（未按期复审的证书失效）"
    c = load_cert(issued="2024-03-01", expires="2026-06-30")
    assert cert_problem(c, date(2026, 6, 1), date(2026, 7, 1)) == "有效期至2026年6月30日，作业至2026年7月1日，已过期"


def test_cert_problem_edges():
    c = load_cert(issued="2024-03-01", expires="2026-06-30", next_review="2026-03-01")
    assert cert_problem(c, date(2026, 3, 1), date(2026, 3, 1)) is None  # review due that day: still valid
    assert "复审" in cert_problem(c, date(2026, 3, 2), date(2026, 3, 2))
    c = load_cert(issued="2024-03-01", expires="2026-06-30")
    assert cert_problem(c, date(2026, 6, 30), date(2026, 6, 30)) is None
    assert "已过期" in cert_problem(c, date(2026, 6, 29), date(2026, 7, 1))
    assert "晚于作业开始" in cert_problem(c, date(2024, 2, 28), date(2024, 3, 2))


def load_cert(**kw):
    from schemas.base import schema_for
    from schemas.common import Certificate

    return schema_for(Certificate)().load({"kind": "特种作业操作证", "category": "电工作业", "number": "1", **kw})


def test_3_3_metal_smelting_principal_without_assessment():
    w = cf.world()
    settings = Settings(metal_smelting_industries=("机械",))
    assert results(w, settings=settings)["3-3"].status == "pass"
    w["person_principal"]["certificates"] = []
    f = only(results(w, settings=settings), "3-3")
    assert f.severity == "major" and "主要负责人周建国" in f.message


def test_cs1_open_confined_space_finding_without_register_and_sign_is_major():
    w = cf.world()
    w["order"] = order_with("1号循环水池等有限空间未进行辨识、未建立管理台账，出入口未设置明显的安全警示标志。", "2026-07-10")
    f = only(results(w), "CS-1")
    assert f.severity == "major" and titles(f)[0] == "责令限期整改指令书 （高新）应急责改〔2026〕5号"
    w["review"] = review_of("2026-07-09", "已整改")
    assert results(w)["CS-1"].findings == []


def test_cs1_register_that_contradicts_an_open_finding_is_flagged():
    """The 台账 says the sign is at 1号循环水池 while an open order says there is none (issue 13)."""
    w = cf.world()
    assert results(w)["CS-1"].findings == []
    w["order"] = order_with("1号循环水池出入口未设置明显的安全警示标志。", "2026-07-10")
    f = only(results(w), "CS-1")
    assert f.severity == "warning" and "却记载 YX-01（1号循环水池）入口设有警示标志，台账与执法记录相矛盾" in f.message
    assert titles(f) == ["责令限期整改指令书 （高新）应急责改〔2026〕5号", "有限空间管理台账 HR-YXKJ-2026-01"]
    w["review"] = review_of("2026-07-09", "已整改")  # rectified: the register is right again
    assert results(w)["CS-1"].findings == []


def test_cs1_without_a_register_in_the_archive_judges_the_enforcement_records_alone():
    w = cf.world()
    del w["confined_register"]
    res = results(w)["CS-1"]
    assert res.status == "pass" and any("没有有限空间管理台账" in line for line in res.examined)
    w["order"] = order_with("1号循环水池出入口未设置明显的安全警示标志。", "2026-07-10")
    f = only(results(w), "CS-1")  # the sign alone: a warning, as without registers
    assert f.severity == "warning" and titles(f) == ["责令限期整改指令书 （高新）应急责改〔2026〕5号"]


def test_cs1_space_missing_from_the_register_with_an_open_no_sign_finding_is_major():
    w = cf.world()
    w["ticket_confined"]["space_name"] = "2号沉淀池"
    w["order"] = order_with("2号沉淀池出入口未设置明显的安全警示标志。", "2026-07-10")
    res = results(w)["CS-1"]
    assert res.status == "fail"
    major = [f for f in res.findings if f.severity == "major"]
    assert len(major) == 1 and "重大事故隐患" in major[0].message and "未列入" in major[0].message
    assert titles(major[0]) == ["受限空间安全作业票 SX-2026-0104", "有限空间管理台账 HR-YXKJ-2026-01",
                                "责令限期整改指令书 （高新）应急责改〔2026〕5号"]


def test_cs1_ticket_space_missing_from_the_register():
    w = cf.world()
    w["ticket_confined"]["space_name"] = "2号沉淀池"
    f = only(results(w), "CS-1")
    assert f.severity == "warning" and "“2号沉淀池”未列入" in f.message
    assert titles(f) == ["受限空间安全作业票 SX-2026-0104", "有限空间管理台账 HR-YXKJ-2026-01"]


def test_cs1_register_made_after_the_work_is_a_warning():
    w = cf.world()
    w["confined_register"]["compiled_on"] = "2026-05-20"  # the ticket is of 2026-05-12
    f = only(results(w), "CS-1")
    assert f.severity == "warning" and "尚未辨识列入台账" in f.message
    # as of a date before the register existed there is no register at all: nothing to hold the ticket to
    early = results(w, as_of=date(2026, 5, 15))["CS-1"]
    assert early.findings == [] and any("没有有限空间管理台账" in line for line in early.examined)


def test_cs1_an_updated_register_keeps_each_spaces_identification_date():
    """A register re-issued after the work (a new version supersedes the old one) still shows the
    space was identified before it: its 辨识日期."""
    w = cf.world()
    w["confined_register"]["compiled_on"] = "2026-08-01"
    w["confined_register"]["spaces"][0]["identified_on"] = "2026-04-01"
    assert results(w)["CS-1"].status == "pass"
    w["confined_register"]["spaces"][0]["identified_on"] = "2026-05-13"  # the day after the work
    assert "尚未辨识列入台账" in only(results(w), "CS-1").message


def test_cs1_an_earlier_register_still_in_force_dates_the_space():
    w = cf.world()
    w["confined_register"]["compiled_on"] = "2026-08-01"  # a later register under its own number …
    w["register_first"] = cf.confined_register(register_no="HR-YXKJ-2026-00", compiled_on="2026-02-01")  # … and the first
    assert results(w)["CS-1"].status == "pass"


def test_cs1_space_numbers_and_names_match_as_a_whole():
    w = cf.world()
    w["confined_register"]["spaces"][0].update(space_no="YX-1", name="1号循环水池")
    w["ticket_confined"]["space_name"] = "11号循环水池"
    w["ticket_confined"]["location"] = "动力站 YX-12"
    f = only(results(w), "CS-1")  # neither YX-1 nor 1号循环水池 is named: the space is not in the register
    assert "“11号循环水池”未列入" in f.message
    w["ticket_confined"]["location"] = "动力站 YX-1 水池"
    assert results(w)["CS-1"].status == "pass"


def test_cs1_register_recording_a_space_without_a_sign():
    w = cf.world()
    w["confined_register"]["spaces"][1]["warning_sign"] = False
    f = only(results(w), "CS-1")
    assert f.severity == "warning" and "YX-02" in f.message and "警示标志" in f.message


def order_with(text: str, deadline: str) -> dict:
    return {
        "type": "rectification_order", "doc_no": "（高新）应急责改〔2026〕5号", "bureau": cf.BUREAU, "unit": cf.ENTERPRISE,
        "contractor": cf.CONTRACTOR, "project": cf.PROJECT, "inspected_on": "2026-07-01",
        "items": [{"text": text, "deadline": deadline}], "inspectors": [{"name": "张明远", "cert_no": "37010021015"}, {"name": "刘晓", "cert_no": "37010021038"}],
        "issued_on": "2026-07-01", "authority_name": "济南高新区应急管理局",
    }


def review_of(day: str, result: str) -> dict:
    return {
        "type": "rectification_review", "doc_no": "（高新）应急复查〔2026〕3号", "bureau": cf.BUREAU, "unit": cf.ENTERPRISE,
        "order_doc_no": "（高新）应急责改〔2026〕5号", "order_issued_on": "2026-07-01", "reviewed_on": day,
        "items": [{"item": 1, "result": result}], "opinion": "经复查。",
        "inspectors": [{"name": "张明远", "cert_no": "37010021015"}, {"name": "刘晓", "cert_no": "37010021038"}],
        "authority_name": "济南高新区应急管理局",
    }


def test_cs2_confined_space_without_oxygen_test_is_major():
    w = cf.world()
    w["ticket_confined"]["gas_samples"] = [w["ticket_confined"]["gas_samples"][1]]
    f = only(results(w), "CS-2")
    assert f.severity == "major" and "氧含量检测" in f.message and titles(f) == ["受限空间安全作业票 SX-2026-0104"]


# --- one data set, every rule broken once ---------------------------------------------------------------


def broken_world() -> tuple[dict, Settings]:
    w = cf.world()
    w["agreement"]["term"]["end"] = "2026-07-31"  # E1
    w["contract"]["change_orders"] = [{"number": "BG-01", "date": "2026-06-01", "description": "压缩工期",
                                       "new_end": "2026-08-31", "signed_by_both": False}]  # E2
    for i in (2, 3, 4, 5):
        del w[f"inspection_{i}"]  # E3 + 3-1
    w["accident"] = {
        "type": "accident", "accident_no": "HR-SG-2026-001", "enterprise": cf.ENTERPRISE, "contractor": cf.CONTRACTOR,
        "project": cf.PROJECT, "occurred_at": "2026-05-13 15:10", "place": "铸造车间", "description": "轴承座翻倒砸伤左脚",
        "minor_injuries": 1, "grade": "一般", "counted_in_employer_stats": False,
    }  # E4
    w["assessment_q2"].update(result="不合格", score=52)  # E5
    w["contractor"]["qualifications"][0]["valid_to"] = "2026-06-30"  # C1
    w["project"]["has_project_department"] = False  # C2
    w["crane"]["next_inspection"] = "2026-08-01"  # C3
    w["hazard"].update(status="整改中", rectified_on=None, deadline="2026-08-01")  # C4
    del w["ticket_lifting"]["completion"]  # C5
    w["ticket_hot"]["hot_workers"] = [cf.ref("welder2", cert=True)]
    w["ticket_hot"]["workers"] = [cf.ref("welder2")]
    w["person_welder2"]["certificates"][0]["expires"] = "2026-05-05"  # 3-2
    w["person_principal"]["certificates"] = []  # 3-3 (with 机械 counted as metal smelting)
    w["order"] = order_with("1号循环水池有限空间未建立管理台账，出入口未设置明显的安全警示标志。", "2026-07-10")  # CS-1
    w["ticket_confined"]["gas_samples"] = [w["ticket_confined"]["gas_samples"][1]]  # CS-2
    return w, Settings(metal_smelting_industries=("机械",))


EXPECTED = {
    "E1": ("error", "安全生产管理协议 HR-AQXY-2026-001"),
    "E2": ("error", "外包合同 HR-HT-2026-015"),
    "E3": ("error", "承包单位安全检查记录 HR-XGF-JC-2026-001"),
    "E4": ("error", "生产安全事故 HR-SG-2026-001"),
    "E5": ("error", "承包单位季度安全生产考核 HR-KH-2026-Q2-01"),
    "C1": ("error", "单位 山东恒安设备安装工程有限公司"),
    "C2": ("error", "外包项目 铸造车间中频炉检修工程"),
    "C3": ("error", "设备设施 HR-QZ-05"),
    "C4": ("error", "事故隐患 HR-YH-2026-0023"),
    "C5": ("warning", "吊装安全作业票 DZ-2026-0103"),
    "3-1": ("major", "承包单位安全检查记录 HR-XGF-JC-2026-001"),
    "3-2": ("major", "人员 钱焊"),
    "3-3": ("major", "单位 济南华锐重型机械有限公司"),
    "CS-1": ("major", "责令限期整改指令书 （高新）应急责改〔2026〕5号"),
    "CS-2": ("major", "受限空间安全作业票 SX-2026-0104"),
}


def test_a_data_set_breaking_each_rule_once_yields_exactly_that_finding():
    w, settings = broken_world()
    res = results(w, settings=settings)
    assert set(res) == set(EXPECTED)
    for rid, (severity, evidence) in EXPECTED.items():
        f = only(res, rid)
        assert f.severity == severity, (rid, f.message)
        assert evidence in titles(f), (rid, titles(f))
        assert f.rule == rid
        assert res[rid].status == ("warn" if severity == "warning" else "fail")


# --- scope and as-of ------------------------------------------------------------------------------------


def test_records_dated_after_as_of_are_not_seen():
    w = cf.world()
    w["accident"] = {
        "type": "accident", "accident_no": "HR-SG-2026-009", "enterprise": cf.ENTERPRISE, "contractor": cf.CONTRACTOR,
        "project": cf.PROJECT, "occurred_at": "2026-09-01 10:00", "place": "铸造车间", "description": "擦伤",
        "minor_injuries": 1, "grade": "一般", "counted_in_employer_stats": False,
    }
    assert results(w)["E4"].status == "not_applicable"
    assert results(w, as_of=date(2026, 9, 2))["E4"].status == "fail"


def test_contractor_scope_leaves_other_contractors_out():
    w = cf.world()
    res = results(w, contractor=cf.f.CONTRACTOR2)
    assert res["E1"].status == "not_applicable" and res["C2"].status == "not_applicable"
    assert results(w, enterprise=cf.ENTERPRISE)["E1"].status == "pass"


def test_uncovered():
    d = date
    assert uncovered([(d(2026, 1, 1), d(2026, 1, 10))], d(2026, 1, 1), d(2026, 1, 10)) == []
    assert uncovered([(d(2026, 1, 1), d(2026, 1, 5)), (d(2026, 1, 8), d(2026, 1, 20))], d(2026, 1, 1), d(2026, 1, 10)) == [
        (d(2026, 1, 6), d(2026, 1, 7))]
    assert uncovered([], d(2026, 1, 1), d(2026, 1, 2)) == [(d(2026, 1, 1), d(2026, 1, 2))]


# --- admission -----------------------------------------------------------------------------------------


class FakeCatalog:
    def __init__(self, objs):
        from schemas import meta_of

        self.rows = [{"type": meta_of(type(o)).type, "obj": o} for o in objs]

    def list_records(self, *, types=(), contractor=None, current_only=False, **_):
        from schemas import meta_of

        out = []
        for r in self.rows:
            o = r["obj"]
            col = getattr(o, meta_of(type(o)).contractor, None) if meta_of(type(o)).contractor else None
            if (not types or r["type"] in types) and (contractor is None or col == contractor):
                out.append(r)
        return out


class FakeArchive:
    """Just what admission_problems reads: catalog.list_records and load_record."""

    def __init__(self, objs):
        self.catalog = FakeCatalog(objs)

    def load_record(self, row):
        return row["obj"]


class FakeRegistry:
    def __init__(self, objs):
        self.objs = objs

    def person(self, number):
        return next((o for o in self.objs if type(o).__name__ == "Person" and o.id_number == number.upper()), None)

    def persons_named(self, name, employer=None):
        return [o for o in self.objs if type(o).__name__ == "Person" and o.name == name and (employer is None or o.employer == employer)]

    def project(self, enterprise, code):
        return next((o for o in self.objs if type(o).__name__ == "Project" and o.enterprise == enterprise and o.code == code), None)

    def organization(self, uscc):
        return next((o for o in self.objs if type(o).__name__ == "Organization" and o.uscc == uscc), None)


def admit(raw, world=None, batch=(), settings=None):
    w = cf.world() if world is None else world
    objs = cf.load_objects(w)
    obj = cf.load_objects({"x": raw})[0]
    ctx = RuleContext(settings or Settings(), cf.TODAY, None)
    return admission_problems(obj, FakeArchive(objs), FakeRegistry(objs), ctx, batch=batch)


def test_every_ticket_of_the_clean_world_is_admitted():
    w = cf.world()
    for name in ("ticket_hot", "ticket_power", "ticket_lifting", "ticket_confined", "agreement", "contract"):
        raw = w.pop(name)
        assert admit(raw, w) == [], name
        w[name] = raw


def test_blacklisted_contractor_gets_no_ticket_enterprise_list_overridable():
    w = cf.world()
    w["listing"] = listing(decided_on="2026-05-01", start="2026-05-01", end="2029-05-01")
    raw = w.pop("ticket_hot")
    probs = admit(raw, w)
    assert [p.rule for p in probs] == ["blacklist"]
    p = probs[0]
    assert isinstance(p, AdmissionProblem) and p.overridable and p.severity == "error" and p.path == "contractor"
    assert "企业承包商黑名单" in p.message and "HMD-2026-001" in p.message and "五查之五" in p.source
    assert p.as_dict()["overridable"] is True


def test_statutory_listing_is_not_overridable_and_binds_every_enterprise():
    w = cf.world()
    w["listing"] = listing(list="statutory", listed_by=cf.BUREAU, trigger=None, situation=6, decided_by="济南高新区应急管理局",
                           penalty_decision_no="（高新）应急罚〔2026〕3号", decided_on="2026-05-01", start="2026-05-01", end="2029-05-01")
    probs = admit(w.pop("ticket_hot"), w)
    assert [(p.rule, p.overridable) for p in probs] == [("blacklist", False)]
    assert "应急管理部令第11号" in probs[0].source and "安全生产严重失信主体名单" in probs[0].message
    assert admit(w.pop("agreement"), w) == []  # signed before the listing


def test_listing_ends_with_removal_or_period_and_other_enterprises_lists_do_not_bind():
    w = cf.world()
    w["listing"] = listing(decided_on="2026-05-01", start="2026-05-01", end="2029-05-01")
    w["removal"] = {
        "type": "blacklist_removal", "removal_no": "HMD-YC-2026-001", "entry_no": "HMD-2026-001", "list": "enterprise",
        "listed_by": cf.ENTERPRISE, "subject": cf.CONTRACTOR, "subject_name": "山东恒安设备安装工程有限公司", "kind": "撤销列入",
        "entry_start": "2026-05-01", "decided_on": "2026-05-05", "reason": "误列", "decided_by": "济南华锐重型机械有限公司",
    }
    raw = w.pop("ticket_hot")
    assert admit(raw, w) == []  # removed on 5 May, ticket on 6 May
    del w["removal"]
    w["listing"] = listing(decided_on="2026-01-01", start="2026-01-01", end="2026-05-05")
    assert admit(raw, w) == []  # the period ended the day before
    w["listing"] = listing(listed_by=cf.f.uscc("370100", "MA3YYYY1"), decided_on="2026-05-01", start="2026-05-01", end="2029-05-01")
    assert admit(raw, w) == []  # another enterprise's own list


def test_listing_in_the_same_batch_counts():
    w = cf.world()
    raw = w.pop("ticket_hot")
    entry = cf.load_objects({"l": listing(decided_on="2026-05-01", start="2026-05-01", end="2029-05-01")})[0]
    assert [p.rule for p in admit(raw, w, batch=[entry])] == ["blacklist"]


def test_ticket_worker_with_expired_certificate_is_refused_not_overridable():
    w = cf.world()
    w["person_electrician"]["certificates"][0]["expires"] = "2026-05-05"
    probs = admit(w.pop("ticket_power"), w)
    assert {p.path for p in probs} == {"leader", "workers[0]"}
    assert all(p.rule == "certificate" and not p.overridable for p in probs)
    assert "电工作业" in probs[0].message and "已过期" in probs[0].message


@pytest.mark.parametrize("field,value,path", [
    ("hot_workers", [cf.ref("driver", cert=True)], "hot_workers[0]"),  # a crane driver is no welder
    ("commander", cf.ref("labourer", cert=True), "commander"),
])
def test_ticket_needs_the_certificate_of_its_type(field, value, path):
    w = cf.world()
    key = "ticket_hot" if field == "hot_workers" else "ticket_lifting"
    raw = w.pop(key)
    raw[field] = value
    probs = [p for p in admit(raw, w) if p.rule == "certificate"]
    assert [p.path for p in probs] == [path]


def test_ticket_on_the_expiry_day_is_admitted_the_next_day_is_not():
    w = cf.world()
    w["person_welder"]["certificates"][0]["expires"] = "2026-05-06"
    raw = w.pop("ticket_hot")
    assert admit(raw, w) == []
    raw2 = copy.deepcopy(raw)
    for k in ("applied_at", "valid_from", "valid_to"):
        raw2[k] = raw2[k].replace("2026-05-06", "2026-05-07")
    raw2["gas_samples"][0]["taken_at"] = "2026-05-07 08:10"
    raw2["approvals"] = [dict(a, signed_at="2026-05-07 08:20") for a in raw2["approvals"]]
    raw2["completion"]["at"] = "2026-05-07 16:30"
    assert [(p.rule, p.path) for p in admit(raw2, w)] == [("certificate", "hot_workers[0]")]


def test_worker_without_training_is_refused_and_old_training_is_overridable():
    w = cf.world()
    del w["training_welder"]
    probs = admit(w.pop("ticket_hot"), w)
    assert [(p.rule, p.path, p.overridable) for p in probs] == [("training", "workers[0]", False)]  # once per person
    assert "王海军" in probs[0].message and "没有三级安全教育登记卡" in probs[0].message
    w = cf.world()
    raw = w.pop("ticket_hot")
    w["training_welder"]["conclusion"]["confirmed_on"] = "2026-05-07"
    w["training_welder"]["levels"][2]["start"] = "2026-05-07"
    probs = admit(raw, w)
    assert [p.rule for p in probs] == ["training"] and "晚于作业" in probs[0].message
    short = Settings(training_valid_months=0)
    w = cf.world()
    probs = admit(w.pop("ticket_hot"), w, settings=short)
    assert probs and all(p.rule == "training" and p.overridable for p in probs)


def test_training_card_in_the_same_batch_counts():
    w = cf.world()
    card = w.pop("training_welder")
    raw = w.pop("ticket_hot")
    assert [p.rule for p in admit(raw, w)] == ["training"]
    assert admit(raw, w, batch=cf.load_objects({"c": card})) == []


def test_agreement_must_cover_the_project_period_overridable():
    w = cf.world()
    raw = w.pop("agreement")
    raw["term"]["end"] = "2026-07-31"
    probs = admit(raw, w)
    assert [(p.rule, p.path, p.overridable) for p in probs] == [("agreement_term", "term", True)]
    assert "2026年8月1日至2026年9月30日" in probs[0].message and "第四十九条" in probs[0].source


def test_removal_must_name_an_archived_listing():
    w = cf.world()
    raw = {
        "type": "blacklist_removal", "removal_no": "HMD-YC-2026-001", "entry_no": "HMD-2026-009", "list": "enterprise",
        "listed_by": cf.ENTERPRISE, "subject": cf.CONTRACTOR, "subject_name": "山东恒安设备安装工程有限公司", "kind": "撤销列入",
        "entry_start": "2026-05-01", "decided_on": "2026-05-05", "reason": "误列", "decided_by": "济南华锐重型机械有限公司",
    }
    assert [p.rule for p in admit(raw, w)] == ["blacklist_removal"]
    w["listing"] = listing(entry_no="HMD-2026-009", decided_on="2026-05-01", start="2026-05-01", end="2029-05-01")
    assert admit(raw, w) == []


def test_admission_for_batch_lets_a_batch_see_itself():
    from archive.checks.admission import admission_for_batch

    w = cf.world()
    card, ticket = w.pop("training_welder"), w.pop("ticket_hot")
    objs = cf.load_objects(w)
    batch = cf.load_objects({"c": card, "t": ticket})
    ctx = RuleContext(Settings(), cf.TODAY, None)
    assert admission_for_batch(batch, FakeArchive(objs), FakeRegistry(objs), ctx) == [[], []]
    assert [p.rule for p in admission_for_batch(batch[1:], FakeArchive(objs), FakeRegistry(objs), ctx)[0]] == ["training"]


@settings(max_examples=400, deadline=None)
@given(names=st.lists(st.text(alphabet="1-2号池YXAa （）", max_size=6), max_size=5),
       text=st.text(alphabet="1-2号池YXAa （）有限空间井", max_size=30))
def test_cs1_one_expression_finds_what_each_name_finds(names, text):
    """CS-1's test of a finding's text with every name in one expression finds exactly what asking
    name by name (_mentions, as a whole: YX-1 is not in YX-12) finds."""
    by_name = bool(major_hazard._CONFINED.search(text)) or any(major_hazard._mentions(text, n) for n in names)
    assert major_hazard.about_confined_space(names)(text) == by_name
