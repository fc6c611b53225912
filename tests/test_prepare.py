"""Views prepared ahead (archive/campaign/prepare.py, ``outsafe views prepare``): after a run every
view a user may open today opens from its kept result without reading a record, and it is what
the view computes; a second run computes nothing; a new record makes only the views it concerns be
computed again; a new day, all of them; one run at a time; a run killed with SIGKILL leaves every
kept result whole. Real catalog, real processes (the CLI in-process through CliRunner, and a child
process for the kill)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.campaign_factories as cf
from archive.app import Archive
from archive.campaign.dashboard import dashboard
from archive.campaign.dossier import contractor_dossier
from archive.campaign.prepare import LOCK_NAME, one_at_a_time, planned, scopes
from archive.campaign.rectify import rectification_report
from archive.checks.rules import check_archive
from archive.facts import cache
from bench.views.district import District
from cli import main
from tests.test_views import check_dict, district_archive, store

DAY = date(2026, 11, 30)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", name="district")
def district_fixture(tmp_path_factory):
    a = district_archive(tmp_path_factory, District(seed=23, enterprises=4, contractors=9, records=500))
    yield a
    a.close()


@pytest.fixture(name="home")
def home_fixture(district, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    return cf.copy_home(Path(district.home.root), tmp_path / "archive")


def prepare(home: Path, *args: str) -> dict:
    r = CliRunner().invoke(main, ["--home", str(home), "views", "prepare", "--json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def shown(a: Archive, day: date) -> dict:
    """Every view the run prepares, as the user gets it (the records the views read are counted in
    ``a.sealed.loaded``)."""
    out = {}
    for view, scope, call in planned(a, day, *scopes(a)):
        got = call()
        if isinstance(got, dict):  # the checks' overview (the web's 五查 page)
            out[(view, scope)] = json.loads(json.dumps(got, default=str))
        else:
            out[(view, scope)] = check_dict(got) if hasattr(got, "rules") else json.loads(json.dumps(got.as_dict(), default=str))
    return out


def computed_fresh(home: Path, day: date) -> dict:
    """The same views computed with nothing kept."""
    shutil.rmtree(home / "cache" / "views", ignore_errors=True)
    a = Archive.open(home)
    try:
        return shown(a, day)
    finally:
        a.close()


def new_hazard(a: Archive, e: str, number: str, description: str | None = None) -> None:
    """A hazard of enterprise ``e`` naming the contractor of its first project, stored."""
    contractor = json.loads(a.catalog.facts.linked("home", [e], types=["project"])[0]["info"])["contractor"]
    case = next(c for c in District(seed=99, enterprises=1, contractors=1, records=30).cases() if c.type == "hazard")
    case.data.update(enterprise=e, contractor=contractor, project=None, hazard_no=number, deadline="2026-07-01")
    if description is not None:
        case.data["description"] = description
    store(a, [case])


def contractors_of(a: Archive, e: str) -> list[str]:
    return sorted({json.loads(r["info"])["contractor"] for r in a.catalog.facts.linked("home", [e], types=["project"])})

def test_prepared_views_open_without_reading_a_record_and_are_what_the_views_compute(home):
    first = prepare(home, "--as-of", DAY.isoformat())
    a = Archive.open(home)
    enterprises, contractors = scopes(a)
    assert len(enterprises) == 4 and len(contractors) >= 3
    assert first["views"] == 3 + 3 * len(enterprises) + 2 * len(contractors)
    # each view computed, but for one whose result another computed first (the rectification status: the dashboard's)
    assert first["views"] - 2 <= first["computed"] < first["views"] and first["problems"] == [] and not first["busy"]

    before = cache.computed()
    got = shown(a, DAY)  # a new process's first look: every view from its file
    assert a.sealed.loaded == 0 and cache.computed() == before
    a.close()
    assert got == computed_fresh(home, DAY)

    again = prepare(home, "--as-of", DAY.isoformat())  # nothing new: nothing computed
    assert again["computed"] == 0 and again["kept"] == again["views"]


def test_a_new_record_makes_only_the_views_it_concerns_be_computed_again(home):
    prepare(home, "--as-of", DAY.isoformat())
    a = Archive.open(home)
    new_hazard(a, scopes(a)[0][0], "YH-NEW-1")
    a.close()

    after = prepare(home, "--as-of", DAY.isoformat())
    assert 0 < after["computed"] < after["views"] / 2
    a = Archive.open(home)
    before = cache.computed()
    got = shown(a, DAY)
    assert a.sealed.loaded == 0 and cache.computed() == before  # all ready again, the new record's views too
    a.close()
    assert got == computed_fresh(home, DAY)


def test_a_record_of_one_enterprise_leaves_the_other_accounts_dashboards_kept(home):
    """An enterprise account's rectification status and dashboard depend on the records that
    belong to the enterprise (and on the organizations, and the dashboard on the package log), not
    on every record: after a hazard of one enterprise, the other accounts' are read back, its own
    are computed again — and every view is still what it is computed afresh."""
    prepare(home, "--as-of", DAY.isoformat())
    a = Archive.open(home)
    enterprises, _ = scopes(a)
    e = enterprises[1]
    new_hazard(a, e, "YH-NEW-2")
    for view in (lambda f: rectification_report(a, as_of=DAY, within=f), lambda f: dashboard(a, as_of=DAY, within=f)):
        again = {}
        for f in enterprises:
            before = cache.computed()
            view(f)
            again[f] = cache.computed() > before
        assert again == {f: f == e for f in enterprises}
    before = cache.computed()
    dashboard(a, as_of=DAY)  # the bureau's own: every record
    assert cache.computed() > before
    got = shown(a, DAY)
    a.close()
    assert got == computed_fresh(home, DAY)


def test_after_a_record_the_changes_are_read_once_and_only_what_is_computed_is_written(home, monkeypatch):
    """After a new record, a preparation asks the catalog what the new records touch once (not
    once per kept view), and rewrites only the files of the views it computes again: a view still
    true moves on to the new top in the process's memory, its file left as it was."""
    prepare(home, "--as-of", DAY.isoformat())
    folder = home / "cache" / "views"

    def files() -> dict[str, bytes]:
        return {f.name: f.read_bytes() for f in folder.glob("*.json") if not f.name.startswith(".")}

    a = Archive.open(home)
    new_hazard(a, scopes(a)[0][0], "YH-NEW-3")
    store_class = type(a.catalog.facts)
    a.close()
    before = files()
    asked = []
    real = store_class.changes
    monkeypatch.setattr(store_class, "changes", lambda self, after: asked.append(after) or real(self, after))
    after = prepare(home, "--as-of", DAY.isoformat())
    assert 0 < after["computed"] < after["views"] / 2
    assert len(asked) == len(set(asked)) and len(asked) <= 2, asked  # the previous run's top (and its parts' own)
    now = files()
    changed = [k for k in before if now.get(k) != before[k]]
    # a view computed writes its file, and beside it the whole check its parts and a checks overview its report's;
    # the whole archive's overview its rules' cuts too (one for each rule, of the report computed again)
    rewritten = [k for k in changed if "-rule-" not in k]
    cuts = {k.split("-rule-")[0] for k in changed if "-rule-" in k}
    assert len(cuts) == 1 and cuts <= {k.split("-")[0] for k in rewritten}, cuts
    assert 0 < len(rewritten) <= 3 * after["computed"] and len(rewritten) < len(before) / 2, (len(rewritten), len(before))
    monkeypatch.undo()
    a = Archive.open(home)
    got = shown(a, DAY)
    a.close()
    assert got == computed_fresh(home, DAY)  # and what the files hold is still what is computed afresh


