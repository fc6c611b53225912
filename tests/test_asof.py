"""Every as-of view shows the world as it was on that day (issue 13 item 7).

A generated world — the campaign world of tests/campaign_factories with events on random days
(hazards found and rectified, inspections of the contractor, the bureau's inspection, order and
review, a penalty notice, a quarterly assessment, renewed certificates and licences, the project's
completion) — and a Hypothesis property over random as-of days: nothing that happened after the day
appears in the check, the rectification status, the campaign status, the four reports, the
contractor's dossier, the records a package export with ``--until`` selects, or the case file of an
evidence package with ``--until``.

How "nothing dated after the day" is recognised: every generated event falls on its own day, and no
planned date (agreed periods, deadlines, validity ends) and no date of the base world falls on an
event day; so an event day printed in any form (2026-07-13 or 2026年7月13日) can only come from that
event. Records formed after the day are recognised by their numbers.
"""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.app import Archive
from archive.campaign.calendar import campaign_status
from archive.campaign.dossier import contractor_dossier
from archive.campaign.rectify import rectification_status
from archive.campaign.reports import build_report
from archive.checks.rules import run_checks
from archive.checks.snapshot import Snapshot
from archive.packages.evidence import assemble_case
from archive.packages.export import closure, select_period
from tests import campaign_factories as cf

FIRST, LAST = date(2026, 4, 1), date(2026, 11, 28)
CASE_NO = "（高新）应急立〔2026〕31号"
CALENDAR = {date(2026, m, d) for m, d in ((3, 31), (4, 1), (4, 30), (6, 10), (6, 11), (9, 10), (9, 11), (10, 20), (11, 10))}


def forms(d: date) -> tuple[str, str]:
    return d.isoformat(), f"{d.year}年{d.month}月{d.day}日"


