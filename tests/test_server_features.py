"""The features that came after the PostgreSQL/S3 backends, on a PostgreSQL catalog and S3 blobs:
the three-level exams and the 登记卡 written from them, ``facts rebuild``/``check``/``verify``
through the facts, and ``remind --send`` logging each sent reminder once. (The drafts of the web
forms on PostgreSQL and S3: tests/web/test_server_backends.py; the stores themselves:
tests/storage_contract.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.app import Archive
from archive.integrity.verify import verify_archive
from archive.training import card, exam
from cli import main
from tests import factories
from tests.exam_helpers import LEVELS, install_banks, pass_level
from tests.test_remind import configure, smtp  # noqa: F401 — the local SMTP server fixture


def cli(runner, home: Path, *args: object):
    return runner.invoke(main, ["--home", str(home), *map(str, args)])


@pytest.fixture
def on_server(runner, arc, pg_cluster, s3_env) -> Path:
    """The basic archive moved to a PostgreSQL schema and an S3 bucket; its home."""
    home = arc.home.root
    r = cli(runner, home, "migrate", "--to", pg_cluster.new_schema("feat"), "--blobs", f"s3://{s3_env.new_bucket()}/a")
    assert r.exit_code == 0, r.output
    text = (home / "outsafe.toml").read_text(encoding="utf-8")
    assert "postgresql://" in text and "s3://" in text
    return home


def test_three_exams_a_card_and_the_checks_on_postgresql_and_s3(runner, on_server):
    a = Archive.open(on_server)
    try:
        assert a.catalog.location.startswith("postgresql://")
        install_banks(a)
        welder = exam.person_key_of(a, factories.WELDER_ID)
        rows = [pass_level(a, welder, lv, factories.WELDER_ID[6:14], seed=n) for n, lv in enumerate(LEVELS)]
        state = card.card_state(a, welder)
        assert state["ready"]
        written = card.write_card(a, welder, record_no=state["record_no"], confirmed_by="刘海涛", pdf=False)
        for row in rows:
            got = a.catalog.exams.get_attempt(row["id"])
            assert got["status"] == "submitted" and got["passed"] is True and got["card_record"] == written.record_id
        files = {f["name"]: f["sha256"] for f in a.catalog.record_files(written.record_id)}
        assert all(a.blobs.has(files[f"受教育人签字-{lv}.png"]) for lv in LEVELS)  # the signatures, in the bucket
        assert verify_archive(a).ok
    finally:
        a.close()
    r = cli(runner, on_server, "exam", "results", "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)["attempts"]
    assert sorted(x["level"] for x in got) == sorted(LEVELS) and all(x["signed"] and x["score"] == 100.0 for x in got)
    r = cli(runner, on_server, "facts", "rebuild", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["records"] > 0, r.output
    r = cli(runner, on_server, "check", "--as-of", "2026-11-29", "--json")
    assert r.exit_code in (0, 1) and json.loads(r.stdout), r.output
    r = cli(runner, on_server, "verify")
    assert r.exit_code == 0 and "核验通过 (verified)" in r.output, r.output


def test_remind_sends_each_item_once_a_day_on_postgresql(runner, on_server, smtp):  # noqa: F811
    text = (on_server / "outsafe.toml").read_text(encoding="utf-8")
    (on_server / "outsafe.toml").write_text(text.replace("\n[settings]\n", "\n"), encoding="utf-8")
    configure(on_server, smtp.port)
    r = cli(runner, on_server, "remind", "--as-of", "2026-07-15", "--days", "30", "--send")
    assert r.exit_code == 0 and "anquan@huarui.example：已发送 3 项" in r.output, r.output
    r = cli(runner, on_server, "remind", "--as-of", "2026-07-15", "--days", "30", "--send", "--json")
    assert r.exit_code == 0 and {x["status"] for x in json.loads(r.output)["recipients"]} == {"nothing"}
    assert len(smtp.messages) == 2
    a = Archive.open(on_server)
    try:
        assert a.catalog.location.startswith("postgresql://")
        sent = a.catalog.reminders.sent(day="2026-07-15")
        assert len(sent) == 4 and {s["recipient"] for s in sent} == {"anquan@huarui.example", "hetong@huarui.example"}
    finally:
        a.close()