def test_the_homes_of_a_scope_are_asked_once_per_catalog_top(home, monkeypatch):
    """An enterprise account's dashboard goes home by home three times (its campaign status and
    rectification items, its blacklists): the homes of its scope are asked of the catalog once,
    and again after a new record — which can be a new home's."""
    a = Archive.open(home)
    try:
        e = scopes(a)[0][0]
        store_class = type(a.catalog.facts)
        asked = []
        real = store_class.keys
        monkeypatch.setattr(store_class, "keys", lambda self, role, **kw: asked.append((role, kw.get("within"))) or real(self, role, **kw))
        first = dashboard(a, as_of=DAY, within=e).as_dict()
        assert asked.count(("home", e)) == 1, asked
        new_hazard(a, e, "YH-NEW-HOMES")
        a.views.clear()
        second = dashboard(a, as_of=DAY, within=e).as_dict()
        assert asked.count(("home", e)) == 2, asked
        assert second != first  # the new hazard is on it
    finally:
        a.close()


@pytest.mark.parametrize("about_a_confined_space", [False, True])
def test_a_hazard_leaves_the_checks_of_the_enterprises_contractors_kept_unless_it_is_about_a_confined_space(home, about_a_confined_space):
    """A contractor's check reads, of the enterprises it works for, only the orders, inspections
    and hazards about confined spaces (CS-1): a new hazard of the enterprise about anything else
    leaves the checks of its other contractors kept; one about a confined space computes them
    again. Either way every view is what it is computed afresh."""
    prepare(home, "--as-of", DAY.isoformat())
    a = Archive.open(home)
    e = max(scopes(a)[0], key=lambda x: len(contractors_of(a, x)))
    named = json.loads(a.catalog.facts.linked("home", [e], types=["project"])[0]["info"])["contractor"]
    others = [c for c in contractors_of(a, e) if c != named]
    assert others
    new_hazard(a, e, "YH-NEW-4", "有限空间入口未设置警示标志，通风设备损坏。" if about_a_confined_space else None)
    again = {}
    for c in [named, *others]:
        before = cache.computed()
        check_archive(a, as_of=DAY, contractor=c)
        again[c] = cache.computed() > before
    assert again == {c: c == named or about_a_confined_space for c in [named, *others]}
    got = shown(a, DAY)
    a.close()
    assert got == computed_fresh(home, DAY)


