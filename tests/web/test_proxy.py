"""`outsafe serve` behind a reverse proxy (nginx): the visitor's address and scheme are what a
proxy named in ``web_trusted_proxies`` forwards (X-Forwarded-For / -Proto) — for the sign-in
throttle, the access log and the cookies' Secure flag — and never what anyone else claims. The
real server (uvicorn) in a child process, on loopback."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest

from archive.app import Archive
from archive.errors import ValidationFailed
from archive.settings import Settings
from tests.browser.conftest import Server
from tests.web_world import PASSWORD


def _sign_in(url: str, headers: dict[str, str], password: str) -> httpx.Response:
    """A sign-in as a browser does it through the proxy: the form's cookie sent back by hand (over
    https, as the proxy's visitor has it, the cookie is Secure; this client speaks http to the server)."""
    with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as c:
        page = c.get("/login", headers=headers)
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
        cookie = "; ".join(v.split(";", 1)[0] for v in page.headers.get_list("set-cookie"))
        return c.post("/login", data={"username": "ent_officer", "password": password, "nonce": nonce, "next": "/"},
                      headers={**headers, "cookie": cookie})


def _failed_sign_in(url: str, headers: dict[str, str]) -> httpx.Response:
    return _sign_in(url, headers, PASSWORD + "x")


def _signed_in(url: str, headers: dict[str, str]) -> httpx.Response:
    return _sign_in(url, headers, PASSWORD)


def _failures_from(home) -> list[str | None]:
    a = Archive.open(home)
    try:
        return [e["address"] for e in a.catalog.access_log.entries(action="login_failed")]
    finally:
        a.close()


FORWARDED = {"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https"}


def test_behind_a_trusted_proxy_the_visitor_is_the_address_it_forwards(world):
    home = world["enterprise_a"]
    toml = home / "outsafe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[settings]", '[settings]\nweb_trusted_proxies = ["127.0.0.1"]', 1),
                    encoding="utf-8")
    server = Server(home)
    try:
        assert _failed_sign_in(server.url, FORWARDED).status_code == 401
        ok = _signed_in(server.url, FORWARDED)
        assert ok.status_code == 303 and "secure" in ok.headers["set-cookie"].lower()
    finally:
        log = server.stop()
    assert "Traceback" not in log
    assert _failures_from(home) == ["203.0.113.7"]


def test_without_it_a_forwarded_address_is_not_believed(world):
    home = world["enterprise_a"]
    server = Server(home)
    try:
        assert _failed_sign_in(server.url, FORWARDED).status_code == 401
        ok = _signed_in(server.url, FORWARDED)
        assert ok.status_code == 303 and "secure" not in ok.headers["set-cookie"].lower()
    finally:
        server.stop()
    assert _failures_from(home) == ["127.0.0.1"]


@pytest.mark.parametrize("value", [["*"], ["nginx.local"], [80], "127.0.0.1"])
def test_a_trusted_proxy_must_be_an_address_or_network(value):
    with pytest.raises(ValidationFailed) as e:
        Settings.from_mapping({"web_trusted_proxies": value})
    assert "web_trusted_proxies" in str(e.value.problems[0].path)
    assert Settings.from_mapping({"web_trusted_proxies": ["127.0.0.1", "10.0.0.0/8", "::1"]}).web_trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
