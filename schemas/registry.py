"""Registry entities: organizations, people, projects. Cases refer to them by key.

They are stored as sealed records like every case (a change is a new version that supersedes the
old one), and the catalog keeps a projection of the latest version for lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, ClassVar, Literal

from schemas.base import F, RuleContext, err, g, rule, warn
from schemas.common import (
    CERT_NUMBER_SOURCE,
    certificate_id,
    Certificate,
    ContractorUscc,
    EmployerUscc,
    EnterpriseUscc,
    IdNumber,
    Industry,
    Name,
    OrgRole,
    Period,
    PersonRef,
    Qualification,
    TicketType,
    Uscc,
    WorkContent,
)
from schemas.identifiers import age_on, check_phone, id_problems
from schemas.meta import CaseMeta
from schemas.publickey import PublicKeyError, fingerprint, read_public_pem


@dataclass(frozen=True, kw_only=True)
class Organization:
    """单位: 发包单位 (enterprise), 承包单位 (contractor) or 应急管理局 (bureau)."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "organization", "单位", "uscc", None, enterprise=None, contractor=None, project=None, kind="registry",
    )

    uscc: Uscc
    name: Annotated[str, F("单位名称")]
    role: Annotated[OrgRole, F("角色", help="enterprise 发包单位 / contractor 承包单位 / bureau 应急管理局")]
    short_name: Annotated[str | None, F("简称")] = None
    industry: Annotated[Industry | None, F("行业")] = None
    address: Annotated[str | None, F("地址")] = None
    postcode: Annotated[str | None, F("邮政编码")] = None
    legal_representative: Annotated[str | None, F("法定代表人")] = None
    legal_representative_title: Annotated[str | None, F("法定代表人职务", help="如 董事长、执行董事、总经理")] = None
    principal_person: Annotated[str | None, F("主要负责人")] = None
    safety_manager: Annotated[str | None, F("安全管理负责人")] = None
    phone: Annotated[str | None, F("联系电话", check_phone)] = None
    headcount: Annotated[int | None, F("从业人员数", minimum=0)] = None
    safety_department: Annotated[bool, F("设置安全生产管理机构")] = False
    full_time_safety_staff: Annotated[int, F("专职安全生产管理人员数", minimum=0)] = 0
    work_injury_insurance: Annotated[bool | None, F("参加工伤保险")] = None
    qualifications: Annotated[tuple[Qualification, ...], F("资质与许可")] = ()
    region_abbr: Annotated[str | None, F("区划简称", help="执法文书号用，如 高新")] = None
    bank_account: Annotated[str | None, F("罚没款缴纳账户")] = None
    public_key: Annotated[str | None, F("签名公钥 (PEM)")] = None
    key_fingerprint: Annotated[str | None, F("签名公钥指纹")] = None


@rule(Organization)
def _organization(o, ctx: RuleContext):
    role = g(o, "role")
    if role == "enterprise" and not g(o, "industry"):
        yield err("industry", "发包单位须填写行业 (an enterprise needs its industry: 冶金/有色/建材/机械/轻工/纺织/烟草/商贸)",
                  "应急管理部令第10号 第2条")
    if role == "bureau" and not g(o, "region_abbr"):
        yield err("region_abbr", "应急管理局须填写区划简称，用于文书号 (a bureau needs its region abbreviation)")
    if role == "contractor" and not g(o, "qualifications"):
        yield warn("qualifications", "承包单位未登记任何资质或许可证 (contractor has no qualification on record)",
                   "整治方案 承包单位五查之一")
    pem, fp = g(o, "public_key"), g(o, "key_fingerprint")
    if pem:
        try:
            actual = fingerprint(read_public_pem(pem))
        except PublicKeyError as e:
            yield err("public_key", e.message)
        else:
            if fp and fp.lower() != actual:
                yield err("key_fingerprint", f"指纹与公钥不符，按公钥计算应为 {actual} (fingerprint does not match the public key)")
    elif fp:
        yield err("public_key", "登记了指纹却没有公钥 (a fingerprint needs its public key)")
    headcount = g(o, "headcount")
    if role == "contractor" and isinstance(headcount, int):
        staff = g(o, "full_time_safety_staff") or 0
        dept = bool(g(o, "safety_department"))
        if headcount > 100 and not dept and staff < 1:
            yield warn("full_time_safety_staff",
                       "从业人员超过100人，应设置安全生产管理机构或配备专职安全生产管理人员 (>100 staff: safety department or full-time staff required)",
                       "安全生产法 第24条")


PersonRole = Literal[
    "主要负责人", "项目负责人", "专职安全生产管理人员", "兼职安全生产管理人员", "特种作业人员",
    "特种设备作业人员", "爆破作业人员", "作业人员", "监护人", "技术负责人", "执法人员", "其他",
]
LabourType = Literal["正式员工", "劳务分包", "临时用工", "劳务派遣", "实习"]


