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
    numbers are often the holder's ID) — except the numbers the form exists to show
    (``context.FULL_NUMBERS``: 身份证号 on the 三级安全教育登记卡 and the 人员登记表, certificate
    numbers on the 动火/临时用电 tickets, the 爆破 permit and the 人员登记表). A ``Photo``, ``Drawing`` or ``Signature`` item has one extra attribute, ``image``: the
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
(4月30日 8时30分), ``cn_short_date`` (4月30日), ``money`` (120,000.00), ``rmb_upper`` (壹拾贰万元整), ``num`` (12.5),
``yesno`` (是/否), ``cn_num`` (三), ``cn_label`` (hot_work → 动火), ``unit`` (mg/m3 → mg/m³), ``strip_period`` / ``ensure_period`` (closing 。), ``breach`` (违反…的规定), ``choices("特级", "一级", "二级")`` (■特级　□一级　□二级),
``box("监护人")`` (the approval signed in that box of a ticket), ``show`` (any value as plain text;
a record as "标签：值；…"). A value printed without a filter is formatted the same way (dates the
Chinese way, booleans 是/否, lists joined with 、).

After rendering, every run of the document carries an East Asian font (``w:eastAsia``) and the zip
is written with fixed timestamps, so the same record and template give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import jinja2

from archive.documents.context import Calc, DeadlineGroup, OrderCalc, TrainingCalc, build_context
from archive.documents.filters import make_env
from archive.documents.lint import check_cached, check_template, check_templates
from archive.documents.rowstream import STAND_IN, LongTable, Patterns, expand, take_long_tables
from archive.documents.templates import (
    STORY_PARTS,
    W_NS,
    EAST_ASIAN_DEFAULT,
    IMAGE_ROLES,
    LATIN_DEFAULT,
    ZIP_TIME,
    Rendered,
    TemplateInfo,
    list_templates,
    template_for,
)
from archive.errors import TemplateError

__all__ = [
    "Rendered", "TemplateInfo", "render_record", "template_for", "list_templates", "check_templates",
    "check_template", "IMAGE_ROLES", "Calc", "OrderCalc", "TrainingCalc", "DeadlineGroup",
]


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
    # lazy: python-docx/docxtpl (~90 ms to import) load with the first document, not with every command
    from docxtpl import DocxTemplate

    info = template_for(obj, template_dir=template_dir)
    try:
        blob = info.path.read_bytes()
    except OSError as e:
        raise TemplateError(f"模板文件无法读取 (cannot read template) {info.path}: {e.strerror}") from e
    digest = hashlib.sha256(blob).hexdigest()
    errors = [p for p in check_cached(info, digest) if p.severity == "error"]
    if errors:
        raise TemplateError(
            f"模板 {info.id} 未通过检查 (template fails its check):\n" + "\n".join("  " + p.line() for p in errors),
            hint="run `outsafe templates check` on the template folder",
        )
    long_rows = LONG_TABLE_ROWS
    while True:
        tpl = DocxTemplate(io.BytesIO(blob))
        tpl.render_init()
        context = build_context(obj, refs, settings=settings, owner=owner, images=images, tpl=tpl, template_id=info.id)
        long_tables = take_long_tables(context, long_rows) if long_rows is not None else []
        try:
            tpl.render(context, jinja_env=make_env(), autoescape=True)
            docx = _save(tpl, long_tables)
            if docx is not None:
                break
            long_rows = None  # a template of one's own prints the rows otherwise: rendered the ordinary way
        except TemplateError:
            raise
        except jinja2.TemplateError as e:
            raise TemplateError(f"模板 {info.id} 渲染失败 (rendering failed): {e.message or e}") from e
        except Exception as e:  # docxtpl / python-docx / lxml failures on a broken template
            raise TemplateError(f"模板 {info.id} 渲染失败 (rendering failed): {type(e).__name__}: {e}") from e
    return Rendered(docx=docx, template_id=info.id, template_version=info.version, template_sha256=digest)


#: A campaign table of more rows than this is written into the document row by row, not through
#: docxtpl's one tree of the whole document (archive/documents/rowstream.py): the same XML, a
#: fraction of the memory. None: every table the ordinary way.
LONG_TABLE_ROWS: int | None = 200


