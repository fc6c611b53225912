"""Signing in and out, sessions (expiry, logout, disabled accounts), CSRF on every state change,
throttling, and what a response carries (security headers, no tracebacks, no passwords)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from archive.access.accounts import set_disabled
from archive.app import Archive
from archive.clock import Clock
from tests.conftest import TODAY_AT
from tests.web.conftest import client, csrf, login
from tests.web_world import PASSWORD


class MovableClock(Clock):
    def __init__(self) -> None:
        self.at = TODAY_AT

    def now(self):
        return self.at


def test_sign_in_sets_a_signed_httponly_samesite_cookie_and_goes_where_asked(shared_world):
    with client(shared_world["bureau"]) as c:
        r = c.get("/checks")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fchecks"
        page = c.get(r.headers["location"])
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
        assert 'name="next" value="/checks"' in page.text
        r = c.post("/login", data={"username": "bureau_officer", "password": PASSWORD, "nonce": nonce, "next": "/checks"})
        assert r.status_code == 303 and r.headers["location"] == "/checks"
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie and "Path=/" in cookie
        assert c.get("/checks").status_code == 200
        assert c.get("/api/me").json()["role"] == "bureau_officer"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_sign_in_never_sends_the_browser_elsewhere(shared_world, target):
    with client(shared_world["bureau"]) as c:
        page = c.get("/login")
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
        r = c.post("/login", data={"username": "bureau_officer", "password": PASSWORD, "nonce": nonce, "next": target})
        assert r.headers["location"] == "/"


def test_a_wrong_password_shows_one_message_and_logs_no_password(shared_world, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with client(shared_world["bureau"]) as c:
        r = login(c, "bureau_officer", "not-the-password-7", expect=401)
        assert "用户名或密码错误" in r.text and "not-the-password-7" not in r.text
        r = login(c, "no_such_user", "another-secret-9", expect=401)
        assert "用户名或密码错误" in r.text
        login(c, "bureau_officer")
        log = c.get("/api/me")
    out = capsys.readouterr()
    for secret in ("not-the-password-7", "another-secret-9", PASSWORD):
        assert secret not in caplog.text and secret not in out.out and secret not in out.err
    a = Archive.open(shared_world["bureau"])
    try:
        entries = a.catalog.access_log.entries()
        assert any(e["action"] == "login_failed" and e["account"] == "bureau_officer" for e in entries)
        assert any(e["action"] == "login_failed" and e["account"] is None for e in entries)  # the unknown name is not written
        assert all(s not in str(e) for e in entries for s in ("not-the-password-7", "another-secret-9", "no_such_user"))
    finally:
        a.close()
    assert log.status_code == 200


def test_sign_in_is_throttled_after_repeated_failures(world):
    with client(world["bureau"]) as c:
        for _ in range(5):
            login(c, "bureau_officer", "wrong password!!", expect=401)
        r = login(c, "bureau_officer", PASSWORD, expect=429)  # even the right one, for now
        assert "登录失败次数过多" in r.text and "分钟后再试" in r.text


def test_the_login_form_needs_its_own_nonce(shared_world):
    with client(shared_world["bureau"]) as c:
        r = c.post("/login", data={"username": "bureau_officer", "password": PASSWORD, "nonce": "forged", "next": "/"})
        assert r.status_code == 403 and "已过期" in r.text
        c.get("/login")
        r = c.post("/login", data={"username": "bureau_officer", "password": PASSWORD, "nonce": "forged"})
        assert r.status_code == 403
        assert c.get("/api/me").status_code == 401


def test_a_form_on_the_screen_stays_good_when_the_login_page_is_fetched_again(shared_world):
    """A second tab, the favicon or a background fetch redirected to /login must not void the form
    already on the screen (seen: a phone's page polled once its session had expired, and the
    sign-in that followed was refused as expired)."""
    with client(shared_world["bureau"]) as c:
        first = c.get("/login")
        nonce = re.search(r'name="nonce" value="([^"]+)"', first.text).group(1)
        again = c.get("/login?next=%2Fapi%2Fjobs%2Fx")
        assert re.search(r'name="nonce" value="([^"]+)"', again.text).group(1) == nonce
        r = c.post("/login", data={"username": "bureau_officer", "password": PASSWORD, "nonce": nonce, "next": "/"})
        assert r.status_code == 303 and r.headers["location"] == "/"
        c.post("/logout", data={"csrf_token": csrf(c)})
        fresh = re.search(r'name="nonce" value="([^"]+)"', c.get("/login").text).group(1)
        assert fresh != nonce  # a successful sign-in spends it
    with client(shared_world["bureau"]) as other:  # another browser gets its own
        theirs = re.search(r'name="nonce" value="([^"]+)"', other.get("/login").text).group(1)
        assert theirs != nonce
        r = other.post("/login", data={"username": "bureau_officer", "password": PASSWORD, "nonce": nonce, "next": "/"})
        assert r.status_code == 403


IMAGE_ASKS = [{"sec-fetch-mode": "no-cors", "sec-fetch-dest": "image", "accept": "image/avif,image/webp,*/*"},
              {"accept": "image/avif,image/webp,image/apng,*/*;q=0.8"}]  # plain http on a LAN: no Sec-Fetch-*


@pytest.mark.parametrize("asks", IMAGE_ASKS, ids=["sec-fetch", "accept"])
def test_what_a_page_loads_for_itself_never_voids_the_sign_in_form(shared_world, asks):
    """A page's lazy image fetched once its session has expired, at the moment the browser loads
    the sign-in page: sent before the sign-in page's cookie came back, it carried none. Seen in CI
    (tests/browser/test_tickets.py, the expired ticket): redirected to /login, its answer replaced
    the cookie of the form on the screen, and the sign-in was refused as expired."""
    with client(shared_world["bureau"]) as c:
        r = c.get("/records/01J0000000000000000000000/files/sig.png", headers=asks)
        assert r.status_code == 401 and "location" not in r.headers  # not sent to the sign-in page
        assert not any(k.startswith("outsafe_login_") for k in c.cookies.keys())
        page = c.get("/login", headers={"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"})
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
        # the same image asked earlier, without the cookie, and sent on to /login by an older server
        cookie = next(k for k in c.cookies.keys() if k.startswith("outsafe_login_"))
        held = c.cookies[cookie]
        stray = c.get("/login?next=%2Frecords%2Fx", headers={**asks, "cookie": ""})
        assert stray.status_code == 200 and "set-cookie" not in stray.headers
        assert c.cookies[cookie] == held
        r = c.post("/login", data={"username": "bureau_officer", "password": PASSWORD, "nonce": nonce, "next": "/"})
        assert r.status_code == 303 and r.headers["location"] == "/"
    with client(shared_world["bureau"]) as plain:  # a page asked for by curl or a script: sent to sign in
        r = plain.get("/checks")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fchecks"


def test_logout_ends_the_session_at_once(shared_world):
    with client(shared_world["bureau"]) as c:
        login(c, "bureau_officer")
        stolen = dict(c.cookies)
        r = c.post("/logout", data={"csrf_token": csrf(c)})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert c.get("/api/me").status_code == 401
    with client(shared_world["bureau"]) as again:
        again.cookies.update(stolen)  # the old cookie is worth nothing now
        assert again.get("/api/me").status_code == 401


def test_signing_in_over_an_open_session_ends_it(shared_world):
    """A second account signed in on the same browser (a shared phone on site): the session it
    replaces ends at once, as a sign-out would end it — its cookie, kept elsewhere, is worth nothing."""
    with client(shared_world["bureau"]) as c, client(shared_world["bureau"]) as other:
        login(c, "bureau_officer")
        first = dict(c.cookies)
        page = other.get("/login")  # a sign-in form still on the screen (its nonce and cookie)
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
        c.cookies.update({k: v for k, v in other.cookies.items() if k not in first})
        r = c.post("/login", data={"username": "bureau_officer", "password": PASSWORD, "nonce": nonce, "next": "/"})
        assert r.status_code == 303 and c.get("/api/me").status_code == 200
        assert dict(c.cookies) != first
    with client(shared_world["bureau"]) as again:
        again.cookies.update(first)
        assert again.get("/api/me").status_code == 401


def test_sessions_expire_when_idle_and_at_their_end(world):
    clock = MovableClock()
    with client(world["bureau"], clock=clock) as c:
        login(c, "bureau_officer")
        clock.at += timedelta(minutes=29)
        assert c.get("/api/me").status_code == 200
        clock.at += timedelta(minutes=31)
        assert c.get("/api/me").status_code == 401
        r = c.get("/")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        login(c, "bureau_officer")
        for _ in range(25):  # busy all day: the session still ends after 12 hours
            clock.at += timedelta(minutes=29)
            last = c.get("/api/me").status_code
        assert last == 401


def test_disabling_an_account_ends_its_open_sessions(world):
    with client(world["bureau"]) as c:
        login(c, "bureau_officer")
        a = Archive.open(world["bureau"])
        try:
            set_disabled(a, "bureau_officer")
        finally:
            a.close()
        assert c.get("/api/me").status_code == 401
        login(c, "bureau_officer", expect=401)


def test_a_forged_or_tampered_cookie_is_no_session(shared_world):
    with client(shared_world["bureau"]) as c:
        login(c, "bureau_officer")
        name, value = next(iter(c.cookies.items()))
        token, mac = value.split(".")
        c.cookies.clear()
        c.cookies.set(name, token[:-1] + ("A" if token[-1] != "A" else "B") + "." + mac)
        assert c.get("/api/me").status_code == 401
        c.cookies.set(name, token)  # without its signature
        assert c.get("/api/me").status_code == 401


@pytest.mark.parametrize("how", ["missing", "forged", "other session's"])
def test_state_changing_requests_need_the_sessions_csrf_token(world, how):
    def exported() -> int:
        a = Archive.open(world["enterprise_a"])
        try:
            return len(a.catalog.packages.packages(direction="export"))
        finally:
            a.close()

    before = exported()
    with client(world["enterprise_a"]) as c, client(world["enterprise_a"]) as other:
        login(c, "ent_officer")
        login(other, "ent_admin")
        token = {"missing": None, "forged": "x" * 43, "other session's": csrf(other)}[how]
        data = {"csrf_token": token} if token else {}
        for path in ("/exports/submission", "/logout", "/api/exports/submission"):
            r = c.post(path, data=data)
            assert r.status_code == 403, path
        assert c.get("/api/me").status_code == 200  # the logout did not happen
        r = c.post("/api/exports/submission", headers={"x-csrf-token": token or ""})
        assert r.status_code == 403
        # a form posted from another site is refused even with the right token
        r = c.post("/exports/submission", data={"csrf_token": csrf(c)}, headers={"origin": "http://evil.example"})
        assert r.status_code == 403
    assert exported() == before and not any((world["enterprise_a"] / "tmp" / "web").glob("*/*.zip"))


def test_security_headers_on_pages_json_files_and_errors(shared_world):
    with client(shared_world["bureau"]) as c:
        login(c, "bureau_officer")
        for path in ("/", "/api/dashboard", "/static/style.css", "/no-such-page", "/login"):
            r = c.get(path)
            h = r.headers
            assert "script-src 'self'" in h["content-security-policy"] and "unsafe-inline" not in h["content-security-policy"]
            assert "frame-ancestors 'self'" in h["content-security-policy"]
            assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "SAMEORIGIN"
            assert h["referrer-policy"] == "same-origin"
        assert c.get("/").headers["cache-control"] == "no-store"


def test_pages_carry_no_inline_script(shared_world):
    with client(shared_world["bureau"]) as c:
        login(c, "bureau_officer")
        for path in ("/", "/search?q=动火", "/checks", "/exports", "/imports", "/login"):
            html = c.get(path).text
            assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
            assert not re.search(r"\son[a-z]+\s*=", html.replace("onerror=alert(1)&gt;", ""))


def test_errors_are_chinese_pages_without_tracebacks(shared_world):
    with client(shared_world["bureau"]) as c:
        login(c, "bureau_officer")
        r = c.get("/no-such-page")
        assert r.status_code == 404 and "没有找到" in r.text and "Traceback" not in r.text
        r = c.get("/search", params={"q": "动火", "since": "not-a-day"})
        assert r.status_code in (400, 200) and "Traceback" not in r.text
        r = c.get("/checks?as_of=2026-13-45")
        assert r.status_code == 400 and "日期格式" in r.text
        for far in ("9999-12-30", "0001-01-01"):  # days the views cannot count from (reminders ran past the calendar's end)
            r = c.get(f"/?as_of={far}")
            assert r.status_code == 400 and "日期超出可用范围" in r.text and "Traceback" not in r.text, far
        r = c.get("/search", params={"q": '"unclosed ( OR'})
        assert "Traceback" not in r.text
        r = c.put("/")
        assert r.status_code == 405 and "不支持" in r.text
        assert c.get("/static/").status_code == 404  # no directory listing


def test_behind_a_tls_proxy_the_cookies_are_secure(world):
    """The browser speaks https to a TLS proxy, the proxy plain http to the server (``web_base_url``
    is https://…): the session's and the sign-in form's cookies must still never travel without TLS."""
    from starlette.testclient import TestClient

    from web.server import create_app

    toml = world["bureau"] / "outsafe.toml"
    text = toml.read_text(encoding="utf-8")
    assert "[settings]" in text
    toml.write_text(text.replace("[settings]", '[settings]\nweb_base_url = "https://outsafe.gaoxin.example"', 1), encoding="utf-8")
    app = create_app(world["bureau"])

    async def proxied(scope, receive, send):  # what the proxy hands on: the same request, in plain http
        await app(dict(scope, scheme="http") if scope["type"] == "http" else scope, receive, send)

    with TestClient(proxied, base_url="https://testserver", follow_redirects=False) as c:
        page = c.get("/login")
        assert "; secure" in page.headers["set-cookie"].lower()
        r = login(c, "bureau_officer")
        session = next(v for v in r.headers.get_list("set-cookie") if v.startswith("outsafe_session_"))
        assert "; secure" in session.lower() and "httponly" in session.lower()
        assert c.get("/api/me").json()["name"] == "bureau_officer"
    with client(world["enterprise_a"]) as plain:  # served in plain http at the default address: cookies it can send back
        assert "secure" not in plain.get("/login").headers["set-cookie"].lower()


def test_a_form_sent_in_chunks_is_refused_before_it_is_read(world):
    """A state-changing form without Content-Length (chunked) would be read whole, past the form
    limit, before the session is even looked at: refused at once, signed in or not."""
    def body():
        for _ in range(64):
            yield b"a=" + b"x" * 65536 + b"&"

    form = {"content-type": "application/x-www-form-urlencoded"}
    with client(world["enterprise_a"]) as c:
        for path in ("/exports/submission", "/login"):
            r = c.post(path, content=body(), headers=form)
            assert r.status_code == 411 and "Content-Length" in r.text, (path, r.status_code)
        login(c, "ent_officer")
        r = c.post("/exports/submission", content=body(), headers={**form, "x-csrf-token": csrf(c)})
        assert r.status_code == 411
        assert c.head("/login").status_code in (200, 303)  # a HEAD of the sign-in page is a GET, never a sign-in attempt
    with client(world["enterprise_a"]) as fresh:
        assert fresh.head("/login").status_code == 200
