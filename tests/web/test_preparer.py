"""``outsafe serve`` keeps the day's views ready (web/preparer.py): a run of ``outsafe views
prepare`` in a child process (real) when the day has turned or the catalog has grown, none
otherwise; after it the pages' views read nothing; a failing run is said once on stderr; stopping
the server stops a run in progress."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

from archive.app import Archive
from archive.campaign.dossier import contractor_dossier
from archive.checks.rules import check_archive
from archive.clock import FixedClock
from archive.facts import cache
from tests import factories
from tests.web.conftest import client
from web.app import WebApp
from web.preparer import Preparer

NOON = datetime(2026, 6, 8, 4, 0, tzinfo=timezone.utc)  # 12:00 in China


def test_a_run_when_the_day_turns_or_the_catalog_grows_and_none_otherwise(world, tmp_path, monkeypatch):
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", os.environ.get("OUTSAFE_PASSPHRASE") or "test-passphrase")
    home = world["bureau"]
    web = WebApp(home, clock=FixedClock(NOON))
    p = Preparer(web)
    a = web.archives.open()
    try:
        assert p.round(a) and p.runs == 1 and p.failed is None
        assert p.done == ("2026-06-08", a.catalog.max_seq(), a.catalog.facts.get_state("lint_run") or "")
        before = cache.computed()
        check_archive(a, as_of=date(2026, 6, 8))
        check_archive(a, as_of=date(2026, 6, 8), contractor=factories.CONTRACTOR)
        contractor_dossier(a, factories.CONTRACTOR, date(2026, 6, 8))
        assert cache.computed() == before and a.sealed.loaded == 0  # ready: read from their files
        assert not p.round(a) and p.runs == 1  # nothing new: no run

        a.add_files([factories.write(tmp_path, "p.yaml", factories.person("赵立新", factories.id_number("37010219850101001")))],
                    pdf=False)
        assert p.due(a)[:2] == ("2026-06-08", a.catalog.max_seq())  # the catalog grew
        assert p.round(a) and p.runs == 2
        tomorrow = Archive.open(home, clock=FixedClock(NOON.replace(day=9)))
        try:
            assert p.due(tomorrow)[:2] == ("2026-06-09", a.catalog.max_seq())  # the day turned
        finally:
            tomorrow.close()
    finally:
        a.close()
        web.close()


def test_a_failing_run_is_said_once_and_tried_again(world, capsys, monkeypatch):
    home = world["bureau"]
    web = WebApp(home, clock=FixedClock(NOON))
    p = Preparer(web)
    a = web.archives.open()
    views = Path(home) / "cache" / "views"
    views.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(views, 0o500)  # the child cannot take its lock file
        if os.access(views, os.W_OK):  # root writes anyway: make the lock file's name a folder instead
            os.chmod(views, 0o700)
            (views / ".prepare.lock").mkdir()
        assert p.round(a) and p.round(a)
        err = capsys.readouterr().err
        assert err.count("未能预先计算视图") == 1 and "退出码 1" in err and p.done is None
        assert "无法写入视图缓存目录" in err and "Traceback" not in err
    finally:
        os.chmod(views, 0o700)
        a.close()
        web.close()


def test_a_run_that_found_another_preparing_is_tried_again(world, monkeypatch):
    from archive.campaign.prepare import one_at_a_time

    home = world["bureau"]
    web = WebApp(home, clock=FixedClock(NOON))
    p = Preparer(web)
    a = web.archives.open()
    try:
        with one_at_a_time(a):  # another worker's run
            assert p.round(a) and p.done is None and p.failed is None
        assert p.round(a) and p.done[:2] == ("2026-06-08", a.catalog.max_seq())
    finally:
        a.close()
        web.close()


def test_stopping_the_server_stops_a_run_in_progress(world, monkeypatch):
    home = world["bureau"]
    web = WebApp(home, clock=FixedClock(NOON))
    p = Preparer(web)
    a = web.archives.open()
    t = threading.Thread(target=p.round, args=(a,))
    try:
        with monkeypatch.context() as m:
            m.setattr("web.preparer.Preparer.due", lambda self, archive: ("2026-06-08", 1))
            orig = subprocess.Popen

            def popen(cmd, **kw):  # a run that would last a minute
                return orig(["/bin/sleep", "60"], **kw)

            m.setattr("web.preparer.subprocess.Popen", popen)
            t.start()
            for _ in range(100):  # bounded: 10 s
                if p._child is not None:
                    break
                time.sleep(0.1)
            assert p._child is not None
            started = time.monotonic()
            p.stop()
            t.join(10)
            assert not t.is_alive() and time.monotonic() - started < 10 and p.done is None
    finally:
        a.close()
        web.close()


def test_the_server_starts_and_stops_its_preparer(world):
    with client(world["bureau"], prepare=True) as c:
        assert c.app.state.preparer is not None
        assert c.get("/login").status_code == 200
    assert c.app.state.preparer._stop.is_set()


def test_after_an_upgrade_the_server_judges_the_records_by_todays_rules_and_the_checks_page_says_so(world, monkeypatch):
    """Records judged only by older rules (an upgrade changed them): the checks page says the server
    is judging them; after its run (the real ``views prepare`` child) the page no longer counts them."""
    from archive.facts.index import catch_up
    from archive.facts.lint import fingerprint
    from tests.web.conftest import login

    monkeypatch.setenv("OUTSAFE_PASSPHRASE", os.environ.get("OUTSAFE_PASSPHRASE") or "test-passphrase")
    monkeypatch.setattr(Preparer, "FIRST_LOOK", 3600)  # the thread's own first look never comes: the round is run here
    home = world["bureau"]
    a = Archive.open(home)
    try:
        catch_up(a)
        ids = [r["id"] for r in a.catalog.records_after(0)]
        with a.catalog.transaction():
            a.catalog.facts.put_lint([{"record_id": i, "fingerprint": "rules-before-the-upgrade", "problems": None} for i in ids])
    finally:
        a.close()
    with client(home, prepare=True, clock=FixedClock(NOON)) as c:
        login(c, "bureau_officer")
        r = c.get("/checks")
        assert r.status_code == 200 and f"另有 {len(ids)} 条记录尚未按现行校验规则复核，服务器正在后台复核" in r.text
        preparer = c.app.state.preparer
        archive = c.app.state.web.archives.open()
        try:
            assert preparer.round(archive) and preparer.failed is None
            assert archive.catalog.facts.lint_stale(fingerprint(archive.settings)) == 0
            assert not preparer.round(archive)  # its own re-lint's mark is what it prepared for: nothing due
            with archive.catalog.transaction():
                archive.catalog.facts.set_state("lint_run", "another node's re-lint")
            assert preparer.due(archive) is not None  # a re-lint ended elsewhere (one catalog, several servers)
        finally:
            archive.close()
        r = c.get("/checks")
        assert r.status_code == 200 and "尚未按现行校验规则复核" not in r.text
