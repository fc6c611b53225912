"""The exam pages with Starlette's TestClient: the officer arranges an exam, the worker starts it
with his ID tail, answers (autosaved), hands in, signs; the results page; a late hand-in is timed
out; the card written from the pages; who may do what (roles), CSRF on every POST, another
enterprise's exam a 404 like a missing one; the dashboard's reminders."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
import time_machine

from archive.access.accounts import add_user
from archive.app import Archive
from archive.training import exam
from tests import factories
from tests.conftest import TODAY_AT
from tests.exam_helpers import LEVELS, install_banks, right_answers, signature_png
from tests.web.conftest import client, csrf, login
from tests.web_world import ENTERPRISE_B, PASSWORD

TAIL = factories.WELDER_ID[6:14]  # the date of birth: what the masked number hides


@pytest.fixture
def home(world):
    """Enterprise A's archive with the sample banks and an account of another enterprise."""
    a = Archive.open(world["enterprise_a"])
    try:
        install_banks(a)
        b = factories.organization(uscc=ENTERPRISE_B, name="济南鑫源轻工机械有限公司", industry="轻工")
        a.add_files([factories.write(world["enterprise_a"].parent / "in-train", "enterprise-b.yaml", b)], pdf=False)
        add_user(a, "other_viewer", "enterprise_viewer", org=ENTERPRISE_B, password=PASSWORD)
        key = exam.person_key_of(a, factories.WELDER_ID)
    finally:
        a.close()
    world["welder"] = key
    return world


def form_of(answers: dict[str, str], bank_kinds: dict[str, str]) -> dict[str, str]:
    out = {}
    for q, v in answers.items():
        if bank_kinds[q] == "multiple":
            out.update({f"m:{q}:{c}": "on" for c in v})
        else:
            out[f"q:{q}"] = v
    return out


def arrange(c, token: str, key: str, level: str = "公司级") -> str:
    r = c.post("/training/exams", data={"csrf_token": token, "person": key, "level": level, "start": "2026-11-29",
                                        "trainer": "孙丽娟", "hours": "", "content": ""})
    assert r.status_code == 303, r.text[:1500]
    return r.headers["location"].rsplit("/", 1)[-1]


def take(c, token: str, home: dict, level: str, *, sign: bool = True) -> str:
    """Arrange, start, answer right (autosave, then hand in) and sign one level through the pages."""
    eid = arrange(c, token, home["welder"], level)
    assert c.post(f"/exams/{eid}/start", data={"csrf_token": token, "birth": TAIL}).status_code == 303
    a = Archive.open(home["enterprise_a"])
    try:
        row = a.catalog.exams.get_attempt(eid)
        right = right_answers(a, row)
        kinds = {i["id"]: i["kind"] for i in exam.paper(a, row)["items"]}
    finally:
        a.close()
    r = c.post(f"/exams/{eid}/answers", data={"csrf_token": token, **form_of(right, kinds)}, headers={"accept": "application/json"})
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["answered"] == len(right)
    assert c.post(f"/exams/{eid}/submit", data={"csrf_token": token}).status_code == 303  # the saved answers count
    if sign:
        data = "data:image/png;base64," + base64.b64encode(signature_png(seed=len(level))).decode()
        assert c.post(f"/exams/{eid}/sign", data={"csrf_token": token, "signature": data}).status_code == 303
    return eid


