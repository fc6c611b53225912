"""What every part of a package shares: the format's names, the result objects
(:class:`ExportResult`, :class:`PackageReport`, :class:`ImportResult`), canonical JSON and hashing
helpers, and the shipped verify_proofs.py.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from archive.errors import ExitCode, IntegrityError
from archive.integrity import canonical as jcs
from archive.integrity import merkle
from archive.packages import verify_script
from archive.text import notes

Progress = Callable[[str, int, int], None]

FORMAT = "outsafe-package/1"
GUIDE_NAME = "核验说明.txt"
SCRIPT_NAME = "verify_proofs.py"
INDEX_NAME = "index.json"
KIND_SUBMISSION = "submission"
KIND_EVIDENCE = "evidence"
KIND_RECORDS = "records"  # the records package inside an evidence package
KIND_LABELS = {KIND_SUBMISSION: "报送包", KIND_EVIDENCE: "证据包", KIND_RECORDS: "记录包"}
# the evidence part of an evidence package (证据包)
LIST_DOCX = "证据清单.docx"
LIST_PDF = "证据清单.pdf"
EXTRACTION_DOCX = "电子数据提取笔录.docx"
EXTRACTION_PDF = "电子数据提取笔录.pdf"
COMPILATION = "证据材料汇编.pdf"
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
RECORD_ID_RE = re.compile(r"^[0-9A-Z]{26}$")  # what a package may name a record folder (export and import)
STORED_SUFFIXES = (".pdf", ".docx", ".xlsx", ".jpg", ".jpeg", ".png", ".zip", ".gz")



# --- results ---------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    path: Path
    kind: str
    digest: str  # sha256 of tagmanifest-sha256.txt
    records: int
    files: int
    bytes: int
    signer: str
    fingerprint: str
    checkpoint: dict
    since: str | None = None
    until: str | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "tagmanifest_sha256": self.digest,
            "records": self.records,
            "files": self.files,
            "bytes": self.bytes,
            "signer": self.signer,
            "fingerprint": self.fingerprint,
            "checkpoint": self.checkpoint,
            "since": self.since,
            "until": self.until,
            "seconds": round(self.seconds, 3),
            **self.extra,
        }

    def as_text(self) -> list[str]:
        if self.kind == KIND_EVIDENCE:
            x = self.extra
            p = x.get("party") or {}
            party = (f"{p['person']}（{p['name']}）" if p.get("person") else p.get("name")) if p else None
            return [f"已导出证据包 (evidence package written): {self.path}",
                    f"  案件 {x['case_no']}" + (f"，当事人 {party}" if party else "")
                    + f"：{x['items']} 项, {x['pages']} 页, 记录包 {self.records} 条记录",
                    f"  记录包摘要 (records package digest, on the cover): {x['inner_tagmanifest_sha256']}",
                    f"  tagmanifest-sha256.txt 的 SHA-256: {self.digest}"]
        return [f"已导出报送包 (package written): {self.path}",
                f"  {self.records} 条记录, {self.files} 个文件 ({self.bytes:,} 字节), 检查点 {self.checkpoint['tree_size']}",
                f"  tagmanifest-sha256.txt 的 SHA-256: {self.digest}",
                f"  签名公钥指纹 (key fingerprint): {self.fingerprint}",
                "  核验方法见包内 核验说明.txt (how to verify: 核验说明.txt inside)"]


@dataclass
class PackageReport:
    path: str
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kind: str | None = None
    signer: str | None = None
    signer_name: str | None = None
    fingerprint: str | None = None
    digest: str | None = None
    records: int = 0
    files: int = 0
    bytes: int = 0
    checkpoints: list[dict] = field(default_factory=list)
    inner: "PackageReport | None" = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "path": self.path,
            "kind": self.kind,
            "signer": self.signer,
            "signer_name": self.signer_name,
            "fingerprint": self.fingerprint,
            "tagmanifest_sha256": self.digest,
            "records": self.records,
            "files": self.files,
            "bytes": self.bytes,
            "checkpoints": self.checkpoints,
            "failures": self.failures,
            "warnings": self.warnings,
            "inner": self.inner.as_dict() if self.inner else None,
        }

    @property
    def exit_code(self) -> int:
        return ExitCode.OK if self.ok else ExitCode.VERIFICATION_FAILED

    def as_text(self) -> list[str]:
        if not self.ok:
            return notes(IntegrityError(self.failures, f"包核验未通过 (package verification failed): {self.path}").lines())
        return [f"包核验通过 (package verified): {self.path}",
                f"  {self.signer_name}（{self.signer}），{self.records} 条记录，载荷 {self.files} 个文件 {self.bytes:,} 字节 (payload)",
                f"  签名公钥指纹 (signer key fingerprint): {self.fingerprint} — 请与登记的指纹核对 (compare with the registered one)"]\
            + [f"  检查点 (checkpoint) {cp['origin']}/{cp['tree_size']}: {cp['root']}" for cp in self.checkpoints]


@dataclass
class UnsafePackage:
    """A package refused before anything in it was read (unsafe paths): ``outsafe package verify``'s
    result then."""

    path: str
    error: IntegrityError
    exit_code = ExitCode.VERIFICATION_FAILED

    def as_dict(self) -> dict:
        return {"ok": False, "path": self.path, "failures": self.error.failures}

    def as_text(self) -> list[str]:
        return notes(self.error.lines())


@dataclass
class ImportResult:
    path: str
    digest: str
    origin: str
    origin_name: str
    already: bool = False
    records_new: int = 0
    records_known: int = 0
    files_new: int = 0
    registry_updated: int = 0
    witnessed: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "tagmanifest_sha256": self.digest,
            "origin": self.origin,
            "origin_name": self.origin_name,
            "already_imported": self.already,
            "records_new": self.records_new,
            "records_known": self.records_known,
            "files_new": self.files_new,
            "registry_updated": self.registry_updated,
            "witnessed": self.witnessed,
            "warnings": self.warnings,
        }

    def as_text(self) -> list[str]:
        if self.already:
            return [f"此包已导入过，未作改动 (already imported; nothing changed): {self.path}"]
        return [f"已导入 (imported) {self.origin_name}（{self.origin}）: {self.records_new} 条新记录，"
                f"{self.records_known} 条已有，登记信息更新 {self.registry_updated} 条"]\
            + [f"  已见证检查点 (checkpoint witnessed) {w['origin']}/{w['tree_size']}" for w in self.witnessed]


# --- small helpers ---------------------------------------------------------------------------------


class PackageRefused(IntegrityError):
    """A package (or an export) refused for integrity or trust: exit 3, every reason, and the fix."""

    def __init__(self, failures: list[str], message: str = "", hint: str = "") -> None:
        super().__init__(failures, message, hint=hint)


def refuse(failures: list[str], message: str = "", hint: str = "") -> IntegrityError:
    return PackageRefused(failures, message, hint)


def canonical_json(obj: Any) -> bytes:
    return jcs.dumps(obj)


def json_bytes(obj: Any) -> bytes:
    """Indented JSON, except that long lists of objects (index records) take one line per item:
    readable, and written by the C encoder (an indented 1,000-record index costs half a second)."""

    def dump(value: Any, depth: int) -> str:
        pad = "  " * depth
        if isinstance(value, dict) and value:
            inner = [f'{pad}  {json.dumps(k, ensure_ascii=False)}: {dump(v, depth + 1)}' for k, v in value.items()]
            return "{\n" + ",\n".join(inner) + f"\n{pad}}}"
        if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            inner = [pad + "  " + json.dumps(x, ensure_ascii=False, separators=(", ", ": ")) for x in value]
            return "[\n" + ",\n".join(inner) + f"\n{pad}]"
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    return (dump(obj, 0) + "\n").encode("utf-8")


def json_line(obj: Any) -> bytes:
    """Compact but readable JSON on one line (the C encoder: no indent)."""
    return (json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode("utf-8")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def outsafe_version() -> str:
    try:
        return version("outsafe")
    except Exception:  # noqa: BLE001 - metadata missing in a source checkout
        return "0"


class Tree:
    """All levels of an RFC 9162 tree, so that many inclusion proofs cost O(log n) each.

    Pairing left to right and carrying a lone last node up gives exactly RFC 9162's tree (see
    :func:`archive.merkle.root`); a leaf's audit path is then its sibling at every level where it
    has one, bottom up — the same list as :func:`archive.merkle.inclusion_proof`."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        level = list(leaves)
        self.levels = [level]
        while len(level) > 1:
            nxt = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            self.levels.append(nxt)
            level = nxt

    @property
    def root(self) -> bytes:
        return self.levels[-1][0] if self.levels[0] else merkle.EMPTY_ROOT

    def proof(self, index: int) -> list[bytes]:
        out = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                out.append(level[sibling])
            index //= 2
        return out


def shipped_script() -> bytes:
    """verify_proofs.py as shipped: archive/packages/verify_script.py with
    archive/integrity/merkle.py pasted in place of its import, so that it runs with nothing but
    Python 3."""
    script = Path(verify_script.__file__).read_text(encoding="utf-8")
    engine = Path(merkle.__file__).read_text(encoding="utf-8")
    engine = engine.replace("from __future__ import annotations\n", "")
    engine = "# --- archive/integrity/merkle.py (RFC 9162), copied verbatim ---\n" + engine.strip() + "\n"
    lines = []
    for line in script.splitlines():
        if "# SHIPPED:" in line:
            lines.append(engine)
        else:
            lines.append(line)
    return ("#!/usr/bin/env python3\n" + "\n".join(lines) + "\n").encode("utf-8")
