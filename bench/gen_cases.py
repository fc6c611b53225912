"""Realistic synthetic case data for benchmarks: enterprises, contractors, projects, people and
安全生产管理协议 (a few pages each), reproducible from a seed.

    gen = CaseGenerator(seed=7)
    for case in gen.agreements(100):
        case.raw            # the case file as a dict (what `outsafe case add` reads from YAML)
        case.obj            # loaded and validated through schemas.load
        case.refs           # {"organizations": {uscc: …}, "projects": {"<enterprise>/<code>": …}}
        case.owner          # the enterprise (archive owner) as a dict
        case.key_values     # party names and numbers that must show in the PDF's text layer

    python bench/gen_cases.py -n 3        # print three generated case files as YAML

Identifiers are valid (GB 32100 USCC check characters, GB 11643 身份证号 check digits); names,
places, plants and duty clauses are drawn from pools modelled on real agreements (see
examples/cases/agreement-*.yaml), so text length, character repertoire and page count are those
of the real documents. Never used by tests.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive.settings import Settings  # noqa: E402
from schemas import load  # noqa: E402
from schemas.base import RuleContext, dump  # noqa: E402
from schemas.identifiers import id_check_char, make_uscc  # noqa: E402

AS_OF = date(2026, 11, 29)

# (division code, province, city, district, phone area code, region abbreviation)
REGIONS = [
    ("370112", "山东省", "济南市", "历城区", "0531", "历城"),
    ("370102", "山东省", "济南市", "历下区", "0531", "历下"),
    ("370181", "山东省", "济南市", "章丘区", "0531", "章丘"),
    ("370303", "山东省", "淄博市", "张店区", "0533", "张店"),
    ("370211", "山东省", "青岛市", "黄岛区", "0532", "黄岛"),
    ("330110", "浙江省", "杭州市", "余杭区", "0571", "余杭"),
    ("330206", "浙江省", "宁波市", "北仑区", "0574", "北仑"),
    ("320583", "江苏省", "苏州市", "昆山市", "0512", "昆山"),
    ("320412", "江苏省", "常州市", "武进区", "0519", "武进"),
    ("440306", "广东省", "深圳市", "宝安区", "0755", "宝安"),
    ("441900", "广东省", "东莞市", "东莞市", "0769", "东莞"),
    ("420115", "湖北省", "武汉市", "江夏区", "027", "江夏"),
    ("510116", "四川省", "成都市", "双流区", "028", "双流"),
    ("130203", "河北省", "唐山市", "路北区", "0315", "路北"),
    ("210211", "辽宁省", "大连市", "甘井子区", "0411", "甘井子"),
    ("410122", "河南省", "郑州市", "中牟县", "0371", "中牟"),
    ("340104", "安徽省", "合肥市", "蜀山区", "0551", "蜀山"),
    ("610116", "陕西省", "西安市", "长安区", "029", "长安"),
]
STREETS = ["工业北路", "经十东路", "华锐路", "科创大道", "临港大道", "滨河路", "开发区纬三路", "高新大道", "机场路",
           "钢城大街", "建设路", "兴业路", "长江路", "黄河路", "泰山路", "北环路", "创业路", "新材料产业园纬二路"]
TRADE_NAMES = ["华锐", "恒安", "鲁中", "金泰", "宏达", "永盛", "安通", "鑫源", "中和", "正阳", "天润", "瑞丰", "广信",
               "泰和", "昌盛", "东岳", "博远", "聚力", "蓝海", "凯宇", "汇通", "德利", "振华", "盛世", "兴邦", "嘉禾",
               "力拓", "晟达", "齐鲁", "海川", "锦程", "弘毅", "鼎盛", "佳和", "冠捷", "铭远"]
ENTERPRISE_KINDS = [  # (name suffix, industry, plants)
    ("重型机械有限公司", "机械", ["铸造车间", "金工车间", "装配车间", "热处理车间", "动力车间"]),
    ("特钢有限公司", "冶金", ["炼钢厂", "轧钢厂", "原料场", "动力厂", "煤气柜区域"]),
    ("铝业有限公司", "有色", ["电解车间", "铸造车间", "阳极组装车间", "碳素车间", "动力车间"]),
    ("精密铸造有限公司", "机械", ["熔炼车间", "制壳车间", "清整车间", "机加工车间"]),
    ("化纤股份有限公司", "纺织", ["聚合车间", "纺丝车间", "加弹车间", "污水处理站", "热媒站"]),
    ("食品有限公司", "轻工", ["前处理车间", "发酵车间", "灌装车间", "冷库", "锅炉房"]),
    ("纸业有限公司", "轻工", ["制浆车间", "造纸车间", "碱回收车间", "污水处理站", "热电站"]),
    ("新型建材有限公司", "建材", ["原料车间", "烧成车间", "粉磨车间", "包装车间", "余热发电站"]),
    ("电机有限公司", "机械", ["冲压车间", "绕线车间", "涂装车间", "总装车间", "空压站"]),
    ("汽车零部件有限公司", "机械", ["压铸车间", "涂装车间", "焊装车间", "机加工车间", "危废暂存间"]),
]
CONTRACTOR_KINDS = [  # (name suffix, qualification scope)
    ("设备安装工程有限公司", "机电工程施工总承包二级"),
    ("机电工程有限公司", "机电工程施工总承包三级"),
    ("防腐保温工程有限公司", "防水防腐保温工程专业承包二级"),
    ("起重吊装有限公司", "起重设备安装工程专业承包二级"),
    ("环保工程有限公司", "环保工程专业承包二级"),
    ("电力工程有限公司", "输变电工程专业承包三级"),
    ("钢结构工程有限公司", "钢结构工程专业承包二级"),
    ("工业设备检修有限公司", "机电工程施工总承包三级"),
    ("建筑劳务有限公司", "施工劳务企业资质"),
]
JOBS = [  # (project name pattern, equipment/scope text, work content, dangerous work)
    ("{plant}起重机及行车轨道检修工程", "QD16/3.2 桥式起重机年度检修、行车轨道及压板更换", "检修",
     ["hot_work", "work_at_height", "lifting", "temporary_power"]),
    ("{plant}除尘系统改造工程", "布袋除尘器更换滤袋、风管改造及引风机更换", "技术改造",
     ["hot_work", "work_at_height", "confined_space", "lifting"]),
    ("{plant}厂房屋面彩钢板更换工程", "屋面彩钢板拆除与更换、天沟及采光带修复", "施工",
     ["work_at_height", "lifting", "temporary_power"]),
    ("{plant}循环水池清淤及防腐工程", "循环水池清淤、池壁环氧防腐及爬梯更换", "清洗",
     ["confined_space", "temporary_power", "hot_work"]),
    ("{plant}天然气管道改造工程", "DN150 天然气管道改线、阀组更换及管道试压", "技术改造",
     ["hot_work", "blind_plate", "excavation", "temporary_power"]),
    ("{plant}变配电室设备检修", "10 kV 开关柜、变压器预防性试验与检修", "检修",
     ["temporary_power", "work_at_height"]),
    ("{plant}污水管网开挖修复工程", "厂区雨污管网开挖、检查井修复及路面恢复", "施工",
     ["excavation", "road_closure", "confined_space", "temporary_power"]),
    ("{plant}储罐内部清洗检测", "原料储罐倒空、内部清洗及壁厚检测", "清洗",
     ["confined_space", "blind_plate", "hot_work", "temporary_power"]),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = ["建国", "志刚", "海涛", "立群", "振东", "建华", "国栋", "宏伟", "德明", "玉梅", "大勇", "卫国", "春来", "立新",
         "晓东", "明远", "文静", "丽娟", "俊杰", "秀英", "永强", "桂兰", "洪涛", "红霞", "家豪", "子涵", "浩然", "思远",
         "雪梅", "国庆", "光明", "学军", "长青", "为民", "少华", "晓燕", "金凤", "鹏飞", "忠诚", "静", "强", "刚", "丽",
         "敏", "军", "磊", "涛", "燕", "勇", "琳"]
TITLES_E = ["法定代表人、总经理", "总经理", "分管安全副总经理", "生产副总经理"]
TITLES_C = ["法定代表人", "总经理", "项目负责人（授权代表）"]
BASIS = [
    "《中华人民共和国安全生产法》", "《中华人民共和国民法典》", "《中华人民共和国特种设备安全法》",
    "《生产安全事故报告和调查处理条例》", "《工贸企业重大事故隐患判定标准》（应急管理部令第10号）",
    "《危险化学品企业特殊作业安全规范》（GB 30871—2022，参照执行）", "《建设工程安全生产管理条例》",
    "《生产经营单位安全培训规定》",
]
ENTERPRISE_DUTIES = [
    "对本单位生产系统、安全设施和作业环境的安全负责；乙方进场前以书面形式向乙方告知作业区域内的危险有害因素（{hazards}）、能源介质分布、检测数据和应急处置措施。",
    "审查乙方的营业执照、{qual}证书、安全生产许可证，以及项目负责人、专职安全员、特种作业人员的有效证件，留存复印件；不具备安全生产条件或相应资质的，不准进场。",
    "组织乙方全体进场人员（含后续增补人员）进行厂级安全教育，由{plant}进行车间级教育，监督乙方完成班组级教育，考试合格、建立档案后方可进入作业现场。",
    "开工前由{plant}向乙方项目负责人和全体作业人员进行书面安全技术交底，双方签字确认；作业条件发生变化时重新交底。",
    "将乙方纳入本单位安全生产管理体系，对乙方的安全生产工作统一协调、管理，与本单位安全生产工作一起研究、一起部署、一起检查、一起考核、一起落实。",
    "负责{works}等危险作业的作业票审批，审批人到现场核查安全措施后签字；提供临时用电接入点，由设备动力部持证电工接电。",
    "明确生产与检修交叉作业的协调人{coordinator}，设置硬隔离和警示标志，物料吊运路线避开检修区域。",
    "每周至少一次对乙方作业现场进行安全检查，发现事故隐患责令乙方立即或限期整改并复查；发现违章作业、冒险作业，有权责令停止作业，将违章人员清退出场。",
    "按季度对乙方进行安全生产考核；对考核不合格、重大事故隐患不整改或发生亡人事故的，依约解除合同，并列入本单位承包商“黑名单”。",
    "不擅自压缩合同约定工期，不违章指挥或强令乙方人员冒险作业。",
    "将乙方在本协议作业区域内发生的生产安全事故纳入本单位事故统计；发生事故时立即启动应急预案组织救援，并按规定报告。",
    "为乙方提供符合安全要求的休息室、更衣室和材料堆放场地，保证作业区域照明、通道和消防设施完好。",
]
CONTRACTOR_DUTIES = [
    "设立项目部，配备项目负责人{manager}和至少 1 名专职安全员（{officer}）常驻现场；建立安全生产责任制、安全管理制度和各工种安全操作规程。",
    "编制施工组织设计和专项方案（{scope}），报甲方审查同意后实施。",
    "项目负责人、专职安全员持有效安全生产考核合格证书，特种作业人员持有效证件上岗，持证率 100%；人员变更提前报甲方审查。",
    "对全部进场作业人员（含临时增补人员）进行安全教育培训，三级安全教育不少于 24 学时，考试合格后方可上岗，如实建立培训档案。",
    "为作业人员配备符合国家标准的劳动防护用品（安全帽、全身式安全带、阻燃防护服、防尘口罩、绝缘鞋等），并监督正确佩戴使用。",
    "自带的机具设备（电焊机、气瓶、手拉葫芦、吊索具、移动式配电箱等）进场前报验登记，保证完好有效，定期检查维护保养并记录。",
    "严格执行甲方危险作业票管理制度，作业前办理作业票、进行风险辨识并落实安全措施，设专人现场监护；作业内容、地点、时间变化时重新办票。",
    "依法为全体作业人员缴纳工伤保险并向甲方提供参保证明；不使用未成年人和有职业禁忌证的人员。",
    "建立隐患排查治理台账，坚持班前安全讲话和每日安全检查；对甲方检查发现的隐患按期整改并书面回复。",
    "不转包、不违法分包，不出借资质或允许他人挂靠。",
    "制定现场处置方案，配备应急器材，参加甲方组织的应急演练；发生事故立即报告甲方，组织救援、保护现场并配合调查。",
    "服从甲方统一协调管理，遵守甲方厂规厂纪，不擅自进入与作业无关的区域，不擅自拆除或挪用甲方安全设施。",
    "受限空间作业严格执行“先通风、再检测、后作业”，检测数据记入作业票，作业期间连续监测，监护人不得离开。",
]
PENALTIES = [
    "作业人员无证上岗、无票作业或擅自扩大作业范围的，每人次扣减安全保证金 2000 元，责令停工整改，情节严重的清退出场。",
    "危险作业未设监护人或监护人擅自离岗的，每次扣减安全保证金 1000 元。",
    "未按规定佩戴劳动防护用品的，每人次扣减安全保证金 200 元。",
    "甲方检查发现的隐患逾期未整改的，每项每日扣减安全保证金 500 元；甲方可委托第三方整改，费用从工程款中扣除。",
    "季度安全生产考核不合格的，限期整改；连续两个季度不合格、重大事故隐患不整改或发生亡人事故的，甲方解除合同，列入承包商“黑名单”，三年内不得承接甲方工程。",
    "工程结束未发生生产安全事故、季度考核均为优良的，全额退还安全保证金，并给予通报表扬。",
]
HAZARDS = ["熔融金属", "天然气", "起重机械", "高压电气", "有限空间", "高温蒸汽", "粉尘爆炸", "煤气", "酸碱介质", "机械伤害"]
WORK_NAMES = {"hot_work": "动火", "confined_space": "受限空间", "work_at_height": "高处", "lifting": "吊装",
              "excavation": "动土", "temporary_power": "临时用电", "blind_plate": "盲板抽堵", "road_closure": "断路",
              "blasting": "爆破"}


@dataclass(frozen=True)
class Case:
    raw: dict
    obj: Any
    refs: dict
    owner: dict
    key_values: tuple[str, ...]


class CaseGenerator:
    """Deterministic for a given seed."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.ctx = RuleContext(Settings(), AS_OF)
        self._used_names: set[str] = set()
        self._serial = 0

    # -- small pieces --

    def person_name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def id_number(self, region: str, born: date | None = None) -> str:
        born = born or date(1965, 1, 1) + timedelta(days=self.rng.randrange(365 * 38))
        first17 = f"{region}{born:%Y%m%d}{self.rng.randrange(1, 999):03d}"
        return first17 + id_check_char(first17)

    def uscc(self, region: str) -> str:
        body = "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        return make_uscc(f"91{region}{body}")

    def phone(self, area: str) -> str:
        return f"{area}-{self.rng.randrange(6, 9)}{self.rng.randrange(1000000, 9999999)}"

    def mobile(self) -> str:
        return f"1{self.rng.choice('3589')}{self.rng.randrange(100000000, 999999999)}"

    def company(self, suffix: str, region: tuple) -> str:
        while True:
            trade = self.rng.choice(TRADE_NAMES)
            name = f"{region[1][:-1]}{trade}{suffix}" if self.rng.random() < 0.6 else f"{region[2][:-1]}{trade}{suffix}"
            if name not in self._used_names:
                self._used_names.add(name)
                return name

    def address(self, region: tuple) -> str:
        return f"{region[1]}{region[2]}{region[3]}{self.rng.choice(STREETS)}{self.rng.randrange(1, 999)}号"

    # -- registry entities --

    def enterprise(self) -> tuple[dict, list[str]]:
        region = self.rng.choice(REGIONS)
        suffix, industry, plants = self.rng.choice(ENTERPRISE_KINDS)
        name = self.company(suffix, region)
        boss, safety = self.person_name(), self.person_name()
        org = {
            "type": "organization", "uscc": self.uscc(region[0]), "name": name, "role": "enterprise",
            "industry": industry,
            "address": self.address(region), "postcode": f"{region[0][:3]}{self.rng.randrange(100, 999)}",
            "legal_representative": boss, "principal_person": boss, "safety_manager": safety,
            "phone": self.phone(region[4]), "headcount": self.rng.randrange(180, 3000),
            "safety_department": True, "full_time_safety_staff": self.rng.randrange(3, 12), "work_injury_insurance": True,
        }
        return org, plants

    def contractor(self) -> dict:
        region = self.rng.choice(REGIONS)
        suffix, scope = self.rng.choice(CONTRACTOR_KINDS)
        boss = self.person_name()
        start = date(2022, 1, 1) + timedelta(days=self.rng.randrange(900))
        quals = [{
            "kind": "建筑业企业资质证书",
            "number": f"D{self.rng.randrange(200000000, 399999999)}",
            "issuer": f"{region[1]}住房和城乡建设厅", "scope": scope,
            "valid_from": start.isoformat(), "valid_to": (start + timedelta(days=365 * 5 - 1)).isoformat(),
        }, {
            "kind": "安全生产许可证",
            "number": f"（{region[1][0]}）JZ安许证字〔{start.year + 1}〕{self.rng.randrange(10000, 99999):06d}",
            "issuer": f"{region[1]}住房和城乡建设厅", "scope": "建筑施工",
            "valid_from": (start + timedelta(days=200)).isoformat(),
            "valid_to": (start + timedelta(days=200 + 365 * 3 - 1)).isoformat(),
        }]
        return {
            "type": "organization", "uscc": self.uscc(region[0]), "name": self.company(suffix, region),
            "role": "contractor", "address": self.address(region), "legal_representative": boss,
            "principal_person": boss, "safety_manager": self.person_name(), "phone": self.phone(region[4]),
            "headcount": self.rng.randrange(40, 400), "safety_department": True,
            "full_time_safety_staff": self.rng.randrange(1, 6), "work_injury_insurance": True, "qualifications": quals,
        }

    def project(self, enterprise: dict, contractor: dict, plants: list[str], year: int = 2026) -> dict:
        self._serial += 1
        plant = self.rng.choice(plants)
        pattern, scope, content, works = self.rng.choice(JOBS)
        start = date(year, 3, 1) + timedelta(days=self.rng.randrange(150))
        end = start + timedelta(days=self.rng.randrange(25, 150))
        region = contractor["uscc"][2:8]
        people = [{"name": self.person_name(), "id_number": self.id_number(region), "title": t}
                  for t in ("电焊工", "电工", "起重指挥（司索）", "架子工", "安装钳工", "普工")[: self.rng.randrange(3, 7)]]
        return {
            "type": "project", "code": f"WB-{year}-{self._serial:03d}", "name": pattern.format(plant=plant),
            "enterprise": enterprise["uscc"], "contractor": contractor["uscc"], "category": "外包",
            "work_content": [content], "location": f"{enterprise['name']}{plant}", "period": {"start": start.isoformat(), "end": end.isoformat()},
            "subcontracting_allowed": False, "has_project_department": True,
            "manager": {"name": self.person_name(), "id_number": self.id_number(region), "title": "项目经理", "phone": self.mobile()},
            "safety_officer": {"name": self.person_name(), "id_number": self.id_number(region), "title": "专职安全员", "phone": self.mobile()},
            "workers": people, "dangerous_work": works, "status": "施工中",
            "description": f"{scope}。项目实行项目部管理；施工期间{plant}其余设备照常生产，存在交叉作业。",
            "_plant": plant, "_scope": scope,
        }

    # -- the document --

    def agreement(self, enterprise: dict, contractor: dict, project: dict) -> dict:
        self._serial += 1
        rng = self.rng
        plant, scope = project["_plant"], project["_scope"]
        start = date.fromisoformat(project["period"]["start"])
        end = date.fromisoformat(project["period"]["end"])
        signed = start - timedelta(days=rng.randrange(3, 20))
        works = "、".join(WORK_NAMES[w] for w in project["dangerous_work"])
        fill = {
            "hazards": "、".join(rng.sample(HAZARDS, 4)), "qual": contractor["qualifications"][0]["kind"].removesuffix("证书"),
            "plant": plant, "works": works, "coordinator": self.person_name(), "scope": scope,
            "manager": project["manager"]["name"], "officer": project["safety_officer"]["name"],
        }
        e_duties = [d.format(**fill) for d in rng.sample(ENTERPRISE_DUTIES, rng.randrange(9, len(ENTERPRISE_DUTIES) + 1))]
        c_duties = [d.format(**fill) for d in rng.sample(CONTRACTOR_DUTIES, rng.randrange(9, len(CONTRACTOR_DUTIES) + 1))]
        area = enterprise["phone"].split("-")[0]
        cost = rng.randrange(8000, 90000)
        return {
            "type": "safety_agreement",
            "agreement_no": f"AQXY-{start.year}-{self._serial:04d}",
            "project": project["code"], "enterprise": enterprise["uscc"], "contractor": contractor["uscc"],
            "contract_no": f"HT-{start.year}-{self._serial:04d}",
            "term": {"start": start.isoformat(), "end": end.isoformat()},
            "basis": rng.sample(BASIS, rng.randrange(4, len(BASIS) + 1)),
            "project_overview": (
                f"工程名称：{project['name']}（项目编号 {project['code']}）。作业地点：{project['location']}，范围以甲方设置的"
                f"硬隔离围挡为界。作业内容：{scope}，涉及{works}等危险作业。工期：{start.year}年{start.month}月{start.day}日至"
                f"{end.year}年{end.month}月{end.day}日。施工期间{plant}其余设备正常生产，存在交叉作业。"
            ),
            "enterprise_duties": e_duties, "contractor_duties": c_duties,
            "safety_cost": f"{cost}.00", "safety_deposit": f"{rng.choice([5000, 10000, 20000, 30000])}.00",
            "penalties": rng.sample(PENALTIES, rng.randrange(3, len(PENALTIES) + 1)),
            "accident_handling": (
                f"作业区域发生生产安全事故或险情时，乙方现场负责人立即组织抢救，并在 10 分钟内报告甲方安全环保部（{area}-"
                f"{rng.randrange(80000000, 89999999)}）；甲方立即启动应急预案组织救援，单位负责人接报后 1 小时内向当地应急管理部门"
                "报告，不得迟报、漏报、谎报、瞒报。双方保护事故现场，配合政府有关部门的事故调查；事故纳入甲方事故统计。"
                "双方的法定安全生产责任不因本协议而免除或减轻。"
            ),
            "copies": rng.choice([2, 4]),
            "signed_on": signed.isoformat(),
            "enterprise_signatory": {"name": enterprise["legal_representative"], "title": rng.choice(TITLES_E), "signed_on": signed.isoformat()},
            "contractor_signatory": {"name": contractor["legal_representative"], "title": rng.choice(TITLES_C), "signed_on": signed.isoformat()},
        }

    # -- whole cases --

    def load(self, raw: dict) -> Any:
        raw = {k: v for k, v in raw.items() if not k.startswith("_")}
        result = load(raw, self.ctx, file="<generated>")
        errors = [p.line() for p in result.problems if p.severity == "error"]
        if errors:
            raise ValueError("generated case does not validate: " + "; ".join(errors))
        return result.obj

    def agreements(self, n: int, *, enterprises: int = 3, contractors: int = 12) -> list[Case]:
        """``n`` safety agreements between a few enterprises and a pool of contractors."""
        ents = [self.enterprise() for _ in range(enterprises)]
        cons = [self.contractor() for _ in range(contractors)]
        org_objs = {o["uscc"]: self.load(o) for o in [e for e, _ in ents] + cons}
        out = []
        for _ in range(n):
            ent, plants = self.rng.choice(ents)
            con = self.rng.choice(cons)
            proj = self.project(ent, con, plants)
            raw = self.agreement(ent, con, proj)
            proj_obj = self.load(proj)
            refs = {
                "organizations": {u: dump(org_objs[u]) for u in (ent["uscc"], con["uscc"])},
                "projects": {f"{ent['uscc']}/{proj['code']}": dump(proj_obj)},
            }
            keys = (ent["name"], con["name"], raw["agreement_no"], ent["uscc"], con["uscc"])
            out.append(Case(raw, self.load(raw), refs, dump(org_objs[ent["uscc"]]), keys))
        return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    import yaml

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    for case in CaseGenerator(args.seed).agreements(args.n):
        print("---")
        print(yaml.safe_dump(case.raw, allow_unicode=True, sort_keys=False), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
