"""Packages (archive/packages.py): export → verify with outsafe and with every standard tool; the
tamper matrix (which verifier must fail for which changed byte); import into a bureau archive:
trust, idempotence, refused packages leave the archive exactly as it was, rewritten history,
path safety in folder and zip form; `outsafe verify` of the bureau archive after import."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from archive.integrity import keys
from archive.integrity import merkle
from archive.packages import common as pk
from archive.packages import paths
from archive.app import Archive
from archive.errors import IntegrityError, KeyError_, PackageError, ValidationFailed
from archive.packages.export import export_package
from archive.packages.importer import import_package
from archive.packages.verify import verify_package
from archive.registry import person_key
from archive.integrity.trust import registered_keys, trust_organization
from archive.integrity.verify import verify_archive
from tests import factories
from tests.factories import BUREAU, CONTRACTOR, ENTERPRISE, WELDER_ID


def PW(_confirm: bool) -> str:
    return "test-passphrase"


BAGIT_PY = Path(sys.executable).parent / "bagit.py"


# --- building archives (shared with test_evidence.py and test_cli_packages.py) ------------------------------


def make_enterprise(root: Path, files: dict[str, Path], *, pdf: bool = False) -> Archive:
    """The enterprise of tests/factories: registry, a safety agreement, the welder's training card
    and a hot-work ticket,
    through the real pipeline (rendered .docx; .pdf too when ``pdf``)."""
    a = Archive.create(root, files["enterprise"], passphrase=PW)
    a.add_files([files["bureau"], files["contractor"]], pdf=False)
    a.add_files([files["welder"]], pdf=False)
    a.add_files([files["project"]], pdf=False)
    a.add_files([files["agreement"], files["training"], files["ticket"]], pdf=pdf)
    return a


def make_bureau(root: Path, files: dict[str, Path], enterprise: Archive | None = None) -> Archive:
    """The district bureau, with the enterprise registered and (given ``enterprise``) its key trusted."""
    b = Archive.create(root, files["bureau"], passphrase=PW)
    b.add_files([files["enterprise"]], pdf=False)
    if enterprise is not None:
        public = enterprise.public_key()
        trust_organization(b, ENTERPRISE, keys.public_pem(public).encode(), keys.fingerprint(public))
    return b


def dump(archive: Archive) -> dict:
    """Everything an import could change: every catalog table, and the blob folder listing."""
    db = archive.catalog.db
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    # every row of every table, in a stable order (some tables are WITHOUT ROWID: sorted as text)
    out: dict = {t: sorted((tuple(r) for r in db.execute(f"SELECT * FROM {t}")), key=repr) for t in tables}
    blobs = archive.home.blobs_dir
    out["blob files"] = sorted(str(p.relative_to(blobs)) for p in blobs.rglob("*"))
    return out


def tools(bag: Path, signer: str = ENTERPRISE) -> dict[str, bool]:
    """Run every verifier on a package folder: True = it passed."""

    def ok(cmd: list[str]) -> bool:
        return subprocess.run(cmd, cwd=bag, capture_output=True).returncode == 0

    try:
        outsafe = verify_package(bag).ok
    except IntegrityError:
        outsafe = False
    return {
        "outsafe": outsafe,
        "bagit": ok([sys.executable, str(BAGIT_PY), "--validate", "--quiet", "."]),
        "sha256sum manifest": ok(["sha256sum", "-c", "--quiet", "manifest-sha256.txt"]),
        "sha256sum tagmanifest": ok(["sha256sum", "-c", "--quiet", "tagmanifest-sha256.txt"]),
        "openssl": ok(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", f"data/keys/{signer}.pub.pem", "-rawin",
                       "-in", "tagmanifest-sha256.txt", "-sigfile", "tagmanifest-sha256.txt.sig"]),
        "verify_proofs.py": ok(["python3", "verify_proofs.py"]),
    }


def record_dir(bag: Path, type_: str) -> Path:
    index = json.loads((bag / "index.json").read_text(encoding="utf-8"))
    entry = next(r for r in index["records"] if r["type"] == type_)
    return bag / entry["path"]


def flip(path: Path, at: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if at is None else at
    data[i] ^= 0x01
    path.write_bytes(bytes(data))


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def swap_hex_digit(s: str) -> str:
    return ("1" if s[0] != "1" else "2") + s[1:]


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """Archives built once per module and copied for each test (building one costs seconds:
    rendering, LibreOffice for the owner's registration, the search index)."""
    root = tmp_path_factory.mktemp("templates")
    files = factories.basic_set(root / "in")
    ent = make_enterprise(root / "ent", files)
    bur = make_bureau(root / "bur", files, ent)
    bur0 = make_bureau(root / "bur0", files)  # the enterprise registered, its key not
    for a in (ent, bur, bur0):
        a.close()
    return {"root": root, "files": files}


def clone(templates, name: str, dest: Path) -> Archive:
    shutil.copytree(templates["root"] / name, dest, symlinks=True)
    return Archive.open(dest, passphrase=PW)


@pytest.fixture(scope="module")
def exported(templates, tmp_path_factory):
    """One enterprise archive and one exported package per module (copied before any tamper)."""
    root = tmp_path_factory.mktemp("pkg")
    ent = clone(templates, "ent", root / "ent")
    result = export_package(ent, root / "package")
    yield {"root": root, "files": templates["files"], "archive": ent, "result": result, "bag": result.path}
    ent.close()


@pytest.fixture
def bag(exported, tmp_path) -> Path:
    copy = tmp_path / "bag"
    shutil.copytree(exported["bag"], copy)
    return copy


@pytest.fixture
def pair(templates, tmp_path):
    """A fresh enterprise archive and a bureau archive that trusts its key."""
    ent = clone(templates, "ent", tmp_path / "ent")
    bur = clone(templates, "bur", tmp_path / "bur")
    yield ent, bur, templates["files"]
    ent.close()
    bur.close()


# --- the Merkle helper ---------------------------------------------------------------------------------------


def test_batch_inclusion_proofs_equal_rfc9162_proofs():
    for n in range(1, 70):
        leaves = [merkle.leaf_hash(str(i).encode()) for i in range(n)]
        tree = pk.Tree(leaves)
        assert tree.root == merkle.root(leaves)
        for m in range(n):
            assert tree.proof(m) == merkle.inclusion_proof(leaves, m)


def test_shipped_script_is_standard_library_only():
    script = pk.shipped_script().decode()
    assert "from archive" not in script and "import archive" not in script
    imports = {line.split()[1].split(".")[0] for line in script.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"__future__", "base64", "hashlib", "json", "os", "sys", "unicodedata", "collections"}, imports
    assert "def verify_inclusion" in script and "def root" in script


# --- export and verify -------------------------------------------------------------------------------------


def test_export_layout_and_bag_info(exported):
    bag, ent = exported["bag"], exported["archive"]
    result = exported["result"]
    for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt",
                 "tagmanifest-sha256.txt.sig", "核验说明.txt", "verify_proofs.py", "index.json"):
        assert (bag / name).is_file(), name
    assert (bag / "bagit.txt").read_text() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    for label in ("Source-Organization: 济南华锐重型机械有限公司", f"统一社会信用代码: {ENTERPRISE}", "Bagging-Date: ",
                  "Payload-Oxum: ", "External-Description: ", "Internal-Sender-Identifier: ", "Outsafe-Package-Kind: submission",
                  f"Outsafe-Signer-Fingerprint: {ent.signer().fingerprint}"):
        assert label in info, label
    assert len((bag / "tagmanifest-sha256.txt.sig").read_bytes()) == 64
    assert "tagmanifest-sha256.txt.sig" not in (bag / "tagmanifest-sha256.txt").read_text()
    # the case records and what they refer to (the bureau's registration is referred to by nothing),
    # each with its seal byte for byte
    index = json.loads((bag / "index.json").read_text(encoding="utf-8"))
    ids = [r["id"] for r in index["records"]]
    assert result.records == len(ids) == 7
    rows = [ent.catalog.get_record(i) for i in ids]
    assert {r["type"] for r in rows} == {"organization", "person", "project", "safety_agreement", "training_record", "work_ticket"}
    assert ent.catalog.get_registry("organization", BUREAU)["record_id"] not in ids
    for row in rows:
        folder = bag / "data" / "records" / row["origin"] / row["id"]
        assert (folder / "seal.json").read_bytes() == row["seal"].encode()
        assert (folder / "seal.sig").read_bytes() == bytes(row["signature"])
        record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
        assert record["id"] == row["id"] and record["refs"] == row["refs"] and json.loads(row["data"]) == record["data"]
        roles = {f["role"] for f in record["files"]}
        assert "source" in roles and "docx" in roles  # rendered documents travel with the record
        for f in record["files"]:
            assert (folder / f["path"]).is_file()
        proof = json.loads((folder / "proof.json").read_text())
        assert proof["checkpoint"] == f"data/checkpoints/{ENTERPRISE}/{proof['tree_size']}/checkpoint.txt"
    cp = next(c for c in ent.ledger.checkpoints() if c["tree_size"] == result.checkpoint["tree_size"])
    folder = bag / "data" / "checkpoints" / ENTERPRISE / str(cp["tree_size"])
    assert (folder / "checkpoint.txt").read_text() == cp["note"]
    hashes = (bag / "data" / "ledger" / ENTERPRISE / "leaf-hashes.txt").read_text().split()
    assert len(hashes) == cp["tree_size"]


