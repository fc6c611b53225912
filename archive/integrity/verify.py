"""``outsafe verify``: is the archive exactly what was sealed?

Checks, and what each failure names:

1. every blob is re-hashed, streamed, several files at a time (record id, file, expected/actual;
   a file row whose digest is not a sha256 names no blob: named as an altered file entry);
2. every record's seal: the signature over the stored statement with the origin's key, and the
   catalog row and its file rows against the statement (record id, what differs; data that is
   not JSON is named as unreadable);
3. the ledger: leaf indexes contiguous, every leaf hash = SHA-256(0x00 ‖ entry), every sealed
   record has its leaf at the index its seal names, every leaf's record exists (leaf index); the
   ``created_at`` column of every leaf against the ``logged_at`` its entry holds under the hash
   (leaves written before that: a record's leaves against its sealing time); every row of
   ``packages`` (when a submission was made or received) against its package leaf. The registry
   (organizations, people, projects) derived again from the sealed records and
   compared row by row: every entry missing, added or naming another record; every correction
   of its record's type, a document's by its own unit and once;
4. the tree: rebuilt from the leaves and compared with every signed checkpoint (signature, size,
   root), consistency proofs between successive checkpoints, and consistency with checkpoints
   kept outside the archive (``--checkpoint FILE``), which catches history rewritten and
   re-signed by whoever holds the key;
5. records imported from another archive (``origin`` ≠ the owner; :mod:`archive.packages`): the
   seal with a key this archive registered itself for that origin, the inclusion proof kept at
   import (``imported_proofs``) against the origin's checkpoint this archive witnessed, and every
   witnessed checkpoint: the origin's signature, this archive's cosignature, its
   ``checkpoint_witnessed`` leaf in our own ledger (its time too: the day the records it proves
   were received, as an evidence list says) and the consistency proofs recorded there;
6. the access log (:mod:`archive.access.audit`): its hash chain, and its head against every
   ``access_log_anchored`` leaf of the ledger (entries after the last anchor are a warning);
7. the facts the views read (derived again from the sealed records and compared), and the views'
   kept results under cache/views (each file's MAC: one edited on disk is named).

Any failure: :class:`archive.errors.IntegrityError`, exit 3. A column holding a value of another
type than the schema's (SQLite keeps what is written) is named as a failure too; verification goes
on after each problem and reports them all.
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
from archive.errors import ExitCode, IntegrityError, KeyError_
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
from storage.errors import StorageError

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


_HEX = frozenset("0123456789abcdef")


def _is_digest(value: object) -> bool:
    """Whether a file row's ``sha256`` column can name a blob at all (64 lower-case hex digits)."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _measure(blobs, digest: str) -> tuple[str | None, int, str | None]:
    """(sha256, size, None) of what the blob store holds under ``digest`` now; (None, 0, None) if
    missing; (None, 0, why) if the store could not read it (reported, and the other blobs go on)."""
    try:
        found = blobs.measure(digest)
    except (StorageError, OSError) as e:
        return None, 0, str(e.strerror if isinstance(e, OSError) and e.strerror else e)
    return (found[0], found[1], None) if found else (None, 0, None)


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
    try:  # the archive's own keys are stored facts too: one gone or unreadable is a failed proof (exit 3)
        archive.public_key()
        _ = archive.secret
    except KeyError_ as e:
        raise IntegrityError([e.message], hint=e.hint) from None
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
    # a file row whose sha256 column is not a digest names no blob (the store would refuse the
    # name): reported with the blobs below, never measured
    unique = sorted({f["sha256"] for _, f in jobs if _is_digest(f["sha256"])})
    n_workers = workers or max(2, os.cpu_count() or 2)
    pool = ThreadPoolExecutor(max_workers=n_workers)
    futures = {d: pool.submit(_measure, archive.blobs, d) for d in unique}

    # 2. seals
    leaves_by_record: dict[str, dict] = {}
    for leaf in archive.ledger.leaves(kind="record_sealed"):
        leaves_by_record.setdefault(leaf["record_id"], leaf)
    owner = archive.owner_uscc
    sealed: dict[str, dict | None] = {}  # record id → its seal statement (None: none readable)
    for r in rows:
        rid = r["id"]
        sealed[rid] = None
        if not r["seal"] or r["signature"] is None:
            rep.failures.append(f"记录 {rid}: 没有封签 (record has no seal)")
            continue
        stmt_bytes = _utf8(r["seal"])
        signature = _raw(r["signature"])
        public = keyring.key_for(r["origin"], str(r["signer"]))
        if public is None:
            rep.failures.append(f"记录 {rid}: 签名者 {str(r['signer'])[:16]}… 不是已登记的公钥 (signer key not registered)")
        elif signature is None or not keys.verify_signature(public, signature, stmt_bytes):
            rep.failures.append(f"记录 {rid}: 签名无效 (signature does not verify)")
        try:
            stmt = json.loads(stmt_bytes)
        except ValueError:
            stmt = None
        if not isinstance(stmt, dict):
            rep.failures.append(f"记录 {rid}: 封签无法解析 (seal statement unreadable)")
            continue
        sealed[rid] = stmt
        try:
            diffs = check_record(r, files_by_record.get(rid, []), stmt)
        except (TypeError, ValueError, AttributeError, KeyError) as e:  # a column holds a value of another type
            diffs = [f"目录行或文件行的值类型被改动，无法与封签比较 (catalog row altered: a column holds a value of another type: {e})"]
        for diff in diffs:
            rep.failures.append(f"记录 {rid}: {diff}")
        if stmt.get("signer") != r["signer"]:
            rep.failures.append(f"记录 {rid}: 签名者与封签不符 (signer column altered)")
        if r["origin"] == owner:
            leaf = leaves_by_record.get(rid)
            if leaf is None:
                rep.failures.append(f"记录 {rid}: 账本中没有该记录的条目 (no ledger leaf: leaf deleted or record inserted behind the ledger)")
            else:
                try:
                    entry = entry_of(leaf)
                except (TypeError, ValueError):
                    entry = None
                if not isinstance(entry, dict):
                    entry = {}  # reported with the ledger
                if entry.get("seal_sha256") != hashlib.sha256(stmt_bytes).hexdigest():
                    rep.failures.append(f"记录 {rid}: 账本条目 {leaf['idx']} 的封签摘要不符 (leaf {leaf['idx']} does not match the seal)")
                if signature is None or entry.get("signature") != signature.hex():
                    rep.failures.append(f"记录 {rid}: 账本条目 {leaf['idx']} 记载的签名与目录不同 (signature replaced since sealing)")
                if stmt.get("ledger_index") != leaf["idx"]:
                    rep.failures.append(
                        f"记录 {rid}: 封签时位于账本第 {stmt.get('ledger_index')} 条，现位于第 {leaf['idx']} 条 (ledger leaves moved)"
                    )

    imported = [r for r in rows if r["origin"] != owner]
    if imported or record_id is None:
        _verify_imported(archive, rep, imported, all_witnessed=record_id is None)
    if record_id is None:
        _verify_ledger(archive, rep, keyring, external, sealed_at={
            r["id"]: (sealed[r["id"]] or {}).get("sealed_at") or r["created_at"] for r in rows})
        _verify_registry(archive, rep, rows, sealed)
        _verify_corrections(rep, rows)
        # the facts the views read (a cache, but one a view trusts: an altered fact could leave a record out);
        # a record whose data is not JSON has no facts to derive (named above) and is passed over
        facts = [] if stale_version(catalog) else facts_differences(archive, rows)
        if stale_version(catalog):
            rep.warnings.append("视图事实由另一版本生成，下次查看时重建 (facts of another derivation version: rebuilt by the next view)")
        rep.failures.extend(facts[:50] + ([f"… 另有 {len(facts) - 50} 条视图事实不符 (more facts differ)"] if len(facts) > 50 else []))
        if facts:
            rep.failures.append("视图事实可由已封存记录重建 (the facts are rebuilt from the sealed records): outsafe facts rebuild")
        try:
            failures, warnings, rep.access_log = verify_log(archive)
        except (TypeError, ValueError, AttributeError) as e:  # a column of the log holds a value of another type
            failures, warnings = [f"访问日志无法核验：某条目的值类型被改动 (access log altered: an entry holds a value of another type: {e})"], []
        rep.failures.extend(failures)
        rep.warnings.extend(warnings)
        _verify_kept(archive, rep)
    else:
        _verify_inclusion(archive, rep, rows[0]["id"])

    results: dict[str, tuple[str | None, int, str | None]] = {}
    try:
        for i, (digest, fut) in enumerate(futures.items(), 1):
            results[digest] = fut.result()
            if progress:
                progress("hash", i, len(futures))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    rep.files = len(jobs)
    rep.bytes = sum(n for _, n, _ in results.values())
    blob_failures = []
    for rid, f in jobs:
        if not _is_digest(f["sha256"]):
            blob_failures.append(
                f"记录 {rid}: 文件 {f['name']} ({f['role']}) 的目录条目已被改动，摘要列不是 sha256 "
                f"(file entry altered: its sha256 column holds {str(f['sha256'])[:70]!r}, not a digest)"
            )
            continue
        actual, _, error = results[f["sha256"]]
        if error is not None:
            blob_failures.append(f"记录 {rid}: 文件 {f['name']} ({f['role']}) 无法读取 (blob unreadable: {f['sha256'][:12]}…: {error})")
        elif actual is None:
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


