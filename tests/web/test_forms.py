"""The forms (填表) in the web tests' district: who may fill what, CSRF, validation with every
problem at its field and the command line's own messages, drafts that only their owner sees (IDOR:
404), YAML out and in (the hardened loader), images, rows without the script, the script's
autosave API, the PDF preview, the own-enterprise rule, overridable refusals, Excel rosters with
their row errors."""

from __future__ import annotations

import html
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from archive.app import Archive
from archive.campaign.rosters import write_template
from archive.privacy import ID_PATTERN
from schemas.identifiers import mask_id
from tests import factories, web_world
from tests.factories import WELDER_ID
from tests.web.conftest import client, login, records_of
from tests.web.formfill import Page, as_data, fill
from tests.web_world import CONTRACTOR, ENTERPRISE, ENTERPRISE_B

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NO_FILE = {"none": ("", b"")}  # makes the test client post multipart, as the page's form does


def token(c) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/forms").text).group(1)


def agreement(**kw) -> dict:
    kw.setdefault("agreement_no", "HR-AQXY-2026-002")
    data = factories.agreement(contract_no=None, **kw)
    data.pop("type")
    return {k: v for k, v in data.items() if v is not None}


def post_form(c, key: str, data: dict, action: str, *, files=None, url: str | None = None):
    page = Page(c.get(url or f"/forms/new/{key}").text)
    posted, more = fill(page, data)
    return c.post(url or f"/forms/new/{key}", data=as_data(posted + [("_action", action)]), files={**(files or {}), **more} or NO_FILE)


def drafts_of(home: Path, name: str) -> list[dict]:
    a = Archive.open(home)
    try:
        return a.catalog.drafts.drafts(name)
    finally:
        a.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory, _world_template):
    """One copy of the district for the module: each test files its own documents (its own
    numbers), so they do not meet; a signed-in client is kept, and LibreOffice with it."""
    return web_world.copy(_world_template, tmp_path_factory.mktemp("forms") / "world")


@pytest.fixture(scope="module")
def ent(world):
    with client(world["enterprise_a"]) as c:
        login(c, "ent_officer")
        yield c


NUMBERS = iter(range(10, 99))


def agreement_no() -> str:
    return f"HR-AQXY-2026-0{next(NUMBERS)}"


# --- who may fill what --------------------------------------------------------------------------------


def test_the_forms_of_an_enterprise_and_of_the_bureau(shared_world):
    with client(shared_world["enterprise_a"]) as c:
        login(c, "ent_officer")
        r = c.get("/forms")
        assert r.status_code == 200 and "安全生产管理协议" in r.text and "动火安全作业票" in r.text and "现场检查记录" not in r.text
        assert 'href="/forms"' in r.text  # the nav entry 填表
        j = c.get("/api/forms").json()
        keys = {f["key"] for g in j["forms"] for f in g["forms"]}
        assert {"organization", "person", "project", "safety_agreement", "work_ticket:hot_work", "training_record"} <= keys
        assert not keys & {"inspection_record", "rectification_order", "penalty_decision"}
        assert c.get("/forms/new/inspection_record").status_code == 404
        assert c.get("/forms/new/work_ticket:no_such_kind").status_code == 404
    with client(shared_world["bureau"]) as c:
        login(c, "bureau_officer")
        keys = {f["key"] for g in c.get("/api/forms").json()["forms"] for f in g["forms"]}
        assert {"inspection_record", "rectification_order", "rectification_review", "penalty_notice", "penalty_decision",
                "organization", "person"} <= keys
        assert not keys & {"safety_agreement", "work_ticket:hot_work", "training_record"}
        assert c.get("/forms/new/inspection_record").status_code == 200
        assert c.get("/forms/new/safety_agreement").status_code == 404


