"""A small, complete campaign world for the 五查 tests: one enterprise, its bureau, one contractor
with a project department, nine people with the certificates their work needs, a project with a
contract and an agreement, three-level training cards, four kinds of tickets, monthly inspections
by the enterprise, a passed quarterly assessment, a crane, a closed hazard.

Everything in :func:`world` passes every rule as of :data:`AS_OF`; a test changes one thing to
break one rule. Records are built as raw case-file dicts (what a user writes) and loaded with the
schemas, so the rules see exactly what an archive would hold.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

from archive.settings import Settings
from schemas import load
from schemas.base import RuleContext
from tests import factories as f

AS_OF = date(2026, 8, 15)
TODAY = date(2026, 11, 29)  # the day the data is validated (every date lies before it)
ENTERPRISE, BUREAU, CONTRACTOR = f.ENTERPRISE, f.BUREAU, f.CONTRACTOR
PROJECT = "HR-WB-2026-001"


def pid(n: int) -> str:
    return f.id_number(f"37010219800101{n:03d}")


IDS = {
    "manager": pid(11), "safety": pid(12), "welder": pid(13), "electrician": pid(14), "driver": pid(15),
    "commander": pid(16), "labourer": pid(17), "welder2": pid(18), "principal": pid(21), "safety_manager": pid(22),
    "inspector1": pid(31), "inspector2": pid(32),
}
NAMES = {
    "manager": "马志强", "safety": "孙丽娟", "welder": "王海军", "electrician": "李振电", "driver": "冯涛", "commander": "陈刚",
    "labourer": "赵普", "welder2": "钱焊", "principal": "周建国", "safety_manager": "刘海涛", "inspector1": "张明远", "inspector2": "刘晓",
}


def ref(key: str, cert: bool = False, **kw) -> dict:
    out = {"name": NAMES[key], "id_number": IDS[key]}
    if cert:
        out["certificate_no"] = IDS[key]
    out.update(kw)
    return out


def cert(kind: str, category: str, number: str, issued: str = "2024-03-01", expires: str = "2030-02-28", **kw) -> dict:
    out = {"kind": kind, "category": category, "number": number, "issuer": "济南市应急管理局", "issued": issued, "expires": expires}
    out.update(kw)
    return out


def people() -> dict[str, dict]:
    return {
        "manager": f.person(NAMES["manager"], IDS["manager"], roles=["项目负责人"], certificates=[
            cert("安全生产知识和管理能力考核合格证", "建筑施工企业项目负责人（B证）", "鲁建安B（2024）0100011")]),
        "safety": f.person(NAMES["safety"], IDS["safety"], roles=["专职安全生产管理人员"], certificates=[
            cert("安全生产知识和管理能力考核合格证", "建筑施工企业专职安全生产管理人员（C3证）", "鲁建安C3（2024）0200012")]),
        "welder": f.person(NAMES["welder"], IDS["welder"], roles=["特种作业人员"], trade="电焊工", certificates=[
            cert("特种作业操作证", "焊接与热切割作业（熔化焊接与热切割作业）", IDS["welder"], next_review="2027-02-28")]),
        "electrician": f.person(NAMES["electrician"], IDS["electrician"], roles=["特种作业人员"], trade="电工", certificates=[
            cert("特种作业操作证", "电工作业（低压电工作业）", IDS["electrician"], next_review="2027-02-28")]),
        "driver": f.person(NAMES["driver"], IDS["driver"], roles=["特种设备作业人员"], trade="起重机司机", certificates=[
            cert("特种设备作业人员证", "Q2 起重机司机", IDS["driver"], issuer="济南市市场监督管理局", expires="2028-02-28")]),
        "commander": f.person(NAMES["commander"], IDS["commander"], roles=["特种设备作业人员"], trade="起重指挥", certificates=[
            cert("特种设备作业人员证", "Q1 起重机指挥", IDS["commander"], issuer="济南市市场监督管理局", expires="2028-02-28")]),
        "labourer": f.person(NAMES["labourer"], IDS["labourer"], roles=["作业人员"], trade="力工", labour_type="劳务分包",
                             labour_company="济南顺达劳务有限公司"),
        "welder2": f.person(NAMES["welder2"], IDS["welder2"], roles=["特种作业人员"], trade="电焊工", certificates=[
            cert("特种作业操作证", "焊接与热切割作业（熔化焊接与热切割作业）", IDS["welder2"], next_review="2027-02-28")]),
        "principal": f.person(NAMES["principal"], IDS["principal"], employer=ENTERPRISE, roles=["主要负责人"], certificates=[
            cert("安全生产知识和管理能力考核合格证", "主要负责人", "鲁应急考（2025）0031")]),
        "safety_manager": f.person(NAMES["safety_manager"], IDS["safety_manager"], employer=ENTERPRISE, roles=["专职安全生产管理人员"],
                                   certificates=[cert("安全生产知识和管理能力考核合格证", "安全生产管理人员", "鲁应急考（2025）0032")]),
        "inspector1": f.person(NAMES["inspector1"], IDS["inspector1"], employer=BUREAU, roles=["执法人员"], certificates=[
            cert("执法证", "行政执法证", "37010021015", issuer="山东省人民政府")]),
        "inspector2": f.person(NAMES["inspector2"], IDS["inspector2"], employer=BUREAU, roles=["执法人员"], certificates=[
            cert("执法证", "行政执法证", "37010021038", issuer="山东省人民政府")]),
    }


def _approvals(boxes: list[str], at: str) -> list[dict]:
    return [{"box": b, "name": f"审批{i}号", "signed_at": at} for i, b in enumerate(boxes)]


def _ticket(no: str, tt: str, day: str, start: str = "08:30", end: str = "16:30", **kw) -> dict:
    base = {
        "type": "work_ticket", "ticket_type": tt, "ticket_no": no, "project": PROJECT, "enterprise": ENTERPRISE,
        "contractor": CONTRACTOR, "applicant_unit": "铸造车间", "applied_at": f"{day} 07:30", "location": "铸造车间东跨",
        "content": "检修作业", "valid_from": f"{day} {start}", "valid_to": f"{day} {end}",
        "leader": ref("manager"), "guardian": ref("safety"), "workers": [ref("welder")],
        "risk_identification": "火灾、灼烫、触电、高处坠落",
        "measures": [{"text": "作业区域设置警戒", "confirmed_by": NAMES["safety"]}],
        "briefing": {"by": "高建军", "receivers": [NAMES["manager"]]},
        "completion": {"by": "高建军", "at": f"{day} {end}"},
    }
    base.update(kw)
    return base


def tickets() -> dict[str, dict]:
    at = "08:20"
    return {
        "hot": _ticket(
            "DH-2026-0101", "hot_work", "2026-05-06", grade="二级", method="电焊", hot_spot="炉壳加强筋",
            workers=[ref("welder")], hot_workers=[ref("welder", cert=True)],
            gas_samples=[{"taken_at": "2026-05-06 08:10", "kind": "可燃气体", "gas": "甲烷", "result": 0.1, "lel_pct": 5.0, "analyst": "赵鹏"}],
            approvals=_approvals(["监护人", "作业负责人", "所在单位", "安全管理部门", "动火审批人", "当班班长验票"], f"2026-05-06 {at}"),
        ),
        "power": _ticket(
            "LD-2026-0102", "temporary_power", "2026-05-06", end="17:30", leader=ref("electrician", cert=True),
            workers=[ref("electrician", cert=True)], guardian=ref("safety"), access_point="2号配电室 3号柜", permitted_kw=30,
            voltage_v=380, equipment="电焊机 2 台（18 kVA）",
            approvals=_approvals(["作业负责人", "用电单位", "配送电单位"], f"2026-05-06 {at}"),
        ),
        "lifting": _ticket(
            "DZ-2026-0103", "lifting", "2026-05-08", workers=[ref("driver", cert=True)], commander=ref("commander", cert=True),
            riggers=[ref("commander")], load_t=14.6, grade="三级", rigging="20 t 吊索具", load_description="中频炉炉体",
            approvals=_approvals(["作业指挥", "所在单位", "审核部门", "审批部门"], f"2026-05-08 {at}"),
        ),
        "confined": _ticket(
            "SX-2026-0104", "confined_space", "2026-05-12", workers=[ref("labourer")], space_name="1号循环水池",
            original_medium="循环冷却水", ventilation="打开人孔自然通风并用防爆风机强制通风 30 min",
            gas_samples=[
                {"taken_at": "2026-05-12 08:10", "kind": "氧气", "gas": "氧气", "result": 20.8, "analyst": "赵鹏"},
                {"taken_at": "2026-05-12 08:10", "kind": "可燃气体", "gas": "甲烷", "result": 0.0, "lel_pct": 5.0, "analyst": "赵鹏"},
            ],
            approvals=_approvals(["作业负责人", "所在单位"], f"2026-05-12 {at}"),
        ),
    }


def training(key: str, no: int, confirmed: str = "2026-04-12") -> dict:
    return {
        "type": "training_record", "record_no": f"HR-SJJY-2026-{no:03d}", "contractor": CONTRACTOR, "enterprise": ENTERPRISE,
        "project": PROJECT,
        "trainee": {"name": NAMES[key], "id_number": IDS[key], "trade": "检修工", "entry_date": "2026-04-10"},
        "levels": [
            {"level": "公司级", "start": "2026-04-10", "hours": 8, "content": ["安全生产法律法规"], "trainer": "刘海涛", "score": 90, "passed": True},
            {"level": "车间级", "start": "2026-04-11", "hours": 8, "content": ["车间危险源"], "trainer": "高建军", "score": 88, "passed": True},
            {"level": "班组级", "start": "2026-04-12", "hours": 8, "content": ["岗位操作规程"], "trainer": NAMES["manager"], "score": 92, "passed": True},
        ],
        "conclusion": {"passed": True, "may_take_post": True, "confirmed_by": "刘海涛", "confirmed_on": confirmed},
    }


def inspection(no: int, day: str, **kw) -> dict:
    base = {
        "type": "contractor_inspection", "inspection_no": f"HR-XGF-JC-2026-{no:03d}", "enterprise": ENTERPRISE,
        "contractor": CONTRACTOR, "project": PROJECT, "inspected_on": day, "inspectors": ["刘海涛", "高建军"],
        "scope": "项目部人员到岗、持证、作业票、临时用电", "result": "合格",
    }
    base.update(kw)
    return base


def bureau_inspection(day: str, no: int = 40, **kw) -> dict:
    """The bureau's 现场检查记录 of the enterprise on ``day`` (a 责令限期整改指令书 rests on one)."""
    base = {
        "type": "inspection_record", "doc_no": f"（高新）应急检记〔2026〕{no}号", "bureau": BUREAU, "unit": ENTERPRISE,
        "contractor": CONTRACTOR, "project": PROJECT, "unit_address": "山东省济南市高新区孙村街道华锐路88号",
        "unit_head": {"name": NAMES["principal"], "title": "总经理"}, "place": "铸造车间检修现场",
        "time_from": f"{day} 09:00", "time_to": f"{day} 11:00",
        "inspectors": [{"name": "张明远", "cert_no": "37010021015"}, {"name": "刘晓", "cert_no": "37010021038"}],
        "situation": "对企业外包作业安全管理情况进行现场检查。",
    }
    base.update(kw)
    return base


