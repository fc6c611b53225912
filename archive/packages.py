"""Packages: what leaves an archive, verifiable offline by anyone (issue 6, DESIGN.md "Packages").

One format for submissions to the bureau (报送包) and evidence for penalty cases (证据包,
:mod:`archive.evidence`): a BagIt bag (RFC 8493, ``BagIt-Version: 1.0``, SHA-256 manifests;
written and validated by :mod:`archive.bag`, checked by bagit-python's validator in the tests and
in 核验说明.txt), signed, with everything needed to check it and nothing that needs outsafe::

    <bag>/
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
      tagmanifest-sha256.txt.sig        Ed25519 over tagmanifest-sha256.txt (outside the tag manifest)
      核验说明.txt                       how to verify, with the exact commands (Chinese)
      verify_proofs.py                  stdlib-only checker of the Merkle proofs and seals
      index.json                        what is inside (身份证号 masked)
      data/
        records/<origin USCC>/<record id>/
          record.json                   the catalog row: id, type, title, dates, parties, data, refs …
          seal.json  seal.sig           the seal statement exactly as stored, and its raw signature
          proof.json                    inclusion proof of the record's ledger leaf
          files/<role>-<name>           source YAML, .docx, .pdf, photos (NFC, safe names)
        keys/<USCC>.pub.pem             the signer's and every origin's public key
        checkpoints/<USCC>/<size>/      checkpoint.txt (signed note) + .body + .sig for openssl,
                                        cosignature-<witness USCC>.sig for checkpoints witnessed
        ledger/<USCC>/leaf-hashes.txt   the signer's ledger leaf hashes up to its checkpoint

Decisions (also in 核验说明.txt):

* **身份证号 travel in clear inside the signed payload, and nowhere else.** A seal signs the record's
  data byte for byte, so a masked copy could not be verified; the bureau also needs the numbers to
  find people (it re-keys them with its own secret on import). So record.json, seal.json and the
  documents carry them as sealed. Everything human-facing that is not signed evidence — index.json,
  file and folder names, bag-info.txt, 核验说明.txt, command output — masks them. A package is
  therefore personal information (个人信息保护法): it is written 0700, and handed over like the
  paper files it replaces.
* **Trust** (:mod:`archive.trust`): verifying a package proves it is intact and was signed by the
  key inside it; *whose* key that is, is decided on import against keys the importing archive
  registered itself. A package never vouches for a key.
* **History** — the signer's checkpoint and its ledger's leaf hashes travel together. On import the
  bureau checks every checkpoint it witnessed earlier from the same origin is a prefix of the new
  one (root of the first N leaves, and an RFC 9162 consistency proof, kept in its own ledger); the
  leaf hashes are kept as a blob so a later, shorter package can be checked too. A rewritten
  history is refused.
* **Import** ingests records with their original seals (never re-sealed), their files, and their
  inclusion proofs; cosigns the origin's checkpoint (Ed25519 over the checkpoint body, with the
  importer's key); logs ``package_imported`` and ``checkpoint_witnessed`` in its own ledger. It
  writes nothing unless the whole package verifies and every check passes; the same package twice
  changes nothing.
* **Path safety first**: a package (folder or zip) with ``..``, an absolute path, a symbolic link,
  a device or FIFO, or two names equal after NFC normalisation is refused before anything is read
  into an archive or extracted.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import rfc8785

from archive import bag as bagfmt
from archive import keys, merkle
from archive.bag import MANIFEST, SIG_NAME, TAGMANIFEST
from archive.errors import IntegrityError, NotFound, PackageError
from archive.export import safe_name
from archive.ledger import origin_for, parse_note, verify_checkpoint
from archive.package_script import Checker
from archive.privacy import mask_text
from archive.trust import registered_keys, trusted_key

Progress = Callable[[str, int, int], None]

FORMAT = "outsafe-package/1"
GUIDE_NAME = "核验说明.txt"
SCRIPT_NAME = "verify_proofs.py"
INDEX_NAME = "index.json"
KIND_SUBMISSION = "submission"
KIND_EVIDENCE = "evidence"
KIND_RECORDS = "records"  # the records package inside an evidence package
KIND_LABELS = {KIND_SUBMISSION: "报送包", KIND_EVIDENCE: "证据包", KIND_RECORDS: "记录包"}
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_STORED_SUFFIXES = (".pdf", ".docx", ".xlsx", ".jpg", ".jpeg", ".png", ".zip", ".gz")



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


# --- small helpers ---------------------------------------------------------------------------------


class PackageRefused(IntegrityError):
    """A package (or an export) refused for integrity or trust: exit 3, every reason, and the fix."""

    def __init__(self, failures: list[str], message: str = "", hint: str = "") -> None:
        super().__init__(failures, message, hint=hint)


def _refuse(failures: list[str], message: str = "", hint: str = "") -> IntegrityError:
    return PackageRefused(failures, message, hint)


def _utcnow() -> str:
    from archive.app import utcnow

    return utcnow()


def _canonical(obj: Any) -> bytes:
    return rfc8785.dumps(obj)


def _json_bytes(obj: Any) -> bytes:
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


def _json_line(obj: Any) -> bytes:
    """Compact but readable JSON on one line (the C encoder: no indent)."""
    return (json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode("utf-8")


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("outsafe")
    except Exception:  # noqa: BLE001 - metadata missing in a source checkout
        return "0"


class _Tree:
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
    """verify_proofs.py as shipped: archive/package_script.py with archive/merkle.py pasted in
    place of its import, so that it runs with nothing but Python 3."""
    here = Path(__file__).resolve().parent
    script = (here / "package_script.py").read_text(encoding="utf-8")
    engine = (here / "merkle.py").read_text(encoding="utf-8")
    engine = engine.replace("from __future__ import annotations\n", "")
    engine = "# --- archive/merkle.py (RFC 9162), copied verbatim ---\n" + engine.strip() + "\n"
    lines = []
    for line in script.splitlines():
        if "# SHIPPED:" in line:
            lines.append(engine)
        else:
            lines.append(line)
    return ("#!/usr/bin/env python3\n" + "\n".join(lines) + "\n").encode("utf-8")


# --- path safety -------------------------------------------------------------------------------------


def _unsafe_rel(rel: str) -> str | None:
    """Why a path named inside a package is unsafe, or None."""
    if not rel:
        return "空路径 (empty path)"
    if rel.startswith("/") or rel.startswith("\\") or re.match(r"^[A-Za-z]:", rel):
        return "绝对路径 (absolute path)"
    if "\\" in rel:
        return "含反斜杠 (backslash in path)"
    if "\x00" in rel:
        return "含空字符 (NUL in path)"
    parts = rel.split("/")
    if any(p == ".." for p in parts):
        return "含 ../，指向包外 (path escapes the package)"
    if any(p in ("", ".") for p in parts[:-1]) or parts[-1] in ("", "."):
        return "路径含空段或 . (empty or '.' path component)"
    if unicodedata.normalize("NFC", rel) != rel:
        return "文件名未经 NFC 规范化 (name is not NFC-normalised)"
    return None


def check_tree(root: Path) -> tuple[dict[str, int], list[str]]:
    """(every regular file -> size, path-safety problems) of an unpacked package folder, found
    without following anything: symbolic links, devices, FIFOs, sockets, names that are not NFC
    or collide after NFC."""
    try:
        st = os.lstat(root)
    except OSError as e:
        return {}, [f"{root}: 无法读取 (cannot read: {e.strerror})"]
    if stat.S_ISLNK(st.st_mode):
        return {}, [f"{root}: 是符号链接 (the package itself is a symbolic link)"]
    if not stat.S_ISDIR(st.st_mode):
        return {}, [f"{root}: 不是目录 (not a folder)"]
    return bagfmt.scan(root)


def _manifest_problems(bag_dir: Path) -> list[str]:
    """Unsafe paths named in the manifests — read before anything is opened by those names."""
    problems = []
    for name in (MANIFEST, TAGMANIFEST):
        p = bag_dir / name
        if not p.is_file():
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            problems.append(f"{name}: 无法读取 (unreadable: {e})")
            continue
        for n, line in enumerate(text.splitlines(), 1):
            parts = line.split(None, 1)
            if len(parts) != 2:
                continue
            rel = parts[1].lstrip("*")
            why = _unsafe_rel(rel)
            if why:
                problems.append(f"{name} 第 {n} 行 {rel!r}: {why}")
    return problems


def check_zip(zf: zipfile.ZipFile) -> list[str]:
    """Path-safety problems of a zip's entries (zip-slip, symlink and device entries, NFC
    collisions, encrypted entries), before anything is extracted."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for info in zf.infolist():
        name = info.filename
        rel = name[:-1] if name.endswith("/") else name
        why = _unsafe_rel(rel)
        if why:
            problems.append(f"{name!r}: {why}")
            continue
        fmt = stat.S_IFMT((info.external_attr >> 16) & 0xFFFF) if info.create_system == 3 else 0
        if fmt == stat.S_IFLNK:
            problems.append(f"{name}: 是符号链接条目 (symbolic link entry)")
        elif fmt not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no Unix file type recorded
            problems.append(f"{name}: 不是普通文件条目 (device, FIFO or socket entry)")
        if info.flag_bits & 0x1:
            problems.append(f"{name}: 已加密 (encrypted entry)")
        key = unicodedata.normalize("NFC", rel).rstrip("/")
        if key in seen:
            problems.append(f"{name}: 与 {seen[key]!r} 重名或 NFC 规范化后同名 (duplicate entry)")
        seen[key] = name
    return problems


