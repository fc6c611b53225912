"""Verifying a package (``outsafe package verify``): the bag, the signature over the tag manifest,
every record's seal and inclusion proof, the checkpoints and the index.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from archive.errors import IntegrityError
from archive.integrity import keys
from archive.integrity.ledger import parse_note, verify_checkpoint
from archive.packages import bag as bagfmt
from archive.packages.bag import SIG_NAME, TAGMANIFEST
from archive.packages.common import (
    COMPILATION,
    EXTRACTION_DOCX,
    EXTRACTION_PDF,
    FORMAT,
    GUIDE_NAME,
    INDEX_NAME,
    KIND_EVIDENCE,
    KIND_LABELS,
    KIND_RECORDS,
    LIST_DOCX,
    LIST_PDF,
    SCRIPT_NAME,
    USCC_RE,
    PackageReport,
    Progress,
    UnsafePackage,
    sha256_bytes,
)
from archive.packages.paths import opened_package
from archive.packages.verify_script import Checker
from archive.settings import Settings

# --- verifying a package ---------------------------------------------------------------------------------------------


def verify_package(path: Path, *, progress: Progress | None = None, bagit_check: bool = False,
                   settings: Settings | None = None) -> PackageReport:
    """``outsafe package verify``: everything, offline, no archive needed. An unsafe package (or a
    zip that would expand beyond the ``package_max_*`` settings) is refused
    (:class:`IntegrityError`) before anything in it is read; otherwise the report lists every
    failure. ``bagit_check`` also runs bagit-python's own validator."""
    with opened_package(Path(path), settings) as opened:
        return verify_bag(opened.path, shown=str(path), files=opened.files, progress=progress, bagit_check=bagit_check)


def check_package(path: Path, *, progress: Progress | None = None, bagit_check: bool = False) -> PackageReport | UnsafePackage:
    """:func:`verify_package` as a result to show: an unsafe package's refusal is one too."""
    try:
        return verify_package(path, progress=progress, bagit_check=bagit_check)
    except IntegrityError as e:  # unsafe paths: refused before reading anything
        return UnsafePackage(str(path), e)


def verify_bag(bag_dir: Path, *, shown: str | None = None, files: dict[str, int] | None = None,
               progress: Progress | None = None, bagit_check: bool = False) -> PackageReport:
    rep = PackageReport(path=shown or str(bag_dir))
    fail = rep.failures.append
    t0 = time.perf_counter()

    # 1. BagIt: structure, version, bag-info, Payload-Oxum, completeness, fixity of every file
    state = bagfmt.validate(bag_dir, files)
    rep.timings["bagit_s"] = round(time.perf_counter() - t0, 3)
    rep.failures.extend(state.failures)
    if bagit_check:
        rep.failures.extend(bagfmt.bagit_validate(bag_dir))
    if not (bag_dir / TAGMANIFEST).is_file() or not (bag_dir / "bagit.txt").is_file():
        return rep
    info = state.info
    rep.kind = state.tag("Outsafe-Package-Kind")
    rep.signer = state.tag("Outsafe-Signer")
    rep.signer_name = state.tag("Source-Organization")
    rep.fingerprint = state.tag("Outsafe-Signer-Fingerprint")
    with contextlib.suppress(ValueError, TypeError):
        rep.bytes, rep.files = (int(x) for x in (state.tag("Payload-Oxum") or "").split(".", 1))
    if not info:
        fail("缺少 bag-info.txt (missing)")
    if state.tag("Outsafe-Package-Format") != FORMAT:
        fail(f"bag-info.txt: 不是 {FORMAT} 格式的包 (not an outsafe package, or another version)")
    if rep.kind not in KIND_LABELS:
        fail(f"bag-info.txt: 未知的包类型 {rep.kind!r} (unknown package kind)")
    for required in (INDEX_NAME, GUIDE_NAME) if rep.kind == KIND_EVIDENCE else (INDEX_NAME, SCRIPT_NAME, GUIDE_NAME):
        if required not in state.tags:
            fail(f"缺少 {required} (missing)")

    # 2. the signature over the tag manifest
    tm_bytes = (bag_dir / TAGMANIFEST).read_bytes()
    rep.digest = sha256_bytes(tm_bytes)
    signer_key = _package_key(bag_dir, rep.signer, fail, "签名单位")
    if signer_key is not None:
        fp = keys.fingerprint(signer_key)
        if rep.fingerprint and fp != rep.fingerprint:
            fail(f"data/keys/{rep.signer}.pub.pem 的指纹 {fp} 与 bag-info.txt 中的 {rep.fingerprint} 不符 (signer key differs from bag-info)")
        rep.fingerprint = fp
        try:
            sig = (bag_dir / SIG_NAME).read_bytes()
        except OSError:
            fail(f"缺少 {SIG_NAME}：标签清单未签名 (tag manifest not signed)")
        else:
            if not keys.verify_signature(signer_key, sig, tm_bytes):
                fail(f"{SIG_NAME}: 标签清单签名无效 (signature over {TAGMANIFEST} does not verify)")

    if rep.kind == KIND_EVIDENCE:
        verify_evidence_bag(bag_dir, rep, state, progress=progress, bagit_check=bagit_check)
        return rep

    # 3. proofs, seals vs records, file digests (the same code as the shipped verify_proofs.py,
    #    given the digests just checked instead of hashing every file again)
    t1 = time.perf_counter()
    _verify_records(bag_dir, rep, state.payload if state.fixity_ok else None, progress)
    rep.timings["records_s"] = round(time.perf_counter() - t1, 3)
    return rep


