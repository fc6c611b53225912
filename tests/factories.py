"""Small, realistic Chinese test data: an enterprise, a bureau, a contractor, people, a project, and
case files, as YAML text or files in a folder. Identifiers are computed, so they always pass."""

from __future__ import annotations

from pathlib import Path

import yaml

from schemas.identifiers import id_check_char, make_uscc, org_code_check_char


def uscc(region: str, org8: str, kind: str = "91") -> str:
    body = kind + region + org8
    return make_uscc(body + org_code_check_char(org8))


def id_number(prefix17: str) -> str:
    return prefix17 + id_check_char(prefix17)


ENTERPRISE = "91370100MA3C8K2P9L"
BUREAU = "11370100004298377D"
CONTRACTOR = uscc("370112", "MA3RK7Q4")
CONTRACTOR2 = uscc("370102", "MA94HT6X")
WELDER_ID = id_number("37010219850315121")
GUARD_ID = id_number("37011219900822002")
LEADER_ID = id_number("37012419780203351")


def organization(**kw) -> dict:
    base = {
        "type": "organization",
        "uscc": ENTERPRISE,
        "name": "济南华锐重型机械有限公司",
        "role": "enterprise",
        "industry": "机械",
        "address": "济南市高新区港兴三路1号",
        "legal_representative": "周建国",
        "principal_person": "周建国",
        "phone": "0531-88881234",
        "headcount": 860,
        "safety_department": True,
        "full_time_safety_staff": 6,
    }
    base.update(kw)
    return base


def bureau(**kw) -> dict:
    return organization(
        uscc=BUREAU, name="济南高新区应急管理局", role="bureau", industry=None, region_abbr="高新",
        address="济南市高新区舜华路2000号", headcount=None, **kw,
    )


def contractor(**kw) -> dict:
    base = organization(
        uscc=CONTRACTOR, name="山东恒安设备安装工程有限公司", role="contractor", industry=None,
        address="济南市历城区工业北路88号", headcount=120, full_time_safety_staff=3,
        qualifications=[{
            "kind": "安全生产许可证", "number": "（鲁）JZ安许证字〔2024〕010235", "issuer": "山东省住房和城乡建设厅",
            "scope": "建筑施工", "valid_from": "2024-03-01", "valid_to": "2027-02-28",
        }],
    )
    base.update(kw)
    return base


def person(name: str, number: str, employer: str = CONTRACTOR, roles=("作业人员",), **kw) -> dict:
    base = {"type": "person", "name": name, "id_number": number, "employer": employer, "roles": list(roles),
            "trade": "钳工", "entry_date": "2026-03-20", "work_injury_insurance": True}
    base.update(kw)
    return base


def welder() -> dict:
    return person("王海军", WELDER_ID, roles=["特种作业人员"], trade="电焊工", certificates=[{
        "kind": "特种作业操作证", "category": "焊接与热切割作业", "number": WELDER_ID,
        "issuer": "济南市应急管理局", "issued": "2022-06-01", "expires": "2028-05-31", "next_review": "2028-05-31",
    }])


def project(**kw) -> dict:
    base = {
        "type": "project", "code": "HR-WB-2026-001", "name": "铸造车间中频炉检修工程", "enterprise": ENTERPRISE,
        "contractor": CONTRACTOR, "category": "外包", "work_content": ["检修", "维护"], "location": "铸造车间",
        "period": {"start": "2026-04-10", "end": "2026-07-31"}, "has_project_department": True,
        "dangerous_work": ["hot_work"],
        "workers": [{"name": "王海军", "id_number": WELDER_ID}],
    }
    base.update(kw)
    return base


def agreement(**kw) -> dict:
    base = {
        "type": "safety_agreement", "agreement_no": "HR-AQXY-2026-001", "project": "HR-WB-2026-001",
        "enterprise": ENTERPRISE, "contractor": CONTRACTOR, "contract_no": "HR-HT-2026-015",
        "term": {"start": "2026-04-10", "end": "2026-07-31"},
        "project_overview": "铸造车间2号中频炉炉体及配套行车检修，作业区域为铸造车间东跨。",
        "enterprise_duties": [
            "向乙方提供作业区域内危险有害因素、检测数据和应急处置信息",
            "乙方人员进场前进行入场安全教育和书面安全技术交底",
            "对乙方的安全生产工作统一协调、管理，定期进行安全检查",
        ],
        "contractor_duties": [
            "设立项目部，配备专职安全生产管理人员",
            "对作业人员进行三级安全教育，特种作业人员持证上岗",
            "严格执行甲方作业票制度，危险作业前办理作业票",
        ],
        "accident_handling": "发生事故后乙方立即报告甲方，双方按规定报告并配合调查处理。",
        "signed_on": "2026-04-02",
        "enterprise_signatory": {"name": "刘海涛", "title": "安全环保部部长"},
        "contractor_signatory": {"name": "马志强", "title": "项目经理"},
    }
    base.update(kw)
    return base


