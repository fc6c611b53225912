"""A realistic synthetic archive for the search benchmark: catalog rows shaped like the real ones.

A district's archive: a few hundred enterprises and contractors, their projects and workers; work
tickets dominate (half the records), then three-level training cards, then persons, agreements,
contracts, hazards, inspections and the bureau's enforcement documents. Each type draws on its own
vocabulary, taken from the documents themselves (GB 30871 measure tables, training syllabuses,
agreement duty clauses, enforcement findings), with per-record detail (equipment, places, numbers,
people), so a record holds its own type's language, not every safety term.

Planted truth: rare 2-character terms, 4-character terms, longer phrases and rare names are written
into a known number of records (in the running text, inside longer runs of characters). The truth
for every benchmark query is then taken by scanning the composed text of every record
(``archive.search_docs.record_text``), so recall and precision are exact.

    gen = Corpus(n=10_000, seed=7)
    for row in gen.rows(): ...          # dicts with the catalog's columns (seq assigned by insert)
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from archive import ids
from archive.registry import person_key, project_key
from schemas.identifiers import id_check_char, make_doc_no, make_uscc

SECRET = b"bench-secret-key-bench-secret-key"

# --- people and organizations -------------------------------------------------------------------------

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
            "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宁 健 亮 俊 峰 建 国 志 海 东 林 文 春 庆 德 红 玉 兰 英 芳 丽 敏 静 燕 霞 娟 艳 "
         "秀 桂 凤 洁 琳 婷 雪 梅 慧 晓 立 永 福 宏 兴 忠 成 学 新 利 金 长 胜 保 荣 军 连 振 世 光 良 瑞 广 宝 元 正 家 小 云 义 树 发 才").split()
REGIONS = ("济南", "淄博", "青岛", "潍坊", "烟台", "临沂", "济宁", "泰安", "德州", "聊城", "滨州", "东营", "日照", "枣庄", "菏泽", "威海")
REGION_CODES = ("370102", "370103", "370112", "370124", "370181", "370302", "370303", "370702", "370611", "371302", "370811", "370902")
BRANDS = ("华锐", "恒安", "鲁中", "安泰", "宏达", "金源", "泰和", "鑫盛", "中诚", "瑞丰", "永信", "天成", "海通", "盛世", "圣元", "宏图",
          "汇丰", "鼎盛", "正泰", "通达", "远航", "立新", "昌盛", "巨能", "华冠", "齐鲁", "泉城", "奥德", "兴旺", "博源", "浩宇", "嘉禾")
ENT_KINDS = (("重型机械", "机械"), ("钢铁", "冶金"), ("特钢", "冶金"), ("铝业", "有色"), ("铜材", "有色"), ("水泥", "建材"),
             ("玻璃", "建材"), ("陶瓷", "建材"), ("纺织", "纺织"), ("印染", "纺织"), ("食品", "轻工"), ("造纸", "轻工"), ("啤酒", "轻工"),
             ("卷烟", "烟草"), ("物流", "商贸"), ("汽车零部件", "机械"), ("铸造", "机械"), ("化纤", "纺织"))
CON_KINDS = ("建设工程", "机电安装工程", "设备检修", "防腐保温工程", "劳务", "钢结构工程", "环保工程", "电力工程", "起重吊装",
             "管道工程", "建筑安装", "工业设备安装", "清洗服务", "爆破工程")
TRADES = ("电焊工", "气割工", "电工", "起重机司机", "司索工", "架子工", "钳工", "管道工", "油漆工", "普工", "安全员", "项目经理", "技术员", "爆破员")
CERT_OF = {"电焊工": ("特种作业操作证", "熔化焊接与热切割作业"), "气割工": ("特种作业操作证", "熔化焊接与热切割作业"),
           "电工": ("特种作业操作证", "低压电工作业"), "架子工": ("特种作业操作证", "登高架设作业"),
           "起重机司机": ("特种设备作业人员证", "Q2 桥门式起重机司机"), "司索工": ("特种设备作业人员证", "Q1 起重机指挥"),
           "爆破员": ("爆破作业人员许可证", "爆破员")}

# --- places and equipment ---------------------------------------------------------------------------

WORKSHOPS = ("炼钢车间", "轧钢车间", "铸造车间", "机加工车间", "装配车间", "原料车间", "动力车间", "污水处理站", "成品库", "煤气站", "制氧站",
             "包装车间", "干燥车间", "烧成车间", "熔炼车间", "电解车间", "锅炉房", "空压站", "涂装车间", "纺纱车间", "织造车间", "印染车间",
             "制丝车间", "仓储物流中心", "热处理车间", "冲压车间", "焊装车间", "发酵车间", "灌装车间", "制浆车间")
EQUIPMENT = ("高炉", "转炉", "中频炉", "回转窑", "球磨机", "布袋除尘器", "脱硫塔", "冷却塔", "煤气柜", "原料皮带", "桥式起重机", "空压机",
             "燃气锅炉", "储罐", "污水池", "沉淀池", "烘干机", "涂装线", "喷漆房", "配电室", "变压器", "压滤机", "发酵罐", "料仓", "烟道",
             "蒸汽管道", "天然气管道", "冷却水管", "输送辊道", "退火炉", "加热炉", "破碎机", "提升机", "风机", "水泵房")
PLACES = ("操作平台", "检修平台", "顶部", "底座", "东侧", "西侧", "南门入口", "北侧通道", "地下管廊", "厂房屋面", "钢结构平台", "管廊架",
          "地坑", "设备基础", "控制室", "厂区北路", "厂区东门", "二层平台", "人孔处", "出料口")

# --- each record type's own language ----------------------------------------------------------------

TICKET_TYPES = (("hot_work", 0.32, "DH"), ("work_at_height", 0.22, "GC"), ("temporary_power", 0.14, "LD"), ("confined_space", 0.10, "SX"),
                ("lifting", 0.10, "DZ"), ("blind_plate", 0.05, "MB"), ("excavation", 0.04, "DT"), ("road_closure", 0.02, "DL"), ("blasting", 0.01, "BP"))

MEASURES = {
    "hot_work": (
        "动火设备内部构件清洗干净，蒸汽吹扫或水洗、置换合格，达到动火条件",
        "与动火设备相连接的所有管线已断开，加盲板{n}块，未采用水封或仅关闭阀门的方式代替盲板",
        "动火点周围及附近的孔洞、窨井、地沟、水封设施、污水井等已清除易燃物，并已采取覆盖、铺沙等手段进行隔离",
        "罐区内动火点同一防火堤内和防火间距内的储罐未同时进行脱水和取样作业",
        "高处动火已采取防火花飞溅措施，作业人员佩戴必要的个体防护装备",
        "在有可燃物构件和使用可燃物做防腐内衬的设备内部进行动火作业时，已采取防火隔绝措施",
        "乙炔气瓶直立放置，已采取防倾倒措施并安装防回火装置；乙炔气瓶、氧气瓶与火源间的距离不小于10m，两气瓶相互间距不小于5m",
        "现场配备灭火器{n}具，灭火毯{m}块，消防水带{k}盘",
        "电焊机所处位置已考虑防火防爆要求，且已可靠接地",
        "动火点周围规定距离内没有易燃易爆化学品的装卸、排放、喷漆等可能引起火灾爆炸的危险作业",
        "动火点30m内垂直空间未排放可燃气体；15m内垂直空间未排放可燃液体；10m范围内及动火点下方未同时进行可燃溶剂清洗或喷漆等作业",
        "已开展作业危害分析，制定相应的安全风险管控措施，交叉作业已明确协调人",
        "用于连续检测的移动式可燃气体检测仪已配备到位",
        "配备的摄录设备已到位，且防爆级别满足安全要求",
    ),
    "confined_space": (
        "对进入受限空间危险性进行分析，制定作业方案",
        "所有与受限空间有联系的阀门、管线已加盲板隔离，列出盲板清单，并落实拆装盲板责任人",
        "设备已经过置换、吹扫、蒸煮",
        "设备已打开通风孔进行自然通风，温度适宜人员作业；必要时采用强制通风或佩戴空气呼吸器，不采用直接通入氧气或富氧空气的方法补充氧",
        "转动设备已切断电源，电源开关处已加锁并挂“禁止合闸”标志牌，设专人监护",
        "受限空间内部已具备作业条件，清罐时已采用防爆工具",
        "受限空间进出口通道畅通，无阻碍人员进出的障碍物",
        "盛装过可燃有毒液体、气体的受限空间，已分析其中的可燃、有毒有害气体和氧气含量，且在安全范围内",
        "作业人员已佩戴必要的个体防护装备，清楚受限空间内存在的危险有害因素",
        "受限空间内作业照明电压不大于36V，在潮湿容器、狭小容器内作业电压不大于12V",
        "作业监护措施：配备正压式空气呼吸器{n}套、救生绳{m}根、三脚架{k}副",
        "严格执行先通风、再检测、后作业，作业期间连续监测气体浓度",
    ),
    "work_at_height": (
        "作业人员身体条件符合要求，无高处作业禁忌证",
        "作业人员着装符合作业要求",
        "作业人员佩戴符合标准要求的安全帽、全身式安全带，安全带高挂低用",
        "作业人员携带有工具袋及安全绳",
        "现场搭设的脚手架、防护网、围栏符合安全规定，脚手架经验收挂牌",
        "垂直分层作业中间有隔离设施",
        "梯子、绳子符合安全规定",
        "在石棉瓦等轻型棚的承重梁、柱能承重负荷的要求",
        "作业人员在不承重物处作业所搭设的承重板稳定牢固",
        "采光、夜间作业照明符合作业要求",
        "{n}m以上高处作业配备通讯、联络工具",
        "作业现场四周已设警戒区，设专人监护",
        "露天作业，风力满足作业安全要求",
    ),
    "temporary_power": (
        "安装临时线路人员持有电工作业操作证",
        "在防爆场所使用的临时电源、元器件和线路达到相应的防爆等级要求",
        "临时用电的单相和混用线路采用五线制",
        "临时用电线路在装置内不低于2.5m，道路不低于5m",
        "临时用电线路架空进线未采用裸线，未在树或脚手架上架设",
        "暗管埋设及地下电缆线路设有“走向标志”和“安全标志”，电缆埋深大于0.7m",
        "现场临时用电配电盘、箱应有电压标识和危险标识，应有防雨措施，盘、箱、门应能牢靠关闭并能上锁",
        "临时用电设施装有漏电保护器，移动工具、手持工具应一机一闸一保护",
        "用电设备、线路容量、负荷符合要求，配电箱编号第{n}号",
        "临时用电设施已接地，接地电阻不大于4Ω",
    ),
    "lifting": (
        "吊装质量大于等于100t的重物和土建工程主体结构，已编制吊装作业方案并经审批",
        "指派专人监护，并监守岗位，非作业人员禁止入内",
        "作业人员已按规定佩戴个体防护装备",
        "已对起重吊装设备、钢丝绳、缆风绳、链条、吊钩等各种机具进行检查，安全可靠",
        "已明确各自分工、坚守岗位，并统一规定联络信号",
        "将建筑物、构筑物作为锚点，已经所属单位工程管理部门审查核算并批准",
        "吊装绳索、缆风绳、拖拉绳等避免同带电线路接触，并保持安全距离",
        "用定型起重吊装机械进行吊装作业时，遵守该定型机械的操作规程",
        "悬吊重物下方站人、通行和工作已禁止",
        "起吊前进行试吊，试吊中检查全部机具、地锚受力情况，吊离地面{n}cm无异常后方可起吊",
        "作业现场出现危险品泄漏，立即停止作业，撤离人员",
        "室外作业遇到大雪、暴雨、大雾及六级以上大风，停止作业",
    ),
    "blind_plate": (
        "在管道、设备上作业时，降低系统压力，作业点应为常压",
        "在有毒介质的管道、设备上作业时，作业人员穿戴适合的防护用具",
        "易燃易爆场所，作业人员穿防静电工作服、工作鞋；距盲板抽堵作业地点30m内无动火作业",
        "在强腐蚀性介质的管道、设备上作业时，作业人员已采取防止酸碱灼伤的措施",
        "介质温度较高或较低时，作业人员已采取防烫或防冻措施",
        "同一管道上未同时进行两处及两处以上的盲板抽堵作业",
        "盲板抽堵作业时使用防爆灯具和防爆工具，禁止用铁器敲打管线、法兰等",
        "盲板已按盲板位置图作业，并已挂牌编号第{n}号",
    ),
    "excavation": (
        "作业人员作业前已进行了安全教育",
        "作业地点处于易燃易爆场所，需要动火时已办理动火安全作业票",
        "地下电力电缆已确认保护措施已落实",
        "地下通讯电缆、局域网络电缆已确认保护措施已落实",
        "地下供排水、消防管线、工艺管线已确认保护措施已落实",
        "已按作业方案图划线和立桩",
        "作业现场围栏、警戒线、警告牌、夜间警示灯已按要求设置",
        "已进行放坡处理和固壁支撑，挖出的土石堆放距坑边不小于1m",
        "人员进出口和撤离保护措施已落实：梯子、修坡道",
        "动土深度{n}m，已对地下隐蔽设施进行探测",
    ),
    "road_closure": (
        "作业前，制定交通组织方案（设计相应图纸），已通知相关部门或单位",
        "作业前，在断路的路口和相关道路上设置交通警示标志，在作业区附近设置路栏、道路作业警示灯、导向标等交通警示设施",
        "夜间作业设置警示灯",
        "断路作业区域附近设有消防、救护车辆的绕行通道",
        "作业完成后，已清理现场，恢复交通",
    ),
    "blasting": (
        "爆破作业单位持有爆破作业单位许可证，爆破作业人员持证上岗",
        "爆破设计和安全评估已审批，警戒范围{n}m已设置警戒人员",
        "民用爆炸物品领取、清退已登记，做到账物相符",
        "起爆前已清场并发出预警、起爆、解除警戒信号",
        "爆破后检查确认无盲炮后方可解除警戒",
    ),
}
RISKS = {
    "hot_work": ("火灾", "爆炸", "灼烫", "触电", "高处坠落", "物体打击", "电焊烟尘", "弧光伤害", "中毒窒息"),
    "confined_space": ("中毒窒息", "缺氧", "硫化氢中毒", "一氧化碳中毒", "火灾爆炸", "触电", "淹溺", "坍塌", "物体打击"),
    "work_at_height": ("高处坠落", "物体打击", "脚手架坍塌", "触电", "机械伤害"),
    "temporary_power": ("触电", "电气火灾", "漏电", "短路", "电弧灼伤"),
    "lifting": ("起重伤害", "物体打击", "吊物坠落", "倾覆", "挤压", "触电"),
    "blind_plate": ("中毒", "介质泄漏", "灼烫", "火灾爆炸", "物体打击"),
    "excavation": ("坍塌", "触电", "管线破损", "中毒", "高处坠落", "车辆伤害"),
    "road_closure": ("车辆伤害", "物体打击", "消防通道受阻"),
    "blasting": ("爆破飞石", "早爆", "盲炮", "炮烟中毒", "坍塌"),
}
CONTENT = {
    "hot_work": ("{eq}支架焊接修复", "{eq}管道法兰切割更换", "{eq}钢结构平台补焊", "{eq}壳体开孔焊接", "{eq}护栏气割拆除", "{eq}接管焊接"),
    "confined_space": ("{eq}内部清理检查", "{eq}内壁防腐", "{eq}内部构件更换", "{eq}清淤作业", "{eq}内检修更换滤袋"),
    "work_at_height": ("{eq}顶部检修", "厂房屋面彩钢瓦更换", "{eq}保温层拆除", "{eq}照明灯具更换", "钢结构平台护栏安装"),
    "temporary_power": ("{eq}检修临时接电", "施工现场临时配电箱接电", "{eq}照明临时用电", "电焊机临时接电"),
    "lifting": ("{eq}吊装就位", "{eq}电机吊出更换", "钢构件吊装", "{eq}减速机吊运"),
    "blind_plate": ("{eq}进口法兰加盲板", "{eq}出口盲板拆除", "{eq}隔离加堵盲板"),
    "excavation": ("{eq}基础开挖", "雨污管网开挖更换", "电缆沟开挖", "设备基础拆除开挖"),
    "road_closure": ("厂区道路管网施工断路", "{eq}吊装占道断路", "厂区北路断路施工"),
    "blasting": ("{eq}旧基础爆破拆除", "原料场大块爆破"),
}
TRAINING = {
    "公司级": ("本单位安全生产情况及安全生产基本知识", "安全生产法律法规", "本单位安全生产规章制度和劳动纪律", "从业人员安全生产权利和义务",
              "有关事故案例", "事故应急救援、事故应急预案演练及防范措施", "厂区应急疏散路线和紧急集合点"),
    "车间级": ("工作环境及危险因素", "所从事工种可能遭受的职业伤害和伤亡事故", "所从事工种的安全职责、操作技能及强制性标准",
              "自救互救、急救方法、疏散和现场紧急情况的处理", "安全设备设施、个人防护用品的使用和维护", "本车间安全生产状况及规章制度",
              "预防事故和职业危害的措施及应注意的安全事项"),
    "班组级": ("岗位安全操作规程", "岗位之间工作衔接配合的安全与职业卫生事项", "有关事故案例", "作业票办理和现场安全措施确认",
              "班前安全讲话和危险预知活动", "劳动防护用品正确佩戴"),
}
ENT_DUTIES = (
    "审查乙方的营业执照、资质证书、安全生产许可证以及特种作业人员的有效证件，留存复印件",
    "乙方进场前以书面形式告知作业区域内的危险有害因素、防范措施和事故应急措施",
    "组织乙方进场人员进行厂级安全教育，监督乙方完成班组级教育，考试合格后方可进入作业现场",
    "开工前向乙方项目负责人和全体作业人员进行书面安全技术交底，双方签字确认",
    "将乙方纳入本单位安全生产管理体系，对乙方的安全生产工作统一协调、管理",
    "负责动火、高处、吊装、临时用电等危险作业的作业票审批，审批人到现场核查安全措施后签字",
    "定期对乙方作业现场进行安全检查，发现事故隐患责令乙方限期整改并复查",
    "按季度对乙方进行安全生产考核，考核不合格的依约处理",
    "不擅自压缩合同约定工期，不违章指挥或强令乙方人员冒险作业",
    "将乙方在作业区域内发生的生产安全事故纳入本单位事故统计",
)
CON_DUTIES = (
    "设立项目部，配备项目负责人和专职安全员常驻现场，建立安全生产责任制",
    "项目负责人、专职安全员持有效安全生产考核合格证书，特种作业人员持证上岗",
    "对全部进场作业人员进行三级安全教育，考试合格后方可上岗，如实建立培训档案",
    "为作业人员配备符合国家标准的劳动防护用品，并监督正确佩戴使用",
    "自带的机具设备进场前报验登记，定期检查维护保养并记录",
    "严格执行甲方危险作业票管理制度，作业前办理作业票并落实安全措施",
    "依法为全体作业人员缴纳工伤保险并向甲方提供参保证明",
    "建立隐患排查治理台账，坚持班前安全讲话和每日安全检查",
    "不转包、不违法分包，不出借资质或允许他人挂靠",
    "制定现场处置方案，配备应急器材，参加甲方组织的应急演练",
)
FINDINGS = (
    ("动火作业未按规定办理动火安全作业票", "《中华人民共和国安全生产法》第四十三条"),
    ("受限空间作业前未进行气体检测，未落实先通风、再检测、后作业的要求", "《工贸企业有限空间作业安全规定》第十五条"),
    ("未与承包单位签订专门的安全生产管理协议，也未在承包合同中约定各自的安全生产管理职责", "《中华人民共和国安全生产法》第四十九条第二款"),
    ("未对承包单位的安全生产工作统一协调、管理，未定期进行安全检查", "《中华人民共和国安全生产法》第四十九条第二款"),
    ("特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业", "《中华人民共和国安全生产法》第三十条"),
    ("未对外包作业人员进行三级安全教育和培训，未如实记录安全生产教育和培训情况", "《中华人民共和国安全生产法》第二十八条"),
    ("高处作业人员未正确佩戴安全带，作业平台临边无防护栏杆", "《中华人民共和国安全生产法》第四十五条"),
    ("临时用电配电箱未设置漏电保护器，电缆线拖地敷设", "《中华人民共和国安全生产法》第三十六条"),
    ("有限空间作业场所未设置明显的安全警示标志", "《中华人民共和国安全生产法》第三十五条"),
    ("未建立事故隐患排查治理制度，事故隐患未如实记录", "《中华人民共和国安全生产法》第四十一条"),
    ("吊装作业区域未设置警戒，吊物下方有人员通行", "《中华人民共和国安全生产法》第四十三条"),
)
HAZARDS = ("{eq}防护罩缺失", "{ws}消防通道堵塞", "{eq}接地线断开", "{ws}安全警示标志缺失", "{eq}护栏松动", "{ws}气瓶混放未固定",
           "{eq}平台踏板锈蚀", "{ws}配电箱门未关闭", "{eq}人孔未设警示标识", "{ws}应急照明失效", "{eq}检修未执行上锁挂牌")
INSPECTION_SCOPE = ("作业票办理及现场安全措施落实情况", "特种作业人员持证情况", "劳动防护用品佩戴情况", "临时用电及电气设备", "脚手架及高处作业防护",
                    "受限空间作业管理", "动火作业现场管理", "三级安全教育培训档案")


@dataclass
class Org:
    uscc: str
    name: str
    role: str
    industry: str | None = None
    abbr: str | None = None

    def ref(self) -> dict:
        return {"uscc": self.uscc, "name": self.name, "role": self.role}


@dataclass
class Worker:
    name: str
    id_number: str
    employer: str
    trade: str

    def ref(self, title: str | None = None) -> dict:
        d = {"name": self.name, "id_number": self.id_number, "title": title or self.trade}
        if self.trade in CERT_OF:
            d["certificate_no"] = "T" + self.id_number
        return d


@dataclass
class Project:
    code: str
    name: str
    enterprise: Org
    contractor: Org
    location: str
    start: date
    workers: list[Worker] = field(default_factory=list)


@dataclass
class Planted:
    kind: str  # "2-char" | "4-char" | "phrase" | "name"
    text: str
    target: int  # how many records to plant it in


PLANTED_2 = ("钯网", "铍尘", "氡气", "锆屑", "铊盐", "钽管", "铯源", "镓液", "铟锭", "锑粉", "钒渣", "钴料", "铋锭", "镉尘", "锶灯", "钌片")
PLANTED_4 = ("氯乙烯釜", "钛白煅烧", "锂渣堆场", "铍铜熔铸", "氟化氢罐", "硒鼓车间", "钨丝退火", "碲化镉线", "锶铁氧体", "铼合金炉", "钪钠灯塔", "铪棒车床")
PLANTED_PHRASES = ("三号氯乙烯储罐检修平台", "东区锂电池极片涂布车间", "老旧氨制冷机房拆除", "七号煤气柜活塞油沟", "北厂区铝灰渣暂存库",
                   "二期酸洗线废酸再生站", "西门危废仓库防渗层", "五号窑尾余热锅炉烟室")
PLANTED_NAMES = ("魏怡", "欧阳明轩", "司马南雁", "诸葛青云", "上官婉清", "慕容秋实", "公孙策", "夏侯渊明", "皇甫嵩", "令狐冲", "端木蓉", "尉迟恭",
                 "长孙无忌", "宇文拓", "闻人语", "东方未明")


class Corpus:
    """``n`` catalog rows for a district archive (deterministic for a seed)."""

    def __init__(self, n: int, seed: int = 7) -> None:
        self.n = n
        self.r = random.Random(seed)
        r = self.r
        self.enterprises = [self._org("enterprise") for _ in range(max(5, n // 400))]
        self.contractors = [self._org("contractor") for _ in range(max(15, n // 120))]
        self.bureau = Org(make_uscc("11370100" + "MB0000000"), "济南高新技术产业开发区应急管理局", "bureau", abbr="高新")
        self.workers: dict[str, list[Worker]] = {c.uscc: [self._worker(c) for _ in range(r.randint(12, 40))] for c in self.contractors}
        n_projects = max(10, int(n * 0.012))
        self.projects = [self._project(i) for i in range(n_projects)]
        self.planted = (
            [Planted("2-char", t, self._target()) for t in PLANTED_2]
            + [Planted("4-char", t, self._target()) for t in PLANTED_4]
            + [Planted("phrase", t, self._target()) for t in PLANTED_PHRASES]
            + [Planted("name", t, self._target()) for t in PLANTED_NAMES]
        )
        self._serial: dict[str, int] = {}

    # --- the world ------------------------------------------------------------------------------

    def _target(self) -> int:
        return max(2, int(self.r.uniform(0.0005, 0.006) * self.n))

    def _org(self, role: str) -> Org:
        r = self.r
        region = r.choice(REGIONS)
        brand = r.choice(BRANDS) + r.choice(("", "", r.choice(GIVEN)))
        first17 = "91" + r.choice(REGION_CODES) + "MA" + "".join(r.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7))
        if role == "enterprise":
            kind, industry = r.choice(ENT_KINDS)
            return Org(make_uscc(first17), f"{region}{brand}{kind}有限公司", role, industry)
        return Org(make_uscc(first17), f"{region}{brand}{r.choice(CON_KINDS)}有限公司", role)

    def name(self) -> str:
        r = self.r
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))

    def _worker(self, employer: Org) -> Worker:
        r = self.r
        born = date(1965, 1, 1) + timedelta(days=r.randint(0, 13000))
        first17 = r.choice(REGION_CODES) + born.strftime("%Y%m%d") + f"{r.randint(0, 999):03d}"
        return Worker(self.name(), first17 + id_check_char(first17), employer.uscc, r.choice(TRADES))

    def _project(self, i: int) -> Project:
        r = self.r
        ent, con = r.choice(self.enterprises), r.choice(self.contractors)
        ws, eq = r.choice(WORKSHOPS), r.choice(EQUIPMENT)
        name = r.choice((f"{ws}{eq}检修工程", f"{ws}技术改造工程", f"{eq}大修项目", f"{ws}防腐保温工程", f"{ws}设备安装工程", f"厂区{eq}拆除工程"))
        start = date(2023, 1, 1) + timedelta(days=r.randint(0, 1200))
        p = Project(f"XM-{start.year}-{i + 1:04d}", name, ent, con, f"{ent.name}{ws}", start)
        p.workers = r.sample(self.workers[con.uscc], min(len(self.workers[con.uscc]), r.randint(4, 12)))
        return p

    # --- rows ---------------------------------------------------------------------------------------

    def rows(self):
        """Every row, registry first (organizations, projects, persons), then the cases."""
        r = self.r
        out = []
        for org in [self.bureau] + self.enterprises + self.contractors:
            out.append(self._row("organization", None, org.uscc, f"单位 {org.name}", self._org_data(org), None,
                                 enterprise=org.uscc if org.role == "enterprise" else None,
                                 contractor=org.uscc if org.role == "contractor" else None, orgs=[org]))
        for p in self.projects:
            out.append(self._row("project", None, p.code, f"外包项目 {p.name}", self._project_data(p), p.start.isoformat(),
                                 enterprise=p.enterprise.uscc, contractor=p.contractor.uscc, project=p.code, orgs=[p.enterprise, p.contractor]))
        registered = [w for ws in self.workers.values() for w in ws]
        n_persons = min(len(registered), int(self.n * 0.07))
        for w in registered[:n_persons]:
            out.append(self._row("person", None, w.name, f"人员 {w.name}", self._person_data(w), None, contractor=w.employer,
                                 orgs=[o for o in self.contractors if o.uscc == w.employer], persons=[w]))
        plan = (("work_ticket", 0.50), ("training_record", 0.22), ("hazard", 0.04), ("safety_agreement", 0.035),
                ("outsourcing_contract", 0.035), ("contractor_inspection", 0.025), ("inspection_record", 0.02),
                ("rectification_order", 0.015), ("rectification_review", 0.01), ("quarterly_assessment", 0.015), ("equipment", 0.01))
        kinds = [k for k, _ in plan]
        weights = [w for _, w in plan]
        while len(out) < self.n:
            kind = r.choices(kinds, weights)[0]
            out.append(getattr(self, "_" + kind)(r.choice(self.projects)))
        self._plant(out)
        for row in out:
            row["data"] = json.dumps(row["data"], ensure_ascii=False)
            row["refs"] = json.dumps(row["refs"], ensure_ascii=False)
        return out

    def _row(self, type_, subtype, doc_no, title, data, when, *, enterprise=None, contractor=None, project=None, orgs=(), projects=(), persons=()):
        refs = {"organizations": {o.uscc: {"uscc": o.uscc, "name": o.name, "role": o.role} for o in orgs},
                "projects": {project_key(p.enterprise.uscc, p.code): {"code": p.code, "name": p.name} for p in projects},
                "persons": {person_key(SECRET, w.id_number): {"name": w.name, "id_number": w.id_number, "employer": w.employer} for w in persons}}
        return {"id": ids.new_id(), "type": type_, "subtype": subtype, "doc_no": doc_no, "title": title, "enterprise": enterprise,
                "contractor": contractor, "project": project, "doc_date": when, "data": data, "refs": refs, "source_name": f"{doc_no}.yaml",
                "origin": self.bureau.uscc, "supersedes": None, "note": None, "created_at": "2026-05-01T00:00:00Z"}

    def _serial_no(self, prefix: str, year: int) -> str:
        key = f"{prefix}-{year}"
        self._serial[key] = self._serial.get(key, 0) + 1
        return f"{prefix}-{year}-{self._serial[key]:04d}"

    def _day(self, p: Project) -> date:
        return p.start + timedelta(days=self.r.randint(0, 300))

    def _case(self, type_, p: Project, doc_no, title, data, when, subtype=None, persons=()):
        return self._row(type_, subtype, doc_no, title, data, when, enterprise=p.enterprise.uscc, contractor=p.contractor.uscc,
                         project=p.code, orgs=[p.enterprise, p.contractor], projects=[p], persons=persons)

    # --- registry data --------------------------------------------------------------------------

    def _org_data(self, org: Org) -> dict:
        r = self.r
        d = {"uscc": org.uscc, "name": org.name, "role": org.role, "industry": org.industry, "address": f"{org.name[:2]}市{r.choice(('高新区', '经济开发区', '工业园区'))}{r.randint(1, 999)}号",
             "legal_representative": self.name(), "principal_person": self.name(), "phone": f"0531-{r.randint(80000000, 89999999)}",
             "headcount": r.randint(20, 3000)}
        if org.role == "contractor":
            d["qualifications"] = [
                {"kind": "安全生产许可证", "number": f"（鲁）JZ安许证字〔{r.randint(2019, 2025)}〕{r.randint(10000, 99999):06d}", "issuer": "山东省住房和城乡建设厅",
                 "scope": "建筑施工", "valid_from": "2022-03-01", "valid_to": f"{r.randint(2025, 2028)}-02-28"},
                {"kind": "建筑业企业资质证书", "number": f"D{r.randint(237000000, 237999999)}", "issuer": "济南市住房和城乡建设局",
                 "scope": r.choice(("机电工程施工总承包三级", "钢结构工程专业承包二级", "防水防腐保温工程专业承包二级")), "valid_from": "2021-06-01",
                 "valid_to": f"{r.randint(2025, 2028)}-12-31"},
            ]
        if org.role == "bureau":
            d["region_abbr"] = org.abbr
        return d

    def _project_data(self, p: Project) -> dict:
        r = self.r
        return {"code": p.code, "name": p.name, "enterprise": p.enterprise.uscc, "contractor": p.contractor.uscc, "category": r.choice(("外包", "外包", "外协", "技术合作")),
                "work_content": r.sample(["检修", "施工", "安装", "拆除", "技术改造", "清洗"], 2), "location": p.location,
                "period": {"start": p.start.isoformat(), "end": (p.start + timedelta(days=r.randint(30, 300))).isoformat()},
                "manager": p.workers[0].ref("项目经理"), "safety_officer": p.workers[1].ref("专职安全员"), "workers": [w.ref() for w in p.workers[2:]],
                "dangerous_work": r.sample([t for t, _, _ in TICKET_TYPES], r.randint(1, 4)), "status": "施工中",
                "description": f"对{p.location}进行{p.name[-6:]}，项目实行项目部管理，施工期间存在交叉作业。"}

    def _person_data(self, w: Worker) -> dict:
        r = self.r
        d = {"name": w.name, "id_number": w.id_number, "employer": w.employer, "roles": ["特种作业人员" if w.trade in CERT_OF else "作业人员"],
             "trade": w.trade, "education": r.choice(("初中", "高中", "中专", "大专", "本科")), "labour_type": r.choice(("正式员工", "劳务分包", "临时用工")),
             "phone": f"13{r.randint(100000000, 999999999)}"}
        if w.trade in CERT_OF:
            kind, cat = CERT_OF[w.trade]
            issued = date(2019, 1, 1) + timedelta(days=r.randint(0, 2000))
            d["certificates"] = [{"kind": kind, "category": cat, "number": "T" + w.id_number, "issuer": "山东省应急管理厅",
                                  "issued": issued.isoformat(), "expires": (issued + timedelta(days=6 * 365)).isoformat()}]
        return d

    # --- case data ----------------------------------------------------------------------------------

    def _work_ticket(self, p: Project) -> dict:
        r = self.r
        tt, _, prefix = r.choices(TICKET_TYPES, [w for _, w, _ in TICKET_TYPES])[0]
        day = self._day(p)
        no = self._serial_no(prefix, day.year)
        ws, eq = r.choice(WORKSHOPS), f"{r.randint(1, 9)}号{r.choice(EQUIPMENT)}"
        people = r.sample(p.workers, min(len(p.workers), r.randint(3, 6)))
        leader, guardian, workers = people[0], people[1], people[2:]
        ent_names = [self.name() for _ in range(4)]
        measures = []
        for text in r.sample(MEASURES[tt], min(len(MEASURES[tt]), r.randint(5, len(MEASURES[tt])))):
            text = text.format(n=r.randint(1, 8), m=r.randint(1, 4), k=r.randint(1, 3))
            if r.random() < 0.2:
                measures.append({"text": text, "involved": False})
            else:
                measures.append({"text": text, "involved": True, "confirmed_by": r.choice([guardian.name] + ent_names)})
        start = datetime(day.year, day.month, day.day, r.choice((8, 9, 13, 14)), r.choice((0, 30)))
        data = {
            "ticket_no": no, "ticket_type": tt, "project": p.code, "enterprise": p.enterprise.uscc, "contractor": p.contractor.uscc,
            "applicant_unit": f"{p.enterprise.name}{ws}", "applied_at": (start - timedelta(hours=18)).strftime("%Y-%m-%d %H:%M"),
            "location": f"{ws}{eq}{r.choice(PLACES)}", "content": r.choice(CONTENT[tt]).format(eq=eq),
            "valid_from": start.strftime("%Y-%m-%d %H:%M"), "valid_to": (start + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M"),
            "leader": leader.ref("作业负责人"), "guardian": guardian.ref("监护人"), "workers": [w.ref() for w in workers],
            "risk_identification": "、".join(r.sample(RISKS[tt], min(len(RISKS[tt]), r.randint(3, 5)))) + f"；{eq}周边{r.choice(('交叉作业', '生产运行', '人员通行'))}。",
            "measures": measures,
            "briefing": {"by": ent_names[0], "receivers": [x.name for x in people]},
            "approvals": [{"box": box, "name": nm, "signed_at": (start - timedelta(minutes=20 - i)).strftime("%Y-%m-%d %H:%M"), "opinion": op}
                          for i, (box, nm, op) in enumerate((("作业负责人", leader.name, "安全措施已落实，已向作业人员交底。"),
                                                             ("所在单位", ent_names[1], "同意作业。"),
                                                             ("安全管理部门", ent_names[2], r.choice(("经现场核查，同意作业。", "气体分析合格，同意。", "措施落实，同意。")))))],
            "completion": {"by": ent_names[3], "at": (start + timedelta(hours=8, minutes=30)).strftime("%Y-%m-%d %H:%M"), "opinion": "作业结束，现场已清理，无遗留隐患。"},
        }
        if tt in ("hot_work", "confined_space"):
            data["gas_samples"] = [{"taken_at": (start - timedelta(minutes=25)).strftime("%Y-%m-%d %H:%M"), "kind": "可燃气体",
                                    "gas": r.choice(("甲烷", "一氧化碳", "氢气")), "result": round(r.uniform(0, 0.2), 2), "unit": "%", "analyst": ent_names[2]},
                                   {"taken_at": (start - timedelta(minutes=25)).strftime("%Y-%m-%d %H:%M"), "kind": "氧气", "gas": "氧气",
                                    "result": round(r.uniform(19.5, 21), 1), "unit": "%", "analyst": ent_names[2]}]
        if tt == "hot_work":
            data.update(grade=r.choice(("二级", "二级", "一级", "特级")), method=r.choice(("电焊", "气割", "手工电弧焊、氧-乙炔气割", "砂轮切割", "打磨")),
                        hot_spot=f"{eq}{r.choice(PLACES)}", hot_workers=[w.ref("焊接与热切割作业") for w in workers[:2]])
        elif tt == "confined_space":
            data.update(space_name=eq, original_medium=r.choice(("煤气", "污水", "粉尘", "硫化氢", "氮气", "原料浆液")), ventilation="先通风、再检测、后作业，轴流风机强制通风")
        elif tt == "work_at_height":
            h = round(r.uniform(2, 40), 1)
            data.update(height_m=h, grade=("Ⅰ级" if h <= 5 else "Ⅱ级" if h <= 15 else "Ⅲ级" if h <= 30 else "Ⅳ级"))
        elif tt == "lifting":
            data.update(load_t=round(r.uniform(1, 120), 1), grade=r.choice(("一级", "二级", "三级")), rigging=r.choice(("钢丝绳吊索", "吊装带", "卸扣")),
                        load_description=f"{eq}部件", commander=workers[0].ref("指挥") if workers else leader.ref(), riggers=[w.ref("司索") for w in workers[:2]] or [leader.ref()])
        elif tt == "temporary_power":
            data.update(access_point=f"{ws}{r.randint(1, 9)}号配电箱", permitted_kw=r.randint(5, 80), voltage_v=r.choice((220, 380)), equipment="电焊机、照明灯具")
        elif tt == "blind_plate":
            data.update(action=r.choice(("堵", "抽")), equipment=eq, medium=r.choice(("煤气", "天然气", "蒸汽", "氮气")), temperature_c=r.randint(20, 200),
                        pressure_mpa=round(r.uniform(0, 1.6), 2), plate_material="Q235", plate_spec=f"DN{r.choice((100, 150, 200, 300))}", plate_no=f"MB-{r.randint(1, 99):02d}",
                        diagram_by=ent_names[1])
        elif tt == "excavation":
            data.update(method=r.choice(("人工", "机械")), depth_m=round(r.uniform(0.6, 4), 1), area_m2=r.randint(4, 200), sketch_note=f"{ws}东侧{r.randint(5, 50)}m范围")
        elif tt == "road_closure":
            data.update(reason="管网施工", section=f"厂区{r.choice(('北路', '东路', '中心路'))}", diagram_note="断路地段及绕行路线见附图")
        elif tt == "blasting":
            data.update(unit_licence_no=f"37000013{r.randint(10000, 99999)}", unit_licence_valid_to="2027-06-30", blasters=[w.ref("爆破员") for w in workers[:2]] or [leader.ref()],
                        design_ref=f"BPSJ-{day.year}-{r.randint(1, 30):02d}", explosive_kg=r.randint(5, 200), detonators=r.randint(10, 300), warning_radius_m=r.choice((100, 200, 300)))
        names = {"hot_work": "动火", "confined_space": "受限空间", "work_at_height": "高处", "lifting": "吊装", "blasting": "爆破",
                 "excavation": "动土", "temporary_power": "临时用电", "blind_plate": "盲板抽堵", "road_closure": "断路"}
        title = ("爆破作业许可单" if tt == "blasting" else f"{names[tt]}安全作业票") + f" {no}"
        return self._case("work_ticket", p, no, title, data, start.strftime("%Y-%m-%d %H:%M"), subtype=tt, persons=people)

    def _training_record(self, p: Project) -> dict:
        r = self.r
        w = r.choice(p.workers)
        day = self._day(p)
        no = self._serial_no("SJJY", day.year)
        levels = []
        for i, lv in enumerate(("公司级", "车间级", "班组级")):
            levels.append({"level": lv, "start": (day + timedelta(days=i)).isoformat(), "hours": (12, 8, 4)[i] + r.choice((0, 0, 4)),
                           "content": r.sample(TRAINING[lv], r.randint(3, len(TRAINING[lv]))), "trainer": self.name(),
                           "score": r.randint(80, 100), "passed": True})
        data = {"record_no": no, "contractor": p.contractor.uscc, "enterprise": p.enterprise.uscc, "project": p.code,
                "trainee": {"name": w.name, "id_number": w.id_number, "trade": w.trade, "entry_date": day.isoformat(), "education": r.choice(("初中", "高中", "中专", "大专")),
                            "department": r.choice(WORKSHOPS), "labour_type": r.choice(("正式员工", "劳务分包", "临时用工"))},
                "levels": levels,
                "conclusion": {"passed": True, "may_take_post": True, "confirmed_by": self.name(), "confirmed_on": (day + timedelta(days=3)).isoformat()}}
        if r.random() < 0.3:
            data["site_briefing"] = f"{p.location}作业区域危险因素、安全措施和应急处置要求已书面交底"
        return self._case("training_record", p, no, f"三级安全教育登记卡 {no}", data, (day + timedelta(days=3)).isoformat(), persons=[w])

    def _safety_agreement(self, p: Project) -> dict:
        r = self.r
        no = self._serial_no("AQXY", p.start.year)
        data = {"agreement_no": no, "project": p.code, "enterprise": p.enterprise.uscc, "contractor": p.contractor.uscc,
                "term": {"start": p.start.isoformat(), "end": (p.start + timedelta(days=200)).isoformat()},
                "basis": ["《中华人民共和国安全生产法》", "《中华人民共和国民法典》", "《生产安全事故报告和调查处理条例》", "《工贸企业重大事故隐患判定标准》"],
                "project_overview": f"工程名称：{p.name}（项目编号 {p.code}）。作业地点：{p.location}。涉及{'、'.join(r.sample(('动火', '高处', '吊装', '临时用电', '受限空间', '盲板抽堵'), 3))}等危险作业。",
                "enterprise_duties": r.sample(ENT_DUTIES, r.randint(5, len(ENT_DUTIES))), "contractor_duties": r.sample(CON_DUTIES, r.randint(5, len(CON_DUTIES))),
                "safety_cost": f"{r.randint(5, 90) * 1000}.00", "safety_deposit": f"{r.randint(1, 5) * 10000}.00",
                "penalties": ["作业人员无证上岗、无票作业的，每人次扣减安全保证金2000元", "隐患逾期未整改的，每项每日扣减安全保证金500元"],
                "accident_handling": "作业区域发生生产安全事故时，乙方立即组织抢救并报告甲方，甲方启动应急预案并按规定报告，事故纳入甲方事故统计。",
                "copies": 4, "signed_on": (p.start - timedelta(days=r.randint(3, 20))).isoformat(),
                "enterprise_signatory": {"name": self.name(), "title": "法定代表人"}, "contractor_signatory": {"name": self.name(), "title": "法定代表人"}}
        return self._case("safety_agreement", p, no, f"安全生产管理协议 {no}", data, data["signed_on"])

    def _outsourcing_contract(self, p: Project) -> dict:
        r = self.r
        no = self._serial_no("HT", p.start.year)
        data = {"contract_no": no, "title": f"{p.name}承包合同", "project": p.code, "enterprise": p.enterprise.uscc, "contractor": p.contractor.uscc,
                "scope": f"{p.location}{p.name}的全部施工内容，包括设备拆除、安装、调试及现场清理", "work_content": ["检修", "安装"], "location": p.location,
                "period": {"start": p.start.isoformat(), "end": (p.start + timedelta(days=200)).isoformat()}, "price": f"{r.randint(20, 900) * 1000}.00",
                "safety_cost": f"{r.randint(5, 60) * 1000}.00", "payment_terms": "按工程进度支付，竣工验收合格后支付至合同价款的97%，余款为质保金。",
                "quality_terms": "符合国家现行施工验收规范，一次验收合格。", "dispute_resolution": "协商不成的，向甲方所在地人民法院起诉。",
                "safety_duty_clause": "双方另行签订安全生产管理协议，明确各自的安全生产管理职责。",
                "signed_on": (p.start - timedelta(days=r.randint(3, 20))).isoformat(),
                "enterprise_signatory": {"name": self.name(), "title": "总经理"}, "contractor_signatory": {"name": self.name(), "title": "法定代表人"}}
        return self._case("outsourcing_contract", p, no, f"外包合同 {no}", data, data["signed_on"])

    def _hazard(self, p: Project) -> dict:
        r = self.r
        day = self._day(p)
        no = self._serial_no("YH", day.year)
        grade = "重大" if r.random() < 0.05 else "一般"
        data = {"hazard_no": no, "enterprise": p.enterprise.uscc, "contractor": p.contractor.uscc, "project": p.code,
                "description": r.choice(HAZARDS).format(eq=f"{r.randint(1, 9)}号{r.choice(EQUIPMENT)}", ws=r.choice(WORKSHOPS)), "grade": grade,
                "found_on": day.isoformat(), "found_by": self.name(), "deadline": (day + timedelta(days=7)).isoformat(), "owner": self.name(),
                "measures": "立即停止相关作业，落实整改并复查。", "status": r.choice(("已整改", "已整改", "整改中", "未整改"))}
        return self._case("hazard", p, no, f"事故隐患 {no}", data, day.isoformat())

    def _contractor_inspection(self, p: Project) -> dict:
        r = self.r
        day = self._day(p)
        no = self._serial_no("JC", day.year)
        problems = [f for f, _ in r.sample(FINDINGS, r.randint(0, 3))]
        data = {"inspection_no": no, "enterprise": p.enterprise.uscc, "contractor": p.contractor.uscc, "project": p.code, "inspected_on": day.isoformat(),
                "inspectors": [self.name(), self.name()], "scope": "、".join(r.sample(INSPECTION_SCOPE, 3)), "problems": problems,
                "result": "合格" if not problems else r.choice(("限期整改", "停工整改"))}
        return self._case("contractor_inspection", p, no, f"承包单位安全检查记录 {no}", data, day.isoformat())

    def _enf_no(self, code: str, year: int) -> str:
        key = f"{code}{year}"
        self._serial[key] = self._serial.get(key, 0) + 1
        return make_doc_no("高新", code, year, self._serial[key])

    def _inspection_record(self, p: Project) -> dict:
        r = self.r
        day = self._day(p)
        no = self._enf_no("检记", day.year)
        findings = [{"text": f, "basis": b} for f, b in r.sample(FINDINGS, r.randint(1, 3))]
        data = {"doc_no": no, "bureau": self.bureau.uscc, "unit": p.enterprise.uscc, "contractor": p.contractor.uscc, "project": p.code,
                "unit_address": f"{p.enterprise.name[:2]}市高新区", "unit_head": {"name": self.name(), "title": "安全总监"}, "place": p.location,
                "time_from": f"{day.isoformat()} 09:00", "time_to": f"{day.isoformat()} 11:30",
                "inspectors": [{"name": self.name(), "cert_no": f"3701{r.randint(10000, 99999)}"}, {"name": self.name(), "cert_no": f"3701{r.randint(10000, 99999)}"}],
                "situation": "检查组对该单位外包作业安全管理情况进行了现场检查，查阅了外包合同、安全生产管理协议、三级安全教育记录及作业票等资料，现场检查了作业区域。",
                "findings": findings}
        row = self._case("inspection_record", p, no, f"现场检查记录 {no}", data, f"{day.isoformat()} 09:00")
        return row

    def _rectification_order(self, p: Project) -> dict:
        r = self.r
        day = self._day(p)
        no = self._enf_no("责改", day.year)
        items = [{"text": f, "basis": b, "deadline": (day + timedelta(days=r.choice((7, 15, 30)))).isoformat()} for f, b in r.sample(FINDINGS, r.randint(1, 4))]
        data = {"doc_no": no, "bureau": self.bureau.uscc, "unit": p.enterprise.uscc, "contractor": p.contractor.uscc, "project": p.code,
                "inspected_on": day.isoformat(), "items": items, "legal_basis": "《中华人民共和国安全生产法》第六十五条第一款第（三）项",
                "inspectors": [{"name": self.name(), "cert_no": f"3701{r.randint(10000, 99999)}"}, {"name": self.name(), "cert_no": f"3701{r.randint(10000, 99999)}"}],
                "issued_on": day.isoformat(), "authority_name": self.bureau.name}
        return self._case("rectification_order", p, no, f"责令限期整改指令书 {no}", data, day.isoformat())

    def _rectification_review(self, p: Project) -> dict:
        r = self.r
        day = self._day(p)
        no = self._enf_no("复查", day.year)
        data = {"doc_no": no, "bureau": self.bureau.uscc, "unit": p.enterprise.uscc, "contractor": p.contractor.uscc, "project": p.code,
                "order_doc_no": make_doc_no("高新", "责改", day.year, r.randint(1, 200)), "order_issued_on": (day - timedelta(days=15)).isoformat(),
                "reviewed_on": day.isoformat(), "items": [{"item": i + 1, "result": r.choice(("已整改", "已整改", "部分整改"))} for i in range(r.randint(1, 3))],
                "opinion": r.choice(("经复查，指令书所列问题已整改完毕。", "经复查，部分问题尚未整改到位，责令继续整改。")),
                "inspectors": [{"name": self.name(), "cert_no": f"3701{r.randint(10000, 99999)}"}, {"name": self.name(), "cert_no": f"3701{r.randint(10000, 99999)}"}],
                "authority_name": self.bureau.name}
        return self._case("rectification_review", p, no, f"整改复查意见书 {no}", data, day.isoformat())

    def _quarterly_assessment(self, p: Project) -> dict:
        r = self.r
        day = self._day(p)
        no = self._serial_no("KH", day.year)
        result = "合格" if r.random() < 0.9 else "不合格"
        data = {"assessment_no": no, "enterprise": p.enterprise.uscc, "contractor": p.contractor.uscc, "project": p.code, "year": day.year,
                "quarter": (day.month - 1) // 3 + 1, "score": r.randint(60, 98), "result": result, "assessor": self.name(), "assessed_on": day.isoformat(),
                "notes": "现场管理规范，作业票办理及时。" if result == "合格" else "多次发现无票作业，特种作业人员持证率不足。"}
        return self._case("quarterly_assessment", p, no, f"承包单位季度安全生产考核 {no}", data, day.isoformat())

    def _equipment(self, p: Project) -> dict:
        r = self.r
        day = self._day(p)
        no = self._serial_no("SB", day.year)
        name = r.choice(("电焊机", "汽车起重机", "手拉葫芦", "移动式配电箱", "空压机", "叉车", "曲臂式高空作业车"))
        data = {"equipment_no": no, "owner": p.contractor.uscc, "enterprise": p.enterprise.uscc, "project": p.code, "name": name,
                "model": f"{r.choice('ZQXKH')}{r.randint(10, 500)}", "special_equipment": name in ("汽车起重机", "叉车"), "registered_on": day.isoformat(),
                "next_inspection": (day + timedelta(days=365)).isoformat(), "status": "在用"}
        row = self._case("equipment", p, no, f"设备设施 {no}", data, day.isoformat())
        return row

    # --- planted truth ------------------------------------------------------------------------------

    def _plant(self, rows: list[dict]) -> None:
        r = self.r
        cases = [row for row in rows if row["type"] not in ("organization", "project")]
        for item in self.planted:
            for row in r.sample(cases, min(item.target, len(cases))):
                data = row["data"]
                if item.kind == "name":
                    _plant_name(data, item.text, r)
                else:
                    _plant_text(data, item.text, r)


def _plant_text(data: dict, text: str, r: random.Random) -> None:
    for key in ("content", "description", "situation", "project_overview", "scope", "site_briefing", "location", "notes", "name"):
        if isinstance(data.get(key), str):
            data[key] = data[key] + r.choice(("，涉及", "，位于", "；靠近", "，含")) + text + r.choice(("区域", "周边", "附近", "一带"))
            return
    data["notes"] = f"涉及{text}区域"


def _plant_name(data: dict, name: str, r: random.Random) -> None:
    for key in ("workers", "hot_workers", "riggers"):
        if data.get(key):
            data[key][r.randrange(len(data[key]))]["name"] = name
            return
    for key in ("trainee", "guardian", "leader", "unit_head"):
        if isinstance(data.get(key), dict):
            data[key]["name"] = name
            return
    for key in ("found_by", "owner", "assessor"):
        if isinstance(data.get(key), str):
            data[key] = name
            return
    if data.get("inspectors") and isinstance(data["inspectors"][0], dict):
        data["inspectors"][0]["name"] = name
        return
    if isinstance(data.get("name"), str) and "id_number" in data:
        data["name"] = name
        return
    data["notes"] = f"联系人{name}"
