"""Blacklists: the schemas (令第11号 period, early removal), drafting entries and removals, the
lists on a given day, and their effect — a listed contractor gets no new ticket."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from archive.app import Archive
from archive.campaign.blacklist import blacklist_rows, draft_entry, draft_removal
from archive.checks.snapshot import Snapshot
from archive.checks.admission import admission_problems
from archive.checks.rules import run_checks
from archive.errors import NotFound, ValidationFailed
from archive.campaign.rectify import check_draft, write_case_file
from archive.settings import Settings
from schemas import load
from schemas.base import RuleContext
from schemas.blacklist import add_months, add_years
from tests import campaign_factories as cf

CTX = RuleContext(Settings(), cf.TODAY, None)


def statutory(**kw) -> dict:
    base = {
        "type": "blacklist_entry", "entry_no": "（高新）应急失信〔2026〕1号", "list": "statutory", "listed_by": cf.BUREAU,
        "subject": cf.CONTRACTOR, "subject_name": "山东恒安设备安装工程有限公司", "situation": 6,
        "facts": "安全生产许可证被暂扣期间擅自施工", "penalty_decision_no": "（高新）应急罚〔2026〕3号",
        "decided_on": "2026-03-01", "start": "2026-03-01", "end": "2029-03-01", "decided_by": "济南高新区应急管理局",
    }
    base.update(kw)
    return base


def problems(raw, ctx=CTX):
    r = load(copy.deepcopy(raw), ctx, file="x")
    return {p.path: p for p in r.problems if p.severity == "error"}


# --- dates ---------------------------------------------------------------------------------------------


def test_periods_are_counted_like_the_civil_code():
    assert add_years(date(2026, 3, 1), 3) == date(2029, 3, 1)
    assert add_years(date(2028, 2, 29), 3) == date(2031, 2, 28)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 1), 12) == date(2027, 3, 1)


# --- schemas --------------------------------------------------------------------------------------------


def test_statutory_entry_valid_and_its_rules():
    assert problems(statutory()) == {}
    assert "end" in problems(statutory(end="2028-03-01"))  # 3 years, from settings.blacklist_years
    assert "situation" in problems(statutory(situation=None))
    assert "situation" in problems(statutory(situation=10))
    assert "penalty_decision_no" in problems(statutory(penalty_decision_no=None))
    assert "subject" in problems(statutory(subject=None))
    assert "end" not in problems(statutory(end="2030-03-01"), RuleContext(Settings(blacklist_years=4), cf.TODAY, None))


def test_enterprise_entry_needs_a_trigger_and_any_period():
    raw = statutory(list="enterprise", listed_by=cf.ENTERPRISE, situation=None, penalty_decision_no=None,
                    trigger="季度安全生产考核不合格", end="2027-03-01", decided_by="济南华锐重型机械有限公司")
    assert problems(raw) == {}
    assert "trigger" in problems(dict(raw, trigger=None))


def removal(**kw) -> dict:
    base = {
        "type": "blacklist_removal", "removal_no": "（高新）应急失信移〔2027〕1号", "entry_no": "（高新）应急失信〔2026〕1号",
        "list": "statutory", "listed_by": cf.BUREAU, "subject": cf.CONTRACTOR, "subject_name": "山东恒安设备安装工程有限公司",
        "kind": "提前移出", "entry_start": "2026-03-01", "applied_on": "2027-03-02", "decided_on": "2027-03-10",
        "reason": "已整改到位，申请提前移出", "decided_by": "济南高新区应急管理局",
    }
    base.update(kw)
    return base


def test_early_removal_only_after_twelve_months():
    ctx = RuleContext(Settings(), date(2029, 12, 31), None)
    assert problems(removal(), ctx) == {}
    assert "applied_on" in problems(removal(applied_on="2027-03-01"), ctx)  # 12 months end that day
    assert "decided_on" in problems(removal(applied_on="2027-03-02", decided_on="2027-02-20"), ctx)
    assert "applied_on" in problems(removal(applied_on=None), ctx)
    assert "decided_on" in problems(removal(kind="期满移出", decided_on="2029-03-01"), ctx)
    assert problems(removal(kind="期满移出", decided_on="2029-03-02"), ctx) == {}


# --- drafting and listing in an archive ----------------------------------------------------------------


@pytest.fixture
def world(tmp_path_factory, tmp_path):
    a = Archive.open(cf.copy_home(cf.world_home(tmp_path_factory), tmp_path / "archive"))
    yield a
    a.close()


def add_draft(archive, draft, path):
    write_case_file(draft.data, path, draft.header)
    return archive.add_files([path], pdf=False, today=cf.TODAY).added[0]


def test_enterprise_listing_draft_uses_the_e5_triggers(world, tmp_path):
    failed = dict(cf.world()["assessment_q2"], assessment_no="HR-KH-2026-Q2-09", result="不合格", score=50)
    world.add_files([cf.f.write(tmp_path, "kh.yaml", failed)], pdf=False, today=cf.TODAY)
    d = draft_entry(world, list_kind="enterprise", subject=cf.CONTRACTOR, decided_on=date(2026, 7, 10))
    assert d.data["entry_no"] == "HMD-2026-001" and d.data["listed_by"] == cf.ENTERPRISE
    assert d.data["trigger"] == "季度安全生产考核不合格" and "2026年第2季度安全生产考核不合格" in d.data["facts"]
    assert d.data["evidence"] == ["承包单位季度安全生产考核 HR-KH-2026-Q2-09"]
    assert d.data["end"] == date(2029, 7, 10)
    rec = add_draft(world, d, tmp_path / "entry.yaml")
    assert rec.title == "列入黑名单决定 HMD-2026-001"
    assert draft_entry(world, list_kind="enterprise", subject=cf.CONTRACTOR, decided_on=date(2026, 7, 11)).data["entry_no"] == "HMD-2026-002"
    snap = Snapshot.from_archive(world)
    (row,) = blacklist_rows(snap, date(2026, 8, 1))
    assert (row["list_name"], row["state"], row["start"], row["end"]) == ("企业承包商黑名单", "active", "2026-07-10", "2029-07-10")
    assert blacklist_rows(snap, date(2026, 7, 9)) == []  # decided later
    assert blacklist_rows(snap, date(2029, 7, 10))[0]["state"] == "active"  # the last day
    assert blacklist_rows(snap, date(2029, 7, 11)) == []
    assert blacklist_rows(snap, date(2029, 7, 11), include_inactive=True)[0]["state"] == "expired"
    # E5: listed, but the contract is still 履行中 → still a finding, now only about the contract
    (f,) = {r.rule.id: r for r in run_checks(snap, date(2026, 8, 15)).results}["E5"].findings
    assert "未解除工程合同关系" in f.message and "黑名单" not in f.message


def test_statutory_listing_by_the_bureau_and_early_removal(world, tmp_path):
    # the archive belongs to the enterprise: the bureau (registered) decides the statutory list
    d = draft_entry(world, list_kind="statutory", subject=cf.CONTRACTOR, decided_on=date(2026, 3, 1), situation=6,
                    facts="安全生产许可证暂扣期间擅自施工", evidence=("（高新）应急罚〔2026〕3号",),
                    penalty_decision_no="（高新）应急罚〔2026〕3号")
    assert d.data["entry_no"] == "（高新）应急失信〔2026〕1号" and d.data["listed_by"] == cf.BUREAU
    assert d.data["end"] == date(2029, 3, 1) and "加大执法检查频次" in d.data["measures"]
    assert [p for p in check_draft(world, d.data, cf.TODAY) if p.severity == "error"] == []
    add_draft(world, d, tmp_path / "s.yaml")
    row = blacklist_rows(Snapshot.from_archive(world), date(2026, 6, 1))[0]
    assert row["early_removal_from"] == "2027-03-01"
    r = draft_removal(world, entry_no="（高新）应急失信〔2026〕1号", kind="提前移出", decided_on=date(2026, 11, 1),
                      reason="整改到位", applied_on=date(2026, 10, 1))
    assert r.data["removal_no"] == "（高新）应急失信移〔2026〕1号" and r.data["entry_start"] == date(2026, 3, 1)
    assert any("列入满12个月" in n for n in r.notes)
    errors = {p.path for p in check_draft(world, r.data, cf.TODAY) if p.severity == "error"}
    assert errors == {"applied_on", "decided_on"}
    with pytest.raises(NotFound):
        draft_removal(world, entry_no="nope", kind="撤销列入", decided_on=date(2026, 11, 1), reason="x")


def test_draft_entry_refuses_unknown_subject_and_wrong_lister(world):
    with pytest.raises(NotFound):
        draft_entry(world, list_kind="enterprise", subject=cf.f.CONTRACTOR2, decided_on=date(2026, 7, 1))
    with pytest.raises(ValidationFailed):
        draft_entry(world, list_kind="enterprise", subject=cf.CONTRACTOR, decided_on=date(2026, 7, 1), listed_by=cf.BUREAU)


def test_a_blacklisted_contractor_cannot_get_a_new_ticket(world, tmp_path):
    """In the real archive: after the listing is archived, a new ticket for that contractor is refused
    (statutory: not overridable); after the removal it is admitted again."""
    ticket = dict(cf.world()["ticket_hot"])
    for k in ("applied_at", "valid_from", "valid_to"):
        ticket[k] = ticket[k].replace("2026-05-06", "2026-08-12")
    ticket["ticket_no"] = "DH-2026-0150"
    ticket["gas_samples"] = [dict(ticket["gas_samples"][0], taken_at="2026-08-12 08:10")]
    ticket["approvals"] = [dict(a, signed_at="2026-08-12 08:20") for a in ticket["approvals"]]
    ticket["completion"] = {"by": "高建军", "at": "2026-08-12 16:30"}
    obj = load(copy.deepcopy(ticket), CTX).obj

    def refused():
        reg = world.registry()
        return admission_problems(obj, world, reg, RuleContext(world.settings, cf.TODAY, reg))

    assert refused() == []
    d = draft_entry(world, list_kind="statutory", subject=cf.CONTRACTOR, decided_on=date(2026, 8, 1), situation=6,
                    facts="安全生产许可证暂扣期间擅自施工", penalty_decision_no="（高新）应急罚〔2026〕3号")
    add_draft(world, d, tmp_path / "s.yaml")
    (p,) = refused()
    assert p.rule == "blacklist" and not p.overridable and "（高新）应急失信〔2026〕1号" in p.message
    r = draft_removal(world, entry_no=d.data["entry_no"], kind="撤销列入", decided_on=date(2026, 8, 10), reason="处罚决定被撤销")
    add_draft(world, r, tmp_path / "r.yaml")
    assert refused() == []


# --- the decision documents ---------------------------------------------------------------------------------


def _registry_with_the_enterprise():
    from types import SimpleNamespace

    enterprise = load(cf.world()["enterprise"], CTX).obj
    return SimpleNamespace(organization=lambda uscc: enterprise if uscc == cf.ENTERPRISE else None)


def enterprise_entry(**kw) -> dict:
    base = statutory(list="enterprise", listed_by=cf.ENTERPRISE, situation=None, penalty_decision_no=None, trigger="违反安全生产管理协议",
                     decided_by="济南华锐重型机械有限公司", end="2029-03-01")
    base.update(kw)
    return base


def test_a_decision_is_issued_by_the_organisation_not_a_department():
    ctx = RuleContext(Settings(), cf.TODAY, _registry_with_the_enterprise())
    assert problems(enterprise_entry(), ctx) == {}
    bad = problems(enterprise_entry(decided_by="济南华锐重型机械有限公司安全环保部"), ctx)
    assert "decided_by" in bad and "内设部门" in bad["decided_by"].message
    assert "evidence[0]" in problems(enterprise_entry(evidence=["夜间巡查记录（安全环保部 2026-09-22）"]), ctx)  # 2026年9月22日


def test_a_person_is_addressed_as_you_and_the_organisation_seals(tmp_path):
    from archive.documents.render import render_record
    from schemas.base import dump
    from tests.test_render import docx_text

    raw = enterprise_entry(subject=None, subject_name="朱大勇", person={"name": "朱大勇", "unit": "济南鲁中建设工程有限公司（劳务分包）"},
                           facts="未办理受限空间安全作业票即下井作业")
    obj = load(raw, CTX).obj
    refs = {"organizations": {cf.ENTERPRISE: dump(load(cf.world()["enterprise"], CTX).obj)}}
    text = docx_text(render_record(obj, refs, settings=Settings()).docx).replace("\n", "")
    assert "朱大勇：" in text and "本单位决定将你列入承包商黑名单" in text and "你单位" not in text
    assert "济南华锐重型机械有限公司（印章）" in text and "一份交被列入人" in text
    unit = load(enterprise_entry(subject=cf.CONTRACTOR), CTX).obj
    text = docx_text(render_record(unit, {"organizations": {**refs["organizations"], cf.CONTRACTOR: dump(load(
        cf.world()["contractor"], CTX).obj)}}, settings=Settings()).docx).replace("\n", "")
    assert "因你单位违反安全生产管理协议" in text and "一份交被列入单位" in text


def test_statutory_decision_prints_the_early_removal_period_of_the_settings():
    """The 12 months before early removal (令第11号 [S]) is a setting: the decision says the set period,
    as the removal rules check it (never a fixed 十二个月)."""
    from archive.documents.render import render_record
    from tests.test_render import docx_text

    obj = load(statutory(), CTX).obj
    text = docx_text(render_record(obj, {}, settings=Settings()).docx).replace("\n", "")
    assert "列入满十二个月后，符合条件的，可以向本机关申请提前移出" in text
    text = docx_text(render_record(obj, {}, settings=Settings(blacklist_early_removal_months=18)).docx).replace("\n", "")
    assert "列入满十八个月后，符合条件的，可以向本机关申请提前移出" in text and "十二个月" not in text
