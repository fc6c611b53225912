"""The append-only event log: a Merkle tree (RFC 9162 hashing) with signed checkpoints.

Every event is a leaf: ``record_sealed``, ``record_superseded``, ``package_exported``,
``package_imported``, ``checkpoint_witnessed``, ``access_log_anchored`` (the access log's head:
archive.access.audit). A leaf's data is the canonical JSON of the event
(``entry``); its hash is ``SHA-256(0x00 || entry)``. A record and its leaf are inserted in the
same catalog transaction, so neither exists without the other.

After each write the owner signs a checkpoint in the C2SP ``tlog-checkpoint`` text format,
as a C2SP signed note::

    outsafe.archive/91370100MA3C8K2P9L
    42
    qJ3s…base64 root…=

    — outsafe.archive/91370100MA3C8K2P9L AbCd…base64(key id ‖ signature)…

The signature is Ed25519 over the note body (the three lines, each ending in a newline), so it
verifies with ``openssl pkeyutl -verify -rawin`` against the body and the raw 64-byte signature.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from archive.errors import IntegrityError, NotFound
from archive.integrity import canonical as jcs
from archive.integrity import merkle
from archive.integrity.keys import Signer, verify_signature
from storage.interfaces import LedgerStore

EVENTS = ("record_sealed", "record_superseded", "package_exported", "package_imported", "checkpoint_witnessed",
          "access_log_anchored")


def canonical(obj: Any) -> bytes:
    return jcs.dumps(obj)


def origin_for(uscc: str) -> str:
    return f"outsafe.archive/{uscc}"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root: bytes
    signature: bytes = b""
    key_name: str = ""
    key_id: bytes = b""

    def body(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root).decode()}\n"

    def note(self) -> str:
        """The signed note: body, blank line, one signature line."""
        sig = base64.b64encode(self.key_id + self.signature).decode()
        return f"{self.body()}\n\u2014 {self.key_name} {sig}\n"

    def as_dict(self) -> dict:
        return {
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root": self.root.hex(),
            "signature": self.signature.hex(),
            "note": self.note(),
        }


def key_id(name: str, public_raw: bytes) -> bytes:
    """C2SP signed-note key ID for Ed25519: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n\x01" + public_raw).digest()[:4]


def parse_note(text: str) -> Checkpoint:
    """Parse a checkpoint note (as written by :meth:`Checkpoint.note`)."""
    try:
        body, sigs = text.split("\n\n", 1)
        origin, size, root_b64 = body.split("\n")[:3]
        line = next(x for x in sigs.splitlines() if x.startswith("\u2014 "))
        _, name, blob = line.split(" ", 2)
        raw = base64.b64decode(blob.strip())
        return Checkpoint(origin, int(size), base64.b64decode(root_b64), raw[4:], name, raw[:4])
    except (ValueError, StopIteration) as e:
        raise IntegrityError([f"检查点格式错误 (malformed checkpoint): {e}"]) from e


def sign_checkpoint(signer: Signer, origin: str, tree_size: int, root: bytes) -> Checkpoint:
    cp = Checkpoint(origin, tree_size, root, key_name=origin, key_id=key_id(origin, signer.public_raw))
    sig = signer.sign(cp.body().encode())
    return Checkpoint(origin, tree_size, root, sig, origin, cp.key_id)


def verify_checkpoint(cp: Checkpoint, public) -> bool:
    return verify_signature(public, cp.signature, cp.body().encode())


class Ledger:
    """The owner's Merkle ledger over a :class:`storage.interfaces.LedgerStore` (which keeps the
    rows): events become canonical leaves here, checkpoints are signed here."""

    def __init__(self, store: LedgerStore) -> None:
        self.store = store

    # --- writing (the caller holds the catalog transaction) -----------------------------------

    def size(self) -> int:
        return self.store.size()

    def append(self, kind: str, entry: dict, created_at: str, record_id: str | None = None) -> int:
        """A leaf of ``kind`` holding ``entry`` and the time it is logged (``logged_at``: under the leaf
        hash, so that the ``created_at`` column beside it is a fact verify can prove)."""
        if kind not in EVENTS:
            raise ValueError(kind)
        data = canonical({"event": kind, "logged_at": created_at, **entry})
        return self.store.append(kind, data.decode(), merkle.leaf_hash(data), created_at, record_id=record_id)

    def next_index(self) -> int:
        return self.store.next_index()

    def store_checkpoint(self, cp: Checkpoint, signer_fp: str, signed_at: str) -> None:
        self.store.add_checkpoint({"tree_size": cp.tree_size, "root": cp.root, "note": cp.note(), "signature": cp.signature,
                                   "signer": signer_fp, "signed_at": signed_at})

    # --- reading ------------------------------------------------------------------------------

    def leaf_hashes(self, upto: int | None = None) -> list[bytes]:
        return self.store.leaf_hashes(upto)

    def leaves(self, kind: str | None = None, upto: int | None = None) -> list[dict]:
        return self.store.leaves(kind=kind, upto=upto)

    def root(self, size: int | None = None) -> bytes:
        return merkle.root(self.leaf_hashes(size))

    def latest_checkpoint(self) -> dict | None:
        return self.store.latest_checkpoint()

    def checkpoints(self) -> list[dict]:
        return self.store.checkpoints()

    def leaf_for_record(self, record_id: str, kind: str = "record_sealed") -> dict | None:
        return self.store.leaf_for_record(record_id, kind)

    def inclusion(self, record_id: str) -> dict:
        """Inclusion proof of a record's leaf against the latest checkpoint."""
        leaf = self.leaf_for_record(record_id)
        if leaf is None:
            raise NotFound(f"记录 {record_id} 没有账本条目 (no ledger leaf for this record)")
        cp = self.latest_checkpoint()
        if cp is None or cp["tree_size"] <= leaf["idx"]:
            raise NotFound("该记录尚未被签名检查点覆盖 (no signed checkpoint covers this record yet)")
        hashes = self.leaf_hashes(cp["tree_size"])
        proof = merkle.inclusion_proof(hashes, leaf["idx"])
        return {
            "record_id": record_id,
            "leaf_index": leaf["idx"],
            "leaf_data": leaf["entry"],
            "leaf_hash": bytes(leaf["leaf_hash"]).hex(),
            "tree_size": cp["tree_size"],
            "root": bytes(cp["root"]).hex(),
            "proof": [h.hex() for h in proof],
            "checkpoint": cp["note"],
        }

    def consistency(self, old_size: int, new_size: int | None = None) -> dict:
        new_size = new_size or self.size()
        hashes = self.leaf_hashes(new_size)
        proof = merkle.consistency_proof(hashes, old_size)
        return {
            "old_size": old_size,
            "new_size": new_size,
            "old_root": merkle.root(hashes[:old_size]).hex(),
            "new_root": merkle.root(hashes).hex(),
            "proof": [h.hex() for h in proof],
        }


def entry_of(leaf: dict) -> dict:
    return json.loads(leaf["entry"])