def confined_register(**kw) -> dict:
    """The enterprise's 有限空间管理台账, listing the space of the world's confined-space ticket."""
    return {
        "type": "confined_space_register", "register_no": "HR-YXKJ-2026-01", "enterprise": ENTERPRISE,
        "compiled_on": "2026-04-01", "compiled_by": NAMES["safety_manager"], "principal": NAMES["principal"],
        "spaces": [
            {"space_no": "YX-01", "name": "1号循环水池", "location": "动力站南侧", "hazards": "淹溺、缺氧窒息",
             "toxic_gas": False, "approver": NAMES["safety_manager"], "warning_sign": True},
            {"space_no": "YX-02", "name": "煤气加压站水封罐", "location": "动力站", "hazards": "一氧化碳中毒、缺氧窒息",
             "toxic_gas": True, "approver": NAMES["principal"], "warning_sign": True},
        ],
        **kw,
    }


def world() -> dict[str, dict]:
    """Every raw case file of the clean world, by name (load order = dict order)."""
    w: dict[str, dict] = {
        "enterprise": f.organization(principal_person=NAMES["principal"], safety_manager=NAMES["safety_manager"]),
        "bureau": f.bureau(bank_account="户名：济南市财政局非税收入汇缴结算户；账号：1602 0218 0920 0016 688"),
        "contractor": f.contractor(qualifications=[
            {"kind": "安全生产许可证", "number": "（鲁）JZ安许证字〔2024〕010235", "issuer": "山东省住房和城乡建设厅",
             "scope": "建筑施工", "valid_from": "2024-03-01", "valid_to": "2027-02-28"},
            {"kind": "建筑业企业资质证书", "number": "D237058316", "issuer": "山东省住房和城乡建设厅",
             "scope": "机电工程施工总承包二级", "valid_from": "2022-05-16", "valid_to": "2027-05-15"},
        ]),
    }
    w.update({f"person_{k}": v for k, v in people().items()})
    w["project"] = f.project(
        period={"start": "2026-04-10", "end": "2026-09-30"}, has_project_department=True,
        manager=ref("manager"), safety_officer=ref("safety"),
        workers=[ref(k) for k in ("welder", "electrician", "driver", "commander", "labourer")],
        dangerous_work=["hot_work", "temporary_power", "lifting", "confined_space"], status="施工中",
    )
    w["contract"] = {
        "type": "outsourcing_contract", "contract_no": "HR-HT-2026-015", "title": "铸造车间中频炉检修工程施工合同", "project": PROJECT,
        "enterprise": ENTERPRISE, "contractor": CONTRACTOR, "scope": "中频炉及行车检修", "work_content": ["检修"],
        "location": "铸造车间", "period": {"start": "2026-04-10", "end": "2026-09-30"},
        "safety_duty_clause": "甲乙双方按安全生产管理协议各自履行安全生产管理职责。", "signed_on": "2026-04-01",
        "enterprise_signatory": {"name": NAMES["principal"], "title": "总经理"}, "contractor_signatory": {"name": "马立群", "title": "法定代表人"},
    }
    w["agreement"] = f.agreement(term={"start": "2026-04-10", "end": "2026-09-30"}, signed_on="2026-04-01")
    for i, k in enumerate(("manager", "safety", "welder", "electrician", "driver", "commander", "labourer", "welder2"), 1):
        w[f"training_{k}"] = training(k, i)
    w.update({f"ticket_{k}": v for k, v in tickets().items()})
    w["confined_register"] = confined_register()
    for i, day in enumerate(("2026-04-20", "2026-05-20", "2026-06-20", "2026-07-20", "2026-08-10"), 1):
        w[f"inspection_{i}"] = inspection(i, day)
    w["assessment_q2"] = {
        "type": "quarterly_assessment", "assessment_no": "HR-KH-2026-Q2-01", "enterprise": ENTERPRISE, "contractor": CONTRACTOR,
        "project": PROJECT, "year": 2026, "quarter": 2, "score": 85, "result": "合格", "assessor": "刘海涛", "assessed_on": "2026-07-03",
    }
    w["crane"] = {
        "type": "equipment", "equipment_no": "HR-QZ-05", "owner": ENTERPRISE, "enterprise": ENTERPRISE, "project": PROJECT,
        "name": "铸造起重机", "special_equipment": True, "registration_no": "起11鲁A03562(16)", "entered_on": "2026-01-05",
        "last_inspection": "2025-11-20", "next_inspection": "2026-11-19",
        "maintenance": [{"date": d, "by": "设备动力部", "content": "月度检查：正常"} for d in ("2026-05-05", "2026-06-05", "2026-07-05", "2026-08-05")],
    }
    w["hazard"] = {
        "type": "hazard", "hazard_no": "HR-YH-2026-0023", "enterprise": ENTERPRISE, "contractor": CONTRACTOR, "project": PROJECT,
        "description": "氧气瓶、乙炔瓶间距不足 5 m", "grade": "一般", "found_on": "2026-05-20", "deadline": "2026-05-21",
        "status": "已整改", "rectified_on": "2026-05-20",
    }
    return w