def test_export_logs_an_event_and_a_package_row(exported):
    ent, result = exported["archive"], exported["result"]
    entries = [json.loads(l["entry"]) for l in ent.ledger.leaves(kind="package_exported")]
    entry = next(e for e in entries if e["tagmanifest_sha256"] == result.digest)
    assert entry["records"] == result.records and entry["checkpoint_size"] == result.checkpoint["tree_size"]
    row = next(p for p in ent.catalog.packages.packages(direction="export") if p["digest"] == result.digest)
    assert row["digest"] == result.digest and row["kind"] == "submission"
    assert ent.ledger.latest_checkpoint()["tree_size"] == ent.ledger.size()
    rep = verify_archive(ent)
    assert rep.ok, rep.failures


def test_id_numbers_are_masked_everywhere_human_facing(exported):
    bag = exported["bag"]
    for name in ("index.json", "bag-info.txt", "核验说明.txt"):
        assert WELDER_ID not in (bag / name).read_text(encoding="utf-8"), name
    for p in bag.rglob("*"):
        assert WELDER_ID not in p.name
    # …and in clear where the seal needs it: the sealed data of the person record
    person = record_dir(bag, "person")
    assert WELDER_ID in (person / "seal.json").read_text(encoding="utf-8")


def test_fresh_package_passes_every_verifier(exported):
    assert tools(exported["bag"]) == dict.fromkeys(
        ("outsafe", "bagit", "sha256sum manifest", "sha256sum tagmanifest", "openssl", "verify_proofs.py"), True
    )


def test_guide_commands_verify_seals_and_checkpoint_with_openssl(exported):
    bag = exported["bag"]
    guide = (bag / "核验说明.txt").read_text(encoding="utf-8")
    commands = [line.strip() for line in guide.splitlines() if line.strip().startswith(("openssl", "for d in", "bagit.py", "sha256sum", "python3"))]
    assert any("checkpoint.body" in c for c in commands)
    assert any("seal.json" in c for c in commands)
    for cmd in commands:
        if cmd.startswith("bagit.py"):
            cmd = f"{sys.executable} {BAGIT_PY}" + cmd[len("bagit.py"):]
        if "| sha256sum" in cmd:  # the fingerprint command prints the fingerprint
            out = subprocess.run(cmd, shell=True, cwd=bag, capture_output=True, text=True)
            assert exported["archive"].signer().fingerprint in out.stdout
            continue
        out = subprocess.run(cmd, shell=True, cwd=bag, capture_output=True, text=True)
        assert out.returncode == 0, (cmd, out.stdout, out.stderr)
        assert "封签无效" not in out.stdout


def test_zip_package_verifies(exported, tmp_path):
    ent = exported["archive"]
    result = export_package(ent, tmp_path / "sub", as_zip=True)
    assert result.path == tmp_path / "sub.zip" and result.path.is_file()
    rep = verify_package(result.path)
    assert rep.ok, rep.failures
    with zipfile.ZipFile(result.path) as zf:
        assert all(n.startswith("sub/") for n in zf.namelist())
        zf.extractall(tmp_path / "x")
    assert all(tools(tmp_path / "x" / "sub").values())


def test_export_refuses_an_existing_output(exported):
    with pytest.raises(PackageError, match="已存在"):
        export_package(exported["archive"], exported["bag"])


def test_period_selection(templates, tmp_path):
    ent = clone(templates, "ent", tmp_path / "ent")
    result = export_package(ent, tmp_path / "may", since="2026-05-01", until="2026-05-31")
    index = json.loads((result.path / "index.json").read_text(encoding="utf-8"))
    types = [r["type"] for r in index["records"]]
    assert "work_ticket" in types and "safety_agreement" not in types  # the agreement was signed 04-02
    assert {"organization", "person", "project"} <= set(types)  # what the ticket refers to
    assert verify_package(result.path).ok
    ent.close()


def test_submission_carries_the_roster_of_teams_even_without_documents(templates, tmp_path):
    """A contractor registered without any document yet, and the projects of the period, travel
    with the submission (the bureau's 监管台账 lists teams); a project outside the period does not;
    people only travel when a document names them; the bureau imports it all."""
    ent = clone(templates, "ent", tmp_path / "ent")
    idle = "91370102MA3ENQ6T7T"
    labourer_id = factories.id_number("37010219920704331")
    files = [
        factories.write(tmp_path / "in", "idle.yaml", factories.contractor(uscc=idle, name="济南安泰劳务服务有限公司")),
        factories.write(tmp_path / "in", "labourer.yaml", factories.person("许强", labourer_id, employer=idle)),
        factories.write(tmp_path / "in", "p-late.yaml", factories.project(
            code="HR-WB-2026-009", name="成品库屋面防水维修", contractor=idle, period={"start": "2026-09-01", "end": "2026-09-30"},
            workers=[{"name": "许强", "id_number": labourer_id}], dangerous_work=[])),
    ]
    ent.add_files(files[:2], pdf=False)
    ent.add_files(files[2:], pdf=False)
    result = export_package(ent, tmp_path / "may", since="2026-05-01", until="2026-05-31")
    index = json.loads((result.path / "index.json").read_text(encoding="utf-8"))
    orgs = {r["title"] for r in index["records"] if r["type"] == "organization"}
    projects = {r["doc_no"] for r in index["records"] if r["type"] == "project"}
    assert any("安泰" in t for t in orgs)
    assert "HR-WB-2026-001" in projects and "HR-WB-2026-009" not in projects
    assert verify_package(result.path).ok
    result = export_package(ent, tmp_path / "may-sep", since="2026-05-01", until="2026-09")  # a partial bound: all of September
    index = json.loads((result.path / "index.json").read_text(encoding="utf-8"))
    assert "HR-WB-2026-009" in {r["doc_no"] for r in index["records"] if r["type"] == "project"}
    assert not any("许强" in r["title"] for r in index["records"] if r["type"] == "person")
    assert verify_package(result.path).ok
    bur = clone(templates, "bur", tmp_path / "bur")
    report = import_package(bur, result.path)
    assert report.records_new == len(index["records"])
    assert bur.catalog.get_registry("organization", idle) is not None
    bur.close()
    ent.close()


