"""Small factories for rows shaped like the real ones (the suite's test data)."""

from __future__ import annotations

import json
from typing import Any


def rid(n: int) -> str:
    """A record id shaped like a ULID (26 characters of Crockford base32)."""
    return f"01JZ{n:022d}"


def record(n: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "id": rid(n),
        "type": "work_ticket",
        "subtype": "hot_work",
        "doc_no": f"DH-2026-{n:03d}",
        "title": f"动火安全作业票 DH-2026-{n:03d}",
        "enterprise": "91370100MA3C8K2P9L",
        "contractor": "91370100MA94A1B2C3",
        "project": "91370100MA3C8K2P9L/P-01",
        "doc_date": "2026-06-09",
        "data": json.dumps({"n": n, "name": "焊工 张三", "note": "A&B<测试>"}, ensure_ascii=False, separators=(",", ":")),
        "refs": "{}",
        "source_name": f"ticket-{n}.yaml",
        "origin": "91370100MA3C8K2P9L",
        "supersedes": None,
        "note": None,
        "created_at": f"2026-06-09T02:{n % 60:02d}:00Z",
        "seal": '{"statement":1}',
        "signature": bytes([n % 256]) * 64,
        "signer": "3f9a" * 16,
    }
    row.update(overrides)
    return row


def file(role: str = "pdf", name: str = "doc.pdf", sha256: str = "a" * 64, size: int = 10,
         media_type: str = "application/pdf") -> dict:
    return {"role": role, "name": name, "sha256": sha256, "size": size, "media_type": media_type}


def organization(n: int, uscc: str, *, origin: str = "91370100MA3C8K2P9L", **data: Any) -> dict[str, Any]:
    return record(n, type="organization", subtype=None, doc_no=uscc, title=f"单位 {uscc}", enterprise=None, contractor=uscc,
                  project=None, doc_date=None, origin=origin,
                  data=json.dumps({"uscc": uscc, "name": f"单位{n}", **data}, ensure_ascii=False))


def insert(catalog, *rows: dict, files=()) -> list[int]:
    seqs = []
    with catalog.transaction():
        for row in rows:
            seqs.append(catalog.insert_record(row, files))
    return seqs


def leaf(n: int, kind: str = "record_sealed", record_id: str | None = None) -> dict[str, Any]:
    entry = json.dumps({"event": kind, "n": n}, separators=(",", ":"))
    return {"kind": kind, "entry": entry, "leaf_hash": bytes([n % 256]) * 32, "created_at": f"2026-06-09T03:00:{n % 60:02d}Z",
            "record_id": record_id}


def append(catalog, *leaves: dict) -> list[int]:
    with catalog.transaction():
        return [catalog.ledger.append(x["kind"], x["entry"], x["leaf_hash"], x["created_at"], record_id=x["record_id"])
                for x in leaves]


def checkpoint(size: int) -> dict[str, Any]:
    return {"tree_size": size, "root": bytes([size % 256]) * 32, "note": f"outsafe.archive/X\n{size}\nroot\n\n— sig\n",
            "signature": b"\x01" * 64, "signer": "3f9a" * 16, "signed_at": f"2026-06-09T04:00:{size % 60:02d}Z"}


def witnessed(origin: str, size: int, **overrides: Any) -> dict[str, Any]:
    row = {"origin": origin, "tree_size": size, "root": bytes([size % 256]) * 32, "note": f"outsafe.archive/{origin}\n{size}\n",
           "signer": "ab" * 32, "cosignature": b"\x02" * 64, "package_digest": "d" * 64, "witnessed_at": "2026-06-10T01:00:00Z"}
    row.update(overrides)
    return row


def proof(record_id: str, origin: str = "91370100MA94A1B2C3", **overrides: Any) -> dict[str, Any]:
    row = {"record_id": record_id, "origin": origin, "leaf_index": 7, "leaf_data": '{"event":"record_sealed"}', "tree_size": 9,
           "proof": json.dumps(["00" * 32, "11" * 32])}
    row.update(overrides)
    return row


def package(digest: str, direction: str = "export", kind: str = "submission", created_at: str = "2026-06-10T01:00:00Z",
            **overrides: Any) -> dict[str, Any]:
    row = {"digest": digest, "direction": direction, "kind": kind, "origin": "91370100MA3C8K2P9L", "path": "/tmp/p.zip",
           "records": 3, "info": json.dumps({"since": "2026-06-01"}), "created_at": created_at}
    row.update(overrides)
    return row