def test_a_new_day_computes_every_view_again(home):
    prepare(home, "--as-of", DAY.isoformat())
    nxt = prepare(home, "--as-of", (DAY + timedelta(days=1)).isoformat())
    assert nxt["views"] - 2 <= nxt["computed"] < nxt["views"]


def test_one_run_at_a_time(home):
    a = Archive.open(home)
    try:
        with one_at_a_time(a):  # another run holds the lock (a new open file: flock excludes it too)
            r = CliRunner().invoke(main, ["--home", str(home), "views", "prepare"])
            assert r.exit_code == 0 and "另一个进程" in r.output
            busy = prepare(home)
            assert busy["busy"] and busy["views"] == 0
    finally:
        a.close()
    assert not list((home / "cache" / "views").glob("*.json"))  # the second run wrote nothing
    assert prepare(home)["views"] > 0  # free again


def test_a_view_that_cannot_be_computed_is_said_and_the_others_are_prepared(home, monkeypatch):
    from archive.campaign import dossier
    from archive.errors import OutsafeError

    real = dossier._dossier
    a = Archive.open(home)
    bad = scopes(a)[1][0]
    a.close()

    def refuse(archive, uscc, *args, **kw):
        if uscc == bad:
            raise OutsafeError(f"单位 {uscc} 的档案无法生成 (test)")
        return real(archive, uscc, *args, **kw)

    monkeypatch.setattr(dossier, "_dossier", refuse)
    r = CliRunner().invoke(main, ["--home", str(home), "views", "prepare", "--as-of", DAY.isoformat()])
    assert r.exit_code == 1
    assert f"未能准备 (not prepared): dossier {bad}: 单位 {bad} 的档案无法生成 (test)" in r.output
    assert "Traceback" not in r.output
    monkeypatch.setattr(dossier, "_dossier", real)
    assert prepare(home, "--as-of", DAY.isoformat())["computed"] == 1  # only the one that failed was left to compute


