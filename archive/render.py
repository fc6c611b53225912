"""Documents from records: docxtpl templates rendered in a Jinja sandbox, checked against the schemas.

    from archive.render import render_record, template_for, list_templates, check_templates

    out = render_record(obj, refs, settings=settings, owner=owner_json, images={"enterprise_seal": path})
    out.docx              # bytes of the .docx
    out.template_id       # e.g. "ticket_hot_work"
    out.template_version  # from doc_templates/templates.yaml
    out.template_sha256   # sha256 of the template file that was used

Templates live in ``doc_templates/`` (package data; ``templates.yaml`` says which record type each
serves). An archive may override any of them with a file of the same name in its own folder
(``<home>/templates``, e.g. a letterhead); an override is checked exactly like a packaged template,
before it is used.

Jinja runs in a ``SandboxedEnvironment`` with ``StrictUndefined`` and autoescape: data such as
``A&B<测试>公司``, ``{{7*7}}`` or ``{% if %}`` is printed literally, never evaluated, and an unknown
name is an error. A value that is empty (``None``) is a *blank*: printing it raises
:class:`TemplateError` naming the field — a template shows an optional field with ``|default("／")``
or inside ``{% if … %}``. Nothing blank ever reaches a signed document by accident.

The render context (what a template may name — ``outsafe templates check`` holds every template to
exactly this list):

``doc``
    The record: every field of its dataclass (``schemas/``), by field name; nested records and list
    items the same way (``{% for m in doc.measures %}{{ m.text }}{% endfor %}``). Dates stay dates
    (format them with the filters below); 身份证号 fields are masked (``3701**********1213``) when
    ``settings.mask_id_in_documents`` is on, and so is ID-shaped text anywhere else (certificate
    numbers are often the holder's ID). A ``Photo`` item has one extra attribute, ``image``: the
    picture itself (an InlineImage), taken from the ``images`` argument by the photo's ``file``.
``org``
    The organizations the record refers to, under the name of the field that holds the 统一社会信用代码:
    ``org.enterprise``, ``org.contractor``, ``org.bureau``, ``org.unit``, ``org.owner``,
    ``org.employer`` — only those the record type has — each with the fields of
    ``schemas.registry.Organization`` (``name``, ``address``, ``legal_representative`` …), from the
    ``refs`` snapshot. Blank when the field is empty or the organization is not in ``refs``.
``project``
    The referenced ``Project`` (its fields), from ``refs``; blank when the record names none.
``owner``
    The archive owner (an ``Organization``), from the ``owner`` argument; blank when not given.
``settings``
    The archive ``Settings`` (``review_days``, ``litigation_months``, ``region_abbr`` …).
``images``
    Seal and signature pictures by role — ``enterprise_seal``, ``contractor_seal``,
    ``authority_seal``, ``enterprise_signature``, ``contractor_signature``, ``unit_signature`` —
    from the ``images`` argument; blank when not given (the form then shows the printed seal box).
``calc``
    Values derived from the record (the ``*Calc`` dataclasses below): for every document ``title``
    (the document's name, e.g. 动火安全作业票) and ``doc_no`` (its number); for a
    责令限期整改指令书 ``deadline_groups`` (``items`` "1、3" + ``deadline``: the items due on the
    same day), ``major_items`` and ``review_authority`` (the 复议机关: the order's own field, else
    the 人民政府 at the bureau's level); for a 三级安全教育登记卡 ``total_hours``, ``trainee_sex``,
    ``trainee_birth`` (from the unmasked 身份证号).

Filters (each passes a blank through, so ``|default`` still works after it): ``cn_date``
(2026年4月30日), ``cn_datetime`` (2026年4月30日 8时30分), ``cn_time`` (8时30分), ``cn_short``
(4月30日 8时30分), ``money`` (120,000.00), ``rmb_upper`` (壹拾贰万元整), ``num`` (12.5),
``yesno`` (是/否), ``cn_num`` (三), ``cn_label`` (hot_work → 动火), ``unit`` (mg/m3 → mg/m³), ``strip_period`` / ``ensure_period`` (closing 。), ``breach`` (违反…的规定), ``choices("特级", "一级", "二级")`` (■特级　□一级　□二级),
``box("监护人")`` (the approval signed in that box of a ticket), ``show`` (any value as plain text;
a record as "标签：值；…"). A value printed without a filter is formatted the same way (dates the
Chinese way, booleans 是/否, lists joined with 、).

After rendering, every run of the document carries an East Asian font (``w:eastAsia``) and the zip
is written with fixed timestamps, so the same record and template give the same bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, ROUND_HALF_UP
from functools import cache
from importlib import resources
from pathlib import Path
import types
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import jinja2
import yaml
from jinja2 import StrictUndefined, Undefined, nodes
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from archive.errors import Problem, TemplateError
from schemas import TYPES, all_classes
from schemas.base import F, FieldInfo, field_infos, schema_for
from schemas.common import TICKET_TYPE_NAMES, Photo
from schemas.identifiers import check_uscc, id_birth_date, id_problems, id_sex, mask_id
from schemas.registry import Organization, Project
from schemas.tickets import TICKET_CLASSES, Approval, WorkTicket

__all__ = [
    "Rendered", "TemplateInfo", "render_record", "template_for", "list_templates", "check_templates",
    "check_template", "IMAGE_ROLES", "Calc", "OrderCalc", "TrainingCalc", "DeadlineGroup",
]

META_FILE = "templates.yaml"
IMAGE_ROLES = (
    "enterprise_seal", "contractor_seal", "authority_seal",
    "enterprise_signature", "contractor_signature", "unit_signature",
)
EAST_ASIAN_DEFAULT = "宋体"
LATIN_DEFAULT = "Times New Roman"
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


# --- results and metadata ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    docx: bytes
    template_id: str
    template_version: str
    template_sha256: str


@dataclass(frozen=True)
class TemplateInfo:
    """One template: which record type (and ticket type) it serves, its version and file."""

    id: str
    file: str
    type: str
    version: str
    title: str
    path: Path
    ticket_type: str | None = None
    source: str = "package"  # "package" | "override"
    not_shown: tuple[tuple[str, str], ...] = ()  # (field, reason): required fields the form omits on purpose

    @property
    def record_class(self) -> type:
        if self.type == "work_ticket":
            return TICKET_CLASSES[self.ticket_type or ""]
        return TYPES[self.type]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def as_dict(self) -> dict:
        return {
            "id": self.id, "file": self.file, "type": self.type, "ticket_type": self.ticket_type,
            "version": self.version, "title": self.title, "source": self.source, "path": str(self.path),
            "sha256": self.sha256,
        }


def package_dir() -> Path:
    return Path(str(resources.files("doc_templates")))


def _read_meta(directory: Path, source: str) -> tuple[list[TemplateInfo], list[Problem]]:
    """Entries of ``directory/templates.yaml`` (none when the file is absent)."""
    meta = directory / META_FILE
    if not meta.is_file():
        return [], []
    try:
        doc = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        return [], [Problem("", f"无法读取模板清单 (cannot read the template list): {e}", file=str(meta))]
    out, problems = [], []
    for i, entry in enumerate(doc.get("templates") or []):
        where = f"templates[{i}]"
        if not isinstance(entry, dict):
            problems.append(Problem(where, "应为对象 (expected a mapping)", file=str(meta)))
            continue
        missing = [k for k in ("id", "file", "type", "version") if not entry.get(k)]
        if missing:
            problems.append(Problem(where, f"缺少 {', '.join(missing)} (missing keys)", file=str(meta)))
            continue
        t, tt = entry["type"], entry.get("ticket_type")
        if t not in TYPES or (t == "work_ticket") != bool(tt) or (tt and tt not in TICKET_CLASSES):
            problems.append(Problem(where, f"未知的文书类型 {t}/{tt} (unknown record type)", file=str(meta)))
            continue
        not_shown = tuple((str(k), str(v)) for k, v in (entry.get("not_shown") or {}).items())
        out.append(TemplateInfo(
            id=str(entry["id"]), file=str(entry["file"]), type=t, ticket_type=tt, version=str(entry["version"]),
            title=str(entry.get("title") or entry["id"]), path=directory / str(entry["file"]), source=source,
            not_shown=not_shown,
        ))
    return out, problems


@cache
def _package_templates() -> tuple[TemplateInfo, ...]:
    infos, problems = _read_meta(package_dir(), "package")
    if problems:
        raise TemplateError("模板清单有误 (the packaged template list is broken): " + "; ".join(p.line() for p in problems))
    return tuple(infos)


def _effective(template_dir: Path | None) -> tuple[list[TemplateInfo], list[Problem]]:
    """The packaged templates, each replaced by the override in ``template_dir`` where there is one.

    An override is a file of the same name in ``template_dir``; a ``templates.yaml`` there may
    also give it its own version (and add templates for types by id)."""
    base = {t.id: t for t in _package_templates()}
    if template_dir is None:
        return list(base.values()), []
    template_dir = Path(template_dir)
    own, problems = _read_meta(template_dir, "override")
    own_ids = {t.id for t in own}
    out = []
    for t in base.values():
        if t.id in own_ids:
            continue
        p = template_dir / t.file
        if p.is_file():
            t = dataclasses.replace(t, path=p, source="override", version=f"{t.version}+local")
        out.append(t)
    out.extend(own)
    known = {t.file for t in out} | {t.file for t in base.values()}
    for p in sorted(template_dir.glob("*.docx")):
        if p.name not in known and not p.name.startswith("~$"):
            problems.append(Problem("", "未登记的模板文件：文件名须与某个模板相同，或登记在 templates.yaml 中 "
                                        "(unknown template file: name it like a packaged template or list it in templates.yaml)", file=str(p)))
    return out, problems


def list_templates(template_dir: Path | None = None) -> list[TemplateInfo]:
    """Every template in use: packaged, or the override from ``template_dir``."""
    return _effective(template_dir)[0]


def _class_key(cls: type) -> tuple[str, str | None]:
    if issubclass(cls, WorkTicket):
        tt = next(k for k, v in TICKET_CLASSES.items() if v is cls)
        return "work_ticket", tt
    return cls.__case__.type, None


def template_for(obj: Any, *, template_dir: Path | None = None) -> TemplateInfo:
    """The template that renders ``obj`` (an override from ``template_dir`` if there is one)."""
    cls = obj if isinstance(obj, type) else type(obj)
    key = _class_key(cls)
    for t in list_templates(template_dir):
        if (t.type, t.ticket_type) == key:
            return t
    raise TemplateError(f"没有 {key[0]}{'/' + key[1] if key[1] else ''} 的模板 (no template for this record type)")


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


def _view(value: Any, path: str, label: str, mask: bool, extra: Callable[[Any, str], dict] | None = None) -> Any:
    """Turn a loaded value into what templates see (Records, lists, Blanks, masked text)."""
    if value is None:
        return Blank(path, label)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        values: dict[str, Any] = {}
        for info in field_infos(cls):
            sub = f"{path}.{info.name}"
            v = getattr(value, info.name)
            if info.spec.sensitive == "id_number" and isinstance(v, str) and mask:
                v = mask_id(v)
            values[info.name] = _view(v, sub, info.spec.label, mask, extra)
        if extra is not None:
            values.update(extra(value, path))
        return Record(path, cls, values)
    if isinstance(value, tuple | list):
        return [_view(v, f"{path}[{i}]", label, mask, extra) for i, v in enumerate(value)]
    if isinstance(value, str):
        bad = _XML_BAD.search(value)
        if bad:
            raise TemplateError(
                f"{path}{'（' + label + '）' if label else ''} 含有不能写入文书的控制字符 U+{ord(bad.group()):04X} "
                f"(control character cannot go into a document)",
                hint="remove the character from the case file",
            )
        if mask:
            from archive.privacy import mask_text

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


def document_title(cls: type) -> str:
    if issubclass(cls, WorkTicket):
        tt = _class_key(cls)[1]
        return "爆破作业许可单" if tt == "blasting" else f"{TICKET_TYPE_NAMES[tt]}安全作业票"
    return cls.__case__.label


def calc_class(cls: type) -> type:
    name = cls.__case__.type
    return {"rectification_order": OrderCalc, "training_record": TrainingCalc}.get(name, Calc)


def review_authority_of(authority_name: str | None) -> str | None:
    """The 行政复议机关 of a district bureau: the 人民政府 at its own level (行政复议法 2023 第24条):
    "XX市XX区应急管理局" → "XX市XX区人民政府"."""
    if not authority_name:
        return None
    for suffix in ("应急管理局", "应急局"):
        if authority_name.endswith(suffix) and len(authority_name) > len(suffix):
            return authority_name[: -len(suffix)] + "人民政府"
    return None


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
    return Calc(**common)


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
    hints = get_type_hints(cls, include_extras=True)
    return tuple(f.name for f in dataclasses.fields(cls) if _holds_uscc(hints[f.name]))


class _PhotoImages:
    """Adds ``image`` to Photo records, from the ``images`` argument by the photo's file."""

    def __init__(self, tpl: Any, images: dict[str, Path]) -> None:
        self.tpl = tpl
        self.images = images
        self.used: set[str] = set()

    def __call__(self, value: Any, path: str) -> dict:
        if not isinstance(value, Photo):
            return {}
        key = value.file if value.file in self.images else Path(value.file).name
        if key not in self.images:
            return {"image": Blank(f"{path}.image", "照片", f"没有提供照片文件 {value.file} (photo file not supplied)")}
        self.used.add(key)
        return {"image": _image(self.tpl, self.images[key], 80, 62)}


