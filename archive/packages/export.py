"""Writing a submission package (报送包): choosing the records (a period, their closure of
registry records, the roster), building the bag with proofs, keys and checkpoints, and logging
the export in the ledger. The format is described in :mod:`archive.packages`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from archive.errors import IntegrityError, NotFound, PackageError
from archive.integrity import keys, merkle
from archive.integrity.ledger import origin_for, parse_note
from archive.integrity.seal import check_record
from archive.integrity.trust import registered_keys
from archive.packages import bag as bagfmt
from archive.packages.common import (
    FORMAT,
    GUIDE_NAME,
    INDEX_NAME,
    KIND_LABELS,
    KIND_SUBMISSION,
    SCRIPT_NAME,
    STORED_SUFFIXES,
    RECORD_ID_RE,
    USCC_RE,
    ExportResult,
    Progress,
    Tree,
    json_bytes,
    json_line,
    outsafe_version,
    refuse,
    shipped_script,
)
from archive.packages.guide import guide_text
from archive.privacy import mask_text
from schemas import REGISTRY_TYPES, TYPES
from storage import staging
from storage.errors import BlobMissing
from storage.faults import crash_point
from storage.home import safe_name

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
        self._tree: Tree | None = None
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
            w = self.archive.catalog.packages.get_witnessed(uscc, tree_size)
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
                self._tree = Tree(self._hashes)
                if self._tree.root != bytes(self.checkpoint["root"]):
                    raise refuse([f"账本前 {self.tree_size} 条重建的根与签名检查点不符 (ledger does not match its checkpoint)"],
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
        p = self.archive.catalog.packages.imported_proof(row["id"])
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
        if not USCC_RE.match(origin or "") or not RECORD_ID_RE.match(rid):
            raise PackageError(f"记录 {rid!r} 的编号或来源 {origin!r} 不能用作路径 (unsafe id or origin)")
        if not row.get("seal") or row.get("signature") is None:
            raise PackageError(f"记录 {rid} 没有封签 (record has no seal)")
        proof, o = self._proof(row)
        if row["signer"] != o.fingerprint:
            raise PackageError(f"记录 {rid} 的签名者不是 {origin} 的登记公钥 (record signer is not the origin's key)")
        rel = f"records/{origin}/{rid}"
        files_meta, index_files = [], []
        used: set[str] = set()
        blobs = self.archive.blobs
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
            missing = refuse([f"记录 {rid}: 文件 {f['name']} ({f['role']}) 缺失 (blob missing)"],
                             hint="运行 outsafe verify 查明原因 (run outsafe verify)")
            local = blobs.local_path(d)
            if local is not None:  # a folder store: copied in the kernel, hashed from the page cache
                if not _blob_present(str(local)):
                    raise missing
                self.w.copy(f"{rel}/{path}", local)
            else:  # an object store: fetched, checked on read
                try:
                    self.w.write(f"{rel}/{path}", blobs.read_bytes(d))
                except BlobMissing:
                    raise missing from None
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
        self.w.write(f"{rel}/record.json", json_line(record))
        self.w.write(f"{rel}/seal.json", row["seal"].encode("utf-8"))
        self.w.write(f"{rel}/seal.sig", bytes(row["signature"]))
        self.w.write(f"{rel}/proof.json", json_line(proof))
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
            owners = self.archive.catalog.records_with_blob(digest)
            raise refuse([f"记录 {'、'.join(owners) or '?'}: 档案文件 {digest[:16]}… 缺失 (blob missing)"],
                          hint="运行 outsafe verify 查明原因 (run outsafe verify)") from e
        bad = sorted(p for p, d in self.expected.items() if digests.get(p) != d)
        if bad:
            raise refuse(
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


def org_info(archive, uscc: str) -> dict:
    reg = archive.catalog.get_registry("organization", uscc)
    if reg is None:
        return {"uscc": uscc, "name": archive.owner_name if uscc == archive.owner_uscc else uscc}
    data = json.loads(archive.catalog.get_record(reg["record_id"])["data"])
    return {k: data.get(k) for k in ("uscc", "name", "address", "phone", "role")}


def finish_output(stage: Path, out: Path, as_zip: bool) -> Path:
    """Move the finished bag to ``out`` (a folder), or zip it there; never half-written."""
    if as_zip:
        tmp = zip_partial(stage)
        try:
            with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
                top = out.stem
                zf.mkdir(top)
                for dirpath, dirs, names in os.walk(stage):
                    dirs.sort()
                    for name in sorted(names):
                        full = Path(dirpath) / name
                        rel = full.relative_to(stage).as_posix()
                        method = zipfile.ZIP_STORED if name.lower().endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
                        zf.write(full, f"{top}/{rel}", compress_type=method)
            os.chmod(tmp, 0o600)
            crash_point("export.before_rename")
            os.replace(tmp, out)
        finally:
            if tmp.exists():
                tmp.unlink()
            shutil.rmtree(stage, ignore_errors=True)
        return out
    os.chmod(stage, 0o700)
    crash_point("export.before_rename")
    os.rename(stage, out)
    return out


def zip_partial(stage: Path) -> Path:
    """The half-written zip of a staged package, beside it (``.NAME.partial-….zip``)."""
    return stage.with_name(stage.name + ".zip")


@contextlib.contextmanager
def staged_output(home_tmp: Path, out: Path, as_zip: bool) -> Iterator[tuple[Path, Path]]:
    """(final path, a fresh private staging folder beside it). Refuses to overwrite anything.

    The staging folder (and the zip being written) are claimed before they exist
    (:mod:`storage.staging`): an error or Ctrl-C removes them at once, a ``kill -9`` leaves them
    to the next outsafe process on this archive, which removes them — they hold personal data."""
    out = Path(out)
    if as_zip and out.suffix.lower() != ".zip":
        out = out.with_name(out.name + ".zip")
    if os.path.lexists(out):
        raise PackageError(f"{out} 已存在 (already exists)", hint="换一个输出路径，或先移走旧的包 (choose another -o)")
    if not out.parent.is_dir():
        raise PackageError(f"输出目录 {out.parent} 不存在 (output folder does not exist)")
    stage = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    with staging.claim(home_tmp, stage, zip_partial(stage)):
        stage.mkdir(mode=0o700)
        yield out, stage


def refuse_altered(archive, rows: Sequence[dict]) -> None:
    """A package never carries a record whose catalog row says something its seal does not (an
    edited number, party, date, file row …): the export is refused naming each, exit 3."""
    problems = []
    for row in rows:
        try:
            stmt = json.loads(row["seal"] or "")
        except ValueError:
            problems.append(f"记录 {row['id']}: 封签无法解析 (seal statement unreadable)")
            continue
        problems.extend(f"记录 {row['id']}: {d}" for d in check_record(row, archive.catalog.record_files(row["id"]), stmt))
    if problems:
        raise IntegrityError(problems, "拒绝导出：记录与封签不符，请先运行 outsafe verify (export refused: records differ from their seals)")


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
    refuse_altered(archive, rows)
    b = _Builder(archive, signer, stage, progress)
    t0 = time.perf_counter()
    try:
        b.add_records(rows)
        t1 = time.perf_counter()
        b.finish_payload()
    finally:
        b.w.close()
    b.timings = {"write_s": round(t1 - t0, 3), "hash_s": round(time.perf_counter() - t1, 3)}
    org = org_info(archive, archive.owner_uscc)
    cp_note = parse_note(b.checkpoint["note"])
    day = (today or archive.clock.today()).isoformat()
    period = f"{since or '…'}/{until or '…'}" if (since or until) else "全部 (all)"
    info = {
        "Source-Organization": org.get("name") or archive.owner_name,
        "统一社会信用代码": archive.owner_uscc,
        "Bagging-Date": day,
        "External-Description": description,
        "Internal-Sender-Identifier": f"{origin_for(archive.owner_uscc)}/{b.tree_size}",
        "Internal-Sender-Description": f"outsafe {KIND_LABELS.get(kind, kind)} ({kind})",
        "Bag-Software-Agent": f"outsafe {outsafe_version()}",
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
        INDEX_NAME: json_bytes(index),
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
        with staged_output(archive.home.tmp_dir, out, as_zip) as (out, stage):
            desc = (f"{archive.owner_name}（统一社会信用代码 {archive.owner_uscc}）外包作业安全档案报送包，"
                    f"期间 {since_s or '最早'} 至 {until_s or '最新'}，共 {len(rows)} 条已封签记录 "
                    f"(outsafe submission package)")
            digest, b = build_records_bag(archive, signer, rows, stage, kind=KIND_SUBMISSION, description=desc,
                                          since=since_s, until=until_s, today=today, progress=progress)
            final = finish_output(stage, out, as_zip)
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
    now = archive.clock.stamp()
    entry = {
        "kind": result.kind,
        "tagmanifest_sha256": result.digest,
        "records": result.records,
        "checkpoint_size": result.checkpoint["tree_size"],
        **{k: v for k, v in info.items()},
    }
    with archive.catalog.transaction():
        archive.ledger.append("package_exported", entry, now)
        archive.catalog.packages.log_package({
            "digest": result.digest, "direction": "export", "kind": result.kind, "origin": archive.owner_uscc,
            "path": str(result.path), "records": result.records,
            "info": json.dumps({**info, "checkpoint": result.checkpoint,
                                **{k: v for k, v in result.extra.items() if k != "timings"}}, ensure_ascii=False),
            "created_at": now,
        })
    archive.checkpoint(signer)
