"""verify_proofs.py — 核验 outsafe 包中的默克尔包含证明、封签与文件摘要（只用 Python 3 标准库）.

Usage (in the bag root, or give the bag folder):

    python3 verify_proofs.py [BAG]

For every record in ``data/records/<origin>/<id>/`` it checks, without outsafe and without any
third-party package:

* the inclusion proof (``proof.json``) places the record's ledger leaf under the root of the signed
  checkpoint it names (RFC 9162 §2.1.3.2), and the leaf hash is SHA-256(0x00 ‖ leaf data);
* the leaf binds this seal: ``seal_sha256`` = SHA-256(seal.json), ``signature`` = seal.sig, the
  signer and the ledger index named in the seal;
* ``record.json`` says what the seal says (id, type, origin, supersedes, data, the referenced-entity
  snapshot by its SHA-256), and every file the seal lists is present with that SHA-256 and size,
  and no other file is there;
* every checkpoint's ``checkpoint.body`` / ``checkpoint.sig`` are exactly the signed note's body and
  signature (so the openssl command in 核验说明.txt checks the note itself), its key file is the
  organization's, and the ledger's leaf hashes, where shipped, rebuild the checkpoint's root.

Ed25519 signatures are checked with openssl (核验说明.txt); this script checks everything else.
Exit status 0 when everything holds, 1 otherwise, with one line per problem.

This file is generated: the Merkle functions above ``# --- verifier`` are outsafe's
``archive/merkle.py``, copied verbatim so that the package stays self-contained.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import unicodedata

from archive.integrity.merkle import leaf_hash, root, verify_inclusion  # SHIPPED: replaced by archive/integrity/merkle.py

# --- verifier -------------------------------------------------------------------------------------

ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
ORIGIN_PREFIX = "outsafe.archive/"


def sha256_file(path: str) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def key_fingerprint(pem_path: str) -> str:
    """SHA-256 of the 32 raw bytes of an Ed25519 public key in PEM (SubjectPublicKeyInfo)."""
    with open(pem_path, "rb") as fh:
        text = fh.read().decode("ascii")
    body = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
    der = base64.b64decode(body)
    if len(der) != 44 or not der.startswith(ED25519_SPKI_PREFIX):
        raise ValueError("not an Ed25519 public key")
    return hashlib.sha256(der[12:]).hexdigest()


def parse_note(text: str) -> dict:
    """A C2SP checkpoint note: origin, size, root, and the first signature line's bytes."""
    body, sigs = text.split("\n\n", 1)
    lines = body.split("\n")
    if len(lines) < 3:
        raise ValueError("checkpoint body has fewer than three lines")
    origin, size, root_b64 = lines[:3]
    line = next(x for x in sigs.splitlines() if x.startswith("\u2014 "))
    _, name, blob = line.split(" ", 2)
    raw = base64.b64decode(blob.strip())
    return {
        "origin": origin,
        "tree_size": int(size),
        "root": base64.b64decode(root_b64),
        "body": (body + "\n").encode("utf-8"),
        "key_name": name,
        "signature": raw[4:],
    }


def _rel(root_dir: str, path: str) -> str:
    return os.path.relpath(path, root_dir).replace(os.sep, "/")


