"""Markup, script tags and template syntax in data — and in what a user types — show literally:
enterprise B's records carry ``tests.web_world.XSS`` in their project name, overview, duties and
the enterprise's address, and every page that shows them must show the text, never run it."""

from __future__ import annotations

import html
from urllib.parse import quote

import pytest

from tests.web.conftest import client, login, records_of
from tests.web_world import CONTRACTOR, ENTERPRISE_B, XSS

RAW = ['<script>alert("xss")</script>', "<img src=x onerror=alert(1)>"]
SHOWN = html.escape(XSS, quote=False)  # what the page source holds: &lt;script&gt;…


def assert_inert(text: str) -> None:
    for raw in RAW:
        assert raw not in text
    assert "49" not in text.split(SHOWN)[0][-5:] if SHOWN in text else True


@pytest.fixture(scope="module")
def bureau(shared_world):
    with client(shared_world["bureau"]) as c:
        login(c, "bureau_officer")
        yield c


@pytest.fixture(scope="module")
def b_ids(shared_world):
    rows = records_of(shared_world["bureau"], ENTERPRISE_B)
    return {r["type"]: r["id"] for r in rows}


def test_record_pages_show_the_markup_as_text(bureau, b_ids):
    for kind in ("project", "safety_agreement"):
        r = bureau.get(f"/records/{b_ids[kind]}")
        assert r.status_code == 200
        assert_inert(r.text)
        assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in r.text
        assert "{{ 7*7 }}{% if 1 %}" in r.text  # template syntax in data is text, not evaluated
    assert_inert(bureau.get(f"/records/{b_ids['organization']}").text)
    j = bureau.get(f"/api/records/{b_ids['project']}").json()
    assert XSS in j["data"]["name"]  # the JSON twin carries the data as it is (a JSON string, not markup)


def test_search_results_snippets_and_the_query_itself(bureau):
    r = bureau.get("/search", params={"q": "储罐区"})
    assert r.status_code == 200 and "<mark>储罐区</mark>" in r.text
    assert_inert(r.text)
    typed = '"><script>alert("q")</script>{{ 7*7 }}'
    r = bureau.get("/search", params={"q": typed, "contractor": typed})
    assert '<script>alert("q")</script>' not in r.text and 'value="&#34;&gt;&lt;script&gt;' in r.text


def test_dossier_dashboard_lists_and_checks(bureau, b_ids):
    for path in (f"/contractors/{CONTRACTOR}", "/", "/contractors", "/checks", "/rectification", "/blacklist", "/exports", "/imports"):
        r = bureau.get(path)
        assert r.status_code == 200, path
        assert_inert(r.text)
    for path in ("/api/dashboard", f"/api/contractors/{CONTRACTOR}"):  # JSON strings, served as JSON that no browser sniffs as HTML
        r = bureau.get(path)
        assert r.headers["content-type"].startswith("application/json") and r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", [
    "/contractors/" + quote('<script>alert("xss")</script>'),
    "/records/" + quote('<img src=x onerror=alert(1)>'),
    "/checks?as_of=" + quote('<script>alert("xss")</script>'),
    "/checks?rule=" + quote('<script>alert("xss")</script>'),
    "/rectification?status=" + quote('<img src=x onerror=alert(1)>'),
    "/search?q=a&since=" + quote('<img src=x onerror=alert(1)>'),
    "/" + quote('<script>alert("xss")</script>'),
])
def test_what_is_typed_in_the_address_is_never_markup(bureau, path):
    r = bureau.get(path)
    assert r.status_code in (400, 404)
    assert_inert(r.text)


def test_the_sign_in_page_echoes_the_name_as_text(shared_world):
    with client(shared_world["bureau"]) as c:
        r = login(c, '<script>alert("xss")</script>', "whatever-12345", expect=401)
        assert_inert(r.text)
        assert 'value="&lt;script&gt;' in r.text
        r = c.get("/login", params={"next": '"><script>alert("xss")</script>'})
        assert_inert(r.text)


def test_the_access_log_shows_targets_as_text(shared_world):
    with client(shared_world["bureau"]) as c:
        login(c, "bureau_admin")
        c.get("/records/" + quote('<script>alert("xss")</script>'))
        r = c.get("/audit")
        assert r.status_code == 200
        assert_inert(r.text)
