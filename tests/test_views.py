"""Views that scale (issue 14): the checks, statuses, dossiers and reports read through the facts
give exactly what the straightforward evaluation of the whole archive in memory gives; sealed
records load as sealed; the facts catch up and rebuild; kept results are used again until a record
they depend on arrives.

The straightforward evaluation is the one the views replaced: every record loaded with today's
schema (``Archive.load_record_validated``) into one :class:`Snapshot`, then ``run_checks``,
``rectification_status``, ``campaign_status(snap=…)``, ``build_report(snap=…)``. It is compared
with the views on a generated district (bench/views/district.py: enterprises, contractors and a
campaign year of records with the defects the rules look for, corrections included) on random
days, on the examples, and on the campaign world of the five-check tests.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import shutil
import threading
import typing
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive.app import Archive
from archive.campaign.blacklist import blacklist_rows, listings
from archive.campaign.calendar import campaign_status
from archive.campaign.dashboard import dashboard, dashboard_of_snapshot
from archive.campaign.remind import KINDS, REMIND_TYPES, reminders
from archive.campaign.dossier import contractor_dossier, records_naming
from archive.campaign.rectify import rectification_status, rectification_view, to_plain
from archive.campaign.reports import build_report
from archive.checks.snapshot import Snapshot
from archive.checks.stream import check_view, contractor_snapshot
from archive.checks.world import Clause, World
from archive.checks.table import run_checks
from archive.errors import ValidationFailed
from archive.facts import cache as view_cache
from archive.facts.derive import version as derive_version
from archive.facts.derive import space_stem
from archive.facts.index import catch_up, rebuild
from archive.integrity import seal as sealing
from bench.views.bulk import new_bureau_archive, store
from bench.views.district import District
from cli import main
from schemas.columns import record_columns
from schemas.sealed import from_sealed, sealed_object
from tests import campaign_factories as cf
from tests import web_world

FIRST, LAST = date(2026, 3, 1), date(2026, 12, 31)


def plain(value) -> object:
    return json.loads(json.dumps(to_plain(value), ensure_ascii=False, default=str))


def reference(a: Archive) -> Snapshot:
    """The whole archive in memory, every record through today's schema."""
    return Snapshot.from_archive(a, loader=a.load_record_validated)


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """A small generated district in a bureau's archive, stored through the bulk sealing path."""
    a = district_archive(tmp_path_factory, District(seed=11, enterprises=6, contractors=14, records=1100))
    snap = reference(a)
    yield a, snap
    a.close()


def district_archive(tmp_path_factory, district: District) -> Archive:
    """A bureau's archive holding ``district``'s records, stored through the bulk sealing path."""
    mp = pytest.MonkeyPatch()
    mp.setenv("OUTSAFE_PASSPHRASE", os.environ.get("OUTSAFE_PASSPHRASE") or "test-passphrase")
    root = tmp_path_factory.mktemp("district")
    try:
        a = new_bureau_archive(root / "archive")
        store(a, district.cases())
    finally:
        mp.undo()
    return a


def forget_kept(a: Archive) -> None:
    """Forget every kept view result, in memory and on disk: the next view computes."""
    a.views.clear()
    shutil.rmtree(Path(a.home.root) / "cache" / "views", ignore_errors=True)


def scopes(snap: Snapshot) -> list[dict]:
    enterprises = sorted({r.obj.enterprise for r in snap.of("project")})
    contractors = sorted({r.obj.contractor for r in snap.of("project")})
    return [{}] + [{"enterprise": e} for e in enterprises] + [{"contractor": c} for c in contractors]


def check_dict(report) -> dict:
    out = report.as_dict()
    out.pop("records_refused_by_current_rules")
    out.pop("records_not_linted")
    return out


# --- sealed records -------------------------------------------------------------------------------------


def test_sealed_loading_gives_what_todays_schema_gives(district):
    a, _ = district
    rows = a.catalog.list_records()
    assert len(rows) > 1000
    for row in rows:
        sealed, today = a.load_record(row), a.load_record_validated(row)
        assert sealed_object(type(today), json.loads(row["data"]))[1], row["title"]  # sealed by this version: it fits
        if row["type"] == "organization" and getattr(sealed, "public_key", None):
            # the owner's key was sealed as written (PEM, with its final newline); today's schema trims text
            assert sealed.public_key.rstrip() == today.public_key
            sealed = dataclasses.replace(sealed, public_key=today.public_key)
        assert sealed == today, row["title"]


def test_a_sealed_shape_the_class_no_longer_has_still_loads():
    from schemas.campaign import Hazard

    data = {"hazard_no": "YH-1", "enterprise": cf.ENTERPRISE, "description": "临边防护缺失", "grade": "一般", "found_on": "2026-05-01",
            "status": "整改中", "retired_field": 1}  # no "deadline" (added later), a field since removed
    obj = from_sealed(Hazard, data)
    assert obj.hazard_no == "YH-1" and obj.found_on == date(2026, 5, 1) and obj.deadline is None
    assert not hasattr(obj, "retired_field")
    odd = from_sealed(Hazard, {**data, "found_on": "5月1日"})  # a date written the old way: kept as sealed
    assert odd.found_on == "5月1日"


# --- a record today's rules refuse ------------------------------------------------------------------------


def seal_as_an_old_version(a: Archive, data: dict, type_: str = "rectification_order") -> str:
    """Store ``data`` as an older outsafe would have: sealed with the archive's key, its row and
    ledger leaf in one transaction — and none of the facts this version derives."""
    from archive import ids
    from archive.app import canonical
    from archive.facts.records import record_class

    cls = record_class(type_, None)
    row = {"id": ids.new_id(a.clock), "type": type_, "subtype": None, **record_columns(cls, data),
           "data": canonical(data).decode(), "refs": "{}", "source_name": "old.yaml", "origin": a.owner_uscc,
           "supersedes": None, "note": None, "created_at": a.clock.stamp()}
    signer = a.signer()
    with a.writing("old version"):
        with a.catalog.transaction():
            idx = a.ledger.next_index()
            stmt = sealing.statement(row, [], None, idx, signer.fingerprint)
            signature = sealing.seal(signer, stmt)
            row.update(seal=stmt.decode(), signature=signature, signer=signer.fingerprint)
            a.catalog.insert_record(row, [])
            a.ledger.append("record_sealed", sealing.leaf_entry(row["id"], stmt, signature, signer.fingerprint), row["created_at"],
                            record_id=row["id"])
        a.checkpoint(signer)
    return row["id"]