def generate(seed: int) -> tuple[dict[str, dict], list[tuple[date, str]]]:
    """The world's raw case files and its events: (day, marker) — a marker is a record number or a
    date text that appears only because of that event."""
    rng = random.Random(seed)
    raws = cf.world()
    used = {d for d in (FIRST + timedelta(n) for n in range((LAST - FIRST).days + 1))
            if any(x in yaml.safe_dump(raws, allow_unicode=True) for x in forms(d))} | CALENDAR
    # events on odd ordinal days no other date uses; everything planned from them lands on even days
    pool = [d for d in (FIRST + timedelta(n) for n in range((LAST - FIRST).days + 1)) if d.toordinal() % 2 and d not in used]
    rng.shuffle(pool)
    events: list[tuple[date, str]] = []

    def event(lo: date, hi: date) -> date:
        d = next(x for x in pool if lo <= x <= hi)
        pool.remove(d)
        return d

    def record(day: date, number: str) -> None:
        events.extend([(day, number), *((day, f) for f in forms(day))])

    for i in range(3):  # hazards found, two of them rectified later
        found = event(date(2026, 5, 1), date(2026, 9, 1))
        no = f"HR-YH-2026-07{i:02d}"
        raw = {"type": "hazard", "hazard_no": no, "enterprise": cf.ENTERPRISE, "contractor": cf.CONTRACTOR, "project": cf.PROJECT,
               "description": f"检修平台第{i + 1}处临边防护缺失", "grade": "一般", "found_on": found.isoformat(),
               "deadline": (found + timedelta(days=11)).isoformat(), "status": "整改中"}
        if i < 2:
            fixed = event(found + timedelta(days=1), date(2026, 11, 20))
            raw.update(status="已整改", rectified_on=fixed.isoformat())
            events.extend((fixed, f) for f in forms(fixed))
        raws[f"hazard_{i}"] = raw
        record(found, no)
    for i in range(2):  # more inspections of the contractor
        day = event(date(2026, 8, 12), date(2026, 9, 29))
        raws[f"inspection_x{i}"] = cf.inspection(60 + i, day.isoformat())
        record(day, f"HR-XGF-JC-2026-{60 + i:03d}")
    assessed = event(date(2026, 10, 1), date(2026, 10, 30))  # the third quarter's assessment, early in the fourth
    raws["assessment_q3"] = {**raws["assessment_q2"], "assessment_no": "HR-KH-2026-Q3-01", "quarter": 3, "assessed_on": assessed.isoformat()}
    record(assessed, "HR-KH-2026-Q3-01")
    inspected = event(date(2026, 6, 1), date(2026, 8, 30))  # the bureau: inspection → order → review
    raws["bureau_inspection"] = cf.bureau_inspection(inspected.isoformat(), no=71)
    record(inspected, "（高新）应急检记〔2026〕71号")
    raws["order"] = {
        "type": "rectification_order", "doc_no": "（高新）应急责改〔2026〕71号", "bureau": cf.BUREAU, "unit": cf.ENTERPRISE,
        "contractor": cf.CONTRACTOR, "project": cf.PROJECT, "inspection_ref": "（高新）应急检记〔2026〕71号",
        "inspected_on": inspected.isoformat(), "issued_on": inspected.isoformat(),
        "items": [{"text": "检修平台临边防护缺失。", "basis": "《中华人民共和国安全生产法》第四十一条第二款",
                   "deadline": (inspected + timedelta(days=15)).isoformat()}],
        "inspectors": raws["bureau_inspection"]["inspectors"], "authority_name": "济南高新区应急管理局",
    }
    reviewed = event(inspected + timedelta(days=16), date(2026, 10, 30))
    raws["review"] = {
        "type": "rectification_review", "doc_no": "（高新）应急复查〔2026〕71号", "bureau": cf.BUREAU, "unit": cf.ENTERPRISE,
        "contractor": cf.CONTRACTOR, "project": cf.PROJECT, "order_doc_no": "（高新）应急责改〔2026〕71号",
        "order_issued_on": inspected.isoformat(), "reviewed_on": reviewed.isoformat(),
        "items": [{"item": 1, "result": "已整改", "note": "已设置临边防护栏杆。"}], "opinion": "经复查，同意通过复查。",
        "inspectors": raws["bureau_inspection"]["inspectors"], "authority_name": "济南高新区应急管理局",
    }
    record(reviewed, "（高新）应急复查〔2026〕71号")
    noticed = event(date(2026, 9, 1), date(2026, 11, 20))
    raws["notice"] = {
        "type": "penalty_notice", "doc_no": "（高新）应急罚告〔2026〕71号", "case_no": CASE_NO, "bureau": cf.BUREAU,
        "unit": cf.ENTERPRISE, "facts": "你单位未对承包单位的安全生产工作统一协调、管理",
        "evidence": [{"name": "安全生产管理协议", "refs": ["HR-AQXY-2026-001"]}],
        "violated": "《中华人民共和国安全生产法》第四十九条第二款", "article": "SPL 103-2",
        "legal_basis": "《中华人民共和国安全生产法》第一百零三条第二款", "fine": "20000",
        "correction_deadline": (noticed + timedelta(days=21)).isoformat(), "authority_name": "济南高新区应急管理局",
        "statement_days": 3, "hearing_right": True, "hearing_days": 5, "contact_person": "刘晓", "contact_phone": "0531-88871209",
        "authority_address": "济南市高新区舜华路2000号", "issued_on": noticed.isoformat(),
    }
    record(noticed, "（高新）应急罚告〔2026〕71号")
    ended = event(date(2026, 9, 15), date(2026, 9, 29))  # the project completed early
    raws["project"] = {**raws["project"], "status": "已完工", "actual_end": ended.isoformat()}
    events.extend((ended, f) for f in forms(ended))
    renewed = event(date(2026, 6, 1), date(2026, 10, 30))  # the contractor's licence renewed, the welder's certificate too
    raws["contractor"]["qualifications"].append(
        {"kind": "安全生产许可证", "number": "（鲁）JZ安许证字〔2026〕071071", "issuer": "山东省住房和城乡建设厅", "scope": "建筑施工",
         "valid_from": renewed.isoformat(), "valid_to": "2029-02-28"})
    events.extend((renewed, f) for f in forms(renewed))
    events.append((renewed, "071071"))
    issued = event(date(2026, 6, 1), date(2026, 10, 30))
    welder = raws["person_welder"]
    welder["certificates"] = [*welder["certificates"], {**welder["certificates"][0], "issued": issued.isoformat(),
                                                         "expires": "2032-05-30", "next_review": "2029-05-30"}]
    events.extend((issued, f) for f in forms(issued))
    return raws, events


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    import os

    root = tmp_path_factory.mktemp("asof")
    raws, events = generate(seed=13)
    mp = pytest.MonkeyPatch()
    mp.setenv("OUTSAFE_PASSPHRASE", os.environ.get("OUTSAFE_PASSPHRASE") or "test-passphrase")
    try:
        a = cf.build_archive(root / "archive", root / "in", raws)
    finally:
        mp.undo()
    yield a, Snapshot.from_archive(a), events
    a.close()


