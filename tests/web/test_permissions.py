"""Who sees and does what: every role against every page and its JSON twin (a matrix), and IDOR
attempts — another enterprise's record ids, guessed ids, path tricks — which get exactly the 404
of a missing record."""

from __future__ import annotations

import pytest

from tests.web.conftest import client, csrf, login, records_of
from tests.web_world import ACCOUNTS, CONTRACTOR, ENTERPRISE, ENTERPRISE_B

ROLES = list(ACCOUNTS)  # ent_admin ent_officer ent_viewer (enterprise A), b_officer (B), bureau_admin, bureau_officer
A_USERS = {"ent_admin", "ent_officer", "ent_viewer"}
BUREAU = {"bureau_admin", "bureau_officer"}


@pytest.fixture(scope="module")
def ids(shared_world):
    home = shared_world["bureau"]
    a = next(r for r in records_of(home, ENTERPRISE, "safety_agreement"))
    b = next(r for r in records_of(home, ENTERPRISE_B, "safety_agreement"))
    return {"A": a["id"], "B": b["id"]}


@pytest.fixture(scope="module")
def clients(shared_world):
    """One signed-in client per account at the bureau's archive (kept for the module)."""
    out, stack = {}, []
    for name in ROLES:
        cm = client(shared_world["bureau"])
        c = cm.__enter__()
        stack.append(cm)
        login(c, name)
        out[name] = c
    yield out
    for cm in stack:
        cm.__exit__(None, None, None)


def expected(role: str, page: str) -> int:
    if page == "A":
        return 200 if role in A_USERS | BUREAU else 404
    if page == "B":
        return 200 if role in {"b_officer"} | BUREAU else 404
    if page == "/imports":
        return 200 if role in BUREAU else 403
    if page == "/audit":
        return 200 if role in {"ent_admin", "bureau_admin"} else 403
    return 200


