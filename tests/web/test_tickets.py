"""The 作业票 pages of ``outsafe serve`` with Starlette's TestClient: the life cycle through the
web (multipart posts with the signature PNG and photos), roles (viewing needs read, signing needs
ticket), CSRF on every post, a ticket of another enterprise 404 like a missing one, refusals
(out of order, expired, wrong digits, stale page) as 409 with the library's words, the JSON twins,
and no 身份证号 on any page."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from archive.app import Archive
from archive.clock import CST, FixedClock
from archive.tickets import lifecycle as lc
from tests import ticket_world as tw
from web.server import create_app

# an unmasked 身份证号: 18 characters standing alone — not a run of digits inside a hex digest or a
# token on the page (a sha256 in hex holds 18 digits in a row about once in a hundred; one did, once)
ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return tw.build(tmp_path_factory.mktemp("web-tickets") / "world")


@pytest.fixture
def site(world, tmp_path):
    home = tmp_path / "archive"
    shutil.copytree(world["home"], home, symlinks=True)
    clock = FixedClock(tw.START)
    app = create_app(home, clock=clock)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield Site(c, home, clock, tmp_path / "phone")


class Site:
    def __init__(self, c: TestClient, home: Path, clock: FixedClock, tmp: Path) -> None:
        self.c, self.home, self.clock, self.tmp = c, home, clock, tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.keys: dict[str, str] = {}

    def login(self, name: str) -> None:
        self.c.cookies.clear()
        page = self.c.get("/login")
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
        r = self.c.post("/login", data={"username": name, "password": tw.PASSWORD, "nonce": nonce, "next": "/"})
        assert r.status_code == 303, r.text[:500]

    @property
    def token(self) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.c.get("/tickets").text).group(1)

    def key(self, name: str) -> str:
        if not self.keys:
            people = self.c.get("/api/tickets/new").json()["people"]
            self.keys = {p["name"]: p["key"] for p in people}
        return self.keys[name]

    def files(self, who: str, photos: int = 0) -> list:
        out = [("signature", ("signature.png", tw.signature(self.tmp, who).read_bytes(), "image/png"))]
        for i in range(photos):
            out.append(("photos", (f"p{i}.jpg", tw.photo(self.tmp, name=f"p{i}.jpg").read_bytes(), "image/jpeg")))
        return out

    def post(self, url: str, who: str, data: dict, *, photos: int = 0, token: str | None = None, json: bool = True):
        headers = {"Accept": "application/json"} if json else {}
        if token is not False:
            headers["X-CSRF-Token"] = token or self.token
        body = {"person": self.key(who), "birth": tw.id_of(who)[6:14], **data}
        return self.c.post(url, data=body, files=self.files(who, photos), headers=headers)

    def apply(self, **kw) -> str:
        data = {"ticket_type": "hot_work", "ticket_no": "DH-2026-0201", "project": tw.PROJECT, "applicant_unit": "铸造车间",
                "location": "熔炼工部 2号中频炉操作平台", "content": "炉壳加强筋补焊", "valid_from": "2026-05-12T09:00",
                "valid_to": "2026-05-12T17:00", "grade": "二级", "method": "手工电弧焊", "hot_spot": "炉壳东侧加强筋",
                "leader": self.key(tw.LEADER), "guardian": self.key(tw.GUARDIAN), "workers": [self.key(tw.WELDER)],
                "hot_workers": [self.key(tw.WELDER)], **kw}
        r = self.post("/tickets/new?type=hot_work", tw.LEADER, data)
        assert r.status_code == 201, r.text
        return r.json()["record_id"]

    def step(self, rid: str, step: str, who: str, data: dict | None = None, *, box: str | None = None, photos: int = 0, expect: int = 201):
        url = f"/tickets/{rid}/sign/{step}"
        r = self.post(url, who, {**(data or {}), **({"box": box} if box else {}), "version": rid}, photos=photos)
        assert r.status_code == expect, r.text
        return r.json()["record_id"] if expect == 201 else r.json()

    def later(self, minutes: float) -> None:
        self.clock.at += timedelta(minutes=minutes)

    def at(self, when: datetime, account: str = "ent_officer") -> None:
        """Move the clock (hours on: the session has ended, sign in again)."""
        self.clock.at = when
        self.login(account)


MEASURES = {"risk_identification": "火灾、灼烫、触电", "measure_text_0": "动火点周围清除易燃物", "measure_involved_0": "1",
            "measure_by_0": tw.GUARDIAN, "measure_text_1": "罐区储罐未同时脱水", "measure_by_1": tw.GUARDIAN,
            "receivers": [tw.WELDER]}
GAS = {"reading_taken_at_0": "", "reading_kind_0": "可燃气体", "reading_gas_0": "甲烷", "reading_result_0": "0.02", "reading_unit_0": "%",
       "reading_lel_pct_0": "5", "reading_location_0": "动火点",
       "reading_taken_at_1": "", "reading_kind_1": "氧气", "reading_gas_1": "氧气", "reading_result_1": "20.9", "reading_unit_1": "%"}


def prepared(s: Site) -> str:
    rid = s.apply()
    s.later(10)
    rid = s.step(rid, "measures", tw.LEADER, MEASURES)
    rid = s.step(rid, "briefed", tw.WELDER)
    s.later(25)
    return s.step(rid, "gas", tw.ANALYST[0], GAS, photos=1)


def test_a_hot_work_ticket_through_the_web_to_its_completion(site):
    s = site
    s.login("ent_officer")
    assert "申请作业票" in s.c.get("/tickets").text
    rid = prepared(s)
    page = s.c.get(f"/tickets/{rid}").text
    assert "待审批（监护人）" in page and f"/tickets/{rid}/sign/approve?box=" in page
    for box, who in (("监护人", tw.GUARDIAN), ("作业负责人", tw.LEADER), ("所在单位", tw.WORKSHOP), ("安全管理部门", tw.SAFETY),
                     ("动火审批人", tw.WORKSHOP)):
        s.later(2)
        form = s.c.get(f"/tickets/{rid}/sign/approve", params={"box": box})
        assert form.status_code == 200 and who in form.text
        rid = s.step(rid, "approve", who, {"opinion": "同意"}, box=box)
    s.later(3)
    rid = s.step(rid, "check", tw.SHIFT[0], {"opinion": "已验票"})
    s.clock.at = datetime(2026, 5, 12, 9, 1, tzinfo=CST)
    rid = s.step(rid, "start", tw.GUARDIAN, photos=2)
    s.at(datetime(2026, 5, 12, 16, 45, tzinfo=CST))
    rid = s.step(rid, "close", tw.WORKSHOP, {"opinion": "现场已清理"})
    view = s.c.get(f"/api/tickets/{rid}").json()
    assert view["status"] == "closed" and view["label"] == "已完工验收" and view["next"] == []
    assert [p["done"] for p in view["plan"]] == [True] * len(view["plan"])
    page = s.c.get(f"/tickets/{rid}")
    assert page.status_code == 200 and "已完工验收" in page.text and 'class="sig"' in page.text
    for text in (page.text, s.c.get(f"/api/tickets/{rid}").text):
        m = ID_RE.search(text)
        assert m is None, text[max(0, m.start() - 200):m.end() + 100]
    pdf = s.c.get(f"/records/{rid}/files/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    closed = s.c.get("/api/tickets", params={"which": "closed"}).json()
    assert [t["id"] for t in closed["tickets"]] == [rid]
    a = Archive.open(s.home)
    try:
        log = [e["action"] for e in a.catalog.access_log.entries()]
        assert log.count("ticket_step") == 12
        from archive.integrity.verify import verify_archive

        assert verify_archive(a).ok
    finally:
        a.close()


def test_a_plain_form_post_redirects_to_the_ticket(site):
    site.login("ent_officer")
    rid = site.apply()
    site.later(5)
    r = site.post(f"/tickets/{rid}/sign/measures", tw.LEADER, {**MEASURES, "version": rid}, json=False)
    assert r.status_code == 303 and re.match(r"/tickets/[0-9A-Z]{26}\?done=measures", r.headers["location"])


def test_out_of_order_is_refused_on_the_page_and_on_post(site):
    s = site
    s.login("ent_officer")
    rid = prepared(s)
    page = s.c.get(f"/tickets/{rid}/sign/approve", params={"box": "所在单位"})
    assert page.status_code == 409 and "现在应由“监护人”签字，不能先签“所在单位”" in page.text
    r = s.post(f"/tickets/{rid}/sign/approve", tw.WORKSHOP, {"box": "所在单位", "version": rid})
    assert r.status_code == 409 and "应由“监护人”签字" in r.json()["error"]
    r = s.post(f"/tickets/{rid}/sign/close", tw.WORKSHOP, {"version": rid})
    assert r.status_code == 409 and "现在应签“审批（监护人）”" in r.json()["error"]
    assert s.c.get(f"/api/tickets/{rid}").json()["id"] == rid  # nothing was written


def test_an_expired_ticket_is_shown_expired_and_refuses_signing(site):
    s = site
    s.login("ent_officer")
    rid = s.apply(valid_to="2026-05-12T10:00")
    s.at(datetime(2026, 5, 12, 10, 1, tzinfo=CST))
    assert "过期" in s.c.get(f"/tickets/{rid}").text
    expired = s.c.get("/api/tickets", params={"which": "expired"}).json()
    assert [t["id"] for t in expired["tickets"]] == [rid] and expired["counts"]["open"] == 0
    page = s.c.get(f"/tickets/{rid}/sign/measures")
    assert page.status_code == 409 and "已于 2026-05-12 10:00 过期" in page.text
    r = s.post(f"/tickets/{rid}/sign/measures", tw.LEADER, {**MEASURES, "version": rid})
    assert r.status_code == 409 and "过期" in r.json()["error"]


def test_wrong_digits_and_a_stale_page(site):
    s = site
    s.login("ent_officer")
    rid = s.apply()
    r = s.c.post(f"/tickets/{rid}/sign/measures", data={**MEASURES, "person": s.key(tw.LEADER), "birth": "19000101", "version": rid},
                 files=s.files(tw.LEADER), headers={"X-CSRF-Token": s.token, "Accept": "application/json"})
    assert r.status_code == 409 and "出生日期不符" in r.json()["error"]
    newer = s.step(rid, "measures", tw.LEADER, MEASURES)
    r = s.post(f"/tickets/{newer}/sign/briefed", tw.WELDER, {"version": rid})
    assert r.status_code == 409 and "刷新" in r.json()["error"]


def test_problems_of_a_step_are_shown_at_their_fields(site):
    s = site
    s.login("ent_officer")
    rid = s.apply()
    s.later(10)
    rid = s.step(rid, "measures", tw.LEADER, MEASURES)
    rid = s.step(rid, "briefed", tw.WELDER)
    s.later(25)
    r = s.post(f"/tickets/{rid}/sign/gas", tw.ANALYST[0], {**GAS, "reading_result_1": "18.2", "version": rid})
    assert r.status_code == 400
    assert any("氧含量 18.2% 不在 19.5%–21% 之间" in d for d in r.json()["details"])
    r = s.post(f"/tickets/{rid}/sign/gas", tw.ANALYST[0], {**GAS, "reading_result_1": "18.2", "version": rid}, json=False)
    assert r.status_code == 400 and "氧含量 18.2%" in r.text and "<form" in r.text  # the form again, with the problem


def test_signing_needs_a_signature(site):
    s = site
    s.login("ent_officer")
    rid = s.apply()
    r = s.c.post(f"/tickets/{rid}/sign/measures", data={**MEASURES, "person": s.key(tw.LEADER), "birth": tw.id_of(tw.LEADER)[6:14]},
                 files=[("photos", ("", b"", "application/octet-stream"))], headers={"X-CSRF-Token": s.token, "Accept": "application/json"})
    assert r.status_code == 400 and "手写签名" in r.json()["details"][0]


# --- roles, CSRF, scope ---------------------------------------------------------------------------------------


def test_roles_viewing_needs_read_signing_needs_ticket(site):
    s = site
    s.login("ent_officer")
    rid = s.apply()
    token_url = f"/tickets/{rid}/sign/measures"
    s.login("ent_viewer")
    assert s.c.get("/tickets").status_code == 200 and "申请作业票" not in s.c.get("/tickets").text
    assert s.c.get(f"/tickets/{rid}").status_code == 200
    assert "您的账号不能在此签署作业票" in s.c.get(f"/tickets/{rid}").text
    assert s.c.get("/tickets/new").status_code == 403
    assert s.c.get(token_url).status_code == 403
    r = s.c.post(token_url, data=MEASURES, files=s.files(tw.LEADER), headers={"X-CSRF-Token": s.token})
    assert r.status_code == 403
    s.login("ent_admin")
    assert s.c.get(token_url).status_code == 200


def test_a_ticket_of_another_enterprise_is_404_like_a_missing_one(site):
    s = site
    s.login("ent_officer")
    rid = s.apply()
    s.login("other_officer")
    missing = "01KRCQQF000000000000000000"
    for url in (f"/tickets/{rid}", f"/api/tickets/{rid}"):
        r = s.c.get(url)
        gone = s.c.get(url.replace(rid, missing))
        assert r.status_code == gone.status_code == 404, url
        assert r.text.replace(rid, "ID") == gone.text.replace(missing, "ID")  # the same words as for no such record
    assert s.c.get("/api/tickets", params={"which": "open"}).json()["tickets"] == []
    assert s.c.get(f"/records/{rid}/files/pdf").status_code == 404
    # an account of another enterprise signs nothing in this archive (403 before any record is looked at)
    assert s.c.get(f"/tickets/{rid}/sign/measures").status_code == 403
    r = s.c.post(f"/tickets/{rid}/sign/measures", data=MEASURES, files=s.files(tw.LEADER),
                 headers={"X-CSRF-Token": s.token, "Accept": "application/json"})
    assert r.status_code == 403
    # an account that may sign: a record that is not a ticket, or no record, is 404
    s.login("ent_officer")
    a = Archive.open(s.home)
    try:
        not_a_ticket = a.catalog.get_registry("project", f"{tw.ENTERPRISE}/{tw.PROJECT}")["record_id"]
    finally:
        a.close()
    assert s.c.get(f"/tickets/{not_a_ticket}/sign/measures").status_code == 404
    assert s.c.get(f"/tickets/{missing}/sign/measures").status_code == 404
    r = s.post(f"/tickets/{missing}/sign/measures", tw.LEADER, MEASURES)
    assert r.status_code == 404


def test_every_post_needs_the_form_token(site):
    s = site
    s.login("ent_officer")
    rid = s.apply()
    url = f"/tickets/{rid}/sign/measures"
    body = {**MEASURES, "person": s.key(tw.LEADER), "birth": tw.id_of(tw.LEADER)[6:14]}
    assert s.c.post(url, data=body, files=s.files(tw.LEADER)).status_code == 403  # no token at all
    assert s.c.post(url, data=body, files=s.files(tw.LEADER), headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert s.c.post("/tickets/new", data={"ticket_type": "hot_work"}, files=s.files(tw.LEADER)).status_code == 403
    r = s.c.post(url, data=body, files=s.files(tw.LEADER), headers={"X-CSRF-Token": s.token, "Origin": "http://evil.example"})
    assert r.status_code == 403
    # the token as the first field of a plain form works (before any file byte)
    r = s.c.post(url, data={"csrf_token": s.token, **body, "version": rid}, files=s.files(tw.LEADER))
    assert r.status_code == 303


def test_uploads_are_bounded(site):
    s = site
    s.login("ent_officer")
    rid = s.apply()
    url = f"/tickets/{rid}/sign/measures"
    r = s.c.post(url, data={**MEASURES, "person": s.key(tw.LEADER), "birth": tw.id_of(tw.LEADER)[6:14]},
                 files=s.files(tw.LEADER, photos=7), headers={"X-CSRF-Token": s.token, "Accept": "application/json"})
    assert r.status_code == 400 and "照片至多 6 张" in r.json()["error"]
    r = s.c.post(url, content=b"x=1", headers={"X-CSRF-Token": s.token, "Content-Type": "application/x-www-form-urlencoded",
                                                "Accept": "application/json"})
    assert r.status_code == 400
    big = [("signature", ("s.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (600 * 1024), "image/png"))]
    r = s.c.post(url, data={"person": "x"}, files=big, headers={"X-CSRF-Token": s.token, "Accept": "application/json"})
    assert r.status_code == 413
    a = Archive.open(s.home)
    try:
        left = [p.name for p in a.home.tmp_dir.iterdir() if p.name.startswith("ticket-")]
    finally:
        a.close()
    assert left == []  # nothing received is left lying about


def test_the_application_form_offers_people_without_their_numbers(site):
    s = site
    s.login("ent_officer")
    page = s.c.get("/tickets/new")
    assert page.status_code == 200 and "周海涛" in page.text and "DH-2026-0001" in page.text
    assert not ID_RE.search(page.text)
    other = s.c.get("/tickets/new", params={"type": "confined_space"})
    assert other.status_code == 200 and "受限空间名称" in other.text
    assert s.c.get("/tickets/new", params={"type": "nonsense"}).status_code == 400
    data = s.c.get("/api/tickets/new").json()
    assert all(set(p) == {"key", "name", "unit", "roles"} for p in data["people"])
    assert lc.LIST_KINDS["expired"] == "已过期"


def test_the_accounts_own_person_signs_as_himself(site):
    """ent_officer belongs to 王建华 (`outsafe user link`): on the 安全管理部门 box, whose signer he may be,
    the page offers "我本人签字" and a post with who=me is sealed as identified by the account; on
    the guardian's box the offer is absent, and who=me is refused with the reason."""
    from archive.access.accounts import link_person

    s = site
    a = Archive.open(s.home)
    try:
        link_person(a, "ent_officer", tw.id_of(tw.SAFETY))
    finally:
        a.close()
    s.login("ent_officer")  # a new session reads the link
    rid = prepared(s)
    assert "我本人签字" not in s.c.get(f"/tickets/{rid}/sign/approve", params={"box": "监护人"}).text
    r = s.c.post(f"/tickets/{rid}/sign/approve", data={"who": "me", "box": "监护人", "version": rid, "opinion": "同意"},
                 files=s.files(tw.SAFETY), headers={"Accept": "application/json", "X-CSRF-Token": s.token})
    assert r.status_code in (400, 409) and "不是这一步的签字人" in r.text  # the guardian's box is the guardian's
    for box, who in (("监护人", tw.GUARDIAN), ("作业负责人", tw.LEADER), ("所在单位", tw.WORKSHOP)):
        s.later(2)
        rid = s.step(rid, "approve", who, {"opinion": "同意"}, box=box)
    page = s.c.get(f"/tickets/{rid}/sign/approve", params={"box": "安全管理部门"}).text
    assert "我本人签字：王建华" in page and 'name="who" value="me" checked' in page
    s.later(2)
    r = s.c.post(f"/tickets/{rid}/sign/approve", data={"who": "me", "box": "安全管理部门", "version": rid, "opinion": "同意"},
                 files=s.files(tw.SAFETY), headers={"Accept": "application/json", "X-CSRF-Token": s.token})
    assert r.status_code == 201, r.text
    rid = r.json()["record_id"]
    steps = s.c.get(f"/api/records/{rid}").json()
    text = json.dumps(steps, ensure_ascii=False)
    assert "登录账号" in text
    s.later(2)  # the next box, 动火审批人, offers him only if he is among its signers — and who=me agrees
    offer = "我本人签字" in s.c.get(f"/tickets/{rid}/sign/approve", params={"box": "动火审批人"}).text
    r = s.c.post(f"/tickets/{rid}/sign/approve", data={"who": "me", "box": "动火审批人", "version": rid, "opinion": "同意"},
                 files=s.files(tw.SAFETY), headers={"Accept": "application/json", "X-CSRF-Token": s.token})
    assert (r.status_code == 201) == offer, r.text
    if offer:
        rid = r.json()["record_id"]



