"""The library calls the web pages make: search with a scope and pages, scoped dossiers, the
dashboard (expiring certificates, cache by ledger size), the record view (labels, history, seal,
proof)."""

from __future__ import annotations

import json
import os

from datetime import date
from pathlib import Path

import pytest
import yaml

from archive.access.scope import Scope
from archive.app import Archive, labelled, record_view
from archive.campaign.dashboard import ViewCache, _ledger_size, dashboard, expiring
from archive.campaign.dossier import contractor_dossier, contractors_seen
from archive.checks.snapshot import Snapshot
from archive.errors import NotFound
from archive.search.index import search
from schemas.tickets import TICKET_CLASSES
from tests import web_world
from tests.web_world import CONTRACTOR, ENTERPRISE, ENTERPRISE_B


@pytest.fixture(scope="module")
def bureau(tmp_path_factory, _world_template):
    world = web_world.copy(_world_template, tmp_path_factory.mktemp("scoped") / "world")
    a = Archive.open(world["bureau"])
    yield a
    a.close()


def test_search_pages_are_slices_of_one_ranking(bureau):
    whole = search(bureau, "安全", limit=50)
    assert whole.total >= 4
    pages = [search(bureau, "安全", limit=2, offset=o) for o in range(0, whole.total, 2)]
    assert [h.id for p in pages for h in p] == [h.id for h in whole]
    assert all(p.total == whole.total for p in pages) and pages[1].offset == 2


def test_search_within_an_enterprise(bureau):
    for uscc in (ENTERPRISE, ENTERPRISE_B):
        r = search(bureau, "安全", within=uscc, limit=50)
        assert r.total and {h.enterprise or uscc for h in r} == {uscc}
    assert search(bureau, "安全", within="91370100MA00000000").total == 0
    # a name in a filter is looked up among the organizations the scope may see: B's name is
    # unknown to A's scope (as if B did not exist), and known to the bureau's
    with pytest.raises(NotFound):
        search(bureau, "协议", within=ENTERPRISE, enterprise="鑫源")
    assert search(bureau, "协议", enterprise="鑫源").orgs == {ENTERPRISE_B: "济南鑫源轻工机械有限公司"}


def test_a_dossier_within_an_enterprise_holds_only_its_records(bureau):
    whole = contractor_dossier(bureau, CONTRACTOR)
    mine = contractor_dossier(bureau, CONTRACTOR, within=ENTERPRISE_B)
    assert {t["enterprise"] for t in mine.timeline} == {ENTERPRISE_B} and len(mine.timeline) < len(whole.timeline)
    with pytest.raises(NotFound) as e:
        contractor_dossier(bureau, CONTRACTOR, within="91370100MA00000000")
    assert "未登记" in e.value.message
    assert [c["uscc"] for c in contractors_seen(bureau, ENTERPRISE)] == [CONTRACTOR]


def test_expiring_licences_and_certificates_in_bands(bureau):
    snap = Snapshot.from_archive(bureau, types=("organization", "person"))
    assert expiring(snap, date(2026, 11, 29)) == []  # the licence ends 2027-02-28: 91 days away
    soon = expiring(snap, date(2027, 1, 15))
    assert [(x["kind"], x["holder_uscc"], x["days_left"], x["band"]) for x in soon] == [("licence", CONTRACTOR, 44, 60)]
    late = expiring(snap, date(2028, 5, 10))
    assert {x["kind"] for x in late} == {"certificate"} and all(x["band"] == 30 for x in late)
    assert all("*" in x["number"] for x in late)  # the certificate number is the holder's ID: masked


def test_a_kept_dashboard_shows_a_package_exported_since(tmp_path, _world_template, monkeypatch):
    """The dashboard is kept under the ledger's size: an export (a package, no new record) grows the
    ledger, so the next dashboard — in this process or another — lists it under 报送."""
    from archive.packages.export import export_package

    monkeypatch.setenv("OUTSAFE_PASSPHRASE", os.environ.get("OUTSAFE_PASSPHRASE") or "test-passphrase")
    world = web_world.copy(_world_template, tmp_path / "world")
    a = Archive.open(world["enterprise_a"])
    try:
        before = dashboard(a, as_of=date(2026, 12, 15)).handed_in
        a.views.clear()
        assert dashboard(a, as_of=date(2026, 12, 15)).handed_in == before  # kept: read back from its file
        export_package(a, tmp_path / "pkg", since="2026-01-01")
        again = Archive.open(world["enterprise_a"])  # another process
        try:
            after = dashboard(again, as_of=date(2026, 12, 15)).handed_in
        finally:
            again.close()
        assert len(after) == len(before) + 1 and after[0]["direction"] == "export"
        # one file per day and scope, whatever the ledger's size: a new size replaces it
        folder = Path(world["enterprise_a"]) / "cache" / "views"

        def boards() -> list[str]:
            out = []
            for f in folder.glob("*.json"):
                value = json.loads(f.read_bytes().partition(b"\n")[2])["value"] if not f.name.startswith(".") else None
                if isinstance(value, dict) and "handed_in" in value:
                    out.append(f.name)
            return sorted(out)

        files = boards()
        assert len(files) == 1
        for i in range(2):
            grown = a.ledger.next_index()
            export_package(a, tmp_path / f"pkg{i}", since="2026-01-01")  # grows the ledger
            assert a.ledger.next_index() > grown
            dashboard(a, as_of=date(2026, 12, 15))
        assert boards() == files
    finally:
        a.close()