def build_context(
    obj: Any, refs: dict | None, *, settings: Any, owner: dict | None = None,
    images: dict[str, Path] | None = None, tpl: Any = None,
) -> dict[str, Any]:
    """The context documented at the top of this module."""
    refs = refs or {}
    images = dict(images or {})
    cls = type(obj)
    mask = bool(getattr(settings, "mask_id_in_documents", True))
    photo_images = _PhotoImages(tpl, images)
    ctx: dict[str, Any] = {"doc": _view(obj, "doc", "", mask, photo_images)}
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


# --- the Jinja environment -----------------------------------------------------------------------------


def _blank_safe(fn: Callable) -> Callable:
    def wrapper(value: Any, *args: Any, **kw: Any) -> Any:
        if isinstance(value, Blank | Undefined):
            return value
        return fn(value, *args, **kw)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _num_text(x: Any) -> str:
    if isinstance(x, bool):
        return "是" if x else "否"
    if isinstance(x, int):
        return str(x)
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x)))
    s = format(d.normalize(), "f")
    return s


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def cn_time(d: datetime) -> str:
    return f"{d.hour}时{d.minute:02d}分"


def cn_datetime(d: datetime) -> str:
    if not isinstance(d, datetime):
        return cn_date(d)
    return f"{cn_date(d)} {cn_time(d)}"