@pytest.fixture
def old_record_home(tmp_path, tmp_path_factory, monkeypatch):
    """The campaign world, plus an order whose 文书号 has a leading zero — refused since 文书号 rules
    forbid 虚位 — sealed by an older version."""
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    home = cf.copy_home(cf.world_home(tmp_path_factory), tmp_path / "archive")
    a = Archive.open(home)
    raw = cf.bureau_inspection("2026-06-15", no=44)
    order = {k: v for k, v in {
        "doc_no": "（高新）应急责改〔2026〕044号", "bureau": cf.BUREAU, "unit": cf.ENTERPRISE, "contractor": cf.CONTRACTOR, "project": cf.PROJECT,
        "inspection_ref": None, "inspected_on": "2026-06-15", "issued_on": "2026-06-15",
        "items": [{"text": "检修平台临边防护缺失。", "basis": "《中华人民共和国安全生产法》第四十一条第二款", "deadline": "2026-06-30",
                   "major_hazard": False, "criterion": None, "requirement": None, "contractor": None}],
        "legal_basis": "《中华人民共和国安全生产法》第六十五条第一款第（三）项", "inspectors": raw["inspectors"], "unit_head": None,
        "authority_name": "济南高新区应急管理局", "review_authority": None, "photos": []}.items()}
    rid = seal_as_an_old_version(a, order)
    a.close()
    return home, rid


def test_check_reports_a_record_todays_rules_refuse_and_completes(old_record_home):
    home, rid = old_record_home
    a = Archive.open(home)
    row = a.catalog.get_record(rid)
    with pytest.raises(Exception):  # what the views did before: the record went through today's schema
        a.load_record_validated(row)
    assert a.load_record(row).doc_no == "（高新）应急责改〔2026〕044号"
    a.close()
    result = CliRunner().invoke(main, ["--home", str(home), "check", "--as-of", "2026-08-15"])
    assert result.exit_code == 0, result.output
    assert "（高新）应急责改〔2026〕044号" in result.output and "doc_no" in result.output
    assert "不符合现行校验规则" in result.output and "序号不编虚位" in result.output
    data = json.loads(CliRunner().invoke(main, ["--home", str(home), "check", "--as-of", "2026-08-15", "--json"]).output)
    refused = data["records_refused_by_current_rules"]
    assert [r["id"] for r in refused] == [rid] and refused[0]["problems"][0]["path"] == "doc_no"
    lint = CliRunner().invoke(main, ["--home", str(home), "verify", "--lint"])
    assert lint.exit_code == 0 and rid in lint.output and "doc_no" in lint.output
    assert CliRunner().invoke(main, ["--home", str(home), "verify"]).exit_code == 0  # the seal is good: it is valid evidence
    one = CliRunner().invoke(main, ["--home", str(home), "check", "--enterprise", cf.ENTERPRISE, "--as-of", "2026-08-15"])
    assert one.exit_code == 0 and rid in one.output


def _order(no: int, **over) -> dict:
    """An order of the campaign world as sealed data, with fields replaced (``None``: removed)."""
    raw = cf.bureau_inspection("2026-06-15", no=no)
    data = {"doc_no": f"（高新）应急责改〔2026〕{no}号", "bureau": cf.BUREAU, "unit": cf.ENTERPRISE, "contractor": cf.CONTRACTOR,
            "project": cf.PROJECT, "inspection_ref": None, "inspected_on": "2026-06-15", "issued_on": "2026-06-15",
            "items": [{"text": "检修平台临边防护缺失。", "basis": "《中华人民共和国安全生产法》第四十一条第二款", "deadline": "2026-06-30",
                       "major_hazard": False, "criterion": None, "requirement": None, "contractor": None}],
            "legal_basis": "《中华人民共和国安全生产法》第六十五条第一款第（三）项", "inspectors": raw["inspectors"], "unit_head": None,
            "authority_name": "济南高新区应急管理局", "review_authority": None, "photos": []}
    for k, v in over.items():
        if v is None:
            data.pop(k)
        else:
            data[k] = v
    return data


MISSHAPEN = {  # sealed data of shapes today's order does not have: each crashed a view before
    "a day that is no day": _order(61, items=[{"text": "临边防护缺失。", "basis": "第四十一条", "deadline": "2026-02-30", "major_hazard": False}]),
    "items as one text": _order(62, items="检修平台临边防护缺失"),
    "a number for a day": _order(63, issued_on=20260615),
    "an item without its text": _order(64, items=[{"deadline": "2026-06-30"}]),
    "null for the items": _order(65, items=[None]),
    "a number for the unit": _order(66, unit=12345),
    "texts for the items": _order(67, items=["临边防护缺失", "未设警示标志"]),
    "a day past the calendar's reach": _order(68, items=[{"text": "临边防护缺失。", "basis": "第四十一条", "deadline": "9999-12-31",
                                                          "major_hazard": False}]),  # a day after it raised OverflowError
    "a time in year one": _order(69, issued_on="0001-01-01"),
}


@pytest.fixture(scope="module")
def misshapen_home(tmp_path_factory):
    """The campaign world with orders sealed (by an older program) in shapes today's class does not have."""
    mp = pytest.MonkeyPatch()
    mp.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    home = cf.copy_home(cf.world_home(tmp_path_factory), tmp_path_factory.mktemp("misshapen") / "archive")
    a = Archive.open(home)
    ids = {why: seal_as_an_old_version(a, data) for why, data in MISSHAPEN.items()}
    a.close()
    yield home, ids
    mp.undo()