def _save(tpl: Any, long_tables: list[LongTable] = ()) -> bytes | None:
    """The rendered package as .docx bytes, written once: fixed zip timestamps (the same record and
    template give the same bytes) and every run with an East Asian font (a safety net: docxtpl's
    own runs, e.g. around pictures, carry none).

    What ``DocxTemplate.save`` does minus its picture/zip-name replacement hooks, which outsafe
    does not use; the content-types item comes from python-docx's own writer. ``long_tables``: the
    tables rendered with stand-in rows (rowstream), written out row by row; None when the stand-ins
    are not where rowstream expects them (the caller renders again the ordinary way)."""
    # lazy: python-docx/docxtpl (~90 ms to import) load with the first document, not with every command
    from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
    from docx.opc.pkgwriter import _ContentTypesItem

    package = tpl.docx.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:

        def entry(name: str) -> zipfile.ZipInfo:
            zi = zipfile.ZipInfo(name, ZIP_TIME)
            media = name.startswith("word/media/") and name.lower().endswith((".png", ".jpg", ".jpeg"))
            zi.compress_type = zipfile.ZIP_STORED if media else zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            return zi

        def put(name: str, blob: bytes) -> None:
            z.writestr(entry(name), blob)

        put(CONTENT_TYPES_URI.membername, _ContentTypesItem.from_parts(parts).blob)
        put(PACKAGE_URI.rels_uri.membername, package.rels.xml)
        for part in parts:
            name = part.partname.membername
            blob = part.blob
            if STORY_PARTS.match(name):
                blob = keep_codes_whole(ensure_east_asian_fonts(blob))
            if long_tables and name == "word/document.xml":
                patterns = Patterns.find(blob, long_tables)
                if patterns is None:
                    return None
                with z.open(entry(name), "w") as w:
                    for piece in expand(blob, patterns, mark_breaks):
                        w.write(piece)
            elif long_tables and STORY_PARTS.match(name) and STAND_IN.encode("utf-8") in blob:
                return None
            else:
                put(name, blob)
            if len(part.rels):
                put(part.partname.rels_uri.membername, part.rels.xml)
    return out.getvalue()


_TEXT = re.compile(rb"(<w:t(?:\s[^>]*)?>)([^<]*)(</w:t>)")
_CODE_HYPHEN = re.compile(r"(?<=[A-Za-z0-9])-(?=[A-Za-z0-9])")
WORD_JOINER = "\u2060"


def join_code_hyphens(text: str) -> str:
    """``text`` with a WORD JOINER after each hyphen inside a code (see keep_codes_whole)."""
    return _CODE_HYPHEN.sub("-" + WORD_JOINER, text) if "-" in text else text


_NUMBER_LIST = re.compile(r"(?<=\d)、(?=\d)")
ZERO_WIDTH_SPACE = "\u200b"


def break_number_lists(text: str) -> str:
    """``text`` with a ZERO WIDTH SPACE after each 、 between two numbers: a list of item numbers
    ("对上述第2、5、8、11、14项问题") is one unbreakable word to Word and LibreOffice (numbers and
    the closing 、 hold together), so a long one moved to the next line whole and left the line
    before it spread out over the whole width; now it may break after any 、 (see keep_codes_whole)."""
    return _NUMBER_LIST.sub("、" + ZERO_WIDTH_SPACE, text) if "、" in text else text


def mark_breaks(text: str) -> str:
    """What the render does to the text of every ``w:t``: codes kept whole, lists of numbers
    allowed to break (join_code_hyphens, break_number_lists)."""
    return break_number_lists(join_code_hyphens(text))


def keep_codes_whole(xml: bytes) -> bytes:
    """A code such as HR-WB-2026-002 or MB-2026-0009 is one word on paper: LibreOffice may break
    a line after any hyphen, so a WORD JOINER (U+2060, invisible, not in the PDF's text layer)
    follows each hyphen inside a code. (Dates and times are kept whole by the templates' column
    widths: LibreOffice breaks Chinese text between any two characters, joiner or not.) A list of
    numbers ("2、5、8") gets a ZERO WIDTH SPACE (also invisible) after each 、 instead: it may
    break there (break_number_lists)."""
    if b"-" not in xml and "、".encode() not in xml:
        return xml

    def fix(m: re.Match) -> bytes:
        text = m.group(2).decode("utf-8")
        new = mark_breaks(text)
        return m.group(1) + new.encode("utf-8") + m.group(3) if new != text else m.group(0)

    return _TEXT.sub(fix, xml)


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
    from lxml import etree  # lazy, with python-docx (which needs it): the first document loads both

    if _all_runs_fonted(xml):
        return xml
    root = etree.fromstring(xml)
    changed = False
    for r in root.iter(f"{{{W_NS}}}r"):
        rpr = r.find(f"{{{W_NS}}}rPr")
        if rpr is None:
            rpr = etree.SubElement(r, f"{{{W_NS}}}rPr")
            r.insert(0, rpr)
        fonts = rpr.find(f"{{{W_NS}}}rFonts")
        if fonts is None:
            fonts = etree.Element(f"{{{W_NS}}}rFonts")
            rpr.insert(1 if rpr.find(f"{{{W_NS}}}rStyle") is not None else 0, fonts)
        if fonts.get(f"{{{W_NS}}}eastAsia") is None:
            fonts.set(f"{{{W_NS}}}eastAsia", EAST_ASIAN_DEFAULT)
            changed = True
        for attr in ("ascii", "hAnsi"):
            if fonts.get(f"{{{W_NS}}}{attr}") is None and fonts.get(f"{{{W_NS}}}{attr}Theme") is None:
                fonts.set(f"{{{W_NS}}}{attr}", LATIN_DEFAULT)
                changed = True
    if not changed:
        return xml
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
