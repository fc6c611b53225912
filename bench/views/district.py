"""A generated district for the views (issue 14): a bureau's archive holding every enterprise's
records of a campaign year — enterprises, contractors, their people, projects, contracts,
agreements, three-level training cards, work tickets of every type, inspections, hazards,
assessments, equipment, accidents, the bureau's inspections, orders and reviews, blacklists and
reports — in a realistic mix, with the defects the rules look for, reproducible from a seed.

    d = District(seed=7, enterprises=200, contractors=1000, records=100_000)
    for case in d.cases():      # in the order they were archived
        case.data               # the record's data as sealing writes it (schemas.base.dump form)
        case.type, case.subtype, case.origin, case.created_at, case.supersedes (a case key or None)

Each record is an example case file of examples/ (normalised once through its schema: every field
as ``dump`` writes it) with new parties, numbers, people and days: dates are shifted together, so
what the example's schema and rules accept stays accepted (tests load every generated record with
today's schema). Identifiers are valid (bench/gen_cases.py). Defects, drawn per project: a missing
agreement or contract, tickets outside the period, untrained or uncertified people, certificates
expired before the work, gaps between inspections, overdue hazards, failed assessments, no
completion sign-off; and corrections (a record superseded by a later version), renewed
certificates, completed projects, removed blacklist listings.

Used by bench/views/run.py and by tests/test_views.py (small districts). Never run as a test.
"""

from __future__ import annotations

import copy
import json
import random
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive.settings import Settings  # noqa: E402
from bench.gen_cases import CaseGenerator  # noqa: E402
from schemas import load, read_case_file  # noqa: E402
from schemas.base import RuleContext, dump  # noqa: E402