@pytest.mark.parametrize("home,name,allowed", [
    ("enterprise_a", "ent_officer", True), ("enterprise_a", "ent_admin", True), ("enterprise_a", "ent_viewer", False),
    ("bureau", "bureau_officer", True), ("bureau", "bureau_admin", True),
    ("bureau", "ent_officer", False), ("bureau", "ent_admin", False), ("bureau", "ent_viewer", False), ("bureau", "b_officer", False),
])
def test_who_may_write(shared_world, home, name, allowed):
    with client(shared_world[home]) as c:
        login(c, name)
        want = 200 if allowed else 403
        key = "organization"
        for path in ("/forms", f"/forms/new/{key}", "/forms/rosters", "/api/forms", "/api/forms/lookup?kind=org"):
            assert c.get(path).status_code == want, path
        t = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/blacklist").text).group(1)
        r = c.post(f"/forms/new/{key}", data={"csrf_token": t, "_action": "validate"}, files=NO_FILE)
        assert r.status_code == (200 if allowed else 403)
        r = c.post("/forms/upload", data={"csrf_token": t}, files={"file": ("o.yaml", b"type: organization\n", "application/yaml")})
        assert r.status_code == (303 if allowed else 403)
        if not allowed:
            assert "无权" in r.text
    if not allowed:
        assert drafts_of(shared_world[home], name) == []