def kept_files(folder: Path) -> list[Path]:
    """The kept results (``*.json``; not a writer's ``.tmp-*.json``, which pathlib's glob matches)."""
    return [f for f in folder.glob("*.json") if not f.name.startswith(".")]


def test_a_run_killed_with_sigkill_leaves_every_kept_result_whole(home):
    folder = home / "cache" / "views"
    cmd = [sys.executable, "-m", "cli", "--home", str(home), "views", "prepare", "--as-of", DAY.isoformat()]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # bounded: 60 s
            if len(kept_files(folder)) >= 8:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the run ended before it could be killed"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    kept = kept_files(folder)
    assert len(kept) >= 8
    a = Archive.open(home)
    mac_key = cache._mac_key(a)
    a.close()
    for f in kept:
        head, _, body = f.read_bytes().partition(b"\n")  # whole: its MAC holds (archive.facts.cache)
        assert cache._unwrap(mac_key, f.stem, f.read_bytes())[0] == "ok", f.name
        assert set(json.loads(body)) - {"packages"} == {"seq", "deps", "value"}, f.name
    for f in folder.glob(".tmp-*"):  # what the killed run was writing, made old (by the file system's clock): swept by the next run
        old = f.stat().st_mtime - 7200
        os.utime(f, (old, old))
    done = prepare(home, "--as-of", DAY.isoformat())
    assert 0 < done["computed"] < done["views"]  # what was kept before the kill is taken as it is
    assert not list(folder.glob(".tmp-*"))
    a = Archive.open(home)
    got = shown(a, DAY)
    assert a.sealed.loaded == 0
    a.close()
    assert got == computed_fresh(home, DAY)


def test_the_lock_file_is_the_owners_only(home):
    prepare(home)
    assert (home / "cache" / "views" / LOCK_NAME).stat().st_mode & 0o077 == 0


def test_dashboards_and_dossiers_read_nothing_once_prepared(home):
    """The web's pages of an enterprise account and the bureau's dossier pages (the calls web/views.py makes)."""
    prepare(home, "--as-of", DAY.isoformat())
    a = Archive.open(home)
    enterprises, contractors = scopes(a)
    before = cache.computed()
    for e in enterprises:
        dashboard(a, as_of=DAY, within=e)
        check_archive(a, as_of=DAY, enterprise=e, within=e)
    for c in contractors:
        contractor_dossier(a, c, DAY)
    assert cache.computed() == before and a.sealed.loaded == 0
    a.close()


def _age(path: Path, days: float) -> None:
    """Make ``path`` look unused for ``days`` days, by the file system's clock (its own time)."""
    at = path.stat().st_mtime - days * 86400
    os.utime(path, (at, at))


def test_kept_results_unused_for_days_are_swept_and_read_ones_stay(home):
    """Each day adds a new set of kept results (its day is in their key): without a sweep
    cache/views would only grow. A result unused for ``views_keep_days`` days goes; one read in the
    meantime stays (reading touches it); the lock and the sweep's own mark stay; the views are the
    same afterwards, computed again where they were removed."""
    folder = home / "cache" / "views"
    first = prepare(home, "--as-of", DAY.isoformat())
    assert first["removed"] == {"files": 0, "bytes": 0}
    yesterday = sorted(kept_files(folder))
    assert len(yesterday) >= first["views"]
    for f in yesterday:
        _age(f, 4)
    aged = max(f.stat().st_mtime for f in yesterday)
    a = Archive.open(home)
    enterprises, _ = scopes(a)
    check_archive(a, as_of=DAY, enterprise=enterprises[0])  # read from its file: touched now
    a.close()
    read = [f for f in yesterday if f.stat().st_mtime > aged + 3 * 86400]
    assert len(read) >= 1
    size = sum(f.stat().st_size for f in yesterday if f not in read)
    nxt = prepare(home, "--as-of", (DAY + timedelta(days=1)).isoformat())
    assert nxt["removed"] == {"files": len(yesterday) - len(read), "bytes": size}
    assert all(f.exists() for f in read) and not any(f.exists() for f in yesterday if f not in read)
    assert (folder / LOCK_NAME).exists() and (folder / cache.SWEEP_MARK).exists()
    # the day swept is computed again when asked, and is what it was
    assert prepare(home, "--as-of", DAY.isoformat())["computed"] > 0
    a = Archive.open(home)
    got = shown(a, DAY)
    a.close()
    assert got == computed_fresh(home, DAY)