EX = ROOT / "examples"
YEAR = 2026
BUREAU = "11370100004298377D"  # the examples' bureau (examples/organizations/bureau.yaml)
DROP = {"photos", "diagram", "sketch", "trainer_signature", "trainee_signature", "signature", "signatures", "drawing"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")
TICKET_FILES = {
    "hot_work": "ticket-hot-work-DH-2026-0137.yaml", "confined_space": "ticket-confined-space-SX-2026-0021.yaml",
    "work_at_height": "ticket-work-at-height-GC-2026-0088.yaml", "lifting": "ticket-lifting-DZ-2026-0012.yaml",
    "blasting": "ticket-blasting-BP-2026-0001.yaml", "excavation": "ticket-excavation-DT-2026-0016.yaml",
    "temporary_power": "ticket-temporary-power-LD-2026-0045.yaml", "blind_plate": "ticket-blind-plate-MB-2026-0009.yaml",
    "road_closure": "ticket-road-closure-DL-2026-0007.yaml",
}
TICKET_PREFIX = {"hot_work": "DH", "confined_space": "SX", "work_at_height": "GC", "lifting": "DZ", "blasting": "BP",
                 "excavation": "DT", "temporary_power": "LD", "blind_plate": "MB", "road_closure": "DL"}
CERTS = {  # role on a team -> (person roles, certificate template: kind, category)
    "manager": (["项目负责人"], ("安全生产知识和管理能力考核合格证", "建筑施工企业项目负责人（B证）")),
    "safety": (["专职安全生产管理人员"], ("安全生产知识和管理能力考核合格证", "建筑施工企业专职安全生产管理人员（C3证）")),
    "welder": (["特种作业人员"], ("特种作业操作证", "焊接与热切割作业（熔化焊接与热切割作业）")),
    "electrician": (["特种作业人员"], ("特种作业操作证", "电工作业（低压电工作业）")),
    "driver": (["特种设备作业人员"], ("特种设备作业人员证", "Q2 起重机司机")),
    "commander": (["特种设备作业人员"], ("特种设备作业人员证", "Q1 起重机指挥")),
    "blaster": (["爆破作业人员"], ("爆破作业人员许可证", "爆破员")),
    "labourer": (["作业人员"], None),
}
TEAM = ("manager", "safety", "welder", "electrician", "driver", "commander", "labourer")
# share of all records, by type (the rest: organizations, people, projects, corrections)
MIX = {"work_ticket": 0.42, "training_record": 0.19, "outsourcing_contract": 0.045, "safety_agreement": 0.045, "hazard": 0.04,
       "contractor_inspection": 0.03, "quarterly_assessment": 0.02, "equipment": 0.02, "inspection_record": 0.006,
       "rectification_order": 0.006, "accident": 0.001}


# What a contractor's hazards are about: the example's (a confined space: a 检查井 without its net)
# one time in ten, otherwise the usual findings of outsourced work — drawn by the hazard's number,
# so the rest of the district does not change with this list
HAZARDS = [
    ("施工现场 2号配电箱未设置漏电保护器，电缆线沿地面拖拽敷设，被车辆碾压破损，存在触电风险。", "更换带漏电保护器的配电箱；电缆架空或穿管敷设；作业前由电工检查。"),
    ("外墙脚手架连墙件间距超过规范要求，第三步架部分扣件未拧紧，脚手板未满铺。", "按专项方案加设连墙件，紧固扣件，满铺脚手板，经验收合格后使用。"),
    ("动火作业点周边 10 米范围内堆放木料和包装箱等可燃物，现场未配备灭火器材。", "清理可燃物；配备 2 具干粉灭火器；动火前由监护人确认。"),
    ("吊装作业区域未设置警戒隔离，吊物下方有人员通行，司索人员未持证上岗。", "设置警戒线和专人监护；更换持证司索人员。"),
    ("屋面检修高处作业人员未系挂安全带，作业平台临边未设置防护栏杆。", "设置 1.2 米防护栏杆和挂点；作业前检查安全带。"),
    ("施工材料占用厂区消防通道，现场 3 具灭火器压力不足。", "清理通道；更换灭火器并每月检查。"),
    ("承包单位作业人员未佩戴安全帽进入生产区域，未经三级安全教育即上岗。", "停止作业，补做三级安全教育并考核合格后上岗。"),
    ("临时用电线路私拉乱接，电焊机外壳未做保护接零，一闸多用。", "由持证电工重新敷设；实行一机一闸一漏一箱。"),
    ("气瓶存放未分类，乙炔瓶与氧气瓶间距不足 5 米，乙炔瓶卧放使用，未安装回火防止器。", "分类存放，间距不小于 5 米，直立使用，加装回火防止器。"),
    ("设备检修未执行上锁挂牌，能量隔离措施不到位，检修中设备误启动风险。", "执行上锁挂牌和能量隔离确认，检修前由属地单位签字。"),
    ("钢结构焊接作业现场未设置防火花飞溅的接火盆，下方为电缆桥架。", "设置接火盆和防火毯，专人监护。"),
]


def hazard_text(seed: int, number: str) -> dict | None:
    """The description and measures of hazard ``number`` (None: the example's own)."""
    pick = random.Random(f"{seed}/{number}")
    if pick.random() < 0.1:
        return None
    description, measures = pick.choice(HAZARDS)
    return {"description": description, "measures": measures}


@dataclass
class Case:
    key: str  # unique in the district (the generator's own name for the record)
    type: str
    subtype: str | None
    data: dict
    origin: str
    created_at: str  # UTC stamp
    supersedes: str | None = None  # the key of the record this one corrects


def _shift(value: Any, days: int) -> Any:
    """Every day and moment in ``value`` moved by ``days``."""
    if isinstance(value, str):
        if _DAY.match(value):
            return (date.fromisoformat(value) + timedelta(days)).isoformat()
        if _MOMENT.match(value):
            return (datetime.fromisoformat(value) + timedelta(days)).isoformat(sep=" ", timespec="minutes" if len(value) == 16 else "seconds")
        return value
    if isinstance(value, dict):
        return {k: _shift(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, days) for v in value]
    return value


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in DROP}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _first_day(data: dict, path: str) -> date:
    v: Any = data
    for part in path.split("."):
        v = v[part]
    return date.fromisoformat(v[:10])


class Templates:
    """The examples, each loaded and dumped once: the shapes every generated record takes."""

    def __init__(self) -> None:
        self.ctx = RuleContext(Settings(), date(YEAR, 12, 31), None)
        self.by_name: dict[str, dict] = {}
        for folder in ("cases", "bureau", "projects", "persons", "organizations"):
            for p in sorted((EX / folder).glob("*.yaml")):
                raw = _strip(read_case_file(p))
                result = load(raw, self.ctx, file=p.name)
                if result.ok:
                    self.by_name[p.name] = dump(result.obj)

    def get(self, name: str) -> dict:
        return copy.deepcopy(self.by_name[name])