def test_posts_without_the_token_or_from_another_site_are_refused(ent, world):
    before = drafts_of(world["enterprise_a"], "ent_officer")
    r = ent.post("/forms/new/organization", data={"name": "x", "_action": "save"}, files=NO_FILE)
    assert r.status_code == 403 and "CSRF" in r.text
    r = ent.post("/forms/new/organization", data={"csrf_token": "wrong", "_action": "save"}, files=NO_FILE)
    assert r.status_code == 403
    r = ent.post("/forms/new/organization", data={"csrf_token": token(ent), "_action": "save"}, files=NO_FILE,
                 headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    r = ent.post("/api/forms/new/organization", content=b"name=x&_action=save", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403 and r.json()["status"] == 403
    assert drafts_of(world["enterprise_a"], "ent_officer") == before


# --- validation: every problem at its field, the command line's messages ----------------------------------


class Placed(HTMLParser):
    """Where each problem of a form page sits: the id of its field's box."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.found: list[tuple[str, str]] = []  # (box id, message text)
        self._in: str | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("div", "fieldset", "li"):
            self.stack.append(a.get("id") or "")
        if tag == "p" and "field-problem" in (a.get("class") or ""):
            self._in = next((i for i in reversed(self.stack) if i), "")
            self._text = ""

    def handle_endtag(self, tag):
        if tag in ("div", "fieldset", "li") and self.stack:
            self.stack.pop()
        if tag == "p" and self._in is not None:
            self.found.append((self._in, self._text))
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._text += data


def field_box(path: str) -> str:
    return "f-" + re.sub(r"[^0-9A-Za-z_]+", "-", path).strip("-")


def at_field(placed: Placed, path: str, message: str) -> bool:
    """The message is shown in the box of the field at ``path`` (or of the nearest field it is part of)."""
    boxes = {b for b, text in placed.found if message in text}
    while True:
        if {field_box(path), field_box(path) + "-box"} & boxes:
            return True
        if not re.search(r"(\.[^.\[\]]*|\[\d+\])$", path):
            return False
        path = re.sub(r"(\.[^.\[\]]*|\[\d+\])$", "", path)


def cli_problems(runner, home: Path, path: Path) -> list[dict]:
    from cli import main

    r = runner.invoke(main, ["--home", str(home), "case", "validate", "--json", str(path)])
    return json.loads(r.stdout)["problems"]


BROKEN = {k: v for k, v in dict(agreement(), contractor=ENTERPRISE, copies=1, signed_on="2026-13-02", contractor_duties=["设立项目部"],
                                 term={"start": "2026-07-31", "end": "2026-04-10"}).items() if k != "accident_handling"}


@pytest.mark.parametrize("case", ["broken-agreement", "swapped-agreement-term.yaml", "bad-uscc-check-char.yaml", "bad-id-check-digit.yaml",
                                  "unknown-field-ticket.yaml"])
def test_validate_shows_every_problem_at_its_field_with_the_cli_messages(ent, world, runner, tmp_path, case):
    if case == "broken-agreement":
        path = factories.write(tmp_path, "broken.yaml", {"type": "safety_agreement", **BROKEN})
    else:
        path = EXAMPLES / "invalid" / case
    want = cli_problems(runner, world["enterprise_a"], path)
    assert want, "the file has problems"
    r = ent.post("/forms/upload", data={"csrf_token": token(ent)}, files={"file": (path.name, path.read_bytes(), "application/yaml")})
    assert r.status_code == 303, r.text[:1000]
    url = r.headers["location"].split("?")[0]
    first = ent.get(url).text
    page = Page(first)
    r = ent.post(url, data=as_data(page.submission() + [("_action", "validate")]), files=NO_FILE)
    assert r.status_code == 200
    got = ent.get("/api" + url).json()
    placed = Placed(r.text)
    fields = {c.name for c in page.controls} | {c.value for c in page.controls if c.name == "_f"}
    for p in want:
        if p["path"].split(".")[0].split("[")[0] not in {n.split(".")[0].split("[")[0] for n in fields}:
            # a field the form does not have (``weather``): named on the page as not part of the form
            assert "表单里没有的字段" in first and p["path"] in first.split("表单里没有的字段")[1][:200]
            continue
        assert p["message"] in html.unescape(r.text), p
        assert at_field(placed, p["path"], p["message"]), (p, placed.found)
    # the summary at the top lists them all, with the field's path
    listed = re.findall(r'<ol class="problem-list">(.*?)</ol>', html.unescape(r.text), re.DOTALL)
    assert listed and all(p["message"] in listed[0] for p in want if p["path"] in fields or "[" in p["path"] or "." in p["path"])
    assert got["draft"]["id"] == url.rsplit("/", 1)[1]


def test_the_broken_agreement_counts_as_many_problems_as_the_command_line(ent, world, runner, tmp_path):
    path = factories.write(tmp_path, "broken.yaml", {"type": "safety_agreement", **BROKEN})
    want = [p for p in cli_problems(runner, world["enterprise_a"], path) if p["severity"] == "error"]
    r = post_form(ent, "safety_agreement", BROKEN, "validate")
    placed = Placed(r.text)
    shown = [(b, t) for b, t in placed.found if not t.startswith("警告")]
    assert len(shown) == len(want) >= 6, (shown, want)
    assert f"发现 {len(want)} 个问题" in r.text
    for p in want:
        assert at_field(placed, p["path"], p["message"]), p


# --- drafts: per account, never records ------------------------------------------------------------------


def test_a_draft_is_its_owners_alone(world):
    home = world["enterprise_a"]
    with client(home) as owner, client(home) as admin:
        login(owner, "ent_officer")
        login(admin, "ent_admin")
        r = post_form(owner, "safety_agreement", agreement(), "save")
        assert r.status_code == 303
        url = r.headers["location"].split("?")[0]
        did = url.rsplit("/", 1)[1]
        assert owner.get(url).status_code == 200 and owner.get(f"{url}/yaml").status_code == 200
        missing = "/drafts/01M8ZZZZZZZZZZZZZZZZZZZZZZ"
        t = token(admin)
        for path, method in ((url, "GET"), ("/api" + url, "GET"), (f"{url}/yaml", "GET"), (f"{url}/preview.pdf", "GET"),
                             (f"{url}/files/a.png", "GET"), (url, "POST"), (f"{url}/delete", "POST"), ("/api" + url, "POST")):
            if method == "GET":
                theirs, none = admin.get(path), admin.get(path.replace(url, missing))
            else:
                theirs = admin.post(path, data={"csrf_token": t, "_action": "save", "agreement_no": "X"}, files=NO_FILE)
                none = admin.post(path.replace(url, missing), data={"csrf_token": t, "_action": "save"}, files=NO_FILE)
            assert theirs.status_code == 404, (path, method)
            assert none.status_code == 404 and theirs.text.replace(did, "ID") == none.text.replace(missing.rsplit("/", 1)[1], "ID")
        # an upload into another's draft is refused the same way
        r = admin.post("/forms/upload", data={"csrf_token": t, "draft": did},
                       files={"file": ("a.yaml", yaml.safe_dump({"type": "safety_agreement", **agreement()}, allow_unicode=True).encode(), "application/yaml")})
        assert r.status_code == 404
        assert "HR-AQXY-2026-002" not in admin.get("/forms").text
        assert admin.get("/api/forms").json()["drafts"] == []
        assert did in [d["id"] for d in owner.get("/api/forms").json()["drafts"]]
    a = Archive.open(home)
    try:
        assert json.loads(a.catalog.drafts.get_draft(did, "ent_officer")["data"])["agreement_no"] == "HR-AQXY-2026-002"
        assert a.catalog.current_document("safety_agreement", "HR-AQXY-2026-002", ENTERPRISE) is None  # not a record
    finally:
        a.close()


def test_a_draft_is_added_sealed_and_then_gone(ent, world):
    number = agreement_no()
    r = post_form(ent, "safety_agreement", agreement(agreement_no=number), "save")
    url = r.headers["location"].split("?")[0]
    page = Page(ent.get(url).text)
    r = ent.post(url, data=as_data(page.submission() + [("_action", "add")]), files=NO_FILE)
    assert r.status_code == 303 and r.headers["location"].startswith("/records/"), r.text[:2000]
    rid = r.headers["location"].split("/")[2].split("?")[0]
    rec = ent.get(f"/api/records/{rid}").json()
    assert rec["doc_no"] == number and rec["seal_check"]["ok"] is True
    assert {f["role"] for f in rec["files"]} >= {"source", "docx", "pdf"}
    assert ent.get(url).status_code == 404 and url.rsplit("/", 1)[1] not in {d["id"] for d in drafts_of(world["enterprise_a"], "ent_officer")}
    log = Archive.open(world["enterprise_a"])
    try:
        entry = log.catalog.access_log.entries(action="record_added")[-1]
        assert entry["account"] == "ent_officer" and entry["target"] == rid
    finally:
        log.close()


def test_delete_a_draft(ent, world):
    r = post_form(ent, "organization", {"name": "测试单位"}, "save")
    url = r.headers["location"].split("?")[0]
    r = ent.post(f"{url}/delete", data={"csrf_token": token(ent)}, files=NO_FILE)
    assert r.status_code == 303 and ent.get(url).status_code == 404
    assert url.rsplit("/", 1)[1] not in {d["id"] for d in drafts_of(world["enterprise_a"], "ent_officer")}


# --- only one's own enterprise; refusals that may be forced -------------------------------------------------


def test_an_enterprise_files_its_own_records_only(ent, world):
    r = post_form(ent, "safety_agreement", agreement(enterprise=ENTERPRISE_B), "add")
    assert r.status_code == 400
    placed = Placed(r.text)
    assert at_field(placed, "enterprise", f"只能填写本单位（{ENTERPRISE}）的记录")
    assert records_of(world["enterprise_a"], ENTERPRISE_B) == []


def test_a_refusal_the_law_leaves_room_for_is_forced_with_a_sealed_reason(ent, world):
    data = agreement(agreement_no=agreement_no(), term={"start": "2026-04-10", "end": "2026-06-30"})  # does not cover the project (to 07-31)
    r = post_form(ent, "safety_agreement", data, "add")
    assert r.status_code == 400 and "未覆盖项目" in r.text and 'name="force"' in r.text
    url = re.search(r'action="(/drafts/[0-9A-Z]+)"', r.text).group(1)
    page = Page(r.text)
    r = ent.post(url, data=as_data(page.submission() + [("force", "1"), ("force_reason", "二期工期另签补充协议"), ("_action", "add")]),
                 files=NO_FILE)
    assert r.status_code == 303, r.text[:2000]
    rec = ent.get("/api" + r.headers["location"].split("?")[0]).json()
    assert "二期工期另签补充协议" in rec["note"]


# --- YAML out and in -----------------------------------------------------------------------------------------


def test_the_yaml_of_a_record_as_each_role_may_see_it(world):
    home = world["enterprise_a"]
    card = records_of(home, ENTERPRISE, "training_record")[0]
    with client(home) as officer, client(home) as viewer:
        login(officer, "ent_officer")
        login(viewer, "ent_viewer")
        full = officer.get(f"/records/{card['id']}/yaml")
        assert full.status_code == 200 and full.headers["content-type"].startswith("application/yaml")
        assert "attachment" in full.headers["content-disposition"]
        data = yaml.safe_load(full.text)
        assert data["type"] == "training_record" and data["trainee"]["id_number"] == WELDER_ID
        masked = viewer.get(f"/records/{card['id']}/yaml")
        assert masked.status_code == 200 and WELDER_ID not in masked.text and mask_id(WELDER_ID) in masked.text
        assert not ID_PATTERN.search(masked.text)
        assert viewer.get("/records/01M8ZZZZZZZZZZZZZZZZZZZZZZ/yaml").status_code == 404
    with client(world["bureau"]) as c:  # another enterprise's record at the bureau: 404, like a missing one
        login(c, "ent_officer")
        theirs = records_of(world["bureau"], ENTERPRISE_B, "safety_agreement")[0]
        assert c.get(f"/records/{theirs['id']}/yaml").status_code == 404
    a = Archive.open(home)
    try:
        detail = [json.loads(e["detail"]) for e in a.catalog.access_log.entries(action="document_download")]
        assert {"role": "yaml", "id_numbers": "full"}.items() <= detail[-2].items()
        assert detail[-1]["id_numbers"] == "masked"
    finally:
        a.close()


def test_a_record_downloaded_changed_and_uploaded_becomes_its_next_version(ent, world):
    home = world["enterprise_a"]
    welder = next(r for r in records_of(home, ENTERPRISE, "person"))
    text = ent.get(f"/records/{welder['id']}/yaml").text
    r = ent.post("/forms/upload", data={"csrf_token": token(ent)}, files={"file": ("p.yaml", text.encode(), "application/yaml")})
    url = r.headers["location"].split("?")[0]
    page = Page(ent.get(url).text)
    posted = [(k, "13800000000" if k == "phone" else v) for k, v in page.submission()]
    assert ("phone", "13800000000") in posted
    r = ent.post(url, data=as_data(posted + [("_action", "add")]), files=NO_FILE)
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"].endswith("added=updated")
    new = ent.get("/api" + r.headers["location"].split("?")[0]).json()
    assert new["supersedes"] == welder["id"] and new["data"]["phone"] == "13800000000"
    assert new["data"]["id_number"] == mask_id(WELDER_ID)  # masked on the page; the sealed record holds it in full
    a = Archive.open(home)
    try:
        assert json.loads(a.catalog.get_record(new["id"])["data"])["id_number"] == WELDER_ID
    finally:
        a.close()


def test_the_yaml_of_a_draft(ent):
    r = post_form(ent, "safety_agreement", agreement(), "save")
    url = r.headers["location"].split("?")[0]
    text = ent.get(f"{url}/yaml").text
    data = yaml.safe_load(text)
    assert data["type"] == "safety_agreement" and data["agreement_no"] == "HR-AQXY-2026-002"
    assert data["enterprise_duties"] == agreement()["enterprise_duties"] and data["term"] == agreement()["term"]


BILLION_LAUGHS = b"""type: organization
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: [*b,*b,*b,*b,*b,*b,*b,*b,*b]
"""


@pytest.mark.parametrize("name,content,message", [
    ("laughs.yaml", BILLION_LAUGHS, "不允许使用 YAML 别名"),
    ("gbk.yaml", "type: organization\nname: 测试".encode("gbk"), "不是 UTF-8"),
    ("list.yaml", b"- a\n- b\n", "应为一个对象"),
    ("nothing.yaml", b"name: x\n", "缺少 type"),
    ("bureau.yaml", b"type: inspection_record\n", "本档案不填写此类文书"),
    ("deep.json", b"[" * 100 + b"]" * 100, "嵌套层级过深"),
    ("dup.yaml", b"type: organization\nname: a\nname: b\n", "重复的键"),
])
def test_an_upload_is_read_by_the_command_lines_hardened_loader(ent, world, name, content, message):
    before = drafts_of(world["enterprise_a"], "ent_officer")
    r = ent.post("/forms/upload", data={"csrf_token": token(ent)}, files={"file": (name, content, "application/yaml")})
    assert r.status_code == 400 and message in r.text, r.text[:1500]
    assert drafts_of(world["enterprise_a"], "ent_officer") == before


def test_a_json_case_file_is_uploaded_too(ent):
    body = json.dumps({"type": "safety_agreement", **agreement()}, ensure_ascii=False).encode()
    r = ent.post("/forms/upload", data={"csrf_token": token(ent)}, files={"file": ("a.json", body, "application/json")})
    assert r.status_code == 303
    assert "HR-AQXY-2026-002" in ent.get(r.headers["location"]).text


# --- rows, images, preview, the script's API -----------------------------------------------------------------


def test_rows_are_added_and_removed_without_the_script(ent, world):
    r = post_form(ent, "safety_agreement", agreement(), "add:enterprise_duties")
    assert r.status_code == 303 and r.headers["location"].endswith("?add=enterprise_duties#f-enterprise_duties")
    url = r.headers["location"].split("?")[0]
    r = ent.get(r.headers["location"])
    page = Page(r.text)
    names = {c.name for c in page.controls if not c.in_template}
    assert {"enterprise_duties[2]", "enterprise_duties[3]"} <= names and "enterprise_duties[4]" not in names
    assert ent.get("/api" + url).json()["data"]["enterprise_duties"] == agreement()["enterprise_duties"]  # a blank row is not kept
    r = ent.post(url, data=as_data(page.submission() + [("_action", "remove:enterprise_duties[0]")]), files=NO_FILE)
    assert r.status_code == 303 and r.headers["location"].endswith("#f-enterprise_duties")
    saved = ent.get("/api" + url).json()["data"]
    assert saved["enterprise_duties"] == agreement()["enterprise_duties"][1:]
    page = Page(ent.get(url).text)
    r = ent.post(url, data=as_data(page.submission() + [("_action", "add:approvals")]), files=NO_FILE)  # not a list of this form
    assert r.status_code == 303 and ent.get(r.headers["location"]).status_code == 200
    # the row removed is the one the page shows there, whatever else was emptied on the way
    page = Page(ent.get(url).text)
    second = saved["enterprise_duties"][1]
    posted = [(k, "" if k == "enterprise_duties[0]" else v) for k, v in page.submission()]
    assert ("enterprise_duties[1]", second) in posted
    r = ent.post(url, data=as_data(posted + [("_action", "remove:enterprise_duties[1]")]), files=NO_FILE)
    assert ent.get("/api" + url).json()["data"]["enterprise_duties"] == []


def test_an_image_goes_with_its_draft_and_a_non_image_is_refused_at_its_field(world):
    signature = (EXAMPLES / "cases" / "signatures" / "赵志刚.png").read_bytes()
    with client(world["enterprise_a"]) as c, client(world["enterprise_a"]) as other:
        login(c, "ent_officer")
        login(other, "ent_admin")
        card = {k: v for k, v in factories.training_card(record_no="HA-JY-2026-009").items() if k != "type"}
        card["conclusion"]["confirmer_signature"] = {"file": "sig/王海军.png"}
        page = Page(c.get("/forms/new/training_record").text)
        posted, _ = fill(page, card)
        path = "conclusion.confirmer_signature.file"
        assert f"{path}:upload" in {x.name for x in page.controls}
        r = c.post("/forms/new/training_record", data=as_data(posted + [("_action", "save")]),
                   files={f"{path}:upload": ("whatever.png", signature, "image/png")})
        assert r.status_code == 303
        url = r.headers["location"].split("?")[0]
        assert c.get(f"{url}/files/sig/王海军.png").content == signature
        assert other.get(f"{url}/files/sig/王海军.png").status_code == 404
        r = c.post(url, data=as_data(Page(c.get(url).text).submission() + [("_action", "save")]),
                   files={f"{path}:upload": ("evil.png", b"<svg onload=alert(1)>", "image/png")})
        assert r.status_code == 400 and at_field(Placed(r.text), path, "不是 JPEG 或 PNG 图片")
        r = c.post(url, data=as_data(Page(c.get(url).text).submission() + [("_action", f"drop:{path}")]), files=NO_FILE)
        assert r.status_code == 303 and c.get(f"{url}/files/sig/王海军.png").status_code == 404
        assert "confirmer_signature" not in c.get("/api" + url).json()["data"]["conclusion"]
        r = c.post(url, data=as_data(Page(c.get(url).text).submission() + [(path, "sig/王海军.png"), ("_action", "save")]),
                   files={f"{path}:upload": ("x.png", signature, "image/png")})
        r = c.post(url, data=as_data(Page(c.get(url).text).submission() + [("_action", "add")]), files=NO_FILE)
        assert r.status_code == 303, r.text[:3000]
        rec = c.get("/api" + r.headers["location"].split("?")[0]).json()
        assert any(f["role"] == "photo" and f["name"] == "王海军.png" for f in rec["files"])
        assert rec["data"]["conclusion"]["confirmer_signature"]["file"] == "sig/王海军.png"


def test_the_preview_is_the_pdf_of_the_draft_and_nothing_is_stored(ent, world):
    before = len(records_of(world["enterprise_a"], ENTERPRISE))
    r = post_form(ent, "safety_agreement", agreement(), "preview")
    assert r.status_code == 303 and r.headers["location"].endswith("?preview=1#preview")
    page = ent.get(r.headers["location"])
    src = re.search(r'<iframe class="pdf" src="([^"]+)"', page.text).group(1)
    pdf = ent.get(src)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "inline" in pdf.headers["content-disposition"]
    assert len(records_of(world["enterprise_a"], ENTERPRISE)) == before
    assert [p.name for p in (world["enterprise_a"] / "tmp").glob("form-*")] == []
    # a draft that cannot be rendered shows its problems instead
    url = src.split("/preview.pdf")[0]
    r = ent.post(url, data={"csrf_token": token(ent), "_action": "save", "agreement_no": "HR-AQXY-2026-003"}, files=NO_FILE)
    r = ent.get(f"{url}/preview.pdf")
    assert r.status_code == 400 and "缺少必填字段" in r.text


def test_the_scripts_autosave_api(ent, world):
    t = token(ent)
    body = urlencode([("agreement_no", "HR-AQXY-2026-002"), ("project", "HR-WB-2026-001"), ("_f", "enterprise_duties"),
                      ("enterprise_duties[0]", "甲方职责一"), ("_action", "save")])
    r = ent.post("/api/forms/new/safety_agreement", content=body.encode(), headers={
        "x-csrf-token": t, "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["saved"] is True and j["url"] == f"/drafts/{j['draft']['id']}" and j["draft"]["revision"] == 1
    r = ent.post("/api" + j["url"], content=(body + "&" + urlencode({"accident_handling": "报告"})).encode(), headers={
        "x-csrf-token": t, "content-type": "application/x-www-form-urlencoded"})
    assert r.json()["draft"]["revision"] == 2
    data = ent.get("/api" + j["url"]).json()["data"]
    assert data["enterprise_duties"] == ["甲方职责一"] and data["accident_handling"] == "报告"
    assert ent.post("/api" + j["url"], content=body.encode(), headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 403


def test_a_person_picked_from_the_list_arrives_with_the_full_number(ent, world):
    people = ent.get("/api/forms/lookup", params={"kind": "person", "q": "王"}).json()["items"]
    welder = next(p for p in people if p["name"] == "王海军")
    assert welder["masked"] == mask_id(WELDER_ID) and WELDER_ID not in json.dumps(people, ensure_ascii=False)
    page = Page(ent.get("/forms/new/project").text)
    data = {k: v for k, v in factories.project(code="HR-WB-2026-009").items() if k not in ("type", "workers")}
    posted, _ = fill(page, data)
    posted += [("_f", "workers"), ("workers[0].name", welder["value"])]  # as the list offers it: 姓名 + masked number
    r = ent.post("/forms/new/project", data=as_data(posted + [("_action", "save")]), files=NO_FILE)
    url = r.headers["location"].split("?")[0]
    a = Archive.open(world["enterprise_a"])
    try:
        did = url.rsplit("/", 1)[1]
        saved = json.loads(a.catalog.drafts.get_draft(did, "ent_officer")["data"])
    finally:
        a.close()
    assert saved["workers"] == [{"name": "王海军", "id_number": WELDER_ID}]
    html = ent.get(url).text
    assert WELDER_ID not in html and mask_id(WELDER_ID) in html


# --- Excel rosters --------------------------------------------------------------------------------------------


def roster(tmp_path: Path, rows: list[dict]) -> bytes:
    import openpyxl

    path = write_template("persons", tmp_path / "persons.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    headers = [str(c.value or "").rstrip("*").strip() for c in ws[1]]
    for i, row in enumerate(rows, start=3):
        for label, value in row.items():
            ws.cell(row=i, column=headers.index(label) + 1, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_roster_with_a_bad_row_is_refused_with_its_row_errors(ent, world, tmp_path):
    number = factories.id_number("37010219800101123")
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")  # the check character wrong
    good = {"序号": 1, "姓名": "李长河", "身份证号": number, "所在单位（统一社会信用代码）": CONTRACTOR, "岗位角色": "作业人员"}
    bad = {"序号": 2, "姓名": "赵小强", "身份证号": wrong, "所在单位（统一社会信用代码）": CONTRACTOR, "岗位角色": "作业人员"}
    content = roster(tmp_path, [good, bad])
    t = token(ent)
    r = ent.post("/forms/rosters", data={"csrf_token": t, "kind": "persons", "mode": "import"},
                 files={"file": ("人员名册.xlsx", content, "application/octet-stream")})
    assert r.status_code == 400 and "未导入任何数据" in r.text
    rows = re.findall(r"<tr class=\"error\"><td>(.*?)</td><td>(\d+)</td><td>(.*?)</td>", r.text)
    assert ("人员", "4", "C（身份证号）") in rows or any(row[1] == "4" and "身份证号" in row[2] for row in rows), rows
    assert all(row[1] != "3" for row in rows)
    api = ent.post("/api/forms/rosters", data={"csrf_token": t, "kind": "persons", "mode": "check"},
                   files={"file": ("人员名册.xlsx", content, "application/octet-stream")})
    assert api.status_code == 400 and api.json()["problems"][0]["row"] == 4
    before = len(records_of(world["enterprise_a"], ENTERPRISE, "person"))
    r = ent.post("/forms/rosters", data={"csrf_token": t, "kind": "persons", "mode": "skip"},
                 files={"file": ("人员名册.xlsx", content, "application/octet-stream")})
    assert r.status_code == 200 and "跳过有问题的行：4" in r.text and "李长河" in r.text
    assert len(records_of(world["enterprise_a"], ENTERPRISE, "person")) == before + 1
    assert ent.get("/forms/rosters/persons.xlsx").content[:2] == b"PK"
    r = ent.post("/forms/rosters", data={"csrf_token": t, "kind": "persons"}, files={"file": ("x.csv", b"a,b", "text/csv")})
    assert r.status_code == 400 and ".xlsx" in r.text


def test_markup_in_a_draft_is_shown_as_the_text_it_is(ent):
    xss = web_world.XSS
    data = agreement(agreement_no="HR-AQXY-2026-0X1", project_overview=xss, enterprise_duties=[xss, "二", "三"],
                     enterprise_signatory={"name": xss})
    r = post_form(ent, "safety_agreement", data, "validate")
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "onerror=alert(1)>" not in r.text
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in r.text and "{{ 7*7 }}" in r.text and "49" not in r.text.split("</h1>")[1][:20]
    url = re.search(r'action="(/drafts/[0-9A-Z]+)"', r.text).group(1)
    assert yaml.safe_load(ent.get(f"{url}/yaml").text)["project_overview"] == xss


def test_a_registry_larger_than_the_page_lists_is_searched_as_one_types(ent, monkeypatch):
    """A page lists the first MOST entries of each registry and marks the list as having more
    (forms.js then asks /forms/lookup as one types); the lookup searches the whole registry."""
    from archive.forms import pickers as pk

    everyone = ent.get("/api/forms/lookup", params={"kind": "org", "limit": 200}).json()["items"]
    assert len(everyone) > 2
    monkeypatch.setattr(pk, "MOST", 2)
    page = ent.get("/forms/new/project").text
    listed = re.search(r'<datalist id="dl-org" data-kind="org" data-more="1">(.*?)</datalist>', page, re.S)
    assert listed and listed.group(1).count("<option") == 2
    last = sorted(everyone, key=lambda o: o["name"])[-1]
    assert last["uscc"] not in listed.group(1)
    found = ent.get("/api/forms/lookup", params={"kind": "org", "q": last["name"]}).json()["items"]
    assert last["uscc"] in [o["uscc"] for o in found]  # beyond the page's first two
    monkeypatch.setattr(pk, "MOST", 2000)
    assert 'id="dl-org" data-kind="org" data-more="0"' in ent.get("/forms/new/project").text


def test_a_roster_of_a_million_tiny_cells_is_refused_before_it_is_loaded(ent, tmp_path):
    """An "xlsx bomb" of small cells: a few MB that the zip limits let through (the XML is ~35 MB,
    deflated ~15:1) but that openpyxl would turn into a million objects, hundreds of MB — per upload."""
    import zipfile

    template = write_template("persons", tmp_path / "persons.xlsx")
    rows = "".join(f'<row r="{i}">' + "".join(f'<c r="{col}{i}"><v>{i}</v></c>' for col in "ABCDEFGHIJKLMNOPQRST") + "</row>"
                   for i in range(1, 55_001))  # varied enough to pass the zips' ratio limit (100:1)
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + rows + "</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(template) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else zin.read(item.filename))
    assert len(out.getvalue()) < 8 * 2**20
    r = ent.post("/forms/rosters", data={"csrf_token": token(ent), "kind": "persons", "mode": "check"},
                 files={"file": ("人员名册.xlsx", out.getvalue(), "application/octet-stream")})
    assert r.status_code == 400 and "单元格过多" in r.text and "1,000,000" in r.text
