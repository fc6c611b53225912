"""Campaign data the 五查 checks need: quarterly assessments, hazards, accidents, equipment, the
enterprise's own inspections of its contractors (domain.md §1.2, §9a) and its 有限空间管理台账
(令第13号; 令第10号 confined-space items, domain.md §8.1-8.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from schemas.base import F, RuleContext, err, g, rule, warn
from schemas.common import ContractorUscc, EmployerUscc, EnterpriseUscc, PersonRef, Photo
from schemas.meta import CaseMeta


@dataclass(frozen=True, kw_only=True)
class QuarterlyAssessment:
    """季度安全生产考核 of a contractor by the enterprise (发包单位五查之五)."""

    __case__: ClassVar[CaseMeta] = CaseMeta("quarterly_assessment", "承包单位季度安全生产考核", "assessment_no", "assessed_on", kind="campaign")

    assessment_no: Annotated[str, F("考核编号")]
    enterprise: EnterpriseUscc
    contractor: ContractorUscc
    project: Annotated[str | None, F("项目编号")] = None
    year: Annotated[int, F("年度", minimum=2000, maximum=2100)]
    quarter: Annotated[Literal[1, 2, 3, 4], F("季度")]
    score: Annotated[float | None, F("得分", minimum=0, maximum=100)] = None
    result: Annotated[Literal["合格", "不合格"], F("考核结果")]
    assessor: Annotated[str, F("考核人")]
    assessed_on: Annotated[date, F("考核日期")]
    notes: Annotated[str | None, F("主要问题")] = None


@rule(QuarterlyAssessment)
def _assessment(a, ctx: RuleContext):
    y, q, d = g(a, "year"), g(a, "quarter"), g(a, "assessed_on")
    if isinstance(y, int) and q in (1, 2, 3, 4) and isinstance(d, date):
        quarter_start = date(y, 3 * (q - 1) + 1, 1)
        if d < quarter_start:
            yield err("assessed_on", f"考核日期早于{y}年第{q}季度开始 (assessed before the quarter began)")
    if isinstance(d, date) and d > ctx.today:
        yield err("assessed_on", "考核日期在未来 (assessment date in the future)")


@dataclass(frozen=True, kw_only=True)
class Hazard:
    """事故隐患 (一般/重大) with its rectification."""

    __case__: ClassVar[CaseMeta] = CaseMeta("hazard", "事故隐患", "hazard_no", "found_on", kind="campaign")

    hazard_no: Annotated[str, F("隐患编号")]
    enterprise: EnterpriseUscc
    contractor: Annotated[ContractorUscc | None, F("涉及承包单位")] = None
    project: Annotated[str | None, F("项目编号")] = None
    description: Annotated[str, F("隐患描述")]
    grade: Annotated[Literal["一般", "重大"], F("隐患等级")]
    criterion: Annotated[str | None, F("判定依据", help="如 应急管理部令第10号 第3条第1项")] = None
    found_on: Annotated[date, F("发现日期")]
    found_by: Annotated[str | None, F("发现人/检查组")] = None
    deadline: Annotated[date | None, F("整改期限")] = None
    owner: Annotated[str | None, F("整改责任人")] = None
    measures: Annotated[str | None, F("整改措施")] = None
    status: Annotated[Literal["未整改", "整改中", "已整改"], F("整改状态")]
    rectified_on: Annotated[date | None, F("整改完成日期")] = None
    reported_to_authority: Annotated[bool, F("已报告负有监管职责的部门")] = False
    reported_on: Annotated[date | None, F("报告日期")] = None
    photos: Annotated[tuple[Photo, ...], F("隐患照片")] = ()


@rule(Hazard)
def _hazard(h, ctx: RuleContext):
    found, deadline, done = g(h, "found_on"), g(h, "deadline"), g(h, "rectified_on")
    if isinstance(found, date) and isinstance(deadline, date) and deadline < found:
        yield err("deadline", "整改期限早于发现日期 (deadline before the hazard was found)")
    if g(h, "status") == "已整改" and done is None:
        yield err("rectified_on", "已整改的隐患须填写整改完成日期 (rectified hazards need the completion date)")
    if isinstance(done, date) and isinstance(found, date) and done < found:
        yield err("rectified_on", "整改完成日期早于发现日期 (rectified before found)")
    if g(h, "grade") == "重大":
        if not g(h, "reported_to_authority"):
            yield warn("reported_to_authority", "重大事故隐患应向负有安全生产监督管理职责的部门报告 (major hazards must be reported)",
                       "安全生产法 第41条")
        if not g(h, "criterion"):
            yield warn("criterion", "重大事故隐患应注明判定依据条目 (cite the criterion item)", "应急管理部令第10号")
    if g(h, "status") != "已整改" and deadline is None:
        yield warn("deadline", "未整改的隐患应有整改期限 (an open hazard needs a deadline)", "安全生产法 第41条")


ACCIDENT_GRADES = ("一般", "较大", "重大", "特别重大")


def accident_grade(deaths: int, serious: int, loss_wan: Decimal | None) -> str:
    """生产安全事故报告和调查处理条例 第3条: the highest grade any measure reaches."""
    def level(value, bands):
        return next((i for i, lo in reversed(list(enumerate(bands))) if value >= lo), 0)

    d = level(deaths, (0, 3, 10, 30))
    s = level(serious, (0, 10, 50, 100))
    m = level(float(loss_wan or 0), (0, 1000, 5000, 10000))
    return ACCIDENT_GRADES[max(d, s, m)]


@dataclass(frozen=True, kw_only=True)
class Accident:
    """生产安全事故 on an outsourced project (发包单位五查之四: counted in the employer's statistics?)."""

    __case__: ClassVar[CaseMeta] = CaseMeta("accident", "生产安全事故", "accident_no", "occurred_at", kind="campaign")

    accident_no: Annotated[str, F("事故编号")]
    enterprise: EnterpriseUscc
    contractor: Annotated[ContractorUscc | None, F("涉及承包单位")] = None
    project: Annotated[str | None, F("项目编号")] = None
    occurred_at: Annotated[datetime, F("发生时间")]
    place: Annotated[str, F("发生地点")]
    description: Annotated[str, F("事故经过")]
    injured: Annotated[tuple[PersonRef, ...], F("伤亡人员")] = ()
    deaths: Annotated[int, F("死亡人数", minimum=0)] = 0
    serious_injuries: Annotated[int, F("重伤人数", minimum=0)] = 0
    minor_injuries: Annotated[int, F("轻伤人数", minimum=0)] = 0
    direct_loss_wan: Annotated[Decimal | None, F("直接经济损失（万元）")] = None
    grade: Annotated[Literal["一般", "较大", "重大", "特别重大"], F("事故等级")]
    counted_in_employer_stats: Annotated[bool, F("已纳入发包单位事故统计")]
    reported_at: Annotated[datetime | None, F("报告时间")] = None


@rule(Accident)
def _accident(a, ctx: RuleContext):
    d, s, loss, grade = g(a, "deaths"), g(a, "serious_injuries"), g(a, "direct_loss_wan"), g(a, "grade")
    if isinstance(d, int) and isinstance(s, int) and grade in ACCIDENT_GRADES:
        want = accident_grade(d, s, loss)
        if want != grade:
            yield err("grade", f"按伤亡和损失应为{want}事故，填写为{grade} (grade should be {want})", "生产安全事故报告和调查处理条例 第3条")
    occ, rep = g(a, "occurred_at"), g(a, "reported_at")
    if isinstance(occ, datetime) and isinstance(rep, datetime):
        if rep < occ:
            yield err("reported_at", "报告时间早于发生时间 (reported before it happened)")
        elif rep - occ > timedelta(hours=1) and (d or s):
            yield warn("reported_at", "单位负责人应于1小时内报告 (report within one hour)", "生产安全事故报告和调查处理条例 第9条")
    if isinstance(occ, datetime) and occ.date() > ctx.today:
        yield err("occurred_at", "发生时间在未来 (accident date in the future)")


@dataclass(frozen=True, kw_only=True)
class Maintenance:
    date: Annotated[date, F("日期")]
    by: Annotated[str, F("维护保养人/单位")]
    content: Annotated[str, F("内容")]


@dataclass(frozen=True, kw_only=True)
class Equipment:
    """设备设施 (承包单位五查之三: 危险性较大的设备设施检测检验、维护保养)."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "equipment", "设备设施", "equipment_no", "entered_on", enterprise=None, contractor="owner", kind="campaign",
    )

    equipment_no: Annotated[str, F("设备编号")]
    owner: EmployerUscc
    enterprise: Annotated[EnterpriseUscc | None, F("使用场所所属发包单位")] = None
    project: Annotated[str | None, F("使用项目编号")] = None
    name: Annotated[str, F("设备名称")]
    model: Annotated[str | None, F("型号规格")] = None
    special_equipment: Annotated[bool, F("特种设备")]
    registration_no: Annotated[str | None, F("使用登记证编号")] = None
    registration_date: Annotated[date | None, F("使用登记日期")] = None
    entered_on: Annotated[date, F("进场/建档日期")]
    last_inspection: Annotated[date | None, F("上次检验日期")] = None
    next_inspection: Annotated[date | None, F("下次检验日期")] = None
    inspection_body: Annotated[str | None, F("检验机构")] = None
    maintenance: Annotated[tuple[Maintenance, ...], F("维护保养记录")] = ()
    status: Annotated[Literal["在用", "停用", "报废"], F("状态")] = "在用"


@rule(Equipment)
def _equipment(e, ctx: RuleContext):
    if g(e, "special_equipment"):
        if not g(e, "registration_no"):
            yield err("registration_no", "特种设备须办理使用登记 (special equipment must be registered)", "特种设备安全法 第33条")
        if not g(e, "next_inspection"):
            yield err("next_inspection", "特种设备须填写下次检验日期 (next periodic inspection date required)", "特种设备安全法 第40条")
    last, nxt = g(e, "last_inspection"), g(e, "next_inspection")
    if isinstance(last, date) and isinstance(nxt, date) and nxt <= last:
        yield err("next_inspection", "下次检验日期不晚于上次检验日期 (next inspection not after the last)")


@dataclass(frozen=True, kw_only=True)
class ContractorInspection:
    """发包单位对承包单位的安全检查记录 (定期检查; 以包代管 is judged on these)."""

    __case__: ClassVar[CaseMeta] = CaseMeta("contractor_inspection", "承包单位安全检查记录", "inspection_no", "inspected_on", kind="campaign")

    inspection_no: Annotated[str, F("检查编号")]
    enterprise: EnterpriseUscc
    contractor: ContractorUscc
    project: Annotated[str | None, F("项目编号")] = None
    inspected_on: Annotated[date, F("检查日期")]
    inspectors: Annotated[tuple[str, ...], F("检查人员", min_items=1)]
    scope: Annotated[str, F("检查内容")]
    problems: Annotated[tuple[str, ...], F("发现的问题")] = ()
    result: Annotated[Literal["合格", "限期整改", "停工整改"], F("检查结论")]
    deadline: Annotated[date | None, F("整改期限")] = None


@rule(ContractorInspection)
def _contractor_inspection(c, ctx: RuleContext):
    if g(c, "result") != "合格" and not g(c, "problems"):
        yield err("problems", "结论为整改时须列明问题 (list the problems when rectification is ordered)")
    if g(c, "result") == "限期整改" and not g(c, "deadline"):
        yield err("deadline", "限期整改须有期限 (a deadline is required)")
    d = g(c, "inspected_on")
    if isinstance(d, date) and d > ctx.today:
        yield err("inspected_on", "检查日期在未来 (inspection date in the future)")


@dataclass(frozen=True, kw_only=True)
class ConfinedSpace:
    """一处有限空间 in the register: what it is, where, its hazards, who approves work in it."""

    space_no: Annotated[str, F("编号")]
    name: Annotated[str, F("名称")]
    location: Annotated[str, F("所在位置")]
    hazards: Annotated[str, F("主要危险有害因素")]
    toxic_gas: Annotated[bool, F("硫化氢等中毒窒息风险")]
    approver: Annotated[str, F("作业审批人")]
    approver_written_authorization: Annotated[bool, F("审批人书面授权")] = False
    warning_sign: Annotated[bool, F("入口警示标志")]
    isolation: Annotated[str | None, F("物理隔离措施")] = None
    identified_on: Annotated[date | None, F("辨识日期", help="首次辨识列入台账的日期；更新台账时保留（缺省为台账建立日期）")] = None


@dataclass(frozen=True, kw_only=True)
class ConfinedSpaceRegister:
    """有限空间管理台账 of an enterprise (令第13号: identify spaces, keep a register of number,
    location and hazards up to date; 令第10号 confined-space item (一): not identified, no register
    and no warning signs is a 重大事故隐患). A new version supersedes the previous one."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "confined_space_register", "有限空间管理台账", "register_no", "compiled_on", contractor=None, project=None, kind="campaign",
    )

    register_no: Annotated[str, F("台账编号")]
    enterprise: EnterpriseUscc
    compiled_on: Annotated[date, F("建立/更新日期")]
    compiled_by: Annotated[str, F("编制人")]
    principal: Annotated[str, F("主要负责人")]
    spaces: Annotated[tuple[ConfinedSpace, ...], F("有限空间", min_items=1)]