def _raw(value: object) -> bytes | None:
    """A BLOB column's bytes; None when the column holds something else (text or a number written
    over it: the check it feeds reports the mismatch)."""
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None


def _utf8(value: object) -> bytes:
    """A TEXT column's bytes, whatever was written over it (hashed and compared, never trusted)."""
    if isinstance(value, str):
        return value.encode()
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else str(value).encode()


def _trusted(archive, origin: str, fp: str):
    """:func:`trusted_key`, or None when this archive's own organization records of ``origin`` can
    no longer be read (altered data: named by the seal check; the records it signed are named too)."""
    try:
        return trusted_key(archive, origin, fp)
    except (ValueError, TypeError, AttributeError):
        return None


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
            try:
                reg = self.archive.registry().organization(origin)
                pem = getattr(reg, "public_key", None) if reg else None
                self._cache[origin] = keys.load_public_pem(pem) if pem else None
            except Exception:  # noqa: BLE001 - the organization's record no longer loads (altered: named by its seal check)
                self._cache[origin] = None
        key = self._cache[origin]
        if key is not None and keys.fingerprint(key) == signer_fp:
            return key
        # an earlier key of the origin, registered by this archive (records sealed before a key change)
        return _trusted(self.archive, origin, signer_fp)


@dataclass
class _Entry:
    """The registry entry a sealed record makes (what the app or the importer wrote for it)."""

    record_id: str
    origin: str
    sealed_at: str
    name: str