def test_a_record_sealed_in_a_shape_todays_class_does_not_have_is_left_out_and_said(misshapen_home, tmp_path):
    """Data that does not fit today's class — a value of another type than its field's, a field that
    must have a value without one — loads as stored (shown, verified) but is left out of what the
    rules judge: every view completes, and the check names each record as not judged."""
    home, ids = misshapen_home
    a = Archive.open(home)
    for why, rid in ids.items():
        row = a.catalog.get_record(rid)
        assert a.load_record(row) is not None and not a.sealed.fits(rid), why
        cls = type(a.load_record(row))
        assert sealed_object(cls, json.loads(row["data"]))[1] is False, why
    a.close()
    run = lambda *argv: CliRunner().invoke(main, ["--home", str(home), *argv])  # noqa: E731
    for argv in (["check", "--as-of", "2026-08-15"], ["check", "--enterprise", cf.ENTERPRISE, "--as-of", "2026-08-15"],
                 ["check", "--contractor", cf.CONTRACTOR, "--as-of", "2026-08-15"]):
        got = run(*argv)
        assert got.exit_code == 0, (argv, got.output[-3000:])
        # of the enterprise's: not the order whose unit is a number (it names no enterprise the archive knows)
        mine = {why: rid for why, rid in ids.items() if "--enterprise" not in argv or why != "a number for the unit"}
        for why, rid in mine.items():
            assert f"（{rid}）封存数据的格式与现行记录类型不符，未纳入检查" in got.output, (argv, why)
        data = json.loads(run(*argv, "--json").output)
        left_out = {r["id"] for r in data["records_refused_by_current_rules"] if r.get("judged") is False}
        assert left_out == set(mine.values()), argv
    for argv in (["rectify", "status", "--as-of", "2026-08-15"], ["campaign", "status", "--as-of", "2026-08-15"],
                 ["contractor", "show", cf.CONTRACTOR], ["remind", "--as-of", "2026-06-20"], ["case", "list"],
                 ["index", "rebuild"], ["search", "临边防护"], ["verify"],
                 ["report", "ledger", "--no-pdf", "-o", str(tmp_path / "ledger")]):
        got = run(*argv)
        assert got.exit_code == 0 and "Traceback" not in got.output, (argv, got.output[-3000:])
    for rid in ids.values():
        assert run("case", "show", rid).exit_code == 0
    # the same as the straightforward evaluation, which leaves them out too
    a = Archive.open(home)
    snap = Snapshot.from_archive(a)
    assert not {r.id for r in snap.recs} & set(ids.values())
    for day in (date(2026, 6, 20), date(2026, 8, 15)):
        a.views.clear()
        assert check_dict(check_view(a, day)) == check_dict(run_checks(snap, day))
        assert check_dict(check_view(a, day, enterprise=cf.ENTERPRISE)) == check_dict(run_checks(snap, day, enterprise=cf.ENTERPRISE))
    a.close()


def test_sealed_data_of_another_type_never_raises_and_never_fits(district):
    """Any field of any record replaced by a value of a JSON type its hint does not allow, or by a
    name its Literal does not have: the record still loads, and does not fit."""
    a, _ = district
    rows = a.catalog.list_records(limit=400)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(rows), st.data())
    def check(row, draw):
        from archive.facts.records import record_class
        from schemas.hints import type_hints
        from schemas.sealed import bare_type

        cls = record_class(row["type"], row["subtype"])
        data = json.loads(row["data"])
        field = draw.draw(st.sampled_from(sorted(data)))
        hint, optional = bare_type(type_hints(cls)[field]) if field in type_hints(cls) else (None, True)
        wrong = {str: [1, [], {}], int: ["1", 1.5, []], bool: [1, "yes"], float: ["1.5", []], date: [1, "2026-02-30", []],
                 datetime: [1, "昨天", {}]}.get(hint)
        if typing.get_origin(hint) is typing.Literal:
            wrong = ["一个现行版本没有的名称", 7]  # a status or kind named otherwise since
        if wrong is None:
            return
        value = draw.draw(st.sampled_from(wrong))
        obj, fits = sealed_object(cls, {**data, field: value})
        assert obj is not None and not fits, (cls.__name__, field, value)
        assert sealed_object(cls, data)[1]
    check()


def test_the_facts_of_a_record_in_any_shape_derive(district):
    """Facts and the search document are derived from the sealed JSON whatever its shape (every
    command catches the facts up when it opens the archive: one record whose facts raised would stop
    them all) — any field, at any depth, of any type of record replaced by a number, a list, a
    mapping, a text or null."""
    from archive.facts.derive import record_facts
    from archive.search.documents import document

    a, _ = district
    rows = a.catalog.list_records()
    by_type: dict[str, dict] = {}
    for row in rows:
        by_type.setdefault(f"{row['type']}/{row['subtype']}", row)
    samples = sorted(by_type.values(), key=lambda r: (r["type"], r["subtype"] or ""))

    def paths(value, at=()):
        yield at
        if isinstance(value, dict):
            for k, v in value.items():
                yield from paths(v, (*at, k))
        elif isinstance(value, list):
            for i, v in enumerate(value[:3]):
                yield from paths(v, (*at, i))

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(samples), st.data())
    def derive(row, draw):
        data = json.loads(row["data"])
        where = draw.draw(st.sampled_from([p for p in paths(data) if p]))
        value = draw.draw(st.sampled_from([12345, ["a", 1], {"x": [1]}, "", "一段文字", None, [{"id_number": 5}], 1.5, True]))
        target = data
        for k in where[:-1]:
            target = target[k]
        target[where[-1]] = value
        facts = record_facts({**row, "data": json.dumps(data, ensure_ascii=False)}, b"k" * 32)
        assert facts["record_id"] == row["id"] and all(isinstance(k, str) for _, k in facts["links"]), (row["type"], where, value)
        json.loads(facts["info"] or "{}")
        doc = document({**row, "data": json.dumps(data, ensure_ascii=False)}, b"k" * 32)  # and its search document
        assert doc
    derive()


# --- the views against the straightforward evaluation ---------------------------------------------------


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=FIRST, max_value=LAST))
def test_the_checks_are_those_of_the_straightforward_evaluation(district, day):
    a, snap = district
    for kw in scopes(snap):
        assert check_dict(check_view(a, day, **kw)) == check_dict(run_checks(snap, day, **kw)), (day, kw)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=FIRST, max_value=LAST))