PAGES = ["/", "/search?q=协议", "/contractors", f"/contractors/{CONTRACTOR}", "A", "B", "/checks", "/rectification", "/blacklist",
         "/exports", "/imports", "/audit"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_pages_and_json_twins(clients, ids, role, page):
    path = f"/records/{ids[page]}" if page in ids else page
    want = expected(role, page)
    r = clients[role].get(path)
    assert r.status_code == want, (role, path, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    if page == "/imports":
        return  # the upload page has no JSON twin (POST /api/imports is the API)
    api = "/api/dashboard" if path == "/" else "/api" + path
    j = clients[role].get(api)
    assert j.status_code == want, (role, api)
    assert j.headers["content-type"].startswith("application/json")
    if want != 200:
        assert set(j.json()) == {"error", "details", "status"}


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_state_changing_requests(clients, role):
    c = clients[role]
    token = csrf(c)
    # evidence packages: bureau accounts (an empty form is then a 400 from the handler, past the guard)
    r = c.post("/exports/evidence", data={"csrf_token": token})
    assert r.status_code == (400 if role in BUREAU else 403)
    # submission packages are signed with the archive owner's key: nobody at the bureau's archive
    assert c.post("/exports/submission", data={"csrf_token": token}).status_code == 403
    r = c.post("/api/imports", headers={"x-csrf-token": token, "content-type": "multipart/form-data; boundary=x"}, content=b"--x--\r\n")
    assert r.status_code == (400 if role in BUREAU else 403)


def test_nobody_signed_in_is_sent_to_sign_in_or_gets_401(shared_world, ids):
    with client(shared_world["bureau"]) as c:
        for path in ("/", "/search?q=协议", f"/records/{ids['A']}", f"/records/{ids['A']}/files/pdf", "/audit"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        for path in ("/api/dashboard", f"/api/records/{ids['A']}", "/api/me"):
            assert c.get(path).status_code == 401
        assert c.post("/exports/evidence", data={}).status_code == 303


def _not_found_body(r) -> str:
    return r.text.replace(r.request.url.path.rsplit("/", 1)[-1], "ID")


def test_another_enterprises_record_reads_exactly_like_a_missing_one(clients, ids):
    c = clients["ent_officer"]  # enterprise A's safety officer at the bureau's archive
    theirs = c.get(f"/records/{ids['B']}")
    missing_id = ids["B"][:-1] + ("A" if ids["B"][-1] != "A" else "B")
    missing = c.get(f"/records/{missing_id}")
    assert theirs.status_code == missing.status_code == 404
    assert _not_found_body(theirs) == _not_found_body(missing)
    assert "储罐区" not in theirs.text and "XY-AQXY" not in theirs.text
    jt, jm = c.get(f"/api/records/{ids['B']}").json(), c.get(f"/api/records/{missing_id}").json()
    assert jt["error"].replace(ids["B"], "ID") == jm["error"].replace(missing_id, "ID")
    # and their documents
    for suffix in ("pdf", "docx", "0" * 64):
        assert c.get(f"/records/{ids['B']}/files/{suffix}").status_code == 404


@pytest.mark.parametrize("path", [
    "/records/{A}x", "/records/{a_other}", "/records/{A_prefix}", "/records/..%2Faudit", "/records/%2e%2e/audit",
    "/records/{A}/files/..%2F..%2Fkeys%2Fowner.key", "/records/{A}/files/../../keys", "/records/{A}/files/{B_sha}",
    "/records/' OR 1=1 --", "/records/{A}%00", "/static/", "/static/../cli.py", "/static/..%2Fapp.py", "/jobs/nothing",
    "/jobs/nothing/download", "/contractors/91370100MA00000000", "/contractors/..%2F..",
])
def test_path_tricks_get_404_never_data(clients, ids, shared_world, path):
    b_sha = next(f for f in _files(shared_world["bureau"], ids["B"]) if f["role"] == "source")["sha256"]
    # the ID lower-cased (ULIDs are case-blind, so that alone still names A) with its last letter changed
    a_other = ids["A"].lower()[:-1] + ("z" if ids["A"][-1].lower() != "z" else "y")
    path = path.format(A=ids["A"], a_other=a_other, A_prefix=ids["A"][:12], B_sha=b_sha)
    r = clients["ent_officer"].get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert "Traceback" not in r.text and "BEGIN" not in r.text and "owner.key" not in r.text


def _files(home, rid):
    from archive.app import Archive

    a = Archive.open(home)
    try:
        return a.catalog.record_files(rid)
    finally:
        a.close()


def test_an_enterprise_account_sees_only_its_own_in_search_dossier_and_lists(clients):
    a, b, bureau = clients["ent_viewer"], clients["b_officer"], clients["bureau_officer"]
    assert a.get("/api/search", params={"q": "储罐区"}).json()["total"] == 0
    theirs = b.get("/api/search", params={"q": "储罐区"}).json()
    assert theirs["total"] == bureau.get("/api/search", params={"q": "储罐区"}).json()["total"] == 2  # B's project and agreement
    assert {h["enterprise"] for h in theirs["hits"]} == {ENTERPRISE_B}
    assert a.get("/api/search", params={"q": "协议", "enterprise": ENTERPRISE_B}).json()["total"] == 0
    da = a.get(f"/api/contractors/{CONTRACTOR}").json()
    dbur = bureau.get(f"/api/contractors/{CONTRACTOR}").json()
    assert [e["uscc"] for e in da["enterprises"]] == [ENTERPRISE]
    assert sorted(e["uscc"] for e in dbur["enterprises"]) == sorted([ENTERPRISE, ENTERPRISE_B])
    assert all(t["enterprise"] == ENTERPRISE for t in da["timeline"])
    board = a.get("/api/dashboard").json()
    assert [e["enterprise"] for e in board["campaign"]["enterprises"]] == [ENTERPRISE]
    assert all(h["origin"] == ENTERPRISE for h in board["handed_in"])
    checks = a.get("/api/checks").json()
    assert checks["scope"]["enterprise"] == ENTERPRISE


def test_a_job_of_another_account_is_404(world):
    from archive.access.accounts import add_user
    from archive.app import Archive

    home = world["enterprise_a"]
    ar = Archive.open(home)
    add_user(ar, "ent_officer2", "enterprise_officer", org=ENTERPRISE, password="another password 1")
    ar.close()
    with client(home) as one, client(home) as two:
        login(one, "ent_officer")
        login(two, "ent_officer2", "another password 1")
        r = one.post("/exports/submission", data={"csrf_token": csrf(one)})
        assert r.status_code == 303
        job = r.headers["location"]
        assert one.get(job).status_code == 200
        assert two.get(job).status_code == 404 and two.get(job + "/download").status_code == 404
        assert two.get("/api" + job).status_code == 404
