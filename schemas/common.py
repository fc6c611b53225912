"""Shared field types and small nested records used by several case types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from schemas.base import F, RuleContext, err, g, rule, warn
from schemas.identifiers import (
    id_problems,
    check_phone,
    check_doc_no,
    check_enforcement_doc_no,
    check_id_number,
    uscc_warning,
    check_uscc,
)

# --- field types -----------------------------------------------------------------------------------

Uscc = Annotated[str, F("统一社会信用代码", check_uscc, warn=uscc_warning)]
EnterpriseUscc = Annotated[str, F("发包单位（统一社会信用代码）", check_uscc, warn=uscc_warning)]
ContractorUscc = Annotated[str, F("承包单位（统一社会信用代码）", check_uscc, warn=uscc_warning)]
BureauUscc = Annotated[str, F("执法机关（统一社会信用代码）", check_uscc, warn=uscc_warning)]
UnitUscc = Annotated[str, F("被检查单位（统一社会信用代码）", check_uscc, warn=uscc_warning)]
EmployerUscc = Annotated[str, F("所在单位（统一社会信用代码）", check_uscc, warn=uscc_warning)]
IdNumber = Annotated[str, F("身份证号", check_id_number, sensitive="id_number")]
DocNo = Annotated[str, F("发文字号", check_doc_no)]
EnfDocNo = Annotated[str, F("文书号", check_enforcement_doc_no)]
Name = Annotated[str, F("姓名")]

Industry = Literal["冶金", "有色", "建材", "机械", "轻工", "纺织", "烟草", "商贸"]
OrgRole = Literal["enterprise", "contractor", "bureau"]
WorkContent = Literal["运行", "维护", "检修", "试验", "技术改造", "施工", "劳务", "技术合作", "清洗", "拆除", "安装", "其他"]
TicketType = Literal[
    "hot_work", "confined_space", "work_at_height", "lifting", "blasting",
    "excavation", "temporary_power", "blind_plate", "road_closure",
]
TICKET_TYPE_NAMES: dict[str, str] = {
    "hot_work": "动火",
    "confined_space": "受限空间",
    "work_at_height": "高处",
    "lifting": "吊装",
    "blasting": "爆破",
    "excavation": "动土",
    "temporary_power": "临时用电",
    "blind_plate": "盲板抽堵",
    "road_closure": "断路",
}


# --- small records ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Period:
    """约定期间 (from–to, both days included)."""

    start: Annotated[date, F("开始日期")]
    end: Annotated[date, F("结束日期")]


@rule(Period)
def _period_order(p, ctx: RuleContext):
    start, end = g(p, "start"), g(p, "end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        yield err("end", f"结束日期 {end} 早于开始日期 {start} (end before start)")


@dataclass(frozen=True, kw_only=True)
class PersonRef:
    """A person named on a document. With ``id_number`` the person must be registered
    (``outsafe person add``) and the archive checks their certificates and training."""

    name: Name
    id_number: IdNumber | None = None
    certificate_no: Annotated[str | None, F("证书编号")] = None
    unit: Annotated[str | None, F("所在单位")] = None
    title: Annotated[str | None, F("职务")] = None
    phone: Annotated[str | None, F("电话", check_phone)] = None


@rule(PersonRef)
def _person_ref_certificate(r, ctx: RuleContext):
    number, cert = g(r, "id_number"), g(r, "certificate_no")
    if isinstance(number, str) and isinstance(cert, str) and not id_problems(certificate_id(cert)):
        if certificate_id(cert).upper() != number.upper():
            yield warn("certificate_no", "证书编号是另一个身份证号，与此人的身份证号不同 (the certificate number is another person's ID number)",
                       CERT_NUMBER_SOURCE)


@dataclass(frozen=True, kw_only=True)
class Inspector:
    """执法人员: name and enforcement certificate number (SPL 67, APL 55: at least two)."""

    name: Name
    cert_no: Annotated[str, F("执法证号")]
    id_number: IdNumber | None = None


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def check_image_file(value: str) -> None:
    """An image file named in a case file: a PNG or JPEG (that it exists, next to the case file,
    is checked when the file is read: ``archive.app``)."""
    from marshmallow import ValidationError

    if not str(value).lower().endswith(IMAGE_SUFFIXES):
        raise ValidationError(f"图片须为 JPEG 或 PNG 文件 (image must be a .png or .jpg file): {value}")


ImageFile = Annotated[str, F("图片文件", check_image_file, help="PNG 或 JPEG，路径相对于案卷文件")]


@dataclass(frozen=True, kw_only=True)
class Photo:
    """A photo (hazard evidence, scene) or image stored with the record."""

    file: ImageFile
    caption: Annotated[str, F("说明")]
    taken_at: Annotated[datetime | None, F("拍摄时间")] = None


@dataclass(frozen=True, kw_only=True)
class Drawing:
    """附图: a drawing a form calls for (盲板位置图, 动土简图, 断路示意图), printed in place on the form."""

    file: ImageFile
    caption: Annotated[str, F("图名/说明")]
    drawn_by: Annotated[str | None, F("编制人")] = None


@dataclass(frozen=True, kw_only=True)
class Signature:
    """A captured handwritten signature (PNG), printed in its signature cell; without one the form
    shows a blank line to sign on paper."""

    file: ImageFile
    signed_on: Annotated[date | None, F("签字日期")] = None


IMAGE_CLASSES = (Photo, Drawing, Signature)


def image_refs(obj) -> list[tuple[str, str]]:
    """Every image file a record names — photos, drawings, signatures, at any depth — as
    (field path, file as written), in field order."""
    import dataclasses

    from schemas.base import field_infos

    out: list[tuple[str, str]] = []

    def walk(value, path: str) -> None:
        if isinstance(value, IMAGE_CLASSES):
            out.append((f"{path}.file", value.file))
            return
        if isinstance(value, tuple | list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
            return
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for info in field_infos(type(value)):
                walk(getattr(value, info.name), f"{path}.{info.name}" if path else info.name)

    walk(obj, "")
    return out


@dataclass(frozen=True, kw_only=True)
class Signatory:
    """签字/盖章: the representative who signs for a party, and when."""

    name: Name
    title: Annotated[str | None, F("职务")] = None
    signed_on: Annotated[date | None, F("签字日期")] = None


@dataclass(frozen=True, kw_only=True)
class Qualification:
    """资质 / 许可证: 安全生产许可证, 建筑业企业资质证书, 爆破作业单位许可证 …"""

    kind: Annotated[
        Literal[
            "安全生产许可证", "建筑业企业资质证书", "爆破作业单位许可证", "特种设备生产许可证",
            "营业执照", "危险化学品经营许可证", "其他",
        ],
        F("资质类别"),
    ]
    number: Annotated[str, F("证书编号")]
    issuer: Annotated[str, F("发证机关")]
    scope: Annotated[str, F("许可范围/资质等级")]
    valid_from: Annotated[date, F("有效期起")]
    valid_to: Annotated[date | None, F("有效期至", help="长期有效留空")] = None


@rule(Qualification)
def _qualification_dates(q, ctx: RuleContext):
    a, b = g(q, "valid_from"), g(q, "valid_to")
    if isinstance(a, date) and isinstance(b, date) and b < a:
        yield err("valid_to", f"有效期至 {b} 早于有效期起 {a} (valid_to before valid_from)")


CertificateKind = Literal[
    "特种作业操作证", "特种设备作业人员证", "安全生产知识和管理能力考核合格证", "爆破作业人员许可证",
    "执法证", "其他",
]


@dataclass(frozen=True, kw_only=True)
class Certificate:
    """证书: 特种作业操作证 (6 years, review every 3), 特种设备作业人员证, 考核合格证 …"""

    kind: Annotated[CertificateKind, F("证书类别")]
    category: Annotated[str, F("作业类别/项目", help="如 焊接与热切割作业、电工作业、高处作业、Q1 起重机指挥")]
    number: Annotated[str, F("证书编号")]
    issuer: Annotated[str | None, F("发证机关")] = None
    issued: Annotated[date, F("初领/发证日期")]
    expires: Annotated[date, F("有效期至")]
    next_review: Annotated[date | None, F("应复审日期")] = None


@rule(Certificate)
def _certificate_dates(c, ctx: RuleContext):
    issued, expires, review = g(c, "issued"), g(c, "expires"), g(c, "next_review")
    if isinstance(issued, date) and isinstance(expires, date) and expires <= issued:
        yield err("expires", f"有效期至 {expires} 不晚于发证日期 {issued} (expires before issue)")
    if isinstance(issued, date) and issued > ctx.today:
        yield err("issued", f"发证日期 {issued} 在未来 (issue date in the future)")
    if g(c, "kind") == "特种作业操作证" and isinstance(issued, date) and isinstance(expires, date):
        years = (expires - issued).days / 365.25
        if years > 6.05:
            yield warn(
                "expires",
                f"特种作业操作证有效期为6年，此证约 {years:.1f} 年 (special-operation certificates are valid 6 years)",
                "特种作业人员安全技术培训考核管理规定 第19条",
            )
    if isinstance(review, date) and isinstance(expires, date) and review > expires:
        yield warn("next_review", "应复审日期晚于有效期 (review date after expiry)")
    number = g(c, "number")
    if g(c, "kind") == "特种作业操作证" and isinstance(number, str) and getattr(ctx.settings, "special_certificate_number_is_id", True):
        problems = id_problems(certificate_id(number), ctx.today)
        if problems:
            yield err("number", "特种作业操作证编号应为持证人身份证号（可带前缀 T）："
                      + "；".join(problems) + " (the certificate number is the holder's ID number)", CERT_NUMBER_SOURCE)


CERT_NUMBER_SOURCE = "特种作业操作证证号即身份证号 (domain.md §4.4)"


def certificate_id(number: str) -> str:
    """The 身份证号 inside a 特种作业操作证 number: the number itself, or after a leading "T"."""
    number = number.strip()
    return number[1:] if number[:1] in ("T", "t") and len(number) == 19 else number


__all__ = [
    "Uscc", "EnterpriseUscc", "ContractorUscc", "BureauUscc", "UnitUscc", "EmployerUscc", "IdNumber", "DocNo", "EnfDocNo", "Name", "Industry", "OrgRole", "WorkContent", "TicketType",
    "TICKET_TYPE_NAMES", "Period", "PersonRef", "Inspector", "Photo", "Signatory", "Qualification",
    "Certificate", "CertificateKind", "certificate_id", "check_uscc", "check_id_number", "check_doc_no", "check_enforcement_doc_no",
]
