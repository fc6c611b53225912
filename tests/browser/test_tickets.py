"""A 动火 ticket run on a phone (chromium at 360 px, touch) from its application to 完工验收: each
person picks his name, types the last four characters of his 身份证号 and signs with a finger on
the canvas (touch events through the DevTools protocol; two signatures drawn with the mouse);
photos from the "camera" (a file input) with their EXIF time and place; an approval out of order
refused; a wrong ID digit refused on the page; an expired ticket shown expired and refused.

The server runs in this process (uvicorn in a thread) over the ticket world (tests/ticket_world.py)
with a FixedClock the test moves: the ticket's rules are about minutes before and after its start,
which the machine's clock cannot be made to walk through. Screenshots at 360 and 1280 px go to
test-artefacts/browser/ticket-*.png.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta

import pytest

from archive.clock import CST, FixedClock
from tests import ticket_world as tw
from tests.browser.conftest import ARGS, CHROMIUM, free_port, shoot

pytestmark = pytest.mark.browser

TICKET_URL = re.compile(r"/tickets/[0-9A-Z]{26}\?done=")


class InProcessServer:
    """``outsafe serve``'s application under uvicorn in a thread, on a clock the test holds."""

    def __init__(self, home, clock: FixedClock) -> None:
        import uvicorn

        from web.server import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(home, clock=clock), host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="ticket-server", daemon=True)
        self.thread.start()
        for _ in range(300):  # up to 30 s to listen
            if self.server.started:
                return
            time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return tw.build(tmp_path_factory.mktemp("browser-tickets") / "world")


@pytest.fixture(scope="module")
def site(world):
    clock = FixedClock(tw.START)
    s = InProcessServer(world["home"], clock)
    s.clock = clock
    yield s
    s.stop()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(chromium):
    ctx = chromium.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
                               locale="zh-CN")
    p = ctx.new_page()
    p.set_default_timeout(120_000)  # each step seals a record and renders its PDF: slow on a loaded machine
    yield p
    ctx.close()


def sign_in(page, site, name: str = "ent_officer") -> None:
    page.goto(site.url + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", tw.PASSWORD)
    page.click("button[type=submit]")
    # signed in = redirected to the dashboard; the next step navigates away at once, so its page
    # need not finish loading (once, in a loaded CI run, its load event never came within 120 s)
    try:
        page.wait_for_url(re.compile(r"/$"), wait_until="commit")
    except Exception:
        dump_threads(f"sign-in of {name}: no redirect; the page at {page.url} says {page.locator('body').inner_text(timeout=5000)[:300]!r}")
        raise


def dump_threads(why: str) -> None:
    """The server runs in this process: when it does not answer, every thread's stack goes to the
    test's stderr (and test-artefacts/browser/threads.txt), which says where it is stuck."""
    import faulthandler
    import sys

    from tests.browser.conftest import ARTEFACTS

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTEFACTS / "threads.txt", "w") as f:
        print(why, file=f, flush=True)
        faulthandler.dump_traceback(f, all_threads=True)
    print(why, file=sys.stderr, flush=True)
    faulthandler.dump_traceback(sys.stderr, all_threads=True)


def draw(page, how: str = "touch") -> None:
    """A signature on the pad: a finger (touch events) or the mouse."""
    pad = page.locator("canvas.sigpad")
    pad.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = pad.bounding_box()
    pts = [(0.08, 0.7), (0.2, 0.2), (0.32, 0.8), (0.45, 0.3), (0.58, 0.75), (0.7, 0.25), (0.85, 0.7), (0.93, 0.4)]
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in pts]
    if how == "mouse":
        page.mouse.move(*xy[0])
        page.mouse.down()
        for x, y in xy[1:]:
            page.mouse.move(x, y, steps=5)
        page.mouse.up()
        return
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": xy[0][0], "y": xy[0][1]}]})
    for (x0, y0), (x1, y1) in zip(xy, xy[1:]):
        for k in range(1, 6):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
                {"x": x0 + (x1 - x0) * k / 5, "y": y0 + (y1 - y0) * k / 5}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def pick(page, select: str, name: str) -> None:
    value = page.locator(f"{select} option", has_text=name).first.get_attribute("value")
    page.select_option(select, value=value)


def signer(page, name: str, digits: str | None = None, how: str = "touch") -> None:
    pick(page, "select[name=person]", name)
    page.fill("input[name=birth]", digits if digits is not None else tw.id_of(name)[6:14])
    draw(page, how)


def submit(page) -> None:
    page.locator(".sign-submit button[type=submit]").click()
    page.wait_for_url(TICKET_URL)


