"""`outsafe serve --workers N`: several server processes share the port, and any of them answers
any request — a session signed in through one is known to the others, and a background job one of
them runs (a submission package built, its progress polled, the file downloaded) is shown and
served by whichever process a request reaches (web.jobs: the job's state in its folder).

The job's hand-over between processes is tested directly with two ``Jobs`` over one folder (as two
processes have them); the real server with two worker processes end to end, every request on a new
connection (the kernel gives each to either process)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import threading
import time
import zipfile

import httpx2 as httpx
import pytest

from tests.browser.conftest import Server
from tests.web_world import PASSWORD
from web.jobs import STATE_FILE, Jobs, notify_of, progress_of


def test_a_job_run_by_one_process_is_shown_by_another(tmp_path):
    here, there = Jobs(tmp_path), Jobs(tmp_path)
    go = threading.Event()

    def work(job):
        progress_of(job)("write", 1, 4)
        notify_of(job)("第一步完成")
        job.publish()
        go.wait(10)
        job.file = job.folder / "报送包.zip"
        job.file.write_bytes(b"PK zip")
        job.download_name = "报送包.zip"
        job.result, job.lines = {"records": 3}, ["3 条记录"]

    job = here.start("ent_officer", "submission", "报送包", work)
    try:
        for _ in range(100):
            seen = there.get(job.id, "ent_officer")
            if seen is not None and seen.state == "running" and seen.done == 1:
                break
            time.sleep(0.05)
        assert seen.as_dict()["stage_name"] == "写入文件" and seen.total == 4 and seen.messages == ["第一步完成"]
        assert seen.as_dict()["download"] is None
        go.set()
        for _ in range(100):
            seen = there.get(job.id, "ent_officer")
            if seen.finished:
                break
            time.sleep(0.05)
        assert seen.state == "done" and seen.result == {"records": 3} and seen.lines == ["3 条记录"]
        assert seen.file == job.folder / "报送包.zip" and seen.file.read_bytes() == b"PK zip"
        assert seen.as_dict()["download"] == f"/jobs/{job.id}/download"
        # another account's job is not there for it, as a job that does not exist
        assert there.get(job.id, "other_officer") is None
        for bad in ("../../etc", "..%2F..", job.id + "/..", "", "x" * 16, job.id.lower() if job.id.lower() != job.id else "A" * 15):
            assert there.get(bad, "ent_officer") is None
    finally:
        here.close()
        there.close()
    assert there.get(job.id, "ent_officer") is None  # its process stopped: its files and its state are gone


def test_a_result_with_dates_and_paths_is_shown_by_another_process_as_the_json_twin_shows_it(tmp_path):
    from datetime import date

    here, there = Jobs(tmp_path), Jobs(tmp_path)

    def work(job):
        job.result = {"since": date(2026, 1, 1), "path": job.folder / "证据包.zip", "count": 3}

    job = here.start("bureau_officer", "evidence", "证据包", work)
    try:
        for _ in range(100):
            seen = there.get(job.id, "bureau_officer")
            if seen is not None and seen.finished:
                break
            time.sleep(0.05)
        assert seen.state == "done" and seen.result == {"since": "2026-01-01", "path": "证据包.zip", "count": 3}
    finally:
        here.close()
        there.close()


def test_a_forged_state_file_names_no_file_outside_its_folder(tmp_path):
    jobs = Jobs(tmp_path)
    jid = "A" * 16
    folder = jobs.root / jid
    folder.mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("not for the web")
    base = {"id": jid, "owner": "ent_officer", "kind": "submission", "title": "t", "state": "done", "stage": "", "done": 1, "total": 1,
            "messages": [], "lines": [], "result": {}, "error": [], "download_name": "x.zip", "started": 0.0, "ended": time.monotonic()}
    for name in ("../../secret.txt", "/etc/passwd", "..", ".job.json.1.2", "sub/x.zip"):
        (folder / STATE_FILE).write_text(json.dumps({**base, "file": name}))
        j = jobs.get(jid, "ent_officer")
        assert j is not None and j.file is None, name
    (folder / STATE_FILE).write_text(json.dumps({**base, "id": "B" * 16, "file": "x.zip"}))  # a state copied from another job
    assert jobs.get(jid, "ent_officer") is None
    (folder / STATE_FILE).write_text("{not json")
    assert jobs.get(jid, "ent_officer") is None


def _sign_in(url: str, name: str) -> httpx.Client:
    # no kept connections: every request opens a new one, which either process may accept
    c = httpx.Client(base_url=url, limits=httpx.Limits(max_keepalive_connections=0), timeout=60, follow_redirects=False)
    page = c.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": name, "password": PASSWORD, "nonce": nonce, "next": "/"})
    assert r.status_code == 303, r.text[:500]
    return c


def _descendants(pid: int) -> list[int]:
    out = [int(x) for x in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    return out + [d for child in out for d in _descendants(child)]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_two_worker_processes_answer_one_browser(world):
    server = Server(world["enterprise_a"], workers=2)
    try:
        # outsafe serve (uvicorn's supervisor, under faketime) and its two worker processes
        workers = [p for p in _descendants(server.proc.pid) if "multiprocessing.spawn" in _cmdline(p)]
        assert len(workers) == 2, [_cmdline(p) for p in _descendants(server.proc.pid)]
        c = _sign_in(server.url, "ent_officer")
        for _ in range(10):  # the session is known to whichever process answers
            assert c.get("/api/me").json()["name"] == "ent_officer"
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/blacklist").text).group(1)
        r = c.post("/exports/submission", data={"csrf_token": token, "since": "2026-01-01"}, headers={"origin": server.url})
        assert r.status_code == 303 and r.headers["location"].startswith("/jobs/"), r.text[:500]
        jid = r.headers["location"].rsplit("/", 1)[-1]
        states = []
        for _ in range(600):  # bounded: at most 600 polls, 0.2 s apart
            got = c.get(f"/api/jobs/{jid}")
            assert got.status_code == 200, got.text[:300]  # never "no such job", whichever process answers
            states.append(got.json()["state"])
            if states[-1] in ("done", "failed"):
                break
            time.sleep(0.2)
        j = got.json()
        assert j["state"] == "done", j["error"]
        for _ in range(6):  # the page and the download, from either process
            assert "下载" in c.get(f"/jobs/{jid}").text
        file = c.get(j["download"])
        assert file.status_code == 200 and file.headers["content-disposition"].startswith("attachment")
        names = zipfile.ZipFile(io.BytesIO(file.content)).namelist()
        assert any(n.endswith("manifest-sha256.txt") for n in names)
    finally:
        log = server.stop()
    assert PASSWORD not in log
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("workers", ["0", "17", "two"])
def test_workers_out_of_range_are_refused_with_one_message(world, workers):
    from click.testing import CliRunner

    from cli import main

    r = CliRunner().invoke(main, ["--home", str(world["enterprise_a"]), "serve", "--workers", workers])
    assert r.exit_code == 2 and "--workers" in r.output and "Traceback" not in r.output
    assert os.environ.get("OUTSAFE_SERVE_HOME") is None
