"""Evidence packages (archive/evidence.py): the records package inside, 证据清单 (DOCX + PDF), and
证据材料汇编.pdf — one bookmark per evidence item, a stamp "证据N 第i页 / 共M页" on every page,
fonts embedded, the cover carrying the case number and the records package's digest."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from archive.packages import evidence as ev
from archive.packages.importer import import_package
from archive.packages.verify import verify_package
from archive.integrity.verify import verify_archive
from tests import factories
from tests.factories import BUREAU, CONTRACTOR, ENTERPRISE
from tests.test_packages import flip, make_bureau, make_enterprise, tools

CASE_NO = "高新应急罚〔2026〕12号"
STAMP = re.compile(r"证据(\d+) 第(\d+)页 / 共(\d+)页")
COVER = re.compile(r"封面 第(\d+)页 / 共(\d+)页")

pytestmark = [
    pytest.mark.soffice,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed (scripts/setup-system.sh)"),
]


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """An enterprise whose agreement and ticket went through the whole pipeline (.docx and .pdf),
    plus one ticket without a PDF; the bureau imports its submission and exports the evidence."""
    from archive.packages.export import export_package

    root = tmp_path_factory.mktemp("evidence")
    files = factories.basic_set(root / "in")
    ent = make_enterprise(root / "ent", files, pdf=True)
    late = factories.write(root / "in", "ticket-late.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0188"))
    ent.add_files([late], pdf=False)
    bur = make_bureau(root / "bur", files, ent)
    import_package(bur, export_package(ent, root / "submission").path)
    result = ev.export_evidence(bur, root / "evidence", contractor=CONTRACTOR, case_no=CASE_NO, today=date(2026, 11, 20))
    yield {"root": root, "ent": ent, "bur": bur, "result": result, "bag": result.path}
    ent.close()
    bur.close()


def pages_text(pdf: Path) -> list[str]:
    return [(p.extract_text() or "") for p in PdfReader(str(pdf)).pages]


def test_evidence_package_verifies(case):
    rep = verify_package(case["bag"])
    assert rep.ok, rep.failures
    assert rep.kind == "evidence" and rep.inner is not None and rep.inner.ok
    assert rep.signer == BUREAU


def test_standard_tools_on_the_outer_and_the_inner_bag(case):
    bag = case["bag"]
    outer = tools(bag, signer=BUREAU)
    assert {k: v for k, v in outer.items() if k != "verify_proofs.py"} == dict.fromkeys(
        ("outsafe", "bagit", "sha256sum manifest", "sha256sum tagmanifest", "openssl"), True)
    inner = tools(bag / "data" / "package", signer=BUREAU)
    assert all(inner.values()), inner
    # the cover's digest is checkable with sha256sum alone
    digest = subprocess.run(["sha256sum", "data/package/tagmanifest-sha256.txt"], cwd=bag, capture_output=True, text=True).stdout.split()[0]
    assert digest == case["result"].extra["inner_tagmanifest_sha256"]
    assert digest in re.sub(r"\s+", "", pages_text(bag / "data" / "evidence" / ev.COMPILATION)[0] + pages_text(bag / "data" / "evidence" / ev.COMPILATION)[1])


def test_records_across_origins_with_keys_checkpoints_and_cosignatures(case):
    inner = case["bag"] / "data" / "package"
    assert (inner / "data" / "keys" / f"{ENTERPRISE}.pub.pem").is_file()
    assert (inner / "data" / "keys" / f"{BUREAU}.pub.pem").is_file()
    (cp,) = list((inner / "data" / "checkpoints" / ENTERPRISE).iterdir())
    assert (cp / f"cosignature-{BUREAU}.sig").is_file()
    guide = (inner / "核验说明.txt").read_text(encoding="utf-8")
    assert f"cosignature-{BUREAU}.sig" in guide
    for line in guide.splitlines():
        if line.strip().startswith("openssl pkeyutl") and "checkpoint.body" in line:
            out = subprocess.run(line.strip().split("    （")[0], shell=True, cwd=inner, capture_output=True, text=True)
            assert out.returncode == 0, (line, out.stderr)


def test_one_bookmark_per_item_and_a_stamp_on_every_page(case):
    pdf = case["bag"] / "data" / "evidence" / ev.COMPILATION
    index = json.loads((case["bag"] / "index.json").read_text(encoding="utf-8"))
    items = index["items"]
    reader = PdfReader(str(pdf))
    outline = reader.outline
    assert len(outline) == len(items) and not any(isinstance(o, list) for o in outline)
    texts = pages_text(pdf)
    cover = [t for t in texts if COVER.search(t)]
    assert cover and all(COVER.search(t) for t in texts[: len(cover)])
    total = sum(i["pages"] for i in items)
    assert len(texts) == len(cover) + total
    expected = []
    for item in items:
        expected += [(item["no"], item["first_page"] + j) for j in range(item["pages"])]
    found = []
    for text in texts[len(cover):]:
        (m,) = STAMP.findall(text)  # exactly one stamp per page
        found.append((int(m[0]), int(m[1])))
        assert int(m[2]) == total
    assert found == expected
    # each bookmark points at its item's first page
    for o, item in zip(outline, items):
        assert reader.get_destination_page_number(o) == len(cover) + item["first_page"] - 1
        assert o.title.startswith(f"证据{item['no']}")


def test_every_font_is_embedded(case):
    for name in (ev.COMPILATION, ev.LIST_PDF):
        out = subprocess.run(["pdffonts", str(case["bag"] / "data" / "evidence" / name)], capture_output=True, text=True, check=True)
        rows = out.stdout.splitlines()[2:]
        assert rows
        for row in rows:
            assert row.split()[-5] == "yes", row  # the "emb" column


def test_cover_and_list(case):
    bag = case["bag"]
    digest = case["result"].extra["inner_tagmanifest_sha256"]
    cover = "".join(pages_text(bag / "data" / "evidence" / ev.COMPILATION)[:2])
    flat = re.sub(r"\s+", "", cover)
    assert re.sub(r"\s+", "", CASE_NO) in flat and "证据材料汇编" in flat and digest in flat
    listing = re.sub(r"\s+", "", "".join(pages_text(bag / "data" / "evidence" / ev.LIST_PDF)))
    for head in ("序号", "证据名称", "来源", "形成时间", "页数/页码范围", "证明对象"):
        assert head in listing
    with zipfile.ZipFile(bag / "data" / "evidence" / ev.LIST_DOCX) as z:
        xml = z.read("word/document.xml").decode()
    assert "w:tblBorders" in xml and 'w:eastAsia="宋体"' in xml and "证明对象" in xml
    assert 'w:w="11906"' in xml  # A4 width in twentieths of a point


def test_items_describe_source_date_pages_and_what_they_prove(case):
    items = json.loads((case["bag"] / "index.json").read_text(encoding="utf-8"))["items"]
    assert items[0]["name"].startswith("单位登记信息") and "资质" in items[0]["proves"]
    assert all("报送" in i["source"] for i in items)  # all came from the enterprise's submission
    agreement = next(i for i in items if i["name"].startswith("安全生产管理协议"))
    assert "安全生产管理职责" in agreement["proves"] and agreement["has_pdf"]
    late = next(i for i in items if "DH-2026-0188" in i["name"])
    assert not late["has_pdf"] and late["pages"] == 1  # a placeholder page stands in
    texts = pages_text(case["bag"] / "data" / "evidence" / ev.COMPILATION)
    cover_pages = sum(1 for t in texts if COVER.search(t))
    assert "本证据为电子数据" in texts[cover_pages + late["first_page"] - 1]


def test_export_is_logged_and_the_bureau_still_verifies(case):
    bur = case["bur"]
    rows = [json.loads(l["entry"]) for l in bur.ledger.leaves(kind="package_exported")]
    assert any(r.get("kind") == "evidence" and r.get("case_no") == CASE_NO for r in rows)
    assert verify_archive(bur).ok


def test_a_changed_byte_in_the_compilation_or_the_records_is_caught(case, tmp_path):
    copy = tmp_path / "ev"
    shutil.copytree(case["bag"], copy)
    flip(copy / "data" / "evidence" / ev.COMPILATION)
    t = tools(copy, signer=BUREAU)
    assert not t["outsafe"] and not t["bagit"] and not t["sha256sum manifest"] and t["openssl"]
    copy2 = tmp_path / "ev2"
    shutil.copytree(case["bag"], copy2)
    seal = next((copy2 / "data" / "package" / "data" / "records" / ENTERPRISE).iterdir()) / "seal.json"
    flip(seal)
    rep = verify_package(copy2)
    assert not rep.ok and any(f.startswith("data/package: ") for f in rep.failures)


def test_zip_evidence_package(case, tmp_path):
    result = ev.export_evidence(case["bur"], tmp_path / "ev", contractor=CONTRACTOR, case_no=CASE_NO,
                                record_ids=[next(r for r in case["bur"].catalog.list_records(types=["safety_agreement"]))["id"]],
                                as_zip=True)
    assert result.path.suffix == ".zip" and result.extra["items"] == 1
    rep = verify_package(result.path)
    assert rep.ok, rep.failures


def test_stamps_on_rotated_and_odd_sized_pages(tmp_path):
    from archive.documents.convert import convert_one

    glyphs = convert_one(ev.glyph_docx())
    src = PdfWriter()
    src.add_blank_page(595, 842)
    src.add_blank_page(842, 595)
    src.add_blank_page(595, 842).rotate(90)
    buf = tmp_path / "in.pdf"
    with buf.open("wb") as fh:
        src.write(fh)
    item = ev.EvidenceItem(no=7, row={"id": "X", "origin": ENTERPRISE}, name="测试", source="", formed="", proves="",
                           pdf=buf.read_bytes(), pages=3, first_page=5)
    out = ev.compile_pdf([item], glyphs, glyphs, title="t")
    texts = [p.extract_text() for p in PdfReader(__import__("io").BytesIO(out)).pages]
    assert [STAMP.search(t).groups() for t in texts[1:]] == [("7", "5", "3"), ("7", "6", "3"), ("7", "7", "3")]


# --- pure functions (no LibreOffice needed, but kept with their module) -----------------------------------------


def test_proves_names_an_expired_licence_and_certificate():
    org = factories.contractor(qualifications=[{
        "kind": "安全生产许可证", "number": "（鲁）JZ安许证字〔2023〕0001", "issuer": "山东省住房和城乡建设厅",
        "scope": "建筑施工", "valid_from": "2023-03-16", "valid_to": "2026-03-15",
    }])
    text = ev.proves({"type": "organization"}, org, date(2026, 6, 1))
    assert "安全生产许可证" in text and "2026-03-15到期" in text
    assert "到期" not in ev.proves({"type": "organization"}, org, date(2026, 1, 1))
    person = factories.welder()
    assert "过期" in ev.proves({"type": "person"}, person, date(2028, 6, 1))
    agreement = ev.proves({"type": "safety_agreement"}, factories.agreement(), date(2026, 6, 1))
    assert "发包单位3项" in agreement and "承包单位3项" in agreement
    ticket = ev.proves({"type": "work_ticket", "subtype": "hot_work"}, factories.hot_work_ticket(), date(2026, 6, 1))
    assert ticket.startswith("动火作业") and "气体检测" in ticket