class Checker:
    def __init__(self, bag: str) -> None:
        self.bag = os.path.abspath(bag)
        self.failures: list[str] = []
        self.checkpoints: dict[str, dict] = {}  # relative path of checkpoint.txt -> parsed note
        self.fingerprints: dict[str, str] = {}  # origin USCC -> key fingerprint
        self.records = 0

    def fail(self, msg: str) -> None:
        self.failures.append(msg)

    def file_digest(self, path: str) -> tuple[str, int]:
        return sha256_file(path)

    def path(self, rel: str) -> str:
        if rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in rel.split("/")):
            raise ValueError(f"unsafe path {rel!r}")
        return os.path.join(self.bag, *rel.split("/"))

    # -- keys and checkpoints --

    def check_keys(self) -> None:
        folder = os.path.join(self.bag, "data", "keys")
        if not os.path.isdir(folder):
            self.fail("缺少 data/keys 目录 (no public keys in the package)")
            return
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".pub.pem"):
                continue
            try:
                self.fingerprints[name[: -len(".pub.pem")]] = key_fingerprint(os.path.join(folder, name))
            except (OSError, ValueError) as e:
                self.fail(f"data/keys/{name}: 公钥无法读取 (unreadable public key: {e})")

    def check_checkpoints(self) -> None:
        base = os.path.join(self.bag, "data", "checkpoints")
        if not os.path.isdir(base):
            self.fail("缺少 data/checkpoints 目录 (no checkpoint in the package)")
            return
        for origin in self.folders(base):
            for size in sorted(os.listdir(os.path.join(base, origin))):
                folder = os.path.join(base, origin, size)
                rel = _rel(self.bag, os.path.join(folder, "checkpoint.txt"))
                try:
                    with open(os.path.join(folder, "checkpoint.txt"), encoding="utf-8") as fh:
                        note = parse_note(fh.read())
                except (OSError, ValueError, StopIteration) as e:
                    self.fail(f"{rel}: 检查点无法读取 (unreadable checkpoint: {e})")
                    continue
                if note["origin"] != ORIGIN_PREFIX + origin or str(note["tree_size"]) != size:
                    self.fail(f"{rel}: 检查点的来源或大小与目录名不符 (checkpoint origin/size differ from its folder)")
                for name, want in (("checkpoint.body", note["body"]), ("checkpoint.sig", note["signature"])):
                    try:
                        with open(os.path.join(folder, name), "rb") as fh:
                            got = fh.read()
                    except OSError:
                        self.fail(f"{_rel(self.bag, folder)}/{name}: 缺失 (missing)")
                        continue
                    if got != want:
                        self.fail(f"{_rel(self.bag, folder)}/{name}: 与签名检查点文本不符 (differs from the signed note)")
                if origin not in self.fingerprints:
                    self.fail(f"{rel}: 包中没有 {origin} 的公钥 (no public key for the checkpoint's origin)")
                self.checkpoints[rel] = note

    def check_ledgers(self) -> None:
        base = os.path.join(self.bag, "data", "ledger")
        if not os.path.isdir(base):
            return
        for origin in sorted(os.listdir(base)):
            path = os.path.join(base, origin, "leaf-hashes.txt")
            rel = _rel(self.bag, path)
            try:
                with open(path, encoding="ascii") as fh:
                    hashes = [bytes.fromhex(line.strip()) for line in fh if line.strip()]
            except (OSError, ValueError) as e:
                self.fail(f"{rel}: 无法读取 (unreadable leaf hashes: {e})")
                continue
            if any(len(h) != 32 for h in hashes):
                self.fail(f"{rel}: 条目不是 SHA-256 摘要 (a line is not a SHA-256 hash)")
                continue
            matched = 0
            for cp_rel, note in sorted(self.checkpoints.items()):
                if note["origin"] != ORIGIN_PREFIX + origin or note["tree_size"] > len(hashes):
                    continue
                if root(hashes[: note["tree_size"]]) != note["root"]:
                    self.fail(f"{rel}: 前 {note['tree_size']} 条重建的根与 {cp_rel} 不符 (leaf hashes do not rebuild the checkpoint root)")
                matched += 1
            if not matched:
                self.fail(f"{rel}: 没有可对照的检查点 (no checkpoint of this ledger in the package)")

    def folders(self, base: str) -> list[str]:
        """The sub-folders of ``base`` (one per origin); anything else in it is named."""
        out = []
        for name in sorted(os.listdir(base)):
            if os.path.isdir(os.path.join(base, name)) and not os.path.islink(os.path.join(base, name)):
                out.append(name)
            else:
                self.fail(f"{_rel(self.bag, os.path.join(base, name))}: 应为目录 (a folder expected here)")
        return out

    # -- records --

    def check_records(self) -> None:
        base = os.path.join(self.bag, "data", "records")
        if not os.path.isdir(base):
            self.fail("缺少 data/records 目录 (no records in the package)")
            return
        for origin in self.folders(base):
            for rid in sorted(os.listdir(os.path.join(base, origin))):
                self.records += 1
                self.check_record(origin, rid, os.path.join(base, origin, rid))

    def check_record(self, origin: str, rid: str, folder: str) -> None:
        label = f"记录 {origin}/{rid}"
        try:
            with open(os.path.join(folder, "seal.json"), "rb") as fh:
                seal_bytes = fh.read()
            with open(os.path.join(folder, "seal.sig"), "rb") as fh:
                sig = fh.read()
            with open(os.path.join(folder, "record.json"), encoding="utf-8") as fh:
                rec = json.load(fh)
            with open(os.path.join(folder, "proof.json"), encoding="utf-8") as fh:
                proof = json.load(fh)
            seal = json.loads(seal_bytes)
        except (OSError, ValueError) as e:
            self.fail(f"{label}: 文件缺失或无法解析 (missing or unreadable: {e})")
            return
        for name, value in (("seal.json", seal), ("record.json", rec), ("proof.json", proof)):
            if not isinstance(value, dict):
                self.fail(f"{label}: {name} 不是 JSON 对象 (not a JSON object)")
                return
        if len(sig) != 64:
            self.fail(f"{label}: seal.sig 不是 64 字节的 Ed25519 签名 (seal.sig is not a 64-byte signature)")
        # the seal and record.json
        if seal.get("record_id") != rid or rec.get("id") != rid:
            self.fail(f"{label}: 封签或 record.json 属于另一条记录 (seal/record.json name another record)")
        if seal.get("origin") != origin:
            self.fail(f"{label}: 封签的来源单位与目录不符 (seal origin differs from the folder)")
        for key in ("type", "subtype", "origin", "supersedes", "note", "source_name"):
            if rec.get(key) != seal.get(key):
                self.fail(f"{label}: record.json 的 {key} 与封签不符 (record.json {key} differs from the seal)")
        if rec.get("data") != seal.get("data"):
            self.fail(f"{label}: record.json 的数据与封签不符 (record.json data differs from the seal)")
        refs = rec.get("refs")
        if not isinstance(refs, str) or hashlib.sha256(refs.encode("utf-8")).hexdigest() != seal.get("refs_sha256"):
            self.fail(f"{label}: 引用快照与封签不符 (refs snapshot differs from the seal)")
        fp = self.fingerprints.get(origin)
        if fp is None:
            self.fail(f"{label}: 包中没有来源单位 {origin} 的公钥 (no public key for the record's origin)")
        elif seal.get("signer") != fp:
            self.fail(f"{label}: 封签的签名者不是 data/keys/{origin}.pub.pem (seal signer is not the origin's key in the package)")
        self.check_files(label, folder, rec, seal)
        self.check_proof(label, origin, rid, proof, seal, seal_bytes, sig)

    def check_files(self, label: str, folder: str, rec: dict, seal: dict) -> None:
        for name, entries, fields in (("封签", seal.get("files", []), ("role", "name")), ("record.json", rec.get("files", []), ("role", "name", "path"))):
            if not isinstance(entries, list) or not all(isinstance(f, dict) and all(isinstance(f.get(k), str) for k in fields) for f in entries):
                self.fail(f"{label}: {name} 的文件清单格式错误 (malformed file list)")
                return
        sealed = {(f.get("role"), f.get("name")): f for f in seal.get("files", [])}
        listed = {(f.get("role"), f.get("name")): f for f in rec.get("files", [])}
        if set(sealed) != set(listed):
            self.fail(f"{label}: record.json 列出的文件与封签不一致 (file list differs from the seal)")
        shipped = set()
        for key, f in sorted(listed.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
            rel = f.get("path", "")
            try:
                full = os.path.join(folder, *rel.split("/"))
                if rel.startswith("/") or ".." in rel.split("/") or not rel.startswith("files/"):
                    raise ValueError(f"unsafe path {rel!r}")
                digest, size = self.file_digest(full)
            except (OSError, ValueError) as e:
                why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)  # not the temporary folder's path
                self.fail(f"{label}: 文件 {rel} 缺失 (file missing: {why})")
                continue
            shipped.add(os.path.normpath(full))
            want = sealed.get(key)
            if want is None:
                continue
            if digest != want.get("sha256") or size != want.get("size"):
                self.fail(f"{label}: 文件 {rel} 的摘要或大小与封签不符 (file differs from its sealed SHA-256)")
        stack = [os.path.join(folder, "files")]
        while stack:
            current = stack.pop()
            try:
                entries = list(os.scandir(current))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif os.path.normpath(entry.path) not in shipped:
                    self.fail(f"{label}: 多出未封签的文件 {_rel(folder, entry.path)} (file not in the seal)")
        extra = set(os.listdir(folder)) - {"record.json", "seal.json", "seal.sig", "proof.json", "files"}
        for name in sorted(extra):
            self.fail(f"{label}: 多出文件 {name} (unexpected file in the record folder)")

    def check_proof(self, label: str, origin: str, rid: str, proof: dict, seal: dict, seal_bytes: bytes, sig: bytes) -> None:
        cp_rel = proof.get("checkpoint", "")
        note = self.checkpoints.get(cp_rel) if isinstance(cp_rel, str) else None
        if note is None:
            self.fail(f"{label}: proof.json 指向的检查点 {cp_rel} 不在包中 (proof names a checkpoint not in the package)")
            return
        if note["origin"] != ORIGIN_PREFIX + origin:
            self.fail(f"{label}: 证明所用检查点属于另一单位 (proof checkpoint belongs to another origin)")
        leaf_data = proof.get("leaf_data")
        if not isinstance(leaf_data, str):
            self.fail(f"{label}: proof.json 缺少 leaf_data (no leaf data)")
            return
        lh = leaf_hash(leaf_data.encode("utf-8"))
        if proof.get("leaf_hash") not in (None, lh.hex()):
            self.fail(f"{label}: proof.json 的 leaf_hash 与 leaf_data 不符 (leaf hash does not match the leaf data)")
        try:
            path = [bytes.fromhex(h) for h in proof.get("proof", [])]
            index, size = int(proof["leaf_index"]), int(proof["tree_size"])
        except (KeyError, TypeError, ValueError):
            self.fail(f"{label}: proof.json 格式错误 (malformed proof)")
            return
        if size != note["tree_size"]:
            self.fail(f"{label}: proof.json 的树大小与检查点不符 (proof tree size differs from the checkpoint)")
        elif not verify_inclusion(lh, index, size, path, note["root"]):
            self.fail(f"{label}: 包含证明不成立，该记录不在签名检查点的默克尔树中 (inclusion proof fails against {cp_rel})")
        try:
            leaf = json.loads(leaf_data)
        except ValueError:
            leaf = None
        if not isinstance(leaf, dict):
            self.fail(f"{label}: 账本条目无法解析 (leaf data unreadable)")
            return
        if leaf.get("event") != "record_sealed" or leaf.get("record_id") != rid:
            self.fail(f"{label}: 账本条目不是本记录的封签事件 (leaf is not this record's sealing event)")
        if leaf.get("seal_sha256") != hashlib.sha256(seal_bytes).hexdigest():
            self.fail(f"{label}: 账本条目中的封签摘要与 seal.json 不符 (seal.json differs from the sealed ledger leaf)")
        if leaf.get("signature") != sig.hex():
            self.fail(f"{label}: 账本条目中的签名与 seal.sig 不符 (seal.sig differs from the ledger leaf)")
        if leaf.get("signer") != seal.get("signer"):
            self.fail(f"{label}: 账本条目的签名者与封签不符 (leaf signer differs from the seal)")
        if seal.get("ledger_index") != index:
            self.fail(f"{label}: 封签记载的账本序号 {seal.get('ledger_index')} 与证明的 {index} 不符 (ledger index differs)")

    def run(self) -> list[str]:
        self.check_names()
        self.check_keys()
        self.check_checkpoints()
        self.check_ledgers()
        self.check_records()
        return self.failures

    def check_names(self) -> None:
        seen: dict[str, str] = {}
        for dirpath, dirs, names in os.walk(os.path.join(self.bag, "data")):
            for name in dirs + names:
                full = os.path.join(dirpath, name)
                if os.path.islink(full):
                    self.fail(f"{_rel(self.bag, full)}: 是符号链接 (symbolic link in the package)")
                key = unicodedata.normalize("NFC", full)
                if key in seen:
                    self.fail(f"{_rel(self.bag, full)}: 与 {_rel(self.bag, seen[key])} 规范化后同名 (two names equal after NFC)")
                seen[key] = full
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(dirpath, d))]


def main(argv: list[str]) -> int:
    bag = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    checker = Checker(bag)
    failures = checker.run()
    for f in failures:
        print("✗ " + f)
    if failures:
        print(f"核验失败：{len(failures)} 处 (verification failed: {len(failures)})")
        return 1
    print(
        f"核验通过：{checker.records} 条记录的包含证明、封签摘要与文件摘要，{len(checker.checkpoints)} 个检查点"
        f" (verified: {checker.records} records against {len(checker.checkpoints)} checkpoints)"
    )
    print("签名请另用 openssl 核验，见 核验说明.txt (check the Ed25519 signatures with openssl, see 核验说明.txt)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
