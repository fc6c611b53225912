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
from archive.errors import ValidationFailed
from tests.test_packages import flip, make_bureau, make_enterprise, tools

CASE_NO = "（高新）应急立〔2026〕12号"
STAMP = re.compile(r"证据(\d+) 第(\d+)页 / 共(\d+)页")
COVER = re.compile(r"封面 第(\d+)页 / 共(\d+)页")
PAGE_OF = re.compile(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页")

pytestmark = [
    pytest.mark.soffice,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed (scripts/setup-system.sh)"),
]


def officer(name: str, n: int, cert_no: str) -> dict:
    return factories.person(name, factories.id_number(f"37010219800101{n:03d}"), employer=BUREAU, roles=["执法人员"],
                            certificates=[{"kind": "执法证", "category": "行政执法证", "number": cert_no, "issuer": "山东省人民政府",
                                           "issued": "2024-03-01", "expires": "2030-02-28"}])


def notice(**kw) -> dict:
    """The bureau's 行政处罚告知书 to the contractor, citing the enterprise's agreement and tickets."""
    base = {
        "type": "penalty_notice", "doc_no": "（高新）应急罚告〔2026〕3号", "case_no": CASE_NO, "bureau": BUREAU, "unit": CONTRACTOR,
        "facts": "你单位在动火作业中未安排专门人员进行现场安全管理",
        "evidence": [
            {"name": "动火安全作业票", "refs": ["DH-2026-0105", "DH-2026-0188"], "proves": "动火作业的时间、地点和现场人员"},
            {"name": "安全生产管理协议", "refs": ["HR-AQXY-2026-001"]},
        ],
        "violated": "《中华人民共和国安全生产法》第四十三条", "article": "SPL 101", "legal_basis": "《中华人民共和国安全生产法》第一百零一条",
        "fine": "20000", "correction_deadline": "2026-12-10", "authority_name": "济南高新区应急管理局", "statement_days": 3,
        "hearing_right": True, "hearing_days": 5, "contact_person": "刘晓", "contact_phone": "0531-88871209",
        "authority_address": "济南市高新区舜华路2000号", "issued_on": "2026-11-10",
    }
    base.update(kw)
    return base


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """An enterprise whose agreement and ticket went through the whole pipeline (.docx and .pdf),
    plus one ticket without a PDF; the bureau imports its submission, issues a 告知书 to the
    contractor citing them, and exports the case's evidence package."""
    from archive.packages.export import export_package

    root = tmp_path_factory.mktemp("evidence")
    files = factories.basic_set(root / "in")
    ent = make_enterprise(root / "ent", files, pdf=True)
    late = factories.write(root / "in", "ticket-late.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0188"))
    ent.add_files([late], pdf=False)
    bur = make_bureau(root / "bur", files, ent)
    bur.add_files([factories.write(root / "in", "o1.yaml", officer("张明远", 31, "37010021015")),
                   factories.write(root / "in", "o2.yaml", officer("刘晓", 32, "37010021038"))], pdf=False)
    import_package(bur, export_package(ent, root / "submission").path)
    bur.add_files([factories.write(root / "in", "notice.yaml", notice())], today=date(2026, 11, 20))
    result = ev.export_evidence(bur, root / "evidence", case_no=CASE_NO, officers=("张明远", "刘晓"), today=date(2026, 11, 20))
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
    for name in (ev.COMPILATION, ev.LIST_PDF, ev.EXTRACTION_PDF):
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
    assert re.sub(r"\s+", "", CASE_NO) in flat and "证据材料汇编" in flat and digest in flat and "卷内目录" in flat
    listing = re.sub(r"\s+", "", "".join(pages_text(bag / "data" / "evidence" / ev.LIST_PDF)))
    for head in ("序号", "证据名称", "来源", "形成时间", "收集人", "页码", "证明对象"):
        assert head in listing
    assert "收集人（执法人员）" in listing and "张明远（执法证号：37010021015）" in listing and "签名" in listing
    assert not re.search(r"\d{4}-\d{2}-\d{2}", listing)  # Chinese dates only
    with zipfile.ZipFile(bag / "data" / "evidence" / ev.LIST_DOCX) as z:
        xml = z.read("word/document.xml").decode()
        footer = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/footer"))
    assert "w:tblBorders" in xml and 'w:eastAsia="宋体"' in xml and "证明对象" in xml
    assert 'w:w="16838"' in xml  # A4 landscape width in twentieths of a point