def test_an_exam_through_the_pages_from_arranging_to_the_card(home):
    with client(home["enterprise_a"]) as c:
        login(c, "ent_officer")
        token = csrf(c)
        page = c.get("/training")
        assert page.status_code == 200 and "安排考试" in page.text and "王海军" in page.text
        assert factories.WELDER_ID not in page.text and "三级教育" in page.text  # masked; the nav link
        eid = arrange(c, token, home["welder"])
        intro = c.get(f"/exams/{eid}")
        assert "开始答题" in intro.text and "出生日期" in intro.text and 'name="q:' not in intro.text
        wrong = c.post(f"/exams/{eid}/start", data={"csrf_token": token, "birth": "19000101"})
        assert wrong.status_code == 400 and "出生日期不符" in wrong.text
        assert c.post(f"/exams/{eid}/start", data={"csrf_token": token, "birth": TAIL}).status_code == 303
        paper = c.get(f"/exams/{eid}")
        assert 'id="timer"' in paper.text and paper.text.count('class="question"') == 15 and "交卷" in paper.text
        assert re.search(r'data-remaining="(17\d\d|1800)"', paper.text)
        assert "正确答案" not in paper.text  # no answers before handing in
        api = c.get(f"/api/exams/{eid}").json()
        assert api["status"] == "open" and all("answer" not in i for i in api["items"])
        c.post(f"/exams/{eid}/cancel", data={"csrf_token": token})
        ids = [take(c, token, home, lv) for lv in LEVELS]
        done = c.get(f"/exams/{ids[0]}")
        assert "100</strong> 分" in done.text and "合格" in done.text and "已签字确认" not in done.text
        assert f'src="/exams/{ids[0]}/signature.png"' in done.text and "正确答案" in done.text
        png = c.get(f"/exams/{ids[0]}/signature.png")
        assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content == signature_png(seed=len("公司级"))
        results = c.get("/training/results")
        assert results.status_code == 200 and results.text.count("已签") == 3
        twin = c.get("/api/training/results?status=cancelled").json()
        assert [x["status"] for x in twin["attempts"]] == ["cancelled"]
        worker = c.get(f"/training/workers/{home['welder']}")
        assert "写入登记卡" in worker.text and 'value="HA-JY-2026-001"' in worker.text
        r = c.post(f"/training/workers/{home['welder']}/card", data={
            "csrf_token": token, "record_no": "HA-JY-2026-001", "trade": "电焊工", "entry_date": "2026-03-20",
            "project": "HR-WB-2026-001", "confirmed_by": "刘海涛", "confirmed_on": "2026-11-29", "site_briefing": ""})
        assert r.status_code == 303 and r.headers["location"].startswith("/records/"), r.text[:2000]
        record = c.get(r.headers["location"])
        assert record.status_code == 200 and "三级安全教育登记卡 HA-JY-2026-001" in record.text and "核验通过" in record.text
        assert "考试成绩已写入登记卡" in c.get(f"/training/workers/{home['welder']}").text
    # every act of the exam is in the access log: who, from where, on which attempt — never the ID digits typed
    a = Archive.open(home["enterprise_a"])
    try:
        log = [e for e in a.catalog.access_log.entries() if e["action"].startswith(("exam_", "card_"))]
    finally:
        a.close()
    acts = [(e["action"], e["target"]) for e in log]
    assert acts[:4] == [("exam_arranged", eid), ("exam_start_refused", eid), ("exam_started", eid), ("exam_cancelled", eid)]
    for i in ids:
        assert [x for x, t in acts if t == i] == ["exam_arranged", "exam_started", "exam_submitted", "exam_signed"]
    assert acts[-1][0] == "card_written" and acts[-1][1] == r.headers["location"].rsplit("/", 1)[-1]
    assert all(e["account"] == "ent_officer" and e["address"] for e in log)
    signed = [json.loads(e["detail"]) for e in log if e["action"] == "exam_signed"]
    assert [(d["level"], d["score"], d["passed"]) for d in signed] == [(lv, 100.0, True) for lv in LEVELS]
    assert not any(TAIL in (e["detail"] or "") or "0000" in (e["detail"] or "") for e in log)


def test_a_late_hand_in_is_timed_out(home):
    with client(home["enterprise_a"]) as c:
        login(c, "ent_admin")
        token = csrf(c)
        eid = arrange(c, token, home["welder"], "班组级")
        c.post(f"/exams/{eid}/start", data={"csrf_token": token, "birth": TAIL})
        with time_machine.travel(TODAY_AT + timedelta(minutes=45), tick=False):
            login(c, "ent_admin")  # the session's idle limit passed too
            token = csrf(c)
            assert c.post(f"/exams/{eid}/submit", data={"csrf_token": token, "q:BZ-02": "错误"}).status_code == 303
            page = c.get(f"/exams/{eid}")
            assert "超时" in page.text and "不合格" in page.text and "0</strong> 分" in page.text
            r = c.post(f"/exams/{eid}/answers", data={"csrf_token": token}, headers={"accept": "application/json"})
            assert r.json()["status"] == "timed_out"