def test_a_damaged_blob_is_not_exported(templates, tmp_path):
    ent = clone(templates, "ent", tmp_path / "ent")
    row = next(r for r in ent.catalog.list_records(types=["work_ticket"]))
    f = next(x for x in ent.catalog.record_files(row["id"]) if x["role"] == "docx")
    p = ent.blobs.path_for(f["sha256"])
    os.chmod(p, 0o600)
    flip(p)
    with pytest.raises(IntegrityError) as e:
        export_package(ent, tmp_path / "out")
    assert "digest" in "\n".join(e.value.failures)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial-*"))
    ent.close()


def test_a_missing_blob_is_not_exported_and_no_writer_thread_is_left(templates, tmp_path):
    import threading

    ent = clone(templates, "ent", tmp_path / "ent")
    row = next(r for r in ent.catalog.list_records(types=["work_ticket"]))
    f = next(x for x in ent.catalog.record_files(row["id"]) if x["role"] == "docx")
    ent.blobs.path_for(f["sha256"]).unlink()
    with pytest.raises(IntegrityError) as e:
        export_package(ent, tmp_path / "out")
    assert "缺失" in "\n".join(e.value.failures) and row["id"] in "\n".join(e.value.failures)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial-*"))
    assert not [t for t in threading.enumerate() if t.name.startswith("outsafe-bag")]
    ent.close()


def test_a_blob_vanishing_after_the_check_still_names_its_record(templates, tmp_path, monkeypatch):
    import archive.packages.export as packages

    ent = clone(templates, "ent", tmp_path / "ent")
    row = next(r for r in ent.catalog.list_records(types=["work_ticket"]))
    f = next(x for x in ent.catalog.record_files(row["id"]) if x["role"] == "docx")
    ent.blobs.path_for(f["sha256"]).unlink()
    monkeypatch.setattr(packages, "_blob_present", lambda path: True)  # the check passed; the blob went after
    with pytest.raises(IntegrityError) as e:
        export_package(ent, tmp_path / "out")
    assert row["id"] in "\n".join(e.value.failures) and "缺失" in "\n".join(e.value.failures)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial-*"))
    ent.close()


def test_bag_writer_groups_report_the_first_failure_after_all_have_finished(tmp_path):
    from archive.packages import bag as bagfmt

    w = bagfmt.BagWriter(tmp_path / "b")
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 5000)
    with pytest.raises(FileNotFoundError):  # from finish_payload, or from a later group once the failure is known
        for i in range(50):
            with w.group():
                w.write(f"r/{i}/a.json", b"{}")
                w.copy(f"r/{i}/files/x.bin", src if i != 17 else tmp_path / "gone.bin")
        w.finish_payload()
    w.close()
    written = len(list((tmp_path / "b" / "data" / "r").glob("*/files/x.bin")))
    assert 17 <= written <= 49  # every group queued before the failure was known has finished
    w3 = bagfmt.BagWriter(tmp_path / "d")  # once a failure is known, the next group stops the export
    with w3.group():
        w3.copy("r/0/files/x.bin", tmp_path / "gone.bin")
    deadline = time.monotonic() + 10
    while w3._failed is None and time.monotonic() < deadline:  # its completion callback has run
        time.sleep(0.01)
    with pytest.raises(FileNotFoundError):
        with w3.group():
            w3.write("r/1/a.json", b"{}")
    w3.close()
    assert not (tmp_path / "d" / "data" / "r" / "1").exists()
    w2 = bagfmt.BagWriter(tmp_path / "c")
    for i in range(20):
        with w2.group():
            w2.write(f"r/{i}/a.json", str(i).encode())
            w2.copy(f"r/{i}/files/x.bin", src)
    digests = w2.finish_payload()
    w2.close()
    assert len(digests) == 40 and digests["data/r/3/a.json"] == hashlib.sha256(b"3").hexdigest()
    assert digests["data/r/3/files/x.bin"] == hashlib.sha256(b"x" * 5000).hexdigest()


# --- the tamper matrix: one changed byte, and which verifiers must notice ---------------------------------------

ALL = ("outsafe", "bagit", "sha256sum manifest", "sha256sum tagmanifest", "openssl", "verify_proofs.py")


def payload_docx(bag: Path) -> None:
    flip(next((record_dir(bag, "work_ticket") / "files").glob("docx-*")))


def _bag_info(bag: Path) -> None:
    replace_once(bag / "bag-info.txt", "Bag-Count: 1 of 1", "Bag-Count: 2 of 1")


def _manifest(bag: Path) -> None:
    p = bag / "manifest-sha256.txt"
    lines = p.read_text(encoding="utf-8").splitlines(True)
    lines[0] = swap_hex_digit(lines[0])
    p.write_text("".join(lines), encoding="utf-8")


def _tagmanifest(bag: Path) -> None:
    p = bag / "tagmanifest-sha256.txt"
    lines = p.read_text(encoding="utf-8").splitlines(True)
    i = next(n for n, line in enumerate(lines) if line.rstrip().endswith("bag-info.txt"))
    lines[i] = swap_hex_digit(lines[i])
    p.write_text("".join(lines), encoding="utf-8")


def _seal(bag: Path) -> None:
    p = record_dir(bag, "work_ticket") / "seal.json"
    text = p.read_text(encoding="utf-8")
    i = text.index('"sealed_at":"') + len('"sealed_at":"') + 3  # the last digit of the year
    p.write_text(text[:i] + ("7" if text[i] != "7" else "8") + text[i + 1:], encoding="utf-8")


def _proof(bag: Path) -> None:
    p = record_dir(bag, "work_ticket") / "proof.json"
    proof = json.loads(p.read_text())
    assert proof["proof"]
    proof["proof"][0] = swap_hex_digit(proof["proof"][0])
    p.write_text(json.dumps(proof, ensure_ascii=False, indent=2) + "\n")


def _checkpoint(bag: Path) -> None:
    p = next((bag / "data" / "checkpoints" / ENTERPRISE).iterdir()) / "checkpoint.txt"
    lines = p.read_text(encoding="utf-8").split("\n")
    root = lines[2]
    lines[2] = root[:5] + ("A" if root[5] != "A" else "B") + root[6:]
    p.write_text("\n".join(lines), encoding="utf-8")


def _record_json(bag: Path) -> None:
    replace_once(record_dir(bag, "work_ticket") / "record.json", "炉壳加强筋补焊", "炉壳加强筋补悍")


def _index(bag: Path) -> None:
    replace_once(bag / "index.json", '"work_ticket"', '"work_tickeT"')


def _signature(bag: Path) -> None:
    flip(bag / "tagmanifest-sha256.txt.sig", 5)