def _extract_zip(zf: zipfile.ZipFile, dest: Path) -> None:
    """Extract entries already checked by :func:`check_zip`, creating every file exclusively
    (O_EXCL | O_NOFOLLOW) below ``dest``."""
    for info in zf.infolist():
        target = dest.joinpath(*info.filename.rstrip("/").split("/"))
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as out, zf.open(info) as src:
            shutil.copyfileobj(src, out, 1 << 20)


@dataclass
class Opened:
    """A package ready to be read: its bag folder and every regular file in it (-> size)."""

    path: Path
    files: dict[str, int]


@contextlib.contextmanager
def opened_package(path: Path) -> Iterator[Opened]:
    """The bag folder of a package given as a folder or a .zip, checked for path safety first.
    A zip's entries are checked before anything is extracted, then it is extracted into a
    private temporary folder (removed afterwards). Raises :class:`IntegrityError` (exit 3)
    naming every unsafe entry."""
    path = Path(path)
    if not os.path.lexists(path):
        raise NotFound(f"没有包 {path} (no such package)")
    if path.is_file() and not path.is_symlink():
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise PackageError(f"{path}: 不是目录也不是有效的 zip 文件 (neither a folder nor a valid zip: {e})") from e
        with zf:
            problems = check_zip(zf)
            if problems:
                raise IntegrityError(problems, f"包路径不安全，已拒绝 (unsafe package refused): {path}")
            with tempfile.TemporaryDirectory(prefix="outsafe-pkg-") as tmp:
                root = Path(tmp) / "x"
                root.mkdir(mode=0o700)
                try:
                    _extract_zip(zf, root)
                except (zipfile.BadZipFile, OSError, RuntimeError) as e:
                    raise PackageError(f"{path}: zip 无法解压 (cannot extract: {e})") from e
                yield _checked(_bag_root(root, path), path)
        return
    yield _checked(path, path)


def _checked(bag_dir: Path, shown: Path) -> Opened:
    files, problems = check_tree(bag_dir)
    problems += _manifest_problems(bag_dir) if not problems else []
    if problems:
        raise IntegrityError(problems, f"包路径不安全，已拒绝 (unsafe package refused): {shown}")
    return Opened(bag_dir, files)


def _bag_root(root: Path, shown: Path) -> Path:
    if (root / "bagit.txt").is_file():
        return root
    subs = [p for p in root.iterdir()]
    if len(subs) == 1 and subs[0].is_dir() and (subs[0] / "bagit.txt").is_file():
        return subs[0]
    raise PackageError(f"{shown}: zip 中没有 BagIt 包 (no bagit.txt at the top of the zip)")


# --- selecting what goes into a package -----------------------------------------------------------------


def _registry_ids(archive, row: dict) -> list[str]:
    """Record ids of the registry entries (current versions) a record refers to."""
    try:
        refs = json.loads(row["refs"] or "{}")
    except ValueError:
        return []
    out = []
    wanted = [("organization", k) for k in refs.get("organizations", {})] + [("project", k) for k in refs.get("projects", {})]
    if row["origin"] == archive.owner_uscc:  # person keys are HMACs with this archive's secret
        wanted += [("person", k) for k in refs.get("persons", {})]
    for kind, key in wanted:
        reg = archive.catalog.get_registry(kind, key)
        if reg is not None:
            out.append(reg["record_id"])
    return out


def closure(archive, rows: Sequence[dict], *, with_registry: bool = True) -> list[dict]:
    """``rows`` plus the registry records they refer to (transitively) and every record each
    supersedes (an importer needs the whole chain), in catalog order."""
    by_id = {r["id"]: r for r in rows}
    todo = list(rows)
    if with_registry:
        owner_reg = archive.catalog.get_registry("organization", archive.owner_uscc)
        if owner_reg and owner_reg["record_id"] not in by_id:
            r = archive.catalog.get_record(owner_reg["record_id"])
            by_id[r["id"]] = r
            todo.append(r)
    while todo:
        r = todo.pop()
        more = list(_registry_ids(archive, r)) if with_registry else []
        if r.get("supersedes"):
            more.append(r["supersedes"])
        for rid in more:
            if rid not in by_id:
                rec = archive.catalog.get_record(rid)
                if rec is not None:
                    by_id[rid] = rec
                    todo.append(rec)
    return sorted(by_id.values(), key=lambda r: r["seq"])


def select_period(archive, since: str | None, until: str | None) -> list[dict]:
    """The records of a period (by document date; every version), with what they refer to."""
    from schemas import REGISTRY_TYPES, TYPES

    types = [t for t in TYPES if t not in REGISTRY_TYPES]
    rows = archive.catalog.list_records(types=types, since=since, until=until)
    picked = closure(archive, rows)
    have = {r["id"] for r in picked}
    # the roster travels as it is, without the people its projects name (only documents pull people in)
    extra = [r for r in roster(archive, since, until) if r["id"] not in have]
    extra += [r for r in closure(archive, extra, with_registry=False) if r["id"] not in have and r not in extra]
    return sorted({r["id"]: r for r in (*picked, *extra)}.values(), key=lambda r: r["seq"])


def _blob_present(path: str) -> bool:
    return os.path.isfile(path)