def test_rectification_and_campaign_status_are_those_of_the_straightforward_evaluation(district, day):
    a, snap = district
    for kw in scopes(snap):
        assert rectification_view(a, day, **kw) == rectification_status(snap, day, **kw), (day, kw)
    assert plain(campaign_status(a, day)) == plain(campaign_status(a, day, snap=snap))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=date(2026, 4, 1), max_value=LAST))
def test_reports_are_those_of_the_straightforward_evaluation(district, day):
    a, snap = district
    built = 0
    for kw in [{"enterprise": None}] + [{"enterprise": e} for e in sorted({r.obj.enterprise for r in snap.of("project")})]:
        for kind in (("ledger", "summary") if kw["enterprise"] is None else ("attachment2", "self_check", "summary")):
            try:
                ref = build_report(a, kind, as_of=day, snap=snap, **kw)
            except ValidationFailed:  # a report today's report rules refuse (left as it is)
                with pytest.raises(ValidationFailed):
                    build_report(a, kind, as_of=day, **kw)
                continue
            new = build_report(a, kind, as_of=day, **kw)
            assert plain(new.data) == plain(ref.data) and new.figures.values == ref.figures.values and new.obj == ref.obj, (kind, kw)
            built += 1
    assert built >= 2


def records_naming_by_scan(catalog, uscc: str) -> list[dict]:
    """The dossier's records found the straightforward way: every order read."""
    rows = catalog.list_records(contractor=uscc, current_only=True)
    have = {r["id"] for r in rows}
    orders = [r for r in catalog.list_records(types=["rectification_order"], current_only=True)
              if r["id"] not in have and any(it.get("contractor") == uscc for it in json.loads(r["data"]).get("items") or [])]
    nos = {r["doc_no"] for r in orders}
    reviews = [r for r in catalog.list_records(types=["rectification_review"], current_only=True)
               if r["id"] not in have and json.loads(r["data"]).get("order_doc_no") in nos]
    return sorted([*rows, *orders, *reviews], key=lambda r: r["seq"])


def test_the_dossier_reads_the_records_a_scan_would_find(district):
    a, snap = district
    catch_up(a)
    contractors = sorted({r.obj.contractor for r in snap.of("project")})
    named = 0
    for c in contractors:
        assert [r["id"] for r in records_naming(a.catalog, c)] == [r["id"] for r in records_naming_by_scan(a.catalog, c)]
        named += len(records_naming(a.catalog, c))
        dossier = contractor_dossier(a, c, date(2026, 9, 1))
        assert dossier.as_dict()["contractor"]["uscc"] == c
        assert dossier.as_dict() == {**dataclasses.asdict(dossier), "blacklisted": dossier.blacklisted}  # plain data, copied or not
        names: dict[str, str] = {}  # each organization's name as the first record naming it recorded it: every record read
        for r in records_naming_by_scan(a.catalog, c):
            for k, o in json.loads(r["refs"] or "{}").get("organizations", {}).items():
                names.setdefault(k, o.get("name"))
        assert dossier.enterprises and all(e["name"] == names.get(e["uscc"]) for e in dossier.enterprises)
        assert all(t["enterprise_name"] == names.get(t["enterprise"] or "") for t in dossier.timeline)
        assert all(m["enterprise_name"] == names.get(m["enterprise"]) for m in dossier.missing)
    assert named > 100


@pytest.mark.parametrize("built", ["world", "examples"])
def test_an_enterprises_own_archive_and_the_examples(built, tmp_path_factory):
    home = cf.world_home(tmp_path_factory) if built == "world" else cf.examples_home(tmp_path_factory)
    a = Archive.open(cf.copy_home(home, tmp_path_factory.mktemp(f"copy-{built}") / "archive"))
    snap = reference(a)
    for day in (date(2026, 5, 12), date(2026, 8, 15), date(2026, 11, 29)):
        for kw in scopes(snap):
            assert check_dict(check_view(a, day, **kw)) == check_dict(run_checks(snap, day, **kw)), (built, day, kw)
            assert rectification_view(a, day, **kw) == rectification_status(snap, day, **kw)
        assert plain(campaign_status(a, day)) == plain(campaign_status(a, day, snap=snap))
    a.close()


# --- an enterprise account's scope (within): the views of the records that belong to it ------------------


def scoped_views_agree(a: Archive, within: str | None, days: list[date]) -> int:
    """Every view through the facts, of the records that belong to ``within``, against the
    straightforward evaluation of ``Snapshot.from_archive(archive, within=…)``; how many compared."""
    snap = Snapshot.from_archive(a, within=within, loader=a.load_record_validated)
    n = 0
    for day in days:
        for kw in ({}, {"enterprise": within} if within else {}):
            assert check_dict(check_view(a, day, within=within, **kw)) == check_dict(run_checks(snap, day, **kw)), (within, day, kw)
        assert rectification_view(a, day, within=within) == rectification_status(snap, day), (within, day)
        assert plain(campaign_status(a, day, within=within)) == plain(campaign_status(a, day, snap=snap)), (within, day)
        board = plain(dashboard(a, as_of=day, within=within).as_dict())
        assert board == plain(dashboard_of_snapshot(a, as_of=day, within=within).as_dict())
        a.views.clear()  # and read back from its file (another process's first look)
        assert plain(dashboard(a, as_of=day, within=within).as_dict()) == board
        assert listings(a, as_of=day, include_inactive=True, within=within).rows == blacklist_rows(snap, day, include_inactive=True)
        n += 1
    return n


def test_an_enterprise_accounts_views_are_those_of_its_own_records(tmp_path_factory, _world_template):
    world = web_world.copy(_world_template, tmp_path_factory.mktemp("scoped-views") / "world")
    a = Archive.open(world["bureau"])
    for within in (web_world.ENTERPRISE, web_world.ENTERPRISE_B, "91370100MA00000000", None):
        assert scoped_views_agree(a, within, [date(2026, 6, 20), date(2026, 11, 29), date(2027, 1, 15)]) == 3
    mine = check_view(a, date(2026, 11, 29), enterprise=web_world.ENTERPRISE_B, within=web_world.ENTERPRISE_B)
    assert all(f.enterprise in (None, web_world.ENTERPRISE_B) for r in mine.results for f in r.findings)
    a.close()