def _tag(info: dict, name: str) -> str | None:
    v = info.get(name)
    if isinstance(v, list):
        return v[0] if v else None
    return v


def _package_key(bag_dir: Path, uscc: str | None, fail: Callable[[str], None], who: str):
    if not uscc or not USCC_RE.match(uscc):
        fail(f"bag-info.txt: {who}代码 {uscc!r} 无效 (invalid organization code)")
        return None
    try:
        return keys.load_public_pem((bag_dir / "data" / "keys" / f"{uscc}.pub.pem").read_bytes())
    except FileNotFoundError:
        fail(f"data/keys/{uscc}.pub.pem: 包中没有{who}的公钥 (key missing)")
    except Exception as e:  # KeyError_: unreadable key
        fail(f"data/keys/{uscc}.pub.pem: {e}")
    return None


def _verify_records(bag_dir: Path, rep: PackageReport, known: dict[str, str] | None, progress: Progress | None) -> None:
    fail = rep.failures.append
    checker = _KnownChecker(str(bag_dir), known)
    rep.failures.extend(checker.run())
    rep.records = checker.records
    # signatures: checkpoints (and cosignatures), seals
    key_cache: dict[str, Any] = {}

    def key(uscc: str):
        if uscc not in key_cache:
            key_cache[uscc] = _package_key(bag_dir, uscc, fail, "")
        return key_cache[uscc]

    for rel, note in sorted(checker.checkpoints.items()):
        origin = note["origin"].removeprefix("outsafe.archive/")
        cp = parse_note((bag_dir / rel).read_text(encoding="utf-8"))
        k = key(origin)
        if k is not None and not verify_checkpoint(cp, k):
            fail(f"{rel}: 检查点签名无效 (checkpoint signature does not verify with data/keys/{origin}.pub.pem)")
        rep.checkpoints.append({"origin": origin, "tree_size": cp.tree_size, "root": cp.root.hex()})
        folder = (bag_dir / rel).parent
        for sig_file in sorted(p for p in folder.glob("cosignature-*.sig") if p.is_file()):
            witness = sig_file.name[len("cosignature-"):-len(".sig")]
            wk = key(witness)
            if wk is not None and not keys.verify_signature(wk, sig_file.read_bytes(), cp.body().encode()):
                fail(f"{sig_file.relative_to(bag_dir).as_posix()}: 见证副署签名无效 (witness cosignature does not verify)")
    index = _read_index(bag_dir, fail)
    listed = {r["path"] for r in index["records"]} if index else set()
    base = bag_dir / "data" / "records"
    found = set()
    folders = sorted(p for o in (base.iterdir() if base.is_dir() else []) if o.is_dir() for p in o.iterdir())
    total = len(folders)
    for n, folder in enumerate(folders, 1):
        origin, rid = folder.parent.name, folder.name
        found.add(f"data/records/{origin}/{rid}")
        k = key(origin)
        try:
            seal_bytes = (folder / "seal.json").read_bytes()
            sig = (folder / "seal.sig").read_bytes()
        except OSError:
            continue  # reported by the checker
        if k is not None and not keys.verify_signature(k, sig, seal_bytes):
            fail(f"记录 {origin}/{rid}: 封签签名无效 (seal signature does not verify)")
        if progress:
            progress("records", n, total)
    if index is not None:
        for p in sorted(found - listed):
            fail(f"{p}: 不在 index.json 中 (record folder not in the index)")
        for p in sorted(listed - found):
            fail(f"index.json: 列出的 {p} 不在包中 (indexed record missing)")


class _KnownChecker(Checker):
    """The shipped checker, reusing the digests just verified instead of hashing again (and the
    path-safety walk already done)."""

    def check_names(self) -> None:
        return

    def __init__(self, bag: str, known: dict[str, str] | None) -> None:
        super().__init__(bag)
        self.known = known

    def file_digest(self, path: str) -> tuple[str, int]:
        if self.known is not None:
            rel = os.path.relpath(path, self.bag).replace(os.sep, "/")
            if rel in self.known:
                return self.known[rel], os.stat(path).st_size
        return super().file_digest(path)