def roster(archive, since: str | None, until: str | None) -> list[dict]:
    """The enterprise's own register of outsourced teams for a period: every contractor it has
    registered and every project of its own whose agreed period overlaps the period, even those
    without a document yet — the bureau's 外包作业队伍监管台账 lists teams, not only paperwork.
    People are not in it (only those the documents name travel, as references)."""
    out = []
    for r in archive.catalog.list_records(types=["organization", "project"], current_only=True):
        if r["origin"] != archive.owner_uscc:
            continue
        data = json.loads(r["data"])
        if r["type"] == "organization":
            if data.get("role") == "contractor":
                out.append(r)
            continue
        if data.get("enterprise") != archive.owner_uscc:
            continue
        period = data.get("period") or {}
        start, end = str(period.get("start") or "")[:10], str(period.get("end") or "")[:10]
        # compare whole days: a partial bound ("2026-06") covers its whole month or year
        if (until and start and start > (until + "-99-99")[:10]) or (since and end and end < since[:10]):
            continue
        out.append(r)
    return out


# --- writing a bag ------------------------------------------------------------------------------------------


@dataclass
class _Origin:
    uscc: str
    public_pem: str
    fingerprint: str
    checkpoints: dict[int, dict] = field(default_factory=dict)  # tree_size -> {note, cosignatures}


class _Builder:
    """Writes the payload of one package (records, keys, checkpoints, ledger) into ``stage``."""

    def __init__(self, archive, signer, stage: Path, progress: Progress | None) -> None:
        self.archive = archive
        self.signer = signer
        self.stage = stage
        self.w = bagfmt.BagWriter(stage)
        self.progress = progress
        self.owner = archive.owner_uscc
        self.origins: dict[str, _Origin] = {}
        self.index_records: list[dict] = []
        self.expected: dict[str, str] = {}  # payload path (data/…) -> sha256 it must have
        self.files = 0
        self.bytes = 0
        cp = archive.ledger.latest_checkpoint()
        if cp is None:
            raise NotFound("账本还没有签名检查点，没有可导出的记录 (no signed checkpoint yet: nothing to export)")
        self.checkpoint = cp
        self.tree_size = cp["tree_size"]
        self._tree: _Tree | None = None
        self._hashes: list[bytes] | None = None
        self.timings: dict[str, float] = {}

    # -- origins, keys, checkpoints --

    def _own(self) -> _Origin:
        if self.owner not in self.origins:
            pem = keys.public_pem(self.archive.public_key())
            o = _Origin(self.owner, pem, keys.fingerprint(self.archive.public_key()))
            o.checkpoints[self.tree_size] = {"note": self.checkpoint["note"], "cosignatures": {}}
            self.origins[self.owner] = o
        return self.origins[self.owner]

    def _foreign(self, uscc: str, signer_fp: str, tree_size: int) -> _Origin:
        o = self.origins.get(uscc)
        if o is None:
            key = registered_keys(self.archive, uscc).get(signer_fp)
            if key is None:
                raise PackageError(
                    f"来源单位 {uscc} 的签名公钥（指纹 {signer_fp[:16]}…）未在本档案登记，无法导出其记录 "
                    "(origin key not registered here)",
                    hint=f"outsafe org trust {uscc} --key KEY.pem --fingerprint FP",
                )
            o = _Origin(uscc, keys.public_pem(key), signer_fp)
            self.origins[uscc] = o
        elif o.fingerprint != signer_fp:
            raise PackageError(
                f"来源单位 {uscc} 的记录由不同的密钥签署，包格式每个单位只能带一把公钥 "
                f"(records of {uscc} were signed by more than one key; not supported in one package)"
            )
        if tree_size not in o.checkpoints:
            w = self.archive.catalog.db.execute(
                "SELECT * FROM witnessed WHERE origin=? AND tree_size=?", (uscc, tree_size)
            ).fetchone()
            if w is None:
                raise PackageError(f"没有 {uscc} 的第 {tree_size} 号检查点 (witnessed checkpoint missing)")
            o.checkpoints[tree_size] = {"note": w["note"], "cosignatures": {self.owner: bytes(w["cosignature"])}}
            self._own()  # the witness's key must be in the package too
        return o

    def _proof(self, row: dict) -> tuple[dict, _Origin]:
        if row["origin"] == self.owner:
            leaf = self.archive.ledger.leaf_for_record(row["id"])
            if leaf is None or leaf["idx"] >= self.tree_size:
                raise PackageError(f"记录 {row['id']} 不在签名检查点覆盖的账本中 (record not covered by the checkpoint)")
            if self._tree is None:
                self._hashes = self.archive.ledger.leaf_hashes(self.tree_size)
                self._tree = _Tree(self._hashes)
                if self._tree.root != bytes(self.checkpoint["root"]):
                    raise _refuse([f"账本前 {self.tree_size} 条重建的根与签名检查点不符 (ledger does not match its checkpoint)"],
                                  hint="运行 outsafe verify 查明原因 (run outsafe verify)")
            idx = leaf["idx"]
            o = self._own()
            return {
                "record_id": row["id"],
                "origin": self.owner,
                "leaf_index": idx,
                "tree_size": self.tree_size,
                "leaf_data": leaf["entry"],
                "leaf_hash": bytes(leaf["leaf_hash"]).hex(),
                "proof": [h.hex() for h in self._tree.proof(idx)],
                "checkpoint": f"data/checkpoints/{self.owner}/{self.tree_size}/checkpoint.txt",
            }, o
        p = self.archive.catalog.db.execute("SELECT * FROM imported_proofs WHERE record_id=?", (row["id"],)).fetchone()
        if p is None:
            raise PackageError(f"记录 {row['id']}（来源 {row['origin']}）没有包含证明，无法导出 (imported record without inclusion proof)")
        o = self._foreign(row["origin"], row["signer"], p["tree_size"])
        return {
            "record_id": row["id"],
            "origin": row["origin"],
            "leaf_index": p["leaf_index"],
            "tree_size": p["tree_size"],
            "leaf_data": p["leaf_data"],
            "leaf_hash": merkle.leaf_hash(p["leaf_data"].encode()).hex(),
            "proof": json.loads(p["proof"]),
            "checkpoint": f"data/checkpoints/{row['origin']}/{p['tree_size']}/checkpoint.txt",
        }, o

    # -- records --

    def add_records(self, rows: Sequence[dict]) -> None:
        total = len(rows)
        for n, row in enumerate(rows, 1):
            with self.w.group():  # one record's files are written together, on a writer thread
                self._add_record(row)
            if self.progress:
                self.progress("records", n, total)

    def _add_record(self, row: dict) -> None:
        rid, origin = row["id"], row["origin"]
        if not USCC_RE.match(origin or "") or not re.fullmatch(r"[0-9A-Z]{26}", rid):
            raise PackageError(f"记录 {rid!r} 的编号或来源 {origin!r} 不能用作路径 (unsafe id or origin)")
        if not row.get("seal") or row.get("signature") is None:
            raise PackageError(f"记录 {rid} 没有封签 (record has no seal)")
        proof, o = self._proof(row)
        if row["signer"] != o.fingerprint:
            raise PackageError(f"记录 {rid} 的签名者不是 {origin} 的登记公钥 (record signer is not the origin's key)")
        rel = f"records/{origin}/{rid}"
        files_meta, index_files = [], []
        used: set[str] = set()
        blobs = str(self.archive.blobs.root)
        for f in self.archive.catalog.record_files(rid):
            name = safe_name(f"{f['role']}-{mask_text(f['name'])}", "file")
            stem, dot, ext = name.rpartition(".")
            n = 2
            while name.casefold() in used:  # names that differ only in case collide on some systems
                name = f"{stem or name}~{n}{dot}{ext}" if dot else f"{name}~{n}"
                n += 1
            used.add(name.casefold())
            path = f"files/{name}"
            d = f["sha256"]
            src = f"{blobs}/{d[:2]}/{d[2:4]}/{d}"
            if not _blob_present(src):
                raise _refuse([f"记录 {rid}: 文件 {f['name']} ({f['role']}) 缺失 (blob missing)"],
                              hint="运行 outsafe verify 查明原因 (run outsafe verify)")
            self.w.copy(f"{rel}/{path}", src)
            self.expected[f"data/{rel}/{path}"] = f["sha256"]
            self.files += 1
            self.bytes += f["size"]
            files_meta.append({k: f[k] for k in ("role", "name", "sha256", "size", "media_type")} | {"path": path})
            index_files.append({"role": f["role"], "name": name, "path": f"data/{rel}/{path}", "size": f["size"], "sha256": f["sha256"]})
        record = {
            "outsafe_record": 1,
            **{k: row.get(k) for k in ("id", "type", "subtype", "title", "doc_no", "doc_date", "enterprise", "contractor",
                                       "project", "origin", "supersedes", "note", "created_at", "source_name")},
            "data": json.loads(row["data"]),
            "refs": row["refs"],
            "signer": row["signer"],
            "files": files_meta,
        }
        self.w.write(f"{rel}/record.json", _json_line(record))
        self.w.write(f"{rel}/seal.json", row["seal"].encode("utf-8"))
        self.w.write(f"{rel}/seal.sig", bytes(row["signature"]))
        self.w.write(f"{rel}/proof.json", _json_line(proof))
        self.index_records.append({
            "id": rid,
            "type": row["type"],
            "subtype": row["subtype"],
            "title": mask_text(row["title"] or ""),
            "doc_no": mask_text(row["doc_no"] or ""),
            "doc_date": row["doc_date"],
            "origin": origin,
            "enterprise": row["enterprise"],
            "contractor": row["contractor"],
            "project": row["project"],
            "supersedes": row["supersedes"],
            "sealed_at": row["created_at"],
            "path": f"data/{rel}",
            "files": index_files,
        })

    # -- the rest of the payload --

    def finish_payload(self) -> None:
        """Keys, checkpoints, the ledger's leaf hashes; wait for the copies and compare every
        copied blob's hash with its catalog digest (a blob damaged in the archive never leaves it
        unnoticed)."""
        self._own()
        w = self.w
        for o in self.origins.values():
            w.write(f"keys/{o.uscc}.pub.pem", o.public_pem.encode("ascii"))
            for size, cp in sorted(o.checkpoints.items()):
                note = parse_note(cp["note"])
                folder = f"checkpoints/{o.uscc}/{size}"
                w.write(f"{folder}/checkpoint.txt", cp["note"].encode("utf-8"))
                w.write(f"{folder}/checkpoint.body", note.body().encode("utf-8"))
                w.write(f"{folder}/checkpoint.sig", note.signature)
                for witness, sig in sorted(cp["cosignatures"].items()):
                    w.write(f"{folder}/cosignature-{witness}.sig", sig)
        hashes = self._hashes if self._hashes is not None else self.archive.ledger.leaf_hashes(self.tree_size)
        w.write(f"ledger/{self.owner}/leaf-hashes.txt", "".join(h.hex() + "\n" for h in hashes).encode("ascii"))
        try:
            digests = w.finish_payload()
        except FileNotFoundError as e:  # a blob vanished between the check and the copy
            digest = os.path.basename(str(e.filename or ""))
            owners = [r[0] for r in self.archive.catalog.db.execute(
                "SELECT DISTINCT record_id FROM record_files WHERE sha256=?", (digest,))]
            raise _refuse([f"记录 {'、'.join(owners) or '?'}: 档案文件 {digest[:16]}… 缺失 (blob missing)"],
                          hint="运行 outsafe verify 查明原因 (run outsafe verify)") from e
        bad = sorted(p for p, d in self.expected.items() if digests.get(p) != d)
        if bad:
            raise _refuse(
                [f"{p}: 档案中的文件与登记的摘要不符 (stored file differs from its digest)" for p in bad[:20]],
                "档案文件已损坏，未导出 (archive files are damaged; nothing exported)",
                hint="运行 outsafe verify 查明原因 (run outsafe verify)",
            )

    def checkpoints_index(self) -> list[dict]:
        out = []
        for o in sorted(self.origins.values(), key=lambda o: o.uscc):
            for size, cp in sorted(o.checkpoints.items()):
                note = parse_note(cp["note"])
                out.append({
                    "origin": o.uscc,
                    "tree_size": size,
                    "root": note.root.hex(),
                    "signer": o.fingerprint,
                    "path": f"data/checkpoints/{o.uscc}/{size}/checkpoint.txt",
                    "cosigned_by": sorted(cp["cosignatures"]),
                })
        return out