@dataclass(frozen=True, kw_only=True)
class Person:
    """人员: a worker, manager, guardian or inspector, with certificates. 身份证号 is masked on output."""

    __case__: ClassVar[CaseMeta] = CaseMeta(
        "person", "人员", "name", None, enterprise=None, contractor="employer", project=None, kind="registry",
    )

    name: Name
    id_number: IdNumber
    employer: EmployerUscc
    roles: Annotated[tuple[PersonRole, ...], F("岗位角色", min_items=1)]
    trade: Annotated[str | None, F("工种")] = None
    education: Annotated[str | None, F("文化程度")] = None
    entry_date: Annotated[date | None, F("入场/入职日期")] = None
    labour_type: Annotated[LabourType, F("用工形式")] = "正式员工"
    labour_company: Annotated[str | None, F("劳务分包/派遣单位", help="劳务分包、劳务派遣人员的实际用工单位名称")] = None
    phone: Annotated[str | None, F("联系电话", check_phone)] = None
    work_injury_insurance: Annotated[bool | None, F("参加工伤保险")] = None
    certificates: Annotated[tuple[Certificate, ...], F("证书")] = ()


@rule(Person)
def _person(p, ctx: RuleContext):
    number = g(p, "id_number")
    if isinstance(number, str) and not id_problems(number, ctx.today):
        age = age_on(number, ctx.today)
        s = ctx.settings
        if age is not None and not (s.worker_min_age <= age <= s.worker_max_age):
            yield err("id_number", f"按身份证号推算年龄 {age} 岁，不在从业年龄 {s.worker_min_age}–{s.worker_max_age} 岁之内"
                      f" (age {age} outside the working-age range)", s.source("worker_max_age"))
        roles = g(p, "roles") or ()
        if age is not None and ("特种作业人员" in roles or "特种设备作业人员" in roles) and age < s.special_operator_min_age:
            yield err("id_number", f"特种作业人员须年满{s.special_operator_min_age}周岁，实为 {age} 岁 (special operators must be 18+)",
                      s.source("special_operator_min_age"))
    roles = g(p, "roles") or ()
    certs = g(p, "certificates") or ()
    kinds = {g(c, "kind") for c in certs}
    if "特种作业人员" in roles and "特种作业操作证" not in kinds:
        yield err("certificates", "岗位为特种作业人员，但未登记特种作业操作证 (special operator without certificate)", "安全生产法 第30条")
    if "特种设备作业人员" in roles and "特种设备作业人员证" not in kinds:
        yield err("certificates", "岗位为特种设备作业人员，但未登记特种设备作业人员证 (no special-equipment operator certificate)",
                  "特种设备安全法 第14条")
    for i, c in enumerate(certs):
        cn = g(c, "number")
        if g(c, "kind") == "特种作业操作证" and isinstance(cn, str) and isinstance(number, str) and not id_problems(certificate_id(cn)):
            if certificate_id(cn).upper() != number.upper():
                yield warn(f"certificates[{i}].number", "特种作业操作证编号与持证人身份证号不同 (the certificate number differs from the holder's ID number)",
                           CERT_NUMBER_SOURCE)
    if "爆破作业人员" in roles and "爆破作业人员许可证" not in kinds:
        yield err("certificates", "岗位为爆破作业人员，但未登记爆破作业人员许可证 (blaster without licence)", "民用爆炸物品安全管理条例 第33条")


ProjectCategory = Literal["外包", "外协", "技术合作"]
ProjectStatus = Literal["筹备", "施工中", "已完工", "已终止"]


@dataclass(frozen=True, kw_only=True)
class Project:
    """外包项目: who outsources what to whom, where and when."""

    __case__: ClassVar[CaseMeta] = CaseMeta("project", "外包项目", "code", "period.start", project="code", kind="registry")

    code: Annotated[str, F("项目编号")]
    name: Annotated[str, F("项目名称")]
    enterprise: EnterpriseUscc
    contractor: ContractorUscc
    category: Annotated[ProjectCategory, F("类别")]
    work_content: Annotated[tuple[WorkContent, ...], F("作业内容", min_items=1)]
    location: Annotated[str, F("作业地点")]
    period: Annotated[Period, F("约定工期")]
    subcontracting_allowed: Annotated[bool, F("允许分包")] = False
    has_project_department: Annotated[bool, F("承包单位设立项目部")] = False
    manager: Annotated[PersonRef | None, F("项目负责人")] = None
    safety_officer: Annotated[PersonRef | None, F("专职安全管理人员")] = None
    workers: Annotated[tuple[PersonRef, ...], F("作业人员名册")] = ()
    dangerous_work: Annotated[tuple[TicketType, ...], F("涉及的危险作业")] = ()
    status: Annotated[ProjectStatus, F("状态")] = "施工中"
    actual_end: Annotated[date | None, F("实际完工日期")] = None
    description: Annotated[str | None, F("项目概况")] = None


@rule(Project)
def _project(p, ctx: RuleContext):
    if g(p, "enterprise") and g(p, "enterprise") == g(p, "contractor"):
        yield err("contractor", "承包单位不能与发包单位相同 (contractor equals enterprise)")
    period = g(p, "period")
    end = g(p, "actual_end")
    if isinstance(end, date) and isinstance(g(period, "start"), date) and end < g(period, "start"):
        yield err("actual_end", "实际完工日期早于开工日期 (actual end before start)")
    if g(p, "status") in ("已完工", "已终止") and end is None:
        yield warn("actual_end", "项目已完工/终止，建议填写实际完工日期 (record the actual end date)")