def _fails(*names: str) -> dict[str, bool]:
    return {n: n not in names for n in ALL}


TAMPERS = {
    # a payload file: its manifest line and the proof script's seal check notice; the signed tag
    # manifest does not list payload files, so its signature still holds
    "payload .docx": (payload_docx, _fails("outsafe", "bagit", "sha256sum manifest", "verify_proofs.py")),
    "bag-info.txt": (_bag_info, _fails("outsafe", "bagit", "sha256sum tagmanifest")),
    "manifest-sha256.txt": (_manifest, _fails("outsafe", "bagit", "sha256sum manifest", "sha256sum tagmanifest")),
    "tagmanifest-sha256.txt": (_tagmanifest, _fails("outsafe", "bagit", "sha256sum tagmanifest", "openssl")),
    "seal.json": (_seal, _fails("outsafe", "bagit", "sha256sum manifest", "verify_proofs.py")),
    "proof.json": (_proof, _fails("outsafe", "bagit", "sha256sum manifest", "verify_proofs.py")),
    "checkpoint.txt": (_checkpoint, _fails("outsafe", "bagit", "sha256sum manifest", "verify_proofs.py")),
    "record.json": (_record_json, _fails("outsafe", "bagit", "sha256sum manifest", "verify_proofs.py")),
    "index.json": (_index, _fails("outsafe", "bagit", "sha256sum tagmanifest")),
    "tagmanifest signature": (_signature, _fails("outsafe", "openssl")),
}


@pytest.mark.parametrize("what", list(TAMPERS))
def test_tamper_matrix(bag, what):
    tamper, expected = TAMPERS[what]
    tamper(bag)
    assert tools(bag) == expected


def test_verify_names_what_failed(bag):
    _seal(bag)
    rid = record_dir(bag, "work_ticket").name
    rep = verify_package(bag)
    text = "\n".join(rep.failures)
    assert not rep.ok
    assert "seal.json" in text and rid in text  # bagit's fixity line and the record's own line


def test_a_forger_who_redoes_both_manifests_is_caught_by_the_signatures(bag):
    """Edit seal.json and recompute both manifests (everything but the signature): the tag-manifest
    signature, the seal signature and the ledger leaf all still give it away."""
    _seal(bag)

    def relist(manifest: Path, rel: str, digest: str) -> None:
        lines = manifest.read_text(encoding="utf-8").splitlines(True)
        manifest.write_text("".join(f"{digest}  {rel}\n" if ln.rstrip("\n").endswith(f" {rel}") else ln for ln in lines),
                            encoding="utf-8")

    seal = record_dir(bag, "work_ticket") / "seal.json"
    relist(bag / "manifest-sha256.txt", seal.relative_to(bag).as_posix(), pk.sha256_bytes(seal.read_bytes()))
    relist(bag / "tagmanifest-sha256.txt", "manifest-sha256.txt", pk.sha256_bytes((bag / "manifest-sha256.txt").read_bytes()))
    result = tools(bag)
    assert result["bagit"] and result["sha256sum manifest"] and result["sha256sum tagmanifest"]
    assert not result["openssl"] and not result["verify_proofs.py"] and not result["outsafe"]
    text = "\n".join(verify_package(bag).failures)
    assert "标签清单签名无效" in text and "封签签名无效" in text and "账本条目中的封签摘要" in text


# --- import ----------------------------------------------------------------------------------------------


def test_import_ingests_records_with_their_original_seals(pair, tmp_path):
    ent, bur, _files = pair
    result = export_package(ent, tmp_path / "p")
    out = import_package(bur, result.path)
    assert not out.already and out.records_new == result.records
    index = json.loads((result.path / "index.json").read_text(encoding="utf-8"))
    for row in (ent.catalog.get_record(r["id"]) for r in index["records"]):
        mine = bur.catalog.get_record(row["id"])
        assert mine is not None
        assert mine["seal"] == row["seal"] and bytes(mine["signature"]) == bytes(row["signature"])
        assert mine["origin"] == ENTERPRISE and mine["signer"] == ent.signer().fingerprint
        assert [(f["role"], f["sha256"]) for f in bur.catalog.record_files(row["id"])] == \
               [(f["role"], f["sha256"]) for f in ent.catalog.record_files(row["id"])]
        proof = bur.catalog.packages.imported_proof(row["id"])
        assert proof["origin"] == ENTERPRISE
    # the witness cosignature: the bureau's key over the enterprise's checkpoint body
    w = bur.catalog.packages.witnessed()[0]
    from archive.integrity.ledger import parse_note

    cp = parse_note(w["note"])
    assert keys.verify_signature(bur.public_key(), bytes(w["cosignature"]), cp.body().encode())
    kinds = [l["kind"] for l in bur.ledger.leaves()]
    assert kinds[-2:] == ["checkpoint_witnessed", "package_imported"]
    assert bur.ledger.latest_checkpoint()["tree_size"] == bur.ledger.size()
    # the registry: people re-keyed with the bureau's own secret; its own registrations kept
    reg = bur.catalog.get_registry("person", person_key(bur.secret, WELDER_ID))
    assert reg is not None and bur.catalog.get_record(reg["record_id"])["origin"] == ENTERPRISE
    assert bur.catalog.get_record(bur.catalog.get_registry("organization", ENTERPRISE)["record_id"])["origin"] == BUREAU
    assert bur.catalog.get_registry("organization", CONTRACTOR) is not None
    rep = verify_archive(bur)
    assert rep.ok, rep.failures


def test_importing_twice_changes_nothing(pair, tmp_path):
    ent, bur, _ = pair
    result = export_package(ent, tmp_path / "p")
    import_package(bur, result.path)
    before = dump(bur)
    again = import_package(bur, result.path)
    assert again.already
    assert dump(bur) == before


def test_unregistered_signer_is_refused_and_nothing_changes(templates, tmp_path):
    ent = clone(templates, "ent", tmp_path / "ent")
    bur = clone(templates, "bur0", tmp_path / "bur")  # enterprise registered, its key not
    result = export_package(ent, tmp_path / "p")
    before = dump(bur)
    with pytest.raises(IntegrityError) as e:
        import_package(bur, result.path)
    assert "未在本档案登记" in "\n".join(e.value.failures)
    assert "org trust" in e.value.hint
    assert dump(bur) == before


def test_a_different_registered_key_is_refused(templates, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    ent = clone(templates, "ent", tmp_path / "ent")
    bur = clone(templates, "bur0", tmp_path / "bur")
    other = Ed25519PrivateKey.generate().public_key()  # the bureau registered another key for the USCC
    trust_organization(bur, ENTERPRISE, keys.public_pem(other).encode(), keys.fingerprint(other))
    result = export_package(ent, tmp_path / "p")
    before = dump(bur)
    with pytest.raises(IntegrityError):
        import_package(bur, result.path)
    assert dump(bur) == before


def test_a_tampered_package_is_refused_and_nothing_changes(pair, tmp_path):
    ent, bur, _ = pair
    result = export_package(ent, tmp_path / "p")
    payload_docx(result.path)
    before = dump(bur)
    with pytest.raises(IntegrityError):
        import_package(bur, result.path)
    assert dump(bur) == before


def _rewrite_history(ent: Archive, files: dict, tmp_path: Path, extra: bool) -> None:
    """Whoever holds the enterprise's key removes its last ticket from history and seals another
    in its place (and, with ``extra``, one more record), signing fresh checkpoints."""
    db = ent.catalog.db
    for t in ("records_immutable_d", "record_files_immutable_d", "ledger_append_only_d", "checkpoints_immutable_d"):
        db.execute(f"DROP TRIGGER IF EXISTS {t}")
    ticket = next(r for r in ent.catalog.list_records(types=["work_ticket"]))
    idx = ent.ledger.leaf_for_record(ticket["id"])["idx"]
    with ent.catalog.transaction():
        db.execute("DELETE FROM ledger WHERE idx >= ?", (idx,))
        db.execute("DELETE FROM checkpoints WHERE tree_size > ?", (idx,))
        db.execute("DELETE FROM record_files WHERE record_id=?", (ticket["id"],))
        db.execute("DELETE FROM records WHERE id=?", (ticket["id"],))
    other = factories.write(tmp_path / "rw", "ticket2.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0999"))
    paths = [other]
    if extra:
        paths.append(factories.write(tmp_path / "rw", "agreement2.yaml", factories.agreement(agreement_no="HR-AQXY-2026-099")))
    ent.add_files(paths, pdf=False)


