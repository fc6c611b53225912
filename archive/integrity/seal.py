"""Seals: what exactly is signed for a record, and how a seal is checked.

A seal statement is the RFC 8785 canonical JSON of::

    {
      "outsafe_seal": 1,
      "record_id": "01J…", "type": "work_ticket", "subtype": "hot_work", "origin": "<owner USCC>",
      "data": { …the validated case data… },
      "refs_sha256": "<sha256 of the canonical snapshot of referenced organizations/projects/persons>",
      "files": [ {"role": "docx", "name": "…", "sha256": "…", "size": 123, "media_type": "…"}, … ],
      "template": {"id": "…", "version": "…", "sha256": "…"} | null,
      "supersedes": "<record id>" | null, "note": "<reason>" | null, "source_name": "case.yaml",
      "ledger_index": 17, "sealed_at": "2026-05-06T00:12:09Z", "signer": "<key fingerprint>"
    }

and the seal is an Ed25519 signature over those bytes by the archive owner's key. The statement is
stored byte for byte (``records.seal``), so anyone can check it with openssl alone::

    openssl pkeyutl -verify -pubin -inkey owner.pub.pem -rawin -in seal.json -sigfile seal.sig
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from archive.integrity import canonical as jcs
from archive.integrity.keys import Signer
from schemas import class_for
from schemas.columns import COLUMNS, record_columns

SEAL_VERSION = 1


def canonical(obj: Any) -> bytes:
    return jcs.dumps(obj)


def statement(row: dict, files: list[dict], template: dict | None, ledger_index: int, signer_fp: str) -> bytes:
    stmt = {
        "outsafe_seal": SEAL_VERSION,
        "record_id": row["id"],
        "type": row["type"],
        "subtype": row.get("subtype"),
        "origin": row["origin"],
        "data": json.loads(row["data"]),
        "refs_sha256": hashlib.sha256(row["refs"].encode()).hexdigest(),
        "files": sorted(
            ({k: f[k] for k in ("role", "name", "sha256", "size", "media_type")} for f in files),
            key=lambda f: (f["role"], f["name"]),
        ),
        "template": template,
        "supersedes": row.get("supersedes"),
        "note": row.get("note"),
        "source_name": row.get("source_name"),
        "ledger_index": ledger_index,
        "sealed_at": row["created_at"],
        "signer": signer_fp,
    }
    return canonical(stmt)


def seal(signer: Signer, stmt: bytes) -> bytes:
    return signer.sign(stmt)


def leaf_entry(record_id: str, stmt: bytes, signature: bytes, signer_fp: str) -> dict:
    """The ledger leaf of a sealed record binds the statement's hash and the signature itself."""
    return {
        "record_id": record_id,
        "seal_sha256": hashlib.sha256(stmt).hexdigest(),
        "signature": signature.hex(),
        "signer": signer_fp,
    }


def check_record(row: dict, files: list[dict], stmt: dict) -> list[str]:
    """Differences between a catalog row (+ its file rows) and its seal statement."""
    out = []
    if stmt.get("record_id") != row["id"]:
        out.append(f"封签属于另一条记录 {stmt.get('record_id')} (seal belongs to another record)")
    for key in ("type", "subtype", "origin", "supersedes", "note", "source_name"):
        if stmt.get(key) != row.get(key):
            out.append(f"字段 {key} 与封签不符 (catalog {key} differs from the seal): {row.get(key)!r} ≠ {stmt.get(key)!r}")
    if stmt.get("sealed_at") != row.get("created_at"):
        out.append(f"字段 created_at 与封签时间不符 (catalog created_at differs from the seal): {row.get('created_at')!r} ≠ {stmt.get('sealed_at')!r}")
    try:
        data = json.loads(row["data"])
    except (TypeError, ValueError):
        data = None
        out.append("目录中的记录数据无法解析，视图事实未核对 (record data unreadable: not JSON; its facts not compared)")
    if data != stmt.get("data"):
        diff = _first_diff(stmt.get("data"), data)
        out.append(f"记录数据与封签不符 (data altered since sealing){': ' + diff if diff else ''}")
    out.extend(column_differences(row, stmt))
    if hashlib.sha256((row.get("refs") or "").encode()).hexdigest() != stmt.get("refs_sha256"):
        out.append("引用快照与封签不符 (referenced-entity snapshot altered)")
    sealed = {(f["role"], f["name"]): f for f in stmt.get("files", [])}
    stored = {(f["role"], f["name"]): f for f in files}
    for key in sorted(sealed.keys() - stored.keys()):
        out.append(f"文件 {key[1]} ({key[0]}) 在封签中但目录中缺失 (file row deleted)")
    for key in sorted(stored.keys() - sealed.keys()):
        out.append(f"文件 {key[1]} ({key[0]}) 不在封签中 (file added after sealing)")
    for key in sorted(sealed.keys() & stored.keys()):
        a, b = sealed[key], stored[key]
        if a["sha256"] != b["sha256"] or a["size"] != b["size"] or a.get("media_type") != b.get("media_type"):
            out.append(f"文件 {key[1]} ({key[0]}) 的目录摘要与封签不符 (file entry altered)")
    return out


def column_differences(row: dict, stmt: dict) -> list[str]:
    """The catalog columns that listings, filters and exports read (number, title, parties,
    project, date), each re-derived from the sealed data and compared with the row."""
    cls, _ = class_for({"type": stmt.get("type"), "ticket_type": stmt.get("subtype")})
    data = stmt.get("data")
    if cls is None or not isinstance(data, dict):
        return [f"封签中的类型 {stmt.get('type')!r} 无法识别 (the seal names an unknown type)"]
    derived = record_columns(cls, data)
    return [
        f"字段 {col} 与封签数据不符 (catalog {col} differs from what the sealed data says): {row.get(col)!r} ≠ {derived[col]!r}"
        for col in COLUMNS
        if (row.get(col) or None) != (derived[col] or None)
    ]


def _first_diff(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _first_diff(a.get(k), b.get(k), f"{path}.{k}" if path else k)
        return ""
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_diff(x, y, f"{path}[{i}]")
        return f"{path} (length)"
    return path or "(whole)"