def go_step(page, label: str) -> None:
    page.locator(".next-step a.button", has_text=label).first.click()
    page.wait_for_url(re.compile(r"/sign/"))


def test_a_hot_work_ticket_on_a_phone_from_application_to_completion(phone, site, tmp_path):
    page, clock = phone, site.clock
    clock.at = tw.START
    sign_in(page, site)
    page.goto(site.url + "/tickets")
    shoot(page, "ticket-list-empty")
    page.get_by_role("link", name="申请作业票").click()
    page.wait_for_url(re.compile(r"/tickets/new"))
    # the application
    page.select_option("select[name=project]", value=tw.PROJECT)
    page.fill("input[name=location]", "铸造车间熔炼工部 2号中频炉操作平台")
    page.fill("textarea[name=content]", "2号中频炉炉壳东侧加强筋补焊（手工电弧焊）")
    page.fill("input[name=valid_from]", "2026-05-12T09:00")
    page.fill("input[name=valid_to]", "2026-05-12T17:00")
    page.select_option("select[name=grade]", "二级")
    page.fill("input[name=method]", "手工电弧焊")
    page.fill("input[name=hot_spot]", "炉壳东侧加强筋")
    pick(page, "select[name=leader]", tw.LEADER)
    pick(page, "select[name=guardian]", tw.GUARDIAN)
    page.locator("fieldset.people", has_text="作业人").first.locator("label", has_text=tw.WELDER).locator("input").check()
    page.locator("fieldset.people", has_text="动火人").locator("label", has_text=tw.WELDER).locator("input").check()
    signer(page, tw.LEADER)
    shoot(page, "ticket-apply")
    submit(page)
    assert "待风险辨识与安全措施" in page.content()
    rid_first = page.url.split("/tickets/")[1].split("?")[0]
    # hazards, measures and the briefing
    clock.at += timedelta(minutes=10)
    go_step(page, "风险辨识与安全措施")
    page.fill("textarea[name=risk_identification]", "火灾（平台下电缆桥架、液压站油管）；灼烫；触电；平台临边坠落")
    for i in (2, 4, 6, 7, 8):
        page.check(f"input[name=measure_involved_{i}]")
    signer(page, tw.LEADER)
    shoot(page, "ticket-step-measures")
    submit(page)
    go_step(page, "接受安全交底")
    signer(page, tw.WELDER, how="mouse")
    submit(page)
    # the gas analysis, with a photo of the detector
    clock.at += timedelta(minutes=25)
    go_step(page, "气体分析")
    page.fill("input[name=reading_gas_0]", "甲烷（天然气）")
    page.fill("input[name=reading_location_0]", "动火点（炉体底座）")
    page.fill("input[name=reading_result_0]", "0.02")
    page.fill("input[name=reading_lel_pct_0]", "5")
    page.fill("input[name=reading_location_1]", "动火点（炉体底座）")
    page.fill("input[name=reading_result_1]", "20.9")
    page.set_input_files("input[data-photos]", str(tw.photo(tmp_path, name="detector.jpg")))
    signer(page, tw.ANALYST[0])
    shoot(page, "ticket-step-gas")
    submit(page)
    assert "待审批（监护人）" in page.content()
    shoot(page, "ticket-page-approvals")
    rid = page.url.split("/tickets/")[1].split("?")[0]
    # an approval out of order: the 所在单位 before the 监护人
    page.goto(site.url + f"/tickets/{rid}/sign/approve?box=所在单位")
    alert = page.locator("[role=alert]").inner_text()
    assert "现在应由“监护人”签字，不能先签“所在单位”" in alert
    shoot(page, "ticket-refused-out-of-order")
    page.goto(site.url + f"/tickets/{rid}")
    # the approvals in order; the first with a wrong ID digit
    clock.at += timedelta(minutes=2)
    go_step(page, "审批（监护人）")
    signer(page, tw.GUARDIAN, digits="19000101")
    page.locator(".sign-submit button[type=submit]").click()
    error = page.locator("[data-form-error]")
    error.wait_for(state="visible")
    assert "出生日期不符" in error.inner_text()
    shoot(page, "ticket-wrong-digits")
    page.fill("input[name=birth]", tw.id_of(tw.GUARDIAN)[6:14])
    page.locator(".sign-submit button[type=submit]").click()  # the signature is still on the pad
    page.wait_for_url(TICKET_URL)
    for box, who in (("作业负责人", tw.LEADER), ("所在单位", tw.WORKSHOP), ("安全管理部门", tw.SAFETY), ("动火审批人", tw.WORKSHOP)):
        clock.at += timedelta(minutes=2)
        go_step(page, f"审批（{box}）")
        signer(page, who, how="mouse" if box == "所在单位" else "touch")
        submit(page)
    clock.at += timedelta(minutes=3)
    go_step(page, "验票")
    signer(page, tw.SHIFT[0])
    submit(page)
    # the work starts at 09:02, with a photo of the site
    clock.at = datetime(2026, 5, 12, 9, 2, tzinfo=CST)
    go_step(page, "作业开始")
    page.set_input_files("input[data-photos]", str(tw.photo(tmp_path, when="2026:05:12 09:01:40", name="site.jpg")))
    signer(page, tw.GUARDIAN)
    submit(page)
    assert "待完工验收" in page.content()
    # 完工验收 at 16:40 (the session has idled out since: sign in again)
    clock.at = datetime(2026, 5, 12, 16, 40, tzinfo=CST)
    sign_in(page, site)
    page.goto(site.url + f"/tickets/{rid_first}")
    go_step(page, "完工验收")
    page.fill("textarea[name=opinion]", "动火作业结束，现场已清理，监护人观察 30 min 无余火。")
    signer(page, tw.WORKSHOP)
    shoot(page, "ticket-step-close")
    submit(page)
    assert "已完工验收" in page.locator(".ticket-summary").inner_text()
    assert page.locator("img.sig").count() == 12  # apply, measures, 1 receiver, gas, 5 approvals, 验票, start, close
    # every signature image loads: they load lazily (loading="lazy"), so each is brought into view,
    # then the page waits until each has finished — loaded or broken — before they are measured
    for img in page.locator("img.sig").all():
        img.scroll_into_view_if_needed()
    page.wait_for_function("Array.from(document.querySelectorAll('img.sig')).every(i => i.complete)")
    widths = page.evaluate("Array.from(document.querySelectorAll('img.sig')).map(i => i.naturalWidth)")
    assert all(w > 0 for w in widths), widths
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    shoot(page, "ticket-closed")
    final = page.url.split("/tickets/")[1].split("?")[0]
    pdf = page.request.get(site.url + f"/records/{final}/files/pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    (tmp_path / "ticket.pdf").write_bytes(pdf.body())
    from tests.browser.conftest import ARTEFACTS

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "ticket-final.pdf").write_bytes(pdf.body())
    page.goto(site.url + "/tickets?which=closed")
    assert final in page.content()
    shoot(page, "ticket-list-closed")


