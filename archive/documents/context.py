"""The render context of a record: ``doc`` (the record's fields, blank-safe, 身份证号 masked where
the form does not show them), ``refs`` (what it referenced), ``calc`` (derived values such as
deadlines grouped by date), the owner, photos as images.
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from markupsafe import Markup

from archive.documents.templates import EAST_ASIAN_DEFAULT, IMAGE_ROLES, LATIN_DEFAULT, class_key
from archive.errors import TemplateError
from archive.privacy import mask_text
from schemas.base import F, field_infos, schema_for
from schemas.common import TICKET_TYPE_NAMES, Drawing, Photo, Signature
from schemas.enforcement import review_authority_of
from schemas.hints import type_hints
from schemas.identifiers import check_uscc, id_birth_date, id_problems, id_sex, mask_id
from schemas.registry import Organization, Project
from schemas.tickets import WorkTicket

# --- the render context -----------------------------------------------------------------------------


class Blank:
    """An empty value (``None`` in the record, or something the record refers to that is missing).

    Falsy, ``is none``, replaced by ``|default``; printing it raises TemplateError naming the field."""

    __slots__ = ("_path", "_label", "_reason")

    def __init__(self, path: str, label: str = "", reason: str = "") -> None:
        self._path = path
        self._label = label
        self._reason = reason

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self):
        return iter(())

    def __getattr__(self, name: str) -> "Blank":
        if name.startswith("_"):
            raise AttributeError(name)
        return Blank(f"{self._path}.{name}", "", self._reason)

    def error(self) -> TemplateError:
        label = f"（{self._label}）" if self._label else ""
        why = self._reason or "记录中为空 (the record leaves it empty)"
        return TemplateError(
            f"模板要输出 {self._path}{label}，但{why}",
            hint="fill the field in the case file, or show it in the template with |default(\"／\") or inside {% if %}",
        )

    def __str__(self) -> str:
        raise self.error()

    __html__ = __str__

    def __repr__(self) -> str:
        return f"Blank({self._path!r})"


class Record:
    """A read-only view of one dataclass record for templates: fields as attributes, nothing else."""

    __slots__ = ("_path", "_cls", "_values")

    def __init__(self, path: str, cls: type, values: dict[str, Any]) -> None:
        self._path = path
        self._cls = cls
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"Record({self._path!r})"


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: What is printed in full, by template: the numbers an official form exists to show (the
#: 特种作业操作证号 is the holder's 身份证号, and masking it would defeat checking it against the
#: national certificate lookup). Everything else a template prints masks 身份证号 and ID-shaped
#: text (``settings.mask_id_in_documents``). Paths as in the render context, list items as ``[]``.
FULL_NUMBERS: dict[str, frozenset[str]] = {
    "training_record": frozenset({"doc.trainee.id_number"}),
    "ticket_hot_work": frozenset({"doc.hot_workers[].certificate_no"}),
    "ticket_temporary_power": frozenset({"doc.workers[].certificate_no", "doc.leader.certificate_no"}),
    "ticket_blasting": frozenset({"doc.blasters[].certificate_no"}),
    "person": frozenset({"doc.id_number", "doc.certificates[].number"}),
    # a decision listing a person names him by his 身份证号 (令第11号: 身份证件号码 of a listed person)
    "blacklist_entry": frozenset({"doc.person.id_number"}),
}
_INDEX = re.compile(r"\[\d+\]")


def _view(value: Any, path: str, label: str, mask: bool, extra: Callable[[Any, str], dict] | None = None,
          full: frozenset[str] = frozenset()) -> Any:
    """Turn a loaded value into what templates see (Records, lists, Blanks, masked text); the
    paths in ``full`` are shown unmasked."""
    if mask and full and _INDEX.sub("[]", path) in full:
        mask = False
    if value is None:
        return Blank(path, label)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        values: dict[str, Any] = {}
        for info in field_infos(cls):
            sub = f"{path}.{info.name}"
            v = getattr(value, info.name)
            if info.spec.sensitive == "id_number" and isinstance(v, str) and mask and _INDEX.sub("[]", sub) not in full:
                v = mask_id(v)
            values[info.name] = _view(v, sub, info.spec.label, mask, extra, full)
        if extra is not None:
            values.update(extra(value, path))
        return Record(path, cls, values)
    if isinstance(value, tuple | list):
        return [_view(v, f"{path}[{i}]", label, mask, extra, full) for i, v in enumerate(value)]
    if isinstance(value, str):
        bad = _XML_BAD.search(value)
        if bad:
            raise TemplateError(
                f"{path}{'（' + label + '）' if label else ''} 含有不能写入文书的控制字符 U+{ord(bad.group()):04X} "
                f"(control character cannot go into a document)",
                hint="remove the character from the case file",
            )
        if mask:
            return mask_text(value)
    return value


# --- derived values ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Calc:
    """Derived values every document has."""

    title: str  # 文书名称
    doc_no: str  # 文书编号


@dataclass(frozen=True, kw_only=True)
class DeadlineGroup:
    items: str  # "1、3": the numbers (1-based) of the order's items due on this day
    deadline: date


@dataclass(frozen=True, kw_only=True)
class OrderCalc(Calc):
    # "from": the record fields a derived value shows (the templates check counts them as shown)
    deadline_groups: tuple[DeadlineGroup, ...] = field(metadata={"from": ("items", "items[].deadline")})
    major_items: str | None  # numbers of the items that are 重大事故隐患, "2、4"
    review_authority: str | None  # 行政复议机关
    # per item, the name of the contractor it names ("" when it names none of its own)
    item_contractors: tuple[str, ...] = field(default=(), metadata={"from": ("items[].contractor",)})


@dataclass(frozen=True, kw_only=True)
class TrainingCalc(Calc):
    total_hours: float
    trainee_sex: str | None
    trainee_birth: date | None


@dataclass(frozen=True, kw_only=True)
class TableRowCalc:
    cells: tuple[str, ...]  # the cell texts with their line breaks
    keep: bool  # the last row: kept on the page of what follows the table (the note, 填报人)


@dataclass(frozen=True, kw_only=True)
class TableCalc:
    """A report's table as printed (archive/documents/tables.py): the font and column widths fitted
    to its content, the texts broken where their lines may end."""

    font: float  # points
    half_points: int  # w:sz
    line: int  # exact line height, twips
    width: int  # twips
    grid: tuple[int, ...]  # twips per column
    align: tuple[str, ...]  # per column: left, or center for a column of short values
    headings: tuple[str, ...] = field(metadata={"from": ("tables[].columns",)})
    rows: tuple[TableRowCalc, ...] = field(metadata={"from": ("tables[].rows", "tables[].rows[].cells")})


@dataclass(frozen=True, kw_only=True)
class ReportCalc(Calc):
    paper: str  # A4, A4 横向, A3 横向
    page_width: int  # twips
    page_height: int
    tables: tuple[TableCalc, ...]


def document_title(cls: type) -> str:
    if issubclass(cls, WorkTicket):
        tt = class_key(cls)[1]
        return "爆破作业许可单" if tt == "blasting" else f"{TICKET_TYPE_NAMES[tt]}安全作业票"
    return cls.__case__.label


def calc_class(cls: type) -> type:
    name = cls.__case__.type
    return {"rectification_order": OrderCalc, "training_record": TrainingCalc, "campaign_report": ReportCalc,
            "campaign_table": ReportCalc}.get(name, Calc)


def _calc(obj: Any, orgs: dict | None = None) -> Any:
    cls = type(obj)
    meta = cls.__case__
    number = obj
    for part in meta.number.split("."):
        number = getattr(number, part, None)
    common = {"title": document_title(cls), "doc_no": str(number or "")}
    if meta.type == "rectification_order":
        groups: dict[date, list[int]] = {}
        for i, item in enumerate(obj.items, 1):
            groups.setdefault(item.deadline, []).append(i)
        major = [str(i) for i, item in enumerate(obj.items, 1) if item.major_hazard]
        return OrderCalc(
            **common,
            deadline_groups=tuple(DeadlineGroup(items="、".join(map(str, v)), deadline=k) for k, v in sorted(groups.items())),
            major_items="、".join(major) or None,
            review_authority=getattr(obj, "review_authority", None) or review_authority_of(obj.authority_name),
            item_contractors=tuple(
                ((orgs or {}).get(it.contractor) or {}).get("name") or it.contractor if it.contractor else ""
                for it in obj.items),
        )
    if meta.type == "training_record":
        number = obj.trainee.id_number
        ok = not id_problems(number)
        return TrainingCalc(
            **common,
            total_hours=float(sum(lv.hours for lv in obj.levels)),
            trainee_sex=id_sex(number) if ok else None,
            trainee_birth=id_birth_date(number) if ok else None,
        )
    if meta.type in ("campaign_report", "campaign_table"):
        return _report_calc(obj, common)
    return Calc(**common)


def _report_calc(obj: Any, common: dict) -> ReportCalc:
    """The paper of a campaign table (附件2, 台账: A4 or A3 landscape, as wide as its table needs) or
    of a report (A4), and every table fitted to it. A table's ``widths`` (written by earlier
    versions of ``outsafe report``) are not used: the widths are measured from the content."""
    from archive.documents.tables import CAMPAIGN_TABLE_PAPERS, REPORT_ANNEX_PAPERS, TWIPS_PER_MM, fit_table

    papers = CAMPAIGN_TABLE_PAPERS if obj.__case__.type == "campaign_table" else REPORT_ANNEX_PAPERS
    tables = []
    paper = papers[0][0]
    for i, t in enumerate(obj.tables):
        fitted = fit_table(t.columns, [r.cells for r in t.rows], papers)
        if i == 0:
            paper = fitted.paper
        elif fitted.paper != paper:  # one paper for the document: the first table's
            fitted = fit_table(t.columns, [r.cells for r in t.rows], [(p, s) for p, s in papers if p == paper])
        tables.append(TableCalc(
            font=fitted.font, half_points=int(round(fitted.font * 2)), line=int(round(fitted.font * 1.3 * 20)),
            width=sum(fitted.twips()), grid=fitted.twips(), headings=fitted.headings,
            align=tuple("center" if c else "left" for c in fitted.centred),
            rows=tuple(TableRowCalc(cells=cells, keep=j == len(fitted.rows) - 1) for j, cells in enumerate(fitted.rows)),
        ))
    return ReportCalc(**common, paper=paper.name, page_width=round(paper.width * TWIPS_PER_MM),
                      page_height=round(paper.height * TWIPS_PER_MM), tables=tuple(tables))


def _load_ref(cls: type, data: Any, where: str) -> Any:
    try:
        return schema_for(cls)().load(data)
    except Exception as e:  # marshmallow.ValidationError, TypeError on a malformed snapshot
        raise TemplateError(f"引用快照 {where} 无法读取 (the refs snapshot is not a valid {cls.__name__}): {e}") from e


def _holds_uscc(hint: Any) -> bool:
    origin = get_origin(hint)
    if origin is Annotated:
        base, *meta = get_args(hint)
        return any(isinstance(m, F) and check_uscc in m.validate for m in meta) or _holds_uscc(base)
    if origin in (Union, types.UnionType):
        return any(_holds_uscc(a) for a in get_args(hint))
    return False


@cache
def org_fields(cls: type) -> tuple[str, ...]:
    """Top-level fields of ``cls`` holding a 统一社会信用代码 of another organization (also optional
    ones such as ``Annotated[ContractorUscc | None, F("涉及承包单位")]``)."""
    if cls is Organization:
        return ()
    hints = type_hints(cls)
    return tuple(f.name for f in dataclasses.fields(cls) if _holds_uscc(hints[f.name]))


#: the largest box (width, height in mm) each kind of image is printed in, keeping its proportions
IMAGE_BOX = {Photo: (80, 62), Drawing: (120, 70), Signature: (30, 12)}
#: a signature in a narrow cell (the 分析人 column of a ticket, beside a name in a list): ``.small``
SMALL_SIGNATURE = (14, 6)


def image_box(cls: type) -> tuple[float, float] | None:
    """The box of ``cls`` or of the image class it extends (a ticket step's photo is a Photo)."""
    return next((IMAGE_BOX[k] for k in cls.__mro__ if k in IMAGE_BOX), None)


class _PhotoImages:
    """Adds ``image`` to Photo, Drawing and Signature records, from the ``images`` argument by the
    record's file."""

    def __init__(self, tpl: Any, images: dict[str, Path]) -> None:
        self.tpl = tpl
        self.images = images
        self.used: set[str] = set()

    def __call__(self, value: Any, path: str) -> dict:
        box = image_box(type(value))
        if box is None:
            return {}
        key = value.file if value.file in self.images else Path(value.file).name
        if key not in self.images:
            missing = Blank(f"{path}.image", "图片", f"没有提供图片文件 {value.file} (image file not supplied)")
            return {"image": missing, "small": missing} if isinstance(value, Signature) else {"image": missing}
        self.used.add(key)
        if isinstance(value, Signature):
            return {"image": _image(self.tpl, self.images[key], *box), "small": _image(self.tpl, self.images[key], *SMALL_SIGNATURE)}
        return {"image": _image(self.tpl, self.images[key], *box)}


def build_context(
    obj: Any, refs: dict | None, *, settings: Any, owner: dict | None = None,
    images: dict[str, Path] | None = None, tpl: Any = None, template_id: str = "",
) -> dict[str, Any]:
    """The context documented at the top of this module; ``template_id`` says which numbers the
    form prints in full (:data:`FULL_NUMBERS`)."""
    refs = refs or {}
    images = dict(images or {})
    cls = type(obj)
    mask = bool(getattr(settings, "mask_id_in_documents", True))
    photo_images = _PhotoImages(tpl, images)
    ctx: dict[str, Any] = {"doc": _view(obj, "doc", "", mask, photo_images, FULL_NUMBERS.get(template_id, frozenset()))}
    orgs = refs.get("organizations") or {}
    org_values: dict[str, Any] = {}
    for name in org_fields(cls):
        uscc = getattr(obj, name)
        if uscc is None:
            org_values[name] = Blank(f"org.{name}", "", f"记录未填写 {name} (the record names no organization here)")
        elif uscc not in orgs:
            org_values[name] = Blank(f"org.{name}", "", f"引用快照中没有单位 {uscc} (organization not in refs)")
        else:
            org_values[name] = _view(_load_ref(Organization, orgs[uscc], f"organizations/{uscc}"), f"org.{name}", "", mask)
    ctx["org"] = Record("org", type(None), org_values)
    code = getattr(obj, "project", None) if cls is not Project else None
    project: Any = Blank("project", "项目", "记录未关联项目 (the record names no project)")
    if isinstance(code, str) and code:
        enterprise = getattr(obj, "enterprise", None) or getattr(obj, "unit", None)
        projects = refs.get("projects") or {}
        key = f"{enterprise}/{code}"
        data = projects.get(key)
        if data is None:
            data = next((v for k, v in projects.items() if k.rsplit("/", 1)[-1] == code), None)
        if data is None:
            project = Blank("project", "项目", f"引用快照中没有项目 {code} (project not in refs)")
        else:
            project = _view(_load_ref(Project, data, f"projects/{key}"), "project", "", mask)
    ctx["project"] = project
    ctx["owner"] = (
        _view(_load_ref(Organization, owner, "owner"), "owner", "", mask) if owner
        else Blank("owner", "档案所有单位", "没有提供档案所有单位 (no owner given)")
    )
    ctx["settings"] = Record("settings", type(settings), {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)})
    ctx["calc"] = _view(_calc(obj, orgs), "calc", "", mask)
    roles: dict[str, Any] = {}
    for role in IMAGE_ROLES:
        if role in images:
            big = role.endswith("_seal")
            roles[role] = _image(tpl, images[role], 40 if big else 30, 40 if big else 14)
        else:
            roles[role] = Blank(f"images.{role}", "", "没有提供该图片 (no image given)")
    ctx["images"] = Record("images", type(None), roles)
    unknown = sorted(k for k in images if k not in IMAGE_ROLES and k not in photo_images.used)
    if unknown:
        raise TemplateError(
            f"不认识的图片：{', '.join(unknown)} (unknown image keys)",
            hint=f"give images by role ({', '.join(IMAGE_ROLES)}) or by a photo's `file` as written in the record",
        )
    return ctx