def text(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def leaks(outputs: dict[str, str], events: list[tuple[date, str]], day: date) -> list[tuple[str, str, str]]:
    return [(name, marker, d.isoformat()) for name, out in outputs.items() for d, marker in events if d > day and marker in out]


def test_the_generated_world_has_events_on_both_sides_of_any_day(world):
    a, snap, events = world
    days = sorted({d for d, _ in events})
    assert len(days) >= 12 and days[0] < date(2026, 7, 1) < days[-1]
    everything = text({k: build_report(a, k, as_of=date(2026, 11, 29), snap=snap).data for k in ("self_check", "summary")})
    assert sum(1 for _, m in events if m in everything) >= 8  # the markers are what the views print


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=FIRST, max_value=LAST))
def test_no_view_shows_a_fact_dated_after_its_day(world, day):
    a, snap, events = world
    outputs = {
        "check": text(run_checks(snap, day).as_dict()),
        "rectify status": text(rectification_status(snap, day)),
        "campaign status": text(campaign_status(a, day, snap=snap)),
        "dossier": text(contractor_dossier(a, cf.CONTRACTOR, day).as_dict()),
    }
    for kind in ("attachment2", "self_check", "summary", "ledger"):
        outputs[f"report {kind}"] = text(build_report(a, kind, as_of=day, snap=snap).data)
    assert leaks(outputs, events, day) == []
    # what a package export --until and an evidence package --until would hold: no record formed later
    numbers = [(d, m) for d, m in events if not m[:4].isdigit()]
    selected = closure(a, select_period(a, None, day.isoformat()))
    case = assemble_case(a, CASE_NO, until=day.isoformat(), party=None if date.fromisoformat(
        json.loads(next(r for r in a.catalog.list_records(types=["penalty_notice"]))["data"])["issued_on"]) <= day else cf.ENTERPRISE)
    held = {"package --until": text([r["title"] for r in selected]), "evidence --until": text([r["title"] for r in case.rows()])}
    assert leaks(held, numbers, day) == []


def test_a_corrected_record_shows_the_version_current_on_the_day(world, tmp_path):
    """A register updated later: the view of an earlier day reads the earlier version."""
    a, _, _ = world
    home = cf.copy_home(Path(a.home.root), tmp_path / "copy")
    b = Archive.open(home)
    try:
        old = next(r for r in b.catalog.list_records(types=["confined_space_register"]))
        raw = cf.confined_register(register_no="HR-YXKJ-2026-01", compiled_on="2026-09-01")
        raw["spaces"] = [*raw["spaces"], {**raw["spaces"][0], "space_no": "YX-03", "name": "新建雨水检查井"}]
        b.add_files([cf.f.write(tmp_path / "in", "reg.yaml", raw)], supersedes=old["id"], pdf=False, today=cf.TODAY)
        snap = Snapshot.from_archive(b)
        (then,) = snap.upto(date(2026, 6, 1)).of("confined_space_register")
        (now,) = snap.upto(date(2026, 9, 2)).of("confined_space_register")
        assert [s.space_no for s in then.obj.spaces] == ["YX-01", "YX-02"] and len(now.obj.spaces) == 3
    finally:
        b.close()


def test_later_facts_inside_a_record_are_not_known_before_they_happen():
    from archive.checks.snapshot import as_known_on
    from tests.campaign_factories import load_objects

    raws = cf.world()
    raws["project"] = {**raws["project"], "status": "已完工", "actual_end": "2026-09-20"}
    objs = {type(o).__name__: o for o in load_objects({"p": raws["project"], "h": {**raws["hazard"], "rectified_on": "2026-06-02",
                                                                                   "found_on": "2026-05-20"}})}
    p = as_known_on(objs["Project"], date(2026, 9, 1))
    assert (p.status, p.actual_end) == ("施工中", None)
    assert as_known_on(objs["Project"], date(2026, 9, 20)).actual_end == date(2026, 9, 20)
    assert as_known_on(objs["Project"], date(2026, 4, 1)).status == "筹备"
    h = as_known_on(objs["Hazard"], date(2026, 6, 1))
    assert (h.status, h.rectified_on) == ("整改中", None)
    assert dataclasses.replace(h) == h