@pytest.mark.parametrize("extra", [False, True], ids=["same size", "longer"])
def test_rewritten_history_is_refused_and_nothing_changes(pair, tmp_path, extra):
    ent, bur, files = pair
    first = export_package(ent, tmp_path / "p1")
    import_package(bur, first.path)
    _rewrite_history(ent, files, tmp_path, extra)
    second = export_package(ent, tmp_path / "p2")
    assert verify_package(second.path).ok  # the forged package is internally perfect
    before = dump(bur)
    with pytest.raises(IntegrityError) as e:
        import_package(bur, second.path)
    assert "历史已被改写" in "\n".join(e.value.failures)
    assert dump(bur) == before
    assert verify_archive(bur).ok


def test_an_older_consistent_package_is_accepted_after_a_newer_one(pair, tmp_path):
    ent, bur, files = pair
    older = export_package(ent, tmp_path / "p1")
    more = factories.write(tmp_path / "more", "ticket3.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0200"))
    ent.add_files([more], pdf=False)
    newer = export_package(ent, tmp_path / "p2")
    import_package(bur, newer.path)
    out = import_package(bur, older.path)
    assert not out.already and out.records_new == 0
    sizes = [w["tree_size"] for w in bur.catalog.packages.witnessed()]
    assert sizes == [older.checkpoint["tree_size"], newer.checkpoint["tree_size"]]
    rep = verify_archive(bur)
    assert rep.ok, rep.failures


def test_consistency_proofs_are_kept_in_the_bureau_ledger(pair, tmp_path):
    ent, bur, _ = pair
    import_package(bur, export_package(ent, tmp_path / "p1").path)
    ent.add_files([factories.write(tmp_path / "more", "t.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0300"))], pdf=False)
    second = export_package(ent, tmp_path / "p2")
    import_package(bur, second.path)
    entries = [json.loads(l["entry"]) for l in bur.ledger.leaves(kind="checkpoint_witnessed")]
    c = entries[-1]["consistency"][0]
    assert c["old_size"] == entries[0]["tree_size"]
    assert merkle.verify_consistency(c["old_size"], entries[-1]["tree_size"], [bytes.fromhex(h) for h in c["proof"]],
                                     bytes.fromhex(c["old_root"]), bytes.fromhex(entries[-1]["root"]))


def test_bureau_verify_detects_tampered_imported_proof_and_witness(pair, tmp_path):
    ent, bur, _ = pair
    import_package(bur, export_package(ent, tmp_path / "p").path)
    db = bur.catalog.db
    db.execute("DROP TRIGGER imported_proofs_immutable_u")
    rid = next(r for r in ent.catalog.list_records(types=["work_ticket"]))["id"]
    proof = json.loads(db.execute("SELECT proof FROM imported_proofs WHERE record_id=?", (rid,)).fetchone()[0])
    proof[0] = swap_hex_digit(proof[0])
    db.execute("UPDATE imported_proofs SET proof=? WHERE record_id=?", (json.dumps(proof), rid))
    failures = verify_archive(bur).failures
    assert any(rid in f and "包含证明不成立" in f for f in failures), failures
    db.execute("DROP TRIGGER witnessed_immutable_u")
    db.execute("UPDATE witnessed SET cosignature=?", (b"\0" * 64,))
    failures = verify_archive(bur).failures
    assert any("见证副署无效" in f for f in failures), failures


def test_the_day_an_imported_record_was_received_is_proved(pair, tmp_path):
    """An evidence list says when the bureau received each imported record (the day it witnessed
    the checkpoint that proves it): backdating the witnessed row is named."""
    from archive.packages.evidence import received_on

    ent, bur, _ = pair
    import_package(bur, export_package(ent, tmp_path / "p").path)
    rid = next(r for r in ent.catalog.list_records(types=["work_ticket"]))["id"]
    assert received_on(bur, rid) is not None and verify_archive(bur).failures == []
    db = bur.catalog.db
    db.execute("DROP TRIGGER witnessed_immutable_u")
    db.execute("UPDATE witnessed SET witnessed_at='2026-01-05T01:00:00Z'")
    assert received_on(bur, rid) == "2026-01-05"
    assert any("witnessed_at altered" in f for f in verify_archive(bur).failures)


def test_imported_organization_records_never_become_trusted_keys(pair, tmp_path):
    """The enterprise's package carries organization records; none of them registers a key."""
    ent, bur, _ = pair
    import_package(bur, export_package(ent, tmp_path / "p").path)
    assert set(registered_keys(bur, ENTERPRISE)) == {ent.signer().fingerprint}
    assert registered_keys(bur, CONTRACTOR) == {}


def test_trust_requires_the_matching_fingerprint(templates, tmp_path):
    ent = clone(templates, "ent", tmp_path / "ent")
    bur = clone(templates, "bur0", tmp_path / "bur")
    pem = keys.public_pem(ent.public_key()).encode()
    with pytest.raises(KeyError_, match="指纹不符"):
        trust_organization(bur, ENTERPRISE, pem, "00" * 32)
    report = trust_organization(bur, ENTERPRISE, pem, ent.signer().fingerprint)
    assert report.added[0].status == "updated"
    again = trust_organization(bur, ENTERPRISE, pem, ent.signer().fingerprint)
    assert again.added[0].status == "unchanged"


# --- path safety: refused before anything is read in or extracted -------------------------------------------------


def _manifest_line(bag: Path, line: str) -> None:
    with (bag / "manifest-sha256.txt").open("a", encoding="utf-8") as fh:
        fh.write(line)


UNSAFE_FOLDERS = {
    "../ in a manifest": lambda b: _manifest_line(b, f"{'0' * 64}  data/../../outside.txt\n"),
    "absolute path in a manifest": lambda b: _manifest_line(b, f"{'0' * 64}  /etc/passwd\n"),
    "symbolic link": lambda b: os.symlink("/etc/passwd", b / "data" / "passwd"),
    "FIFO": lambda b: os.mkfifo(b / "data" / "fifo"),
    "names equal after NFC": lambda b: [
        (b / "data" / unicodedata.normalize("NFC", "café.txt")).write_text("a"),
        (b / "data" / unicodedata.normalize("NFD", "café.txt")).write_text("b"),
    ],
}


