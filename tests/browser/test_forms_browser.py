"""A safety officer fills a 安全生产管理协议 on a phone (360 px) in chromium: rows added and
removed by the page's script, the draft saved as it is typed, typing on while the connection is
down (kept in the page, 未联网，已暂存本机) and sent when it is back, then 封签入档. Screenshots at
360 px and 1280 px go to test-artefacts/browser/forms-*.png."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import Server, shoot, sign_in
from tests.web_world import CONTRACTOR, ENTERPRISE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def enterprise_server(district):
    s = Server(district["enterprise_a"])
    yield s
    s.stop()


def status(page) -> str:
    return page.locator("#save-status").inner_text()


def test_an_agreement_filled_on_a_phone_with_rows_offline_and_sealed(page, enterprise_server):
    url = enterprise_server.url
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(page, enterprise_server, "ent_officer")
    page.goto(url + "/forms")
    shoot(page, "forms-index")
    page.get_by_role("link", name="安全生产管理协议").click()
    page.wait_for_url(re.compile(r"/forms/new/safety_agreement$"))
    assert status(page) == "尚未保存"

    page.fill("[name=agreement_no]", "HR-AQXY-2026-021")
    page.fill("[name=project]", "HR-WB-2026-001")
    page.fill("[name=enterprise]", ENTERPRISE)
    page.fill("[name=contractor]", CONTRACTOR)
    assert page.locator('output.ref-name[data-for="f-contractor"]').inner_text() == "山东恒安设备安装工程有限公司"
    page.fill("[name='term.start']", "2026-04-10")
    page.fill("[name='term.end']", "2026-07-31")
    page.fill("[name=project_overview]", "铸造车间2号中频炉炉体及配套行车检修，作业区域为铸造车间东跨。")
    # the first save makes the draft: the address becomes the draft's
    page.wait_for_url(re.compile(r"/drafts/[0-9A-Z]{26}$"), timeout=20_000)
    page.locator("#save-status.saved").wait_for()
    draft_url = page.url

    # the list of 签订依据 comes with the four laws; one is removed, one added (the script, no reload)
    basis = page.locator("fieldset#f-basis > ol > li.row")
    assert basis.count() == 4
    basis.nth(3).get_by_role("button", name=re.compile("删除")).click()
    assert basis.count() == 3
    page.locator("fieldset#f-basis").get_by_role("button", name=re.compile("添加一条")).click()
    assert basis.count() == 4
    page.locator("fieldset#f-basis > ol > li.row").nth(3).locator("textarea").fill("《山东省安全生产条例》")
    duties = {"enterprise_duties": ["向乙方提供作业区域内危险有害因素、检测数据和应急处置信息", "乙方人员进场前进行入场安全教育和书面安全技术交底",
                                    "对乙方的安全生产工作统一协调、管理，定期进行安全检查"],
              "contractor_duties": ["设立项目部，配备专职安全生产管理人员", "对作业人员进行三级安全教育，特种作业人员持证上岗",
                                    "严格执行甲方作业票制度，危险作业前办理作业票", "服从甲方的安全生产统一协调和管理"]}
    for field, lines in duties.items():
        rows = page.locator(f"fieldset#f-{field} > ol > li.row")
        assert rows.count() == 3  # the three the law asks for at least
        for i, text in enumerate(lines):
            if i >= rows.count():
                page.locator(f"fieldset#f-{field}").get_by_role("button", name=re.compile("添加一条")).click()
            rows.nth(i).locator("textarea").fill(text)
    page.fill("[name=accident_handling]", "发生事故后乙方立即报告甲方，双方按规定报告并配合调查处理。")
    page.fill("[name=signed_on]", "2026-04-02")
    page.fill("[name='enterprise_signatory.name']", "刘海涛")
    page.fill("[name='contractor_signatory.name']", "马志强")
    page.locator("#save-status.saved").wait_for()
    shoot(page, "forms-agreement-filled")

    # the connection drops: what is typed stays in the page, and goes to the server when it is back
    page.context.set_offline(True)
    page.fill("[name='enterprise_signatory.title']", "安全环保部部长")
    page.locator("#save-status.offline").wait_for(timeout=10_000)
    assert "未联网，已暂存本机" in status(page)
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('outsafe:form:'))")
    assert len(kept) == 1
    assert "安全环保部部长" in page.evaluate(f"localStorage.getItem({json.dumps(kept[0])})")
    shoot(page, "forms-offline")
    page.context.set_offline(False)
    page.locator("#save-status.saved").wait_for(timeout=20_000)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('outsafe:form:')).length") == 0
    saved = page.request.get(url + "/api" + draft_url.replace(url, "")).json()["data"]
    assert saved["enterprise_signatory"]["title"] == "安全环保部部长"
    assert saved["basis"][-1] == "《山东省安全生产条例》" and len(saved["basis"]) == 4
    assert saved["contractor_duties"] == duties["contractor_duties"]

    # validate: no problem; then seal it
    page.get_by_role("button", name="校验").click()
    page.wait_for_load_state()
    assert "校验通过" in page.content()
    page.get_by_role("button", name="封签入档").click(no_wait_after=True)
    page.wait_for_url(re.compile(r"/records/[0-9A-Z]{26}"), timeout=180_000)  # LibreOffice makes the PDF
    assert "核验通过" in page.locator("section.seal").inner_text()
    assert "HR-AQXY-2026-021" in page.locator("h1").inner_text()
    shoot(page, "forms-added-record")
    assert page.request.get(draft_url).status == 404  # the draft is gone once added


def test_a_form_page_without_the_script_still_saves(browser, enterprise_server):
    """Progressive enhancement: with JavaScript off, the buttons post and the server does the rest."""
    ctx = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN", java_script_enabled=False)
    page = ctx.new_page()
    try:
        sign_in(page, enterprise_server, "ent_officer")
        page.goto(enterprise_server.url + "/forms/new/organization")
        page.fill("[name=uscc]", CONTRACTOR)
        page.fill("[name=name]", "无脚本测试单位")
        page.locator("fieldset#f-qualifications").get_by_role("button", name=re.compile("添加一行")).click()
        page.wait_for_url(re.compile(r"/drafts/[0-9A-Z]{26}\?add=qualifications"))
        page.locator("fieldset#f-qualifications > ol > li.row").first.wait_for()
        assert page.locator("fieldset#f-qualifications > ol > li.row").count() == 1
        page.select_option("[name='qualifications[0].kind']", "安全生产许可证")
        with page.expect_navigation():  # the post, then the page the server answers with
            page.get_by_role("button", name="校验").click()
        page.locator(".problems-summary").wait_for()  # (count() does not wait: under load it ran before the answer)
        assert page.locator(".problems-summary").count() == 1
        assert "qualifications[0].number" in page.locator(".problems-summary").inner_text()
        shoot(page, "forms-no-script-validate")
    finally:
        ctx.close()