def test_list_rows_never_split_header_repeats_and_every_page_says_page_x_of_y(case):
    from docx import Document
    from docx.oxml.ns import qn

    bag = case["bag"]
    for docx_name, pdf_name in ((ev.LIST_DOCX, ev.LIST_PDF), (ev.EXTRACTION_DOCX, ev.EXTRACTION_PDF)):
        doc = Document(str(bag / "data" / "evidence" / docx_name))
        table = doc.tables[0]
        rows = table._tbl.findall(qn("w:tr"))
        assert rows[0].find(qn("w:trPr")).find(qn("w:tblHeader")) is not None  # repeated on every page
        assert all(r.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None for r in rows)  # never split
        footer = doc.sections[0].footer._element.xml
        assert "PAGE" in footer and "NUMPAGES" in footer
        texts = pages_text(bag / "data" / "evidence" / pdf_name)
        assert [PAGE_OF.search(t.replace("\n", " ")).groups() for t in texts] == [
            (str(i), str(len(texts))) for i in range(1, len(texts) + 1)]


def test_items_follow_the_case_file_order_with_party_provenance_and_collectors(case):
    index = json.loads((case["bag"] / "index.json").read_text(encoding="utf-8"))
    items = index["items"]
    assert index["party"]["uscc"] == CONTRACTOR and index["party"]["kind"] == "unit"  # the party of the 告知书
    first = items[0]
    assert first["type"] == "penalty_notice" and first["source"] == "本局制作" and first["category"] == "执法文书"
    assert first["collectors"] == "张明远、刘晓"
    cited = items[1:]
    assert [i["name"].split()[-1] for i in cited] == ["DH-2026-0105", "DH-2026-0188", "HR-AQXY-2026-001"]  # in citation order
    assert all(re.fullmatch(r"济南华锐重型机械有限公司报送（\d{4}年\d{1,2}月\d{1,2}日接收）", i["source"]) for i in cited)
    assert cited[0]["proves"] == "动火作业的时间、地点和现场人员"  # what the 告知书 says it proves
    agreement = cited[2]
    assert "安全生产管理职责" in agreement["proves"] and agreement["has_pdf"] and agreement["cited_by"]
    late = cited[1]
    assert not late["has_pdf"] and late["pages"] == 1  # a placeholder page stands in
    texts = pages_text(case["bag"] / "data" / "evidence" / ev.COMPILATION)
    cover_pages = sum(1 for t in texts if COVER.search(t))
    assert "本证据为电子数据" in texts[cover_pages + late["first_page"] - 1]
    listing = re.sub(r"\s+", "", "".join(pages_text(case["bag"] / "data" / "evidence" / ev.LIST_PDF)))
    assert "当事人：山东恒安设备安装工程有限公司" in listing


def test_extraction_record_lists_every_file_with_its_sha256_and_the_package_digest(case):
    bag = case["bag"]
    text = re.sub(r"\s+", "", "".join(pages_text(bag / "data" / "evidence" / ev.EXTRACTION_PDF)))
    assert "电子数据提取笔录" in text and case["result"].extra["inner_tagmanifest_sha256"] in text
    index = json.loads((bag / "index.json").read_text(encoding="utf-8"))
    manifest = dict(reversed(line.split("  ", 1)) for line in (bag / "data" / "package" / "manifest-sha256.txt").read_text(
        encoding="utf-8").splitlines())
    for item in index["items"]:
        prefix = item["path"].removeprefix("data/package/") + "/"
        shas = [sha for path, sha in manifest.items() if path.startswith(prefix)]
        assert shas and all(sha in text for sha in shas), item["name"]
    assert "提取人" in text and "当事人（或其委托代理人）签名（盖章）" in text and "刘晓（执法证号：37010021038）" in text