def test_an_expired_ticket_on_a_phone(phone, site):
    page, clock = phone, site.clock
    clock.at = datetime(2026, 5, 13, 8, 0, tzinfo=CST)
    sign_in(page, site)
    page.goto(site.url + "/tickets/new")
    page.select_option("select[name=project]", value=tw.PROJECT)
    page.fill("input[name=location]", "浇注跨行车轨道")
    page.fill("textarea[name=content]", "轨道压板补焊")
    page.fill("input[name=valid_from]", "2026-05-13T09:00")
    page.fill("input[name=valid_to]", "2026-05-13T10:00")
    page.fill("input[name=method]", "手工电弧焊")
    page.fill("input[name=hot_spot]", "轨道压板")
    page.select_option("select[name=grade]", "二级")
    pick(page, "select[name=leader]", tw.LEADER)
    pick(page, "select[name=guardian]", tw.GUARDIAN)
    page.locator("fieldset.people", has_text="作业人").first.locator("label", has_text=tw.WELDER2).locator("input").check()
    page.locator("fieldset.people", has_text="动火人").locator("label", has_text=tw.WELDER2).locator("input").check()
    signer(page, tw.LEADER)
    submit(page)
    rid = page.url.split("/tickets/")[1].split("?")[0]
    # nobody signs on; at 10:05 the ticket has run out
    clock.at = datetime(2026, 5, 13, 10, 5, tzinfo=CST)
    sign_in(page, site)
    page.goto(site.url + "/tickets?which=expired")
    card = page.locator("li.ticket-card", has_text="浇注跨行车轨道")
    assert "过期" in card.inner_text()
    shoot(page, "ticket-list-expired")
    card.locator("a").click()
    page.wait_for_url(re.compile(rf"/tickets/{rid}$"))
    assert "过期" in page.locator(".ticket-summary").inner_text()
    assert page.locator(".next-step a.button").count() == 0
    assert "已于 2026-05-13 10:00 过期，不能再签" in page.locator(".next-step").inner_text()
    shoot(page, "ticket-expired")
    page.goto(site.url + f"/tickets/{rid}/sign/measures")
    assert "过期" in page.locator("[role=alert]").inner_text()
    shoot(page, "ticket-expired-refused")
