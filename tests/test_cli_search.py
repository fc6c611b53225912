"""`outsafe search`, `outsafe index rebuild|check` and `outsafe contractor show` through CliRunner:
success and failure, exit codes, exact error lines, --json, masking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli import main
from tests import factories as f

TRAINEE_ID = f.id_number("37010219920611203")
NEWCOMER_ID = f.id_number("37011219950302451")


def run(runner, home, *args):
    args = [str(a) for a in args]
    if args and (args[0] == "init" or (len(args) > 1 and args[1] == "add")):
        args.append("--no-pdf")  # these tests are about search, not PDFs
    return runner.invoke(main, ["--home", str(home), *args])


def training(**kw) -> dict:
    day = "2026-04-14"
    base = {
        "type": "training_record", "record_no": "HR-SJJY-2026-101", "contractor": f.CONTRACTOR, "enterprise": f.ENTERPRISE,
        "project": "HR-WB-2026-001",
        "trainee": {"name": "孙丽娟", "id_number": TRAINEE_ID, "trade": "安全员", "entry_date": "2026-04-10"},
        "levels": [{"level": lv, "start": day, "hours": h, "content": ["安全生产法律法规", "岗位安全操作规程", "有关事故案例"],
                    "trainer": "刘海涛", "score": 92, "passed": True} for lv, h in (("公司级", 12), ("车间级", 8), ("班组级", 8))],
        "conclusion": {"passed": True, "may_take_post": True, "confirmed_by": "刘海涛", "confirmed_on": "2026-04-15"},
    }
    base.update(kw)
    return base


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """An archive (enterprise, bureau, contractor, three workers, a project with an agreement and a
    hot-work ticket, a second project with neither, training cards for two of the workers) and its
    search index. Gaps for the dossier: 赵铁柱 (second roster) and 马志强 (the ticket's leader,
    named without a 身份证号) have no training card."""
    from click.testing import CliRunner

    mp = pytest.MonkeyPatch()
    mp.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    base = tmp_path_factory.mktemp("search")
    mp.setenv("OUTSAFE_HOME", str(base / "unused"))
    files = f.basic_set(base / "in")
    extra = base / "in2"
    second = f.write(extra, "project2.yaml", f.project(
        code="HR-WB-2026-007", name="污水处理站沉淀池清淤工程", location="污水处理站", dangerous_work=["confined_space", "hot_work"],
        workers=[{"name": "王海军", "id_number": f.WELDER_ID}, {"name": "赵铁柱", "id_number": NEWCOMER_ID}]))
    trainee = f.write(extra, "trainee.yaml", f.person("孙丽娟", TRAINEE_ID, roles=["专职安全生产管理人员"], trade="安全员"))
    newcomer = f.write(extra, "newcomer.yaml", f.person("赵铁柱", NEWCOMER_ID, trade="普工"))
    welder = f.write(extra, "welder.yaml", f.person("王海军", f.WELDER_ID, roles=["特种作业人员"], trade="电焊工", certificates=[{
        "kind": "特种作业操作证", "category": "焊接与热切割作业", "number": f.WELDER_ID, "issuer": "济南市应急管理局",
        "issued": "2022-06-01", "expires": "2028-05-31", "next_review": "2026-06-20"}]))
    card = f.write(extra, "training.yaml", training())
    welder_card = f.write(extra, "training2.yaml", training(
        record_no="HR-SJJY-2026-102", trainee={"name": "王海军", "id_number": f.WELDER_ID, "trade": "电焊工", "entry_date": "2026-04-10"}))
    runner = CliRunner()
    home = base / "archive"
    try:
        for args in (("init", "--org", files["enterprise"]),
                     ("org", "add", files["bureau"], files["contractor"]),
                     ("person", "add", welder, trainee, newcomer),
                     ("project", "add", files["project"], second),
                     ("case", "add", files["agreement"], card, welder_card, files["ticket"]),
                     ("index", "rebuild")):
            r = run(runner, home, *args)
            assert r.exit_code == 0, (args, r.output)
        yield home
    finally:
        mp.undo()


@pytest.fixture
def home(built, tmp_path):
    """A private copy of the built archive (tests may change it)."""
    copy = tmp_path / "archive"
    shutil.copytree(built, copy)
    return copy


def test_search_finds_the_ticket_for_the_contractor(runner, home):
    r = run(runner, home, "search", "动火", "--contractor", f.CONTRACTOR)
    assert r.exit_code == 0, r.output
    assert "动火安全作业票 DH-2026-0105" in r.stdout
    assert "«动火»" in r.stdout and "山东恒安设备安装工程有限公司" in r.stdout
    assert r.stdout.splitlines()[0].startswith("共 ")


def test_search_by_contractor_name_and_json(runner, home):
    r = run(runner, home, "search", "补焊", "--contractor", "恒安", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["total"] == 1 and out["organizations"] == {f.CONTRACTOR: "山东恒安设备安装工程有限公司"}
    hit = out["hits"][0]
    assert hit["type"] == "work_ticket" and hit["ticket_type"] == "hot_work" and "«补焊»" in hit["snippet"]
    assert set(hit) >= {"id", "title", "date", "contractor", "contractor_name", "enterprise", "enterprise_name", "score", "snippet"}


def test_search_filters_and_boolean_syntax(runner, home):
    def total(*args):
        r = run(runner, home, "search", "--json", *args)
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)["total"]

    assert total("安全") >= 3
    assert total("安全", "--type", "safety_agreement") == 1
    assert total("安全", "--type", "作业票", "--ticket-type", "动火") == 1
    assert total("安全", "--ticket-type", "confined_space") == 0
    assert total("动火", "--since", "2026-05-01", "--until", "2026-05-31") == 1
    assert total("动火", "--until", "2026-04-30", "--type", "work_ticket") == 0
    assert total("动火", "--enterprise", f.ENTERPRISE, "--type", "work_ticket") == 1
    assert total("补焊 OR 清淤") == 2
    assert total('"炉壳加强筋补焊"') == 1
    assert total('"炉壳补焊"') == 0
    assert total("补焊", "--", "-动火") == 0
    assert total("有限空间", "--type", "project") == total("受限空间", "--type", "project") == 1  # synonym of the ticket label
    assert total("name:孙丽娟") >= 1


def test_search_by_id_number_never_shows_it(runner, home):
    r = run(runner, home, "search", f.WELDER_ID, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["total"] >= 3  # the person, the projects' rosters, the ticket
    assert f.WELDER_ID not in r.stdout and TRAINEE_ID not in r.stdout
    r = run(runner, home, "search", "王海军", "--limit", "50")
    assert r.exit_code == 0 and f.WELDER_ID not in r.stdout and "王海军" in r.stdout


def test_search_errors_are_one_clear_line(runner, home):
    r = run(runner, home, "search", "(动火", "吊装")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == "括号不配对 (unbalanced parentheses) : (动火 吊装"
    r = run(runner, home, "search", "动火", "--contractor", "不存在公司")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == "没有名称含“不存在公司”的单位 (no organization named '不存在公司' for 承包单位)"
    r = run(runner, home, "search", "动火", "--ticket-type", "潜水")
    assert r.exit_code == 1 and r.stderr.startswith("未知的作业类别 潜水 (unknown ticket type)")
    r = run(runner, home, "search", "动火", "--since", "2026-02-30")
    assert r.exit_code == 1 and "日期无效" in r.stderr
    r = run(runner, home, "search")
    assert r.exit_code == 2


def test_index_check_ok_then_behind_then_rebuilt(runner, home, tmp_path):
    r = run(runner, home, "index", "check")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("搜索索引完好 (search index ok): ")
    r = run(runner, home, "index", "check", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["ok"] is True
    # a record committed without indexing (as after a crash between the two commits)
    hazard = f.write(tmp_path / "more", "hazard.yaml", {
        "type": "hazard", "hazard_no": "HR-YH-2026-0099", "enterprise": f.ENTERPRISE, "contractor": f.CONTRACTOR,
        "project": "HR-WB-2026-001", "description": "铸造车间2号中频炉冷却水管渗漏，地坑积水", "grade": "一般",
        "found_on": "2026-05-09", "status": "整改中"})
    _add_without_index(home, hazard)
    r = run(runner, home, "index", "check")
    assert r.exit_code == 3
    assert r.stderr.splitlines()[0] == "搜索索引有 2 个问题 (search index: 2 problem(s))"
    assert "index behind the catalog" in r.stderr and "records missing from the index" in r.stderr
    assert "outsafe index rebuild" in r.stderr
    r = run(runner, home, "index", "check", "--json")
    assert r.exit_code == 3 and len(json.loads(r.stdout)["problems"]) == 2
    r = run(runner, home, "search", "冷却水管渗漏", "--json")  # a search first catches the index up (refresh)
    assert r.exit_code == 0 and json.loads(r.stdout)["total"] == 1 and json.loads(r.stdout)["behind"] == 0
    assert run(runner, home, "index", "check").exit_code == 0
    _add_without_index(home, f.write(tmp_path / "more2", "hazard.yaml", {
        "type": "hazard", "hazard_no": "HR-YH-2026-0100", "enterprise": f.ENTERPRISE, "contractor": f.CONTRACTOR,
        "project": "HR-WB-2026-001", "description": "铸造车间3号中频炉冷却水管渗漏", "grade": "一般",
        "found_on": "2026-05-10", "status": "整改中"}))
    r = run(runner, home, "index", "rebuild", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["mark"] == json.loads(r.stdout)["catalog_max_seq"]
    assert run(runner, home, "index", "check").exit_code == 0
    r = run(runner, home, "search", "冷却水管渗漏", "--json")
    assert json.loads(r.stdout)["total"] == 2


def _add_without_index(home: Path, path: Path) -> None:
    """Commit a record to the catalog but leave the index as it was (a crash between the two)."""
    from archive.app import Archive

    saved = home.parent / "saved-index"
    shutil.copytree(home / "index", saved)
    a = Archive.open(home)
    try:
        a.add_files([path], pdf=False)
    finally:
        a.close()
    shutil.rmtree(home / "index")
    shutil.copytree(saved, home / "index")
    shutil.rmtree(saved)


def test_corrupt_index_is_reported_with_the_fix(runner, home):
    state = json.loads((home / "index" / "CURRENT").read_text(encoding="utf-8"))
    live = home / "index" / state["dir"]
    toc = next(p for p in live.iterdir() if p.suffix == ".toc")
    toc.write_bytes(b"not a whoosh toc")
    r = run(runner, home, "search", "动火")
    assert r.exit_code == 1
    assert r.stderr.startswith("搜索索引已损坏，无法打开")
    assert r.stderr.splitlines()[-1] == "→ 运行 `outsafe index rebuild` 重建索引 (run `outsafe index rebuild`)"
    r = run(runner, home, "index", "check")
    assert r.exit_code == 3 and "outsafe index rebuild" in r.stderr
    assert toc.read_bytes() == b"not a whoosh toc"  # reported, not wiped
    assert run(runner, home, "index", "rebuild").exit_code == 0
    assert run(runner, home, "search", "动火").exit_code == 0


def test_rebuild_with_another_engine_is_recorded(runner, home):
    r = run(runner, home, "index", "rebuild", "--engine", "tantivy", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["engine"] == out["wanted_engine"] == "tantivy"
    r = run(runner, home, "search", "补焊", "--json")
    assert json.loads(r.stdout)["total"] == 1
    assert run(runner, home, "index", "check").exit_code == 0
    r = run(runner, home, "index", "rebuild", "--engine", "lucene")
    assert r.exit_code == 2


def test_init_records_the_search_engine(runner, tmp_path, basic_files):
    home = tmp_path / "t"
    r = run(runner, home, "init", "--org", basic_files["enterprise"], "--search-engine", "tantivy")
    assert r.exit_code == 0, r.output
    assert run(runner, home, "index", "rebuild").exit_code == 0
    r = run(runner, home, "index", "check", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["engine"] == "tantivy"


def test_contractor_dossier_text(runner, home):
    r = run(runner, home, "contractor", "show", f.CONTRACTOR, "--as-of", "2027-02-10")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.splitlines()[0] == f"山东恒安设备安装工程有限公司  {f.CONTRACTOR}  （截至 as of 2027-02-10）"
    assert "黑名单 (blacklist): 未列入 (not listed)" in out
    assert "项目 HR-WB-2026-007 没有安全生产管理协议" in out
    assert "项目 HR-WB-2026-007 涉及受限空间作业，但没有受限空间作业票" in out
    assert "赵铁柱（名册 roster）没有济南华锐重型机械有限公司的三级安全教育记录" in out
    assert "马志强（作业票 DH-2026-0105）没有济南华锐重型机械有限公司的三级安全教育记录" in out
    assert "! 将到期 安全生产许可证" in out and "剩 18 天" in out
    assert "动火安全作业票 DH-2026-0105" in out
    assert f.WELDER_ID not in out


def test_contractor_dossier_json(runner, home):
    r = run(runner, home, "contractor", "show", f.CONTRACTOR, "--as-of", "2026-06-01", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["contractor"]["name"] == "山东恒安设备安装工程有限公司" and d["blacklisted"] is False
    assert d["counts"]["work_ticket"] == 1 and d["counts"]["safety_agreement"] == 1 and d["counts"]["project"] == 2
    kinds = {(m["kind"], m["project"], m.get("person") or m.get("ticket_type")) for m in d["missing"]}
    assert ("no_agreement", "HR-WB-2026-007", None) in kinds
    assert ("no_ticket", "HR-WB-2026-007", "confined_space") in kinds
    assert ("no_ticket", "HR-WB-2026-007", "hot_work") in kinds
    assert ("no_ticket", "HR-WB-2026-001", "hot_work") not in kinds
    assert ("untrained", "HR-WB-2026-007", "赵铁柱") in kinds and ("untrained", "HR-WB-2026-001", "马志强") in kinds
    assert not any(m.get("person") in ("孙丽娟", "王海军") for m in d["missing"])  # they have their cards
    assert ("no_agreement", "HR-WB-2026-001", None) not in kinds
    cert = next(c for c in d["certificates"] if c["person"] == "王海军")
    assert cert["status"] == "review_due" and cert["next_review"] == "2026-06-20"  # 复审 due within 30 days
    assert f.WELDER_ID not in json.dumps(d, ensure_ascii=False)
    assert [e["uscc"] for e in d["enterprises"]] == [f.ENTERPRISE]
    assert [t["date"][:10] for t in d["timeline"]] == sorted(t["date"][:10] for t in d["timeline"])
    r = run(runner, home, "contractor", "show", f.CONTRACTOR, "--as-of", "2027-03-10", "--json")
    q = json.loads(r.stdout)["qualifications"][0]
    assert q["status"] == "expired" and q["days_left"] == -10


def test_contractor_dossier_shows_blacklisting(runner, home, tmp_path):
    entry = f.write(tmp_path / "bl", "entry.yaml", {
        "type": "blacklist_entry", "entry_no": "HR-HMD-2026-01", "list": "enterprise", "listed_by": f.ENTERPRISE,
        "subject": f.CONTRACTOR, "subject_name": "山东恒安设备安装工程有限公司", "trigger": "重大事故隐患不整改",
        "facts": "2号中频炉冷却水管渗漏隐患逾期未整改", "decided_on": "2026-05-20", "start": "2026-05-20", "end": "2029-05-20",
        "decided_by": "济南华锐重型机械有限公司"})
    r = run(runner, home, "case", "add", entry)
    assert r.exit_code == 0, r.output
    r = run(runner, home, "contractor", "show", f.CONTRACTOR, "--as-of", "2026-06-01", "--json")
    d = json.loads(r.stdout)
    assert d["blacklisted"] is True
    assert d["blacklist"][0] | {"id": None} == {
        "list": "enterprise", "list_name": "企业承包商黑名单", "entry_no": "HR-HMD-2026-01", "listed_by": f.ENTERPRISE,
        "start": "2026-05-20", "end": "2029-05-20", "removed_on": None, "active": True, "id": None}
    r = run(runner, home, "contractor", "show", f.CONTRACTOR, "--as-of", "2026-05-01")
    assert "黑名单 (blacklist): 未列入 (not listed)" in r.stdout
    r = run(runner, home, "contractor", "show", f.CONTRACTOR, "--as-of", "2026-06-01")
    assert "黑名单 (blacklist): 在企业承包商黑名单中 HR-HMD-2026-01（2026-05-20～2029-05-20）" in r.stdout


def test_contractor_dossier_unknown(runner, home):
    from schemas.identifiers import make_uscc

    valid = make_uscc("91370100MA3WWWWWW")  # a valid code nobody registered
    r = run(runner, home, "contractor", "show", valid)
    assert r.exit_code == 1 and r.stderr.splitlines()[0] == f"单位 {valid} 未登记 (organization not registered)"
    r = run(runner, home, "contractor", "show", "91370100MA3C8K2P9X")  # a mistyped check character: said as such
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0].startswith("“91370100MA3C8K2P9X”不是有效的统一社会信用代码：校验码错误")
    r = run(runner, home, "contractor", "show", "  ")
    assert r.exit_code == 1 and r.stderr.splitlines()[0] == "没有给出承包单位的统一社会信用代码 (no USCC given)"


def test_help_for_search_commands(runner):
    for args in (["search", "--help"], ["index", "--help"], ["index", "rebuild", "--help"], ["index", "check", "--help"],
                 ["contractor", "show", "--help"]):
        r = runner.invoke(main, args)
        assert r.exit_code == 0 and "Usage" in r.output