def hot_work_ticket(**kw) -> dict:
    base = {
        "type": "work_ticket", "ticket_type": "hot_work", "ticket_no": "DH-2026-0105", "project": "HR-WB-2026-001",
        "enterprise": ENTERPRISE, "contractor": CONTRACTOR, "applicant_unit": "铸造车间",
        "applied_at": "2026-05-06 07:30", "location": "铸造车间东跨2号中频炉", "content": "炉壳加强筋补焊",
        "valid_from": "2026-05-06 08:30", "valid_to": "2026-05-06 16:30",
        "grade": "二级", "method": "电焊", "hot_spot": "炉壳东侧加强筋",
        "leader": {"name": "马志强"}, "guardian": {"name": "孙丽娟"},
        "workers": [{"name": "王海军", "id_number": WELDER_ID}],
        "hot_workers": [{"name": "王海军", "id_number": WELDER_ID, "certificate_no": WELDER_ID}],
        "risk_identification": "火灾、灼烫、触电、高处坠落",
        "measures": [
            {"text": "动火点周围10 m内清除易燃可燃物", "confirmed_by": "孙丽娟"},
            {"text": "配备2具8 kg干粉灭火器", "confirmed_by": "孙丽娟"},
        ],
        "briefing": {"by": "马志强", "receivers": ["王海军"]},
        "gas_samples": [{"taken_at": "2026-05-06 08:10", "kind": "可燃气体", "gas": "甲烷", "result": 0.1, "lel_pct": 5.0, "analyst": "赵鹏"}],
        "approvals": [
            {"box": "监护人", "name": "孙丽娟", "signed_at": "2026-05-06 08:15"},
            {"box": "作业负责人", "name": "马志强", "signed_at": "2026-05-06 08:15"},
            {"box": "所在单位", "name": "高建军", "signed_at": "2026-05-06 08:18"},
            {"box": "安全管理部门", "name": "刘海涛", "signed_at": "2026-05-06 08:20"},
            {"box": "动火审批人", "name": "高建军", "signed_at": "2026-05-06 08:22"},
            {"box": "当班班长验票", "name": "张涛", "signed_at": "2026-05-06 08:28"},
        ],
        "completion": {"by": "高建军", "at": "2026-05-06 16:20"},
    }
    base.update(kw)
    return base


def training_card(**kw) -> dict:
    base = {
        "type": "training_record", "record_no": "HA-JY-2026-001", "contractor": CONTRACTOR, "enterprise": ENTERPRISE,
        "project": "HR-WB-2026-001",
        "trainee": {"name": "王海军", "id_number": WELDER_ID, "trade": "电焊工", "entry_date": "2026-03-20"},
        "levels": [
            {"level": "公司级", "start": "2026-04-02", "hours": 8, "content": ["安全生产法律法规", "本单位安全生产规章制度"],
             "trainer": "孙丽娟", "score": 92, "passed": True},
            {"level": "车间级", "start": "2026-04-03", "hours": 8, "content": ["作业场所危险因素", "劳动防护用品使用"],
             "trainer": "马志强", "score": 88, "passed": True},
            {"level": "班组级", "start": "2026-04-04", "hours": 8, "content": ["岗位安全操作规程", "岗位交接班"],
             "trainer": "张涛", "score": 90, "passed": True},
        ],
        "conclusion": {"passed": True, "may_take_post": True, "confirmed_by": "刘海涛", "confirmed_on": "2026-04-05"},
    }
    base.update(kw)
    return base


def write(folder: Path, name: str, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def basic_set(folder: Path) -> dict[str, Path]:
    """Files for a small archive: owner enterprise, bureau, contractor, welder, project, agreement,
    the welder's training card, a hot-work ticket."""
    return {
        "enterprise": write(folder, "enterprise.yaml", organization()),
        "bureau": write(folder, "bureau.yaml", bureau()),
        "contractor": write(folder, "contractor.yaml", contractor()),
        "welder": write(folder, "welder.yaml", welder()),
        "project": write(folder, "project.yaml", project()),
        "agreement": write(folder, "agreement.yaml", agreement()),
        "training": write(folder, "training.yaml", training_card()),
        "ticket": write(folder, "ticket.yaml", hot_work_ticket()),
    }