def _expected_registry(archive, rows: list[dict], sealed: dict[str, dict | None]) -> tuple[dict[tuple[str, str], _Entry], set[str]]:
    """The registry as the sealed records make it: every organization, person and project record
    in the order it was stored, by the rules of the writers — a record sealed by this archive
    always becomes its entry (``Archive._store``); an imported one unless this archive registered
    the organization itself, or the entry's record is as new (``importer._registry_should_update``).
    Also the records whose entry cannot be derived (their seal and data unreadable: named already)."""
    owner = archive.owner_uscc
    expected: dict[tuple[str, str], _Entry] = {}
    unknown: set[str] = set()
    keys: dict[str, str] = {}  # record id → its registry key
    for r in sorted(rows, key=lambda r: r["seq"]):
        stmt = sealed.get(r["id"])
        if stmt is not None and isinstance(stmt.get("data"), dict):
            kind, data, origin, at = stmt.get("type"), stmt["data"], stmt.get("origin"), stmt.get("sealed_at")
        else:
            try:
                data = json.loads(r["data"])
            except (TypeError, ValueError):
                data = None
            kind, origin, at = r["type"], r["origin"], r["created_at"]
        if kind not in REGISTRY_TYPES and r["type"] not in REGISTRY_TYPES:
            continue
        try:
            key = registry_key(archive.secret, kind, data)  # type: ignore[arg-type]
        except (ValueError, KeyError, TypeError, AttributeError):
            unknown.add(r["id"])
            continue
        entry = _Entry(r["id"], str(origin), str(at or ""), registry_name(data, key))  # type: ignore[arg-type]
        keys[r["id"]] = key
        current = expected.get((kind, key))
        if (current is None or origin == owner
                or (not (current.origin == owner and kind == "organization") and entry.sealed_at > current.sealed_at)):
            expected[(kind, key)] = entry
        corrected = r.get("supersedes")
        old_key = keys.get(corrected) if isinstance(corrected, str) else None
        if old_key is not None and old_key != key and (old := expected.get((kind, old_key))) is not None and old.record_id == corrected:
            del expected[(kind, old_key)]  # a correction that moved the entity to another key (archive.registry.drop_moved_entry)
    return expected, unknown