def test_an_accounts_kept_dashboard_shows_a_package_imported_since(tmp_path, _world_template, monkeypatch):
    """An enterprise account's dashboard on the bureau's server is kept while no record of its
    enterprise and no package arrives: B's new submission, imported, is under 报送 the next time
    (and the campaign status, kept the same way, says so too)."""
    from archive.campaign.calendar import campaign_status
    from archive.packages.importer import import_package

    monkeypatch.setenv("OUTSAFE_PASSPHRASE", os.environ.get("OUTSAFE_PASSPHRASE") or "test-passphrase")
    world = web_world.copy(_world_template, tmp_path / "world")
    bur = Archive.open(world["bureau"])
    day = date(2026, 12, 15)
    try:
        before = dashboard(bur, as_of=day, within=ENTERPRISE_B)
        status = campaign_status(bur, day, within=ENTERPRISE_B)
        bur.views.clear()
        assert dashboard(bur, as_of=day, within=ENTERPRISE_B) == before  # read back from its file
        import_package(bur, world["package_b2"])
        after = dashboard(bur, as_of=day, within=ENTERPRISE_B)
        assert len(after.handed_in) == len(before.handed_in) + 1 and after.handed_in[0]["direction"] == "import"
        assert after.reminders == before.reminders and campaign_status(bur, day, within=ENTERPRISE_B)["enterprises"] \
            == status["enterprises"]  # computed again (the log grew), to the same deliverables
        bur.views.clear()
        fresh = Archive.open(world["bureau"])  # another process, nothing kept
        try:
            import shutil
            shutil.rmtree(Path(world["bureau"]) / "cache" / "views")
            assert dashboard(fresh, as_of=day, within=ENTERPRISE_B) == after
        finally:
            fresh.close()
    finally:
        bur.close()


def test_the_dashboard_and_its_cache(bureau):
    board = dashboard(bureau, as_of=date(2027, 1, 15))
    assert len(board.expiring) == 1 and board.as_dict()["expiring_counts"] == {"30": 0, "60": 1, "90": 0}
    assert {e["enterprise"] for e in board.campaign["enterprises"]} == {ENTERPRISE, ENTERPRISE_B}
    assert [e["enterprise"] for e in dashboard(bureau, within=ENTERPRISE_B).campaign["enterprises"]] == [ENTERPRISE_B]
    bureau.checkpoint()  # anchor what the log holds already
    cache, calls = ViewCache(), []

    def compute():
        calls.append(1)
        return len(calls)

    assert [cache.get(bureau, "k", compute) for _ in range(3)] == [1, 1, 1]
    bureau.checkpoint()  # nothing new: the ledger keeps its size
    assert cache.get(bureau, "k", compute) == 1
    from archive.access import audit

    audit.record(bureau, "logout", account="x")
    bureau.checkpoint()  # the log's anchor is a new leaf: the ledger grew
    assert cache.get(bureau, "k", compute) == 2
    assert _ledger_size(bureau) == bureau.ledger.size()  # read at the key's end, not counted


def test_labels_follow_the_schema_and_name_organizations():
    data = {"ticket_no": "DH-1", "ticket_type": "hot_work", "enterprise": ENTERPRISE, "extra": True}
    out = labelled(data, TICKET_CLASSES["hot_work"], {ENTERPRISE: {"name": "华锐"}})
    values = {f["label"]: f["value"] for f in out if "value" in f}
    assert "动火（hot_work）" in values.values() and f"华锐（{ENTERPRISE}）" in values.values() and values["extra"] == "是"


def test_the_record_view_with_history(tmp_path, arc):
    row = arc.catalog.list_records(types=["safety_agreement"])[0]
    source = next(f for f in arc.catalog.record_files(row["id"]) if f["role"] == "source")
    data = yaml.safe_load(arc.blobs.path_for(source["sha256"]).read_text(encoding="utf-8"))
    data["project_overview"] = data["project_overview"] + "（补充：作业区域设置硬隔离。）"
    path = tmp_path / "agreement-v2.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    new_id = arc.supersede(row["id"], path, reason="补充作业区域", pdf=False).added[0].id
    old = record_view(arc, Scope(None), row["id"])
    new = record_view(arc, Scope(ENTERPRISE), new_id)
    assert old.record["superseded_by"] == new_id and [h["relation"] for h in old.history] == ["superseded_by"]
    assert [h["id"] for h in new.history] == [row["id"]] and new.history[0]["relation"] == "supersedes"
    assert new.seal["ok"] and new.seal["signer"] == ENTERPRISE and new.inclusion["kind"] == "own" and new.inclusion["verified"]
    assert any(f["label"] == "工程概况" or "补充" in str(f) for f in new.fields)
    with pytest.raises(NotFound):
        record_view(arc, Scope(ENTERPRISE_B), new_id)