@pytest.mark.parametrize("what", list(UNSAFE_FOLDERS))
def test_unsafe_folder_is_refused(pair, tmp_path, what):
    ent, bur, _ = pair
    result = export_package(ent, tmp_path / "p")
    UNSAFE_FOLDERS[what](result.path)
    with pytest.raises(IntegrityError) as e:
        verify_package(result.path)
    assert e.value.failures
    before = dump(bur)
    with pytest.raises(IntegrityError):
        import_package(bur, result.path)
    assert dump(bur) == before


def _zip_with(bag: Path, dest: Path, add) -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for p in sorted(bag.rglob("*")):
            if p.is_file():
                zf.write(p, "pkg/" + p.relative_to(bag).as_posix())
        add(zf)
    return dest


def _special(name: str, mode: int, data: bytes = b"x"):
    def add(zf: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = mode << 16
        zf.writestr(info, data)

    return add


UNSAFE_ZIPS = {
    "zip-slip ../": lambda zf: zf.writestr("pkg/../../evil.txt", b"x"),
    "absolute path": lambda zf: zf.writestr("/tmp/evil.txt", b"x"),
    "symlink entry": _special("pkg/data/passwd", stat.S_IFLNK | 0o777, b"/etc/passwd"),
    "FIFO entry": _special("pkg/data/fifo", stat.S_IFIFO | 0o644),
    "names equal after NFC": lambda zf: (zf.writestr("pkg/data/" + unicodedata.normalize("NFC", "café.txt"), b"a"),
                                         zf.writestr("pkg/data/" + unicodedata.normalize("NFD", "café.txt"), b"b")),
}


@pytest.mark.parametrize("what", list(UNSAFE_ZIPS))
def test_unsafe_zip_is_refused_before_extraction(pair, tmp_path, monkeypatch, what):
    import warnings

    ent, bur, _ = pair
    result = export_package(ent, tmp_path / "p")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we create on purpose
        z = _zip_with(result.path, tmp_path / "evil.zip", UNSAFE_ZIPS[what])

    def no_extraction(*_a, **_k):
        raise AssertionError("extracted an unsafe zip")

    monkeypatch.setattr(paths, "_extract_zip", no_extraction)
    with pytest.raises(IntegrityError) as e:
        verify_package(z)
    assert e.value.failures
    before = dump(bur)
    with pytest.raises(IntegrityError):
        import_package(bur, z)
    assert dump(bur) == before
    assert not (tmp_path.parent / "evil.txt").exists()


def _bomb(zf):
    """64 MiB of zeros deflate to ~64 KiB: a 1,000:1 member, as in a zip bomb."""
    info = zipfile.ZipInfo("pkg/data/bomb.bin")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as out:
        block = bytes(1 << 20)
        for _ in range(64):
            out.write(block)


def test_a_zip_bomb_is_refused_before_anything_is_extracted(pair, tmp_path, monkeypatch):
    ent, bur, _ = pair
    result = export_package(ent, tmp_path / "p")
    z = _zip_with(result.path, tmp_path / "bomb.zip", _bomb)
    assert z.stat().st_size < 2 << 20

    def no_extraction(*_a, **_k):
        raise AssertionError("extracted a zip bomb")

    monkeypatch.setattr(paths, "_extract_zip", no_extraction)
    with pytest.raises(IntegrityError) as e:
        verify_package(z)
    assert any("bomb.bin" in f and "package_max_ratio" in f for f in e.value.failures)
    before = dump(bur)
    with pytest.raises(IntegrityError):
        import_package(bur, z)
    assert dump(bur) == before


@pytest.mark.parametrize("limit, word", [
    ({"package_max_members": 10}, "package_max_members"),
    ({"package_max_bytes": 10_000}, "package_max_bytes"),
    ({"package_max_member_bytes": 1_000}, "package_max_member_bytes"),
])
def test_zip_limits_are_settings(pair, tmp_path, limit, word):
    from dataclasses import replace

    from archive.settings import Settings

    ent, _bur, _ = pair
    result = export_package(ent, tmp_path / "p", as_zip=True)
    assert verify_package(result.path).ok
    with pytest.raises(IntegrityError) as e:
        verify_package(result.path, settings=replace(Settings(), **limit))
    assert any(word in f for f in e.value.failures)


def test_safe_zip_imports(pair, tmp_path):
    ent, bur, _ = pair
    result = export_package(ent, tmp_path / "p", as_zip=True)
    out = import_package(bur, result.path)
    assert out.records_new == result.records
    assert verify_archive(bur).ok


def test_bagit_python_agrees_in_process(bag):
    """The in-process cross-check with bagit-python's own validator (`package verify --bagit`)."""
    rep = verify_package(bag, bagit_check=True)
    assert rep.ok, rep.failures
    payload_docx(bag)
    failures = verify_package(bag, bagit_check=True).failures
    assert any(f.startswith("bagit-python:") for f in failures), failures


def test_export_refuses_a_record_whose_row_differs_from_its_seal(pair, tmp_path):
    ent, _bur, _ = pair
    row = next(r for r in ent.catalog.list_records(types=["work_ticket"]))
    ent.catalog.db.execute("DROP TRIGGER IF EXISTS records_immutable_u")
    ent.catalog.db.execute("UPDATE records SET contractor='91370105MA3DK8W41C' WHERE id=?", (row["id"],))
    with pytest.raises(IntegrityError) as e:
        export_package(ent, tmp_path / "out")
    assert any(row["id"] in f and "contractor" in f for f in e.value.failures)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.partial-*"))


def test_import_derives_the_columns_from_the_seal_not_from_record_json(bag):
    from archive.packages.importer import _read_incoming, row_from_seal

    incoming = _read_incoming(bag)
    inc = next(i for i in incoming if i.record["type"] == "work_ticket")
    (row, files), problems = row_from_seal(inc)
    assert problems == [] and row["contractor"] == inc.record["contractor"] and files
    inc.record["contractor"] = "91370105MA3DK8W41C"  # what a dishonest signer could write into record.json
    inc.record["doc_date"] = "2020-01-01"
    (row, _), problems = row_from_seal(inc)
    assert row["contractor"] != "91370105MA3DK8W41C"
    assert any("contractor" in p for p in problems) and any("doc_date" in p for p in problems)


def test_the_day_a_package_was_sent_or_received_is_a_fact_verify_proves(pair, tmp_path):
    """The campaign's calendar reads when a submission was made (the ``packages`` row) and received
    (the ``package_imported`` leaf): backdating either, in the ledger or in the row, is named;
    a row without its leaf, or a leaf without its row, too."""
    from archive.campaign.calendar import _packages

    ent, bur, _ = pair
    export_package(ent, tmp_path / "p")
    import_package(bur, tmp_path / "p")
    assert verify_archive(bur).failures == [] and verify_archive(ent).failures == []
    for arc, kind in ((bur, "package_imported"), (ent, "package_exported")):
        db = arc.catalog.db
        for t in ("ledger_append_only_u", "packages_immutable_u", "packages_immutable_d"):
            db.execute(f"DROP TRIGGER IF EXISTS {t}")
        (idx, at), = db.execute("SELECT idx, created_at FROM ledger WHERE kind=?", (kind,)).fetchall()
        assert json.loads(db.execute("SELECT entry FROM ledger WHERE idx=?", (idx,)).fetchone()[0])["logged_at"] == at
        db.execute("UPDATE ledger SET created_at='2026-01-05T01:00:00Z' WHERE idx=?", (idx,))
        assert any(f"leaf {idx}: created_at altered" in f for f in verify_archive(arc).failures)
        db.execute("UPDATE ledger SET created_at=? WHERE idx=?", (at, idx))
        db.execute("UPDATE packages SET created_at='2026-01-05T01:00:00Z'")
        assert any("package row: created_at altered" in f for f in verify_archive(arc).failures)
        db.execute("UPDATE packages SET created_at=?", (at,))
        assert verify_archive(arc).failures == []
        # the row's info (an export's period, which the calendar judges a submission by): the leaf says it too
        info = db.execute("SELECT info FROM packages").fetchone()[0]
        for garbage in ("not json", json.dumps({"since": "2020-01-01", "until": "2026-12-31"})):
            db.execute("UPDATE packages SET info=?", (garbage,))
            got = verify_archive(arc).failures
            assert any("package row: info altered" in f for f in got) is (kind == "package_exported" or garbage == "not json"), got
            assert [p["direction"] for p in _packages(arc)] == ["export" if kind == "package_exported" else "import"]
        db.execute("UPDATE packages SET info=?", (info,))
        row = db.execute("SELECT * FROM packages").fetchone()
        db.execute("DELETE FROM packages")
        assert any(f"账本第 {idx} 条" in f and "package row deleted" in f for f in verify_archive(arc).failures)
        db.execute(f"INSERT INTO packages VALUES ({','.join('?' * len(row))})", tuple(row))
        db.execute("UPDATE packages SET digest=?", ("ab" * 32,))
        got = verify_archive(arc).failures
        assert any("without its ledger leaf" in f for f in got) and any("package row deleted" in f for f in got)


def _hostile_correction(ent: Archive, path: Path, old_id: str, monkeypatch) -> str:
    """What an enterprise running altered software seals: a record that says it corrects
    ``old_id``, a record its own archive does not hold (its local checks bypassed)."""
    monkeypatch.setattr(ent, "_check_supersede", lambda *_: None)
    ent.catalog.db.execute("PRAGMA foreign_keys=OFF")
    try:
        return ent.add_files([path], supersedes=old_id, note="更正", pdf=False).added[0].id
    finally:
        ent.catalog.db.execute("PRAGMA foreign_keys=ON")


def test_a_package_may_not_correct_another_units_record(pair, tmp_path, monkeypatch):
    """An enterprise's package could say its record corrects the bureau's own document (or one of
    another type): imported, the bureau's record was listed as corrected — gone from every current
    listing — and verify passed. A correction is its author's: refused, nothing changes."""
    ent, bur, files = pair
    bur.add_files([files["contractor"], files["welder"], files["project"]], pdf=False)
    theirs = bur.add_files([files["agreement"]], pdf=False).added[0].id  # the bureau's copy, sealed by the bureau
    mine = ent.catalog.list_records(types=["work_ticket"])[0]["id"]
    other = factories.write(tmp_path / "h", "agreement.yaml", factories.agreement(agreement_no="HR-AQXY-2026-077"))
    ent.add_files([other], pdf=False)
    again = factories.write(tmp_path / "h2", "agreement.yaml", factories.agreement(agreement_no="HR-AQXY-2026-078"))
    bad_origin = _hostile_correction(ent, again, theirs, monkeypatch)
    third = factories.write(tmp_path / "h3", "agreement.yaml", factories.agreement(agreement_no="HR-AQXY-2026-079"))
    bad_type = _hostile_correction(ent, third, mine, monkeypatch)
    result = export_package(ent, tmp_path / "p")
    before = dump(bur)
    with pytest.raises(IntegrityError) as e:
        import_package(bur, result.path)
    text = "\n".join(e.value.failures)
    assert f"记录 {bad_origin}（来源 {ENTERPRISE}）更正的记录 {theirs} 来自 {BUREAU}" in text and "only be corrected by the unit" in text
    assert f"记录 {bad_type}（safety_agreement）更正的记录 {mine} 是 work_ticket" in text
    assert dump(bur) == before
    assert bur.catalog.superseded_by(theirs) is None


def test_an_imported_document_is_not_corrected_by_the_importer(pair, tmp_path):
    """The bureau could `case supersede` an enterprise's imported ticket with a record of its own
    (and its next package would carry it): refused like any other bad input, nothing stored."""
    ent, bur, files = pair
    import_package(bur, export_package(ent, tmp_path / "p").path)
    ticket = ent.catalog.list_records(types=["work_ticket"])[0]["id"]
    changed = factories.write(tmp_path / "c", "ticket.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0777"))
    before = dump(bur)
    with pytest.raises(ValidationFailed) as e:
        bur.supersede(ticket, changed, reason="改写", pdf=False)
    assert f"记录 {ticket} 来自 {ENTERPRISE}，只有原记录的单位可以更正它" in str(e.value.problems[0].message)
    assert dump(bur) == before


