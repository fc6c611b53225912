"""The browser suite: Playwright for Python driving Debian's chromium (scripts/setup.sh installs
it; Playwright's own browser download cannot work here) against `outsafe serve` started on
127.0.0.1 on a free port, over a private copy of the web tests' district (tests/web_world.py).

Screenshots of every page at 360 px and 1280 px go to test-artefacts/browser/ (git-ignored):
look at them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import web_world

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "browser"
WIDTHS = (360, 1280)

pytestmark = pytest.mark.browser


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def at_tests_day(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """``argv`` run on the tests' clock: its machine clock starts at :data:`tests.conftest.TODAY_AT`
    and ticks (libfaketime, installed by scripts/setup.sh), whatever the day the suite runs — the
    server is the real `outsafe serve`, reading the machine's clock as in production, and the web
    district's records (certificates, deadlines, the campaign's dates) are judged on the day they
    were written for. A libfaketime of the whole suite (.ci/run's second pass) is taken off first:
    nested, the two would add their offsets."""
    from datetime import timezone

    from tests.conftest import TODAY_AT

    faketime = shutil.which("faketime")
    if faketime is None:
        raise RuntimeError("faketime is missing: run scripts/setup.sh (Debian package faketime)")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    env["TZ"] = "UTC"
    return [faketime, TODAY_AT.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), *argv], env


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def forget_faketime(pid: int) -> None:
    """What a faketime wrapper killed before its child leaves in /dev/shm."""
    for name in (f"sem.faketime_sem_{pid}", f"faketime_shm_{pid}"):
        try:
            os.unlink(f"/dev/shm/{name}")
        except OSError:
            pass


class Server:
    """`outsafe --home HOME serve` in a child process (on the tests' day), stopped at the end."""

    def __init__(self, home: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        exe = Path(sys.executable).with_name("outsafe")
        argv, env = at_tests_day([str(exe), "--home", str(home), "serve", "--port", str(self.port), "--workers", str(workers)])
        # its own process group: faketime runs the server as its child, and both are stopped together
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(300):  # up to 30 s for the server to listen
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read().decode(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("outsafe serve did not start")

    def stop(self) -> str:
        # SIGTERM to the server, not to faketime: faketime then exits by itself and removes its
        # semaphore and shared memory (/dev/shm/*faketime*_<pid>). Killed, it leaves them behind,
        # and a later faketime given the same pid (pid_max is 32768 here) refuses to start.
        for pid in _children(self.proc.pid):
            _kill(pid, signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            out, _ = self.proc.communicate()
            forget_faketime(self.proc.pid)
        return out.decode(errors="replace")

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def district(tmp_path_factory, _world_template):
    return web_world.copy(_world_template, tmp_path_factory.mktemp("browser") / "world")


@pytest.fixture(scope="module")
def bureau_server(district):
    s = Server(district["bureau"])
    yield s
    log = s.stop()
    assert web_world.PASSWORD not in log


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: run scripts/setup.sh"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    p = ctx.new_page()
    p.set_default_timeout(20_000)
    yield p
    ctx.close()


def sign_in(page, server: Server, name: str, password: str = web_world.PASSWORD) -> None:
    page.goto(server.url + "/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def shoot(page, name: str) -> list[Path]:
    """Screenshots of the current page at 360 px and 1280 px (full page)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    out = []
    size = page.viewport_size
    for w in WIDTHS:
        page.set_viewport_size({"width": w, "height": 900})
        path = ARTEFACTS / f"{name}-{w}.png"
        page.screenshot(path=str(path), full_page=True)
        out.append(path)
    page.set_viewport_size(size)
    return out
