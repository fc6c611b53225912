"""作业票 (work permits) after GB 30871—2022 App. A, and the 爆破 permit.

One base class holds what every ticket has (编号, 风险辨识结果, people, safety-measure table,
briefing, signed-and-timed opinion boxes, completion acceptance, linked tickets); one subclass per
ticket type adds its own header fields. ``ticket_type`` picks the class when a file is loaded.

Numbers (validity windows, gas limits, sample age) come from GB 30871 as *settings*: 工贸
enterprises apply the standard by reference and may tighten it (domain.md §2.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, ClassVar, Literal

from schemas.base import F, RuleContext, err, g, rule, warn
from schemas.common import TICKET_TYPE_NAMES, ContractorUscc, Drawing, EnterpriseUscc, PersonRef, Photo, Signature, TicketType
from schemas.meta import CaseMeta

GB = "GB 30871—2022"

ApprovalBox = Literal[
    "监护人", "作业负责人", "所在单位", "安全管理部门", "动火审批人", "当班班长验票", "审核部门",
    "审批部门", "作业指挥", "用电单位", "配送电单位", "会签单位", "消防安全管理部门", "公安机关",
]


@dataclass(frozen=True, kw_only=True)
class GasSample:
    """气体取样分析 (one row of the ticket's gas table)."""

    taken_at: Annotated[datetime, F("取样分析时间")]
    kind: Annotated[Literal["可燃气体", "有毒有害气体", "氧气"], F("气体类别")]
    gas: Annotated[str, F("代表性气体/名称")]
    result: Annotated[float, F("分析结果", minimum=0)]
    unit: Annotated[Literal["%", "%LEL", "mg/m3", "ppm"], F("单位")] = "%"
    lel_pct: Annotated[float | None, F("该气体爆炸下限（%）")] = None
    limit: Annotated[float | None, F("合格标准", help="有毒有害气体的职业接触限值")] = None
    location: Annotated[str | None, F("分析部位")] = None
    analyst: Annotated[str, F("分析人")]


@dataclass(frozen=True, kw_only=True)
class Measure:
    """安全措施 (序号 / 安全措施 / 是否涉及 / 确认人)."""

    text: Annotated[str, F("安全措施")]
    involved: Annotated[bool, F("是否涉及")] = True
    confirmed_by: Annotated[str | None, F("确认人")] = None


@dataclass(frozen=True, kw_only=True)
class Approval:
    """A signed-and-timed opinion box (签字 + 年月日时分)."""

    box: Annotated[ApprovalBox, F("意见栏")]
    name: Annotated[str, F("签字人")]
    unit: Annotated[str | None, F("单位/部门", help="会签时填写会签单位")] = None
    signed_at: Annotated[datetime, F("签字时间")]
    opinion: Annotated[str | None, F("意见")] = None


@dataclass(frozen=True, kw_only=True)
class Briefing:
    """安全交底: who briefed, who received (GB 30871 4.4)."""

    by: Annotated[str, F("安全交底人")]
    receivers: Annotated[tuple[str, ...], F("接受交底人", min_items=1)]


@dataclass(frozen=True, kw_only=True)
class Completion:
    """完工验收."""

    by: Annotated[str, F("验收人")]
    at: Annotated[datetime, F("验收时间")]
    opinion: Annotated[str | None, F("验收意见")] = None


StepKind = Literal["apply", "measures", "briefed", "gas", "approve", "check", "start", "close"]

#: the steps of a ticket signed on a phone, in their order (GB 30871—2022 4.2–4.11, App. A):
#: 作业申请 → 风险辨识与安全措施（安全交底）→ 接受交底 → 气体分析 → 审批（in the order of the
#: type's boxes）→ 验票 → 作业开始 → 完工验收. A gas analysis may be repeated until the
#: acceptance (re-tests after a break, every day of work; 5.3.1 d).
STEP_ORDER: dict[str, int] = {"apply": 0, "measures": 1, "briefed": 2, "gas": 3, "approve": 4, "check": 5, "start": 6, "close": 7}
STEP_NAMES: dict[str, str] = {
    "apply": "作业申请", "measures": "风险辨识与安全措施", "briefed": "接受安全交底", "gas": "气体分析",
    "approve": "审批", "check": "验票", "start": "作业开始", "close": "完工验收",
}
STEP_ROLES: dict[str, str] = {
    "apply": "申请人", "measures": "安全交底人", "briefed": "接受交底人", "gas": "分析人", "approve": "审批人",
    "check": "验票人", "start": "作业开始确认人", "close": "验收人",
}
CHECK_BOX = "当班班长验票"

#: the steps after which the work itself has begun (作业开始, 完工验收)
WORK_STEPS = ("start", "close")


def work_begun_on(steps) -> str | None:
    """When the work of a ticket began, as far as its record shows: ``""`` for a paper ticket (no
    ``steps``: it was filled after the fact, so its work is as old as the ticket), the ISO date of
    the first 作业开始/完工验收 step of a ticket signed step by step, ``None`` while it is still being
    applied for, gas-tested and approved (办理中: nothing has been done under it yet). Takes the
    ``steps`` as dataclasses or as the sealed data's dicts."""
    steps = list(steps or ())
    if not steps:
        return ""
    for x in steps:
        kind = x.get("step") if isinstance(x, dict) else getattr(x, "step", None)
        at = x.get("signed_at") if isinstance(x, dict) else getattr(x, "signed_at", None)
        if isinstance(kind, str) and kind in WORK_STEPS:
            if isinstance(at, str):
                return at[:10]
            return at.date().isoformat() if isinstance(at, datetime) else ""  # sealed in another shape: begun, day unknown
    return None


@dataclass(frozen=True, kw_only=True)
class StepPhoto(Photo):
    """A photo taken at a step on the phone; the camera's time and place (EXIF) when it recorded them."""

    caption: Annotated[str, F("说明")] = "现场照片"
    latitude: Annotated[float | None, F("纬度（EXIF）", minimum=-90, maximum=90)] = None
    longitude: Annotated[float | None, F("经度（EXIF）", minimum=-180, maximum=180)] = None


@dataclass(frozen=True, kw_only=True)
class Step:
    """签署记录: one act of the ticket's life cycle, signed on a phone by the person whose role it is,
    at the time of the archive's clock, with a handwritten signature (PNG) and optional photos."""

    step: Annotated[StepKind, F("步骤")]
    box: Annotated[ApprovalBox | None, F("意见栏", help="审批与验票：所签的意见栏")] = None
    person: Annotated[PersonRef, F("签字人")]
    signed_at: Annotated[datetime, F("签字时间", help="档案服务器的时钟")]
    signature: Annotated[Signature, F("手写签名")]
    photos: Annotated[tuple[StepPhoto, ...], F("现场照片")] = ()
    identified_by: Annotated[Literal["出生日期", "登录账号", "身份证号后四位"], F("身份确认方式", help="身份证号后四位：早期版本的方式（掩码显示后四位，已不再使用）")]
    account: Annotated[str, F("经手账号", help="签字所用手机登录的账号")]
    opinion: Annotated[str | None, F("意见")] = None

    @property
    def label(self) -> str:
        return self.box or STEP_ROLES[self.step]


@dataclass(frozen=True, kw_only=True)
class Conditions:
    """Circumstances that escalate a hot-work grade (GB 30871 5.1.1) or stop work."""

    holiday: Annotated[bool, F("节假日/公休日")] = False
    night: Annotated[bool, F("夜间")] = False
    wind_force: Annotated[int | None, F("风力（级）", minimum=0, maximum=17)] = None


@dataclass(frozen=True, kw_only=True)
class WorkTicket:
    """作业票 — the part every ticket type shares."""

    __case__: ClassVar[CaseMeta] = CaseMeta("work_ticket", "作业票", "ticket_no", "valid_from")
    REQUIRED_BOXES: ClassVar[tuple[str, ...]] = ("作业负责人", "所在单位")
    MAX_HOURS: ClassVar[str | None] = None  # settings attribute holding the validity limit
    NEEDS_GAS: ClassVar[bool] = False

    ticket_no: Annotated[str, F("作业票编号")]
    ticket_type: Annotated[TicketType, F("作业类别")]
    project: Annotated[str, F("项目编号")]
    enterprise: EnterpriseUscc
    contractor: ContractorUscc
    applicant_unit: Annotated[str, F("作业申请单位")]
    applied_at: Annotated[datetime, F("作业申请时间")]
    location: Annotated[str, F("作业地点")]
    content: Annotated[str, F("作业内容")]
    valid_from: Annotated[datetime, F("作业实施时间（自）")]
    valid_to: Annotated[datetime, F("作业实施时间（至）")]
    leader: Annotated[PersonRef, F("作业负责人")]
    guardian: Annotated[PersonRef, F("监护人")]
    workers: Annotated[tuple[PersonRef, ...], F("作业人", min_items=1)]
    # required of a ticket as a whole (rule _ticket_complete); a ticket signed step by step on a
    # phone (``steps``) has them from the step that fills them on
    risk_identification: Annotated[str | None, F("风险辨识结果")] = None
    measures: Annotated[tuple[Measure, ...], F("安全措施")] = ()
    other_measures: Annotated[str | None, F("其他安全措施")] = None
    briefing: Annotated[Briefing | None, F("安全交底")] = None
    gas_samples: Annotated[tuple[GasSample, ...], F("气体分析")] = ()
    approvals: Annotated[tuple[Approval, ...], F("审批意见")] = ()
    completion: Annotated[Completion | None, F("完工验收")] = None
    linked_tickets: Annotated[tuple[str, ...], F("关联的其他特殊作业及安全作业票编号")] = ()
    conditions: Annotated[Conditions, F("作业条件")] = Conditions()
    video_recorded: Annotated[bool | None, F("全程视频记录")] = None
    steps: Annotated[tuple[Step, ...], F("签署记录", help="在手机上逐步办理的作业票：每一步的签字人、时间、手写签名和照片")] = ()

    @property
    def type_name(self) -> str:
        return TICKET_TYPE_NAMES.get(self.ticket_type, self.ticket_type)

    @classmethod
    def approval_order(cls) -> tuple[str, ...]:
        """The boxes approved one after another before 验票, in the form's order (App. A)."""
        return tuple(b for b in cls.REQUIRED_BOXES if b != CHECK_BOX)

    @classmethod
    def has_check(cls) -> bool:
        """Does this ticket have the 动火前岗位当班班长验票 box (A.1 only)?"""
        return CHECK_BOX in cls.REQUIRED_BOXES


@dataclass(frozen=True, kw_only=True)
class HotWorkTicket(WorkTicket):
    """动火安全作业票 (GB 30871 A.1)."""

    REQUIRED_BOXES: ClassVar[tuple[str, ...]] = ("监护人", "作业负责人", "所在单位", "安全管理部门", "动火审批人", "当班班长验票")
    NEEDS_GAS: ClassVar[bool] = True
    grade: Annotated[Literal["特级", "一级", "二级"], F("动火作业级别")]
    method: Annotated[str, F("动火方式", help="如 电焊、气割")]
    hot_spot: Annotated[str, F("动火部位")]
    hot_workers: Annotated[tuple[PersonRef, ...], F("动火人及证书编号", min_items=1)]


@dataclass(frozen=True, kw_only=True)
class ConfinedSpaceTicket(WorkTicket):
    """受限空间安全作业票 (A.2)."""

    NEEDS_GAS: ClassVar[bool] = True
    MAX_HOURS: ClassVar[str | None] = "confined_space_max_hours"
    space_name: Annotated[str, F("受限空间名称")]
    original_medium: Annotated[str, F("受限空间内原有介质名称")]
    ventilation: Annotated[str, F("通风措施", help="先通风、再检测、后作业")]
    lamp_voltage: Annotated[float | None, F("照明电压（V）", minimum=0)] = None
    wet_or_narrow: Annotated[bool, F("潮湿/狭小容器")] = False


@dataclass(frozen=True, kw_only=True)
class BlindPlateTicket(WorkTicket):
    """盲板抽堵安全作业票 (A.3) — one ticket per blind and action (7.11)."""

    action: Annotated[Literal["堵", "抽"], F("作业类别")]
    equipment: Annotated[str, F("设备管道名称")]
    medium: Annotated[str, F("管道介质")]
    temperature_c: Annotated[float, F("管道温度（℃）")]
    pressure_mpa: Annotated[float, F("管道压力（MPa）")]
    plate_material: Annotated[str, F("盲板材质")]
    plate_spec: Annotated[str, F("盲板规格")]
    plate_no: Annotated[str, F("盲板编号")]
    diagram_by: Annotated[str, F("盲板位置图编制人")]
    diagram: Annotated[Drawing | None, F("盲板位置图", help="图片文件（PNG/JPEG），印在作业票上")] = None
    actual_start: Annotated[datetime | None, F("实际作业开始时间")] = None


@dataclass(frozen=True, kw_only=True)
class WorkAtHeightTicket(WorkTicket):
    """高处安全作业票 (A.4)."""

    REQUIRED_BOXES: ClassVar[tuple[str, ...]] = ("作业负责人", "所在单位", "审核部门", "审批部门")
    MAX_HOURS: ClassVar[str | None] = "height_max_days"
    height_m: Annotated[float, F("作业高度（m）", minimum=2)]
    grade: Annotated[Literal["Ⅰ级", "Ⅱ级", "Ⅲ级", "Ⅳ级"], F("高处作业级别")]
    objective_hazards: Annotated[tuple[str, ...], F("客观危险因素", help="GB/T 3608 B类法")] = ()


@dataclass(frozen=True, kw_only=True)
class LiftingTicket(WorkTicket):
    """吊装安全作业票 (A.5)."""

    REQUIRED_BOXES: ClassVar[tuple[str, ...]] = ("作业指挥", "所在单位", "审核部门", "审批部门")
    load_t: Annotated[float, F("吊物质量（t）", minimum=0)]
    grade: Annotated[Literal["一级", "二级", "三级"], F("吊装作业级别")]
    rigging: Annotated[str, F("吊具名称")]
    load_description: Annotated[str, F("吊物内容")]
    commander: Annotated[PersonRef, F("指挥人员")]
    riggers: Annotated[tuple[PersonRef, ...], F("司索人", min_items=1)]
    plan_ref: Annotated[str | None, F("吊装方案编号")] = None


@dataclass(frozen=True, kw_only=True)
class TemporaryPowerTicket(WorkTicket):
    """临时用电安全作业票 (A.6)."""

    REQUIRED_BOXES: ClassVar[tuple[str, ...]] = ("作业负责人", "用电单位", "配送电单位")
    MAX_HOURS: ClassVar[str | None] = "temporary_power_max_days"
    access_point: Annotated[str, F("电源接入点")]
    permitted_kw: Annotated[float, F("许可用电功率（kW）", minimum=0)]
    voltage_v: Annotated[float, F("工作电压（V）", minimum=0)]
    equipment: Annotated[str, F("用电设备名称及额定功率")]
    special_period: Annotated[bool, F("特殊情况延长用电期限")] = False
    in_fire_area: Annotated[bool, F("位于火灾爆炸危险场所")] = False


@dataclass(frozen=True, kw_only=True)
class ExcavationTicket(WorkTicket):
    """动土安全作业票 (A.7) — digging, piling, 钻探 (drilling) deeper than 0.5 m."""

    REQUIRED_BOXES: ClassVar[tuple[str, ...]] = ("作业负责人", "所在单位", "会签单位", "审批部门")
    method: Annotated[str, F("作业方式", help="人工/机械/钻探")]
    depth_m: Annotated[float, F("深度（m）", minimum=0)]
    area_m2: Annotated[float, F("面积（m²）", minimum=0)]
    sketch_note: Annotated[str, F("作业范围简图说明")]
    sketch: Annotated[Drawing | None, F("作业范围简图", help="图片文件（PNG/JPEG），印在作业票上")] = None
    underground_lines: Annotated[bool, F("涉及地下管线/电缆")] = False
    toxic_or_flammable_lines: Annotated[bool, F("存在有毒有害/易燃介质管线")] = False


@dataclass(frozen=True, kw_only=True)
class RoadClosureTicket(WorkTicket):
    """断路安全作业票 (A.8)."""

    REQUIRED_BOXES: ClassVar[tuple[str, ...]] = ("作业负责人", "所在单位", "消防安全管理部门", "审批部门")
    reason: Annotated[str, F("断路原因")]
    section: Annotated[str, F("断路地段")]
    related_units: Annotated[tuple[str, ...], F("涉及相关单位（部门）")] = ()
    diagram_note: Annotated[str, F("断路地段示意图说明")]
    diagram: Annotated[Drawing | None, F("断路地段示意图", help="图片文件（PNG/JPEG），印在作业票上")] = None


@dataclass(frozen=True, kw_only=True)
class BlastingTicket(WorkTicket):
    """爆破作业许可单 — not a GB 30871 ticket: references the public-security licences
    (民用爆炸物品安全管理条例 arts. 31–35) and the blasting design (GB 6722)."""

    REQUIRED_BOXES: ClassVar[tuple[str, ...]] = ("作业负责人", "所在单位", "安全管理部门", "审批部门")
    unit_licence_no: Annotated[str, F("爆破作业单位许可证编号")]
    unit_licence_valid_to: Annotated[date, F("爆破作业单位许可证有效期至")]
    blasters: Annotated[tuple[PersonRef, ...], F("爆破作业人员及许可证编号", min_items=1)]
    approval_no: Annotated[str | None, F("公安机关审批文号", help="城市、风景区、重要设施附近爆破须审批")] = None
    design_ref: Annotated[str, F("爆破设计/方案编号")]
    safety_assessment_ref: Annotated[str | None, F("安全评估报告编号")] = None
    explosive_kg: Annotated[float, F("炸药用量（kg）", minimum=0)]
    detonators: Annotated[int, F("雷管数量（发）", minimum=0)]
    warning_radius_m: Annotated[float, F("警戒范围（m）", minimum=0)]
    detonation_at: Annotated[datetime | None, F("起爆时间")] = None
    all_clear_at: Annotated[datetime | None, F("解除警戒时间")] = None
    post_blast_check: Annotated[str | None, F("爆后检查及盲炮处理", help="GB 6722：爆后检查，有无盲炮及处理情况")] = None


TICKET_CLASSES: dict[str, type[WorkTicket]] = {
    "hot_work": HotWorkTicket,
    "confined_space": ConfinedSpaceTicket,
    "work_at_height": WorkAtHeightTicket,
    "lifting": LiftingTicket,
    "blasting": BlastingTicket,
    "excavation": ExcavationTicket,
    "temporary_power": TemporaryPowerTicket,
    "blind_plate": BlindPlateTicket,
    "road_closure": RoadClosureTicket,
}

HOT_WORK_ESCALATION = {"二级": "一级", "一级": "特级", "特级": "特级"}


def effective_hot_work_grade(t) -> str | None:
    """The grade after escalation: one grade up on holidays, at night, or in wind ≥ force 5 (5.1.1)."""
    grade = g(t, "grade")
    if grade not in HOT_WORK_ESCALATION:
        return None
    c = g(t, "conditions")
    if g(c, "holiday") or g(c, "night") or (g(c, "wind_force") or 0) >= 5:
        return HOT_WORK_ESCALATION[grade]
    return grade


def validity_limit(t, s) -> tuple[timedelta | None, str]:
    """(longest allowed window, setting name) for this ticket."""
    tt = g(t, "ticket_type")
    if tt == "hot_work":
        grade = effective_hot_work_grade(t)
        name = {"特级": "hot_work_max_hours_special", "一级": "hot_work_max_hours_first", "二级": "hot_work_max_hours_second"}.get(grade or "")
        return (timedelta(hours=getattr(s, name)), name) if name else (None, "")
    if tt == "confined_space":
        return timedelta(hours=s.confined_space_max_hours), "confined_space_max_hours"
    if tt == "work_at_height":
        return timedelta(days=s.height_max_days), "height_max_days"
    if tt == "temporary_power":
        name = "temporary_power_max_days_special" if g(t, "special_period") else "temporary_power_max_days"
        return timedelta(days=getattr(s, name)), name
    return None, ""


def _fmt(td: timedelta) -> str:
    hours = td.total_seconds() / 3600
    return f"{hours / 24:g} 天" if hours >= 48 and hours % 24 == 0 else f"{hours:g} 小时"


@rule(WorkTicket)
def _ticket_window(t, ctx: RuleContext):
    s = ctx.settings
    a, b = g(t, "valid_from"), g(t, "valid_to")
    if not (isinstance(a, datetime) and isinstance(b, datetime)):
        return
    if b <= a:
        yield err("valid_to", f"作业截止时间 {b:%Y-%m-%d %H:%M} 不晚于开始时间 {a:%Y-%m-%d %H:%M} (ticket ends before it starts)")
        return
    limit, setting = validity_limit(t, s)
    if limit is not None and b - a > limit:
        grade = effective_hot_work_grade(t)
        what = f"{grade}动火" if grade else TICKET_TYPE_NAMES.get(g(t, "ticket_type"), "")
        esc = "（已按节假日/夜间/五级以上风升级）" if grade and grade != g(t, "grade") else ""
        yield err("valid_to", f"{what}作业票有效期最长 {_fmt(limit)}{esc}，本票为 {_fmt(b - a)} (ticket valid longer than allowed)",
                  s.source(setting))
    applied = g(t, "applied_at")
    if isinstance(applied, datetime) and applied > a:
        yield err("applied_at", "作业申请时间晚于作业开始时间 (applied after the work started)")


@rule(WorkTicket)
def _ticket_complete(t, ctx: RuleContext):
    """A ticket added as a whole (signed on paper) has everything the form asks for; a ticket
    signed step by step has each part from its step on (rule _ticket_steps)."""
    if g(t, "steps"):
        return
    if not (g(t, "risk_identification") or "").strip():
        yield err("risk_identification", "风险辨识结果：缺少必填字段 (missing required field)")
    if not g(t, "measures"):
        yield err("measures", "安全措施：至少需要 1 项 (at least 1 item(s))")
    if g(t, "briefing") is None:
        yield err("briefing", "安全交底：缺少必填字段 (missing required field)")
    if not g(t, "approvals"):
        yield err("approvals", "审批意见：至少需要 1 项 (at least 1 item(s))")


@rule(WorkTicket)
def _ticket_approvals(t, ctx: RuleContext):
    cls = TICKET_CLASSES.get(g(t, "ticket_type"), WorkTicket)
    approvals = list(g(t, "approvals") or ())
    boxes = {g(a, "box") for a in approvals}
    for box in cls.REQUIRED_BOXES if not g(t, "steps") else ():  # step by step: rule _ticket_steps
        if box not in boxes:
            yield err("approvals", f"缺少“{box}”意见栏签字 (missing the {box} signature box)", f"{GB} 附录A")
    start = g(t, "valid_from")
    leader = g(g(t, "leader"), "name")
    for i, a in enumerate(approvals):
        at = g(a, "signed_at")
        if isinstance(at, datetime) and isinstance(start, datetime) and at > start and g(a, "box") != "当班班长验票":
            yield err(f"approvals[{i}].signed_at",
                      f"“{g(a, 'box')}”签字时间 {at:%Y-%m-%d %H:%M} 晚于作业开始 (approved after the work started)",
                      f"{GB} 4.11")
        if g(a, "box") in ("动火审批人", "审批部门") and leader and g(a, "name") == leader:
            yield warn(f"approvals[{i}].name", "审批人与作业负责人为同一人 (approver is the work leader)", "domain.md §2.4 rule 4 [P]")
    c = g(t, "completion")
    end = g(t, "valid_to")
    if c is not None:
        at = g(c, "at")
        grace = timedelta(hours=ctx.settings.completion_grace_hours)
        if isinstance(at, datetime) and isinstance(start, datetime) and at < start:
            yield err("completion.at", "完工验收时间早于作业开始 (completion before the work started)")
        if isinstance(at, datetime) and isinstance(end, datetime) and at > end + grace:
            yield err("completion.at", f"完工验收时间晚于作业截止时间超过 {grace.total_seconds() / 3600:g} 小时 (completion too late)",
                      ctx.settings.source("completion_grace_hours"))
        elif isinstance(at, datetime) and isinstance(end, datetime) and at > end:
            yield warn("completion.at",
                       f"完工验收时间 {at.month}月{at.day}日{at.hour}时{at.minute:02d}分 晚于作业票有效期"
                       f"（至 {end.month}月{end.day}日{end.hour}时{end.minute:02d}分）：超出有效期的作业须重新办理作业票 "
                       "(completion after the ticket expired)", f"{GB} 4.16")


@rule(WorkTicket)
def _ticket_gas(t, ctx: RuleContext):
    s = ctx.settings
    cls = TICKET_CLASSES.get(g(t, "ticket_type"), WorkTicket)
    samples = list(g(t, "gas_samples") or ())
    needs = cls.NEEDS_GAS or (g(t, "ticket_type") == "temporary_power" and g(t, "in_fire_area"))
    start, end = g(t, "valid_from"), g(t, "valid_to")
    steps = list(g(t, "steps") or ())
    if needs and not samples and not steps:  # step by step: required before the first approval (_ticket_steps)
        yield err("gas_samples", "该作业须在作业前进行气体分析 (gas analysis required before this work)", f"{GB} 5.3.1 / 6.3")
        return
    if not samples or not isinstance(start, datetime):
        return
    times = [(i, g(x, "taken_at")) for i, x in enumerate(samples) if isinstance(g(x, "taken_at"), datetime)]
    before = [(i, ts) for i, ts in times if ts <= start]
    max_age = timedelta(minutes=s.gas_sample_max_minutes)
    if needs:
        if not before:
            yield err("gas_samples", "作业开始前没有气体分析 (no gas sample before the work started)", s.source("gas_sample_max_minutes"))
        else:
            i, last = max(before, key=lambda p: p[1])
            if start - last > max_age:
                yield err(f"gas_samples[{i}].taken_at",
                          f"取样时间 {last:%H:%M} 距作业开始 {start:%H:%M} 超过 {s.gas_sample_max_minutes:g} 分钟"
                          f" (sample taken more than {s.gas_sample_max_minutes:g} min before the start)",
                          s.source("gas_sample_max_minutes"))
        if isinstance(end, datetime):
            day, last_day = start.date(), end.date()
            signed = [x for x in (g(s_, "signed_at") for s_ in steps) if isinstance(x, datetime)]
            if signed:  # a ticket in its life cycle: the days of work up to its latest step
                last_day = min(last_day, max(signed).date())
            sampled = {ts.date() for _, ts in times}
            while day <= last_day:
                if day not in sampled and not (day == end.date() and end.time() == datetime.min.time()):
                    yield err("gas_samples", f"{day} 无当日作业前气体分析 (no gas analysis on {day})", f"{GB} 5.3.1 d)")
                day += timedelta(days=1)
    for i, ts in times:
        if isinstance(end, datetime) and ts > end:
            yield err(f"gas_samples[{i}].taken_at", "取样时间晚于作业截止时间 (sample taken after the ticket ended)")
        if start - ts > timedelta(hours=24):
            yield err(f"gas_samples[{i}].taken_at", "取样时间早于作业开始一天以上 (sample more than a day before the start)")
    for i, x in enumerate(samples):
        yield from _gas_result(i, x, s)


def _gas_result(i: int, x, s):
    kind, result, unit = g(x, "kind"), g(x, "result"), g(x, "unit", "%")
    if not isinstance(result, int | float):
        return
    path = f"gas_samples[{i}].result"
    if kind == "氧气":
        if unit != "%":
            yield err(f"gas_samples[{i}].unit", "氧含量单位应为 %（体积分数） (oxygen must be in % v/v)")
        elif not (s.oxygen_min_pct <= result <= s.oxygen_max_pct):
            yield err(path, f"氧含量 {result:g}% 不在 {s.oxygen_min_pct:g}%–{s.oxygen_max_pct:g}% 之间 (oxygen outside the safe range)",
                      s.source("oxygen_min_pct"))
    elif kind == "可燃气体":
        lel = g(x, "lel_pct")
        if unit == "%LEL":
            if lel is None:
                yield err(f"gas_samples[{i}].lel_pct", "以 %LEL 记录时须填写该气体爆炸下限，才能按体积分数判定 (give the gas's LEL to judge %LEL readings)",
                          f"{GB} 5.3.2")
                return
            vol = result * lel / 100
        elif unit == "%":
            vol = result
        else:
            yield err(f"gas_samples[{i}].unit", "可燃气体应以 %（体积分数）或 %LEL 记录 (flammable gas in % v/v or %LEL)")
            return
        if lel is not None and lel < 4:
            limit, setting = s.flammable_max_pct_low_lel, "flammable_max_pct_low_lel"
        elif lel is not None:
            limit, setting = s.flammable_max_pct_high_lel, "flammable_max_pct_high_lel"
        else:
            limit, setting = s.flammable_max_pct_low_lel, "flammable_max_pct_low_lel"
        if vol > limit:
            basis = "爆炸下限<4%" if lel is None or lel < 4 else "爆炸下限≥4%"
            unknown = "（未填爆炸下限，按从严标准）" if lel is None else ""
            yield err(path, f"可燃气体浓度 {vol:g}%（体积分数）超过 {limit:g}%（{basis}）{unknown} (flammable gas above the limit)",
                      s.source(setting))
    elif kind == "有毒有害气体":
        limit = g(x, "limit")
        if limit is not None and result > limit:
            yield err(path, f"有毒有害气体 {result:g}{unit} 超过合格标准 {limit:g}{unit} (toxic gas above its limit)", "GBZ 2.1")


@rule(WorkTicket)
def _ticket_people(t, ctx: RuleContext):
    tt = g(t, "ticket_type")
    if tt == "hot_work":
        for i, p in enumerate(g(t, "hot_workers") or ()):
            if not g(p, "certificate_no"):
                yield err(f"hot_workers[{i}].certificate_no", "动火人须填写特种作业操作证编号 (hot workers need a certificate number)",
                          f"{GB} 附录A.1; 安全生产法 第30条")
    if tt == "temporary_power":
        for i, p in enumerate(g(t, "workers") or ()):
            if not g(p, "certificate_no"):
                yield err(f"workers[{i}].certificate_no", "临时用电作业人须填写电工证号 (electricians need a certificate number)", f"{GB} 附录A.6")
        if g(t, "leader") is not None and not g(g(t, "leader"), "certificate_no"):
            yield err("leader.certificate_no", "临时用电作业负责人须填写电工证号 (the leader needs an electrician certificate number)", f"{GB} 附录A.6")
    if tt == "blasting":
        for i, p in enumerate(g(t, "blasters") or ()):
            if not g(p, "certificate_no"):
                yield err(f"blasters[{i}].certificate_no", "爆破作业人员须填写爆破作业人员许可证编号 (blasters need a licence number)",
                          "民用爆炸物品安全管理条例 第33条")
        vt, start = g(t, "unit_licence_valid_to"), g(t, "valid_from")
        if isinstance(vt, date) and isinstance(start, datetime) and vt < start.date():
            yield err("unit_licence_valid_to", "爆破作业单位许可证已过期 (blasting unit licence expired)", "民用爆炸物品安全管理条例 第31条")
        boom, clear, end = g(t, "detonation_at"), g(t, "all_clear_at"), g(t, "valid_to")
        if isinstance(boom, datetime) and isinstance(start, datetime) and isinstance(end, datetime) and not start <= boom <= end:
            yield err("detonation_at", "起爆时间不在许可的作业时间内 (detonation outside the permitted window)", "GB 6722")
        if isinstance(clear, datetime) and isinstance(boom, datetime) and clear <= boom:
            yield err("all_clear_at", "解除警戒须在起爆之后 (all-clear before the detonation)", "GB 6722")
        if isinstance(clear, datetime) and not (g(t, "post_blast_check") or "").strip():
            yield err("post_blast_check", "解除警戒前须进行爆后检查并记录有无盲炮 (record the post-blast check before the all-clear)",
                      "GB 6722")
    leader, guardian = g(g(t, "leader"), "name"), g(g(t, "guardian"), "name")
    if leader and guardian and leader == guardian:
        yield err("guardian", "监护人不得由作业负责人兼任 (the guardian may not be the work leader)", f"{GB} 4.10")
    workers = {g(p, "name") for p in g(t, "workers") or ()}
    if guardian and guardian in workers:
        yield err("guardian", "监护人不得同时作为作业人 (the guardian may not also be a worker)", f"{GB} 4.10")
    for i, m in enumerate(g(t, "measures") or ()):
        if g(m, "involved") and not g(m, "confirmed_by"):
            yield err(f"measures[{i}].confirmed_by", "涉及的安全措施须有确认人 (an involved measure needs a confirming person)", f"{GB} 附录A")


DRAWINGS = {"blind_plate": ("diagram", "盲板位置图", "附录A.3"), "excavation": ("sketch", "作业范围简图", "附录A.7"),
            "road_closure": ("diagram", "断路地段示意图", "附录A.8")}


@rule(WorkTicket)
def _ticket_drawing(t, ctx: RuleContext):
    want = DRAWINGS.get(g(t, "ticket_type"))
    if want and g(t, want[0]) is None:
        yield warn(want[0], f"作业票未附{want[1]}（图片文件）：表上只能写“见附图” (the form's drawing is not attached)",
                   f"{GB} {want[2]}")


@rule(WorkTicket)
def _ticket_specifics(t, ctx: RuleContext):
    tt = g(t, "ticket_type")
    c = g(t, "conditions")
    wind = g(c, "wind_force") or 0
    if tt == "work_at_height":
        h = g(t, "height_m")
        grade = g(t, "grade")
        if isinstance(h, int | float) and grade:
            band = 0 if h <= 5 else 1 if h <= 15 else 2 if h <= 30 else 3
            hazards = bool(g(t, "objective_hazards"))
            want = ["Ⅰ级", "Ⅱ级", "Ⅲ级", "Ⅳ级"][min(3, band + (1 if hazards else 0))]
            order = ["Ⅰ级", "Ⅱ级", "Ⅲ级", "Ⅳ级"]
            if grade in order and order.index(grade) < order.index(want):
                yield err("grade", f"作业高度 {h:g} m{'且存在客观危险因素' if hazards else ''}，级别至少应为{want} (grade too low for the height)",
                          "GB/T 3608; GB 30871—2022 8.1")
        if wind >= 5:
            yield err("conditions.wind_force", "五级以上强风不得进行高处作业 (no work at height in wind ≥ force 5)", f"{GB} 8.2")
    if tt == "lifting":
        m, grade = g(t, "load_t"), g(t, "grade")
        if isinstance(m, int | float) and grade:
            want = "一级" if m > 100 else "二级" if m >= 40 else "三级"
            if grade != want:
                yield err("grade", f"吊物质量 {m:g} t 对应{want}吊装，票面为{grade} (grade does not match the load)", f"{GB} 9.1")
        if wind >= 6:
            yield err("conditions.wind_force", "六级以上大风不得进行吊装作业 (no lifting in wind ≥ force 6)", f"{GB} 9.2")
    if tt == "confined_space":
        v = g(t, "lamp_voltage")
        lim = 12 if g(t, "wet_or_narrow") else 36
        if isinstance(v, int | float) and v > lim:
            yield err("lamp_voltage", f"受限空间照明电压不得超过 {lim} V (lamp voltage above {lim} V)", f"{GB} 4.13")
    if tt == "excavation":
        d = g(t, "depth_m")
        if isinstance(d, int | float) and d > 1.2 and g(t, "toxic_or_flammable_lines") and not any(
            "SX" in x or "受限" in x for x in g(t, "linked_tickets") or ()
        ):
            yield warn("linked_tickets", "深度超过1.2 m且有有毒有害/易燃介质管线，应同时执行受限空间作业要求 (also apply confined-space rules)",
                       f"{GB} 11.10")
    if tt == "hot_work":
        if effective_hot_work_grade(t) == "特级" and g(t, "video_recorded") is False:
            yield err("video_recorded", "特级动火作业应全程视频记录 (special-grade hot work must be filmed)", f"{GB} 5.2.11")


def needs_gas(t) -> bool:
    """Must this ticket have a gas analysis before the work (5.3.1, 6.3, 10.2)?"""
    cls = TICKET_CLASSES.get(g(t, "ticket_type"), WorkTicket)
    return cls.NEEDS_GAS or (g(t, "ticket_type") == "temporary_power" and bool(g(t, "in_fire_area")))


BOX_PEOPLE = {"监护人": "guardian", "作业负责人": "leader", "作业指挥": "commander"}


def _same_person(a, b) -> bool:
    if a is None or b is None or g(a, "name") != g(b, "name"):
        return False
    x, y = g(a, "id_number"), g(b, "id_number")
    return not (x and y) or str(x).upper() == str(y).upper()


@rule(WorkTicket)
def _ticket_steps(t, ctx: RuleContext):
    """A ticket signed step by step (``steps``): the steps in their order, each by the person whose
    role it is, and the form's content (approvals, gas analysis, completion) matching its steps."""
    steps = list(g(t, "steps") or ())
    if not steps:
        return
    cls = TICKET_CLASSES.get(g(t, "ticket_type"), WorkTicket)
    order = cls.approval_order()
    src = f"{GB} 4.2–4.11，附录A"
    kinds = [g(x, "step") for x in steps]
    if kinds[0] != "apply":
        yield err("steps[0].step", "签署记录须从作业申请开始 (the first step must be the application)", src)
    seen: list[str] = []
    last_rank, last_at = -1, None
    approved: list[str] = []
    receivers = list(g(g(t, "briefing"), "receivers") or ())
    briefed: list[str] = []
    for i, x in enumerate(steps):
        k, at, who, box = g(x, "step"), g(x, "signed_at"), g(g(x, "person"), "name"), g(x, "box")
        path = f"steps[{i}]"
        if k not in STEP_ORDER:
            continue
        name = STEP_NAMES[k] + (f"（{box}）" if box else "")
        if k in ("apply", "measures", "check", "start", "close") and k in seen:
            yield err(f"{path}.step", f"“{STEP_NAMES[k]}”已签署过，不能再签 (this step was signed already)", src)
        if k == "gas":
            if "measures" not in seen:
                yield err(f"{path}.step", "气体分析须在风险辨识与安全措施之后 (gas analysis before the safety measures)", src)
            if "close" in seen:
                yield err(f"{path}.step", "完工验收后不能再做气体分析 (gas analysis after the completion)", src)
        else:
            rank = STEP_ORDER[k]
            if rank < last_rank:
                yield err(f"{path}.step", f"“{name}”不能在“{STEP_NAMES[kinds[_last_index(kinds, i, last_rank)]]}”之后签署 (step out of order)", src)
            last_rank = max(last_rank, rank)
        if isinstance(at, datetime):
            if last_at is not None and at < last_at:
                yield err(f"{path}.signed_at", "签字时间早于上一步 (signed before the previous step)")
            last_at = at if last_at is None else max(last_at, at)
        if k == "approve":
            if box not in order:
                yield err(f"{path}.box", f"{TICKET_TYPE_NAMES.get(g(t, 'ticket_type'), '')}作业票没有“{box}”审批栏；审批栏依次为：{'、'.join(order)} (no such approval box)", src)
            elif box in approved:
                yield err(f"{path}.box", f"“{box}”已签字 (this box was signed already)", src)
            elif order[len(approved)] != box:
                yield err(f"{path}.box", f"审批须依次签字：应先由“{order[len(approved)]}”签字，再到“{box}” "
                                         f"(approvals in order: {order[len(approved)]} first)", src)
            if not approved:
                if receivers and set(briefed) != set(receivers):
                    yield err(path, "接受交底人尚未全部签字，不能开始审批 (every receiver of the briefing signs before the approvals)", f"{GB} 4.4")
                if needs_gas(t) and "gas" not in seen:
                    yield err(path, "作业前须先做气体分析，再审批 (gas analysis before the approvals)", f"{GB} 5.3.1 / 6.3")
            approved.append(box)
        if k == "check":
            if not cls.has_check() or box != CHECK_BOX:
                yield err(f"{path}.box", f"此作业票没有“{CHECK_BOX}”栏 (this ticket has no such box)", src)
            if len(approved) < len(order):
                yield err(path, f"审批未完成（尚缺：{'、'.join(b for b in order if b not in approved)}），不能验票 (approvals incomplete)", src)
        if k == "start":
            if len(approved) < len(order) or (cls.has_check() and "check" not in seen):
                yield err(path, "审批和验票完成后方可开始作业 (work starts after the approvals and the check)", src)
            a, b = g(t, "valid_from"), g(t, "valid_to")
            if isinstance(at, datetime) and isinstance(a, datetime) and at < a:
                yield err(f"{path}.signed_at", f"作业票自 {a:%Y-%m-%d %H:%M} 起有效，尚未到作业时间 (work before the ticket's start)", src)
            if isinstance(at, datetime) and isinstance(b, datetime) and at > b:
                yield err(f"{path}.signed_at", f"作业票已于 {b:%Y-%m-%d %H:%M} 过期 (the ticket has expired)", f"{GB} 4.16")
        if k == "close" and "start" not in seen:
            yield err(path, "作业开始后方可完工验收 (completion before the work started)", src)
        if k == "measures":
            bf = g(t, "briefing")
            if not (g(t, "risk_identification") or "").strip():
                yield err("risk_identification", "风险辨识结果：缺少必填字段 (missing required field)", src)
            if not g(t, "measures"):
                yield err("measures", "安全措施：至少需要 1 项 (at least 1 item(s))", src)
            if bf is None:
                yield err("briefing", "安全交底：缺少必填字段 (missing required field)", src)
            elif g(bf, "by") != who:
                yield err(f"{path}.person", f"安全交底人为{g(bf, 'by')}，签字人为{who} (the briefer signs this step)", f"{GB} 4.4")
        if k == "briefed":
            if who not in receivers:
                yield err(f"{path}.person", f"{who}不是接受交底人 (not a receiver of the briefing)", f"{GB} 4.4")
            elif who in briefed:
                yield err(f"{path}.person", f"{who}已签字确认交底 (signed already)", f"{GB} 4.4")
            briefed.append(who)
        if k in ("approve",) and box in BOX_PEOPLE and g(t, BOX_PEOPLE[box]) is not None and not _same_person(g(x, "person"), g(t, BOX_PEOPLE[box])):
            yield err(f"{path}.person", f"“{box}”栏须由本票的{box}{g(g(t, BOX_PEOPLE[box]), 'name')}签字 (signed by the wrong person)", src)
        seen.append(k)
    # the form's content matches its steps
    steps_by_box = {g(x, "box"): x for x in steps if g(x, "step") in ("approve", "check")}
    for i, a in enumerate(g(t, "approvals") or ()):
        x = steps_by_box.get(g(a, "box"))
        if x is None:
            yield err(f"approvals[{i}]", f"“{g(a, 'box')}”栏没有对应的签署记录 (an approval without its signed step)", src)
        elif g(g(x, "person"), "name") != g(a, "name") or g(x, "signed_at") != g(a, "signed_at"):
            yield err(f"approvals[{i}]", f"“{g(a, 'box')}”栏的签字人或时间与签署记录不符 (approval differs from its signed step)", src)
    boxes = {g(a, "box") for a in g(t, "approvals") or ()}
    for i, x in enumerate(steps):
        if g(x, "step") in ("approve", "check") and g(x, "box") not in boxes:
            yield err(f"steps[{i}]", f"签署记录中的“{g(x, 'box')}”栏不在审批意见中 (a signed step missing from the approvals)", src)
    closes = [x for x in steps if g(x, "step") == "close"]
    c = g(t, "completion")
    if closes and (c is None or g(c, "by") != g(g(closes[0], "person"), "name") or g(c, "at") != g(closes[0], "signed_at")):
        yield err("completion", "完工验收与签署记录不符 (the completion differs from its signed step)", src)
    if c is not None and not closes:
        yield err("completion", "完工验收没有对应的签署记录 (a completion without its signed step)", src)
    gas_steps = [x for x in steps if g(x, "step") == "gas"]
    for i, smp in enumerate(g(t, "gas_samples") or ()):
        ts = g(smp, "taken_at")
        if not any(g(g(x, "person"), "name") == g(smp, "analyst") and isinstance(ts, datetime)
                   and isinstance(g(x, "signed_at"), datetime) and ts <= g(x, "signed_at") for x in gas_steps):
            yield err(f"gas_samples[{i}].analyst", f"分析人{g(smp, 'analyst')}没有在取样之后签字 (a reading without the analyst's signed step)", src)


def _last_index(kinds: list, i: int, rank: int) -> int:
    """The index before ``i`` of the step of rank ``rank`` (for the message of a step out of order)."""
    for j in range(i - 1, -1, -1):
        if STEP_ORDER.get(kinds[j]) == rank:
            return j
    return 0
