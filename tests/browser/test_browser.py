"""What a bureau officer and an enterprise's safety officer do in a real browser (chromium):
sign in, search, open a contractor's dossier, open a record and its PDF, build and download an
evidence package, upload a submission package; an enterprise account refused another
enterprise's record. Every page is photographed at 360 px and 1280 px (test-artefacts/browser/)."""

from __future__ import annotations

import re
import zipfile

import pytest

from tests.browser.conftest import Server, shoot, sign_in
from tests.web.conftest import records_of
from tests.web_world import CONTRACTOR, ENTERPRISE_B

pytestmark = pytest.mark.browser


def test_sign_in_page_and_a_wrong_password(page, bureau_server):
    page.goto(bureau_server.url + "/search")
    assert "/login?next=" in page.url
    shoot(page, "login")
    page.fill("input[name=username]", "bureau_officer")
    page.fill("input[name=password]", "wrong password, sorry")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()
    shoot(page, "login-failed")


def test_the_bureau_officers_story_search_dossier_record_evidence(page, bureau_server, tmp_path):
    sign_in(page, bureau_server, "bureau_officer")
    assert page.locator("h1").first.inner_text().startswith("仪表板")
    shoot(page, "dashboard")
    # search
    page.fill("input[name=q]", "动火")
    page.click("form.search button[type=submit]")
    page.wait_for_url(re.compile(r"/search\?"))
    assert page.locator("mark").first.inner_text() == "动火"
    shoot(page, "search")
    # the contractor's dossier, from the hit
    page.locator("li.hit", has_text="动火安全作业票").get_by_role("link", name="山东恒安设备安装工程有限公司").click()
    page.wait_for_url(re.compile(f"/contractors/{CONTRACTOR}"))
    assert "记录时间线" in page.content() and page.locator("h1").inner_text().startswith("山东恒安设备安装工程有限公司")
    shoot(page, "contractor")
    # a record from the timeline, with its seal checked and its PDF
    page.locator("ol.timeline").get_by_role("link", name=re.compile("动火安全作业票")).click()
    page.wait_for_url(re.compile(r"/records/[0-9A-Z]{26}$"))
    ticket_id = page.url.rsplit("/", 1)[1]
    assert "核验通过" in page.locator("section.seal").inner_text()
    assert "包含证明成立" in page.content()
    src = page.locator("iframe.pdf").get_attribute("src")
    pdf = page.request.get(bureau_server.url + src)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    shoot(page, "record")
    # the evidence package for the contractor, built in the background and downloaded
    page.goto(bureau_server.url + f"/contractors/{CONTRACTOR}")
    page.get_by_role("link", name=re.compile("生成证据包")).click()
    assert page.locator("input[name=party]").input_value() == CONTRACTOR
    page.fill("input[name=case_no]", "（高新）应急立〔2026〕8号")
    page.fill("input[name=records]", ticket_id)  # no 告知书/决定书 of the case on file yet: the officer names the evidence
    shoot(page, "exports")
    page.locator("form[action='/exports/evidence'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/jobs/"))
    shoot(page, "job-running")
    page.locator("#download").wait_for(timeout=180_000)
    assert "已完成" in page.content()
    shoot(page, "job-done")
    with page.expect_download() as dl:
        page.click("#download")
    saved = tmp_path / dl.value.suggested_filename
    dl.value.save_as(saved)
    assert saved.name.startswith("证据包-") and any(n.endswith("证据材料汇编.pdf") for n in zipfile.ZipFile(saved).namelist())


def test_upload_a_package_at_the_bureau(page, bureau_server, district):
    sign_in(page, bureau_server, "bureau_officer")
    page.goto(bureau_server.url + "/imports")
    shoot(page, "imports")
    page.set_input_files("input[name=package]", str(district["package_b2"]))
    page.click("form[action='/imports'] button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/"))
    page.locator("text=已完成").wait_for(timeout=120_000)
    assert "已导入" in page.content() and "1 条新记录" in page.content()
    shoot(page, "import-done")


def test_an_enterprise_account_is_refused_another_enterprises_record(page, bureau_server, district):
    other = next(r for r in records_of(district["bureau"], ENTERPRISE_B) if r["type"] == "safety_agreement")
    sign_in(page, bureau_server, "ent_officer")
    resp = page.goto(bureau_server.url + f"/records/{other['id']}")
    assert resp.status == 404 and "没有找到" in page.content() and "储罐区" not in page.content()
    shoot(page, "refused")
    page.goto(bureau_server.url + "/search?q=储罐区")
    assert "共 0 条" in page.content()


def test_every_other_page_at_both_widths(page, bureau_server):
    sign_in(page, bureau_server, "bureau_admin")
    for path, name in (("/contractors", "contractors"), ("/checks", "checks"), ("/rectification", "rectification"),
                       ("/blacklist?all=1", "blacklist"), ("/audit", "audit")):
        resp = page.goto(bureau_server.url + path)
        assert resp.status == 200, path
        shoot(page, name)
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url(re.compile("/login"))
    assert page.goto(bureau_server.url + "/audit").url.endswith("/login?next=%2Faudit")


def test_an_enterprise_officer_exports_a_submission(browser, district, tmp_path):
    server = Server(district["enterprise_a"])
    try:
        ctx = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN", accept_downloads=True)
        page = ctx.new_page()
        sign_in(page, server, "ent_officer")
        shoot(page, "enterprise-dashboard")
        page.goto(server.url + "/exports")
        page.locator("form[action='/exports/submission'] button[type=submit]").click()
        page.locator("#download").wait_for(timeout=120_000)
        with page.expect_download() as dl:
            page.click("#download")
        assert dl.value.suggested_filename.startswith("报送包-")
        ctx.close()
    finally:
        server.stop()
