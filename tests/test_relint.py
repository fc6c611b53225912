"""Records judged again after an upgrade (archive/facts/lint.py ``relint_stale``, run first by
``outsafe views prepare`` and so by ``outsafe serve``): only the records without a verdict under
today's rules are read; the kept views are told (``lint_run``) in the transaction of the last
verdicts; a run stopped at any moment — an exception, SIGKILL — keeps what it judged, and the next
run goes on and ends it. Real catalog, real CLI, a real child process for the kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.app import Archive
from archive.clock import FixedClock
from archive.facts.lint import LEASE, LEASE_SECONDS, PENDING, fingerprint, relint_stale
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


def fp(home: Path) -> str:
    """The fingerprint of the rules the archive at ``home`` judges by (its schemas and settings)."""
    a = Archive.open(home)
    try:
        return fingerprint(a.settings)
    finally:
        a.close()


def state(home: Path) -> tuple[int, str | None, str | None]:
    """(records without a verdict under today's rules, lint_run, lint_pending)."""
    a = Archive.open(home)
    try:
        f = a.catalog.facts
        return f.lint_stale(fingerprint(a.settings)), f.get_state("lint_run"), f.get_state(PENDING)
    finally:
        a.close()


def test_views_prepare_judges_the_stale_records_first_and_the_views_then_say_what_the_rules_refuse(old_record_home):  # noqa: F811
    home, rid = old_record_home
    total = upgraded(home)
    before = run(home, "check", "--as-of", AS_OF)
    assert before["records_not_linted"] == total and before["records_refused_by_current_rules"] == []
    prepared = run(home, "views", "prepare", "--as-of", AS_OF)
    assert prepared["linted"] == {"checked": total, "refused": 1, "busy": False}
    after = run(home, "check", "--as-of", AS_OF)  # the kept check (before the lint) is not shown again
    assert after["records_not_linted"] == 0
    assert [(r["id"], r["problems"][0]["path"]) for r in after["records_refused_by_current_rules"]] == [(rid, "doc_no")]
    assert state(home)[0] == 0
    again = run(home, "views", "prepare", "--as-of", AS_OF)
    assert again["linted"] == {"checked": 0, "refused": 0, "busy": False} and again["computed"] == 0  # nothing stale: the views still true
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
        assert f.lint_stale(fingerprint(a.settings)) == total - 7
        assert f.get_state(PENDING) == fingerprint(a.settings) and f.get_state("lint_run") == run_before  # not ended: the views not told
        assert f.get_state(LEASE) == ""  # released as it stopped: the next run need not wait
        done = relint_stale(a, batch=7)
        assert done.checked == total - 7 and f.lint_stale(fingerprint(a.settings)) == 0
        assert f.get_state(PENDING) == "" and f.get_state("lint_run") != run_before
        assert f.lint(record_ids=[rid])[0]["fingerprint"] == fingerprint(a.settings)
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
        assert f.lint_stale(fingerprint(a.settings)) == 0
        with a.catalog.transaction():
            f.set_state(PENDING, fingerprint(a.settings))  # what a run leaves when stopped between its last batch and its end
        run_before = f.get_state("lint_run")
        assert relint_stale(a).checked == 0
        assert f.get_state(PENDING) == "" and f.get_state("lint_run") != run_before
    finally:
        a.close()


def test_a_record_whose_data_is_not_json_is_judged_refused_not_a_crash(old_record_home):  # noqa: F811
    from archive.facts.lint import lint_problems

    assert lint_problems({"data": "{not json", "type": "rectification_order", "created_at": None}, None)[0]["path"] == ""


T0 = datetime(2026, 8, 15, 2, 0, tzinfo=timezone.utc)


def killed_child(home: Path, stop: str) -> tuple[subprocess.Popen, str]:
    """A re-lint in a child process (batches of 3, on the clock T0) that stops and waits where
    ``stop`` says: ``"after 9"`` once 9 records are committed, ``"inside 2"`` in its second batch's
    transaction with half of that batch written; (the process, the line it printed there)."""
    child = textwrap.dedent(f"""
        import sys
        from datetime import datetime, timezone
        sys.path.insert(0, {str(ROOT)!r})
        from archive.app import Archive
        from archive.clock import FixedClock
        from archive.facts.lint import relint_stale
        a = Archive.open({str(home)!r}, clock=FixedClock(datetime(2026, 8, 15, 2, 0, tzinfo=timezone.utc)))
        stop = {stop!r}
        facts = a.catalog.facts
        put, calls = facts.put_lint, []
        def put_lint(rows):
            calls.append(1)
            if stop == f"inside {{len(calls)}}":
                put(rows[: len(rows) // 2])
                print("inside", flush=True)
                sys.stdin.read()  # waits here, in the transaction, for the kill
            put(rows)
        facts.put_lint = put_lint
        def progress(stage, done, of):
            if stop == f"after {{done}}":
                print(done, flush=True)
                sys.stdin.read()  # waits here, between transactions, for the kill
        relint_stale(a, progress=progress, batch=3)
        print("ended", flush=True)
    """)
    p = subprocess.Popen([sys.executable, "-c", child], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "OUTSAFE_PASSPHRASE": "test-passphrase"})
    line = p.stdout.readline().strip()
    return p, line