def test_an_enterprise_accounts_views_in_a_district(district):
    a, snap = district
    enterprises = sorted({r.obj.enterprise for r in snap.of("project")})
    for within in enterprises[:2]:
        assert scoped_views_agree(a, within, [date(2026, 7, 1), date(2026, 11, 30)]) == 2


def test_the_reminders_read_through_the_facts_are_those_of_the_whole_snapshot(district):
    """Certificates (expiry and review), licences, agreements, rectification items and deliverables
    coming due: found by their ``due`` links, for the bureau and for an enterprise's account."""
    a, _ = district
    enterprise = sorted({r.obj.enterprise for r in reference(a).of("project")})[0]
    kinds: set[str] = set()
    for within in (None, enterprise):
        snap = Snapshot.from_archive(a, types=REMIND_TYPES, within=within)
        for day in (date(2026, 3, 1), date(2026, 7, 1), date(2026, 11, 30)):
            for days in (30, 120):
                got = [r.as_dict() for r in reminders(a, as_of=day, days=days, within=within)]
                assert got == [r.as_dict() for r in reminders(a, as_of=day, days=days, within=within, snap=snap)], (within, day, days)
                kinds |= {r["kind"] for r in got}
    assert kinds == set(KINDS)  # every kind was compared


# --- facts: caught up, rebuilt ----------------------------------------------------------------------------


def all_facts(a: Archive) -> tuple[list, list]:
    rows = a.catalog.facts.rows(seqs=range(1, a.catalog.max_seq() + 1))
    links = a.catalog.facts.links([r["seq"] for r in rows])
    return rows, links


def test_facts_are_caught_up_by_seq_and_rebuilt_the_same(old_record_home):
    home, rid = old_record_home
    a = Archive.open(home)
    f = a.catalog.facts
    assert f.rows(record_ids=[rid]) == [] and f.position() < a.catalog.max_seq()  # stored without its facts
    assert catch_up(a) == 1
    assert f.position() == a.catalog.max_seq() and [r["record_id"] for r in f.rows(record_ids=[rid])] == [rid]
    assert f.lint(record_ids=[rid])[0]["problems"]  # judged as it was caught up
    assert catch_up(a) == 0
    before = all_facts(a)
    assert rebuild(a) == a.catalog.max_seq()
    assert all_facts(a) == before
    result = CliRunner().invoke(main, ["--home", str(home), "facts", "rebuild"])
    assert result.exit_code == 0 and "重建" in result.output
    a.close()


def test_facts_of_an_older_derivation_are_derived_again_when_a_command_opens_the_archive(old_record_home):
    """A newer outsafe derives more facts (derive.VERSION): the first command says so and derives
    them before its view reads them; the next one says nothing."""
    home, _ = old_record_home
    a = Archive.open(home)
    catch_up(a)
    with a.catalog.transaction():
        a.catalog.facts.set_state("version", "1")
        a.catalog.db.execute("DELETE FROM fact_links WHERE role='home'")  # what version 1 lacked
    a.close()
    result = CliRunner().invoke(main, ["--home", str(home), "check", "--json"])
    assert result.exit_code in (0, 1, 2) and "deriving them again" in result.stderr, result.output
    a = Archive.open(home)
    assert a.catalog.facts.get_state("version") == derive_version() and a.catalog.facts.keys("home")
    a.close()
    again = CliRunner().invoke(main, ["--home", str(home), "check", "--json"])
    assert "deriving them again" not in again.stderr and again.stdout == result.stdout


def test_verify_checks_the_facts_against_the_sealed_records(old_record_home):
    home, rid = old_record_home
    a = Archive.open(home)
    catch_up(a)
    from archive.integrity.verify import verify_archive

    assert verify_archive(a).ok
    seq = a.catalog.get_record(rid)["seq"]
    a.catalog.db.execute("DELETE FROM fact_links WHERE seq=? AND role='home'", (seq,))  # a view would leave the order out
    rep = verify_archive(a)
    assert not rep.ok and any(rid in f and "links" in f for f in rep.failures)
    assert any("outsafe facts rebuild" in f for f in rep.failures)
    a.close()
    assert CliRunner().invoke(main, ["--home", str(home), "verify"]).exit_code == 3
    assert CliRunner().invoke(main, ["--home", str(home), "facts", "rebuild"]).exit_code == 0
    assert CliRunner().invoke(main, ["--home", str(home), "verify"]).exit_code == 0
    # a link that says its record is of another type: read by type, the order would be left out
    a = Archive.open(home)
    seq = a.catalog.get_record(rid)["seq"]
    assert a.catalog.facts.linked("home", [cf.ENTERPRISE], types=["rectification_order"]) != []
    a.catalog.db.execute("UPDATE fact_links SET type='hazard' WHERE seq=? AND role='home'", (seq,))
    a.catalog.db.commit()
    assert seq not in [r["seq"] for r in a.catalog.facts.linked("home", [cf.ENTERPRISE], types=["rectification_order"])]
    rep = verify_archive(a)
    assert not rep.ok and any(rid in f and "link types" in f for f in rep.failures)
    a.close()
    assert CliRunner().invoke(main, ["--home", str(home), "facts", "rebuild"]).exit_code == 0
    assert CliRunner().invoke(main, ["--home", str(home), "verify"]).exit_code == 0


# --- kept results ----------------------------------------------------------------------------------------


def test_verify_names_a_brief_that_is_not_the_sealed_records(tmp_path_factory):
    """The check judges a ticket by its brief: a brief altered in the catalog (a day moved) or
    removed is named by verify's comparison of the facts with the sealed records, and a rebuild
    mends it. (The bulk-stored district is not signed by registered keys: its comparison of the
    facts is what is asked here; tests/test_verify.py runs verify whole.)"""
    from archive.facts.index import facts_differences

    a = district_archive(tmp_path_factory, District(seed=5, enterprises=2, contractors=3, records=150))
    catch_up(a)
    rows = a.catalog.records_after(0)
    assert facts_differences(a, rows) == []
    seq, rid, brief = a.catalog.db.execute(
        "SELECT f.seq, f.record_id, f.brief FROM fact_records f WHERE f.type='work_ticket' AND f.brief IS NOT NULL LIMIT 1").fetchone()
    other = a.catalog.db.execute("SELECT record_id FROM fact_records WHERE type='training_record' AND brief IS NOT NULL LIMIT 1").fetchone()[0]
    data = json.loads(brief)
    data["valid_to"] = "2099-01-01 08:00"
    a.catalog.db.execute("UPDATE fact_records SET brief=? WHERE seq=?", (json.dumps(data, ensure_ascii=False), seq))
    a.catalog.db.execute("UPDATE fact_records SET brief=NULL WHERE record_id=?", (other,))
    a.catalog.db.commit()
    found = facts_differences(a, rows)
    assert len(found) == 2 and all("brief" in f for f in found) and {rid, other} == {f.split()[1].rstrip(":") for f in found}, found
    rebuild(a)
    assert facts_differences(a, rows) == []
    a.close()