def load_objects(raws: dict[str, dict], settings: Settings | None = None, today: date = TODAY) -> list[Any]:
    """The raw files loaded with the schemas (every one must validate)."""
    ctx = RuleContext(settings or Settings(), today, None)
    out = []
    for name, raw in raws.items():
        r = load(copy.deepcopy(raw), ctx, file=name)
        assert r.ok, (name, [p.line() for p in r.problems if p.severity == "error"])
        out.append(r.obj)
    return out


def snapshot(raws: dict[str, dict] | None = None, settings: Settings | None = None):
    from archive.checks.snapshot import Snapshot

    raws = world() if raws is None else raws
    return Snapshot.from_objects(load_objects(raws, settings), owner=ENTERPRISE, owner_role="enterprise", settings=settings)


def write_world(folder: Path, raws: dict[str, dict] | None = None) -> dict[str, Path]:
    raws = world() if raws is None else raws
    return {name: f.write(folder, f"{i:02d}-{name}.yaml", raw) for i, (name, raw) in enumerate(raws.items())}


def build_archive(home: Path, folder: Path, raws: dict[str, dict] | None = None, *, pdf: bool = False, today: date = TODAY):
    """A real archive owned by the enterprise holding the world (documents rendered, PDF optional)."""
    from archive.app import Archive

    files = write_world(folder, raws)
    a = Archive.create(home, files["enterprise"], today=today)
    kinds = {"organization": [], "person": [], "project": [], "case": []}
    for name, path in files.items():
        if name == "enterprise":
            continue
        t = (raws or world())[name]["type"]
        kinds[t if t in kinds else "case"].append(path)
    for group in ("organization", "person", "project", "case"):
        if kinds[group]:
            a.add_files(kinds[group], pdf=pdf, today=today)
    return a


