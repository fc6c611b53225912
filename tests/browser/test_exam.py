"""A three-level training exam taken in a real browser on a phone-sized screen (360 px): the safety
officer arranges it, the worker confirms his ID tail, answers every question (each saved on the
server as it is given), hands in and signs on the screen with his finger; the results and the
dashboard's reminders. Screenshots at 360 px and 1280 px in test-artefacts/browser/ (look at them)."""

from __future__ import annotations

import re

import pytest

from archive.app import Archive
from schemas import read_case_file
from tests import factories
from tests.browser.conftest import Server, shoot, sign_in
from tests.exam_helpers import BANKS, install_banks

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def enterprise_server(district):
    a = Archive.open(district["enterprise_a"])
    try:
        install_banks(a)
    finally:
        a.close()
    s = Server(district["enterprise_a"])
    yield s
    s.stop()


def answers() -> dict[str, tuple[str, str]]:
    """question id → (kind, right answer), from the sample banks."""
    out = {}
    for path in BANKS:
        for q in read_case_file(path)["questions"]:
            out[q["id"]] = (q["kind"], q["answer"])
    return out


def test_a_worker_takes_the_exam_on_a_phone_and_signs(browser, enterprise_server):
    ctx = browser.new_context(viewport={"width": 360, "height": 760}, locale="zh-CN", has_touch=True, is_mobile=True,
                              device_scale_factor=2)
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    url = enterprise_server.url
    try:
        sign_in(page, enterprise_server, "ent_officer")
        page.goto(url + "/training")
        shoot(page, "exam-home")
        page.select_option("select[name=person]", page.locator("select[name=person] option", has_text="王海军").get_attribute("value"))
        page.select_option("select[name=level]", "公司级")
        page.fill("input[name=trainer]", "孙丽娟")
        page.click("form#arrange button[type=submit]")
        page.wait_for_url(re.compile(r"/exams/[0-9A-Z]{26}$"))
        exam_url = page.url
        assert "开始答题" in page.content()
        shoot(page, "exam-intro")
        # the phone is handed to the worker
        page.fill("input[name=birth]", factories.WELDER_ID[6:14])
        page.click("button:has-text('开始答题')")
        page.wait_for_selector("#timer")
        assert re.fullmatch(r"(29|30):\d\d", page.locator("#clock").inner_text()) and "剩余" in page.locator("#timer").inner_text()
        shoot(page, "exam-paper")
        key = answers()
        questions = page.locator("fieldset.question")
        assert questions.count() == 15
        for i in range(questions.count()):
            q = questions.nth(i)
            qid = q.get_attribute("data-question")
            kind, right = key[qid]
            if kind == "multiple":
                for letter in right:
                    q.locator(f"input[name='m:{qid}:{letter}']").check()
            else:
                q.locator(f"input[name='q:{qid}'][value='{right}']").check()
        # every answer saved on the server as it was given (exam.js), the count shown
        page.wait_for_function("document.getElementById('answered').textContent === '15'")
        api = page.request.get(exam_url.replace("/exams/", "/api/exams/")).json()
        assert api["status"] == "open" and api["answered"] == 15
        assert page.locator("fieldset.question.answered").count() == 15
        shoot(page, "exam-answered")
        page.click("#hand-in")
        page.wait_for_selector(".result")
        assert "100" in page.locator(".result .score").inner_text() and "合格" in page.locator(".result").inner_text()
        # the signature, drawn with a finger on the canvas
        box = page.locator(".signpad canvas").bounding_box()
        assert box["width"] > 250  # the pad fills the phone's width
        page.mouse.move(box["x"] + 20, box["y"] + 100)
        page.mouse.down()
        for dx, dy in [(60, -50), (100, 20), (150, -40), (200, 30), (260, -20)]:
            page.mouse.move(box["x"] + dx, box["y"] + 100 + dy, steps=6)
        page.mouse.up()
        assert page.locator("input[name=signature]").input_value().startswith("data:image/png;base64,")
        shoot(page, "exam-sign")
        page.click("button:has-text('签字确认')")
        page.wait_for_selector("img.signature")
        img = page.request.get(exam_url + "/signature.png")
        assert img.status == 200 and img.body().startswith(b"\x89PNG")
        done = page.request.get(exam_url.replace("/exams/", "/api/exams/")).json()
        assert done["signed"] and done["score"] == 100.0 and done["passed"] is True and done["signature_sha256"]
        shoot(page, "exam-signed")
        page.goto(url + "/training/results")
        assert "已签" in page.content()
        shoot(page, "exam-results")
        page.goto(url + f"/training/workers/{done['person']}")
        assert "公司级" in page.content() and "合格 100 分" in page.content()
        shoot(page, "exam-worker")
        page.goto(url + "/?as_of=2026-07-15")
        assert "到期提醒" in page.locator("section.reminders").inner_text()
        page.locator("section.reminders").scroll_into_view_if_needed()
        shoot(page, "dashboard-reminders")
    finally:
        ctx.close()