class District:
    def __init__(self, seed: int = 7, *, enterprises: int = 200, contractors: int = 1000, records: int = 100_000) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.gen = CaseGenerator(seed)
        self.gen.rng = self.rng
        self.t = Templates()
        self.n_enterprises, self.n_contractors, self.n_records = enterprises, contractors, records
        self.serial = 0
        self.pool: dict[str, list[dict]] = {}  # contractor -> its people (person data)
        self.cases_out: list[Case] = []

    # --- small pieces ---------------------------------------------------------------------------

    def no(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{YEAR}-{self.serial:06d}"

    def stamp(self, day: date, hour: int | None = None) -> str:
        """A UTC timestamp on the (local) day ``day``."""
        h = self.rng.randrange(1, 10) if hour is None else hour  # 09:00–18:00 local
        return f"{day.isoformat()}T{h:02d}:{self.rng.randrange(60):02d}:{self.rng.randrange(60):02d}Z"

    def later(self, day: date, most: int = 6) -> str:
        return self.stamp(min(day + timedelta(days=self.rng.randrange(0, most + 1)), date(YEAR, 12, 30)))

    def emit(self, key: str, data: dict, origin: str, created_at: str, supersedes: str | None = None) -> Case:
        t = data.pop("type")
        case = Case(key, t, data.get("ticket_type"), data, origin, created_at, supersedes)
        self.cases_out.append(case)
        return case

    def template(self, name: str, anchor: str, day: date) -> dict:
        """Example ``name`` with every date moved so that its ``anchor`` falls on ``day``."""
        data = self.t.get(name)
        return _shift(data, (day - _first_day(data, anchor)).days)

    # --- the registry ---------------------------------------------------------------------------

    def organizations(self) -> None:
        self.bureau = {**self.t.get("bureau.yaml"), "uscc": BUREAU}
        self.emit("org:bureau", {"type": "organization", **self.bureau}, BUREAU, self.stamp(date(YEAR, 1, 5)))
        self.enterprises: list[dict] = []
        for i in range(self.n_enterprises):
            raw, _ = self.gen.enterprise()
            org = {**self.t.get("enterprise.yaml"), **{k: v for k, v in raw.items() if k != "type"}}
            org["industry"] = "冶金" if self.rng.random() < 0.12 else raw["industry"]
            self.enterprises.append(org)
            self.emit(f"org:{org['uscc']}", {"type": "organization", **org}, org["uscc"], self.stamp(date(YEAR, 1, 6) + timedelta(i % 50)))
        self.contractors: list[dict] = []
        for i in range(self.n_contractors):
            raw = self.gen.contractor()
            org = {**self.t.get("contractor-hengan.yaml"), **{k: v for k, v in raw.items() if k != "type"}}
            quals = [dict(q) for q in org["qualifications"]]
            quals[1]["valid_to"] = (date(YEAR + 1, 3, 1) + timedelta(self.rng.randrange(900))).isoformat()  # renewed in time
            if self.rng.random() < 0.06:  # a licence that ends during the campaign
                quals[1]["valid_to"] = (date(YEAR, 4, 1) + timedelta(self.rng.randrange(200))).isoformat()
            if self.rng.random() < 0.03:
                quals = []
            org["qualifications"] = [{**q, "number": q["number"], "issuer": q["issuer"]} for q in quals]
            org["industry"] = "冶金" if self.rng.random() < 0.03 else None
            self.contractors.append(org)
        self.e_weights = [1 / (i + 1) ** 0.7 for i in range(self.n_enterprises)]
        self.c_weights = [1 / (i + 1) ** 0.5 for i in range(self.n_contractors)]
        self.registered: set[str] = set()

    def register_contractor(self, c: dict, origin: str, day: date) -> None:
        if c["uscc"] in self.registered:
            return
        self.registered.add(c["uscc"])
        self.emit(f"org:{c['uscc']}", {"type": "organization", **c}, origin, self.stamp(day - timedelta(days=20)))

    def person(self, contractor: dict, role: str, origin: str, day: date) -> dict:
        """A person of ``contractor`` for ``role`` (reused from its pool when it has one)."""
        pool = self.pool.setdefault(contractor["uscc"], [])
        fits = [p for p in pool if p["_role"] == role]
        if fits and self.rng.random() < 0.6:
            return self.rng.choice(fits)
        region = contractor["uscc"][2:8]
        roles, cert = CERTS[role]
        issued = date(YEAR - 2, 1, 1) + timedelta(self.rng.randrange(700))
        expires = issued + timedelta(days=365 * 6 - 1)
        r = self.rng.random()
        if r < 0.04:
            expires = day + timedelta(self.rng.randrange(-60, 20))  # expires about when the work happens
        certs = []
        if cert:
            c = {"kind": cert[0], "category": cert[1], "number": None, "issuer": "济南市应急管理局", "issued": issued.isoformat(),
                 "expires": expires.isoformat(), "next_review": None}
            if cert[0] == "特种作业操作证":
                c["next_review"] = (issued + timedelta(days=365 * 3 - 1)).isoformat() if self.rng.random() > 0.03 else (day - timedelta(30)).isoformat()
            certs.append(c)
        id_number = self.gen.id_number(region)
        base = self.t.get("hengan-zhou-haitao.yaml")
        data = {**base, "name": self.gen.person_name(), "id_number": id_number, "employer": contractor["uscc"], "roles": roles,
                "trade": role, "entry_date": (day - timedelta(self.rng.randrange(5, 40))).isoformat(),
                "labour_type": "劳务分包" if role == "labourer" and self.rng.random() < 0.5 else "正式员工",
                "labour_company": None, "work_injury_insurance": self.rng.random() > 0.05,
                "certificates": [{**base["certificates"][0], **c, "number": id_number if c["kind"] in ("特种作业操作证", "特种设备作业人员证")
                                  else f"鲁建安（{YEAR - 1}）{self.rng.randrange(10**6):06d}"} for c in certs]}
        if data["labour_type"] == "劳务分包":
            data["labour_company"] = "济南顺达劳务有限公司"
        key = f"person:{id_number}"
        self.emit(key, {"type": "person", **data}, origin, self.stamp(day - timedelta(days=self.rng.randrange(8, 15))))
        data = {**data, "_role": role, "_key": key}
        pool.append(data)
        if self.rng.random() < 0.03 and data["certificates"]:  # a renewed certificate, registered later
            renewed = copy.deepcopy({k: v for k, v in data.items() if not k.startswith("_")})
            renewed["certificates"] = [*renewed["certificates"], {**renewed["certificates"][0], "issued": (day + timedelta(20)).isoformat(),
                                                                   "expires": (day + timedelta(20 + 365 * 6)).isoformat()}]
            self.emit(f"{key}:v2", {"type": "person", **renewed}, origin, self.later(day + timedelta(21)), supersedes=key)
        return data

    def ref(self, p: dict, title: str | None = None, cert: bool = False) -> dict:
        out = {"name": p["name"], "id_number": p["id_number"], "certificate_no": None, "unit": None, "title": title, "phone": None}
        if cert:
            out["certificate_no"] = p["id_number"]
        return out

    # --- one project and its records --------------------------------------------------------------

    def project(self, e: dict, c: dict, budget: int) -> None:
        rng = self.rng
        start = date(YEAR, 3, 1) + timedelta(rng.randrange(200))
        end = start + timedelta(rng.randrange(20, 150))
        self.register_contractor(c, e["uscc"], start)
        team = {role: self.person(c, role, e["uscc"], start) for role in TEAM}
        works = rng.sample(list(TICKET_FILES), rng.randrange(2, 6))
        if "blasting" in works and rng.random() < 0.7:
            works.remove("blasting")
        if "blasting" in works:
            team["blaster"] = self.person(c, "blaster", e["uscc"], start)
        code = self.no("WB")
        p = self.template("p1-hengan-furnace-crane-overhaul.yaml", "period.start", start)
        p.update(code=code, enterprise=e["uscc"], contractor=c["uscc"], period={"start": start.isoformat(), "end": end.isoformat()},
                 manager=self.ref(team["manager"], "项目经理"), safety_officer=self.ref(team["safety"], "专职安全员"),
                 workers=[self.ref(team[r], r) for r in TEAM[2:] if r in team] + ([self.ref(team["blaster"], "爆破员")] if "blaster" in team else []),
                 dangerous_work=works, status="施工中", actual_end=None, has_project_department=rng.random() > 0.05)
        if rng.random() < 0.03:
            p["safety_officer"] = None
        pkey = f"project:{e['uscc']}/{code}"
        self.emit(pkey, {"type": "project", **p}, e["uscc"], self.stamp(start - timedelta(days=rng.randrange(3, 12))))
        proj = {"e": e, "c": c, "code": code, "start": start, "end": end, "team": team, "works": works}
        total = sum(MIX.values())
        n = {t: budget * w / total for t, w in MIX.items()}
        # contract and agreement
        if rng.random() < 0.9:
            d = self.template("contract-HR-HT-2026-031.yaml", "signed_on", start - timedelta(rng.randrange(3, 20)))
            d.update(contract_no=self.no("HT"), project=code, enterprise=e["uscc"], contractor=c["uscc"],
                     period={"start": start.isoformat(), "end": (end if rng.random() > 0.1 else end + timedelta(20)).isoformat()},
                     status="履行中")
            if rng.random() < 0.3:
                d["safety_duty_clause"] = None
            self.emit(f"contract:{d['contract_no']}", {"type": "outsourcing_contract", **d}, e["uscc"], self.later(_first_day(d, "signed_on")))
        if rng.random() < 0.85:
            signed = start - timedelta(rng.randrange(-5, 20))
            d = self.template("agreement-HR-AQXY-2026-031.yaml", "signed_on", signed)
            term_end = end if rng.random() > 0.08 else end - timedelta(rng.randrange(5, 30))
            d.update(agreement_no=self.no("AQXY"), project=code, enterprise=e["uscc"], contractor=c["uscc"],
                     term={"start": start.isoformat(), "end": max(term_end, start).isoformat()})
            self.emit(f"agreement:{d['agreement_no']}", {"type": "safety_agreement", **d}, e["uscc"], self.later(signed))
        # training cards of the team
        people = list(team.values())
        for person in people:
            if rng.random() < 0.08:
                continue  # untrained
            day = start - timedelta(rng.randrange(-6, 8))  # some trained only after they started
            d = self.template("training-003-zhou-haitao.yaml", "conclusion.confirmed_on", day)
            d.update(record_no=self.no("SJJY"), contractor=c["uscc"], enterprise=e["uscc"], project=code)
            d["trainee"] = {**d["trainee"], "name": person["name"], "id_number": person["id_number"], "labour_type": person["labour_type"]}
            if rng.random() < 0.03:
                d["conclusion"] = {**d["conclusion"], "passed": False, "may_take_post": False}
            self.emit(f"training:{d['record_no']}", {"type": "training_record", **d}, e["uscc"], self.later(day))
        # tickets
        kinds = works + ([rng.choice(list(TICKET_FILES))] if rng.random() < 0.05 else [])
        numbers = []
        for _ in range(max(1, round(n["work_ticket"] + rng.uniform(-0.5, 0.5)))):
            tt = rng.choice(kinds)
            day = start + timedelta(rng.randrange(max(1, (end - start).days + (6 if rng.random() < 0.05 else 0))))
            name = TICKET_FILES[tt]
            d = self.template(name, "valid_from", day)
            no = self.no(TICKET_PREFIX[tt])
            numbers.append(no)
            d.update(ticket_no=no, project=code, enterprise=e["uscc"], contractor=c["uscc"])
            self._people_on_ticket(d, tt, team)
            if d.get("linked_tickets"):
                d["linked_tickets"] = [rng.choice(numbers)] if rng.random() < 0.7 else d["linked_tickets"]
            if tt == "confined_space":
                d["space_name"] = rng.choice(["1号循环水池", "W-12 污水检查井", "煤气加压站水封罐", "2号储罐", "除尘管沟"]) + "（清理）"
            completed = d.get("completion")
            if completed is not None and rng.random() < 0.04:
                d["completion"] = None
            key = f"ticket:{e['uscc']}/{no}"
            self.emit(key, {"type": "work_ticket", **d}, e["uscc"], self.later(day))
            if rng.random() < 0.01:  # a correction: the same ticket, a corrected content
                d2 = copy.deepcopy(d)
                d2["content"] = d2["content"] + "（更正）"
                self.emit(key + ":v2", {"type": "work_ticket", **d2}, e["uscc"], self.later(day + timedelta(8)), supersedes=key)
        # inspections of the contractor, hazards, assessments, equipment
        marks = []
        day = start + timedelta(rng.randrange(5, 40))
        while day <= min(end, date(YEAR, 12, 20)) and len(marks) < max(1, round(n["contractor_inspection"] * 2)):
            marks.append(day)
            day += timedelta(rng.randrange(15, 50))
        if rng.random() < 0.1:
            marks = []
        for day in marks:
            tmpl = "contractor-inspection-HR-XGF-JC-2026-011.yaml" if rng.random() < 0.3 else "contractor-inspection-HR-XGF-JC-2026-019.yaml"
            d = self.template(tmpl, "inspected_on", day)
            d.update(inspection_no=self.no("XGFJC"), enterprise=e["uscc"], contractor=c["uscc"], project=code)
            self.emit(f"cinsp:{d['inspection_no']}", {"type": "contractor_inspection", **d}, e["uscc"], self.later(day))
        for _ in range(self._count(n["hazard"])):
            day = start + timedelta(rng.randrange(max(1, (end - start).days)))
            tmpl = "hazard-HR-YH-2026-0091.yaml"
            d = self.template(tmpl, "found_on", day)
            d.update(hazard_no=self.no("YH"), enterprise=e["uscc"], contractor=c["uscc"], project=code,
                     grade="重大" if rng.random() < 0.05 else "一般", deadline=(day + timedelta(rng.randrange(3, 30))).isoformat(),
                     status="整改中", rectified_on=None, reported_to_authority=False)
            d.update(hazard_text(self.seed, d["hazard_no"]) or {})
            if d["grade"] == "重大":
                d["reported_to_authority"] = rng.random() < 0.7
            key = f"hazard:{d['hazard_no']}"
            self.emit(key, {"type": "hazard", **d}, e["uscc"], self.later(day))
            if rng.random() < 0.7:  # rectified later: the register's new version
                fixed = day + timedelta(rng.randrange(1, 40))
                if fixed < date(YEAR, 12, 25):
                    d2 = {**copy.deepcopy(d), "status": "已整改", "rectified_on": fixed.isoformat()}
                    self.emit(key + ":v2", {"type": "hazard", **d2}, e["uscc"], self.later(fixed), supersedes=key)
        quarters = sorted({(q0.month - 1) // 3 + 1 for q0 in (start, end) if q0.year == YEAR})
        for q in quarters:
            if rng.random() < 0.35 or rng.random() > n["quarterly_assessment"] * 3:
                continue
            day = date(YEAR, 3 * q, 1) + timedelta(rng.randrange(25, 40))
            if day > date(YEAR, 12, 28):
                continue
            d = self.template("quarterly-assessment-HR-KH-2026-Q2-01.yaml", "assessed_on", day)
            bad = rng.random() < 0.06
            d.update(assessment_no=self.no("KH"), enterprise=e["uscc"], contractor=c["uscc"], project=code, year=YEAR, quarter=q,
                     result="不合格" if bad else "合格", score=52.0 if bad else 86.0)
            self.emit(f"qa:{d['assessment_no']}", {"type": "quarterly_assessment", **d}, e["uscc"], self.later(day))
            if bad and rng.random() < 0.5:
                self.blacklist(e, c, day)
        for _ in range(self._count(n["equipment"])):
            owner = c if rng.random() < 0.6 else e
            tmpl = "equipment-HR-QZ-05.yaml" if rng.random() < 0.5 else "equipment-HA-DHJ-03.yaml"
            d = self.template(tmpl, "entered_on", start - timedelta(rng.randrange(0, 60)))
            d.update(equipment_no=self.no("SB"), owner=owner["uscc"], enterprise=e["uscc"] if rng.random() < 0.9 else None,
                     project=code if rng.random() < 0.8 else None)
            if d.get("next_inspection") and rng.random() < 0.1:  # inspection overdue during the work
                due = start + timedelta(rng.randrange(0, 60))
                d.update(next_inspection=due.isoformat(), last_inspection=(due - timedelta(365)).isoformat())
            self.emit(f"equipment:{d['equipment_no']}", {"type": "equipment", **d}, e["uscc"], self.later(_first_day(d, "entered_on")))
        if rng.random() < n["accident"]:
            day = start + timedelta(rng.randrange(max(1, (end - start).days)))
            d = self.template("accident-HR-SG-2026-001.yaml", "occurred_at", day)
            d.update(accident_no=self.no("SG"), enterprise=e["uscc"], contractor=c["uscc"] if rng.random() < 0.8 else None, project=code,
                     deaths=1 if rng.random() < 0.2 else 0, counted_in_employer_stats=rng.random() < 0.7)
            self.emit(f"accident:{d['accident_no']}", {"type": "accident", **d}, e["uscc"], self.later(day))
        # the project completed: a new version of its registration
        if end < date(YEAR, 12, 1) and rng.random() < 0.35:
            done = end - timedelta(rng.randrange(-10, 30))
            p2 = {**copy.deepcopy(p), "status": "已完工", "actual_end": max(done, start).isoformat()}
            self.emit(pkey + ":v2", {"type": "project", **p2}, e["uscc"], self.later(max(done, start)), supersedes=pkey)
        self.projects.append(proj)

    def _count(self, expected: float) -> int:
        whole = int(expected)
        return whole + (1 if self.rng.random() < expected - whole else 0)

    def _people_on_ticket(self, d: dict, tt: str, team: dict) -> None:
        leader = team["manager"] if tt != "temporary_power" else team["electrician"]
        d["leader"] = self.ref(leader, "作业负责人", cert=tt == "temporary_power")
        d["guardian"] = self.ref(team["safety"], "监护人")
        crew = {"hot_work": ["welder", "labourer"], "temporary_power": ["electrician"], "lifting": ["driver"],
                "blasting": ["blaster"] if "blaster" in team else ["labourer"]}.get(tt, ["labourer", "welder"])
        d["workers"] = [self.ref(team[r], r, cert=tt in ("temporary_power", "lifting")) for r in crew]
        if tt == "hot_work":
            d["hot_workers"] = [self.ref(team["welder"], "焊接与热切割作业", cert=True)]
        if tt == "lifting":
            d["commander"] = self.ref(team["commander"], "起重指挥", cert=True)
            d["riggers"] = [self.ref(team["commander"], "司索")]
        if tt == "blasting":
            d["blasters"] = [self.ref(team.get("blaster", team["labourer"]), "爆破员", cert=True)]

    # --- the campaign around the projects ---------------------------------------------------------

    def blacklist(self, e: dict, c: dict, day: date) -> None:
        d = self.t.get("blacklist-entry-HMD-2026-001.yaml")
        decided = day + timedelta(self.rng.randrange(3, 20))
        d.update(entry_no=self.no("HMD"), listed_by=e["uscc"], subject=c["uscc"], subject_name=c["name"], decided_on=decided.isoformat(),
                 start=decided.isoformat(), end=(decided + timedelta(days=365 * 3)).isoformat(), decided_by=e["name"])
        key = f"blacklist:{d['entry_no']}"
        self.emit(key, {"type": "blacklist_entry", **d}, e["uscc"], self.later(decided))
        if self.rng.random() < 0.3:
            r = self.t.get("blacklist-removal-HMD-YC-2026-001.yaml")
            removed = decided + timedelta(self.rng.randrange(10, 90))
            r.update(removal_no=self.no("HMDYC"), entry_no=d["entry_no"], listed_by=e["uscc"], subject=c["uscc"], subject_name=c["name"],
                     person=None, entry_start=d["start"], decided_on=removed.isoformat(), decided_by=e["name"])
            self.emit(f"removal:{r['removal_no']}", {"type": "blacklist_removal", **r}, e["uscc"], self.later(removed))

    def enforcement(self, count: int) -> None:
        """The bureau's inspections, orders (items naming contractors) and reviews."""
        rng = self.rng
        for i in range(count):
            proj = rng.choice(self.projects)
            e, c = proj["e"], proj["c"]
            day = proj["start"] + timedelta(rng.randrange(max(1, (proj["end"] - proj["start"]).days)))
            if day > date(YEAR, 12, 10):
                continue
            n = 200 + i
            ins = self.template("inspection-record-jianji-2026-52.yaml", "time_from", day)
            ins.update(doc_no=f"（高新）应急检记〔{YEAR}〕{n}号", bureau=BUREAU, unit=e["uscc"], contractor=c["uscc"], project=proj["code"])
            self.emit(f"insp:{n}", {"type": "inspection_record", **ins}, BUREAU, self.later(day, 2))
            if rng.random() < 0.8:
                o = self.template("rectification-order-zegai-2026-12.yaml", "issued_on", day)
                o.update(doc_no=f"（高新）应急责改〔{YEAR}〕{n}号", bureau=BUREAU, unit=e["uscc"], contractor=c["uscc"], project=proj["code"],
                         inspection_ref=ins["doc_no"], inspected_on=day.isoformat())
                o["items"] = [{**it, "contractor": c["uscc"] if rng.random() < 0.5 else it.get("contractor")} for it in o["items"]]
                self.emit(f"order:{n}", {"type": "rectification_order", **o}, BUREAU, self.later(day, 2))
                if rng.random() < 0.7:
                    last = max(date.fromisoformat(it["deadline"]) for it in o["items"])
                    rd = last + timedelta(rng.randrange(1, 12))
                    if rd < date(YEAR, 12, 28):
                        r = self.template("rectification-review-fucha-2026-9.yaml", "reviewed_on", rd)
                        r.update(doc_no=f"（高新）应急复查〔{YEAR}〕{n}号", bureau=BUREAU, unit=e["uscc"], contractor=c["uscc"], project=proj["code"],
                                 order_doc_no=o["doc_no"], order_issued_on=o["issued_on"])
                        r["items"] = [{"item": k, "result": rng.choice(["已整改", "已整改", "部分整改", "未整改"]), "note": None}
                                      for k in range(1, len(o["items"]) + 1)]
                        self.emit(f"review:{n}", {"type": "rectification_review", **r}, BUREAU, self.later(rd, 2))

    def registers_and_reports(self) -> None:
        for e in self.enterprises:
            mine = [p for p in self.projects if p["e"] is e]
            if any("confined_space" in p["works"] for p in mine):
                d = self.template("confined-space-register-HR-YXKJ-2026-02.yaml", "compiled_on", date(YEAR, 3, 16))
                d.update(register_no=self.no("YXKJ"), enterprise=e["uscc"])
                if self.rng.random() < 0.2:
                    d["spaces"] = [{**d["spaces"][0], "warning_sign": False}, *d["spaces"][1:]]
                self.emit(f"register:{e['uscc']}", {"type": "confined_space_register", **d}, e["uscc"], self.later(date(YEAR, 3, 16)))
            if mine and self.rng.random() < 0.8:
                day = date(YEAR, 4, 20) + timedelta(self.rng.randrange(20))
                d = self.template("campaign-table-WBQK-2026.yaml", "issued_on", day)
                d.update(report_no=f"WBQK-{YEAR}-{e['uscc'][-6:]}", enterprise=e["uscc"], author_name=e["name"], year=YEAR,
                         as_of=day.isoformat(), due=f"{YEAR}-04-30")
                self.emit(f"table:{e['uscc']}", {"type": "campaign_table", **d}, e["uscc"], self.later(day))
            if mine and self.rng.random() < 0.6:
                day = date(YEAR, 6, 1) + timedelta(self.rng.randrange(15))
                d = self.template("campaign-report-ZCBG-2026.yaml", "issued_on", day)
                d.update(report_no=f"ZCBG-{YEAR}-{e['uscc'][-6:]}", enterprise=e["uscc"], author_name=e["name"], year=YEAR,
                         as_of=day.isoformat(), due=f"{YEAR}-06-10")
                self.emit(f"report:{e['uscc']}", {"type": "campaign_report", **d}, e["uscc"], self.later(day))

    # --- the whole district ---------------------------------------------------------------------------

    def cases(self) -> list[Case]:
        """Every record, in the order they were archived (by time, registry entities first within a moment)."""
        self.cases_out, self.projects = [], []
        self.organizations()
        per_project = 27  # records of a project's own (its registration, team, contract, tickets …)
        n_projects = max(self.n_enterprises // 2, round((self.n_records - self.n_enterprises - 1) / (per_project + 1)))
        for _ in range(n_projects):
            e = self.rng.choices(self.enterprises, self.e_weights)[0]
            c = self.rng.choices(self.contractors, self.c_weights)[0]
            self.project(e, c, int(per_project))
        self.enforcement(round(self.n_records * MIX["inspection_record"]))
        self.registers_and_reports()
        order = {"organization": 0, "person": 1, "project": 2}
        return sorted(self.cases_out, key=lambda c: (c.created_at, order.get(c.type, 3) if c.supersedes is None else 4))


def refs_of(case: Case, registry: dict[tuple[str, str], dict], secret: bytes) -> dict:
    """The referenced-entity snapshot sealing keeps with a record (as archive.registry.resolve makes it)."""
    from archive.registry import person_key

    d = case.data
    orgs = {}
    for f in ("enterprise", "contractor", "unit", "bureau", "listed_by", "subject", "owner", "employer"):
        u = d.get(f)
        if isinstance(u, str) and ("organization", u) in registry and not (case.type == "organization" and f == "uscc"):
            orgs[u] = registry[("organization", u)]
    projects, persons = {}, {}
    if d.get("project") and d.get("enterprise") and ("project", f"{d['enterprise']}/{d['project']}") in registry and case.type != "project":
        projects[f"{d['enterprise']}/{d['project']}"] = registry[("project", f"{d['enterprise']}/{d['project']}")]

    def walk(v: Any, top: bool) -> None:
        if isinstance(v, dict):
            n = v.get("id_number")
            if not top and isinstance(n, str) and ("person", n) in registry:
                persons[person_key(secret, n)] = registry[("person", n)]
            for x in v.values():
                walk(x, False)
        elif isinstance(v, list):
            for x in v:
                walk(x, False)

    walk(d, True)
    return {"organizations": orgs, "projects": projects, "persons": persons}


def registry_key_of(case: Case) -> tuple[str, str] | None:
    d = case.data
    if case.type == "organization":
        return ("organization", d["uscc"])
    if case.type == "person":
        return ("person", d["id_number"])
    if case.type == "project":
        return ("project", f"{d['enterprise']}/{d['code']}")
    return None


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