def test_roles_csrf_and_another_enterprises_exam(home):
    with client(home["enterprise_a"]) as c:
        login(c, "ent_officer")
        token = csrf(c)
        eid = arrange(c, token, home["welder"])
        # CSRF: no token, a wrong token, another origin
        assert c.post("/training/exams", data={"person": home["welder"], "level": "车间级"}).status_code == 403
        assert c.post(f"/exams/{eid}/start", data={"csrf_token": "x" * 43, "birth": TAIL}).status_code == 403
        assert c.post(f"/exams/{eid}/start", data={"csrf_token": token, "birth": TAIL},
                      headers={"origin": "https://evil.example"}).status_code == 403
        assert "开始答题" in c.get(f"/exams/{eid}").text  # not started by any of those
    with client(home["enterprise_a"]) as v:
        login(v, "ent_viewer")
        t = csrf(v)
        assert v.get("/training").status_code == 403 and v.get("/api/training").status_code == 403
        assert v.get("/training/results").status_code == 200 and v.get(f"/exams/{eid}").status_code == 200
        assert v.post(f"/exams/{eid}/start", data={"csrf_token": t, "birth": TAIL}).status_code == 403
        assert v.post("/training/exams", data={"csrf_token": t, "person": home["welder"], "level": "公司级"}).status_code == 403
        assert "三级教育" not in v.get("/").text.split("<main>")[0]  # no nav link without the capability
    with client(home["enterprise_a"]) as o:
        login(o, "other_viewer")  # an account of enterprise B in A's archive
        missing = o.get("/exams/01JZZZZZZZZZZZZZZZZZZZZZZZ")
        other = o.get(f"/exams/{eid}")
        assert other.status_code == missing.status_code == 404
        assert other.text.replace(eid, "X") == missing.text.replace("01JZZZZZZZZZZZZZZZZZZZZZZZ", "X")
        assert o.get(f"/api/exams/{eid}").status_code == 404 and o.get(f"/exams/{eid}/signature.png").status_code == 404
        assert o.get("/api/training/results").json()["attempts"] == []
    with client(home["bureau"]) as b:
        login(b, "bureau_officer")
        assert b.get("/training").status_code == 403  # not in a bureau's archive
        assert b.get("/api/training/results").json()["attempts"] == []


def test_the_dashboard_lists_the_reminders(home):
    with client(home["enterprise_a"]) as c:
        login(c, "ent_viewer")
        page = c.get("/?as_of=2026-07-15")
        assert "到期提醒" in page.text and "安全生产管理协议 HR-AQXY-2026-001" in page.text and "还剩 16 天" in page.text
        board = c.get("/api/dashboard?as_of=2026-07-15").json()
        assert [r["kind"] for r in board["reminders"]] == ["campaign", "campaign", "agreement"] and board["remind_days"] == 30
        link = board["reminders"][2]["link"]
        assert c.get(link).status_code == 200
        assert json.dumps(board, ensure_ascii=False).count(factories.WELDER_ID) == 0


def test_too_many_wrong_dates_of_birth_pause_the_start_of_an_exam(home):
    """The date of birth is no secret a script could not try: five wrong ones (the setting
    ticket_identify_max_failures) pause the exam's start, even for the right one."""
    with client(home["enterprise_a"]) as c:
        login(c, "ent_officer")
        token = csrf(c)
        eid = arrange(c, token, home["welder"])
        for n in range(5):
            r = c.post(f"/exams/{eid}/start", data={"csrf_token": token, "birth": f"1990010{n + 1}"})
            assert r.status_code == 400 and "出生日期不符" in r.text
        r = c.post(f"/exams/{eid}/start", data={"csrf_token": token, "birth": TAIL})
        assert r.status_code == 400 and "核验失败次数过多" in r.text
        assert c.get(f"/api/exams/{eid}").json()["status"] == "assigned"
        c.post(f"/exams/{eid}/cancel", data={"csrf_token": token})