def test_the_list_of_tickets_a_page_at_a_time(site, monkeypatch):
    from web import app

    s = site
    s.login("ent_officer")
    ids = [s.apply(ticket_no=f"DH-2026-02{10 + i}") for i in range(3)]
    monkeypatch.setattr(app, "LIST_ROWS", 2)
    first = s.c.get("/tickets", params={"which": "open"}).text
    assert "第 1 / 2 页，共 3 条" in first and 'href="/tickets?which=open&amp;page=2" rel="next"' in first
    second = s.c.get("/tickets", params={"which": "open", "page": "2"}).text
    shown = [i for i in ids if f'href="/tickets/{i}"' in first] + [i for i in ids if f'href="/tickets/{i}"' in second]
    assert sorted(shown) == sorted(ids)  # each on one page
    assert len(s.c.get("/api/tickets", params={"which": "open"}).json()["tickets"]) == 3  # the JSON twin: all of them


ID_IN_TEXT = "370102197608150036"  # an ID-shaped number typed into a ticket's free text


def test_an_id_number_typed_into_a_ticket_is_masked_on_its_pages(site):
    s = site
    s.login("ent_officer")
    rid = s.apply(location=f"熔炼工部 {ID_IN_TEXT}", content=f"补焊 {ID_IN_TEXT}")
    s.login("ent_viewer")
    for url in (f"/tickets/{rid}", f"/api/tickets/{rid}", "/tickets", "/api/tickets?which=open", f"/records/{rid}"):
        r = s.c.get(url)
        assert r.status_code == 200, url
        assert ID_IN_TEXT not in r.text, url
        assert "3701**********0036" in r.text, url