def test_a_brief_altered_in_the_catalog_never_breaks_the_check(tmp_path_factory):
    """Briefs that are no JSON, no object, or hold a value of another type than its field's (a
    catalog edited by hand): the check reads those records whole instead — the same findings as
    the straightforward evaluation, no traceback — and verify names each brief."""
    from archive.facts.index import facts_differences

    a = district_archive(tmp_path_factory, District(seed=8, enterprises=2, contractors=4, records=220))
    catch_up(a)
    snap = reference(a)
    tickets = a.catalog.db.execute("SELECT seq, brief FROM fact_records WHERE type='work_ticket' AND brief IS NOT NULL").fetchall()
    cards = a.catalog.db.execute("SELECT seq, brief FROM fact_records WHERE type='training_record' AND brief IS NOT NULL").fetchall()
    assert len(tickets) >= 3 and cards
    wrong = json.loads(tickets[2][1])
    wrong["valid_to"] = 12345
    card = json.loads(cards[0][1])
    card["conclusion"] = "合格"
    for seq, text in ((tickets[0][0], "{not json"), (tickets[1][0], "[1, 2]"), (tickets[2][0], json.dumps(wrong)),
                      (cards[0][0], json.dumps(card, ensure_ascii=False))):
        a.catalog.db.execute("UPDATE fact_records SET brief=? WHERE seq=?", (text, seq))
    a.catalog.db.commit()
    day = date(2026, 11, 30)
    for kw in scopes(snap):
        forget_kept(a)
        a.sealed.clear()
        with view_cache.collector_paused():
            assert check_dict(check_view(a, day, **kw)) == check_dict(run_checks(snap, day, **kw)), kw
    assert len([f for f in facts_differences(a, a.catalog.records_after(0)) if "brief" in f]) == 4
    a.close()


def test_a_view_with_nothing_new_reads_no_record_and_a_new_record_invalidates_only_what_it_concerns(district, tmp_path, monkeypatch):
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    a0, snap = district
    home = cf.copy_home(Path(a0.home.root), tmp_path / "archive")
    day = date(2026, 11, 30)
    enterprises = sorted({r.obj.enterprise for r in snap.of("project")})
    works_for = {e: {r.obj.contractor for r in snap.of("project") if r.obj.enterprise == e} for e in enterprises}
    size = {e: sum(1 for r in snap.recs if getattr(r.obj, "enterprise", None) == e) for e in enterprises}
    e = min(enterprises, key=lambda x: size[x])  # the new record's enterprise
    others = [f for f in enterprises if f != e and not works_for[f] & works_for[e]]  # sharing no contractor with it
    a = Archive.open(home)
    whole = check_dict(check_view(a, day))
    mine = {e: check_dict(check_view(a, day, enterprise=e)) for e in enterprises}
    a.close()

    again = Archive.open(home)  # another process: the kept results are read from their files
    assert check_dict(check_view(again, day)) == whole
    assert all(check_dict(check_view(again, day, enterprise=e)) == mine[e] for e in enterprises)
    assert again.sealed.loaded == 0
    # a new hazard of one enterprise
    d = District(seed=99, enterprises=1, contractors=1, records=30)
    case = next(c for c in d.cases() if c.type == "hazard")
    contractor = sorted(works_for[e])[0]
    case.data.update(enterprise=e, contractor=contractor, project=None, hazard_no="YH-NEW-1", deadline="2026-07-01")
    store(again, [case])
    again.views.clear()
    again.sealed.clear()
    for f in others:
        assert check_dict(check_view(again, day, enterprise=f)) == mine[f]
    assert again.sealed.loaded == 0  # the other enterprises' results: still true, nothing read
    after = check_view(again, day)
    assert check_dict(after) != whole
    read = again.sealed.loaded
    assert 0 < read < len(snap.recs) / 2  # only the enterprise it concerns was read again
    assert check_dict(after) == check_dict(run_checks(reference(again), day))
    again.close()


def test_a_new_record_leaves_true_what_read_only_other_types_of_its_links(district, tmp_path, monkeypatch):
    """A kept result depends on the types it read through each link (``home|E|hazard``): a new work
    ticket of an enterprise for one contractor leaves the check of another contractor working for
    the same enterprise true (it reads the enterprise's findings, equipment and registers, not its
    tickets); a new hazard of the enterprise does not — and every result is the straightforward one."""
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    a0, snap = district
    day = date(2026, 11, 30)
    by_enterprise: dict[str, list] = {}
    for p in snap.of("project"):
        by_enterprise.setdefault(p.obj.enterprise, []).append(p.obj)
    e, projects = next((e, ps) for e, ps in sorted(by_enterprise.items()) if len({p.contractor for p in ps}) >= 2)
    y_project = projects[0]
    x = next(p.contractor for p in projects if p.contractor != y_project.contractor)
    a = Archive.open(cf.copy_home(Path(a0.home.root), tmp_path / "archive"))
    mine = check_dict(check_view(a, day, contractor=x))
    generated = list(District(seed=99, enterprises=1, contractors=1, records=60).cases())
    ticket = next(c for c in generated if c.type == "work_ticket" and c.data["ticket_type"] == "excavation")
    store(a, [dataclasses.replace(ticket, key="ticket:NEW-1", data={**json.loads(json.dumps(ticket.data)), "ticket_no": "DT-NEW-1",
                                                                     "enterprise": e, "contractor": y_project.contractor,
                                                                     "project": y_project.code})])
    a.views.clear()
    a.sealed.clear()
    computed, loaded = view_cache.computed(), a.sealed.loaded
    assert check_dict(check_view(a, day, contractor=x)) == mine
    assert view_cache.computed() == computed and a.sealed.loaded == loaded  # still true: nothing read
    assert mine == check_dict(run_checks(reference(a), day, contractor=x))
    hazard = next(c for c in generated if c.type == "hazard")
    store(a, [dataclasses.replace(hazard, key="hazard:NEW-1", data={**json.loads(json.dumps(hazard.data)), "hazard_no": "YH-NEW-1",
                                                                     "enterprise": e, "contractor": None, "project": None,
                                                                     "description": "有限空间作业未进行辨识", "deadline": "2026-12-20"})])
    a.views.clear()
    after = check_dict(check_view(a, day, contractor=x))
    assert view_cache.computed() == computed + 1  # the enterprise's hazards were read: computed again
    assert after == check_dict(run_checks(reference(a), day, contractor=x)) != mine
    a.close()


