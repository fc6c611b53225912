"""archive.render: documents from records.

Golden files hold the extracted *text* of each rendered document (never bytes):
``tests/golden/docx/<template>.txt`` and, where LibreOffice is installed, ``tests/golden/pdf/<template>.txt``.
The inputs are frozen copies of realistic example cases in ``tests/golden/data/`` (one per template),
so a golden changes only when a template or the renderer does. After an intended change:

    UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/test_render.py

then review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import dataclasses
import io
import re
import struct
import zipfile
import zlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from lxml import etree

from archive.errors import TemplateError
from archive.documents.context import Record
from archive.documents.lint import check_templates
from archive.documents.filters import cn_date, cn_datetime, cn_num, make_env, rmb_upper
from archive.documents.templates import list_templates, template_for
from archive.documents.render import render_record
from schemas.enforcement import review_authority_of
from archive.settings import Settings
from schemas import RuleContext, load, read_case_file
from schemas.base import dump
from tests import goldens

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
DATA = GOLDEN / "data"
EXAMPLES = HERE.parent / "examples"
TODAY = date(2026, 12, 31)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NASTY = "A&B<测试>{{7*7}}公司"


# --- helpers -----------------------------------------------------------------------------------------


def load_case(path: Path):
    result = load(read_case_file(path), RuleContext(Settings(), TODAY, None), file=str(path))
    assert result.ok, "\n".join(p.line() for p in result.problems)
    return result.obj


def registry(folder: Path) -> dict:
    """refs-shaped snapshot of every organization and project in ``folder``."""
    from schemas.registry import Organization, Project

    orgs, projects = {}, {}
    for p in sorted(folder.glob("*.yaml")):
        obj = load_case(p)
        if isinstance(obj, Organization):
            orgs[obj.uscc] = dump(obj)
        elif isinstance(obj, Project):
            projects[f"{obj.enterprise}/{obj.code}"] = dump(obj)
    return {"organizations": orgs, "projects": projects, "persons": {}}


def png(path: Path, w: int = 40, h: int = 30, rgb: tuple[int, int, int] = (200, 60, 40)) -> Path:
    """A small solid-colour PNG (no imaging library needed)."""
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def photo_images(obj, folder: Path) -> dict[str, Path]:
    """A picture for every image file the record names (photos, drawings, signatures)."""
    from schemas.common import image_refs

    return {ref: png(folder / f"photo{i}.png", rgb=(40 * i % 256, 120, 200)) for i, (_, ref) in enumerate(image_refs(obj))}


signature_images = photo_images


def docx_text(docx: bytes) -> str:
    """The text of the body, one line per paragraph (table cells included, in reading order);
    tabs as tabs, line breaks as new lines, pictures as [图片]; the invisible word joiners that keep
    codes whole and the zero width spaces that let lists of numbers break (render.keep_codes_whole) left
    out, as a reader sees the text."""
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    lines = []
    for p in root.iter(f"{W}p"):
        out = []
        for el in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}drawing"):
            if el.tag == f"{W}t":
                out.append(el.text or "")
            elif el.tag == f"{W}tab":
                out.append("\t")
            elif el.tag == f"{W}br":
                out.append("\n")
            else:
                out.append("[图片]")
        lines.append("".join(out).rstrip())
    text = "\n".join(lines).replace("\u2060", "").replace("\u200b", "")
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def assert_matches_golden(path: Path, actual: str) -> None:
    goldens.assert_matches_golden(path, actual, rerun="tests/test_render.py")


@pytest.fixture(scope="module")
def refs() -> dict:
    return registry(DATA / "registry")


CASES = sorted((DATA / "cases").glob("*.yaml"))


def render_case(path: Path, refs: dict, tmp: Path, **kw):
    obj = load_case(path)
    kw.setdefault("images", photo_images(obj, tmp))
    return obj, render_record(obj, refs, settings=kw.pop("settings", Settings()), **kw)


# --- goldens ----------------------------------------------------------------------------------------------


def test_every_designed_template_has_golden_data():
    from doc_templates.build import specs

    served = {template_for(load_case(p)).id for p in CASES}
    assert served == {s.id for s in specs() if not s.generic}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_docx_text_golden(path, refs, tmp_path):
    obj, out = render_case(path, refs, tmp_path)
    assert_matches_golden(GOLDEN / "docx" / f"{out.template_id}.txt", docx_text(out.docx))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_run_has_east_asian_and_latin_fonts(path, refs, tmp_path):
    _, out = render_case(path, refs, tmp_path)
    with zipfile.ZipFile(io.BytesIO(out.docx)) as z:
        parts = [n for n in z.namelist() if re.match(r"word/(document|footer\d*|header\d*)\.xml$", n)]
        assert "word/document.xml" in parts and any(n.startswith("word/footer") for n in parts)
        for name in parts:
            root = etree.fromstring(z.read(name))
            runs = list(root.iter(f"{W}r"))
            assert runs
            for r in runs:
                fonts = r.find(f"{W}rPr/{W}rFonts")
                assert fonts is not None, (name, etree.tostring(r)[:200])
                assert fonts.get(f"{W}eastAsia"), (name, etree.tostring(r)[:200])
                assert fonts.get(f"{W}ascii") and fonts.get(f"{W}hAnsi"), (name, etree.tostring(r)[:200])


def test_footer_has_page_x_of_y_fields(refs, tmp_path):
    _, out = render_case(DATA / "cases" / "ticket-hot-work-DH-2026-0137.yaml", refs, tmp_path)
    with zipfile.ZipFile(io.BytesIO(out.docx)) as z:
        footer = next(z.read(n).decode() for n in z.namelist() if n.startswith("word/footer"))
    assert re.search(r"第 .*PAGE.* 页 共 .*NUMPAGES.* 页", re.sub(r"<[^>]+>", "", footer))


# --- the examples (whatever they are today) -------------------------------------------------------------------


EXAMPLE_FILES = (
    sorted((EXAMPLES / "cases").glob("*.yaml"))
    + sorted((EXAMPLES / "organizations").glob("*.yaml"))
    + sorted((EXAMPLES / "persons").glob("*.yaml"))
    + sorted((EXAMPLES / "projects").glob("*.yaml"))
) if EXAMPLES.is_dir() else []


@pytest.fixture(scope="module")
def example_refs() -> dict:
    regs = [registry(EXAMPLES / d) for d in ("organizations", "projects")]
    return {"organizations": regs[0]["organizations"], "projects": regs[1]["projects"], "persons": {}}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_every_example_renders_with_its_parties_and_number(path, example_refs, tmp_path):
    from archive.documents.context import org_fields

    obj, out = render_case(path, example_refs, tmp_path)
    text = docx_text(out.docx)
    number = obj
    for part in type(obj).__case__.number.split("."):
        number = getattr(number, part)
    if type(obj).__case__.number not in dict(template_for(obj).not_shown):  # a report's archive number is not printed
        assert str(number) in text
    for name in org_fields(type(obj)):
        uscc = getattr(obj, name)
        if uscc and uscc in example_refs["organizations"]:
            assert example_refs["organizations"][uscc]["name"] in text, name


# --- escaping, injection, strictness ------------------------------------------------------------------------


def _contract(refs):
    obj = load_case(DATA / "cases" / "contract-HR-HT-2026-031.yaml")
    nasty_refs = {**refs, "organizations": {**refs["organizations"]}}
    org = dict(nasty_refs["organizations"][obj.contractor])
    org["name"] = NASTY
    nasty_refs["organizations"][obj.contractor] = org
    return obj, nasty_refs


def test_markup_and_template_syntax_in_data_come_out_literally(refs):
    obj, nasty_refs = _contract(refs)
    obj = dataclasses.replace(
        obj,
        scope="{% if true %}注入{% endif %} {{ doc.contract_no }} {_{x}_} {_%y%_} </w:t>&amp; 完",
        payment_terms="<w:p>先付30%</w:p>",
    )
    out = render_record(obj, nasty_refs, settings=Settings())
    text = docx_text(out.docx)
    assert NASTY in text  # {{7*7}} not evaluated, & and < intact
    assert "{% if true %}注入{% endif %} {{ doc.contract_no }} {_{x}_} {_%y%_} </w:t>&amp; 完" in text
    assert "<w:p>先付30%</w:p>" in text
    with zipfile.ZipFile(io.BytesIO(out.docx)) as z:
        etree.fromstring(z.read("word/document.xml"))  # still well-formed XML


def test_nasty_name_in_every_party_position(refs, tmp_path):
    """The same name as a contractor on a ticket, and as the unit of an enforcement order."""
    for case, field in (("ticket-hot-work-DH-2026-0137.yaml", "contractor"), ("rectification-order-zegai-2026-12.yaml", "unit")):
        obj = load_case(DATA / "cases" / case)
        orgs = {**refs["organizations"], getattr(obj, field): {**refs["organizations"][getattr(obj, field)], "name": NASTY}}
        out = render_record(obj, {**refs, "organizations": orgs}, settings=Settings(), images=photo_images(obj, tmp_path))
        assert NASTY in docx_text(out.docx)


def test_control_character_in_data_is_an_error_naming_the_field(refs):
    obj, _ = _contract(refs)
    with pytest.raises(TemplateError, match=r"doc\.scope.*U\+0007"):
        render_record(dataclasses.replace(obj, scope="a\x07b"), refs, settings=Settings())


def test_strict_undefined_names_the_missing_field():
    env = make_env()
    doc = Record("doc", object, {"name": "x"})
    with pytest.raises(jinja2.UndefinedError, match=r"doc\.nope"):
        env.from_string("{{ doc.nope }}").render(doc=doc)
    with pytest.raises(jinja2.UndefinedError, match="nothing"):
        env.from_string("{{ nothing }}").render()


def test_sandbox_blocks_python_internals():
    env = make_env()
    with pytest.raises(jinja2.exceptions.SecurityError):
        env.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


def _override(tmp_path: Path, template: str, old: str, new: str) -> Path:
    """A copy of a packaged template in an override folder, with ``old`` replaced by ``new`` in its body."""
    folder = tmp_path / "override"
    folder.mkdir(exist_ok=True)
    src = next(t for t in list_templates() if t.id == template).path
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["word/document.xml"].decode()
    assert old in xml, old
    parts["word/document.xml"] = xml.replace(old, new).encode()
    with zipfile.ZipFile(folder / src.name, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return folder


def test_blank_value_is_an_error_naming_the_field_never_an_empty_space(refs, tmp_path):
    obj, _ = _contract(refs)
    # an override printing an optional field bare: fine while it has a value …
    folder = _override(tmp_path, "outsourcing_contract",
                       "{{ doc.payment_terms|default(\"按双方另行书面确认的方式执行。\") }}", "{{ doc.payment_terms }}")
    ok = render_record(dataclasses.replace(obj, payment_terms="按月结算"), refs, settings=Settings(), template_dir=folder)
    assert "按月结算" in docx_text(ok.docx)
    # … and an error naming it once it is empty
    with pytest.raises(TemplateError, match=r"doc\.payment_terms（付款方式）"):
        render_record(dataclasses.replace(obj, payment_terms=None), refs, settings=Settings(), template_dir=folder)


def test_organization_missing_from_refs_is_an_error_naming_it(refs):
    obj, _ = _contract(refs)
    orgs = {k: v for k, v in refs["organizations"].items() if k != obj.contractor}
    with pytest.raises(TemplateError, match=rf"org\.contractor.*{obj.contractor}"):
        render_record(obj, {**refs, "organizations": orgs}, settings=Settings())


# --- values: dates, money, masking, grouping ------------------------------------------------------------------


def test_chinese_dates_without_leading_zeros():
    assert cn_date(date(2026, 4, 30)) == "2026年4月30日"
    assert cn_date(date(2026, 1, 5)) == "2026年1月5日"
    assert cn_datetime(datetime(2026, 4, 30, 8, 30)) == "2026年4月30日 8时30分"
    assert cn_datetime(datetime(2026, 4, 3, 14, 5)) == "2026年4月3日 14时05分"
    assert make_env().from_string("{{ d }}|{{ t }}").render(d=date(2026, 4, 30), t=datetime(2026, 4, 30, 8, 30)) \
        == "2026年4月30日|2026年4月30日 8时30分"


@pytest.mark.parametrize("amount, text", [
    (Decimal("120000"), "壹拾贰万元整"),
    (Decimal("1024.50"), "壹仟零贰拾肆元伍角"),
    (Decimal("100000000"), "壹亿元整"),
    (Decimal("100010"), "壹拾万零壹拾元整"),
    (Decimal("3008.07"), "叁仟零捌元零柒分"),
    (Decimal("0.5"), "伍角"),
    (Decimal("0"), "零元整"),
])
def test_rmb_upper(amount, text):
    assert rmb_upper(amount) == text


def test_cn_num():
    assert [cn_num(n) for n in (1, 2, 10, 12, 20, 35)] == ["一", "二", "十", "十二", "二十", "三十五"]


def test_id_numbers_masked_unless_the_form_shows_them(refs, tmp_path):
    """The 三级安全教育登记卡 exists to show the 身份证号 (context.FULL_NUMBERS); anywhere else an
    ID-shaped number is masked unless the settings say otherwise."""
    obj = load_case(DATA / "cases" / "training-001-zhao-zhigang.yaml")
    full = obj.trainee.id_number
    card = docx_text(render_record(obj, refs, settings=Settings(), images=signature_images(obj, tmp_path)).docx)
    assert full in card
    assert "男" in card and "1980年6月21日" in card  # sex and birth date come from the number
    contract = load_case(DATA / "cases" / "contract-HR-HT-2026-031.yaml")
    contract = dataclasses.replace(contract, scope=f"{contract.scope}（联系人身份证号 {full}）")
    masked = docx_text(render_record(contract, refs, settings=Settings()).docx)
    assert full not in masked and f"{full[:4]}**********{full[-4:]}" in masked
    clear = docx_text(render_record(contract, refs, settings=dataclasses.replace(Settings(), mask_id_in_documents=False)).docx)
    assert full in clear


def test_the_readme_lists_what_is_printed_in_full_as_the_code_does():
    """README.md "What is printed in full" is FULL_NUMBERS, template by template, field by field."""
    from archive.documents.context import FULL_NUMBERS

    text = (HERE.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("### What is printed in full", 1)[1].split("\n#", 1)[0]
    listed = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("`"):
            listed[cells[1].strip("`")] = frozenset(re.findall(r"`(doc\.[^`]+)`", cells[2]))
    assert listed == FULL_NUMBERS
    assert set(FULL_NUMBERS) <= {t.id for t in list_templates()}


def test_a_blacklist_decision_names_the_listed_person_by_his_full_id_number(refs):
    """The decision that lists a person names him by his 身份证号: printed in full, as on the card."""
    obj = load_case(EXAMPLES / "cases" / "blacklist-entry-HMD-2026-002.yaml")
    full = obj.person.id_number
    text = docx_text(render_record(obj, refs, settings=Settings()).docx)
    assert f"身份证号：{full}" in text.replace("\n", "")


def test_a_blacklist_decisions_measures_are_one_line_or_numbered_paragraphs(refs):
    """One measure is said in the sentence that leads to it; several are numbered paragraphs, one
    each (a single paragraph of them could run to a page and strand the seal, tests/stress_cases.py)."""
    obj = load_case(EXAMPLES / "cases" / "blacklist-entry-HMD-2026-001.yaml")
    one = docx_text(render_record(obj, refs, settings=Settings()).docx)
    assert f"管理期限内采取以下措施：{obj.measures[0]}。" in one.replace("\n", "")
    several = dataclasses.replace(obj, measures=("3年内不得承接本单位外包工程。", "不得签订安全生产管理协议", "不得办理作业票"))
    lines = [t.strip() for t in docx_text(render_record(several, refs, settings=Settings()).docx).splitlines() if t.strip()]
    at = next(i for i, t in enumerate(lines) if t.startswith("管理期限："))
    assert lines[at].endswith("管理期限内采取以下措施：")
    assert lines[at + 1:at + 4] == ["1．3年内不得承接本单位外包工程；", "2．不得签订安全生产管理协议；", "3．不得办理作业票。"]


def test_order_groups_items_by_deadline_and_cites_settings(refs, tmp_path):
    obj = load_case(DATA / "cases" / "rectification-order-zegai-2026-12.yaml")
    d1, d2 = date(2026, 6, 20), date(2026, 6, 30)
    items = tuple(dataclasses.replace(it, deadline=d) for it, d in zip(obj.items, (d1, d2, d1)))
    obj = dataclasses.replace(obj, items=items)
    settings = dataclasses.replace(Settings(), review_days=60, litigation_months=6)
    text = docx_text(render_record(obj, refs, settings=settings, images=photo_images(obj, tmp_path)).docx)
    flat = text.replace("\n", "")
    assert "对上述第1、3项问题于2026年6月20日前整改完毕；对上述第2项问题于2026年6月30日前整改完毕" in flat
    assert "六十日内向济南高新区人民政府申请行政复议" in flat and "六个月内依法向人民法院提起行政诉讼" in flat
    assert "但本指令不停止执行" in flat
    own = dataclasses.replace(obj, review_authority="济南市人民政府")
    assert "向济南市人民政府申请行政复议" in docx_text(
        render_record(own, refs, settings=settings, images=photo_images(obj, tmp_path)).docx).replace("\n", "")


def test_ticket_footnotes_cite_the_settings_not_fixed_numbers(refs, tmp_path):
    """GB 30871 numbers are defaults an enterprise may tighten (archive/settings.py): the footnotes of
    the confined-space and temporary-power tickets say the set limits, as the validators apply them."""
    tight = dataclasses.replace(Settings(), gas_sample_max_minutes=20, temporary_power_max_days=10, temporary_power_max_days_special=20)
    for case, default, tightened in (
        ("ticket-confined-space-SX-2026-0021.yaml", "作业前30分钟内检测", "作业前20分钟内检测"),
        ("ticket-temporary-power-LD-2026-0045.yaml", "临时用电时间一般不超过15天，特殊情况不应超过30天",
         "临时用电时间一般不超过10天，特殊情况不应超过20天"),
    ):
        _, out = render_case(DATA / "cases" / case, refs, tmp_path)
        assert default in docx_text(out.docx).replace("\n", "")
        _, out = render_case(DATA / "cases" / case, refs, tmp_path, settings=tight)
        flat = docx_text(out.docx).replace("\n", "")
        assert tightened in flat and default not in flat


def test_sentence_filters():
    env = make_env()
    render = lambda src, v: env.from_string(src).render(v=v)  # noqa: E731
    assert render("{{ v|ensure_period }}", "已整改") == "已整改。"
    assert render("{{ v|ensure_period }}", "已整改。") == "已整改。"
    assert render("{{ v|ensure_period }}", "发现以下问题：") == "发现以下问题："
    assert render("{{ v|strip_period }}", "未设置警示标志。") == "未设置警示标志"
    assert render("{{ v|breach }}", "《安全生产法》第四十九条") == "违反《安全生产法》第四十九条的规定"
    assert render("{{ v|breach }}", "《规定》关于警示标志的规定") == "违反《规定》关于警示标志的规定"


def test_review_authority_of():
    assert review_authority_of("济南市历下区应急管理局") == "济南市历下区人民政府"
    assert review_authority_of("应急管理局") is None
    assert review_authority_of("某某安全办") is None


# --- images ---------------------------------------------------------------------------------------------------


def _media(docx: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return sorted(n for n in z.namelist() if n.startswith("word/media/"))


def test_photos_and_seal_go_in_as_images(refs, tmp_path):
    obj = load_case(DATA / "cases" / "rectification-order-zegai-2026-12.yaml")
    images = photo_images(obj, tmp_path)
    plain = render_record(obj, refs, settings=Settings(), images=images)
    assert len(_media(plain.docx)) == len(obj.photos) == docx_text(plain.docx).count("[图片]")
    images["authority_seal"] = png(tmp_path / "seal.png", 60, 60, (220, 0, 0))
    sealed = render_record(obj, refs, settings=Settings(), images=images)
    assert len(_media(sealed.docx)) == len(obj.photos) + 1


def test_contract_seals_and_signatures(refs, tmp_path):
    obj, _ = _contract(refs)
    images = {k: png(tmp_path / f"{k}.png", 50, 50) for k in ("enterprise_seal", "contractor_seal", "contractor_signature")}
    out = render_record(obj, refs, settings=Settings(), images=images)
    assert docx_text(out.docx).count("[图片]") == 3


def test_missing_photo_file_is_an_error(refs):
    obj = load_case(DATA / "cases" / "rectification-order-zegai-2026-12.yaml")
    with pytest.raises(TemplateError, match=r"doc\.photos\[0\]\.image"):
        render_record(obj, refs, settings=Settings())


def test_unknown_image_key_is_an_error(refs, tmp_path):
    obj, _ = _contract(refs)
    with pytest.raises(TemplateError, match="enterprise_sael"):
        render_record(obj, refs, settings=Settings(), images={"enterprise_sael": png(tmp_path / "s.png")})


def test_unreadable_image_is_an_error(refs, tmp_path):
    obj, _ = _contract(refs)
    bad = tmp_path / "seal.png"
    bad.write_bytes(b"not a picture")
    with pytest.raises(TemplateError, match="图片无法读取"):
        render_record(obj, refs, settings=Settings(), images={"enterprise_seal": bad})


# --- the result ----------------------------------------------------------------------------------------------


def test_rendering_is_deterministic_and_reports_its_template(refs, tmp_path):
    obj, _ = _contract(refs)
    a = render_record(obj, refs, settings=Settings())
    b = render_record(obj, refs, settings=Settings())
    assert a == b
    info = template_for(obj)
    assert (a.template_id, a.template_version) == ("outsourcing_contract", info.version)
    assert a.template_sha256 == info.sha256
    with zipfile.ZipFile(io.BytesIO(a.docx)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 1, 1, 0, 0, 0)}


# --- overrides (an archive's letterhead) -------------------------------------------------------------------------


def test_override_template_is_used_and_identified(refs, tmp_path):
    obj, _ = _contract(refs)
    folder = _override(tmp_path, "outsourcing_contract", "（外包合同）", "（济南华锐集团 外包合同）")
    out = render_record(obj, refs, settings=Settings(), template_dir=folder)
    assert "（济南华锐集团 外包合同）" in docx_text(out.docx)
    assert out.template_id == "outsourcing_contract"
    assert out.template_version.endswith("+local")
    assert out.template_sha256 != template_for(obj).sha256
    listed = {t.id: t.source for t in list_templates(folder)}
    assert listed["outsourcing_contract"] == "override" and listed["safety_agreement"] == "package"
    # other types still use the packaged templates
    agreement = load_case(DATA / "cases" / "agreement-HR-AQXY-2026-031.yaml")
    assert render_record(agreement, refs, settings=Settings(), template_dir=folder).template_version == "1.0.0"


def test_broken_override_is_refused_before_use(refs, tmp_path):
    obj, _ = _contract(refs)
    folder = _override(tmp_path, "outsourcing_contract", "{{ doc.location }}", "{{ doc.locaton }}")
    with pytest.raises(TemplateError, match=r"doc\.locaton") as e:
        render_record(obj, refs, settings=Settings(), template_dir=folder)
    assert "templates check" in e.value.hint
    assert any("doc.locaton" in p.path for p in check_templates(folder))


# --- PDF (archive.pdf, LibreOffice) -------------------------------------------------------------------------------


def _soffice() -> bool:
    return Path("/usr/lib/libreoffice/program/soffice.bin").exists() and Path("/usr/bin/python3").exists()


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    pages = [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in "\n".join(pages).splitlines()]
    return "\n".join(line for line in lines if line) + "\n"


@pytest.fixture(scope="module")
def pdfs(refs, tmp_path_factory) -> dict[str, bytes]:
    """Every golden case (and the nasty-named contract) converted in one batch."""
    from archive.documents.convert import Converter

    tmp = tmp_path_factory.mktemp("pdf")
    docs = []
    for path in CASES:
        _, out = render_case(path, refs, tmp)
        docs.append((out.template_id, out.docx))
    obj, nasty_refs = _contract(refs)
    docs.append(("nasty", render_record(obj, nasty_refs, settings=Settings()).docx))
    with Converter(Settings(), workers=2) as conv:
        results = conv.convert_many(docs)
    bad = [f"{r.name}: {r.error}" for r in results if not r.ok]
    assert not bad, bad
    return {r.name: r.pdf for r in results}


@pytest.mark.soffice
@pytest.mark.slow
@pytest.mark.skipif(not _soffice(), reason="LibreOffice not installed (scripts/setup.sh)")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_pdf_text_golden(path, pdfs):
    template_id = template_for(load_case(path)).id
    assert_matches_golden(GOLDEN / "pdf" / f"{template_id}.txt", pdf_text(pdfs[template_id]))


@pytest.mark.soffice
@pytest.mark.slow
@pytest.mark.skipif(not _soffice(), reason="LibreOffice not installed (scripts/setup.sh)")
def test_pdf_keeps_the_nasty_name_and_embeds_every_font(pdfs):
    from archive.documents.pdfcheck import check_pdf

    assert NASTY in pdf_text(pdfs["nasty"]).replace("\n", "")
    for name, pdf in pdfs.items():
        assert check_pdf(pdf) == [], name


def test_order_items_naming_their_own_contractors_say_so(refs, tmp_path):
    raw = read_case_file(DATA / "cases" / "rectification-order-zegai-2026-12.yaml")
    raw.pop("contractor", None)
    raw.pop("project", None)
    hengan, luzhong = "91370112MA3F7R1K8F", "91370105MA3DK8W41C"
    raw["items"][0]["contractor"] = hengan
    raw["items"][1]["contractor"] = luzhong
    result = load(raw, RuleContext(Settings(), TODAY, None), file="x.yaml")
    assert result.ok, [p.line() for p in result.problems]
    out = render_record(result.obj, refs, settings=Settings(), images=photo_images(result.obj, tmp_path))
    text = docx_text(out.docx)
    assert "（涉及承包单位：山东恒安设备安装工程有限公司）" in text
    assert "（涉及承包单位：济南鲁中建设工程有限公司）" in text
    assert "上述问题涉及承包单位" not in text  # no order-wide contractor
    assert text.count("涉及承包单位") == 2  # the third item names none


def test_training_card_has_signature_cells_and_prints_captured_signatures(refs, tmp_path):
    """Issue 13: trainer and trainee sign at each level, the 安全管理部门 confirms; a captured
    signature is printed in its cell, else the cell is left to sign on paper (never "已签")."""
    obj = load_case(DATA / "cases" / "training-001-zhao-zhigang.yaml")
    text = docx_text(render_record(obj, refs, settings=Settings(), images=signature_images(obj, tmp_path)).docx)
    assert text.count("培训人签字") == 3 and text.count("受教育人签字") == 3
    assert "安全管理部门（盖章）" in text and "确认人（签字）：" in text
    assert "培训人已签" not in text and "本人已签" not in text and "未签" not in text
    assert text.count("[图片]") == 6  # 2 trainer + 3 trainee signatures captured, 1 confirmer
    paper = dataclasses.replace(obj, levels=tuple(dataclasses.replace(lv, trainer_signature=None, trainee_signature=None)
                                                  for lv in obj.levels),
                                conclusion=dataclasses.replace(obj.conclusion, confirmer_signature=None))
    assert "[图片]" not in docx_text(render_record(paper, refs, settings=Settings()).docx)


def test_photo_annex_prints_captions_not_file_names(refs, tmp_path):
    obj, out = render_case(DATA / "cases" / "rectification-order-zegai-2026-12.yaml", refs, tmp_path)
    text = docx_text(out.docx)
    assert obj.photos and all(ph.caption in text for ph in obj.photos)
    assert not any(ph.file in text or Path(ph.file).name in text for ph in obj.photos) and "文件：" not in text


def test_the_penalty_decision_has_every_element_of_article_59(refs, tmp_path):
    """行政处罚法 第五十九条 (name and address, facts and evidence, kind and basis, how and by when
    to pay, the remedies and their periods, the authority and the date, its seal), the 法定代表人 with
    the 职务 of the 2017 form, and the 责令限期改正 that 安全生产法 第一百零三条第二款 orders with the fine."""
    _, out = render_case(DATA / "cases" / "penalty-decision-fa-2026-1.yaml", refs, tmp_path)
    flat = docx_text(out.docx).replace("\n", "")
    for needle in ("被处罚单位：济南华锐重型机械有限公司", "地址：山东省济南市高新区孙村街道华锐路88号", "法定代表人：郭振东　　职务：执行董事、总经理",
                   "违法事实及证据：", "以上事实有下列证据为证：", "违反了《中华人民共和国安全生产法》第四十九条第二款的规定",
                   "依据《中华人民共和国安全生产法》第一百零三条第二款的规定，决定给予罚款人民币叁万元整",
                   "并责令你单位于2026年12月11日前", "罚款限于收到本决定书之日起十五日内缴至", "每日按罚款数额的3%加处罚款",
                   "六十日内依法向济南高新区人民政府申请行政复议", "六个月内依法向人民法院提起行政诉讼",
                   "济南高新区应急管理局（印章）", "2026年11月27日", "三日内未提出陈述、申辩，五日内未要求举行听证"):
        assert needle in flat, needle
    _, out = render_case(DATA / "cases" / "penalty-notice-fagao-2026-1.yaml", refs, tmp_path)
    flat = docx_text(out.docx).replace("\n", "")
    assert "收到本告知书之日起三日内向本机关进行陈述、申辩" in flat and "第六十三条、第六十四条" in flat
    assert "收到本告知书之日起五日内向本机关要求举行听证" in flat and "并拟责令你单位于2026年12月11日前" in flat
