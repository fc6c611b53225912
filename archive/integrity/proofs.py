"""What the ledger shows a person: its size, root and latest checkpoint; a record's inclusion
proof; a consistency proof between two sizes (``outsafe ledger show | proof | consistency``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from archive.errors import NotFound, Problem, ValidationFailed
from archive.integrity import merkle


@dataclass
class LedgerState:
    tree_size: int
    root: str
    checkpoint: str | None  # the latest signed checkpoint's note
    checkpoints: int

    def as_dict(self) -> dict:
        return {"tree_size": self.tree_size, "root": self.root, "checkpoint": self.checkpoint, "checkpoints": self.checkpoints}

    def as_text(self) -> list[str]:
        out = [f"账本大小 (tree size): {self.tree_size}   根 (root): {self.root}", f"签名检查点 (signed checkpoints): {self.checkpoints}"]
        return out + ([self.checkpoint.rstrip()] if self.checkpoint else [])


def ledger_state(archive: Any) -> LedgerState:
    cp = archive.ledger.latest_checkpoint()
    return LedgerState(archive.ledger.size(), archive.ledger.root().hex(), cp["note"] if cp else None,
                       len(archive.ledger.checkpoints()))


@dataclass
class InclusionProof:
    proof: dict

    def as_dict(self) -> dict:
        return self.proof

    def as_text(self) -> list[str]:
        p = self.proof
        return ([f"记录 {p['record_id']}: 账本第 {p['leaf_index']} 条 / 共 {p['tree_size']} 条", f"leaf hash: {p['leaf_hash']}"]
                + [f"  path[{i}] {h}" for i, h in enumerate(p["proof"])] + [f"root: {p['root']}"])


def record_proof(archive: Any, record_id: str) -> InclusionProof:
    """The inclusion proof of a record (a unique id prefix will do) against the latest checkpoint."""
    return InclusionProof(archive.ledger.inclusion(archive.get_record_row(record_id)["id"]))


@dataclass
class ConsistencyProof:
    proof: dict

    def as_dict(self) -> dict:
        return self.proof

    def as_text(self) -> list[str]:
        p = self.proof
        return ([f"{p['old_size']} → {p['new_size']}", f"old root: {p['old_root']}\nnew root: {p['new_root']}"]
                + [f"  proof[{i}] {h}" for i, h in enumerate(p["proof"])])


def consistency_proof(archive: Any, old_size: int, new_size: int | None = None) -> ConsistencyProof:
    """The tree of ``old_size`` leaves is a prefix of the tree of ``new_size`` (default: now)."""
    size = archive.ledger.size()
    if old_size > size or (new_size or size) > size:
        raise NotFound(f"账本只有 {size} 条 (the ledger has {size} leaves)")
    if old_size < 1 or old_size > (new_size or size):
        raise ValidationFailed([Problem("old_size", f"旧的条数 {old_size} 应在 1 到新的条数 {new_size or size} 之间 "
                                                    f"(the old size must be between 1 and the new size)")],
                               "一致性证明的两个条数有误 (the two sizes of a consistency proof are wrong)")
    return ConsistencyProof(archive.ledger.consistency(old_size, new_size))


def record_inclusion(archive: Any, row: dict) -> dict | None:
    """Where a record's seal sits in a signed ledger, checked now: for a record this archive sealed,
    its leaf in the owner's ledger against the latest checkpoint; for an imported record, the
    inclusion proof kept at import against the origin's checkpoint this archive witnessed. None
    when no signed checkpoint covers it yet. ``verified`` says whether the proof holds."""
    if row["origin"] == archive.owner_uscc:
        try:
            p = archive.ledger.inclusion(row["id"])
        except NotFound:
            return None
        ok = merkle.verify_inclusion(bytes.fromhex(p["leaf_hash"]), p["leaf_index"], p["tree_size"],
                                     [bytes.fromhex(h) for h in p["proof"]], bytes.fromhex(p["root"]))
        return {"kind": "own", "origin": row["origin"], "leaf_index": p["leaf_index"], "tree_size": p["tree_size"],
                "root": p["root"], "leaf_hash": p["leaf_hash"], "proof": p["proof"], "checkpoint": p["checkpoint"], "verified": ok}
    p = archive.catalog.packages.imported_proof(row["id"])
    if p is None:
        return None
    w = archive.catalog.packages.get_witnessed(p["origin"], p["tree_size"])
    path = json.loads(p["proof"])
    leaf_hash = merkle.leaf_hash(p["leaf_data"].encode())
    ok = w is not None and merkle.verify_inclusion(leaf_hash, p["leaf_index"], p["tree_size"], [bytes.fromhex(h) for h in path],
                                                   bytes(w["root"]))
    return {"kind": "imported", "origin": p["origin"], "leaf_index": p["leaf_index"], "tree_size": p["tree_size"],
            "root": bytes(w["root"]).hex() if w else None, "leaf_hash": leaf_hash.hex(), "proof": path,
            "checkpoint": w["note"] if w else None, "witnessed_at": w["witnessed_at"] if w else None, "verified": ok}
