"""Importing a verified package (``outsafe package import``): records with their original seals,
files and inclusion proofs; the origin's checkpoint witnessed and checked against the history
seen before; nothing written unless the whole package verifies.

The package is read from a private copy in the archive's tmp/ (it cannot change between being
verified and being stored), every catalog column is re-derived from the sealed data rather than
taken from the package's record.json, and everything the package adds — records, file rows,
inclusion proofs, registry updates, witnessed checkpoints, ledger entries, the package row —
commits in ONE transaction: a ``kill -9`` at any moment leaves the archive exactly as before or
exactly as after. The blobs go first (content-addressed: an orphan is harmless).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.clock import utc_stamp
from archive.errors import IntegrityError, PackageError
from archive.facts.index import record_stored
from archive.facts.lint import lint_row
from archive.integrity import keys, merkle
from archive.integrity.ledger import parse_note
from archive.integrity.trust import registered_keys, trusted_key
from archive.packages.common import (
    INDEX_NAME,
    KIND_LABELS,
    KIND_SUBMISSION,
    RECORD_ID_RE,
    USCC_RE,
    ImportResult,
    PackageReport,
    Progress,
    canonical_json,
    refuse,
)
from archive.packages.paths import opened_package
from archive.packages.verify import verify_bag
from archive.registry import drop_moved_entry, registry_key
from schemas import REGISTRY_TYPES, class_for
from schemas.columns import COLUMNS, record_columns, registry_name
from storage.errors import BlobMissing
from storage.faults import crash_point

SEALED_AHEAD = timedelta(days=1)  # how far an origin's clock may run ahead of ours
STAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

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
    with opened_package(Path(path), archive.settings, stage_in=archive.home.tmp_dir) as opened:
        bag_dir = opened.path
        rep = verify_bag(bag_dir, shown=str(path), files=opened.files)
        if not rep.ok:
            raise IntegrityError(rep.failures, f"包核验未通过，未导入任何内容 (package failed verification; nothing imported): {path}")
        if rep.kind != KIND_SUBMISSION:
            raise PackageError(f"只能导入报送包，这是{KIND_LABELS.get(rep.kind, rep.kind)} (only submission packages can be imported)")
        with archive.writing("package import", notify):
            return _import_verified(archive, bag_dir, rep, str(path), progress)


def _import_verified(archive, bag_dir: Path, rep: PackageReport, shown: str, progress: Progress | None) -> ImportResult:
    catalog = archive.catalog
    book = catalog.packages
    owner = archive.owner_uscc
    signer = rep.signer
    result = ImportResult(path=shown, digest=rep.digest, origin=signer, origin_name=rep.signer_name or signer)
    if book.has_package(rep.digest, "import"):
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
        raise refuse(
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
    if signer_hashes is None:  # export always writes them; without them no earlier checkpoint can be proved a prefix
        refusals.append(f"包中没有签名单位的账本叶哈希 data/ledger/{signer}/leaf-hashes.txt，无法核对其历史"
                        " (the signer's leaf hashes are missing: its history cannot be checked)")
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
        if not RECORD_ID_RE.match(inc.rid) or not USCC_RE.match(inc.origin):
            refusals.append(f"记录 {inc.rid!r}（来源 {inc.origin!r}）：编号或来源不合 outsafe 的格式，导入后无法再导出"
                            " (record id or origin of another form: it could never be exported again)")
            continue
        existing = catalog.get_record(inc.rid)
        if existing is not None:
            if existing["seal"].encode() != inc.seal or bytes(existing["signature"]) != inc.signature:
                refusals.append(f"记录 {inc.rid} 已在本档案中，但封签不同 (record already here with a different seal)")
            present.add(inc.rid)
            continue
        if inc.origin == owner:
            refusals.append(f"记录 {inc.rid} 自称来自本档案，但本档案中没有 (record claims to be ours but is not here)")
            continue
        refusals.extend(_supersede_problems(catalog, inc, plan, present))
        plan.append(inc)
        present.add(inc.rid)
    if refusals:
        raise IntegrityError(refusals, f"拒绝导入，本档案未作任何改动 (package refused; this archive is unchanged): {shown}")

    rows = {}
    latest = utc_stamp(archive.clock.now() + SEALED_AHEAD)
    for inc in plan:
        row, problems = row_from_seal(inc)
        refusals.extend(problems)
        rows[inc.rid] = row
        sealed = row[0].get("created_at")
        if row[0] and (not isinstance(sealed, str) or not STAMP_RE.fullmatch(sealed)):
            refusals.append(f"记录 {inc.rid}: 封签时间 {sealed!r} 格式错误 (sealed_at is no UTC time stamp)")
        elif row[0] and sealed > latest:
            refusals.append(f"记录 {inc.rid}: 封签时间 {sealed} 晚于本档案的当前时间 {archive.clock.stamp()}：来源单位的时钟有误，或记录是伪造的"
                            " (sealed in the future: it would stay the newest version for ever; check both clocks)")
    if refusals:
        raise IntegrityError(refusals, f"拒绝导入，本档案未作任何改动 (package refused; this archive is unchanged): {shown}")

    # what today's rules say of each record (kept beside its facts; a refused one is still imported: it is sealed)
    lints = {inc.rid: lint_row(rows[inc.rid][0], archive.settings) for inc in plan}

    # --- from here on, writes: blobs first (content-addressed, an orphan is harmless) ---
    signer_obj = archive.signer()
    with archive.blobs.batch():  # every blob durable before the transaction that names them
        leaf_blob = archive.blobs.put_file(leaf_file) if leaf_file.is_file() else None
        for inc in plan:
            for f in inc.record["files"]:
                src = inc.folder / Path(*f["path"].split("/"))
                if not archive.blobs.has(f["sha256"]):
                    result.files_new += 1
                if archive.blobs.put_file(src) != f["sha256"]:
                    raise IntegrityError([f"记录 {inc.rid}: 文件 {f['path']} 在导入时发生变化 (file changed during import)"])
    crash_point("import.after_blobs")
    now = archive.clock.stamp()
    total = len(plan)
    witnessed_rows = []
    with catalog.transaction():
        for n, inc in enumerate(plan, 1):
            row, files = rows[inc.rid]
            seq = catalog.insert_record(row, files)
            record_stored(catalog, row, seq, archive.secret, lints[inc.rid])  # judged by today's rules before any write
            book.add_imported_proof({
                "record_id": inc.rid, "origin": inc.origin, "leaf_index": int(inc.proof["leaf_index"]),
                "leaf_data": inc.proof["leaf_data"], "tree_size": int(inc.proof["tree_size"]),
                "proof": json.dumps(inc.proof["proof"]),
            })
            if row["type"] in REGISTRY_TYPES:
                data = json.loads(row["data"])
                key = registry_key(archive.secret, row["type"], data)
                if _registry_should_update(archive, row["type"], key, row):
                    catalog.put_registry(row["type"], key, inc.rid, registry_name(data, key))
                    result.registry_updated += 1
                if row.get("supersedes"):
                    drop_moved_entry(catalog, archive.secret, row["type"], key, row["supersedes"])
            result.records_new += 1
            if n == total // 2:
                crash_point("import.midway")
            if progress:
                progress("import", n, total)
        result.records_known = len(incoming) - len(plan)

        # witness the checkpoints, log the import (same transaction)
        for (origin, size), cp in sorted(checkpoints.items()):
            if origin == owner:
                continue
            if book.get_witnessed(origin, size) is not None:
                continue
            note = cp["note"]
            cosig = signer_obj.sign(note.body().encode())
            book.witness({
                "origin": origin, "tree_size": size, "root": note.root, "note": cp["text"], "signer": package_keys[origin],
                "cosignature": cosig, "package_digest": rep.digest, "witnessed_at": now,
            })
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
        book.log_package({
            "digest": rep.digest, "direction": "import", "kind": rep.kind, "origin": signer, "path": shown,
            "records": len(incoming),
            "info": json.dumps({"new": result.records_new, "known": result.records_known, "leaf_hashes_sha256": leaf_blob,
                                "witnessed": witnessed_rows}, ensure_ascii=False),
            "created_at": now,
        })
        crash_point("import.before_commit")
    crash_point("import.after_commit")
    result.witnessed = witnessed_rows
    archive.checkpoint(signer_obj)
    hook = getattr(archive, "after_write", None)
    if callable(hook):
        hook()
    return result


def row_from_seal(inc: _Incoming) -> tuple[tuple[dict, list[dict]], list[str]]:
    """((catalog row, file rows), problems) of an incoming record, built from its seal statement —
    the columns re-derived from the sealed data — and compared with what its record.json claims."""
    problems: list[str] = []
    try:
        stmt = json.loads(inc.seal)
        cls, _ = class_for({"type": stmt["type"], "ticket_type": stmt.get("subtype")})
        if cls is None:
            raise ValueError(stmt["type"])
        columns = record_columns(cls, stmt["data"])
    except (ValueError, KeyError, TypeError) as e:
        return ({}, []), [f"记录 {inc.rid}: 封签无法解析 (seal statement unreadable: {e})"]
    rec = inc.record
    row = {
        "id": stmt.get("record_id"), "type": stmt.get("type"), "subtype": stmt.get("subtype"), **columns,
        "source_name": stmt.get("source_name"), "origin": stmt.get("origin"), "supersedes": stmt.get("supersedes"),
        "note": stmt.get("note"), "created_at": stmt.get("sealed_at"), "data": canonical_json(stmt["data"]).decode(),
        "refs": rec.get("refs"), "seal": inc.seal.decode("utf-8"), "signature": inc.signature, "signer": stmt.get("signer"),
    }
    if row["id"] != inc.rid or row["origin"] != inc.origin:
        problems.append(f"记录 {inc.rid}: 所在目录与封签不符 (folder differs from the seal: {row['origin']}/{row['id']})")
    if hashlib.sha256((row["refs"] or "").encode()).hexdigest() != stmt.get("refs_sha256"):
        problems.append(f"记录 {inc.rid}: 引用快照与封签不符 (referenced-entity snapshot differs from the seal)")
    for col in ("type", "subtype", "origin", "supersedes", "note", "source_name", "created_at", *COLUMNS):
        if (rec.get(col) or None) != (row[col] or None):
            problems.append(f"记录 {inc.rid}: record.json 的 {col} 与封签数据不符 (record.json {col} differs from the sealed data)")
    files = [{k: f[k] for k in ("role", "name", "sha256", "size", "media_type")} for f in stmt.get("files", [])]
    shipped = {(f["role"], f["name"], f["sha256"]) for f in rec.get("files", [])}
    if {(f["role"], f["name"], f["sha256"]) for f in files} != shipped:
        problems.append(f"记录 {inc.rid}: 包中的文件与封签所列不同 (files differ from the seal)")
    return (row, files), problems


def _supersede_problems(catalog, inc: _Incoming, plan: list[_Incoming], present: set[str]) -> list[str]:
    """Why an incoming record may not correct the record it names, or nothing. The corrected
    record must be here or in the package, of the same type, and — for a document — of the same
    origin and not corrected already: a correction is its author's (as ``case supersede`` allows
    locally), so a package cannot mark another unit's record, the bureau's order say, corrected.
    Registry entries (organizations, people, projects) are corrected across origins."""
    sup = inc.record.get("supersedes")
    if not sup:
        return []
    earlier = next((p for p in plan if p.rid == sup), None)
    old = {"type": earlier.record.get("type"), "origin": earlier.origin} if earlier else catalog.get_record(sup)
    if old is None:
        return [] if sup in present else [f"记录 {inc.rid} 更正的记录 {sup} 既不在包中也不在本档案中 (superseded record missing)"]
    new_type = inc.record.get("type")
    if old["type"] != new_type:
        return [f"记录 {inc.rid}（{new_type}）更正的记录 {sup} 是 {old['type']}：更正须与原记录同类型 (a correction must have the type of the record it corrects)"]
    if new_type in REGISTRY_TYPES:
        return []
    if old["origin"] != inc.origin:
        return [f"记录 {inc.rid}（来源 {inc.origin}）更正的记录 {sup} 来自 {old['origin']}：只有原记录的单位可以更正它"
                " (a record may only be corrected by the unit that sealed it)"]
    later = next((p.rid for p in plan if p.record.get("supersedes") == sup), None) or catalog.superseded_by(sup)
    if later and later != inc.rid:
        return [f"记录 {inc.rid} 更正的记录 {sup} 已被 {later} 更正 (record already corrected by another)"]
    return []


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
    for leaf in archive.ledger.leaves(kind="checkpoint_witnessed"):
        e = json.loads(leaf["entry"])
        if e.get("origin") == origin and e.get("tree_size") == size and e.get("leaf_hashes_sha256"):
            try:
                text = archive.blobs.read_bytes(e["leaf_hashes_sha256"]).decode("ascii")
            except (BlobMissing, UnicodeDecodeError):
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
    for w in archive.catalog.packages.witnessed(origin):
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