def test_verify_names_a_correction_an_archive_took_before_it_was_refused(pair, tmp_path, monkeypatch):
    """An archive that took another unit's correction of a document, or two corrections of one,
    before import and supersede refused them: verify names each (the seals themselves are good)."""
    from archive.app import Archive

    ent, bur, files = pair
    import_package(bur, export_package(ent, tmp_path / "p").path)
    ticket = ent.catalog.list_records(types=["work_ticket"])[0]["id"]
    assert verify_archive(bur).failures == []
    monkeypatch.setattr(Archive, "_check_supersede", lambda self, old_id, loaded: None)  # as before 8212967
    changed = factories.write(tmp_path / "c", "ticket.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0777"))
    mine = bur.supersede(ticket, changed, reason="改写", pdf=False).added[0].id
    again = bur.supersede(ticket, factories.write(tmp_path / "d", "ticket.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0778")),
                          reason="再改", pdf=False).added[0].id
    got = verify_archive(bur).failures
    assert any(f"记录 {mine} 更正记录 {ticket}" in f and "a document corrected by another unit" in f for f in got), got
    assert any(f"记录 {ticket} 被更正了 2 次" in f and mine in f and again in f for f in got), got


def _in_first_record(name: str, value) -> Callable[[Path], None]:
    def tamper(bag: Path) -> None:
        p = record_dir(bag, "work_ticket") / name
        p.write_text(json.dumps(value(json.loads(p.read_text(encoding="utf-8"))), ensure_ascii=False), encoding="utf-8")
    return tamper


def _file_instead_of_folder(rel: str) -> Callable[[Path], None]:
    return lambda bag: (bag / rel).write_text("x", encoding="utf-8")


def _with(key: str, value) -> Callable[[dict], dict]:
    return lambda d: {**d, key: value}


def _index_twice(bag: Path) -> None:
    index = json.loads((bag / "index.json").read_text(encoding="utf-8"))
    index["records"].append(index["records"][0])
    (bag / "index.json").write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")


def _folder_named_like_a_key(bag: Path) -> None:
    (bag / "data" / "keys" / "x.pub.pem").mkdir()