def _verify_registry(archive, rep: VerifyReport, rows: list[dict], sealed: dict[str, dict | None]) -> None:
    """The registry (the lookup of organizations, people and projects the lists read) against the
    one the sealed records make (:func:`_expected_registry`): every entry there, none more, each
    naming the current record. And every row against the record it names: that record exists, is
    of its kind and current, and its sealed data gives the row's key and name. A row deleted takes
    an entity out of every list; a row pointed at another record, or renamed, moves a record between
    lists."""
    catalog = archive.catalog
    expected, unknown = _expected_registry(archive, rows, sealed)
    seen: set[tuple[str, str]] = set()
    for kind in REGISTRY_TYPES:
        for reg in catalog.list_registry(kind):
            where = f"登记表 {kind}/{reg['key'][:20]}"
            seen.add((kind, reg["key"]))
            before = len(rep.failures)
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
            later = catalog.superseded_by(row["id"])
            if later is not None:
                rep.failures.append(f"{where}: 记录 {row['id']} 已被 {later} 更正，登记表仍指向旧版本 (registry row names a superseded record)")
            if reg["name"] != registry_name(data, key):
                rep.failures.append(f"{where}: 名称 {reg['name']!r} 与记录 {row['id']} 不符 (registry name altered)")
            if len(rep.failures) > before or row["id"] in unknown:
                continue  # named above (or its record's entry cannot be derived: named by its seal check)
            want = expected.get((kind, reg["key"]))
            if want is None:
                rep.failures.append(f"{where}: 没有哪条已封存记录产生这个登记项 (registry row not made by any sealed record: row inserted)")
            elif want.record_id != row["id"]:
                rep.failures.append(
                    f"{where}: 指向记录 {row['id']}，现行记录应为 {want.record_id}（{want.name}）"
                    f" (registry row names {row['id']}, the current record is {want.record_id})"
                )
    for (kind, key), want in expected.items():
        if (kind, key) not in seen:
            rep.failures.append(
                f"登记表 {kind}/{key[:20]}: 缺少记录 {want.record_id}（{want.name}）的登记项，该记录不会出现在列表中"
                f" (registry row missing: record {want.record_id} is current but not registered; row deleted)"
            )