def test_a_wind_force_that_is_no_number_is_a_problem_not_a_server_error(site):
    s = site
    s.login("ent_officer")
    for wind in ("²", "9" * 5000, "五级"):
        r = s.post("/tickets/new?type=hot_work", tw.LEADER, {
            "ticket_type": "hot_work", "ticket_no": "DH-2026-0299", "project": tw.PROJECT, "applicant_unit": "铸造车间",
            "location": "熔炼工部", "content": "补焊", "valid_from": "2026-05-12T09:00", "valid_to": "2026-05-12T17:00", "grade": "二级",
            "method": "手工电弧焊", "hot_spot": "炉壳", "leader": s.key(tw.LEADER), "guardian": s.key(tw.GUARDIAN),
            "workers": [s.key(tw.WELDER)], "hot_workers": [s.key(tw.WELDER)], "wind_force": wind})
        assert r.status_code == 400, (wind[:10], r.status_code, r.text[:300])
        assert "wind_force" in json.dumps(r.json()["problems"]), r.json()
    assert s.c.get("/tickets").status_code == 200  # the connection and the server still answer


def test_the_last_four_characters_a_masked_number_shows_do_not_identify_a_signer(site):
    """The form lists the people with their masked numbers (3701**********0359): the characters
    they show prove nothing. The signer types his date of birth, which they hide."""
    s = site
    s.login("ent_officer")
    people = s.c.get("/api/tickets/new").json()["people"]
    assert all(tw.id_of(p["name"])[6:14] not in str(p) for p in people if p["name"] in (tw.LEADER, tw.WELDER))
    rid = s.apply()
    r = s.c.post(f"/tickets/{rid}/sign/measures", data={**MEASURES, "person": s.key(tw.LEADER), "birth": tw.id_of(tw.LEADER)[-4:],
                                                       "version": rid},
                 files=s.files(tw.LEADER), headers={"X-CSRF-Token": s.token, "Accept": "application/json"})
    assert r.status_code == 409 and "出生日期不符" in r.json()["error"]
    born = tw.id_of(tw.LEADER)[6:14]
    r = s.c.post(f"/tickets/{rid}/sign/measures", data={**MEASURES, "person": s.key(tw.LEADER), "birth": f"{born[:4]}-{born[4:6]}-{born[6:]}",
                                                       "version": rid},
                 files=s.files(tw.LEADER), headers={"X-CSRF-Token": s.token, "Accept": "application/json"})
    assert r.status_code == 201, r.text
