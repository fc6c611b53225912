"""archive/clock.py: the one clock. Nothing else in the product reads the wall clock, an archive
dates everything by the clock it holds, and its day is China's."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from archive import ids
from archive.app import Archive
from archive.clock import SYSTEM, FixedClock, local_day, utc_stamp
from tests.conftest import ROOT, TODAY_AT

WALL_CLOCK = re.compile(r"\b(date\.today|datetime\.(now|utcnow|today)|time\.time)\s*\(")
PRODUCT = ("archive", "schemas", "storage", "doc_templates", "web")


def test_only_archive_clock_reads_the_wall_clock():
    files = [ROOT / "cli.py"] + [p for d in PRODUCT for p in sorted((ROOT / d).rglob("*.py"))]
    reads = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in files if p != ROOT / "archive" / "clock.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if WALL_CLOCK.search(line)
    ]
    assert reads == []


def test_the_pattern_finds_what_it_must():
    for line in ("d = date.today()", "datetime.now(timezone.utc)", "datetime.utcnow ()", "t = time.time()"):
        assert WALL_CLOCK.search(line), line
    assert not WALL_CLOCK.search("t0 = time.monotonic()") and not WALL_CLOCK.search("self.clock.today()")


def test_the_day_is_chinas():
    late = FixedClock(datetime(2026, 6, 9, 23, 30, tzinfo=timezone.utc))  # 07:30 on 6-10 in Jinan
    assert late.today() == date(2026, 6, 10)
    assert late.stamp() == "2026-06-09T23:30:00Z" == utc_stamp(late.now())
    assert local_day(late.stamp()) == date(2026, 6, 10) and local_day("not a time") is None and local_day(None) is None


def test_tests_run_on_the_frozen_day():
    assert SYSTEM.today() == date(2026, 11, 29) == TODAY_AT.date()


def test_an_archive_dates_everything_by_its_clock(tmp_path, basic_files):
    at = datetime(2026, 7, 1, 1, 2, 3, tzinfo=timezone.utc)
    clock = FixedClock(at)
    a = Archive.create(tmp_path / "a", basic_files["enterprise"], clock=clock, pdf=False)
    try:
        assert a.clock is clock and a.catalog.get_meta("created_at") == "2026-07-01T01:02:03Z"
        (added,) = a.add_files([basic_files["bureau"]], pdf=False).added
        row = a.get_record_row(added.id)
        assert row["created_at"] == "2026-07-01T01:02:03Z"
        assert added.id[:10] == ids.new_id(clock)[:10]  # the ULID's 48-bit time is the clock's millisecond
        assert a.ledger.latest_checkpoint()["signed_at"] == "2026-07-01T01:02:03Z"
    finally:
        a.close()
    reopened = Archive.open(tmp_path / "a", clock=clock)
    try:
        assert reopened.rule_context().today == date(2026, 7, 1)
    finally:
        reopened.close()