def _verify_ledger(archive, rep: VerifyReport, keyring: _Keyring, external: Sequence[Path], *,
                   sealed_at: dict[str, str] | None = None) -> None:
    """``sealed_at``: when each record was sealed; the ``created_at`` of its ``record_sealed`` leaf
    (and of the ``record_superseded`` leaf its sealing wrote) must say the same — the leaf hash
    covers the entry, not that column."""
    sealed_at = sealed_at or {}
    leaves = archive.ledger.leaves()
    rep.leaves = len(leaves)
    record_ids = archive.catalog.record_ids()
    expected = 0
    for leaf in leaves:
        if leaf["idx"] != expected:
            rep.failures.append(f"账本第 {expected} 条起缺失至第 {leaf['idx'] - 1} 条 (ledger leaves {expected}–{leaf['idx'] - 1} missing)")
            expected = leaf["idx"]
        expected += 1
        if merkle.leaf_hash(_utf8(leaf["entry"])) != _raw(leaf["leaf_hash"]):
            rep.failures.append(f"账本第 {leaf['idx']} 条: 条目哈希不符 (leaf {leaf['idx']}: hash does not match its entry)")
        try:
            entry = json.loads(_utf8(leaf["entry"]))
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            rep.failures.append(f"账本第 {leaf['idx']} 条: 无法解析 (leaf {leaf['idx']} unreadable)")
            continue
        if entry.get("event") != leaf["kind"]:
            rep.failures.append(f"账本第 {leaf['idx']} 条: 事件类型被改动 (leaf {leaf['idx']}: kind altered)")
        rid = entry.get("record_id")
        if leaf["kind"] in ("record_sealed", "record_superseded") and rid not in record_ids:
            rep.failures.append(f"账本第 {leaf['idx']} 条: 记录 {rid} 已从目录中删除 (leaf {leaf['idx']}: record {rid} deleted)")
        if leaf["kind"] == "record_sealed" and rid != leaf["record_id"]:
            rep.failures.append(f"账本第 {leaf['idx']} 条: 记录编号列被改动 (leaf {leaf['idx']}: record column altered)")
        sealer = rid if leaf["kind"] == "record_sealed" else entry.get("superseded_by") if leaf["kind"] == "record_superseded" else None
        logged = entry.get("logged_at")
        if logged is not None and logged != leaf["created_at"]:
            of = f"（记录 {sealer}）" if isinstance(sealer, str) else ""
            rep.failures.append(
                f"账本第 {leaf['idx']} 条{of}: 时间列 {leaf['created_at']} 与条目记载的 {logged} 不符 (leaf {leaf['idx']}: created_at altered)"
            )
        if logged is None and isinstance(sealer, str) and sealer in sealed_at and leaf["created_at"] != sealed_at[sealer]:
            rep.failures.append(
                f"账本第 {leaf['idx']} 条: 时间 {leaf['created_at']} 与记录 {sealer} 的封签时间 {sealed_at[sealer]} 不符 "
                f"(leaf {leaf['idx']}: created_at altered)"
            )
        if leaf["kind"] == "package_imported":
            gone = sorted(set(entry.get("records") or ()) - record_ids)
            if gone:
                rep.failures.append(f"账本第 {leaf['idx']} 条: 导入的记录 {', '.join(gone[:5])} 已从目录中删除 (imported records deleted)")

    _verify_packages(archive, rep, leaves)
    hashes = [merkle.leaf_hash(_utf8(lf["entry"])) for lf in leaves]
    cps = archive.ledger.checkpoints()
    rep.checkpoints = len(cps)
    if not cps and leaves:
        rep.failures.append("账本没有任何签名检查点 (no signed checkpoint)")
    prev: Checkpoint | None = None
    for row in cps:
        try:
            cp = parse_note(row["note"])
        except (IntegrityError, TypeError, AttributeError):
            cp = None
        if cp is None or cp.tree_size < 1:
            rep.failures.append(f"检查点 {row['tree_size']}: 签名文本无法解析 (checkpoint {row['tree_size']}: signed note unreadable)")
            continue
        label = f"检查点 {cp.tree_size}"
        public = keyring.key_for(archive.owner_uscc, row["signer"])
        if public is None or not verify_checkpoint(cp, public):
            rep.failures.append(f"{label}: 签名无效 (checkpoint {cp.tree_size}: signature does not verify)")
        if cp.tree_size != row["tree_size"] or cp.root != _raw(row["root"]) or cp.signature != _raw(row["signature"]):
            rep.failures.append(f"{label}: 表中的大小、根或签名与签名文本不符 (checkpoint {cp.tree_size}: columns differ from the signed note)")
        if cp.tree_size > len(hashes):
            rep.failures.append(f"{label}: 账本只剩 {len(hashes)} 条，少于检查点的 {cp.tree_size} 条 (ledger shorter than a signed checkpoint: leaves deleted)")
        elif merkle.root(hashes[: cp.tree_size]) != cp.root:
            rep.failures.append(f"{label}: 重建的默克尔根与签名检查点不符 (rebuilt root differs from checkpoint {cp.tree_size}: ledger altered)")
        if prev is not None and cp.tree_size <= len(hashes):
            try:
                proof = merkle.consistency_proof(hashes[: cp.tree_size], prev.tree_size)
            except ValueError:  # the earlier checkpoint is the larger: the size column was altered (named above)
                proof = None
            if proof is None or not merkle.verify_consistency(prev.tree_size, cp.tree_size, proof, prev.root, cp.root):
                rep.failures.append(
                    f"检查点 {prev.tree_size} → {cp.tree_size}: 一致性证明失败 (checkpoints not consistent: history rewritten)"
                )
        prev = cp
    if cps and isinstance(cps[-1]["tree_size"], int) and cps[-1]["tree_size"] < len(hashes):
        rep.warnings.append(
            f"账本末尾 {len(hashes) - cps[-1]['tree_size']} 条尚未被签名检查点覆盖，下次写入时签署 "
            f"({len(hashes) - cps[-1]['tree_size']} leaves after the latest checkpoint)"
        )
    for path in external:
        _verify_external(archive, rep, keyring, hashes, path)


