"""Records judged again after an upgrade (archive/facts/lint.py ``relint_stale``, run first by
``outsafe views prepare`` and so by ``outsafe serve``): only the records without a verdict under
today's rules are read; the kept views are told (``lint_run``) in the transaction of the last
verdicts; a run stopped at any moment — an exception, SIGKILL — keeps what it judged, and the next
run goes on and ends it. Real catalog, real CLI, a real child process for the kill."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.app import Archive
from archive.facts.lint import PENDING, fingerprint, relint_stale
from cli import main
from tests.test_views import old_record_home  # noqa: F401  (a fixture: the world with an order today's rules refuse)

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-08-15"


def upgraded(home: Path) -> int:
    """Make every record's verdict one of older rules (as after an upgrade that changed them);
    the number of records."""
    from archive.facts.index import catch_up

    a = Archive.open(home)
    try:
        catch_up(a)  # the old record's facts derived (and it linted) first, as any command does
        ids = [r["id"] for r in a.catalog.records_after(0)]
        with a.catalog.transaction():
            a.catalog.facts.put_lint([{"record_id": i, "fingerprint": "rules-before-the-upgrade", "problems": None} for i in ids])
        return len(ids)
    finally:
        a.close()


def run(home: Path, *args: str) -> dict:
    r = CliRunner().invoke(main, ["--home", str(home), *args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def state(home: Path) -> tuple[int, str | None, str | None]:
    """(records without a verdict under today's rules, lint_run, lint_pending)."""
    a = Archive.open(home)
    try:
        f = a.catalog.facts
        return f.lint_stale(fingerprint()), f.get_state("lint_run"), f.get_state(PENDING)
    finally:
        a.close()


def test_views_prepare_judges_the_stale_records_first_and_the_views_then_say_what_the_rules_refuse(old_record_home):  # noqa: F811
    home, rid = old_record_home
    total = upgraded(home)
    before = run(home, "check", "--as-of", AS_OF)
    assert before["records_not_linted"] == total and before["records_refused_by_current_rules"] == []
    prepared = run(home, "views", "prepare", "--as-of", AS_OF)
    assert prepared["linted"] == {"checked": total, "refused": 1}
    after = run(home, "check", "--as-of", AS_OF)  # the kept check (before the lint) is not shown again
    assert after["records_not_linted"] == 0
    assert [(r["id"], r["problems"][0]["path"]) for r in after["records_refused_by_current_rules"]] == [(rid, "doc_no")]
    assert state(home)[0] == 0
    again = run(home, "views", "prepare", "--as-of", AS_OF)
    assert again["linted"] == {"checked": 0, "refused": 0} and again["computed"] == 0  # nothing stale: the views still true
    text = CliRunner().invoke(main, ["--home", str(home), "views", "prepare", "--as-of", AS_OF])
    assert "按现行校验规则复核" not in text.output  # said only when something was judged


def test_the_text_says_how_many_were_judged_and_refused(old_record_home):  # noqa: F811
    home, _ = old_record_home
    total = upgraded(home)
    r = CliRunner().invoke(main, ["--home", str(home), "views", "prepare", "--as-of", AS_OF])
    assert r.exit_code == 0, r.output
    assert f"按现行校验规则复核 {total} 条记录" in r.output and "1 条不符合" in r.output


def test_a_run_stopped_between_batches_keeps_its_verdicts_and_the_next_one_ends_it(old_record_home):  # noqa: F811
    home, rid = old_record_home
    total = upgraded(home)
    a = Archive.open(home)
    try:
        run_before = a.catalog.facts.get_state("lint_run")

        class Stopped(Exception):
            pass

        def stop(stage, done, of):
            raise Stopped  # after the first batch is committed

        with pytest.raises(Stopped):
            relint_stale(a, progress=stop, batch=7)
        f = a.catalog.facts
        assert f.lint_stale(fingerprint()) == total - 7
        assert f.get_state(PENDING) == fingerprint() and f.get_state("lint_run") == run_before  # not ended: the views not told
        done = relint_stale(a, batch=7)
        assert done.checked == total - 7 and f.lint_stale(fingerprint()) == 0
        assert f.get_state(PENDING) == "" and f.get_state("lint_run") != run_before
        assert f.lint(record_ids=[rid])[0]["fingerprint"] == fingerprint()
        ended = f.get_state("lint_run")
        assert relint_stale(a).checked == 0 and f.get_state("lint_run") == ended  # nothing stale: nothing written
    finally:
        a.close()


def test_a_run_stopped_after_its_last_verdicts_is_ended_by_the_next(old_record_home):  # noqa: F811
    from archive.facts.index import catch_up

    home, _ = old_record_home
    a = Archive.open(home)
    try:
        catch_up(a)
        f = a.catalog.facts
        assert f.lint_stale(fingerprint()) == 0
        with a.catalog.transaction():
            f.set_state(PENDING, fingerprint())  # what a run leaves when stopped between its last batch and its end
        run_before = f.get_state("lint_run")
        assert relint_stale(a).checked == 0
        assert f.get_state(PENDING) == "" and f.get_state("lint_run") != run_before
    finally:
        a.close()


def test_a_record_whose_data_is_not_json_is_judged_refused_not_a_crash(old_record_home):  # noqa: F811
    from archive.facts.lint import lint_problems

    assert lint_problems({"data": "{not json", "type": "rectification_order", "created_at": None}, None)[0]["path"] == ""


def test_a_run_killed_with_sigkill_keeps_whole_batches_and_the_next_run_ends_it(old_record_home):  # noqa: F811
    home, _ = old_record_home
    total = upgraded(home)
    child = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from archive.app import Archive
        from archive.facts.lint import relint_stale
        a = Archive.open({str(home)!r})
        def slow(stage, done, of):
            print(done, flush=True)
            time.sleep(0.05)
        relint_stale(a, progress=slow, batch=3)
    """)
    p = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**__import__("os").environ, "OUTSAFE_PASSPHRASE": "test-passphrase"})
    seen = [p.stdout.readline() for _ in range(3)]  # three batches committed
    assert [int(x) for x in seen] == [3, 6, 9], p.stderr.read() if p.poll() is not None else seen
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=30)
    stale, run_mark, pending = state(home)
    assert stale % 3 == total % 3 and 0 < stale <= total - 9  # whole batches only
    assert pending == fingerprint()
    a = Archive.open(home)
    try:
        assert relint_stale(a).checked == stale
    finally:
        a.close()
    after = state(home)
    assert after[0] == 0 and after[1] != run_mark and after[2] == ""


def test_verify_lint_judges_every_record_and_ends_a_stopped_relint(old_record_home):  # noqa: F811
    home, rid = old_record_home
    total = upgraded(home)
    a = Archive.open(home)
    try:
        with a.catalog.transaction():
            a.catalog.facts.set_state(PENDING, fingerprint())  # a re-lint stopped earlier
    finally:
        a.close()
    r = CliRunner().invoke(main, ["--home", str(home), "verify", "--lint", "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["checked"] == total and [x["id"] for x in got["refused"]] == [rid]
    stale, _, pending = state(home)
    assert stale == 0 and pending == ""
    check = CliRunner().invoke(main, ["--home", str(home), "check", "--as-of", AS_OF])
    assert "尚未按现行校验规则检查" not in check.output


def test_check_says_how_many_records_wait_for_todays_rules_and_what_judges_them(old_record_home):  # noqa: F811
    home, _ = old_record_home
    total = upgraded(home)
    r = CliRunner().invoke(main, ["--home", str(home), "check", "--as-of", AS_OF])
    assert r.exit_code == 0, r.output
    assert f"{total} 条记录尚未按现行校验规则检查，请运行 outsafe views prepare 或 outsafe verify --lint" in r.output
