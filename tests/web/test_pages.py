"""What the pages show, and that each JSON twin carries the library's own result: dashboard,
search, dossier, record (masked data, documents, seal, proof), checks, rectification, blacklist,
the access log."""

from __future__ import annotations

import pytest

from archive.app import Archive
from tests.factories import WELDER_ID
from tests.web.conftest import client, login, records_of
from tests.web_world import CONTRACTOR, ENTERPRISE


@pytest.fixture(scope="module")
def c(shared_world):
    with client(shared_world["bureau"]) as c:
        login(c, "bureau_officer")
        yield c


@pytest.fixture(scope="module")
def ticket(shared_world):
    return records_of(shared_world["bureau"], ENTERPRISE, "work_ticket")[0]


def test_dashboard_stages_deadlines_expiring_and_handed_in(c):
    r = c.get("/?as_of=2026-12-15")
    assert r.status_code == 200
    for text in ("自查自改阶段", "报送期限", "逾期未整改", "即将到期的证照", "黑名单", "报送记录", "济南鑫源轻工机械有限公司"):
        assert text in r.text
    j = c.get("/api/dashboard", params={"as_of": "2026-12-15"}).json()
    licence = next(x for x in j["expiring"] if x["holder_uscc"] == CONTRACTOR)
    assert licence["expires"] == "2027-02-28" and licence["days_left"] == 75 and licence["band"] == 90
    assert j["expiring_counts"] == {"30": 0, "60": 0, "90": 1}
    assert {h["origin"] for h in j["handed_in"]} == {ENTERPRISE, "91370102MA7XY50173"}
    assert [e["deliverables"][0]["overdue"] for e in j["campaign"]["enterprises"]] == [True, True]


def test_search_highlights_filters_and_pages(c):
    r = c.get("/search", params={"q": "动火"})
    assert "<mark>动火</mark>" in r.text and "动火安全作业票" in r.text
    j = c.get("/api/search", params={"q": "动火", "type": "work_ticket"}).json()
    assert j["total"] == 1 and j["hits"][0]["ticket_type"] == "hot_work" and "«动火»" in j["hits"][0]["snippet"]
    assert c.get("/api/search", params={"q": "动火", "ticket_type": "lifting"}).json()["total"] == 0
    assert c.get("/api/search", params={"q": "动火", "until": "2026-01-01"}).json()["total"] == 0
    assert c.get("/api/search", params={"q": WELDER_ID}).json()["total"] >= 1  # found by the ID number …
    assert WELDER_ID not in c.get("/search", params={"q": WELDER_ID}).text  # … never shown in clear
    r = c.get("/search", params={"q": "(动火"})
    assert r.status_code in (200, 400) and "Traceback" not in r.text
    assert c.get("/search").status_code == 200 and "共" not in c.get("/search").text  # the empty form


def test_dossier_with_what_is_missing(c):
    r = c.get(f"/contractors/{CONTRACTOR}")
    assert r.status_code == 200 and "山东恒安设备安装工程有限公司" in r.text and "缺失" in r.text and "记录时间线" in r.text
    assert "以该单位为当事人生成证据包" in r.text  # the bureau may
    j = c.get(f"/api/contractors/{CONTRACTOR}").json()
    assert j["contractor"]["uscc"] == CONTRACTOR and j["counts"]["safety_agreement"] == 2
    assert any(m["kind"] == "untrained" for m in j["missing"])  # B has no training record for the welder