def test_a_contractors_check_reads_only_what_it_can_judge_of_its_enterprises(district, tmp_path, monkeypatch):
    """A contractor's check reads, of the orders, inspections and hazards of the enterprises it
    works for, only those naming a confined space (in words, or by a space its tickets or their
    registers name), and of their equipment only what C3 judges in its scope (at its projects, its
    own, an enterprise's own at no project) — and gives what the straightforward evaluation gives,
    findings that name a space only by its name and an enterprise's own unregistered crane included."""
    monkeypatch.setenv("OUTSAFE_PASSPHRASE", "test-passphrase")
    a0, snap = district
    ticket = next(t for t in snap.of("work_ticket") if t.obj.ticket_type == "confined_space" and len(space_stem(t.obj.space_name)) >= 3)
    project = snap.project_rec(ticket.obj.enterprise, ticket.obj.project).obj
    e, c, space = project.enterprise, project.contractor, space_stem(ticket.obj.space_name)
    a = Archive.open(cf.copy_home(Path(a0.home.root), tmp_path / "archive"))
    generated = list(District(seed=99, enterprises=1, contractors=1, records=60).cases())
    first = next(cs for cs in generated if cs.type == "hazard")
    texts = [f"{space}出入口未设置明显的安全警示标志", "配电室门口堆放杂物", f"{space}有限空间作业未进行辨识"]
    made = []
    for n, text in enumerate(texts):  # of the enterprise, naming no contractor
        data = {**json.loads(json.dumps(first.data)), "enterprise": e, "contractor": None, "project": None, "hazard_no": f"YH-CS-{n}",
                "description": text, "found_on": "2026-06-01", "deadline": "2026-12-20", "status": "未整改"}
        data.pop("rectified_on", None)
        made.append(dataclasses.replace(first, key=f"hazard:YH-CS-{n}", data=data, created_at=f"2026-06-0{n + 1}T08:00:00Z", supersedes=None))
    # and an enterprise's own special equipment at no project, unregistered: C3 judges it in the contractor's scope too
    kit = next(cs for cs in generated if cs.type == "equipment")
    kit_data = {**json.loads(json.dumps(kit.data)), "equipment_no": "SB-CS-1", "owner": e, "enterprise": e, "project": None,
                "special_equipment": True, "registration_no": None, "registration_date": None, "entered_on": "2026-02-01", "status": "在用"}
    made.append(dataclasses.replace(kit, key="equipment:SB-CS-1", data=kit_data, created_at="2026-02-01T08:00:00Z", supersedes=None))
    store(a, made)
    a.views.clear()
    reference_snap = reference(a)
    for day in (date(2026, 5, 1), date(2026, 7, 1), date(2026, 11, 30)):
        view = check_dict(check_view(a, day, contractor=c))
        assert view == check_dict(run_checks(reference_snap, day, contractor=c)), day
    cs1 = next(r for r in check_view(a, date(2026, 7, 1), contractor=c).results if r.rule.id == "CS-1")
    c3 = next(r for r in check_view(a, date(2026, 7, 1), contractor=c).results if r.rule.id == "C3")
    assert any("SB-CS-1" in json.dumps(f.evidence, ensure_ascii=False) + f.message for f in c3.findings), [f.message for f in c3.findings]
    named = [f for f in cs1.findings if texts[0] in f.message]
    assert len(named) == 1 and named[0].enterprise == e  # found by the space's name alone
    # what the contractor's snapshot holds of the enterprises' findings
    world = World(a)
    held = contractor_snapshot(world, c, date(2026, 11, 30)).of("hazard", "rectification_order", "inspection_record")
    texts_of = {r.id: [getattr(r.obj, "description", None)] + [getattr(i, "text", "") for i in getattr(r.obj, "items", getattr(r.obj, "findings", ()))]
                for r in held}
    assert {r.obj.hazard_no for r in held if r.type == "hazard" and r.obj.hazard_no.startswith("YH-CS-")} == {"YH-CS-0", "YH-CS-2"}
    for r in held:
        names_it = c in json.dumps(to_plain(r.obj), ensure_ascii=False, default=str)
        assert names_it or any(t and (space in t or "有限空间" in t or "受限空间" in t or "井" in t or "罐" in t or "容器" in t)
                               for t in texts_of[r.id]), r.title
    everything = [r for r in reference_snap.of("hazard") if r.obj.enterprise == e and not r.obj.contractor]
    assert len([r for r in held if r.type == "hazard" and r.obj.enterprise == e and not r.obj.contractor]) < len(everything)
    # of the enterprises' equipment, what C3 can judge in the contractor's scope
    mine = [p.obj for p in reference_snap.of("project") if p.obj.contractor == c]
    places, ents = {(p.enterprise, p.code) for p in mine}, {p.enterprise for p in mine}
    equipment = contractor_snapshot(world, c, date(2026, 11, 30)).of("equipment")
    assert equipment and all(q.obj.owner == c or (q.obj.enterprise, q.obj.project) in places
                             or (q.obj.project is None and q.obj.owner in ents and q.obj.enterprise in ents) for q in equipment)
    assert len(equipment) < len([q for q in reference_snap.of("equipment") if q.obj.enterprise in ents])
    a.close()