@pytest.mark.parametrize("where, kept", [("after 9", 9), ("inside 2", 3)])
def test_a_run_killed_with_sigkill_keeps_whole_batches_and_a_later_run_ends_it(old_record_home, where, kept):  # noqa: F811
    """Killed between transactions (after three batches) or inside one (half of its second batch
    written): exactly the committed batches are kept; the lease it held keeps another run out until
    it expires; the run after that judges the rest and tells the views."""
    home, _ = old_record_home
    total = upgraded(home)
    run_before = state(home)[1]
    p, line = killed_child(home, where)
    try:
        assert line == ("inside" if where.startswith("inside") else str(kept)), p.stderr.read() if p.poll() is not None else line
    finally:
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=30)
    stale, run_mark, pending = state(home)
    assert stale == total - kept and pending == fp(home) and run_mark == run_before  # whole batches only; not ended
    a = Archive.open(home, clock=FixedClock(T0 + timedelta(seconds=LEASE_SECONDS - 5)))
    try:
        busy = relint_stale(a)
        assert busy.busy and busy.checked == 0 and a.catalog.facts.lint_stale(fingerprint(a.settings)) == stale  # the lease still held
    finally:
        a.close()
    a = Archive.open(home, clock=FixedClock(T0 + timedelta(seconds=LEASE_SECONDS + 5)))
    try:
        done = relint_stale(a)
        assert not done.busy and done.checked == stale
    finally:
        a.close()
    after = state(home)
    assert after[0] == 0 and after[1] != run_mark and after[2] == ""


