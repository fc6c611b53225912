"""The rule table (每条规则：整治方案原文、法律依据、罚则、严重程度) and :func:`run_checks`, which
evaluates the rules over a :class:`~archive.checks.snapshot.Snapshot` on one day — the
straightforward evaluation of a scope in one piece (the views that scale evaluate a large scope
part by part with the same rules: :mod:`archive.checks.stream`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from archive.checks.contractor import c1, c2, c3, c4, c5
from archive.checks.employer import e1, e2, e3, e4, e5
from archive.checks.major_hazard import cs1, cs2, m31, m32, m33
from archive.checks.model import L10, SPL, SPL_FULL, CheckReport, CheckRule, Evaluation, RuleResult, make_scope
from archive.checks.snapshot import Snapshot


def run_checks(
    snap: Snapshot, as_of: date, *, enterprise: str | None = None, contractor: str | None = None,
    rules: Sequence[CheckRule] | None = None,
) -> CheckReport:
    """Evaluate every rule (or ``rules``) on ``snap`` as on ``as_of``."""
    view = snap.upto(as_of)
    scope = make_scope(view, enterprise, contractor)
    return CheckReport(as_of, enterprise, contractor, [rule_result(rule, rule.evaluate(view, as_of, scope)) for rule in rules or RULES])


def rule_result(rule: CheckRule, ev: Evaluation) -> RuleResult:
    """A rule's result from its evaluation: fail on a major or error finding, warn on warnings
    only, pass with none, not applicable when it had nothing to judge and found nothing."""
    for f in ev.findings:
        f.rule = rule.id
    return RuleResult(rule, rule_status(ev.applicable, [f.severity for f in ev.findings]), ev.findings, ev.examined)


def rule_status(applicable: bool, severities: Sequence[str]) -> str:
    """A rule's status from whether it had anything to judge and its findings' severities."""
    if not applicable and not severities:
        return "not_applicable"
    if any(s in ("major", "error") for s in severities):
        return "fail"
    return "warn" if severities else "pass"



# =============================================================================================
# The rule table
# =============================================================================================

SEED_E = "整治方案 一（二）1 发包单位重点整治内容"
SEED_C = "整治方案 一（二）2 承包单位重点整治内容"
GROUP_E, GROUP_C = "发包单位五查", "承包单位五查"
GROUP_M, GROUP_CS = "重大事故隐患（令第10号第3条）", "重大事故隐患（令第10号有限空间专项）"

RULES: tuple[CheckRule, ...] = (
    CheckRule(
        "E1", "安全生产管理协议与各自安全职责", GROUP_E,
        "一查未与承包单位签订安全生产管理协议，未明确各自安全生产管理职责的",
        f"{SPL}第四十九条第二款", "SPL 103-2", "error",
        "与承包单位签订专门的安全生产管理协议（或在外包合同中约定各自的安全生产管理职责），协议期限覆盖全部作业日期", e1,
        "协议是否已盖章以档案记录的签订日期和签字人为准。",
        violated=f"{SPL_FULL}第四十九条第二款"),
    CheckRule(
        "E2", "擅自压缩合同工期、违章指挥或强令冒险作业", GROUP_E,
        "二查擅自压缩外包工程合同约定工期，违章指挥或者强令承包单位及其从业人员冒险作业的",
        f"{SPL}第五十四条；《建设工程安全生产管理条例》第七条 [M]", "—（违章指挥、强令冒险作业构成犯罪的依刑法追究）", "error",
        "恢复合同约定工期或与承包单位签订双方签字的工期变更协议；作业安排不得超出约定工期和作业票有效期", e2,
        "只能发现书面痕迹：未经双方签字的压缩工期变更、实际完工明显早于约定（容差见 settings.schedule_compression_tolerance_pct）、工期外的作业票。",
        violated=f"{SPL_FULL}第五十四条；《建设工程安全生产管理条例》第七条"),
    CheckRule(
        "E3", "以包代管、包而不管", GROUP_E,
        "三查以包代管、包而不管，将安全责任推卸给外包施工单位的",
        f"{SPL}第四十九条第二款（统一协调、管理，定期进行安全检查）", "SPL 103-2", "error",
        "将承包单位纳入本单位安全管理体系，按规定周期对承包单位进行安全检查并督促整改", e3,
        "检查周期见 settings.inspection_max_gap_days。",
        violated=f"{SPL_FULL}第四十九条第二款"),
    CheckRule(
        "E4", "外包工程事故纳入发包单位统计", GROUP_E,
        "四查外包工程发生事故，事故数据未纳入发包单位统计范围的",
        "整治方案 发包单位五查之四", "—", "error",
        "将外包工程事故纳入本单位事故统计并如实上报", e4,
        "外包工程事故纳入发包单位统计的法规依据（事故统计调查制度的统计口径）待核实 [M]，此处只依整治方案判定。",
        violated=""),
    CheckRule(
        "E5", "触发退出机制的承包单位解除合同并纳入黑名单", GROUP_E,
        "五查对季度安全生产考核不合格、重大隐患不整改、发生亡人事故的承包单位，未与其解除工程合同关系，未纳入“黑名单”管理的",
        f"整治方案 发包单位五查之五；{SPL}第四十九条第二款", "—", "error",
        "与该承包单位解除合同关系，并列入企业承包商黑名单（outsafe blacklist add）", e5,
        "此处“黑名单”是发包单位自己的承包商黑名单（整治方案 发包单位五查之五），不是区应急管理局依应急管理部令第11号决定的安全生产严重失信主体名单。"
        "另提示：已结束的季度未见季度安全生产考核记录（作业天数见 settings.quarterly_assessment_min_days）。",
        violated=f"{SPL_FULL}第四十九条第二款"),
    CheckRule(
        "C1", "安全生产许可证和相应资质", GROUP_C,
        "一查未依法取得安全生产许可证或相应资质承包工程的",
        f"{SPL}第四十九条第一款；《安全生产许可证条例》第二条、第十九条", "SPL 103-1", "error",
        "停止使用不具备相应资质的承包单位，或取得/延续相应资质后方可继续作业", c1,
        "资质范围与工程内容是否相符须人工核对。",
        violated=f"{SPL_FULL}第四十九条第一款；《安全生产许可证条例》第二条"),
    CheckRule(
        "C2", "项目部与“三项岗位”人员持证", GROUP_C,
        "二查承包单位未设置项目部，“三项岗位”人员未持证上岗的",
        f"{SPL}第二十四条、第二十七条第二款、第三十条", "SPL 97", "error",
        "设立项目部，配备项目负责人和专职安全生产管理人员；主要负责人、安全管理人员经考核合格，特种作业人员持有效证件上岗", c2,
        violated=f"{SPL_FULL}第二十四条、第二十七条第二款、第三十条"),
    CheckRule(
        "C3", "危险性较大的设备设施检测检验、维护保养", GROUP_C,
        "三查危险性较大的设备设施未检测检验、维护保养的",
        f"{SPL}第三十六条；《特种设备安全法》第四十条", "SPL 99", "error",
        "停止使用超期未检验的特种设备，申请定期检验；建立并落实维护保养制度，记录并签字", c3,
        "维护保养间隔见 settings.maintenance_max_gap_days。",
        violated=f"{SPL_FULL}第三十六条；《中华人民共和国特种设备安全法》第四十条"),
    CheckRule(
        "C4", "隐患排查治理、经常性检查与教育培训", GROUP_C,
        "四查未建立隐患排查治理制度、台账，未开展经常性安全检查督查，未报备重大隐患和未对本单位人员进行经常性安全教育培训的",
        f"{SPL}第二十八条、第四十一条第二款、第四十六条、第五十一条", "SPL 97 / SPL 101 / SPL 102", "error",
        "建立隐患排查治理台账并按期整改，重大事故隐患及时报告；对全部作业人员进行三级安全教育和年度再培训，劳务分包、临时用工人员同等参加工伤保险", c4,
        violated=f"{SPL_FULL}第二十八条、第四十一条第二款、第四十六条、第五十一条"),
    CheckRule(
        "C5", "危险作业“作业票”管理", GROUP_C,
        "五查进行爆破、吊装、动火、钻探、高空、进入受限空间等危险作业时，未落实“作业票”管理制度的",
        f"{SPL}第四十三条；GB 30871—2022（参照执行）；《特种设备安全法》第十四条；《民用爆炸物品安全管理条例》第三十三条、第三十五条", "SPL 101", "error",
        "危险作业前逐项办理作业票，落实安全措施和专人监护，作业结束完工验收；吊装、爆破作业人员持有效证件上岗", c5,
        "作业票本身的格式、时限、气体分析在入档时已按 GB 30871 校验；此处核对项目的危险作业是否都有票、有验收，以及吊装指挥、起重机司机的"
        "特种设备作业人员证和爆破作业人员许可证（动火、电工等特种作业人员的操作证见 3-2）。",
        violated=f"{SPL_FULL}第四十三条"),
    CheckRule(
        "3-1", "未对承包单位统一协调管理或定期检查", GROUP_M,
        "要加强对外包单位安全监管……坚决禁止“以包代管”（整治方案 一（二）1）",
        f"{L10}第三条第（一）项；{SPL}第四十九条第二款", "SPL 103-2", "major",
        "立即与承包单位明确安全管理职责，建立定期安全检查制度并开展检查", m31,
        violated=f"{SPL_FULL}第四十九条第二款", criterion=f"{L10}第三条第（一）项", words="未对承包单位、承租单位的安全生产工作统一协调、管理，或者未定期进行安全检查"),
    CheckRule(
        "3-2", "特种作业人员未持证上岗作业", GROUP_M,
        "“三项岗位”人员未持证上岗的（整治方案 承包单位五查之二）",
        f"{L10}第三条第（二）项；{SPL}第三十条", "SPL 97", "major",
        "立即停止无证人员作业，由持有有效证件的人员作业", m32,
        "按作业票核对：动火人（焊接与热切割）、临时用电负责人和作业人（电工）、吊装指挥（Q1）和司机（Q2）、爆破作业人员；证书须覆盖整个作业期间，未按期复审的视为失效。",
        violated=f"{SPL_FULL}第三十条", criterion=f"{L10}第三条第（二）项", words="特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业"),
    CheckRule(
        "3-3", "金属冶炼企业主要负责人、安全管理人员未考核合格", GROUP_M,
        "“三项岗位”人员未持证上岗的（整治方案 承包单位五查之二）",
        f"{L10}第三条第（三）项；{SPL}第二十七条第二款", "SPL 97", "major",
        "主要负责人和安全生产管理人员参加考核并取得考核合格证", m33,
        "金属冶炼行业见 settings.metal_smelting_industries。",
        violated=f"{SPL_FULL}第二十七条第二款", criterion=f"{L10}第三条第（三）项", words="金属冶炼企业主要负责人、安全生产管理人员未按照规定经考核合格"),
    CheckRule(
        "CS-1", "有限空间未辨识、无台账且无警示标志", GROUP_CS,
        "进入受限空间等危险作业（整治方案 承包单位五查之五）",
        f"{L10}有限空间专项第（一）项 [M]；《工贸企业有限空间作业安全规定》（应急管理部令第13号）", "SPL 99", "major",
        "辨识有限空间并建立管理台账，在出入口设置明显的安全警示标志", cs1,
        "依据执法检查、指令书、隐患记录中的有关问题及其整改情况判定（同时记载未建台账和未设警示标志且未整改的，为重大事故隐患）；档案中有发包单位的有限空间管理台账（confined_space_register）时，另核对作业票的有限空间是否在作业前辨识列入台账、是否设警示标志——未列入台账且有未整改的“未设警示标志”记载的，为重大事故隐患。",
        violated="《工贸企业有限空间作业安全规定》（应急管理部令第13号）", criterion=f"{L10}有限空间重大事故隐患第（一）项", words="未对有限空间进行辨识、建立安全管理台账，并且未设置明显的安全警示标志"),
    CheckRule(
        "CS-2", "有限空间作业未审批、未先通风再检测、无监护", GROUP_CS,
        "进入受限空间等危险作业时，未落实“作业票”管理制度的（整治方案 承包单位五查之五）",
        f"{L10}有限空间专项第（二）项 [M]；应急管理部令第13号；GB 30871—2022 第6章", "SPL 101", "major",
        "有限空间作业严格执行审批，先通风、再检测、后作业，作业全程设专人监护", cs2,
        violated="《工贸企业有限空间作业安全规定》（应急管理部令第13号）", criterion=f"{L10}有限空间重大事故隐患第（二）项", words="未落实有限空间作业审批，或者未执行“先通风、再检测、后作业”要求，或者未设置监护人员"),
)
RULES_BY_ID = {r.id: r for r in RULES}


def rule_table() -> list[dict]:
    return [r.as_dict() for r in RULES]
