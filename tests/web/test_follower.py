"""Several `outsafe serve` processes on one archive (web/follower.py, issue 17): each keeps its own
search index and catches it up from the catalog; sessions and the access log live in the catalog,
so a record imported through one server — while a command-line writer on the other machine adds
one too — is found through both and opened through the other, and the access log written by both
stays one hash chain that ``verify`` accepts.

The two-server test runs real processes on loopback ports over a bureau archive moved onto the
throw-away PostgreSQL cluster and moto S3 server the tests start themselves (tests/services.py);
the others run on SQLite in this process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from archive.app import Archive
from archive.search.index import open_index
from tests import factories, web_world
from tests.services import free_port
from tests.web.conftest import client, login
from tests.web_world import ENTERPRISE_B, PASSWORD
from web.follower import Follower

ROOT = Path(__file__).resolve().parents[2]
OUTSAFE = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())"]
NEW_CARD = {"q": "王海军", "type": "training_record", "enterprise": ENTERPRISE_B}  # only in package_b2


def _env(s3) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **s3.env())
    env.setdefault("OUTSAFE_PASSPHRASE", "test-passphrase")
    return env


def outsafe(s3, home: Path, *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([*OUTSAFE, "--home", str(home), *args], cwd=ROOT, env=_env(s3), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


class Server:
    """`outsafe --home HOME serve --port P` in a child process on 127.0.0.1."""

    def __init__(self, home: Path, env: dict) -> None:
        from tests.browser.conftest import at_tests_day

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # on the tests' day, as the browser tests' server: the district's packages were sealed then,
        # and an import refuses records sealed ahead of its own clock (a suite run on a moved clock)
        argv, day = at_tests_day([*OUTSAFE, "--home", str(home), "serve", "--port", str(self.port)])
        env = {k: v for k, v in env.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
        env.update({k: v for k, v in day.items() if k in ("TZ", "LD_PRELOAD") or k.startswith("FAKETIME")})
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(600):  # until it listens (at most a minute)
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read().decode(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("outsafe serve did not start")

    def stop(self) -> str:
        """SIGTERM to the server (faketime's child): uvicorn shuts down, the follower stops, the
        access log is anchored; faketime then ends by itself."""
        from tests.browser.conftest import _children

        for pid in _children(self.proc.pid) or [self.proc.pid]:
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass
        try:
            out, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return out.decode(errors="replace")


def _case_id(cli_output: str) -> str | None:
    """The record id ``case add`` printed (a ULID), if any."""
    m = re.search(r"\b[0-9A-HJKMNP-TV-Z]{26}\b", cli_output)
    return m.group(0) if m else None


def sign_in(server: Server, name: str, clients: list) -> httpx.Client:
    """A client of ``server`` signed in as ``name`` (added to ``clients``, to be closed)."""
    c = httpx.Client(base_url=server.url, follow_redirects=False, timeout=60)
    clients.append(c)
    nonce = re.search(r'name="nonce" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": name, "password": PASSWORD, "nonce": nonce, "next": "/"})
    assert r.status_code == 303, r.text[:1000]
    return c


def csrf_of(c: httpx.Client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/blacklist").text).group(1)


def poll(what, until, rounds: int = 600):
    """Call ``what()`` until ``until(result)`` (at most ``rounds`` times, 0.2 s apart); the result."""
    for _ in range(rounds):
        got = what()
        if until(got):
            return got
        time.sleep(0.2)
    raise AssertionError(f"never reached: {got}")


@pytest.fixture
def two_homes(tmp_path, _world_template, pg_cluster, s3_server):
    """The web tests' bureau moved onto PostgreSQL + S3 (home A), and machine B's home: a copy of
    A's settings and keys, without A's index or temp files (B builds its own index)."""
    world = web_world.copy(_world_template, tmp_path / "world")
    a = world["bureau"]
    outsafe(s3_server, a, "migrate", "--to", pg_cluster.new_schema("serve"), "--blobs", f"s3://{s3_server.new_bucket()}/bureau")
    b = tmp_path / "bureau-b"
    shutil.copytree(a, b, symlinks=True, ignore=shutil.ignore_patterns("index", "tmp", "catalog.sqlite3*"))
    assert not (b / "index").exists()
    return world, a, b


@pytest.mark.slow
def test_two_servers_on_one_postgresql_archive(two_homes, s3_server):
    world, a, b = two_homes
    before = json.loads(outsafe(s3_server, a, "audit", "list", "--json", "--limit", "100000").stdout)["total"]
    env = _env(s3_server)
    servers = [Server(a, env), Server(b, env)]
    clients: list[httpx.Client] = []
    try:
        on_a = sign_in(servers[0], "bureau_officer", clients)
        on_b = sign_in(servers[1], "bureau_admin", clients)
        assert on_a.get("/api/me").json()["name"] == "bureau_officer" and on_b.get("/api/me").json()["name"] == "bureau_admin"
        # B started without an index: it builds its own from the catalog; the new card is nowhere yet
        found = poll(lambda: on_b.get("/api/search", params=NEW_CARD).json(), lambda r: r["behind"] == 0)
        assert found["total"] == 0
        # an upload imported through A while a command-line writer on machine B adds a card ...
        card = factories.write(b.parent / "in-cli", "card.yaml", factories.training_card(
            enterprise=ENTERPRISE_B, project="XY-WB-2026-001", record_no="XY-JY-2026-005"))
        writer = subprocess.Popen([*OUTSAFE, "--home", str(b), "case", "add", "--no-pdf", str(card)], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        files = {"package": ("鑫源-报送包.zip", world["package_b2"].read_bytes(), "application/zip")}
        r = on_a.post("/imports", data={"csrf_token": csrf_of(on_a)}, files=files)
        assert r.status_code == 303, r.text[:1000]
        job = r.headers["location"].rsplit("/", 1)[-1]
        done = poll(lambda: on_a.get(f"/api/jobs/{job}").json(), lambda j: j["state"] in ("done", "failed"))
        assert done["state"] == "done" and done["result"]["records_new"] == 1, (done.get("error"), done)
        out, err = writer.communicate(timeout=600)
        assert writer.returncode == 0 and _case_id(out), out + err
        # ... both are found through both servers: each one's own index caught up from the catalog's sequence
        for c in (on_a, on_b):
            found = poll(lambda c=c: c.get("/api/search", params=NEW_CARD).json(), lambda r: r["total"] == 2)
            assert found["behind"] == 0
        new_id = next(h["id"] for h in found["hits"] if h["id"] != _case_id(out))  # the imported card
        assert on_b.get(f"/api/records/{new_id}").json()["id"] == new_id
        assert "XY-JY-2026-001" in on_b.get(f"/records/{new_id}").text
        assert (b / "index" / "CURRENT").is_file() and (a / "index" / "CURRENT").is_file()
        assert json.loads((a / "index" / "CURRENT").read_text())["dir"] != json.loads((b / "index" / "CURRENT").read_text())["dir"]
        # both servers append to the access log at once: one chain, no number taken twice
        views = 15

        def view(c: httpx.Client) -> None:
            for _ in range(views):
                assert c.get(f"/api/records/{new_id}").status_code == 200

        threads = [threading.Thread(target=view, args=(c,)) for c in (on_a, on_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        # what B's officer did is in the log A's admin reads
        admin_on_a = sign_in(servers[0], "bureau_admin", clients)
        seen_on_a = admin_on_a.get("/api/audit", params={"user": "bureau_admin"}).json()
        assert any(e["action"] == "record_view" for e in seen_on_a["entries"]), seen_on_a
    finally:
        for c in clients:
            c.close()
        logs = [s.stop() for s in servers]
    for log in logs:
        assert "Traceback" not in log and PASSWORD not in log, log
    listed = json.loads(outsafe(s3_server, b, "audit", "list", "--json", "--limit", "100000").stdout)
    seqs = sorted(e["seq"] for e in listed["entries"])
    assert seqs == list(range(1, listed["total"] + 1))  # one sequence, no gaps, nothing twice
    new = [e for e in listed["entries"] if e["seq"] > before]
    by = {(e["account"], e["action"]) for e in new}
    assert {("bureau_officer", "login"), ("bureau_admin", "login"), ("bureau_officer", "import")} <= by
    views_logged = [e for e in new if e["action"] == "record_view" and e["target"] == new_id]
    assert len(views_logged) == 2 * views + 2  # and the two views on B before
    assert listed["anchored_upto"] == listed["total"]  # both servers anchored the head when they stopped
    for home in (a, b):
        report = json.loads(outsafe(s3_server, home, "verify", "--json").stdout)
        assert report["ok"] and report["access_log"] == listed["total"] and not report["warnings"], report


def add_elsewhere(home: Path, record_no: str, monkeypatch) -> None:
    """A record committed by a writer on another machine: in the catalog, not in this home's index
    (that writer catches up its own machine's index, not this one)."""
    with monkeypatch.context() as m:
        m.setattr("archive.app.index_after_write", lambda *a, **k: None)
        other = Archive.open(home)
        try:
            other.add_files([factories.write(home.parent / "in-new", f"{record_no}.yaml", factories.training_card(
                enterprise=ENTERPRISE_B, project="XY-WB-2026-001", record_no=record_no))], pdf=False)
        finally:
            other.close()


def test_a_search_catches_this_nodes_index_up_first(world, monkeypatch):
    """What another machine committed is found by the next search through the web (SQLite here:
    the path the servers of a PostgreSQL archive take)."""
    with client(world["bureau"]) as c:
        login(c, "bureau_officer")
        assert c.get("/api/search", params=NEW_CARD).json()["total"] == 0
        add_elsewhere(world["bureau"], "XY-JY-2026-002", monkeypatch)
        found = c.get("/api/search", params=NEW_CARD).json()
        assert found["total"] == 1 and found["behind"] == 0


def test_the_follower_builds_a_missing_index_and_follows_the_catalog(world, monkeypatch):
    """A node that starts without an index builds one; what is committed elsewhere afterwards is
    indexed by the next round; a round with nothing new does nothing."""
    home = world["bureau"]
    shutil.rmtree(home / "index")
    with client(home) as c:
        web = c.app.state.web
        follower = Follower(web)
        archive = web.archives.open()
        index = open_index(archive)
        try:
            n = archive.catalog.count_records()
            assert index.behind() == n and follower.follow(index) == n and index.behind() == 0
            assert follower.follow(index) == 0
            add_elsewhere(home, "XY-JY-2026-003", monkeypatch)
            assert index.behind() == 1 and follower.follow(index) == 1 and follower.indexed == n + 1
            assert index.search("王海军", type="training_record", enterprise=ENTERPRISE_B).total == 1
        finally:
            index.close()
            archive.close()