def test_a_keep_of_zero_days_keeps_everything_and_the_text_says_what_went(home):
    folder = home / "cache" / "views"
    prepare(home, "--as-of", DAY.isoformat())
    for f in kept_files(folder):
        _age(f, 400)
    settings = home / "outsafe.toml"
    text = settings.read_text(encoding="utf-8")
    assert "\n[settings]\n" in text
    settings.write_text(text.replace("\n[settings]\n", "\n[settings]\nviews_keep_days = 0\n"), encoding="utf-8")
    assert prepare(home, "--as-of", DAY.isoformat())["removed"]["files"] == 0
    settings.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(main, ["--home", str(home), "views", "prepare", "--as-of", DAY.isoformat()])
    assert r.exit_code == 0, r.output
    assert "清除久未使用的视图结果 (kept results unused for days, removed):" in r.output


def test_a_writer_sweeps_once_a_day_without_a_preparation(home):
    """An archive nobody prepares (the command line only) is swept by the processes that keep
    results: once a day, judged by the sweep's mark."""
    folder = home / "cache" / "views"
    prepare(home, "--as-of", DAY.isoformat())
    stale = sorted(kept_files(folder))
    for f in stale:
        _age(f, 5)
    a = Archive.open(home)
    enterprises, _ = scopes(a)
    check_archive(a, as_of=DAY + timedelta(days=2), enterprise=enterprises[0])  # keeps a result: the mark is fresh, no sweep
    assert all(f.exists() for f in stale)
    _age(folder / cache.SWEEP_MARK, 1.5)
    check_archive(a, as_of=DAY + timedelta(days=3), enterprise=enterprises[0])
    a.close()
    assert not any(f.exists() for f in stale)


def test_a_views_folder_that_cannot_be_written_is_one_clear_message(home):
    shutil.rmtree(home / "cache", ignore_errors=True)
    (home / "cache").write_text("not a folder", encoding="utf-8")  # root writes anywhere: a file where the folder goes
    r = CliRunner().invoke(main, ["--home", str(home), "views", "prepare", "--as-of", DAY.isoformat()])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "无法写入视图缓存目录 (cannot write the kept views' folder)" in r.output
    assert (home / "cache").read_text(encoding="utf-8") == "not a folder"


def test_a_filtered_dependency_is_touched_only_by_a_new_row_its_filter_accepts():
    """``Deps.touched_by`` with links read through a :class:`cache.RowFilter`: a new row the filter
    refuses leaves the result true; one it accepts, a correction among the new records, a filter
    this process does not know, or no way to read the new rows, each make it computed again."""
    import archive.checks.stream  # noqa: F401  (registers the views' filters)

    only = cache.RowFilter("confined-findings", names=["1号污水井"])
    deps = cache.Deps()
    deps.add_filtered(only, ["E1"], "home", ["hazard"])
    assert cache.Deps.from_dict(json.loads(json.dumps(deps.as_dict()))) == deps  # kept in the result's file as it is

    def row(text: str) -> dict:
        return {"info": json.dumps({"texts": [text]}, ensure_ascii=False)}

    changed = ({"home|E1|hazard", "home|E1"}, {"hazard"})
    assert not deps.touched_by(changed, lambda key: [row("配电箱未上锁")])
    assert deps.touched_by(changed, lambda key: [row("配电箱未上锁"), row("1号污水井盖板缺失")])
    assert deps.touched_by(changed, lambda key: [row("有限空间未设警示标志")])
    assert deps.touched_by((changed[0] | {cache.CORRECTED}, changed[1]), lambda key: [row("配电箱未上锁")])
    assert deps.touched_by(changed)  # the new rows cannot be read (a part of the whole check): computed again
    assert not deps.touched_by(({"home|E2|hazard"}, {"hazard"}), lambda key: [row("有限空间")])  # not its links
    unknown = cache.Deps(filtered={json.dumps(["no-such-filter", {}]): {"home|E1|hazard"}})
    assert unknown.touched_by(changed, lambda key: [row("配电箱未上锁")])