def _read_index(bag_dir: Path, fail: Callable[[str], None]) -> dict | None:
    try:
        index = json.loads((bag_dir / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        fail(f"{INDEX_NAME}: 无法读取 (unreadable: {e})")
        return None
    if not isinstance(index, dict) or not isinstance(index.get("records"), list):
        fail(f"{INDEX_NAME}: 格式错误 (malformed)")
        return None
    paths = [r.get("path") if isinstance(r, dict) else None for r in index["records"]]
    if not all(isinstance(p, str) for p in paths):
        fail(f"{INDEX_NAME}: records 的每一项须有字符串 path (malformed: every record entry needs a path)")
        return None
    for p in sorted({p for p in paths if paths.count(p) > 1}):
        fail(f"{INDEX_NAME}: {p} 列出了 {paths.count(p)} 次 (record listed more than once)")
    return index


# --- verification of the evidence part ---------------------------------------------------------------------------------


def verify_evidence_bag(bag_dir: Path, rep: PackageReport, state, *, progress: Progress | None = None,
                        bagit_check: bool = False) -> None:
    """The evidence layer of :func:`verify_bag`: the records package inside,
    the link between it and the compilation's cover, the bookmarks."""
    fail = rep.failures.append
    inner_dir = bag_dir / "data" / "package"
    if not (inner_dir / "bagit.txt").is_file():
        fail("data/package: 缺少所据记录包 (the records package is missing)")
        return
    prefix = "data/package/"
    inner_files = {p[len(prefix):]: n for p, n in state.files.items() if p.startswith(prefix)}
    inner = verify_bag(inner_dir, shown=str(inner_dir), files=inner_files, progress=progress, bagit_check=bagit_check)
    rep.inner = inner
    rep.records = inner.records
    rep.checkpoints = inner.checkpoints
    rep.failures.extend(f"data/package: {f}" for f in inner.failures)
    if inner.kind != KIND_RECORDS:
        fail(f"data/package: 包类型应为 {KIND_RECORDS}，实为 {inner.kind} (wrong kind of inner package)")
    if inner.signer != rep.signer or inner.fingerprint != rep.fingerprint:
        fail("data/package: 记录包与证据包的签名单位不同 (records package signed by someone else)")
    inner_digest = sha256_bytes((inner_dir / TAGMANIFEST).read_bytes()) if (inner_dir / TAGMANIFEST).is_file() else None
    declared = state.tag("Outsafe-Inner-Tagmanifest-Sha256")
    if declared != inner_digest:
        fail(f"bag-info.txt: 记录的记录包摘要 {declared} 与 data/package/tagmanifest-sha256.txt 的 {inner_digest} 不符 (inner digest differs)")
    try:
        index = json.loads((bag_dir / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        fail(f"{INDEX_NAME}: 无法读取 (unreadable: {e})")
        return
    if not isinstance(index, dict) or not isinstance(index.get("items") or [], list) or not isinstance(index.get("records_package") or {}, dict):
        fail(f"{INDEX_NAME}: 格式错误 (malformed)")
        return
    items = index.get("items") or []
    if (index.get("records_package") or {}).get("tagmanifest_sha256") != inner_digest:
        fail(f"{INDEX_NAME}: 记录包摘要与 data/package 不符 (index names another records package)")
    compiled = bag_dir / "data" / "evidence" / COMPILATION
    for name in (LIST_DOCX, LIST_PDF, EXTRACTION_DOCX, EXTRACTION_PDF, COMPILATION):
        if not (bag_dir / "data" / "evidence" / name).is_file():
            fail(f"data/evidence/{name}: 缺失 (missing)")
    if not compiled.is_file():
        return
    try:
        reader = PdfReader(str(compiled))
        outline = [o for o in reader.outline if not isinstance(o, list)]
        cover_text = ""
        for page in reader.pages:
            text = page.extract_text() or ""
            cover_text += text
            if "证据1 第1页" in text.replace("\n", ""):
                break
    except (PyPdfError, ValueError, KeyError, TypeError) as e:
        fail(f"data/evidence/{COMPILATION}: 无法读取 (unreadable PDF: {e})")
        return
    if inner_digest and inner_digest not in re.sub(r"\s+", "", cover_text):
        fail(f"data/evidence/{COMPILATION}: 封面上没有记录包摘要 {inner_digest[:16]}… (cover does not carry the records package digest)")
    if len(outline) != len(items):
        fail(f"data/evidence/{COMPILATION}: 书签 {len(outline)} 个，证据 {len(items)} 项 (one bookmark per evidence item expected)")