def _verify_corrections(rep: VerifyReport, rows: list[dict]) -> None:
    """Each correction names a record of its own type; a document (not an organization, person or
    project) is corrected only by the unit that sealed it, and once — what ``case supersede`` and
    ``package import`` allow. An archive that took such a correction before they refused it (a
    package marking the bureau's order corrected, hiding it from every listing) is named here."""
    by_id = {r["id"]: r for r in rows}
    by_old: dict[str, list[str]] = {}
    for r in rows:
        old = by_id.get(r["supersedes"]) if r["supersedes"] else None
        if old is None:
            continue  # none, or not in the catalog (named with the ledger)
        label = f"记录 {r['id']} 更正记录 {old['id']}"
        if old["type"] != r["type"]:
            rep.failures.append(f"{label}，类型不同（{old['type']} → {r['type']}） (a correction of another type)")
        elif r["type"] not in REGISTRY_TYPES:
            if old["origin"] != r["origin"]:
                rep.failures.append(f"{label}，而原记录来自 {old['origin']}、更正来自 {r['origin']}：只有原记录的单位可以更正它"
                                    " (a document corrected by another unit)")
            by_old.setdefault(old["id"], []).append(r["id"])
    for old_id, later in sorted(by_old.items()):
        if len(later) > 1:
            rep.failures.append(f"记录 {old_id} 被更正了 {len(later)} 次（{'、'.join(sorted(later))}）：一份文书只能有一个更正版本 (a document corrected twice)")


