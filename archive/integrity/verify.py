"""``outsafe verify``: is the archive exactly what was sealed?

Checks, and what each failure names:

1. every blob is re-hashed, streamed, several files at a time (record id, file, expected/actual);
2. every record's seal: the signature over the stored statement with the origin's key, and the
   catalog row and its file rows against the statement (record id, what differs);
3. the ledger: leaf indexes contiguous, every leaf hash = SHA-256(0x00 ‖ entry), every sealed
   record has its leaf at the index its seal names, every leaf's record exists (leaf index);
4. the tree: rebuilt from the leaves and compared with every signed checkpoint (signature, size,
   root), consistency proofs between successive checkpoints, and consistency with checkpoints
   kept outside the archive (``--checkpoint FILE``), which catches history rewritten and
   re-signed by whoever holds the key;
5. records imported from another archive (``origin`` ≠ the owner; :mod:`archive.packages`): the
   seal with a key this archive registered itself for that origin, the inclusion proof kept at
   import (``imported_proofs``) against the origin's checkpoint this archive witnessed, and every
   witnessed checkpoint: the origin's signature, this archive's cosignature, its
   ``checkpoint_witnessed`` leaf in our own ledger and the consistency proofs recorded there;
6. the access log (:mod:`archive.access.audit`): its hash chain, and its head against every
   ``access_log_anchored`` leaf of the ledger (entries after the last anchor are a warning);
7. the facts the views read (derived again from the sealed records and compared), and the views'
   kept results under cache/views (each file's MAC: one edited on disk is named).

Any failure: :class:`archive.errors.IntegrityError`, exit 3.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from archive.access.audit import verify_log
from archive.errors import ExitCode, IntegrityError
from archive.facts.cache import audit as kept_audit
from archive.facts.index import facts_differences, stale_version
from archive.integrity import keys, merkle
from archive.integrity.ledger import Checkpoint, entry_of, parse_note, verify_checkpoint
from archive.integrity.seal import check_record
from archive.integrity.trust import trusted_key
from archive.registry import registry_key
from archive.text import Note, notes
from schemas import REGISTRY_TYPES
from schemas.columns import registry_name

Progress = Callable[[str, int, int], None]


@dataclass
class VerifyReport:
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records: int = 0
    files: int = 0
    bytes: int = 0
    leaves: int = 0
    checkpoints: int = 0
    access_log: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "records": self.records,
            "files": self.files,
            "bytes": self.bytes,
            "leaves": self.leaves,
            "checkpoints": self.checkpoints,
            "access_log": self.access_log,
            "failures": self.failures,
            "warnings": self.warnings,
        }

    @property
    def exit_code(self) -> int:
        return ExitCode.OK if self.ok else ExitCode.VERIFICATION_FAILED

    def as_text(self) -> list[str]:
        out = [Note(f"警告/warning: {w}") for w in self.warnings]
        if not self.ok:
            return out + notes(IntegrityError(self.failures).lines())
        return out + [f"核验通过 (verified): {self.records} 条记录, {self.files} 个文件 ({self.bytes:,} 字节), "
                      f"{self.leaves} 个账本条目, {self.checkpoints} 个签名检查点"
                      + (f", {self.access_log} 条访问日志" if self.access_log else "")]


def _measure(blobs, digest: str) -> tuple[str | None, int]:
    """(sha256, size) of what the blob store holds under ``digest`` now; (None, 0) if missing."""
    return blobs.measure(digest) or (None, 0)


def verify_archive(
    archive,
    *,
    record_id: str | None = None,
    external: Sequence[Path] = (),
    progress: Progress | None = None,
    workers: int | None = None,
) -> VerifyReport:
    rep = VerifyReport()
    catalog = archive.catalog
    keyring = _Keyring(archive)

    if record_id is not None:
        rows = [archive.get_record_row(record_id)]
    else:
        rows = catalog.list_records()
    rep.records = len(rows)
    files_by_record: dict[str, list[dict]] = {}
    for f in catalog.record_files(rows[0]["id"]) if record_id else catalog.all_record_files():
        files_by_record.setdefault(f["record_id"], []).append(f)

    # 1. blobs, streamed, in parallel (hashlib releases the GIL on large updates); the hashing runs
    #    in the background while the seals and the ledger are checked below
    jobs = [(r["id"], f) for r in rows for f in files_by_record.get(r["id"], [])]
    unique = sorted({f["sha256"] for _, f in jobs})
    n_workers = workers or max(2, os.cpu_count() or 2)
    pool = ThreadPoolExecutor(max_workers=n_workers)
    futures = {d: pool.submit(_measure, archive.blobs, d) for d in unique}

    # 2. seals
    leaves_by_record: dict[str, dict] = {}
    for leaf in archive.ledger.leaves(kind="record_sealed"):
        leaves_by_record.setdefault(leaf["record_id"], leaf)
    owner = archive.owner_uscc
    for r in rows:
        rid = r["id"]
        if not r["seal"] or r["signature"] is None:
            rep.failures.append(f"记录 {rid}: 没有封签 (record has no seal)")
            continue
        stmt_bytes = r["seal"].encode()
        public = keyring.key_for(r["origin"], r["signer"])
        if public is None:
            rep.failures.append(f"记录 {rid}: 签名者 {r['signer'][:16]}… 不是已登记的公钥 (signer key not registered)")
        elif not keys.verify_signature(public, bytes(r["signature"]), stmt_bytes):
            rep.failures.append(f"记录 {rid}: 签名无效 (signature does not verify)")
        try:
            stmt = json.loads(stmt_bytes)
        except ValueError:
            rep.failures.append(f"记录 {rid}: 封签无法解析 (seal statement unreadable)")
            continue
        for diff in check_record(r, files_by_record.get(rid, []), stmt):
            rep.failures.append(f"记录 {rid}: {diff}")
        if stmt.get("signer") != r["signer"]:
            rep.failures.append(f"记录 {rid}: 签名者与封签不符 (signer column altered)")
        if r["origin"] == owner:
            leaf = leaves_by_record.get(rid)
            if leaf is None:
                rep.failures.append(f"记录 {rid}: 账本中没有该记录的条目 (no ledger leaf: leaf deleted or record inserted behind the ledger)")
            else:
                entry = entry_of(leaf)
                if entry.get("seal_sha256") != hashlib.sha256(stmt_bytes).hexdigest():
                    rep.failures.append(f"记录 {rid}: 账本条目 {leaf['idx']} 的封签摘要不符 (leaf {leaf['idx']} does not match the seal)")
                if entry.get("signature") != bytes(r["signature"]).hex():
                    rep.failures.append(f"记录 {rid}: 账本条目 {leaf['idx']} 记载的签名与目录不同 (signature replaced since sealing)")
                if stmt.get("ledger_index") != leaf["idx"]:
                    rep.failures.append(
                        f"记录 {rid}: 封签时位于账本第 {stmt.get('ledger_index')} 条，现位于第 {leaf['idx']} 条 (ledger leaves moved)"
                    )

    imported = [r for r in rows if r["origin"] != owner]
    if imported or record_id is None:
        _verify_imported(archive, rep, imported, all_witnessed=record_id is None)
    if record_id is None:
        _verify_ledger(archive, rep, keyring, external)
        _verify_registry(archive, rep)
        # the facts the views read (a cache, but one a view trusts: an altered fact could leave a record out)
        facts = [] if stale_version(catalog) else facts_differences(archive, rows)
        if stale_version(catalog):
            rep.warnings.append("视图事实由另一版本生成，下次查看时重建 (facts of another derivation version: rebuilt by the next view)")
        rep.failures.extend(facts[:50] + ([f"… 另有 {len(facts) - 50} 条视图事实不符 (more facts differ)"] if len(facts) > 50 else []))
        if facts:
            rep.failures.append("视图事实可由已封存记录重建 (the facts are rebuilt from the sealed records): outsafe facts rebuild")
        failures, warnings, rep.access_log = verify_log(archive)
        rep.failures.extend(failures)
        rep.warnings.extend(warnings)
        _verify_kept(archive, rep)
    else:
        _verify_inclusion(archive, rep, rows[0]["id"])

    results: dict[str, tuple[str | None, int]] = {}
    try:
        for i, (digest, fut) in enumerate(futures.items(), 1):
            results[digest] = fut.result()
            if progress:
                progress("hash", i, len(futures))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    rep.files = len(jobs)
    rep.bytes = sum(n for _, n in results.values())
    blob_failures = []
    for rid, f in jobs:
        actual, _ = results[f["sha256"]]
        if actual is None:
            blob_failures.append(f"记录 {rid}: 文件 {f['name']} ({f['role']}) 缺失 (blob missing: {f['sha256'][:12]}…)")
        elif actual != f["sha256"]:
            blob_failures.append(
                f"记录 {rid}: 文件 {f['name']} ({f['role']}) 内容已被改动 (blob altered: expected {f['sha256'][:12]}…, now {actual[:12]}…)"
            )
    rep.failures[:0] = blob_failures
    return rep


def _verify_kept(archive, rep: VerifyReport) -> None:
    """7. the views' kept results (cache/views): a cache, but one ``check`` answers from — each
    file's MAC (archive.facts.cache); one edited on disk, or set aside by a view that met it, is
    a failure until an administrator has looked at it and deleted it."""
    altered, earlier, checked = kept_audit(archive)
    if not checked:
        rep.warnings.append("视图结果文件未核验：档案的 keys/id-hash.key 不可读，这些文件也不会被采用 "
                            "(kept view results not checked: the archive's secret is unreadable; they are not used either)")
    for name in altered[:50]:
        rep.failures.append(f"视图结果 {name}: 写入后被改动 (a kept view result was altered after it was written)")
    if len(altered) > 50:
        rep.failures.append(f"… 另有 {len(altered) - 50} 个视图结果被改动 (more kept results altered)")
    if altered:
        rep.failures.append("被改动的视图结果从未被采用；视图结果只是缓存，查明改动来源后删除上列文件即可，视图会重新计算 "
                            "(altered results are never used; they are a cache: once the alteration is looked into, "
                            "delete the files listed and the views are computed again)")
    if earlier:
        rep.warnings.append(f"{earlier} 个视图结果文件没有校验码（早先版本写入的），不会被采用，到期自动清除 "
                            f"(kept results without a MAC, as earlier versions wrote them: never used, swept in time)")


class _Keyring:
    """Public keys by origin: the owner's own key, and registered organizations' keys."""

    def __init__(self, archive) -> None:
        self.archive = archive
        self.owner_key = archive.public_key()
        self.owner_fp = keys.fingerprint(self.owner_key)
        self._cache: dict[str, object] = {}

    def key_for(self, origin: str, signer_fp: str):
        if origin == self.archive.owner_uscc:
            return self.owner_key if signer_fp == self.owner_fp else None
        if origin not in self._cache:
            reg = self.archive.registry().organization(origin)
            pem = getattr(reg, "public_key", None) if reg else None
            self._cache[origin] = keys.load_public_pem(pem) if pem else None
        key = self._cache[origin]
        if key is not None and keys.fingerprint(key) == signer_fp:
            return key
        # an earlier key of the origin, registered by this archive (records sealed before a key change)
        return trusted_key(self.archive, origin, signer_fp)


def _verify_registry(archive, rep: VerifyReport) -> None:
    """Every registry row (the lookup of organizations, people and projects) against the record it
    names: that record exists, is of its kind and current, and its sealed data gives the row's key
    and name. A row pointed at another record, or renamed, moves a record between lists."""
    catalog = archive.catalog
    for kind in REGISTRY_TYPES:
        for reg in catalog.list_registry(kind):
            where = f"登记表 {kind}/{reg['key'][:20]}"
            row = catalog.get_record(reg["record_id"])
            if row is None:
                rep.failures.append(f"{where}: 指向不存在的记录 {reg['record_id']} (registry row names a missing record)")
                continue
            if row["type"] != kind:
                rep.failures.append(f"{where}: 指向 {row['type']} 记录 {row['id']} (registry row names a record of another kind)")
                continue
            try:
                data = json.loads(row["data"])
                key = registry_key(archive.secret, kind, data)
            except (ValueError, KeyError, TypeError, AttributeError):
                rep.failures.append(f"{where}: 记录 {row['id']} 的数据无法读取 (record data unreadable)")
                continue
            if key != reg["key"]:
                rep.failures.append(f"{where}: 记录 {row['id']} 的数据不是这个登记项 (registry key does not match the record's data)")
            if reg["name"] != registry_name(data, key):
                rep.failures.append(f"{where}: 名称 {reg['name']!r} 与记录 {row['id']} 不符 (registry name altered)")
            later = catalog.superseded_by(row["id"])
            if later is not None:
                rep.failures.append(f"{where}: 记录 {row['id']} 已被 {later} 更正，登记表仍指向旧版本 (registry row names a superseded record)")


def _verify_ledger(archive, rep: VerifyReport, keyring: _Keyring, external: Sequence[Path]) -> None:
    leaves = archive.ledger.leaves()
    rep.leaves = len(leaves)
    record_ids = archive.catalog.record_ids()
    expected = 0
    for leaf in leaves:
        if leaf["idx"] != expected:
            rep.failures.append(f"账本第 {expected} 条起缺失至第 {leaf['idx'] - 1} 条 (ledger leaves {expected}–{leaf['idx'] - 1} missing)")
            expected = leaf["idx"]
        expected += 1
        if merkle.leaf_hash(leaf["entry"].encode()) != bytes(leaf["leaf_hash"]):
            rep.failures.append(f"账本第 {leaf['idx']} 条: 条目哈希不符 (leaf {leaf['idx']}: hash does not match its entry)")
        try:
            entry = entry_of(leaf)
        except ValueError:
            rep.failures.append(f"账本第 {leaf['idx']} 条: 无法解析 (leaf {leaf['idx']} unreadable)")
            continue
        if entry.get("event") != leaf["kind"]:
            rep.failures.append(f"账本第 {leaf['idx']} 条: 事件类型被改动 (leaf {leaf['idx']}: kind altered)")
        rid = entry.get("record_id")
        if leaf["kind"] in ("record_sealed", "record_superseded") and rid not in record_ids:
            rep.failures.append(f"账本第 {leaf['idx']} 条: 记录 {rid} 已从目录中删除 (leaf {leaf['idx']}: record {rid} deleted)")
        if leaf["kind"] == "record_sealed" and rid != leaf["record_id"]:
            rep.failures.append(f"账本第 {leaf['idx']} 条: 记录编号列被改动 (leaf {leaf['idx']}: record column altered)")
        if leaf["kind"] == "package_imported":
            gone = sorted(set(entry.get("records") or ()) - record_ids)
            if gone:
                rep.failures.append(f"账本第 {leaf['idx']} 条: 导入的记录 {', '.join(gone[:5])} 已从目录中删除 (imported records deleted)")

    hashes = [merkle.leaf_hash(l["entry"].encode()) for l in leaves]
    cps = archive.ledger.checkpoints()
    rep.checkpoints = len(cps)
    if not cps and leaves:
        rep.failures.append("账本没有任何签名检查点 (no signed checkpoint)")
    prev: Checkpoint | None = None
    for row in cps:
        cp = parse_note(row["note"])
        label = f"检查点 {cp.tree_size}"
        public = keyring.key_for(archive.owner_uscc, row["signer"])
        if public is None or not verify_checkpoint(cp, public):
            rep.failures.append(f"{label}: 签名无效 (checkpoint {cp.tree_size}: signature does not verify)")
        if cp.tree_size != row["tree_size"] or cp.root != bytes(row["root"]):
            rep.failures.append(f"{label}: 表中的大小或根与签名文本不符 (checkpoint {cp.tree_size}: columns differ from the signed note)")
        if cp.tree_size > len(hashes):
            rep.failures.append(f"{label}: 账本只剩 {len(hashes)} 条，少于检查点的 {cp.tree_size} 条 (ledger shorter than a signed checkpoint: leaves deleted)")
        elif merkle.root(hashes[: cp.tree_size]) != cp.root:
            rep.failures.append(f"{label}: 重建的默克尔根与签名检查点不符 (rebuilt root differs from checkpoint {cp.tree_size}: ledger altered)")
        if prev is not None and cp.tree_size <= len(hashes):
            proof = merkle.consistency_proof(hashes[: cp.tree_size], prev.tree_size)
            if not merkle.verify_consistency(prev.tree_size, cp.tree_size, proof, prev.root, cp.root):
                rep.failures.append(
                    f"检查点 {prev.tree_size} → {cp.tree_size}: 一致性证明失败 (checkpoints not consistent: history rewritten)"
                )
        prev = cp
    if cps and cps[-1]["tree_size"] < len(hashes):
        rep.warnings.append(
            f"账本末尾 {len(hashes) - cps[-1]['tree_size']} 条尚未被签名检查点覆盖，下次写入时签署 "
            f"({len(hashes) - cps[-1]['tree_size']} leaves after the latest checkpoint)"
        )
    for path in external:
        _verify_external(archive, rep, keyring, hashes, path)


def _verify_external(archive, rep: VerifyReport, keyring: _Keyring, hashes: list[bytes], path: Path) -> None:
    try:
        cp = parse_note(path.read_text(encoding="utf-8"))
    except OSError as e:
        rep.failures.append(f"外部检查点 {path}: 无法读取 (cannot read): {e.strerror}")
        return
    except Exception as e:  # parse_note raises IntegrityError with a message
        rep.failures.append(f"外部检查点 {path}: {e}")
        return
    public = keyring.owner_key
    if not verify_checkpoint(cp, public):
        rep.failures.append(f"外部检查点 {path}: 不是本档案所有者签署的 (not signed by this archive's owner key)")
        return
    if cp.tree_size > len(hashes):
        rep.failures.append(
            f"外部检查点 {path} (大小 {cp.tree_size}): 账本现只有 {len(hashes)} 条 (ledger shorter than a checkpoint kept outside: history rewritten)"
        )
        return
    current = merkle.root(hashes)
    proof = merkle.consistency_proof(hashes, cp.tree_size)
    if not merkle.verify_consistency(cp.tree_size, len(hashes), proof, cp.root, current):
        rep.failures.append(
            f"外部检查点 {path} (大小 {cp.tree_size}): 与当前账本不一致，历史已被改写 (not consistent with the current ledger: history rewritten)"
        )


def _verify_inclusion(archive, rep: VerifyReport, record_id: str) -> None:
    """For one record: its leaf is in the tree of the latest checkpoint."""
    leaf = archive.ledger.leaf_for_record(record_id)
    if leaf is None:
        if archive.get_record_row(record_id)["origin"] == archive.owner_uscc:
            rep.failures.append(f"记录 {record_id}: 账本中没有该记录的条目 (no ledger leaf)")
        return
    cps = archive.ledger.checkpoints()
    if not cps or cps[-1]["tree_size"] <= leaf["idx"]:
        rep.warnings.append(f"记录 {record_id}: 尚未被签名检查点覆盖 (not yet covered by a signed checkpoint)")
        return
    cp = parse_note(cps[-1]["note"])
    keyring = _Keyring(archive)
    if not verify_checkpoint(cp, keyring.owner_key):
        rep.failures.append(f"检查点 {cp.tree_size}: 签名无效 (checkpoint signature does not verify)")
    hashes = [merkle.leaf_hash(leaf["entry"].encode()) for leaf in archive.ledger.leaves(upto=cp.tree_size)]
    if len(hashes) < cp.tree_size:
        rep.failures.append(f"检查点 {cp.tree_size}: 账本条目缺失 (ledger shorter than the checkpoint)")
        return
    proof = merkle.inclusion_proof(hashes, leaf["idx"])
    if not merkle.verify_inclusion(merkle.leaf_hash(leaf["entry"].encode()), leaf["idx"], cp.tree_size, proof, cp.root):
        rep.failures.append(f"记录 {record_id}: 包含证明失败，账本第 {leaf['idx']} 条不在签名的树中 (inclusion proof fails)")
    rep.leaves = cp.tree_size
    rep.checkpoints = len(cps)


def _verify_imported(archive, rep: VerifyReport, rows: list[dict], *, all_witnessed: bool) -> None:
    """Records imported from other archives, and the checkpoints this archive witnessed for them."""
    cached_key = lru_cache(maxsize=None)(lambda a, origin, fp: trusted_key(a, origin, fp))
    book = archive.catalog.packages
    owner_key = archive.public_key()
    witnessed = {(w["origin"], w["tree_size"]): w for w in book.witnessed()}
    events: dict[tuple[str, int], dict] = {}
    for leaf in archive.ledger.leaves(kind="checkpoint_witnessed"):
        try:
            e = json.loads(leaf["entry"])
        except ValueError:
            continue  # reported with the ledger
        events.setdefault((e.get("origin"), e.get("tree_size")), e)
    needed: set[tuple[str, int]] = set(witnessed) if all_witnessed else set()
    for r in rows:
        rid = r["id"]
        p = book.imported_proof(rid)
        if p is None:
            rep.failures.append(f"记录 {rid}: 来自 {r['origin']} 的记录没有导入时的包含证明 (imported record without inclusion proof)")
            continue
        if cached_key(archive, r["origin"], r["signer"] or "") is None:
            rep.failures.append(
                f"记录 {rid}: 签名公钥 {str(r['signer'])[:16]}… 不是本档案为 {r['origin']} 登记的公钥 (signer key not registered by this archive)"
            )
        if p["origin"] != r["origin"]:
            rep.failures.append(f"记录 {rid}: 包含证明属于另一单位 (inclusion proof belongs to another origin)")
        stmt_bytes = (r["seal"] or "").encode()
        try:
            leaf = json.loads(p["leaf_data"])
            stmt = json.loads(stmt_bytes)
            path = [bytes.fromhex(h) for h in json.loads(p["proof"])]
        except ValueError:
            rep.failures.append(f"记录 {rid}: 导入的包含证明无法解析 (imported proof unreadable)")
            continue
        if leaf.get("event") != "record_sealed" or leaf.get("record_id") != rid:
            rep.failures.append(f"记录 {rid}: 导入的账本条目不是本记录的封签事件 (imported leaf is not this record's)")
        if leaf.get("seal_sha256") != hashlib.sha256(stmt_bytes).hexdigest():
            rep.failures.append(f"记录 {rid}: 封签与来源单位账本条目不符 (seal differs from the origin's ledger leaf)")
        if r["signature"] is None or leaf.get("signature") != bytes(r["signature"]).hex():
            rep.failures.append(f"记录 {rid}: 签名与来源单位账本条目不符 (signature differs from the origin's ledger leaf)")
        if stmt.get("ledger_index") != p["leaf_index"]:
            rep.failures.append(f"记录 {rid}: 封签记载的账本序号与导入的证明不符 (ledger index differs from the imported proof)")
        key = (r["origin"], p["tree_size"])
        needed.add(key)
        w = witnessed.get(key)
        if w is None:
            rep.failures.append(f"记录 {rid}: 没有见证过 {r['origin']} 的第 {p['tree_size']} 号检查点 (witnessed checkpoint missing)")
            continue
        lh = merkle.leaf_hash(p["leaf_data"].encode())
        if not merkle.verify_inclusion(lh, p["leaf_index"], p["tree_size"], path, bytes(w["root"])):
            rep.failures.append(
                f"记录 {rid}: 包含证明不成立，不在 {r['origin']} 第 {p['tree_size']} 号检查点的树中 (imported inclusion proof fails)"
            )
    for key in sorted(needed):
        w = witnessed.get(key)
        if w is None:
            continue
        origin, size = key
        label = f"见证的检查点 {origin}/{size}"
        try:
            cp = parse_note(w["note"])
        except Exception as e:  # IntegrityError with a message
            rep.failures.append(f"{label}: {e}")
            continue
        if cp.origin != f"outsafe.archive/{origin}" or cp.tree_size != size or cp.root != bytes(w["root"]):
            rep.failures.append(f"{label}: 表中的列与签名文本不符 (columns differ from the signed note)")
        public = cached_key(archive, origin, w["signer"])
        if public is None:
            rep.failures.append(f"{label}: 签名公钥不是本档案为该单位登记的 (origin key not registered by this archive)")
        elif not verify_checkpoint(cp, public):
            rep.failures.append(f"{label}: 来源单位的签名无效 (origin signature does not verify)")
        if not keys.verify_signature(owner_key, bytes(w["cosignature"]), cp.body().encode()):
            rep.failures.append(f"{label}: 本档案的见证副署无效 (our cosignature does not verify)")
        e = events.get(key)
        if e is None:
            rep.failures.append(f"{label}: 本档案账本中没有对应的见证条目 (no checkpoint_witnessed leaf: row inserted behind the ledger)")
            continue
        if e.get("root") != bytes(w["root"]).hex() or e.get("cosignature") != bytes(w["cosignature"]).hex():
            rep.failures.append(f"{label}: 与账本中的见证条目不符 (differs from its checkpoint_witnessed leaf)")
        for c in e.get("consistency") or []:
            try:
                proof = [bytes.fromhex(h) for h in c["proof"]]
                old_size, old_root = int(c["old_size"]), bytes.fromhex(c["old_root"])
                new_size = int(c.get("new_size", size))
                new_root = bytes(witnessed[(origin, new_size)]["root"]) if new_size != size else bytes(w["root"])
            except (KeyError, ValueError, TypeError):
                rep.failures.append(f"{label}: 账本中的一致性证明无法解析 (recorded consistency proof unreadable)")
                continue
            other = witnessed.get((origin, old_size))
            if other is not None and bytes(other["root"]) != old_root:
                rep.failures.append(f"{label}: 一致性证明所用的旧根与见证的第 {old_size} 号检查点不符 (recorded old root differs)")
            if not merkle.verify_consistency(old_size, new_size, proof, old_root, new_root):
                rep.failures.append(f"{label}: 账本中记录的一致性证明不成立 (recorded consistency proof fails)")