def test_one_run_at_a_time_per_catalog(old_record_home):  # noqa: F811
    """A run finding the lease held by another (another process, or another node on the same
    PostgreSQL catalog) leaves at once and writes nothing; once that one has ended, the lease is free."""
    home, _ = old_record_home
    total = upgraded(home)
    a = Archive.open(home, clock=FixedClock(T0))
    try:
        f = a.catalog.facts
        other = f"someone {T0.timestamp() + 60:.0f}"
        with a.catalog.transaction():
            assert f.claim_state(LEASE, f.get_state(LEASE), other)
        got = relint_stale(a)
        assert got.busy and got.checked == 0 and f.lint_stale(fingerprint(a.settings)) == total and f.get_state(LEASE) == other
        assert not f.get_state(PENDING)
        with a.catalog.transaction():
            f.claim_state(LEASE, other, "")  # the other run ended
        got = relint_stale(a)
        assert not got.busy and got.checked == total and f.get_state(LEASE) == ""
    finally:
        a.close()
    r = CliRunner().invoke(main, ["--home", str(home), "views", "prepare", "--as-of", AS_OF, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["linted"]["busy"] is False


def test_verify_lint_judges_every_record_and_ends_a_stopped_relint(old_record_home):  # noqa: F811
    home, rid = old_record_home
    total = upgraded(home)
    a = Archive.open(home)
    try:
        with a.catalog.transaction():
            a.catalog.facts.set_state(PENDING, fingerprint(a.settings))  # a re-lint stopped earlier
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


def test_a_refused_record_already_corrected_says_so(old_record_home, tmp_path):  # noqa: F811
    """The order today's rules refuse, corrected by a later record: still listed (it is sealed and
    was judged), marked as corrected — not as something for an officer to mend again."""
    import tests.campaign_factories as cf
    from tests import factories

    home, rid = old_record_home
    a = Archive.open(home)
    try:
        data = a.load_record(a.catalog.get_record(rid))
        raw = cf.bureau_inspection("2026-06-15", no=44)
        fixed = {"type": "rectification_order", "doc_no": "（高新）应急责改〔2026〕44号", "bureau": cf.BUREAU, "unit": cf.ENTERPRISE,
                 "contractor": cf.CONTRACTOR, "project": cf.PROJECT, "inspection_ref": None, "inspected_on": "2026-06-15",
                 "issued_on": "2026-06-15", "items": [{"text": data.items[0].text, "basis": data.items[0].basis, "deadline": "2026-06-30"}],
                 "legal_basis": "《中华人民共和国安全生产法》第六十五条第一款第（二）项", "inspectors": raw["inspectors"],
                 "authority_name": "济南高新区应急管理局"}
        try:
            report = a.add_files([factories.write(tmp_path, "fixed.yaml", fixed)], supersedes=rid, pdf=False, note="文书号更正")
        except Exception as e:
            raise AssertionError([str(p) for p in getattr(e, "problems", [])]) from e
        assert not report.failed and len(report.added) == 1, report.as_dict()
    finally:
        a.close()
    got = run(home, "check", "--as-of", AS_OF)
    refused = {r["id"]: r for r in got["records_refused_by_current_rules"]}
    assert refused[rid]["corrected"] is True
    text = CliRunner().invoke(main, ["--home", str(home), "check", "--as-of", AS_OF]).output
    assert "（已有更正记录）不符合现行校验规则" in text


def test_a_rule_that_raises_on_old_data_is_that_records_verdict_not_the_end_of_the_run(old_record_home, monkeypatch):  # noqa: F811
    import archive.facts.lint as lint

    home, rid = old_record_home
    total = upgraded(home)
    real = lint.load

    def load(data, ctx):
        if data.get("doc_no") == "（高新）应急责改〔2026〕044号":
            raise TypeError("a rule written for today's shapes")
        return real(data, ctx)

    monkeypatch.setattr(lint, "load", load)
    a = Archive.open(home)
    try:
        done = relint_stale(a)
        assert done.checked == total and done.refused == 1
        (verdict,) = a.catalog.facts.lint(record_ids=[rid])
        assert "today's rules raised TypeError" in verdict["problems"]
    finally:
        a.close()


def test_the_fingerprint_holds_the_numbers_the_rules_judge_by_and_not_the_servers(old_record_home):  # noqa: F811
    import dataclasses

    from archive.facts.lint import OPERATIONAL
    from archive.settings import Settings

    home, _ = old_record_home
    s = Settings()
    assert fingerprint(dataclasses.replace(s, training_min_hours=32)) != fingerprint(s)  # a number the rules use
    assert fingerprint(dataclasses.replace(s, hot_work_max_hours_special=4)) != fingerprint(s)
    assert fingerprint(dataclasses.replace(s, web_session_hours=2, pdf_workers=1, views_prepare_seconds=0)) == fingerprint(s)
    names = {f.name for f in dataclasses.fields(Settings)}
    assert OPERATIONAL <= names  # no stale name
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "schemas").glob("*.py"))
    assert [n for n in sorted(OPERATIONAL) if n in source] == []  # no schema reads what the fingerprint leaves out


def test_a_changed_number_in_outsafe_toml_is_judged_again_by_the_next_preparation(old_record_home):  # noqa: F811
    from archive.facts.index import catch_up

    home, rid = old_record_home
    a = Archive.open(home)
    try:
        catch_up(a)
        total = a.catalog.max_seq()
    finally:
        a.close()
    assert run(home, "check", "--as-of", AS_OF)["records_not_linted"] == 0
    toml = home / "outsafe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("# training_min_hours = 24", "training_min_hours = 32"), encoding="utf-8")
    assert "training_min_hours = 32" in toml.read_text(encoding="utf-8")
    assert run(home, "check", "--as-of", AS_OF)["records_not_linted"] == total  # judged under other numbers
    prepared = run(home, "views", "prepare", "--as-of", AS_OF)
    assert prepared["linted"]["checked"] == total and prepared["linted"]["refused"] >= 1
    after = run(home, "check", "--as-of", AS_OF)
    assert after["records_not_linted"] == 0 and rid in {r["id"] for r in after["records_refused_by_current_rules"]}
    # a server's setting changes no verdict
    toml.write_text(toml.read_text(encoding="utf-8").replace("# web_session_hours = ", "web_session_hours = 2\n# was "), encoding="utf-8")
    assert run(home, "check", "--as-of", AS_OF)["records_not_linted"] == 0