def test_a_scopes_check_reads_each_records_sealed_data_once(district, monkeypatch):
    """A scope's selection is several clauses that overlap (a contractor's records and those filed
    under its projects are mostly the same); only the first clause that finds anything reads the
    sealed data with its rows, the rest read the data of the records they add — each record's data
    is read once, and the checks are those of the straightforward evaluation."""
    a, snap = district
    facts = a.catalog.facts
    read: list[int] = []
    for name in ("linked", "rows", "of_type", "keyed"):
        real = getattr(facts, name)

        def spy(*args, _real=real, **kw):
            got = _real(*args, **kw)
            read.extend(r["seq"] for r in got if "data" in r)
            return got
        monkeypatch.setattr(facts, name, spy)
    day = date(2026, 11, 30)
    busiest = max({p.obj.contractor for p in snap.of("project")}, key=lambda c: sum(p.obj.contractor == c for p in snap.of("project")))
    largest = max({p.obj.enterprise for p in snap.of("project")}, key=lambda e: sum(p.obj.enterprise == e for p in snap.of("project")))
    for scope in ({"contractor": busiest}, {"enterprise": largest}):
        forget_kept(a)  # (another test of the module may have kept this view: it must be computed here)
        a.sealed.clear()
        read.clear()
        with view_cache.collector_paused():
            view = check_dict(check_view(a, day, **scope))
        twice = {s for s in read if read.count(s) > 1}
        assert read and not twice, (scope, len(twice))
        assert view == check_dict(run_checks(snap, day, **scope))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=date(2026, 3, 1), max_value=LAST))
@example(day=date(2026, 6, 1))  # (an enterprise of the district has filed cards but no ticket by then)
def test_the_check_judges_tickets_and_training_cards_from_their_briefs_as_from_the_records(district, day, monkeypatch):
    """A check reads a 作业票 (but a confined-space one) or a 三级安全教育登记卡 from its brief (its
    sealed data without the lists the rules never read, archive.facts.derive); its findings are
    those of the straightforward evaluation over the whole records, and no rule reads a field a
    brief left out (none of them is loaded whole)."""
    from archive.facts.derive import withheld

    a, snap = district
    worlds: list[World] = []
    real_init = World.__init__

    def init(self, *args, **kw):
        real_init(self, *args, **kw)
        worlds.append(self)
    monkeypatch.setattr(World, "__init__", init)
    kinds: set[str] = set()
    for kw in scopes(snap)[1:]:  # (the whole archive: the equivalence test above, in worker processes too)
        forget_kept(a)
        a.sealed.clear()  # (the reference snapshot loaded every record whole)
        worlds.clear()
        with view_cache.collector_paused():
            view = check_dict(check_view(a, day, **kw))
        assert view == check_dict(run_checks(snap, day, **kw)), (day, kw)
        briefed = [o for w in worlds for o in w._briefed.values()]
        assert all(w.withheld_loads == 0 for w in worlds), kw
        kinds |= {type(o).__name__ for o in briefed}
        assert all(withheld(o.__case__.type, getattr(o, "ticket_type", None)) for o in briefed)
    if day >= date(2026, 6, 1):  # (by then the district's enterprises have filed both; one of them may not have)
        assert "TrainingRecord" in kinds and any(k.endswith("Ticket") for k in kinds), kinds


def test_an_enterprises_list_of_contractors_is_the_straightforward_one(district):
    """The contractors on an enterprise's list (whose latest record it sealed), found by its origin
    links: those the whole snapshot finds, for every enterprise and role."""
    a, snap = district
    world = World(a)
    partial = world.snapshot([Clause.of("home", [])], None)
    found = 0
    for e in sorted({r.origin for r in snap.of("organization")}):
        for role in ("contractor", "enterprise"):
            got = partial.org_keys_with_role(role, e)
            assert sorted(got) == sorted(snap.org_keys_with_role(role, e)) and len(got) == len(set(got)), (e, role)
            found += len(got)
    assert found
    assert sorted(partial.org_keys_with_role("contractor")) == sorted(snap.org_keys_with_role("contractor"))


def test_a_field_a_brief_left_out_is_the_sealed_records_when_read(district):
    from archive.facts.records import Withheld

    a, snap = district
    a.sealed.clear()
    world = World(a)
    world.briefs = True
    rows = [r for r in world.of_type(["work_ticket", "training_record"]) if r["subtype"] != "confined_space"][:40]
    recs = world.recs(rows, None)
    assert len(recs) == len(rows) and len(world._briefed) == len(rows)
    whole = {r.id: r.obj for r in snap.recs if r.type in ("work_ticket", "training_record")}
    for n, rec in enumerate(recs):
        field = "levels" if rec.type == "training_record" else "measures"
        got = getattr(rec.obj, field)
        assert isinstance(got, Withheld) and world.withheld_loads == n  # not loaded until read
        assert list(got) == list(getattr(whole[rec.id], field)) and len(got) == len(getattr(whole[rec.id], field))
        assert got == getattr(whole[rec.id], field) and tuple(got) == getattr(whole[rec.id], field)
        assert rec.obj == whole[rec.id]  # every field, those left out loaded
    assert world.withheld_loads == len(recs)
    assert not a.sealed.get(recs[0].id) or a.sealed.get(recs[0].id) is not recs[0].obj  # a brief never enters the sealed cache


# --- the collector paused while a view computes ----------------------------------------------------------


def test_the_collector_is_paused_while_a_view_computes_and_then_runs_again(district):
    a, _ = district
    assert gc.isenabled()
    seen = []
    view_cache.get_or_compute(a, "test-collector-paused", lambda deps: seen.append(gc.isenabled()) or 1)
    assert seen == [False] and gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        with view_cache.collector_paused():
            with view_cache.collector_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the outer view still computes
            1 / 0
    assert gc.isenabled()  # restored after an error too


def test_the_collector_runs_again_only_when_no_thread_computes():
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    states = {}

    def first():
        with view_cache.collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with view_cache.collector_paused():
            second_in.set()
            first_out.wait(5)
            states["while the second computes"] = gc.isenabled()
        states["after both"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert states == {"while the second computes": False, "after both": True}


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with view_cache.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