def test_a_correction_among_the_new_records_is_said(home):
    """What new records touch names a correction (so that no filtered dependency trusts the new
    rows alone: the corrected version, which the filter accepted, is gone)."""
    a = Archive.open(home)
    try:
        top = a.catalog.max_seq()
        first = next(c for c in District(seed=97, enterprises=1, contractors=1, records=30).cases() if c.type == "hazard")
        e = scopes(a)[0][0]
        first.data.update(enterprise=e, contractor=contractors_of(a, e)[0], project=None, hazard_no="YH-NEW-5")
        store(a, [first])
        assert cache.CORRECTED not in cache.touched(a, top)[0]
        again = dataclasses.replace(first, key=first.key + "-again", data={**first.data, "hazard_no": "YH-NEW-6"})
        fixed = dataclasses.replace(again, key=first.key + "-fix", data={**again.data, "description": "配电箱未上锁。"},
                                    supersedes=again.key)  # the bulk path corrects a record of the same batch
        store(a, [again, fixed])
        assert cache.CORRECTED in cache.touched(a, top)[0]
    finally:
        a.close()


def test_the_checks_overview_is_its_report_cut_and_is_read_without_it(home):
    """The web's 五查 page shows an overview kept beside the report: the summary, each rule's
    verdict and count with its first findings — exactly the report's — read back without the report
    (its file gone, no record read), and true exactly as long as the report is."""
    from archive.checks.stream import check_overview, check_view

    def norm(x):
        return json.loads(json.dumps(x, default=str))

    def cut(full: dict) -> list:
        return [(r["id"], r["status"], len(r["findings"]), r["findings"][:2]) for r in norm(full)["rules"]]

    a = Archive.open(home)
    e = scopes(a)[0][0]
    first = {}
    for enterprise in (None, e):
        o = norm(check_overview(a, DAY, enterprise=enterprise, within=enterprise, first=2))
        full = check_view(a, DAY, enterprise=enterprise, within=enterprise).as_dict()
        assert o["summary"] == norm(full)["summary"] and [(r["id"], r["status"], r["total"], r["findings"]) for r in o["rules"]] == cut(full)
        assert any(r["total"] > 2 for r in o["rules"])  # cut somewhere
        first[enterprise] = o
    a.close()
    for f in (home / "cache" / "views").glob("*.json"):
        if "-overview-" not in f.name:
            f.unlink()  # the reports (and every other view) gone: the overviews answer alone
    a = Archive.open(home)
    for enterprise in (None, e):
        assert norm(check_overview(a, DAY, enterprise=enterprise, within=enterprise, first=2)) == first[enterprise]
    assert a.sealed.loaded == 0
    new_hazard(a, e, "YH-OV-1", "动火作业点周边 10 米范围内堆放木料")  # the enterprise's report changes: its overview with it
    for enterprise in (None, e):
        o = norm(check_overview(a, DAY, enterprise=enterprise, within=enterprise, first=2))
        full = check_view(a, DAY, enterprise=enterprise, within=enterprise).as_dict()
        assert o["summary"] == norm(full)["summary"] and [(r["id"], r["status"], r["total"], r["findings"]) for r in o["rules"]] == cut(full)
        assert o != first[enterprise]
    a.close()


