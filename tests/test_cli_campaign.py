"""The campaign commands through CliRunner, on the examples/ data set: check, rectify, blacklist,
report, campaign status, import — success and failure, exit codes, --json; and the documents
the penalty and blacklist templates make (golden text)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from archive.app import Archive
from cli import main
from tests import campaign_factories as cf
from tests.test_reports import assert_matches_golden, docx_text

ENTERPRISE, HENGAN, LUZHONG, ANTAI = "91370100MA3C8K2P9L", "91370112MA3F7R1K8F", "91370105MA3DK8W41C", "91370102MA3ENQ6T7T"


@pytest.fixture
def home(tmp_path_factory, tmp_path) -> Path:
    return cf.copy_home(cf.examples_home(tmp_path_factory), tmp_path / "examples")


def run(runner, home, *args):
    return runner.invoke(main, ["--home", str(home), *map(str, args)])


def ok(r):
    assert r.exit_code == 0, r.output
    return r


# --- check ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("remind",), ("check",), ("rectify", "status"), ("campaign", "status")])
def test_a_day_past_what_the_views_can_count_from_is_refused(runner, home, command):
    """9999-12-30 as --as-of raised OverflowError in remind (the day plus the days ahead); every
    date option takes days from 1900 to 2199 and says so otherwise."""
    for far in ("9999-12-30", "0001-01-01"):
        r = run(runner, home, *command, "--as-of", far)
        assert r.exit_code == 2 and "日期超出可用范围 1900-01-01 – 2199-12-31" in r.output, (command, far, r.output)
        assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)
    ok(run(runner, home, *command, "--as-of", "2199-12-31"))


def test_check_json_on_the_examples_evaluates_every_rule(runner, home):
    out = json.loads(ok(run(runner, home, "check", "--as-of", "2026-11-29", "--json")).stdout)
    rules = {r["id"]: r for r in out["rules"]}
    for rid in ("E1", "E2", "E3", "E4", "E5", "C1", "C2", "C3", "C4", "C5"):
        assert rules[rid]["status"] in ("pass", "warn", "fail"), rid  # evaluated, not "not applicable"
        assert rules[rid]["seed_clause"] and rules[rid]["basis"]
    assert rules["3-3"]["status"] == "not_applicable"  # 机械, not metal smelting
    c1 = rules["C1"]["findings"]
    assert [f["contractor"] for f in c1] == [ANTAI] and "2026年3月15日到期" in c1[0]["message"]  # the planted problem
    assert c1[0]["evidence"][0]["title"] == "单位 济南安泰劳务服务有限公司"
    assert out["summary"]["rules"] == 15 and out["as_of"] == "2026-11-29"


def test_check_finds_the_open_hazard_once_overdue(runner, home):
    before = json.loads(ok(run(runner, home, "check", "--as-of", "2026-12-10", "--rule", "C4", "--json")).stdout)
    assert before["rules"][0]["findings"] == []  # the deadline day
    after = json.loads(ok(run(runner, home, "check", "--as-of", "2026-12-11", "--rule", "C4", "--json")).stdout)
    (f,) = after["rules"][0]["findings"]
    assert "HR-YH-2026-0091" in f["message"] and f["evidence"][0]["title"] == "事故隐患 HR-YH-2026-0091"


def test_check_text_exit_codes_and_scope(runner, home):
    r = ok(run(runner, home, "check", "--as-of", "2026-11-29"))
    assert "✗ E3" in r.output and "证据: 外包项目 厂区雨污管网改造及旧设备基础拆除工程" in r.output
    assert "共 15 项" in r.output
    r = run(runner, home, "check", "--as-of", "2026-11-29", "--fail-on", "major")
    assert r.exit_code == 1  # 3-1 on project 2
    r = ok(run(runner, home, "check", "--as-of", "2026-11-29", "--contractor", HENGAN, "--fail-on", "error"))
    out = json.loads(ok(run(runner, home, "check", "--as-of", "2026-11-29", "--contractor", HENGAN, "--json")).stdout)
    assert all(not r["findings"] for r in out["rules"])
    r = run(runner, home, "check", "--rule", "E9")
    assert r.exit_code == 2 and "unknown rule E9" in r.output


@pytest.mark.parametrize("command", [["check"], ["rectify", "status"]])
@pytest.mark.parametrize("option, value, said", [
    ("--enterprise", "123", "不是有效的统一社会信用代码"),                       # mistyped: too short
    ("--enterprise", "91370100MA3C8K2P9X", "校验码错误"),                      # one character wrong
    ("--enterprise", "91370100MA3C8K2P0Q", "本档案中没有发包单位"),              # valid, but nobody here
    ("--enterprise", ANTAI, "登记为承包单位，不是发包单位"),                     # a contractor's code
    ("--contractor", ENTERPRISE, "登记为发包单位，不是承包单位"),                 # an enterprise's code
    ("--contractor", "", "没有给出承包单位"),
    ("--contractor", "  ", "没有给出承包单位"),
])
def test_a_view_of_a_unit_the_archive_does_not_know_is_refused_not_reported_clean(runner, home, command, option, value, said):
    """A check of a mistyped code would say every rule is not applicable and nothing is open: a
    clean report about nobody. It is one clear message, exit 1, and nothing written."""
    from schemas.identifiers import uscc_problems

    assert value != "91370100MA3C8K2P0Q" or not uscc_problems(value)  # the "nobody here" code is a valid one
    r = run(runner, home, *command, "--as-of", "2026-11-29", option, value)
    assert r.exit_code == 1 and said in r.output and "Traceback" not in r.output
    assert r.stdout == "" and len([ln for ln in r.stderr.splitlines() if ln.strip()]) == 2  # the message, and where to look


def test_a_unit_is_known_by_its_projects_or_its_registration_and_read_in_capitals(runner, home):
    upper = json.loads(ok(run(runner, home, "check", "--as-of", "2026-11-29", "--enterprise", ENTERPRISE, "--json")).stdout)
    lower = json.loads(ok(run(runner, home, "check", "--as-of", "2026-11-29", "--enterprise", f" {ENTERPRISE.lower()} ", "--json")).stdout)
    assert lower == upper and upper["scope"]["enterprise"] == ENTERPRISE
    ok(run(runner, home, "rectify", "status", "--contractor", LUZHONG, "--as-of", "2026-11-29"))


def test_check_rules_lists_the_sources(runner, home):
    out = json.loads(ok(run(runner, home, "check", "--rules", "--json")).stdout)
    assert [r["id"] for r in out][:5] == ["E1", "E2", "E3", "E4", "E5"] and len(out) == 15
    text = ok(run(runner, home, "check", "--rules")).output
    assert "一查未与承包单位签订安全生产管理协议" in text and "第四十九条第二款" in text


# --- rectify --------------------------------------------------------------------------------------------


def test_rectify_draft_then_add_then_status(runner, home, tmp_path):
    path = tmp_path / "order.yaml"
    r = run(runner, home, "rectify", "draft", "--as-of", "2026-11-29", "-o", path)
    assert r.exit_code == 1 and "没有2026年11月29日对济南华锐重型机械有限公司的现场检查记录" in r.output  # an order rests on an inspection
    r = ok(run(runner, home, "rectify", "draft", "--as-of", "2026-09-08", "-o", path))  # the day of 检记52号
    assert "核对后入档" in r.output
    text = path.read_text(encoding="utf-8")
    assert "doc_no: （高新）应急责改〔2026〕13号" in text and "major_hazard: true" in text
    assert "inspection_ref: （高新）应急检记〔2026〕52号" in text and "第六十五条第一款第（二）项" in text
    ok(run(runner, home, "case", "validate", "--as-of", "2026-11-29", path))
    ok(run(runner, home, "case", "add", path))
    st = json.loads(ok(run(runner, home, "rectify", "status", "--as-of", "2026-12-20", "--json")).stdout)
    refs = {i["ref"]: i["status"] for i in st["items"]}
    assert refs["（高新）应急责改〔2026〕13号 第1项"] == "overdue" and refs["HR-YH-2026-0091"] == "overdue"
    assert refs["（高新）应急责改〔2026〕12号 第1项"] == "closed"
    text = ok(run(runner, home, "rectify", "status", "--as-of", "2026-12-20")).output
    assert "逾期未整改" in text and "济南鲁中建设工程有限公司" in text
    r = ok(run(runner, home, "rectify", "review-draft", "（高新）应急责改〔2026〕13号", "--reviewed-on", "2026-12-08", "-o", tmp_path / "rv.yaml"))
    assert "（高新）应急复查〔2026〕10号" in (tmp_path / "rv.yaml").read_text(encoding="utf-8")


def test_rectify_draft_with_nothing_to_order_fails_cleanly(runner, home, tmp_path):
    r = run(runner, home, "rectify", "draft", "--as-of", "2026-06-01", "-o", tmp_path / "o.yaml")
    assert r.exit_code == 1 and "没有需要责令整改的问题" in r.output and not (tmp_path / "o.yaml").exists()


def test_penalty_notice_and_decision_documents(runner, home, tmp_path):
    case = "（高新）应急立〔2026〕8号"
    notice = tmp_path / "notice.yaml"
    r = ok(run(runner, home, "rectify", "penalty-draft", "--case-no", case, "--article", "SPL 103-2", "--party", ENTERPRISE,
               "--facts", "你单位将厂区雨污管网改造工程发包后，未对承包单位济南鲁中建设工程有限公司的安全生产工作进行统一协调、管理",
               "--evidence", "（高新）应急检记〔2026〕52号", "--evidence", "HR-AQXY-2026-044", "--evidence", "HR-XGF-JC-2026-011",
               "--amount", "30000", "--contractor", LUZHONG, "--project", "HR-WB-2026-002", "--date", "2026-11-20", "-o", notice))
    assert "听证" in r.output  # 30 000 ≥ 20 000
    r = run(runner, home, "rectify", "penalty-draft", "--case-no", case, "--stage", "decision", "--date", "2026-11-28", "-o", tmp_path / "d.yaml")
    assert r.exit_code == 1 and "没有已入档的行政处罚告知书" in r.output
    ok(run(runner, home, "case", "add", notice))
    ok(run(runner, home, "rectify", "penalty-draft", "--case-no", case, "--stage", "decision", "--date", "2026-11-28",
           "--statement", "当事人在规定期限内提出陈述申辩，称已补做检查，经复核不予采纳", "-o", tmp_path / "d.yaml"))
    ok(run(runner, home, "case", "add", tmp_path / "d.yaml"))
    a = Archive.open(home)
    try:
        for t in ("penalty_notice", "penalty_decision"):
            (row,) = a.catalog.list_records(types=[t])
            files = {f["role"]: f for f in a.catalog.record_files(row["id"])}
            assert_matches_golden(f"{t}.txt", docx_text(a.blobs.read_bytes(files["docx"]["sha256"])))
    finally:
        a.close()
    r = run(runner, home, "rectify", "penalty-draft", "--case-no", case, "--article", "SPL 103-2", "--party", ENTERPRISE,
            "--facts", "f", "--evidence", "询问笔录", "--amount", "30000", "--date", "2026-11-20", "-o", tmp_path / "none.yaml")
    assert r.exit_code == 1 and "询问笔录" in r.output and "须先入档" in r.output  # cited evidence must be archived
    r = run(runner, home, "rectify", "penalty-draft", "--case-no", "X", "--article", "SPL 103-2", "--party", ENTERPRISE,
            "--facts", "f", "--evidence", "HR-AQXY-2026-044", "--amount", "60000", "--date", "2026-11-20", "-o", tmp_path / "bad.yaml")
    assert r.exit_code == 0 and "超出《中华人民共和国安全生产法》第一百零三条第二款规定的幅度（5万元以下）" in r.output
    assert "须修改后才能入档" in r.output
    articles = json.loads(ok(run(runner, home, "rectify", "articles", "--json")).stdout)
    assert {"key": "SPL 103-2", "range": "5万元以下"}.items() <= next(x for x in articles if x["key"] == "SPL 103-2").items()


# --- blacklist --------------------------------------------------------------------------------------------


def test_blacklist_add_list_remove_and_their_documents(runner, home, tmp_path):
    r = ok(run(runner, home, "blacklist", "add", "--subject", ANTAI, "--trigger", "其他",
               "--facts", "安全生产许可证已于2026年3月15日到期，未延续", "--evidence", "单位登记（安全生产许可证有效期至2026-03-15）",
               "--decided-on", "2026-03-20", "-o", tmp_path / "bl0.yaml"))
    assert "须修改后才能入档" in r.output and "2026年5月6日" in r.output  # no ISO date in a decision
    r = ok(run(runner, home, "blacklist", "add", "--subject", ANTAI, "--trigger", "其他",
               "--facts", "安全生产许可证已于2026年3月15日到期，未延续", "--evidence", "单位登记信息（安全生产许可证有效期至2026年3月15日）",
               "--decided-on", "2026-03-20", "-o", tmp_path / "bl.yaml"))
    assert "列入黑名单决定 HMD-2026-001" in r.output and "[已入档 added]" in r.output
    rows = json.loads(ok(run(runner, home, "blacklist", "list", "--as-of", "2026-06-01", "--json")).stdout)
    assert [(x["subject_name"], x["state"], x["end"]) for x in rows] == [("济南安泰劳务服务有限公司", "active", "2029-03-20")]
    assert "济南安泰劳务服务有限公司" in ok(run(runner, home, "blacklist", "list", "--as-of", "2026-06-01")).output
    ok(run(runner, home, "blacklist", "remove", "HMD-2026-001", "--kind", "撤销列入", "--reason", "许可证已延续，误列",
           "--decided-on", "2026-04-01", "-o", tmp_path / "rm.yaml"))
    assert json.loads(ok(run(runner, home, "blacklist", "list", "--as-of", "2026-06-01", "--json")).stdout) == []
    rows = json.loads(ok(run(runner, home, "blacklist", "list", "--as-of", "2026-06-01", "--all", "--json")).stdout)
    assert rows[0]["state"] == "removed" and rows[0]["removal_no"] == "HMD-YC-2026-001"
    a = Archive.open(home)
    try:
        for t in ("blacklist_entry", "blacklist_removal"):
            (row,) = a.catalog.list_records(types=[t])
            files = {f["role"]: f for f in a.catalog.record_files(row["id"])}
            assert_matches_golden(f"{t}.txt", docx_text(a.blobs.read_bytes(files["docx"]["sha256"])))
    finally:
        a.close()


def test_blacklist_add_refuses_an_invalid_statutory_listing(runner, home, tmp_path):
    r = ok(run(runner, home, "blacklist", "add", "--subject", ANTAI, "--list", "statutory", "--facts", "x",
               "--decided-on", "2026-03-20", "-o", tmp_path / "s.yaml"))
    assert "须修改后才能入档" in r.output and "situation" in r.output and "penalty_decision_no" in r.output
    assert json.loads(ok(run(runner, home, "blacklist", "list", "--as-of", "2026-06-01", "--json")).stdout) == []


# --- reports and the calendar ------------------------------------------------------------------------------


def archived_day() -> str:
    """A day on which the records these tests archive "today" (by the system clock) exist: an as-of
    view shows nothing archived after its day."""
    from archive import clock

    return max(clock.SYSTEM.today(), date(2026, 11, 29)).isoformat()


def test_report_files_and_figures(runner, home, tmp_path):
    out = json.loads(ok(run(runner, home, "report", "attachment2", "--as-of", "2026-04-30", "--no-pdf", "-o", tmp_path, "--json")).stdout)
    assert set(out["files"]) == {"yaml", "docx", "xlsx"} and out["figures"]["projects"] == 2 and out["figures"]["tickets"] == 4
    r = ok(run(runner, home, "report", "self-check", "--as-of", "2026-06-10", "--no-pdf", "-o", tmp_path, "--add"))
    assert "已入档" in r.output
    st = json.loads(ok(run(runner, home, "campaign", "status", "--as-of", archived_day(), "--json")).stdout)
    d = {x["key"]: x for x in st["enterprises"][0]["deliverables"]}
    assert d["self_check"]["status"] == "produced" and d["self_check"]["overdue"]  # archived today, not yet submitted
    r = run(runner, home, "report", "ledger", "--enterprise", ENTERPRISE, "--no-pdf", "-o", tmp_path)
    assert r.exit_code == 0  # the enterprise's own ledger of its contractors


def test_campaign_status_shows_the_seed_deadlines(runner, home):
    out = json.loads(ok(run(runner, home, "campaign", "status", "--as-of", "2026-05-01", "--json")).stdout)
    assert out["stage"] == {"key": "self_check", "name": "自查自改阶段"}
    assert [(s["name"], s["start"], s["end"], s["state"]) for s in out["stages"]] == [
        ("动员部署阶段", None, "2026-03-31", "done"), ("自查自改阶段", "2026-04-01", "2026-06-10", "current"),
        ("督查检查阶段", "2026-06-11", "2026-09-10", "upcoming"), ("总结通报阶段", "2026-09-11", "2026-11-10", "upcoming")]
    assert [o["deliverable"] for o in out["overdue"]] == ["附件2 外包作业情况表"]
    assert out["upcoming"][0] == {"deliverable": "整治自查报告", "due": "2026-06-10", "days_left": 40}
    text = ok(run(runner, home, "campaign", "status", "--as-of", "2026-05-01")).output
    for needle in ("自查自改阶段  2026-04-01 ～ 2026-06-10  进行中（剩 40 天）", "附件2 外包作业情况表：2026-04-30",
                   "整治自查报告：2026-06-10", "工作总结报告：2026-10-20", "【逾期】"):
        assert needle in text, needle


# --- Excel import --------------------------------------------------------------------------------------------


def test_import_template_and_a_roster_with_one_bad_row(runner, home, tmp_path):
    tpl = tmp_path / "persons.xlsx"
    ok(runner.invoke(main, ["import", "template", "persons", "-o", str(tpl)]))
    wb = load_workbook(tpl)
    ws = wb["人员"]
    headers = [str(c.value).rstrip("*") for c in ws[1]]
    good = {"姓名": "李明", "身份证号": cf.pid(51), "所在单位（统一社会信用代码）": HENGAN, "岗位角色": "作业人员"}
    bad = dict(good, 姓名="王刚", 身份证号=cf.pid(52), **{"所在单位（统一社会信用代码）": "91370112MA3F7R1K8X"})
    for r, row in enumerate((good, bad), 3):
        for k, v in row.items():
            ws.cell(row=r, column=headers.index(k) + 1, value=v)
    wb.save(tmp_path / "roster.xlsx")
    r = run(runner, home, "import", "xlsx", tmp_path / "roster.xlsx", "--kind", "persons")
    assert r.exit_code == 1
    assert "[人员]第4行 D列（所在单位（统一社会信用代码））: " in r.output and "未导入任何数据" in r.output
    r = ok(run(runner, home, "import", "xlsx", tmp_path / "roster.xlsx", "--kind", "persons", "--skip-bad-rows"))
    assert "第3行" in r.output and "人员 李明" in r.output and "skipped rows): 4" in r.output


def test_help_for_every_campaign_command(runner):
    for args in (["check"], ["rectify"], ["rectify", "draft"], ["rectify", "review-draft"], ["rectify", "status"],
                 ["rectify", "penalty-draft"], ["rectify", "articles"], ["blacklist"], ["blacklist", "list"], ["blacklist", "add"],
                 ["blacklist", "remove"], ["report"], ["campaign"], ["campaign", "status"], ["import"], ["import", "template"],
                 ["import", "xlsx"]):
        r = runner.invoke(main, [*args, "--help"])
        assert r.exit_code == 0 and "Usage" in r.output, args


def test_the_bureau_archive_checks_and_reports_on_imported_enterprises(runner, home, tmp_path):
    """The bureau imports the enterprise's submission package; check, campaign status, the ledger
    and the rectification draft then work on the imported records."""
    examples = Path(__file__).resolve().parent.parent / "examples"
    ok(run(runner, home, "report", "self-check", "--as-of", "2026-06-10", "--no-pdf", "-o", tmp_path / "r", "--add"))
    key = tmp_path / "enterprise.pub.pem"
    ok(run(runner, home, "keys", "export-public", "-o", key))
    fp = json.loads(ok(run(runner, home, "keys", "show", "--json")).stdout)["fingerprint"]
    ok(run(runner, home, "package", "export", "-o", tmp_path / "pkg"))
    bureau = tmp_path / "bureau"
    ok(run(runner, bureau, "init", "--org", examples / "organizations" / "bureau.yaml"))
    ok(run(runner, bureau, "org", "add", examples / "organizations" / "enterprise.yaml"))
    ok(run(runner, bureau, "person", "add", examples / "persons" / "bureau-liu-xiao.yaml", examples / "persons" / "bureau-zhang-mingyuan.yaml"))
    ok(run(runner, bureau, "org", "trust", ENTERPRISE, "--key", key, "--fingerprint", fp))
    ok(run(runner, bureau, "package", "import", tmp_path / "pkg"))
    out = json.loads(ok(run(runner, bureau, "check", "--as-of", "2026-11-29", "--json")).stdout)
    rules = {r["id"]: r for r in out["rules"]}
    assert rules["3-1"]["status"] == "fail" and rules["3-1"]["findings"][0]["enterprise"] == ENTERPRISE
    assert rules["E3"]["findings"][0]["contractor"] == LUZHONG
    st = json.loads(ok(run(runner, bureau, "campaign", "status", "--as-of", archived_day(), "--json")).stdout)
    (e,) = st["enterprises"]
    d = {x["key"]: x for x in e["deliverables"]}
    assert e["enterprise"] == ENTERPRISE and not e["own"]
    assert d["self_check"]["status"] == "submitted" and d["self_check"]["late"]  # imported today, due 6-10
    assert d["attachment2"]["status"] == "missing" and d["attachment2"]["overdue"]
    out = json.loads(ok(run(runner, bureau, "report", "ledger", "--as-of", "2026-11-29", "--no-pdf", "-o", tmp_path / "l", "--json")).stdout)
    assert out["figures"]["projects"] == 2 and out["figures"]["enterprises"] == 1
    r = ok(run(runner, bureau, "rectify", "draft", "--as-of", "2026-09-08", "--enterprise", ENTERPRISE, "-o", tmp_path / "o.yaml"))
    assert "核对后入档" in r.output  # the bureau's own officers are registered: a complete draft
    # …12号 (issued by this bureau, archived by the enterprise, imported back) is taken: numbering goes on
    assert "（高新）应急责改〔2026〕13号" in (tmp_path / "o.yaml").read_text(encoding="utf-8")


def test_a_draft_written_under_a_file_is_one_message(runner, home, tmp_path):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    r = run(runner, home, "rectify", "draft", "--as-of", "2026-09-08", "-o", tmp_path / "afile" / "order.yaml")
    assert r.exit_code == 1 and "是文件，不是目录" in r.output and "Traceback" not in r.output
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "x"