def _verify_packages(archive, rep: VerifyReport, leaves: list[dict]) -> None:
    """Every package this archive exported or imported is logged twice in one transaction: a row of
    ``packages`` (what the campaign's calendar reads: when a submission was made or received) and a
    ``package_exported`` / ``package_imported`` leaf. Each row must have its leaf, of the same time,
    and each leaf its row."""
    logged: dict[tuple[str, str], dict] = {}
    entries: dict[int, dict] = {}
    for leaf in leaves:
        direction = {"package_exported": "export", "package_imported": "import"}.get(leaf["kind"])
        try:
            entry = entry_of(leaf) if direction else None
        except (TypeError, ValueError):
            entry = None  # reported with the ledger
        if isinstance(entry, dict) and isinstance(entry.get("tagmanifest_sha256"), str):
            logged.setdefault((direction, entry["tagmanifest_sha256"]), leaf)
            entries[leaf["idx"]] = entry
    seen: set[tuple[str, str]] = set()
    for row in archive.catalog.packages.packages():
        key = (row["direction"], row["digest"])
        seen.add(key)
        leaf = logged.get(key)
        label = f"包记录 {str(row['digest'])[:12]}… ({row['direction']})"
        if leaf is None:
            rep.failures.append(f"{label}: 账本中没有对应条目 (package row without its ledger leaf: inserted or altered behind the ledger)")
            continue
        if row["created_at"] != leaf["created_at"]:
            rep.failures.append(
                f"{label}: 时间 {row['created_at']} 与账本第 {leaf['idx']} 条的 {leaf['created_at']} 不符 (package row: created_at altered)"
            )
        try:
            info = json.loads(row["info"] or "{}")
        except (TypeError, ValueError):
            info = None
        entry = entries[leaf["idx"]]
        period = ("since", "until") if row["direction"] == "export" else ()
        if not isinstance(info, dict) or any(info.get(k) != entry.get(k) for k in period):
            rep.failures.append(
                f"{label}: 说明列（报送期间等）与账本第 {leaf['idx']} 条不符 (package row: info altered)"
            )
    for key, leaf in sorted(logged.items(), key=lambda kv: kv[1]["idx"]):
        if key not in seen:
            rep.failures.append(
                f"账本第 {leaf['idx']} 条: 包 {key[1][:12]}… ({key[0]}) 的记录已从包目录中删除 (package row deleted)"
            )


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
    hashes = [merkle.leaf_hash(_utf8(lf["entry"])) for lf in archive.ledger.leaves(upto=cp.tree_size)]
    if len(hashes) < cp.tree_size:
        rep.failures.append(f"检查点 {cp.tree_size}: 账本条目缺失 (ledger shorter than the checkpoint)")
        return
    proof = merkle.inclusion_proof(hashes, leaf["idx"])
    if not merkle.verify_inclusion(merkle.leaf_hash(_utf8(leaf["entry"])), leaf["idx"], cp.tree_size, proof, cp.root):
        rep.failures.append(f"记录 {record_id}: 包含证明失败，账本第 {leaf['idx']} 条不在签名的树中 (inclusion proof fails)")
    rep.leaves = cp.tree_size
    rep.checkpoints = len(cps)