def cn_short(d: datetime) -> str:
    return f"{d.month}月{d.day}日 {cn_time(d)}" if isinstance(d, datetime) else f"{d.month}月{d.day}日"


def money(x: Any) -> str:
    d = Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{d:,.2f}"


_CN_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CN_UNITS = ["", "拾", "佰", "仟"]
_CN_SECTIONS = ["", "万", "亿", "万亿"]


def rmb_upper(x: Any) -> str:
    """人民币大写金额: 120000 → 壹拾贰万元整; 1024.5 → 壹仟零贰拾肆元伍角."""
    d = Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if d < 0:
        return "负" + rmb_upper(-d)
    yuan = int(d)
    jiao, fen = int(d * 10) % 10, int(d * 100) % 10
    if yuan == 0:
        head = ""
    else:
        sections = []
        n = yuan
        while n:
            sections.append(n % 10000)
            n //= 10000
        parts: list[str] = []
        zero_pending = False
        for si in range(len(sections) - 1, -1, -1):
            sec = sections[si]
            if sec == 0:
                zero_pending = bool(parts)
                continue
            digits = [sec // 1000 % 10, sec // 100 % 10, sec // 10 % 10, sec % 10]
            text = ""
            started = False
            for di, dgt in enumerate(digits):
                unit = _CN_UNITS[3 - di]
                if dgt == 0:
                    if started or parts:
                        zero_pending = True
                    continue
                if zero_pending and (started or parts):
                    text += "零"
                zero_pending = False
                text += _CN_DIGITS[dgt] + unit
                started = True
            parts.append(text + _CN_SECTIONS[si])
        head = "".join(parts) + "元"
    if jiao == 0 and fen == 0:
        return (head or "零元") + "整"
    tail = ""
    if jiao:
        tail += _CN_DIGITS[jiao] + "角"
    elif head:
        tail += "零"
    if fen:
        tail += _CN_DIGITS[fen] + "分"
    return head + tail


_CN_NUM = "零一二三四五六七八九"


def cn_num(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九."""
    n = int(n)
    if n < 10:
        return _CN_NUM[n]
    if n < 20:
        return "十" + (_CN_NUM[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_NUM[n // 10] + "十" + (_CN_NUM[n % 10] if n % 10 else "")
    return str(n)


def show(value: Any) -> str:
    """Any value as plain text; a blank as ／; a record as 标签：值；…"""
    if isinstance(value, Blank) or value is None:
        return "／"
    if isinstance(value, Record):
        parts = []
        for info in field_infos(value._cls) if dataclasses.is_dataclass(value._cls) else ():
            v = value._values.get(info.name)
            if isinstance(v, Blank) or v in ((), []):
                continue
            parts.append(f"{info.spec.label or info.name}：{show(v)}")
        return "；".join(parts) or "／"
    if isinstance(value, list | tuple):
        return "、".join(show(v) for v in value) if value else "／"
    return to_text(value)


def to_text(value: Any) -> str:
    if isinstance(value, datetime):
        return cn_datetime(value)
    if isinstance(value, date):
        return cn_date(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        return _num_text(value)
    if isinstance(value, list | tuple):
        return "、".join(to_text(v) for v in value)
    return str(value)


CODE_LABELS: dict[str, str] = {
    **TICKET_TYPE_NAMES,
    "enterprise": "发包单位", "contractor": "承包单位", "bureau": "应急管理局",
}
UNITS = {"mg/m3": "mg/m³", "%LEL": "%LEL", "%": "%", "ppm": "ppm"}


def cn_label(value: Any) -> str:
    """Chinese names for coded values (ticket types, organization roles); lists joined with 、."""
    if isinstance(value, list | tuple):
        return "、".join(cn_label(v) for v in value) if value else "／"
    return CODE_LABELS.get(value, to_text(value))


_END = "。；;，,.！!？?"


def strip_period(value: Any) -> str:
    """Text without its closing punctuation, to continue the sentence: "…标志。" → "…标志"."""
    return to_text(value).rstrip().rstrip(_END)


def ensure_period(value: Any) -> str:
    """Text that ends a sentence exactly once: "…完成" → "…完成。"; "…完成。" stays."""
    text = to_text(value).rstrip()
    return text if text.endswith(tuple("。！？!?：:")) else strip_period(text) + "。"


def breach(value: Any) -> str:
    """"违反X的规定" for a cited provision X (without doubling a "…的规定" already there)."""
    text = strip_period(value)
    return f"违反{text}" if text.endswith("规定") else f"违反{text}的规定"


def unit(value: Any) -> str:
    return UNITS.get(value, to_text(value))


def choices(value: Any, *options: str) -> str:
    return "　".join(("■" if value == o else "□") + o for o in options)


def box(approvals: Any, name: str) -> Any:
    """The approval signed in box ``name`` (e.g. 监护人) of a ticket, or a blank."""
    for a in approvals or ():
        if isinstance(a, Record) and a._values.get("box") == name:
            return a
    return Blank(f"doc.approvals[box={name}]", f"“{name}”意见栏", f"作业票没有“{name}”栏的签字 (no signature in that box)")


def _default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    if isinstance(value, Blank | Undefined) or value is None:
        return default_value
    if boolean and not value:
        return default_value
    return value


_DOCXTPL_MARKER = re.compile(r"\{_\{|\}_\}|\{_%|%_\}")


def _finalize(value: Any) -> Any:
    if isinstance(value, Blank):
        raise value.error()
    if value is None:
        raise TemplateError("模板输出了空值 (the template printed an empty value)")
    if isinstance(value, Record):
        raise TemplateError(f"模板直接输出了记录 {value._path}，应输出它的字段 (print a field, not the whole record)")
    if isinstance(value, Undefined):
        return value
    if hasattr(value, "__html__") and not isinstance(value, Markup):
        return value  # a picture: raw XML
    text = value if isinstance(value, Markup) else escape(to_text(value))
    if "_" in text:
        # docxtpl turns "{_{" into "{{" after rendering: keep such data literal
        text = Markup(_DOCXTPL_MARKER.sub(lambda m: m.group(0).replace("_", "&#95;"), str(text)))
    return text


class _Strict(StrictUndefined):
    """StrictUndefined whose message names the field by its path in the context."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if isinstance(obj, Record):
            return f"{obj._path}.{name} 不存在 (no such field)"
        if obj is jinja2.utils.missing:
            return f"{name} 未定义 (undefined name)"
        return super()._undefined_message


def _none_test(value: Any) -> bool:
    return value is None or isinstance(value, Blank)


FILTERS: dict[str, Callable] = {
    "cn_date": _blank_safe(cn_date),
    "cn_datetime": _blank_safe(cn_datetime),
    "cn_time": _blank_safe(cn_time),
    "cn_short": _blank_safe(cn_short),
    "money": _blank_safe(money),
    "rmb_upper": _blank_safe(rmb_upper),
    "num": _blank_safe(_num_text),
    "yesno": _blank_safe(lambda v: "是" if v else "否"),
    "cn_num": _blank_safe(cn_num),
    "choices": choices,
    "cn_label": _blank_safe(cn_label),
    "unit": _blank_safe(unit),
    "strip_period": _blank_safe(strip_period),
    "ensure_period": _blank_safe(ensure_period),
    "breach": _blank_safe(breach),
    "box": box,
    "show": show,
    "default": _default,
    "d": _default,
}


def make_env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, undefined=_Strict, finalize=_finalize, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    env.tests["none"] = _none_test
    env.tests["blank"] = _none_test
    return env


# --- rendering ----------------------------------------------------------------------------------------------


def render_record(
    obj: Any,
    refs: dict,
    *,
    settings: Any,
    owner: dict | None = None,
    images: dict[str, Path] | None = None,
    template_dir: Path | None = None,
) -> Rendered:
    """Render ``obj`` with its template; TemplateError when the template or the data falls short."""
    from docxtpl import DocxTemplate

    info = template_for(obj, template_dir=template_dir)
    try:
        blob = info.path.read_bytes()
    except OSError as e:
        raise TemplateError(f"模板文件无法读取 (cannot read template) {info.path}: {e.strerror}") from e
    digest = hashlib.sha256(blob).hexdigest()
    errors = [p for p in _checked(info, digest) if p.severity == "error"]
    if errors:
        raise TemplateError(
            f"模板 {info.id} 未通过检查 (template fails its check):\n" + "\n".join("  " + p.line() for p in errors),
            hint="run `outsafe templates check` on the template folder",
        )
    tpl = DocxTemplate(io.BytesIO(blob))
    tpl.render_init()
    context = build_context(obj, refs, settings=settings, owner=owner, images=images, tpl=tpl)
    try:
        tpl.render(context, jinja_env=make_env(), autoescape=True)
        docx = _save(tpl)
    except TemplateError:
        raise
    except jinja2.TemplateError as e:
        raise TemplateError(f"模板 {info.id} 渲染失败 (rendering failed): {e.message or e}") from e
    except Exception as e:  # docxtpl / python-docx / lxml failures on a broken template
        raise TemplateError(f"模板 {info.id} 渲染失败 (rendering failed): {type(e).__name__}: {e}") from e
    return Rendered(docx=docx, template_id=info.id, template_version=info.version, template_sha256=digest)


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STORY = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")


def _save(tpl: Any) -> bytes:
    """The rendered package as .docx bytes, written once: fixed zip timestamps (the same record and
    template give the same bytes) and every run with an East Asian font (a safety net: docxtpl's
    own runs, e.g. around pictures, carry none).

    What ``DocxTemplate.save`` does minus its picture/zip-name replacement hooks, which outsafe
    does not use; the content-types item comes from python-docx's own writer."""
    from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
    from docx.opc.pkgwriter import _ContentTypesItem

    package = tpl.docx.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:

        def put(name: str, blob: bytes) -> None:
            zi = zipfile.ZipInfo(name, ZIP_TIME)
            media = name.startswith("word/media/") and name.lower().endswith((".png", ".jpg", ".jpeg"))
            zi.compress_type = zipfile.ZIP_STORED if media else zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, blob)

        put(CONTENT_TYPES_URI.membername, _ContentTypesItem.from_parts(parts).blob)
        put(PACKAGE_URI.rels_uri.membername, package.rels.xml)
        for part in parts:
            name = part.partname.membername
            blob = part.blob
            if _STORY.match(name):
                blob = ensure_east_asian_fonts(blob)
            put(name, blob)
            if len(part.rels):
                put(part.partname.rels_uri.membername, part.rels.xml)
    return out.getvalue()


_RUN_START = re.compile(rb"<w:r(?=[ >])[^>]*>")


def _all_runs_fonted(xml: bytes) -> bool:
    """Quick scan: does every run open with rPr holding an rFonts with w:eastAsia?"""
    for m in _RUN_START.finditer(xml):
        if not xml.startswith(b"<w:rPr>", m.end()):
            return False
        end = xml.find(b"</w:rPr>", m.end())
        if end < 0 or xml.find(b"w:eastAsia=", m.end(), end) < 0:
            return False
    return True


def ensure_east_asian_fonts(xml: bytes) -> bytes:
    from lxml import etree

    if _all_runs_fonted(xml):
        return xml
    root = etree.fromstring(xml)
    changed = False
    for r in root.iter(f"{{{_W}}}r"):
        rpr = r.find(f"{{{_W}}}rPr")
        if rpr is None:
            rpr = etree.SubElement(r, f"{{{_W}}}rPr")
            r.insert(0, rpr)
        fonts = rpr.find(f"{{{_W}}}rFonts")
        if fonts is None:
            fonts = etree.Element(f"{{{_W}}}rFonts")
            rpr.insert(1 if rpr.find(f"{{{_W}}}rStyle") is not None else 0, fonts)
        if fonts.get(f"{{{_W}}}eastAsia") is None:
            fonts.set(f"{{{_W}}}eastAsia", EAST_ASIAN_DEFAULT)
            changed = True
        for attr in ("ascii", "hAnsi"):
            if fonts.get(f"{{{_W}}}{attr}") is None and fonts.get(f"{{{_W}}}{attr}Theme") is None:
                fonts.set(f"{{{_W}}}{attr}", LATIN_DEFAULT)
                changed = True
    if not changed:
        return xml
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- the template check --------------------------------------------------------------------------------------


class _T:
    """A type the check knows about."""


@dataclass(frozen=True)
class _Any(_T):
    pass


@dataclass(frozen=True)
class _Scalar(_T):
    pass


@dataclass(frozen=True)
class _DC(_T):
    cls: type
    path: str | None  # where under ``doc`` this record sits ("measures[]"); None when not under doc


@dataclass(frozen=True)
class _List(_T):
    item: _T


@dataclass(frozen=True)
class _NS(_T):
    name: str
    members: tuple[tuple[str, _T], ...]
    track: bool = False  # accessing a member counts as using the doc field of that name


ANY, SCALAR = _Any(), _Scalar()
VIRTUAL: dict[type, dict[str, _T]] = {Photo: {"image": ANY}}
JINJA_GLOBALS = {"range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop"}
LIST_PASS = {"sort", "reverse", "list", "unique", "selectattr", "rejectattr", "batch", "slice"}
ITEM_OF = {"first", "last", "random", "box"}


def _is_dc(t: Any) -> bool:
    return isinstance(t, type) and dataclasses.is_dataclass(t)


def _field_type(info: FieldInfo, path: str | None) -> _T:
    target = info.item if info.is_list else info.type
    if _is_dc(target):
        inner: _T = _DC(target, None if path is None else path + ("[]" if info.is_list else ""))
    else:
        inner = SCALAR
    return _List(inner) if info.is_list else inner


def context_types(cls: type) -> dict[str, _T]:
    """The names a template for ``cls`` may use, with their types (mirrors :func:`build_context`)."""
    from archive.settings import Settings

    return {
        "doc": _DC(cls, ""),
        "org": _NS("org", tuple((n, _DC(Organization, None)) for n in org_fields(cls)), track=True),
        "project": _DC(Project, None),
        "owner": _DC(Organization, None),
        "settings": _DC(Settings, None),
        "calc": _DC(calc_class(cls), None),
        "images": _NS("images", tuple((r, ANY) for r in IMAGE_ROLES)),
    }


class _Checker:
    def __init__(self, cls: type, where: str, env: SandboxedEnvironment, source: str = "") -> None:
        self.cls = cls
        self.where = where
        self.env = env
        self.lines = source.split("\n")
        self.problems: list[Problem] = []
        self.used: set[str] = set()

    # -- helpers
    def problem(self, node: nodes.Node, path: str, message: str) -> None:
        line = getattr(node, "lineno", None)
        where = ""
        if line and 0 < line <= len(self.lines):
            text = re.sub(r"<[^>]+>", "", self.lines[line - 1]).strip()
            where = f" [模板文字 template text: “{text[:40]}{'…' if len(text) > 40 else ''}”]" if text else ""
        self.problems.append(Problem(path, message + where, file=self.where))

    def use(self, path: str | None) -> None:
        if path is not None and path != "":
            self.used.add(path)

    def use_all(self, t: _T) -> None:
        """``show`` prints a whole record: every field of it counts as used."""
        if isinstance(t, _List):
            self.use_all(t.item)
        elif isinstance(t, _DC) and t.path is not None:
            for info in field_infos(t.cls):
                p = f"{t.path}.{info.name}" if t.path else info.name
                self.use(p)
                self.use_all(_field_type(info, p))

    def attr(self, t: _T, name: str, node: nodes.Node, shown: str) -> _T:
        if isinstance(t, _Any | _Scalar):
            return ANY
        if isinstance(t, _DC):
            infos = {i.name: i for i in field_infos(t.cls)}
            info = infos.get(name)
            if info is not None:
                p = None if t.path is None else (f"{t.path}.{name}" if t.path else name)
                self.use(p)
                for derived in _derived_from(t.cls, name):
                    self.use(derived)
                return _field_type(info, p)
            if name in VIRTUAL.get(t.cls, {}):
                return VIRTUAL[t.cls][name]
            self.problem(node, shown, f"{t.cls.__name__} 没有字段 {name} (unknown field)")
            return ANY
        if isinstance(t, _NS):
            members = dict(t.members)
            if name in members:
                if t.track:
                    self.use(name)
                return members[name]
            self.problem(node, shown, f"{t.name} 没有 {name}；可用 (available): {', '.join(members) or '无 none'}")
            return ANY
        if isinstance(t, _List):
            self.problem(node, shown, f"列表没有属性 {name}，请用 for 循环 (a list has no attribute {name}; loop over it)")
            return ANY
        return ANY

    # -- expressions
    def expr(self, node: nodes.Node, scope: dict[str, _T]) -> _T:
        if isinstance(node, nodes.Name):
            if node.ctx != "load":
                return ANY
            if node.name in scope:
                return scope[node.name]
            if node.name in JINJA_GLOBALS:
                return ANY
            self.problem(node, node.name, f"未知的名称 {node.name}；可用 (available): doc, org, project, owner, settings, images, calc")
            return ANY
        if isinstance(node, nodes.Getattr):
            base = self.expr(node.node, scope)
            return self.attr(base, node.attr, node, _dotted(node))
        if isinstance(node, nodes.Getitem):
            base = self.expr(node.node, scope)
            arg = node.arg
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                return self.attr(base, arg.value, node, _dotted(node))
            self.expr(arg, scope)
            if isinstance(base, _List):
                return base.item
            return ANY
        if isinstance(node, nodes.Filter):
            base = self.expr(node.node, scope) if node.node is not None else ANY
            return self.filter(node, base, scope)
        if isinstance(node, nodes.Test):
            self.expr(node.node, scope)
            for a in list(node.args) + [k.value for k in node.kwargs]:
                self.expr(a, scope)
            if node.name not in self.env.tests:
                self.problem(node, node.name, f"未知的测试 {node.name} (unknown test)")
            return SCALAR
        if isinstance(node, nodes.CondExpr):
            self.expr(node.test, scope)
            a = self.expr(node.expr1, scope)
            b = self.expr(node.expr2, scope) if node.expr2 is not None else ANY
            return a if a == b else ANY
        for child in node.iter_child_nodes():
            self.expr(child, scope)
        return SCALAR if isinstance(node, nodes.Const | nodes.TemplateData) else ANY

    def filter(self, node: nodes.Filter, base: _T, scope: dict[str, _T]) -> _T:
        name = node.name
        for a in list(node.args) + [k.value for k in node.kwargs]:
            self.expr(a, scope)
        if name not in self.env.filters:
            self.problem(node, name, f"未知的过滤器 {name} (unknown filter)")
            return ANY
        kwargs = {k.key: k.value for k in node.kwargs}
        attribute = kwargs.get("attribute")
        if name in ("selectattr", "rejectattr") and node.args:
            attribute = node.args[0]
        if isinstance(attribute, nodes.Const) and isinstance(attribute.value, str) and isinstance(base, _List):
            t: _T = base.item
            for part in attribute.value.split("."):
                t = self.attr(t, part, node, f"{_dotted(node.node)}[].{attribute.value}")
            if name == "map":
                return _List(t)
        if name == "box":
            if node.args and isinstance(node.args[0], nodes.Const):
                choices_ = _approval_boxes()
                if node.args[0].value not in choices_:
                    self.problem(node, f"box({node.args[0].value!r})", f"没有名为 {node.args[0].value} 的意见栏；可用: {'、'.join(choices_)}")
            if isinstance(base, _List) and isinstance(base.item, _DC) and base.item.path is not None:
                self.use(f"{base.item.path}.box")
        if name == "show":
            self.use_all(base)
            return SCALAR
        if name in ("default", "d"):
            return base
        if name in LIST_PASS:
            return base if isinstance(base, _List) else ANY
        if name in ITEM_OF:
            return base.item if isinstance(base, _List) else ANY
        return SCALAR

    # -- statements
    def bind(self, target: nodes.Node, t: _T, scope: dict[str, _T]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = t
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self.bind(item, ANY, scope)

    def body(self, stmts: Iterable[nodes.Node], scope: dict[str, _T]) -> None:
        for s in stmts:
            self.stmt(s, scope)

    def stmt(self, node: nodes.Node, scope: dict[str, _T]) -> None:
        if isinstance(node, nodes.Output):
            for n in node.nodes:
                self.expr(n, scope)
        elif isinstance(node, nodes.For):
            t = self.expr(node.iter, scope)
            inner = dict(scope)
            if isinstance(t, _List):
                item = t.item
            else:
                if isinstance(t, _DC | _NS | _Scalar) and not isinstance(node.iter, nodes.Call):
                    self.problem(node, _dotted(node.iter), "不能对非列表的值做循环 (loop over something that is not a list)")
                item = ANY
            self.bind(node.target, item, inner)
            inner["loop"] = ANY
            if node.test is not None:
                self.expr(node.test, inner)
            self.body(node.body, inner)
            self.body(node.else_, scope)
        elif isinstance(node, nodes.If):
            self.expr(node.test, scope)
            self.body(node.body, scope)
            for elif_ in node.elif_:
                self.stmt(elif_, scope)
            self.body(node.else_, scope)
        elif isinstance(node, nodes.Assign):
            t = self.expr(node.node, scope)
            if isinstance(node.target, nodes.NSRef):
                if node.target.name not in scope:
                    self.problem(node, node.target.name, f"未知的名称 {node.target.name}")
            else:
                self.bind(node.target, t, scope)
        elif isinstance(node, nodes.AssignBlock):
            self.body(node.body, scope)
            if node.filter is not None:
                self.filter(node.filter, SCALAR, scope)
            self.bind(node.target, SCALAR, scope)
        elif isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values):
                self.bind(target, self.expr(value, scope), inner)
            self.body(node.body, inner)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            inner = dict(scope)
            for arg in node.args:
                self.bind(arg, ANY, inner)
            for d in node.defaults:
                self.expr(d, scope)
            inner.update({"caller": ANY, "varargs": ANY, "kwargs": ANY})
            if isinstance(node, nodes.CallBlock):
                self.expr(node.call, scope)
            else:
                scope[node.name] = ANY
            self.body(node.body, inner)
        elif isinstance(node, nodes.FilterBlock):
            self.body(node.body, scope)
            self.filter(node.filter, SCALAR, scope)
        elif isinstance(node, nodes.Extends | nodes.Include | nodes.Import | nodes.FromImport):
            self.problem(node, type(node).__name__.lower(), "文书模板不能引用其他模板 (templates may not include or extend others)")
        elif isinstance(node, nodes.ExprStmt):
            self.expr(node.node, scope)
        elif isinstance(node, nodes.Scope | nodes.ScopedEvalContextModifier | nodes.EvalContextModifier | nodes.Block):
            self.body(node.body, dict(scope) if isinstance(node, nodes.Scope) else scope)
        else:
            for child in node.iter_child_nodes():
                if isinstance(child, nodes.Stmt):
                    self.stmt(child, scope)
                else:
                    self.expr(child, scope)


@cache
def _derived_from(cls: type, name: str) -> tuple[str, ...]:
    for f in dataclasses.fields(cls):
        if f.name == name:
            return tuple(f.metadata.get("from", ()))
    return ()


@cache
def _approval_boxes() -> tuple[str, ...]:
    info = next(i for i in field_infos(Approval) if i.name == "box")
    return tuple(get_args(info.type))


def _dotted(node: nodes.Node | None) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        arg = node.arg.value if isinstance(node.arg, nodes.Const) else "…"
        return f"{_dotted(node.node)}[{arg!r}]"
    if isinstance(node, nodes.Filter):
        return f"{_dotted(node.node)}|{node.name}"
    return type(node).__name__ if node is not None else ""


def template_sources(path: Path) -> list[tuple[str, str]]:
    """(part name, Jinja source as docxtpl will see it) for every XML part of a .docx that holds tags."""
    from docxtpl import DocxTemplate

    patcher = DocxTemplate.__new__(DocxTemplate)  # patch_xml needs no state
    out = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if not name.endswith(".xml"):
                continue
            text = z.read(name).decode("utf-8", errors="replace")
            if "{" not in text:
                continue
            if not any(tag in text for tag in ("{{", "{%", "{#")) and not re.search(r"\{<[^>]*>+[{%#]", text):
                continue
            # as DocxTemplate.render_xml_part does: one line per paragraph (Jinja line numbers)
            out.append((name, re.sub(r"<w:p([ >])", r"\n<w:p\1", patcher.patch_xml(text))))
    return out


def _run_fonts_problems(path: Path, where: str) -> list[Problem]:
    """Runs without an East Asian font (the typography rule: every run sets w:eastAsia)."""
    from lxml import etree

    problems = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if not _STORY.match(name):
                continue
            root = etree.fromstring(z.read(name))
            bare = 0
            for r in root.iter(f"{{{_W}}}r"):
                fonts = r.find(f"{{{_W}}}rPr/{{{_W}}}rFonts")
                if fonts is None or fonts.get(f"{{{_W}}}eastAsia") is None:
                    bare += 1
            if bare:
                problems.append(Problem(name, f"{bare} 个文字块没有设置中文字体 w:eastAsia (runs without an East Asian font)",
                                        file=where, severity="warning"))
    return problems


def _check_file(info: TemplateInfo) -> tuple[list[Problem], set[str]]:
    """Names and loops of one template against its schema; (problems, fields used)."""
    where = str(info.path)
    if not info.path.is_file():
        return [Problem("", "模板文件不存在 (template file missing)", file=where)], set()
    try:
        sources = template_sources(info.path)
    except (zipfile.BadZipFile, OSError, KeyError) as e:
        return [Problem("", f"不是有效的 .docx 文件 (not a valid .docx): {e}", file=where)], set()
    env = make_env()
    problems: list[Problem] = []
    used: set[str] = set()
    cls = info.record_class
    for part, source in sources:
        checker = _Checker(cls, where, env, source)
        try:
            ast = env.parse(source)
        except jinja2.TemplateSyntaxError as e:
            problems.append(Problem(part, f"模板语法错误 (template syntax error): {e.message}", file=where))
            continue
        checker.body(ast.body, dict(context_types(cls)))
        problems.extend(dataclasses.replace(p, path=f"{part}: {p.path}" if part != "word/document.xml" else p.path)
                        for p in checker.problems)
        used |= checker.used
    try:
        problems.extend(_run_fonts_problems(info.path, where))
    except Exception as e:  # malformed XML part
        problems.append(Problem("", f"XML 无法解析 (cannot parse the document XML): {e}", file=where))
    return problems, used


def _missing_required(cls: type, used: set[str], exempt: set[str], prefix: str = "") -> list[str]:
    out = []
    for info in field_infos(cls):
        p = prefix + info.name
        target = info.item if info.is_list else info.type
        if p in exempt:
            continue
        if info.required and p not in used:
            out.append(p)
            continue
        if _is_dc(target) and p in used:
            out += _missing_required(target, used, exempt, p + ("[]." if info.is_list else "."))
    return out


def _coverage_problems(cls: type, templates: list[TemplateInfo], used: set[str]) -> list[Problem]:
    exempt = {k for t in templates for k, _ in t.not_shown}
    where = ", ".join(str(t.path) for t in templates)
    out = []
    for p in _missing_required(cls, used, exempt):
        label = _label_of(cls, p)
        out.append(Problem(f"doc.{p}", f"必填字段{('“' + label + '”') if label else ''}没有出现在 {cls.__name__} 的任何模板中 "
                                        f"(required field shown by no template for this type)", file=where))
    return out


def _label_of(cls: type, path: str) -> str:
    current: Any = cls
    label = ""
    for part in path.replace("[]", "").split("."):
        if not _is_dc(current):
            return label
        info = next((i for i in field_infos(current) if i.name == part), None)
        if info is None:
            return ""
        label = info.spec.label
        current = info.item if info.is_list else info.type
    return label


_CHECKED: dict[tuple[str, str, str], list[Problem]] = {}


def _checked(info: TemplateInfo, digest: str) -> list[Problem]:
    """A template's problems (its names, and the required fields of its type), cached by content."""
    key = (info.id, str(info.path), digest)
    if key not in _CHECKED:
        _CHECKED[key] = check_template(info)
    return _CHECKED[key]


def check_template(info: TemplateInfo) -> list[Problem]:
    problems, used = _check_file(info)
    if not any(p.severity == "error" and p.path == "" for p in problems):
        problems += _coverage_problems(info.record_class, [info], used)
    return problems


def check_templates(dir: Path | None = None) -> list[Problem]:  # noqa: A002 — the brief's name
    """Lint templates against their schemas: the packaged set, or the templates in ``dir``.

    Problems: a name, field or loop-variable attribute the schema lacks; a required field of a
    record type shown by no template for it; a record type without a template; an unreadable or
    unknown template file. Runs without an East Asian font are warnings."""
    infos, problems = _effective(dir)
    if dir is not None:
        dir = Path(dir)
        infos = [t for t in infos if t.source == "override" or t.path.parent == dir]
    by_class: dict[type, list[TemplateInfo]] = {}
    used_by_class: dict[type, set[str]] = {}
    for info in sorted(infos, key=lambda t: t.id):
        file_problems, used = _check_file(info)
        problems.extend(file_problems)
        by_class.setdefault(info.record_class, []).append(info)
        used_by_class.setdefault(info.record_class, set()).update(used)
    for cls, templates in by_class.items():
        problems.extend(_coverage_problems(cls, templates, used_by_class[cls]))
    if dir is None:
        served = set(by_class)
        for cls in all_classes():
            if cls not in served:
                t, tt = _class_key(cls)
                problems.append(Problem(t + (f"/{tt}" if tt else ""), "没有模板 (no template for this record type)",
                                        file=str(package_dir() / META_FILE)))
    return problems
