"""The whole archive's check over several processes (archive/checks/parallel.py): the same report
as one process and as the straightforward evaluation, kept parts used again, and a worker killed
with SIGKILL costs nothing but time. Real processes (spawn), real catalog."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date

import pytest

from archive.app import Archive
from archive.checks import parallel
from archive.checks.stream import check_view
from archive.checks.table import run_checks
from archive.settings import Settings
from bench.views.district import District
from storage.faults import ENV as CRASH_ENV
from tests.test_views import check_dict, district_archive, reference


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    a = district_archive(tmp_path_factory, District(seed=5, enterprises=5, contractors=12, records=700))
    yield a, reference(a)
    a.close()


def fresh(a: Archive, workers: int) -> None:
    """No kept result, and the check's processes set."""
    a.views.clear()
    shutil.rmtree(a.home.root / "cache" / "views", ignore_errors=True)
    a.settings = dataclasses.replace(a.settings, check_workers=workers)


def test_two_processes_give_the_report_of_one_and_of_the_straightforward_evaluation(district):
    a, snap = district
    for day in (date(2026, 5, 20), date(2026, 11, 30)):
        fresh(a, 1)
        one = check_dict(check_view(a, day))
        fresh(a, 2)
        seen = []
        two = check_dict(check_view(a, day, progress=lambda what, n, total: seen.append((n, total))))
        assert two == one == check_dict(run_checks(snap, day)), day
        assert seen and seen[-1][0] == seen[-1][1] and [n for n, _ in seen] == sorted(n for n, _ in seen)


def test_the_processes_get_the_callers_settings(district):
    """A setting changed in the caller (not in outsafe.toml) is the one the processes judge by."""
    a, snap = district
    day = date(2026, 11, 30)
    strict = dataclasses.replace(Settings(), inspection_max_gap_days=5, training_min_hours=40)
    fresh(a, 1)
    a.settings = dataclasses.replace(strict, check_workers=1)
    one = check_dict(check_view(a, day))
    fresh(a, 2)
    a.settings = dataclasses.replace(strict, check_workers=2)
    assert check_dict(check_view(a, day)) == one
    fresh(a, 1)
    a.settings = Settings()
    assert check_dict(check_view(a, day)) != one  # the stricter settings did change the findings


def test_a_killed_process_costs_time_not_the_check(district, monkeypatch, caplog):
    a, snap = district
    day = date(2026, 9, 1)
    fresh(a, 2)
    monkeypatch.setenv(CRASH_ENV, "check.worker")  # every process kills itself (SIGKILL) at its first part
    got = check_dict(check_view(a, day))
    assert "worker processes failed" in caplog.text  # they did die, and the rest was computed here
    assert got == check_dict(run_checks(snap, day))


def test_how_many_processes():
    s = Settings()
    assert parallel.workers_for(s, s.check_parallel_records - 1) == 1  # a small archive: one process
    assert 1 <= parallel.workers_for(s, s.check_parallel_records) <= parallel.MAX_AUTO_WORKERS
    assert parallel.workers_for(dataclasses.replace(s, check_workers=3), 10) == 3
    assert parallel.workers_for(dataclasses.replace(s, check_workers=1), 10**7) == 1