def test_one_rules_page_reads_that_rule_kept_beside_its_report(home, monkeypatch):
    """A rule's own page on the web (``?rule=E3``) reads that rule's findings kept beside the report
    in pieces — the whole archive's with its overview, an enterprise's on the first page asked —
    exactly the report's, read back without the report (its file gone, no record read), a slice
    reading only the pieces it spans; true exactly as long as the report is; and a piece gone
    makes the rule's findings come from the report again, whole and right."""
    from archive.checks import stream
    from archive.checks.rules import RULES
    from archive.checks.stream import check_overview, check_rule, check_view

    monkeypatch.setattr(stream, "PIECE_ROWS", 3)

    def norm(x):
        return json.loads(json.dumps(x, default=str))

    def rule_of(full: dict, rid: str) -> dict:
        (r,) = [r for r in norm(full)["rules"] if r["id"] == rid]
        return {"id": rid, "status": r["status"], "total": len(r["findings"]), "findings": r["findings"]}

    def shown(cut: dict) -> dict:
        r = cut["rule"]
        return {"id": r["id"], "status": r["status"], "total": r["total"], "findings": norm(list(r["findings"]))}

    a = Archive.open(home)
    e = scopes(a)[0][0]
    check_overview(a, DAY)  # the bureau's overview keeps its rules beside it
    check_rule(a, DAY, "e3", enterprise=e, within=e)  # an enterprise's: the first rule's page asked keeps them all
    first = {}
    for enterprise in (None, e):
        full = check_view(a, DAY, enterprise=enterprise, within=enterprise).as_dict()
        for rule in RULES:
            got = check_rule(a, DAY, rule.id, enterprise=enterprise, within=enterprise)
            assert shown(got) == rule_of(full, rule.id) and norm(got["summary"]) == norm(full)["summary"]
            first[enterprise, rule.id] = shown(got)
    big = [(k, v) for k, v in first.items() if v["total"] > 7]
    assert big  # a rule of several pieces
    a.close()
    folder = home / "cache" / "views"
    for f in folder.glob("*.json"):
        if "-rule-" not in f.name:
            f.unlink()  # the reports, their overviews and every other view gone: the rules' cuts answer alone
    a = Archive.open(home)
    for (enterprise, rid), want in first.items():
        assert shown(check_rule(a, DAY, rid, enterprise=enterprise, within=enterprise)) == want
    assert a.sealed.loaded == 0
    a.close()
    (enterprise, rid), want = big[0]
    a = Archive.open(home)
    read = []
    real = stream.cache.load
    monkeypatch.setattr(stream.cache, "load", lambda archive, k: read.append(k) or real(archive, k))
    got = check_rule(a, DAY, rid, enterprise=enterprise, within=enterprise)["rule"]["findings"]
    assert norm(got[4:6]) == want["findings"][4:6] and norm(got[-1]) == want["findings"][-1]
    assert [k.rsplit("-", 1)[1] for k in read if "-rule-" in k] == [rid.split("-")[-1], "1", str((want["total"] - 1) // 3)], read
    monkeypatch.setattr(stream.cache, "load", real)
    a.close()
    for f in folder.glob(f"*-rule-{rid}-1.json"):
        f.unlink()  # one piece gone (swept): the report is read again for the rule's findings
    a = Archive.open(home)
    got = check_rule(a, DAY, rid, enterprise=enterprise, within=enterprise)
    assert shown(got) == want
    new_hazard(a, e, "YH-RULE-1", "动火作业点周边 10 米范围内堆放木料")  # the enterprise's report changes: its rules' cuts with it
    for enterprise in (None, e):
        full = check_view(a, DAY, enterprise=enterprise, within=enterprise).as_dict()
        got = {r.id: shown(check_rule(a, DAY, r.id, enterprise=enterprise, within=enterprise)) for r in RULES}
        assert all(got[r.id] == rule_of(full, r.id) for r in RULES)
        assert any(got[r.id] != first[enterprise, r.id] for r in RULES)
    a.close()