# --- shared archives (built once per test process, copied per test) -----------------------------------


_BUILT: dict[str, Path] = {}


def _built(tmp_path_factory, name: str, build) -> Path:
    """Build an archive once per test process (tests copy it before changing anything)."""
    import os

    import pytest

    if name in _BUILT and _BUILT[name].exists():
        return _BUILT[name]
    root = tmp_path_factory.mktemp(name)
    mp = pytest.MonkeyPatch()
    mp.setenv("OUTSAFE_PASSPHRASE", os.environ.get("OUTSAFE_PASSPHRASE") or "test-passphrase")
    try:
        a = build(root)
        a.close()
    finally:
        mp.undo()
    _BUILT[name] = root / "archive"
    return root / "archive"


def world_home(tmp_path_factory) -> Path:
    """The clean world as a real archive (documents rendered, no PDF)."""
    return _built(tmp_path_factory, "world", lambda root: build_archive(root / "archive", root / "in"))


def examples_home(tmp_path_factory) -> Path:
    """examples/ loaded as its README says (documents rendered, no PDF)."""
    from archive.app import Archive

    examples = Path(__file__).resolve().parent.parent / "examples"

    made_here = {"penalty_notice", "penalty_decision", "blacklist_entry", "blacklist_removal", "campaign_report", "campaign_table"}

    def build(root: Path):
        from schemas import read_case_file

        a = Archive.create(root / "archive", examples / "organizations" / "enterprise.yaml", today=TODAY, pdf=False)
        for sub in ("organizations", "persons", "projects"):
            a.add_files([examples / sub], pdf=False, today=TODAY)
        # The documents the campaign commands make (penalties, blacklist decisions, reports) are made
        # by the tests themselves; the examples' own copies of them would collide with their numbers.
        cases = [p for p in sorted((examples / "cases").glob("*.yaml")) + sorted((examples / "bureau").glob("*.yaml"))
                 if read_case_file(p)["type"] not in made_here]
        a.add_files(cases, pdf=False, today=TODAY)
        return a

    return _built(tmp_path_factory, "examples", build)


def copy_home(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst, symlinks=True)
    return dst