@rule(ConfinedSpaceRegister)
def _confined_register(r, ctx: RuleContext):
    seen: dict[str, int] = {}
    for i, s in enumerate(g(r, "spaces") or ()):
        no = g(s, "space_no")
        if isinstance(no, str):
            if no in seen:
                yield err(f"spaces[{i}].space_no", f"编号 {no} 与第 {seen[no] + 1} 处重复 (space number used twice)")
            seen.setdefault(no, i)
        if g(s, "toxic_gas") is True and g(s, "approver") != g(r, "principal") and g(s, "approver_written_authorization") is not True:
            yield err(f"spaces[{i}].approver_written_authorization",
                      "存在硫化氢、一氧化碳、二氧化碳等中毒窒息风险的有限空间，作业由主要负责人或其书面授权的人员审批 "
                      "(spaces with H2S/CO/CO2 risk: approved by the principal or a person authorised in writing)",
                      "应急管理部令第13号")
        if g(s, "warning_sign") is False:
            yield warn(f"spaces[{i}].warning_sign", "入口未设置明显的安全警示标志 (no warning sign at the entrance)",
                       "应急管理部令第13号；令第10号 有限空间专项第（一）项")
    d = g(r, "compiled_on")
    if isinstance(d, date) and d > ctx.today:
        yield err("compiled_on", "建立日期在未来 (date in the future)")
    for i, s in enumerate(g(r, "spaces") or ()):
        first = g(s, "identified_on")
        if isinstance(first, date) and isinstance(d, date) and first > d:
            yield err(f"spaces[{i}].identified_on", "辨识日期晚于台账建立/更新日期 (identified after the register's date)")