def _verify_imported(archive, rep: VerifyReport, rows: list[dict], *, all_witnessed: bool) -> None:
    """Records imported from other archives, and the checkpoints this archive witnessed for them."""
    cached_key = lru_cache(maxsize=None)(lambda a, origin, fp: _trusted(a, origin, fp))
    book = archive.catalog.packages
    owner_key = archive.public_key()
    witnessed = {(w["origin"], w["tree_size"]): w for w in book.witnessed()}
    events: dict[tuple[str, int], dict] = {}
    witnessed_leaf_at: dict[tuple[str, int], object] = {}
    for leaf in archive.ledger.leaves(kind="checkpoint_witnessed"):
        try:
            e = json.loads(_utf8(leaf["entry"]))
        except ValueError:
            continue  # reported with the ledger
        if not isinstance(e, dict):
            continue
        events.setdefault((e.get("origin"), e.get("tree_size")), e)
        witnessed_leaf_at.setdefault((e.get("origin"), e.get("tree_size")), leaf["created_at"])
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
        stmt_bytes = _utf8(r["seal"] or "")
        try:
            leaf = json.loads(p["leaf_data"])
            stmt = json.loads(stmt_bytes)
            path = [bytes.fromhex(h) for h in json.loads(p["proof"])]
            if not (isinstance(leaf, dict) and isinstance(stmt, dict) and isinstance(p["leaf_index"], int) and isinstance(p["tree_size"], int)):
                raise ValueError("not a proof")
        except (ValueError, TypeError):
            rep.failures.append(f"记录 {rid}: 导入的包含证明无法解析 (imported proof unreadable)")
            continue
        if leaf.get("event") != "record_sealed" or leaf.get("record_id") != rid:
            rep.failures.append(f"记录 {rid}: 导入的账本条目不是本记录的封签事件 (imported leaf is not this record's)")
        if leaf.get("seal_sha256") != hashlib.sha256(stmt_bytes).hexdigest():
            rep.failures.append(f"记录 {rid}: 封签与来源单位账本条目不符 (seal differs from the origin's ledger leaf)")
        if _raw(r["signature"]) is None or leaf.get("signature") != _raw(r["signature"]).hex():
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
        if not merkle.verify_inclusion(lh, p["leaf_index"], p["tree_size"], path, _raw(w["root"]) or b""):
            rep.failures.append(
                f"记录 {rid}: 包含证明不成立，不在 {r['origin']} 第 {p['tree_size']} 号检查点的树中 (imported inclusion proof fails)"
            )
    for key in sorted(needed, key=repr):
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
        if cp.origin != f"outsafe.archive/{origin}" or cp.tree_size != size or cp.root != _raw(w["root"]):
            rep.failures.append(f"{label}: 表中的列与签名文本不符 (columns differ from the signed note)")
        public = cached_key(archive, origin, w["signer"])
        if public is None:
            rep.failures.append(f"{label}: 签名公钥不是本档案为该单位登记的 (origin key not registered by this archive)")
        elif not verify_checkpoint(cp, public):
            rep.failures.append(f"{label}: 来源单位的签名无效 (origin signature does not verify)")
        if _raw(w["cosignature"]) is None or not keys.verify_signature(owner_key, _raw(w["cosignature"]), cp.body().encode()):
            rep.failures.append(f"{label}: 本档案的见证副署无效 (our cosignature does not verify)")
        e = events.get(key)
        if e is None:
            rep.failures.append(f"{label}: 本档案账本中没有对应的见证条目 (no checkpoint_witnessed leaf: row inserted behind the ledger)")
            continue
        if (e.get("root") != (_raw(w["root"]) or b"").hex() or e.get("cosignature") != (_raw(w["cosignature"]) or b"").hex()
                or e.get("package") != w["package_digest"]):
            rep.failures.append(f"{label}: 与账本中的见证条目不符 (differs from its checkpoint_witnessed leaf)")
        if w["witnessed_at"] != witnessed_leaf_at.get(key):  # the day an imported record was received, as evidence lists say
            rep.failures.append(
                f"{label}: 见证时间 {w['witnessed_at']} 与账本中见证条目的 {witnessed_leaf_at.get(key)} 不符 (witnessed_at altered)"
            )
        for c in e.get("consistency") or []:
            try:
                proof = [bytes.fromhex(h) for h in c["proof"]]
                old_size, old_root = int(c["old_size"]), bytes.fromhex(c["old_root"])
                new_size = int(c.get("new_size", size))
                new_root = _raw(witnessed[(origin, new_size)]["root"]) if new_size != size else _raw(w["root"])
                if new_root is None:
                    raise ValueError("root")
            except (KeyError, ValueError, TypeError):
                rep.failures.append(f"{label}: 账本中的一致性证明无法解析 (recorded consistency proof unreadable)")
                continue
            other = witnessed.get((origin, old_size))
            if other is not None and _raw(other["root"]) != old_root:
                rep.failures.append(f"{label}: 一致性证明所用的旧根与见证的第 {old_size} 号检查点不符 (recorded old root differs)")
            if not merkle.verify_consistency(old_size, new_size, proof, old_root, new_root):
                rep.failures.append(f"{label}: 账本中记录的一致性证明不成立 (recorded consistency proof fails)")