def _org_info(archive, uscc: str) -> dict:
    reg = archive.catalog.get_registry("organization", uscc)
    if reg is None:
        return {"uscc": uscc, "name": archive.owner_name if uscc == archive.owner_uscc else uscc}
    data = json.loads(archive.catalog.get_record(reg["record_id"])["data"])
    return {k: data.get(k) for k in ("uscc", "name", "address", "phone", "role")}


def _finish_output(stage: Path, out: Path, as_zip: bool) -> Path:
    """Move the finished bag to ``out`` (a folder), or zip it there; never half-written."""
    if as_zip:
        tmp = out.with_name(f".{out.name}.partial-{secrets.token_hex(4)}")
        try:
            with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
                top = out.stem
                zf.mkdir(top)
                for dirpath, dirs, names in os.walk(stage):
                    dirs.sort()
                    for name in sorted(names):
                        full = Path(dirpath) / name
                        rel = full.relative_to(stage).as_posix()
                        method = zipfile.ZIP_STORED if name.lower().endswith(_STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
                        zf.write(full, f"{top}/{rel}", compress_type=method)
            os.chmod(tmp, 0o600)
            os.replace(tmp, out)
        finally:
            if tmp.exists():
                tmp.unlink()
            shutil.rmtree(stage, ignore_errors=True)
        return out
    os.chmod(stage, 0o700)
    os.rename(stage, out)
    return out


def prepare_output(out: Path, as_zip: bool) -> tuple[Path, Path]:
    """(final path, a fresh staging folder beside it). Refuses to overwrite anything."""
    out = Path(out)
    if as_zip and out.suffix.lower() != ".zip":
        out = out.with_name(out.name + ".zip")
    if os.path.lexists(out):
        raise PackageError(f"{out} 已存在 (already exists)", hint="换一个输出路径，或先移走旧的包 (choose another -o)")
    if not out.parent.is_dir():
        raise PackageError(f"输出目录 {out.parent} 不存在 (output folder does not exist)")
    stage = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    stage.mkdir(mode=0o700)
    return out, stage


def build_records_bag(
    archive,
    signer,
    rows: Sequence[dict],
    stage: Path,
    *,
    kind: str,
    description: str,
    extra_info: dict | None = None,
    since: str | None = None,
    until: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> tuple[str, _Builder]:
    """Write a complete, signed records package for ``rows`` into ``stage``; return its
    tag-manifest digest and the builder (counts, index)."""
    b = _Builder(archive, signer, stage, progress)
    t0 = time.perf_counter()
    try:
        b.add_records(rows)
        t1 = time.perf_counter()
        b.finish_payload()
    finally:
        b.w.close()
    b.timings = {"write_s": round(t1 - t0, 3), "hash_s": round(time.perf_counter() - t1, 3)}
    org = _org_info(archive, archive.owner_uscc)
    cp_note = parse_note(b.checkpoint["note"])
    day = (today or date.today()).isoformat()
    period = f"{since or '…'}/{until or '…'}" if (since or until) else "全部 (all)"
    info = {
        "Source-Organization": org.get("name") or archive.owner_name,
        "统一社会信用代码": archive.owner_uscc,
        "Bagging-Date": day,
        "External-Description": description,
        "Internal-Sender-Identifier": f"{origin_for(archive.owner_uscc)}/{b.tree_size}",
        "Internal-Sender-Description": f"outsafe {KIND_LABELS.get(kind, kind)} ({kind})",
        "Bag-Software-Agent": f"outsafe {_version()}",
        "Bag-Count": "1 of 1",
        "Outsafe-Package-Format": FORMAT,
        "Outsafe-Package-Kind": kind,
        "Outsafe-Signer": archive.owner_uscc,
        "Outsafe-Signer-Fingerprint": signer.fingerprint,
        "Outsafe-Checkpoint": f"{cp_note.origin} {cp_note.tree_size} {base64.b64encode(cp_note.root).decode()}",
        "Outsafe-Period": period,
        "Outsafe-Record-Count": str(len(b.index_records)),
    }
    if org.get("address"):
        info["Organization-Address"] = org["address"]
    if org.get("phone"):
        info["Contact-Phone"] = org["phone"]
    info.update(extra_info or {})
    index = {
        "format": FORMAT,
        "kind": kind,
        "organization": {"uscc": archive.owner_uscc, "name": info["Source-Organization"]},
        "signer_fingerprint": signer.fingerprint,
        "created": day,
        "period": {"since": since, "until": until},
        "privacy": "本索引中的身份证号已遮蔽；已封签的 record.json、seal.json 与文书原件中为原文 (ID numbers masked here; in clear only inside sealed payload files)",
        "checkpoints": b.checkpoints_index(),
        "records": b.index_records,
    }
    tags = {
        INDEX_NAME: _json_bytes(index),
        SCRIPT_NAME: shipped_script(),
        GUIDE_NAME: guide_text(kind=kind, org=info["Source-Organization"], uscc=archive.owner_uscc, fingerprint=signer.fingerprint,
                               records=len(b.index_records), period=period, checkpoints=b.checkpoints_index(), day=day,
                               origins=sorted(b.origins)).encode("utf-8"),
    }
    for name, data in tags.items():
        b.w.tag_file(name, data)
    return b.w.finish(info, signer), b


def export_package(
    archive,
    out: Path,
    *,
    since: date | str | None = None,
    until: date | str | None = None,
    as_zip: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    notify: Callable[[str], None] | None = None,
) -> ExportResult:
    """``outsafe package export``: a signed submission package of the records of a period."""
    t0 = time.monotonic()
    since_s = since.isoformat() if isinstance(since, date) else since
    until_s = until.isoformat() if isinstance(until, date) else until
    if since_s and until_s and since_s > until_s:
        raise PackageError(f"起始日期 {since_s} 晚于截止日期 {until_s} (--since is after --until)")
    with archive.writing("package export", notify):
        signer = archive.signer()
        archive.checkpoint(signer)
        rows = select_period(archive, since_s, until_s)
        if not any(r["type"] not in ("organization", "person", "project") for r in rows):
            raise NotFound("该期间没有可报送的记录 (no records in this period)",
                           hint="调整 --since / --until，或用 outsafe case list 查看 (check the dates)")
        out, stage = prepare_output(out, as_zip)
        try:
            desc = (f"{archive.owner_name}（统一社会信用代码 {archive.owner_uscc}）外包作业安全档案报送包，"
                    f"期间 {since_s or '最早'} 至 {until_s or '最新'}，共 {len(rows)} 条已封签记录 "
                    f"(outsafe submission package)")
            digest, b = build_records_bag(archive, signer, rows, stage, kind=KIND_SUBMISSION, description=desc,
                                          since=since_s, until=until_s, today=today, progress=progress)
            final = _finish_output(stage, out, as_zip)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        result = ExportResult(
            path=final, kind=KIND_SUBMISSION, digest=digest, records=len(b.index_records), files=b.files, bytes=b.bytes,
            signer=archive.owner_uscc, fingerprint=signer.fingerprint,
            checkpoint={"tree_size": b.tree_size, "root": bytes(b.checkpoint["root"]).hex()},
            since=since_s, until=until_s, extra={"timings": b.timings},
        )
        log_export(archive, signer, result, {"since": since_s, "until": until_s})
    result.seconds = time.monotonic() - t0
    return result


def log_export(archive, signer, result: ExportResult, info: dict) -> None:
    """A ``package_exported`` leaf and a ``packages`` row, then a new checkpoint (writer holds the lock)."""
    now = _utcnow()
    entry = {
        "kind": result.kind,
        "tagmanifest_sha256": result.digest,
        "records": result.records,
        "checkpoint_size": result.checkpoint["tree_size"],
        **{k: v for k, v in info.items()},
    }
    with archive.catalog.transaction():
        archive.ledger.append("package_exported", entry, now)
        archive.catalog.db.execute(
            "INSERT OR IGNORE INTO packages(digest, direction, kind, origin, path, records, info, created_at) VALUES(?,?,?,?,?,?,?,?)",
            (result.digest, "export", result.kind, archive.owner_uscc, str(result.path), result.records,
             json.dumps({**info, "checkpoint": result.checkpoint, **{k: v for k, v in result.extra.items() if k != "timings"}},
                        ensure_ascii=False), now),
        )
    archive.checkpoint(signer)


# --- 核验说明.txt -------------------------------------------------------------------------------------------------


def guide_text(*, kind: str, org: str, uscc: str, fingerprint: str, records: int, period: str, checkpoints: list[dict],
               day: str, origins: Sequence[str], evidence: dict | None = None) -> str:
    label = KIND_LABELS.get(kind, kind)
    key = f"data/keys/{uscc}.pub.pem"
    lines = [
        f"外包作业安全档案 {label} — 核验说明",
        "=" * 40,
        "",
        f"本包由 {org}（统一社会信用代码 {uscc}）于 {day} 用 outsafe 导出，",
        f"是一个 BagIt 包（RFC 8493，BagIt-Version 1.0，SHA-256 清单），含 {records} 条已封签记录，期间：{period}。",
        f"导出单位签名公钥指纹（SHA-256，应与贵单位登记的一致）：{fingerprint}",
        "",
    ]
    if evidence:
        lines += [
            f"案件编号：{evidence['case_no']}",
            "证据清单与证据材料汇编在 data/evidence/；所据记录包在 data/package/（其本身也是一个完整的、已签名的 BagIt 包）。",
            f"data/package/tagmanifest-sha256.txt 的 SHA-256 为 {evidence['inner_digest']}，",
            "即印在《证据材料汇编》封面上的“证据包摘要”。",
            "",
        ]
    lines += [
        "所有命令均在本包根目录（bagit.txt 所在目录）中执行；若收到的是 zip 文件，先解压：",
        "    unzip 包名.zip && cd 包名",
        "",
        "一、用 outsafe 一次核验全部内容",
        "    outsafe package verify .",
        "    （退出码 0 为通过，3 为未通过，并逐项列出未通过之处）",
        "",
        "二、只用通用工具核验",
        "",
        "1. BagIt 结构完整、每个文件的摘要与清单一致（bagit-python；加 --quiet 只显示结果）：",
        "    bagit.py --validate .",
        "",
        "2. 两份清单逐文件核对 SHA-256（GNU coreutils；加 --quiet 只显示不符的文件）：",
        "    sha256sum -c manifest-sha256.txt",
        "    sha256sum -c tagmanifest-sha256.txt",
        "",
        "3. 标签清单的签名（证明清单出自导出单位、未被改动；清单又锁定了每个文件）：",
        f"    openssl pkeyutl -verify -pubin -inkey {key} -rawin -in tagmanifest-sha256.txt -sigfile tagmanifest-sha256.txt.sig",
        "    应显示 Signature Verified Successfully",
        "   核对公钥确属导出单位（结果应为上面的指纹）：",
        f"    openssl pkey -pubin -in {key} -outform DER | tail -c 32 | sha256sum",
        "",
    ]
    if kind == KIND_EVIDENCE and evidence:
        lines += [
            "4. 记录包（data/package/）按其中的 核验说明.txt 逐项核验，例如：",
            "    cd data/package && bagit.py --validate . && sha256sum -c manifest-sha256.txt && sha256sum -c tagmanifest-sha256.txt",
            f"    openssl pkeyutl -verify -pubin -inkey data/keys/{uscc}.pub.pem -rawin -in tagmanifest-sha256.txt -sigfile tagmanifest-sha256.txt.sig",
            "    python3 verify_proofs.py",
            "",
            "5. 《证据材料汇编》封面上的证据包摘要应等于：",
            "    sha256sum data/package/tagmanifest-sha256.txt",
            "",
            "三、内容",
            "    data/evidence/证据清单.docx、证据清单.pdf   序号、证据名称、来源、形成时间、页数/页码范围、证明对象",
            "    data/evidence/证据材料汇编.pdf              封面（案件编号、证据目录、证据包摘要）与全部证据文书，",
            "                                               每项证据一个书签，每页印有“证据N 第i页 / 共M页”",
            "    data/package/                              所据的记录、封签、公钥、检查点与证明（可单独核验）",
            "",
            "四、个人信息",
            "    封签记录（record.json、seal.json）与文书原件中的身份证号为原文，不能遮蔽（遮蔽后封签无法核验）；",
            "    索引、文件名与本说明中均已遮蔽。本包含个人信息，请按证据材料保管、仅向有权机关提供。",
            "",
        ]
        return "\n".join(lines)
    lines += [
        "4. 检查点的签名（检查点是导出单位账本的默克尔树根，每条记录的包含证明都对照它）：",
    ]
    for cp in checkpoints:
        folder = cp["path"].rsplit("/", 1)[0]
        lines.append(
            f"    openssl pkeyutl -verify -pubin -inkey data/keys/{cp['origin']}.pub.pem -rawin "
            f"-in {folder}/checkpoint.body -sigfile {folder}/checkpoint.sig"
        )
        for w in cp["cosigned_by"]:
            lines.append(
                f"    openssl pkeyutl -verify -pubin -inkey data/keys/{w}.pub.pem -rawin "
                f"-in {folder}/checkpoint.body -sigfile {folder}/cosignature-{w}.sig    （见证方 {w} 的副署）"
            )
    lines += [
        "",
        "5. 每条记录的封签签名（seal.json 即签名的原文，seal.sig 为 64 字节 Ed25519 签名）：",
    ]
    for o in origins:
        lines.append(
            f"    for d in data/records/{o}/*/; do openssl pkeyutl -verify -pubin -inkey data/keys/{o}.pub.pem -rawin "
            f"-in \"$d/seal.json\" -sigfile \"$d/seal.sig\" >/dev/null || echo \"封签无效: $d\"; done"
        )
    lines += [
        "    （没有任何输出即全部通过）",
        "",
        "6. 默克尔包含证明、封签与文件摘要的对应关系（只需 Python 3 标准库）：",
        "    python3 verify_proofs.py",
        "    它核对：每条记录的账本条目在检查点的默克尔树中（RFC 9162）；条目记载的封签摘要与签名即 seal.json 与 seal.sig；",
        "    record.json 与封签一致；封签列出的每个文件都在、摘要和大小一致；账本叶哈希能重建检查点的根。",
        "",
        "三、包内结构",
        "    data/records/<来源单位代码>/<记录编号>/  record.json（目录数据）、seal.json + seal.sig（封签）、",
        "                                           proof.json（包含证明）、files/<用途>-<文件名>（源文件 source、docx、pdf、照片 photo）",
        "    data/keys/<单位代码>.pub.pem             签名公钥（Ed25519，PEM）",
        "    data/checkpoints/<单位代码>/<大小>/       签名检查点 checkpoint.txt，及供 openssl 用的 .body 与 .sig",
        "    data/ledger/<单位代码>/leaf-hashes.txt   账本叶哈希（接收方据此核对与以往检查点的一致性，防止改写历史）",
        "    index.json                              记录索引（身份证号已遮蔽）",
        "    tagmanifest-sha256.txt.sig              标签清单的签名（不在标签清单之内）",
        "",
        "四、个人信息（身份证号）",
        "    封签是对记录原文逐字节的签名，遮蔽后将无法核验；且接收机关需要据身份证号检索人员。",
        "    因此身份证号只以原文出现在已封签的 record.json、seal.json 与文书原件中；",
        "    index.json、文件名、bag-info.txt 与本说明中均已遮蔽。本包含个人信息，请经安全渠道报送、妥善保管。",
        "",
    ]
    return "\n".join(lines)


# --- verifying a package ---------------------------------------------------------------------------------------------


def verify_package(path: Path, *, progress: Progress | None = None, bagit_check: bool = False) -> PackageReport:
    """``outsafe package verify``: everything, offline, no archive needed. An unsafe package is
    refused (:class:`IntegrityError`) before anything in it is read; otherwise the report lists
    every failure. ``bagit_check`` also runs bagit-python's own validator."""
    with opened_package(Path(path)) as opened:
        return verify_bag(opened.path, shown=str(path), files=opened.files, progress=progress, bagit_check=bagit_check)


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
    rep.digest = _sha256_bytes(tm_bytes)
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
        from archive import evidence

        evidence.verify_evidence_bag(bag_dir, rep, state, progress=progress, bagit_check=bagit_check)
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
        for sig_file in sorted(folder.glob("cosignature-*.sig")):
            witness = sig_file.name[len("cosignature-"):-len(".sig")]
            wk = key(witness)
            if wk is not None and not keys.verify_signature(wk, sig_file.read_bytes(), cp.body().encode()):
                fail(f"{sig_file.relative_to(bag_dir).as_posix()}: 见证副署签名无效 (witness cosignature does not verify)")
    index = _read_index(bag_dir, fail)
    listed = {r.get("path") for r in index.get("records", [])} if index else set()
    base = bag_dir / "data" / "records"
    found = set()
    folders = sorted(p for o in (base.iterdir() if base.is_dir() else []) for p in o.iterdir())
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
    return index


# --- importing a package -------------------------------------------------------------------------------------------------


@dataclass
class _Incoming:
    rid: str
    origin: str
    folder: Path
    record: dict
    seal: bytes
    signature: bytes
    proof: dict


def import_package(
    archive,
    path: Path,
    *,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
) -> ImportResult:
    """``outsafe package import`` (the bureau): verify fully, check trust and history, then ingest.
    Raises :class:`IntegrityError` (exit 3) and writes nothing when anything is wrong."""
    with opened_package(Path(path)) as opened:
        bag_dir = opened.path
        rep = verify_bag(bag_dir, shown=str(path), files=opened.files)
        if not rep.ok:
            raise IntegrityError(rep.failures, f"包核验未通过，未导入任何内容 (package failed verification; nothing imported): {path}")
        if rep.kind != KIND_SUBMISSION:
            raise PackageError(f"只能导入报送包，这是{KIND_LABELS.get(rep.kind, rep.kind)} (only submission packages can be imported)")
        with archive.writing("package import", notify):
            return _import_verified(archive, bag_dir, rep, str(path), progress)


def _import_verified(archive, bag_dir: Path, rep: PackageReport, shown: str, progress: Progress | None) -> ImportResult:
    from archive.registry import person_key, project_key

    db = archive.catalog.db
    owner = archive.owner_uscc
    signer = rep.signer
    result = ImportResult(path=shown, digest=rep.digest, origin=signer, origin_name=rep.signer_name or signer)
    if db.execute("SELECT 1 FROM packages WHERE digest=? AND direction='import'", (rep.digest,)).fetchone():
        result.already = True
        return result
    refusals: list[str] = []

    # trust: the signer and every origin must be keys this archive registered itself
    if signer == owner:
        raise PackageError("这是本档案自己导出的包 (this package was exported by this archive itself)")
    package_keys: dict[str, str] = {}
    for pem in sorted((bag_dir / "data" / "keys").glob("*.pub.pem")):
        package_keys[pem.name[: -len(".pub.pem")]] = keys.fingerprint(keys.load_public_pem(pem.read_bytes()))
    if trusted_key(archive, signer, rep.fingerprint) is None:
        known = registered_keys(archive, signer)
        why = (f"本档案登记的 {signer} 公钥指纹为 {', '.join(k[:16] + '…' for k in known)}" if known
               else f"本档案未登记 {signer} 的签名公钥")
        raise _refuse(
            [f"签名单位 {rep.signer_name}（{signer}）的公钥指纹 {rep.fingerprint} 未在本档案登记：{why} "
             "(signer's organization and key fingerprint are not registered here)"],
            f"拒绝导入：签名单位未登记 (package refused: signer not registered): {shown}",
            hint=f"核实指纹后登记：outsafe org trust {signer} --key KEY.pem --fingerprint {rep.fingerprint}",
        )

    incoming = _read_incoming(bag_dir)
    checkpoints = _package_checkpoints(bag_dir)
    origins = sorted({i.origin for i in incoming} | {o for o, _ in checkpoints})  # we cosign only keys we trust
    for origin in origins:
        if origin == owner:
            continue
        fp = package_keys.get(origin)
        if fp is None or trusted_key(archive, origin, fp) is None:
            refusals.append(f"来源单位 {origin} 的公钥（指纹 {fp}）未在本档案登记 (record origin's key not registered here)")

    # history: every checkpoint in the package vs what this archive witnessed before
    leaf_file = bag_dir / "data" / "ledger" / signer / "leaf-hashes.txt"
    signer_hashes = [bytes.fromhex(x) for x in leaf_file.read_text(encoding="ascii").split()] if leaf_file.is_file() else None
    consistency: dict[tuple[str, int], list[dict]] = {}
    for (origin, size), cp in sorted(checkpoints.items()):
        if origin == owner:
            own = archive.ledger.leaf_hashes(size)
            if len(own) < size or merkle.root(own) != cp["note"].root:
                refusals.append(f"包中本档案的第 {size} 号检查点与本档案账本不符 (our own checkpoint in the package does not match our ledger)")
            continue
        hashes = signer_hashes if origin == signer else None
        proofs, problems = _check_history(archive, origin, size, cp["note"].root, hashes)
        refusals.extend(problems)
        consistency[(origin, size)] = proofs
    if refusals:
        raise IntegrityError(refusals, f"拒绝导入，本档案未作任何改动 (package refused; this archive is unchanged): {shown}")

    # records: new ones in package order; known ones must be byte-identical
    plan: list[_Incoming] = []
    present = set()
    for inc in incoming:
        existing = archive.catalog.get_record(inc.rid)
        if existing is not None:
            if existing["seal"].encode() != inc.seal or bytes(existing["signature"]) != inc.signature:
                refusals.append(f"记录 {inc.rid} 已在本档案中，但封签不同 (record already here with a different seal)")
            present.add(inc.rid)
            continue
        if inc.origin == owner:
            refusals.append(f"记录 {inc.rid} 自称来自本档案，但本档案中没有 (record claims to be ours but is not here)")
            continue
        sup = inc.record.get("supersedes")
        if sup and sup not in present and archive.catalog.get_record(sup) is None:
            refusals.append(f"记录 {inc.rid} 更正的记录 {sup} 既不在包中也不在本档案中 (superseded record missing)")
        plan.append(inc)
        present.add(inc.rid)
    if refusals:
        raise IntegrityError(refusals, f"拒绝导入，本档案未作任何改动 (package refused; this archive is unchanged): {shown}")

    # --- from here on, writes: blobs first (content-addressed, an orphan is harmless) ---
    signer_obj = archive.signer()
    leaf_blob = archive.blobs.put_file(leaf_file) if leaf_file.is_file() else None
    now = _utcnow()
    total = len(plan)
    for n, inc in enumerate(plan, 1):
        files = []
        for f in inc.record["files"]:
            src = inc.folder / Path(*f["path"].split("/"))
            if not archive.blobs.has(f["sha256"]):
                result.files_new += 1
            digest = archive.blobs.put_file(src)
            if digest != f["sha256"]:
                raise IntegrityError([f"记录 {inc.rid}: 文件 {f['path']} 在导入时发生变化 (file changed during import)"])
            files.append({k: f[k] for k in ("role", "name", "sha256", "size", "media_type")})
        rec = inc.record
        row = {k: rec.get(k) for k in ("id", "type", "subtype", "doc_no", "title", "enterprise", "contractor", "project",
                                       "doc_date", "source_name", "origin", "supersedes", "note", "created_at")}
        row.update(data=_canonical(rec["data"]).decode(), refs=rec["refs"], seal=inc.seal.decode("utf-8"),
                   signature=inc.signature, signer=json.loads(inc.seal)["signer"])
        with archive.catalog.transaction():
            archive.catalog.insert_record(row, files)
            db.execute(
                "INSERT INTO imported_proofs(record_id, origin, leaf_index, leaf_data, tree_size, proof) VALUES(?,?,?,?,?,?)",
                (inc.rid, inc.origin, int(inc.proof["leaf_index"]), inc.proof["leaf_data"], int(inc.proof["tree_size"]),
                 json.dumps(inc.proof["proof"])),
            )
            if rec["type"] in ("organization", "person", "project"):
                data = rec["data"]
                kind = rec["type"]
                key = {"organization": lambda: data["uscc"], "person": lambda: person_key(archive.secret, data["id_number"]),
                       "project": lambda: project_key(data["enterprise"], data["code"])}[kind]()
                if _registry_should_update(archive, kind, key, row):
                    archive.catalog.put_registry(kind, key, inc.rid, data.get("name") or key)
                    result.registry_updated += 1
        result.records_new += 1
        if progress:
            progress("import", n, total)
    result.records_known = len(incoming) - len(plan)

    # witness the checkpoints, log the import, sign a checkpoint of our own
    witnessed_rows = []
    with archive.catalog.transaction():
        for (origin, size), cp in sorted(checkpoints.items()):
            if origin == owner:
                continue
            if db.execute("SELECT 1 FROM witnessed WHERE origin=? AND tree_size=?", (origin, size)).fetchone():
                continue
            note = cp["note"]
            cosig = signer_obj.sign(note.body().encode())
            db.execute(
                "INSERT INTO witnessed(origin, tree_size, root, note, signer, cosignature, package_digest, witnessed_at) VALUES(?,?,?,?,?,?,?,?)",
                (origin, size, note.root, cp["text"], package_keys[origin], cosig, rep.digest, now),
            )
            entry = {
                "origin": origin,
                "tree_size": size,
                "root": note.root.hex(),
                "signer": package_keys[origin],
                "cosignature": cosig.hex(),
                "package": rep.digest,
                "consistency": consistency.get((origin, size), []),
                "leaf_hashes_sha256": leaf_blob if origin == signer else None,
            }
            archive.ledger.append("checkpoint_witnessed", entry, now)
            witnessed_rows.append({"origin": origin, "tree_size": size, "root": note.root.hex()})
        archive.ledger.append("package_imported", {
            "tagmanifest_sha256": rep.digest,
            "kind": rep.kind,
            "origin": signer,
            "signer": rep.fingerprint,
            "records": sorted(i.rid for i in plan),
            "record_count": len(incoming),
            "checkpoints": [{"origin": o, "tree_size": s, "root": c["note"].root.hex()} for (o, s), c in sorted(checkpoints.items())],
        }, now)
        db.execute(
            "INSERT INTO packages(digest, direction, kind, origin, path, records, info, created_at) VALUES(?,?,?,?,?,?,?,?)",
            (rep.digest, "import", rep.kind, signer, shown, len(incoming),
             json.dumps({"new": result.records_new, "known": result.records_known, "leaf_hashes_sha256": leaf_blob,
                         "witnessed": witnessed_rows}, ensure_ascii=False), now),
        )
    result.witnessed = witnessed_rows
    archive.checkpoint(signer_obj)
    hook = getattr(archive, "after_write", None)
    if callable(hook):
        hook()
    return result


def _read_incoming(bag_dir: Path) -> list[_Incoming]:
    index = json.loads((bag_dir / INDEX_NAME).read_text(encoding="utf-8"))
    out = []
    for entry in index["records"]:
        folder = bag_dir / Path(*entry["path"].split("/"))
        out.append(_Incoming(
            rid=folder.name,
            origin=folder.parent.name,
            folder=folder,
            record=json.loads((folder / "record.json").read_text(encoding="utf-8")),
            seal=(folder / "seal.json").read_bytes(),
            signature=(folder / "seal.sig").read_bytes(),
            proof=json.loads((folder / "proof.json").read_text(encoding="utf-8")),
        ))
    return out


def _package_checkpoints(bag_dir: Path) -> dict[tuple[str, int], dict]:
    out = {}
    base = bag_dir / "data" / "checkpoints"
    for origin in sorted(base.iterdir()):
        for size in sorted(origin.iterdir()):
            text = (size / "checkpoint.txt").read_text(encoding="utf-8")
            out[(origin.name, int(size.name))] = {"note": parse_note(text), "text": text}
    return out


def _stored_leaf_hashes(archive, origin: str, size: int) -> list[bytes] | None:
    """Leaf hashes kept from an earlier package of ``origin`` whose checkpoint had ``size``."""
    for (entry,) in archive.catalog.db.execute("SELECT entry FROM ledger WHERE kind='checkpoint_witnessed' ORDER BY idx"):
        e = json.loads(entry)
        if e.get("origin") == origin and e.get("tree_size") == size and e.get("leaf_hashes_sha256"):
            try:
                text = archive.blobs.read_bytes(e["leaf_hashes_sha256"]).decode("ascii")
            except (NotFound, UnicodeDecodeError):
                return None
            return [bytes.fromhex(x) for x in text.split()]
    return None


def _check_history(archive, origin: str, size: int, new_root: bytes, hashes: list[bytes] | None) -> tuple[list[dict], list[str]]:
    """Is the checkpoint (size, new_root) of ``origin`` consistent with every checkpoint of it this
    archive witnessed before? Returns (consistency proofs from earlier checkpoints, problems)."""
    proofs, problems = [], []
    if hashes is not None:
        if len(hashes) < size or merkle.root(hashes[:size]) != new_root:
            problems.append(f"{origin}: 包中的账本叶哈希重建不出第 {size} 号检查点的根 (leaf hashes do not rebuild the checkpoint)")
            return proofs, problems
        hashes = hashes[:size]
    for w in archive.catalog.db.execute("SELECT * FROM witnessed WHERE origin=? ORDER BY tree_size", (origin,)):
        old_size, old_root = w["tree_size"], bytes(w["root"])
        label = f"{origin}: 此前见证的第 {old_size} 号检查点"
        if old_size == size:
            if old_root != new_root:
                problems.append(f"{label}与包中同大小的检查点根不同：历史已被改写 (same size, different root: history rewritten)")
            continue
        if old_size < size:
            if hashes is None:
                continue  # not the signer's ledger: no leaves to check with (a warning would be noise)
            if merkle.root(hashes[:old_size]) != old_root:
                problems.append(f"{label}不是新检查点（第 {size} 号）的前缀：历史已被改写 (earlier checkpoint is not a prefix: history rewritten)")
                continue
            proof = merkle.consistency_proof(hashes, old_size)
            if not merkle.verify_consistency(old_size, size, proof, old_root, new_root):
                problems.append(f"{label}与新检查点的一致性证明不成立 (consistency proof fails: history rewritten)")
                continue
            proofs.append({"old_size": old_size, "old_root": old_root.hex(), "proof": [h.hex() for h in proof]})
        else:
            older = _stored_leaf_hashes(archive, origin, old_size)
            if older is None:
                if hashes is not None:
                    problems.append(f"{label}比包中的新，且无法核对一致性 (package is older than a checkpoint seen before and cannot be checked)")
                continue
            if merkle.root(older[:size]) != new_root:
                problems.append(f"{label}的前 {size} 条与包中检查点不符：历史已被改写 (package checkpoint is not a prefix of one seen before)")
                continue
            proof = merkle.consistency_proof(older[:old_size], size)
            proofs.append({"old_size": size, "old_root": new_root.hex(), "new_size": old_size, "proof": [h.hex() for h in proof]})
    return proofs, problems


def _registry_should_update(archive, kind: str, key: str, row: dict) -> bool:
    """Does an imported registry record become the current entry? Yes unless this archive holds
    its own entry for it (its own registration wins: for organizations always, since it carries
    the key this archive trusts; for people and projects unless the import is newer), or a newer
    imported one."""
    reg = archive.catalog.get_registry(kind, key)
    if reg is None:
        return True
    current = archive.catalog.get_record(reg["record_id"])
    if current is None:
        return True
    if current["origin"] == archive.owner_uscc and kind == "organization":
        return False
    return row["created_at"] > current["created_at"]