def test_export_refuses_while_cited_evidence_is_missing(case, tmp_path):
    """As held on 2026-11-12, the case cites a record formed only on 11-15: refused, with the list."""
    bur = case["bur"]
    hazard = {"type": "hazard", "hazard_no": "HR-YH-2026-0199", "enterprise": ENTERPRISE, "contractor": CONTRACTOR,
              "description": "动火点周边可燃物未清理", "grade": "一般", "found_on": "2026-11-15", "deadline": "2026-11-30", "status": "整改中"}
    bur.add_files([factories.write(tmp_path, "h.yaml", hazard)], pdf=False, today=date(2026, 11, 20))
    raw = notice(doc_no="（高新）应急罚告〔2026〕4号", case_no="（高新）应急立〔2026〕13号",
                 evidence=[{"name": "事故隐患登记", "refs": ["HR-YH-2026-0199"]}])
    bur.add_files([factories.write(tmp_path, "n.yaml", raw)], pdf=False, today=date(2026, 11, 20))
    with pytest.raises(ValidationFailed) as e:
        ev.export_evidence(bur, tmp_path / "ev", case_no="（高新）应急立〔2026〕13号", until=date(2026, 11, 12))
    assert "HR-YH-2026-0199" in str(e.value.problems) and "不在档案中" in str(e.value)
    assert not (tmp_path / "ev").exists()
    with pytest.raises(ValidationFailed) as e:
        ev.export_evidence(bur, tmp_path / "ev2", case_no=CASE_NO, party=ENTERPRISE)  # not the party of the case
    assert "当事人是 山东恒安设备安装工程有限公司" in e.value.problems[0].message
    with pytest.raises(ValidationFailed) as e:
        ev.export_evidence(bur, tmp_path / "ev3", case_no="（高新）应急立〔2026〕99号")  # no 告知书 yet, no party
    assert "--party" in e.value.problems[0].message


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


def test_zip_evidence_package_before_the_notice(case, tmp_path):
    """Before the 告知书 the party is named; the records named go in."""
    result = ev.export_evidence(case["bur"], tmp_path / "ev", case_no="（高新）应急立〔2026〕20号", party=CONTRACTOR,
                                record_ids=[next(r for r in case["bur"].catalog.list_records(types=["safety_agreement"]))["id"]],
                                as_zip=True)
    assert result.path.suffix == ".zip" and result.extra["items"] == 1 and result.extra["party"]["uscc"] == CONTRACTOR
    rep = verify_package(result.path)
    assert rep.ok, rep.failures


def test_stamps_on_rotated_and_odd_sized_pages(tmp_path):
    from archive.documents.fit import convert_one_fitted

    glyphs = convert_one_fitted(ev.glyph_docx())[1]
    src = PdfWriter()
    src.add_blank_page(595, 842)
    src.add_blank_page(842, 595)
    src.add_blank_page(595, 842).rotate(90)
    buf = tmp_path / "in.pdf"
    with buf.open("wb") as fh:
        src.write(fh)
    item = ev.EvidenceItem(no=7, row={"id": "X", "origin": ENTERPRISE, "type": "work_ticket"}, name="测试", source="", formed="", proves="",
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
    assert "安全生产许可证" in text and "2026年3月15日到期" in text
    assert "到期" not in ev.proves({"type": "organization"}, org, date(2026, 1, 1))
    person = factories.welder()
    assert "过期" in ev.proves({"type": "person"}, person, date(2028, 6, 1))
    agreement = ev.proves({"type": "safety_agreement"}, factories.agreement(), date(2026, 6, 1))
    assert "发包单位3项" in agreement and "承包单位3项" in agreement
    ticket = ev.proves({"type": "work_ticket", "subtype": "hot_work"}, factories.hot_work_ticket(), date(2026, 6, 1))
    assert ticket.startswith("动火作业") and "气体检测" in ticket


@pytest.mark.parametrize("index", ["[]", '{"items": "x", "records_package": "y"}'])
def test_an_index_of_another_shape_is_named_not_raised(case, tmp_path, index):
    copy = tmp_path / "ev"
    shutil.copytree(case["bag"], copy)
    (copy / "index.json").write_text(index, encoding="utf-8")
    rep = verify_package(copy)
    assert not rep.ok and "index.json: 格式错误 (malformed)" in rep.failures