HOSTILE_SHAPES = {
    # what anyone can write into a package: each was a traceback of `package verify` (and of import)
    "a file among the origins of data/records": (_file_instead_of_folder("data/records/junk"), "data/records/junk: 应为目录"),
    "a file among the origins of data/checkpoints": (_file_instead_of_folder("data/checkpoints/junk"), "data/checkpoints/junk: 应为目录"),
    "seal.json a list": (_in_first_record("seal.json", lambda d: [d]), "seal.json 不是 JSON 对象"),
    "record.json a list": (_in_first_record("record.json", lambda d: [d]), "record.json 不是 JSON 对象"),
    "proof.json a list": (_in_first_record("proof.json", lambda d: [d]), "proof.json 不是 JSON 对象"),
    "proof names a list as checkpoint": (_in_first_record("proof.json", _with("checkpoint", [1])), "指向的检查点"),
    "leaf data a list": (_in_first_record("proof.json", _with("leaf_data", "[1]")), "账本条目无法解析"),
    "record.json files of numbers": (_in_first_record("record.json", _with("files", [1])), "record.json 的文件清单格式错误"),
    "a file path a number": (_in_first_record("record.json", lambda d: {**d, "files": [{**f, "path": 5} for f in d["files"]]}),
                             "record.json 的文件清单格式错误"),
    "index.json records numbers": (lambda bag: (bag / "index.json").write_text('{"records": [1, 2]}'), "index.json: records 的每一项须有字符串 path"),
    "index.json path a list": (lambda bag: (bag / "index.json").write_text('{"records": [{"path": [1]}]}'), "index.json: records 的每一项须有字符串 path"),
    "index.json lists a record twice": (_index_twice, "列出了 2 次 (record listed more than once)"),
    "a folder named like a key": (_folder_named_like_a_key, "data/keys/x.pub.pem: 公钥无法读取"),
}


@pytest.mark.parametrize("what", list(HOSTILE_SHAPES))
def test_hostile_shapes_are_named_never_raised(bag, what):
    tamper, named = HOSTILE_SHAPES[what]
    tamper(bag)
    rep = verify_package(bag)
    assert not rep.ok and any(named in f for f in rep.failures), rep.failures


def test_a_record_id_that_could_never_be_exported_again_is_refused(pair, tmp_path, monkeypatch):
    """An enterprise running altered software names a record 'odd id 甲' (a folder name like any
    other): imported, every later export of the bureau that held it — its submission, an evidence
    package — failed on that id. Import takes only the ids export writes."""
    import re as re_

    from archive import ids
    from archive.packages import export as export_mod

    ent, bur, _ = pair
    odd = factories.write(tmp_path / "odd", "ticket.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0555"))
    with monkeypatch.context() as m:
        m.setattr(ids, "new_id", lambda *_: "odd id 甲")
        ent.add_files([odd], pdf=False)
    monkeypatch.setattr(export_mod, "RECORD_ID_RE", re_.compile(".*"))
    result = export_package(ent, tmp_path / "p")
    before = dump(bur)
    with pytest.raises(IntegrityError) as e:
        import_package(bur, result.path)
    assert f"记录 'odd id 甲'（来源 '{ENTERPRISE}'）：编号或来源不合 outsafe 的格式" in "\n".join(e.value.failures)
    assert dump(bur) == before


def _folder_for(name: str) -> Callable[[Path], None]:
    def tamper(bag: Path) -> None:
        (bag / name).unlink()
        (bag / name).mkdir()
    return tamper


@pytest.mark.parametrize("tamper, named", [
    (lambda bag: (bag / "bagit.txt").write_bytes(b"\xff\xfe"), "bagit-python: 无法读取 (unreadable: 'utf-8' codec can't decode"),
    (_folder_for("bag-info.txt"), "bagit-python: bag-info.txt: 无法读取 (unreadable: Is a directory)"),
], ids=["bagit.txt no UTF-8", "bag-info.txt a folder"])
def test_bagit_python_on_a_hostile_bag_is_named_never_raised(bag, tamper, named):
    """`package verify --bagit` was a traceback of bagit-python's own reading."""
    tamper(bag)
    rep = verify_package(bag, bagit_check=True)
    assert not rep.ok and any(f.startswith(named) for f in rep.failures), rep.failures


def _resign(bag: Path, signer) -> None:
    """What whoever holds the signing key does after changing a package: both manifests, the
    Payload-Oxum and the signature made again."""
    from archive.packages import bag as bagfmt

    payload = {p.relative_to(bag).as_posix(): bagfmt.hash_file(p) for p in sorted((bag / "data").rglob("*")) if p.is_file()}
    (bag / "manifest-sha256.txt").write_bytes(bagfmt.manifest_text({p: h for p, (h, _) in payload.items()}))
    info = (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    oxum = f"Payload-Oxum: {sum(n for _, n in payload.values())}.{len(payload)}"
    (bag / "bag-info.txt").write_text("".join((oxum if x.startswith("Payload-Oxum:") else x) + "\n" for x in info), encoding="utf-8")
    tags = {p.name: bagfmt.hash_file(p)[0] for p in bag.iterdir() if p.is_file() and p.name not in (bagfmt.TAGMANIFEST, bagfmt.SIG_NAME)}
    tm = bagfmt.manifest_text(tags)
    (bag / bagfmt.TAGMANIFEST).write_bytes(tm)
    (bag / bagfmt.SIG_NAME).write_bytes(signer.sign(tm))


def test_rewritten_history_without_its_leaf_hashes_is_refused(pair, tmp_path):
    """The forger of test_rewritten_history (a longer history) leaves out data/ledger/<signer>/
    leaf-hashes.txt, which export always writes: with nothing to prove the earlier checkpoint a
    prefix, the import skipped the check and took the rewritten history."""
    ent, bur, files = pair
    import_package(bur, export_package(ent, tmp_path / "p1").path)
    _rewrite_history(ent, files, tmp_path, True)
    second = export_package(ent, tmp_path / "p2")
    shutil.rmtree(second.path / "data" / "ledger")
    _resign(second.path, ent.signer())
    assert verify_package(second.path).ok  # internally perfect still
    before = dump(bur)
    with pytest.raises(IntegrityError) as e:
        import_package(bur, second.path)
    assert f"data/ledger/{ENTERPRISE}/leaf-hashes.txt" in "\n".join(e.value.failures)
    assert dump(bur) == before


def test_a_file_with_a_long_chinese_name_is_exported(pair, tmp_path):
    """A case file named with 83 Chinese characters (249 bytes, a legal name) made every later
    package export a traceback: 'File name too long' for files/source-<its name>."""
    ent, bur, _ = pair
    long = factories.write(tmp_path / "long", "动" * 83 + ".yaml", factories.hot_work_ticket(ticket_no="DH-2026-0888"))
    ent.add_files([long], pdf=False)
    result = export_package(ent, tmp_path / "p")
    assert verify_package(result.path).ok
    assert import_package(bur, result.path).records_new == result.records


def test_a_record_sealed_in_the_future_is_refused(pair, tmp_path):
    """An origin whose clock says 2099 (wrong, or set so on purpose): its records were imported as
    sealed then — the newest version of every entry they register for ever, seen by no --as-of
    day. More than a day ahead of this archive's clock is refused; nothing changes."""
    from datetime import datetime, timezone

    from archive.clock import FixedClock

    ent, bur, _ = pair
    ent.clock = FixedClock(datetime(2099, 1, 1, tzinfo=timezone.utc))
    later = factories.write(tmp_path / "later", "ticket.yaml", factories.hot_work_ticket(ticket_no="DH-2026-0999"))
    rid = ent.add_files([later], pdf=False).added[0].id
    result = export_package(ent, tmp_path / "p")
    before = dump(bur)
    with pytest.raises(IntegrityError) as e:
        import_package(bur, result.path)
    assert f"记录 {rid}: 封签时间 2099-01-01T00:00:00Z 晚于本档案的当前时间 {bur.clock.stamp()}" in "\n".join(e.value.failures)
    assert dump(bur) == before