class _FontedImage:
    """docxtpl's InlineImage, but the runs it opens carry the East Asian font like every other run."""

    def __init__(self, tpl: Any, path: Path, width: Any) -> None:
        # lazy: python-docx/docxtpl (~90 ms to import) load with the first document, not with every command
        from docxtpl import InlineImage

        self._inner = InlineImage(tpl, str(path), width=width)

    def _xml(self) -> str:
        fonts = _rfonts_xml()
        xml = self._inner._insert_image()
        return xml.replace("<w:r><w:drawing>", f"<w:r><w:rPr>{fonts}</w:rPr><w:drawing>", 1).replace(
            '</w:drawing></w:r><w:r><w:t xml:space="preserve">',
            f'</w:drawing></w:r><w:r><w:rPr>{fonts}</w:rPr><w:t xml:space="preserve">', 1,
        )

    def __html__(self) -> str:
        return self._xml()

    __str__ = __html__


def _rfonts_xml(east: str = EAST_ASIAN_DEFAULT, latin: str = LATIN_DEFAULT) -> str:
    return f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{east}" w:cs="{latin}"/>'


def _image(tpl: Any, path: Path, max_w_mm: float, max_h_mm: float) -> Any:
    """An inline picture no larger than the box, keeping its proportions."""
    # lazy: python-docx/docxtpl (~90 ms to import) load with the first document, not with every command
    from docx.image.exceptions import UnrecognizedImageError
    from docx.image.image import Image
    from docx.shared import Mm

    path = Path(path)
    try:
        img = Image.from_file(str(path))
    except (OSError, UnrecognizedImageError) as e:
        raise TemplateError(f"图片无法读取 (cannot read image) {path}: {e}", hint="use a JPEG or PNG file") from e
    w = img.px_width / (img.horz_dpi or 72)
    h = img.px_height / (img.vert_dpi or 72)
    ratio = h / w if w else 1
    width = min(max_w_mm, max_h_mm / ratio if ratio else max_w_mm)
    if tpl is None:  # context built for inspection only
        return Markup("")
    return _FontedImage(tpl, path, Mm(width))