def test_record_page_data_documents_seal_and_proof(c, ticket, shared_world):
    r = c.get(f"/records/{ticket['id']}")
    assert r.status_code == 200
    for text in ("核验通过", "封签单位", "济南华锐重型机械有限公司", "账本证明", "包含证明成立", "打开 PDF", "下载 DOCX", "唯一版本"):
        assert text in r.text, text
    assert WELDER_ID not in r.text and "3701**********" in r.text
    j = c.get(f"/api/records/{ticket['id']}").json()
    assert j["seal_check"]["ok"] is True and j["inclusion"]["kind"] == "imported" and j["inclusion"]["verified"] is True
    pdf = c.get(f"/records/{ticket['id']}/files/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("inline")
    docx = c.get(f"/records/{ticket['id']}/files/docx", params={"download": "1"})
    assert docx.headers["content-disposition"].startswith("attachment") and docx.content[:2] == b"PK"
    a = Archive.open(shared_world["bureau"])
    try:
        mine = [e for e in a.catalog.access_log.entries(account="bureau_officer") if e["target"] == ticket["id"]]
    finally:
        a.close()
    assert [e["action"] for e in mine][-3:] == ["record_view", "document_download", "document_download"]
    assert all(e["address"] for e in mine) and "pdf" in mine[-2]["detail"]


def test_checks_rectification_and_blacklist(c):
    r = c.get("/checks?as_of=2026-11-29")
    assert r.status_code == 200 and "E1" in r.text and "/records/" in r.text  # findings link their evidence
    assert "未纳入检查的记录" not in r.text  # every record judged
    j = c.get("/api/checks?as_of=2026-11-29").json()
    assert j["as_of"] == "2026-11-29" and len(j["rules"]) >= 15
    assert c.get("/rectification").status_code == 200 and "整改情况" in c.get("/rectification").text
    assert c.get("/api/rectification").json()["summary"]["total"] == 0
    assert c.get(f"/api/rectification?contractor={CONTRACTOR.lower()}").status_code == 200
    for bad in ("123", "91370100MA3C8K2P0Q", ENTERPRISE):  # mistyped, nobody here, an enterprise: said, not an empty page
        r = c.get(f"/rectification?contractor={bad}")
        assert r.status_code == 404 and ("统一社会信用代码" in r.text or "本档案中没有" in r.text or "不是承包单位" in r.text), bad
        assert "承包单位”页" in r.text and "outsafe org list" not in r.text  # where to look, in the browser
    r = c.get("/blacklist?all=1")
    assert r.status_code == 200 and "没有黑名单" in r.text


def test_the_access_log_page_for_admins(shared_world):
    with client(shared_world["bureau"]) as admin:
        login(admin, "bureau_admin")
        r = admin.get("/audit")
        assert r.status_code == 200 and "登录" in r.text and "哈希链" in r.text
        j = admin.get("/api/audit", params={"action": "login", "user": "bureau_admin"}).json()
        assert j["entries"] and {e["account"] for e in j["entries"]} == {"bureau_admin"}
    with client(shared_world["bureau"]) as ent:
        login(ent, "ent_admin")  # an enterprise admin sees its own organization's entries only
        j = ent.get("/api/audit").json()
        assert j["entries"] and {e["org"] for e in j["entries"]} == {ENTERPRISE}


def test_the_checks_page_names_the_records_it_could_not_judge(world, monkeypatch):
    """A record sealed (by an older program) in a shape today's class does not have is left out of
    the checks: the page says which, with a link to it, above the rules."""
    from tests.test_views import MISSHAPEN, seal_as_an_old_version

    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    a = Archive.open(world["bureau"])
    rid = seal_as_an_old_version(a, {**MISSHAPEN["items as one text"], "unit": ENTERPRISE, "contractor": CONTRACTOR})
    a.close()
    with client(world["bureau"]) as c:
        login(c, "bureau_officer")
        r = c.get("/checks?as_of=2026-11-29")
        assert r.status_code == 200 and "未纳入检查的记录" in r.text and f"/records/{rid}" in r.text
        assert r.text.index("未纳入检查的记录") < r.text.index("E1 ")
        j = c.get("/api/checks?as_of=2026-11-29").json()
        assert [x["id"] for x in j["records_refused_by_current_rules"] if x.get("judged") is False] == [rid]


def test_the_checks_page_names_the_records_todays_rules_refuse_and_how_many_they_have_not_judged(world, monkeypatch):
    """A record sealed (by an older program) with a 文书号 today's rules refuse is still judged by
    the checks, and the page lists it with the field and the rule; records judged by older rules
    only (after an upgrade) are counted, with what to do about them."""
    import tests.campaign_factories as cf
    from archive.facts.index import catch_up
    from tests.test_views import seal_as_an_old_version

    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    a = Archive.open(world["bureau"])
    raw = cf.bureau_inspection("2026-06-15", no=44)
    rid = seal_as_an_old_version(a, {
        "doc_no": "（高新）应急责改〔2026〕044号", "bureau": cf.BUREAU, "unit": ENTERPRISE, "contractor": CONTRACTOR, "project": cf.PROJECT,
        "inspection_ref": None, "inspected_on": "2026-06-15", "issued_on": "2026-06-15",
        "items": [{"text": "检修平台临边防护缺失。", "basis": "《中华人民共和国安全生产法》第四十一条第二款", "deadline": "2026-06-30",
                   "major_hazard": False, "criterion": None, "requirement": None, "contractor": None}],
        "legal_basis": "《中华人民共和国安全生产法》第六十五条第一款第（三）项", "inspectors": raw["inspectors"],
        "authority_name": "济南高新区应急管理局", "review_authority": None, "photos": []})
    catch_up(a)
    a_records = a.catalog.records_after(0)
    older = [r["id"] for r in a_records][:5]
    with a.catalog.transaction():
        a.catalog.facts.put_lint([{"record_id": i, "fingerprint": "rules-before-the-upgrade", "problems": None} for i in older])
    a.close()
    with client(world["bureau"]) as c:
        login(c, "bureau_officer")
        r = c.get("/checks?as_of=2026-11-29")
        assert r.status_code == 200 and "不符合现行校验规则的记录" in r.text and f"/records/{rid}" in r.text
        assert "文书号：序号不编虚位" in r.text and "doc_no" not in r.text  # the field by its label, as the form names it
        assert "另有 5 条记录尚未按现行校验规则复核" in r.text and "outsafe views prepare" in r.text  # no preparer in this app
        assert "未纳入检查的记录" not in r.text  # it was judged: not left out
        j = c.get("/api/checks?as_of=2026-11-29").json()
        assert [x["id"] for x in j["records_refused_by_current_rules"]] == [rid] and j["records_not_linted"] == 5
        # the record's own page says it too, beside its seal (still valid)
        r = c.get(f"/records/{rid}")
        assert r.status_code == 200 and "核验通过" in r.text
        assert "现行校验规则不再接受本记录的部分内容" in r.text and "文书号：序号不编虚位" in r.text
        assert c.get(f"/api/records/{rid}").json()["lint"]["state"] == "refused"
        assert "尚未按现行校验规则复核本记录" in c.get(f"/records/{older[0]}").text  # judged by the rules before the upgrade
        fine = next(i for i in [x["id"] for x in a_records] if i not in older and i != rid)
        page = c.get(f"/records/{fine}").text
        assert "现行校验规则不再接受" not in page and "尚未按现行校验规则复核" not in page
        assert c.get(f"/api/records/{fine}").json()["lint"]["state"] == "accepted"


# --- long lists, a page at a time ----------------------------------------------------------------------


def _pages(c, path: str, pick, params: dict | None = None, nav: str = "") -> tuple[list, int]:
    """Everything ``pick`` finds on each page of ``path``, following the 下一页 link of the pager
    whose label starts with ``nav``; and how many pages."""
    import html
    import re

    seen, pages, url = [], 0, path
    while url:
        r = c.get(url, params=params if pages == 0 else None)
        assert r.status_code == 200, r.text[:500]
        seen += pick(r.text)
        pages += 1
        nxt = re.search(r'<nav class="pages" aria-label="' + nav + r'[^"]*">(?:(?!</nav>).)*?<a href="([^"]+)" rel="next">', r.text, re.S)
        url = html.unescape(nxt.group(1)) if nxt else None
        assert pages < 100
    return seen, pages


def _evidence_links(text: str) -> list[str]:
    import re

    return re.findall(r'证据：<a href="/records/([0-9A-Z]+)"', text)


def test_the_checks_overview_shows_a_few_findings_a_rule_and_its_own_page_all_of_them(c, shared_world, monkeypatch):
    """A page costs what it shows: the overview names each rule's verdict and count with its first
    findings; ``?rule=`` lists that rule's findings a page at a time (read from the pieces kept
    beside the report: pages span pieces here), all of them across the pages, in the report's
    order, with the day asked for carried along."""
    from archive.checks import stream
    from web import app, views

    monkeypatch.setattr(app, "LIST_ROWS", 2)
    monkeypatch.setattr(views, "CHECK_PREVIEW", 1)
    monkeypatch.setattr(stream, "PIECE_ROWS", 3)
    j = c.get("/api/checks?as_of=2026-11-29").json()
    busiest = max(j["rules"], key=lambda r: len(r["findings"]))
    n = len(busiest["findings"])
    assert n > 2, "the world needs a rule with more findings than a page"
    overview = c.get("/checks?as_of=2026-11-29").text
    assert len(_evidence_links(overview)) == sum(min(1, len(r["findings"])) for r in j["rules"])  # one finding a rule at most
    assert f'href="/checks?rule={busiest["id"]}&amp;as_of=2026-11-29">查看该项全部 {n} 条' in overview
    seen, pages = _pages(c, f"/checks?rule={busiest['id']}&as_of=2026-11-29", _evidence_links)
    assert len(list((shared_world["bureau"] / "cache" / "views").glob(f"*-rule-{busiest['id']}-1.json"))) == 1  # its pieces
    assert seen == [f["evidence"][0]["id"] for f in busiest["findings"]] and pages == -(-n // 2)
    one = c.get("/checks", params={"rule": busiest["id"].lower(), "as_of": "2026-11-29", "page": "999"}).text  # past the end: the last page
    assert f"第 {pages} / {pages} 页" in one and "全部检查项目" in one and f"{busiest['id']} {busiest['title']}" in one
    assert sum(f"<h2>{r['id']} " in one for r in j["rules"]) == 1  # that rule alone
    rule = c.get(f"/api/checks?rule={busiest['id']}&as_of=2026-11-29").json()
    assert [r["id"] for r in rule["rules"]] == [busiest["id"]] and rule["rules"][0]["findings"] == busiest["findings"]


def test_a_rule_that_does_not_exist_or_a_page_that_is_no_number_is_said(c):
    r = c.get("/checks", params={"rule": "E9<b>"})
    assert r.status_code == 404 and "没有这一项检查：E9&lt;b&gt;" in r.text and "<b>" not in r.text.split("<main>")[-1]
    assert c.get("/api/checks", params={"rule": "E9"}).status_code == 404
    r = c.get("/checks", params={"rule": "E1", "page": "二"})
    assert r.status_code == 400 and "应为数字：page" in r.text
    r = c.get("/rectification", params={"status": "late"})
    assert r.status_code == 400 and "status=late" in r.text


def test_rectification_items_a_page_at_a_time_and_by_status(world, monkeypatch):
    """The items of the rectification page, filtered by status from the bands, a page at a time:
    across the pages exactly the JSON twin's items of that status, in its order."""
    from web import app

    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    _a_few_hazards(world["enterprise_a"], 5)
    monkeypatch.setattr(app, "LIST_ROWS", 2)
    with client(world["enterprise_a"]) as c:
        login(c, "ent_officer")
        items = c.get("/api/rectification?as_of=2026-12-20").json()["items"]
        assert len(items) >= 5 and {i["status"] for i in items} == {"open", "overdue", "closed"}
        refs = lambda text: __import__("re").findall(r"<strong>([^<]+)</strong> <span class=\"muted small\">", text)  # noqa: E731
        seen, pages = _pages(c, "/rectification?as_of=2026-12-20", refs, nav="整改项")
        assert seen == [i["ref"] for i in items] and pages == -(-len(items) // 2)
        for status in ("overdue", "open", "closed"):
            seen, _ = _pages(c, f"/rectification?as_of=2026-12-20&status={status}", refs, nav="整改项")
            assert seen == [i["ref"] for i in items if i["status"] == status], status
        page = c.get("/rectification?as_of=2026-12-20&status=overdue").text
        assert 'class="band b30 here"' in page and 'href="/rectification?as_of=2026-12-20&amp;status=open"' in page


def _a_few_hazards(home, n: int) -> None:
    """``n`` hazards of the enterprise's project, filed in its own archive: open ones with deadlines
    before and after 2026-12-20, and one rectified."""
    from datetime import date, timedelta

    from tests import factories

    a = Archive.open(home)
    try:
        for i in range(n):
            files = [factories.write(home.parent / "in-hazards", f"hazard-{i}.yaml", {
                "type": "hazard", "hazard_no": f"HR-YH-2026-9{i:03d}", "enterprise": ENTERPRISE, "contractor": CONTRACTOR,
                "project": "HR-WB-2026-001", "description": f"第 {i + 1} 处：氧气瓶、乙炔瓶间距不足 5 m", "grade": "一般",
                "found_on": "2026-11-20", "deadline": (date(2026, 12, 10) + timedelta(days=5 * i)).isoformat(),
                **({"status": "已整改", "rectified_on": "2026-11-25"} if i == 0 else {"status": "整改中"})})]
            a.add_files(files, pdf=False)
    finally:
        a.close()


def test_a_dossiers_timeline_newest_first_a_page_at_a_time(c, monkeypatch):
    from web import app

    monkeypatch.setattr(app, "LIST_ROWS", 2)
    timeline = c.get(f"/api/contractors/{CONTRACTOR}").json()["timeline"]
    assert len(timeline) > 2
    ids = lambda text: __import__("re").findall(r'<span class="date">[^<]*</span> <a href="/records/([0-9A-Z]+)"', text)  # noqa: E731
    seen, pages = _pages(c, f"/contractors/{CONTRACTOR}", ids, nav="时间线")
    assert seen == [t["id"] for t in reversed(timeline)] and pages == -(-len(timeline) // 2)
    page = c.get(f"/contractors/{CONTRACTOR}", params={"mpage": "2", "page": "2"}).text  # the other lists stay where they were
    assert f'href="/contractors/{CONTRACTOR}?mpage=2&amp;page=3" rel="next"' in page or pages < 3
    assert f'href="/contractors/{CONTRACTOR}?mpage=2" rel="prev"' in page


def test_the_contractors_found_by_a_part_of_their_name_or_code_a_page_at_a_time(c, monkeypatch):
    from web import app

    every = c.get("/api/contractors").json()
    assert every and any(r["uscc"] == CONTRACTOR for r in every)
    monkeypatch.setattr(app, "LIST_ROWS", 1)
    seen, pages = _pages(c, "/contractors", lambda text: __import__("re").findall(r'<li><a href="/contractors/([0-9A-Z]{18})">', text))
    assert seen == [r["uscc"] for r in every] and pages == len(every)
    r = c.get("/contractors", params={"q": "恒安"})
    assert f'href="/contractors/{CONTRACTOR}"' in r.text and 'value="恒安"' in r.text
    assert [x["uscc"] for x in c.get("/api/contractors", params={"q": CONTRACTOR[-6:].lower()}).json()] == [CONTRACTOR]
    r = c.get("/contractors", params={"q": "<b>没有这家</b>"})
    assert r.status_code == 200 and "没有名称或代码含“&lt;b&gt;没有这家&lt;/b&gt;”的承包单位" in r.text


def test_the_blacklist_a_page_at_a_time(world, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from cli import main
    from web import app

    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    home = world["enterprise_a"]
    for i, (day, lst) in enumerate((("2026-03-20", "enterprise"), ("2026-04-20", "enterprise"))):
        r = CliRunner().invoke(main, ["--home", str(home), "blacklist", "add", "--subject", CONTRACTOR, "--list", lst, "--trigger", "其他",
                                      "--facts", "安全生产许可证已于2026年3月15日到期，未延续", "--evidence", "单位登记信息（安全生产许可证有效期至2026年3月15日）",
                                      "--decided-on", day, "-o", str(tmp_path / f"bl{i}.yaml")])
        assert "[已入档 added]" in r.output, r.output
    monkeypatch.setattr(app, "LIST_ROWS", 1)
    with client(home) as c:
        login(c, "ent_officer")
        rows = c.get("/api/blacklist", params={"all": "1"}).json()
        assert len(rows) == 2
        seen, pages = _pages(c, "/blacklist?all=1", lambda text: __import__("re").findall(r'<a href="/records/([0-9A-Z]+)">决定书</a>', text))
        assert seen == [x["record_id"] for x in rows] and pages == 2
